/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Invite codes and safety codes (DESIGN.md section 4).
 *
 * An invite code is "AMIE1-" followed by the RFC 4648 base32 (upper case,
 * no padding) of:
 *   network id prefix   8 bytes
 *   inviter public key 32 bytes
 *   one-time secret    16 bytes
 *   expiry              8 bytes, big endian, ms since 1970
 *   endpoint length     1 byte, then the endpoint (tcp://HOST:PORT)
 *   checksum            2 bytes: BLAKE2b-256 of all the above, first 2
 * so that a mistyped code fails here, before any connection.  Parsing is
 * case-insensitive and ignores spaces, dashes after the prefix, and line
 * breaks (codes get pasted from mail).
 *
 * The safety code is 6 decimal digits both sides compute from the two
 * public keys (order does not matter) and compare by phone.  Pure.
 */
#ifndef AMIE_PROTO_INVITECODE_H
#define AMIE_PROTO_INVITECODE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define INVITECODE_PREFIX	"AMIE1-"
#define INVITECODE_SECRET_LEN	16
#define INVITECODE_NET_PREFIX	8
#define INVITECODE_ENDPOINT_MAX	200
#define INVITECODE_MAX		512	/* characters of a code, NUL included */

struct invitecode {
	uint8_t net_prefix[INVITECODE_NET_PREFIX];
	uint8_t inviter[32];
	uint8_t secret[INVITECODE_SECRET_LEN];
	uint64_t expiry_ms;
	char endpoint[INVITECODE_ENDPOINT_MAX + 1];
};

/* Write the code for inv, NUL-terminated, into out (INVITECODE_MAX). */
void invitecode_format(char out[INVITECODE_MAX], const struct invitecode *inv);

/*
 * Parse code into inv.  Returns 0, or AMIE_EPROTO with a message for
 * people: not an amie invite code, a character outside the alphabet, too
 * short or long, or "checksum does not match (a typo?)".
 */
int invitecode_parse(struct invitecode *inv, const char *code,
    struct errbuf *eb);

/*
 * What the inviter stores instead of the secret: BLAKE2b-256 of the
 * domain string "amie/invite/1" followed by the secret.
 */
void invitecode_secret_hash(uint8_t out[32],
    const uint8_t secret[INVITECODE_SECRET_LEN]);

/* The 6-digit safety code of keys a and b, NUL-terminated ("042917"). */
void invitecode_safety(char out[7], const uint8_t a[32], const uint8_t b[32]);

#endif
