/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * daemon/contract.c's list, usage and show handlers on more contracts,
 * or more interventions of one contract, than one reply of CTL_MSG_MAX
 * holds: they come in pages (docs/protocol.md, section 7, Pages), each
 * under the limit, every item once and in order, and the last page says
 * no more.  The contracts and interventions are written through the
 * handlers of contract.add and contract.log, as amie would.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/contract.h"
#include "daemon/node.h"
#include "proto/body.h"
#include "proto/ctl.h"
#include "proto/workbody.h"
#include "proto/xmalloc.h"
#include "store/store.h"
#include "tests/unit/ctlcall.h"
#include "tests/unit/test.h"

#define CONTRACTS 300		/* 4 KiB contacts: some 1.3 MiB listed */
#define USAGE_CONTRACTS 3800	/* some 290 bytes each: 1.1 MiB */
#define INTERVENTIONS 300	/* 4 KiB summaries: 1.3 MiB shown */

struct fixture {
	char dir[64];
	struct node n;
	uint8_t sk[64];
	char first[RECORD_KEY_MAX + 1];	/* the first contract added */
};

/* contract.add with a contact of contact_len bytes and the longest
 * member name; its id in out when not NULL. */
static void
add_contract(struct fixture *f, size_t contact_len, char *out)
{
	char contact[WORKBODY_TEXT_MAX + 1], member[BODY_NAME_MAX + 1];
	struct errbuf eb;
	uint8_t *reply;
	size_t len;
	struct mpmap m;
	const struct ctl_arg a[] = {
		{ "contact", contact, NULL, 0 },
		{ "member", member, NULL, 0 },
		{ "minutes_per_month", NULL, (const uint8_t *)"\xcd\x17\x70",
		    3 },	/* 6000 */
		{ "start", "2026-01-01", NULL, 0 },
	};

	memset(contact, 'c', contact_len);
	contact[contact_len] = '\0';
	memset(member, 'm', BODY_NAME_MAX);
	member[BODY_NAME_MAX] = '\0';
	if (ctl_call(&f->n, contract_handle_add, "contract.add", a, 4, &reply,
	    &len, &eb) != 0) {
		fprintf(stderr, "  contract.add: %s\n", eb.msg);
		abort();
	}
	if (out != NULL && (mpmap_decode(&m, reply, len, "reply", &eb) != 0 ||
	    mpmap_cstr(&m, "id", out, RECORD_KEY_MAX + 1, &eb) != 0))
		abort();
	free(reply);
}

/* contract.log of 60 minutes on day (1 to 28) of month (1 to 11) of
 * 2026 against contract id, with a summary of 4 KiB. */
static void
log_iv(struct fixture *f, const char *id, int month, int day)
{
	char date[16], summary[WORKBODY_TEXT_MAX + 1];
	struct errbuf eb;
	uint8_t *reply;
	size_t len;
	const struct ctl_arg a[] = {
		{ "date", date, NULL, 0 },
		{ "id", id, NULL, 0 },
		{ "minutes", NULL, (const uint8_t *)"\x3c", 1 },
		{ "summary", summary, NULL, 0 },
	};

	snprintf(date, sizeof(date), "2026-%02d-%02d", month, day);
	memset(summary, 's', WORKBODY_TEXT_MAX);
	summary[WORKBODY_TEXT_MAX] = '\0';
	if (ctl_call(&f->n, contract_handle_log, "contract.log", a, 4, &reply,
	    &len, &eb) != 0) {
		fprintf(stderr, "  contract.log: %s\n", eb.msg);
		abort();
	}
	free(reply);
}

/* A founder's node with a federation and nothing else. */
static void
fx_open(struct fixture *f)
{
	struct body_charter c;
	struct store_out o;
	struct store_in in;
	struct record_header h;
	struct errbuf eb;
	struct mpw body, out;
	uint8_t id[32];

	memset(f, 0, sizeof(*f));
	test_tmpdir(f->dir, sizeof(f->dir), "contract-test");
	crypto_sign_keypair(f->n.pk, f->sk);
	memcpy(f->n.dir, f->dir, sizeof(f->dir));
	f->n.sk = f->sk;
	f->n.lock_fd = -1;
	if (store_open(&f->n.store, f->dir, f->n.pk, &eb) != 0)
		abort();
	c.name.s = "Fed";
	c.name.len = 3;
	memcpy(c.founder, f->n.pk, 32);
	c.admit_quorum = 1;
	c.remove_quorum = 1;
	mpw_init(&body, RECORD_BODY_MAX);
	body_charter_encode(&c, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "charter", 7);
	memcpy(h.author, f->n.pk, 32);
	h.ts = node_now_ms() - 600000;
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (record_sign(&h, body.buf, body.len, f->sk, NULL, &out, id,
	    NULL) != 0)
		abort();
	in.buf = out.buf;
	in.len = out.len;
	if (store_ingest(f->n.store, &in, 1, node_now_ms(), &o, &eb) != 0 ||
	    !o.stored)
		abort();
	mpw_release(&out);
	mpw_release(&body);
}

