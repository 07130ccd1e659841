/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Reconciliation reads: two stores of n items (10,000 and 100,000, and
 * 1,000,000 with BENCH_SCALE=1000000, and 10,000,000 with
 * BENCH_SCALE=10000000), identical or with 10 differences
 * spread over the set, reconciled in process through their item-set
 * snapshots (store/itemset.h) with the daemon's frame limit and
 * extensions (short ids, content splits).  The figure is the distinct
 * LMDB leaf pages both snapshots read (itemset_snap_pages), and its
 * growth from one size to the next against the growth of log2(n); the
 * cursor operations behind them (itemset_snap_reads) are printed
 * beside.  Which pages a sync reads depends on where the differences
 * fall among the runs, so the figures are means over BENCH_SETS sets of
 * ids (one seed each), with their standard error: one set alone moves
 * by a quarter either way.  A growth passes when it is at most that of
 * log2(n) plus twice its standard error: the pages grow as a
 * logarithm does, which puts the mean growth on the limit itself
 * (docs/performance.md).  Items are written straight through
 * itemset_add() in write transactions of our own, with the ladder kept
 * in memory through each as ingest does (itemset_batch()): records would
 * have to be signed and verified otherwise.  Prints tab-separated rows:
 * figure, value, unit, limit, ratio, target, verdict.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "store/internal.h"
#include "store/itemset.h"

#define BENCH_TS0 1764320000000ull
#define BENCH_FRAME_LIMIT (256 * 1024)
#define BENCH_TXN 10000		/* items per write transaction */
#define BENCH_SETS 32		/* sets of ids a size is measured on */
#define BENCH_SETS_BIG 16	/* the same at 1,000,000 items */
#define BENCH_SETS_HUGE 4	/* and at 10,000,000 */

struct bench_store {
	char dir[64];
	struct store *st;
};

static int
bench_open(struct bench_store *b)
{
	uint8_t self[RECORD_KEY_LEN] = { 0 };
	struct errbuf eb;

	snprintf(b->dir, sizeof(b->dir), "/tmp/amie-itemset-bench.XXXXXX");
	if (mkdtemp(b->dir) == NULL ||
	    store_open(&b->st, b->dir, self, &eb) != 0)
		return -1;
	return 0;
}

