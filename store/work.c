/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Ingest rules of the Amie's own work (DESIGN.md section 5), step 5 of
 * ingest for the kinds contract, intervention, tech and swap.*.  They
 * read only headers, never a private body: every node checks a contract
 * or an intervention it cannot read (encrypted, with the flag set), and
 * who may write each kind.  Rules that name another record (an offer
 * refs its request, an accept its offer, a done its accept) refuse a
 * record whose target is not stored yet; sync brings it again later.
 */
#include <string.h>

#include <sodium.h>

#include "proto/private.h"
#include "proto/workbody.h"
#include "store/internal.h"

static const char *const work_kinds[] = { "contract", "intervention", "tech",
    "swap.request", "swap.offer", "swap.accept", "swap.done" };

int
work_is_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(work_kinds) / sizeof(work_kinds[0]); i++)
		if (strcmp(kind, work_kinds[i]) == 0)
			return 1;
	return 0;
}

/* The header of stored record id: 0, MDB_NOTFOUND, or another code. */
static int
work_header(struct store *st, MDB_txn *txn, const uint8_t id[RECORD_ID_LEN],
    struct record_header *h)
{
	MDB_val k = { RECORD_ID_LEN, (void *)id }, v;
	struct record r;
	int mrc;

	if ((mrc = mdb_get(txn, st->records, &k, &v)) != 0)
		return mrc;
	if (record_decode(&r, v.mv_data, v.mv_size, NULL) != 0 ||
	    record_header_decode(h, r.header, r.header_len, NULL) != 0)
		return MDB_NOTFOUND;
	return 0;
}

/*
 * The author of the first stored revision of (kind, key) in *author:
 * 0, MDB_NOTFOUND when there is none, or an LMDB code.
 */
static int
work_owner(struct store *st, MDB_txn *txn, const char *kind, const char *key,
    uint8_t author[RECORD_KEY_LEN])
{
	uint8_t ok[STORE_OBJKEY_MAX];
	size_t kl = strlen(kind), l = strlen(key);
	struct record_header h;
	MDB_val k, v;
	int mrc;

	memcpy(ok, kind, kl);
	ok[kl] = '\0';
	memcpy(ok + kl + 1, key, l);
	k.mv_size = kl + 1 + l;
	k.mv_data = ok;
	if ((mrc = mdb_get(txn, st->revs, &k, &v)) != 0)
		return mrc;
	if (v.mv_size != STORE_TSID_LEN)
		return MDB_NOTFOUND;
	if ((mrc = work_header(st, txn, (uint8_t *)v.mv_data + 8, &h)) != 0)
		return mrc;
	memcpy(author, h.author, RECORD_KEY_LEN);
	return 0;
}

/* Translate an LMDB code of a lookup: found 0, missing 1, else -1 and
 * an AMIE_EIO in eb. */
static int
work_lookup(int mrc, struct errbuf *eb)
{
	if (mrc == 0)
		return 0;
	if (mrc == MDB_NOTFOUND)
		return 1;
	store_fail(eb, mrc, "work rules");
	return -1;
}

/* Only the author of an object's first revision writes the others. */
static int
work_check_owner(struct store *st, MDB_txn *txn,
    const struct record_header *h, const char *what, struct errbuf *eb)
{
	uint8_t owner[RECORD_KEY_LEN];
	int found = work_lookup(work_owner(st, txn, h->kind, h->key, owner),
	    eb);

	if (found < 0)
		return AMIE_EIO;
	if (found == 0 && sodium_memcmp(owner, h->author, RECORD_KEY_LEN) != 0)
		return fail(eb, AMIE_EREFUSED, "%s: %s %s belongs to another "
		    "Amie", h->kind, what, h->key);
	return 0;
}

/*
 * refs[0] of h must be a stored record of kind want with the same key;
 * its header goes to *target.
 */
static int
work_check_target(struct store *st, MDB_txn *txn,
    const struct record_header *h, const char *want,
    struct record_header *target, struct errbuf *eb)
{
	int found;

	if (h->refs_count < 1)
		return fail(eb, AMIE_EREFUSED, "%s: refs name no %s", h->kind,
		    want);
	found = work_lookup(work_header(st, txn, h->refs[0], target), eb);
	if (found < 0)
		return AMIE_EIO;
	if (found > 0)
		return fail(eb, AMIE_EREFUSED, "%s: its %s is not stored here "
		    "yet", h->kind, want);
	if (strcmp(target->kind, want) != 0 || strcmp(target->key,
	    h->key) != 0)
		return fail(eb, AMIE_EREFUSED, "%s: refs[0] is not a %s of "
		    "request %s", h->kind, want, h->key);
	return 0;
}

/* The public body of a swap or tech record, decoded to check it. */
static int
work_check_public(const struct record *r, const struct record_header *h,
    struct errbuf *eb)
{
	struct workbody_swap_request rq;
	struct workbody_swap_offer of;
	struct workbody_swap_done dn;
	struct workbody_tech t;
	int rc = 0;

