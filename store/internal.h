/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * What the files of store/ share and nothing outside store/ may include:
 * the struct behind struct store, the LMDB handles, and small helpers.
 * Every function here runs inside a transaction its caller owns and
 * returns LMDB codes (0, MDB_NOTFOUND, MDB_MAP_FULL, ...) unless it says
 * otherwise; store_ingest() turns them into AMIE_E* codes.
 */
#ifndef AMIE_STORE_INTERNAL_H
#define AMIE_STORE_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "proto/record.h"
#include "store/store.h"

#define STORE_DBS 15
/* LMDB reader slots: a read transaction each, open at once (every
 * reconciliation's snapshot, two a link, the verify workers, check,
 * backup, the CLI); LMDB's default is 126.  Taken from the lock file
 * by whoever creates it. */
#define STORE_READERS_MAX 1024
#define STORE_OBJKEY_MAX (RECORD_KIND_MAX + 1 + RECORD_KEY_MAX)
#define STORE_TSID_LEN (8 + RECORD_ID_LEN)

struct itemset_cache;
struct search_pending;
struct search_worker;
struct search_cache;
struct store_job;
struct store_pool;
struct text;

struct store {
	MDB_env *env;
	MDB_dbi records;	/* id -> encoded record */
	MDB_dbi items;		/* ts || id -> "": the reconciled set */
	MDB_dbi revs;		/* kind NUL key -> ts || id (dups) */
	MDB_dbi heads;		/* kind NUL key -> ts || id (dups) */
	MDB_dbi refby;		/* id -> referrer id (dups) */
	MDB_dbi authors;	/* author -> latest ts */
	MDB_dbi meta;		/* "network_id", "charter" */
	MDB_dbi chunks;		/* itemset.c: range accumulators */
	MDB_dbi members;	/* member.c: key -> membership state */
	MDB_dbi signers;	/* member.c: (dups), as member.c says */
	MDB_dbi byauthor;	/* author -> ts || id (dups) */
	MDB_dbi invites;	/* invite.c: secret hash -> expiry, uses */
	MDB_dbi deleted;	/* kind NUL key -> tombstone id: deleted */
	MDB_dbi terms;		/* search.c: as search.c says */
	MDB_dbi docs;		/* search.c: as search.c says */
	size_t map_size;
	unsigned snapshots;	/* itemset snapshots open: no remapping */
	atomic_int unsynced;	/* a relayed commit's meta page is not flushed */
	/* search.c's pipelines, kept warm: one for queries and checks,
	 * one (with its scratch) for write transactions, which may run on
	 * the writer thread of store_ingest_start() meanwhile. */
	struct text *text;
	struct search_worker *wsearch;
	/* search.c: postings of the write transaction not yet written;
	 * NULL when none (always so between transactions). */
	struct search_pending *search_pending;
	/* search.c: the buffers of queries, kept for the next one, or
	 * NULL before the first. */
	struct search_cache *search_cache;
	/* itemset.c: runs of the ingest transaction's ladder not yet
	 * written, or NULL before the first itemset_batch(). */
	struct itemset_cache *ladder;
	/* member.c: membership computed by member_check() with the record
	 * it checked, for member_apply() of that record; or NULL. */
	struct member_calc *member_trial;
	unsigned verify_threads;	/* for ingest, 1 to STORE_THREADS_MAX */
	struct store_pool *pool;	/* store.c: verifying workers, or NULL */
	struct store_job *job;		/* store.c: the writer thread, or NULL */
	uint8_t self[RECORD_KEY_LEN];
	/* founder below is known; set (after founder) by the writer, read
	 * by any thread */
	atomic_int has_founder;
	uint8_t founder[RECORD_KEY_LEN];	/* of the stored charter */
};

/*
 * Double the map, outside any transaction of this thread: AMIE_EAGAIN
 * while an item-set snapshot is open (remapping under a read transaction
 * is not allowed), AMIE_EIO past STORE_MAP_MAX.  Drops what the verifying
 * workers hold first.
 */
