/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the key export parser (the file amie init --restore-key reads):
 * what parses has Argon2id parameters within the limits.  The passphrase
 * is not tried: Argon2id is too slow for fuzzing, and its input is the
 * parser's checked output. */
#include <stdlib.h>

#include "proto/keyexport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyexport x;

	if (keyexport_parse(&x, (const char *)data, size, NULL) == 0 &&
	    (x.ops > KEYEXPORT_OPS_MAX || x.mem_kib > KEYEXPORT_MEM_KIB_MAX))
		abort();
	return 0;
}
