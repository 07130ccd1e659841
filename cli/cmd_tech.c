/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* amie tech: the technicians of this Amie, seen by the whole federation. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/i18n.h"
#include "cli/request.h"
#include "proto/nodeid.h"
#include "proto/workbody.h"

#define CMD_TECH_USAGE N_( \
	"usage: amie tech add NAME --skill S... [--region R]... [--lang fr|en]... [--availability TEXT]\n" \
	"       amie tech edit ID [--name NAME] [--skill S]... [--region R]... [--lang fr|en]... [--availability TEXT]\n" \
	"       amie tech list [--skill S] [--region R] [--json]\n" \
	"       amie tech show ID [--json]\n" \
	"Options common to all: --dir DIR, --help.\n")

enum {
	OPT_DIR = 256, OPT_JSON, OPT_NAME, OPT_SKILL, OPT_REGION, OPT_LANG,
	OPT_AVAIL,
};

static const struct option cmd_tech_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "skill", required_argument, NULL, OPT_SKILL },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "availability", required_argument, NULL, OPT_AVAIL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmd_tech_words {
	const char *w[WORKBODY_WORDS_MAX];
	uint32_t count;
};

struct cmd_tech_args {
	const char *name, *availability;
	struct cmd_tech_words skills, regions, langs;
	int positional;
};

/* Add a word to l; -1 or an exit code. */
static int
cmd_tech_word(const struct cli *c, const char *opt, struct cmd_tech_words *l,
    const char *s)
{
	struct errbuf eb;

	if (l->count == WORKBODY_WORDS_MAX)
		return cli_error(c, CLI_EXIT_DATAERR, _("--%s: at most %d"),
		    opt, WORKBODY_WORDS_MAX);
	if (workbody_word_check(s, strlen(s), opt, &eb) != 0)
		return cli_error(c, CLI_EXIT_DATAERR, "--%s", eb.msg);
	if (strcmp(opt, "lang") == 0 && strcmp(s, "fr") != 0 &&
	    strcmp(s, "en") != 0)
		return cli_error(c, CLI_EXIT_DATAERR, _("--lang: fr or en, not "
		    "'%s'"), s);
	l->w[l->count++] = s;
	return -1;
}

static int
cmd_tech_parse(struct cli *c, struct cmd_tech_args *a, int argc, char **argv,
    const char *allowed)
{
	int ch, li, rc = -1;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "h", cmd_tech_opts, &li)) != -1) {
		if (ch != 'h' && ch != '?' && ch != OPT_DIR &&
		    !cli_option_allowed(cmd_tech_opts[li].name, allowed))
			return cli_error(c, CLI_EXIT_USAGE,
			    _("--%s does not apply here"),
			    cmd_tech_opts[li].name);
		switch (ch) {
		case OPT_DIR: c->dir_opt = optarg; break;
		case OPT_JSON: c->json = 1; break;
		case OPT_NAME: a->name = optarg; break;
		case OPT_AVAIL: a->availability = optarg; break;
		case OPT_SKILL:
			rc = cmd_tech_word(c, "skill", &a->skills, optarg);
			break;
		case OPT_REGION:
			rc = cmd_tech_word(c, "region", &a->regions, optarg);
			break;
		case OPT_LANG:
			rc = cmd_tech_word(c, "lang", &a->langs, optarg);
			break;
		case 'h':
			fputs(_(CMD_TECH_USAGE), stdout);
			return 0;
		default:
			fputs(_(CMD_TECH_USAGE), stderr);
			return CLI_EXIT_USAGE;
		}
		if (rc >= 0)
			return rc;
	}
	a->positional = optind;
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

static void
cmd_tech_fields(const struct cmd_tech_args *a, struct request *r)
{
	if (a->name != NULL)
		request_str(r, "name", a->name);
	if (a->availability != NULL)
		request_str(r, "availability", a->availability);
	if (a->skills.count > 0)
		request_strs(r, "skills", a->skills.w, a->skills.count);
	if (a->regions.count > 0)
		request_strs(r, "regions", a->regions.w, a->regions.count);
	if (a->langs.count > 0)
		request_strs(r, "langs", a->langs.w, a->langs.count);
}

static int
cmd_tech_written(struct cli_reply *reply)
{
	char id[RECORD_KEY_MAX + 1];

	cli_reply_str(reply, "id", id, sizeof(id));
	printf("%s\n", id);
	cli_reply_release(reply);
	return 0;
}

