/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store/search.c: the index, through the public ingest path. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/check.h"
#include "store/internal.h"
#include "store/search.h"
#include "tests/unit/test.h"

#define TS0 1764320000000ull

struct fixture {
	char dir[64];
	uint8_t pk[32], sk[64], net[32];
	struct store *st;
};

/* One article to sign. */
struct art {
	const char *key;
	uint64_t ts;
	const char *title;
	const char *text;
	const char *lang;
	const char *category;
	const char *tags[4];
	const uint8_t (*refs)[32];
	uint32_t nrefs;
};

static void
fx_rm(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static struct body_str
fx_str(const char *s)
{
	struct body_str b = { s ? s : "", s ? (uint32_t)strlen(s) : 0 };

	return b;
}

static void
fx_ingest(struct fixture *f, const uint8_t *buf, size_t len)
{
	struct store_in in = { buf, len };
	struct store_out o;
	struct errbuf eb;

	if (store_ingest(f->st, &in, 1, TS0 + 10000000, &o, &eb) != 0 ||
	    !o.stored) {
		fprintf(stderr, "ingest: %s %s\n", eb.msg, o.reason);
		abort();
	}
}

/* The article a signed, into *len bytes of the caller's; its revision
 * id in id. */
static uint8_t *
fx_sign(struct fixture *f, const struct art *a, uint8_t id[32], size_t *len)
{
	struct record_header h;
	struct body_kb b;
	struct mpw body, out;
	uint8_t idbuf[32];

	memset(&b, 0, sizeof(b));
	b.title = fx_str(a->title);
	b.text = fx_str(a->text);
	b.lang = fx_str(a->lang);
	b.category = fx_str(a->category);
	for (size_t i = 0; i < 4 && a->tags[i] != NULL; i++)
		b.tags[b.tags_count++] = fx_str(a->tags[i]);
	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&out, RECORD_ENCODED_MAX);
	body_kb_encode(&b, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "kb", 2);
	memcpy(h.key, a->key, strlen(a->key));
	memcpy(h.author, f->pk, 32);
	h.ts = a->ts;
	h.refs_count = a->nrefs;
	if (a->nrefs)
		memcpy(h.refs, a->refs, a->nrefs * 32);
	if (record_sign(&h, body.buf, body.len, f->sk, f->net, &out,
	    id ? id : idbuf, NULL) != 0)
		abort();
	mpw_release(&body);
	return mpw_take(&out, len);
}

/* Sign and ingest the article a; its revision id in id. */
static void
fx_put(struct fixture *f, const struct art *a, uint8_t id[32])
{
	size_t len;
	uint8_t *buf = fx_sign(f, a, id, &len);

	fx_ingest(f, buf, len);
	free(buf);
}

static void
fx_open(struct fixture *f)
{
	struct record_header h;
	struct body_charter c;
	struct mpw body, out;
	struct errbuf eb;
	struct record r;
	uint8_t id[32], *buf;
	size_t len;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/amie-search-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	crypto_sign_keypair(f->pk, f->sk);
	if (store_open(&f->st, f->dir, f->pk, &eb) != 0)
		abort();
	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&out, RECORD_ENCODED_MAX);
	c.name = fx_str("Fed");
	memcpy(c.founder, f->pk, 32);
	c.admit_quorum = c.remove_quorum = 1;
	body_charter_encode(&c, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "charter", 7);
	memcpy(h.author, f->pk, 32);
	h.ts = TS0;
	if (record_sign(&h, body.buf, body.len, f->sk, NULL, &out, id,
	    NULL) != 0)
		abort();
	buf = mpw_take(&out, &len);
	mpw_release(&body);
	record_decode(&r, buf, len, NULL);
	record_network_id(f->net, r.header, r.header_len);
	fx_ingest(f, buf, len);
	free(buf);
}

static void
fx_close(struct fixture *f)
{
	store_close(&f->st);
	fx_rm(f->dir);
}

