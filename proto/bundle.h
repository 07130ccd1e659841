/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Bundles: signed records in one file, carried between Amies without a
 * network link (`amie export`, `amie import`).  Pure: the caller reads
 * and writes the bytes.
 *
 *   offset  size  field
 *        0     8  magic "AMIEBNDL"
 *        8     1  version, BUNDLE_VERSION (1)
 *        9     3  zero
 *       12     4  count: records that follow (big endian)
 *       16    32  network id of the federation the records belong to
 *       48        count times: length (4, big endian) || one record
 *                 encoded as on the wire ([header, sig, body | nil])
 *
 * Nothing follows the last record.  The header has a fixed size, so that
 * a writer that learns the count only at the end can write it last.  A
 * bundle carries no signature of its own: each record is verified on
 * import exactly like a record from a peer, so a damaged record is
 * refused and the others still count.
 *
 * The decoder never trusts a count or a length: each is checked against
 * the bytes left and a named limit before it is used, and it never
 * allocates.
 */
#ifndef AMIE_PROTO_BUNDLE_H
#define AMIE_PROTO_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define BUNDLE_MAGIC "AMIEBNDL"
#define BUNDLE_MAGIC_LEN 8
#define BUNDLE_VERSION 1
#define BUNDLE_HEADER_LEN 48
#define BUNDLE_LENGTH_LEN 4		       /* before each record */
#define BUNDLE_RECORDS_MAX (16u * 1024 * 1024) /* records in a bundle */

struct bundle_header {
	uint32_t count;
	uint8_t network_id[32];
};

/* A bundle being read: the records not read yet. */
struct bundle_reader {
	const uint8_t *p, *end;
	uint32_t left;	/* records still to read */
	uint32_t index; /* of the next record, from 0 */
};

/* Write the BUNDLE_HEADER_LEN bytes of h to out. */
void bundle_header_encode(const struct bundle_header *h,
    uint8_t out[BUNDLE_HEADER_LEN]);

/* Write the length prefix of a record of len bytes to out. */
void bundle_length_encode(uint8_t out[BUNDLE_LENGTH_LEN], uint32_t len);

/*
 * Check the header of the len bytes at buf (a whole bundle) into h and
 * ready r to read its records.  Returns 0, AMIE_EPROTO (not a bundle,
 * another version, a count the bytes cannot hold) or AMIE_ELIMIT (count
 * over BUNDLE_RECORDS_MAX).  r points into buf, which must outlive it.
 */
int bundle_open(struct bundle_reader *r, struct bundle_header *h,
    const uint8_t *buf, size_t len, struct errbuf *eb);

/*
 * The next record: *rec and *len point at its encoded bytes (inside the
 * buffer; not decoded or verified here).  Returns 0, AMIE_ENOTFOUND after
 * the last one (AMIE_EPROTO instead when bytes are left over), or
 * AMIE_EPROTO / AMIE_ELIMIT for a length past the end or over
 * RECORD_ENCODED_MAX: the framing is lost and the rest cannot be read.
 */
int bundle_next(struct bundle_reader *r, const uint8_t **rec, size_t *len,
    struct errbuf *eb);

#endif
