/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * daemon/kb.c's handlers on a node whose store holds an article edited
 * by a member removed since, from before that edit: the edit is hidden
 * (docs/protocol.md, sections 5 and 12), so the article shows, edits and
 * lists as it was before it, and no command shows the hidden revision.
 * And lists longer than one reply holds (kb.history, kb.list,
 * kb.conflicts) come in pages (docs/protocol.md, section 7, Pages).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/kb.h"
#include "daemon/node.h"
#include "proto/body.h"
#include "proto/ctl.h"
#include "proto/xmalloc.h"
#include "store/store.h"
#include "tests/unit/ctlcall.h"
#include "tests/unit/test.h"

#define KEY "0123456789abcdef0123456789abcdef"

static size_t reply_len;	/* of the last reply call() made */

struct who {
	uint8_t pk[32], sk[64];
	char hex[65];
};

struct fixture {
	char dir[64];
	struct node n;
	struct who founder, y;
	uint8_t net[32];
	uint8_t rev1[32], rev2[32];
	char rev2_hex[65];
};

static void
sign_put(struct fixture *f, const struct who *by, const char *kind,
    const char *key, uint64_t ts, const struct mpw *body,
    const uint8_t *ref, const uint8_t *net, uint8_t id[32])
{
	struct record_header h;
	struct store_out o;
	struct store_in in;
	struct errbuf eb;
	struct mpw out;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, by->pk, 32);
	h.ts = ts;
	if (ref != NULL) {
		memcpy(h.refs[0], ref, 32);
		h.refs_count = 1;
	}
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (record_sign(&h, body->buf, body->len, by->sk, net, &out, id,
	    NULL) != 0)
		abort();
	in.buf = out.buf;
	in.len = out.len;
	if (store_ingest(f->n.store, &in, 1, node_now_ms(), &o, &eb) != 0 ||
	    !o.stored) {
		fprintf(stderr, "  not stored: %s\n", o.reason);
		abort();
	}
	if (strcmp(kind, "charter") == 0) {
		struct record r;

		record_decode(&r, out.buf, out.len, NULL);
		record_network_id(f->net, r.header, r.header_len);
	}
	mpw_release(&out);
}

static void
put_kb(struct fixture *f, const struct who *by, const char *title,
    uint64_t ts, const uint8_t *ref, uint8_t id[32])
{
	struct body_kb a;
	struct mpw body;

	memset(&a, 0, sizeof(a));
	a.title.s = title;
	a.title.len = (uint32_t)strlen(title);
	a.text.s = title;
	a.text.len = (uint32_t)strlen(title);
	a.lang.s = "fr";
	a.lang.len = 2;
	mpw_init(&body, RECORD_BODY_MAX);
	body_kb_encode(&a, &body);
	sign_put(f, by, "kb", KEY, ts, &body, ref, f->net, id);
	mpw_release(&body);
}

/*
 * The founder's node; member Y; the founder's article (rev1), Y's edit
 * of it (rev2, 20 s later), then Y removed as compromised from 10 s
 * after rev1: rev2 is hidden.
 */
