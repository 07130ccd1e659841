/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "daemon/tech.h"
#include "proto/nodeid.h"
#include "proto/workbody.h"

/* The shown revision of a technician; buf owns the bytes. */
struct tech_view {
	struct store_head heads[STORE_HEADS_MAX];
	size_t heads_count, winner;
	uint8_t *buf;
	struct record rec;
	struct record_header h;
	struct workbody_tech t;
};

static int
tech_view_load(struct node *n, const char *key, struct tech_view *v,
    struct errbuf *eb)
{
	size_t len;
	int rc;

	v->buf = NULL;
	if ((rc = store_object_heads(n->store, "tech", key, v->heads,
	    STORE_HEADS_MAX, &v->heads_count, eb)) != 0)
		return rc;
	v->winner = store_head_winner(v->heads, v->heads_count);
	if ((rc = store_get_served(n->store, v->heads[v->winner].id, &v->buf,
	    &len, eb)) != 0)
		return rc;
	if ((rc = record_decode(&v->rec, v->buf, len, eb)) != 0 ||
	    (rc = record_header_decode(&v->h, v->rec.header,
	    v->rec.header_len, eb)) != 0)
		goto fail;
	if (v->rec.body == NULL) {
		rc = fail(eb, AMIE_ENOTFOUND, "technician %s was erased", key);
		goto fail;
	}
	if ((rc = workbody_tech_decode(&v->t, v->rec.body, v->rec.body_len,
	    eb)) != 0)
		goto fail;
	return 0;
fail:
	free(v->buf);
	v->buf = NULL;
	return rc;
}

static int
tech_find(struct node *n, const struct ctl_request *req,
    char key[RECORD_KEY_MAX + 1], struct tech_view *v, struct errbuf *eb)
{
	char prefix[RECORD_KEY_MAX + 1];
	int rc = mpmap_cstr(&req->args, "id", prefix, sizeof(prefix), eb);

	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "which technician?");
	if (rc != 0)
		return rc;
	if ((rc = store_object_find(n->store, "tech", prefix, key, eb)) != 0)
		return rc == AMIE_ENOTFOUND ? fail(eb, AMIE_ENOTFOUND,
		    "no technician with id %s", prefix) : rc;
	return tech_view_load(n, key, v, eb);
}

/* An optional array of words from the request into l. */
static int
tech_arg_words(const struct ctl_request *req, const char *key,
    struct workbody_words *l, struct errbuf *eb)
{
	struct mpr r;
	int rc = mpmap_reader(&req->args, key, &r, eb);

	if (rc == AMIE_ENOTFOUND)
		return 0;
	if (rc != 0 || (rc = mpr_array(&r, &l->count, WORKBODY_WORDS_MAX, key,
	    eb)) != 0)
		return rc;
	for (uint32_t i = 0; i < l->count; i++)
		if ((rc = mpr_str(&r, &l->w[i].s, &l->w[i].len,
		    WORKBODY_WORD_MAX, key, eb)) != 0 ||
		    (rc = workbody_word_check(l->w[i].s, l->w[i].len, key,
		    eb)) != 0)
			return rc;
	return 0;
}

/* The request's fields over t; the body in w (initialised, empty). */
static int
tech_args(const struct ctl_request *req, struct workbody_tech *t,
    struct mpw *w, struct errbuf *eb)
{
	struct workbody_tech check;
	int rc;

