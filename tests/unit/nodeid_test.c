/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests for proto/nodeid.h, against the reference vectors in
 * tests/vectors/node-id.txt (run from the repository root) and against a
 * second, deliberately plain implementation of Syncthing's scheme below.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/nodeid.h"
#include "tests/unit/test.h"

#define VECTOR_PATH "tests/vectors/node-id.txt"
#define VECTORS_MAX 32

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

struct idvec {
	uint8_t key[NODEID_KEY_LEN];
	char id[NODEID_LEN + 1];
};

/* Read every vector; the count, or -1 with a message. */
static int
vectors_load(struct idvec *v, int max)
{
	char line[512], hex[128], id[128];
	FILE *f;
	int n = 0;

	if ((f = fopen(VECTOR_PATH, "r")) == NULL) {
		fprintf(stderr, "  cannot open %s (run from the repository "
		    "root)\n", VECTOR_PATH);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (n == max || sscanf(line, "%127s %127s", hex, id) != 2 ||
		    test_unhex(v[n].key, NODEID_KEY_LEN, hex) !=
		    NODEID_KEY_LEN || strlen(id) != NODEID_LEN) {
			fprintf(stderr, "  bad vector line: %s", line);
			fclose(f);
			return -1;
		}
		memcpy(v[n].id, id, NODEID_LEN + 1);
		n++;
	}
	fclose(f);
	if (n == 0)
		fprintf(stderr, "  no vectors in %s\n", VECTOR_PATH);
	return n > 0 ? n : -1;
}

static int
ref_value(char c)
{
	const char *p = strchr(alphabet, c);

	return c != '\0' && p != NULL ? (int)(p - alphabet) : -1;
}

/* Syncthing's luhn32 (lib/protocol/luhn.go), written out again. */
static char
ref_luhn(const char *s, size_t n)
{
	int factor = 1, sum = 0;

	for (size_t i = 0; i < n; i++) {
		int addend = factor * ref_value(s[i]);

		factor = factor == 2 ? 1 : 2;
		sum += addend / 32 + addend % 32;
	}
	return alphabet[(32 - sum % 32) % 32];
}

/* The id of key, bit by bit: base32, check characters, groups. */
static void
ref_format(char out[NODEID_LEN + 1], const uint8_t key[NODEID_KEY_LEN])
{
	char b32[52], chk[56];
	size_t o = 0;

	for (size_t c = 0; c < 52; c++) {
		int v = 0;

		for (size_t k = 0; k < 5; k++) {
			size_t bit = c * 5 + k;

			v <<= 1;
			if (bit < 256)
				v |= (key[bit / 8] >> (7 - bit % 8)) & 1;
		}
		b32[c] = alphabet[v];
	}
	for (size_t g = 0; g < 4; g++) {
		memcpy(chk + g * 14, b32 + g * 13, 13);
		chk[g * 14 + 13] = ref_luhn(b32 + g * 13, 13);
	}
	for (size_t i = 0; i < 56; i++) {
		if (i > 0 && i % 7 == 0)
			out[o++] = '-';
		out[o++] = chk[i];
	}
	out[o] = '\0';
}

/* Replace each character of s found in from by the one at the same place
 * in to. */
static void
translate(char *s, const char *from, const char *to)
{
	for (; *s != '\0'; s++) {
		const char *p = strchr(from, *s);

		if (p != NULL)
			*s = to[p - from];
	}
}

/* nodeid_parse(s) gives key. */
static int
parses_to(const char *s, const uint8_t key[NODEID_KEY_LEN])
{
	uint8_t got[NODEID_KEY_LEN];
	struct errbuf eb;

	errbuf_clear(&eb);
	if (nodeid_parse(got, s, &eb) != 0) {
		fprintf(stderr, "  \"%s\" refused: %s\n", s, eb.msg);
		return 0;
	}
	if (memcmp(got, key, NODEID_KEY_LEN) != 0) {
		fprintf(stderr, "  \"%s\" parsed to another key\n", s);
		return 0;
	}
	return 1;
}

