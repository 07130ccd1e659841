/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Negentropy protocol V1 (protocol byte 0x61): range-based set
 * reconciliation of (timestamp, id) items, byte-compatible with the
 * upstream reference (hoytech/negentropy, docs/negentropy-protocol-v1.md).
 *
 * Two sides hold sets of items ordered by (timestamp, id bytes).  The
 * client (initiator) calls neg_initiate() and sends the message; the server
 * answers each client message with neg_reconcile_server(); the client feeds
 * each answer to neg_reconcile_client(), which reports the ids the client
 * has and the server lacks ("have") and the ids the server has and the
 * client lacks ("need"), and produces the next message, until it says done.
 *
 * Wire format: the version byte, then ranges, each an upper bound, a mode
 * varint and a payload: Skip (nothing), Fingerprint (16 bytes) or IdList
 * (a varint count and that many 32-byte ids).  A bound is a timestamp
 * delta-encoded against the previous bound of the same message (0 means
 * infinity, otherwise delta + 1) and the shortest id prefix that separates
 * two adjacent items.  The fingerprint of a range is the first 16 bytes of
 * SHA-256(sum of its ids as 256-bit little-endian integers mod 2^256 ||
 * varint(count)).
 *
 * The choices left open by the spec are those of the reference, so that the
 * messages match it byte for byte: a range of under 32 items is sent as an
 * IdList, a larger one is split into 16 Fingerprint buckets whose first
 * n % 16 get one extra item, split bounds are minimal, consecutive matched
 * or skipped ranges merge into one Skip and trailing Skips are omitted, the
 * server answers an IdList with its own ids for that range and the client
 * answers one with nothing.  With a frame size limit, ranges stop being
 * added once the message would pass limit - 200 bytes, and a Fingerprint of
 * everything after the last range, bounded by infinity, ends the message.
 *
 * This module is pure: no I/O, no clock, no global state.  It never trusts
 * a count from a message: each is checked against the bytes left and a
 * named limit before anything is allocated, and it never asserts on input.
 * Items live behind struct neg_storage, so that the store can answer range
 * sums from accumulators in O(log n); struct neg_vector is a sorted array
 * for tests and small sets.  One struct neg is one session on one thread.
 */
#ifndef AMIE_PROTO_NEGENTROPY_H
#define AMIE_PROTO_NEGENTROPY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define NEG_VERSION 0x61		/* protocol V1 */
#define NEG_ID_LEN 32			/* bytes in an item id */
#define NEG_FP_LEN 16			/* bytes in a range fingerprint */
#define NEG_VARINT_MAX 10		/* bytes in the longest varint */
#define NEG_TS_INFINITY UINT64_MAX	/* the timestamp of the last bound */
#define NEG_MSG_MAX (1024 * 1024)	/* bytes in a message, in or out */
#define NEG_IDLIST_MAX (NEG_MSG_MAX / NEG_ID_LEN) /* ids in one IdList */
#define NEG_FRAME_MIN 4096		/* smallest non-zero frame limit */
#define NEG_FRAME_MAX NEG_MSG_MAX	/* largest frame limit */
#define NEG_BUCKETS 16			/* Fingerprint ranges per split */
#define NEG_IDLIST_BELOW (2 * NEG_BUCKETS) /* ranges this small: IdList */

/*
 * The short-ids extension (NEG_EXT_SHORT_IDS), used on a session only when
 * both peers announced it (the daemon's HELLO feature "neg-short-ids");
 * without it every message is plain V1.  A small range (under
 * NEG_IDLIST_BELOW items) is no longer sent as an IdList of 32-byte ids:
 *
 * - the client sends a PrefixList: a varint count (under
 *   NEG_IDLIST_BELOW), a varint prefix length p (1 to NEG_ID_LEN, the
 *   client uses NEG_PREFIX_LEN) and count prefixes of p bytes, its ids in
 *   order;
 * - the server, which cannot use prefixes to tell the client its ids,
 *   sends a ListRequest (no payload) asking for the client's PrefixList,
 *   or a plain IdList when it has no item in the range;
 * - the server answers a PrefixList with a PrefixReply: a varint m and m
 *   varints, the positions in the list of the prefixes it has no item for
 *   (each as the gap after the previous one), a varint k and its k ids
 *   matching no prefix (32 bytes each), and the Fingerprint of its items
 *   that matched a prefix.  With NEG_IDLIST_BELOW items or more in the
 *   range it splits the range instead, as for a Fingerprint.
 *
 * Every Fingerprint of the session, in any mode, is its first
 * NEG_FP_SHORT_LEN bytes.
 *
 * Collision fallback: when a prefix is listed twice or matches two of the
 * server's items, the server answers with a plain IdList of its ids (V1);
 * when a prefix matched an item that is not the client's (two ids sharing
 * a prefix, one on each side), the Fingerprint of the matched items
 * differs from the client's, and the client sends a plain IdList of the
 * range, answered in V1 fashion.  Only then can an id already reported be
 * reported again.
 */