	rc = mpmap_str(&req->args, "name", &t->name.s, &t->name.len,
	    BODY_NAME_MAX, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_str(&req->args, "availability", &t->availability.s,
	    &t->availability.len, WORKBODY_TEXT_MAX, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if ((rc = tech_arg_words(req, "skills", &t->skills, eb)) != 0 ||
	    (rc = tech_arg_words(req, "regions", &t->regions, eb)) != 0 ||
	    (rc = tech_arg_words(req, "langs", &t->langs, eb)) != 0)
		return rc;
	for (uint32_t i = 0; i < t->langs.count; i++)
		if (!workbody_str_is(&t->langs.w[i], "fr") &&
		    !workbody_str_is(&t->langs.w[i], "en"))
			return fail(eb, AMIE_EPROTO, "lang: fr or en, not "
			    "'%.*s'", (int)t->langs.w[i].len,
			    t->langs.w[i].s);
	if (t->name.len == 0)
		return fail(eb, AMIE_EPROTO, "name: a technician needs a name");
	if (t->skills.count == 0)
		return fail(eb, AMIE_EPROTO, "skills: give one at least");
	workbody_tech_encode(t, w);
	if ((rc = mpw_finish(w, "tech", eb)) != 0)
		return rc;
	return workbody_tech_decode(&check, w->buf, w->len, eb);
}

static void
tech_reply_written(struct mpw *w, const char *key,
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

int
tech_handle_add(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	uint8_t rnd[TECH_ID_BYTES], id[RECORD_ID_LEN];
	char key[2 * TECH_ID_BYTES + 1];
	struct workbody_tech t;
	struct mpw body;
	int rc;

	memset(&t, 0, sizeof(t));
	t.availability.s = "";
	mpw_init(&body, RECORD_BODY_MAX);
	if ((rc = tech_args(req, &t, &body, eb)) == 0) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(key, sizeof(key), rnd, sizeof(rnd));
		rc = node_write(n, "tech", key, NULL, 0, body.buf, body.len, 0,
		    id, eb);
	}
	mpw_release(&body);
	if (rc == 0)
		tech_reply_written(w, key, id);
	return rc;
}

int
tech_handle_edit(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	uint8_t id[RECORD_ID_LEN];
	struct workbody_tech t;
	struct tech_view v;
	struct mpw body;
	int rc;

	if ((rc = tech_find(n, req, key, &v, eb)) != 0)
		return rc;
	if (sodium_memcmp(v.h.author, n->pk, RECORD_KEY_LEN) != 0) {
		free(v.buf);
		return fail(eb, AMIE_EREFUSED, "technician %s belongs to "
		    "another Amie", key);
	}
	t = v.t;
	mpw_init(&body, RECORD_BODY_MAX);
	if ((rc = tech_args(req, &t, &body, eb)) == 0)
		rc = node_write(n, "tech", key,
		    (const uint8_t (*)[RECORD_ID_LEN])v.heads[v.winner].id, 1,
		    body.buf, body.len, 0, id, eb);
	mpw_release(&body);
	free(v.buf);
	if (rc == 0)
		tech_reply_written(w, key, id);
	return rc;
}

static void
tech_put_words(struct mpw *w, const char *key, const struct workbody_words *l)
{
	mpw_cstr(w, key);
	mpw_array(w, l->count);
	for (uint32_t i = 0; i < l->count; i++)
		mpw_str(w, l->w[i].s, l->w[i].len);
}

static void
tech_put(struct node *n, struct mpw *w, const char *key,
    const struct tech_view *v)
{
	char who[NODEID_LEN + 1];

	nodeid_format(who, v->h.author);
	mpw_map(w, 9);
	mpw_cstr(w, "amie");
	mpw_cstr(w, who);
	mpw_cstr(w, "availability");
	mpw_str(w, v->t.availability.s, v->t.availability.len);
	mpw_cstr(w, "id");
	mpw_cstr(w, key);
	tech_put_words(w, "langs", &v->t.langs);
	mpw_cstr(w, "mine");
	mpw_bool(w, sodium_memcmp(v->h.author, n->pk, RECORD_KEY_LEN) == 0);
	mpw_cstr(w, "name");
	mpw_str(w, v->t.name.s, v->t.name.len);
	tech_put_words(w, "regions", &v->t.regions);
	tech_put_words(w, "skills", &v->t.skills);
	mpw_cstr(w, "updated");
	mpw_uint(w, v->h.ts);
}

int
tech_handle_show(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char key[RECORD_KEY_MAX + 1];
	struct tech_view v;
	int rc;

	if ((rc = tech_find(n, req, key, &v, eb)) != 0)
		return rc;
	tech_put(n, w, key, &v);
	free(v.buf);
	return 0;
}

struct tech_list {
	struct node *node;
	char skill[WORKBODY_WORD_MAX + 1];
	char region[WORKBODY_WORD_MAX + 1];
	struct mpw items;
	uint32_t count, more;
	char last[RECORD_KEY_MAX + 1];	/* the last one listed */
	struct errbuf *eb;
};

static int
tech_has(const struct workbody_words *l, const char *word)
{
	if (word[0] == '\0')
		return 1;
	for (uint32_t i = 0; i < l->count; i++)
		if (l->w[i].len == strlen(word) &&
		    strncasecmp(l->w[i].s, word, l->w[i].len) == 0)
			return 1;
	return 0;
}

static int
tech_list_one(void *ctx, const char *key, const struct store_head *heads,
    size_t count)
{
	struct tech_list *l = ctx;
	struct tech_view v;

	(void)heads;
	(void)count;
	if (tech_view_load(l->node, key, &v, NULL) != 0)
		return 0;
	if (tech_has(&v.t.skills, l->skill) &&
	    tech_has(&v.t.regions, l->region)) {
		size_t mark = l->items.len;

		if (l->more == 0)
			tech_put(l->node, &l->items, key, &v);
		if (l->more > 0 || l->items.overflow) {
			/* Past the reply's room: counted, not listed. */
			l->items.len = mark;
			l->items.overflow = 0;
			l->more++;
		} else {
			memcpy(l->last, key, strlen(key) + 1);
			l->count++;
		}
	}
	free(v.buf);
	return 0;
}

int
tech_handle_list(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char after[RECORD_KEY_MAX + 1] = "";
	struct tech_list l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.node = n;
	l.eb = eb;
	rc = mpmap_cstr(&req->args, "after", after, sizeof(after), eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_cstr(&req->args, "skill", l.skill, sizeof(l.skill), eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_cstr(&req->args, "region", l.region, sizeof(l.region), eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	/* The page's room: past it, technicians are counted in more, and
	 * next names the last one listed, after which the next page
	 * starts. */
	mpw_init(&l.items, CTL_PAGE_MAX);
	rc = store_objects_after(n->store, "tech", after[0] ? after : NULL,
	    tech_list_one, &l, eb);
	/* One technician is far smaller than a page. */
	assert(l.count > 0 || l.more == 0);
	if (rc == 0 && (rc = mpw_finish(&l.items, "tech list", eb)) == 0) {
		mpw_map(w, 2 + (l.more > 0));
		mpw_cstr(w, "more");
		mpw_uint(w, l.more);
		if (l.more > 0) {
			mpw_cstr(w, "next");
			mpw_cstr(w, l.last);
		}
		mpw_cstr(w, "techs");
		mpw_array(w, l.count);
		mpw_raw(w, l.items.buf, l.items.len);
	}
	mpw_release(&l.items);
	return rc;
}
