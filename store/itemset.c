/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set and its ladder of accumulators (see itemset.h).
 *
 * `chunks` holds one entry per run: keyed level (1 byte, 1 to
 * ITEMSET_LEVELS) || ts big-endian (8) || id (32) of the run's first item,
 * or the level byte alone for the level's head run, which holds the items
 * before the first of the level's boundaries (possibly none).  The value
 * is ITEMSET_FORMAT (1 byte), the run's item count (8, big-endian), the
 * sum of its ids (32, little-endian, mod 2^256) and its last item (ts ||
 * id, 40; zero for an empty head run): 81 bytes.  Keys sort by level, then
 * the head run, then the runs by first item.
 *
 * A boundary of level L is an item of level L or more (neg_level() of its
 * id): a level-L run goes from one boundary to the next, so the level-(L -
 * 1) runs (the items, for L = 1) tile each level-L run exactly.  Writers
 * keep this true item by item inside the ingest transaction; readers
 * trust it and say so (AMIE_EIO) when a run's items overflow the run
 * above.
 *
 * A position in the set (an index, or the first item not below a bound)
 * is found by descending: at the top level, the runs are walked from the
 * head run, adding up counts and sums, to the one that holds the target;
 * then its runs of the level below, and so on.  The descent stops at the
 * first level where the target is the first item of a run (a boundary) or
 * its last: a Negentropy bound on a boundary of level L reads only the
 * runs of levels L and above around it, a few LMDB pages.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/itemset.h"

#define ITEMSET_KEY_LEN (1 + STORE_TSID_LEN)
#define ITEMSET_FORMAT 3 /* first byte of a run's value */
#define ITEMSET_VAL_LEN (1 + 8 + NEG_ID_LEN + STORE_TSID_LEN)

/* One run of a level, as read or about to be written. */
struct run {
	unsigned level;
	int head;			/* the level's head run (no key) */
	uint8_t key[STORE_TSID_LEN];	/* its first item, unless head */
	uint64_t count;
	uint8_t sum[NEG_ID_LEN];
	uint8_t last[STORE_TSID_LEN];	/* its last item; zero if empty */
};

/*
 * The runs itemset_add() changed lately, one a level, between
 * itemset_batch() and itemset_flush() (see internal.h).  A slot's run
 * holds the items from its key (any, for the head run) to upper, the key
 * of the level's next run (none: to the end); the runs of a level change
 * only when a boundary comes or goes, and those paths flush first.
 * Items sent in order fall into the same runs: a level-L run takes about
 * 16^L of them in a row, and is written once instead of for each.
 */
struct ladder_slot {
	int valid, dirty, has_upper;
	struct run r;
	uint8_t upper[STORE_TSID_LEN];
};

struct itemset_cache {
	int on;
	struct ladder_slot slot[ITEMSET_LEVELS];
};

/*
 * Items a snapshot found lately, by index: the item and the sum of the ids
 * before it.  A snapshot reads one version of the set, so what it found
 * stays true; the split points of a range, and the bounds a descent
 * passes, are kept here, so that the fingerprints and bounds Negentropy
 * then asks for at those indexes cost no descent.  A table of SNAP_MEMO
 * slots indexed by a hash of the index; a newer entry takes the slot.
 */
#define SNAP_MEMO 256		/* a power of two */

struct snap_memo {
	uint64_t index_1;	/* the index + 1; 0 for an empty slot */
	uint8_t key[STORE_TSID_LEN];
	uint8_t prefix[NEG_ID_LEN];
};

struct itemset_snap {
	struct store *st;
	MDB_txn *txn;
	MDB_cursor *runs;	/* on chunks */
	MDB_cursor *items;	/* on items, for descents */
	MDB_cursor *seq;	/* on items, at seq_key when seq_at */
	int counted;		/* included in st->snapshots */
	uint64_t items_count;
	uint8_t sum[NEG_ID_LEN];
	/*
	 * The last item found by index.  The one after it is found by a
	 * descent, which may stop at its boundary without reading an item;
	 * from the third in sequence on, each costs a cursor step.
	 */
	int seq_valid, seq_at, seq_streak;
	uint64_t seq_index;
	uint8_t seq_key[STORE_TSID_LEN];
	uint8_t seq_prefix[NEG_ID_LEN];	/* sum of the ids before it */
	struct snap_memo *memo;	/* SNAP_MEMO slots */
	uint64_t reads;
	size_t psize; /* of LMDB's pages */
	uintptr_t *pages; /* pages read, a set of addresses */
	size_t npages;
	size_t pages_cap; /* 0 or a power of two */
	struct neg_storage storage;
};

static unsigned
key_level(const uint8_t k[STORE_TSID_LEN])
{
	return neg_level(k + 8);
}

static size_t
run_key(uint8_t k[ITEMSET_KEY_LEN], unsigned level, int head,
    const uint8_t key[STORE_TSID_LEN])
{
	k[0] = (uint8_t)level;
	if (head)
		return 1;
	memcpy(k + 1, key, STORE_TSID_LEN);
	return ITEMSET_KEY_LEN;
}

/*
 * Decode the run stored under k with value v into r: MDB_CORRUPTED if
 * either has the wrong shape, a run other than the head is empty or keyed
 * by an item below its level, or its last item is before its first.
 */
static int
run_decode(struct run *r, const MDB_val *k, const MDB_val *v)
{
	const uint8_t *kp = k->mv_data, *vp = v->mv_data;
	static const uint8_t zero[STORE_TSID_LEN];

	if ((k->mv_size != 1 && k->mv_size != ITEMSET_KEY_LEN) ||
	    kp[0] < 1 || kp[0] > ITEMSET_LEVELS ||
	    v->mv_size != ITEMSET_VAL_LEN || vp[0] != ITEMSET_FORMAT)
		return MDB_CORRUPTED;
	r->level = kp[0];
	r->head = k->mv_size == 1;
	if (r->head)
		memset(r->key, 0, STORE_TSID_LEN);
	else
		memcpy(r->key, kp + 1, STORE_TSID_LEN);
	r->count = store_get_be64(vp + 1);
	memcpy(r->sum, vp + 9, NEG_ID_LEN);
	memcpy(r->last, vp + 9 + NEG_ID_LEN, STORE_TSID_LEN);
	if (r->count == 0)
		return r->head && memcmp(r->last, zero, STORE_TSID_LEN) == 0 ?
		    0 : MDB_CORRUPTED;
	if (!r->head && (key_level(r->key) < r->level ||
	    memcmp(r->last, r->key, STORE_TSID_LEN) < 0))
		return MDB_CORRUPTED;
	return 0;
}

