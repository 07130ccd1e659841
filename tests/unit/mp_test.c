/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests for proto/mp.h: the canonical msgpack reader and writer.
 * Expected bytes are written out in hex from the msgpack specification,
 * not produced by the code under test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mp.h"
#include "tests/unit/test.h"

/* A copy of the len bytes at b in a heap block of exactly len bytes, so
 * that AddressSanitizer catches any read past the end. */
static uint8_t *
exact_copy(const uint8_t *b, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p == NULL)
		abort();
	if (len > 0)
		memcpy(p, b, len);
	return p;
}

/* mp_check() of the value given in hex, from an exact-size copy. */
static int
check_hex(const char *hex)
{
	uint8_t b[256], *p;
	long n = test_unhex(b, sizeof(b), hex);
	struct errbuf eb;
	int rc;

	if (n < 0) {
		fprintf(stderr, "  bad hex in test: %s\n", hex);
		return -1;
	}
	p = exact_copy(b, (size_t)n);
	rc = mp_check(p, (size_t)n, "value", &eb);
	free(p);
	return rc;
}

/* The writer's output equals the hex; prints both on a mismatch. */
static int
writer_gives(const struct mpw *w, const char *hex)
{
	uint8_t want[64];
	long n = test_unhex(want, sizeof(want), hex);

	if (mpw_finish(w, "value", NULL) != 0 || n < 0 || w->len != (size_t)n ||
	    memcmp(w->buf, want, (size_t)n) != 0) {
		fprintf(stderr, "  writer gave %zu bytes, expected %s\n", w->len,
		    hex);
		return 0;
	}
	return 1;
}

/* Write v, compare with hex, and read it back through every reader. */
static int
uint_round_trips(uint64_t v, const char *hex)
{
	struct mpw w;
	struct mpr r;
	struct mptok t;
	uint64_t got = 0;
	int ok;

	mpw_init(&w, 64);
	mpw_uint(&w, v);
	ok = writer_gives(&w, hex);
	if (ok) {
		mpr_init(&r, w.buf, w.len);
		ok = mpr_uint(&r, &got, "v", NULL) == 0 && got == v &&
		    mpr_end(&r, "v", NULL) == 0;
		mpr_init(&r, w.buf, w.len);
		ok = ok && mpr_token(&r, &t, "v", NULL) == 0 &&
		    t.type == MP_UINT && t.u == v;
		ok = ok && mp_check(w.buf, w.len, "v", NULL) == 0;
		if (!ok)
			fprintf(stderr, "  %s does not read back\n", hex);
	}
	mpw_release(&w);
	return ok;
}

static int
int_round_trips(int64_t v, const char *hex)
{
	struct mpw w;
	struct mpr r;
	struct mptok t;
	int ok;

	mpw_init(&w, 64);
	mpw_int(&w, v);
	ok = writer_gives(&w, hex);
	if (ok) {
		mpr_init(&r, w.buf, w.len);
		ok = mpr_token(&r, &t, "v", NULL) == 0 && t.type == MP_INT &&
		    t.i == v && mpr_end(&r, "v", NULL) == 0 &&
		    mp_check(w.buf, w.len, "v", NULL) == 0;
		if (!ok)
			fprintf(stderr, "  %s does not read back\n", hex);
	}
	mpw_release(&w);
	return ok;
}

/* A string or byte string of len bytes: the head is head_hex, the whole
 * checks, and the reader returns the payload in place. */
static int
bytes_round_trip(int is_str, size_t len, const char *head_hex)
{
	uint8_t head[16];
	long hlen = test_unhex(head, sizeof(head), head_hex);
	char *payload = malloc(len ? len : 1);
	const uint8_t *b = NULL;
	const char *s = NULL;
	uint32_t got = 0;
	struct mpw w;
	struct mpr r;
	int ok, rc;

	if (payload == NULL || hlen < 0)
		abort();
	memset(payload, 'a', len);
	mpw_init(&w, len + 16);
	if (is_str)
		mpw_str(&w, payload, len);
	else
		mpw_bin(&w, (const uint8_t *)payload, len);
	ok = mpw_finish(&w, "value", NULL) == 0 &&
	    w.len == len + (size_t)hlen &&
	    memcmp(w.buf, head, (size_t)hlen) == 0;
	if (ok) {
		mpr_init(&r, w.buf, w.len);
		if (is_str) {
			rc = mpr_str(&r, &s, &got, UINT32_MAX, "v", NULL);
			b = (const uint8_t *)s;
		} else {
			rc = mpr_bin(&r, &b, &got, UINT32_MAX, "v", NULL);
		}
		ok = rc == 0 && got == len && b == w.buf + hlen &&
		    mpr_end(&r, "v", NULL) == 0 &&
		    mp_check(w.buf, w.len, "v", NULL) == 0;
	}
	if (!ok)
		fprintf(stderr, "  %s of %zu bytes: expected head %s\n",
		    is_str ? "str" : "bin", len, head_hex);
	mpw_release(&w);
	free(payload);
	return ok;
}

/* An array of count nils, or a map of count keys "%05x" with nil values
 * (fixed width hex keys sort bytewise in numeric order). */
static int
container_round_trips(int is_map, uint32_t count, const char *head_hex)
{
	uint8_t head[16];
	long hlen = test_unhex(head, sizeof(head), head_hex);
	struct mpw w;
	struct mpr r;
	uint32_t got = 0;
	char key[16];
	int ok, rc;

	if (hlen < 0)
		abort();
	mpw_init(&w, (size_t)count * 8 + 16);
	if (is_map)
		mpw_map(&w, count);
	else
		mpw_array(&w, count);
	for (uint32_t i = 0; i < count; i++) {
		if (is_map) {
			snprintf(key, sizeof(key), "%05x", (unsigned)i);
			mpw_cstr(&w, key);
		}
		mpw_nil(&w);
	}
	ok = mpw_finish(&w, "value", NULL) == 0 &&
	    memcmp(w.buf, head, (size_t)hlen) == 0;
	if (ok) {
		mpr_init(&r, w.buf, w.len);
		if (is_map)
			rc = mpr_map(&r, &got, UINT32_MAX, "v", NULL);
		else
			rc = mpr_array(&r, &got, UINT32_MAX, "v", NULL);
		ok = rc == 0 && got == count && mpr_left(&r) ==
		    w.len - (size_t)hlen && mp_check(w.buf, w.len, "v",
		    NULL) == 0;
		mpr_init(&r, w.buf, w.len);
		ok = ok && mpr_skip(&r, MP_DEPTH_MAX, "v", NULL) == 0 &&
		    mpr_left(&r) == 0;
	}
	if (!ok)
		fprintf(stderr, "  %s of %u: expected head %s\n",
		    is_map ? "map" : "array", count, head_hex);
	mpw_release(&w);
	return ok;
}

