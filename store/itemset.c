/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set and its tree of accumulators (see itemset.h).
 *
 * `chunks` holds entries keyed level (1 byte) || ts big-endian (8) || id
 * (32), the key being that of the first item the entry covers, with the
 * value items (8 bytes big-endian) || children (4 bytes big-endian) ||
 * sum of the ids (32 bytes, little-endian, mod 2^256).  A level-0 entry
 * covers a run of consecutive items (its children); a level-L entry a run
 * of consecutive level-(L - 1) entries.  Every item or entry lies under
 * exactly one entry of the level above: the one with the greatest key not
 * above its own.  The highest level holds one entry, the root.  Writers
 * keep this true item by item inside the ingest transaction; readers trust
 * it and say so (AMIE_EIO) when an entry does not find its children.
 *
 * A snapshot reads the root when it opens and then the children of an
 * entry (a node) only when an index or a bound falls under it, into a
 * small cache, so that Negentropy's storage calls cost O(log n) reads and
 * the ranges it narrows down reuse the nodes read for the wider ones.
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
#define ITEMSET_VAL_LEN (8 + 4 + NEG_ID_LEN)
#define ITEMSET_LEVELS_MAX 32 /* levels above the items, at most */

/* Nodes a snapshot keeps. */
#define ITEMSET_SNAP_NODES 256

/* An entry of `chunks`, as read or about to be written. */
struct entry {
	unsigned level;
	uint8_t key[STORE_TSID_LEN];
	uint64_t items;
	uint32_t children;
	uint8_t sum[NEG_ID_LEN];
};

/*
 * The children of the entry (level, key), read in a snapshot: child c
 * starts at item base + start[c] (start has n + 1 entries) and sums[c] is
 * the sum of the ids of the children before it.  For level 0 the
 * children are items, and start[c] is c.
 */
struct node {
	int used;
	unsigned level;
	uint8_t key[STORE_TSID_LEN];
	uint64_t stamp;
	size_t n;
	uint8_t keys[ITEMSET_NODE_MAX][STORE_TSID_LEN];
	uint32_t children[ITEMSET_NODE_MAX];
	uint64_t start[ITEMSET_NODE_MAX + 1];
	uint8_t sums[ITEMSET_NODE_MAX + 1][NEG_ID_LEN];
};

struct itemset_snap {
	struct store *st;
	MDB_txn *txn;
	int counted; /* included in st->snapshots */
	int empty;
	struct entry root;
	struct node *nodes; /* ITEMSET_SNAP_NODES, least recently used out */
	uint64_t clock;
	uint64_t reads;
	struct neg_storage storage;
};

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

/* Decode an entry; MDB_CORRUPTED if it has the wrong shape. */
static int
entry_decode(struct entry *e, const MDB_val *k, const MDB_val *v)
{
	const uint8_t *kp = k->mv_data, *vp = v->mv_data;

	if (k->mv_size != ITEMSET_KEY_LEN || v->mv_size != ITEMSET_VAL_LEN ||
	    kp[0] >= ITEMSET_LEVELS_MAX)
		return MDB_CORRUPTED;
	e->level = kp[0];
	memcpy(e->key, kp + 1, STORE_TSID_LEN);
	e->items = store_get_be64(vp);
	e->children = get_be32(vp + 8);
	memcpy(e->sum, vp + 12, NEG_ID_LEN);
	return 0;
}

static void
entry_key(uint8_t k[ITEMSET_KEY_LEN], unsigned level,
    const uint8_t key[STORE_TSID_LEN])
{
	k[0] = (uint8_t)level;
	memcpy(k + 1, key, STORE_TSID_LEN);
}

static int
entry_put(struct store *st, MDB_txn *txn, const struct entry *e)
{
	uint8_t k[ITEMSET_KEY_LEN], v[ITEMSET_VAL_LEN];

	entry_key(k, e->level, e->key);
	store_be64(v, e->items);
	put_be32(v + 8, e->children);
	memcpy(v + 12, e->sum, NEG_ID_LEN);
	return store_put(txn, st->chunks, k, sizeof(k), v, sizeof(v), 0);
}