static int
run_put(struct store *st, MDB_txn *txn, const struct run *r)
{
	uint8_t k[ITEMSET_KEY_LEN], v[ITEMSET_VAL_LEN];
	size_t klen = run_key(k, r->level, r->head, r->key);

	v[0] = ITEMSET_FORMAT;
	store_be64(v + 1, r->count);
	memcpy(v + 9, r->sum, NEG_ID_LEN);
	memcpy(v + 9 + NEG_ID_LEN, r->last, STORE_TSID_LEN);
	return store_put(txn, st->chunks, k, klen, v, sizeof(v), 0);
}

/* An empty head run of level. */
static void
run_head(struct run *r, unsigned level)
{
	memset(r, 0, sizeof(*r));
	r->level = level;
	r->head = 1;
}

/* Count the item or run (count items summing to sum, last item last) in r. */
static void
run_take(struct run *r, uint64_t count, const uint8_t sum[NEG_ID_LEN],
    const uint8_t last[STORE_TSID_LEN])
{
	if (count == 0)
		return;
	r->count += count;
	neg_sum_add(r->sum, sum);
	memcpy(r->last, last, STORE_TSID_LEN);
}

/* Count the item k, which falls inside r, in r. */
static void
run_add_item(struct run *r, const uint8_t k[STORE_TSID_LEN])
{
	if (r->count == 0 || memcmp(r->last, k, STORE_TSID_LEN) < 0)
		memcpy(r->last, k, STORE_TSID_LEN);
	r->count++;
	neg_sum_add(r->sum, k + 8);
}

/*
 * Put c on the level run that holds the item k (the last run keyed at or
 * before k) and decode it into r.  Unless k is a run's key, *has_upper
 * (when not NULL) tells whether the level has a run after it, keyed
 * upper.
 */
static int
run_find_upper(MDB_cursor *c, unsigned level, const uint8_t k[STORE_TSID_LEN],
    struct run *r, int *has_upper, uint8_t upper[STORE_TSID_LEN])
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_val key = { sizeof(kk), kk }, val;
	int mrc;

	run_key(kk, level, 0, k);
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (mrc == 0 && key.mv_size == sizeof(kk) &&
	    memcmp(key.mv_data, kk, sizeof(kk)) == 0)
		return run_decode(r, &key, &val);
	if (has_upper != NULL) {
		*has_upper = mrc == 0 && key.mv_size == ITEMSET_KEY_LEN &&
		    *(const uint8_t *)key.mv_data == level;
		if (*has_upper)
			memcpy(upper, (const uint8_t *)key.mv_data + 1,
			    STORE_TSID_LEN);
	}
	if (mrc == MDB_NOTFOUND)
		mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	else if (mrc == 0)
		mrc = mdb_cursor_get(c, &key, &val, MDB_PREV);
	if (mrc != 0)
		return mrc == MDB_NOTFOUND ? MDB_CORRUPTED : mrc;
	if ((mrc = run_decode(r, &key, &val)) != 0)
		return mrc;
	return r->level == level ? 0 : MDB_CORRUPTED;
}

static int
run_find(MDB_cursor *c, unsigned level, const uint8_t k[STORE_TSID_LEN],
    struct run *r)
{
	return run_find_upper(c, level, k, r, NULL, NULL);
}

/* Move c to the run after its own (dir MDB_NEXT) or before (MDB_PREV) on
 * the same level, or to the level's first (MDB_SET_RANGE): *found 0 when
 * there is none. */
static int
run_step(MDB_cursor *c, unsigned level, MDB_cursor_op dir, struct run *r,
    int *found)
{
	uint8_t kk[1] = { (uint8_t)level };
	MDB_val key, val;
	int mrc;

	*found = 0;
	key.mv_size = sizeof(kk);
	key.mv_data = kk;
	mrc = mdb_cursor_get(c, &key, &val, dir);
	if (mrc == MDB_NOTFOUND ||
	    (mrc == 0 && (key.mv_size < 1 ||
		*(const uint8_t *)key.mv_data != level)))
		return 0;
	if (mrc != 0 || (mrc = run_decode(r, &key, &val)) != 0)
		return mrc;
	*found = 1;
	return 0;
}

/* The item before k in `items` (k being there or not); *found 0 if none. */
static int
item_before(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN],
    uint8_t out[STORE_TSID_LEN], int *found)
{
	MDB_cursor *c;
	MDB_val key = { STORE_TSID_LEN, (void *)k }, val;
	int mrc;

	*found = 0;
	if ((mrc = mdb_cursor_open(txn, st->items, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (mrc == MDB_NOTFOUND)
		mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	else if (mrc == 0)
		mrc = mdb_cursor_get(c, &key, &val, MDB_PREV);
	if (mrc == 0 && key.mv_size == STORE_TSID_LEN &&
	    memcmp(key.mv_data, k, STORE_TSID_LEN) < 0) {
		memcpy(out, key.mv_data, STORE_TSID_LEN);
		*found = 1;
	}
	mdb_cursor_close(c);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/*
 * Take into r the runs of level (the items for 0) from the one keyed k up
 * to the first keyed at or past end (NULL: to the end of the level).
 */
static int
run_total(struct store *st, MDB_txn *txn, unsigned level,
    const uint8_t k[STORE_TSID_LEN], const uint8_t *end, struct run *r)
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_cursor *c;
	MDB_val key, val;
	struct run x;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, level == 0 ? st->items : st->chunks,
	    &c)) != 0)
		return mrc;
	if (level == 0) {
		key.mv_size = STORE_TSID_LEN;
		key.mv_data = (void *)k;
	} else {
		key.mv_size = run_key(kk, level, 0, k);
		key.mv_data = kk;
	}
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (level == 0) {
			if (key.mv_size != STORE_TSID_LEN) {
				mrc = MDB_CORRUPTED;
				break;
			}
			if (end != NULL &&
			    memcmp(key.mv_data, end, STORE_TSID_LEN) >= 0)
				break;
			run_take(r, 1, (const uint8_t *)key.mv_data + 8,
			    key.mv_data);
			continue;
		}
		if (key.mv_size < 1 ||
		    *(const uint8_t *)key.mv_data != level)
			break;
		if ((mrc = run_decode(&x, &key, &val)) != 0)
			break;
		if (end != NULL && memcmp(x.key, end, STORE_TSID_LEN) >= 0)
			break;
		run_take(r, x.count, x.sum, x.last);
	}
	mdb_cursor_close(c);
	/* The run keyed k must be there; the level may end after it. */
	if (mrc == MDB_NOTFOUND)
		return r->count > 0 ? 0 : MDB_CORRUPTED;
	return mrc;
}

