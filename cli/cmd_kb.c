/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* amie kb: add, show and list knowledge-base articles. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/color.h"
#include "cli/i18n.h"
#include "cli/progress.h"
#include "proto/body.h"
#include "proto/nodeid.h"
#include "proto/record.h"
#include "proto/xmalloc.h"

#define CMD_KB_USAGE N_( \
	"usage: amie kb add --title T [--tag X]... [--lang fr|en] [--category C] [FILE|-]\n" \
	"       amie kb edit ID [--title T] [--tag X]... [--lang fr|en] [--category C] [FILE|-]\n" \
	"       amie kb show ID [--raw] [--json]\n" \
	"       amie kb list [--tag X] [--category C] [--json]\n" \
	"       amie kb search WORDS... [--tag X] [--category C] [--lang L] [--author ID] [--limit N] [--json]\n" \
	"       amie kb history ID [--json]\n" \
	"       amie kb diff ID [REV [REV]] [--json]\n" \
	"       amie kb conflicts [--json]\n" \
	"       amie kb resolve ID [--keep REV] [--title T] [--tag X]... [--lang fr|en] [--category C] [FILE|-]\n" \
	"       amie kb rm ID [--reason TEXT]\n" \
	"       amie kb reindex [--json]\n" \
	"Options common to all: --dir DIR, --help.\n")

enum {
	CMD_KB_OPT_DIR = 256,
	CMD_KB_OPT_JSON,
	CMD_KB_OPT_TITLE,
	CMD_KB_OPT_TAG,
	CMD_KB_OPT_LANG,
	CMD_KB_OPT_CATEGORY,
	CMD_KB_OPT_REASON,
	CMD_KB_OPT_KEEP,
	CMD_KB_OPT_LIMIT,
	CMD_KB_OPT_AUTHOR,
	CMD_KB_OPT_RAW,
};