static int
entry_del(struct store *st, MDB_txn *txn, unsigned level,
    const uint8_t key[STORE_TSID_LEN])
{
	uint8_t k[ITEMSET_KEY_LEN];
	MDB_val kv = { sizeof(k), k };

	entry_key(k, level, key);
	return mdb_del(txn, st->chunks, &kv, NULL);
}

enum entry_where {
	ENTRY_NONE,  /* the level has no entry */
	ENTRY_FIRST, /* k is before every entry of the level; e is the first */
	ENTRY_HOLDS  /* e is the last entry of the level whose key is <= k */
};

/* Find the entry of level that holds, or would hold, the key k. */
static int
entry_find(struct store *st, MDB_txn *txn, unsigned level,
    const uint8_t k[STORE_TSID_LEN], struct entry *e, enum entry_where *where)
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_cursor *c;
	MDB_val key = { sizeof(kk), kk }, val;
	struct entry found;
	int mrc, have_found = 0;

	entry_key(kk, level, k);
	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	*where = ENTRY_NONE;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (mrc == 0) {
		if ((mrc = entry_decode(&found, &key, &val)) != 0)
			goto out;
		if (found.level == level) {
			have_found = 1;
			if (memcmp(found.key, k, STORE_TSID_LEN) == 0) {
				*e = found;
				*where = ENTRY_HOLDS;
				goto out;
			}
		}
		mrc = mdb_cursor_get(c, &key, &val, MDB_PREV);
	} else if (mrc == MDB_NOTFOUND)
		mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	if (mrc == 0 && (mrc = entry_decode(e, &key, &val)) == 0 &&
	    e->level == level) {
		*where = ENTRY_HOLDS;
		goto out;
	}
	if (mrc == MDB_NOTFOUND)
		mrc = 0;
	if (mrc == 0 && have_found) {
		*e = found;
		*where = ENTRY_FIRST;
	}
out:
	mdb_cursor_close(c);
	return mrc;
}

/*
 * The first half of the children of e: the sum of their items and ids,
 * and the key of the first child of the second half.  Children are items
 * at level 0, entries of the level below otherwise.
 */
