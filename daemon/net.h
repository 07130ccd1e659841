/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The node's network: CurveZMQ links to sibling nodes and sync over them
 * (DESIGN.md sections 2, 4 and 6).
 *
 * One ROUTER, bound on the listen endpoint, is the CurveZMQ server; a ZAP
 * handler (bound before it) lets in current members, and unknown keys only
 * while an invite of this node is pending.  One DEALER per outbound peer,
 * up to max_peers, chosen from members' node.info endpoints.  Each message
 * from the ROUTER is checked against current membership by its User-Id
 * (the client's CurveZMQ key), since ZAP runs only at the handshake: a
 * removed member's messages are dropped and its links closed.
 *
 * A link is one connection to a peer, either way.  On any link either side
 * may reconcile (Negentropy V1 over NEG_OPEN / NEG_MSG / NEG_CLOSE), then
 * ask for what it needs with WANT (answered by exactly one RECORDS each)
 * and offer what it has with HAVE (answered by WANT).  A record this node
 * writes is offered to every link at once (push); one received from a
 * link is offered to the others only when dated less than
 * NET_RELAY_RECENT_MS before our clock (older ones, the past a node
 * catches up on, the others' own reconciliations find).  The DEALER side
 * reconciles on connect and every sync interval, but waits while another
 * link has a reconciliation of ours under way, one to go on with, or ids
 * left to fetch (net_other_syncing()); `amie sync` reconciles once per
 * peer, on the outbound link if there is one, without that wait.
 *
 * A peer that sends malformed messages or records with bad signatures is
 * dropped with a logged reason and backed off; the daemon carries on.
 */
#ifndef AMIE_DAEMON_NET_H
#define AMIE_DAEMON_NET_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "daemon/control.h"
#include "daemon/node.h"

#define NET_WATCH_MAX		64	/* inbound TCP connections polled */
#define NET_POLL_MAX		(3 + 2 * (CONFIG_PEERS_MAX + 1) + NET_WATCH_MAX)
#define NET_FRAME_LIMIT		(256 * 1024)	/* Negentropy frame limit */
#define NET_WANT_BATCH		512	/* ids per WANT */
#define NET_WANTS_INFLIGHT	4	/* WANTs awaiting RECORDS per link */
#define NET_WANT_SCAN_MAX	4096	/* ids looked up per call, per link */
#define NET_NEED_MAX		(16u << 20)	/* ids one session may need */
#define NET_TICK_MS		200
#define NET_GUARD_MS		25	/* the memory guard's period, alert */
#define NET_GUARD_ALERT_MS	200	/* alert after inbound bytes */
#define NET_RECV_SLICE_MS	10	/* reading, then back to poll */
#define NET_FEATURE_SHORT_IDS	"neg-short-ids"	/* NEG_EXT_SHORT_IDS */
/* NEG_EXT_CONTENT_SPLITS */
#define NET_FEATURE_CONTENT_SPLITS	"neg-content-splits"
#define NET_RELAY_RECENT_MS	(3600u * 1000)	/* fetched and newer: offered */
#define NET_INGEST_SLICE_MS	40	/* an ingest slice takes... */
#define NET_INGEST_SLICE_MIN	16	/* ...with this many records */
#define NET_INGEST_SLICE_MAX	512	/* ...to this many */
#define NET_PING_MS		10000
#define NET_DEAD_MS		30000	/* no message for this long: reset */
/* A link the peer opened, silent this long, has missed a PING: when our
 * link to the peer fails, that one goes too (the peer is likely gone). */
#define NET_QUIET_MS		(NET_PING_MS + NET_PING_MS / 5)
#define NET_HANDSHAKE_MS	15000	/* no HELLO answer for this long */
#define NET_SESSION_MAX_MS	600000	/* our reconciliation, at most */
#define NET_BUSY_RETRY_MS	5000	/* after NEG_ERR "busy" */
#define NET_SYNC_TIMEOUT_MAX_S	86400u	/* amie sync --timeout, at most */
#define NET_STALL_MS		10000	/* no answer: holds no other link */
#define NET_JOIN_TIMEOUT_MS	20000
#define NET_BACKOFF_MIN_MS	1000
#define NET_BACKOFF_MAX_MS	60000
#define NET_PENALTY_MS		60000	/* after invalid data from a peer */
#define NET_JOIN_INTERVAL_MS	500	/* JOIN rate: one token per... */
#define NET_JOIN_BURST		5	/* ...up to this many at once */
/* Messages of keys that are no member (let in while an invite is
 * pending, or removed while connected), all together: one per... */
#define NET_STRANGER_INTERVAL_MS	10
#define NET_STRANGER_BURST	32	/* ...up to this many at once */
#define NET_INVITE_EXPIRY_MS	(48ull * 3600 * 1000)

/*
 * Floods.  Each key has a token bucket of messages and of bytes, refilled
 * at these rates and holding one second of them; a message that finds the
 * bucket empty is dropped unread (counted as rate_limited), and a key that
 * keeps going NET_PEER_OVER_MAX messages past the limit is dropped with a
 * penalty.  The rates are the [limits] peer_messages_per_sec and
 * peer_bytes_per_sec of amied.conf.  NET_RECV_BUDGET messages at most are
 * read from one socket per poll, so that no peer starves the others, the
 * timers or the control socket.  ROUTER queues hold NET_RCVHWM messages
 * per peer (each at most WIRE_MSG_MAX).  A HAVE queues ids to ask for up
 * to NET_HAVE_NEED_MAX; what it offers past that comes with the next sync.
 *
 * libzmq queues the frames of a message until its last one, whatever the
 * high-water mark, so a message that never ends grows without bound
 * where no check of ours sees it.  When the daemon's anonymous memory
 * (RssAnon; under AddressSanitizer, the heap in use) exceeds what it was
 * at start by NET_MEM_GUARD, malloc_trim() first gives freed memory back
 * to the system; if it is still over, the inbound link whose TCP
 * connection brought the most bytes that never made a message (over a
 * quarter of NET_MEM_GUARD) is dropped with a penalty, and the ROUTER is
 * closed (with every inbound link and what libzmq queued for it) and
 * bound again; members connect again at once.  If the memory is still
 * there NET_MEM_SETTLE_MS later, it was ours and becomes the new base.
 * The guard looks at every tick, and every NET_GUARD_MS while alert:
 * loopback brings hundreds of MiB a second, so a look every tick could let
 * through as much again as NET_MEM_GUARD.  It is alert for
 * NET_GUARD_ALERT_MS after bytes come on an inbound TCP connection (the
 * poll watches the first NET_WATCH_MAX of them while not alert) or a
 * connection is accepted, and while its memory grows; an idle daemon
 * does not wake for it.
 */
#define NET_PEER_OVER_MAX	64
#define NET_RECV_BUDGET		256
#define NET_RCVHWM		32
#define NET_HAVE_NEED_MAX	(64u * 1024)
#define NET_MEM_GUARD		(24u << 20)
#define NET_MEM_SETTLE_MS	1000

struct net;

/*
 * Start the network of node n: ZAP handler, then the ROUTER bound on the
 * listen endpoint.  Returns 0 and sets *out, or AMIE_ECONFIG.
 */
int net_open(struct net **out, void *zctx, struct node *n,
    struct control *ctl, struct errbuf *eb);

/* Close every socket and session; set *net to NULL. */
void net_close(struct net **net);

/* Fill items with the sockets to poll (at most cap); returns the count. */
size_t net_poll_items(struct net *net, zmq_pollitem_t *items, size_t cap);

/* Handle what the poll found on the items net_poll_items() gave. */
void net_handle(struct net *net, const zmq_pollitem_t *items, size_t count);

/* Timers: connect, ping, anti-entropy, timeouts.  Call every tick. */
void net_tick(struct net *net);

/* The memory guard (see NET_MEM_GUARD).  Call every net_guard_ms(). */
void net_guard(struct net *net);

/* The memory guard's period now: NET_GUARD_MS alert, else NET_TICK_MS. */
uint64_t net_guard_ms(const struct net *net);

/*
 * Ingest the RECORDS each link has waiting, a slice at a time
 * (NET_INGEST_SLICE_MIN to _MAX records, cut to take about
 * NET_INGEST_SLICE_MS, one transaction), on the store's writer thread
 * (store_ingest_start()), verifying the slice after it meanwhile.  The
 * event loop calls this after each poll: it takes the result of a slice
 * that is done and starts the next, so the loop, the control socket
 * with it, never waits for a commit.  net_poll_items() polls for the
 * slice's end.  It also goes on looking up what to WANT next, a bounded
 * number of ids per link and call.  Returns 1 when there is work to go on
 * with at once (poll without sleeping), else 0.
 */
int net_ingest_step(struct net *net);

/*
 * A record of kind was just stored by this node (written here or handed
 * over by the command line): offer it to every connected link at once
 * (push) unless quiet, and take membership changes into account in any
 * case.  Records received from peers do not come here: they are offered
 * on only when recent (NET_RELAY_RECENT_MS).
 */
void net_record_stored(struct net *net, const char *kind,
    const uint8_t id[RECORD_ID_LEN], int quiet);

/*
 * The same for the count results of one ingest request: each record
 * stored is offered unless quiet, and the members are taken in once for
 * the lot (a batch of a thousand member.add records would otherwise
 * reload every member's key a thousand times).
 */
void net_records_stored(struct net *net, const struct store_out *out,
    size_t count, int quiet);

/*
 * Publish a new node.info record of this node if its name, region,
 * contact or advertised endpoint differ from the configuration (after a
 * reload); logs why it could not.  Returns 0 (also when there is nothing
 * to publish) or the code of the refusal, with the reason in eb.
 */
int net_write_node_info(struct net *net, struct errbuf *eb);

/* Control commands (see daemon/control.h for the handler contract). */
int net_handle_invite(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);
int net_handle_join(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);
int net_handle_peers(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);
int net_handle_sync(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* Connected peers: distinct keys with a link that finished its HELLO (a
 * peer linked both ways counts once; joining links do not count). */
unsigned net_peers_connected(const struct net *net);

/*
 * Records this node learned it lacks in its current reconciliations and
 * has not stored yet: an estimate (the largest of its links'), for
 * progress; 0 when no reconciliation is fetching anything.
 */
uint64_t net_sync_pending(const struct net *net);

#endif
