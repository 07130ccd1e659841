/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/negentropy.h"
#include "proto/xmalloc.h"

/* Split points of one range, at most: NEG_SPLIT_MAX, and at level 1 up
 * to 6 more in each of the pieces they make (split_pieces()). */
#define NEG_PIECES_MAX ((NEG_SPLIT_MAX + 1) * 7)

/* Bytes of one Fingerprint range at most: a bound (a 10-byte varint, a
 * length and 32 bytes of id), the mode and 16 bytes of fingerprint. */
#define NEG_RANGE_MAX 64

/*
 * Room past NEG_MSG_MAX for the one range that is written and then dropped
 * when a frame limit is reached: a Skip and the Fingerprint ranges of a
 * split, or an IdList of 31 ids (under 1100 bytes).
 */
#define NEG_BUF_SLACK ((NEG_PIECES_MAX + 2) * NEG_RANGE_MAX)
#define NEG_BUF_MAX (NEG_MSG_MAX + NEG_BUF_SLACK)

/* Bytes the reference keeps free under a frame limit. */
#define NEG_FRAME_RESERVE 200

/* One id of a received IdList, and whether we hold it too. */
struct neg_slot {
	uint8_t id[NEG_ID_LEN];
	uint8_t seen;
};

/* A cursor over the unread bytes [p, end) of a message. */
struct neg_rd {
	const uint8_t *p;
	const uint8_t *end;
};

