/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Backups of the store: a consistent copy taken while the daemon runs,
 * and putting one back on a stopped node.
 *
 * A backup is one file, the LMDB data file of a compacted copy of the
 * environment (mdb_env_copyfd2 with MDB_CP_COMPACT): free pages are left
 * out, so the file is no larger than the data.  It is written through a
 * read transaction, so it holds one committed state however the store
 * changes meanwhile, and it holds the node's private bodies encrypted and
 * its invites hashed, but no key: node.key is backed up separately.
 *
 * A restore never touches the store in place: the file is copied into a
 * new directory beside it, opened, checked (network id and store/check.h),
 * and only then swapped in; the store it replaces is kept beside it.
 */
#ifndef AMIE_STORE_BACKUP_H
#define AMIE_STORE_BACKUP_H

#include <stdint.h>

#include "proto/errbuf.h"
#include "store/check.h"
#include "store/store.h"

#define BACKUP_RESTORE_SUFFIX ".restore" /* the copy being checked */
#define BACKUP_OLD_SUFFIX ".old"	 /* the store replaced */

/*
 * Write a compacted copy of st to path, mode 0600.  It is written to a
 * temporary file in the same directory, synced, then renamed, so path
 * never holds half a backup.  An existing path is refused (AMIE_EUSAGE)
 * unless force.  Returns 0 with the file's size in *bytes, AMIE_EUSAGE,
 * AMIE_EPERM (directory not writable) or AMIE_EIO.
 */
int backup_write(struct store *st, const char *path, int force, uint64_t *bytes,
    struct errbuf *eb);

/* What a restore found in the backup. */
struct backup_info {
	uint64_t records;
	uint8_t network_id[32];
	struct check_stats check;
	size_t invites;		/* the backup held, forgotten */
};

/*
 * Put the backup file in place of the store directory store_dir (whose
 * daemon must be stopped: the caller holds the node's lock).  The file
 * must be an amie store of the federation network_id, or, when that is
 * NULL (the node lost its store and has no charter file), one whose
 * membership knows the key self; and it must pass the store check unless
 * force.  The old store_dir, if any, becomes store_dir
 * BACKUP_OLD_SUFFIX (an earlier one is removed first).  fn, if not NULL,
 * gets each problem the check finds.  Returns 0 and fills *info,
 * AMIE_EPROTO (not a store), AMIE_EREFUSED (another federation, or
 * problems), AMIE_ENOTFOUND (no such file) or AMIE_EIO; nothing is
 * changed then.
 */
int backup_restore(const char *store_dir, const char *file,
    const uint8_t *network_id, const uint8_t *self, int force, check_fn fn,
    void *ctx, struct backup_info *info, struct errbuf *eb);

#endif
