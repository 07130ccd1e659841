/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The bodies of the record kinds this version writes and checks: the
 * federation charter, knowledge-base articles, and the membership records
 * member.add, member.remove and node.info.  Bodies are canonical
 * msgpack maps with string keys (DESIGN.md sections 3 and 5); decoders
 * ignore fields they do not know, so later versions can add some.
 * Decoded strings point into the body bytes, which must outlive the
 * struct.  Pure: no I/O, never asserts on input.
 */
#ifndef AMIE_PROTO_BODY_H
#define AMIE_PROTO_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"
#include "proto/mp.h"
#include "proto/record.h"

#define BODY_NAME_MAX		128	/* federation and node names */
#define BODY_TITLE_MAX		512
#define BODY_LANG_MAX		16
#define BODY_CATEGORY_MAX	64
#define BODY_TAG_MAX		64	/* bytes of one tag */
#define BODY_LICENCE_MAX	64
#define BODY_QUORUM_MAX		64
#define BODY_ENDPOINT_MAX	200	/* tcp://HOST:PORT */
#define BODY_ENDPOINTS_MAX	4	/* endpoints of one node.info */
#define BODY_ENDPOINT_SCHEME	"tcp://"
#define BODY_KB_LICENCE_DEFAULT	"CC-BY-SA-4.0"

/* A string borrowed from a body, not NUL-terminated. */
struct body_str {
	const char *s;
	uint32_t len;
};

struct body_charter {
	struct body_str name;
	uint8_t founder[RECORD_KEY_LEN];
	uint64_t admit_quorum;
	uint64_t remove_quorum;
};

struct body_kb {
	struct body_str title;
	struct body_str text;		/* the Markdown body */
	struct body_str lang;
	struct body_str category;
	struct body_str licence;
	uint32_t tags_count;
	struct body_str tags[RECORD_TAGS_MAX];
};

struct body_member_add {
	struct body_str name;
	struct body_str region;
	struct body_str endpoint;	/* "" or tcp://HOST:PORT */
	struct body_str contact;
	uint8_t invited_by[RECORD_KEY_LEN];
};

struct body_member_remove {
	struct body_str reason;		/* "retired" or "compromised" */
	uint64_t effective_from;	/* ms since 1970 */
};

struct body_node_info {
	struct body_str name;
	struct body_str region;
	struct body_str contact;
	uint32_t endpoints_count;
	struct body_str endpoints[BODY_ENDPOINTS_MAX];
};

/* Append the canonical body of c to w. */
/*
 * Read the string field key of m into out, pointing into m's bytes: at
 * most max bytes; a required field must be present and non-empty, an
 * optional one missing reads as "".  0, or AMIE_EPROTO / AMIE_ELIMIT.
 */
int body_field_str(const struct mpmap *m, const char *key, struct body_str *out,
    uint32_t max, int required, struct errbuf *eb);

/*
 * Read the optional array of strings key of m into out[0, *count): at most
 * max_count strings of max_len bytes each, checked before anything is
 * read; a missing field is an empty array.  0, or an AMIE_E* code.
 */
int body_field_strs(const struct mpmap *m, const char *key,
    struct body_str *out, uint32_t *count, uint32_t max_count,
    uint32_t max_len, struct errbuf *eb);

void body_charter_encode(const struct body_charter *c, struct mpw *w);

/*
 * Decode and check a charter body: a name of 1 to BODY_NAME_MAX bytes, a
 * 32-byte founder key, quorums from 1 to BODY_QUORUM_MAX.  Returns 0,
 * AMIE_EPROTO or AMIE_ELIMIT naming the field.
 */
int body_charter_decode(struct body_charter *c, const uint8_t *buf,
    size_t len, struct errbuf *eb);

/* Append the canonical body of a (fields in bytewise key order) to w. */
void body_kb_encode(const struct body_kb *a, struct mpw *w);

/*
 * Decode and check an article body: a title of 1 to BODY_TITLE_MAX bytes,
 * the text, and the optional lang, category, licence and tags within
 * their limits.  Returns 0, AMIE_EPROTO or AMIE_ELIMIT naming the field.
 */
int body_kb_decode(struct body_kb *a, const uint8_t *buf, size_t len,
    struct errbuf *eb);

/* Append the canonical body of a (all five fields) to w. */
void body_member_add_encode(const struct body_member_add *a, struct mpw *w);

/*
 * Decode and check a member.add body: a name of 1 to BODY_NAME_MAX bytes,
 * a 32-byte invited_by key, and the optional region and contact (at most
 * BODY_NAME_MAX bytes) and endpoint (empty, or BODY_ENDPOINT_SCHEME and at
 * most BODY_ENDPOINT_MAX bytes without NUL).  Returns 0, AMIE_EPROTO or
 * AMIE_ELIMIT naming the field.
 */
int body_member_add_decode(struct body_member_add *a, const uint8_t *buf,
    size_t len, struct errbuf *eb);

/* Append the canonical body of m to w. */
void body_member_remove_encode(const struct body_member_remove *m,
    struct mpw *w);

/*
 * Decode and check a member.remove body: reason "retired" or
 * "compromised", and effective_from.  Returns 0, AMIE_EPROTO or
 * AMIE_ELIMIT naming the field.
 */
int body_member_remove_decode(struct body_member_remove *m,
    const uint8_t *buf, size_t len, struct errbuf *eb);

/* Append the canonical body of n to w. */
void body_node_info_encode(const struct body_node_info *n, struct mpw *w);

/*
 * Decode and check a node.info body: a name of 1 to BODY_NAME_MAX bytes,
 * 1 to BODY_ENDPOINTS_MAX endpoints (each BODY_ENDPOINT_SCHEME and at most
 * BODY_ENDPOINT_MAX bytes without NUL), and the optional region and
 * contact.  Returns 0, AMIE_EPROTO or AMIE_ELIMIT naming the field.
 */
int body_node_info_decode(struct body_node_info *n, const uint8_t *buf,
    size_t len, struct errbuf *eb);

/* A tombstone: why the records it refs were deleted. */
#define BODY_REASON_MAX 256

struct body_tombstone {
	struct body_str reason;		/* may be empty */
};

void body_tombstone_encode(const struct body_tombstone *t, struct mpw *w);

/* Decode a tombstone body (a reason of at most BODY_REASON_MAX bytes).
 * Returns 0, AMIE_EPROTO or AMIE_ELIMIT. */
int body_tombstone_decode(struct body_tombstone *t, const uint8_t *buf,
    size_t len, struct errbuf *eb);

#endif
