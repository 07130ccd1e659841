/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/progress.h"
#include "tests/unit/test.h"

/* Run the progress of some work with stderr on fd; what the work wrote
 * to its stdout and stderr are not mixed: stdout is untouched. */
static void
progress_test_work(int fd, uint64_t total)
{
	struct progress p;
	int saved = dup(STDERR_FILENO);

	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	progress_start(&p, "importing", "records", total, 0);
	for (uint64_t i = 1; i <= 30; i++)
		progress_update(&p, i);
	progress_end(&p);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

TEST(writes_nothing_when_stderr_is_not_a_terminal)
{
	FILE *f = tmpfile();

	REQUIRE(f != NULL);
	progress_test_work(fileno(f), 100);
	fseek(f, 0, SEEK_END);
	CHECK_EQ_INT(ftell(f), 0);
	fclose(f);
}

/* Read what the terminal got, without blocking, into buf. */
static size_t
progress_test_drain(int m, char *buf, size_t cap)
{
	struct pollfd pfd = { m, POLLIN, 0 };
	size_t n = 0;
	ssize_t r;

	while (n < cap - 1 && poll(&pfd, 1, 100) > 0 &&
	    (r = read(m, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

TEST(draws_then_clears_its_line_on_a_terminal)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;
	char buf[8192];

	REQUIRE(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	REQUIRE((s = open(ptsname(m), O_RDWR | O_NOCTTY)) >= 0);
	progress_test_work(s, 100);
	progress_test_drain(m, buf, sizeof(buf));
	CHECK(strstr(buf, "\rimporting [") != NULL);
	CHECK(strstr(buf, "/100 records") != NULL);
	CHECK(strstr(buf, " left") != NULL);
	/* The last thing written clears the line. */
	CHECK(strlen(buf) >= 4 &&
	    strcmp(buf + strlen(buf) - 4, "\r\033[K") == 0);
	/* Redrawn at most every PROGRESS_REDRAW_MS: 30 quick updates give
	 * one drawing (the first), not 30. */
	{
		size_t draws = 0;

		for (const char *p = buf; (p = strstr(p, "importing")) != NULL;
		    p++)
			draws++;
		CHECK(draws >= 1 && draws < 5);
	}
	close(s);
	close(m);
}

TEST(spins_when_the_total_is_unknown)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;
	char buf[8192];

	REQUIRE(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	REQUIRE((s = open(ptsname(m), O_RDWR | O_NOCTTY)) >= 0);
	progress_test_work(s, 0);
	progress_test_drain(m, buf, sizeof(buf));
	CHECK(strstr(buf, "\rimporting |") != NULL);
	CHECK(strstr(buf, "importing [") == NULL);
	close(s);
	close(m);
}

TESTS(T(writes_nothing_when_stderr_is_not_a_terminal),
    T(draws_then_clears_its_line_on_a_terminal),
    T(spins_when_the_total_is_unknown))
