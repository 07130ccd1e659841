/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target for the canonical msgpack reader (proto/mp.h): mp_check(),
 * mpmap_decode() and its getters, and walks with mpr_token() and
 * mpr_skip().  Besides "never crash", it checks the promises that make
 * the reader canonical: a value mp_check() accepts is re-encoded token by
 * token to exactly the same bytes, mpr_skip() agrees with mp_check(),
 * mpmap_decode() accepts nothing mp_check() refuses, and mp_utf8_check()
 * agrees with a plain reference validator.  A broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 3629 validity, decoded code point by code point. */
static int
ref_utf8_ok(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp, min;
		size_t n;

		if (s[i] < 0x80) {
			i++;
			continue;
		} else if ((s[i] & 0xe0) == 0xc0) {
			n = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 4, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len - i < n)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

/* Re-encode the tokens of [data, data + size) one by one into w;
 * 0 when every token read. */
static int
reencode(const uint8_t *data, size_t size, struct mpw *w)
{
	struct mpr r;
	struct mptok t;

	mpr_init(&r, data, size);
	while (mpr_left(&r) > 0) {
		if (mpr_token(&r, &t, "token", NULL) != 0)
			return -1;
		switch (t.type) {
		case MP_NIL:
			mpw_nil(w);
			break;
		case MP_BOOL:
			mpw_bool(w, (int)t.u);
			break;
		case MP_UINT:
			mpw_uint(w, t.u);
			break;
		case MP_INT:
			if (t.i >= 0)
				abort();
			mpw_int(w, t.i);
			break;
		case MP_STR:
			mpw_str(w, (const char *)t.data, t.len);
			break;
		case MP_BIN:
			mpw_bin(w, t.data, t.len);
			break;
		case MP_ARRAY:
			mpw_array(w, t.count);
			break;
		case MP_MAP:
			mpw_map(w, t.count);
			break;
		default:
			abort();
		}
	}
	return 0;
}

/* Call every getter on every field whose key is a C string. */
static void
poke_fields(const struct mpmap *m)
{
	char key[64], out[32];
	const uint8_t *b;
	const char *s;
	uint32_t len, n;
	uint64_t u;
	int flag;
	struct mpr r;

	for (uint32_t i = 0; i < m->count; i++) {
		const struct mpfield *f = &m->f[i];

		if (f->key_len >= sizeof(key) ||
		    memchr(f->key, '\0', f->key_len) != NULL)
			continue;
		memcpy(key, f->key, f->key_len);
		key[f->key_len] = '\0';
		if (mpmap_get(m, key) != f)
			abort();
		(void)mpmap_uint(m, key, &u, NULL);
		(void)mpmap_bool(m, key, &flag, NULL);
		(void)mpmap_str(m, key, &s, &len, 16, NULL);
		if (mpmap_cstr(m, key, out, sizeof(out), NULL) == 0 &&
		    strlen(out) >= sizeof(out))
			abort();
		(void)mpmap_bin(m, key, &b, &len, 16, NULL);
		if (mpmap_reader(m, key, &r, NULL) == 0) {
			if (mpr_skip(&r, MP_DEPTH_MAX - 1, key, NULL) != 0 ||
			    mpr_end(&r, key, NULL) != 0)
				abort();
			mpr_init(&r, f->val, f->val_len);
			(void)mpr_array(&r, &n, 4, key, NULL);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mpmap m;
	struct errbuf eb;
	struct mpr r;
	struct mpw w;
	int checked, skipped;

	if ((mp_utf8_check(data, size) == 0) != ref_utf8_ok(data, size))
		abort();

	checked = mp_check(data, size, "value", &eb);

	/* mpr_skip() over the whole input agrees with mp_check(). */
	mpr_init(&r, data, size);
	skipped = mpr_skip(&r, MP_DEPTH_MAX, "value", NULL);
	if (skipped == 0)
		skipped = mpr_end(&r, "value", NULL);
	if ((checked == 0) != (skipped == 0))
		abort();

	/* Canonical: an accepted value re-encodes to the same bytes. */
	mpw_init(&w, size + 16);
	if (reencode(data, size, &w) == 0 && checked == 0 &&
	    (mpw_finish(&w, "value", NULL) != 0 || w.len != size ||
	    memcmp(w.buf, data, size) != 0))
		abort();
	if (checked == 0 && w.len != size)
		abort();
	mpw_release(&w);

	/* Keep walking after a bad value: every later value too. */
	mpr_init(&r, data, size);
	while (mpr_left(&r) > 0 &&
	    mpr_skip(&r, MP_DEPTH_MAX, "value", NULL) == 0)
		;

	if (mpmap_decode(&m, data, size, "map", NULL) == 0) {
		if (checked != 0 || m.count > MP_MAP_FIELDS_MAX)
			abort();
		poke_fields(&m);
	}
	return 0;
}
