/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests for proto/wire.h: every message type encodes and decodes back
 * to what was sent, and the decoder refuses, with the exact code, each
 * kind of input a correct peer never sends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mp.h"
#include "proto/record.h"
#include "proto/wire.h"
#include "tests/unit/test.h"

static const uint8_t net[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* A string of len copies of c, for limit tests (len < sizeof(buf)). */
static const char *
repeat(char *buf, size_t len, char c)
{
	memset(buf, c, len);
	buf[len] = '\0';
	return buf;
}

/* Decode what w holds. */
static int
decode_w(struct wire_msg *m, const struct mpw *w, struct errbuf *eb)
{
	if (mpw_finish(w, "test", eb) != 0)
		return -1;
	return wire_decode(m, w->buf, w->len, eb);
}

static int
str_is(struct wire_str s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.s, want, s.len) == 0;
}

/* Every prefix of a valid message is refused, and so is a byte more. */
static void
check_truncations_and_trailing(const uint8_t *buf, size_t len)
{
	struct wire_msg m;
	struct errbuf eb;
	uint8_t *copy;

	for (size_t n = 0; n < len; n++) {
		/* A heap block of exactly n bytes, for ASan. */
		copy = malloc(n ? n : 1);
		REQUIRE(copy != NULL);
		memcpy(copy, buf, n);
		if (wire_decode(&m, copy, n, &eb) == 0) {
			fprintf(stderr, "  prefix of %zu/%zu bytes accepted\n",
			    n, len);
			CHECK(0);
		}
		free(copy);
	}
	copy = malloc(len + 1);
	REQUIRE(copy != NULL);
	memcpy(copy, buf, len);
	copy[len] = 0xc0;
	CHECK_EQ_INT(wire_decode(&m, copy, len + 1, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "trailing") != NULL);
	free(copy);
}

/* A joiner key for JOIN messages. */
static const uint8_t secret_key[32] = { 0x4a, 0x4f, 0x49, 0x4e };

TEST(round_trips_hello)
{
	const char *features[] = { "neg1", "push" };
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	wire_hello(&w, net, "Amie du Rhône", features, 2);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_HELLO);
	CHECK_EQ_INT(m.version, WIRE_VERSION);
	CHECK(memcmp(m.network_id, net, 32) == 0);
	CHECK(str_is(m.name, "Amie du Rhône"));
	REQUIRE(m.features_count == 2);
	CHECK(str_is(m.features[0], "neg1"));
	CHECK(str_is(m.features[1], "push"));
	check_truncations_and_trailing(w.buf, w.len);

	/* No features at all is fine too. */
	mpw_reset(&w);
	wire_hello(&w, net, "", NULL, 0);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.features_count, 0);
	CHECK_EQ_INT(m.name.len, 0);
	mpw_release(&w);
}

TEST(round_trips_join)
{
	static const uint8_t secret[WIRE_SECRET_LEN] = {
		0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	};
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	wire_join(&w, secret, secret_key, "Amie Lyon", "Auvergne-Rhône-Alpes",
	    "tcp://amie.example.org:7400");
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_JOIN);
	CHECK(memcmp(m.secret, secret, sizeof(secret)) == 0);
	CHECK(memcmp(m.key, secret_key, sizeof(secret_key)) == 0);
	CHECK(str_is(m.name, "Amie Lyon"));
	CHECK(str_is(m.region, "Auvergne-Rhône-Alpes"));
	CHECK(str_is(m.endpoint, "tcp://amie.example.org:7400"));
	check_truncations_and_trailing(w.buf, w.len);
	mpw_release(&w);
}

TEST(round_trips_neg_open_and_neg_msg)
{
	static const uint8_t neg[] = { 0x61, 0x00, 0x02, 0x01, 0xff };
	static const enum wire_type types[] = { WIRE_NEG_OPEN, WIRE_NEG_MSG };
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	for (size_t i = 0; i < 2; i++) {
		mpw_reset(&w);
		wire_neg(&w, types[i], 0x123456789ull, neg, sizeof(neg));
		REQUIRE(decode_w(&m, &w, &eb) == 0);
		CHECK_EQ_INT(m.type, types[i]);
		CHECK(m.session == 0x123456789ull);
		REQUIRE(m.neg_len == sizeof(neg));
		CHECK(memcmp(m.neg, neg, sizeof(neg)) == 0);
		check_truncations_and_trailing(w.buf, w.len);
	}
	mpw_release(&w);
}

