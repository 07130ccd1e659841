/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* proto/body.c: the membership bodies round trip and refuse what a
 * correct peer never sends. */
#include <string.h>

#include "proto/body.h"
#include "tests/unit/test.h"

#define S(lit) ((struct body_str){ (lit), sizeof(lit) - 1 })

static int
str_is(struct body_str s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.s, want, s.len) == 0;
}

static void
sample_add(struct body_member_add *a)
{
	memset(a, 0, sizeof(*a));
	a->name = S("Amie Lyon");
	a->region = S("ARA");
	a->endpoint = S("tcp://lyon.example:7411");
	a->contact = S("tech@lyon.example");
	memset(a->invited_by, 0x42, sizeof(a->invited_by));
}

static void
sample_info(struct body_node_info *n)
{
	memset(n, 0, sizeof(*n));
	n->name = S("Amie Lyon");
	n->region = S("ARA");
	n->contact = S("tech@lyon.example");
	n->endpoints_count = 2;
	n->endpoints[0] = S("tcp://lyon.example:7411");
	n->endpoints[1] = S("tcp://[2001:db8::1]:7411");
}

/* Encode a map of one string field per pair of arguments, keys in the
 * given (caller-sorted) order. */
static void
encode_strs(struct mpw *w, uint32_t n, const char *const *kv)
{
	mpw_map(w, n);
	for (uint32_t i = 0; i < n; i++) {
		mpw_cstr(w, kv[2 * i]);
		mpw_cstr(w, kv[2 * i + 1]);
	}
}

TEST(member_add_round_trips)
{
	struct body_member_add a, b;
	struct errbuf eb;
	struct mpw w, w2;

	sample_add(&a);
	mpw_init(&w, 4096);
	mpw_init(&w2, 4096);
	body_member_add_encode(&a, &w);
	REQUIRE(mpw_finish(&w, "add", &eb) == 0);
	REQUIRE(body_member_add_decode(&b, w.buf, w.len, &eb) == 0);
	CHECK(str_is(b.name, "Amie Lyon"));
	CHECK(str_is(b.region, "ARA"));
	CHECK(str_is(b.endpoint, "tcp://lyon.example:7411"));
	CHECK(str_is(b.contact, "tech@lyon.example"));
	CHECK(memcmp(b.invited_by, a.invited_by, 32) == 0);
	/* Re-encoding what was decoded gives the same bytes. */
	body_member_add_encode(&b, &w2);
	CHECK(w2.len == w.len && memcmp(w2.buf, w.buf, w.len) == 0);
	CHECK_EQ_INT(mp_check(w.buf, w.len, "add", &eb), 0);
	mpw_release(&w);
	mpw_release(&w2);
}

TEST(member_add_takes_an_empty_endpoint_and_optional_fields)
{
	static const uint8_t key[32] = { 1 };
	struct body_member_add a;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, 4096);
	mpw_map(&w, 2);
	mpw_cstr(&w, "invited_by");
	mpw_bin(&w, key, 32);
	mpw_cstr(&w, "name");
	mpw_cstr(&w, "X");
	REQUIRE(body_member_add_decode(&a, w.buf, w.len, &eb) == 0);
	CHECK_EQ_INT(a.endpoint.len, 0);
	CHECK_EQ_INT(a.region.len, 0);
	mpw_release(&w);
}

