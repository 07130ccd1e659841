/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>

#include "daemon/log.h"
#include "daemon/net.h"
#include "proto/body.h"
#include "proto/invitecode.h"
#include "proto/negentropy.h"
#include "proto/nodeid.h"
#include "proto/wire.h"
#include "proto/xmalloc.h"
#include "store/invite.h"
#include "store/itemset.h"
#include "store/member.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93	/* a draft option in libzmq 4.3 */
#endif

#define NET_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define NET_ZAP_DOMAIN "amie"
#define NET_RID_MAX 255
#define NET_HWM 1000

/* A member's keys: Ed25519 for records, X25519 for the transport. */
struct net_key {
	uint8_t ed[32];
	uint8_t curve[32];
};

/* Our side of a reconciliation we started. */
struct net_client {
	int active;
	uint64_t id;
	struct neg neg;
	struct itemset_snap *snap;
	uint64_t started_ms;
	uint64_t last_ms;	/* when the peer's last message came */
	uint8_t (*have)[32];
	size_t have_count, have_cap;
	size_t found;		/* ids to fetch it found */
};

/* The other side's reconciliation, which we answer. */
struct net_server {
	int active;
	uint64_t id;
	struct neg neg;
	struct itemset_snap *snap;
	uint64_t last_ms;
	uint64_t started_ms;	/* its snapshot holds a read transaction */
};

/* A RECORDS waiting to be ingested, a slice at a time. */
struct net_inbox {
	uint8_t *buf;			/* the message's records, copied */
	struct store_in *in;		/* each record in buf */
	uint32_t count, pos;		/* records, next to ingest */
};

#define NET_INBOX_MAX (NET_WANTS_INFLIGHT + 1)

struct link {
	struct link *next;
	struct net *net;
	uint8_t key[32];		/* the peer's Ed25519 key */
	uint8_t curve[32];
	uint64_t serial;		/* unique among this node's links */
	int outbound;
	void *sock;			/* outbound: our DEALER */
	void *mon;			/* outbound: its handshake events */
	uint8_t rid[NET_RID_MAX];	/* inbound: the ROUTER routing id */
	size_t rid_len;
	int fd;				/* inbound: its TCP socket, or -1 */
	int64_t tcp_off;		/* its connection's TCP bytes less
					 * bytes_received, when first seen */
	char endpoint[BODY_ENDPOINT_MAX + 1];
	int ready;			/* HELLO seen */
	unsigned neg_ext;		/* NEG_EXT_* both sides announced */
	int dead;			/* to be freed at the next tick */
	uint64_t created_ms, last_recv_ms, last_ping_ms, next_sync_ms;
	/* A reconciliation ended before it was done (timed out, ended for
	 * the map to grow, or found [sync] session_ids ids to fetch): sync
	 * again once what it found is fetched, not after the whole
	 * interval.  A first sync of a large set takes several sessions. */
	int resync;
	/* A link the peer opened runs a reconciliation of ours only on amie
	 * sync, or to go on with one that was cut off (net_cut()): rerun. */
	int rerun;
	/* The message the session would have sent next when it ended at
	 * session_ids: the next one goes on from it (neg_continue()), and
	 * so starts as soon as half of those ids are asked for, while the
	 * rest are fetched. */
	uint8_t *resume;
	size_t resume_len;
	uint64_t sessions_started;	/* reconciliations we started */
	uint64_t sessions_continued;	/* of them, from l->resume */
	uint64_t records_known;		/* came, but were stored already */
	/* joining: the link that carries our JOIN */
	int joining;
	struct control_ticket *join_ticket;
	char join_net_prefix[INVITECODE_NET_PREFIX];
	/* Joined, and join_ticket answered once the inviter answers our
	 * HELLO (net_join_reply()): amie join --wait then syncs on a link
	 * that is up.  What the answer says: */
	int join_done;
	char join_fed[sizeof(((struct store_stats *)0)->federation)];
	char join_who[NODEID_LEN + 1];
	char join_safety[7];
	struct net_client cs;
	struct net_server ss;
	uint8_t (*need)[32];		/* ids to ask for with WANT */
	size_t need_count, need_cap, need_pos;
	unsigned wants_out;		/* WANTs, RECORDS not stored yet */
	/* Ids a reconciliation of ours found are fetched on l (not only
	 * ids a HAVE offered): other links' reconciliations wait for them,
	 * and amie sync --wait too. */
	int fetching;
	/* The last answer to a reconciliation of ours on l, or RECORDS: a
	 * link silent past NET_STALL_MS holds no other back. */
	uint64_t progress_ms;
	uint64_t want_ms;		/* when the latest WANT went out */
	uint64_t need_base;		/* records_received when need began */
	/* RECORDS received, not ingested yet: a ring from inbox_head */
	struct net_inbox inbox[NET_INBOX_MAX];
	unsigned inbox_head, inbox_count;
	/* figures for amie peers */
	uint64_t last_sync_ms, records_sent, records_received, errors;
	uint64_t bytes_sent, bytes_received, wants_sent;
	/* The peer's clock minus ours, from the nonce of its last PING. */
	int64_t clock_skew_ms;
	int has_clock_skew;
	unsigned rounds;		/* of the client session under way */
	unsigned last_rounds;		/* of the last one that finished */
	char last_error[128];
};

/* A key we back off from after it misbehaved or failed. */
/*
 * A key we back off from.  After a failure (unreachable, silent) we only
 * stop connecting to it for a while: its own connections to us are
 * welcome, since it may reach us where we cannot reach it.  After
 * misbehaviour (a penalty) we also drop what it sends meanwhile.
 */
struct net_backoff {
	uint8_t key[32];
	uint64_t until_ms;
	uint64_t delay_ms;
	int penalty;
	char reason[128];
};

/*
 * An amie sync --wait.  A reconciliation of ours cut off meanwhile (its
 * link dropped or disconnected, or silent) leaves its peer in cut until
 * one with that peer ends done: the sync is not finished before, however
 * idle the links that remain.
 */
#define NET_WAITER_CUT_MAX 16

struct net_waiter {
	struct control_ticket *ticket;
	uint64_t deadline_ms;
	uint64_t sessions;		/* reconciliations started for it */
	uint8_t cut[NET_WAITER_CUT_MAX][32];
	unsigned cut_count;		/* at most NET_WAITER_CUT_MAX... */
	int cut_over;			/* ...and more: until the deadline */
};

/*
 * What one key did wrong, kept while its links come and go, for amie
 * peers: records and messages refused, times it was dropped with a
 * penalty, and messages over its rate.
 */
struct net_tally {
	uint8_t key[32];
	uint64_t last_ms;		/* 0: a free slot */
	uint64_t refused;
	uint64_t penalties;
	uint64_t rate_limited;
	/* token buckets, in thousandths of a message and of a byte */
	uint64_t msg_tokens, byte_tokens, refill_ms;
	unsigned over;			/* messages past the limit in a row */
	/* The extensions of its last HELLO on an inbound connection, and
	 * that connection's routing id: an inbound link dropped while the
	 * connection lives is made again by its next message, not by a
	 * HELLO (net_inbound_link()). */
	unsigned hello_ext;
	uint8_t hello_rid[NET_RID_MAX];
	size_t hello_rid_len;
	/* A reconciliation of ours on a link it opened was cut off, and the
	 * link dropped: its next inbound link starts one (rerun). */
	int cut_inbound;
};

#define NET_BACKOFFS_MAX 64
#define NET_WAITERS_MAX 16
#define NET_TALLIES_MAX 128

struct net {
	struct node *node;
	struct control *ctl;
	void *zctx;
	void *router;
	void *zap;
	uint8_t curve_pk[32];
	uint8_t curve_sk[32];		/* wiped at close */
	struct link *links;
	struct net_key *members;	/* current members, for User-Id */
	size_t members_count;
	struct net_backoff backoff[NET_BACKOFFS_MAX];
	struct net_waiter waiters[NET_WAITERS_MAX];
	struct net_tally tally[NET_TALLIES_MAX];
	uint64_t handshakes_refused;	/* by the ZAP handler */
	uint64_t router_resets;		/* by the memory guard */
	size_t mem_base;		/* RssAnon at start, bytes */
	uint64_t mem_settle_ms;		/* after a reset: when to look again */
	uint64_t guard_alert_ms;	/* the guard is alert until then */
	size_t guard_last;		/* its last measure, bytes */
	uint64_t join_tokens_ms;	/* token bucket: time of a full one */
	uint64_t stranger_tokens_ms;	/* the same, for keys no member */
	uint64_t stranger_log_ms;	/* no log of their drops before */
	uint64_t tick_ms;		/* node_mono_ms() of this turn */
	int has_federation;
	uint8_t network_id[32];
	/* The slice on the store's writer thread (store_ingest_start()),
	 * of link job_link (NULL when none): job_count records from job_in,
	 * their outcomes in job_out. */
	struct link *job_link;
	const struct store_in *job_in;
	size_t job_count;
	struct store_out *job_out;
	uint64_t job_now_ms;		/* the clock it is verified at */
	uint64_t job_t0_us;		/* when it started */
	/* The slice handed to the workers ahead, of link ahead_link. */
	struct link *ahead_link;
	const struct store_in *ahead_in;
	size_t ahead_count;
	uint64_t ahead_now_ms;		/* the clock it was verified at */
	size_t slice;			/* records in the next slice */
	uint64_t ingest_turn;		/* which link's slice comes next */
	uint64_t recv_until_ms;		/* end of this poll's reading */
	/* Ids asked for with a WANT on some link and not come yet, with
	 * when: another link does not ask for them too (a node that joins
	 * hears of every record from each of its peers), and the serial of
	 * the link that asked.  Open addressing, cap a power of two, a zero
	 * time marks a free slot. */
	uint8_t (*inflight)[32];
	uint64_t *inflight_ms;
	uint64_t *inflight_by;
	size_t inflight_count, inflight_cap;
	uint64_t link_serial;		/* the last link's */
};

/* The slot of id in net's in-flight set, or of the free slot it would
 * take. */
static size_t
net_inflight_slot(const struct net *net, const uint8_t id[32])
{
	size_t mask = net->inflight_cap - 1, i;
	uint64_t h;

	memcpy(&h, id, sizeof(h)); /* ids are hashes */
	for (i = (size_t)h & mask; net->inflight_ms[i] != 0;
	     i = (i + 1) & mask)
		if (memcmp(net->inflight[i], id, 32) == 0)
			break;
	return i;
}

/* Whether id was asked for less than NET_DEAD_MS ago, on any link. */
static int
net_inflight_has(const struct net *net, const uint8_t id[32])
{
	size_t i;

	if (net->inflight_cap == 0)
		return 0;
	i = net_inflight_slot(net, id);
	return net->inflight_ms[i] != 0 &&
	    net->tick_ms - net->inflight_ms[i] < NET_DEAD_MS;
}

