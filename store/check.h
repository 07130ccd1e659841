/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * `amie check`: verify a store against itself.  Every stored record is
 * decoded and verified again as ingest would (canonical container and
 * header, id equal to its key, signature for the stored network id, body
 * hash, length and canonical form, kind rules on the body), and every
 * index is rebuilt in thought from the records and compared, both ways,
 * with what is stored: items and their chunk accumulators, revs, heads,
 * refby, byauthor, authors, deleted (and the purge of deleted bodies),
 * signers and members, and the search index (docs, norms, terms).
 *
 * Everything runs in one read transaction, so a check sees one
 * consistent state while the daemon goes on writing; it never writes.
 * Signatures are verified on up to STORE_THREADS_MAX threads.  Each
 * difference is handed to a callback as one sentence naming the
 * database; the check goes on after it, so one run lists every problem.
 */
#ifndef AMIE_STORE_CHECK_H
#define AMIE_STORE_CHECK_H

#include <stdint.h>

#include "proto/errbuf.h"
#include "store/store.h"

#define CHECK_MSG_MAX 256 /* bytes of one problem's sentence */

/* What a check looked at, and how many problems it found. */
struct check_stats {
	uint64_t records;  /* entries of `records` */
	uint64_t items;	   /* entries of `items` */
	uint64_t objects;  /* distinct (kind, key) in `revs` */
	uint64_t articles; /* articles in the search index */
	uint64_t members;  /* entries of `members` */
	uint64_t problems; /* differences found */
};

/*
 * Called once per problem: db names the database (or "records"), msg is
 * the sentence (valid for the call only).
 */
typedef void (*check_fn)(void *ctx, const char *db, const char *msg);

/*
 * Check st as said above, calling fn (may be NULL) for each problem, and
 * fill *out.  Returns 0 when the check ran to the end, whatever it
 * found (out->problems says), or AMIE_EIO when the store could not be
 * read.
 */
int check_run(struct store *st, check_fn fn, void *ctx, struct check_stats *out,
    struct errbuf *eb);

#endif
