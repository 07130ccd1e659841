/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * daemon/members.c's members handler on a federation of more members
 * than one reply of CTL_MSG_MAX holds: the list comes in pages, each
 * under the limit, and every member comes once, in public key order.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/members.h"
#include "daemon/node.h"
#include "proto/body.h"
#include "proto/ctl.h"
#include "proto/nodeid.h"
#include "proto/xmalloc.h"
#include "store/store.h"
#include "tests/unit/ctlcall.h"
#include "tests/unit/test.h"

#define SIGNERS 3		/* the founder and two members it admits */
#define ADDS_EACH 900		/* under MEMBER_SIGNER_QUOTA */
#define MEMBERS (1 + 2 + SIGNERS * ADDS_EACH)

struct who {
	uint8_t pk[32], sk[64];
};

struct fixture {
	char dir[64];
	struct node n;
	struct who signers[SIGNERS];
	uint8_t net[32];
};

/* Sign a record of kind about key by by, with body, into in (its buffer
 * is the caller's). */
static void
sign(struct fixture *f, const struct who *by, const char *kind,
    const char *key, uint64_t ts, const struct mpw *body,
    const uint8_t *net, struct store_in *in)
{
	struct record_header h;
	uint8_t id[32];
	struct mpw out;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, by->pk, 32);
	h.ts = ts;
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (record_sign(&h, body->buf, body->len, by->sk, net, &out, id,
	    NULL) != 0)
		abort();
	in->buf = mpw_take(&out, &in->len);
	(void)f;
}

/* Ingest the count records at in, which must all be stored; frees them. */
static void
put(struct fixture *f, struct store_in *in, size_t count)
{
	struct store_out *o = xcalloc(count, sizeof(*o));
	struct errbuf eb;

	if (store_ingest(f->n.store, in, count, node_now_ms(), o, &eb) != 0)
		abort();
	for (size_t i = 0; i < count; i++) {
		if (!o[i].stored) {
			fprintf(stderr, "  not stored: %s\n", o[i].reason);
			abort();
		}
		free((void *)in[i].buf);
	}
	free(o);
}

/* A member.add for key (32 bytes) by by, with the longest name, region
 * and endpoint, into in. */
