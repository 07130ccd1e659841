/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The text of a node key file (DIR/node.key, mode 0600): a first line
 * "AMIE-NODE-KEY-1" and a second line with the 32-byte Ed25519 seed in
 * hex.  Only the seed is kept: the key pair, and its X25519 form for
 * CurveZMQ, derive from it.  Reading and writing the file is the
 * caller's business; this module only formats and parses, and wipes what
 * it copies.
 */
#ifndef AMIE_PROTO_KEYFILE_H
#define AMIE_PROTO_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define KEYFILE_SEED_LEN 32
#define KEYFILE_LEN (16 + 2 * KEYFILE_SEED_LEN + 1)	/* exact file size */

/* Write the file text for seed into out (KEYFILE_LEN bytes, no NUL). */
void keyfile_format(char out[KEYFILE_LEN], const uint8_t seed[KEYFILE_SEED_LEN]);

/*
 * Parse the len bytes at buf into seed.  Returns 0, or AMIE_ECONFIG with
 * a message that never quotes the key material.
 */
int keyfile_parse(uint8_t seed[KEYFILE_SEED_LEN], const char *buf, size_t len,
    struct errbuf *eb);

#endif