TEST(member_add_refuses_bad_fields)
{
	struct body_member_add a;
	struct errbuf eb;
	struct mpw w;
	char longname[BODY_NAME_MAX + 2];

	mpw_init(&w, 4096);

	/* No invited_by. */
	encode_strs(&w, 1, (const char *const[]){ "name", "X" });
	CHECK_EQ_INT(body_member_add_decode(&a, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "invited_by") != NULL);

	/* An endpoint that is not tcp://. */
	sample_add(&a);
	a.endpoint = S("udp://x:1");
	mpw_reset(&w);
	body_member_add_encode(&a, &w);
	CHECK_EQ_INT(body_member_add_decode(&a, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "endpoint") != NULL);

	/* The scheme alone. */
	sample_add(&a);
	a.endpoint = S("tcp://");
	mpw_reset(&w);
	body_member_add_encode(&a, &w);
	CHECK_EQ_INT(body_member_add_decode(&a, w.buf, w.len, &eb),
	    AMIE_EPROTO);

	/* An empty name. */
	sample_add(&a);
	a.name = S("");
	mpw_reset(&w);
	body_member_add_encode(&a, &w);
	CHECK_EQ_INT(body_member_add_decode(&a, w.buf, w.len, &eb),
	    AMIE_EPROTO);

	/* A name over its limit. */
	memset(longname, 'n', sizeof(longname));
	sample_add(&a);
	a.name.s = longname;
	a.name.len = BODY_NAME_MAX + 1;
	mpw_reset(&w);
	body_member_add_encode(&a, &w);
	CHECK_EQ_INT(body_member_add_decode(&a, w.buf, w.len, &eb),
	    AMIE_ELIMIT);

	/* invited_by of the wrong size. */
	mpw_reset(&w);
	mpw_map(&w, 2);
	mpw_cstr(&w, "invited_by");
	mpw_bin(&w, (const uint8_t *)"short", 5);
	mpw_cstr(&w, "name");
	mpw_cstr(&w, "X");
	CHECK_EQ_INT(body_member_add_decode(&a, w.buf, w.len, &eb),
	    AMIE_EPROTO);

	/* Keys out of order. */
	mpw_reset(&w);
	encode_strs(&w, 2, (const char *const[]){ "name", "X", "contact",
	    "y" });
	CHECK_EQ_INT(body_member_add_decode(&a, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	mpw_release(&w);
}

TEST(member_remove_round_trips)
{
	struct body_member_remove m = { S("compromised"), 1764320000123ull };
	struct body_member_remove b;
	struct errbuf eb;
	struct mpw w, w2;

	mpw_init(&w, 256);
	mpw_init(&w2, 256);
	body_member_remove_encode(&m, &w);
	REQUIRE(body_member_remove_decode(&b, w.buf, w.len, &eb) == 0);
	CHECK(str_is(b.reason, "compromised"));
	CHECK_EQ_INT(b.effective_from, 1764320000123ull);
	body_member_remove_encode(&b, &w2);
	CHECK(w2.len == w.len && memcmp(w2.buf, w.buf, w.len) == 0);

	m.reason = S("retired");
	m.effective_from = 0;
	mpw_reset(&w);
	body_member_remove_encode(&m, &w);
	REQUIRE(body_member_remove_decode(&b, w.buf, w.len, &eb) == 0);
	CHECK(str_is(b.reason, "retired"));
	CHECK_EQ_INT(b.effective_from, 0);
	mpw_release(&w);
	mpw_release(&w2);
}

TEST(member_remove_refuses_unknown_reasons_and_missing_fields)
{
	struct body_member_remove m = { S("bored"), 5 }, b;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, 256);
	body_member_remove_encode(&m, &w);
	CHECK_EQ_INT(body_member_remove_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "retired or compromised") != NULL);

	m.reason = S("retiredx");
	mpw_reset(&w);
	body_member_remove_encode(&m, &w);
	CHECK_EQ_INT(body_member_remove_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);

	mpw_reset(&w);
	encode_strs(&w, 1, (const char *const[]){ "reason", "retired" });
	CHECK_EQ_INT(body_member_remove_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "effective_from") != NULL);

	/* effective_from as a string. */
	mpw_reset(&w);
	encode_strs(&w, 2, (const char *const[]){ "effective_from", "5",
	    "reason", "retired" });
	CHECK_EQ_INT(body_member_remove_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	mpw_release(&w);
}

TEST(node_info_round_trips)
{
	struct body_node_info n, b;
	struct errbuf eb;
	struct mpw w, w2;

	sample_info(&n);
	mpw_init(&w, 4096);
	mpw_init(&w2, 4096);
	body_node_info_encode(&n, &w);
	REQUIRE(body_node_info_decode(&b, w.buf, w.len, &eb) == 0);
	CHECK(str_is(b.name, "Amie Lyon"));
	CHECK(str_is(b.region, "ARA"));
	CHECK(str_is(b.contact, "tech@lyon.example"));
	REQUIRE(b.endpoints_count == 2);
	CHECK(str_is(b.endpoints[0], "tcp://lyon.example:7411"));
	CHECK(str_is(b.endpoints[1], "tcp://[2001:db8::1]:7411"));
	body_node_info_encode(&b, &w2);
	CHECK(w2.len == w.len && memcmp(w2.buf, w.buf, w.len) == 0);
	CHECK_EQ_INT(mp_check(w.buf, w.len, "info", &eb), 0);
	mpw_release(&w);
	mpw_release(&w2);
}

