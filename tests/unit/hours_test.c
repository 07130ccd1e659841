/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* cli/hours.c: hours and euros as people type them. */
#include <stdint.h>

#include "cli/hours.h"
#include "tests/unit/test.h"

TEST(parses_decimal_hours_into_minutes)
{
	uint64_t m = 0;

	CHECK(hours_parse("4", 10000, &m) == 0 && m == 240);
	CHECK(hours_parse("1.5", 10000, &m) == 0 && m == 90);
	CHECK(hours_parse("0.25", 10000, &m) == 0 && m == 15);
	CHECK(hours_parse("2.50", 10000, &m) == 0 && m == 150);
	CHECK(hours_parse("0", 10000, &m) == 0 && m == 0);
}

TEST(refuses_negative_absurd_and_malformed_hours)
{
	static const char *const bad[] = { "-4", "", ".", "4.", "4.333",
	    "1e3", " 4", "4h", "1,5", "99999999999999999999" };
	uint64_t m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(hours_parse(bad[i], 100000, &m) != 0);
	CHECK(hours_parse("745", 744 * 60, &m) != 0);
}

TEST(parses_euros_into_cents)
{
	uint64_t c = 0;

	CHECK(hours_parse_cents("120", 100000000, &c) == 0 && c == 12000);
	CHECK(hours_parse_cents("99.5", 100000000, &c) == 0 && c == 9950);
	CHECK(hours_parse_cents("-1", 100000000, &c) != 0);
}

TEST(formats_minutes_with_two_decimals)
{
	char out[HOURS_TEXT_MAX];

	hours_format(out, 90);
	CHECK_STR(out, "1.50");
	hours_format(out, 20);
	CHECK_STR(out, "0.33");
	hours_format(out, -15);
	CHECK_STR(out, "-0.25");
	hours_format(out, 0);
	CHECK_STR(out, "0.00");
}

TESTS(T(parses_decimal_hours_into_minutes),
    T(refuses_negative_absurd_and_malformed_hours), T(parses_euros_into_cents),
    T(formats_minutes_with_two_decimals))
