/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amie init: create a node directory.  It writes the key (0600), the
 * configuration and, with --federation, the signed charter of a new
 * federation; amied creates its LMDB store on first start and stores the
 * charter there.  The command line never opens the store itself (it
 * depends on proto/ only).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/i18n.h"
#include "cli/passphrase.h"
#include "proto/body.h"
#include "proto/keyexport.h"
#include "proto/keyfile.h"
#include "proto/mp.h"
#include "proto/nodeid.h"
#include "proto/record.h"

static void
cmd_init_usage(FILE *f)
{
	fputs(_("usage: amie init --name NAME [--region R] [--listen tcp://HOST:PORT]\n"
	    "                 [--federation FED] [--dir DIR]\n"
	    "       amie init --restore-key FILE [--passphrase-file PFILE] --name NAME ...\n"
	    "Create a node directory: key, configuration and, with --federation,\n"
	    "the charter of a new federation founded by this node.  With\n"
	    "--restore-key, the key is the one amie key export wrote to FILE.\n"
	    "Prints the node id on stdout.\n"), f);
}

/* The files init writes, in this order (the charter with --federation). */
static const char *const cmd_init_files[] = { "node.key", "amied.conf",
    "charter.amie" };

#define CMD_INIT_KEY 0
#define CMD_INIT_CONF 1
#define CMD_INIT_CHARTER 2
#define CMD_INIT_FILES (sizeof(cmd_init_files) / sizeof(cmd_init_files[0]))

/*
 * mkdir -p with mode 0700 for what it creates, then mode 0700 for dir
 * itself.  *old is the mode dir had before, or 0 when it was created
 * here: what cmd_init_undo_dir() puts back.
 */
