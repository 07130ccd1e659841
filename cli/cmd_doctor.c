/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amie doctor: look at a node the way its technician would, and print
 * each problem with the command that fixes it.  The files are looked at
 * here; what only the daemon knows (its endpoints, the LMDB environment,
 * the clocks of the records, its peers and their clocks) comes from
 * "doctor", "status" and "peers" requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/i18n.h"
#include "cli/request.h"
#include "proto/keyfile.h"
#include "proto/record.h"

#define CMD_DOCTOR_CONNECT_MS 2000
#define CMD_DOCTOR_EXIT_PROBLEMS 1		  /* amie(1): problems found */
#define CMD_DOCTOR_DISK_MIN ((uint64_t)256 << 20) /* bytes free */
#define CMD_DOCTOR_SKEW_MAX_MS 60000	/* a peer's clock off by more */

#define CMD_DOCTOR_USAGE \
	N_("usage: amie doctor [--json] [--dir DIR]\n" \
	   "Look for problems: permissions, key file, daemon, listen port,\n" \
	   "disk and map usage, stale readers, clocks, peers.  Each problem\n" \
	   "comes with the command that fixes it.  Exit 0 when healthy, 1 " \
	   "when\n" \
	   "a problem was found.\n")

struct cmd_doctor {
	struct cli *c;
	json_t *checks;
	unsigned problems;
	unsigned clock_problems;	/* records ahead, peers' clocks off */
	unsigned clocks_known;		/* peers whose clock we know */
};

/* Record one finding: status "ok", "problem" or "skipped".  Returns its
 * JSON object, borrowed from d->checks, for more fields. */
static json_t *cmd_doctor_add(struct cmd_doctor *d, const char *name,
    const char *status, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static json_t *
cmd_doctor_add(struct cmd_doctor *d, const char *name, const char *status,
    const char *fix, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *check;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(status, "problem") == 0)
		d->problems++;
	check = json_pack("{s:s, s:s, s:o, s:o?}", "name", name, "status",
	    status, "message", cli_json_text(msg), "fix",
	    fix != NULL ? cli_json_text(fix) : NULL);
	json_array_append_new(d->checks, check);
	if (d->c->json)
		return check;
	printf("%-8s %-10s %s\n",
	    strcmp(status, "ok") == 0	       ? _("ok") :
		strcmp(status, "problem") == 0 ? _("PROBLEM") :
						 _("skipped"),
	    name, msg);
	if (fix != NULL)
		printf("%-8s %-10s %s %s\n", "", "", _("fix:"), fix);
	return check;
}

