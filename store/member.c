/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Membership, recomputed from the stored membership records so that it is
 * a function of the set of records, whatever order they arrived in.
 *
 * Databases (integers big endian):
 *
 *   signers  target key (32) -> one value per stored member.add or
 *            member.remove about that key (MDB_DUPSORT, so a key's values
 *            sort by type, then ts), MEMBER_SIG_LEN bytes:
 *              0  type: 'a' (member.add) or 'r' (member.remove)
 *              1  ts of the record (8)
 *              9  signer: the record's author (32)
 *             41  effective_from (8; 0 for 'a')
 *             49  reason (1): 0 none, 1 retired, 2 compromised
 *
 *   members  key (32) -> the state of a key that is or was a member or was
 *            proposed, MEMBER_VAL_LEN bytes:
 *              0  state (1): enum member_state
 *              1  flags (1): MEMBER_F_*
 *              2  reason (1), as in signers
 *              3  endpoints count (1)
 *              4  signers (4): distinct valid signers of member.add
 *              8  admitted_ts (8)
 *             16  removed_from (8)
 *             24  ts (8) || id (32) of the earliest member.add about it,
 *                 which gives invited_by (and the description until a
 *                 node.info exists)
 *             64  ts (8) || id (32) of its latest node.info
 *            104  invited_by (32)
 *            136  name, region, contact: BODY_NAME_MAX + 1 bytes each,
 *                 NUL padded
 *            523  endpoints: MEMBER_ENDPOINTS_MAX times BODY_ENDPOINT_MAX
 *                 + 1 bytes, NUL padded
 *
 * The rules (docs/protocol.md section 12).  The member.add and
 * member.remove records are judged one at a time in a fixed order: ts,
 * then target key, then the rest of the signers value.  A record by S
 * waits until S is the founder or admitted (so there is no lower time
 * bound: a member's records older than its admission count, since a new
 * member's clock may lag its inviter's), then counts unless S is removed
 * with removed_from <= ts (S's own member.remove always counts).  A key
 * is admitted once admit_quorum distinct signers of counted member.add
 * records about it exist, and removed once it removed itself or
 * remove_quorum distinct signers of counted member.remove records about
 * it exist, from the smallest effective_from counted (a tie names
 * "compromised").  A removal that reaches back over a record of its key
 * that already counted (a compromise) is a cut: the judging starts over
 * with it applied from the start, which undoes what that record made;
 * member_calc_run() says how cuts that undo themselves or are undone end,
 * and why the passes end.  Everything depends on the stored set only.
 * A key no counted record names (other than the founder) has no state.
 *
 * A record by a key is in the item set exactly while the key's window
 * holds it: [0, removed_from) for an admitted key, [0, forever) for a
 * current one, empty otherwise (an admitted key's own member.remove is
 * always in it); member_check() refuses records outside the window, and
 * a member.add or member.remove that would not count once stored, and
 * each recomputation that moves a window adds or takes out the records
 * that crossed it (walking `byauthor`).  So a record that counts is
 * served, and a stored one that does not is hidden.
 *
 * The description (name, region, contact, endpoints) comes from the
 * latest node.info (ts, then lowest id), else from the earliest served
 * member.add (ts, then lowest id); invited_by from that member.add.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/member.h"

_Static_assert(MEMBER_ENDPOINTS_MAX == BODY_ENDPOINTS_MAX,
    "node.info endpoints and member endpoints differ");

#define MEMBER_SIG_LEN		50
#define MEMBER_STATE_LEN	24
#define MEMBER_VAL_LEN		(136 + 3 * (BODY_NAME_MAX + 1) + \
				MEMBER_ENDPOINTS_MAX * (BODY_ENDPOINT_MAX + 1))
/*
 * Membership records kept: member.add and member.remove each have their
 * own budget, so that adds, however many, never stop a removal, and one
 * signer may use only MEMBER_SIGNER_QUOTA of each: filling a budget takes
 * 64 admitted signers, not one member (a member that signed 65,536 adds
 * could make itself impossible to remove).
 */
#define MEMBER_ADDS_MAX		65536
#define MEMBER_REMOVES_MAX	65536
#define MEMBER_SIGNER_QUOTA	1024
#define MEMBER_SIGNERS_MAX	(MEMBER_ADDS_MAX + MEMBER_REMOVES_MAX)
#define MEMBER_RECORDS_MAX	(2 * MEMBER_SIGNERS_MAX) /* in a join */

#define MEMBER_F_ADMITTED	1u	/* founder or admitted by quorum */
#define MEMBER_F_FOUNDER	2u
#define MEMBER_F_ADD		4u	/* the member.add stamp is set */
#define MEMBER_F_INFO		8u	/* the node.info stamp is set */

#define MEMBER_ADD		'a'
#define MEMBER_REMOVE		'r'

enum member_reason {
	MEMBER_REASON_NONE = 0,
	MEMBER_REASON_RETIRED,
	MEMBER_REASON_COMPROMISED
};

static const char *const member_reasons[] = { "", "retired", "compromised" };

/* A members value, unpacked. */
struct member_rec {
	struct member_info m;
	unsigned flags;
	uint8_t reason;
	uint64_t add_ts, info_ts;
	uint8_t add_id[RECORD_ID_LEN], info_id[RECORD_ID_LEN];
};

/* One signers value, with the index of its target in the key table. */
struct member_sig {
	size_t target;
	size_t signer_key;	/* its signer's key, or MEMBER_NONE */
	size_t group;		/* the same (target, type, signer) share one */
	size_t next;		/* next deferred record of the same signer */
	uint8_t type;
	uint64_t ts;
	uint8_t signer[RECORD_KEY_LEN];
	uint64_t effective_from;
	uint8_t reason;
};

#define MEMBER_NONE	SIZE_MAX

/*
 * A key during recomputation: the state a pass builds (admitted, removed,
 * removed_from, reason, signers) and its scratch.
 */
struct member_key {
	uint8_t key[RECORD_KEY_LEN];
	int founder, named, admitted, removed;
	uint64_t admitted_ts, removed_from;
	uint8_t reason;
	uint32_t signers;		/* distinct signers of adds */
	uint32_t removers;		/* distinct signers of removes */
	int self_removed, established;
	uint64_t cand_from, est_from;	/* smallest effective_from counted */
	uint8_t cand_reason, est_reason;
	int has_signed;			/* it signed a counted record ... */
	uint64_t max_signed;		/* ... of at most this ts */
	size_t defer_head, defer_tail;	/* its records waiting for it */
	int describe;			/* its member.add stamp may move */
};

/* A removal taken back to effective_from (see member_calc_run()). */
enum member_cut_state {
	MEMBER_CUT_ON = 0,	/* applied from the start of each pass */
	MEMBER_CUT_OFF,		/* not made again: set aside */
	MEMBER_CUT_LATE		/* undid its own removal: from after it */
};

#define MEMBER_CUT_RETURNS	2	/* times a cut set aside comes back */

struct member_cut {
	size_t key;
	uint64_t from;
	uint8_t reason;
	enum member_cut_state state;
	unsigned offs;			/* times set aside */
};

struct member_calc {
	struct member_key *keys;
	size_t nkeys;
	struct member_sig *sigs;	/* in (ts, target, value) order */
	size_t nsigs;
	uint8_t *group_seen;		/* per pass, one per group */
	size_t ngroups;
	size_t *queue;			/* nsigs + 1 */
	struct member_cut *cuts;
	size_t ncuts, cuts_cap;
	uint64_t passes;
	int has_founder_key;		/* while loading */
	uint8_t founder[RECORD_KEY_LEN];
	uint64_t charter_ts, admit_quorum, remove_quorum;
	/* For st->member_trial: the signers value added, about target. */
	uint8_t trial_target[RECORD_KEY_LEN], trial_sig[MEMBER_SIG_LEN];
};

/* Parse 64 lowercase hex digits; 0 or -1. */
static int
member_unhex(uint8_t out[RECORD_KEY_LEN], const char *hex)
{
	static const char digits[] = "0123456789abcdef";

	if (strlen(hex) != 2 * RECORD_KEY_LEN)
		return -1;
	for (size_t i = 0; i < RECORD_KEY_LEN; i++) {
		const char *hi = strchr(digits, hex[2 * i]);
		const char *lo = strchr(digits, hex[2 * i + 1]);

		if (hex[2 * i] == '\0' || hex[2 * i + 1] == '\0' ||
		    hi == NULL || lo == NULL)
			return -1;
		out[i] = (uint8_t)((hi - digits) << 4 | (lo - digits));
	}
	return 0;
}

static void
member_copy_str(char *out, size_t cap, const struct body_str *s)
{
	size_t n = s->len < cap - 1 ? s->len : cap - 1;

	memset(out, 0, cap);
	memcpy(out, s->s, n);
}

