/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * A control request built field by field in any order and encoded as the
 * canonical map the daemon expects (keys sorted bytewise).  Strings are
 * borrowed until request_send() returns.  At most REQUEST_FIELDS_MAX
 * fields: adding more is a bug of ours.
 */
#ifndef AMIE_CLI_REQUEST_H
#define AMIE_CLI_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

#define REQUEST_FIELDS_MAX 24

struct request_field {
	const char *key;
	int type;		/* MP_STR, MP_UINT, MP_BOOL or MP_ARRAY */
	const char *s;
	uint64_t u;
	const char *const *strs;	/* MP_ARRAY: strings */
	uint32_t count;
};

struct request {
	size_t count;
	struct request_field f[REQUEST_FIELDS_MAX];
};

/* Start request cmd ("contract.add"). */
void request_init(struct request *r, const char *cmd);

void request_str(struct request *r, const char *key, const char *s);
void request_uint(struct request *r, const char *key, uint64_t v);
void request_bool(struct request *r, const char *key, int v);
void request_strs(struct request *r, const char *key,
    const char *const *strs, uint32_t count);

/*
 * Encode r, send it to the daemon of c and wait for the reply.  Returns
 * 0 with reply filled (release it with cli_reply_release()), or prints
 * the error and returns its exit code.  With notfound_is_bad, a missing
 * object (an unknown id given to a command that writes) is bad input
 * data, exit 65, rather than 1.
 */
int request_send(const struct cli *c, struct request *r,
    struct cli_reply *reply, int notfound_is_bad);

/* request_send() for a command whose list of that name (pages) comes in
 * pages: reply holds them all (cli_call_pages()). */
int request_send_pages(const struct cli *c, struct request *r,
    const char *pages, struct cli_reply *reply, int notfound_is_bad);

/*
 * Call fn for each map of the array field key of the reply (maps that
 * do not decode are skipped; fn NULL only counts); *count gets the
 * array's length.  Returns 0,
 * or -1 when the field is missing or not an array.
 */
int request_each(const struct cli_reply *r, const char *key,
    void (*fn)(void *ctx, const struct mpmap *m), void *ctx,
    uint32_t *count);

/* An integer field of m (negative ones included); 0 when missing. */
int64_t request_int(const struct mpmap *m, const char *key);

/* A string field of m copied into out (cap bytes); "" when missing. */
void request_cstr(const struct mpmap *m, const char *key, char *out,
    size_t cap);

#endif
