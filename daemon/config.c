/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "proto/mp.h"

enum config_type {
	CONFIG_TEXT,		/* UTF-8 text */
	CONFIG_ENDPOINT,	/* tcp://HOST:PORT */
	CONFIG_UINT,		/* min..max, or 0 when zero_ok */
	CONFIG_LEVEL,		/* a log level name */
};

/* Every key, in the order amied -T prints them. */
static const struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t offset;
	size_t cap;		/* TEXT, ENDPOINT: bytes with the NUL */
	unsigned min, max;	/* UINT */
	int zero_ok;		/* UINT: 0 is allowed below min */
	int empty_ok;		/* ENDPOINT: "" is allowed */
	int restart;		/* only read at start */
} config_keys[] = {
	{ "node", "name", CONFIG_TEXT, offsetof(struct config, name),
	    BODY_NAME_MAX + 1, 0, 0, 0, 0, 0 },
	{ "node", "region", CONFIG_TEXT, offsetof(struct config, region),
	    BODY_NAME_MAX + 1, 0, 0, 0, 0, 0 },
	{ "node", "contact", CONFIG_TEXT, offsetof(struct config, contact),
	    BODY_NAME_MAX + 1, 0, 0, 0, 0, 0 },
	{ "node", "listen", CONFIG_ENDPOINT, offsetof(struct config, listen),
	    CONFIG_VALUE_MAX, 0, 0, 0, 0, 1 },
	{ "node", "advertise", CONFIG_ENDPOINT,
	    offsetof(struct config, advertise), CONFIG_VALUE_MAX, 0, 0, 0, 1,
	    0 },
	{ "sync", "max_peers", CONFIG_UINT, offsetof(struct config, max_peers),
	    0, 0, CONFIG_PEERS_MAX, 0, 0, 0 },
	{ "sync", "interval", CONFIG_UINT,
	    offsetof(struct config, sync_interval_s), 0, 1,
	    CONFIG_INTERVAL_MAX, 0, 0, 0 },
	{ "sync", "session_ids", CONFIG_UINT,
	    offsetof(struct config, session_ids), 0, CONFIG_SESSION_IDS_MIN,
	    CONFIG_SESSION_IDS_MAX, 0, 0, 0 },
	{ "log", "level", CONFIG_LEVEL, offsetof(struct config, log_level), 0,
	    0, 0, 0, 0, 0 },
	{ "limits", "peer_messages_per_sec", CONFIG_UINT,
	    offsetof(struct config, peer_messages_per_sec), 0, 1,
	    CONFIG_PEER_MSGS_MAX, 1, 0, 0 },
	{ "limits", "peer_bytes_per_sec", CONFIG_UINT,
	    offsetof(struct config, peer_bytes_per_sec), 0,
	    CONFIG_PEER_BYTES_MIN, CONFIG_PEER_BYTES_MAX, 1, 0, 0 },
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* The text being parsed, handed to inih one line at a time. */
struct config_parse {
	struct config *c;
	const char *text;
	size_t len, pos;
	int line;		/* of the line inih has now */
	int error_line;		/* of the first error we found, or 0 */
	char error[ERRBUF_LEN];
	int seen[CONFIG_NKEYS];	/* line each key was set on, or 0 */
};

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "%s", CONFIG_LISTEN_DEFAULT);
	c->log_level = LOG_INFO;
	c->max_peers = CONFIG_PEERS_DEFAULT;
	c->sync_interval_s = CONFIG_INTERVAL_DEFAULT;
	c->session_ids = CONFIG_SESSION_IDS_DEFAULT;
	c->peer_messages_per_sec = CONFIG_PEER_MSGS_DEFAULT;
	c->peer_bytes_per_sec = CONFIG_PEER_BYTES_DEFAULT;
}

/* Keep the first error and its line: inih goes on after it. */
static void
config_error(struct config_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->error_line != 0)
		return;
	p->error_line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

static int
config_section_is_known(const char *s, size_t len)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (strlen(config_keys[i].section) == len &&
		    memcmp(config_keys[i].section, s, len) == 0)
			return 1;
	return 0;
}