/* Take slot i out, moving up the entries after it that probed past it. */
static void
net_inflight_remove(struct net *net, size_t i)
{
	size_t mask = net->inflight_cap - 1, j = i, home;
	uint64_t h;

	net->inflight_ms[i] = 0;
	net->inflight_count--;
	for (;;) {
		j = (j + 1) & mask;
		if (net->inflight_ms[j] == 0)
			return;
		memcpy(&h, net->inflight[j], sizeof(h));
		home = (size_t)h & mask;
		/* Entry j stays unless its home is not in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		memcpy(net->inflight[i], net->inflight[j], 32);
		net->inflight_ms[i] = net->inflight_ms[j];
		net->inflight_by[i] = net->inflight_by[j];
		net->inflight_ms[j] = 0;
		i = j;
	}
}

/* Forget id, come or given up. */
static void
net_inflight_del(struct net *net, const uint8_t id[32])
{
	size_t i;

	if (net->inflight_cap == 0)
		return;
	i = net_inflight_slot(net, id);
	if (net->inflight_ms[i] != 0)
		net_inflight_remove(net, i);
}

/* Forget id if it is asked for on link l. */
static void
net_inflight_del_by(struct net *net, const uint8_t id[32],
    const struct link *l)
{
	size_t i;

	if (net->inflight_cap == 0)
		return;
	i = net_inflight_slot(net, id);
	if (net->inflight_ms[i] != 0 && net->inflight_by[i] == l->serial)
		net_inflight_remove(net, i);
}

/*
 * Forget what link l asked for: its peer connected again (or l is
 * dropped), and a WANT sent before will not be answered.  The ids come
 * with the reconciliation on the new connection, and are asked for at
 * once instead of NET_DEAD_MS later.  A removal moves entries only into
 * the slot being looked at or past it (or, wrapping, into slots already
 * looked at, which do not match), so one pass finds them all.
 */
static void
net_inflight_release(struct net *net, const struct link *l)
{
	size_t i = 0;

	while (i < net->inflight_cap) {
		if (net->inflight_ms[i] != 0 &&
		    net->inflight_by[i] == l->serial)
			net_inflight_remove(net, i);
		else
			i++;
	}
}

/* Remember id as asked for now by link l; entries past NET_DEAD_MS go
 * when the set grows. */
static void
net_inflight_add(struct net *net, const uint8_t id[32], const struct link *l)
{
	uint8_t (*old)[32] = net->inflight;
	uint64_t *old_ms = net->inflight_ms, *old_by = net->inflight_by;
	size_t old_cap = net->inflight_cap, i;

	if (2 * (net->inflight_count + 1) > net->inflight_cap) {
		size_t live = 0;

		for (i = 0; i < old_cap; i++)
			live += old_ms[i] != 0 &&
			    net->tick_ms - old_ms[i] < NET_DEAD_MS;
		net->inflight_cap = 1024;
		while (net->inflight_cap < 4 * (live + 1))
			net->inflight_cap *= 2;
		net->inflight = xcalloc(net->inflight_cap, 32);
		net->inflight_ms = xcalloc(net->inflight_cap,
		    sizeof(*net->inflight_ms));
		net->inflight_by = xcalloc(net->inflight_cap,
		    sizeof(*net->inflight_by));
		net->inflight_count = 0;
		for (i = 0; i < old_cap; i++)
			if (old_ms[i] != 0 &&
			    net->tick_ms - old_ms[i] < NET_DEAD_MS) {
				size_t j = net_inflight_slot(net, old[i]);

				memcpy(net->inflight[j], old[i], 32);
				net->inflight_ms[j] = old_ms[i];
				net->inflight_by[j] = old_by[i];
				net->inflight_count++;
			}
		free(old);
		free(old_ms);
		free(old_by);
	}
	i = net_inflight_slot(net, id);
	if (net->inflight_ms[i] == 0)
		net->inflight_count++;
	memcpy(net->inflight[i], id, 32);
	net->inflight_ms[i] = net->tick_ms != 0 ? net->tick_ms : 1;
	net->inflight_by[i] = l->serial;
}

static uint64_t
net_rand64(void)
{
	uint64_t v;

	randombytes_buf(&v, sizeof(v));
	return v >> 1;
}

static void
net_hex(char out[65], const uint8_t key[32])
{
	sodium_bin2hex(out, 65, key, 32);
}

static void
net_short(char out[NODEID_LEN + 1], const uint8_t key[32])
{
	nodeid_format(out, key);
	out[NODEID_SHORT_LEN] = '\0';
}

/* Reload current members' keys (after membership records arrive). */
struct net_members_ctx {
	struct net_key *keys;
	size_t count, cap;
};

static int
net_members_one(void *ctx, const struct member_info *m)
{
	struct net_members_ctx *c = ctx;

	if (m->state != MEMBER_CURRENT)
		return 0;
	if (c->count == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->keys = xrealloc(c->keys, c->cap * sizeof(*c->keys));
	}
	memcpy(c->keys[c->count].ed, m->key, 32);
	if (crypto_sign_ed25519_pk_to_curve25519(c->keys[c->count].curve,
	    m->key) == 0)
		c->count++;
	return 0;
}

static void net_link_drop(struct link *l, const char *why, int backoff);

static void
net_members_reload(struct net *net)
{
	struct net_members_ctx c = { NULL, 0, 0 };
	struct errbuf eb;

	net->has_federation = store_network_id(net->node->store,
	    net->network_id) == 0;
	if (member_list(net->node->store, net_members_one, &c, &eb) != 0)
		log_msg(LOG_ERR, "net: members: %s", eb.msg);
	free(net->members);
	net->members = c.keys;
	net->members_count = c.count;
	/* Removing a member closes its links on every node that learns it. */
	for (struct link *l = net->links; l != NULL; l = l->next) {
		if (l->joining || l->dead)
			continue;
		if (!member_is_current(net->node->store, l->key))
			net_link_drop(l, "no longer a member", 0);
	}
}

static const struct net_key *
net_member_by_curve(const struct net *net, const uint8_t curve[32])
{
	for (size_t i = 0; i < net->members_count; i++)
		if (sodium_memcmp(net->members[i].curve, curve, 32) == 0)
			return &net->members[i];
	return NULL;
}

static struct net_backoff *
net_backoff_find(struct net *net, const uint8_t key[32], int create)
{
	struct net_backoff *oldest = &net->backoff[0];

	for (size_t i = 0; i < NET_BACKOFFS_MAX; i++) {
		if (net->backoff[i].until_ms != 0 &&
		    memcmp(net->backoff[i].key, key, 32) == 0)
			return &net->backoff[i];
		if (net->backoff[i].until_ms < oldest->until_ms)
			oldest = &net->backoff[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	memcpy(oldest->key, key, 32);
	return oldest;
}

static int
net_backed_off(struct net *net, const uint8_t key[32])
{
	struct net_backoff *b = net_backoff_find(net, key, 0);

	return b != NULL && b->until_ms > net->tick_ms;
}

/* The tally of key, made (in the least recently used slot) if new. */
static struct net_tally *
net_tally_of(struct net *net, const uint8_t key[32])
{
	struct net_tally *oldest = &net->tally[0];

	for (size_t i = 0; i < NET_TALLIES_MAX; i++) {
		if (net->tally[i].last_ms != 0 &&
		    memcmp(net->tally[i].key, key, 32) == 0) {
			net->tally[i].last_ms = net->tick_ms ? net->tick_ms : 1;
			return &net->tally[i];
		}
		if (net->tally[i].last_ms < oldest->last_ms)
			oldest = &net->tally[i];
	}
	memset(oldest, 0, sizeof(*oldest));
	memcpy(oldest->key, key, 32);
	oldest->last_ms = net->tick_ms ? net->tick_ms : 1;
	return oldest;
}

/* 1 while key serves a penalty: its messages are dropped. */
static int
net_penalized(struct net *net, const uint8_t key[32])
{
	struct net_backoff *b = net_backoff_find(net, key, 0);

	return b != NULL && b->penalty && b->until_ms > net->tick_ms;
}

/* How net_link_drop() treats the key: not at all, a failure (backed off
 * exponentially) or misbehaviour (a fixed, long penalty). */
#define NET_DROP_QUIET 0
#define NET_DROP_FAILURE 1
#define NET_DROP_PENALTY 2

static void
net_backoff_add(struct net *net, const uint8_t key[32], const char *reason,
    int how)
{
	struct net_backoff *b = net_backoff_find(net, key, 1);

	b->delay_ms = b->delay_ms ? 2 * b->delay_ms : NET_BACKOFF_MIN_MS;
	if (b->delay_ms > NET_BACKOFF_MAX_MS)
		b->delay_ms = NET_BACKOFF_MAX_MS;
	if (how == NET_DROP_PENALTY && b->delay_ms < NET_PENALTY_MS)
		b->delay_ms = NET_PENALTY_MS;
	/* A penalty lasts its whole term, whatever fails meanwhile. */
	if (how == NET_DROP_PENALTY || b->until_ms <= net->tick_ms)
		b->penalty = how == NET_DROP_PENALTY;
	b->until_ms = net->tick_ms + b->delay_ms;
	if (b->penalty == (how == NET_DROP_PENALTY))
		snprintf(b->reason, sizeof(b->reason), "%s", reason);
	if (how == NET_DROP_PENALTY)
		net_tally_of(net, key)->penalties++;
}

/* Send the message in w on link l. */
static void
net_send(struct link *l, const struct mpw *w)
{
	struct net *net = l->net;
	int rc;

	if (l->dead || w->overflow)
		return;
	if (l->outbound) {
		rc = zmq_send(l->sock, w->buf, w->len, ZMQ_DONTWAIT);
	} else {
		rc = zmq_send(net->router, l->rid, l->rid_len,
		    ZMQ_SNDMORE | ZMQ_DONTWAIT);
		if (rc >= 0)
			rc = zmq_send(net->router, w->buf, w->len,
			    ZMQ_DONTWAIT);
	}
	if (rc < 0 && zmq_errno() == EAGAIN)
		log_msg(LOG_INFO, "net: a peer's queue is full: dropped a "
		    "message (it will catch up at the next sync)");
	else if (rc >= 0)
		l->bytes_sent += w->len;
}

static void
net_send_error(struct link *l, int code, const char *msg)
{
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	wire_error(&w, (uint64_t)code, msg);
	net_send(l, &w);
	mpw_release(&w);
}

static void
net_client_end(struct link *l)
{
	struct net_client *cs = &l->cs;

	if (cs->active)
		neg_release(&cs->neg);
	itemset_snap_close(&cs->snap);
	cs->active = 0;
}

/* Our reconciliation with l's peer was cut off: the waiting amie sync
 * --wait are not done before another with that peer ends done. */
static void
net_waiters_cut(struct link *l)
{
	struct net *net = l->net;

	for (size_t i = 0; i < NET_WAITERS_MAX; i++) {
		struct net_waiter *wt = &net->waiters[i];
		unsigned k;

		if (wt->ticket == NULL)
			continue;
		for (k = 0; k < wt->cut_count; k++)
			if (memcmp(wt->cut[k], l->key, 32) == 0)
				break;
		if (k < wt->cut_count)
			continue;
		if (wt->cut_count == NET_WAITER_CUT_MAX)
			wt->cut_over = 1;
		else
			memcpy(wt->cut[wt->cut_count++], l->key, 32);
	}
}

/*
 * Something of ours with l's peer ended before its end: a reconciliation,
 * or the fetch of what one found (ids not asked for yet, WANTs whose
 * answers are lost).  Another reconciliation starts on l as soon as what
 * is left is fetched (resync; on a link the peer opened too, rerun), and
 * the waiting amie sync --wait wait for it.
 */
static void
net_cut(struct link *l)
{
	struct link *t = l;

	/* A link being dropped hands it to another of its peer's, if any
	 * (ours first). */
	if (l->dead) {
		t = NULL;
		for (struct link *o = l->net->links; o != NULL; o = o->next)
			if (!o->dead && !o->joining &&
			    memcmp(o->key, l->key, 32) == 0 &&
			    (t == NULL || o->outbound))
				t = o;
	}
	if (t != NULL) {
		t->resync = 1;
		if (!t->outbound)
			t->rerun = 1;
	} else if (!l->outbound) {
		/* Links the peer opens have no periodic reconciliation:
		 * its next one starts one. */
		net_tally_of(l->net, l->key)->cut_inbound = 1;
	}
	net_waiters_cut(l);
}

/* Whether l has ids to fetch that it has not received: still to ask
 * for, asked for with no answer yet (the answers in the inbox are
 * stored), or a reconciliation to run again or go on with. */
static int
net_fetch_pending(const struct link *l)
{
	return (l->fetching && (l->need_pos < l->need_count ||
	    l->wants_out > l->inbox_count)) || l->resume != NULL || l->resync;
}

/* End our reconciliation on l, and the fetch of what it found, before
 * their end (the link goes, or the session stalled): net_cut(). */
static void
net_client_cut(struct link *l)
{
	int cut = l->cs.active || net_fetch_pending(l);

	net_client_end(l);
	if (cut)
		net_cut(l);
}

/* A reconciliation of ours with key ended done: no longer cut off. */
static void
net_waiters_synced(struct net *net, const uint8_t key[32])
{
	for (size_t i = 0; i < NET_WAITERS_MAX; i++) {
		struct net_waiter *wt = &net->waiters[i];

		for (unsigned k = 0; k < wt->cut_count; k++)
			if (memcmp(wt->cut[k], key, 32) == 0) {
				memcpy(wt->cut[k], wt->cut[--wt->cut_count],
				    32);
				break;
			}
	}
}

static void
net_server_end(struct link *l)
{
	if (l->ss.active)
		neg_release(&l->ss.neg);
	itemset_snap_close(&l->ss.snap);
	l->ss.active = 0;
}

/* Answer amie join on l, joined (join_done): the federation, the
 * inviter and the safety code. */
static void
net_join_reply(struct link *l)
{
	struct mpw w;

	if (!l->join_done)
		return;
	l->join_done = 0;
	mpw_init(&w, 1024);
	mpw_map(&w, 3);
	mpw_cstr(&w, "federation");
	mpw_cstr(&w, l->join_fed);
	mpw_cstr(&w, "inviter");
	mpw_cstr(&w, l->join_who);
	mpw_cstr(&w, "safety_code");
	mpw_cstr(&w, l->join_safety);
	control_reply_later(l->net->ctl, &l->join_ticket, &w, NULL);
	mpw_release(&w);
}

static void
net_link_drop(struct link *l, const char *why, int backoff)
{
	char who[NODEID_LEN + 1];

	if (l->dead)
		return;
	net_short(who, l->key);
	log_msg(LOG_NOTICE, "net: dropping %s link with %s: %s",
	    l->outbound ? "outbound" : "inbound", who, why);
	snprintf(l->last_error, sizeof(l->last_error), "%s", why);
	if (backoff != NET_DROP_QUIET)
		net_backoff_add(l->net, l->key, why, backoff);
	if (l->joining && l->join_ticket != NULL) {
		struct errbuf eb;

		fail(&eb, AMIE_EUNAVAIL, "%s", why);
		control_reply_later(l->net->ctl, &l->join_ticket, NULL, &eb);
	}
	l->dead = 1;
	/* Joined all the same: only the link after it failed. */
	net_join_reply(l);
	net_client_cut(l);
	net_server_end(l);
	net_inflight_release(l->net, l);
	l->ready = 0;
	/* A key we penalise keeps no link at all meanwhile.  After a
	 * failure the links in the direction that failed go, and the others
	 * only if they have been silent past a PING (the peer is likely
	 * gone): the peer may reach us where we cannot reach it, and
	 * dropping the live link it opened would end the session it runs
	 * with us on it (its next messages would find no session, and it
	 * would wait NET_DEAD_MS). */
	if (backoff != NET_DROP_QUIET)
		for (struct link *o = l->net->links; o != NULL; o = o->next)
			if (!o->dead && !o->joining &&
			    memcmp(o->key, l->key, 32) == 0 &&
			    (backoff == NET_DROP_PENALTY ||
			    o->outbound == l->outbound ||
			    l->net->tick_ms - o->last_recv_ms > NET_QUIET_MS))
				net_link_drop(o, why, 0);
}

static void net_inbox_done(struct net *net, int wait);

static void
net_link_free(struct link *l)
{
	/* The writer may still read its inbox: wait for it. */
	if (l->net->job_link == l)
		net_inbox_done(l->net, 1);
	net_client_end(l);
	net_server_end(l);
	if (l->sock != NULL) {
		zmq_socket_monitor(l->sock, NULL, 0);
		zmq_close(l->sock);
	}
	if (l->mon != NULL)
		zmq_close(l->mon);
	if (l->net->ahead_link == l) {
		store_ingest_forget(l->net->node->store, l->net->ahead_in,
		    l->net->ahead_count);
		l->net->ahead_link = NULL;
	}
	for (unsigned i = 0; i < l->inbox_count; i++) {
		struct net_inbox *b = &l->inbox[(l->inbox_head + i) %
		    NET_INBOX_MAX];

		free(b->buf);
		free(b->in);
	}
	free(l->need);
	free(l->cs.have);
	free(l->resume);
	free(l->join_ticket);
	free(l);
}

static struct link *
net_link_new(struct net *net, const uint8_t key[32], int outbound)
{
	struct link *l = xcalloc(1, sizeof(*l));

	l->net = net;
	l->serial = ++net->link_serial;
	memcpy(l->key, key, 32);
	if (crypto_sign_ed25519_pk_to_curve25519(l->curve, key) != 0)
		l->dead = 1;	/* not a usable key: freed at the next tick */
	l->outbound = outbound;
	l->fd = -1;
	l->created_ms = l->last_recv_ms = net->tick_ms;
	l->next = net->links;
	net->links = l;
	return l;
}

/* Open an outbound DEALER to the peer with key at endpoint. */
static struct link *
net_connect(struct net *net, const uint8_t key[32], const char *endpoint)
{
	int linger = 0, hwm = NET_HWM, ivl = 5000, timeout = 15000, ipv6 = 1;
	int64_t maxmsg = WIRE_MSG_MAX;
	char mon[64];
	struct link *l;
	void *s;

	s = zmq_socket(net->zctx, ZMQ_DEALER);
	l = net_link_new(net, key, 1);
	l->sock = s;
	snprintf(l->endpoint, sizeof(l->endpoint), "%s", endpoint);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	/* A member may advertise an IPv6 endpoint (tcp://[::1]:4410). */
	zmq_setsockopt(s, ZMQ_IPV6, &ipv6, sizeof(ipv6));
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof(timeout));
	zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, l->curve, 32);
	zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, net->curve_pk, 32);
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, net->curve_sk, 32);
	/* A refused handshake is only visible as a monitor event. */
	snprintf(mon, sizeof(mon), "inproc://amie-monitor-%p", (void *)l);
	if (zmq_socket_monitor(s, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
	    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) == 0) {
		l->mon = zmq_socket(net->zctx, ZMQ_PAIR);
		zmq_setsockopt(l->mon, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_connect(l->mon, mon);
	}
	if (zmq_connect(s, endpoint) != 0) {
		log_msg(LOG_WARNING, "net: cannot connect to %s: %s", endpoint,
		    zmq_strerror(zmq_errno()));
		net_link_drop(l, "bad endpoint", 1);
	}
	return l;
}

/* The HELLO features we announce, and the extension each stands for. */
static const struct {
	const char *name;
	unsigned ext;
} net_features[] = {
	{ NET_FEATURE_SHORT_IDS, NEG_EXT_SHORT_IDS },
	{ NET_FEATURE_CONTENT_SPLITS, NEG_EXT_CONTENT_SPLITS },
};

#define NET_FEATURES (sizeof(net_features) / sizeof(net_features[0]))

static void
net_send_hello(struct link *l)
{
	struct net *net = l->net;
	const char *features[NET_FEATURES];
	struct mpw w;

	for (size_t k = 0; k < NET_FEATURES; k++)
		features[k] = net_features[k].name;
	mpw_init(&w, WIRE_MSG_MAX);
	wire_hello(&w, net->network_id, net->node->conf.name, features,
	    NET_FEATURES);
	net_send(l, &w);
	mpw_release(&w);
}

/* The Negentropy extensions of a peer's HELLO that we use too. */
static unsigned
net_hello_ext(const struct wire_msg *m)
{
	unsigned ext = 0;

	for (uint32_t i = 0; i < m->features_count; i++)
		for (size_t k = 0; k < NET_FEATURES; k++)
			if (m->features[i].len ==
			    strlen(net_features[k].name) &&
			    memcmp(m->features[i].s, net_features[k].name,
			    m->features[i].len) == 0)
				ext |= net_features[k].ext;
	return ext;
}

/* Ids l has to ask for and has not yet. */
static size_t
net_need_left(const struct link *l)
{
	return l->need_count - l->need_pos;
}

static void
net_resume_forget(struct link *l)
{
	free(l->resume);
	l->resume = NULL;
	l->resume_len = 0;
}

#define NET_OTHER_SESSION 1	/* a session or its fetches under way */
#define NET_OTHER_SERIES 2	/* a session to go on with */

/*
 * Whether a link other than l has a reconciliation we started under way
 * or ids it found still to fetch (NET_OTHER_SESSION), one to go on with
 * (NET_OTHER_SERIES, first), or neither (0).  l's periodic one waits for
 * either: a node catching up would otherwise run the same long series of
 * sessions with each of its peers at once, finding the same ids and
 * fetching each from one.  A link that waits for another's series
 * forgets its own, so that of several links that started together one
 * series goes on.  A session that stalls ends within NET_DEAD_MS, and
 * the link it was on then keeps no message to go on from.
 */
static int
net_other_syncing(const struct net *net, const struct link *l)
{
	int other = 0;

	for (const struct link *o = net->links; o != NULL; o = o->next) {
		if (o == l || o->dead || !o->ready)
			continue;
		/* A peer that stopped answering, or answers only to hold
		 * the others back, does not. */
		if (net->tick_ms - o->progress_ms > NET_STALL_MS)
			continue;
		if (o->resume != NULL)
			return NET_OTHER_SERIES;
		/* Nor what a HAVE offered: a peer offering ids and never
		 * sending them would. */
		if (o->cs.active || (o->fetching &&
		    (net_need_left(o) > 0 || o->wants_out > 0)))
			other = NET_OTHER_SESSION;
	}
	return other;
}

/* Start a reconciliation on l, as the initiating side: a new one, or
 * one that goes on from where the last one stopped. */
static void
net_client_start(struct link *l)
{
	struct net_client *cs = &l->cs;
	struct neg_buf out;
	struct errbuf eb;
	struct mpw w;

	if (cs->active || !l->ready || l->dead)
		return;
	if (itemset_snap_open(l->net->node->store, &cs->snap, &eb) != 0 ||
	    neg_init(&cs->neg, itemset_snap_storage(cs->snap),
	    NET_FRAME_LIMIT, &eb) != 0) {
		log_msg(LOG_ERR, "net: cannot start a sync: %s", eb.msg);
		itemset_snap_close(&cs->snap);
		return;
	}
	neg_set_extensions(&cs->neg, l->neg_ext);
	cs->active = 1;
	l->rerun = 0;
	l->progress_ms = l->net->tick_ms;
	l->rounds = 1;
	cs->id = net_rand64();
	cs->started_ms = l->net->tick_ms;
	cs->last_ms = cs->started_ms;
	l->sessions_started++;
	cs->have_count = 0;
	cs->found = 0;
	neg_buf_init(&out);
	if (l->resume != NULL ?
	    neg_continue(&cs->neg, l->resume, l->resume_len, &eb) :
	    neg_initiate(&cs->neg, &out, &eb)) {
		log_msg(LOG_ERR, "net: sync: %s", eb.msg);
		neg_buf_release(&out);
		net_resume_forget(l);
		net_client_end(l);
		return;
	}
	mpw_init(&w, WIRE_MSG_MAX);
	if (l->resume != NULL) {
		wire_neg(&w, WIRE_NEG_OPEN, cs->id, l->resume, l->resume_len);
		l->sessions_continued++;
	} else
		wire_neg(&w, WIRE_NEG_OPEN, cs->id, out.data, out.len);
	net_send(l, &w);
	mpw_release(&w);
	neg_buf_release(&out);
	net_resume_forget(l);
	for (size_t i = 0; i < NET_WAITERS_MAX; i++)
		if (l->net->waiters[i].ticket != NULL)
			l->net->waiters[i].sessions++;
}

/* Ask for the next batches of what l's peer has and we need. */
static void
net_want_more(struct link *l)
{
	size_t scanned = 0;
	struct mpw w;

	while (l->wants_out < NET_WANTS_INFLIGHT &&
	    l->need_pos < l->need_count && scanned < NET_WANT_SCAN_MAX) {
		size_t start = l->need_pos, n = 0, kept;

		/* What another link fetched meanwhile is not asked again:
		 * the ids to ask for are packed at start.  During a first
		 * sync, that can be most of the list: it is looked up
		 * NET_WANT_SCAN_MAX ids a call, net_ingest_step() going on
		 * with it. */
		while (n < NET_WANT_BATCH && l->need_pos < l->need_count &&
		    scanned < NET_WANT_SCAN_MAX) {
			size_t take = NET_WANT_BATCH - n;

			if (take > l->need_count - l->need_pos)
				take = l->need_count - l->need_pos;
			memmove(l->need[start + n], l->need[l->need_pos],
			    take * 32);
			l->need_pos += take;
			scanned += take;
			take = store_missing(l->net->node->store,
			    &l->need[start + n], take);
			/* Nor what another link asked for and awaits, nor
			 * an id listed twice (two sessions can both find
			 * it before it is asked for): each is in flight
			 * from here on. */
			kept = 0;
			for (size_t i = 0; i < take; i++) {
				if (net_inflight_has(l->net,
				    l->need[start + n + i]))
					continue;
				net_inflight_add(l->net,
				    l->need[start + n + i], l);
				if (kept != i)
					memcpy(l->need[start + n + kept],
					    l->need[start + n + i], 32);
				kept++;
			}
			n += kept;
		}
		if (n == 0)
			continue;
		mpw_init(&w, WIRE_MSG_MAX);
		wire_ids(&w, WIRE_WANT,
		    (const uint8_t (*)[32])l->need[start], (uint32_t)n);
		net_send(l, &w);
		mpw_release(&w);
		l->wants_out++;
		l->want_ms = l->net->tick_ms;
		l->wants_sent++;
	}
	if (l->need_pos == l->need_count && l->wants_out == 0) {
		l->need_pos = l->need_count = 0;
		l->fetching = 0;
	}
}

/* l has ids to look up and room for a WANT: net_want_more() goes on. */
static int
net_want_pending(const struct link *l)
{
	return !l->dead && l->wants_out < NET_WANTS_INFLIGHT &&
	    l->need_pos < l->need_count;
}

static void
net_need_add(struct link *l, const uint8_t id[32])
{
	/* What was asked for already makes room first: a session can add
	 * to the list while the last one's finds are still fetched. */
	if (l->need_count == l->need_cap && l->need_pos > 0) {
		memmove(l->need, l->need[l->need_pos],
		    net_need_left(l) * 32);
		l->need_count -= l->need_pos;
		l->need_base += l->need_pos;
		l->need_pos = 0;
	}
	if (l->need_count == l->need_cap) {
		l->need_cap = l->need_cap ? 2 * l->need_cap : 256;
		l->need = xrealloc(l->need, l->need_cap * 32);
	}
	if (l->need_count == 0)
		l->need_base = l->records_received;
	memcpy(l->need[l->need_count++], id, 32);
}

/* Offer ids (count of them) to l with HAVE, in bounded batches. */
static void
net_offer(struct link *l, const uint8_t (*ids)[32], size_t count)
{
	struct mpw w;

	for (size_t i = 0; i < count; i += WIRE_IDS_MAX) {
		size_t n = count - i < WIRE_IDS_MAX ? count - i : WIRE_IDS_MAX;

		mpw_init(&w, WIRE_MSG_MAX);
		wire_ids(&w, WIRE_HAVE, ids + i, (uint32_t)n);
		net_send(l, &w);
		mpw_release(&w);
	}
}

static int
net_on_id(void *ctx, int have, const uint8_t id[NEG_ID_LEN],
    struct errbuf *eb)
{
	struct link *l = ctx;
	struct net_client *cs = &l->cs;

	if (l->need_count + cs->have_count >= NET_NEED_MAX)
		return fail(eb, AMIE_ELIMIT, "sync: over %u differences",
		    NET_NEED_MAX);
	if (!have) {
		net_need_add(l, id);
		cs->found++;
		l->fetching = 1;
		return 0;
	}
	if (cs->have_count == cs->have_cap) {
		cs->have_cap = cs->have_cap ? 2 * cs->have_cap : 256;
		cs->have = xrealloc(cs->have, cs->have_cap * 32);
	}
	memcpy(cs->have[cs->have_count++], id, 32);
	/* Offered as they are found, a HAVE at a time, so that a session
	 * with a node that lacks a million records holds 4,096 of them. */
	if (cs->have_count == WIRE_IDS_MAX) {
		net_offer(l, (const uint8_t (*)[32])cs->have, cs->have_count);
		cs->have_count = 0;
	}
	return 0;
}

static void
net_client_msg(struct link *l, const struct wire_msg *m)
{
	struct net_client *cs = &l->cs;
	struct neg_buf out;
	struct errbuf eb;
	struct mpw w;
	int done = 0;

	cs->last_ms = l->net->tick_ms;
	l->progress_ms = cs->last_ms;
	neg_buf_init(&out);
	if (neg_reconcile_client(&cs->neg, m->neg, m->neg_len, &out, net_on_id,
	    l, &done, &eb) != 0) {
		neg_buf_release(&out);
		net_client_cut(l);
		l->errors++;
		net_link_drop(l, eb.msg, NET_DROP_PENALTY);
		return;
	}
	mpw_init(&w, WIRE_MSG_MAX);
	if (done || cs->found >= l->net->node->conf.session_ids) {
		/* Done, or enough to fetch for now: a first sync of a large
		 * set goes on in a new session from where this one stops,
		 * so that the list of ids to fetch stays small. */
		wire_neg_close(&w, cs->id);
		net_send(l, &w);
		if (done) {
			l->last_sync_ms = node_now_ms();	/* shown */
			l->last_rounds = l->rounds;
			net_waiters_synced(l->net, l->key);
		} else {
			l->resync = 1;
			free(l->resume);
			l->resume = xmalloc(out.len);
			memcpy(l->resume, out.data, out.len);
			l->resume_len = out.len;
		}
		net_offer(l, (const uint8_t (*)[32])cs->have, cs->have_count);
		cs->have_count = 0;
		net_client_end(l);
		net_want_more(l);
	} else {
		wire_neg(&w, WIRE_NEG_MSG, cs->id, out.data, out.len);
		net_send(l, &w);
		l->rounds++;
	}
	mpw_release(&w);
	neg_buf_release(&out);
}

static void
net_server_msg(struct link *l, const struct wire_msg *m)
{
	struct net_server *ss = &l->ss;
	struct neg_buf out;
	struct errbuf eb;
	struct mpw w;

	if (m->type == WIRE_NEG_OPEN) {
		net_server_end(l);
		if (itemset_snap_open(l->net->node->store, &ss->snap,
		    &eb) != 0 || neg_init(&ss->neg,
		    itemset_snap_storage(ss->snap), NET_FRAME_LIMIT,
		    &eb) != 0) {
			itemset_snap_close(&ss->snap);
			mpw_init(&w, WIRE_MSG_MAX);
			wire_neg_err(&w, m->session, "busy");
			net_send(l, &w);
			mpw_release(&w);
			return;
		}
		neg_set_extensions(&ss->neg, l->neg_ext);
		ss->active = 1;
		ss->id = m->session;
		ss->started_ms = l->net->tick_ms;
	}
	ss->last_ms = l->net->tick_ms;
	neg_buf_init(&out);
	if (neg_reconcile_server(&ss->neg, m->neg, m->neg_len, &out,
	    &eb) != 0) {
		neg_buf_release(&out);
		net_server_end(l);
		l->errors++;
		net_link_drop(l, eb.msg, NET_DROP_PENALTY);
		return;
	}
	mpw_init(&w, WIRE_MSG_MAX);
	wire_neg(&w, WIRE_NEG_MSG, ss->id, out.data, out.len);
	net_send(l, &w);
	mpw_release(&w);
	neg_buf_release(&out);
}

/* Membership kinds go first so that no record waits for its author. */
static int
net_is_membership(const uint8_t *buf, size_t len)
{
	struct record_header h;
	struct record r;

	if (record_decode(&r, buf, len, NULL) != 0 ||
	    record_header_decode(&h, r.header, r.header_len, NULL) != 0)
		return 0;
	return strcmp(h.kind, "charter") == 0 ||
	    strncmp(h.kind, "member.", 7) == 0 ||
	    strcmp(h.kind, "node.info") == 0;
}

/* Answer a WANT with exactly one RECORDS: what we serve of it, as much
 * as fits in one message, membership records first. */
static void
net_answer_want(struct link *l, const struct wire_msg *m)
{
	struct store *st = l->net->node->store;
	uint8_t **bufs = xcalloc(m->count, sizeof(*bufs));
	size_t *lens = xcalloc(m->count, sizeof(*lens));
	uint8_t (*left)[32] = xmalloc((size_t)m->count * 32 + 1);
	size_t total = 16, n = 0, nleft = 0;
	struct errbuf eb;
	struct mpw w;

	for (uint32_t i = 0; i < m->count; i++) {
		if (store_get_served(st, wire_id(m, i), &bufs[i], &lens[i],
		    &eb) != 0) {
			bufs[i] = NULL;
			continue;
		}
		if (total + lens[i] + 8 > WIRE_MSG_MAX ||
		    n == WIRE_RECORDS_MAX) {
			memcpy(left[nleft++], wire_id(m, i), 32);
			free(bufs[i]);
			bufs[i] = NULL;
			continue;
		}
		total += lens[i] + 8;
		n++;
	}
	mpw_init(&w, WIRE_MSG_MAX);
	wire_records_begin(&w, (uint32_t)n);
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < m->count; i++)
			if (bufs[i] != NULL &&
			    net_is_membership(bufs[i], lens[i]) == (pass == 0))
				mpw_bin(&w, bufs[i], lens[i]);
	net_send(l, &w);
	l->records_sent += n;
	mpw_release(&w);
	/* What did not fit is offered right behind: the peer asks for it
	 * again (net_answer_have()), instead of waiting for its next
	 * reconciliation. */
	net_offer(l, (const uint8_t (*)[32])left, nleft);
	for (uint32_t i = 0; i < m->count; i++)
		free(bufs[i]);
	free(bufs);
	free(lens);
	free(left);
}

