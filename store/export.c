/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "store/export.h"
#include "store/internal.h"

int
export_page(struct store *st, const uint8_t *after, uint64_t since_ms,
    const char *kind, size_t max_bytes, size_t max_count, export_fn fn,
    void *ctx, uint8_t next[EXPORT_CURSOR_LEN], int *done, struct errbuf *eb)
{
	uint8_t start[EXPORT_CURSOR_LEN];
	size_t bytes = 0, count = 0, scanned = 0;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int mrc;

	if (after != NULL) {
		memcpy(start, after, sizeof(start));
	} else {
		memset(start, 0, sizeof(start));
		store_be64(start, since_ms);
	}
	memcpy(next, start, EXPORT_CURSOR_LEN);
	*done = 0;
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "export");
	if ((mrc = mdb_cursor_open(txn, st->items, &c)) != 0) {
		mdb_txn_abort(txn);
		return store_fail(eb, mrc, "export");
	}
	k.mv_size = sizeof(start);
	k.mv_data = start;
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	/* A cursor names the last item given: start after it. */
	if (mrc == 0 && after != NULL && k.mv_size == sizeof(start) &&
	    memcmp(k.mv_data, start, sizeof(start)) == 0)
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	for (; mrc == 0; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		MDB_val rk, rv;
		struct record_header h;
		struct record r;

		if (count == max_count || scanned == EXPORT_SCAN_MAX)
			break;
		scanned++;
		if (k.mv_size != EXPORT_CURSOR_LEN)
			continue;
		rk.mv_size = RECORD_ID_LEN;
		rk.mv_data = (uint8_t *)k.mv_data + 8;
		if (mdb_get(txn, st->records, &rk, &rv) != 0)
			continue;
		if (kind != NULL && kind[0] != '\0' &&
		    (record_decode(&r, rv.mv_data, rv.mv_size, NULL) != 0 ||
			record_header_decode(&h, r.header, r.header_len,
			    NULL) != 0 ||
			strcmp(h.kind, kind) != 0)) {
			memcpy(next, k.mv_data, EXPORT_CURSOR_LEN);
			continue;
		}
		if (count > 0 && bytes + rv.mv_size > max_bytes)
			break;
		fn(ctx, rv.mv_data, rv.mv_size);
		bytes += rv.mv_size;
		count++;
		memcpy(next, k.mv_data, EXPORT_CURSOR_LEN);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		*done = 1;
	else if (mrc != 0)
		return store_fail(eb, mrc, "export");
	return 0;
}
