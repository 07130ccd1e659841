/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The item set that sync reconciles, with range accumulators in LMDB.
 *
 * Items are (ts, id) of every served record, kept in the `items` database
 * (key ts big-endian || id).  Beside it, the `chunks` database cuts the
 * ordered items into runs of ITEMSET_CHUNK_MIN to ITEMSET_CHUNK_MAX
 * items; each chunk, keyed by its first item, holds its item count and
 * the sum of its ids (256-bit little-endian, mod 2^256, as Negentropy's
 * fingerprint wants).  Both are updated in the ingest transaction.
 *
 * A snapshot is a read transaction plus the chunk directory read in it:
 * a consistent view of the set for one reconciliation, however the store
 * changes meanwhile.  Through it, a Negentropy fingerprint of any range
 * costs O(ITEMSET_CHUNK_MAX) item reads plus the directory, not a scan of
 * the set, and the whole-set fingerprint costs no item read at all.
 */
#ifndef AMIE_STORE_ITEMSET_H
#define AMIE_STORE_ITEMSET_H

#include <stdint.h>

#include "proto/negentropy.h"
#include "store/store.h"

#define ITEMSET_CHUNK_MIN 256
#define ITEMSET_CHUNK_MAX 1024

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

/* LMDB entries read through the snapshot so far (for benchmarks). */
uint64_t itemset_snap_reads(const struct itemset_snap *s);

/*
 * Check the chunks against the items (counts and sums); for `amie check`
 * and tests.  Returns 0, or AMIE_EIO describing the first mismatch.
 */
int itemset_verify(struct store *st, struct errbuf *eb);

#endif
