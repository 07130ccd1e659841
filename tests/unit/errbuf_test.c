/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests for proto/errbuf.h: codes, messages and their bounds. */
#include <string.h>

#include "proto/errbuf.h"
#include "tests/unit/test.h"

/* The message is NUL-terminated inside the buffer. */
static int
msg_is_terminated(const struct errbuf *eb)
{
	return memchr(eb->msg, '\0', sizeof(eb->msg)) != NULL;
}

TEST(fail_returns_the_code_and_records_it)
{
	struct errbuf eb;

	errbuf_clear(&eb);
	CHECK_EQ_INT(fail(&eb, AMIE_EPROTO, "record: %u refs, limit %u", 17u,
	    16u), AMIE_EPROTO);
	CHECK_EQ_INT(eb.code, AMIE_EPROTO);
	CHECK_STR(eb.msg, "record: 17 refs, limit 16");
}

TEST(fail_formats_like_printf)
{
	struct errbuf eb;

	CHECK_EQ_INT(fail(&eb, AMIE_ELIMIT, "%s: %zu bytes, limit %d (%c%%)",
	    "body", (size_t)262145, 262144, 'x'), AMIE_ELIMIT);
	CHECK_STR(eb.msg, "body: 262145 bytes, limit 262144 (x%)");
}

TEST(fail_with_null_buffer_only_returns_the_code)
{
	CHECK_EQ_INT(fail(NULL, AMIE_ESIG, "sig: %s", "does not verify"),
	    AMIE_ESIG);
	CHECK_EQ_INT(fail(NULL, AMIE_EIO, "x"), AMIE_EIO);
}

TEST(fail_replaces_the_previous_error)
{
	struct errbuf eb;

	(void)fail(&eb, AMIE_EPROTO, "a much longer first message");
	(void)fail(&eb, AMIE_EAGAIN, "short");
	CHECK_EQ_INT(eb.code, AMIE_EAGAIN);
	CHECK_STR(eb.msg, "short");
}

TEST(fail_cuts_a_message_longer_than_the_buffer)
{
	struct errbuf eb;
	char big[3 * ERRBUF_LEN];

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(fail(&eb, AMIE_EPROTO, "%s", big), AMIE_EPROTO);
	CHECK(msg_is_terminated(&eb));
	CHECK_EQ_INT(strlen(eb.msg), ERRBUF_LEN - 1);
	CHECK(strspn(eb.msg, "m") == ERRBUF_LEN - 1);
	/* Exactly fitting. */
	big[ERRBUF_LEN - 1] = '\0';
	(void)fail(&eb, AMIE_EPROTO, "%s", big);
	CHECK_EQ_INT(strlen(eb.msg), ERRBUF_LEN - 1);
}

TEST(fail_prefix_adds_context_and_keeps_the_code)
{
	struct errbuf eb;

	(void)fail(&eb, AMIE_ESIG, "sig: does not verify");
	CHECK_EQ_INT(fail_prefix(&eb, "peer abcd"), AMIE_ESIG);
	CHECK_EQ_INT(eb.code, AMIE_ESIG);
	CHECK_STR(eb.msg, "peer abcd: sig: does not verify");
	CHECK_EQ_INT(fail_prefix(&eb, "sync"), AMIE_ESIG);
	CHECK_STR(eb.msg, "sync: peer abcd: sig: does not verify");
}

TEST(fail_prefix_of_empty_message)
{
	struct errbuf eb;

	(void)fail(&eb, AMIE_EIO, "%s", "");
	CHECK_EQ_INT(fail_prefix(&eb, "store"), AMIE_EIO);
	CHECK_STR(eb.msg, "store: ");
}

TEST(fail_prefix_cuts_the_message_to_fit)
{
	struct errbuf eb;
	char big[ERRBUF_LEN];

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	(void)fail(&eb, AMIE_EPROTO, "%s", big);
	CHECK_EQ_INT(fail_prefix(&eb, "ctx"), AMIE_EPROTO);
	CHECK(msg_is_terminated(&eb));
	CHECK_EQ_INT(strlen(eb.msg), ERRBUF_LEN - 1);
	CHECK(strncmp(eb.msg, "ctx: m", 6) == 0);
	CHECK(strspn(eb.msg + 5, "m") == ERRBUF_LEN - 1 - 5);
}

TEST(fail_prefix_with_huge_prefix_stays_in_bounds)
{
	struct errbuf eb;
	char prefix[2 * ERRBUF_LEN];

	memset(prefix, 'p', sizeof(prefix) - 1);
	prefix[sizeof(prefix) - 1] = '\0';
	(void)fail(&eb, AMIE_ECONFIG, "msg");
	CHECK_EQ_INT(fail_prefix(&eb, prefix), AMIE_ECONFIG);
	CHECK_EQ_INT(eb.code, AMIE_ECONFIG);
	CHECK(msg_is_terminated(&eb));
	/* A prefix that leaves room for nothing but itself and ": ". */
	prefix[ERRBUF_LEN - 3] = '\0';
	(void)fail(&eb, AMIE_ECONFIG, "msg");
	CHECK_EQ_INT(fail_prefix(&eb, prefix), AMIE_ECONFIG);
	CHECK(msg_is_terminated(&eb));
	CHECK(strlen(eb.msg) <= ERRBUF_LEN - 1);
}

TEST(fail_prefix_with_null_buffer_returns_an_error_code)
{
	CHECK(fail_prefix(NULL, "ctx") != 0);
}

TEST(clear_empties_the_buffer)
{
	struct errbuf eb;

	(void)fail(&eb, AMIE_EPERM, "node.key: mode 0644");
	errbuf_clear(&eb);
	CHECK_EQ_INT(eb.code, 0);
	CHECK_STR(eb.msg, "");
}

TEST(code_names_are_distinct_and_never_null)
{
	CHECK_EQ_INT(AMIE_OK, 0);
	for (int c = 0; c < AMIE_ERR_COUNT; c++) {
		const char *n = errbuf_code_name(c);

		REQUIRE(n != NULL);
		CHECK(n[0] != '\0');
		CHECK(strcmp(n, errbuf_code_name(-1)) != 0);
		for (int d = 0; d < c; d++)
			if (strcmp(n, errbuf_code_name(d)) == 0) {
				test_failed_ = 1;
				fprintf(stderr, "  codes %d and %d are both "
				    "\"%s\"\n", d, c, n);
			}
	}
	CHECK_STR(errbuf_code_name(AMIE_EPROTO), "protocol error");
}

TEST(code_name_of_unknown_code_is_not_null)
{
	CHECK(errbuf_code_name(-1) != NULL);
	CHECK(errbuf_code_name(AMIE_ERR_COUNT) != NULL);
	CHECK(errbuf_code_name(1 << 30) != NULL);
	CHECK(errbuf_code_name(-2147483647 - 1) != NULL);
}

TESTS(T(fail_returns_the_code_and_records_it),
    T(fail_formats_like_printf),
    T(fail_with_null_buffer_only_returns_the_code),
    T(fail_replaces_the_previous_error),
    T(fail_cuts_a_message_longer_than_the_buffer),
    T(fail_prefix_adds_context_and_keeps_the_code),
    T(fail_prefix_of_empty_message),
    T(fail_prefix_cuts_the_message_to_fit),
    T(fail_prefix_with_huge_prefix_stays_in_bounds),
    T(fail_prefix_with_null_buffer_returns_an_error_code),
    T(clear_empties_the_buffer),
    T(code_names_are_distinct_and_never_null),
    T(code_name_of_unknown_code_is_not_null))