/* A value using every kind of token, nested two levels. */
static void
write_sample(struct mpw *w)
{
	static const uint8_t bin[3] = { 1, 2, 3 };

	mpw_map(w, 6);
	mpw_cstr(w, "a");
	mpw_array(w, 6);
	mpw_uint(w, 1);
	mpw_int(w, -1);
	mpw_uint(w, 300);
	mpw_uint(w, 70000);
	mpw_uint(w, (uint64_t)1 << 33);
	mpw_int(w, -200);
	mpw_cstr(w, "b");
	mpw_bin(w, bin, sizeof(bin));
	mpw_cstr(w, "c");
	mpw_cstr(w, "h\xc3\xa9llo");
	mpw_cstr(w, "d");
	mpw_nil(w);
	mpw_cstr(w, "e");
	mpw_bool(w, 1);
	mpw_cstr(w, "f");
	mpw_map(w, 1);
	mpw_cstr(w, "g");
	mpw_bool(w, 0);
}

/* depth arrays, each holding the next: depth 1 is [], depth 2 [[]]. */
static void
write_nested(struct mpw *w, unsigned depth, int maps)
{
	for (unsigned i = 1; i < depth; i++) {
		if (maps) {
			mpw_map(w, 1);
			mpw_cstr(w, "k");
		} else {
			mpw_array(w, 1);
		}
	}
	if (maps)
		mpw_map(w, 0);
	else
		mpw_array(w, 0);
}

TEST(writes_and_reads_uint_at_every_width_boundary)
{
	CHECK(uint_round_trips(0, "00"));
	CHECK(uint_round_trips(127, "7f"));
	CHECK(uint_round_trips(128, "cc80"));
	CHECK(uint_round_trips(255, "ccff"));
	CHECK(uint_round_trips(256, "cd0100"));
	CHECK(uint_round_trips(65535, "cdffff"));
	CHECK(uint_round_trips(65536, "ce00010000"));
	CHECK(uint_round_trips(UINT32_MAX, "ceffffffff"));
	CHECK(uint_round_trips((uint64_t)UINT32_MAX + 1, "cf0000000100000000"));
	CHECK(uint_round_trips(UINT64_MAX, "cfffffffffffffffff"));
}

TEST(writes_and_reads_negative_int_at_every_width_boundary)
{
	CHECK(int_round_trips(-1, "ff"));
	CHECK(int_round_trips(-32, "e0"));
	CHECK(int_round_trips(-33, "d0df"));
	CHECK(int_round_trips(-128, "d080"));
	CHECK(int_round_trips(-129, "d1ff7f"));
	CHECK(int_round_trips(-32768, "d18000"));
	CHECK(int_round_trips(-32769, "d2ffff7fff"));
	CHECK(int_round_trips(INT32_MIN, "d280000000"));
	CHECK(int_round_trips((int64_t)INT32_MIN - 1, "d3ffffffff7fffffff"));
	CHECK(int_round_trips(INT64_MIN, "d38000000000000000"));
}

TEST(writes_non_negative_int_as_uint)
{
	struct mpw w;

	mpw_init(&w, 64);
	mpw_int(&w, 5);
	CHECK(writer_gives(&w, "05"));
	mpw_reset(&w);
	mpw_int(&w, 200);
	CHECK(writer_gives(&w, "ccc8"));
	mpw_reset(&w);
	mpw_int(&w, INT64_MAX);
	CHECK(writer_gives(&w, "cf7fffffffffffffff"));
	mpw_release(&w);
}

TEST(writes_and_reads_nil_and_bools)
{
	struct mpw w;
	struct mpr r;
	struct mptok t;

	mpw_init(&w, 64);
	mpw_nil(&w);
	mpw_bool(&w, 0);
	mpw_bool(&w, 7);
	CHECK(writer_gives(&w, "c0c2c3"));
	mpr_init(&r, w.buf, w.len);
	CHECK(mpr_token(&r, &t, "v", NULL) == 0 && t.type == MP_NIL);
	CHECK(mpr_token(&r, &t, "v", NULL) == 0 && t.type == MP_BOOL &&
	    t.u == 0);
	CHECK(mpr_token(&r, &t, "v", NULL) == 0 && t.type == MP_BOOL &&
	    t.u == 1);
	CHECK(mpr_end(&r, "v", NULL) == 0);
	mpw_release(&w);
}

TEST(writes_and_reads_str_at_every_length_boundary)
{
	CHECK(bytes_round_trip(1, 0, "a0"));
	CHECK(bytes_round_trip(1, 31, "bf"));
	CHECK(bytes_round_trip(1, 32, "d920"));
	CHECK(bytes_round_trip(1, 255, "d9ff"));
	CHECK(bytes_round_trip(1, 256, "da0100"));
	CHECK(bytes_round_trip(1, 65535, "daffff"));
	CHECK(bytes_round_trip(1, 65536, "db00010000"));
}

TEST(writes_and_reads_bin_at_every_length_boundary)
{
	CHECK(bytes_round_trip(0, 0, "c400"));
	CHECK(bytes_round_trip(0, 31, "c41f"));
	CHECK(bytes_round_trip(0, 32, "c420"));
	CHECK(bytes_round_trip(0, 255, "c4ff"));
	CHECK(bytes_round_trip(0, 256, "c50100"));
	CHECK(bytes_round_trip(0, 65535, "c5ffff"));
	CHECK(bytes_round_trip(0, 65536, "c600010000"));
}

TEST(writes_and_reads_arrays_at_every_count_boundary)
{
	CHECK(container_round_trips(0, 0, "90"));
	CHECK(container_round_trips(0, 15, "9f"));
	CHECK(container_round_trips(0, 16, "dc0010"));
	CHECK(container_round_trips(0, 65535, "dcffff"));
	CHECK(container_round_trips(0, 65536, "dd00010000"));
}

TEST(writes_and_reads_maps_at_every_count_boundary)
{
	CHECK(container_round_trips(1, 0, "80"));
	CHECK(container_round_trips(1, 15, "8f"));
	CHECK(container_round_trips(1, 16, "de0010"));
	CHECK(container_round_trips(1, 65535, "deffff"));
	CHECK(container_round_trips(1, 65536, "df00010000"));
}

