/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/errbuf.h"

int
fail(struct errbuf *eb, int code, const char *fmt, ...)
{
	va_list ap;

	if (eb == NULL)
		return code;
	eb->code = code;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
fail_prefix(struct errbuf *eb, const char *prefix)
{
	size_t plen, mlen;

	if (eb == NULL)
		return AMIE_EPROTO;
	plen = strlen(prefix) + 2;
	if (plen >= sizeof(eb->msg))
		return eb->code;
	mlen = strnlen(eb->msg, sizeof(eb->msg) - 1);
	if (mlen > sizeof(eb->msg) - 1 - plen)
		mlen = sizeof(eb->msg) - 1 - plen;
	memmove(eb->msg + plen, eb->msg, mlen);
	memcpy(eb->msg, prefix, plen - 2);
	memcpy(eb->msg + plen - 2, ": ", 2);
	eb->msg[plen + mlen] = '\0';
	return eb->code;
}

void
errbuf_clear(struct errbuf *eb)
{
	eb->code = 0;
	eb->msg[0] = '\0';
}

const char *
errbuf_code_name(int code)
{
	static const char *const names[AMIE_ERR_COUNT] = {
		[AMIE_OK] = "ok",
		[AMIE_EPROTO] = "protocol error",
		[AMIE_ELIMIT] = "over limit",
		[AMIE_ESIG] = "bad signature",
		[AMIE_EREFUSED] = "refused",
		[AMIE_ENOTFOUND] = "not found",
		[AMIE_EAMBIGUOUS] = "ambiguous",
		[AMIE_EIO] = "i/o error",
		[AMIE_EPERM] = "permission denied",
		[AMIE_ECONFIG] = "configuration error",
		[AMIE_EAGAIN] = "temporary failure",
		[AMIE_EUNAVAIL] = "unavailable",
		[AMIE_EUSAGE] = "usage error",
	};

	if (code < 0 || code >= AMIE_ERR_COUNT || names[code] == NULL)
		return "unknown error";
	return names[code];
}
