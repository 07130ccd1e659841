/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store/check.c: a healthy store passes; each damaged index is named. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/check.h"
#include "store/internal.h"
#include "store/itemset.h"
#include "store/search.h"
#include "tests/unit/test.h"

#define TS0 1764320000000ull

struct fixture {
	char dir[64];
	uint8_t pk[32], sk[64], net[32];
	struct store *st;
	uint8_t art[3][32]; /* first revisions of three articles */
	uint8_t rev2[32];   /* second revision of article 0 */
	uint8_t tomb[32];   /* deletes article 2 */
};

/* What a check reported: the databases named, in one string. */
struct seen {
	char dbs[4096];
	uint64_t count;
};

static void
seen_add(void *ctx, const char *db, const char *msg)
{
	struct seen *s = ctx;
	size_t n = strlen(s->dbs);

	(void)msg;
	snprintf(s->dbs + n, sizeof(s->dbs) - n, "%s ", db);
	s->count++;
}

static uint8_t *
fx_sign(struct fixture *f, const char *kind, const char *key, uint64_t ts,
    const uint8_t (*refs)[32], uint32_t nrefs, const char *text, size_t *len,
    uint8_t id[32])
{
	struct record_header h;
	struct body_charter c;
	struct body_tombstone t;
	struct body_kb a;
	struct mpw body, out;
	uint8_t *buf;

	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (strcmp(kind, "charter") == 0) {
		c.name.s = "Fed";
		c.name.len = 3;
		memcpy(c.founder, f->pk, 32);
		c.admit_quorum = c.remove_quorum = 1;
		body_charter_encode(&c, &body);
	} else if (strcmp(kind, "tombstone") == 0) {
		t.reason.s = "gone";
		t.reason.len = 4;
		body_tombstone_encode(&t, &body);
	} else {
		memset(&a, 0, sizeof(a));
		a.title.s = key;
		a.title.len = (uint32_t)strlen(key);
		a.text.s = text;
		a.text.len = (uint32_t)strlen(text);
		a.lang.s = "en";
		a.lang.len = 2;
		body_kb_encode(&a, &body);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, f->pk, 32);
	h.ts = ts;
	h.refs_count = nrefs;
	if (nrefs)
		memcpy(h.refs, refs, nrefs * 32);
	if (record_sign(&h, body.buf, body.len, f->sk,
		strcmp(kind, "charter") == 0 ? NULL : f->net, &out, id,
		NULL) != 0)
		abort();
	buf = mpw_take(&out, len);
	mpw_release(&body);
	return buf;
}

static void
fx_put(struct fixture *f, uint8_t *buf, size_t len)
{
	struct store_in in = { buf, len };
	struct store_out o;
	struct errbuf eb;

	if (store_ingest(f->st, &in, 1, TS0 + 1000000, &o, &eb) != 0 ||
	    !o.stored) {
		fprintf(stderr, "fixture: %s\n", o.reason);
		abort();
	}
	free(buf);
}

/* A store with a charter, three articles, a revision and a deletion. */
static void
fx_open(struct fixture *f)
{
	static const char *const keys[3] = { "aaaa0001", "bbbb0002",
		"cccc0003" };
	struct errbuf eb;
	struct record r;
	uint8_t id[32], *buf;
	size_t len;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/amie-check-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	crypto_sign_keypair(f->pk, f->sk);
	if (store_open(&f->st, f->dir, f->pk, &eb) != 0)
		abort();
	buf = fx_sign(f, "charter", "", TS0, NULL, 0, "", &len, id);
	record_decode(&r, buf, len, NULL);
	record_network_id(f->net, r.header, r.header_len);
	fx_put(f, buf, len);
	for (int i = 0; i < 3; i++) {
		buf = fx_sign(f, "kb", keys[i], TS0 + 10 + i, NULL, 0,
		    "Sauvegardes du serveur de fichiers chaque nuit", &len,
		    f->art[i]);
		fx_put(f, buf, len);
	}
	buf = fx_sign(f, "kb", keys[0], TS0 + 20,
	    (const uint8_t(*)[32])f->art[0], 1,
	    "Imprimante réseau: pilote et file d'attente", &len, f->rev2);
	fx_put(f, buf, len);
	buf = fx_sign(f, "tombstone", "", TS0 + 30,
	    (const uint8_t(*)[32])f->art[2], 1, "", &len, f->tomb);
	fx_put(f, buf, len);
}