TEST(round_trips_neg_close_and_neg_err)
{
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	wire_neg_close(&w, 7);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_NEG_CLOSE);
	CHECK_EQ_INT(m.session, 7);
	check_truncations_and_trailing(w.buf, w.len);

	mpw_reset(&w);
	wire_neg_err(&w, UINT64_MAX, "frame too large");
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_NEG_ERR);
	CHECK(m.session == UINT64_MAX);
	CHECK(str_is(m.reason, "frame too large"));
	check_truncations_and_trailing(w.buf, w.len);
	mpw_release(&w);
}

TEST(round_trips_have_and_want)
{
	static const enum wire_type types[] = { WIRE_HAVE, WIRE_WANT };
	uint8_t ids[3][32];
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	for (size_t i = 0; i < 3; i++)
		memset(ids[i], (int)(0xa0 + i), 32);
	mpw_init(&w, WIRE_MSG_MAX);
	for (size_t t = 0; t < 2; t++) {
		mpw_reset(&w);
		wire_ids(&w, types[t], (const uint8_t (*)[32])ids, 3);
		REQUIRE(decode_w(&m, &w, &eb) == 0);
		CHECK_EQ_INT(m.type, types[t]);
		REQUIRE(m.count == 3);
		CHECK_EQ_INT(m.items_len, 3 * WIRE_ID_STRIDE);
		for (uint32_t i = 0; i < 3; i++)
			CHECK(memcmp(wire_id(&m, i), ids[i], 32) == 0);
		check_truncations_and_trailing(w.buf, w.len);

		mpw_reset(&w);
		wire_ids(&w, types[t], NULL, 0);
		REQUIRE(decode_w(&m, &w, &eb) == 0);
		CHECK_EQ_INT(m.count, 0);
	}
	mpw_release(&w);
}

TEST(round_trips_records)
{
	static const uint8_t a[] = { 0x93, 0xc4, 0x01, 0x00, 0xc4, 0x00,
		0xc0 };
	static const uint8_t b[] = { 1, 2, 3 };
	const uint8_t *rec;
	size_t len;
	struct wire_msg m;
	struct errbuf eb;
	struct mpr it;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	wire_records_begin(&w, 3);
	mpw_bin(&w, a, sizeof(a));
	mpw_bin(&w, b, sizeof(b));
	mpw_bin(&w, b, 0);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_RECORDS);
	REQUIRE(m.count == 3);
	mpr_init(&it, m.items, m.items_len);
	wire_record_next(&it, &rec, &len);
	CHECK(len == sizeof(a) && memcmp(rec, a, len) == 0);
	wire_record_next(&it, &rec, &len);
	CHECK(len == sizeof(b) && memcmp(rec, b, len) == 0);
	wire_record_next(&it, &rec, &len);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_INT(mpr_left(&it), 0);
	check_truncations_and_trailing(w.buf, w.len);

	mpw_reset(&w);
	wire_records_begin(&w, 0);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.count, 0);
	mpw_release(&w);
}

TEST(round_trips_ping_pong_and_error)
{
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	wire_ping(&w, WIRE_PING, 42);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_PING);
	CHECK_EQ_INT(m.nonce, 42);
	check_truncations_and_trailing(w.buf, w.len);

	mpw_reset(&w);
	wire_ping(&w, WIRE_PONG, 1ull << 40);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_PONG);
	CHECK(m.nonce == 1ull << 40);
	check_truncations_and_trailing(w.buf, w.len);

	mpw_reset(&w);
	wire_error(&w, AMIE_EREFUSED, "not a member");
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.type, WIRE_ERROR);
	CHECK_EQ_INT(m.code, AMIE_EREFUSED);
	CHECK(str_is(m.reason, "not a member"));
	check_truncations_and_trailing(w.buf, w.len);
	mpw_release(&w);
}

TEST(names_every_type)
{
	CHECK_STR(wire_type_name(WIRE_HELLO), "HELLO");
	CHECK_STR(wire_type_name(WIRE_NEG_CLOSE), "NEG_CLOSE");
	CHECK_STR(wire_type_name(WIRE_ERROR), "ERROR");
	CHECK_STR(wire_type_name((enum wire_type)0), "UNKNOWN");
	CHECK_STR(wire_type_name((enum wire_type)99), "UNKNOWN");
}

