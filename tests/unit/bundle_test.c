/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* proto/bundle.c: the file format of amie export and import. */
#include <stdlib.h>
#include <string.h>

#include "proto/bundle.h"
#include "proto/record.h"
#include "tests/unit/test.h"

/* A bundle of n records "r0", "r11", "r222"... in buf; its length. */
static size_t
make(uint8_t *buf, uint32_t n)
{
	struct bundle_header h;
	size_t off = BUNDLE_HEADER_LEN;

	h.count = n;
	memset(h.network_id, 0xab, 32);
	bundle_header_encode(&h, buf);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = 2 + i;

		bundle_length_encode(buf + off, len);
		off += BUNDLE_LENGTH_LEN;
		buf[off] = 'r';
		memset(buf + off + 1, '0' + (int)i, len - 1);
		off += len;
	}
	return off;
}

TEST(reads_back_what_was_written)
{
	uint8_t buf[256];
	struct bundle_reader r;
	struct bundle_header h;
	const uint8_t *rec;
	size_t len = make(buf, 3), rl;
	uint32_t n = 0;
	int rc;

	REQUIRE(bundle_open(&r, &h, buf, len, NULL) == 0);
	CHECK_EQ_INT(h.count, 3);
	CHECK(h.network_id[31] == 0xab);
	while ((rc = bundle_next(&r, &rec, &rl, NULL)) == 0) {
		CHECK_EQ_INT(rl, 2 + n);
		CHECK(rec[0] == 'r' && rec[1] == '0' + n);
		n++;
	}
	CHECK_EQ_INT(rc, AMIE_ENOTFOUND);
	CHECK_EQ_INT(n, 3);
}

TEST(an_empty_bundle_has_no_records)
{
	uint8_t buf[64];
	struct bundle_reader r;
	struct bundle_header h;
	const uint8_t *rec;
	size_t rl;

	REQUIRE(bundle_open(&r, &h, buf, make(buf, 0), NULL) == 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), AMIE_ENOTFOUND);
}

TEST(rejects_another_magic_or_version)
{
	uint8_t buf[256];
	struct bundle_reader r;
	struct bundle_header h;
	struct errbuf eb;
	size_t len = make(buf, 1);

	buf[0] = 'X';
	CHECK_EQ_INT(bundle_open(&r, &h, buf, len, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "not an amie bundle") != NULL);
	make(buf, 1);
	buf[8] = 2;
	CHECK_EQ_INT(bundle_open(&r, &h, buf, len, &eb), AMIE_EPROTO);
	CHECK(strstr(eb.msg, "version 2") != NULL);
	make(buf, 1);
	buf[10] = 1;
	CHECK_EQ_INT(bundle_open(&r, &h, buf, len, NULL), AMIE_EPROTO);
	CHECK_EQ_INT(bundle_open(&r, &h, buf, 20, NULL), AMIE_EPROTO);
}

TEST(rejects_a_count_the_bytes_cannot_hold)
{
	uint8_t buf[256];
	struct bundle_reader r;
	struct bundle_header h;
	size_t len = make(buf, 2);

	buf[15] = 200; /* 200 records in 2 records' bytes */
	CHECK_EQ_INT(bundle_open(&r, &h, buf, len, NULL), AMIE_EPROTO);
	buf[12] = 0xff; /* over the limit */
	CHECK_EQ_INT(bundle_open(&r, &h, buf, len, NULL), AMIE_ELIMIT);
}

TEST(rejects_a_length_past_the_end_or_over_the_limit)
{
	uint8_t buf[256];
	struct bundle_reader r;
	struct bundle_header h;
	const uint8_t *rec;
	size_t len = make(buf, 2), rl;
	size_t second = BUNDLE_HEADER_LEN + BUNDLE_LENGTH_LEN + 2;

	bundle_length_encode(buf + second, 100);
	REQUIRE(bundle_open(&r, &h, buf, len, NULL) == 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), AMIE_EPROTO);

	bundle_length_encode(buf + second, RECORD_ENCODED_MAX + 1);
	REQUIRE(bundle_open(&r, &h, buf, len, NULL) == 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), AMIE_ELIMIT);

	bundle_length_encode(buf + second, 0);
	REQUIRE(bundle_open(&r, &h, buf, len, NULL) == 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), AMIE_EPROTO);
}

TEST(rejects_bytes_after_the_last_record)
{
	uint8_t buf[256];
	struct bundle_reader r;
	struct bundle_header h;
	const uint8_t *rec;
	size_t len = make(buf, 1), rl;

	buf[len++] = 0;
	REQUIRE(bundle_open(&r, &h, buf, len, NULL) == 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), 0);
	CHECK_EQ_INT(bundle_next(&r, &rec, &rl, NULL), AMIE_EPROTO);
}

TESTS(T(reads_back_what_was_written), T(an_empty_bundle_has_no_records),
    T(rejects_another_magic_or_version),
    T(rejects_a_count_the_bytes_cannot_hold),
    T(rejects_a_length_past_the_end_or_over_the_limit),
    T(rejects_bytes_after_the_last_record))
