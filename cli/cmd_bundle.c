/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amie export and amie import: bundles of signed records in a file
 * (proto/bundle.h), for Amies without a network link between them.  The
 * command line reads and writes the file; the daemon hands out pages of
 * records ("export") and ingests them ("ingest") exactly as it ingests
 * records from peers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/i18n.h"
#include "cli/progress.h"
#include "proto/bundle.h"
#include "proto/record.h"
#include "proto/xmalloc.h"

#define CMD_BUNDLE_BATCH_BYTES (896 * 1024) /* records in one ingest */
#define CMD_BUNDLE_BATCH_COUNT 2048	    /* and their results fit a reply */
#define CMD_BUNDLE_REFUSALS_MAX 1000	    /* listed one by one */
#define CMD_BUNDLE_CURSOR_LEN 40

#define CMD_EXPORT_USAGE \
	N_("usage: amie export FILE [--since DATE] [--kind K] [--force] " \
	   "[--json] [--dir DIR]\n" \
	   "Write the node's records to the bundle FILE (mode 0600), oldest\n" \
	   "first: those written since DATE (YYYY-MM-DD or " \
	   "YYYY-MM-DDTHH:MM,\n" \
	   "local time) and of kind K when given.  An existing FILE is kept\n" \
	   "unless --force.\n")

#define CMD_IMPORT_USAGE \
	N_("usage: amie import FILE [--json] [--dir DIR]\n" \
	   "Verify and store the records of the bundle FILE as if a peer " \
	   "had\n" \
	   "sent them; print how many were new, known and refused, and why.\n" \
	   "Exit 65 when a record was refused or the bundle is damaged.\n")

/* Options of both commands; returns -1 to go on, or an exit code. */
static int
cmd_bundle_opts(struct cli *c, int argc, char **argv, const char *usage,
    int is_export, const char **since, const char **kind, int *force)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->dir_opt = optarg; break;
		case 'j': c->json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 's':
		case 'k':
		case 'f':
			if (is_export) {
				if (ch == 's')
					*since = optarg;
				else if (ch == 'k')
					*kind = optarg;
				else
					*force = 1;
				break;
			}
			/* FALLTHROUGH */
		default: fputs(usage, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	return cli_dir(c) == 0 ? -1 : CLI_EXIT_USAGE;
}

/* The node's network id, from status: 0, or an exit code. */
static int
cmd_bundle_network(const struct cli *c, uint8_t net[32])
{
	char hex[80];
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	size_t n;
	int rc;

	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "status");
	errbuf_clear(&eb);
	rc = cli_call(c, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return cli_fail(c, &eb);
	cli_reply_str(&r, "network_id", hex, sizeof(hex));
	cli_reply_release(&r);
	if (sodium_hex2bin(net, 32, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != 32)
		return cli_error(c, CLI_EXIT_CONFIG,
		    _("this node has no federation yet"));
	return 0;
}

/* "2026-11-28" or "2026-11-28T14:30[:00]", local time, to ms. */
static int
cmd_bundle_date(const char *s, uint64_t *ms)
{
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S",
		"%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	struct tm tm;
	time_t t;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i], &tm);
		if (end == NULL || *end != '\0')
			continue;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1 || t < 0)
			return -1;
		*ms = (uint64_t)t * 1000;
		return 0;
	}
	return -1;
}

