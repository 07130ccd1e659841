/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amie backup: the daemon writes a hot copy of its store.
 * amie restore: put a backup in place on a stopped node; the command
 * line links no LMDB (cli -> proto), so it runs `amied --restore`, which
 * opens and checks the backup before swapping it in.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/i18n.h"

#define CMD_BACKUP_TIMEOUT_MS (3600 * 1000)

#define CMD_BACKUP_USAGE \
	N_("usage: amie backup FILE [--force] [--json] [--dir DIR]\n" \
	   "Write a consistent, compacted copy of the running node's store " \
	   "to\n" \
	   "FILE (mode 0600).  The daemon writes it: FILE must be in a " \
	   "directory\n" \
	   "its user may write.  An existing FILE is kept unless --force.\n")

#define CMD_RESTORE_USAGE \
	N_("usage: amie restore FILE [--force] [--dir DIR]\n" \
	   "Put the backup FILE in place of the store of a stopped node.  " \
	   "The\n" \
	   "backup must be of this node's federation and pass the store " \
	   "check\n" \
	   "(--force restores one that does not pass it); the replaced " \
	   "store\n" \
	   "is kept in DIR/store.old.\n")

/* FILE made absolute against the working directory, into out. */
static int
cmd_backup_abs(const struct cli *c, const char *file, char *out, size_t cap)
{
	char cwd[CLI_PATH_MAX];
	int n;

	if (file[0] == '/') {
		n = snprintf(out, cap, "%s", file);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return cli_error(c, CLI_EXIT_TEMPFAIL,
			    _("cannot tell the working directory: %s"),
			    strerror(errno));
		n = snprintf(out, cap, "%s/%s", cwd, file);
	}
	if (n < 0 || (size_t)n >= cap)
		return cli_error(c, CLI_EXIT_USAGE, _("%s: path too long"),
		    file);
	return 0;
}

/* Options of both commands; returns -1 to go on, or an exit code. */
static int
cmd_backup_opts(struct cli *c, int argc, char **argv, const char *usage,
    int *force, int json_ok)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->dir_opt = optarg; break;
		case 'j':
			if (!json_ok) {
				fputs(usage, stderr);
				return CLI_EXIT_USAGE;
			}
			c->json = 1;
			break;
		case 'f': *force = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

int
cmd_backup_main(int argc, char **argv)
{
	struct cli c = { .prog = "amie backup",
		.timeout_ms = CMD_BACKUP_TIMEOUT_MS };
	char path[CLI_PATH_MAX];
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	int rc, force = 0;

	if ((rc = cmd_backup_opts(&c, argc, argv, _(CMD_BACKUP_USAGE), &force,
		 1)) >= 0)
		return rc;
	if ((rc = cmd_backup_abs(&c, argv[optind], path, sizeof(path))) != 0)
		return rc;
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, force ? 3 : 2);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "backup");
	if (force) {
		mpw_cstr(&req, "force");
		mpw_bool(&req, 1);
	}
	mpw_cstr(&req, "path");
	mpw_cstr(&req, path);
	errbuf_clear(&eb);
	rc = cli_call(&c, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return cli_fail(&c, &eb);
	if (c.json) {
		rc = cli_print_json(&r);
	} else {
		fprintf(stderr, _("amie backup: %s written (%llu KiB)\n"), path,
		    (unsigned long long)(cli_reply_uint(&r, "bytes") >> 10));
	}
	cli_reply_release(&r);
	return rc;
}

int
cmd_restore_main(int argc, char **argv)
{
	struct cli c = { .prog = "amie restore" };
	char path[CLI_PATH_MAX], self[CLI_PATH_MAX], amied[CLI_PATH_MAX + 8];
	char *args[8], *slash;
	ssize_t n;
	int rc, force = 0, i = 0;

	if ((rc = cmd_backup_opts(&c, argc, argv, _(CMD_RESTORE_USAGE), &force,
		 0)) >= 0)
		return rc;
	if ((rc = cmd_backup_abs(&c, argv[optind], path, sizeof(path))) != 0)
		return rc;
	/* The amied installed beside this amie, else the one in PATH. */
	snprintf(amied, sizeof(amied), "amied");
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(amied, sizeof(amied), "%s/amied", self);
			if (access(amied, X_OK) != 0)
				snprintf(amied, sizeof(amied), "amied");
		}
	}
	args[i++] = amied;
	args[i++] = (char *)"--dir";
	args[i++] = c.dir;
	args[i++] = (char *)"--restore";
	args[i++] = path;
	if (force)
		args[i++] = (char *)"--force";
	args[i] = NULL;
	fflush(NULL);
	execvp(amied, args);
	return cli_error(&c, CLI_EXIT_UNAVAILABLE, _("cannot run %s: %s"),
	    amied, strerror(errno));
}
