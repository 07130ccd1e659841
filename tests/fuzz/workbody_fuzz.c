/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the work body decoders: contract, intervention, tech and the swap
 * records.  Whatever one accepts must encode back to the same bytes
 * when it holds only the fields the encoder writes. */
#include <stdlib.h>
#include <string.h>

#include "proto/workbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* w must hold exactly the input when the input has every field. */
static void
workbody_fuzz_same(struct mpw *w, const uint8_t *data, size_t size,
    uint32_t fields)
{
	struct mpmap m;

	if (mpmap_decode(&m, data, size, "fuzz", NULL) == 0 &&
	    m.count == fields && (w->len != size ||
	    memcmp(w->buf, data, size) != 0))
		abort();
	mpw_reset(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct workbody_contract c;
	struct workbody_intervention iv;
	struct workbody_tech t;
	struct workbody_swap_request rq;
	struct workbody_swap_offer of;
	struct workbody_swap_done dn;
	struct mpw w;

	mpw_init(&w, RECORD_BODY_MAX + 1024);
	if (workbody_contract_decode(&c, data, size, NULL) == 0) {
		workbody_contract_encode(&c, &w);
		workbody_fuzz_same(&w, data, size, 9);
	}
	if (workbody_intervention_decode(&iv, data, size, NULL) == 0) {
		workbody_intervention_encode(&iv, &w);
		workbody_fuzz_same(&w, data, size, 5);
	}
	if (workbody_tech_decode(&t, data, size, NULL) == 0) {
		workbody_tech_encode(&t, &w);
		workbody_fuzz_same(&w, data, size, 5);
	}
	if (workbody_swap_request_decode(&rq, data, size, NULL) == 0) {
		workbody_swap_request_encode(&rq, &w);
		workbody_fuzz_same(&w, data, size, 6);
	}
	if (workbody_swap_offer_decode(&of, data, size, NULL) == 0) {
		workbody_swap_offer_encode(&of, &w);
		workbody_fuzz_same(&w, data, size, 3);
	}
	if (workbody_swap_done_decode(&dn, data, size, NULL) == 0) {
		workbody_swap_done_encode(&dn, &w);
		workbody_fuzz_same(&w, data, size, 1);
	}
	(void)workbody_swap_accept_decode(data, size, NULL);
	mpw_release(&w);
	return 0;
}
