/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Membership benchmark: the cost of computing membership (store/member.c)
 * over a federation of BENCH_MEMBERS (default 1,000) members added by the
 * founder, half of whom add two keys each, a tenth of whom the founder
 * removes as compromised from before those adds (each such removal
 * reaches back, so one more pass over the records), and 300 of whom
 * remove themselves: 2,400 membership records.  Measured: storing them
 * in ts order in one batch (each record computed twice: to see that it
 * counts, then to store it), in reverse order (records refused until what
 * admits their author comes again), one recomputation from scratch (at
 * open, as after an upgrade of the rule), and one more member.add into the
 * full store.  Informative rows: no target, no verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lmdb.h>
#include <sodium.h>

#include "proto/body.h"
#include "proto/record.h"
#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/member.h"
#include "store/store.h"

#define TS0 1764320000000ull
#define NOW (TS0 + 100000)

struct bench_who {
	uint8_t pk[32], sk[64];
	char hex[65];
};

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_who_new(struct bench_who *w)
{
	crypto_sign_keypair(w->pk, w->sk);
	record_id_hex(w->hex, w->pk);
}

static struct store_in
bench_sign(const struct bench_who *by, const uint8_t *net, const char *kind,
    const char *key, uint64_t ts, const struct mpw *body)
{
	struct record_header h;
	uint8_t id[RECORD_ID_LEN];
	struct store_in in;
	struct mpw w;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, by->pk, 32);
	h.ts = ts;
	mpw_init(&w, RECORD_ENCODED_MAX);
	if (record_sign(&h, body->buf, body->len, by->sk, net, &w, id,
	    NULL) != 0) {
		fprintf(stderr, "bench: signing failed\n");
		exit(1);
	}
	in.buf = mpw_take(&w, &in.len);
	return in;
}