static void
fx_open(struct fixture *f)
{
	uint64_t t0 = node_now_ms() - 600000;
	struct body_member_remove mr;
	struct body_member_add ma;
	struct body_charter c;
	struct errbuf eb;
	struct mpw body;
	uint8_t id[32];

	memset(f, 0, sizeof(*f));
	test_tmpdir(f->dir, sizeof(f->dir), "kb-test");
	crypto_sign_keypair(f->founder.pk, f->founder.sk);
	crypto_sign_keypair(f->y.pk, f->y.sk);
	record_id_hex(f->y.hex, f->y.pk);
	memcpy(f->n.dir, f->dir, sizeof(f->dir));
	memcpy(f->n.pk, f->founder.pk, 32);
	f->n.sk = f->founder.sk;
	f->n.lock_fd = -1;
	if (store_open(&f->n.store, f->dir, f->n.pk, &eb) != 0)
		abort();

	c.name.s = "Fed";
	c.name.len = 3;
	memcpy(c.founder, f->founder.pk, 32);
	c.admit_quorum = 1;
	c.remove_quorum = 1;
	mpw_init(&body, RECORD_BODY_MAX);
	body_charter_encode(&c, &body);
	sign_put(f, &f->founder, "charter", "", t0, &body, NULL, NULL, id);
	mpw_release(&body);

	memset(&ma, 0, sizeof(ma));
	ma.name.s = "Y";
	ma.name.len = 1;
	memcpy(ma.invited_by, f->founder.pk, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_add_encode(&ma, &body);
	sign_put(f, &f->founder, "member.add", f->y.hex, t0 + 1000, &body,
	    NULL, f->net, id);
	mpw_release(&body);

	put_kb(f, &f->founder, "first by the founder", t0 + 2000, NULL,
	    f->rev1);
	put_kb(f, &f->y, "hidden edit by Y", t0 + 22000, f->rev1, f->rev2);
	record_id_hex(f->rev2_hex, f->rev2);

	mr.reason.s = "compromised";
	mr.reason.len = 11;
	mr.effective_from = t0 + 12000;
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_remove_encode(&mr, &body);
	sign_put(f, &f->founder, "member.remove", f->y.hex, t0 + 30000, &body,
	    NULL, f->net, id);
	mpw_release(&body);
}

static void
fx_close(struct fixture *f)
{
	store_close(&f->n.store);
	test_rmdir(f->dir);
}

/*
 * Run handler fn with the request {"cmd": cmd, field: value} (fields in
 * bytewise order); the reply in *reply (NUL-terminated copy, to search)
 * and the handler's code returned.
 */
static int
call(struct fixture *f, control_fn fn, const char *cmd, const char *field,
    const char *value, const char *field2, const char *value2,
    char **reply, struct errbuf *eb)
{
	struct ctl_request req;
	struct mpw r, w;
	int rc;

	mpw_init(&r, CTL_MSG_MAX);
	mpw_map(&r, field2 != NULL ? 3 : 2);
	mpw_cstr(&r, "cmd");
	mpw_cstr(&r, cmd);
	if (field2 != NULL && strcmp(field2, field) < 0) {
		mpw_cstr(&r, field2);
		mpw_cstr(&r, value2);
		field2 = NULL;
	}
	mpw_cstr(&r, field);
	mpw_cstr(&r, value);
	if (field2 != NULL) {
		mpw_cstr(&r, field2);
		mpw_cstr(&r, value2);
	}
	errbuf_clear(eb);
	if (ctl_request_decode(&req, r.buf, r.len, eb) != 0)
		abort();
	mpw_init(&w, CTL_MSG_MAX);
	rc = fn(&f->n, &req, &w, eb);
	*reply = xcalloc(1, w.len + 1);
	if (w.len > 0)
		memcpy(*reply, w.buf, w.len);
	reply_len = w.len;
	if (rc != 0)
		fprintf(stderr, "  %s: %s\n", cmd, eb->msg);
	mpw_release(&w);
	mpw_release(&r);
	return rc;
}

static int
has(const char *reply, const char *s)
{
	return memmem(reply, reply_len, s, strlen(s)) != NULL;
}

TEST(show_an_article_whose_latest_edit_is_hidden)
{
	struct fixture f;
	struct errbuf eb;
	char *reply;

	fx_open(&f);
	CHECK_EQ_INT(call(&f, kb_handle_show, "kb.show", "id", "0123", NULL,
	    NULL, &reply, &eb), 0);
	CHECK(has(reply, "first by the founder"));
	CHECK(!has(reply, "hidden edit by Y"));
	free(reply);
	fx_close(&f);
}

TEST(edit_an_article_whose_latest_edit_is_hidden)
{
	struct fixture f;
	struct errbuf eb;
	char *reply;

	fx_open(&f);
	CHECK_EQ_INT(call(&f, kb_handle_edit, "kb.edit", "id", "0123",
	    "title", "mended", &reply, &eb), 0);
	free(reply);
	/* The hidden edit is no conflict of the new revision. */
	CHECK_EQ_INT(call(&f, kb_handle_show, "kb.show", "id", "0123", NULL,
	    NULL, &reply, &eb), 0);
	CHECK(has(reply, "mended"));
	CHECK(has(reply, "conflicts\x90"));
	free(reply);
	CHECK_EQ_INT(call(&f, kb_handle_conflicts, "kb.conflicts", "x", "",
	    NULL, NULL, &reply, &eb), 0);
	CHECK(!has(reply, KEY));
	free(reply);
	fx_close(&f);
}

TEST(list_an_article_whose_latest_edit_is_hidden)
{
	struct fixture f;
	struct errbuf eb;
	char *reply;

	fx_open(&f);
	CHECK_EQ_INT(call(&f, kb_handle_list, "kb.list", "tag", "",
	    NULL, NULL, &reply, &eb), 0);
	CHECK(has(reply, KEY));
	free(reply);
	fx_close(&f);
}

TEST(history_and_diff_do_not_show_a_hidden_revision)
{
	struct fixture f;
	struct errbuf eb;
	char *reply;
	int rc;

	fx_open(&f);
	rc = call(&f, kb_handle_history, "kb.history", "id", "0123", NULL,
	    NULL, &reply, &eb);
	CHECK_EQ_INT(rc, 0);
	CHECK(!has(reply, "hidden edit by Y"));
	CHECK(!has(reply, f.rev2_hex));
	free(reply);
	/* --to the hidden revision: its text must not come out. */
	rc = call(&f, kb_handle_diff, "kb.diff", "id", "0123", "to",
	    f.rev2_hex, &reply, &eb);
	CHECK(!has(reply, "hidden edit by Y"));
	free(reply);
	fx_close(&f);
}

/*
 * kb search finds the article as kb show shows it: by the text of the
 * revision before the hidden edit, not by the hidden one.  The removal
 * came after both revisions were indexed, so the index must be updated
 * when it hides the edit.
 */
TEST(search_an_article_whose_latest_edit_is_hidden)
{
	struct fixture f;
	struct errbuf eb;
	char *reply;

	fx_open(&f);
	CHECK_EQ_INT(call(&f, kb_handle_search, "kb.search", "query",
	    "founder", NULL, NULL, &reply, &eb), 0);
	CHECK(has(reply, KEY));
	free(reply);
	CHECK_EQ_INT(call(&f, kb_handle_search, "kb.search", "query",
	    "hidden", NULL, NULL, &reply, &eb), 0);
	CHECK(!has(reply, KEY));
	free(reply);
	fx_close(&f);
}

#define LONG_KEY "fedcba9876543210fedcba9876543210"
#define LONG_REVISIONS 5000
#define LONG_BATCH 500

/*
 * LONG_REVISIONS revisions of article LONG_KEY by the founder, each
 * replacing the one before, one ms apart from t0, ingested in batches.
 */
static void
put_long_history(struct fixture *f, uint64_t t0)
{
	struct store_in in[LONG_BATCH];
	struct store_out *o;
	uint8_t prev[32];
	struct errbuf eb;
	struct body_kb a;
	struct mpw body;
	char title[32];

	o = xcalloc(LONG_BATCH, sizeof(*o));
	for (int b = 0; b < LONG_REVISIONS / LONG_BATCH; b++) {
		for (int i = 0; i < LONG_BATCH; i++) {
			int k = b * LONG_BATCH + i;
			struct record_header h;
			struct mpw out;

			snprintf(title, sizeof(title), "revision %d", k);
			memset(&a, 0, sizeof(a));
			a.title.s = title;
			a.title.len = (uint32_t)strlen(title);
			a.lang.s = "fr";
			a.lang.len = 2;
			mpw_init(&body, RECORD_BODY_MAX);
			body_kb_encode(&a, &body);
			memset(&h, 0, sizeof(h));
			memcpy(h.kind, "kb", 2);
			memcpy(h.key, LONG_KEY, strlen(LONG_KEY));
			memcpy(h.author, f->founder.pk, 32);
			h.ts = t0 + (uint64_t)k;
			if (k > 0) {
				memcpy(h.refs[0], prev, 32);
				h.refs_count = 1;
			}
			mpw_init(&out, RECORD_ENCODED_MAX);
			if (record_sign(&h, body.buf, body.len, f->founder.sk,
			    f->net, &out, prev, NULL) != 0)
				abort();
			mpw_release(&body);
			in[i].buf = mpw_take(&out, &in[i].len);
		}
		if (store_ingest(f->n.store, in, LONG_BATCH, node_now_ms(), o,
		    &eb) != 0)
			abort();
		for (int i = 0; i < LONG_BATCH; i++) {
			if (!o[i].stored) {
				fprintf(stderr, "  not stored: %s\n",
				    o[i].reason);
				abort();
			}
			free((void *)in[i].buf);
		}
	}
	free(o);
}

/*
 * Run handler fn with {"after": after (after_len bytes, none when NULL),
 * "cmd": cmd, "id": id}, as the control socket would: the reply must fit
 * in CTL_MSG_MAX.  The reply in *reply (free it) and *len.
 */
static int
call_after(struct fixture *f, control_fn fn, const char *cmd,
    const char *id, const uint8_t *after, size_t after_len,
    uint8_t **reply, size_t *len, struct errbuf *eb)
{
	struct ctl_arg args[2] = {
		{ "after", NULL, NULL, 0 },
		{ "id", id, NULL, 0 },
	};
	struct mpw bin;
	int rc;

	mpw_init(&bin, CTL_MSG_MAX);
	if (after != NULL)
		mpw_bin(&bin, after, after_len);
	args[0].raw = bin.buf;
	args[0].len = bin.len;
	rc = ctl_call(&f->n, fn, cmd, after != NULL ? args : args + 1,
	    after != NULL ? 2 : 1, reply, len, eb);
	mpw_release(&bin);
	return rc;
}

/*
 * An article of 5000 revisions: its history took more than 1 MiB and
 * failed as a whole.  Page by page, each under the limit, every revision
 * comes once, oldest first, and the last page says no more.
 */
TEST(history_of_5000_revisions_comes_in_pages)
{
	uint64_t t0 = node_now_ms() - 3600000, want = t0;
	uint8_t cursor[KB_CURSOR_LEN], *reply;
	int pages = 0, next = 1;
	struct fixture f;
	struct errbuf eb;
	uint32_t total = 0;
	size_t len;

	fx_open(&f);
	put_long_history(&f, t0);
	while (next && pages < 100) {
		const uint8_t *b;
		struct mpmap m;
		struct mpr rd;
		uint32_t n, blen;

		REQUIRE(call_after(&f, kb_handle_history, "kb.history",
		    LONG_KEY, pages > 0 ? cursor : NULL, sizeof(cursor),
		    &reply, &len, &eb) == 0);
		pages++;
		CHECK(len <= CTL_MSG_MAX);
		REQUIRE(mpmap_decode(&m, reply, len, "reply", &eb) == 0);
		REQUIRE(mpmap_reader(&m, "revisions", &rd, &eb) == 0);
		REQUIRE(mpr_array(&rd, &n, UINT32_MAX, "revisions", &eb) == 0);
		CHECK(n > 0);
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *start = rd.p;
			struct mpmap item;
			uint64_t ts = 0;

			REQUIRE(mpr_skip(&rd, MP_DEPTH_MAX, "rev", &eb) == 0);
			REQUIRE(mpmap_decode(&item, start,
			    (size_t)(rd.p - start), "rev", &eb) == 0);
			CHECK(mpmap_uint(&item, "updated", &ts, &eb) == 0);
			CHECK_EQ_INT(ts, want);
			want++;
		}
		total += n;
		next = mpmap_bin(&m, "next", &b, &blen, KB_CURSOR_LEN,
		    &eb) == 0;
		if (next) {
			REQUIRE(blen == KB_CURSOR_LEN);
			memcpy(cursor, b, KB_CURSOR_LEN);
		}
		free(reply);
	}
	CHECK_EQ_INT(total, LONG_REVISIONS);
	CHECK(pages >= 2);
	CHECK(!next);
	fx_close(&f);
}