/*
 * inih's reader: the next line of the text into str (num bytes), or NULL
 * at the end.  Refusing here a NUL byte, an over-long line (inih would
 * cut it in two) and an unknown section (inih says nothing of a section
 * without keys) ends the parse at that line.
 */
static char *
config_read_line(char *str, int num, void *stream)
{
	struct config_parse *p = stream;
	const char *s, *nl;
	size_t n, skip = 0;

	if (p->pos >= p->len || p->error_line != 0)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl != NULL ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl != NULL);
	p->line++;
	if (memchr(s, '\0', n) != NULL) {
		config_error(p, "a NUL byte in the line");
		return NULL;
	}
	if (num < 2 || n > (size_t)num - 2) {
		config_error(p, "line longer than %d bytes", num - 2);
		return NULL;
	}
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	if (p->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		skip = 3;	/* inih skips a UTF-8 byte order mark */
	while (skip < n && (s[skip] == ' ' || s[skip] == '\t'))
		skip++;
	if (skip < n && s[skip] == '[') {
		const char *end = memchr(s + skip, ']', n - skip);

		if (end != NULL && !config_section_is_known(s + skip + 1,
		    (size_t)(end - s - skip - 1))) {
			config_error(p, "unknown section [%.*s]",
			    (int)(end - s - skip - 1), s + skip + 1);
			return NULL;
		}
	}
	return str;
}

/* An unsigned value between min and max (or 0 if zero_ok). */
static int
config_set_uint(struct config_parse *p, const struct config_key *k,
    const char *value)
{
	unsigned *out = (unsigned *)((char *)p->c + k->offset);
	unsigned long v;
	char *end;

	errno = 0;
	v = value[0] >= '0' && value[0] <= '9' ? strtoul(value, &end, 10) : 0;
	if (value[0] < '0' || value[0] > '9' || errno != 0 || *end != '\0' ||
	    v > k->max || (v < k->min && !(v == 0 && k->zero_ok))) {
		if (k->zero_ok)
			config_error(p, "%s: expected 0 (no limit) or a number "
			    "from %u to %u", k->name, k->min, k->max);
		else
			config_error(p, "%s: expected a number from %u to %u",
			    k->name, k->min, k->max);
		return 0;
	}
	*out = (unsigned)v;
	return 1;
}

/* tcp://HOST:PORT with a host and a port from 1 to 65535. */
static int
config_endpoint_is_valid(const char *v)
{
	const char *colon;
	unsigned long port;
	char *end;

	if (strncmp(v, "tcp://", 6) != 0 || (colon = strrchr(v, ':')) == NULL ||
	    colon <= v + 6 || colon[1] < '0' || colon[1] > '9')
		return 0;
	port = strtoul(colon + 1, &end, 10);
	return *end == '\0' && port >= 1 && port <= 65535;
}

static int
config_set(struct config_parse *p, const struct config_key *k,
    const char *value)
{
	char *dst = (char *)p->c + k->offset;
	size_t len = strlen(value);
	int prio;

	switch (k->type) {
	case CONFIG_UINT:
		return config_set_uint(p, k, value);
	case CONFIG_LEVEL:
		if ((prio = log_level_parse(value)) < 0) {
			config_error(p, "%s: '%s' is not one of error, "
			    "warning, notice, info, debug", k->name, value);
			return 0;
		}
		*(int *)(void *)dst = prio;
		return 1;
	case CONFIG_ENDPOINT:
		if (!(len == 0 && k->empty_ok) &&
		    !config_endpoint_is_valid(value)) {
			config_error(p, "%s: expected tcp://HOST:PORT",
			    k->name);
			return 0;
		}
		break;
	case CONFIG_TEXT:
		if (mp_utf8_check((const uint8_t *)value, len) != 0) {
			config_error(p, "%s: not UTF-8 text", k->name);
			return 0;
		}
		break;
	}
	if (len >= k->cap) {
		config_error(p, "%s: longer than %zu bytes", k->name,
		    k->cap - 1);
		return 0;
	}
	memcpy(dst, value, len + 1);
	return 1;
}

