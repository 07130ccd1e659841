/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the control request decoder and the reply status reader. */
#include <stddef.h>
#include <stdint.h>

#include "proto/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	struct errbuf eb;
	const char *s;
	uint32_t len;
	struct mpr r;
	uint32_t n;

	if (ctl_request_decode(&req, data, size, &eb) == 0) {
		/* What handlers do with the arguments. */
		(void)mpmap_str(&req.args, "title", &s, &len, 512, &eb);
		if (mpmap_reader(&req.args, "records", &r, &eb) == 0 &&
		    mpr_array(&r, &n, 4096, "records", &eb) == 0) {
			for (uint32_t i = 0; i < n; i++) {
				const uint8_t *b;

				if (mpr_bin(&r, &b, &len, 1 << 20, "records",
				    &eb) != 0)
					break;
			}
		}
	}
	(void)ctl_reply_status(data, size, &eb);
	return 0;
}
