/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set and its tree of accumulators (see itemset.h).
 *
 * `chunks` holds one value per node of the tree, keyed level (1 byte) ||
 * ts big-endian (8) || id (32), the key of the first item the node covers.
 * The value is ITEMSET_FORMAT (1 byte), the child count n (1 byte) and the
 * n children in key order: at level 0 the items (ts || id, 40 bytes each),
 * at level L > 0 one entry per node of level L - 1, its key (40 bytes), its
 * item count (8 bytes big-endian) and the sum of its ids (32 bytes,
 * little-endian, mod 2^256).  A node's key is its first child's key; the
 * highest level holds one node, the root.  Writers keep this true item by
 * item inside the ingest transaction; readers trust it and say so
 * (AMIE_EIO) when a node does not match its parent's entry.
 *
 * A value is at most 2 + 48 * 40 or 2 + 24 * 80 = 1922 bytes, under the
 * 1989 bytes above which LMDB (4 KiB pages, 41-byte keys) moves a value
 * to an overflow page: a node lies in one leaf page of `chunks`, and
 * reading it is one mdb_get and one page.
 *
 * A snapshot reads the root when it opens and then a node only when an
 * index or a bound falls under it, into a small cache, so that
 * Negentropy's storage calls cost O(log n) node reads and the ranges it
 * narrows down reuse the nodes read for the wider ones.
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
#define ITEMSET_FORMAT 2 /* first byte of a node's value */
#define ITEMSET_HEAD_LEN 2
#define ITEMSET_ENTRY_LEN (STORE_TSID_LEN + 8 + NEG_ID_LEN)
#define ITEMSET_VAL_MAX (ITEMSET_HEAD_LEN + ITEMSET_LEAF_MAX * STORE_TSID_LEN)
#define ITEMSET_LEVELS_MAX 32 /* levels of a tree, at most */

/* Nodes a snapshot keeps. */
#define ITEMSET_SNAP_NODES 256

/*
 * A node as read or about to be written: n children with their keys, item
 * counts and sums (at level 0 an item, 1 and its id).  One slot past the
 * maximum holds the child that makes a node split.
 */
struct node {
	unsigned level;
	size_t n;
	uint8_t keys[ITEMSET_LEAF_MAX + 1][STORE_TSID_LEN];
	uint64_t items[ITEMSET_LEAF_MAX + 1];
	uint8_t sums[ITEMSET_LEAF_MAX + 1][NEG_ID_LEN];
};

/*
 * A node kept by a snapshot: child c starts at item base + start[c] (start
 * has n + 1 entries) and sums[c] is the sum of the ids of the children
 * before it.
 */
struct snode {
	unsigned level;
	uint8_t key[STORE_TSID_LEN];
	uint64_t stamp;
	size_t n;
	uint8_t keys[ITEMSET_LEAF_MAX][STORE_TSID_LEN];
	uint64_t start[ITEMSET_LEAF_MAX + 1];
	uint8_t sums[ITEMSET_LEAF_MAX + 1][NEG_ID_LEN];
};

struct itemset_snap {
	struct store *st;
	MDB_txn *txn;
	int counted; /* included in st->snapshots */
	int empty;
	unsigned root_level;
	uint8_t root_key[STORE_TSID_LEN];
	uint64_t items;
	uint8_t sum[NEG_ID_LEN];
	struct snode *nodes[ITEMSET_SNAP_NODES]; /* allocated when used */
	struct node scratch;
	uint64_t clock;
	uint64_t reads;
	size_t psize; /* of LMDB's pages */
	uintptr_t *pages; /* pages read, a set of addresses */
	size_t npages;
	size_t pages_cap; /* 0 or a power of two */
	struct neg_storage storage;
};

/* Children of a node of level, at most. */
static size_t
node_max(unsigned level)
{
	return level == 0 ? ITEMSET_LEAF_MAX : ITEMSET_NODE_MAX;
}

/* Bytes of one child on disk. */
static size_t
node_child_len(unsigned level)
{
	return level == 0 ? STORE_TSID_LEN : ITEMSET_ENTRY_LEN;
}

static void
node_key(uint8_t k[ITEMSET_KEY_LEN], unsigned level,
    const uint8_t key[STORE_TSID_LEN])
{
	k[0] = (uint8_t)level;
	memcpy(k + 1, key, STORE_TSID_LEN);
}

