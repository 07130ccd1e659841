/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store/text.c: the words and terms of documents and queries. */
#include <string.h>

#include "store/text.h"
#include "tests/unit/test.h"

#define WORDS_MAX 16

/* What text_words() gave for one text. */
struct words {
	size_t count;
	size_t start[WORDS_MAX], end[WORDS_MAX];
	unsigned nterms[WORDS_MAX];
	char term[WORDS_MAX][TEXT_FORMS_MAX][TEXT_TERM_MAX + 1];
};

static int
collect(void *ctx, const struct text_word *w)
{
	struct words *ws = ctx;
	size_t i = ws->count;

	if (i == WORDS_MAX)
		return 0;
	ws->start[i] = w->start;
	ws->end[i] = w->end;
	ws->nterms[i] = w->count;
	for (unsigned j = 0; j < w->count; j++) {
		memcpy(ws->term[i][j], w->term[j], w->term_len[j]);
		ws->term[i][j][w->term_len[j]] = '\0';
	}
	ws->count++;
	return 0;
}

static void
words_of(struct text *t, const char *s, enum text_lang lang, struct words *ws)
{
	memset(ws, 0, sizeof(*ws));
	CHECK_EQ_INT(text_words(t, s, strlen(s), lang, collect, ws), 0);
}

/* Does query word q (both stemmers) share a term with document word d? */
static int
matches(struct text *t, const char *d, enum text_lang lang, const char *q)
{
	struct words dw, qw;

	words_of(t, d, lang, &dw);
	words_of(t, q, TEXT_LANG_ANY, &qw);
	if (dw.count != 1 || qw.count != 1)
		return 0;
	for (unsigned i = 0; i < dw.nterms[0]; i++)
		for (unsigned j = 0; j < qw.nterms[0]; j++)
			if (strcmp(dw.term[0][i], qw.term[0][j]) == 0)
				return 1;
	return 0;
}

/* Each spelling finds each other one, as document and as query. */
static int
all_match(struct text *t, enum text_lang lang, const char *const *v,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (!matches(t, v[i], lang, v[j])) {
				fprintf(stderr, "  '%s' does not find '%s'\n",
				    v[j], v[i]);
				return 0;
			}
	return 1;
}

TEST(accents_and_case_give_a_shared_term)
{
	static const char *const v[] = { "électricité", "electricite",
	    "ÉLECTRICITÉ", "Electricité", "ELECTRICITE" };
	struct text *t = text_new();

	CHECK(all_match(t, TEXT_LANG_FR, v, 5));
	CHECK(all_match(t, TEXT_LANG_ANY, v, 5));
	text_free(&t);
	CHECK(t == NULL);
}

TEST(sauvegardees_finds_sauvegardes)
{
	static const char *const v[] = { "sauvegardées", "sauvegardes",
	    "SAUVEGARDÉES", "sauvegardees", "sauvegarde" };
	struct text *t = text_new();

	CHECK(all_match(t, TEXT_LANG_FR, v, 5));
	text_free(&t);
}

TEST(ligatures_are_spelt_out)
{
	static const char *const v[] = { "œuvre", "oeuvre", "ŒUVRE",
	    "Oeuvres" };
	static const char *const ae[] = { "ex æquo", "ex aequo" };
	struct words a, b;
	struct text *t = text_new();

	CHECK(all_match(t, TEXT_LANG_FR, v, 4));
	words_of(t, ae[0], TEXT_LANG_FR, &a);
	words_of(t, ae[1], TEXT_LANG_FR, &b);
	REQUIRE(a.count == 2 && b.count == 2);
	CHECK_STR(a.term[1][0], b.term[1][0]);
	text_free(&t);
}

TEST(pare_feu_is_two_words_with_their_offsets)
{
	struct words w;
	struct text *t = text_new();

	words_of(t, "Le pare-feu l'imprimante", TEXT_LANG_FR, &w);
	REQUIRE(w.count == 5);
	CHECK_EQ_INT(w.start[1], 3);
	CHECK_EQ_INT(w.end[1], 7);
	CHECK_EQ_INT(w.start[2], 8);
	CHECK_EQ_INT(w.end[2], 11);
	CHECK_STR(w.term[2][0], "feu");
	CHECK_STR(w.term[3][0], "l");
	CHECK_EQ_INT(w.start[4], 14);
	text_free(&t);
}

TEST(offsets_are_bytes_of_the_original_text)
{
	struct words w;
	struct text *t = text_new();

	/* "É" is two bytes, and "ﬁ" (one code point, three bytes) is
	 * "fi" after NFKC. */
	words_of(t, "É ﬁchier, réseau", TEXT_LANG_FR, &w);
	REQUIRE(w.count == 3);
	CHECK_EQ_INT(w.start[1], 3);
	CHECK_EQ_INT(w.end[1], 11);
	CHECK_EQ_INT(w.start[2], 13);
	CHECK_EQ_INT(w.end[2], 20);
	CHECK(matches(t, "ﬁchier", TEXT_LANG_FR, "fichiers"));
	text_free(&t);
}

TEST(english_plurals_and_ing_forms)
{
	static const char *const p[] = { "printers", "printer", "Printer" };
	static const char *const g[] = { "printing", "print", "prints" };
	struct text *t = text_new();

	CHECK(all_match(t, TEXT_LANG_EN, p, 3));
	CHECK(all_match(t, TEXT_LANG_EN, g, 3));
	CHECK(matches(t, "connections", TEXT_LANG_EN, "connecting"));
	text_free(&t);
}

