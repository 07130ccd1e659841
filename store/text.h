/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The text pipeline of search (DESIGN.md section 7): one way to turn text
 * into index terms, used alike for the documents indexed and for the
 * queries, so that what a technician types finds what an author wrote.
 *
 * For each word of the text:
 *   1. Words are maximal runs of letters, combining marks and digits
 *      (Unicode categories L*, M* and N*) of the original text: anything
 *      else separates words, so "pare-feu" is "pare" and "feu" and
 *      "l'imprimante" is "l" and "imprimante".  Bytes that are not UTF-8
 *      separate words too.
 *   2. The word is normalised: NFKC and case folding (utf8proc), then the
 *      ligatures oe and ae are spelt out ("œuvre" is "oeuvre").  A
 *      normalised word that contains separators (NFKC spells "½" as
 *      "1⁄2") gives several words with the same span.
 *   3. Terms: with n the normalised word, fold() taking the accents off
 *      (canonical decomposition, marks stripped) and stem() a Snowball
 *      stemmer (libstemmer), the terms are fold(stem(n)) and
 *      stem(fold(n)).  Neither alone is enough: French Snowball stems
 *      "électricité" to "électr" but "electricite" to "electricit", and
 *      "sauvegardées" folded to "sauvegardees" gives "sauvegarde" while
 *      "sauvegardes" gives "sauvegard".  Indexing both and querying both
 *      makes any accent and case variant of a word share a term.  For
 *      most words (ASCII) the two forms are one.  French Snowball also
 *      takes "ées" off but not "ees", so a word whose folded form ends
 *      in "ee" or "ees" gets the French term of its accented spelling
 *      too: "sauvegardees", typed without accents, then finds
 *      "sauvegardes".
 *   4. A document is stemmed in its own language (TEXT_LANG_FR or
 *      TEXT_LANG_EN); a query, or a document whose language is neither,
 *      with both stemmers (TEXT_LANG_ANY), so up to TEXT_FORMS_MAX terms
 *      per word.  A query word matches a document word when they share a
 *      term.
 *
 * Never fails on input: any byte string gives words or none.  A word is
 * cut to TEXT_WORD_SRC_MAX bytes of the original and each term to
 * TEXT_TERM_MAX bytes, on UTF-8 boundaries, the same way for documents
 * and queries.  A struct text holds the stemmers (which are not thread
 * safe) and scratch buffers: one per caller and thread.  Terms are
 * deterministic for one version of utf8proc and libstemmer; an upgrade
 * that changes them wants `amie kb reindex`.
 */
#ifndef AMIE_STORE_TEXT_H
#define AMIE_STORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_TERM_MAX		64	/* bytes of one term */
#define TEXT_WORD_SRC_MAX	256	/* bytes of one word of the text */
#define TEXT_FORMS_MAX		5	/* terms of one word */

enum text_lang {
	TEXT_LANG_ANY = 0,	/* both stemmers: queries, other languages */
	TEXT_LANG_FR = 1,
	TEXT_LANG_EN = 2
};

/* One word as the callback of text_words() sees it. */
struct text_word {
	size_t start;			/* byte offset of the word */
	size_t end;			/* just after its last byte */
	uint32_t position;		/* 0 for the first word, and so on */
	unsigned count;			/* terms in term[], at least 1 */
	uint8_t term_len[TEXT_FORMS_MAX];
	const char *term[TEXT_FORMS_MAX];	/* not NUL-terminated */
};

/* Return 0 to go on; anything else stops text_words() with that value. */
typedef int (*text_word_fn)(void *ctx, const struct text_word *w);

struct text;

/* A new pipeline (stemmers are made when first needed). */
struct text *text_new(void);

/* Free t and set *t to NULL; NULL does nothing. */
void text_free(struct text **t);

/*
 * The language of an article's lang field (len bytes at s): "fr", "en",
 * or one of them followed by '-' or '_' and a region, in any case; else
 * TEXT_LANG_ANY.
 */
enum text_lang text_lang_of(const char *s, size_t len);

/*
 * Call fn for each word of the len bytes at s, in order, with its terms
 * for lang.  The terms are valid until fn returns.  Returns 0, or the
 * first nonzero value fn returned (the rest of the text is not read).
 */
int text_words(struct text *t, const char *s, size_t len, enum text_lang lang,
    text_word_fn fn, void *ctx);

/*
 * Normalise a label (a tag, a category, a language) for exact matching:
 * NFKC, case folded, accents and ligatures folded as for terms, spaces
 * around trimmed, no stemming and no splitting.  Writes at most
 * TEXT_TERM_MAX bytes (cut on a UTF-8 boundary) to out and returns their
 * number; 0 for an empty label.
 */
size_t text_label(struct text *t, const char *s, size_t len,
    char out[TEXT_TERM_MAX]);

#endif