static void
fx_close(struct fixture *f)
{
	char cmd[128];

	store_close(&f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

static struct check_stats
fx_check(struct fixture *f, struct seen *s)
{
	struct check_stats cs;
	struct errbuf eb;

	memset(s, 0, sizeof(*s));
	if (check_run(f->st, seen_add, s, &cs, &eb) != 0)
		abort();
	return cs;
}

/* Run fn inside a write transaction, as a damaged disk or a bug would. */
static void
fx_damage(struct fixture *f, void (*fn)(struct fixture *, MDB_txn *))
{
	MDB_txn *txn;

	if (mdb_txn_begin(f->st->env, NULL, 0, &txn) != 0)
		abort();
	fn(f, txn);
	if (mdb_txn_commit(txn) != 0)
		abort();
}

/* Delete the first entry of dbi. */
static void
fx_del_first(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_cursor *c;
	MDB_val k, v;

	if (mdb_cursor_open(txn, dbi, &c) != 0 ||
	    mdb_cursor_get(c, &k, &v, MDB_FIRST) != 0 ||
	    mdb_cursor_del(c, 0) != 0)
		abort();
	mdb_cursor_close(c);
}

TEST(a_healthy_store_has_no_problems)
{
	struct fixture f;
	struct check_stats cs;
	struct seen s;

	fx_open(&f);
	cs = fx_check(&f, &s);
	CHECK_EQ_INT(cs.problems, 0);
	CHECK_EQ_INT(s.count, 0);
	if (s.count)
		fprintf(stderr, "  reported: %s\n", s.dbs);
	CHECK_EQ_INT(cs.records, 6);
	CHECK_EQ_INT(cs.items, 6);
	CHECK_EQ_INT(cs.articles, 2);
	fx_close(&f);
}

static void
damage_items(struct fixture *f, MDB_txn *txn)
{
	uint8_t k[40];

	store_be64(k, TS0 + 11);
	memcpy(k + 8, f->art[1], 32);
	if (store_put(txn, f->st->items, k, 40, "", 0, 0) != 0)
		abort();
	fx_del_first(txn, f->st->items);
}

TEST(reports_a_missing_item_and_the_broken_chunk)
{
	struct fixture f;
	struct seen s;

	fx_open(&f);
	fx_damage(&f, damage_items);
	fx_check(&f, &s);
	CHECK(strstr(s.dbs, "items") != NULL);
	CHECK(strstr(s.dbs, "chunks") != NULL);
	fx_close(&f);
}

static void
damage_heads(struct fixture *f, MDB_txn *txn)
{
	uint8_t ok[3 + 8], v[40];

	memcpy(ok, "kb\0aaaa0001", sizeof(ok));
	store_be64(v, TS0 + 10);
	memcpy(v + 8, f->art[0], 32);
	/* The replaced first revision listed as a head again. */
	if (store_put(txn, f->st->heads, ok, sizeof(ok), v, 40, 0) != 0)
		abort();
}

TEST(reports_a_replaced_revision_listed_as_head)
{
	struct fixture f;
	struct seen s;

	fx_open(&f);
	fx_damage(&f, damage_heads);
	fx_check(&f, &s);
	CHECK(strstr(s.dbs, "heads") != NULL);
	fx_close(&f);
}

static void
damage_refby(struct fixture *f, MDB_txn *txn)
{
	fx_del_first(txn, f->st->refby);
}

static void
damage_revs(struct fixture *f, MDB_txn *txn)
{
	fx_del_first(txn, f->st->revs);
}

static void
damage_byauthor(struct fixture *f, MDB_txn *txn)
{
	fx_del_first(txn, f->st->byauthor);
}

static void
damage_authors(struct fixture *f, MDB_txn *txn)
{
	uint8_t ts[8];

	store_be64(ts, TS0 + 5);
	if (store_put(txn, f->st->authors, f->pk, 32, ts, 8, 0) != 0)
		abort();
}

static void
damage_deleted(struct fixture *f, MDB_txn *txn)
{
	fx_del_first(txn, f->st->deleted);
}

static void
damage_terms(struct fixture *f, MDB_txn *txn)
{
	fx_del_first(txn, f->st->terms);
}

static void
damage_docs(struct fixture *f, MDB_txn *txn)
{
	MDB_val k = { 1 + 8, "kbbbb0002" };

	if (mdb_del(txn, f->st->docs, &k, NULL) != 0)
		abort();
}

static void
damage_members(struct fixture *f, MDB_txn *txn)
{
	MDB_val k = { 32, f->pk }, v;
	uint8_t buf[2048];

	if (mdb_get(txn, f->st->members, &k, &v) != 0 ||
	    v.mv_size > sizeof(buf))
		abort();
	memcpy(buf, v.mv_data, v.mv_size);
	buf[0] = 3; /* removed */
	if (store_put(txn, f->st->members, f->pk, 32, buf, v.mv_size, 0) != 0)
		abort();
}

static void
damage_record(struct fixture *f, MDB_txn *txn)
{
	MDB_val k = { 32, f->art[1] }, v;
	uint8_t *buf;

	if (mdb_get(txn, f->st->records, &k, &v) != 0)
		abort();
	buf = xmalloc(v.mv_size);
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size - 3] ^= 1; /* inside the body */
	if (store_put(txn, f->st->records, f->art[1], 32, buf, v.mv_size, 0) !=
	    0)
		abort();
	free(buf);
}

TEST(names_each_damaged_database)
{
	static const struct {
		const char *db;
		void (*fn)(struct fixture *, MDB_txn *);
	} cases[] = {
		{ "refby", damage_refby },
		{ "revs", damage_revs },
		{ "byauthor", damage_byauthor },
		{ "authors", damage_authors },
		{ "deleted", damage_deleted },
		{ "terms", damage_terms },
		{ "docs", damage_docs },
		{ "members", damage_members },
		{ "records", damage_record },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;
		struct check_stats cs;
		struct seen s;

		fx_open(&f);
		fx_damage(&f, cases[i].fn);
		cs = fx_check(&f, &s);
		CHECK(cs.problems > 0);
		if (strstr(s.dbs, cases[i].db) == NULL) {
			test_failed_ = 1;
			fprintf(stderr, "  damaged %s, reported: %s\n",
			    cases[i].db, s.dbs);
		}
		fx_close(&f);
	}
}

TEST(a_reindexed_store_still_passes)
{
	struct fixture f;
	struct check_stats cs;
	struct errbuf eb;
	uint64_t n;
	struct seen s;

	fx_open(&f);
	REQUIRE(search_reindex(f.st, &n, &eb) == 0);
	cs = fx_check(&f, &s);
	CHECK_EQ_INT(cs.problems, 0);
	if (s.count)
		fprintf(stderr, "  reported: %s\n", s.dbs);
	fx_close(&f);
}

/*
 * `amie check` in the daemon runs on the thread that answers the control
 * socket while the store's writer thread ingests a slice of a sync
 * (store_ingest_start()).  The check reads its own snapshot: it must
 * find nothing wrong and leave the slice's writes alone, so that the
 * store passes once the slices are in.
 */
TEST(a_check_during_a_writer_slice_leaves_the_ladder_right)
{
	enum { SLICES = 12, PER = 512 };
	struct fixture f;
	struct check_stats cs;
	struct store_in *in;
	struct store_out *o;
	struct errbuf eb;
	struct seen s;
	uint8_t **bufs, id[32];
	size_t *lens, k, during = 0, checks = 0;
	char key[16];

	fx_open(&f);
	bufs = xcalloc(SLICES * PER, sizeof(*bufs));
	lens = xcalloc(SLICES * PER, sizeof(*lens));
	in = xcalloc(PER, sizeof(*in));
	o = xcalloc(PER, sizeof(*o));
	for (k = 0; k < SLICES * PER; k++) {
		snprintf(key, sizeof(key), "d%07zu", k);
		bufs[k] = fx_sign(&f, "kb", key, TS0 + 100 + k, NULL, 0,
		    "Sauvegardes", &lens[k], id);
	}
	for (size_t sl = 0; sl < SLICES; sl++) {
		for (k = 0; k < PER; k++)
			in[k] = (struct store_in){ bufs[sl * PER + k],
				lens[sl * PER + k] };
		REQUIRE(store_ingest_start(f.st, in, PER, TS0 + 1000000, o,
		    NULL, 0, 0) == 0);
		do {
			cs = fx_check(&f, &s);
			checks++;
			if (cs.problems > 0) {
				if (during++ == 0)
					fprintf(stderr, "  during slice %zu: "
					    "%s\n", sl, s.dbs);
			}
		} while (!store_ingest_done(f.st));
		CHECK_EQ_INT(store_ingest_end(f.st, &eb), 0);
	}
	CHECK_EQ_INT(during, 0);
	cs = fx_check(&f, &s);
	CHECK_EQ_INT(cs.problems, 0);
	if (s.count)
		fprintf(stderr, "  after the slices (%zu checks): %s\n",
		    checks, s.dbs);
	CHECK_EQ_INT(cs.items, 6 + SLICES * PER);
	{
		/* and a sync can still open its snapshot */
		struct itemset_snap *snap = NULL;

		CHECK_EQ_INT(itemset_snap_open(f.st, &snap, &eb), 0);
		if (snap == NULL)
			fprintf(stderr, "  snapshot: %s\n", eb.msg);
		itemset_snap_close(&snap);
	}
	for (k = 0; k < SLICES * PER; k++)
		free(bufs[k]);
	free(bufs);
	free(lens);
	free(in);
	free(o);
	fx_close(&f);
}

TESTS(T(a_healthy_store_has_no_problems),
    T(a_check_during_a_writer_slice_leaves_the_ladder_right),
    T(reports_a_missing_item_and_the_broken_chunk),
    T(reports_a_replaced_revision_listed_as_head),
    T(names_each_damaged_database), T(a_reindexed_store_still_passes))
