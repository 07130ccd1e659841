/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The control socket: a ZeroMQ ROUTER bound on ipc://DIR/amied.sock (mode
 * 0600) that answers the amie command line, one request (proto/ctl.h) and
 * one reply at a time.  A malformed request gets an error reply and
 * changes nothing; the daemon carries on.
 */
#ifndef AMIE_DAEMON_CONTROL_H
#define AMIE_DAEMON_CONTROL_H

#include "daemon/node.h"
#include "proto/ctl.h"
#include "proto/errbuf.h"
#include "proto/mp.h"

struct control;

/*
 * A command handler: read the arguments in req, write the reply fields
 * (one map) to reply, or return an AMIE_E* code with the reason in eb (the
 * reply is then discarded and an error reply sent).
 */
typedef int (*control_fn)(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * Bind the control socket of node n with the ZeroMQ context zctx.
 * Returns 0 and sets *out, or AMIE_ECONFIG / AMIE_EIO.
 */
int control_open(struct control **out, void *zctx, struct node *n,
    struct errbuf *eb);

/* Close the socket, remove its file and set *c to NULL. */
void control_close(struct control **c);

/* The ZeroMQ socket, for zmq_poll(). */
void *control_socket(struct control *c);

/* Answer every request waiting on the socket, without blocking. */
void control_serve(struct control *c);

/* The handler for cmd, or NULL (tests and tools use it). */
control_fn control_lookup(const char *cmd);

/*
 * A handler that cannot answer at once (sync --wait, join) calls
 * control_defer() to keep the caller waiting, returns CONTROL_DEFERRED,
 * and later answers once with control_reply_later().
 */
#define CONTROL_DEFERRED (-1)
struct control_ticket;

/* Only inside a handler: a ticket for the request being handled. */
struct control_ticket *control_defer(struct control *c);

/*
 * Answer the deferred request of *t with reply (a map), or with the
 * error in eb when reply is NULL; free the ticket and set *t to NULL.
 */
void control_reply_later(struct control *c, struct control_ticket **t,
    const struct mpw *reply, const struct errbuf *eb);

/*
 * Pages (docs/protocol.md, Pages): a list written into an mpw opened
 * with CTL_PAGE_MAX stops at the first item that does not fit, and the
 * reply says where the next page starts ("next").
 */
#define CONTROL_PAGE_FULL (-2)	/* from a listing callback: stop there */

/* The request's optional "after" when it is an object key: the next of
 * the page before, "" when absent. */
int control_page_after_key(const struct ctl_request *req,
    char after[RECORD_KEY_MAX + 1], struct errbuf *eb);

/* Close the item written from mark on in w: 0 when it fit; past the
 * page, take it back, set *more and return CONTROL_PAGE_FULL. */
int control_page_item(struct mpw *w, size_t mark, int *more);

#endif