/* A cursor of another length or type is refused, and says which. */
TEST(history_refuses_a_bad_cursor)
{
	uint8_t bad[KB_CURSOR_LEN + 1], *reply;
	struct fixture f;
	struct errbuf eb;
	size_t len;

	memset(bad, 0, sizeof(bad));
	fx_open(&f);
	CHECK_EQ_INT(call_after(&f, kb_handle_history, "kb.history", "0123",
	    bad, KB_CURSOR_LEN - 1, &reply, &len, &eb), AMIE_EPROTO);
	CHECK_STR(eb.msg, "kb history: after: 39 bytes, not 40");
	free(reply);
	CHECK_EQ_INT(call_after(&f, kb_handle_history, "kb.history", "0123",
	    bad, sizeof(bad), &reply, &len, &eb), AMIE_ELIMIT);
	free(reply);
	/* A cursor before every revision: all of them. */
	CHECK_EQ_INT(call_after(&f, kb_handle_history, "kb.history", "0123",
	    bad, KB_CURSOR_LEN, &reply, &len, &eb), 0);
	free(reply);
	fx_close(&f);
}

#define MANY_ARTICLES 2000
#define MANY_BATCH 500

/*
 * MANY_ARTICLES articles with titles of 500 bytes, each with two heads
 * (two first revisions, a conflict), ingested in batches.
 */
