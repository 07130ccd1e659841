/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "daemon/config.h"
#include "daemon/log.h"

#define CONFIG_LISTEN_DEFAULT "tcp://0.0.0.0:4410"

struct config_parse {
	struct config *c;
	char error[ERRBUF_LEN];
};

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "%s", CONFIG_LISTEN_DEFAULT);
	c->log_level = LOG_INFO;
	c->max_peers = CONFIG_PEERS_DEFAULT;
	c->sync_interval_s = CONFIG_INTERVAL_DEFAULT;
}

/* Keep the first error: inih goes on after it and reports its line. */
static void
config_error(struct config_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

/* An unsigned value between min and max. */
static int
config_uint(struct config_parse *p, unsigned *out, const char *key,
    const char *value, unsigned min, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
		config_error(p, "%s: expected a number from %u to %u", key, min,
		    max);
		return 0;
	}
	*out = (unsigned)v;
	return 1;
}

static int
config_copy(struct config_parse *p, char *dst, size_t cap, const char *key,
    const char *value)
{
	if (strlen(value) >= cap) {
		config_error(p, "%s: longer than %zu bytes",
		    key, cap - 1);
		return 0;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 1;
}

static int
config_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct config_parse *p = user;
	struct config *c = p->c;

	if (strcmp(section, "node") == 0) {
		if (strcmp(key, "name") == 0)
			return config_copy(p, c->name, sizeof(c->name), key,
			    value);
		if (strcmp(key, "region") == 0)
			return config_copy(p, c->region, sizeof(c->region), key,
			    value);
		if (strcmp(key, "contact") == 0)
			return config_copy(p, c->contact, sizeof(c->contact),
			    key, value);
		if (strcmp(key, "listen") == 0 || strcmp(key, "advertise") == 0) {
			if (strncmp(value, "tcp://", 6) != 0) {
				config_error(p, "%s: expected tcp://HOST:PORT",
				    key);
				return 0;
			}
			if (strcmp(key, "listen") == 0)
				return config_copy(p, c->listen,
				    sizeof(c->listen), key, value);
			return config_copy(p, c->advertise,
			    sizeof(c->advertise), key, value);
		}
	} else if (strcmp(section, "sync") == 0) {
		if (strcmp(key, "max_peers") == 0)
			return config_uint(p, &c->max_peers, key, value, 0,
			    CONFIG_PEERS_MAX);
		if (strcmp(key, "interval") == 0)
			return config_uint(p, &c->sync_interval_s, key, value, 1,
			    CONFIG_INTERVAL_MAX);
	} else if (strcmp(section, "log") == 0 && strcmp(key, "level") == 0) {
		int prio = log_level_parse(value);

		if (prio < 0) {
			config_error(p,
			    "level: '%s' is not one of error, warning, notice, "
			    "info, debug", value);
			return 0;
		}
		c->log_level = prio;
		return 1;
	}
	config_error(p, "unknown key [%s] %s", section,
	    key);
	return 0;
}

int
config_load(struct config *c, const char *path, struct errbuf *eb)
{
	struct config_parse p;
	struct config tmp;
	FILE *f;
	int line;

	config_defaults(&tmp);
	p.c = &tmp;
	p.error[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return fail(eb, AMIE_ECONFIG, "%s: %s", path, strerror(errno));
	line = ini_parse_file(f, config_handler, &p);
	fclose(f);
	if (line != 0)
		return fail(eb, AMIE_ECONFIG, "%s:%d: %s", path, line,
		    p.error[0] ? p.error : "syntax error");
	*c = tmp;
	return 0;
}
