/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set and its chunk accumulators (see itemset.h).
 *
 * A chunk is a run of consecutive items, keyed in `chunks` by its first
 * item's key (ts big-endian || id, as in `items`), with the value
 * count (4 bytes big-endian) || sum of the ids (32 bytes, little-endian,
 * mod 2^256).  Every item lies in exactly one chunk: the one with the
 * greatest key not above the item's.  Writers keep this true item by item
 * inside the ingest transaction; readers trust it and say so (AMIE_EIO)
 * when the items run out before the chunks do.
 *
 * A snapshot copies the chunk directory once (a few hundred entries per
 * hundred thousand items) and then answers the Negentropy storage calls
 * with arithmetic on it plus short cursor walks inside one chunk.  The
 * one cursor on `items` stays where the last call left it, so that the
 * sequential item() calls of an IdList cost one MDB_NEXT each.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/itemset.h"

#define ITEMSET_VAL_LEN (4 + NEG_ID_LEN)

/* Prefix sums a snapshot remembers. */
#define ITEMSET_SNAP_CACHE 4

/*
 * The cursor on `items` sits at item cur_index, whose key is cur_key and
 * the sum of the ids before it cur_prefix; it was bound when st->map_size
 * was map_size.  Chunk i starts at item start[i] with key keys[i], and
 * sums[i] is the sum of the ids before it; start and sums have nchunks + 1
 * entries, the last for the whole set.  cache_index[k] is SIZE_MAX or an
 * item index whose prefix sum is cache_sum[k].
 */
struct itemset_snap {
	struct store *st;
	MDB_txn *txn;
	MDB_cursor *cur;
	size_t map_size;
	int counted;		/* included in st->snapshots */
	int cur_valid;
	size_t cur_index;
	uint8_t cur_key[STORE_TSID_LEN];
	uint8_t cur_prefix[NEG_ID_LEN];
	size_t nchunks;
	uint8_t (*keys)[STORE_TSID_LEN];
	size_t *start;
	uint8_t (*sums)[NEG_ID_LEN];
	size_t cache_index[ITEMSET_SNAP_CACHE];
	uint8_t cache_sum[ITEMSET_SNAP_CACHE][NEG_ID_LEN];
	size_t cache_next;
	uint64_t reads;
	struct neg_storage storage;
};

/* A chunk as read from, or about to be written to, `chunks`. */
struct chunk {
	uint8_t key[STORE_TSID_LEN];
	uint32_t count;
	uint8_t sum[NEG_ID_LEN];
};

static void
itemset_key(uint8_t k[STORE_TSID_LEN], uint64_t ts, const uint8_t *id)
{
	store_be64(k, ts);
	memcpy(k + 8, id, NEG_ID_LEN);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Decode a chunk entry; MDB_CORRUPTED if it has the wrong shape. */
static int
chunk_decode(struct chunk *ch, const MDB_val *k, const MDB_val *v)
{
	if (k->mv_size != STORE_TSID_LEN || v->mv_size != ITEMSET_VAL_LEN)
		return MDB_CORRUPTED;
	memcpy(ch->key, k->mv_data, STORE_TSID_LEN);
	ch->count = get_be32(v->mv_data);
	memcpy(ch->sum, (const uint8_t *)v->mv_data + 4, NEG_ID_LEN);
	return 0;
}

static int
chunk_put(struct store *st, MDB_txn *txn, const struct chunk *ch)
{
	uint8_t v[ITEMSET_VAL_LEN];

	put_be32(v, ch->count);
	memcpy(v + 4, ch->sum, NEG_ID_LEN);
	return store_put(txn, st->chunks, ch->key, STORE_TSID_LEN, v, sizeof(v),
	    0);
}

static int
chunk_del(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN])
{
	MDB_val key = { STORE_TSID_LEN, (void *)k };

	return mdb_del(txn, st->chunks, &key, NULL);
}

enum chunk_where {
	CHUNK_NONE,  /* there are no chunks */
	CHUNK_FIRST, /* k is before every chunk; ch is the first */
	CHUNK_HOLDS  /* ch is the last chunk whose key is <= k */
};

