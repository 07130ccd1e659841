/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The daemon's log: one line per event on stderr, each prefixed with its
 * syslog priority as "<N>" so that journald files it at the right level.
 * Never log key material or private bodies.
 */
#ifndef AMIE_DAEMON_LOG_H
#define AMIE_DAEMON_LOG_H

#include <syslog.h>

/* Show messages up to priority max_prio (LOG_ERR .. LOG_DEBUG). */
void log_set_level(int max_prio);

/* The priority named s ("error", "warning", "notice", "info", "debug"),
 * or -1. */
int log_level_parse(const char *s);

/* The name of priority prio for log_level_parse(), or "debug" past it. */
const char *log_level_name(int prio);

/* Log one line at priority prio. */
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
