/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * A node: its directory, its key, its configuration and its store.
 *
 * node_open() is the start of amied: it refuses a directory or key file
 * that others can read, takes the directory's lock (one amied per
 * directory), loads the configuration and the key, opens the store and
 * ingests the federation charter that `amie init --federation` left.
 * It also finishes a rebuild of the search index that a stop or a crash
 * cut short (store/search.h).
 * The secret key stays in sodium_malloc'd memory (locked, guarded) and
 * is wiped at node_close().
 *
 * node_write() is how this node writes a record of its own: it keeps
 * its timestamps strictly increasing and sends the record through the
 * same ingest as records from anywhere else.  When the clock was set
 * back, the timestamps go on from the last record (last + 1), ahead of
 * the clock: node_write() stores them all the same and says so in the
 * log, and node_clock_behind_ms() tells amie status and amie doctor.
 */
#ifndef AMIE_DAEMON_NODE_H
#define AMIE_DAEMON_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "proto/errbuf.h"
#include "proto/record.h"
#include "store/store.h"

#define NODE_KEY_FILE		"node.key"
#define NODE_CONF_FILE		"amied.conf"
#define NODE_LOCK_FILE		"amied.lock"
#define NODE_SOCK_FILE		"amied.sock"
#define NODE_STORE_DIR		"store"
#define NODE_CHARTER_FILE	"charter.amie"
#define NODE_PATH_MAX		4096
#define NODE_CLOCK_BACK_MS	1000	/* own last record this far ahead:
					 * the clock went back */

struct net;
struct control;
struct control_ticket;
struct store_task;
struct admin_backup;
struct admin_check;

struct node {
	char dir[NODE_PATH_MAX];
	struct net *net;		/* borrowed; NULL until it starts */
	struct control *ctl;		/* borrowed; NULL until it starts */
	/* amie backup and amie check under way (daemon/admin.c): their
	 * tasks (store/task.h), what each works on, and their callers */
	struct store_task *backup;
	struct admin_backup *backup_arg;
	struct control_ticket *backup_ticket;
	struct store_task *check;
	struct admin_check *check_arg;
	struct control_ticket *check_ticket;
	struct config conf;
	struct store *store;
	uint8_t pk[RECORD_KEY_LEN];
	uint8_t *sk;			/* 64 bytes, sodium_malloc'd */
	int lock_fd;
	int clock_behind;		/* logged: the clock went back */
};

/*
 * Open the node in dir.  Returns 0 and fills n, or AMIE_EPERM (readable
 * by others), AMIE_EAGAIN (another amied holds dir), AMIE_ECONFIG or
 * AMIE_EIO, with the reason in eb.
 */
int node_open(struct node *n, const char *dir, struct errbuf *eb);

/* Close the store, wipe the key, release the lock. */
void node_close(struct node *n);

/* Write "DIR/name" into out (cap bytes); AMIE_ECONFIG if too long. */
int node_path(const struct node *n, char *out, size_t cap, const char *name,
    struct errbuf *eb);

/*
 * Sign and store a record of this node: kind, key, refs (refs_count of
 * them) and body (a canonical map, or ciphertext with flags set).  The
 * id is written to id.  Returns 0, or the code and reason of the refusal.
 */
int node_write(struct node *n, const char *kind, const char *key,
    const uint8_t (*refs)[RECORD_ID_LEN], uint32_t refs_count,
    const uint8_t *body, size_t body_len, uint64_t flags,
    uint8_t id[RECORD_ID_LEN], struct errbuf *eb);

/*
 * How far (ms) this machine's clock is behind the last record this node
 * wrote, when that is over NODE_CLOCK_BACK_MS (the clock was set back);
 * else 0.  Logs the change, as node_write() does.
 */
uint64_t node_clock_behind_ms(struct node *n);

/* Milliseconds since 1970 by the system clock. */
uint64_t node_now_ms(void);

/*
 * Milliseconds for timers: the system clock at the first call, then
 * CLOCK_MONOTONIC's time since, so that setting the system clock neither
 * stalls nor fires them.  Never a date to sign, store or show.  Main
 * thread only.
 */
uint64_t node_mono_ms(void);

#endif
