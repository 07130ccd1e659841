/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The "members" and "member.remove" control commands. */
#ifndef AMIE_DAEMON_MEMBERS_H
#define AMIE_DAEMON_MEMBERS_H

#include "daemon/control.h"

/*
 * Request: optional after (a cursor: the next of the page before).
 * Reply: members, an array of maps with id (node id), name, region,
 * endpoint, state ("current", "pending", "removed"), founder (bool),
 * signers, reason (of a removal), self (bool), safety_code (the 6 digits
 * to compare by phone with this node), in public key order, as many as
 * CTL_PAGE_MAX bytes hold; and next (the public key of the last one
 * given, 32 bytes) when more follow.  AMIE_EPROTO for a cursor of
 * another length.
 */
int members_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * Request: id (a node id or a unique prefix of 4 or more characters),
 * reason ("retired" or "compromised").  Signs a member.remove effective
 * now.  Reply: id, revision.
 */
int members_handle_remove(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