/* nodeid_parse(s) fails with AMIE_EPROTO and a message, leaving key. */
static int
parse_fails(const char *s)
{
	uint8_t key[NODEID_KEY_LEN];
	struct errbuf eb;
	int rc;

	memset(key, 0xa5, sizeof(key));
	errbuf_clear(&eb);
	rc = nodeid_parse(key, s, &eb);
	for (size_t i = 0; i < sizeof(key); i++)
		if (key[i] != 0xa5) {
			fprintf(stderr, "  \"%s\": key written on failure\n", s);
			return 0;
		}
	if (rc != AMIE_EPROTO || eb.msg[0] == '\0') {
		fprintf(stderr, "  \"%s\" gives %d \"%s\"\n", s, rc, eb.msg);
		return 0;
	}
	return 1;
}

TEST(formats_every_vector)
{
	struct idvec v[VECTORS_MAX];
	char id[NODEID_LEN + 1], ref[NODEID_LEN + 1];
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	for (int i = 0; i < n; i++) {
		nodeid_format(id, v[i].key);
		CHECK_STR(id, v[i].id);
		ref_format(ref, v[i].key);
		CHECK_STR(ref, v[i].id);
	}
}

TEST(parses_every_vector)
{
	struct idvec v[VECTORS_MAX];
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	for (int i = 0; i < n; i++)
		CHECK(parses_to(v[i].id, v[i].key));
}

TEST(formats_syncthing_published_device_id)
{
	static const char *const hex =
	    "7f7c8723ecca5b4d22061c4981b34c34d865ec376be1eb74330873c9a6f9b205";
	uint8_t key[NODEID_KEY_LEN];
	char id[NODEID_LEN + 1];

	REQUIRE(test_unhex(key, sizeof(key), hex) == NODEID_KEY_LEN);
	nodeid_format(id, key);
	CHECK_STR(id, "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-"
	    "TBBZ4TJ-XZWICQ2");
	CHECK_EQ_INT(strlen(id), NODEID_LEN);
}

