/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/color.h"

int
color_is_on(FILE *f)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc != NULL && nc[0] != '\0')
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}

const char *
color_start(FILE *f, enum color_style s)
{
	static const char *const seq[] = {
		[COLOR_BOLD] = "\033[1m",
		[COLOR_DIM] = "\033[2m",
		[COLOR_GOOD] = "\033[32m",
		[COLOR_WAIT] = "\033[33m",
		[COLOR_BAD] = "\033[31m",
		[COLOR_MATCH] = "\033[1;4m",
	};

	return color_is_on(f) ? seq[s] : "";
}

const char *
color_end(FILE *f)
{
	return color_is_on(f) ? "\033[0m" : "";
}

enum color_style
color_of_state(const char *state)
{
	if (strcmp(state, "current") == 0 || strcmp(state, "connected") == 0)
		return COLOR_GOOD;
	if (strcmp(state, "pending") == 0 || strcmp(state, "connecting") == 0)
		return COLOR_WAIT;
	return COLOR_BAD;
}
