/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store/work.c: who may write contracts, interventions, technicians and
 * swap records, and that private bodies arrive encrypted. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/workbody.h"
#include "proto/xmalloc.h"
#include "store/internal.h"
#include "tests/unit/test.h"

#define TS0 1764320000000ull

struct who {
	uint8_t pk[32], sk[64];
	char hex[65];
};

struct fixture {
	char dir[64];
	struct who a, b;	/* a founds, b is admitted */
	uint8_t net[32];
	struct store *st;
	uint64_t ts;
	uint8_t last[32];	/* id of the last record signed */
};

/* Sign a record of w into out (initialised here); its id in f->last. */
static void
sign(struct fixture *f, const struct who *w, const char *kind,
    const char *key, const uint8_t *ref, const uint8_t *body, size_t len,
    uint64_t flags, struct mpw *out)
{
	struct record_header h;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, w->pk, 32);
	h.ts = ++f->ts;
	h.flags = flags;
	if (ref != NULL) {
		h.refs_count = 1;
		memcpy(h.refs[0], ref, 32);
	}
	mpw_init(out, RECORD_ENCODED_MAX);
	if (record_sign(&h, body, len, w->sk, f->net, out, f->last,
	    NULL) != 0)
		abort();
}

/* Ingest the encoded record in w; its outcome code (0: stored). */
static int
ingest(struct fixture *f, const struct mpw *w)
{
	struct store_in in = { w->buf, w->len };
	struct store_out o;
	struct errbuf eb;

	if (store_ingest(f->st, &in, 1, TS0 + 3600000, &o, &eb) != 0)
		abort();
	return o.code;
}

/* Sign and ingest a record of w; its outcome code (0: stored). */
static int
put(struct fixture *f, const struct who *w, const char *kind, const char *key,
    const uint8_t *ref, const uint8_t *body, size_t len, uint64_t flags)
{
	struct mpw out;
	int code;

	sign(f, w, kind, key, ref, body, len, flags, &out);
	code = ingest(f, &out);
	mpw_release(&out);
	return code;
}

/* Put a body encoded by the caller into w. */
static int
put_w(struct fixture *f, const struct who *w, const char *kind,
    const char *key, const uint8_t *ref, struct mpw *body)
{
	int rc = put(f, w, kind, key, ref, body->buf, body->len, 0);

	mpw_release(body);
	return rc;
}

/*
 * Sign a record of w, then ingest it as a member relaying it might: first
 * without its body ([header, sig, nil]), then whole.  The outcome codes in
 * *stripped and *whole; *kept is 1 when the stored copy has its body.
 */
static void
put_stripped(struct fixture *f, const struct who *w, const char *kind,
    const char *key, const uint8_t *ref, const uint8_t *body, size_t len,
    uint64_t flags, int *stripped, int *whole, int *kept)
{
	struct record r;
	struct errbuf eb;
	struct mpw out, bare;
	uint8_t *buf;
	size_t blen;

	sign(f, w, kind, key, ref, body, len, flags, &out);
	if (record_decode(&r, out.buf, out.len, NULL) != 0)
		abort();
	r.body = NULL;
	r.body_len = 0;
	mpw_init(&bare, RECORD_ENCODED_MAX);
	record_encode(&r, &bare);
	*stripped = ingest(f, &bare);
	*whole = ingest(f, &out);
	*kept = 0;
	if (store_get(f->st, f->last, &buf, &blen, &eb) == 0) {
		*kept = record_decode(&r, buf, blen, NULL) == 0 &&
		    r.body != NULL;
		free(buf);
	}
	mpw_release(&bare);
	mpw_release(&out);
}

/* A request for a Linux technician for 10 hours on 2026-03-02. */
static void
swap_request_fill(struct workbody_swap_request *s)
{
	memset(s, 0, sizeof(*s));
	s->skills.count = 1;
	s->skills.w[0].s = "linux";
	s->skills.w[0].len = 5;
	s->from.s = s->to.s = "2026-03-02";
	s->from.len = s->to.len = 10;
	s->minutes = 600;
	s->region.s = s->note.s = "";
}

