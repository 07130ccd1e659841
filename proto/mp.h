/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Canonical msgpack: a bounded reader and a bounded writer.
 *
 * Canonical means: shortest integer and length forms, no floats, no
 * extension types, maps with unique string keys sorted bytewise, strings
 * valid UTF-8, no trailing bytes.  The writer (msgpack-c's packer writing
 * into a buffer with a maximum) produces only shortest forms.  The reader
 * never trusts a count: every count is checked against the bytes that
 * remain and against a limit the caller names before anything is
 * allocated, nesting is capped at MP_DEPTH_MAX, and every token it reads is
 * re-encoded with the writer and compared byte for byte, so that any
 * non-canonical form is refused.
 *
 * The reader never allocates and never asserts on input.  Strings and
 * byte strings it returns point into the input buffer.
 */
#ifndef AMIE_PROTO_MP_H
#define AMIE_PROTO_MP_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "proto/errbuf.h"

#define MP_DEPTH_MAX 8		/* containers inside containers */
#define MP_MAP_FIELDS_MAX 64	/* fields in one struct mpmap */

enum mp_type {
	MP_NIL = 1,
	MP_BOOL,
	MP_UINT,
	MP_INT,		/* negative integers only: positives are MP_UINT */
	MP_STR,
	MP_BIN,
	MP_ARRAY,
	MP_MAP
};

/* One token: a scalar, or the head of a container. */
struct mptok {
	enum mp_type type;
	uint64_t u;		/* MP_UINT value, MP_BOOL 0/1 */
	int64_t i;		/* MP_INT value */
	uint32_t count;		/* MP_ARRAY elements, MP_MAP pairs */
	const uint8_t *data;	/* MP_STR, MP_BIN: the bytes, in the input */
	uint32_t len;		/* MP_STR, MP_BIN: byte count */
};

/* A cursor over the bytes [p, end). */
struct mpr {
	const uint8_t *p;
	const uint8_t *end;
};

/* Point r at the len bytes at buf, which must outlive r. */
void mpr_init(struct mpr *r, const uint8_t *buf, size_t len);

/* Bytes not yet read. */
size_t mpr_left(const struct mpr *r);

/*
 * Read the next token.  Containers are checked against the bytes left
 * (one byte per element at least) but not against a caller limit: use the
 * typed readers below for that.  Returns 0, or AMIE_EPROTO for truncated,
 * non-canonical or unsupported input, naming what in eb.
 */
int mpr_token(struct mpr *r, struct mptok *t, const char *what,
    struct errbuf *eb);

/*
 * Typed readers.  what names the field in error messages ("header.kind").
 * Each returns 0, AMIE_EPROTO on a wrong type or malformed input, or
 * AMIE_ELIMIT when a count or length is over max.
 */
int mpr_uint(struct mpr *r, uint64_t *v, const char *what, struct errbuf *eb);
int mpr_array(struct mpr *r, uint32_t *count, uint32_t max, const char *what,
    struct errbuf *eb);
int mpr_map(struct mpr *r, uint32_t *count, uint32_t max, const char *what,
    struct errbuf *eb);
/* A string, valid UTF-8, of at most max bytes; *s points into the input. */
int mpr_str(struct mpr *r, const char **s, uint32_t *len, uint32_t max,
    const char *what, struct errbuf *eb);
/* A byte string of at most max bytes; *b points into the input. */
int mpr_bin(struct mpr *r, const uint8_t **b, uint32_t *len, uint32_t max,
    const char *what, struct errbuf *eb);
/* A byte string of exactly len bytes, copied to out. */
int mpr_bin_exact(struct mpr *r, uint8_t *out, uint32_t len, const char *what,
    struct errbuf *eb);
/* A byte string or nil: *b is NULL for nil. */
int mpr_bin_or_nil(struct mpr *r, const uint8_t **b, uint32_t *len,
    uint32_t max, const char *what, struct errbuf *eb);

/*
 * Skip one whole value, checking it is canonical (sorted unique string
 * keys in maps included) and nested at most depth_left levels.
 */
int mpr_skip(struct mpr *r, unsigned depth_left, const char *what,
    struct errbuf *eb);

/* AMIE_EPROTO unless every byte has been read. */
int mpr_end(const struct mpr *r, const char *what, struct errbuf *eb);

