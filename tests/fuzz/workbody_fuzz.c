/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the work body decoders: contract, intervention, tech and the swap
 * records.  Whatever one accepts encodes to a body that it accepts again
 * and that encodes to the same bytes (fields it does not know are
 * dropped on the way). */
#include <stdlib.h>
#include <string.h>

#include "proto/workbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WORKBODY_FUZZ_AGAIN(type, dec, enc)				\
	do {								\
		type again_;						\
		struct mpw w2_;						\
									\
		mpw_init(&w2_, RECORD_BODY_MAX + 1024);			\
		if (dec(&again_, w.buf, w.len, NULL) != 0)		\
			abort();					\
		enc(&again_, &w2_);					\
		if (w2_.len != w.len || memcmp(w2_.buf, w.buf, w.len))	\
			abort();					\
		mpw_release(&w2_);					\
		mpw_reset(&w);						\
	} while (0)

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
		WORKBODY_FUZZ_AGAIN(struct workbody_contract,
		    workbody_contract_decode, workbody_contract_encode);
	}
	if (workbody_intervention_decode(&iv, data, size, NULL) == 0) {
		workbody_intervention_encode(&iv, &w);
		WORKBODY_FUZZ_AGAIN(struct workbody_intervention,
		    workbody_intervention_decode,
		    workbody_intervention_encode);
	}
	if (workbody_tech_decode(&t, data, size, NULL) == 0) {
		workbody_tech_encode(&t, &w);
		WORKBODY_FUZZ_AGAIN(struct workbody_tech, workbody_tech_decode,
		    workbody_tech_encode);
	}
	if (workbody_swap_request_decode(&rq, data, size, NULL) == 0) {
		workbody_swap_request_encode(&rq, &w);
		WORKBODY_FUZZ_AGAIN(struct workbody_swap_request,
		    workbody_swap_request_decode,
		    workbody_swap_request_encode);
	}
	if (workbody_swap_offer_decode(&of, data, size, NULL) == 0) {
		workbody_swap_offer_encode(&of, &w);
		WORKBODY_FUZZ_AGAIN(struct workbody_swap_offer,
		    workbody_swap_offer_decode, workbody_swap_offer_encode);
	}
	if (workbody_swap_done_decode(&dn, data, size, NULL) == 0) {
		workbody_swap_done_encode(&dn, &w);
		WORKBODY_FUZZ_AGAIN(struct workbody_swap_done,
		    workbody_swap_done_decode, workbody_swap_done_encode);
	}
	(void)workbody_swap_accept_decode(data, size, NULL);
	mpw_release(&w);
	return 0;
}