static uint8_t
member_reason_code(const struct body_str *s)
{
	if (s->len == 11 && memcmp(s->s, "compromised", 11) == 0)
		return MEMBER_REASON_COMPROMISED;
	return MEMBER_REASON_RETIRED;
}

/* The membership state: the first MEMBER_STATE_LEN bytes of a value. */
static void
member_pack_state(uint8_t v[MEMBER_STATE_LEN], const struct member_rec *r)
{
	v[0] = (uint8_t)r->m.state;
	v[1] = (uint8_t)r->flags;
	v[2] = r->reason;
	v[3] = (uint8_t)r->m.endpoints_count;
	v[4] = (uint8_t)(r->m.signers >> 24);
	v[5] = (uint8_t)(r->m.signers >> 16);
	v[6] = (uint8_t)(r->m.signers >> 8);
	v[7] = (uint8_t)r->m.signers;
	store_be64(v + 8, r->m.admitted_ts);
	store_be64(v + 16, r->m.removed_from);
}

static void
member_pack(uint8_t v[MEMBER_VAL_LEN], const struct member_rec *r)
{
	uint8_t *p = v + 136;

	memset(v, 0, MEMBER_VAL_LEN);
	member_pack_state(v, r);
	store_be64(v + 24, r->add_ts);
	memcpy(v + 32, r->add_id, RECORD_ID_LEN);
	store_be64(v + 64, r->info_ts);
	memcpy(v + 72, r->info_id, RECORD_ID_LEN);
	memcpy(v + 104, r->m.invited_by, RECORD_KEY_LEN);
	memcpy(p, r->m.name, BODY_NAME_MAX);
	p += BODY_NAME_MAX + 1;
	memcpy(p, r->m.region, BODY_NAME_MAX);
	p += BODY_NAME_MAX + 1;
	memcpy(p, r->m.contact, BODY_NAME_MAX);
	p += BODY_NAME_MAX + 1;
	for (int i = 0; i < MEMBER_ENDPOINTS_MAX; i++) {
		memcpy(p, r->m.endpoints[i], BODY_ENDPOINT_MAX);
		p += BODY_ENDPOINT_MAX + 1;
	}
	assert(p == v + MEMBER_VAL_LEN);
}

/* Unpack a members value; -1 if it is not one (then r is untouched). */
static int
member_unpack(struct member_rec *r, const uint8_t key[RECORD_KEY_LEN],
    const uint8_t *v, size_t len)
{
	const uint8_t *p = v + 136;
	struct member_rec t;

	if (len != MEMBER_VAL_LEN || v[0] < MEMBER_PENDING ||
	    v[0] > MEMBER_REMOVED || v[2] > MEMBER_REASON_COMPROMISED ||
	    v[3] > MEMBER_ENDPOINTS_MAX)
		return -1;
	memset(&t, 0, sizeof(t));
	memcpy(t.m.key, key, RECORD_KEY_LEN);
	t.m.state = (enum member_state)v[0];
	t.flags = v[1];
	t.reason = v[2];
	t.m.endpoints_count = v[3];
	t.m.signers = (uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 |
	    (uint32_t)v[6] << 8 | v[7];
	t.m.founder = (t.flags & MEMBER_F_FOUNDER) != 0;
	t.m.admitted_ts = store_get_be64(v + 8);
	t.m.removed_from = store_get_be64(v + 16);
	t.add_ts = store_get_be64(v + 24);
	memcpy(t.add_id, v + 32, RECORD_ID_LEN);
	t.info_ts = store_get_be64(v + 64);
	memcpy(t.info_id, v + 72, RECORD_ID_LEN);
	memcpy(t.m.invited_by, v + 104, RECORD_KEY_LEN);
	memcpy(t.m.name, p, BODY_NAME_MAX);
	p += BODY_NAME_MAX + 1;
	memcpy(t.m.region, p, BODY_NAME_MAX);
	p += BODY_NAME_MAX + 1;
	memcpy(t.m.contact, p, BODY_NAME_MAX);
	p += BODY_NAME_MAX + 1;
	for (int i = 0; i < MEMBER_ENDPOINTS_MAX; i++) {
		memcpy(t.m.endpoints[i], p, BODY_ENDPOINT_MAX);
		p += BODY_ENDPOINT_MAX + 1;
	}
	snprintf(t.m.reason, sizeof(t.m.reason), "%s",
	    t.m.state == MEMBER_REMOVED ? member_reasons[t.reason] : "");
	*r = t;
	return 0;
}

/* The founder of a store whose charter predates membership state. */
static void
member_founder_rec(struct store *st, struct member_rec *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->m.key, st->founder, RECORD_KEY_LEN);
	r->m.state = MEMBER_CURRENT;
	r->m.founder = 1;
	r->flags = MEMBER_F_ADMITTED | MEMBER_F_FOUNDER;
}

/*
 * Load the state of key into r.  A founder without a stored state yet is
 * current.  Returns 0, MDB_NOTFOUND or another LMDB code.
 */
static int
member_load(struct store *st, MDB_txn *txn, const uint8_t key[RECORD_KEY_LEN],
    struct member_rec *r)
{
	MDB_val k = { RECORD_KEY_LEN, (void *)key }, v;
	int mrc = mdb_get(txn, st->members, &k, &v);

	if (mrc == MDB_NOTFOUND && st->has_founder &&
	    memcmp(key, st->founder, RECORD_KEY_LEN) == 0) {
		member_founder_rec(st, r);
		return 0;
	}
	if (mrc != 0)
		return mrc;
	if (member_unpack(r, key, v.mv_data, v.mv_size) != 0)
		return MDB_CORRUPTED;
	return 0;
}

static int
member_save(struct store *st, MDB_txn *txn, const struct member_rec *r)
{
	uint8_t v[MEMBER_VAL_LEN];

	member_pack(v, r);
	return store_put(txn, st->members, r->m.key, RECORD_KEY_LEN, v,
	    sizeof(v), 0);
}

/* The first ts a key's records are no longer served from. */
static uint64_t
member_until(unsigned flags, enum member_state state, uint64_t removed_from)
{
	if (!(flags & MEMBER_F_ADMITTED))
		return 0;
	return state == MEMBER_REMOVED ? removed_from : UINT64_MAX;
}

/*
 * The charter: its body from r when r is it, else from the store.
 * Returns 0, MDB_NOTFOUND or another LMDB code.
 */
static int
member_charter(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct body_charter *c, uint64_t *ts)
{
	uint8_t charter_id[RECORD_ID_LEN];
	MDB_val k = { RECORD_ID_LEN, charter_id }, v;
	struct record_header ch;
	struct record rec;
	int mrc;

	if (strcmp(h->kind, "charter") == 0) {
		rec = *r;
		ch = *h;
	} else {
		if (store_meta_get(st, txn, "charter", charter_id,
		    sizeof(charter_id)) != 0)
			return MDB_NOTFOUND;
		if ((mrc = mdb_get(txn, st->records, &k, &v)) != 0)
			return mrc;
		if (record_decode(&rec, v.mv_data, v.mv_size, NULL) != 0 ||
		    record_header_decode(&ch, rec.header, rec.header_len,
		    NULL) != 0)
			return MDB_CORRUPTED;
	}
	if (rec.body == NULL ||
	    body_charter_decode(c, rec.body, rec.body_len, NULL) != 0)
		return MDB_CORRUPTED;
	*ts = ch.ts;
	return 0;
}

/* A member.add or member.remove by signer, as a signers value. */
static void
member_sig_pack(uint8_t v[MEMBER_SIG_LEN], uint8_t type, uint64_t ts,
    const uint8_t signer[RECORD_KEY_LEN], uint64_t effective_from,
    uint8_t reason)
{
	v[0] = type;
	store_be64(v + 1, ts);
	memcpy(v + 9, signer, RECORD_KEY_LEN);
	store_be64(v + 41, effective_from);
	v[49] = reason;
}

/* For bsearch() over keys: the key is the first member of the struct. */
static int
member_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RECORD_KEY_LEN);
}

static struct member_key *
member_find(const struct member_calc *c, const uint8_t key[RECORD_KEY_LEN])
{
	return bsearch(key, c->keys, c->nkeys, sizeof(c->keys[0]),
	    member_key_cmp);
}

static void
member_calc_free(struct member_calc *c)
{
	free(c->keys);
	free(c->sigs);
	free(c->group_seen);
	free(c->queue);
	free(c->cuts);
}

/* The index of key in the key table, inserted (in key order) if absent;
 * *cap is the table's room. */
