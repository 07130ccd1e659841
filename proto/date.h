/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Calendar dates of contracts, interventions and swaps: "YYYY-MM-DD" and
 * months "YYYY-MM" of the proleptic Gregorian calendar, as day numbers
 * (days since 1970-01-01) so that they compare and subtract as integers.
 * Only years DATE_YEAR_MIN to DATE_YEAR_MAX are accepted: a date outside
 * is a typo.  Pure: no clock (callers pass today as a day number).
 */
#ifndef AMIE_PROTO_DATE_H
#define AMIE_PROTO_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/errbuf.h"

#define DATE_LEN	10	/* "YYYY-MM-DD" */
#define DATE_MONTH_LEN	7	/* "YYYY-MM" */
#define DATE_YEAR_MIN	1970
#define DATE_YEAR_MAX	2199

/*
 * Parse the len bytes at s as "YYYY-MM-DD" (a day that exists) into
 * *days.  what names the field in the message.  Returns 0 or
 * AMIE_EPROTO.
 */
int date_parse(int32_t *days, const char *s, size_t len, const char *what,
    struct errbuf *eb);

/* Parse "YYYY-MM" into *month (year * 12 + month - 1).  0 or AMIE_EPROTO. */
int date_month_parse(int32_t *month, const char *s, size_t len,
    const char *what, struct errbuf *eb);

/* Write "YYYY-MM-DD" and a NUL for days into out. */
void date_format(char out[DATE_LEN + 1], int32_t days);

/* Write "YYYY-MM" and a NUL for month into out. */
void date_month_format(char out[DATE_MONTH_LEN + 1], int32_t month);

/* The month (year * 12 + month - 1) of a day. */
int32_t date_month_of(int32_t days);

/* The first day of month. */
int32_t date_month_first(int32_t month);

/* The last day of month. */
int32_t date_month_last(int32_t month);

/* The day n months after days (n may be negative), the day of the month
 * clamped to the target month's length. */
int32_t date_add_months(int32_t days, int32_t n);

/* The day of ms since 1970 (UTC). */
int32_t date_of_ms(uint64_t ms);

#endif
