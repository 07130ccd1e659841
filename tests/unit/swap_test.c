/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * daemon/swap.c's swap.ledger handler on more pairs of Amies that
 * swapped than one reply of CTL_MSG_MAX holds: the ledger comes in pages
 * (docs/protocol.md, section 7, Pages), each under the limit, every pair
 * once, in key order, with its sums, and the last page says no more.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/node.h"
#include "daemon/swap.h"
#include "proto/body.h"
#include "proto/ctl.h"
#include "proto/nodeid.h"
#include "proto/workbody.h"
#include "proto/xmalloc.h"
#include "store/store.h"
#include "tests/unit/ctlcall.h"
#include "tests/unit/test.h"

#define AMIES 110		/* the founder and 109 members */
#define PAIRS (AMIES * (AMIES - 1) / 2)	/* 5,995: some 1.1 MiB */

struct who {
	uint8_t pk[32], sk[64];
};

struct fixture {
	char dir[64];
	struct node n;
	struct who *amies;	/* [0] the founder, whose node this is */
	uint8_t net[32];
	uint64_t ts;
};

/* Sign a record of kind about key by by, refs ref (NULL: none), with
 * body, into in (its buffer is the caller's); its id in id. */
static void
sign(struct fixture *f, const struct who *by, const char *kind,
    const char *key, const uint8_t *ref, const struct mpw *body,
    const uint8_t *net, struct store_in *in, uint8_t id[32])
{
	struct record_header h;
	struct mpw out;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, by->pk, 32);
	h.ts = f->ts++;
	if (ref != NULL) {
		memcpy(h.refs[0], ref, 32);
		h.refs_count = 1;
	}
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (record_sign(&h, body->buf, body->len, by->sk, net, &out, id,
	    NULL) != 0)
		abort();
	in->buf = mpw_take(&out, &in->len);
}

/* Ingest the count records at in, which must all be stored, in batches
 * of STORE_BATCH_MAX; frees them. */
static void
put(struct fixture *f, struct store_in *in, size_t count)
{
	struct store_out *o = xcalloc(count, sizeof(*o));
	struct errbuf eb;

	for (size_t i = 0; i < count; i += STORE_BATCH_MAX) {
		size_t m = count - i < STORE_BATCH_MAX ? count - i :
		    STORE_BATCH_MAX;

		if (store_ingest(f->n.store, in + i, m, node_now_ms(), o + i,
		    &eb) != 0)
			abort();
	}
	for (size_t i = 0; i < count; i++) {
		if (!o[i].stored) {
			fprintf(stderr, "  not stored: %s\n", o[i].reason);
			abort();
		}
		free((void *)in[i].buf);
	}
	free(o);
}

/*
 * The founder's node, AMIES - 1 members it admits, and for each pair
 * (i, j), i < j, one swap done: i asks, j lends i + j minutes.
 */