/* The directory and node.key: modes and the key itself. */
static int
cmd_doctor_files(struct cmd_doctor *d)
{
	char path[CLI_PATH_MAX + 32], fix[CLI_PATH_MAX + 64];
	char buf[KEYFILE_LEN + 1];
	uint8_t seed[KEYFILE_SEED_LEN];
	const char *dir = d->c->dir;
	struct stat sb;
	ssize_t len;
	int fd, rc;

	/* A node of another user is there: creating one is not the fix. */
	if (stat(dir, &sb) != 0 && errno == EACCES) {
		cmd_doctor_add(d, "directory", "problem",
		    _("run amie as the user that owns the node directory"),
		    "%s: %s", dir, strerror(EACCES));
		return -1;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(fix, sizeof(fix), "amie init --dir %s --name NAME",
		    dir);
		cmd_doctor_add(d, "directory", "problem", fix,
		    _("%s: no node directory here"), dir);
		return -1;
	}
	if (sb.st_mode & 077) {
		snprintf(fix, sizeof(fix), "chmod 700 %s", dir);
		cmd_doctor_add(d, "directory", "problem", fix,
		    _("%s: mode %o lets others in; amied refuses to start"),
		    dir, (unsigned)(sb.st_mode & 0777));
	} else {
		cmd_doctor_add(d, "directory", "ok", NULL, _("%s: mode %o"),
		    dir, (unsigned)(sb.st_mode & 0777));
	}
	snprintf(path, sizeof(path), "%s/node.key", dir);
	if (stat(path, &sb) != 0 && errno == EACCES) {
		cmd_doctor_add(d, "key", "problem",
		    _("run amie as the user that owns the node directory"),
		    "%s: %s", path, strerror(EACCES));
		return 0;
	}
	if (stat(path, &sb) != 0) {
		snprintf(fix, sizeof(fix),
		    _("copy your saved node.key to %s "
		      "(mode 600), or amie init a new node"),
		    path);
		cmd_doctor_add(d, "key", "problem", fix, "%s: %s", path,
		    strerror(errno));
		return 0;
	}
	if (sb.st_mode & 077) {
		snprintf(fix, sizeof(fix), "chmod 600 %s", path);
		cmd_doctor_add(d, "key", "problem", fix,
		    _("%s: mode %o lets others read the secret key"), path,
		    (unsigned)(sb.st_mode & 0777));
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cmd_doctor_add(d, "key", "problem",
		    _("run amie as the user that owns the node directory"),
		    "%s: %s", path, strerror(errno));
		return 0;
	}
	len = read(fd, buf, sizeof(buf));
	close(fd);
	rc = keyfile_parse(seed, buf, len > 0 ? (size_t)len : 0, NULL);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(seed, sizeof(seed));
	if (rc != 0) {
		snprintf(fix, sizeof(fix),
		    _("copy your saved node.key to %s "
		      "(mode 600)"),
		    path);
		cmd_doctor_add(d, "key", "problem", fix,
		    _("%s: not a valid key file"), path);
	} else {
		cmd_doctor_add(d, "key", "ok", NULL, _("%s: mode %o, valid"),
		    path, (unsigned)(sb.st_mode & 0777));
	}
	return 0;
}

/* One request without arguments; 0 with r filled, or -1. */
static int
cmd_doctor_call(struct cmd_doctor *d, const char *cmd, struct cli_reply *r,
    struct errbuf *eb)
{
	struct mpw req;
	int rc;

	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 1);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, cmd);
	errbuf_clear(eb);
	rc = cli_call(d->c, &req, r, eb);
	mpw_release(&req);
	return rc == 0 ? 0 : -1;
}

/* Can a TCP connection be opened to the host and port of a tcp://
 * endpoint (a wildcard host meaning this machine)?  0, or -1 with why. */
static int
cmd_doctor_connect(const char *endpoint, char *why, size_t cap)
{
	char host[256], *colon;
	struct addrinfo hints, *ai, *p;
	int rc = -1, e;

	if (strncmp(endpoint, "tcp://", 6) != 0 ||
	    snprintf(host, sizeof(host), "%s", endpoint + 6) >=
		(int)sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL) {
		snprintf(why, cap, _("not a tcp://HOST:PORT endpoint"));
		return -1;
	}
	*colon = '\0';
	if (strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (strcmp(host, "[::]") == 0 || strcmp(host, "::") == 0)
		snprintf(host, sizeof(host), "::1");
	else if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(why, cap, "%s: %s", host, gai_strerror(e));
		return -1;
	}
	snprintf(why, cap, _("no address"));
	for (p = ai; p != NULL && rc != 0; p = p->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(e);
		int fd = socket(p->ai_family,
		    p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    p->ai_protocol);

		if (fd < 0)
			continue;
		e = 0;
		if (connect(fd, p->ai_addr, p->ai_addrlen) != 0) {
			e = errno;
			if (e == EINPROGRESS) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				if (poll(&pfd, 1, CMD_DOCTOR_CONNECT_MS) != 1)
					e = ETIMEDOUT;
				else if (getsockopt(fd, SOL_SOCKET, SO_ERROR,
					     &e, &sl) != 0)
					e = errno;
			}
		}
		close(fd);
		if (e == 0)
			rc = 0;
		else
			snprintf(why, cap, "%s", strerror(e));
	}
	freeaddrinfo(ai);
	return rc;
}

