/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Negentropy V1 against the reference vectors in tests/vectors/negentropy/
 * (produced by the upstream C++ implementation), and the refusals of
 * malformed messages.
 */
#include <inttypes.h>
#include <stdint.h>

#include <jansson.h>
#include <sodium.h>

#include "proto/negentropy.h"
#include "tests/unit/test.h"

#define VEC_DIR "tests/vectors/negentropy/"

static json_t *
load(const char *path)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (j == NULL)
		fprintf(stderr, "  %s: %s (line %d)\n", path, jerr.text,
		    jerr.line);
	return j;
}

static void
hex(const uint8_t *p, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * len] = '\0';
}

/* Whether the len bytes at p are the hex string want. */
static int
bytes_are(const uint8_t *p, size_t len, const char *want)
{
	char *h = malloc(2 * len + 1);
	int same;

	hex(p, len, h);
	same = strcmp(h, want) == 0;
	if (!same)
		fprintf(stderr, "  got  %.200s%s\n  want %.200s%s\n", h,
		    strlen(h) > 200 ? "..." : "", want,
		    strlen(want) > 200 ? "..." : "");
	free(h);
	return same;
}

/* id_i = SHA-256(ASCII decimal of i), the vectors' generator rule. */
static void
gen_id(uint64_t i, uint8_t id[NEG_ID_LEN])
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64, i);
	crypto_hash_sha256(id, (const uint8_t *)s, strlen(s));
}

static uint64_t
json_u64(const json_t *j)
{
	if (json_is_string(j))
		return strtoull(json_string_value(j), NULL, 10);
	return (uint64_t)json_integer_value(j);
}

/* Ids the client learnt, in the order reported. */
struct idset {
	uint8_t (*ids)[NEG_ID_LEN];
	size_t count;
	size_t cap;
};

static void
idset_add(struct idset *s, const uint8_t id[NEG_ID_LEN])
{
	if (s->count == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->ids = realloc(s->ids, s->cap * NEG_ID_LEN);
	}
	memcpy(s->ids[s->count++], id, NEG_ID_LEN);
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, NEG_ID_LEN);
}

/* Whether s, sorted, is the JSON array of sorted hex ids want. */
static int
idset_is(struct idset *s, const json_t *want)
{
	char h[2 * NEG_ID_LEN + 1];
	size_t i;

	if (s->count > 1)
		qsort(s->ids, s->count, NEG_ID_LEN, id_cmp);
	if (s->count != json_array_size(want)) {
		fprintf(stderr, "  %zu ids, expected %zu\n", s->count,
		    json_array_size(want));
		return 0;
	}
	for (i = 0; i < s->count; i++) {
		hex(s->ids[i], NEG_ID_LEN, h);
		if (strcmp(h, json_string_value(json_array_get(want, i))) != 0)
			return 0;
	}
	return 1;
}

struct learnt {
	struct idset have;
	struct idset need;
};

static int
on_id(void *ctx, int have, const uint8_t id[NEG_ID_LEN], struct errbuf *eb)
{
	struct learnt *l = ctx;

	(void)eb;
	idset_add(have ? &l->have : &l->need, id);
	return 0;
}

static int
on_id_refuse(void *ctx, int have, const uint8_t id[NEG_ID_LEN],
    struct errbuf *eb)
{
	(void)ctx;
	(void)have;
	(void)id;
	return fail(eb, AMIE_EREFUSED, "test: enough");
}

/* Fill v from a session's item description. */
static void
fill_side(struct neg_vector *v, const json_t *side, const json_t *gen)
{
	uint64_t base = json_u64(json_object_get(gen, "ts_base"));
	uint64_t div = json_u64(json_object_get(gen, "ts_div"));
	uint64_t step = json_u64(json_object_get(gen, "ts_step"));
	json_t *uni = json_object_get(side, "universe");
	json_t *mod = json_object_get(side, "exclude_mod");
	json_t *res = json_object_get(side, "exclude_residue");
	uint8_t id[NEG_ID_LEN];
	uint64_t i, n = uni ? json_u64(uni) : 0;

	neg_vector_init(v, 100000);
	for (i = 0; i < n; i++) {
		if (mod && i % json_u64(mod) == json_u64(res))
			continue;
		gen_id(i, id);
		if (neg_vector_add(v, base + i / div * step, id, NULL) != 0)
			abort();
	}
	neg_vector_seal(v);
}

/*
 * Run one session file: our client against our server with the file's
 * sets and frame limits, each message compared with the reference's, and
 * the have/need of every client step and of the whole session.
 */
static void
run_session(const char *name)
{
	char path[256];
	json_t *j, *ex, *step, *fl, *want;
	struct neg_vector cv, sv;
	struct neg_storage cs, ss;
	struct neg client, server;
	struct neg_buf cmsg, smsg;
	struct learnt all = { { 0 }, { 0 } }, one;
	struct errbuf eb = { 0 };
	size_t k;
	int done = 0, rc;

	snprintf(path, sizeof(path), VEC_DIR "sessions/%s.json", name);
	j = load(path);
	REQUIRE(j != NULL);
	fill_side(&cv, json_object_get(j, "client_items"),
	    json_object_get(j, "item_generator"));
	fill_side(&sv, json_object_get(j, "server_items"),
	    json_object_get(j, "item_generator"));
	CHECK_EQ_INT(cv.count, json_u64(json_object_get(json_object_get(j,
	    "client_items"), "count")));
	CHECK_EQ_INT(sv.count, json_u64(json_object_get(json_object_get(j,
	    "server_items"), "count")));
	neg_vector_storage(&cv, &cs);
	neg_vector_storage(&sv, &ss);
	fl = json_object_get(j, "frame_size_limit");
	REQUIRE(neg_init(&client, &cs, json_u64(json_object_get(fl,
	    "client")), &eb) == 0);
	REQUIRE(neg_init(&server, &ss, json_u64(json_object_get(fl,
	    "server")), &eb) == 0);
	neg_buf_init(&cmsg);
	neg_buf_init(&smsg);
	ex = json_object_get(j, "exchange");

	rc = neg_initiate(&client, &cmsg, &eb);
	CHECK_EQ_INT(rc, 0);
	CHECK(bytes_are(cmsg.data, cmsg.len, json_string_value(
	    json_object_get(json_array_get(ex, 0), "msg"))));
	for (k = 1; k < json_array_size(ex) && !done && !test_failed_; k++) {
		step = json_array_get(ex, k);
		if (k % 2 == 1) {
			rc = neg_reconcile_server(&server, cmsg.data, cmsg.len,
			    &smsg, &eb);
			CHECK_EQ_INT(rc, 0);
			CHECK(bytes_are(smsg.data, smsg.len, json_string_value(
			    json_object_get(step, "msg"))));
			continue;
		}
		memset(&one, 0, sizeof(one));
		rc = neg_reconcile_client(&client, smsg.data, smsg.len, &cmsg,
		    on_id, &one, &done, &eb);
		CHECK_EQ_INT(rc, 0);
		if (rc != 0)
			fprintf(stderr, "  %s\n", eb.msg);
		CHECK_EQ_INT(done, json_is_true(json_object_get(step, "done")));
		if (!done)
			CHECK(bytes_are(cmsg.data, cmsg.len, json_string_value(
			    json_object_get(step, "msg"))));
		else
			CHECK_EQ_INT(cmsg.len, 0);
		if ((want = json_object_get(step, "have")) != NULL)
			CHECK(idset_is(&one.have, want));
		if ((want = json_object_get(step, "need")) != NULL)
			CHECK(idset_is(&one.need, want));
		for (size_t i = 0; i < one.have.count; i++)
			idset_add(&all.have, one.have.ids[i]);
		for (size_t i = 0; i < one.need.count; i++)
			idset_add(&all.need, one.need.ids[i]);
		free(one.have.ids);
		free(one.need.ids);
	}
	CHECK(done);
	CHECK_EQ_INT(k, json_array_size(ex));
	CHECK(idset_is(&all.have, json_object_get(j, "have")));
	CHECK(idset_is(&all.need, json_object_get(j, "need")));

	free(all.have.ids);
	free(all.need.ids);
	neg_buf_release(&cmsg);
	neg_buf_release(&smsg);
	neg_release(&client);
	neg_release(&server);
	neg_vector_release(&cv);
	neg_vector_release(&sv);
	json_decref(j);
}

