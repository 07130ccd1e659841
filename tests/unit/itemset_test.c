/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store/itemset.c: the runs of the ladder stay right through inserts and
 * deletes at every level, and depend on the items only; a snapshot is a
 * Negentropy storage indistinguishable from a neg_vector of the same
 * items, byte for byte, in V1 and with content splits; the whole-set
 * fingerprint reads nothing past the top level; snapshots are isolated.
 *
 * Items are written straight through itemset_add/itemset_del in write
 * transactions of our own (records would have to be signed otherwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/itemset.h"
#include "tests/unit/test.h"

#define TS0 1764320000000ull

struct fx {
	char dir[64];
	struct store *st;
};

static int
fx_open(struct fx *f)
{
	uint8_t self[RECORD_KEY_LEN];
	struct errbuf eb = { 0 };

	memset(self, 0x5a, sizeof(self));
	snprintf(f->dir, sizeof(f->dir), "/tmp/itemset_test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (store_open(&f->st, f->dir, self, &eb) != 0) {
		fprintf(stderr, "  store_open: %s\n", eb.msg);
		return -1;
	}
	return 0;
}

static void
fx_close(struct fx *f)
{
	char cmd[128];

	store_close(&f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", f->dir);
}

/* A reproducible generator (splitmix64). */
static uint64_t
rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * A random item.  Timestamps come from a range of spread values, so that
 * many items share one and bounds need id prefixes; ids sometimes share a
 * long prefix with the previous one.  With high_levels, one in 16 ends in
 * zero bytes, for items of every level.
 */
static int high_levels;

static void
rnd_item(uint64_t *state, uint64_t spread, struct neg_item *it)
{
	static uint8_t last[NEG_ID_LEN];
	uint64_t r;
	size_t i, keep;

	it->ts = TS0 + rnd(state) % spread;
	keep = rnd(state) % 8 == 0 ? rnd(state) % 6 : 0;
	memcpy(it->id, last, keep);
	for (i = keep; i < NEG_ID_LEN; i += 8) {
		r = rnd(state);
		memcpy(it->id + i, &r, NEG_ID_LEN - i < 8 ? NEG_ID_LEN - i : 8);
	}
	if (high_levels && rnd(state) % 16 == 0)
		memset(it->id + NEG_ID_LEN - 4, 0, 1 + rnd(state) % 4);
	memcpy(last, it->id, NEG_ID_LEN);
}

static int
item_cmp(const void *a, const void *b)
{
	const struct neg_item *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->id, y->id, NEG_ID_LEN);
}

/* Add (del = 0) or delete count items in one write transaction. */
static int
apply(struct store *st, const struct neg_item *items, size_t count, int del)
{
	MDB_txn *txn;
	size_t i;
	int mrc;

	if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return mrc;
	for (i = 0; i < count; i++) {
		mrc = del ? itemset_del(st, txn, items[i].ts, items[i].id) :
			    itemset_add(st, txn, items[i].ts, items[i].id);
		if (mrc != 0) {
			mdb_txn_abort(txn);
			return mrc;
		}
	}
	return mdb_txn_commit(txn);
}

/* A sealed vector of count items. */
static void
vec_of(struct neg_vector *v, const struct neg_item *items, size_t count)
{
	size_t i;

	neg_vector_init(v, count);
	for (i = 0; i < count; i++)
		if (neg_vector_add(v, items[i].ts, items[i].id, NULL) != 0)
			abort();
	neg_vector_seal(v);
}

/* Whether the snapshot's items are exactly the sorted items of want. */
static int
snap_is(struct itemset_snap *s, const struct neg_item *want, size_t count)
{
	const struct neg_storage *ns = itemset_snap_storage(s);
	struct neg_item got;
	struct errbuf eb = { 0 };
	size_t n, i;

	if (ns->size(ns->ctx, &n, &eb) != 0 || n != count) {
		fprintf(stderr, "  snapshot holds %zu items, expected %zu\n", n,
		    count);
		return 0;
	}
	for (i = 0; i < count; i++) {
		if (ns->item(ns->ctx, i, &got, &eb) != 0) {
			fprintf(stderr, "  item %zu: %s\n", i, eb.msg);
			return 0;
		}
		if (item_cmp(&got, &want[i]) != 0) {
			fprintf(stderr, "  item %zu differs\n", i);
			return 0;
		}
	}
	return 1;
}

/* A model of the set: items kept unsorted, sorted on demand. */
struct model {
	struct neg_item *items;
	size_t count;
	size_t cap;
};

static void
model_add(struct model *m, const struct neg_item *it)
{
	if (m->count == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->items = realloc(m->items, m->cap * sizeof(*m->items));
		if (m->items == NULL)
			abort();
	}
	m->items[m->count++] = *it;
}

static void
model_take(struct model *m, size_t i, struct neg_item *out)
{
	*out = m->items[i];
	m->items[i] = m->items[--m->count];
}

static void
model_sort(struct model *m)
{
	if (m->count > 1)
		qsort(m->items, m->count, sizeof(*m->items), item_cmp);
}

/* The runs of level in st's ladder. */
static size_t
level_runs(struct store *st, unsigned level)
{
	uint8_t k[1] = { (uint8_t)level };
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val key = { 1, k }, val;
	size_t n = 0;
	int mrc;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0 ||
	    mdb_cursor_open(txn, st->chunks, &c) != 0)
		abort();
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	     mrc == 0 && *(const uint8_t *)key.mv_data == level;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT))
		n++;
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return n;
}

/* Verify the store and compare a snapshot of it with the model. */
static int
check_against(struct store *st, struct model *m)
{
	struct itemset_snap *s = NULL;
	struct errbuf eb = { 0 };
	int ok;

	if (itemset_verify(st, &eb) != 0) {
		fprintf(stderr, "  verify: %s\n", eb.msg);
		return 0;
	}
	if (itemset_snap_open(st, &s, &eb) != 0) {
		fprintf(stderr, "  snap_open: %s\n", eb.msg);
		return 0;
	}
	model_sort(m);
	ok = snap_is(s, m->items, m->count);
	itemset_snap_close(&s);
	return ok && s == NULL;
}

TEST(verify_holds_through_random_inserts_and_deletes)
{
	struct fx f;
	struct model m = { 0 };
	struct neg_item it;
	uint64_t seed = 1;
	size_t round, i, ops;
	MDB_txn *txn;

	high_levels = 1;

	REQUIRE(fx_open(&f) == 0);
	/* Grow: inserts in random order, some before every item. */
	for (round = 0; round < 40 && !test_failed_; round++) {
		ops = 200 + rnd(&seed) % 400;
		REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
		for (i = 0; i < ops; i++) {
			uint64_t r = rnd(&seed) % 100;

			if (r < 25 && m.count > 0) {
				/* Delete a random item, or the first one. */
				if (r < 5) {
					model_sort(&m);
					model_take(&m, 0, &it);
				} else
					model_take(&m, rnd(&seed) % m.count,
					    &it);
				CHECK_EQ_INT(itemset_del(f.st, txn, it.ts,
						 it.id),
				    0);
				/* Deleting it again changes nothing. */
				CHECK_EQ_INT(itemset_del(f.st, txn, it.ts,
						 it.id),
				    MDB_NOTFOUND);
				continue;
			}
			rnd_item(&seed, 500, &it);
			if (r < 30)
				it.ts = TS0 - 1 - rnd(&seed) % 3;
			CHECK_EQ_INT(itemset_add(f.st, txn, it.ts, it.id), 0);
			model_add(&m, &it);
		}
		REQUIRE(mdb_txn_commit(txn) == 0);
		CHECK(check_against(f.st, &m));
	}
	/* Runs at every level. */
	CHECK(level_runs(f.st, ITEMSET_LEVELS) > 1);

	/* Shrink: delete most items, from the front and at random. */
	for (round = 0; round < 20 && m.count > 0 && !test_failed_; round++) {
		REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
		model_sort(&m);
		ops = m.count / 3 + 1;
		for (i = 0; i < ops && m.count > 0; i++) {
			if (i % 4 == 0) {
				it = m.items[0];
				memmove(m.items, m.items + 1,
				    (m.count - 1) * sizeof(*m.items));
				m.count--;
			} else
				model_take(&m, rnd(&seed) % m.count, &it);
			CHECK_EQ_INT(itemset_del(f.st, txn, it.ts, it.id), 0);
		}
		REQUIRE(mdb_txn_commit(txn) == 0);
		CHECK(check_against(f.st, &m));
	}
	/* Empty the set, then start it again. */
	REQUIRE(apply(f.st, m.items, m.count, 1) == 0);
	m.count = 0;
	CHECK(check_against(f.st, &m));
	rnd_item(&seed, 10, &it);
	REQUIRE(apply(f.st, &it, 1, 0) == 0);
	model_add(&m, &it);
	CHECK(check_against(f.st, &m));
	free(m.items);
	fx_close(&f);
	high_levels = 0;
}