static void
net_answer_have(struct link *l, const struct wire_msg *m)
{
	uint8_t (*missing)[32] = xmalloc((size_t)m->count * 32 + 1);
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->count; i++) {
		memcpy(missing[i], wire_id(m, i), 32);
		/* Asked of this peer, and offered after its answer: it was
		 * left out of the answer (it did not fit), so it is asked
		 * for again. */
		net_inflight_del_by(l->net, missing[i], l);
	}
	n = (uint32_t)store_missing(l->net->node->store, missing, m->count);
	/* Past the bound, the ids come with the next reconciliation. */
	if (n > 0 && l->need_count < NET_HAVE_NEED_MAX) {
		for (uint32_t i = 0; i < n && l->need_count <
		    NET_HAVE_NEED_MAX; i++)
			net_need_add(l, missing[i]);
		net_want_more(l);
	}
	free(missing);
}

/* What became of count records of l's (out): offer the new ones written
 * in the last NET_RELAY_RECENT_MS to the others (older ones, a node
 * catching up on the past, the others' own reconciliations find), count
 * and log what was refused; *membership tells whether the membership
 * changed. */
static void
net_records_done(struct link *l, const struct store_out *out, size_t count,
    int *membership)
{
	struct net *net = l->net;
	uint8_t (*fresh)[32] = xmalloc((count + 1) * 32);
	uint64_t now = node_now_ms();
	size_t nfresh = 0, stored = 0;
	int bad = 0;

	for (size_t i = 0; i < count; i++) {
		net_inflight_del(net, out[i].id);
		if (out[i].stored) {
			stored++;
			if (now < NET_RELAY_RECENT_MS ||
			    out[i].ts >= now - NET_RELAY_RECENT_MS)
				memcpy(fresh[nfresh++], out[i].id, 32);
			if (strcmp(out[i].kind, "charter") == 0 ||
			    strncmp(out[i].kind, "member.", 7) == 0 ||
			    strcmp(out[i].kind, "node.info") == 0)
				*membership = 1;
			continue;
		}
		if (out[i].code == 0) {
			l->records_known++;
			continue;
		}
		l->errors++;
		net_tally_of(net, l->key)->refused++;
		snprintf(l->last_error, sizeof(l->last_error), "%.127s",
		    out[i].reason);
		log_msg(LOG_NOTICE, "net: refused a record: %s", out[i].reason);
		if (out[i].code == AMIE_ESIG || out[i].code == AMIE_EPROTO ||
		    out[i].code == AMIE_ELIMIT)
			bad = 1;
	}
	l->records_received += stored;
	if (nfresh > 0) {
		for (struct link *o = net->links; o != NULL; o = o->next)
			if (o != l && o->ready && !o->dead)
				net_offer(o, (const uint8_t (*)[32])fresh,
				    nfresh);
	}
	if (bad)
		net_link_drop(l, "sent an invalid record", NET_DROP_PENALTY);
	free(fresh);
}

