/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include <sodium.h>

#include "proto/mp.h"
#include "proto/xmalloc.h"

/* A packer target of fixed size, to re-encode one token head. */
struct mp_head {
	uint8_t b[16];
	size_t len;
};

static int
mp_head_write(void *data, const char *buf, size_t len)
{
	struct mp_head *h = data;

	if (len > sizeof(h->b) - h->len)
		return -1;
	memcpy(h->b + h->len, buf, len);
	h->len += len;
	return 0;
}

/* The canonical encoding of t's head (for strings and byte strings, the
 * part before the payload). */
static void
mp_head_encode(struct mp_head *h, const struct mptok *t)
{
	msgpack_packer pk;

	h->len = 0;
	msgpack_packer_init(&pk, h, mp_head_write);
	switch (t->type) {
	case MP_NIL:
		msgpack_pack_nil(&pk);
		break;
	case MP_BOOL:
		if (t->u)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		break;
	case MP_UINT:
		msgpack_pack_uint64(&pk, t->u);
		break;
	case MP_INT:
		msgpack_pack_int64(&pk, t->i);
		break;
	case MP_STR:
		msgpack_pack_str(&pk, t->len);
		break;
	case MP_BIN:
		msgpack_pack_bin(&pk, t->len);
		break;
	case MP_ARRAY:
		msgpack_pack_array(&pk, t->count);
		break;
	case MP_MAP:
		msgpack_pack_map(&pk, t->count);
		break;
	}
}

void
mpr_init(struct mpr *r, const uint8_t *buf, size_t len)
{
	r->p = buf;
	r->end = buf + len;
}

size_t
mpr_left(const struct mpr *r)
{
	return (size_t)(r->end - r->p);
}

static int
mpr_be(struct mpr *r, unsigned n, uint64_t *v, const char *what,
    struct errbuf *eb)
{
	uint64_t x = 0;

	if (mpr_left(r) < n)
		return fail(eb, AMIE_EPROTO, "%s: truncated", what);
	for (unsigned i = 0; i < n; i++)
		x = x << 8 | r->p[i];
	r->p += n;
	*v = x;
	return 0;
}