TEST(refuses_unknown_type)
{
	/* ["BYE", 1] and ["ping", 1]: names are case-sensitive. */
	static const uint8_t bye[] = { 0x92, 0xa3, 'B', 'Y', 'E', 0x01 };
	static const uint8_t ping[] = { 0x92, 0xa4, 'p', 'i', 'n', 'g', 0x01 };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, bye, sizeof(bye), &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "unknown message type") != NULL);
	CHECK_EQ_INT(wire_decode(&m, ping, sizeof(ping), &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "unknown message type") != NULL);
}

TEST(refuses_type_that_is_not_a_string)
{
	static const uint8_t num[] = { 0x92, 0x07, 0x01 };
	static const uint8_t bin[] = { 0x92, 0xc4, 0x04, 'P', 'I', 'N', 'G',
		0x01 };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, num, sizeof(num), &eb), AMIE_EPROTO);
	CHECK_EQ_INT(wire_decode(&m, bin, sizeof(bin), &eb), AMIE_EPROTO);
}

TEST(refuses_what_is_not_a_non_empty_array)
{
	static const uint8_t empty[] = { 0x90 };
	static const uint8_t map[] = { 0x81, 0xa4, 'P', 'I', 'N', 'G', 0x01 };
	static const uint8_t str[] = { 0xa4, 'P', 'I', 'N', 'G' };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, empty, sizeof(empty), &eb), AMIE_EPROTO);
	CHECK_EQ_INT(wire_decode(&m, map, sizeof(map), &eb), AMIE_EPROTO);
	CHECK_EQ_INT(wire_decode(&m, str, sizeof(str), &eb), AMIE_EPROTO);
	CHECK_EQ_INT(wire_decode(&m, str, 0, &eb), AMIE_EPROTO);
}

TEST(refuses_wrong_element_count)
{
	/* ["PING"], ["PING", 1, 2], ["NEG_CLOSE", 1, 2], ["HELLO", 1]. */
	static const uint8_t short_ping[] = { 0x91, 0xa4, 'P', 'I', 'N', 'G' };
	static const uint8_t long_ping[] = { 0x93, 0xa4, 'P', 'I', 'N', 'G',
		0x01, 0x02 };
	static const uint8_t long_close[] = { 0x93, 0xa9, 'N', 'E', 'G', '_',
		'C', 'L', 'O', 'S', 'E', 0x01, 0x02 };
	static const uint8_t short_hello[] = { 0x92, 0xa5, 'H', 'E', 'L', 'L',
		'O', 0x01 };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, short_ping, sizeof(short_ping), &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "expected 2") != NULL);
	CHECK_EQ_INT(wire_decode(&m, long_ping, sizeof(long_ping), &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "expected 2") != NULL);
	CHECK_EQ_INT(wire_decode(&m, long_close, sizeof(long_close), &eb),
	    AMIE_EPROTO);
	CHECK_EQ_INT(wire_decode(&m, short_hello, sizeof(short_hello), &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "expected 5") != NULL);
}

TEST(refuses_non_canonical_int)
{
	/* ["PING", 5] with 5 as uint16 (cd 00 05), then as uint8 (cc 05). */
	static const uint8_t u16[] = { 0x92, 0xa4, 'P', 'I', 'N', 'G', 0xcd,
		0x00, 0x05 };
	static const uint8_t u8[] = { 0x92, 0xa4, 'P', 'I', 'N', 'G', 0xcc,
		0x05 };
	static const uint8_t ok[] = { 0x92, 0xa4, 'P', 'I', 'N', 'G', 0x05 };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, u16, sizeof(u16), &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "non-canonical") != NULL);
	CHECK_EQ_INT(wire_decode(&m, u8, sizeof(u8), &eb), AMIE_EPROTO);
	CHECK_EQ_INT(wire_decode(&m, ok, sizeof(ok), &eb), 0);
	CHECK_EQ_INT(m.nonce, 5);
}

TEST(refuses_negative_int_where_uint_expected)
{
	static const uint8_t neg[] = { 0x92, 0xa4, 'P', 'O', 'N', 'G', 0xff };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, neg, sizeof(neg), &eb), AMIE_EPROTO);
}

