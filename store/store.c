/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/itemset.h"
#include "store/member.h"
#include "store/search.h"
#include "store/text.h"

/* Exit status after MDB_PANIC: 75, "temporary failure", restarts amied
 * under systemd's Restart=on-failure. */
#define STORE_EXIT_PANIC 75
/* Free space under which a failed write is taken for a full disk. */
#define STORE_DISK_LOW (1024 * 1024)

static void store_load_founder(struct store *st, MDB_txn *txn);
static void store_pool_free(struct store_pool **pp);
static void store_job_free(struct store_job **jp);
static void store_job_wait(struct store *st);

/* Flags changed at commit (store_commit()); MDB_NOTLS is set at open. */
int
store_commit(struct store *st, MDB_txn *txn, int durable)
{
	int mrc;

	if ((mrc = mdb_env_set_flags(st->env, MDB_NOMETASYNC,
	    durable ? 0 : 1)) != 0) {
		mdb_txn_abort(txn);
		return mrc;
	}
	if ((mrc = mdb_txn_commit(txn)) == 0)
		st->unsynced = !durable;
	return mrc;
}

/*
 * Translate an LMDB code at the module's edge, keeping its text.  A full
 * disk says so: the write was rolled back whole and can be retried once
 * there is room.  MDB_PANIC means the environment can no longer be
 * trusted in this process (a failed meta page write): the only safe move
 * is to exit at once, without committing anything more, for the service
 * manager to start amied again on the last committed state.
 */
int
store_fail(struct errbuf *eb, int mrc, const char *what)
{
	if (mrc == MDB_PANIC) {
		fprintf(stderr, "<2>store: %s: %s: exiting so that amied "
		    "starts again from the last commit\n", what,
		    mdb_strerror(mrc));
		_exit(STORE_EXIT_PANIC);
	}
	if (mrc == ENOSPC || mrc == EDQUOT)
		return fail(eb, AMIE_EIO, "store: %s: the disk is full (%s); "
		    "nothing was written: free some space, then retry", what,
		    mdb_strerror(mrc));
	return fail(eb, AMIE_EIO, "store: %s: %s", what, mdb_strerror(mrc));
}

/*
 * LMDB reports a short write as EIO: on a disk with (almost) no room
 * left, that is a full disk, and is said so.
 */
static int
store_write_error(struct store *st, int mrc)
{
	struct statvfs sv;
	const char *path;

	if (mrc == EIO && mdb_env_get_path(st->env, &path) == 0 &&
	    statvfs(path, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < STORE_DISK_LOW)
		return ENOSPC;
	return mrc;
}

void
store_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
store_get_be64(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

static size_t
store_objkey(uint8_t out[STORE_OBJKEY_MAX], const char *kind, const char *key)
{
	size_t kl = strlen(kind), l = strlen(key);

	assert(kl <= RECORD_KIND_MAX && l <= RECORD_KEY_MAX);
	memcpy(out, kind, kl);
	out[kl] = '\0';
	memcpy(out + kl + 1, key, l);
	return kl + 1 + l;
}

int
store_open(struct store **out, const char *path,
    const uint8_t self[RECORD_KEY_LEN], struct errbuf *eb)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[STORE_DBS] = {
		{ "records", offsetof(struct store, records), 0 },
		{ "items", offsetof(struct store, items), 0 },
		{ "revs", offsetof(struct store, revs), MDB_DUPSORT },
		{ "heads", offsetof(struct store, heads), MDB_DUPSORT },
		{ "refby", offsetof(struct store, refby), MDB_DUPSORT },
		{ "authors", offsetof(struct store, authors), 0 },
		{ "meta", offsetof(struct store, meta), 0 },
		{ "chunks", offsetof(struct store, chunks), 0 },
		{ "members", offsetof(struct store, members), 0 },
		{ "signers", offsetof(struct store, signers), MDB_DUPSORT },
		{ "byauthor", offsetof(struct store, byauthor), MDB_DUPSORT },
		{ "invites", offsetof(struct store, invites), 0 },
		{ "deleted", offsetof(struct store, deleted), 0 },
		{ "terms", offsetof(struct store, terms), MDB_DUPSORT },
		{ "docs", offsetof(struct store, docs), 0 },
	};
	struct store *st;
	MDB_envinfo info;
	MDB_txn *txn;
	int mrc, dead;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return fail(eb, AMIE_EIO, "store: %s: %s", path,
		    strerror(errno));
	st = xcalloc(1, sizeof(*st));
	memcpy(st->self, self, sizeof(st->self));
	if ((mrc = mdb_env_create(&st->env)) != 0)
		goto fail_free;
	mdb_env_set_maxdbs(st->env, STORE_DBS);
	mdb_env_set_maxreaders(st->env, STORE_READERS_MAX);
	if ((mrc = mdb_env_open(st->env, path, MDB_NOTLS, 0600)) != 0)
		goto fail_env;
	/* A store grown earlier keeps the size its meta page records; a new
	 * one starts at STORE_MAP_INITIAL. */
	mdb_env_info(st->env, &info);
	st->map_size = info.me_mapsize;
	if (st->map_size < STORE_MAP_INITIAL) {
		if ((mrc = mdb_env_set_mapsize(st->env,
		    STORE_MAP_INITIAL)) != 0)
			goto fail_env;
		st->map_size = STORE_MAP_INITIAL;
	}
	mdb_reader_check(st->env, &dead);
	if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail_env;
	for (int i = 0; i < STORE_DBS; i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)st + dbs[i].off);

		if ((mrc = mdb_dbi_open(txn, dbs[i].name,
		    MDB_CREATE | dbs[i].flags, dbi)) != 0) {
			mdb_txn_abort(txn);
			goto fail_env;
		}
	}
	store_load_founder(st, txn);
	if ((mrc = itemset_upgrade(st, txn)) != 0) {
		mdb_txn_abort(txn);
		goto fail_env;
	}
	if ((mrc = store_commit(st, txn, 1)) != 0)
		goto fail_env;
	st->text = text_new();
	st->wsearch = search_worker_new();
	/* Membership computed by an earlier rule: recomputed (this moves
	 * windows, so items, chunks and the search index too). */
	if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) == 0) {
		int recomputed;

		mrc = member_upgrade(st, txn, &recomputed);
		if (mrc == 0)
			mrc = itemset_flush(st, txn);
		if (mrc == 0)
			mrc = search_flush(st, txn);
		if (mrc == 0) {
			mrc = store_commit(st, txn, 1);
		} else {
			itemset_discard(st);
			search_discard(st);
			mdb_txn_abort(txn);
		}
	}
	if (mrc != 0) {
		text_free(&st->text);
		search_worker_free(&st->wsearch);
		search_cache_free(st);
		itemset_cache_free(st);
		goto fail_env;
	}
	{
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		store_set_verify_threads(st, cores > 0 ? (unsigned)cores : 1);
	}
	*out = st;
	return 0;

fail_env:
	mdb_env_close(st->env);
fail_free:
	free(st);
	return store_fail(eb, mrc, path);
}

void
store_close(struct store **st)
{
	if (*st == NULL)
		return;
	store_job_free(&(*st)->job);
	store_pool_free(&(*st)->pool);
	text_free(&(*st)->text);
	search_worker_free(&(*st)->wsearch);
	search_discard(*st);
	search_cache_free(*st);
	itemset_cache_free(*st);
	member_trial_free(*st);
	if ((*st)->unsynced)
		(void)mdb_env_sync((*st)->env, 1);
	mdb_env_close((*st)->env);
	free(*st);
	*st = NULL;
}

int
store_meta_get(struct store *st, MDB_txn *txn, const char *name, void *out,
    size_t len)
{
	MDB_val k = { strlen(name), (void *)name }, v;

	if (mdb_get(txn, st->meta, &k, &v) != 0 || v.mv_size != len)
		return AMIE_ENOTFOUND;
	memcpy(out, v.mv_data, len);
	return 0;
}

int
store_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
    const void *v, size_t vlen, unsigned flags)
{
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };

	return mdb_put(txn, dbi, &key, &val, flags);
}

