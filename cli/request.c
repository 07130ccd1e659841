/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli/request.h"

static struct request_field *
request_add(struct request *r, const char *key, int type)
{
	struct request_field *f;

	assert(r->count < REQUEST_FIELDS_MAX);
	f = &r->f[r->count++];
	memset(f, 0, sizeof(*f));
	f->key = key;
	f->type = type;
	return f;
}

void
request_init(struct request *r, const char *cmd)
{
	r->count = 0;
	request_str(r, "cmd", cmd);
}

void
request_str(struct request *r, const char *key, const char *s)
{
	request_add(r, key, MP_STR)->s = s;
}

void
request_uint(struct request *r, const char *key, uint64_t v)
{
	request_add(r, key, MP_UINT)->u = v;
}

void
request_bool(struct request *r, const char *key, int v)
{
	request_add(r, key, MP_BOOL)->u = v != 0;
}

void
request_strs(struct request *r, const char *key, const char *const *strs,
    uint32_t count)
{
	struct request_field *f = request_add(r, key, MP_ARRAY);

	f->strs = strs;
	f->count = count;
}

static int
request_cmp(const void *a, const void *b)
{
	return strcmp(((const struct request_field *)a)->key,
	    ((const struct request_field *)b)->key);
}

int
request_send(const struct cli *c, struct request *r, struct cli_reply *reply,
    int notfound_is_bad)
{
	return request_send_pages(c, r, NULL, reply, notfound_is_bad);
}

int
request_send_pages(const struct cli *c, struct request *r, const char *pages,
    struct cli_reply *reply, int notfound_is_bad)
{
	struct errbuf eb;
	struct mpw w;
	int rc;

	qsort(r->f, r->count, sizeof(r->f[0]), request_cmp);
	mpw_init(&w, CTL_MSG_MAX);
	mpw_map(&w, (uint32_t)r->count);
	for (size_t i = 0; i < r->count; i++) {
		const struct request_field *f = &r->f[i];

		mpw_cstr(&w, f->key);
		switch (f->type) {
		case MP_STR:
			mpw_cstr(&w, f->s);
			break;
		case MP_UINT:
			mpw_uint(&w, f->u);
			break;
		case MP_BOOL:
			mpw_bool(&w, (int)f->u);
			break;
		default:
			mpw_array(&w, f->count);
			for (uint32_t k = 0; k < f->count; k++)
				mpw_cstr(&w, f->strs[k]);
			break;
		}
	}
	errbuf_clear(&eb);
	if ((rc = mpw_finish(&w, "request", &eb)) == 0)
		rc = pages != NULL ? cli_call_pages(c, &w, pages, reply, &eb) :
		    cli_call(c, &w, reply, &eb);
	mpw_release(&w);
	if (rc == 0)
		return 0;
	if (rc == AMIE_ENOTFOUND && notfound_is_bad)
		return cli_error(c, CLI_EXIT_DATAERR, "%s", eb.msg);
	return cli_fail(c, &eb);
}

int
request_each(const struct cli_reply *r, const char *key,
    void (*fn)(void *ctx, const struct mpmap *m), void *ctx,
    uint32_t *count)
{
	struct mpr rd;
	uint32_t n;

	if (mpmap_reader(&r->m, key, &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, key, NULL) != 0)
		return -1;
	*count = n;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *start = rd.p;
		struct mpmap m;

		if (mpr_skip(&rd, MP_DEPTH_MAX, key, NULL) != 0)
			return -1;
		if (fn != NULL && mpmap_decode(&m, start,
		    (size_t)(rd.p - start), key, NULL) == 0)
			fn(ctx, &m);
	}
	return 0;
}

int64_t
request_int(const struct mpmap *m, const char *key)
{
	struct mptok t;
	struct mpr rd;

	if (mpmap_reader(m, key, &rd, NULL) != 0 ||
	    mpr_token(&rd, &t, key, NULL) != 0)
		return 0;
	if (t.type == MP_UINT)
		return t.u > INT64_MAX ? INT64_MAX : (int64_t)t.u;
	return t.type == MP_INT ? t.i : 0;
}

void
request_cstr(const struct mpmap *m, const char *key, char *out, size_t cap)
{
	if (mpmap_cstr(m, key, out, cap, NULL) != 0 && cap > 0)
		out[0] = '\0';
}
