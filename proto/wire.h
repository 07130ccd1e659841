/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Wire messages between nodes (DESIGN.md section 6).  Every message is one
 * canonical msgpack array whose first element is the type name:
 *
 *   ["HELLO", version, network_id bin32, name str, features [str...]]
 *   ["JOIN", secret bin16, key bin32, name str, region str, endpoint str]
 *   ["NEG_OPEN", session uint, negentropy message bin]
 *   ["NEG_MSG", session uint, negentropy message bin]
 *   ["NEG_CLOSE", session uint]
 *   ["NEG_ERR", session uint, reason str]
 *   ["HAVE", [id bin32, ...]]
 *   ["WANT", [id bin32, ...]]
 *   ["RECORDS", [encoded record bin, ...]]
 *   ["PING", nonce uint]		the nonce: the sender's clock, ms
 *   ["PONG", nonce uint]		the nonce of the PING answered
 *   ["ERROR", code uint, message str]
 *
 * The sender's identity is the CurveZMQ key the transport authenticated;
 * only JOIN also names the joiner's Ed25519 key, whose X25519 form the
 * receiver checks against that CurveZMQ key.  A message is at most WIRE_MSG_MAX bytes; id
 * lists at most WIRE_IDS_MAX ids, record lists at most WIRE_RECORDS_MAX
 * records.  The decoder checks every count against the bytes left and
 * its limit before anything else, never allocates (ids and records stay in
 * the input buffer), and refuses anything non-canonical.  Pure.
 */
#ifndef AMIE_PROTO_WIRE_H
#define AMIE_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"
#include "proto/mp.h"
#include "proto/record.h"

#define WIRE_VERSION		1
#define WIRE_MSG_MAX		(1024 * 1024)	/* bytes of one message */
#define WIRE_IDS_MAX		4096		/* ids in HAVE or WANT */
#define WIRE_RECORDS_MAX	1024		/* records in RECORDS */
#define WIRE_NAME_MAX		128
#define WIRE_ENDPOINT_MAX	200
#define WIRE_REASON_MAX		256
#define WIRE_FEATURES_MAX	16
#define WIRE_FEATURE_MAX	32		/* bytes of one feature name */
#define WIRE_SECRET_LEN		16
#define WIRE_ID_STRIDE		34		/* one encoded bin32 id */

enum wire_type {
	WIRE_HELLO = 1,
	WIRE_JOIN,
	WIRE_NEG_OPEN,
	WIRE_NEG_MSG,
	WIRE_NEG_CLOSE,
	WIRE_NEG_ERR,
	WIRE_HAVE,
	WIRE_WANT,
	WIRE_RECORDS,
	WIRE_PING,
	WIRE_PONG,
	WIRE_ERROR
};

/* A string borrowed from the message, not NUL-terminated. */
struct wire_str {
	const char *s;
	uint32_t len;
};

/*
 * A decoded message.  Pointers go into the buffer given to wire_decode(),
 * which must outlive the struct.  Only the fields of its type are set.
 */
struct wire_msg {
	enum wire_type type;
	uint64_t version;		/* HELLO */
	uint8_t network_id[32];		/* HELLO */
	struct wire_str name;		/* HELLO, JOIN */
	uint32_t features_count;	/* HELLO */
	struct wire_str features[WIRE_FEATURES_MAX];
	uint8_t secret[WIRE_SECRET_LEN]; /* JOIN */
	uint8_t key[32];		/* JOIN: the joiner's Ed25519 key */
	struct wire_str region;		/* JOIN */
	struct wire_str endpoint;	/* JOIN */
	uint64_t session;		/* NEG_* */
	const uint8_t *neg;		/* NEG_OPEN, NEG_MSG */
	size_t neg_len;
	struct wire_str reason;		/* NEG_ERR, ERROR */
	uint64_t code;			/* ERROR */
	uint64_t nonce;			/* PING, PONG */
	uint32_t count;			/* HAVE, WANT: ids; RECORDS: records */
	const uint8_t *items;		/* HAVE, WANT, RECORDS: first item */
	size_t items_len;		/* bytes from items to the end */
};

/*
 * Decode the len bytes at buf into m.  Returns 0, AMIE_ELIMIT (over a
 * named limit) or AMIE_EPROTO (anything a correct peer never sends,
 * including an unknown type), with the field named in eb.
 */
int wire_decode(struct wire_msg *m, const uint8_t *buf, size_t len,
    struct errbuf *eb);

/* The i-th id of a decoded HAVE or WANT (i < m->count). */
const uint8_t *wire_id(const struct wire_msg *m, uint32_t i);

/*
 * Iterate the records of a decoded RECORDS: start with
 * mpr_init(it, m->items, m->items_len), then call this m->count times.
 * Each record is a borrowed byte string; the decoder checked them all.
 */
void wire_record_next(struct mpr *it, const uint8_t **rec, size_t *len);

/* The type's name ("HELLO"), for logs. */
const char *wire_type_name(enum wire_type t);

/*
 * Encoders: each appends one whole message to w (check mpw_finish()).
 * For RECORDS, call wire_records_begin() with the count, then mpw_bin()
 * each encoded record.  A count over its limit (WIRE_FEATURES_MAX,
 * WIRE_IDS_MAX, WIRE_RECORDS_MAX) or a type of the wrong family is a bug
 * of the caller and asserts; strings over their limits are written, and
 * refused by the receiver.
 */
void wire_hello(struct mpw *w, const uint8_t network_id[32], const char *name,
    const char *const *features, uint32_t features_count);
void wire_join(struct mpw *w, const uint8_t secret[WIRE_SECRET_LEN],
    const uint8_t key[32], const char *name, const char *region,
    const char *endpoint);
void wire_neg(struct mpw *w, enum wire_type t, uint64_t session,
    const uint8_t *msg, size_t len);
void wire_neg_close(struct mpw *w, uint64_t session);
void wire_neg_err(struct mpw *w, uint64_t session, const char *reason);
void wire_ids(struct mpw *w, enum wire_type t, const uint8_t (*ids)[32],
    uint32_t count);
void wire_records_begin(struct mpw *w, uint32_t count);
void wire_ping(struct mpw *w, enum wire_type t, uint64_t nonce);
void wire_error(struct mpw *w, uint64_t code, const char *message);

#endif
