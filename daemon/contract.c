/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/contract.h"
#include "proto/date.h"
#include "proto/private.h"
#include "proto/workbody.h"
#include "proto/xmalloc.h"

/* A private record of this node, opened; buf and plain own the bytes. */
struct contract_rec {
	uint8_t *buf;
	struct record rec;
	struct record_header h;
	uint8_t *plain;
	size_t plain_len;
};

/* The shown revision of one of our contracts, decoded. */
struct contract_view {
	struct store_head heads[STORE_HEADS_MAX];
	size_t heads_count, winner;
	struct contract_rec r;
	struct workbody_contract c;
};

static void
contract_rec_release(struct contract_rec *r)
{
	free(r->buf);
	if (r->plain != NULL)
		sodium_memzero(r->plain, r->plain_len);
	free(r->plain);
	memset(r, 0, sizeof(*r));
}

/*
 * Load record id and open its private body with this node's key.
 * Returns 0, AMIE_ENOTFOUND for a record that is not ours (or purged,
 * or hidden), or another code.
 */
static int
contract_rec_load(struct node *n, const uint8_t id[RECORD_ID_LEN],
    struct contract_rec *r, struct errbuf *eb)
{
	uint8_t key[PRIVATE_KEY_LEN];
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = store_get_served(n->store, id, &r->buf, &len, eb)) != 0)
		return rc;
	if ((rc = record_decode(&r->rec, r->buf, len, eb)) != 0 ||
	    (rc = record_header_decode(&r->h, r->rec.header,
	    r->rec.header_len, eb)) != 0)
		goto fail;
	if (sodium_memcmp(r->h.author, n->pk, RECORD_KEY_LEN) != 0 ||
	    r->rec.body == NULL || !(r->h.flags & RECORD_FLAG_ENCRYPTED) ||
	    r->rec.body_len < PRIVATE_OVERHEAD) {
		rc = fail(eb, AMIE_ENOTFOUND, "%s %s is not one of this "
		    "Amie's", r->h.kind, r->h.key);
		goto fail;
	}
	r->plain = xmalloc(r->rec.body_len);
	private_key(key, n->sk);
	rc = private_open(r->plain, &r->plain_len, r->rec.body,
	    r->rec.body_len, r->h.kind, r->h.key, key, eb);
	sodium_memzero(key, sizeof(key));
	if (rc != 0)
		goto fail;
	return 0;
fail:
	contract_rec_release(r);
	return rc;
}

static int
contract_view_load(struct node *n, const char *key, struct contract_view *v,
    struct errbuf *eb)
{
	int rc;

	memset(&v->r, 0, sizeof(v->r));
	if ((rc = store_object_heads(n->store, "contract", key, v->heads,
	    STORE_HEADS_MAX, &v->heads_count, eb)) != 0)
		return rc;
	v->winner = store_head_winner(v->heads, v->heads_count);
	if ((rc = contract_rec_load(n, v->heads[v->winner].id, &v->r,
	    eb)) != 0)
		return rc == AMIE_ENOTFOUND ? fail(eb, AMIE_ENOTFOUND,
		    "no contract of this Amie with id %s", key) : rc;
	if ((rc = workbody_contract_decode(&v->c, v->r.plain,
	    v->r.plain_len, eb)) != 0) {
		contract_rec_release(&v->r);
		return fail_prefix(eb, "contract");
	}
	return 0;
}

/* The contract named by the request's field id; one of ours. */
static int
contract_find(struct node *n, const struct ctl_request *req,
    char key[RECORD_KEY_MAX + 1], struct contract_view *v, struct errbuf *eb)
{
	char prefix[RECORD_KEY_MAX + 1];
	int rc = mpmap_cstr(&req->args, "id", prefix, sizeof(prefix), eb);

	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "which contract?");
	if (rc != 0)
		return rc;
	if ((rc = store_object_find(n->store, "contract", prefix, key,
	    eb)) != 0)
		return rc == AMIE_ENOTFOUND ? fail(eb, AMIE_ENOTFOUND,
		    "no contract with id %s", prefix) : rc;
	return contract_view_load(n, key, v, eb);
}

/* Today (UTC) as a day number. */
static int32_t
contract_today(void)
{
	return date_of_ms(node_now_ms());
}

/* The last day the contract runs, or -1 when open: an active contract
 * renewed tacitly runs on after its end date, until contract end. */
static int32_t
contract_last_day(const struct workbody_contract *c)
{
	if (workbody_str_is(&c->status, "active") &&
	    workbody_str_is(&c->renewal, "tacit"))
		return -1;
	return c->end_day;
}

/* An optional string argument into s; 0, or an error other than
 * absence. */
