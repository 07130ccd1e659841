/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Search benchmark: BENCH_SCALE (default BENCH_DEFAULT) French and
 * English articles of 1 to 5 KiB, drawn from a vocabulary with Zipf-like
 * frequencies, signed as kb records and ingested through store_ingest in
 * batches of BENCH_BATCH into a temporary store, which indexes them.
 * Limits measured in the same run: the bare text pipeline over the same
 * texts (text_words, one core) for the build rate, and the text size for
 * the index size (search_stats(): the pages of its databases).  Then
 * 1,000 mixed queries in process.  Prints tab-separated rows: figure,
 * value, unit, limit, ratio, target, verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/record.h"
#include "proto/xmalloc.h"
#include "store/search.h"
#include "store/store.h"
#include "store/text.h"

/* The scale of the issue; the whole run takes under 3 minutes.
 * BENCH_SCALE sets another. */
#define BENCH_DEFAULT	100000
#define BENCH_BATCH	1000
#define BENCH_QUERIES	1000
#define BENCH_VOCAB	20000	/* words per language */
#define BENCH_SIZE_TARGET 1.0	/* of the text size */
#define BENCH_P99_MS	5.0

struct bench_rec {
	uint8_t *buf;
	size_t len;
};

struct bench_vocab {
	char **w;
	double *cum;			/* cumulative Zipf weights */
	size_t count;
};

static uint64_t bench_rng = 0x9e3779b97f4a7c15ull;

static uint64_t
bench_rand(void)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return bench_rng;
}

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Common words first, then made-up ones from syllables (some accented),
 * weighted 1 / rank. */
static void
bench_vocab(struct bench_vocab *v, const char *const *common, size_t ncommon,
    const char *const *syl, size_t nsyl)
{
	double sum = 0;

	v->count = BENCH_VOCAB;
	v->w = xcalloc(v->count, sizeof(*v->w));
	v->cum = xcalloc(v->count, sizeof(*v->cum));
	for (size_t i = 0; i < v->count; i++) {
		char buf[64] = "";

		if (i < ncommon) {
			v->w[i] = xstrdup(common[i]);
		} else {
			size_t n = 2 + bench_rand() % 3;

			for (size_t j = 0; j < n; j++)
				strcat(buf, syl[bench_rand() % nsyl]);
			v->w[i] = xstrdup(buf);
		}
		sum += 1.0 / (double)(i + 1);
		v->cum[i] = sum;
	}
	for (size_t i = 0; i < v->count; i++)
		v->cum[i] /= sum;
}

