/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/i18n.h"
#include "cli/passphrase.h"

/* One line from fd into buf without its newline; -1 on error or EOF
 * before anything, else the length (cap - 1 at most). */
static long
passphrase_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	char ch;
	ssize_t r;

	while ((r = read(fd, &ch, 1)) == 1 && ch != '\n') {
		if (n + 1 >= cap)
			return -1;
		buf[n++] = ch;
	}
	if (r < 0 || (r == 0 && n == 0))
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (long)n;
}

/* The terminal whose echo is off, and how to put it back, for a signal
 * that ends the command at the prompt (Ctrl-C). */
static int passphrase_tty = -1;
static struct termios passphrase_old;
static const int passphrase_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void
passphrase_signal(int sig)
{
	if (passphrase_tty >= 0)
		tcsetattr(passphrase_tty, TCSAFLUSH, &passphrase_old);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Ask on the terminal tty with echo off. */
static long
passphrase_ask(int tty, const char *prompt, char *buf, size_t cap)
{
	struct sigaction sa, saved[sizeof(passphrase_signals) /
	    sizeof(passphrase_signals[0])];
	struct termios quiet;
	size_t i, nsig = sizeof(saved) / sizeof(saved[0]);
	long n;

	if (tcgetattr(tty, &passphrase_old) != 0)
		return -1;
	quiet = passphrase_old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = passphrase_signal;
	passphrase_tty = tty;
	/* A signal our parent ignores stays ignored. */
	for (i = 0; i < nsig; i++)
		if (sigaction(passphrase_signals[i], NULL, &saved[i]) == 0 &&
		    saved[i].sa_handler != SIG_IGN)
			sigaction(passphrase_signals[i], &sa, NULL);
	if (write(tty, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(tty, TCSAFLUSH, &quiet) != 0)
		n = -1;
	else
		n = passphrase_line(tty, buf, cap);
	tcsetattr(tty, TCSAFLUSH, &passphrase_old);
	for (i = 0; i < nsig; i++)
		sigaction(passphrase_signals[i], &saved[i], NULL);
	passphrase_tty = -1;
	return n;
}

int
passphrase_read(const struct cli *c, const char *file, int confirm,
    char *buf, size_t cap, size_t *len)
{
	char again[PASSPHRASE_MAX + 2];
	long n, m;
	int fd;

	if (file != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			return cli_error(c, CLI_EXIT_DATAERR, "%s: %s", file,
			    strerror(errno));
		n = passphrase_line(fd, buf, cap);
		close(fd);
		if (n <= 0)
			return cli_error(c, CLI_EXIT_DATAERR, _("%s: no "
			    "passphrase on its first line (or over %zu "
			    "bytes)"), file, cap - 1);
		*len = (size_t)n;
		return 0;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return cli_error(c, CLI_EXIT_USAGE, _("no terminal to ask the "
		    "passphrase on: give --passphrase-file FILE"));
	n = passphrase_ask(fd, _("Passphrase: "), buf, cap);
	if (n > 0 && confirm) {
		m = passphrase_ask(fd, _("Passphrase again: "), again,
		    sizeof(again));
		if (m != n || sodium_memcmp(again, buf, (size_t)n) != 0)
			n = -2;
		sodium_memzero(again, sizeof(again));
	}
	close(fd);
	if (n == -2)
		return cli_error(c, CLI_EXIT_DATAERR, _("the two passphrases "
		    "differ"));
	if (n <= 0)
		return cli_error(c, CLI_EXIT_DATAERR, _("no passphrase read"));
	*len = (size_t)n;
	return 0;
}
