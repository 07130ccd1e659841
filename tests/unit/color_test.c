/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/color.h"
#include "tests/unit/test.h"

/* A pseudo-terminal's slave side as a stream, or NULL. */
static FILE *
color_test_pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0)
		return NULL;
	if ((s = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0)
		return NULL;
	return fdopen(s, "w");
}

TEST(is_on_on_a_terminal)
{
	FILE *f = color_test_pty();

	REQUIRE(f != NULL);
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	CHECK(color_is_on(f));
	CHECK_STR(color_start(f, COLOR_BOLD), "\033[1m");
	CHECK_STR(color_end(f), "\033[0m");
	fclose(f);
}

TEST(is_off_with_no_color_set)
{
	FILE *f = color_test_pty();

	REQUIRE(f != NULL);
	setenv("TERM", "xterm", 1);
	setenv("NO_COLOR", "1", 1);
	CHECK(!color_is_on(f));
	CHECK_STR(color_start(f, COLOR_BAD), "");
	CHECK_STR(color_end(f), "");
	/* An empty NO_COLOR is unset, as no-color.org says. */
	setenv("NO_COLOR", "", 1);
	CHECK(color_is_on(f));
	unsetenv("NO_COLOR");
	fclose(f);
}

TEST(is_off_on_a_dumb_terminal)
{
	FILE *f = color_test_pty();

	REQUIRE(f != NULL);
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	CHECK(!color_is_on(f));
	setenv("TERM", "xterm", 1);
	fclose(f);
}

TEST(is_off_on_a_file)
{
	FILE *f = tmpfile();

	REQUIRE(f != NULL);
	unsetenv("NO_COLOR");
	CHECK(!color_is_on(f));
	CHECK_STR(color_start(f, COLOR_BOLD), "");
	fclose(f);
}

TEST(states_have_their_colours)
{
	CHECK_EQ_INT(color_of_state("current"), COLOR_GOOD);
	CHECK_EQ_INT(color_of_state("connected"), COLOR_GOOD);
	CHECK_EQ_INT(color_of_state("pending"), COLOR_WAIT);
	CHECK_EQ_INT(color_of_state("connecting"), COLOR_WAIT);
	CHECK_EQ_INT(color_of_state("removed"), COLOR_BAD);
	CHECK_EQ_INT(color_of_state("backoff"), COLOR_BAD);
}

TESTS(T(is_on_on_a_terminal), T(is_off_with_no_color_set),
    T(is_off_on_a_dumb_terminal), T(is_off_on_a_file),
    T(states_have_their_colours))
