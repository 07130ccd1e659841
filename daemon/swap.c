/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/swap.h"
#include "proto/nodeid.h"
#include "proto/workbody.h"
#include "proto/xmalloc.h"

/* One stored record, decoded; buf owns the bytes. */
struct swap_rec {
	uint8_t id[RECORD_ID_LEN];
	uint8_t *buf;
	struct record rec;
	struct record_header h;
};

static void
swap_rec_release(struct swap_rec *r)
{
	free(r->buf);
	r->buf = NULL;
}

static int
swap_rec_load(struct node *n, const uint8_t id[RECORD_ID_LEN],
    struct swap_rec *r, struct errbuf *eb)
{
	size_t len;
	int rc;

	memcpy(r->id, id, RECORD_ID_LEN);
	r->buf = NULL;
	if ((rc = store_get_served(n->store, id, &r->buf, &len, eb)) != 0)
		return rc;
	if ((rc = record_decode(&r->rec, r->buf, len, eb)) != 0 ||
	    (rc = record_header_decode(&r->h, r->rec.header,
	    r->rec.header_len, eb)) != 0 ||
	    (r->rec.body == NULL && (rc = fail(eb, AMIE_ENOTFOUND,
	    "%s %s was erased", r->h.kind, r->h.key)) != 0)) {
		swap_rec_release(r);
		return rc;
	}
	return 0;
}

/* Every revision of (kind, key), oldest first (ts, then id), in a new
 * array (free it); none is 0 with *count 0. */
static int
swap_revs(struct node *n, const char *kind, const char *key,
    struct store_head **out, size_t *count, struct errbuf *eb)
{
	int rc = store_object_revisions_all(n->store, kind, key, out, count,
	    eb);

	return rc == AMIE_ENOTFOUND ? 0 : rc;
}

/* The first record of (kind, key) that loads, into r: 0, or
 * AMIE_ENOTFOUND when there is none. */
static int
swap_first(struct node *n, const char *kind, const char *key,
    struct swap_rec *r, struct errbuf *eb)
{
	struct store_head *revs;
	size_t count;
	int rc;

	if ((rc = swap_revs(n, kind, key, &revs, &count, eb)) != 0)
		return rc;
	rc = AMIE_ENOTFOUND;
	for (size_t i = 0; i < count && rc != 0; i++)
		rc = swap_rec_load(n, revs[i].id, r, NULL);
	free(revs);
	return rc == 0 ? 0 : fail(eb, AMIE_ENOTFOUND, "no %s for request %s",
	    kind, key);
}

/* The request (the display winner of its revisions) of key. */
static int
swap_request_load(struct node *n, const char *key, struct swap_rec *r,
    struct workbody_swap_request *s, struct errbuf *eb)
{
	struct store_head heads[STORE_HEADS_MAX];
	size_t count;
	int rc;

	if ((rc = store_object_heads(n->store, "swap.request", key, heads,
	    STORE_HEADS_MAX, &count, eb)) != 0 ||
	    (rc = swap_rec_load(n, heads[store_head_winner(heads,
	    count)].id, r, eb)) != 0)
		return rc;
	if ((rc = workbody_swap_request_decode(s, r->rec.body,
	    r->rec.body_len, eb)) != 0)
		swap_rec_release(r);
	return rc;
}

/* The request named by field name of req: its key in key. */
static int
swap_find_request(struct node *n, const struct ctl_request *req,
    const char *name, char key[RECORD_KEY_MAX + 1], struct errbuf *eb)
{
	char prefix[RECORD_KEY_MAX + 1];
	int rc = mpmap_cstr(&req->args, name, prefix, sizeof(prefix), eb);

	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "which request?");
	if (rc != 0)
		return rc;
	rc = store_object_find(n->store, "swap.request", prefix, key, eb);
	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_ENOTFOUND, "no swap request with id %s",
		    prefix);
	return rc;
}

static void
swap_reply_written(struct mpw *w, const char *key,
    const uint8_t id[RECORD_ID_LEN])
{
	char hex[2 * RECORD_ID_LEN + 1];

	record_id_hex(hex, id);
	mpw_map(w, 2);
	mpw_cstr(w, "id");
	mpw_cstr(w, hex);
	mpw_cstr(w, "request");
	mpw_cstr(w, key);
}