/* Ingest count records (one transaction) with the clock at now_ms, on
 * this thread. */
static void
net_take_records(struct link *l, const struct store_in *in, uint32_t count,
    uint64_t now_ms, int *membership)
{
	struct store_out *out = xcalloc(count + 1, sizeof(*out));
	struct errbuf eb;

	*membership = 0;
	if (store_ingest(l->net->node->store, in, count, now_ms, out,
	    &eb) != 0)
		log_msg(LOG_ERR, "net: ingest: %s", eb.msg);
	else
		net_records_done(l, out, count, membership);
	free(out);
}

/* Ingest the records of a RECORDS now, in one transaction. */
static void
net_take_message(struct link *l, const struct wire_msg *m, int *membership)
{
	struct store_in *in = xcalloc((size_t)m->count + 1, sizeof(*in));
	struct mpr it;

	mpr_init(&it, m->items, m->items_len);
	for (uint32_t i = 0; i < m->count; i++)
		wire_record_next(&it, &in[i].buf, &in[i].len);
	net_take_records(l, in, m->count, node_now_ms(), membership);
	free(in);
}

/*
 * Queue the m->count records (at least one) of a RECORDS on l, to be
 * ingested by net_ingest_step().  Returns 0, or -1 when the inbox is
 * full.
 */
static int
net_inbox_push(struct link *l, const struct wire_msg *m)
{
	struct net_inbox *b;
	size_t off = 0;
	struct mpr it;

	assert(m->count > 0);
	if (l->inbox_count == NET_INBOX_MAX)
		return -1;
	b = &l->inbox[(l->inbox_head + l->inbox_count) % NET_INBOX_MAX];
	b->buf = xmalloc(m->items_len + 1);
	memcpy(b->buf, m->items, m->items_len);
	b->in = xcalloc((size_t)m->count + 1, sizeof(*b->in));
	b->count = m->count;
	b->pos = 0;
	/* The records point into the copy. */
	mpr_init(&it, m->items, m->items_len);
	for (uint32_t i = 0; i < m->count; i++) {
		const uint8_t *rec;

		wire_record_next(&it, &rec, &b->in[i].len);
		off = (size_t)(rec - m->items);
		b->in[i].buf = b->buf + off;
	}
	l->inbox_count++;
	return 0;
}

/* The slice of l's inbox that starts pos records into its first
 * RECORDS (or the next RECORDS when that one ends there): *in and
 * *count, or 0 when there is none waiting. */
static int
net_inbox_slice_at(const struct link *l, size_t pos,
    const struct store_in **in, size_t *count)
{
	const struct net_inbox *b = &l->inbox[l->inbox_head];
	size_t slice = l->net->slice;

	if (pos >= b->count) {
		if (l->inbox_count < 2)
			return 0;
		b = &l->inbox[(l->inbox_head + 1) % NET_INBOX_MAX];
		pos = 0;
	}
	*in = b->in + pos;
	*count = b->count - pos < slice ? b->count - pos : slice;
	return 1;
}

static uint64_t
net_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* End every reconciliation under way, closing their snapshots: a peer
 * whose session ends is told so, and this node's start again at once. */
static void
net_sessions_end(struct net *net)
{
	struct mpw w;

	for (struct link *l = net->links; l != NULL; l = l->next) {
		if (l->ss.active) {
			mpw_init(&w, WIRE_MSG_MAX);
			wire_neg_err(&w, l->ss.id, "busy");
			net_send(l, &w);
			mpw_release(&w);
		}
		net_server_end(l);
		if (l->cs.active)
			l->resync = 1;
		net_client_end(l);
	}
}

/* Account for the n records of l's inbox just ingested, in took_us:
 * the size of the next slice, the end of a RECORDS, what to WANT next. */
static void
net_inbox_advance(struct link *l, size_t n, uint64_t took_us, int membership)
{
	struct net *net = l->net;
	struct net_inbox *b = &l->inbox[l->inbox_head];
	size_t want;

	if (n > 0) {
		/* Shrink in proportion when it took too long, grow by a
		 * quarter when it did not: records already stored (fetched
		 * from another peer too) take no time and must not make the
		 * next slice of new ones huge. */
		if (took_us > NET_INGEST_SLICE_MS * 1000)
			want = (size_t)((uint64_t)net->slice *
			    NET_INGEST_SLICE_MS * 1000 / took_us);
		else
			want = net->slice + net->slice / 4 + 1;
		net->slice = want < NET_INGEST_SLICE_MIN ?
		    NET_INGEST_SLICE_MIN : want > NET_INGEST_SLICE_MAX ?
		    NET_INGEST_SLICE_MAX : want;
	}
	b->pos += (uint32_t)n;
	if (b->pos == b->count) {
		if (net->ahead_link == l && net->ahead_in >= b->in &&
		    net->ahead_in < b->in + b->count) {
			store_ingest_forget(net->node->store, net->ahead_in,
			    net->ahead_count);
			net->ahead_link = NULL;
		}
		free(b->buf);
		free(b->in);
		memset(b, 0, sizeof(*b));
		l->inbox_head = (l->inbox_head + 1) % NET_INBOX_MAX;
		l->inbox_count--;
		if (l->wants_out > 0)
			l->wants_out--;
		if (!l->dead)
			net_want_more(l);
	}
	if (membership)
		net_members_reload(net);
}

/*
 * Hand the next slice of l's inbox to the store's writer thread, with the
 * one after it to verify meanwhile.  Slices are cut to take about
 * NET_INGEST_SLICE_MS each, commit included, from the time the last one
 * took: large enough for commits not to dominate, small enough for a
 * write asked on the control socket (which waits for the writer) to wait
 * little.  The loop goes on meanwhile; net_inbox_done() takes the result.
 */
static void
net_inbox_start(struct link *l)
{
	struct net *net = l->net;
	struct net_inbox *b = &l->inbox[l->inbox_head];
	const struct store_in *cur, *next = NULL;
	size_t n, next_count = 0;
	uint64_t now_ms;
	int membership = 0;

	if (!net_inbox_slice_at(l, b->pos, &cur, &n))
		return;
	/* A slice handed ahead is taken as it was cut, with the clock it
	 * was verified at (a clock read later would void the verdicts). */
	now_ms = node_now_ms();
	if (net->ahead_link == l && net->ahead_in == cur) {
		n = net->ahead_count;
		now_ms = net->ahead_now_ms;
		net->ahead_link = NULL;	/* this slice takes it */
	}
	/* The slice after this one verifies while this one is written. */
	if (net->ahead_link == NULL &&
	    net_inbox_slice_at(l, b->pos + n, &next, &next_count)) {
		net->ahead_now_ms = node_now_ms();
		net->ahead_link = l;
		net->ahead_in = next;
		net->ahead_count = next_count;
	} else {
		next = NULL;
	}
	net->job_out = xcalloc(n + 1, sizeof(*net->job_out));
	net->job_link = l;
	net->job_in = cur;
	net->job_count = n;
	net->job_now_ms = now_ms;
	net->job_t0_us = net_mono_us();
	if (store_ingest_start(net->node->store, cur, n, now_ms,
	    net->job_out, next, next_count, net->ahead_now_ms) != 0) {
		/* No writer thread: on this one. */
		net->job_link = NULL;
		free(net->job_out);
		net->job_out = NULL;
		if (next != NULL)
			store_ingest_ahead(net->node->store, next,
			    next_count, net->ahead_now_ms);
		net_take_records(l, cur, (uint32_t)n, now_ms, &membership);
		net_inbox_advance(l, n, net_mono_us() - net->job_t0_us + 1,
		    membership);
	}
}

/*
 * Take the result of the slice on the writer thread, waiting for it if
 * wait, else only when it is done; nothing when there is none.
 */
static void
net_inbox_done(struct net *net, int wait)
{
	struct link *l = net->job_link;
	struct errbuf eb;
	int rc, membership = 0;

	if (l == NULL)
		return;
	if (!wait && !store_ingest_done(net->node->store))
		return;
	rc = store_ingest_end(net->node->store, &eb);
	net->job_link = NULL;
	if (rc == AMIE_EAGAIN) {
		/* The map is full and a reconciliation's snapshot keeps it
		 * from growing: end them (they start again), and write the
		 * slice again now, growing the map. */
		log_msg(LOG_NOTICE, "net: the store is full: ending the "
		    "reconciliations under way to grow it");
		net_sessions_end(net);
		errbuf_clear(&eb);
		rc = store_ingest(net->node->store, net->job_in,
		    net->job_count, net->job_now_ms, net->job_out, &eb);
	}
	if (rc != 0)
		log_msg(LOG_ERR, "net: ingest: %s", eb.msg);
	else
		net_records_done(l, net->job_out, net->job_count, &membership);
	free(net->job_out);
	net->job_out = NULL;
	net_inbox_advance(l, net->job_count,
	    net_mono_us() - net->job_t0_us + 1, membership);
}

int
net_ingest_step(struct net *net)
{
	struct link *pick = NULL;
	size_t waiting = 0, k = 0;

	int more = 0;

	net_inbox_done(net, 0);
	for (struct link *l = net->links; l != NULL; l = l->next) {
		if (net_want_pending(l))
			net_want_more(l);
		more |= net_want_pending(l);
	}
	if (net->job_link != NULL)
		return more;	/* else the poll wakes up when it is done */
	/* One slice at a time, the links taking turns. */
	for (struct link *l = net->links; l != NULL; l = l->next)
		if (!l->dead && l->inbox_count > 0)
			waiting++;
	if (waiting == 0)
		return more;
	net->ingest_turn++;
	for (struct link *l = net->links; l != NULL && pick == NULL;
	    l = l->next)
		if (!l->dead && l->inbox_count > 0 &&
		    k++ == net->ingest_turn % waiting)
			pick = l;
	net_inbox_start(pick);
	if (net->job_link != NULL)
		return more;
	for (struct link *l = net->links; l != NULL; l = l->next)
		if (!l->dead && l->inbox_count > 0)
			return 1;
	return more;
}

static void net_join_done(struct link *l, const struct wire_msg *m);

/* theirs - ours, both in ms, within int64_t. */
static int64_t
net_skew_ms(uint64_t theirs, uint64_t ours)
{
	if (theirs >= ours)
		return theirs - ours > INT64_MAX ? INT64_MAX :
		    (int64_t)(theirs - ours);
	return ours - theirs > INT64_MAX ? -INT64_MAX :
	    -(int64_t)(ours - theirs);
}

static void
net_dispatch(struct link *l, const struct wire_msg *m)
{
	struct net *net = l->net;
	struct mpw w;
	int membership;

	l->last_recv_ms = net->tick_ms;
	switch (m->type) {
	case WIRE_HELLO:
		if (m->version != WIRE_VERSION || !net->has_federation ||
		    sodium_memcmp(m->network_id, net->network_id, 32) != 0) {
			net_send_error(l, AMIE_EREFUSED,
			    "HELLO: another federation or version");
			net_link_drop(l, "HELLO of another federation or "
			    "protocol version", NET_DROP_PENALTY);
			return;
		}
		l->neg_ext = net_hello_ext(m);
		if (!l->outbound) {
			struct net_tally *t = net_tally_of(net, l->key);
			int rerun = l->cs.active;

			t->hello_ext = l->neg_ext;
			memcpy(t->hello_rid, l->rid, l->rid_len);
			t->hello_rid_len = l->rid_len;

			/* The peer connected again, maybe restarted: the WANTs
			 * it had from us may never be answered, and the
			 * sessions its last connection carried ended on its
			 * side.  A reconciliation we ran on this link starts
			 * again (amie sync may be waiting for it). */
			if (!rerun && l->fetching &&
			    l->wants_out > l->inbox_count)
				net_cut(l);
			net_inflight_release(net, l);
			l->wants_out = 0;
			net_server_end(l);
			net_client_end(l);
			net_send_hello(l);
			if (rerun)
				net_client_start(l);
		}
		if (!l->ready) {
			l->ready = 1;
			net_join_reply(l);
			/* Reached: the next failure backs off from the least
			 * delay again (a penalty being served stays). */
			if (l->outbound) {
				struct net_backoff *b =
				    net_backoff_find(net, l->key, 0);

				if (b != NULL && b->until_ms <= net->tick_ms)
					b->delay_ms = 0;
			}
			/* Our first reconciliation on it, unless another
			 * link has one under way: the tick starts it then.
			 * The next one is an interval later (before, the
			 * tick ran a second one at once). */
			if (l->outbound && !net_other_syncing(net, l)) {
				l->next_sync_ms = net->tick_ms + (uint64_t)
				    net->node->conf.sync_interval_s * 1000;
				net_client_start(l);
			}
		}
		return;
	case WIRE_NEG_OPEN:
		net_server_msg(l, m);
		return;
	case WIRE_NEG_MSG:
		if (l->cs.active && m->session == l->cs.id)
			net_client_msg(l, m);
		else if (l->ss.active && m->session == l->ss.id)
			net_server_msg(l, m);
		return;
	case WIRE_NEG_CLOSE:
		if (l->ss.active && m->session == l->ss.id) {
			net_server_end(l);
			l->last_sync_ms = node_now_ms();	/* shown */
		}
		return;
	case WIRE_NEG_ERR:
		if (l->cs.active && m->session == l->cs.id) {
			snprintf(l->last_error, sizeof(l->last_error),
			    "sync refused: %.*s", (int)m->reason.len,
			    m->reason.s);
			net_client_end(l);
			/* Tried again a little later, and amie sync --wait
			 * waits for it. */
			net_waiters_cut(l);
			l->rerun = !l->outbound;
			l->next_sync_ms = net->tick_ms + NET_BUSY_RETRY_MS;
		}
		return;
	case WIRE_HAVE:
		net_answer_have(l, m);
		return;
	case WIRE_WANT:
		net_answer_want(l, m);
		return;
	case WIRE_RECORDS:
		if (l->joining) {
			net_join_done(l, m);
			return;
		}
		l->progress_ms = net->tick_ms;
		/* On our own links (a sync we run), queued in the inbox and
		 * ingested by net_ingest_step() a slice at a time; the link
		 * is read on while the inbox has room, which the RECORDS of
		 * every WANT in flight find.  Messages behind them are
		 * handled meanwhile: the ids they hold are in flight
		 * (net_inflight_has()) and not asked for again.  On the
		 * others, and an empty one (nothing asked for is served),
		 * now. */
		if (l->outbound && m->count > 0 && net_inbox_push(l, m) == 0)
			return;
		if (l->wants_out > 0)
			l->wants_out--;
		net_take_message(l, m, &membership);
		if (membership)
			net_members_reload(net);
		net_want_more(l);
		return;
	case WIRE_PING:
		/* Its nonce is the sender's clock (ms since 1970): a PING is
		 * small, so its one-way delay is nothing next to the skew
		 * that matters (amie doctor: a minute). */
		l->clock_skew_ms = net_skew_ms(m->nonce, node_now_ms());
		l->has_clock_skew = 1;
		mpw_init(&w, 64);
		wire_ping(&w, WIRE_PONG, m->nonce);
		net_send(l, &w);
		mpw_release(&w);
		return;
	case WIRE_PONG:
		return;
	case WIRE_ERROR:
		snprintf(l->last_error, sizeof(l->last_error), "%.*s",
		    (int)m->reason.len, m->reason.s);
		if (l->joining && l->join_ticket != NULL) {
			struct errbuf eb;

			fail(&eb, m->code > 0 && m->code < AMIE_ERR_COUNT ?
			    (int)m->code : AMIE_EREFUSED, "%.*s",
			    (int)m->reason.len, m->reason.s);
			control_reply_later(net->ctl, &l->join_ticket, NULL,
			    &eb);
			net_link_drop(l, "join refused", 0);
			return;
		}
		log_msg(LOG_NOTICE, "net: peer error: %s", l->last_error);
		l->errors++;
		return;
	case WIRE_JOIN:
		net_send_error(l, AMIE_EUSAGE, "already a member");
		return;
	}
}

