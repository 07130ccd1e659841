/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <sodium.h>

#include "daemon/net.h"
#include "daemon/status.h"
#include "proto/negentropy.h"
#include "proto/nodeid.h"
#include "store/itemset.h"
#include "store/member.h"

#ifndef AMIE_VERSION
#define AMIE_VERSION "0.1.0"
#endif

/*
 * The Negentropy fingerprint of the whole item set, in hex: two nodes
 * that show the same one hold the same records (ts and id).
 */
static int
status_fingerprint(struct store *st, char hex[2 * NEG_FP_LEN + 1],
    struct errbuf *eb)
{
	struct itemset_snap *snap;
	const struct neg_storage *s;
	uint8_t sum[NEG_ID_LEN], fp[NEG_FP_LEN];
	size_t count;
	int rc;

	if ((rc = itemset_snap_open(st, &snap, eb)) != 0)
		return rc;
	s = itemset_snap_storage(snap);
	if ((rc = s->size(s->ctx, &count, eb)) == 0 &&
	    (rc = s->sum(s->ctx, 0, count, sum, eb)) == 0) {
		neg_fingerprint(sum, count, fp);
		sodium_bin2hex(hex, 2 * NEG_FP_LEN + 1, fp, sizeof(fp));
	}
	itemset_snap_close(&snap);
	return rc;
}

int
status_handle(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char id[NODEID_LEN + 1], netid[65] = "", fp[2 * NEG_FP_LEN + 1];
	struct store_stats s;
	int rc;

	(void)req;
	if ((rc = store_stats(n->store, &s, eb)) != 0 ||
	    (rc = status_fingerprint(n->store, fp, eb)) != 0)
		return rc;
	nodeid_format(id, n->pk);
	if (s.has_federation)
		sodium_bin2hex(netid, sizeof(netid), s.network_id, 32);
	/* Keys in bytewise order: replies are canonical maps. */
	mpw_map(w, 13);
	mpw_cstr(w, "clock_behind_ms");
	mpw_uint(w, node_clock_behind_ms(n));
	mpw_cstr(w, "disk_bytes");
	mpw_uint(w, s.used_bytes);
	mpw_cstr(w, "federation");
	mpw_cstr(w, s.federation);
	mpw_cstr(w, "fingerprint");
	mpw_cstr(w, fp);
	mpw_cstr(w, "members");
	mpw_uint(w, member_count(n->store));
	mpw_cstr(w, "name");
	mpw_cstr(w, n->conf.name);
	mpw_cstr(w, "network_id");
	mpw_cstr(w, netid);
	mpw_cstr(w, "node_id");
	mpw_cstr(w, id);
	mpw_cstr(w, "peers_connected");
	mpw_uint(w, n->net != NULL ? net_peers_connected(n->net) : 0);
	mpw_cstr(w, "records");
	mpw_uint(w, s.records);
	mpw_cstr(w, "region");
	mpw_cstr(w, n->conf.region);
	mpw_cstr(w, "sync_pending");
	mpw_uint(w, n->net != NULL ? net_sync_pending(n->net) : 0);
	mpw_cstr(w, "version");
	mpw_cstr(w, AMIE_VERSION);
	return 0;
}
