/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include "proto/ctl.h"

int
ctl_request_decode(struct ctl_request *req, const uint8_t *buf, size_t len,
    struct errbuf *eb)
{
	int rc;

	if (len > CTL_MSG_MAX)
		return fail(eb, AMIE_ELIMIT, "request: %zu bytes, limit %d",
		    len, CTL_MSG_MAX);
	if ((rc = mpmap_decode(&req->args, buf, len, "request", eb)) != 0)
		return rc;
	rc = mpmap_cstr(&req->args, "cmd", req->cmd, sizeof(req->cmd), eb);
	if (rc != 0)
		req->cmd[0] = '\0';
	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EPROTO, "request: no cmd field");
	return rc;
}

void
ctl_reply_error(struct mpw *w, const struct errbuf *eb)
{
	mpw_map(w, 2);
	mpw_cstr(w, "code");
	mpw_uint(w, (uint64_t)(eb->code ? eb->code : AMIE_EPROTO));
	mpw_cstr(w, "error");
	mpw_cstr(w, eb->msg);
}

int
ctl_reply_status(const uint8_t *buf, size_t len, struct errbuf *eb)
{
	struct mpmap m;
	uint64_t code;
	char msg[ERRBUF_LEN];
	int rc;

	if ((rc = mpmap_decode(&m, buf, len, "reply", eb)) != 0)
		return rc;
	if (mpmap_get(&m, "error") == NULL)
		return 0;
	if (mpmap_uint(&m, "code", &code, eb) != 0 || code == 0 ||
	    code >= AMIE_ERR_COUNT ||
	    mpmap_cstr(&m, "error", msg, sizeof(msg), eb) != 0)
		return fail(eb, AMIE_EPROTO, "reply: malformed error");
	return fail(eb, (int)code, "%s", msg);
}