static const struct option cmd_kb_opts[] = {
	{ "dir", required_argument, NULL, CMD_KB_OPT_DIR },
	{ "json", no_argument, NULL, CMD_KB_OPT_JSON },
	{ "title", required_argument, NULL, CMD_KB_OPT_TITLE },
	{ "tag", required_argument, NULL, CMD_KB_OPT_TAG },
	{ "lang", required_argument, NULL, CMD_KB_OPT_LANG },
	{ "category", required_argument, NULL, CMD_KB_OPT_CATEGORY },
	{ "reason", required_argument, NULL, CMD_KB_OPT_REASON },
	{ "keep", required_argument, NULL, CMD_KB_OPT_KEEP },
	{ "limit", required_argument, NULL, CMD_KB_OPT_LIMIT },
	{ "author", required_argument, NULL, CMD_KB_OPT_AUTHOR },
	{ "raw", no_argument, NULL, CMD_KB_OPT_RAW },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmd_kb_args {
	const char *title, *lang, *category, *reason, *keep, *author;
	unsigned long limit;
	int raw;
	const char *tags[RECORD_TAGS_MAX];
	uint32_t tags_count;
	int positional;			/* index of the first operand */
};

/*
 * Parse the options; -1 to go on, or an exit code.  allowed names the
 * long options this subcommand takes, separated by spaces (--dir and
 * --help go everywhere): an option another subcommand takes is a usage
 * error here, not something silently ignored.
 */
static int
cmd_kb_parse(struct cli *c, struct cmd_kb_args *a, int argc, char **argv,
    const char *allowed)
{
	int ch, li;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "h", cmd_kb_opts, &li)) != -1) {
		if (ch != 'h' && ch != '?' && ch != CMD_KB_OPT_DIR) {
			const char *name = cmd_kb_opts[li].name, *p = allowed;
			size_t len = strlen(name);
			int ok = 0;

			while ((p = strstr(p, name)) != NULL && !ok) {
				ok = (p == allowed || p[-1] == ' ') &&
				    (p[len] == ' ' || p[len] == '\0');
				p += len;
			}
			if (!ok)
				return cli_error(c, CLI_EXIT_USAGE,
				    _("--%s does not apply here"), name);
		}
		switch (ch) {
		case CMD_KB_OPT_DIR: c->dir_opt = optarg; break;
		case CMD_KB_OPT_JSON: c->json = 1; break;
		case CMD_KB_OPT_TITLE: a->title = optarg; break;
		case CMD_KB_OPT_LANG: a->lang = optarg; break;
		case CMD_KB_OPT_CATEGORY: a->category = optarg; break;
		case CMD_KB_OPT_REASON: a->reason = optarg; break;
		case CMD_KB_OPT_KEEP: a->keep = optarg; break;
		case CMD_KB_OPT_AUTHOR: a->author = optarg; break;
		case CMD_KB_OPT_RAW: a->raw = 1; break;
		case CMD_KB_OPT_LIMIT: {
			char *end;

			a->limit = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || a->limit == 0 ||
			    a->limit > 100)
				return cli_error(c, CLI_EXIT_USAGE,
				    _("--limit: 1 to 100, not '%s'"), optarg);
			break;
		}
		case CMD_KB_OPT_TAG:
			if (a->tags_count == RECORD_TAGS_MAX)
				return cli_error(c, CLI_EXIT_DATAERR,
				    _("--tag: at most %d tags"), RECORD_TAGS_MAX);
			if (optarg[0] == '\0' || strpbrk(optarg, " \t\r\n,")
			    != NULL || strlen(optarg) > BODY_TAG_MAX)
				return cli_error(c, CLI_EXIT_DATAERR,
				    _("--tag '%s': one word of 1 to %d bytes, "
				    "no spaces or commas"), optarg,
				    BODY_TAG_MAX);
			a->tags[a->tags_count++] = optarg;
			break;
		case 'h':
			fputs(_(CMD_KB_USAGE), stdout);
			return 0;
		default:
			fputs(_(CMD_KB_USAGE), stderr);
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
		    _("%s: body: over %d bytes, the limit of an article"), path,
		    RECORD_BODY_MAX);
	}
	if (mp_utf8_check((const uint8_t *)buf, n) != 0) {
		free(buf);
		return cli_error(c, CLI_EXIT_DATAERR,
		    _("%s: body: not UTF-8 text"), path);
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Send req and handle the failure; 0 with r filled, or an exit code.
 * With pages, the reply's list of that name comes in pages and r holds
 * them all (cli_call_pages()). */
static int
cmd_kb_call_pages(const struct cli *c, struct mpw *req, const char *pages,
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
cmd_kb_call(const struct cli *c, struct mpw *req, struct cli_reply *r)
{
	return cmd_kb_call_pages(c, req, NULL, r);
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
	    (id != NULL) + (a->keep != NULL) + (a->lang != NULL) +
	    (a->tags_count > 0) + (a->title != NULL));
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
	if (a->keep != NULL) {
		mpw_cstr(req, "keep");
		mpw_cstr(req, a->keep);
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
		return cli_error(c, CLI_EXIT_DATAERR,
		    _("--lang: fr or en, not '%s'"), a->lang);
	return -1;
}

/*
 * kb edit and kb resolve: a new revision of article ID with the options
 * and the text of FILE or - (unchanged when absent).  edit needs some
 * change; resolve (which refs every head) may keep a revision as it is.
 */
static int
cmd_kb_revise(int argc, char **argv, const char *cmd, const char *prog,
    const char *usage, const char *allowed)
{
	struct cli c = { .prog = prog };
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	char *text = NULL, id[RECORD_KEY_MAX + 1];
	size_t text_len = 0;
	int rc;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    allowed)) >= 0 ||
	    (rc = cmd_kb_check_lang(&c, &a)) >= 0)
		return rc;
	if (argc - a.positional < 1 || argc - a.positional > 2)
		return cli_error(&c, CLI_EXIT_USAGE, _("usage: %s"), usage);
	if (argc - a.positional == 2 &&
	    (rc = cmd_kb_read(&c, argv[a.positional + 1], &text,
	    &text_len)) != 0)
		return rc;
	if (strcmp(cmd, "kb.edit") == 0 && text == NULL && a.title == NULL &&
	    a.lang == NULL && a.category == NULL && a.tags_count == 0)
		return cli_error(&c, CLI_EXIT_USAGE,
		    _("nothing to change: give FILE, - or an option"));
	cmd_kb_request(&req, cmd, argv[a.positional], &a, text, text_len);
	free(text);
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	cli_reply_str(&r, "id", id, sizeof(id));
	printf("%s\n", id);
	cli_reply_release(&r);
	return 0;
}