static void
put_many_conflicts(struct fixture *f, uint64_t t0)
{
	struct store_in in[MANY_BATCH];
	struct store_out *o;
	char title[501], key[33];
	struct errbuf eb;
	struct body_kb a;
	struct mpw body;
	uint8_t id[32];

	o = xcalloc(MANY_BATCH, sizeof(*o));
	memset(title, 't', 500);
	title[500] = '\0';
	for (int b = 0; b < 2 * MANY_ARTICLES / MANY_BATCH; b++) {
		for (int i = 0; i < MANY_BATCH; i++) {
			int k = b * MANY_BATCH + i;
			struct record_header h;
			struct mpw out;

			memset(&a, 0, sizeof(a));
			a.title.s = title;
			a.title.len = 500;
			a.lang.s = "fr";
			a.lang.len = 2;
			mpw_init(&body, RECORD_BODY_MAX);
			body_kb_encode(&a, &body);
			memset(&h, 0, sizeof(h));
			memcpy(h.kind, "kb", 2);
			snprintf(key, sizeof(key), "%032d", k / 2);
			memcpy(h.key, key, 32);
			memcpy(h.author, f->founder.pk, 32);
			h.ts = t0 + (uint64_t)k;
			mpw_init(&out, RECORD_ENCODED_MAX);
			if (record_sign(&h, body.buf, body.len, f->founder.sk,
			    f->net, &out, id, NULL) != 0)
				abort();
			mpw_release(&body);
			in[i].buf = mpw_take(&out, &in[i].len);
		}
		if (store_ingest(f->n.store, in, MANY_BATCH, node_now_ms(), o,
		    &eb) != 0)
			abort();
		for (int i = 0; i < MANY_BATCH; i++) {
			if (!o[i].stored) {
				fprintf(stderr, "  not stored: %s\n",
				    o[i].reason);
				abort();
			}
			free((void *)in[i].buf);
		}
	}
	free(o);
}

