/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon/admin.h"
#include "daemon/bundle.h"
#include "daemon/contract.h"
#include "daemon/control.h"
#include "daemon/kb.h"
#include "daemon/log.h"
#include "daemon/members.h"
#include "daemon/net.h"
#include "daemon/ingest.h"
#include "daemon/reload.h"
#include "daemon/status.h"
#include "daemon/swap.h"
#include "daemon/tech.h"
#include "proto/xmalloc.h"

#define CONTROL_FRAMES_MAX 3	/* identity, delimiter, request */

struct control {
	void *sock;
	struct node *node;
	char path[NODE_PATH_MAX];
	zmq_msg_t *current;	/* identity of the request being handled */
};

struct control_ticket {
	size_t len;
	uint8_t id[256];	/* ZeroMQ routing ids are at most 255 bytes */
};

static const struct {
	const char *cmd;
	control_fn fn;
} control_table[] = {
	{ "status", status_handle },
	{ "kb.add", kb_handle_add },
	{ "kb.edit", kb_handle_edit },
	{ "kb.show", kb_handle_show },
	{ "kb.list", kb_handle_list },
	{ "kb.rm", kb_handle_rm },
	{ "kb.history", kb_handle_history },
	{ "kb.diff", kb_handle_diff },
	{ "kb.conflicts", kb_handle_conflicts },
	{ "kb.resolve", kb_handle_resolve },
	{ "kb.search", kb_handle_search },
	{ "kb.reindex", kb_handle_reindex },
	{ "ingest", ingest_handle },
	{ "invite", net_handle_invite },
	{ "join", net_handle_join },
	{ "peers", net_handle_peers },
	{ "sync", net_handle_sync },
	{ "members", members_handle_list },
	{ "member.remove", members_handle_remove },
	{ "check", admin_handle_check },
	{ "backup", admin_handle_backup },
	{ "export", bundle_handle_export },
	{ "doctor", admin_handle_doctor },
	{ "daemon.reload", reload_handle },
	{ "contract.add", contract_handle_add },
	{ "contract.edit", contract_handle_edit },
	{ "contract.end", contract_handle_end },
	{ "contract.list", contract_handle_list },
	{ "contract.show", contract_handle_show },
	{ "contract.log", contract_handle_log },
	{ "contract.usage", contract_handle_usage },
	{ "tech.add", tech_handle_add },
	{ "tech.edit", tech_handle_edit },
	{ "tech.list", tech_handle_list },
	{ "tech.show", tech_handle_show },
	{ "swap.request", swap_handle_request },
	{ "swap.offer", swap_handle_offer },
	{ "swap.accept", swap_handle_accept },
	{ "swap.done", swap_handle_done },
	{ "swap.list", swap_handle_list },
	{ "swap.ledger", swap_handle_ledger },
};

control_fn
control_lookup(const char *cmd)
{
	for (size_t i = 0; i < sizeof(control_table) / sizeof(control_table[0]);
	    i++)
		if (strcmp(control_table[i].cmd, cmd) == 0)
			return control_table[i].fn;
	return NULL;
}

int
control_open(struct control **out, void *zctx, struct node *n,
    struct errbuf *eb)
{
	char ep[NODE_PATH_MAX + 8];
	int64_t maxmsg = CTL_MSG_MAX + 64;
	int linger = 0, rc;
	struct control *c;

	c = xcalloc(1, sizeof(*c));
	c->node = n;
	if ((rc = node_path(n, c->path, sizeof(c->path), NODE_SOCK_FILE,
	    eb)) != 0) {
		free(c);
		return rc;
	}
	snprintf(ep, sizeof(ep), "ipc://%s", c->path);
	/* We hold the directory lock: a socket file left here is stale. */
	unlink(c->path);
	c->sock = zmq_socket(zctx, ZMQ_ROUTER);
	zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(c->sock, ep) != 0) {
		rc = fail(eb, AMIE_ECONFIG, "control socket %s: %s", c->path,
		    zmq_strerror(zmq_errno()));
		zmq_close(c->sock);
		free(c);
		return rc;
	}
	/* The umask made it 0600 already; say so explicitly. */
	chmod(c->path, 0600);
	*out = c;
	return 0;
}

void
control_close(struct control **c)
{
	if (*c == NULL)
		return;
	zmq_close((*c)->sock);
	unlink((*c)->path);
	free(*c);
	*c = NULL;
}

void *
control_socket(struct control *c)
{
	return c->sock;
}

