/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target for the negentropy message decoder: the input is fed as a
 * client message to a server, and as a server reply to a client that has
 * initiated, each over a small fixed set (the vectors' generator rule, so
 * that messages taken from the vectors reach the matching paths), with no
 * frame limit and with the smallest one, in plain V1, with the short-ids
 * extension and with it and content splits (the daemon's).  Any result
 * code is fine; a crash, a leak or an output over its limit is not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/negentropy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ITEMS 40

static int
fuzz_on_id(void *ctx, int have, const uint8_t id[NEG_ID_LEN],
    struct errbuf *eb)
{
	size_t *count = ctx;

	(void)have;
	(void)id;
	(void)eb;
	(*count)++;
	return 0;
}

static void
fuzz_fill(struct neg_vector *v)
{
	uint8_t id[NEG_ID_LEN];
	char s[16];
	int i;

	neg_vector_init(v, FUZZ_ITEMS);
	for (i = 0; i < FUZZ_ITEMS; i++) {
		snprintf(s, sizeof(s), "%d", i);
		crypto_hash_sha256(id, (const uint8_t *)s, strlen(s));
		if (neg_vector_add(v, 1000 + (uint64_t)(i / 2) * 10, id,
		    NULL) != 0)
			abort();
	}
	neg_vector_seal(v);
}

static void
fuzz_one(const struct neg_storage *s, size_t frame_limit, unsigned ext,
    const uint8_t *data, size_t size)
{
	struct neg server, client;
	struct neg_buf out;
	struct errbuf eb;
	size_t ids = 0;
	int done = 0, rc;

	neg_buf_init(&out);
	if (neg_init(&server, s, frame_limit, &eb) != 0)
		abort();
	neg_set_extensions(&server, ext);
	rc = neg_reconcile_server(&server, data, size, &out, &eb);
	if (rc != 0 && out.len != 0)
		abort();
	if (out.len > NEG_MSG_MAX ||
	    (frame_limit != 0 && out.len > frame_limit))
		abort();
	neg_release(&server);

	if (neg_init(&client, s, frame_limit, &eb) != 0)
		abort();
	neg_set_extensions(&client, ext);
	if (neg_initiate(&client, &out, &eb) != 0)
		abort();
	rc = neg_reconcile_client(&client, data, size, &out, fuzz_on_id, &ids,
	    &done, &eb);
	if (rc != 0 && out.len != 0)
		abort();
	if (rc == 0 && done && out.len != 0)
		abort();
	if (out.len > NEG_MSG_MAX ||
	    (frame_limit != 0 && out.len > frame_limit))
		abort();
	neg_release(&client);
	neg_buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct neg_vector v;
	struct neg_storage s;

	fuzz_fill(&v);
	neg_vector_storage(&v, &s);
	fuzz_one(&s, 0, 0, data, size);
	fuzz_one(&s, NEG_FRAME_MIN, 0, data, size);
	fuzz_one(&s, 0, NEG_EXT_SHORT_IDS, data, size);
	fuzz_one(&s, NEG_FRAME_MIN, NEG_EXT_SHORT_IDS, data, size);
	fuzz_one(&s, 0, NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS, data, size);
	fuzz_one(&s, NEG_FRAME_MIN, NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS,
	    data, size);
	neg_vector_release(&v);
	return 0;
}
