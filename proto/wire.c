/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "proto/wire.h"

/* Element counts of each type, name included, indexed by enum wire_type. */
static const struct {
	const char *name;
	uint32_t count;
} wire_types[] = {
	[WIRE_HELLO] = { "HELLO", 5 },
	[WIRE_JOIN] = { "JOIN", 6 },
	[WIRE_NEG_OPEN] = { "NEG_OPEN", 3 },
	[WIRE_NEG_MSG] = { "NEG_MSG", 3 },
	[WIRE_NEG_CLOSE] = { "NEG_CLOSE", 2 },
	[WIRE_NEG_ERR] = { "NEG_ERR", 3 },
	[WIRE_HAVE] = { "HAVE", 2 },
	[WIRE_WANT] = { "WANT", 2 },
	[WIRE_RECORDS] = { "RECORDS", 2 },
	[WIRE_PING] = { "PING", 2 },
	[WIRE_PONG] = { "PONG", 2 },
	[WIRE_ERROR] = { "ERROR", 3 },
};

#define WIRE_TYPE_LAST WIRE_ERROR
/* Longest type name, for the unknown-type message. */
#define WIRE_TYPE_NAME_MAX 16

const char *
wire_type_name(enum wire_type t)
{
	if (t < WIRE_HELLO || t > WIRE_TYPE_LAST)
		return "UNKNOWN";
	return wire_types[t].name;
}

/* The type named by the len bytes at s, or 0. */
static enum wire_type
wire_type_lookup(const char *s, uint32_t len)
{
	for (int t = WIRE_HELLO; t <= WIRE_TYPE_LAST; t++)
		if (strlen(wire_types[t].name) == len &&
		    memcmp(wire_types[t].name, s, len) == 0)
			return (enum wire_type)t;
	return 0;
}

/* Refuse an unknown type, quoting its name only when it is short and
 * printable ASCII: the message goes to logs. */