/* The endpoints amied listens on and advertises. */
static void
cmd_doctor_ports(struct cmd_doctor *d, const struct cli_reply *r)
{
	char listen[512], adv[512], why[256], fix[1024];

	cli_reply_str(r, "listen", listen, sizeof(listen));
	cli_reply_str(r, "advertise", adv, sizeof(adv));
	if (cmd_doctor_connect(listen, why, sizeof(why)) != 0) {
		snprintf(fix, sizeof(fix),
		    _("check listen in %s/amied.conf "
		      "and that no local firewall rule blocks its port; then "
		      "restart amied"),
		    d->c->dir);
		cmd_doctor_add(d, "listen", "problem", fix,
		    _("amied listens on %s but a connection to it fails: %s"),
		    listen, why);
	} else {
		cmd_doctor_add(d, "listen", "ok", NULL,
		    _("%s accepts connections"), listen);
	}
	if (adv[0] == '\0' || strcmp(adv, listen) == 0)
		return;
	if (cmd_doctor_connect(adv, why, sizeof(why)) != 0) {
		snprintf(fix, sizeof(fix),
		    _("open the port of %s to the "
		      "other Amies (firewall, NAT port forward), or correct "
		      "advertise in %s/amied.conf"),
		    adv, d->c->dir);
		cmd_doctor_add(d, "advertise", "problem", fix,
		    _("the advertised endpoint %s does not answer from "
		      "here: %s"),
		    adv, why);
	} else {
		cmd_doctor_add(d, "advertise", "ok", NULL,
		    _("%s accepts connections"), adv);
	}
}

/* Disk, map and reader slots. */
static void
cmd_doctor_store(struct cmd_doctor *d, const struct cli_reply *r)
{
	uint64_t used = cli_reply_uint(r, "used_bytes");
	uint64_t map = cli_reply_uint(r, "map_bytes");
	uint64_t max = cli_reply_uint(r, "max_bytes");
	uint64_t rused = cli_reply_uint(r, "readers_used");
	uint64_t rmax = cli_reply_uint(r, "readers_max");
	uint64_t stale = cli_reply_uint(r, "stale_cleared");
	uint64_t need = used > CMD_DOCTOR_DISK_MIN ? used : CMD_DOCTOR_DISK_MIN;
	char fix[CLI_PATH_MAX + 128];
	struct statvfs vfs;

	if (max > 0 && used > max / 10 * 9)
		cmd_doctor_add(d, "map", "problem",
		    _("export what is old to a bundle and start a new store"),
		    _("the store uses %llu MiB of its %llu MiB maximum"),
		    (unsigned long long)(used >> 20),
		    (unsigned long long)(max >> 20));
	else
		cmd_doctor_add(d, "map", "ok", NULL,
		    _("%llu MiB in use of a %llu MiB map (it grows by "
		      "doubling)"),
		    (unsigned long long)(used >> 20),
		    (unsigned long long)(map >> 20));
	if (statvfs(d->c->dir, &vfs) == 0) {
		uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;

		snprintf(fix, sizeof(fix),
		    _("free space on the filesystem of "
		      "%s (df -h %s)"),
		    d->c->dir, d->c->dir);
		if (avail < need)
			cmd_doctor_add(d, "disk", "problem", fix,
			    _("%llu MiB free, the store needs room for %llu "
			      "MiB more to grow and to be backed up"),
			    (unsigned long long)(avail >> 20),
			    (unsigned long long)(need >> 20));
		else
			cmd_doctor_add(d, "disk", "ok", NULL,
			    _("%llu MiB free"),
			    (unsigned long long)(avail >> 20));
	}
	if (rmax > 0 && rused > rmax / 10 * 9)
		cmd_doctor_add(d, "readers", "problem",
		    _("restart amied (systemctl restart amied)"),
		    _("%llu of %llu LMDB reader slots taken"),
		    (unsigned long long)rused, (unsigned long long)rmax);
	else
		cmd_doctor_add(d, "readers", "ok", NULL,
		    _("%llu of %llu reader slots taken; %llu stale slots of "
		      "crashed processes cleared now"),
		    (unsigned long long)rused, (unsigned long long)rmax,
		    (unsigned long long)stale);
}

