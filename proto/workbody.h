/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The bodies of the Amie's own work (DESIGN.md section 5): contract and
 * intervention (private: encrypted with proto/private.h before they are
 * signed), tech, swap.request, swap.offer, swap.accept and swap.done
 * (public).  Each body is a canonical msgpack map with string keys; the
 * decoders check every field against its limit and its syntax, ignore
 * fields they do not know, and point their strings into the body bytes,
 * which must outlive the struct.  docs/work.md describes the fields.
 *
 * Dates are "YYYY-MM-DD" strings (proto/date.h); durations are whole
 * minutes, money whole cents: msgpack bodies carry no floats.
 * Pure: no I/O, never asserts on input.
 */
#ifndef AMIE_PROTO_WORKBODY_H
#define AMIE_PROTO_WORKBODY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/body.h"
#include "proto/errbuf.h"
#include "proto/mp.h"

#define WORKBODY_TEXT_MAX	4096	/* summaries, notes, contacts */
#define WORKBODY_WORD_MAX	64	/* one skill, region or language */
#define WORKBODY_WORDS_MAX	32	/* skills, regions or languages */
#define WORKBODY_KB_MAX		16	/* articles an intervention cites */
#define WORKBODY_MONTH_MINUTES_MAX (31 * 24 * 60)	/* a whole month */
#define WORKBODY_DAY_MINUTES_MAX (24 * 60)	/* one intervention */
#define WORKBODY_SWAP_MINUTES_MAX (1000 * 60)	/* one swap */
#define WORKBODY_NOTICE_MAX	120	/* months of notice */
#define WORKBODY_FEE_MAX	100000000u	/* cents per month */

/* A contract between the Amie and one member structure. */
struct workbody_contract {
	struct body_str member;		/* the member structure's name */
	struct body_str contact;
	uint64_t minutes_per_month;	/* the committed share of time */
	struct body_str start;		/* YYYY-MM-DD */
	struct body_str end;		/* YYYY-MM-DD, or "" for open */
	struct body_str renewal;	/* tacit, express or none */
	uint64_t notice_months;
	uint64_t fee_cents;		/* per month */
	struct body_str status;		/* active or ended */
	int32_t start_day, end_day;	/* decoded; end_day -1 when open */
};

/* Time logged against a contract. */
struct workbody_intervention {
	struct body_str date;		/* YYYY-MM-DD */
	uint64_t minutes;		/* 1 to WORKBODY_DAY_MINUTES_MAX */
	struct body_str tech;		/* technician id or name, may be "" */
	struct body_str summary;	/* 1 to WORKBODY_TEXT_MAX bytes */
	uint32_t kb_count;
	struct body_str kb[WORKBODY_KB_MAX];	/* article ids */
	int32_t day;			/* decoded date */
};

/* A list of short words: skills, regions, languages. */
struct workbody_words {
	uint32_t count;
	struct body_str w[WORKBODY_WORDS_MAX];
};

struct workbody_tech {
	struct body_str name;		/* 1 to BODY_NAME_MAX bytes */
	struct workbody_words skills;	/* at least one */
	struct workbody_words regions;
	struct workbody_words langs;	/* fr, en */
	struct body_str availability;	/* free text */
};

struct workbody_swap_request {
	struct workbody_words skills;	/* at least one */
	struct body_str region;
	struct body_str from, to;	/* YYYY-MM-DD, from <= to */
	uint64_t minutes;		/* 1 to WORKBODY_SWAP_MINUTES_MAX */
	struct body_str note;
	int32_t from_day, to_day;	/* decoded */
};

struct workbody_swap_offer {
	struct body_str tech;		/* the technician id */
	uint64_t minutes;
	struct body_str note;
};

/* swap.accept has an empty body: what it accepts is its ref. */

struct workbody_swap_done {
	uint64_t minutes;		/* the time actually given */
};

/* Append the canonical body of c to w. */
void workbody_contract_encode(const struct workbody_contract *c,
    struct mpw *w);

/*
 * Decode and check a contract: a member of 1 to BODY_NAME_MAX bytes,
 * minutes_per_month 1 to WORKBODY_MONTH_MINUTES_MAX, a valid start, an
 * end that is "" or a date not before start, renewal tacit, express or
 * none, notice and fee within their limits, status active or ended.
 * Returns 0, AMIE_EPROTO or AMIE_ELIMIT naming the field.
 */
int workbody_contract_decode(struct workbody_contract *c, const uint8_t *buf,
    size_t len, struct errbuf *eb);

void workbody_intervention_encode(const struct workbody_intervention *iv,
    struct mpw *w);

/*
 * Decode and check an intervention: a valid date, minutes 1 to
 * WORKBODY_DAY_MINUTES_MAX, a summary, at most WORKBODY_KB_MAX article
 * ids.  Returns 0, AMIE_EPROTO or AMIE_ELIMIT naming the field.
 */
int workbody_intervention_decode(struct workbody_intervention *iv,
    const uint8_t *buf, size_t len, struct errbuf *eb);

void workbody_tech_encode(const struct workbody_tech *t, struct mpw *w);

/*
 * Decode and check a technician: a name, one skill or more, words of 1
 * to WORKBODY_WORD_MAX bytes without spaces or commas.  Returns 0,
 * AMIE_EPROTO or AMIE_ELIMIT naming the field.
 */
int workbody_tech_decode(struct workbody_tech *t, const uint8_t *buf,
    size_t len, struct errbuf *eb);

void workbody_swap_request_encode(const struct workbody_swap_request *s,
    struct mpw *w);

/* Decode and check a swap request: skills, valid from <= to, minutes
 * 1 to WORKBODY_SWAP_MINUTES_MAX.  0, AMIE_EPROTO or AMIE_ELIMIT. */
int workbody_swap_request_decode(struct workbody_swap_request *s,
    const uint8_t *buf, size_t len, struct errbuf *eb);

void workbody_swap_offer_encode(const struct workbody_swap_offer *o,
    struct mpw *w);

/* Decode and check an offer: a technician id, minutes 1 to
 * WORKBODY_SWAP_MINUTES_MAX.  0, AMIE_EPROTO or AMIE_ELIMIT. */
int workbody_swap_offer_decode(struct workbody_swap_offer *o,
    const uint8_t *buf, size_t len, struct errbuf *eb);

void workbody_swap_accept_encode(struct mpw *w);

/* An accept body: a map (empty as written).  0 or AMIE_EPROTO. */
int workbody_swap_accept_decode(const uint8_t *buf, size_t len,
    struct errbuf *eb);

void workbody_swap_done_encode(const struct workbody_swap_done *d,
    struct mpw *w);

/* Decode a done body: minutes 0 to WORKBODY_SWAP_MINUTES_MAX (0: the
 * lending fell through).  0, AMIE_EPROTO or AMIE_ELIMIT. */
int workbody_swap_done_decode(struct workbody_swap_done *d,
    const uint8_t *buf, size_t len, struct errbuf *eb);

/*
 * Check one word of a list (skill, region, language): 1 to
 * WORKBODY_WORD_MAX bytes, no space, comma or control character.
 * Returns 0 or AMIE_EPROTO naming what.
 */
int workbody_word_check(const char *s, size_t len, const char *what,
    struct errbuf *eb);

/* 1 when s (len bytes) equals the C string c. */
int workbody_str_is(const struct body_str *s, const char *c);

#endif