/* Write the body the caller encoded. */
static int
swap_write(struct node *n, const char *kind, const char *key,
    const uint8_t (*refs)[RECORD_ID_LEN], uint32_t refs_count,
    struct mpw *body, uint8_t id[RECORD_ID_LEN], struct errbuf *eb)
{
	int rc;

	if ((rc = mpw_finish(body, kind, eb)) != 0)
		return rc;
	return node_write(n, kind, key, refs, refs_count, body->buf,
	    body->len, 0, id, eb);
}

/* An optional uint argument that must be there. */
static int
swap_arg_minutes(const struct ctl_request *req, uint64_t min,
    uint64_t *v, struct errbuf *eb)
{
	int rc = mpmap_uint(&req->args, "minutes", v, eb);

	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EPROTO, "hours: how many?");
	if (rc != 0)
		return rc;
	if (*v < min || *v > WORKBODY_SWAP_MINUTES_MAX)
		return fail(eb, AMIE_EPROTO, "hours: %llu minutes, expected "
		    "%llu to %d", (unsigned long long)*v,
		    (unsigned long long)min, WORKBODY_SWAP_MINUTES_MAX);
	return 0;
}

static int
swap_arg_str(const struct ctl_request *req, const char *key,
    struct body_str *s, uint32_t max, struct errbuf *eb)
{
	int rc = mpmap_str(&req->args, key, &s->s, &s->len, max, eb);

	if (rc == AMIE_ENOTFOUND) {
		s->s = "";
		s->len = 0;
		return 0;
	}
	return rc;
}

int
swap_handle_request(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	uint8_t rnd[SWAP_ID_BYTES], id[RECORD_ID_LEN];
	char key[2 * SWAP_ID_BYTES + 1], hex[2 * RECORD_ID_LEN + 1];
	struct workbody_swap_request s, check;
	struct mpw body;
	struct mpr r;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = swap_arg_str(req, "from", &s.from, 64, eb)) != 0 ||
	    (rc = swap_arg_str(req, "to", &s.to, 64, eb)) != 0 ||
	    (rc = swap_arg_str(req, "region", &s.region, WORKBODY_WORD_MAX,
	    eb)) != 0 ||
	    (rc = swap_arg_str(req, "note", &s.note, WORKBODY_TEXT_MAX,
	    eb)) != 0 ||
	    (rc = swap_arg_minutes(req, 1, &s.minutes, eb)) != 0)
		return rc;
	if ((rc = mpmap_reader(&req->args, "skills", &r, eb)) != 0 ||
	    (rc = mpr_array(&r, &s.skills.count, WORKBODY_WORDS_MAX, "skills",
	    eb)) != 0)
		return rc == AMIE_ENOTFOUND ? fail(eb, AMIE_EPROTO,
		    "skills: give one at least") : rc;
	for (uint32_t i = 0; i < s.skills.count; i++)
		if ((rc = mpr_str(&r, &s.skills.w[i].s, &s.skills.w[i].len,
		    WORKBODY_WORD_MAX, "skills", eb)) != 0)
			return rc;
	if (s.region.len > 0 && (rc = workbody_word_check(s.region.s,
	    s.region.len, "region", eb)) != 0)
		return rc;
	mpw_init(&body, RECORD_BODY_MAX);
	workbody_swap_request_encode(&s, &body);
	if ((rc = mpw_finish(&body, "swap.request", eb)) == 0 &&
	    (rc = workbody_swap_request_decode(&check, body.buf, body.len,
	    eb)) == 0) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(key, sizeof(key), rnd, sizeof(rnd));
		rc = swap_write(n, "swap.request", key, NULL, 0, &body, id, eb);
	}
	mpw_release(&body);
	if (rc != 0)
		return rc;
	record_id_hex(hex, id);
	mpw_map(w, 2);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	mpw_cstr(w, "revision");
	mpw_cstr(w, hex);
	return 0;
}

