/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "proto/bundle.h"
#include "proto/record.h"

static void
bundle_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static uint32_t
bundle_get_be32(const uint8_t in[4])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
	    (uint32_t)in[2] << 8 | in[3];
}

void
bundle_header_encode(const struct bundle_header *h,
    uint8_t out[BUNDLE_HEADER_LEN])
{
	memset(out, 0, BUNDLE_HEADER_LEN);
	memcpy(out, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	out[8] = BUNDLE_VERSION;
	bundle_be32(out + 12, h->count);
	memcpy(out + 16, h->network_id, 32);
}

void
bundle_length_encode(uint8_t out[BUNDLE_LENGTH_LEN], uint32_t len)
{
	bundle_be32(out, len);
}

int
bundle_open(struct bundle_reader *r, struct bundle_header *h,
    const uint8_t *buf, size_t len, struct errbuf *eb)
{
	uint32_t count;

	if (len < BUNDLE_HEADER_LEN ||
	    memcmp(buf, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) != 0)
		return fail(eb, AMIE_EPROTO, "bundle: not an amie bundle");
	if (buf[8] != BUNDLE_VERSION)
		return fail(eb, AMIE_EPROTO,
		    "bundle: version %u, this amie reads version %u", buf[8],
		    BUNDLE_VERSION);
	if (buf[9] != 0 || buf[10] != 0 || buf[11] != 0)
		return fail(eb, AMIE_EPROTO, "bundle: reserved bytes set");
	count = bundle_get_be32(buf + 12);
	if (count > BUNDLE_RECORDS_MAX)
		return fail(eb, AMIE_ELIMIT, "bundle: %u records, limit %u",
		    count, BUNDLE_RECORDS_MAX);
	/* Each record takes its length prefix at least. */
	if ((len - BUNDLE_HEADER_LEN) / BUNDLE_LENGTH_LEN < count)
		return fail(eb, AMIE_EPROTO,
		    "bundle: %u records announced, %zu bytes follow", count,
		    len - BUNDLE_HEADER_LEN);
	h->count = count;
	memcpy(h->network_id, buf + 16, 32);
	r->p = buf + BUNDLE_HEADER_LEN;
	r->end = buf + len;
	r->left = count;
	r->index = 0;
	return 0;
}

int
bundle_next(struct bundle_reader *r, const uint8_t **rec, size_t *len,
    struct errbuf *eb)
{
	size_t avail = (size_t)(r->end - r->p);
	uint32_t n;

	if (r->left == 0) {
		if (avail != 0)
			return fail(eb, AMIE_EPROTO,
			    "bundle: %zu bytes after the last record", avail);
		return AMIE_ENOTFOUND;
	}
	if (avail < BUNDLE_LENGTH_LEN)
		return fail(eb, AMIE_EPROTO, "bundle: record %u: truncated",
		    r->index);
	n = bundle_get_be32(r->p);
	if (n > RECORD_ENCODED_MAX)
		return fail(eb, AMIE_ELIMIT,
		    "bundle: record %u: %u bytes, limit %d", r->index, n,
		    RECORD_ENCODED_MAX);
	if (n == 0 || n > avail - BUNDLE_LENGTH_LEN)
		return fail(eb, AMIE_EPROTO,
		    "bundle: record %u: %u bytes announced, %zu left", r->index,
		    n, avail - BUNDLE_LENGTH_LEN);
	*rec = r->p + BUNDLE_LENGTH_LEN;
	*len = n;
	r->p += BUNDLE_LENGTH_LEN + n;
	r->left--;
	r->index++;
	return 0;
}
