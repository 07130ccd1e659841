/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "proto/body.h"

void
body_charter_encode(const struct body_charter *c, struct mpw *w)
{
	mpw_map(w, 4);
	mpw_cstr(w, "admit_quorum");
	mpw_uint(w, c->admit_quorum);
	mpw_cstr(w, "founder");
	mpw_bin(w, c->founder, sizeof(c->founder));
	mpw_cstr(w, "name");
	mpw_str(w, c->name.s, c->name.len);
	mpw_cstr(w, "remove_quorum");
	mpw_uint(w, c->remove_quorum);
}

int
body_field_str(const struct mpmap *m, const char *key, struct body_str *out,
    uint32_t max, int required, struct errbuf *eb)
{
	int rc = mpmap_str(m, key, &out->s, &out->len, max, eb);

	if (rc == AMIE_ENOTFOUND && !required) {
		out->s = "";
		out->len = 0;
		return 0;
	}
	if (rc == AMIE_ENOTFOUND) {	/* malformed, not a lookup miss */
		if (eb != NULL)
			eb->code = AMIE_EPROTO;
		return AMIE_EPROTO;
	}
	if (rc == 0 && required && out->len == 0)
		return fail(eb, AMIE_EPROTO, "%s: empty", key);
	return rc;
}

int
body_field_strs(const struct mpmap *m, const char *key, struct body_str *out,
    uint32_t *count, uint32_t max_count, uint32_t max_len, struct errbuf *eb)
{
	struct mpr r;
	int rc = mpmap_reader(m, key, &r, eb);

	*count = 0;
	if (rc == AMIE_ENOTFOUND)
		return 0;
	if (rc != 0 || (rc = mpr_array(&r, count, max_count, key, eb)) != 0)
		return rc;
	for (uint32_t i = 0; i < *count; i++)
		if ((rc = mpr_str(&r, &out[i].s, &out[i].len, max_len, key,
		    eb)) != 0)
			return rc;
	return 0;
}

/* A required field that is missing is malformed input, not a lookup miss. */
static int
body_required(int rc, struct errbuf *eb)
{
	if (rc != AMIE_ENOTFOUND)
		return rc;
	if (eb != NULL)
		eb->code = AMIE_EPROTO;
	return AMIE_EPROTO;
}

static int
body_get_quorum(const struct mpmap *m, const char *key, uint64_t *v,
    struct errbuf *eb)
{
	int rc = mpmap_uint(m, key, v, eb);

	if (rc != 0)
		return rc;
	if (*v < 1 || *v > BODY_QUORUM_MAX)
		return fail(eb, AMIE_EPROTO, "%s: %llu, expected 1 to %d", key,
		    (unsigned long long)*v, BODY_QUORUM_MAX);
	return 0;
}

int
body_charter_decode(struct body_charter *out, const uint8_t *buf, size_t len,
    struct errbuf *eb)
{
	struct body_charter c;
	struct mpmap m;
	struct mpr r;
	int rc;

	if ((rc = mpmap_decode(&m, buf, len, "charter", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "name", &c.name, BODY_NAME_MAX, 1,
	    eb)) != 0 ||
	    (rc = body_get_quorum(&m, "admit_quorum", &c.admit_quorum,
	    eb)) != 0 ||
	    (rc = body_get_quorum(&m, "remove_quorum", &c.remove_quorum,
	    eb)) != 0 ||
	    (rc = mpmap_reader(&m, "founder", &r, eb)) != 0 ||
	    (rc = mpr_bin_exact(&r, c.founder, RECORD_KEY_LEN, "founder",
	    eb)) != 0)
		return body_required(rc, eb);
	*out = c;
	return 0;
}