TEST(node_info_refuses_bad_endpoints)
{
	struct body_node_info n, b;
	struct errbuf eb;
	struct mpw w;
	char longep[BODY_ENDPOINT_MAX + 2];

	mpw_init(&w, 4096);

	sample_info(&n);
	n.endpoints_count = 0;
	body_node_info_encode(&n, &w);
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "endpoints") != NULL);

	/* One endpoint too many. */
	mpw_reset(&w);
	mpw_map(&w, 2);
	mpw_cstr(&w, "endpoints");
	mpw_array(&w, BODY_ENDPOINTS_MAX + 1);
	for (int i = 0; i < BODY_ENDPOINTS_MAX + 1; i++)
		mpw_cstr(&w, "tcp://a:1");
	mpw_cstr(&w, "name");
	mpw_cstr(&w, "X");
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_ELIMIT);

	sample_info(&n);
	n.endpoints[1] = S("ipc:///tmp/x");
	mpw_reset(&w);
	body_node_info_encode(&n, &w);
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);

	sample_info(&n);
	n.endpoints[0] = (struct body_str){ "tcp://a\0b:1", 11 };
	mpw_reset(&w);
	body_node_info_encode(&n, &w);
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "NUL") != NULL);

	memset(longep, 'e', sizeof(longep));
	memcpy(longep, "tcp://", 6);
	sample_info(&n);
	n.endpoints[0].s = longep;
	n.endpoints[0].len = BODY_ENDPOINT_MAX + 1;
	mpw_reset(&w);
	body_node_info_encode(&n, &w);
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_ELIMIT);

	/* endpoints missing, or not an array. */
	mpw_reset(&w);
	encode_strs(&w, 1, (const char *const[]){ "name", "X" });
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	mpw_reset(&w);
	encode_strs(&w, 2, (const char *const[]){ "endpoints", "tcp://a:1",
	    "name", "X" });
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	mpw_release(&w);
}

/*
 * A charter without a quorum or a founder is malformed, as every other
 * body with a required field missing: AMIE_EPROTO, not AMIE_ENOTFOUND,
 * which the store would hand on as the record's code.
 */
TEST(charter_refuses_missing_fields_as_malformed)
{
	struct body_charter c = { S("Amies"), { 0 }, 2, 3 }, b;
	struct errbuf eb;
	struct mpw w;

	memset(c.founder, 0x42, sizeof(c.founder));
	mpw_init(&w, 256);
	body_charter_encode(&c, &w);
	CHECK_EQ_INT(body_charter_decode(&b, w.buf, w.len, &eb), 0);

	/* No founder. */
	mpw_reset(&w);
	mpw_map(&w, 3);
	mpw_cstr(&w, "admit_quorum");
	mpw_uint(&w, 2);
	mpw_cstr(&w, "name");
	mpw_cstr(&w, "Amies");
	mpw_cstr(&w, "remove_quorum");
	mpw_uint(&w, 3);
	CHECK_EQ_INT(body_charter_decode(&b, w.buf, w.len, &eb), AMIE_EPROTO);
	CHECK_EQ_INT(eb.code, AMIE_EPROTO);
	CHECK(strstr(eb.msg, "founder") != NULL);

	/* No admit_quorum. */
	mpw_reset(&w);
	mpw_map(&w, 3);
	mpw_cstr(&w, "founder");
	mpw_bin(&w, c.founder, sizeof(c.founder));
	mpw_cstr(&w, "name");
	mpw_cstr(&w, "Amies");
	mpw_cstr(&w, "remove_quorum");
	mpw_uint(&w, 3);
	CHECK_EQ_INT(body_charter_decode(&b, w.buf, w.len, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "admit_quorum") != NULL);
	mpw_release(&w);
}

TEST(decoders_ignore_unknown_fields_and_refuse_trailing_bytes)
{
	struct body_node_info b;
	struct errbuf eb;
	struct mpw w;

	mpw_init(&w, 4096);
	mpw_map(&w, 3);
	mpw_cstr(&w, "endpoints");
	mpw_array(&w, 1);
	mpw_cstr(&w, "tcp://a:1");
	mpw_cstr(&w, "future");
	mpw_uint(&w, 7);
	mpw_cstr(&w, "name");
	mpw_cstr(&w, "X");
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb), 0);
	mpw_uint(&w, 0);
	CHECK_EQ_INT(body_node_info_decode(&b, w.buf, w.len, &eb),
	    AMIE_EPROTO);
	mpw_release(&w);
}

TESTS(T(member_add_round_trips),
    T(member_add_takes_an_empty_endpoint_and_optional_fields),
    T(member_add_refuses_bad_fields),
    T(member_remove_round_trips),
    T(member_remove_refuses_unknown_reasons_and_missing_fields),
    T(node_info_round_trips),
    T(node_info_refuses_bad_endpoints),
    T(charter_refuses_missing_fields_as_malformed),
    T(decoders_ignore_unknown_fields_and_refuse_trailing_bytes))