static int
config_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct config_parse *p = user;

	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(section, k->section) != 0 ||
		    strcmp(key, k->name) != 0)
			continue;
		if (p->seen[i] != 0) {
			config_error(p, "[%s] %s: already set on line %d",
			    section, key, p->seen[i]);
			return 0;
		}
		p->seen[i] = p->line;
		return config_set(p, k, value);
	}
	config_error(p, "unknown key [%s] %s", section, key);
	return 0;
}

int
config_parse(struct config *c, const char *text, size_t len,
    const char *name, struct errbuf *eb)
{
	struct config_parse *p;
	struct config tmp;
	int line, rc = 0;

	if (len > CONFIG_FILE_MAX)
		return fail(eb, AMIE_ECONFIG, "%s: over %d bytes", name,
		    CONFIG_FILE_MAX);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return fail(eb, AMIE_EIO, "%s: out of memory", name);
	config_defaults(&tmp);
	p->c = &tmp;
	p->text = text;
	p->len = len;
	line = ini_parse_stream(config_read_line, p, config_handler, p);
	if (line < 0)
		rc = fail(eb, AMIE_EIO, "%s: out of memory", name);
	else if (line > 0 && (p->error_line == 0 || line < p->error_line))
		rc = fail(eb, AMIE_ECONFIG, "%s:%d: expected [section] or "
		    "key = value", name, line);
	else if (p->error_line != 0)
		rc = fail(eb, AMIE_ECONFIG, "%s:%d: %s", name, p->error_line,
		    p->error);
	else
		*c = tmp;
	free(p);
	return rc;
}

int
config_load(struct config *c, const char *path, struct errbuf *eb)
{
	char *buf;
	size_t len;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL)
		return fail(eb, errno == EACCES ? AMIE_EPERM : AMIE_ECONFIG,
		    "%s: %s", path, strerror(errno));
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return fail(eb, AMIE_EIO, "%s: out of memory", path);
	}
	len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f))
		rc = fail(eb, AMIE_EIO, "%s: %s", path, strerror(errno));
	else
		rc = config_parse(c, buf, len, path, eb);
	fclose(f);
	free(buf);
	return rc;
}

/* The value of key k in c, as config_print() writes it. */
static void
config_format(const struct config *c, const struct config_key *k, char *out,
    size_t cap)
{
	const char *v = (const char *)c + k->offset;

	switch (k->type) {
	case CONFIG_UINT:
		snprintf(out, cap, "%u", *(const unsigned *)(const void *)v);
		break;
	case CONFIG_LEVEL:
		snprintf(out, cap, "%s",
		    log_level_name(*(const int *)(const void *)v));
		break;
	default:
		snprintf(out, cap, "%s", v);
		break;
	}
}

void
config_print(const struct config *c, FILE *f)
{
	char value[CONFIG_VALUE_MAX];

	fprintf(f, "# amied configuration in effect, defaults included; "
	    "see amied.conf(5).\n");
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (i == 0 || strcmp(k->section, config_keys[i - 1].section))
			fprintf(f, "%s[%s]\n", i == 0 ? "" : "\n", k->section);
		config_format(c, k, value, sizeof(value));
		/* " ;" would start a comment: "name =;x" is the text ";x". */
		fprintf(f, "%s =%s%s\n", k->name,
		    value[0] != '\0' && value[0] != ';' ? " " : "", value);
	}
}

size_t
config_diff(const struct config *old, const struct config *new,
    struct config_change out[CONFIG_KEYS_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < CONFIG_NKEYS && n < CONFIG_KEYS_MAX; i++) {
		const struct config_key *k = &config_keys[i];
		struct config_change *ch = &out[n];

		config_format(old, k, ch->old_value, sizeof(ch->old_value));
		config_format(new, k, ch->new_value, sizeof(ch->new_value));
		if (strcmp(ch->old_value, ch->new_value) == 0)
			continue;
		snprintf(ch->key, sizeof(ch->key), "[%s] %s", k->section,
		    k->name);
		ch->restart = k->restart;
		n++;
	}
	return n;
}
