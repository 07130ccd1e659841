/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Swaps and the time bank.  An Amie short of a technician writes a
 * swap.request (key: a new request id); another Amie answers with a
 * swap.offer of one of its technicians (key: the request id, refs: the
 * request); the requester accepts one offer (swap.accept, refs: the
 * offer) and, once the work is over, confirms the time actually given
 * (swap.done, refs: the accept).  Offers, accepts and dones are named by
 * their record ids.
 *
 * The ledger counts, for each pair of Amies, the minutes each lent the
 * other, from the first swap.done of each request (order: ts, then id),
 * so every node that holds the same records shows the same ledger.
 * docs/work.md states the sign conventions.
 */
#ifndef AMIE_DAEMON_SWAP_H
#define AMIE_DAEMON_SWAP_H

#include "daemon/control.h"

#define SWAP_LEDGER_CURSOR_LEN 64	/* swap.ledger's next: two keys */

#define SWAP_ID_BYTES 8		/* random bytes of a new request id */
#define SWAP_OFFERS_SHOWN 32	/* offers listed per request */

/* swap.request: skills (array), from, to, minutes, optional region and
 * note.  Reply: id, revision. */
int swap_handle_request(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* swap.offer: request (id or prefix), tech (one of this Amie's), minutes,
 * optional note.  Reply: id (the offer), request. */
int swap_handle_offer(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* swap.accept: offer (record id or prefix).  Only on this Amie's own
 * request, once.  Reply: id (the accept), request. */
int swap_handle_accept(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* swap.done: request, minutes.  Only the requester, after an accept,
 * once.  Reply: id (the done), request. */
int swap_handle_done(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * swap.list: optional open (bool: only requests with no accepted
 * offer), optional after (a request id: the next of the page before).
 * Reply: requests: accepted (offer id or ""), amie, from, given_minutes,
 * id, minutes, note, offers (amie, id, minutes, note, tech), region,
 * skills, state (open, accepted, done), to, by id, as many as
 * CTL_PAGE_MAX bytes hold; more: the requests after this page; next (the
 * id of the last one given) when more follow.
 */
int swap_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * swap.ledger: optional after (SWAP_LEDGER_CURSOR_LEN bytes: the next of
 * the page before).  Reply: pairs, one per pair of Amies that swapped,
 * by keys: amie, other (node ids, amie's key sorting first),
 * lent_minutes (amie to other), borrowed_minutes (other to amie),
 * balance_minutes (lent - borrowed: what other owes amie), swaps; as
 * many as CTL_PAGE_MAX bytes hold; next (the public keys of amie and
 * other of the last pair given) when more follow.  AMIE_EPROTO for a
 * cursor of another length.
 */
int swap_handle_ledger(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