static struct cmd_doctor *cmd_doctor_cur;

static const char *const cmd_doctor_clock_fix =
    N_("timedatectl status: if the clock is not synchronized, "
    "timedatectl set-ntp true; if it is, it was ahead before and the "
    "dates catch up by themselves");

/* One member whose records are dated ahead of our clock. */
static void
cmd_doctor_clock_row(const struct mpmap *m)
{
	struct cmd_doctor *d = cmd_doctor_cur;
	char id[80] = "", name[160] = "";
	uint64_t ahead = 0;
	int self = 0;

	(void)mpmap_cstr(m, "id", id, sizeof(id), NULL);
	(void)mpmap_cstr(m, "name", name, sizeof(name), NULL);
	(void)mpmap_uint(m, "ahead_ms", &ahead, NULL);
	(void)mpmap_bool(m, "self", &self, NULL);
	d->clock_problems++;
	/* The clock went back: writes go on, dated after the last record
	 * (node_write()), which peers take once it is within
	 * RECORD_FUTURE_MAX_MS of their clocks. */
	if (self && ahead > RECORD_FUTURE_MAX_MS)
		cmd_doctor_add(d, "clock", "problem", _(cmd_doctor_clock_fix),
		    _("this machine's clock is %llu s behind the last record "
		      "this node wrote: new records are dated after it, and "
		      "a peer takes them only when they are at most 10 "
		      "minutes ahead of its clock"),
		    (unsigned long long)(ahead / 1000));
	else if (self)
		cmd_doctor_add(d, "clock", "problem", _(cmd_doctor_clock_fix),
		    _("this machine's clock is %llu s behind the last record "
		      "this node wrote: new records are dated after it"),
		    (unsigned long long)(ahead / 1000));
	else
		cmd_doctor_add(d, "clock", "problem",
		    _("compare the clocks on both machines (timedatectl "
		      "status) and enable NTP where it is off"),
		    _("records of %s (%.7s) are dated %llu s ahead of this "
		      "machine's clock: one of the two clocks is wrong"),
		    name, id, (unsigned long long)(ahead / 1000));
}

/* Walk the array field key of r: fn for each map in it; the count. */
static uint32_t
cmd_doctor_each(const struct cli_reply *r, const char *key,
    void (*fn)(const struct mpmap *m))
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
		fn(&m);
	}
	return i;
}

/* Ids of the peers with a connected link: their other links (one each
 * way, the second often still connecting) are no problem. */
#define CMD_DOCTOR_CONNECTED_MAX 256
static char cmd_doctor_connected[CMD_DOCTOR_CONNECTED_MAX][80];
static size_t cmd_doctor_connected_count;

static void
cmd_doctor_connected_row(const struct mpmap *m)
{
	char state[32] = "";

	(void)mpmap_cstr(m, "state", state, sizeof(state), NULL);
	if (strcmp(state, "connected") != 0 ||
	    cmd_doctor_connected_count == CMD_DOCTOR_CONNECTED_MAX)
		return;
	(void)mpmap_cstr(m, "id",
	    cmd_doctor_connected[cmd_doctor_connected_count],
	    sizeof(cmd_doctor_connected[0]), NULL);
	cmd_doctor_connected_count++;
}

static int
cmd_doctor_is_connected(const char *id)
{
	for (size_t i = 0; i < cmd_doctor_connected_count; i++)
		if (strcmp(cmd_doctor_connected[i], id) == 0)
			return 1;
	return 0;
}

/* Ids of the peers whose clock was looked at: once each, though a peer
 * may have two links that both know it. */
static char cmd_doctor_clocked[CMD_DOCTOR_CONNECTED_MAX][80];
static size_t cmd_doctor_clocked_count;

