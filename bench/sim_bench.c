/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * A deterministic simulation of a federation, in process, no sockets: N
 * nodes (200, and 2,000 for comparison), each dialling 4 random others so
 * that a node has about 8 peers; links with a one-way latency drawn
 * between 10 and 150 ms that lose 1% of messages (30% in a second run of
 * 200 nodes, where the push alone misses nodes); the push of the
 * daemon (HAVE to every peer, WANT what is missing, RECORDS, then HAVE
 * onwards) and its anti-entropy (each outbound link reconciles every 60
 * s, at a random phase, with the real Negentropy code of proto/, short-ids
 * extension on, then WANTs what it lacks and offers what the other lacks).
 * Every node holds the same BASE_ITEMS older items.  One node writes a new
 * record at t = 0; the figures are the times it takes to reach 50%, 99%
 * and 100% of the nodes (within 10 minutes), and the bytes each node
 * sends: for the push, and for anti-entropy, a minute on average.  Message sizes are the daemon's wire
 * sizes (msgpack, without CurveZMQ framing).  Prints tab-separated rows:
 * figure, value, unit, limit, ratio, target, verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/negentropy.h"
#include "proto/xmalloc.h"

#define SIM_DIAL 4			/* outbound links per node */
#define SIM_LAT_MIN_US 10000
#define SIM_LAT_MAX_US 150000
#define SIM_INTERVAL_US 60000000ull	/* anti-entropy, per outbound link */
#define SIM_END_US (10 * SIM_INTERVAL_US)
#define SIM_BASE_ITEMS 100000
#define SIM_RECORD_LEN 344		/* bytes of a kb record */
#define SIM_MSG_HEAD 8			/* msgpack array and type name */
#define SIM_ID_WIRE 34			/* bin 32 in msgpack */
#define SIM_FRAME_LIMIT (256 * 1024)

enum sim_ev {
	SIM_HAVE,
	SIM_WANT,
	SIM_RECORDS,
	SIM_SYNC		/* an outbound link's anti-entropy is due */
};

struct sim_event {
	uint64_t t_us;
	uint64_t seq;		/* ties broken in order of scheduling */
	enum sim_ev type;
	uint32_t from, to;
};

struct sim_node {
	uint32_t *peers;
	uint32_t *lat_us;	/* one-way latency to each peer */
	size_t npeers, cap;
	int has;		/* holds the new record */
	uint64_t got_us;
	uint64_t push_bytes, sync_bytes;
};

struct sim {
	struct sim_node *nodes;
	size_t n;
	struct sim_event *heap;
	size_t heap_len, heap_cap;
	uint64_t seq, rng, now_us;
	uint64_t loss_ppm;	/* messages lost, per million */
	size_t holders;
	uint64_t t50, t99, t100;
	/* the items every node holds, and their prefix sums */
	struct neg_item *base;
	uint8_t (*prefix)[NEG_ID_LEN];
	struct neg_item fresh;	/* the new record's item */
};