#define SESSION(n, file) TEST(session_##n##_matches_reference) \
	{ run_session(file); }
SESSION(01_identical_1000, "01_identical_1000")
SESSION(02_server_has_10_extra, "02_server_has_10_extra")
SESSION(03_server_missing_10, "03_server_missing_10")
SESSION(04_both_50_unique_5000_common, "04_both_50_unique_5000_common")
SESSION(05_client_empty_server_200, "05_client_empty_server_200")
SESSION(06_client_200_server_empty, "06_client_200_server_empty")
SESSION(07_framelimit_4096_20000_common_500_diff,
    "07_framelimit_4096_20000_common_500_diff")
SESSION(08_same_timestamp_3000, "08_same_timestamp_3000")
SESSION(09_framelimit_4096_client_empty_1000,
    "09_framelimit_4096_client_empty_server_1000")
SESSION(10_small_explicit, "10_small_explicit")

TEST(session_10_explicit_items_follow_generator)
{
	json_t *j = load(VEC_DIR "sessions/10_small_explicit.json");
	const char *sides[] = { "client_items", "server_items" };
	struct neg_vector v, listed;
	uint8_t id[NEG_ID_LEN];
	json_t *items, *it;
	size_t s, i;

	REQUIRE(j != NULL);
	for (s = 0; s < 2; s++) {
		fill_side(&v, json_object_get(j, sides[s]),
		    json_object_get(j, "item_generator"));
		items = json_object_get(json_object_get(j, sides[s]), "items");
		neg_vector_init(&listed, json_array_size(items));
		json_array_foreach(items, i, it) {
			REQUIRE(test_unhex(id, sizeof(id), json_string_value(
			    json_object_get(it, "id"))) == NEG_ID_LEN);
			REQUIRE(neg_vector_add(&listed, json_u64(
			    json_object_get(it, "timestamp")), id, NULL) == 0);
		}
		neg_vector_seal(&listed);
		CHECK_EQ_INT(v.count, listed.count);
		CHECK(v.count == listed.count && memcmp(v.items, listed.items,
		    v.count * sizeof(*v.items)) == 0);
		neg_vector_release(&listed);
		neg_vector_release(&v);
	}
	json_decref(j);
}

TEST(fingerprints_match_reference)
{
	json_t *j = load(VEC_DIR "fingerprint.json"), *set, *items;
	struct neg_vector v;
	struct neg_storage s;
	uint8_t id[NEG_ID_LEN], sum[NEG_ID_LEN], fp[NEG_FP_LEN];
	uint8_t vi[NEG_VARINT_MAX];
	size_t k, i, count;

	REQUIRE(j != NULL);
	json_array_foreach(json_object_get(j, "sets"), k, set) {
		count = json_u64(json_object_get(set, "count"));
		items = json_object_get(set, "items");
		neg_vector_init(&v, count);
		for (i = 0; i < count; i++) {
			if (items != NULL && json_array_size(items) > 0) {
				REQUIRE(test_unhex(id, sizeof(id),
				    json_string_value(json_object_get(
				    json_array_get(items, i), "id"))) ==
				    NEG_ID_LEN);
			} else
				gen_id(i, id);
			REQUIRE(neg_vector_add(&v, 1000000 + i, id, NULL) == 0);
		}
		neg_vector_seal(&v);
		CHECK_EQ_INT(v.count, count);
		neg_vector_storage(&v, &s);
		REQUIRE(s.sum(s.ctx, 0, v.count, sum, NULL) == 0);
		CHECK(bytes_are(sum, NEG_ID_LEN, json_string_value(
		    json_object_get(set, "accumulator"))));
		CHECK(bytes_are(vi, neg_varint_encode(count, vi),
		    json_string_value(json_object_get(set, "count_varint"))));
		neg_fingerprint(sum, count, fp);
		CHECK(bytes_are(fp, NEG_FP_LEN, json_string_value(
		    json_object_get(set, "fingerprint"))));
		neg_vector_release(&v);
	}
	CHECK_EQ_INT(k, 12);
	json_decref(j);
}

TEST(sum_sub_undoes_sum_add)
{
	uint8_t sum[NEG_ID_LEN] = { 0 }, zero[NEG_ID_LEN] = { 0 };
	uint8_t id[NEG_ID_LEN];
	uint64_t i;

	for (i = 0; i < 100; i++) {
		gen_id(i, id);
		neg_sum_add(sum, id);
	}
	for (i = 0; i < 100; i++) {
		gen_id(99 - i, id);
		neg_sum_sub(sum, id);
	}
	CHECK(memcmp(sum, zero, NEG_ID_LEN) == 0);
	memset(id, 0xff, sizeof(id));
	neg_sum_sub(sum, id);	/* 0 - (2^256 - 1) = 1 */
	CHECK(sum[0] == 1 && memcmp(sum + 1, zero, NEG_ID_LEN - 1) == 0);
}

TEST(varints_match_reference)
{
	json_t *j = load(VEC_DIR "varint.json"), *e;
	uint8_t buf[NEG_VARINT_MAX], in[16];
	uint64_t val, got;
	size_t k, len, used;
	long n;

	REQUIRE(j != NULL);
	json_array_foreach(json_object_get(j, "varints"), k, e) {
		val = json_u64(json_object_get(e, "value"));
		len = neg_varint_encode(val, buf);
		CHECK(bytes_are(buf, len, json_string_value(
		    json_object_get(e, "hex"))));
		n = test_unhex(in, sizeof(in), json_string_value(
		    json_object_get(e, "hex")));
		REQUIRE(n > 0);
		CHECK_EQ_INT(neg_varint_decode(in, (size_t)n, &got, &used,
		    NULL), 0);
		CHECK(got == val);
		CHECK_EQ_INT(used, n);
	}
	CHECK_EQ_INT(k, 15);
	json_decref(j);
}

static uint64_t
bound_ts(const json_t *j)
{
	const char *s = json_string_value(j);

	if (strncmp(s, "infinity", 8) == 0)
		return NEG_TS_INFINITY;
	return strtoull(s, NULL, 10);
}

TEST(bound_sequences_match_reference)
{
	json_t *j = load(VEC_DIR "varint.json"), *seq, *b;
	struct neg_bound bound, got;
	struct neg_buf out;
	uint8_t in[256];
	uint64_t last_out, last_in;
	size_t k, i, pos, used;
	long n;

	REQUIRE(j != NULL);
	neg_buf_init(&out);
	json_array_foreach(json_object_get(j, "bound_sequences"), k, seq) {
		out.len = 0;
		last_out = 0;
		json_array_foreach(json_object_get(seq, "bounds"), i, b) {
			memset(&bound, 0, sizeof(bound));
			bound.ts = bound_ts(json_object_get(b, "timestamp"));
			n = test_unhex(bound.id, sizeof(bound.id),
			    json_string_value(json_object_get(b, "id_prefix")));
			REQUIRE(n >= 0);
			bound.id_len = (size_t)n;
			pos = out.len;
			REQUIRE(neg_bound_encode(&out, &last_out, &bound,
			    NULL) == 0);
			CHECK(bytes_are(out.data + pos, out.len - pos,
			    json_string_value(json_object_get(b, "hex"))));
		}
		CHECK(bytes_are(out.data, out.len, json_string_value(
		    json_object_get(seq, "concatenated_hex"))));

		n = test_unhex(in, sizeof(in), json_string_value(
		    json_object_get(seq, "concatenated_hex")));
		REQUIRE(n > 0);
		pos = 0;
		last_in = 0;
		json_array_foreach(json_object_get(seq, "bounds"), i, b) {
			REQUIRE(neg_bound_decode(in + pos, (size_t)n - pos,
			    &last_in, &got, &used, NULL) == 0);
			pos += used;
			CHECK(got.ts == bound_ts(json_object_get(b,
			    "timestamp")));
			CHECK(bytes_are(got.id, got.id_len, json_string_value(
			    json_object_get(b, "id_prefix"))));
		}
		CHECK_EQ_INT(pos, n);
	}
	CHECK_EQ_INT(k, 6);
	neg_buf_release(&out);
	json_decref(j);
}