void
body_kb_encode(const struct body_kb *a, struct mpw *w)
{
	mpw_map(w, 6);
	mpw_cstr(w, "body");
	mpw_str(w, a->text.s, a->text.len);
	mpw_cstr(w, "category");
	mpw_str(w, a->category.s, a->category.len);
	mpw_cstr(w, "lang");
	mpw_str(w, a->lang.s, a->lang.len);
	mpw_cstr(w, "licence");
	mpw_str(w, a->licence.s, a->licence.len);
	mpw_cstr(w, "tags");
	mpw_array(w, a->tags_count);
	for (uint32_t i = 0; i < a->tags_count; i++)
		mpw_str(w, a->tags[i].s, a->tags[i].len);
	mpw_cstr(w, "title");
	mpw_str(w, a->title.s, a->title.len);
}

int
body_kb_decode(struct body_kb *out, const uint8_t *buf, size_t len,
    struct errbuf *eb)
{
	struct body_kb a;
	struct mpmap m;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = mpmap_decode(&m, buf, len, "kb", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "title", &a.title, BODY_TITLE_MAX, 1,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "body", &a.text, RECORD_BODY_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "lang", &a.lang, BODY_LANG_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "category", &a.category,
	    BODY_CATEGORY_MAX, 0, eb)) != 0 ||
	    (rc = body_field_str(&m, "licence", &a.licence, BODY_LICENCE_MAX, 0,
	    eb)) != 0)
		return rc;
	if ((rc = body_field_strs(&m, "tags", a.tags, &a.tags_count,
	    RECORD_TAGS_MAX, BODY_TAG_MAX, eb)) != 0)
		return rc;
	*out = a;
	return 0;
}

/* An endpoint: BODY_ENDPOINT_SCHEME, something after it, no NUL byte. */
static int
body_check_endpoint(const struct body_str *e, const char *what,
    struct errbuf *eb)
{
	size_t sl = strlen(BODY_ENDPOINT_SCHEME);

	if (e->len <= sl || memcmp(e->s, BODY_ENDPOINT_SCHEME, sl) != 0)
		return fail(eb, AMIE_EPROTO, "%s: '%.*s' is not %sHOST:PORT",
		    what, (int)(e->len > 64 ? 64 : e->len), e->s,
		    BODY_ENDPOINT_SCHEME);
	if (memchr(e->s, '\0', e->len) != NULL)
		return fail(eb, AMIE_EPROTO, "%s: contains a NUL byte", what);
	return 0;
}

void
body_member_add_encode(const struct body_member_add *a, struct mpw *w)
{
	mpw_map(w, 5);
	mpw_cstr(w, "contact");
	mpw_str(w, a->contact.s, a->contact.len);
	mpw_cstr(w, "endpoint");
	mpw_str(w, a->endpoint.s, a->endpoint.len);
	mpw_cstr(w, "invited_by");
	mpw_bin(w, a->invited_by, sizeof(a->invited_by));
	mpw_cstr(w, "name");
	mpw_str(w, a->name.s, a->name.len);
	mpw_cstr(w, "region");
	mpw_str(w, a->region.s, a->region.len);
}

int
body_member_add_decode(struct body_member_add *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct body_member_add a;
	struct mpmap m;
	struct mpr r;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = mpmap_decode(&m, buf, len, "member.add", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "name", &a.name, BODY_NAME_MAX, 1,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "region", &a.region, BODY_NAME_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "contact", &a.contact, BODY_NAME_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "endpoint", &a.endpoint, BODY_ENDPOINT_MAX,
	    0, eb)) != 0)
		return body_required(rc, eb);
	if (a.endpoint.len > 0 &&
	    (rc = body_check_endpoint(&a.endpoint, "endpoint", eb)) != 0)
		return rc;
	if ((rc = mpmap_reader(&m, "invited_by", &r, eb)) != 0 ||
	    (rc = mpr_bin_exact(&r, a.invited_by, RECORD_KEY_LEN,
	    "invited_by", eb)) != 0)
		return body_required(rc, eb);
	*out = a;
	return 0;
}

