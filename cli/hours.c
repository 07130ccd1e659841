/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "cli/hours.h"

/* s as hundredths: digits, an optional point and up to two decimals. */
static int
hours_hundredths(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int decimals = -1;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && decimals < 0) {
			decimals = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || decimals == 2 || v > 100000000000u)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (decimals >= 0)
			decimals++;
	}
	if (decimals == 0)
		return -1;	/* "4." */
	for (int d = decimals < 0 ? 0 : decimals; d < 2; d++)
		v *= 10;
	*out = v;
	return 0;
}

int
hours_parse(const char *s, uint64_t max_minutes, uint64_t *minutes)
{
	uint64_t h, m;

	if (hours_hundredths(s, &h) != 0)
		return -1;
	m = (h * 60 + 50) / 100;
	if (m > max_minutes)
		return -1;
	*minutes = m;
	return 0;
}

int
hours_parse_cents(const char *s, uint64_t max_cents, uint64_t *cents)
{
	uint64_t c;

	if (hours_hundredths(s, &c) != 0 || c > max_cents)
		return -1;
	*cents = c;
	return 0;
}

void
hours_format(char out[HOURS_TEXT_MAX], int64_t minutes)
{
	uint64_t m = minutes < 0 ? (uint64_t)-minutes : (uint64_t)minutes;
	uint64_t h = (m * 100 + 30) / 60;

	snprintf(out, HOURS_TEXT_MAX, "%s%llu.%02llu", minutes < 0 ? "-" : "",
	    (unsigned long long)(h / 100), (unsigned long long)(h % 100));
}
