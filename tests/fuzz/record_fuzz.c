/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target for the record decoders (proto/record.h): record_decode(),
 * then record_check() and record_verify() with a fixed network id (the
 * one of tests/vectors/record.txt) and a fixed clock, so that the seed
 * corpus reaches signature and body checks.  Besides "never crash", it
 * checks what canonical decoding promises: whatever is accepted encodes
 * back to exactly the bytes it came from.  A broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/mp.h"
#include "proto/record.h"

/* The vector's ts, so that its record is neither early nor late. */
#define RECORD_FUZZ_NOW_MS 1764320000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t network_id[32] = {
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	};
	struct record_header h;
	uint8_t id[RECORD_ID_LEN], again[RECORD_ID_LEN], hash[32];
	struct record r;
	struct errbuf eb;
	struct mpw w;
	int rc;

	if (record_decode(&r, data, size, &eb) != 0)
		return 0;

	/* Accepted: the encoding of what was decoded is the input. */
	mpw_init(&w, RECORD_ENCODED_MAX);
	record_encode(&r, &w);
	if (mpw_finish(&w, "record", NULL) != 0 || w.len != size ||
	    memcmp(w.buf, data, size) != 0)
		abort();
	mpw_release(&w);

	if (record_check(&r, &h, id, &eb) != 0)
		return 0;
	mpw_init(&w, RECORD_HEADER_MAX);
	record_header_encode(&h, &w);
	if (mpw_finish(&w, "header", NULL) != 0 || w.len != r.header_len ||
	    memcmp(w.buf, r.header, r.header_len) != 0)
		abort();
	mpw_release(&w);
	record_id(again, r.header, r.header_len);
	if (memcmp(again, id, sizeof(id)) != 0)
		abort();

	rc = record_verify(&r, &h, id, network_id, RECORD_FUZZ_NOW_MS, &eb);
	if (rc == 0 && r.body != NULL) {
		/* Accepted with a body: it is the body the header names. */
		crypto_generichash(hash, sizeof(hash), r.body, r.body_len,
		    NULL, 0);
		if (r.body_len != h.body_len ||
		    memcmp(hash, h.body_hash, sizeof(hash)) != 0)
			abort();
		if (!(h.flags & RECORD_FLAG_ENCRYPTED) &&
		    mp_check(r.body, r.body_len, "body", NULL) != 0)
			abort();
	}
	return 0;
}
