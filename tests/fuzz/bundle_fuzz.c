/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the bundle reader: every record it hands out lies inside the
 * input, and is decoded as a record would be on import. */
#include <stdlib.h>

#include "proto/bundle.h"
#include "proto/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_reader r;
	struct bundle_header h;
	struct record_header rh;
	uint8_t id[RECORD_ID_LEN];
	const uint8_t *rec;
	struct record rc;
	size_t len;
	uint32_t n = 0;

	if (bundle_open(&r, &h, data, size, NULL) != 0)
		return 0;
	while (bundle_next(&r, &rec, &len, NULL) == 0) {
		if (rec < data || rec + len > data + size || ++n > h.count)
			abort();
		if (record_decode(&rc, rec, len, NULL) == 0)
			(void)record_check(&rc, &rh, id, NULL);
	}
	return 0;
}