void
itemset_batch(struct store *st)
{
	if (st->ladder == NULL)
		st->ladder = xcalloc(1, sizeof(*st->ladder));
	memset(st->ladder, 0, sizeof(*st->ladder));
	st->ladder->on = 1;
}

/* Write the changed runs the cache holds and empty it; it stays on. */
static int
ladder_write(struct store *st, MDB_txn *txn)
{
	struct itemset_cache *lc = st->ladder;
	int mrc = 0;

	if (lc == NULL || !lc->on)
		return 0;
	for (unsigned i = 0; i < ITEMSET_LEVELS; i++) {
		struct ladder_slot *s = &lc->slot[i];

		if (mrc == 0 && s->valid && s->dirty)
			mrc = run_put(st, txn, &s->r);
		s->valid = s->dirty = 0;
	}
	return mrc;
}

int
itemset_flush(struct store *st, MDB_txn *txn)
{
	int mrc = ladder_write(st, txn);

	itemset_discard(st);
	return mrc;
}

void
itemset_discard(struct store *st)
{
	if (st->ladder != NULL)
		memset(st->ladder, 0, sizeof(*st->ladder));
}

void
itemset_cache_free(struct store *st)
{
	free(st->ladder);
	st->ladder = NULL;
}

static int
slot_holds(const struct ladder_slot *s, const uint8_t k[STORE_TSID_LEN])
{
	return s->valid &&
	    (s->r.head || memcmp(s->r.key, k, STORE_TSID_LEN) < 0) &&
	    (!s->has_upper || memcmp(k, s->upper, STORE_TSID_LEN) < 0);
}

/*
 * ladder_add() of an item k of level 0 (a boundary of no level) through
 * the cache: k goes into the run that holds it at every level, kept in
 * memory; a run it leaves for another is written.
 */