int
swap_handle_offer(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1], tech[RECORD_KEY_MAX + 1];
	char prefix[RECORD_KEY_MAX + 1];
	struct store_head heads[STORE_HEADS_MAX];
	struct workbody_swap_request s;
	struct workbody_swap_offer o, check;
	struct swap_rec rq, t;
	uint8_t id[RECORD_ID_LEN];
	struct mpw body;
	size_t count;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = swap_find_request(n, req, "request", key, eb)) != 0 ||
	    (rc = swap_arg_minutes(req, 1, &o.minutes, eb)) != 0 ||
	    (rc = swap_arg_str(req, "note", &o.note, WORKBODY_TEXT_MAX,
	    eb)) != 0)
		return rc;
	rc = mpmap_cstr(&req->args, "tech", prefix, sizeof(prefix), eb);
	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "which technician?");
	if (rc != 0)
		return rc;
	if ((rc = store_object_find(n->store, "tech", prefix, tech, eb)) != 0)
		return rc == AMIE_ENOTFOUND ? fail(eb, AMIE_ENOTFOUND,
		    "no technician with id %s", prefix) : rc;
	if ((rc = store_object_heads(n->store, "tech", tech, heads,
	    STORE_HEADS_MAX, &count, eb)) != 0 ||
	    (rc = swap_rec_load(n, heads[store_head_winner(heads, count)].id,
	    &t, eb)) != 0)
		return rc;
	rc = sodium_memcmp(t.h.author, n->pk, RECORD_KEY_LEN);
	swap_rec_release(&t);
	if (rc != 0)
		return fail(eb, AMIE_EREFUSED, "technician %s belongs to "
		    "another Amie: offer one of yours", tech);
	if ((rc = swap_request_load(n, key, &rq, &s, eb)) != 0)
		return rc;
	if (sodium_memcmp(rq.h.author, n->pk, RECORD_KEY_LEN) == 0) {
		swap_rec_release(&rq);
		return fail(eb, AMIE_EREFUSED, "request %s is this Amie's own: "
		    "another Amie offers", key);
	}
	o.tech.s = tech;
	o.tech.len = (uint32_t)strlen(tech);
	mpw_init(&body, RECORD_BODY_MAX);
	workbody_swap_offer_encode(&o, &body);
	if ((rc = mpw_finish(&body, "swap.offer", eb)) == 0 &&
	    (rc = workbody_swap_offer_decode(&check, body.buf, body.len,
	    eb)) == 0)
		rc = swap_write(n, "swap.offer", key,
		    (const uint8_t (*)[RECORD_ID_LEN])rq.id, 1, &body, id, eb);
	mpw_release(&body);
	swap_rec_release(&rq);
	if (rc == 0)
		swap_reply_written(w, key, id);
	return rc;
}

/* Looking for an offer by record id prefix among all offers. */
struct swap_offer_find {
	struct node *node;
	char prefix[2 * RECORD_ID_LEN + 1];
	size_t found;
	uint8_t id[RECORD_ID_LEN];
	char key[RECORD_KEY_MAX + 1];
};

static int
swap_offer_find_one(void *ctx, const char *key, const struct store_head *h,
    size_t count)
{
	struct swap_offer_find *f = ctx;
	struct store_head *revs;
	size_t n, plen = strlen(f->prefix);

	(void)h;
	(void)count;
	if (swap_revs(f->node, "swap.offer", key, &revs, &n, NULL) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char hex[2 * RECORD_ID_LEN + 1];
		struct swap_rec r;

		record_id_hex(hex, revs[i].id);
		if (strncmp(hex, f->prefix, plen) != 0)
			continue;
		/* Only an offer the request's state can load (not hidden by
		 * its author's removal, not erased): accepting another would
		 * leave the request open and refuse any other accept. */
		if (swap_rec_load(f->node, revs[i].id, &r, NULL) != 0)
			continue;
		swap_rec_release(&r);
		if (f->found++ == 0) {
			memcpy(f->id, revs[i].id, RECORD_ID_LEN);
			memcpy(f->key, key, strlen(key) + 1);
		}
	}
	free(revs);
	return 0;
}