static uint64_t
sim_rand(struct sim *s)
{
	/* xorshift64*: deterministic for a given seed. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

static int
sim_ev_less(const struct sim_event *a, const struct sim_event *b)
{
	return a->t_us != b->t_us ? a->t_us < b->t_us : a->seq < b->seq;
}

static void
sim_push_ev(struct sim *s, uint64_t t_us, enum sim_ev type, uint32_t from,
    uint32_t to)
{
	struct sim_event e = { t_us, s->seq++, type, from, to };
	size_t i;

	if (s->heap_len == s->heap_cap) {
		s->heap_cap = s->heap_cap ? 2 * s->heap_cap : 1024;
		s->heap = xrealloc(s->heap, s->heap_cap * sizeof(*s->heap));
	}
	i = s->heap_len++;
	while (i > 0 && sim_ev_less(&e, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static struct sim_event
sim_pop_ev(struct sim *s)
{
	struct sim_event top = s->heap[0], last = s->heap[--s->heap_len];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < s->heap_len) {
		if (c + 1 < s->heap_len &&
		    sim_ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!sim_ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->heap_len > 0)
		s->heap[i] = last;
	return top;
}

static void
sim_link(struct sim *s, uint32_t a, uint32_t b, uint32_t lat_us)
{
	struct sim_node *x = &s->nodes[a];

	if (x->npeers == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 8;
		x->peers = xrealloc(x->peers, x->cap * sizeof(*x->peers));
		x->lat_us = xrealloc(x->lat_us, x->cap * sizeof(*x->lat_us));
	}
	x->peers[x->npeers] = b;
	x->lat_us[x->npeers++] = lat_us;
}

static int
sim_linked(const struct sim *s, uint32_t a, uint32_t b)
{
	for (size_t i = 0; i < s->nodes[a].npeers; i++)
		if (s->nodes[a].peers[i] == b)
			return 1;
	return 0;
}

static uint32_t
sim_latency(const struct sim *s, uint32_t a, uint32_t b)
{
	for (size_t i = 0; i < s->nodes[a].npeers; i++)
		if (s->nodes[a].peers[i] == b)
			return s->nodes[a].lat_us[i];
	abort();
}

/* Send a message of len bytes from a to b, unless the link loses it. */
static void
sim_send(struct sim *s, enum sim_ev type, uint32_t a, uint32_t b,
    size_t len, int is_sync)
{
	if (is_sync)
		s->nodes[a].sync_bytes += len;
	else
		s->nodes[a].push_bytes += len;
	if (sim_rand(s) % 1000000 < s->loss_ppm)
		return;
	sim_push_ev(s, s->now_us + sim_latency(s, a, b), type, a, b);
}

static void
sim_store(struct sim *s, uint32_t a, uint32_t from, int is_sync)
{
	struct sim_node *x = &s->nodes[a];

	if (x->has)
		return;
	x->has = 1;
	x->got_us = s->now_us;
	s->holders++;
	if (s->t50 == 0 && s->holders * 2 >= s->n)
		s->t50 = s->now_us;
	if (s->t99 == 0 && s->holders * 100 >= s->n * 99)
		s->t99 = s->now_us;
	if (s->holders == s->n)
		s->t100 = s->now_us;
	/* Push: offered at once to every other connected link. */
	for (size_t i = 0; i < x->npeers; i++)
		if (x->peers[i] != from)
			sim_send(s, SIM_HAVE, a, x->peers[i],
			    SIM_MSG_HEAD + SIM_ID_WIRE, is_sync);
}

/*
 * A node's item set as Negentropy storage: the shared base items, then
 * the new record if the node holds it (its timestamp is the newest).
 */
struct sim_set {
	const struct sim *s;
	int has;
};

static int
sim_set_size(void *ctx, size_t *count, struct errbuf *eb)
{
	const struct sim_set *x = ctx;

	(void)eb;
	*count = SIM_BASE_ITEMS + (x->has ? 1 : 0);
	return 0;
}

static int
sim_set_item(void *ctx, size_t index, struct neg_item *out,
    struct errbuf *eb)
{
	const struct sim_set *x = ctx;

	(void)eb;
	*out = index < SIM_BASE_ITEMS ? x->s->base[index] : x->s->fresh;
	return 0;
}

static int
sim_item_less(const struct neg_item *it, const struct neg_bound *b)
{
	if (it->ts != b->ts)
		return it->ts < b->ts;
	return memcmp(it->id, b->id, NEG_ID_LEN) < 0;
}

static int
sim_set_lower_bound(void *ctx, size_t begin, size_t end,
    const struct neg_bound *bound, size_t *index, struct errbuf *eb)
{
	const struct sim_set *x = ctx;
	struct neg_item it;

	while (begin < end) {
		size_t mid = begin + (end - begin) / 2;

		sim_set_item(ctx, mid, &it, eb);
		if (sim_item_less(&it, bound))
			begin = mid + 1;
		else
			end = mid;
	}
	(void)x;
	*index = begin;
	return 0;
}

static int
sim_set_sum(void *ctx, size_t begin, size_t end, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	const struct sim_set *x = ctx;
	size_t b = begin < SIM_BASE_ITEMS ? begin : SIM_BASE_ITEMS;
	size_t e = end < SIM_BASE_ITEMS ? end : SIM_BASE_ITEMS;

	(void)eb;
	memcpy(sum, x->s->prefix[e], NEG_ID_LEN);
	neg_sum_sub(sum, x->s->prefix[b]);
	if (end > SIM_BASE_ITEMS && begin <= SIM_BASE_ITEMS)
		neg_sum_add(sum, x->s->fresh.id);
	return 0;
}

struct sim_learnt {
	int have, need;
};

static int
sim_on_id(void *ctx, int have, const uint8_t id[NEG_ID_LEN],
    struct errbuf *eb)
{
	struct sim_learnt *l = ctx;

	(void)id;
	(void)eb;
	if (have)
		l->have = 1;
	else
		l->need = 1;
	return 0;
}

/*
 * Anti-entropy on a's outbound link to b, run to the end at once with the
 * real reconciliation code; its messages are counted and may be lost (the
 * session then ends with nothing learnt), and what it teaches is acted on
 * after its round trips.
 */
static void
sim_sync(struct sim *s, uint32_t a, uint32_t b)
{
	struct sim_set xa = { s, s->nodes[a].has }, xb = { s, s->nodes[b].has };
	struct neg_storage sa = { &xa, sim_set_size, sim_set_item,
	    sim_set_lower_bound, sim_set_sum, NULL };
	struct neg_storage sb = { &xb, sim_set_size, sim_set_item,
	    sim_set_lower_bound, sim_set_sum, NULL };
	struct neg client, server;
	struct neg_buf cmsg, smsg;
	struct sim_learnt l = { 0, 0 };
	struct errbuf eb;
	uint64_t rtt = 2ull * sim_latency(s, a, b), t = s->now_us;
	int rc, done = 0, lost = 0;

	neg_init(&client, &sa, SIM_FRAME_LIMIT, &eb);
	neg_init(&server, &sb, SIM_FRAME_LIMIT, &eb);
	neg_set_extensions(&client,
	    NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS);
	neg_set_extensions(&server,
	    NEG_EXT_SHORT_IDS | NEG_EXT_CONTENT_SPLITS);
	neg_buf_init(&cmsg);
	neg_buf_init(&smsg);
	rc = neg_initiate(&client, &cmsg, &eb);
	while (rc == 0 && !done && !lost) {
		s->nodes[a].sync_bytes += SIM_MSG_HEAD + 12 + cmsg.len;
		if (sim_rand(s) % 1000000 < s->loss_ppm) {
			lost = 1;
			break;
		}
		if ((rc = neg_reconcile_server(&server, cmsg.data, cmsg.len,
		    &smsg, &eb)) != 0)
			break;
		s->nodes[b].sync_bytes += SIM_MSG_HEAD + 12 + smsg.len;
		if (sim_rand(s) % 1000000 < s->loss_ppm) {
			lost = 1;
			break;
		}
		t += rtt;
		rc = neg_reconcile_client(&client, smsg.data, smsg.len, &cmsg,
		    sim_on_id, &l, &done, &eb);
	}
	/* NEG_CLOSE */
	s->nodes[a].sync_bytes += SIM_MSG_HEAD + 10;
	neg_buf_release(&cmsg);
	neg_buf_release(&smsg);
	neg_release(&client);
	neg_release(&server);
	if (rc != 0 || lost || !done)
		return;
	if (l.need) {		/* WANT to b, at t */
		s->nodes[a].sync_bytes += SIM_MSG_HEAD + SIM_ID_WIRE;
		if (sim_rand(s) % 1000000 >= s->loss_ppm)
			sim_push_ev(s, t + rtt / 2, SIM_WANT, a, b);
	}
	if (l.have) {		/* HAVE to b, at t */
		s->nodes[a].sync_bytes += SIM_MSG_HEAD + SIM_ID_WIRE;
		if (sim_rand(s) % 1000000 >= s->loss_ppm)
			sim_push_ev(s, t + rtt / 2, SIM_HAVE, a, b);
	}
}

static void
sim_run(size_t n, uint64_t loss_ppm, uint64_t seed, struct sim *s)
{
	uint8_t id[NEG_ID_LEN];

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->loss_ppm = loss_ppm;
	s->rng = seed;
	s->nodes = xcalloc(n, sizeof(*s->nodes));
	s->base = xcalloc(SIM_BASE_ITEMS, sizeof(*s->base));
	s->prefix = xcalloc(SIM_BASE_ITEMS + 1, NEG_ID_LEN);
	for (uint64_t i = 0; i < SIM_BASE_ITEMS; i++) {
		s->base[i].ts = 1764320000000ull + i * 10;
		crypto_generichash(id, sizeof(id), (const uint8_t *)&i,
		    sizeof(i), NULL, 0);
		memcpy(s->base[i].id, id, NEG_ID_LEN);
		memcpy(s->prefix[i + 1], s->prefix[i], NEG_ID_LEN);
		neg_sum_add(s->prefix[i + 1], id);
	}
	s->fresh.ts = 1764320000000ull + SIM_BASE_ITEMS * 10;
	memset(s->fresh.id, 0x5a, NEG_ID_LEN);
	/* Each node dials SIM_DIAL others: links are both ways. */
	for (uint32_t a = 0; a < n; a++) {
		for (int k = 0; k < SIM_DIAL; k++) {
			uint32_t b, lat;

			do
				b = (uint32_t)(sim_rand(s) % n);
			while (b == a || sim_linked(s, a, b));
			lat = SIM_LAT_MIN_US + (uint32_t)(sim_rand(s) %
			    (SIM_LAT_MAX_US - SIM_LAT_MIN_US));
			sim_link(s, a, b, lat);
			sim_link(s, b, a, lat);
			/* a's outbound link: anti-entropy at a random
			 * phase, then every interval. */
			sim_push_ev(s, sim_rand(s) % SIM_INTERVAL_US, SIM_SYNC,
			    a, b);
		}
	}
	/* Node 0 writes the record at t = 0. */
	sim_store(s, 0, UINT32_MAX, 0);
	while (s->heap_len > 0) {
		struct sim_event e = sim_pop_ev(s);

		if (e.t_us > SIM_END_US)
			break;
		s->now_us = e.t_us;
		switch (e.type) {
		case SIM_HAVE:
			if (!s->nodes[e.to].has)
				sim_send(s, SIM_WANT, e.to, e.from,
				    SIM_MSG_HEAD + SIM_ID_WIRE, 0);
			break;
		case SIM_WANT:
			if (s->nodes[e.to].has)
				sim_send(s, SIM_RECORDS, e.to, e.from,
				    SIM_MSG_HEAD + 3 + SIM_RECORD_LEN, 0);
			break;
		case SIM_RECORDS:
			sim_store(s, e.to, e.from, 0);
			break;
		case SIM_SYNC:
			sim_sync(s, e.from, e.to);
			sim_push_ev(s, s->now_us + SIM_INTERVAL_US, SIM_SYNC,
			    e.from, e.to);
			break;
		}
	}
}

static void
sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->nodes[i].peers);
		free(s->nodes[i].lat_us);
	}
	free(s->nodes);
	free(s->heap);
	free(s->base);
	free(s->prefix);
}