/*
 * Check that the len bytes at buf are exactly one canonical msgpack value
 * nested at most MP_DEPTH_MAX levels.  Returns 0, AMIE_EPROTO, or
 * AMIE_ELIMIT for nesting too deep.
 */
int mp_check(const uint8_t *buf, size_t len, const char *what,
    struct errbuf *eb);

/* 0 when the len bytes at s are valid UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF), -1 otherwise. */
int mp_utf8_check(const uint8_t *s, size_t len);

/*
 * A map view: the top-level fields of a canonical map of string keys,
 * each value as a raw slice of the input (which must outlive the view).
 */
struct mpfield {
	const char *key;
	uint32_t key_len;
	const uint8_t *val;
	size_t val_len;
};

struct mpmap {
	uint32_t count;
	struct mpfield f[MP_MAP_FIELDS_MAX];
};

/*
 * Decode the len bytes at buf, which must be one canonical map of at most
 * MP_MAP_FIELDS_MAX string keys and nothing else, into m.  Returns 0,
 * AMIE_EPROTO or AMIE_ELIMIT; on failure m->count is left alone and the
 * fields already filled must not be read.
 */
int mpmap_decode(struct mpmap *m, const uint8_t *buf, size_t len,
    const char *what, struct errbuf *eb);

/* The field named key, or NULL. */
const struct mpfield *mpmap_get(const struct mpmap *m, const char *key);

/*
 * Field getters.  A missing field gives AMIE_ENOTFOUND (with a message
 * naming it) so callers can supply a default; a field of the wrong type
 * or over max gives AMIE_EPROTO or AMIE_ELIMIT.
 */
int mpmap_uint(const struct mpmap *m, const char *key, uint64_t *v,
    struct errbuf *eb);
int mpmap_bool(const struct mpmap *m, const char *key, int *v,
    struct errbuf *eb);
int mpmap_str(const struct mpmap *m, const char *key, const char **s,
    uint32_t *len, uint32_t max, struct errbuf *eb);
/* Copy a string field into out (cap bytes, NUL-terminated); refuses
 * embedded NUL bytes and strings of cap bytes or more. */
int mpmap_cstr(const struct mpmap *m, const char *key, char *out, size_t cap,
    struct errbuf *eb);
int mpmap_bin(const struct mpmap *m, const char *key, const uint8_t **b,
    uint32_t *len, uint32_t max, struct errbuf *eb);
/* The field's value positioned in a reader, for arrays and nested maps. */
int mpmap_reader(const struct mpmap *m, const char *key, struct mpr *r,
    struct errbuf *eb);

/*
 * The writer: msgpack-c's packer into a growable buffer that never grows
 * past max bytes.  Writing past max sets an overflow flag that
 * mpw_finish() reports; the write calls themselves cannot fail.
 */
struct mpw {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max;
	int overflow;
	msgpack_packer pk;	/* points at this struct: never copy it */
};

/* Start an empty writer of at most max bytes. */
void mpw_init(struct mpw *w, size_t max);
/* Wipe and free the buffer; w may be reused after mpw_init(). */
void mpw_release(struct mpw *w);
/* Forget the content, keep the buffer. */
void mpw_reset(struct mpw *w);
/* 0, or AMIE_ELIMIT naming what if the content went past max. */
int mpw_finish(const struct mpw *w, const char *what, struct errbuf *eb);
/* Hand the buffer to the caller (free() it) and reset w to empty. */
uint8_t *mpw_take(struct mpw *w, size_t *len);

void mpw_nil(struct mpw *w);
void mpw_bool(struct mpw *w, int v);
void mpw_uint(struct mpw *w, uint64_t v);
void mpw_int(struct mpw *w, int64_t v);
void mpw_array(struct mpw *w, uint32_t count);
void mpw_map(struct mpw *w, uint32_t count);
void mpw_str(struct mpw *w, const char *s, size_t len);
void mpw_cstr(struct mpw *w, const char *s);
void mpw_bin(struct mpw *w, const uint8_t *b, size_t len);
/* Append len bytes that already are one encoded value. */
void mpw_raw(struct mpw *w, const uint8_t *b, size_t len);

#endif
