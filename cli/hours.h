/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Hours and euros as people type and read them: "4", "4.5", "1.25"
 * hours are whole minutes to the daemon, "12.50" euros whole cents.
 * Output shows hours with two decimals ("1.50" for 90 minutes), signed
 * for balances.
 */
#ifndef AMIE_CLI_HOURS_H
#define AMIE_CLI_HOURS_H

#include <stdint.h>

#define HOURS_TEXT_MAX 32

/*
 * Parse s, a decimal number with at most two decimals, as hours into
 * minutes (rounded to the nearest minute).  Returns 0, or -1 for
 * anything else (negative, empty, over max_minutes, not a number).
 */
int hours_parse(const char *s, uint64_t max_minutes, uint64_t *minutes);

/* Parse euros with at most two decimals into cents; 0 or -1. */
int hours_parse_cents(const char *s, uint64_t max_cents, uint64_t *cents);

/* Format minutes as hours with two decimals into out. */
void hours_format(char out[HOURS_TEXT_MAX], int64_t minutes);

#endif
