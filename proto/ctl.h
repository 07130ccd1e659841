/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Control requests and replies between the amie command line and amied,
 * over the node's control socket (DIR/amied.sock).
 *
 * A request is one canonical msgpack map with string keys: "cmd" names
 * the command ("status", "kb.add", ...) and the other fields are its
 * arguments.  A reply is one map too: on success the command's fields,
 * whose English names are also the keys of `--json` output; on failure
 * {"code": AMIE_E*, "error": message}.  Both directions are bounded by
 * CTL_MSG_MAX and decoded with the bounded reader.  A list that may
 * not fit comes in pages: the request's "after" is the reply's "next" of
 * the page before, absent for the first, and the last page has no
 * "next".
 */
#ifndef AMIE_PROTO_CTL_H
#define AMIE_PROTO_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"
#include "proto/mp.h"

#define CTL_MSG_MAX	(1024 * 1024)	/* one request or reply */
#define CTL_CMD_MAX	32
/* The items of one page of a list reply: the reply's other fields (an
 * id, a cursor) fit in the rest of CTL_MSG_MAX. */
#define CTL_PAGE_MAX	(CTL_MSG_MAX - 4096)

struct ctl_request {
	char cmd[CTL_CMD_MAX + 1];
	struct mpmap args;		/* every field, "cmd" included */
};

/*
 * Decode the len bytes at buf as a request into req; its args point into
 * buf, which must outlive req.  Returns 0, AMIE_EPROTO (naming what is
 * wrong) or AMIE_ELIMIT.
 */
int ctl_request_decode(struct ctl_request *req, const uint8_t *buf, size_t len,
    struct errbuf *eb);

/* Append an error reply {"code", "error"} for eb to w. */
void ctl_reply_error(struct mpw *w, const struct errbuf *eb);

/*
 * If the reply in buf is an error reply, copy it to eb and return its
 * code; return 0 for a success reply, AMIE_EPROTO for a malformed one.
 */
int ctl_reply_status(const uint8_t *buf, size_t len, struct errbuf *eb);

#endif