static int
contract_arg_str(const struct ctl_request *req, const char *key,
    struct body_str *s, uint32_t max, struct errbuf *eb)
{
	int rc = mpmap_str(&req->args, key, &s->s, &s->len, max, eb);

	return rc == AMIE_ENOTFOUND ? 0 : rc;
}

static int
contract_arg_uint(const struct ctl_request *req, const char *key,
    uint64_t *v, int *given, struct errbuf *eb)
{
	int rc = mpmap_uint(&req->args, key, v, eb);

	if (given != NULL)
		*given = rc == 0;
	return rc == AMIE_ENOTFOUND ? 0 : rc;
}

/*
 * Read the contract fields of req into c (keeping what c holds for the
 * others), work out end from months, and check the result by decoding
 * its encoding, written to body (empty, initialised by the caller).
 */
static int
contract_args(const struct ctl_request *req, struct workbody_contract *c,
    char end_buf[DATE_LEN + 1], struct mpw *body, struct errbuf *eb)
{
	struct workbody_contract check;
	uint64_t months = 0;
	int rc, has_months, start_day;

	if ((rc = contract_arg_str(req, "member", &c->member, BODY_NAME_MAX,
	    eb)) != 0 ||
	    (rc = contract_arg_str(req, "contact", &c->contact,
	    WORKBODY_TEXT_MAX, eb)) != 0 ||
	    (rc = contract_arg_str(req, "start", &c->start, 64, eb)) != 0 ||
	    (rc = contract_arg_str(req, "end", &c->end, 64, eb)) != 0 ||
	    (rc = contract_arg_str(req, "renewal", &c->renewal, 64, eb)) != 0 ||
	    (rc = contract_arg_uint(req, "minutes_per_month",
	    &c->minutes_per_month, NULL, eb)) != 0 ||
	    (rc = contract_arg_uint(req, "notice_months", &c->notice_months,
	    NULL, eb)) != 0 ||
	    (rc = contract_arg_uint(req, "fee_cents_per_month", &c->fee_cents,
	    NULL, eb)) != 0 ||
	    (rc = contract_arg_uint(req, "months", &months, &has_months,
	    eb)) != 0)
		return rc;
	if (c->member.len == 0)
		return fail(eb, AMIE_EPROTO, "member: a contract needs the "
		    "member structure's name");
	if (c->start.len == 0)
		return fail(eb, AMIE_EPROTO, "start: a contract needs a start "
		    "date");
	if (c->minutes_per_month == 0)
		return fail(eb, AMIE_EPROTO, "hours per month: more than 0 "
		    "needed");
	if (c->minutes_per_month > WORKBODY_MONTH_MINUTES_MAX)
		return fail(eb, AMIE_EPROTO, "hours per month: %llu minutes, "
		    "more than a month holds",
		    (unsigned long long)c->minutes_per_month);
	if (has_months) {
		int32_t d;

		if (mpmap_get(&req->args, "end") != NULL)
			return fail(eb, AMIE_EUSAGE, "give end or months, "
			    "not both");
		if (months < 1 || months > CONTRACT_MONTHS_MAX)
			return fail(eb, AMIE_EPROTO, "months: %llu, expected 1 "
			    "to %d", (unsigned long long)months,
			    CONTRACT_MONTHS_MAX);
		if ((rc = date_parse(&d, c->start.s, c->start.len, "start",
		    eb)) != 0)
			return rc;
		start_day = d;
		date_format(end_buf, date_add_months(start_day,
		    (int32_t)months) - 1);
		c->end.s = end_buf;
		c->end.len = DATE_LEN;
	}
	/* Without its end an ended contract would run on for good. */
	if (c->end.len == 0 && workbody_str_is(&c->status, "ended"))
		return fail(eb, AMIE_EPROTO, "end: an ended contract keeps an "
		    "end date");
	workbody_contract_encode(c, body);
	if ((rc = mpw_finish(body, "contract", eb)) != 0 ||
	    (rc = workbody_contract_decode(&check, body->buf, body->len,
	    eb)) != 0)
		return rc;
	return 0;
}

