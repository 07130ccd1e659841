/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The federation commands: invite, join, members, member remove, peers,
 * sync.  Each sends one control request to amied.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qrencode.h>

#include "cli/cli.h"
#include "cli/color.h"
#include "cli/i18n.h"
#include "cli/progress.h"
#include "cli/request.h"
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
	CMD_FED_QR,
};

static const struct option cmd_fed_opts[] = {
	{ "dir", required_argument, NULL, CMD_FED_DIR },
	{ "json", no_argument, NULL, CMD_FED_JSON },
	{ "expires", required_argument, NULL, CMD_FED_EXPIRES },
	{ "uses", required_argument, NULL, CMD_FED_USES },
	{ "reason", required_argument, NULL, CMD_FED_REASON },
	{ "wait", no_argument, NULL, CMD_FED_WAIT },
	{ "timeout", required_argument, NULL, CMD_FED_TIMEOUT },
	{ "qr", no_argument, NULL, CMD_FED_QR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmd_fed_args {
	const char *expires, *reason;
	unsigned long uses, timeout_s;
	int wait, qr, timeout_set;
	int positional;
};

/* Parse options; -1 to go on, or an exit code.  allowed lists the
 * option codes this command takes; usage is untranslated (N_). */
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
			fputs(_(usage), stderr);
			return CLI_EXIT_USAGE;
		}
		switch (ch) {
		case CMD_FED_DIR: c->dir_opt = optarg; break;
		case CMD_FED_JSON: c->json = 1; break;
		case CMD_FED_EXPIRES: a->expires = optarg; break;
		case CMD_FED_REASON: a->reason = optarg; break;
		case CMD_FED_WAIT: a->wait = 1; break;
		case CMD_FED_QR: a->qr = 1; break;
		case CMD_FED_USES:
		case CMD_FED_TIMEOUT: {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v == 0 ||
			    v > 86400)
				return cli_error(c, CLI_EXIT_USAGE,
				    _("%s: a positive number, not '%s'"),
				    ch == CMD_FED_USES ? "--uses" : "--timeout",
				    optarg);
			if (ch == CMD_FED_USES)
				a->uses = v;
			else {
				a->timeout_s = v;
				a->timeout_set = 1;
			}
			break;
		}
		case 'h':
			fputs(_(usage), stdout);
			return 0;
		}
	}
	/* --timeout bounds a wait: alone it would do nothing. */
	if (a->timeout_set && !a->wait)
		return cli_error(c, CLI_EXIT_USAGE,
		    _("--timeout goes with --wait"));
	a->positional = optind;
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

/* Send the finished request and report a failure; 0 with r filled, or
 * an exit code.  With pages, the reply's list of that name comes in pages
 * and r holds them all (cli_call_pages()). */
static int
cmd_fed_call_pages(const struct cli *c, struct mpw *req, const char *pages,
    struct cli_reply *r)
{
	struct errbuf eb;
	int rc;

	errbuf_clear(&eb);
	if ((rc = mpw_finish(req, "request", &eb)) == 0)
		rc = pages != NULL ? cli_call_pages(c, req, pages, r, &eb) :
		    cli_call(c, req, r, &eb);
	mpw_release(req);
	if (rc != 0)
		return cli_fail(c, &eb);
	return 0;
}

static int
cmd_fed_call(const struct cli *c, struct mpw *req, struct cli_reply *r)
{
	return cmd_fed_call_pages(c, req, NULL, r);
}

#define CMD_FED_INVITE_USAGE N_( \
	"usage: amie invite [--expires 48h] [--uses N] [--qr] [--dir DIR]\n" \
	"Print a one-time invite code for a new Amie; give it to them by a\n" \
	"channel you trust, then compare the safety code by phone.  With\n" \
	"--qr, also draw it as a QR code on stderr.\n")

#define CMD_FED_QR_MARGIN 2	/* modules of quiet zone around a QR code */

/*
 * Draw text as a QR code on f with UTF-8 half blocks, two rows of modules
 * per line, in a quiet zone of CMD_FED_QR_MARGIN modules.  Light modules
 * are the blocks, as qrencode -t UTF8 draws them, for a dark terminal.
 * Returns 0, or -1 if libqrencode cannot encode it.
 */

