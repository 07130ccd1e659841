/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * What the amie subcommands share: the node directory, the exit codes of
 * DESIGN.md section 8, the call to the daemon's control socket, and
 * output rules (data on stdout, everything else on stderr, --json as one
 * object with "schema": 1).
 */
#ifndef AMIE_CLI_CLI_H
#define AMIE_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/ctl.h"
#include "proto/errbuf.h"
#include "proto/mp.h"

#define CLI_EXIT_OK		0
#define CLI_EXIT_NOTFOUND	1
#define CLI_EXIT_USAGE		64
#define CLI_EXIT_DATAERR	65
#define CLI_EXIT_UNAVAILABLE	69
#define CLI_EXIT_TEMPFAIL	75
#define CLI_EXIT_NOPERM		77
#define CLI_EXIT_CONFIG		78
#define CLI_PATH_MAX		4096
#define CLI_TIMEOUT_MS		60000	/* a request the daemon never answers */
#define CLI_PAGES_MAX		(256u << 20)	/* a list gathered from pages */
#define CLI_CURSOR_MAX		256	/* encoded "next" of one page */

/* Options every command takes: --dir DIR, --json, --help. */
struct cli {
	char dir[CLI_PATH_MAX];
	const char *dir_opt;
	int json;
	const char *prog;		/* "amie kb add", for messages */
	int timeout_ms;			/* 0: CLI_TIMEOUT_MS */
};

/* A reply from the daemon: the bytes and a view of its fields. */
struct cli_reply {
	uint8_t *buf;
	size_t len;
	struct mpmap m;
};

/* Resolve the node directory (--dir, $AMIE_DIR, $XDG_DATA_HOME/amie,
 * ~/.local/share/amie).  Returns 0 or CLI_EXIT_USAGE after a message. */
int cli_dir(struct cli *c);

/* The exit code for an AMIE_E* code. */
int cli_exit_code(int code);

/*
 * Print "PROG: message" on stderr and return the exit code for eb.  A
 * message the catalogue knows (the CLI's own, and the frequent fixed
 * ones of the daemon) is printed translated; any other keeps its English
 * detail after the translated class of its code (none in English).
 */
int cli_fail(const struct cli *c, const struct errbuf *eb);

/* Print "PROG: message" on stderr and return exit. */
int cli_error(const struct cli *c, int exit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when the long option name is one of the space-separated names in
 * allowed ("member hours start"), else 0. */
int cli_option_allowed(const char *name, const char *allowed);

/* A subcommand of a noun: "add" and the function that runs it. */
struct cli_sub {
	const char *name;
	int (*fn)(int, char **);
};

/*
 * Run the subcommand argv[1] of prog ("amie kb") from the count entries
 * of subs, with argv shifted by one.  usage is the untranslated usage
 * text: printed on stdout for --help (exit 0), on stderr when the
 * subcommand is missing or unknown (exit CLI_EXIT_USAGE).
 */
int cli_sub_run(const char *prog, const struct cli_sub *subs, size_t count,
    const char *usage, int argc, char **argv);

/*
 * Send the request in req (one encoded map) to the daemon of c->dir and
 * wait for its reply.  On success fills r (free it with
 * cli_reply_release()) and returns 0.  Returns AMIE_EUNAVAIL with advice
 * when no daemon answers, or the daemon's error code with its message.
 */
int cli_call(const struct cli *c, const struct mpw *req, struct cli_reply *r,
    struct errbuf *eb);

/*
 * cli_call(), calling tick(ctx) about every tick_ms while the daemon has
 * not answered (to draw progress, or to ask the daemon for it on another
 * connection).  tick may be NULL.
 */
int cli_call_ticking(const struct cli *c, const struct mpw *req,
    struct cli_reply *r, void (*tick)(void *ctx), void *ctx, int tick_ms,
    struct errbuf *eb);

/*
 * cli_call() for a command whose list comes in pages (docs/protocol.md,
 * section 7): sends req, then req with "after" set to the "next" of the
 * reply before, until a reply has no "next" (or nil).  Fills r with one
 * reply: the last page's fields (where a count of items left out, as
 * more, is 0), the array field key holding the items of every page in
 * order, and no "next", so that it reads and prints (--json) as the
 * whole list in one reply would.  At most CLI_PAGES_MAX
 * bytes in all.  Returns as cli_call(), or AMIE_EPROTO when a reply
 * lacks the array, or names a "next" over CLI_CURSOR_MAX bytes or
 * without bringing an item (a daemon that would loop), and AMIE_ELIMIT
 * past CLI_PAGES_MAX.  req must not hold "after" already.
 */
int cli_call_pages(const struct cli *c, const struct mpw *req,
    const char *key, struct cli_reply *r, struct errbuf *eb);

void cli_reply_release(struct cli_reply *r);

/* A string field of the reply as a NUL-terminated copy in out (cap
 * bytes); "" when missing. */
void cli_reply_str(const struct cli_reply *r, const char *key, char *out,
    size_t cap);

/* An unsigned field of the reply; 0 when missing. */
uint64_t cli_reply_uint(const struct cli_reply *r, const char *key);

/*
 * Print the reply as one JSON object on stdout with "schema": 1 added.
 * Returns 0 or CLI_EXIT_DATAERR.
 */
int cli_print_json(const struct cli_reply *r);

/*
 * A JSON string of the text s (a path, a message with one in it): bytes
 * that are not UTF-8 become U+FFFD, where jansson would refuse the whole
 * string.  A new reference.
 */
struct json_t;
struct json_t *cli_json_text(const char *s);

/* Format ms since 1970 as "YYYY-MM-DD HH:MM" in local time. */
void cli_time(char out[32], uint64_t ms);

/* The width of the UTF-8 string s on a terminal: its code points. */
size_t cli_width(const char *s);

/*
 * Print the UTF-8 string s on f, then spaces up to width columns: printf's
 * "%-8s" counts bytes, and translations have accents.
 */
void cli_pad(FILE *f, const char *s, size_t width);

/* 1 when colour is on for f: color_is_on() of cli/color.h. */
int cli_color(FILE *f);

/* Subcommands: argc/argv start at the subcommand's name. */
int cmd_init_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);
int cmd_id_main(int argc, char **argv);
int cmd_kb_main(int argc, char **argv);
int cmd_fed_invite_main(int argc, char **argv);
int cmd_fed_join_main(int argc, char **argv);
int cmd_fed_members_main(int argc, char **argv);
int cmd_fed_member_main(int argc, char **argv);
int cmd_fed_peers_main(int argc, char **argv);
int cmd_fed_sync_main(int argc, char **argv);
int cmd_check_main(int argc, char **argv);
int cmd_backup_main(int argc, char **argv);
int cmd_restore_main(int argc, char **argv);
int cmd_export_main(int argc, char **argv);
int cmd_import_main(int argc, char **argv);
int cmd_doctor_main(int argc, char **argv);
int cmd_daemon_main(int argc, char **argv);
int cmd_contract_main(int argc, char **argv);
int cmd_tech_main(int argc, char **argv);
int cmd_swap_main(int argc, char **argv);
int cmd_key_main(int argc, char **argv);

#endif
