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
 * The rules.  A record by S at ts is valid when S is the founder or
 * admitted, and S is not removed with removed_from <= ts (a member's own
 * member.remove stays valid whatever its ts, so that a removal always
 * travels).  A key is admitted when admit_quorum distinct signers of valid
 * member.add records about it exist: the least fixpoint, grown from the
 * founder, so two pending keys cannot admit each other.  A key is removed
 * when it signed a valid member.remove about itself or remove_quorum
 * distinct signers of valid member.remove records about it exist; it is
 * removed from the smallest effective_from among those records (a tie
 * names "compromised").  Removals only ever grow while computing (a key
 * once removed stays removed, its removed_from only gets earlier), so the
 * computation ends, and it reads only the stored set.  There is no lower
 * bound: a member's records older than its admission are accepted, since
 * a new member's clock may lag its inviter's.
 *
 * A record by a key is in the item set exactly while the key's window
 * holds it: [0, removed_from) for an admitted key, [0, forever) for a
 * current one, empty otherwise; member_check() refuses records outside
 * the window, and each recomputation that moves a window adds or takes
 * out the records that crossed it (walking `byauthor`).
 *
 * The description (name, region, contact, endpoints) comes from the
 * latest node.info (ts, then lowest id), else from the earliest
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
	uint8_t type;
	uint64_t ts;
	uint8_t signer[RECORD_KEY_LEN];
	uint64_t effective_from;
	uint8_t reason;
};

/* A key during recomputation; its signatures are sigs[first, first+n). */
struct member_key {
	uint8_t key[RECORD_KEY_LEN];
	size_t first, n;
	int founder, admitted, removed;
	uint64_t removed_from;
	uint8_t reason;
};

struct member_calc {
	struct member_key *keys;
	size_t nkeys;
	struct member_sig *sigs;
	size_t nsigs;
	uint8_t (*seen)[RECORD_KEY_LEN];	/* scratch, nsigs entries */
	uint8_t founder[RECORD_KEY_LEN];
	uint64_t charter_ts, admit_quorum, remove_quorum;
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
	free(c->seen);
}