TEST(parse_is_case_insensitive)
{
	struct idvec v[VECTORS_MAX];
	char s[NODEID_LEN + 1];
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	for (int i = 0; i < n; i++) {
		memcpy(s, v[i].id, sizeof(s));
		for (char *p = s; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		CHECK(parses_to(s, v[i].key));
		/* Mixed case. */
		for (size_t k = 0; s[k] != '\0'; k++)
			if (k % 2 == 0)
				s[k] = (char)toupper((unsigned char)s[k]);
		CHECK(parses_to(s, v[i].key));
	}
}

TEST(parse_ignores_spaces_and_dashes)
{
	struct idvec v[VECTORS_MAX];
	char s[4 * NODEID_LEN], *o;
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	for (int i = 0; i < n; i++) {
		/* No separators at all. */
		o = s;
		for (const char *p = v[i].id; *p != '\0'; p++)
			if (*p != '-')
				*o++ = *p;
		*o = '\0';
		CHECK_EQ_INT(strlen(s), NODEID_CHARS);
		CHECK(parses_to(s, v[i].key));
		/* Spaces for dashes, as someone reading it aloud types it. */
		memcpy(s, v[i].id, NODEID_LEN + 1);
		translate(s, "-", " ");
		CHECK(parses_to(s, v[i].key));
		/* Separators anywhere, leading and trailing too. */
		o = s;
		*o++ = ' ';
		for (const char *p = v[i].id; *p != '\0'; p++) {
			if (*p == '-')
				continue;
			*o++ = *p;
			*o++ = (p - v[i].id) % 3 ? '-' : ' ';
		}
		*o++ = '-';
		*o = '\0';
		CHECK(parses_to(s, v[i].key));
	}
}

TEST(parse_reads_0_1_8_as_O_I_B)
{
	struct idvec v[VECTORS_MAX];
	char s[NODEID_LEN + 1];
	int n = vectors_load(v, VECTORS_MAX), changed = 0;

	REQUIRE(n > 0);
	for (int i = 0; i < n; i++) {
		memcpy(s, v[i].id, sizeof(s));
		translate(s, "OIB", "018");
		if (strcmp(s, v[i].id) != 0)
			changed++;
		CHECK(parses_to(s, v[i].key));
		translate(s, "018", "oib");
		CHECK(parses_to(s, v[i].key));
	}
	/* The vectors do contain O, I and B (Syncthing's starts P56IOI7). */
	CHECK(changed > 0);
}

TEST(detects_every_single_character_substitution)
{
	/*
	 * Syncthing's Luhn mod 32 doubles every other character and adds
	 * the two base-32 digits of the product; on 0..31 that map is a
	 * permutation (2v for v < 16, 2v - 31 above), so every change of
	 * one character within a group changes the sum mod 32 and is
	 * caught.  A changed check character no longer matches its group.
	 */
	struct idvec v[VECTORS_MAX];
	char s[NODEID_LEN + 1];
	int n = vectors_load(v, VECTORS_MAX);
	unsigned tried = 0, missed = 0, refused_same = 0;

	REQUIRE(n > 0);
	for (int i = 0; i < n; i++) {
		for (size_t pos = 0; pos < NODEID_LEN; pos++) {
			if (v[i].id[pos] == '-')
				continue;
			for (size_t a = 0; a < 32; a++) {
				uint8_t key[NODEID_KEY_LEN];
				int rc;

				memcpy(s, v[i].id, sizeof(s));
				s[pos] = alphabet[a];
				rc = nodeid_parse(key, s, NULL);
				tried++;
				if (alphabet[a] == v[i].id[pos]) {
					if (rc != 0 || memcmp(key, v[i].key,
					    sizeof(key)) != 0)
						refused_same++;
				} else if (rc != AMIE_EPROTO) {
					missed++;
					if (missed < 5)
						fprintf(stderr, "  not caught: "
						    "%s\n", s);
				}
			}
		}
	}
	CHECK_EQ_INT(tried, (unsigned)n * NODEID_CHARS * 32);
	CHECK_EQ_INT(missed, 0);
	CHECK_EQ_INT(refused_same, 0);
}

TEST(refuses_nonzero_padding_bits)
{
	/*
	 * 52 base-32 characters carry 260 bits for a 256-bit key: the last
	 * character holds one key bit and four zero bits.  An id whose last
	 * character sets those bits, with a correct check character, is not
	 * the encoding of any key.
	 */
	char s[NODEID_LEN + 1];
	uint8_t key[NODEID_KEY_LEN];
	char b32[13];
	size_t last = NODEID_LEN - 2;	/* the 52nd base-32 character */

	memset(key, 0, sizeof(key));
	key[31] = 1;
	nodeid_format(s, key);
	CHECK(s[last] == 'Q');		/* 10000 */
	CHECK(parses_to(s, key));
	s[last] = 'R';			/* 10001 */
	/* Recompute the fourth group's check character: the group's 13
	 * characters start at offset 48 (42 characters and 6 dashes). */
	for (size_t i = 48, k = 0; k < 13; i++)
		if (s[i] != '-')
			b32[k++] = s[i];
	s[NODEID_LEN - 1] = ref_luhn(b32, 13);
	CHECK(parse_fails(s));
}

TEST(round_trips_random_keys)
{
	uint8_t key[NODEID_KEY_LEN];
	char id[NODEID_LEN + 1], ref[NODEID_LEN + 1];

	REQUIRE(sodium_init() >= 0);
	for (int i = 0; i < 2000; i++) {
		randombytes_buf(key, sizeof(key));
		nodeid_format(id, key);
		ref_format(ref, key);
		if (strcmp(id, ref) != 0 || !parses_to(id, key)) {
			test_failed_ = 1;
			fprintf(stderr, "  %s (reference %s)\n", id, ref);
			break;
		}
	}
}

TEST(rejects_wrong_length)
{
	struct idvec v[VECTORS_MAX];
	char s[NODEID_LEN + 8];
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	CHECK(parse_fails(""));
	CHECK(parse_fails("-"));
	CHECK(parse_fails("   "));
	CHECK(parse_fails("P56IOI7"));
	/* One character short. */
	memcpy(s, v[0].id, NODEID_LEN + 1);
	s[NODEID_LEN - 1] = '\0';
	CHECK(parse_fails(s));
	/* One character too many, at the end and at the start. */
	memcpy(s, v[0].id, NODEID_LEN + 1);
	strcat(s, "A");
	CHECK(parse_fails(s));
	s[0] = 'A';
	memcpy(s + 1, v[0].id, NODEID_LEN + 1);
	CHECK(parse_fails(s));
	/* Only the first 13 characters and their check character. */
	CHECK(parse_fails("P56IOI7-MZJNU2Y"));
}

TEST(rejects_characters_outside_the_alphabet)
{
	static const char *const bad = "9!_.=/+\t\n:#\x7f\xc3\xa9";
	struct idvec v[VECTORS_MAX];
	char s[NODEID_LEN + 1];
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	for (const char *b = bad; *b != '\0'; b++) {
		memcpy(s, v[0].id, sizeof(s));
		s[10] = *b;
		if (!parse_fails(s)) {
			test_failed_ = 1;
			fprintf(stderr, "  character 0x%02x accepted\n",
			    (unsigned char)*b);
		}
	}
}

TEST(rejects_overlong_input_without_reading_it_all)
{
	struct idvec v[VECTORS_MAX];
	char s[NODEID_INPUT_MAX + NODEID_LEN + 2];
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	/* A valid id behind more separators than the parser looks at. */
	memset(s, '-', NODEID_INPUT_MAX);
	memcpy(s + NODEID_INPUT_MAX, v[0].id, NODEID_LEN + 1);
	CHECK(parse_fails(s));
	/* A little padding is fine. */
	memset(s, ' ', 8);
	memcpy(s + 8, v[0].id, NODEID_LEN + 1);
	CHECK(parses_to(s, v[0].key));
}

TEST(normalize_gives_upper_case_without_separators)
{
	char out[NODEID_CHARS + 1];
	struct errbuf eb;

	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "p56i", &eb), 0);
	CHECK_STR(out, "P56I");
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), " p56-ioi7 -mz", &eb),
	    0);
	CHECK_STR(out, "P56IOI7MZ");
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "0 1 8", &eb), 0);
	CHECK_STR(out, "OIB");
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "", &eb), 0);
	CHECK_STR(out, "");
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "- -", &eb), 0);
	CHECK_STR(out, "");
}