int
mp_utf8_check(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		unsigned n;

		if (c < 0x80) {
			uint64_t w;

			/* Most text is ASCII: eight bytes at a time. */
			while (len - i >= 8) {
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			if (i < len && s[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return -1;
		}
		if (len - i - 1 < n)
			return -1;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += n + 1;
	}
	return 0;
}

int
mpr_token(struct mpr *r, struct mptok *t, const char *what, struct errbuf *eb)
{
	const uint8_t *start = r->p;
	struct mp_head h;
	uint64_t v = 0;
	uint8_t b;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (r->p >= r->end)
		return fail(eb, AMIE_EPROTO, "%s: truncated", what);
	b = *r->p++;
	if (b <= 0x7f) {
		t->type = MP_UINT;
		t->u = b;
	} else if (b >= 0xe0) {
		t->type = MP_INT;
		t->i = (int8_t)b;
	} else if ((b & 0xf0) == 0x80) {
		t->type = MP_MAP;
		t->count = b & 0x0f;
	} else if ((b & 0xf0) == 0x90) {
		t->type = MP_ARRAY;
		t->count = b & 0x0f;
	} else if ((b & 0xe0) == 0xa0) {
		t->type = MP_STR;
		t->len = b & 0x1f;
	} else {
		switch (b) {
		case 0xc0:
			t->type = MP_NIL;
			break;
		case 0xc2:
		case 0xc3:
			t->type = MP_BOOL;
			t->u = b == 0xc3;
			break;
		case 0xc4:
		case 0xc5:
		case 0xc6:
			t->type = MP_BIN;
			rc = mpr_be(r, 1u << (b - 0xc4), &v, what, eb);
			t->len = (uint32_t)v;
			break;
		case 0xcc:
		case 0xcd:
		case 0xce:
		case 0xcf:
			t->type = MP_UINT;
			rc = mpr_be(r, 1u << (b - 0xcc), &t->u, what, eb);
			break;
		case 0xd0:
		case 0xd1:
		case 0xd2:
		case 0xd3: {
			unsigned n = 1u << (b - 0xd0);

			rc = mpr_be(r, n, &v, what, eb);
			if (n < 8 && (v >> (8 * n - 1)) & 1)
				v |= ~(uint64_t)0 << (8 * n);
			t->i = (int64_t)v;
			if (t->i >= 0) {
				t->type = MP_UINT;
				t->u = v;
			} else {
				t->type = MP_INT;
			}
			break;
		}
		case 0xd9:
		case 0xda:
		case 0xdb:
			t->type = MP_STR;
			rc = mpr_be(r, 1u << (b - 0xd9), &v, what, eb);
			t->len = (uint32_t)v;
			break;
		case 0xdc:
		case 0xdd:
			t->type = MP_ARRAY;
			rc = mpr_be(r, b == 0xdc ? 2 : 4, &v, what, eb);
			t->count = (uint32_t)v;
			break;
		case 0xde:
		case 0xdf:
			t->type = MP_MAP;
			rc = mpr_be(r, b == 0xde ? 2 : 4, &v, what, eb);
			t->count = (uint32_t)v;
			break;
		case 0xca:
		case 0xcb:
			r->p = start;
			return fail(eb, AMIE_EPROTO, "%s: floats are not allowed",
			    what);
		default:
			r->p = start;
			return fail(eb, AMIE_EPROTO,
			    "%s: msgpack type 0x%02x is not allowed", what, b);
		}
	}
	if (rc != 0) {
		r->p = start;
		return rc;
	}

	/* Counts against the bytes left, before anyone allocates for them. */
	if ((t->type == MP_STR || t->type == MP_BIN) && t->len > mpr_left(r)) {
		r->p = start;
		return fail(eb, AMIE_EPROTO, "%s: %u bytes announced, %zu left",
		    what, t->len, mpr_left(r));
	}
	if ((t->type == MP_ARRAY && t->count > mpr_left(r)) ||
	    (t->type == MP_MAP && 2 * (uint64_t)t->count > mpr_left(r))) {
		r->p = start;
		return fail(eb, AMIE_EPROTO,
		    "%s: %u elements announced, %zu bytes left", what, t->count,
		    mpr_left(r));
	}

	/* Canonical form: the head must be what the writer would produce. */
	mp_head_encode(&h, t);
	if (h.len != (size_t)(r->p - start) || memcmp(h.b, start, h.len) != 0) {
		r->p = start;
		return fail(eb, AMIE_EPROTO, "%s: non-canonical encoding", what);
	}
	if (t->type == MP_STR || t->type == MP_BIN) {
		t->data = r->p;
		r->p += t->len;
		if (t->type == MP_STR && mp_utf8_check(t->data, t->len) != 0) {
			r->p = start;
			return fail(eb, AMIE_EPROTO, "%s: invalid UTF-8", what);
		}
	}
	return 0;
}

static int
mpr_typed(struct mpr *r, struct mptok *t, enum mp_type type,
    const char *tname, const char *what, struct errbuf *eb)
{
	const uint8_t *start = r->p;
	int rc = mpr_token(r, t, what, eb);

	if (rc != 0)
		return rc;
	if (t->type != type) {
		r->p = start;
		return fail(eb, AMIE_EPROTO, "%s: expected %s", what, tname);
	}
	return 0;
}

int
mpr_uint(struct mpr *r, uint64_t *v, const char *what, struct errbuf *eb)
{
	struct mptok t;
	int rc = mpr_typed(r, &t, MP_UINT, "an unsigned integer", what, eb);

	if (rc == 0)
		*v = t.u;
	return rc;
}

static int
mpr_container(struct mpr *r, enum mp_type type, const char *tname,
    uint32_t *count, uint32_t max, const char *what, struct errbuf *eb)
{
	const uint8_t *start = r->p;
	struct mptok t;
	int rc = mpr_typed(r, &t, type, tname, what, eb);

	if (rc != 0)
		return rc;
	if (t.count > max) {
		r->p = start;
		return fail(eb, AMIE_ELIMIT, "%s: %u elements, limit %u", what,
		    t.count, max);
	}
	*count = t.count;
	return 0;
}

int
mpr_array(struct mpr *r, uint32_t *count, uint32_t max, const char *what,
    struct errbuf *eb)
{
	return mpr_container(r, MP_ARRAY, "an array", count, max, what, eb);
}

int
mpr_map(struct mpr *r, uint32_t *count, uint32_t max, const char *what,
    struct errbuf *eb)
{
	return mpr_container(r, MP_MAP, "a map", count, max, what, eb);
}

static int
mpr_bytes(struct mpr *r, enum mp_type type, const char *tname,
    const uint8_t **b, uint32_t *len, uint32_t max, const char *what,
    struct errbuf *eb)
{
	const uint8_t *start = r->p;
	struct mptok t;
	int rc = mpr_typed(r, &t, type, tname, what, eb);

	if (rc != 0)
		return rc;
	if (t.len > max) {
		r->p = start;
		return fail(eb, AMIE_ELIMIT, "%s: %u bytes, limit %u", what,
		    t.len, max);
	}
	*b = t.data;
	*len = t.len;
	return 0;
}

int
mpr_str(struct mpr *r, const char **s, uint32_t *len, uint32_t max,
    const char *what, struct errbuf *eb)
{
	const uint8_t *b = NULL;
	int rc = mpr_bytes(r, MP_STR, "a string", &b, len, max, what, eb);

	if (rc == 0)
		*s = (const char *)b;
	return rc;
}

int
mpr_bin(struct mpr *r, const uint8_t **b, uint32_t *len, uint32_t max,
    const char *what, struct errbuf *eb)
{
	return mpr_bytes(r, MP_BIN, "a byte string", b, len, max, what, eb);
}

int
mpr_bin_exact(struct mpr *r, uint8_t *out, uint32_t len, const char *what,
    struct errbuf *eb)
{
	const uint8_t *start = r->p, *b = NULL;
	uint32_t n = 0;
	int rc = mpr_bin(r, &b, &n, len, what, eb);

	if (rc != 0)
		return rc;
	if (n != len) {
		r->p = start;
		return fail(eb, AMIE_EPROTO, "%s: %u bytes, expected %u", what,
		    n, len);
	}
	memcpy(out, b, len);
	return 0;
}

int
mpr_bin_or_nil(struct mpr *r, const uint8_t **b, uint32_t *len, uint32_t max,
    const char *what, struct errbuf *eb)
{
	if (r->p < r->end && *r->p == 0xc0) {
		r->p++;
		*b = NULL;
		*len = 0;
		return 0;
	}
	return mpr_bin(r, b, len, max, what, eb);
}

/* Bytewise order of strings: -1, 0 or 1. */
static int
mp_key_cmp(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

int
mpr_skip(struct mpr *r, unsigned depth_left, const char *what,
    struct errbuf *eb)
{
	struct mptok t, k;
	const uint8_t *prev = NULL;
	uint32_t prev_len = 0;
	int rc;

	if ((rc = mpr_token(r, &t, what, eb)) != 0)
		return rc;
	if (t.type != MP_ARRAY && t.type != MP_MAP)
		return 0;
	if (depth_left == 0)
		return fail(eb, AMIE_ELIMIT, "%s: nested deeper than %u", what,
		    MP_DEPTH_MAX);
	for (uint32_t i = 0; i < t.count; i++) {
		if (t.type == MP_MAP) {
			if ((rc = mpr_token(r, &k, what, eb)) != 0)
				return rc;
			if (k.type != MP_STR)
				return fail(eb, AMIE_EPROTO,
				    "%s: map key is not a string", what);
			if (prev != NULL &&
			    mp_key_cmp(prev, prev_len, k.data, k.len) >= 0)
				return fail(eb, AMIE_EPROTO,
				    "%s: map keys unsorted or repeated", what);
			prev = k.data;
			prev_len = k.len;
		}
		if ((rc = mpr_skip(r, depth_left - 1, what, eb)) != 0)
			return rc;
	}
	return 0;
}

int
mpr_end(const struct mpr *r, const char *what, struct errbuf *eb)
{
	if (r->p != r->end)
		return fail(eb, AMIE_EPROTO, "%s: %zu trailing bytes", what,
		    mpr_left(r));
	return 0;
}

int
mp_check(const uint8_t *buf, size_t len, const char *what, struct errbuf *eb)
{
	struct mpr r = { NULL, NULL };
	int rc;

	mpr_init(&r, buf, len);
	if ((rc = mpr_skip(&r, MP_DEPTH_MAX, what, eb)) != 0)
		return rc;
	return mpr_end(&r, what, eb);
}

int
mpmap_decode(struct mpmap *m, const uint8_t *buf, size_t len,
    const char *what, struct errbuf *eb)
{
	struct mpr r = { NULL, NULL };
	struct mptok k;
	uint32_t count = 0;
	int rc;

	mpr_init(&r, buf, len);
	if ((rc = mpr_map(&r, &count, MP_MAP_FIELDS_MAX, what, eb)) != 0)
		return rc;
	for (uint32_t i = 0; i < count; i++) {
		struct mpfield *f = &m->f[i];

		if ((rc = mpr_token(&r, &k, what, eb)) != 0)
			return rc;
		if (k.type != MP_STR)
			return fail(eb, AMIE_EPROTO,
			    "%s: map key is not a string", what);
		if (i > 0 && mp_key_cmp((const uint8_t *)m->f[i - 1].key,
		    m->f[i - 1].key_len, k.data, k.len) >= 0)
			return fail(eb, AMIE_EPROTO,
			    "%s: map keys unsorted or repeated", what);
		f->key = (const char *)k.data;
		f->key_len = k.len;
		f->val = r.p;
		if ((rc = mpr_skip(&r, MP_DEPTH_MAX - 1, what, eb)) != 0)
			return rc;
		f->val_len = (size_t)(r.p - f->val);
	}
	if ((rc = mpr_end(&r, what, eb)) != 0)
		return rc;
	m->count = count;
	return 0;
}

const struct mpfield *
mpmap_get(const struct mpmap *m, const char *key)
{
	size_t n = strlen(key);

	for (uint32_t i = 0; i < m->count; i++)
		if (m->f[i].key_len == n && memcmp(m->f[i].key, key, n) == 0)
			return &m->f[i];
	return NULL;
}

int
mpmap_reader(const struct mpmap *m, const char *key, struct mpr *r,
    struct errbuf *eb)
{
	const struct mpfield *f = mpmap_get(m, key);

	if (f == NULL)
		return fail(eb, AMIE_ENOTFOUND, "field %s is missing", key);
	mpr_init(r, f->val, f->val_len);
	return 0;
}

int
mpmap_uint(const struct mpmap *m, const char *key, uint64_t *v,
    struct errbuf *eb)
{
	struct mpr r = { NULL, NULL };
	int rc = mpmap_reader(m, key, &r, eb);

	return rc ? rc : mpr_uint(&r, v, key, eb);
}

int
mpmap_bool(const struct mpmap *m, const char *key, int *v, struct errbuf *eb)
{
	struct mpr r = { NULL, NULL };
	struct mptok t;
	int rc = mpmap_reader(m, key, &r, eb);

	if (rc == 0)
		rc = mpr_typed(&r, &t, MP_BOOL, "a boolean", key, eb);
	if (rc == 0)
		*v = (int)t.u;
	return rc;
}

int
mpmap_str(const struct mpmap *m, const char *key, const char **s,
    uint32_t *len, uint32_t max, struct errbuf *eb)
{
	struct mpr r = { NULL, NULL };
	int rc = mpmap_reader(m, key, &r, eb);

	return rc ? rc : mpr_str(&r, s, len, max, key, eb);
}

int
mpmap_cstr(const struct mpmap *m, const char *key, char *out, size_t cap,
    struct errbuf *eb)
{
	const char *s;
	uint32_t len;
	int rc;

	if (cap == 0)
		return fail(eb, AMIE_ELIMIT, "%s: no room", key);
	rc = mpmap_str(m, key, &s, &len,
	    cap - 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(cap - 1), eb);
	if (rc != 0)
		return rc;
	if (memchr(s, '\0', len) != NULL)
		return fail(eb, AMIE_EPROTO, "%s: contains a NUL byte", key);
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
mpmap_bin(const struct mpmap *m, const char *key, const uint8_t **b,
    uint32_t *len, uint32_t max, struct errbuf *eb)
{
	struct mpr r = { NULL, NULL };
	int rc = mpmap_reader(m, key, &r, eb);

	return rc ? rc : mpr_bin(&r, b, len, max, key, eb);
}

static int
mpw_write(void *data, const char *buf, size_t len)
{
	struct mpw *w = data;
	size_t cap;

	if (len == 0)
		return 0;
	if (w->overflow || len > w->max - w->len) {
		w->overflow = 1;
		return -1;
	}
	if (len > w->cap - w->len) {
		cap = w->cap ? w->cap : 256;
		while (cap - w->len < len)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		w->buf = xrealloc(w->buf, cap);
		w->cap = cap;
	}
	memcpy(w->buf + w->len, buf, len);
	w->len += len;
	return 0;
}

void
mpw_init(struct mpw *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
	msgpack_packer_init(&w->pk, w, mpw_write);
}

void
mpw_release(struct mpw *w)
{
	if (w->buf != NULL)
		sodium_memzero(w->buf, w->cap);
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
	w->overflow = 0;
}

void
mpw_reset(struct mpw *w)
{
	w->len = 0;
	w->overflow = 0;
}

int
mpw_finish(const struct mpw *w, const char *what, struct errbuf *eb)
{
	if (w->overflow)
		return fail(eb, AMIE_ELIMIT, "%s: over %zu bytes", what, w->max);
	return 0;
}

uint8_t *
mpw_take(struct mpw *w, size_t *len)
{
	uint8_t *b = w->buf ? w->buf : xmalloc(1);

	*len = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	w->overflow = 0;
	return b;
}

void
mpw_nil(struct mpw *w)
{
	msgpack_pack_nil(&w->pk);
}

void
mpw_bool(struct mpw *w, int v)
{
	if (v)
		msgpack_pack_true(&w->pk);
	else
		msgpack_pack_false(&w->pk);
}

void
mpw_uint(struct mpw *w, uint64_t v)
{
	msgpack_pack_uint64(&w->pk, v);
}

void
mpw_int(struct mpw *w, int64_t v)
{
	msgpack_pack_int64(&w->pk, v);
}

void
mpw_array(struct mpw *w, uint32_t count)
{
	msgpack_pack_array(&w->pk, count);
}

void
mpw_map(struct mpw *w, uint32_t count)
{
	msgpack_pack_map(&w->pk, count);
}

void
mpw_str(struct mpw *w, const char *s, size_t len)
{
	if (len > UINT32_MAX) {
		w->overflow = 1;
		return;
	}
	msgpack_pack_str(&w->pk, len);
	msgpack_pack_str_body(&w->pk, s, len);
}

void
mpw_cstr(struct mpw *w, const char *s)
{
	mpw_str(w, s, strlen(s));
}

void
mpw_bin(struct mpw *w, const uint8_t *b, size_t len)
{
	if (len > UINT32_MAX) {
		w->overflow = 1;
		return;
	}
	msgpack_pack_bin(&w->pk, len);
	msgpack_pack_bin_body(&w->pk, b, len);
}

void
mpw_raw(struct mpw *w, const uint8_t *b, size_t len)
{
	if (len == 0)
		return;
	mpw_write(w, (const char *)b, len);
}
