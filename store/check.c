/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The store checked against itself (see check.h).
 *
 * Records first: their cursor entries are collected (pointers into the
 * map, valid for the read transaction) and verified on threads, each
 * thread owning a slice of the array.  Then, on the calling thread, each
 * record's index entries are looked up (the forward direction: every
 * entry the record implies is there), and each index is walked (the
 * backward direction: every entry is implied by a record), which with the
 * counts proves both sides equal.  Chunks, membership and search have
 * their checks next to their writers (itemset.c, member.c, search.c).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/check.h"
#include "store/internal.h"

/* A clock far ahead: a check does not refuse records for their time. */
#define CHECK_NOW_MS (UINT64_MAX / 2)

struct check {
	struct store *st;
	MDB_txn *txn;
	check_fn fn;
	void *ctx;
	struct check_stats *stats;
	int has_net;
	uint8_t network_id[32];
};

/* One entry of `records` and what the verifying thread made of it. */
struct check_rec {
	MDB_val k, v;
	int code;
};

struct check_chunk {
	const struct check *ck;
	struct check_rec *recs;
	size_t begin, end;
};

void
check_problem(struct check *ck, const char *db, const char *fmt, ...)
{
	char msg[CHECK_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->stats->problems++;
	if (ck->fn != NULL)
		ck->fn(ck->ctx, db, msg);
}

MDB_txn *
check_txn(struct check *ck)
{
	return ck->txn;
}

/* The first 16 hex digits of id, for messages. */
static const char *
check_hex(char out[17], const uint8_t *id)
{
	char hex[2 * RECORD_ID_LEN + 1];

	record_id_hex(hex, id);
	memcpy(out, hex, 16);
	out[16] = '\0';
	return out;
}

static size_t
check_objkey(uint8_t out[STORE_OBJKEY_MAX], const char *kind, const char *key)
{
	size_t kl = strlen(kind), l = strlen(key);

	memcpy(out, kind, kl);
	out[kl] = '\0';
	memcpy(out + kl + 1, key, l);
	return kl + 1 + l;
}

/*
 * Verify one stored record as ingest would, but the clock: container,
 * header, id equal to the key, canonical encoding, signature, body.
 */
static int
check_verify(const struct check *ck, const MDB_val *k, const MDB_val *v,
    struct errbuf *eb)
{
	uint8_t id[RECORD_ID_LEN], net[32];
	struct record_header h;
	struct record r;
	struct mpw w;
	int rc, same;

	if ((rc = record_decode(&r, v->mv_data, v->mv_size, eb)) != 0 ||
	    (rc = record_check(&r, &h, id, eb)) != 0)
		return rc;
	if (k->mv_size != RECORD_ID_LEN ||
	    memcmp(k->mv_data, id, RECORD_ID_LEN) != 0)
		return fail(eb, AMIE_ESIG,
		    "stored under a key that is not "
		    "its id");
	mpw_init(&w, RECORD_ENCODED_MAX);
	record_encode(&r, &w);
	same = w.len == v->mv_size && memcmp(w.buf, v->mv_data, w.len) == 0;
	mpw_release(&w);
	if (!same)
		return fail(eb, AMIE_EPROTO, "record: not in canonical form");
	if (strcmp(h.kind, "charter") == 0)
		record_network_id(net, r.header, r.header_len);
	else if (ck->has_net)
		memcpy(net, ck->network_id, 32);
	else
		return fail(eb, AMIE_EREFUSED,
		    "stored while the store has no network id");
	return record_verify(&r, &h, id, net, CHECK_NOW_MS, eb);
}

static void *
check_verify_run(void *arg)
{
	struct check_chunk *j = arg;

	for (size_t i = j->begin; i < j->end; i++)
		j->recs[i].code =
		    check_verify(j->ck, &j->recs[i].k, &j->recs[i].v, NULL);
	return NULL;
}

/* Verify every record of recs on the store's verifying threads. */
static void
check_verify_all(struct check *ck, struct check_rec *recs, size_t n)
{
	struct check_chunk jobs[STORE_THREADS_MAX];
	pthread_t threads[STORE_THREADS_MAX];
	unsigned t, nt = ck->st->verify_threads, started = 0;

	if (n == 0)
		return;
	if (nt > n)
		nt = (unsigned)n;
	for (t = 0; t < nt; t++) {
		jobs[t].ck = ck;
		jobs[t].recs = recs;
		jobs[t].begin = n * t / nt;
		jobs[t].end = n * (t + 1) / nt;
		if (t + 1 < nt &&
		    pthread_create(&threads[t], NULL, check_verify_run,
			&jobs[t]) == 0)
			started = t + 1;
		else if (t + 1 < nt)
			check_verify_run(&jobs[t]);
	}
	check_verify_run(&jobs[nt - 1]);
	for (t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

/* Decode the header of the record stored at id: 0, or -1. */
static int
check_header(struct check *ck, const uint8_t *id, struct record_header *h,
    struct record *r)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	uint8_t rid[RECORD_ID_LEN];

	if (mdb_get(ck->txn, ck->st->records, &k, &v) != 0 ||
	    record_decode(r, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_check(r, h, rid, NULL) != 0)
		return -1;
	return 0;
}

/* 1 when the duplicate (k, v) is in the MDB_DUPSORT database dbi. */
static int
check_has_dup(struct check *ck, MDB_dbi dbi, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };
	MDB_cursor *c;
	int mrc;

	if (mdb_cursor_open(ck->txn, dbi, &c) != 0)
		return 0;
	mrc = mdb_cursor_get(c, &key, &val, MDB_GET_BOTH);
	mdb_cursor_close(c);
	return mrc == 0;
}

/* 1 when a stored record of the same object as h refs id. */
static int
check_replaced(struct check *ck, const struct record_header *h,
    const uint8_t *id)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	MDB_cursor *c;
	int mrc, replaced = 0;

	if (mdb_cursor_open(ck->txn, ck->st->refby, &c) != 0)
		return 0;
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	while (mrc == 0 && !replaced) {
		struct record_header rh;
		struct record rr;

		if (v.mv_size == RECORD_ID_LEN &&
		    check_header(ck, v.mv_data, &rh, &rr) == 0 &&
		    strcmp(rh.kind, h->kind) == 0 &&
		    strcmp(rh.key, h->key) == 0)
			replaced = 1;
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
	}
	mdb_cursor_close(c);
	return replaced;
}

/* Whether the record (h, id) is served: in the item set. */
static int
check_served(struct check *ck, const struct record_header *h)
{
	char hex[2 * RECORD_KEY_LEN + 1];
	uint64_t until = 0;
	int admitted = 0;

	if (member_served_until(ck->st, ck->txn, h->author, &until,
	    &admitted) != 0)
		until = admitted = 0;
	if (h->ts < until)
		return 1;
	/* An admitted member's removal of itself stays served. */
	record_id_hex(hex, h->author);
	return admitted && strcmp(h->kind, "member.remove") == 0 &&
	    strcmp(h->key, hex) == 0;
}

/* The body follows its kind's rules, as ingest checked them. */
static void
check_body(struct check *ck, const struct record *r,
    const struct record_header *h, const uint8_t *id)
{
	struct body_charter c;
	struct body_tombstone t;
	struct body_kb a;
	struct errbuf e;
	char x[17];
	int rc = 0;

	if (r->body == NULL || (h->flags & RECORD_FLAG_ENCRYPTED))
		return;
	errbuf_clear(&e);
	if (strcmp(h->kind, "kb") == 0)
		rc = body_kb_decode(&a, r->body, r->body_len, &e);
	else if (strcmp(h->kind, "tombstone") == 0)
		rc = body_tombstone_decode(&t, r->body, r->body_len, &e);
	else if (strcmp(h->kind, "charter") == 0)
		rc = body_charter_decode(&c, r->body, r->body_len, &e);
	if (rc != 0)
		check_problem(ck, "records", "record %s (%s): body: %s",
		    check_hex(x, id), h->kind, e.msg);
}

/* Every index entry that the record (h, id) implies is there. */
static void
check_forward(struct check *ck, const struct record *r,
    const struct record_header *h, const uint8_t *id, uint64_t *heads,
    uint64_t *items)
{
	struct store *st = ck->st;
	uint8_t ok[STORE_OBJKEY_MAX], tsid[STORE_TSID_LEN];
	size_t oklen = check_objkey(ok, h->kind, h->key);
	MDB_val k, v;
	int served, in_items, is_head, in_heads;
	char x[17], y[17];

	store_be64(tsid, h->ts);
	memcpy(tsid + 8, id, RECORD_ID_LEN);
	check_hex(x, id);

	served = check_served(ck, h);
	k.mv_size = sizeof(tsid);
	k.mv_data = tsid;
	in_items = mdb_get(ck->txn, st->items, &k, &v) == 0;
	if (served && !in_items)
		check_problem(ck, "items",
		    "record %s (%s) is missing from "
		    "the item set",
		    x, h->kind);
	else if (!served && in_items)
		check_problem(ck, "items",
		    "record %s (%s) of a removed "
		    "member is in the item set",
		    x, h->kind);
	*items += served;

	if (!check_has_dup(ck, st->revs, ok, oklen, tsid, sizeof(tsid)))
		check_problem(ck, "revs",
		    "record %s (%s %.40s) is not a "
		    "revision of its object",
		    x, h->kind, h->key);
	if (!check_has_dup(ck, st->byauthor, h->author, RECORD_KEY_LEN, tsid,
		sizeof(tsid)))
		check_problem(ck, "byauthor",
		    "record %s (%s) is not listed "
		    "under its author",
		    x, h->kind);
	for (uint32_t i = 0; i < h->refs_count; i++)
		if (!check_has_dup(ck, st->refby, h->refs[i], RECORD_ID_LEN, id,
			RECORD_ID_LEN))
			check_problem(ck, "refby",
			    "record %s refs %s but "
			    "refby does not say so",
			    x, check_hex(y, h->refs[i]));

	is_head = !check_replaced(ck, h, id);
	in_heads = check_has_dup(ck, st->heads, ok, oklen, tsid, sizeof(tsid));
	if (is_head && !in_heads)
		check_problem(ck, "heads",
		    "record %s (%s %.40s) is a head "
		    "but not listed as one",
		    x, h->kind, h->key);
	else if (!is_head && in_heads)
		check_problem(ck, "heads",
		    "record %s (%s %.40s) is listed "
		    "as a head but a later revision replaces it",
		    x, h->kind, h->key);
	*heads += is_head;

	if (strcmp(h->kind, "kb") == 0 && r->body != NULL) {
		k.mv_size = oklen;
		k.mv_data = ok;
		if (mdb_get(ck->txn, st->deleted, &k, &v) == 0)
			check_problem(ck, "deleted",
			    "record %s of deleted "
			    "article %.40s still has its body",
			    x, h->key);
	}
	if (strcmp(h->kind, "tombstone") == 0) {
		for (uint32_t i = 0; i < h->refs_count; i++) {
			struct record_header th;
			struct record tr;

			if (check_header(ck, h->refs[i], &th, &tr) != 0)
				continue;
			k.mv_size = check_objkey(ok, th.kind, th.key);
			k.mv_data = ok;
			if (mdb_get(ck->txn, st->deleted, &k, &v) != 0)
				check_problem(ck, "deleted",
				    "tombstone %s "
				    "deletes %s %.40s, which is not marked "
				    "deleted",
				    x, th.kind, th.key);
		}
	}
}

/* Walk a database of ts || id values (revs, heads, byauthor): each
 * entry names a stored record of the key's object or author. */
static uint64_t
check_walk_tsid(struct check *ck, MDB_dbi dbi, const char *db, int by_author)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0;
	int mrc;
	char x[17];

	if (mdb_cursor_open(ck->txn, dbi, &c) != 0)
		return 0;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint8_t ok[STORE_OBJKEY_MAX];
		struct record_header h;
		struct record r;
		size_t oklen;

		n++;
		if (v.mv_size != STORE_TSID_LEN) {
			check_problem(ck, db, "an entry has a %zu-byte value",
			    v.mv_size);
			continue;
		}
		check_hex(x, (const uint8_t *)v.mv_data + 8);
		if (check_header(ck, (const uint8_t *)v.mv_data + 8, &h, &r) !=
		    0) {
			check_problem(ck, db,
			    "entry for record %s, which is "
			    "not stored",
			    x);
			continue;
		}
		if (h.ts != store_get_be64(v.mv_data))
			check_problem(ck, db,
			    "entry for record %s has ts %llu, "
			    "the record %llu",
			    x, (unsigned long long)store_get_be64(v.mv_data),
			    (unsigned long long)h.ts);
		if (by_author) {
			if (k.mv_size != RECORD_KEY_LEN ||
			    memcmp(k.mv_data, h.author, RECORD_KEY_LEN) != 0)
				check_problem(ck, db,
				    "record %s is listed "
				    "under another author",
				    x);
			continue;
		}
		oklen = check_objkey(ok, h.kind, h.key);
		if (k.mv_size != oklen || memcmp(k.mv_data, ok, oklen) != 0)
			check_problem(ck, db,
			    "record %s (%s %.40s) is listed "
			    "under another object",
			    x, h.kind, h.key);
	}
	mdb_cursor_close(c);
	if (mrc != MDB_NOTFOUND)
		check_problem(ck, db, "cannot be read: %s", mdb_strerror(mrc));
	return n;
}

