/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "daemon/kb.h"
#include "daemon/log.h"
#include "proto/body.h"
#include "proto/nodeid.h"
#include "proto/xmalloc.h"
#include "store/member.h"
#include "store/search.h"
#include "store/tombstone.h"

/* The display winner of an article, decoded; buf owns the bytes. */
struct kb_view {
	struct store_head heads[STORE_HEADS_MAX];
	size_t heads_count;
	size_t winner;
	uint8_t *buf;
	struct record rec;
	struct record_header h;
	struct body_kb a;
};

static int
kb_view_load(struct node *n, const char *key, struct kb_view *v,
    struct errbuf *eb)
{
	size_t len;
	int rc;

	v->buf = NULL;
	if (tombstone_is_deleted(n->store, "kb", key))
		return fail(eb, AMIE_ENOTFOUND, "article %s was deleted", key);
	if ((rc = store_object_heads_served(n->store, "kb", key, v->heads,
	    STORE_HEADS_MAX, &v->heads_count, eb)) != 0)
		return rc;
	v->winner = store_head_winner(v->heads, v->heads_count);
	/* A removed member's later revisions are hidden: not served. */
	if ((rc = store_get_served(n->store, v->heads[v->winner].id, &v->buf,
	    &len, eb)) != 0)
		return rc;
	/* The store checked these bytes at ingest. */
	if ((rc = record_decode(&v->rec, v->buf, len, eb)) != 0 ||
	    (rc = record_header_decode(&v->h, v->rec.header,
	    v->rec.header_len, eb)) != 0)
		goto fail;
	memset(&v->a, 0, sizeof(v->a));
	if (v->rec.body != NULL && (rc = body_kb_decode(&v->a, v->rec.body,
	    v->rec.body_len, eb)) != 0)
		goto fail;
	return 0;
fail:
	free(v->buf);
	v->buf = NULL;
	return rc;
}

static void
kb_write_str(struct mpw *w, const char *key, const struct body_str *s)
{
	mpw_cstr(w, key);
	mpw_str(w, s->s, s->len);
}

static void
kb_write_tags(struct mpw *w, const struct body_kb *a)
{
	mpw_cstr(w, "tags");
	mpw_array(w, a->tags_count);
	for (uint32_t i = 0; i < a->tags_count; i++)
		mpw_str(w, a->tags[i].s, a->tags[i].len);
}

static void
kb_write_author(struct mpw *w, const struct record_header *h)
{
	char id[NODEID_LEN + 1];

	nodeid_format(id, h->author);
	mpw_cstr(w, "author");
	mpw_cstr(w, id);
}

static int
kb_str_is(const struct body_str *s, const char *c)
{
	return s->len == strlen(c) && memcmp(s->s, c, s->len) == 0;
}

/* Tags and categories match whatever the case of ASCII letters, as in
 * search. */
static int
kb_label_is(const struct body_str *s, const char *c)
{
	return s->len == strlen(c) && strncasecmp(s->s, c, s->len) == 0;
}

/*
 * Read the article fields of req into a, keeping what a already holds for
 * the fields req leaves out.
 */