static void
fx_open(struct fixture *f)
{
	struct store_in *in = xcalloc(PAIRS, sizeof(*in));
	uint8_t (*ids)[32] = xcalloc(PAIRS, 32), id[32];
	struct workbody_swap_request s;
	struct workbody_swap_offer o;
	struct workbody_swap_done d;
	struct body_member_add ma;
	struct body_charter c;
	struct errbuf eb;
	struct mpw body;
	char key[64];
	size_t k;

	memset(f, 0, sizeof(*f));
	f->ts = node_now_ms() - 3600000;
	test_tmpdir(f->dir, sizeof(f->dir), "swap-test");
	f->amies = xcalloc(AMIES, sizeof(*f->amies));
	for (int i = 0; i < AMIES; i++)
		crypto_sign_keypair(f->amies[i].pk, f->amies[i].sk);
	memcpy(f->n.dir, f->dir, sizeof(f->dir));
	memcpy(f->n.pk, f->amies[0].pk, 32);
	f->n.sk = f->amies[0].sk;
	f->n.lock_fd = -1;
	if (store_open(&f->n.store, f->dir, f->n.pk, &eb) != 0)
		abort();

	c.name.s = "Fed";
	c.name.len = 3;
	memcpy(c.founder, f->amies[0].pk, 32);
	c.admit_quorum = 1;
	c.remove_quorum = 1;
	mpw_init(&body, RECORD_BODY_MAX);
	body_charter_encode(&c, &body);
	sign(f, &f->amies[0], "charter", "", NULL, &body, NULL, &in[0], id);
	mpw_release(&body);
	{
		struct record r;

		if (record_decode(&r, in[0].buf, in[0].len, NULL) != 0)
			abort();
		record_network_id(f->net, r.header, r.header_len);
	}
	put(f, in, 1);

	memset(&ma, 0, sizeof(ma));
	ma.name.s = "m";
	ma.name.len = 1;
	ma.region.s = ma.endpoint.s = "";
	memcpy(ma.invited_by, f->amies[0].pk, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_add_encode(&ma, &body);
	for (int i = 1; i < AMIES; i++) {
		char hex[65];

		record_id_hex(hex, f->amies[i].pk);
		sign(f, &f->amies[0], "member.add", hex, NULL, &body, f->net,
		    &in[i - 1], id);
	}
	mpw_release(&body);
	put(f, in, AMIES - 1);

	/* The requests, then the offers, accepts and dones, each batch
	 * after the records it refs. */
	memset(&s, 0, sizeof(s));
	s.skills.count = 1;
	s.skills.w[0].s = "linux";
	s.skills.w[0].len = 5;
	s.from.s = s.to.s = "2026-03-02";
	s.from.len = s.to.len = 10;
	s.minutes = 600;
	s.region.s = s.note.s = "";
	memset(&o, 0, sizeof(o));
	o.tech.s = "t1";
	o.tech.len = 2;
	o.minutes = 600;
	o.note.s = "";
	memset(&d, 0, sizeof(d));
	for (int phase = 0; phase < 4; phase++) {
		k = 0;
		for (int i = 0; i < AMIES; i++) {
			for (int j = i + 1; j < AMIES; j++, k++) {
				const struct who *by = phase == 1 ?
				    &f->amies[j] : &f->amies[i];
				static const char *const kinds[] = {
				    "swap.request", "swap.offer",
				    "swap.accept", "swap.done" };

				snprintf(key, sizeof(key), "r%d-%d", i, j);
				mpw_init(&body, RECORD_BODY_MAX);
				if (phase == 0) {
					workbody_swap_request_encode(&s,
					    &body);
				} else if (phase == 1) {
					workbody_swap_offer_encode(&o, &body);
				} else if (phase == 2) {
					workbody_swap_accept_encode(&body);
				} else {
					d.minutes = (uint64_t)(i + j);
					workbody_swap_done_encode(&d, &body);
				}
				sign(f, by, kinds[phase], key,
				    phase == 0 ? NULL : ids[k], &body, f->net,
				    &in[k], ids[k]);
				mpw_release(&body);
			}
		}
		put(f, in, PAIRS);
	}
	free(ids);
	free(in);
}

static void
fx_close(struct fixture *f)
{
	store_close(&f->n.store);
	free(f->amies);
	test_rmdir(f->dir);
}

/* The swap.ledger handler on f's node with "after" (none when NULL). */
static int
call(struct fixture *f, const uint8_t *after, size_t after_len,
    uint8_t **reply, size_t *len, struct errbuf *eb)
{
	return ctl_call_after(&f->n, swap_handle_ledger, "swap.ledger", after,
	    after_len, reply, len, eb);
}

/*
 * 5,995 pairs of Amies that swapped: the ledger took some 1.1 MiB and
 * failed as a whole.  Page by page, each under the limit, every pair
 * comes once, in key order, with the minutes lent, and the last page
 * says no more.
 */
TEST(swap_ledger_past_one_reply_comes_in_pages)
{
	uint8_t cursor[SWAP_LEDGER_CURSOR_LEN], prev[64], *reply;
	int pages = 0, next = 1, ordered = 1, sums = 1;
	uint64_t lent = 0, want = 0;
	struct fixture f;
	struct errbuf eb;
	uint32_t total = 0;
	size_t len;

	fx_open(&f);
	for (int i = 0; i < AMIES; i++)
		for (int j = i + 1; j < AMIES; j++)
			want += (uint64_t)(i + j);
	memset(prev, 0, sizeof(prev));
	while (next && pages < 100) {
		const uint8_t *b;
		struct mpmap m;
		struct mpr rd;
		uint32_t n, blen;

		REQUIRE(call(&f, pages > 0 ? cursor : NULL, sizeof(cursor),
		    &reply, &len, &eb) == 0);
		pages++;
		CHECK(len <= CTL_MSG_MAX);
		REQUIRE(mpmap_decode(&m, reply, len, "reply", &eb) == 0);
		REQUIRE(mpmap_reader(&m, "pairs", &rd, &eb) == 0);
		REQUIRE(mpr_array(&rd, &n, UINT32_MAX, "pairs", &eb) == 0);
		CHECK(n > 0);
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *start = rd.p;
			char amie[NODEID_LEN + 1], other[NODEID_LEN + 1];
			struct mpmap item;
			uint8_t keys[64];
			uint64_t l, bw, sw;

			REQUIRE(mpr_skip(&rd, MP_DEPTH_MAX, "p", &eb) == 0);
			REQUIRE(mpmap_decode(&item, start,
			    (size_t)(rd.p - start), "p", &eb) == 0);
			REQUIRE(mpmap_cstr(&item, "amie", amie, sizeof(amie),
			    &eb) == 0);
			REQUIRE(mpmap_cstr(&item, "other", other,
			    sizeof(other), &eb) == 0);
			REQUIRE(nodeid_parse(keys, amie, &eb) == 0);
			REQUIRE(nodeid_parse(keys + 32, other, &eb) == 0);
			if (total + i > 0 && memcmp(prev, keys, 64) >= 0)
				ordered = 0;
			memcpy(prev, keys, 64);
			REQUIRE(mpmap_uint(&item, "lent_minutes", &l,
			    &eb) == 0);
			REQUIRE(mpmap_uint(&item, "borrowed_minutes", &bw,
			    &eb) == 0);
			REQUIRE(mpmap_uint(&item, "swaps", &sw, &eb) == 0);
			if (sw != 1 || (l == 0) == (bw == 0))
				sums = 0;
			lent += l + bw;
		}
		total += n;
		next = mpmap_bin(&m, "next", &b, &blen, 64, &eb) == 0;
		if (next) {
			REQUIRE(blen == SWAP_LEDGER_CURSOR_LEN);
			CHECK(memcmp(b, prev, 64) == 0);
			memcpy(cursor, b, sizeof(cursor));
		}
		free(reply);
	}
	CHECK_EQ_INT(total, PAIRS);
	CHECK(ordered);
	CHECK(sums);
	CHECK_EQ_INT(lent, want);
	CHECK(pages >= 2);
	CHECK(!next);
	fx_close(&f);
}