/* Find the chunk that holds, or would hold, the item keyed k. */
static int
chunk_find(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN],
    struct chunk *ch, enum chunk_where *where)
{
	MDB_cursor *c;
	MDB_val key = { STORE_TSID_LEN, (void *)k }, val;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (mrc == MDB_NOTFOUND) {
		mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
		*where = CHUNK_HOLDS;
		if (mrc == MDB_NOTFOUND) {
			*where = CHUNK_NONE;
			mrc = 0;
		} else if (mrc == 0)
			mrc = chunk_decode(ch, &key, &val);
		goto out;
	}
	if (mrc != 0 || (mrc = chunk_decode(ch, &key, &val)) != 0)
		goto out;
	*where = CHUNK_HOLDS;
	if (memcmp(ch->key, k, STORE_TSID_LEN) == 0)
		goto out;
	/* The chunk found starts after k: k belongs to the one before. */
	mrc = mdb_cursor_get(c, &key, &val, MDB_PREV);
	if (mrc == MDB_NOTFOUND) {
		*where = CHUNK_FIRST;
		mrc = 0;
	} else if (mrc == 0)
		mrc = chunk_decode(ch, &key, &val);
out:
	mdb_cursor_close(c);
	return mrc;
}

/*
 * Cut the chunk ch, just grown past ITEMSET_CHUNK_MAX, in two halves.  One
 * walk over its first half gives that half's sum and the key of the first
 * item of the second half, whose sum is what remains.
 */
static int
chunk_split(struct store *st, MDB_txn *txn, struct chunk *ch)
{
	struct chunk second;
	uint8_t first_sum[NEG_ID_LEN] = { 0 };
	MDB_cursor *c;
	MDB_val key = { STORE_TSID_LEN, ch->key }, val;
	uint32_t half = ch->count / 2, i;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, st->items, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY);
	for (i = 0; mrc == 0 && i < half; i++) {
		if (key.mv_size != STORE_TSID_LEN) {
			mrc = MDB_CORRUPTED;
			break;
		}
		neg_sum_add(first_sum, (const uint8_t *)key.mv_data + 8);
		mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
	}
	if (mrc == 0 && key.mv_size != STORE_TSID_LEN)
		mrc = MDB_CORRUPTED;
	if (mrc == MDB_NOTFOUND)
		mrc = MDB_CORRUPTED; /* fewer items than the count says */
	if (mrc == 0)
		memcpy(second.key, key.mv_data, STORE_TSID_LEN);
	mdb_cursor_close(c);
	if (mrc != 0)
		return mrc;
	second.count = ch->count - half;
	memcpy(second.sum, ch->sum, NEG_ID_LEN);
	neg_sum_sub(second.sum, first_sum);
	ch->count = half;
	memcpy(ch->sum, first_sum, NEG_ID_LEN);
	if ((mrc = chunk_put(st, txn, ch)) != 0)
		return mrc;
	return chunk_put(st, txn, &second);
}

int
itemset_add(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t k[STORE_TSID_LEN];
	enum chunk_where where;
	struct chunk ch;
	int mrc;

	itemset_key(k, ts, id);
	mrc = store_put(txn, st->items, k, sizeof(k), "", 0, MDB_NOOVERWRITE);
	if (mrc == MDB_KEYEXIST)
		return 0; /* a set: adding twice is adding once */
	if (mrc != 0 || (mrc = chunk_find(st, txn, k, &ch, &where)) != 0)
		return mrc;
	if (where == CHUNK_NONE) {
		memcpy(ch.key, k, sizeof(k));
		ch.count = 0;
		memset(ch.sum, 0, NEG_ID_LEN);
	} else if (where == CHUNK_FIRST) {
		/* The new first item of the set starts the first chunk. */
		if ((mrc = chunk_del(st, txn, ch.key)) != 0)
			return mrc;
		memcpy(ch.key, k, sizeof(k));
	}
	ch.count++;
	neg_sum_add(ch.sum, id);
	if (ch.count > ITEMSET_CHUNK_MAX)
		return chunk_split(st, txn, &ch);
	return chunk_put(st, txn, &ch);
}

