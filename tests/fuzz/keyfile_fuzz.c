/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the key file parser: what parses formats to a file that parses to
 * the same seed (hex digits may come in either case). */
#include <stdlib.h>
#include <string.h>

#include "proto/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t seed[KEYFILE_SEED_LEN], again[KEYFILE_SEED_LEN];
	char text[KEYFILE_LEN];

	if (keyfile_parse(seed, (const char *)data, size, NULL) == 0) {
		keyfile_format(text, seed);
		if (size != KEYFILE_LEN ||
		    keyfile_parse(again, text, sizeof(text), NULL) != 0 ||
		    memcmp(seed, again, sizeof(seed)) != 0)
			abort();
	}
	return 0;
}