static void
fx_close(struct fixture *f)
{
	store_close(&f->n.store);
	test_rmdir(f->dir);
}

#define IDS_MAX 4096

/* What page_all() saw. */
struct pages {
	int pages, ordered, fields;	/* fields: on every page */
	uint32_t total;
	int dup;			/* ids that came twice */
	char (*ids)[RECORD_KEY_MAX + 1];
};

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Ask fn for every page of the list key, with the request's other
 * argument extra (NULL: none), as amie does: after = the next of the
 * page before, as it came.  Items must come in order: by id, or, when
 * they have a date, by date; no id may come twice; every page must hold
 * field.
 */
static void
page_all(struct fixture *f, control_fn fn, const char *cmd,
    const struct ctl_arg *extra, const char *key, const char *field,
    struct pages *p)
{
	char prev[RECORD_KEY_MAX + 1] = "", prev_date[16] = "";
	uint8_t cursor[256];
	size_t cursor_len = 0;
	int next = 1;

	memset(p, 0, sizeof(*p));
	p->ordered = p->fields = 1;
	p->ids = xcalloc(IDS_MAX, sizeof(*p->ids));
	while (next && p->pages < 100) {
		struct ctl_arg a[2];
		const struct mpfield *nf;
		struct errbuf eb;
		struct mpmap m;
		struct mpr rd;
		uint8_t *reply;
		size_t len, na = 0;
		uint32_t n;
		int rc;

		if (p->pages > 0) {
			a[na].key = "after";
			a[na].s = NULL;
			a[na].raw = cursor;
			a[na++].len = cursor_len;
		}
		if (extra != NULL)
			a[na++] = *extra;
		rc = ctl_call(&f->n, fn, cmd, a, na, &reply, &len, &eb);
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n", cmd, eb.msg);
		REQUIRE(rc == 0);
		p->pages++;
		CHECK(len <= CTL_MSG_MAX);
		REQUIRE(mpmap_decode(&m, reply, len, "reply", &eb) == 0);
		if (mpmap_get(&m, field) == NULL)
			p->fields = 0;
		REQUIRE(mpmap_reader(&m, key, &rd, &eb) == 0);
		REQUIRE(mpr_array(&rd, &n, UINT32_MAX, key, &eb) == 0);
		CHECK(n > 0);
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *start = rd.p;
			char id[RECORD_KEY_MAX + 1], date[16] = "";
			struct mpmap item;

			REQUIRE(mpr_skip(&rd, MP_DEPTH_MAX, key, &eb) == 0);
			REQUIRE(mpmap_decode(&item, start,
			    (size_t)(rd.p - start), key, &eb) == 0);
			REQUIRE(mpmap_cstr(&item, "id", id, sizeof(id),
			    &eb) == 0);
			if (mpmap_cstr(&item, "date", date, sizeof(date),
			    &eb) == 0) {
				/* By date; one id never twice. */
				if (strcmp(prev_date, date) > 0)
					p->ordered = 0;
				memcpy(prev_date, date, sizeof(date));
			} else if (p->total + i > 0 && strcmp(prev, id) >= 0) {
				p->ordered = 0;
			}
			memcpy(prev, id, sizeof(id));
			REQUIRE(p->total + i < IDS_MAX);
			memcpy(p->ids[p->total + i], id, sizeof(id));
		}
		p->total += n;
		nf = mpmap_get(&m, "next");
		next = nf != NULL;
		if (next) {
			REQUIRE(nf->val_len <= sizeof(cursor));
			CHECK(nf->val_len != cursor_len ||
			    memcmp(nf->val, cursor, cursor_len) != 0);
			memcpy(cursor, nf->val, nf->val_len);
			cursor_len = nf->val_len;
		}
		free(reply);
	}
	CHECK(!next);
	qsort(p->ids, p->total, sizeof(*p->ids), id_cmp);
	for (uint32_t i = 1; i < p->total; i++)
		p->dup += strcmp(p->ids[i - 1], p->ids[i]) == 0;
	free(p->ids);
}

/*
 * 300 contracts with contacts of 4 KiB: contract.list took some 1.3 MiB
 * and failed as a whole.  Page by page, each under the limit, every
 * contract comes once, in id order, with held_encrypted on every page.
 */
TEST(contract_list_past_one_reply_comes_in_pages)
{
	struct fixture f;
	struct pages p;

	fx_open(&f);
	for (int i = 0; i < CONTRACTS; i++)
		add_contract(&f, WORKBODY_TEXT_MAX, NULL);
	page_all(&f, contract_handle_list, "contract.list", NULL,
	    "contracts", "held_encrypted", &p);
	CHECK_EQ_INT(p.total, CONTRACTS);
	CHECK_EQ_INT(p.dup, 0);
	CHECK(p.ordered);
	CHECK(p.fields);
	CHECK(p.pages >= 2);
	fx_close(&f);
}

/*
 * 3,800 contracts running in June: contract.usage took some 1.1 MiB and
 * failed.  Page by page every one comes once, in id order, each page
 * with its month.
 */
