/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Allocation that cannot fail: out of memory on a small allocation aborts
 * with a message.  A size that comes from outside must be checked against
 * a named limit before it reaches these functions.
 */
#ifndef AMIE_PROTO_XMALLOC_H
#define AMIE_PROTO_XMALLOC_H

#include <stddef.h>

/* malloc(len), aborting on failure; len 0 gives a unique pointer. */
void *xmalloc(size_t len);
/* calloc(count, len), aborting on failure or overflow. */
void *xcalloc(size_t count, size_t len);
/* realloc(p, len), aborting on failure. */
void *xrealloc(void *p, size_t len);
/* A copy of the NUL-terminated s. */
char *xstrdup(const char *s);
/* A NUL-terminated copy of the len bytes at s. */
char *xstrndup(const char *s, size_t len);

#endif