static int
entry_half(struct store *st, MDB_txn *txn, const struct entry *e, uint32_t half,
    uint64_t *items, uint8_t sum[NEG_ID_LEN], uint8_t next[STORE_TSID_LEN])
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_cursor *c;
	MDB_val key, val;
	struct entry ch;
	uint32_t i;
	int mrc;

	*items = 0;
	memset(sum, 0, NEG_ID_LEN);
	if (e->level == 0) {
		key.mv_size = STORE_TSID_LEN;
		key.mv_data = (void *)e->key;
	} else {
		entry_key(kk, e->level - 1, e->key);
		key.mv_size = sizeof(kk);
		key.mv_data = kk;
	}
	if ((mrc = mdb_cursor_open(txn, e->level == 0 ? st->items : st->chunks,
		 &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY);
	for (i = 0; mrc == 0; i++) {
		if (e->level == 0) {
			if (key.mv_size != STORE_TSID_LEN) {
				mrc = MDB_CORRUPTED;
				break;
			}
			memcpy(ch.key, key.mv_data, STORE_TSID_LEN);
			ch.level = 0;
			ch.items = 1;
			memcpy(ch.sum, ch.key + 8, NEG_ID_LEN);
		} else if ((mrc = entry_decode(&ch, &key, &val)) != 0)
			break;
		else if (ch.level != e->level - 1) {
			mrc = MDB_CORRUPTED;
			break;
		}
		if (i == half) {
			memcpy(next, ch.key, STORE_TSID_LEN);
			break;
		}
		*items += ch.items;
		neg_sum_add(sum, ch.sum);
		mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (mrc == MDB_NOTFOUND)
		mrc = MDB_CORRUPTED; /* fewer children than the count says */
	return mrc;
}

/* Cut e, just grown past ITEMSET_NODE_MAX children, in two halves. */
static int
entry_split(struct store *st, MDB_txn *txn, struct entry *e)
{
	struct entry second;
	uint32_t half = e->children / 2;
	int mrc;

	second.level = e->level;
	if ((mrc = entry_half(st, txn, e, half, &second.items, second.sum,
		 second.key)) != 0)
		return mrc;
	/* second.items and .sum hold the first half's for now. */
	e->items -= second.items;
	neg_sum_sub(e->sum, second.sum);
	/* Swap: e keeps the first half, second takes what remains. */
	{
		uint64_t items = e->items;
		uint8_t sum[NEG_ID_LEN];

		memcpy(sum, e->sum, NEG_ID_LEN);
		e->items = second.items;
		memcpy(e->sum, second.sum, NEG_ID_LEN);
		second.items = items;
		memcpy(second.sum, sum, NEG_ID_LEN);
	}
	second.children = e->children - half;
	e->children = half;
	if ((mrc = entry_put(st, txn, e)) != 0)
		return mrc;
	return entry_put(st, txn, &second);
}

/*
 * The item k with id was just added to `items`: count it at every level.
 * At each level the entry holding k gains the item, and one child when the
 * level below split; when the top level splits, a new root covers it.
 */
static int
tree_add(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN],
    const uint8_t id[NEG_ID_LEN])
{
	enum entry_where where;
	struct entry e, below;
	unsigned level;
	int mrc, split = 1; /* at level 0 the item is a new child */

	for (level = 0; level < ITEMSET_LEVELS_MAX; level++) {
		if ((mrc = entry_find(st, txn, level, k, &e, &where)) != 0)
			return mrc;
		if (where == ENTRY_NONE && level > 0 && !split)
			return 0; /* the level below holds the root */
		if (where == ENTRY_NONE) {
			/* The first item, or a new root over two entries. */
			if (level == 0) {
				e.level = 0;
				memcpy(e.key, k, STORE_TSID_LEN);
				e.items = 1;
				e.children = 1;
				memcpy(e.sum, id, NEG_ID_LEN);
			} else {
				e = below;
				e.level = level;
				e.children = 2;
			}
			return entry_put(st, txn, &e);
		}
		if (where == ENTRY_FIRST) {
			/* The new first item of the set starts every level. */
			if ((mrc = entry_del(st, txn, level, e.key)) != 0)
				return mrc;
			memcpy(e.key, k, STORE_TSID_LEN);
		}
		e.items++;
		neg_sum_add(e.sum, id);
		e.children += (uint32_t)split;
		below = e; /* before a split: the totals a new root takes */
		split = e.children > ITEMSET_NODE_MAX;
		mrc = split ? entry_split(st, txn, &e) : entry_put(st, txn, &e);
		if (mrc != 0)
			return mrc;
	}
	return MDB_CORRUPTED; /* deeper than any set of 2^64 items */
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
	return tree_add(st, txn, k, id);
}

/*
 * The key of the first child of level (items when level is 0) at or
 * after k, into out; MDB_CORRUPTED when there is none of that level.
 */
static int
first_from(struct store *st, MDB_txn *txn, int level,
    const uint8_t k[STORE_TSID_LEN], uint8_t out[STORE_TSID_LEN])
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_cursor *c;
	MDB_val key, val;
	struct entry e;
	int mrc;

	if (level < 0) {
		key.mv_size = STORE_TSID_LEN;
		key.mv_data = (void *)k;
	} else {
		entry_key(kk, (unsigned)level, k);
		key.mv_size = sizeof(kk);
		key.mv_data = kk;
	}
	if ((mrc = mdb_cursor_open(txn, level < 0 ? st->items : st->chunks,
		 &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (mrc == 0 && level < 0) {
		if (key.mv_size != STORE_TSID_LEN)
			mrc = MDB_CORRUPTED;
		else
			memcpy(out, key.mv_data, STORE_TSID_LEN);
	} else if (mrc == 0) {
		if ((mrc = entry_decode(&e, &key, &val)) == 0 &&
		    e.level != (unsigned)level)
			mrc = MDB_CORRUPTED;
		else if (mrc == 0)
			memcpy(out, e.key, STORE_TSID_LEN);
	}
	mdb_cursor_close(c);
	if (mrc == MDB_NOTFOUND)
		mrc = MDB_CORRUPTED; /* a count said more children */
	return mrc;
}

/*
 * The item k with id was just taken out of `items`: uncount it at every
 * level.  An entry left without children is deleted, one child fewer for
 * the level above; an entry whose first child went is keyed by the next.
 * Entries are not merged: a tree that shrinks keeps its height.
 */
static int
tree_del(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN],
    const uint8_t id[NEG_ID_LEN])
{
	enum entry_where where;
	struct entry e;
	uint8_t old[STORE_TSID_LEN];
	unsigned level;
	int mrc, gone = 1, changed = 1;

	/* gone: a child of this level went; changed: or was re-keyed; its
	 * key was old. */
	memcpy(old, k, STORE_TSID_LEN);
	for (level = 0; level < ITEMSET_LEVELS_MAX; level++) {
		if ((mrc = entry_find(st, txn, level, k, &e, &where)) != 0)
			return mrc;
		if (where == ENTRY_NONE && level > 0)
			return 0; /* above the root */
		if (where != ENTRY_HOLDS || e.items == 0 ||
		    e.children < (uint32_t)gone)
			return MDB_CORRUPTED; /* the item was under no entry */
		e.items--;
		neg_sum_sub(e.sum, id);
		e.children -= (uint32_t)gone;
		if (e.children == 0) {
			if ((mrc = entry_del(st, txn, level, e.key)) != 0)
				return mrc;
			memcpy(old, e.key, STORE_TSID_LEN);
			gone = changed = 1;
			continue;
		}
		gone = 0;
		if (changed && memcmp(e.key, old, STORE_TSID_LEN) == 0) {
			/* Its first child went or was re-keyed. */
			if ((mrc = entry_del(st, txn, level, e.key)) != 0 ||
			    (mrc = first_from(st, txn, (int)level - 1, old,
				 e.key)) != 0)
				return mrc;
		} else
			changed = 0;
		if ((mrc = entry_put(st, txn, &e)) != 0)
			return mrc;
	}
	return MDB_CORRUPTED;
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
	return tree_del(st, txn, k, id);
}

/* Snapshots. */

/* Count one entry read through the snapshot, and check its key. */
static int
snap_read_item(struct itemset_snap *s, const MDB_val *key, struct node *nd,
    size_t c, struct errbuf *eb)
{
	s->reads++;
	if (key->mv_size != STORE_TSID_LEN)
		return fail(eb, AMIE_EIO, "itemset: item key of %zu bytes",
		    key->mv_size);
	memcpy(nd->keys[c], key->mv_data, STORE_TSID_LEN);
	nd->children[c] = 1;
	nd->start[c + 1] = nd->start[c] + 1;
	memcpy(nd->sums[c + 1], nd->sums[c], NEG_ID_LEN);
	neg_sum_add(nd->sums[c + 1], nd->keys[c] + 8);
	return 0;
}

static int
snap_read_entry(struct itemset_snap *s, const MDB_val *key, const MDB_val *val,
    unsigned level, struct node *nd, size_t c, struct errbuf *eb)
{
	struct entry e;

	s->reads++;
	if (entry_decode(&e, key, val) != 0 || e.level != level ||
	    e.children == 0 || e.children > ITEMSET_NODE_MAX || e.items == 0)
		return fail(eb, AMIE_EIO,
		    "itemset: a level-%u entry is missing or malformed", level);
	memcpy(nd->keys[c], e.key, STORE_TSID_LEN);
	nd->children[c] = e.children;
	nd->start[c + 1] = nd->start[c] + e.items;
	memcpy(nd->sums[c + 1], nd->sums[c], NEG_ID_LEN);
	neg_sum_add(nd->sums[c + 1], e.sum);
	return 0;
}

/*
 * The children of the entry (level, key) with n children and items
 * items: from the cache, or read into the least recently used slot.
 */
static int
snap_node(struct itemset_snap *s, unsigned level,
    const uint8_t key[STORE_TSID_LEN], uint32_t n, uint64_t items,
    struct node **out, struct errbuf *eb)
{
	struct node *nd = NULL;
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_cursor *c;
	MDB_val k, v;
	size_t i;
	int mrc, rc = 0;

	for (i = 0; i < ITEMSET_SNAP_NODES; i++) {
		struct node *x = &s->nodes[i];

		if (x->used && x->level == level &&
		    memcmp(x->key, key, STORE_TSID_LEN) == 0) {
			x->stamp = ++s->clock;
			*out = x;
			return 0;
		}
		if (nd == NULL || !x->used ||
		    (nd->used && x->stamp < nd->stamp))
			nd = x;
	}
	if (n == 0 || n > ITEMSET_NODE_MAX)
		return fail(eb, AMIE_EIO,
		    "itemset: a level-%u entry counts %u children", level, n);
	nd->used = 0;
	nd->level = level;
	memcpy(nd->key, key, STORE_TSID_LEN);
	nd->n = n;
	nd->start[0] = 0;
	memset(nd->sums[0], 0, NEG_ID_LEN);
	if (level == 0) {
		k.mv_size = STORE_TSID_LEN;
		k.mv_data = (void *)key;
	} else {
		entry_key(kk, level - 1, key);
		k.mv_size = sizeof(kk);
		k.mv_data = kk;
	}
	if ((mrc = mdb_cursor_open(s->txn,
		 level == 0 ? s->st->items : s->st->chunks, &c)) != 0)
		return store_fail(eb, mrc, "itemset");
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	for (i = 0; i < n && mrc == 0 && rc == 0; i++) {
		if (level == 0)
			rc = snap_read_item(s, &k, nd, i, eb);
		else
			rc = snap_read_entry(s, &k, &v, level - 1, nd, i, eb);
		if (rc == 0 && i + 1 < n)
			mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc != 0)
		return rc;
	if (mrc == MDB_NOTFOUND)
		return fail(eb, AMIE_EIO,
		    "itemset: a level-%u entry does not find its children",
		    level);
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset");
	if (memcmp(nd->keys[0], key, STORE_TSID_LEN) != 0 ||
	    nd->start[n] != items)
		return fail(eb, AMIE_EIO,
		    "itemset: a level-%u entry does not match its children",
		    level);
	nd->used = 1;
	nd->stamp = ++s->clock;
	*out = nd;
	return 0;
}

/*
 * Descend to item i < total: its key, and the sum of the ids before it
 * into prefix (which may be NULL).
 */
static int
snap_at(struct itemset_snap *s, size_t i, uint8_t key[STORE_TSID_LEN],
    uint8_t prefix[NEG_ID_LEN], struct errbuf *eb)
{
	struct node *nd;
	uint8_t sum[NEG_ID_LEN] = { 0 };
	unsigned level = s->root.level;
	uint64_t base = 0;
	size_t lo, hi, mid;
	int rc;

	assert(!s->empty && i < s->root.items);
	if ((rc = snap_node(s, level, s->root.key, s->root.children,
		 s->root.items, &nd, eb)) != 0)
		return rc;
	for (;;) {
		/* The last child c with base + start[c] <= i. */
		lo = 0;
		hi = nd->n;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (base + nd->start[mid] <= i)
				lo = mid;
			else
				hi = mid;
		}
		neg_sum_add(sum, nd->sums[lo]);
		base += nd->start[lo];
		if (nd->level == 0)
			break;
		if ((rc = snap_node(s, nd->level - 1, nd->keys[lo],
			 nd->children[lo], nd->start[lo + 1] - nd->start[lo],
			 &nd, eb)) != 0)
			return rc;
	}
	if (key != NULL)
		memcpy(key, nd->keys[lo], STORE_TSID_LEN);
	if (prefix != NULL)
		memcpy(prefix, sum, NEG_ID_LEN);
	return 0;
}

/* Set sum to the sum of the ids of items [0, i). */
static int
snap_prefix(struct itemset_snap *s, size_t i, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	if (i == 0) {
		memset(sum, 0, NEG_ID_LEN);
		return 0;
	}
	if (i == s->root.items) {
		memcpy(sum, s->root.sum, NEG_ID_LEN);
		return 0;
	}
	return snap_at(s, i, NULL, sum, eb);
}

static int
snap_size(void *ctx, size_t *count, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;

	(void)eb;
	*count = s->empty ? 0 : (size_t)s->root.items;
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
	if ((rc = snap_prefix(s, end, sum, eb)) != 0 ||
	    (rc = snap_prefix(s, begin, low, eb)) != 0)
		return rc;
	neg_sum_sub(sum, low);
	return 0;
}

/*
 * The first index in [begin, end) whose item is not less than the bound,
 * or end: the first in the whole set, found by descending on keys, then
 * held within [begin, end].
 */
static int
snap_lower_bound(void *ctx, size_t begin, size_t end,
    const struct neg_bound *bound, size_t *index, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;
	uint8_t bk[STORE_TSID_LEN];
	struct node *nd;
	uint64_t base = 0, at;
	size_t lo, hi, mid;
	int rc;

	assert(begin <= end);
	assert(bound->id_len <= NEG_ID_LEN);
	if (begin == end || s->empty) {
		*index = begin;
		return 0;
	}
	store_be64(bk, bound->ts);
	memset(bk + 8, 0, NEG_ID_LEN);
	memcpy(bk + 8, bound->id, bound->id_len);
	if ((rc = snap_node(s, s->root.level, s->root.key, s->root.children,
		 s->root.items, &nd, eb)) != 0)
		return rc;
	for (;;) {
		/* lo = the number of children whose first key is <= bk. */
		lo = 0;
		hi = nd->n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (memcmp(nd->keys[mid], bk, STORE_TSID_LEN) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0) {
			at = base; /* every item here is >= bk */
			break;
		}
		lo--;
		if (nd->level == 0) {
			at = base + lo +
			    (memcmp(nd->keys[lo], bk, STORE_TSID_LEN) < 0);
			break;
		}
		base += nd->start[lo];
		if ((rc = snap_node(s, nd->level - 1, nd->keys[lo],
			 nd->children[lo], nd->start[lo + 1] - nd->start[lo],
			 &nd, eb)) != 0)
			return rc;
	}
	*index = at < begin ? begin : at > end ? end : (size_t)at;
	return 0;
}

/* Read the root in s->txn.  AMIE_EIO if it is inconsistent. */
static int
snap_load(struct itemset_snap *s, struct errbuf *eb)
{
	struct store *st = s->st;
	MDB_stat ms;
	MDB_cursor *c;
	MDB_val key, val;
	struct entry below;
	size_t items;
	int mrc, rc = 0;

	if ((mrc = mdb_stat(s->txn, st->items, &ms)) != 0)
		return store_fail(eb, mrc, "itemset: items");
	items = ms.ms_entries;
	if ((mrc = mdb_cursor_open(s->txn, st->chunks, &c)) != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	if (mrc == MDB_NOTFOUND) {
		s->empty = 1;
		mrc = 0;
	} else if (mrc == 0) {
		s->reads++;
		if (entry_decode(&s->root, &key, &val) != 0)
			rc = fail(eb, AMIE_EIO,
			    "itemset: the root entry is malformed (%zu-byte "
			    "key, %zu-byte value)",
			    key.mv_size, val.mv_size);
		else if ((mrc = mdb_cursor_get(c, &key, &val, MDB_PREV)) == 0 &&
		    (entry_decode(&below, &key, &val) != 0 ||
			below.level == s->root.level))
			rc = fail(eb, AMIE_EIO,
			    "itemset: the top level holds more than one entry");
		else if (mrc == MDB_NOTFOUND)
			mrc = 0;
	}
	mdb_cursor_close(c);
	if (rc != 0)
		return rc;
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	if ((s->empty ? 0 : s->root.items) != items)
		return fail(eb, AMIE_EIO,
		    "itemset: the chunks count %llu items, the set holds %zu",
		    (unsigned long long)(s->empty ? 0 : s->root.items), items);
	return 0;
}

int
itemset_snap_open(struct store *st, struct itemset_snap **out,
    struct errbuf *eb)
{
	struct itemset_snap *s = xcalloc(1, sizeof(*s));
	int mrc, rc;

	s->st = st;
	s->nodes = xcalloc(ITEMSET_SNAP_NODES, sizeof(*s->nodes));
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &s->txn)) != 0) {
		free(s->nodes);
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
	mdb_txn_abort(s->txn);
	if (s->counted)
		s->st->snapshots--;
	free(s->nodes);
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
	return s->empty ? 0 : s->root.items;
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

/*
 * A cursor over the children of one level: the items (level 0) or the
 * entries of the level below.  child_get() reads the next one into e, or
 * says there is none (1).
 */
struct walk {
	MDB_cursor *c;
	unsigned level; /* of the entries whose children these are */
	int started, done;
};

static int
walk_next(struct walk *w, struct entry *e, struct errbuf *eb)
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_val key, val;
	int mrc;

	if (w->done)
		return -1;
	if (!w->started && w->level > 0) {
		memset(kk, 0, sizeof(kk));
		kk[0] = (uint8_t)(w->level - 1);
		key.mv_size = sizeof(kk);
		key.mv_data = kk;
		mrc = mdb_cursor_get(w->c, &key, &val, MDB_SET_RANGE);
	} else
		mrc = mdb_cursor_get(w->c, &key, &val,
		    w->started ? MDB_NEXT : MDB_FIRST);
	w->started = 1;
	if (mrc == MDB_NOTFOUND) {
		w->done = 1;
		return -1;
	}
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: verify");
	if (w->level == 0) {
		if (key.mv_size != STORE_TSID_LEN || val.mv_size != 0)
			return fail(eb, AMIE_EIO,
			    "itemset: an item is malformed (%zu-byte key, "
			    "%zu-byte value)",
			    key.mv_size, val.mv_size);
		e->level = 0;
		memcpy(e->key, key.mv_data, STORE_TSID_LEN);
		e->items = 1;
		e->children = 1;
		memcpy(e->sum, e->key + 8, NEG_ID_LEN);
		return 0;
	}
	if (entry_decode(e, &key, &val) != 0)
		return fail(eb, AMIE_EIO,
		    "itemset: a chunk entry is malformed (%zu-byte key, "
		    "%zu-byte value)",
		    key.mv_size, val.mv_size);
	if (e->level != w->level - 1) {
		w->done = 1;
		return -1;
	}
	return 0;
}