static int
cmd_bundle_write(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Ask for one page and write its records to fd. */
static int
cmd_export_page(const struct cli *c, int fd, uint8_t cursor[], int *has_cursor,
    uint64_t since, const char *kind, uint32_t *count, uint64_t *bytes,
    int *done)
{
	const uint8_t *next;
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	struct mpr rd;
	uint32_t n, nlen;
	int rc, fields = 1;

	fields += *has_cursor + (kind != NULL) + (since != 0);
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, (uint32_t)fields);
	if (*has_cursor) {
		mpw_cstr(&req, "after");
		mpw_bin(&req, cursor, CMD_BUNDLE_CURSOR_LEN);
	}
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "export");
	if (kind != NULL) {
		mpw_cstr(&req, "kind");
		mpw_cstr(&req, kind);
	}
	if (since != 0) {
		mpw_cstr(&req, "since");
		mpw_uint(&req, since);
	}
	errbuf_clear(&eb);
	rc = cli_call(c, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return cli_fail(c, &eb);
	if (mpmap_bool(&r.m, "done", done, &eb) != 0 ||
	    mpmap_bin(&r.m, "next", &next, &nlen, CMD_BUNDLE_CURSOR_LEN, &eb) !=
		0 ||
	    nlen != CMD_BUNDLE_CURSOR_LEN ||
	    mpmap_reader(&r.m, "records", &rd, &eb) != 0 ||
	    mpr_array(&rd, &n, UINT32_MAX, "records", &eb) != 0) {
		cli_reply_release(&r);
		return cli_error(c, CLI_EXIT_DATAERR,
		    _("malformed reply from amied"));
	}
	memcpy(cursor, next, CMD_BUNDLE_CURSOR_LEN);
	*has_cursor = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t lenbuf[BUNDLE_LENGTH_LEN];
		const uint8_t *b;
		uint32_t len;

		if (mpr_bin(&rd, &b, &len, RECORD_ENCODED_MAX, "records",
			&eb) != 0) {
			cli_reply_release(&r);
			return cli_error(c, CLI_EXIT_DATAERR,
			    _("malformed reply from amied"));
		}
		if (*count == BUNDLE_RECORDS_MAX) {
			cli_reply_release(&r);
			return cli_error(c, CLI_EXIT_DATAERR,
			    _("more than %u records: export with --since or "
			      "--kind"),
			    BUNDLE_RECORDS_MAX);
		}
		bundle_length_encode(lenbuf, len);
		if (cmd_bundle_write(fd, lenbuf, sizeof(lenbuf)) != 0 ||
		    cmd_bundle_write(fd, b, len) != 0) {
			cli_reply_release(&r);
			return cli_error(c, CLI_EXIT_TEMPFAIL,
			    _("cannot write the bundle: %s"), strerror(errno));
		}
		(*count)++;
		*bytes += BUNDLE_LENGTH_LEN + len;
	}
	cli_reply_release(&r);
	return 0;
}

/* The temporary file of the export under way, removed if a signal ends
 * it (Ctrl-C, a stop): only a whole bundle is ever left. */