/* Remember the founder of the stored charter, if there is one. */
static void
store_load_founder(struct store *st, MDB_txn *txn)
{
	uint8_t charter_id[RECORD_ID_LEN];
	MDB_val k = { RECORD_ID_LEN, charter_id }, v;
	struct body_charter c;
	struct record rec;

	st->has_founder = 0;
	if (store_meta_get(st, txn, "charter", charter_id,
	    sizeof(charter_id)) != 0 ||
	    mdb_get(txn, st->records, &k, &v) != 0 ||
	    record_decode(&rec, v.mv_data, v.mv_size, NULL) != 0 ||
	    rec.body == NULL ||
	    body_charter_decode(&c, rec.body, rec.body_len, NULL) != 0)
		return;
	memcpy(st->founder, c.founder, RECORD_KEY_LEN);
	st->has_founder = 1;
}

/* Kind-specific rules (ingest step 5), once the signature verified;
 * kb_decoded: a worker decoded the body of this kb record already. */
static int
store_rules_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, int is_charter, int kb_decoded,
    struct errbuf *eb)
{
	struct body_charter c;
	struct body_kb a;
	int rc;

	if (is_charter) {
		if (h->key[0] != '\0' || h->refs_count != 0)
			return fail(eb, AMIE_EREFUSED,
			    "charter: key and refs must be empty");
		if (r->body == NULL || (h->flags & RECORD_FLAG_ENCRYPTED))
			return fail(eb, AMIE_EREFUSED,
			    "charter: body must be present and public");
		if ((rc = body_charter_decode(&c, r->body, r->body_len,
		    eb)) != 0)
			return fail_prefix(eb, "charter");
		if (sodium_memcmp(c.founder, h->author, RECORD_KEY_LEN) != 0)
			return fail(eb, AMIE_EREFUSED,
			    "charter: not signed by its founder");
		return 0;
	}
	if ((rc = member_check(st, txn, r, h, eb)) != 0)
		return rc;
	if (strcmp(h->kind, "member.add") == 0 ||
	    strcmp(h->kind, "member.remove") == 0 ||
	    strcmp(h->kind, "node.info") == 0)
		return 0;
	if (strcmp(h->kind, "tombstone") == 0)
		return tombstone_check(st, txn, r, h, eb);
	if (strcmp(h->kind, "kb") == 0) {
		if (h->key[0] == '\0')
			return fail(eb, AMIE_EREFUSED, "kb: empty article id");
		if (h->flags & RECORD_FLAG_ENCRYPTED)
			return fail(eb, AMIE_EREFUSED,
			    "kb: articles are public, body is encrypted");
		if (r->body != NULL && !kb_decoded &&
		    (rc = body_kb_decode(&a, r->body, r->body_len, eb)) != 0)
			return fail_prefix(eb, "kb");
		return 0;
	}
	if (work_is_kind(h->kind))
		return work_check(st, txn, r, h, eb);
	return fail(eb, AMIE_EREFUSED, "kind: '%s' is not known to this version",
	    h->kind);
}

/*
 * What the single writer keeps for the length of one write transaction
 * rather than reading or writing it for every record: the network id
 * (until a charter is stored, none), and the latest ts of the last few
 * authors, written to `authors` once before the commit.
 */
#define STORE_WRITER_AUTHORS 8

struct store_writer {
	int net_known, has_net;
	uint8_t net[32];
	size_t authors;
	struct {
		uint8_t key[RECORD_KEY_LEN];
		uint64_t ts;
		int dirty;
	} author[STORE_WRITER_AUTHORS];
};

/* The latest ts of author, stored or kept in w: 0 when none.  Returns
 * an LMDB code. */
