/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set that sync reconciles, with a tree of range accumulators in
 * LMDB.
 *
 * Items are (ts, id) of every served record, kept in the `items` database
 * (key ts big-endian || id).  Beside it, the `chunks` database holds a
 * tree over the ordered items: a level-0 entry covers a run of 1 to
 * ITEMSET_NODE_MAX consecutive items, a level-L entry a run of 1 to
 * ITEMSET_NODE_MAX consecutive level-(L - 1) entries, and the top level
 * one entry, the root.  Each entry, keyed by its level and its first
 * item, holds its item count, its child count and the sum of its ids
 * (256-bit little-endian, mod 2^256, as Negentropy's fingerprint wants).
 * All of it is updated in the ingest transaction.
 *
 * A snapshot is a read transaction plus the root read in it: a consistent
 * view of the set for one reconciliation, however the store changes
 * meanwhile.  Through it, the item at an index, the index of a bound and
 * the fingerprint of any range each cost one descent of the tree, that is
 * O(log n) entries read, fewer when the nodes on the way were read
 * already; the whole-set fingerprint costs no read beyond the root.
 */
#ifndef AMIE_STORE_ITEMSET_H
#define AMIE_STORE_ITEMSET_H

#include <stdint.h>

#include "proto/negentropy.h"
#include "store/store.h"

/* Children of an entry, at most; a split leaves two halves. */
#define ITEMSET_NODE_MAX 16

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
 * LMDB entries read through the snapshot so far (for benchmarks): the root
 * and every child of each node read (a cursor step each).
 */
uint64_t itemset_snap_reads(const struct itemset_snap *s);

/*
 * Check the tree against the items, level by level (keys, counts and
 * sums; one root); for `amie check` and tests.  Returns 0, or AMIE_EIO
 * describing the first mismatch.
 */
int itemset_verify(struct store *st, struct errbuf *eb);

#endif
