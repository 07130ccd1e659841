/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The "ingest" control command: store encoded records handed over by the
 * command line (imports, tests and benchmarks), through the same ingest
 * as records from peers.
 */
#ifndef AMIE_DAEMON_INGEST_H
#define AMIE_DAEMON_INGEST_H

#include "daemon/control.h"

/*
 * Request: records, an array of at most STORE_BATCH_MAX byte strings,
 * each one encoded record, and quiet (optional bool: do not offer them
 * to peers at once; for bulk loads).  They are ingested in one
 * transaction.
 * Reply: stored, known, refused (counts) and results, one map per record
 * in order: id (hex, "" if the header did not decode), stored (bool), and
 * for a refused one code and error.
 */
int ingest_handle(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
