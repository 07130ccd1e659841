/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* amie kb: add, show and list knowledge-base articles. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "proto/body.h"
#include "proto/nodeid.h"
#include "proto/record.h"
#include "proto/xmalloc.h"

#define CMD_KB_USAGE \
	"usage: amie kb add --title T [--tag X]... [--lang fr|en] [--category C] [FILE|-]\n" \
	"       amie kb edit ID [--title T] [--tag X]... [--lang fr|en] [--category C] [FILE|-]\n" \
	"       amie kb show ID [--json]\n" \
	"       amie kb list [--tag X] [--category C] [--json]\n" \
	"Options common to all: --dir DIR, --help.\n"

enum {
	CMD_KB_OPT_DIR = 256,
	CMD_KB_OPT_JSON,
	CMD_KB_OPT_TITLE,
	CMD_KB_OPT_TAG,
	CMD_KB_OPT_LANG,
	CMD_KB_OPT_CATEGORY,
};

static const struct option cmd_kb_opts[] = {
	{ "dir", required_argument, NULL, CMD_KB_OPT_DIR },
	{ "json", no_argument, NULL, CMD_KB_OPT_JSON },
	{ "title", required_argument, NULL, CMD_KB_OPT_TITLE },
	{ "tag", required_argument, NULL, CMD_KB_OPT_TAG },
	{ "lang", required_argument, NULL, CMD_KB_OPT_LANG },
	{ "category", required_argument, NULL, CMD_KB_OPT_CATEGORY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmd_kb_args {
	const char *title, *lang, *category;
	const char *tags[RECORD_TAGS_MAX];
	uint32_t tags_count;
	int positional;			/* index of the first operand */
};

/* Parse the options; -1 to go on, or an exit code. */
static int
cmd_kb_parse(struct cli *c, struct cmd_kb_args *a, int argc, char **argv)
{
	int ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "h", cmd_kb_opts, NULL)) != -1) {
		switch (ch) {
		case CMD_KB_OPT_DIR: c->dir_opt = optarg; break;
		case CMD_KB_OPT_JSON: c->json = 1; break;
		case CMD_KB_OPT_TITLE: a->title = optarg; break;
		case CMD_KB_OPT_LANG: a->lang = optarg; break;
		case CMD_KB_OPT_CATEGORY: a->category = optarg; break;
		case CMD_KB_OPT_TAG:
			if (a->tags_count == RECORD_TAGS_MAX)
				return cli_error(c, CLI_EXIT_DATAERR,
				    "--tag: at most %d tags", RECORD_TAGS_MAX);
			a->tags[a->tags_count++] = optarg;
			break;
		case 'h':
			fputs(CMD_KB_USAGE, stdout);
			return 0;
		default:
			fputs(CMD_KB_USAGE, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	a->positional = optind;
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

/*
 * Read the article text from path ("-" is stdin) into *out, at most
 * RECORD_BODY_MAX bytes of UTF-8.  Returns 0 or an exit code.
 */
static int
cmd_kb_read(const struct cli *c, const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t cap = RECORD_BODY_MAX + 1, n;
	char *buf;

	if (f == NULL)
		return cli_error(c, CLI_EXIT_DATAERR, "%s: %s", path,
		    strerror(errno));
	buf = xmalloc(cap);
	n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		int e = errno;

		if (f != stdin)
			fclose(f);
		free(buf);
		return cli_error(c, CLI_EXIT_DATAERR, "%s: %s", path,
		    strerror(e));
	}
	if (f != stdin)
		fclose(f);
	if (n > RECORD_BODY_MAX) {
		free(buf);
		return cli_error(c, CLI_EXIT_DATAERR,
		    "%s: body: over %d bytes, the limit of an article", path,
		    RECORD_BODY_MAX);
	}
	if (mp_utf8_check((const uint8_t *)buf, n) != 0) {
		free(buf);
		return cli_error(c, CLI_EXIT_DATAERR,
		    "%s: body: not UTF-8 text", path);
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Send req and handle the failure; 0 with r filled, or an exit code. */
static int
cmd_kb_call(const struct cli *c, struct mpw *req, struct cli_reply *r)
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

/*
 * Write the request cmd (kb.add or kb.edit) for article id (NULL for
 * add) with the fields of a and the text (NULL: unchanged) into req.
 * Keys go in bytewise order: requests are canonical maps.
 */
static void
cmd_kb_request(struct mpw *req, const char *cmd, const char *id,
    const struct cmd_kb_args *a, const char *text, size_t text_len)
{
	mpw_init(req, CTL_MSG_MAX);
	mpw_map(req, 1 + (text != NULL) + (a->category != NULL) +
	    (id != NULL) + (a->lang != NULL) + (a->tags_count > 0) +
	    (a->title != NULL));
	if (text != NULL) {
		mpw_cstr(req, "body");
		mpw_str(req, text, text_len);
	}
	if (a->category != NULL) {
		mpw_cstr(req, "category");
		mpw_cstr(req, a->category);
	}
	mpw_cstr(req, "cmd");
	mpw_cstr(req, cmd);
	if (id != NULL) {
		mpw_cstr(req, "id");
		mpw_cstr(req, id);
	}
	if (a->lang != NULL) {
		mpw_cstr(req, "lang");
		mpw_cstr(req, a->lang);
	}
	if (a->tags_count > 0) {
		mpw_cstr(req, "tags");
		mpw_array(req, a->tags_count);
		for (uint32_t i = 0; i < a->tags_count; i++)
			mpw_cstr(req, a->tags[i]);
	}
	if (a->title != NULL) {
		mpw_cstr(req, "title");
		mpw_cstr(req, a->title);
	}
}

/* --lang takes fr or en; -1 to go on, or an exit code. */
static int
cmd_kb_check_lang(const struct cli *c, const struct cmd_kb_args *a)
{
	if (a->lang != NULL && strcmp(a->lang, "fr") != 0 &&
	    strcmp(a->lang, "en") != 0)
		return cli_error(c, CLI_EXIT_USAGE,
		    "--lang: fr or en, not '%s'", a->lang);
	return -1;
}

static int
cmd_kb_edit(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb edit" };
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	char *text = NULL, id[RECORD_KEY_MAX + 1];
	size_t text_len = 0;
	int rc;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv)) >= 0 ||
	    (rc = cmd_kb_check_lang(&c, &a)) >= 0)
		return rc;
	if (argc - a.positional < 1 || argc - a.positional > 2)
		return cli_error(&c, CLI_EXIT_USAGE,
		    "amie kb edit ID [options] [FILE|-]");
	if (argc - a.positional == 2 &&
	    (rc = cmd_kb_read(&c, argv[a.positional + 1], &text,
	    &text_len)) != 0)
		return rc;
	if (text == NULL && a.title == NULL && a.lang == NULL &&
	    a.category == NULL && a.tags_count == 0)
		return cli_error(&c, CLI_EXIT_USAGE,
		    "nothing to change: give FILE, - or an option");
	cmd_kb_request(&req, "kb.edit", argv[a.positional], &a, text,
	    text_len);
	free(text);
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	cli_reply_str(&r, "id", id, sizeof(id));
	printf("%s\n", id);
	cli_reply_release(&r);
	return 0;
}

static int
cmd_kb_add(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb add" };
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	char *text = NULL, id[RECORD_KEY_MAX + 1];
	size_t text_len = 0;
	const char *file = NULL;
	int rc;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv)) >= 0)
		return rc;
	if (a.title == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, "--title is required");
	if ((rc = cmd_kb_check_lang(&c, &a)) >= 0)
		return rc;
	if (argc - a.positional > 1)
		return cli_error(&c, CLI_EXIT_USAGE, "one FILE at most");
	if (argc - a.positional == 1)
		file = argv[a.positional];
	else if (!isatty(STDIN_FILENO))
		file = "-";
	else
		return cli_error(&c, CLI_EXIT_USAGE,
		    "give the article text as FILE, or - to read stdin");
	if ((rc = cmd_kb_read(&c, file, &text, &text_len)) != 0)
		return rc;

	cmd_kb_request(&req, "kb.add", NULL, &a, text, text_len);
	free(text);
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	cli_reply_str(&r, "id", id, sizeof(id));
	printf("%s\n", id);
	cli_reply_release(&r);
	return 0;
}