TEST(contract_usage_past_one_reply_comes_in_pages)
{
	const struct ctl_arg month = { "month", "2026-06", NULL, 0 };
	struct fixture f;
	struct pages p;

	fx_open(&f);
	for (int i = 0; i < USAGE_CONTRACTS; i++)
		add_contract(&f, 1, NULL);
	page_all(&f, contract_handle_usage, "contract.usage", &month,
	    "usage", "month", &p);
	CHECK_EQ_INT(p.total, USAGE_CONTRACTS);
	CHECK_EQ_INT(p.dup, 0);
	CHECK(p.ordered);
	CHECK(p.fields);
	CHECK(p.pages >= 2);
	fx_close(&f);
}

/*
 * One contract with 300 interventions of 4 KiB, several on one day:
 * contract.show took some 1.3 MiB and failed.  Page by page, each with
 * the contract's fields, every intervention comes once, by date.
 */
TEST(contract_show_past_one_reply_comes_in_pages)
{
	const struct ctl_arg id = { "id", NULL, NULL, 0 };
	struct ctl_arg a = id;
	struct fixture f;
	struct pages p;

	fx_open(&f);
	add_contract(&f, WORKBODY_TEXT_MAX, f.first);
	for (int i = 0; i < INTERVENTIONS; i++)
		log_iv(&f, f.first, 1 + i % 11, 1 + (i / 11) % 14);
	a.s = f.first;
	page_all(&f, contract_handle_show, "contract.show", &a,
	    "interventions", "member", &p);
	CHECK_EQ_INT(p.total, INTERVENTIONS);
	CHECK(p.ordered);
	CHECK_EQ_INT(p.dup, 0);
	CHECK(p.fields);
	CHECK(p.pages >= 2);
	fx_close(&f);
}

/* contract.show refuses a cursor of another length, and says which; a
 * string cursor of contract.list past an id's length is refused; one
 * past every item gives an empty last page. */
TEST(contract_pages_refuse_a_bad_cursor)
{
	uint8_t bad[2 + CONTRACT_CURSOR_LEN + 1], *reply;
	char longid[RECORD_KEY_MAX + 2];
	struct fixture f;
	struct errbuf eb;
	struct mpmap m;
	size_t len;
	struct ctl_arg a[2] = {
		{ "after", NULL, bad, 0 },
		{ "id", NULL, NULL, 0 },
	};

	fx_open(&f);
	add_contract(&f, 1, f.first);
	log_iv(&f, f.first, 2, 1);
	a[1].s = f.first;
	bad[0] = 0xc4;		/* bin 8 */
	memset(bad + 2, 0xff, sizeof(bad) - 2);
	bad[1] = CONTRACT_CURSOR_LEN - 1;
	a[0].len = 2 + CONTRACT_CURSOR_LEN - 1;
	CHECK_EQ_INT(ctl_call(&f.n, contract_handle_show, "contract.show", a, 2,
	    &reply, &len, &eb), AMIE_EPROTO);
	CHECK_STR(eb.msg, "contract show: after: 43 bytes, not 44");
	free(reply);
	bad[1] = CONTRACT_CURSOR_LEN + 1;
	a[0].len = 2 + CONTRACT_CURSOR_LEN + 1;
	CHECK_EQ_INT(ctl_call(&f.n, contract_handle_show, "contract.show", a, 2,
	    &reply, &len, &eb), AMIE_ELIMIT);
	free(reply);
	bad[1] = CONTRACT_CURSOR_LEN;
	a[0].len = 2 + CONTRACT_CURSOR_LEN;
	REQUIRE(ctl_call(&f.n, contract_handle_show, "contract.show", a, 2,
	    &reply, &len, &eb) == 0);
	REQUIRE(mpmap_decode(&m, reply, len, "reply", &eb) == 0);
	CHECK(mpmap_get(&m, "next") == NULL);
	CHECK(memmem(reply, len, "interventions\x90", 14) != NULL);
	free(reply);

	memset(longid, 'f', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	a[0].raw = NULL;
	a[0].s = longid;
	CHECK_EQ_INT(ctl_call(&f.n, contract_handle_list, "contract.list", a, 1,
	    &reply, &len, &eb), AMIE_ELIMIT);
	free(reply);
	longid[RECORD_KEY_MAX] = '\0';
	REQUIRE(ctl_call(&f.n, contract_handle_list, "contract.list", a, 1,
	    &reply, &len, &eb) == 0);
	REQUIRE(mpmap_decode(&m, reply, len, "reply", &eb) == 0);
	CHECK(mpmap_get(&m, "next") == NULL);
	CHECK(memmem(reply, len, "contracts\x90", 10) != NULL);
	free(reply);
	fx_close(&f);
}

TESTS(T(contract_list_past_one_reply_comes_in_pages),
    T(contract_usage_past_one_reply_comes_in_pages),
    T(contract_show_past_one_reply_comes_in_pages),
    T(contract_pages_refuse_a_bad_cursor))
