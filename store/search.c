/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The knowledge-base index (see search.h), in two databases.
 *
 * Each indexed article has a document number, never reused (a counter in
 * the stats), so a new revision gets a new number and postings only ever
 * append.  In `docs` (plain):
 *   "s"                       stats: articles (8) || title words (8) ||
 *                             body words (8) || next number (8), BE
 *   "k" || article key        number (4, BE)
 *   "d" || number (4, BE)     revision id (32) || ts (8) || title words
 *                             (4) || body words (4) || lang (1) || key
 *   "n" || number / 256 (4)   256 pairs of bytes: the title and body
 *                             lengths of those numbers, quantised
 *                             (search_qlen()); SEARCH_NORM_DEAD: none
 * In `terms` (opened MDB_DUPSORT, used with one value per key): postings
 * in blocks of at most SEARCH_BLOCK_MAX bytes, keyed by the term, a NUL
 * (no term has one) and the first number of the block (4, BE), so that a
 * term's blocks are contiguous and in number order.  The value: the last
 * number of the block (4, BE), then per posting varint(number - previous
 * number, the first from the key's) and varint(body tf << 2 | min(title
 * tf, 3)).  An article indexed now has the greatest number, so it
 * appends to the last block of each of its terms, rewritten in place
 * (MDB_CURRENT: no delete, so pages do not get rebalanced half empty).
 * The appends of a transaction wait in memory (st->search_pending) and
 * are written together before it commits, one seek per term rather than
 * per posting; see "postings waiting" below.
 * Filters are terms too, of bytes no word has: "\1l" lang, "\1c"
 * category, "\1t" tag (labels, text_label()), "\1a" author (64 hex
 * digits).  Postings take 2 or 3 bytes: the index is smaller than the
 * text it indexes.
 *
 * Taking an article out re-reads its indexed revision and deletes the
 * postings of its terms.  When that revision's body is gone (purged by a
 * tombstone before the hook runs), its postings stay behind: its number
 * is dead in `n` and `d`, and queries skip it.  search_reindex() drops
 * them.  Document frequencies count such postings until then.
 *
 * Queries are AND: an article must match every word of the query (each
 * word through any of its terms).  When no article matches all words
 * (among those the filters let through), the query falls back to OR,
 * ranked the same way, so that a typo in one word of three still finds
 * something.  BM25 (k1 1.2, b 0.75) per field, the
 * title's weighted SEARCH_TITLE_BOOST, summed over the query words, with
 * the document frequency of a word the number of articles with any of its
 * terms.
 *
 * A query reads the whole posting list of each word (the union of its
 * terms'; the document frequency needs it) and of each filter, into
 * buffers kept from one query to the next (st->search_cache, up to
 * SEARCH_KEEP_BYTES), then walks the rarest word's list and looks each
 * number up in the others.  Two frequent words make every article a
 * candidate: that was the slow tail of search (tens of thousands of
 * lookups and scores for ten results).  So, once the heap of the best
 * candidates is full, a candidate is first bounded (MaxScore): its
 * lengths and the rarest word's frequencies give that word's exact
 * part; each other word's part is bounded by its greatest frequencies
 * (search_eval_bounds(), title and body apart) at this candidate's
 * lengths, counting the title, which weighs most, only if the word's
 * titled postings (those with a title frequency) have the number.  A
 * candidate whose bound is no more than the worst of the heap cannot
 * enter it and is not looked up in the other lists.  The bound adds the
 * same terms in the same order as the score, each at least as large,
 * so pruning changes nothing: the same results, in the same order, with
 * the same scores as scoring every candidate (search_set_exhaustive(),
 * tests/unit/search_test.c).  The bounds cost a pass over the other
 * lists, so pruning starts only when enough candidates remain (a rare
 * word with a frequent one has few).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/search.h"
#include "store/text.h"

#define SEARCH_BLOCK_MAX	448	/* bytes of a block: DUPSORT values <= 511 */
#define SEARCH_NORMS_CHUNK	256	/* numbers per "n" entry */
#define SEARCH_NORM_DEAD	0xff
#define SEARCH_TERMKEY_MAX	(2 + TEXT_TERM_MAX)	/* >= 2 + 64 hex */
#define SEARCH_BKEY_MAX		(SEARCH_TERMKEY_MAX + 5)
#define SEARCH_STATS_LEN	32
#define SEARCH_INFO_FIXED	(RECORD_ID_LEN + 8 + 4 + 4 + 1)
#define SEARCH_K1		1.2
#define SEARCH_B		0.75
#define SEARCH_LEAD_BYTES	60	/* context before the first match */
#define SEARCH_LEAD_WORDS	12
#define SEARCH_MARKS_MAX	32
#define SEARCH_TFN_MAX		16	/* body frequencies remembered */
#define SEARCH_KEEP_BYTES	(8u << 20)	/* query buffers kept */
#define SEARCH_PRUNE_SLACK	1e-9	/* of a bound, relative */
#define SEARCH_PRUNE_RATIO	8	/* other postings per candidate */
#define SEARCH_MARK		"reindex"	/* meta: a rebuild under way */
#define SEARCH_MARK_FIXED	16

struct search_stats_v {
	uint64_t docs;
	uint64_t title_words;
	uint64_t body_words;
	uint64_t next;
};

/* What "d" says of an indexed article. */
struct search_info {
	uint8_t revision[RECORD_ID_LEN];
	uint64_t ts;
	uint32_t title_words;
	uint32_t body_words;
	enum text_lang lang;
	char key[RECORD_KEY_MAX + 1];
};

/* The terms of one article with their frequencies. */
struct search_acc_term {
	uint32_t tf_title;
	uint32_t tf_body;
	uint8_t len;
	char term[SEARCH_TERMKEY_MAX + 1];	/* + the NUL of record_id_hex() */
};

/* The filter term of the last author, language or category seen, which
 * most articles of a node share: hex and NFKC are worked out once. */
#define SEARCH_MEMO_SRC_MAX	64	/* bytes of a value remembered */

struct search_acc_memo {
	int used;
	uint8_t src_len;
	uint8_t len;			/* of term; 0: no term */
	char src[SEARCH_MEMO_SRC_MAX];
	char term[SEARCH_TERMKEY_MAX + 1];
};

struct search_acc {
	struct search_acc_term *v;
	size_t count, cap;
	uint32_t *slots;		/* index + 1, 0 for free */
	size_t nslots;
	uint32_t words;			/* of the field being read */
	int in_title;
	struct search_acc_memo memo[3];	/* 'a', 'l', 'c' */
};

/* ---- small encodings ---- */

static void
search_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static uint32_t
search_get_be32(const uint8_t in[4])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
	    (uint32_t)in[2] << 8 | in[3];
}