static int
ladder_add_cached(struct store *st, MDB_txn *txn,
    const uint8_t k[STORE_TSID_LEN])
{
	struct itemset_cache *lc = st->ladder;
	MDB_cursor *c = NULL;
	int mrc = 0;

	for (unsigned l = 1; l <= ITEMSET_LEVELS; l++) {
		struct ladder_slot *s = &lc->slot[l - 1];
		struct run *r = &s->r;

		if (!slot_holds(s, k)) {
			if (s->valid && s->dirty &&
			    (mrc = run_put(st, txn, r)) != 0)
				break;
			s->valid = s->dirty = 0;
			if (c == NULL &&
			    (mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
				break;
			if ((mrc = run_find_upper(c, l, k, r, &s->has_upper,
			    s->upper)) != 0)
				break;
			if (!r->head && memcmp(r->key, k, STORE_TSID_LEN) == 0) {
				/* a run of an item that was not in the set */
				mrc = MDB_CORRUPTED;
				break;
			}
			s->valid = 1;
		}
		run_add_item(r, k);
		s->dirty = 1;
	}
	if (c != NULL)
		mdb_cursor_close(c);
	return mrc;
}

/*
 * The item k, just put into `items`, into the run that holds it at every
 * level; at the levels up to its own it starts a run, which takes the
 * runs of the level below from k to the next boundary.
 */
static int
ladder_add(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN])
{
	uint8_t pred[STORE_TSID_LEN];
	unsigned level = key_level(k), l;
	struct run r, next, right;
	MDB_cursor *c;
	int mrc = 0, has_pred = 0, has_next;

	if (level == 0 && st->ladder != NULL && st->ladder->on)
		return ladder_add_cached(st, txn, k);
	if ((mrc = ladder_write(st, txn)) != 0)
		return mrc;
	if (level > 0 && (mrc = item_before(st, txn, k, pred, &has_pred)) != 0)
		return mrc;
	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	for (l = 1; l <= ITEMSET_LEVELS && mrc == 0; l++) {
		if ((mrc = run_find(c, l, k, &r)) != 0)
			break;
		if (!r.head && memcmp(r.key, k, STORE_TSID_LEN) == 0) {
			/* a run of an item that was not in the set */
			mrc = MDB_CORRUPTED;
			break;
		}
		if (l > level) {
			run_add_item(&r, k);
			mrc = run_put(st, txn, &r);
			continue;
		}
		if ((mrc = run_step(c, l, MDB_NEXT, &next, &has_next)) != 0)
			break;
		memset(&right, 0, sizeof(right));
		right.level = l;
		memcpy(right.key, k, STORE_TSID_LEN);
		if ((mrc = run_total(st, txn, l - 1, k,
		    has_next ? next.key : NULL, &right)) != 0)
			break;
		if (right.count == 0 || right.count - 1 > r.count ||
		    (r.count > right.count - 1 && !has_pred)) {
			mrc = MDB_CORRUPTED;
			break;
		}
		r.count -= right.count - 1;
		neg_sum_sub(r.sum, right.sum);
		neg_sum_add(r.sum, k + 8);
		if (r.count == 0)
			memset(r.last, 0, STORE_TSID_LEN);
		else
			memcpy(r.last, pred, STORE_TSID_LEN);
		if ((mrc = run_put(st, txn, &r)) == 0)
			mrc = run_put(st, txn, &right);
	}
	mdb_cursor_close(c);
	return mrc;
}

/*
 * The item k, just taken out of `items`, out of the run that held it at
 * every level; at the levels up to its own its run joins the one before.
 */
static int
ladder_del(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN])
{
	uint8_t pred[STORE_TSID_LEN], kk[ITEMSET_KEY_LEN];
	unsigned level = key_level(k), l;
	struct run r, prev;
	MDB_cursor *c;
	MDB_val key;
	int mrc, has_pred, found;

	if ((mrc = ladder_write(st, txn)) != 0 ||
	    (mrc = item_before(st, txn, k, pred, &has_pred)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	for (l = 1; l <= ITEMSET_LEVELS && mrc == 0; l++) {
		if ((mrc = run_find(c, l, k, &r)) != 0)
			break;
		if (l > level) {
			if (r.count == 0) {
				mrc = MDB_CORRUPTED;
				break;
			}
			r.count--;
			neg_sum_sub(r.sum, k + 8);
			if (memcmp(r.last, k, STORE_TSID_LEN) == 0) {
				if (r.count == 0)
					memset(r.last, 0, STORE_TSID_LEN);
				else if (has_pred)
					memcpy(r.last, pred, STORE_TSID_LEN);
				else
					mrc = MDB_CORRUPTED;
			}
			if (mrc == 0)
				mrc = run_put(st, txn, &r);
			continue;
		}
		if (r.head || memcmp(r.key, k, STORE_TSID_LEN) != 0) {
			mrc = MDB_CORRUPTED; /* a boundary without its run */
			break;
		}
		if ((mrc = run_step(c, l, MDB_PREV, &prev, &found)) != 0)
			break;
		if (!found) {
			mrc = MDB_CORRUPTED;
			break;
		}
		prev.count += r.count - 1;
		neg_sum_add(prev.sum, r.sum);
		neg_sum_sub(prev.sum, k + 8);
		if (r.count > 1)
			memcpy(prev.last, r.last, STORE_TSID_LEN);
		key.mv_size = run_key(kk, l, 0, k);
		key.mv_data = kk;
		if ((mrc = mdb_del(txn, st->chunks, &key, NULL)) == 0)
			mrc = run_put(st, txn, &prev);
	}
	mdb_cursor_close(c);
	return mrc;
}

int
itemset_add(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t k[STORE_TSID_LEN];
	int mrc;

	store_be64(k, ts);
	memcpy(k + 8, id, NEG_ID_LEN);
	mrc = store_put(txn, st->items, k, sizeof(k), "", 0, MDB_NOOVERWRITE);
	if (mrc == MDB_KEYEXIST)
		return 0; /* a set: adding twice is adding once */
	if (mrc != 0)
		return mrc;
	return ladder_add(st, txn, k);
}

int
itemset_del(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t k[STORE_TSID_LEN];
	MDB_val key = { sizeof(k), k };
	int mrc;

	store_be64(k, ts);
	memcpy(k + 8, id, NEG_ID_LEN);
	if ((mrc = mdb_del(txn, st->items, &key, NULL)) != 0)
		return mrc;
	return ladder_del(st, txn, k);
}

/* Snapshots. */

/* Count the page that holds the bytes at p, once per snapshot. */
static void
snap_page(struct itemset_snap *s, const void *p)
{
	uintptr_t page = (uintptr_t)p / s->psize + 1, *old;
	size_t i, cap;

	if (2 * (s->npages + 1) > s->pages_cap) {
		old = s->pages;
		cap = s->pages_cap;
		s->pages_cap = cap ? 2 * cap : 64;
		s->pages = xcalloc(s->pages_cap, sizeof(*s->pages));
		s->npages = 0;
		for (i = 0; i < cap; i++)
			if (old[i] != 0)
				snap_page(s,
				    (void *)((old[i] - 1) * s->psize));
		free(old);
	}
	i = (size_t)((page * 0x9e3779b97f4a7c15ull) >> 20) &
	    (s->pages_cap - 1);
	while (s->pages[i] != 0) {
		if (s->pages[i] == page)
			return;
		i = (i + 1) & (s->pages_cap - 1);
	}
	s->pages[i] = page;
	s->npages++;
}

static struct snap_memo *
snap_memo_slot(struct itemset_snap *s, uint64_t index)
{
	return &s->memo[((index + 1) * 0x9e3779b97f4a7c15ull) >> 56 &
	    (SNAP_MEMO - 1)];
}

static void
snap_memo_put(struct itemset_snap *s, uint64_t index,
    const uint8_t key[STORE_TSID_LEN], const uint8_t prefix[NEG_ID_LEN])
{
	struct snap_memo *m = snap_memo_slot(s, index);

	m->index_1 = index + 1;
	memcpy(m->key, key, STORE_TSID_LEN);
	memcpy(m->prefix, prefix, NEG_ID_LEN);
}

/* Keep the item before the one at index, last, whose prefix is given. */
static void
snap_memo_put_before(struct itemset_snap *s, uint64_t index,
    const uint8_t last[STORE_TSID_LEN], const uint8_t prefix[NEG_ID_LEN])
{
	uint8_t before[NEG_ID_LEN];

	memcpy(before, prefix, NEG_ID_LEN);
	neg_sum_sub(before, last + 8);
	snap_memo_put(s, index - 1, last, before);
}

static int
snap_memo_get(struct itemset_snap *s, uint64_t index,
    uint8_t key[STORE_TSID_LEN], uint8_t prefix[NEG_ID_LEN])
{
	const struct snap_memo *m = snap_memo_slot(s, index);

	if (m->index_1 != index + 1)
		return 0;
	memcpy(key, m->key, STORE_TSID_LEN);
	memcpy(prefix, m->prefix, NEG_ID_LEN);
	return 1;
}

static int
snap_corrupt(struct errbuf *eb, unsigned level)
{
	return fail(eb, AMIE_EIO,
	    "itemset: a level-%u run is malformed or does not match the "
	    "level above",
	    level);
}

/* Read the run (level, head or key) into r, or the next one on its level
 * (first 0): *found 0 when there is none. */
static int
snap_run(struct itemset_snap *s, int first, unsigned level, int head,
    const uint8_t key[STORE_TSID_LEN], struct run *r, int *found,
    struct errbuf *eb)
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_val k, v;
	int mrc;

	*found = 0;
	if (first) {
		k.mv_size = run_key(kk, level, head, key);
		k.mv_data = kk;
		mrc = mdb_cursor_get(s->runs, &k, &v, MDB_SET_KEY);
		if (mrc == MDB_NOTFOUND)
			return snap_corrupt(eb, level);
	} else
		mrc = mdb_cursor_get(s->runs, &k, &v, MDB_NEXT);
	if (mrc == MDB_NOTFOUND ||
	    (mrc == 0 && (k.mv_size < 1 ||
		*(const uint8_t *)k.mv_data != level)))
		return 0;
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset");
	s->reads++;
	snap_page(s, v.mv_data);
	if (run_decode(r, &k, &v) != 0)
		return snap_corrupt(eb, level);
	*found = 1;
	return 0;
}

/* Read the item k (or the first, head) or the next (first 0) into out. */
static int
snap_item_read(struct itemset_snap *s, MDB_cursor *c, int first, int head,
    const uint8_t k[STORE_TSID_LEN], uint8_t out[STORE_TSID_LEN],
    int *found, struct errbuf *eb)
{
	MDB_val key = { STORE_TSID_LEN, (void *)k }, val;
	int mrc;

	*found = 0;
	if (first && head)
		mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST);
	else
		mrc = mdb_cursor_get(c, &key, &val,
		    first ? MDB_SET_KEY : MDB_NEXT);
	if (mrc == MDB_NOTFOUND)
		return first && !head ? snap_corrupt(eb, 1) : 0;
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: items");
	if (key.mv_size != STORE_TSID_LEN)
		return fail(eb, AMIE_EIO, "itemset: an item is malformed");
	s->reads++;
	snap_page(s, key.mv_data);
	memcpy(out, key.mv_data, STORE_TSID_LEN);
	*found = 1;
	return 0;
}