static int
store_author_get(struct store *st, MDB_txn *txn,
    const uint8_t author[RECORD_KEY_LEN], uint64_t *ts)
{
	MDB_val k = { RECORD_KEY_LEN, (void *)author }, v;
	int mrc = mdb_get(txn, st->authors, &k, &v);

	*ts = 0;
	if (mrc == 0 && v.mv_size == 8)
		*ts = store_get_be64(v.mv_data);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

static int
store_author_put(struct store *st, MDB_txn *txn,
    const uint8_t author[RECORD_KEY_LEN], uint64_t ts)
{
	uint8_t b[8];

	store_be64(b, ts);
	return store_put(txn, st->authors, author, RECORD_KEY_LEN, b, 8, 0);
}

/* A record of author at ts is stored: `authors` keeps the latest. */
static int
store_author_seen(struct store *st, MDB_txn *txn, struct store_writer *w,
    const uint8_t author[RECORD_KEY_LEN], uint64_t ts)
{
	uint64_t stored;
	size_t i;
	int mrc;

	for (i = 0; i < w->authors; i++)
		if (memcmp(w->author[i].key, author, RECORD_KEY_LEN) == 0)
			break;
	if (i == w->authors) {
		if ((mrc = store_author_get(st, txn, author, &stored)) != 0)
			return mrc;
		if (i == STORE_WRITER_AUTHORS)	/* no room: write through */
			return stored >= ts ? 0 : store_author_put(st, txn,
			    author, ts);
		memcpy(w->author[i].key, author, RECORD_KEY_LEN);
		w->author[i].ts = stored;
		w->author[i].dirty = 0;
		w->authors++;
	}
	if (ts > w->author[i].ts) {
		w->author[i].ts = ts;
		w->author[i].dirty = 1;
	}
	return 0;
}

/* Write what w keeps; before the commit. */
static int
store_writer_flush(struct store *st, MDB_txn *txn, struct store_writer *w)
{
	int mrc;

	for (size_t i = 0; i < w->authors; i++)
		if (w->author[i].dirty && (mrc = store_author_put(st, txn,
		    w->author[i].key, w->author[i].ts)) != 0)
			return mrc;
	return 0;
}

/* Write record r (id, header h) and its index entries.  LMDB codes. */
static int
store_insert(struct store *st, MDB_txn *txn, struct store_writer *w,
    const uint8_t *buf, size_t len, const struct record_header *h,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t ok[STORE_OBJKEY_MAX], tsid[STORE_TSID_LEN];
	size_t oklen = store_objkey(ok, h->kind, h->key);
	MDB_val k, v;
	MDB_cursor *c;
	int mrc, is_head = 1;

	store_be64(tsid, h->ts);
	memcpy(tsid + 8, id, RECORD_ID_LEN);
	if ((mrc = store_put(txn, st->records, id, RECORD_ID_LEN, buf, len,
	    MDB_NOOVERWRITE)) != 0 ||
	    (mrc = itemset_add(st, txn, h->ts, id)) != 0 ||
	    (mrc = store_put(txn, st->byauthor, h->author, RECORD_KEY_LEN,
	    tsid, sizeof(tsid), 0)) != 0 ||
	    (mrc = store_put(txn, st->revs, ok, oklen, tsid, sizeof(tsid),
	    0)) != 0)
		return mrc;

	/* The revisions this one replaces are no longer heads. */
	for (uint32_t i = 0; i < h->refs_count; i++) {
		uint8_t rv[RECORD_ID_LEN + 8];
		struct record_header rh;
		struct record rr;

		if ((mrc = store_put(txn, st->refby, h->refs[i], RECORD_ID_LEN,
		    id, RECORD_ID_LEN, 0)) != 0)
			return mrc;
		k.mv_size = RECORD_ID_LEN;
		k.mv_data = (void *)h->refs[i];
		if (mdb_get(txn, st->records, &k, &v) != 0 ||
		    record_decode(&rr, v.mv_data, v.mv_size, NULL) != 0 ||
		    record_header_decode(&rh, rr.header, rr.header_len,
		    NULL) != 0 || strcmp(rh.kind, h->kind) != 0 ||
		    strcmp(rh.key, h->key) != 0)
			continue;
		store_be64(rv, rh.ts);
		memcpy(rv + 8, h->refs[i], RECORD_ID_LEN);
		k.mv_size = oklen;
		k.mv_data = ok;
		v.mv_size = sizeof(rv);
		v.mv_data = rv;
		mrc = mdb_del(txn, st->heads, &k, &v);
		if (mrc != 0 && mrc != MDB_NOTFOUND)
			return mrc;
	}

	/* A revision that arrives after one that replaces it is no head. */
	k.mv_size = RECORD_ID_LEN;
	k.mv_data = (void *)id;
	if ((mrc = mdb_cursor_open(txn, st->refby, &c)) != 0)
		return mrc;
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	while (mrc == 0 && is_head) {
		MDB_val rk = { RECORD_ID_LEN, v.mv_data }, rv;
		struct record_header rh;
		struct record rr;

		if (mdb_get(txn, st->records, &rk, &rv) == 0 &&
		    record_decode(&rr, rv.mv_data, rv.mv_size, NULL) == 0 &&
		    record_header_decode(&rh, rr.header, rr.header_len,
		    NULL) == 0 && strcmp(rh.kind, h->kind) == 0 &&
		    strcmp(rh.key, h->key) == 0)
			is_head = 0;
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
	}
	mdb_cursor_close(c);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	if (is_head && (mrc = store_put(txn, st->heads, ok, oklen, tsid,
	    sizeof(tsid), 0)) != 0)
		return mrc;

	return store_author_seen(st, txn, w, h->author, h->ts);
}

/*
 * Ingest steps 1 to 4 need no store but the duplicate lookup, so they run
 * on a pool of worker threads while the single writer (the calling
 * thread) runs steps 5 and 6 in one transaction, record after record, as
 * soon as each chunk of the batch is verified: verification and writing
 * overlap.  The workers and the writer share only the pool below, under
 * its lock: the batch in flight (read only), the chunk counter, and the
 * per-chunk ready flags; each worker writes only the pre entries of the
 * chunk it claimed, and the writer reads them only once the chunk is
 * flagged ready.  The writer skips the signature check of what a worker
 * verified.
 */
#define STORE_CHUNK 16		/* records a worker claims at a time */
#define STORE_WAIT_CHUNKS 8	/* chunks the writer waits for at once */
#define STORE_WORKER_NICE 5	/* workers' nice value, the caller's is 0 */
#define STORE_WRITER_NICE 2	/* store_ingest_start()'s thread */
#define STORE_CHUNKS_MAX ((STORE_BATCH_MAX + STORE_CHUNK - 1) / STORE_CHUNK)

enum store_pre_state {
	STORE_PRE_NONE = 0,	/* not looked at: the writer does it all */
	STORE_PRE_OK,
	STORE_PRE_BAD
};

struct store_pre {
	enum store_pre_state state;
	int code;
	uint8_t id[RECORD_ID_LEN];	/* of the record, once looked at */
	uint8_t network_id[32];
	char reason[ERRBUF_LEN];	/* when STORE_PRE_BAD */
	struct search_prepared *terms;	/* of a kb revision, or NULL */
};

/* A batch handed to the workers. */
struct store_batch {
	const struct store_in *in;	/* NULL: the slot is free */
	struct store_pre *pre;
	size_t n, chunks, next;	/* records, chunks, next to claim */
	unsigned busy;		/* workers inside one of its chunks */
	int caught_up;		/* the writer waited for one of its chunks */
	uint64_t now_ms, seq;
	uint8_t net[32];
	uint8_t ready[STORE_CHUNKS_MAX];
};

struct store_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* workers: a batch has chunks to claim */
	pthread_cond_t done;	/* writer: a chunk is ready */
	pthread_t threads[STORE_THREADS_MAX];
	unsigned count;		/* worker threads running */
	int stop;
	struct store *st;
	uint64_t seq;		/* batches handed so far */
	/* What the writer waits for: chunks wait_from to wait_to of wait_b
	 * (NULL: none), or (finishing: threads in store_pool_finish()) a
	 * batch no worker is in any more.  One thread at a time writes
	 * (store_job_wait()), so one wait_b is enough. */
	const struct store_batch *wait_b;
	size_t wait_from, wait_to;
	unsigned finishing;
	/* The batch being written and the ones verified ahead of it. */
	struct store_batch batches[STORE_AHEAD_MAX + 1];
};
/* Free the verdicts of a batch of count records; NULL does nothing. */
static void
store_pre_free(struct store_pre *pre, size_t count)
{
	if (pre == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		search_prepared_free(&pre[i].terms);
	free(pre);
}

/* Steps 1 to 4 for records begin to end of the batch, in a read
 * transaction of the last committed state (for the duplicate lookup),
 * and the search terms of the kb revisions that pass (with sw). */
static void
store_verify_chunk(struct store *st, struct search_worker *sw,
    const struct store_in *in, struct store_pre *pre, size_t begin,
    size_t end, const uint8_t net[32], uint64_t now_ms)
{
	MDB_txn *txn = NULL;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		txn = NULL;
	for (size_t i = begin; i < end; i++) {
		struct store_pre *p = &pre[i];
		struct record_header h;
		uint8_t id[RECORD_ID_LEN];
		MDB_val k = { RECORD_ID_LEN, id }, v;
		struct record r;
		struct errbuf e;

		/* What does not decode, is stored already or cannot be
		 * looked up is left to the writer, which says why. */
		errbuf_clear(&e);
		if (txn == NULL ||
		    record_decode(&r, in[i].buf, in[i].len, &e) != 0 ||
		    record_check(&r, &h, id, &e) != 0 ||
		    mdb_get(txn, st->records, &k, &v) != MDB_NOTFOUND)
			continue;
		if (strcmp(h.kind, "charter") == 0)
			record_network_id(p->network_id, r.header,
			    r.header_len);
		else
			memcpy(p->network_id, net, 32);
		memcpy(p->id, id, RECORD_ID_LEN);
		p->code = record_verify(&r, &h, id, p->network_id, now_ms, &e);
		p->state = p->code == 0 ? STORE_PRE_OK : STORE_PRE_BAD;
		if (p->code != 0)
			memcpy(p->reason, e.msg, sizeof(p->reason));
		else
			p->terms = search_prepare(sw, &r, &h, id);
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
}

/* Whether chunks from to to (included) of b are verified. */
static int
store_chunks_ready(const struct store_batch *b, size_t from, size_t to)
{
	for (size_t c = from; c <= to; c++)
		if (!b->ready[c])
			return 0;
	return 1;
}

/* The oldest batch with a chunk to claim, or NULL. */
static struct store_batch *
store_pool_next(struct store_pool *p)
{
	struct store_batch *best = NULL;

	for (size_t i = 0; i <= STORE_AHEAD_MAX; i++) {
		struct store_batch *b = &p->batches[i];

		if (b->in != NULL && b->next < b->chunks &&
		    (best == NULL || b->seq < best->seq))
			best = b;
	}
	return best;
}

static void *
store_pool_run(void *arg)
{
	struct store_pool *p = arg;
	struct search_worker *sw = search_worker_new();

	/* The writer is the narrow end of the pipeline and, in the daemon,
	 * the thread that answers the control socket: the workers yield to
	 * it (on Linux the nice value is per thread).  Failing is harmless. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), STORE_WORKER_NICE);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		const struct store_in *in;
		struct store_batch *b;
		struct store_pre *pre;
		uint8_t net[32];
		uint64_t now_ms;
		size_t c, begin, end;

		while (!p->stop && (b = store_pool_next(p)) == NULL)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stop)
			break;
		c = b->next++;
		b->busy++;
		in = b->in;
		pre = b->pre;
		now_ms = b->now_ms;
		memcpy(net, b->net, 32);
		begin = c * STORE_CHUNK;
		end = begin + STORE_CHUNK < b->n ? begin + STORE_CHUNK : b->n;
		pthread_mutex_unlock(&p->lock);

		store_verify_chunk(p->st, sw, in, pre, begin, end, net,
		    now_ms);

		pthread_mutex_lock(&p->lock);
		b->ready[c] = 1;
		b->busy--;
		/* Wake the writer only for what it waits for: a wake-up per
		 * chunk would take a core from a worker every 16 records. */
		if (p->finishing || (p->wait_b == b &&
		    store_chunks_ready(b, p->wait_from, p->wait_to)))
			pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	search_worker_free(&sw);
	return NULL;
}

/* Stop and join the workers; NULL does nothing. */
static void
store_pool_free(struct store_pool **pp)
{
	struct store_pool *p = *pp;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned t = 0; t < p->count; t++)
		pthread_join(p->threads[t], NULL);
	for (size_t i = 0; i <= STORE_AHEAD_MAX; i++)
		store_pre_free(p->batches[i].pre, p->batches[i].n);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}

/* A pool of n workers, or NULL when no thread could be started. */
static struct store_pool *
store_pool_new(struct store *st, unsigned n)
{
	struct store_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->st = st;
	for (unsigned t = 0; t < n; t++) {
		if (pthread_create(&p->threads[t], NULL, store_pool_run,
		    p) != 0)
			break;
		p->count++;
	}
	if (p->count == 0)
		store_pool_free(&p);
	return p;
}

/*
 * Hand a batch to the workers, with the network id its records are
 * verified for (before a charter is stored, the one of the batch's
 * charter).  Returns the slot, or NULL when all are taken.
 */
static struct store_batch *
store_pool_start(struct store_pool *p, const struct store_in *in,
    size_t count, const uint8_t net[32], uint64_t now_ms)
{
	struct store_batch *b = NULL;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i <= STORE_AHEAD_MAX && b == NULL; i++)
		if (p->batches[i].in == NULL)
			b = &p->batches[i];
	if (b != NULL) {
		b->in = in;
		b->pre = xcalloc(count, sizeof(*b->pre));
		b->n = count;
		b->chunks = (count + STORE_CHUNK - 1) / STORE_CHUNK;
		b->next = 0;
		b->busy = 0;
		b->caught_up = 0;
		b->now_ms = now_ms;
		b->seq = p->seq++;
		memcpy(b->net, net, 32);
		memset(b->ready, 0, b->chunks);
		pthread_cond_broadcast(&p->work);
	}
	pthread_mutex_unlock(&p->lock);
	return b;
}