/*
 * Decode the node stored under k with value v into nd: MDB_CORRUPTED if
 * either has the wrong shape, the children are not in order or the first
 * is not the node's key.
 */
static int
node_decode(struct node *nd, const MDB_val *k, const MDB_val *v)
{
	const uint8_t *kp = k->mv_data, *vp = v->mv_data, *p;
	size_t c, len;
	unsigned level;

	if (k->mv_size != ITEMSET_KEY_LEN || kp[0] >= ITEMSET_LEVELS_MAX ||
	    v->mv_size < ITEMSET_HEAD_LEN || vp[0] != ITEMSET_FORMAT)
		return MDB_CORRUPTED;
	level = kp[0];
	len = node_child_len(level);
	nd->level = level;
	nd->n = vp[1];
	if (nd->n == 0 || nd->n > node_max(level) ||
	    v->mv_size != ITEMSET_HEAD_LEN + nd->n * len)
		return MDB_CORRUPTED;
	for (c = 0; c < nd->n; c++) {
		p = vp + ITEMSET_HEAD_LEN + c * len;
		memcpy(nd->keys[c], p, STORE_TSID_LEN);
		if (level == 0) {
			nd->items[c] = 1;
			memcpy(nd->sums[c], p + 8, NEG_ID_LEN);
		} else {
			nd->items[c] = store_get_be64(p + STORE_TSID_LEN);
			memcpy(nd->sums[c], p + STORE_TSID_LEN + 8,
			    NEG_ID_LEN);
			if (nd->items[c] == 0)
				return MDB_CORRUPTED;
		}
		if (c > 0 && memcmp(nd->keys[c - 1], nd->keys[c],
				 STORE_TSID_LEN) >= 0)
			return MDB_CORRUPTED;
	}
	if (memcmp(nd->keys[0], kp + 1, STORE_TSID_LEN) != 0)
		return MDB_CORRUPTED;
	return 0;
}

static int
node_put(struct store *st, MDB_txn *txn, const struct node *nd)
{
	uint8_t k[ITEMSET_KEY_LEN], v[ITEMSET_VAL_MAX], *p;
	size_t c, len = node_child_len(nd->level);

	assert(nd->n > 0 && nd->n <= node_max(nd->level));
	node_key(k, nd->level, nd->keys[0]);
	v[0] = ITEMSET_FORMAT;
	v[1] = (uint8_t)nd->n;
	for (c = 0; c < nd->n; c++) {
		p = v + ITEMSET_HEAD_LEN + c * len;
		memcpy(p, nd->keys[c], STORE_TSID_LEN);
		if (nd->level > 0) {
			store_be64(p + STORE_TSID_LEN, nd->items[c]);
			memcpy(p + STORE_TSID_LEN + 8, nd->sums[c], NEG_ID_LEN);
		}
	}
	return store_put(txn, st->chunks, k, sizeof(k), v,
	    ITEMSET_HEAD_LEN + nd->n * len, 0);
}

static int
node_del(struct store *st, MDB_txn *txn, unsigned level,
    const uint8_t key[STORE_TSID_LEN])
{
	uint8_t k[ITEMSET_KEY_LEN];
	MDB_val kv = { sizeof(k), k };

	node_key(k, level, key);
	return mdb_del(txn, st->chunks, &kv, NULL);
}

/* Read the node (level, key) that a parent names: MDB_CORRUPTED if none. */
static int
node_get(struct store *st, MDB_txn *txn, unsigned level,
    const uint8_t key[STORE_TSID_LEN], struct node *nd)
{
	uint8_t k[ITEMSET_KEY_LEN];
	MDB_val kv = { sizeof(k), k }, v;
	int mrc;

	node_key(k, level, key);
	if ((mrc = mdb_get(txn, st->chunks, &kv, &v)) != 0)
		return mrc == MDB_NOTFOUND ? MDB_CORRUPTED : mrc;
	if ((mrc = node_decode(nd, &kv, &v)) != 0)
		return mrc;
	return nd->level == level ? 0 : MDB_CORRUPTED;
}