static size_t
search_varint_put(uint8_t *out, uint32_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static size_t
search_varint_len(uint32_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Read a varint from [*p, end): 0, or -1 when it runs out or is long. */
static int
search_varint_get(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	uint32_t r = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		if (*p == end)
			return -1;
		r |= (uint32_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Word counts to a byte: exact below 32, then steps of about 6%. */
static uint8_t
search_qlen(uint32_t words)
{
	unsigned q = 32;
	uint32_t b = 32;

	if (words < 32)
		return (uint8_t)words;
	while (q < SEARCH_NORM_DEAD - 1 && b + b / 16 <= words) {
		b += b / 16;
		q++;
	}
	return (uint8_t)q;
}

/* The natural logarithm of x > 0, without libm (the store links none):
 * x = m 2^e with m in [1, 2), ln m = 2 atanh((m - 1) / (m + 1)). */
static double
search_ln(double x)
{
	uint64_t bits;
	double m, s, s2, term, sum = 0;
	int e;

	assert(x > 0);
	memcpy(&bits, &x, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1023 << 52);
	memcpy(&m, &bits, sizeof(m));
	s = (m - 1) / (m + 1);
	s2 = s * s;
	term = s;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return e * 0.69314718055994530942 + 2 * sum;
}

/* ---- docs ---- */

static int
search_stats_get(struct store *st, MDB_txn *txn, struct search_stats_v *s)
{
	MDB_val k = { 1, "s" }, v;
	const uint8_t *p;
	int mrc;

	memset(s, 0, sizeof(*s));
	if ((mrc = mdb_get(txn, st->docs, &k, &v)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	if (v.mv_size != SEARCH_STATS_LEN)
		return MDB_CORRUPTED;
	p = v.mv_data;
	s->docs = store_get_be64(p);
	s->title_words = store_get_be64(p + 8);
	s->body_words = store_get_be64(p + 16);
	s->next = store_get_be64(p + 24);
	return 0;
}

static int
search_stats_put(struct store *st, MDB_txn *txn,
    const struct search_stats_v *s)
{
	uint8_t b[SEARCH_STATS_LEN];

	store_be64(b, s->docs);
	store_be64(b + 8, s->title_words);
	store_be64(b + 16, s->body_words);
	store_be64(b + 24, s->next);
	return store_put(txn, st->docs, "s", 1, b, sizeof(b), 0);
}

static int
search_info_get(struct store *st, MDB_txn *txn, uint32_t doc,
    struct search_info *in)
{
	uint8_t k5[5];
	MDB_val k = { 5, k5 }, v;
	const uint8_t *p;
	size_t klen;
	int mrc;

	k5[0] = 'd';
	search_be32(k5 + 1, doc);
	if ((mrc = mdb_get(txn, st->docs, &k, &v)) != 0)
		return mrc;
	if (v.mv_size < SEARCH_INFO_FIXED ||
	    (klen = v.mv_size - SEARCH_INFO_FIXED) > RECORD_KEY_MAX)
		return MDB_CORRUPTED;
	p = v.mv_data;
	memcpy(in->revision, p, RECORD_ID_LEN);
	in->ts = store_get_be64(p + 32);
	in->title_words = search_get_be32(p + 40);
	in->body_words = search_get_be32(p + 44);
	in->lang = (enum text_lang)p[48];
	memcpy(in->key, p + SEARCH_INFO_FIXED, klen);
	in->key[klen] = '\0';
	return 0;
}

static int
search_info_put(struct store *st, MDB_txn *txn, uint32_t doc,
    const struct search_info *in)
{
	uint8_t k5[5], b[SEARCH_INFO_FIXED + RECORD_KEY_MAX];
	size_t klen = strlen(in->key);

	k5[0] = 'd';
	search_be32(k5 + 1, doc);
	memcpy(b, in->revision, RECORD_ID_LEN);
	store_be64(b + 32, in->ts);
	search_be32(b + 40, in->title_words);
	search_be32(b + 44, in->body_words);
	b[48] = (uint8_t)in->lang;
	memcpy(b + SEARCH_INFO_FIXED, in->key, klen);
	return store_put(txn, st->docs, k5, 5, b, SEARCH_INFO_FIXED + klen, 0);
}

/* Read the "n" entry at (numbers / SEARCH_NORMS_CHUNK), all dead when
 * there is none. */
static int
search_norms_get(struct store *st, MDB_txn *txn, uint32_t at,
    uint8_t b[2 * SEARCH_NORMS_CHUNK])
{
	uint8_t k5[5];
	MDB_val k = { 5, k5 }, v;
	int mrc;

	k5[0] = 'n';
	search_be32(k5 + 1, at);
	mrc = mdb_get(txn, st->docs, &k, &v);
	if (mrc == 0 && v.mv_size == 2 * SEARCH_NORMS_CHUNK)
		memcpy(b, v.mv_data, 2 * SEARCH_NORMS_CHUNK);
	else if (mrc == 0 || mrc == MDB_NOTFOUND)
		memset(b, SEARCH_NORM_DEAD, 2 * SEARCH_NORMS_CHUNK);
	else
		return mrc;
	return 0;
}

static int
search_norms_put(struct store *st, MDB_txn *txn, uint32_t at,
    const uint8_t b[2 * SEARCH_NORMS_CHUNK])
{
	uint8_t k5[5];

	k5[0] = 'n';
	search_be32(k5 + 1, at);
	return store_put(txn, st->docs, k5, 5, b, 2 * SEARCH_NORMS_CHUNK, 0);
}

/* ---- the terms of one article ---- */

static void
search_acc_reset(struct search_acc *a)
{
	a->count = 0;
	if (a->slots != NULL)
		memset(a->slots, 0, a->nslots * sizeof(*a->slots));
}

static void
search_acc_release(struct search_acc *a)
{
	free(a->v);
	free(a->slots);
	memset(a, 0, sizeof(*a));
}

static uint32_t
search_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void
search_acc_rehash(struct search_acc *a, size_t nslots)
{
	free(a->slots);
	a->slots = xcalloc(nslots, sizeof(*a->slots));
	a->nslots = nslots;
	for (size_t i = 0; i < a->count; i++) {
		size_t j = search_hash(a->v[i].term, a->v[i].len) &
		    (nslots - 1);

		while (a->slots[j] != 0)
			j = (j + 1) & (nslots - 1);
		a->slots[j] = (uint32_t)i + 1;
	}
}

/* Count one occurrence of term in the current field (title or body). */
static void
search_acc_add(struct search_acc *a, const char *term, size_t len,
    uint32_t tf_title, uint32_t tf_body)
{
	struct search_acc_term *e;
	size_t j;

	assert(len > 0 && len <= SEARCH_TERMKEY_MAX);
	if (2 * (a->count + 1) > a->nslots)
		search_acc_rehash(a, a->nslots ? 2 * a->nslots : 256);
	j = search_hash(term, len) & (a->nslots - 1);
	while (a->slots[j] != 0) {
		e = &a->v[a->slots[j] - 1];
		if (e->len == len && memcmp(e->term, term, len) == 0) {
			e->tf_title += tf_title;
			e->tf_body += tf_body;
			return;
		}
		j = (j + 1) & (a->nslots - 1);
	}
	if (a->count == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	e = &a->v[a->count];
	e->tf_title = tf_title;
	e->tf_body = tf_body;
	e->len = (uint8_t)len;
	memcpy(e->term, term, len);
	a->slots[j] = (uint32_t)++a->count;
}

static int
search_acc_word(void *ctx, const struct text_word *w)
{
	struct search_acc *a = ctx;

	for (unsigned i = 0; i < w->count; i++)
		search_acc_add(a, w->term[i], w->term_len[i], a->in_title != 0,
		    a->in_title == 0);
	a->words++;
	return 0;
}

/* A filter term: "\1", the letter, the label. */
static void
search_acc_filter(struct search_acc *a, struct text *t, char what,
    const char *s, size_t len)
{
	char term[SEARCH_TERMKEY_MAX + 1];	/* + the NUL of record_id_hex() */
	struct search_acc_memo *m = NULL;
	size_t n;

	term[0] = '\1';
	term[1] = what;
	if (what == 'a' || what == 'l' || what == 'c')
		m = &a->memo[what == 'a' ? 0 : what == 'l' ? 1 : 2];
	if (m != NULL && m->used && m->src_len == len &&
	    memcmp(m->src, s, len) == 0) {
		n = m->len;
		memcpy(term + 2, m->term, n);
	} else {
		if (what == 'a') {
			record_id_hex(term + 2, (const uint8_t *)s);
			n = 2 * RECORD_KEY_LEN;
		} else if ((n = text_label(t, s, len, term + 2)) > 0 &&
		    memchr(term + 2, '\0', n) != NULL) {
			n = 0;	/* NUL separates terms from numbers */
		}
		if (m != NULL && len <= sizeof(m->src)) {
			m->used = 1;
			m->src_len = (uint8_t)len;
			memcpy(m->src, s, len);
			m->len = (uint8_t)n;
			memcpy(m->term, term + 2, n);
		}
	}
	if (n > 0)
		search_acc_add(a, term, n + 2, 0, 0);
}

static int
search_acc_cmp(const void *x, const void *y)
{
	const struct search_acc_term *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->term, b->term, n);

	return c != 0 ? c : (int)a->len - (int)b->len;
}

/* Fill a with the terms of the article (author, body a) in lang, in no
 * particular order (search_acc_sort() sorts them as LMDB sorts keys);
 * title and body word counts in *tw and *bw. */
static void
search_acc_article(struct search_acc *acc, struct text *t,
    const uint8_t author[RECORD_KEY_LEN], const struct body_kb *a,
    enum text_lang lang, uint32_t *tw, uint32_t *bw)
{
	search_acc_reset(acc);
	acc->in_title = 1;
	acc->words = 0;
	text_words(t, a->title.s, a->title.len, lang, search_acc_word, acc);
	*tw = acc->words;
	acc->in_title = 0;
	acc->words = 0;
	text_words(t, a->text.s, a->text.len, lang, search_acc_word, acc);
	*bw = acc->words;
	search_acc_filter(acc, t, 'a', (const char *)author, RECORD_KEY_LEN);
	search_acc_filter(acc, t, 'l', a->lang.s, a->lang.len);
	search_acc_filter(acc, t, 'c', a->category.s, a->category.len);
	for (uint32_t i = 0; i < a->tags_count; i++)
		search_acc_filter(acc, t, 't', a->tags[i].s, a->tags[i].len);
}

static void
search_acc_sort(struct search_acc *acc)
{
	qsort(acc->v, acc->count, sizeof(*acc->v), search_acc_cmp);
}

/* ---- postings ---- */

static uint32_t
search_code(uint32_t tf_title, uint32_t tf_body)
{
	if (tf_body > UINT32_MAX >> 2)
		tf_body = UINT32_MAX >> 2;
	return tf_body << 2 | (tf_title < 3 ? tf_title : 3);
}

/* The key of the block of term starting at number first. */
static size_t
search_block_key(uint8_t out[SEARCH_BKEY_MAX], const char *term, size_t tlen,
    uint32_t first)
{
	assert(tlen > 0 && tlen <= SEARCH_TERMKEY_MAX);
	memcpy(out, term, tlen);
	out[tlen] = '\0';
	search_be32(out + tlen + 1, first);
	return tlen + 5;
}

/* Is k a block key of term? */
static int
search_is_block_of(const MDB_val *k, const uint8_t *bk, size_t tlen)
{
	return k->mv_size == tlen + 5 && memcmp(k->mv_data, bk, tlen + 1) == 0;
}

/* ---- postings waiting for the end of the transaction ---- */

/*
 * The postings of the articles indexed in a write transaction wait in
 * st->search_pending, per term, and go to `terms` together (one seek per
 * term) in search_flush(), before the commit or when they pass
 * SEARCH_PENDING_MAX bytes.  Numbers only grow, so each term's list is in
 * number order and above everything `terms` has.  An article taken out
 * while its postings wait is only marked dead: search_flush() skips it.
 */
#define SEARCH_PENDING_MAX	(8u << 20)	/* bytes, then flushed early */

struct search_ppost {
	uint32_t doc;
	uint32_t code;
	uint32_t next;			/* index + 1 in the pool, or 0 */
};

struct search_pterm {
	uint32_t head, tail;		/* index + 1 in the pool */
	uint8_t len;
	char term[SEARCH_TERMKEY_MAX];
};

struct search_pending {
	struct search_pterm *v;
	size_t count, cap;
	uint32_t *slots;		/* index + 1 in v, 0 for free */
	size_t nslots;
	struct search_ppost *pool;
	size_t npool, poolcap;
	uint32_t *dead;			/* numbers taken out, waiting */
	size_t ndead, deadcap;
	uint32_t first;			/* the least number waiting */
	/* The stats and the last "n" entry the transaction changed, kept
	 * here rather than written for every article: search_flush()
	 * writes them. */
	struct search_stats_v stats;
	int has_stats;
	uint32_t norms_at;		/* its numbers / SEARCH_NORMS_CHUNK */
	int has_norms;
	uint8_t norms[2 * SEARCH_NORMS_CHUNK];
};

static struct search_pending *
search_pending_of(struct store *st)
{
	if (st->search_pending == NULL)
		st->search_pending = xcalloc(1, sizeof(*st->search_pending));
	return st->search_pending;
}

/* The stats as the transaction has them. */
static int
search_pending_stats(struct store *st, MDB_txn *txn, struct search_stats_v *s)
{
	struct search_pending *p = search_pending_of(st);
	int mrc;

	if (!p->has_stats) {
		if ((mrc = search_stats_get(st, txn, &p->stats)) != 0)
			return mrc;
		p->has_stats = 1;
	}
	*s = p->stats;
	return 0;
}

/* Set the norms of doc: its quantised lengths, or dead. */
static int
search_norm_put(struct store *st, MDB_txn *txn, uint32_t doc, int live,
    uint32_t title_words, uint32_t body_words)
{
	struct search_pending *p = search_pending_of(st);
	uint32_t at = doc / SEARCH_NORMS_CHUNK;
	size_t i = 2 * (doc % SEARCH_NORMS_CHUNK);
	int mrc;

	if (!p->has_norms || p->norms_at != at) {
		if ((p->has_norms && (mrc = search_norms_put(st, txn,
		    p->norms_at, p->norms)) != 0) ||
		    (mrc = search_norms_get(st, txn, at, p->norms)) != 0) {
			p->has_norms = 0;
			return mrc;
		}
		p->norms_at = at;
		p->has_norms = 1;
	}
	p->norms[i] = live ? search_qlen(title_words) : SEARCH_NORM_DEAD;
	p->norms[i + 1] = live ? search_qlen(body_words) : SEARCH_NORM_DEAD;
	return 0;
}

/* Bytes held, to bound the accumulator. */
static size_t
search_pending_bytes(const struct search_pending *p)
{
	return p->cap * sizeof(*p->v) + p->nslots * sizeof(*p->slots) +
	    p->poolcap * sizeof(*p->pool) + p->deadcap * sizeof(*p->dead);
}

/* Are the postings of doc waiting here (and nowhere in `terms`)? */
static int
search_pending_has(const struct search_pending *p, uint32_t doc)
{
	return p != NULL && p->npool > 0 && doc >= p->first;
}

static void
search_pending_rehash(struct search_pending *p, size_t nslots)
{
	free(p->slots);
	p->slots = xcalloc(nslots, sizeof(*p->slots));
	p->nslots = nslots;
	for (size_t i = 0; i < p->count; i++) {
		size_t j = search_hash(p->v[i].term, p->v[i].len) &
		    (nslots - 1);

		while (p->slots[j] != 0)
			j = (j + 1) & (nslots - 1);
		p->slots[j] = (uint32_t)i + 1;
	}
}

/* Append the posting (doc, code) to term; doc is above every number
 * waiting. */
static void
search_pending_add(struct search_pending *p, const char *term, size_t len,
    uint32_t doc, uint32_t code)
{
	struct search_pterm *e = NULL;
	struct search_ppost *pp;
	size_t j;

	assert(len > 0 && len <= SEARCH_TERMKEY_MAX);
	if (p->npool == 0)
		p->first = doc;
	if (2 * (p->count + 1) > p->nslots)
		search_pending_rehash(p, p->nslots ? 2 * p->nslots : 1024);
	j = search_hash(term, len) & (p->nslots - 1);
	while (p->slots[j] != 0) {
		e = &p->v[p->slots[j] - 1];
		if (e->len == len && memcmp(e->term, term, len) == 0)
			break;
		e = NULL;
		j = (j + 1) & (p->nslots - 1);
	}
	if (p->npool == p->poolcap) {
		p->poolcap = p->poolcap ? 2 * p->poolcap : 4096;
		p->pool = xrealloc(p->pool, p->poolcap * sizeof(*p->pool));
	}
	pp = &p->pool[p->npool++];
	pp->doc = doc;
	pp->code = code;
	pp->next = 0;
	if (e != NULL) {
		assert(p->pool[e->tail - 1].doc < doc);
		p->pool[e->tail - 1].next = (uint32_t)p->npool;
		e->tail = (uint32_t)p->npool;
		return;
	}
	if (p->count == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 512;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	e = &p->v[p->count];
	e->head = e->tail = (uint32_t)p->npool;
	e->len = (uint8_t)len;
	memcpy(e->term, term, len);
	p->slots[j] = (uint32_t)++p->count;
}

/* Doc, waiting, was taken out: its postings are not to be written. */
static void
search_pending_kill(struct search_pending *p, uint32_t doc)
{
	if (p->ndead == p->deadcap) {
		p->deadcap = p->deadcap ? 2 * p->deadcap : 16;
		p->dead = xrealloc(p->dead, p->deadcap * sizeof(*p->dead));
	}
	p->dead[p->ndead++] = doc;
}

static int
search_u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* Is doc dead?  p->dead is sorted. */
static int
search_pending_is_dead(const struct search_pending *p, uint32_t doc)
{
	size_t lo = 0, hi = p->ndead;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->dead[mid] == doc)
			return 1;
		if (p->dead[mid] < doc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* As LMDB sorts the block keys of the terms. */
static int
search_pterm_cmp(const void *x, const void *y)
{
	const struct search_pterm *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->term, b->term, n);

	return c != 0 ? c : (int)a->len - (int)b->len;
}

/* Write the block b of n bytes under the key bk: in place over the block
 * the cursor stands on (no delete, so no rebalancing of half-empty
 * pages), or as a new one. */
static int
search_block_put(MDB_cursor *c, uint8_t *bk, size_t bklen, uint8_t *b,
    size_t n, int in_place)
{
	MDB_val k = { bklen, bk }, v = { n, b };

	return mdb_cursor_put(c, &k, &v, in_place ? MDB_CURRENT :
	    MDB_NOOVERWRITE);
}

/* Append the live postings waiting for e to its last block, then to new
 * blocks as each fills; they are above every number the term has. */
static int
search_post_append(MDB_cursor *c, const struct search_pending *p,
    const struct search_pterm *e)
{
	uint8_t bk[SEARCH_BKEY_MAX], b[SEARCH_BLOCK_MAX + 16];
	size_t bklen = search_block_key(bk, e->term, e->len, UINT32_MAX);
	size_t n = 0;
	MDB_val k = { bklen, bk }, v;
	uint32_t last = 0;
	int mrc, in_place = 0, dirty = 0;

	/* The last block of term: the key before the first one past it. */
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (mrc == 0)
		mrc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (mrc == MDB_NOTFOUND)
		mrc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	if (mrc == 0 && search_is_block_of(&k, bk, e->len)) {
		if (v.mv_size < 4 || v.mv_size > SEARCH_BLOCK_MAX)
			return MDB_CORRUPTED;
		last = search_get_be32(v.mv_data);
		n = v.mv_size;
		memcpy(b, v.mv_data, n);
		/* LMDB copies the key: not from its own page. */
		memcpy(bk, k.mv_data, k.mv_size);
		bklen = k.mv_size;
		in_place = 1;
	}
	for (uint32_t at = e->head; at != 0; at = p->pool[at - 1].next) {
		const struct search_ppost *pp = &p->pool[at - 1];

		if (p->ndead > 0 && search_pending_is_dead(p, pp->doc))
			continue;
		if (n > 0) {
			if (pp->doc <= last)
				return MDB_CORRUPTED;
			if (n + search_varint_len(pp->doc - last) +
			    search_varint_len(pp->code) <= SEARCH_BLOCK_MAX) {
				search_be32(b, pp->doc);
				n += search_varint_put(b + n, pp->doc - last);
				n += search_varint_put(b + n, pp->code);
				last = pp->doc;
				dirty = 1;
				continue;
			}
			if (dirty && (mrc = search_block_put(c, bk, bklen, b,
			    n, in_place)) != 0)
				return mrc;
			in_place = 0;
		}
		/* A new block, starting at this number. */
		search_be32(b, pp->doc);
		n = 4 + search_varint_put(b + 4, 0);
		n += search_varint_put(b + n, pp->code);
		bklen = search_block_key(bk, e->term, e->len, pp->doc);
		last = pp->doc;
		dirty = 1;
	}
	if (dirty)
		return search_block_put(c, bk, bklen, b, n, in_place);
	return 0;
}

/* Write the stats and norms p keeps (it keeps them still). */
static int
search_pending_write(struct store *st, MDB_txn *txn,
    const struct search_pending *p)
{
	int mrc = 0;

	if (p->has_norms)
		mrc = search_norms_put(st, txn, p->norms_at, p->norms);
	if (mrc == 0 && p->has_stats)
		mrc = search_stats_put(st, txn, &p->stats);
	return mrc;
}

void
search_discard(struct store *st)
{
	struct search_pending *p = st->search_pending;

	if (p == NULL)
		return;
	free(p->v);
	free(p->slots);
	free(p->pool);
	free(p->dead);
	free(p);
	st->search_pending = NULL;
}

int
search_flush(struct store *st, MDB_txn *txn)
{
	struct search_pending *p = st->search_pending;
	MDB_cursor *c;
	int mrc = 0;

	if (p == NULL)
		return 0;
	mrc = search_pending_write(st, txn, p);
	/* In key order: neighbouring terms share pages. */
	if (p->count > 0)
		qsort(p->v, p->count, sizeof(*p->v), search_pterm_cmp);
	if (p->ndead > 0)
		qsort(p->dead, p->ndead, sizeof(*p->dead), search_u32_cmp);
	if (mrc == 0 && p->count > 0 && (mrc = mdb_cursor_open(txn,
	    st->terms, &c)) == 0) {
		for (size_t i = 0; i < p->count && mrc == 0; i++)
			mrc = search_post_append(c, p, &p->v[i]);
		mdb_cursor_close(c);
	}
	search_discard(st);
	return mrc;
}

/* Take doc out of the postings of term, if it is there. */
static int
search_post_del(MDB_cursor *c, const char *term, size_t tlen, uint32_t doc)
{
	uint8_t bk[SEARCH_BKEY_MAX], nk[SEARCH_BKEY_MAX];
	uint8_t b[SEARCH_BLOCK_MAX + 16];
	size_t bklen = search_block_key(bk, term, tlen, doc), n = 4, kept = 0;
	MDB_val k = { bklen, bk }, v;
	const uint8_t *p, *end;
	uint32_t d, delta, code, first = 0, last = 0;
	int mrc, found = 0;

	/* The block with the greatest first number not above doc. */
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (mrc == 0 && !(k.mv_size == bklen && memcmp(k.mv_data, bk,
	    bklen) == 0))
		mrc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (mrc == MDB_NOTFOUND)
		mrc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (mrc != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	if (!search_is_block_of(&k, bk, tlen))
		return 0;
	if (v.mv_size < 4 || v.mv_size > SEARCH_BLOCK_MAX)
		return MDB_CORRUPTED;
	d = search_get_be32((const uint8_t *)k.mv_data + tlen + 1);
	p = (const uint8_t *)v.mv_data + 4;
	end = (const uint8_t *)v.mv_data + v.mv_size;
	while (p < end) {
		if (search_varint_get(&p, end, &delta) != 0 ||
		    search_varint_get(&p, end, &code) != 0)
			return MDB_CORRUPTED;
		d += delta;
		if (d == doc) {
			found = 1;
			continue;
		}
		if (kept++ == 0)
			first = last = d;
		n += search_varint_put(b + n, d - last);
		n += search_varint_put(b + n, code);
		last = d;
	}
	if (!found)
		return 0;
	search_be32(b, last);
	v.mv_size = n;
	v.mv_data = b;
	if (kept > 0 && search_get_be32((const uint8_t *)k.mv_data + tlen +
	    1) == first) {
		memcpy(nk, k.mv_data, k.mv_size);
		k.mv_data = nk;
		return mdb_cursor_put(c, &k, &v, MDB_CURRENT);
	}
	/* Empty, or its first number changed: the key changes. */
	if ((mrc = mdb_cursor_del(c, 0)) != 0 || kept == 0)
		return mrc;
	k.mv_size = search_block_key(nk, term, tlen, first);
	k.mv_data = nk;
	return mdb_cursor_put(c, &k, &v, MDB_NOOVERWRITE);
}

/* ---- terms worked out ahead, on the verifying workers ---- */

/*
 * The terms of one revision, packed: per term its posting code (4 bytes,
 * host order), its length (1) and its bytes.  Tokenising is most of the
 * cost of indexing an article and needs no store, so the verifying
 * workers do it; the writer only appends the postings.
 */
#define SEARCH_PREPARED_MAX	(256u << 10)	/* bytes of terms, else none */

struct search_prepared {
	uint8_t id[RECORD_ID_LEN];
	uint32_t title_words;
	uint32_t body_words;
	enum text_lang lang;
	size_t count;			/* terms */
	size_t len;			/* bytes of b */
	uint8_t b[];
};

struct search_worker {
	struct text *text;
	struct search_acc acc;
};

struct search_worker *
search_worker_new(void)
{
	struct search_worker *w = xcalloc(1, sizeof(*w));

	w->text = text_new();
	return w;
}

void
search_worker_free(struct search_worker **w)
{
	if (*w == NULL)
		return;
	text_free(&(*w)->text);
	search_acc_release(&(*w)->acc);
	free(*w);
	*w = NULL;
}

struct search_prepared *
search_prepare(struct search_worker *w, const struct record *r,
    const struct record_header *h, const uint8_t id[RECORD_ID_LEN])
{
	struct search_acc *acc = &w->acc;
	struct search_prepared *sp;
	enum text_lang lang;
	struct body_kb a;
	uint32_t tw, bw;
	size_t len = 0;
	uint8_t *p;

	if (strcmp(h->kind, "kb") != 0 || h->key[0] == '\0' ||
	    r->body == NULL || (h->flags & RECORD_FLAG_ENCRYPTED) ||
	    body_kb_decode(&a, r->body, r->body_len, NULL) != 0)
		return NULL;
	lang = text_lang_of(a.lang.s, a.lang.len);
	search_acc_article(acc, w->text, h->author, &a, lang, &tw, &bw);
	for (size_t i = 0; i < acc->count; i++)
		len += 5 + acc->v[i].len;
	if (len > SEARCH_PREPARED_MAX)
		return NULL;
	sp = xmalloc(sizeof(*sp) + len);
	memcpy(sp->id, id, RECORD_ID_LEN);
	sp->title_words = tw;
	sp->body_words = bw;
	sp->lang = lang;
	sp->count = acc->count;
	sp->len = len;
	p = sp->b;
	for (size_t i = 0; i < acc->count; i++) {
		uint32_t code = search_code(acc->v[i].tf_title,
		    acc->v[i].tf_body);

		memcpy(p, &code, 4);
		p[4] = acc->v[i].len;
		memcpy(p + 5, acc->v[i].term, acc->v[i].len);
		p += 5 + acc->v[i].len;
	}
	return sp;
}

void
search_prepared_free(struct search_prepared **sp)
{
	free(*sp);
	*sp = NULL;
}

/* Append the prepared postings of sp as number doc. */
static void
search_prepared_add(struct search_pending *p,
    const struct search_prepared *sp, uint32_t doc)
{
	const uint8_t *b = sp->b;

	for (size_t i = 0; i < sp->count; i++) {
		uint32_t code;

		memcpy(&code, b, 4);
		search_pending_add(p, (const char *)b + 5, b[4], doc, code);
		b += 5 + b[4];
	}
}

/* ---- articles ---- */

/* The served display winner of article key: 0 and *out, or
 * MDB_NOTFOUND when it is deleted or has no served revision. */
static int
search_winner(struct store *st, MDB_txn *txn, const char *key,
    struct store_head *out)
{
	struct store_head heads[STORE_HEADS_MAX];
	uint8_t ok[STORE_OBJKEY_MAX];
	size_t klen = strlen(key), n;
	MDB_val k, v;
	int mrc;

	assert(klen <= RECORD_KEY_MAX);
	memcpy(ok, "kb", 3);
	memcpy(ok + 3, key, klen);
	k.mv_size = 3 + klen;
	k.mv_data = ok;
	if ((mrc = mdb_get(txn, st->deleted, &k, &v)) != MDB_NOTFOUND)
		return mrc == 0 ? MDB_NOTFOUND : mrc;
	/* Among the served revisions, as kb show has it: a removed
	 * member's hidden head shows the article as it was before. */
	if ((mrc = store_heads_served_txn(st, txn, ok, 3 + klen, heads,
	    STORE_HEADS_MAX, &n)) != 0)
		return mrc;
	*out = heads[store_head_winner(heads, n)];
	return 0;
}

/* Decode the stored revision id into h and a (pointing into the map):
 * 0, or MDB_NOTFOUND when it is missing or has no article body. */
static int
search_load(struct store *st, MDB_txn *txn, const uint8_t id[RECORD_ID_LEN],
    struct record_header *h, struct body_kb *a)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	struct record r;
	int mrc;

	if ((mrc = mdb_get(txn, st->records, &k, &v)) != 0)
		return mrc;
	if (record_decode(&r, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_header_decode(h, r.header, r.header_len, NULL) != 0 ||
	    r.body == NULL || (h->flags & RECORD_FLAG_ENCRYPTED) ||
	    body_kb_decode(a, r.body, r.body_len, NULL) != 0)
		return MDB_NOTFOUND;
	return 0;
}

static int
search_doc_remove(struct store *st, MDB_txn *txn, struct text *t,
    struct search_acc *acc, uint32_t doc, const struct search_info *in,
    struct search_stats_v *s)
{
	uint8_t k5[5], kk[1 + RECORD_KEY_MAX];
	size_t klen = strlen(in->key);
	struct record_header h;
	struct body_kb a;
	MDB_cursor *c;
	MDB_val k;
	uint32_t tw, bw;
	int mrc;

	if (search_pending_has(st->search_pending, doc)) {
		/* Never written: its postings wait, and are dropped. */
		search_pending_kill(st->search_pending, doc);
		mrc = 0;
	} else if ((mrc = search_load(st, txn, in->revision, &h,
	    &a)) == 0) {
		search_acc_article(acc, t, h.author, &a, in->lang, &tw, &bw);
		search_acc_sort(acc);	/* neighbouring terms share pages */
		if ((mrc = mdb_cursor_open(txn, st->terms, &c)) != 0)
			return mrc;
		for (size_t i = 0; i < acc->count && mrc == 0; i++)
			mrc = search_post_del(c, acc->v[i].term,
			    acc->v[i].len, doc);
		mdb_cursor_close(c);
	} else if (mrc == MDB_NOTFOUND) {
		mrc = 0;	/* postings stay, dead: see the top */
	}
	if (mrc != 0)
		return mrc;
	k5[0] = 'd';
	search_be32(k5 + 1, doc);
	k.mv_size = 5;
	k.mv_data = k5;
	if ((mrc = mdb_del(txn, st->docs, &k, NULL)) != 0)
		return mrc;
	kk[0] = 'k';
	memcpy(kk + 1, in->key, klen);
	k.mv_size = 1 + klen;
	k.mv_data = kk;
	if ((mrc = mdb_del(txn, st->docs, &k, NULL)) != 0 ||
	    (mrc = search_norm_put(st, txn, doc, 0, 0, 0)) != 0)
		return mrc;
	s->docs--;
	s->title_words -= in->title_words;
	s->body_words -= in->body_words;
	return 0;
}

/* Index the winner w of article key as a new number: from its terms
 * prepared in sp if they are the winner's, else from its stored text. */
static int
search_doc_add(struct store *st, MDB_txn *txn, struct text *t,
    struct search_acc *acc, const char *key, const struct store_head *w,
    const struct search_prepared *sp, struct search_stats_v *s)
{
	uint8_t kk[1 + RECORD_KEY_MAX], d4[4];
	size_t klen = strlen(key);
	struct record_header h;
	struct search_info in;
	struct body_kb a;
	struct search_pending *p;
	uint32_t doc;
	int mrc;

	if (sp != NULL && memcmp(sp->id, w->id, RECORD_ID_LEN) != 0)
		sp = NULL;
	if (sp == NULL && (mrc = search_load(st, txn, w->id, &h, &a)) != 0)
		return mrc == MDB_NOTFOUND ? 0 : mrc;
	if (s->next > UINT32_MAX)
		return MDB_MAP_FULL;	/* 4 billion revisions: reindex */
	doc = (uint32_t)s->next++;
	memset(&in, 0, sizeof(in));
	memcpy(in.revision, w->id, RECORD_ID_LEN);
	in.ts = w->ts;
	memcpy(in.key, key, klen + 1);
	p = search_pending_of(st);
	if (sp != NULL) {
		in.lang = sp->lang;
		in.title_words = sp->title_words;
		in.body_words = sp->body_words;
		search_prepared_add(p, sp, doc);
	} else {
		in.lang = text_lang_of(a.lang.s, a.lang.len);
		search_acc_article(acc, t, h.author, &a, in.lang,
		    &in.title_words, &in.body_words);
		for (size_t i = 0; i < acc->count; i++)
			search_pending_add(p, acc->v[i].term, acc->v[i].len,
			    doc, search_code(acc->v[i].tf_title,
			    acc->v[i].tf_body));
	}
	kk[0] = 'k';
	memcpy(kk + 1, key, klen);
	search_be32(d4, doc);
	if ((mrc = search_info_put(st, txn, doc, &in)) != 0 ||
	    (mrc = store_put(txn, st->docs, kk, 1 + klen, d4, 4, 0)) != 0 ||
	    (mrc = search_norm_put(st, txn, doc, 1, in.title_words,
	    in.body_words)) != 0)
		return mrc;
	s->docs++;
	s->title_words += in.title_words;
	s->body_words += in.body_words;
	if (search_pending_bytes(p) > SEARCH_PENDING_MAX)
		return search_flush(st, txn);
	return 0;
}

/* Bring the index of article key up to date with its winner. */
static int
search_update(struct store *st, MDB_txn *txn, struct text *t,
    struct search_acc *acc, const char *key,
    const struct search_prepared *sp, struct search_stats_v *s)
{
	uint8_t kk[1 + RECORD_KEY_MAX];
	size_t klen = strlen(key);
	struct search_info in;
	struct store_head w;
	MDB_val k, v;
	uint32_t doc = 0;
	int mrc, has_winner, has_old;

	if (klen == 0 || klen > RECORD_KEY_MAX)
		return 0;
	mrc = search_winner(st, txn, key, &w);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	has_winner = mrc == 0;
	kk[0] = 'k';
	memcpy(kk + 1, key, klen);
	k.mv_size = 1 + klen;
	k.mv_data = kk;
	mrc = mdb_get(txn, st->docs, &k, &v);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	has_old = mrc == 0;
	if (has_old) {
		if (v.mv_size != 4)
			return MDB_CORRUPTED;
		doc = search_get_be32(v.mv_data);
		if ((mrc = search_info_get(st, txn, doc, &in)) != 0)
			return mrc;
		if (has_winner && memcmp(in.revision, w.id,
		    RECORD_ID_LEN) == 0)
			return 0;	/* another head came: same winner */
		if ((mrc = search_doc_remove(st, txn, t, acc, doc, &in,
		    s)) != 0)
			return mrc;
	}
	if (has_winner)
		return search_doc_add(st, txn, t, acc, key, &w, sp, s);
	return 0;
}

int
search_article_changed(struct store *st, MDB_txn *txn, const char *key)
{
	struct search_pending *p;
	int mrc;

	if ((mrc = search_article_prepared(st, txn, key, NULL)) != 0)
		return mrc;
	/* The stats and norms are written now, as they always were here:
	 * a transaction that only took an article out (no postings wait)
	 * may commit without search_flush(). */
	p = st->search_pending;
	if (p == NULL || (mrc = search_pending_write(st, txn, p)) != 0)
		return mrc;
	if (p->npool == 0 && p->ndead == 0)
		search_discard(st);
	return 0;
}

int
search_article_prepared(struct store *st, MDB_txn *txn, const char *key,
    const struct search_prepared *sp)
{
	struct search_worker *w = st->wsearch;
	struct search_stats_v s;
	int mrc;

	if ((mrc = search_pending_stats(st, txn, &s)) != 0)
		return mrc;
	mrc = search_update(st, txn, w->text, &w->acc, key, sp, &s);
	if (mrc == 0) {
		/* Anew: search_update() may have flushed the pending. */
		struct search_pending *p = search_pending_of(st);

		p->stats = s;
		p->has_stats = 1;
	}
	return mrc;
}

/* Index every article again inside txn; their count goes to the uint64_t
 * at articles. */
static int
search_reindex_txn(struct store *st, MDB_txn *txn, void *articles)
{
	char key[RECORD_KEY_MAX + 1];
	struct search_stats_v s;
	struct search_acc acc;
	struct text *t;
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	assert(st->search_pending == NULL);	/* flushed or discarded */
	if ((mrc = mdb_drop(txn, st->terms, 0)) != 0 ||
	    (mrc = mdb_drop(txn, st->docs, 0)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->heads, &c)) != 0)
		return mrc;
	memset(&s, 0, sizeof(s));
	memset(&acc, 0, sizeof(acc));
	t = st->wsearch->text;
	k.mv_size = 3;
	k.mv_data = "kb";
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (mrc == 0 && k.mv_size > 3 && memcmp(k.mv_data, "kb", 3) == 0) {
		if (k.mv_size - 3 <= RECORD_KEY_MAX) {
			memcpy(key, (char *)k.mv_data + 3, k.mv_size - 3);
			key[k.mv_size - 3] = '\0';
			if (strlen(key) == k.mv_size - 3 &&
			    (mrc = search_update(st, txn, t, &acc, key, NULL,
			    &s)) != 0)
				break;
		}
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
	}
	mdb_cursor_close(c);
	search_acc_release(&acc);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	if ((mrc = search_flush(st, txn)) != 0)
		return mrc;
	*(uint64_t *)articles = s.docs;
	if ((mrc = search_stats_put(st, txn, &s)) != 0)
		return mrc;
	k.mv_size = strlen(SEARCH_MARK);
	k.mv_data = SEARCH_MARK;
	mrc = mdb_del(txn, st->meta, &k, NULL);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/*
 * Run fn(st, txn, arg) in a write transaction and commit it; on a full
 * map, grow it and run fn again.  An LMDB code from fn is an error with
 * its text, but MDB_NOTFOUND is AMIE_ENOTFOUND saying notfound when that
 * is not NULL.
 */
static int
search_write(struct store *st, int (*fn)(struct store *, MDB_txn *, void *),
    void *arg, const char *notfound, struct errbuf *eb)
{
	MDB_txn *txn;
	int mrc, rc;

	for (;;) {
		if ((mrc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
			return store_fail(eb, mrc, "reindex");
		if ((mrc = fn(st, txn, arg)) == 0) {
			mrc = store_commit(st, txn, 1);
		} else {
			search_discard(st);	/* before another writer */
			mdb_txn_abort(txn);
		}
		if (mrc == 0)
			return 0;
		if (mrc == MDB_NOTFOUND && notfound != NULL)
			return fail(eb, AMIE_ENOTFOUND, "%s", notfound);
		if (mrc != MDB_MAP_FULL)
			return store_fail(eb, mrc, "reindex");
		if ((rc = store_grow(st, eb)) != 0)
			return rc;
	}
}

int
search_reindex(struct store *st, uint64_t *articles, struct errbuf *eb)
{
	uint64_t n = 0;
	int rc;

	if ((rc = search_write(st, search_reindex_txn, &n, NULL, eb)) != 0)
		return rc;
	*articles = n;
	return 0;
}

/* ---- rebuilding in steps ---- */

/*
 * The mark of a rebuild under way, in `meta` under SEARCH_MARK: the
 * articles there were at its start (8, BE), the articles gone through
 * (8, BE), and the id of the last one gone through (none before the
 * first step).  Articles are gone through in the order of `heads`.
 */
struct search_mark {
	uint64_t total;
	uint64_t done;
	size_t last_len;
	char last[RECORD_KEY_MAX + 1];
};

/* 0 and *m, MDB_NOTFOUND when no rebuild is under way, or an LMDB code. */
static int
search_mark_get(struct store *st, MDB_txn *txn, struct search_mark *m)
{
	MDB_val k = { strlen(SEARCH_MARK), SEARCH_MARK }, v;
	int mrc;

	if ((mrc = mdb_get(txn, st->meta, &k, &v)) != 0)
		return mrc;
	if (v.mv_size < SEARCH_MARK_FIXED ||
	    v.mv_size > SEARCH_MARK_FIXED + RECORD_KEY_MAX)
		return MDB_CORRUPTED;
	m->total = store_get_be64(v.mv_data);
	m->done = store_get_be64((const uint8_t *)v.mv_data + 8);
	m->last_len = v.mv_size - SEARCH_MARK_FIXED;
	memcpy(m->last, (const uint8_t *)v.mv_data + SEARCH_MARK_FIXED,
	    m->last_len);
	m->last[m->last_len] = '\0';
	return 0;
}

static int
search_mark_put(struct store *st, MDB_txn *txn, const struct search_mark *m)
{
	uint8_t b[SEARCH_MARK_FIXED + RECORD_KEY_MAX];

	assert(m->last_len <= RECORD_KEY_MAX);
	store_be64(b, m->total);
	store_be64(b + 8, m->done);
	memcpy(b + SEARCH_MARK_FIXED, m->last, m->last_len);
	return store_put(txn, st->meta, SEARCH_MARK, strlen(SEARCH_MARK), b,
	    SEARCH_MARK_FIXED + m->last_len, 0);
}

/* Is k a key of `heads` for an article (kind "kb")? */
static int
search_is_article(const MDB_val *k)
{
	return k->mv_size > 3 && memcmp(k->mv_data, "kb", 3) == 0;
}

/* The article id of heads key k into key: 0, or -1 when it is none we
 * index (too long, or with a NUL). */
static int
search_article_key(const MDB_val *k, char key[RECORD_KEY_MAX + 1])
{
	if (k->mv_size - 3 > RECORD_KEY_MAX)
		return -1;
	memcpy(key, (const char *)k->mv_data + 3, k->mv_size - 3);
	key[k->mv_size - 3] = '\0';
	return strlen(key) == k->mv_size - 3 ? 0 : -1;
}

/* Drop the index and mark a rebuild of all articles, whose count goes to
 * the uint64_t at total. */
static int
search_reindex_start_txn(struct store *st, MDB_txn *txn, void *total)
{
	char key[RECORD_KEY_MAX + 1];
	struct search_mark m;
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	memset(&m, 0, sizeof(m));
	if ((mrc = mdb_drop(txn, st->terms, 0)) != 0 ||
	    (mrc = mdb_drop(txn, st->docs, 0)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->heads, &c)) != 0)
		return mrc;
	k.mv_size = 3;
	k.mv_data = "kb";
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     mrc == 0 && search_is_article(&k);
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP))
		if (search_article_key(&k, key) == 0)
			m.total++;
	mdb_cursor_close(c);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	*(uint64_t *)total = m.total;
	return search_mark_put(st, txn, &m);
}

/* Go through the next count articles of the rebuild m, inside txn. */
static int
search_reindex_step_txn(struct store *st, MDB_txn *txn, uint64_t count,
    struct search_mark *m, int *finished)
{
	uint8_t hk[3 + RECORD_KEY_MAX];
	char key[RECORD_KEY_MAX + 1];
	struct search_stats_v s;
	struct search_acc acc;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0;
	int mrc;

	assert(st->search_pending == NULL);	/* flushed or discarded */
	if ((mrc = search_mark_get(st, txn, m)) != 0)
		return mrc;
	if ((mrc = search_stats_get(st, txn, &s)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->heads, &c)) != 0)
		return mrc;
	memcpy(hk, "kb", 3);
	memcpy(hk + 3, m->last, m->last_len);
	k.mv_size = 3 + m->last_len;
	k.mv_data = hk;
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	/* Past the last one gone through, which may be gone since. */
	if (mrc == 0 && m->last_len > 0 && k.mv_size == 3 + m->last_len &&
	    memcmp(k.mv_data, hk, k.mv_size) == 0)
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
	memset(&acc, 0, sizeof(acc));
	while (mrc == 0 && search_is_article(&k) && n < count) {
		if (search_article_key(&k, key) == 0) {
			/* An article written since the start is indexed
			 * already: search_update() leaves it. */
			if ((mrc = search_update(st, txn, st->wsearch->text,
			    &acc, key, NULL, &s)) != 0)
				break;
			m->last_len = strlen(key);
			memcpy(m->last, key, m->last_len + 1);
			m->done++;
			n++;
		}
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
	}
	*finished = mrc == MDB_NOTFOUND ||
	    (mrc == 0 && !search_is_article(&k));
	mdb_cursor_close(c);
	search_acc_release(&acc);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return mrc;
	if ((mrc = search_flush(st, txn)) != 0 ||
	    (mrc = search_stats_put(st, txn, &s)) != 0)
		return mrc;
	if (!*finished)
		return search_mark_put(st, txn, m);
	k.mv_size = strlen(SEARCH_MARK);
	k.mv_data = SEARCH_MARK;
	return mdb_del(txn, st->meta, &k, NULL);
}

int
search_reindex_start(struct store *st, uint64_t *total, struct errbuf *eb)
{
	uint64_t n = 0;
	int rc;

	if ((rc = search_write(st, search_reindex_start_txn, &n, NULL,
	    eb)) != 0)
		return rc;
	*total = n;
	return 0;
}

/* search_reindex_step()'s arguments and results, for search_write(). */
struct search_step {
	uint64_t count;
	struct search_mark m;
	int finished;
};

static int
search_reindex_next(struct store *st, MDB_txn *txn, void *arg)
{
	struct search_step *sp = arg;

	return search_reindex_step_txn(st, txn, sp->count, &sp->m,
	    &sp->finished);
}

int
search_reindex_step(struct store *st, uint64_t count,
    struct search_progress *pr, struct errbuf *eb)
{
	struct search_step sp = { .count = count };
	int rc;

	assert(count > 0);
	if ((rc = search_write(st, search_reindex_next, &sp,
	    "reindex: no rebuild of the index under way", eb)) != 0)
		return rc;
	pr->running = !sp.finished;
	pr->done = sp.m.done;
	pr->total = sp.m.total > sp.m.done ? sp.m.total : sp.m.done;
	return 0;
}

int
search_reindex_progress(struct store *st, struct search_progress *pr,
    struct errbuf *eb)
{
	struct search_mark m;
	MDB_txn *txn;
	int mrc;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "reindex");
	mrc = search_mark_get(st, txn, &m);
	mdb_txn_abort(txn);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		return store_fail(eb, mrc, "reindex");
	memset(pr, 0, sizeof(*pr));
	if (mrc == 0) {
		pr->running = 1;
		pr->done = m.done;
		pr->total = m.total > m.done ? m.total : m.done;
	}
	return 0;
}

/* ---- queries ---- */

struct search_post {
	uint32_t doc;
	uint32_t code;
};

struct search_list {
	struct search_post *v;
	size_t count, cap;
};

struct search_qword {
	unsigned count;
	uint8_t term_len[TEXT_FORMS_MAX];
	char term[TEXT_FORMS_MAX][TEXT_TERM_MAX];
	struct search_list list;
	size_t at;			/* evaluation cursor in list */
	double idf;
	/* For pruning (search_eval_bounds()): the postings of list with
	 * the word in the title, and the frequency parts of the greatest
	 * frequencies at each quantised title and body length. */
	struct search_list titled;
	size_t titled_at;		/* evaluation cursor in titled */
	double ub_title[256];
	double ub_body[256];
};

struct search_q {
	struct search_qword w[SEARCH_TERMS_MAX];
	size_t count;
	int too_many;
	struct search_list scratch[TEXT_FORMS_MAX];	/* one per term */
};

struct search_scored {
	uint32_t doc;
	double score;
};

/* The best candidates so far: a heap of at most cap, the worst on top. */
struct search_top {
	struct search_scored *v;
	size_t count, cap;
};

/* What queries keep between them (st->search_cache): their buffers,
 * whose pages would otherwise be mapped and cleared again for each
 * query, up to SEARCH_KEEP_BYTES, and what the last one did. */
struct search_cache {
	struct search_q q;
	struct search_list filter[4];
	struct search_top top;
	struct search_work work;
	int exhaustive;
};

/* Make room for more postings in l. */
static void
search_list_reserve(struct search_list *l, size_t more)
{
	size_t cap = l->cap ? l->cap : 64;

	if (l->cap - l->count >= more)
		return;
	while (cap - l->count < more)
		cap *= 2;
	l->v = xrealloc(l->v, cap * sizeof(*l->v));
	l->cap = cap;
}

static void
search_list_swap(struct search_list *a, struct search_list *b)
{
	struct search_list t = *a;

	*a = *b;
	*b = t;
}

static int
search_q_word(void *ctx, const struct text_word *w)
{
	struct search_q *q = ctx;
	struct search_qword *qw;

	/* The same word twice counts once. */
	for (size_t i = 0; i < q->count; i++)
		if (q->w[i].count == w->count && q->w[i].term_len[0] ==
		    w->term_len[0] && memcmp(q->w[i].term[0], w->term[0],
		    w->term_len[0]) == 0)
			return 0;
	if (q->count == SEARCH_TERMS_MAX) {
		q->too_many = 1;
		return 1;
	}
	qw = &q->w[q->count++];
	qw->count = w->count;
	qw->list.count = 0;
	qw->at = 0;
	qw->titled.count = 0;
	for (unsigned i = 0; i < w->count; i++) {
		qw->term_len[i] = w->term_len[i];
		memcpy(qw->term[i], w->term[i], w->term_len[i]);
	}
	return 0;
}

/* Keep l's buffer if *kept bytes leave room for it, else free it. */
static void
search_list_keep(struct search_list *l, size_t *kept)
{
	size_t len = l->cap * sizeof(*l->v);

	if (*kept + len <= SEARCH_KEEP_BYTES) {
		*kept += len;
	} else {
		free(l->v);
		l->v = NULL;
		l->cap = 0;
	}
	l->count = 0;
}

/* After a query: the buffers of c, up to SEARCH_KEEP_BYTES in all. */
static void
search_cache_trim(struct search_cache *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < SEARCH_TERMS_MAX; i++)
		search_list_keep(&c->q.w[i].list, &kept);
	for (size_t i = 0; i < SEARCH_TERMS_MAX; i++)
		search_list_keep(&c->q.w[i].titled, &kept);
	for (size_t i = 0; i < TEXT_FORMS_MAX; i++)
		search_list_keep(&c->q.scratch[i], &kept);
	for (size_t i = 0; i < 4; i++)
		search_list_keep(&c->filter[i], &kept);
	if (c->top.cap * sizeof(*c->top.v) > SEARCH_KEEP_BYTES / 16) {
		free(c->top.v);
		c->top.v = NULL;
		c->top.cap = 0;
	}
	c->top.count = 0;
}

static struct search_cache *
search_cache_of(struct store *st)
{
	if (st->search_cache == NULL)
		st->search_cache = xcalloc(1, sizeof(*st->search_cache));
	return st->search_cache;
}

void
search_cache_free(struct store *st)
{
	struct search_cache *c = st->search_cache;

	if (c == NULL)
		return;
	for (size_t i = 0; i < SEARCH_TERMS_MAX; i++) {
		free(c->q.w[i].list.v);
		free(c->q.w[i].titled.v);
	}
	for (size_t i = 0; i < TEXT_FORMS_MAX; i++)
		free(c->q.scratch[i].v);
	for (size_t i = 0; i < 4; i++)
		free(c->filter[i].v);
	free(c->top.v);
	free(c);
	st->search_cache = NULL;
}

/* Append the postings of term to l, in number order. */
static int
search_read_term(MDB_cursor *c, const char *term, size_t tlen,
    struct search_list *l)
{
	uint8_t bk[SEARCH_BKEY_MAX];
	MDB_val k, v;
	const uint8_t *p, *end;
	uint32_t d, delta, code;
	int mrc;

	/* One walk over the blocks: a posting takes 2 bytes at least, so
	 * the size of a block bounds its postings.  The list keeps its
	 * buffer from query to query, so it rarely grows. */
	k.mv_size = search_block_key(bk, term, tlen, 0);
	k.mv_data = bk;
	mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (mrc == 0 && search_is_block_of(&k, bk, tlen)) {
		struct search_post *o;

		if (v.mv_size < 4)
			return MDB_CORRUPTED;
		search_list_reserve(l, (v.mv_size - 4) / 2);
		o = l->v + l->count;
		d = search_get_be32((const uint8_t *)k.mv_data + tlen + 1);
		p = (const uint8_t *)v.mv_data + 4;
		end = (const uint8_t *)v.mv_data + v.mv_size;
		while (p < end) {
			if (search_varint_get(&p, end, &delta) != 0 ||
			    search_varint_get(&p, end, &code) != 0)
				return MDB_CORRUPTED;
			d += delta;
			o->doc = d;
			o->code = code;
			o++;
		}
		l->count = (size_t)(o - l->v);
		assert(l->count <= l->cap);
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* The postings of a word: the union over its terms, keeping the larger
 * frequency of each field for a number in several. */
static int
search_read_word(MDB_cursor *c, struct search_qword *w,
    struct search_list scratch[TEXT_FORMS_MAX])
{
	size_t at[TEXT_FORMS_MAX] = { 0 }, total = 0;
	unsigned lists = 0, one = 0;
	int mrc;

	assert(w->count <= TEXT_FORMS_MAX);
	for (unsigned i = 0; i < w->count; i++) {
		scratch[i].count = 0;
		if ((mrc = search_read_term(c, w->term[i], w->term_len[i],
		    &scratch[i])) != 0)
			return mrc;
		total += scratch[i].count;
		if (scratch[i].count > 0) {
			lists++;
			one = i;
		}
	}
	w->list.count = 0;
	if (lists <= 1) {
		if (lists == 1)
			search_list_swap(&w->list, &scratch[one]);
		return 0;
	}
	search_list_reserve(&w->list, total);
	for (;;) {
		struct search_post *o = w->list.v + w->list.count;
		const struct search_list *la;
		uint32_t doc = 0, next = 0, tb = 0, tt = 0;
		unsigned a = TEXT_FORMS_MAX;
		int more = 0;

		/* The list with the first number (a), and the first number
		 * of the others (next, if more). */
		for (unsigned i = 0; i < w->count; i++) {
			uint32_t d;

			if (at[i] == scratch[i].count)
				continue;
			d = scratch[i].v[at[i]].doc;
			if (a == TEXT_FORMS_MAX) {
				a = i;
				doc = d;
			} else if (d < doc) {
				next = doc;
				more = 1;
				a = i;
				doc = d;
			} else if (!more || d < next) {
				next = d;
				more = 1;
			}
		}
		if (a == TEXT_FORMS_MAX)
			return 0;
		/* The run of a before the others: copied as it is. */
		la = &scratch[a];
		while (at[a] < la->count && (!more || la->v[at[a]].doc < next))
			*o++ = la->v[at[a]++];
		w->list.count = (size_t)(o - w->list.v);
		if (!more || at[a] == la->count || la->v[at[a]].doc != next)
			continue;
		/* A number of several terms. */
		for (unsigned i = 0; i < w->count; i++) {
			uint32_t code;

			if (at[i] == scratch[i].count ||
			    scratch[i].v[at[i]].doc != next)
				continue;
			code = scratch[i].v[at[i]++].code;
			if (code >> 2 > tb)
				tb = code >> 2;
			if ((code & 3) > tt)
				tt = code & 3;
		}
		o->doc = next;
		o->code = tb << 2 | tt;
		w->list.count++;
	}
}

/* Move *at forward to the first posting of l at or past doc, galloping:
 * 1 if that posting is doc's. */
static int
search_seek(const struct search_list *l, size_t *at, uint32_t doc)
{
	size_t lo = *at, hi, step = 1;

	if (lo == l->count || l->v[lo].doc >= doc)
		return lo < l->count && l->v[lo].doc == doc;
	/* v[lo] is before doc: find hi past lo with v[hi] at or past it. */
	hi = lo + 1;
	while (hi < l->count && l->v[hi].doc < doc) {
		lo = hi;
		step *= 2;
		hi = lo + step;
	}
	if (hi > l->count)
		hi = l->count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].doc < doc)
			lo = mid;
		else
			hi = mid;
	}
	*at = hi;
	return hi < l->count && l->v[hi].doc == doc;
}

/* Read the postings of a filter term into l. */
static int
search_read_filter(MDB_cursor *c, struct text *t, char what, const char *s,
    const uint8_t *author, struct search_list *l)
{
	char term[SEARCH_TERMKEY_MAX + 1];	/* + the NUL of record_id_hex() */
	size_t n;

	term[0] = '\1';
	term[1] = what;
	if (author != NULL) {
		record_id_hex(term + 2, author);
		n = 2 * RECORD_KEY_LEN;
	} else {
		n = text_label(t, s, s != NULL ? strlen(s) : 0, term + 2);
	}
	return search_read_term(c, term, n + 2, l);
}

static int
search_scored_before(const struct search_scored *a,
    const struct search_scored *b)
{
	return a->score > b->score || (a->score == b->score && a->doc < b->doc);
}

static int
search_scored_cmp(const void *x, const void *y)
{
	const struct search_scored *a = x, *b = y;

	if (search_scored_before(a, b))
		return -1;
	return search_scored_before(b, a);
}

/* ---- snippets ---- */

struct search_snip {
	const struct search_q *q;
	size_t lead[SEARCH_LEAD_WORDS];	/* starts of recent words */
	size_t nlead;
	int found;
	size_t from;			/* first byte of the excerpt */
	size_t marks[SEARCH_MARKS_MAX][2];
	size_t nmarks;
};

static int
search_snip_matches(const struct search_q *q, const struct text_word *w)
{
	for (size_t i = 0; i < q->count; i++)
		for (unsigned j = 0; j < q->w[i].count; j++)
			for (unsigned k = 0; k < w->count; k++)
				if (q->w[i].term_len[j] == w->term_len[k] &&
				    memcmp(q->w[i].term[j], w->term[k],
				    w->term_len[k]) == 0)
					return 1;
	return 0;
}

static int
search_snip_word(void *ctx, const struct text_word *w)
{
	struct search_snip *sn = ctx;
	int match = search_snip_matches(sn->q, w);

	if (!sn->found) {
		if (!match) {
			if (sn->nlead == SEARCH_LEAD_WORDS) {
				memmove(sn->lead, sn->lead + 1,
				    (SEARCH_LEAD_WORDS - 1) *
				    sizeof(sn->lead[0]));
				sn->nlead--;
			}
			sn->lead[sn->nlead++] = w->start;
			return 0;
		}
		sn->found = 1;
		sn->from = w->start;
		if (w->start <= SEARCH_LEAD_BYTES)
			sn->from = 0;
		else
			for (size_t i = 0; i < sn->nlead; i++)
				if (w->start - sn->lead[i] <=
				    SEARCH_LEAD_BYTES) {
					sn->from = sn->lead[i];
					break;
				}
	}
	if (w->start >= sn->from + SEARCH_SNIPPET_MAX)
		return 1;		/* past the excerpt: stop reading */
	if (match && sn->nmarks < SEARCH_MARKS_MAX) {
		sn->marks[sn->nmarks][0] = w->start;
		sn->marks[sn->nmarks][1] = w->end;
		sn->nmarks++;
	}
	return 0;
}

/* Bytes of the UTF-8 sequence that starts with c (1 for a stray byte). */
static size_t
search_u8len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc2)
		return 2;
	return 1;
}

/* Write the excerpt of s that sn found into out, marked; whitespace and
 * control bytes become single spaces. */
static void
search_snip_render(const struct search_snip *sn, const char *s, size_t len,
    char out[SEARCH_SNIPPET_MAX + 1])
{
	size_t pos = sn->from, n = 0, m = 0, cut = 0;
	int cut_short = 0;

	while (pos < len) {
		unsigned char c = (unsigned char)s[pos];
		size_t l;

		if (m < sn->nmarks && pos == sn->marks[m][0]) {
			l = sn->marks[m][1] - pos;
			if (n + l + 2 > SEARCH_SNIPPET_MAX) {
				cut_short = 1;
				break;
			}
			out[n++] = '\1';
			memcpy(out + n, s + pos, l);
			n += l;
			out[n++] = '\2';
			pos += l;
			m++;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (n > 0 && out[n - 1] != ' ') {
				if (n + 1 > SEARCH_SNIPPET_MAX) {
					cut_short = 1;
					break;
				}
				cut = n;
				out[n++] = ' ';
			}
			pos++;
			continue;
		}
		l = search_u8len(c);
		if (pos + l > len)
			l = len - pos;
		if (n + l > SEARCH_SNIPPET_MAX) {
			cut_short = 1;
			break;
		}
		memcpy(out + n, s + pos, l);
		n += l;
		pos += l;
	}
	/* Cut short: end on a word boundary when one is near. */
	if (cut_short && cut > 0 && n - cut < 32)
		n = cut;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The snippet of a result: its body around the first matched word, else
 * its title. */
static void
search_snippet(struct text *t, const struct search_q *q,
    const struct body_kb *a, enum text_lang lang,
    char out[SEARCH_SNIPPET_MAX + 1])
{
	struct search_snip sn;

	memset(&sn, 0, sizeof(sn));
	sn.q = q;
	text_words(t, a->text.s, a->text.len, lang, search_snip_word, &sn);
	if (sn.found) {
		search_snip_render(&sn, a->text.s, a->text.len, out);
		return;
	}
	memset(&sn, 0, sizeof(sn));
	sn.q = q;
	text_words(t, a->title.s, a->title.len, lang, search_snip_word, &sn);
	if (sn.found) {
		search_snip_render(&sn, a->title.s, a->title.len, out);
		return;
	}
	sn.from = 0;
	search_snip_render(&sn, a->text.s, a->text.len, out);
}

/* ---- the query ---- */

/* One evaluation of a query over its postings. */
struct search_eval {
	struct store *st;
	MDB_txn *txn;
	struct search_q *q;
	struct search_list *filter;	/* numbers every result has */
	size_t nfilter;
	size_t filter_at[4];
	/* The BM25 length part of each quantised length, per field, and
	 * the frequency parts of small frequencies (0: not yet known). */
	double norm_title[256];
	double norm_body[256];
	double tfn_title[4][256];
	double tfn_body[SEARCH_TFN_MAX][256];
	uint32_t chunk;			/* of norms, UINT32_MAX for none */
	const uint8_t *norms;		/* valid until the txn ends */
	size_t scored;			/* candidates given a score */
	size_t pruned;			/* candidates that could not make it */
	int prune;			/* skip those (else score them all) */
	int bounded;			/* the words' ub_* are set */
	struct search_top top;
};

static void
search_top_up(struct search_scored *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct search_scored tmp;

		if (!search_scored_before(&h[p], &h[i]))
			return;
		tmp = h[i];
		h[i] = h[p];
		h[p] = tmp;
		i = p;
	}
}

static void
search_top_down(struct search_scored *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct search_scored tmp;

		if (l < n && search_scored_before(&h[m], &h[l]))
			m = l;
		if (r < n && search_scored_before(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

/* Keep (doc, score) if it is among the cap best so far. */
static void
search_top_add(struct search_top *t, uint32_t doc, double score)
{
	struct search_scored s = { doc, score };

	if (t->count < t->cap) {
		t->v[t->count] = s;
		search_top_up(t->v, t->count++);
	} else if (search_scored_before(&s, &t->v[0])) {
		t->v[0] = s;
		search_top_down(t->v, t->count, 0);
	}
}

static double
search_tfnorm(uint32_t tf, double norm)
{
	if (tf == 0)
		return 0;
	return tf * (SEARCH_K1 + 1) / (tf + norm);
}

/* search_tfnorm() of a field, remembered in tfn for small tf. */
static inline double
search_tfnorm_of(double (*tfn)[256], uint32_t tf, uint32_t tf_max,
    const double norm[256], uint8_t len)
{
	if (tf == 0)
		return 0;
	if (tf >= tf_max)
		return search_tfnorm(tf, norm[len]);
	if (tfn[tf][len] == 0)
		tfn[tf][len] = search_tfnorm(tf, norm[len]);
	return tfn[tf][len];
}

/* Whether doc passes the filters and is live (*ok), and if so its
 * quantised title and body lengths.  Returns 0 or an LMDB code. */
static inline int
search_eval_lens(struct search_eval *e, uint32_t doc, int *ok, uint8_t *qt,
    uint8_t *qb)
{
	int mrc;

	*ok = 0;
	for (size_t i = 0; i < e->nfilter; i++)
		if (!search_seek(&e->filter[i], &e->filter_at[i], doc))
			return 0;
	if (doc / SEARCH_NORMS_CHUNK != e->chunk) {
		uint8_t k5[5];
		MDB_val k = { 5, k5 }, v;

		e->chunk = doc / SEARCH_NORMS_CHUNK;
		k5[0] = 'n';
		search_be32(k5 + 1, e->chunk);
		mrc = mdb_get(e->txn, e->st->docs, &k, &v);
		if (mrc != 0 && mrc != MDB_NOTFOUND)
			return mrc;
		e->norms = mrc == 0 && v.mv_size == 2 * SEARCH_NORMS_CHUNK ?
		    v.mv_data : NULL;
	}
	if (e->norms == NULL)
		return 0;
	*qt = e->norms[2 * (doc % SEARCH_NORMS_CHUNK)];
	*qb = e->norms[2 * (doc % SEARCH_NORMS_CHUNK) + 1];
	if (*qt == SEARCH_NORM_DEAD)
		return 0;	/* taken out, postings left */
	*ok = 1;
	return 0;
}

/* What word w adds to the score of the number its cursor stands at, of
 * quantised lengths qt and qb. */
static inline double
search_eval_word(struct search_eval *e, const struct search_qword *w,
    uint8_t qt, uint8_t qb)
{
	uint32_t code = w->list.v[w->at].code;

	return w->idf * (SEARCH_TITLE_BOOST * search_tfnorm_of(e->tfn_title,
	    code & 3, 4, e->norm_title, qt) + search_tfnorm_of(e->tfn_body,
	    code >> 2, SEARCH_TFN_MAX, e->norm_body, qb));
}

/* Score doc, of quantised lengths qt and qb, which has all the words,
 * or any in the fallback, and passes the filters.  The word cursors
 * stand at doc or past it. */
static inline void
search_eval_score(struct search_eval *e, uint32_t doc, uint8_t qt,
    uint8_t qb)
{
	struct search_q *q = e->q;
	double score = 0;

	for (size_t i = 0; i < q->count; i++) {
		const struct search_qword *w = &q->w[i];

		if (w->at == w->list.count || w->list.v[w->at].doc != doc)
			continue;
		score += search_eval_word(e, w, qt, qb);
	}
	e->scored++;
	search_top_add(&e->top, doc, score);
}

/* Score doc as search_eval_score() if it passes the filters and is
 * live.  Returns 0 or an LMDB code. */
static int
search_eval_doc(struct search_eval *e, uint32_t doc)
{
	uint8_t qt, qb;
	int mrc, ok;

	if ((mrc = search_eval_lens(e, doc, &ok, &qt, &qb)) != 0 || !ok)
		return mrc;
	search_eval_score(e, doc, qt, qb);
	return 0;
}

/* Set the titled, ub_title and ub_body of each word but drive: the
 * frequency parts of its greatest frequencies (of a union, those of the
 * larger of each field) at each length, which bound those of any number
 * it has (search_tfnorm() grows with the frequency). */
static void
search_eval_bounds(struct search_eval *e, const struct search_qword *drive)
{
	for (size_t i = 0; i < e->q->count; i++) {
		struct search_qword *w = &e->q->w[i];
		uint32_t tb_max = 0, tt_max = 0;

		if (w == drive)
			continue;
		w->titled.count = 0;
		w->titled_at = 0;
		for (size_t j = 0; j < w->list.count; j++) {
			uint32_t code = w->list.v[j].code;

			if (code >> 2 > tb_max)
				tb_max = code >> 2;
			if ((code & 3) == 0)
				continue;
			if ((code & 3) > tt_max)
				tt_max = code & 3;
			if (w->titled.count == w->titled.cap)
				search_list_reserve(&w->titled, 1);
			w->titled.v[w->titled.count++] = w->list.v[j];
		}
		for (unsigned l = 0; l < 256; l++) {
			w->ub_title[l] = search_tfnorm(tt_max,
			    e->norm_title[l]);
			w->ub_body[l] = search_tfnorm(tb_max,
			    e->norm_body[l]);
		}
	}
	e->bounded = 1;
}

/* Whether doc, of quantised lengths qt and qb, where the cursor of the
 * word drive stands, scores no more than the worst of a full heap, for
 * any frequencies the other words may have there: first as if each had
 * it in the title, then, if that is not enough, only those whose
 * titled lists have it (the title weighs most).  The bound sums the
 * same terms in the same order as search_eval_score(), each at least as
 * large, so it is at least the score (floating point sums and products
 * of positive numbers keep their order); SEARCH_PRUNE_SLACK covers a
 * last bit of search_tfnorm() at huge frequencies.  A candidate that
 * only ties the worst is out too: it comes after it in number order. */
static int
search_eval_hopeless(struct search_eval *e, const struct search_qword *drive,
    uint32_t doc, uint8_t qt, uint8_t qb)
{
	double ub = 0, own = search_eval_word(e, drive, qt, qb);
	double worst = e->top.v[0].score;

	if (!e->bounded)
		search_eval_bounds(e, drive);
	for (size_t i = 0; i < e->q->count; i++) {
		const struct search_qword *w = &e->q->w[i];

		if (w == drive)
			ub += own;
		else
			ub += w->idf * (SEARCH_TITLE_BOOST *
			    w->ub_title[qt] + w->ub_body[qb]);
	}
	if (ub + ub * SEARCH_PRUNE_SLACK <= worst)
		return 1;
	ub = 0;
	for (size_t i = 0; i < e->q->count; i++) {
		struct search_qword *w = &e->q->w[i];

		if (w == drive)
			ub += own;
		else if (search_seek(&w->titled, &w->titled_at, doc))
			ub += w->idf * (SEARCH_TITLE_BOOST *
			    w->ub_title[qt] + w->ub_body[qb]);
		else
			ub += w->idf * (SEARCH_TITLE_BOOST * 0.0 +
			    w->ub_body[qb]);
	}
	return ub + ub * SEARCH_PRUNE_SLACK <= worst;
}

/* Score the numbers that have every word, driven by the rarest; *all
 * says whether any of them passed the filters and is live. */
static int
search_eval_and(struct search_eval *e, int *all)
{
	struct search_q *q = e->q;
	size_t order[SEARCH_TERMS_MAX], n = q->count, others = 0;
	struct search_qword *drive;
	int mrc;

	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		others += q->w[i].list.count;
		while (j > 0 && q->w[order[j - 1]].list.count >
		    q->w[i].list.count) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	drive = &q->w[order[0]];
	others -= drive->list.count;
	*all = 0;
	for (drive->at = 0; drive->at < drive->list.count; drive->at++) {
		uint32_t doc = drive->list.v[drive->at].doc;
		uint8_t qt, qb;
		int lens = 0, ok;
		size_t j;

		/* MaxScore: once the heap is full (so some number had every
		 * word), a number whose lengths and rarest word leave it no
		 * chance is not looked for in the other lists.  The bounds
		 * take a pass over those lists: worth it only for many
		 * candidates still to come. */
		if (e->prune && n > 1 && e->top.count == e->top.cap &&
		    (e->bounded || (drive->list.count - drive->at) *
		    SEARCH_PRUNE_RATIO >= others)) {
			if ((mrc = search_eval_lens(e, doc, &ok, &qt,
			    &qb)) != 0)
				return mrc;
			if (!ok)
				continue;
			if (search_eval_hopeless(e, drive, doc, qt, qb)) {
				e->pruned++;
				continue;
			}
			lens = 1;
		}
		for (j = 1; j < n; j++)
			if (!search_seek(&q->w[order[j]].list,
			    &q->w[order[j]].at, doc))
				break;
		if (j < n) {
			if (q->w[order[j]].at == q->w[order[j]].list.count)
				break;		/* nothing further has it */
			continue;
		}
		if (!lens && (mrc = search_eval_lens(e, doc, &ok, &qt,
		    &qb)) != 0)
			return mrc;
		if (lens || ok) {
			*all = 1;
			search_eval_score(e, doc, qt, qb);
		}
	}
	return 0;
}

/* Score the numbers that have any word. */
static int
search_eval_or(struct search_eval *e)
{
	struct search_q *q = e->q;
	int mrc;

	for (size_t i = 0; i < q->count; i++)
		q->w[i].at = 0;
	for (;;) {
		uint32_t doc = UINT32_MAX;
		int any = 0;

		for (size_t i = 0; i < q->count; i++) {
			const struct search_qword *w = &q->w[i];

			if (w->at < w->list.count && (!any ||
			    w->list.v[w->at].doc < doc)) {
				doc = w->list.v[w->at].doc;
				any = 1;
			}
		}
		if (!any)
			return 0;
		if ((mrc = search_eval_doc(e, doc)) != 0)
			return mrc;
		for (size_t i = 0; i < q->count; i++) {
			struct search_qword *w = &q->w[i];

			if (w->at < w->list.count &&
			    w->list.v[w->at].doc == doc)
				w->at++;
		}
	}
}

/* The cap best candidates into e->top, best first: those with every
 * word, else (two words or more, none has all) those with any. */
static int
search_eval(struct search_eval *e, size_t cap)
{
	int mrc, all;

	for (size_t i = 0; i < e->q->count; i++) {
		e->q->w[i].at = 0;
		e->q->w[i].titled_at = 0;
	}
	memset(e->filter_at, 0, sizeof(e->filter_at));
	e->chunk = UINT32_MAX;
	e->norms = NULL;
	e->scored = 0;
	e->pruned = 0;
	e->top.count = 0;
	if (cap > e->top.cap) {
		e->top.v = xrealloc(e->top.v, cap * sizeof(*e->top.v));
		e->top.cap = cap;
	}
	mrc = search_eval_and(e, &all);
	if (mrc == 0 && !all && e->q->count >= 2) {
		/* The filters' cursors start again from the first number. */
		memset(e->filter_at, 0, sizeof(e->filter_at));
		mrc = search_eval_or(e);
	}
	if (mrc != 0)
		return mrc;
	qsort(e->top.v, e->top.count, sizeof(*e->top.v), search_scored_cmp);
	return 0;
}

/* Set up e for q: word weights and length norms. */
static void
search_eval_init(struct search_eval *e, struct store *st, MDB_txn *txn,
    struct search_q *q, const struct search_stats_v *s)
{
	double avg_t = s->docs ? (double)s->title_words / s->docs : 1,
	    avg_b = s->docs ? (double)s->body_words / s->docs : 1;
	uint32_t len = 32;

	memset(e, 0, sizeof(*e));
	e->st = st;
	e->txn = txn;
	e->q = q;
	if (avg_t <= 0)
		avg_t = 1;
	if (avg_b <= 0)
		avg_b = 1;
	for (unsigned i = 0; i < 256; i++) {
		/* The least word count of quantised length i. */
		if (i <= 32)
			len = i;
		else
			len += len / 16 > 0 ? len / 16 : 1;
		e->norm_title[i] = SEARCH_K1 * (1 - SEARCH_B + SEARCH_B *
		    len / avg_t);
		e->norm_body[i] = SEARCH_K1 * (1 - SEARCH_B + SEARCH_B *
		    len / avg_b);
	}
	for (size_t i = 0; i < q->count; i++) {
		double df = (double)q->w[i].list.count,
		    nd = s->docs > df ? (double)s->docs : df;

		q->w[i].idf = search_ln(1 + (nd - df + 0.5) / (df + 0.5));
	}
}

/* Fill result r for doc if it is still served; 1 if so, 0 if not. */
static int
search_result(struct store *st, MDB_txn *txn, struct text *t,
    const struct search_q *q, const struct search_scored *sc,
    struct search_result *r, int *mrcp)
{
	uint8_t tsid[STORE_TSID_LEN];
	struct record_header h;
	struct search_info in;
	struct body_kb a;
	MDB_val k, v;
	int mrc;

	if ((mrc = search_info_get(st, txn, sc->doc, &in)) != 0) {
		*mrcp = mrc == MDB_NOTFOUND ? 0 : mrc;
		return 0;
	}
	/* Hidden since it was indexed (its author was removed)? */
	store_be64(tsid, in.ts);
	memcpy(tsid + 8, in.revision, RECORD_ID_LEN);
	k.mv_size = sizeof(tsid);
	k.mv_data = tsid;
	if ((mrc = mdb_get(txn, st->items, &k, &v)) != 0 ||
	    (mrc = search_load(st, txn, in.revision, &h, &a)) != 0) {
		*mrcp = mrc == MDB_NOTFOUND ? 0 : mrc;
		return 0;
	}
	memset(r, 0, sizeof(*r));
	memcpy(r->key, in.key, strlen(in.key) + 1);
	memcpy(r->revision, in.revision, RECORD_ID_LEN);
	r->score = sc->score;
	search_snippet(t, q, &a, in.lang, r->snippet);
	return 1;
}

static int
search_run(struct store *st, MDB_txn *txn, struct text *t,
    struct search_cache *sc, const struct search_filter *f,
    struct search_result *out, size_t limit, size_t *count)
{
	struct search_list *fl = sc->filter;
	struct search_q *q = &sc->q;
	struct search_stats_v s;
	struct search_eval e;
	MDB_cursor *c;
	size_t nfl = 0, found = 0, done = 0, cap;
	int mrc;

	if ((mrc = search_stats_get(st, txn, &s)) != 0 ||
	    (mrc = mdb_cursor_open(txn, st->terms, &c)) != 0)
		return mrc;
	for (size_t i = 0; i < q->count && mrc == 0; i++)
		mrc = search_read_word(c, &q->w[i], q->scratch);
	if (f != NULL) {
		const struct {
			char what;
			const char *s;
		} fs[] = { { 't', f->tag }, { 'c', f->category },
		    { 'l', f->lang } };

		for (size_t i = 0; i < 3 && mrc == 0; i++) {
			if (fs[i].s == NULL || fs[i].s[0] == '\0')
				continue;
			mrc = search_read_filter(c, t, fs[i].what, fs[i].s,
			    NULL, &fl[nfl++]);
		}
		if (mrc == 0 && f->author != NULL)
			mrc = search_read_filter(c, t, 'a', NULL, f->author,
			    &fl[nfl++]);
	}
	mdb_cursor_close(c);
	search_eval_init(&e, st, txn, q, &s);
	e.filter = fl;
	e.nfilter = nfl;
	e.prune = !sc->exhaustive;
	e.top = sc->top;
	/* The best few are enough unless many of them are no longer
	 * served (search_result()): then again with more.  Candidates
	 * pruned count as candidates: the next round, with more room,
	 * may need them. */
	cap = 2 * limit;
	while (mrc == 0 && (mrc = search_eval(&e, cap)) == 0) {
		size_t cands = e.scored + e.pruned;

		sc->work.scored += e.scored;
		sc->work.pruned += e.pruned;
		for (size_t i = done; i < e.top.count && found < limit &&
		    mrc == 0; i++)
			if (search_result(st, txn, t, q, &e.top.v[i],
			    &out[found], &mrc))
				found++;
		done = e.top.count;
		if (found == limit || cands <= e.top.count)
			break;
		cap = 4 * cap < cands ? 4 * cap : cands;
	}
	sc->top = e.top;
	*count = found;
	return mrc;
}

int
search_query(struct store *st, const char *query,
    const struct search_filter *f, struct search_result *out, size_t limit,
    size_t *count, struct errbuf *eb)
{
	size_t len = strlen(query);
	struct search_cache *sc;
	struct search_q *q;
	struct text *t;
	MDB_txn *txn;
	int mrc;

	if (len > SEARCH_QUERY_MAX)
		return fail(eb, AMIE_EUSAGE, "query of %zu bytes, "
		    "limit %d", len, SEARCH_QUERY_MAX);
	if (limit > SEARCH_LIMIT_MAX)
		return fail(eb, AMIE_EUSAGE, "%zu results asked, "
		    "limit %d", limit, SEARCH_LIMIT_MAX);
	sc = search_cache_of(st);
	memset(&sc->work, 0, sizeof(sc->work));
	q = &sc->q;
	q->count = 0;
	q->too_many = 0;
	t = st->text;
	text_words(t, query, len, TEXT_LANG_ANY, search_q_word, q);
	if (q->count == 0 || q->too_many) {
		mrc = q->count == 0;
		search_cache_trim(sc);
		if (mrc)
			return fail(eb, AMIE_EUSAGE,
			    "no words to search for");
		return fail(eb, AMIE_EUSAGE, "more than %d words",
		    SEARCH_TERMS_MAX);
	}
	*count = 0;
	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) == 0) {
		if (limit > 0)
			mrc = search_run(st, txn, t, sc, f, out, limit,
			    count);
		mdb_txn_abort(txn);
	}
	search_cache_trim(sc);
	if (mrc != 0)
		return store_fail(eb, mrc, "search");
	return 0;
}

void
search_work(struct store *st, struct search_work *w)
{
	if (st->search_cache == NULL)
		memset(w, 0, sizeof(*w));
	else
		*w = st->search_cache->work;
}

void
search_set_exhaustive(struct store *st, int exhaustive)
{
	search_cache_of(st)->exhaustive = exhaustive;
}

/* Bytes of the pages of one database.  Exact: neither search database
 * has duplicates, whose sub-databases mdb_stat() would not count. */
static int
search_db_bytes(MDB_txn *txn, MDB_dbi dbi, uint64_t *bytes)
{
	MDB_stat ms;
	int mrc;

	if ((mrc = mdb_stat(txn, dbi, &ms)) != 0)
		return mrc;
	*bytes += (uint64_t)(ms.ms_branch_pages + ms.ms_leaf_pages +
	    ms.ms_overflow_pages) * ms.ms_psize;
	return 0;
}

int
search_stats(struct store *st, uint64_t *bytes, uint64_t *articles,
    struct errbuf *eb)
{
	struct search_stats_v s;
	MDB_txn *txn;
	uint64_t b = 0;
	int mrc;

	if ((mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_fail(eb, mrc, "search stats");
	if ((mrc = search_stats_get(st, txn, &s)) == 0 &&
	    (mrc = search_db_bytes(txn, st->terms, &b)) == 0)
		mrc = search_db_bytes(txn, st->docs, &b);
	mdb_txn_abort(txn);
	if (mrc != 0)
		return store_fail(eb, mrc, "search stats");
	*bytes = b;
	*articles = s.docs;
	return 0;
}

/* ---- checking the index against the articles (store/check.h) ---- */

#define SEARCH_VERIFY_DOCS_MAX	((uint64_t)1 << 24)	/* numbers checked */

/*
 * What the check expects of each number: the postings of the article
 * indexed under it (a commutative sum of their hashes and their count)
 * against what `terms` holds for it.
 */
struct search_verify_doc {
	uint64_t want_sum, have_sum;
	uint32_t want_count, have_count;
	int live;
	char key[24];			/* the article id, cut, for messages */
};

static uint64_t
search_verify_hash(const char *term, size_t len, uint32_t code)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)term[i]) * 1099511628211ull;
	h = (h ^ code) * 1099511628211ull;
	return h ^ (h >> 29);
}

/*
 * One article: the index must hold its winner (latest ts, then lowest
 * id, among its heads) unless it is deleted or its winner has no body,
 * or may_miss (a rebuild under way has not gone through it yet).
 * A winner hidden by its author's removal may be indexed or not: the
 * index forgets it at the article's next change.
 */
static void
search_verify_article(struct store *st, MDB_txn *txn, struct check *ck,
    struct text *t, struct search_acc *acc, const char *key,
    struct search_verify_doc *docs, uint64_t ndocs, int may_miss,
    uint64_t *live, uint64_t *tw_sum, uint64_t *bw_sum)
{
	uint8_t kk[1 + RECORD_KEY_MAX], tsid[STORE_TSID_LEN];
	size_t klen = strlen(key);
	struct record_header h;
	struct search_info in;
	struct store_head w;
	struct body_kb a;
	MDB_val k, v;
	uint32_t doc, tw, bw;
	enum text_lang lang;
	int has_winner, hidden = 0, indexed;

	has_winner = search_winner(st, txn, key, &w) == 0;
	if (!has_winner) {
		/* Deleted, or a winner that is hidden: which one? */
		uint8_t ok[STORE_OBJKEY_MAX];
		MDB_cursor *c;
		int mrc, have = 0;

		memcpy(ok, "kb", 3);
		memcpy(ok + 3, key, klen);
		k.mv_size = 3 + klen;
		k.mv_data = ok;
		if (mdb_get(txn, st->deleted, &k, &v) != 0 &&
		    mdb_cursor_open(txn, st->heads, &c) == 0) {
			for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
			     mrc == 0;
			     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP))
				if (v.mv_size == STORE_TSID_LEN && (!have ||
				    store_get_be64(v.mv_data) > w.ts)) {
					w.ts = store_get_be64(v.mv_data);
					memcpy(w.id, (uint8_t *)v.mv_data + 8,
					    RECORD_ID_LEN);
					have = 1;
				}
			mdb_cursor_close(c);
			store_be64(tsid, w.ts);
			memcpy(tsid + 8, w.id, RECORD_ID_LEN);
			k.mv_size = sizeof(tsid);
			k.mv_data = tsid;
			hidden = have && mdb_get(txn, st->items, &k, &v) != 0;
		}
	}
	if ((has_winner || hidden) && search_load(st, txn, w.id, &h, &a) != 0)
		has_winner = hidden = 0;	/* purged: nothing to index */
	kk[0] = 'k';
	memcpy(kk + 1, key, klen);
	k.mv_size = 1 + klen;
	k.mv_data = kk;
	indexed = mdb_get(txn, st->docs, &k, &v) == 0;
	if (!indexed) {
		if (has_winner && !may_miss)
			check_problem(ck, "docs", "article %.40s is not in the "
			    "search index", key);
		return;
	}
	if (!has_winner && !hidden) {
		check_problem(ck, "docs", "article %.40s is in the search "
		    "index but deleted or without a body", key);
		return;
	}
	if (v.mv_size != 4) {
		check_problem(ck, "docs", "article %.40s: malformed number",
		    key);
		return;
	}
	doc = search_get_be32(v.mv_data);
	if (search_info_get(st, txn, doc, &in) != 0) {
		check_problem(ck, "docs", "article %.40s: number %u has no "
		    "description", key, doc);
		return;
	}
	if (memcmp(in.revision, w.id, RECORD_ID_LEN) != 0 || in.ts != w.ts ||
	    strcmp(in.key, key) != 0) {
		check_problem(ck, "docs", "article %.40s: the index holds "
		    "another revision than its winner", key);
		return;
	}
	lang = text_lang_of(a.lang.s, a.lang.len);
	search_acc_article(acc, t, h.author, &a, lang, &tw, &bw);
	if (tw != in.title_words || bw != in.body_words || lang != in.lang)
		check_problem(ck, "docs", "article %.40s: word counts or "
		    "language differ from its text", key);
	(*live)++;
	*tw_sum += in.title_words;
	*bw_sum += in.body_words;
	{
		uint8_t k5[5];
		MDB_val nk = { 5, k5 }, nv;
		size_t i = 2 * (doc % SEARCH_NORMS_CHUNK);

		k5[0] = 'n';
		search_be32(k5 + 1, doc / SEARCH_NORMS_CHUNK);
		if (mdb_get(txn, st->docs, &nk, &nv) != 0 ||
		    nv.mv_size != 2 * SEARCH_NORMS_CHUNK ||
		    ((const uint8_t *)nv.mv_data)[i] !=
		    search_qlen(in.title_words) ||
		    ((const uint8_t *)nv.mv_data)[i + 1] !=
		    search_qlen(in.body_words))
			check_problem(ck, "docs", "article %.40s: lengths "
			    "(norms) differ from its text", key);
	}
	if (doc >= ndocs)
		return;
	docs[doc].live = 1;
	snprintf(docs[doc].key, sizeof(docs[doc].key), "%.*s",
	    (int)sizeof(docs[doc].key) - 1, key);
	for (size_t i = 0; i < acc->count; i++) {
		docs[doc].want_sum += search_verify_hash(acc->v[i].term,
		    acc->v[i].len, search_code(acc->v[i].tf_title,
		    acc->v[i].tf_body));
		docs[doc].want_count++;
	}
}

