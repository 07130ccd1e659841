/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "store/backup.h"
#include "store/internal.h"
#include "store/invite.h"
#include "store/member.h"

#define BACKUP_PATH_MAX 4096

static int
backup_errno(struct errbuf *eb, const char *what, const char *path)
{
	int e = errno;

	return fail(eb,
	    e == EACCES || e == EPERM || e == EROFS ? AMIE_EPERM :
		e == ENOENT			    ? AMIE_ENOTFOUND :
						      AMIE_EIO,
	    "%s %s: %s", what, path, strerror(e));
}

/* Sync the directory holding path, so that a rename in it lasts. */
static void
backup_sync_dir(const char *path)
{
	char dir[BACKUP_PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

int
backup_write(struct store *st, const char *path, int force, uint64_t *bytes,
    struct errbuf *eb)
{
	char tmp[BACKUP_PATH_MAX];
	struct stat sb;
	int fd, mrc, rc = 0;

	if (strlen(path) + 8 >= sizeof(tmp))
		return fail(eb, AMIE_EUSAGE, "backup: path too long");
	if (!force && lstat(path, &sb) == 0)
		return fail(eb, AMIE_EUSAGE,
		    "%s exists; give another name or --force", path);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	/* Named as given: the temporary name means nothing to the user,
	 * and a directory that is not there is a wrong FILE, not a lookup
	 * that found nothing. */
	if ((fd = mkstemp(tmp)) < 0)
		return errno == ENOENT || errno == ENOTDIR ?
		    fail(eb, AMIE_EUSAGE, "backup: cannot create %s: %s", path,
			strerror(errno)) :
		    backup_errno(eb, "backup: cannot create", path);
	fchmod(fd, 0600);
	if ((mrc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT)) != 0)
		rc = store_fail(eb, mrc, "backup: copy");
	else if (fsync(fd) != 0 || fstat(fd, &sb) != 0)
		rc = backup_errno(eb, "backup: cannot write", tmp);
	if (close(fd) != 0 && rc == 0)
		rc = backup_errno(eb, "backup: cannot write", tmp);
	if (rc == 0 && !force && link(tmp, path) != 0)
		rc = errno == EEXIST ?
		    fail(eb, AMIE_EUSAGE,
			"%s exists; give another name or --force", path) :
		    backup_errno(eb, "backup: cannot create", path);
	else if (rc == 0 && force && rename(tmp, path) != 0)
		rc = backup_errno(eb, "backup: cannot create", path);
	unlink(tmp);
	if (rc != 0)
		return rc;
	backup_sync_dir(path);
	*bytes = (uint64_t)sb.st_size;
	return 0;
}

/* Remove a store directory (its LMDB files, then itself). */
static int
backup_remove_store(const char *dir)
{
	char p[BACKUP_PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	if (unlink(p) != 0 && errno != ENOENT)
		return -1;
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	if (unlink(p) != 0 && errno != ENOENT)
		return -1;
	return rmdir(dir) != 0 && errno != ENOENT ? -1 : 0;
}

/* Copy file to path (created, mode 0600), synced. */
static int
backup_copy(const char *file, const char *path, struct errbuf *eb)
{
	char buf[1 << 16];
	ssize_t n = 0;
	int in, out, rc = 0;

	if ((in = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return backup_errno(eb, "restore: cannot read", file);
	if ((out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	    0) {
		rc = backup_errno(eb, "restore: cannot create", path);
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0) {
				n = -1;
				break;
			}
			off += w;
		}
		if (n < 0)
			break;
	}
	if (n < 0)
		rc = backup_errno(eb, "restore: cannot copy", file);
	else if (fsync(out) != 0)
		rc = backup_errno(eb, "restore: cannot write", path);
	close(in);
	if (close(out) != 0 && rc == 0)
		rc = backup_errno(eb, "restore: cannot write", path);
	return rc;
}

/* Open the copy in dir and look at it. */
static int
backup_inspect(const char *dir, const char *file, const uint8_t *network_id,
    const uint8_t *self, int force, check_fn fn, void *ctx,
    struct backup_info *info, struct errbuf *eb)
{
	uint8_t zero[RECORD_KEY_LEN] = { 0 };
	struct member_info m;
	struct store_stats s;
	struct store *st;
	int rc;

	if (store_open(&st, dir, self != NULL ? self : zero, eb) != 0) {
		char why[ERRBUF_LEN];

		memcpy(why, eb->msg, sizeof(why));
		return fail(eb, AMIE_EPROTO,
		    "restore: %s is not an amie "
		    "backup (%s)",
		    file, why);
	}
	if ((rc = store_stats(st, &s, eb)) != 0)
		goto out;
	if (!s.has_federation) {
		rc = fail(eb, AMIE_EPROTO,
		    "restore: %s is not an amie "
		    "backup (no federation in it)",
		    file);
		goto out;
	}
	if (network_id != NULL &&
	    sodium_memcmp(s.network_id, network_id, 32) != 0) {
		rc = fail(eb, AMIE_EREFUSED,
		    "restore: %s is a backup of "
		    "another federation (%s)",
		    file, s.federation);
		goto out;
	}
	if (network_id == NULL &&
	    (self == NULL || member_get(st, self, &m, eb) != 0)) {
		rc = fail(eb, AMIE_EREFUSED,
		    "restore: %s is a backup of a "
		    "federation this node is no member of (%s)",
		    file, s.federation);
		goto out;
	}
	info->records = s.records;
	memcpy(info->network_id, s.network_id, 32);
	if ((rc = check_run(st, fn, ctx, &info->check, eb)) != 0)
		goto out;
	if (info->check.problems > 0 && !force)
		rc = fail(eb, AMIE_EREFUSED,
		    "restore: %s fails the store "
		    "check (%llu problems); --force restores it anyway",
		    file, (unsigned long long)info->check.problems);
	/* The backup's invites are not brought back: one used since the
	 * backup was taken would let a stranger join again. */
	if (rc == 0)
		rc = invite_forget_all(st, &info->invites, eb);
out:
	store_close(&st);
	return rc;
}

int
backup_restore(const char *store_dir, const char *file,
    const uint8_t *network_id, const uint8_t *self, int force, check_fn fn,
    void *ctx, struct backup_info *info, struct errbuf *eb)
{
	char tmp[BACKUP_PATH_MAX], old[BACKUP_PATH_MAX];
	char data[BACKUP_PATH_MAX + 16];
	struct backup_info bi;
	struct stat sb;
	int rc, had_store;

	memset(&bi, 0, sizeof(bi));
	if (strlen(store_dir) + 16 >= sizeof(tmp))
		return fail(eb, AMIE_EUSAGE, "restore: path too long");
	if (stat(file, &sb) != 0)
		return backup_errno(eb, "restore: cannot read", file);
	if (!S_ISREG(sb.st_mode))
		return fail(eb, AMIE_EPROTO, "restore: %s is not a file", file);
	snprintf(tmp, sizeof(tmp), "%s%s", store_dir, BACKUP_RESTORE_SUFFIX);
	snprintf(old, sizeof(old), "%s%s", store_dir, BACKUP_OLD_SUFFIX);
	snprintf(data, sizeof(data), "%s/data.mdb", tmp);
	/* A restore interrupted earlier left its copy: start again. */
	if (backup_remove_store(tmp) != 0)
		return backup_errno(eb, "restore: cannot remove", tmp);
	if (mkdir(tmp, 0700) != 0)
		return backup_errno(eb, "restore: cannot create", tmp);
	if ((rc = backup_copy(file, data, eb)) != 0 ||
	    (rc = backup_inspect(tmp, file, network_id, self, force, fn, ctx,
		 &bi, eb)) != 0) {
		backup_remove_store(tmp);
		return rc;
	}
	/* The copy is good: swap it in, keeping the old store beside. */
	had_store = stat(store_dir, &sb) == 0;
	if (had_store &&
	    (backup_remove_store(old) != 0 || rename(store_dir, old) != 0)) {
		rc = backup_errno(eb, "restore: cannot move the store to", old);
		backup_remove_store(tmp);
		return rc;
	}
	if (rename(tmp, store_dir) != 0) {
		rc = backup_errno(eb, "restore: cannot move the backup to",
		    store_dir);
		if (had_store)
			rename(old, store_dir);
		backup_remove_store(tmp);
		return rc;
	}
	backup_sync_dir(store_dir);
	*info = bi;
	return 0;
}
