/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "daemon/ingest.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "proto/xmalloc.h"

int
ingest_handle(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	struct store_in *in;
	struct store_out *out;
	uint64_t stored = 0, known = 0, refused = 0;
	uint32_t count, len;
	struct mpr r;
	int rc, quiet = 0;

	rc = mpmap_bool(&req->args, "quiet", &quiet, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if ((rc = mpmap_reader(&req->args, "records", &r, eb)) != 0 ||
	    (rc = mpr_array(&r, &count, STORE_BATCH_MAX, "records", eb)) != 0)
		return rc;
	in = xcalloc(count, sizeof(*in));
	out = xcalloc(count, sizeof(*out));
	for (uint32_t i = 0; i < count; i++) {
		if ((rc = mpr_bin(&r, &in[i].buf, &len, RECORD_ENCODED_MAX,
		    "records", eb)) != 0)
			goto done;
		in[i].len = len;
	}
	if ((rc = store_ingest(n->store, in, count, node_now_ms(), out,
	    eb)) != 0)
		goto done;
	for (uint32_t i = 0; i < count; i++) {
		if (out[i].code != 0) {
			refused++;
			log_msg(LOG_NOTICE, "ingest: refused a record: %s",
			    out[i].reason);
		} else if (out[i].stored) {
			stored++;
		} else {
			known++;
		}
	}
	/* Quiet (amie import): not pushed, but a membership change takes
	 * effect at once all the same. */
	if (n->net != NULL)
		net_records_stored(n->net, out, count, quiet);
	mpw_map(w, 4);
	mpw_cstr(w, "known");
	mpw_uint(w, known);
	mpw_cstr(w, "refused");
	mpw_uint(w, refused);
	mpw_cstr(w, "results");
	mpw_array(w, count);
	for (uint32_t i = 0; i < count; i++) {
		char hex[2 * RECORD_ID_LEN + 1] = "";
		int refused_one = out[i].code != 0;

		if (out[i].kind[0] != '\0' || !refused_one)
			record_id_hex(hex, out[i].id);
		mpw_map(w, refused_one ? 4 : 2);
		if (refused_one) {
			mpw_cstr(w, "code");
			mpw_uint(w, (uint64_t)out[i].code);
			mpw_cstr(w, "error");
			mpw_cstr(w, out[i].reason);
		}
		mpw_cstr(w, "id");
		mpw_cstr(w, hex);
		mpw_cstr(w, "stored");
		mpw_bool(w, out[i].stored);
	}
	mpw_cstr(w, "stored");
	mpw_uint(w, stored);
done:
	free(in);
	free(out);
	return rc;
}