TEST(french_plurals)
{
	static const char *const v[] = { "imprimantes", "imprimante",
	    "Imprimantes" };
	static const char *const r[] = { "réseau", "reseau", "réseaux" };
	struct text *t = text_new();

	CHECK(all_match(t, TEXT_LANG_FR, v, 3));
	CHECK(all_match(t, TEXT_LANG_FR, r, 3));
	text_free(&t);
}

TEST(query_words_get_terms_of_both_languages)
{
	struct words w;
	struct text *t = text_new();

	words_of(t, "électricité", TEXT_LANG_ANY, &w);
	REQUIRE(w.count == 1);
	CHECK(w.nterms[0] >= 2 && w.nterms[0] <= TEXT_FORMS_MAX);
	words_of(t, "network", TEXT_LANG_EN, &w);
	REQUIRE(w.count == 1);
	CHECK_EQ_INT(w.nterms[0], 1);
	text_free(&t);
}

TEST(bad_utf8_separates_words_and_long_words_are_cut)
{
	char buf[2000];
	struct words w;
	struct text *t = text_new();

	words_of(t, "abc\xff\xfe" "def\xc3", TEXT_LANG_FR, &w);
	CHECK_EQ_INT(w.count, 2);
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	words_of(t, buf, TEXT_LANG_FR, &w);
	REQUIRE(w.count == 1);
	CHECK(strlen(w.term[0][0]) <= TEXT_TERM_MAX);
	CHECK_EQ_INT(w.end[0], sizeof(buf) - 1);
	/* Long words of two-byte letters are cut on a boundary. */
	for (size_t i = 0; i + 2 < sizeof(buf); i += 2)
		memcpy(buf + i, "\xc3\xa9", 2);
	buf[sizeof(buf) - 2] = '\0';
	words_of(t, buf, TEXT_LANG_ANY, &w);
	CHECK_EQ_INT(w.count, 1);
	words_of(t, "", TEXT_LANG_ANY, &w);
	CHECK_EQ_INT(w.count, 0);
	words_of(t, " -- !? ", TEXT_LANG_ANY, &w);
	CHECK_EQ_INT(w.count, 0);
	text_free(&t);
}

TEST(numbers_are_their_own_term_in_every_language)
{
	char buf[200];
	struct words w;
	struct text *t = text_new();

	for (int lang = TEXT_LANG_ANY; lang <= TEXT_LANG_EN; lang++) {
		words_of(t, "v2 2024 007 article-00000123 1er", lang, &w);
		REQUIRE(w.count == 6);
		CHECK_EQ_INT(w.nterms[1], 1);
		CHECK_STR(w.term[1][0], "2024");
		CHECK_STR(w.term[2][0], "007");
		CHECK_STR(w.term[4][0], "00000123");
		CHECK_EQ_INT(w.start[4], 20);
		CHECK_EQ_INT(w.end[4], 28);
	}
	/* A long number is cut as any long word is. */
	memset(buf, '7', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	words_of(t, buf, TEXT_LANG_FR, &w);
	REQUIRE(w.count == 1);
	CHECK_EQ_INT(strlen(w.term[0][0]), TEXT_TERM_MAX);
	CHECK(matches(t, "2024", TEXT_LANG_FR, "2024"));
	CHECK(!matches(t, "2024", TEXT_LANG_FR, "202"));
	text_free(&t);
}

static int
stop_at_second(void *ctx, const struct text_word *w)
{
	(void)ctx;
	return w->position == 1 ? 42 : 0;
}

TEST(the_callback_can_stop_the_walk)
{
	struct text *t = text_new();

	CHECK_EQ_INT(text_words(t, "un deux trois", 13, TEXT_LANG_FR,
	    stop_at_second, NULL), 42);
	text_free(&t);
}

TEST(languages_and_labels)
{
	char out[TEXT_TERM_MAX];
	struct text *t = text_new();
	size_t n;

	CHECK_EQ_INT(text_lang_of("fr", 2), TEXT_LANG_FR);
	CHECK_EQ_INT(text_lang_of("FR-be", 5), TEXT_LANG_FR);
	CHECK_EQ_INT(text_lang_of("en_GB", 5), TEXT_LANG_EN);
	CHECK_EQ_INT(text_lang_of("de", 2), TEXT_LANG_ANY);
	CHECK_EQ_INT(text_lang_of("", 0), TEXT_LANG_ANY);
	CHECK_EQ_INT(text_lang_of("fra", 3), TEXT_LANG_ANY);
	n = text_label(t, "  Réseau Œuvre ", 17, out);
	CHECK(n == 13 && memcmp(out, "reseau oeuvre", 13) == 0);
	n = text_label(t, "\xc2\xa0 ", 3, out);
	CHECK_EQ_INT(n, 0);
	text_free(&t);
	text_free(&t);
}

TESTS(T(accents_and_case_give_a_shared_term),
    T(sauvegardees_finds_sauvegardes),
    T(ligatures_are_spelt_out),
    T(pare_feu_is_two_words_with_their_offsets),
    T(offsets_are_bytes_of_the_original_text),
    T(english_plurals_and_ing_forms),
    T(french_plurals),
    T(query_words_get_terms_of_both_languages),
    T(bad_utf8_separates_words_and_long_words_are_cut),
    T(numbers_are_their_own_term_in_every_language),
    T(the_callback_can_stop_the_walk),
    T(languages_and_labels))