static int
kb_args(const struct ctl_request *req, struct body_kb *a, struct errbuf *eb)
{
	static const struct {
		const char *key;
		size_t off;
		uint32_t max;
	} fields[] = {
		{ "title", offsetof(struct body_kb, title), BODY_TITLE_MAX },
		{ "body", offsetof(struct body_kb, text), RECORD_BODY_MAX },
		{ "lang", offsetof(struct body_kb, lang), BODY_LANG_MAX },
		{ "category", offsetof(struct body_kb, category),
		    BODY_CATEGORY_MAX },
	};
	struct mpr r;
	int rc;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct body_str *s = (struct body_str *)((char *)a +
		    fields[i].off);

		rc = mpmap_str(&req->args, fields[i].key, &s->s, &s->len,
		    fields[i].max, eb);
		if (rc != 0 && rc != AMIE_ENOTFOUND)
			return rc;
	}
	if (a->title.len == 0)
		return fail(eb, AMIE_EPROTO, "title: an article needs a title");
	if (a->lang.len == 0) {
		a->lang.s = "fr";
		a->lang.len = 2;
	}
	if (!kb_str_is(&a->lang, "fr") && !kb_str_is(&a->lang, "en"))
		return fail(eb, AMIE_EPROTO, "lang: fr or en, not '%.*s'",
		    (int)a->lang.len, a->lang.s);
	if (a->licence.len == 0) {
		a->licence.s = BODY_KB_LICENCE_DEFAULT;
		a->licence.len = sizeof(BODY_KB_LICENCE_DEFAULT) - 1;
	}
	rc = mpmap_reader(&req->args, "tags", &r, eb);
	if (rc == AMIE_ENOTFOUND)
		return 0;
	if (rc != 0 ||
	    (rc = mpr_array(&r, &a->tags_count, RECORD_TAGS_MAX, "tags",
	    eb)) != 0)
		return rc;
	for (uint32_t i = 0; i < a->tags_count; i++) {
		const struct body_str *t = &a->tags[i];

		if ((rc = mpr_str(&r, &a->tags[i].s, &a->tags[i].len,
		    BODY_TAG_MAX, "tags", eb)) != 0)
			return rc;
		for (uint32_t j = 0; j < t->len; j++)
			if (t->s[j] == ' ' || t->s[j] == ',' || t->s[j] == '\t' ||
			    t->s[j] == '\n' || t->s[j] == '\r')
				return fail(eb, AMIE_EPROTO, "tags: '%.*s' is "
				    "not one word", (int)t->len, t->s);
		if (t->len == 0)
			return fail(eb, AMIE_EPROTO, "tags: an empty tag");
	}
	return 0;
}

/* The reply of a command that wrote a record about article key. */
static void
kb_reply_written(struct mpw *w, const char *key,
    const uint8_t id[RECORD_ID_LEN])
{
	char hex[2 * RECORD_ID_LEN + 1];

	record_id_hex(hex, id);
	mpw_map(w, 2);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	mpw_cstr(w, "revision");
	mpw_cstr(w, hex);
}

/* Sign revision a of article key (refs: the revision it replaces, or
 * none) and reply with its ids. */
static int
kb_write(struct node *n, const char *key, const struct body_kb *a,
    const uint8_t (*refs)[RECORD_ID_LEN], uint32_t refs_count,
    struct mpw *w, struct errbuf *eb)
{
	uint8_t id[RECORD_ID_LEN];
	struct mpw body;
	int rc;

	mpw_init(&body, RECORD_BODY_MAX);
	body_kb_encode(a, &body);
	if ((rc = mpw_finish(&body, "article (text, title and other fields)",
	    eb)) == 0)
		rc = node_write(n, "kb", key, refs, refs_count, body.buf,
		    body.len, 0, id, eb);
	mpw_release(&body);
	if (rc != 0)
		return rc;
	kb_reply_written(w, key, id);
	return 0;
}

int
kb_handle_add(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	uint8_t rnd[KB_ID_BYTES];
	char key[2 * KB_ID_BYTES + 1];
	struct body_kb a;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = kb_args(req, &a, eb)) != 0)
		return rc;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(key, sizeof(key), rnd, sizeof(rnd));
	return kb_write(n, key, &a, NULL, 0, w, eb);
}

/* The article named by the request's id (a unique prefix is enough). */
static int
kb_find(struct node *n, const struct ctl_request *req,
    char key[RECORD_KEY_MAX + 1], struct errbuf *eb)
{
	char prefix[RECORD_KEY_MAX + 1];
	int rc = mpmap_cstr(&req->args, "id", prefix, sizeof(prefix), eb);

	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "which article?");
	if (rc != 0)
		return rc;
	return store_object_find(n->store, "kb", prefix, key, eb);
}

int
kb_handle_edit(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	struct kb_view v;
	struct body_kb a;
	int rc;

	if ((rc = kb_find(n, req, key, eb)) != 0 ||
	    (rc = kb_view_load(n, key, &v, eb)) != 0)
		return rc;
	a = v.a;
	if ((rc = kb_args(req, &a, eb)) == 0)
		rc = kb_write(n, key, &a,
		    (const uint8_t (*)[RECORD_ID_LEN])v.heads[v.winner].id, 1,
		    w, eb);
	free(v.buf);
	return rc;
}

