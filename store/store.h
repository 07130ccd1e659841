/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The node's store: one LMDB environment holding every record and the
 * indexes built from them.  This is the only module that includes
 * <lmdb.h>.
 *
 * Ingest follows DESIGN.md "Ingest": for each record, cheapest checks
 * first (canonical header, id, already stored, clock, signature and body,
 * membership and kind rules), and a whole batch is written in one LMDB
 * write transaction, so a record is either stored with all its index
 * entries or not at all.  A record refused for any reason changes nothing.
 * Ingest is idempotent: a record already stored is reported as such.
 *
 * Databases (named sub-databases of the environment; store/internal.h
 * and the files named say more):
 *   records  id -> encoded record ([header, sig, body | nil])
 *   items    ts (8 bytes, big endian) || id -> empty: the ordered set
 *            that sync reconciles
 *   revs     kind NUL key -> ts || id (sorted duplicates): every revision
 *   heads    kind NUL key -> ts || id (sorted duplicates): revisions that
 *            no stored revision of the same object refs
 *   refby    id -> id of each stored record that refs it
 *   authors  author key -> latest ts (8 bytes, big endian)
 *   meta     "network_id", "charter" -> values of this node's federation
 *   chunks   itemset.c: the range accumulators of the item set
 *   members  member.c: key -> membership state
 *   signers  member.c: target key -> each stored member.add or
 *            member.remove about it (sorted duplicates)
 *   byauthor author -> ts || id (sorted duplicates)
 *   invites  invite.c: secret hash -> expiry, uses
 *   deleted  kind NUL key -> tombstone id: deleted objects
 *   terms    search.c: the search index's postings, by term
 *   docs     search.c: the search index's articles and their statistics
 *
 * The map grows (doubling, up to STORE_MAP_MAX) when full, unless a sync
 * reads the store (an itemset snapshot is open): then the write is
 * refused with AMIE_EAGAIN, nothing written, to be tried again later.
 * Stale reader slots left by crashed processes are cleared at open.  The
 * functions of one struct store are called from one thread at a time (in
 * the daemon, its event loop); behind them the store runs threads of its
 * own, a writer thread (store_ingest_start()) and a pool of verifying
 * threads (store_ingest_ahead(); check_run() verifies on threads too), as
 * described below.
 */
#ifndef AMIE_STORE_STORE_H
#define AMIE_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"
#include "proto/record.h"

#define STORE_MAP_INITIAL	((size_t)8 << 30)	/* first map size */
#define STORE_MAP_MAX		((size_t)1 << 40)	/* never grow past */
#define STORE_BATCH_MAX		4096	/* records in one transaction */
#define STORE_HEADS_MAX		64	/* heads reported per object */
#define STORE_PREFIX_MIN	4	/* shortest object id prefix */
#define STORE_THREADS_MAX	16	/* verifying threads of one ingest */
#define STORE_PARALLEL_MIN	16	/* smaller batches verify in line */
#define STORE_AHEAD_MAX		2	/* batches verified ahead */

struct store;

/* One encoded record to ingest, borrowed for the call. */
struct store_in {
	const uint8_t *buf;
	size_t len;
};

/* What ingest did with one record. */
struct store_out {
	int code;			/* 0 or the AMIE_E* refusal */
	int stored;			/* 1 if new, 0 if refused or known */
	uint8_t id[RECORD_ID_LEN];	/* valid when the header decoded */
	uint64_t ts;			/* likewise */
	char kind[RECORD_KIND_MAX + 1];
	char key[RECORD_KEY_MAX + 1];
	char reason[ERRBUF_LEN];	/* why it was refused */
};

/* One head of an object. */
struct store_head {
	uint64_t ts;
	uint8_t id[RECORD_ID_LEN];
};

struct store_stats {
	uint64_t records;
	uint64_t used_bytes;		/* pages in use times page size */
	uint64_t map_bytes;		/* current map size */
	int has_federation;
	uint8_t network_id[32];
	char federation[128 + 1];
};

/*
 * Open (creating if needed) the store in the directory path, for the node
 * whose public key is self.  Clears stale readers.  Returns 0 and sets
 * *out, or AMIE_EIO / AMIE_ECONFIG with the reason.
 */
int store_open(struct store **out, const char *path,
    const uint8_t self[RECORD_KEY_LEN], struct errbuf *eb);