TEST(refuses_ids_over_limit)
{
	static uint8_t ids[WIRE_IDS_MAX + 1][32];
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	for (size_t i = 0; i <= WIRE_IDS_MAX; i++)
		memcpy(ids[i], &i, sizeof(i));
	mpw_init(&w, WIRE_MSG_MAX);
	wire_ids(&w, WIRE_HAVE, (const uint8_t (*)[32])ids, WIRE_IDS_MAX);
	REQUIRE(decode_w(&m, &w, &eb) == 0);
	CHECK_EQ_INT(m.count, WIRE_IDS_MAX);
	CHECK(memcmp(wire_id(&m, WIRE_IDS_MAX - 1), ids[WIRE_IDS_MAX - 1],
	    32) == 0);

	/* One more, written by hand: the encoder refuses to. */
	mpw_reset(&w);
	mpw_array(&w, 2);
	mpw_cstr(&w, "WANT");
	mpw_array(&w, WIRE_IDS_MAX + 1);
	for (size_t i = 0; i <= WIRE_IDS_MAX; i++)
		mpw_bin(&w, ids[i], 32);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);
	mpw_release(&w);
}

TEST(refuses_id_of_31_or_33_bytes)
{
	uint8_t id[33] = { 0 };
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	mpw_array(&w, 2);
	mpw_cstr(&w, "HAVE");
	mpw_array(&w, 2);
	mpw_bin(&w, id, 32);
	mpw_bin(&w, id, 31);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "expected 32") != NULL);

	mpw_reset(&w);
	mpw_array(&w, 2);
	mpw_cstr(&w, "HAVE");
	mpw_array(&w, 1);
	mpw_bin(&w, id, 33);
	CHECK(decode_w(&m, &w, &eb) != 0);
	mpw_release(&w);
}

TEST(refuses_id_in_a_non_canonical_bin)
{
	/* ["HAVE", [id]] with the id as bin 16 (c5 00 20): the stride that
	 * wire_id() relies on would be wrong. */
	uint8_t msg[6 + 1 + 3 + 32] = { 0x92, 0xa4, 'H', 'A', 'V', 'E', 0x91,
		0xc5, 0x00, 0x20 };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, msg, sizeof(msg), &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "non-canonical") != NULL);
}

TEST(refuses_count_announced_past_end)
{
	/* ["WANT", array of 2^32-1 ids] in 11 bytes. */
	static const uint8_t want[] = { 0x92, 0xa4, 'W', 'A', 'N', 'T', 0xdd,
		0xff, 0xff, 0xff, 0xff };
	/* ["RECORDS", [bin of 2^32-1 bytes]]. */
	static const uint8_t recs[] = { 0x92, 0xa7, 'R', 'E', 'C', 'O', 'R',
		'D', 'S', 0x91, 0xc6, 0xff, 0xff, 0xff, 0xff };
	/* An outer array of 65535 elements. */
	static const uint8_t outer[] = { 0xdc, 0xff, 0xff, 0xa4, 'P', 'I',
		'N', 'G' };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, want, sizeof(want), &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "announced") != NULL);
	CHECK_EQ_INT(wire_decode(&m, recs, sizeof(recs), &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "announced") != NULL);
	CHECK_EQ_INT(wire_decode(&m, outer, sizeof(outer), &eb), AMIE_EPROTO);
}

TEST(refuses_records_over_limit)
{
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;
	uint8_t *big;

	mpw_init(&w, WIRE_MSG_MAX);
	mpw_array(&w, 2);
	mpw_cstr(&w, "RECORDS");
	mpw_array(&w, WIRE_RECORDS_MAX + 1);
	for (size_t i = 0; i <= WIRE_RECORDS_MAX; i++)
		mpw_bin(&w, NULL, 0);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);

	/* One record one byte over RECORD_ENCODED_MAX. */
	big = calloc(1, RECORD_ENCODED_MAX + 1);
	REQUIRE(big != NULL);
	mpw_reset(&w);
	wire_records_begin(&w, 1);
	mpw_bin(&w, big, RECORD_ENCODED_MAX + 1);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);

	/* At the limit it passes. */
	mpw_reset(&w);
	wire_records_begin(&w, 1);
	mpw_bin(&w, big, RECORD_ENCODED_MAX);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), 0);
	free(big);
	mpw_release(&w);
}

