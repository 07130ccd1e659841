/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Placeholder until the range accumulators land: items only. */
#include <string.h>

#include "store/internal.h"
#include "store/itemset.h"

int
itemset_add(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t k[STORE_TSID_LEN];

	store_be64(k, ts);
	memcpy(k + 8, id, RECORD_ID_LEN);
	return store_put(txn, st->items, k, sizeof(k), "", 0, 0);
}

int
itemset_del(struct store *st, MDB_txn *txn, uint64_t ts,
    const uint8_t id[RECORD_ID_LEN])
{
	uint8_t k[STORE_TSID_LEN];
	MDB_val key = { sizeof(k), k };

	store_be64(k, ts);
	memcpy(k + 8, id, RECORD_ID_LEN);
	return mdb_del(txn, st->items, &key, NULL);
}
