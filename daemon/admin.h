/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Control commands that look after the store itself: "check" (store
 * verification, store/check.h) and "backup" (a hot copy).  Both only read
 * the store, each through one read transaction on a thread of its own,
 * while the daemon goes on.
 */
#ifndef AMIE_DAEMON_ADMIN_H
#define AMIE_DAEMON_ADMIN_H

#include "daemon/control.h"

#define ADMIN_PROBLEMS_MAX 200 /* problems listed in a reply */

/*
 * "check": no arguments.  The check runs on a thread of its own
 * (store/task.h), and admin_tick() answers once it is over: records,
 * items, objects, articles, members (what was looked at),
 * problems_total, and problems, the first ADMIN_PROBLEMS_MAX of them as
 * maps {db, message}.  Returns CONTROL_DEFERRED, or AMIE_EAGAIN (another
 * check under way); later AMIE_EIO when the store could not be read.
 */
int admin_handle_check(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * "backup": path (absolute; written by the daemon, so a directory its
 * user may write, outside the node's directory), force (optional bool:
 * replace an existing file).  The copy is written on a thread of its
 * own (store/task.h), and answered by admin_tick() once done: reply
 * path, bytes.  Returns CONTROL_DEFERRED, AMIE_EUSAGE (relative path,
 * or one in the node's directory), AMIE_EAGAIN (another backup is being
 * written) or AMIE_EIO; later AMIE_EUSAGE (the file exists), AMIE_EPERM
 * or AMIE_EIO.
 */
int admin_handle_backup(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* Answer amie check and amie backup once they are over; with wait, wait
 * for them (before the store closes). */
void admin_tick(struct node *n, int wait);

#define ADMIN_SKEW_MS		60000	/* a member's records this far ahead */
#define ADMIN_SKEW_MAX		64	/* members listed in clock */

/*
 * "doctor": no arguments.  Reply: listen, advertise (the configured
 * endpoints), map_bytes, used_bytes, max_bytes (the LMDB map), readers_used,
 * readers_max, stale_cleared (reader slots of dead processes freed now),
 * and clock: the members whose latest record is dated more than
 * ADMIN_SKEW_MS ahead of this machine's clock (this node itself: more
 * than 1 s), as maps {ahead_ms, id, name, self}.  A clock behind ours
 * shows nothing here; the peers' clocks, from the nonce of their PINGs,
 * are in "peers" (clock_skew_ms), which amie doctor reads too.
 */
int admin_handle_doctor(struct node *n, const struct ctl_request *req,
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