static int
cmd_tech_add(int argc, char **argv)
{
	struct cli c = { .prog = "amie tech add" };
	struct cmd_tech_args a;
	struct cli_reply reply;
	struct request r;
	int rc;

	if ((rc = cmd_tech_parse(&c, &a, argc, argv, "skill region lang "
	    "availability")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("amie tech add NAME "
		    "--skill S..."));
	a.name = argv[a.positional];
	if (a.name[0] == '\0' || strlen(a.name) > BODY_NAME_MAX)
		return cli_error(&c, CLI_EXIT_DATAERR, _("NAME: 1 to %d "
		    "bytes"), BODY_NAME_MAX);
	if (a.skills.count == 0)
		return cli_error(&c, CLI_EXIT_USAGE, _("--skill is required"));
	request_init(&r, "tech.add");
	cmd_tech_fields(&a, &r);
	if ((rc = request_send(&c, &r, &reply, 1)) != 0)
		return rc;
	return cmd_tech_written(&reply);
}

static int
cmd_tech_edit(int argc, char **argv)
{
	struct cli c = { .prog = "amie tech edit" };
	struct cmd_tech_args a;
	struct cli_reply reply;
	struct request r;
	int rc;

	if ((rc = cmd_tech_parse(&c, &a, argc, argv, "name skill region lang "
	    "availability")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("which technician? amie "
		    "tech edit ID [options]"));
	if (a.name == NULL && a.availability == NULL && a.skills.count == 0 &&
	    a.regions.count == 0 && a.langs.count == 0)
		return cli_error(&c, CLI_EXIT_USAGE, _("nothing to change"));
	request_init(&r, "tech.edit");
	request_str(&r, "id", argv[a.positional]);
	cmd_tech_fields(&a, &r);
	if ((rc = request_send(&c, &r, &reply, 1)) != 0)
		return rc;
	return cmd_tech_written(&reply);
}

/* Print the string array key of m joined by sep. */
static void
cmd_tech_print_words(const struct mpmap *m, const char *key)
{
	const char *s;
	uint32_t n, len;
	struct mpr rd;

	if (mpmap_reader(m, key, &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, WORKBODY_WORDS_MAX, key, NULL) != 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		if (mpr_str(&rd, &s, &len, WORKBODY_WORD_MAX, key, NULL) != 0)
			return;
		printf("%s%.*s", i > 0 ? "," : "", (int)len, s);
	}
	if (n == 0)
		printf("-");
}

static void
cmd_tech_print_item(void *ctx, const struct mpmap *m)
{
	char id[RECORD_KEY_MAX + 1], name[BODY_NAME_MAX + 1];
	char amie[NODEID_LEN + 1];

	(void)ctx;
	request_cstr(m, "id", id, sizeof(id));
	request_cstr(m, "name", name, sizeof(name));
	request_cstr(m, "amie", amie, sizeof(amie));
	printf("%.8s  %.7s  %-24s ", id, amie, name);
	cmd_tech_print_words(m, "skills");
	printf("  ");
	cmd_tech_print_words(m, "regions");
	printf("  ");
	cmd_tech_print_words(m, "langs");
	printf("\n");
}

static int
cmd_tech_list(int argc, char **argv)
{
	struct cli c = { .prog = "amie tech list" };
	struct cmd_tech_args a;
	struct cli_reply reply;
	struct request r;
	uint32_t n = 0;
	int rc;

	if ((rc = cmd_tech_parse(&c, &a, argc, argv, "skill region json")) >= 0)
		return rc;
	if (argc != a.positional || a.skills.count > 1 || a.regions.count > 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("amie tech list "
		    "[--skill S] [--region R] [--json]"));
	request_init(&r, "tech.list");
	if (a.skills.count > 0)
		request_str(&r, "skill", a.skills.w[0]);
	if (a.regions.count > 0)
		request_str(&r, "region", a.regions.w[0]);
	if ((rc = request_send_pages(&c, &r, "techs", &reply, 0)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&reply);
		request_each(&reply, "techs", NULL, NULL, &n);
	} else if (request_each(&reply, "techs", cmd_tech_print_item, NULL,
	    &n) != 0) {
		rc = cli_error(&c, CLI_EXIT_DATAERR, _("malformed reply"));
	}
	if (cli_reply_uint(&reply, "more") > 0)
		fprintf(stderr, _("%s: %llu more technicians not shown: the "
		    "reply is full\n"), c.prog,
		    (unsigned long long)cli_reply_uint(&reply, "more"));
	if (rc == 0 && n == 0) {
		fprintf(stderr, _("%s: no technicians%s\n"), c.prog,
		    a.skills.count || a.regions.count ? _(" match") :
		    _(" yet"));
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&reply);
	return rc;
}

static int
cmd_tech_show(int argc, char **argv)
{
	struct cli c = { .prog = "amie tech show" };
	struct cmd_tech_args a;
	struct cli_reply reply;
	struct request r;
	char s[WORKBODY_TEXT_MAX + 1];
	int rc;

	if ((rc = cmd_tech_parse(&c, &a, argc, argv, "json")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("which technician? amie "
		    "tech show ID"));
	request_init(&r, "tech.show");
	request_str(&r, "id", argv[a.positional]);
	if ((rc = request_send(&c, &r, &reply, 0)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&reply);
	} else {
		cli_reply_str(&reply, "id", s, sizeof(s));
		printf(_("technician    %s\n"), s);
		cli_reply_str(&reply, "name", s, sizeof(s));
		printf(_("name          %s\n"), s);
		cli_reply_str(&reply, "amie", s, sizeof(s));
		printf(_("amie          %s\n"), s);
		printf(_("skills        "));
		cmd_tech_print_words(&reply.m, "skills");
		printf(_("\nregions       "));
		cmd_tech_print_words(&reply.m, "regions");
		printf(_("\nlanguages     "));
		cmd_tech_print_words(&reply.m, "langs");
		cli_reply_str(&reply, "availability", s, sizeof(s));
		printf(_("\navailability  %s\n"), s[0] ? s : "-");
	}
	cli_reply_release(&reply);
	return rc;
}

int
cmd_tech_main(int argc, char **argv)
{
	static const struct cli_sub sub[] = {
		{ "add", cmd_tech_add },
		{ "edit", cmd_tech_edit },
		{ "list", cmd_tech_list },
		{ "show", cmd_tech_show },
	};

	return cli_sub_run("amie tech", sub, sizeof(sub) / sizeof(sub[0]),
	    CMD_TECH_USAGE, argc, argv);
}
