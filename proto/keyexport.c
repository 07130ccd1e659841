/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include <sodium.h>

#include "proto/keyexport.h"

static void
keyexport_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
keyexport_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The box key from the passphrase; 0 or AMIE_EIO. */
static int
keyexport_derive(uint8_t key[32], const char *pass, size_t pass_len,
    const uint8_t salt[KEYEXPORT_SALT_LEN], uint32_t ops, uint32_t mem_kib,
    struct errbuf *eb)
{
	if (crypto_pwhash(key, 32, pass, pass_len, salt, ops,
	    (size_t)mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return fail(eb, AMIE_EIO, "key export: Argon2id could not get "
		    "%u MiB of memory", mem_kib / 1024);
	return 0;
}

int
keyexport_seal(char out[KEYEXPORT_LEN], const uint8_t seed[32],
    const char *pass, size_t pass_len, const uint8_t salt[KEYEXPORT_SALT_LEN],
    const uint8_t nonce[KEYEXPORT_NONCE_LEN], uint32_t ops, uint32_t mem_kib,
    struct errbuf *eb)
{
	uint8_t raw[KEYEXPORT_RAW_LEN], key[32], *p = raw;
	char b64[KEYEXPORT_B64_LEN + 1];
	size_t ml = sizeof(KEYEXPORT_MAGIC) - 1;
	int rc;

	if (pass_len < KEYEXPORT_PASS_MIN || pass_len > KEYEXPORT_PASS_MAX)
		return fail(eb, AMIE_EUSAGE, "passphrase: %d to %d bytes",
		    KEYEXPORT_PASS_MIN, KEYEXPORT_PASS_MAX);
	if ((rc = keyexport_derive(key, pass, pass_len, salt, ops, mem_kib,
	    eb)) != 0)
		return rc;
	memcpy(p, salt, KEYEXPORT_SALT_LEN);
	p += KEYEXPORT_SALT_LEN;
	keyexport_put32(p, ops);
	keyexport_put32(p + 4, mem_kib);
	p += 8;
	memcpy(p, nonce, KEYEXPORT_NONCE_LEN);
	p += KEYEXPORT_NONCE_LEN;
	/* The parameters are bound to the box as associated data. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(p, NULL, seed,
	    KEYEXPORT_SEED_LEN, raw, KEYEXPORT_SALT_LEN + 8, NULL, nonce, key);
	sodium_memzero(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	memcpy(out, KEYEXPORT_MAGIC, ml);
	memcpy(out + ml, b64, KEYEXPORT_B64_LEN);
	out[ml + KEYEXPORT_B64_LEN] = '\n';
	return 0;
}

int
keyexport_parse(struct keyexport *x, const char *buf, size_t len,
    struct errbuf *eb)
{
	uint8_t raw[KEYEXPORT_RAW_LEN];
	size_t ml = sizeof(KEYEXPORT_MAGIC) - 1, n = 0;
	const char *end;
	const uint8_t *p = raw;

	/* Line ends and blanks after the text are not part of it: an
	 * editor may drop the newline, or add one, or a CR before it. */
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len != KEYEXPORT_LEN - 1)
		return fail(eb, AMIE_EPROTO, "key export: %zu bytes, expected "
		    "%zu", len, (size_t)KEYEXPORT_LEN - 1);
	if (memcmp(buf, KEYEXPORT_MAGIC, ml) != 0)
		return fail(eb, AMIE_EPROTO, "key export: does not start with "
		    "%.17s", KEYEXPORT_MAGIC);
	if (sodium_base642bin(raw, sizeof(raw), buf + ml, len - ml, NULL, &n,
	    &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != sizeof(raw) || end != buf + len)
		return fail(eb, AMIE_EPROTO, "key export: not base64url of %d "
		    "bytes", KEYEXPORT_RAW_LEN);
	memcpy(x->salt, p, KEYEXPORT_SALT_LEN);
	p += KEYEXPORT_SALT_LEN;
	x->ops = keyexport_get32(p);
	x->mem_kib = keyexport_get32(p + 4);
	p += 8;
	memcpy(x->nonce, p, KEYEXPORT_NONCE_LEN);
	p += KEYEXPORT_NONCE_LEN;
	memcpy(x->box, p, KEYEXPORT_BOX_LEN);
	if (x->ops < crypto_pwhash_OPSLIMIT_MIN || x->ops > KEYEXPORT_OPS_MAX)
		return fail(eb, AMIE_EPROTO, "key export: %u Argon2id passes, "
		    "expected %u to %u", x->ops,
		    (unsigned)crypto_pwhash_OPSLIMIT_MIN, KEYEXPORT_OPS_MAX);
	if ((size_t)x->mem_kib * 1024 < crypto_pwhash_MEMLIMIT_MIN ||
	    x->mem_kib > KEYEXPORT_MEM_KIB_MAX)
		return fail(eb, AMIE_EPROTO, "key export: %u KiB of Argon2id "
		    "memory, expected %zu to %u", x->mem_kib,
		    (size_t)crypto_pwhash_MEMLIMIT_MIN / 1024,
		    KEYEXPORT_MEM_KIB_MAX);
	return 0;
}

int
keyexport_open(uint8_t seed[32], const struct keyexport *x, const char *pass,
    size_t pass_len, struct errbuf *eb)
{
	uint8_t key[32], ad[KEYEXPORT_SALT_LEN + 8];
	int rc;

	if ((rc = keyexport_derive(key, pass, pass_len, x->salt, x->ops,
	    x->mem_kib, eb)) != 0)
		return rc;
	memcpy(ad, x->salt, KEYEXPORT_SALT_LEN);
	keyexport_put32(ad + KEYEXPORT_SALT_LEN, x->ops);
	keyexport_put32(ad + KEYEXPORT_SALT_LEN + 4, x->mem_kib);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL,
	    x->box, KEYEXPORT_BOX_LEN, ad, sizeof(ad), x->nonce, key);
	sodium_memzero(key, sizeof(key));
	if (rc != 0)
		return fail(eb, AMIE_ESIG, "key export: wrong passphrase, or "
		    "the file was changed");
	return 0;
}
