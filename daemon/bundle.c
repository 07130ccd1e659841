/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "daemon/bundle.h"
#include "store/export.h"

struct bundle_page {
	struct mpw recs;
	uint32_t count;
};

static void
bundle_add(void *ctx, const uint8_t *buf, size_t len)
{
	struct bundle_page *p = ctx;

	mpw_bin(&p->recs, buf, len);
	p->count++;
}

int
bundle_handle_export(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char kind[RECORD_KIND_MAX + 1] = "";
	uint8_t next[EXPORT_CURSOR_LEN];
	const uint8_t *after = NULL;
	struct bundle_page p;
	uint64_t since = 0;
	uint32_t alen;
	int rc, done;

	rc = mpmap_bin(&req->args, "after", &after, &alen, EXPORT_CURSOR_LEN,
	    eb);
	if (rc == AMIE_ENOTFOUND)
		after = NULL;
	else if (rc != 0)
		return rc;
	else if (alen != EXPORT_CURSOR_LEN)
		return fail(eb, AMIE_EPROTO, "export: after: %u bytes, not %d",
		    alen, EXPORT_CURSOR_LEN);
	rc = mpmap_uint(&req->args, "since", &since, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_cstr(&req->args, "kind", kind, sizeof(kind), eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	mpw_init(&p.recs, CTL_MSG_MAX);
	p.count = 0;
	if ((rc = export_page(n->store, after, since, kind, BUNDLE_PAGE_BYTES,
		 BUNDLE_PAGE_COUNT, bundle_add, &p, next, &done, eb)) != 0) {
		mpw_release(&p.recs);
		return rc;
	}
	mpw_map(w, 3);
	mpw_cstr(w, "done");
	mpw_bool(w, done);
	mpw_cstr(w, "next");
	mpw_bin(w, next, sizeof(next));
	mpw_cstr(w, "records");
	mpw_array(w, p.count);
	mpw_raw(w, p.recs.buf, p.recs.len);
	mpw_release(&p.recs);
	return 0;
}
