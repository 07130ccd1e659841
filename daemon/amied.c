/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amied: the node daemon.  Runs in the foreground, logs to stderr with
 * priority prefixes, tells systemd when it is ready, reloads amied.conf
 * on SIGHUP, and on SIGTERM or SIGINT finishes the request (and so the
 * transaction) in progress and exits 0.  It exits non-zero only when it
 * cannot start.  `amied -t` checks the configuration and `amied -T`
 * prints it, defaults included, without starting the node.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <systemd/sd-daemon.h>
#include <zmq.h>

#include "daemon/admin.h"
#include "daemon/control.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/node.h"
#include "daemon/reload.h"
#include "proto/nodeid.h"

#define AMIED_EXIT_USAGE 64
#define AMIED_EXIT_UNAVAILABLE 69
#define AMIED_EXIT_TEMPFAIL 75
#define AMIED_EXIT_NOPERM 77
#define AMIED_EXIT_CONFIG 78

static void
amied_usage(FILE *f)
{
	fprintf(f,
	    "usage: amied [-t | -T] [--dir DIR]\n"
	    "       amied [--dir DIR] --restore FILE [--force]\n"
	    "Run the amie node of DIR in the foreground.\n"
	    "  -t, --check-config  check DIR/amied.conf and exit, 78 on an "
	    "error\n"
	    "  -T, --print-config  print the configuration in effect and exit\n"
	    "DIR defaults to $AMIE_DIR, then $XDG_DATA_HOME/amie, then\n"
	    "$HOME/.local/share/amie.\n"
	    "SIGHUP reloads amied.conf; amied(8) tells more.\n");
}

static int
amied_exit_code(int code)
{
	switch (code) {
	case AMIE_EPERM:
		return AMIED_EXIT_NOPERM;
	case AMIE_EAGAIN:
	case AMIE_EIO:
		return AMIED_EXIT_TEMPFAIL;
	default:
		return AMIED_EXIT_CONFIG;
	}
}

/* The node directory: --dir, $AMIE_DIR, $XDG_DATA_HOME/amie,
 * ~/.local/share/amie. */
