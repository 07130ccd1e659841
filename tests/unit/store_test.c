/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store/store.c: ingest rules, idempotence, heads, growth, reopening. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/internal.h"
#include "tests/unit/test.h"

#define TS0 1764320000000ull
#define SMALL_MAP ((size_t)8 << 20)

struct fixture {
	char dir[64];
	uint8_t pk[32], sk[64], net[32];
	struct store *st;
	uint8_t *charter;
	size_t charter_len;
};

static void
fx_rm(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Sign a record: kind, key, refs, kb body of text_len bytes. */
static uint8_t *
fx_sign(const uint8_t pk[32], const uint8_t sk[64], const uint8_t *net,
    const char *kind, const char *key, uint64_t ts,
    const uint8_t (*refs)[32], uint32_t nrefs, size_t text_len, size_t *len,
    uint8_t id[32])
{
	struct record_header h;
	struct body_charter c;
	struct body_kb a;
	struct mpw body, out;
	char *text = xmalloc(text_len + 1);
	uint8_t *buf;

	memset(text, 'a', text_len);
	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (strcmp(kind, "charter") == 0) {
		c.name.s = "Fed";
		c.name.len = 3;
		memcpy(c.founder, pk, 32);
		c.admit_quorum = c.remove_quorum = 1;
		body_charter_encode(&c, &body);
	} else {
		memset(&a, 0, sizeof(a));
		a.title.s = key;
		a.title.len = (uint32_t)strlen(key);
		a.text.s = text;
		a.text.len = (uint32_t)text_len;
		body_kb_encode(&a, &body);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, pk, 32);
	h.ts = ts;
	h.refs_count = nrefs;
	if (nrefs)
		memcpy(h.refs, refs, nrefs * 32);
	if (record_sign(&h, body.buf, body.len, sk, net, &out, id, NULL) != 0)
		abort();
	buf = mpw_take(&out, len);
	mpw_release(&body);
	free(text);
	return buf;
}

static int
fx_ingest1(struct fixture *f, const uint8_t *buf, size_t len,
    struct store_out *o)
{
	struct store_in in = { buf, len };
	struct errbuf eb;

	return store_ingest(f->st, &in, 1, TS0 + 1000000, o, &eb);
}

static void
fx_open(struct fixture *f, int with_charter)
{
	struct store_out o;
	struct errbuf eb;
	struct record r;
	uint8_t id[32];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/amie-store-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	crypto_sign_keypair(f->pk, f->sk);
	if (store_open(&f->st, f->dir, f->pk, &eb) != 0)
		abort();
	f->charter = fx_sign(f->pk, f->sk, NULL, "charter", "", TS0, NULL, 0,
	    0, &f->charter_len, id);
	record_decode(&r, f->charter, f->charter_len, NULL);
	record_network_id(f->net, r.header, r.header_len);
	if (with_charter && (fx_ingest1(f, f->charter, f->charter_len, &o) != 0 ||
	    !o.stored))
		abort();
}

static void
fx_close(struct fixture *f)
{
	store_close(&f->st);
	free(f->charter);
	fx_rm(f->dir);
}

static uint64_t
fx_records(struct fixture *f)
{
	struct store_stats s;
	struct errbuf eb;

	store_stats(f->st, &s, &eb);
	return s.records;
}

TEST(ingest_is_idempotent)
{
	struct fixture f;
	struct store_out o;
	uint8_t id[32], *r;
	size_t len;

	fx_open(&f, 1);
	r = fx_sign(f.pk, f.sk, f.net, "kb", "art1", TS0 + 1, NULL, 0, 10,
	    &len, id);
	CHECK_EQ_INT(fx_ingest1(&f, r, len, &o), 0);
	CHECK_EQ_INT(o.stored, 1);
	CHECK(memcmp(o.id, id, 32) == 0);
	CHECK_EQ_INT(fx_ingest1(&f, r, len, &o), 0);
	CHECK_EQ_INT(o.code, 0);
	CHECK_EQ_INT(o.stored, 0);
	CHECK_EQ_INT(fx_records(&f), 2);
	free(r);
	fx_close(&f);
}

TEST(a_refused_record_leaves_the_rest_of_its_batch)
{
	struct fixture f;
	struct store_in in[3];
	struct store_out o[3];
	struct errbuf eb;
	uint8_t id[32], *a, *b, *c;
	size_t la, lb, lc;

	fx_open(&f, 1);
	a = fx_sign(f.pk, f.sk, f.net, "kb", "a", TS0 + 1, NULL, 0, 5, &la, id);
	b = fx_sign(f.pk, f.sk, f.net, "kb", "b", TS0 + 2, NULL, 0, 5, &lb, id);
	c = fx_sign(f.pk, f.sk, f.net, "kb", "c", TS0 + 3, NULL, 0, 5, &lc, id);
	b[lb - 1] ^= 1;		/* the body no longer matches its hash */
	in[0] = (struct store_in){ a, la };
	in[1] = (struct store_in){ b, lb };
	in[2] = (struct store_in){ c, lc };
	CHECK_EQ_INT(store_ingest(f.st, in, 3, TS0 + 1000000, o, &eb), 0);
	CHECK_EQ_INT(o[0].stored, 1);
	CHECK_EQ_INT(o[1].stored, 0);
	CHECK_EQ_INT(o[1].code, AMIE_ESIG);
	CHECK(strstr(o[1].reason, "hash") != NULL);
	CHECK_EQ_INT(o[2].stored, 1);
	CHECK_EQ_INT(fx_records(&f), 3);
	free(a);
	free(b);
	free(c);
	fx_close(&f);
}

TEST(refuses_records_before_a_charter)
{
	struct fixture f;
	struct store_out o;
	uint8_t id[32], *r;
	size_t len;

	fx_open(&f, 0);
	r = fx_sign(f.pk, f.sk, f.net, "kb", "x1", TS0 + 1, NULL, 0, 5, &len,
	    id);
	CHECK_EQ_INT(fx_ingest1(&f, r, len, &o), 0);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK(strstr(o.reason, "no federation") != NULL);
	CHECK_EQ_INT(fx_records(&f), 0);
	free(r);
	fx_close(&f);
}

TEST(refuses_a_second_charter_and_non_members)
{
	struct fixture f;
	struct store_out o;
	uint8_t pk2[32], sk2[64], id[32], *r;
	size_t len;

	fx_open(&f, 1);
	crypto_sign_keypair(pk2, sk2);
	r = fx_sign(pk2, sk2, NULL, "charter", "", TS0, NULL, 0, 0, &len, id);
	CHECK_EQ_INT(fx_ingest1(&f, r, len, &o), 0);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	free(r);
	r = fx_sign(pk2, sk2, f.net, "kb", "k", TS0 + 1, NULL, 0, 5, &len, id);
	CHECK_EQ_INT(fx_ingest1(&f, r, len, &o), 0);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK(strstr(o.reason, "not a member") != NULL);
	CHECK_EQ_INT(fx_records(&f), 1);
	free(r);
	fx_close(&f);
}

TEST(a_revision_replaces_its_head_in_any_arrival_order)
{
	struct fixture f;
	struct store_out o;
	struct store_head heads[4];
	struct errbuf eb;
	uint8_t id1[32], id2[32], *r1, *r2;
	size_t l1, l2, n = 0;

	fx_open(&f, 1);
	r1 = fx_sign(f.pk, f.sk, f.net, "kb", "obj", TS0 + 1, NULL, 0, 5, &l1,
	    id1);
	r2 = fx_sign(f.pk, f.sk, f.net, "kb", "obj", TS0 + 2,
	    (const uint8_t (*)[32])id1, 1, 6, &l2, id2);
	/* The newer revision first, as a peer may send it. */
	CHECK_EQ_INT(fx_ingest1(&f, r2, l2, &o), 0);
	CHECK_EQ_INT(fx_ingest1(&f, r1, l1, &o), 0);
	CHECK_EQ_INT(store_object_heads(f.st, "kb", "obj", heads, 4, &n, &eb),
	    0);
	CHECK_EQ_INT(n, 1);
	CHECK(memcmp(heads[0].id, id2, 32) == 0);
	free(r1);
	free(r2);
	fx_close(&f);
}

TEST(concurrent_revisions_leave_two_heads_and_a_winner)
{
	struct fixture f;
	struct store_out o;
	struct store_head heads[4];
	struct errbuf eb;
	uint8_t id1[32], ida[32], idb[32], *r1, *ra, *rb;
	size_t l1, la, lb, n = 0, w;

	fx_open(&f, 1);
	r1 = fx_sign(f.pk, f.sk, f.net, "kb", "obj", TS0 + 1, NULL, 0, 5, &l1,
	    id1);
	ra = fx_sign(f.pk, f.sk, f.net, "kb", "obj", TS0 + 5,
	    (const uint8_t (*)[32])id1, 1, 6, &la, ida);
	rb = fx_sign(f.pk, f.sk, f.net, "kb", "obj", TS0 + 3,
	    (const uint8_t (*)[32])id1, 1, 7, &lb, idb);
	fx_ingest1(&f, r1, l1, &o);
	fx_ingest1(&f, ra, la, &o);
	fx_ingest1(&f, rb, lb, &o);
	CHECK_EQ_INT(store_object_heads(f.st, "kb", "obj", heads, 4, &n, &eb),
	    0);
	REQUIRE(n == 2);
	w = store_head_winner(heads, n);
	CHECK(memcmp(heads[w].id, ida, 32) == 0);	/* the latest ts */
	free(r1);
	free(ra);
	free(rb);
	fx_close(&f);
}

TEST(winner_on_equal_ts_is_the_lowest_id)
{
	struct store_head h[3] = { { 5, { 0x01 } }, { 7, { 0x02 } },
	    { 7, { 0x03 } } };

	CHECK_EQ_INT(store_head_winner(h, 3), 1);
}

TEST(finds_objects_by_unique_prefix)
{
	struct fixture f;
	struct store_out o;
	struct errbuf eb;
	char key[RECORD_KEY_MAX + 1];
	uint8_t id[32], *a, *b;
	size_t la, lb;

	fx_open(&f, 1);
	a = fx_sign(f.pk, f.sk, f.net, "kb", "abcd1111", TS0 + 1, NULL, 0, 5,
	    &la, id);
	b = fx_sign(f.pk, f.sk, f.net, "kb", "abcd2222", TS0 + 2, NULL, 0, 5,
	    &lb, id);
	fx_ingest1(&f, a, la, &o);
	fx_ingest1(&f, b, lb, &o);
	CHECK_EQ_INT(store_object_find(f.st, "kb", "abcd1", key, &eb), 0);
	CHECK_STR(key, "abcd1111");
	CHECK_EQ_INT(store_object_find(f.st, "kb", "abcd", key, &eb),
	    AMIE_EAMBIGUOUS);
	CHECK_EQ_INT(store_object_find(f.st, "kb", "abc", key, &eb),
	    AMIE_EUSAGE);
	CHECK_EQ_INT(store_object_find(f.st, "kb", "ffff", key, &eb),
	    AMIE_ENOTFOUND);
	CHECK_EQ_INT(store_object_find(f.st, "charter", "abcd1111", key, &eb),
	    AMIE_ENOTFOUND);
	free(a);
	free(b);
	fx_close(&f);
}

TEST(map_grows_when_full)
{
	struct fixture f;
	struct store_out o;
	struct store_stats s;
	struct errbuf eb;
	uint8_t id[32], *r;
	size_t len, stored = 0, n = 2 * SMALL_MAP / RECORD_BODY_MAX;

	fx_open(&f, 1);
	/* Start from a small map, as a store made with a small one would. */
	REQUIRE(mdb_env_set_mapsize(f.st->env, SMALL_MAP) == 0);
	f.st->map_size = SMALL_MAP;
	for (size_t i = 0; i < n; i++) {
		char key[32];

		snprintf(key, sizeof(key), "big%zu", i);
		r = fx_sign(f.pk, f.sk, f.net, "kb", key, TS0 + 1 + i, NULL, 0,
		    RECORD_BODY_MAX - 100, &len, id);
		CHECK_EQ_INT(fx_ingest1(&f, r, len, &o), 0);
		stored += o.stored;
		free(r);
	}
	CHECK_EQ_INT(stored, n);
	store_stats(f.st, &s, &eb);
	CHECK(s.map_bytes > SMALL_MAP);
	CHECK_EQ_INT(s.records, n + 1);
	fx_close(&f);
}

TEST(records_survive_reopening)
{
	struct fixture f;
	struct store_out o;
	struct errbuf eb;
	uint8_t id[32], net[32], *r, *got;
	size_t len, glen;
	uint64_t ts;

	fx_open(&f, 1);
	r = fx_sign(f.pk, f.sk, f.net, "kb", "keep", TS0 + 9, NULL, 0, 5, &len,
	    id);
	fx_ingest1(&f, r, len, &o);
	store_close(&f.st);
	CHECK(f.st == NULL);
	REQUIRE(store_open(&f.st, f.dir, f.pk, &eb) == 0);
	CHECK_EQ_INT(store_get(f.st, id, &got, &glen, &eb), 0);
	CHECK(glen == len && memcmp(got, r, len) == 0);
	CHECK_EQ_INT(store_network_id(f.st, net), 0);
	CHECK(memcmp(net, f.net, 32) == 0);
	CHECK_EQ_INT(store_last_ts(f.st, f.pk, &ts, &eb), 0);
	CHECK_EQ_INT(ts, TS0 + 9);
	free(got);
	free(r);
	fx_close(&f);
}

/* The mode of the last commit: 1 when its meta page was left unflushed. */
static int
fx_relayed(struct fixture *f)
{
	unsigned flags = 0;

	CHECK_EQ_INT(mdb_env_get_flags(f->st->env, &flags), 0);
	CHECK_EQ_INT((flags & MDB_NOMETASYNC) != 0, f->st->unsynced);
	return f->st->unsynced;
}

TEST(slices_from_peers_skip_the_meta_flush_and_own_writes_do_not)
{
	struct fixture f;
	struct store_in in[2];
	struct store_out o[2], o1;
	struct errbuf eb;
	uint8_t ids[3][32], *bufs[3], *got;
	size_t lens[3], glen;

	fx_open(&f, 1);
	CHECK_EQ_INT(fx_relayed(&f), 0);
	for (int i = 0; i < 3; i++) {
		char key[24];

		snprintf(key, sizeof(key), "relay%d", i);
		bufs[i] = fx_sign(f.pk, f.sk, f.net, "kb", key, TS0 + 1 + i,
		    NULL, 0, 50, &lens[i], ids[i]);
	}
	in[0] = (struct store_in){ bufs[0], lens[0] };
	in[1] = (struct store_in){ bufs[1], lens[1] };
	/* A slice on the writer thread: relayed. */
	REQUIRE(store_ingest_start(f.st, in, 2, TS0 + 1000000, o, NULL, 0,
	    0) == 0);
	CHECK_EQ_INT(store_ingest_end(f.st, &eb), 0);
	CHECK(o[0].stored && o[1].stored);
	CHECK_EQ_INT(fx_relayed(&f), 1);
	/* A write of the node's own after it flushes everything. */
	CHECK_EQ_INT(fx_ingest1(&f, bufs[2], lens[2], &o1), 0);
	CHECK(o1.stored);
	CHECK_EQ_INT(fx_relayed(&f), 0);
	/* A relayed commit last: closing flushes it, and it is there. */
	REQUIRE(store_ingest_start(f.st, in, 2, TS0 + 1000000, o, NULL, 0,
	    0) == 0);
	CHECK_EQ_INT(store_ingest_end(f.st, &eb), 0);
	CHECK_EQ_INT(fx_relayed(&f), 1);
	store_close(&f.st);
	REQUIRE(store_open(&f.st, f.dir, f.pk, &eb) == 0);
	CHECK_EQ_INT(fx_relayed(&f), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(store_get(f.st, ids[i], &got, &glen, &eb), 0);
		CHECK(glen == lens[i] && memcmp(got, bufs[i], glen) == 0);
		free(got);
		free(bufs[i]);
	}
	fx_close(&f);
}

TEST(verifying_threads_give_the_same_outcome_as_one)
{
	struct fixture f1, f2;
	struct store_in in[40];
	struct store_out o1[40], o2[40];
	struct errbuf eb;
	uint8_t *bufs[40], id[32], pk[32], sk[64];
	size_t lens[40];

	fx_open(&f1, 1);
	fx_open(&f2, 0);
	/* Both stores of the same federation: f2 gets f1's charter. */
	memcpy(pk, f1.pk, 32);
	memcpy(sk, f1.sk, 64);
	REQUIRE(fx_ingest1(&f2, f1.charter, f1.charter_len, &o1[0]) == 0);
	for (size_t i = 0; i < 40; i++) {
		char key[16];

		snprintf(key, sizeof(key), "p%zu", i);
		bufs[i] = fx_sign(pk, sk, f1.net, "kb", key, TS0 + 1 + i, NULL,
		    0, 20, &lens[i], id);
	}
	bufs[7][lens[7] - 1] ^= 1;		/* a body that lies */
	free(bufs[9]);
	bufs[9] = xmalloc(lens[8]);		/* a duplicate in the batch */
	memcpy(bufs[9], bufs[8], lens[8]);
	lens[9] = lens[8];
	for (size_t i = 0; i < 40; i++)
		in[i] = (struct store_in){ bufs[i], lens[i] };
	store_set_verify_threads(f1.st, 1);
	store_set_verify_threads(f2.st, 2);
	CHECK_EQ_INT(store_ingest(f1.st, in, 40, TS0 + 1000000, o1, &eb), 0);
	CHECK_EQ_INT(store_ingest(f2.st, in, 40, TS0 + 1000000, o2, &eb), 0);
	for (size_t i = 0; i < 40; i++) {
		CHECK_EQ_INT(o1[i].code, o2[i].code);
		CHECK_EQ_INT(o1[i].stored, o2[i].stored);
		CHECK_STR(o2[i].reason, o1[i].reason);
	}
	CHECK_EQ_INT(o2[7].code, AMIE_ESIG);
	CHECK_EQ_INT(o2[9].stored, 0);
	CHECK_EQ_INT(fx_records(&f1), fx_records(&f2));
	for (size_t i = 0; i < 40; i++)
		free(bufs[i]);
	fx_close(&f1);
	fx_close(&f2);
}

TEST(batches_verified_ahead_are_written_in_order_after_commit)
{
	struct fixture f;
	struct store_in a[32], b[32], c[32];
	struct store_out o[32];
	struct errbuf eb;
	uint8_t *bufs[96], ids[96][32];
	size_t lens[96];

	fx_open(&f, 1);
	store_set_verify_threads(f.st, 2);
	/* Batch b revises what batch a writes; c repeats a. */
	for (size_t i = 0; i < 64; i++) {
		char key[16];

		snprintf(key, sizeof(key), "q%zu", i % 32);
		bufs[i] = fx_sign(f.pk, f.sk, f.net, "kb", key, TS0 + 1 + i,
		    i >= 32 ? (const uint8_t (*)[32])ids[i - 32] : NULL,
		    i >= 32, 20, &lens[i],
		    ids[i]);
	}
	bufs[40][lens[40] - 1] ^= 1;		/* a body that lies */
	for (size_t i = 0; i < 32; i++) {
		a[i] = (struct store_in){ bufs[i], lens[i] };
		b[i] = (struct store_in){ bufs[32 + i], lens[32 + i] };
		c[i] = a[i];
	}
	store_ingest_ahead(f.st, a, 32, TS0 + 1000000);
	store_ingest_ahead(f.st, b, 32, TS0 + 1000000);
	store_ingest_ahead(f.st, c, 32, TS0 + 1000000);
	/* Nothing is written before store_ingest(). */
	CHECK_EQ_INT(fx_records(&f), 1);
	CHECK_EQ_INT(store_ingest(f.st, a, 32, TS0 + 1000000, o, &eb), 0);
	for (size_t i = 0; i < 32; i++)
		CHECK(o[i].stored);
	CHECK_EQ_INT(fx_records(&f), 33);
	/* Handed ahead for another clock: verified again, same outcome. */
	CHECK_EQ_INT(store_ingest(f.st, b, 32, TS0 + 2000000, o, &eb), 0);
	for (size_t i = 0; i < 32; i++) {
		CHECK_EQ_INT(o[i].stored, i != 8);
		CHECK_EQ_INT(o[i].code, i != 8 ? 0 : AMIE_ESIG);
	}
	CHECK_EQ_INT(store_ingest(f.st, c, 32, TS0 + 1000000, o, &eb), 0);
	for (size_t i = 0; i < 32; i++) {
		CHECK_EQ_INT(o[i].stored, 0);
		CHECK_EQ_INT(o[i].code, 0);
	}
	CHECK_EQ_INT(fx_records(&f), 64);
	/* A batch handed ahead and never ingested is dropped at close; its
	 * records must live until then (workers may still read them). */
	store_ingest_ahead(f.st, a, 32, TS0 + 1000000);
	fx_close(&f);
	for (size_t i = 0; i < 64; i++)
		free(bufs[i]);
}

TEST(batches_on_the_writer_thread_are_stored_while_the_caller_reads)
{
	struct fixture f;
	struct store_in a[64], b[64];
	struct store_out oa[64], ob[64], o1;
	struct errbuf eb;
	uint8_t *bufs[129], ids[129][32];
	size_t lens[129];

	fx_open(&f, 1);
	store_set_verify_threads(f.st, 2);
	CHECK_EQ_INT(store_ingest_fd(f.st), -1);	/* not started yet */
	for (size_t i = 0; i < 129; i++) {
		char key[16];

		snprintf(key, sizeof(key), "w%zu", i);
		bufs[i] = fx_sign(f.pk, f.sk, f.net, "kb", key, TS0 + 1 + i,
		    NULL, 0, 200, &lens[i], ids[i]);
	}
	bufs[70][lens[70] - 1] ^= 1;		/* a body that lies */
	for (size_t i = 0; i < 64; i++) {
		a[i] = (struct store_in){ bufs[i], lens[i] };
		b[i] = (struct store_in){ bufs[64 + i], lens[64 + i] };
	}
	/* a is written on the writer thread, b verified meanwhile; this
	 * thread reads the store until a is done. */
	REQUIRE(store_ingest_start(f.st, a, 64, TS0 + 1000000, oa, b, 64,
	    TS0 + 1000000) == 0);
	CHECK(store_ingest_fd(f.st) >= 0);
	do {
		uint64_t n = fx_records(&f);

		CHECK(n == 1 || n == 65);	/* all of a or none of it */
	} while (!store_ingest_done(f.st));
	CHECK_EQ_INT(store_ingest_end(f.st, &eb), 0);
	for (size_t i = 0; i < 64; i++)
		CHECK(oa[i].stored);
	CHECK_EQ_INT(fx_records(&f), 65);
	/* Another ingest on this thread waits for the writer's batch. */
	REQUIRE(store_ingest_start(f.st, b, 64, TS0 + 1000000, ob, NULL, 0,
	    0) == 0);
	CHECK_EQ_INT(fx_ingest1(&f, bufs[128], lens[128], &o1), 0);
	CHECK(o1.stored);
	CHECK_EQ_INT(store_ingest_end(f.st, &eb), 0);
	for (size_t i = 0; i < 64; i++) {
		CHECK_EQ_INT(ob[i].stored, i != 6);
		CHECK_EQ_INT(ob[i].code, i != 6 ? 0 : AMIE_ESIG);
	}
	CHECK_EQ_INT(fx_records(&f), 129);
	for (size_t i = 0; i < 129; i++)
		free(bufs[i]);
	fx_close(&f);
}

TEST(a_full_map_is_grown_by_the_caller_of_the_writer_thread)
{
	enum { N = 2 * SMALL_MAP / RECORD_BODY_MAX, BATCH = 16 };
	struct fixture f;
	struct store_in in[BATCH];
	struct store_out o[BATCH];
	struct store_stats s;
	struct errbuf eb;
	uint8_t id[32], *bufs[BATCH];
	size_t lens[BATCH], stored = 0, done = 0;

	fx_open(&f, 1);
	REQUIRE(mdb_env_set_mapsize(f.st->env, SMALL_MAP) == 0);
	f.st->map_size = SMALL_MAP;
	while (done < N) {
		size_t n = N - done < BATCH ? N - done : BATCH;

		for (size_t i = 0; i < n; i++) {
			char key[32];

			snprintf(key, sizeof(key), "big%zu", done + i);
			bufs[i] = fx_sign(f.pk, f.sk, f.net, "kb", key,
			    TS0 + 1 + done + i, NULL, 0, RECORD_BODY_MAX - 100,
			    &lens[i], id);
			in[i] = (struct store_in){ bufs[i], lens[i] };
		}
		REQUIRE(store_ingest_start(f.st, in, n, TS0 + 1000000, o,
		    NULL, 0, 0) == 0);
		CHECK_EQ_INT(store_ingest_end(f.st, &eb), 0);
		for (size_t i = 0; i < n; i++) {
			stored += o[i].stored;
			free(bufs[i]);
		}
		done += n;
	}
	CHECK_EQ_INT(stored, N);
	store_stats(f.st, &s, &eb);
	CHECK(s.map_bytes > SMALL_MAP);
	CHECK_EQ_INT(s.records, N + 1);
	fx_close(&f);
}

/* The reader slots doctor reports as taken are the read transactions open
 * now, not the most ever open at once: a burst of them, all ended, leaves
 * none taken. */
TEST(health_counts_the_readers_open_now)
{
	enum { N = 40 };
	struct fixture f;
	struct store_health h;
	struct errbuf eb;
	MDB_txn *txn[N];

	fx_open(&f, 1);
	for (size_t i = 0; i < N; i++)
		REQUIRE(mdb_txn_begin(f.st->env, NULL, MDB_RDONLY,
		    &txn[i]) == 0);
	CHECK_EQ_INT(store_health(f.st, &h, &eb), 0);
	CHECK_EQ_INT(h.readers_used, N);
	for (size_t i = 0; i < N; i++)
		mdb_txn_abort(txn[i]);
	CHECK_EQ_INT(store_health(f.st, &h, &eb), 0);
	CHECK_EQ_INT(h.readers_used, 0);
	fx_close(&f);
}

TESTS(T(ingest_is_idempotent),
    T(a_refused_record_leaves_the_rest_of_its_batch),
    T(refuses_records_before_a_charter),
    T(refuses_a_second_charter_and_non_members),
    T(a_revision_replaces_its_head_in_any_arrival_order),
    T(concurrent_revisions_leave_two_heads_and_a_winner),
    T(winner_on_equal_ts_is_the_lowest_id),
    T(finds_objects_by_unique_prefix),
    T(map_grows_when_full),
    T(batches_on_the_writer_thread_are_stored_while_the_caller_reads),
    T(a_full_map_is_grown_by_the_caller_of_the_writer_thread),
    T(records_survive_reopening),
    T(health_counts_the_readers_open_now),
    T(slices_from_peers_skip_the_meta_flush_and_own_writes_do_not),
    T(verifying_threads_give_the_same_outcome_as_one),
    T(batches_verified_ahead_are_written_in_order_after_commit))
