/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Deletion (DESIGN.md section 5): a tombstone record (kind "tombstone",
 * key "", body {reason}) refs the head revisions of a knowledge-base
 * article; it is signed by the article's author (the author of its
 * first revision).  When one is stored, the article is deleted: every
 * revision of it keeps its header but loses its body (purged), so that
 * signatures still verify and every node's item set still converges; the
 * article leaves lists and search.  A revision of a deleted article
 * arriving later is stored purged too: its body is never stored again.
 */
#ifndef AMIE_STORE_TOMBSTONE_H
#define AMIE_STORE_TOMBSTONE_H

#include "store/store.h"

/* 1 if the object (kind, key) was deleted, else 0. */
int tombstone_is_deleted(struct store *st, const char *kind, const char *key);

#endif
