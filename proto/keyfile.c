/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include <sodium.h>

#include "proto/keyfile.h"

#define KEYFILE_MAGIC "AMIE-NODE-KEY-1\n"

void
keyfile_format(char out[KEYFILE_LEN], const uint8_t seed[KEYFILE_SEED_LEN])
{
	char hex[2 * KEYFILE_SEED_LEN + 1];

	memcpy(out, KEYFILE_MAGIC, 16);
	sodium_bin2hex(hex, sizeof(hex), seed, KEYFILE_SEED_LEN);
	memcpy(out + 16, hex, 2 * KEYFILE_SEED_LEN);
	out[KEYFILE_LEN - 1] = '\n';
	sodium_memzero(hex, sizeof(hex));
}

int
keyfile_parse(uint8_t seed[KEYFILE_SEED_LEN], const char *buf, size_t len,
    struct errbuf *eb)
{
	uint8_t tmp[KEYFILE_SEED_LEN];
	size_t n = 0;
	const char *end = NULL;

	if (len < 16 || memcmp(buf, KEYFILE_MAGIC, 16) != 0)
		return fail(eb, AMIE_ECONFIG,
		    "node.key: not an amie node key file");
	if (len != KEYFILE_LEN || buf[len - 1] != '\n' ||
	    sodium_hex2bin(tmp, sizeof(tmp), buf + 16, 2 * KEYFILE_SEED_LEN,
	    NULL, &n, &end) != 0 || n != sizeof(tmp)) {
		sodium_memzero(tmp, sizeof(tmp));
		return fail(eb, AMIE_ECONFIG, "node.key: damaged key file");
	}
	memcpy(seed, tmp, sizeof(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}