TEST(minimal_bounds_match_reference)
{
	json_t *j = load(VEC_DIR "varint.json"), *c;
	struct neg_item prev, curr;
	struct neg_bound bound;
	struct neg_buf out;
	uint64_t last = 0;
	size_t k;

	REQUIRE(j != NULL);
	neg_buf_init(&out);
	json_array_foreach(json_object_get(json_object_get(j,
	    "minimal_bounds"), "cases"), k, c) {
		prev.ts = json_u64(json_object_get(json_object_get(c, "prev"),
		    "timestamp"));
		curr.ts = json_u64(json_object_get(json_object_get(c, "curr"),
		    "timestamp"));
		REQUIRE(test_unhex(prev.id, NEG_ID_LEN, json_string_value(
		    json_object_get(json_object_get(c, "prev"), "id"))) == 32);
		REQUIRE(test_unhex(curr.id, NEG_ID_LEN, json_string_value(
		    json_object_get(json_object_get(c, "curr"), "id"))) == 32);
		neg_bound_minimal(&prev, &curr, &bound);
		CHECK(bound.ts == json_u64(json_object_get(c,
		    "bound_timestamp")));
		CHECK(bytes_are(bound.id, bound.id_len, json_string_value(
		    json_object_get(c, "bound_prefix"))));
		out.len = 0;
		last = 0;
		REQUIRE(neg_bound_encode(&out, &last, &bound, NULL) == 0);
		CHECK(bytes_are(out.data, out.len, json_string_value(
		    json_object_get(c, "hex"))));
	}
	CHECK_EQ_INT(k, 4);
	neg_buf_release(&out);
	json_decref(j);
}

/* A server holding the one item of protocol_version.json. */
struct one_server {
	struct neg_vector v;
	struct neg_storage s;
	struct neg n;
	struct neg_buf out;
};

static void
one_server_open(struct one_server *o, size_t frame_limit)
{
	uint8_t id[NEG_ID_LEN];

	memset(id, 0xee, sizeof(id));
	neg_vector_init(&o->v, 1);
	if (neg_vector_add(&o->v, 12345, id, NULL) != 0)
		abort();
	neg_vector_seal(&o->v);
	neg_vector_storage(&o->v, &o->s);
	if (neg_init(&o->n, &o->s, frame_limit, NULL) != 0)
		abort();
	neg_buf_init(&o->out);
}

static void
one_server_close(struct one_server *o)
{
	neg_buf_release(&o->out);
	neg_release(&o->n);
	neg_vector_release(&o->v);
}

/* Feed the hex message to the one-item server; return its code. */
static int
one_server_feed(struct one_server *o, const char *msg_hex, struct errbuf *eb)
{
	uint8_t msg[512];
	long n = test_unhex(msg, sizeof(msg), msg_hex);

	if (n < 0)
		abort();
	return neg_reconcile_server(&o->n, msg, (size_t)n, &o->out, eb);
}

TEST(server_answers_unsupported_version_with_its_own)
{
	json_t *j = load(VEC_DIR "protocol_version.json"), *e;
	struct one_server o;
	size_t k;

	REQUIRE(j != NULL);
	one_server_open(&o, 0);
	json_array_foreach(json_object_get(j, "exchanges"), k, e) {
		CHECK_EQ_INT(one_server_feed(&o, json_string_value(
		    json_object_get(e, "input")), NULL), 0);
		CHECK(bytes_are(o.out.data, o.out.len, json_string_value(
		    json_object_get(e, "output"))));
	}
	CHECK_EQ_INT(k, 2);
	one_server_close(&o);
	json_decref(j);
}

