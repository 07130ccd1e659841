/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "proto/date.h"
#include "proto/workbody.h"

int
workbody_str_is(const struct body_str *s, const char *c)
{
	return s->len == strlen(c) && memcmp(s->s, c, s->len) == 0;
}

/* A missing required field is malformed input, not a lookup miss. */
static int
workbody_required(int rc, struct errbuf *eb)
{
	if (rc != AMIE_ENOTFOUND)
		return rc;
	if (eb != NULL)
		eb->code = AMIE_EPROTO;
	return AMIE_EPROTO;
}

/* A required unsigned field within [min, max]. */
static int
workbody_uint(const struct mpmap *m, const char *key, uint64_t *v,
    uint64_t min, uint64_t max, int required, struct errbuf *eb)
{
	int rc = mpmap_uint(m, key, v, eb);

	if (rc == AMIE_ENOTFOUND && !required) {
		*v = 0;
		rc = 0;
	}
	if (rc != 0)
		return workbody_required(rc, eb);
	if (*v < min || *v > max)
		return fail(eb, AMIE_EPROTO, "%s: %llu, expected %llu to %llu",
		    key, (unsigned long long)*v, (unsigned long long)min,
		    (unsigned long long)max);
	return 0;
}

int
workbody_word_check(const char *s, size_t len, const char *what,
    struct errbuf *eb)
{
	if (len == 0)
		return fail(eb, AMIE_EPROTO, "%s: an empty word", what);
	if (len > WORKBODY_WORD_MAX)
		return fail(eb, AMIE_EPROTO, "%s: '%.32s...' is over %d bytes",
		    what, s, WORKBODY_WORD_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == ',' || s[i] == 0x7f)
			return fail(eb, AMIE_EPROTO,
			    "%s: '%.*s' is not one word", what, (int)len, s);
	return 0;
}

/* An array of words; min is 0 or 1. */
static int
workbody_words(const struct mpmap *m, const char *key,
    struct workbody_words *out, uint32_t min, struct errbuf *eb)
{
	struct mpr r;
	int rc = mpmap_reader(m, key, &r, eb);

	out->count = 0;
	if (rc == AMIE_ENOTFOUND && min == 0)
		return 0;
	if (rc != 0 || (rc = mpr_array(&r, &out->count, WORKBODY_WORDS_MAX,
	    key, eb)) != 0)
		return workbody_required(rc, eb);
	if (out->count < min)
		return fail(eb, AMIE_EPROTO, "%s: at least %u needed", key,
		    min);
	for (uint32_t i = 0; i < out->count; i++)
		if ((rc = mpr_str(&r, &out->w[i].s, &out->w[i].len,
		    WORKBODY_WORD_MAX, key, eb)) != 0 ||
		    (rc = workbody_word_check(out->w[i].s, out->w[i].len, key,
		    eb)) != 0)
			return rc;
	return 0;
}

static void
workbody_put_str(struct mpw *w, const char *key, const struct body_str *s)
{
	mpw_cstr(w, key);
	mpw_str(w, s->s, s->len);
}

static void
workbody_put_words(struct mpw *w, const char *key,
    const struct workbody_words *l)
{
	mpw_cstr(w, key);
	mpw_array(w, l->count);
	for (uint32_t i = 0; i < l->count; i++)
		mpw_str(w, l->w[i].s, l->w[i].len);
}

static void
workbody_put_uint(struct mpw *w, const char *key, uint64_t v)
{
	mpw_cstr(w, key);
	mpw_uint(w, v);
}

void
workbody_contract_encode(const struct workbody_contract *c, struct mpw *w)
{
	mpw_map(w, 9);
	workbody_put_str(w, "contact", &c->contact);
	workbody_put_str(w, "end", &c->end);
	workbody_put_uint(w, "fee_cents_per_month", c->fee_cents);
	workbody_put_str(w, "member", &c->member);
	workbody_put_uint(w, "minutes_per_month", c->minutes_per_month);
	workbody_put_uint(w, "notice_months", c->notice_months);
	workbody_put_str(w, "renewal", &c->renewal);
	workbody_put_str(w, "start", &c->start);
	workbody_put_str(w, "status", &c->status);
}

