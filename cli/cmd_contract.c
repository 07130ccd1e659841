/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amie contract: contracts with member structures, time logged against
 * them, and the monthly usage.  Hours and euros are typed as decimals
 * and sent as minutes and cents (cli/hours.h).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/hours.h"
#include "cli/i18n.h"
#include "cli/request.h"
#include "proto/workbody.h"

#define CMD_CONTRACT_USAGE N_( \
	"usage: amie contract add --member NAME --hours-per-month H --start DATE\n" \
	"           [--end DATE | --months N] [--renewal tacit|express|none]\n" \
	"           [--notice-months N] [--fee-per-month EUR] [--contact TEXT]\n" \
	"       amie contract list [--active] [--expiring 30d] [--json]\n" \
	"       amie contract show ID [--json]\n" \
	"       amie contract edit ID [--member NAME] [--hours-per-month H] [--start DATE] [options of add]\n" \
	"       amie contract end ID [--date DATE]\n" \
	"       amie contract log ID --minutes N [--date DATE] [--tech T] [--kb ARTICLE]... --summary TEXT\n" \
	"       amie contract usage [ID] [--month YYYY-MM] [--json | --csv]\n" \
	"Dates are YYYY-MM-DD.  Options common to all: --dir DIR, --help.\n")

#define CMD_CONTRACT_KB_MAX WORKBODY_KB_MAX

enum {
	OPT_DIR = 256, OPT_JSON, OPT_CSV, OPT_MEMBER, OPT_HOURS, OPT_START,
	OPT_END, OPT_MONTHS, OPT_RENEWAL, OPT_NOTICE, OPT_FEE, OPT_CONTACT,
	OPT_ACTIVE, OPT_EXPIRING, OPT_DATE, OPT_MINUTES, OPT_TECH, OPT_KB,
	OPT_SUMMARY, OPT_MONTH,
};

static const struct option cmd_contract_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "member", required_argument, NULL, OPT_MEMBER },
	{ "hours-per-month", required_argument, NULL, OPT_HOURS },
	{ "start", required_argument, NULL, OPT_START },
	{ "end", required_argument, NULL, OPT_END },
	{ "months", required_argument, NULL, OPT_MONTHS },
	{ "renewal", required_argument, NULL, OPT_RENEWAL },
	{ "notice-months", required_argument, NULL, OPT_NOTICE },
	{ "fee-per-month", required_argument, NULL, OPT_FEE },
	{ "contact", required_argument, NULL, OPT_CONTACT },
	{ "active", no_argument, NULL, OPT_ACTIVE },
	{ "expiring", required_argument, NULL, OPT_EXPIRING },
	{ "date", required_argument, NULL, OPT_DATE },
	{ "minutes", required_argument, NULL, OPT_MINUTES },
	{ "tech", required_argument, NULL, OPT_TECH },
	{ "kb", required_argument, NULL, OPT_KB },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "month", required_argument, NULL, OPT_MONTH },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmd_contract_args {
	const char *member, *hours, *start, *end, *months, *renewal, *notice;
	const char *fee, *contact, *expiring, *date, *minutes, *tech;
	const char *summary, *month;
	const char *kb[CMD_CONTRACT_KB_MAX];
	uint32_t kb_count;
	int active, csv;
	int positional;
};