/*
 * Ask fn (cmd) for every page of its list field key, as the command line
 * does: {"after": the next of the page before, "cmd": cmd}.  Each reply
 * must fit in CTL_MSG_MAX, bring an item and go on in article id order.
 * The items in *total, the pages returned.
 */
static int
all_pages(struct fixture *f, control_fn fn, const char *cmd, const char *key,
    uint32_t *total)
{
	char cursor[RECORD_KEY_MAX + 1] = "", prev[RECORD_KEY_MAX + 1] = "";
	int pages = 0, next = 1;

	*total = 0;
	while (next && pages < 100) {
		struct ctl_request req;
		struct errbuf eb;
		struct mpmap m;
		struct mpw r, w;
		struct mpr rd;
		uint32_t n;

		mpw_init(&r, CTL_MSG_MAX);
		mpw_map(&r, 1 + (pages > 0));
		if (pages > 0) {
			mpw_cstr(&r, "after");
			mpw_cstr(&r, cursor);
		}
		mpw_cstr(&r, "cmd");
		mpw_cstr(&r, cmd);
		if (ctl_request_decode(&req, r.buf, r.len, &eb) != 0)
			abort();
		mpw_init(&w, CTL_MSG_MAX);
		CHECK_EQ_INT(fn(&f->n, &req, &w, &eb), 0);
		CHECK_EQ_INT(mpw_finish(&w, "reply", &eb), 0);
		pages++;
		if (mpmap_decode(&m, w.buf, w.len, "reply", &eb) != 0 ||
		    mpmap_reader(&m, key, &rd, &eb) != 0 ||
		    mpr_array(&rd, &n, UINT32_MAX, key, &eb) != 0) {
			test_failed_ = 1;
			fprintf(stderr, "  %s: %s\n", cmd, eb.msg);
			n = 0;
		}
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *start = rd.p;
			char id[RECORD_KEY_MAX + 1];
			struct mpmap item;

			if (mpr_skip(&rd, MP_DEPTH_MAX, key, &eb) != 0 ||
			    mpmap_decode(&item, start, (size_t)(rd.p - start),
			    key, &eb) != 0 ||
			    mpmap_cstr(&item, "id", id, sizeof(id), &eb) != 0)
				abort();
			CHECK(strcmp(prev, id) < 0);
			memcpy(prev, id, sizeof(id));
		}
		*total += n;
		next = mpmap_cstr(&m, "next", cursor, sizeof(cursor),
		    &eb) == 0;
		CHECK(!next || (n > 0 && strcmp(cursor, prev) == 0));
		mpw_release(&w);
		mpw_release(&r);
	}
	CHECK(!next);
	return pages;
}

