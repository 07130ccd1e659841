/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xmalloc.h"

static void
xmalloc_die(size_t len)
{
	fprintf(stderr, "amie: out of memory (%zu bytes)\n", len);
	abort();
}

void *
xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (p == NULL)
		xmalloc_die(len);
	return p;
}

void *
xcalloc(size_t count, size_t len)
{
	void *p = calloc(count ? count : 1, len ? len : 1);

	if (p == NULL)
		xmalloc_die(count * len);
	return p;
}

void *
xrealloc(void *p, size_t len)
{
	void *q = realloc(p, len ? len : 1);

	if (q == NULL)
		xmalloc_die(len);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