/* What a descent looks for: an index, or the first item not below key. */
struct target {
	int by_key;
	uint64_t index;
	uint8_t key[STORE_TSID_LEN];
};

/* Where a descent ended. */
struct spot {
	uint64_t index;		/* the items_count when past the last */
	uint8_t prefix[NEG_ID_LEN];	/* the sum of the ids before it */
	int found;		/* key is the item at index */
	uint8_t key[STORE_TSID_LEN];
};

static int
target_inside(const struct target *t, const struct run *r, uint64_t before)
{
	if (t->by_key)
		return r->count > 0 &&
		    memcmp(r->last, t->key, STORE_TSID_LEN) >= 0;
	return before + r->count > t->index;
}

/* Descend to t: *sp says where it is.  What it finds, and the item before
 * a boundary it stops at, go into the memo. */
static int
snap_descend(struct itemset_snap *s, const struct target *t, struct spot *sp,
    struct errbuf *eb)
{
	uint8_t start[STORE_TSID_LEN] = { 0 }, key[STORE_TSID_LEN];
	uint8_t last[STORE_TSID_LEN];
	uint64_t before = 0, limit = s->items_count;
	struct run r;
	unsigned l;
	int head = 1, found, passed, rc;

	memset(sp, 0, sizeof(*sp));
	for (l = ITEMSET_LEVELS; l >= 1; l--) {
		if ((rc = snap_run(s, 1, l, head, start, &r, &found, eb)) != 0)
			return rc;
		passed = 0;
		while (found && !target_inside(t, &r, before)) {
			before += r.count;
			neg_sum_add(sp->prefix, r.sum);
			if (before > limit)
				return snap_corrupt(eb, l);
			memcpy(last, r.last, STORE_TSID_LEN);
			passed = r.count > 0;
			if ((rc = snap_run(s, 0, l, 0, NULL, &r, &found,
			    eb)) != 0)
				return rc;
		}
		if (!found) {
			if (!t->by_key || l < ITEMSET_LEVELS)
				return snap_corrupt(eb, l);
			sp->index = before; /* past the last item */
			return 0;
		}
		if (before + r.count > limit)
			return snap_corrupt(eb, l);
		limit = before + r.count;
		if (!r.head && (t->by_key ?
		    memcmp(r.key, t->key, STORE_TSID_LEN) >= 0 :
		    before == t->index)) {
			/* The target starts this run. */
			sp->index = before;
			sp->found = 1;
			memcpy(sp->key, r.key, STORE_TSID_LEN);
			if (passed)
				snap_memo_put_before(s, before, last,
				    sp->prefix);
			goto found;
		}
		if (!t->by_key && before + r.count - 1 == t->index) {
			sp->index = t->index;
			neg_sum_add(sp->prefix, r.sum);
			neg_sum_sub(sp->prefix, r.last + 8);
			sp->found = 1;
			memcpy(sp->key, r.last, STORE_TSID_LEN);
			goto found;
		}
		head = r.head;
		memcpy(start, r.key, STORE_TSID_LEN);
	}
	/* The items of the level-1 run that holds the target. */
	rc = snap_item_read(s, s->items, 1, head, start, key, &found, eb);
	for (; rc == 0 && found && before < limit;
	     rc = snap_item_read(s, s->items, 0, 0, NULL, key, &found, eb)) {
		if (t->by_key ? memcmp(key, t->key, STORE_TSID_LEN) >= 0 :
		    before == t->index) {
			sp->index = before;
			sp->found = 1;
			memcpy(sp->key, key, STORE_TSID_LEN);
			goto found;
		}
		before++;
		neg_sum_add(sp->prefix, key + 8);
	}
	return rc != 0 ? rc : snap_corrupt(eb, 1);
found:
	snap_memo_put(s, sp->index, sp->key, sp->prefix);
	return 0;
}

/* The item at index i < the count, and the sum of the ids before it. */
static int
snap_at(struct itemset_snap *s, uint64_t i, uint8_t key[STORE_TSID_LEN],
    uint8_t prefix[NEG_ID_LEN], struct errbuf *eb)
{
	uint8_t scratch[STORE_TSID_LEN];
	struct target t = { 0 };
	struct spot sp;
	int rc, found;

	assert(i < s->items_count);
	if (s->seq_valid && i == s->seq_index + 1 &&
	    (s->seq_at || s->seq_streak > 0)) {
		s->seq_valid = 0; /* until the step is done */
		if (!s->seq_at && (rc = snap_item_read(s, s->seq, 1, 0,
		    s->seq_key, scratch, &found, eb)) != 0)
			return rc;
		s->seq_at = 1;
		neg_sum_add(s->seq_prefix, s->seq_key + 8);
		if ((rc = snap_item_read(s, s->seq, 0, 0, NULL, s->seq_key,
		    &found, eb)) != 0)
			return rc;
		if (!found)
			return snap_corrupt(eb, 1);
		s->seq_index = i;
		s->seq_valid = 1;
	} else if (!s->seq_valid || i != s->seq_index) {
		t.index = i;
		if (!snap_memo_get(s, i, sp.key, sp.prefix) &&
		    (rc = snap_descend(s, &t, &sp, eb)) != 0)
			return rc;
		s->seq_streak = s->seq_valid && i == s->seq_index + 1;
		s->seq_valid = 1;
		s->seq_at = 0;
		s->seq_index = i;
		memcpy(s->seq_key, sp.key, STORE_TSID_LEN);
		memcpy(s->seq_prefix, sp.prefix, NEG_ID_LEN);
	}
	if (key != NULL)
		memcpy(key, s->seq_key, STORE_TSID_LEN);
	if (prefix != NULL)
		memcpy(prefix, s->seq_prefix, NEG_ID_LEN);
	return 0;
}

