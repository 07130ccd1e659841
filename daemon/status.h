/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The "status" control command: who this node is and what it holds. */
#ifndef AMIE_DAEMON_STATUS_H
#define AMIE_DAEMON_STATUS_H

#include "daemon/control.h"

/*
 * Reply: node_id, name, region, federation ("" before one), network_id
 * (hex, "" before one), members, peers_connected, records, disk_bytes,
 * version.
 */
int status_handle(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
