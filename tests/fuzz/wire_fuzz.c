/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target for the wire message decoder (proto/wire.h): wire_decode(),
 * then everything a receiver reads from an accepted message: every id of
 * a HAVE or WANT, and every record of a RECORDS, each split with
 * record_decode().  Besides "never crash", it checks what the decoder
 * promises: ids are WIRE_ID_STRIDE bytes apart and fill the rest of the
 * message, the records fill it exactly, and each string field is valid
 * UTF-8 inside the input.  A broken promise aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mp.h"
#include "proto/record.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_str(const struct wire_str *s, const uint8_t *data, size_t size)
{
	const uint8_t *p = (const uint8_t *)s->s;

	if (s->len == 0)
		return;
	if (p < data || s->len > size || p - data > (ptrdiff_t)(size - s->len))
		abort();
	if (mp_utf8_check(p, s->len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_msg m;
	struct errbuf eb;
	struct record r;
	struct mpr it;
	const uint8_t *rec, *id;
	size_t len;
	uint8_t x = 0;

	if (wire_decode(&m, data, size, &eb) != 0)
		return 0;
	if (strcmp(wire_type_name(m.type), "UNKNOWN") == 0)
		abort();
	switch (m.type) {
	case WIRE_HELLO:
		fuzz_str(&m.name, data, size);
		if (m.features_count > WIRE_FEATURES_MAX)
			abort();
		for (uint32_t i = 0; i < m.features_count; i++)
			fuzz_str(&m.features[i], data, size);
		break;
	case WIRE_JOIN:
		fuzz_str(&m.name, data, size);
		fuzz_str(&m.region, data, size);
		fuzz_str(&m.endpoint, data, size);
		break;
	case WIRE_NEG_ERR:
	case WIRE_ERROR:
		fuzz_str(&m.reason, data, size);
		break;
	case WIRE_HAVE:
	case WIRE_WANT:
		if (m.count > WIRE_IDS_MAX ||
		    m.items_len != (size_t)m.count * WIRE_ID_STRIDE ||
		    m.items + m.items_len != data + size)
			abort();
		for (uint32_t i = 0; i < m.count; i++) {
			id = wire_id(&m, i);
			if (id[-2] != 0xc4 || id[-1] != 32)
				abort();
			for (size_t k = 0; k < 32; k++)
				x ^= id[k];
		}
		break;
	case WIRE_RECORDS:
		if (m.count > WIRE_RECORDS_MAX)
			abort();
		mpr_init(&it, m.items, m.items_len);
		for (uint32_t i = 0; i < m.count; i++) {
			wire_record_next(&it, &rec, &len);
			if (len > RECORD_ENCODED_MAX)
				abort();
			(void)record_decode(&r, rec, len, &eb);
		}
		if (mpr_left(&it) != 0)
			abort();
		break;
	default:
		break;
	}
	(void)x;
	return 0;
}
