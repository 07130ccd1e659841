/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target for invite code parsing (proto/invitecode.h).  The input is
 * taken as a string of at most INVITECODE_FUZZ_MAX bytes (cut at its first
 * NUL, as a C string would be).  Whatever parses must format into a code
 * that parses back to the same invite: a broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/invitecode.h"

#define INVITECODE_FUZZ_MAX 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[INVITECODE_FUZZ_MAX + 1], code[INVITECODE_MAX];
	struct invitecode a, b;
	struct errbuf eb;

	if (size > INVITECODE_FUZZ_MAX)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&a, 0, sizeof(a));
	if (invitecode_parse(&a, s, &eb) != 0)
		return 0;
	if (strnlen(a.endpoint, sizeof(a.endpoint)) >= sizeof(a.endpoint) ||
	    strncmp(a.endpoint, "tcp://", 6) != 0)
		abort();
	invitecode_format(code, &a);
	if (strnlen(code, sizeof(code)) >= sizeof(code))
		abort();
	memset(&b, 0, sizeof(b));
	if (invitecode_parse(&b, code, &eb) != 0)
		abort();
	if (memcmp(a.net_prefix, b.net_prefix, sizeof(a.net_prefix)) != 0 ||
	    memcmp(a.inviter, b.inviter, sizeof(a.inviter)) != 0 ||
	    memcmp(a.secret, b.secret, sizeof(a.secret)) != 0 ||
	    a.expiry_ms != b.expiry_ms || strcmp(a.endpoint, b.endpoint) != 0)
		abort();
	return 0;
}