int
kb_handle_show(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1], hex[2 * RECORD_ID_LEN + 1];
	struct kb_view v;
	int rc;

	if ((rc = kb_find(n, req, key, eb)) != 0 ||
	    (rc = kb_view_load(n, key, &v, eb)) != 0)
		return rc;
	mpw_map(w, 11);
	kb_write_author(w, &v.h);
	kb_write_str(w, "body", &v.a.text);
	kb_write_str(w, "category", &v.a.category);
	mpw_cstr(w, "conflicts");
	mpw_array(w, (uint32_t)(v.heads_count - 1));
	for (size_t i = 0; i < v.heads_count; i++) {
		if (i == v.winner)
			continue;
		record_id_hex(hex, v.heads[i].id);
		mpw_cstr(w, hex);
	}
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	kb_write_str(w, "lang", &v.a.lang);
	kb_write_str(w, "licence", &v.a.licence);
	record_id_hex(hex, v.heads[v.winner].id);
	mpw_cstr(w, "revision");
	mpw_cstr(w, hex);
	kb_write_tags(w, &v.a);
	kb_write_str(w, "title", &v.a.title);
	mpw_cstr(w, "updated");
	mpw_uint(w, v.h.ts);
	free(v.buf);
	return 0;
}

struct kb_list {
	struct node *node;
	char tag[BODY_TAG_MAX + 1];
	char category[BODY_CATEGORY_MAX + 1];
	struct mpw items;
	uint32_t count;
	int more;
	char last[RECORD_KEY_MAX + 1];	/* the last article listed */
	struct errbuf *eb;
};

/* The end of a paged reply: next (the last article listed) when more
 * follow. */
static void
kb_page_next(struct mpw *w, int more, const char *last)
{
	if (more) {
		mpw_cstr(w, "next");
		mpw_cstr(w, last);
	}
}

static int
kb_list_one(void *ctx, const char *key, const struct store_head *heads,
    size_t count)
{
	struct kb_list *l = ctx;
	struct mpw *w = &l->items;
	struct kb_view v;
	int match = l->tag[0] == '\0';

	(void)heads;
	(void)count;
	if (kb_view_load(l->node, key, &v, l->eb) != 0)
		return 0;	/* skip what cannot be shown */
	for (uint32_t i = 0; i < v.a.tags_count && !match; i++)
		match = kb_label_is(&v.a.tags[i], l->tag);
	if (l->category[0] != '\0' && !kb_label_is(&v.a.category, l->category))
		match = 0;
	if (match) {
		size_t mark = w->len;

		mpw_map(w, 8);
		kb_write_author(w, &v.h);
		kb_write_str(w, "category", &v.a.category);
		mpw_cstr(w, "conflicts");
		mpw_uint(w, v.heads_count - 1);
		mpw_cstr(w, "id");
		mpw_cstr(w, key);
		kb_write_str(w, "lang", &v.a.lang);
		kb_write_tags(w, &v.a);
		kb_write_str(w, "title", &v.a.title);
		mpw_cstr(w, "updated");
		mpw_uint(w, v.h.ts);
		if (control_page_item(w, mark, &l->more) != 0) {
			free(v.buf);
			return CONTROL_PAGE_FULL;
		}
		memcpy(l->last, key, strlen(key) + 1);
		l->count++;
	}
	free(v.buf);
	return 0;
}