/* Walk `terms`: blocks well formed, numbers increasing; sum what each
 * live number has. */
static void
search_verify_terms(MDB_txn *txn, MDB_dbi dbi, struct check *ck,
    struct search_verify_doc *docs, uint64_t ndocs, uint64_t next)
{
	MDB_cursor *c;
	MDB_val k, v;
	int mrc;

	if (mdb_cursor_open(txn, dbi, &c) != 0)
		return;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data, *p, *end, *nul;
		uint32_t d, delta, code, n = 0;
		size_t tlen;

		nul = k.mv_size > 5 ? memchr(kp, '\0', k.mv_size) : NULL;
		if (nul == NULL || (size_t)(nul - kp) + 5 != k.mv_size ||
		    v.mv_size < 4) {
			check_problem(ck, "terms", "a malformed block");
			continue;
		}
		tlen = (size_t)(nul - kp);
		d = search_get_be32(nul + 1);
		p = (const uint8_t *)v.mv_data + 4;
		end = (const uint8_t *)v.mv_data + v.mv_size;
		while (p < end) {
			if (search_varint_get(&p, end, &delta) != 0 ||
			    search_varint_get(&p, end, &code) != 0 ||
			    (n > 0 && delta == 0)) {
				check_problem(ck, "terms", "a block of term "
				    "%.*s does not decode", (int)tlen,
				    (const char *)kp);
				break;
			}
			d += delta;
			n++;
			if (d >= next) {
				check_problem(ck, "terms", "term %.*s lists "
				    "number %u, never given", (int)tlen,
				    (const char *)kp, d);
				continue;
			}
			if (d < ndocs && docs[d].live) {
				docs[d].have_sum += search_verify_hash(
				    (const char *)kp, tlen, code);
				docs[d].have_count++;
			}
		}
		if (p == end && n > 0 &&
		    search_get_be32(v.mv_data) != d)
			check_problem(ck, "terms", "a block of term %.*s ends "
			    "at %u but says %u", (int)tlen, (const char *)kp,
			    d, search_get_be32(v.mv_data));
	}
	mdb_cursor_close(c);
}

