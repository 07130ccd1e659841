/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* amie swap: lending technicians between Amies, and the time bank. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/hours.h"
#include "cli/i18n.h"
#include "cli/request.h"
#include "proto/nodeid.h"
#include "proto/workbody.h"

#define CMD_SWAP_USAGE N_( \
	"usage: amie swap request --skill S... --from DATE --to DATE --hours H [--region R] [--note TEXT]\n" \
	"       amie swap offer REQUEST --tech T --hours H [--note TEXT]\n" \
	"       amie swap accept OFFER\n" \
	"       amie swap done REQUEST --hours H\n" \
	"       amie swap list [--open] [--json]\n" \
	"       amie swap ledger [--json | --csv]\n" \
	"Dates are YYYY-MM-DD.  Options common to all: --dir DIR, --help.\n")

enum {
	OPT_DIR = 256, OPT_JSON, OPT_CSV, OPT_SKILL, OPT_FROM, OPT_TO,
	OPT_HOURS, OPT_REGION, OPT_NOTE, OPT_TECH, OPT_OPEN,
};

static const struct option cmd_swap_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "skill", required_argument, NULL, OPT_SKILL },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "hours", required_argument, NULL, OPT_HOURS },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "tech", required_argument, NULL, OPT_TECH },
	{ "open", no_argument, NULL, OPT_OPEN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmd_swap_args {
	const char *skills[WORKBODY_WORDS_MAX];
	uint32_t skills_count;
	const char *from, *to, *hours, *region, *note, *tech;
	int open, csv, positional;
};

static int
cmd_swap_parse(struct cli *c, struct cmd_swap_args *a, int argc, char **argv,
    const char *allowed)
{
	struct errbuf eb;
	int ch, li;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "h", cmd_swap_opts, &li)) != -1) {
		if (ch != 'h' && ch != '?' && ch != OPT_DIR &&
		    !cli_option_allowed(cmd_swap_opts[li].name, allowed))
			return cli_error(c, CLI_EXIT_USAGE,
			    _("--%s does not apply here"),
			    cmd_swap_opts[li].name);
		switch (ch) {
		case OPT_DIR: c->dir_opt = optarg; break;
		case OPT_JSON: c->json = 1; break;
		case OPT_CSV: a->csv = 1; break;
		case OPT_FROM: a->from = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_HOURS: a->hours = optarg; break;
		case OPT_REGION: a->region = optarg; break;
		case OPT_NOTE: a->note = optarg; break;
		case OPT_TECH: a->tech = optarg; break;
		case OPT_OPEN: a->open = 1; break;
		case OPT_SKILL:
			if (a->skills_count == WORKBODY_WORDS_MAX)
				return cli_error(c, CLI_EXIT_DATAERR,
				    _("--skill: at most %d"),
				    WORKBODY_WORDS_MAX);
			if (workbody_word_check(optarg, strlen(optarg),
			    "skill", &eb) != 0)
				return cli_error(c, CLI_EXIT_DATAERR, "--%s",
				    eb.msg);
			a->skills[a->skills_count++] = optarg;
			break;
		case 'h':
			fputs(_(CMD_SWAP_USAGE), stdout);
			return 0;
		default:
			fputs(_(CMD_SWAP_USAGE), stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (c->json && a->csv)
		return cli_error(c, CLI_EXIT_USAGE, _("--json or --csv, not "
		    "both"));
	a->positional = optind;
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

/* --hours into r as minutes (min 0 or 1); -1 or an exit code. */
static int
cmd_swap_hours(const struct cli *c, const struct cmd_swap_args *a,
    uint64_t min, struct request *r)
{
	uint64_t m;

	if (a->hours == NULL)
		return cli_error(c, CLI_EXIT_USAGE, _("--hours is required"));
	if (hours_parse(a->hours, WORKBODY_SWAP_MINUTES_MAX, &m) != 0 ||
	    m < min)
		return cli_error(c, CLI_EXIT_DATAERR, _("--hours: '%s', "
		    "expected hours from %s to %d (decimals: 1.5)"), a->hours,
		    min ? "0.01" : "0", WORKBODY_SWAP_MINUTES_MAX / 60);
	request_uint(r, "minutes", m);
	return -1;
}

static int
cmd_swap_written(const struct cli *c, struct request *r)
{
	struct cli_reply reply;
	char id[RECORD_KEY_MAX + 1];
	int rc;

	if ((rc = request_send(c, r, &reply, 1)) != 0)
		return rc;
	cli_reply_str(&reply, "id", id, sizeof(id));
	printf("%s\n", id);
	cli_reply_release(&reply);
	return 0;
}

static int
cmd_swap_request(int argc, char **argv)
{
	struct cli c = { .prog = "amie swap request" };
	struct cmd_swap_args a;
	struct request r;
	int rc;

	if ((rc = cmd_swap_parse(&c, &a, argc, argv, "skill from to hours "
	    "region note")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("no operand expected"));
	if (a.skills_count == 0 || a.from == NULL || a.to == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("--skill, --from, --to "
		    "and --hours are required"));
	request_init(&r, "swap.request");
	if ((rc = cmd_swap_hours(&c, &a, 1, &r)) >= 0)
		return rc;
	request_strs(&r, "skills", a.skills, a.skills_count);
	request_str(&r, "from", a.from);
	request_str(&r, "to", a.to);
	if (a.region != NULL)
		request_str(&r, "region", a.region);
	if (a.note != NULL)
		request_str(&r, "note", a.note);
	return cmd_swap_written(&c, &r);
}

static int
cmd_swap_offer(int argc, char **argv)
{
	struct cli c = { .prog = "amie swap offer" };
	struct cmd_swap_args a;
	struct request r;
	int rc;

	if ((rc = cmd_swap_parse(&c, &a, argc, argv, "tech hours note")) >= 0)
		return rc;
	if (argc - a.positional != 1 || a.tech == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("amie swap offer "
		    "REQUEST --tech T --hours H"));
	request_init(&r, "swap.offer");
	if ((rc = cmd_swap_hours(&c, &a, 1, &r)) >= 0)
		return rc;
	request_str(&r, "request", argv[a.positional]);
	request_str(&r, "tech", a.tech);
	if (a.note != NULL)
		request_str(&r, "note", a.note);
	return cmd_swap_written(&c, &r);
}

static int
cmd_swap_accept(int argc, char **argv)
{
	struct cli c = { .prog = "amie swap accept" };
	struct cmd_swap_args a;
	struct request r;
	int rc;

	if ((rc = cmd_swap_parse(&c, &a, argc, argv, "")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("amie swap accept "
		    "OFFER"));
	request_init(&r, "swap.accept");
	request_str(&r, "offer", argv[a.positional]);
	return cmd_swap_written(&c, &r);
}

static int
cmd_swap_done(int argc, char **argv)
{
	struct cli c = { .prog = "amie swap done" };
	struct cmd_swap_args a;
	struct request r;
	int rc;

	if ((rc = cmd_swap_parse(&c, &a, argc, argv, "hours")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("amie swap done REQUEST "
		    "--hours H"));
	request_init(&r, "swap.done");
	if ((rc = cmd_swap_hours(&c, &a, 0, &r)) >= 0)
		return rc;
	request_str(&r, "request", argv[a.positional]);
	return cmd_swap_written(&c, &r);
}

static void
cmd_swap_print_offer(void *ctx, const struct mpmap *m)
{
	char id[2 * RECORD_ID_LEN + 1], amie[NODEID_LEN + 1];
	char tech[RECORD_KEY_MAX + 1], h[HOURS_TEXT_MAX];

	(void)ctx;
	request_cstr(m, "id", id, sizeof(id));
	request_cstr(m, "amie", amie, sizeof(amie));
	request_cstr(m, "tech", tech, sizeof(tech));
	hours_format(h, request_int(m, "minutes"));
	printf(_("    offer %.12s  by %.7s  technician %.8s  %s h\n"), id,
	    amie, tech, h);
}

static void
cmd_swap_print_request(void *ctx, const struct mpmap *m)
{
	char id[RECORD_KEY_MAX + 1], amie[NODEID_LEN + 1], from[16], to[16];
	char state[16], h[HOURS_TEXT_MAX], g[HOURS_TEXT_MAX];
	struct cli_reply sub;
	uint32_t n;

	(void)ctx;
	request_cstr(m, "id", id, sizeof(id));
	request_cstr(m, "amie", amie, sizeof(amie));
	request_cstr(m, "from", from, sizeof(from));
	request_cstr(m, "to", to, sizeof(to));
	request_cstr(m, "state", state, sizeof(state));
	hours_format(h, request_int(m, "minutes"));
	hours_format(g, request_int(m, "given_minutes"));
	printf(_("%.8s  %.7s  %s to %s  %6s h  %s"), id, amie, from, to, h,
	    state);
	if (strcmp(state, "done") == 0)
		printf(_(" (%s h given)"), g);
	printf("\n");
	sub.m = *m;
	request_each(&sub, "offers", cmd_swap_print_offer, NULL, &n);
}

static int
cmd_swap_list(int argc, char **argv)
{
	struct cli c = { .prog = "amie swap list" };
	struct cmd_swap_args a;
	struct cli_reply reply;
	struct request r;
	uint32_t n = 0;
	int rc;

	if ((rc = cmd_swap_parse(&c, &a, argc, argv, "open json")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("no operand expected"));
	request_init(&r, "swap.list");
	if (a.open)
		request_bool(&r, "open", 1);
	if ((rc = request_send_pages(&c, &r, "requests", &reply, 0)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&reply);
		request_each(&reply, "requests", NULL, NULL, &n);
	} else if (request_each(&reply, "requests", cmd_swap_print_request,
	    NULL, &n) != 0) {
		rc = cli_error(&c, CLI_EXIT_DATAERR, _("malformed reply"));
	}
	if (cli_reply_uint(&reply, "more") > 0)
		fprintf(stderr, _("%s: %llu more requests not shown: the "
		    "reply is full\n"), c.prog,
		    (unsigned long long)cli_reply_uint(&reply, "more"));
	if (rc == 0 && n == 0) {
		fprintf(stderr, _("%s: no%s swap requests\n"), c.prog,
		    a.open ? _(" open") : "");
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&reply);
	return rc;
}

static void
cmd_swap_print_pair(void *ctx, const struct mpmap *m)
{
	const struct cmd_swap_args *a = ctx;
	char amie[NODEID_LEN + 1], other[NODEID_LEN + 1];
	char lent[HOURS_TEXT_MAX], borrowed[HOURS_TEXT_MAX];
	char bal[HOURS_TEXT_MAX];

	request_cstr(m, "amie", amie, sizeof(amie));
	request_cstr(m, "other", other, sizeof(other));
	hours_format(lent, request_int(m, "lent_minutes"));
	hours_format(borrowed, request_int(m, "borrowed_minutes"));
	hours_format(bal, request_int(m, "balance_minutes"));
	if (a->csv)
		printf("%s,%s,%s,%s,%s,%lld\n", amie, other, lent, borrowed,
		    bal, (long long)request_int(m, "swaps"));
	else
		printf("%.7s  %.7s  %9s %9s %9s  %5lld\n", amie, other, lent,
		    borrowed, bal, (long long)request_int(m, "swaps"));
}

static int
cmd_swap_ledger(int argc, char **argv)
{
	struct cli c = { .prog = "amie swap ledger" };
	struct cmd_swap_args a;
	struct cli_reply reply;
	struct request r;
	uint32_t n = 0;
	int rc;

	if ((rc = cmd_swap_parse(&c, &a, argc, argv, "json csv")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("no operand expected"));
	request_init(&r, "swap.ledger");
	if ((rc = request_send_pages(&c, &r, "pairs", &reply, 0)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&reply);
		request_each(&reply, "pairs", NULL, NULL, &n);
	} else {
		if (a.csv)
			printf("amie,other,lent_hours,borrowed_hours,"
			    "balance_hours,swaps\n");
		else
			printf(_("AMIE     OTHER         LENT  BORROWED   "
			    "BALANCE  SWAPS\n"));
		if (request_each(&reply, "pairs", cmd_swap_print_pair, &a,
		    &n) != 0)
			rc = cli_error(&c, CLI_EXIT_DATAERR,
			    _("malformed reply"));
	}
	if (rc == 0 && n == 0 && !c.json && !a.csv)
		fprintf(stderr, _("%s: no hours lent or borrowed yet\n"),
		    c.prog);
	cli_reply_release(&reply);
	return rc;
}

int
cmd_swap_main(int argc, char **argv)
{
	static const struct cli_sub sub[] = {
		{ "request", cmd_swap_request },
		{ "offer", cmd_swap_offer },
		{ "accept", cmd_swap_accept },
		{ "done", cmd_swap_done },
		{ "list", cmd_swap_list },
		{ "ledger", cmd_swap_ledger },
	};

	return cli_sub_run("amie swap", sub, sizeof(sub) / sizeof(sub[0]),
	    CMD_SWAP_USAGE, argc, argv);
}
