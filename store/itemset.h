/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set that sync reconciles, with a ladder of range accumulators
 * in LMDB.
 *
 * Items are (ts, id) of every served record, kept in the `items` database
 * (key ts big-endian || id).  Beside it, the `chunks` database holds, for
 * each level L from 1 to ITEMSET_LEVELS, the runs of level L: the set cut
 * before every item whose level (neg_level(), one item in 16^L) is L or
 * more, each run stored as one entry keyed by its level and first item,
 * with its item count, the sum of its ids (256-bit little-endian mod
 * 2^256, as Negentropy's fingerprint wants) and its last item.  The runs
 * depend on the items only, not on the order they came in, so two nodes
 * cut their sets in the same places wherever they agree: the bounds that
 * Negentropy's content-splits extension sends.  All of it is updated in
 * the ingest transaction.
 *
 * A snapshot is a read transaction: a consistent view of the set for one
 * reconciliation, however the store changes meanwhile.  Through it, the
 * item at an index, the index of a bound and the fingerprint of a range
 * each cost one descent from the top level, reading about 16 runs a
 * level, and a descent stops at the level of the boundary it reaches:
 * for a bound on a level-L boundary, only levels L and above are read.
 * The item after the last one found costs one cursor step.
 */
#ifndef AMIE_STORE_ITEMSET_H
#define AMIE_STORE_ITEMSET_H

#include <stdint.h>

#include "proto/negentropy.h"
#include "store/store.h"

/* Levels of runs, one entry per boundary each. */
#define ITEMSET_LEVELS NEG_LEVEL_MAX

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
 * Entries read from LMDB through the snapshot so far (for benchmarks and
 * tests): runs and items, one cursor operation each.
 */
uint64_t itemset_snap_reads(const struct itemset_snap *s);

/*
 * Distinct LMDB pages read through the snapshot so far: the leaf pages of
 * `chunks` and `items` that hold the runs and items read (many share
 * one).  LMDB's branch pages on the way to them are not counted.
 */
uint64_t itemset_snap_pages(const struct itemset_snap *s);

/*
 * Check the ladder against the items, level by level (every run starts at
 * a boundary of its level and holds the runs below up to the next, with
 * their count, sum and last item); for `amie check` and tests.  Returns
 * 0, or AMIE_EIO describing the first mismatch.
 */
int itemset_verify(struct store *st, struct errbuf *eb);

#endif
