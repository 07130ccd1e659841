/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include <sodium.h>

#include "proto/private.h"
#include "proto/record.h"

#define PRIVATE_AD_PREFIX "amie/priv/1"
#define PRIVATE_AD_MAX (sizeof(PRIVATE_AD_PREFIX) - 1 + RECORD_KIND_MAX + 1 + \
	RECORD_KEY_MAX)

void
private_key(uint8_t key[PRIVATE_KEY_LEN], const uint8_t seed[32])
{
	crypto_kdf_derive_from_key(key, PRIVATE_KEY_LEN, PRIVATE_KDF_ID,
	    PRIVATE_KDF_CONTEXT, seed);
}

/* The associated data of object (kind, key); its length. */
static size_t
private_ad(uint8_t out[PRIVATE_AD_MAX], const char *kind, const char *key)
{
	size_t pl = sizeof(PRIVATE_AD_PREFIX) - 1, kl = strnlen(kind,
	    RECORD_KIND_MAX), l = strnlen(key, RECORD_KEY_MAX);

	memcpy(out, PRIVATE_AD_PREFIX, pl);
	memcpy(out + pl, kind, kl);
	out[pl + kl] = '\0';
	memcpy(out + pl + kl + 1, key, l);
	return pl + kl + 1 + l;
}

void
private_seal(uint8_t *out, const uint8_t *plain, size_t len,
    const char *kind, const char *key,
    const uint8_t nonce[PRIVATE_NONCE_LEN], const uint8_t k[PRIVATE_KEY_LEN])
{
	uint8_t ad[PRIVATE_AD_MAX];
	size_t adl = private_ad(ad, kind, key);

	memcpy(out, nonce, PRIVATE_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + PRIVATE_NONCE_LEN,
	    NULL, plain, len, ad, adl, NULL, nonce, k);
}

int
private_open(uint8_t *out, size_t *plain_len, const uint8_t *sealed,
    size_t len, const char *kind, const char *key,
    const uint8_t k[PRIVATE_KEY_LEN], struct errbuf *eb)
{
	uint8_t ad[PRIVATE_AD_MAX];
	size_t adl = private_ad(ad, kind, key);
	unsigned long long n;

	if (len < PRIVATE_OVERHEAD)
		return fail(eb, AMIE_EPROTO, "private body: %zu bytes, "
		    "shorter than its nonce and tag", len);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &n, NULL,
	    sealed + PRIVATE_NONCE_LEN, len - PRIVATE_NONCE_LEN, ad, adl,
	    sealed, k) != 0)
		return fail(eb, AMIE_ESIG, "private body: does not open with "
		    "this node's key");
	*plain_len = (size_t)n;
	return 0;
}
