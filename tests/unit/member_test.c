/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store/member.c through the public ingest path: who may write, quorums,
 * removals hiding records from the item set, node.info, and membership
 * that does not depend on the order records arrive in.
 */
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/itemset.h"
#include "store/member.h"
#include "store/store.h"
#include "tests/unit/test.h"

#define TS0 1764320000000ull
#define NOW (TS0 + 1000000)

struct who {
	uint8_t pk[32], sk[64];
	char hex[65];
};

struct rec {
	uint8_t *buf;
	size_t len;
	uint8_t id[32];
	uint64_t ts;
};

struct fixture {
	char dir[64];
	struct store *st;
	struct who founder;
	uint8_t net[32];
	struct rec charter;
};

static void
who_new(struct who *w)
{
	crypto_sign_keypair(w->pk, w->sk);
	record_id_hex(w->hex, w->pk);
}

static struct rec
sign_body(const struct who *w, const uint8_t *net, const char *kind,
    const char *key, uint64_t ts, const struct mpw *body, uint64_t flags)
{
	struct record_header h;
	struct mpw out;
	struct rec r;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, w->pk, 32);
	h.ts = ts;
	h.flags = flags;
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (record_sign(&h, body->buf, body->len, w->sk, net, &out, r.id,
	    NULL) != 0)
		abort();
	r.buf = mpw_take(&out, &r.len);
	r.ts = ts;
	return r;
}