int
workbody_contract_decode(struct workbody_contract *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct workbody_contract c;
	struct mpmap m;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = mpmap_decode(&m, buf, len, "contract", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "member", &c.member, BODY_NAME_MAX, 1,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "contact", &c.contact, WORKBODY_TEXT_MAX, 0,
	    eb)) != 0 ||
	    (rc = workbody_uint(&m, "minutes_per_month", &c.minutes_per_month,
	    1, WORKBODY_MONTH_MINUTES_MAX, 1, eb)) != 0 ||
	    (rc = body_field_str(&m, "start", &c.start, DATE_LEN, 1, eb)) != 0 ||
	    (rc = body_field_str(&m, "end", &c.end, DATE_LEN, 0, eb)) != 0 ||
	    (rc = body_field_str(&m, "renewal", &c.renewal, 16, 1, eb)) != 0 ||
	    (rc = workbody_uint(&m, "notice_months", &c.notice_months, 0,
	    WORKBODY_NOTICE_MAX, 0, eb)) != 0 ||
	    (rc = workbody_uint(&m, "fee_cents_per_month", &c.fee_cents, 0,
	    WORKBODY_FEE_MAX, 0, eb)) != 0 ||
	    (rc = body_field_str(&m, "status", &c.status, 16, 1, eb)) != 0)
		return rc;
	if ((rc = date_parse(&c.start_day, c.start.s, c.start.len, "start",
	    eb)) != 0)
		return rc;
	c.end_day = -1;
	if (c.end.len > 0 && (rc = date_parse(&c.end_day, c.end.s, c.end.len,
	    "end", eb)) != 0)
		return rc;
	if (c.end.len > 0 && c.end_day < c.start_day)
		return fail(eb, AMIE_EPROTO, "end: %.*s is before the start "
		    "%.*s", (int)c.end.len, c.end.s, (int)c.start.len,
		    c.start.s);
	if (!workbody_str_is(&c.renewal, "tacit") &&
	    !workbody_str_is(&c.renewal, "express") &&
	    !workbody_str_is(&c.renewal, "none"))
		return fail(eb, AMIE_EPROTO, "renewal: '%.*s', expected tacit, "
		    "express or none", (int)c.renewal.len, c.renewal.s);
	if (!workbody_str_is(&c.status, "active") &&
	    !workbody_str_is(&c.status, "ended"))
		return fail(eb, AMIE_EPROTO, "status: '%.*s', expected active "
		    "or ended", (int)c.status.len, c.status.s);
	*out = c;
	return 0;
}

void
workbody_intervention_encode(const struct workbody_intervention *iv,
    struct mpw *w)
{
	mpw_map(w, 5);
	workbody_put_str(w, "date", &iv->date);
	mpw_cstr(w, "kb");
	mpw_array(w, iv->kb_count);
	for (uint32_t i = 0; i < iv->kb_count; i++)
		mpw_str(w, iv->kb[i].s, iv->kb[i].len);
	workbody_put_uint(w, "minutes", iv->minutes);
	workbody_put_str(w, "summary", &iv->summary);
	workbody_put_str(w, "tech", &iv->tech);
}

int
workbody_intervention_decode(struct workbody_intervention *out,
    const uint8_t *buf, size_t len, struct errbuf *eb)
{
	struct workbody_intervention iv;
	struct mpmap m;
	int rc;

	memset(&iv, 0, sizeof(iv));
	if ((rc = mpmap_decode(&m, buf, len, "intervention", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "date", &iv.date, DATE_LEN, 1, eb)) != 0 ||
	    (rc = date_parse(&iv.day, iv.date.s, iv.date.len, "date",
	    eb)) != 0 ||
	    (rc = workbody_uint(&m, "minutes", &iv.minutes, 1,
	    WORKBODY_DAY_MINUTES_MAX, 1, eb)) != 0 ||
	    (rc = body_field_str(&m, "tech", &iv.tech, RECORD_KEY_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "summary", &iv.summary, WORKBODY_TEXT_MAX,
	    1, eb)) != 0)
		return rc;
	if ((rc = body_field_strs(&m, "kb", iv.kb, &iv.kb_count,
	    WORKBODY_KB_MAX, RECORD_KEY_MAX, eb)) != 0)
		return rc;
	*out = iv;
	return 0;
}

void
workbody_tech_encode(const struct workbody_tech *t, struct mpw *w)
{
	mpw_map(w, 5);
	workbody_put_str(w, "availability", &t->availability);
	workbody_put_words(w, "langs", &t->langs);
	workbody_put_str(w, "name", &t->name);
	workbody_put_words(w, "regions", &t->regions);
	workbody_put_words(w, "skills", &t->skills);
}