/* Set sum to the sum of the ids of items [0, i). */
static int
snap_prefix(struct itemset_snap *s, uint64_t i, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	if (i == 0) {
		memset(sum, 0, NEG_ID_LEN);
		return 0;
	}
	if (i == s->items_count) {
		memcpy(sum, s->sum, NEG_ID_LEN);
		return 0;
	}
	if (s->seq_valid && i == s->seq_index + 1 &&
	    s->seq_index + 1 < s->items_count) {
		memcpy(sum, s->seq_prefix, NEG_ID_LEN);
		neg_sum_add(sum, s->seq_key + 8);
		return 0;
	}
	return snap_at(s, i, NULL, sum, eb);
}

static int
snap_size(void *ctx, size_t *count, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;

	(void)eb;
	*count = (size_t)s->items_count;
	return 0;
}

static int
snap_item(void *ctx, size_t index, struct neg_item *out, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	uint8_t key[STORE_TSID_LEN];
	int rc;

	if ((rc = snap_at(s, index, key, NULL, eb)) != 0)
		return rc;
	out->ts = store_get_be64(key);
	memcpy(out->id, key + 8, NEG_ID_LEN);
	return 0;
}

static int
snap_sum(void *ctx, size_t begin, size_t end, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	uint8_t low[NEG_ID_LEN];
	int rc;

	assert(begin <= end);
	memset(sum, 0, NEG_ID_LEN);
	if (begin == end)
		return 0;
	if ((rc = snap_prefix(s, begin, low, eb)) != 0 ||
	    (rc = snap_prefix(s, end, sum, eb)) != 0)
		return rc;
	neg_sum_sub(sum, low);
	return 0;
}

/* The first index in [begin, end) whose item is not less than the bound,
 * or end. */
static int
snap_lower_bound(void *ctx, size_t begin, size_t end,
    const struct neg_bound *bound, size_t *index, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	struct target t = { 0 };
	struct spot sp;
	int rc;

	assert(begin <= end);
	assert(bound->id_len <= NEG_ID_LEN);
	if (begin == end || s->items_count == 0) {
		*index = begin;
		return 0;
	}
	t.by_key = 1;
	store_be64(t.key, bound->ts);
	memcpy(t.key + 8, bound->id, bound->id_len);
	if ((rc = snap_descend(s, &t, &sp, eb)) != 0)
		return rc;
	*index = sp.index < begin ? begin : sp.index > end ? end :
	    (size_t)sp.index;
	return 0;
}

/*
 * The split points of [begin, end) (negentropy.h): the boundaries of the
 * highest level with NEG_SPLIT_MIN of them inside.  From the top level
 * down, the run that holds begin is found among the runs of the one found
 * above, and the runs after it are walked to end; the levels below the
 * one chosen are not read.  Each boundary, and the item before it, go
 * into the memo: the fingerprints and bounds of the pieces are asked for
 * next.
 */
static int
snap_splits(void *ctx, size_t begin, size_t end, size_t at[NEG_SPLIT_MAX],
    size_t *n, unsigned *level, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	uint8_t start[STORE_TSID_LEN] = { 0 }, last[STORE_TSID_LEN];
	uint8_t prefix[NEG_ID_LEN] = { 0 }, walk[NEG_ID_LEN];
	uint64_t before = 0, next, limit = s->items_count;
	struct run r;
	unsigned l;
	int head = 1, found, rc;

	*n = 0;
	*level = 0;
	if (end - begin < 2)
		return 0;
	for (l = ITEMSET_LEVELS; l >= 1; l--) {
		/* The run of level l that holds begin. */
		if ((rc = snap_run(s, 1, l, head, start, &r, &found, eb)) != 0)
			return rc;
		while (found && before + r.count <= begin) {
			before += r.count;
			neg_sum_add(prefix, r.sum);
			if ((rc = snap_run(s, 0, l, 0, NULL, &r, &found,
			    eb)) != 0)
				return rc;
		}
		if (!found || before + r.count > limit)
			return snap_corrupt(eb, l);
		head = r.head;
		memcpy(start, r.key, STORE_TSID_LEN);
		limit = before + r.count;
		/* The boundaries after it, up to end. */
		*n = 0;
		next = before;
		memcpy(walk, prefix, NEG_ID_LEN);
		while (*n < NEG_SPLIT_MAX) {
			next += r.count;
			neg_sum_add(walk, r.sum);
			memcpy(last, r.last, STORE_TSID_LEN);
			if ((rc = snap_run(s, 0, l, 0, NULL, &r, &found,
			    eb)) != 0)
				return rc;
			if (!found || next >= end)
				break;
			at[(*n)++] = (size_t)next;
			snap_memo_put(s, next, r.key, walk);
			snap_memo_put_before(s, next, last, walk);
		}
		if (*n >= NEG_SPLIT_MIN) {
			*level = l;
			return 0;
		}
	}
	*n = 0;
	return 0;
}

/* Read the totals in s->txn from the top level.  AMIE_EIO if they are
 * inconsistent. */
static int
snap_load(struct itemset_snap *s, struct errbuf *eb)
{
	struct store *st = s->st;
	MDB_stat ms;
	struct run r;
	uint64_t count = 0;
	int mrc, rc, found;

	if ((mrc = mdb_stat(s->txn, st->items, &ms)) != 0)
		return store_fail(eb, mrc, "itemset: items");
	s->items_count = ms.ms_entries;
	if ((mrc = mdb_stat(s->txn, st->chunks, &ms)) != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	s->psize = ms.ms_psize;
	if ((mrc = mdb_cursor_open(s->txn, st->chunks, &s->runs)) != 0 ||
	    (mrc = mdb_cursor_open(s->txn, st->items, &s->items)) != 0 ||
	    (mrc = mdb_cursor_open(s->txn, st->items, &s->seq)) != 0)
		return store_fail(eb, mrc, "itemset");
	for (rc = snap_run(s, 1, ITEMSET_LEVELS, 1, NULL, &r, &found, eb);
	     rc == 0 && found;
	     rc = snap_run(s, 0, ITEMSET_LEVELS, 0, NULL, &r, &found, eb)) {
		count += r.count;
		neg_sum_add(s->sum, r.sum);
	}
	if (rc != 0)
		return rc;
	if (count != s->items_count)
		return fail(eb, AMIE_EIO,
		    "itemset: the runs count %llu items, the set holds %llu",
		    (unsigned long long)count,
		    (unsigned long long)s->items_count);
	return 0;
}

int
itemset_snap_open(struct store *st, struct itemset_snap **out,
    struct errbuf *eb)
{
	struct itemset_snap *s = xcalloc(1, sizeof(*s));
	int mrc, rc;

	s->st = st;
	s->psize = 4096;
	s->memo = xcalloc(SNAP_MEMO, sizeof(*s->memo));
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &s->txn)) != 0) {
		free(s->memo);
		free(s);
		return store_fail(eb, mrc, "itemset: snapshot");
	}
	if ((rc = snap_load(s, eb)) != 0)
		goto fail;
	s->storage.ctx = s;
	s->storage.size = snap_size;
	s->storage.item = snap_item;
	s->storage.lower_bound = snap_lower_bound;
	s->storage.sum = snap_sum;
	s->storage.splits = snap_splits;
	st->snapshots++;
	s->counted = 1;
	*out = s;
	return 0;