static int
cmd_init_mkdirs(const char *dir, mode_t *old)
{
	char p[CLI_PATH_MAX];
	struct stat sb;

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	*old = 0;
	if (mkdir(p, 0700) != 0) {
		if (errno != EEXIST || stat(p, &sb) != 0)
			return -1;
		if (!S_ISDIR(sb.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		*old = sb.st_mode & 07777;
	}
	return chmod(p, 0700);
}

/* Put dir back as init found it: its mode, or no directory. */
static void
cmd_init_undo_dir(const char *dir, mode_t old)
{
	if (old != 0)
		chmod(dir, old);
	else
		rmdir(dir);
}

/* Write len bytes to DIR/name, created new with mode 0600. */
static int
cmd_init_write(const struct cli *c, const char *name, const void *buf,
    size_t len)
{
	char path[CLI_PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cli_error(c, CLI_EXIT_CONFIG, "%s: %s", path,
		    strerror(errno));
	n = write(fd, buf, len);
	if (n != (ssize_t)len || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return cli_error(c, CLI_EXIT_TEMPFAIL, "%s: %s", path,
		    strerror(e));
	}
	close(fd);
	return 0;
}

/*
 * Open the key export at path with its passphrase into seed.  Returns 0
 * or an exit code after a message.
 */
static int
cmd_init_restore(const struct cli *c, const char *path, const char *pfile,
    uint8_t seed[KEYFILE_SEED_LEN])
{
	/* Room for line ends and blanks after the text, which the parser
	 * drops; more than that is no key export. */
	char buf[KEYEXPORT_LEN + 64], pass[PASSPHRASE_MAX + 1];
	struct keyexport x;
	struct errbuf eb;
	size_t plen;
	ssize_t len;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_error(c, CLI_EXIT_DATAERR, "%s: %s", path,
		    strerror(errno));
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0)
		return cli_error(c, CLI_EXIT_DATAERR, "%s: %s", path,
		    strerror(errno));
	errbuf_clear(&eb);
	if (keyexport_parse(&x, buf, (size_t)len, &eb) != 0)
		return cli_error(c, CLI_EXIT_DATAERR, "%s: %s", path, eb.msg);
	if ((rc = passphrase_read(c, pfile, 0, pass, sizeof(pass),
	    &plen)) != 0)
		return rc;
	rc = keyexport_open(seed, &x, pass, plen, &eb);
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(&x, sizeof(x));
	if (rc != 0)
		return cli_error(c, cli_exit_code(rc), "%s: %s", path, eb.msg);
	return 0;
}

/* A value goes on one line of UTF-8 text: no newlines, no NUL. */
static int
cmd_init_value_ok(const char *s, size_t max)
{
	return strlen(s) <= max && strpbrk(s, "\r\n") == NULL &&
	    mp_utf8_check((const uint8_t *)s, strlen(s)) == 0;
}

/*
 * A value amied.conf gives back as it is written: one line of at most
 * max bytes, no blank at either end (inih strips them) and no ';' after
 * a blank or first (it would start a comment).
 */
static int
cmd_init_conf_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (!cmd_init_value_ok(s, max))
		return 0;
	if (len > 0 && (strchr(" \t", s[0]) != NULL ||
	    strchr(" \t", s[len - 1]) != NULL || s[0] == ';'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (s[i] == ';' && (s[i - 1] == ' ' || s[i - 1] == '\t'))
			return 0;
	return 1;
}

/* tcp://HOST:PORT with a port from 1 to 65535, as amied reads it. */
static int
cmd_init_endpoint_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;

	if (strncmp(s, "tcp://", 6) != 0 || !cmd_init_conf_ok(s, 200) ||
	    colon == NULL || colon <= s + 6 || colon[1] < '0' ||
	    colon[1] > '9')
		return 0;
	port = strtoul(colon + 1, &end, 10);
	return *end == '\0' && port >= 1 && port <= 65535;
}

static int
cmd_init_charter(const struct cli *c, const char *fed, const uint8_t pk[32],
    const uint8_t sk[64])
{
	struct record_header h;
	struct body_charter ch;
	struct mpw body, rec;
	struct errbuf eb;
	uint8_t id[RECORD_ID_LEN];
	struct timespec now;
	int rc;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "charter", 7);
	memcpy(h.author, pk, 32);
	clock_gettime(CLOCK_REALTIME, &now);
	h.ts = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	ch.name.s = fed;
	ch.name.len = (uint32_t)strlen(fed);
	memcpy(ch.founder, pk, 32);
	ch.admit_quorum = 1;
	ch.remove_quorum = 1;
	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&rec, RECORD_ENCODED_MAX);
	body_charter_encode(&ch, &body);
	errbuf_clear(&eb);
	if ((rc = mpw_finish(&body, "charter", &eb)) != 0 ||
	    (rc = record_sign(&h, body.buf, body.len, sk, NULL, &rec, id,
	    &eb)) != 0 || (rc = mpw_finish(&rec, "charter", &eb)) != 0)
		rc = cli_fail(c, &eb);
	else
		rc = cmd_init_write(c, cmd_init_files[CMD_INIT_CHARTER],
		    rec.buf, rec.len);
	mpw_release(&body);
	mpw_release(&rec);
	return rc;
}