/* The batch handed ahead for these records, or NULL. */
static struct store_batch *
store_pool_find(struct store_pool *p, const struct store_in *in,
    size_t count)
{
	struct store_batch *b = NULL;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i <= STORE_AHEAD_MAX && b == NULL; i++)
		if (p->batches[i].in == in && p->batches[i].n == count)
			b = &p->batches[i];
	pthread_mutex_unlock(&p->lock);
	return b;
}

/*
 * Wait until the chunk of b holding record i is verified.  The first
 * time the writer finds a chunk of the batch not verified, it waits for
 * that one only: the batch may have just been handed over, and a writer
 * slower than the workers never catches up with them again.  After that
 * it has caught up with the workers, so it waits for the
 * STORE_WAIT_CHUNKS from the one it needs: faster than the workers, it
 * would otherwise sleep and wake at every chunk.
 */
static void
store_pool_wait(struct store_pool *p, struct store_batch *b, size_t i)
{
	size_t c = i / STORE_CHUNK, span;

	pthread_mutex_lock(&p->lock);
	if (!b->ready[c]) {
		span = b->caught_up ? STORE_WAIT_CHUNKS : 1;
		b->caught_up = 1;
		p->wait_b = b;
		p->wait_from = c;
		p->wait_to = c + span - 1 < b->chunks ? c + span - 1 :
		    b->chunks - 1;
		while (!store_chunks_ready(b, p->wait_from, p->wait_to))
			pthread_cond_wait(&p->done, &p->lock);
		p->wait_b = NULL;
	}
	pthread_mutex_unlock(&p->lock);
}

/* Take batch b back: chunks not claimed yet are dropped, and this
 * returns its verdicts (the caller's to free with store_pre_free()) once
 * no worker reads it any more, its slot free. */
static struct store_pre *
store_pool_finish(struct store_pool *p, struct store_batch *b)
{
	struct store_pre *pre;

	pthread_mutex_lock(&p->lock);
	b->next = b->chunks;
	p->finishing++;
	while (b->busy > 0)
		pthread_cond_wait(&p->done, &p->lock);
	p->finishing--;
	b->in = NULL;
	pre = b->pre;
	b->pre = NULL;
	pthread_mutex_unlock(&p->lock);
	return pre;
}

/* Drop the batches verified ahead: no worker holds a read transaction
 * once this returns (the map can be resized). */
static void
store_pool_drain(struct store_pool *p)
{
	for (size_t i = 0; i <= STORE_AHEAD_MAX; i++)
		if (p->batches[i].in != NULL)
			store_pre_free(store_pool_finish(p, &p->batches[i]),
			    p->batches[i].n);
}

/* The network id records of this batch are verified for, or 0 when
 * there is none (no charter stored nor in the batch). */
static int
store_batch_network(struct store *st, MDB_txn *txn, const struct store_in *in,
    size_t count, uint8_t net[32])
{
	if (store_meta_get(st, txn, "network_id", net, 32) == 0)
		return 1;
	for (size_t i = 0; i < count; i++) {
		struct record_header h;
		uint8_t id[RECORD_ID_LEN];
		struct record r;

		if (record_decode(&r, in[i].buf, in[i].len, NULL) == 0 &&
		    record_check(&r, &h, id, NULL) == 0 &&
		    strcmp(h.kind, "charter") == 0) {
			record_network_id(net, r.header, r.header_len);
			return 1;
		}
	}
	return 0;
}

/* One record through steps 1 to 6 inside txn.  Returns an LMDB code
 * (the batch must stop) or 0 with the outcome in o. */
static int
store_ingest_one(struct store *st, MDB_txn *txn, struct store_writer *w,
    const struct store_in *in, uint64_t now_ms, const struct store_pre *pre,
    struct store_out *o)
{
	uint8_t network_id[32];
	const uint8_t *buf = in->buf;
	size_t len = in->len;
	const struct search_prepared *terms;
	struct search_prepared *own = NULL;
	struct record_header h;
	struct mpw purged;
	struct record r;
	struct errbuf e;
	MDB_val k, v;
	int mrc, is_charter, has_net;

	errbuf_clear(&e);
	memset(o, 0, sizeof(*o));
	if ((o->code = record_decode(&r, in->buf, in->len, &e)) != 0)
		goto refused;
	/* A worker that looked at the record hashed its header already. */
	if (pre != NULL && pre->state != STORE_PRE_NONE) {
		if ((o->code = record_header_decode(&h, r.header, r.header_len,
		    &e)) != 0)
			goto refused;
		memcpy(o->id, pre->id, RECORD_ID_LEN);
	} else if ((o->code = record_check(&r, &h, o->id, &e)) != 0) {
		goto refused;
	}
	o->ts = h.ts;
	memcpy(o->kind, h.kind, sizeof(o->kind));
	memcpy(o->key, h.key, sizeof(o->key));

	k.mv_size = RECORD_ID_LEN;
	k.mv_data = o->id;
	mrc = mdb_get(txn, st->records, &k, &v);
	if (mrc == 0)
		return 0;		/* already stored: idempotent */
	if (mrc != MDB_NOTFOUND)
		return mrc;

	is_charter = strcmp(h.kind, "charter") == 0;
	if (!w->net_known) {
		w->has_net = store_meta_get(st, txn, "network_id", w->net,
		    sizeof(w->net)) == 0;
		w->net_known = 1;
	}
	has_net = w->has_net;
	memcpy(network_id, w->net, sizeof(network_id));
	if (is_charter && has_net) {
		o->code = fail(&e, AMIE_EREFUSED,
		    "charter: this node already belongs to a federation");
		goto refused;
	}
	if (!is_charter && !has_net) {
		o->code = fail(&e, AMIE_EREFUSED,
		    "network: this node has no federation yet");
		goto refused;
	}
	if (is_charter)
		record_network_id(network_id, r.header, r.header_len);
	if (pre != NULL && pre->state == STORE_PRE_BAD) {
		o->code = pre->code;
		memcpy(e.msg, pre->reason, sizeof(e.msg));
		goto refused;
	}
	/* A record verified on a worker thread, for this very network id,
	 * needs no second look. */
	if (!(pre != NULL && pre->state == STORE_PRE_OK &&
	    sodium_memcmp(pre->network_id, network_id, 32) == 0) &&
	    (o->code = record_verify(&r, &h, o->id, network_id, now_ms,
	    &e)) != 0)
		goto refused;
	/* The search terms of a kb revision, as a worker works them out
	 * (unless one looked at the record already): whoever prepared them
	 * decoded the body. */
	terms = pre != NULL ? pre->terms : NULL;
	if (pre == NULL || pre->state != STORE_PRE_OK)
		terms = own = search_prepare(st->wsearch, &r, &h, o->id);
	if ((o->code = store_rules_check(st, txn, &r, &h, is_charter,
	    terms != NULL, &e)) != 0)
		goto refused;

