/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The text pipeline (see text.h).
 *
 * Most words of French and English text are ASCII: for them NFKC is the
 * identity, case folding is tolower() and folding accents changes
 * nothing, so the fast path lowercases and stems once per stemmer.  Other
 * words go through utf8proc in a scratch buffer of code points (no
 * allocation per word) and are stemmed twice per stemmer.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <utf8proc.h>

#include "proto/xmalloc.h"
#include "store/text.h"

/* Code points of one normalised word: NFKC and case folding expand a
 * word of TEXT_WORD_SRC_MAX bytes at most 18 times (U+FDFA). */
#define TEXT_CPS_MAX	(TEXT_WORD_SRC_MAX * 18 + 1)
/* Bytes of one normalised word. */
#define TEXT_NORM_MAX	1024

/* The word cache: the terms of recent short words, by their bytes in
 * the text and the language, in sets of TEXT_CACHE_WAYS slots kept in
 * order of use.  Text follows Zipf's law, so most words are found here
 * and skip utf8proc and the stemmers; the sets keep the frequent words
 * of a large vocabulary from pushing each other out. */
#define TEXT_CACHE_SLOTS	32768	/* a power of two */
#define TEXT_CACHE_WAYS		4	/* slots of a set, a power of two */
#define TEXT_CACHE_SRC_MAX	24	/* bytes of a word cached */
#define TEXT_CACHE_TERMS_MAX	72	/* bytes of its terms */

#define TEXT_OPT_NORM	(UTF8PROC_STABLE | UTF8PROC_COMPOSE | \
    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD)
#define TEXT_OPT_FOLD	(UTF8PROC_STABLE | UTF8PROC_COMPOSE | \
    UTF8PROC_STRIPMARK)

struct text_cached {
	uint8_t lang;			/* enum text_lang + 1; 0: empty */
	uint8_t src_len;
	uint8_t count;
	uint8_t term_len[TEXT_FORMS_MAX];
	char src[TEXT_CACHE_SRC_MAX];
	char terms[TEXT_CACHE_TERMS_MAX];	/* one after the other */
};

struct text {
	struct text_cached *cache;	/* TEXT_CACHE_SLOTS, when needed */
	uint64_t *cache_used;		/* a bit per slot in use */
	struct sb_stemmer *fr;
	struct sb_stemmer *en;
	utf8proc_int32_t *cps;		/* TEXT_CPS_MAX */
	char norm[TEXT_NORM_MAX];	/* the normalised word */
	char fold[TEXT_NORM_MAX];	/* a part of it, accents folded */
	char stem_fold[TEXT_NORM_MAX];	/* a stem, accents folded */
	char terms[TEXT_FORMS_MAX][TEXT_TERM_MAX];
	uint32_t position;
};

struct text *
text_new(void)
{
	struct text *t = xcalloc(1, sizeof(*t));

	t->cps = xcalloc(TEXT_CPS_MAX, sizeof(*t->cps));
	return t;
}

void
text_free(struct text **t)
{
	if (*t == NULL)
		return;
	if ((*t)->fr != NULL)
		sb_stemmer_delete((*t)->fr);
	if ((*t)->en != NULL)
		sb_stemmer_delete((*t)->en);
	free((*t)->cps);
	free((*t)->cache);
	free((*t)->cache_used);
	free(*t);
	*t = NULL;
}

static int
text_is_lower_tag(const char *s, size_t len, char a, char b)
{
	if (len < 2 || (s[0] | 0x20) != a || (s[1] | 0x20) != b)
		return 0;
	return len == 2 || s[2] == '-' || s[2] == '_';
}

enum text_lang
text_lang_of(const char *s, size_t len)
{
	if (text_is_lower_tag(s, len, 'f', 'r'))
		return TEXT_LANG_FR;
	if (text_is_lower_tag(s, len, 'e', 'n'))
		return TEXT_LANG_EN;
	return TEXT_LANG_ANY;
}

/* The longest prefix of the len bytes at s of at most max bytes that
 * does not end inside a UTF-8 sequence. */
static size_t
text_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static int
text_is_ascii_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Letters, marks and digits make words. */
static int
text_is_word_cp(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);

	return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
}

static int
text_is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Spell out œ and æ in place (same byte length in UTF-8).  C5 and C3
 * are lead bytes only, so a byte scan cannot match mid-sequence. */
static void
text_ligatures(char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned char a = (unsigned char)s[i],
		    b = (unsigned char)s[i + 1];

		if (a == 0xc5 && b == 0x93) {
			s[i] = 'o';
			s[i + 1] = 'e';
		} else if (a == 0xc3 && b == 0xa6) {
			s[i] = 'a';
			s[i + 1] = 'e';
		}
	}
}

