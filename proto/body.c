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

/* A string field: required ones must be present and non-empty. */
static int
body_get_str(const struct mpmap *m, const char *key, struct body_str *out,
    uint32_t max, int required, struct errbuf *eb)
{
	int rc = mpmap_str(m, key, &out->s, &out->len, max, eb);

	if (rc == AMIE_ENOTFOUND && !required) {
		out->s = "";
		out->len = 0;
		return 0;
	}
	if (rc == 0 && required && out->len == 0)
		return fail(eb, AMIE_EPROTO, "%s: empty", key);
	return rc;
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
	if ((rc = body_get_str(&m, "name", &c.name, BODY_NAME_MAX, 1,
	    eb)) != 0 ||
	    (rc = body_get_quorum(&m, "admit_quorum", &c.admit_quorum,
	    eb)) != 0 ||
	    (rc = body_get_quorum(&m, "remove_quorum", &c.remove_quorum,
	    eb)) != 0 ||
	    (rc = mpmap_reader(&m, "founder", &r, eb)) != 0 ||
	    (rc = mpr_bin_exact(&r, c.founder, RECORD_KEY_LEN, "founder",
	    eb)) != 0)
		return rc;
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
	struct mpr r;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = mpmap_decode(&m, buf, len, "kb", eb)) != 0)
		return rc;
	if ((rc = body_get_str(&m, "title", &a.title, BODY_TITLE_MAX, 1,
	    eb)) != 0 ||
	    (rc = body_get_str(&m, "body", &a.text, RECORD_BODY_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_get_str(&m, "lang", &a.lang, BODY_LANG_MAX, 0,
	    eb)) != 0 ||
	    (rc = body_get_str(&m, "category", &a.category,
	    BODY_CATEGORY_MAX, 0, eb)) != 0 ||
	    (rc = body_get_str(&m, "licence", &a.licence, BODY_LICENCE_MAX, 0,
	    eb)) != 0)
		return rc;
	rc = mpmap_reader(&m, "tags", &r, eb);
	if (rc == 0) {
		if ((rc = mpr_array(&r, &a.tags_count, RECORD_TAGS_MAX, "tags",
		    eb)) != 0)
			return rc;
		for (uint32_t i = 0; i < a.tags_count; i++)
			if ((rc = mpr_str(&r, &a.tags[i].s, &a.tags[i].len,
			    BODY_TAG_MAX, "tags", eb)) != 0)
				return rc;
	} else if (rc != AMIE_ENOTFOUND) {
		return rc;
	}
	*out = a;
	return 0;
}
