/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The federation commands: invite, join, members, member remove, peers,
 * sync.  Each sends one control request to amied.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "proto/invitecode.h"
#include "proto/nodeid.h"

enum {
	CMD_FED_DIR = 256,
	CMD_FED_JSON,
	CMD_FED_EXPIRES,
	CMD_FED_USES,
	CMD_FED_REASON,
	CMD_FED_WAIT,
	CMD_FED_TIMEOUT,
};

static const struct option cmd_fed_opts[] = {
	{ "dir", required_argument, NULL, CMD_FED_DIR },
	{ "json", no_argument, NULL, CMD_FED_JSON },
	{ "expires", required_argument, NULL, CMD_FED_EXPIRES },
	{ "uses", required_argument, NULL, CMD_FED_USES },
	{ "reason", required_argument, NULL, CMD_FED_REASON },
	{ "wait", no_argument, NULL, CMD_FED_WAIT },
	{ "timeout", required_argument, NULL, CMD_FED_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmd_fed_args {
	const char *expires, *reason;
	unsigned long uses, timeout_s;
	int wait;
	int positional;
};

/* Parse options; -1 to go on, or an exit code.  allowed lists the
 * option codes this command takes. */
static int
cmd_fed_parse(struct cli *c, struct cmd_fed_args *a, int argc, char **argv,
    const char *usage, const int *allowed)
{
	char *end;
	int ch;

	memset(a, 0, sizeof(*a));
	a->uses = 1;
	a->timeout_s = 60;
	while ((ch = getopt_long(argc, argv, "h", cmd_fed_opts, NULL)) != -1) {
		int ok = ch == CMD_FED_DIR || ch == 'h';

		for (const int *p = allowed; *p != 0 && !ok; p++)
			ok = *p == ch;
		if (!ok || ch == '?') {
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
		switch (ch) {
		case CMD_FED_DIR: c->dir_opt = optarg; break;
		case CMD_FED_JSON: c->json = 1; break;
		case CMD_FED_EXPIRES: a->expires = optarg; break;
		case CMD_FED_REASON: a->reason = optarg; break;
		case CMD_FED_WAIT: a->wait = 1; break;
		case CMD_FED_USES:
		case CMD_FED_TIMEOUT: {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v == 0 ||
			    v > 86400)
				return cli_error(c, CLI_EXIT_USAGE,
				    "%s: a positive number, not '%s'",
				    ch == CMD_FED_USES ? "--uses" : "--timeout",
				    optarg);
			if (ch == CMD_FED_USES)
				a->uses = v;
			else
				a->timeout_s = v;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		}
	}
	a->positional = optind;
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

/* Send the finished request and report a failure; 0 with r filled, or
 * an exit code. */
static int
cmd_fed_call(const struct cli *c, struct mpw *req, struct cli_reply *r)
{
	struct errbuf eb;
	int rc;

	errbuf_clear(&eb);
	if ((rc = mpw_finish(req, "request", &eb)) == 0)
		rc = cli_call(c, req, r, &eb);
	mpw_release(req);
	if (rc != 0)
		return cli_fail(c, &eb);
	return 0;
}

#define CMD_FED_INVITE_USAGE \
	"usage: amie invite [--expires 48h] [--uses N] [--dir DIR]\n" \
	"Print a one-time invite code for a new Amie; give it to them by a\n" \
	"channel you trust, then compare the safety code by phone.\n"

int
cmd_fed_invite_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_EXPIRES, CMD_FED_USES, 0 };
	struct cli c = { .prog = "amie invite" };
	struct cmd_fed_args a;
	struct cli_reply r;
	struct mpw req;
	char code[INVITECODE_MAX], when[32];
	int rc;

	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_INVITE_USAGE,
	    allowed)) >= 0)
		return rc;
	if (a.positional != argc)
		return cli_error(&c, CLI_EXIT_USAGE, "unexpected '%s'",
		    argv[a.positional]);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1 + (a.expires != NULL) + 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "invite");
	if (a.expires != NULL) {
		mpw_cstr(&req, "expires");
		mpw_cstr(&req, a.expires);
	}
	mpw_cstr(&req, "uses");
	mpw_uint(&req, a.uses);
	if ((rc = cmd_fed_call(&c, &req, &r)) != 0)
		return rc;
	cli_reply_str(&r, "code", code, sizeof(code));
	cli_time(when, cli_reply_uint(&r, "expires"));
	printf("%s\n", code);
	fprintf(stderr, "amie: valid until %s for %llu use(s). The new Amie "
	    "runs: amie join CODE\n", when,
	    (unsigned long long)cli_reply_uint(&r, "uses"));
	cli_reply_release(&r);
	return 0;
}

