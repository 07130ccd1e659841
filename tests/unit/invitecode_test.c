/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Unit tests for proto/invitecode.h: codes survive formatting and parsing,
 * the way people paste them (lower case, spaces, line breaks), and any
 * single mistyped character is caught before a connection is tried.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/invitecode.h"
#include "tests/unit/test.h"

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define PREFIX_LEN (sizeof(INVITECODE_PREFIX) - 1)

static void
sample(struct invitecode *inv, const char *endpoint)
{
	memset(inv, 0, sizeof(*inv));
	for (size_t i = 0; i < sizeof(inv->net_prefix); i++)
		inv->net_prefix[i] = (uint8_t)(0x10 + i);
	for (size_t i = 0; i < sizeof(inv->inviter); i++)
		inv->inviter[i] = (uint8_t)(0xf0 - 3 * i);
	for (size_t i = 0; i < sizeof(inv->secret); i++)
		inv->secret[i] = (uint8_t)(0x5a ^ (7 * i));
	inv->expiry_ms = 1764320000000ull + 48ull * 3600 * 1000;
	snprintf(inv->endpoint, sizeof(inv->endpoint), "%s", endpoint);
}

static int
same(const struct invitecode *a, const struct invitecode *b)
{
	return memcmp(a->net_prefix, b->net_prefix, sizeof(a->net_prefix)) ==
	    0 && memcmp(a->inviter, b->inviter, sizeof(a->inviter)) == 0 &&
	    memcmp(a->secret, b->secret, sizeof(a->secret)) == 0 &&
	    a->expiry_ms == b->expiry_ms &&
	    strcmp(a->endpoint, b->endpoint) == 0;
}

/* The code of raw payload bytes (checksum appended here), for inputs the
 * formatter never writes. */
static void
code_of_bytes(char *out, size_t cap, const uint8_t *b, size_t len)
{
	uint8_t buf[512], h[32];
	unsigned acc = 0, bits = 0;
	size_t o;

	memcpy(buf, b, len);
	crypto_generichash(h, sizeof(h), b, len, NULL, 0);
	memcpy(buf + len, h, 2);
	len += 2;
	o = (size_t)snprintf(out, cap, "%s", INVITECODE_PREFIX);
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | buf[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = ALPHABET[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = ALPHABET[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/* The payload of sample() with endpoint bytes ep (eplen of them) and the
 * length byte given separately; returns the byte count. */
static size_t
raw_payload(uint8_t *b, uint8_t len_byte, const char *ep, size_t eplen)
{
	struct invitecode inv;
	size_t n = 0;

	sample(&inv, "tcp://x:1");
	memcpy(b + n, inv.net_prefix, 8);
	n += 8;
	memcpy(b + n, inv.inviter, 32);
	n += 32;
	memcpy(b + n, inv.secret, 16);
	n += 16;
	for (int i = 7; i >= 0; i--)
		b[n++] = (uint8_t)(inv.expiry_ms >> (8 * i));
	b[n++] = len_byte;
	memcpy(b + n, ep, eplen);
	return n + eplen;
}

TEST(round_trips_code)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX];
	struct errbuf eb;

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	CHECK(strncmp(code, INVITECODE_PREFIX, PREFIX_LEN) == 0);
	CHECK(strspn(code + PREFIX_LEN, ALPHABET) == strlen(code) - PREFIX_LEN);
	memset(&got, 0, sizeof(got));
	REQUIRE(invitecode_parse(&got, code, &eb) == 0);
	CHECK(same(&inv, &got));
}

TEST(round_trips_longest_endpoint)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX], ep[INVITECODE_ENDPOINT_MAX + 1];
	struct errbuf eb;

	memset(ep, 'h', sizeof(ep) - 1);
	memcpy(ep, "tcp://", 6);
	ep[INVITECODE_ENDPOINT_MAX] = '\0';
	sample(&inv, ep);
	inv.expiry_ms = UINT64_MAX;
	invitecode_format(code, &inv);
	CHECK(strlen(code) < INVITECODE_MAX);
	REQUIRE(invitecode_parse(&got, code, &eb) == 0);
	CHECK(same(&inv, &got));
	CHECK_EQ_INT(strlen(got.endpoint), INVITECODE_ENDPOINT_MAX);
}

TEST(detects_every_single_substituted_character)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX], typo[INVITECODE_MAX];
	size_t len, tried = 0, by_checksum = 0;
	struct errbuf eb;

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	len = strlen(code);
	for (size_t i = PREFIX_LEN; i < len; i++) {
		for (const char *c = ALPHABET; *c != '\0'; c++) {
			if (*c == code[i])
				continue;
			memcpy(typo, code, len + 1);
			typo[i] = *c;
			tried++;
			if (invitecode_parse(&got, typo, &eb) == 0) {
				fprintf(stderr, "  typo '%c' at %zu accepted\n",
				    *c, i);
				CHECK(0);
				continue;
			}
			if (strstr(eb.msg, "checksum does not match (a typo?)"))
				by_checksum++;
		}
	}
	CHECK_EQ_INT(tried, (len - PREFIX_LEN) * 31);
	/* Only a typo in the endpoint length byte can fail otherwise. */
	CHECK(by_checksum * 100 >= tried * 98);
}

