/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Invites, in the `invites` database:
 *   secret hash (32) -> expiry_ms (8, big endian) || uses left (4, big
 *   endian)
 * A spent invite stays with 0 uses left, so that a second use is told
 * "already used" rather than "unknown".  Each call is its own write (or
 * read) transaction; the store is used by one thread at a time.
 */
#include <string.h>

#include "store/internal.h"
#include "store/invite.h"

#define INVITE_VAL_LEN 12

static void
invite_pack(uint8_t v[INVITE_VAL_LEN], uint64_t expiry_ms, uint32_t uses)
{
	store_be64(v, expiry_ms);
	v[8] = (uint8_t)(uses >> 24);
	v[9] = (uint8_t)(uses >> 16);
	v[10] = (uint8_t)(uses >> 8);
	v[11] = (uint8_t)uses;
}

static uint32_t
invite_uses(const uint8_t v[INVITE_VAL_LEN])
{
	return (uint32_t)v[8] << 24 | (uint32_t)v[9] << 16 |
	    (uint32_t)v[10] << 8 | v[11];
}

int
invite_add(struct store *st, const uint8_t secret_hash[32],
    uint64_t expiry_ms, uint32_t uses, struct errbuf *eb)
{
	uint8_t v[INVITE_VAL_LEN];
	MDB_txn *txn;
	int mrc;

	if (uses < 1 || uses > INVITE_USES_MAX)
		return fail(eb, AMIE_EUSAGE,
		    "invite: %u uses, expected 1 to %d", uses,
		    INVITE_USES_MAX);
	invite_pack(v, expiry_ms, uses);
	if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_fail(eb, mrc, "invite");
	if ((mrc = store_put(txn, st->invites, secret_hash, 32, v, sizeof(v),
	    0)) != 0) {
		mdb_txn_abort(txn);
		return store_fail(eb, mrc, "invite");
	}
	if ((mrc = store_commit(st, txn, 1)) != 0)
		return store_fail(eb, mrc, "invite");
	return 0;
}

int
invite_use(struct store *st, const uint8_t secret_hash[32], uint64_t now_ms,
    struct errbuf *eb)
{
	MDB_val k = { 32, (void *)secret_hash }, v;
	uint8_t nv[INVITE_VAL_LEN];
	uint64_t expiry_ms;
	uint32_t uses;
	MDB_txn *txn;
	int mrc, rc = 0;

	if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_fail(eb, mrc, "invite");
	mrc = mdb_get(txn, st->invites, &k, &v);
	if (mrc == MDB_NOTFOUND || (mrc == 0 && v.mv_size != INVITE_VAL_LEN)) {
		rc = fail(eb, AMIE_EREFUSED, "invite: unknown secret");
		goto out;
	}
	if (mrc != 0) {
		rc = store_fail(eb, mrc, "invite");
		goto out;
	}
	expiry_ms = store_get_be64(v.mv_data);
	uses = invite_uses(v.mv_data);
	if (uses == 0) {
		rc = fail(eb, AMIE_EREFUSED, "invite: already used");
		goto out;
	}
	if (now_ms >= expiry_ms) {
		rc = fail(eb, AMIE_EREFUSED, "invite: expired");
		goto out;
	}
	invite_pack(nv, expiry_ms, uses - 1);
	if ((mrc = store_put(txn, st->invites, secret_hash, 32, nv,
	    sizeof(nv), 0)) != 0) {
		rc = store_fail(eb, mrc, "invite");
		goto out;
	}
	if ((mrc = store_commit(st, txn, 1)) != 0)
		return store_fail(eb, mrc, "invite");
	return 0;

out:
	mdb_txn_abort(txn);
	return rc;
}

int
invite_pending(struct store *st, uint64_t now_ms)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int mrc, pending = 0;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_cursor_open(txn, st->invites, &cur) == 0) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		while (mrc == 0 && !pending) {
			pending = v.mv_size == INVITE_VAL_LEN &&
			    invite_uses(v.mv_data) > 0 &&
			    now_ms < store_get_be64(v.mv_data);
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return pending;
}

int
invite_forget_all(struct store *st, size_t *count, struct errbuf *eb)
{
	MDB_txn *txn;
	MDB_stat ms;
	int mrc;

	*count = 0;
	if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_fail(eb, mrc, "invites");
	if ((mrc = mdb_stat(txn, st->invites, &ms)) != 0 ||
	    (mrc = mdb_drop(txn, st->invites, 0)) != 0) {
		mdb_txn_abort(txn);
		return store_fail(eb, mrc, "invites");
	}
	if ((mrc = store_commit(st, txn, 1)) != 0)
		return store_fail(eb, mrc, "invites");
	*count = ms.ms_entries;
	return 0;
}