#define CMD_FED_JOIN_USAGE \
	"usage: amie join CODE [--json] [--dir DIR]\n" \
	"Join the federation of the node that printed CODE (amie invite).\n"

int
cmd_fed_join_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_JSON, 0 };
	struct cli c = { .prog = "amie join", .timeout_ms = 30000 };
	struct cmd_fed_args a;
	struct invitecode ic;
	struct errbuf eb;
	struct cli_reply r;
	struct mpw req;
	char fed[256], who[NODEID_LEN + 1], safety[8];
	int rc;

	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_JOIN_USAGE,
	    allowed)) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, "amie join CODE");
	/* A mistyped code fails here, before any connection. */
	errbuf_clear(&eb);
	if (invitecode_parse(&ic, argv[a.positional], &eb) != 0)
		return cli_fail(&c, &eb);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 2);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "join");
	mpw_cstr(&req, "code");
	mpw_cstr(&req, argv[a.positional]);
	if ((rc = cmd_fed_call(&c, &req, &r)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&r);
		cli_reply_release(&r);
		return rc;
	}
	cli_reply_str(&r, "federation", fed, sizeof(fed));
	cli_reply_str(&r, "inviter", who, sizeof(who));
	cli_reply_str(&r, "safety_code", safety, sizeof(safety));
	printf("%s\n", fed);
	fprintf(stderr, "amie: joined the federation %s through %.7s\n"
	    "amie: safety code %s: check by phone that the inviter sees the "
	    "same (amie members)\n", fed, who, safety);
	cli_reply_release(&r);
	return 0;
}

#define CMD_FED_MEMBERS_USAGE \
	"usage: amie members [--json] [--dir DIR]\n" \
	"The federation's members, their state and safety codes.\n"

/* Walk the array field key of r: fn for each map in it. */
static uint32_t
cmd_fed_each(const struct cli_reply *r, const char *key,
    void (*fn)(const struct mpmap *m))
{
	struct mpr rd;
	uint32_t n, i;

	if (mpmap_reader(&r->m, key, &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, key, NULL) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		const uint8_t *start = rd.p;
		struct mpmap m;

		if (mpr_skip(&rd, MP_DEPTH_MAX, key, NULL) != 0 ||
		    mpmap_decode(&m, start, (size_t)(rd.p - start), key,
		    NULL) != 0)
			break;
		fn(&m);
	}
	return i;
}

static void
cmd_fed_str(const struct mpmap *m, const char *key, char *out, size_t cap)
{
	if (mpmap_cstr(m, key, out, cap, NULL) != 0)
		out[0] = '\0';
}

static void
cmd_fed_member_row(const struct mpmap *m)
{
	static int header;
	char id[NODEID_LEN + 1], name[160], region[160], state[16], safety[8];
	int self = 0, founder = 0;

	cmd_fed_str(m, "id", id, sizeof(id));
	cmd_fed_str(m, "name", name, sizeof(name));
	cmd_fed_str(m, "region", region, sizeof(region));
	cmd_fed_str(m, "state", state, sizeof(state));
	cmd_fed_str(m, "safety_code", safety, sizeof(safety));
	mpmap_bool(m, "self", &self, NULL);
	mpmap_bool(m, "founder", &founder, NULL);
	if (!header++)
		printf("%-7s  %-8s %-6s  %s\n", "ID", "STATE", "SAFETY",
		    "NAME");
	printf("%.7s  %-8s %-6s  %s%s%s%s%s\n", id, state,
	    self ? "(this)" : safety, name[0] ? name : "?",
	    region[0] ? ", " : "", region, founder ? "  [founder]" : "", "");
}

