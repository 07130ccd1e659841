/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/log.h"

static int log_max_prio = LOG_INFO;

void
log_set_level(int max_prio)
{
	log_max_prio = max_prio;
}

static const struct {
	const char *name;
	int prio;
} log_levels[] = {
	{ "error", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

int
log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (strcmp(s, log_levels[i].name) == 0)
			return log_levels[i].prio;
	return -1;
}

const char *
log_level_name(int prio)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (prio <= log_levels[i].prio)
			return log_levels[i].name;
	return "debug";
}

void
log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio > log_max_prio)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>%s\n", prio, line);
}