/* Check the entries of level against their children; *count gets how
 * many there are. */
static int
verify_level(struct store *st, MDB_txn *txn, unsigned level, size_t *count,
    struct errbuf *eb)
{
	struct walk pw = { NULL, level + 1, 0, 0 };
	struct walk cw = { NULL, level, 0, 0 };
	struct entry e, ch;
	uint8_t sum[NEG_ID_LEN];
	uint64_t items;
	uint32_t seen;
	char a[64], b[64];
	int mrc, rc, crc;

	*count = 0;
	if ((mrc = mdb_cursor_open(txn, st->chunks, &pw.c)) != 0 ||
	    (mrc = mdb_cursor_open(txn, level == 0 ? st->items : st->chunks,
		 &cw.c)) != 0) {
		rc = store_fail(eb, mrc, "itemset: verify");
		goto out;
	}
	crc = walk_next(&cw, &ch, eb);
	while ((rc = walk_next(&pw, &e, eb)) == 0) {
		if (e.children == 0 || e.children > ITEMSET_NODE_MAX ||
		    (level == 0 && e.items != e.children)) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: level-%u chunk %zu (%s) counts %u "
			    "children and %llu items",
			    level, *count, key_str(e.key, a), e.children,
			    (unsigned long long)e.items);
			goto out;
		}
		if (crc < 0) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: level-%u chunk %zu (%s) starts after the "
			    "last of its level's children",
			    level, *count, key_str(e.key, a));
			goto out;
		}
		if (crc != 0) {
			rc = crc;
			goto out;
		}
		if (memcmp(ch.key, e.key, STORE_TSID_LEN) != 0) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: level-%u chunk %zu is keyed %s but its "
			    "first child is %s",
			    level, *count, key_str(e.key, a),
			    key_str(ch.key, b));
			goto out;
		}
		memset(sum, 0, sizeof(sum));
		items = 0;
		for (seen = 0; seen < e.children && crc == 0; seen++) {
			items += ch.items;
			neg_sum_add(sum, ch.sum);
			crc = walk_next(&cw, &ch, eb);
		}
		if (crc > 0) {
			rc = crc;
			goto out;
		}
		if (seen != e.children || items != e.items) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: level-%u chunk %zu (%s) counts %u "
			    "children and %llu items, %u and %llu follow",
			    level, *count, key_str(e.key, a), e.children,
			    (unsigned long long)e.items, seen,
			    (unsigned long long)items);
			goto out;
		}
		if (memcmp(sum, e.sum, NEG_ID_LEN) != 0) {
			rc = fail(eb, AMIE_EIO,
			    "itemset: level-%u chunk %zu (%s, %llu items) has "
			    "a sum that is not its children's sum",
			    level, *count, key_str(e.key, a),
			    (unsigned long long)e.items);
			goto out;
		}
		(*count)++;
		/* The next child must start the next entry: checked above. */
	}
	if (rc > 0)
		goto out;
	rc = 0;
	if (crc == 0 && (level == 0 || *count > 0)) /* else: above the root */
		rc = fail(eb, AMIE_EIO, "itemset: %s %s is in no chunk",
		    level == 0 ? "item" : "chunk", key_str(ch.key, a));
	else if (crc > 0)
		rc = crc;
