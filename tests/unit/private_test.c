/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* proto/private.c: only the author's key opens a private body, and only
 * for the object it was sealed for. */
#include <string.h>

#include <sodium.h>

#include "proto/private.h"
#include "tests/unit/test.h"

static const char plain[] = "contrat: Association Tilleuls, 4 h par mois";

static void
seal(uint8_t *out, const uint8_t key[PRIVATE_KEY_LEN], uint8_t fill)
{
	uint8_t nonce[PRIVATE_NONCE_LEN];

	memset(nonce, fill, sizeof(nonce));
	private_seal(out, (const uint8_t *)plain, sizeof(plain), "contract",
	    "c0ffee", nonce, key);
}

TEST(opens_with_the_authors_key_only)
{
	uint8_t seed[32], other[32], k[PRIVATE_KEY_LEN], k2[PRIVATE_KEY_LEN];
	uint8_t sealed[sizeof(plain) + PRIVATE_OVERHEAD], out[sizeof(plain)];
	size_t len = 0;
	struct errbuf eb;

	REQUIRE(sodium_init() >= 0);
	memset(seed, 1, sizeof(seed));
	memset(other, 2, sizeof(other));
	private_key(k, seed);
	private_key(k2, other);
	CHECK(memcmp(k, seed, 32) != 0);
	seal(sealed, k, 7);
	CHECK(memmem(sealed, sizeof(sealed), "Tilleuls", 8) == NULL);
	REQUIRE(private_open(out, &len, sealed, sizeof(sealed), "contract",
	    "c0ffee", k, &eb) == 0);
	CHECK(len == sizeof(plain) && memcmp(out, plain, len) == 0);
	CHECK(private_open(out, &len, sealed, sizeof(sealed), "contract",
	    "c0ffee", k2, &eb) == AMIE_ESIG);
}

TEST(is_bound_to_its_object)
{
	uint8_t seed[32], k[PRIVATE_KEY_LEN];
	uint8_t sealed[sizeof(plain) + PRIVATE_OVERHEAD], out[sizeof(plain)];
	size_t len;

	memset(seed, 1, sizeof(seed));
	private_key(k, seed);
	seal(sealed, k, 7);
	CHECK(private_open(out, &len, sealed, sizeof(sealed), "contract",
	    "c0ffef", k, NULL) == AMIE_ESIG);
	CHECK(private_open(out, &len, sealed, sizeof(sealed), "intervention",
	    "c0ffee", k, NULL) == AMIE_ESIG);
	sealed[30] ^= 1;
	CHECK(private_open(out, &len, sealed, sizeof(sealed), "contract",
	    "c0ffee", k, NULL) == AMIE_ESIG);
	CHECK(private_open(out, &len, sealed, PRIVATE_OVERHEAD - 1,
	    "contract", "c0ffee", k, NULL) == AMIE_EPROTO);
}

TEST(a_fresh_nonce_changes_every_byte_of_the_ciphertext)
{
	uint8_t seed[32], k[PRIVATE_KEY_LEN];
	uint8_t a[sizeof(plain) + PRIVATE_OVERHEAD];
	uint8_t b[sizeof(plain) + PRIVATE_OVERHEAD];

	memset(seed, 1, sizeof(seed));
	private_key(k, seed);
	seal(a, k, 7);
	seal(b, k, 8);
	CHECK(memcmp(a + PRIVATE_NONCE_LEN, b + PRIVATE_NONCE_LEN,
	    sizeof(plain)) != 0);
}

TESTS(T(opens_with_the_authors_key_only), T(is_bound_to_its_object),
    T(a_fresh_nonce_changes_every_byte_of_the_ciphertext))