void
neg_buf_init(struct neg_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
neg_buf_release(struct neg_buf *b)
{
	free(b->data);
	neg_buf_init(b);
}

static int
buf_reserve(struct neg_buf *b, size_t more, struct errbuf *eb)
{
	size_t need, cap;

	if (more > NEG_BUF_MAX - b->len)
		return fail(eb, AMIE_ELIMIT,
		    "negentropy: message over %d bytes", NEG_MSG_MAX);
	need = b->len + more;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > NEG_BUF_MAX)
		cap = NEG_BUF_MAX;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

static int
buf_put(struct neg_buf *b, const void *p, size_t len, struct errbuf *eb)
{
	int rc;

	if ((rc = buf_reserve(b, len, eb)) != 0)
		return rc;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static int
buf_put_varint(struct neg_buf *b, uint64_t v, struct errbuf *eb)
{
	uint8_t tmp[NEG_VARINT_MAX];

	return buf_put(b, tmp, neg_varint_encode(v, tmp), eb);
}

size_t
neg_varint_encode(uint64_t v, uint8_t out[NEG_VARINT_MAX])
{
	uint8_t rev[NEG_VARINT_MAX];
	size_t n = 0, i;

	do {
		rev[n++] = v & 0x7f;
		v >>= 7;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = rev[n - 1 - i] | (i + 1 < n ? 0x80 : 0);
	return n;
}

int
neg_varint_decode(const uint8_t *p, size_t len, uint64_t *v, size_t *used,
    struct errbuf *eb)
{
	uint64_t r = 0;
	size_t i;

	for (i = 0; i < NEG_VARINT_MAX; i++) {
		if (i == len)
			return fail(eb, AMIE_EPROTO,
			    "negentropy: message ends inside a varint");
		if (r >> 57 != 0)
			return fail(eb, AMIE_EPROTO,
			    "negentropy: varint over 2^64 - 1");
		r = r << 7 | (p[i] & 0x7f);
		if ((p[i] & 0x80) == 0) {
			*v = r;
			*used = i + 1;
			return 0;
		}
	}
	return fail(eb, AMIE_EPROTO, "negentropy: varint over %d bytes",
	    NEG_VARINT_MAX);
}

static int
rd_varint(struct neg_rd *r, uint64_t *v, struct errbuf *eb)
{
	size_t used;
	int rc;

	rc = neg_varint_decode(r->p, (size_t)(r->end - r->p), v, &used, eb);
	if (rc != 0)
		return rc;
	r->p += used;
	return 0;
}

static int
rd_bytes(struct neg_rd *r, const uint8_t **p, size_t len, const char *what,
    struct errbuf *eb)
{
	if ((size_t)(r->end - r->p) < len)
		return fail(eb, AMIE_EPROTO,
		    "negentropy: message ends inside %s", what);
	*p = r->p;
	r->p += len;
	return 0;
}

int
neg_bound_encode(struct neg_buf *b, uint64_t *last_ts,
    const struct neg_bound *bound, struct errbuf *eb)
{
	uint64_t delta;
	int rc;

	assert(bound->id_len <= NEG_ID_LEN);
	if (bound->ts == NEG_TS_INFINITY) {
		*last_ts = NEG_TS_INFINITY;
		rc = buf_put_varint(b, 0, eb);
	} else {
		/* Wraps as the reference does if bounds ever go backwards. */
		delta = bound->ts - *last_ts;
		*last_ts = bound->ts;
		rc = buf_put_varint(b, delta + 1, eb);
	}
	if (rc == 0)
		rc = buf_put_varint(b, bound->id_len, eb);
	if (rc == 0)
		rc = buf_put(b, bound->id, bound->id_len, eb);
	return rc;
}

int
neg_bound_decode(const uint8_t *p, size_t len, uint64_t *last_ts,
    struct neg_bound *bound, size_t *used, struct errbuf *eb)
{
	struct neg_rd r = { p, p + len };
	const uint8_t *prefix = NULL;
	uint64_t enc, ts, id_len;
	int rc;

	if ((rc = rd_varint(&r, &enc, eb)) != 0)
		return rc;
	ts = enc == 0 ? NEG_TS_INFINITY : enc - 1;
	ts += *last_ts;
	if (ts < *last_ts)
		ts = NEG_TS_INFINITY;
	if ((rc = rd_varint(&r, &id_len, eb)) != 0)
		return rc;
	if (id_len > NEG_ID_LEN)
		return fail(eb, AMIE_EPROTO,
		    "negentropy: bound id prefix of %llu bytes, limit %d",
		    (unsigned long long)id_len, NEG_ID_LEN);
	if ((rc = rd_bytes(&r, &prefix, (size_t)id_len, "a bound", eb)) != 0)
		return rc;
	*last_ts = ts;
	bound->ts = ts;
	bound->id_len = (size_t)id_len;
	memset(bound->id, 0, sizeof(bound->id));
	memcpy(bound->id, prefix, (size_t)id_len);
	*used = (size_t)(r.p - p);
	return 0;
}

void
neg_bound_minimal(const struct neg_item *prev, const struct neg_item *curr,
    struct neg_bound *bound)
{
	size_t shared = 0;

	memset(bound->id, 0, sizeof(bound->id));
	bound->ts = curr->ts;
	if (curr->ts != prev->ts) {
		bound->id_len = 0;
		return;
	}
	while (shared < NEG_ID_LEN && curr->id[shared] == prev->id[shared])
		shared++;
	/* Equal items cannot be adjacent in a set; keep the bound valid. */
	bound->id_len = shared < NEG_ID_LEN ? shared + 1 : NEG_ID_LEN;
	memcpy(bound->id, curr->id, bound->id_len);
}

unsigned
neg_level(const uint8_t id[NEG_ID_LEN])
{
	unsigned level = 0;
	size_t i;

	for (i = NEG_ID_LEN; i > 0 && level < NEG_LEVEL_MAX; i--) {
		if ((id[i - 1] & 0x0f) != 0)
			break;
		if (++level == NEG_LEVEL_MAX || (id[i - 1] & 0xf0) != 0)
			break;
		level++;
	}
	return level;
}

void
neg_sum_add(uint8_t sum[NEG_ID_LEN], const uint8_t id[NEG_ID_LEN])
{
	unsigned carry = 0;
	size_t i;

	for (i = 0; i < NEG_ID_LEN; i++) {
		carry += (unsigned)sum[i] + id[i];
		sum[i] = carry & 0xff;
		carry >>= 8;
	}
}

void
neg_sum_sub(uint8_t sum[NEG_ID_LEN], const uint8_t id[NEG_ID_LEN])
{
	unsigned borrow = 0, d;
	size_t i;

	for (i = 0; i < NEG_ID_LEN; i++) {
		d = (unsigned)sum[i] - id[i] - borrow;
		sum[i] = d & 0xff;
		borrow = (d >> 8) & 1;
	}
}

void
neg_fingerprint(const uint8_t sum[NEG_ID_LEN], uint64_t count,
    uint8_t fp[NEG_FP_LEN])
{
	uint8_t in[NEG_ID_LEN + NEG_VARINT_MAX];
	uint8_t hash[crypto_hash_sha256_BYTES];
	size_t n;

	memcpy(in, sum, NEG_ID_LEN);
	n = neg_varint_encode(count, in + NEG_ID_LEN);
	crypto_hash_sha256(hash, in, NEG_ID_LEN + n);
	memcpy(fp, hash, NEG_FP_LEN);
}

int
neg_init(struct neg *n, const struct neg_storage *s, size_t frame_limit,
    struct errbuf *eb)
{
	if (frame_limit != 0 && frame_limit < NEG_FRAME_MIN)
		return fail(eb, AMIE_ELIMIT,
		    "negentropy: frame limit %zu under %d", frame_limit,
		    NEG_FRAME_MIN);
	if (frame_limit > NEG_FRAME_MAX)
		return fail(eb, AMIE_ELIMIT,
		    "negentropy: frame limit %zu over %d", frame_limit,
		    NEG_FRAME_MAX);
	n->storage = s;
	n->frame_limit = frame_limit;
	n->is_initiator = 0;
	n->last_ts_in = 0;
	n->last_ts_out = 0;
	n->slots = NULL;
	n->slots_cap = 0;
	n->ext = 0;
	return 0;
}

void
neg_set_extensions(struct neg *n, unsigned ext)
{
	n->ext = ext;
}

void
neg_release(struct neg *n)
{
	free(n->slots);
	n->slots = NULL;
	n->slots_cap = 0;
}

static int
is_over_frame(const struct neg *n, size_t len)
{
	return n->frame_limit != 0 && len > n->frame_limit - NEG_FRAME_RESERVE;
}

/* Bytes of a Fingerprint on the wire in this session. */
static size_t
fp_len(const struct neg *n)
{
	return n->ext & NEG_EXT_SHORT_IDS ? NEG_FP_SHORT_LEN : NEG_FP_LEN;
}

static int
range_fingerprint(struct neg *n, size_t begin, size_t end,
    uint8_t fp[NEG_FP_LEN], struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	uint8_t sum[NEG_ID_LEN];
	int rc;

	if ((rc = s->sum(s->ctx, begin, end, sum, eb)) != 0)
		return rc;
	neg_fingerprint(sum, end - begin, fp);
	return 0;
}

static int
put_range_head(struct neg *n, struct neg_buf *out,
    const struct neg_bound *bound, enum neg_mode mode, struct errbuf *eb)
{
	int rc;

	if ((rc = neg_bound_encode(out, &n->last_ts_out, bound, eb)) != 0)
		return rc;
	return buf_put_varint(out, mode, eb);
}

/*
 * The split points of [lower, upper) into out from the n points at of its
 * items of level or more: those, and at level 1 the points that cut each
 * piece of NEG_IDLIST_BELOW to 4 * NEG_IDLIST_BELOW - 1 items by count
 * (negentropy.h).  Returns their number.
 */
static size_t
split_pieces(size_t lower, size_t upper, const size_t *at, size_t n,
    unsigned level, size_t out[NEG_PIECES_MAX])
{
	size_t k, j, m = 0, a = lower, b, size, parts;

	for (k = 0; k < n + (n > 0); k++) {
		b = k < n ? at[k] : upper;
		size = b - a;
		if (level == 1 && size >= NEG_IDLIST_BELOW &&
		    size < 4 * NEG_IDLIST_BELOW) {
			parts = size / (NEG_IDLIST_BELOW / 2);
			for (j = 1; j < parts; j++)
				out[m++] = a + size / parts * j +
				    (j < size % parts ? j : size % parts);
		}
		if (k < n)
			out[m++] = b;
		a = b;
	}
	return m;
}

/*
 * Describe our items [lower, upper), whose upper bound is upper_bound: as
 * an IdList if they are few, else as Fingerprint ranges: NEG_BUCKETS of
 * them, or one more than the storage's split points with
 * NEG_EXT_CONTENT_SPLITS.
 */
static int
split_range(struct neg *n, struct neg_buf *out, size_t lower, size_t upper,
    const struct neg_bound *upper_bound, struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	struct neg_item prev, curr;
	struct neg_bound bound;
	uint8_t fp[NEG_FP_LEN];
	size_t points[NEG_SPLIT_MAX], splits[NEG_PIECES_MAX], nsplit;
	size_t count = upper - lower, per, extra, at, next, i;
	unsigned level = 0;
	int rc;

	/* Short ids: the client lists prefixes, the server asks for them
	 * (an empty range it still sends as an empty IdList). */
	if (count < NEG_IDLIST_BELOW && (n->ext & NEG_EXT_SHORT_IDS) &&
	    (n->is_initiator || count > 0)) {
		if (!n->is_initiator)
			return put_range_head(n, out, upper_bound,
			    NEG_MODE_LISTREQUEST, eb);
		if ((rc = put_range_head(n, out, upper_bound,
		    NEG_MODE_PREFIXLIST, eb)) != 0 ||
		    (rc = buf_put_varint(out, count, eb)) != 0 ||
		    (rc = buf_put_varint(out, NEG_PREFIX_LEN, eb)) != 0)
			return rc;
		for (i = lower; i < upper; i++) {
			if ((rc = s->item(s->ctx, i, &curr, eb)) != 0 ||
			    (rc = buf_put(out, curr.id, NEG_PREFIX_LEN,
			    eb)) != 0)
				return rc;
		}
		return 0;
	}
	if (count < NEG_IDLIST_BELOW) {
		if ((rc = put_range_head(n, out, upper_bound, NEG_MODE_IDLIST,
		    eb)) != 0 || (rc = buf_put_varint(out, count, eb)) != 0)
			return rc;
		for (i = lower; i < upper; i++) {
			if ((rc = s->item(s->ctx, i, &curr, eb)) != 0 ||
			    (rc = buf_put(out, curr.id, NEG_ID_LEN, eb)) != 0)
				return rc;
		}
		return 0;
	}
	nsplit = 0;
	if ((n->ext & NEG_EXT_CONTENT_SPLITS) && s->splits != NULL &&
	    (rc = s->splits(s->ctx, lower, upper, points, &nsplit, &level,
	    eb)) != 0)
		return rc;
	if (nsplit > NEG_SPLIT_MAX)
		return fail(eb, AMIE_EIO, "negentropy: too many split points");
	nsplit = split_pieces(lower, upper, points, nsplit, level, splits);
	/* A split must fit in a frame of its own, or no message would get
	 * past it: one that might not fit in what is left is done in
	 * NEG_BUCKETS, as in V1. */
	if (nsplit > 0 && n->frame_limit != 0 &&
	    out->len + (nsplit + 1) * NEG_RANGE_MAX >
	    n->frame_limit - NEG_FRAME_RESERVE)
		nsplit = 0;
	per = count / NEG_BUCKETS;
	extra = count % NEG_BUCKETS;
	at = lower;
	for (i = 0; i < (nsplit > 0 ? nsplit + 1 : NEG_BUCKETS); i++) {
		if (nsplit > 0) {
			next = i < nsplit ? splits[i] : upper;
			if (next <= at || next > upper)
				return fail(eb, AMIE_EIO,
				    "negentropy: split points out of order");
		} else
			next = at + per + (i < extra ? 1 : 0);
		if ((rc = range_fingerprint(n, at, next, fp, eb)) != 0)
			return rc;
		at = next;
		if (at == upper)
			bound = *upper_bound;
		else {
			if ((rc = s->item(s->ctx, at - 1, &prev, eb)) != 0 ||
			    (rc = s->item(s->ctx, at, &curr, eb)) != 0)
				return rc;
			neg_bound_minimal(&prev, &curr, &bound);
		}
		if ((rc = put_range_head(n, out, &bound, NEG_MODE_FINGERPRINT,
		    eb)) != 0 || (rc = buf_put(out, fp, fp_len(n), eb)) != 0)
			return rc;
	}
	return 0;
}

static int
slot_cmp(const void *a, const void *b)
{
	return memcmp(((const struct neg_slot *)a)->id,
	    ((const struct neg_slot *)b)->id, NEG_ID_LEN);
}

/*
 * As the client, compare the count ids at ids (in the message) with our
 * items [lower, upper) and report the differences.  The ids are sorted in
 * scratch slots so that each of ours is found in O(log count); an id listed
 * twice counts once, as in the reference.
 */
static int
client_idlist(struct neg *n, const uint8_t *ids, size_t count, size_t lower,
    size_t upper,
    int (*on_id)(void *, int, const uint8_t *, struct errbuf *), void *ctx,
    struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	struct neg_item item;
	struct neg_slot key, *hit, *lo, *hi;
	size_t i;
	int rc;

	assert(count <= NEG_IDLIST_MAX);
	if (count > n->slots_cap) {
		free(n->slots);
		n->slots = xcalloc(count, sizeof(*n->slots));
		n->slots_cap = count;
	}
	for (i = 0; i < count; i++) {
		memcpy(n->slots[i].id, ids + i * NEG_ID_LEN, NEG_ID_LEN);
		n->slots[i].seen = 0;
	}
	if (count > 1)
		qsort(n->slots, count, sizeof(*n->slots), slot_cmp);
	for (i = lower; i < upper; i++) {
		if ((rc = s->item(s->ctx, i, &item, eb)) != 0)
			return rc;
		hit = NULL;
		if (count > 0) {
			memcpy(key.id, item.id, NEG_ID_LEN);
			key.seen = 0;
			hit = bsearch(&key, n->slots, count, sizeof(*n->slots),
			    slot_cmp);
		}
		if (hit == NULL) {
			if ((rc = on_id(ctx, 1, item.id, eb)) != 0)
				return rc;
			continue;
		}
		for (lo = hit; lo > n->slots && slot_cmp(lo - 1, hit) == 0;)
			lo--;
		for (hi = hit; hi < n->slots + count && slot_cmp(hi, hit) == 0;
		    hi++)
			hi->seen = 1;
		for (; lo < hit; lo++)
			lo->seen = 1;
	}
	for (i = 0; i < count; i++) {
		if (n->slots[i].seen || (i > 0 &&
		    slot_cmp(&n->slots[i - 1], &n->slots[i]) == 0))
			continue;
		if ((rc = on_id(ctx, 0, n->slots[i].id, eb)) != 0)
			return rc;
	}
	return 0;
}

/*
 * As the server, answer an IdList for [lower, *upper) with our own ids of
 * that range, as many as fit under the frame limit; *upper shrinks to the
 * first id left out, whose full id then bounds the IdList.  done_len is
 * the length of the reply before this range.
 */
static int
server_idlist(struct neg *n, struct neg_buf *out, size_t done_len,
    size_t lower, size_t *upper, const struct neg_bound *upper_bound,
    struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	struct neg_bound end_bound = *upper_bound;
	struct neg_item item;
	size_t i, count = 0;
	int rc;

	for (i = lower; i < *upper; i++) {
		if (!is_over_frame(n, done_len + count * NEG_ID_LEN)) {
			count++;
			continue;
		}
		if ((rc = s->item(s->ctx, i, &item, eb)) != 0)
			return rc;
		end_bound.ts = item.ts;
		end_bound.id_len = NEG_ID_LEN;
		memcpy(end_bound.id, item.id, NEG_ID_LEN);
		*upper = i;
		break;
	}
	if ((rc = put_range_head(n, out, &end_bound, NEG_MODE_IDLIST,
	    eb)) != 0 || (rc = buf_put_varint(out, count, eb)) != 0)
		return rc;
	for (i = lower; i < lower + count; i++) {
		if ((rc = s->item(s->ctx, i, &item, eb)) != 0 ||
		    (rc = buf_put(out, item.id, NEG_ID_LEN, eb)) != 0)
			return rc;
	}
	return 0;
}

static int flush_skip(struct neg *n, struct neg_buf *out, int *skip,
    const struct neg_bound *prev_bound, struct errbuf *eb);

/* Write the ids of our items [lower, upper) as an IdList bounded by
 * bound (upper - lower < NEG_IDLIST_BELOW). */
static int
put_idlist(struct neg *n, struct neg_buf *out, size_t lower, size_t upper,
    const struct neg_bound *bound, struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	struct neg_item item;
	int rc;

	if ((rc = put_range_head(n, out, bound, NEG_MODE_IDLIST, eb)) != 0 ||
	    (rc = buf_put_varint(out, upper - lower, eb)) != 0)
		return rc;
	for (size_t i = lower; i < upper; i++) {
		if ((rc = s->item(s->ctx, i, &item, eb)) != 0 ||
		    (rc = buf_put(out, item.id, NEG_ID_LEN, eb)) != 0)
			return rc;
	}
	return 0;
}

/*
 * As the server, answer the client's count prefixes of plen bytes for our
 * items [lower, *upper): split the range when it is large, fall back to
 * an IdList of our ids when a prefix is ambiguous, else write a
 * PrefixReply.  done_len is the length of the reply before this range.
 */
static int
server_prefix_reply(struct neg *n, struct neg_buf *out, size_t done_len,
    const uint8_t *prefixes, size_t count, size_t plen, size_t lower,
    size_t *upper, const struct neg_bound *bound, struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	struct neg_item items[NEG_IDLIST_BELOW];
	int match[NEG_IDLIST_BELOW];
	uint8_t taken[NEG_IDLIST_BELOW] = { 0 }, sum[NEG_ID_LEN] = { 0 };
	uint8_t fp[NEG_FP_LEN];
	size_t ours = *upper - lower, i, j, missing = 0, extra = 0, next = 0;
	uint64_t matched = 0;
	int rc;

	assert(count < NEG_IDLIST_BELOW);
	if (ours >= NEG_IDLIST_BELOW)
		return split_range(n, out, lower, *upper, bound, eb);
	for (i = 0; i < ours; i++)
		if ((rc = s->item(s->ctx, lower + i, &items[i], eb)) != 0)
			return rc;
	for (i = 0; i < count; i++) {
		match[i] = -1;
		for (j = 0; j < i; j++)
			if (memcmp(prefixes + i * plen, prefixes + j * plen,
			    plen) == 0)
				return server_idlist(n, out, done_len, lower,
				    upper, bound, eb);
		for (j = 0; j < ours; j++) {
			if (memcmp(items[j].id, prefixes + i * plen,
			    plen) != 0)
				continue;
			if (match[i] >= 0)
				return server_idlist(n, out, done_len, lower,
				    upper, bound, eb);
			match[i] = (int)j;
			taken[j] = 1;
		}
		missing += match[i] < 0;
	}
	for (j = 0; j < ours; j++) {
		if (taken[j]) {
			neg_sum_add(sum, items[j].id);
			matched++;
		} else
			extra++;
	}
	if ((rc = put_range_head(n, out, bound, NEG_MODE_PREFIXREPLY,
	    eb)) != 0 || (rc = buf_put_varint(out, missing, eb)) != 0)
		return rc;
	for (i = 0; i < count; i++) {
		if (match[i] >= 0)
			continue;
		if ((rc = buf_put_varint(out, i - next, eb)) != 0)
			return rc;
		next = i + 1;
	}
	if ((rc = buf_put_varint(out, extra, eb)) != 0)
		return rc;
	for (j = 0; j < ours; j++)
		if (!taken[j] && (rc = buf_put(out, items[j].id, NEG_ID_LEN,
		    eb)) != 0)
			return rc;
	neg_fingerprint(sum, matched, fp);
	return buf_put(out, fp, fp_len(n), eb);
}

/*
 * As the client, read a PrefixReply for our items [lower, upper), which
 * we listed: report what it reveals, or, when the fingerprint of what
 * matched is not ours (a prefix collision), report nothing and send the
 * range as a plain IdList.  *skip is set when nothing is to be sent.
 */
static int
client_prefix_reply(struct neg *n, struct neg_rd *r, size_t lower,
    size_t upper, struct neg_buf *out, int *skip,
    const struct neg_bound *prev_bound, const struct neg_bound *bound,
    int (*on_id)(void *, int, const uint8_t *, struct errbuf *), void *ctx,
    struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	uint8_t gone[NEG_IDLIST_BELOW] = { 0 }, sum[NEG_ID_LEN] = { 0 };
	uint8_t fp[NEG_FP_LEN];
	struct neg_item item;
	const uint8_t *ids = NULL, *their_fp = NULL;
	size_t ours = upper - lower, i, next = 0;
	uint64_t missing, gap, extra, matched = 0;
	int rc;

	/*
	 * The positions are checked against the longest list there can be:
	 * after neg_continue(), the list answered is the one an earlier
	 * session sent, and our range may have changed since.
	 */
	if ((rc = rd_varint(r, &missing, eb)) != 0)
		return rc;
	if (missing >= NEG_IDLIST_BELOW)
		return fail(eb, AMIE_EPROTO,
		    "negentropy: PrefixReply of %llu positions, limit %d",
		    (unsigned long long)missing, NEG_IDLIST_BELOW - 1);
	for (i = 0; i < missing; i++) {
		if ((rc = rd_varint(r, &gap, eb)) != 0)
			return rc;
		if (gap >= NEG_IDLIST_BELOW - next)
			return fail(eb, AMIE_EPROTO,
			    "negentropy: PrefixReply position past the list");
		next += (size_t)gap;
		gone[next++] = 1;
	}
	if ((rc = rd_varint(r, &extra, eb)) != 0)
		return rc;
	if (extra >= NEG_IDLIST_BELOW)
		return fail(eb, AMIE_EPROTO,
		    "negentropy: PrefixReply of %llu ids, limit %d",
		    (unsigned long long)extra, NEG_IDLIST_BELOW - 1);
	if ((rc = rd_bytes(r, &ids, (size_t)extra * NEG_ID_LEN,
	    "a PrefixReply", eb)) != 0 ||
	    (rc = rd_bytes(r, &their_fp, fp_len(n), "a fingerprint",
	    eb)) != 0)
		return rc;
	if (ours >= NEG_IDLIST_BELOW || next > ours) {
		/* Not the list we hold now: describe the range again. */
		if ((rc = flush_skip(n, out, skip, prev_bound, eb)) != 0)
			return rc;
		return split_range(n, out, lower, upper, bound, eb);
	}
	for (i = 0; i < ours; i++) {
		if (gone[i])
			continue;
		if ((rc = s->item(s->ctx, lower + i, &item, eb)) != 0)
			return rc;
		neg_sum_add(sum, item.id);
		matched++;
	}
	neg_fingerprint(sum, matched, fp);
	if (memcmp(fp, their_fp, fp_len(n)) != 0) {
		if ((rc = flush_skip(n, out, skip, prev_bound, eb)) != 0)
			return rc;
		return put_idlist(n, out, lower, upper, bound, eb);
	}
	for (i = 0; i < ours; i++) {
		if (!gone[i])
			continue;
		if ((rc = s->item(s->ctx, lower + i, &item, eb)) != 0 ||
		    (rc = on_id(ctx, 1, item.id, eb)) != 0)
			return rc;
	}
	for (i = 0; i < extra; i++)
		if ((rc = on_id(ctx, 0, ids + i * NEG_ID_LEN, eb)) != 0)
			return rc;
	*skip = 1;
	return 0;
}

/* Write a Skip up to prev_bound if one is pending. */
static int
flush_skip(struct neg *n, struct neg_buf *out, int *skip,
    const struct neg_bound *prev_bound, struct errbuf *eb)
{
	if (!*skip)
		return 0;
	*skip = 0;
	return put_range_head(n, out, prev_bound, NEG_MODE_SKIP, eb);
}

static int
reconcile(struct neg *n, const uint8_t *msg, size_t len, struct neg_buf *out,
    int (*on_id)(void *, int, const uint8_t *, struct errbuf *), void *ctx,
    struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	struct neg_rd r = { msg, msg + len };
	struct neg_bound bound, prev_bound, inf;
	const uint8_t *their_fp = NULL, *ids = NULL;
	uint8_t our_fp[NEG_FP_LEN];
	uint64_t mode, count, plen, ts_before;
	size_t storage_count, prev_index = 0, lower, upper, range_start, used;
	size_t kept;
	int skip_before;
	uint8_t version = NEG_VERSION;
	int rc, skip = 0;

	n->last_ts_in = 0;
	n->last_ts_out = 0;
	if (len > NEG_MSG_MAX)
		return fail(eb, AMIE_ELIMIT,
		    "negentropy: message of %zu bytes, limit %d", len,
		    NEG_MSG_MAX);
	if (len == 0)
		return fail(eb, AMIE_EPROTO, "negentropy: empty message");
	if (msg[0] < 0x60 || msg[0] > 0x6f)
		return fail(eb, AMIE_EPROTO,
		    "negentropy: invalid protocol version byte 0x%02x", msg[0]);
	if ((rc = buf_put(out, &version, 1, eb)) != 0)
		return rc;
	if (msg[0] != NEG_VERSION) {
		if (n->is_initiator)
			return fail(eb, AMIE_EPROTO,
			    "negentropy: server wants protocol version %d",
			    msg[0] - 0x60);
		return 0;
	}
	r.p++;
	if ((rc = s->size(s->ctx, &storage_count, eb)) != 0)
		return rc;
	memset(&prev_bound, 0, sizeof(prev_bound));
	while (r.p < r.end) {
		range_start = out->len;
		skip_before = skip;
		ts_before = n->last_ts_out;
		rc = neg_bound_decode(r.p, (size_t)(r.end - r.p),
		    &n->last_ts_in, &bound, &used, eb);
		if (rc != 0)
			return rc;
		r.p += used;
		if ((rc = rd_varint(&r, &mode, eb)) != 0)
			return rc;
		lower = kept = prev_index;
		rc = s->lower_bound(s->ctx, prev_index, storage_count, &bound,
		    &upper, eb);
		if (rc != 0)
			return rc;
		assert(upper >= lower && upper <= storage_count);
		if (mode > NEG_MODE_IDLIST && !(n->ext & NEG_EXT_SHORT_IDS))
			return fail(eb, AMIE_EPROTO,
			    "negentropy: unknown range mode %llu",
			    (unsigned long long)mode);
		switch (mode) {
		case NEG_MODE_SKIP:
			skip = 1;
			break;
		case NEG_MODE_FINGERPRINT:
			if ((rc = rd_bytes(&r, &their_fp, fp_len(n),
			    "a fingerprint", eb)) != 0 ||
			    (rc = range_fingerprint(n, lower, upper, our_fp,
			    eb)) != 0)
				return rc;
			if (memcmp(their_fp, our_fp, fp_len(n)) == 0) {
				skip = 1;
				break;
			}
			if ((rc = flush_skip(n, out, &skip, &prev_bound,
			    eb)) != 0 ||
			    (rc = split_range(n, out, lower, upper, &bound,
			    eb)) != 0)
				return rc;
			break;
		case NEG_MODE_IDLIST:
			if ((rc = rd_varint(&r, &count, eb)) != 0)
				return rc;
			if (count > (uint64_t)(r.end - r.p) / NEG_ID_LEN)
				return fail(eb, AMIE_EPROTO,
				    "negentropy: message ends inside an "
				    "IdList of %llu ids",
				    (unsigned long long)count);
			if (count > NEG_IDLIST_MAX)
				return fail(eb, AMIE_ELIMIT,
				    "negentropy: IdList of %llu ids, "
				    "limit %d", (unsigned long long)count,
				    NEG_IDLIST_MAX);
			ids = r.p;
			r.p += count * NEG_ID_LEN;
			if (n->is_initiator) {
				rc = client_idlist(n, ids, (size_t)count,
				    lower, upper, on_id, ctx, eb);
				if (rc != 0)
					return rc;
				skip = 1;
				break;
			}
			if ((rc = flush_skip(n, out, &skip, &prev_bound,
			    eb)) != 0 ||
			    (rc = server_idlist(n, out, range_start, lower,
			    &upper, &bound, eb)) != 0)
				return rc;
			/* The reference commits this range before checking. */
			range_start = out->len;
			ts_before = n->last_ts_out;
			skip_before = 0;
			kept = upper;
			break;
		case NEG_MODE_PREFIXLIST:
			if (n->is_initiator)
				return fail(eb, AMIE_EPROTO,
				    "negentropy: PrefixList from the server");
			if ((rc = rd_varint(&r, &count, eb)) != 0 ||
			    (rc = rd_varint(&r, &plen, eb)) != 0)
				return rc;
			if (count >= NEG_IDLIST_BELOW)
				return fail(eb, AMIE_EPROTO,
				    "negentropy: PrefixList of %llu ids, "
				    "limit %d", (unsigned long long)count,
				    NEG_IDLIST_BELOW - 1);
			if (plen < 1 || plen > NEG_ID_LEN)
				return fail(eb, AMIE_EPROTO,
				    "negentropy: id prefix of %llu bytes",
				    (unsigned long long)plen);
			if ((rc = rd_bytes(&r, &ids, (size_t)(count * plen),
			    "a PrefixList", eb)) != 0 ||
			    (rc = flush_skip(n, out, &skip, &prev_bound,
			    eb)) != 0 ||
			    (rc = server_prefix_reply(n, out, range_start,
			    ids, (size_t)count, (size_t)plen, lower, &upper,
			    &bound, eb)) != 0)
				return rc;
			break;
		case NEG_MODE_PREFIXREPLY:
			if (!n->is_initiator)
				return fail(eb, AMIE_EPROTO,
				    "negentropy: PrefixReply from the client");
			if ((rc = client_prefix_reply(n, &r, lower, upper,
			    out, &skip, &prev_bound, &bound, on_id, ctx,
			    eb)) != 0)
				return rc;
			break;
		case NEG_MODE_LISTREQUEST:
			if (!n->is_initiator)
				return fail(eb, AMIE_EPROTO,
				    "negentropy: ListRequest from the client");
			if ((rc = flush_skip(n, out, &skip, &prev_bound,
			    eb)) != 0 ||
			    (rc = split_range(n, out, lower, upper, &bound,
			    eb)) != 0)
				return rc;
			break;
		default:
			return fail(eb, AMIE_EPROTO,
			    "negentropy: unknown range mode %llu",
			    (unsigned long long)mode);
		}
		if (is_over_frame(n, out->len)) {
			/*
			 * Drop this range and end with the fingerprint of
			 * everything after it, up to infinity.  V1 does as
			 * the reference: the Skip this range wrote goes too,
			 * and the fingerprint starts at the end of the range
			 * dropped, though the peer reads it from the last
			 * range kept.  That makes the peer go over ranges it
			 * had settled again, and misses the range's items
			 * when the peer has none there and the same items
			 * after it, as after a PrefixList of 0 ids.  So
			 * with an extension the Skip is kept and the
			 * fingerprint starts where the range dropped did (or,
			 * past an IdList committed, where it ends).
			 */
			out->len = range_start;
			n->last_ts_out = ts_before;
			if (n->ext != 0 && skip_before &&
			    (rc = put_range_head(n, out, &prev_bound,
			    NEG_MODE_SKIP, eb)) != 0)
				return rc;
			rc = range_fingerprint(n, n->ext != 0 ? kept : upper,
			    storage_count, our_fp, eb);
			if (rc != 0)
				return rc;
			memset(&inf, 0, sizeof(inf));
			inf.ts = NEG_TS_INFINITY;
			if ((rc = put_range_head(n, out, &inf,
			    NEG_MODE_FINGERPRINT, eb)) != 0 ||
			    (rc = buf_put(out, our_fp, fp_len(n), eb)) != 0)
				return rc;
			break;
		}
		prev_index = upper;
		prev_bound = bound;
	}
	if (out->len > NEG_MSG_MAX)
		return fail(eb, AMIE_ELIMIT,
		    "negentropy: reply of %zu bytes, limit %d", out->len,
		    NEG_MSG_MAX);
	return 0;
}

int
neg_initiate(struct neg *n, struct neg_buf *out, struct errbuf *eb)
{
	const struct neg_storage *s = n->storage;
	struct neg_bound inf;
	uint8_t version = NEG_VERSION;
	size_t count;
	int rc;

	out->len = 0;
	if (n->is_initiator)
		return fail(eb, AMIE_EUSAGE, "negentropy: already initiated");
	n->is_initiator = 1;
	n->last_ts_out = 0;
	memset(&inf, 0, sizeof(inf));
	inf.ts = NEG_TS_INFINITY;
	if ((rc = s->size(s->ctx, &count, eb)) != 0 ||
	    (rc = buf_put(out, &version, 1, eb)) != 0 ||
	    (rc = split_range(n, out, 0, count, &inf, eb)) != 0)
		goto fail;
	if (out->len > NEG_MSG_MAX) {
		rc = fail(eb, AMIE_ELIMIT,
		    "negentropy: message of %zu bytes, limit %d", out->len,
		    NEG_MSG_MAX);
		goto fail;
	}
	return 0;
fail:
	out->len = 0;
	return rc;
}

int
neg_continue(struct neg *n, const uint8_t *msg, size_t len,
    struct errbuf *eb)
{
	if (n->is_initiator)
		return fail(eb, AMIE_EUSAGE, "negentropy: already initiated");
	if (len < 1 || len > NEG_MSG_MAX || msg[0] != NEG_VERSION)
		return fail(eb, AMIE_EPROTO,
		    "negentropy: not a message to go on from");
	n->is_initiator = 1;
	n->last_ts_out = 0;
	return 0;
}

int
neg_reconcile_server(struct neg *n, const uint8_t *msg, size_t len,
    struct neg_buf *out, struct errbuf *eb)
{
	int rc;

	out->len = 0;
	if (n->is_initiator)
		return fail(eb, AMIE_EUSAGE,
		    "negentropy: the client cannot answer as a server");
	rc = reconcile(n, msg, len, out, NULL, NULL, eb);
	if (rc != 0)
		out->len = 0;
	return rc;
}

int
neg_reconcile_client(struct neg *n, const uint8_t *msg, size_t len,
    struct neg_buf *out,
    int (*on_id)(void *ctx, int have, const uint8_t id[NEG_ID_LEN],
	struct errbuf *eb),
    void *ctx, int *done, struct errbuf *eb)
{
	int rc;

	out->len = 0;
	if (!n->is_initiator)
		return fail(eb, AMIE_EUSAGE,
		    "negentropy: the server cannot reconcile as a client");
	rc = reconcile(n, msg, len, out, on_id, ctx, eb);
	if (rc != 0) {
		out->len = 0;
		return rc;
	}
	if (out->len == 1) {
		out->len = 0;
		*done = 1;
	} else
		*done = 0;
	return 0;
}

void
neg_vector_init(struct neg_vector *v, size_t max_count)
{
	v->items = NULL;
	v->count = 0;
	v->cap = 0;
	v->max_count = max_count;
	v->sealed = 0;
}

void
neg_vector_release(struct neg_vector *v)
{
	free(v->items);
	neg_vector_init(v, v->max_count);
}

int
neg_vector_add(struct neg_vector *v, uint64_t ts,
    const uint8_t id[NEG_ID_LEN], struct errbuf *eb)
{
	size_t cap;

	assert(!v->sealed);
	if (ts == NEG_TS_INFINITY)
		return fail(eb, AMIE_EUSAGE,
		    "negentropy: timestamp 2^64 - 1 is reserved");
	if (v->count >= v->max_count)
		return fail(eb, AMIE_ELIMIT, "negentropy: set over %zu items",
		    v->max_count);
	if (v->count == v->cap) {
		cap = v->cap ? v->cap * 2 : 64;
		if (cap > v->max_count)
			cap = v->max_count;
		v->items = xrealloc(v->items, cap * sizeof(*v->items));
		v->cap = cap;
	}
	v->items[v->count].ts = ts;
	memcpy(v->items[v->count].id, id, NEG_ID_LEN);
	v->count++;
	return 0;
}

static int
item_cmp(const struct neg_item *a, uint64_t ts, const uint8_t *id)
{
	if (a->ts != ts)
		return a->ts < ts ? -1 : 1;
	return memcmp(a->id, id, NEG_ID_LEN);
}

static int
item_qsort_cmp(const void *a, const void *b)
{
	const struct neg_item *y = b;

	return item_cmp(a, y->ts, y->id);
}

void
neg_vector_seal(struct neg_vector *v)
{
	size_t i, kept = 0;

	assert(!v->sealed);
	if (v->count > 1)
		qsort(v->items, v->count, sizeof(*v->items), item_qsort_cmp);
	for (i = 0; i < v->count; i++) {
		if (kept > 0 && item_qsort_cmp(&v->items[kept - 1],
		    &v->items[i]) == 0)
			continue;
		v->items[kept++] = v->items[i];
	}
	v->count = kept;
	v->sealed = 1;
}

static int
vector_size(void *ctx, size_t *count, struct errbuf *eb)
{
	struct neg_vector *v = ctx;

	(void)eb;
	assert(v->sealed);
	*count = v->count;
	return 0;
}

static int
vector_item(void *ctx, size_t index, struct neg_item *out, struct errbuf *eb)
{
	struct neg_vector *v = ctx;

	(void)eb;
	assert(v->sealed && index < v->count);
	*out = v->items[index];
	return 0;
}

static int
vector_lower_bound(void *ctx, size_t begin, size_t end,
    const struct neg_bound *bound, size_t *index, struct errbuf *eb)
{
	struct neg_vector *v = ctx;
	size_t mid;

	(void)eb;
	assert(v->sealed && begin <= end && end <= v->count);
	while (begin < end) {
		mid = begin + (end - begin) / 2;
		if (item_cmp(&v->items[mid], bound->ts, bound->id) < 0)
			begin = mid + 1;
		else
			end = mid;
	}
	*index = begin;
	return 0;
}

static int
vector_sum(void *ctx, size_t begin, size_t end, uint8_t sum[NEG_ID_LEN],
    struct errbuf *eb)
{
	struct neg_vector *v = ctx;
	size_t i;

	(void)eb;
	assert(v->sealed && begin <= end && end <= v->count);
	memset(sum, 0, NEG_ID_LEN);
	for (i = begin; i < end; i++)
		neg_sum_add(sum, v->items[i].id);
	return 0;
}

static int
vector_splits(void *ctx, size_t begin, size_t end, size_t at[NEG_SPLIT_MAX],
    size_t *n, unsigned *level_out, struct errbuf *eb)
{
	struct neg_vector *v = ctx;
	size_t at_level[NEG_LEVEL_MAX + 1] = { 0 }, i;
	unsigned level, l;

	(void)eb;
	assert(v->sealed && begin <= end && end <= v->count);
	*n = 0;
	for (i = begin + 1; i < end; i++)
		for (l = neg_level(v->items[i].id); l > 0; l--)
			at_level[l]++;
	for (level = NEG_LEVEL_MAX; level > 0; level--)
		if (at_level[level] >= NEG_SPLIT_MIN)
			break;
	*level_out = level;
	if (level == 0)
		return 0;
	for (i = begin + 1; i < end && *n < NEG_SPLIT_MAX; i++)
		if (neg_level(v->items[i].id) >= level)
			at[(*n)++] = i;
	return 0;
}

void
neg_vector_storage(struct neg_vector *v, struct neg_storage *s)
{
	s->ctx = v;
	s->size = vector_size;
	s->item = vector_item;
	s->lower_bound = vector_lower_bound;
	s->sum = vector_sum;
	s->splits = vector_splits;
}