static struct rec
sign_add(struct fixture *f, const struct who *by, const struct who *target,
    uint64_t ts, const char *name)
{
	struct body_member_add a;
	struct mpw body;
	struct rec r;

	memset(&a, 0, sizeof(a));
	a.name.s = name;
	a.name.len = (uint32_t)strlen(name);
	a.endpoint.s = "tcp://add.example:7411";
	a.endpoint.len = (uint32_t)strlen(a.endpoint.s);
	memcpy(a.invited_by, by->pk, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_add_encode(&a, &body);
	r = sign_body(by, f->net, "member.add", target->hex, ts, &body, 0);
	mpw_release(&body);
	return r;
}

static struct rec
sign_remove(struct fixture *f, const struct who *by, const struct who *target,
    uint64_t ts, const char *reason, uint64_t effective_from)
{
	struct body_member_remove m;
	struct mpw body;
	struct rec r;

	m.reason.s = reason;
	m.reason.len = (uint32_t)strlen(reason);
	m.effective_from = effective_from;
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_remove_encode(&m, &body);
	r = sign_body(by, f->net, "member.remove", target->hex, ts, &body, 0);
	mpw_release(&body);
	return r;
}

static struct rec
sign_info(struct fixture *f, const struct who *by, uint64_t ts,
    const char *name, const char *ep1, const char *ep2)
{
	struct body_node_info n;
	struct mpw body;
	struct rec r;

	memset(&n, 0, sizeof(n));
	n.name.s = name;
	n.name.len = (uint32_t)strlen(name);
	n.region.s = "ARA";
	n.region.len = 3;
	n.endpoints[0].s = ep1;
	n.endpoints[0].len = (uint32_t)strlen(ep1);
	n.endpoints_count = 1;
	if (ep2 != NULL) {
		n.endpoints[1].s = ep2;
		n.endpoints[1].len = (uint32_t)strlen(ep2);
		n.endpoints_count = 2;
	}
	mpw_init(&body, RECORD_BODY_MAX);
	body_node_info_encode(&n, &body);
	r = sign_body(by, f->net, "node.info", "", ts, &body, 0);
	mpw_release(&body);
	return r;
}

static struct rec
sign_kb(struct fixture *f, const struct who *by, const char *key, uint64_t ts)
{
	struct body_kb a;
	struct mpw body;
	struct rec r;

	memset(&a, 0, sizeof(a));
	a.title.s = key;
	a.title.len = (uint32_t)strlen(key);
	mpw_init(&body, RECORD_BODY_MAX);
	body_kb_encode(&a, &body);
	r = sign_body(by, f->net, "kb", key, ts, &body, 0);
	mpw_release(&body);
	return r;
}

static void
fx_open_dir(struct fixture *f)
{
	struct errbuf eb;

	snprintf(f->dir, sizeof(f->dir), "/tmp/amie-member-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	if (store_open(&f->st, f->dir, f->founder.pk, &eb) != 0)
		abort();
}

/* A fresh store with a charter of these quorums, stored unless not. */
static void
fx_open(struct fixture *f, uint64_t admit_quorum, uint64_t remove_quorum,
    int store_charter)
{
	struct body_charter c;
	struct store_in in;
	struct store_out o;
	struct errbuf eb;
	struct record r;
	struct mpw body;

	memset(f, 0, sizeof(*f));
	who_new(&f->founder);
	fx_open_dir(f);
	c.name.s = "Fed";
	c.name.len = 3;
	memcpy(c.founder, f->founder.pk, 32);
	c.admit_quorum = admit_quorum;
	c.remove_quorum = remove_quorum;
	mpw_init(&body, RECORD_BODY_MAX);
	body_charter_encode(&c, &body);
	f->charter = sign_body(&f->founder, NULL, "charter", "", TS0, &body, 0);
	mpw_release(&body);
	record_decode(&r, f->charter.buf, f->charter.len, NULL);
	record_network_id(f->net, r.header, r.header_len);
	in.buf = f->charter.buf;
	in.len = f->charter.len;
	if (store_charter && (store_ingest(f->st, &in, 1, NOW, &o, &eb) != 0 ||
	    !o.stored))
		abort();
}

static void
fx_close(struct fixture *f)
{
	char cmd[128];

	store_close(&f->st);
	free(f->charter.buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

/* Ingest one record; its outcome in *o. */
static struct store_out
put(struct fixture *f, const struct rec *r)
{
	struct store_in in = { r->buf, r->len };
	struct store_out o;
	struct errbuf eb;

	if (store_ingest(f->st, &in, 1, NOW, &o, &eb) != 0) {
		fprintf(stderr, "  ingest failed: %s\n", eb.msg);
		abort();
	}
	return o;
}

static uint64_t
items_count(struct fixture *f)
{
	MDB_txn *txn;
	MDB_stat ms;

	if (mdb_txn_begin(f->st->env, NULL, MDB_RDONLY, &txn) != 0)
		abort();
	mdb_stat(txn, f->st->items, &ms);
	mdb_txn_abort(txn);
	return ms.ms_entries;
}

static int
in_items(struct fixture *f, const struct rec *r)
{
	uint8_t k[STORE_TSID_LEN];
	MDB_val key = { sizeof(k), k }, v;
	MDB_txn *txn;
	int found;

	store_be64(k, r->ts);
	memcpy(k + 8, r->id, 32);
	if (mdb_txn_begin(f->st->env, NULL, MDB_RDONLY, &txn) != 0)
		abort();
	found = mdb_get(txn, f->st->items, &key, &v) == 0;
	mdb_txn_abort(txn);
	return found;
}

/* The item set's accumulators still agree with its items. */
static int
items_verified(struct fixture *f)
{
	struct errbuf eb;
	int rc = itemset_verify(f->st, &eb);

	if (rc != 0)
		fprintf(stderr, "  itemset: %s\n", eb.msg);
	return rc == 0;
}

static enum member_state
state_of(struct fixture *f, const struct who *w)
{
	struct member_info m;
	struct errbuf eb;

	if (member_get(f->st, w->pk, &m, &eb) != 0)
		return 0;
	return m.state;
}

static void
rec_free(struct rec *r)
{
	free(r->buf);
	r->buf = NULL;
}

TEST(the_founder_is_a_member_from_the_charter)
{
	struct fixture f;
	struct member_info m;
	struct errbuf eb;

	fx_open(&f, 1, 1, 1);
	CHECK_EQ_INT(member_is_current(f.st, f.founder.pk), 1);
	CHECK_EQ_INT(member_count(f.st), 1);
	REQUIRE(member_get(f.st, f.founder.pk, &m, &eb) == 0);
	CHECK_EQ_INT(m.founder, 1);
	CHECK_EQ_INT(m.state, MEMBER_CURRENT);
	CHECK_EQ_INT(m.admitted_ts, TS0);
	fx_close(&f);
}

TEST(founder_adds_a_member_who_can_then_write)
{
	struct fixture f;
	struct who a;
	struct member_info m;
	struct store_out o;
	struct errbuf eb;
	struct rec add, kb;

	fx_open(&f, 1, 1, 1);
	who_new(&a);
	kb = sign_kb(&f, &a, "art-a", TS0 + 20);
	o = put(&f, &kb);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK_STR(o.reason, "author: not a member of this federation");

	add = sign_add(&f, &f.founder, &a, TS0 + 10, "Amie Lyon");
	o = put(&f, &add);
	CHECK_EQ_INT(o.code, 0);
	CHECK_EQ_INT(o.stored, 1);
	CHECK_EQ_INT(member_is_current(f.st, a.pk), 1);
	CHECK_EQ_INT(member_count(f.st), 2);
	REQUIRE(member_get(f.st, a.pk, &m, &eb) == 0);
	CHECK_EQ_INT(m.state, MEMBER_CURRENT);
	CHECK_EQ_INT(m.signers, 1);
	CHECK_EQ_INT(m.founder, 0);
	CHECK_EQ_INT(m.admitted_ts, TS0 + 10);
	CHECK_STR(m.name, "Amie Lyon");
	CHECK_EQ_INT(m.endpoints_count, 1);
	CHECK_STR(m.endpoints[0], "tcp://add.example:7411");
	CHECK(memcmp(m.invited_by, f.founder.pk, 32) == 0);

	/* The refused article can come again and is taken now. */
	o = put(&f, &kb);
	CHECK_EQ_INT(o.code, 0);
	CHECK_EQ_INT(o.stored, 1);
	rec_free(&add);
	rec_free(&kb);
	fx_close(&f);
}

TEST(charter_member_and_their_records_in_one_batch)
{
	struct fixture f;
	struct who a;
	struct store_in in[3];
	struct store_out o[3];
	struct errbuf eb;
	struct rec add, kb;

	fx_open(&f, 1, 1, 0);
	who_new(&a);
	add = sign_add(&f, &f.founder, &a, TS0 + 10, "A");
	kb = sign_kb(&f, &a, "art", TS0 + 11);
	in[0] = (struct store_in){ f.charter.buf, f.charter.len };
	in[1] = (struct store_in){ add.buf, add.len };
	in[2] = (struct store_in){ kb.buf, kb.len };
	REQUIRE(store_ingest(f.st, in, 3, NOW, o, &eb) == 0);
	CHECK_EQ_INT(o[0].stored, 1);
	CHECK_EQ_INT(o[1].stored, 1);
	CHECK_EQ_INT(o[2].stored, 1);
	CHECK_EQ_INT(member_count(f.st), 2);
	rec_free(&add);
	rec_free(&kb);
	fx_close(&f);
}

TEST(a_non_member_can_neither_write_nor_admit)
{
	struct fixture f;
	struct who x, y;
	struct store_out o;
	struct rec add, info;

	fx_open(&f, 1, 1, 1);
	who_new(&x);
	who_new(&y);
	add = sign_add(&f, &x, &y, TS0 + 1, "Y");
	o = put(&f, &add);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK(strstr(o.reason, "not a member") != NULL);
	info = sign_info(&f, &x, TS0 + 2, "X", "tcp://x:1", NULL);
	o = put(&f, &info);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK_EQ_INT(member_is_current(f.st, y.pk), 0);
	CHECK_EQ_INT(member_is_current(f.st, x.pk), 0);
	CHECK_EQ_INT(member_count(f.st), 1);
	rec_free(&add);
	rec_free(&info);
	fx_close(&f);
}

TEST(refuses_malformed_membership_records)
{
	struct fixture f;
	struct who a;
	struct store_out o;
	struct mpw body;
	struct rec r;
	char upper[65];

	fx_open(&f, 1, 1, 1);
	who_new(&a);

	/* The key must be the lowercase hex of a public key. */
	mpw_init(&body, 4096);
	{
		struct body_member_add ma;

		memset(&ma, 0, sizeof(ma));
		ma.name.s = "A";
		ma.name.len = 1;
		body_member_add_encode(&ma, &body);
	}
	memcpy(upper, a.hex, sizeof(upper));
	for (int i = 0; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	r = sign_body(&f.founder, f.net, "member.add", upper, TS0 + 1, &body,
	    0);
	o = put(&f, &r);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK(strstr(o.reason, "64 lowercase hex") != NULL);
	rec_free(&r);
	r = sign_body(&f.founder, f.net, "member.add", "abcd", TS0 + 2, &body,
	    0);
	CHECK_EQ_INT(put(&f, &r).code, AMIE_EREFUSED);
	rec_free(&r);

	/* Encrypted bodies are refused. */
	r = sign_body(&f.founder, f.net, "member.add", a.hex, TS0 + 3, &body,
	    RECORD_FLAG_ENCRYPTED);
	o = put(&f, &r);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK(strstr(o.reason, "encrypted") != NULL);
	rec_free(&r);

	/* A kb body is no member.add body. */
	mpw_reset(&body);
	{
		struct body_kb kb;

		memset(&kb, 0, sizeof(kb));
		kb.title.s = "t";
		kb.title.len = 1;
		body_kb_encode(&kb, &body);
	}
	r = sign_body(&f.founder, f.net, "member.add", a.hex, TS0 + 4, &body,
	    0);
	o = put(&f, &r);
	CHECK_EQ_INT(o.code, AMIE_EPROTO);
	CHECK(strncmp(o.reason, "member.add: ", 12) == 0);
	rec_free(&r);

	/* node.info with a key. */
	r = sign_info(&f, &f.founder, TS0 + 5, "F", "tcp://f:1", NULL);
	rec_free(&r);
	mpw_reset(&body);
	{
		struct body_node_info ni;

		memset(&ni, 0, sizeof(ni));
		ni.name.s = "F";
		ni.name.len = 1;
		ni.endpoints_count = 1;
		ni.endpoints[0].s = "tcp://f:1";
		ni.endpoints[0].len = 9;
		body_node_info_encode(&ni, &body);
	}
	r = sign_body(&f.founder, f.net, "node.info", "x", TS0 + 6, &body, 0);
	o = put(&f, &r);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK_STR(o.reason, "node.info: key must be empty");
	rec_free(&r);

	CHECK_EQ_INT(items_count(&f), 1);

	/* Removing a key nobody proposed counts: refusing it would depend
	 * on which member.add records about the key a node holds. */
	r = sign_remove(&f, &f.founder, &a, TS0 + 7, "retired", TS0);
	o = put(&f, &r);
	CHECK_EQ_INT(o.stored, 1);
	CHECK_EQ_INT(state_of(&f, &a), MEMBER_REMOVED);
	CHECK_EQ_INT(member_count(f.st), 1);
	rec_free(&r);
	mpw_release(&body);
	fx_close(&f);
}

TEST(admit_quorum_two_needs_two_distinct_signers)
{
	struct fixture f;
	struct who a;
	struct member_info m;
	struct errbuf eb;
	struct store_out o;
	struct rec add1, add2, kb;

	fx_open(&f, 2, 1, 1);
	who_new(&a);
	add1 = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	add2 = sign_add(&f, &f.founder, &a, TS0 + 2, "A again");
	CHECK_EQ_INT(put(&f, &add1).stored, 1);
	CHECK_EQ_INT(state_of(&f, &a), MEMBER_PENDING);
	/* The same member signing twice is one signer. */
	CHECK_EQ_INT(put(&f, &add2).stored, 1);
	REQUIRE(member_get(f.st, a.pk, &m, &eb) == 0);
	CHECK_EQ_INT(m.state, MEMBER_PENDING);
	CHECK_EQ_INT(m.signers, 1);
	CHECK_EQ_INT(member_is_current(f.st, a.pk), 0);
	CHECK_EQ_INT(member_count(f.st), 1);
	kb = sign_kb(&f, &a, "art", TS0 + 3);
	o = put(&f, &kb);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	rec_free(&add1);
	rec_free(&add2);
	rec_free(&kb);
	fx_close(&f);
}

TEST(remove_quorum_two_needs_two_distinct_members)
{
	struct fixture f;
	struct who a, b, c;
	struct rec r[6];

	fx_open(&f, 1, 2, 1);
	who_new(&a);
	who_new(&b);
	who_new(&c);
	r[0] = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	r[1] = sign_add(&f, &f.founder, &b, TS0 + 2, "B");
	r[2] = sign_add(&f, &f.founder, &c, TS0 + 3, "C");
	r[3] = sign_remove(&f, &f.founder, &c, TS0 + 4, "retired", TS0 + 4);
	r[4] = sign_remove(&f, &f.founder, &c, TS0 + 5, "retired", TS0 + 4);
	r[5] = sign_remove(&f, &a, &c, TS0 + 6, "compromised", TS0 + 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(put(&f, &r[i]).stored, 1);
	CHECK_EQ_INT(state_of(&f, &c), MEMBER_CURRENT);
	CHECK_EQ_INT(member_count(f.st), 4);
	CHECK_EQ_INT(put(&f, &r[5]).stored, 1);
	CHECK_EQ_INT(state_of(&f, &c), MEMBER_REMOVED);
	CHECK_EQ_INT(member_count(f.st), 3);
	{
		struct member_info m;
		struct errbuf eb;

		REQUIRE(member_get(f.st, c.pk, &m, &eb) == 0);
		/* The earliest effective_from of the removals counts. */
		CHECK_EQ_INT(m.removed_from, TS0 + 4);
		CHECK_STR(m.reason, "retired");
	}
	for (int i = 0; i < 6; i++)
		rec_free(&r[i]);
	fx_close(&f);
}

TEST(self_removal_works_at_once_and_stays_served)
{
	struct fixture f;
	struct who a;
	struct member_info m;
	struct errbuf eb;
	struct store_out o;
	struct rec add, before, after, bye, late;

	fx_open(&f, 1, 3, 1);	/* remove_quorum does not bind oneself */
	who_new(&a);
	add = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	before = sign_kb(&f, &a, "before", TS0 + 5);
	after = sign_kb(&f, &a, "after", TS0 + 15);
	bye = sign_remove(&f, &a, &a, TS0 + 20, "retired", TS0 + 10);
	late = sign_kb(&f, &a, "late", TS0 + 25);
	CHECK_EQ_INT(put(&f, &add).stored, 1);
	CHECK_EQ_INT(put(&f, &before).stored, 1);
	CHECK_EQ_INT(put(&f, &after).stored, 1);
	CHECK_EQ_INT(items_count(&f), 4);
	o = put(&f, &bye);
	CHECK_EQ_INT(o.stored, 1);
	CHECK_EQ_INT(member_is_current(f.st, a.pk), 0);
	REQUIRE(member_get(f.st, a.pk, &m, &eb) == 0);
	CHECK_EQ_INT(m.state, MEMBER_REMOVED);
	CHECK_EQ_INT(m.removed_from, TS0 + 10);
	CHECK_STR(m.reason, "retired");
	CHECK(in_items(&f, &before));
	CHECK(!in_items(&f, &after));
	/* The removal itself is served, so that it reaches every node. */
	CHECK(in_items(&f, &bye));
	CHECK_EQ_INT(items_count(&f), 4);
	CHECK(items_verified(&f));
	o = put(&f, &late);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK_STR(o.reason, "author: removed from the federation (retired) "
	    "since 1764320000010");
	CHECK_EQ_INT(member_count(f.st), 1);
	rec_free(&add);
	rec_free(&before);
	rec_free(&after);
	rec_free(&bye);
	rec_free(&late);
	fx_close(&f);
}

TEST(removal_hides_records_from_effective_from_and_refuses_new_ones)
{
	struct fixture f;
	struct who a;
	struct store_out o;
	struct rec add, k1, k2, k3, rm, k4, k5;

	fx_open(&f, 1, 1, 1);
	who_new(&a);
	add = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	k1 = sign_kb(&f, &a, "k1", TS0 + 50);
	k2 = sign_kb(&f, &a, "k2", TS0 + 100);
	k3 = sign_kb(&f, &a, "k3", TS0 + 150);
	rm = sign_remove(&f, &f.founder, &a, TS0 + 200, "compromised",
	    TS0 + 100);
	k4 = sign_kb(&f, &a, "k4", TS0 + 250);
	k5 = sign_kb(&f, &a, "k5", TS0 + 99);	/* before, arriving late */
	put(&f, &add);
	put(&f, &k1);
	put(&f, &k2);
	put(&f, &k3);
	CHECK_EQ_INT(items_count(&f), 5);
	CHECK_EQ_INT(put(&f, &rm).stored, 1);
	CHECK_EQ_INT(items_count(&f), 4);
	CHECK(in_items(&f, &k1));
	CHECK(!in_items(&f, &k2));
	CHECK(!in_items(&f, &k3));
	CHECK(in_items(&f, &rm));
	CHECK(items_verified(&f));
	o = put(&f, &k4);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK_STR(o.reason, "author: removed from the federation "
	    "(compromised) since 1764320000100");
	o = put(&f, &k5);
	CHECK_EQ_INT(o.stored, 1);
	CHECK(in_items(&f, &k5));
	CHECK_EQ_INT(state_of(&f, &a), MEMBER_REMOVED);
	rec_free(&add);
	rec_free(&k1);
	rec_free(&k2);
	rec_free(&k3);
	rec_free(&rm);
	rec_free(&k4);
	rec_free(&k5);
	fx_close(&f);
}

TEST(removal_hides_many_records_across_chunks)
{
	enum { N = 3000, BATCH = 500 };
	struct fixture f;
	struct who a;
	struct store_in in[BATCH];
	struct store_out o[BATCH];
	struct errbuf eb;
	struct rec add, rm, *kb;
	size_t stored = 0;

	fx_open(&f, 1, 1, 1);
	who_new(&a);
	add = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	put(&f, &add);
	kb = xcalloc(N, sizeof(*kb));
	for (size_t i = 0; i < N; i++) {
		char key[32];

		snprintf(key, sizeof(key), "art%zu", i);
		kb[i] = sign_kb(&f, &a, key, TS0 + 10 + i);
	}
	for (size_t i = 0; i < N; i += BATCH) {
		for (size_t j = 0; j < BATCH; j++)
			in[j] = (struct store_in){ kb[i + j].buf,
			    kb[i + j].len };
		REQUIRE(store_ingest(f.st, in, BATCH, NOW, o, &eb) == 0);
		for (size_t j = 0; j < BATCH; j++)
			stored += o[j].stored;
	}
	CHECK_EQ_INT(stored, N);
	CHECK_EQ_INT(items_count(&f), N + 2);
	rm = sign_remove(&f, &f.founder, &a, TS0 + 10 + N, "compromised",
	    TS0 + 10 + 1000);
	CHECK_EQ_INT(put(&f, &rm).stored, 1);
	CHECK_EQ_INT(items_count(&f), 1000 + 3);
	CHECK(in_items(&f, &kb[999]));
	CHECK(!in_items(&f, &kb[1000]));
	CHECK(items_verified(&f));
	for (size_t i = 0; i < N; i++)
		rec_free(&kb[i]);
	free(kb);
	rec_free(&add);
	rec_free(&rm);
	fx_close(&f);
}

/*
 * A removal ingested in the same batch as the records it hides, after
 * them, and more records after it: the item set's ladder, kept in memory
 * through the batch, is written before the removal takes items out, and
 * the set still verifies.
 */
TEST(removal_in_the_batch_of_the_records_it_hides)
{
	enum { N = 1200, M = 100, CUT = 400 };
	struct fixture f;
	struct who a, b;
	struct store_in *in;
	struct store_out *o;
	struct errbuf eb;
	struct rec add_a, add_b, rm, *kb;
	size_t stored = 0;

	fx_open(&f, 1, 1, 1);
	who_new(&a);
	who_new(&b);
	add_a = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	add_b = sign_add(&f, &f.founder, &b, TS0 + 2, "B");
	CHECK_EQ_INT(put(&f, &add_a).stored, 1);
	CHECK_EQ_INT(put(&f, &add_b).stored, 1);
	kb = xcalloc(N + M, sizeof(*kb));
	for (size_t i = 0; i < N + M; i++) {
		char key[32];

		snprintf(key, sizeof(key), "art%zu", i);
		kb[i] = sign_kb(&f, i < N ? &a : &b, key, TS0 + 10 + i);
	}
	rm = sign_remove(&f, &f.founder, &a, TS0 + 10 + N + M,
	    "compromised", TS0 + 10 + CUT);
	in = xcalloc(N + M + 1, sizeof(*in));
	o = xcalloc(N + M + 1, sizeof(*o));
	for (size_t i = 0; i < N; i++)
		in[i] = (struct store_in){ kb[i].buf, kb[i].len };
	in[N] = (struct store_in){ rm.buf, rm.len };
	for (size_t i = N; i < N + M; i++)
		in[i + 1] = (struct store_in){ kb[i].buf, kb[i].len };
	REQUIRE(store_ingest(f.st, in, N + M + 1, NOW, o, &eb) == 0);
	for (size_t i = 0; i < N + M + 1; i++)
		stored += o[i].stored;
	CHECK_EQ_INT(stored, N + M + 1);
	/* the charter, two admissions, the removal, A's records before the
	 * cut and B's */
	CHECK_EQ_INT(items_count(&f), 4 + CUT + M);
	CHECK(in_items(&f, &kb[CUT - 1]));
	CHECK(!in_items(&f, &kb[CUT]));
	CHECK(!in_items(&f, &kb[N - 1]));
	CHECK(in_items(&f, &kb[N + M - 1]));
	CHECK(items_verified(&f));
	for (size_t i = 0; i < N + M; i++)
		rec_free(&kb[i]);
	free(kb);
	free(in);
	free(o);
	rec_free(&add_a);
	rec_free(&add_b);
	rec_free(&rm);
	fx_close(&f);
}

TEST(admissions_by_a_compromised_key_are_void)
{
	struct fixture f;
	struct who a, z;
	struct store_out o;
	struct rec add_a, add_z, kz, rm, kz2;

	fx_open(&f, 1, 1, 1);
	who_new(&a);
	who_new(&z);
	add_a = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	add_z = sign_add(&f, &a, &z, TS0 + 60, "Z");
	kz = sign_kb(&f, &z, "spam", TS0 + 70);
	rm = sign_remove(&f, &f.founder, &a, TS0 + 80, "compromised",
	    TS0 + 50);
	kz2 = sign_kb(&f, &z, "spam2", TS0 + 90);
	put(&f, &add_a);
	CHECK_EQ_INT(put(&f, &add_z).stored, 1);
	CHECK_EQ_INT(put(&f, &kz).stored, 1);
	CHECK_EQ_INT(member_is_current(f.st, z.pk), 1);
	CHECK_EQ_INT(items_count(&f), 4);
	CHECK_EQ_INT(put(&f, &rm).stored, 1);
	CHECK_EQ_INT(member_is_current(f.st, z.pk), 0);
	/* No record that counts names Z any more: it is not even pending,
	 * as on a node that got the removal first and refused add_z. */
	CHECK_EQ_INT(state_of(&f, &z), 0);
	CHECK(!in_items(&f, &add_z));
	CHECK(!in_items(&f, &kz));
	CHECK_EQ_INT(items_count(&f), 3);	/* charter, add_a, rm */
	CHECK(items_verified(&f));
	o = put(&f, &kz2);
	CHECK_EQ_INT(o.code, AMIE_EREFUSED);
	CHECK_STR(o.reason, "author: not a member of this federation");
	CHECK_EQ_INT(member_count(f.st), 1);
	rec_free(&add_a);
	rec_free(&add_z);
	rec_free(&kz);
	rec_free(&rm);
	rec_free(&kz2);
	fx_close(&f);
}

TEST(node_info_updates_name_and_endpoints)
{
	struct fixture f;
	struct who a;
	struct member_info m;
	struct errbuf eb;
	struct rec add, i1, i0, i2;

	fx_open(&f, 1, 1, 1);
	who_new(&a);
	add = sign_add(&f, &f.founder, &a, TS0 + 1, "From the invite");
	i1 = sign_info(&f, &a, TS0 + 20, "Amie Lyon", "tcp://lyon:7411",
	    "tcp://10.0.0.2:7411");
	i0 = sign_info(&f, &a, TS0 + 10, "Old name", "tcp://old:1", NULL);
	i2 = sign_info(&f, &a, TS0 + 30, "Amie Lyon Sud", "tcp://sud:7411",
	    NULL);
	/* Before its author is admitted, a node.info is refused. */
	CHECK_EQ_INT(put(&f, &i1).code, AMIE_EREFUSED);
	put(&f, &add);
	CHECK_EQ_INT(put(&f, &i1).stored, 1);
	REQUIRE(member_get(f.st, a.pk, &m, &eb) == 0);
	CHECK_STR(m.name, "Amie Lyon");
	CHECK_STR(m.region, "ARA");
	REQUIRE(m.endpoints_count == 2);
	CHECK_STR(m.endpoints[0], "tcp://lyon:7411");
	CHECK_STR(m.endpoints[1], "tcp://10.0.0.2:7411");
	/* An older one arriving later changes nothing. */
	CHECK_EQ_INT(put(&f, &i0).stored, 1);
	REQUIRE(member_get(f.st, a.pk, &m, &eb) == 0);
	CHECK_STR(m.name, "Amie Lyon");
	CHECK_EQ_INT(put(&f, &i2).stored, 1);
	REQUIRE(member_get(f.st, a.pk, &m, &eb) == 0);
	CHECK_STR(m.name, "Amie Lyon Sud");
	CHECK_EQ_INT(m.endpoints_count, 1);
	CHECK_STR(m.endpoints[0], "tcp://sud:7411");
	CHECK_STR(m.endpoints[1], "");
	CHECK(memcmp(m.invited_by, f.founder.pk, 32) == 0);
	rec_free(&add);
	rec_free(&i1);
	rec_free(&i0);
	rec_free(&i2);
	fx_close(&f);
}

/* The set used by the arrival-order tests, all accepted in any order. */
#define SET_N 11

struct set {
	struct who a, b, c, d;
	struct rec r[SET_N];
};

static void
set_make(struct fixture *f, struct set *s)
{
	who_new(&s->a);
	who_new(&s->b);
	who_new(&s->c);
	who_new(&s->d);
	s->r[0] = f->charter;
	s->r[1] = sign_add(f, &f->founder, &s->a, TS0 + 10, "A");
	s->r[2] = sign_add(f, &f->founder, &s->b, TS0 + 20, "B");
	s->r[3] = sign_add(f, &s->a, &s->c, TS0 + 30, "C by A");
	s->r[4] = sign_add(f, &s->b, &s->c, TS0 + 31, "C by B");
	s->r[5] = sign_info(f, &s->a, TS0 + 40, "Amie A", "tcp://a:1", NULL);
	s->r[6] = sign_kb(f, &s->c, "c-art", TS0 + 50);
	s->r[7] = sign_kb(f, &s->b, "b-art", TS0 + 60);
	/* B is removed by A from TS0 + 62; its articles are older. */
	s->r[8] = sign_kb(f, &s->b, "b-art2", TS0 + 61);
	s->r[9] = sign_remove(f, &s->a, &s->b, TS0 + 80, "retired", TS0 + 62);
	s->r[10] = sign_add(f, &s->c, &s->d, TS0 + 90, "D by C");
}

/* Everything a node shows of membership, as text. */
static int
dump_member(void *ctx, const struct member_info *m)
{
	char *out = ctx, hex[65], line[512];

	record_id_hex(hex, m->key);
	snprintf(line, sizeof(line), "%.8s %d %u %d %llu %llu %s %s %u %s\n",
	    hex, (int)m->state, m->signers, m->founder,
	    (unsigned long long)m->admitted_ts,
	    (unsigned long long)m->removed_from, m->reason, m->name,
	    m->endpoints_count, m->endpoints[0]);
	if (strlen(out) + strlen(line) < 8192)
		strcat(out, line);
	return 0;
}

static void
dump_items(struct fixture *f, char *out, size_t cap)
{
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	size_t n = 0;

	if (mdb_txn_begin(f->st->env, NULL, MDB_RDONLY, &txn) != 0 ||
	    mdb_cursor_open(txn, f->st->items, &c) != 0)
		abort();
	out[0] = '\0';
	while (mdb_cursor_get(c, &k, &v, n++ ? MDB_NEXT : MDB_FIRST) == 0) {
		char hex[65];

		size_t used = strlen(out);

		record_id_hex(hex, (const uint8_t *)k.mv_data + 8);
		if (used + 10 < cap)
			snprintf(out + used, cap - used, "%.8s\n", hex);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
}

/*
 * Ingest the set in the order given, in batches of batch records, passing
 * over the refused ones again (as a peer retries) until nothing changes.
 * Returns the number stored.
 */
static size_t
ingest_order(struct fixture *f, struct set *s, const size_t *order,
    size_t batch)
{
	struct store_in in[SET_N];
	struct store_out o[SET_N];
	int stored[SET_N] = { 0 };
	size_t total = 0, progress;
	struct errbuf eb;

	do {
		size_t n = 0, idx[SET_N];

		progress = 0;
		for (size_t i = 0; i < SET_N; i++) {
			if (stored[order[i]])
				continue;
			idx[n] = order[i];
			in[n].buf = s->r[order[i]].buf;
			in[n].len = s->r[order[i]].len;
			n++;
		}
		for (size_t i = 0; i < n; i += batch) {
			size_t m = n - i < batch ? n - i : batch;

			if (store_ingest(f->st, in + i, m, NOW, o + i,
			    &eb) != 0)
				abort();
		}
		for (size_t i = 0; i < n; i++)
			if (o[i].stored) {
				stored[idx[i]] = 1;
				progress++;
			}
		total += progress;
	} while (progress > 0);
	return total;
}

TEST(membership_is_independent_of_arrival_order)
{
	static const size_t orders[][SET_N] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
		{ 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
		{ 0, 9, 5, 10, 6, 3, 4, 8, 7, 2, 1 },
		{ 4, 0, 3, 2, 9, 1, 10, 5, 8, 6, 7 },
		{ 0, 1, 2, 9, 8, 7, 3, 4, 10, 6, 5 },
	};
	static char want_m[8192], want_i[8192];
	char got_m[8192], got_i[8192];
	struct fixture f;
	struct set s;
	struct errbuf eb;
	size_t order[SET_N];
	uint32_t seed = 7;

	fx_open(&f, 1, 1, 0);
	set_make(&f, &s);
	store_close(&f.st);

	for (int round = 0; round < 25; round++) {
		char cmd[128];

		if (round < 5) {
			memcpy(order, orders[round], sizeof(order));
		} else {
			for (size_t i = 0; i < SET_N; i++)
				order[i] = i;
			for (size_t i = SET_N - 1; i > 0; i--) {
				size_t j, t;

				seed = seed * 1103515245u + 12345u;
				j = (seed >> 8) % (i + 1);
				t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
		}
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f.dir);
		if (system(cmd) != 0)
			abort();
		fx_open_dir(&f);
		CHECK_EQ_INT(ingest_order(&f, &s, order, round % 2 ? 1 : 4),
		    SET_N);
		got_m[0] = '\0';
		CHECK_EQ_INT(member_list(f.st, dump_member, got_m, &eb), 0);
		dump_items(&f, got_i, sizeof(got_i));
		CHECK(items_verified(&f));
		if (round == 0) {
			memcpy(want_m, got_m, sizeof(want_m));
			memcpy(want_i, got_i, sizeof(want_i));
			CHECK_EQ_INT(state_of(&f, &s.b), MEMBER_REMOVED);
			CHECK_EQ_INT(state_of(&f, &s.c), MEMBER_CURRENT);
			CHECK_EQ_INT(state_of(&f, &s.d), MEMBER_CURRENT);
			CHECK_EQ_INT(member_count(f.st), 4);
			CHECK(in_items(&f, &s.r[8]));
			CHECK_EQ_INT(items_count(&f), SET_N);
		} else {
			if (strcmp(got_m, want_m) != 0)
				fprintf(stderr, "  round %d members:\n%s"
				    "  expected:\n%s", round, got_m, want_m);
			CHECK_STR(got_m, want_m);
			CHECK_STR(got_i, want_i);
		}
		store_close(&f.st);
	}
	REQUIRE(store_open(&f.st, f.dir, f.founder.pk, &eb) == 0);
	for (int i = 1; i < SET_N; i++)
		rec_free(&s.r[i]);
	fx_close(&f);
}

/*
 * Ingest recs[0..n) in the order given, one record per batch, passing over
 * the refused ones again (as a peer retries) until nothing changes.
 */
static void
ingest_all(struct fixture *f, struct rec *const *recs, size_t n)
{
	int progress;
	int *stored = xcalloc(n, sizeof(*stored));

	do {
		progress = 0;
		for (size_t i = 0; i < n; i++)
			if (!stored[i] && put(f, recs[i]).stored)
				stored[i] = progress = 1;
	} while (progress);
	free(stored);
}

/*
 * docs/storage.md's former known gap: with quorums of 1, F adds Y and Z;
 * Y adds X at 200; X removes Z at 250; F removes Y as compromised from
 * 150, which voids X.  A node that stored X's removal before F's and one
 * that got F's first must end with the same membership and item set: Z
 * current, X not a member, X's records not served.
 */
TEST(a_removal_by_a_member_voided_later_is_taken_back)
{
	struct fixture f1, f2;
	struct who y, z, x;
	struct rec add_y, add_z, add_x, rm_z, kz, kx, rm_y;
	char m1[8192], m2[8192], i1[8192], i2[8192];
	struct errbuf eb;

	fx_open(&f1, 1, 1, 1);
	fx_open_dir(&f2);
	memcpy(&f2.founder, &f1.founder, sizeof(f1.founder));
	memcpy(f2.net, f1.net, sizeof(f1.net));
	f2.charter.buf = NULL;
	REQUIRE(put(&f2, &f1.charter).stored);
	who_new(&y);
	who_new(&z);
	who_new(&x);
	add_y = sign_add(&f1, &f1.founder, &y, TS0 + 10, "Y");
	add_z = sign_add(&f1, &f1.founder, &z, TS0 + 20, "Z");
	add_x = sign_add(&f1, &y, &x, TS0 + 200, "X by Y");
	rm_z = sign_remove(&f1, &x, &z, TS0 + 250, "retired", TS0 + 250);
	kz = sign_kb(&f1, &z, "z-art", TS0 + 260);
	kx = sign_kb(&f1, &x, "x-art", TS0 + 240);
	rm_y = sign_remove(&f1, &f1.founder, &y, TS0 + 300, "compromised",
	    TS0 + 150);
	{
		/* Node 1: in ts order, X's removal before F's. */
		struct rec *o1[] = { &add_y, &add_z, &add_x, &kx, &rm_z, &kz,
		    &rm_y };
		/* Node 2: F's removal first. */
		struct rec *o2[] = { &add_y, &add_z, &rm_y, &kz, &add_x, &kx,
		    &rm_z };

		ingest_all(&f1, o1, 7);
		ingest_all(&f2, o2, 7);
	}
	m1[0] = m2[0] = '\0';
	CHECK_EQ_INT(member_list(f1.st, dump_member, m1, &eb), 0);
	CHECK_EQ_INT(member_list(f2.st, dump_member, m2, &eb), 0);
	dump_items(&f1, i1, sizeof(i1));
	dump_items(&f2, i2, sizeof(i2));
	if (strcmp(m1, m2) != 0)
		fprintf(stderr, "  node 1 members:\n%s  node 2 members:\n%s",
		    m1, m2);
	CHECK_STR(m1, m2);
	CHECK_STR(i1, i2);
	CHECK_EQ_INT(state_of(&f1, &z), MEMBER_CURRENT);
	CHECK_EQ_INT(state_of(&f2, &z), MEMBER_CURRENT);
	CHECK_EQ_INT(state_of(&f1, &y), MEMBER_REMOVED);
	CHECK_EQ_INT(member_is_current(f1.st, x.pk), 0);
	CHECK(in_items(&f1, &kz));
	CHECK(!in_items(&f1, &rm_z));
	CHECK(!in_items(&f1, &kx));
	CHECK(!in_items(&f1, &add_x));
	CHECK(items_verified(&f1));
	CHECK(items_verified(&f2));
	rec_free(&add_y);
	rec_free(&add_z);
	rec_free(&add_x);
	rec_free(&rm_z);
	rec_free(&kz);
	rec_free(&kx);
	rec_free(&rm_y);
	fx_close(&f2);
	fx_close(&f1);
}

/*
 * Ingest recs in batches of batch records, passing over the refused ones
 * again until nothing changes.
 */
static void
ingest_batches(struct fixture *f, struct rec *const *recs, size_t n,
    size_t batch)
{
	struct store_in *in = xcalloc(n, sizeof(*in));
	struct store_out *o = xcalloc(n, sizeof(*o));
	size_t *idx = xcalloc(n, sizeof(*idx));
	int *stored = xcalloc(n, sizeof(*stored));
	struct errbuf eb;
	int progress;

	do {
		size_t m = 0;

		progress = 0;
		for (size_t i = 0; i < n; i++) {
			if (stored[i])
				continue;
			idx[m] = i;
			in[m].buf = recs[i]->buf;
			in[m].len = recs[i]->len;
			m++;
		}
		for (size_t i = 0; i < m; i += batch)
			if (store_ingest(f->st, in + i, m - i < batch ? m - i :
			    batch, NOW, o + i, &eb) != 0)
				abort();
		for (size_t i = 0; i < m; i++)
			if (o[i].stored)
				stored[idx[i]] = progress = 1;
	} while (progress);
	free(in);
	free(o);
	free(idx);
	free(stored);
}

/*
 * A removal that would void its own signer: W, admitted by Y at 200,
 * removes Y as compromised from 150 at 300.  Taken back to 150, it would
 * void Y's add of W and so itself: Y is removed from just after it (301),
 * W stays, in either order.
 */
TEST(a_removal_that_would_void_its_signer_takes_effect_after_it)
{
	struct fixture f1, f2;
	struct who y, w;
	struct rec add_y, add_w, ky, rm_y, ky2;
	char m1[8192], m2[8192], i1[8192], i2[8192];
	struct member_info m;
	struct errbuf eb;

	fx_open(&f1, 1, 1, 1);
	fx_open_dir(&f2);
	memcpy(&f2.founder, &f1.founder, sizeof(f1.founder));
	memcpy(f2.net, f1.net, sizeof(f1.net));
	f2.charter.buf = NULL;
	REQUIRE(put(&f2, &f1.charter).stored);
	who_new(&y);
	who_new(&w);
	add_y = sign_add(&f1, &f1.founder, &y, TS0 + 10, "Y");
	add_w = sign_add(&f1, &y, &w, TS0 + 200, "W by Y");
	ky = sign_kb(&f1, &y, "y-art", TS0 + 250);
	rm_y = sign_remove(&f1, &w, &y, TS0 + 300, "compromised", TS0 + 150);
	ky2 = sign_kb(&f1, &y, "y-art2", TS0 + 305);
	{
		struct rec *o1[] = { &add_y, &add_w, &ky, &rm_y, &ky2 };
		struct rec *o2[] = { &rm_y, &ky2, &ky, &add_w, &add_y };

		ingest_all(&f1, o1, 5);
		ingest_all(&f2, o2, 5);
	}
	m1[0] = m2[0] = '\0';
	CHECK_EQ_INT(member_list(f1.st, dump_member, m1, &eb), 0);
	CHECK_EQ_INT(member_list(f2.st, dump_member, m2, &eb), 0);
	dump_items(&f1, i1, sizeof(i1));
	dump_items(&f2, i2, sizeof(i2));
	CHECK_STR(m1, m2);
	CHECK_STR(i1, i2);
	REQUIRE(member_get(f1.st, y.pk, &m, &eb) == 0);
	CHECK_EQ_INT(m.state, MEMBER_REMOVED);
	CHECK_EQ_INT(m.removed_from, TS0 + 301);
	CHECK_STR(m.reason, "compromised");
	CHECK_EQ_INT(member_is_current(f1.st, w.pk), 1);
	CHECK(in_items(&f1, &add_w));
	CHECK(in_items(&f1, &ky));
	CHECK(in_items(&f1, &rm_y));
	CHECK(!in_items(&f1, &ky2));
	CHECK(items_verified(&f1));
	CHECK(items_verified(&f2));
	rec_free(&add_y);
	rec_free(&add_w);
	rec_free(&ky);
	rec_free(&rm_y);
	rec_free(&ky2);
	fx_close(&f2);
	fx_close(&f1);
}

#define CHAIN_N 17

/*
 * Ingest r[0..n) (r[0] the charter) into fresh stores in rounds - 1
 * shuffled orders and batch sizes, then in the order given: every round
 * must end with the same membership and item set.  The store of the last
 * round stays open.
 */
static void
orders_agree(struct fixture *f, struct rec *r, size_t n, int rounds,
    uint32_t seed)
{
	static char want_m[8192], want_i[8192];
	char got_m[8192], got_i[8192];
	struct rec **order = xcalloc(n, sizeof(*order));
	struct errbuf eb;

	store_close(&f->st);
	for (int round = 1; round <= rounds; round++) {
		char cmd[128];

		for (size_t i = 0; i < n; i++)
			order[i] = &r[round == 1 ? n - 1 - i : i];
		for (size_t i = n - 1; round > 1 && round < rounds && i > 0;
		    i--) {
			struct rec *t;
			size_t j;

			seed = seed * 1103515245u + 12345u;
			j = (seed >> 8) % (i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			abort();
		fx_open_dir(f);
		ingest_batches(f, order, n, (size_t)1 << (round % 4));
		got_m[0] = '\0';
		CHECK_EQ_INT(member_list(f->st, dump_member, got_m, &eb), 0);
		dump_items(f, got_i, sizeof(got_i));
		CHECK(items_verified(f));
		if (round == 1) {
			memcpy(want_m, got_m, sizeof(want_m));
			memcpy(want_i, got_i, sizeof(want_i));
		} else {
			if (strcmp(got_m, want_m) != 0)
				fprintf(stderr, "  round %d members:\n%s"
				    "  expected:\n%s", round, got_m, want_m);
			CHECK_STR(got_m, want_m);
			CHECK_STR(got_i, want_i);
		}
		if (round < rounds)
			store_close(&f->st);
	}
	free(order);
}

/*
 * Removals that void one another, in many orders and batch sizes: every
 * node ends with the same membership and item set.  F adds Y, Z, V; Z adds
 * U at 120 (U writes at 130); Y adds X at 200; X removes Z as compromised
 * from 100 at 250 (which would void U); F removes Y as compromised from
 * 150 at 300, which voids X and so X's removal: Z and U stay.  V adds P
 * at 400 and P removes V as compromised from 350 at 450, which would void
 * P itself: V is removed from 451.  F also removes X at 270: X never was
 * a member, yet has the state removed on every node, whether it stored
 * Y's add of X or not.  Then, with one record more, F removes
 * Z as compromised from 100 at 500, as X did: Z is removed from 100 and U
 * voided, whether or not X's removal was seen first.
 */
TEST(chained_removals_are_independent_of_arrival_order)
{
	struct fixture f;
	struct who y, z, v, u, x, p;
	struct rec r[CHAIN_N];
	struct member_info m;
	struct errbuf eb;

	fx_open(&f, 1, 1, 1);
	who_new(&y);
	who_new(&z);
	who_new(&v);
	who_new(&u);
	who_new(&x);
	who_new(&p);
	r[0] = f.charter;
	r[1] = sign_add(&f, &f.founder, &y, TS0 + 10, "Y");
	r[2] = sign_add(&f, &f.founder, &z, TS0 + 20, "Z");
	r[3] = sign_add(&f, &f.founder, &v, TS0 + 30, "V");
	r[4] = sign_add(&f, &z, &u, TS0 + 120, "U by Z");
	r[5] = sign_kb(&f, &u, "u-art", TS0 + 130);
	r[6] = sign_add(&f, &y, &x, TS0 + 200, "X by Y");
	r[7] = sign_kb(&f, &x, "x-art", TS0 + 240);
	r[8] = sign_remove(&f, &x, &z, TS0 + 250, "compromised", TS0 + 100);
	r[9] = sign_kb(&f, &z, "z-art", TS0 + 260);
	r[10] = sign_remove(&f, &f.founder, &y, TS0 + 300, "compromised",
	    TS0 + 150);
	r[11] = sign_add(&f, &v, &p, TS0 + 400, "P by V");
	r[12] = sign_kb(&f, &v, "v-art", TS0 + 420);
	r[13] = sign_remove(&f, &p, &v, TS0 + 450, "compromised", TS0 + 350);
	r[14] = sign_kb(&f, &v, "v-art2", TS0 + 460);
	r[15] = sign_remove(&f, &f.founder, &x, TS0 + 270, "retired",
	    TS0 + 270);
	r[16] = sign_remove(&f, &f.founder, &z, TS0 + 500, "compromised",
	    TS0 + 100);

	orders_agree(&f, r, CHAIN_N - 1, 24, 11);
	CHECK_EQ_INT(state_of(&f, &z), MEMBER_CURRENT);
	CHECK_EQ_INT(state_of(&f, &u), MEMBER_CURRENT);
	CHECK_EQ_INT(state_of(&f, &x), MEMBER_REMOVED);
	CHECK_EQ_INT(member_is_current(f.st, x.pk), 0);
	CHECK(in_items(&f, &r[15]));
	CHECK_EQ_INT(state_of(&f, &y), MEMBER_REMOVED);
	CHECK_EQ_INT(state_of(&f, &p), MEMBER_CURRENT);
	REQUIRE(member_get(f.st, v.pk, &m, &eb) == 0);
	CHECK_EQ_INT(m.state, MEMBER_REMOVED);
	CHECK_EQ_INT(m.removed_from, TS0 + 451);
	CHECK(in_items(&f, &r[5]));
	CHECK(in_items(&f, &r[9]));
	CHECK(in_items(&f, &r[12]));
	CHECK(!in_items(&f, &r[6]));
	CHECK(!in_items(&f, &r[7]));
	CHECK(!in_items(&f, &r[8]));
	CHECK(!in_items(&f, &r[14]));

	orders_agree(&f, r, CHAIN_N, 24, 13);
	REQUIRE(member_get(f.st, z.pk, &m, &eb) == 0);
	CHECK_EQ_INT(m.state, MEMBER_REMOVED);
	CHECK_EQ_INT(m.removed_from, TS0 + 100);
	CHECK_EQ_INT(state_of(&f, &u), 0);
	CHECK(!in_items(&f, &r[4]));
	CHECK(!in_items(&f, &r[5]));
	CHECK(!in_items(&f, &r[9]));
	for (int i = 1; i < CHAIN_N; i++)
		rec_free(&r[i]);
	fx_close(&f);
}

/*
 * A store whose membership an earlier rule computed (no meta
 * "member_rule"): opening it recomputes membership and moves the windows.
 * Here Z was left removed by a member whose admission was voided.
 */
TEST(a_store_computed_by_the_earlier_rule_is_recomputed_at_open)
{
	struct fixture f;
	struct who y, z;
	struct rec add_y, add_z, kz;
	MDB_val k = { 32, NULL }, v, mk = { 11, (void *)"member_rule" };
	uint8_t val[2048];
	struct errbuf eb;
	MDB_txn *txn;

	fx_open(&f, 1, 1, 1);
	who_new(&y);
	who_new(&z);
	add_y = sign_add(&f, &f.founder, &y, TS0 + 10, "Y");
	add_z = sign_add(&f, &f.founder, &z, TS0 + 20, "Z");
	kz = sign_kb(&f, &z, "z-art", TS0 + 260);
	put(&f, &add_y);
	put(&f, &add_z);
	REQUIRE(put(&f, &kz).stored);
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	k.mv_data = z.pk;
	REQUIRE(mdb_get(txn, f.st->members, &k, &v) == 0);
	REQUIRE(v.mv_size <= sizeof(val));
	memcpy(val, v.mv_data, v.mv_size);
	val[0] = MEMBER_REMOVED;
	val[2] = 1;
	store_be64(val + 16, TS0 + 250);
	v.mv_data = val;
	REQUIRE(mdb_put(txn, f.st->members, &k, &v, 0) == 0);
	REQUIRE(itemset_del(f.st, txn, kz.ts, kz.id) == 0);
	REQUIRE(mdb_del(txn, f.st->meta, &mk, NULL) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	store_close(&f.st);
	REQUIRE(store_open(&f.st, f.dir, f.founder.pk, &eb) == 0);
	CHECK_EQ_INT(state_of(&f, &z), MEMBER_CURRENT);
	CHECK(in_items(&f, &kz));
	CHECK(items_verified(&f));
	rec_free(&add_y);
	rec_free(&add_z);
	rec_free(&kz);
	fx_close(&f);
}

struct collected {
	size_t n;
	uint64_t ts[32];
	char kind[32][RECORD_KIND_MAX + 1];
};

static int
collect(void *ctx, const uint8_t *buf, size_t len)
{
	struct collected *c = ctx;
	struct record_header h;
	struct record r;

	if (c->n == 32 || record_decode(&r, buf, len, NULL) != 0 ||
	    record_header_decode(&h, r.header, r.header_len, NULL) != 0)
		return -1;
	c->ts[c->n] = h.ts;
	memcpy(c->kind[c->n], h.kind, sizeof(h.kind));
	c->n++;
	return 0;
}

TEST(member_records_gives_the_membership_records_in_ts_order)
{
	struct fixture f;
	struct set s;
	struct collected c;
	struct errbuf eb;
	static const size_t order[SET_N] = { 0, 10, 9, 8, 7, 6, 5, 4, 3, 2,
	    1 };

	fx_open(&f, 1, 1, 0);
	set_make(&f, &s);
	CHECK_EQ_INT(ingest_order(&f, &s, order, 1), SET_N);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(member_records(f.st, collect, &c, &eb), 0);
	/* charter, 4 member.add, node.info, member.remove, member.add: no
	 * kb. */
	REQUIRE(c.n == 8);
	CHECK_STR(c.kind[0], "charter");
	CHECK_STR(c.kind[1], "member.add");
	CHECK_STR(c.kind[5], "node.info");
	CHECK_STR(c.kind[6], "member.remove");
	CHECK_STR(c.kind[7], "member.add");
	for (size_t i = 1; i < c.n; i++)
		CHECK(c.ts[i - 1] < c.ts[i]);
	/* fn stops the walk with its value. */
	c.n = 32;
	CHECK_EQ_INT(member_records(f.st, collect, &c, &eb), -1);
	for (int i = 1; i < SET_N; i++)
		rec_free(&s.r[i]);
	fx_close(&f);
}

TEST(membership_survives_reopening)
{
	struct fixture f;
	struct who a;
	struct errbuf eb;
	struct rec add, rm;

	fx_open(&f, 1, 1, 1);
	who_new(&a);
	add = sign_add(&f, &f.founder, &a, TS0 + 1, "A");
	rm = sign_remove(&f, &a, &a, TS0 + 2, "retired", TS0 + 2);
	put(&f, &add);
	store_close(&f.st);
	REQUIRE(store_open(&f.st, f.dir, f.founder.pk, &eb) == 0);
	CHECK_EQ_INT(member_is_current(f.st, a.pk), 1);
	CHECK_EQ_INT(member_count(f.st), 2);
	put(&f, &rm);
	store_close(&f.st);
	REQUIRE(store_open(&f.st, f.dir, f.founder.pk, &eb) == 0);
	CHECK_EQ_INT(state_of(&f, &a), MEMBER_REMOVED);
	CHECK_EQ_INT(member_count(f.st), 1);
	rec_free(&add);
	rec_free(&rm);
	fx_close(&f);
}

/*
 * One signer's membership records are bounded (1024 of each type), and
 * adds never use up the budget of removals: a member that signed as many
 * adds as it may cannot sign more, and is still removed.  Before, adds
 * and removals shared one budget of 65,536 records, so a member signing
 * that many adds made itself impossible to remove.
 */
TEST(a_signer_runs_out_of_adds_and_is_still_removed)
{
	enum { QUOTA = 1024 };
	struct store_in *in = xcalloc(QUOTA, sizeof(*in));
	struct store_out *out = xcalloc(QUOTA, sizeof(*out));
	struct rec *r = xcalloc(QUOTA, sizeof(*r));
	struct rec extra, other, rm;
	struct fixture f;
	struct errbuf eb;
	struct who rogue, w, x;
	size_t stored = 0;

	fx_open(&f, 1, 1, 1);
	who_new(&rogue);
	extra = sign_add(&f, &f.founder, &rogue, TS0 + 1, "R");
	CHECK_EQ_INT(put(&f, &extra).stored, 1);
	rec_free(&extra);
	for (size_t i = 0; i < QUOTA; i++) {
		who_new(&w);
		r[i] = sign_add(&f, &rogue, &w, TS0 + 2 + i, "S");
		in[i].buf = r[i].buf;
		in[i].len = r[i].len;
	}
	REQUIRE(store_ingest(f.st, in, QUOTA, NOW, out, &eb) == 0);
	for (size_t i = 0; i < QUOTA; i++)
		stored += (size_t)out[i].stored;
	CHECK_EQ_INT(stored, QUOTA);
	who_new(&w);
	extra = sign_add(&f, &rogue, &w, TS0 + 2 + QUOTA, "S");
	/* Refused, not malformed: a peer relaying it may be honest. */
	CHECK_EQ_INT(put(&f, &extra).code, AMIE_EREFUSED);
	/* Others may still add, and remove the rogue. */
	who_new(&x);
	other = sign_add(&f, &f.founder, &x, TS0 + 3 + QUOTA, "X");
	CHECK_EQ_INT(put(&f, &other).stored, 1);
	rm = sign_remove(&f, &f.founder, &rogue, TS0 + 4 + QUOTA,
	    "compromised", TS0 + 4 + QUOTA);
	CHECK_EQ_INT(put(&f, &rm).stored, 1);
	CHECK_EQ_INT(state_of(&f, &rogue), MEMBER_REMOVED);
	rec_free(&extra);
	rec_free(&other);
	rec_free(&rm);
	for (size_t i = 0; i < QUOTA; i++)
		rec_free(&r[i]);
	free(r);
	free(in);
	free(out);
	fx_close(&f);
}

TESTS(T(the_founder_is_a_member_from_the_charter),
    T(founder_adds_a_member_who_can_then_write),
    T(charter_member_and_their_records_in_one_batch),
    T(a_non_member_can_neither_write_nor_admit),
    T(refuses_malformed_membership_records),
    T(admit_quorum_two_needs_two_distinct_signers),
    T(remove_quorum_two_needs_two_distinct_members),
    T(self_removal_works_at_once_and_stays_served),
    T(removal_hides_records_from_effective_from_and_refuses_new_ones),
    T(removal_hides_many_records_across_chunks),
    T(removal_in_the_batch_of_the_records_it_hides),
    T(admissions_by_a_compromised_key_are_void),
    T(node_info_updates_name_and_endpoints),
    T(membership_is_independent_of_arrival_order),
    T(a_removal_by_a_member_voided_later_is_taken_back),
    T(a_removal_that_would_void_its_signer_takes_effect_after_it),
    T(chained_removals_are_independent_of_arrival_order),
    T(a_store_computed_by_the_earlier_rule_is_recomputed_at_open),
    T(member_records_gives_the_membership_records_in_ts_order),
    T(membership_survives_reopening),
    T(a_signer_runs_out_of_adds_and_is_still_removed))