/* utf8proc with options on the len bytes at s into out (at most cap
 * bytes, cut on a UTF-8 boundary).  Returns the byte count, 0 when the
 * input is not UTF-8 or too long to transform. */
static size_t
text_map(struct text *t, const char *s, size_t len, utf8proc_option_t opts,
    char *out, size_t cap)
{
	utf8proc_ssize_t n;

	n = utf8proc_decompose((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)len, t->cps, TEXT_CPS_MAX - 1, opts);
	if (n < 0 || n >= TEXT_CPS_MAX - 1)
		return 0;
	n = utf8proc_reencode(t->cps, n, opts);
	if (n < 0)
		return 0;
	n = (utf8proc_ssize_t)text_cut((const char *)t->cps, (size_t)n, cap);
	memcpy(out, t->cps, (size_t)n);
	return (size_t)n;
}

static struct sb_stemmer *
text_stemmer(struct text *t, enum text_lang lang)
{
	struct sb_stemmer **sp = lang == TEXT_LANG_FR ? &t->fr : &t->en;

	if (*sp == NULL) {
		*sp = sb_stemmer_new(lang == TEXT_LANG_FR ? "french" :
		    "english", "UTF_8");
		if (*sp == NULL)
			abort();	/* out of memory: libstemmer has both */
	}
	return *sp;
}

/* Add the len bytes at s to the terms of w unless already there. */
static void
text_add_term(struct text *t, struct text_word *w, const char *s, size_t len)
{
	len = text_cut(s, len, TEXT_TERM_MAX);
	if (len == 0)
		return;
	for (unsigned i = 0; i < w->count; i++)
		if (w->term_len[i] == len && memcmp(w->term[i], s, len) == 0)
			return;
	assert(w->count < TEXT_FORMS_MAX);
	memcpy(t->terms[w->count], s, len);
	w->term[w->count] = t->terms[w->count];
	w->term_len[w->count] = (uint8_t)len;
	w->count++;
}

/*
 * French Snowball takes "ée" and "ées" off a word but not "ee" and "ees":
 * "sauvegardées" gives "sauvegard" but "sauvegardees", as typed without
 * accents, "sauvegarde".  A folded word f ending in "ee" or "ees" gets the
 * term of its accented spelling too, so that "sauvegardees" and
 * "sauvegardes" share a term, in documents and in queries.
 */
static void
text_stem_ee(struct text *t, struct text_word *w, struct sb_stemmer *sb,
    const char *f, size_t flen)
{
	const sb_symbol *r;
	size_t e, n;

	if (flen > 4 && memcmp(f + flen - 3, "ees", 3) == 0)
		e = flen - 3;
	else if (flen > 3 && memcmp(f + flen - 2, "ee", 2) == 0)
		e = flen - 2;
	else
		return;
	if (flen + 1 > sizeof(t->stem_fold))
		return;
	memcpy(t->stem_fold, f, e);
	memcpy(t->stem_fold + e, "\xc3\xa9", 2);		/* é */
	memcpy(t->stem_fold + e + 2, f + e + 1, flen - e - 1);
	if ((r = sb_stemmer_stem(sb, (const sb_symbol *)t->stem_fold,
	    (int)flen + 1)) == NULL)
		abort();
	n = text_map(t, (const char *)r, (size_t)sb_stemmer_length(sb),
	    TEXT_OPT_FOLD, t->stem_fold, sizeof(t->stem_fold));
	text_add_term(t, w, t->stem_fold, n);
}

/* The terms of the normalised word part s for one stemmer.  f is s with
 * accents folded, or NULL when that is s itself. */
static void
text_stem_forms(struct text *t, struct text_word *w, enum text_lang lang,
    const char *s, size_t len, const char *f, size_t flen)
{
	struct sb_stemmer *sb = text_stemmer(t, lang);
	const sb_symbol *r;
	size_t rlen, n;

	/* fold(stem(s)) */
	if ((r = sb_stemmer_stem(sb, (const sb_symbol *)s, (int)len)) == NULL)
		abort();
	rlen = (size_t)sb_stemmer_length(sb);
	if (f == NULL && !text_is_ascii((const char *)r, rlen))
		f = s;		/* then fold(stem(s)) may differ */
	if (f == NULL) {
		/* s has no accents: stem(s) is stem(fold(s)). */
		text_add_term(t, w, (const char *)r, rlen);
	} else {
		n = text_map(t, (const char *)r, rlen, TEXT_OPT_FOLD,
		    t->stem_fold, sizeof(t->stem_fold));
		text_ligatures(t->stem_fold, n);
		text_add_term(t, w, t->stem_fold, n);
		/* stem(fold(s)) */
		if ((r = sb_stemmer_stem(sb, (const sb_symbol *)f,
		    (int)flen)) == NULL)
			abort();
		rlen = (size_t)sb_stemmer_length(sb);
		text_add_term(t, w, (const char *)r, rlen);
	}
	if (lang == TEXT_LANG_FR)
		text_stem_ee(t, w, sb, f != NULL ? f : s,
		    f != NULL ? flen : len);
}

