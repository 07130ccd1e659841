/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Passphrases for the key export: read from the terminal without echo,
 * or from the first line of a file (--passphrase-file, for scripts and
 * tests), never from the command line, where other users see it.  The
 * buffer is the caller's; wipe it with sodium_memzero() after use.
 */
#ifndef AMIE_CLI_PASSPHRASE_H
#define AMIE_CLI_PASSPHRASE_H

#include <stddef.h>

#include "cli/cli.h"

#define PASSPHRASE_MAX 1024

/*
 * Read a passphrase into buf (cap bytes, NUL-terminated) from file, or
 * from /dev/tty when file is NULL, asking twice when confirm is set.
 * *len gets its length.  Returns 0, or prints why and returns an exit
 * code (65 for a file that holds no passphrase, 64 without a terminal).
 */
int passphrase_read(const struct cli *c, const char *file, int confirm,
    char *buf, size_t cap, size_t *len);

#endif