int store_grow(struct store *st, struct errbuf *eb);
/*
 * Commit txn, a write transaction.  A durable commit (every write of the
 * node's own, and the default) returns once the data and LMDB's meta page
 * are on disk.  A relayed one (slices of records from peers, which the
 * federation still holds) skips the meta page's flush (MDB_NOMETASYNC):
 * a crash of the machine may undo it, never corrupt the store, and the
 * next durable commit, the kernel's writeback or store_close() makes it
 * durable.  Every commit states its mode, in its own transaction, so
 * that no other writer's commit runs with it.
 */
int store_commit(struct store *st, MDB_txn *txn, int durable);
/* Translate an LMDB code to AMIE_EIO with its text. */
int store_fail(struct errbuf *eb, int mrc, const char *what);
void store_be64(uint8_t out[8], uint64_t v);
uint64_t store_get_be64(const uint8_t in[8]);
/* mdb_put of klen bytes at k and vlen bytes at v. */
int store_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
    const void *v, size_t vlen, unsigned flags);
/* Copy meta value name (exactly len bytes) to out: 0 or AMIE_ENOTFOUND. */
int store_meta_get(struct store *st, MDB_txn *txn, const char *name,
    void *out, size_t len);

#endif

/*
 * itemset.c, inside the ingest transaction: add or take out the item
 * (ts, id) of a record, keeping the chunk accumulators right.
 */
int itemset_add(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN]);
int itemset_del(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN]);
/*
 * itemset.c, for a write transaction that adds many items:
 * itemset_batch() lets itemset_add() keep the runs it changes at each
 * level in memory while the next items fall into the same runs, and
 * write each run once when an item falls outside it.  itemset_flush()
 * writes what is left into txn and stops that (an LMDB code, even when
 * it fails); it must run before the commit.  itemset_discard() drops it
 * without writing: call it whenever such a transaction is aborted.
 * Everything else in itemset.c that touches the ladder flushes first.
 * itemset_cache_free() at store_close().
 */
void itemset_batch(struct store *st);
int itemset_flush(struct store *st, MDB_txn *txn);
void itemset_discard(struct store *st);
void itemset_cache_free(struct store *st);
/* itemset_verify() inside txn (AMIE codes). */
int itemset_verify_txn(struct store *st, MDB_txn *txn, struct errbuf *eb);
/* At open: build chunks again when they are of an older layout, or when
 * the levels do not all count the items and sum alike (MDB codes). */
int itemset_upgrade(struct store *st, MDB_txn *txn);

/* store_object_heads_served() inside txn, for the object key ok of oklen
 * bytes (LMDB codes; MDB_NOTFOUND when none is served). */
int store_heads_served_txn(struct store *st, MDB_txn *txn, const uint8_t *ok,
    size_t oklen, struct store_head *heads, size_t cap, size_t *count);

/*
 * member.c, inside the ingest transaction.  member_check() is ingest step
 * 5 for every kind but the charter: the author is a current member at
 * h->ts, and member.add, member.remove and node.info follow their rules.
 * Returns 0, AMIE_EREFUSED or AMIE_EPROTO with the reason, or AMIE_EIO.
 * member_apply() runs after the record and its indexes are written and
 * updates membership (hiding a removed member's later records); it
 * returns an LMDB code.
 */
int member_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct errbuf *eb);
int member_apply(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, const uint8_t id[RECORD_ID_LEN]);

/*
 * tombstone.c, inside the ingest transaction: the rules of a tombstone
 * (AMIE codes), its effect once stored (LMDB codes), and whether an
 * object is deleted.
 */
int tombstone_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct errbuf *eb);
int tombstone_apply(struct store *st, MDB_txn *txn,
    const struct record_header *h, const uint8_t id[RECORD_ID_LEN]);
int tombstone_deleted_txn(struct store *st, MDB_txn *txn, const char *kind,
    const char *key);

/*
 * search.c, inside the ingest transaction: the article key (kind "kb")
 * changed: a revision arrived, or it was deleted (its key is then in the
 * `deleted` database).  Index its display winner again, or take it out.
 * Returns an LMDB code.
 */
