/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Ingest benchmark: BENCH_SCALE (default 100,000) pre-signed kb records of
 * about 300 bytes go through the real ingest path (store_ingest, batches
 * of BENCH_BATCH, into a fresh LMDB on disk).  The limit, measured in the
 * same run on the same records, is a bare loop of
 * crypto_sign_verify_detached on one core.  Prints tab-separated rows:
 * figure, value, unit, limit, ratio, target, verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/record.h"
#include "proto/xmalloc.h"
#include "store/store.h"

#define BENCH_BATCH 1000
#define BENCH_TARGET 0.6

struct bench_rec {
	uint8_t *buf;
	size_t len;
};

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sign one record into r; network_id NULL makes the charter. */
static void
bench_sign(struct bench_rec *r, const char *kind, const char *key,
    const uint8_t *body, size_t body_len, uint64_t ts, const uint8_t pk[32],
    const uint8_t sk[64], const uint8_t *net)
{
	struct record_header h;
	uint8_t id[RECORD_ID_LEN];
	struct mpw w;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, pk, 32);
	h.ts = ts;
	mpw_init(&w, RECORD_ENCODED_MAX);
	if (record_sign(&h, body, body_len, sk, net, &w, id, NULL) != 0) {
		fprintf(stderr, "bench: signing failed\n");
		exit(1);
	}
	r->buf = mpw_take(&w, &r->len);
}

int
main(void)
{
	const char *scale_env = getenv("BENCH_SCALE");
	size_t n = scale_env ? strtoul(scale_env, NULL, 10) : 100000;
	uint8_t pk[32], sk[64], net[32];
	char dir[] = "/tmp/amie-bench.XXXXXX", cmd[128], key[40], text[200];
	struct bench_rec charter, *recs;
	struct store_in *in;
	struct store_out *out;
	struct store_stats stats;
	struct body_charter ch;
	struct body_kb a;
	struct store *st;
	struct record rec;
	struct record_header h;
	struct mpw body;
	struct errbuf eb;
	uint64_t ts0 = 1764320000000ull;
	size_t bytes = 0, stored = 0;
	double t0, verify_s, ingest_s, verify_rate, ingest_rate;
	int bad = 0;

	if (sodium_init() < 0 || n == 0 || mkdtemp(dir) == NULL)
		return 1;
	crypto_sign_keypair(pk, sk);
	mpw_init(&body, RECORD_BODY_MAX);
	ch.name.s = "Bench";
	ch.name.len = 5;
	memcpy(ch.founder, pk, 32);
	ch.admit_quorum = ch.remove_quorum = 1;
	body_charter_encode(&ch, &body);
	bench_sign(&charter, "charter", "", body.buf, body.len, ts0, pk, sk,
	    NULL);
	record_decode(&rec, charter.buf, charter.len, NULL);
	record_network_id(net, rec.header, rec.header_len);

	fprintf(stderr, "bench: signing %zu records...\n", n);
	recs = xcalloc(n, sizeof(*recs));
	for (size_t i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		snprintf(key, sizeof(key), "article-%08zu", i);
		snprintf(text, sizeof(text), "Article %zu: pour fixer l'adresse "
		    "IP d'une imprimante, reserver le bail DHCP sur la box puis "
		    "redemarrer.", i);
		a.title.s = key;
		a.title.len = (uint32_t)strlen(key);
		a.text.s = text;
		a.text.len = (uint32_t)strlen(text);
		a.lang.s = "fr";
		a.lang.len = 2;
		mpw_reset(&body);
		body_kb_encode(&a, &body);
		bench_sign(&recs[i], "kb", key, body.buf, body.len, ts0 + 1 + i,
		    pk, sk, net);
		bytes += recs[i].len;
	}

	/* The limit: verify every signature, nothing else, one core. */
	t0 = bench_now();
	for (size_t i = 0; i < n; i++) {
		uint8_t id[32], m[74];

		record_decode(&rec, recs[i].buf, recs[i].len, NULL);
		record_id(id, rec.header, rec.header_len);
		memcpy(m, "amie/sig/1", 10);
		memcpy(m + 10, net, 32);
		memcpy(m + 42, id, 32);
		record_header_decode(&h, rec.header, rec.header_len, NULL);
		bad |= crypto_sign_verify_detached(rec.sig, m, sizeof(m),
		    h.author);
	}
	verify_s = bench_now() - t0;
	if (bad) {
		fprintf(stderr, "bench: a signature did not verify\n");
		return 1;
	}

	/* The real path: store_ingest in batches, on disk. */
	if (store_open(&st, dir, pk, &eb) != 0) {
		fprintf(stderr, "bench: %s\n", eb.msg);
		return 1;
	}
	in = xcalloc(BENCH_BATCH, sizeof(*in));
	out = xcalloc(BENCH_BATCH, sizeof(*out));
	in[0].buf = charter.buf;
	in[0].len = charter.len;
	store_ingest(st, in, 1, ts0 + n + 1, out, &eb);
	t0 = bench_now();
	for (size_t i = 0; i < n; i += BENCH_BATCH) {
		size_t k = n - i < BENCH_BATCH ? n - i : BENCH_BATCH;

		for (size_t j = 0; j < k; j++) {
			in[j].buf = recs[i + j].buf;
			in[j].len = recs[i + j].len;
		}
		if (store_ingest(st, in, k, ts0 + n + 1, out, &eb) != 0) {
			fprintf(stderr, "bench: %s\n", eb.msg);
			return 1;
		}
		for (size_t j = 0; j < k; j++)
			stored += out[j].stored;
	}
	ingest_s = bench_now() - t0;
	store_stats(st, &stats, &eb);
	store_close(&st);
	if (stored != n) {
		fprintf(stderr, "bench: stored %zu of %zu\n", stored, n);
		return 1;
	}

	verify_rate = (double)n / verify_s;
	ingest_rate = (double)n / ingest_s;
	printf("bare Ed25519 verify, 1 core\t%.0f\trecords/s\t-\t-\t-\t-\n",
	    verify_rate);
	printf("store ingest, 1 core (%zu records)\t%.0f\trecords/s\t%.0f\t%.2f\t>= %.2f\t%s\n",
	    n, ingest_rate, verify_rate, ingest_rate / verify_rate,
	    BENCH_TARGET, ingest_rate / verify_rate >= BENCH_TARGET ?
	    "pass" : "FAIL");
	printf("record size (encoded)\t%.0f\tbytes\t-\t-\t-\t-\n",
	    (double)bytes / (double)n);
	printf("store bytes on disk per record\t%.0f\tbytes\t-\t-\t-\t-\n",
	    (double)stats.used_bytes / (double)n);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
	for (size_t i = 0; i < n; i++)
		free(recs[i].buf);
	free(recs);
	free(charter.buf);
	free(in);
	free(out);
	mpw_release(&body);
	return 0;
}
