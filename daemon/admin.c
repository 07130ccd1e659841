/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/admin.h"
#include "daemon/log.h"
#include "proto/xmalloc.h"
#include "store/check.h"

struct admin_problems {
	size_t count;
	struct {
		char db[16];
		char msg[CHECK_MSG_MAX];
	} v[ADMIN_PROBLEMS_MAX];
};

static void
admin_problem(void *ctx, const char *db, const char *msg)
{
	struct admin_problems *p = ctx;

	log_msg(LOG_WARNING, "check: %s: %s", db, msg);
	if (p->count == ADMIN_PROBLEMS_MAX)
		return;
	snprintf(p->v[p->count].db, sizeof(p->v[p->count].db), "%s", db);
	snprintf(p->v[p->count].msg, sizeof(p->v[p->count].msg), "%s", msg);
	p->count++;
}

int
admin_handle_check(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	struct admin_problems *p;
	struct check_stats s;
	int rc;

	(void)req;
	p = xcalloc(1, sizeof(*p));
	log_msg(LOG_INFO, "check: started");
	if ((rc = check_run(n->store, admin_problem, p, &s, eb)) != 0) {
		free(p);
		return rc;
	}
	log_msg(s.problems ? LOG_WARNING : LOG_INFO,
	    "check: %llu records, %llu problems", (unsigned long long)s.records,
	    (unsigned long long)s.problems);
	/* Keys in bytewise order: replies are canonical maps. */
	mpw_map(w, 7);
	mpw_cstr(w, "articles");
	mpw_uint(w, s.articles);
	mpw_cstr(w, "items");
	mpw_uint(w, s.items);
	mpw_cstr(w, "members");
	mpw_uint(w, s.members);
	mpw_cstr(w, "objects");
	mpw_uint(w, s.objects);
	mpw_cstr(w, "problems");
	mpw_array(w, (uint32_t)p->count);
	for (size_t i = 0; i < p->count; i++) {
		mpw_map(w, 2);
		mpw_cstr(w, "db");
		mpw_cstr(w, p->v[i].db);
		mpw_cstr(w, "message");
		mpw_cstr(w, p->v[i].msg);
	}
	mpw_cstr(w, "problems_total");
	mpw_uint(w, s.problems);
	mpw_cstr(w, "records");
	mpw_uint(w, s.records);
	free(p);
	return 0;
}
