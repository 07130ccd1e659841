/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the amied.conf parser: any text parses or fails cleanly, and what
 * parses prints to a text that parses back to the same configuration. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_change ch[CONFIG_KEYS_MAX];
	struct config c, again;
	struct errbuf eb;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (config_parse(&c, (const char *)data, size, "fuzz", &eb) != 0) {
		if (eb.code != AMIE_ECONFIG || strncmp(eb.msg, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	config_print(&c, f);
	fclose(f);
	if (config_parse(&again, buf, len, "printed", &eb) != 0 ||
	    config_diff(&c, &again, ch) != 0)
		abort();
	free(buf);
	return 0;
}
