/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "proto/invitecode.h"

#define INVITECODE_SECRET_DOMAIN "amie/invite/1"
#define INVITECODE_SAFETY_DOMAIN "amie/safety/1"
#define INVITECODE_TCP		"tcp://"
#define INVITECODE_CHECK_LEN	2
/* Bytes before the endpoint: net prefix, key, secret, expiry, length. */
#define INVITECODE_FIXED_LEN	(INVITECODE_NET_PREFIX + 32 + \
    INVITECODE_SECRET_LEN + 8 + 1)
#define INVITECODE_BYTES_MIN \
    (INVITECODE_FIXED_LEN + INVITECODE_CHECK_LEN)
#define INVITECODE_BYTES_MAX \
    (INVITECODE_BYTES_MIN + INVITECODE_ENDPOINT_MAX)
/* Base32 characters of the longest code. */
#define INVITECODE_CHARS_MAX	((INVITECODE_BYTES_MAX * 8 + 4) / 5)

/* The longest code, prefix and NUL included, fits what callers allocate. */
_Static_assert(sizeof(INVITECODE_PREFIX) + INVITECODE_CHARS_MAX <=
    INVITECODE_MAX, "INVITECODE_MAX too small");

static const char invitecode_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* The value of base32 character c, either case, or -1. */
static int
invitecode_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Characters people and mail programs put into codes. */
static int
invitecode_is_filler(char c)
{
	return c == ' ' || c == '-' || c == '\r' || c == '\n' || c == '\t';
}

static void
invitecode_check(uint8_t out[INVITECODE_CHECK_LEN], const uint8_t *b,
    size_t len)
{
	uint8_t h[crypto_generichash_BYTES];

	crypto_generichash(h, sizeof(h), b, len, NULL, 0);
	memcpy(out, h, INVITECODE_CHECK_LEN);
}