	/* A revision of a deleted article is kept without its body. */
	if (strcmp(h.kind, "kb") == 0 && r.body != NULL &&
	    tombstone_deleted_txn(st, txn, h.kind, h.key)) {
		r.body = NULL;
		r.body_len = 0;
		mpw_init(&purged, RECORD_ENCODED_MAX);
		record_encode(&r, &purged);
		buf = purged.buf;
		len = purged.len;
	}
	mrc = store_insert(st, txn, w, buf, len, &h, o->id);
	if (buf != in->buf)
		mpw_release(&purged);
	if (mrc == 0 &&
	    (mrc = member_apply(st, txn, &r, &h, o->id)) == 0 &&
	    strcmp(h.kind, "kb") == 0)
		mrc = search_article_prepared(st, txn, h.key, buf == in->buf ?
		    terms : NULL);
	search_prepared_free(&own);
	if (mrc != 0 ||
	    (strcmp(h.kind, "tombstone") == 0 &&
	    (mrc = tombstone_apply(st, txn, &h, o->id)) != 0))
		return mrc;
	if (is_charter) {
		if ((mrc = store_put(txn, st->meta, "network_id", 10,
		    network_id, sizeof(network_id), 0)) != 0 ||
		    (mrc = store_put(txn, st->meta, "charter", 7, o->id,
		    RECORD_ID_LEN, 0)) != 0)
			return mrc;
		w->has_net = 1;
		memcpy(w->net, network_id, sizeof(w->net));
		/* Records by the founder may follow in this very batch;
		 * store_ingest() forgets it if the batch is abandoned.  The
		 * flag is set after the key, for readers on other threads. */
		if (!st->has_founder) {
			memcpy(st->founder, h.author, RECORD_KEY_LEN);
			st->has_founder = 1;
		}
	}
	o->stored = 1;
	return 0;

refused:
	search_prepared_free(&own);
	memcpy(o->reason, e.msg, sizeof(o->reason));
	return 0;
}

int
store_grow(struct store *st, struct errbuf *eb)
{
	size_t size = st->map_size * 2;
	int mrc;

	/* Remapping under an open read transaction is not allowed: the
	 * batch is refused for now and comes again with the next sync. */
	if (st->snapshots > 0)
		return fail(eb, AMIE_EAGAIN,
		    "store: full while a sync reads it; retry later");
	store_job_wait(st);	/* its transaction ends with it */
	if (size > STORE_MAP_MAX)
		return fail(eb, AMIE_EIO, "store: map would pass %zu bytes",
		    (size_t)STORE_MAP_MAX);
	/* The workers' read transactions end with their batches. */
	if (st->pool != NULL)
		store_pool_drain(st->pool);
	if ((mrc = mdb_env_set_mapsize(st->env, size)) != 0)
		return store_fail(eb, mrc, "growing the map");
	st->map_size = size;
	return 0;
}

/* The pool, started on first use; NULL when ingest verifies in line. */
static struct store_pool *
store_pool(struct store *st)
{
	if (st->verify_threads > 1 && st->pool == NULL)
		st->pool = store_pool_new(st, st->verify_threads);
	return st->pool;
}

/* store_ingest_ahead() on the calling thread, the writer's free. */
static void
store_ahead_run(struct store *st, const struct store_in *in, size_t count,
    uint64_t now_ms)
{
	struct store_pool *pool = store_pool(st);
	uint8_t net[32];
	MDB_txn *txn;
	int has_net;

	assert(count <= STORE_BATCH_MAX);
	if (pool == NULL || count < STORE_PARALLEL_MIN ||
	    store_pool_find(pool, in, count) != NULL ||
	    mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return;
	has_net = store_batch_network(st, txn, in, count, net);
	mdb_txn_abort(txn);
	if (has_net)
		store_pool_start(pool, in, count, net, now_ms);
}

void
store_ingest_ahead(struct store *st, const struct store_in *in, size_t count,
    uint64_t now_ms)
{
	store_job_wait(st);
	store_ahead_run(st, in, count, now_ms);
}

void
store_ingest_forget(struct store *st, const struct store_in *in,
    size_t count)
{
	struct store_batch *b;

	store_job_wait(st);
	if (st->pool != NULL &&
	    (b = store_pool_find(st->pool, in, count)) != NULL)
		store_pre_free(store_pool_finish(st->pool, b), count);
}

/*
 * store_ingest() on the calling thread, committed in store_commit()'s
 * mode durable.  When the map is full, it grows it and tries again if
 * may_grow, else it gives up (nothing written), sets *grow and returns
 * AMIE_EAGAIN: only the thread that owns the store may remap it
 * (store_grow()).
 */
static int
store_ingest_run(struct store *st, const struct store_in *in, size_t count,
    uint64_t now_ms, struct store_out *out, int may_grow, int durable,
    int *grow, struct errbuf *eb)
{
	struct store_pool *pool = store_pool(st);
	struct store_batch *b = NULL;
	struct store_pre *pre = NULL;
	struct store_writer w;
	uint8_t net[32];
	MDB_txn *txn;
	int mrc, rc, had_founder;

	assert(count <= STORE_BATCH_MAX);
	*grow = 0;
	if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_fail(eb, mrc, "begin");
	had_founder = st->has_founder;
	if (pool != NULL && count >= STORE_PARALLEL_MIN) {
		/* Verdicts for another clock are of no use. */
		b = store_pool_find(pool, in, count);
		if (b != NULL && b->now_ms != now_ms) {
			store_pre_free(store_pool_finish(pool, b), count);
			b = NULL;
		}
		if (b == NULL && store_batch_network(st, txn, in, count, net))
			b = store_pool_start(pool, in, count, net, now_ms);
	}
	if (b != NULL)
		pre = b->pre;
	for (;;) {
		memset(&w, 0, sizeof(w));
		itemset_batch(st);
		for (size_t i = 0; i < count; i++) {
			if (b != NULL && i % STORE_CHUNK == 0)
				store_pool_wait(pool, b, i);
			if ((mrc = store_ingest_one(st, txn, &w, &in[i], now_ms,
			    pre != NULL ? &pre[i] : NULL, &out[i])) != 0)
				break;
		}
		/* Every chunk is verified now, unless the batch stopped: the
		 * verdicts are kept for a second pass (after growing the
		 * map), and the slot goes back to the workers. */
		if (b != NULL) {
			pre = store_pool_finish(pool, b);
			b = NULL;
		}
		if (mrc == 0)
			mrc = store_writer_flush(st, txn, &w);
		if (mrc == 0)
			mrc = itemset_flush(st, txn);
		if (mrc == 0)
			mrc = search_flush(st, txn);
		if (mrc == 0) {
			mrc = store_commit(st, txn, durable);
		} else {
			/* before another writer */
			itemset_discard(st);
			search_discard(st);
			mdb_txn_abort(txn);
		}
		if (mrc == 0) {
			store_pre_free(pre, count);
			return 0;
		}
		/* A charter of the abandoned batch is not stored. */
		if (!had_founder)
			st->has_founder = 0;
		if (mrc != MDB_MAP_FULL) {
			store_pre_free(pre, count);
			return store_fail(eb, store_write_error(st, mrc),
			    "ingest");
		}
		if (!may_grow) {
			store_pre_free(pre, count);
			*grow = 1;
			return fail(eb, AMIE_EAGAIN, "store: the map is full");
		}
		if ((rc = store_grow(st, eb)) != 0) {
			store_pre_free(pre, count);
			return rc;
		}
		if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0) {
			store_pre_free(pre, count);
			return store_fail(eb, mrc, "begin");
		}
	}
}