/* A cursor of another length is refused, and says which; one past every
 * pair gives an empty last page. */
TEST(swap_ledger_refuses_a_bad_cursor)
{
	uint8_t bad[65], *reply;
	struct fixture f;
	struct errbuf eb;
	struct mpmap m;
	size_t len;

	memset(&f, 0, sizeof(f));
	test_tmpdir(f.dir, sizeof(f.dir), "swap-test");
	crypto_sign_keypair(f.n.pk, bad);
	f.n.lock_fd = -1;
	REQUIRE(store_open(&f.n.store, f.dir, f.n.pk, &eb) == 0);
	memset(bad, 0xff, sizeof(bad));
	CHECK_EQ_INT(call(&f, bad, 63, &reply, &len, &eb), AMIE_EPROTO);
	CHECK_STR(eb.msg, "swap ledger: after: 63 bytes, not 64");
	free(reply);
	CHECK_EQ_INT(call(&f, bad, 65, &reply, &len, &eb), AMIE_ELIMIT);
	free(reply);
	REQUIRE(call(&f, bad, 64, &reply, &len, &eb) == 0);
	REQUIRE(mpmap_decode(&m, reply, len, "reply", &eb) == 0);
	CHECK(mpmap_get(&m, "next") == NULL);
	CHECK(memmem(reply, len, "pairs\x90", 6) != NULL);
	free(reply);
	fx_close(&f);
}

TESTS(T(swap_ledger_past_one_reply_comes_in_pages),
    T(swap_ledger_refuses_a_bad_cursor))
