/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Signed records, as DESIGN.md section 3 defines them.
 *
 * A record is three byte strings: a header (a canonical msgpack array of
 * nine fields), a 64-byte Ed25519 signature, and a body that may be absent
 * (purged).  Its id is BLAKE2b-256("amie/id/1" || header); the signature
 * covers "amie/sig/1" || network_id || id, so a record signed for one
 * federation cannot be replayed into another; the header carries the
 * BLAKE2b-256 of the body, so a purged body leaves a verifiable header.
 *
 * On the wire, in bundles and in the store a record is encoded as the
 * msgpack array [bin header, bin sig, bin body | nil].
 *
 * Everything here is pure: no I/O, no clock (callers pass now_ms), and the
 * decoders never allocate and never assert on input.  Verification is a
 * pure function of the record bytes, the network id and the time, so it
 * can run on any thread.
 */
#ifndef AMIE_PROTO_RECORD_H
#define AMIE_PROTO_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"
#include "proto/mp.h"

#define RECORD_VERSION		1
#define RECORD_HEADER_MAX	1024		/* bytes of an encoded header */
#define RECORD_BODY_MAX		(256 * 1024)	/* bytes of a body */
#define RECORD_REFS_MAX		16
#define RECORD_KEY_MAX		128		/* bytes of header.key */
#define RECORD_KIND_MAX		32		/* bytes of header.kind */
#define RECORD_TAGS_MAX		32		/* tags of a kb article */
#define RECORD_ID_LEN		32
#define RECORD_SIG_LEN		64
#define RECORD_KEY_LEN		32		/* an Ed25519 public key */
#define RECORD_FLAG_ENCRYPTED	1u
#define RECORD_FLAGS_KNOWN	RECORD_FLAG_ENCRYPTED
#define RECORD_FUTURE_MAX_MS	(10 * 60 * 1000) /* clock skew tolerated */
/* The largest encoded record: header, sig and body with their heads. */
#define RECORD_ENCODED_MAX	(RECORD_HEADER_MAX + RECORD_BODY_MAX + 128)

struct record_header {
	uint64_t v;
	char kind[RECORD_KIND_MAX + 1];
	uint8_t author[RECORD_KEY_LEN];
	uint64_t ts;			/* ms since 1970, author's clock */
	char key[RECORD_KEY_MAX + 1];
	uint32_t refs_count;
	uint8_t refs[RECORD_REFS_MAX][RECORD_ID_LEN];
	uint8_t body_hash[32];
	uint64_t body_len;
	uint64_t flags;
};

/* A record as three byte strings, borrowed from a buffer that must
 * outlive it.  body is NULL when the body was purged. */
struct record {
	const uint8_t *header;
	size_t header_len;
	const uint8_t *sig;		/* RECORD_SIG_LEN bytes */
	const uint8_t *body;
	size_t body_len;
};

/*
 * Append the canonical encoding of h to w.  kind and key must be set;
 * body_hash and body_len must describe the body.  Fails only through w's
 * limit, reported by mpw_finish().
 */
void record_header_encode(const struct record_header *h, struct mpw *w);

/*
 * Decode and check the len bytes at buf as a header: size and field
 * limits, version, known flags, kind syntax, canonical form.  Returns 0,
 * AMIE_EPROTO or AMIE_ELIMIT, with the field named in eb.
 */
int record_header_decode(struct record_header *h, const uint8_t *buf,
    size_t len, struct errbuf *eb);

/* The id of the header bytes. */
void record_id(uint8_t id[RECORD_ID_LEN], const uint8_t *header, size_t len);

/*
 * Sign a new record: fill h->body_hash and h->body_len from the body,
 * encode the header, compute the id, sign it with sk (libsodium's 64-byte
 * secret key) for network_id, and append the encoded record to out.
 * network_id NULL signs a charter, whose own header defines the network
 * id (BLAKE2b-256 of the header).  The
 * body must be a canonical map unless h->flags says it is encrypted.
 * Returns 0, or AMIE_ELIMIT / AMIE_EPROTO for a header or body that a
 * receiver would refuse (checked here so we never sign one).
 */
int record_sign(struct record_header *h, const uint8_t *body, size_t body_len,
    const uint8_t sk[64], const uint8_t network_id[32], struct mpw *out,
    uint8_t id[RECORD_ID_LEN], struct errbuf *eb);

/* Append the encoding of r ([header, sig, body | nil]) to w. */
void record_encode(const struct record *r, struct mpw *w);

/*
 * Split the len bytes at buf (one encoded record, nothing after it) into
 * r, pointing into buf.  Checks the container and the sizes only.
 * Returns 0, AMIE_EPROTO or AMIE_ELIMIT.
 */
int record_decode(struct record *r, const uint8_t *buf, size_t len,
    struct errbuf *eb);

/*
 * Ingest step 1: decode the header into h and compute the id.  Returns 0,
 * AMIE_EPROTO or AMIE_ELIMIT.
 */
int record_check(const struct record *r, struct record_header *h,
    uint8_t id[RECORD_ID_LEN], struct errbuf *eb);

/*
 * Ingest steps 3 and 4, after record_check(): the timestamp is at most
 * RECORD_FUTURE_MAX_MS past now_ms (else AMIE_EAGAIN: the sender may
 * retry later), the signature verifies for network_id (else AMIE_ESIG),
 * and a present body matches the header's hash and length (AMIE_ESIG) and
 * is a canonical map unless encrypted (AMIE_EPROTO).
 */
int record_verify(const struct record *r, const struct record_header *h,
    const uint8_t id[RECORD_ID_LEN], const uint8_t network_id[32],
    uint64_t now_ms, struct errbuf *eb);

/* The network id a charter with this header defines. */
void record_network_id(uint8_t out[32], const uint8_t *header, size_t len);

/* Write the 64 lowercase hex digits of id and a NUL into out. */
void record_id_hex(char out[2 * RECORD_ID_LEN + 1],
    const uint8_t id[RECORD_ID_LEN]);

#endif