/* Each item is a stored record with that ts. */
static uint64_t
check_walk_items(struct check *ck)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0;
	int mrc;
	char x[17];

	if (mdb_cursor_open(ck->txn, ck->st->items, &c) != 0)
		return 0;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct record_header h;
		struct record r;

		n++;
		if (k.mv_size != STORE_TSID_LEN) {
			check_problem(ck, "items", "an item has a %zu-byte key",
			    k.mv_size);
			continue;
		}
		check_hex(x, (const uint8_t *)k.mv_data + 8);
		if (check_header(ck, (const uint8_t *)k.mv_data + 8, &h, &r) !=
		    0)
			check_problem(ck, "items",
			    "item %s is not a stored "
			    "record",
			    x);
		else if (h.ts != store_get_be64(k.mv_data))
			check_problem(ck, "items",
			    "item %s has ts %llu, the "
			    "record %llu",
			    x, (unsigned long long)store_get_be64(k.mv_data),
			    (unsigned long long)h.ts);
	}
	mdb_cursor_close(c);
	if (mrc != MDB_NOTFOUND)
		check_problem(ck, "items", "cannot be read: %s",
		    mdb_strerror(mrc));
	return n;
}

/* Each refby entry (a, b): b is stored and refs a. */
static uint64_t
check_walk_refby(struct check *ck)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0;
	int mrc;
	char x[17], y[17];

	if (mdb_cursor_open(ck->txn, ck->st->refby, &c) != 0)
		return 0;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct record_header h;
		struct record r;
		int found = 0;

		n++;
		if (k.mv_size != RECORD_ID_LEN || v.mv_size != RECORD_ID_LEN) {
			check_problem(ck, "refby", "an entry is malformed");
			continue;
		}
		check_hex(x, v.mv_data);
		check_hex(y, k.mv_data);
		if (check_header(ck, v.mv_data, &h, &r) != 0) {
			check_problem(ck, "refby",
			    "record %s, said to ref %s, "
			    "is not stored",
			    x, y);
			continue;
		}
		for (uint32_t i = 0; i < h.refs_count && !found; i++)
			found =
			    memcmp(h.refs[i], k.mv_data, RECORD_ID_LEN) == 0;
		if (!found)
			check_problem(ck, "refby",
			    "record %s is said to ref "
			    "%s but does not",
			    x, y);
	}
	mdb_cursor_close(c);
	if (mrc != MDB_NOTFOUND)
		check_problem(ck, "refby", "cannot be read: %s",
		    mdb_strerror(mrc));
	return n;
}

