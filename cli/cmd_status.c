/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* amie status and amie id. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/color.h"
#include "cli/i18n.h"
#include "proto/keyfile.h"
#include "proto/nodeid.h"

/* Parse the options every read command takes; returns -1 to go on, or an
 * exit code.  usage is untranslated (N_). */
static int
cmd_status_opts(struct cli *c, int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->dir_opt = optarg; break;
		case 'j': c->json = 1; break;
		case 'h': fputs(_(usage), stdout); return 0;
		default: fputs(_(usage), stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(_(usage), stderr);
		return CLI_EXIT_USAGE;
	}
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

static void
cmd_status_size(char out[32], uint64_t bytes)
{
	if (bytes >= (uint64_t)1 << 30)
		snprintf(out, 32, _("%.1f GiB"), (double)bytes / (1 << 30));
	else if (bytes >= (uint64_t)1 << 20)
		snprintf(out, 32, _("%.1f MiB"), (double)bytes / (1 << 20));
	else
		snprintf(out, 32, _("%llu KiB"),
		    (unsigned long long)(bytes >> 10));
}

/* A label of amie status, in bold on a colour terminal, then the column. */
static void
cmd_status_label(const char *label, size_t width)
{
	fputs(color_start(stdout, COLOR_BOLD), stdout);
	cli_pad(stdout, label, width);
	fputs(color_end(stdout), stdout);
	fputc(' ', stdout);
}

int
cmd_status_main(int argc, char **argv)
{
	struct cli c = { .prog = "amie status" };
	char id[NODEID_LEN + 1], name[256], region[256], fed[256], net[80];
	char size[32];
	const char *label[7];
	uint64_t behind_ms;
	size_t width = 0;
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	int rc;

	rc = cmd_status_opts(&c, argc, argv,
	    N_("usage: amie status [--json] [--dir DIR]\n"
	    "This node: its id, federation, members, peers and records.\n"));
	if (rc >= 0)
		return rc;
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "status");
	errbuf_clear(&eb);
	rc = cli_call(&c, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return cli_fail(&c, &eb);
	if (c.json) {
		rc = cli_print_json(&r);
		cli_reply_release(&r);
		return rc;
	}
	cli_reply_str(&r, "node_id", id, sizeof(id));
	cli_reply_str(&r, "name", name, sizeof(name));
	cli_reply_str(&r, "region", region, sizeof(region));
	cli_reply_str(&r, "federation", fed, sizeof(fed));
	cli_reply_str(&r, "network_id", net, sizeof(net));
	cmd_status_size(size, cli_reply_uint(&r, "disk_bytes"));
	/* Labels in a column as wide as the widest translation. */
	label[0] = _("node");
	label[1] = _("name");
	label[2] = _("federation");
	label[3] = _("members");
	label[4] = _("peers");
	label[5] = _("records");
	label[6] = _("clock");
	for (size_t i = 0; i < 7; i++)
		if (cli_width(label[i]) > width)
			width = cli_width(label[i]);
	cmd_status_label(label[0], width);
	printf("%s\n", id);
	cmd_status_label(label[1], width);
	printf("%s%s%s\n", name, region[0] ? ", " : "", region);
	cmd_status_label(label[2], width);
	if (fed[0] != '\0')
		printf(_("%s (network %.16s)\n"), fed, net);
	else
		fputs(_("none yet (found one: amie init --federation NAME)\n"),
		    stdout);
	cmd_status_label(label[3], width);
	printf("%llu\n", (unsigned long long)cli_reply_uint(&r, "members"));
	cmd_status_label(label[4], width);
	printf(_("%llu connected\n"),
	    (unsigned long long)cli_reply_uint(&r, "peers_connected"));
	cmd_status_label(label[5], width);
	printf(_("%llu (%s in use)\n"),
	    (unsigned long long)cli_reply_uint(&r, "records"), size);
	/* Only when the clock went back: the records still get written. */
	if ((behind_ms = cli_reply_uint(&r, "clock_behind_ms")) > 0) {
		cmd_status_label(label[6], width);
		printf(_("%llu s behind the last record this node wrote (the "
		    "clock was set back): new records are dated after it; "
		    "see amie doctor\n"),
		    (unsigned long long)(behind_ms / 1000));
	}
	cli_reply_release(&r);
	return 0;
}

int
cmd_id_main(int argc, char **argv)
{
	struct cli c = { .prog = "amie id" };
	char path[CLI_PATH_MAX + 16], buf[KEYFILE_LEN + 1], id[NODEID_LEN + 1];
	uint8_t seed[KEYFILE_SEED_LEN], pk[32], sk[64];
	struct errbuf eb;
	ssize_t len;
	int fd, rc;

	rc = cmd_status_opts(&c, argc, argv,
	    N_("usage: amie id [--json] [--dir DIR]\n"
	    "Print this node's id; works while amied is stopped.\n"));
	if (rc >= 0)
		return rc;
	snprintf(path, sizeof(path), "%s/node.key", c.dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_error(&c, errno == EACCES ? CLI_EXIT_NOPERM :
		    CLI_EXIT_CONFIG, "%s: %s%s", path, strerror(errno),
		    errno == ENOENT ? _(" (run amie init first)") : "");
	len = read(fd, buf, sizeof(buf));
	close(fd);
	errbuf_clear(&eb);
	rc = keyfile_parse(seed, buf, len > 0 ? (size_t)len : 0, &eb);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0)
		return cli_fail(&c, &eb);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	nodeid_format(id, pk);
	if (c.json)
		printf("{\"schema\": 1, \"node_id\": \"%s\"}\n", id);
	else
		printf("%s\n", id);
	return 0;
}