static int
wire_unknown(const char *s, uint32_t len, struct errbuf *eb)
{
	if (len > WIRE_TYPE_NAME_MAX)
		return fail(eb, AMIE_EPROTO, "wire: unknown message type");
	for (uint32_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return fail(eb, AMIE_EPROTO,
			    "wire: unknown message type");
	return fail(eb, AMIE_EPROTO, "wire: unknown message type \"%.*s\"",
	    (int)len, s);
}

static int
wire_str(struct mpr *r, struct wire_str *out, uint32_t max, const char *what,
    struct errbuf *eb)
{
	return mpr_str(r, &out->s, &out->len, max, what, eb);
}

static int
wire_decode_hello(struct wire_msg *m, struct mpr *r, struct errbuf *eb)
{
	int rc;

	if ((rc = mpr_uint(r, &m->version, "HELLO.version", eb)) != 0 ||
	    (rc = mpr_bin_exact(r, m->network_id, sizeof(m->network_id),
	    "HELLO.network_id", eb)) != 0 ||
	    (rc = wire_str(r, &m->name, WIRE_NAME_MAX, "HELLO.name",
	    eb)) != 0 ||
	    (rc = mpr_array(r, &m->features_count, WIRE_FEATURES_MAX,
	    "HELLO.features", eb)) != 0)
		return rc;
	for (uint32_t i = 0; i < m->features_count; i++)
		if ((rc = wire_str(r, &m->features[i], WIRE_FEATURE_MAX,
		    "HELLO.feature", eb)) != 0)
			return rc;
	return 0;
}

static int
wire_decode_join(struct wire_msg *m, struct mpr *r, struct errbuf *eb)
{
	int rc;

	if ((rc = mpr_bin_exact(r, m->secret, sizeof(m->secret),
	    "JOIN.secret", eb)) != 0 ||
	    (rc = mpr_bin_exact(r, m->key, sizeof(m->key), "JOIN.key",
	    eb)) != 0 ||
	    (rc = wire_str(r, &m->name, WIRE_NAME_MAX, "JOIN.name",
	    eb)) != 0 ||
	    (rc = wire_str(r, &m->region, WIRE_NAME_MAX, "JOIN.region",
	    eb)) != 0 ||
	    (rc = wire_str(r, &m->endpoint, WIRE_ENDPOINT_MAX,
	    "JOIN.endpoint", eb)) != 0)
		return rc;
	return 0;
}

/*
 * HAVE and WANT: every id is a canonical bin 8 of 32 bytes, so each takes
 * exactly WIRE_ID_STRIDE bytes and wire_id() is an index.
 */
static int
wire_decode_ids(struct wire_msg *m, struct mpr *r, const char *what,
    struct errbuf *eb)
{
	uint8_t id[32];
	char what_id[32];
	int rc;

	if ((rc = mpr_array(r, &m->count, WIRE_IDS_MAX, what, eb)) != 0)
		return rc;
	snprintf(what_id, sizeof(what_id), "%s.id", what);
	m->items = r->p;
	m->items_len = mpr_left(r);
	for (uint32_t i = 0; i < m->count; i++)
		if ((rc = mpr_bin_exact(r, id, sizeof(id), what_id, eb)) != 0)
			return rc;
	return 0;
}

static int
wire_decode_records(struct wire_msg *m, struct mpr *r, struct errbuf *eb)
{
	const uint8_t *rec;
	uint32_t len;
	int rc;

	if ((rc = mpr_array(r, &m->count, WIRE_RECORDS_MAX, "RECORDS",
	    eb)) != 0)
		return rc;
	m->items = r->p;
	m->items_len = mpr_left(r);
	for (uint32_t i = 0; i < m->count; i++)
		if ((rc = mpr_bin(r, &rec, &len, RECORD_ENCODED_MAX,
		    "RECORDS.record", eb)) != 0)
			return rc;
	return 0;
}

static int
wire_decode_fields(struct wire_msg *m, struct mpr *r, struct errbuf *eb)
{
	const uint8_t *neg = NULL;
	uint32_t neg_len = 0;
	const char *name = wire_types[m->type].name;
	char what[32], what_neg[32];
	int rc = 0;

	snprintf(what, sizeof(what), "%s.session", name);
	snprintf(what_neg, sizeof(what_neg), "%s.message", name);

	switch (m->type) {
	case WIRE_HELLO:
		rc = wire_decode_hello(m, r, eb);
		break;
	case WIRE_JOIN:
		rc = wire_decode_join(m, r, eb);
		break;
	case WIRE_NEG_OPEN:
	case WIRE_NEG_MSG:
		if ((rc = mpr_uint(r, &m->session, what, eb)) != 0)
			break;
		rc = mpr_bin(r, &neg, &neg_len, WIRE_MSG_MAX, what_neg, eb);
		m->neg = neg;
		m->neg_len = neg_len;
		break;
	case WIRE_NEG_CLOSE:
		rc = mpr_uint(r, &m->session, what, eb);
		break;
	case WIRE_NEG_ERR:
		if ((rc = mpr_uint(r, &m->session, what, eb)) != 0)
			break;
		rc = wire_str(r, &m->reason, WIRE_REASON_MAX, "NEG_ERR.reason",
		    eb);
		break;
	case WIRE_HAVE:
	case WIRE_WANT:
		rc = wire_decode_ids(m, r, name, eb);
		break;
	case WIRE_RECORDS:
		rc = wire_decode_records(m, r, eb);
		break;
	case WIRE_PING:
	case WIRE_PONG:
		snprintf(what, sizeof(what), "%s.nonce", name);
		rc = mpr_uint(r, &m->nonce, what, eb);
		break;
	case WIRE_ERROR:
		if ((rc = mpr_uint(r, &m->code, "ERROR.code", eb)) != 0)
			break;
		rc = wire_str(r, &m->reason, WIRE_REASON_MAX, "ERROR.message",
		    eb);
		break;
	}
	return rc;
}

int
wire_decode(struct wire_msg *out, const uint8_t *buf, size_t len,
    struct errbuf *eb)
{
	struct wire_msg m;
	struct mpr r;
	const char *name = NULL;
	uint32_t n = 0, name_len = 0;
	int rc;

	if (len > WIRE_MSG_MAX)
		return fail(eb, AMIE_ELIMIT, "wire: %zu bytes, limit %d", len,
		    WIRE_MSG_MAX);
	memset(&m, 0, sizeof(m));
	mpr_init(&r, buf, len);

	/* No limit here: a wrong count is a protocol error, and the
	 * reader already checked it against the bytes left. */
	if ((rc = mpr_array(&r, &n, UINT32_MAX, "wire", eb)) != 0)
		return rc;
	if (n == 0)
		return fail(eb, AMIE_EPROTO, "wire: empty message");
	if ((rc = mpr_str(&r, &name, &name_len, UINT32_MAX, "wire.type",
	    eb)) != 0)
		return rc;
	if ((m.type = wire_type_lookup(name, name_len)) == 0)
		return wire_unknown(name, name_len, eb);
	if (n != wire_types[m.type].count)
		return fail(eb, AMIE_EPROTO, "%s: %u elements, expected %u",
		    wire_types[m.type].name, n, wire_types[m.type].count);
	if ((rc = wire_decode_fields(&m, &r, eb)) != 0)
		return rc;
	if ((rc = mpr_end(&r, wire_types[m.type].name, eb)) != 0)
		return rc;
	*out = m;
	return 0;
}

const uint8_t *
wire_id(const struct wire_msg *m, uint32_t i)
{
	assert(m->type == WIRE_HAVE || m->type == WIRE_WANT);
	assert(i < m->count);
	/* Skip the c4 20 head of the i-th bin 8. */
	return m->items + (size_t)i * WIRE_ID_STRIDE + 2;
}

void
wire_record_next(struct mpr *it, const uint8_t **rec, size_t *len)
{
	uint32_t n = 0;
	int rc;

	rc = mpr_bin(it, rec, &n, RECORD_ENCODED_MAX, "RECORDS.record", NULL);
	/* wire_decode() read the same bytes with the same reader. */
	assert(rc == 0);
	(void)rc;
	*len = n;
}

static void
wire_head(struct mpw *w, enum wire_type t)
{
	mpw_array(w, wire_types[t].count);
	mpw_cstr(w, wire_types[t].name);
}

void
wire_hello(struct mpw *w, const uint8_t network_id[32], const char *name,
    const char *const *features, uint32_t features_count)
{
	assert(features_count <= WIRE_FEATURES_MAX);
	wire_head(w, WIRE_HELLO);
	mpw_uint(w, WIRE_VERSION);
	mpw_bin(w, network_id, 32);
	mpw_cstr(w, name);
	mpw_array(w, features_count);
	for (uint32_t i = 0; i < features_count; i++)
		mpw_cstr(w, features[i]);
}

void
wire_join(struct mpw *w, const uint8_t secret[WIRE_SECRET_LEN],
    const uint8_t key[32], const char *name, const char *region,
    const char *endpoint)
{
	wire_head(w, WIRE_JOIN);
	mpw_bin(w, secret, WIRE_SECRET_LEN);
	mpw_bin(w, key, 32);
	mpw_cstr(w, name);
	mpw_cstr(w, region);
	mpw_cstr(w, endpoint);
}

void
wire_neg(struct mpw *w, enum wire_type t, uint64_t session,
    const uint8_t *msg, size_t len)
{
	assert(t == WIRE_NEG_OPEN || t == WIRE_NEG_MSG);
	wire_head(w, t);
	mpw_uint(w, session);
	mpw_bin(w, msg, len);
}

void
wire_neg_close(struct mpw *w, uint64_t session)
{
	wire_head(w, WIRE_NEG_CLOSE);
	mpw_uint(w, session);
}

void
wire_neg_err(struct mpw *w, uint64_t session, const char *reason)
{
	wire_head(w, WIRE_NEG_ERR);
	mpw_uint(w, session);
	mpw_cstr(w, reason);
}

void
wire_ids(struct mpw *w, enum wire_type t, const uint8_t (*ids)[32],
    uint32_t count)
{
	assert(t == WIRE_HAVE || t == WIRE_WANT);
	assert(count <= WIRE_IDS_MAX);
	wire_head(w, t);
	mpw_array(w, count);
	for (uint32_t i = 0; i < count; i++)
		mpw_bin(w, ids[i], 32);
}

void
wire_records_begin(struct mpw *w, uint32_t count)
{
	assert(count <= WIRE_RECORDS_MAX);
	wire_head(w, WIRE_RECORDS);
	mpw_array(w, count);
}

void
wire_ping(struct mpw *w, enum wire_type t, uint64_t nonce)
{
	assert(t == WIRE_PING || t == WIRE_PONG);
	wire_head(w, t);
	mpw_uint(w, nonce);
}

void
wire_error(struct mpw *w, uint64_t code, const char *message)
{
	wire_head(w, WIRE_ERROR);
	mpw_uint(w, code);
	mpw_cstr(w, message);
}
