/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "proto/record.h"

#define RECORD_ID_DOMAIN "amie/id/1"
#define RECORD_SIG_DOMAIN "amie/sig/1"
#define RECORD_HEADER_FIELDS 9

void
record_header_encode(const struct record_header *h, struct mpw *w)
{
	/* Callers check these first, as record_sign() does. */
	assert(h->refs_count <= RECORD_REFS_MAX);
	assert(memchr(h->kind, '\0', sizeof(h->kind)) != NULL);
	assert(memchr(h->key, '\0', sizeof(h->key)) != NULL);
	mpw_array(w, RECORD_HEADER_FIELDS);
	mpw_uint(w, h->v);
	mpw_cstr(w, h->kind);
	mpw_bin(w, h->author, sizeof(h->author));
	mpw_uint(w, h->ts);
	mpw_cstr(w, h->key);
	mpw_array(w, h->refs_count);
	for (uint32_t i = 0; i < h->refs_count; i++)
		mpw_bin(w, h->refs[i], RECORD_ID_LEN);
	mpw_bin(w, h->body_hash, sizeof(h->body_hash));
	mpw_uint(w, h->body_len);
	mpw_uint(w, h->flags);
}

/* Kinds are short names of lowercase letters, digits and dots. */
static int
record_kind_ok(const char *s, uint32_t len)
{
	if (len == 0)
		return 0;
	for (uint32_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.'))
			return 0;
	}
	return 1;
}

int
record_header_decode(struct record_header *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct record_header h;
	struct mpr r;
	uint32_t n, slen;
	const char *s;
	int rc;

	if (len > RECORD_HEADER_MAX)
		return fail(eb, AMIE_ELIMIT, "header: %zu bytes, limit %d", len,
		    RECORD_HEADER_MAX);
	memset(&h, 0, sizeof(h));
	mpr_init(&r, buf, len);
	if ((rc = mpr_array(&r, &n, RECORD_HEADER_FIELDS, "header", eb)) != 0)
		return rc;
	if (n != RECORD_HEADER_FIELDS)
		return fail(eb, AMIE_EPROTO, "header: %u fields, expected %d",
		    n, RECORD_HEADER_FIELDS);
	if ((rc = mpr_uint(&r, &h.v, "header.v", eb)) != 0)
		return rc;
	if (h.v != RECORD_VERSION)
		return fail(eb, AMIE_EPROTO, "header.v: version %llu unknown",
		    (unsigned long long)h.v);
	if ((rc = mpr_str(&r, &s, &slen, RECORD_KIND_MAX, "header.kind",
	    eb)) != 0)
		return rc;
	if (!record_kind_ok(s, slen))
		return fail(eb, AMIE_EPROTO, "header.kind: not a kind name");
	memcpy(h.kind, s, slen);
	if ((rc = mpr_bin_exact(&r, h.author, RECORD_KEY_LEN, "header.author",
	    eb)) != 0)
		return rc;
	if ((rc = mpr_uint(&r, &h.ts, "header.ts", eb)) != 0)
		return rc;
	if ((rc = mpr_str(&r, &s, &slen, RECORD_KEY_MAX, "header.key",
	    eb)) != 0)
		return rc;
	if (memchr(s, '\0', slen) != NULL)
		return fail(eb, AMIE_EPROTO, "header.key: contains a NUL byte");
	memcpy(h.key, s, slen);
	if ((rc = mpr_array(&r, &h.refs_count, RECORD_REFS_MAX, "header.refs",
	    eb)) != 0)
		return rc;
	for (uint32_t i = 0; i < h.refs_count; i++)
		if ((rc = mpr_bin_exact(&r, h.refs[i], RECORD_ID_LEN,
		    "header.refs", eb)) != 0)
			return rc;
	if ((rc = mpr_bin_exact(&r, h.body_hash, sizeof(h.body_hash),
	    "header.body_hash", eb)) != 0)
		return rc;
	if ((rc = mpr_uint(&r, &h.body_len, "header.body_len", eb)) != 0)
		return rc;
	if (h.body_len > RECORD_BODY_MAX)
		return fail(eb, AMIE_ELIMIT, "header.body_len: %llu, limit %d",
		    (unsigned long long)h.body_len, RECORD_BODY_MAX);
	if ((rc = mpr_uint(&r, &h.flags, "header.flags", eb)) != 0)
		return rc;
	if (h.flags & ~(uint64_t)RECORD_FLAGS_KNOWN)
		return fail(eb, AMIE_EPROTO, "header.flags: unknown bits 0x%llx",
		    (unsigned long long)h.flags);
	if ((rc = mpr_end(&r, "header", eb)) != 0)
		return rc;
	*out = h;
	return 0;
}