/*
 * Transactions as ingest runs them, through itemset_batch(): items in
 * order (most fall into the runs the cache holds), at random and
 * deleted, with boundaries of every level among them; the set verifies
 * and matches the model after every commit, and an aborted batch leaves
 * nothing behind.
 */
TEST(batched_adds_keep_the_ladder_right_in_and_out_of_order)
{
	struct fx f;
	struct model m = { 0 };
	struct neg_item it;
	uint64_t seed = 7, next_ts = TS0 + 1000;
	size_t round, i;
	MDB_txn *txn;

	high_levels = 1;
	REQUIRE(fx_open(&f) == 0);
	for (round = 0; round < 30 && !test_failed_; round++) {
		int abandon = round % 7 == 6;
		struct model keep = m;

		if (abandon) {
			keep.items = malloc(m.count * sizeof(*m.items) + 1);
			REQUIRE(keep.items != NULL);
			memcpy(keep.items, m.items, m.count * sizeof(*m.items));
			keep.cap = m.count;
		}
		REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
		itemset_batch(f.st);
		for (i = 0; i < 300; i++) {
			uint64_t r = rnd(&seed) % 100;

			if (r < 5 && m.count > 0) {
				model_take(&m, rnd(&seed) % m.count, &it);
				CHECK_EQ_INT(itemset_del(f.st, txn, it.ts,
						 it.id),
				    0);
				continue;
			}
			rnd_item(&seed, 500, &it);
			if (r < 80)
				it.ts = next_ts++;	/* in order */
			CHECK_EQ_INT(itemset_add(f.st, txn, it.ts, it.id), 0);
			model_add(&m, &it);
		}
		if (abandon) {
			itemset_discard(f.st);
			mdb_txn_abort(txn);
			free(m.items);
			m = keep;
		} else {
			CHECK_EQ_INT(itemset_flush(f.st, txn), 0);
			REQUIRE(mdb_txn_commit(txn) == 0);
		}
		CHECK(check_against(f.st, &m));
	}
	CHECK(level_runs(f.st, 3) > 1);
	free(m.items);
	fx_close(&f);
	high_levels = 0;
}

TEST(adding_twice_and_deleting_absent_change_nothing)
{
	struct fx f;
	struct model m = { 0 };
	struct neg_item items[3000];
	uint64_t seed = 7;
	size_t i;

	REQUIRE(fx_open(&f) == 0);
	for (i = 0; i < 3000; i++) {
		rnd_item(&seed, 1000, &items[i]);
		model_add(&m, &items[i]);
	}
	REQUIRE(apply(f.st, items, 3000, 0) == 0);
	REQUIRE(apply(f.st, items, 3000, 0) == 0);
	CHECK(check_against(f.st, &m));
	rnd_item(&seed, 1000, &items[0]);
	CHECK_EQ_INT(apply(f.st, items, 1, 1), MDB_NOTFOUND);
	CHECK(check_against(f.st, &m));
	free(m.items);
	fx_close(&f);
}