#define NEG_EXT_SHORT_IDS 0x1u		/* extension flag */
#define NEG_PREFIX_LEN 3		/* bytes of id in a PrefixList */
#define NEG_FP_SHORT_LEN 8		/* bytes of a Fingerprint with it */

/*
 * The content-splits extension (NEG_EXT_CONTENT_SPLITS, HELLO feature
 * "neg-content-splits") changes no byte of the wire format, only where a
 * side that splits a range puts the bounds; both peers must announce it so
 * that a session is the same whichever side splits.  An item's level is
 * the number of trailing zero nibbles of its id (the low nibble of the
 * last byte first), at most NEG_LEVEL_MAX: a level-L item is one in 16^L.
 * A range [begin, end) of NEG_IDLIST_BELOW items or more is split before
 * each of its items in (begin, end) of level L or more, for the highest L
 * at which there are at least NEG_SPLIT_MIN of them; only the first
 * NEG_SPLIT_MAX count, and with fewer than NEG_SPLIT_MIN at every level
 * the range is split in NEG_BUCKETS as in V1.  When L is 1, each piece
 * of NEG_IDLIST_BELOW to 4 * NEG_IDLIST_BELOW - 1 items is cut again, by
 * count, into s / (NEG_IDLIST_BELOW / 2) pieces (s its size, the first
 * pieces one item longer), so that it needs no further round: level-1
 * pieces have 16 items on average but one in eight has 32 or more.  Under
 * a frame limit, a split that might not fit in the rest of the message
 * (64 bytes a piece) is done in NEG_BUCKETS too, so that any split fits
 * in a message of its own.  The bounds are then mostly items both sides
 * hold where their sets agree, on which a store can keep its accumulators
 * (store/itemset.h), so that a range's fingerprint costs it a few reads,
 * not a descent to the items.
 */
#define NEG_EXT_CONTENT_SPLITS 0x2u	/* extension flag */
#define NEG_LEVEL_MAX 6			/* levels of an item, at most */
#define NEG_SPLIT_MIN 4			/* split points at a level, at least */
#define NEG_SPLIT_MAX 128		/* split points of a range, at most */

/* Range modes on the wire; 3 to 5 only with NEG_EXT_SHORT_IDS. */
enum neg_mode {
	NEG_MODE_SKIP = 0,
	NEG_MODE_FINGERPRINT = 1,
	NEG_MODE_IDLIST = 2,
	NEG_MODE_PREFIXLIST = 3,
	NEG_MODE_PREFIXREPLY = 4,
	NEG_MODE_LISTREQUEST = 5
};

/* One item of a set.  Items are ordered by ts, then id bytes. */
struct neg_item {
	uint64_t ts;
	uint8_t id[NEG_ID_LEN];
};

/*
 * An upper bound between items: timestamp ts and the first id_len bytes of
 * an id, the remaining bytes of id being zero.  It compares as the item
 * (ts, id); infinity is ts NEG_TS_INFINITY with id_len 0.
 */
struct neg_bound {
	uint64_t ts;
	size_t id_len;
	uint8_t id[NEG_ID_LEN];
};

/*
 * A set of items, sorted by (ts, id) and without duplicates, seen through
 * indexes 0 .. count - 1.  It must not change while a call of this module
 * runs.  Each function returns 0, or an AMIE_E* code with a message in eb,
 * which the calling neg_* function returns unchanged.  ctx is passed
 * through.
 *
 * size: set *count to the number of items.
 * item: copy the item at index (< count) to *out.
 * lower_bound: set *index to the first index in [begin, end) whose item is
 *   not less than bound, or end if there is none.
 * sum: set sum to the sum of the ids at [begin, end) as 256-bit
 *   little-endian integers mod 2^256 (neg_sum_add()); zero when begin ==
 *   end.  A store keeps per-range sums so that this costs O(log n).
 * splits: NULL, or set *n and at[0 .. *n - 1] to the points of [begin,
 *   end) where its items of level *level or more are, for the level that
 *   NEG_EXT_CONTENT_SPLITS chooses, in order (*n is 0 when the range is
 *   split in NEG_BUCKETS); negentropy.c cuts the level-1 pieces again.
 */
struct neg_storage {
	void *ctx;
	int (*size)(void *ctx, size_t *count, struct errbuf *eb);
	int (*item)(void *ctx, size_t index, struct neg_item *out,
	    struct errbuf *eb);
	int (*lower_bound)(void *ctx, size_t begin, size_t end,
	    const struct neg_bound *bound, size_t *index, struct errbuf *eb);
	int (*sum)(void *ctx, size_t begin, size_t end, uint8_t sum[NEG_ID_LEN],
	    struct errbuf *eb);
	int (*splits)(void *ctx, size_t begin, size_t end,
	    size_t at[NEG_SPLIT_MAX], size_t *n, unsigned *level,
	    struct errbuf *eb);
};

