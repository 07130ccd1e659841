/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Private bodies (DESIGN.md section 3): contract and intervention bodies
 * are sealed with XChaCha20-Poly1305 under a key derived from the node's
 * secret seed with crypto_kdf (context PRIVATE_KDF_CONTEXT), so that only
 * the authoring node reads them while every member stores and serves the
 * ciphertext as an off-site copy.  A sealed body is
 *
 *	nonce (24 bytes) || ciphertext || tag (16 bytes)
 *
 * with a fresh random nonce per record (the caller draws it: this module
 * is pure) and "amie/priv/1" || kind || NUL || key as associated data,
 * so a sealed body cannot be moved to another object.  Records carrying
 * one set RECORD_FLAG_ENCRYPTED.  Keys and plaintext are wiped by the
 * caller with sodium_memzero().
 */
#ifndef AMIE_PROTO_PRIVATE_H
#define AMIE_PROTO_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define PRIVATE_KDF_CONTEXT	"amiepriv"	/* crypto_kdf, 8 bytes */
#define PRIVATE_KDF_ID		1
#define PRIVATE_KEY_LEN		32
#define PRIVATE_NONCE_LEN	24
#define PRIVATE_TAG_LEN		16
#define PRIVATE_OVERHEAD	(PRIVATE_NONCE_LEN + PRIVATE_TAG_LEN)

/* Derive the private-body key of the node whose seed is seed. */
void private_key(uint8_t key[PRIVATE_KEY_LEN], const uint8_t seed[32]);

/*
 * Seal the len bytes at plain for object (kind, key) with nonce into out,
 * which has room for len + PRIVATE_OVERHEAD bytes.
 */
void private_seal(uint8_t *out, const uint8_t *plain, size_t len,
    const char *kind, const char *key,
    const uint8_t nonce[PRIVATE_NONCE_LEN],
    const uint8_t k[PRIVATE_KEY_LEN]);

/*
 * Open the len bytes at sealed, a body of object (kind, key), into out
 * (room for len - PRIVATE_OVERHEAD bytes); *plain_len gets the length.
 * Returns 0, AMIE_EPROTO when len is shorter than PRIVATE_OVERHEAD, or
 * AMIE_ESIG when the key is not the author's or the bytes were changed.
 */
int private_open(uint8_t *out, size_t *plain_len, const uint8_t *sealed,
    size_t len, const char *kind, const char *key,
    const uint8_t k[PRIVATE_KEY_LEN], struct errbuf *eb);

#endif