TEST(verify_reports_a_wrong_sum_and_an_item_in_no_run)
{
	struct fx f;
	struct neg_item items[2000];
	struct errbuf eb = { 0 };
	uint64_t seed = 3;
	uint8_t k[1 + STORE_TSID_LEN] = { 1 };
	uint8_t item[STORE_TSID_LEN];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val key = { sizeof(k), k }, val;
	uint8_t v[81];
	size_t i;

	REQUIRE(fx_open(&f) == 0);
	for (i = 0; i < 2000; i++)
		rnd_item(&seed, 100, &items[i]);
	REQUIRE(apply(f.st, items, 2000, 0) == 0);
	REQUIRE(itemset_verify(f.st, &eb) == 0);

	/* Flip one bit of the sum of the first level-1 run after the head. */
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	REQUIRE(mdb_cursor_open(txn, f.st->chunks, &c) == 0);
	REQUIRE(mdb_cursor_get(c, &key, &val, MDB_SET_RANGE) == 0);
	REQUIRE(key.mv_size == sizeof(k) && val.mv_size == sizeof(v));
	memcpy(k, key.mv_data, sizeof(k));
	REQUIRE(k[0] == 1);
	memcpy(v, val.mv_data, val.mv_size);
	v[9 + 5] ^= 1;
	mdb_cursor_close(c);
	REQUIRE(store_put(txn, f.st->chunks, k, sizeof(k), v, sizeof(v), 0) ==
	    0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK_EQ_INT(itemset_verify(f.st, &eb), AMIE_EIO);
	CHECK(strstr(eb.msg, "level-1 run 1 ") != NULL &&
	    strstr(eb.msg, "sum") != NULL);
	fprintf(stderr, "  (as expected: %s)\n", eb.msg);

	/* Repair it; then slip in a level-0 item past every run's count. */
	v[9 + 5] ^= 1;
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	REQUIRE(store_put(txn, f.st->chunks, k, sizeof(k), v, sizeof(v), 0) ==
	    0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK_EQ_INT(itemset_verify(f.st, &eb), 0);
	store_be64(item, TS0 + 1000000);
	memset(item + 8, 0xab, NEG_ID_LEN);
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	REQUIRE(store_put(txn, f.st->items, item, sizeof(item), "", 0, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK_EQ_INT(itemset_verify(f.st, &eb), AMIE_EIO);
	CHECK(strstr(eb.msg, "level-1 run") != NULL &&
	    strstr(eb.msg, "counts") != NULL);
	fprintf(stderr, "  (as expected: %s)\n", eb.msg);
	{
		struct itemset_snap *s = NULL;

		CHECK_EQ_INT(itemset_snap_open(f.st, &s, &eb), AMIE_EIO);
		CHECK(s == NULL);
		fprintf(stderr, "  (as expected: %s)\n", eb.msg);
	}
	fx_close(&f);
}

TEST(ranges_answer_as_a_vector)
{
	/* The last size has every item on one timestamp. */
	static const size_t sizes[] = { 0, 1, 31, 32, 1000, 5000, 3000 };
	struct fx f;
	struct neg_item *items;
	struct neg_vector v;
	struct neg_storage vs;
	const struct neg_storage *ss;
	struct itemset_snap *s = NULL;
	struct neg_bound b;
	struct neg_item it;
	struct errbuf eb = { 0 };
	uint8_t s1[NEG_ID_LEN], s2[NEG_ID_LEN];
	uint64_t seed = 11;
	size_t k, i, n, begin, end, x1, x2, trial;
	size_t p1[NEG_SPLIT_MAX], p2[NEG_SPLIT_MAX], n1, n2;
	unsigned l1, l2;

	high_levels = 1;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		n = sizes[k];
		REQUIRE(fx_open(&f) == 0);
		items = calloc(n + 1, sizeof(*items));
		for (i = 0; i < n; i++)
			rnd_item(&seed, k == 6 ? 1 : n / 4 + 1, &items[i]);
		REQUIRE(apply(f.st, items, n, 0) == 0);
		vec_of(&v, items, n);
		neg_vector_storage(&v, &vs);
		REQUIRE(itemset_snap_open(f.st, &s, &eb) == 0);
		ss = itemset_snap_storage(s);
		CHECK_EQ_INT(itemset_snap_count(s), v.count);
		for (trial = 0; trial < 3000 && !test_failed_; trial++) {
			begin = rnd(&seed) % (v.count + 1);
			end = begin + rnd(&seed) % (v.count - begin + 1);
			REQUIRE(vs.sum(vs.ctx, begin, end, s1, NULL) == 0);
			REQUIRE(ss->sum(ss->ctx, begin, end, s2, &eb) == 0);
			CHECK(memcmp(s1, s2, NEG_ID_LEN) == 0);

			/* The same split points, and the same items. */
			REQUIRE(vs.splits(vs.ctx, begin, end, p1, &n1, &l1,
			    NULL) == 0);
			REQUIRE(ss->splits(ss->ctx, begin, end, p2, &n2, &l2,
			    &eb) == 0);
			CHECK_EQ_INT(n2, n1);
			if (n1 > 0 && n1 == n2) {
				CHECK_EQ_INT(l2, l1);
				CHECK(memcmp(p1, p2, n1 * sizeof(*p1)) == 0);
			}
			/* What the memo keeps of them: the item at each and
			 * the one before, and the sums up to them. */
			for (i = 0; i < n2 && i < n1 && !test_failed_; i++) {
				REQUIRE(ss->item(ss->ctx, p2[i], &it, &eb) ==
				    0);
				CHECK(item_cmp(&it, &v.items[p2[i]]) == 0);
				REQUIRE(ss->item(ss->ctx, p2[i] - 1, &it,
				    &eb) == 0);
				CHECK(item_cmp(&it, &v.items[p2[i] - 1]) == 0);
				x1 = i > 0 ? p2[i - 1] : begin;
				REQUIRE(vs.sum(vs.ctx, x1, p2[i], s1,
				    NULL) == 0);
				REQUIRE(ss->sum(ss->ctx, x1, p2[i], s2,
				    &eb) == 0);
				CHECK(memcmp(s1, s2, NEG_ID_LEN) == 0);
			}
			if (begin < end) {
				REQUIRE(ss->item(ss->ctx, begin, &it, &eb) == 0);
				CHECK(item_cmp(&it, &v.items[begin]) == 0);
				REQUIRE(ss->item(ss->ctx, end - 1, &it, &eb) ==
				    0);
				CHECK(item_cmp(&it, &v.items[end - 1]) == 0);
			}

			/* A bound near an item, shortened or not. */
			memset(&b, 0, sizeof(b));
			if (v.count > 0 && rnd(&seed) % 4 != 0) {
				it = v.items[rnd(&seed) % v.count];
				b.ts = it.ts + rnd(&seed) % 3 - 1;
				b.id_len = rnd(&seed) % (NEG_ID_LEN + 1);
				memcpy(b.id, it.id, b.id_len);
			} else if (rnd(&seed) % 2)
				b.ts = NEG_TS_INFINITY;
			else
				b.ts = TS0 + rnd(&seed) % (n / 4 + 2);
			REQUIRE(vs.lower_bound(vs.ctx, begin, end, &b, &x1,
				    NULL) == 0);
			REQUIRE(ss->lower_bound(ss->ctx, begin, end, &b, &x2,
				    &eb) == 0);
			CHECK_EQ_INT(x2, x1);
			if (x2 == x1 && x2 < end) {
				REQUIRE(ss->item(ss->ctx, x2, &it, &eb) == 0);
				CHECK(item_cmp(&it, &v.items[x2]) == 0);
				REQUIRE(vs.sum(vs.ctx, 0, x2, s1, NULL) == 0);
				REQUIRE(ss->sum(ss->ctx, 0, x2, s2, &eb) == 0);
				CHECK(memcmp(s1, s2, NEG_ID_LEN) == 0);
			}
		}
		itemset_snap_close(&s);
		neg_vector_release(&v);
		free(items);
		fx_close(&f);
	}
	high_levels = 0;
}

/* A whole session: every message, and what the client learnt. */
struct transcript {
	uint8_t *bytes;
	size_t len;
	size_t cap;
	struct neg_item *ids; /* ts 1 for have, 0 for need */
	size_t count;
	size_t idcap;
	int rounds;
};

static void
tr_put(struct transcript *t, const void *p, size_t len)
{
	if (t->len + len + 8 > t->cap) {
		t->cap = 2 * (t->len + len + 8);
		t->bytes = realloc(t->bytes, t->cap);
		if (t->bytes == NULL)
			abort();
	}
	store_be64(t->bytes + t->len, len);
	memcpy(t->bytes + t->len + 8, p, len);
	t->len += len + 8;
}

static int
tr_on_id(void *ctx, int have, const uint8_t id[NEG_ID_LEN], struct errbuf *eb)
{
	struct transcript *t = ctx;

	(void)eb;
	if (t->count == t->idcap) {
		t->idcap = t->idcap ? 2 * t->idcap : 64;
		t->ids = realloc(t->ids, t->idcap * sizeof(*t->ids));
		if (t->ids == NULL)
			abort();
	}
	t->ids[t->count].ts = (uint64_t)have;
	memcpy(t->ids[t->count++].id, id, NEG_ID_LEN);
	return 0;
}

static void
tr_free(struct transcript *t)
{
	free(t->bytes);
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

/* Run client over cs against server over ss to the end; 0 or a code. */
static int
session(const struct neg_storage *cs, const struct neg_storage *ss,
    size_t frame_limit, unsigned ext, struct transcript *t)
{
	struct neg client, server;
	struct neg_buf cmsg, smsg;
	struct errbuf eb = { 0 };
	int done = 0, rc;

	memset(t, 0, sizeof(*t));
	if ((rc = neg_init(&client, cs, frame_limit, &eb)) != 0)
		return rc;
	if ((rc = neg_init(&server, ss, frame_limit, &eb)) != 0) {
		neg_release(&client);
		return rc;
	}
	neg_set_extensions(&client, ext);
	neg_set_extensions(&server, ext);
	neg_buf_init(&cmsg);
	neg_buf_init(&smsg);
	rc = neg_initiate(&client, &cmsg, &eb);
	while (rc == 0 && !done && t->rounds < 1000) {
		tr_put(t, cmsg.data, cmsg.len);
		if ((rc = neg_reconcile_server(&server, cmsg.data, cmsg.len,
			 &smsg, &eb)) != 0)
			break;
		tr_put(t, smsg.data, smsg.len);
		rc = neg_reconcile_client(&client, smsg.data, smsg.len, &cmsg,
		    tr_on_id, t, &done, &eb);
		t->rounds++;
	}
	if (rc != 0)
		fprintf(stderr, "  session: %s\n", eb.msg);
	if (rc == 0 && !done)
		rc = AMIE_ELIMIT;
	if (t->count > 1)
		qsort(t->ids, t->count, sizeof(*t->ids), item_cmp);
	neg_buf_release(&cmsg);
	neg_buf_release(&smsg);
	neg_release(&client);
	neg_release(&server);
	return rc;
}

static int
tr_same(const struct transcript *a, const struct transcript *b)
{
	if (a->len != b->len || memcmp(a->bytes, b->bytes, a->len) != 0) {
		fprintf(stderr, "  messages differ (%zu and %zu bytes)\n",
		    a->len, b->len);
		return 0;
	}
	if (a->count != b->count ||
	    (a->count > 0 &&
		memcmp(a->ids, b->ids, a->count * sizeof(*a->ids)) != 0)) {
		fprintf(stderr, "  have/need differ (%zu and %zu ids)\n",
		    a->count, b->count);
		return 0;
	}
	return a->rounds == b->rounds;
}

/*
 * Two sets around size n: a common part, items only A has and items only
 * B has (about a tenth each, none for the smallest).
 */
static void
two_sets(uint64_t *seed, size_t n, uint64_t spread, struct neg_item **a,
    size_t *na, struct neg_item **b, size_t *nb)
{
	struct neg_item it;
	size_t i, extra = n / 10;

	*a = calloc(n + 1, sizeof(**a));
	*b = calloc(n + extra + 1, sizeof(**b));
	*na = *nb = 0;
	for (i = 0; i < n; i++) {
		rnd_item(seed, spread, &it);
		(*a)[(*na)++] = it;
		if (n < 32 || rnd(seed) % 10 != 0)
			(*b)[(*nb)++] = it;
	}
	for (i = 0; i < extra; i++) {
		rnd_item(seed, spread, &it);
		(*b)[(*nb)++] = it;
	}
	if (n == 31 || n == 1) {
		/* Make these differ a little too. */
		rnd_item(seed, spread, &it);
		(*b)[(*nb)++] = it;
	}
}

TEST(sessions_over_snapshots_match_vectors_byte_for_byte)
{
	/* The last size has every item on one timestamp. */
	static const size_t sizes[] = { 0, 1, 31, 32, 1000, 5000, 3000 };
	static const size_t frames[] = { 0, 4096 };
	struct fx fa, fb;
	struct neg_item *a, *b;
	struct neg_vector va, vb;
	struct neg_storage vsa, vsb;
	struct itemset_snap *sa = NULL, *sb = NULL;
	const struct neg_storage *ssa, *ssb;
	struct transcript ref, got;
	struct errbuf eb = { 0 };
	uint64_t seed = 5, spread;
	size_t k, fi, fl, na, nb;
	unsigned ext;

	high_levels = 1;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		REQUIRE(fx_open(&fa) == 0);
		REQUIRE(fx_open(&fb) == 0);
		spread = k == 6 ? 1 : sizes[k] / 3 + 1;
		two_sets(&seed, sizes[k], spread, &a, &na, &b, &nb);
		REQUIRE(apply(fa.st, a, na, 0) == 0);
		REQUIRE(apply(fb.st, b, nb, 0) == 0);
		vec_of(&va, a, na);
		vec_of(&vb, b, nb);
		neg_vector_storage(&va, &vsa);
		neg_vector_storage(&vb, &vsb);
		REQUIRE(itemset_snap_open(fa.st, &sa, &eb) == 0);
		REQUIRE(itemset_snap_open(fb.st, &sb, &eb) == 0);
		ssa = itemset_snap_storage(sa);
		ssb = itemset_snap_storage(sb);
		/* Each frame limit, in V1 and with content splits. */
		for (fi = 0; fi < 4; fi++) {
			ext = fi < 2 ? 0 : NEG_EXT_CONTENT_SPLITS;
			fl = frames[fi % 2];
			/* A client, B server. */
			REQUIRE(session(&vsa, &vsb, fl, ext, &ref) == 0);
			CHECK(session(ssa, &vsb, fl, ext, &got) == 0);
			CHECK(tr_same(&ref, &got));
			tr_free(&got);
			CHECK(session(&vsa, ssb, fl, ext, &got) == 0);
			CHECK(tr_same(&ref, &got));
			tr_free(&got);
			CHECK(session(ssa, ssb, fl, ext, &got) == 0);
			CHECK(tr_same(&ref, &got));
			if (sizes[k] >= 1000)
				CHECK(ref.count > 0);
			tr_free(&got);
			tr_free(&ref);
			/* B client, A server. */
			REQUIRE(session(&vsb, &vsa, fl, ext, &ref) == 0);
			CHECK(session(ssb, &vsa, fl, ext, &got) == 0);
			CHECK(tr_same(&ref, &got));
			tr_free(&got);
			CHECK(session(&vsb, ssa, fl, ext, &got) == 0);
			CHECK(tr_same(&ref, &got));
			tr_free(&got);
			tr_free(&ref);
		}
		itemset_snap_close(&sa);
		itemset_snap_close(&sb);
		neg_vector_release(&va);
		neg_vector_release(&vb);
		free(a);
		free(b);
		fx_close(&fa);
		fx_close(&fb);
	}
	high_levels = 0;
}

/* n random items in fresh store f, whose items are returned. */
static struct neg_item *
fill(struct fx *f, uint64_t *seed, size_t n)
{
	struct neg_item *items = calloc(n + 1, sizeof(*items));
	size_t i;

	if (items == NULL || fx_open(f) != 0)
		abort();
	for (i = 0; i < n; i++)
		rnd_item(seed, n, &items[i]);
	if (apply(f->st, items, n, 0) != 0)
		abort();
	return items;
}

TEST(whole_set_fingerprint_reads_no_item)
{
	struct fx f;
	struct neg_item *items;
	struct neg_vector v;
	struct neg_storage vs;
	struct itemset_snap *s = NULL;
	const struct neg_storage *ss;
	struct errbuf eb = { 0 };
	uint8_t s1[NEG_ID_LEN], s2[NEG_ID_LEN];
	uint64_t seed = 13, dir;
	size_t n, i, top;

	items = fill(&f, &seed, 20000);
	REQUIRE(itemset_snap_open(f.st, &s, &eb) == 0);
	ss = itemset_snap_storage(s);
	dir = itemset_snap_reads(s);
	REQUIRE(ss->size(ss->ctx, &n, &eb) == 0);
	CHECK_EQ_INT(n, 20000);
	REQUIRE(ss->sum(ss->ctx, 0, n, s2, &eb) == 0);
	CHECK_EQ_INT(itemset_snap_reads(s), dir);
	/* The top level alone: its head run and a run per top item. */
	top = 1;
	for (i = 0; i < 20000; i++)
		top += neg_level(items[i].id) == ITEMSET_LEVELS;
	CHECK_EQ_INT(dir, top);
	vec_of(&v, items, 20000);
	neg_vector_storage(&v, &vs);
	REQUIRE(vs.sum(vs.ctx, 0, v.count, s1, NULL) == 0);
	CHECK(memcmp(s1, s2, NEG_ID_LEN) == 0);
	neg_vector_release(&v);
	itemset_snap_close(&s);
	free(items);
	fx_close(&f);
}

TEST(sequential_items_cost_a_step_each)
{
	struct fx f;
	struct neg_item *items, it;
	struct itemset_snap *s = NULL;
	const struct neg_storage *ss;
	struct errbuf eb = { 0 };
	uint64_t seed = 17, r0, p0;
	size_t i;

	items = fill(&f, &seed, 5000);
	qsort(items, 5000, sizeof(*items), item_cmp);
	REQUIRE(itemset_snap_open(f.st, &s, &eb) == 0);
	ss = itemset_snap_storage(s);
	r0 = itemset_snap_reads(s);
	p0 = itemset_snap_pages(s);
	for (i = 1000; i < 3000; i++) {
		REQUIRE(ss->item(ss->ctx, i, &it, &eb) == 0);
		CHECK(item_cmp(&it, &items[i]) == 0);
	}
	/* One descent (at most 16 runs a level and 16 items), then one
	 * step per item, on the pages that hold 2000 items in order. */
	fprintf(stderr, "  (2000 items in sequence: %llu reads, %llu pages)\n",
	    (unsigned long long)(itemset_snap_reads(s) - r0),
	    (unsigned long long)(itemset_snap_pages(s) - p0));
	CHECK(itemset_snap_reads(s) - r0 <=
	    2000 + 1 + 16 * ITEMSET_LEVELS + 16);
	CHECK(itemset_snap_pages(s) - p0 <= 2000 / 40 + 2 * ITEMSET_LEVELS);
	r0 = itemset_snap_reads(s);
	for (i = 0; i < 10; i++)
		REQUIRE(ss->item(ss->ctx, 2999, &it, &eb) == 0);
	CHECK_EQ_INT(itemset_snap_reads(s) - r0, 0);
	itemset_snap_close(&s);
	free(items);
	fx_close(&f);
}

/* Reads of one reconciliation between two stores holding the same n. */
static void
identical_cost(size_t n)
{
	struct fx fa, fb;
	struct neg_item *items;
	struct itemset_snap *sa = NULL, *sb = NULL;
	struct transcript t;
	struct errbuf eb = { 0 };
	uint64_t seed = 19, ra, rb;

	items = fill(&fa, &seed, n);
	REQUIRE(fx_open(&fb) == 0);
	REQUIRE(apply(fb.st, items, n, 0) == 0);
	REQUIRE(itemset_snap_open(fa.st, &sa, &eb) == 0);
	REQUIRE(itemset_snap_open(fb.st, &sb, &eb) == 0);
	ra = itemset_snap_reads(sa);
	rb = itemset_snap_reads(sb);
	CHECK(session(itemset_snap_storage(sa), itemset_snap_storage(sb), 0,
		  NEG_EXT_CONTENT_SPLITS, &t) == 0);
	CHECK_EQ_INT(t.rounds, 1);
	CHECK_EQ_INT(t.count, 0);
	fprintf(stderr,
	    "  (%zu identical items: top level %llu reads; "
	    "client %llu reads, server %llu, in %llu and %llu pages; "
	    "one round trip)\n",
	    n, (unsigned long long)ra,
	    (unsigned long long)(itemset_snap_reads(sa) - ra),
	    (unsigned long long)(itemset_snap_reads(sb) - rb),
	    (unsigned long long)itemset_snap_pages(sa),
	    (unsigned long long)itemset_snap_pages(sb));
	/*
	 * The client splits the set on the boundaries of one level, whose
	 * runs lie in a few pages, and the server finds them there: the
	 * levels above and one step down to an item each, whatever n.
	 */
	CHECK(itemset_snap_pages(sa) <= 4 * ITEMSET_LEVELS);
	CHECK(itemset_snap_pages(sb) <= 4 * ITEMSET_LEVELS);
	CHECK(itemset_snap_pages(sa) > 0 &&
	    itemset_snap_pages(sa) <= itemset_snap_reads(sa));
	tr_free(&t);
	itemset_snap_close(&sa);
	itemset_snap_close(&sb);
	free(items);
	fx_close(&fa);
	fx_close(&fb);
}

TEST(identical_sets_reconcile_in_one_round_in_few_reads)
{
	identical_cost(20000);
	identical_cost(100000);
}

TEST(snapshot_does_not_see_later_items)
{
	struct fx f;
	struct neg_item *items, more[100];
	struct itemset_snap *s = NULL, *s2 = NULL;
	const struct neg_storage *ss;
	struct errbuf eb = { 0 };
	struct neg_vector v;
	struct neg_storage vs;
	struct transcript ref, got;
	uint64_t seed = 23;
	size_t i, n;

	items = fill(&f, &seed, 3000);
	REQUIRE(itemset_snap_open(f.st, &s, &eb) == 0);
	ss = itemset_snap_storage(s);
	for (i = 0; i < 100; i++)
		rnd_item(&seed, 3000, &more[i]);
	REQUIRE(apply(f.st, more, 100, 0) == 0);
	REQUIRE(apply(f.st, items, 50, 1) == 0);
	CHECK_EQ_INT(itemset_snap_count(s), 3000);
	REQUIRE(ss->size(ss->ctx, &n, &eb) == 0);
	CHECK_EQ_INT(n, 3000);
	qsort(items, 3000, sizeof(*items), item_cmp);
	CHECK(snap_is(s, items, 3000));

	/* It still reconciles as the vector of what it saw. */
	vec_of(&v, items, 3000);
	neg_vector_storage(&v, &vs);
	REQUIRE(itemset_snap_open(f.st, &s2, &eb) == 0);
	CHECK_EQ_INT(itemset_snap_count(s2), 3050);
	REQUIRE(session(&vs, itemset_snap_storage(s2), 0,
	    NEG_EXT_CONTENT_SPLITS, &ref) == 0);
	CHECK(session(ss, itemset_snap_storage(s2), 0, NEG_EXT_CONTENT_SPLITS,
	    &got) == 0);
	CHECK(tr_same(&ref, &got));
	CHECK_EQ_INT(got.count, 150);
	tr_free(&ref);
	tr_free(&got);
	itemset_snap_close(&s2);
	itemset_snap_close(&s);
	CHECK(s == NULL);
	itemset_snap_close(&s); /* NULL does nothing */
	neg_vector_release(&v);
	free(items);
	fx_close(&f);
}

/*
 * store_grow() will not remap the environment while a snapshot's cursors
 * point into the map; once it is closed, it does.
 */
TEST(the_map_does_not_grow_under_a_snapshot)
{
	struct fx f;
	struct neg_item *items, it;
	struct itemset_snap *s = NULL;
	const struct neg_storage *ss;
	struct errbuf eb = { 0 };
	uint64_t seed = 29;
	size_t i, size;

	items = fill(&f, &seed, 4000);
	qsort(items, 4000, sizeof(*items), item_cmp);
	REQUIRE(itemset_snap_open(f.st, &s, &eb) == 0);
	ss = itemset_snap_storage(s);
	REQUIRE(ss->item(ss->ctx, 1500, &it, &eb) == 0);
	size = f.st->map_size;
	CHECK_EQ_INT(store_grow(f.st, &eb), AMIE_EAGAIN);
	CHECK_EQ_INT(f.st->map_size, size);
	for (i = 1501; i < 1600; i++) {
		REQUIRE(ss->item(ss->ctx, i, &it, &eb) == 0);
		CHECK(item_cmp(&it, &items[i]) == 0);
	}
	CHECK(snap_is(s, items, 4000));
	itemset_snap_close(&s);
	CHECK_EQ_INT(store_grow(f.st, &eb), 0);
	CHECK_EQ_INT(f.st->map_size, 2 * size);
	free(items);
	fx_close(&f);
}

/* Reopen f's store: the upgrade at open builds the ladder, which then
 * holds exactly the count items. */
static void
reopen_rebuilds(struct fx *f, struct neg_item *items, size_t count)
{
	struct itemset_snap *s = NULL;
	uint8_t self[RECORD_KEY_LEN];
	struct errbuf eb = { 0 };

	store_close(&f->st);
	memset(self, 0x5a, sizeof(self));
	REQUIRE(store_open(&f->st, f->dir, self, &eb) == 0);
	CHECK_EQ_INT(itemset_verify(f->st, &eb), 0);
	REQUIRE(itemset_snap_open(f->st, &s, &eb) == 0);
	CHECK(snap_is(s, items, count));
	itemset_snap_close(&s);
	free(items);
	fx_close(f);
}

/* 3,000 random items in fresh store f, sorted; first gets the key of the
 * first. */
static struct neg_item *
old_items(struct fx *f, uint64_t seed, uint8_t first[STORE_TSID_LEN])
{
	struct neg_item *items = fill(f, &seed, 3000);

	qsort(items, 3000, sizeof(*items), item_cmp);
	store_be64(first, items[0].ts);
	memcpy(first + 8, items[0].id, NEG_ID_LEN);
	return items;
}

/* Put the entry (k, v) into f's chunks, emptied first with drop, as an
 * earlier layout wrote it. */
static void
old_entry(struct fx *f, int drop, const void *k, size_t klen, const void *v,
    size_t vlen)
{
	MDB_txn *txn;

	REQUIRE(mdb_txn_begin(f->st->env, NULL, 0, &txn) == 0);
	REQUIRE(!drop || mdb_drop(txn, f->st->chunks, 0) == 0);
	REQUIRE(store_put(txn, f->st->chunks, k, klen, v, vlen, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
}

/*
 * A store of the single-level layout (chunks keyed by the bare item key,
 * count (4) || sum (32)) gets its ladder built from the items at open.
 */
TEST(chunks_of_the_single_level_layout_are_rebuilt_at_open)
{
	struct fx f;
	struct neg_item *items;
	struct errbuf eb = { 0 };
	uint8_t k[STORE_TSID_LEN];
	uint8_t v[4 + NEG_ID_LEN] = { 0 };

	items = old_items(&f, 31, k);
	old_entry(&f, 1, k, sizeof(k), v, sizeof(v));
	CHECK_EQ_INT(itemset_verify(f.st, &eb), AMIE_EIO);
	reopen_rebuilds(&f, items, 3000);
}

/*
 * The tree of one row per entry (41-byte keys, items (8) || children (4)
 * || sum (32)) gets its ladder built at open.
 */
TEST(chunks_of_the_entry_per_row_layout_are_rebuilt_at_open)
{
	struct fx f;
	struct neg_item *items;
	struct itemset_snap *s = NULL;
	struct errbuf eb = { 0 };
	uint8_t k[1 + STORE_TSID_LEN] = { 0 };
	uint8_t v[8 + 4 + NEG_ID_LEN] = { 0 };

	items = old_items(&f, 41, k + 1);
	/* A level-0 entry and the root above it, as that layout wrote. */
	store_be64(v, 3000);
	v[11] = 16;
	old_entry(&f, 1, k, sizeof(k), v, sizeof(v));
	k[0] = 1;
	old_entry(&f, 0, k, sizeof(k), v, sizeof(v));
	CHECK_EQ_INT(itemset_verify(f.st, &eb), AMIE_EIO);
	fprintf(stderr, "  (as expected: %s)\n", eb.msg);
	CHECK_EQ_INT(itemset_snap_open(f.st, &s, &eb), AMIE_EIO);
	reopen_rebuilds(&f, items, 3000);
}

/*
 * The B-tree of one value per node (41-byte keys, format byte 2, a child
 * count and the children) gets its ladder built at open.
 */
TEST(chunks_of_the_node_tree_layout_are_rebuilt_at_open)
{
	struct fx f;
	struct neg_item *items;
	struct errbuf eb = { 0 };
	uint8_t k[1 + STORE_TSID_LEN] = { 0 };
	uint8_t v[2 + STORE_TSID_LEN] = { 2, 1 };

	items = old_items(&f, 43, k + 1);
	/* A leaf of one item, as that layout wrote. */
	memcpy(v + 2, k + 1, STORE_TSID_LEN);
	old_entry(&f, 1, k, sizeof(k), v, sizeof(v));
	CHECK_EQ_INT(itemset_verify(f.st, &eb), AMIE_EIO);
	reopen_rebuilds(&f, items, 3000);
}

/* Copy of every entry of st's chunks, concatenated, and its length. */
static uint8_t *
chunks_dump(struct store *st, size_t *len)
{
	uint8_t *out = NULL;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val key, val;
	int mrc;

	*len = 0;
	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0 ||
	    mdb_cursor_open(txn, st->chunks, &c) != 0)
		abort();
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		out = realloc(out, *len + 2 + key.mv_size + val.mv_size);
		if (out == NULL)
			abort();
		out[(*len)++] = (uint8_t)key.mv_size;
		memcpy(out + *len, key.mv_data, key.mv_size);
		*len += key.mv_size;
		out[(*len)++] = (uint8_t)val.mv_size;
		memcpy(out + *len, val.mv_data, val.mv_size);
		*len += val.mv_size;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return out;
}

/*
 * The runs depend on the items, not on the order they came in: a store
 * filled in order in batches, one filled in another order with items
 * added, deleted and added again, and one built at open hold the same
 * chunks, byte for byte.
 */
TEST(runs_depend_on_the_items_only)
{
	struct fx fa, fb, fc;
	struct neg_item *items, extra[500];
	uint8_t *da, *db, *dc, self[RECORD_KEY_LEN];
	struct errbuf eb = { 0 };
	size_t n = 6000, i, la, lb, lc;
	uint64_t seed = 47;
	MDB_txn *txn;

	high_levels = 1;

	items = fill(&fa, &seed, n);
	for (i = 0; i < 500; i++)
		rnd_item(&seed, n, &extra[i]);
	REQUIRE(fx_open(&fb) == 0);
	REQUIRE(apply(fb.st, extra, 500, 0) == 0);
	for (i = n; i > 0; i -= 1000)
		REQUIRE(apply(fb.st, items + i - 1000, 1000, 0) == 0);
	REQUIRE(apply(fb.st, extra, 500, 1) == 0);
	REQUIRE(apply(fb.st, items, 700, 1) == 0);
	REQUIRE(apply(fb.st, items, 700, 0) == 0);
	CHECK_EQ_INT(itemset_verify(fb.st, &eb), 0);
	/* The third store's chunks dropped, as if of an older layout. */
	REQUIRE(fx_open(&fc) == 0);
	REQUIRE(apply(fc.st, items, n, 0) == 0);
	REQUIRE(mdb_txn_begin(fc.st->env, NULL, 0, &txn) == 0);
	REQUIRE(mdb_drop(txn, fc.st->chunks, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	store_close(&fc.st);
	memset(self, 0x5a, sizeof(self));
	REQUIRE(store_open(&fc.st, fc.dir, self, &eb) == 0);
	da = chunks_dump(fa.st, &la);
	db = chunks_dump(fb.st, &lb);
	dc = chunks_dump(fc.st, &lc);
	CHECK(la == lb && memcmp(da, db, la) == 0);
	CHECK(la == lc && memcmp(da, dc, la) == 0);
	CHECK(level_runs(fa.st, 2) > 1);
	free(da);
	free(db);
	free(dc);
	free(items);
	fx_close(&fa);
	fx_close(&fb);
	fx_close(&fc);
	high_levels = 0;
}

/* A run outside the levels, or one keyed by an item below its level, is
 * reported. */
TEST(verify_reports_runs_outside_the_levels_and_off_boundaries)
{
	struct fx f;
	struct neg_item *items;
	struct errbuf eb = { 0 };
	uint8_t k[1 + STORE_TSID_LEN] = { 0 };
	uint8_t v[81] = { 3 };
	uint64_t seed = 37;
	MDB_txn *txn;
	MDB_val key = { sizeof(k), k };
	size_t i;

	items = fill(&f, &seed, 500);
	REQUIRE(itemset_verify(f.st, &eb) == 0);
	k[0] = ITEMSET_LEVELS + 1;
	store_be64(v + 1, 1);
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	REQUIRE(
	    store_put(txn, f.st->chunks, k, sizeof(k), v, sizeof(v), 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK_EQ_INT(itemset_verify(f.st, &eb), AMIE_EIO);
	CHECK(strstr(eb.msg, "outside levels") != NULL);
	fprintf(stderr, "  (as expected: %s)\n", eb.msg);
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	REQUIRE(mdb_del(txn, f.st->chunks, &key, NULL) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK_EQ_INT(itemset_verify(f.st, &eb), 0);

	/* A level-1 run keyed by a level-0 item of the set. */
	for (i = 0; neg_level(items[i].id) != 0; i++)
		;
	k[0] = 1;
	store_be64(k + 1, items[i].ts);
	memcpy(k + 9, items[i].id, NEG_ID_LEN);
	memcpy(v + 9 + NEG_ID_LEN, k + 1, STORE_TSID_LEN);
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	REQUIRE(
	    store_put(txn, f.st->chunks, k, sizeof(k), v, sizeof(v), 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK_EQ_INT(itemset_verify(f.st, &eb), AMIE_EIO);
	CHECK(strstr(eb.msg, "level-1 run") != NULL);
	fprintf(stderr, "  (as expected: %s)\n", eb.msg);
	free(items);
	fx_close(&f);
}


/* Model tests: random work against a sorted vector. */

/* An item of level exactly level (trailing zero nibbles). */
static void
lvl_item(uint64_t *state, uint64_t spread, unsigned level,
    struct neg_item *it)
{
	uint64_t r;
	size_t i;

	it->ts = spread == 0 ? 0 : TS0 + rnd(state) % spread;
	for (i = 0; i < NEG_ID_LEN; i += 8) {
		r = rnd(state);
		memcpy(it->id + i, &r, 8);
	}
	/* Clear level nibbles from the end, then make the next one non-zero. */
	for (i = 0; i < level; i++) {
		uint8_t *b = &it->id[NEG_ID_LEN - 1 - i / 2];

		*b &= i % 2 == 0 ? 0xf0 : 0x0f;
	}
	if (level < NEG_LEVEL_MAX) {
		uint8_t *b = &it->id[NEG_ID_LEN - 1 - level / 2];

		if (level % 2 == 0 && (*b & 0x0f) == 0)
			*b |= 0x01;
		else if (level % 2 == 1 && (*b & 0xf0) == 0)
			*b |= 0x10;
	}
	if (neg_level(it->id) != level)
		abort();
}

static unsigned
rnd_level(uint64_t *state)
{
	uint64_t r = rnd(state) % 100;

	return r < 50 ? 0 : r < 75 ? 1 : r < 87 ? 2 : r < 93 ? 3 :
	    r < 96 ? 4 : r < 98 ? 5 : 6;
}

static ssize_t
model_find(const struct model *m, const struct neg_item *it)
{
	for (size_t i = 0; i < m->count; i++)
		if (item_cmp(&m->items[i], it) == 0)
			return (ssize_t)i;
	return -1;
}

static struct model
model_copy(const struct model *m)
{
	struct model c = *m;

	c.cap = m->count + 1;
	c.items = malloc(c.cap * sizeof(*c.items));
	if (c.items == NULL)
		abort();
	if (m->count > 0)
		memcpy(c.items, m->items, m->count * sizeof(*m->items));
	return c;
}

/* Everything a snapshot answers, against the sorted model. */
static int
deep_check(struct store *st, struct model *m, uint64_t *seed)
{
	struct itemset_snap *s = NULL;
	const struct neg_storage *ss;
	struct neg_vector v;
	struct neg_storage vs;
	struct errbuf eb = { 0 };
	uint8_t s1[NEG_ID_LEN], s2[NEG_ID_LEN];
	size_t p1[NEG_SPLIT_MAX], p2[NEG_SPLIT_MAX], n1, n2, x1, x2;
	unsigned l1, l2;
	struct neg_item it;
	struct neg_bound b;
	int ok = 1;

	if (!check_against(st, m))
		return 0;
	model_sort(m);
	vec_of(&v, m->items, m->count);
	neg_vector_storage(&v, &vs);
	if (itemset_snap_open(st, &s, &eb) != 0) {
		fprintf(stderr, "  snap_open: %s\n", eb.msg);
		neg_vector_release(&v);
		return 0;
	}
	ss = itemset_snap_storage(s);
	for (int trial = 0; trial < 400 && ok; trial++) {
		size_t begin = rnd(seed) % (v.count + 1);
		size_t end = begin + rnd(seed) % (v.count - begin + 1);
		int op = (int)(rnd(seed) % 4);

		if (op == 0) {
			vs.sum(vs.ctx, begin, end, s1, NULL);
			if (ss->sum(ss->ctx, begin, end, s2, &eb) != 0 ||
			    memcmp(s1, s2, NEG_ID_LEN) != 0) {
				fprintf(stderr, "  sum [%zu, %zu) of %zu "
				    "differs\n", begin, end, v.count);
				ok = 0;
			}
		} else if (op == 1) {
			vs.splits(vs.ctx, begin, end, p1, &n1, &l1, NULL);
			if (ss->splits(ss->ctx, begin, end, p2, &n2, &l2,
			    &eb) != 0 || n1 != n2 || (n1 > 0 && (l1 != l2 ||
			    memcmp(p1, p2, n1 * sizeof(*p1)) != 0))) {
				fprintf(stderr, "  splits [%zu, %zu) of %zu "
				    "differ: %zu/%u and %zu/%u\n", begin, end,
				    v.count, n1, l1, n2, l2);
				ok = 0;
			}
		} else if (op == 2 && begin < v.count) {
			if (ss->item(ss->ctx, begin, &it, &eb) != 0 ||
			    item_cmp(&it, &v.items[begin]) != 0) {
				fprintf(stderr, "  item %zu differs\n", begin);
				ok = 0;
			}
		} else {
			memset(&b, 0, sizeof(b));
			if (v.count > 0) {
				it = v.items[rnd(seed) % v.count];
				b.ts = it.ts + rnd(seed) % 3 - 1;
				b.id_len = rnd(seed) % (NEG_ID_LEN + 1);
				memcpy(b.id, it.id, b.id_len);
			} else
				b.ts = rnd(seed) % 2 ? NEG_TS_INFINITY : TS0;
			vs.lower_bound(vs.ctx, begin, end, &b, &x1, NULL);
			if (ss->lower_bound(ss->ctx, begin, end, &b, &x2,
			    &eb) != 0 || x1 != x2) {
				fprintf(stderr, "  lower bound differs\n");
				ok = 0;
			}
		}
	}
	itemset_snap_close(&s);
	neg_vector_release(&v);
	return ok;
}

TEST(model_random_batches_aborts_and_readds)
{
	struct fx f;
	struct model m = { 0 }, gone = { 0 }, keep;
	struct neg_item it;
	uint64_t seed = getenv("SEED") ? strtoull(getenv("SEED"), NULL, 0) : 101;
	size_t round, i, ops;
	MDB_txn *txn;
	ssize_t at;

	REQUIRE(fx_open(&f) == 0);
	for (round = 0; round < 120 && !test_failed_; round++) {
		int batch = rnd(&seed) % 2, abandon = rnd(&seed) % 6 == 0;
		uint64_t spread = round % 3 == 0 ? 5 : 400;

		keep = model_copy(&m);
		ops = 50 + rnd(&seed) % 250;
		REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
		if (batch)
			itemset_batch(f.st);
		for (i = 0; i < ops && !test_failed_; i++) {
			uint64_t r = rnd(&seed) % 100;

			if (r < 20 && m.count > 0) {
				size_t k = rnd(&seed) % 4 == 0 ? 0 :
				    rnd(&seed) % m.count;

				if (k == 0)
					model_sort(&m);
				model_take(&m, k, &it);
				CHECK_EQ_INT(itemset_del(f.st, txn, it.ts,
				    it.id), 0);
				model_add(&gone, &it);
			} else if (r < 25 && m.count > 0) {
				model_sort(&m);
				model_take(&m, m.count - 1, &it);
				CHECK_EQ_INT(itemset_del(f.st, txn, it.ts,
				    it.id), 0);
				model_add(&gone, &it);
			} else if (r < 35 && gone.count > 0) {
				model_take(&gone, rnd(&seed) % gone.count, &it);
				if (model_find(&m, &it) < 0) {
					CHECK_EQ_INT(itemset_add(f.st, txn,
					    it.ts, it.id), 0);
					model_add(&m, &it);
				}
			} else if (r < 40 && m.count > 0) {
				it = m.items[rnd(&seed) % m.count];
				CHECK_EQ_INT(itemset_add(f.st, txn, it.ts,
				    it.id), 0);
			} else if (r < 43) {
				lvl_item(&seed, spread, rnd_level(&seed), &it);
				if (model_find(&m, &it) < 0)
					CHECK_EQ_INT(itemset_del(f.st, txn,
					    it.ts, it.id), MDB_NOTFOUND);
			} else {
				lvl_item(&seed, r < 46 ? 0 : spread,
				    rnd_level(&seed), &it);
				if (r < 48 && m.count > 0) {
					/* Same ts as an existing item. */
					it.ts = m.items[rnd(&seed) %
					    m.count].ts;
				}
				at = model_find(&m, &it);
				CHECK_EQ_INT(itemset_add(f.st, txn, it.ts,
				    it.id), 0);
				if (at < 0)
					model_add(&m, &it);
			}
		}
		if (abandon) {
			if (batch)
				itemset_discard(f.st);
			mdb_txn_abort(txn);
			free(m.items);
			m = keep;
		} else {
			if (batch)
				CHECK_EQ_INT(itemset_flush(f.st, txn), 0);
			REQUIRE(mdb_txn_commit(txn) == 0);
			free(keep.items);
		}
		if (!deep_check(f.st, &m, &seed)) {
			fprintf(stderr, "  after round %zu (batch %d, "
			    "abandon %d)\n", round, batch, abandon);
			CHECK(0);
		}
	}
	free(m.items);
	free(gone.items);
	fx_close(&f);
}

/* The true difference of two sorted models: what a session must find. */
static size_t
model_diff(const struct model *a, const struct model *b)
{
	size_t i = 0, j = 0, d = 0;

	while (i < a->count || j < b->count) {
		int c = i == a->count ? 1 : j == b->count ? -1 :
		    item_cmp(&a->items[i], &b->items[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			i++;
			d++;
		} else {
			j++;
			d++;
		}
	}
	return d;
}

TEST(model_sessions_find_exactly_the_difference)
{
	static const size_t frames[] = { 0, 4096 };
	struct fx f;
	struct model a = { 0 }, b;
	struct neg_item it;
	struct neg_vector vb, va;
	struct neg_storage vsb, vsa;
	struct itemset_snap *s = NULL;
	struct transcript t;
	struct errbuf eb = { 0 };
	uint64_t seed = getenv("SEED") ? strtoull(getenv("SEED"), NULL, 0) : 202;
	size_t round, i, n, d, ids;
	unsigned ext;

	for (round = 0; round < 60 && !test_failed_; round++) {
		uint64_t spread = round % 4 == 0 ? 3 : 50 + rnd(&seed) % 5000;

		REQUIRE(fx_open(&f) == 0);
		a.count = 0;
		n = rnd(&seed) % 4000;
		for (i = 0; i < n; i++) {
			lvl_item(&seed, spread, rnd_level(&seed), &it);
			if (model_find(&a, &it) < 0)
				model_add(&a, &it);
		}
		REQUIRE(apply(f.st, a.items, a.count, 0) == 0);
		model_sort(&a);
		b = model_copy(&a);
		/* B: drop some, add some. */
		d = rnd(&seed) % 3 == 0 ? 0 : rnd(&seed) % 300;
		for (i = 0; i < d && b.count > 0; i++) {
			if (rnd(&seed) % 2)
				model_take(&b, rnd(&seed) % b.count, &it);
			else {
				lvl_item(&seed, spread, rnd_level(&seed), &it);
				if (model_find(&b, &it) < 0)
					model_add(&b, &it);
			}
		}
		model_sort(&b);
		vec_of(&vb, b.items, b.count);
		neg_vector_storage(&vb, &vsb);
		vec_of(&va, a.items, a.count);
		neg_vector_storage(&va, &vsa);
		REQUIRE(itemset_snap_open(f.st, &s, &eb) == 0);
		for (ext = 0; ext < 4; ext++)
			for (size_t fi = 0; fi < 2; fi++) {
				struct transcript ref;

				CHECK(session(itemset_snap_storage(s), &vsb,
				    frames[fi], ext, &t) == 0);
				ids = t.count;
				/* Ids reported twice only after a fallback;
				 * count distinct. */
				for (size_t k = 1; k < t.count; k++)
					if (item_cmp(&t.ids[k], &t.ids[k - 1])
					    == 0)
						ids--;
				if (ids != model_diff(&a, &b)) {
					fprintf(stderr, "  round %zu ext %u "
					    "frame %zu: found %zu of %zu\n",
					    round, ext, frames[fi], ids,
					    model_diff(&a, &b));
					CHECK(0);
				}
				CHECK(session(&vsa, &vsb, frames[fi], ext,
				    &ref) == 0);
				CHECK(tr_same(&ref, &t));
				tr_free(&ref);
				tr_free(&t);
				CHECK(session(&vsb, itemset_snap_storage(s),
				    frames[fi], ext, &t) == 0);
				ids = t.count;
				for (size_t k = 1; k < t.count; k++)
					if (item_cmp(&t.ids[k], &t.ids[k - 1])
					    == 0)
						ids--;
				if (ids != model_diff(&a, &b)) {
					fprintf(stderr, "  round %zu ext %u "
					    "frame %zu (B client): found %zu "
					    "of %zu\n", round, ext,
					    frames[fi], ids,
					    model_diff(&a, &b));
					CHECK(0);
				}
				tr_free(&t);
			}
		itemset_snap_close(&s);
		neg_vector_release(&vb);
		neg_vector_release(&va);
		free(b.items);
		fx_close(&f);
	}
	free(a.items);
}

/*
 * itemset_verify() (`amie check`, on the daemon's main thread) while the
 * writer thread's ingest batch holds runs in the cache: the check reads
 * its own snapshot and must leave the batch alone, which then commits a
 * ladder that matches its items.
 */
TEST(verify_during_a_batch_leaves_the_batch_alone)
{
	struct fx f;
	struct model m = { 0 };
	struct neg_item it;
	struct errbuf eb = { 0 };
	uint64_t seed = 303;
	MDB_txn *txn;
	size_t i;

	REQUIRE(fx_open(&f) == 0);
	for (i = 0; i < 500; i++) {
		lvl_item(&seed, 1000, rnd_level(&seed), &it);
		model_add(&m, &it);
	}
	REQUIRE(apply(f.st, m.items, m.count, 0) == 0);
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	itemset_batch(f.st);
	for (i = 0; i < 200; i++) {
		/* level 0: kept in the cache */
		lvl_item(&seed, 1000, 0, &it);
		CHECK_EQ_INT(itemset_add(f.st, txn, it.ts, it.id), 0);
		model_add(&m, &it);
		if (i == 100) {
			/* the check, between two adds of the batch */
			CHECK_EQ_INT(itemset_verify(f.st, &eb), 0);
			if (eb.msg[0] != '\0')
				fprintf(stderr, "  verify: %s\n", eb.msg);
		}
	}
	CHECK_EQ_INT(itemset_flush(f.st, txn), 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK(check_against(f.st, &m));
	free(m.items);
	fx_close(&f);
}

/*
 * A ladder that lost a run (amie check during an ingest batch did that,
 * before da2b69f) fails every snapshot, and so every sync: opening the
 * store builds it again from the items.
 */
TEST(a_ladder_that_lost_a_run_is_built_again_at_open)
{
	struct fx f;
	struct neg_item items[3000];
	struct itemset_snap *s = NULL;
	struct errbuf eb = { 0 };
	uint64_t seed = 11;
	uint8_t self[RECORD_KEY_LEN];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val key, val;
	size_t i;

	REQUIRE(fx_open(&f) == 0);
	for (i = 0; i < 3000; i++)
		rnd_item(&seed, 100, &items[i]);
	REQUIRE(apply(f.st, items, 3000, 0) == 0);
	REQUIRE(itemset_verify(f.st, &eb) == 0);
	/* Take out the second level-1 run. */
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	REQUIRE(mdb_cursor_open(txn, f.st->chunks, &c) == 0);
	REQUIRE(mdb_cursor_get(c, &key, &val, MDB_FIRST) == 0);
	REQUIRE(mdb_cursor_get(c, &key, &val, MDB_NEXT) == 0);
	REQUIRE(*(const uint8_t *)key.mv_data == 1);
	REQUIRE(mdb_cursor_del(c, 0) == 0);
	mdb_cursor_close(c);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK(itemset_verify(f.st, &eb) != 0);

	store_close(&f.st);
	memset(self, 0x5a, sizeof(self));
	REQUIRE(store_open(&f.st, f.dir, self, &eb) == 0);
	CHECK_EQ_INT(itemset_verify(f.st, &eb), 0);
	REQUIRE(itemset_snap_open(f.st, &s, &eb) == 0);
	itemset_snap_close(&s);
	fx_close(&f);
}

TESTS(T(verify_holds_through_random_inserts_and_deletes),
    T(batched_adds_keep_the_ladder_right_in_and_out_of_order),
    T(adding_twice_and_deleting_absent_change_nothing),
    T(verify_reports_a_wrong_sum_and_an_item_in_no_run),
    T(ranges_answer_as_a_vector),
    T(sessions_over_snapshots_match_vectors_byte_for_byte),
    T(whole_set_fingerprint_reads_no_item),
    T(sequential_items_cost_a_step_each),
    T(identical_sets_reconcile_in_one_round_in_few_reads),
    T(snapshot_does_not_see_later_items),
    T(the_map_does_not_grow_under_a_snapshot),
    T(chunks_of_the_single_level_layout_are_rebuilt_at_open),
    T(chunks_of_the_entry_per_row_layout_are_rebuilt_at_open),
    T(chunks_of_the_node_tree_layout_are_rebuilt_at_open),
    T(runs_depend_on_the_items_only),
    T(verify_reports_runs_outside_the_levels_and_off_boundaries),
    T(model_random_batches_aborts_and_readds),
    T(model_sessions_find_exactly_the_difference),
    T(verify_during_a_batch_leaves_the_batch_alone),
    T(a_ladder_that_lost_a_run_is_built_again_at_open))