/*
 * After a deletion left ch (already written) under ITEMSET_CHUNK_MIN
 * items, fold it into a neighbour if the two fit in ITEMSET_CHUNK_MAX.
 * Only chunk entries are read: no item walk.
 */
static int
chunk_merge(struct store *st, MDB_txn *txn, const struct chunk *ch)
{
	struct chunk other, next, prev;
	MDB_cursor *c;
	MDB_val key = { STORE_TSID_LEN, (void *)ch->key }, val;
	int mrc, have_next = 0, have_prev = 0;

	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY);
	if (mrc == 0 && (mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) == 0 &&
	    (mrc = chunk_decode(&next, &key, &val)) == 0)
		have_next = 1;
	if (mrc == MDB_NOTFOUND)
		mrc = 0;
	if (mrc == 0) {
		key.mv_size = STORE_TSID_LEN;
		key.mv_data = (void *)ch->key;
		mrc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY);
	}
	if (mrc == 0 && (mrc = mdb_cursor_get(c, &key, &val, MDB_PREV)) == 0 &&
	    (mrc = chunk_decode(&prev, &key, &val)) == 0)
		have_prev = 1;
	if (mrc == MDB_NOTFOUND)
		mrc = 0;
	mdb_cursor_close(c);
	if (mrc != 0)
		return mrc;

	if (have_next && ch->count + next.count <= ITEMSET_CHUNK_MAX) {
		other = *ch;
		other.count += next.count;
		neg_sum_add(other.sum, next.sum);
		if ((mrc = chunk_del(st, txn, next.key)) != 0)
			return mrc;
		return chunk_put(st, txn, &other);
	}
	if (have_prev && prev.count + ch->count <= ITEMSET_CHUNK_MAX) {
		other = prev;
		other.count += ch->count;
		neg_sum_add(other.sum, ch->sum);
		if ((mrc = chunk_del(st, txn, ch->key)) != 0)
			return mrc;
		return chunk_put(st, txn, &other);
	}
	return 0;
}

int
itemset_del(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t k[STORE_TSID_LEN];
	MDB_val key = { sizeof(k), k }, val;
	enum chunk_where where;
	struct chunk ch;
	MDB_cursor *c;
	int mrc;

	itemset_key(k, ts, id);
	if ((mrc = mdb_del(txn, st->items, &key, NULL)) != 0 ||
	    (mrc = chunk_find(st, txn, k, &ch, &where)) != 0)
		return mrc;
	if (where != CHUNK_HOLDS || ch.count == 0)
		return MDB_CORRUPTED; /* the item was in no chunk */
	ch.count--;
	neg_sum_sub(ch.sum, id);
	if (ch.count == 0)
		return chunk_del(st, txn, ch.key);
	if (memcmp(ch.key, k, sizeof(k)) == 0) {
		/* The chunk lost its first item: key it by the next one. */
		if ((mrc = chunk_del(st, txn, ch.key)) != 0 ||
		    (mrc = mdb_cursor_open(txn, st->items, &c)) != 0)
			return mrc;
		mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
		if (mrc == 0 && key.mv_size != STORE_TSID_LEN)
			mrc = MDB_CORRUPTED;
		if (mrc == 0)
			memcpy(ch.key, key.mv_data, STORE_TSID_LEN);
		mdb_cursor_close(c);
		if (mrc == MDB_NOTFOUND)
			mrc = MDB_CORRUPTED; /* count said more items */
		if (mrc != 0)
			return mrc;
	}
	if ((mrc = chunk_put(st, txn, &ch)) != 0)
		return mrc;
	if (ch.count < ITEMSET_CHUNK_MIN)
		return chunk_merge(st, txn, &ch);
	return 0;
}

/* Snapshots. */

/* Bind the cursor again if the map moved since it was bound. */
static void
snap_check_map(struct itemset_snap *s)
{
	/*
	 * store_grow() remaps the environment; the read transaction only
	 * holds page numbers and survives, but a cursor holds page pointers.
	 */
	if (s->map_size == s->st->map_size)
		return;
	s->map_size = s->st->map_size;
	(void)mdb_cursor_renew(s->txn, s->cur);
	s->cur_valid = 0;
}