int
cmd_fed_members_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_JSON, 0 };
	struct cli c = { .prog = "amie members" };
	struct cmd_fed_args a;
	struct cli_reply r;
	struct mpw req;
	int rc;

	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_MEMBERS_USAGE,
	    allowed)) >= 0)
		return rc;
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "members");
	if ((rc = cmd_fed_call(&c, &req, &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else if (cmd_fed_each(&r, "members", cmd_fed_member_row) == 0) {
		fprintf(stderr, "amie: no members: this node has no "
		    "federation yet\n");
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

#define CMD_FED_MEMBER_USAGE \
	"usage: amie member remove ID --reason retired|compromised [--dir DIR]\n" \
	"Sign the removal of a member (ID: its node id or 4+ characters of it).\n"

int
cmd_fed_member_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_REASON, 0 };
	struct cli c = { .prog = "amie member remove" };
	struct cmd_fed_args a;
	struct cli_reply r;
	struct mpw req;
	char id[NODEID_LEN + 1];
	int rc;

	if (argc < 2 || strcmp(argv[1], "remove") != 0) {
		fputs(CMD_FED_MEMBER_USAGE, argc >= 2 &&
		    strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 :
		    CLI_EXIT_USAGE;
	}
	argc--;
	argv++;
	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_MEMBER_USAGE,
	    allowed)) >= 0)
		return rc;
	if (argc - a.positional != 1 || a.reason == NULL)
		return cli_error(&c, CLI_EXIT_USAGE,
		    "amie member remove ID --reason retired|compromised");
	if (strcmp(a.reason, "retired") != 0 &&
	    strcmp(a.reason, "compromised") != 0)
		return cli_error(&c, CLI_EXIT_USAGE,
		    "--reason: retired or compromised, not '%s'", a.reason);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 3);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "member.remove");
	mpw_cstr(&req, "id");
	mpw_cstr(&req, argv[a.positional]);
	mpw_cstr(&req, "reason");
	mpw_cstr(&req, a.reason);
	if ((rc = cmd_fed_call(&c, &req, &r)) != 0)
		return rc;
	cli_reply_str(&r, "id", id, sizeof(id));
	printf("%s\n", id);
	fprintf(stderr, "%s: removal of %.7s signed; connected peers get it at "
	    "once, the others at their next sync\n", c.prog, id);
	cli_reply_release(&r);
	return 0;
}

#define CMD_FED_PEERS_USAGE \
	"usage: amie peers [--json] [--dir DIR]\n" \
	"Connected peers: direction, last sync, records sent and received.\n"

static void
cmd_fed_peer_row(const struct mpmap *m)
{
	char id[NODEID_LEN + 1], name[160], dir[8], err[160], when[32];
	char state[16];
	uint64_t last = 0, sent = 0, recv = 0;

	cmd_fed_str(m, "id", id, sizeof(id));
	cmd_fed_str(m, "name", name, sizeof(name));
	cmd_fed_str(m, "direction", dir, sizeof(dir));
	cmd_fed_str(m, "last_error", err, sizeof(err));
	cmd_fed_str(m, "state", state, sizeof(state));
	mpmap_uint(m, "last_sync", &last, NULL);
	mpmap_uint(m, "sent", &sent, NULL);
	mpmap_uint(m, "received", &recv, NULL);
	if (last > 0)
		cli_time(when, last);
	else
		snprintf(when, sizeof(when), "never");
	printf("%.7s  %-3s  %-10s  %-16s  sync %s  sent %llu  received "
	    "%llu%s%s\n", id, dir, state, name[0] ? name : "?", when,
	    (unsigned long long)sent,
	    (unsigned long long)recv, err[0] ? "  last error: " : "", err);
}

int
cmd_fed_peers_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_JSON, 0 };
	struct cli c = { .prog = "amie peers" };
	struct cmd_fed_args a;
	struct cli_reply r;
	struct mpw req;
	int rc;

	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_PEERS_USAGE,
	    allowed)) >= 0)
		return rc;
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "peers");
	if ((rc = cmd_fed_call(&c, &req, &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else if (cmd_fed_each(&r, "peers", cmd_fed_peer_row) == 0) {
		fprintf(stderr, "amie: no peer connected\n");
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

#define CMD_FED_SYNC_USAGE \
	"usage: amie sync [--wait] [--timeout SEC] [--json] [--dir DIR]\n" \
	"Reconcile now with every connected peer; with --wait, return when\n" \
	"done (exit 75 if not done within SEC seconds, default 60).\n"

int
cmd_fed_sync_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_WAIT, CMD_FED_TIMEOUT,
		CMD_FED_JSON, 0 };
	struct cli c = { .prog = "amie sync" };
	struct cmd_fed_args a;
	struct cli_reply r;
	struct mpw req;
	int rc;

	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_SYNC_USAGE,
	    allowed)) >= 0)
		return rc;
	c.timeout_ms = (int)(a.timeout_s * 1000 + 5000);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 3);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "sync");
	mpw_cstr(&req, "timeout");
	mpw_uint(&req, a.timeout_s);
	mpw_cstr(&req, "wait");
	mpw_bool(&req, a.wait);
	if ((rc = cmd_fed_call(&c, &req, &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else
		fprintf(stderr, "amie: %s with %llu peer(s)\n",
		    a.wait ? "synced" : "sync started",
		    (unsigned long long)cli_reply_uint(&r, "peers"));
	cli_reply_release(&r);
	return rc;
}
