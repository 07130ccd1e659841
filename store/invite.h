/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Invites this node issued.  Only a hash of each one-time secret is kept
 * (the code holds the secret), with its expiry and the uses left.  An
 * invite is pending while it has uses left and has not expired; while one
 * is, the transport lets unknown keys through the handshake to send JOIN.
 */
#ifndef AMIE_STORE_INVITE_H
#define AMIE_STORE_INVITE_H

#include <stdint.h>

#include "proto/errbuf.h"
#include "store/store.h"

#define INVITE_USES_MAX 100

/* Record an invite.  Returns 0 or AMIE_EIO. */
int invite_add(struct store *st, const uint8_t secret_hash[32],
    uint64_t expiry_ms, uint32_t uses, struct errbuf *eb);

/*
 * Spend one use of the invite whose secret hashes to secret_hash.
 * Returns 0, or AMIE_EREFUSED with "invite: unknown secret", "invite:
 * expired" or "invite: already used", or AMIE_EIO.
 */
int invite_use(struct store *st, const uint8_t secret_hash[32],
    uint64_t now_ms, struct errbuf *eb);

/* 1 while some invite has uses left and has not expired at now_ms. */
int invite_pending(struct store *st, uint64_t now_ms);

/*
 * Forget every invite (a restore: one used after the backup was taken
 * would work again); *count gets how many there were.  Returns 0 or
 * AMIE_EIO.
 */
int invite_forget_all(struct store *st, size_t *count, struct errbuf *eb);

#endif