static int
amied_dir(char *out, size_t cap, const char *opt)
{
	const char *env = getenv("AMIE_DIR"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (opt != NULL)
		n = snprintf(out, cap, "%s", opt);
	else if (env != NULL && env[0] != '\0')
		n = snprintf(out, cap, "%s", env);
	else if (xdg != NULL && xdg[0] != '\0')
		n = snprintf(out, cap, "%s/amie", xdg);
	else if (home != NULL)
		n = snprintf(out, cap, "%s/.local/share/amie", home);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* amied -t and -T: check or print DIR/amied.conf. */
static int
amied_config(const char *dir, int print)
{
	char path[NODE_PATH_MAX + sizeof(NODE_CONF_FILE) + 1];
	struct config conf;
	struct errbuf eb;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, NODE_CONF_FILE);
	errbuf_clear(&eb);
	if ((rc = config_load(&conf, path, &eb)) != 0) {
		fprintf(stderr, "amied: %s\n", eb.msg);
		return amied_exit_code(rc);
	}
	if (print)
		config_print(&conf, stdout);
	else
		fprintf(stderr, "amied: %s: configuration ok\n", path);
	return fflush(stdout) == 0 ? 0 : AMIED_EXIT_TEMPFAIL;
}

static int
amied_run(struct node *n, struct control *ctl, int sigfd)
{
	zmq_pollitem_t items[2 + NET_POLL_MAX];
	uint64_t next_tick = 0, last_guard = 0;
	int busy = 0;

	for (;;) {
		size_t count;
		uint64_t now = node_mono_ms(), wake;

		/* The guard's period shortens when net_handle() alerts it. */
		if (now >= last_guard + net_guard_ms(n->net)) {
			net_guard(n->net);
			last_guard = now;
		}
		if (now >= next_tick) {
			net_tick(n->net);
			next_tick = now + NET_TICK_MS;
		}
		wake = last_guard + net_guard_ms(n->net);
		if (wake > next_tick)
			wake = next_tick;
		items[0] = (zmq_pollitem_t){ control_socket(ctl), 0,
		    ZMQ_POLLIN, 0 };
		items[1] = (zmq_pollitem_t){ NULL, sigfd, ZMQ_POLLIN, 0 };
		count = 2 + net_poll_items(n->net, items + 2, NET_POLL_MAX);
		now = node_mono_ms();
		if (zmq_poll(items, (int)count,
		    busy || wake <= now ? 0 : (long)(wake - now)) < 0) {
			if (zmq_errno() == EINTR)
				continue;
			log_msg(LOG_ERR, "poll: %s", zmq_strerror(zmq_errno()));
			return 1;
		}
		/* The control socket first: a person is waiting. */
		if (items[0].revents & ZMQ_POLLIN)
			control_serve(ctl);
		net_handle(n->net, items + 2, count - 2);
		admin_tick(n, 0);
		busy = net_ingest_step(n->net);
		if (items[1].revents & ZMQ_POLLIN) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				struct errbuf eb;

				log_msg(LOG_NOTICE, "SIGHUP: reloading %s",
				    NODE_CONF_FILE);
				errbuf_clear(&eb);
				reload_run(n, NULL, &eb);
				continue;
			}
			log_msg(LOG_NOTICE, "%s: stopping",
			    strsignal((int)si.ssi_signo));
			return 0;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 't' },
		{ "print-config", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "restore", required_argument, NULL, 'R' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *restore = NULL;
	int force = 0;
	char dir[NODE_PATH_MAX], id[NODEID_LEN + 1];
	const char *dir_opt = NULL;
	struct control *ctl = NULL;
	struct net *net = NULL;
	struct errbuf eb;
	struct node n;
	sigset_t mask;
	void *zctx;
	int c, sigfd, rc, config_only = 0;

	while ((c = getopt_long(argc, argv, "d:htT", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir_opt = optarg;
			break;
		case 't':
		case 'T':
			config_only = c;
			break;
		case 'h':
			amied_usage(stdout);
			return 0;
		case 'R':
			restore = optarg;
			break;
		case 'F':
			force = 1;
			break;
		default:
			amied_usage(stderr);
			return AMIED_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		amied_usage(stderr);
		return AMIED_EXIT_USAGE;
	}
	if (amied_dir(dir, sizeof(dir), dir_opt) != 0) {
		log_msg(LOG_ERR, "no node directory: use --dir DIR");
		return AMIED_EXIT_USAGE;
	}
	if (config_only != 0)
		return amied_config(dir, config_only == 'T');
	umask(077);
	if (sodium_init() < 0) {
		log_msg(LOG_ERR, "libsodium failed to initialise");
		return AMIED_EXIT_UNAVAILABLE;
	}
	if (restore != NULL)	/* amie restore, on a stopped node */
		return admin_restore_main(dir, restore, force);

	/* Signals arrive through a descriptor the event loop polls. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		log_msg(LOG_ERR, "signalfd: %s", strerror(errno));
		return AMIED_EXIT_UNAVAILABLE;
	}

	errbuf_clear(&eb);
	if ((rc = node_open(&n, dir, &eb)) != 0) {
		log_msg(LOG_ERR, "cannot start: %s", eb.msg);
		close(sigfd);
		return amied_exit_code(rc);
	}
	log_set_level(n.conf.log_level);
	zctx = zmq_ctx_new();
	if ((rc = control_open(&ctl, zctx, &n, &eb)) != 0) {
		log_msg(LOG_ERR, "cannot start: %s", eb.msg);
		node_close(&n);
		zmq_ctx_term(zctx);
		close(sigfd);
		return amied_exit_code(rc);
	}
	n.ctl = ctl;
	if ((rc = net_open(&net, zctx, &n, ctl, &eb)) != 0) {
		log_msg(LOG_ERR, "cannot start: %s", eb.msg);
		control_close(&ctl);
		node_close(&n);
		zmq_ctx_term(zctx);
		close(sigfd);
		return amied_exit_code(rc);
	}
	nodeid_format(id, n.pk);
	log_msg(LOG_NOTICE, "amied ready: node %s, directory %s", id, dir);
	sd_notify(0, "READY=1");

	rc = amied_run(&n, ctl, sigfd);

	sd_notify(0, "STOPPING=1");
	admin_tick(&n, 1);	/* a backup being written ends first */
	net_close(&net);
	control_close(&ctl);
	zmq_ctx_term(zctx);
	node_close(&n);
	close(sigfd);
	log_msg(LOG_NOTICE, "amied stopped");
	return rc;
}