int
store_ingest(struct store *st, const struct store_in *in, size_t count,
    uint64_t now_ms, struct store_out *out, struct errbuf *eb)
{
	int grow;

	store_job_wait(st);
	return store_ingest_run(st, in, count, now_ms, out, 1, 1, &grow, eb);
}

/*
 * The writer thread of store_ingest_start(): one job at a time, from
 * STORE_JOB_QUEUED to STORE_JOB_DONE; the eventfd counts the jobs done.
 */
enum store_job_state {
	STORE_JOB_IDLE,
	STORE_JOB_QUEUED,
	STORE_JOB_RUNNING,
	STORE_JOB_DONE,
};

struct store_job {
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* the state changed, or stop */
	pthread_t thread;
	int efd;
	int stop;
	enum store_job_state state;
	struct store *st;
	const struct store_in *in;
	size_t count;
	uint64_t now_ms;
	struct store_out *out;
	const struct store_in *ahead;
	size_t ahead_count;
	uint64_t ahead_now_ms;
	int rc, grow;
	struct errbuf eb;
};

static void *
store_job_run(void *arg)
{
	struct store_job *j = arg;
	uint64_t one = 1;

	/* The thread that started it (in the daemon, the one that answers
	 * the control socket) comes first, then this one, then the workers.
	 * Failing is harmless. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), STORE_WRITER_NICE);
	pthread_mutex_lock(&j->lock);
	for (;;) {
		while (!j->stop && j->state != STORE_JOB_QUEUED)
			pthread_cond_wait(&j->cond, &j->lock);
		if (j->stop)
			break;
		j->state = STORE_JOB_RUNNING;
		pthread_mutex_unlock(&j->lock);

		/* The next batch verifies while this one is written. */
		if (j->ahead != NULL)
			store_ahead_run(j->st, j->ahead, j->ahead_count,
			    j->ahead_now_ms);
		errbuf_clear(&j->eb);
		j->rc = store_ingest_run(j->st, j->in, j->count, j->now_ms,
		    j->out, 0, 0, &j->grow, &j->eb);

		pthread_mutex_lock(&j->lock);
		j->state = STORE_JOB_DONE;
		pthread_cond_broadcast(&j->cond);
		(void)!write(j->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Stop and join the writer thread; NULL does nothing. */
static void
store_job_free(struct store_job **jp)
{
	struct store_job *j = *jp;

	if (j == NULL)
		return;
	store_job_wait(j->st);
	pthread_mutex_lock(&j->lock);
	j->stop = 1;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	close(j->efd);
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
	*jp = NULL;
}

/* The writer thread, started on first use; NULL when it cannot start. */
static struct store_job *
store_job(struct store *st)
{
	struct store_job *j;

	if (st->job != NULL)
		return st->job;
	j = xcalloc(1, sizeof(*j));
	j->st = st;
	if ((j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(j);
		return NULL;
	}
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	if (pthread_create(&j->thread, NULL, store_job_run, j) != 0) {
		close(j->efd);
		pthread_cond_destroy(&j->cond);
		pthread_mutex_destroy(&j->lock);
		free(j);
		return NULL;
	}
	st->job = j;
	return j;
}

/* Wait until the writer thread holds no transaction: its job, if any,
 * is done (its result stays for store_ingest_end()). */
static void
store_job_wait(struct store *st)
{
	struct store_job *j = st->job;

	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	while (j->state == STORE_JOB_QUEUED || j->state == STORE_JOB_RUNNING)
		pthread_cond_wait(&j->cond, &j->lock);
	pthread_mutex_unlock(&j->lock);
}

int
store_ingest_start(struct store *st, const struct store_in *in, size_t count,
    uint64_t now_ms, struct store_out *out, const struct store_in *ahead,
    size_t ahead_count, uint64_t ahead_now_ms)
{
	struct store_job *j = store_job(st);

	assert(count <= STORE_BATCH_MAX && ahead_count <= STORE_BATCH_MAX);
	if (j == NULL)
		return AMIE_EIO;
	pthread_mutex_lock(&j->lock);
	assert(j->state == STORE_JOB_IDLE);
	j->in = in;
	j->count = count;
	j->now_ms = now_ms;
	j->out = out;
	j->ahead = ahead;
	j->ahead_count = ahead != NULL ? ahead_count : 0;
	j->ahead_now_ms = ahead_now_ms;
	j->state = STORE_JOB_QUEUED;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return 0;
}

int
store_ingest_fd(const struct store *st)
{
	return st->job != NULL ? st->job->efd : -1;
}

int
store_ingest_done(struct store *st)
{
	struct store_job *j = st->job;
	int done;

	assert(j != NULL);
	pthread_mutex_lock(&j->lock);
	done = j->state == STORE_JOB_DONE;
	pthread_mutex_unlock(&j->lock);
	return done;
}

int
store_ingest_end(struct store *st, struct errbuf *eb)
{
	struct store_job *j = st->job;
	uint64_t done;
	int rc, grow;

	assert(j != NULL);
	pthread_mutex_lock(&j->lock);
	assert(j->state != STORE_JOB_IDLE);
	while (j->state != STORE_JOB_DONE)
		pthread_cond_wait(&j->cond, &j->lock);
	(void)!read(j->efd, &done, sizeof(done));
	j->state = STORE_JOB_IDLE;
	rc = j->rc;
	grow = j->grow;
	if (rc != 0)
		*eb = j->eb;
	pthread_mutex_unlock(&j->lock);
	/* The map is grown here, on the thread that owns the store, and
	 * the batch written again (verified again: its verdicts are gone). */
	if (grow)
		rc = store_ingest_run(st, j->in, j->count, j->now_ms, j->out,
		    1, 0, &grow, eb);
	return rc;
}

void
store_set_verify_threads(struct store *st, unsigned n)
{
	n = n < 1 ? 1 : n > STORE_THREADS_MAX ? STORE_THREADS_MAX : n;
	store_job_wait(st);
	if (n != st->verify_threads)
		store_pool_free(&st->pool);	/* started again with n */
	st->verify_threads = n;
}

int
store_network_id(struct store *st, uint8_t out[32])
{
	MDB_txn *txn;
	int rc;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return AMIE_EIO;
	rc = store_meta_get(st, txn, "network_id", out, 32);
	mdb_txn_abort(txn);
	return rc;
}

int
store_stats(struct store *st, struct store_stats *s, struct errbuf *eb)
{
	uint8_t charter_id[RECORD_ID_LEN];
	struct body_charter c;
	struct record rec;
	MDB_envinfo info;
	MDB_stat ms;
	MDB_txn *txn;
	MDB_val k, v;
	int mrc;

	memset(s, 0, sizeof(*s));
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "stats");
	mdb_stat(txn, st->records, &ms);
	s->records = ms.ms_entries;
	mdb_env_stat(st->env, &ms);
	mdb_env_info(st->env, &info);
	s->used_bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
	s->map_bytes = info.me_mapsize;
	if (store_meta_get(st, txn, "network_id", s->network_id, 32) == 0 &&
	    store_meta_get(st, txn, "charter", charter_id, 32) == 0) {
		k.mv_size = RECORD_ID_LEN;
		k.mv_data = charter_id;
		s->has_federation = 1;
		if (mdb_get(txn, st->records, &k, &v) == 0 &&
		    record_decode(&rec, v.mv_data, v.mv_size, NULL) == 0 &&
		    rec.body != NULL &&
		    body_charter_decode(&c, rec.body, rec.body_len, NULL) == 0)
			memcpy(s->federation, c.name.s, c.name.len);
	}
	mdb_txn_abort(txn);
	return 0;
}

/* mdb_reader_list() line by line: a taken slot's line starts with its
 * pid, the others (a heading, "(no active readers)") do not. */
static int
store_reader_line(const char *msg, void *ctx)
{
	while (*msg == ' ')
		msg++;
	if (*msg >= '0' && *msg <= '9')
		(*(unsigned *)ctx)++;
	return 0;
}

int
store_health(struct store *st, struct store_health *h, struct errbuf *eb)
{
	MDB_envinfo info;
	MDB_stat ms;
	int mrc, dead = 0;

	memset(h, 0, sizeof(*h));
	if ((mrc = mdb_reader_check(st->env, &dead)) != 0 ||
	    (mrc = mdb_env_info(st->env, &info)) != 0 ||
	    (mrc = mdb_env_stat(st->env, &ms)) != 0)
		return store_fail(eb, mrc, "health");
	h->map_bytes = info.me_mapsize;
	h->used_bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
	h->max_bytes = STORE_MAP_MAX;
	/* me_numreaders is the most slots ever taken at once (until the
	 * lock file is made again): count those taken now. */
	if ((mrc = mdb_reader_list(st->env, store_reader_line,
	    &h->readers_used)) < 0)
		return store_fail(eb, EIO, "health");
	h->readers_max = info.me_maxreaders;
	h->stale_cleared = dead;
	return 0;
}

int
store_last_ts(struct store *st, const uint8_t author[RECORD_KEY_LEN],
    uint64_t *ts, struct errbuf *eb)
{
	MDB_val k = { RECORD_KEY_LEN, (void *)author }, v;
	MDB_txn *txn;
	int mrc;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "last ts");
	*ts = 0;
	if (mdb_get(txn, st->authors, &k, &v) == 0 && v.mv_size == 8)
		*ts = store_get_be64(v.mv_data);
	mdb_txn_abort(txn);
	return 0;
}

int
store_get(struct store *st, const uint8_t id[RECORD_ID_LEN], uint8_t **buf,
    size_t *len, struct errbuf *eb)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	MDB_txn *txn;
	int mrc;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "get");
	mrc = mdb_get(txn, st->records, &k, &v);
	if (mrc == 0) {
		*buf = xmalloc(v.mv_size);
		memcpy(*buf, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return fail(eb, AMIE_ENOTFOUND, "no record with that id");
	if (mrc != 0)
		return store_fail(eb, mrc, "get");
	return 0;
}

size_t
store_missing(struct store *st, uint8_t (*ids)[RECORD_ID_LEN], size_t count)
{
	MDB_txn *txn;
	size_t n = 0;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return count;	/* asking again does no harm */
	for (size_t i = 0; i < count; i++) {
		MDB_val k = { RECORD_ID_LEN, ids[i] }, v;

		if (mdb_get(txn, st->records, &k, &v) != 0) {
			if (n != i)
				memcpy(ids[n], ids[i], RECORD_ID_LEN);
			n++;
		}
	}
	mdb_txn_abort(txn);
	return n;
}

int
store_get_served(struct store *st, const uint8_t id[RECORD_ID_LEN],
    uint8_t **buf, size_t *len, struct errbuf *eb)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v, ik, iv;
	uint8_t tsid[STORE_TSID_LEN];
	struct record_header h;
	struct record rec;
	MDB_txn *txn;
	int mrc, rc = 0;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "get");
	mrc = mdb_get(txn, st->records, &k, &v);
	if (mrc == 0 && (record_decode(&rec, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_header_decode(&h, rec.header, rec.header_len, NULL) != 0))
		mrc = MDB_NOTFOUND;
	if (mrc == 0) {
		store_be64(tsid, h.ts);
		memcpy(tsid + 8, id, RECORD_ID_LEN);
		ik.mv_size = sizeof(tsid);
		ik.mv_data = tsid;
		mrc = mdb_get(txn, st->items, &ik, &iv);
	}
	if (mrc == 0) {
		*buf = xmalloc(v.mv_size);
		memcpy(*buf, v.mv_data, v.mv_size);
		*len = v.mv_size;
	} else if (mrc == MDB_NOTFOUND) {
		rc = fail(eb, AMIE_ENOTFOUND, "record not served here");
	} else {
		rc = store_fail(eb, mrc, "get");
	}
	mdb_txn_abort(txn);
	return rc;
}