static char cmd_export_tmp[CLI_PATH_MAX + 16];
static const int cmd_export_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void
cmd_export_signal(int sig)
{
	unlink(cmd_export_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Remove the temporary file on a signal (on), or no longer (off); a
 * signal ignored by our parent stays ignored. */
static void
cmd_export_guard(int on)
{
	for (size_t i = 0; i < sizeof(cmd_export_signals) /
	    sizeof(cmd_export_signals[0]); i++) {
		struct sigaction sa, old;

		if (sigaction(cmd_export_signals[i], NULL, &old) != 0 ||
		    old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = on ? cmd_export_signal : SIG_DFL;
		sigaction(cmd_export_signals[i], &sa, NULL);
	}
}

int
cmd_export_main(int argc, char **argv)
{
	struct cli c = { .prog = "amie export" };
	uint8_t cursor[CMD_BUNDLE_CURSOR_LEN], head[BUNDLE_HEADER_LEN];
	const char *since_s = NULL, *kind = NULL, *file;
	char *tmp = cmd_export_tmp;
	struct bundle_header h;
	struct stat sb;
	uint64_t since = 0, bytes = BUNDLE_HEADER_LEN;
	uint32_t count = 0;
	int rc, force = 0, fd, done = 0, has_cursor = 0;

	if ((rc = cmd_bundle_opts(&c, argc, argv, _(CMD_EXPORT_USAGE), 1,
		 &since_s, &kind, &force)) >= 0)
		return rc;
	file = argv[optind];
	if (since_s != NULL && cmd_bundle_date(since_s, &since) != 0)
		return cli_error(&c, CLI_EXIT_USAGE,
		    _("--since %s: give YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
		    since_s);
	if (kind != NULL && (kind[0] == '\0' || strlen(kind) > RECORD_KIND_MAX))
		return cli_error(&c, CLI_EXIT_USAGE,
		    _("--kind %s: no such "
		      "kind"),
		    kind);
	if (!force && lstat(file, &sb) == 0)
		return cli_error(&c, CLI_EXIT_USAGE,
		    _("%s exists; give another name or --force"), file);
	memset(&h, 0, sizeof(h));
	if ((rc = cmd_bundle_network(&c, h.network_id)) != 0)
		return rc;
	if (strlen(file) >= CLI_PATH_MAX)
		return cli_error(&c, CLI_EXIT_USAGE, _("%s: path too long"),
		    file);
	snprintf(tmp, sizeof(cmd_export_tmp), "%s.XXXXXX", file);
	/* A directory that is not there is a wrong FILE (64), as for
	 * amie backup. */
	if ((fd = mkstemp(tmp)) < 0)
		return cli_error(&c,
		    errno == EACCES ? CLI_EXIT_NOPERM :
		    errno == ENOENT || errno == ENOTDIR ? CLI_EXIT_USAGE :
		    CLI_EXIT_TEMPFAIL, "%s: %s", file, strerror(errno));
	cmd_export_guard(1);
	fchmod(fd, 0600);
	bundle_header_encode(&h, head);
	if (cmd_bundle_write(fd, head, sizeof(head)) != 0)
		rc = cli_error(&c, CLI_EXIT_TEMPFAIL,
		    _("cannot write the bundle: %s"), strerror(errno));
	while (rc == 0 && !done)
		rc = cmd_export_page(&c, fd, cursor, &has_cursor, since, kind,
		    &count, &bytes, &done);
	/* The count is known now: the header goes last. */
	h.count = count;
	bundle_header_encode(&h, head);
	if (rc == 0 &&
	    (pwrite(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
		fsync(fd) != 0))
		rc = cli_error(&c, CLI_EXIT_TEMPFAIL,
		    _("cannot write the bundle: %s"), strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = cli_error(&c, CLI_EXIT_TEMPFAIL,
		    _("cannot write the bundle: %s"), strerror(errno));
	if (rc == 0 && (force ? rename(tmp, file) : link(tmp, file)) != 0)
		rc = cli_error(&c,
		    errno == EEXIST ? CLI_EXIT_USAGE : CLI_EXIT_TEMPFAIL,
		    "%s: %s", file, strerror(errno));
	unlink(tmp);
	cmd_export_guard(0);
	if (rc != 0)
		return rc;
	if (c.json) {
		json_t *j = json_pack("{s:i, s:I, s:o, s:I}", "schema", 1,
		    "bytes", (json_int_t)bytes, "path", cli_json_text(file),
		    "records", (json_int_t)count);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		fprintf(stderr, _("amie export: %u records written to %s\n"),
		    count, file);
	}
	return 0;
}

/* One record of the bundle, in import order. */
struct cmd_import_rec {
	const uint8_t *buf;
	size_t len;
	uint32_t index; /* in the bundle, from 0 */
};

struct cmd_import {
	const struct cli *c;
	uint64_t stored, known, refused;
	json_t *refusals;
	struct progress p;	/* on a terminal: records sent so far */
	uint64_t sent;
	struct cmd_import_rec *batch;	/* CMD_BUNDLE_BATCH_COUNT of them */
};

/* Membership records go first, so that a new member's records are not
 * refused for arriving before its admission. */
static int
cmd_import_is_membership(const uint8_t *buf, size_t len)
{
	struct record_header h;
	struct record r;

	if (record_decode(&r, buf, len, NULL) != 0 ||
	    record_header_decode(&h, r.header, r.header_len, NULL) != 0)
		return 0;
	return strcmp(h.kind, "charter") == 0 ||
	    strcmp(h.kind, "member.add") == 0 ||
	    strcmp(h.kind, "member.remove") == 0 ||
	    strcmp(h.kind, "node.info") == 0;
}

/* Ingest recs[0, n) in one request and count what happened. */
static int
cmd_import_batch(struct cmd_import *im, const struct cmd_import_rec *recs,
    size_t n)
{
	struct cli_reply r;
	struct errbuf eb;
	struct mpw req;
	struct mpr rd;
	uint32_t count;
	int rc;

	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 3);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "ingest");
	mpw_cstr(&req, "quiet");
	mpw_bool(&req, 1);
	mpw_cstr(&req, "records");
	mpw_array(&req, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		mpw_bin(&req, recs[i].buf, recs[i].len);
	errbuf_clear(&eb);
	rc = cli_call(im->c, &req, &r, &eb);
	mpw_release(&req);
	if (rc != 0)
		return cli_fail(im->c, &eb);
	if (mpmap_reader(&r.m, "results", &rd, &eb) != 0 ||
	    mpr_array(&rd, &count, UINT32_MAX, "results", &eb) != 0 ||
	    count != n) {
		cli_reply_release(&r);
		return cli_error(im->c, CLI_EXIT_DATAERR,
		    _("malformed reply from amied"));
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *start = rd.p;
		char id[2 * RECORD_ID_LEN + 1], error[ERRBUF_LEN];
		struct mpmap m;
		int stored = 0;

		if (mpr_skip(&rd, MP_DEPTH_MAX, "results", NULL) != 0 ||
		    mpmap_decode(&m, start, (size_t)(rd.p - start), "results",
			NULL) != 0)
			break;
		if (mpmap_cstr(&m, "error", error, sizeof(error), NULL) != 0) {
			(void)mpmap_bool(&m, "stored", &stored, NULL);
			if (stored)
				im->stored++;
			else
				im->known++;
			continue;
		}
		im->refused++;
		if (mpmap_cstr(&m, "id", id, sizeof(id), NULL) != 0)
			id[0] = '\0';
		if (im->c->json) {
			if (im->refused <= CMD_BUNDLE_REFUSALS_MAX)
				json_array_append_new(im->refusals,
				    json_pack("{s:I, s:s, s:s}", "index",
					(json_int_t)recs[i].index, "id", id,
					"error", error));
		} else {
			fprintf(stderr,
			    _("amie import: record %u (%.16s): "
			      "refused: %s\n"),
			    recs[i].index, id[0] ? id : "?", error);
		}
	}
	cli_reply_release(&r);
	return 0;
}

/*
 * Send the membership records of the bundle r reads (membership 1), or
 * the others, in batches bounded in bytes and count: what is held at once
 * is one batch, whatever count the bundle announces.  Where the framing
 * is lost, the rest is not read and damage (if not NULL) says why.
 */
static int
cmd_import_pass(struct cmd_import *im, struct bundle_reader *r,
    int membership, char damage[ERRBUF_LEN])
{
	size_t n = 0, bytes = 0, len = 0;
	const uint8_t *rec;
	struct errbuf eb;
	int rc, end;

	for (;;) {
		end = bundle_next(r, &rec, &len, &eb);
		if (end == 0 && cmd_import_is_membership(rec, len) != membership)
			continue;
		if (n > 0 && (end != 0 || n == CMD_BUNDLE_BATCH_COUNT ||
		    bytes + len + 8 > CMD_BUNDLE_BATCH_BYTES)) {
			if ((rc = cmd_import_batch(im, im->batch, n)) != 0)
				return rc;
			im->sent += n;
			progress_update(&im->p, im->sent);
			n = bytes = 0;
		}
		if (end != 0) {
			if (end != AMIE_ENOTFOUND && damage != NULL)
				snprintf(damage, ERRBUF_LEN, "%s", eb.msg);
			return 0;
		}
		im->batch[n++] = (struct cmd_import_rec){ rec, len,
		    r->index - 1 };
		bytes += len + 8;
	}
}

int
cmd_import_main(int argc, char **argv)
{
	struct cli c = { .prog = "amie import" };
	char damage[ERRBUF_LEN] = "";
	const char *file;
	uint8_t net[32];
	struct cmd_import im;
	struct bundle_reader br;
	struct bundle_header h;
	struct errbuf eb;
	struct stat sb;
	void *map;
	int fd, rc;

	if ((rc = cmd_bundle_opts(&c, argc, argv, _(CMD_IMPORT_USAGE), 0, NULL,
		 NULL, NULL)) >= 0)
		return rc;
	file = argv[optind];
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_error(&c,
		    errno == EACCES ? CLI_EXIT_NOPERM : CLI_EXIT_DATAERR,
		    "%s: %s", file, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < BUNDLE_HEADER_LEN) {
		close(fd);
		return cli_error(&c, CLI_EXIT_DATAERR,
		    _("%s: not an amie bundle"), file);
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return cli_error(&c, CLI_EXIT_TEMPFAIL, "%s: %s", file,
		    strerror(errno));
	errbuf_clear(&eb);
	if (bundle_open(&br, &h, map, (size_t)sb.st_size, &eb) != 0) {
		munmap(map, (size_t)sb.st_size);
		return cli_error(&c, CLI_EXIT_DATAERR, "%s: %s", file, eb.msg);
	}
	if ((rc = cmd_bundle_network(&c, net)) != 0) {
		munmap(map, (size_t)sb.st_size);
		return rc;
	}
	if (sodium_memcmp(net, h.network_id, 32) != 0) {
		munmap(map, (size_t)sb.st_size);
		return cli_error(&c, CLI_EXIT_DATAERR,
		    _("%s: a bundle of another federation; nothing imported"),
		    file);
	}
	/* Membership records first, then the others, each in file order. */
	memset(&im, 0, sizeof(im));
	im.c = &c;
	im.refusals = json_array();
	im.batch = xcalloc(CMD_BUNDLE_BATCH_COUNT, sizeof(*im.batch));
	progress_start(&im.p, _("importing"), _("records"), h.count, 0);
	rc = cmd_import_pass(&im, &br, 1, damage);
	if (rc == 0) {
		bundle_open(&br, &h, map, (size_t)sb.st_size, NULL);
		rc = cmd_import_pass(&im, &br, 0, NULL);
	}
	progress_end(&im.p);
	free(im.batch);
	munmap(map, (size_t)sb.st_size);
	if (rc != 0) {
		json_decref(im.refusals);
		return rc;
	}
	if (c.json) {
		json_t *j = json_pack("{s:i, s:I, s:I, s:I, s:I, s:o, s:s?}",
		    "schema", 1, "records", (json_int_t)h.count, "new",
		    (json_int_t)im.stored, "known", (json_int_t)im.known,
		    "refused", (json_int_t)im.refused, "refusals", im.refusals,
		    "damaged", damage[0] ? damage : NULL);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		json_decref(im.refusals);
		if (damage[0] != '\0')
			fprintf(stderr,
			    _("amie import: %s: %s; the records "
			      "after it were not read\n"),
			    file, damage);
		printf(_("%llu new, %llu known, %llu refused\n"),
		    (unsigned long long)im.stored, (unsigned long long)im.known,
		    (unsigned long long)im.refused);
	}
	return im.refused > 0 || damage[0] != '\0' ? CLI_EXIT_DATAERR : 0;
}
