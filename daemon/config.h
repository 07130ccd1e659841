/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amied.conf, the node's INI configuration (parsed with inih).  The file
 * must exist (amie init writes it) and every key has a default; an
 * unknown section or key, a key given twice, a bad value, a line over
 * inih's length or a syntax error is an error naming the file and the
 * line of the first one, so a typo never goes unnoticed.
 *
 *   [node]   name, region, contact (text, at most 128 bytes),
 *            listen (tcp://HOST:PORT to bind; only read at start),
 *            advertise (tcp://HOST:PORT peers reach us at; "" is listen)
 *   [sync]   max_peers (outbound peers, 0 to 64, default 8),
 *            interval (seconds between anti-entropy rounds, default 60),
 *            session_ids (ids to fetch that end a reconciliation, which
 *            goes on in a new one once they are fetched; default 65536)
 *   [log]    level = error | warning | notice | info | debug
 *   [limits] peer_messages_per_sec, peer_bytes_per_sec (what one peer may
 *            send us; 0 is no limit)
 *
 * The parser is pure: it reads text given as an argument, so the fuzz
 * target feeds it bytes.  Every key but listen can change while amied
 * runs (SIGHUP, amie daemon reload); config_diff() says which changed.
 */
#ifndef AMIE_DAEMON_CONFIG_H
#define AMIE_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "proto/body.h"
#include "proto/errbuf.h"

#define CONFIG_FILE_MAX		(64 * 1024)	/* bytes of amied.conf */
#define CONFIG_VALUE_MAX	200	/* bytes of an endpoint, NUL included */
#define CONFIG_KEY_NAME_MAX	48	/* "[section] key", NUL included */
#define CONFIG_KEYS_MAX		16	/* keys config_diff() can report */
#define CONFIG_LISTEN_DEFAULT	"tcp://0.0.0.0:4410"
#define CONFIG_PEERS_MAX	64
#define CONFIG_PEERS_DEFAULT	8
#define CONFIG_INTERVAL_DEFAULT	60
#define CONFIG_INTERVAL_MAX	86400
#define CONFIG_SESSION_IDS_DEFAULT	65536
#define CONFIG_SESSION_IDS_MIN	256
#define CONFIG_SESSION_IDS_MAX	(16u << 20)	/* NET_NEED_MAX */
#define CONFIG_PEER_MSGS_DEFAULT	5000
#define CONFIG_PEER_MSGS_MAX	1000000
#define CONFIG_PEER_BYTES_DEFAULT	(32u << 20)
#define CONFIG_PEER_BYTES_MIN	(1u << 20)	/* WIRE_MSG_MAX: one message */
#define CONFIG_PEER_BYTES_MAX	(1u << 30)

struct config {
	char name[BODY_NAME_MAX + 1];
	char region[BODY_NAME_MAX + 1];
	char contact[BODY_NAME_MAX + 1];
	char listen[CONFIG_VALUE_MAX];	/* tcp://HOST:PORT */
	char advertise[CONFIG_VALUE_MAX];	/* "" means listen */
	unsigned max_peers;
	unsigned sync_interval_s;
	unsigned session_ids;		/* ids to fetch that end a session */
	int log_level;			/* syslog priority */
	unsigned peer_messages_per_sec;	/* 0: no limit */
	unsigned peer_bytes_per_sec;	/* 0: no limit */
};

/* One key whose value differs between two configurations. */
struct config_change {
	char key[CONFIG_KEY_NAME_MAX];	/* "[log] level" */
	char old_value[CONFIG_VALUE_MAX];
	char new_value[CONFIG_VALUE_MAX];
	int restart;			/* 1: applied at the next start only */
};

/* Fill c with the defaults. */
void config_defaults(struct config *c);

/*
 * Parse the len bytes of text (an amied.conf, not NUL-terminated) into c,
 * defaults first; name is the file name for messages.  Returns 0, or
 * AMIE_ECONFIG with "name:LINE: reason" in eb and c untouched.  Never
 * reads past len, never asserts on input.
 */
int config_parse(struct config *c, const char *text, size_t len,
    const char *name, struct errbuf *eb);

/*
 * Read the file at path into c (defaults first).  Returns 0, or
 * AMIE_ECONFIG naming the file and line, or the reason the file cannot
 * be read, with c untouched.
 */
int config_load(struct config *c, const char *path, struct errbuf *eb);

/*
 * Write c to f as an INI file that config_parse() reads back to c: every
 * key, in sections, defaults included.
 */
void config_print(const struct config *c, FILE *f);

/*
 * Write to out the keys whose values differ from old to new, in the order
 * of config_print(), and return their count (at most CONFIG_KEYS_MAX).
 */
size_t config_diff(const struct config *old, const struct config *new,
    struct config_change out[CONFIG_KEYS_MAX]);

#endif