/* Read the root into nd; *found is 0 for an empty tree. */
static int
node_root(struct store *st, MDB_txn *txn, struct node *nd, int *found)
{
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	*found = 0;
	if ((mrc = mdb_cursor_open(txn, st->chunks, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (mrc == 0 && (mrc = node_decode(nd, &k, &v)) == 0)
		*found = 1;
	mdb_cursor_close(c);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* The items and the sum of the ids under nd. */
static void
node_totals(const struct node *nd, uint64_t *items, uint8_t sum[NEG_ID_LEN])
{
	size_t c;

	*items = 0;
	memset(sum, 0, NEG_ID_LEN);
	for (c = 0; c < nd->n; c++) {
		*items += nd->items[c];
		neg_sum_add(sum, nd->sums[c]);
	}
}

/* The last child whose key is not above k, or the first. */
static size_t
node_child(const struct node *nd, const uint8_t k[STORE_TSID_LEN])
{
	size_t lo = 0, hi = nd->n, mid;

	/* lo = the number of children whose key is <= k. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(nd->keys[mid], k, STORE_TSID_LEN) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 ? lo - 1 : 0;
}

/* Make room at child c and put the child (key, items, sum) there. */
static void
node_insert(struct node *nd, size_t c, const uint8_t key[STORE_TSID_LEN],
    uint64_t items, const uint8_t sum[NEG_ID_LEN])
{
	assert(c <= nd->n && nd->n <= ITEMSET_LEAF_MAX);
	memmove(nd->keys[c + 1], nd->keys[c], (nd->n - c) * STORE_TSID_LEN);
	memmove(&nd->items[c + 1], &nd->items[c],
	    (nd->n - c) * sizeof(nd->items[0]));
	memmove(nd->sums[c + 1], nd->sums[c], (nd->n - c) * NEG_ID_LEN);
	memcpy(nd->keys[c], key, STORE_TSID_LEN);
	nd->items[c] = items;
	memcpy(nd->sums[c], sum, NEG_ID_LEN);
	nd->n++;
}

static void
node_remove(struct node *nd, size_t c)
{
	assert(c < nd->n);
	nd->n--;
	memmove(nd->keys[c], nd->keys[c + 1], (nd->n - c) * STORE_TSID_LEN);
	memmove(&nd->items[c], &nd->items[c + 1],
	    (nd->n - c) * sizeof(nd->items[0]));
	memmove(nd->sums[c], nd->sums[c + 1], (nd->n - c) * NEG_ID_LEN);
}

/* Move the children of nd from h on into right, a new node. */
static void
node_cut(struct node *nd, size_t h, struct node *right)
{
	assert(h > 0 && h < nd->n);
	right->level = nd->level;
	right->n = nd->n - h;
	memcpy(right->keys, nd->keys[h], right->n * STORE_TSID_LEN);
	memcpy(right->items, &nd->items[h], right->n * sizeof(nd->items[0]));
	memcpy(right->sums, nd->sums[h], right->n * NEG_ID_LEN);
	nd->n = h;
}

/* Set child c of parent to what child (a node of the level below) holds. */
static void
node_entry_of(struct node *parent, size_t c, const struct node *child)
{
	memcpy(parent->keys[c], child->keys[0], STORE_TSID_LEN);
	node_totals(child, &parent->items[c], parent->sums[c]);
}

/*
 * The path from the root to the leaf that holds, or would hold, k: path[l]
 * is the node of level l on it and at[l] (l > 0) the child taken; old[l]
 * the key path[l] is stored under.  *top is the root's level and
 * *rightmost whether the path took the last child at every level.  *found
 * is 0 for an empty tree.  When found, *pathp is allocated with *top + 2
 * nodes, the last a spare, and the caller frees it.
 */
static int
tree_path(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN],
    struct node **pathp, size_t at[ITEMSET_LEVELS_MAX],
    uint8_t old[ITEMSET_LEVELS_MAX][STORE_TSID_LEN], unsigned *top,
    int *rightmost, int *found)
{
	struct node *path, root;
	unsigned l;
	int mrc;

	if ((mrc = node_root(st, txn, &root, found)) != 0 || !*found)
		return mrc;
	*top = root.level;
	path = xmalloc((*top + 2) * sizeof(*path));
	path[*top] = root;
	*rightmost = 1;
	for (l = *top; l > 0; l--) {
		memcpy(old[l], path[l].keys[0], STORE_TSID_LEN);
		at[l] = node_child(&path[l], k);
		*rightmost = *rightmost && at[l] + 1 == path[l].n;
		if ((mrc = node_get(st, txn, l - 1, path[l].keys[at[l]],
			 &path[l - 1])) != 0) {
			free(path);
			return mrc;
		}
	}
	memcpy(old[0], path[0].keys[0], STORE_TSID_LEN);
	*pathp = path;
	return 0;
}

/* The number of children of nd whose key is below k. */
static size_t
node_rank(const struct node *nd, const uint8_t k[STORE_TSID_LEN])
{
	size_t lo = 0, hi = nd->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(nd->keys[mid], k, STORE_TSID_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The item k with id was just added to `items`: put it in its leaf and
 * count it in the entry of every node above.  A node grown past its
 * maximum is cut in two (at the end when the item is the last of the set,
 * so that items added in order leave full nodes, else in halves), one
 * more entry for its parent; when the root is cut, a new root covers the
 * halves.
 */
static int
tree_add(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN],
    const uint8_t id[NEG_ID_LEN])
{
	size_t at[ITEMSET_LEVELS_MAX], pos, h;
	uint8_t old[ITEMSET_LEVELS_MAX][STORE_TSID_LEN], sum[NEG_ID_LEN];
	struct node *path = NULL, *nd, *right;
	uint64_t items;
	unsigned top = 0, l;
	int mrc, found, rightmost = 0, split = 0, last;

	if ((mrc = tree_path(st, txn, k, &path, at, old, &top, &rightmost,
		 &found)) != 0)
		return mrc;
	if (!found) {
		struct node leaf;

		leaf.level = 0;
		leaf.n = 0;
		node_insert(&leaf, 0, k, 1, id);
		return node_put(st, txn, &leaf);
	}
	right = &path[top + 1];
	nd = &path[0];
	pos = node_rank(nd, k);
	if (pos < nd->n && memcmp(nd->keys[pos], k, STORE_TSID_LEN) == 0) {
		mrc = MDB_CORRUPTED; /* in the tree, not in `items` */
		goto out;
	}
	node_insert(nd, pos, k, 1, id);
	last = pos + 1 == nd->n;
	for (l = 0;; l++) {
		nd = &path[l];
		if (l > 0 && split) {
			node_entry_of(nd, at[l], &path[l - 1]);
			node_totals(right, &items, sum);
			node_insert(nd, at[l] + 1, right->keys[0], items, sum);
			last = at[l] + 2 == nd->n;
		} else if (l > 0) {
			memcpy(nd->keys[at[l]], path[l - 1].keys[0],
			    STORE_TSID_LEN);
			nd->items[at[l]]++;
			neg_sum_add(nd->sums[at[l]], id);
		}
		split = nd->n > node_max(l);
		if (split) {
			h = rightmost && last ? nd->n - 1 : nd->n / 2;
			node_cut(nd, h, right);
			if ((mrc = node_put(st, txn, right)) != 0)
				goto out;
		}
		if (memcmp(nd->keys[0], old[l], STORE_TSID_LEN) != 0 &&
		    (mrc = node_del(st, txn, l, old[l])) != 0)
			goto out;
		if ((mrc = node_put(st, txn, nd)) != 0 || l == top)
			break;
	}
	if (mrc == 0 && split) {
		struct node root;

		if (top + 1 >= ITEMSET_LEVELS_MAX) {
			mrc = MDB_CORRUPTED;
			goto out;
		}
		root.level = top + 1;
		root.n = 2;
		node_entry_of(&root, 0, &path[top]);
		node_entry_of(&root, 1, right);
		mrc = node_put(st, txn, &root);
	}
out:
	free(path);
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
	return tree_add(st, txn, k, id);
}

/*
 * The item k with id was just taken out of `items`: take it out of its
 * leaf and uncount it in the entry of every node above.  A node left
 * without children is deleted, one entry fewer for its parent; a node
 * whose first child went is keyed by the next.  Nodes are not merged: a
 * tree that shrinks keeps its height.
 */
static int
tree_del(struct store *st, MDB_txn *txn, const uint8_t k[STORE_TSID_LEN],
    const uint8_t id[NEG_ID_LEN])
{
	size_t at[ITEMSET_LEVELS_MAX], pos;
	uint8_t old[ITEMSET_LEVELS_MAX][STORE_TSID_LEN];
	struct node *path = NULL, *nd;
	unsigned top = 0, l;
	int mrc, found, rightmost, gone = 0;

	if ((mrc = tree_path(st, txn, k, &path, at, old, &top, &rightmost,
		 &found)) != 0)
		return mrc;
	if (!found)
		return MDB_CORRUPTED; /* the item was in no leaf */
	nd = &path[0];
	pos = node_rank(nd, k);
	if (pos == nd->n || memcmp(nd->keys[pos], k, STORE_TSID_LEN) != 0) {
		mrc = MDB_CORRUPTED;
		goto out;
	}
	node_remove(nd, pos);
	for (l = 0; l <= top && mrc == 0; l++) {
		nd = &path[l];
		if (l > 0 && gone)
			node_remove(nd, at[l]);
		else if (l > 0) {
			if (nd->items[at[l]] < 2) {
				mrc = MDB_CORRUPTED;
				break;
			}
			memcpy(nd->keys[at[l]], path[l - 1].keys[0],
			    STORE_TSID_LEN);
			nd->items[at[l]]--;
			neg_sum_sub(nd->sums[at[l]], id);
		}
		gone = nd->n == 0;
		if ((gone || memcmp(nd->keys[0], old[l], STORE_TSID_LEN) != 0) &&
		    (mrc = node_del(st, txn, l, old[l])) != 0)
			break;
		if (!gone)
			mrc = node_put(st, txn, nd);
	}
out:
	free(path);
	return mrc;
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

/* Count the page that holds the value at p, once per snapshot. */
static void
snap_page(struct itemset_snap *s, const void *p, size_t psize)
{
	uintptr_t page = (uintptr_t)p / psize + 1, *old;
	size_t i, cap;

	if (2 * (s->npages + 1) > s->pages_cap) {
		old = s->pages;
		cap = s->pages_cap;
		s->pages_cap = cap ? 2 * cap : 64;
		s->pages = xcalloc(s->pages_cap, sizeof(*s->pages));
		s->npages = 0;
		for (i = 0; i < cap; i++)
			if (old[i] != 0)
				snap_page(s, (void *)((old[i] - 1) * psize),
				    psize);
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

/*
 * Keep s->scratch, just read, as the node (level, key): in a free slot or
 * the least recently used one.
 */
static struct snode *
snap_keep(struct itemset_snap *s)
{
	const struct node *from = &s->scratch;
	struct snode *x = NULL;
	size_t i, c;

	for (i = 0; i < ITEMSET_SNAP_NODES; i++) {
		if (s->nodes[i] == NULL) {
			x = s->nodes[i] = xmalloc(sizeof(*x));
			break;
		}
		if (x == NULL || s->nodes[i]->stamp < x->stamp)
			x = s->nodes[i];
	}
	x->level = from->level;
	memcpy(x->key, from->keys[0], STORE_TSID_LEN);
	x->n = from->n;
	x->start[0] = 0;
	memset(x->sums[0], 0, NEG_ID_LEN);
	for (c = 0; c < from->n; c++) {
		memcpy(x->keys[c], from->keys[c], STORE_TSID_LEN);
		x->start[c + 1] = x->start[c] + from->items[c];
		memcpy(x->sums[c + 1], x->sums[c], NEG_ID_LEN);
		neg_sum_add(x->sums[c + 1], from->sums[c]);
	}
	x->stamp = ++s->clock;
	return x;
}

/*
 * The node (level, key), which its parent's entry says holds items items
 * summing to sum: from the cache, or read.
 */
static int
snap_node(struct itemset_snap *s, unsigned level,
    const uint8_t key[STORE_TSID_LEN], uint64_t items,
    const uint8_t sum[NEG_ID_LEN], struct snode **out, struct errbuf *eb)
{
	uint8_t k[ITEMSET_KEY_LEN], got[NEG_ID_LEN];
	MDB_val kv = { sizeof(k), k }, v;
	uint64_t count;
	size_t i;
	int mrc;

	for (i = 0; i < ITEMSET_SNAP_NODES && s->nodes[i] != NULL; i++) {
		struct snode *x = s->nodes[i];

		if (x->level == level &&
		    memcmp(x->key, key, STORE_TSID_LEN) == 0) {
			x->stamp = ++s->clock;
			*out = x;
			return 0;
		}
	}
	node_key(k, level, key);
	mrc = mdb_get(s->txn, s->st->chunks, &kv, &v);
	if (mrc == MDB_NOTFOUND)
		return fail(eb, AMIE_EIO, "itemset: a level-%u node is missing",
		    level);
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset");
	s->reads++;
	snap_page(s, v.mv_data, s->psize);
	if (node_decode(&s->scratch, &kv, &v) != 0)
		return fail(eb, AMIE_EIO,
		    "itemset: a level-%u node is malformed (%zu bytes)", level,
		    v.mv_size);
	node_totals(&s->scratch, &count, got);
	if (count != items || memcmp(got, sum, NEG_ID_LEN) != 0)
		return fail(eb, AMIE_EIO,
		    "itemset: a level-%u node does not match its parent's "
		    "entry",
		    level);
	*out = snap_keep(s);
	return 0;
}

/* The child c of nd, a node above the leaves. */
static int
snap_child(struct itemset_snap *s, const struct snode *nd, size_t c,
    struct snode **out, struct errbuf *eb)
{
	uint8_t sum[NEG_ID_LEN];

	assert(nd->level > 0 && c < nd->n);
	memcpy(sum, nd->sums[c + 1], NEG_ID_LEN);
	neg_sum_sub(sum, nd->sums[c]);
	return snap_node(s, nd->level - 1, nd->keys[c],
	    nd->start[c + 1] - nd->start[c], sum, out, eb);
}

/*
 * Descend to item i < the count: its key, and the sum of the ids before
 * it into prefix (which may be NULL).
 */
static int
snap_at(struct itemset_snap *s, size_t i, uint8_t key[STORE_TSID_LEN],
    uint8_t prefix[NEG_ID_LEN], struct errbuf *eb)
{
	struct snode *nd;
	uint8_t sum[NEG_ID_LEN] = { 0 };
	uint64_t base = 0;
	size_t lo, hi, mid;
	int rc;

	assert(!s->empty && i < s->items);
	if ((rc = snap_node(s, s->root_level, s->root_key, s->items, s->sum,
		 &nd, eb)) != 0)
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
		if ((rc = snap_child(s, nd, lo, &nd, eb)) != 0)
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
	if (i == s->items) {
		memcpy(sum, s->sum, NEG_ID_LEN);
		return 0;
	}
	return snap_at(s, i, NULL, sum, eb);
}

static int
snap_size(void *ctx, size_t *count, struct errbuf *eb)
{
	struct itemset_snap *s = ctx;

	(void)eb;
	*count = (size_t)s->items;
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
	struct snode *nd;
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
	if ((rc = snap_node(s, s->root_level, s->root_key, s->items, s->sum,
		 &nd, eb)) != 0)
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
		if ((rc = snap_child(s, nd, lo, &nd, eb)) != 0)
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
	struct snode *root;
	size_t items;
	int mrc, rc = 0;

	if ((mrc = mdb_stat(s->txn, st->items, &ms)) != 0)
		return store_fail(eb, mrc, "itemset: items");
	items = ms.ms_entries;
	if ((mrc = mdb_stat(s->txn, st->chunks, &ms)) != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	s->psize = ms.ms_psize;
	if ((mrc = mdb_cursor_open(s->txn, st->chunks, &c)) != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	mrc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	if (mrc == MDB_NOTFOUND) {
		s->empty = 1;
		mrc = 0;
	} else if (mrc == 0) {
		s->reads++;
		snap_page(s, val.mv_data, s->psize);
		if (node_decode(&s->scratch, &key, &val) != 0)
			rc = fail(eb, AMIE_EIO,
			    "itemset: the root node is malformed (%zu-byte "
			    "key, %zu-byte value)",
			    key.mv_size, val.mv_size);
		else if ((mrc = mdb_cursor_get(c, &key, &val, MDB_PREV)) == 0 &&
		    (key.mv_size != ITEMSET_KEY_LEN ||
			*(const uint8_t *)key.mv_data >= s->scratch.level))
			rc = fail(eb, AMIE_EIO,
			    "itemset: the top level holds more than one node");
		else if (mrc == MDB_NOTFOUND)
			mrc = 0;
	}
	mdb_cursor_close(c);
	if (rc != 0)
		return rc;
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: chunks");
	if (!s->empty) {
		root = snap_keep(s);
		s->root_level = root->level;
		memcpy(s->root_key, root->key, STORE_TSID_LEN);
		s->items = root->start[root->n];
		memcpy(s->sum, root->sums[root->n], NEG_ID_LEN);
	}
	if (s->items != items)
		return fail(eb, AMIE_EIO,
		    "itemset: the chunks count %llu items, the set holds %zu",
		    (unsigned long long)s->items, items);
	return 0;
}

int
itemset_snap_open(struct store *st, struct itemset_snap **out,
    struct errbuf *eb)
{
	struct itemset_snap *s = xcalloc(1, sizeof(*s));
	int mrc, rc;

	s->st = st;
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &s->txn)) != 0) {
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
	size_t i;

	if (s == NULL)
		return;
	mdb_txn_abort(s->txn);
	if (s->counted)
		s->st->snapshots--;
	for (i = 0; i < ITEMSET_SNAP_NODES; i++)
		free(s->nodes[i]);
	free(s->pages);
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
	return s->items;
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
 * A cursor over one level of the tree, or over the items (level -1), in
 * key order.
 */
struct walk {
	MDB_cursor *c;
	int level;
	int started, done;
	size_t count; /* nodes or items returned so far */
};

/* The next node of w's level into nd: 0, -1 when there is none, or
 * AMIE_EIO. */
static int
walk_node(struct walk *w, struct node *nd, struct errbuf *eb)
{
	uint8_t kk[ITEMSET_KEY_LEN];
	MDB_val key, val;
	int mrc;

	assert(w->level >= 0);
	if (w->done)
		return -1;
	if (!w->started) {
		memset(kk, 0, sizeof(kk));
		kk[0] = (uint8_t)w->level;
		key.mv_size = sizeof(kk);
		key.mv_data = kk;
		mrc = mdb_cursor_get(w->c, &key, &val, MDB_SET_RANGE);
	} else
		mrc = mdb_cursor_get(w->c, &key, &val, MDB_NEXT);
	w->started = 1;
	if (mrc == 0 && (key.mv_size < 1 ||
			    *(const uint8_t *)key.mv_data != w->level))
		mrc = MDB_NOTFOUND;
	if (mrc == MDB_NOTFOUND) {
		w->done = 1;
		return -1;
	}
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: verify");
	if (node_decode(nd, &key, &val) != 0)
		return fail(eb, AMIE_EIO,
		    "itemset: level-%d chunk %zu is malformed (%zu-byte key, "
		    "%zu-byte value)",
		    w->level, w->count, key.mv_size, val.mv_size);
	w->count++;
	return 0;
}

/*
 * The next child of the level above w's: an item (level -1) or a node,
 * as its key, item count and sum.  0, -1 when there is none, or AMIE_EIO.
 */
static int
walk_child(struct walk *w, struct node *scratch, uint8_t key[STORE_TSID_LEN],
    uint64_t *items, uint8_t sum[NEG_ID_LEN], struct errbuf *eb)
{
	MDB_val k, v;
	int mrc, rc;

	if (w->level >= 0) {
		if ((rc = walk_node(w, scratch, eb)) != 0)
			return rc;
		memcpy(key, scratch->keys[0], STORE_TSID_LEN);
		node_totals(scratch, items, sum);
		return 0;
	}
	if (w->done)
		return -1;
	mrc = mdb_cursor_get(w->c, &k, &v, w->started ? MDB_NEXT : MDB_FIRST);
	w->started = 1;
	if (mrc == MDB_NOTFOUND) {
		w->done = 1;
		return -1;
	}
	if (mrc != 0)
		return store_fail(eb, mrc, "itemset: verify");
	if (k.mv_size != STORE_TSID_LEN || v.mv_size != 0)
		return fail(eb, AMIE_EIO,
		    "itemset: an item is malformed (%zu-byte key, %zu-byte "
		    "value)",
		    k.mv_size, v.mv_size);
	memcpy(key, k.mv_data, STORE_TSID_LEN);
	*items = 1;
	memcpy(sum, key + 8, NEG_ID_LEN);
	w->count++;
	return 0;
}

/*
 * Check the nodes of level against their children, in order: each child
 * of a leaf is the next item, each entry of a node above the next node of
 * the level below (its key, items and sum).  *count gets the nodes of
 * level.
 */
static int
verify_level(struct store *st, MDB_txn *txn, unsigned level, size_t *count,
    struct errbuf *eb)
{
	struct walk pw = { NULL, (int)level, 0, 0, 0 };
	struct walk cw = { NULL, (int)level - 1, 0, 0, 0 };
	struct node *nd = xmalloc(2 * sizeof(*nd));
	uint8_t key[STORE_TSID_LEN], sum[NEG_ID_LEN];
	uint64_t items;
	size_t c;
	char a[64], b[64], d[64];
	int mrc, rc, crc;

	*count = 0;
	if ((mrc = mdb_cursor_open(txn, st->chunks, &pw.c)) != 0 ||
	    (mrc = mdb_cursor_open(txn, level == 0 ? st->items : st->chunks,
		 &cw.c)) != 0) {
		rc = store_fail(eb, mrc, "itemset: verify");
		goto out;
	}
	while ((rc = walk_node(&pw, &nd[0], eb)) == 0) {
		for (c = 0; c < nd[0].n; c++) {
			crc = walk_child(&cw, &nd[1], key, &items, sum, eb);
			if (crc > 0) {
				rc = crc;
				goto out;
			}
			if (crc < 0) {
				rc = fail(eb, AMIE_EIO,
				    "itemset: level-%u chunk %zu (%s) has "
				    "child %zu past the last of the level "
				    "below",
				    level, *count, key_str(nd[0].keys[0], a),
				    c);
				goto out;
			}
			if (memcmp(key, nd[0].keys[c], STORE_TSID_LEN) != 0) {
				rc = fail(eb, AMIE_EIO,
				    "itemset: level-%u chunk %zu (%s) has "
				    "child %zu keyed %s, the level below %s",
				    level, *count, key_str(nd[0].keys[0], a),
				    c, key_str(nd[0].keys[c], b),
				    key_str(key, d));
				goto out;
			}
			if (items != nd[0].items[c]) {
				rc = fail(eb, AMIE_EIO,
				    "itemset: level-%u chunk %zu (%s) counts "
				    "%llu items in child %zu, which holds %llu",
				    level, *count, key_str(nd[0].keys[0], a),
				    (unsigned long long)nd[0].items[c], c,
				    (unsigned long long)items);
				goto out;
			}
			if (memcmp(sum, nd[0].sums[c], NEG_ID_LEN) != 0) {
				rc = fail(eb, AMIE_EIO,
				    "itemset: level-%u chunk %zu (%s) has a "
				    "sum for child %zu that is not its ids' "
				    "sum",
				    level, *count, key_str(nd[0].keys[0], a),
				    c);
				goto out;
			}
		}
		(*count)++;
	}
	if (rc > 0)
		goto out;
	rc = 0;
	if (level > 0 && *count == 0)
		goto out; /* above the root */
	crc = walk_child(&cw, &nd[1], key, &items, sum, eb);
	if (crc == 0)
		rc = fail(eb, AMIE_EIO, "itemset: %s %s is in no chunk",
		    level == 0 ? "item" : "chunk", key_str(key, a));
	else if (crc > 0)
		rc = crc;
out:
	if (cw.c != NULL)
		mdb_cursor_close(cw.c);
	if (pw.c != NULL)
		mdb_cursor_close(pw.c);
	free(nd);
	return rc;
}

/* No node of level or above: the first empty level ends the tree. */
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
	/* Single-level chunks had bare item keys; the tree of one entry
	 * per row had values starting with a count, never ITEMSET_FORMAT. */
	old = mrc == 0 &&
	    (key.mv_size != ITEMSET_KEY_LEN || val.mv_size < 1 ||
		*(const uint8_t *)val.mv_data != ITEMSET_FORMAT);
	mdb_cursor_close(c);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	if (!old)
		return 0;
	/* Build the tree from the items, in order: full nodes. */
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