/* One cursor move on items; every entry read is counted. */
static int
snap_get(struct itemset_snap *s, MDB_val *key, MDB_cursor_op op,
    struct errbuf *eb)
{
	MDB_val val;
	int mrc;

	mrc = mdb_cursor_get(s->cur, key, &val, op);
	if (mrc != 0) {
		s->cur_valid = 0;
		if (mrc == MDB_NOTFOUND)
			return fail(eb, AMIE_EIO,
			    "itemset: the items end before the chunks do");
		return store_fail(eb, mrc, "itemset");
	}
	s->reads++;
	if (key->mv_size != STORE_TSID_LEN) {
		s->cur_valid = 0;
		return fail(eb, AMIE_EIO, "itemset: item key of %zu bytes",
		    key->mv_size);
	}
	memcpy(s->cur_key, key->mv_data, STORE_TSID_LEN);
	return 0;
}

/* The chunk holding item i < total: the last c with start[c] <= i. */
static size_t
snap_chunk_of(const struct itemset_snap *s, size_t i)
{
	size_t lo = 0, hi = s->nchunks, mid;

	assert(i < s->start[s->nchunks]);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (s->start[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static size_t
dist(size_t a, size_t b)
{
	return a < b ? b - a : a - b;
}

/*
 * Where snap_seek(i) starts: from the cursor, from the first item of i's
 * chunk (one MDB_SET_RANGE), or back from the first item of the next
 * chunk or from the last item (one read).  Each anchor's prefix sum is in
 * the directory, so the cursor always knows the sum of the ids before it.
 */
enum seek_from {
	SEEK_CURSOR,
	SEEK_CHUNK,
	SEEK_NEXT_CHUNK,
	SEEK_LAST
};

/* The reads snap_seek(i) costs with the cursor at item at (or none). */
static size_t
snap_seek_cost(const struct itemset_snap *s, size_t i, int from_cursor,
    size_t at, enum seek_from *from)
{
	size_t c = snap_chunk_of(s, i), total = s->start[s->nchunks];
	size_t best = 1 + (i - s->start[c]), cost;
	enum seek_from f = SEEK_CHUNK;

	if (c + 1 < s->nchunks) {
		cost = 1 + (s->start[c + 1] - i);
		if (cost < best) {
			best = cost;
			f = SEEK_NEXT_CHUNK;
		}
	} else if ((cost = 1 + (total - 1 - i)) < best) {
		best = cost;
		f = SEEK_LAST;
	}
	if (from_cursor && (cost = dist(at, i)) <= best) {
		best = cost;
		f = SEEK_CURSOR;
	}
	if (from != NULL)
		*from = f;
	return best;
}

/* Put the cursor on item i < total; its key and prefix sum follow it. */
static int
snap_seek(struct itemset_snap *s, size_t i, struct errbuf *eb)
{
	enum seek_from from;
	MDB_val key;
	size_t c;
	int rc;

	snap_check_map(s);
	(void)snap_seek_cost(s, i, s->cur_valid, s->cur_index, &from);
	if (from != SEEK_CURSOR) {
		c = snap_chunk_of(s, i);
		if (from == SEEK_LAST) {
			rc = snap_get(s, &key, MDB_LAST, eb);
			s->cur_index = s->start[s->nchunks] - 1;
			memcpy(s->cur_prefix, s->sums[s->nchunks], NEG_ID_LEN);
			neg_sum_sub(s->cur_prefix, s->cur_key + 8);
		} else {
			if (from == SEEK_NEXT_CHUNK)
				c++;
			key.mv_size = STORE_TSID_LEN;
			key.mv_data = s->keys[c];
			rc = snap_get(s, &key, MDB_SET_RANGE, eb);
			if (rc == 0 &&
			    memcmp(s->cur_key, s->keys[c], STORE_TSID_LEN) != 0)
				rc = fail(eb, AMIE_EIO,
				    "itemset: chunk %zu starts at an item that "
				    "is not stored",
				    c);
			s->cur_index = s->start[c];
			memcpy(s->cur_prefix, s->sums[c], NEG_ID_LEN);
		}
		if (rc != 0) {
			s->cur_valid = 0;
			return rc;
		}
		s->cur_valid = 1;
	}
	while (s->cur_index < i) {
		neg_sum_add(s->cur_prefix, s->cur_key + 8);
		if ((rc = snap_get(s, &key, MDB_NEXT, eb)) != 0)
			return rc;
		s->cur_index++;
	}
	while (s->cur_index > i) {
		if ((rc = snap_get(s, &key, MDB_PREV, eb)) != 0)
			return rc;
		s->cur_index--;
		neg_sum_sub(s->cur_prefix, s->cur_key + 8);
	}
	return 0;
}

/*
 * Whether prefix(i) is known without a read: at the end, at a chunk
 * boundary or remembered; then copy it to sum (which may be NULL).
 */
static int
snap_prefix_known(const struct itemset_snap *s, size_t i,
    uint8_t sum[NEG_ID_LEN])
{
	const uint8_t *known = NULL;
	size_t c, k;

	if (i == s->start[s->nchunks])
		known = s->sums[s->nchunks];
	else if (s->start[c = snap_chunk_of(s, i)] == i)
		known = s->sums[c];
	else if (s->cur_valid && s->cur_index == i)
		known = s->cur_prefix;
	for (k = 0; known == NULL && k < ITEMSET_SNAP_CACHE; k++)
		if (s->cache_index[k] == i)
			known = s->cache_sum[k];
	if (known != NULL && sum != NULL)
		memcpy(sum, known, NEG_ID_LEN);
	return known != NULL;
}

/*
 * Set sum to the sum of the ids of items [0, i).  Negentropy asks for
 * ranges that touch (buckets end to end, a server's ranges one after the
 * other), so prefixes are remembered: each bound is walked to once.
 */
static int
snap_prefix(struct itemset_snap *s, size_t i, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	int rc;

	if (snap_prefix_known(s, i, sum))
		return 0;
	if ((rc = snap_seek(s, i, eb)) != 0)
		return rc;
	memcpy(sum, s->cur_prefix, NEG_ID_LEN);
	s->cache_index[s->cache_next] = i;
	memcpy(s->cache_sum[s->cache_next], sum, NEG_ID_LEN);
	s->cache_next = (s->cache_next + 1) % ITEMSET_SNAP_CACHE;
	return 0;
}

static int
snap_size(void *ctx, size_t *count, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;

	(void)eb;
	*count = s->start[s->nchunks];
	return 0;
}

static int
snap_item(void *ctx, size_t index, struct neg_item *out, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	int rc;

	assert(index < s->start[s->nchunks]);
	if ((rc = snap_seek(s, index, eb)) != 0)
		return rc;
	out->ts = store_get_be64(s->cur_key);
	memcpy(out->id, s->cur_key + 8, NEG_ID_LEN);
	return 0;
}

static int
snap_sum(void *ctx, size_t begin, size_t end, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	uint8_t low[NEG_ID_LEN];
	size_t first_end, first_begin;
	int rc;

	assert(begin <= end && end <= s->start[s->nchunks]);
	memset(sum, 0, NEG_ID_LEN);
	if (begin == end)
		return 0;
	/*
	 * Walk to the bound that costs more first (an unknown prefix, far
	 * from the cursor); the other is then at most end - begin away.
	 */
	first_end = snap_prefix_known(s, end, NULL) ?
	    0 :
	    snap_seek_cost(s, end, s->cur_valid, s->cur_index, NULL);
	first_begin = snap_prefix_known(s, begin, NULL) ?
	    0 :
	    snap_seek_cost(s, begin, s->cur_valid, s->cur_index, NULL);
	if (first_end >= first_begin) {
		if ((rc = snap_prefix(s, end, sum, eb)) != 0 ||
		    (rc = snap_prefix(s, begin, low, eb)) != 0)
			return rc;
	} else if ((rc = snap_prefix(s, begin, low, eb)) != 0 ||
	    (rc = snap_prefix(s, end, sum, eb)) != 0)
		return rc;
	neg_sum_sub(sum, low);
	return 0;
}

/*
 * Where in [lo, hi) of chunk c the first item >= bk probably is, by
 * interpolating bk between the first keys of c and c + 1: on timestamps,
 * or on the id bits when the two share a timestamp (ids are hashes, so
 * evenly spread).  Only a hint for where to start walking.
 */
static size_t
snap_guess(const struct itemset_snap *s, size_t c,
    const uint8_t bk[STORE_TSID_LEN], size_t lo, size_t hi)
{
	uint64_t x0, x1, x;
	size_t at, off;
	double frac;

	if (c + 1 >= s->nchunks)
		return lo;
	x0 = store_get_be64(s->keys[c]);
	x1 = store_get_be64(s->keys[c + 1]);
	x = store_get_be64(bk);
	if (x0 == x1) {
		x0 = store_get_be64(s->keys[c] + 8);
		x1 = store_get_be64(s->keys[c + 1] + 8);
		x = store_get_be64(bk + 8);
	}
	if (x1 <= x0 || x < x0)
		return lo;
	frac = x >= x1 ? 1.0 : (double)(x - x0) / (double)(x1 - x0);
	off = (size_t)(frac * (double)(s->start[c + 1] - s->start[c]));
	at = s->start[c] + off;
	return at < lo ? lo : at > hi ? hi : at;
}

enum scan_from {
	SCAN_UP,
	SCAN_DOWN,
	SCAN_CURSOR
};

/*
 * The first index in [begin, end) whose item is not less than the bound,
 * or end.  The chunk directory narrows the answer to one chunk; a walk
 * inside it, from the cursor when it is already there, finds it.
 */
static int
snap_lower_bound(void *ctx, size_t begin, size_t end,
    const struct neg_bound *bound, size_t *index, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	uint8_t bk[STORE_TSID_LEN];
	size_t lo, hi, mid, c, i, guess, cost;
	enum scan_from from;
	int rc;

	assert(begin <= end && end <= s->start[s->nchunks]);
	assert(bound->id_len <= NEG_ID_LEN);
	if (begin == end) {
		*index = begin;
		return 0;
	}
	store_be64(bk, bound->ts);
	memset(bk + 8, 0, NEG_ID_LEN);
	memcpy(bk + 8, bound->id, bound->id_len);

	/* c + 1 = the number of chunks whose first key is <= bk. */
	lo = 0;
	hi = s->nchunks;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(s->keys[mid], bk, STORE_TSID_LEN) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0) {
		*index = begin; /* every item is >= bk */
		return 0;
	}
	c = lo - 1;
	if (memcmp(s->keys[c], bk, STORE_TSID_LEN) == 0) {
		lo = hi = s->start[c];
	} else {
		/* The answer is in (start[c], start[c + 1]]. */
		lo = s->start[c] + 1;
		hi = s->start[c + 1];
	}
	if (hi <= begin) {
		*index = begin;
		return 0;
	}
	if (lo >= end) {
		*index = end;
		return 0;
	}
	if (lo < begin)
		lo = begin;
	if (hi > end)
		hi = end;
	/* Now lo < hi: find the first item of [lo, hi) that is >= bk. */
	snap_check_map(s);
	guess = snap_guess(s, c, bk, lo, hi);
	from = SCAN_UP;
	cost = guess - lo;
	if (hi - guess < cost) {
		from = SCAN_DOWN;
		cost = hi - guess;
	}
	if (s->cur_valid && s->cur_index >= lo && s->cur_index < hi &&
	    dist(s->cur_index, guess) < cost)
		from = SCAN_CURSOR;
	i = from == SCAN_DOWN ? hi : lo;
	if (from == SCAN_CURSOR) {
		i = s->cur_index;
		if (memcmp(s->cur_key, bk, STORE_TSID_LEN) < 0) {
			from = SCAN_UP;
			i++; /* the cursor's item is < bk */
		} else
			from = SCAN_DOWN;
	}
	if (from == SCAN_UP) {
		for (; i < hi; i++) {
			if ((rc = snap_seek(s, i, eb)) != 0)
				return rc;
			if (memcmp(s->cur_key, bk, STORE_TSID_LEN) >= 0)
				break;
		}
	} else {
		for (; i > lo; i--) {
			if ((rc = snap_seek(s, i - 1, eb)) != 0)
				return rc;
			if (memcmp(s->cur_key, bk, STORE_TSID_LEN) < 0)
				break;
		}
	}
	*index = i;
	return 0;
}

/* Read the chunk directory in s->txn.  AMIE_EIO if it is inconsistent. */
static int
snap_load(struct itemset_snap *s, struct errbuf *eb)
{
	struct store *st = s->st;
	MDB_stat ms;
	MDB_cursor *c;
	MDB_val key, val;
	struct chunk ch;
	size_t n, j = 0, items;
	int mrc, rc = 0;

	if ((mrc = mdb_stat(s->txn, st->items, &ms)) != 0)
		return store_fail(eb, mrc, "itemset: items");
	items = ms.ms_entries;
	if ((mrc = mdb_stat(s->txn, st->chunks, &ms)) != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	n = ms.ms_entries;
	s->keys = xcalloc(n ? n : 1, sizeof(*s->keys));
	s->start = xcalloc(n + 1, sizeof(*s->start));
	s->sums = xcalloc(n + 1, sizeof(*s->sums));
	if ((mrc = mdb_cursor_open(s->txn, st->chunks, &c)) != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		s->reads++;
		if (j == n) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: more chunks than the %zu counted", n);
			break;
		}
		if (chunk_decode(&ch, &key, &val) != 0 || ch.count == 0) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: chunk %zu is malformed (%zu-byte key, "
			    "%zu-byte value)",
			    j, key.mv_size, val.mv_size);
			break;
		}
		memcpy(s->keys[j], ch.key, STORE_TSID_LEN);
		s->start[j + 1] = s->start[j] + ch.count;
		memcpy(s->sums[j + 1], s->sums[j], NEG_ID_LEN);
		neg_sum_add(s->sums[j + 1], ch.sum);
		j++;
	}
	mdb_cursor_close(c);
	if (rc != 0)
		return rc;
	if (mrc != MDB_NOTFOUND)
		return store_fail(eb, mrc, "itemset: chunks");
	if (j != n)
		return fail(eb, AMIE_EIO,
		    "itemset: %zu chunks read, %zu counted", j, n);
	s->nchunks = n;
	if (s->start[n] != items)
		return fail(eb, AMIE_EIO,
		    "itemset: the chunks count %zu items, the set holds %zu",
		    s->start[n], items);
	return 0;
}

int
itemset_snap_open(struct store *st, struct itemset_snap **out,
    struct errbuf *eb)
{
	struct itemset_snap *s = xcalloc(1, sizeof(*s));
	int mrc, rc;

	s->st = st;
	s->map_size = st->map_size;
	for (size_t k = 0; k < ITEMSET_SNAP_CACHE; k++)
		s->cache_index[k] = SIZE_MAX;
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &s->txn)) != 0) {
		free(s);
		return store_fail(eb, mrc, "itemset: snapshot");
	}
	if ((mrc = mdb_cursor_open(s->txn, st->items, &s->cur)) != 0) {
		rc = store_fail(eb, mrc, "itemset: snapshot");
		goto fail;
	}
	if ((rc = snap_load(s, eb)) != 0)
		goto fail;
	s->storage.ctx = s;
	s->storage.size = snap_size;
	s->storage.item = snap_item;
	s->storage.lower_bound = snap_lower_bound;
	s->storage.sum = snap_sum;
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
	if (s->cur != NULL)
		mdb_cursor_close(s->cur);
	mdb_txn_abort(s->txn);
	if (s->counted)
		s->st->snapshots--;
	free(s->keys);
	free(s->start);
	free(s->sums);
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
	return s->start[s->nchunks];
}