int
kb_handle_list(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char after[RECORD_KEY_MAX + 1];
	struct kb_list l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.node = n;
	l.eb = eb;
	if ((rc = control_page_after_key(req, after, eb)) != 0)
		return rc;
	rc = mpmap_cstr(&req->args, "tag", l.tag, sizeof(l.tag), eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_cstr(&req->args, "category", l.category,
	    sizeof(l.category), eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	mpw_init(&l.items, CTL_PAGE_MAX);
	rc = store_objects_after(n->store, "kb", after[0] ? after : NULL,
	    kb_list_one, &l, eb);
	if (rc == CONTROL_PAGE_FULL)
		rc = 0;
	/* One article is far smaller than a page. */
	assert(l.count > 0 || !l.more);
	if (rc == 0) {
		mpw_map(w, 1 + l.more);
		mpw_cstr(w, "articles");
		mpw_array(w, l.count);
		mpw_raw(w, l.items.buf, l.items.len);
		kb_page_next(w, l.more, l.last);
	}
	mpw_release(&l.items);
	return rc;
}

/*
 * The heads of v as refs, first (one of them, or NULL) first and then the
 * latest: at most RECORD_REFS_MAX, so past that the oldest heads stay
 * (another resolve replaces them).  Their number.  kb diff compares a
 * revision with its first ref by default: the one it started from.
 */
static uint32_t
kb_heads_refs(const struct kb_view *v, const uint8_t *first,
    uint8_t refs[RECORD_REFS_MAX][RECORD_ID_LEN])
{
	uint32_t n = 0;

	if (first != NULL)
		memcpy(refs[n++], first, RECORD_ID_LEN);
	for (size_t i = v->heads_count; i-- > 0 && n < RECORD_REFS_MAX;)
		if (first == NULL ||
		    memcmp(v->heads[i].id, first, RECORD_ID_LEN) != 0)
			memcpy(refs[n++], v->heads[i].id, RECORD_ID_LEN);
	return n;
}

/* A revision of the article, decoded; buf owns the bytes. */
struct kb_rev {
	uint8_t *buf;
	struct record rec;
	struct record_header h;
	struct body_kb a;
};

static int
kb_rev_load(struct node *n, const uint8_t id[RECORD_ID_LEN],
    struct kb_rev *r, struct errbuf *eb)
{
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	/* A hidden revision is never shown. */
	if ((rc = store_get_served(n->store, id, &r->buf, &len, eb)) != 0)
		return rc;
	if ((rc = record_decode(&r->rec, r->buf, len, eb)) != 0 ||
	    (rc = record_header_decode(&r->h, r->rec.header,
	    r->rec.header_len, eb)) != 0 ||
	    (r->rec.body != NULL && (rc = body_kb_decode(&r->a, r->rec.body,
	    r->rec.body_len, eb)) != 0)) {
		free(r->buf);
		r->buf = NULL;
		return rc;
	}
	return 0;
}

/* Every revision of key; the caller frees *revs. */
static int
kb_revisions(struct node *n, const char *key, struct store_head **revs,
    size_t *count, struct errbuf *eb)
{
	return store_object_revisions_all(n->store, "kb", key, revs, count,
	    eb);
}

/* The revision of key whose hex id starts with the request's field. */
static int
kb_rev_find(struct node *n, const struct ctl_request *req, const char *field,
    const char *key, uint8_t id[RECORD_ID_LEN], struct errbuf *eb)
{
	char prefix[2 * RECORD_ID_LEN + 1], hex[2 * RECORD_ID_LEN + 1];
	struct store_head *revs;
	size_t count, found = 0, plen;
	int rc;

	if ((rc = mpmap_cstr(&req->args, field, prefix, sizeof(prefix),
	    eb)) != 0)
		return rc;
	plen = strlen(prefix);
	if (plen < STORE_PREFIX_MIN)
		return fail(eb, AMIE_EUSAGE, "revision '%s': give at least %d "
		    "characters", prefix, STORE_PREFIX_MIN);
	if ((rc = kb_revisions(n, key, &revs, &count, eb)) != 0)
		return rc;
	for (size_t i = 0; i < count; i++) {
		record_id_hex(hex, revs[i].id);
		if (strncmp(hex, prefix, plen) == 0 &&
		    store_head_is_served(n->store, &revs[i])) {
			memcpy(id, revs[i].id, RECORD_ID_LEN);
			found++;
		}
	}
	free(revs);
	if (found == 0)
		return fail(eb, AMIE_ENOTFOUND, "article %.8s has no revision "
		    "%s", key, prefix);
	if (found > 1)
		return fail(eb, AMIE_EAMBIGUOUS, "revision %s is ambiguous: "
		    "give more characters", prefix);
	return 0;
}

int
kb_handle_rm(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	uint8_t refs[RECORD_REFS_MAX][RECORD_ID_LEN], id[RECORD_ID_LEN];
	struct body_tombstone t;
	struct kb_view v;
	struct mpw body;
	uint32_t nrefs;
	int rc;

	if ((rc = kb_find(n, req, key, eb)) != 0 ||
	    (rc = kb_view_load(n, key, &v, eb)) != 0)
		return rc;
	free(v.buf);
	rc = mpmap_str(&req->args, "reason", &t.reason.s, &t.reason.len,
	    BODY_REASON_MAX, eb);
	if (rc == AMIE_ENOTFOUND) {
		t.reason.s = "";
		t.reason.len = 0;
	} else if (rc != 0) {
		return rc;
	}
	nrefs = kb_heads_refs(&v, NULL, refs);
	mpw_init(&body, RECORD_BODY_MAX);
	body_tombstone_encode(&t, &body);
	rc = node_write(n, "tombstone", "", (const uint8_t (*)[32])refs, nrefs,
	    body.buf, body.len, 0, id, eb);
	mpw_release(&body);
	if (rc != 0)
		return rc;
	kb_reply_written(w, key, id);
	return 0;
}

/* The (ts, id) of h as a cursor: ts big endian, then the id. */
static void
kb_cursor_put(uint8_t out[KB_CURSOR_LEN], const struct store_head *h)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(h->ts >> (56 - 8 * i));
	memcpy(out + 8, h->id, RECORD_ID_LEN);
}

/* Whether h comes after the cursor c in (ts, id) order. */
static int
kb_cursor_before(const uint8_t c[KB_CURSOR_LEN], const struct store_head *h)
{
	uint8_t k[KB_CURSOR_LEN];

	kb_cursor_put(k, h);
	return memcmp(c, k, KB_CURSOR_LEN) < 0;
}

/* The request's optional cursor "after" of command what, in *after (NULL
 * when absent). */
static int
kb_cursor_arg(const struct ctl_request *req, const char *what,
    const uint8_t **after, struct errbuf *eb)
{
	uint32_t len;
	int rc = mpmap_bin(&req->args, "after", after, &len, KB_CURSOR_LEN,
	    eb);

	if (rc == AMIE_ENOTFOUND) {
		*after = NULL;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (len != KB_CURSOR_LEN)
		return fail(eb, AMIE_EPROTO, "%s: after: %u bytes, not %d",
		    what, len, KB_CURSOR_LEN);
	return 0;
}

/* One revision of kb.history into w; head tells whether it is one. */
static void
kb_history_item(struct node *n, const struct store_head *rev, int head,
    struct mpw *w)
{
	char hex[2 * RECORD_ID_LEN + 1];
	struct errbuf eb;
	struct kb_rev r;

	if (kb_rev_load(n, rev->id, &r, &eb) != 0)
		memset(&r, 0, sizeof(r));
	mpw_map(w, 6);
	kb_write_author(w, &r.h);
	mpw_cstr(w, "head");
	mpw_bool(w, head);
	mpw_cstr(w, "refs");
	mpw_array(w, r.h.refs_count);
	for (uint32_t j = 0; j < r.h.refs_count; j++) {
		record_id_hex(hex, r.h.refs[j]);
		mpw_cstr(w, hex);
	}
	record_id_hex(hex, rev->id);
	mpw_cstr(w, "revision");
	mpw_cstr(w, hex);
	kb_write_str(w, "title", &r.a.title);
	mpw_cstr(w, "updated");
	mpw_uint(w, rev->ts);
	free(r.buf);
}

int
kb_handle_history(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	struct store_head *revs, heads[STORE_HEADS_MAX], last;
	uint8_t next[KB_CURSOR_LEN];
	const uint8_t *after;
	size_t count, nheads, nserved = 0;
	uint32_t shown = 0;
	struct mpw items;
	int rc, more = 0;

	memset(&last, 0, sizeof(last));
	if ((rc = kb_cursor_arg(req, "kb history", &after, eb)) != 0 ||
	    (rc = kb_find(n, req, key, eb)) != 0)
		return rc;
	if (tombstone_is_deleted(n->store, "kb", key))
		return fail(eb, AMIE_ENOTFOUND, "article %s was deleted", key);
	if ((rc = store_object_heads_served(n->store, "kb", key, heads,
	    STORE_HEADS_MAX, &nheads, eb)) != 0 ||
	    (rc = kb_revisions(n, key, &revs, &count, eb)) != 0)
		return rc;
	/* Only the served revisions: a hidden one is never shown. */
	for (size_t i = 0; i < count; i++)
		if (store_head_is_served(n->store, &revs[i]))
			revs[nserved++] = revs[i];
	/* As many as the page holds, measured as written: past it, the
	 * reply's next says where the following page starts. */
	mpw_init(&items, CTL_PAGE_MAX);
	for (size_t i = 0; i < nserved; i++) {
		size_t mark = items.len;
		int head = 0;

		if (after != NULL && !kb_cursor_before(after, &revs[i]))
			continue;
		for (size_t j = 0; j < nheads; j++)
			head |= memcmp(heads[j].id, revs[i].id,
			    RECORD_ID_LEN) == 0;
		kb_history_item(n, &revs[i], head, &items);
		if (items.overflow) {
			items.len = mark;
			items.overflow = 0;
			more = 1;
			break;
		}
		last = revs[i];
		shown++;
	}
	free(revs);
	/* One revision is far smaller than a page. */
	assert(shown > 0 || !more);
	mpw_map(w, 2 + more);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	if (more) {
		kb_cursor_put(next, &last);
		mpw_cstr(w, "next");
		mpw_bin(w, next, sizeof(next));
	}
	mpw_cstr(w, "revisions");
	mpw_array(w, shown);
	mpw_raw(w, items.buf, items.len);
	mpw_release(&items);
	return 0;
}

int
kb_handle_diff(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1], hex[2 * RECORD_ID_LEN + 1];
	uint8_t from[RECORD_ID_LEN], to[RECORD_ID_LEN];
	struct kb_rev a, b;
	struct kb_view v;
	int rc;

	if ((rc = kb_find(n, req, key, eb)) != 0 ||
	    (rc = kb_view_load(n, key, &v, eb)) != 0)
		return rc;
	memcpy(to, v.heads[v.winner].id, RECORD_ID_LEN);
	rc = kb_rev_find(n, req, "to", key, to, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND) {
		free(v.buf);
		return rc;
	}
	if (rc == AMIE_ENOTFOUND && mpmap_get(&req->args, "to") != NULL) {
		free(v.buf);
		return rc;
	}
	free(v.buf);
	if ((rc = kb_rev_load(n, to, &b, eb)) != 0)
		return rc;
	rc = kb_rev_find(n, req, "from", key, from, eb);
	if (rc == AMIE_ENOTFOUND && mpmap_get(&req->args, "from") == NULL) {
		/* By default: the revision the shown one replaced. */
		if (b.h.refs_count == 0) {
			free(b.buf);
			return fail(eb, AMIE_ENOTFOUND, "article %.8s has one "
			    "revision: nothing to compare", key);
		}
		memcpy(from, b.h.refs[0], RECORD_ID_LEN);
		rc = 0;
	}
	if (rc != 0 || (rc = kb_rev_load(n, from, &a, eb)) != 0) {
		free(b.buf);
		return rc;
	}
	mpw_map(w, 7);
	kb_write_str(w, "from_body", &a.a.text);
	record_id_hex(hex, from);
	mpw_cstr(w, "from_revision");
	mpw_cstr(w, hex);
	kb_write_str(w, "from_title", &a.a.title);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	kb_write_str(w, "to_body", &b.a.text);
	record_id_hex(hex, to);
	mpw_cstr(w, "to_revision");
	mpw_cstr(w, hex);
	kb_write_str(w, "to_title", &b.a.title);
	free(a.buf);
	free(b.buf);
	return 0;
}

struct kb_conflicts {
	struct node *node;
	struct mpw items;
	uint32_t count;
	int more;
	char last[RECORD_KEY_MAX + 1];	/* the last article listed */
};

static int
kb_conflicts_one(void *ctx, const char *key, const struct store_head *heads,
    size_t count)
{
	struct kb_conflicts *c = ctx;
	struct mpw *w = &c->items;
	char hex[2 * RECORD_ID_LEN + 1];
	struct kb_view v;
	struct errbuf eb;
	size_t mark;

	(void)heads;
	if (count < 2 || kb_view_load(c->node, key, &v, &eb) != 0)
		return 0;
	if (v.heads_count < 2) {	/* the others were hidden */
		free(v.buf);
		return 0;
	}
	mark = w->len;
	mpw_map(w, 4);
	mpw_cstr(w, "heads");
	mpw_array(w, (uint32_t)v.heads_count);
	for (size_t i = 0; i < v.heads_count; i++) {
		record_id_hex(hex, v.heads[i].id);
		mpw_cstr(w, hex);
	}
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	kb_write_str(w, "title", &v.a.title);
	record_id_hex(hex, v.heads[v.winner].id);
	mpw_cstr(w, "winner");
	mpw_cstr(w, hex);
	free(v.buf);
	if (control_page_item(w, mark, &c->more) != 0)
		return CONTROL_PAGE_FULL;
	memcpy(c->last, key, strlen(key) + 1);
	c->count++;
	return 0;
}

int
kb_handle_conflicts(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char after[RECORD_KEY_MAX + 1];
	struct kb_conflicts c;
	int rc;

	if ((rc = control_page_after_key(req, after, eb)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.node = n;
	mpw_init(&c.items, CTL_PAGE_MAX);
	rc = store_objects_after(n->store, "kb", after[0] ? after : NULL,
	    kb_conflicts_one, &c, eb);
	if (rc == CONTROL_PAGE_FULL)
		rc = 0;
	/* One article's heads are far smaller than a page. */
	assert(c.count > 0 || !c.more);
	if (rc == 0) {
		mpw_map(w, 1 + c.more);
		mpw_cstr(w, "conflicts");
		mpw_array(w, c.count);
		mpw_raw(w, c.items.buf, c.items.len);
		kb_page_next(w, c.more, c.last);
	}
	mpw_release(&c.items);
	return rc;
}

int
kb_handle_resolve(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	uint8_t refs[RECORD_REFS_MAX][RECORD_ID_LEN], keep[RECORD_ID_LEN];
	struct kb_rev kept;
	struct kb_view v;
	struct body_kb a;
	uint32_t nrefs;
	int rc;

	if ((rc = kb_find(n, req, key, eb)) != 0 ||
	    (rc = kb_view_load(n, key, &v, eb)) != 0)
		return rc;
	if (v.heads_count < 2) {
		free(v.buf);
		return fail(eb, AMIE_EUSAGE, "article %.8s has no conflict",
		    key);
	}
	memcpy(keep, v.heads[v.winner].id, RECORD_ID_LEN);
	rc = kb_rev_find(n, req, "keep", key, keep, eb);
	if (rc != 0 && !(rc == AMIE_ENOTFOUND &&
	    mpmap_get(&req->args, "keep") == NULL)) {
		free(v.buf);
		return rc;
	}
	if ((rc = kb_rev_load(n, keep, &kept, eb)) != 0) {
		free(v.buf);
		return rc;
	}
	a = kept.a;
	nrefs = kb_heads_refs(&v, keep, refs);
	if ((rc = kb_args(req, &a, eb)) == 0)
		rc = kb_write(n, key, &a, (const uint8_t (*)[32])refs, nrefs, w,
		    eb);
	free(kept.buf);
	free(v.buf);
	return rc;
}

int
kb_handle_search(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char query[SEARCH_QUERY_MAX + 1], tag[BODY_TAG_MAX + 1] = "";
	char cat[BODY_CATEGORY_MAX + 1] = "", lang[BODY_LANG_MAX + 1] = "";
	struct search_progress pr;
	struct search_result *res;
	struct search_filter f;
	uint64_t limit = 10;
	size_t count = 0;
	int rc;

	rc = mpmap_cstr(&req->args, "query", query, sizeof(query), eb);
	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "search: which words?");
	if (rc != 0)
		return rc;
	if (((rc = mpmap_cstr(&req->args, "tag", tag, sizeof(tag), eb)) != 0 &&
	    rc != AMIE_ENOTFOUND) ||
	    ((rc = mpmap_cstr(&req->args, "category", cat, sizeof(cat),
	    eb)) != 0 && rc != AMIE_ENOTFOUND) ||
	    ((rc = mpmap_cstr(&req->args, "lang", lang, sizeof(lang),
	    eb)) != 0 && rc != AMIE_ENOTFOUND) ||
	    ((rc = mpmap_uint(&req->args, "limit", &limit, eb)) != 0 &&
	    rc != AMIE_ENOTFOUND))
		return rc;
	if (limit == 0 || limit > SEARCH_LIMIT_MAX)
		return fail(eb, AMIE_EUSAGE, "--limit: 1 to %d",
		    SEARCH_LIMIT_MAX);
	memset(&f, 0, sizeof(f));
	f.tag = tag;
	f.category = cat;
	f.lang = lang;
	{
		const uint8_t *author;
		uint32_t alen;

		rc = mpmap_bin(&req->args, "author", &author, &alen, 32, eb);
		if (rc == 0 && alen == 32)
			f.author = author;
		else if (rc != AMIE_ENOTFOUND && rc != 0)
			return rc;
	}
	res = xcalloc(limit, sizeof(*res));
	if ((rc = search_query(n->store, query, &f, res, limit, &count,
	    eb)) != 0) {
		free(res);
		return rc;
	}
	if ((rc = search_reindex_progress(n->store, &pr, eb)) != 0) {
		free(res);
		return rc;
	}
	mpw_map(w, 3);
	mpw_cstr(w, "index_complete");
	mpw_bool(w, !pr.running);
	mpw_cstr(w, "query");
	mpw_cstr(w, query);
	mpw_cstr(w, "results");
	mpw_array(w, (uint32_t)count);
	for (size_t i = 0; i < count; i++) {
		struct kb_rev r;

		if (kb_rev_load(n, res[i].revision, &r, eb) != 0)
			memset(&r, 0, sizeof(r));
		/* Canonical msgpack has no floats: the score goes in
		 * thousandths and the command line divides. */
		mpw_map(w, 8);
		kb_write_author(w, &r.h);
		mpw_cstr(w, "id");
		mpw_cstr(w, res[i].key);
		kb_write_str(w, "lang", &r.a.lang);
		mpw_cstr(w, "score_milli");
		mpw_uint(w, (uint64_t)(res[i].score * 1000.0 + 0.5));
		mpw_cstr(w, "snippet");
		mpw_cstr(w, res[i].snippet);
		kb_write_tags(w, &r.a);
		kb_write_str(w, "title", &r.a.title);
		mpw_cstr(w, "updated");
		mpw_uint(w, r.h.ts);
		free(r.buf);
	}
	free(res);
	return 0;
}

int
kb_handle_reindex(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct search_progress pr;
	uint64_t articles = 0, bytes, total;
	int rc, step = 0;

	rc = mpmap_bool(&req->args, "step", &step, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if (!step) {
		if ((rc = search_reindex(n->store, &articles, eb)) != 0)
			return rc;
		mpw_map(w, 1);
		mpw_cstr(w, "articles");
		mpw_uint(w, articles);
		return 0;
	}
	/* One step of the rebuild under way, or of a new one. */
	if ((rc = search_reindex_progress(n->store, &pr, eb)) != 0)
		return rc;
	if (!pr.running) {
		if ((rc = search_reindex_start(n->store, &total, eb)) != 0)
			return rc;
		log_msg(LOG_NOTICE, "rebuilding the search index: %llu "
		    "articles", (unsigned long long)total);
	}
	if ((rc = search_reindex_step(n->store, KB_REINDEX_STEP, &pr,
	    eb)) != 0 ||
	    (rc = search_stats(n->store, &bytes, &articles, eb)) != 0)
		return rc;
	if (!pr.running)
		log_msg(LOG_NOTICE, "search index rebuilt: %llu articles",
		    (unsigned long long)articles);
	mpw_map(w, 4);
	mpw_cstr(w, "articles");
	mpw_uint(w, articles);
	mpw_cstr(w, "done");
	mpw_uint(w, pr.done);
	mpw_cstr(w, "finished");
	mpw_bool(w, !pr.running);
	mpw_cstr(w, "total");
	mpw_uint(w, pr.total);
	return 0;
}