/* A JOIN from an unknown key while an invite is pending. */
static void
net_handle_join_msg(struct net *net, const uint8_t *rid, size_t rid_len,
    const uint8_t curve[32], const struct wire_msg *m);

static struct link *
net_inbound_link(struct net *net, const uint8_t key[32], const uint8_t *rid,
    size_t rid_len)
{
	struct link *l;

	for (l = net->links; l != NULL; l = l->next)
		if (!l->outbound && !l->dead && memcmp(l->key, key, 32) == 0)
			break;
	if (l == NULL) {
		struct net_tally *t = net_tally_of(net, key);

		l = net_link_new(net, key, 0);
		l->ready = 1;	/* a current member, checked per message */
		/* On a connection that said HELLO already, its extensions
		 * hold: without them its sessions would be refused. */
		if (t->hello_rid_len == rid_len &&
		    memcmp(t->hello_rid, rid, rid_len) == 0)
			l->neg_ext = t->hello_ext;
		l->rerun = t->cut_inbound;
		t->cut_inbound = 0;
	}
	/* Another routing id: another connection, maybe on the same fd
	 * number; net_link_fd() takes its measure again. */
	if (l->rid_len != rid_len || memcmp(l->rid, rid, rid_len) != 0)
		l->fd = -1;
	memcpy(l->rid, rid, rid_len);
	l->rid_len = rid_len;
	return l;
}

/*
 * Take one message of len bytes from key's token buckets.  Returns 1 to
 * read it, 0 to drop it unread, -1 to drop the key's links with a penalty
 * (it kept flooding).
 */
static int
net_rate_admit(struct net *net, const uint8_t key[32], size_t len)
{
	struct net_tally *t = net_tally_of(net, key);
	/* Read at every message, so that a reload takes effect at once. */
	const uint64_t msg_rate = net->node->conf.peer_messages_per_sec;
	const uint64_t byte_rate = net->node->conf.peer_bytes_per_sec;
	const uint64_t msg_cap = msg_rate * 1000, byte_cap = byte_rate * 1000;
	uint64_t now = node_mono_ms(), ms;
	char who[NODEID_LEN + 1];
	int msg_ok, byte_ok;

	if (t->refill_ms == 0) {
		t->msg_tokens = msg_cap;
		t->byte_tokens = byte_cap;
	} else if (now > t->refill_ms) {
		ms = now - t->refill_ms < 1000 ? now - t->refill_ms : 1000;
		t->msg_tokens += ms * msg_rate;
		t->byte_tokens += ms * byte_rate;
	}
	if (t->msg_tokens > msg_cap)
		t->msg_tokens = msg_cap;
	if (t->byte_tokens > byte_cap)
		t->byte_tokens = byte_cap;
	t->refill_ms = now;
	msg_ok = msg_rate == 0 || t->msg_tokens >= 1000;
	byte_ok = byte_rate == 0 || t->byte_tokens >= (uint64_t)len * 1000;
	if (msg_ok && byte_ok) {
		if (msg_rate != 0)
			t->msg_tokens -= 1000;
		if (byte_rate != 0)
			t->byte_tokens -= (uint64_t)len * 1000;
		if ((msg_rate == 0 || t->msg_tokens > msg_cap / 2) &&
		    (byte_rate == 0 || t->byte_tokens > byte_cap / 2))
			t->over = 0;
		return 1;
	}
	t->rate_limited++;
	if (t->over++ == 0) {
		net_short(who, key);
		log_msg(LOG_NOTICE, "net: %s is over %llu messages/s or %llu "
		    "bytes/s: dropping its messages", who,
		    (unsigned long long)msg_rate,
		    (unsigned long long)byte_rate);
	}
	if (t->over < NET_PEER_OVER_MAX)
		return 0;
	t->over = 0;
	return -1;
}

#define NET_FLOODING "flooding: over its rate of messages or bytes"

/*
 * Checks of a decoded message before it is dispatched, common to both
 * directions.  Returns 1 to dispatch it, 0 when l was dropped for it.
 */
static int
net_admit(struct link *l, const struct wire_msg *m)
{
	char why[128];

	if ((m->type == WIRE_NEG_OPEN || m->type == WIRE_NEG_MSG) &&
	    m->neg_len > NET_FRAME_LIMIT) {
		snprintf(why, sizeof(why), "negentropy: frame of %zu bytes, "
		    "limit %d", m->neg_len, NET_FRAME_LIMIT);
		log_msg(LOG_NOTICE, "net: refused a message: %s", why);
		l->errors++;
		net_tally_of(l->net, l->key)->refused++;
		net_link_drop(l, why, NET_DROP_PENALTY);
		return 0;
	}
	return 1;
}

/* Bytes the TCP connection on fd received so far, 0 if unknown. */
static uint64_t
net_tcp_bytes(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) +
	    sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received;
}

/*
 * Note the TCP socket a message of len bytes came by on inbound link l,
 * and what that connection carried before the link saw it, for
 * net_mem_culprit().
 */
static void
net_link_fd(struct link *l, int fd, size_t len)
{
	uint64_t seen = l->bytes_received + len;

	if (fd == l->fd)
		return;
	l->fd = fd;
	/* Negative on a connection newer than the link: the peer came
	 * back, and its link counts what the last connections carried. */
	l->tcp_off = (int64_t)net_tcp_bytes(fd) - (int64_t)seen;
}

static void
net_router_recv(struct net *net)
{
	uint8_t rid[NET_RID_MAX], curve[32];
	const struct net_key *member;
	struct wire_msg m;
	struct errbuf eb;
	zmq_msg_t msg;
	const char *uid;
	size_t n = 0;
	int rid_len, more, budget = NET_RECV_BUDGET, rate;
	size_t sz = sizeof(more);

	/* What is left after the slice or the budget waits for the next
	 * poll, so that a sync never holds the control socket for long and
	 * no peer starves the others. */
	while (budget-- > 0 && node_mono_ms() < net->recv_until_ms) {
		rid_len = zmq_recv(net->router, rid, sizeof(rid),
		    ZMQ_DONTWAIT);
		if (rid_len < 0)
			return;
		zmq_getsockopt(net->router, ZMQ_RCVMORE, &more, &sz);
		if (!more || rid_len > NET_RID_MAX)
			continue;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, net->router, 0) < 0) {
			zmq_msg_close(&msg);
			continue;
		}
		zmq_getsockopt(net->router, ZMQ_RCVMORE, &more, &sz);
		while (more) {	/* drop the rest of a multipart message */
			zmq_msg_t extra;

			zmq_msg_init(&extra);
			zmq_msg_recv(&extra, net->router, 0);
			zmq_msg_close(&extra);
			zmq_getsockopt(net->router, ZMQ_RCVMORE, &more, &sz);
		}
		uid = zmq_msg_gets(&msg, "User-Id");
		if (uid == NULL || sodium_hex2bin(curve, 32, uid, strlen(uid),
		    NULL, &n, NULL) != 0 || n != 32) {
			zmq_msg_close(&msg);
			continue;
		}
		member = net_member_by_curve(net, curve);
		/* Keys that are no member share one small bucket, checked
		 * before their messages cost a decode or a log line. */
		if (member == NULL) {
			uint64_t full = NET_STRANGER_BURST *
			    NET_STRANGER_INTERVAL_MS;

			if (net->stranger_tokens_ms < net->tick_ms - full)
				net->stranger_tokens_ms = net->tick_ms - full;
			if (net->stranger_tokens_ms +
			    NET_STRANGER_INTERVAL_MS > net->tick_ms) {
				zmq_msg_close(&msg);
				continue;
			}
			net->stranger_tokens_ms += NET_STRANGER_INTERVAL_MS;
		}
		/* Penalised or over its rate: dropped before it costs more. */
		if (member != NULL && net_penalized(net, member->ed)) {
			zmq_msg_close(&msg);
			continue;
		}
		if (member != NULL && (rate = net_rate_admit(net, member->ed,
		    zmq_msg_size(&msg))) <= 0) {
			if (rate < 0)
				net_link_drop(net_inbound_link(net, member->ed,
				    rid, (size_t)rid_len), NET_FLOODING,
				    NET_DROP_PENALTY);
			zmq_msg_close(&msg);
			continue;
		}
		errbuf_clear(&eb);
		if (wire_decode(&m, zmq_msg_data(&msg), zmq_msg_size(&msg),
		    &eb) != 0) {
			log_msg(LOG_NOTICE, "net: malformed message from %s: %s",
			    member ? "a member" : "an unknown key", eb.msg);
			if (member != NULL) {
				struct link *l = net_inbound_link(net,
				    member->ed, rid, (size_t)rid_len);

				l->errors++;
				net_tally_of(net, l->key)->refused++;
				net_link_drop(l, eb.msg, NET_DROP_PENALTY);
			}
			zmq_msg_close(&msg);
			continue;
		}
		/* A member may join again: a node re-created from its
		 * exported key has lost the federation's records. */
		if (member == NULL || m.type == WIRE_JOIN) {
			if (m.type == WIRE_JOIN)
				net_handle_join_msg(net, rid, (size_t)rid_len,
				    curve, &m);
			else if (net->tick_ms >= net->stranger_log_ms) {
				/* At most one line a second. */
				net->stranger_log_ms = net->tick_ms + 1000;
				log_msg(LOG_INFO, "net: dropped %s from a "
				    "key that is not a member",
				    wire_type_name(m.type));
			}
		} else if (!net_penalized(net, member->ed)) {
			struct link *l = net_inbound_link(net, member->ed, rid,
			    (size_t)rid_len);

			net_link_fd(l, zmq_msg_get(&msg, ZMQ_SRCFD),
			    zmq_msg_size(&msg));
			l->bytes_received += zmq_msg_size(&msg);
			if (net_admit(l, &m))
				net_dispatch(l, &m);
		}
		zmq_msg_close(&msg);
	}
}

/* A handshake event on an outbound link: the peer refused us. */
static void
net_monitor_recv(struct link *l)
{
	zmq_msg_t ev, addr;
	uint16_t event = 0;

	zmq_msg_init(&ev);
	zmq_msg_init(&addr);
	if (zmq_msg_recv(&ev, l->mon, ZMQ_DONTWAIT) >= 0 &&
	    zmq_msg_size(&ev) >= 2) {
		memcpy(&event, zmq_msg_data(&ev), 2);
		if (zmq_msg_more(&ev))
			zmq_msg_recv(&addr, l->mon, 0);
	}
	zmq_msg_close(&ev);
	zmq_msg_close(&addr);
	if (event == 0)
		return;
	if (event == ZMQ_EVENT_DISCONNECTED && !l->joining) {
		/* ZeroMQ reconnects by itself; HELLO again once it has. */
		l->ready = 0;
		l->created_ms = l->net->tick_ms;
		net_client_cut(l);
		net_server_end(l);
		/* What the last session found is forgotten, so the next one
		 * starts from the beginning. */
		l->need_count = l->need_pos = 0;
		l->fetching = 0;
		/* The WANTs out are lost, but for the answers queued in the
		 * inbox, each of which counts down one as it is stored. */
		l->wants_out = l->inbox_count;
		net_inflight_release(l->net, l);
		net_resume_forget(l);
		return;
	}
	if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
		if (!l->joining && !l->ready)
			net_send_hello(l);
		return;
	}
	if (event == ZMQ_EVENT_DISCONNECTED)
		return;
	if (l->joining) {
		struct errbuf eb;

		fail(&eb, AMIE_EREFUSED, "%s",
		    event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ?
		    "the inviter refused the connection: it has no pending "
		    "invite (this one is used up or expired)" :
		    "the handshake with the inviter failed");
		control_reply_later(l->net->ctl, &l->join_ticket, NULL, &eb);
		net_link_drop(l, "join refused", 0);
	} else
		net_link_drop(l, event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ?
		    "the peer refused us (are we still a member there?)" :
		    "handshake failed", 1);
}

static void
net_dealer_recv(struct link *l)
{
	struct wire_msg m;
	struct errbuf eb;
	zmq_msg_t msg;
	int budget = NET_RECV_BUDGET, rate;

	while (!l->dead && l->inbox_count < NET_INBOX_MAX && budget-- > 0 &&
	    node_mono_ms() < l->net->recv_until_ms) {
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, l->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			return;
		}
		if (!l->joining && (rate = net_rate_admit(l->net, l->key,
		    zmq_msg_size(&msg))) <= 0) {
			if (rate < 0)
				net_link_drop(l, NET_FLOODING,
				    NET_DROP_PENALTY);
			zmq_msg_close(&msg);
			continue;
		}
		errbuf_clear(&eb);
		l->bytes_received += zmq_msg_size(&msg);
		if (wire_decode(&m, zmq_msg_data(&msg), zmq_msg_size(&msg),
		    &eb) != 0) {
			l->errors++;
			net_tally_of(l->net, l->key)->refused++;
			log_msg(LOG_NOTICE, "net: malformed message from a peer: "
			    "%s", eb.msg);
			net_link_drop(l, eb.msg, NET_DROP_PENALTY);
		} else if (net_admit(l, &m)) {
			net_dispatch(l, &m);
		}
		zmq_msg_close(&msg);
	}
}

/* ZAP (RFC 27): admit current members, and unknown keys while an invite
 * is pending.  The User-Id is the client's CurveZMQ key in hex. */