/*
 * A growable output buffer with a maximum of NEG_MSG_MAX bytes plus a
 * little slack for the range that is dropped when a frame limit is
 * reached.  data (len bytes) is owned by the buffer and valid until the
 * next call that writes to it or neg_buf_release().
 */
struct neg_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

struct neg_slot;

/* One reconciliation session, embedded by its owner. */
struct neg {
	const struct neg_storage *storage;
	size_t frame_limit;		/* 0, or NEG_FRAME_MIN .. _MAX */
	int is_initiator;
	uint64_t last_ts_in;		/* delta state of the message read */
	uint64_t last_ts_out;		/* delta state of the message written */
	struct neg_slot *slots;		/* scratch for a received IdList */
	size_t slots_cap;
	unsigned ext;			/* NEG_EXT_* in use, 0 for V1 */
};

/*
 * A sorted array of items implementing struct neg_storage, for tests and
 * small sets; sum() adds linearly.  Items are added, then sealed.
 */
struct neg_vector {
	struct neg_item *items;
	size_t count;
	size_t cap;
	size_t max_count;
	int sealed;
};

/* Make b empty.  Nothing is allocated until something is written. */
void neg_buf_init(struct neg_buf *b);

/* Free the memory of b and make it empty; b may be reused. */
void neg_buf_release(struct neg_buf *b);

/*
 * Write v as a varint (base 128, most significant digit first, high bit on
 * every byte but the last) into out.  Returns the byte count, 1 to
 * NEG_VARINT_MAX.
 */
size_t neg_varint_encode(uint64_t v, uint8_t out[NEG_VARINT_MAX]);

/*
 * Read a varint from the len bytes at p into *v and its byte count into
 * *used.  Returns 0, or AMIE_EPROTO when it is truncated, longer than
 * NEG_VARINT_MAX bytes or over 2^64 - 1; then *v and *used are untouched.
 */
int neg_varint_decode(const uint8_t *p, size_t len, uint64_t *v,
    size_t *used, struct errbuf *eb);

/*
 * Append the encoding of bound to b: its timestamp as a delta against
 * *last_ts (which it then updates, as for a bound of the same message),
 * the prefix length and the prefix.  Returns 0 or AMIE_ELIMIT when b is
 * full.
 */
int neg_bound_encode(struct neg_buf *b, uint64_t *last_ts,
    const struct neg_bound *bound, struct errbuf *eb);

/*
 * Read a bound from the len bytes at p into *bound, its byte count into
 * *used, updating *last_ts as neg_bound_encode() does; a timestamp past
 * 2^64 - 1 saturates to infinity.  Returns 0, or AMIE_EPROTO when it is
 * truncated or has a prefix over NEG_ID_LEN bytes.
 */
int neg_bound_decode(const uint8_t *p, size_t len, uint64_t *last_ts,
    struct neg_bound *bound, size_t *used, struct errbuf *eb);

/*
 * Set *bound to the shortest bound that is above prev and not above curr,
 * where prev < curr: curr's timestamp alone if the timestamps differ, else
 * the prefix of curr's id one byte longer than the prefix both ids share.
 */
void neg_bound_minimal(const struct neg_item *prev,
    const struct neg_item *curr, struct neg_bound *bound);

/* The level of an item with this id (NEG_EXT_CONTENT_SPLITS). */
unsigned neg_level(const uint8_t id[NEG_ID_LEN]);

/* Add the 256-bit little-endian integer id to sum, mod 2^256. */
void neg_sum_add(uint8_t sum[NEG_ID_LEN], const uint8_t id[NEG_ID_LEN]);

/* Subtract the 256-bit little-endian integer id from sum, mod 2^256. */
void neg_sum_sub(uint8_t sum[NEG_ID_LEN], const uint8_t id[NEG_ID_LEN]);

/* Set fp to the fingerprint of count items whose ids sum to sum. */
void neg_fingerprint(const uint8_t sum[NEG_ID_LEN], uint64_t count,
    uint8_t fp[NEG_FP_LEN]);

/*
 * Start a session over storage s, which must outlive n, with a frame size
 * limit in bytes (0 for none; then messages are bounded by NEG_MSG_MAX
 * only, and a reply that would pass it fails).  Returns 0, or AMIE_ELIMIT
 * for a limit of 1 .. NEG_FRAME_MIN - 1 or over NEG_FRAME_MAX; then n is
 * not initialised.  Release n with neg_release().
 */