/* Run query; the keys found, space-separated, in keys. */
static int
fx_search(struct fixture *f, const char *query, const struct search_filter *flt,
    char *keys, size_t cap, struct search_result *res)
{
	struct search_result r[SEARCH_LIMIT_MAX];
	struct errbuf eb;
	size_t n = 0;
	int rc;

	keys[0] = '\0';
	if ((rc = search_query(f->st, query, flt, r, 20, &n, &eb)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strncat(keys, " ", cap - strlen(keys) - 1);
		strncat(keys, r[i].key, cap - strlen(keys) - 1);
	}
	if (res != NULL && n > 0)
		*res = r[0];
	return 0;
}

static void
fx_corpus(struct fixture *f)
{
	static const struct art arts[] = {
		{ "imp", TS0 + 1, "Imprimantes réseau",
		    "Pour fixer l'adresse IP d'une imprimante, réserver le "
		    "bail DHCP sur la box.", "fr", "materiel",
		    { "impression", "Réseau" }, NULL, 0 },
		{ "elec", TS0 + 2, "Coupure d'électricité",
		    "Après une coupure d'électricité, vérifier que les "
		    "sauvegardes ont repris et que l'onduleur est chargé.",
		    "fr", "serveur", { "onduleur" }, NULL, 0 },
		{ "sauv", TS0 + 3, "Sauvegardes",
		    "Les données sauvegardées sont chiffrées. Mise en "
		    "œuvre "
		    "du pare-feu sur le serveur.", "fr", "serveur",
		    { "sauvegarde" }, NULL, 0 },
		{ "print", TS0 + 4, "Sharing printers",
		    "When printing fails, restart the spooler and print a "
		    "test page from the shared printer.", "en", "hardware",
		    { "printer" }, NULL, 0 },
		{ "body", TS0 + 5, "Le poste de travail",
		    "Si le poste ne démarre plus, vérifier les sauvegardes "
		    "avant de réinstaller.", "fr", "poste", { NULL }, NULL,
		    0 },
	};

	for (size_t i = 0; i < sizeof(arts) / sizeof(arts[0]); i++)
		fx_put(f, &arts[i], NULL);
}

TEST(imprimante_reseau_finds_imprimantes_reseau)
{
	struct fixture f;
	char keys[256];

	fx_open(&f);
	fx_corpus(&f);
	CHECK_EQ_INT(fx_search(&f, "imprimante reseau", NULL, keys,
	    sizeof(keys), NULL), 0);
	CHECK_STR(keys, "imp");
	CHECK_EQ_INT(fx_search(&f, "IMPRIMANTES Réseaux", NULL, keys,
	    sizeof(keys), NULL), 0);
	CHECK_STR(keys, "imp");
	fx_close(&f);
}

TEST(accent_and_case_variants_give_identical_lists)
{
	static const char *const elec[] = { "électricité", "electricite",
	    "ÉLECTRICITÉ", "Electricite" };
	static const char *const sauv[] = { "SAUVEGARDÉES", "sauvegardes",
	    "sauvegardees", "Sauvegardées" };
	struct fixture f;
	char first[256], keys[256];

	fx_open(&f);
	fx_corpus(&f);
	CHECK_EQ_INT(fx_search(&f, elec[0], NULL, first, sizeof(first),
	    NULL), 0);
	CHECK_STR(first, "elec");
	for (size_t i = 1; i < 4; i++) {
		CHECK_EQ_INT(fx_search(&f, elec[i], NULL, keys, sizeof(keys),
		    NULL), 0);
		CHECK_STR(keys, first);
	}
	CHECK_EQ_INT(fx_search(&f, sauv[0], NULL, first, sizeof(first),
	    NULL), 0);
	/* The title match first; all three articles. */
	CHECK(strncmp(first, "sauv ", 5) == 0);
	CHECK(strstr(first, "elec") != NULL && strstr(first, "body") != NULL);
	for (size_t i = 1; i < 4; i++) {
		CHECK_EQ_INT(fx_search(&f, sauv[i], NULL, keys, sizeof(keys),
		    NULL), 0);
		CHECK_STR(keys, first);
	}
	fx_close(&f);
}

TEST(oeuvre_finds_the_ligature_and_pare_feu_splits)
{
	struct fixture f;
	char keys[256];

	fx_open(&f);
	fx_corpus(&f);
	CHECK_EQ_INT(fx_search(&f, "oeuvre", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "sauv");
	CHECK_EQ_INT(fx_search(&f, "ŒUVRE", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "sauv");
	CHECK_EQ_INT(fx_search(&f, "pare feu", NULL, keys, sizeof(keys),
	    NULL), 0);
	CHECK_STR(keys, "sauv");
	CHECK_EQ_INT(fx_search(&f, "feu", NULL, keys, sizeof(keys), NULL), 0);
	CHECK_STR(keys, "sauv");
	fx_close(&f);
}

TEST(english_plurals_and_ing_forms_match)
{
	static const char *const q[] = { "printer", "printers", "print",
	    "printing", "PRINTS", "share", "shared" };
	struct fixture f;
	char keys[256];

	fx_open(&f);
	fx_corpus(&f);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		CHECK_EQ_INT(fx_search(&f, q[i], NULL, keys, sizeof(keys),
		    NULL), 0);
		CHECK_STR(keys, "print");
	}
	fx_close(&f);
}

TEST(a_title_match_ranks_above_a_body_only_match)
{
	static const struct art a[] = {
		{ "b1", TS0 + 1, "Poste", "Le routeur et le routeur, encore "
		    "le routeur.", "fr", NULL, { NULL }, NULL, 0 },
		{ "t1", TS0 + 2, "Routeur", "Redémarrer la box.", "fr", NULL,
		    { NULL }, NULL, 0 },
	};
	struct search_result r[4];
	struct fixture f;
	struct errbuf eb;
	size_t n = 0;

	fx_open(&f);
	fx_put(&f, &a[0], NULL);
	fx_put(&f, &a[1], NULL);
	CHECK_EQ_INT(search_query(f.st, "routeurs", NULL, r, 4, &n, &eb), 0);
	REQUIRE(n == 2);
	CHECK_STR(r[0].key, "t1");
	CHECK_STR(r[1].key, "b1");
	CHECK(r[0].score > r[1].score && r[1].score > 0);
	fx_close(&f);
}

TEST(all_words_must_match_else_any_word)
{
	struct fixture f;
	char keys[256];

	fx_open(&f);
	fx_corpus(&f);
	/* "imprimante" and "sauvegardes" are never in one article. */
	CHECK_EQ_INT(fx_search(&f, "imprimante serveur", NULL, keys,
	    sizeof(keys), NULL), 0);
	CHECK(strstr(keys, "imp") != NULL && strstr(keys, "sauv") != NULL);
	CHECK_EQ_INT(fx_search(&f, "sauvegardes onduleur", NULL, keys,
	    sizeof(keys), NULL), 0);
	CHECK_STR(keys, "elec");
	CHECK_EQ_INT(fx_search(&f, "zzyzx", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "");
	fx_close(&f);
}

TEST(filters_on_tag_category_lang_and_author)
{
	struct search_filter flt;
	struct fixture f;
	uint8_t other[32];
	char keys[256];

	fx_open(&f);
	fx_corpus(&f);
	memset(&flt, 0, sizeof(flt));
	flt.tag = "sauvegarde";
	CHECK_EQ_INT(fx_search(&f, "sauvegardes", &flt, keys, sizeof(keys),
	    NULL), 0);
	CHECK_STR(keys, "sauv");
	flt.tag = "RESEAU";
	CHECK_EQ_INT(fx_search(&f, "imprimante", &flt, keys, sizeof(keys),
	    NULL), 0);
	CHECK_STR(keys, "imp");
	flt.tag = NULL;
	flt.category = "serveur";
	CHECK_EQ_INT(fx_search(&f, "sauvegardes", &flt, keys, sizeof(keys),
	    NULL), 0);
	CHECK(strstr(keys, "body") == NULL && strstr(keys, "sauv") != NULL &&
	    strstr(keys, "elec") != NULL);
	flt.category = "";
	flt.lang = "en";
	CHECK_EQ_INT(fx_search(&f, "print sauvegardes", &flt, keys,
	    sizeof(keys), NULL), 0);
	CHECK_STR(keys, "print");
	flt.lang = NULL;
	flt.author = f.pk;
	CHECK_EQ_INT(fx_search(&f, "printer", &flt, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "print");
	memset(other, 7, sizeof(other));
	flt.author = other;
	CHECK_EQ_INT(fx_search(&f, "printer", &flt, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "");
	fx_close(&f);
}

TEST(a_new_revision_replaces_the_old_text)
{
	struct art a = { "rev", TS0 + 1, "Ancien titre", "alpha bravo", "fr",
	    NULL, { NULL }, NULL, 0 };
	struct search_result r;
	struct fixture f;
	uint8_t id1[32], id2[32];
	char keys[256];

	fx_open(&f);
	fx_put(&f, &a, id1);
	CHECK_EQ_INT(fx_search(&f, "alpha", NULL, keys, sizeof(keys), &r), 0);
	CHECK_STR(keys, "rev");
	CHECK(memcmp(r.revision, id1, 32) == 0);
	a.ts = TS0 + 2;
	a.title = "Nouveau titre";
	a.text = "charlie delta";
	a.refs = (const uint8_t (*)[32])id1;
	a.nrefs = 1;
	fx_put(&f, &a, id2);
	CHECK_EQ_INT(fx_search(&f, "alpha", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "");
	CHECK_EQ_INT(fx_search(&f, "ancien", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "");
	CHECK_EQ_INT(fx_search(&f, "delta nouveau", NULL, keys, sizeof(keys),
	    &r), 0);
	CHECK_STR(keys, "rev");
	CHECK(memcmp(r.revision, id2, 32) == 0);
	fx_close(&f);
}

TEST(with_two_heads_the_winner_is_indexed)
{
	struct art a = { "conf", TS0 + 1, "Base", "origine", "fr", NULL,
	    { NULL }, NULL, 0 };
	struct fixture f;
	uint8_t id1[32], ida[32], idb[32];
	struct search_result r;
	char keys[256];

	fx_open(&f);
	fx_put(&f, &a, id1);
	a.refs = (const uint8_t (*)[32])id1;
	a.nrefs = 1;
	a.ts = TS0 + 5;
	a.text = "gagnant";
	fx_put(&f, &a, ida);
	a.ts = TS0 + 3;
	a.text = "perdant";
	fx_put(&f, &a, idb);
	CHECK_EQ_INT(fx_search(&f, "gagnant", NULL, keys, sizeof(keys), &r),
	    0);
	CHECK_STR(keys, "conf");
	CHECK(memcmp(r.revision, ida, 32) == 0);
	CHECK_EQ_INT(fx_search(&f, "perdant", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "");
	CHECK_EQ_INT(fx_search(&f, "origine", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK_STR(keys, "");
	fx_close(&f);
}

TEST(a_deleted_article_leaves_the_index)
{
	static const uint8_t tomb[32] = { 1 };
	struct art a = { "gone", TS0 + 1, "Titre", "éphémère", "fr", NULL,
	    { NULL }, NULL, 0 };
	struct fixture f;
	uint64_t bytes, n;
	struct errbuf eb;
	char keys[256];
	MDB_txn *txn;

	fx_open(&f);
	fx_put(&f, &a, NULL);
	CHECK_EQ_INT(fx_search(&f, "ephemere", NULL, keys, sizeof(keys),
	    NULL), 0);
	CHECK_STR(keys, "gone");
	/* As a tombstone does: mark it deleted, call the hook. */
	REQUIRE(mdb_txn_begin(f.st->env, NULL, 0, &txn) == 0);
	CHECK_EQ_INT(store_put(txn, f.st->deleted, "kb\0gone", 7, tomb, 32,
	    0), 0);
	CHECK_EQ_INT(search_article_changed(f.st, txn, "gone"), 0);
	CHECK_EQ_INT(mdb_txn_commit(txn), 0);
	CHECK_EQ_INT(fx_search(&f, "ephemere", NULL, keys, sizeof(keys),
	    NULL), 0);
	CHECK_STR(keys, "");
	CHECK_EQ_INT(search_stats(f.st, &bytes, &n, &eb), 0);
	CHECK_EQ_INT(n, 0);
	fx_close(&f);
}

/* Every result of a few queries, as one string. */
static void
fx_results(struct fixture *f, char *out, size_t cap)
{
	static const char *const q[] = { "sauvegardes", "imprimante",
	    "printing", "serveur chiffrées", "électricité onduleur",
	    "gagnant" };
	struct search_result r[10];
	struct errbuf eb;
	size_t n;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		n = 0;
		CHECK_EQ_INT(search_query(f->st, q[i], NULL, r, 10, &n, &eb),
		    0);
		for (size_t j = 0; j < n; j++) {
			char line[512];

			snprintf(line, sizeof(line), "%.128s %.6f %.240s|",
			    r[j].key, r[j].score, r[j].snippet);
			strncat(out, line, cap - strlen(out) - 1);
		}
		strncat(out, "\n", cap - strlen(out) - 1);
	}
}

TEST(the_index_survives_reopening_and_reindex_gives_the_same)
{
	struct art a = { "conf", TS0 + 10, "Base", "origine", "fr", NULL,
	    { NULL }, NULL, 0 };
	char before[8192], after[8192];
	struct fixture f;
	struct errbuf eb;
	uint8_t id1[32];
	uint64_t n = 0, bytes = 0, n2 = 0;

	fx_open(&f);
	fx_corpus(&f);
	fx_put(&f, &a, id1);
	a.refs = (const uint8_t (*)[32])id1;
	a.nrefs = 1;
	a.ts = TS0 + 11;
	a.text = "gagnant serveur";
	fx_put(&f, &a, NULL);
	fx_results(&f, before, sizeof(before));
	CHECK(strstr(before, "conf") != NULL);
	store_close(&f.st);
	REQUIRE(store_open(&f.st, f.dir, f.pk, &eb) == 0);
	fx_results(&f, after, sizeof(after));
	CHECK_STR(after, before);
	CHECK_EQ_INT(search_reindex(f.st, &n, &eb), 0);
	CHECK_EQ_INT(n, 6);
	fx_results(&f, after, sizeof(after));
	CHECK_STR(after, before);
	CHECK_EQ_INT(search_stats(f.st, &bytes, &n2, &eb), 0);
	CHECK_EQ_INT(n2, 6);
	CHECK(bytes > 0);
	fx_close(&f);
}

TEST(taking_out_the_first_posting_of_a_block_keeps_the_others)
{
	struct art a = { "x1", TS0 + 1, "Un", "commun alpha", "fr", NULL,
	    { NULL }, NULL, 0 };
	struct search_filter flt;
	struct fixture f;
	struct errbuf eb;
	uint8_t id1[32];
	uint64_t n;
	char keys[256];

	fx_open(&f);
	fx_put(&f, &a, id1);
	a.key = "x2";
	a.ts = TS0 + 2;
	a.text = "commun beta";
	fx_put(&f, &a, NULL);
	a.key = "x3";
	a.ts = TS0 + 3;
	a.text = "commun gamma";
	fx_put(&f, &a, NULL);
	a.key = "x1";
	a.ts = TS0 + 4;
	a.text = "delta";
	a.refs = (const uint8_t (*)[32])id1;
	a.nrefs = 1;
	fx_put(&f, &a, NULL);
	memset(&flt, 0, sizeof(flt));
	flt.author = f.pk;
	for (int pass = 0; pass < 2; pass++) {
		CHECK_EQ_INT(fx_search(&f, "commun", NULL, keys, sizeof(keys),
		    NULL), 0);
		CHECK_STR(keys, "x2 x3");
		CHECK_EQ_INT(fx_search(&f, "commun", &flt, keys, sizeof(keys),
		    NULL), 0);
		CHECK_STR(keys, "x2 x3");
		CHECK_EQ_INT(fx_search(&f, "delta un", &flt, keys,
		    sizeof(keys), NULL), 0);
		CHECK_STR(keys, "x1");
		CHECK_EQ_INT(search_reindex(f.st, &n, &eb), 0);
		CHECK_EQ_INT(n, 3);
	}
	fx_close(&f);
}

TEST(empty_and_oversized_queries_are_usage_errors)
{
	char big[SEARCH_QUERY_MAX + 2], keys[64];
	struct search_result r[2];
	struct fixture f;
	struct errbuf eb;
	size_t n = 0;

	fx_open(&f);
	fx_corpus(&f);
	CHECK_EQ_INT(search_query(f.st, "", NULL, r, 2, &n, &eb),
	    AMIE_EUSAGE);
	CHECK_EQ_INT(search_query(f.st, "  -- ", NULL, r, 2, &n, &eb),
	    AMIE_EUSAGE);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(search_query(f.st, big, NULL, r, 2, &n, &eb),
	    AMIE_EUSAGE);
	CHECK_EQ_INT(search_query(f.st, "imprimante", NULL, r,
	    SEARCH_LIMIT_MAX + 1, &n, &eb), AMIE_EUSAGE);
	CHECK_EQ_INT(fx_search(&f, "a b c d e f g h i j k l m n o p q r s t u "
	    "v w x y z aa bb cc dd ee ff gg", NULL, keys, sizeof(keys), NULL),
	    AMIE_EUSAGE);
	fx_close(&f);
}

TEST(the_snippet_marks_the_matched_words)
{
	struct art a = { "long", TS0 + 1, "Réseau",
	    "Introduction. Ce texte parle de beaucoup de choses avant "
	    "d'en venir au fait, avec des phrases longues et inutiles qui "
	    "remplissent l'espace, encore et encore, jusqu'à ce que "
	    "l'imprimante apparaisse enfin au milieu du texte, suivie "
	    "d'autres phrases sur l'Imprimante et le réseau, et d'une fin "
	    "qui n'a plus rien à voir avec le sujet de départ mais qui "
	    "allonge encore et toujours ce corps de texte bien au-delà de "
	    "la taille d'un extrait.", "fr", NULL, { NULL }, NULL, 0 };
	struct search_result r;
	struct fixture f;
	char keys[64];
	const char *s;

	fx_open(&f);
	fx_put(&f, &a, NULL);
	CHECK_EQ_INT(fx_search(&f, "imprimantes", NULL, keys, sizeof(keys),
	    &r), 0);
	REQUIRE(strcmp(keys, "long") == 0);
	CHECK(strlen(r.snippet) <= SEARCH_SNIPPET_MAX);
	CHECK(strstr(r.snippet, "\1imprimante\2 apparaisse") != NULL);
	CHECK(strstr(r.snippet, "\1Imprimante\2") != NULL);
	CHECK(strncmp(r.snippet, "Introduction", 12) != 0);
	/* Every \1 has its \2, and the cut is on a UTF-8 boundary. */
	s = r.snippet;
	CHECK(strchr(s, '\1') != NULL);
	for (int open = 0; *s != '\0'; s++) {
		if (*s == '\1') {
			CHECK(!open);
			open = 1;
		} else if (*s == '\2') {
			CHECK(open);
			open = 0;
		}
	}
	/* A title-only match gives the title. */
	CHECK_EQ_INT(fx_search(&f, "réseaux", NULL, keys, sizeof(keys), &r),
	    0);
	CHECK(strstr(r.snippet, "\1réseau\2") != NULL);
	fx_close(&f);
}

/* The corpus and count more articles, keys "a000" on, every third one
 * in English. */
static void
fx_many(struct fixture *f, unsigned count)
{
	static const char *const words[] = { "imprimante", "serveur",
	    "sauvegarde", "onduleur", "réseau", "poste", "pare-feu",
	    "messagerie" };
	char key[16], title[64], text[256];

	fx_corpus(f);
	for (unsigned i = 0; i < count; i++) {
		struct art a = { key, TS0 + 100 + i, title, text,
		    i % 3 ? "fr" : "en", NULL, { NULL }, NULL, 0 };

		snprintf(key, sizeof(key), "a%03u", i);
		snprintf(title, sizeof(title), "Fiche %u : %s", i,
		    words[i % 8]);
		snprintf(text, sizeof(text), "Le %s et le %s, puis la %s "
		    "numéro %u.", words[i % 8], words[(i / 8) % 8],
		    words[(i * 5) % 8], i);
		fx_put(f, &a, NULL);
	}
}

/* A digest of every entry of the index's databases. */
static void
fx_index_digest(struct fixture *f, uint8_t out[32])
{
	crypto_generichash_state h;
	MDB_dbi dbis[2] = { f->st->terms, f->st->docs };
	MDB_txn *txn;

	crypto_generichash_init(&h, NULL, 0, 32);
	if (mdb_txn_begin(f->st->env, NULL, MDB_RDONLY, &txn) != 0)
		abort();
	for (size_t i = 0; i < 2; i++) {
		MDB_cursor *c;
		MDB_val k, v;
		uint8_t sep = (uint8_t)i;

		if (mdb_cursor_open(txn, dbis[i], &c) != 0)
			abort();
		while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
			uint64_t lens[2] = { k.mv_size, v.mv_size };

			crypto_generichash_update(&h, (const uint8_t *)lens,
			    sizeof(lens));
			crypto_generichash_update(&h, k.mv_data, k.mv_size);
			crypto_generichash_update(&h, v.mv_data, v.mv_size);
		}
		mdb_cursor_close(c);
		crypto_generichash_update(&h, &sep, 1);
	}
	mdb_txn_abort(txn);
	crypto_generichash_final(&h, out, 32);
}

/* Queries over the generated articles too. */
static void
fx_results_many(struct fixture *f, char *out, size_t cap)
{
	static const char *const q[] = { "onduleur", "poste réseau",
	    "messagerie numéro", "fiche 7", "sauvegardes" };
	struct search_result r[20];
	struct errbuf eb;
	size_t n;

	fx_results(f, out, cap);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		n = 0;
		CHECK_EQ_INT(search_query(f->st, q[i], NULL, r, 20, &n, &eb),
		    0);
		for (size_t j = 0; j < n; j++) {
			char line[512];

			snprintf(line, sizeof(line), "%.128s %.6f|", r[j].key,
			    r[j].score);
			strncat(out, line, cap - strlen(out) - 1);
		}
		strncat(out, "\n", cap - strlen(out) - 1);
	}
}

static uint64_t
fx_problems(struct fixture *f)
{
	struct check_stats cs;
	struct errbuf eb;

	if (check_run(f->st, NULL, NULL, &cs, &eb) != 0)
		abort();
	return cs.problems;
}

TEST(a_reindex_in_steps_gives_the_index_of_one_transaction)
{
	char before[16384], after[16384];
	uint8_t d1[32], d2[32];
	struct search_progress pr;
	struct fixture f;
	struct errbuf eb;
	uint64_t n = 0, total = 0, last = 0;
	unsigned steps = 0;

	fx_open(&f);
	fx_many(&f, 60);
	CHECK_EQ_INT(search_reindex(f.st, &n, &eb), 0);
	CHECK_EQ_INT(n, 65);
	fx_index_digest(&f, d1);
	fx_results_many(&f, before, sizeof(before));
	CHECK_EQ_INT(search_reindex_start(f.st, &total, &eb), 0);
	CHECK_EQ_INT(total, 65);
	CHECK_EQ_INT(search_reindex_progress(f.st, &pr, &eb), 0);
	CHECK(pr.running && pr.done == 0 && pr.total == 65);
	do {
		REQUIRE(search_reindex_step(f.st, 7, &pr, &eb) == 0);
		CHECK(pr.done > last || pr.done == 65);
		CHECK_EQ_INT(pr.total, 65);
		last = pr.done;
		steps++;
	} while (pr.running && steps < 100);
	CHECK_EQ_INT(pr.done, 65);
	CHECK_EQ_INT(steps, 10);	/* 9 of 7, then the last 2 */
	fx_index_digest(&f, d2);
	CHECK(memcmp(d1, d2, 32) == 0);
	fx_results_many(&f, after, sizeof(after));
	CHECK_STR(after, before);
	CHECK_EQ_INT(search_reindex_progress(f.st, &pr, &eb), 0);
	CHECK(!pr.running);
	CHECK_EQ_INT(search_reindex_step(f.st, 7, &pr, &eb), AMIE_ENOTFOUND);
	CHECK_EQ_INT(fx_problems(&f), 0);
	fx_close(&f);
}

TEST(an_interrupted_reindex_resumes_after_reopening)
{
	char before[16384], after[16384], keys[512];
	uint8_t d1[32], d2[32];
	struct search_progress pr;
	struct fixture f;
	struct errbuf eb;
	uint64_t n = 0, total = 0;

	fx_open(&f);
	fx_many(&f, 40);
	CHECK_EQ_INT(search_reindex(f.st, &n, &eb), 0);
	fx_index_digest(&f, d1);
	fx_results_many(&f, before, sizeof(before));
	CHECK_EQ_INT(search_reindex_start(f.st, &total, &eb), 0);
	CHECK_EQ_INT(search_reindex_step(f.st, 10, &pr, &eb), 0);
	CHECK(pr.running && pr.done == 10 && pr.total == 45);
	/* Halfway, queries answer from the articles gone through (a000 to
	 * a009: a003 and a007 have the word) and miss the others (elec),
	 * and the check says why. */
	CHECK_EQ_INT(fx_search(&f, "onduleur", NULL, keys, sizeof(keys), NULL),
	    0);
	CHECK(strlen(keys) == 9 && strstr(keys, "a003") != NULL &&
	    strstr(keys, "a007") != NULL);
	CHECK_EQ_INT(fx_problems(&f), 1);
	/* A crash: the mark and the steps committed stay. */
	store_close(&f.st);
	REQUIRE(store_open(&f.st, f.dir, f.pk, &eb) == 0);
	CHECK_EQ_INT(search_reindex_progress(f.st, &pr, &eb), 0);
	CHECK(pr.running && pr.done == 10 && pr.total == 45);
	while (pr.running)
		REQUIRE(search_reindex_step(f.st, 1000, &pr, &eb) == 0);
	CHECK_EQ_INT(pr.done, 45);
	fx_index_digest(&f, d2);
	CHECK(memcmp(d1, d2, 32) == 0);
	fx_results_many(&f, after, sizeof(after));
	CHECK_STR(after, before);
	CHECK_EQ_INT(fx_problems(&f), 0);
	fx_close(&f);
}

TEST(articles_written_during_a_reindex_are_indexed_once)
{
	struct art a = { "a005", TS0 + 500, "Nouvelle fiche",
	    "onduleur neuf", "fr", NULL, { NULL }, NULL, 0 };
	char before[16384], after[16384], keys[512];
	struct search_progress pr;
	struct fixture f;
	struct errbuf eb;
	uint64_t n = 0, total = 0;

	fx_open(&f);
	fx_many(&f, 30);
	CHECK_EQ_INT(search_reindex_start(f.st, &total, &eb), 0);
	CHECK_EQ_INT(search_reindex_step(f.st, 3, &pr, &eb), 0);
	/* Ahead of the mark: a new article, and a new revision of one not
	 * gone through yet (a005, replacing its text). */
	fx_put(&f, &a, NULL);
	a.key = "a_new";
	a.title = "Tout neuf";
	a.text = "messagerie onduleur";
	fx_put(&f, &a, NULL);
	CHECK_EQ_INT(fx_search(&f, "neuf", NULL, keys, sizeof(keys), NULL), 0);
	CHECK(strlen(keys) == 10 && strstr(keys, "a005") != NULL &&
	    strstr(keys, "a_new") != NULL);
	while (pr.running)
		REQUIRE(search_reindex_step(f.st, 4, &pr, &eb) == 0);
	CHECK_EQ_INT(pr.done, 36);	/* 30, 5 and a_new */
	CHECK_EQ_INT(pr.total, 36);
	CHECK_EQ_INT(fx_problems(&f), 0);
	fx_results_many(&f, after, sizeof(after));
	CHECK_EQ_INT(search_reindex(f.st, &n, &eb), 0);
	CHECK_EQ_INT(n, 36);
	fx_results_many(&f, before, sizeof(before));
	CHECK_STR(after, before);
	fx_close(&f);
}

/* Append word, then a space, times times to the *n bytes at buf. */
static void
fx_words(char *buf, size_t cap, size_t *n, const char *word, unsigned times)
{
	for (unsigned i = 0; i < times; i++)
		*n += (size_t)snprintf(buf + *n, cap - *n, "%s ", word);
}

/*
 * Many articles with both words of a query, at many frequencies and
 * lengths: the best few leave most of them no chance, so the pruned
 * search skips them.  It must give what scoring every candidate gives:
 * the same articles, in the same order, with the same scores to the
 * bit, and the same snippets.
 */
TEST(pruning_gives_exactly_the_exhaustive_results)
{
	static const char *const q[] = { "imprimante serveur",
	    "serveur imprimante onduleur", "imprimantes serveurs",
	    "imprimante", "serveur onduleur zzzqqq" };
	static const size_t limits[] = { 1, 5, 20 };
	struct search_result *pr, *ex;
	struct search_filter flt;
	struct search_work wk;
	struct store_in in[50];
	struct store_out o[50];
	struct fixture f;
	struct errbuf eb;
	uint64_t pruned = 0;
	size_t n5 = 0;
	char key[16], title[128], text[2048];

	fx_open(&f);
	for (unsigned i = 0; i < 400; i += 50) {
		for (unsigned j = 0; j < 50; j++) {
			unsigned k = i + j;
			struct art a = { key, TS0 + 100 + k, title, text, "fr",
			    k % 2 ? "reseau" : "poste", { NULL }, NULL, 0 };
			size_t n = 0;

			snprintf(key, sizeof(key), "p%03u", k);
			snprintf(title, sizeof(title), "Fiche %u", k);
			fx_words(text, sizeof(text), &n, "imprimante",
			    k % 40 ? 1 + k % 3 : 8);
			fx_words(text, sizeof(text), &n, "serveur",
			    k % 40 ? 1 + k % 2 : 8);
			fx_words(text, sizeof(text), &n, "onduleur",
			    k % 4 == 1);
			fx_words(text, sizeof(text), &n, "bureau",
			    k % 40 ? (k * 7) % 60 : 0);
			in[j].buf = fx_sign(&f, &a, NULL, &in[j].len);
		}
		REQUIRE(store_ingest(f.st, in, 50, TS0 + 10000000, o,
		    &eb) == 0);
		for (unsigned j = 0; j < 50; j++) {
			CHECK(o[j].stored);
			free((void *)in[j].buf);
		}
	}
	pr = xcalloc(20, sizeof(*pr));
	ex = xcalloc(20, sizeof(*ex));
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		for (size_t l = 0; l < 3; l++) {
			for (int filtered = 0; filtered < 2; filtered++) {
				size_t np = 0, ne = 0;

				memset(&flt, 0, sizeof(flt));
				if (filtered)
					flt.category = "reseau";
				search_set_exhaustive(f.st, 0);
				CHECK_EQ_INT(search_query(f.st, q[i], &flt, pr,
				    limits[l], &np, &eb), 0);
				search_work(f.st, &wk);
				pruned += wk.pruned;
				search_set_exhaustive(f.st, 1);
				CHECK_EQ_INT(search_query(f.st, q[i], &flt, ex,
				    limits[l], &ne, &eb), 0);
				search_work(f.st, &wk);
				CHECK_EQ_INT(wk.pruned, 0);
				CHECK(wk.scored > 0);
				CHECK_EQ_INT(np, ne);
				CHECK_EQ_INT(np, limits[l]);
				for (size_t j = 0; j < np && j < ne; j++) {
					CHECK_STR(pr[j].key, ex[j].key);
					CHECK(memcmp(&pr[j].score, &ex[j].score,
					    sizeof(double)) == 0);
					CHECK(memcmp(pr[j].revision,
					    ex[j].revision, 32) == 0);
					CHECK_STR(pr[j].snippet, ex[j].snippet);
				}
			}
		}
	}
	/* The first query alone, 5 results: every article is a candidate,
	 * and once the heap holds articles with both words 8 times in a
	 * short body, those with a few in a long one are pruned (121 of
	 * the 400 when this was written). */
	search_set_exhaustive(f.st, 0);
	CHECK_EQ_INT(search_query(f.st, q[0], NULL, pr, 5, &n5, &eb), 0);
	CHECK_EQ_INT(n5, 5);
	search_work(f.st, &wk);
	CHECK_EQ_INT(wk.pruned + wk.scored, 400);
	CHECK(wk.pruned >= 100);
	CHECK(pruned > 0);
	free(pr);
	free(ex);
	fx_close(&f);
}

/*
 * More heads than STORE_HEADS_MAX (concurrent revisions nobody merged):
 * the display winner that kb show, kb edit and kb list take from
 * store_object_heads() must be the revision the index holds, the latest.
 */
TEST(with_more_heads_than_reported_the_shown_winner_is_the_indexed_one)
{
	struct art a = { "many", 0, "Titre", NULL, "fr", NULL, { NULL },
	    NULL, 0 };
	struct store_head heads[STORE_HEADS_MAX];
	struct search_result r;
	struct fixture f;
	struct errbuf eb;
	uint8_t id[32];
	size_t n = 0, w;
	char keys[64], text[32];

	fx_open(&f);
	a.text = text;
	for (unsigned i = 0; i < STORE_HEADS_MAX + 6; i++) {
		a.ts = TS0 + 1 + i;
		snprintf(text, sizeof(text), "tete numero%u", i);
		fx_put(&f, &a, id);
	}
	CHECK_EQ_INT(fx_search(&f, "tete", NULL, keys, sizeof(keys), &r), 0);
	CHECK_STR(keys, "many");
	CHECK(memcmp(r.revision, id, 32) == 0);
	REQUIRE(store_object_heads(f.st, "kb", "many", heads, STORE_HEADS_MAX,
	    &n, &eb) == 0);
	CHECK_EQ_INT(n, STORE_HEADS_MAX);
	w = store_head_winner(heads, n);
	CHECK(memcmp(heads[w].id, id, 32) == 0);
	CHECK_EQ_INT(heads[w].ts, TS0 + STORE_HEADS_MAX + 6);
	fx_close(&f);
}

/*
 * The fallback to any word is decided among the articles the filters
 * let through: an article with every word but another tag must not hide
 * those of the tag with some of the words.
 */
TEST(the_fallback_to_any_word_looks_only_at_filtered_articles)
{
	struct search_filter flt;
	struct fixture f;
	char keys[256];

	fx_open(&f);
	fx_corpus(&f);
	/* Only "elec" (tag onduleur) has both words. */
	CHECK_EQ_INT(fx_search(&f, "sauvegardes onduleur", NULL, keys,
	    sizeof(keys), NULL), 0);
	CHECK_STR(keys, "elec");
	memset(&flt, 0, sizeof(flt));
	flt.tag = "sauvegarde";
	CHECK_EQ_INT(fx_search(&f, "sauvegardes onduleur", &flt, keys,
	    sizeof(keys), NULL), 0);
	CHECK_STR(keys, "sauv");
	flt.tag = NULL;
	flt.category = "poste";
	CHECK_EQ_INT(fx_search(&f, "sauvegardes onduleur", &flt, keys,
	    sizeof(keys), NULL), 0);
	CHECK_STR(keys, "body");
	fx_close(&f);
}

/* Sign a tombstone of the nrefs revisions at refs, into *len bytes. */
static uint8_t *
fx_sign_tomb(struct fixture *f, uint64_t ts, const uint8_t (*refs)[32],
    uint32_t nrefs, size_t *len)
{
	struct body_tombstone t = { { "", 0 } };
	struct record_header h;
	struct mpw body, out;
	uint8_t id[32];

	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&out, RECORD_ENCODED_MAX);
	body_tombstone_encode(&t, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "tombstone", 9);
	memcpy(h.author, f->pk, 32);
	h.ts = ts;
	h.refs_count = nrefs;
	memcpy(h.refs, refs, nrefs * 32);
	if (record_sign(&h, body.buf, body.len, f->sk, f->net, &out, id,
	    NULL) != 0)
		abort();
	mpw_release(&body);
	return mpw_take(&out, len);
}

/* The results of a few queries over fx_random()'s words, as one string:
 * the scores in order, and the keys with their scores sorted when all
 * fit (ties come in the order of numbers, which a reindex changes). */
static int
fx_line_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void
fx_random_results(struct fixture *f, char *out, size_t cap)
{
	static const char *const q[] = { "alpha", "bravo charlie", "delta",
	    "echo foxtrot golf", "hotel", "alpha hotel", "india juliet",
	    "juliet india zulu" };
	static char lines[SEARCH_LIMIT_MAX][160];
	static struct search_result r[SEARCH_LIMIT_MAX];
	struct errbuf eb;
	size_t n;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		n = 0;
		CHECK_EQ_INT(search_query(f->st, q[i], NULL, r,
		    SEARCH_LIMIT_MAX, &n, &eb), 0);
		for (size_t j = 0; j < n; j++) {
			snprintf(lines[j], sizeof(lines[j]), "%.6f|",
			    r[j].score);
			strncat(out, lines[j], cap - strlen(out) - 1);
			snprintf(lines[j], sizeof(lines[j]), "%.128s %.6f|",
			    r[j].key, r[j].score);
		}
		strncat(out, "\n", cap - strlen(out) - 1);
		if (n == SEARCH_LIMIT_MAX)
			continue;
		qsort(lines, n, sizeof(lines[0]), fx_line_cmp);
		for (size_t j = 0; j < n; j++)
			strncat(out, lines[j], cap - strlen(out) - 1);
		strncat(out, "\n", cap - strlen(out) - 1);
	}
}

#define FX_KEYS 300

/*
 * Batches of new articles, revisions, concurrent revisions and deletions,
 * several of one article in one batch: after each batch the store check
 * finds the index exact, and at the end a reindex gives the same results.
 */
TEST(random_revisions_and_deletions_keep_the_index_exact)
{
	static const char *const words[] = { "alpha", "bravo", "charlie",
	    "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet" };
	static uint8_t last[FX_KEYS][32];
	static int nrev[FX_KEYS], deleted[FX_KEYS];
	static char before[131072], after[131072];
	char key[16], title[64], text[512];
	struct store_in in[8];
	struct store_out o[8];
	struct fixture f;
	struct errbuf eb;
	uint64_t ts = TS0 + 100, n;
	unsigned seed = 12345, problems = 0;

	fx_open(&f);
	memset(nrev, 0, sizeof(nrev));
	memset(deleted, 0, sizeof(deleted));
	for (unsigned batch = 0; batch < 400; batch++) {
		size_t count = 1 + rand_r(&seed) % 8;

		for (size_t i = 0; i < count; i++) {
			unsigned k = (unsigned)rand_r(&seed) % FX_KEYS;
			unsigned what = (unsigned)rand_r(&seed) % 10;

			if (deleted[k])
				k = (k + 1) % FX_KEYS;
			if (nrev[k] > 0 && what == 0 && !deleted[k]) {
				in[i].buf = fx_sign_tomb(&f, ts++,
				    (const uint8_t (*)[32])last[k], 1,
				    &in[i].len);
				deleted[k] = 1;
				continue;
			}
			{
				struct art a = { key, ts++ - (what == 1 ?
				    (uint64_t)rand_r(&seed) % 60 : 0), title, text,
				    what % 3 ? "fr" : "en", NULL, { NULL },
				    NULL, 0 };
				size_t tn = 0;

				snprintf(key, sizeof(key), "k%03u", k);
				snprintf(title, sizeof(title), "%s %u",
				    words[rand_r(&seed) % 10], k);
				for (int w = 0; w < 1 + rand_r(&seed) % 12; w++)
					tn += (size_t)snprintf(text + tn,
					    sizeof(text) - tn, "%s ",
					    words[rand_r(&seed) % 10]);
				if (nrev[k] > 0 && what != 1) {
					a.refs = (const uint8_t (*)[32])last[k];
					a.nrefs = 1;
				}
				in[i].buf = fx_sign(&f, &a, last[k],
				    &in[i].len);
				nrev[k]++;
			}
		}
		REQUIRE(store_ingest(f.st, in, count, TS0 + 10000000, o,
		    &eb) == 0);
		for (size_t i = 0; i < count; i++)
			free((void *)in[i].buf);
		if (batch % 20 == 19 && (n = fx_problems(&f)) != 0 &&
		    problems++ == 0)
			fprintf(stderr, "  after batch %u: %llu problems\n",
			    batch, (unsigned long long)n);
	}
	CHECK_EQ_INT(problems, 0);
	fx_random_results(&f, before, sizeof(before));
	CHECK_EQ_INT(search_reindex(f.st, &n, &eb), 0);
	fx_random_results(&f, after, sizeof(after));
	CHECK_STR(before, after);
	CHECK_EQ_INT(fx_problems(&f), 0);
	fx_close(&f);
}

TESTS(T(imprimante_reseau_finds_imprimantes_reseau),
    T(accent_and_case_variants_give_identical_lists),
    T(oeuvre_finds_the_ligature_and_pare_feu_splits),
    T(english_plurals_and_ing_forms_match),
    T(a_title_match_ranks_above_a_body_only_match),
    T(all_words_must_match_else_any_word),
    T(filters_on_tag_category_lang_and_author),
    T(a_new_revision_replaces_the_old_text),
    T(with_two_heads_the_winner_is_indexed),
    T(a_deleted_article_leaves_the_index),
    T(the_index_survives_reopening_and_reindex_gives_the_same),
    T(taking_out_the_first_posting_of_a_block_keeps_the_others),
    T(empty_and_oversized_queries_are_usage_errors),
    T(the_snippet_marks_the_matched_words),
    T(a_reindex_in_steps_gives_the_index_of_one_transaction),
    T(an_interrupted_reindex_resumes_after_reopening),
    T(articles_written_during_a_reindex_are_indexed_once),
    T(pruning_gives_exactly_the_exhaustive_results),
    T(with_more_heads_than_reported_the_shown_winner_is_the_indexed_one),
    T(the_fallback_to_any_word_looks_only_at_filtered_articles),
    T(random_revisions_and_deletions_keep_the_index_exact))