int
store_object_find(struct store *st, const char *kind, const char *prefix,
    char key_out[RECORD_KEY_MAX + 1], struct errbuf *eb)
{
	uint8_t ok[STORE_OBJKEY_MAX];
	size_t kl = strlen(kind), plen = strlen(prefix), oklen, found = 0;
	char match[RECORD_KEY_MAX + 1];
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int mrc;

	if (plen > RECORD_KEY_MAX || kl > RECORD_KIND_MAX)
		return fail(eb, AMIE_ENOTFOUND, "no %s with id %.16s...", kind,
		    prefix);
	if (plen < STORE_PREFIX_MIN)
		return fail(eb, AMIE_EUSAGE,
		    "id '%s': give at least %d characters", prefix,
		    STORE_PREFIX_MIN);
	oklen = store_objkey(ok, kind, prefix);
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "find");
	if ((mrc = mdb_cursor_open(txn, st->heads, &c)) != 0) {
		mdb_txn_abort(txn);
		return store_fail(eb, mrc, "find");
	}
	/* Keys sort bytewise, so an exact match comes first. */
	k.mv_size = oklen;
	k.mv_data = ok;
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (mrc == 0 && found < 2 && k.mv_size >= oklen &&
	    memcmp(k.mv_data, ok, oklen) == 0) {
		size_t l = k.mv_size - kl - 1;

		if (found++ == 0) {
			memcpy(match, (char *)k.mv_data + kl + 1, l);
			match[l] = '\0';
			if (l == plen)
				break;
		}
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (found == 0)
		return fail(eb, AMIE_ENOTFOUND, "no %s with id %s", kind,
		    prefix);
	if (found > 1)
		return fail(eb, AMIE_EAMBIGUOUS,
		    "id %s matches several: give more characters", prefix);
	memcpy(key_out, match, strlen(match) + 1);
	return 0;
}

/* Reverse the n heads at h. */
static void
store_heads_reverse(struct store_head *h, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct store_head t = h[i];

		h[i] = h[n - 1 - i];
		h[n - 1 - i] = t;
	}
}

/* Read the duplicates of the cursor's current key into heads (the last
 * cap of them, still in order: the display winner is among the latest);
 * *count gets how many there are. */
static int
store_read_heads(MDB_cursor *c, MDB_val *k, struct store_head *heads,
    size_t cap, size_t *count)
{
	MDB_val v;
	size_t n = 0;
	int mrc = mdb_cursor_get(c, k, &v, MDB_FIRST_DUP);

	while (mrc == 0) {
		if (v.mv_size == STORE_TSID_LEN && cap > 0) {
			struct store_head *h = &heads[n % cap];

			h->ts = store_get_be64(v.mv_data);
			memcpy(h->id, (uint8_t *)v.mv_data + 8, RECORD_ID_LEN);
		}
		if (v.mv_size == STORE_TSID_LEN)
			n++;
		mrc = mdb_cursor_get(c, k, &v, MDB_NEXT_DUP);
	}
	/* Past cap the oldest were overwritten: rotate them into order. */
	if (n > cap && cap > 0 && n % cap != 0) {
		store_heads_reverse(heads, n % cap);
		store_heads_reverse(heads + n % cap, cap - n % cap);
		store_heads_reverse(heads, cap);
	}
	*count = n;
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/*
 * The duplicates of (kind, key) in dbi, into out (cap of them), or when
 * all is not NULL into a new array of them all, sized and filled in one
 * read transaction.
 */
static int
store_object_dups(struct store *st, MDB_dbi dbi, const char *kind,
    const char *key, struct store_head *out, size_t cap,
    struct store_head **all, size_t *count, struct errbuf *eb)
{
	uint8_t ok[STORE_OBJKEY_MAX];
	MDB_val k, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int mrc;

	k.mv_size = store_objkey(ok, kind, key);
	k.mv_data = ok;
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "object");
	if ((mrc = mdb_cursor_open(txn, dbi, &c)) == 0) {
		mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
		if (mrc == 0 && all != NULL &&
		    (mrc = mdb_cursor_count(c, &cap)) == 0)
			out = *all = xcalloc(cap ? cap : 1, sizeof(*out));
		if (mrc == 0)
			mrc = store_read_heads(c, &k, out, cap, count);
		mdb_cursor_close(c);
	}
	mdb_txn_abort(txn);
	if (mrc != 0 && all != NULL) {
		free(*all);
		*all = NULL;
	}
	if (mrc == MDB_NOTFOUND)
		return fail(eb, AMIE_ENOTFOUND, "no %s with id %s", kind, key);
	if (mrc != 0)
		return store_fail(eb, mrc, "object");
	return 0;
}