fail:
	itemset_snap_close(&s);
	return rc;
}

void
itemset_snap_close(struct itemset_snap **sp)
{
	struct itemset_snap *s = *sp;

	if (s == NULL)
		return;
	if (s->runs != NULL)
		mdb_cursor_close(s->runs);
	if (s->items != NULL)
		mdb_cursor_close(s->items);
	if (s->seq != NULL)
		mdb_cursor_close(s->seq);
	mdb_txn_abort(s->txn);
	if (s->counted)
		s->st->snapshots--;
	free(s->pages);
	free(s->memo);
	free(s);
	*sp = NULL;
}

const struct neg_storage *
itemset_snap_storage(struct itemset_snap *s)
{
	return &s->storage;
}

uint64_t
itemset_snap_count(const struct itemset_snap *s)
{
	return s->items_count;
}

uint64_t
itemset_snap_reads(const struct itemset_snap *s)
{
	return s->reads;
}

uint64_t
itemset_snap_pages(const struct itemset_snap *s)
{
	return s->npages;
}

/* Verification. */

/* "ts 123 id 0a1b2c3d..." for messages. */
static const char *
key_str(const uint8_t k[STORE_TSID_LEN], char out[64])
{
	snprintf(out, 64, "ts %llu id %02x%02x%02x%02x...",
	    (unsigned long long)store_get_be64(k), k[8], k[9], k[10], k[11]);
	return out;
}

/*
 * Compare the next run of level (read from c) with want, the run its
 * children add up to; count numbers the runs read.
 */
static int
verify_run(MDB_cursor *c, unsigned level, const struct run *want,
    size_t *count, struct errbuf *eb)
{
	struct run got;
	char a[64];
	int found, mrc;

	mrc = run_step(c, level, *count == 0 ? MDB_SET_RANGE : MDB_NEXT, &got,
	    &found);
	if (mrc == MDB_CORRUPTED)
		return fail(eb, AMIE_EIO,
		    "itemset: level-%u run %zu is malformed", level, *count);
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: verify");
	if (!found)
		return fail(eb, AMIE_EIO,
		    "itemset: level %u has no run for %s", level,
		    want->head ? "its head" : key_str(want->key, a));
	(*count)++;
	if (got.head != want->head ||
	    (!got.head && memcmp(got.key, want->key, STORE_TSID_LEN) != 0))
		return fail(eb, AMIE_EIO,
		    "itemset: level-%u run %zu starts at %s, the level below "
		    "at %s",
		    level, *count - 1,
		    got.head ? "the head" : key_str(got.key, a),
		    want->head ? "the head" : key_str(want->key, a));
	if (got.count != want->count ||
	    memcmp(got.sum, want->sum, NEG_ID_LEN) != 0 ||
	    memcmp(got.last, want->last, STORE_TSID_LEN) != 0)
		return fail(eb, AMIE_EIO,
		    "itemset: level-%u run %zu (%s) counts %llu items, its "
		    "items below %llu, or its sum or last item differs",
		    level, *count - 1,
		    got.head ? "the head" : key_str(got.key, a),
		    (unsigned long long)got.count,
		    (unsigned long long)want->count);
	return 0;
}

/* Check level against the level below (the items for level 1), in one
 * walk of each. */
static int
verify_level(struct store *st, MDB_txn *txn, unsigned level,
    struct errbuf *eb)
{
	uint8_t kk[1] = { (uint8_t)(level - 1) };
	MDB_cursor *pc = NULL, *cc = NULL;
	MDB_val key, val;
	struct run want, child;
	size_t count = 0;
	int mrc, rc = 0, found;
	char a[64];

	if ((mrc = mdb_cursor_open(txn, st->chunks, &pc)) != 0 ||
	    (mrc = mdb_cursor_open(txn, level == 1 ? st->items : st->chunks,
	    &cc)) != 0) {
		rc = store_fail(eb, mrc, "itemset: verify");
		goto out;
	}
	key.mv_size = 1;
	key.mv_data = kk;
	run_head(&want, level);
	if (level == 1) {
		mrc = mdb_cursor_get(cc, &key, &val, MDB_FIRST);
		for (; mrc == 0;
		     mrc = mdb_cursor_get(cc, &key, &val, MDB_NEXT)) {
			const uint8_t *k = key.mv_data;

			if (key.mv_size != STORE_TSID_LEN || val.mv_size != 0) {
				rc = fail(eb, AMIE_EIO,
				    "itemset: an item is malformed (%zu-byte "
				    "key, %zu-byte value)",
				    key.mv_size, val.mv_size);
				goto out;
			}
			if (key_level(k) >= 1) {
				if ((rc = verify_run(pc, level, &want, &count,
				    eb)) != 0)
					goto out;
				memset(&want, 0, sizeof(want));
				want.level = level;
				memcpy(want.key, k, STORE_TSID_LEN);
			}
			run_take(&want, 1, k + 8, k);
		}
	} else {
		mrc = mdb_cursor_get(cc, &key, &val, MDB_SET_RANGE);
		for (; mrc == 0 && key.mv_size >= 1 &&
		     *(const uint8_t *)key.mv_data == level - 1;
		     mrc = mdb_cursor_get(cc, &key, &val, MDB_NEXT)) {
			if (run_decode(&child, &key, &val) != 0) {
				rc = fail(eb, AMIE_EIO,
				    "itemset: a level-%u run is malformed",
				    level - 1);
				goto out;
			}
			if (!child.head && key_level(child.key) >= level) {
				if ((rc = verify_run(pc, level, &want, &count,
				    eb)) != 0)
					goto out;
				memset(&want, 0, sizeof(want));
				want.level = level;
				memcpy(want.key, child.key, STORE_TSID_LEN);
			}
			run_take(&want, child.count, child.sum, child.last);
		}
	}
	if (mrc != 0 && mrc != MDB_NOTFOUND) {
		rc = store_fail(eb, mrc, "itemset: verify");
		goto out;
	}
	if ((rc = verify_run(pc, level, &want, &count, eb)) != 0)
		goto out;
	if ((mrc = run_step(pc, level, MDB_NEXT, &child, &found)) != 0 ||
	    found)
		rc = fail(eb, AMIE_EIO,
		    "itemset: level-%u run %s is not a boundary of the level "
		    "below",
		    level, mrc == 0 ? key_str(child.key, a) : "past the last");
out:
	if (cc != NULL)
		mdb_cursor_close(cc);
	if (pc != NULL)
		mdb_cursor_close(pc);
	return rc;
}

