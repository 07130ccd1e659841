/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * amied.conf, the node's INI configuration (parsed with inih).  The file
 * must exist (amie init writes it) and every key has a default; an
 * unknown key, a bad value or a syntax error is an error naming the line
 * of the first one, so a typo never goes unnoticed.
 *
 *   [node]  name, region, contact, listen (tcp://HOST:PORT to bind),
 *           advertise (tcp://HOST:PORT peers reach us at; default listen)
 *   [sync]  max_peers (outbound peers, 0 to 64, default 8),
 *           interval (seconds between anti-entropy rounds, default 60)
 *   [log]   level = error | warning | notice | info | debug
 */
#ifndef AMIE_DAEMON_CONFIG_H
#define AMIE_DAEMON_CONFIG_H

#include "proto/body.h"
#include "proto/errbuf.h"

#define CONFIG_VALUE_MAX 200
#define CONFIG_PEERS_MAX 64
#define CONFIG_PEERS_DEFAULT 8
#define CONFIG_INTERVAL_DEFAULT 60
#define CONFIG_INTERVAL_MAX 86400

struct config {
	char name[BODY_NAME_MAX + 1];
	char region[BODY_NAME_MAX + 1];
	char contact[BODY_NAME_MAX + 1];
	char listen[CONFIG_VALUE_MAX];	/* tcp://HOST:PORT */
	char advertise[CONFIG_VALUE_MAX];	/* "" means listen */
	unsigned max_peers;
	unsigned sync_interval_s;
	int log_level;			/* syslog priority */
};

/* Fill c with the defaults. */
void config_defaults(struct config *c);

/*
 * Read path into c (defaults first).  Returns 0, or AMIE_ECONFIG naming
 * the file and line, or the reason the file cannot be read.
 */
int config_load(struct config *c, const char *path, struct errbuf *eb);

#endif