void
body_member_remove_encode(const struct body_member_remove *m, struct mpw *w)
{
	mpw_map(w, 2);
	mpw_cstr(w, "effective_from");
	mpw_uint(w, m->effective_from);
	mpw_cstr(w, "reason");
	mpw_str(w, m->reason.s, m->reason.len);
}

int
body_member_remove_decode(struct body_member_remove *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct body_member_remove b;
	struct mpmap m;
	int rc;

	if ((rc = mpmap_decode(&m, buf, len, "member.remove", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "reason", &b.reason, BODY_NAME_MAX, 1,
	    eb)) != 0 ||
	    (rc = mpmap_uint(&m, "effective_from", &b.effective_from,
	    eb)) != 0)
		return body_required(rc, eb);
	if (!(b.reason.len == 7 && memcmp(b.reason.s, "retired", 7) == 0) &&
	    !(b.reason.len == 11 && memcmp(b.reason.s, "compromised", 11) == 0))
		return fail(eb, AMIE_EPROTO,
		    "reason: '%.*s', expected retired or compromised",
		    (int)(b.reason.len > 32 ? 32 : b.reason.len), b.reason.s);
	*out = b;
	return 0;
}

void
body_node_info_encode(const struct body_node_info *n, struct mpw *w)
{
	mpw_map(w, 4);
	mpw_cstr(w, "contact");
	mpw_str(w, n->contact.s, n->contact.len);
	mpw_cstr(w, "endpoints");
	mpw_array(w, n->endpoints_count);
	for (uint32_t i = 0; i < n->endpoints_count; i++)
		mpw_str(w, n->endpoints[i].s, n->endpoints[i].len);
	mpw_cstr(w, "name");
	mpw_str(w, n->name.s, n->name.len);
	mpw_cstr(w, "region");
	mpw_str(w, n->region.s, n->region.len);
}

int
body_node_info_decode(struct body_node_info *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct body_node_info n;
	struct mpmap m;
	struct mpr r;
	int rc;

	memset(&n, 0, sizeof(n));
	if ((rc = mpmap_decode(&m, buf, len, "node.info", eb)) != 0)
		return rc;
	if ((rc = body_field_str(&m, "name", &n.name, BODY_NAME_MAX, 1,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "region", &n.region, BODY_NAME_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_field_str(&m, "contact", &n.contact, BODY_NAME_MAX, 0,
	    eb)) != 0 ||
	    (rc = mpmap_reader(&m, "endpoints", &r, eb)) != 0 ||
	    (rc = mpr_array(&r, &n.endpoints_count, BODY_ENDPOINTS_MAX,
	    "endpoints", eb)) != 0)
		return body_required(rc, eb);
	if (n.endpoints_count == 0)
		return fail(eb, AMIE_EPROTO, "endpoints: empty");
	for (uint32_t i = 0; i < n.endpoints_count; i++)
		if ((rc = mpr_str(&r, &n.endpoints[i].s, &n.endpoints[i].len,
		    BODY_ENDPOINT_MAX, "endpoints", eb)) != 0 ||
		    (rc = body_check_endpoint(&n.endpoints[i], "endpoints",
		    eb)) != 0)
			return rc;
	*out = n;
	return 0;
}

void
body_tombstone_encode(const struct body_tombstone *t, struct mpw *w)
{
	mpw_map(w, 1);
	mpw_cstr(w, "reason");
	mpw_str(w, t->reason.s, t->reason.len);
}

int
body_tombstone_decode(struct body_tombstone *out, const uint8_t *buf,
    size_t len, struct errbuf *eb)
{
	struct body_tombstone t;
	struct mpmap m;
	int rc;

	if ((rc = mpmap_decode(&m, buf, len, "tombstone", eb)) != 0 ||
	    (rc = body_field_str(&m, "reason", &t.reason, BODY_REASON_MAX, 0,
	    eb)) != 0)
		return rc;
	*out = t;
	return 0;
}