/* authors: each author's latest ts, one entry per author of byauthor. */
static void
check_walk_authors(struct check *ck)
{
	MDB_cursor *c, *b;
	MDB_val k, v, bk, bv;
	uint64_t n = 0, m = 0;
	int mrc;
	char x[17];

	if (mdb_cursor_open(ck->txn, ck->st->authors, &c) != 0)
		return;
	if (mdb_cursor_open(ck->txn, ck->st->byauthor, &b) != 0) {
		mdb_cursor_close(c);
		return;
	}
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		n++;
		if (k.mv_size != RECORD_KEY_LEN || v.mv_size != 8) {
			check_problem(ck, "authors", "an entry is malformed");
			continue;
		}
		check_hex(x, k.mv_data);
		bk = k;
		if (mdb_cursor_get(b, &bk, &bv, MDB_SET_KEY) != 0 ||
		    mdb_cursor_get(b, &bk, &bv, MDB_LAST_DUP) != 0 ||
		    bv.mv_size != STORE_TSID_LEN) {
			check_problem(ck, "authors",
			    "author %s has no "
			    "record",
			    x);
			continue;
		}
		if (store_get_be64(bv.mv_data) != store_get_be64(v.mv_data))
			check_problem(ck, "authors",
			    "author %s: latest ts "
			    "%llu, its latest record %llu",
			    x, (unsigned long long)store_get_be64(v.mv_data),
			    (unsigned long long)store_get_be64(bv.mv_data));
	}
	for (mrc = mdb_cursor_get(b, &bk, &bv, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(b, &bk, &bv, MDB_NEXT_NODUP))
		m++;
	mdb_cursor_close(b);
	mdb_cursor_close(c);
	if (n != m)
		check_problem(ck, "authors",
		    "%llu authors listed, %llu have "
		    "records",
		    (unsigned long long)n, (unsigned long long)m);
}

