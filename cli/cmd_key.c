/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amie key export FILE: the node's key sealed under a passphrase
 * (proto/keyexport.h), the one file needed to re-create the node after
 * its disk is lost (amie init --restore-key FILE).  It reads DIR/node.key
 * itself: no daemon is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/i18n.h"
#include "cli/passphrase.h"
#include "proto/keyexport.h"
#include "proto/keyfile.h"

#define CMD_KEY_USAGE N_( \
	"usage: amie key export FILE [--passphrase-file PFILE]\n" \
	"Write this node's key, sealed under a passphrase (asked on the\n" \
	"terminal, or the first line of PFILE), to the new file FILE.\n" \
	"Keep it off this machine: amie init --restore-key FILE re-creates\n" \
	"the node from it.  Options: --dir DIR, --help.\n")

/* Read DIR/node.key into seed; 0 or an exit code. */
static int
cmd_key_load(const struct cli *c, uint8_t seed[KEYFILE_SEED_LEN])
{
	char path[CLI_PATH_MAX + 16], buf[KEYFILE_LEN + 1];
	struct errbuf eb;
	ssize_t len;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/node.key", c->dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_error(c, CLI_EXIT_CONFIG, "%s: %s", path,
		    strerror(errno));
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0)
		return cli_error(c, CLI_EXIT_CONFIG, "%s: %s", path,
		    strerror(errno));
	errbuf_clear(&eb);
	rc = keyfile_parse(seed, buf, (size_t)len, &eb);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0)
		return cli_error(c, CLI_EXIT_CONFIG, "%s: %s", path, eb.msg);
	return 0;
}

/*
 * FILE of key export: with create, made new (mode 0600), its descriptor
 * returned; without, only looked at (0).  A name taken exits 65, a
 * directory that is not there 64, one not ours 77: minus the status.
 */
static int
cmd_key_target(const struct cli *c, const char *file, int create)
{
	int fd = -1, e;
	struct stat sb;

	if (create)
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	else if (lstat(file, &sb) == 0)
		errno = EEXIST;
	else if (errno == ENOENT) {
		char dir[CLI_PATH_MAX];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", file);
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			return 0;
		*slash = '\0';
		if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
			return 0;
		errno = ENOENT;
	}
	if (fd >= 0)
		return fd;
	e = errno;
	return -cli_error(c, e == EEXIST ? CLI_EXIT_DATAERR :
	    e == ENOENT || e == ENOTDIR ? CLI_EXIT_USAGE :
	    e == EACCES ? CLI_EXIT_NOPERM : CLI_EXIT_CONFIG, "%s: %s", file,
	    strerror(e));
}

static int
cmd_key_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = "amie key export" };
	char pass[PASSPHRASE_MAX + 1], text[KEYEXPORT_LEN];
	uint8_t seed[KEYFILE_SEED_LEN], salt[KEYEXPORT_SALT_LEN];
	uint8_t nonce[KEYEXPORT_NONCE_LEN];
	const char *pfile = NULL;
	struct errbuf eb;
	size_t plen;
	int ch, rc, fd;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.dir_opt = optarg; break;
		case 'p': pfile = optarg; break;
		case 'h': fputs(_(CMD_KEY_USAGE), stdout); return 0;
		default: fputs(_(CMD_KEY_USAGE), stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_error(&c, CLI_EXIT_USAGE, _("amie key export FILE"));
	if ((rc = cli_dir(&c)) != 0)
		return rc;
	/* FILE first: a name taken, or a directory that is not there, is
	 * said before the passphrase is asked and Argon2 runs (and FILE is
	 * made only once there is something to write). */
	if ((rc = cmd_key_target(&c, argv[optind], 0)) < 0)
		return -rc;
	if ((rc = passphrase_read(&c, pfile, 1, pass, sizeof(pass),
	    &plen)) == 0 && plen < KEYEXPORT_PASS_MIN)
		rc = cli_error(&c, CLI_EXIT_DATAERR, _("the passphrase needs "
		    "%d characters at least"), KEYEXPORT_PASS_MIN);
	if (rc == 0)
		rc = cmd_key_load(&c, seed);
	if (rc == 0) {
		randombytes_buf(salt, sizeof(salt));
		randombytes_buf(nonce, sizeof(nonce));
		errbuf_clear(&eb);
		if (keyexport_seal(text, seed, pass, plen, salt, nonce,
		    KEYEXPORT_OPS, KEYEXPORT_MEM_KIB, &eb) != 0)
			rc = cli_fail(&c, &eb);
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(pass, sizeof(pass));
	if (rc != 0)
		return rc;
	if ((fd = cmd_key_target(&c, argv[optind], 1)) < 0)
		return -fd;
	if (write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) ||
	    fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(argv[optind]);
		return cli_error(&c, CLI_EXIT_TEMPFAIL, "%s: %s", argv[optind],
		    strerror(e));
	}
	close(fd);
	fprintf(stderr, _("%s: key written to %s; keep it and its passphrase "
	    "apart, away from this machine\n"), c.prog, argv[optind]);
	return 0;
}

int
cmd_key_main(int argc, char **argv)
{
	static const struct cli_sub sub[] = {
		{ "export", cmd_key_export },
	};

	return cli_sub_run("amie key", sub, sizeof(sub) / sizeof(sub[0]),
	    CMD_KEY_USAGE, argc, argv);
}