static int
cmd_kb_edit(int argc, char **argv)
{
	return cmd_kb_revise(argc, argv, "kb.edit", "amie kb edit",
	    "amie kb edit ID [options] [FILE|-]", "title tag lang category");
}

static int
cmd_kb_resolve(int argc, char **argv)
{
	return cmd_kb_revise(argc, argv, "kb.resolve", "amie kb resolve",
	    "amie kb resolve ID [--keep REV] [options] [FILE|-]",
	    "title tag lang category keep");
}

/* Write the len bytes at s (and a final newline if missing) to a new
 * temporary file; returns its path in path (cap bytes) or -1. */
static int
cmd_kb_tempfile(char *path, size_t cap, const char *s, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, cap, "%s/amie-kb.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	if (write(fd, s, len) != (ssize_t)len ||
	    (len > 0 && s[len - 1] != '\n' && write(fd, "\n", 1) != 1)) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * On a terminal without FILE: write the text in $VISUAL or $EDITOR (vi by
 * default), starting from a template whose '#!' lines are dropped.
 */
static int
cmd_kb_edit_text(const struct cli *c, char **text, size_t *len)
{
	const char *tmpl =
	    _("#! Write the article in Markdown below, then save and quit.\n"
	    "#! Lines starting with #! are dropped; an empty text cancels.\n");
	const char *ed = getenv("VISUAL");
	char path[512], *buf, *o;
	int status, rc;
	pid_t pid;

	if (ed == NULL || ed[0] == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || ed[0] == '\0')
		ed = "vi";
	if (cmd_kb_tempfile(path, sizeof(path), tmpl, strlen(tmpl)) != 0)
		return cli_error(c, CLI_EXIT_TEMPFAIL, "%s",
		    _("cannot make a temporary file"));
	if ((pid = fork()) == 0) {
		execlp("sh", "sh", "-c", "exec $0 \"$1\"", ed, path,
		    (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(path);
		return cli_error(c, CLI_EXIT_TEMPFAIL, _("the editor %s failed"),
		    ed);
	}
	rc = cmd_kb_read(c, path, &buf, len);
	unlink(path);
	if (rc != 0)
		return rc;
	/* Drop the template lines. */
	o = buf;
	for (size_t i = 0; i < *len;) {
		const char *nl = memchr(buf + i, '\n', *len - i);
		size_t end = nl != NULL ? (size_t)(nl - buf) + 1 : *len;

		if (!(end - i >= 2 && buf[i] == '#' && buf[i + 1] == '!')) {
			memmove(o, buf + i, end - i);
			o += end - i;
		}
		i = end;
	}
	*len = (size_t)(o - buf);
	if (*len == 0) {
		free(buf);
		return cli_error(c, CLI_EXIT_USAGE, "%s",
		    _("empty text: nothing written"));
	}
	*text = buf;
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

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "title tag lang category")) >= 0)
		return rc;
	if (a.title == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("--title is required"));
	if ((rc = cmd_kb_check_lang(&c, &a)) >= 0)
		return rc;
	if (argc - a.positional > 1)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("one FILE at most"));
	if (argc - a.positional == 1)
		file = argv[a.positional];
	else if (!isatty(STDIN_FILENO))
		file = "-";
	if (file == NULL)
		rc = cmd_kb_edit_text(&c, &text, &text_len);
	else
		rc = cmd_kb_read(&c, file, &text, &text_len);
	if (rc != 0)
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

