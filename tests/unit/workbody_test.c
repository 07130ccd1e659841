/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* proto/workbody.c: the bodies of contracts, interventions, technicians
 * and swaps round trip and refuse what a correct node never writes. */
#include <string.h>

#include "proto/workbody.h"
#include "tests/unit/test.h"

#define S(lit) ((struct body_str){ (lit), sizeof(lit) - 1 })

static void
sample_contract(struct workbody_contract *c)
{
	memset(c, 0, sizeof(*c));
	c->member = S("Association Tilleuls");
	c->contact = S("");
	c->minutes_per_month = 240;
	c->start = S("2026-01-01");
	c->end = S("2026-12-31");
	c->renewal = S("tacit");
	c->notice_months = 2;
	c->fee_cents = 12000;
	c->status = S("active");
}

/* Encode c and decode it into out; the decoder's code. */
static int
contract_again(const struct workbody_contract *c, struct workbody_contract *out,
    struct mpw *w, struct errbuf *eb)
{
	mpw_init(w, RECORD_BODY_MAX);
	workbody_contract_encode(c, w);
	return workbody_contract_decode(out, w->buf, w->len, eb);
}

TEST(contract_round_trips)
{
	struct workbody_contract c, d;
	struct mpw w, again;

	sample_contract(&c);
	REQUIRE(contract_again(&c, &d, &w, NULL) == 0);
	CHECK_EQ_INT(d.minutes_per_month, 240);
	CHECK_EQ_INT(d.end_day - d.start_day, 364);
	mpw_init(&again, RECORD_BODY_MAX);
	workbody_contract_encode(&d, &again);
	CHECK(again.len == w.len && memcmp(again.buf, w.buf, w.len) == 0);
	mpw_release(&again);
	mpw_release(&w);
}

TEST(contract_refuses_end_before_start_and_bad_words)
{
	struct workbody_contract c, d;
	struct errbuf eb;
	struct mpw w;

	sample_contract(&c);
	c.end = S("2025-12-31");
	CHECK(contract_again(&c, &d, &w, &eb) == AMIE_EPROTO);
	CHECK(strstr(eb.msg, "before the start") != NULL);
	mpw_release(&w);
	sample_contract(&c);
	c.renewal = S("sometimes");
	CHECK(contract_again(&c, &d, &w, &eb) == AMIE_EPROTO);
	mpw_release(&w);
	sample_contract(&c);
	c.minutes_per_month = WORKBODY_MONTH_MINUTES_MAX + 1;
	CHECK(contract_again(&c, &d, &w, &eb) == AMIE_EPROTO);
	mpw_release(&w);
	sample_contract(&c);
	c.minutes_per_month = 0;
	CHECK(contract_again(&c, &d, &w, &eb) == AMIE_EPROTO);
	mpw_release(&w);
	sample_contract(&c);
	c.start = S("2026-02-30");
	CHECK(contract_again(&c, &d, &w, &eb) == AMIE_EPROTO);
	mpw_release(&w);
}

TEST(contract_refuses_missing_member)
{
	struct workbody_contract c, d;
	struct errbuf eb;
	struct mpw w;

	sample_contract(&c);
	c.member = S("");
	CHECK(contract_again(&c, &d, &w, &eb) == AMIE_EPROTO);
	mpw_release(&w);
	/* An empty map has no required field. */
	CHECK(workbody_contract_decode(&d, (const uint8_t *)"\x80", 1, &eb) ==
	    AMIE_EPROTO);
}