static int
cmd_fed_qr(FILE *f, const char *text)
{
	static const char *const half[4] = { "\u2588", "\u2580", "\u2584",
		" " };
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int w, m = CMD_FED_QR_MARGIN;

	if (q == NULL)
		return -1;
	w = q->width;
	for (int y = -m; y < w + m; y += 2) {
		for (int x = -m; x < w + m; x++) {
			/* Are the modules at (x, y) and (x, y + 1)
			 * dark?  Outside the code: light. */
			int top = 0, bot = 0;

			if (x >= 0 && x < w && y >= 0 && y < w)
				top = q->data[y * w + x] & 1;
			if (x >= 0 && x < w && y + 1 >= 0 && y + 1 < w)
				bot = q->data[(y + 1) * w + x] & 1;
			fputs(half[top * 2 + bot], f);
		}
		fputc('\n', f);
	}
	QRcode_free(q);
	return 0;
}

int
cmd_fed_invite_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_EXPIRES, CMD_FED_USES,
		CMD_FED_QR, 0 };
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
		return cli_error(&c, CLI_EXIT_USAGE, _("unexpected '%s'"),
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
	/* The code alone on stdout, for scripts; the QR for people. */
	printf("%s\n", code);
	fflush(stdout);
	if (a.qr && cmd_fed_qr(stderr, code) != 0)
		fputs(_("amie: the code does not fit in a QR code\n"), stderr);
	fprintf(stderr, _("amie: valid until %s for %llu use(s). The new Amie "
	    "runs: amie join CODE\n"), when,
	    (unsigned long long)cli_reply_uint(&r, "uses"));
	cli_reply_release(&r);
	return 0;
}

/* Put the record count of c's node, from its status, in *records, and
 * the records its syncs still fetch in *pending (unless NULL).  Returns
 * 0, or an AMIE_E* code with both untouched. */
static int
cmd_fed_records(const struct cli *c, uint64_t *records,
    uint64_t *pending)
{
	struct cli s = *c;
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	int rc;

	s.timeout_ms = 2000;
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "status");
	errbuf_clear(&eb);
	rc = cli_call(&s, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return rc;
	*records = cli_reply_uint(&r, "records");
	if (pending != NULL)
		*pending = cli_reply_uint(&r, "sync_pending");
	cli_reply_release(&r);
	return 0;
}

#define CMD_FED_POLL_MS 500	/* how often a sync's progress asks status */

/* A sync being waited for, and its progress on a terminal. */
struct cmd_fed_watch {
	const struct cli *c;
	struct progress p;
	uint64_t polled_ms;
};

static void
cmd_fed_watch_tick(void *ctx)
{
	struct cmd_fed_watch *w = ctx;
	struct timespec ts;
	uint64_t now, records = w->p.done, pending = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (now - w->polled_ms >= CMD_FED_POLL_MS) {
		w->polled_ms = now;
		if (cmd_fed_records(w->c, &records, &pending) == 0)
			/* What remains is known once a reconciliation found
			 * what this node lacks. */
			progress_total(&w->p, pending > 0 ? records + pending :
			    0);
	}
	progress_update(&w->p, records);
}

/*
 * Ask the node of c to sync with its peers (wait: and answer when done,
 * within timeout_s) and put the reply in r.  While waiting on a
 * terminal, the record count grows on stderr.  0 or an exit code.
 */
static int
cmd_fed_sync(const struct cli *c, unsigned long timeout_s, int wait,
    struct cli_reply *r)
{
	struct cli s = *c;
	struct cmd_fed_watch w;
	struct errbuf eb;
	struct mpw req;
	uint64_t records = 0;
	int rc;

	s.timeout_ms = (int)(timeout_s * 1000 + 5000);
	memset(&w, 0, sizeof(w));
	w.c = c;
	if (wait) {
		/* The count to start from, for a terminal only. */
		if (isatty(STDERR_FILENO))
			cmd_fed_records(c, &records, NULL);
		progress_start(&w.p, _("syncing"), _("records"), 0, records);
	}
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 3);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "sync");
	mpw_cstr(&req, "timeout");
	mpw_uint(&req, timeout_s);
	mpw_cstr(&req, "wait");
	mpw_bool(&req, wait);
	errbuf_clear(&eb);
	if ((rc = mpw_finish(&req, "request", &eb)) == 0)
		rc = cli_call_ticking(&s, &req, r, wait &&
		    progress_is_on(&w.p) ? cmd_fed_watch_tick : NULL, &w,
		    PROGRESS_REDRAW_MS, &eb);
	mpw_release(&req);
	progress_end(&w.p);
	if (rc != 0)
		return cli_fail(c, &eb);
	return 0;
}