/* Close the store and set *st to NULL; NULL does nothing. */
void store_close(struct store **st);

/*
 * Ingest count (at most STORE_BATCH_MAX) encoded records in one write
 * transaction, with the clock at now_ms.  out[i] tells what happened to
 * in[i].  Returns 0 when the transaction committed (whatever was refused),
 * AMIE_EAGAIN when the map is full and cannot grow while a sync reads the
 * store ("store: full while a sync reads it; retry later"), or AMIE_EIO
 * when it could not commit otherwise: in both cases nothing of the batch
 * is stored.
 */
int store_ingest(struct store *st, const struct store_in *in, size_t count,
    uint64_t now_ms, struct store_out *out, struct errbuf *eb);

/*
 * Start verifying (ingest steps 1 to 4) the count records at in on the
 * worker threads, ahead of the store_ingest() call that will write them
 * with the same in, count and now_ms: a caller with several batches in
 * hand hands the next one here before ingesting the current one, so the
 * workers verify it while the writer commits.  Nothing is written and
 * nothing is acknowledged here.  The caller must pass every batch handed
 * here to store_ingest() or store_ingest_forget() (or close the store)
 * before it changes or frees in, since the workers read it until then.
 * Does nothing with one verifying thread, for small batches, or when
 * STORE_AHEAD_MAX batches are ahead already.
 */
void store_ingest_ahead(struct store *st, const struct store_in *in,
    size_t count, uint64_t now_ms);

/* Drop the batch handed to store_ingest_ahead() for these records, if
 * it is still there: the workers no longer read in once this returns. */
void store_ingest_forget(struct store *st, const struct store_in *in,
    size_t count);

/*
 * Ingest on the store's writer thread (started on first use), so that
 * the calling thread stays free while the batch is verified, written and
 * committed: store_ingest_start() hands it the batch, as store_ingest()
 * takes it, and optionally the next one to verify ahead (ahead may be
 * NULL), and returns at once: 0, or AMIE_EIO when no thread could be
 * started.  One batch at a time: store_ingest_end() must come before the
 * next start.  The descriptor of store_ingest_fd() (-1 before the first
 * start) becomes readable when the batch is done, and so does
 * store_ingest_done(); store_ingest_end() waits for it if need be and
 * returns store_ingest()'s result, out filled.
 *
 * Meanwhile the calling thread may read the store, and even write (its
 * write transaction waits for the writer's); in, ahead and out must stay
 * as they are until store_ingest_end().  store_ingest(),
 * store_ingest_ahead(), store_ingest_forget() and map growth wait for
 * the batch to be done first.  Should the map need to grow, the writer
 * gives the batch up and store_ingest_end() grows it and writes the
 * batch again on the calling thread.
 *
 * It is meant for records from peers, which the federation still holds:
 * its commits are relayed ones (store_commit() in store/internal.h),
 * which a crash of the machine may undo but never corrupt.  The node's
 * own writes go through store_ingest(), durable when it returns.
 */
int store_ingest_start(struct store *st, const struct store_in *in,
    size_t count, uint64_t now_ms, struct store_out *out,
    const struct store_in *ahead, size_t ahead_count, uint64_t ahead_now_ms);
int store_ingest_fd(const struct store *st);
int store_ingest_done(struct store *st);
int store_ingest_end(struct store *st, struct errbuf *eb);

/*
 * Verify the signatures of ingest batches on n worker threads while the
 * calling thread writes (the workers start with the first batch that
 * needs them and stop at store_close()); the default is the number of
 * online cores.  1 keeps all the work on the calling thread.
 */
void store_set_verify_threads(struct store *st, unsigned n);

/* Copy this node's network id to out: 0, or AMIE_ENOTFOUND before a
 * charter is stored. */
int store_network_id(struct store *st, uint8_t out[32]);

/* Figures for status. */
int store_stats(struct store *st, struct store_stats *s, struct errbuf *eb);

/* The LMDB environment's health, for `amie doctor`. */
struct store_health {
	uint64_t map_bytes;		/* current map size */
	uint64_t used_bytes;		/* pages in use times page size */
	uint64_t max_bytes;		/* STORE_MAP_MAX */
	unsigned readers_used;		/* reader slots taken */
	unsigned readers_max;
	int stale_cleared;		/* slots of dead processes freed now */
};

