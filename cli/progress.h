/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * A progress line on stderr for long work (first sync, import, reindex):
 * what is done, the rate, and what remains when the total is known, or a
 * spinner when it is not.  Only on a terminal: when stderr is a file or a
 * pipe nothing is ever written, so logs and scripts see no progress.  It
 * redraws at most every PROGRESS_REDRAW_MS and clears its line at the
 * end, leaving stderr as it found it.  One progress per process at a
 * time; it never touches stdout.
 */
#ifndef AMIE_CLI_PROGRESS_H
#define AMIE_CLI_PROGRESS_H

#include <stdint.h>

#define PROGRESS_REDRAW_MS	100
#define PROGRESS_BAR_WIDTH	24

struct progress {
	const char *label;	/* borrowed until progress_end() */
	const char *unit;	/* "records", borrowed likewise; may be "" */
	uint64_t total;		/* 0: unknown */
	uint64_t done, first;	/* now, and at the start */
	uint64_t start_ms, drawn_ms;
	unsigned spin;
	int on, drawn;
};

/*
 * Start showing progress of the work label (already translated; it must
 * outlive p's use) counted in unit, out of total (0 when unknown), from
 * done already done.  Decides once whether stderr is a terminal, and if
 * so draws the first line at once.
 */
void progress_start(struct progress *p, const char *label, const char *unit,
    uint64_t total, uint64_t done);

/* 1 when p draws anything (stderr is a terminal), else 0. */
int progress_is_on(const struct progress *p);

/* The total became known (or changed); 0 makes it unknown again. */
void progress_total(struct progress *p, uint64_t total);

/*
 * done units are now done (a count from the start, not an increment);
 * redraws if the last drawing is older than PROGRESS_REDRAW_MS.  Call it
 * as often as you like, also with an unchanged count to turn the spinner.
 */
void progress_update(struct progress *p, uint64_t done);

/* Clear the line; p is done and may be started again. */
void progress_end(struct progress *p);

#endif