static size_t
member_calc_key(struct member_calc *c, size_t *cap,
    const uint8_t key[RECORD_KEY_LEN])
{
	size_t pos = 0, hi = c->nkeys;

	/* The first key not below key (most often: none, at the end). */
	if (c->nkeys > 0 && memcmp(c->keys[c->nkeys - 1].key, key,
	    RECORD_KEY_LEN) < 0)
		pos = c->nkeys;
	while (pos < hi) {
		size_t mid = pos + (hi - pos) / 2;

		if (memcmp(c->keys[mid].key, key, RECORD_KEY_LEN) < 0)
			pos = mid + 1;
		else
			hi = mid;
	}
	if (pos < c->nkeys && memcmp(c->keys[pos].key, key,
	    RECORD_KEY_LEN) == 0)
		return pos;
	if (c->nkeys == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		c->keys = xrealloc(c->keys, *cap * sizeof(c->keys[0]));
	}
	if (pos < c->nkeys) {
		memmove(&c->keys[pos + 1], &c->keys[pos],
		    (c->nkeys - pos) * sizeof(c->keys[0]));
		for (size_t i = 0; i < c->nsigs; i++)
			if (c->sigs[i].target >= pos)
				c->sigs[i].target++;
	}
	memset(&c->keys[pos], 0, sizeof(c->keys[0]));
	memcpy(c->keys[pos].key, key, RECORD_KEY_LEN);
	c->nkeys++;
	return pos;
}

/* Append a signature about target to c (keys in key order). */
static void
member_calc_sig(struct member_calc *c, size_t *kcap, size_t *scap,
    const uint8_t target[RECORD_KEY_LEN], const uint8_t v[MEMBER_SIG_LEN])
{
	struct member_sig *s;
	size_t t;

	if (c->nkeys > 0 && memcmp(c->keys[c->nkeys - 1].key, target,
	    RECORD_KEY_LEN) == 0)
		t = c->nkeys - 1;
	else
		t = member_calc_key(c, kcap, target);
	/* Read in key order: the founder goes in as its place is passed,
	 * so that no target needs renumbering. */
	if (!c->has_founder_key && memcmp(c->founder, target,
	    RECORD_KEY_LEN) <= 0) {
		size_t f = member_calc_key(c, kcap, c->founder);

		c->keys[f].founder = 1;
		c->has_founder_key = 1;
		t = (size_t)(member_find(c, target) - c->keys);
	}
	if (c->nsigs == *scap) {
		*scap = *scap ? 2 * *scap : 16;
		c->sigs = xrealloc(c->sigs, *scap * sizeof(c->sigs[0]));
	}
	s = &c->sigs[c->nsigs++];
	memset(s, 0, sizeof(*s));
	s->target = t;
	s->type = v[0];
	s->ts = store_get_be64(v + 1);
	memcpy(s->signer, v + 9, RECORD_KEY_LEN);
	s->effective_from = store_get_be64(v + 41);
	s->reason = v[49];
}

/*
 * Read every signers value into c, and extra (about extra_target) if not
 * NULL: the set as it would be with one more record.  LMDB codes.
 */
static int
member_calc_load(struct store *st, MDB_txn *txn, struct member_calc *c,
    const uint8_t *extra_target, const uint8_t *extra)
{
	size_t kcap = 0, scap = 0, f;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, st->signers, &cur)) != 0)
		return mrc;
	mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (mrc == 0) {
		if (k.mv_size != RECORD_KEY_LEN ||
		    v.mv_size != MEMBER_SIG_LEN) {
			mrc = MDB_CORRUPTED;
			break;
		}
		member_calc_sig(c, &kcap, &scap, k.mv_data, v.mv_data);
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (mrc != MDB_NOTFOUND)
		return mrc;
	if (extra != NULL)
		member_calc_sig(c, &kcap, &scap, extra_target, extra);
	/* The founder is a key even when no record names it. */
	f = member_calc_key(c, &kcap, c->founder);
	c->keys[f].founder = 1;
	c->has_founder_key = 1;
	return 0;
}

/* The order records are judged in: ts, then target key, then the rest
 * of the signers value (type, signer, effective_from, reason). */
static int
member_sig_order(const void *a, const void *b)
{
	const struct member_sig *x = a, *y = b;
	int d;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if ((d = memcmp(x->signer, y->signer, RECORD_KEY_LEN)) != 0)
		return d;
	if (x->effective_from != y->effective_from)
		return x->effective_from < y->effective_from ? -1 : 1;
	return (int)x->reason - (int)y->reason;
}

/* A signature's (target, type, signer), to number distinct signers. */
struct member_group {
	size_t target, sig;
	uint8_t type;
	uint8_t signer[RECORD_KEY_LEN];
};

static int
member_group_cmp(const void *a, const void *b)
{
	const struct member_group *x = a, *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return memcmp(x->signer, y->signer, RECORD_KEY_LEN);
}

/* Sort the signatures and find their signers and groups. */
static void
member_calc_prepare(struct member_calc *c)
{
	struct member_group *g;

	if (c->nsigs > 1)
		qsort(c->sigs, c->nsigs, sizeof(c->sigs[0]),
		    member_sig_order);
	g = xmalloc((c->nsigs + 1) * sizeof(g[0]));
	for (size_t i = 0; i < c->nsigs; i++) {
		struct member_key *k = member_find(c, c->sigs[i].signer);

		c->sigs[i].signer_key = k == NULL ? MEMBER_NONE :
		    (size_t)(k - c->keys);
		g[i].target = c->sigs[i].target;
		g[i].type = c->sigs[i].type;
		memcpy(g[i].signer, c->sigs[i].signer, RECORD_KEY_LEN);
		g[i].sig = i;
	}
	if (c->nsigs > 1)
		qsort(g, c->nsigs, sizeof(g[0]), member_group_cmp);
	c->ngroups = 0;
	for (size_t i = 0; i < c->nsigs; i++) {
		if (i > 0 && member_group_cmp(&g[i - 1], &g[i]) != 0)
			c->ngroups++;
		c->sigs[g[i].sig].group = c->ngroups;
	}
	if (c->nsigs > 0)
		c->ngroups++;
	free(g);
	c->group_seen = xmalloc(c->ngroups + 1);
	c->queue = xmalloc((c->nsigs + 1) * sizeof(c->queue[0]));
}

static struct member_cut *
member_cut_find(struct member_calc *c, size_t key, uint64_t from)
{
	for (size_t i = 0; i < c->ncuts; i++)
		if (c->cuts[i].key == key && c->cuts[i].from == from)
			return &c->cuts[i];
	return NULL;
}

/*
 * A counted member.remove about t: t is removed once it removed itself or
 * remove_quorum distinct signers removed it, from the smallest
 * effective_from counted.  0, or 1 when the removal reaches back over a
 * record t signed that already counted and has no cut yet, or one set
 * aside that may come back: *cut is the cut to apply.
 */
static int
member_pass_remove(struct member_calc *c, struct member_key *t,
    const struct member_sig *s, struct member_cut *cut)
{
	uint64_t from;

	if (!t->self_removed && t->removers < c->remove_quorum)
		return 0;
	if (t->established && t->est_from == t->cand_from &&
	    t->est_reason == t->cand_reason)
		return 0;
	t->established = 1;
	t->est_from = from = t->cand_from;
	t->est_reason = t->cand_reason;
	if (t->removed && t->removed_from <= from) {
		/* A cut made it so already (or an earlier removal). */
		if (t->removed_from == from)
			t->reason = t->cand_reason;
		return 0;
	}
	if (t->has_signed && t->max_signed >= from) {
		struct member_cut *old = member_cut_find(c,
		    (size_t)(t - c->keys), from);

		if (old == NULL || (old->state == MEMBER_CUT_OFF &&
		    old->offs < MEMBER_CUT_RETURNS)) {
			cut->key = (size_t)(t - c->keys);
			cut->from = from;
			cut->reason = t->cand_reason;
			cut->state = MEMBER_CUT_ON;
			cut->offs = old == NULL ? 0 : old->offs;
			return 1;
		}
		/* A cut that undid its own removal (or came back too often):
		 * from after this record, which voids nothing that counted
		 * before it. */
		old->state = MEMBER_CUT_LATE;
		from = s->ts + 1;
		if (t->removed && t->removed_from <= from)
			return 0;
	}
	t->removed = 1;
	t->removed_from = from;
	t->reason = t->cand_reason;
	return 0;
}

/*
 * Judge signature i and those it lets through (records of a key that
 * waited for its admission).  0, or 1 with a new cut in *cut.
 */
