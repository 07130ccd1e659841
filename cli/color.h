/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Colour for people at a terminal.  It is on for a stream only when the
 * stream is a terminal, NO_COLOR is unset or empty (no-color.org), and
 * TERM is not "dumb".  Output read by programs (--json, ids captured
 * through a pipe) therefore never carries an escape sequence.  The
 * functions return strings to print around text: "" when colour is off.
 */
#ifndef AMIE_CLI_COLOR_H
#define AMIE_CLI_COLOR_H

#include <stdio.h>

enum color_style {
	COLOR_BOLD,		/* headers, titles */
	COLOR_DIM,		/* ids, dates: present but secondary */
	COLOR_GOOD,		/* green: connected, current */
	COLOR_WAIT,		/* yellow: pending, connecting */
	COLOR_BAD,		/* red: removed, backoff, errors */
	COLOR_MATCH,		/* a word matching a search */
};

/* 1 when colour is on for f (see above), else 0. */
int color_is_on(FILE *f);

/* The escape sequence starting style s on f, or "" when colour is off. */
const char *color_start(FILE *f, enum color_style s);

/* The escape sequence ending any style on f, or "" when colour is off. */
const char *color_end(FILE *f);

/*
 * The style for a state word the daemon reports for a member or a peer
 * ("current", "connected", "pending", "backoff", ...).
 */
enum color_style color_of_state(const char *state);

#endif
