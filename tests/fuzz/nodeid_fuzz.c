/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz node id parsing: what parses formats back to an id that parses to
 * the same key. */
#include <stdlib.h>
#include <string.h>

#include "proto/nodeid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[NODEID_INPUT_MAX + 8], again[NODEID_LEN + 1];
	char norm[NODEID_CHARS + 1];
	uint8_t key[NODEID_KEY_LEN], key2[NODEID_KEY_LEN];

	if (size > NODEID_INPUT_MAX + 4)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)nodeid_normalize(norm, sizeof(norm), text, NULL);
	if (nodeid_parse(key, text, NULL) == 0) {
		nodeid_format(again, key);
		if (nodeid_parse(key2, again, NULL) != 0 ||
		    memcmp(key, key2, sizeof(key)) != 0)
			abort();
	}
	return 0;
}