static int
member_pass_judge(struct member_calc *c, size_t i, struct member_cut *cut)
{
	size_t head = 0, tail = 0;

	c->queue[tail++] = i;
	while (head < tail) {
		size_t j = c->queue[head++];
		struct member_sig *s = &c->sigs[j];
		struct member_key *sk, *t = &c->keys[s->target];
		int self, first;

		if (s->signer_key == MEMBER_NONE)
			continue;	/* never admitted */
		sk = &c->keys[s->signer_key];
		if (!sk->founder && !sk->admitted) {
			/* Judged when (if) its signer is admitted. */
			s->next = MEMBER_NONE;
			if (sk->defer_head == MEMBER_NONE)
				sk->defer_head = j;
			else
				c->sigs[sk->defer_tail].next = j;
			sk->defer_tail = j;
			continue;
		}
		self = s->type == MEMBER_REMOVE && s->signer_key == s->target;
		if (!self && sk->removed && s->ts >= sk->removed_from)
			continue;
		/* It counts. */
		t->named = 1;
		if (!self) {
			if (!sk->has_signed || s->ts > sk->max_signed)
				sk->max_signed = s->ts;
			sk->has_signed = 1;
		}
		first = !c->group_seen[s->group];
		c->group_seen[s->group] = 1;
		if (s->type == MEMBER_ADD) {
			if (first)
				t->signers++;
			if (t->founder || t->admitted ||
			    t->signers < c->admit_quorum)
				continue;
			t->admitted = 1;
			t->admitted_ts = s->ts;
			for (size_t d = t->defer_head; d != MEMBER_NONE;
			    d = c->sigs[d].next)
				c->queue[tail++] = d;
			t->defer_head = t->defer_tail = MEMBER_NONE;
			continue;
		}
		if (s->type != MEMBER_REMOVE)
			continue;
		if (first)
			t->removers++;
		t->self_removed |= self;
		if (s->effective_from < t->cand_from ||
		    (s->effective_from == t->cand_from &&
		    s->reason > t->cand_reason)) {
			t->cand_from = s->effective_from;
			t->cand_reason = s->reason;
		}
		if (member_pass_remove(c, t, s, cut))
			return 1;
	}
	return 0;
}

/* One pass over the records in order, the cuts not dropped applied from
 * the start.  0, or 1 when it stopped on a new cut (*cut). */
static int
member_pass(struct member_calc *c, struct member_cut *cut)
{
	for (size_t i = 0; i < c->nkeys; i++) {
		struct member_key *k = &c->keys[i];
		uint8_t key[RECORD_KEY_LEN];
		int founder = k->founder;

		memcpy(key, k->key, RECORD_KEY_LEN);
		memset(k, 0, sizeof(*k));
		memcpy(k->key, key, RECORD_KEY_LEN);
		k->founder = founder;
		k->named = founder;
		k->cand_from = UINT64_MAX;
		k->defer_head = k->defer_tail = MEMBER_NONE;
	}
	for (size_t i = 0; i < c->ncuts; i++) {
		struct member_key *k = &c->keys[c->cuts[i].key];

		if (c->cuts[i].state != MEMBER_CUT_ON ||
		    (k->removed && k->removed_from <= c->cuts[i].from))
			continue;
		k->removed = 1;
		k->removed_from = c->cuts[i].from;
		k->reason = c->cuts[i].reason;
	}
	memset(c->group_seen, 0, c->ngroups + 1);
	c->passes++;
	for (size_t i = 0; i < c->nsigs; i++)
		if (member_pass_judge(c, i, cut))
			return 1;
	return 0;
}

/* Whether cut i is on and the last pass did not make it again. */
static int
member_cut_unmade(const struct member_calc *c, size_t i)
{
	const struct member_key *k = &c->keys[c->cuts[i].key];

	return c->cuts[i].state == MEMBER_CUT_ON &&
	    !(k->established && k->est_from <= c->cuts[i].from);
}

/*
 * Membership from the signatures alone (docs/protocol.md section 12).
 * Passes over the records in order until one ends with every cut it
 * applied made again by the records that count in it.  A pass stops on a
 * removal that reaches back over a record its key signed that counted:
 * a cut, which the next passes apply from the start, so that what that
 * record made is undone.  When the pass right after a cut was added does
 * not make it again, the cut undid its own removal: it becomes late, and
 * when made again it takes effect from just after the record that made
 * it.  Other cuts not made again (a later cut voided their signers) are
 * set aside, and come back if made again, at most MEMBER_CUT_RETURNS
 * times (then they are late).  Each pass adds a cut, brings one back or
 * changes the state of one, and a cut goes through a bounded number of
 * states, so the passes are at most about 2 * (MEMBER_CUT_RETURNS + 1)
 * times the distinct (key, effective_from) pairs of the removals.
 */
static void
member_calc_run(struct member_calc *c)
{
	size_t last = MEMBER_NONE;

	member_calc_prepare(c);
	for (;;) {
		struct member_cut cut, *old;
		int unmade = 0;

		if (member_pass(c, &cut)) {
			old = member_cut_find(c, cut.key, cut.from);
			if (old == NULL) {
				if (c->ncuts == c->cuts_cap) {
					c->cuts_cap = c->cuts_cap ?
					    2 * c->cuts_cap : 8;
					c->cuts = xrealloc(c->cuts,
					    c->cuts_cap * sizeof(c->cuts[0]));
				}
				old = &c->cuts[c->ncuts++];
			}
			*old = cut;
			last = (size_t)(old - c->cuts);
			continue;
		}
		for (size_t i = 0; i < c->ncuts; i++)
			unmade |= member_cut_unmade(c, i);
		if (!unmade)
			break;
		if (last != MEMBER_NONE && member_cut_unmade(c, last)) {
			c->cuts[last].state = MEMBER_CUT_LATE;
		} else {
			for (size_t i = 0; i < c->ncuts; i++) {
				if (!member_cut_unmade(c, i))
					continue;
				c->cuts[i].state = MEMBER_CUT_OFF;
				c->cuts[i].offs++;
			}
		}
		last = MEMBER_NONE;
	}
}

/* 1 when the stored record at id is author's member.remove of itself. */
static int
member_is_self_remove(struct store *st, MDB_txn *txn,
    const uint8_t author[RECORD_KEY_LEN], const uint8_t *id)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	uint8_t target[RECORD_KEY_LEN];
	struct record_header h;
	struct record r;

	return mdb_get(txn, st->records, &k, &v) == 0 &&
	    record_decode(&r, v.mv_data, v.mv_size, NULL) == 0 &&
	    record_header_decode(&h, r.header, r.header_len, NULL) == 0 &&
	    strcmp(h.kind, "member.remove") == 0 &&
	    member_unhex(target, h.key) == 0 &&
	    memcmp(target, author, RECORD_KEY_LEN) == 0;
}

/* Record id was just shown or hidden (its window moved): index its
 * article again if it is a kb revision; if it is a member.add, its target's
 * description may come from another one.  LMDB codes. */