TEST(accepts_sample_value_and_reads_it_token_by_token)
{
	struct mpw w;
	struct mpr r;
	struct mptok t;
	unsigned tokens = 0;

	mpw_init(&w, 1024);
	write_sample(&w);
	REQUIRE(mpw_finish(&w, "sample", NULL) == 0);
	CHECK(mp_check(w.buf, w.len, "sample", NULL) == 0);
	mpr_init(&r, w.buf, w.len);
	while (mpr_left(&r) > 0 && mpr_token(&r, &t, "sample", NULL) == 0)
		tokens++;
	CHECK_EQ_INT(mpr_left(&r), 0);
	/* map + 6 keys + array + 6 ints + bin, str, nil, bool + map, key,
	 * bool */
	CHECK_EQ_INT(tokens, 1 + 6 + 1 + 6 + 4 + 3);
	mpw_release(&w);
}

TEST(rejects_non_shortest_uint)
{
	CHECK_EQ_INT(check_hex("cc05"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("cc7f"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("cd00ff"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("ce0000ffff"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("cf00000000ffffffff"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("cf0000000000000000"), AMIE_EPROTO);
}

TEST(rejects_positive_value_in_signed_form)
{
	CHECK_EQ_INT(check_hex("d005"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d07f"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d10080"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d200000001"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d37fffffffffffffff"), AMIE_EPROTO);
}

TEST(rejects_non_shortest_negative_int)
{
	CHECK_EQ_INT(check_hex("d0ff"), AMIE_EPROTO);	/* -1 is 0xff */
	CHECK_EQ_INT(check_hex("d0e0"), AMIE_EPROTO);	/* -32 is 0xe0 */
	CHECK_EQ_INT(check_hex("d1ff80"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d2ffff8000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d3ffffffff80000000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d0df"), 0);		/* -33 */
}

TEST(rejects_non_shortest_str_and_bin_lengths)
{
	CHECK_EQ_INT(check_hex("a3616263"), 0);
	CHECK_EQ_INT(check_hex("d903616263"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("da0003616263"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("db00000003616263"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("c500020102"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("c6000000020102"), AMIE_EPROTO);
}

TEST(rejects_non_shortest_container_counts)
{
	CHECK_EQ_INT(check_hex("dc000100"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("dd0000000100"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("de0001a16100"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("df00000001a16100"), AMIE_EPROTO);
}

TEST(rejects_floats)
{
	CHECK_EQ_INT(check_hex("ca3f800000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("cb3ff0000000000000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("91ca00000000"), AMIE_EPROTO);
}

TEST(rejects_extension_types)
{
	CHECK_EQ_INT(check_hex("d40100"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d5010000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d60100000000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d7010000000000000000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("d801000000000000000000000000000000"
	    "00"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("c7010100"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("c800010100"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("c9000000010100"), AMIE_EPROTO);
	/* The timestamp extension (type -1) too. */
	CHECK_EQ_INT(check_hex("d6ff00000000"), AMIE_EPROTO);
}

TEST(rejects_never_used_byte_c1)
{
	CHECK_EQ_INT(check_hex("c1"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("91c1"), AMIE_EPROTO);
}

TEST(accepts_map_keys_sorted_bytewise)
{
	/* "a" < "ab" < "b": a prefix sorts first. */
	CHECK_EQ_INT(check_hex("83a16101a2616202a16203"), 0);
	/* "B" (0x42) < "a" (0x61): bytewise, not case-folded. */
	CHECK_EQ_INT(check_hex("82a14201a16102"), 0);
	/* "" is the smallest key. */
	CHECK_EQ_INT(check_hex("82a001a16102"), 0);
}

TEST(rejects_unsorted_map_keys)
{
	CHECK_EQ_INT(check_hex("82a16201a16102"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("82a2616201a16102"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("82a16101a001"), AMIE_EPROTO);
	/* Unsorted in a nested map. */
	CHECK_EQ_INT(check_hex("9182a16201a16102"), AMIE_EPROTO);
}

TEST(rejects_duplicate_map_keys)
{
	CHECK_EQ_INT(check_hex("82a16101a16102"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("82a001a002"), AMIE_EPROTO);
}

TEST(rejects_non_string_map_keys)
{
	CHECK_EQ_INT(check_hex("810102"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("81c40161c0"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("81c0c0"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("819001"), AMIE_EPROTO);
}

TEST(accepts_valid_utf8_at_the_edges)
{
	static const char *const ok[] = {
		"7f", "c280", "dfbf", "e0a080", "e282ac", "ed9fbf", "ee8080",
		"efbfbf", "f0908080", "f48fbfbf", "e282ac41c3a9",
	};
	uint8_t b[16];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long n = test_unhex(b, sizeof(b), ok[i]);

		REQUIRE(n > 0);
		if (mp_utf8_check(b, (size_t)n) != 0) {
			test_failed_ = 1;
			fprintf(stderr, "  %s refused\n", ok[i]);
		}
	}
	CHECK_EQ_INT(mp_utf8_check(b, 0), 0);
	CHECK_EQ_INT(check_hex("a4f48fbfbf"), 0);
}

TEST(rejects_invalid_utf8)
{
	static const char *const bad[] = {
		"c080",		/* overlong NUL */
		"c1bf",		/* overlong 2-byte */
		"e08080",	/* overlong 3-byte */
		"e09fbf",	/* overlong 3-byte, highest */
		"f0808080",	/* overlong 4-byte */
		"f08fbfbf",	/* overlong 4-byte, highest */
		"eda080",	/* surrogate U+D800 */
		"edbfbf",	/* surrogate U+DFFF */
		"f4908080",	/* U+110000 */
		"f5808080",	/* lead byte past U+10FFFF */
		"ff",
		"80",		/* lone continuation */
		"e282",		/* truncated sequence */
		"41e2",		/* truncated at the end */
		"c3",
		"f09080",
		"e241ac",	/* lead, then no continuation */
		"c341",		/* continuation missing */
	};
	uint8_t b[16], s[20];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long n = test_unhex(b, sizeof(b), bad[i]);
		struct errbuf eb;
		int rc;

		REQUIRE(n > 0);
		if (mp_utf8_check(b, (size_t)n) == 0) {
			test_failed_ = 1;
			fprintf(stderr, "  mp_utf8_check accepts %s\n", bad[i]);
		}
		/* The same bytes as a msgpack string. */
		s[0] = (uint8_t)(0xa0 | n);
		memcpy(s + 1, b, (size_t)n);
		rc = mp_check(s, (size_t)n + 1, "value", &eb);
		if (rc != AMIE_EPROTO) {
			test_failed_ = 1;
			fprintf(stderr, "  mp_check of string %s gives %d\n",
			    bad[i], rc);
		}
	}
}

/* ASCII runs are checked eight bytes at a time: a bad or a good
 * sequence after such a run, at every offset, is still seen. */
TEST(utf8_after_ascii_runs_at_every_offset)
{
	static const char *const seq[] = { "ff", "80", "c3", "e282",
	    "eda080", "c3a9", "e282ac", "f09f9982" };
	static const int ok[] = { 0, 0, 0, 0, 0, 1, 1, 1 };
	uint8_t b[48], q[4];

	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		long n = test_unhex(q, sizeof(q), seq[i]);

		REQUIRE(n > 0);
		for (size_t at = 0; at + (size_t)n + 3 <= sizeof(b); at++) {
			/* ASCII, the sequence at at, three ASCII bytes. */
			memset(b, 'a', sizeof(b));
			memcpy(b + at, q, (size_t)n);
			if ((mp_utf8_check(b, at + (size_t)n + 3) == 0) !=
			    ok[i] || (mp_utf8_check(b, at + (size_t)n) ==
			    0) != ok[i]) {
				test_failed_ = 1;
				fprintf(stderr, "  %s at %zu: wrong verdict\n",
				    seq[i], at);
			}
		}
	}
	memset(b, 'a', sizeof(b));
	CHECK_EQ_INT(mp_utf8_check(b, sizeof(b)), 0);
	b[sizeof(b) - 1] = 0x80;
	CHECK_EQ_INT(mp_utf8_check(b, sizeof(b)), -1);
}

TEST(rejects_invalid_utf8_in_map_keys)
{
	CHECK_EQ_INT(check_hex("81a2c08001"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("81a3eda08001"), AMIE_EPROTO);
}

TEST(accepts_bin_that_is_not_utf8)
{
	CHECK_EQ_INT(check_hex("c402c080"), 0);
	CHECK_EQ_INT(check_hex("c401ff"), 0);
}

TEST(rejects_trailing_bytes)
{
	struct mpr r;
	struct errbuf eb;
	static const uint8_t two[2] = { 0x00, 0x00 };

	CHECK_EQ_INT(check_hex("0000"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("90c0"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("a161ff"), AMIE_EPROTO);
	mpr_init(&r, two, 2);
	CHECK(mpr_skip(&r, MP_DEPTH_MAX, "v", NULL) == 0);
	CHECK_EQ_INT(mpr_end(&r, "thing", &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "thing") != NULL);
}

TEST(rejects_empty_input)
{
	static const uint8_t b[1] = { 0 };
	struct mpr r;
	struct mptok t;

	CHECK_EQ_INT(mp_check(b, 0, "v", NULL), AMIE_EPROTO);
	mpr_init(&r, b, 0);
	CHECK_EQ_INT(mpr_token(&r, &t, "v", NULL), AMIE_EPROTO);
	CHECK_EQ_INT(mpr_left(&r), 0);
}

TEST(rejects_every_truncation_of_a_valid_value)
{
	struct mpw w;
	struct mpmap m;

	mpw_init(&w, 1024);
	write_sample(&w);
	REQUIRE(mpw_finish(&w, "sample", NULL) == 0);
	REQUIRE(mp_check(w.buf, w.len, "sample", NULL) == 0);
	for (size_t k = 0; k < w.len; k++) {
		uint8_t *p = exact_copy(w.buf, k);
		struct mpr r;
		int rc1, rc2, rc3;

		rc1 = mp_check(p, k, "v", NULL);
		mpr_init(&r, p, k);
		rc2 = mpr_skip(&r, MP_DEPTH_MAX, "v", NULL);
		rc3 = mpmap_decode(&m, p, k, "v", NULL);
		if (rc1 != AMIE_EPROTO || rc2 != AMIE_EPROTO ||
		    rc3 != AMIE_EPROTO) {
			test_failed_ = 1;
			fprintf(stderr, "  prefix of %zu bytes: %d %d %d\n", k,
			    rc1, rc2, rc3);
		}
		free(p);
	}
	mpw_release(&w);
}

TEST(rejects_truncated_scalar_heads)
{
	static const char *const bad[] = {
		"cc", "cd01", "ce000100", "cf00000001000000", "d0", "d1ff",
		"d2ffff7f", "d3ffffffff7fffff", "d9", "d92061", "da01",
		"db000100", "c4", "c40201", "c501", "c6000000", "dc00",
		"dd000000", "de00", "df000000", "a2", "a161a1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = check_hex(bad[i]);

		if (rc != AMIE_EPROTO) {
			test_failed_ = 1;
			fprintf(stderr, "  %s gives %d\n", bad[i], rc);
		}
	}
}

TEST(rejects_array_count_past_end)
{
	struct errbuf eb;

	CHECK_EQ_INT(check_hex("930102"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("dc0010"), AMIE_EPROTO);
	/* Four billion elements announced in five bytes: refused from the
	 * head alone, before anything could be allocated for them. */
	CHECK_EQ_INT(check_hex("ddffffffff"), AMIE_EPROTO);
	{
		static const uint8_t b[5] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
		struct mpr r;
		uint32_t n = 7;

		mpr_init(&r, b, sizeof(b));
		CHECK_EQ_INT(mpr_array(&r, &n, UINT32_MAX, "items", &eb),
		    AMIE_EPROTO);
		CHECK_EQ_INT(n, 7);
		CHECK(strstr(eb.msg, "items") != NULL);
	}
}

TEST(rejects_map_count_past_end)
{
	CHECK_EQ_INT(check_hex("dfffffffff"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("deffff"), AMIE_EPROTO);
	/* Two pairs need four bytes at least. */
	CHECK_EQ_INT(check_hex("82a16101"), AMIE_EPROTO);
}

TEST(rejects_str_and_bin_length_past_end)
{
	CHECK_EQ_INT(check_hex("dbffffffff"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("c6ffffffff"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("c6ffffffff00"), AMIE_EPROTO);
	CHECK_EQ_INT(check_hex("bf41"), AMIE_EPROTO);
}

TEST(accepts_nesting_up_to_depth_max)
{
	struct mpw w;
	struct mpmap m;

	mpw_init(&w, 1024);
	write_nested(&w, MP_DEPTH_MAX, 0);
	CHECK_EQ_INT(mp_check(w.buf, w.len, "v", NULL), 0);
	mpw_reset(&w);
	write_nested(&w, MP_DEPTH_MAX, 1);
	CHECK_EQ_INT(mp_check(w.buf, w.len, "v", NULL), 0);
	CHECK_EQ_INT(mpmap_decode(&m, w.buf, w.len, "v", NULL), 0);
	mpw_release(&w);
}

TEST(rejects_nesting_deeper_than_depth_max)
{
	struct mpw w;
	struct mpmap m;
	int rc;

	/*
	 * mp.h says mp_check() returns 0 or AMIE_EPROTO, but mpr_skip()
	 * reports depth as AMIE_ELIMIT; accept either until the contract
	 * and the code agree (reported upstream).
	 */
	mpw_init(&w, 1024);
	write_nested(&w, MP_DEPTH_MAX + 1, 0);
	rc = mp_check(w.buf, w.len, "v", NULL);
	CHECK(rc == AMIE_EPROTO || rc == AMIE_ELIMIT);
	mpw_reset(&w);
	write_nested(&w, MP_DEPTH_MAX + 1, 1);
	rc = mp_check(w.buf, w.len, "v", NULL);
	CHECK(rc == AMIE_EPROTO || rc == AMIE_ELIMIT);
	rc = mpmap_decode(&m, w.buf, w.len, "v", NULL);
	CHECK(rc == AMIE_EPROTO || rc == AMIE_ELIMIT);
	mpw_release(&w);
}

TEST(rejects_deep_nesting_without_recursing_into_it)
{
	/* 100000 nested one-element arrays: refused at depth MP_DEPTH_MAX,
	 * not by running out of stack. */
	size_t n = 100000;
	uint8_t *b = malloc(n + 1);

	REQUIRE(b != NULL);
	memset(b, 0x91, n);
	b[n] = 0x90;
	CHECK(mp_check(b, n + 1, "v", NULL) != 0);
	free(b);
}

TEST(skip_honours_its_depth_argument)
{
	static const uint8_t two[] = { 0x91, 0x90 }, one[] = { 0x90 },
	    scalar[] = { 0x05 };
	struct mpr r;

	mpr_init(&r, scalar, sizeof(scalar));
	CHECK_EQ_INT(mpr_skip(&r, 0, "v", NULL), 0);
	mpr_init(&r, one, sizeof(one));
	CHECK(mpr_skip(&r, 0, "v", NULL) != 0);
	mpr_init(&r, one, sizeof(one));
	CHECK_EQ_INT(mpr_skip(&r, 1, "v", NULL), 0);
	mpr_init(&r, two, sizeof(two));
	CHECK(mpr_skip(&r, 1, "v", NULL) != 0);
	mpr_init(&r, two, sizeof(two));
	CHECK_EQ_INT(mpr_skip(&r, 2, "v", NULL), 0);
	CHECK_EQ_INT(mpr_left(&r), 0);
}

TEST(array_reader_enforces_its_limit)
{
	static const uint8_t b[] = { 0x93, 0x01, 0x02, 0x03 };
	struct errbuf eb;
	struct mpr r;
	uint32_t n = 0;

	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_array(&r, &n, 2, "refs", &eb), AMIE_ELIMIT);
	CHECK(strstr(eb.msg, "refs") != NULL);
	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_array(&r, &n, 3, "refs", &eb), 0);
	CHECK_EQ_INT(n, 3);
}

TEST(map_reader_enforces_its_limit)
{
	static const uint8_t b[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02 };
	struct mpr r;
	uint32_t n = 0;

	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_map(&r, &n, 1, "m", NULL), AMIE_ELIMIT);
	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_map(&r, &n, 2, "m", NULL), 0);
	CHECK_EQ_INT(n, 2);
}

TEST(str_reader_enforces_its_limit)
{
	static const uint8_t b[] = { 0xa3, 'a', 'b', 'c' };
	struct errbuf eb;
	struct mpr r;
	const char *s = NULL;
	uint32_t len = 0;

	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_str(&r, &s, &len, 2, "header.kind", &eb),
	    AMIE_ELIMIT);
	CHECK(strstr(eb.msg, "header.kind") != NULL);
	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_str(&r, &s, &len, 3, "header.kind", &eb), 0);
	CHECK_EQ_INT(len, 3);
	CHECK(s == (const char *)b + 1);
}

TEST(bin_reader_enforces_its_limit)
{
	static const uint8_t b[] = { 0xc4, 0x03, 1, 2, 3 };
	struct mpr r;
	const uint8_t *p = NULL;
	uint32_t len = 0;

	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_bin(&r, &p, &len, 2, "v", NULL), AMIE_ELIMIT);
	mpr_init(&r, b, sizeof(b));
	CHECK_EQ_INT(mpr_bin(&r, &p, &len, 3, "v", NULL), 0);
	CHECK_EQ_INT(len, 3);
	CHECK(p == b + 2);
}

TEST(typed_readers_reject_wrong_types)
{
	static const uint8_t str[] = { 0xa1, 'a' }, neg[] = { 0xff },
	    bin[] = { 0xc4, 0x01, 'a' }, arr[] = { 0x90 };
	struct mpr r;
	uint64_t v;
	uint32_t n;
	const char *s;
	const uint8_t *b;

	mpr_init(&r, str, sizeof(str));
	CHECK_EQ_INT(mpr_uint(&r, &v, "v", NULL), AMIE_EPROTO);
	mpr_init(&r, neg, sizeof(neg));
	CHECK_EQ_INT(mpr_uint(&r, &v, "v", NULL), AMIE_EPROTO);
	mpr_init(&r, bin, sizeof(bin));
	CHECK_EQ_INT(mpr_str(&r, &s, &n, 10, "v", NULL), AMIE_EPROTO);
	mpr_init(&r, str, sizeof(str));
	CHECK_EQ_INT(mpr_bin(&r, &b, &n, 10, "v", NULL), AMIE_EPROTO);
	mpr_init(&r, arr, sizeof(arr));
	CHECK_EQ_INT(mpr_map(&r, &n, 10, "v", NULL), AMIE_EPROTO);
	mpr_init(&r, str, sizeof(str));
	CHECK_EQ_INT(mpr_array(&r, &n, 10, "v", NULL), AMIE_EPROTO);
}

TEST(bin_exact_requires_the_exact_length)
{
	static const uint8_t b3[] = { 0xc4, 0x03, 1, 2, 3 },
	    b2[] = { 0xc4, 0x02, 1, 2 };
	uint8_t out[3] = { 0, 0, 0 };
	struct mpr r;

	mpr_init(&r, b3, sizeof(b3));
	CHECK_EQ_INT(mpr_bin_exact(&r, out, 3, "v", NULL), 0);
	CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3);
	mpr_init(&r, b2, sizeof(b2));
	CHECK_EQ_INT(mpr_bin_exact(&r, out, 3, "v", NULL), AMIE_EPROTO);
	mpr_init(&r, b3, sizeof(b3));
	CHECK(mpr_bin_exact(&r, out, 2, "v", NULL) != 0);
}

TEST(bin_or_nil_reads_nil_as_null)
{
	static const uint8_t nil[] = { 0xc0 }, bin[] = { 0xc4, 0x01, 9 },
	    str[] = { 0xa1, 'a' };
	const uint8_t *b = bin;
	uint32_t len = 5;
	struct mpr r;

	mpr_init(&r, nil, sizeof(nil));
	CHECK_EQ_INT(mpr_bin_or_nil(&r, &b, &len, 10, "v", NULL), 0);
	CHECK(b == NULL);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_INT(mpr_left(&r), 0);
	mpr_init(&r, bin, sizeof(bin));
	CHECK_EQ_INT(mpr_bin_or_nil(&r, &b, &len, 10, "v", NULL), 0);
	CHECK(b == bin + 2 && len == 1);
	mpr_init(&r, str, sizeof(str));
	CHECK_EQ_INT(mpr_bin_or_nil(&r, &b, &len, 10, "v", NULL), AMIE_EPROTO);
}

/* {"arr": [1, 2], "bin": h'010203', "flag": true, "n": 42,
 *  "nul": "a\0b", "s": "hello"} */
static size_t
write_fields(uint8_t *out, size_t cap)
{
	static const uint8_t bin[3] = { 1, 2, 3 };
	struct mpw w;
	size_t len;

	mpw_init(&w, cap);
	mpw_map(&w, 6);
	mpw_cstr(&w, "arr");
	mpw_array(&w, 2);
	mpw_uint(&w, 1);
	mpw_uint(&w, 2);
	mpw_cstr(&w, "bin");
	mpw_bin(&w, bin, sizeof(bin));
	mpw_cstr(&w, "flag");
	mpw_bool(&w, 1);
	mpw_cstr(&w, "n");
	mpw_uint(&w, 42);
	mpw_cstr(&w, "nul");
	mpw_str(&w, "a\0b", 3);
	mpw_cstr(&w, "s");
	mpw_cstr(&w, "hello");
	if (mpw_finish(&w, "fields", NULL) != 0)
		abort();
	len = w.len;
	memcpy(out, w.buf, len);
	mpw_release(&w);
	return len;
}

TEST(mpmap_decodes_fields_in_place)
{
	uint8_t b[128];
	size_t len = write_fields(b, sizeof(b));
	struct mpmap m;
	const struct mpfield *f;

	REQUIRE(mpmap_decode(&m, b, len, "fields", NULL) == 0);
	CHECK_EQ_INT(m.count, 6);
	f = mpmap_get(&m, "s");
	REQUIRE(f != NULL);
	CHECK(f->key_len == 1 && f->key[0] == 's');
	CHECK(f->val_len == 6 && f->val[0] == 0xa5);
	CHECK(f->val >= b && f->val + f->val_len == b + len);
	CHECK(mpmap_get(&m, "nu") == NULL);
	CHECK(mpmap_get(&m, "zz") == NULL);
	CHECK(mpmap_get(&m, "") == NULL);
	CHECK(mpmap_get(&m, "nul") != NULL);
}

TEST(mpmap_getter_reports_missing_field_as_not_found)
{
	uint8_t b[128];
	size_t len = write_fields(b, sizeof(b));
	struct mpmap m;
	struct errbuf eb;
	struct mpr r;
	uint64_t v = 9;
	int flag = 9;
	const char *s = NULL;
	const uint8_t *bp = NULL;
	uint32_t n = 0;
	char out[16];

	REQUIRE(mpmap_decode(&m, b, len, "fields", NULL) == 0);
	CHECK_EQ_INT(mpmap_uint(&m, "zz", &v, &eb), AMIE_ENOTFOUND);
	CHECK(strstr(eb.msg, "zz") != NULL);
	CHECK_EQ_INT(v, 9);
	CHECK_EQ_INT(mpmap_bool(&m, "zz", &flag, NULL), AMIE_ENOTFOUND);
	CHECK_EQ_INT(flag, 9);
	CHECK_EQ_INT(mpmap_str(&m, "zz", &s, &n, 10, NULL), AMIE_ENOTFOUND);
	CHECK_EQ_INT(mpmap_cstr(&m, "zz", out, sizeof(out), NULL),
	    AMIE_ENOTFOUND);
	CHECK_EQ_INT(mpmap_bin(&m, "zz", &bp, &n, 10, NULL), AMIE_ENOTFOUND);
	CHECK_EQ_INT(mpmap_reader(&m, "zz", &r, NULL), AMIE_ENOTFOUND);
}

TEST(mpmap_getters_read_each_type)
{
	uint8_t b[128];
	size_t len = write_fields(b, sizeof(b));
	struct mpmap m;
	struct mpr r;
	uint64_t v = 0;
	int flag = 0;
	const char *s = NULL;
	const uint8_t *bp = NULL;
	uint32_t n = 0;
	char out[16];

	REQUIRE(mpmap_decode(&m, b, len, "fields", NULL) == 0);
	CHECK_EQ_INT(mpmap_uint(&m, "n", &v, NULL), 0);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_INT(mpmap_bool(&m, "flag", &flag, NULL), 0);
	CHECK_EQ_INT(flag, 1);
	CHECK_EQ_INT(mpmap_str(&m, "s", &s, &n, 5, NULL), 0);
	CHECK(n == 5 && memcmp(s, "hello", 5) == 0);
	CHECK_EQ_INT(mpmap_cstr(&m, "s", out, 6, NULL), 0);
	CHECK_STR(out, "hello");
	CHECK_EQ_INT(mpmap_bin(&m, "bin", &bp, &n, 3, NULL), 0);
	CHECK(n == 3 && bp[0] == 1 && bp[2] == 3);
	REQUIRE(mpmap_reader(&m, "arr", &r, NULL) == 0);
	CHECK_EQ_INT(mpr_array(&r, &n, 2, "arr", NULL), 0);
	CHECK_EQ_INT(mpr_uint(&r, &v, "arr", NULL), 0);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_INT(mpr_uint(&r, &v, "arr", NULL), 0);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(mpr_end(&r, "arr", NULL), 0);
}

TEST(mpmap_getters_reject_wrong_types)
{
	uint8_t b[128];
	size_t len = write_fields(b, sizeof(b));
	struct mpmap m;
	uint64_t v = 0;
	int flag = 0;
	const char *s = NULL;
	const uint8_t *bp = NULL;
	uint32_t n = 0;
	char out[16];

	REQUIRE(mpmap_decode(&m, b, len, "fields", NULL) == 0);
	CHECK_EQ_INT(mpmap_uint(&m, "s", &v, NULL), AMIE_EPROTO);
	CHECK_EQ_INT(mpmap_bool(&m, "n", &flag, NULL), AMIE_EPROTO);
	CHECK_EQ_INT(mpmap_str(&m, "bin", &s, &n, 10, NULL), AMIE_EPROTO);
	CHECK_EQ_INT(mpmap_cstr(&m, "n", out, sizeof(out), NULL),
	    AMIE_EPROTO);
	CHECK_EQ_INT(mpmap_bin(&m, "s", &bp, &n, 10, NULL), AMIE_EPROTO);
}

TEST(mpmap_getters_enforce_max)
{
	uint8_t b[128];
	size_t len = write_fields(b, sizeof(b));
	struct mpmap m;
	const char *s = NULL;
	const uint8_t *bp = NULL;
	uint32_t n = 0;

	REQUIRE(mpmap_decode(&m, b, len, "fields", NULL) == 0);
	CHECK_EQ_INT(mpmap_str(&m, "s", &s, &n, 4, NULL), AMIE_ELIMIT);
	CHECK_EQ_INT(mpmap_bin(&m, "bin", &bp, &n, 2, NULL), AMIE_ELIMIT);
}

TEST(mpmap_cstr_refuses_embedded_nul)
{
	uint8_t b[128];
	size_t len = write_fields(b, sizeof(b));
	struct mpmap m;
	char out[16];
	const char *s = NULL;
	uint32_t n = 0;

	REQUIRE(mpmap_decode(&m, b, len, "fields", NULL) == 0);
	/* The raw getter gives the three bytes; the C string one refuses. */
	CHECK_EQ_INT(mpmap_str(&m, "nul", &s, &n, 10, NULL), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(mpmap_cstr(&m, "nul", out, sizeof(out), NULL),
	    AMIE_EPROTO);
}

TEST(mpmap_cstr_refuses_string_of_cap_bytes_or_more)
{
	uint8_t b[128];
	size_t len = write_fields(b, sizeof(b));
	struct mpmap m;
	char out[8];

	REQUIRE(mpmap_decode(&m, b, len, "fields", NULL) == 0);
	memset(out, 'x', sizeof(out));
	/* "hello" needs 6 bytes with its NUL. */
	CHECK_EQ_INT(mpmap_cstr(&m, "s", out, 5, NULL), AMIE_ELIMIT);
	CHECK(out[5] == 'x' && out[4] == 'x');
	CHECK(mpmap_cstr(&m, "s", out, 0, NULL) != 0);
	CHECK(out[0] == 'x');
	CHECK_EQ_INT(mpmap_cstr(&m, "s", out, 6, NULL), 0);
	CHECK_STR(out, "hello");
	CHECK(out[6] == 'x');
}

/* A map of count fields "k00".."kNN" with uint values. */
static size_t
write_wide_map(struct mpw *w, uint32_t count)
{
	char key[16];

	mpw_map(w, count);
	for (uint32_t i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "k%03u", (unsigned)i);
		mpw_cstr(w, key);
		mpw_uint(w, i);
	}
	return w->len;
}

TEST(mpmap_decode_accepts_up_to_fields_max)
{
	struct mpw w;
	struct mpmap m;
	uint64_t v = 0;

	mpw_init(&w, 4096);
	write_wide_map(&w, MP_MAP_FIELDS_MAX);
	REQUIRE(mpw_finish(&w, "map", NULL) == 0);
	CHECK_EQ_INT(mpmap_decode(&m, w.buf, w.len, "map", NULL), 0);
	CHECK_EQ_INT(m.count, MP_MAP_FIELDS_MAX);
	CHECK_EQ_INT(mpmap_uint(&m, "k063", &v, NULL), 0);
	CHECK_EQ_INT(v, 63);
	mpw_release(&w);
}

TEST(mpmap_decode_rejects_more_than_fields_max)
{
	struct mpw w;
	struct mpmap m;
	struct errbuf eb;

	mpw_init(&w, 4096);
	write_wide_map(&w, MP_MAP_FIELDS_MAX + 1);
	REQUIRE(mpw_finish(&w, "map", NULL) == 0);
	/* The map itself is canonical: only the field limit refuses it. */
	CHECK_EQ_INT(mp_check(w.buf, w.len, "map", NULL), 0);
	CHECK_EQ_INT(mpmap_decode(&m, w.buf, w.len, "body", &eb),
	    AMIE_ELIMIT);
	CHECK(strstr(eb.msg, "body") != NULL);
	mpw_release(&w);
}

TEST(mpmap_decode_rejects_what_mp_check_rejects)
{
	static const char *const bad[] = {
		"82a16201a16102",	/* unsorted */
		"82a16101a16102",	/* duplicate */
		"810102",		/* non-string key */
		"81a161cc05",		/* non-canonical value */
		"81a16191ca00000000",	/* float inside a value */
		"80c0",			/* trailing bytes */
		"81a161",		/* truncated */
	};
	uint8_t b[64];
	struct mpmap m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long n = test_unhex(b, sizeof(b), bad[i]);
		int rc;

		REQUIRE(n > 0);
		rc = mpmap_decode(&m, b, (size_t)n, "v", NULL);
		if (rc != AMIE_EPROTO) {
			test_failed_ = 1;
			fprintf(stderr, "  %s gives %d\n", bad[i], rc);
		}
	}
}

TEST(mpmap_decode_rejects_non_maps)
{
	static const uint8_t arr[] = { 0x91, 0x01 }, str[] = { 0xa0 },
	    nil[] = { 0xc0 };
	struct mpmap m;

	CHECK_EQ_INT(mpmap_decode(&m, arr, sizeof(arr), "v", NULL),
	    AMIE_EPROTO);
	CHECK_EQ_INT(mpmap_decode(&m, str, sizeof(str), "v", NULL),
	    AMIE_EPROTO);
	CHECK_EQ_INT(mpmap_decode(&m, nil, sizeof(nil), "v", NULL),
	    AMIE_EPROTO);
}

TEST(mpmap_decode_accepts_empty_map)
{
	static const uint8_t b[] = { 0x80 };
	struct mpmap m;

	CHECK_EQ_INT(mpmap_decode(&m, b, sizeof(b), "v", NULL), 0);
	CHECK_EQ_INT(m.count, 0);
	CHECK(mpmap_get(&m, "a") == NULL);
}

TEST(writer_overflow_past_max_is_reported_by_finish)
{
	struct mpw w;
	struct errbuf eb;

	mpw_init(&w, 8);
	mpw_str(&w, "0123456789", 10);
	CHECK_EQ_INT(mpw_finish(&w, "reply", &eb), AMIE_ELIMIT);
	CHECK(strstr(eb.msg, "reply") != NULL);
	CHECK(w.len <= w.max);
	/* Overflow is sticky: a later small write does not clear it. */
	mpw_nil(&w);
	CHECK_EQ_INT(mpw_finish(&w, "reply", NULL), AMIE_ELIMIT);
	mpw_release(&w);
}

TEST(writer_accepts_exactly_max_bytes)
{
	struct mpw w;

	mpw_init(&w, 11);
	mpw_str(&w, "0123456789", 10);
	CHECK_EQ_INT(mpw_finish(&w, "v", NULL), 0);
	CHECK_EQ_INT(w.len, 11);
	mpw_nil(&w);
	CHECK_EQ_INT(mpw_finish(&w, "v", NULL), AMIE_ELIMIT);
	mpw_release(&w);
}

TEST(writer_raw_appends_and_respects_max)
{
	static const uint8_t enc[] = { 0x92, 0x01, 0x02 };
	struct mpw w;

	mpw_init(&w, 5);
	mpw_array(&w, 1);
	mpw_raw(&w, enc, sizeof(enc));
	CHECK(writer_gives(&w, "91920102"));
	mpw_raw(&w, enc, sizeof(enc));
	CHECK_EQ_INT(mpw_finish(&w, "v", NULL), AMIE_ELIMIT);
	mpw_release(&w);
}

TEST(writer_reset_forgets_content_and_overflow)
{
	struct mpw w;

	mpw_init(&w, 4);
	mpw_str(&w, "toolong", 7);
	CHECK_EQ_INT(mpw_finish(&w, "v", NULL), AMIE_ELIMIT);
	mpw_reset(&w);
	CHECK_EQ_INT(w.len, 0);
	mpw_uint(&w, 1);
	CHECK(writer_gives(&w, "01"));
	mpw_release(&w);
	/* Reusable after release and init. */
	mpw_init(&w, 4);
	mpw_uint(&w, 2);
	CHECK(writer_gives(&w, "02"));
	mpw_release(&w);
}

TEST(writer_grows_past_its_first_buffer)
{
	struct mpw w;
	uint8_t *big = calloc(1, 70000);

	REQUIRE(big != NULL);
	mpw_init(&w, 1 << 20);
	mpw_array(&w, 2);
	mpw_bin(&w, big, 70000);
	mpw_uint(&w, 7);
	CHECK_EQ_INT(mpw_finish(&w, "v", NULL), 0);
	CHECK_EQ_INT(w.len, 1 + 5 + 70000 + 1);
	CHECK(w.cap <= w.max);
	CHECK_EQ_INT(mp_check(w.buf, w.len, "v", NULL), 0);
	mpw_release(&w);
	free(big);
}

TEST(writer_take_hands_over_the_buffer)
{
	struct mpw w;
	uint8_t *b;
	size_t len = 99;

	mpw_init(&w, 64);
	mpw_array(&w, 1);
	mpw_cstr(&w, "x");
	b = mpw_take(&w, &len);
	REQUIRE(b != NULL);
	CHECK_EQ_INT(len, 3);
	CHECK(b[0] == 0x91 && b[1] == 0xa1 && b[2] == 'x');
	CHECK_EQ_INT(w.len, 0);
	CHECK(w.buf == NULL);
	/* The writer is empty and usable again; its max is kept. */
	mpw_uint(&w, 5);
	CHECK(writer_gives(&w, "05"));
	CHECK(b[0] == 0x91);
	free(b);
	mpw_release(&w);
}

TEST(writer_take_of_empty_writer_gives_a_buffer)
{
	struct mpw w;
	uint8_t *b;
	size_t len = 99;

	mpw_init(&w, 64);
	b = mpw_take(&w, &len);
	CHECK(b != NULL);
	CHECK_EQ_INT(len, 0);
	free(b);
	mpw_release(&w);
}

TESTS(T(writes_and_reads_uint_at_every_width_boundary),
    T(writes_and_reads_negative_int_at_every_width_boundary),
    T(writes_non_negative_int_as_uint),
    T(writes_and_reads_nil_and_bools),
    T(writes_and_reads_str_at_every_length_boundary),
    T(writes_and_reads_bin_at_every_length_boundary),
    T(writes_and_reads_arrays_at_every_count_boundary),
    T(writes_and_reads_maps_at_every_count_boundary),
    T(accepts_sample_value_and_reads_it_token_by_token),
    T(rejects_non_shortest_uint),
    T(rejects_positive_value_in_signed_form),
    T(rejects_non_shortest_negative_int),
    T(rejects_non_shortest_str_and_bin_lengths),
    T(rejects_non_shortest_container_counts),
    T(rejects_floats),
    T(rejects_extension_types),
    T(rejects_never_used_byte_c1),
    T(accepts_map_keys_sorted_bytewise),
    T(rejects_unsorted_map_keys),
    T(rejects_duplicate_map_keys),
    T(rejects_non_string_map_keys),
    T(accepts_valid_utf8_at_the_edges),
    T(rejects_invalid_utf8),
    T(utf8_after_ascii_runs_at_every_offset),
    T(rejects_invalid_utf8_in_map_keys),
    T(accepts_bin_that_is_not_utf8),
    T(rejects_trailing_bytes),
    T(rejects_empty_input),
    T(rejects_every_truncation_of_a_valid_value),
    T(rejects_truncated_scalar_heads),
    T(rejects_array_count_past_end),
    T(rejects_map_count_past_end),
    T(rejects_str_and_bin_length_past_end),
    T(accepts_nesting_up_to_depth_max),
    T(rejects_nesting_deeper_than_depth_max),
    T(rejects_deep_nesting_without_recursing_into_it),
    T(skip_honours_its_depth_argument),
    T(array_reader_enforces_its_limit),
    T(map_reader_enforces_its_limit),
    T(str_reader_enforces_its_limit),
    T(bin_reader_enforces_its_limit),
    T(typed_readers_reject_wrong_types),
    T(bin_exact_requires_the_exact_length),
    T(bin_or_nil_reads_nil_as_null),
    T(mpmap_decodes_fields_in_place),
    T(mpmap_getter_reports_missing_field_as_not_found),
    T(mpmap_getters_read_each_type),
    T(mpmap_getters_reject_wrong_types),
    T(mpmap_getters_enforce_max),
    T(mpmap_cstr_refuses_embedded_nul),
    T(mpmap_cstr_refuses_string_of_cap_bytes_or_more),
    T(mpmap_decode_accepts_up_to_fields_max),
    T(mpmap_decode_rejects_more_than_fields_max),
    T(mpmap_decode_rejects_what_mp_check_rejects),
    T(mpmap_decode_rejects_non_maps),
    T(mpmap_decode_accepts_empty_map),
    T(writer_overflow_past_max_is_reported_by_finish),
    T(writer_accepts_exactly_max_bytes),
    T(writer_raw_appends_and_respects_max),
    T(writer_reset_forgets_content_and_overflow),
    T(writer_grows_past_its_first_buffer),
    T(writer_take_hands_over_the_buffer),
    T(writer_take_of_empty_writer_gives_a_buffer))
