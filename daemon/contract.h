/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The contract control commands: contracts between this Amie and its
 * member structures, and the time logged against them (interventions),
 * month by month.  Both are private records (proto/private.h): their
 * bodies are sealed with this node's key before they are signed, so
 * other members store them as an encrypted copy and only this node reads
 * them.  A contract is the object ("contract", id) and its revisions; an
 * intervention is one record of kind "intervention" whose key is the
 * contract id.  Only this node's own contracts are ever listed, shown or
 * counted; those of other Amies are counted as held_encrypted.
 * docs/work.md says how months and balances are computed.
 */
#ifndef AMIE_DAEMON_CONTRACT_H
#define AMIE_DAEMON_CONTRACT_H

#include "daemon/control.h"

#define CONTRACT_ID_BYTES 16	/* random bytes of a new contract id */
#define CONTRACT_MONTHS_MAX 1200	/* --months */
#define CONTRACT_CURSOR_LEN (4 + 8 + 32)	/* contract.show's next */

/*
 * contract.add: member, minutes_per_month, start, and optional end or
 * months, renewal (default tacit), notice_months, fee_cents_per_month,
 * contact.  Reply: id, revision.
 */
int contract_handle_add(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* contract.edit: id and the fields of contract.add to change.  Writes a
 * revision that refs the one shown.  Reply: id, revision. */
int contract_handle_edit(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* contract.end: id, optional date (default today).  A revision with
 * status ended and that end date.  Reply: id, revision. */
int contract_handle_end(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * contract.list: optional active (bool) and expiring_days, optional after
 * (a contract id: the next of the page before).  Reply: contracts
 * (contact, end, fee_cents_per_month, id, member, minutes_per_month,
 * notice_months, renewal, start, status, updated) in contract id order,
 * as many as CTL_PAGE_MAX bytes hold; held_encrypted (records of other
 * Amies' contracts and interventions stored here, unreadable, counted
 * whole on every page); next (the id of the last one given) when more
 * follow.
 */
int contract_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * contract.show: id, optional after (CONTRACT_CURSOR_LEN bytes: the next
 * of the page before).  Reply: the fields of a list item, revision, and
 * interventions (date, id, kb, minutes, summary, tech) by date, then ts,
 * then id, as many as the rest of CTL_PAGE_MAX holds; next (the day
 * offset by 2^31 and the ts, both big endian, and the record id of the
 * last one given) when more follow.  AMIE_EPROTO for a cursor of another
 * length.
 */
int contract_handle_show(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * contract.log: id, minutes, summary, optional date (default today), tech
 * (a technician id or prefix), kb (array of article ids or prefixes).
 * Reply: id (the intervention's record id), contract.
 */
int contract_handle_log(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * contract.usage: optional id and month (YYYY-MM, default this month),
 * optional after (as contract.list).  Reply: month, usage: one map per
 * contract running that month (or the one named), in contract id order
 * and in pages as contract.list: id, member, minutes_per_month,
 * committed_minutes, used_minutes, balance_minutes, months,
 * total_committed_minutes, total_used_minutes, total_balance_minutes;
 * next (the id of the last one given) when more follow.
 */
int contract_handle_usage(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