static struct store_in
bench_add(const struct bench_who *by, const struct bench_who *to,
    const uint8_t *net, uint64_t ts)
{
	struct body_member_add a;
	struct store_in in;
	struct mpw body;

	memset(&a, 0, sizeof(a));
	a.name.s = "member";
	a.name.len = 6;
	memcpy(a.invited_by, by->pk, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_add_encode(&a, &body);
	in = bench_sign(by, net, "member.add", to->hex, ts, &body);
	mpw_release(&body);
	return in;
}

static struct store_in
bench_remove(const struct bench_who *by, const struct bench_who *to,
    const uint8_t *net, uint64_t ts, const char *reason, uint64_t from)
{
	struct body_member_remove m;
	struct store_in in;
	struct mpw body;

	m.reason.s = reason;
	m.reason.len = (uint32_t)strlen(reason);
	m.effective_from = from;
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_remove_encode(&m, &body);
	in = bench_sign(by, net, "member.remove", to->hex, ts, &body);
	mpw_release(&body);
	return in;
}

static void
bench_row(const char *figure, double value, const char *unit)
{
	printf("%s\t%.3f\t%s\t-\t-\t(printed)\t-\n", figure, value, unit);
}

/* A fresh store in dir; the charter stored. */
static struct store *
bench_open(char *dir, const struct bench_who *f, const struct store_in *ch)
{
	struct store_out o;
	struct store *st;
	struct errbuf eb;

	strcpy(dir, "/tmp/amie-member-bench.XXXXXX");
	if (mkdtemp(dir) == NULL || store_open(&st, dir, f->pk, &eb) != 0 ||
	    store_ingest(st, ch, 1, NOW, &o, &eb) != 0 || !o.stored) {
		fprintf(stderr, "bench: cannot open a store\n");
		exit(1);
	}
	return st;
}

static void
bench_rm(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
}

/* Ingest in[0..n) in batches of at most STORE_BATCH_MAX, again and again
 * while some are stored; the number stored. */
static size_t
bench_ingest(struct store *st, const struct store_in *in, size_t n)
{
	struct store_in *left = xcalloc(n, sizeof(*left));
	struct store_out *o = xcalloc(n, sizeof(*o));
	size_t stored = 0, m = n, progress;
	struct errbuf eb;

	memcpy(left, in, n * sizeof(*in));
	do {
		size_t k = 0;

		progress = 0;
		for (size_t i = 0; i < m; i += STORE_BATCH_MAX)
			if (store_ingest(st, left + i, m - i < STORE_BATCH_MAX ?
			    m - i : STORE_BATCH_MAX, NOW, o + i, &eb) != 0) {
				fprintf(stderr, "bench: %s\n", eb.msg);
				exit(1);
			}
		for (size_t i = 0; i < m; i++) {
			if (o[i].stored)
				progress++;
			else
				left[k++] = left[i];
		}
		stored += progress;
		m = k;
	} while (progress > 0 && m > 0);
	free(left);
	free(o);
	return stored;
}

int
main(void)
{
	const char *env = getenv("BENCH_MEMBERS");
	size_t members = env != NULL ? strtoul(env, NULL, 10) : 1000;
	size_t n = 0, cuts = members / 10, selves = 300, stored;
	struct bench_who f, *m, *k, extra;
	struct store_in ch, *in, *rev, one;
	struct body_charter c;
	struct store_out o;
	struct store *st;
	struct errbuf eb;
	uint8_t net[32];
	struct record r;
	struct mpw body;
	char dir[64];
	MDB_txn *txn;
	MDB_val mk = { 11, (void *)"member_rule" };
	double t0;

	if (sodium_init() < 0 || members < 2 || members > 1000)
		return 1;
	if (selves > members / 2)
		selves = members / 2;
	bench_who_new(&f);
	m = xcalloc(members, sizeof(*m));
	k = xcalloc(members, sizeof(*k));
	for (size_t i = 0; i < members; i++) {
		bench_who_new(&m[i]);
		bench_who_new(&k[i]);
	}
	memset(&c, 0, sizeof(c));
	c.name.s = "Bench";
	c.name.len = 5;
	memcpy(c.founder, f.pk, 32);
	c.admit_quorum = c.remove_quorum = 1;
	mpw_init(&body, RECORD_BODY_MAX);
	body_charter_encode(&c, &body);
	ch = bench_sign(&f, NULL, "charter", "", TS0, &body);
	mpw_release(&body);
	record_decode(&r, ch.buf, ch.len, NULL);
	record_network_id(net, r.header, r.header_len);

	in = xcalloc(2 * members + cuts + selves, sizeof(*in));
	for (size_t i = 0; i < members; i++)
		in[n++] = bench_add(&f, &m[i], net, TS0 + 10 + i);
	for (size_t i = 0; i < members / 2; i++) {
		in[n++] = bench_add(&m[i], &k[2 * i], net, TS0 + 5000 + i);
		in[n++] = bench_add(&m[i], &k[2 * i + 1], net, TS0 + 5000 + i);
	}
	for (size_t i = 0; i < cuts; i++)
		in[n++] = bench_remove(&f, &m[i], net, TS0 + 9000 + i,
		    "compromised", TS0 + 4000);
	for (size_t i = members / 2; i < members / 2 + selves; i++)
		in[n++] = bench_remove(&m[i], &m[i], net, TS0 + 9500 + i,
		    "retired", TS0 + 9500 + i);

	st = bench_open(dir, &f, &ch);
	t0 = bench_now();
	stored = bench_ingest(st, in, n);
	bench_row("member: store records in ts order", bench_now() - t0, "s");
	bench_row("member: records stored", (double)stored, "records");
	bench_row("member: members current", (double)member_count(st),
	    "members");

	/* One recomputation from scratch, as at the open that upgrades. */
	if (mdb_txn_begin(st->env, NULL, 0, &txn) != 0)
		return 1;
	mdb_del(txn, st->meta, &mk, NULL);
	if (mdb_txn_commit(txn) != 0)
		return 1;
	store_close(&st);
	t0 = bench_now();
	if (store_open(&st, dir, f.pk, &eb) != 0)
		return 1;
	bench_row("member: recompute at open", bench_now() - t0, "s");

	/* One more member.add into the full store. */
	bench_who_new(&extra);
	one = bench_add(&f, &extra, net, TS0 + 20000);
	t0 = bench_now();
	if (store_ingest(st, &one, 1, NOW, &o, &eb) != 0 || !o.stored)
		return 1;
	bench_row("member: one member.add into it", bench_now() - t0, "s");
	store_close(&st);
	bench_rm(dir);

	/* Reverse order: each record refused until its author is admitted. */
	rev = xcalloc(n, sizeof(*rev));
	for (size_t i = 0; i < n; i++)
		rev[i] = in[n - 1 - i];
	st = bench_open(dir, &f, &ch);
	t0 = bench_now();
	stored = bench_ingest(st, rev, n);
	bench_row("member: store records in reverse order", bench_now() - t0,
	    "s");
	bench_row("member: records stored (reverse)", (double)stored,
	    "records");
	store_close(&st);
	bench_rm(dir);

	for (size_t i = 0; i < n; i++)
		free((void *)in[i].buf);
	free((void *)one.buf);
	free((void *)ch.buf);
	free(in);
	free(rev);
	free(m);
	free(k);
	return 0;
}
