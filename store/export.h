/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Records read out for a bundle (`amie export`): the served records (the
 * item set, so never a removed member's hidden records) in (ts, id)
 * order, a page at a time, each page in its own read transaction, so an
 * export never holds the store for long.  Pages resume after the last
 * item of the previous one, so records written meanwhile with a later ts
 * are included, and none is given twice.
 */
#ifndef AMIE_STORE_EXPORT_H
#define AMIE_STORE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"
#include "store/store.h"

#define EXPORT_CURSOR_LEN 40  /* ts (8, BE) || id (32) */
#define EXPORT_SCAN_MAX 65536 /* items looked at per page */

/* Called with each encoded record of a page (borrowed for the call). */
typedef void (*export_fn)(void *ctx, const uint8_t *buf, size_t len);

/*
 * One page: the served records after the item after (NULL: from the
 * first with ts >= since_ms), of kind (NULL or "": any), with ts >=
 * since_ms, handed to fn until the next one would pass max_bytes (the
 * first always goes) or max_count were given, or EXPORT_SCAN_MAX items
 * were looked at.  next gets the cursor to resume from; *done is 1 when
 * the set was read to its end.  Returns 0 or AMIE_EIO.
 */
int export_page(struct store *st, const uint8_t *after, uint64_t since_ms,
    const char *kind, size_t max_bytes, size_t max_count, export_fn fn,
    void *ctx, uint8_t next[EXPORT_CURSOR_LEN], int *done, struct errbuf *eb);

#endif
