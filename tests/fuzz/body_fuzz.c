/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the record body decoders: charter, kb, member.add, member.remove,
 * node.info, tombstone.  Each must accept or refuse any bytes without a
 * crash, a read out of bounds or undefined behaviour. */
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
	struct body_tombstone tb;

	(void)body_charter_decode(&c, data, size, NULL);
	(void)body_kb_decode(&k, data, size, NULL);
	(void)body_member_add_decode(&ma, data, size, NULL);
	(void)body_member_remove_decode(&mr, data, size, NULL);
	(void)body_node_info_decode(&ni, data, size, NULL);
	(void)body_tombstone_decode(&tb, data, size, NULL);
	return 0;
}