/* The number of elements of array field key, 0 if none. */
static uint32_t
cmd_kb_count(const struct mpmap *m, const char *key)
{
	struct mpr rd;
	uint32_t n;

	if (mpmap_reader(m, key, &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, key, NULL) != 0)
		return 0;
	return n;
}

/* Print the strings of the reply's array field key, joined by sep. */
static void
cmd_kb_print_strs(const struct mpmap *m, const char *key, const char *sep)
{
	struct mpr rd;
	uint32_t n, len;
	const char *s;

	if (mpmap_reader(m, key, &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, key, NULL) != 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		if (mpr_str(&rd, &s, &len, UINT32_MAX, key, NULL) != 0)
			return;
		printf("%s%.*s", i ? sep : "", (int)len, s);
	}
}

static int
cmd_kb_show(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb show" };
	char title[BODY_TITLE_MAX + 1], author[NODEID_LEN + 1], when[32];
	char lang[BODY_LANG_MAX + 1], cat[BODY_CATEGORY_MAX + 1];
	char id[RECORD_KEY_MAX + 1];
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	const char *body;
	uint32_t body_len, conflicts;
	int rc, bold;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv)) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, "which article? amie kb "
		    "show ID");
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 2);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "kb.show");
	mpw_cstr(&req, "id");
	mpw_cstr(&req, argv[a.positional]);
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&r);
		cli_reply_release(&r);
		return rc;
	}
	cli_reply_str(&r, "title", title, sizeof(title));
	cli_reply_str(&r, "author", author, sizeof(author));
	cli_reply_str(&r, "lang", lang, sizeof(lang));
	cli_reply_str(&r, "category", cat, sizeof(cat));
	cli_reply_str(&r, "id", id, sizeof(id));
	cli_time(when, cli_reply_uint(&r, "updated"));
	conflicts = cmd_kb_count(&r.m, "conflicts");
	bold = cli_color(stdout);
	printf("%s%s%s\n", bold ? "\033[1m" : "", title, bold ? "\033[0m" : "");
	printf("id %s  lang %s%s%s  by %.7s  %s\n", id, lang,
	    cat[0] ? "  category " : "", cat, author, when);
	if (cmd_kb_count(&r.m, "tags") > 0) {
		printf("tags ");
		cmd_kb_print_strs(&r.m, "tags", ", ");
		printf("\n");
	}
	printf("\n");
	if (mpmap_str(&r.m, "body", &body, &body_len, UINT32_MAX, NULL) == 0) {
		fwrite(body, 1, body_len, stdout);
		if (body_len > 0 && body[body_len - 1] != '\n')
			printf("\n");
	}
	if (conflicts > 0) {
		printf("\nconflict: %u other head revision(s), not shown: ",
		    conflicts);
		cmd_kb_print_strs(&r.m, "conflicts", " ");
		printf("\n");
	}
	cli_reply_release(&r);
	return 0;
}

