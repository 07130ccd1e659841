/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* proto/date.c: dates and months as day numbers. */
#include <string.h>

#include "proto/date.h"
#include "tests/unit/test.h"

static int32_t
day(const char *s)
{
	int32_t d = -99999;

	date_parse(&d, s, strlen(s), "d", NULL);
	return d;
}

TEST(parses_epoch_and_leap_days)
{
	char out[DATE_LEN + 1];

	CHECK_EQ_INT(day("1970-01-01"), 0);
	CHECK_EQ_INT(day("2024-02-29") - day("2024-02-28"), 1);
	CHECK_EQ_INT(day("2024-03-01") - day("2024-02-29"), 1);
	date_format(out, day("2026-11-28"));
	CHECK_STR(out, "2026-11-28");
	date_format(out, day("2000-02-29"));
	CHECK_STR(out, "2000-02-29");
}

TEST(refuses_days_that_do_not_exist)
{
	static const char *const bad[] = { "2026-02-29", "2026-13-01",
	    "2026-00-10", "2026-04-31", "1900-02-29", "2026-1-01",
	    "2026-01-1", "26-01-01", "2026/01/01", "", "2026-01-01x",
	    "1969-12-31", "2200-01-01", "abcd-ef-gh" };
	struct errbuf eb;
	int32_t d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(date_parse(&d, bad[i], strlen(bad[i]), "start", &eb) ==
		    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "start") != NULL);
}

TEST(months_have_first_and_last_days)
{
	int32_t m;
	char out[DATE_LEN + 1];

	REQUIRE(date_month_parse(&m, "2024-02", 7, "month", NULL) == 0);
	date_format(out, date_month_last(m));
	CHECK_STR(out, "2024-02-29");
	date_format(out, date_month_first(m + 11));
	CHECK_STR(out, "2025-01-01");
	CHECK_EQ_INT(date_month_of(day("2025-01-31")), m + 11);
	CHECK(date_month_parse(&m, "2024-13", 7, "month", NULL) != 0);
	CHECK(date_month_parse(&m, "2024-1", 6, "month", NULL) != 0);
}

TEST(adds_months_clamping_the_day)
{
	char out[DATE_LEN + 1];

	date_format(out, date_add_months(day("2026-01-31"), 1));
	CHECK_STR(out, "2026-02-28");
	date_format(out, date_add_months(day("2026-01-01"), 12) - 1);
	CHECK_STR(out, "2026-12-31");
	date_format(out, date_add_months(day("2026-03-15"), -3));
	CHECK_STR(out, "2025-12-15");
}

TESTS(T(parses_epoch_and_leap_days), T(refuses_days_that_do_not_exist),
    T(months_have_first_and_last_days), T(adds_months_clamping_the_day))