/*
 * Markdown for a terminal, lightly: headings in bold without their '#',
 * everything else as written (it reads well as it is).
 */
static void
cmd_kb_render(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - s) : len, j = i;

		while (j < end && s[j] == '#')
			j++;
		if (j > i && j < end && s[j] == ' ') {
			printf("%s%.*s%s", color_start(stdout, COLOR_BOLD),
			    (int)(end - j - 1), s + j + 1, color_end(stdout));
		} else {
			fwrite(s + i, 1, end - i, stdout);
		}
		if (nl != NULL)
			fputc('\n', stdout);
		i = end + 1;
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

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "json raw")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("which article? amie kb show ID"));
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
	printf("%s%s%s\n", color_start(stdout, COLOR_BOLD), title,
	    color_end(stdout));
	printf(_("id %s  lang %s"), id, lang);
	if (cat[0] != '\0')
		printf(_("  category %s"), cat);
	printf(_("  by %.7s  %s\n"), author, when);
	if (cmd_kb_count(&r.m, "tags") > 0) {
		fputs(_("tags "), stdout);
		cmd_kb_print_strs(&r.m, "tags", ", ");
		printf("\n");
	}
	printf("\n");
	if (mpmap_str(&r.m, "body", &body, &body_len, UINT32_MAX, NULL) == 0) {
		if (bold && !a.raw)
			cmd_kb_render(body, body_len);
		else
			fwrite(body, 1, body_len, stdout);
		if (body_len > 0 && body[body_len - 1] != '\n')
			printf("\n");
	}
	if (conflicts > 0) {
		printf(_("\nconflict: %u other head revision(s), not shown: "),
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

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "json tag category")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("unexpected operand '%s'"),
		    argv[a.positional]);
	if (a.tags_count > 1)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("one --tag at most"));
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
	if ((rc = cmd_kb_call_pages(&c, &req, "articles", &r)) != 0)
		return rc;
	if (mpmap_reader(&r.m, "articles", &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, "articles", NULL) != 0) {
		cli_reply_release(&r);
		return cli_error(&c, CLI_EXIT_DATAERR, "%s",
		    _("malformed reply"));
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
			printf("%s%.8s  %s%s  %s", color_start(stdout,
			    COLOR_DIM), id, when, color_end(stdout), title);
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
		fprintf(stderr, a.tags_count || a.category ?
		    _("%s: no articles match; add one with amie kb add --title "
		    "T FILE\n") : _("%s: no articles yet; add one with amie kb "
		    "add --title T FILE\n"), c.prog);
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

/* Send a request with cmd and id only; 0 with r filled or an exit code.
 * pages as for cmd_kb_call_pages(). */
static int
cmd_kb_simple(const struct cli *c, const char *cmd, const char *id,
    const char *pages, struct cli_reply *r)
{
	struct mpw req;

	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, id != NULL ? 2 : 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, cmd);
	if (id != NULL) {
		mpw_cstr(&req, "id");
		mpw_cstr(&req, id);
	}
	return cmd_kb_call_pages(c, &req, pages, r);
}

/* The maps of the reply's array field key, one by one. */
static uint32_t
cmd_kb_each(const struct cli_reply *r, const char *key,
    void (*fn)(void *ctx, const struct mpmap *m), void *ctx)
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
		fn(ctx, &m);
	}
	return i;
}

static void
cmd_kb_field(const struct mpmap *m, const char *key, char *out, size_t cap)
{
	if (mpmap_cstr(m, key, out, cap, NULL) != 0)
		out[0] = '\0';
}