static int
cmd_kb_list(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb list" };
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	struct mpr rd;
	uint32_t n;
	int rc;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv)) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, "unexpected operand '%s'",
		    argv[a.positional]);
	if (a.tags_count > 1)
		return cli_error(&c, CLI_EXIT_USAGE, "one --tag at most");
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1 + (a.category != NULL) + (a.tags_count > 0));
	if (a.category != NULL) {
		mpw_cstr(&req, "category");
		mpw_cstr(&req, a.category);
	}
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "kb.list");
	if (a.tags_count > 0) {
		mpw_cstr(&req, "tag");
		mpw_cstr(&req, a.tags[0]);
	}
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	if (mpmap_reader(&r.m, "articles", &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, "articles", NULL) != 0) {
		cli_reply_release(&r);
		return cli_error(&c, CLI_EXIT_DATAERR, "malformed reply");
	}
	if (c.json) {
		rc = cli_print_json(&r);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *start = rd.p;
			char id[RECORD_KEY_MAX + 1], title[BODY_TITLE_MAX + 1];
			char when[32];
			struct mpmap m;

			if (mpr_skip(&rd, MP_DEPTH_MAX, "article", NULL) != 0 ||
			    mpmap_decode(&m, start, (size_t)(rd.p - start),
			    "article", NULL) != 0)
				break;
			if (mpmap_cstr(&m, "id", id, sizeof(id), NULL) != 0 ||
			    mpmap_cstr(&m, "title", title, sizeof(title),
			    NULL) != 0)
				continue;
			{
				uint64_t ts = 0;

				mpmap_uint(&m, "updated", &ts, NULL);
				cli_time(when, ts);
			}
			printf("%.8s  %s  %s", id, when, title);
			if (cmd_kb_count(&m, "tags") > 0) {
				printf("  [");
				cmd_kb_print_strs(&m, "tags", ", ");
				printf("]");
			}
			printf("\n");
		}
		rc = 0;
	}
	if (n == 0 && rc == 0) {
		fprintf(stderr, "amie: no articles%s; add one with amie kb "
		    "add --title T FILE\n", a.tags_count || a.category ?
		    " match" : " yet");
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

int
cmd_kb_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = {
		{ "add", cmd_kb_add },
		{ "edit", cmd_kb_edit },
		{ "show", cmd_kb_show },
		{ "list", cmd_kb_list },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(CMD_KB_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "amie kb: unknown command '%s'\n%s", argv[1],
	    CMD_KB_USAGE);
	return CLI_EXIT_USAGE;
}
