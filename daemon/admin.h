/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Control commands that look after the store itself: "check" (store
 * verification, store/check.h) and "backup" (a hot copy).  Both only read
 * the store; a check holds one read transaction for its whole length.
 */
#ifndef AMIE_DAEMON_ADMIN_H
#define AMIE_DAEMON_ADMIN_H

#include "daemon/control.h"

#define ADMIN_PROBLEMS_MAX 200 /* problems listed in a reply */

/*
 * "check": no arguments.  Reply: records, items, objects, articles,
 * members (what was looked at), problems_total, and problems, the first
 * ADMIN_PROBLEMS_MAX of them as maps {db, message}.  Returns 0 whatever
 * was found, AMIE_EIO when the store could not be read.
 */
int admin_handle_check(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