/* Parse the options; -1 to go on, or an exit code. */
static int
cmd_contract_parse(struct cli *c, struct cmd_contract_args *a, int argc,
    char **argv, const char *allowed)
{
	int ch, li;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "h", cmd_contract_opts,
	    &li)) != -1) {
		if (ch != 'h' && ch != '?' && ch != OPT_DIR &&
		    !cli_option_allowed(cmd_contract_opts[li].name, allowed))
			return cli_error(c, CLI_EXIT_USAGE,
			    _("--%s does not apply here"),
			    cmd_contract_opts[li].name);
		switch (ch) {
		case OPT_DIR: c->dir_opt = optarg; break;
		case OPT_JSON: c->json = 1; break;
		case OPT_CSV: a->csv = 1; break;
		case OPT_MEMBER: a->member = optarg; break;
		case OPT_HOURS: a->hours = optarg; break;
		case OPT_START: a->start = optarg; break;
		case OPT_END: a->end = optarg; break;
		case OPT_MONTHS: a->months = optarg; break;
		case OPT_RENEWAL: a->renewal = optarg; break;
		case OPT_NOTICE: a->notice = optarg; break;
		case OPT_FEE: a->fee = optarg; break;
		case OPT_CONTACT: a->contact = optarg; break;
		case OPT_ACTIVE: a->active = 1; break;
		case OPT_EXPIRING: a->expiring = optarg; break;
		case OPT_DATE: a->date = optarg; break;
		case OPT_MINUTES: a->minutes = optarg; break;
		case OPT_TECH: a->tech = optarg; break;
		case OPT_SUMMARY: a->summary = optarg; break;
		case OPT_MONTH: a->month = optarg; break;
		case OPT_KB:
			if (a->kb_count == CMD_CONTRACT_KB_MAX)
				return cli_error(c, CLI_EXIT_DATAERR,
				    _("--kb: at most %d articles"),
				    CMD_CONTRACT_KB_MAX);
			a->kb[a->kb_count++] = optarg;
			break;
		case 'h':
			fputs(_(CMD_CONTRACT_USAGE), stdout);
			return 0;
		default:
			fputs(_(CMD_CONTRACT_USAGE), stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (c->json && a->csv)
		return cli_error(c, CLI_EXIT_USAGE, _("--json or --csv, not "
		    "both"));
	a->positional = optind;
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

/* A whole number within [min, max] into *v; -1 or an exit code. */
static int
cmd_contract_number(const struct cli *c, const char *opt, const char *s,
    uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long n;

	if (s[0] < '0' || s[0] > '9')
		goto bad;
	n = strtoull(s, &end, 10);
	if (*end != '\0' || n < min || n > max)
		goto bad;
	*v = n;
	return -1;
bad:
	return cli_error(c, CLI_EXIT_DATAERR, _("%s: '%s', expected a whole "
	    "number from %llu to %llu"), opt, s, (unsigned long long)min,
	    (unsigned long long)max);
}

/* The fields of add and edit into r; -1 or an exit code. */
static int
cmd_contract_fields(const struct cli *c, const struct cmd_contract_args *a,
    struct request *r)
{
	uint64_t v;
	int rc;

	if (a->member != NULL)
		request_str(r, "member", a->member);
	if (a->contact != NULL)
		request_str(r, "contact", a->contact);
	if (a->start != NULL)
		request_str(r, "start", a->start);
	if (a->end != NULL)
		request_str(r, "end", a->end);
	if (a->renewal != NULL)
		request_str(r, "renewal", a->renewal);
	if (a->hours != NULL) {
		if (hours_parse(a->hours, WORKBODY_MONTH_MINUTES_MAX,
		    &v) != 0 || v == 0)
			return cli_error(c, CLI_EXIT_DATAERR,
			    _("--hours-per-month: '%s', expected hours "
			    "above 0 and at most %d (decimals: 1.5)"),
			    a->hours, WORKBODY_MONTH_MINUTES_MAX / 60);
		request_uint(r, "minutes_per_month", v);
	}
	if (a->months != NULL) {
		if ((rc = cmd_contract_number(c, "--months", a->months, 1,
		    1200, &v)) >= 0)
			return rc;
		request_uint(r, "months", v);
	}
	if (a->notice != NULL) {
		if ((rc = cmd_contract_number(c, "--notice-months", a->notice,
		    0, WORKBODY_NOTICE_MAX, &v)) >= 0)
			return rc;
		request_uint(r, "notice_months", v);
	}
	if (a->fee != NULL) {
		if (hours_parse_cents(a->fee, WORKBODY_FEE_MAX, &v) != 0)
			return cli_error(c, CLI_EXIT_DATAERR,
			    _("--fee-per-month: '%s', expected euros such as "
			    "120 or 99.50"), a->fee);
		request_uint(r, "fee_cents_per_month", v);
	}
	return -1;
}

/* Print the id of what a command wrote. */
static int
cmd_contract_written(struct cli_reply *reply, const char *field)
{
	char id[RECORD_KEY_MAX + 1];

	cli_reply_str(reply, field, id, sizeof(id));
	printf("%s\n", id);
	cli_reply_release(reply);
	return 0;
}

static int
cmd_contract_add(int argc, char **argv)
{
	struct cli c = { .prog = "amie contract add" };
	struct cmd_contract_args a;
	struct cli_reply reply;
	struct request r;
	int rc;

	if ((rc = cmd_contract_parse(&c, &a, argc, argv, "member "
	    "hours-per-month start end months renewal notice-months "
	    "fee-per-month contact")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("no operand expected"));
	if (a.member == NULL || a.hours == NULL || a.start == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("--member, "
		    "--hours-per-month and --start are required"));
	if (a.end != NULL && a.months != NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("--end or --months, "
		    "not both"));
	request_init(&r, "contract.add");
	if ((rc = cmd_contract_fields(&c, &a, &r)) >= 0)
		return rc;
	if ((rc = request_send(&c, &r, &reply, 1)) != 0)
		return rc;
	return cmd_contract_written(&reply, "id");
}

static int
cmd_contract_edit(int argc, char **argv)
{
	struct cli c = { .prog = "amie contract edit" };
	struct cmd_contract_args a;
	struct cli_reply reply;
	struct request r;
	int rc;

	if ((rc = cmd_contract_parse(&c, &a, argc, argv, "member "
	    "hours-per-month start end months renewal notice-months "
	    "fee-per-month contact")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("which contract? amie "
		    "contract edit ID [options]"));
	if (a.member == NULL && a.hours == NULL && a.start == NULL &&
	    a.end == NULL && a.months == NULL && a.renewal == NULL &&
	    a.notice == NULL && a.fee == NULL && a.contact == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("nothing to change"));
	if (a.end != NULL && a.months != NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("--end or --months, "
		    "not both"));
	request_init(&r, "contract.edit");
	request_str(&r, "id", argv[a.positional]);
	if ((rc = cmd_contract_fields(&c, &a, &r)) >= 0)
		return rc;
	if ((rc = request_send(&c, &r, &reply, 1)) != 0)
		return rc;
	return cmd_contract_written(&reply, "id");
}

static int
cmd_contract_end(int argc, char **argv)
{
	struct cli c = { .prog = "amie contract end" };
	struct cmd_contract_args a;
	struct cli_reply reply;
	struct request r;
	int rc;

	if ((rc = cmd_contract_parse(&c, &a, argc, argv, "date")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("which contract? amie "
		    "contract end ID [--date DATE]"));
	request_init(&r, "contract.end");
	request_str(&r, "id", argv[a.positional]);
	if (a.date != NULL)
		request_str(&r, "date", a.date);
	if ((rc = request_send(&c, &r, &reply, 1)) != 0)
		return rc;
	return cmd_contract_written(&reply, "id");
}

static int
cmd_contract_log(int argc, char **argv)
{
	struct cli c = { .prog = "amie contract log" };
	struct cmd_contract_args a;
	struct cli_reply reply;
	struct request r;
	uint64_t minutes;
	int rc;

	if ((rc = cmd_contract_parse(&c, &a, argc, argv, "minutes date tech "
	    "kb summary")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("which contract? amie "
		    "contract log ID --minutes N --summary TEXT"));
	if (a.minutes == NULL || a.summary == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("--minutes and "
		    "--summary are required"));
	if ((rc = cmd_contract_number(&c, "--minutes", a.minutes, 1,
	    WORKBODY_DAY_MINUTES_MAX, &minutes)) >= 0)
		return rc;
	if (a.summary[0] == '\0')
		return cli_error(&c, CLI_EXIT_DATAERR, _("--summary: say what "
		    "was done"));
	request_init(&r, "contract.log");
	request_str(&r, "id", argv[a.positional]);
	request_uint(&r, "minutes", minutes);
	request_str(&r, "summary", a.summary);
	if (a.date != NULL)
		request_str(&r, "date", a.date);
	if (a.tech != NULL)
		request_str(&r, "tech", a.tech);
	if (a.kb_count > 0)
		request_strs(&r, "kb", a.kb, a.kb_count);
	if ((rc = request_send(&c, &r, &reply, 1)) != 0)
		return rc;
	return cmd_contract_written(&reply, "id");
}

static void
cmd_contract_print_item(void *ctx, const struct mpmap *m)
{
	char id[RECORD_KEY_MAX + 1], member[BODY_NAME_MAX + 1];
	char start[16], end[16], status[16], h[HOURS_TEXT_MAX];

	(void)ctx;
	request_cstr(m, "id", id, sizeof(id));
	request_cstr(m, "member", member, sizeof(member));
	request_cstr(m, "start", start, sizeof(start));
	request_cstr(m, "end", end, sizeof(end));
	request_cstr(m, "status", status, sizeof(status));
	hours_format(h, request_int(m, "minutes_per_month"));
	printf(_("%.8s  %-24s %6s h/month  %s to %-10s  %s\n"), id, member,
	    h, start, end[0] ? end : "-", status);
}

static int
cmd_contract_list(int argc, char **argv)
{
	struct cli c = { .prog = "amie contract list" };
	struct cmd_contract_args a;
	struct cli_reply reply;
	struct request r;
	uint32_t n = 0;
	uint64_t held;
	int rc;

	if ((rc = cmd_contract_parse(&c, &a, argc, argv, "active expiring "
	    "json")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("no operand expected"));
	request_init(&r, "contract.list");
	if (a.active)
		request_bool(&r, "active", 1);
	if (a.expiring != NULL) {
		char *end;
		unsigned long d = strtoul(a.expiring, &end, 10);

		if (a.expiring[0] < '0' || a.expiring[0] > '9' ||
		    (strcmp(end, "d") != 0 && *end != '\0') || d == 0 ||
		    d > 36500)
			return cli_error(&c, CLI_EXIT_DATAERR, _("--expiring: "
			    "'%s', expected days such as 30d"), a.expiring);
		request_uint(&r, "expiring_days", d);
	}
	if ((rc = request_send_pages(&c, &r, "contracts", &reply, 0)) != 0)
		return rc;
	held = cli_reply_uint(&reply, "held_encrypted");
	if (c.json) {
		rc = cli_print_json(&reply);
		request_each(&reply, "contracts", NULL, NULL, &n);
	} else if (request_each(&reply, "contracts",
	    cmd_contract_print_item, NULL, &n) != 0) {
		rc = cli_error(&c, CLI_EXIT_DATAERR, _("malformed reply"));
	}
	if (held > 0 && !c.json)
		fprintf(stderr, _("%s: %llu records of other Amies' contracts "
		    "are kept here encrypted, as their backup\n"), c.prog,
		    (unsigned long long)held);
	if (rc == 0 && n == 0) {
		fprintf(stderr, _("%s: no contracts%s\n"), c.prog,
		    a.active || a.expiring ? _(" match") : _(" yet"));
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&reply);
	return rc;
}

static void
cmd_contract_print_iv(void *ctx, const struct mpmap *m)
{
	char date[16], tech[RECORD_KEY_MAX + 1], h[HOURS_TEXT_MAX];
	char summary[WORKBODY_TEXT_MAX + 1];

	(void)ctx;
	request_cstr(m, "date", date, sizeof(date));
	request_cstr(m, "tech", tech, sizeof(tech));
	request_cstr(m, "summary", summary, sizeof(summary));
	hours_format(h, request_int(m, "minutes"));
	printf("  %s  %6s h  %-8.8s  %s\n", date, h, tech[0] ? tech : "-",
	    summary);
}

static int
cmd_contract_show(int argc, char **argv)
{
	struct cli c = { .prog = "amie contract show" };
	struct cmd_contract_args a;
	struct cli_reply reply;
	struct request r;
	char s[WORKBODY_TEXT_MAX + 1], h[HOURS_TEXT_MAX];
	uint32_t n;
	int rc;

	if ((rc = cmd_contract_parse(&c, &a, argc, argv, "json")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("which contract? amie "
		    "contract show ID"));
	request_init(&r, "contract.show");
	request_str(&r, "id", argv[a.positional]);
	if ((rc = request_send_pages(&c, &r, "interventions", &reply,
	    0)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&reply);
		cli_reply_release(&reply);
		return rc;
	}
	cli_reply_str(&reply, "id", s, sizeof(s));
	printf(_("contract  %s\n"), s);
	cli_reply_str(&reply, "member", s, sizeof(s));
	printf(_("member    %s\n"), s);
	hours_format(h, (int64_t)cli_reply_uint(&reply, "minutes_per_month"));
	printf(_("hours     %s a month\n"), h);
	cli_reply_str(&reply, "start", s, sizeof(s));
	printf(_("start     %s\n"), s);
	cli_reply_str(&reply, "end", s, sizeof(s));
	printf(_("end       %s\n"), s[0] ? s : "-");
	cli_reply_str(&reply, "renewal", s, sizeof(s));
	printf(_("renewal   %s, notice %llu months\n"), s,
	    (unsigned long long)cli_reply_uint(&reply, "notice_months"));
	printf(_("fee       %llu.%02llu EUR a month\n"),
	    (unsigned long long)cli_reply_uint(&reply, "fee_cents_per_month") /
	    100, (unsigned long long)cli_reply_uint(&reply,
	    "fee_cents_per_month") % 100);
	cli_reply_str(&reply, "contact", s, sizeof(s));
	printf(_("contact   %s\n"), s[0] ? s : "-");
	cli_reply_str(&reply, "status", s, sizeof(s));
	printf(_("status    %s\n"), s);
	printf(_("interventions:\n"));
	if (request_each(&reply, "interventions", cmd_contract_print_iv, NULL,
	    &n) != 0)
		rc = cli_error(&c, CLI_EXIT_DATAERR, _("malformed reply"));
	cli_reply_release(&reply);
	return rc;
}

struct cmd_contract_usage {
	int csv;
	const char *month;
};

static void
cmd_contract_print_usage(void *ctx, const struct mpmap *m)
{
	static const char *const fields[] = { "minutes_per_month",
	    "committed_minutes", "used_minutes", "balance_minutes",
	    "total_committed_minutes", "total_used_minutes",
	    "total_balance_minutes" };
	const struct cmd_contract_usage *u = ctx;
	char id[RECORD_KEY_MAX + 1], member[BODY_NAME_MAX + 1];
	char h[7][HOURS_TEXT_MAX];

	request_cstr(m, "id", id, sizeof(id));
	request_cstr(m, "member", member, sizeof(member));
	for (size_t i = 0; i < 7; i++)
		hours_format(h[i], request_int(m, fields[i]));
	if (u->csv) {
		printf("%s,%s,\"", u->month, id);
		for (const char *p = member; *p != '\0'; p++)
			printf(*p == '"' ? "\"\"" : "%c", *p);
		printf("\",%s,%s,%s,%s,%lld,%s,%s,%s\n", h[0], h[1], h[2],
		    h[3], (long long)request_int(m, "months"), h[4], h[5],
		    h[6]);
		return;
	}
	printf("%.8s  %-24s %8s %8s %8s   %9s %9s %9s\n", id, member, h[1],
	    h[2], h[3], h[4], h[5], h[6]);
}

static int
cmd_contract_usage(int argc, char **argv)
{
	struct cli c = { .prog = "amie contract usage" };
	struct cmd_contract_args a;
	struct cmd_contract_usage u;
	struct cli_reply reply;
	struct request r;
	char month[16];
	uint32_t n = 0;
	int rc;

	if ((rc = cmd_contract_parse(&c, &a, argc, argv, "month json "
	    "csv")) >= 0)
		return rc;
	if (argc - a.positional > 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("one contract ID at "
		    "most"));
	request_init(&r, "contract.usage");
	if (argc - a.positional == 1)
		request_str(&r, "id", argv[a.positional]);
	if (a.month != NULL)
		request_str(&r, "month", a.month);
	if ((rc = request_send_pages(&c, &r, "usage", &reply, 0)) != 0)
		return rc;
	cli_reply_str(&reply, "month", month, sizeof(month));
	u.csv = a.csv;
	u.month = month;
	if (c.json) {
		rc = cli_print_json(&reply);
		request_each(&reply, "usage", NULL, NULL, &n);
	} else {
		if (a.csv)
			printf("month,contract,member,hours_per_month,"
			    "committed_hours,used_hours,balance_hours,months,"
			    "total_committed_hours,total_used_hours,"
			    "total_balance_hours\n");
		else
			printf(_("%s       %-24s %8s %8s %8s   %9s %9s %9s\n"),
			    month, _("MEMBER"), _("HOURS"), _("USED"),
			    _("BALANCE"), _("TOTAL"), _("USED"),
			    _("BALANCE"));
		if (request_each(&reply, "usage", cmd_contract_print_usage, &u,
		    &n) != 0)
			rc = cli_error(&c, CLI_EXIT_DATAERR,
			    _("malformed reply"));
	}
	if (rc == 0 && n == 0) {
		fprintf(stderr, _("%s: no contract runs in %s\n"), c.prog,
		    month);
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&reply);
	return rc;
}

int
cmd_contract_main(int argc, char **argv)
{
	static const struct cli_sub sub[] = {
		{ "add", cmd_contract_add },
		{ "edit", cmd_contract_edit },
		{ "end", cmd_contract_end },
		{ "list", cmd_contract_list },
		{ "show", cmd_contract_show },
		{ "log", cmd_contract_log },
		{ "usage", cmd_contract_usage },
	};

	return cli_sub_run("amie contract", sub, sizeof(sub) / sizeof(sub[0]),
	    CMD_CONTRACT_USAGE, argc, argv);
}