/* deleted: each entry names a stored tombstone of that object; every
 * revision of it is purged (checked from the records). */
static void
check_walk_deleted(struct check *ck)
{
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	if (mdb_cursor_open(ck->txn, ck->st->deleted, &c) != 0)
		return;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct record_header h;
		struct record r;
		int found = 0;
		char x[17];

		if (v.mv_size != RECORD_ID_LEN) {
			check_problem(ck, "deleted", "an entry is malformed");
			continue;
		}
		check_hex(x, v.mv_data);
		if (check_header(ck, v.mv_data, &h, &r) != 0 ||
		    strcmp(h.kind, "tombstone") != 0) {
			check_problem(ck, "deleted",
			    "%.40s is marked "
			    "deleted by %s, which is no stored tombstone",
			    (const char *)k.mv_data, x);
			continue;
		}
		for (uint32_t i = 0; i < h.refs_count && !found; i++) {
			uint8_t ok[STORE_OBJKEY_MAX];
			struct record_header th;
			struct record tr;
			size_t oklen;

			if (check_header(ck, h.refs[i], &th, &tr) != 0)
				continue;
			oklen = check_objkey(ok, th.kind, th.key);
			found = oklen == k.mv_size &&
			    memcmp(ok, k.mv_data, oklen) == 0;
		}
		if (!found)
			check_problem(ck, "deleted",
			    "tombstone %s does not "
			    "delete the object marked with it",
			    x);
	}
	mdb_cursor_close(c);
}