	if (h->flags & RECORD_FLAG_ENCRYPTED)
		return fail(eb, AMIE_EREFUSED, "%s: public, but the body is "
		    "encrypted", h->kind);
	if (r->body == NULL)
		return 0;
	if (strcmp(h->kind, "tech") == 0)
		rc = workbody_tech_decode(&t, r->body, r->body_len, eb);
	else if (strcmp(h->kind, "swap.request") == 0)
		rc = workbody_swap_request_decode(&rq, r->body, r->body_len,
		    eb);
	else if (strcmp(h->kind, "swap.offer") == 0)
		rc = workbody_swap_offer_decode(&of, r->body, r->body_len, eb);
	else if (strcmp(h->kind, "swap.accept") == 0)
		rc = workbody_swap_accept_decode(r->body, r->body_len, eb);
	else if (strcmp(h->kind, "swap.done") == 0)
		rc = workbody_swap_done_decode(&dn, r->body, r->body_len, eb);
	if (rc != 0)
		return fail_prefix(eb, h->kind);
	return 0;
}

int
work_check(struct store *st, MDB_txn *txn, const struct record *r,
    const struct record_header *h, struct errbuf *eb)
{
	struct record_header t, offer;
	uint8_t owner[RECORD_KEY_LEN];
	int rc, found;

	if (h->key[0] == '\0')
		return fail(eb, AMIE_EREFUSED, "%s: empty id", h->kind);
	/* Nothing purges a work record: a copy without its body is one a
	 * member stripped, and stored it would stand for good in place of
	 * the record. */
	if (r->body == NULL)
		return fail(eb, AMIE_EREFUSED, "%s: work records keep their "
		    "body", h->kind);
	if (strcmp(h->kind, "contract") == 0 ||
	    strcmp(h->kind, "intervention") == 0) {
		/* Private: other nodes check the form, never the text. */
		if (r->body != NULL && !(h->flags & RECORD_FLAG_ENCRYPTED))
			return fail(eb, AMIE_EREFUSED, "%s: private, but the "
			    "body is not encrypted", h->kind);
		if (r->body != NULL && r->body_len < PRIVATE_OVERHEAD)
			return fail(eb, AMIE_EREFUSED, "%s: an encrypted body "
			    "of %zu bytes", h->kind, r->body_len);
		if (strcmp(h->kind, "contract") == 0)
			return work_check_owner(st, txn, h, "contract", eb);
		/* Time is logged only against the author's own contract;
		 * the contract may arrive later. */
		found = work_lookup(work_owner(st, txn, "contract", h->key,
		    owner), eb);
		if (found < 0)
			return AMIE_EIO;
		if (found == 0 && sodium_memcmp(owner, h->author,
		    RECORD_KEY_LEN) != 0)
			return fail(eb, AMIE_EREFUSED, "intervention: contract "
			    "%s belongs to another Amie", h->key);
		return 0;
	}
	if ((rc = work_check_public(r, h, eb)) != 0)
		return rc;
	if (strcmp(h->kind, "tech") == 0)
		return work_check_owner(st, txn, h, "technician", eb);
	if (strcmp(h->kind, "swap.request") == 0)
		return work_check_owner(st, txn, h, "request", eb);
	if (strcmp(h->kind, "swap.offer") == 0) {
		if ((rc = work_check_target(st, txn, h, "swap.request", &t,
		    eb)) != 0)
			return rc;
		if (sodium_memcmp(t.author, h->author, RECORD_KEY_LEN) == 0)
			return fail(eb, AMIE_EREFUSED, "swap.offer: an Amie "
			    "cannot offer on its own request");
		return 0;
	}
	if (strcmp(h->kind, "swap.accept") == 0) {
		if ((rc = work_check_target(st, txn, h, "swap.offer", &offer,
		    eb)) != 0)
			return rc;
		found = work_lookup(work_owner(st, txn, "swap.request", h->key,
		    owner), eb);
		if (found < 0)
			return AMIE_EIO;
		if (found > 0)
			return fail(eb, AMIE_EREFUSED, "swap.accept: request "
			    "%s is not stored here yet", h->key);
		if (sodium_memcmp(owner, h->author, RECORD_KEY_LEN) != 0)
			return fail(eb, AMIE_EREFUSED, "swap.accept: only the "
			    "requesting Amie accepts an offer");
		return 0;
	}
	if (strcmp(h->kind, "swap.done") == 0) {
		if ((rc = work_check_target(st, txn, h, "swap.accept", &t,
		    eb)) != 0)
			return rc;
		if (sodium_memcmp(t.author, h->author, RECORD_KEY_LEN) != 0)
			return fail(eb, AMIE_EREFUSED, "swap.done: only the "
			    "borrowing Amie confirms the hours");
		return 0;
	}
	return fail(eb, AMIE_EREFUSED, "kind: '%s' is not a work kind",
	    h->kind);
}