#define CMD_FED_JOIN_USAGE N_( \
	"usage: amie join CODE [--wait] [--timeout SEC] [--json] [--dir DIR]\n" \
	"Join the federation of the node that printed CODE (amie invite).\n" \
	"With --wait, then wait for the first sync (exit 75 if not done\n" \
	"within SEC seconds, default 60).\n")

int
cmd_fed_join_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_JSON, CMD_FED_WAIT,
		CMD_FED_TIMEOUT, 0 };
	/* The daemon's join (NET_JOIN_TIMEOUT_MS, 20 s), then the HELLO on
	 * the link (NET_HANDSHAKE_MS, 15 s), and a margin. */
	struct cli c = { .prog = "amie join", .timeout_ms = 45000 };
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
		return cli_error(&c, CLI_EXIT_USAGE, _("which code? amie join "
		    "CODE"));
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
	} else {
		cli_reply_str(&r, "federation", fed, sizeof(fed));
		cli_reply_str(&r, "inviter", who, sizeof(who));
		cli_reply_str(&r, "safety_code", safety, sizeof(safety));
		printf("%s\n", fed);
		fprintf(stderr, _("amie: joined the federation %s through "
		    "%.7s\namie: safety code %s: check by phone that the "
		    "inviter sees the same (amie members)\n"), fed, who,
		    safety);
	}
	cli_reply_release(&r);
	if (rc == 0 && a.wait) {
		uint64_t records = 0;

		if ((rc = cmd_fed_sync(&c, a.timeout_s, 1, &r)) != 0)
			return rc;
		cli_reply_release(&r);
		cmd_fed_records(&c, &records, NULL);
		fprintf(stderr, _("amie: first sync done: %llu records\n"),
		    (unsigned long long)records);
	}
	return rc;
}

#define CMD_FED_MEMBERS_USAGE N_( \
	"usage: amie members [--json] [--dir DIR]\n" \
	"The federation's members, their state and safety codes.\n")

/* A state word of the daemon, translated for people. */
static const char *
cmd_fed_state(const char *state)
{
	static const char *const names[][2] = {
		{ "current", N_("current") },
		{ "pending", N_("pending") },
		{ "removed", N_("removed") },
		{ "connected", N_("connected") },
		{ "connecting", N_("connecting") },
		{ "backoff", N_("backoff") },
		{ "disconnected", N_("disconnected") },
		{ "in", N_("in") },
		{ "out", N_("out") },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(state, names[i][0]) == 0)
			return _(names[i][1]);
	return state;
}

/* Print the state word in its colour, padded to width columns. */
static void
cmd_fed_print_state(const char *state, size_t width)
{
	fputs(color_start(stdout, color_of_state(state)), stdout);
	cli_pad(stdout, cmd_fed_state(state), width);
	fputs(color_end(stdout), stdout);
}

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
	if (!header++) {
		fputs(color_start(stdout, COLOR_BOLD), stdout);
		cli_pad(stdout, _("ID"), 9);
		cli_pad(stdout, _("STATE"), 12);
		cli_pad(stdout, _("SAFETY"), 10);
		fputs(_("NAME"), stdout);
		fprintf(stdout, "%s\n", color_end(stdout));
	}
	printf("%.7s  ", id);
	cmd_fed_print_state(state, 12);
	cli_pad(stdout, self ? _("(this)") : safety, 10);
	printf("%s%s%s%s\n", name[0] ? name : "?", region[0] ? ", " : "",
	    region, founder ? _("  [founder]") : "");
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
	if (a.positional != argc)
		return cli_error(&c, CLI_EXIT_USAGE, _("unexpected '%s'"),
		    argv[a.positional]);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "members");
	if ((rc = cmd_fed_call_pages(&c, &req, "members", &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else if (cmd_fed_each(&r, "members", cmd_fed_member_row) == 0) {
		fputs(_("amie: no members: this node has no federation yet\n"),
		    stderr);
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

#define CMD_FED_MEMBER_USAGE N_( \
	"usage: amie member remove ID --reason retired|compromised [--dir DIR]\n" \
	"Sign the removal of a member (ID: its node id or 4+ characters of it).\n")

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
		int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0);

		fputs(_(CMD_FED_MEMBER_USAGE), help ? stdout : stderr);
		return help ? 0 : CLI_EXIT_USAGE;
	}
	argc--;
	argv++;
	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_MEMBER_USAGE,
	    allowed)) >= 0)
		return rc;
	if (argc - a.positional != 1 || a.reason == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("which member, and why? amie member remove ID --reason "
		    "retired|compromised"));
	if (strcmp(a.reason, "retired") != 0 &&
	    strcmp(a.reason, "compromised") != 0)
		return cli_error(&c, CLI_EXIT_USAGE,
		    _("--reason: retired or compromised, not '%s'"), a.reason);
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
	fprintf(stderr, _("%s: removal of %.7s signed; connected peers get it "
	    "at once, the others at their next sync\n"), c.prog, id);
	cli_reply_release(&r);
	return 0;
}