/* Entries of dbi. */
static uint64_t
check_entries(struct check *ck, MDB_dbi dbi)
{
	MDB_stat s;

	if (mdb_stat(ck->txn, dbi, &s) != 0)
		return 0;
	return s.ms_entries;
}

/* The records: collected, verified on threads, then their indexes. */
static int
check_records(struct check *ck, uint64_t *heads, uint64_t *items)
{
	struct check_rec *recs;
	size_t n = 0, cap = 1024;
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	recs = xmalloc(cap * sizeof(*recs));
	if ((mrc = mdb_cursor_open(ck->txn, ck->st->records, &c)) != 0) {
		free(recs);
		return mrc;
	}
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (n == cap) {
			cap *= 2;
			recs = xrealloc(recs, cap * sizeof(*recs));
		}
		recs[n].k = k;
		recs[n].v = v;
		recs[n++].code = 0;
	}
	mdb_cursor_close(c);
	if (mrc != MDB_NOTFOUND) {
		free(recs);
		return mrc;
	}
	ck->stats->records = n;
	check_verify_all(ck, recs, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t id[RECORD_ID_LEN];
		struct record_header h;
		struct record r;
		struct errbuf e;
		char x[17];

		if (recs[i].code != 0) {
			errbuf_clear(&e);
			check_verify(ck, &recs[i].k, &recs[i].v, &e);
			check_problem(ck, "records", "record %s: %s",
			    recs[i].k.mv_size == RECORD_ID_LEN ?
				check_hex(x, recs[i].k.mv_data) :
				"(bad key)",
			    e.msg);
		}
		if (recs[i].k.mv_size != RECORD_ID_LEN ||
		    record_decode(&r, recs[i].v.mv_data, recs[i].v.mv_size,
			NULL) != 0 ||
		    record_check(&r, &h, id, NULL) != 0)
			continue;
		check_body(ck, &r, &h, id);
		check_forward(ck, &r, &h, id, heads, items);
	}
	free(recs);
	return 0;
}