void
invitecode_format(char out[INVITECODE_MAX], const struct invitecode *inv)
{
	uint8_t b[INVITECODE_BYTES_MAX];
	size_t eplen = strnlen(inv->endpoint, sizeof(inv->endpoint));
	size_t n = 0, o = 0;
	unsigned acc = 0, bits = 0;

	assert(eplen <= INVITECODE_ENDPOINT_MAX);
	memcpy(b + n, inv->net_prefix, INVITECODE_NET_PREFIX);
	n += INVITECODE_NET_PREFIX;
	memcpy(b + n, inv->inviter, 32);
	n += 32;
	memcpy(b + n, inv->secret, INVITECODE_SECRET_LEN);
	n += INVITECODE_SECRET_LEN;
	for (int i = 7; i >= 0; i--)
		b[n++] = (uint8_t)(inv->expiry_ms >> (8 * i));
	b[n++] = (uint8_t)eplen;
	memcpy(b + n, inv->endpoint, eplen);
	n += eplen;
	invitecode_check(b + n, b, n);
	n += INVITECODE_CHECK_LEN;

	memcpy(out, INVITECODE_PREFIX, sizeof(INVITECODE_PREFIX) - 1);
	o = sizeof(INVITECODE_PREFIX) - 1;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | b[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = invitecode_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = invitecode_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	sodium_memzero(b, sizeof(b));
}

/*
 * Decode the base32 after the prefix into b (INVITECODE_BYTES_MAX), skipping
 * fillers; *len is the byte count.  The last character's unused bits must
 * be zero, so that no two spellings give the same bytes and a typo there is
 * not silently ignored.
 */
static int
invitecode_base32(uint8_t *b, size_t *len, const char *s, size_t offset,
    struct errbuf *eb)
{
	unsigned acc = 0, bits = 0;
	size_t chars = 0, n = 0;

	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (invitecode_is_filler((char)c))
			continue;
		if ((v = invitecode_value((char)c)) < 0) {
			if (c >= 0x21 && c <= 0x7e)
				return fail(eb, AMIE_EPROTO,
				    "invite code: '%c' (character %zu) is not "
				    "an invite code character", c,
				    offset + i + 1);
			return fail(eb, AMIE_EPROTO,
			    "invite code: byte 0x%02x (character %zu) is not "
			    "an invite code character", c, offset + i + 1);
		}
		if (++chars > INVITECODE_CHARS_MAX)
			return fail(eb, AMIE_EPROTO,
			    "invite code: too long (more than %d characters)",
			    INVITECODE_CHARS_MAX);
		acc = (acc << 5 | (unsigned)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			b[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (n < INVITECODE_BYTES_MIN)
		return fail(eb, AMIE_EPROTO, "invite code: too short");
	/* Unpadded base32 leaves 0, 2, 4, 1 or 3 bits over (for 0, 2, 4,
	 * 5 or 7 characters past a multiple of 8); 5 bits or more mean a
	 * character too many or missing. */
	if (bits >= 5)
		return fail(eb, AMIE_EPROTO,
		    "invite code: a character is missing or extra");
	if ((acc & ((1u << bits) - 1)) != 0)
		return fail(eb, AMIE_EPROTO,
		    "invite code: checksum does not match (a typo?)");
	*len = n;
	return 0;
}

int
invitecode_parse(struct invitecode *out, const char *code, struct errbuf *eb)
{
	const size_t plen = sizeof(INVITECODE_PREFIX) - 1;
	uint8_t b[INVITECODE_BYTES_MAX], check[INVITECODE_CHECK_LEN];
	struct invitecode inv;
	size_t start = 0, len = 0, n = 0, eplen;
	int rc;

	while (invitecode_is_filler(code[start]) && code[start] != '-')
		start++;
	if (strncasecmp(code + start, INVITECODE_PREFIX, plen) != 0)
		return fail(eb, AMIE_EPROTO,
		    "invite code: not an amie invite code (it starts with %s)",
		    INVITECODE_PREFIX);
	start += plen;
	if ((rc = invitecode_base32(b, &len, code + start, start, eb)) != 0)
		goto out;

	invitecode_check(check, b, len - INVITECODE_CHECK_LEN);
	if (sodium_memcmp(check, b + len - INVITECODE_CHECK_LEN,
	    INVITECODE_CHECK_LEN) != 0) {
		rc = fail(eb, AMIE_EPROTO,
		    "invite code: checksum does not match (a typo?)");
		goto out;
	}

	memset(&inv, 0, sizeof(inv));
	memcpy(inv.net_prefix, b + n, INVITECODE_NET_PREFIX);
	n += INVITECODE_NET_PREFIX;
	memcpy(inv.inviter, b + n, 32);
	n += 32;
	memcpy(inv.secret, b + n, INVITECODE_SECRET_LEN);
	n += INVITECODE_SECRET_LEN;
	for (int i = 0; i < 8; i++)
		inv.expiry_ms = inv.expiry_ms << 8 | b[n++];
	eplen = b[n++];
	if (eplen != len - INVITECODE_BYTES_MIN) {
		rc = fail(eb, AMIE_EPROTO,
		    "invite code: endpoint length %zu does not fit the %zu "
		    "bytes left", eplen, len - INVITECODE_BYTES_MIN);
		goto wipe;
	}
	if (eplen < sizeof(INVITECODE_TCP) - 1 ||
	    memcmp(b + n, INVITECODE_TCP, sizeof(INVITECODE_TCP) - 1) != 0) {
		rc = fail(eb, AMIE_EPROTO,
		    "invite code: endpoint does not start with %s",
		    INVITECODE_TCP);
		goto wipe;
	}
	if (memchr(b + n, '\0', eplen) != NULL) {
		rc = fail(eb, AMIE_EPROTO,
		    "invite code: endpoint contains a NUL byte");
		goto wipe;
	}
	memcpy(inv.endpoint, b + n, eplen);
	inv.endpoint[eplen] = '\0';
	*out = inv;
wipe:
	sodium_memzero(&inv, sizeof(inv));
out:
	sodium_memzero(b, sizeof(b));
	return rc;
}

void
invitecode_secret_hash(uint8_t out[32],
    const uint8_t secret[INVITECODE_SECRET_LEN])
{
	const size_t dlen = sizeof(INVITECODE_SECRET_DOMAIN) - 1;
	uint8_t m[sizeof(INVITECODE_SECRET_DOMAIN) - 1 + INVITECODE_SECRET_LEN];

	memcpy(m, INVITECODE_SECRET_DOMAIN, dlen);
	memcpy(m + dlen, secret, INVITECODE_SECRET_LEN);
	crypto_generichash(out, 32, m, sizeof(m), NULL, 0);
	sodium_memzero(m, sizeof(m));
}

void
invitecode_safety(char out[7], const uint8_t a[32], const uint8_t b[32])
{
	const size_t dlen = sizeof(INVITECODE_SAFETY_DOMAIN) - 1;
	uint8_t m[sizeof(INVITECODE_SAFETY_DOMAIN) - 1 + 64], h[32];
	const uint8_t *lo = a, *hi = b;
	uint64_t v = 0;

	/* Public keys: memcmp's timing gives nothing away. */
	if (memcmp(a, b, 32) > 0) {
		lo = b;
		hi = a;
	}
	memcpy(m, INVITECODE_SAFETY_DOMAIN, dlen);
	memcpy(m + dlen, lo, 32);
	memcpy(m + dlen + 32, hi, 32);
	crypto_generichash(h, sizeof(h), m, sizeof(m), NULL, 0);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	v %= 1000000;
	for (int i = 5; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[6] = '\0';
}