TEST(normalize_accepts_a_whole_id)
{
	struct idvec v[VECTORS_MAX];
	char out[NODEID_CHARS + 1], want[NODEID_CHARS + 1], *o = want;
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	for (const char *p = v[0].id; *p != '\0'; p++)
		if (*p != '-')
			*o++ = *p;
	*o = '\0';
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), v[0].id, NULL), 0);
	CHECK_STR(out, want);
}

TEST(normalize_rejects_bad_characters_and_overlong_input)
{
	struct idvec v[VECTORS_MAX];
	char out[128], s[NODEID_LEN + 2];
	struct errbuf eb;
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "p569", &eb),
	    AMIE_EPROTO);
	CHECK(eb.msg[0] != '\0');
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "p5_6", NULL),
	    AMIE_EPROTO);
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "\xc3\xa9", NULL),
	    AMIE_EPROTO);
	/* A whole id and one more character: longer than any id. */
	memcpy(s, v[0].id, NODEID_LEN + 1);
	strcat(s, "A");
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), s, NULL), AMIE_EPROTO);
}

TEST(normalize_never_writes_past_cap)
{
	char out[16];

	memset(out, 'x', sizeof(out));
	(void)nodeid_normalize(out, 5, "abcdefghij", NULL);
	for (size_t i = 5; i < sizeof(out); i++)
		CHECK(out[i] == 'x');
	memset(out, 'x', sizeof(out));
	CHECK_EQ_INT(nodeid_normalize(out, 5, "ab-cd", NULL), 0);
	CHECK_STR(out, "ABCD");
	CHECK(out[5] == 'x');
}

TEST(normalized_prefix_matches_the_formatted_id)
{
	struct idvec v[VECTORS_MAX];
	char out[NODEID_CHARS + 1];
	int n = vectors_load(v, VECTORS_MAX);

	REQUIRE(n > 0);
	/* What a user types from a table (the first group, lower case, a
	 * digit for a letter) is a prefix of the id without dashes. */
	CHECK_EQ_INT(nodeid_normalize(out, sizeof(out), "p56i0i7-m", NULL),
	    0);
	CHECK_STR(out, "P56IOI7M");
	CHECK(strncmp(v[0].id, out, NODEID_SHORT_LEN) == 0);
}

TESTS(T(formats_every_vector),
    T(parses_every_vector),
    T(formats_syncthing_published_device_id),
    T(parse_is_case_insensitive),
    T(parse_ignores_spaces_and_dashes),
    T(parse_reads_0_1_8_as_O_I_B),
    T(detects_every_single_character_substitution),
    T(refuses_nonzero_padding_bits),
    T(round_trips_random_keys),
    T(rejects_wrong_length),
    T(rejects_characters_outside_the_alphabet),
    T(rejects_overlong_input_without_reading_it_all),
    T(normalize_gives_upper_case_without_separators),
    T(normalize_accepts_a_whole_id),
    T(normalize_rejects_bad_characters_and_overlong_input),
    T(normalize_never_writes_past_cap),
    T(normalized_prefix_matches_the_formatted_id))
