/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Search in the knowledge base (DESIGN.md section 7): an inverted index
 * in LMDB, updated in the ingest transaction, so that search never
 * disagrees with the store.
 *
 * What is indexed is each article's display winner (latest ts, then
 * lowest id, among its heads), title and body, and nothing of a deleted
 * article.  One text pipeline (store/text.h) serves documents and
 * queries, so a word typed with or without accents, in any case,
 * singular or plural, finds the same articles.  Ranking is BM25 over the
 * title (boosted by SEARCH_TITLE_BOOST) and the body.
 */
#ifndef AMIE_STORE_SEARCH_H
#define AMIE_STORE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "proto/body.h"
#include "proto/record.h"
#include "store/store.h"

#define SEARCH_QUERY_MAX	1024	/* bytes of a query */
#define SEARCH_TERMS_MAX	32	/* terms of a query */
#define SEARCH_LIMIT_MAX	100	/* results of one query */
#define SEARCH_SNIPPET_MAX	240	/* bytes of a snippet */
#define SEARCH_TITLE_BOOST	3.0

/* Filters: NULL or "" means any. */
struct search_filter {
	const char *tag;
	const char *category;
	const char *lang;
	const uint8_t *author;		/* 32 bytes, or NULL */
};

struct search_result {
	char key[RECORD_KEY_MAX + 1];	/* the article id */
	uint8_t revision[RECORD_ID_LEN];	/* the winner indexed */
	double score;
	/* An excerpt of the body (or title) around the first matched
	 * words, UTF-8, with each matched word between "\x01" and "\x02"
	 * so that callers can highlight it or strip the marks. */
	char snippet[SEARCH_SNIPPET_MAX + 1];
};

/*
 * Run query (words; at most SEARCH_QUERY_MAX bytes) with the filters f
 * and write at most limit (<= SEARCH_LIMIT_MAX) results, best first, into
 * out, their number into *count.  Returns 0 (with *count 0 when nothing
 * matches), AMIE_EUSAGE for an empty or too long query, or AMIE_EIO.
 */
int search_query(struct store *st, const char *query,
    const struct search_filter *f, struct search_result *out, size_t limit,
    size_t *count, struct errbuf *eb);

/*
 * What the last search_query() on st did, for tests and benchmarks:
 * candidates (numbers with every word, or any in the fallback, that pass
 * the filters) scored, and candidates pruned, left out without being
 * looked up in every word's postings because their score could not
 * reach the results (MaxScore; see search.c).
 */
struct search_work {
	uint64_t scored;
	uint64_t pruned;
};

void search_work(struct store *st, struct search_work *w);

/*
 * With exhaustive set, search_query() on st scores every candidate and
 * prunes none: the reference the pruned path must equal, same results
 * in the same order with the same scores.  For tests and benchmarks.
 */
void search_set_exhaustive(struct store *st, int exhaustive);

/*
 * Rebuild the whole index from the records, in one write transaction.
 * Returns 0 or AMIE_EIO.  *articles gets the number indexed.  A rebuild
 * in steps under way (below) is over with it.
 */
int search_reindex(struct store *st, uint64_t *articles, struct errbuf *eb);

/*
 * A rebuild in steps, each step its own write transaction, so that the
 * daemon answers between them.  search_reindex_start() drops the index
 * and leaves a mark in the store saying that a rebuild is under way, of
 * *total articles (the articles stored now).  search_reindex_step() goes
 * through the next count (> 0) articles, in article id order, indexing
 * their winners, and moves the mark past them; the step that reaches
 * the last article removes the mark.  The mark is committed with the
 * step, so after a crash or a restart the next step resumes after the
 * last article of the last step committed.
 *
 * While the mark is there the index holds the articles gone through
 * and every article written or deleted since the start (ingest keeps
 * them up to date as always); the others are missing.  search_query()
 * answers from what is there: it may miss an article, never return a
 * wrong one.  search_reindex_progress() tells whether that is so.
 * Each returns 0, AMIE_EIO, or, for search_reindex_step() when no
 * rebuild is under way, AMIE_ENOTFOUND.
 */
struct search_progress {
	int running;			/* a mark is there */
	uint64_t done;			/* articles gone through */
	uint64_t total;			/* at the start, or done if more */
};

int search_reindex_start(struct store *st, uint64_t *total,
    struct errbuf *eb);
int search_reindex_step(struct store *st, uint64_t count,
    struct search_progress *pr, struct errbuf *eb);
int search_reindex_progress(struct store *st, struct search_progress *pr,
    struct errbuf *eb);

/* Index size in bytes (pages of the search databases) and the number of
 * articles indexed, for status and benchmarks. */
int search_stats(struct store *st, uint64_t *bytes, uint64_t *articles,
    struct errbuf *eb);

#endif