/* What the network id and the charter in meta say. */
static void
check_meta(struct check *ck)
{
	uint8_t charter[RECORD_ID_LEN], net[32];
	struct record_header h;
	struct record r;

	if (store_meta_get(ck->st, ck->txn, "charter", charter,
		sizeof(charter)) != 0) {
		if (ck->has_net)
			check_problem(ck, "meta",
			    "a network id but no "
			    "charter");
		return;
	}
	if (check_header(ck, charter, &h, &r) != 0 ||
	    strcmp(h.kind, "charter") != 0) {
		check_problem(ck, "meta", "the charter is not stored");
		return;
	}
	record_network_id(net, r.header, r.header_len);
	if (!ck->has_net || memcmp(net, ck->network_id, 32) != 0)
		check_problem(ck, "meta",
		    "the network id is not the "
		    "charter's");
}

int
check_run(struct store *st, check_fn fn, void *ctx, struct check_stats *out,
    struct errbuf *eb)
{
	struct check_stats stats;
	struct check ck;
	struct errbuf e;
	uint64_t heads = 0, items = 0, n;
	int mrc;

	memset(&stats, 0, sizeof(stats));
	memset(&ck, 0, sizeof(ck));
	ck.st = st;
	ck.fn = fn;
	ck.ctx = ctx;
	ck.stats = &stats;
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &ck.txn)) != 0)
		return store_fail(eb, mrc, "check");
	ck.has_net =
	    store_meta_get(st, ck.txn, "network_id", ck.network_id, 32) == 0;
	check_meta(&ck);
	if ((mrc = check_records(&ck, &heads, &items)) != 0) {
		mdb_txn_abort(ck.txn);
		return store_fail(eb, mrc, "check: records");
	}

	stats.items = check_walk_items(&ck);
	if (stats.items != items)
		check_problem(&ck, "items", "%llu items, %llu served records",
		    (unsigned long long)stats.items, (unsigned long long)items);
	errbuf_clear(&e);
	if (itemset_verify_txn(st, ck.txn, &e) != 0)
		check_problem(&ck, "chunks", "%s", e.msg);
	if ((n = check_walk_tsid(&ck, st->revs, "revs", 0)) != stats.records)
		check_problem(&ck, "revs", "%llu revisions, %llu records",
		    (unsigned long long)n, (unsigned long long)stats.records);
	if ((n = check_walk_tsid(&ck, st->heads, "heads", 0)) != heads)
		check_problem(&ck, "heads", "%llu heads listed, %llu expected",
		    (unsigned long long)n, (unsigned long long)heads);
	if ((n = check_walk_tsid(&ck, st->byauthor, "byauthor", 1)) !=
	    stats.records)
		check_problem(&ck, "byauthor", "%llu entries, %llu records",
		    (unsigned long long)n, (unsigned long long)stats.records);
	check_walk_refby(&ck);
	check_walk_authors(&ck);
	check_walk_deleted(&ck);
	{
		MDB_cursor *c;
		MDB_val k, v;

		if (mdb_cursor_open(ck.txn, st->revs, &c) == 0) {
			for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
			     mrc == 0;
			     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP))
				stats.objects++;
			mdb_cursor_close(c);
		}
	}
	stats.members = check_entries(&ck, st->members);
	member_verify(st, ck.txn, &ck);
	search_verify(st, ck.txn, &ck, &stats.articles);
	mdb_txn_abort(ck.txn);
	*out = stats;
	return 0;
}