int
cmd_init_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "region", required_argument, NULL, 'r' },
		{ "listen", required_argument, NULL, 'l' },
		{ "federation", required_argument, NULL, 'f' },
		{ "dir", required_argument, NULL, 'd' },
		{ "restore-key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = "amie init" };
	const char *name = NULL, *region = "", *fed = NULL;
	const char *listen = "tcp://0.0.0.0:4410";
	const char *restore = NULL, *pfile = NULL;
	char path[CLI_PATH_MAX + 32], conf[2048], id[NODEID_LEN + 1];
	char keytext[KEYFILE_LEN];
	uint8_t seed[KEYFILE_SEED_LEN], pk[32], *sk;
	struct stat sb;
	size_t made = 0;	/* cmd_init_files[0 .. made - 1] written */
	mode_t old_mode;
	int ch, rc, len;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'r': region = optarg; break;
		case 'l': listen = optarg; break;
		case 'f': fed = optarg; break;
		case 'd': c.dir_opt = optarg; break;
		case 'k': restore = optarg; break;
		case 'p': pfile = optarg; break;
		case 'h': cmd_init_usage(stdout); return 0;
		default: cmd_init_usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || name == NULL) {
		if (name == NULL)
			cli_error(&c, CLI_EXIT_USAGE, "%s",
			    _("--name is required"));
		cmd_init_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (name[0] == '\0' || !cmd_init_conf_ok(name, BODY_NAME_MAX) ||
	    !cmd_init_conf_ok(region, BODY_NAME_MAX))
		return cli_error(&c, CLI_EXIT_DATAERR,
		    _("--name and --region: one line of UTF-8 text of at most "
		    "%d bytes, without blanks at either end or ' ;'"),
		    BODY_NAME_MAX);
	if (!cmd_init_endpoint_ok(listen))
		return cli_error(&c, CLI_EXIT_DATAERR,
		    _("--listen: expected tcp://HOST:PORT, got '%s'"), listen);
	if (fed != NULL && (fed[0] == '\0' ||
	    !cmd_init_value_ok(fed, BODY_NAME_MAX)))
		return cli_error(&c, CLI_EXIT_DATAERR,
		    _("--federation: one line of UTF-8 text of 1 to %d bytes"),
		    BODY_NAME_MAX);
	if (restore != NULL && fed != NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("--restore-key "
		    "re-creates a member of its federation: no --federation"));
	if (pfile != NULL && restore == NULL)
		return cli_error(&c, CLI_EXIT_USAGE, _("--passphrase-file goes "
		    "with --restore-key"));
	if ((rc = cli_dir(&c)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/node.key", c.dir);
	if (stat(path, &sb) == 0)
		return cli_error(&c, CLI_EXIT_CONFIG,
		    _("%s is already a node (it has a node.key)"), c.dir);
	/* The other files init would write: refused before anything is
	 * made. */
	for (size_t i = CMD_INIT_CONF; i < CMD_INIT_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", c.dir,
		    cmd_init_files[i]);
		if (lstat(path, &sb) == 0 &&
		    (i != CMD_INIT_CHARTER || fed != NULL))
			return cli_error(&c, CLI_EXIT_CONFIG,
			    _("%s already exists: init writes a new one; "
			    "move it away first"), path);
	}
	if (restore != NULL &&
	    (rc = cmd_init_restore(&c, restore, pfile, seed)) != 0)
		return rc;
	if (cmd_init_mkdirs(c.dir, &old_mode) != 0) {
		sodium_memzero(seed, sizeof(seed));
		return cli_error(&c, CLI_EXIT_CONFIG, "%s: %s", c.dir,
		    strerror(errno));
	}

	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (sk == NULL) {
		sodium_memzero(seed, sizeof(seed));
		cmd_init_undo_dir(c.dir, old_mode);
		return cli_error(&c, CLI_EXIT_TEMPFAIL, "%s",
		    _("out of memory"));
	}
	if (restore == NULL)
		randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	keyfile_format(keytext, seed);
	sodium_memzero(seed, sizeof(seed));
	rc = cmd_init_write(&c, cmd_init_files[CMD_INIT_KEY], keytext,
	    sizeof(keytext));
	sodium_memzero(keytext, sizeof(keytext));
	if (rc == 0) {
		made = CMD_INIT_KEY + 1;
		len = snprintf(conf, sizeof(conf),
		    "# amied configuration: see amied.conf(5).\n"
		    "[node]\nname = %s\nregion = %s\nlisten = %s\n\n"
		    "[log]\nlevel = info\n", name, region, listen);
		rc = cmd_init_write(&c, cmd_init_files[CMD_INIT_CONF], conf,
		    (size_t)len);
	}
	if (rc == 0) {
		made = CMD_INIT_CONF + 1;
		if (fed != NULL)
			rc = cmd_init_charter(&c, fed, pk, sk);
	}
	sodium_free(sk);
	if (rc != 0) {
		/* Leave no half-made node behind, and nothing init did not
		 * make removed: init can be run again. */
		for (size_t i = 0; i < made; i++) {
			snprintf(path, sizeof(path), "%s/%s", c.dir,
			    cmd_init_files[i]);
			unlink(path);
		}
		cmd_init_undo_dir(c.dir, old_mode);
		return rc;
	}
	nodeid_format(id, pk);
	printf("%s\n", id);
	fprintf(stderr, _("amie: node %s created in %s\n"), name, c.dir);
	if (fed != NULL)
		fprintf(stderr, _("amie: it founds the federation %s\n"), fed);
	if (restore != NULL)
		fprintf(stderr, _("amie: key restored from %s; once amied "
		    "runs, join with a fresh invite (amie join CODE) and "
		    "sync: contracts come back from the other members\n"),
		    restore);
	fprintf(stderr, _("amie: start it with: amied --dir %s\n"), c.dir);
	return 0;
}