/* Clear stale reader slots (mdb_reader_check) and fill h.  Returns 0 or
 * AMIE_EIO. */
int store_health(struct store *st, struct store_health *h,
    struct errbuf *eb);

/* The latest ts stored for author, 0 if none. */
int store_last_ts(struct store *st, const uint8_t author[RECORD_KEY_LEN],
    uint64_t *ts, struct errbuf *eb);

/*
 * A copy of the encoded record id in *buf (the caller frees it) and its
 * length in *len.  Returns 0, AMIE_ENOTFOUND or AMIE_EIO.
 */
int store_get(struct store *st, const uint8_t id[RECORD_ID_LEN], uint8_t **buf,
    size_t *len, struct errbuf *eb);

/* Keep, of the count ids at ids, those not stored, packed at the start
 * in their order (one read transaction); returns how many. */
size_t store_missing(struct store *st, uint8_t (*ids)[RECORD_ID_LEN],
    size_t count);

/*
 * Like store_get(), for a record this node serves to peers: one in the
 * item set (records of removed members, hidden, are not).  Returns 0,
 * AMIE_ENOTFOUND or AMIE_EIO.
 */
int store_get_served(struct store *st, const uint8_t id[RECORD_ID_LEN],
    uint8_t **buf, size_t *len, struct errbuf *eb);

/*
 * Find the one object of kind whose key starts with prefix (at least
 * STORE_PREFIX_MIN bytes, or the whole key) and copy its key to key_out.
 * Returns 0, AMIE_ENOTFOUND, AMIE_EAMBIGUOUS or AMIE_EUSAGE.
 */
int store_object_find(struct store *st, const char *kind, const char *prefix,
    char key_out[RECORD_KEY_MAX + 1], struct errbuf *eb);

/*
 * The heads of object (kind, key), ordered by ts then id, the latest cap
 * of them in heads and their number in *count.  The display winner is the
 * first one with the latest ts (store_head_winner()).  Returns 0 or
 * AMIE_ENOTFOUND.
 */
int store_object_heads(struct store *st, const char *kind, const char *key,
    struct store_head *heads, size_t cap, size_t *count, struct errbuf *eb);

/*
 * Every revision of object (kind, key), ordered by ts then id, at most
 * cap of them in revs and their number in *count (which may exceed cap:
 * then only the first cap are there).  Returns 0 or AMIE_ENOTFOUND.
 */
int store_object_revisions(struct store *st, const char *kind,
    const char *key, struct store_head *revs, size_t cap, size_t *count,
    struct errbuf *eb);

/*
 * Every revision of object (kind, key), as above, in a new array *revs
 * (free it) of *count, counted and read in one read transaction.
 * Returns 0, or AMIE_ENOTFOUND with *revs NULL.
 */
int store_object_revisions_all(struct store *st, const char *kind,
    const char *key, struct store_head **revs, size_t *count,
    struct errbuf *eb);

/* Index of the display winner among count heads ordered as above. */
size_t store_head_winner(const struct store_head *heads, size_t count);

/* Whether the revision h (of store_object_revisions()) is served: a
 * removed member's revisions dated from its removal are hidden, and never
 * shown.  0 too when the store cannot be read. */
int store_head_is_served(struct store *st, const struct store_head *h);

/*
 * store_object_heads() among the served revisions only: when a head is
 * hidden (a removed member's revision dated from its removal), the heads
 * are the served revisions that no served revision refs, so the object
 * shows as it was before the hidden one.  AMIE_ENOTFOUND when none is
 * served.
 */
int store_object_heads_served(struct store *st, const char *kind,
    const char *key, struct store_head *heads, size_t cap, size_t *count,
    struct errbuf *eb);

/*
 * Call fn for each object of kind, in key order, with its heads (as
 * store_object_heads() gives them).  fn returns 0 to go on, anything else
 * to stop; that value is returned.  Returns 0 or AMIE_EIO otherwise.
 */
typedef int (*store_object_fn)(void *ctx, const char *key,
    const struct store_head *heads, size_t count);
int store_objects(struct store *st, const char *kind, store_object_fn fn,
    void *ctx, struct errbuf *eb);

/* store_objects() from the first key after after (whether an object's
 * or not) on; NULL: from the first. */
int store_objects_after(struct store *st, const char *kind,
    const char *after, store_object_fn fn, void *ctx, struct errbuf *eb);

#endif