uint64_t
itemset_snap_reads(const struct itemset_snap *s)
{
	return s->reads;
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

int
itemset_verify_txn(struct store *st, MDB_txn *txn, struct errbuf *eb)
{
	MDB_cursor *ic = NULL, *cc = NULL;
	MDB_val ik, iv, ck, cv;
	struct chunk ch;
	uint8_t sum[NEG_ID_LEN];
	char a[64], b[64];
	size_t j = 0, seen, items = 0;
	int irc, crc, mrc, rc = 0;

	if ((mrc = mdb_cursor_open(txn, st->items, &ic)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->chunks, &cc)) != 0) {
		rc = store_fail(eb, mrc, "itemset: verify");
		goto out;
	}
	irc = mdb_cursor_get(ic, &ik, &iv, MDB_FIRST);
	for (crc = mdb_cursor_get(cc, &ck, &cv, MDB_FIRST); crc == 0;
	     crc = mdb_cursor_get(cc, &ck, &cv, MDB_NEXT), j++) {
		if (chunk_decode(&ch, &ck, &cv) != 0) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: chunk %zu is malformed (%zu-byte key, "
			    "%zu-byte value)",
			    j, ck.mv_size, cv.mv_size);
			goto out;
		}
		if (ch.count == 0 || ch.count > ITEMSET_CHUNK_MAX) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: chunk %zu (%s) counts %u items, not 1 to "
			    "%d",
			    j, key_str(ch.key, a), ch.count, ITEMSET_CHUNK_MAX);
			goto out;
		}
		if (irc == MDB_NOTFOUND) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: chunk %zu (%s) starts after the last of "
			    "%zu items",
			    j, key_str(ch.key, a), items);
			goto out;
		}
		if (irc != 0)
			break;
		if (ik.mv_size != STORE_TSID_LEN ||
		    memcmp(ik.mv_data, ch.key, STORE_TSID_LEN) != 0) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: chunk %zu is keyed %s but its first item "
			    "is %s",
			    j, key_str(ch.key, a),
			    ik.mv_size == STORE_TSID_LEN ?
				key_str(ik.mv_data, b) :
				"malformed");
			goto out;
		}
		memset(sum, 0, sizeof(sum));
		for (seen = 0; seen < ch.count && irc == 0; seen++) {
			if (ik.mv_size != STORE_TSID_LEN || iv.mv_size != 0) {
				rc = fail(eb, AMIE_EIO,
				    "itemset: item %zu is malformed (%zu-byte "
				    "key, %zu-byte value)",
				    items, ik.mv_size, iv.mv_size);
				goto out;
			}
			neg_sum_add(sum, (const uint8_t *)ik.mv_data + 8);
			items++;
			irc = mdb_cursor_get(ic, &ik, &iv, MDB_NEXT);
		}
		if (irc != 0 && irc != MDB_NOTFOUND)
			break;
		if (seen != ch.count) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: chunk %zu (%s) counts %u items, only %zu "
			    "follow",
			    j, key_str(ch.key, a), ch.count, seen);
			goto out;
		}
		if (memcmp(sum, ch.sum, NEG_ID_LEN) != 0) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: chunk %zu (%s, %u items) has a sum that "
			    "is not its ids' sum",
			    j, key_str(ch.key, a), ch.count);
			goto out;
		}
		/* The next item must start the next chunk: checked above. */
	}
	if (crc != 0 && crc != MDB_NOTFOUND) {
		rc = store_fail(eb, crc, "itemset: verify chunks");
		goto out;
	}
	if (irc != 0 && irc != MDB_NOTFOUND) {
		rc = store_fail(eb, irc, "itemset: verify items");
		goto out;
	}
	if (irc == 0) {
		rc = fail(eb, AMIE_EIO, "itemset: item %zu (%s) is in no chunk",
		    items,
		    ik.mv_size == STORE_TSID_LEN ? key_str(ik.mv_data, a) :
						   "malformed");
		goto out;
	}
out:
	if (cc != NULL)
		mdb_cursor_close(cc);
	if (ic != NULL)
		mdb_cursor_close(ic);
	return rc;
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
