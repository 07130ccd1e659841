/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "proto/date.h"

/* Days from civil and back: H. Hinnant's algorithms, exact for the
 * proleptic Gregorian calendar. */
static int32_t
date_from_civil(int32_t y, int32_t m, int32_t d)
{
	int32_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
date_to_civil(int32_t z, int32_t *y, int32_t *m, int32_t *d)
{
	int32_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
date_month_days(int32_t y, int32_t m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* n decimal digits at s; -1 if one is not a digit. */
static int32_t
date_digits(const char *s, int n)
{
	int32_t v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
date_ym(const char *s, size_t len, size_t want, int32_t *y, int32_t *m,
    const char *what, struct errbuf *eb)
{
	if (len != want || s[4] != '-' || (*y = date_digits(s, 4)) < 0 ||
	    (*m = date_digits(s + 5, 2)) < 0)
		return fail(eb, AMIE_EPROTO, "%s: '%.*s' is not %s", what,
		    (int)(len > 32 ? 32 : len), s,
		    want == DATE_LEN ? "YYYY-MM-DD" : "YYYY-MM");
	if (*y < DATE_YEAR_MIN || *y > DATE_YEAR_MAX)
		return fail(eb, AMIE_EPROTO, "%s: year %d, expected %d to %d",
		    what, (int)*y, DATE_YEAR_MIN, DATE_YEAR_MAX);
	if (*m < 1 || *m > 12)
		return fail(eb, AMIE_EPROTO, "%s: month %02d does not exist",
		    what, (int)*m);
	return 0;
}

int
date_parse(int32_t *days, const char *s, size_t len, const char *what,
    struct errbuf *eb)
{
	int32_t y, m, d;
	int rc;

	if ((rc = date_ym(s, len, DATE_LEN, &y, &m, what, eb)) != 0)
		return rc;
	if (s[7] != '-' || (d = date_digits(s + 8, 2)) < 0)
		return fail(eb, AMIE_EPROTO, "%s: '%.*s' is not YYYY-MM-DD",
		    what, (int)len, s);
	if (d < 1 || d > date_month_days(y, m))
		return fail(eb, AMIE_EPROTO, "%s: %.*s does not exist", what,
		    (int)len, s);
	*days = date_from_civil(y, m, d);
	return 0;
}

int
date_month_parse(int32_t *month, const char *s, size_t len, const char *what,
    struct errbuf *eb)
{
	int32_t y, m;
	int rc;

	if ((rc = date_ym(s, len, DATE_MONTH_LEN, &y, &m, what, eb)) != 0)
		return rc;
	*month = y * 12 + m - 1;
	return 0;
}

void
date_format(char out[DATE_LEN + 1], int32_t days)
{
	int32_t y, m, d;
	char tmp[48];

	date_to_civil(days, &y, &m, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", (int)(y % 10000),
	    (int)m, (int)d);
	memcpy(out, tmp, DATE_LEN);
	out[DATE_LEN] = '\0';
}

void
date_month_format(char out[DATE_MONTH_LEN + 1], int32_t month)
{
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "%04d-%02d", (int)(month / 12 % 10000),
	    (int)(month % 12 + 1));
	memcpy(out, tmp, DATE_MONTH_LEN);
	out[DATE_MONTH_LEN] = '\0';
}

int32_t
date_month_of(int32_t days)
{
	int32_t y, m, d;

	date_to_civil(days, &y, &m, &d);
	return y * 12 + m - 1;
}

int32_t
date_month_first(int32_t month)
{
	return date_from_civil(month / 12, month % 12 + 1, 1);
}

int32_t
date_month_last(int32_t month)
{
	return date_month_first(month + 1) - 1;
}

int32_t
date_add_months(int32_t days, int32_t n)
{
	int32_t y, m, d, t;

	date_to_civil(days, &y, &m, &d);
	t = y * 12 + m - 1 + n;
	y = t / 12;
	m = t % 12 + 1;
	if (d > date_month_days(y, m))
		d = date_month_days(y, m);
	return date_from_civil(y, m, d);
}

int32_t
date_of_ms(uint64_t ms)
{
	return (int32_t)(ms / 86400000u);
}