int search_article_changed(struct store *st, MDB_txn *txn, const char *key);

/*
 * search.c: the terms of a kb revision worked out ahead of the ingest
 * transaction, on any thread, so that the single writer only appends
 * postings.  A struct search_worker holds a text pipeline and scratch:
 * one per thread.  search_prepare() returns the terms of revision r
 * (header h, id), which must have passed record_verify(), or NULL when it
 * is no public kb revision whose body decodes, or its terms are too many
 * to keep: the writer then works them out itself.  The result is the
 * caller's, freed by search_prepared_free() (NULL does nothing).
 * search_article_prepared() is search_article_changed() using sp (NULL
 * for none) when the article's winner is the revision sp was made for,
 * whose stored body must be the one sp was made from; it also keeps the
 * index's stats and norms in memory with the postings, so that
 * search_flush() must run before the commit even when nothing was
 * indexed (search_article_changed() writes them at once).
 */
struct search_prepared;
struct search_worker;
struct search_worker *search_worker_new(void);
void search_worker_free(struct search_worker **w);
struct search_prepared *search_prepare(struct search_worker *w,
    const struct record *r, const struct record_header *h,
    const uint8_t id[RECORD_ID_LEN]);
void search_prepared_free(struct search_prepared **sp);
int search_article_prepared(struct store *st, MDB_txn *txn, const char *key,
    const struct search_prepared *sp);

/*
 * search.c, at the end of a write transaction that indexed articles:
 * search_article_changed() keeps the new postings in memory, and the
 * index is complete only once they are written.  search_flush() writes
 * them into txn and empties the accumulator, even when it fails; it
 * returns an LMDB code (MDB_MAP_FULL: abort, grow, retry) and must run
 * before every commit of such a transaction.  search_discard() empties
 * it without writing and frees its memory; call it whenever such a
 * transaction is aborted, and before the store is freed.
 */
int search_flush(struct store *st, MDB_txn *txn);
void search_discard(struct store *st);

/* search.c, at store_close(): free st->search_cache. */
void search_cache_free(struct store *st);

/*
 * check.c: a check in progress (store/check.h).  check_problem() reports
 * one difference found in database db; check_txn() is the check's read
 * transaction.
 */
struct check;
void check_problem(struct check *ck, const char *db, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
MDB_txn *check_txn(struct check *ck);

/*
 * member.c: the first ts from which author's records are not served
 * (0 when none is, UINT64_MAX while it is a member) in *until, and in
 * *admitted whether it is admitted (its own member.remove is served then,
 * whatever its ts); 0 or an LMDB code.  member_verify() checks signers
 * against the membership records and members against a recomputation,
 * reporting to ck.
 */
/*
 * member.c, at store_open(): recompute membership (and move the windows
 * of served records) when the store was computed by an earlier rule
 * (meta "member_rule"), then record the rule.  *recomputed says whether
 * it did.  LMDB codes.
 */
int member_upgrade(struct store *st, MDB_txn *txn, int *recomputed);
/* member.c: free what member_check() kept for member_apply(), at
 * store_close(). */
void member_trial_free(struct store *st);
int member_served_until(struct store *st, MDB_txn *txn,
    const uint8_t author[RECORD_KEY_LEN], uint64_t *until, int *admitted);
void member_verify(struct store *st, MDB_txn *txn, struct check *ck);

/*
 * search.c: check docs, norms and terms against the articles' winners,
 * reporting to ck; *articles gets the number indexed.
 */
void search_verify(struct store *st, MDB_txn *txn, struct check *ck,
    uint64_t *articles);

/*
 * work.c, inside the ingest transaction: work_is_kind() says whether
 * kind is one of the Amie's work (contract, intervention, tech, swap.*);
 * work_check() is ingest step 5 for those kinds (who may write them,
 * private bodies encrypted, swap records naming stored targets).
 * Returns 0, AMIE_EREFUSED with the reason, or AMIE_EIO.
 */
int work_is_kind(const char *kind);
int work_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct errbuf *eb);