static int
member_reindex(struct store *st, MDB_txn *txn, struct member_calc *c,
    const uint8_t *id)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	uint8_t target[RECORD_KEY_LEN];
	struct record_header h;
	struct member_key *t;
	struct record r;
	int mrc;

	if ((mrc = mdb_get(txn, st->records, &k, &v)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	if (record_decode(&r, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_header_decode(&h, r.header, r.header_len, NULL) != 0)
		return 0;
	if (strcmp(h.kind, "member.add") == 0) {
		if (member_unhex(target, h.key) == 0 &&
		    (t = member_find(c, target)) != NULL)
			t->describe = 1;
		return 0;
	}
	if (strcmp(h.kind, "kb") != 0)
		return 0;
	return search_article_changed(st, txn, h.key);
}

/*
 * Records by key with ts in [lo, hi) may have crossed its window, now
 * [0, new_until) (and its own member.remove, while admitted): add to or
 * take out of the item set those that did.
 */
static int
member_reconcile(struct store *st, MDB_txn *txn, struct member_calc *c,
    const uint8_t key[RECORD_KEY_LEN], uint64_t lo, uint64_t hi,
    uint64_t new_until, int admitted)
{
	uint8_t start[STORE_TSID_LEN];
	MDB_val k = { RECORD_KEY_LEN, (void *)key }, v;
	MDB_cursor *cur;
	int mrc, mrc2 = 0;

	memset(start, 0, sizeof(start));
	store_be64(start, lo);
	v.mv_size = sizeof(start);
	v.mv_data = start;
	if ((mrc = mdb_cursor_open(txn, st->byauthor, &cur)) != 0)
		return mrc;
	mrc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
	while (mrc == 0 && v.mv_size == STORE_TSID_LEN) {
		uint8_t tsid[STORE_TSID_LEN];
		MDB_val ik = { STORE_TSID_LEN, tsid }, iv;
		uint64_t ts;
		int want, have;

		memcpy(tsid, v.mv_data, STORE_TSID_LEN);
		ts = store_get_be64(tsid);
		if (ts >= hi && hi != UINT64_MAX)
			break;
		want = ts < new_until || (admitted &&
		    member_is_self_remove(st, txn, key, tsid + 8));
		mrc2 = mdb_get(txn, st->items, &ik, &iv);
		if (mrc2 != 0 && mrc2 != MDB_NOTFOUND)
			break;
		have = mrc2 == 0;
		mrc2 = 0;
		if (want && !have)
			mrc2 = itemset_add(st, txn, ts, tsid + 8);
		else if (!want && have)
			mrc2 = itemset_del(st, txn, ts, tsid + 8);
		/* An article revision shown or hidden may change what its
		 * article shows, and so what search finds. */
		if (mrc2 == 0 && want != have)
			mrc2 = member_reindex(st, txn, c, tsid + 8);
		if (mrc2 != 0)
			break;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
	}
	mdb_cursor_close(cur);
	if (mrc2 != 0)
		return mrc2;
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* The membership state computed for key k (no description); 0 when no
 * record that counts names k and it is not the founder: k has no state. */
static int
member_calc_rec(struct member_calc *c, const struct member_key *k,
    struct member_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (!k->named)
		return 0;
	r->flags = (k->founder ? MEMBER_F_FOUNDER : 0) |
	    (k->founder || k->admitted ? MEMBER_F_ADMITTED : 0);
	r->m.state = k->removed ? MEMBER_REMOVED :
	    (r->flags & MEMBER_F_ADMITTED) ? MEMBER_CURRENT : MEMBER_PENDING;
	r->m.signers = k->signers;
	r->m.admitted_ts = k->founder ? c->charter_ts :
	    k->admitted ? k->admitted_ts : 0;
	r->m.removed_from = k->removed ? k->removed_from : 0;
	r->reason = k->removed ? k->reason : MEMBER_REASON_NONE;
	return 1;
}

/* Write the state computed for key k (or delete the one of a key no
 * record that counts names), moving its window if it changed. */
static int
member_calc_save(struct store *st, MDB_txn *txn, struct member_calc *c,
    struct member_key *k)
{
	MDB_val key = { RECORD_KEY_LEN, (void *)k->key }, v;
	uint8_t packed[MEMBER_STATE_LEN];
	struct member_rec r, old;
	uint64_t old_until, new_until, lo, hi;
	int mrc, found, named, old_admitted, new_admitted;

	named = member_calc_rec(c, k, &r);

	/* Most keys did not change: compare the packed state without
	 * unpacking the description. */
	mrc = mdb_get(txn, st->members, &key, &v);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	found = mrc == 0;
	if (!found && !named)
		return 0;
	if (found && named && v.mv_size == MEMBER_VAL_LEN) {
		const uint8_t *ov = v.mv_data;

		r.flags |= ov[1] & (MEMBER_F_ADD | MEMBER_F_INFO);
		r.m.endpoints_count = ov[3];
		member_pack_state(packed, &r);
		if (memcmp(packed, ov, MEMBER_STATE_LEN) == 0)
			return 0;
	}
	mrc = member_load(st, txn, k->key, &old);
	if (mrc == MDB_NOTFOUND) {
		memset(&old, 0, sizeof(old));
		memcpy(old.m.key, k->key, RECORD_KEY_LEN);
	} else if (mrc != 0) {
		return mrc;
	}
	old_until = mrc == MDB_NOTFOUND ? 0 :
	    member_until(old.flags, old.m.state, old.m.removed_from);
	old_admitted = mrc == 0 && (old.flags & MEMBER_F_ADMITTED);
	if (!named) {
		new_until = 0;
		new_admitted = 0;
		if ((mrc = mdb_del(txn, st->members, &key, NULL)) != 0)
			return mrc;
	} else {
		/* Keep the description; take the membership state. */
		old.flags = r.flags |
		    (old.flags & (MEMBER_F_ADD | MEMBER_F_INFO));
		old.m.founder = k->founder;
		old.m.state = r.m.state;
		old.m.signers = r.m.signers;
		old.m.admitted_ts = r.m.admitted_ts;
		old.m.removed_from = r.m.removed_from;
		old.reason = r.reason;
		new_until = member_until(old.flags, old.m.state,
		    old.m.removed_from);
		new_admitted = (old.flags & MEMBER_F_ADMITTED) != 0;
		if ((mrc = member_save(st, txn, &old)) != 0)
			return mrc;
		if (!found)
			k->describe = 1;
	}
	if (old_admitted != new_admitted) {
		/* Its own member.remove goes with its admission. */
		lo = 0;
		hi = UINT64_MAX;
	} else if (old_until != new_until) {
		lo = old_until < new_until ? old_until : new_until;
		hi = old_until < new_until ? new_until : old_until;
	} else {
		return 0;
	}
	return member_reconcile(st, txn, c, k->key, lo, hi, new_until,
	    new_admitted);
}

/*
 * Take invited_by, and the description if no node.info gave one, from
 * the earliest served member.add about key (ts, then lowest id), which is
 * the earliest that counts.  LMDB codes.
 */
static int
member_describe_add(struct store *st, MDB_txn *txn,
    const uint8_t key[RECORD_KEY_LEN])
{
	uint8_t ok[sizeof("member.add") + 2 * RECORD_KEY_LEN];
	uint8_t tsid[STORE_TSID_LEN];
	struct body_member_add a;
	struct record_header h;
	struct member_rec r;
	struct record rec;
	MDB_cursor *cur;
	MDB_val k = { sizeof(ok), ok }, v;
	int mrc, found = 0;

	if ((mrc = member_load(st, txn, key, &r)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	memcpy(ok, "member.add", sizeof("member.add"));
	{
		char hex[2 * RECORD_KEY_LEN + 1];

		record_id_hex(hex, key);
		memcpy(ok + sizeof("member.add"), hex, 2 * RECORD_KEY_LEN);
	}
	if ((mrc = mdb_cursor_open(txn, st->revs, &cur)) != 0)
		return mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); mrc == 0;
	    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		MDB_val ik, iv;

		if (v.mv_size != STORE_TSID_LEN)
			continue;
		ik = v;
		if ((mrc = mdb_get(txn, st->items, &ik, &iv)) == 0) {
			memcpy(tsid, v.mv_data, STORE_TSID_LEN);
			found = 1;
			break;
		}
		if (mrc != MDB_NOTFOUND)
			break;
	}
	mdb_cursor_close(cur);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	if (!found) {
		if (!(r.flags & MEMBER_F_ADD))
			return 0;
		r.flags &= ~MEMBER_F_ADD;
		r.add_ts = 0;
		memset(r.add_id, 0, sizeof(r.add_id));
		memset(r.m.invited_by, 0, sizeof(r.m.invited_by));
		if (!(r.flags & MEMBER_F_INFO)) {
			memset(r.m.name, 0, sizeof(r.m.name));
			memset(r.m.region, 0, sizeof(r.m.region));
			memset(r.m.contact, 0, sizeof(r.m.contact));
			memset(r.m.endpoints, 0, sizeof(r.m.endpoints));
			r.m.endpoints_count = 0;
		}
		return member_save(st, txn, &r);
	}
	if ((r.flags & MEMBER_F_ADD) && r.add_ts == store_get_be64(tsid) &&
	    memcmp(r.add_id, tsid + 8, RECORD_ID_LEN) == 0)
		return 0;
	k.mv_size = RECORD_ID_LEN;
	k.mv_data = tsid + 8;
	if ((mrc = mdb_get(txn, st->records, &k, &v)) != 0)
		return mrc;
	if (record_decode(&rec, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_header_decode(&h, rec.header, rec.header_len, NULL) != 0 ||
	    rec.body == NULL ||
	    body_member_add_decode(&a, rec.body, rec.body_len, NULL) != 0)
		return MDB_CORRUPTED;
	r.flags |= MEMBER_F_ADD;
	r.add_ts = h.ts;
	memcpy(r.add_id, tsid + 8, RECORD_ID_LEN);
	memcpy(r.m.invited_by, a.invited_by, RECORD_KEY_LEN);
	if (!(r.flags & MEMBER_F_INFO)) {
		member_copy_str(r.m.name, sizeof(r.m.name), &a.name);
		member_copy_str(r.m.region, sizeof(r.m.region), &a.region);
		member_copy_str(r.m.contact, sizeof(r.m.contact), &a.contact);
		memset(r.m.endpoints, 0, sizeof(r.m.endpoints));
		r.m.endpoints_count = a.endpoint.len > 0;
		member_copy_str(r.m.endpoints[0], sizeof(r.m.endpoints[0]),
		    &a.endpoint);
	}
	return member_save(st, txn, &r);
}

/* The charter's founder and quorums into a fresh c.  LMDB codes,
 * MDB_NOTFOUND without a charter. */
static int
member_calc_init(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct member_calc *c)
{
	struct body_charter ch;
	int mrc;

	memset(c, 0, sizeof(*c));
	if ((mrc = member_charter(st, txn, r, h, &ch, &c->charter_ts)) != 0)
		return mrc;
	memcpy(c->founder, ch.founder, RECORD_KEY_LEN);
	c->admit_quorum = ch.admit_quorum;
	c->remove_quorum = ch.remove_quorum;
	return 0;
}

/* Write the membership computed in c: states, windows, then the
 * member.add stamps of the keys marked (or of all).  LMDB codes. */
static int
member_calc_store(struct store *st, MDB_txn *txn, struct member_calc *c,
    int describe_all)
{
	int mrc = 0;

	for (size_t i = 0; i < c->nkeys && mrc == 0; i++)
		mrc = member_calc_save(st, txn, c, &c->keys[i]);
	/* After every window moved: which adds are served. */
	for (size_t i = 0; i < c->nkeys && mrc == 0; i++)
		if (describe_all || c->keys[i].describe)
			mrc = member_describe_add(st, txn, c->keys[i].key);
	return mrc;
}

/* Recompute every key's membership from the signers database. */
static int
member_recompute(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h)
{
	struct member_calc c;
	int mrc;

	if ((mrc = member_calc_init(st, txn, r, h, &c)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	if ((mrc = member_calc_load(st, txn, &c, NULL, NULL)) == 0) {
		member_calc_run(&c);
		mrc = member_calc_store(st, txn, &c, 1);
	}
	member_calc_free(&c);
	return mrc;
}

/* (ts, id) orders before (ts2, id2): earlier, then lower id. */
static int
member_before(uint64_t ts, const uint8_t *id, uint64_t ts2,
    const uint8_t *id2)
{
	return ts < ts2 || (ts == ts2 && memcmp(id, id2, RECORD_ID_LEN) < 0);
}

/* Take the description from the latest node.info of its author. */
static int
member_describe_info(struct store *st, MDB_txn *txn,
    const uint8_t author[RECORD_KEY_LEN], const struct body_node_info *n,
    uint64_t ts, const uint8_t id[RECORD_ID_LEN])
{
	struct member_rec r;
	int mrc;

	if ((mrc = member_load(st, txn, author, &r)) != 0)
		return mrc;
	if ((r.flags & MEMBER_F_INFO) &&
	    !member_before(r.info_ts, r.info_id, ts, id))
		return 0;
	r.flags |= MEMBER_F_INFO;
	r.info_ts = ts;
	memcpy(r.info_id, id, RECORD_ID_LEN);
	member_copy_str(r.m.name, sizeof(r.m.name), &n->name);
	member_copy_str(r.m.region, sizeof(r.m.region), &n->region);
	member_copy_str(r.m.contact, sizeof(r.m.contact), &n->contact);
	memset(r.m.endpoints, 0, sizeof(r.m.endpoints));
	r.m.endpoints_count = n->endpoints_count;
	for (uint32_t i = 0; i < n->endpoints_count; i++)
		member_copy_str(r.m.endpoints[i], sizeof(r.m.endpoints[i]),
		    &n->endpoints[i]);
	return member_save(st, txn, &r);
}

/* The member.add (type MEMBER_ADD) or member.remove records stored, all
 * and by signer, into *all and *mine.  LMDB codes. */
static int
member_sig_counts(MDB_txn *txn, MDB_dbi signers, uint8_t type,
    const uint8_t signer[RECORD_KEY_LEN], size_t *all, size_t *mine)
{
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	*all = *mine = 0;
	if ((mrc = mdb_cursor_open(txn, signers, &c)) != 0)
		return mrc;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	    mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *d = v.mv_data;

		if (v.mv_size != MEMBER_SIG_LEN || d[0] != type)
			continue;
		(*all)++;
		if (memcmp(d + 9, signer, RECORD_KEY_LEN) == 0)
			(*mine)++;
	}
	mdb_cursor_close(c);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/*
 * Whether the member.add or member.remove of header h about target
 * (signers value v) would count once stored: membership recomputed with
 * it, its author admitted and h->ts inside its window (or its own
 * removal).  *a gets the author's state then.  LMDB codes.
 */
static int
member_trial(struct store *st, MDB_txn *txn, const struct record_header *h,
    const uint8_t target[RECORD_KEY_LEN], const uint8_t v[MEMBER_SIG_LEN],
    int *counts, struct member_key *a)
{
	struct member_calc *c;
	struct member_key *k;
	int mrc, self;

	*counts = 0;
	memset(a, 0, sizeof(*a));
	member_trial_free(st);
	c = xmalloc(sizeof(*c));
	if ((mrc = member_calc_init(st, txn, NULL, h, c)) != 0) {
		free(c);
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	}
	self = v[0] == MEMBER_REMOVE &&
	    memcmp(target, h->author, RECORD_KEY_LEN) == 0;
	if ((mrc = member_calc_load(st, txn, c, target, v)) == 0) {
		member_calc_run(c);
		if ((k = member_find(c, h->author)) != NULL) {
			*a = *k;
			*counts = (k->founder || k->admitted) && (self ||
			    !k->removed || h->ts < k->removed_from);
		}
	}
	if (mrc == 0 && *counts) {
		/* The same set member_apply() computes, if this record is
		 * stored next: kept for it. */
		memcpy(c->trial_target, target, RECORD_KEY_LEN);
		memcpy(c->trial_sig, v, MEMBER_SIG_LEN);
		st->member_trial = c;
		return 0;
	}
	member_calc_free(c);
	free(c);
	return mrc;
}

void
member_trial_free(struct store *st)
{
	if (st->member_trial == NULL)
		return;
	member_calc_free(st->member_trial);
	free(st->member_trial);
	st->member_trial = NULL;
}

/* The rules of member.add, member.remove and node.info themselves. */
static int
member_check_kind(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, const uint8_t target[RECORD_KEY_LEN],
    struct errbuf *eb)
{
	struct body_member_remove mr;
	struct body_member_add ma;
	struct body_node_info ni;
	uint8_t v[MEMBER_SIG_LEN];
	struct member_key a;
	size_t all, mine;
	int mrc, is_add, counts;

	if (h->flags & RECORD_FLAG_ENCRYPTED)
		return fail(eb, AMIE_EREFUSED,
		    "%s: membership records are public, body is encrypted",
		    h->kind);
	if (r->body == NULL)
		return fail(eb, AMIE_EREFUSED,
		    "%s: membership records keep their body", h->kind);
	if (strcmp(h->kind, "node.info") == 0) {
		if (h->key[0] != '\0')
			return fail(eb, AMIE_EREFUSED,
			    "node.info: key must be empty");
		if (body_node_info_decode(&ni, r->body, r->body_len, eb) != 0)
			return fail_prefix(eb, "node.info");
		return 0;
	}
	if (target == NULL)
		return fail(eb, AMIE_EREFUSED,
		    "%s: key must be the member's public key in 64 lowercase "
		    "hex digits", h->kind);
	is_add = strcmp(h->kind, "member.add") == 0;
	if ((mrc = member_sig_counts(txn, st->signers,
	    is_add ? MEMBER_ADD : MEMBER_REMOVE, h->author, &all,
	    &mine)) != 0)
		return store_fail(eb, mrc, "membership");
	/* Refused, not malformed: which records are past a budget depends
	 * on what came first, so the peer that relays one may be honest
	 * (AMIE_ELIMIT would drop its link with a penalty). */
	if (all >= (size_t)(is_add ? MEMBER_ADDS_MAX : MEMBER_REMOVES_MAX))
		return fail(eb, AMIE_EREFUSED, "%s: %zu stored, limit %d",
		    h->kind, all, is_add ? MEMBER_ADDS_MAX :
		    MEMBER_REMOVES_MAX);
	if (mine >= MEMBER_SIGNER_QUOTA)
		return fail(eb, AMIE_EREFUSED, "%s: %zu stored by its author, "
		    "limit %d", h->kind, mine, MEMBER_SIGNER_QUOTA);
	if (is_add) {
		if (body_member_add_decode(&ma, r->body, r->body_len, eb) != 0)
			return fail_prefix(eb, "member.add");
		member_sig_pack(v, MEMBER_ADD, h->ts, h->author, 0,
		    MEMBER_REASON_NONE);
	} else {
		/* Whatever key it names: whether a key has a state depends
		 * on which member.add records about it count, so refusing a
		 * removal of a key without one would depend on the order. */
		if (body_member_remove_decode(&mr, r->body, r->body_len,
		    eb) != 0)
			return fail_prefix(eb, "member.remove");
		member_sig_pack(v, MEMBER_REMOVE, h->ts, h->author,
		    mr.effective_from, member_reason_code(&mr.reason));
	}
	/* Whether it counts depends on the records before it, and may on
	 * itself (a removal reaching back over what admitted its author):
	 * it is kept only if, stored, it counts. */
	if ((mrc = member_trial(st, txn, h, target, v, &counts, &a)) != 0)
		return store_fail(eb, mrc, "membership");
	if (counts)
		return 0;
	if (!a.founder && !a.admitted)
		return fail(eb, AMIE_EREFUSED,
		    "author: not a member of this federation");
	return fail(eb, AMIE_EREFUSED,
	    "author: removed from the federation (%s) since %llu",
	    member_reasons[a.reason], (unsigned long long)a.removed_from);
}

int
member_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct errbuf *eb)
{
	uint8_t target[RECORD_KEY_LEN];
	int is_member_kind, has_target, self_remove, mrc;
	struct member_rec a;

	is_member_kind = strcmp(h->kind, "member.add") == 0 ||
	    strcmp(h->kind, "member.remove") == 0;
	has_target = is_member_kind && member_unhex(target, h->key) == 0;
	self_remove = has_target && strcmp(h->kind, "member.remove") == 0 &&
	    memcmp(target, h->author, RECORD_KEY_LEN) == 0;

	mrc = member_load(st, txn, h->author, &a);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return store_fail(eb, mrc, "membership");
	if (mrc == MDB_NOTFOUND || !(a.flags & MEMBER_F_ADMITTED))
		return fail(eb, AMIE_EREFUSED,
		    "author: not a member of this federation");
	if (a.m.state == MEMBER_REMOVED && h->ts >= a.m.removed_from &&
	    !self_remove)
		return fail(eb, AMIE_EREFUSED,
		    "author: removed from the federation (%s) since %llu",
		    member_reasons[a.reason],
		    (unsigned long long)a.m.removed_from);
	if (!is_member_kind && strcmp(h->kind, "node.info") != 0)
		return 0;
	return member_check_kind(st, txn, r, h, has_target ? target : NULL,
	    eb);
}

int
member_apply(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, const uint8_t id[RECORD_ID_LEN])
{
	uint8_t target[RECORD_KEY_LEN], v[MEMBER_SIG_LEN];
	struct body_member_remove mr;
	struct body_member_add ma;
	struct body_node_info ni;
	struct member_calc *c;
	MDB_val k, d;
	int mrc, is_add;

	if (strcmp(h->kind, "charter") == 0)
		return member_recompute(st, txn, r, h);
	/* member_check() passed: the bodies below decode. */
	if (strcmp(h->kind, "node.info") == 0) {
		assert(r->body != NULL);
		if (body_node_info_decode(&ni, r->body, r->body_len, NULL) != 0)
			abort();
		/* A founder whose charter predates membership state. */
		k.mv_size = RECORD_KEY_LEN;
		k.mv_data = (void *)h->author;
		if ((mrc = mdb_get(txn, st->members, &k, &d)) == MDB_NOTFOUND)
			mrc = member_recompute(st, txn, r, h);
		if (mrc != 0)
			return mrc;
		return member_describe_info(st, txn, h->author, &ni, h->ts, id);
	}
	is_add = strcmp(h->kind, "member.add") == 0;
	if (!is_add && strcmp(h->kind, "member.remove") != 0)
		return 0;
	assert(r->body != NULL);
	if (member_unhex(target, h->key) != 0)
		abort();
	if (is_add) {
		if (body_member_add_decode(&ma, r->body, r->body_len,
		    NULL) != 0)
			abort();
		member_sig_pack(v, MEMBER_ADD, h->ts, h->author, 0,
		    MEMBER_REASON_NONE);
	} else {
		if (body_member_remove_decode(&mr, r->body, r->body_len,
		    NULL) != 0)
			abort();
		member_sig_pack(v, MEMBER_REMOVE, h->ts, h->author,
		    mr.effective_from, member_reason_code(&mr.reason));
	}
	mrc = store_put(txn, st->signers, target, RECORD_KEY_LEN, v, sizeof(v),
	    MDB_NODUPDATA);
	if (mrc != 0 && mrc != MDB_KEYEXIST)
		return mrc;
	/* member_check() of this very record computed membership with it:
	 * the signers database now holds that set. */
	if ((c = st->member_trial) != NULL &&
	    memcmp(c->trial_target, target, RECORD_KEY_LEN) == 0 &&
	    memcmp(c->trial_sig, v, MEMBER_SIG_LEN) == 0) {
		struct member_key *t = member_find(c, target);

		if (t != NULL && is_add)
			t->describe = 1;
		st->member_trial = NULL;
		mrc = member_calc_store(st, txn, c, 0);
		member_calc_free(c);
		free(c);
		return mrc;
	}
	return member_recompute(st, txn, r, h);
}

int
member_is_current(struct store *st, const uint8_t key[RECORD_KEY_LEN])
{
	struct member_rec r;
	MDB_txn *txn;
	int current;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	current = member_load(st, txn, key, &r) == 0 &&
	    r.m.state == MEMBER_CURRENT;
	mdb_txn_abort(txn);
	return current;
}

int
member_get(struct store *st, const uint8_t key[RECORD_KEY_LEN],
    struct member_info *out, struct errbuf *eb)
{
	struct member_rec r;
	MDB_txn *txn;
	int mrc;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "member");
	mrc = member_load(st, txn, key, &r);
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return fail(eb, AMIE_ENOTFOUND,
		    "member: no member or proposed member with that key");
	if (mrc != 0)
		return store_fail(eb, mrc, "member");
	*out = r.m;
	return 0;
}

int
member_list(struct store *st, member_fn fn, void *ctx, struct errbuf *eb)
{
	return member_list_after(st, NULL, fn, ctx, eb);
}

int
member_list_after(struct store *st, const uint8_t *after, member_fn fn,
    void *ctx, struct errbuf *eb)
{
	struct member_rec r;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int mrc, rc = 0, listed = 0;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "members");
	if ((mrc = mdb_cursor_open(txn, st->members, &cur)) != 0) {
		mdb_txn_abort(txn);
		return store_fail(eb, mrc, "members");
	}
	if (after == NULL) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	} else {
		k.mv_data = (void *)after;
		k.mv_size = RECORD_KEY_LEN;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (mrc == 0 && k.mv_size == RECORD_KEY_LEN &&
		    memcmp(k.mv_data, after, RECORD_KEY_LEN) == 0)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		listed = 1;	/* not the first page */
	}
	while (mrc == 0 && rc == 0) {
		if (k.mv_size != RECORD_KEY_LEN ||
		    member_unpack(&r, k.mv_data, v.mv_data, v.mv_size) != 0) {
			mrc = MDB_CORRUPTED;
			break;
		}
		listed = 1;
		rc = fn(ctx, &r.m);
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0)
		return rc;
	if (mrc != MDB_NOTFOUND)
		return store_fail(eb, mrc, "members");
	/* A charter stored before membership state existed. */
	if (!listed && st->has_founder) {
		member_founder_rec(st, &r);
		return fn(ctx, &r.m);
	}
	return 0;
}

uint64_t
member_count(struct store *st)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t n = 0, entries = 0;
	int mrc;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_cursor_open(txn, st->members, &cur) == 0) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		while (mrc == 0) {
			entries++;
			if (v.mv_size == MEMBER_VAL_LEN &&
			    ((const uint8_t *)v.mv_data)[0] == MEMBER_CURRENT)
				n++;
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	if (entries == 0 && st->has_founder)
		n = 1;
	return n;
}

/* Append the served (ts, id) of every revision of kind to *list. */
static int
member_collect(struct store *st, MDB_txn *txn, const char *kind,
    uint8_t (**list)[STORE_TSID_LEN], size_t *n, size_t *cap)
{
	size_t plen = strlen(kind) + 1;
	MDB_cursor *cur;
	MDB_val k = { plen, (void *)kind }, v;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, st->revs, &cur)) != 0)
		return mrc;
	mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (mrc == 0 && k.mv_size >= plen &&
	    memcmp(k.mv_data, kind, plen) == 0) {
		MDB_val ik = v, iv;

		if (v.mv_size == STORE_TSID_LEN &&
		    mdb_get(txn, st->items, &ik, &iv) == 0) {
			if (*n == MEMBER_RECORDS_MAX) {
				mrc = MDB_MAP_FULL;
				break;
			}
			if (*n == *cap) {
				*cap = *cap ? 2 * *cap : 64;
				*list = xrealloc(*list, *cap * sizeof(**list));
			}
			memcpy((*list)[(*n)++], v.mv_data, STORE_TSID_LEN);
		}
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

static int
member_tsid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, STORE_TSID_LEN);
}