TEST(refuses_strings_over_limit)
{
	static const uint8_t secret[WIRE_SECRET_LEN];
	char s[WIRE_REASON_MAX + 2];
	const char *features[WIRE_FEATURES_MAX + 1];
	struct wire_msg m;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	wire_hello(&w, net, repeat(s, WIRE_NAME_MAX, 'n'), NULL, 0);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), 0);
	mpw_reset(&w);
	wire_hello(&w, net, repeat(s, WIRE_NAME_MAX + 1, 'n'), NULL, 0);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);
	CHECK(strstr(eb.msg, "HELLO.name") != NULL);

	mpw_reset(&w);
	wire_join(&w, secret, secret_key, "n", repeat(s, WIRE_NAME_MAX + 1, 'r'), "e");
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);
	mpw_reset(&w);
	wire_join(&w, secret, secret_key, "n", "r", repeat(s, WIRE_ENDPOINT_MAX + 1, 'e'));
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);
	CHECK(strstr(eb.msg, "JOIN.endpoint") != NULL);

	mpw_reset(&w);
	wire_neg_err(&w, 1, repeat(s, WIRE_REASON_MAX, 'x'));
	CHECK_EQ_INT(decode_w(&m, &w, &eb), 0);
	mpw_reset(&w);
	wire_neg_err(&w, 1, repeat(s, WIRE_REASON_MAX + 1, 'x'));
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);
	mpw_reset(&w);
	wire_error(&w, 1, repeat(s, WIRE_REASON_MAX + 1, 'x'));
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);

	/* Feature names: at most WIRE_FEATURE_MAX bytes each ... */
	features[0] = repeat(s, WIRE_FEATURE_MAX + 1, 'f');
	mpw_reset(&w);
	wire_hello(&w, net, "n", features, 1);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);

	/* ... and at most WIRE_FEATURES_MAX of them. */
	repeat(s, 1, 'f');
	for (size_t i = 0; i <= WIRE_FEATURES_MAX; i++)
		features[i] = s;
	mpw_reset(&w);
	wire_hello(&w, net, "n", features, WIRE_FEATURES_MAX);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), 0);
	CHECK_EQ_INT(m.features_count, WIRE_FEATURES_MAX);
	mpw_reset(&w);
	mpw_array(&w, 5);
	mpw_cstr(&w, "HELLO");
	mpw_uint(&w, WIRE_VERSION);
	mpw_bin(&w, net, 32);
	mpw_cstr(&w, "n");
	mpw_array(&w, WIRE_FEATURES_MAX + 1);
	for (size_t i = 0; i <= WIRE_FEATURES_MAX; i++)
		mpw_cstr(&w, features[i]);
	CHECK_EQ_INT(decode_w(&m, &w, &eb), AMIE_ELIMIT);
	mpw_release(&w);
}

TEST(refuses_invalid_utf8)
{
	/* ["ERROR", 1, "\xc0\xaf"]: an overlong '/'. */
	static const uint8_t msg[] = { 0x93, 0xa5, 'E', 'R', 'R', 'O', 'R',
		0x01, 0xa2, 0xc0, 0xaf };
	struct wire_msg m;
	struct errbuf eb;

	CHECK_EQ_INT(wire_decode(&m, msg, sizeof(msg), &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "UTF-8") != NULL);
}

TEST(refuses_message_over_limit)
{
	uint8_t *buf = calloc(1, WIRE_MSG_MAX + 1);
	struct wire_msg m;
	struct errbuf eb;

	REQUIRE(buf != NULL);
	CHECK_EQ_INT(wire_decode(&m, buf, WIRE_MSG_MAX + 1, &eb), AMIE_ELIMIT);
	free(buf);
}

TEST(leaves_message_untouched_on_failure)
{
	static const uint8_t bad[] = { 0x92, 0xa4, 'P', 'I', 'N', 'G', 0xcd,
		0x00, 0x05 };
	struct wire_msg m, before;
	struct errbuf eb;

	memset(&m, 0x5a, sizeof(m));
	before = m;
	CHECK(wire_decode(&m, bad, sizeof(bad), &eb) != 0);
	CHECK(memcmp(&m, &before, sizeof(m)) == 0);
}

TESTS(T(round_trips_hello), T(round_trips_join),
    T(round_trips_neg_open_and_neg_msg), T(round_trips_neg_close_and_neg_err),
    T(round_trips_have_and_want), T(round_trips_records),
    T(round_trips_ping_pong_and_error), T(names_every_type),
    T(refuses_unknown_type), T(refuses_type_that_is_not_a_string),
    T(refuses_what_is_not_a_non_empty_array), T(refuses_wrong_element_count),
    T(refuses_non_canonical_int), T(refuses_negative_int_where_uint_expected),
    T(refuses_ids_over_limit), T(refuses_id_of_31_or_33_bytes),
    T(refuses_id_in_a_non_canonical_bin), T(refuses_count_announced_past_end),
    T(refuses_records_over_limit), T(refuses_strings_over_limit),
    T(refuses_invalid_utf8), T(refuses_message_over_limit),
    T(leaves_message_untouched_on_failure))
