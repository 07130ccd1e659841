/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* amie check: the daemon verifies its store against itself. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/i18n.h"

#define CMD_CHECK_TIMEOUT_MS (3600 * 1000) /* a large store */

#define CMD_CHECK_USAGE \
	N_("usage: amie check [--json] [--dir DIR]\n" \
	   "Verify every stored record (signature, hash, canonical form, id) " \
	   "and\n" \
	   "every index against the records; list each difference.  Exit 0 " \
	   "when\n" \
	   "the store is consistent, 65 when a problem was found.\n")

/* Print one problem {db, message} of the reply. */
static void
cmd_check_problem(const struct mpmap *m)
{
	char db[32], msg[512];

	if (mpmap_cstr(m, "db", db, sizeof(db), NULL) != 0)
		db[0] = '\0';
	if (mpmap_cstr(m, "message", msg, sizeof(msg), NULL) != 0)
		msg[0] = '\0';
	printf("%s: %s\n", db, msg);
}

/* Print the problems of the reply; how many were listed. */
static uint64_t
cmd_check_problems(const struct cli_reply *r)
{
	struct mpr rd;
	uint32_t n, i;

	if (mpmap_reader(&r->m, "problems", &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, "problems", NULL) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		const uint8_t *start = rd.p;
		struct mpmap m;

		if (mpr_skip(&rd, MP_DEPTH_MAX, "problems", NULL) != 0 ||
		    mpmap_decode(&m, start, (size_t)(rd.p - start), "problems",
			NULL) != 0)
			break;
		cmd_check_problem(&m);
	}
	return i;
}

int
cmd_check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = "amie check",
		.timeout_ms = CMD_CHECK_TIMEOUT_MS };
	uint64_t total, listed;
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.dir_opt = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': fputs(_(CMD_CHECK_USAGE), stdout); return 0;
		default:
			fputs(_(CMD_CHECK_USAGE), stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(_(CMD_CHECK_USAGE), stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_dir(&c) != 0)
		return CLI_EXIT_USAGE;
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "check");
	errbuf_clear(&eb);
	rc = cli_call(&c, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return cli_fail(&c, &eb);
	total = cli_reply_uint(&r, "problems_total");
	if (c.json) {
		rc = cli_print_json(&r);
		cli_reply_release(&r);
		return rc != 0 ? rc : total ? CLI_EXIT_DATAERR : 0;
	}
	listed = cmd_check_problems(&r);
	if (total > listed)
		printf(_("... and %llu more problems (the daemon's log has "
			 "them all)\n"),
		    (unsigned long long)(total - listed));
	printf(_("%llu records, %llu items, %llu objects, %llu articles "
		 "indexed, %llu members: %s\n"),
	    (unsigned long long)cli_reply_uint(&r, "records"),
	    (unsigned long long)cli_reply_uint(&r, "items"),
	    (unsigned long long)cli_reply_uint(&r, "objects"),
	    (unsigned long long)cli_reply_uint(&r, "articles"),
	    (unsigned long long)cli_reply_uint(&r, "members"),
	    total == 0 ? _("consistent") : _("PROBLEMS FOUND"));
	if (total > 0)
		fprintf(stderr,
		    _("amie check: %llu problems; see "
		      "\"Backups\" in docs/operations.md to restore a "
		      "backup\n"),
		    (unsigned long long)total);
	cli_reply_release(&r);
	return total ? CLI_EXIT_DATAERR : 0;
}
