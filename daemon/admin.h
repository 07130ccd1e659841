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

/*
 * "backup": path (absolute; written by the daemon, so a directory its
 * user may write), force (optional bool: replace an existing file).
 * Reply: path, bytes.  Returns 0, AMIE_EUSAGE (relative path, or the file
 * exists), AMIE_EPERM or AMIE_EIO.
 */
int admin_handle_backup(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * `amied --restore FILE [--force]`, run by `amie restore` on a stopped
 * node: take the node's lock (refused while amied runs), then
 * backup_restore() the store of dir from file, checked against the
 * federation of the current store (or of DIR/charter.amie, or the
 * membership of this node's key).  Prints what it did on stderr and
 * returns the exit status (0, 64, 65, 75, 77, 78).
 */
int admin_restore_main(const char *dir, const char *file, int force);

#endif