static void
sign_add(struct fixture *f, const struct who *by, const uint8_t key[32],
    uint64_t ts, struct store_in *in)
{
	char name[BODY_NAME_MAX + 1], ep[BODY_ENDPOINT_MAX + 1], hex[65];
	struct body_member_add ma;
	struct mpw body;

	memset(name, 'n', BODY_NAME_MAX);
	name[BODY_NAME_MAX] = '\0';
	snprintf(ep, sizeof(ep), "tcp://%0*d:4410", BODY_ENDPOINT_MAX - 11,
	    0);
	memset(&ma, 0, sizeof(ma));
	ma.name.s = name;
	ma.name.len = BODY_NAME_MAX;
	ma.region.s = name;
	ma.region.len = BODY_NAME_MAX;
	ma.endpoint.s = ep;
	ma.endpoint.len = (uint32_t)strlen(ep);
	memcpy(ma.invited_by, by->pk, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_add_encode(&ma, &body);
	record_id_hex(hex, key);
	sign(f, by, "member.add", hex, ts, &body, f->net, in);
	mpw_release(&body);
}

/*
 * The founder's node: the charter, two members the founder admits, then
 * adds (at most ADDS_EACH) members admitted by each of the three.
 */
static void
fx_open(struct fixture *f, int adds)
{
	uint64_t t0 = node_now_ms() - 3600000, ts = t0;
	struct store_in *in = xcalloc(ADDS_EACH, sizeof(*in));
	struct body_charter c;
	struct record r;
	struct errbuf eb;
	struct mpw body;

	memset(f, 0, sizeof(*f));
	test_tmpdir(f->dir, sizeof(f->dir), "members-test");
	for (int i = 0; i < SIGNERS; i++)
		crypto_sign_keypair(f->signers[i].pk, f->signers[i].sk);
	memcpy(f->n.dir, f->dir, sizeof(f->dir));
	memcpy(f->n.pk, f->signers[0].pk, 32);
	f->n.sk = f->signers[0].sk;
	f->n.lock_fd = -1;
	if (store_open(&f->n.store, f->dir, f->n.pk, &eb) != 0)
		abort();

	c.name.s = "Fed";
	c.name.len = 3;
	memcpy(c.founder, f->signers[0].pk, 32);
	c.admit_quorum = 1;
	c.remove_quorum = 1;
	mpw_init(&body, RECORD_BODY_MAX);
	body_charter_encode(&c, &body);
	sign(f, &f->signers[0], "charter", "", ts++, &body, NULL, &in[0]);
	mpw_release(&body);
	if (record_decode(&r, in[0].buf, in[0].len, NULL) != 0)
		abort();
	record_network_id(f->net, r.header, r.header_len);
	put(f, in, 1);

	for (int i = 1; i < SIGNERS; i++)
		sign_add(f, &f->signers[0], f->signers[i].pk, ts++, &in[i - 1]);
	put(f, in, SIGNERS - 1);
	for (int s = 0; s < SIGNERS; s++) {
		for (int i = 0; i < adds; i++) {
			uint8_t key[32];

			randombytes_buf(key, sizeof(key));
			sign_add(f, &f->signers[s], key, ts++, &in[i]);
		}
		put(f, in, (size_t)adds);
	}
	free(in);
}

static void
fx_close(struct fixture *f)
{
	store_close(&f->n.store);
	test_rmdir(f->dir);
}

/* The members handler on f's node with "after" (none when NULL). */
static int
call(struct fixture *f, const uint8_t *after, size_t after_len,
    uint8_t **reply, size_t *len, struct errbuf *eb)
{
	return ctl_call_after(&f->n, members_handle_list, "members", after,
	    after_len, reply, len, eb);
}

/*
 * 2,703 members with the longest names, regions and endpoints: the list
 * took more than 1 MiB and failed as a whole.  Page by page, each under
 * the limit, every member comes once, in public key order, and the last
 * page says no more.
 */
TEST(members_past_one_reply_come_in_pages)
{
	uint8_t cursor[32], prev[32], *reply;
	int pages = 0, next = 1, ordered = 1, self = 0;
	struct fixture f;
	struct errbuf eb;
	uint32_t total = 0;
	size_t len;

	fx_open(&f, ADDS_EACH);
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
		REQUIRE(mpmap_reader(&m, "members", &rd, &eb) == 0);
		REQUIRE(mpr_array(&rd, &n, UINT32_MAX, "members", &eb) == 0);
		CHECK(n > 0);
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *start = rd.p;
			char id[NODEID_LEN + 1];
			struct mpmap item;
			uint8_t key[32];
			int is_self = 0;

			REQUIRE(mpr_skip(&rd, MP_DEPTH_MAX, "m", &eb) == 0);
			REQUIRE(mpmap_decode(&item, start,
			    (size_t)(rd.p - start), "m", &eb) == 0);
			REQUIRE(mpmap_cstr(&item, "id", id, sizeof(id),
			    &eb) == 0);
			REQUIRE(nodeid_parse(key, id, &eb) == 0);
			if (total + i > 0 && memcmp(prev, key, 32) >= 0)
				ordered = 0;
			memcpy(prev, key, 32);
			if (mpmap_bool(&item, "self", &is_self, &eb) == 0)
				self += is_self;
		}
		total += n;
		next = mpmap_bin(&m, "next", &b, &blen, 32, &eb) == 0;
		if (next) {
			REQUIRE(blen == 32);
			CHECK(memcmp(b, prev, 32) == 0);
			memcpy(cursor, b, 32);
		}
		free(reply);
	}
	CHECK_EQ_INT(total, MEMBERS);
	CHECK(ordered);
	CHECK_EQ_INT(self, 1);
	CHECK(pages >= 2);
	CHECK(!next);
	fx_close(&f);
}

/* A cursor of another length is refused, and says which; one past every
 * key gives an empty last page. */
TEST(members_refuses_a_bad_cursor)
{
	uint8_t bad[33], *reply;
	struct fixture f;
	struct errbuf eb;
	struct mpmap m;
	size_t len;

	fx_open(&f, 1);
	memset(bad, 0xff, sizeof(bad));
	CHECK_EQ_INT(call(&f, bad, 31, &reply, &len, &eb), AMIE_EPROTO);
	CHECK_STR(eb.msg, "members: after: 31 bytes, not 32");
	free(reply);
	CHECK_EQ_INT(call(&f, bad, 33, &reply, &len, &eb), AMIE_ELIMIT);
	free(reply);
	REQUIRE(call(&f, bad, 32, &reply, &len, &eb) == 0);
	REQUIRE(mpmap_decode(&m, reply, len, "reply", &eb) == 0);
	CHECK(mpmap_get(&m, "next") == NULL);
	CHECK(memmem(reply, len, "members\x90", 8) != NULL);
	free(reply);
	fx_close(&f);
}

TESTS(T(members_past_one_reply_come_in_pages),
    T(members_refuses_a_bad_cursor))