/* Seal the plaintext body of object (kind, key) and write it. */
static int
contract_write_private(struct node *n, const char *kind, const char *key,
    const uint8_t (*refs)[RECORD_ID_LEN], uint32_t refs_count,
    const struct mpw *plain, uint8_t id[RECORD_ID_LEN], struct errbuf *eb)
{
	uint8_t k[PRIVATE_KEY_LEN], nonce[PRIVATE_NONCE_LEN], *sealed;
	size_t len = plain->len + PRIVATE_OVERHEAD;
	int rc;

	if (len > RECORD_BODY_MAX)
		return fail(eb, AMIE_ELIMIT, "%s: body over %d bytes", kind,
		    RECORD_BODY_MAX);
	sealed = xmalloc(len);
	randombytes_buf(nonce, sizeof(nonce));
	private_key(k, n->sk);
	private_seal(sealed, plain->buf, plain->len, kind, key, nonce, k);
	sodium_memzero(k, sizeof(k));
	rc = node_write(n, kind, key, refs, refs_count, sealed, len,
	    RECORD_FLAG_ENCRYPTED, id, eb);
	free(sealed);
	return rc;
}

static void
contract_reply_written(struct mpw *w, const char *key,
    const uint8_t id[RECORD_ID_LEN])
{
	char hex[2 * RECORD_ID_LEN + 1];

	record_id_hex(hex, id);
	mpw_map(w, 2);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	mpw_cstr(w, "revision");
	mpw_cstr(w, hex);
}

int
contract_handle_add(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	uint8_t rnd[CONTRACT_ID_BYTES], id[RECORD_ID_LEN];
	char key[2 * CONTRACT_ID_BYTES + 1], end[DATE_LEN + 1];
	struct workbody_contract c;
	struct mpw body;
	int rc;

	memset(&c, 0, sizeof(c));
	c.renewal.s = "tacit";
	c.renewal.len = 5;
	c.status.s = "active";
	c.status.len = 6;
	c.end.s = "";
	c.contact.s = "";
	mpw_init(&body, RECORD_BODY_MAX);
	if ((rc = contract_args(req, &c, end, &body, eb)) == 0) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(key, sizeof(key), rnd, sizeof(rnd));
		rc = contract_write_private(n, "contract", key, NULL, 0, &body,
		    id, eb);
	}
	sodium_memzero(body.buf, body.len);
	mpw_release(&body);
	if (rc == 0)
		contract_reply_written(w, key, id);
	return rc;
}

/* Write a revision c of v's contract, replacing the one shown. */
static int
contract_revise(struct node *n, const char *key, struct contract_view *v,
    const struct mpw *body, struct mpw *w, struct errbuf *eb)
{
	uint8_t id[RECORD_ID_LEN];
	int rc;

	rc = contract_write_private(n, "contract", key,
	    (const uint8_t (*)[RECORD_ID_LEN])v->heads[v->winner].id, 1, body,
	    id, eb);
	if (rc == 0)
		contract_reply_written(w, key, id);
	return rc;
}

int
contract_handle_edit(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1], end[DATE_LEN + 1];
	struct contract_view v;
	struct workbody_contract c;
	struct mpw body;
	int rc;

	if ((rc = contract_find(n, req, key, &v, eb)) != 0)
		return rc;
	c = v.c;
	mpw_init(&body, RECORD_BODY_MAX);
	if ((rc = contract_args(req, &c, end, &body, eb)) == 0)
		rc = contract_revise(n, key, &v, &body, w, eb);
	sodium_memzero(body.buf, body.len);
	mpw_release(&body);
	contract_rec_release(&v.r);
	return rc;
}

int
contract_handle_end(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1], date[DATE_LEN + 1];
	struct workbody_contract c, check;
	struct contract_view v;
	struct body_str d;
	struct mpw body;
	int32_t day;
	int rc;

	if ((rc = contract_find(n, req, key, &v, eb)) != 0)
		return rc;
	c = v.c;
	rc = mpmap_str(&req->args, "date", &d.s, &d.len, 64, eb);
	if (rc == AMIE_ENOTFOUND) {
		date_format(date, contract_today());
		d.s = date;
		d.len = DATE_LEN;
		rc = 0;
	}
	if (rc == 0 && (rc = date_parse(&day, d.s, d.len, "date", eb)) == 0 &&
	    day < c.start_day)
		rc = fail(eb, AMIE_EPROTO, "date: %.*s is before the start "
		    "%.*s", (int)d.len, d.s, (int)c.start.len, c.start.s);
	if (rc != 0) {
		contract_rec_release(&v.r);
		return rc;
	}
	c.end = d;
	c.status.s = "ended";
	c.status.len = 5;
	mpw_init(&body, RECORD_BODY_MAX);
	workbody_contract_encode(&c, &body);
	if ((rc = mpw_finish(&body, "contract", eb)) == 0 &&
	    (rc = workbody_contract_decode(&check, body.buf, body.len,
	    eb)) == 0)
		rc = contract_revise(n, key, &v, &body, w, eb);
	sodium_memzero(body.buf, body.len);
	mpw_release(&body);
	contract_rec_release(&v.r);
	return rc;
}

