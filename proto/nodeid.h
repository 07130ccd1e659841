/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Node ids as people see them, Syncthing style: the 32-byte public key in
 * RFC 4648 base32 (52 characters, no padding), a Luhn mod 32 check
 * character after each group of 13, shown as 8 groups of 7 joined by '-'.
 * Parsing is case-insensitive, ignores spaces and dashes, and reads 0 as
 * O, 1 as I and 8 as B.  A mistyped character fails its group's check.
 */
#ifndef AMIE_PROTO_NODEID_H
#define AMIE_PROTO_NODEID_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define NODEID_KEY_LEN 32
#define NODEID_CHARS 56		/* without dashes */
#define NODEID_LEN 63		/* 8 groups of 7 and 7 dashes */
#define NODEID_SHORT_LEN 7	/* the first group, for tables */
#define NODEID_PREFIX_MIN 4	/* shortest prefix commands accept */
#define NODEID_INPUT_MAX 256	/* bytes of text the parser looks at */

/* Write the id of key, NUL-terminated, into out. */
void nodeid_format(char out[NODEID_LEN + 1], const uint8_t key[NODEID_KEY_LEN]);

/*
 * Parse s (a whole id) into key.  Returns 0, or AMIE_EPROTO naming the
 * problem: a character outside the alphabet, a wrong length, or a check
 * character that does not match (a typo).
 */
int nodeid_parse(uint8_t key[NODEID_KEY_LEN], const char *s,
    struct errbuf *eb);

/*
 * Normalise s for prefix matching: upper case, no spaces or dashes, 0 1 8
 * read as O I B.  Writes at most cap-1 characters and a NUL into out.
 * Returns 0, or AMIE_EPROTO for a character outside the alphabet or input
 * longer than the id.
 */
int nodeid_normalize(char *out, size_t cap, const char *s, struct errbuf *eb);

#endif