static void
sim_report(size_t n, uint64_t loss_ppm)
{
	struct sim s;
	uint64_t push = 0, sync = 0;
	char what[64];

	sim_run(n, loss_ppm, 0x9e3779b97f4a7c15ull + n, &s);
	for (size_t i = 0; i < n; i++) {
		push += s.nodes[i].push_bytes;
		sync += s.nodes[i].sync_bytes;
	}
	snprintf(what, sizeof(what), "sim %zu nodes, %.0f%% loss", n,
	    (double)loss_ppm / 10000);
	printf("%s: new record at 50%% of nodes\t%.0f\tms\t-\t-\t(printed)\t-\n",
	    what, (double)s.t50 / 1000);
	if (s.t99 != 0)
		printf("%s: at 99%%\t%.0f\tms\t-\t-\t(printed)\t-\n",
		    what, (double)s.t99 / 1000);
	else
		printf("%s: at 99%%\tnever\tms\t-\t-\t(printed)\t-\n",
		    what);
	if (s.holders == n)
		printf("%s: at 100%%\t%.0f\tms\t-\t-\t(printed)\t-\n",
		    what, (double)s.t100 / 1000);
	else
		printf("%s: at 100%%\tnever (%zu of %zu)\tms\t-\t-\t(printed)\t-\n",
		    what, s.holders, n);
	printf("%s: push bytes sent per node\t%.0f\tbytes\t-\t-\t(printed)\t-\n",
	    what, (double)push / (double)n);
	printf("%s: anti-entropy bytes per node a minute\t%.0f\tbytes\t-\t-\t(printed)\t-\n",
	    what, (double)sync / (double)n /
	    ((double)SIM_END_US / (double)SIM_INTERVAL_US));
	sim_free(&s);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	sim_report(200, 10000);
	sim_report(200, 300000);
	sim_report(2000, 10000);
	return 0;
}
