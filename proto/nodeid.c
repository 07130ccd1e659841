/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "proto/nodeid.h"

#define NODEID_GROUP 13		/* base32 characters per check character */

static const char nodeid_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int
nodeid_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Syncthing's Luhn mod 32 over n base32 characters. */
static char
nodeid_luhn(const char *s, size_t n)
{
	unsigned factor = 1, sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned addend = factor * (unsigned)nodeid_value(s[i]);

		factor = factor == 2 ? 1 : 2;
		sum += addend / 32 + addend % 32;
	}
	return nodeid_alphabet[(32 - sum % 32) % 32];
}

void
nodeid_format(char out[NODEID_LEN + 1], const uint8_t key[NODEID_KEY_LEN])
{
	char b32[4 * NODEID_GROUP], chk[NODEID_CHARS];
	unsigned acc = 0, bits = 0;
	size_t n = 0, o = 0;

	for (size_t i = 0; i < NODEID_KEY_LEN; i++) {
		acc = (acc << 8 | key[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			b32[n++] = nodeid_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		b32[n++] = nodeid_alphabet[(acc << (5 - bits)) & 31];
	for (size_t g = 0; g < 4; g++) {
		memcpy(chk + g * (NODEID_GROUP + 1), b32 + g * NODEID_GROUP,
		    NODEID_GROUP);
		chk[g * (NODEID_GROUP + 1) + NODEID_GROUP] =
		    nodeid_luhn(b32 + g * NODEID_GROUP, NODEID_GROUP);
	}
	for (size_t i = 0; i < NODEID_CHARS; i++) {
		if (i > 0 && i % 7 == 0)
			out[o++] = '-';
		out[o++] = chk[i];
	}
	out[o] = '\0';
}

int
nodeid_normalize(char *out, size_t cap, const char *s, struct errbuf *eb)
{
	size_t n = 0;

	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= NODEID_INPUT_MAX)
			return fail(eb, AMIE_EPROTO, "node id: too long");
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '0')
			c = 'O';
		else if (c == '1')
			c = 'I';
		else if (c == '8')
			c = 'B';
		if (nodeid_value(c) < 0)
			return fail(eb, AMIE_EPROTO,
			    "node id: '%c' is not a node id character", s[i]);
		if (n + 1 >= cap || n >= NODEID_CHARS)
			return fail(eb, AMIE_EPROTO,
			    "node id: longer than %d characters", NODEID_CHARS);
		out[n++] = c;
	}
	if (cap > 0)
		out[n] = '\0';
	return 0;
}

int
nodeid_parse(uint8_t key[NODEID_KEY_LEN], const char *s, struct errbuf *eb)
{
	char norm[NODEID_CHARS + 1], b32[4 * NODEID_GROUP];
	uint8_t out[NODEID_KEY_LEN];
	unsigned acc = 0, bits = 0;
	size_t n = 0;
	int rc;

	if ((rc = nodeid_normalize(norm, sizeof(norm), s, eb)) != 0)
		return rc;
	if (strlen(norm) != NODEID_CHARS)
		return fail(eb, AMIE_EPROTO,
		    "node id: %zu characters, expected %d", strlen(norm),
		    NODEID_CHARS);
	for (size_t g = 0; g < 4; g++) {
		const char *grp = norm + g * (NODEID_GROUP + 1);

		if (nodeid_luhn(grp, NODEID_GROUP) != grp[NODEID_GROUP])
			return fail(eb, AMIE_EPROTO,
			    "node id: check character %zu does not match "
			    "(a typo?)", g + 1);
		memcpy(b32 + g * NODEID_GROUP, grp, NODEID_GROUP);
	}
	for (size_t i = 0; i < sizeof(b32); i++) {
		acc = (acc << 5 | (unsigned)nodeid_value(b32[i])) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n < sizeof(out))
				out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 52 characters carry 260 bits: the last 4 must be zero. */
	if ((acc & ((1u << bits) - 1)) != 0 || n != sizeof(out))
		return fail(eb, AMIE_EPROTO, "node id: not a 32-byte key");
	memcpy(key, out, sizeof(out));
	return 0;
}