int neg_init(struct neg *n, const struct neg_storage *s, size_t frame_limit,
    struct errbuf *eb);

/*
 * Use the extensions ext (NEG_EXT_* flags; 0 is plain V1, the default) on
 * session n, before its first message; both sides must agree.  With an
 * extension, modes it adds are accepted and used; without, they are
 * AMIE_EPROTO as any unknown mode.
 */
void neg_set_extensions(struct neg *n, unsigned ext);

/* Free the scratch memory of n.  n must be initialised again to be used. */
void neg_release(struct neg *n);

/*
 * Make n the client and write its first message into out (replacing what
 * out held).  Returns 0, AMIE_EUSAGE if n has already initiated, or the
 * code of a storage failure or of AMIE_ELIMIT for a message over
 * NEG_MSG_MAX; on failure out->len is 0.
 */
int neg_initiate(struct neg *n, struct neg_buf *out, struct errbuf *eb);

/*
 * Make n the client of a session that goes on from where an earlier one
 * stopped: msg (len bytes) is the message neg_reconcile_client() wrote in
 * that session, with the same extensions, and that was not sent; the
 * caller sends it now in place of neg_initiate()'s.  What the earlier
 * session settled is skipped in it, so the new one settles only the rest,
 * over the sets as they are now (a range that changed meanwhile costs a
 * round more, nothing is missed).  Returns 0, AMIE_EUSAGE if n has
 * already initiated, or AMIE_EPROTO if msg is not a message of this
 * version of at most NEG_MSG_MAX bytes.
 */
int neg_continue(struct neg *n, const uint8_t *msg, size_t len,
    struct errbuf *eb);

/*
 * As the server, answer the client message of len bytes at msg, writing
 * the reply into out (replacing what out held); the reply is always sent,
 * even when it is only the version byte.  A message of an unsupported
 * version 0x60 .. 0x6f other than 0x61 is answered with the version byte
 * alone.  Returns 0, AMIE_EPROTO for a malformed message (truncated, bad
 * version byte, long varint, prefix over 32 bytes, unknown mode),
 * AMIE_ELIMIT for a message or reply over NEG_MSG_MAX or an IdList over
 * NEG_IDLIST_MAX, AMIE_EUSAGE if n is the client, or the code of a storage
 * failure; on failure out->len is 0 and the session should be dropped.
 */
int neg_reconcile_server(struct neg *n, const uint8_t *msg, size_t len,
    struct neg_buf *out, struct errbuf *eb);

/*
 * As the client, read the server reply of len bytes at msg, report each
 * have and need id it reveals, and write the next message into out
 * (replacing what out held).  on_id(ctx, have, id, eb) is called once for
 * each id learnt, in no meaningful order: have is 1 for an id the client
 * has and the server lacks, 0 for one the server has and the client lacks;
 * id is borrowed for the call; on_id returns 0 to go on, or an AMIE_E*
 * code (with a message in eb) that stops the reconciliation and is
 * returned by it.  When there is nothing more to send, *done is 1 and
 * out->len is 0; otherwise *done is 0 and out is to be sent.  Returns 0,
 * AMIE_EPROTO for a malformed reply or one of another version, AMIE_ELIMIT
 * as for neg_reconcile_server(), AMIE_EUSAGE if n has not initiated, the
 * code on_id returned, or the code of a storage failure; on failure
 * out->len is 0, *done is untouched, ids already reported stay reported,
 * and the session should be dropped.  The scratch memory for a received
 * IdList is bounded by NEG_IDLIST_MAX ids and kept in n until
 * neg_release().
 */
int neg_reconcile_client(struct neg *n, const uint8_t *msg, size_t len,
    struct neg_buf *out,
    int (*on_id)(void *ctx, int have, const uint8_t id[NEG_ID_LEN],
	struct errbuf *eb),
    void *ctx, int *done, struct errbuf *eb);

/*
 * Make v an empty, unsealed set that will hold at most max_count items.
 * Release it with neg_vector_release().
 */
void neg_vector_init(struct neg_vector *v, size_t max_count);

/* Free the items of v; v may be initialised again. */
void neg_vector_release(struct neg_vector *v);

/*
 * Add the item (ts, id) to v, which must not be sealed.  Returns 0,
 * AMIE_ELIMIT when v holds max_count items, or AMIE_EUSAGE for ts
 * NEG_TS_INFINITY, which is reserved for the last bound.
 */
int neg_vector_add(struct neg_vector *v, uint64_t ts,
    const uint8_t id[NEG_ID_LEN], struct errbuf *eb);

/* Sort the items of v, drop exact duplicates, and make v read-only. */
void neg_vector_seal(struct neg_vector *v);

/*
 * Fill s with functions reading v, which must be sealed and outlive s.
 */
void neg_vector_storage(struct neg_vector *v, struct neg_storage *s);

#endif
