/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The key export file of `amie key export`: the node's 32-byte seed
 * sealed under a passphrase, enough to re-create the node after its disk
 * is lost (`amie init --restore-key`).  The file is one line of text,
 *
 *	"AMIE-KEY-EXPORT-1 " base64url(salt || ops || mem || nonce || box) "\n"
 *
 * where the key of the XChaCha20-Poly1305 box is crypto_pwhash Argon2id
 * of the passphrase with salt (16 bytes), ops (4 bytes, big endian) and
 * mem (4 bytes, big endian, in KiB), and box is the sealed seed (48
 * bytes).  The decoder checks the exact length and keeps ops and mem
 * within named limits before any work.  Pure: the caller draws the salt
 * and nonce and reads the passphrase; the seed is wiped after use.
 */
#ifndef AMIE_PROTO_KEYEXPORT_H
#define AMIE_PROTO_KEYEXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define KEYEXPORT_MAGIC		"AMIE-KEY-EXPORT-1 "
#define KEYEXPORT_SALT_LEN	16
#define KEYEXPORT_NONCE_LEN	24
#define KEYEXPORT_SEED_LEN	32
#define KEYEXPORT_BOX_LEN	(KEYEXPORT_SEED_LEN + 16)
#define KEYEXPORT_RAW_LEN	(KEYEXPORT_SALT_LEN + 4 + 4 + \
	KEYEXPORT_NONCE_LEN + KEYEXPORT_BOX_LEN)
#define KEYEXPORT_B64_LEN	128	/* base64url of 96 bytes, no padding */
#define KEYEXPORT_LEN		(sizeof(KEYEXPORT_MAGIC) - 1 + \
	KEYEXPORT_B64_LEN + 1)		/* exact file size */
#define KEYEXPORT_OPS		3	/* Argon2id passes written */
#define KEYEXPORT_MEM_KIB	(256 * 1024)	/* memory written */
#define KEYEXPORT_OPS_MAX	10	/* refused above: a denial of service */
#define KEYEXPORT_MEM_KIB_MAX	(1024 * 1024)
#define KEYEXPORT_PASS_MIN	8	/* bytes of a passphrase */
#define KEYEXPORT_PASS_MAX	1024

/* A parsed export, before the passphrase is tried. */
struct keyexport {
	uint8_t salt[KEYEXPORT_SALT_LEN];
	uint32_t ops;
	uint32_t mem_kib;
	uint8_t nonce[KEYEXPORT_NONCE_LEN];
	uint8_t box[KEYEXPORT_BOX_LEN];
};

/*
 * Seal seed under the pass_len bytes of pass with salt, nonce, ops and
 * mem_kib, and write the file text (KEYEXPORT_LEN bytes, no NUL) to out.
 * Returns 0, AMIE_EUSAGE for a passphrase shorter than KEYEXPORT_PASS_MIN,
 * or AMIE_EIO when Argon2id cannot get its memory.
 */
int keyexport_seal(char out[KEYEXPORT_LEN], const uint8_t seed[32],
    const char *pass, size_t pass_len, const uint8_t salt[KEYEXPORT_SALT_LEN],
    const uint8_t nonce[KEYEXPORT_NONCE_LEN], uint32_t ops, uint32_t mem_kib,
    struct errbuf *eb);

/*
 * Parse the len bytes at buf (a whole file) into x.  Returns 0 or
 * AMIE_EPROTO naming what is wrong; never quotes key material.
 */
int keyexport_parse(struct keyexport *x, const char *buf, size_t len,
    struct errbuf *eb);

/*
 * Open a parsed export with the passphrase into seed.  Returns 0,
 * AMIE_ESIG for a wrong passphrase (or a changed file), or AMIE_EIO when
 * Argon2id cannot get its memory.
 */
int keyexport_open(uint8_t seed[32], const struct keyexport *x,
    const char *pass, size_t pass_len, struct errbuf *eb);

#endif