/* The clock of the peer of one row, when its PINGs told it. */
static void
cmd_doctor_skew_row(const struct mpmap *m)
{
	struct cmd_doctor *d = cmd_doctor_cur;
	char name[160] = "", id[80] = "";
	unsigned long long s;
	int64_t skew;
	json_t *check;

	if (mpmap_get(m, "clock_skew_ms") == NULL)
		return;
	(void)mpmap_cstr(m, "name", name, sizeof(name), NULL);
	(void)mpmap_cstr(m, "id", id, sizeof(id), NULL);
	for (size_t i = 0; i < cmd_doctor_clocked_count; i++)
		if (strcmp(cmd_doctor_clocked[i], id) == 0)
			return;
	if (cmd_doctor_clocked_count < CMD_DOCTOR_CONNECTED_MAX)
		snprintf(cmd_doctor_clocked[cmd_doctor_clocked_count++],
		    sizeof(cmd_doctor_clocked[0]), "%s", id);
	d->clocks_known++;
	skew = request_int(m, "clock_skew_ms");
	if (skew >= -CMD_DOCTOR_SKEW_MAX_MS && skew <= CMD_DOCTOR_SKEW_MAX_MS)
		return;
	s = (unsigned long long)(skew < 0 ? -(skew / 1000) : skew / 1000);
	d->clock_problems++;
	if (skew > 0)
		check = cmd_doctor_add(d, "clock", "problem",
		    _("install and enable systemd-timesyncd or chrony on the "
		      "node whose clock is wrong (timedatectl status on both "
		      "says which)"),
		    _("the clock of %s (%.7s) is %llu s ahead of this "
		      "machine's: one of the two clocks is wrong"),
		    name, id, s);
	else
		check = cmd_doctor_add(d, "clock", "problem",
		    _("install and enable systemd-timesyncd or chrony on the "
		      "node whose clock is wrong (timedatectl status on both "
		      "says which)"),
		    _("the clock of %s (%.7s) is %llu s behind this "
		      "machine's: one of the two clocks is wrong"),
		    name, id, s);
	json_object_set_new(check, "peer", json_string(id));
	json_object_set_new(check, "clock_skew_ms", json_integer(skew));
}

/* The clock is fine when nothing above said otherwise. */
static void
cmd_doctor_clock_ok(struct cmd_doctor *d)
{
	if (d->clock_problems > 0)
		return;
	if (d->clocks_known == 0)
		cmd_doctor_add(d, "clock", "ok", NULL,
		    _("no member's records are dated ahead of this clock (no "
		      "peer has sent its clock yet: each sends it on the "
		      "links it opens, every 10 s)"));
	else
		cmd_doctor_add(d, "clock", "ok", NULL,
		    _("no member's records are dated ahead of this clock, and "
		      "the clocks of the peers known (%u) are within %d s of "
		      "it"),
		    d->clocks_known, CMD_DOCTOR_SKEW_MAX_MS / 1000);
}

/* One row of peers: a link or a backed-off key. */
static void
cmd_doctor_peer_row(const struct mpmap *m)
{
	struct cmd_doctor *d = cmd_doctor_cur;
	char state[32] = "", name[160] = "", id[80] = "", err[512] = "";
	char ep[512] = "", fix[1024];

	(void)mpmap_cstr(m, "state", state, sizeof(state), NULL);
	(void)mpmap_cstr(m, "name", name, sizeof(name), NULL);
	(void)mpmap_cstr(m, "id", id, sizeof(id), NULL);
	(void)mpmap_cstr(m, "last_error", err, sizeof(err), NULL);
	(void)mpmap_cstr(m, "endpoint", ep, sizeof(ep), NULL);
	if (strcmp(state, "connected") == 0) {
		cmd_doctor_add(d, "peer", "ok", NULL, _("%s (%.7s) connected"),
		    name, id);
		return;
	}
	if (id[0] != '\0' && cmd_doctor_is_connected(id))
		return;
	snprintf(fix, sizeof(fix),
	    _("check that amied runs at %s and that "
	      "%s is reachable from here (amie peers shows the state)"),
	    name[0] ? name : id, ep[0] ? ep : _("its endpoint"));
	cmd_doctor_add(d, "peer", "problem", fix, _("%s (%.7s) is %s%s%s"),
	    name, id, state, err[0] ? ": " : "", err);
}