/* Fill the terms of w for the normalised word part s. */
static void
text_forms(struct text *t, struct text_word *w, enum text_lang lang,
    const char *s, size_t len)
{
	const char *f = NULL;
	size_t flen = 0;

	w->count = 0;
	if (!text_is_ascii(s, len)) {
		flen = text_map(t, s, len, TEXT_OPT_FOLD, t->fold,
		    sizeof(t->fold));
		text_ligatures(t->fold, flen);
		if (flen > 0 && (flen != len || memcmp(t->fold, s, len) != 0))
			f = t->fold;
	}
	if (lang != TEXT_LANG_EN)
		text_stem_forms(t, w, TEXT_LANG_FR, s, len, f, flen);
	if (lang != TEXT_LANG_FR)
		text_stem_forms(t, w, TEXT_LANG_EN, s, len, f, flen);
}

/* Decode the code point at s (len bytes left) into *cp: its byte length,
 * or 0 for a byte that is not UTF-8. */
static size_t
text_next_cp(const char *s, size_t len, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t n;

	n = utf8proc_iterate((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)len, cp);
	return n > 0 ? (size_t)n : 0;
}

/* The first slot of the set of word s (len bytes) in lang; its other
 * slot is the next one.  A set holds its most recently used word first. */
static size_t
text_cache_set(struct text *t, const char *s, size_t len,
    enum text_lang lang)
{
	uint32_t h = 2166136261u ^ (uint32_t)lang;

	/* Not zeroed (the pages would all be touched for every article
	 * indexed): a bitmap says which slots hold a word. */
	if (t->cache == NULL) {
		t->cache = xmalloc(TEXT_CACHE_SLOTS * sizeof(*t->cache));
		t->cache_used = xcalloc(TEXT_CACHE_SLOTS / 64,
		    sizeof(*t->cache_used));
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return (h & (TEXT_CACHE_SLOTS / TEXT_CACHE_WAYS - 1)) *
	    TEXT_CACHE_WAYS;
}

static int
text_cache_is_used(const struct text *t, size_t slot)
{
	return (t->cache_used[slot / 64] >> (slot % 64) & 1) != 0;
}

/* Fill w from the cache: 1 if the word was there.  The terms point into
 * the cache, unchanged until the next word. */
static int
text_cache_get(struct text *t, size_t set, const char *s, size_t len,
    enum text_lang lang, struct text_word *w)
{
	struct text_cached *c = NULL, tmp;
	size_t off = 0;

	for (size_t i = set; i < set + TEXT_CACHE_WAYS; i++) {
		c = &t->cache[i];
		if (!text_cache_is_used(t, i) || c->lang != lang + 1 ||
		    c->src_len != len || memcmp(c->src, s, len) != 0)
			continue;
		/* Most recently used first. */
		if (i != set) {
			tmp = *c;
			memmove(&t->cache[set + 1], &t->cache[set],
			    (i - set) * sizeof(*c));
			t->cache[set] = tmp;
			c = &t->cache[set];
		}
		w->count = c->count;
		for (unsigned j = 0; j < c->count; j++) {
			w->term[j] = c->terms + off;
			w->term_len[j] = c->term_len[j];
			off += c->term_len[j];
		}
		return 1;
	}
	return 0;
}

/* Put the word s (len bytes) with the terms of w first in its set,
 * pushing out the least recently used. */
static void
text_cache_put(struct text *t, size_t set, const char *s, size_t len,
    enum text_lang lang, const struct text_word *w)
{
	struct text_cached *c = &t->cache[set];
	size_t off = 0, used = 0;

