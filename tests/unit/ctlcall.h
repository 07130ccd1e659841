/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * For unit tests that run control handlers in process: a store in a
 * temporary directory, and a request sent to a handler as the control
 * socket would send it.
 */
#ifndef AMIE_TESTS_UNIT_CTLCALL_H
#define AMIE_TESTS_UNIT_CTLCALL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control.h"
#include "proto/ctl.h"
#include "proto/mp.h"

/* A new directory named after what into dir (mkdtemp's template), or
 * abort. */
static inline void
test_tmpdir(char *dir, size_t cap, const char *what)
{
	snprintf(dir, cap, "/tmp/amie-%s.XXXXXX", what);
	if (mkdtemp(dir) == NULL)
		abort();
}

/* Remove dir and what it holds. */
static inline void
test_rmdir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* An argument of a request: a string, or, when raw is set, len bytes
 * of msgpack as they are. */
struct ctl_arg {
	const char *key;
	const char *s;
	const uint8_t *raw;
	size_t len;
};

/*
 * Run handler fn on node n with {"cmd": cmd} and the count args (keys in
 * bytewise order with "cmd"), as the control socket would: the reply
 * must fit in CTL_MSG_MAX.  The reply in *reply (free it) and *len; the
 * code returned.
 */
static inline int
ctl_call(struct node *n, control_fn fn, const char *cmd,
    const struct ctl_arg *args, size_t count, uint8_t **reply, size_t *len,
    struct errbuf *eb)
{
	struct ctl_request req;
	struct mpw r, w;
	int rc, put = 0;

	mpw_init(&r, CTL_MSG_MAX);
	mpw_map(&r, (uint32_t)count + 1);
	for (size_t i = 0; i <= count; i++) {
		if (!put && (i == count || strcmp(args[i].key, "cmd") > 0)) {
			mpw_cstr(&r, "cmd");
			mpw_cstr(&r, cmd);
			put = 1;
		}
		if (i == count)
			break;
		mpw_cstr(&r, args[i].key);
		if (args[i].raw != NULL)
			mpw_raw(&r, args[i].raw, args[i].len);
		else
			mpw_cstr(&r, args[i].s);
	}
	errbuf_clear(eb);
	if (ctl_request_decode(&req, r.buf, r.len, eb) != 0)
		abort();
	mpw_init(&w, CTL_MSG_MAX);
	if ((rc = fn(n, &req, &w, eb)) == 0)
		rc = mpw_finish(&w, "reply", eb);
	*reply = mpw_take(&w, len);
	mpw_release(&r);
	return rc;
}

/* The same with one argument, "after": after_len bytes as a bin, or none
 * when after is NULL. */
static inline int
ctl_call_after(struct node *n, control_fn fn, const char *cmd,
    const uint8_t *after, size_t after_len, uint8_t **reply, size_t *len,
    struct errbuf *eb)
{
	struct ctl_arg arg = { "after", NULL, NULL, 0 };
	struct mpw bin;
	int rc;

	mpw_init(&bin, CTL_MSG_MAX);
	if (after != NULL) {
		mpw_bin(&bin, after, after_len);
		arg.raw = bin.buf;
		arg.len = bin.len;
	}
	rc = ctl_call(n, fn, cmd, &arg, after != NULL, reply, len, eb);
	mpw_release(&bin);
	return rc;
}

#endif