int
member_records(struct store *st, member_record_fn fn, void *ctx,
    struct errbuf *eb)
{
	static const char *const kinds[] = { "charter", "member.add",
	    "member.remove", "node.info" };
	uint8_t (*list)[STORE_TSID_LEN] = NULL;
	size_t n = 0, cap = 0;
	MDB_txn *txn;
	int mrc = 0, rc = 0;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "membership records");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && mrc == 0;
	    i++)
		mrc = member_collect(st, txn, kinds[i], &list, &n, &cap);
	if (mrc == MDB_MAP_FULL) {
		mdb_txn_abort(txn);
		free(list);
		return fail(eb, AMIE_ELIMIT, "membership records: over %d",
		    MEMBER_RECORDS_MAX);
	}
	if (n > 0)
		qsort(list, n, sizeof(list[0]), member_tsid_cmp);
	for (size_t i = 0; i < n && mrc == 0 && rc == 0; i++) {
		MDB_val k = { RECORD_ID_LEN, list[i] + 8 }, v;

		if ((mrc = mdb_get(txn, st->records, &k, &v)) == 0)
			rc = fn(ctx, v.mv_data, v.mv_size);
	}
	mdb_txn_abort(txn);
	free(list);
	if (rc != 0)
		return rc;
	if (mrc != 0)
		return store_fail(eb, mrc, "membership records");
	return 0;
}