static void
net_zap_recv(struct net *net)
{
	zmq_msg_t f[7];
	char uid[65] = "";
	int n = 0, more = 1, ok = 0;
	size_t sz = sizeof(more);
	const char *status = "400", *text = "not a member";

	while (more && n < 8) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, net->zap, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(&m);
			if (n == 0)
				return;
			break;
		}
		zmq_getsockopt(net->zap, ZMQ_RCVMORE, &more, &sz);
		if (n < 7)
			f[n] = m;
		else
			zmq_msg_close(&m);
		n++;
	}
	if (n >= 7 && zmq_msg_size(&f[5]) == 5 &&
	    memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
	    zmq_msg_size(&f[6]) == 32) {
		const uint8_t *curve = zmq_msg_data(&f[6]);

		net_hex(uid, curve);
		if (net_member_by_curve(net, curve) != NULL)
			ok = 1;
		else if (invite_pending(net->node->store, node_now_ms()))
			ok = 1;
		if (ok) {
			status = "200";
			text = "OK";
		} else {
			net->handshakes_refused++;
			log_msg(LOG_NOTICE, "net: refused a handshake from "
			    "key %.16s...: not a member, no invite pending",
			    uid);
		}
	}
	if (n >= 2) {
		zmq_send(net->zap, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(net->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]),
		    ZMQ_SNDMORE);
		zmq_send(net->zap, status, 3, ZMQ_SNDMORE);
		zmq_send(net->zap, text, strlen(text), ZMQ_SNDMORE);
		zmq_send(net->zap, ok ? uid : "", ok ? 64 : 0, ZMQ_SNDMORE);
		zmq_send(net->zap, "", 0, 0);
	}
	for (int i = 0; i < n && i < 7; i++)
		zmq_msg_close(&f[i]);
}

/* Write our node.info when it is missing or differs from the config. */
int
net_write_node_info(struct net *net, struct errbuf *eb)
{
	struct node *n = net->node;
	const char *ep = n->conf.advertise[0] ? n->conf.advertise :
	    n->conf.listen;
	struct body_node_info ni;
	struct member_info me;
	uint8_t id[RECORD_ID_LEN];
	struct mpw body;
	int rc;

	if (!net->has_federation || !member_is_current(n->store, n->pk))
		return 0;
	if (member_get(n->store, n->pk, &me, eb) == 0 &&
	    strcmp(me.name, n->conf.name) == 0 &&
	    strcmp(me.region, n->conf.region) == 0 &&
	    strcmp(me.contact, n->conf.contact) == 0 &&
	    me.endpoints_count == 1 && strcmp(me.endpoints[0], ep) == 0)
		return 0;
	memset(&ni, 0, sizeof(ni));
	ni.name.s = n->conf.name;
	ni.name.len = (uint32_t)strlen(n->conf.name);
	ni.region.s = n->conf.region;
	ni.region.len = (uint32_t)strlen(n->conf.region);
	ni.contact.s = n->conf.contact;
	ni.contact.len = (uint32_t)strlen(n->conf.contact);
	ni.endpoints_count = 1;
	ni.endpoints[0].s = ep;
	ni.endpoints[0].len = (uint32_t)strlen(ep);
	mpw_init(&body, RECORD_BODY_MAX);
	body_node_info_encode(&ni, &body);
	if ((rc = node_write(n, "node.info", "", NULL, 0, body.buf, body.len,
	    0, id, eb)) != 0)
		log_msg(LOG_WARNING, "net: cannot write node.info: %s", eb->msg);
	mpw_release(&body);
	return rc;
}