out:
	if (cw.c != NULL)
		mdb_cursor_close(cw.c);
	if (pw.c != NULL)
		mdb_cursor_close(pw.c);
	return rc;
}

/* No entry of level or above: the first empty level ends the tree. */
static int
verify_above(struct store *st, MDB_txn *txn, unsigned level, struct errbuf *eb)
{
	MDB_cursor *c;
	MDB_val key, val;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return store_fail(eb, mrc, "itemset: verify");
	mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	mdb_cursor_close(c);
	if (mrc == MDB_NOTFOUND)
		return 0;
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: verify");
	if (key.mv_size < 1 || *(const uint8_t *)key.mv_data >= level)
		return fail(eb, AMIE_EIO,
		    "itemset: a chunk entry lies above the top level (%u)",
		    level > 0 ? level - 1 : 0);
	return 0;
}

int
itemset_verify_txn(struct store *st, MDB_txn *txn, struct errbuf *eb)
{
	size_t count, below = 0;
	unsigned level;
	int rc;

	for (level = 0; level < ITEMSET_LEVELS_MAX; level++) {
		if ((rc = verify_level(st, txn, level, &count, eb)) != 0)
			return rc;
		if (count == 0) {
			if (level > 0 && below != 1)
				return fail(eb, AMIE_EIO,
				    "itemset: the top level (%u) holds %zu "
				    "chunks, not one",
				    level - 1, below);
			return verify_above(st, txn, level, eb);
		}
		below = count;
	}
	return fail(eb, AMIE_EIO, "itemset: more than %d levels of chunks",
	    ITEMSET_LEVELS_MAX);
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

int
itemset_upgrade(struct store *st, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val key, val;
	uint8_t k[STORE_TSID_LEN];
	int mrc, old;

	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST);
	old = mrc == 0 && key.mv_size == STORE_TSID_LEN;
	mdb_cursor_close(c);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	if (!old)
		return 0;
	/* Chunks of the single-level layout: build the tree from items. */
	if ((mrc = mdb_drop(txn, st->chunks, 0)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->items, &c)) != 0)
		return mrc;
	for (mrc = mdb_cursor_get(c, &key, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key.mv_size != STORE_TSID_LEN) {
			mrc = MDB_CORRUPTED;
			break;
		}
		memcpy(k, key.mv_data, STORE_TSID_LEN);
		if ((mrc = tree_add(st, txn, k, k + 8)) != 0)
			break;
	}
	mdb_cursor_close(c);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}
