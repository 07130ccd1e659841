/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store/invite.c: invites are spent once per use, expire, and keep only
 * the hash of their secret. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store/invite.h"
#include "store/store.h"
#include "tests/unit/test.h"

#define NOW 1764320000000ull

struct fixture {
	char dir[64];
	struct store *st;
};

static void
fx_open(struct fixture *f)
{
	uint8_t pk[32], sk[64];
	struct errbuf eb;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/amie-invite-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	crypto_sign_keypair(pk, sk);
	if (store_open(&f->st, f->dir, pk, &eb) != 0)
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

static void
hash_of(uint8_t out[32], const char *secret)
{
	crypto_generichash(out, 32, (const uint8_t *)secret, strlen(secret),
	    NULL, 0);
}

TEST(a_single_use_invite_is_used_once)
{
	struct fixture f;
	struct errbuf eb;
	uint8_t h[32];

	fx_open(&f);
	hash_of(h, "secret-1");
	CHECK_EQ_INT(invite_pending(f.st, NOW), 0);
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 60000, 1, &eb), 0);
	CHECK_EQ_INT(invite_pending(f.st, NOW), 1);
	CHECK_EQ_INT(invite_use(f.st, h, NOW + 1, &eb), 0);
	CHECK_EQ_INT(invite_pending(f.st, NOW + 2), 0);
	CHECK_EQ_INT(invite_use(f.st, h, NOW + 2, &eb), AMIE_EREFUSED);
	CHECK_STR(eb.msg, "invite: already used");
	fx_close(&f);
}

TEST(an_invite_of_several_uses_counts_them_down)
{
	struct fixture f;
	struct errbuf eb;
	uint8_t h[32];

	fx_open(&f);
	hash_of(h, "secret-3");
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 60000, 3, &eb), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(invite_pending(f.st, NOW), 1);
		CHECK_EQ_INT(invite_use(f.st, h, NOW, &eb), 0);
	}
	CHECK_EQ_INT(invite_pending(f.st, NOW), 0);
	CHECK_EQ_INT(invite_use(f.st, h, NOW, &eb), AMIE_EREFUSED);
	CHECK_STR(eb.msg, "invite: already used");
	fx_close(&f);
}

TEST(an_expired_invite_is_refused_and_not_pending)
{
	struct fixture f;
	struct errbuf eb;
	uint8_t h[32];

	fx_open(&f);
	hash_of(h, "secret-old");
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 1000, 1, &eb), 0);
	CHECK_EQ_INT(invite_pending(f.st, NOW + 999), 1);
	CHECK_EQ_INT(invite_pending(f.st, NOW + 1000), 0);
	CHECK_EQ_INT(invite_use(f.st, h, NOW + 1000, &eb), AMIE_EREFUSED);
	CHECK_STR(eb.msg, "invite: expired");
	/* The failed use spent nothing. */
	CHECK_EQ_INT(invite_pending(f.st, NOW), 1);
	fx_close(&f);
}

TEST(an_unknown_secret_is_refused)
{
	struct fixture f;
	struct errbuf eb;
	uint8_t h[32], other[32];

	fx_open(&f);
	hash_of(h, "secret-a");
	hash_of(other, "secret-b");
	CHECK_EQ_INT(invite_use(f.st, h, NOW, &eb), AMIE_EREFUSED);
	CHECK_STR(eb.msg, "invite: unknown secret");
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 60000, 1, &eb), 0);
	CHECK_EQ_INT(invite_use(f.st, other, NOW, &eb), AMIE_EREFUSED);
	CHECK_STR(eb.msg, "invite: unknown secret");
	CHECK_EQ_INT(invite_use(f.st, h, NOW, &eb), 0);
	fx_close(&f);
}

TEST(pending_while_any_invite_is_usable)
{
	struct fixture f;
	struct errbuf eb;
	uint8_t a[32], b[32];

	fx_open(&f);
	hash_of(a, "short-lived");
	hash_of(b, "long-lived");
	CHECK_EQ_INT(invite_add(f.st, a, NOW + 10, 1, &eb), 0);
	CHECK_EQ_INT(invite_add(f.st, b, NOW + 100000, 1, &eb), 0);
	CHECK_EQ_INT(invite_pending(f.st, NOW + 50), 1);
	CHECK_EQ_INT(invite_use(f.st, b, NOW + 50, &eb), 0);
	CHECK_EQ_INT(invite_pending(f.st, NOW + 50), 0);
	CHECK_EQ_INT(invite_pending(f.st, NOW), 1);
	fx_close(&f);
}

TEST(invites_survive_reopening)
{
	struct fixture f;
	struct errbuf eb;
	uint8_t h[32], pk[32] = { 0 };

	fx_open(&f);
	hash_of(h, "kept");
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 60000, 2, &eb), 0);
	CHECK_EQ_INT(invite_use(f.st, h, NOW, &eb), 0);
	store_close(&f.st);
	REQUIRE(store_open(&f.st, f.dir, pk, &eb) == 0);
	CHECK_EQ_INT(invite_pending(f.st, NOW), 1);
	CHECK_EQ_INT(invite_use(f.st, h, NOW, &eb), 0);
	CHECK_EQ_INT(invite_use(f.st, h, NOW, &eb), AMIE_EREFUSED);
	fx_close(&f);
}

TEST(refuses_zero_or_too_many_uses)
{
	struct fixture f;
	struct errbuf eb;
	uint8_t h[32];

	fx_open(&f);
	hash_of(h, "x");
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 60000, 0, &eb), AMIE_EUSAGE);
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 60000, INVITE_USES_MAX + 1,
	    &eb), AMIE_EUSAGE);
	CHECK_EQ_INT(invite_pending(f.st, NOW), 0);
	CHECK_EQ_INT(invite_add(f.st, h, NOW + 60000, INVITE_USES_MAX, &eb),
	    0);
	fx_close(&f);
}

TESTS(T(a_single_use_invite_is_used_once),
    T(an_invite_of_several_uses_counts_them_down),
    T(an_expired_invite_is_refused_and_not_pending),
    T(an_unknown_secret_is_refused),
    T(pending_while_any_invite_is_usable),
    T(invites_survive_reopening),
    T(refuses_zero_or_too_many_uses))