int
workbody_tech_decode(struct workbody_tech *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct workbody_tech t;
	struct mpmap m;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = mpmap_decode(&m, buf, len, "tech", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "name", &t.name, BODY_NAME_MAX, 1,
	    eb)) != 0 ||
	    (rc = workbody_words(&m, "skills", &t.skills, 1, eb)) != 0 ||
	    (rc = workbody_words(&m, "regions", &t.regions, 0, eb)) != 0 ||
	    (rc = workbody_words(&m, "langs", &t.langs, 0, eb)) != 0 ||
	    (rc = body_field_str(&m, "availability", &t.availability,
	    WORKBODY_TEXT_MAX, 0, eb)) != 0)
		return rc;
	*out = t;
	return 0;
}

void
workbody_swap_request_encode(const struct workbody_swap_request *s,
    struct mpw *w)
{
	mpw_map(w, 6);
	workbody_put_str(w, "from", &s->from);
	workbody_put_uint(w, "minutes", s->minutes);
	workbody_put_str(w, "note", &s->note);
	workbody_put_str(w, "region", &s->region);
	workbody_put_words(w, "skills", &s->skills);
	workbody_put_str(w, "to", &s->to);
}

int
workbody_swap_request_decode(struct workbody_swap_request *out,
    const uint8_t *buf, size_t len, struct errbuf *eb)
{
	struct workbody_swap_request s;
	struct mpmap m;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = mpmap_decode(&m, buf, len, "swap.request", eb)) != 0)
		return rc;
	if ((rc = workbody_words(&m, "skills", &s.skills, 1, eb)) != 0 ||
	    (rc = body_field_str(&m, "region", &s.region, WORKBODY_WORD_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "from", &s.from, DATE_LEN, 1, eb)) != 0 ||
	    (rc = body_field_str(&m, "to", &s.to, DATE_LEN, 1, eb)) != 0 ||
	    (rc = date_parse(&s.from_day, s.from.s, s.from.len, "from",
	    eb)) != 0 ||
	    (rc = date_parse(&s.to_day, s.to.s, s.to.len, "to", eb)) != 0 ||
	    (rc = workbody_uint(&m, "minutes", &s.minutes, 1,
	    WORKBODY_SWAP_MINUTES_MAX, 1, eb)) != 0 ||
	    (rc = body_field_str(&m, "note", &s.note, WORKBODY_TEXT_MAX, 0,
	    eb)) != 0)
		return rc;
	if (s.to_day < s.from_day)
		return fail(eb, AMIE_EPROTO, "to: %.*s is before from %.*s",
		    (int)s.to.len, s.to.s, (int)s.from.len, s.from.s);
	*out = s;
	return 0;
}

void
workbody_swap_offer_encode(const struct workbody_swap_offer *o, struct mpw *w)
{
	mpw_map(w, 3);
	workbody_put_uint(w, "minutes", o->minutes);
	workbody_put_str(w, "note", &o->note);
	workbody_put_str(w, "tech", &o->tech);
}

int
workbody_swap_offer_decode(struct workbody_swap_offer *out,
    const uint8_t *buf, size_t len, struct errbuf *eb)
{
	struct workbody_swap_offer o;
	struct mpmap m;
	int rc;

	if ((rc = mpmap_decode(&m, buf, len, "swap.offer", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "tech", &o.tech, RECORD_KEY_MAX, 1,
	    eb)) != 0 ||
	    (rc = workbody_uint(&m, "minutes", &o.minutes, 1,
	    WORKBODY_SWAP_MINUTES_MAX, 1, eb)) != 0 ||
	    (rc = body_field_str(&m, "note", &o.note, WORKBODY_TEXT_MAX, 0,
	    eb)) != 0)
		return rc;
	*out = o;
	return 0;
}

void
workbody_swap_accept_encode(struct mpw *w)
{
	mpw_map(w, 0);
}

int
workbody_swap_accept_decode(const uint8_t *buf, size_t len,
    struct errbuf *eb)
{
	struct mpmap m;

	return mpmap_decode(&m, buf, len, "swap.accept", eb);
}

void
workbody_swap_done_encode(const struct workbody_swap_done *d, struct mpw *w)
{
	mpw_map(w, 1);
	workbody_put_uint(w, "minutes", d->minutes);
}

int
workbody_swap_done_decode(struct workbody_swap_done *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct workbody_swap_done d;
	struct mpmap m;
	int rc;

	if ((rc = mpmap_decode(&m, buf, len, "swap.done", eb)) != 0 ||
	    (rc = workbody_uint(&m, "minutes", &d.minutes, 0,
	    WORKBODY_SWAP_MINUTES_MAX, 1, eb)) != 0)
		return rc;
	*out = d;
	return 0;
}