/*
 * 2000 articles of long titles, each in conflict: kb list and kb
 * conflicts took more than 1 MiB and failed as a whole.  Page by page,
 * every article comes once.
 */
TEST(list_and_conflicts_of_2000_articles_come_in_pages)
{
	struct fixture f;
	uint32_t total;

	fx_open(&f);
	put_many_conflicts(&f, node_now_ms() - 3600000);
	CHECK(all_pages(&f, kb_handle_list, "kb.list", "articles",
	    &total) >= 2);
	CHECK_EQ_INT(total, MANY_ARTICLES + 1);	/* and KEY */
	CHECK(all_pages(&f, kb_handle_conflicts, "kb.conflicts", "conflicts",
	    &total) >= 2);
	CHECK_EQ_INT(total, MANY_ARTICLES);
	fx_close(&f);
}

TESTS(T(show_an_article_whose_latest_edit_is_hidden),
    T(edit_an_article_whose_latest_edit_is_hidden),
    T(list_an_article_whose_latest_edit_is_hidden),
    T(history_and_diff_do_not_show_a_hidden_revision),
    T(search_an_article_whose_latest_edit_is_hidden),
    T(history_of_5000_revisions_comes_in_pages),
    T(history_refuses_a_bad_cursor),
    T(list_and_conflicts_of_2000_articles_come_in_pages))