int
cmd_doctor_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = "amie doctor" };
	char fix[CLI_PATH_MAX + 128];
	struct cmd_doctor d;
	struct cli_reply r;
	struct errbuf eb;
	uint64_t members = 0;
	uint32_t rows;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.dir_opt = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': fputs(_(CMD_DOCTOR_USAGE), stdout); return 0;
		default:
			fputs(_(CMD_DOCTOR_USAGE), stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(_(CMD_DOCTOR_USAGE), stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_dir(&c) != 0)
		return CLI_EXIT_USAGE;
	memset(&d, 0, sizeof(d));
	d.c = &c;
	d.checks = json_array();
	cmd_doctor_cur = &d;
	if (cmd_doctor_files(&d) != 0)
		goto out;
	if (cmd_doctor_call(&d, "status", &r, &eb) != 0) {
		snprintf(fix, sizeof(fix),
		    _("systemctl start amied, or "
		      "amied --dir %s"),
		    c.dir);
		cmd_doctor_add(&d, "daemon", "problem",
		    eb.code == AMIE_EUNAVAIL ? fix : NULL, "%s", eb.msg);
		cmd_doctor_add(&d, "store", "skipped", NULL,
		    _("needs the running daemon: listen port, map, readers, "
		      "clocks and peers not looked at"));
		goto out;
	}
	members = cli_reply_uint(&r, "members");
	cmd_doctor_add(&d, "daemon", "ok", NULL,
	    _("amied answers (%llu "
	      "records, %llu members)"),
	    (unsigned long long)cli_reply_uint(&r, "records"),
	    (unsigned long long)members);
	cli_reply_release(&r);
	{
		char path[CLI_PATH_MAX + 16];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/amied.sock", c.dir);
		if (stat(path, &sb) == 0 && (sb.st_mode & 077)) {
			snprintf(fix, sizeof(fix), "chmod 600 %s", path);
			cmd_doctor_add(&d, "socket", "problem", fix,
			    _("%s: mode %o lets others send commands"), path,
			    (unsigned)(sb.st_mode & 0777));
		}
	}
	if (cmd_doctor_call(&d, "doctor", &r, &eb) != 0) {
		cmd_doctor_add(&d, "store", "problem", NULL, "%s", eb.msg);
		goto out;
	}
	cmd_doctor_ports(&d, &r);
	cmd_doctor_store(&d, &r);
	(void)cmd_doctor_each(&r, "clock", cmd_doctor_clock_row);
	cli_reply_release(&r);
	if (cmd_doctor_call(&d, "peers", &r, &eb) != 0) {
		cmd_doctor_clock_ok(&d);
		cmd_doctor_add(&d, "peer", "problem", NULL, "%s", eb.msg);
		goto out;
	}
	cmd_doctor_clocked_count = 0;
	(void)cmd_doctor_each(&r, "peers", cmd_doctor_skew_row);
	cmd_doctor_clock_ok(&d);
	cmd_doctor_connected_count = 0;
	(void)cmd_doctor_each(&r, "peers", cmd_doctor_connected_row);
	rows = cmd_doctor_each(&r, "peers", cmd_doctor_peer_row);
	cli_reply_release(&r);
	if (rows == 0 && members > 1)
		cmd_doctor_add(&d, "peer", "problem",
		    _("check this machine's network, then amie sync; amie "
		      "members lists their endpoints"),
		    _("%llu members but no peer known"),
		    (unsigned long long)members);
out:
	if (c.json) {
		json_t *j = json_pack("{s:i, s:b, s:I, s:o}", "schema", 1,
		    "healthy", d.problems == 0, "problems",
		    (json_int_t)d.problems, "checks", d.checks);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		json_decref(d.checks);
		if (d.problems == 0)
			printf(_("healthy\n"));
		else
			printf(_("%u problems\n"), d.problems);
	}
	return d.problems == 0 ? 0 : CMD_DOCTOR_EXIT_PROBLEMS;
}
