/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/i18n.h"
#include "cli/progress.h"

static uint64_t
progress_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The terminal's width, 80 when it cannot be told. */
static unsigned
progress_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void progress_draw(struct progress *p, uint64_t now);

void
progress_start(struct progress *p, const char *label, const char *unit,
    uint64_t total, uint64_t done)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->unit = unit;
	p->total = total;
	p->done = p->first = done;
	p->start_ms = progress_now_ms();
	p->on = isatty(STDERR_FILENO);
	/* Drawn at once: work that ends quickly still says what it was. */
	if (p->on)
		progress_draw(p, p->start_ms);
}

int
progress_is_on(const struct progress *p)
{
	return p->on;
}

void
progress_total(struct progress *p, uint64_t total)
{
	p->total = total;
}

static void
progress_draw(struct progress *p, uint64_t now)
{
	static const char spinner[] = "|/-\\";
	char line[512], bar[PROGRESS_BAR_WIDTH + 1];
	uint64_t elapsed = now - p->start_ms, gained, left = 0;
	double rate = 0;
	unsigned cols = progress_columns();
	size_t n = 0;

	gained = p->done > p->first ? p->done - p->first : 0;
	if (elapsed >= 500)
		rate = (double)gained * 1000.0 / (double)elapsed;
	if (p->total > 0 && p->total > p->done)
		left = p->total - p->done;
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s ", p->label);
	if (p->total > 0) {
		uint64_t shown = p->done < p->total ? p->done : p->total;
		size_t fill = (size_t)(shown * PROGRESS_BAR_WIDTH / p->total);

		memset(bar, '#', fill);
		memset(bar + fill, '.', PROGRESS_BAR_WIDTH - fill);
		bar[PROGRESS_BAR_WIDTH] = '\0';
		if (cols >= 80)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
			    "[%s] ", bar);
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    "%3u%%  %llu/%llu %s", (unsigned)(shown * 100 / p->total),
		    (unsigned long long)p->done, (unsigned long long)p->total,
		    p->unit);
	} else {
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%c",
		    spinner[p->spin++ % 4]);
		if (p->done > 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
			    "  %llu %s", (unsigned long long)p->done, p->unit);
	}
	if (n < sizeof(line) && rate > 0)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "  %.0f/s",
		    rate);
	if (n < sizeof(line) && left > 0)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    _("  %llu left"), (unsigned long long)left);
	if (n < sizeof(line) && left > 0 && rate > 0)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    _(", about %llu s"), (unsigned long long)(left / rate + 1));
	if (n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, "  %llu s",
		    (unsigned long long)(elapsed / 1000));
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	/* Never wrap: a wrapped line cannot be redrawn with \r. */
	if (cols > 1 && n > cols - 1)
		n = cols - 1;
	fprintf(stderr, "\r%.*s\033[K", (int)n, line);
	fflush(stderr);
	p->drawn = 1;
	p->drawn_ms = now;
}

void
progress_update(struct progress *p, uint64_t done)
{
	uint64_t now;

	p->done = done;
	if (!p->on)
		return;
	now = progress_now_ms();
	if (p->drawn && now - p->drawn_ms < PROGRESS_REDRAW_MS)
		return;
	progress_draw(p, now);
}

void
progress_end(struct progress *p)
{
	if (p->on && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->on = 0;
	p->drawn = 0;
}
