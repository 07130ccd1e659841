/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The "export" control command: pages of served records for `amie
 * export`, which writes the bundle file itself (proto/bundle.h).  Imports
 * go through "ingest" (daemon/ingest.h), the ingest that peers' records
 * go through.
 */
#ifndef AMIE_DAEMON_BUNDLE_H
#define AMIE_DAEMON_BUNDLE_H

#include "daemon/control.h"

#define BUNDLE_PAGE_BYTES (768 * 1024) /* records in one reply */
#define BUNDLE_PAGE_COUNT 4096

/*
 * Request: after (optional bin, 40 bytes: the "next" of the previous
 * page), since (optional uint, ms: records with ts >= since), kind
 * (optional str).  Reply: records (array of encoded records, at most
 * BUNDLE_PAGE_BYTES of them unless one alone is larger), next (the
 * cursor for the following page) and done (bool: no page follows).
 */
int bundle_handle_export(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