/* Print a snippet; matched words (between \x01 and \x02) in bold on a
 * colour terminal, plain otherwise. */
static void
cmd_kb_snippet(const char *s, int color)
{
	for (; *s != '\0'; s++) {
		if (*s == '\x01')
			fputs(color ? color_start(stdout, COLOR_MATCH) : "",
			    stdout);
		else if (*s == '\x02')
			fputs(color ? color_end(stdout) : "", stdout);
		else if (*s == '\n')
			fputc(' ', stdout);
		else
			fputc(*s, stdout);
	}
}

static void
cmd_kb_search_row(void *ctx, const struct mpmap *m)
{
	char id[RECORD_KEY_MAX + 1], title[BODY_TITLE_MAX + 1];
	char snippet[512];
	uint64_t score = 0;
	int color = *(int *)ctx;

	cmd_kb_field(m, "id", id, sizeof(id));
	cmd_kb_field(m, "title", title, sizeof(title));
	cmd_kb_field(m, "snippet", snippet, sizeof(snippet));
	mpmap_uint(m, "score_milli", &score, NULL);
	printf("%s%.8s%s  %5.2f  %s%s%s\n          ",
	    color ? color_start(stdout, COLOR_DIM) : "", id,
	    color ? color_end(stdout) : "", (double)score / 1000.0,
	    color ? color_start(stdout, COLOR_BOLD) : "", title,
	    color ? color_end(stdout) : "");
	cmd_kb_snippet(snippet, color);
	printf("\n");
}

/* --json for search: score_milli becomes score, marks leave snippets. */
static int
cmd_kb_search_json(const struct cli_reply *r)
{
	FILE *tmp = tmpfile();
	json_t *root, *results, *e;
	json_error_t err;
	size_t i;
	int rc;

	if (tmp == NULL)
		return CLI_EXIT_TEMPFAIL;
	{
		int saved = dup(STDOUT_FILENO);

		fflush(stdout);
		dup2(fileno(tmp), STDOUT_FILENO);
		rc = cli_print_json(r);
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	rewind(tmp);
	root = json_loadf(tmp, 0, &err);
	fclose(tmp);
	if (rc != 0 || root == NULL)
		return CLI_EXIT_DATAERR;
	results = json_object_get(root, "results");
	json_array_foreach(results, i, e) {
		json_t *ms = json_object_get(e, "score_milli");
		json_t *sn = json_object_get(e, "snippet");

		json_object_set_new(e, "score", json_real(
		    (double)json_integer_value(ms) / 1000.0));
		json_object_del(e, "score_milli");
		if (json_is_string(sn)) {
			char *s = xstrdup(json_string_value(sn)), *o = s;

			for (const char *p = s; *p != '\0'; p++)
				if (*p != '\x01' && *p != '\x02')
					*o++ = *p;
			*o = '\0';
			json_object_set_new(e, "snippet", json_string(s));
			free(s);
		}
	}
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(6));
	fputc('\n', stdout);
	json_decref(root);
	return 0;
}