/* Whether the revision (ts, id) is served: in the item set. */
static int
store_head_served(MDB_txn *txn, const struct store *st,
    const struct store_head *h)
{
	uint8_t tsid[STORE_TSID_LEN];
	MDB_val k = { sizeof(tsid), tsid }, v;

	store_be64(tsid, h->ts);
	memcpy(tsid + 8, h->id, RECORD_ID_LEN);
	return mdb_get(txn, st->items, &k, &v) == 0;
}

static int
store_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RECORD_ID_LEN);
}

/*
 * The heads of object ok among its served revisions, the latest cap in
 * heads (in order) and their number in *count: when every listed head is
 * served, those; else the served revisions no served revision refs (a
 * hidden head shows the revisions it replaced again).  LMDB codes;
 * MDB_NOTFOUND when none is served.
 */
int
store_heads_served_txn(struct store *st, MDB_txn *txn, const uint8_t *ok,
    size_t oklen, struct store_head *heads, size_t cap, size_t *count)
{
	struct store_head *revs = NULL;
	uint8_t (*refd)[RECORD_ID_LEN] = NULL;
	size_t nrevs = 0, caprevs = 0, nrefd = 0, caprefd = 0, n = 0;
	MDB_val k = { oklen, (void *)ok }, v;
	MDB_cursor *c;
	int mrc, all = 1;

	if ((mrc = mdb_cursor_open(txn, st->heads, &c)) != 0)
		return mrc;
	if ((mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY)) == 0)
		mrc = store_read_heads(c, &k, heads, cap, count);
	mdb_cursor_close(c);
	if (mrc != 0)
		return mrc;
	if (*count > cap)
		*count = cap;
	for (size_t i = 0; i < *count && all; i++)
		all = store_head_served(txn, st, &heads[i]);
	if (all)
		return *count > 0 ? 0 : MDB_NOTFOUND;
	/* A head is hidden: the heads among the served revisions. */
	if ((mrc = mdb_cursor_open(txn, st->revs, &c)) != 0)
		return mrc;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
		struct store_head h;
		struct record_header hd;
		struct record r;
		MDB_val rk = { RECORD_ID_LEN, NULL }, rv;

		if (v.mv_size != STORE_TSID_LEN)
			continue;
		h.ts = store_get_be64(v.mv_data);
		memcpy(h.id, (uint8_t *)v.mv_data + 8, RECORD_ID_LEN);
		rk.mv_data = h.id;
		if (!store_head_served(txn, st, &h) ||
		    mdb_get(txn, st->records, &rk, &rv) != 0 ||
		    record_decode(&r, rv.mv_data, rv.mv_size, NULL) != 0 ||
		    record_header_decode(&hd, r.header, r.header_len,
		    NULL) != 0)
			continue;
		if (nrevs == caprevs) {
			caprevs = caprevs ? 2 * caprevs : 16;
			revs = xrealloc(revs, caprevs * sizeof(*revs));
		}
		revs[nrevs++] = h;
		for (uint32_t i = 0; i < hd.refs_count; i++) {
			if (nrefd == caprefd) {
				caprefd = caprefd ? 2 * caprefd : 16;
				refd = xrealloc(refd, caprefd * RECORD_ID_LEN);
			}
			memcpy(refd[nrefd++], hd.refs[i], RECORD_ID_LEN);
		}
	}
	mdb_cursor_close(c);
	if (mrc == MDB_NOTFOUND) {
		mrc = 0;
		if (nrefd > 1)
			qsort(refd, nrefd, RECORD_ID_LEN, store_id_cmp);
		/* The heads, packed in place: revs are in (ts, id) order. */
		for (size_t i = 0; i < nrevs; i++)
			if (nrefd == 0 || bsearch(revs[i].id, refd, nrefd,
			    RECORD_ID_LEN, store_id_cmp) == NULL)
				revs[n++] = revs[i];
		/* The latest cap of them. */
		*count = n < cap ? n : cap;
		if (*count == 0)
			mrc = MDB_NOTFOUND;
		else
			memcpy(heads, revs + (n - *count),
			    *count * sizeof(*heads));
	}
	free(revs);
	free(refd);
	return mrc;
}

int
store_head_is_served(struct store *st, const struct store_head *h)
{
	MDB_txn *txn;
	int served;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	served = store_head_served(txn, st, h);
	mdb_txn_abort(txn);
	return served;
}

int
store_object_heads_served(struct store *st, const char *kind,
    const char *key, struct store_head *heads, size_t cap, size_t *count,
    struct errbuf *eb)
{
	uint8_t ok[STORE_OBJKEY_MAX];
	size_t oklen = store_objkey(ok, kind, key);
	MDB_txn *txn;
	int mrc;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "object");
	mrc = store_heads_served_txn(st, txn, ok, oklen, heads, cap, count);
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return fail(eb, AMIE_ENOTFOUND, "no %s with id %s", kind, key);
	if (mrc != 0)
		return store_fail(eb, mrc, "object");
	return 0;
}

int
store_object_revisions(struct store *st, const char *kind, const char *key,
    struct store_head *revs, size_t cap, size_t *count, struct errbuf *eb)
{
	return store_object_dups(st, st->revs, kind, key, revs, cap, NULL,
	    count, eb);
}

int
store_object_revisions_all(struct store *st, const char *kind,
    const char *key, struct store_head **revs, size_t *count,
    struct errbuf *eb)
{
	*revs = NULL;
	*count = 0;
	return store_object_dups(st, st->revs, kind, key, NULL, 0, revs,
	    count, eb);
}

int
store_object_heads(struct store *st, const char *kind, const char *key,
    struct store_head *heads, size_t cap, size_t *count, struct errbuf *eb)
{
	int rc = store_object_dups(st, st->heads, kind, key, heads, cap,
	    NULL, count, eb);

	if (rc == 0 && *count > cap)
		*count = cap;
	return rc;
}

size_t
store_head_winner(const struct store_head *heads, size_t count)
{
	size_t w = 0;

	for (size_t i = 1; i < count; i++)
		if (heads[i].ts > heads[w].ts)
			w = i;
	return w;
}

int
store_objects(struct store *st, const char *kind, store_object_fn fn,
    void *ctx, struct errbuf *eb)
{
	return store_objects_after(st, kind, NULL, fn, ctx, eb);
}

int
store_objects_after(struct store *st, const char *kind, const char *after,
    store_object_fn fn, void *ctx, struct errbuf *eb)
{
	struct store_head heads[STORE_HEADS_MAX];
	uint8_t ok[STORE_OBJKEY_MAX], start[STORE_OBJKEY_MAX];
	char key[RECORD_KEY_MAX + 1];
	size_t kl = strlen(kind), oklen = store_objkey(ok, kind, ""), n;
	size_t slen = store_objkey(start, kind, after != NULL ? after : "");
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int mrc, rc = 0;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "objects");
	if ((mrc = mdb_cursor_open(txn, st->heads, &c)) != 0) {
		mdb_txn_abort(txn);
		return store_fail(eb, mrc, "objects");
	}
	k.mv_size = slen;
	k.mv_data = start;
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	/* After the cursor: the object it names is the caller's already. */
	if (mrc == 0 && after != NULL && k.mv_size == slen &&
	    memcmp(k.mv_data, start, slen) == 0)
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
	while (mrc == 0 && rc == 0 && k.mv_size >= oklen &&
	    memcmp(k.mv_data, ok, oklen) == 0) {
		size_t l = k.mv_size - kl - 1;

		memcpy(key, (char *)k.mv_data + kl + 1, l);
		key[l] = '\0';
		if ((mrc = store_read_heads(c, &k, heads, STORE_HEADS_MAX,
		    &n)) != 0)
			break;
		rc = fn(ctx, key, heads, n < STORE_HEADS_MAX ? n :
		    STORE_HEADS_MAX);
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (rc != 0)
		return rc;
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return store_fail(eb, mrc, "objects");
	return 0;
}
