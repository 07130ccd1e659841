/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set that sync reconciles, with a tree of range accumulators in
 * LMDB.
 *
 * Items are (ts, id) of every served record, kept in the `items` database
 * (key ts big-endian || id).  Beside it, the `chunks` database holds a
 * B-tree over the ordered items, one LMDB value per node: a leaf (level 0)
 * holds a run of 1 to ITEMSET_LEAF_MAX consecutive items, a node of level
 * L an entry for each of a run of 1 to ITEMSET_NODE_MAX consecutive nodes
 * of level L - 1 (its key, its item count and the sum of its ids, 256-bit
 * little-endian mod 2^256, as Negentropy's fingerprint wants), and the top
 * level one node, the root.  A node is keyed by its level and its first
 * item, and is small enough to lie within one LMDB page.  All of it is
 * updated in the ingest transaction.
 *
 * A snapshot is a read transaction plus the root read in it: a consistent
 * view of the set for one reconciliation, however the store changes
 * meanwhile.  Through it, the item at an index, the index of a bound and
 * the fingerprint of any range each cost one descent of the tree, that is
 * O(log n) node reads, fewer when the nodes on the way were read already;
 * the whole-set fingerprint costs no read beyond the root.
 */
#ifndef AMIE_STORE_ITEMSET_H
#define AMIE_STORE_ITEMSET_H

#include <stdint.h>

#include "proto/negentropy.h"
#include "store/store.h"

/*
 * Items of a leaf and entries of a node above, at most: a value of up to
 * 1,922 bytes, which LMDB keeps in a leaf page (not an overflow page).  A
 * node that grows past it is cut in halves, or, when the item added is
 * the last of the set, into a full node and a node of one.
 */
#define ITEMSET_LEAF_MAX 48
#define ITEMSET_NODE_MAX 24

struct itemset_snap;

/*
 * Open a snapshot of st's item set.  Returns 0 and sets *out, or
 * AMIE_EIO.  The snapshot holds an LMDB read transaction: close it when
 * the reconciliation ends.
 */
int itemset_snap_open(struct store *st, struct itemset_snap **out,
    struct errbuf *eb);

/* Close the snapshot and set *s to NULL; NULL does nothing. */
void itemset_snap_close(struct itemset_snap **s);

/* The Negentropy storage over the snapshot, valid until it closes. */
const struct neg_storage *itemset_snap_storage(struct itemset_snap *s);

/* Items in the snapshot. */
uint64_t itemset_snap_count(const struct itemset_snap *s);

/*
 * Nodes read from LMDB through the snapshot so far (for benchmarks and
 * tests): the root and every node read since, one mdb_get each; a node
 * found in the snapshot's cache is not read again.
 */
uint64_t itemset_snap_reads(const struct itemset_snap *s);

/*
 * Distinct LMDB pages read through the snapshot so far: the leaf pages of
 * `chunks` that hold the nodes read (two nodes may share one).  LMDB's
 * branch pages on the way to them are not counted.
 */
uint64_t itemset_snap_pages(const struct itemset_snap *s);

/*
 * Check the tree against the items, level by level (the items of every
 * leaf; the keys, counts and sums of every entry; one root); for `amie
 * check` and tests.  Returns 0, or AMIE_EIO describing the first
 * mismatch.
 */
int itemset_verify(struct store *st, struct errbuf *eb);

#endif
