/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Federation membership, computed from records (DESIGN.md section 4), so
 * every node that holds the same records agrees on it.
 *
 * - The charter's founder is a member from the charter on.
 * - A key becomes a member once admit_quorum distinct members have
 *   signed a member.add for it (record key: the member's public key in
 *   lowercase hex; body: name, region, endpoint, contact, invited_by).
 * - A member.remove (body: reason "retired" or "compromised",
 *   effective_from in ms) counts once remove_quorum distinct members
 *   signed one, or at once when the member removes itself.  From then on,
 *   records by that key with ts >= effective_from are refused, and those
 *   already stored are taken out of the item set (so they are no longer
 *   served, and every node's set converges without them) and out of
 *   queries.  A removal reaching back before its own ts voids what the
 *   removed key signed from effective_from on, and what that made
 *   (members it admitted, their records), whatever order they came in.
 * - node.info (key "", body: name, region, endpoints, contact) is written
 *   by a member about itself; the latest one (by ts) describes it.
 */
#ifndef AMIE_STORE_MEMBER_H
#define AMIE_STORE_MEMBER_H

#include <stdint.h>

#include "proto/body.h"
#include "proto/record.h"
#include "store/store.h"

#define MEMBER_ENDPOINTS_MAX 4

enum member_state {
	MEMBER_PENDING = 1,	/* some member.add, quorum not reached */
	MEMBER_CURRENT,
	MEMBER_REMOVED
};

struct member_info {
	uint8_t key[RECORD_KEY_LEN];
	enum member_state state;
	uint32_t signers;		/* distinct members who admitted it */
	int founder;
	uint64_t admitted_ts;		/* ts of the admitting member.add */
	uint64_t removed_from;		/* effective_from, if removed */
	char reason[16];		/* "retired", "compromised" or "" */
	char name[BODY_NAME_MAX + 1];
	char region[BODY_NAME_MAX + 1];
	char contact[BODY_NAME_MAX + 1];
	uint32_t endpoints_count;
	char endpoints[MEMBER_ENDPOINTS_MAX][BODY_ENDPOINT_MAX + 1];
	uint8_t invited_by[RECORD_KEY_LEN];
};

/* 1 when key is a current member of the stored federation (for ZAP and
 * each message from a peer), else 0. */
int member_is_current(struct store *st, const uint8_t key[RECORD_KEY_LEN]);

/* Fill out for key.  Returns 0, AMIE_ENOTFOUND or AMIE_EIO. */
int member_get(struct store *st, const uint8_t key[RECORD_KEY_LEN],
    struct member_info *out, struct errbuf *eb);

/*
 * Call fn for every key that is or was a member or was proposed, in key
 * order.  fn returns 0 to go on; another value stops and is returned.
 */
typedef int (*member_fn)(void *ctx, const struct member_info *m);
int member_list(struct store *st, member_fn fn, void *ctx, struct errbuf *eb);

/* member_list() from the first key after after (RECORD_KEY_LEN bytes,
 * whether a member's or not) on; NULL: from the first. */
int member_list_after(struct store *st, const uint8_t *after, member_fn fn,
    void *ctx, struct errbuf *eb);

/* Current members. */
uint64_t member_count(struct store *st);

/*
 * The encoded records that make up the federation's membership: the
 * charter, every member.add, member.remove and node.info, in ts order,
 * for a node that joins.  Calls fn(ctx, buf, len) for each.
 */
typedef int (*member_record_fn)(void *ctx, const uint8_t *buf, size_t len);
int member_records(struct store *st, member_record_fn fn, void *ctx,
    struct errbuf *eb);

#endif
