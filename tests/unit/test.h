/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * A unit-test harness in one header.  A test file defines its tests with
 * TEST(name) { ... } and lists them in TESTS(...) at the end, which writes
 * main().  Each test prints "PASS: file/name" or "FAIL: file/name" and the
 * reason; tests/run.sh counts these lines.  CHECK() keeps going after a
 * failure inside a test; REQUIRE() returns from it.
 */
#ifndef AMIE_TESTS_UNIT_TEST_H
#define AMIE_TESTS_UNIT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_;

#define CHECK(c) do { if (!(c)) { test_failed_ = 1; \
	fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #c); } } while (0)
#define REQUIRE(c) do { if (!(c)) { test_failed_ = 1; \
	fprintf(stderr, "  %s:%d: required: %s\n", __FILE__, __LINE__, #c); return; } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { test_failed_ = 1; fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", \
	__FILE__, __LINE__, #a, a_, b_); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || strcmp(a_, b_) != 0) { test_failed_ = 1; fprintf(stderr, \
	"  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
	a_ ? a_ : "(null)", b_); } } while (0)

#define TEST(name) static void test_##name(void)

struct test_case { const char *name; void (*fn)(void); };
#define T(name) { #name, test_##name }
#define TESTS(...) \
	int main(void) { \
		static const struct test_case cases[] = { __VA_ARGS__ }; \
		int failed = 0; \
		setvbuf(stdout, NULL, _IOLBF, 0); \
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) { \
			test_failed_ = 0; \
			cases[i].fn(); \
			printf("%s: %s/%s\n", test_failed_ ? "FAIL" : "PASS", \
			    __FILE__, cases[i].name); \
			failed |= test_failed_; \
		} \
		return failed; \
	}

/* Decode hex into out (at most cap bytes); returns the byte count or -1. */
static inline long
test_unhex(unsigned char *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return (long)(n / 2);
}

#endif