static int
cmd_kb_search(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb search" };
	char query[1100] = "";
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	uint8_t author[32];
	int rc, color, fields, complete = 1;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "json tag category lang author limit")) >= 0 ||
	    (rc = cmd_kb_check_lang(&c, &a)) >= 0)
		return rc;
	if (argc == a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("search for what? amie kb search WORDS..."));
	if (a.tags_count > 1)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("one --tag at most"));
	for (int i = a.positional; i < argc; i++) {
		if (strlen(query) + (query[0] != '\0') + strlen(argv[i]) >
		    1024)
			return cli_error(&c, CLI_EXIT_USAGE,
			    "%s", _("the query is over 1024 bytes"));
		if (query[0] != '\0')
			strcat(query, " ");
		strcat(query, argv[i]);
	}
	if (mp_utf8_check((const uint8_t *)query, strlen(query)) != 0)
		return cli_error(&c, CLI_EXIT_DATAERR, "%s",
		    _("the query is not UTF-8"));
	if (a.author != NULL) {
		struct errbuf eb;

		if (nodeid_parse(author, a.author, &eb) != 0)
			return cli_error(&c, CLI_EXIT_USAGE, _("--author: %s "
			    "(give the whole node id)"), eb.msg);
	}
	fields = 2 + (a.author != NULL) + (a.category != NULL) +
	    (a.lang != NULL) + (a.limit > 0) + (a.tags_count > 0);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, (uint32_t)fields);
	if (a.author != NULL) {
		mpw_cstr(&req, "author");
		mpw_bin(&req, author, 32);
	}
	if (a.category != NULL) {
		mpw_cstr(&req, "category");
		mpw_cstr(&req, a.category);
	}
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "kb.search");
	if (a.lang != NULL) {
		mpw_cstr(&req, "lang");
		mpw_cstr(&req, a.lang);
	}
	if (a.limit > 0) {
		mpw_cstr(&req, "limit");
		mpw_uint(&req, a.limit);
	}
	mpw_cstr(&req, "query");
	mpw_cstr(&req, query);
	if (a.tags_count > 0) {
		mpw_cstr(&req, "tag");
		mpw_cstr(&req, a.tags[0]);
	}
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	if (mpmap_bool(&r.m, "index_complete", &complete, NULL) == 0 &&
	    !complete)
		fprintf(stderr, _("%s: the search index is being rebuilt: "
		    "articles it has not gone through yet are missing; amie "
		    "kb reindex finishes it\n"), c.prog);
	color = cli_color(stdout);
	if (c.json)
		rc = cmd_kb_search_json(&r);
	else
		cmd_kb_each(&r, "results", cmd_kb_search_row, &color);
	if (rc == 0 && cmd_kb_count(&r.m, "results") == 0) {
		fprintf(stderr, _("%s: nothing matches '%s'; try fewer or "
		    "other words, or drop a filter\n"), c.prog, query);
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

static void
cmd_kb_history_row(void *ctx, const struct mpmap *m)
{
	char rev[65], title[BODY_TITLE_MAX + 1], author[NODEID_LEN + 1];
	char when[32];
	uint64_t ts = 0;
	int head = 0;

	(void)ctx;
	cmd_kb_field(m, "revision", rev, sizeof(rev));
	cmd_kb_field(m, "title", title, sizeof(title));
	cmd_kb_field(m, "author", author, sizeof(author));
	mpmap_uint(m, "updated", &ts, NULL);
	mpmap_bool(m, "head", &head, NULL);
	cli_time(when, ts);
	printf("%s%.12s  %s%s  %.7s  %s%s\n", color_start(stdout, COLOR_DIM),
	    rev, when, color_end(stdout), author, title, head ? _("  (head)") :
	    "");
}

static int
cmd_kb_history(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb history" };
	struct cmd_kb_args a;
	struct cli_reply r;
	int rc;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "json")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("which article? amie kb history ID"));
	if ((rc = cmd_kb_simple(&c, "kb.history", argv[a.positional],
	    "revisions", &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else
		cmd_kb_each(&r, "revisions", cmd_kb_history_row, NULL);
	cli_reply_release(&r);
	return rc;
}

static int
cmd_kb_diff(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb diff" };
	char fa[512], fb[512], la[128], lb[128], rev[65];
	const char *body;
	uint32_t blen;
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	int rc, nrev, status;
	pid_t pid;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "json")) >= 0)
		return rc;
	nrev = argc - a.positional - 1;
	if (nrev < 0 || nrev > 2)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("which article? amie kb diff ID [REV [REV]]"));
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 2 + (uint32_t)nrev);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "kb.diff");
	if (nrev >= 1) {
		mpw_cstr(&req, "from");
		mpw_cstr(&req, argv[a.positional + 1]);
	}
	mpw_cstr(&req, "id");
	mpw_cstr(&req, argv[a.positional]);
	if (nrev == 2) {
		mpw_cstr(&req, "to");
		mpw_cstr(&req, argv[a.positional + 2]);
	}
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	if (c.json) {
		rc = cli_print_json(&r);
		cli_reply_release(&r);
		return rc;
	}
	cli_reply_str(&r, "from_revision", rev, sizeof(rev));
	snprintf(la, sizeof(la), _("revision %.12s"), rev);
	cli_reply_str(&r, "to_revision", rev, sizeof(rev));
	snprintf(lb, sizeof(lb), _("revision %.12s"), rev);
	rc = CLI_EXIT_TEMPFAIL;
	fa[0] = fb[0] = '\0';
	if (mpmap_str(&r.m, "from_body", &body, &blen, UINT32_MAX, NULL) == 0 &&
	    cmd_kb_tempfile(fa, sizeof(fa), body, blen) == 0 &&
	    mpmap_str(&r.m, "to_body", &body, &blen, UINT32_MAX, NULL) == 0 &&
	    cmd_kb_tempfile(fb, sizeof(fb), body, blen) == 0) {
		char ta[BODY_TITLE_MAX + 1], tb[BODY_TITLE_MAX + 1];

		cli_reply_str(&r, "from_title", ta, sizeof(ta));
		cli_reply_str(&r, "to_title", tb, sizeof(tb));
		if (strcmp(ta, tb) != 0)
			printf(_("title: %s\n    -> %s\n"), ta, tb);
		fflush(stdout);
		/* diff(1) from diffutils, which every Debian has. */
		if ((pid = fork()) == 0) {
			execlp("diff", "diff", "-u", "--label", la, "--label",
			    lb, fa, fb, (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) <= 1)
			rc = 0;
		else
			cli_error(&c, CLI_EXIT_TEMPFAIL, "%s",
			    _("diff(1) failed"));
	}
	if (fa[0] != '\0')
		unlink(fa);
	if (fb[0] != '\0')
		unlink(fb);
	cli_reply_release(&r);
	return rc;
}