int
member_served_until(struct store *st, MDB_txn *txn,
    const uint8_t author[RECORD_KEY_LEN], uint64_t *until, int *admitted)
{
	struct member_rec r;
	int mrc;

	*until = 0;
	*admitted = 0;
	if ((mrc = member_load(st, txn, author, &r)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	*until = member_until(r.flags, r.m.state, r.m.removed_from);
	*admitted = (r.flags & MEMBER_F_ADMITTED) != 0;
	return 0;
}

/* The signers value that the membership record r (header h) implies in
 * v and its target in target: 0, or -1 when it implies none. */
static int
member_sig_of(const struct record *r, const struct record_header *h,
    uint8_t target[RECORD_KEY_LEN], uint8_t v[MEMBER_SIG_LEN])
{
	struct body_member_remove mr;
	struct body_member_add ma;

	if (r->body == NULL || member_unhex(target, h->key) != 0)
		return -1;
	if (strcmp(h->kind, "member.add") == 0) {
		if (body_member_add_decode(&ma, r->body, r->body_len,
		    NULL) != 0)
			return -1;
		member_sig_pack(v, MEMBER_ADD, h->ts, h->author, 0,
		    MEMBER_REASON_NONE);
		return 0;
	}
	if (strcmp(h->kind, "member.remove") != 0 ||
	    body_member_remove_decode(&mr, r->body, r->body_len, NULL) != 0)
		return -1;
	member_sig_pack(v, MEMBER_REMOVE, h->ts, h->author, mr.effective_from,
	    member_reason_code(&mr.reason));
	return 0;
}

/* signers against the member.add and member.remove records, both ways. */
static void
member_verify_signers(struct store *st, MDB_txn *txn, struct check *ck)
{
	static const char *const kinds[] = { "member.add", "member.remove" };
	uint64_t expected = 0;
	MDB_cursor *c, *sc;
	MDB_stat ms;
	MDB_val k, v;
	int mrc;

	if (mdb_cursor_open(txn, st->revs, &c) != 0)
		return;
	if (mdb_cursor_open(txn, st->signers, &sc) != 0) {
		mdb_cursor_close(c);
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		size_t kl = strlen(kinds[i]) + 1;

		k.mv_size = kl;
		k.mv_data = (void *)kinds[i];
		for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		     mrc == 0 && k.mv_size >= kl &&
		     memcmp(k.mv_data, kinds[i], kl) == 0;
		     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			uint8_t target[RECORD_KEY_LEN], sv[MEMBER_SIG_LEN];
			MDB_val rk, rv, tk, tv;
			struct record_header h;
			uint8_t id[RECORD_ID_LEN];
			struct record r;

			if (v.mv_size != STORE_TSID_LEN)
				continue;
			rk.mv_size = RECORD_ID_LEN;
			rk.mv_data = (uint8_t *)v.mv_data + 8;
			if (mdb_get(txn, st->records, &rk, &rv) != 0 ||
			    record_decode(&r, rv.mv_data, rv.mv_size,
			    NULL) != 0 || record_check(&r, &h, id, NULL) != 0 ||
			    member_sig_of(&r, &h, target, sv) != 0)
				continue;
			expected++;
			tk.mv_size = RECORD_KEY_LEN;
			tk.mv_data = target;
			tv.mv_size = sizeof(sv);
			tv.mv_data = sv;
			if (mdb_cursor_get(sc, &tk, &tv, MDB_GET_BOTH) != 0)
				check_problem(ck, "signers", "%s about "
				    "%.16s... by a record of ts %llu is "
				    "missing", kinds[i], h.key,
				    (unsigned long long)h.ts);
		}
	}
	mdb_cursor_close(sc);
	mdb_cursor_close(c);
	if (mdb_stat(txn, st->signers, &ms) == 0 && ms.ms_entries > expected)
		check_problem(ck, "signers", "%zu entries, only %llu "
		    "membership records", ms.ms_entries,
		    (unsigned long long)expected);
}

void
member_verify(struct store *st, MDB_txn *txn, struct check *ck)
{
	struct record_header none;
	struct member_calc c;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	member_verify_signers(st, txn, ck);
	memset(&none, 0, sizeof(none));	/* kind "": read the stored one */
	if (member_calc_init(st, txn, NULL, &none, &c) != 0)
		return;
	if ((mrc = member_calc_load(st, txn, &c, NULL, NULL)) != 0) {
		check_problem(ck, "signers", "cannot be read: %s",
		    mdb_strerror(mrc));
		member_calc_free(&c);
		return;
	}
	member_calc_run(&c);
	for (size_t i = 0; i < c.nkeys; i++) {
		uint8_t packed[MEMBER_STATE_LEN];
		struct member_rec r;
		const uint8_t *ov;

		k.mv_size = RECORD_KEY_LEN;
		k.mv_data = c.keys[i].key;
		if (!member_calc_rec(&c, &c.keys[i], &r))
			continue;	/* none: the loop below */
		if (mdb_get(txn, st->members, &k, &v) != 0 ||
		    v.mv_size != MEMBER_VAL_LEN) {
			check_problem(ck, "members", "key %02x%02x%02x%02x... "
			    "has no membership state",
			    c.keys[i].key[0], c.keys[i].key[1],
			    c.keys[i].key[2], c.keys[i].key[3]);
			continue;
		}
		ov = v.mv_data;
		r.flags |= ov[1] & (MEMBER_F_ADD | MEMBER_F_INFO);
		r.m.endpoints_count = ov[3];
		member_pack_state(packed, &r);
		if (memcmp(packed, ov, MEMBER_STATE_LEN) != 0)
			check_problem(ck, "members", "key %02x%02x%02x%02x... "
			    "is stored as state %u, signers %u; the records "
			    "say state %u, signers %u",
			    c.keys[i].key[0], c.keys[i].key[1],
			    c.keys[i].key[2], c.keys[i].key[3], ov[0],
			    (unsigned)((uint32_t)ov[4] << 24 |
			    (uint32_t)ov[5] << 16 | (uint32_t)ov[6] << 8 |
			    ov[7]), (unsigned)r.m.state, r.m.signers);
	}
	if (mdb_cursor_open(txn, st->members, &cur) == 0) {
		for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
		     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
			if (k.mv_size != RECORD_KEY_LEN ||
			    member_find(&c, k.mv_data) == NULL ||
			    !member_find(&c, k.mv_data)->named)
				check_problem(ck, "members", "an entry for a "
				    "key no membership record that counts "
				    "names");
		mdb_cursor_close(cur);
	}
	member_calc_free(&c);
}

/*
 * The rule membership is computed by (docs/protocol.md section 12); a
 * store whose meta "member_rule" is another was computed by an earlier
 * one and is recomputed at open.
 */
#define MEMBER_RULE	2

int
member_upgrade(struct store *st, MDB_txn *txn, int *recomputed)
{
	struct record_header none;
	uint8_t rule = 0, want = MEMBER_RULE;
	int mrc;

	*recomputed = 0;
	if (store_meta_get(st, txn, "member_rule", &rule, 1) == 0 &&
	    rule == MEMBER_RULE)
		return 0;
	memset(&none, 0, sizeof(none));	/* kind "": read the stored one */
	if ((mrc = member_recompute(st, txn, NULL, &none)) != 0)
		return mrc;
	*recomputed = 1;
	return store_put(txn, st->meta, "member_rule", 11, &want, 1, 0);
}
