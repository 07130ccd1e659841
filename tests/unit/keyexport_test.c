/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* proto/keyexport.c: a key sealed under a passphrase opens with it only;
 * the parser refuses what it cannot trust before any Argon2id work.
 * Small Argon2id parameters keep the tests quick. */
#include <string.h>

#include <sodium.h>

#include "proto/keyexport.h"
#include "tests/unit/test.h"

#define OPS 1
#define MEM_KIB 8

static void
make(char text[KEYEXPORT_LEN], const uint8_t seed[32], const char *pass)
{
	uint8_t salt[KEYEXPORT_SALT_LEN], nonce[KEYEXPORT_NONCE_LEN];

	memset(salt, 3, sizeof(salt));
	memset(nonce, 4, sizeof(nonce));
	keyexport_seal(text, seed, pass, strlen(pass), salt, nonce, OPS,
	    MEM_KIB, NULL);
}

TEST(opens_with_the_passphrase_only)
{
	char text[KEYEXPORT_LEN];
	uint8_t seed[32], out[32];
	struct keyexport x;
	struct errbuf eb;

	REQUIRE(sodium_init() >= 0);
	memset(seed, 9, sizeof(seed));
	make(text, seed, "correct horse");
	CHECK(memcmp(text, KEYEXPORT_MAGIC, strlen(KEYEXPORT_MAGIC)) == 0);
	CHECK(text[KEYEXPORT_LEN - 1] == '\n');
	REQUIRE(keyexport_parse(&x, text, sizeof(text), &eb) == 0);
	CHECK_EQ_INT(x.ops, OPS);
	CHECK_EQ_INT(x.mem_kib, MEM_KIB);
	REQUIRE(keyexport_open(out, &x, "correct horse", 13, &eb) == 0);
	CHECK(memcmp(out, seed, 32) == 0);
	CHECK(keyexport_open(out, &x, "correct horsf", 13, &eb) == AMIE_ESIG);
	/* Without its final newline it still parses. */
	CHECK(keyexport_parse(&x, text, sizeof(text) - 1, &eb) == 0);
	/* So it does with CR LF, or blank lines after it (an editor). */
	{
		char more[KEYEXPORT_LEN + 8];

		memcpy(more, text, sizeof(text) - 1);
		memcpy(more + sizeof(text) - 1, "\r\n\n  \n", 6);
		CHECK(keyexport_parse(&x, more, sizeof(text) + 5, &eb) == 0);
		CHECK(x.ops == OPS);
	}
}

TEST(refuses_short_passphrases)
{
	char text[KEYEXPORT_LEN];
	uint8_t seed[32] = { 0 }, salt[16] = { 0 }, nonce[24] = { 0 };

	CHECK(keyexport_seal(text, seed, "short", 5, salt, nonce, OPS,
	    MEM_KIB, NULL) == AMIE_EUSAGE);
}

TEST(parser_refuses_bad_sizes_magic_and_parameters)
{
	char text[KEYEXPORT_LEN], bad[KEYEXPORT_LEN];
	uint8_t seed[32];
	struct keyexport x;
	struct errbuf eb;

	memset(seed, 9, sizeof(seed));
	make(text, seed, "correct horse");
	CHECK(keyexport_parse(&x, text, sizeof(text) - 5, &eb) == AMIE_EPROTO);
	memcpy(bad, text, sizeof(bad));
	bad[0] = 'X';
	CHECK(keyexport_parse(&x, bad, sizeof(bad), &eb) == AMIE_EPROTO);
	memcpy(bad, text, sizeof(bad));
	bad[40] = '*';
	CHECK(keyexport_parse(&x, bad, sizeof(bad), &eb) == AMIE_EPROTO);
	/* Memory past the limit: refused before any work. */
	{
		uint8_t raw[KEYEXPORT_RAW_LEN] = { 0 };
		char b64[KEYEXPORT_B64_LEN + 1];

		raw[19] = 3;			/* ops */
		raw[20] = 0x40;			/* mem: 1 GiB * 64 */
		sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		memcpy(bad, KEYEXPORT_MAGIC, strlen(KEYEXPORT_MAGIC));
		memcpy(bad + strlen(KEYEXPORT_MAGIC), b64, KEYEXPORT_B64_LEN);
		bad[KEYEXPORT_LEN - 1] = '\n';
		CHECK(keyexport_parse(&x, bad, sizeof(bad), &eb) ==
		    AMIE_EPROTO);
		CHECK(strstr(eb.msg, "memory") != NULL);
	}
}

TESTS(T(opens_with_the_passphrase_only), T(refuses_short_passphrases),
    T(parser_refuses_bad_sizes_magic_and_parameters))