TEST(detects_a_missing_or_extra_character)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX], bad[INVITECODE_MAX + 1];
	size_t len;
	struct errbuf eb;

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	len = strlen(code);
	for (size_t i = PREFIX_LEN; i < len; i++) {
		memcpy(bad, code, i);
		memcpy(bad + i, code + i + 1, len - i);
		CHECK(invitecode_parse(&got, bad, &eb) != 0);
		memcpy(bad, code, i);
		bad[i] = 'Q';
		memcpy(bad + i + 1, code + i, len - i + 1);
		CHECK(invitecode_parse(&got, bad, &eb) != 0);
	}
}

TEST(accepts_lower_case)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX];
	struct errbuf eb;

	sample(&inv, "tcp://192.0.2.7:7400");
	invitecode_format(code, &inv);
	for (char *p = code; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	CHECK(strncmp(code, "amie1-", 6) == 0);
	REQUIRE(invitecode_parse(&got, code, &eb) == 0);
	CHECK(same(&inv, &got));
}

TEST(accepts_spaces_dashes_and_line_breaks)
{
	static const char *const fillers[] = { " ", "-", "\r\n", "\n", " - " };
	struct invitecode inv, got;
	char code[INVITECODE_MAX], pasted[4 * INVITECODE_MAX];
	size_t len, o;
	struct errbuf eb;

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	len = strlen(code);
	o = (size_t)snprintf(pasted, sizeof(pasted), "\n  %s",
	    INVITECODE_PREFIX);
	for (size_t i = PREFIX_LEN; i < len; i++) {
		pasted[o++] = code[i];
		if ((i - PREFIX_LEN) % 5 == 4) {
			const char *f = fillers[(i / 5) % 5];

			memcpy(pasted + o, f, strlen(f));
			o += strlen(f);
		}
	}
	memcpy(pasted + o, "\r\n", 3);
	REQUIRE(invitecode_parse(&got, pasted, &eb) == 0);
	CHECK(same(&inv, &got));
}

TEST(refuses_wrong_prefix)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX];
	struct errbuf eb;

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	code[4] = '2';
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "not an amie invite code") != NULL);
	CHECK_EQ_INT(invitecode_parse(&got, code + PREFIX_LEN, &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "not an amie invite code") != NULL);
	CHECK_EQ_INT(invitecode_parse(&got, "", &eb), AMIE_EPROTO);
	CHECK_EQ_INT(invitecode_parse(&got, "AMIE", &eb), AMIE_EPROTO);
}

TEST(refuses_too_short)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX];
	struct errbuf eb;

	CHECK_EQ_INT(invitecode_parse(&got, "AMIE1-", &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "too short") != NULL);
	CHECK_EQ_INT(invitecode_parse(&got, "AMIE1-ABCDEFGH", &eb),
	    AMIE_EPROTO);
	CHECK(strstr(eb.msg, "too short") != NULL);

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	for (size_t n = PREFIX_LEN; n < strlen(code); n++) {
		char cut[INVITECODE_MAX];

		memcpy(cut, code, n);
		cut[n] = '\0';
		CHECK(invitecode_parse(&got, cut, &eb) != 0);
	}
}

TEST(refuses_too_long)
{
	char code[1024];
	struct invitecode got;
	struct errbuf eb;

	memcpy(code, INVITECODE_PREFIX, PREFIX_LEN);
	memset(code + PREFIX_LEN, 'A', sizeof(code) - PREFIX_LEN - 1);
	code[sizeof(code) - 1] = '\0';
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "too long") != NULL);
}

TEST(names_the_unknown_character)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX];
	struct errbuf eb;

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	code[10] = '0';
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "'0'") != NULL);
	CHECK(strstr(eb.msg, "character 11") != NULL);
	code[10] = '\x01';
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "0x01") != NULL);
}

TEST(refuses_endpoint_not_tcp)
{
	struct invitecode inv, got;
	char code[INVITECODE_MAX];
	struct errbuf eb;

	sample(&inv, "ipc:///tmp/amie.sock");
	invitecode_format(code, &inv);
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "tcp://") != NULL);
	sample(&inv, "tcp:/");
	invitecode_format(code, &inv);
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
}

TEST(refuses_endpoint_with_nul)
{
	static const char ep[] = "tcp://a\0b:1";
	uint8_t b[512];
	char code[INVITECODE_MAX];
	struct invitecode got;
	struct errbuf eb;
	size_t n = raw_payload(b, sizeof(ep) - 1, ep, sizeof(ep) - 1);

	code_of_bytes(code, sizeof(code), b, n);
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "NUL") != NULL);
}

