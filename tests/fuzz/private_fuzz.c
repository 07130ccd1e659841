/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the opening of private bodies: any bytes, with a fixed key, open
 * only if sealed with it, and never read or write out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "proto/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t seed[32], key[PRIVATE_KEY_LEN], *out;
	size_t len = 0;

	memset(seed, 0x42, sizeof(seed));
	private_key(key, seed);
	out = malloc(size + 1);
	if (out == NULL)
		abort();
	if (private_open(out, &len, data, size, "contract", "c1", key,
	    NULL) == 0 && len + PRIVATE_OVERHEAD != size)
		abort();
	free(out);
	return 0;
}