static const char *
bench_word(const struct bench_vocab *v)
{
	double x = (double)(bench_rand() >> 11) / 9007199254740992.0;
	size_t lo = 0, hi = v->count - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->cum[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v->w[lo];
}

/* Words up to about len bytes into out, sentences and paragraphs. */
static size_t
bench_text(const struct bench_vocab *v, char *out, size_t len, int title)
{
	size_t n = 0, words = 0;
	int cap = 1;

	while (n + (title ? 8 : 40) < len) {
		const char *w = bench_word(v);
		size_t l = strlen(w);

		if (words > 0)
			out[n++] = ' ';
		memcpy(out + n, w, l);
		if (cap && out[n] >= 'a' && out[n] <= 'z')
			out[n] -= 'a' - 'A';
		n += l;
		cap = 0;
		words++;
		if (!title && bench_rand() % 12 == 0) {
			out[n++] = bench_rand() % 3 ? '.' : ',';
			cap = out[n - 1] == '.';
			if (cap && bench_rand() % 5 == 0)
				out[n++] = '\n';
		}
	}
	out[n] = '\0';
	return n;
}

static const char *const fr_common[] = { "le", "la", "de", "et", "les",
	"des", "un", "une", "pour", "sur", "dans", "avec", "est", "que",
	"pas", "imprimante", "réseau", "serveur", "sauvegarde", "données",
	"mot", "passe", "utilisateur", "électricité", "configuration",
	"adresse", "redémarrer", "poste", "logiciel", "mise", "à", "jour",
	"sauvegardées", "pare-feu", "messagerie", "boîte", "connexion",
	"sécurité", "disque", "fichiers", "partagé", "œuvre", "vérifier",
	"installer", "problème", "écran", "clavier", "routeur", "box",
	"onduleur", "câble", "wifi", "accès", "droits", "compte",
	"association", "bénévoles", "téléphone", "impression", "pilote" };
static const char *const fr_syl[] = { "ma", "ri", "con", "té", "ver",
	"sa", "lo", "mé", "tion", "par", "gé", "ble", "ment", "ré", "ca",
	"pi", "nu", "dé", "ter", "è", "an", "ou", "cè", "ra", "li", "es" };
static const char *const en_common[] = { "the", "a", "to", "and", "of",
	"in", "is", "for", "on", "with", "printer", "network", "server",
	"backup", "password", "user", "restart", "settings", "update",
	"install", "printing", "shared", "folder", "files", "disk",
	"firewall", "router", "mail", "account", "access", "driver",
	"checking", "configured", "connection", "security", "screen",
	"keyboard", "cable", "power", "volunteers", "phone", "upgrade" };
static const char *const en_syl[] = { "ba", "ker", "ton", "ing", "sen",
	"ly", "pro", "ter", "com", "ed", "mo", "re", "ble", "vi", "ca",
	"tion", "al", "ness", "dor", "ru" };

struct bench_count {
	size_t words;
};

static int
bench_count_word(void *ctx, const struct text_word *w)
{
	struct bench_count *c = ctx;

	c->words += w->count;
	return 0;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	const char *scale_env = getenv("BENCH_SCALE");
	size_t n = scale_env ? strtoul(scale_env, NULL, 10) : BENCH_DEFAULT;
	uint8_t pk[32], sk[64], net[32], id[32];
	char dir[] = "/tmp/amie-search-bench.XXXXXX", cmd[128], key[40];
	char *title, *text, **titles, **texts;
	struct bench_vocab fr, en;
	struct bench_rec charter, *recs;
	struct store_in *in;
	struct store_out *out;
	struct search_result *res;
	struct body_charter ch;
	struct record_header h;
	struct bench_count cnt = { 0 };
	struct body_kb a;
	struct store *st;
	struct record rec;
	struct mpw body, w;
	struct errbuf eb;
	struct text *t;
	uint64_t ts0 = 1764320000000ull, idx_bytes = 0, idx_articles = 0;
	size_t text_bytes = 0, stored = 0, hits = 0;
	double t0, pipe_s, cold_s, build_s, pipe_rate, build_rate, lat[BENCH_QUERIES];

	if (sodium_init() < 0 || n == 0 || mkdtemp(dir) == NULL)
		return 1;
	crypto_sign_keypair(pk, sk);
	bench_vocab(&fr, fr_common, sizeof(fr_common) / sizeof(fr_common[0]),
	    fr_syl, sizeof(fr_syl) / sizeof(fr_syl[0]));
	bench_vocab(&en, en_common, sizeof(en_common) / sizeof(en_common[0]),
	    en_syl, sizeof(en_syl) / sizeof(en_syl[0]));
	mpw_init(&body, RECORD_BODY_MAX);
	ch.name.s = "Bench";
	ch.name.len = 5;
	memcpy(ch.founder, pk, 32);
	ch.admit_quorum = ch.remove_quorum = 1;
	body_charter_encode(&ch, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "charter", 7);
	memcpy(h.author, pk, 32);
	h.ts = ts0;
	mpw_init(&w, RECORD_ENCODED_MAX);
	if (record_sign(&h, body.buf, body.len, sk, NULL, &w, id, NULL) != 0)
		return 1;
	charter.buf = mpw_take(&w, &charter.len);
	record_decode(&rec, charter.buf, charter.len, NULL);
	record_network_id(net, rec.header, rec.header_len);

	fprintf(stderr, "bench: writing and signing %zu articles...\n", n);
	recs = xcalloc(n, sizeof(*recs));
	titles = xcalloc(n, sizeof(*titles));
	texts = xcalloc(n, sizeof(*texts));
	for (size_t i = 0; i < n; i++) {
		const struct bench_vocab *v = i % 3 == 2 ? &en : &fr;
		size_t tl, bl;

		title = xmalloc(128);
		text = xmalloc(5 * 1024 + 1);
		tl = bench_text(v, title, 40 + bench_rand() % 60, 1);
		bl = bench_text(v, text, 1024 + bench_rand() % (4 * 1024), 0);
		titles[i] = title;
		texts[i] = text;
		text_bytes += tl + bl;
		memset(&a, 0, sizeof(a));
		a.title.s = title;
		a.title.len = (uint32_t)tl;
		a.text.s = text;
		a.text.len = (uint32_t)bl;
		a.lang.s = v == &en ? "en" : "fr";
		a.lang.len = 2;
		a.category.s = i % 2 ? "reseau" : "poste";
		a.category.len = (uint32_t)strlen(a.category.s);
		mpw_reset(&body);
		body_kb_encode(&a, &body);
		snprintf(key, sizeof(key), "article-%08zu", i);
		memset(&h, 0, sizeof(h));
		memcpy(h.kind, "kb", 2);
		memcpy(h.key, key, strlen(key));
		memcpy(h.author, pk, 32);
		h.ts = ts0 + 1 + i;
		mpw_init(&w, RECORD_ENCODED_MAX);
		if (record_sign(&h, body.buf, body.len, sk, net, &w, id,
		    NULL) != 0) {
			fprintf(stderr, "bench: signing failed\n");
			return 1;
		}
		recs[i].buf = mpw_take(&w, &recs[i].len);
	}

	/* The limit: the text pipeline alone over the same texts. */
	t = text_new();
	t0 = bench_now();
	for (size_t i = 0; i < n; i++) {
		enum text_lang l = i % 3 == 2 ? TEXT_LANG_EN : TEXT_LANG_FR;

		text_words(t, titles[i], strlen(titles[i]), l,
		    bench_count_word, &cnt);
		text_words(t, texts[i], strlen(texts[i]), l,
		    bench_count_word, &cnt);
	}
	pipe_s = bench_now() - t0;
	text_free(&t);
	/* A new pipeline (cold word cache) per article, for information:
	 * the ingest hook keeps the store's one. */
	t0 = bench_now();
	for (size_t i = 0; i < n; i++) {
		enum text_lang l = i % 3 == 2 ? TEXT_LANG_EN : TEXT_LANG_FR;

		t = text_new();
		text_words(t, titles[i], strlen(titles[i]), l,
		    bench_count_word, &cnt);
		text_words(t, texts[i], strlen(texts[i]), l,
		    bench_count_word, &cnt);
		text_free(&t);
	}
	cold_s = bench_now() - t0;

	/* The real path: ingest, which indexes, in batches, on disk. */
	if (store_open(&st, dir, pk, &eb) != 0) {
		fprintf(stderr, "bench: %s\n", eb.msg);
		return 1;
	}
	store_set_verify_threads(st, 1);	/* the row says 1 core */
	in = xcalloc(BENCH_BATCH, sizeof(*in));
	out = xcalloc(BENCH_BATCH, sizeof(*out));
	in[0].buf = charter.buf;
	in[0].len = charter.len;
	store_ingest(st, in, 1, ts0 + n + 1, out, &eb);
	fprintf(stderr, "bench: ingesting and indexing...\n");
	t0 = bench_now();
	for (size_t i = 0; i < n; i += BENCH_BATCH) {
		size_t k = n - i < BENCH_BATCH ? n - i : BENCH_BATCH;

		for (size_t j = 0; j < k; j++) {
			in[j].buf = recs[i + j].buf;
			in[j].len = recs[i + j].len;
		}
		if (store_ingest(st, in, k, ts0 + n + 1, out, &eb) != 0) {
			fprintf(stderr, "bench: %s\n", eb.msg);
			return 1;
		}
		for (size_t j = 0; j < k; j++) {
			stored += out[j].stored;
			if (!out[j].stored)
				fprintf(stderr, "bench: refused: %s\n",
				    out[j].reason);
		}
	}
	build_s = bench_now() - t0;
	if (stored != n) {
		fprintf(stderr, "bench: stored %zu of %zu\n", stored, n);
		return 1;
	}
	if (search_stats(st, &idx_bytes, &idx_articles, &eb) != 0) {
		fprintf(stderr, "bench: %s\n", eb.msg);
		return 1;
	}

	/* Mixed queries: one to three words, frequent and rare, French
	 * and English, some in capitals, some with a filter. */
	res = xcalloc(10, sizeof(*res));
	for (size_t i = 0; i < BENCH_QUERIES; i++) {
		const struct bench_vocab *v = i % 3 == 2 ? &en : &fr;
		struct search_filter f;
		char q[256] = "";
		size_t nw = 1 + i % 3, count = 0;

		for (size_t j = 0; j < nw; j++) {
			if (j > 0)
				strcat(q, " ");
			strncat(q, bench_word(v), 60);
		}
		if (i % 7 == 0)
			for (char *p = q; *p != '\0'; p++)
				if (*p >= 'a' && *p <= 'z')
					*p -= 'a' - 'A';
		memset(&f, 0, sizeof(f));
		if (i % 5 == 0)
			f.category = "reseau";
		t0 = bench_now();
		if (search_query(st, q, &f, res, 10, &count, &eb) != 0) {
			fprintf(stderr, "bench: query '%s': %s\n", q, eb.msg);
			return 1;
		}
		lat[i] = (bench_now() - t0) * 1000;
		hits += count > 0;
	}
	qsort(lat, BENCH_QUERIES, sizeof(lat[0]), bench_cmp_double);
	store_close(&st);

	pipe_rate = (double)n / pipe_s;
	build_rate = (double)n / build_s;
	printf("bare text pipeline, 1 core (%zu articles)\t%.0f\tarticles/s\t-\t-\t-\t-\n",
	    n, pipe_rate);
	printf("text pipeline, new one per article\t%.0f\tarticles/s\t-\t-\t-\t-\n",
	    (double)n / cold_s);
	/* The issue sets no target here: the ratio is printed. */
	printf("kb ingest + index, 1 core (%zu articles)\t%.0f\tarticles/s\t%.0f\t%.2f\t(printed)\t-\n",
	    n, build_rate, pipe_rate, build_rate / pipe_rate);
	printf("kb text indexed (title + body)\t%.0f\tbytes/article\t-\t-\t-\t-\n",
	    (double)text_bytes / (double)n);
	printf("search index (LMDB pages)\t%.0f\tbytes/article\t%.0f\t%.2f\t<= %.2f\t%s\n",
	    (double)idx_bytes / (double)n, (double)text_bytes / (double)n,
	    (double)idx_bytes / (double)text_bytes, BENCH_SIZE_TARGET,
	    (double)idx_bytes / (double)text_bytes <= BENCH_SIZE_TARGET ?
	    "pass" : "FAIL");
	printf("search latency p50 (%d mixed queries, %zu hit)\t%.3f\tms\t-\t-\t-\t-\n",
	    BENCH_QUERIES, hits, lat[BENCH_QUERIES / 2]);
	printf("search latency p99\t%.3f\tms\t%.1f\t%.2f\t< 1.00\t%s\n",
	    lat[BENCH_QUERIES * 99 / 100], BENCH_P99_MS,
	    lat[BENCH_QUERIES * 99 / 100] / BENCH_P99_MS,
	    lat[BENCH_QUERIES * 99 / 100] < BENCH_P99_MS ? "pass" : "FAIL");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
	for (size_t i = 0; i < n; i++) {
		free(recs[i].buf);
		free(titles[i]);
		free(texts[i]);
	}
	for (size_t i = 0; i < BENCH_VOCAB; i++) {
		free(fr.w[i]);
		free(en.w[i]);
	}
	free(fr.w);
	free(fr.cum);
	free(en.w);
	free(en.cum);
	free(recs);
	free(titles);
	free(texts);
	free(charter.buf);
	free(in);
	free(out);
	free(res);
	mpw_release(&body);
	return 0;
}
