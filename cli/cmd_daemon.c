/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* amie daemon reload: ask amied to reload amied.conf and report. */
#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/i18n.h"

#define CMD_DAEMON_USAGE N_( \
	"usage: amie daemon reload [--json] [--dir DIR]\n" \
	"Make amied reload amied.conf and wait for it: prints each changed\n" \
	"key; exits 78 with the file and line when the file has an error\n" \
	"(amied then keeps its running configuration).\n")

/* Print one entry of the reply's "changed" array on stderr. */
static void
cmd_daemon_change(const struct cli *c, const struct mpmap *m)
{
	char key[64], old_value[256], new_value[256];
	int restart = 0;

	if (mpmap_cstr(m, "key", key, sizeof(key), NULL) != 0 ||
	    mpmap_cstr(m, "old", old_value, sizeof(old_value), NULL) != 0 ||
	    mpmap_cstr(m, "new", new_value, sizeof(new_value), NULL) != 0)
		return;
	mpmap_bool(m, "restart", &restart, NULL);
	if (restart)
		fprintf(stderr, _("%s: %s changed to '%s': restart amied to "
		    "apply it\n"), c->prog, key, new_value);
	else
		fprintf(stderr, "%s: %s: '%s' -> '%s'\n", c->prog, key,
		    old_value, new_value);
}

static int
cmd_daemon_reload(struct cli *c, const struct cli_reply *r)
{
	char file[CLI_PATH_MAX + 16];
	struct mpr rd;
	uint32_t n = 0;

	if (c->json)
		return cli_print_json(r);
	cli_reply_str(r, "file", file, sizeof(file));
	if (mpmap_reader(&r->m, "changed", &rd, NULL) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, "changed", NULL) != 0)
		n = 0;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *start = rd.p;
		struct mpmap m;

		if (mpr_skip(&rd, MP_DEPTH_MAX, "changed", NULL) != 0 ||
		    mpmap_decode(&m, start, (size_t)(rd.p - start), "changed",
		    NULL) != 0)
			break;
		cmd_daemon_change(c, &m);
	}
	if (n == 0)
		fprintf(stderr, _("%s: %s reloaded, no change\n"), c->prog,
		    file);
	else
		fprintf(stderr, _("%s: %s reloaded\n"), c->prog, file);
	return 0;
}

int
cmd_daemon_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = "amie daemon reload" };
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	int ch, rc;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(_(CMD_DAEMON_USAGE), stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "reload") != 0) {
		fputs(_(CMD_DAEMON_USAGE), stderr);
		return CLI_EXIT_USAGE;
	}
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.dir_opt = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': fputs(_(CMD_DAEMON_USAGE), stdout); return 0;
		default:
			fputs(_(CMD_DAEMON_USAGE), stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(_(CMD_DAEMON_USAGE), stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_dir(&c) != 0)
		return CLI_EXIT_USAGE;
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "daemon.reload");
	errbuf_clear(&eb);
	rc = cli_call(&c, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return cli_fail(&c, &eb);
	rc = cmd_daemon_reload(&c, &r);
	cli_reply_release(&r);
	return rc;
}