static void
contract_put_str(struct mpw *w, const char *key, const struct body_str *s)
{
	mpw_cstr(w, key);
	mpw_str(w, s->s, s->len);
}

static void
contract_put_uint(struct mpw *w, const char *key, uint64_t v)
{
	mpw_cstr(w, key);
	mpw_uint(w, v);
}

/* The fields of a contract list item, extra more to come; keys sorted
 * with the caller's (interventions, revision come after id...). */
static void
contract_put_fields(struct mpw *w, const char *key,
    const struct contract_view *v, uint32_t extra, int show)
{
	const struct workbody_contract *c = &v->c;

	mpw_map(w, 11 + extra);
	contract_put_str(w, "contact", &c->contact);
	contract_put_str(w, "end", &c->end);
	contract_put_uint(w, "fee_cents_per_month", c->fee_cents);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	if (show)
		mpw_cstr(w, "interventions");	/* the caller's value next */
}

/* What follows "interventions" in the sorted keys; next (show only,
 * CONTRACT_CURSOR_LEN bytes) when not NULL. */
static void
contract_put_rest(struct mpw *w, const struct contract_view *v, int show,
    const uint8_t *next)
{
	char hex[2 * RECORD_ID_LEN + 1];
	const struct workbody_contract *c = &v->c;

	contract_put_str(w, "member", &c->member);
	contract_put_uint(w, "minutes_per_month", c->minutes_per_month);
	if (next != NULL) {
		mpw_cstr(w, "next");
		mpw_bin(w, next, CONTRACT_CURSOR_LEN);
	}
	contract_put_uint(w, "notice_months", c->notice_months);
	contract_put_str(w, "renewal", &c->renewal);
	if (show) {
		record_id_hex(hex, v->heads[v->winner].id);
		mpw_cstr(w, "revision");
		mpw_cstr(w, hex);
	}
	contract_put_str(w, "start", &c->start);
	contract_put_str(w, "status", &c->status);
	contract_put_uint(w, "updated", v->r.h.ts);
}

/* Is the contract active on day today: not ended, started, and before
 * its end (or renewed silently). */
static int
contract_is_active(const struct workbody_contract *c, int32_t today)
{
	if (!workbody_str_is(&c->status, "active") || c->start_day > today)
		return 0;
	return c->end_day < 0 || c->end_day >= today ||
	    workbody_str_is(&c->renewal, "tacit");
}

struct contract_list {
	struct node *node;
	int active;
	uint64_t expiring_days;
	int32_t today;
	struct mpw items;
	uint32_t count;
	int more;
	char last[RECORD_KEY_MAX + 1];	/* the last contract listed */
	uint64_t held;		/* records of other Amies, unreadable */
	const char *kind;	/* of the objects contract_count_foreign sees */
	struct errbuf *eb;
};

/* Does (kind, key) belong to another Amie?  Then count its records. */
static int
contract_foreign(struct node *n, const char *kind, const char *key,
    const struct store_head *head, uint64_t *held)
{
	size_t total = 0;
	uint8_t *buf;
	size_t len;
	struct record rec;
	struct record_header h;
	int mine;

	if (store_get(n->store, head->id, &buf, &len, NULL) != 0)
		return 1;
	mine = record_decode(&rec, buf, len, NULL) == 0 &&
	    record_header_decode(&h, rec.header, rec.header_len, NULL) == 0 &&
	    sodium_memcmp(h.author, n->pk, RECORD_KEY_LEN) == 0;
	free(buf);
	if (mine)
		return 0;
	if (store_object_revisions(n->store, kind, key, NULL, 0, &total,
	    NULL) == 0)
		*held += total;
	return 1;
}

static int
contract_list_one(void *ctx, const char *key, const struct store_head *heads,
    size_t count)
{
	struct contract_list *l = ctx;
	struct contract_view v;
	uint64_t held = 0;	/* counted over every contract apart */
	int match;

	if (contract_foreign(l->node, "contract", key,
	    &heads[store_head_winner(heads, count)], &held))
		return 0;
	if (contract_view_load(l->node, key, &v, l->eb) != 0)
		return 0;	/* skip what cannot be shown */
	match = !l->active || contract_is_active(&v.c, l->today);
	if (l->expiring_days > 0)
		match = match && workbody_str_is(&v.c.status, "active") &&
		    v.c.end_day >= l->today &&
		    v.c.end_day <= l->today + (int32_t)l->expiring_days;
	if (match) {
		size_t mark = l->items.len;

		contract_put_fields(&l->items, key, &v, 0, 0);
		contract_put_rest(&l->items, &v, 0, NULL);
		if (control_page_item(&l->items, mark, &l->more) != 0) {
			contract_rec_release(&v.r);
			return CONTROL_PAGE_FULL;
		}
		memcpy(l->last, key, strlen(key) + 1);
		l->count++;
	}
	contract_rec_release(&v.r);
	return 0;
}

