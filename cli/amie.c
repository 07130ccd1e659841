/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amie: the command line of an amie node.  Each subcommand turns its
 * arguments into one control request to amied and formats the reply:
 * data on stdout, everything else on stderr, exit codes as in amie(1).
 */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/i18n.h"

#ifndef AMIE_VERSION
#define AMIE_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} amie_commands[] = {
	{ "init", cmd_init_main, N_("create a node (and a federation)") },
	{ "status", cmd_status_main, N_("this node, its federation and records") },
	{ "id", cmd_id_main, N_("this node's id") },
	{ "invite", cmd_fed_invite_main, N_("print an invite code for a new Amie") },
	{ "join", cmd_fed_join_main, N_("join a federation with an invite code") },
	{ "members", cmd_fed_members_main, N_("the federation's members") },
	{ "member", cmd_fed_member_main, N_("member remove ID --reason R") },
	{ "peers", cmd_fed_peers_main, N_("connected peers, last sync, traffic") },
	{ "sync", cmd_fed_sync_main, N_("reconcile now with connected peers") },
	{ "kb", cmd_kb_main, N_("knowledge base: add, edit, search, show, ...") },
	{ "check", cmd_check_main, N_("verify the store's records and indexes") },
	{ "backup", cmd_backup_main, N_("hot copy of the store to a file") },
	{ "restore", cmd_restore_main, N_("put a backup in place (node stopped)") },
	{ "export", cmd_export_main, N_("write records to a bundle file") },
	{ "import", cmd_import_main, N_("verify and store a bundle's records") },
	{ "doctor", cmd_doctor_main, N_("look for problems, say how to fix them") },
	{ "daemon", cmd_daemon_main, N_("daemon reload: reload amied.conf") },
	{ "contract", cmd_contract_main, N_("contracts, time logged, usage") },
	{ "tech", cmd_tech_main, N_("technicians: add, edit, list, show") },
	{ "swap", cmd_swap_main, N_("lend technicians; the time bank") },
	{ "key", cmd_key_main, N_("key export FILE: for disaster recovery") },
};

static void
amie_usage(FILE *f)
{
	fputs(_("usage: amie [--dir DIR] COMMAND [ARGS]\n\ncommands:\n"), f);
	for (size_t i = 0; i < sizeof(amie_commands) / sizeof(amie_commands[0]);
	    i++)
		fprintf(f, "  %-9s %s\n", amie_commands[i].name,
		    _(amie_commands[i].help));
	fputs(_("\n`amie COMMAND --help` tells more; amie(1) has it all.\n"
	    "The node directory is --dir, $AMIE_DIR, $XDG_DATA_HOME/amie,\n"
	    "or $HOME/.local/share/amie.\n"),
	    f);
}

/* The exit status of a command that returned rc, once its output is
 * written: a command whose data never reached stdout (a full disk) has
 * not done its job, and says so. */
static int
amie_flushed(int rc)
{
	int e = 0;

	if (fflush(stdout) != 0)
		e = errno;
	else if (ferror(stdout))
		e = EIO;
	if (e == 0)
		return rc;
	fprintf(stderr, _("amie: stdout: %s\n"), strerror(e));
	return rc != 0 ? rc : CLI_EXIT_TEMPFAIL;
}

int
main(int argc, char **argv)
{
	static char status_arg[] = "status";
	char *status_argv[2] = { status_arg, NULL };
	int first = 1;

	const char *localedir = getenv("AMIE_LOCALEDIR");

	setlocale(LC_ALL, "");
	/* AMIE_LOCALEDIR runs an uninstalled amie with its own catalogues
	 * (the tests use $(B)/locale). */
	bindtextdomain(AMIE_TEXTDOMAIN, localedir != NULL && localedir[0] !=
	    '\0' ? localedir : AMIE_LOCALEDIR);
	textdomain(AMIE_TEXTDOMAIN);
	if (sodium_init() < 0) {
		fputs(_("amie: libsodium failed to initialise\n"), stderr);
		return CLI_EXIT_UNAVAILABLE;
	}
	/* `amie --dir DIR CMD ...` is `amie CMD --dir DIR ...`. */
	while (first < argc && strcmp(argv[first], "--dir") == 0 &&
	    first + 1 < argc) {
		/* An empty AMIE_DIR means the default directory: an empty
		 * --dir is a mistake, not that. */
		if (argv[first + 1][0] == '\0') {
			struct cli c = { .prog = "amie" };

			return cli_error(&c, CLI_EXIT_USAGE, "%s",
			    _("no node directory: use --dir DIR or set "
			    "AMIE_DIR"));
		}
		setenv("AMIE_DIR", argv[first + 1], 1);
		first += 2;
	}
	if (first >= argc)
		return amie_flushed(cmd_status_main(1, status_argv));
	if (strcmp(argv[first], "--help") == 0 ||
	    strcmp(argv[first], "-h") == 0 || strcmp(argv[first], "help") == 0) {
		amie_usage(stdout);
		return 0;
	}
	if (strcmp(argv[first], "--version") == 0) {
		printf("amie %s\n", AMIE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(amie_commands) / sizeof(amie_commands[0]);
	    i++)
		if (strcmp(argv[first], amie_commands[i].name) == 0)
			return amie_flushed(amie_commands[i].fn(argc - first,
			    argv + first));
	fprintf(stderr, _("amie: unknown command '%s'\n"), argv[first]);
	amie_usage(stderr);
	return CLI_EXIT_USAGE;
}