void
record_id(uint8_t id[RECORD_ID_LEN], const uint8_t *header, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, RECORD_ID_LEN);
	crypto_generichash_update(&st, (const uint8_t *)RECORD_ID_DOMAIN,
	    sizeof(RECORD_ID_DOMAIN) - 1);
	crypto_generichash_update(&st, header, len);
	crypto_generichash_final(&st, id, RECORD_ID_LEN);
}

/* The signed message: domain || network_id || id. */
#define RECORD_SIG_MSG_LEN (sizeof(RECORD_SIG_DOMAIN) - 1 + 32 + RECORD_ID_LEN)

static void
record_sig_msg(uint8_t m[RECORD_SIG_MSG_LEN], const uint8_t network_id[32],
    const uint8_t id[RECORD_ID_LEN])
{
	size_t d = sizeof(RECORD_SIG_DOMAIN) - 1;

	memcpy(m, RECORD_SIG_DOMAIN, d);
	memcpy(m + d, network_id, 32);
	memcpy(m + d + 32, id, RECORD_ID_LEN);
}

static int
record_body_check(const uint8_t *body, size_t len, uint64_t flags,
    struct errbuf *eb)
{
	struct mptok t;
	struct mpr r;
	int rc;

	if (flags & RECORD_FLAG_ENCRYPTED)
		return 0;
	if ((rc = mp_check(body, len, "body", eb)) != 0)
		return rc;
	mpr_init(&r, body, len);
	if ((rc = mpr_token(&r, &t, "body", eb)) != 0)
		return rc;
	if (t.type != MP_MAP)
		return fail(eb, AMIE_EPROTO, "body: not a map");
	return 0;
}

int
record_sign(struct record_header *h, const uint8_t *body, size_t body_len,
    const uint8_t sk[64], const uint8_t network_id[32], struct mpw *out,
    uint8_t id[RECORD_ID_LEN], struct errbuf *eb)
{
	uint8_t m[RECORD_SIG_MSG_LEN], sig[RECORD_SIG_LEN], charter_net[32];
	struct record_header check;
	struct record rec;
	struct mpw hw;
	int rc;

	if (body_len > RECORD_BODY_MAX)
		return fail(eb, AMIE_ELIMIT, "body: %zu bytes, limit %d",
		    body_len, RECORD_BODY_MAX);
	if (h->refs_count > RECORD_REFS_MAX)
		return fail(eb, AMIE_ELIMIT, "header.refs: %u refs, limit %d",
		    h->refs_count, RECORD_REFS_MAX);
	if (memchr(h->kind, '\0', sizeof(h->kind)) == NULL ||
	    memchr(h->key, '\0', sizeof(h->key)) == NULL)
		return fail(eb, AMIE_ELIMIT, "header: kind or key too long");
	if ((rc = record_body_check(body, body_len, h->flags, eb)) != 0)
		return rc;
	h->v = RECORD_VERSION;
	h->body_len = body_len;
	crypto_generichash(h->body_hash, sizeof(h->body_hash), body, body_len,
	    NULL, 0);
	mpw_init(&hw, RECORD_HEADER_MAX);
	record_header_encode(h, &hw);
	if ((rc = mpw_finish(&hw, "header", eb)) != 0 ||
	    (rc = record_header_decode(&check, hw.buf, hw.len, eb)) != 0) {
		mpw_release(&hw);
		return rc;
	}
	record_id(id, hw.buf, hw.len);
	if (network_id == NULL) {
		record_network_id(charter_net, hw.buf, hw.len);
		network_id = charter_net;
	}
	record_sig_msg(m, network_id, id);
	crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
	rec.header = hw.buf;
	rec.header_len = hw.len;
	rec.sig = sig;
	rec.body = body;
	rec.body_len = body_len;
	record_encode(&rec, out);
	mpw_release(&hw);
	return 0;
}