int
itemset_verify_txn(struct store *st, MDB_txn *txn, struct errbuf *eb)
{
	MDB_cursor *c;
	MDB_val key, val;
	unsigned level;
	int mrc, rc;

	/*
	 * txn is a read transaction (`amie check` on the daemon's main
	 * thread): it sees what is committed, and the runs an ingest batch
	 * on the writer thread keeps in st->ladder are that thread's alone.
	 */
	for (level = 1; level <= ITEMSET_LEVELS; level++)
		if ((rc = verify_level(st, txn, level, eb)) != 0)
			return rc;
	/* Nothing outside levels 1 .. ITEMSET_LEVELS. */
	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return store_fail(eb, mrc, "itemset: verify");
	if ((mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST)) == 0 &&
	    (key.mv_size < 1 || *(const uint8_t *)key.mv_data < 1))
		mrc = MDB_CORRUPTED;
	if (mrc == 0 && (mrc = mdb_cursor_get(c, &key, &val, MDB_LAST)) == 0 &&
	    (key.mv_size < 1 ||
		*(const uint8_t *)key.mv_data > ITEMSET_LEVELS))
		mrc = MDB_CORRUPTED;
	mdb_cursor_close(c);
	if (mrc == MDB_CORRUPTED)
		return fail(eb, AMIE_EIO,
		    "itemset: a chunk entry lies outside levels 1 to %d",
		    ITEMSET_LEVELS);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return store_fail(eb, mrc, "itemset: verify");
	return 0;
}

int
itemset_verify(struct store *st, struct errbuf *eb)
{
	MDB_txn *txn;
	int mrc, rc;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "itemset: verify");
	rc = itemset_verify_txn(st, txn, eb);
	mdb_txn_abort(txn);
	return rc;
}

/* Upgrade. */

/* Build the ladder from the items, in one walk of them. */
static int
ladder_build(struct store *st, MDB_txn *txn)
{
	struct run runs[ITEMSET_LEVELS + 1];
	MDB_cursor *c;
	MDB_val key, val;
	unsigned l, level;
	int mrc;

	for (l = 1; l <= ITEMSET_LEVELS; l++)
		run_head(&runs[l], l);
	if ((mrc = mdb_cursor_open(txn, st->items, &c)) != 0)
		return mrc;
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		const uint8_t *k = key.mv_data;

		if (key.mv_size != STORE_TSID_LEN) {
			mrc = MDB_CORRUPTED;
			break;
		}
		level = key_level(k);
		for (l = 1; l <= ITEMSET_LEVELS && mrc == 0; l++) {
			if (l <= level) {
				if ((mrc = run_put(st, txn, &runs[l])) != 0)
					break;
				memset(&runs[l], 0, sizeof(runs[l]));
				runs[l].level = l;
				memcpy(runs[l].key, k, STORE_TSID_LEN);
			}
			run_take(&runs[l], 1, k + 8, k);
		}
		if (mrc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (mrc != MDB_NOTFOUND)
		return mrc;
	for (l = 1, mrc = 0; l <= ITEMSET_LEVELS && mrc == 0; l++)
		mrc = run_put(st, txn, &runs[l]);
	return mrc;
}

/*
 * Whether every level's runs count the items of the set and sum to the
 * same ids (*ok): a walk of the runs, not of the items, so cheap enough
 * for every open.  LMDB codes; a run that does not decode is not ok.
 */
static int
ladder_whole(struct store *st, MDB_txn *txn, int *ok)
{
	uint8_t sums[ITEMSET_LEVELS + 1][NEG_ID_LEN];
	uint64_t counts[ITEMSET_LEVELS + 1] = { 0 };
	MDB_cursor *c;
	MDB_stat ms;
	MDB_val key, val;
	struct run r;
	int mrc;

	*ok = 0;
	memset(sums, 0, sizeof(sums));
	if ((mrc = mdb_stat(txn, st->items, &ms)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (run_decode(&r, &key, &val) != 0) {
			mdb_cursor_close(c);
			return 0;
		}
		counts[r.level] += r.count;
		neg_sum_add(sums[r.level], r.sum);
	}
	mdb_cursor_close(c);
	if (mrc != MDB_NOTFOUND)
		return mrc;
	*ok = 1;
	for (unsigned l = 1; l <= ITEMSET_LEVELS; l++)
		if (counts[l] != ms.ms_entries ||
		    memcmp(sums[l], sums[1], NEG_ID_LEN) != 0)
			*ok = 0;
	return 0;
}

int
itemset_upgrade(struct store *st, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val key, val;
	int mrc, ours;

	/* Every layout of the ladder starts with the level-1 head run; the
	 * earlier layouts (a single level of 40-byte keys, a tree of one
	 * entry per row, the B-tree of nodes) never had a 1-byte key. */
	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST);
	ours = mrc == 0 && key.mv_size == 1 &&
	    *(const uint8_t *)key.mv_data == 1 &&
	    val.mv_size == ITEMSET_VAL_LEN &&
	    *(const uint8_t *)val.mv_data == ITEMSET_FORMAT;
	mdb_cursor_close(c);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	/* Ours, and whole: a ladder that lost runs (an interrupted write
	 * cannot, but a bug could) would fail every snapshot, and with it
	 * every sync, until it is built again. */
	if (ours && (mrc = ladder_whole(st, txn, &ours)) != 0)
		return mrc;
	if (ours)
		return 0;
	if ((mrc = mdb_drop(txn, st->chunks, 0)) != 0)
		return mrc;
	return ladder_build(st, txn);
}