static int
contract_count_foreign(void *ctx, const char *key,
    const struct store_head *heads, size_t count)
{
	struct contract_list *l = ctx;

	(void)contract_foreign(l->node, l->kind, key,
	    &heads[store_head_winner(heads, count)], &l->held);
	return 0;
}

int
contract_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char after[RECORD_KEY_MAX + 1];
	struct contract_list l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.node = n;
	l.eb = eb;
	l.today = contract_today();
	if ((rc = control_page_after_key(req, after, eb)) != 0)
		return rc;
	rc = mpmap_bool(&req->args, "active", &l.active, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_uint(&req->args, "expiring_days", &l.expiring_days, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if (l.expiring_days > 36500)
		return fail(eb, AMIE_EPROTO, "expiring: at most 36500 days");
	mpw_init(&l.items, CTL_PAGE_MAX);
	rc = store_objects_after(n->store, "contract", after[0] ? after : NULL,
	    contract_list_one, &l, eb);
	if (rc == CONTROL_PAGE_FULL)
		rc = 0;
	/* One contract is far smaller than a page. */
	assert(l.count > 0 || !l.more);
	/* What other Amies hold here is counted whole on every page. */
	l.kind = "contract";
	if (rc == 0)
		rc = store_objects(n->store, "contract",
		    contract_count_foreign, &l, eb);
	l.kind = "intervention";
	if (rc == 0)
		rc = store_objects(n->store, "intervention",
		    contract_count_foreign, &l, eb);
	if (rc == 0) {
		mpw_map(w, 2 + l.more);
		mpw_cstr(w, "contracts");
		mpw_array(w, l.count);
		mpw_raw(w, l.items.buf, l.items.len);
		contract_put_uint(w, "held_encrypted", l.held);
		if (l.more) {
			mpw_cstr(w, "next");
			mpw_cstr(w, l.last);
		}
	}
	mpw_release(&l.items);
	return rc;
}

/* The interventions of one of our contracts, opened and decoded. */
struct contract_iv {
	struct contract_rec r;
	struct workbody_intervention iv;
	uint8_t key[CONTRACT_CURSOR_LEN];	/* (day, ts, id): the order */
};

static void
contract_ivs_free(struct contract_iv *ivs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		contract_rec_release(&ivs[i].r);
	free(ivs);
}

static int
contract_iv_cmp(const void *a, const void *b)
{
	const struct contract_iv *x = a, *y = b;

	return memcmp(x->key, y->key, CONTRACT_CURSOR_LEN);
}

/* The sort key of iv, as contract.show's cursor: its day (offset by
 * 2^31, so that the order holds before 1970), its ts, both big endian,
 * and its record id. */
static void
contract_iv_key(struct contract_iv *iv)
{
	uint32_t day = (uint32_t)iv->iv.day + 0x80000000u;

	for (int i = 0; i < 4; i++)
		iv->key[i] = (uint8_t)(day >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		iv->key[4 + i] = (uint8_t)(iv->r.h.ts >> (56 - 8 * i));
	record_id(iv->key + 12, iv->r.rec.header, iv->r.rec.header_len);
}

/* Load every intervention of contract key that this node can read,
 * ordered by date. */
static int
contract_ivs_load(struct node *n, const char *key, struct contract_iv **out,
    size_t *count, struct errbuf *eb)
{
	struct store_head *revs;
	struct contract_iv *ivs;
	size_t total = 0, got = 0;
	int rc;

	*out = NULL;
	*count = 0;
	rc = store_object_revisions_all(n->store, "intervention", key, &revs,
	    &total, eb);
	if (rc == AMIE_ENOTFOUND || (rc == 0 && total == 0)) {
		free(revs);
		return 0;
	}
	if (rc != 0)
		return rc;
	ivs = xcalloc(total, sizeof(*ivs));
	for (size_t i = 0; i < total; i++) {
		if (contract_rec_load(n, revs[i].id, &ivs[got].r, NULL) != 0)
			continue;
		if (workbody_intervention_decode(&ivs[got].iv,
		    ivs[got].r.plain, ivs[got].r.plain_len, NULL) != 0) {
			contract_rec_release(&ivs[got].r);
			continue;
		}
		contract_iv_key(&ivs[got]);
		got++;
	}
	free(revs);
	qsort(ivs, got, sizeof(*ivs), contract_iv_cmp);
	*out = ivs;
	*count = got;
	return 0;
}

/* One intervention of contract.show into w. */
static void
contract_show_iv(struct mpw *w, const struct contract_iv *x)
{
	const struct workbody_intervention *iv = &x->iv;
	char hex[2 * RECORD_ID_LEN + 1];

	record_id_hex(hex, x->key + 12);
	mpw_map(w, 6);
	contract_put_str(w, "date", &iv->date);
	mpw_cstr(w, "id");
	mpw_cstr(w, hex);
	mpw_cstr(w, "kb");
	mpw_array(w, iv->kb_count);
	for (uint32_t k = 0; k < iv->kb_count; k++)
		mpw_str(w, iv->kb[k].s, iv->kb[k].len);
	contract_put_uint(w, "minutes", iv->minutes);
	contract_put_str(w, "summary", &iv->summary);
	contract_put_str(w, "tech", &iv->tech);
}

int
contract_handle_show(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	uint8_t next[CONTRACT_CURSOR_LEN];
	const uint8_t *after;
	struct contract_view v;
	struct contract_iv *ivs;
	struct mpw items, rest;
	uint32_t alen, shown = 0;
	size_t count, last = 0;
	int rc, more = 0;

	rc = mpmap_bin(&req->args, "after", &after, &alen,
	    CONTRACT_CURSOR_LEN, eb);
	if (rc == AMIE_ENOTFOUND)
		after = NULL;
	else if (rc != 0)
		return rc;
	else if (alen != CONTRACT_CURSOR_LEN)
		return fail(eb, AMIE_EPROTO, "contract show: after: %u bytes, "
		    "not %d", alen, CONTRACT_CURSOR_LEN);
	if ((rc = contract_find(n, req, key, &v, eb)) != 0)
		return rc;
	if ((rc = contract_ivs_load(n, key, &ivs, &count, eb)) != 0) {
		contract_rec_release(&v.r);
		return rc;
	}
	/* The contract's own fields (two texts of up to 4 KiB) come on
	 * every page: the interventions have the rest of CTL_PAGE_MAX,
	 * measured as written, and past it next says where the following
	 * page starts. */
	memset(next, 0, sizeof(next));
	mpw_init(&rest, CTL_MSG_MAX);
	contract_put_fields(&rest, key, &v, 3, 1);
	contract_put_rest(&rest, &v, 1, next);
	mpw_init(&items, CTL_PAGE_MAX - rest.len);
	mpw_release(&rest);
	for (size_t i = 0; i < count; i++) {
		size_t mark = items.len;

		if (after != NULL &&
		    memcmp(ivs[i].key, after, CONTRACT_CURSOR_LEN) <= 0)
			continue;
		contract_show_iv(&items, &ivs[i]);
		if (control_page_item(&items, mark, &more) != 0)
			break;
		last = i;
		shown++;
	}
	/* One intervention (some 6 KiB) is far smaller than a page. */
	assert(shown > 0 || !more);
	if (more)
		memcpy(next, ivs[last].key, CONTRACT_CURSOR_LEN);
	contract_put_fields(w, key, &v, 2 + more, 1);
	mpw_array(w, shown);
	mpw_raw(w, items.buf, items.len);
	contract_put_rest(w, &v, 1, more ? next : NULL);
	mpw_release(&items);
	contract_ivs_free(ivs, count);
	contract_rec_release(&v.r);
	return 0;
}

/* Resolve an id prefix of kind into out, as an error of bad input. */
static int
contract_resolve(struct node *n, const char *kind, const char *what,
    const char *s, uint32_t len, char out[RECORD_KEY_MAX + 1],
    struct errbuf *eb)
{
	char prefix[RECORD_KEY_MAX + 1];
	int rc;

	if (len > RECORD_KEY_MAX || memchr(s, '\0', len) != NULL)
		return fail(eb, AMIE_EPROTO, "%s: not an id", what);
	memcpy(prefix, s, len);
	prefix[len] = '\0';
	if ((rc = store_object_find(n->store, kind, prefix, out, eb)) != 0)
		return rc == AMIE_ENOTFOUND ? fail(eb, AMIE_ENOTFOUND,
		    "%s: no %s with id %s", what, what, prefix) : rc;
	return 0;
}

int
contract_handle_log(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1], date[DATE_LEN + 1];
	char tech[RECORD_KEY_MAX + 1], hex[2 * RECORD_ID_LEN + 1];
	char kb[WORKBODY_KB_MAX][RECORD_KEY_MAX + 1];
	struct workbody_intervention iv, check;
	uint8_t id[RECORD_ID_LEN];
	struct contract_view v;
	struct mpw body;
	struct mpr r;
	int given, rc;

	if ((rc = contract_find(n, req, key, &v, eb)) != 0)
		return rc;
	memset(&iv, 0, sizeof(iv));
	iv.tech.s = "";
	if ((rc = contract_arg_uint(req, "minutes", &iv.minutes, &given,
	    eb)) != 0 ||
	    (rc = contract_arg_str(req, "summary", &iv.summary,
	    WORKBODY_TEXT_MAX, eb)) != 0 ||
	    (rc = contract_arg_str(req, "date", &iv.date, 64, eb)) != 0 ||
	    (rc = contract_arg_str(req, "tech", &iv.tech, RECORD_KEY_MAX,
	    eb)) != 0)
		goto out;
	if (!given || iv.minutes == 0) {
		rc = fail(eb, AMIE_EPROTO, "minutes: more than 0 needed");
		goto out;
	}
	if (iv.summary.len == 0) {
		rc = fail(eb, AMIE_EPROTO, "summary: say what was done");
		goto out;
	}
	if (iv.date.len == 0) {
		date_format(date, contract_today());
		iv.date.s = date;
		iv.date.len = DATE_LEN;
	}
	if ((rc = date_parse(&iv.day, iv.date.s, iv.date.len, "date",
	    eb)) != 0)
		goto out;
	if (iv.day < v.c.start_day || (contract_last_day(&v.c) >= 0 &&
	    iv.day > contract_last_day(&v.c))) {
		rc = fail(eb, AMIE_EPROTO, "date: %.*s is outside the contract "
		    "(%.*s to %.*s)", (int)iv.date.len, iv.date.s,
		    (int)v.c.start.len, v.c.start.s, (int)v.c.end.len,
		    v.c.end.s);
		goto out;
	}
	if (iv.tech.len > 0) {
		if ((rc = contract_resolve(n, "tech", "technician", iv.tech.s,
		    iv.tech.len, tech, eb)) != 0)
			goto out;
		iv.tech.s = tech;
		iv.tech.len = (uint32_t)strlen(tech);
	}
	rc = mpmap_reader(&req->args, "kb", &r, eb);
	if (rc == 0 && (rc = mpr_array(&r, &iv.kb_count, WORKBODY_KB_MAX,
	    "kb", eb)) == 0) {
		for (uint32_t i = 0; i < iv.kb_count && rc == 0; i++) {
			const char *s;
			uint32_t len;

			if ((rc = mpr_str(&r, &s, &len, RECORD_KEY_MAX, "kb",
			    eb)) == 0 &&
			    (rc = contract_resolve(n, "kb", "article", s, len,
			    kb[i], eb)) == 0) {
				iv.kb[i].s = kb[i];
				iv.kb[i].len = (uint32_t)strlen(kb[i]);
			}
		}
	}
	if (rc == AMIE_ENOTFOUND && mpmap_get(&req->args, "kb") == NULL)
		rc = 0;
	if (rc != 0)
		goto out;
	mpw_init(&body, RECORD_BODY_MAX);
	workbody_intervention_encode(&iv, &body);
	if ((rc = mpw_finish(&body, "intervention", eb)) == 0 &&
	    (rc = workbody_intervention_decode(&check, body.buf, body.len,
	    eb)) == 0)
		rc = contract_write_private(n, "intervention", key, NULL, 0,
		    &body, id, eb);
	sodium_memzero(body.buf, body.len);
	mpw_release(&body);
	if (rc == 0) {
		record_id_hex(hex, id);
		mpw_map(w, 2);
		mpw_cstr(w, "contract");
		mpw_cstr(w, key);
		mpw_cstr(w, "id");
		mpw_cstr(w, hex);
	}
out:
	contract_rec_release(&v.r);
	return rc;
}

/* The figures of one contract for month m. */
struct contract_usage {
	uint64_t committed, used, total_committed, total_used;
	uint32_t months;
};

static int
contract_runs_in(const struct workbody_contract *c, int32_t m)
{
	int32_t last = contract_last_day(c);

	return c->start_day <= date_month_last(m) &&
	    (last < 0 || last >= date_month_first(m));
}

static void
contract_usage_compute(const struct workbody_contract *c,
    const struct contract_iv *ivs, size_t count, int32_t m,
    struct contract_usage *u)
{
	int32_t first = date_month_of(c->start_day), last = m;
	int32_t last_day = contract_last_day(c);

	memset(u, 0, sizeof(*u));
	if (last_day >= 0 && date_month_of(last_day) < last)
		last = date_month_of(last_day);
	if (last >= first)
		u->months = (uint32_t)(last - first + 1);
	u->total_committed = (uint64_t)u->months * c->minutes_per_month;
	if (contract_runs_in(c, m))
		u->committed = c->minutes_per_month;
	for (size_t i = 0; i < count; i++) {
		int32_t im = date_month_of(ivs[i].iv.day);

		if (im == m)
			u->used += ivs[i].iv.minutes;
		if (im <= m)
			u->total_used += ivs[i].iv.minutes;
	}
}

static void
contract_put_int(struct mpw *w, const char *key, int64_t v)
{
	mpw_cstr(w, key);
	if (v >= 0)
		mpw_uint(w, (uint64_t)v);
	else
		mpw_int(w, v);
}

struct contract_usage_ctx {
	struct node *node;
	int32_t month;
	const char *only;	/* one contract key, or NULL */
	struct mpw items;
	uint32_t count;
	int more;
	char last[RECORD_KEY_MAX + 1];	/* the last contract listed */
	int rc;
	struct errbuf *eb;
};

static int
contract_usage_one(void *ctx, const char *key, const struct store_head *heads,
    size_t count)
{
	struct contract_usage_ctx *x = ctx;
	struct contract_view v;
	struct contract_iv *ivs;
	struct contract_usage u;
	struct mpw *w = &x->items;
	size_t n, mark = w->len;
	uint64_t held = 0;

	if (x->only != NULL && strcmp(key, x->only) != 0)
		return 0;
	if (contract_foreign(x->node, "contract", key,
	    &heads[store_head_winner(heads, count)], &held) ||
	    contract_view_load(x->node, key, &v, x->eb) != 0)
		return 0;
	if (x->only == NULL && !contract_runs_in(&v.c, x->month)) {
		contract_rec_release(&v.r);
		return 0;
	}
	if ((x->rc = contract_ivs_load(x->node, key, &ivs, &n,
	    x->eb)) != 0) {
		contract_rec_release(&v.r);
		return x->rc;
	}
	contract_usage_compute(&v.c, ivs, n, x->month, &u);
	mpw_map(w, 10);
	contract_put_int(w, "balance_minutes", (int64_t)u.committed -
	    (int64_t)u.used);
	contract_put_uint(w, "committed_minutes", u.committed);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	contract_put_str(w, "member", &v.c.member);
	contract_put_uint(w, "minutes_per_month", v.c.minutes_per_month);
	contract_put_uint(w, "months", u.months);
	contract_put_int(w, "total_balance_minutes",
	    (int64_t)u.total_committed - (int64_t)u.total_used);
	contract_put_uint(w, "total_committed_minutes", u.total_committed);
	contract_put_uint(w, "total_used_minutes", u.total_used);
	contract_put_uint(w, "used_minutes", u.used);
	contract_ivs_free(ivs, n);
	contract_rec_release(&v.r);
	if (control_page_item(w, mark, &x->more) != 0)
		return CONTROL_PAGE_FULL;
	memcpy(x->last, key, strlen(key) + 1);
	x->count++;
	return 0;
}

int
contract_handle_usage(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1], month[DATE_MONTH_LEN + 1];
	char after[RECORD_KEY_MAX + 1];
	struct contract_usage_ctx x;
	struct contract_view v;
	struct body_str m;
	int rc;

	memset(&x, 0, sizeof(x));
	x.node = n;
	x.eb = eb;
	x.month = date_month_of(contract_today());
	if ((rc = control_page_after_key(req, after, eb)) != 0)
		return rc;
	rc = mpmap_str(&req->args, "month", &m.s, &m.len, 64, eb);
	if (rc == 0)
		rc = date_month_parse(&x.month, m.s, m.len, "month", eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if (mpmap_get(&req->args, "id") != NULL) {
		if ((rc = contract_find(n, req, key, &v, eb)) != 0)
			return rc;
		contract_rec_release(&v.r);
		x.only = key;
	}
	mpw_init(&x.items, CTL_PAGE_MAX);
	rc = store_objects_after(n->store, "contract", after[0] ? after : NULL,
	    contract_usage_one, &x, eb);
	if (rc == CONTROL_PAGE_FULL)
		rc = 0;
	/* One contract's figures are far smaller than a page. */
	assert(x.count > 0 || !x.more);
	if (rc == 0) {
		date_month_format(month, x.month);
		mpw_map(w, 2 + x.more);
		mpw_cstr(w, "month");
		mpw_cstr(w, month);
		if (x.more) {
			mpw_cstr(w, "next");
			mpw_cstr(w, x.last);
		}
		mpw_cstr(w, "usage");
		mpw_array(w, x.count);
		mpw_raw(w, x.items.buf, x.items.len);
	}
	mpw_release(&x.items);
	return rc;
}
