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

int
search_query(struct store *st, const char *query,
    const struct search_filter *f, struct search_result *out, size_t limit,
    size_t *count, struct errbuf *eb)
{
	(void)st;
	(void)query;
	(void)f;
	(void)out;
	(void)limit;
	(void)eb;
	*count = 0;
	return 0;
}

int
search_reindex(struct store *st, uint64_t *articles, struct errbuf *eb)
{
	(void)st;
	(void)eb;
	*articles = 0;
	return 0;
}
