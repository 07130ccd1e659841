/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/tombstone.h"

static size_t
tombstone_objkey(uint8_t out[STORE_OBJKEY_MAX], const char *kind,
    const char *key)
{
	size_t kl = strlen(kind), l = strlen(key);

	memcpy(out, kind, kl);
	out[kl] = '\0';
	memcpy(out + kl + 1, key, l);
	return kl + 1 + l;
}

int
tombstone_deleted_txn(struct store *st, MDB_txn *txn, const char *kind,
    const char *key)
{
	uint8_t ok[STORE_OBJKEY_MAX];
	MDB_val k, v;

	k.mv_size = tombstone_objkey(ok, kind, key);
	k.mv_data = ok;
	return mdb_get(txn, st->deleted, &k, &v) == 0;
}

int
tombstone_is_deleted(struct store *st, const char *kind, const char *key)
{
	MDB_txn *txn;
	int deleted;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	deleted = tombstone_deleted_txn(st, txn, kind, key);
	mdb_txn_abort(txn);
	return deleted;
}

/* The decoded header of stored record id. */
static int
tombstone_header(struct store *st, MDB_txn *txn, const uint8_t id[32],
    struct record_header *h)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	struct record r;

	if (mdb_get(txn, st->records, &k, &v) != 0 ||
	    record_decode(&r, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_header_decode(h, r.header, r.header_len, NULL) != 0)
		return -1;
	return 0;
}

/* The author of the first revision (lowest ts, then id) of an object. */
static int
tombstone_first_author(struct store *st, MDB_txn *txn, const char *kind,
    const char *key, uint8_t author[32])
{
	uint8_t ok[STORE_OBJKEY_MAX];
	struct record_header h;
	MDB_cursor *c;
	MDB_val k, v;
	int rc = -1;

	k.mv_size = tombstone_objkey(ok, kind, key);
	k.mv_data = ok;
	if (mdb_cursor_open(txn, st->revs, &c) != 0)
		return -1;
	if (mdb_cursor_get(c, &k, &v, MDB_SET_KEY) == 0 &&
	    mdb_cursor_get(c, &k, &v, MDB_FIRST_DUP) == 0 &&
	    v.mv_size == STORE_TSID_LEN &&
	    tombstone_header(st, txn, (uint8_t *)v.mv_data + 8, &h) == 0) {
		memcpy(author, h.author, 32);
		rc = 0;
	}
	mdb_cursor_close(c);
	return rc;
}

int
tombstone_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct errbuf *eb)
{
	struct body_tombstone t;
	struct record_header th;
	uint8_t author[32];
	int rc;

	if (h->key[0] != '\0' || h->refs_count == 0)
		return fail(eb, AMIE_EREFUSED,
		    "tombstone: key must be empty and refs name the targets");
	if (r->body == NULL || (h->flags & RECORD_FLAG_ENCRYPTED))
		return fail(eb, AMIE_EREFUSED,
		    "tombstone: body must be present and public");
	if ((rc = body_tombstone_decode(&t, r->body, r->body_len, eb)) != 0)
		return fail_prefix(eb, "tombstone");
	for (uint32_t i = 0; i < h->refs_count; i++) {
		/* A target not stored yet comes first at the next sync. */
		if (tombstone_header(st, txn, h->refs[i], &th) != 0)
			return fail(eb, AMIE_EREFUSED,
			    "tombstone: target %u is not stored here yet", i);
		if (strcmp(th.kind, "kb") != 0)
			return fail(eb, AMIE_EREFUSED,
			    "tombstone: only articles can be deleted");
		if (tombstone_first_author(st, txn, th.kind, th.key,
		    author) != 0 ||
		    sodium_memcmp(author, h->author, 32) != 0)
			return fail(eb, AMIE_EREFUSED,
			    "tombstone: only the author of an article deletes "
			    "it");
	}
	return 0;
}

/* Rewrite stored record id without its body.  LMDB codes. */
static int
tombstone_purge(struct store *st, MDB_txn *txn, const uint8_t id[32])
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	struct record r;
	struct mpw w;
	int mrc;

	if ((mrc = mdb_get(txn, st->records, &k, &v)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	if (record_decode(&r, v.mv_data, v.mv_size, NULL) != 0 ||
	    r.body == NULL)
		return 0;
	r.body = NULL;
	r.body_len = 0;
	mpw_init(&w, RECORD_ENCODED_MAX);
	record_encode(&r, &w);
	/* r points into the map; the copy in w is made before the put. */
	mrc = store_put(txn, st->records, id, RECORD_ID_LEN, w.buf, w.len, 0);
	mpw_release(&w);
	return mrc;
}

int
tombstone_apply(struct store *st, MDB_txn *txn, const struct record_header *h,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t ok[STORE_OBJKEY_MAX];
	struct record_header th;
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	for (uint32_t i = 0; i < h->refs_count; i++) {
		size_t oklen;
		uint8_t (*revs)[32] = NULL;
		size_t n = 0, cap = 0;

		if (tombstone_header(st, txn, h->refs[i], &th) != 0)
			continue;
		oklen = tombstone_objkey(ok, th.kind, th.key);
		/* Out of the index while the indexed text can still be read. */
		if ((mrc = store_put(txn, st->deleted, ok, oklen, id,
		    RECORD_ID_LEN, 0)) != 0 ||
		    (mrc = search_article_changed(st, txn, th.key)) != 0)
			return mrc;
		/* Collect the revisions first: purging writes to records. */
		k.mv_size = oklen;
		k.mv_data = ok;
		if ((mrc = mdb_cursor_open(txn, st->revs, &c)) != 0)
			return mrc;
		mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
		while (mrc == 0) {
			if (v.mv_size == STORE_TSID_LEN) {
				if (n == cap) {
					cap = cap ? 2 * cap : 16;
					revs = xrealloc(revs, cap * 32);
				}
				memcpy(revs[n++], (uint8_t *)v.mv_data + 8, 32);
			}
			mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		}
		mdb_cursor_close(c);
		for (size_t j = 0; j < n; j++)
			if ((mrc = tombstone_purge(st, txn, revs[j])) != 0) {
				free(revs);
				return mrc;
			}
		free(revs);
	}
	return 0;
}