int
swap_handle_accept(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct swap_offer_find f;
	struct workbody_swap_request s;
	struct swap_rec rq, prior;
	uint8_t id[RECORD_ID_LEN];
	struct mpw body;
	int rc;

	memset(&f, 0, sizeof(f));
	f.node = n;
	rc = mpmap_cstr(&req->args, "offer", f.prefix, sizeof(f.prefix), eb);
	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "which offer?");
	if (rc != 0)
		return rc;
	if (strlen(f.prefix) < STORE_PREFIX_MIN)
		return fail(eb, AMIE_EUSAGE, "offer '%s': give at least %d "
		    "characters", f.prefix, STORE_PREFIX_MIN);
	if ((rc = store_objects(n->store, "swap.offer", swap_offer_find_one,
	    &f, eb)) != 0)
		return rc;
	if (f.found == 0)
		return fail(eb, AMIE_ENOTFOUND, "no offer with id %s",
		    f.prefix);
	if (f.found > 1)
		return fail(eb, AMIE_EAMBIGUOUS, "offer %s matches several: "
		    "give more characters", f.prefix);
	if ((rc = swap_request_load(n, f.key, &rq, &s, eb)) != 0)
		return rc;
	rc = sodium_memcmp(rq.h.author, n->pk, RECORD_KEY_LEN);
	swap_rec_release(&rq);
	if (rc != 0)
		return fail(eb, AMIE_EREFUSED, "request %s is another Amie's: "
		    "only the requesting Amie accepts an offer", f.key);
	if (swap_first(n, "swap.accept", f.key, &prior, NULL) == 0) {
		swap_rec_release(&prior);
		return fail(eb, AMIE_EREFUSED, "request %s already has an "
		    "accepted offer", f.key);
	}
	mpw_init(&body, 16);
	workbody_swap_accept_encode(&body);
	rc = swap_write(n, "swap.accept", f.key,
	    (const uint8_t (*)[RECORD_ID_LEN])f.id, 1, &body, id, eb);
	mpw_release(&body);
	if (rc == 0)
		swap_reply_written(w, f.key, id);
	return rc;
}

int
swap_handle_done(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	struct workbody_swap_request s;
	struct workbody_swap_done d;
	struct swap_rec rq, accept, prior;
	uint8_t id[RECORD_ID_LEN];
	struct mpw body;
	int rc;

	if ((rc = swap_find_request(n, req, "request", key, eb)) != 0 ||
	    (rc = swap_arg_minutes(req, 0, &d.minutes, eb)) != 0 ||
	    (rc = swap_request_load(n, key, &rq, &s, eb)) != 0)
		return rc;
	rc = sodium_memcmp(rq.h.author, n->pk, RECORD_KEY_LEN);
	swap_rec_release(&rq);
	if (rc != 0)
		return fail(eb, AMIE_EREFUSED, "request %s is another Amie's: "
		    "only the borrowing Amie confirms the hours", key);
	if (swap_first(n, "swap.done", key, &prior, NULL) == 0) {
		swap_rec_release(&prior);
		return fail(eb, AMIE_EREFUSED, "request %s: the hours were "
		    "already confirmed", key);
	}
	if (swap_first(n, "swap.accept", key, &accept, NULL) != 0)
		return fail(eb, AMIE_EREFUSED, "request %s has no accepted "
		    "offer yet: amie swap accept OFFER first", key);
	mpw_init(&body, 64);
	workbody_swap_done_encode(&d, &body);
	rc = swap_write(n, "swap.done", key,
	    (const uint8_t (*)[RECORD_ID_LEN])accept.id, 1, &body, id, eb);
	mpw_release(&body);
	swap_rec_release(&accept);
	if (rc == 0)
		swap_reply_written(w, key, id);
	return rc;
}

/* The keys of every request, copied. */
struct swap_keys {
	char (*keys)[RECORD_KEY_MAX + 1];
	size_t count, cap;
};

static int
swap_keys_one(void *ctx, const char *key, const struct store_head *h,
    size_t count)
{
	struct swap_keys *k = ctx;

	(void)h;
	(void)count;
	if (k->count == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 16;
		k->keys = xrealloc(k->keys, k->cap * sizeof(*k->keys));
	}
	memcpy(k->keys[k->count++], key, strlen(key) + 1);
	return 0;
}

