/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Reloading amied.conf while amied runs, on SIGHUP or `amie daemon
 * reload`.  A configuration with an error changes nothing: the running
 * one stays and the error (file and line) is logged and returned.
 * Otherwise every changed key takes effect at once (log level, sync
 * interval, peer limit, rate limits, name, region, contact, advertised
 * endpoint: a new node.info is published when one of the last four
 * changed), except listen, which keeps its running value until the next
 * start.  Each change is logged.  systemd is told RELOADING=1, then
 * READY=1.
 */
#ifndef AMIE_DAEMON_RELOAD_H
#define AMIE_DAEMON_RELOAD_H

#include "daemon/control.h"
#include "daemon/node.h"
#include "proto/errbuf.h"
#include "proto/mp.h"

/*
 * Reload the configuration of n.  When reply is not NULL, write to it
 * the map {"changed": [{"key", "old", "new", "restart"}...], "file"}.
 * Returns 0, or AMIE_ECONFIG / AMIE_EPERM / AMIE_EIO with the reason in
 * eb, n unchanged.
 */
int reload_run(struct node *n, struct mpw *reply, struct errbuf *eb);

/* The control request "daemon.reload": reload_run() with a reply. */
int reload_handle(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