static void
bench_close(struct bench_store *b)
{
	char cmd[128];

	store_close(&b->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", b->dir);
}

/* Item i of set seed: one a millisecond, a pseudo-random id. */
static void
bench_item(uint64_t seed, uint64_t i, uint64_t *ts, uint8_t id[NEG_ID_LEN])
{
	uint64_t in[2] = { i, seed };

	*ts = BENCH_TS0 + i;
	crypto_generichash(id, NEG_ID_LEN, (const uint8_t *)in, sizeof(in),
	    NULL, 0);
}

/* Items 0 .. n - 1 of set seed into b, but for every skip-th when skip is
 * not 0. */
static int
bench_fill(struct bench_store *b, uint64_t seed, uint64_t n, uint64_t skip)
{
	uint8_t id[NEG_ID_LEN];
	uint64_t ts;
	MDB_txn *txn = NULL;
	int mrc = 0;

	for (uint64_t i = 0; i < n && mrc == 0; i++) {
		if (txn == NULL) {
			if ((mrc = mdb_txn_begin(b->st->env, NULL, 0,
			    &txn)) != 0)
				break;
			itemset_batch(b->st);
		}
		if (skip == 0 || i % skip != skip / 2) {
			bench_item(seed, i, &ts, id);
			mrc = itemset_add(b->st, txn, ts, id);
		}
		if (mrc == 0 &&
		    (i % BENCH_TXN == BENCH_TXN - 1 || i + 1 == n)) {
			if ((mrc = itemset_flush(b->st, txn)) == 0)
				mrc = mdb_txn_commit(txn);
			else
				mdb_txn_abort(txn);
			txn = NULL;
		}
	}
	if (txn != NULL) {
		itemset_discard(b->st);
		mdb_txn_abort(txn);
	}
	return mrc;
}

static int
bench_on_id(void *ctx, int have, const uint8_t id[NEG_ID_LEN],
    struct errbuf *eb)
{
	size_t *count = ctx;

	(void)have;
	(void)id;
	(void)eb;
	(*count)++;
	return 0;
}

static uint64_t
bench_pages(const struct itemset_snap *sa, const struct itemset_snap *sb)
{
	return itemset_snap_pages(sa) + itemset_snap_pages(sb);
}

/* Reconcile a (client) with b (server): pages read by both snapshots, or
 * -1; *nodes gets the cursor reads, *found the differences. */
static double
bench_sync(struct bench_store *a, struct bench_store *b, int verbose,
    double *nodes, size_t *found)
{
	struct itemset_snap *sa = NULL, *sb = NULL;
	struct neg client, server;
	struct neg_buf cmsg, smsg;
	struct errbuf eb;
	double reads = -1;
	uint64_t last;
	int rc, done = 0;

	*found = 0;
	if (itemset_snap_open(a->st, &sa, &eb) != 0 ||
	    itemset_snap_open(b->st, &sb, &eb) != 0 ||
	    neg_init(&client, itemset_snap_storage(sa), BENCH_FRAME_LIMIT,
	    &eb) != 0 ||
	    neg_init(&server, itemset_snap_storage(sb), BENCH_FRAME_LIMIT,
	    &eb) != 0) {
		itemset_snap_close(&sa);
		itemset_snap_close(&sb);
		return -1;
	}
	neg_set_extensions(&client,
	    NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS);
	neg_set_extensions(&server,
	    NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS);
	neg_buf_init(&cmsg);
	neg_buf_init(&smsg);
	rc = neg_initiate(&client, &cmsg, &eb);
	/* On stderr, for the first set, the pages each message cost its
	 * writer. */
	if (verbose)
		fprintf(stderr, "bench: itemset: %llu items, %s: pages per "
		    "message:", (unsigned long long)itemset_snap_count(sa),
		    a == b ? "identical" : "differing");
	last = bench_pages(sa, sb);
	if (verbose)
		fprintf(stderr, " %llu", (unsigned long long)last);
	while (rc == 0 && !done) {
		if ((rc = neg_reconcile_server(&server, cmsg.data, cmsg.len,
		    &smsg, &eb)) != 0)
			break;
		if (verbose)
			fprintf(stderr, " %llu",
			    (unsigned long long)(bench_pages(sa, sb) - last));
		last = bench_pages(sa, sb);
		rc = neg_reconcile_client(&client, smsg.data, smsg.len, &cmsg,
		    bench_on_id, found, &done, &eb);
		if (verbose)
			fprintf(stderr, " %llu",
			    (unsigned long long)(bench_pages(sa, sb) - last));
		last = bench_pages(sa, sb);
	}
	if (verbose)
		fprintf(stderr, "\n");
	if (rc == 0) {
		reads = (double)(itemset_snap_pages(sa) +
		    itemset_snap_pages(sb));
		*nodes = (double)(itemset_snap_reads(sa) +
		    itemset_snap_reads(sb));
	}
	else
		fprintf(stderr, "bench: itemset: %s\n", eb.msg);
	neg_buf_release(&cmsg);
	neg_buf_release(&smsg);
	neg_release(&client);
	neg_release(&server);
	itemset_snap_close(&sa);
	itemset_snap_close(&sb);
	return reads;
}

static double
bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Mean and standard error of the mean of v[0 .. n - 1]. */
static void
bench_mean(const double *v, size_t n, double *mean, double *se)
{
	double sum = 0, dev = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	*mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		dev += (v[i] - *mean) * (v[i] - *mean);
	*se = n > 1 ? sqrt(dev / (double)(n - 1) / (double)n) : 0;
}

/* Fill a and b with set seed of n items, b without 10 of them, and
 * reconcile them identical and differing: pages into reads[0 and 1],
 * cursor operations into nodes[]; *insert_us the time an insert took. */
static int
bench_set(uint64_t seed, uint64_t n, double reads[2], double nodes[2],
    double *insert_us)
{
	struct bench_store a, b;
	size_t found0, found10;
	double t0;

	if (bench_open(&a) != 0) {
		fprintf(stderr, "bench: cannot open the stores\n");
		return -1;
	}
	if (bench_open(&b) != 0) {
		fprintf(stderr, "bench: cannot open the stores\n");
		bench_close(&a);
		return -1;
	}
	t0 = bench_now();
	if (bench_fill(&a, seed, n, 0) != 0 ||
	    bench_fill(&b, seed, n, n / 10) != 0) {
		fprintf(stderr, "bench: cannot fill the item sets\n");
		bench_close(&a);
		bench_close(&b);
		return -1;
	}
	*insert_us = (bench_now() - t0) * 1e6 / (double)(2 * n - 10);
	reads[0] = bench_sync(&a, &a, seed == 0, &nodes[0], &found0);
	reads[1] = bench_sync(&a, &b, seed == 0, &nodes[1], &found10);
	bench_close(&a);
	bench_close(&b);
	if (reads[0] < 0 || reads[1] < 0 || found0 != 0 || found10 != 10) {
		fprintf(stderr, "bench: itemset: %zu and %zu differences "
		    "found, expected 0 and 10\n", found0, found10);
		return -1;
	}
	return 0;
}

int
main(void)
{
	const char *scale_env = getenv("BENCH_SCALE");
	uint64_t scale = scale_env ? strtoull(scale_env, NULL, 10) : 100000;
	uint64_t sizes[4] = { 10000, 100000, 1000000, 10000000 };
	static double reads[4][2][BENCH_SETS], nodes[4][2][BENCH_SETS];
	double mean[4][2], se[4][2], insert_us[4];
	size_t nsizes = scale >= 10000000 ? 4 : scale >= 1000000 ? 3 : 2;

	if (sodium_init() < 0)
		return 1;
	for (size_t k = 0; k < nsizes; k++) {
		size_t sets = sizes[k] >= 10000000 ? BENCH_SETS_HUGE :
		    sizes[k] >= 1000000 ? BENCH_SETS_BIG : BENCH_SETS;
		double r[2], c[2], us, node_mean, node_se;

		for (size_t s = 0; s < sets; s++) {
			if (bench_set(s, sizes[k], r, c, &us) != 0)
				return 1;
			for (int d = 0; d < 2; d++) {
				reads[k][d][s] = r[d];
				nodes[k][d][s] = c[d];
			}
			if (s == 0)
				insert_us[k] = us;
		}
		for (int d = 0; d < 2; d++) {
			bench_mean(reads[k][d], sets, &mean[k][d], &se[k][d]);
			bench_mean(nodes[k][d], sets, &node_mean, &node_se);
			printf("sync reads, %llu items, %d differences\t%.1f\t"
			    "LMDB pages (mean of %zu sets, se %.1f)\t-\t-\t"
			    "(printed)\t-\n", (unsigned long long)sizes[k],
			    d * 10, mean[k][d], sets, se[k][d]);
			printf("sync reads, %llu items, %d differences\t%.0f\t"
			    "cursor reads (mean)\t-\t-\t(printed)\t-\n",
			    (unsigned long long)sizes[k], d * 10, node_mean);
		}
		printf("item-set insert, %llu items in order\t%.2f\tus/item"
		    "\t-\t-\t(printed)\t-\n", (unsigned long long)sizes[k],
		    insert_us[k]);
	}
	/* Logarithmic growth: the mean reads may grow by the ratio of the
	 * logs, give or take twice the standard error of the growth. */
	for (size_t k = 1; k < nsizes; k++) {
		for (int d = 0; d < 2; d++) {
			double g = mean[k][d] / mean[k - 1][d];
			double lim = log2((double)sizes[k]) /
			    log2((double)sizes[k - 1]);
			double rel0 = se[k - 1][d] / mean[k - 1][d];
			double rel1 = se[k][d] / mean[k][d];
			double tol = 2 * g * sqrt(rel0 * rel0 + rel1 * rel1);

			printf("sync reads growth, %llu to %llu items, %d "
			    "differences (se %.2f)\t%.2f\tx\t%.2f\t%.2f\t"
			    "<= %.2f\t%s\n", (unsigned long long)sizes[k - 1],
			    (unsigned long long)sizes[k], d * 10, tol / 2, g,
			    lim, g / lim, 1 + tol / lim,
			    g <= lim + tol ? "pass" : "FAIL");
		}
	}
	return 0;
}