/* What happened to a request: the first accept and done, the lender. */
struct swap_state {
	int accepted, done;
	uint8_t offer[RECORD_ID_LEN];
	uint8_t lender[RECORD_KEY_LEN];
	uint64_t given;
};

static void
swap_state_load(struct node *n, const char *key, const struct swap_rec *rq,
    struct swap_state *st)
{
	struct swap_rec a, d, o;
	struct workbody_swap_done dn;

	memset(st, 0, sizeof(*st));
	if (swap_first(n, "swap.accept", key, &a, NULL) != 0)
		return;
	if (sodium_memcmp(a.h.author, rq->h.author, RECORD_KEY_LEN) == 0 &&
	    a.h.refs_count > 0 &&
	    swap_rec_load(n, a.h.refs[0], &o, NULL) == 0) {
		st->accepted = 1;
		memcpy(st->offer, o.id, RECORD_ID_LEN);
		memcpy(st->lender, o.h.author, RECORD_KEY_LEN);
		swap_rec_release(&o);
	}
	swap_rec_release(&a);
	if (!st->accepted || swap_first(n, "swap.done", key, &d, NULL) != 0)
		return;
	if (sodium_memcmp(d.h.author, rq->h.author, RECORD_KEY_LEN) == 0 &&
	    workbody_swap_done_decode(&dn, d.rec.body, d.rec.body_len,
	    NULL) == 0) {
		/* The done refs an accept of this request, and the
		 * first accept names the offer: the lender is its
		 * author. */
		st->done = 1;
		st->given = dn.minutes;
	}
	swap_rec_release(&d);
}

static void
swap_put_node(struct mpw *w, const char *key, const uint8_t pk[32])
{
	char id[NODEID_LEN + 1];

	nodeid_format(id, pk);
	mpw_cstr(w, key);
	mpw_cstr(w, id);
}

static void
swap_put_str(struct mpw *w, const char *key, const struct body_str *s)
{
	mpw_cstr(w, key);
	mpw_str(w, s->s, s->len);
}

/* The offers of request key as an array (the first SWAP_OFFERS_SHOWN). */
static void
swap_put_offers(struct node *n, struct mpw *w, const char *key)
{
	struct store_head *revs;
	struct swap_rec o[SWAP_OFFERS_SHOWN];
	struct workbody_swap_offer b[SWAP_OFFERS_SHOWN];
	size_t count = 0, got = 0;

	(void)swap_revs(n, "swap.offer", key, &revs, &count, NULL);
	for (size_t i = 0; i < count && got < SWAP_OFFERS_SHOWN; i++) {
		if (swap_rec_load(n, revs[i].id, &o[got], NULL) != 0)
			continue;
		if (workbody_swap_offer_decode(&b[got], o[got].rec.body,
		    o[got].rec.body_len, NULL) != 0) {
			swap_rec_release(&o[got]);
			continue;
		}
		got++;
	}
	free(revs);
	mpw_cstr(w, "offers");
	mpw_array(w, (uint32_t)got);
	for (size_t i = 0; i < got; i++) {
		char hex[2 * RECORD_ID_LEN + 1];

		record_id_hex(hex, o[i].id);
		mpw_map(w, 5);
		swap_put_node(w, "amie", o[i].h.author);
		mpw_cstr(w, "id");
		mpw_cstr(w, hex);
		mpw_cstr(w, "minutes");
		mpw_uint(w, b[i].minutes);
		swap_put_str(w, "note", &b[i].note);
		swap_put_str(w, "tech", &b[i].tech);
		swap_rec_release(&o[i]);
	}
}