	for (unsigned i = 0; i < w->count; i++)
		off += w->term_len[i];
	if (off > TEXT_CACHE_TERMS_MAX)
		return;
	while (used < TEXT_CACHE_WAYS - 1 && text_cache_is_used(t, set + used))
		used++;
	memmove(&t->cache[set + 1], &t->cache[set], used * sizeof(*c));
	for (size_t i = set; i <= set + used; i++)
		t->cache_used[i / 64] |= (uint64_t)1 << (i % 64);
	off = 0;
	for (unsigned i = 0; i < w->count; i++) {
		memcpy(c->terms + off, w->term[i], w->term_len[i]);
		c->term_len[i] = w->term_len[i];
		off += w->term_len[i];
	}
	c->count = (uint8_t)w->count;
	memcpy(c->src, s, len);
	c->src_len = (uint8_t)len;
	c->lang = (uint8_t)(lang + 1);
}

static int
text_is_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The word [start, end) of the original text. */
static int
text_word(struct text *t, const char *s, size_t start, size_t end,
    int ascii, enum text_lang lang, text_word_fn fn, void *ctx)
{
	struct text_word w;
	size_t len = text_cut(s + start, end - start, TEXT_WORD_SRC_MAX), i, n;
	utf8proc_int32_t cp;
	int rc;

	size_t set = SIZE_MAX;

	memset(&w, 0, sizeof(w));
	w.start = start;
	w.end = end;
	/* A number is its own only term: there is no case or accent to
	 * fold, and neither stemmer changes digits.  It stays out of the
	 * cache: most numbers (ids, dates, versions) come once, and would
	 * push out the words that come again. */
	if (ascii && text_is_digits(s + start, len)) {
		len = text_cut(s + start, len, TEXT_TERM_MAX);
		memcpy(t->terms[0], s + start, len);
		w.term[0] = t->terms[0];
		w.term_len[0] = (uint8_t)len;
		w.count = 1;
		w.position = t->position++;
		return fn(ctx, &w);
	}
	if (len <= TEXT_CACHE_SRC_MAX) {
		set = text_cache_set(t, s + start, len, lang);
		if (text_cache_get(t, set, s + start, len, lang, &w)) {
			w.position = t->position++;
			return w.count > 0 ? fn(ctx, &w) : 0;
		}
	}
	if (ascii) {
		for (i = 0; i < len; i++) {
			char b = s[start + i];

			t->norm[i] = b >= 'A' && b <= 'Z' ? (char)(b | 0x20) :
			    b;
		}
		text_forms(t, &w, lang, t->norm, len);
		if (set != SIZE_MAX)
			text_cache_put(t, set, s + start, len, lang, &w);
		w.position = t->position++;
		return w.count > 0 ? fn(ctx, &w) : 0;
	}
	len = text_map(t, s + start, len, TEXT_OPT_NORM, t->norm,
	    sizeof(t->norm));
	text_ligatures(t->norm, len);
	/* NFKC may have brought separators in: one word per part. */
	i = 0;
	while (i < len) {
		size_t ps;

		if ((n = text_next_cp(t->norm + i, len - i, &cp)) == 0)
			return 0;
		if (!text_is_word_cp(cp)) {
			i += n;
			continue;
		}
		ps = i;
		while (i < len && (n = text_next_cp(t->norm + i, len - i,
		    &cp)) > 0 && text_is_word_cp(cp))
			i += n;
		text_forms(t, &w, lang, t->norm + ps, i - ps);
		if (set != SIZE_MAX && ps == 0 && i == len)
			text_cache_put(t, set, s + start, end - start, lang,
			    &w);
		if (w.count == 0)
			continue;
		w.position = t->position++;
		if ((rc = fn(ctx, &w)) != 0)
			return rc;
	}
	return 0;
}

int
text_words(struct text *t, const char *s, size_t len, enum text_lang lang,
    text_word_fn fn, void *ctx)
{
	utf8proc_int32_t cp;
	size_t i = 0, n, start;
	int ascii, rc;

	t->position = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			if (!text_is_ascii_word(c)) {
				i++;
				continue;
			}
		} else if ((n = text_next_cp(s + i, len - i, &cp)) == 0) {
			i++;
			continue;
		} else if (!text_is_word_cp(cp)) {
			i += n;
			continue;
		}
		start = i;
		ascii = 1;
		while (i < len) {
			c = (unsigned char)s[i];
			if (c < 0x80) {
				if (!text_is_ascii_word(c))
					break;
				i++;
				continue;
			}
			if ((n = text_next_cp(s + i, len - i, &cp)) == 0 ||
			    !text_is_word_cp(cp))
				break;
			ascii = 0;
			i += n;
		}
		if ((rc = text_word(t, s, start, i, ascii, lang, fn, ctx)) != 0)
			return rc;
	}
	return 0;
}

static int
text_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

size_t
text_label(struct text *t, const char *s, size_t len, char out[TEXT_TERM_MAX])
{
	size_t n, start;

	while (len > 0 && text_is_space(*s)) {
		s++;
		len--;
	}
	len = text_cut(s, len, TEXT_WORD_SRC_MAX);
	n = text_map(t, s, len, TEXT_OPT_NORM, t->norm, sizeof(t->norm));
	text_ligatures(t->norm, n);
	n = text_map(t, t->norm, n, TEXT_OPT_FOLD, t->fold, sizeof(t->fold));
	text_ligatures(t->fold, n);
	while (n > 0 && text_is_space(t->fold[n - 1]))
		n--;
	for (start = 0; start < n && text_is_space(t->fold[start]); start++)
		continue;
	n = text_cut(t->fold + start, n - start, TEXT_TERM_MAX);
	memcpy(out, t->fold + start, n);
	return n;
}