void
search_verify(struct store *st, MDB_txn *txn, struct check *ck,
    uint64_t *articles)
{
	char key[RECORD_KEY_MAX + 1];
	struct search_verify_doc *docs;
	struct search_stats_v s;
	struct search_acc acc;
	struct search_mark m;
	uint64_t ndocs, live = 0, tw = 0, bw = 0, kcount = 0;
	/* A pipeline of its own: amie check runs on a thread of its own,
	 * while queries use st->text. */
	struct text *t;
	MDB_cursor *c;
	MDB_val k, v;
	int mrc, rebuilding;

	*articles = 0;
	rebuilding = search_mark_get(st, txn, &m) == 0;
	if (rebuilding)
		check_problem(ck, "docs", "a rebuild of the index is under "
		    "way (%llu of %llu articles gone through): amie kb "
		    "reindex finishes it", (unsigned long long)m.done,
		    (unsigned long long)m.total);
	if (search_stats_get(st, txn, &s) != 0) {
		check_problem(ck, "docs", "the index statistics are "
		    "malformed");
		memset(&s, 0, sizeof(s));
	}
	ndocs = s.next < SEARCH_VERIFY_DOCS_MAX ? s.next :
	    SEARCH_VERIFY_DOCS_MAX;
	docs = xcalloc(ndocs + 1, sizeof(*docs));
	memset(&acc, 0, sizeof(acc));
	if (mdb_cursor_open(txn, st->heads, &c) != 0) {
		free(docs);
		return;
	}
	t = text_new();
	k.mv_size = 3;
	k.mv_data = "kb";
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     mrc == 0 && k.mv_size > 3 && memcmp(k.mv_data, "kb", 3) == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP)) {
		if (k.mv_size - 3 > RECORD_KEY_MAX)
			continue;
		memcpy(key, (char *)k.mv_data + 3, k.mv_size - 3);
		key[k.mv_size - 3] = '\0';
		if (strlen(key) == k.mv_size - 3)
			search_verify_article(st, txn, ck, t, &acc, key, docs,
			    ndocs, rebuilding && strcmp(key, m.last) > 0, &live,
			    &tw, &bw);
	}
	mdb_cursor_close(c);
	search_acc_release(&acc);

	/* Every "k" names an article; every "d" is the number of a "k". */
	if (mdb_cursor_open(txn, st->docs, &c) == 0) {
		for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
		     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			const uint8_t *kp = k.mv_data;

			if (k.mv_size >= 1 && kp[0] == 'k') {
				kcount++;
			} else if (k.mv_size == 5 && kp[0] == 'd') {
				uint32_t d = search_get_be32(kp + 1);

				if (d >= s.next)
					check_problem(ck, "docs", "number %u "
					    "was never given", d);
				else if (d < ndocs && !docs[d].live)
					check_problem(ck, "docs", "number %u "
					    "describes no indexed article", d);
			}
		}
		mdb_cursor_close(c);
	}
	if (kcount != live)
		check_problem(ck, "docs", "%llu articles indexed, %llu "
		    "expected", (unsigned long long)kcount,
		    (unsigned long long)live);
	if (s.docs != live || s.title_words != tw || s.body_words != bw)
		check_problem(ck, "docs", "the statistics say %llu articles, "
		    "the index has %llu", (unsigned long long)s.docs,
		    (unsigned long long)live);

	search_verify_terms(txn, st->terms, ck, docs, ndocs, s.next);
	for (uint64_t d = 0; d < ndocs; d++)
		if (docs[d].live && (docs[d].want_sum != docs[d].have_sum ||
		    docs[d].want_count != docs[d].have_count))
			check_problem(ck, "terms", "article %s: %u postings "
			    "expected, %u found, or their terms differ",
			    docs[d].key, docs[d].want_count,
			    docs[d].have_count);
	free(docs);
	text_free(&t);
	*articles = live;
}