static void
fx_open(struct fixture *f)
{
	struct body_charter c;
	struct body_member_add a;
	struct record r;
	struct errbuf eb;
	struct mpw body, out;
	struct record_header h;

	memset(f, 0, sizeof(*f));
	f->ts = TS0;
	snprintf(f->dir, sizeof(f->dir), "/tmp/amie-work-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	crypto_sign_keypair(f->a.pk, f->a.sk);
	crypto_sign_keypair(f->b.pk, f->b.sk);
	sodium_bin2hex(f->b.hex, sizeof(f->b.hex), f->b.pk, 32);
	if (store_open(&f->st, f->dir, f->a.pk, &eb) != 0)
		abort();
	c.name.s = "Fed";
	c.name.len = 3;
	memcpy(c.founder, f->a.pk, 32);
	c.admit_quorum = c.remove_quorum = 1;
	mpw_init(&body, RECORD_BODY_MAX);
	body_charter_encode(&c, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "charter", 7);
	memcpy(h.author, f->a.pk, 32);
	h.ts = f->ts;
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (record_sign(&h, body.buf, body.len, f->a.sk, NULL, &out, f->last,
	    NULL) != 0)
		abort();
	record_decode(&r, out.buf, out.len, NULL);
	record_network_id(f->net, r.header, r.header_len);
	{
		struct store_in in = { out.buf, out.len };
		struct store_out o;

		if (store_ingest(f->st, &in, 1, TS0 + 3600000, &o, &eb) != 0 ||
		    !o.stored)
			abort();
	}
	mpw_release(&out);
	mpw_reset(&body);
	memset(&a, 0, sizeof(a));
	a.name.s = "B";
	a.name.len = 1;
	memcpy(a.invited_by, f->a.pk, 32);
	body_member_add_encode(&a, &body);
	if (put_w(f, &f->a, "member.add", f->b.hex, NULL, &body) != 0)
		abort();
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

TEST(private_kinds_must_be_encrypted)
{
	struct fixture f;
	uint8_t sealed[64];

	fx_open(&f);
	memset(sealed, 0x5a, sizeof(sealed));
	/* A canonical map in the clear: refused. */
	CHECK(put(&f, &f.a, "contract", "c1", NULL, (const uint8_t *)"\x80",
	    1, 0) == AMIE_EREFUSED);
	CHECK(put(&f, &f.a, "contract", "c1", NULL, sealed, 10,
	    RECORD_FLAG_ENCRYPTED) == AMIE_EREFUSED);
	CHECK(put(&f, &f.a, "contract", "c1", NULL, sealed, sizeof(sealed),
	    RECORD_FLAG_ENCRYPTED) == 0);
	CHECK(put(&f, &f.a, "intervention", "c1", NULL, sealed,
	    sizeof(sealed), RECORD_FLAG_ENCRYPTED) == 0);
	/* Another Amie neither revises the contract nor logs time on it. */
	CHECK(put(&f, &f.b, "contract", "c1", f.last, sealed, sizeof(sealed),
	    RECORD_FLAG_ENCRYPTED) == AMIE_EREFUSED);
	CHECK(put(&f, &f.b, "intervention", "c1", NULL, sealed,
	    sizeof(sealed), RECORD_FLAG_ENCRYPTED) == AMIE_EREFUSED);
	/* A technician is public. */
	CHECK(put(&f, &f.a, "tech", "t1", NULL, sealed, sizeof(sealed),
	    RECORD_FLAG_ENCRYPTED) == AMIE_EREFUSED);
	fx_close(&f);
}

TEST(only_its_amie_revises_a_technician)
{
	struct workbody_tech t;
	struct fixture f;
	struct mpw w;

	fx_open(&f);
	memset(&t, 0, sizeof(t));
	t.name.s = "Camille";
	t.name.len = 7;
	t.availability.s = "";
	t.skills.count = 1;
	t.skills.w[0].s = "reseau";
	t.skills.w[0].len = 6;
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_tech_encode(&t, &w);
	CHECK(put_w(&f, &f.a, "tech", "t1", NULL, &w) == 0);
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_tech_encode(&t, &w);
	CHECK(put_w(&f, &f.b, "tech", "t1", f.last, &w) == AMIE_EREFUSED);
	/* A body that is no technician: refused. */
	CHECK(put(&f, &f.a, "tech", "t2", NULL, (const uint8_t *)"\x80", 1,
	    0) == AMIE_EPROTO);
	fx_close(&f);
}

TEST(swap_records_follow_the_request)
{
	struct workbody_swap_request s;
	struct workbody_swap_offer o;
	struct workbody_swap_done d;
	uint8_t request[32], offer[32], accept[32];
	struct fixture f;
	struct mpw w;

	fx_open(&f);
	swap_request_fill(&s);
	memset(&o, 0, sizeof(o));
	o.tech.s = "t1";
	o.tech.len = 2;
	o.minutes = 600;
	o.note.s = "";
	/* An offer before its request is stored: refused, for now. */
	memset(request, 7, sizeof(request));
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_swap_offer_encode(&o, &w);
	CHECK(put_w(&f, &f.b, "swap.offer", "r1", request, &w) ==
	    AMIE_EREFUSED);
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_swap_request_encode(&s, &w);
	REQUIRE(put_w(&f, &f.a, "swap.request", "r1", NULL, &w) == 0);
	memcpy(request, f.last, 32);
	/* The requester does not offer on its own request. */
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_swap_offer_encode(&o, &w);
	CHECK(put_w(&f, &f.a, "swap.offer", "r1", request, &w) ==
	    AMIE_EREFUSED);
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_swap_offer_encode(&o, &w);
	REQUIRE(put_w(&f, &f.b, "swap.offer", "r1", request, &w) == 0);
	memcpy(offer, f.last, 32);
	/* Only the requester accepts, and an accept refs an offer. */
	mpw_init(&w, 16);
	workbody_swap_accept_encode(&w);
	CHECK(put_w(&f, &f.b, "swap.accept", "r1", offer, &w) ==
	    AMIE_EREFUSED);
	mpw_init(&w, 16);
	workbody_swap_accept_encode(&w);
	CHECK(put_w(&f, &f.a, "swap.accept", "r1", request, &w) ==
	    AMIE_EREFUSED);
	mpw_init(&w, 16);
	workbody_swap_accept_encode(&w);
	REQUIRE(put_w(&f, &f.a, "swap.accept", "r1", offer, &w) == 0);
	memcpy(accept, f.last, 32);
	/* Only the borrower confirms the hours. */
	d.minutes = 540;
	mpw_init(&w, 16);
	workbody_swap_done_encode(&d, &w);
	CHECK(put_w(&f, &f.b, "swap.done", "r1", accept, &w) ==
	    AMIE_EREFUSED);
	mpw_init(&w, 16);
	workbody_swap_done_encode(&d, &w);
	CHECK(put_w(&f, &f.a, "swap.done", "r1", accept, &w) == 0);
	fx_close(&f);
}

/*
 * Work records are never purged (only kb articles are deleted): a copy
 * without its body is a copy a member stripped.  Stored, it would stand
 * for good in place of the record (the whole one is then "already
 * stored"): a contract lost from its off-site backup, a swap.done missing
 * from this node's ledger only.
 */
TEST(stripped_work_records_are_refused)
{
	struct workbody_swap_request s;
	uint8_t sealed[64];
	struct fixture f;
	struct mpw w;
	int stripped, whole, kept;

	fx_open(&f);
	memset(sealed, 0x5a, sizeof(sealed));
	put_stripped(&f, &f.a, "contract", "c1", NULL, sealed, sizeof(sealed),
	    RECORD_FLAG_ENCRYPTED, &stripped, &whole, &kept);
	CHECK_EQ_INT(stripped, AMIE_EREFUSED);
	CHECK_EQ_INT(whole, 0);
	CHECK(kept);
	swap_request_fill(&s);
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_swap_request_encode(&s, &w);
	put_stripped(&f, &f.a, "swap.request", "r1", NULL, w.buf, w.len, 0,
	    &stripped, &whole, &kept);
	mpw_release(&w);
	CHECK_EQ_INT(stripped, AMIE_EREFUSED);
	CHECK_EQ_INT(whole, 0);
	CHECK(kept);
	fx_close(&f);
}

TESTS(T(private_kinds_must_be_encrypted),
    T(only_its_amie_revises_a_technician),
    T(swap_records_follow_the_request),
    T(stripped_work_records_are_refused))