static void
cmd_kb_conflict_row(void *ctx, const struct mpmap *m)
{
	char id[RECORD_KEY_MAX + 1], title[BODY_TITLE_MAX + 1];

	(void)ctx;
	cmd_kb_field(m, "id", id, sizeof(id));
	cmd_kb_field(m, "title", title, sizeof(title));
	printf(_("%.8s  %u heads  %s\n"), id, cmd_kb_count(m, "heads"), title);
}

static int
cmd_kb_conflicts(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb conflicts" };
	struct cmd_kb_args a;
	struct cli_reply r;
	int rc;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "json")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("unexpected '%s'"),
		    argv[a.positional]);
	if ((rc = cmd_kb_simple(&c, "kb.conflicts", NULL, "conflicts",
	    &r)) != 0)
		return rc;
	if (c.json)
		rc = cli_print_json(&r);
	else
		cmd_kb_each(&r, "conflicts", cmd_kb_conflict_row, NULL);
	if (rc == 0 && cmd_kb_count(&r.m, "conflicts") == 0) {
		fprintf(stderr, _("%s: no conflicts\n"), c.prog);
		rc = CLI_EXIT_NOTFOUND;
	}
	cli_reply_release(&r);
	return rc;
}

static int
cmd_kb_rm(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb rm" };
	struct cmd_kb_args a;
	struct cli_reply r;
	struct mpw req;
	char id[RECORD_KEY_MAX + 1];
	int rc;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "reason")) >= 0)
		return rc;
	if (argc - a.positional != 1)
		return cli_error(&c, CLI_EXIT_USAGE, "%s",
		    _("which article? amie kb rm ID [--reason TEXT]"));
	if (a.reason != NULL && mp_utf8_check((const uint8_t *)a.reason,
	    strlen(a.reason)) != 0)
		return cli_error(&c, CLI_EXIT_DATAERR, "%s",
		    _("--reason: not UTF-8"));
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 2 + (a.reason != NULL));
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "kb.rm");
	mpw_cstr(&req, "id");
	mpw_cstr(&req, argv[a.positional]);
	if (a.reason != NULL) {
		mpw_cstr(&req, "reason");
		mpw_cstr(&req, a.reason);
	}
	if ((rc = cmd_kb_call(&c, &req, &r)) != 0)
		return rc;
	cli_reply_str(&r, "id", id, sizeof(id));
	printf("%s\n", id);
	fprintf(stderr, _("%s: article %.8s deleted; connected peers get the "
	    "deletion at once, the others at their next sync\n"), c.prog, id);
	cli_reply_release(&r);
	return 0;
}

