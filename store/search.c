/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Placeholder until the index lands. */
#include "store/internal.h"
#include "store/search.h"

int
search_article_changed(struct store *st, MDB_txn *txn, const char *key)
{
	(void)st;
	(void)txn;
	(void)key;
	return 0;
}