TEST(intervention_round_trips_and_checks_minutes)
{
	struct workbody_intervention iv, d;
	struct errbuf eb;
	struct mpw w;

	memset(&iv, 0, sizeof(iv));
	iv.date = S("2026-03-02");
	iv.minutes = 90;
	iv.tech = S("a1b2c3d4");
	iv.summary = S("Imprimante bloquee");
	iv.kb_count = 1;
	iv.kb[0] = S("0011223344556677");
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_intervention_encode(&iv, &w);
	REQUIRE(workbody_intervention_decode(&d, w.buf, w.len, &eb) == 0);
	CHECK_EQ_INT(d.minutes, 90);
	CHECK_EQ_INT(d.kb_count, 1);
	mpw_reset(&w);
	iv.minutes = WORKBODY_DAY_MINUTES_MAX + 1;
	workbody_intervention_encode(&iv, &w);
	CHECK(workbody_intervention_decode(&d, w.buf, w.len, &eb) ==
	    AMIE_EPROTO);
	mpw_reset(&w);
	iv.minutes = 10;
	iv.summary = S("");
	workbody_intervention_encode(&iv, &w);
	CHECK(workbody_intervention_decode(&d, w.buf, w.len, &eb) ==
	    AMIE_EPROTO);
	mpw_release(&w);
}

TEST(tech_needs_a_skill_of_one_word)
{
	struct workbody_tech t, d;
	struct errbuf eb;
	struct mpw w;

	memset(&t, 0, sizeof(t));
	t.name = S("Camille");
	t.availability = S("");
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_tech_encode(&t, &w);
	CHECK(workbody_tech_decode(&d, w.buf, w.len, &eb) == AMIE_EPROTO);
	t.skills.count = 1;
	t.skills.w[0] = S("two words");
	mpw_reset(&w);
	workbody_tech_encode(&t, &w);
	CHECK(workbody_tech_decode(&d, w.buf, w.len, &eb) == AMIE_EPROTO);
	t.skills.w[0] = S("reseau");
	mpw_reset(&w);
	workbody_tech_encode(&t, &w);
	CHECK(workbody_tech_decode(&d, w.buf, w.len, &eb) == 0);
	mpw_release(&w);
}

TEST(swap_bodies_check_dates_and_hours)
{
	struct workbody_swap_request s, d;
	struct workbody_swap_offer o, od;
	struct workbody_swap_done dn, dd;
	struct errbuf eb;
	struct mpw w;

	memset(&s, 0, sizeof(s));
	s.skills.count = 1;
	s.skills.w[0] = S("linux");
	s.from = S("2026-03-05");
	s.to = S("2026-03-01");
	s.minutes = 600;
	mpw_init(&w, RECORD_BODY_MAX);
	workbody_swap_request_encode(&s, &w);
	CHECK(workbody_swap_request_decode(&d, w.buf, w.len, &eb) ==
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "before from") != NULL);
	s.to = S("2026-03-06");
	mpw_reset(&w);
	workbody_swap_request_encode(&s, &w);
	CHECK(workbody_swap_request_decode(&d, w.buf, w.len, &eb) == 0);

	memset(&o, 0, sizeof(o));
	o.tech = S("a1b2c3d4");
	o.minutes = 0;
	mpw_reset(&w);
	workbody_swap_offer_encode(&o, &w);
	CHECK(workbody_swap_offer_decode(&od, w.buf, w.len, &eb) ==
	    AMIE_EPROTO);

	dn.minutes = 0;
	mpw_reset(&w);
	workbody_swap_done_encode(&dn, &w);
	CHECK(workbody_swap_done_decode(&dd, w.buf, w.len, &eb) == 0);
	dn.minutes = WORKBODY_SWAP_MINUTES_MAX + 1;
	mpw_reset(&w);
	workbody_swap_done_encode(&dn, &w);
	CHECK(workbody_swap_done_decode(&dd, w.buf, w.len, &eb) ==
	    AMIE_EPROTO);
	mpw_reset(&w);
	workbody_swap_accept_encode(&w);
	CHECK(workbody_swap_accept_decode(w.buf, w.len, &eb) == 0);
	CHECK(workbody_swap_accept_decode((const uint8_t *)"\x90", 1, &eb) !=
	    0);
	mpw_release(&w);
}

TESTS(T(contract_round_trips),
    T(contract_refuses_end_before_start_and_bad_words),
    T(contract_refuses_missing_member),
    T(intervention_round_trips_and_checks_minutes),
    T(tech_needs_a_skill_of_one_word), T(swap_bodies_check_dates_and_hours))
