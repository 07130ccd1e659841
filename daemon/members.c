/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "daemon/members.h"
#include "proto/body.h"
#include "proto/invitecode.h"
#include "proto/nodeid.h"
#include "store/member.h"

static const char *
members_state_name(enum member_state s)
{
	switch (s) {
	case MEMBER_CURRENT:
		return "current";
	case MEMBER_REMOVED:
		return "removed";
	default:
		return "pending";
	}
}

struct members_list {
	struct node *node;
	struct mpw items;
	uint32_t count;
	int more;
	uint8_t last[RECORD_KEY_LEN];	/* the key of the last one listed */
};


static int
members_list_one(void *ctx, const struct member_info *m)
{
	struct members_list *l = ctx;
	struct mpw *w = &l->items;
	char id[NODEID_LEN + 1], safety[7];
	int self = memcmp(m->key, l->node->pk, 32) == 0;
	size_t mark = w->len;

	nodeid_format(id, m->key);
	invitecode_safety(safety, l->node->pk, m->key);
	mpw_map(w, 10);
	mpw_cstr(w, "endpoint");
	mpw_cstr(w, m->endpoints_count > 0 ? m->endpoints[0] : "");
	mpw_cstr(w, "founder");
	mpw_bool(w, m->founder);
	mpw_cstr(w, "id");
	mpw_cstr(w, id);
	mpw_cstr(w, "name");
	mpw_cstr(w, m->name);
	mpw_cstr(w, "reason");
	mpw_cstr(w, m->reason);
	mpw_cstr(w, "region");
	mpw_cstr(w, m->region);
	mpw_cstr(w, "safety_code");
	mpw_cstr(w, self ? "" : safety);
	mpw_cstr(w, "self");
	mpw_bool(w, self);
	mpw_cstr(w, "signers");
	mpw_uint(w, m->signers);
	mpw_cstr(w, "state");
	mpw_cstr(w, members_state_name(m->state));
	if (control_page_item(w, mark, &l->more) != 0)
		return CONTROL_PAGE_FULL;	/* the next page starts here */
	memcpy(l->last, m->key, RECORD_KEY_LEN);
	l->count++;
	return 0;
}

int
members_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct members_list l;
	const uint8_t *after;
	uint32_t alen;
	int rc;

	rc = mpmap_bin(&req->args, "after", &after, &alen, RECORD_KEY_LEN,
	    eb);
	if (rc == AMIE_ENOTFOUND)
		after = NULL;
	else if (rc != 0)
		return rc;
	else if (alen != RECORD_KEY_LEN)
		return fail(eb, AMIE_EPROTO, "members: after: %u bytes, not "
		    "%d", alen, RECORD_KEY_LEN);
	memset(&l, 0, sizeof(l));
	l.node = n;
	mpw_init(&l.items, CTL_PAGE_MAX);
	rc = member_list_after(n->store, after, members_list_one, &l, eb);
	if (rc == CONTROL_PAGE_FULL)
		rc = 0;
	/* One member is far smaller than a page. */
	assert(l.count > 0 || !l.more);
	if (rc == 0) {
		mpw_map(w, 1 + l.more);
		mpw_cstr(w, "members");
		mpw_array(w, l.count);
		mpw_raw(w, l.items.buf, l.items.len);
		if (l.more) {
			mpw_cstr(w, "next");
			mpw_bin(w, l.last, sizeof(l.last));
		}
	}
	mpw_release(&l.items);
	return rc;
}

struct members_find {
	char prefix[NODEID_CHARS + 1];
	uint8_t key[32];
	unsigned found;
};

static int
members_find_one(void *ctx, const struct member_info *m)
{
	struct members_find *f = ctx;
	char id[NODEID_LEN + 1], norm[NODEID_CHARS + 1];

	nodeid_format(id, m->key);
	if (nodeid_normalize(norm, sizeof(norm), id, NULL) != 0)
		return 0;
	if (strncmp(norm, f->prefix, strlen(f->prefix)) == 0) {
		memcpy(f->key, m->key, 32);
		f->found++;
	}
	return 0;
}

int
members_handle_remove(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct body_member_remove mr;
	struct members_find f;
	char arg[NODEID_INPUT_MAX], reason[16], hex[65], rev[65];
	char id[NODEID_LEN + 1];
	uint8_t rid[RECORD_ID_LEN];
	struct mpw body;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = mpmap_cstr(&req->args, "id", arg, sizeof(arg), eb)) != 0 ||
	    (rc = mpmap_cstr(&req->args, "reason", reason, sizeof(reason),
	    eb)) != 0)
		return rc == AMIE_ENOTFOUND ? fail(eb, AMIE_EUSAGE,
		    "member remove ID --reason retired|compromised") : rc;
	if (strcmp(reason, "retired") != 0 && strcmp(reason, "compromised") != 0)
		return fail(eb, AMIE_EUSAGE,
		    "--reason: retired or compromised, not '%s'", reason);
	if (nodeid_normalize(f.prefix, sizeof(f.prefix), arg, eb) != 0) {
		eb->code = AMIE_EUSAGE;
		return AMIE_EUSAGE;
	}
	if (strlen(f.prefix) < NODEID_PREFIX_MIN)
		return fail(eb, AMIE_EUSAGE, "give at least %d characters of "
		    "the node id", NODEID_PREFIX_MIN);
	if ((rc = member_list(n->store, members_find_one, &f, eb)) != 0)
		return rc;
	if (f.found == 0)
		return fail(eb, AMIE_ENOTFOUND, "no member with id %s", arg);
	if (f.found > 1)
		return fail(eb, AMIE_EAMBIGUOUS,
		    "%s matches several members: give more characters", arg);
	memset(&mr, 0, sizeof(mr));
	mr.reason.s = reason;
	mr.reason.len = (uint32_t)strlen(reason);
	mr.effective_from = node_now_ms();
	sodium_bin2hex(hex, sizeof(hex), f.key, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_remove_encode(&mr, &body);
	rc = node_write(n, "member.remove", hex, NULL, 0, body.buf, body.len,
	    0, rid, eb);
	mpw_release(&body);
	if (rc != 0)
		return rc;
	record_id_hex(rev, rid);
	nodeid_format(id, f.key);
	mpw_map(w, 2);
	mpw_cstr(w, "id");
	mpw_cstr(w, id);
	mpw_cstr(w, "revision");
	mpw_cstr(w, rev);
	return 0;
}