/* Read every signers value into c (keys in key order).  LMDB codes. */
static int
member_calc_load(struct store *st, MDB_txn *txn, struct member_calc *c)
{
	size_t kcap = 16, scap = 16, pos;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	c->keys = xmalloc(kcap * sizeof(c->keys[0]));
	c->sigs = xmalloc(scap * sizeof(c->sigs[0]));
	if ((mrc = mdb_cursor_open(txn, st->signers, &cur)) != 0)
		return mrc;
	mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (mrc == 0) {
		const uint8_t *p = v.mv_data;
		struct member_sig *s;

		if (k.mv_size != RECORD_KEY_LEN ||
		    v.mv_size != MEMBER_SIG_LEN) {
			mrc = MDB_CORRUPTED;
			break;
		}
		if (c->nkeys == 0 || memcmp(c->keys[c->nkeys - 1].key,
		    k.mv_data, RECORD_KEY_LEN) != 0) {
			if (c->nkeys == kcap) {
				kcap *= 2;
				c->keys = xrealloc(c->keys,
				    kcap * sizeof(c->keys[0]));
			}
			memset(&c->keys[c->nkeys], 0, sizeof(c->keys[0]));
			memcpy(c->keys[c->nkeys].key, k.mv_data,
			    RECORD_KEY_LEN);
			c->keys[c->nkeys].first = c->nsigs;
			c->nkeys++;
		}
		if (c->nsigs == scap) {
			scap *= 2;
			c->sigs = xrealloc(c->sigs, scap * sizeof(c->sigs[0]));
		}
		s = &c->sigs[c->nsigs++];
		s->target = c->nkeys - 1;
		s->type = p[0];
		s->ts = store_get_be64(p + 1);
		memcpy(s->signer, p + 9, RECORD_KEY_LEN);
		s->effective_from = store_get_be64(p + 41);
		s->reason = p[49];
		c->keys[c->nkeys - 1].n++;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (mrc != MDB_NOTFOUND)
		return mrc;

	/* The founder is a key even when no record names it. */
	for (pos = 0; pos < c->nkeys; pos++)
		if (memcmp(c->keys[pos].key, c->founder, RECORD_KEY_LEN) >= 0)
			break;
	if (pos == c->nkeys ||
	    memcmp(c->keys[pos].key, c->founder, RECORD_KEY_LEN) != 0) {
		if (c->nkeys == kcap)
			c->keys = xrealloc(c->keys,
			    (kcap + 1) * sizeof(c->keys[0]));
		memmove(&c->keys[pos + 1], &c->keys[pos],
		    (c->nkeys - pos) * sizeof(c->keys[0]));
		memset(&c->keys[pos], 0, sizeof(c->keys[0]));
		memcpy(c->keys[pos].key, c->founder, RECORD_KEY_LEN);
		c->keys[pos].first = c->nsigs;
		c->nkeys++;
		for (size_t i = 0; i < c->nsigs; i++)
			if (c->sigs[i].target >= pos)
				c->sigs[i].target++;
	}
	c->keys[pos].founder = 1;
	c->seen = xmalloc((c->nsigs + 1) * sizeof(c->seen[0]));
	return 0;
}

/* Whether a record by signer at ts counts (self: its own member.remove). */
static int
member_calc_valid(const struct member_calc *c,
    const uint8_t signer[RECORD_KEY_LEN], uint64_t ts, int self)
{
	const struct member_key *k = member_find(c, signer);

	if (k == NULL || (!k->founder && !k->admitted))
		return 0;
	return self || !k->removed || ts < k->removed_from;
}

/*
 * Count the distinct signers of valid signatures of type on key k, in ts
 * order; *reached_ts is the ts at which the count reached quorum.
 */
static uint64_t
member_calc_count(struct member_calc *c, const struct member_key *k,
    uint8_t type, uint64_t quorum, uint64_t *reached_ts)
{
	uint64_t n = 0;

	for (size_t i = k->first; i < k->first + k->n; i++) {
		const struct member_sig *s = &c->sigs[i];
		uint64_t j;

		if (s->type != type || !member_calc_valid(c, s->signer, s->ts,
		    type == MEMBER_REMOVE &&
		    memcmp(s->signer, k->key, RECORD_KEY_LEN) == 0))
			continue;
		for (j = 0; j < n; j++)
			if (memcmp(c->seen[j], s->signer, RECORD_KEY_LEN) == 0)
				break;
		if (j < n)
			continue;
		memcpy(c->seen[n++], s->signer, RECORD_KEY_LEN);
		if (n == quorum && reached_ts != NULL)
			*reached_ts = s->ts;
	}
	return n;
}

/* Apply the removal rule to k; 1 if it removed k or moved its start. */
static int
member_calc_remove(struct member_calc *c, struct member_key *k)
{
	uint64_t from = UINT64_MAX;
	uint8_t reason = MEMBER_REASON_NONE;
	int self = 0;

	for (size_t i = k->first; i < k->first + k->n; i++) {
		const struct member_sig *s = &c->sigs[i];
		int is_self = memcmp(s->signer, k->key, RECORD_KEY_LEN) == 0;

		if (s->type != MEMBER_REMOVE ||
		    !member_calc_valid(c, s->signer, s->ts, is_self))
			continue;
		self |= is_self;
		if (s->effective_from < from || (s->effective_from == from &&
		    s->reason > reason)) {
			from = s->effective_from;
			reason = s->reason;
		}
	}
	if (!self && member_calc_count(c, k, MEMBER_REMOVE, c->remove_quorum,
	    NULL) < c->remove_quorum)
		return 0;
	if (k->removed && (from > k->removed_from ||
	    (from == k->removed_from && reason <= k->reason)))
		return 0;
	k->removed = 1;
	k->removed_from = from;
	k->reason = reason;
	return 1;
}

/* Membership from the signatures alone (see the top of this file). */
static void
member_calc_run(struct member_calc *c)
{
	int changed;

	do {
		for (size_t i = 0; i < c->nkeys; i++)
			c->keys[i].admitted = 0;
		do {
			changed = 0;
			for (size_t i = 0; i < c->nkeys; i++) {
				struct member_key *k = &c->keys[i];

				if (k->founder || k->admitted ||
				    member_calc_count(c, k, MEMBER_ADD,
				    c->admit_quorum, NULL) < c->admit_quorum)
					continue;
				k->admitted = 1;
				changed = 1;
			}
		} while (changed);
		for (size_t i = 0; i < c->nkeys; i++)
			changed |= member_calc_remove(c, &c->keys[i]);
	} while (changed);
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

/* Index the article of record id again if it is a kb revision (its
 * window just moved).  LMDB codes. */
static int
member_reindex(struct store *st, MDB_txn *txn, const uint8_t *id)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	struct record_header h;
	struct record r;
	int mrc;

	if ((mrc = mdb_get(txn, st->records, &k, &v)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	if (record_decode(&r, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_header_decode(&h, r.header, r.header_len, NULL) != 0 ||
	    strcmp(h.kind, "kb") != 0)
		return 0;
	return search_article_changed(st, txn, h.key);
}

/*
 * The window of key's served records moved from old_until to new_until:
 * add to or take out of the item set its records in between.
 */
static int
member_reconcile(struct store *st, MDB_txn *txn,
    const uint8_t key[RECORD_KEY_LEN], uint64_t old_until, uint64_t new_until)
{
	uint64_t lo = old_until < new_until ? old_until : new_until;
	uint64_t hi = old_until < new_until ? new_until : old_until;
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
		if (ts >= hi)
			break;
		want = ts < new_until ||
		    member_is_self_remove(st, txn, key, tsid + 8);
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
			mrc2 = member_reindex(st, txn, tsid + 8);
		if (mrc2 != 0)
			break;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
	}
	mdb_cursor_close(cur);
	if (mrc2 != 0)
		return mrc2;
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* The membership state computed for key k (no description). */
static void
member_calc_rec(struct member_calc *c, const struct member_key *k,
    struct member_rec *r)
{
	uint64_t reached = 0;
	uint32_t signers;

	signers = (uint32_t)member_calc_count(c, k, MEMBER_ADD,
	    c->admit_quorum, &reached);
	memset(r, 0, sizeof(*r));
	r->flags = (k->founder ? MEMBER_F_FOUNDER : 0) |
	    (k->founder || k->admitted ? MEMBER_F_ADMITTED : 0);
	r->m.state = k->removed ? MEMBER_REMOVED :
	    (r->flags & MEMBER_F_ADMITTED) ? MEMBER_CURRENT : MEMBER_PENDING;
	r->m.signers = signers;
	r->m.admitted_ts = k->founder ? c->charter_ts :
	    k->admitted ? reached : 0;
	r->m.removed_from = k->removed ? k->removed_from : 0;
	r->reason = k->removed ? k->reason : MEMBER_REASON_NONE;
}

/* Write the state computed for key k, moving its window if it changed. */
static int
member_calc_save(struct store *st, MDB_txn *txn, struct member_calc *c,
    const struct member_key *k)
{
	MDB_val key = { RECORD_KEY_LEN, (void *)k->key }, v;
	uint8_t packed[MEMBER_STATE_LEN];
	struct member_rec r, old;
	uint64_t old_until, new_until;
	int mrc, found;

	member_calc_rec(c, k, &r);

	/* Most keys did not change: compare the packed state without
	 * unpacking the description. */
	mrc = mdb_get(txn, st->members, &key, &v);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	found = mrc == 0;
	if (found && v.mv_size == MEMBER_VAL_LEN) {
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
	/* Keep the description; take the membership state computed. */
	old_until = mrc == MDB_NOTFOUND ? 0 :
	    member_until(old.flags, old.m.state, old.m.removed_from);
	old.flags = r.flags | (old.flags & (MEMBER_F_ADD | MEMBER_F_INFO));
	old.m.founder = k->founder;
	old.m.state = r.m.state;
	old.m.signers = r.m.signers;
	old.m.admitted_ts = r.m.admitted_ts;
	old.m.removed_from = r.m.removed_from;
	old.reason = r.reason;
	new_until = member_until(old.flags, old.m.state, old.m.removed_from);
	if ((mrc = member_save(st, txn, &old)) != 0)
		return mrc;
	if (old_until != new_until)
		return member_reconcile(st, txn, k->key, old_until, new_until);
	return 0;
}

/* Recompute every key's membership from the signers database. */
static int
member_recompute(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h)
{
	struct member_calc c;
	struct body_charter ch;
	int mrc;

	memset(&c, 0, sizeof(c));
	if ((mrc = member_charter(st, txn, r, h, &ch, &c.charter_ts)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	memcpy(c.founder, ch.founder, RECORD_KEY_LEN);
	c.admit_quorum = ch.admit_quorum;
	c.remove_quorum = ch.remove_quorum;
	if ((mrc = member_calc_load(st, txn, &c)) == 0) {
		member_calc_run(&c);
		for (size_t i = 0; i < c.nkeys && mrc == 0; i++)
			mrc = member_calc_save(st, txn, &c, &c.keys[i]);
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

/* Take invited_by, and the description if no node.info gave one, from
 * the earliest member.add about target. */
static int
member_describe_add(struct store *st, MDB_txn *txn,
    const uint8_t target[RECORD_KEY_LEN], const struct body_member_add *a,
    uint64_t ts, const uint8_t id[RECORD_ID_LEN])
{
	struct member_rec r;
	int mrc;

	if ((mrc = member_load(st, txn, target, &r)) != 0)
		return mrc;
	if ((r.flags & MEMBER_F_ADD) &&
	    !member_before(ts, id, r.add_ts, r.add_id))
		return 0;
	r.flags |= MEMBER_F_ADD;
	r.add_ts = ts;
	memcpy(r.add_id, id, RECORD_ID_LEN);
	memcpy(r.m.invited_by, a->invited_by, RECORD_KEY_LEN);
	if (!(r.flags & MEMBER_F_INFO)) {
		member_copy_str(r.m.name, sizeof(r.m.name), &a->name);
		member_copy_str(r.m.region, sizeof(r.m.region), &a->region);
		member_copy_str(r.m.contact, sizeof(r.m.contact), &a->contact);
		memset(r.m.endpoints, 0, sizeof(r.m.endpoints));
		r.m.endpoints_count = a->endpoint.len > 0;
		member_copy_str(r.m.endpoints[0], sizeof(r.m.endpoints[0]),
		    &a->endpoint);
	}
	return member_save(st, txn, &r);
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

/* The rules of member.add, member.remove and node.info themselves. */
static int
member_check_kind(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, const uint8_t target[RECORD_KEY_LEN],
    struct errbuf *eb)
{
	struct body_member_remove mr;
	struct body_member_add ma;
	struct body_node_info ni;
	struct member_rec t;
	size_t all, mine;
	int mrc, is_add;

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
		return 0;
	}
	if (body_member_remove_decode(&mr, r->body, r->body_len, eb) != 0)
		return fail_prefix(eb, "member.remove");
	mrc = member_load(st, txn, target, &t);
	if (mrc == MDB_NOTFOUND)
		return fail(eb, AMIE_EREFUSED,
		    "member.remove: %.16s... is not a member", h->key);
	if (mrc != 0)
		return store_fail(eb, mrc, "membership");
	return 0;
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
	if ((mrc = member_recompute(st, txn, r, h)) != 0)
		return mrc;
	if (is_add)
		return member_describe_add(st, txn, target, &ma, h->ts, id);
	return 0;
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
    const uint8_t author[RECORD_KEY_LEN], uint64_t *until)
{
	struct member_rec r;
	int mrc;

	*until = 0;
	if ((mrc = member_load(st, txn, author, &r)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	*until = member_until(r.flags, r.m.state, r.m.removed_from);
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
	struct body_charter ch;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	member_verify_signers(st, txn, ck);
	memset(&c, 0, sizeof(c));
	memset(&none, 0, sizeof(none));	/* kind "": read the stored one */
	if (member_charter(st, txn, NULL, &none, &ch, &c.charter_ts) != 0)
		return;
	memcpy(c.founder, ch.founder, RECORD_KEY_LEN);
	c.admit_quorum = ch.admit_quorum;
	c.remove_quorum = ch.remove_quorum;
	if ((mrc = member_calc_load(st, txn, &c)) != 0) {
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
		member_calc_rec(&c, &c.keys[i], &r);
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
			    member_find(&c, k.mv_data) == NULL)
				check_problem(ck, "members", "an entry for a "
				    "key no membership record names");
		mdb_cursor_close(cur);
	}
	member_calc_free(&c);
}