/* Make and bind the ROUTER.  Returns 0 or AMIE_ECONFIG. */
static int
net_router_open(struct net *net, struct errbuf *eb)
{
	int linger = 0, sndhwm = NET_HWM, rcvhwm = NET_RCVHWM, server = 1;
	int enforce = 1, ipv6 = 1, rc;
	int64_t maxmsg = WIRE_MSG_MAX;
	const char *listen = net->node->conf.listen;

	net->router = zmq_socket(net->zctx, ZMQ_ROUTER);
	zmq_setsockopt(net->router, ZMQ_LINGER, &linger, sizeof(linger));
	/* listen may be an IPv6 address (amied.conf(5)); ZeroMQ falls back
	 * to IPv4 on a machine without IPv6. */
	zmq_setsockopt(net->router, ZMQ_IPV6, &ipv6, sizeof(ipv6));
	zmq_setsockopt(net->router, ZMQ_SNDHWM, &sndhwm, sizeof(sndhwm));
	zmq_setsockopt(net->router, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
	zmq_setsockopt(net->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	zmq_setsockopt(net->router, ZMQ_CURVE_SERVER, &server, sizeof(server));
	zmq_setsockopt(net->router, ZMQ_CURVE_SECRETKEY, net->curve_sk, 32);
	zmq_setsockopt(net->router, ZMQ_ZAP_DOMAIN, NET_ZAP_DOMAIN,
	    strlen(NET_ZAP_DOMAIN));
	if (zmq_setsockopt(net->router, ZMQ_ZAP_ENFORCE_DOMAIN, &enforce,
	    sizeof(enforce)) != 0 && net->router_resets == 0)
		log_msg(LOG_INFO, "net: this libzmq has no "
		    "ZMQ_ZAP_ENFORCE_DOMAIN; the ZAP handler, bound first, "
		    "still decides every handshake");
	if (zmq_bind(net->router, listen) != 0) {
		rc = fail(eb, AMIE_ECONFIG, "listen %s: %s", listen,
		    zmq_strerror(zmq_errno()));
		zmq_close(net->router);
		net->router = NULL;
		return rc;
	}
	return 0;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NET_SAN_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NET_SAN_HEAP 1
#endif
#endif

#ifdef NET_SAN_HEAP
/* The sanitizer's count of the heap bytes in use (libasan, libtsan). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/*
 * The daemon's anonymous resident memory in bytes, 0 if unknown.  Under
 * AddressSanitizer (make check) or ThreadSanitizer (SAN=thread) it is the
 * heap in use instead: freed blocks wait in AddressSanitizer's
 * quarantine, and ThreadSanitizer's shadow memory is several times the
 * heap, both counted as resident memory, which would set off the guard
 * in any long sync; every allocation the guard is for (libzmq's
 * included) goes through the sanitizer's allocator and is counted.
 */
static size_t
net_anon_bytes(void)
{
#ifdef NET_SAN_HEAP
	return __sanitizer_get_current_allocated_bytes();
#else
	char line[128];
	size_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssAnon: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
#endif
}

/*
 * The inbound link whose TCP connection brought the most bytes that never
 * reached us as messages (what libzmq holds of a message that does not
 * end), if that is over a quarter of NET_MEM_GUARD; else NULL.
 */
static struct link *
net_mem_culprit(struct net *net)
{
	struct link *worst = NULL;
	uint64_t worst_excess = NET_MEM_GUARD / 4;

	for (struct link *l = net->links; l != NULL; l = l->next) {
		int64_t tcp, seen;

		if (l->outbound || l->dead || l->fd < 0)
			continue;
		tcp = (int64_t)net_tcp_bytes(l->fd);
		seen = l->tcp_off + (int64_t)l->bytes_received;
		if (tcp - seen > (int64_t)worst_excess) {
			worst_excess = (uint64_t)(tcp - seen);
			worst = l;
		}
	}
	return worst;
}

/*
 * The memory guard (see NET_MEM_GUARD in net.h): close the ROUTER, and
 * with it what libzmq holds for its peers, then bind it again.  While the
 * bind fails (the old socket is closed in the background), retry at each
 * tick.
 */
static void
net_mem_guard(struct net *net)
{
	struct link *culprit;
	struct errbuf eb;
	size_t anon;

	if (net->router == NULL) {
		if (net_router_open(net, &eb) != 0)
			log_msg(LOG_WARNING, "net: %s (retrying)", eb.msg);
		return;
	}
	if (net->mem_base == 0 || net->tick_ms < net->mem_settle_ms)
		return;
	/* Over the guard, first give freed memory back to the system. */
	if ((anon = net_anon_bytes()) > net->mem_base + NET_MEM_GUARD) {
		malloc_trim(0);
		anon = net_anon_bytes();
	}
	/* Growing: stay alert. */
	if (anon > net->guard_last + NET_MEM_GUARD / 32)
		net->guard_alert_ms = net->tick_ms + NET_GUARD_ALERT_MS;
	net->guard_last = anon;
	if (anon <= net->mem_base + NET_MEM_GUARD) {
		net->mem_settle_ms = 0;
		return;
	}
	if (net->mem_settle_ms != 0) {
		/* Still there after a reset: our own, not libzmq's. */
		net->mem_base = anon;
		net->mem_settle_ms = 0;
		return;
	}
	log_msg(LOG_WARNING, "net: memory %zu MiB over its size at start "
	    "(a peer sending a message that never ends?): closing the "
	    "listening socket and its links, then opening it again",
	    (anon - net->mem_base) >> 20);
	net->router_resets++;
	if ((culprit = net_mem_culprit(net)) != NULL)
		net_link_drop(culprit, "flooding: a message that never ends",
		    NET_DROP_PENALTY);
	for (struct link *l = net->links; l != NULL; l = l->next)
		if (!l->outbound)
			net_link_drop(l, "listening socket reset", 0);
	zmq_close(net->router);
	net->router = NULL;
	net->mem_settle_ms = net->tick_ms + NET_MEM_SETTLE_MS;
	if (net_router_open(net, &eb) != 0)
		log_msg(LOG_WARNING, "net: %s (retrying)", eb.msg);
}

void
net_guard(struct net *net)
{
	net->tick_ms = node_mono_ms();
	net_mem_guard(net);
}

uint64_t
net_guard_ms(const struct net *net)
{
	return net->tick_ms < net->guard_alert_ms ? NET_GUARD_MS : NET_TICK_MS;
}

int
net_open(struct net **out, void *zctx, struct node *n, struct control *ctl,
    struct errbuf *eb)
{
	int linger = 0, rc;
	struct net *net = xcalloc(1, sizeof(*net));
	struct errbuf info_eb;

	net->node = n;
	net->ctl = ctl;
	net->slice = NET_INGEST_SLICE_MIN * 4;
	net->zctx = zctx;
	net->tick_ms = node_mono_ms();
	/* Our own key pair, checked when it was made: the conversion of a
	 * valid public key cannot fail. */
	if (crypto_sign_ed25519_pk_to_curve25519(net->curve_pk, n->pk) != 0)
		abort();
	crypto_sign_ed25519_sk_to_curve25519(net->curve_sk, n->sk);

	/* The ZAP handler must be bound before the server socket. */
	net->zap = zmq_socket(zctx, ZMQ_REP);
	zmq_setsockopt(net->zap, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(net->zap, NET_ZAP_ENDPOINT) != 0) {
		rc = fail(eb, AMIE_ECONFIG, "ZAP handler: %s",
		    zmq_strerror(zmq_errno()));
		goto fail;
	}
	if ((rc = net_router_open(net, eb)) != 0)
		goto fail;
	net->mem_base = net->guard_last = net_anon_bytes();
	net_members_reload(net);
	*out = net;
	n->net = net;
	net_write_node_info(net, &info_eb);	/* logged; the start goes on */
	return 0;
fail:
	if (net->router != NULL)
		zmq_close(net->router);
	zmq_close(net->zap);
	sodium_memzero(net->curve_sk, sizeof(net->curve_sk));
	free(net);
	return rc;
}

void
net_close(struct net **netp)
{
	struct net *net = *netp;
	struct errbuf eb;

	if (net == NULL)
		return;
	fail(&eb, AMIE_EUNAVAIL, "amied is stopping");
	for (size_t i = 0; i < NET_WAITERS_MAX; i++)
		control_reply_later(net->ctl, &net->waiters[i].ticket, NULL,
		    &eb);
	while (net->links != NULL) {
		struct link *l = net->links;

		net->links = l->next;
		net_join_reply(l);	/* joined: say so, not "stopping" */
		if (l->join_ticket != NULL)
			control_reply_later(net->ctl, &l->join_ticket, NULL,
			    &eb);
		net_link_free(l);
	}
	if (net->router != NULL)
		zmq_close(net->router);
	zmq_close(net->zap);
	net->node->net = NULL;
	sodium_memzero(net->curve_sk, sizeof(net->curve_sk));
	free(net->members);
	free(net->inflight);
	free(net->inflight_ms);
	free(net->inflight_by);
	free(net);
	*netp = NULL;
}

size_t
net_poll_items(struct net *net, zmq_pollitem_t *items, size_t cap)
{
	size_t n = 0;

	assert(cap >= 3);
	/* The writer thread's slice being done (net_ingest_step()). */
	if (net->job_link != NULL)
		items[n++] = (zmq_pollitem_t){ NULL,
		    store_ingest_fd(net->node->store), ZMQ_POLLIN, 0 };
	if (net->router != NULL)
		items[n++] = (zmq_pollitem_t){ net->router, 0, ZMQ_POLLIN,
		    0 };
	items[n++] = (zmq_pollitem_t){ net->zap, 0, ZMQ_POLLIN, 0 };
	for (struct link *l = net->links; l != NULL && n + 2 <= cap;
	    l = l->next) {
		if (!l->outbound || l->dead)
			continue;
		/* Read on while its inbox has room: the RECORDS of the
		 * WANTs in flight wait there, so that the slice after the
		 * last of one RECORDS verifies while that one is written. */
		items[n++] = (zmq_pollitem_t){ l->sock, 0,
		    l->inbox_count < NET_INBOX_MAX ? ZMQ_POLLIN : 0, 0 };
		if (l->mon != NULL)
			items[n++] = (zmq_pollitem_t){ l->mon, 0, ZMQ_POLLIN,
			    0 };
	}
	/* Not alert, the memory guard would look only at the next tick:
	 * bytes on an inbound connection, maybe of a message that never
	 * ends, make it alert (net_handle()).  libzmq's I/O thread reads
	 * them; polling an fd does not take its bytes. */
	if (net->tick_ms >= net->guard_alert_ms) {
		size_t watched = 0;

		for (struct link *l = net->links; l != NULL && n < cap &&
		    watched < NET_WATCH_MAX; l = l->next)
			if (!l->outbound && !l->dead && l->fd >= 0) {
				items[n++] = (zmq_pollitem_t){ NULL, l->fd,
				    ZMQ_POLLIN, 0 };
				watched++;
			}
	}
	return n;
}

void
net_handle(struct net *net, const zmq_pollitem_t *items, size_t count)
{
	const int ingest_fd = store_ingest_fd(net->node->store);

	net->tick_ms = node_mono_ms();
	net->recv_until_ms = net->tick_ms + NET_RECV_SLICE_MS;
	for (size_t i = 0; i < count; i++) {
		const int watched = items[i].socket == NULL &&
		    items[i].fd != ingest_fd;

		/* A watched connection (see net_poll_items()), or a new
		 * one at the ZAP handler: the memory guard is alert. */
		if (items[i].revents != 0 &&
		    (watched || items[i].socket == net->zap))
			net->guard_alert_ms = net->tick_ms + NET_GUARD_ALERT_MS;
		/* Closed (libzmq closes the fd of a connection that ended):
		 * watch it no more; the link's next message measures it. */
		if (watched && (items[i].revents & ZMQ_POLLERR))
			for (struct link *l = net->links; l != NULL;
			    l = l->next)
				if (!l->outbound && l->fd == items[i].fd)
					l->fd = -1;
		if (!(items[i].revents & ZMQ_POLLIN) ||
		    items[i].socket == NULL)	/* the writer's, a watched one */
			continue;
		if (items[i].socket == net->router) {
			net_router_recv(net);
		} else if (items[i].socket == net->zap) {
			net_zap_recv(net);
		} else {
			for (struct link *l = net->links; l != NULL;
			    l = l->next) {
				if (l->dead)
					continue;
				if (l->sock == items[i].socket)
					net_dealer_recv(l);
				else if (l->mon == items[i].socket)
					net_monitor_recv(l);
			}
		}
	}
}

struct net_pick {
	struct net *net;
	unsigned want;
};

static int
net_pick_one(void *ctx, const struct member_info *m)
{
	struct net_pick *p = ctx;
	struct net *net = p->net;

	if (p->want == 0)
		return 1;
	if (m->state != MEMBER_CURRENT || m->endpoints_count == 0 ||
	    memcmp(m->key, net->node->pk, 32) == 0 ||
	    net_backed_off(net, m->key))
		return 0;
	for (struct link *l = net->links; l != NULL; l = l->next)
		if (l->outbound && !l->dead && memcmp(l->key, m->key, 32) == 0)
			return 0;
	net_connect(net, m->key, m->endpoints[0]);
	for (struct link *l = net->links; l != NULL; l = l->next)
		if (l->outbound && !l->dead && memcmp(l->key, m->key, 32) == 0)
			net_send_hello(l);
	p->want--;
	return 0;
}

static int
net_waiter_idle(const struct net *net)
{
	for (const struct link *l = net->links; l != NULL; l = l->next) {
		if (l->dead || l->joining || !l->ready)
			continue;
		/* What a HAVE offered is fetched meanwhile, but not waited
		 * for: a peer offering ids and never sending them would
		 * hold amie sync --wait to its timeout. */
		if (l->cs.active || (l->fetching && (l->need_count > 0 ||
		    l->wants_out > 0)) || l->inbox_count > 0 || l->resync)
			return 0;
	}
	return 1;
}

static void
net_waiters_check(struct net *net)
{
	struct errbuf eb;
	struct mpw w;
	int idle = net_waiter_idle(net);

	for (size_t i = 0; i < NET_WAITERS_MAX; i++) {
		struct net_waiter *wt = &net->waiters[i];

		if (wt->ticket == NULL)
			continue;
		/* A peer no longer a member is not waited for. */
		for (unsigned k = 0; k < wt->cut_count;)
			if (!member_is_current(net->node->store, wt->cut[k]))
				memcpy(wt->cut[k], wt->cut[--wt->cut_count],
				    32);
			else
				k++;
		if (idle && wt->cut_count == 0 && !wt->cut_over) {
			mpw_init(&w, 256);
			mpw_map(&w, 2);
			mpw_cstr(&w, "peers");
			mpw_uint(&w, net_peers_connected(net));
			mpw_cstr(&w, "sessions");
			mpw_uint(&w, wt->sessions);
			control_reply_later(net->ctl, &wt->ticket, &w, NULL);
			mpw_release(&w);
		} else if (net->tick_ms >= wt->deadline_ms) {
			if (wt->cut_count > 0 || wt->cut_over)
				fail(&eb, AMIE_EAGAIN, "sync with %u%s "
				    "peer(s) was cut off and did not finish "
				    "in time (see amie peers); it goes on when "
				    "they are back", wt->cut_count,
				    wt->cut_over ? " or more" : "");
			else
				fail(&eb, AMIE_EAGAIN, "sync did not finish "
				    "in time; it goes on in the background");
			control_reply_later(net->ctl, &wt->ticket, NULL, &eb);
		}
	}
}

void
net_tick(struct net *net)
{
	struct node *n = net->node;
	struct link **pp;
	unsigned outbound = 0;
	struct mpw w;

	net->tick_ms = node_mono_ms();
	for (struct link *l = net->links; l != NULL; l = l->next) {
		if (l->dead)
			continue;
		if (l->joining) {
			if (net->tick_ms - l->created_ms > NET_JOIN_TIMEOUT_MS)
				net_link_drop(l, "no answer from the inviter: "
				    "it is unreachable, or its invite is used "
				    "up or expired", 0);
			continue;
		}
		if (l->outbound)
			outbound++;
		if (l->outbound && !l->ready &&
		    net->tick_ms - l->created_ms > NET_HANDSHAKE_MS) {
			net_link_drop(l, "no answer to HELLO", 1);
			continue;
		}
		if (l->ready && net->tick_ms - l->last_recv_ms > NET_DEAD_MS) {
			net_link_drop(l, "silent for too long", 1);
			continue;
		}
		if (l->ready && l->outbound &&
		    net->tick_ms - l->last_ping_ms > NET_PING_MS) {
			l->last_ping_ms = net->tick_ms;
			mpw_init(&w, 64);
			wire_ping(&w, WIRE_PING, node_now_ms());	/* a date */
			net_send(l, &w);
			mpw_release(&w);
		}
		if (l->ss.active && net->tick_ms - l->ss.last_ms > NET_DEAD_MS)
			net_server_end(l);
		/* A session's snapshot keeps LMDB from reusing the pages
		 * freed since: a peer may not hold one longer than ours last
		 * (it goes on in a new one). */
		if (l->ss.active &&
		    net->tick_ms - l->ss.started_ms > NET_SESSION_MAX_MS) {
			mpw_init(&w, 256);
			wire_neg_err(&w, l->ss.id, "busy");
			net_send(l, &w);
			mpw_release(&w);
			net_server_end(l);
		}
		/* A RECORDS lost on the way (a full queue, or dropped over the
		 * peer's rate) must not stall the link: what it carried comes
		 * with the next reconciliation. */
		if (l->wants_out > 0 && l->inbox_count == 0 &&
		    net->tick_ms - l->want_ms > NET_DEAD_MS) {
			if (l->fetching)
				net_cut(l);
			l->wants_out = 0;
			net_want_more(l);
		}
		if (l->cs.active &&
		    (net->tick_ms - l->cs.last_ms > NET_DEAD_MS ||
		    net->tick_ms - l->cs.started_ms > NET_SESSION_MAX_MS)) {
			snprintf(l->last_error, sizeof(l->last_error),
			    "sync timed out");
			net_client_cut(l);
		}
		if (l->resync && !l->cs.active && (l->resume != NULL ?
		    net_need_left(l) <= n->conf.session_ids / 2 :
		    l->need_count == 0 && l->wants_out == 0 &&
		    l->inbox_count == 0)) {
			l->resync = 0;
			l->next_sync_ms = net->tick_ms;
		}
		/* Our links sync every interval; a link the peer opened
		 * syncs only on amie sync, and goes on with the series that
		 * started once what it found is half fetched. */
		if (l->ready && (l->outbound || ((l->resume != NULL ||
		    l->rerun) && !l->resync)) && !l->cs.active &&
		    net->tick_ms >= l->next_sync_ms) {
			int other = net_other_syncing(net, l);

			/* One series of sessions at a time: this link's, if
			 * it had one, ends here when another has one (what
			 * it found is still fetched; the rest comes with the
			 * other's). */
			if (other == NET_OTHER_SERIES)
				net_resume_forget(l);
			if (other == 0) {
				l->next_sync_ms = net->tick_ms +
				    (uint64_t)n->conf.sync_interval_s * 1000;
				net_client_start(l);
			}
		}
	}
	/* Free the links dropped since the last tick. */
	for (pp = &net->links; *pp != NULL;) {
		struct link *l = *pp;

		if (l->dead) {
			*pp = l->next;
			net_link_free(l);
		} else {
			pp = &l->next;
		}
	}
	if (net->has_federation && outbound < n->conf.max_peers) {
		struct net_pick p = { net, n->conf.max_peers - outbound };
		struct errbuf eb;

		member_list(n->store, net_pick_one, &p, &eb);
	}
	net_waiters_check(net);
}

/* Whether a record of kind changes who the members are. */
static int
net_kind_membership(const char *kind)
{
	return strncmp(kind, "member.", 7) == 0 || strcmp(kind, "charter") == 0;
}

void
net_record_stored(struct net *net, const char *kind,
    const uint8_t id[RECORD_ID_LEN], int quiet)
{
	for (struct link *l = net->links; l != NULL && !quiet; l = l->next)
		if (l->ready && !l->dead && !l->joining)
			net_offer(l, (const uint8_t (*)[32])id, 1);
	if (net_kind_membership(kind))
		net_members_reload(net);
}

void
net_records_stored(struct net *net, const struct store_out *out,
    size_t count, int quiet)
{
	int membership = 0;

	for (size_t i = 0; i < count; i++) {
		if (out[i].code != 0 || !out[i].stored)
			continue;
		for (struct link *l = net->links; l != NULL && !quiet;
		     l = l->next)
			if (l->ready && !l->dead && !l->joining)
				net_offer(l, (const uint8_t (*)[32])out[i].id,
				    1);
		membership |= net_kind_membership(out[i].kind);
	}
	if (membership)
		net_members_reload(net);
}

uint64_t
net_sync_pending(const struct net *net)
{
	uint64_t most = 0;

	/* Links fetch what another already stored only once (net_want_more
	 * skips it), so the largest remainder is the estimate, not the sum. */
	for (const struct link *l = net->links; l != NULL; l = l->next) {
		uint64_t got = l->records_received - l->need_base;

		if (!l->dead && l->need_count > got &&
		    l->need_count - got > most)
			most = l->need_count - got;
	}
	return most;
}

unsigned
net_peers_connected(const struct net *net)
{
	unsigned n = 0;

	/* Two links with one peer (one each way) are one peer. */
	for (const struct link *l = net->links; l != NULL; l = l->next) {
		const struct link *o;

		if (!l->ready || l->dead || l->joining)
			continue;
		for (o = net->links; o != l; o = o->next)
			if (o->ready && !o->dead && !o->joining &&
			    memcmp(o->key, l->key, 32) == 0)
				break;
		n += o == l;
	}
	return n;
}

/* Invites. */

static int
net_parse_duration_ms(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t unit;

	if (end == s)
		return -1;
	switch (*end) {
	case 's': unit = 1000; break;
	case 'm': unit = 60 * 1000; break;
	case 'h': case '\0': unit = 3600 * 1000; break;
	case 'd': unit = 24 * 3600 * 1000; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	/* A year at most, in any unit. */
	if (v == 0 || v > 365ull * 24 * 3600 * 1000 / unit)
		return -1;
	*ms = v * unit;
	return 0;
}

int
net_handle_invite(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct net *net = n->net;
	struct invitecode ic;
	char code[INVITECODE_MAX], expires[32];
	uint8_t hash[32];
	uint64_t uses = 1, ttl;
	const char *ep = n->conf.advertise[0] ? n->conf.advertise :
	    n->conf.listen;
	int rc;

	if (!net->has_federation)
		return fail(eb, AMIE_ECONFIG,
		    "this node has no federation to invite to");
	/* A member.add it signed would be refused everywhere. */
	if (!member_is_current(n->store, n->pk))
		return fail(eb, AMIE_EREFUSED, "this node is no longer a "
		    "member of its federation: it cannot invite");
	rc = mpmap_cstr(&req->args, "expires", expires, sizeof(expires), eb);
	if (rc == AMIE_ENOTFOUND)
		ttl = NET_INVITE_EXPIRY_MS;
	else if (rc != 0)
		return rc;
	else if (net_parse_duration_ms(expires, &ttl) != 0)
		return fail(eb, AMIE_EUSAGE, "--expires: '%s' is not a duration "
		    "like 30m, 48h or 7d", expires);
	rc = mpmap_uint(&req->args, "uses", &uses, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if (uses < 1 || uses > INVITE_USES_MAX)
		return fail(eb, AMIE_EUSAGE, "--uses: 1 to %d", INVITE_USES_MAX);
	if (strstr(ep, "://0.0.0.0") != NULL || strstr(ep, "://*") != NULL ||
	    strstr(ep, "://[::]") != NULL)
		return fail(eb, AMIE_ECONFIG,
		    "the node listens on %s: set [node] advertise = "
		    "tcp://HOST:PORT in amied.conf so that others can reach it",
		    ep);
	if (strlen(ep) > INVITECODE_ENDPOINT_MAX)
		return fail(eb, AMIE_ECONFIG, "advertised endpoint too long");
	memset(&ic, 0, sizeof(ic));
	memcpy(ic.net_prefix, net->network_id, INVITECODE_NET_PREFIX);
	memcpy(ic.inviter, n->pk, 32);
	randombytes_buf(ic.secret, sizeof(ic.secret));
	ic.expiry_ms = node_now_ms() + ttl;
	memcpy(ic.endpoint, ep, strlen(ep) + 1);
	invitecode_secret_hash(hash, ic.secret);
	if ((rc = invite_add(n->store, hash, ic.expiry_ms, (uint32_t)uses,
	    eb)) != 0) {
		sodium_memzero(&ic, sizeof(ic));
		return rc;
	}
	invitecode_format(code, &ic);
	sodium_memzero(&ic, sizeof(ic));
	mpw_map(w, 3);
	mpw_cstr(w, "code");
	mpw_cstr(w, code);
	mpw_cstr(w, "expires");
	mpw_uint(w, node_now_ms() + ttl);
	mpw_cstr(w, "uses");
	mpw_uint(w, uses);
	sodium_memzero(code, sizeof(code));
	return 0;
}

struct net_rec_batch {
	struct mpw items;
	uint32_t count;
};

static int
net_collect_record(void *ctx, const uint8_t *buf, size_t len)
{
	struct net_rec_batch *b = ctx;

	if (b->count == WIRE_RECORDS_MAX)
		return AMIE_ELIMIT;
	mpw_bin(&b->items, buf, len);
	b->count++;
	return 0;
}

static void
net_handle_join_msg(struct net *net, const uint8_t *rid, size_t rid_len,
    const uint8_t curve[32], const struct wire_msg *m)
{
	struct node *n = net->node;
	struct body_member_add ma;
	struct net_rec_batch b;
	uint8_t hash[32], key_curve[32], id[RECORD_ID_LEN];
	char hex[65], safety[7], who[NODEID_LEN + 1];
	struct errbuf eb;
	struct link tmp;
	struct mpw body, w;

	memset(&tmp, 0, sizeof(tmp));
	tmp.net = net;
	memcpy(tmp.rid, rid, rid_len);
	tmp.rid_len = rid_len;
	/* A token bucket: NET_JOIN_BURST joins at once, then one per
	 * NET_JOIN_INTERVAL_MS, for the whole node. */
	if (net->join_tokens_ms < net->tick_ms -
	    NET_JOIN_BURST * NET_JOIN_INTERVAL_MS)
		net->join_tokens_ms = net->tick_ms -
		    NET_JOIN_BURST * NET_JOIN_INTERVAL_MS;
	if (net->join_tokens_ms + NET_JOIN_INTERVAL_MS > net->tick_ms) {
		net_send_error(&tmp, AMIE_EAGAIN, "join: busy, retry");
		return;
	}
	net->join_tokens_ms += NET_JOIN_INTERVAL_MS;
	/* The key the joiner claims must be the one it handshook with. */
	if (crypto_sign_ed25519_pk_to_curve25519(key_curve, m->key) != 0 ||
	    sodium_memcmp(key_curve, curve, 32) != 0) {
		net_send_error(&tmp, AMIE_EREFUSED,
		    "join: the key does not match the connection");
		return;
	}
	/* What would make the member.add fail is refused before the invite
	 * is spent: the joiner can then try again with the same code. */
	if (!member_is_current(n->store, n->pk)) {
		net_send_error(&tmp, AMIE_EREFUSED, "join: the inviter is no "
		    "longer a member of its federation");
		return;
	}
	memset(&ma, 0, sizeof(ma));
	ma.name.s = m->name.s;
	ma.name.len = m->name.len;
	ma.region.s = m->region.s;
	ma.region.len = m->region.len;
	ma.endpoint.s = m->endpoint.s;
	ma.endpoint.len = m->endpoint.len;
	ma.contact.s = "";
	memcpy(ma.invited_by, n->pk, 32);
	net_hex(hex, m->key);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_add_encode(&ma, &body);
	errbuf_clear(&eb);
	if (mpw_finish(&body, "member.add", &eb) != 0 ||
	    body_member_add_decode(&ma, body.buf, body.len, &eb) != 0) {
		mpw_release(&body);
		log_msg(LOG_NOTICE, "net: join refused: %s", eb.msg);
		net_send_error(&tmp, eb.code, eb.msg);
		return;
	}
	invitecode_secret_hash(hash, m->secret);
	if (invite_use(n->store, hash, node_now_ms(), &eb) != 0) {
		mpw_release(&body);
		log_msg(LOG_NOTICE, "net: join refused: %s", eb.msg);
		net_send_error(&tmp, eb.code, eb.msg);
		return;
	}
	if (node_write(n, "member.add", hex, NULL, 0, body.buf, body.len, 0,
	    id, &eb) != 0) {
		mpw_release(&body);
		log_msg(LOG_WARNING, "net: join: %s", eb.msg);
		net_send_error(&tmp, eb.code, eb.msg);
		return;
	}
	mpw_release(&body);
	net_members_reload(net);

	mpw_init(&b.items, WIRE_MSG_MAX);
	b.count = 0;
	if (member_records(n->store, net_collect_record, &b, &eb) != 0 ||
	    mpw_finish(&b.items, "membership", &eb) != 0) {
		net_send_error(&tmp, AMIE_ELIMIT, "join: membership too large");
	} else {
		mpw_init(&w, WIRE_MSG_MAX);
		wire_records_begin(&w, b.count);
		mpw_raw(&w, b.items.buf, b.items.len);
		net_send(&tmp, &w);
		mpw_release(&w);
	}
	mpw_release(&b.items);
	invitecode_safety(safety, n->pk, m->key);
	nodeid_format(who, m->key);
	log_msg(LOG_NOTICE, "net: %.*s (%s) joined with an invite; safety "
	    "code %s: compare it with theirs by phone", (int)m->name.len,
	    m->name.s, who, safety);
}

/* What the inviter's answer m holds: whether a charter whose network id
 * starts with prefix (the federation the invite code names), and how far
 * past now_ms + RECORD_FUTURE_MAX_MS the member.add for key is dated (0:
 * within it, or none).  Ingest would refuse such a member.add. */
static void
net_join_scan(const struct wire_msg *m,
    const char prefix[INVITECODE_NET_PREFIX], const uint8_t key[32],
    uint64_t now_ms, int *charter_ok, uint64_t *ahead_ms)
{
	struct record_header h;
	struct record r;
	uint8_t id[32];
	char hex[65];
	const uint8_t *buf;
	size_t len;
	struct mpr it;

	*charter_ok = 0;
	*ahead_ms = 0;
	net_hex(hex, key);
	mpr_init(&it, m->items, m->items_len);
	for (uint32_t i = 0; i < m->count; i++) {
		wire_record_next(&it, &buf, &len);
		if (record_decode(&r, buf, len, NULL) != 0 ||
		    record_header_decode(&h, r.header, r.header_len,
		    NULL) != 0)
			continue;
		if (strcmp(h.kind, "member.add") == 0 &&
		    strcmp(h.key, hex) == 0 &&
		    h.ts > now_ms + RECORD_FUTURE_MAX_MS &&
		    h.ts - now_ms > *ahead_ms)
			*ahead_ms = h.ts - now_ms;
		if (strcmp(h.kind, "charter") != 0)
			continue;
		record_network_id(id, r.header, r.header_len);
		if (memcmp(id, prefix, INVITECODE_NET_PREFIX) == 0)
			*charter_ok = 1;
	}
}

/* Joiner side: the inviter answered our JOIN with the membership. */
static void
net_join_done(struct link *l, const struct wire_msg *m)
{
	struct net *net = l->net;
	struct node *n = net->node;
	struct store_stats s;
	char safety[7], who[NODEID_LEN + 1];
	int membership, charter_ok;
	uint64_t ahead_ms;
	struct errbuf eb;

	/* Nothing is stored unless it is the federation of the code and
	 * makes this node a member: a charter stored alone would stay, and
	 * every later join would be refused. */
	net_join_scan(m, l->join_net_prefix, n->pk, node_now_ms(),
	    &charter_ok, &ahead_ms);
	if (ahead_ms > 0) {
		fail(&eb, AMIE_EREFUSED, "the inviter's clock is %llu s ahead "
		    "of this machine's: set both clocks right (NTP), then "
		    "join with a new invite",
		    (unsigned long long)(ahead_ms / 1000));
		control_reply_later(net->ctl, &l->join_ticket, NULL, &eb);
		net_link_drop(l, "join failed", 0);
		return;
	}
	if (charter_ok) {
		net_take_message(l, m, &membership);
		net_members_reload(net);
	}
	if (!net->has_federation ||
	    memcmp(net->network_id, l->join_net_prefix,
	    INVITECODE_NET_PREFIX) != 0 || !member_is_current(n->store, n->pk)) {
		fail(&eb, AMIE_EREFUSED, "the inviter's answer does not make "
		    "this node a member of its federation");
		control_reply_later(net->ctl, &l->join_ticket, NULL, &eb);
		net_link_drop(l, "join failed", 0);
		return;
	}
	l->joining = 0;
	net_write_node_info(net, &eb);
	store_stats(n->store, &s, &eb);
	invitecode_safety(safety, n->pk, l->key);
	nodeid_format(who, l->key);
	log_msg(LOG_NOTICE, "net: joined %s through %s; safety code %s",
	    s.federation, who, safety);
	/* The link carries on as an ordinary one with the inviter; amie
	 * join is answered once it is up (the HELLO answered), so that
	 * join --wait syncs on it instead of finding no peer. */
	l->join_done = 1;
	l->created_ms = net->tick_ms;	/* the HELLO's own time */
	snprintf(l->join_fed, sizeof(l->join_fed), "%s", s.federation);
	snprintf(l->join_who, sizeof(l->join_who), "%s", who);
	snprintf(l->join_safety, sizeof(l->join_safety), "%s", safety);
	net_send_hello(l);
}

int
net_handle_join(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct net *net = n->net;
	struct invitecode ic;
	char code[INVITECODE_MAX];
	const char *ep = n->conf.advertise[0] ? n->conf.advertise :
	    n->conf.listen;
	struct link *l;
	struct mpw msg;
	int rc;

	(void)w;
	if (net->has_federation)
		return fail(eb, AMIE_EUSAGE,
		    "this node already belongs to a federation");
	/* The inviter signs a member.add with it, which needs one. */
	if (n->conf.name[0] == '\0')
		return fail(eb, AMIE_ECONFIG, "join: set [node] name in "
		    "amied.conf first (amie daemon reload): the members know "
		    "this node by it");
	rc = mpmap_cstr(&req->args, "code", code, sizeof(code), eb);
	if (rc == AMIE_ENOTFOUND)
		return fail(eb, AMIE_EUSAGE, "join: which invite code?");
	if (rc != 0 || (rc = invitecode_parse(&ic, code, eb)) != 0)
		return rc;
	if (ic.expiry_ms < node_now_ms()) {
		sodium_memzero(&ic, sizeof(ic));
		return fail(eb, AMIE_EREFUSED, "invite: expired");
	}
	for (l = net->links; l != NULL; l = l->next)
		if (l->joining && !l->dead) {
			sodium_memzero(&ic, sizeof(ic));
			return fail(eb, AMIE_EAGAIN, "a join is in progress");
		}
	l = net_connect(net, ic.inviter, ic.endpoint);
	if (l->dead) {
		sodium_memzero(&ic, sizeof(ic));
		return fail(eb, AMIE_EUNAVAIL, "cannot connect to %s",
		    ic.endpoint);
	}
	l->joining = 1;
	memcpy(l->join_net_prefix, ic.net_prefix, INVITECODE_NET_PREFIX);
	mpw_init(&msg, WIRE_MSG_MAX);
	wire_join(&msg, ic.secret, n->pk, n->conf.name, n->conf.region, ep);
	net_send(l, &msg);
	mpw_release(&msg);
	sodium_memzero(&ic, sizeof(ic));
	sodium_memzero(code, sizeof(code));
	l->join_ticket = control_defer(net->ctl);
	return CONTROL_DEFERRED;
}

static const struct net_tally *net_tally_find(const struct net *net,
    const uint8_t key[32]);
static int net_has_link(const struct net *net, const uint8_t key[32]);

/* One row of amie peers: a link, a key backed off with no link, or a key
 * with refusals on record and no link. */
static void
net_peer_row(struct mpw *w, struct net *net, const uint8_t key[32],
    const struct link *l, const char *state, const char *error)
{
	const struct net_tally *t = net_tally_find(net, key);
	struct member_info mi;
	char id[NODEID_LEN + 1];
	struct errbuf eb;

	nodeid_format(id, key);
	if (member_get(net->node->store, key, &mi, &eb) != 0)
		mi.name[0] = '\0';
	mpw_map(w, l != NULL && l->has_clock_skew ? 21 : 20);
	mpw_cstr(w, "bytes_received");
	mpw_uint(w, l != NULL ? l->bytes_received : 0);
	mpw_cstr(w, "bytes_sent");
	mpw_uint(w, l != NULL ? l->bytes_sent : 0);
	if (l != NULL && l->has_clock_skew) {
		mpw_cstr(w, "clock_skew_ms");
		mpw_int(w, l->clock_skew_ms);
	}
	mpw_cstr(w, "continued");
	mpw_uint(w, l != NULL ? l->sessions_continued : 0);
	mpw_cstr(w, "direction");
	mpw_cstr(w, l == NULL ? "" : l->outbound ? "out" : "in");
	mpw_cstr(w, "duplicates");
	mpw_uint(w, l != NULL ? l->records_known : 0);
	mpw_cstr(w, "endpoint");
	mpw_cstr(w, l != NULL ? l->endpoint : "");
	mpw_cstr(w, "errors");
	mpw_uint(w, l != NULL ? l->errors : 0);
	mpw_cstr(w, "id");
	mpw_cstr(w, id);
	mpw_cstr(w, "last_error");
	mpw_cstr(w, error);
	mpw_cstr(w, "last_sync");
	mpw_uint(w, l != NULL ? l->last_sync_ms : 0);
	mpw_cstr(w, "name");
	mpw_cstr(w, mi.name);
	mpw_cstr(w, "penalties");
	mpw_uint(w, t != NULL ? t->penalties : 0);
	mpw_cstr(w, "rate_limited");
	mpw_uint(w, t != NULL ? t->rate_limited : 0);
	mpw_cstr(w, "received");
	mpw_uint(w, l != NULL ? l->records_received : 0);
	mpw_cstr(w, "refused");
	mpw_uint(w, t != NULL ? t->refused : 0);
	mpw_cstr(w, "rounds");
	mpw_uint(w, l != NULL ? l->last_rounds : 0);
	mpw_cstr(w, "sent");
	mpw_uint(w, l != NULL ? l->records_sent : 0);
	mpw_cstr(w, "sessions");
	mpw_uint(w, l != NULL ? l->sessions_started : 0);
	mpw_cstr(w, "state");
	mpw_cstr(w, state);
	mpw_cstr(w, "wants");
	mpw_uint(w, l != NULL ? l->wants_sent : 0);
}

/* The tally of key, or NULL if it has none. */
static const struct net_tally *
net_tally_find(const struct net *net, const uint8_t key[32])
{
	for (size_t i = 0; i < NET_TALLIES_MAX; i++)
		if (net->tally[i].last_ms != 0 &&
		    memcmp(net->tally[i].key, key, 32) == 0)
			return &net->tally[i];
	return NULL;
}

static int
net_has_link(const struct net *net, const uint8_t key[32])
{
	for (const struct link *l = net->links; l != NULL; l = l->next)
		if (!l->dead && !l->joining && memcmp(l->key, key, 32) == 0)
			return 1;
	return 0;
}

/* 1 if tally t needs a row of its own in amie peers. */
static int
net_tally_shown_alone(struct net *net, const struct net_tally *t)
{
	return t->last_ms != 0 &&
	    (t->refused > 0 || t->penalties > 0 || t->rate_limited > 0) &&
	    !net_has_link(net, t->key) && !net_backed_off(net, t->key);
}

int
net_handle_peers(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct net *net = n->net;
	uint32_t count = 0;

	(void)req;
	(void)eb;
	net->tick_ms = node_mono_ms();
	for (struct link *l = net->links; l != NULL; l = l->next)
		if (!l->dead && !l->joining)
			count++;
	for (size_t i = 0; i < NET_BACKOFFS_MAX; i++)
		if (net->backoff[i].until_ms > net->tick_ms &&
		    !net_has_link(net, net->backoff[i].key))
			count++;
	for (size_t i = 0; i < NET_TALLIES_MAX; i++)
		if (net_tally_shown_alone(net, &net->tally[i]))
			count++;
	mpw_map(w, 3);
	mpw_cstr(w, "handshakes_refused");
	mpw_uint(w, net->handshakes_refused);
	mpw_cstr(w, "listen_resets");
	mpw_uint(w, net->router_resets);
	mpw_cstr(w, "peers");
	mpw_array(w, count);
	for (struct link *l = net->links; l != NULL; l = l->next) {
		if (l->dead || l->joining)
			continue;
		net_peer_row(w, net, l->key, l, l->ready ? "connected" :
		    "connecting", l->last_error);
	}
	/* Peers dropped for misbehaving or failing, while backed off. */
	for (size_t i = 0; i < NET_BACKOFFS_MAX; i++)
		if (net->backoff[i].until_ms > net->tick_ms &&
		    !net_has_link(net, net->backoff[i].key))
			net_peer_row(w, net, net->backoff[i].key, NULL,
			    "backoff", net->backoff[i].reason);
	/* Keys that misbehaved, now with no link and no backoff. */
	for (size_t i = 0; i < NET_TALLIES_MAX; i++)
		if (net_tally_shown_alone(net, &net->tally[i]))
			net_peer_row(w, net, net->tally[i].key, NULL,
			    "disconnected", "");
	return 0;
}

static int
net_has_outbound(const struct net *net, const uint8_t key[32])
{
	for (const struct link *l = net->links; l != NULL; l = l->next)
		if (l->outbound && l->ready && !l->dead &&
		    memcmp(l->key, key, 32) == 0)
			return 1;
	return 0;
}

int
net_handle_sync(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct net *net = n->net;
	uint64_t timeout_s = 60;
	int wait = 0, rc;
	size_t i, links = 0;

	rc = mpmap_bool(&req->args, "wait", &wait, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	rc = mpmap_uint(&req->args, "timeout", &timeout_s, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if (timeout_s > NET_SYNC_TIMEOUT_MAX_S)
		return fail(eb, AMIE_EUSAGE, "sync: timeout over %u s",
		    NET_SYNC_TIMEOUT_MAX_S);
	if (!net->has_federation)
		return fail(eb, AMIE_ECONFIG, "this node has no federation");
	for (struct link *l = net->links; l != NULL; l = l->next)
		if (!l->dead && !l->joining && l->ready)
			links++;
	if (links == 0)
		return fail(eb, AMIE_EUNAVAIL, "no peer is connected");
	i = NET_WAITERS_MAX;
	if (wait) {
		for (i = 0; i < NET_WAITERS_MAX; i++)
			if (net->waiters[i].ticket == NULL)
				break;
		if (i == NET_WAITERS_MAX)
			return fail(eb, AMIE_EAGAIN, "too many syncs waiting");
		net->waiters[i].deadline_ms = node_mono_ms() + timeout_s * 1000;
		net->waiters[i].sessions = 0;
		net->waiters[i].cut_count = 0;
		net->waiters[i].cut_over = 0;
		net->waiters[i].ticket = control_defer(net->ctl);
	}
	/* Once per peer: on our outbound link to it if there is one. */
	for (struct link *l = net->links; l != NULL; l = l->next) {
		if (l->dead || l->joining || !l->ready)
			continue;
		if (!l->outbound && net_has_outbound(net, l->key))
			continue;
		net_client_start(l);
	}
	if (wait)
		return CONTROL_DEFERRED;
	mpw_map(w, 1);
	mpw_cstr(w, "peers");
	mpw_uint(w, net_peers_connected(net));
	return 0;
}
