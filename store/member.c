/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Placeholder until membership lands: the founder and this node. */
#include <string.h>

#include <sodium.h>

#include "store/internal.h"
#include "store/member.h"

int
member_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct errbuf *eb)
{
	(void)txn;
	(void)r;
	if (sodium_memcmp(h->author, st->self, RECORD_KEY_LEN) == 0 ||
	    (st->has_founder &&
	    sodium_memcmp(h->author, st->founder, RECORD_KEY_LEN) == 0))
		return 0;
	return fail(eb, AMIE_EREFUSED, "author: not a member of this federation");
}

int
member_apply(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, const uint8_t id[RECORD_ID_LEN])
{
	(void)st;
	(void)txn;
	(void)r;
	(void)h;
	(void)id;
	return 0;
}