#define CMD_FED_PEERS_USAGE N_( \
	"usage: amie peers [--json] [--dir DIR]\n" \
	"Connected peers: direction, last sync, records sent and received.\n")

static void
cmd_fed_peer_row(const struct mpmap *m)
{
	char id[NODEID_LEN + 1], name[160], dir[8], err[160], when[32];
	char state[16];
	uint64_t last = 0, sent = 0, recv = 0, refused = 0, penalties = 0;
	uint64_t limited = 0;

	cmd_fed_str(m, "id", id, sizeof(id));
	cmd_fed_str(m, "name", name, sizeof(name));
	cmd_fed_str(m, "direction", dir, sizeof(dir));
	cmd_fed_str(m, "last_error", err, sizeof(err));
	cmd_fed_str(m, "state", state, sizeof(state));
	mpmap_uint(m, "last_sync", &last, NULL);
	mpmap_uint(m, "sent", &sent, NULL);
	mpmap_uint(m, "received", &recv, NULL);
	mpmap_uint(m, "refused", &refused, NULL);
	mpmap_uint(m, "penalties", &penalties, NULL);
	mpmap_uint(m, "rate_limited", &limited, NULL);
	if (last > 0)
		cli_time(when, last);
	else
		snprintf(when, sizeof(when), "%s", _("never"));
	printf("%.7s  ", id);
	cli_pad(stdout, cmd_fed_state(dir), 9);
	cmd_fed_print_state(state, 12);
	cli_pad(stdout, name[0] ? name : "?", 16);
	printf(_("  sync %s  sent %llu  received %llu"), when,
	    (unsigned long long)sent, (unsigned long long)recv);
	/* The peer's clock against ours, known on the links it opened. */
	if (mpmap_get(m, "clock_skew_ms") != NULL)
		printf(_("  clock %+lld s"),
		    (long long)(request_int(m, "clock_skew_ms") / 1000));
	/* Misbehaviour only when there was some (amie(1) lists them). */
	if (refused + penalties + limited > 0)
		printf(_("  refused %llu  penalties %llu  rate-limited %llu"),
		    (unsigned long long)refused,
		    (unsigned long long)penalties,
		    (unsigned long long)limited);
	if (err[0] != '\0')
		printf(_("  last error: %s%s%s"), color_start(stdout, COLOR_BAD),
		    err, color_end(stdout));
	printf("\n");
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
	if (a.positional != argc)
		return cli_error(&c, CLI_EXIT_USAGE, _("unexpected '%s'"),
		    argv[a.positional]);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "peers");
	if ((rc = cmd_fed_call(&c, &req, &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else if (cmd_fed_each(&r, "peers", cmd_fed_peer_row) == 0) {
		fputs(_("amie: no peer connected\n"), stderr);
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

#define CMD_FED_SYNC_USAGE N_( \
	"usage: amie sync [--wait] [--timeout SEC] [--json] [--dir DIR]\n" \
	"Reconcile now with every connected peer; with --wait, return when\n" \
	"done (exit 75 if not done within SEC seconds, default 60).\n")

int
cmd_fed_sync_main(int argc, char **argv)
{
	static const int allowed[] = { CMD_FED_WAIT, CMD_FED_TIMEOUT,
		CMD_FED_JSON, 0 };
	struct cli c = { .prog = "amie sync" };
	struct cmd_fed_args a;
	struct cli_reply r;
	int rc;

	if ((rc = cmd_fed_parse(&c, &a, argc, argv, CMD_FED_SYNC_USAGE,
	    allowed)) >= 0)
		return rc;
	if (a.positional != argc)
		return cli_error(&c, CLI_EXIT_USAGE, _("unexpected '%s'"),
		    argv[a.positional]);
	if ((rc = cmd_fed_sync(&c, a.timeout_s, a.wait, &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else
		fprintf(stderr, a.wait ? _("amie: synced with %llu peer(s)\n") :
		    _("amie: sync started with %llu peer(s)\n"),
		    (unsigned long long)cli_reply_uint(&r, "peers"));
	cli_reply_release(&r);
	return rc;
}