struct control_ticket *
control_defer(struct control *c)
{
	struct control_ticket *t;

	assert(c->current != NULL);
	t = xcalloc(1, sizeof(*t));
	t->len = zmq_msg_size(c->current);
	assert(t->len <= sizeof(t->id));
	memcpy(t->id, zmq_msg_data(c->current), t->len);
	return t;
}

static void
control_send(struct control *c, const void *id, size_t id_len,
    const struct mpw *w)
{
	zmq_send(c->sock, id, id_len, ZMQ_SNDMORE);
	zmq_send(c->sock, "", 0, ZMQ_SNDMORE);
	zmq_send(c->sock, w->buf, w->len, 0);
}

void
control_reply_later(struct control *c, struct control_ticket **t,
    const struct mpw *reply, const struct errbuf *eb)
{
	struct mpw w;

	if (*t == NULL)
		return;
	if (reply != NULL) {
		control_send(c, (*t)->id, (*t)->len, reply);
	} else {
		mpw_init(&w, CTL_MSG_MAX);
		ctl_reply_error(&w, eb);
		control_send(c, (*t)->id, (*t)->len, &w);
		mpw_release(&w);
	}
	free(*t);
	*t = NULL;
}

/* Answer one request in buf; the reply goes to w.  Returns 0, or
 * CONTROL_DEFERRED when the handler answers later. */
static int
control_answer(struct control *c, const uint8_t *buf, size_t len,
    struct mpw *w)
{
	struct ctl_request req;
	struct errbuf eb;
	control_fn fn;
	int rc;

	errbuf_clear(&eb);
	req.cmd[0] = '\0';
	rc = ctl_request_decode(&req, buf, len, &eb);
	if (rc == 0 && (fn = control_lookup(req.cmd)) == NULL)
		rc = fail(&eb, AMIE_EUSAGE, "unknown command '%s'", req.cmd);
	if (rc == 0 && (rc = fn(c->node, &req, w, &eb)) == 0)
		rc = mpw_finish(w, "reply", &eb);
	if (rc == CONTROL_DEFERRED)
		return rc;
	if (rc != 0) {
		log_msg(rc == AMIE_EIO ? LOG_ERR : LOG_INFO,
		    "control: %s: %s", req.cmd[0] ? req.cmd : "bad request",
		    eb.msg);
		mpw_reset(w);
		ctl_reply_error(w, &eb);
	}
	return 0;
}

void
control_serve(struct control *c)
{
	zmq_msg_t frames[CONTROL_FRAMES_MAX];
	struct mpw w;

	mpw_init(&w, CTL_MSG_MAX);
	for (;;) {
		int n = 0, more = 1, ok = 1;

		while (more) {
			zmq_msg_t m;
			size_t sz = sizeof(more);

			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, c->sock,
			    n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
				zmq_msg_close(&m);
				if (n == 0)
					goto out;
				ok = 0;
				break;
			}
			zmq_getsockopt(c->sock, ZMQ_RCVMORE, &more, &sz);
			if (n < CONTROL_FRAMES_MAX)
				frames[n++] = m;
			else {
				zmq_msg_close(&m);
				ok = 0;
			}
		}
		/* A REQ client sends identity, empty delimiter, request. */
		if (ok && n == CONTROL_FRAMES_MAX &&
		    zmq_msg_size(&frames[1]) == 0) {
			mpw_reset(&w);
			c->current = &frames[0];
			if (control_answer(c, zmq_msg_data(&frames[2]),
			    zmq_msg_size(&frames[2]), &w) == 0)
				control_send(c, zmq_msg_data(&frames[0]),
				    zmq_msg_size(&frames[0]), &w);
			c->current = NULL;
		} else {
			log_msg(LOG_INFO, "control: dropped a malformed "
			    "message of %d frames", n);
		}
		for (int i = 0; i < n; i++)
			zmq_msg_close(&frames[i]);
	}
out:
	mpw_release(&w);
}

int
control_page_after_key(const struct ctl_request *req,
    char after[RECORD_KEY_MAX + 1], struct errbuf *eb)
{
	int rc = mpmap_cstr(&req->args, "after", after, RECORD_KEY_MAX + 1,
	    eb);

	if (rc == AMIE_ENOTFOUND) {
		after[0] = '\0';
		return 0;
	}
	return rc;
}

int
control_page_item(struct mpw *w, size_t mark, int *more)
{
	if (!w->overflow)
		return 0;
	w->len = mark;
	w->overflow = 0;
	*more = 1;
	return CONTROL_PAGE_FULL;
}
