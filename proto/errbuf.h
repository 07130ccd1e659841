/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The project error codes and the caller-owned error buffer.
 *
 * Every function that can fail because of the outside world (peers, disk,
 * users, configuration) returns 0 or one of the AMIE_E* codes below, and
 * writes a precise message for people into a struct errbuf the caller owns.
 * Codes are few and stable, callers branch on them; messages are exact and
 * read by people.  Bugs of our own are assert()s, never codes.
 */
#ifndef AMIE_PROTO_ERRBUF_H
#define AMIE_PROTO_ERRBUF_H

#include <stddef.h>

#define ERRBUF_LEN 256

enum amie_err {
	AMIE_OK = 0,
	AMIE_EPROTO,	/* malformed or non-canonical input */
	AMIE_ELIMIT,	/* a size or count over its named limit */
	AMIE_ESIG,	/* a signature or hash that does not verify */
	AMIE_EREFUSED,	/* well formed, but a rule refuses it */
	AMIE_ENOTFOUND,	/* no such object */
	AMIE_EAMBIGUOUS,	/* an id prefix matching several objects */
	AMIE_EIO,	/* the disk or the operating system failed */
	AMIE_EPERM,	/* permissions (key file, directory) */
	AMIE_ECONFIG,	/* configuration or node directory unusable */
	AMIE_EAGAIN,	/* temporary: retry later */
	AMIE_EUNAVAIL,	/* daemon or peer unreachable */
	AMIE_EUSAGE,	/* a request that makes no sense */
	AMIE_ERR_COUNT
};

struct errbuf {
	int code;
	char msg[ERRBUF_LEN];
};

/*
 * Record code and a printf-style message in eb (which may be NULL) and
 * return code, so that callers write `return fail(eb, AMIE_EPROTO, ...)`.
 * A message longer than the buffer is cut.
 */
int fail(struct errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Prefix the message already in eb with "prefix: ", keeping its code, and
 * return the code.  For adding context as an error travels up.
 */
int fail_prefix(struct errbuf *eb, const char *prefix);

/* Empty eb (code 0, empty message). */
void errbuf_clear(struct errbuf *eb);

/* A short English name for code ("protocol error", ...); never NULL. */
const char *errbuf_code_name(int code);

#endif