TEST(refuses_endpoint_length_that_does_not_fit)
{
	static const char ep[] = "tcp://a:1";
	uint8_t b[512];
	char code[INVITECODE_MAX];
	struct invitecode got;
	struct errbuf eb;
	size_t n;

	n = raw_payload(b, sizeof(ep), ep, sizeof(ep) - 1);
	code_of_bytes(code, sizeof(code), b, n);
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "endpoint length") != NULL);
	n = raw_payload(b, 255, ep, sizeof(ep) - 1);
	code_of_bytes(code, sizeof(code), b, n);
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), AMIE_EPROTO);

	/* The right length passes: the helper itself is right. */
	n = raw_payload(b, sizeof(ep) - 1, ep, sizeof(ep) - 1);
	code_of_bytes(code, sizeof(code), b, n);
	CHECK_EQ_INT(invitecode_parse(&got, code, &eb), 0);
	CHECK_STR(got.endpoint, ep);
}

TEST(leaves_invite_untouched_on_failure)
{
	struct invitecode inv, got, before;
	char code[INVITECODE_MAX];
	struct errbuf eb;

	sample(&inv, "tcp://amie.example.org:7400");
	invitecode_format(code, &inv);
	code[20] = code[20] == 'A' ? 'B' : 'A';
	memset(&got, 0x77, sizeof(got));
	before = got;
	CHECK(invitecode_parse(&got, code, &eb) != 0);
	CHECK(memcmp(&got, &before, sizeof(got)) == 0);
}

TEST(hashes_the_secret_with_a_domain)
{
	static const char domain[] = "amie/invite/1";
	uint8_t secret[INVITECODE_SECRET_LEN], m[sizeof(domain) - 1 + 16];
	uint8_t got[32], want[32], bare[32];

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	memcpy(m, domain, sizeof(domain) - 1);
	memcpy(m + sizeof(domain) - 1, secret, sizeof(secret));
	crypto_generichash(want, 32, m, sizeof(m), NULL, 0);
	crypto_generichash(bare, 32, secret, sizeof(secret), NULL, 0);
	invitecode_secret_hash(got, secret);
	CHECK(memcmp(got, want, 32) == 0);
	CHECK(memcmp(got, bare, 32) != 0);
}

TEST(safety_code_is_symmetric_and_six_digits)
{
	uint8_t a[32], b[32];
	char ab[7], ba[7];

	for (int k = 0; k < 50; k++) {
		for (size_t i = 0; i < 32; i++) {
			a[i] = (uint8_t)(k * 31 + i * 7);
			b[i] = (uint8_t)(k * 17 + i * 3 + 1);
		}
		invitecode_safety(ab, a, b);
		invitecode_safety(ba, b, a);
		CHECK_STR(ab, ba);
		CHECK_EQ_INT(strlen(ab), 6);
		CHECK_EQ_INT(strspn(ab, "0123456789"), 6);
	}
}

TEST(safety_code_follows_its_definition)
{
	static const char domain[] = "amie/safety/1";
	uint8_t lo[32], hi[32], m[sizeof(domain) - 1 + 64], h[32];
	uint64_t v = 0;
	char got[7], want[7];

	memset(lo, 0x11, 32);
	memset(hi, 0x11, 32);
	hi[31] = 0x12;
	memcpy(m, domain, sizeof(domain) - 1);
	memcpy(m + sizeof(domain) - 1, lo, 32);
	memcpy(m + sizeof(domain) - 1 + 32, hi, 32);
	crypto_generichash(h, 32, m, sizeof(m), NULL, 0);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	snprintf(want, sizeof(want), "%06u", (unsigned)(v % 1000000));
	invitecode_safety(got, hi, lo);
	CHECK_STR(got, want);
}

TEST(different_keys_give_different_safety_codes)
{
	uint8_t a[32], b[32], c[32], d[32];
	char ab[7], ac[7], bc[7], ad[7], cd[7];

	memset(a, 1, 32);
	memset(b, 2, 32);
	memset(c, 3, 32);
	memcpy(d, a, 32);
	d[0] ^= 0x80;
	invitecode_safety(ab, a, b);
	invitecode_safety(ac, a, c);
	invitecode_safety(bc, b, c);
	invitecode_safety(ad, a, d);
	invitecode_safety(cd, c, d);
	CHECK(strcmp(ab, ac) != 0);
	CHECK(strcmp(ab, bc) != 0);
	CHECK(strcmp(ac, bc) != 0);
	CHECK(strcmp(ab, ad) != 0);
	CHECK(strcmp(ad, cd) != 0);
}

TESTS(T(round_trips_code), T(round_trips_longest_endpoint),
    T(detects_every_single_substituted_character),
    T(detects_a_missing_or_extra_character), T(accepts_lower_case),
    T(accepts_spaces_dashes_and_line_breaks), T(refuses_wrong_prefix),
    T(refuses_too_short), T(refuses_too_long), T(names_the_unknown_character),
    T(refuses_endpoint_not_tcp), T(refuses_endpoint_with_nul),
    T(refuses_endpoint_length_that_does_not_fit),
    T(leaves_invite_untouched_on_failure), T(hashes_the_secret_with_a_domain),
    T(safety_code_is_symmetric_and_six_digits),
    T(safety_code_follows_its_definition),
    T(different_keys_give_different_safety_codes))
