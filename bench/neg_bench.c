/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Negentropy in process: the bytes and rounds of one reconciliation
 * between two sets of BENCH_SCALE (default 100,000) items when the client
 * lacks one item in a hundred, spread over the whole set, in plain V1 and
 * with the daemon's extensions (short ids, content splits), under its
 * frame limit (256 KiB).
 * Only the reconciliation is counted: the sync benchmark adds the WANTs
 * and the records through real daemons.  Prints tab-separated rows:
 * figure, value, unit, limit, ratio, target, verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/negentropy.h"

#define BENCH_FRAME_LIMIT (256 * 1024)
#define BENCH_GAP 100		/* the client lacks one item in BENCH_GAP */

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

/* One session over cs (client) and ss (server) with extensions ext:
 * bytes both ways, rounds and the differences found.  0 or -1. */
static int
bench_sync(const struct neg_storage *cs, const struct neg_storage *ss,
    unsigned ext, size_t *bytes, unsigned *rounds, size_t *found)
{
	struct neg client, server;
	struct neg_buf cmsg, smsg;
	struct errbuf eb;
	int rc, done = 0;

	*bytes = *found = 0;
	*rounds = 0;
	if (neg_init(&client, cs, BENCH_FRAME_LIMIT, &eb) != 0 ||
	    neg_init(&server, ss, BENCH_FRAME_LIMIT, &eb) != 0)
		return -1;
	neg_set_extensions(&client, ext);
	neg_set_extensions(&server, ext);
	neg_buf_init(&cmsg);
	neg_buf_init(&smsg);
	rc = neg_initiate(&client, &cmsg, &eb);
	while (rc == 0 && !done) {
		*bytes += cmsg.len;
		if ((rc = neg_reconcile_server(&server, cmsg.data, cmsg.len,
		    &smsg, &eb)) != 0)
			break;
		*bytes += smsg.len;
		(*rounds)++;
		rc = neg_reconcile_client(&client, smsg.data, smsg.len, &cmsg,
		    bench_on_id, found, &done, &eb);
	}
	if (rc != 0)
		fprintf(stderr, "bench: negentropy: %s\n", eb.msg);
	neg_buf_release(&cmsg);
	neg_buf_release(&smsg);
	neg_release(&client);
	neg_release(&server);
	return rc == 0 ? 0 : -1;
}

int
main(void)
{
	const char *scale_env = getenv("BENCH_SCALE");
	size_t n = scale_env ? strtoul(scale_env, NULL, 10) : 100000;
	size_t k = n / BENCH_GAP, v1_bytes, ext_bytes, v1_found, ext_found;
	unsigned v1_rounds, ext_rounds;
	struct neg_vector cv, sv;
	struct neg_storage cs, ss;
	uint8_t id[NEG_ID_LEN];

	if (sodium_init() < 0 || n < BENCH_GAP)
		return 1;
	neg_vector_init(&cv, n);
	neg_vector_init(&sv, n);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = i;

		crypto_generichash(id, sizeof(id), (const uint8_t *)&v,
		    sizeof(v), NULL, 0);
		if (neg_vector_add(&sv, 1764320000000ull + i, id, NULL) != 0 ||
		    (i % BENCH_GAP != 0 &&
		    neg_vector_add(&cv, 1764320000000ull + i, id, NULL) != 0))
			return 1;
	}
	neg_vector_seal(&cv);
	neg_vector_seal(&sv);
	neg_vector_storage(&cv, &cs);
	neg_vector_storage(&sv, &ss);
	if (bench_sync(&cs, &ss, 0, &v1_bytes, &v1_rounds, &v1_found) != 0 ||
	    bench_sync(&cs, &ss, NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS,
	    &ext_bytes, &ext_rounds, &ext_found) != 0)
		return 1;
	if (v1_found != k || ext_found != k) {
		fprintf(stderr, "bench: found %zu and %zu of %zu differences\n",
		    v1_found, ext_found, k);
		return 1;
	}
	printf("negentropy V1, %zu spread of %zu: bytes\t%zu\tbytes\t-\t-\t(printed)\t-\n",
	    k, n, v1_bytes);
	printf("negentropy V1: rounds\t%u\trounds\t-\t-\t(printed)\t-\n",
	    v1_rounds);
	printf("negentropy short ids, same sets: bytes\t%zu\tbytes\t%zu\t%.2f\t(printed)\t-\n",
	    ext_bytes, v1_bytes, (double)ext_bytes / (double)v1_bytes);
	printf("negentropy short ids: rounds\t%u\trounds\t-\t-\t(printed)\t-\n",
	    ext_rounds);
	printf("negentropy short ids: bytes per difference\t%.0f\tbytes\t%.0f\t%.2f\t(printed)\t-\n",
	    (double)ext_bytes / (double)k, (double)v1_bytes / (double)k,
	    (double)ext_bytes / (double)v1_bytes);
	neg_vector_release(&cv);
	neg_vector_release(&sv);
	return 0;
}
