/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <sodium.h>

#include "daemon/net.h"
#include "daemon/status.h"
#include "store/member.h"
#include "proto/nodeid.h"

#ifndef AMIE_VERSION
#define AMIE_VERSION "0.1.0"
#endif

int
status_handle(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	char id[NODEID_LEN + 1], netid[65] = "";
	struct store_stats s;
	int rc;

	(void)req;
	if ((rc = store_stats(n->store, &s, eb)) != 0)
		return rc;
	nodeid_format(id, n->pk);
	if (s.has_federation)
		sodium_bin2hex(netid, sizeof(netid), s.network_id, 32);
	/* Keys in bytewise order: replies are canonical maps. */
	mpw_map(w, 10);
	mpw_cstr(w, "disk_bytes");
	mpw_uint(w, s.used_bytes);
	mpw_cstr(w, "federation");
	mpw_cstr(w, s.federation);
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
	mpw_cstr(w, "version");
	mpw_cstr(w, AMIE_VERSION);
	return 0;
}