TEST(rejects_version_byte_outside_0x60_0x6f)
{
	struct one_server o;
	struct errbuf eb = { 0 };

	one_server_open(&o, 0);
	CHECK_EQ_INT(one_server_feed(&o, "5f00000200", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "7000000200", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(o.out.len, 0);
	CHECK_EQ_INT(one_server_feed(&o, "", &eb), AMIE_EPROTO);
	one_server_close(&o);
}

TEST(client_rejects_reply_of_unsupported_version)
{
	struct neg_vector v;
	struct neg_storage s;
	struct neg n;
	struct neg_buf out;
	struct learnt l = { { 0 }, { 0 } };
	struct errbuf eb = { 0 };
	const uint8_t reply[] = { 0x62 };
	int done = 7;

	neg_vector_init(&v, 1);
	neg_vector_seal(&v);
	neg_vector_storage(&v, &s);
	REQUIRE(neg_init(&n, &s, 0, &eb) == 0);
	neg_buf_init(&out);
	REQUIRE(neg_initiate(&n, &out, &eb) == 0);
	CHECK_EQ_INT(neg_reconcile_client(&n, reply, sizeof(reply), &out,
	    on_id, &l, &done, &eb), AMIE_EPROTO);
	CHECK_EQ_INT(done, 7);
	CHECK_EQ_INT(out.len, 0);
	neg_buf_release(&out);
	neg_release(&n);
	neg_vector_release(&v);
}

TEST(client_is_done_when_server_replies_version_only)
{
	struct neg_vector v;
	struct neg_storage s;
	struct neg n;
	struct neg_buf out;
	struct learnt l = { { 0 }, { 0 } };
	struct errbuf eb = { 0 };
	const uint8_t reply[] = { 0x61 };
	int done = 0;

	neg_vector_init(&v, 1);
	neg_vector_seal(&v);
	neg_vector_storage(&v, &s);
	REQUIRE(neg_init(&n, &s, 0, &eb) == 0);
	neg_buf_init(&out);
	REQUIRE(neg_initiate(&n, &out, &eb) == 0);
	CHECK(bytes_are(out.data, out.len, "6100000200"));
	CHECK_EQ_INT(neg_reconcile_client(&n, reply, sizeof(reply), &out,
	    on_id, &l, &done, &eb), 0);
	CHECK_EQ_INT(done, 1);
	CHECK_EQ_INT(out.len, 0);
	CHECK_EQ_INT(l.have.count + l.need.count, 0);
	neg_buf_release(&out);
	neg_release(&n);
	neg_vector_release(&v);
}

TEST(rejects_varint_over_10_bytes)
{
	const uint8_t eleven[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x80, 0x80, 0x80, 0x01 };
	const uint8_t over[] = { 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x80, 0x80, 0x00 };
	const uint8_t max[] = { 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x7f };
	struct one_server o;
	struct errbuf eb = { 0 };
	uint64_t v = 0;
	size_t used = 0;

	CHECK_EQ_INT(neg_varint_decode(eleven, sizeof(eleven), &v, &used,
	    &eb), AMIE_EPROTO);
	CHECK_EQ_INT(neg_varint_decode(over, sizeof(over), &v, &used, &eb),
	    AMIE_EPROTO);
	CHECK(v == 0 && used == 0);
	CHECK_EQ_INT(neg_varint_decode(max, sizeof(max), &v, &used, &eb), 0);
	CHECK(v == UINT64_MAX && used == 10);
	one_server_open(&o, 0);
	/* The same as a bound timestamp in a message. */
	CHECK_EQ_INT(one_server_feed(&o, "61808080808080808080800100",
	    &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "6182808080808080808000000200",
	    &eb), AMIE_EPROTO);
	one_server_close(&o);
}

TEST(rejects_truncated_message)
{
	struct one_server o;
	struct errbuf eb = { 0 };

	one_server_open(&o, 0);
	/* Inside a varint, a prefix, a fingerprint, an IdList. */
	CHECK_EQ_INT(one_server_feed(&o, "6180", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "6100", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "610002aa", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "61000001", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o,
	    "6100000100112233445566778899aabbccddee", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "61000002", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "6100000201eeee", &eb),
	    AMIE_EPROTO);
	/* A count no message could hold is refused before any work. */
	CHECK_EQ_INT(one_server_feed(&o, "61000002ffffffffffffffffff7f",
	    &eb), AMIE_EPROTO);
	CHECK_EQ_INT(o.out.len, 0);
	one_server_close(&o);
}

TEST(rejects_id_prefix_over_32_bytes)
{
	struct one_server o;
	struct errbuf eb = { 0 };
	char msg[2 * 40 + 16];

	one_server_open(&o, 0);
	strcpy(msg, "610021");
	memset(msg + 6, 'a', 66);
	strcpy(msg + 72, "00");
	CHECK_EQ_INT(one_server_feed(&o, msg, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "prefix") != NULL);
	/* 32 bytes is the limit and is accepted. */
	strcpy(msg, "610020");
	memset(msg + 6, 'a', 64);
	strcpy(msg + 70, "00");
	CHECK_EQ_INT(one_server_feed(&o, msg, &eb), 0);
	one_server_close(&o);
}

TEST(rejects_unknown_mode)
{
	struct one_server o;
	struct errbuf eb = { 0 };

	one_server_open(&o, 0);
	CHECK_EQ_INT(one_server_feed(&o, "61000003", &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "mode") != NULL);
	CHECK_EQ_INT(one_server_feed(&o, "6100008001", &eb), AMIE_EPROTO);
	one_server_close(&o);
}

TEST(rejects_frame_limit_between_1_and_4095)
{
	struct neg_vector v;
	struct neg_storage s;
	struct neg n;
	struct errbuf eb = { 0 };

	neg_vector_init(&v, 1);
	neg_vector_seal(&v);
	neg_vector_storage(&v, &s);
	CHECK_EQ_INT(neg_init(&n, &s, 1, &eb), AMIE_ELIMIT);
	CHECK_EQ_INT(neg_init(&n, &s, 4095, &eb), AMIE_ELIMIT);
	CHECK_EQ_INT(neg_init(&n, &s, NEG_FRAME_MAX + 1, &eb), AMIE_ELIMIT);
	CHECK_EQ_INT(neg_init(&n, &s, 0, &eb), 0);
	neg_release(&n);
	CHECK_EQ_INT(neg_init(&n, &s, 4096, &eb), 0);
	neg_release(&n);
	neg_vector_release(&v);
}

TEST(rejects_message_over_limit)
{
	struct one_server o;
	struct errbuf eb = { 0 };
	uint8_t *big = calloc(1, NEG_MSG_MAX + 1);

	REQUIRE(big != NULL);
	big[0] = NEG_VERSION;
	one_server_open(&o, 0);
	CHECK_EQ_INT(neg_reconcile_server(&o.n, big, NEG_MSG_MAX + 1, &o.out,
	    &eb), AMIE_ELIMIT);
	one_server_close(&o);
	free(big);
}

TEST(roles_are_not_mixed)
{
	struct one_server o;
	struct neg_buf out;
	struct learnt l = { { 0 }, { 0 } };
	struct errbuf eb = { 0 };
	const uint8_t msg[] = { 0x61 };
	int done = 0;

	one_server_open(&o, 0);
	neg_buf_init(&out);
	CHECK_EQ_INT(neg_reconcile_client(&o.n, msg, 1, &out, on_id, &l,
	    &done, &eb), AMIE_EUSAGE);
	REQUIRE(neg_initiate(&o.n, &out, &eb) == 0);
	CHECK_EQ_INT(neg_initiate(&o.n, &out, &eb), AMIE_EUSAGE);
	CHECK_EQ_INT(neg_reconcile_server(&o.n, msg, 1, &out, &eb),
	    AMIE_EUSAGE);
	neg_buf_release(&out);
	one_server_close(&o);
}

TEST(client_stops_when_callback_fails)
{
	struct neg_vector v;
	struct neg_storage s;
	struct neg n;
	struct neg_buf out;
	struct errbuf eb = { 0 };
	uint8_t reply[1 + 4 + 32];
	int done = 0;

	neg_vector_init(&v, 1);
	neg_vector_seal(&v);
	neg_vector_storage(&v, &s);
	REQUIRE(neg_init(&n, &s, 0, &eb) == 0);
	neg_buf_init(&out);
	REQUIRE(neg_initiate(&n, &out, &eb) == 0);
	REQUIRE(test_unhex(reply, sizeof(reply), "6100000201"
	    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
	    == sizeof(reply));
	CHECK_EQ_INT(neg_reconcile_client(&n, reply, sizeof(reply), &out,
	    on_id_refuse, NULL, &done, &eb), AMIE_EREFUSED);
	CHECK_STR(eb.msg, "test: enough");
	neg_buf_release(&out);
	neg_release(&n);
	neg_vector_release(&v);
}

TEST(client_counts_repeated_id_once)
{
	struct neg_vector v;
	struct neg_storage s;
	struct neg n;
	struct neg_buf out;
	struct learnt l = { { 0 }, { 0 } };
	struct errbuf eb = { 0 };
	uint8_t reply[1 + 4 + 3 * 32], id[NEG_ID_LEN];
	int done = 0;

	memset(id, 0xaa, sizeof(id));
	neg_vector_init(&v, 2);
	REQUIRE(neg_vector_add(&v, 5, id, &eb) == 0);
	neg_vector_seal(&v);
	neg_vector_storage(&v, &s);
	REQUIRE(neg_init(&n, &s, 0, &eb) == 0);
	neg_buf_init(&out);
	REQUIRE(neg_initiate(&n, &out, &eb) == 0);
	REQUIRE(test_unhex(reply, sizeof(reply), "6100000203"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
	    == sizeof(reply));
	CHECK_EQ_INT(neg_reconcile_client(&n, reply, sizeof(reply), &out,
	    on_id, &l, &done, &eb), 0);
	CHECK_EQ_INT(done, 1);
	CHECK_EQ_INT(l.have.count, 0);
	CHECK_EQ_INT(l.need.count, 1);
	if (l.need.count == 1)
		CHECK(l.need.ids[0][0] == 0xbb);
	free(l.need.ids);
	neg_buf_release(&out);
	neg_release(&n);
	neg_vector_release(&v);
}

/*
 * A storage answering range sums from prefix sums, as a store with
 * accumulators does, over a sealed vector; it can also be made to fail.
 */
struct prefix_store {
	struct neg_vector *v;
	struct neg_storage inner;
	uint8_t (*prefix)[NEG_ID_LEN];	/* prefix[i]: sum of ids [0, i) */
	int fail_sum;
};

static int
prefix_size(void *ctx, size_t *count, struct errbuf *eb)
{
	struct prefix_store *p = ctx;

	return p->inner.size(p->inner.ctx, count, eb);
}

static int
prefix_item(void *ctx, size_t index, struct neg_item *out, struct errbuf *eb)
{
	struct prefix_store *p = ctx;

	return p->inner.item(p->inner.ctx, index, out, eb);
}

static int
prefix_lower_bound(void *ctx, size_t begin, size_t end,
    const struct neg_bound *bound, size_t *index, struct errbuf *eb)
{
	struct prefix_store *p = ctx;

	return p->inner.lower_bound(p->inner.ctx, begin, end, bound, index,
	    eb);
}

static int
prefix_sum(void *ctx, size_t begin, size_t end, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	struct prefix_store *p = ctx;

	if (p->fail_sum)
		return fail(eb, AMIE_EIO, "test: disk on fire");
	memcpy(sum, p->prefix[end], NEG_ID_LEN);
	neg_sum_sub(sum, p->prefix[begin]);
	return 0;
}

static void
prefix_open(struct prefix_store *p, struct neg_vector *v,
    struct neg_storage *s)
{
	size_t i;

	p->v = v;
	p->fail_sum = 0;
	neg_vector_storage(v, &p->inner);
	p->prefix = calloc(v->count + 1, NEG_ID_LEN);
	for (i = 0; i < v->count; i++) {
		memcpy(p->prefix[i + 1], p->prefix[i], NEG_ID_LEN);
		neg_sum_add(p->prefix[i + 1], v->items[i].id);
	}
	s->ctx = p;
	s->size = prefix_size;
	s->item = prefix_item;
	s->lower_bound = prefix_lower_bound;
	s->sum = prefix_sum;
}

TEST(storage_with_prefix_sums_gives_same_messages)
{
	json_t *j = load(VEC_DIR
	    "sessions/07_framelimit_4096_20000_common_500_diff.json");
	struct neg_vector cv, sv;
	struct neg_storage cs, ss;
	struct prefix_store cp, sp;
	struct neg client, server;
	struct neg_buf cmsg, smsg;
	struct learnt l = { { 0 }, { 0 } };
	struct errbuf eb = { 0 };
	json_t *ex;
	size_t k;
	int done = 0;

	REQUIRE(j != NULL);
	fill_side(&cv, json_object_get(j, "client_items"),
	    json_object_get(j, "item_generator"));
	fill_side(&sv, json_object_get(j, "server_items"),
	    json_object_get(j, "item_generator"));
	prefix_open(&cp, &cv, &cs);
	prefix_open(&sp, &sv, &ss);
	REQUIRE(neg_init(&client, &cs, 4096, &eb) == 0);
	REQUIRE(neg_init(&server, &ss, 4096, &eb) == 0);
	neg_buf_init(&cmsg);
	neg_buf_init(&smsg);
	ex = json_object_get(j, "exchange");
	REQUIRE(neg_initiate(&client, &cmsg, &eb) == 0);
	for (k = 0; !done && k + 1 < json_array_size(ex); k += 2) {
		CHECK(bytes_are(cmsg.data, cmsg.len, json_string_value(
		    json_object_get(json_array_get(ex, k), "msg"))));
		REQUIRE(neg_reconcile_server(&server, cmsg.data, cmsg.len,
		    &smsg, &eb) == 0);
		CHECK(bytes_are(smsg.data, smsg.len, json_string_value(
		    json_object_get(json_array_get(ex, k + 1), "msg"))));
		REQUIRE(neg_reconcile_client(&client, smsg.data, smsg.len,
		    &cmsg, on_id, &l, &done, &eb) == 0);
	}
	CHECK(done);
	CHECK(idset_is(&l.have, json_object_get(j, "have")));
	CHECK(idset_is(&l.need, json_object_get(j, "need")));

	/* A failing storage stops the round with its own code. */
	sp.fail_sum = 1;
	neg_release(&client);
	REQUIRE(neg_init(&client, &cs, 0, &eb) == 0);
	REQUIRE(neg_initiate(&client, &cmsg, &eb) == 0);
	CHECK_EQ_INT(neg_reconcile_server(&server, cmsg.data, cmsg.len, &smsg,
	    &eb), AMIE_EIO);
	CHECK_STR(eb.msg, "test: disk on fire");
	CHECK_EQ_INT(smsg.len, 0);

	free(l.have.ids);
	free(l.need.ids);
	free(cp.prefix);
	free(sp.prefix);
	neg_buf_release(&cmsg);
	neg_buf_release(&smsg);
	neg_release(&client);
	neg_release(&server);
	neg_vector_release(&cv);
	neg_vector_release(&sv);
	json_decref(j);
}

TEST(vector_seal_sorts_and_drops_duplicates)
{
	struct neg_vector v;
	struct errbuf eb = { 0 };
	uint8_t a[NEG_ID_LEN], b[NEG_ID_LEN];

	memset(a, 0x01, sizeof(a));
	memset(b, 0x02, sizeof(b));
	neg_vector_init(&v, 4);
	CHECK_EQ_INT(neg_vector_add(&v, 7, b, &eb), 0);
	CHECK_EQ_INT(neg_vector_add(&v, 7, a, &eb), 0);
	CHECK_EQ_INT(neg_vector_add(&v, 7, b, &eb), 0);
	CHECK_EQ_INT(neg_vector_add(&v, 3, b, &eb), 0);
	CHECK_EQ_INT(neg_vector_add(&v, 1, b, &eb), AMIE_ELIMIT);
	CHECK_EQ_INT(neg_vector_add(&v, NEG_TS_INFINITY, b, &eb),
	    AMIE_EUSAGE);
	neg_vector_seal(&v);
	REQUIRE(v.count == 3);
	CHECK(v.items[0].ts == 3 && v.items[0].id[0] == 2);
	CHECK(v.items[1].ts == 7 && v.items[1].id[0] == 1);
	CHECK(v.items[2].ts == 7 && v.items[2].id[0] == 2);
	neg_vector_release(&v);
}

/*
 * Short-ids extension.  A pair of sets built from the generator: items
 * 0 .. n - 1 at ts 1000 + i, the client missing every i % gap == 1 and the
 * server every i % gap == 2, plus the extra items given.
 */
struct pair {
	struct neg_vector cv, sv;
	struct neg_storage cs, ss;
};

static void
pair_open(struct pair *p, uint64_t n, uint64_t gap)
{
	uint8_t id[NEG_ID_LEN];

	neg_vector_init(&p->cv, n + 16);
	neg_vector_init(&p->sv, n + 16);
	for (uint64_t i = 0; i < n; i++) {
		gen_id(i, id);
		if (i % gap != 1)
			neg_vector_add(&p->cv, 1000 + i, id, NULL);
		if (i % gap != 2)
			neg_vector_add(&p->sv, 1000 + i, id, NULL);
	}
}

static void
pair_seal(struct pair *p)
{
	neg_vector_seal(&p->cv);
	neg_vector_seal(&p->sv);
	neg_vector_storage(&p->cv, &p->cs);
	neg_vector_storage(&p->sv, &p->ss);
}

static void
pair_close(struct pair *p)
{
	neg_vector_release(&p->cv);
	neg_vector_release(&p->sv);
}

/* One whole session over p with extensions ext; bytes both ways, rounds
 * and what the client learnt.  Returns the first failing code, or 0. */
static int
pair_sync(struct pair *p, unsigned ext, size_t frame_limit, size_t *bytes,
    unsigned *rounds, struct learnt *l)
{
	struct neg client, server;
	struct neg_buf cmsg, smsg;
	struct errbuf eb = { 0 };
	int rc, done = 0;

	*bytes = 0;
	*rounds = 0;
	if (neg_init(&client, &p->cs, frame_limit, &eb) != 0 ||
	    neg_init(&server, &p->ss, frame_limit, &eb) != 0)
		abort();
	neg_set_extensions(&client, ext);
	neg_set_extensions(&server, ext);
	neg_buf_init(&cmsg);
	neg_buf_init(&smsg);
	rc = neg_initiate(&client, &cmsg, &eb);
	while (rc == 0 && !done && *rounds < 1000) {
		*bytes += cmsg.len;
		if ((rc = neg_reconcile_server(&server, cmsg.data, cmsg.len,
		    &smsg, &eb)) != 0)
			break;
		*bytes += smsg.len;
		(*rounds)++;
		rc = neg_reconcile_client(&client, smsg.data, smsg.len, &cmsg,
		    on_id, l, &done, &eb);
	}
	if (rc != 0)
		fprintf(stderr, "  session: %s\n", eb.msg);
	neg_buf_release(&cmsg);
	neg_buf_release(&smsg);
	neg_release(&client);
	neg_release(&server);
	return rc != 0 ? rc : done ? 0 : -1;
}

static int
item_cmp_test(const void *a, const void *b)
{
	const struct neg_item *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->id, y->id, NEG_ID_LEN);
}

/* Whether l learnt every difference of p, and nothing else. */
static int
pair_learnt_all(struct pair *p, struct learnt *l)
{
	struct neg_vector *sides[2] = { &p->cv, &p->sv };
	struct idset *sets[2] = { &l->have, &l->need };

	for (int k = 0; k < 2; k++) {
		struct neg_vector *mine = sides[k], *theirs = sides[1 - k];

		if (sets[k]->count > 1)
			qsort(sets[k]->ids, sets[k]->count, NEG_ID_LEN,
			    id_cmp);
		for (size_t i = 0; i < mine->count; i++) {
			int only_mine = bsearch(&mine->items[i], theirs->items,
			    theirs->count, sizeof(*theirs->items),
			    item_cmp_test) == NULL;
			int learnt = sets[k]->count > 0 &&
			    bsearch(mine->items[i].id, sets[k]->ids,
			    sets[k]->count, NEG_ID_LEN, id_cmp) != NULL;

			if (only_mine != learnt) {
				fprintf(stderr, "  item %zu of side %d: %s\n",
				    i, k, learnt ? "reported, not a "
				    "difference" : "a difference missed");
				return 0;
			}
		}
	}
	return 1;
}

/*
 * Run the session of client and server from the client message in cmsg
 * until it ends or the client has learnt stop ids it is missing: bytes
 * both ways are added to *bytes; *done says whether it ended.  Returns
 * the first failing code, or 0.
 */
static int
pair_rounds(struct neg *client, struct neg *server, struct neg_buf *cmsg,
    struct neg_buf *smsg, size_t stop, struct learnt *l, int *done,
    size_t *bytes)
{
	struct errbuf eb = { 0 };
	int rc = 0;

	*done = 0;
	for (unsigned r = 0; rc == 0 && !*done && l->need.count < stop &&
	     r < 1000; r++) {
		*bytes += cmsg->len;
		if ((rc = neg_reconcile_server(server, cmsg->data, cmsg->len,
		    smsg, &eb)) != 0)
			break;
		*bytes += smsg->len;
		rc = neg_reconcile_client(client, smsg->data, smsg->len, cmsg,
		    on_id, l, done, &eb);
	}
	if (rc != 0)
		fprintf(stderr, "  session: %s\n", eb.msg);
	return rc;
}

/*
 * A session stopped once the client learnt 100 of the 207 ids it is
 * missing, the client then storing those, and one that goes on from the
 * message it would have sent next (neg_continue()): together they learn
 * every difference, the second none of the first's, in fewer bytes than
 * a new session over the sets as they are then.
 */
TEST(continue_goes_on_where_a_session_stopped)
{
	static const unsigned exts[] = { 0, NEG_EXT_SHORT_IDS,
	    NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS };

	for (size_t e = 0; e < sizeof(exts) / sizeof(exts[0]); e++) {
		struct pair p, q;
		struct learnt l1 = { { 0 }, { 0 } }, l2 = { { 0 }, { 0 } };
		struct learnt l3 = { { 0 }, { 0 } };
		struct neg client, server;
		struct neg_buf cmsg, smsg, resume;
		struct errbuf eb = { 0 };
		size_t bytes1 = 0, bytes2 = 0, fresh_bytes;
		unsigned fresh_rounds;
		int done = 0;

		pair_open(&p, 20000, 97);
		pair_seal(&p);
		neg_buf_init(&cmsg);
		neg_buf_init(&smsg);
		REQUIRE(neg_init(&client, &p.cs, 4096, &eb) == 0);
		REQUIRE(neg_init(&server, &p.ss, 4096, &eb) == 0);
		neg_set_extensions(&client, exts[e]);
		neg_set_extensions(&server, exts[e]);
		REQUIRE(neg_initiate(&client, &cmsg, &eb) == 0);
		CHECK_EQ_INT(pair_rounds(&client, &server, &cmsg, &smsg, 100,
		    &l1, &done, &bytes1), 0);
		REQUIRE(!done && l1.need.count >= 100);
		resume = cmsg;	/* the message it would have sent */
		neg_buf_init(&cmsg);
		neg_release(&client);
		neg_release(&server);

		/* The client stores what it learnt it was missing. */
		neg_vector_init(&q.cv, p.cv.count + l1.need.count);
		neg_vector_init(&q.sv, p.sv.count);
		for (size_t i = 0; i < p.cv.count; i++)
			neg_vector_add(&q.cv, p.cv.items[i].ts,
			    p.cv.items[i].id, NULL);
		for (size_t i = 0; i < p.sv.count; i++) {
			neg_vector_add(&q.sv, p.sv.items[i].ts,
			    p.sv.items[i].id, NULL);
			for (size_t k = 0; k < l1.need.count; k++)
				if (memcmp(l1.need.ids[k], p.sv.items[i].id,
				    NEG_ID_LEN) == 0)
					neg_vector_add(&q.cv,
					    p.sv.items[i].ts,
					    p.sv.items[i].id, NULL);
		}
		pair_seal(&q);

		REQUIRE(neg_init(&client, &q.cs, 4096, &eb) == 0);
		REQUIRE(neg_init(&server, &q.ss, 4096, &eb) == 0);
		neg_set_extensions(&client, exts[e]);
		neg_set_extensions(&server, exts[e]);
		CHECK_EQ_INT(neg_continue(&client, (const uint8_t *)"\x62", 1,
		    &eb), AMIE_EPROTO);
		CHECK_EQ_INT(neg_continue(&client, resume.data, 0, &eb),
		    AMIE_EPROTO);
		CHECK_EQ_INT(neg_continue(&client, resume.data, resume.len,
		    &eb), 0);
		CHECK_EQ_INT(neg_continue(&client, resume.data, resume.len,
		    &eb), AMIE_EUSAGE);
		CHECK_EQ_INT(pair_rounds(&client, &server, &resume, &smsg,
		    SIZE_MAX, &l2, &done, &bytes2), 0);
		CHECK(done);
		neg_release(&client);
		neg_release(&server);

		/* Both sessions together: every difference of p. */
		for (size_t k = 0; k < l2.have.count; k++)
			idset_add(&l1.have, l2.have.ids[k]);
		for (size_t k = 0; k < l2.need.count; k++)
			idset_add(&l1.need, l2.need.ids[k]);
		CHECK(pair_learnt_all(&p, &l1));
		/* Each difference once: the second learnt none of the
		 * first's. */
		CHECK(l1.need.count == 20000 / 97 + 1 &&
		    l1.have.count == 20000 / 97 + 1);
		/* Cheaper than starting again. */
		CHECK_EQ_INT(pair_sync(&q, exts[e], 4096, &fresh_bytes,
		    &fresh_rounds, &l3), 0);
		CHECK(bytes2 < fresh_bytes);
		printf("  ext %u: stopped after %zu bytes, went on in %zu, "
		    "a new session %zu\n", exts[e], bytes1, bytes2,
		    fresh_bytes);
		neg_buf_release(&cmsg);
		neg_buf_release(&smsg);
		neg_buf_release(&resume);
		pair_close(&p);
		pair_close(&q);
		free(l1.have.ids);
		free(l1.need.ids);
		free(l2.have.ids);
		free(l2.need.ids);
		free(l3.have.ids);
		free(l3.need.ids);
	}
}

/*
 * A session stopped after one round (as the daemon stops one that found
 * session_ids ids), whose next message lists the client's last range as
 * a PrefixList; meanwhile the client's set changed there: it stored 30
 * new records (pushed to it: the newest records fall in the last range),
 * or a removal took 3 of its records out.  The session that goes on from
 * that message, over the sets as they are now, must still end and learn
 * every difference (docs/protocol.md, section 10: "a range that changed
 * meanwhile costs a round more, nothing is missed"), not fail as if the
 * honest server had sent a malformed reply.
 */
TEST(continue_after_the_client_changed_a_listed_range)
{
	for (int grow = 1; grow >= 0; grow--) {
		struct pair p, q;
		struct learnt l1 = { { 0 }, { 0 } }, l2 = { { 0 }, { 0 } };
		struct neg client, server;
		struct neg_buf cmsg, smsg, resume;
		struct errbuf eb = { 0 };
		uint8_t id[NEG_ID_LEN];
		size_t bytes = 0;
		int done = 0;

		/* The server lacks 95 and 97, in the client's last bucket
		 * (94 to 99). */
		neg_vector_init(&p.cv, 200);
		neg_vector_init(&p.sv, 200);
		neg_vector_init(&q.cv, 200);
		neg_vector_init(&q.sv, 200);
		for (uint64_t i = 0; i < 100; i++) {
			gen_id(i, id);
			neg_vector_add(&p.cv, 1000 + i, id, NULL);
			if (grow || (i != 96 && i != 98 && i != 99))
				neg_vector_add(&q.cv, 1000 + i, id, NULL);
			if (i != 95 && i != 97) {
				neg_vector_add(&p.sv, 1000 + i, id, NULL);
				neg_vector_add(&q.sv, 1000 + i, id, NULL);
			}
		}
		for (uint64_t k = 0; grow && k < 30; k++) {
			gen_id(1000 + k, id);
			neg_vector_add(&q.cv, 5000 + k, id, NULL);
		}
		pair_seal(&p);
		pair_seal(&q);

		neg_buf_init(&cmsg);
		neg_buf_init(&smsg);
		REQUIRE(neg_init(&client, &p.cs, 0, &eb) == 0);
		REQUIRE(neg_init(&server, &p.ss, 0, &eb) == 0);
		neg_set_extensions(&client, NEG_EXT_SHORT_IDS);
		neg_set_extensions(&server, NEG_EXT_SHORT_IDS);
		REQUIRE(neg_initiate(&client, &cmsg, &eb) == 0);
		REQUIRE(neg_reconcile_server(&server, cmsg.data, cmsg.len,
		    &smsg, &eb) == 0);
		REQUIRE(neg_reconcile_client(&client, smsg.data, smsg.len,
		    &cmsg, on_id, &l1, &done, &eb) == 0);
		REQUIRE(!done);
		resume = cmsg;	/* what it would have sent: a PrefixList */
		neg_buf_init(&cmsg);
		neg_release(&client);
		neg_release(&server);

		REQUIRE(neg_init(&client, &q.cs, 0, &eb) == 0);
		REQUIRE(neg_init(&server, &q.ss, 0, &eb) == 0);
		neg_set_extensions(&client, NEG_EXT_SHORT_IDS);
		neg_set_extensions(&server, NEG_EXT_SHORT_IDS);
		REQUIRE(neg_continue(&client, resume.data, resume.len,
		    &eb) == 0);
		CHECK_EQ_INT(pair_rounds(&client, &server, &resume, &smsg,
		    SIZE_MAX, &l2, &done, &bytes), 0);
		CHECK(done);
		for (size_t k = 0; k < l1.have.count; k++)
			idset_add(&l2.have, l1.have.ids[k]);
		for (size_t k = 0; k < l1.need.count; k++)
			idset_add(&l2.need, l1.need.ids[k]);
		CHECK(pair_learnt_all(&q, &l2));
		neg_release(&client);
		neg_release(&server);
		neg_buf_release(&cmsg);
		neg_buf_release(&smsg);
		neg_buf_release(&resume);
		pair_close(&p);
		pair_close(&q);
		free(l1.have.ids);
		free(l1.need.ids);
		free(l2.have.ids);
		free(l2.need.ids);
	}
}

TEST(short_ids_find_every_difference_in_fewer_bytes_than_v1)
{
	struct pair p;
	struct learnt l1 = { { 0 }, { 0 } }, l2 = { { 0 }, { 0 } };
	size_t v1_bytes, ext_bytes;
	unsigned v1_rounds, ext_rounds;

	pair_open(&p, 3000, 97);
	pair_seal(&p);
	CHECK_EQ_INT(pair_sync(&p, 0, 0, &v1_bytes, &v1_rounds, &l1), 0);
	CHECK_EQ_INT(pair_sync(&p, NEG_EXT_SHORT_IDS, 0, &ext_bytes,
	    &ext_rounds, &l2), 0);
	CHECK(pair_learnt_all(&p, &l1));
	CHECK(pair_learnt_all(&p, &l2));
	CHECK_EQ_INT(l2.have.count, l1.have.count);
	CHECK_EQ_INT(l2.need.count, l1.need.count);
	CHECK(ext_bytes * 2 < v1_bytes);
	printf("  3000 items, %zu + %zu differences: V1 %zu bytes in %u "
	    "rounds, short ids %zu bytes in %u rounds\n", l1.have.count,
	    l1.need.count, v1_bytes, v1_rounds, ext_bytes, ext_rounds);
	free(l1.have.ids);
	free(l1.need.ids);
	free(l2.have.ids);
	free(l2.need.ids);
	pair_close(&p);
}

TEST(level_counts_trailing_zero_nibbles)
{
	uint8_t id[NEG_ID_LEN];

	memset(id, 0xff, sizeof(id));
	CHECK_EQ_INT(neg_level(id), 0);
	id[31] = 0xf0;
	CHECK_EQ_INT(neg_level(id), 1);
	id[31] = 0x00;
	CHECK_EQ_INT(neg_level(id), 2);
	id[30] = 0x10;
	CHECK_EQ_INT(neg_level(id), 3);
	id[30] = 0x00;
	id[29] = 0x00;
	id[28] = 0x00;
	CHECK_EQ_INT(neg_level(id), NEG_LEVEL_MAX);
	memset(id, 0, sizeof(id));
	CHECK_EQ_INT(neg_level(id), NEG_LEVEL_MAX);
}

/*
 * With content splits, a range is cut before its items of the highest
 * level that has NEG_SPLIT_MIN of them inside, the first NEG_SPLIT_MAX
 * at most; every difference is still found, in at most one round more
 * than V1 takes (a level may cut a range in fewer than NEG_BUCKETS).
 */
TEST(content_splits_cut_at_high_items_and_find_every_difference)
{
	struct pair p;
	struct learnt l1 = { { 0 }, { 0 } }, l2 = { { 0 }, { 0 } };
	size_t v1_bytes, ext_bytes, at[NEG_SPLIT_MAX], n, i, k;
	unsigned v1_rounds, ext_rounds, level, top, got;
	struct errbuf eb = { 0 };

	pair_open(&p, 20000, 97);
	pair_seal(&p);
	CHECK_EQ_INT(p.cs.splits(p.cs.ctx, 0, p.cv.count, at, &n, &got, &eb),
	    0);
	CHECK(n >= NEG_SPLIT_MIN && n <= NEG_SPLIT_MAX);
	/* All of one level, the highest with NEG_SPLIT_MIN inside. */
	level = neg_level(p.cv.items[at[0]].id);
	for (k = 0; k < n; k++) {
		CHECK(at[k] > 0 && at[k] < p.cv.count);
		CHECK(k == 0 || at[k] > at[k - 1]);
		CHECK(neg_level(p.cv.items[at[k]].id) >= level);
		if (neg_level(p.cv.items[at[k]].id) < level)
			level = neg_level(p.cv.items[at[k]].id);
	}
	for (i = 1, top = 0; i < p.cv.count; i++)
		top += neg_level(p.cv.items[i].id) > level;
	CHECK(top < NEG_SPLIT_MIN);
	CHECK_EQ_INT(got, level);
	/* A range with too few items of any level is split in buckets. */
	CHECK_EQ_INT(p.cs.splits(p.cs.ctx, 10, 12, at, &n, &got, &eb), 0);
	CHECK_EQ_INT(n, 0);

	CHECK_EQ_INT(pair_sync(&p, 0, 0, &v1_bytes, &v1_rounds, &l1), 0);
	CHECK_EQ_INT(pair_sync(&p, NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS,
	    0, &ext_bytes, &ext_rounds, &l2), 0);
	CHECK(pair_learnt_all(&p, &l1));
	CHECK(pair_learnt_all(&p, &l2));
	CHECK(ext_rounds <= v1_rounds + 1);
	printf("  20000 items, %zu + %zu differences: V1 %zu bytes in %u "
	    "rounds, short ids and content splits %zu bytes in %u rounds\n",
	    l1.have.count, l1.need.count, v1_bytes, v1_rounds, ext_bytes,
	    ext_rounds);
	/* Under the smallest frame limit, every split still gets through. */
	free(l2.have.ids);
	free(l2.need.ids);
	memset(&l2, 0, sizeof(l2));
	CHECK_EQ_INT(pair_sync(&p, NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS,
	    NEG_FRAME_MIN, &ext_bytes, &ext_rounds, &l2), 0);
	CHECK(pair_learnt_all(&p, &l2));
	free(l1.have.ids);
	free(l1.need.ids);
	free(l2.have.ids);
	free(l2.need.ids);
	pair_close(&p);
}

TEST(short_ids_work_under_a_frame_limit)
{
	struct pair p;
	struct learnt l = { { 0 }, { 0 } };
	size_t bytes;
	unsigned rounds, v1_rounds;

	pair_open(&p, 20000, 7);
	pair_seal(&p);
	CHECK_EQ_INT(pair_sync(&p, NEG_EXT_SHORT_IDS, 4096, &bytes, &rounds,
	    &l), 0);
	CHECK(pair_learnt_all(&p, &l));
	free(l.have.ids);
	free(l.need.ids);
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(pair_sync(&p, 0, 4096, &bytes, &v1_rounds, &l), 0);
	printf("  under a 4096-byte frame limit: V1 %u rounds, short ids %u\n",
	    v1_rounds, rounds);
	free(l.have.ids);
	free(l.need.ids);
	pair_close(&p);
}

/*
 * A client that lacks a run of the server's items (a node that was away
 * for a while) and holds the same items after it.  Under a frame limit
 * the server drops a range and ends with the Fingerprint of what comes
 * after, bounded by the last range it wrote: when the range dropped is
 * the split answering a PrefixList of 0 ids (the client has none there),
 * a fingerprint of the items after that range only is the client's own
 * for the whole rest, so the client took it as settled and the session
 * ended done with those items missing (learnt 786 of 800).
 */
TEST(extensions_under_a_frame_limit_find_a_missing_run)
{
	static const unsigned exts[] = { NEG_EXT_SHORT_IDS,
	    NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS };
	static const uint64_t runs[][2] = { { 1689, 4889 }, { 2955, 3755 } };
	uint8_t id[NEG_ID_LEN];
	struct pair p;
	size_t bytes;
	unsigned rounds;

	for (size_t k = 0; k < 2; k++) {
		struct learnt l = { { 0 }, { 0 } };

		neg_vector_init(&p.cv, 5000);
		neg_vector_init(&p.sv, 5000);
		for (uint64_t i = 0; i < 5000; i++) {
			gen_id(i, id);
			neg_vector_add(&p.sv, 1000 + i, id, NULL);
			if (i < runs[k][0] || i >= runs[k][1])
				neg_vector_add(&p.cv, 1000 + i, id, NULL);
		}
		pair_seal(&p);
		CHECK_EQ_INT(pair_sync(&p, exts[k], NEG_FRAME_MIN, &bytes,
		    &rounds, &l), 0);
		CHECK(pair_learnt_all(&p, &l));
		free(l.have.ids);
		free(l.need.ids);
		pair_close(&p);
	}
}

/* Add to v an item at ts whose id starts with the 4 bytes of prefix and
 * ends with fill. */
static void
add_with_prefix(struct neg_vector *v, uint64_t ts, const uint8_t *prefix,
    uint8_t fill)
{
	uint8_t id[NEG_ID_LEN];

	memset(id, fill, sizeof(id));
	memcpy(id, prefix, NEG_PREFIX_LEN);
	neg_vector_add(v, ts, id, NULL);
}

TEST(short_ids_fall_back_on_a_prefix_collision)
{
	static const uint8_t pre[NEG_ID_LEN] = { 1, 2, 3, 4 };
	struct pair p;
	struct learnt l = { { 0 }, { 0 } };
	size_t bytes;
	unsigned rounds;

	/* Across the sides: the client's id and the server's share their
	 * prefix and differ; only the fingerprint of what matched tells. */
	pair_open(&p, 100, 1000);
	add_with_prefix(&p.cv, 1050, pre, 0x11);
	add_with_prefix(&p.sv, 1050, pre, 0x22);
	pair_seal(&p);
	CHECK_EQ_INT(pair_sync(&p, NEG_EXT_SHORT_IDS, 0, &bytes, &rounds, &l),
	    0);
	CHECK_EQ_INT(l.have.count, 2);	/* with items 2 and 1 */
	CHECK_EQ_INT(l.need.count, 2);
	CHECK(pair_learnt_all(&p, &l));
	free(l.have.ids);
	free(l.need.ids);
	memset(&l, 0, sizeof(l));
	pair_close(&p);

	/* Within one side: two of the client's ids share a prefix, so the
	 * server answers with its full ids. */
	pair_open(&p, 100, 1000);
	add_with_prefix(&p.cv, 1050, pre, 0x11);
	add_with_prefix(&p.cv, 1051, pre, 0x33);
	add_with_prefix(&p.sv, 1050, pre, 0x11);
	pair_seal(&p);
	CHECK_EQ_INT(pair_sync(&p, NEG_EXT_SHORT_IDS, 0, &bytes, &rounds, &l),
	    0);
	CHECK_EQ_INT(l.have.count, 2);
	CHECK_EQ_INT(l.need.count, 1);
	CHECK(pair_learnt_all(&p, &l));
	free(l.have.ids);
	free(l.need.ids);
	memset(&l, 0, sizeof(l));
	pair_close(&p);

	/* On the server: two of its ids match one listed prefix. */
	pair_open(&p, 100, 1000);
	add_with_prefix(&p.cv, 1050, pre, 0x11);
	add_with_prefix(&p.sv, 1050, pre, 0x11);
	add_with_prefix(&p.sv, 1051, pre, 0x44);
	pair_seal(&p);
	CHECK_EQ_INT(pair_sync(&p, NEG_EXT_SHORT_IDS, 0, &bytes, &rounds, &l),
	    0);
	CHECK_EQ_INT(l.have.count, 1);
	CHECK_EQ_INT(l.need.count, 2);
	CHECK(pair_learnt_all(&p, &l));
	free(l.have.ids);
	free(l.need.ids);
	pair_close(&p);
}

TEST(short_id_modes_are_unknown_without_the_extension)
{
	struct one_server o;
	struct errbuf eb = { 0 };

	one_server_open(&o, 0);
	/* A PrefixList of one 4-byte prefix, bounded by infinity. */
	CHECK_EQ_INT(one_server_feed(&o, "6100000301" "04" "eeeeeeee", &eb),
	    AMIE_EPROTO);
	CHECK_STR(eb.msg, "negentropy: unknown range mode 3");
	neg_set_extensions(&o.n, NEG_EXT_SHORT_IDS);
	CHECK_EQ_INT(one_server_feed(&o, "6100000301" "04" "eeeeeeee", &eb), 0);
	/* Its only item matched: nothing missing either way, then the
	 * fingerprint of that item. */
	CHECK_EQ_INT(o.out.len, 1 + 3 + 2 + NEG_FP_SHORT_LEN);
	one_server_close(&o);
}

TEST(short_id_messages_out_of_bounds_are_refused)
{
	struct one_server o;
	struct errbuf eb = { 0 };

	one_server_open(&o, 0);
	neg_set_extensions(&o.n, NEG_EXT_SHORT_IDS);
	CHECK_EQ_INT(one_server_feed(&o, "610000032004", &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "PrefixList of 32 ids") != NULL);
	CHECK_EQ_INT(one_server_feed(&o, "6100000301" "00", &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "prefix of 0 bytes") != NULL);
	CHECK_EQ_INT(one_server_feed(&o, "6100000301" "21", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(one_server_feed(&o, "6100000302" "04" "eeeeeeee", &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "ends inside a PrefixList") != NULL);
	CHECK_EQ_INT(one_server_feed(&o, "61000004000000", &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "PrefixReply from the client") != NULL);
	CHECK_EQ_INT(one_server_feed(&o, "61000005", &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "ListRequest from the client") != NULL);
	one_server_close(&o);
}

TESTS(
	T(fingerprints_match_reference),
	T(level_counts_trailing_zero_nibbles),
	T(content_splits_cut_at_high_items_and_find_every_difference),
	T(sum_sub_undoes_sum_add),
	T(varints_match_reference),
	T(bound_sequences_match_reference),
	T(minimal_bounds_match_reference),
	T(server_answers_unsupported_version_with_its_own),
	T(rejects_version_byte_outside_0x60_0x6f),
	T(client_rejects_reply_of_unsupported_version),
	T(client_is_done_when_server_replies_version_only),
	T(rejects_varint_over_10_bytes),
	T(rejects_truncated_message),
	T(rejects_id_prefix_over_32_bytes),
	T(rejects_unknown_mode),
	T(rejects_frame_limit_between_1_and_4095),
	T(rejects_message_over_limit),
	T(roles_are_not_mixed),
	T(client_stops_when_callback_fails),
	T(client_counts_repeated_id_once),
	T(vector_seal_sorts_and_drops_duplicates),
	T(storage_with_prefix_sums_gives_same_messages),
	T(session_10_explicit_items_follow_generator),
	T(session_01_identical_1000_matches_reference),
	T(session_02_server_has_10_extra_matches_reference),
	T(session_03_server_missing_10_matches_reference),
	T(session_04_both_50_unique_5000_common_matches_reference),
	T(session_05_client_empty_server_200_matches_reference),
	T(session_06_client_200_server_empty_matches_reference),
	T(session_07_framelimit_4096_20000_common_500_diff_matches_reference),
	T(session_08_same_timestamp_3000_matches_reference),
	T(session_09_framelimit_4096_client_empty_1000_matches_reference),
	T(session_10_small_explicit_matches_reference),
	T(continue_goes_on_where_a_session_stopped),
    T(continue_after_the_client_changed_a_listed_range),
	T(short_ids_find_every_difference_in_fewer_bytes_than_v1),
	T(short_ids_work_under_a_frame_limit),
	T(extensions_under_a_frame_limit_find_a_missing_run),
	T(short_ids_fall_back_on_a_prefix_collision),
	T(short_id_modes_are_unknown_without_the_extension),
	T(short_id_messages_out_of_bounds_are_refused)
)