static int
cmd_kb_reindex(int argc, char **argv)
{
	struct cli c = { .prog = "amie kb reindex", .timeout_ms = 600000 };
	struct cmd_kb_args a;
	struct cli_reply r;
	struct progress p;
	struct errbuf eb;
	struct mpw req;
	uint64_t articles = 0;
	int rc, finished = 0, started = 0;

	if ((rc = cmd_kb_parse(&c, &a, argc, argv,
	    "json")) >= 0)
		return rc;
	if (argc != a.positional)
		return cli_error(&c, CLI_EXIT_USAGE, _("unexpected '%s'"),
		    argv[a.positional]);
	/* The daemon rebuilds a step at a time, answering others between
	 * steps, and each reply says how far it is: the first one gives
	 * the total the line starts with. */
	while (!finished) {
		mpw_init(&req, CTL_MSG_MAX);
		mpw_map(&req, 2);
		mpw_cstr(&req, "cmd");
		mpw_cstr(&req, "kb.reindex");
		mpw_cstr(&req, "step");
		mpw_bool(&req, 1);
		errbuf_clear(&eb);
		if ((rc = mpw_finish(&req, "request", &eb)) == 0)
			rc = cli_call(&c, &req, &r, &eb);
		mpw_release(&req);
		if (rc != 0) {
			if (started)
				progress_end(&p);
			return cli_fail(&c, &eb);
		}
		(void)mpmap_bool(&r.m, "finished", &finished, NULL);
		articles = cli_reply_uint(&r, "articles");
		if (!started) {
			progress_start(&p, _("rebuilding the search index"),
			    _("articles"), cli_reply_uint(&r, "total"),
			    cli_reply_uint(&r, "done"));
			started = 1;
		} else {
			progress_total(&p, cli_reply_uint(&r, "total"));
			progress_update(&p, cli_reply_uint(&r, "done"));
		}
		cli_reply_release(&r);
	}
	progress_end(&p);
	if (c.json) {
		json_t *j = json_pack("{s:i, s:I}", "schema", 1, "articles",
		    (json_int_t)articles);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		fprintf(stderr, _("amie: %llu articles indexed\n"),
		    (unsigned long long)articles);
	}
	return 0;
}

int
cmd_kb_main(int argc, char **argv)
{
	static const struct cli_sub sub[] = {
		{ "add", cmd_kb_add },
		{ "edit", cmd_kb_edit },
		{ "show", cmd_kb_show },
		{ "list", cmd_kb_list },
		{ "search", cmd_kb_search },
		{ "history", cmd_kb_history },
		{ "diff", cmd_kb_diff },
		{ "conflicts", cmd_kb_conflicts },
		{ "resolve", cmd_kb_resolve },
		{ "rm", cmd_kb_rm },
		{ "reindex", cmd_kb_reindex },
	};

	return cli_sub_run("amie kb", sub, sizeof(sub) / sizeof(sub[0]),
	    CMD_KB_USAGE, argc, argv);
}