void
record_encode(const struct record *r, struct mpw *w)
{
	mpw_array(w, 3);
	mpw_bin(w, r->header, r->header_len);
	mpw_bin(w, r->sig, RECORD_SIG_LEN);
	if (r->body != NULL)
		mpw_bin(w, r->body, r->body_len);
	else
		mpw_nil(w);
}

int
record_decode(struct record *out, const uint8_t *buf, size_t len,
    struct errbuf *eb)
{
	struct record rec;
	const uint8_t *sig;
	uint32_t n, hlen, slen, blen;
	struct mpr r;
	int rc;

	if (len > RECORD_ENCODED_MAX)
		return fail(eb, AMIE_ELIMIT, "record: %zu bytes, limit %d", len,
		    RECORD_ENCODED_MAX);
	mpr_init(&r, buf, len);
	if ((rc = mpr_array(&r, &n, 3, "record", eb)) != 0)
		return rc;
	if (n != 3)
		return fail(eb, AMIE_EPROTO, "record: %u parts, expected 3", n);
	if ((rc = mpr_bin(&r, &rec.header, &hlen, RECORD_HEADER_MAX,
	    "record.header", eb)) != 0)
		return rc;
	if ((rc = mpr_bin(&r, &sig, &slen, RECORD_SIG_LEN, "record.sig",
	    eb)) != 0)
		return rc;
	if (slen != RECORD_SIG_LEN)
		return fail(eb, AMIE_EPROTO, "record.sig: %u bytes, expected %d",
		    slen, RECORD_SIG_LEN);
	if ((rc = mpr_bin_or_nil(&r, &rec.body, &blen, RECORD_BODY_MAX,
	    "record.body", eb)) != 0)
		return rc;
	if ((rc = mpr_end(&r, "record", eb)) != 0)
		return rc;
	rec.header_len = hlen;
	rec.sig = sig;
	rec.body_len = blen;
	*out = rec;
	return 0;
}

int
record_check(const struct record *r, struct record_header *h,
    uint8_t id[RECORD_ID_LEN], struct errbuf *eb)
{
	int rc = record_header_decode(h, r->header, r->header_len, eb);

	if (rc != 0)
		return rc;
	record_id(id, r->header, r->header_len);
	return 0;
}

int
record_verify(const struct record *r, const struct record_header *h,
    const uint8_t id[RECORD_ID_LEN], const uint8_t network_id[32],
    uint64_t now_ms, struct errbuf *eb)
{
	uint8_t m[RECORD_SIG_MSG_LEN], hash[32];

	if (h->ts > now_ms && h->ts - now_ms > RECORD_FUTURE_MAX_MS)
		return fail(eb, AMIE_EAGAIN,
		    "header.ts: %llu ms ahead of this node's clock",
		    (unsigned long long)(h->ts - now_ms));
	record_sig_msg(m, network_id, id);
	if (crypto_sign_verify_detached(r->sig, m, sizeof(m), h->author) != 0)
		return fail(eb, AMIE_ESIG, "sig: does not verify");
	if (r->body == NULL)
		return 0;
	if (r->body_len != h->body_len)
		return fail(eb, AMIE_ESIG, "body: %zu bytes, header says %llu",
		    r->body_len, (unsigned long long)h->body_len);
	crypto_generichash(hash, sizeof(hash), r->body, r->body_len, NULL, 0);
	if (sodium_memcmp(hash, h->body_hash, sizeof(hash)) != 0)
		return fail(eb, AMIE_ESIG, "body: hash does not match header");
	return record_body_check(r->body, r->body_len, h->flags, eb);
}

void
record_id_hex(char out[2 * RECORD_ID_LEN + 1], const uint8_t id[RECORD_ID_LEN])
{
	sodium_bin2hex(out, 2 * RECORD_ID_LEN + 1, id, RECORD_ID_LEN);
}

void
record_network_id(uint8_t out[32], const uint8_t *header, size_t len)
{
	crypto_generichash(out, 32, header, len, NULL, 0);
}