int
swap_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char after[RECORD_KEY_MAX + 1] = "", last[RECORD_KEY_MAX + 1] = "";
	struct swap_keys k;
	struct mpw items;
	uint32_t shown = 0, more = 0;
	int open = 0, rc;

	rc = mpmap_bool(&req->args, "open", &open, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_cstr(&req->args, "after", after, sizeof(after), eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	memset(&k, 0, sizeof(k));
	if ((rc = store_objects_after(n->store, "swap.request",
	    after[0] ? after : NULL, swap_keys_one, &k, eb)) != 0) {
		free(k.keys);
		return rc;
	}
	/* The page's room: past it, requests are counted in more, and
	 * next names the last one listed, after which the next page
	 * starts. */
	mpw_init(&items, CTL_PAGE_MAX);
	for (size_t i = 0; i < k.count; i++) {
		struct workbody_swap_request s;
		struct swap_state st;
		struct swap_rec rq;
		char hex[2 * RECORD_ID_LEN + 1];
		size_t mark = items.len;

		if (swap_request_load(n, k.keys[i], &rq, &s, NULL) != 0)
			continue;
		swap_state_load(n, k.keys[i], &rq, &st);
		if ((open && st.accepted) || more > 0) {
			more += !(open && st.accepted);
			swap_rec_release(&rq);
			continue;
		}
		mpw_map(&items, 13);
		if (st.accepted)
			record_id_hex(hex, st.offer);
		else
			hex[0] = '\0';
		mpw_cstr(&items, "accepted");
		mpw_cstr(&items, hex);
		swap_put_node(&items, "amie", rq.h.author);
		swap_put_str(&items, "from", &s.from);
		mpw_cstr(&items, "given_minutes");
		mpw_uint(&items, st.given);
		mpw_cstr(&items, "id");
		mpw_cstr(&items, k.keys[i]);
		mpw_cstr(&items, "minutes");
		mpw_uint(&items, s.minutes);
		swap_put_str(&items, "note", &s.note);
		swap_put_offers(n, &items, k.keys[i]);
		swap_put_str(&items, "region", &s.region);
		mpw_cstr(&items, "skills");
		mpw_array(&items, s.skills.count);
		for (uint32_t j = 0; j < s.skills.count; j++)
			mpw_str(&items, s.skills.w[j].s, s.skills.w[j].len);
		mpw_cstr(&items, "state");
		mpw_cstr(&items, st.done ? "done" : st.accepted ? "accepted" :
		    "open");
		swap_put_str(&items, "to", &s.to);
		mpw_cstr(&items, "updated");
		mpw_uint(&items, rq.h.ts);
		swap_rec_release(&rq);
		if (items.overflow) {
			items.len = mark;
			items.overflow = 0;
			more++;
			continue;
		}
		memcpy(last, k.keys[i], strlen(k.keys[i]) + 1);
		shown++;
	}
	free(k.keys);
	/* One request is far smaller than a page. */
	assert(shown > 0 || more == 0);
	if ((rc = mpw_finish(&items, "swap list", eb)) == 0) {
		mpw_map(w, 2 + (more > 0));
		mpw_cstr(w, "more");
		mpw_uint(w, more);
		if (more > 0) {
			mpw_cstr(w, "next");
			mpw_cstr(w, last);
		}
		mpw_cstr(w, "requests");
		mpw_array(w, shown);
		mpw_raw(w, items.buf, items.len);
	}
	mpw_release(&items);
	return rc;
}

/* One pair of Amies in the ledger: a sorts before b. */
struct swap_pair {
	uint8_t a[RECORD_KEY_LEN], b[RECORD_KEY_LEN];
	uint64_t a_lent, b_lent;	/* minutes */
	uint64_t swaps;
};

static int
swap_pair_cmp(const void *x, const void *y)
{
	const struct swap_pair *p = x, *q = y;
	int c = memcmp(p->a, q->a, RECORD_KEY_LEN);

	return c != 0 ? c : memcmp(p->b, q->b, RECORD_KEY_LEN);
}

int
swap_handle_ledger(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct swap_pair *pairs = NULL;
	size_t count = 0, cap = 0, last = 0;
	const uint8_t *after;
	uint8_t next[SWAP_LEDGER_CURSOR_LEN];
	struct swap_keys k;
	struct mpw items;
	uint32_t alen, shown = 0;
	int rc, more = 0;

	rc = mpmap_bin(&req->args, "after", &after, &alen,
	    SWAP_LEDGER_CURSOR_LEN, eb);
	if (rc == AMIE_ENOTFOUND)
		after = NULL;
	else if (rc != 0)
		return rc;
	else if (alen != SWAP_LEDGER_CURSOR_LEN)
		return fail(eb, AMIE_EPROTO, "swap ledger: after: %u bytes, not "
		    "%d", alen, SWAP_LEDGER_CURSOR_LEN);
	memset(&k, 0, sizeof(k));
	if ((rc = store_objects(n->store, "swap.request", swap_keys_one, &k,
	    eb)) != 0) {
		free(k.keys);
		return rc;
	}
	for (size_t i = 0; i < k.count; i++) {
		const uint8_t *lender, *borrower, *a, *b;
		struct workbody_swap_request s;
		struct swap_state st;
		struct swap_rec rq;
		size_t p;

		if (swap_request_load(n, k.keys[i], &rq, &s, NULL) != 0)
			continue;
		swap_state_load(n, k.keys[i], &rq, &st);
		if (!st.done) {
			swap_rec_release(&rq);
			continue;
		}
		lender = st.lender;
		borrower = rq.h.author;
		a = memcmp(lender, borrower, RECORD_KEY_LEN) < 0 ? lender :
		    borrower;
		b = a == lender ? borrower : lender;
		for (p = 0; p < count; p++)
			if (memcmp(pairs[p].a, a, RECORD_KEY_LEN) == 0 &&
			    memcmp(pairs[p].b, b, RECORD_KEY_LEN) == 0)
				break;
		if (p == count) {
			if (count == cap) {
				cap = cap ? 2 * cap : 8;
				pairs = xrealloc(pairs, cap * sizeof(*pairs));
			}
			memset(&pairs[count], 0, sizeof(pairs[count]));
			memcpy(pairs[count].a, a, RECORD_KEY_LEN);
			memcpy(pairs[count].b, b, RECORD_KEY_LEN);
			count++;
		}
		if (a == lender)
			pairs[p].a_lent += st.given;
		else
			pairs[p].b_lent += st.given;
		pairs[p].swaps++;
		swap_rec_release(&rq);
	}
	free(k.keys);
	if (count > 0)	/* pairs is NULL without any */
		qsort(pairs, count, sizeof(*pairs), swap_pair_cmp);
	/* Every pair is summed on every page; the page holds as many as
	 * CTL_PAGE_MAX, measured as written, from the first after the
	 * cursor (the keys a then b of the last pair given) on. */
	mpw_init(&items, CTL_PAGE_MAX);
	for (size_t p = 0; p < count; p++) {
		struct mpw *iw = &items;
		size_t mark = items.len;
		int64_t bal = (int64_t)pairs[p].a_lent -
		    (int64_t)pairs[p].b_lent;

		if (after != NULL && (memcmp(pairs[p].a, after,
		    RECORD_KEY_LEN) < 0 || (memcmp(pairs[p].a, after,
		    RECORD_KEY_LEN) == 0 && memcmp(pairs[p].b,
		    after + RECORD_KEY_LEN, RECORD_KEY_LEN) <= 0)))
			continue;
		mpw_map(iw, 6);
		swap_put_node(iw, "amie", pairs[p].a);
		mpw_cstr(iw, "balance_minutes");
		if (bal >= 0)
			mpw_uint(iw, (uint64_t)bal);
		else
			mpw_int(iw, bal);
		mpw_cstr(iw, "borrowed_minutes");
		mpw_uint(iw, pairs[p].b_lent);
		mpw_cstr(iw, "lent_minutes");
		mpw_uint(iw, pairs[p].a_lent);
		swap_put_node(iw, "other", pairs[p].b);
		mpw_cstr(iw, "swaps");
		mpw_uint(iw, pairs[p].swaps);
		if (items.overflow) {
			items.len = mark;
			items.overflow = 0;
			more = 1;
			break;
		}
		last = p;
		shown++;
	}
	/* One pair is far smaller than a page. */
	assert(shown > 0 || !more);
	if (more) {
		memcpy(next, pairs[last].a, RECORD_KEY_LEN);
		memcpy(next + RECORD_KEY_LEN, pairs[last].b, RECORD_KEY_LEN);
	}
	free(pairs);
	mpw_map(w, 1 + more);
	if (more) {
		mpw_cstr(w, "next");
		mpw_bin(w, next, sizeof(next));
	}
	mpw_cstr(w, "pairs");
	mpw_array(w, shown);
	mpw_raw(w, items.buf, items.len);
	mpw_release(&items);
	return 0;
}
