/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/kb.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/node.h"
#include "proto/keyfile.h"
#include "proto/xmalloc.h"
#include "store/search.h"

uint64_t
node_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
node_mono_ms(void)
{
	static uint64_t base_ms;	/* the clock at the first call, less
					 * the monotonic time then */
	struct timespec ts;
	uint64_t mono_ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (base_ms == 0)
		base_ms = node_now_ms() - mono_ms;
	return base_ms + mono_ms;
}

int
node_path(const struct node *n, char *out, size_t cap, const char *name,
    struct errbuf *eb)
{
	int len = snprintf(out, cap, "%s/%s", n->dir, name);

	if (len < 0 || (size_t)len >= cap)
		return fail(eb, AMIE_ECONFIG, "%s/%s: path too long", n->dir,
		    name);
	return 0;
}

/* Refuse a path that group or others can read, write or enter. */
static int
node_check_private(const char *path, struct errbuf *eb)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return fail(eb, errno == ENOENT ? AMIE_ECONFIG : AMIE_EIO,
		    "%s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (run amie init first)" : "");
	if (sb.st_mode & 077)
		return fail(eb, AMIE_EPERM,
		    "%s: mode %03o lets others read it; run chmod %s %s", path,
		    (unsigned)(sb.st_mode & 0777),
		    S_ISDIR(sb.st_mode) ? "700" : "600", path);
	return 0;
}

static int
node_load_key(struct node *n, struct errbuf *eb)
{
	char path[NODE_PATH_MAX], buf[KEYFILE_LEN + 1];
	uint8_t seed[KEYFILE_SEED_LEN];
	ssize_t len;
	int fd, rc;

	if ((rc = node_path(n, path, sizeof(path), NODE_KEY_FILE, eb)) != 0 ||
	    (rc = node_check_private(path, eb)) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(eb, AMIE_EIO, "%s: %s", path, strerror(errno));
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0)
		return fail(eb, AMIE_EIO, "%s: %s", path, strerror(errno));
	rc = keyfile_parse(seed, buf, (size_t)len, eb);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0)
		return rc;
	n->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (n->sk == NULL) {
		sodium_memzero(seed, sizeof(seed));
		return fail(eb, AMIE_EIO, "cannot allocate locked memory");
	}
	crypto_sign_seed_keypair(n->pk, n->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

/* Ingest the charter that amie init wrote, while the store has none. */
static int
node_load_charter(struct node *n, struct errbuf *eb)
{
	char path[NODE_PATH_MAX];
	uint8_t netid[32], *buf;
	struct store_out out;
	struct store_in in;
	struct stat sb;
	ssize_t len;
	int fd, rc;

	if (store_network_id(n->store, netid) == 0)
		return 0;
	if ((rc = node_path(n, path, sizeof(path), NODE_CHARTER_FILE, eb)) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : fail(eb, AMIE_EIO, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) != 0 || sb.st_size > RECORD_ENCODED_MAX) {
		close(fd);
		return fail(eb, AMIE_ECONFIG, "%s: not a charter record", path);
	}
	buf = xmalloc((size_t)sb.st_size);
	len = read(fd, buf, (size_t)sb.st_size);
	close(fd);
	in.buf = buf;
	in.len = len > 0 ? (size_t)len : 0;
	rc = store_ingest(n->store, &in, 1, node_now_ms(), &out, eb);
	free(buf);
	if (rc != 0)
		return rc;
	if (out.code != 0)
		return fail(eb, AMIE_ECONFIG, "%s: %s", path, out.reason);
	if (out.stored)
		log_msg(LOG_NOTICE, "federation charter stored");
	return 0;
}

/*
 * Finish a rebuild of the search index in steps that a stop or a crash
 * cut short: until it is done, searches miss the articles it has not
 * gone through.
 */
static int
node_finish_reindex(struct node *n, struct errbuf *eb)
{
	struct search_progress pr;
	int rc;

	if ((rc = search_reindex_progress(n->store, &pr, eb)) != 0 ||
	    !pr.running)
		return rc;
	log_msg(LOG_NOTICE, "finishing the rebuild of the search index cut "
	    "short at %llu of %llu articles", (unsigned long long)pr.done,
	    (unsigned long long)pr.total);
	while (pr.running)
		if ((rc = search_reindex_step(n->store, KB_REINDEX_STEP, &pr,
		    eb)) != 0)
			return rc;
	log_msg(LOG_NOTICE, "search index rebuilt");
	return 0;
}

int
node_open(struct node *n, const char *dir, struct errbuf *eb)
{
	char path[NODE_PATH_MAX];
	int rc;

	memset(n, 0, sizeof(*n));
	n->lock_fd = -1;
	if (strlen(dir) >= sizeof(n->dir) - 32)
		return fail(eb, AMIE_ECONFIG, "%s: path too long", dir);
	memcpy(n->dir, dir, strlen(dir) + 1);
	if ((rc = node_check_private(dir, eb)) != 0)
		return rc;
	if ((rc = node_path(n, path, sizeof(path), NODE_LOCK_FILE, eb)) != 0)
		return rc;
	n->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (n->lock_fd < 0)
		return fail(eb, AMIE_EIO, "%s: %s", path, strerror(errno));
	if (flock(n->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rc = fail(eb, AMIE_EAGAIN,
		    "%s: another amied is running on this directory", dir);
		goto fail;
	}
	if ((rc = node_path(n, path, sizeof(path), NODE_CONF_FILE, eb)) != 0 ||
	    (rc = config_load(&n->conf, path, eb)) != 0 ||
	    (rc = node_load_key(n, eb)) != 0 ||
	    (rc = node_path(n, path, sizeof(path), NODE_STORE_DIR, eb)) != 0 ||
	    (rc = store_open(&n->store, path, n->pk, eb)) != 0 ||
	    (rc = node_load_charter(n, eb)) != 0 ||
	    (rc = node_finish_reindex(n, eb)) != 0)
		goto fail;
	(void)node_clock_behind_ms(n);
	return 0;

fail:
	node_close(n);
	return rc;
}

void
node_close(struct node *n)
{
	store_close(&n->store);
	if (n->sk != NULL)
		sodium_free(n->sk);	/* wipes before freeing */
	n->sk = NULL;
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	n->lock_fd = -1;
}

/*
 * Say in the log, once each way, when this machine's clock is behind the
 * last record this node wrote (it was stepped back) and when it has
 * caught up again.  last is that record's ts, now the clock.
 */
static void
node_clock_note(struct node *n, uint64_t now, uint64_t last)
{
	int behind = last > now + NODE_CLOCK_BACK_MS;

	if (behind && !n->clock_behind)
		log_msg(LOG_WARNING, "clock: this machine's clock is %llu s "
		    "behind the last record this node wrote (it was set "
		    "back): new records are dated from that one on, 1 ms "
		    "apart, until the clock catches up; check it with "
		    "timedatectl status",
		    (unsigned long long)((last - now) / 1000));
	else if (!behind && n->clock_behind && now > last)
		log_msg(LOG_NOTICE, "clock: this machine's clock has caught "
		    "up with the records this node wrote");
	else
		return;
	n->clock_behind = behind;
}

uint64_t
node_clock_behind_ms(struct node *n)
{
	uint64_t now = node_now_ms(), last = 0;

	if (store_last_ts(n->store, n->pk, &last, NULL) != 0)
		return 0;
	node_clock_note(n, now, last);
	return last > now + NODE_CLOCK_BACK_MS ? last - now : 0;
}

int
node_write(struct node *n, const char *kind, const char *key,
    const uint8_t (*refs)[RECORD_ID_LEN], uint32_t refs_count,
    const uint8_t *body, size_t body_len, uint64_t flags,
    uint8_t id[RECORD_ID_LEN], struct errbuf *eb)
{
	struct record_header h;
	uint8_t netid[32];
	struct store_out out;
	struct store_in in;
	uint64_t now = node_now_ms(), last;
	struct mpw w;
	int rc;

	if (store_network_id(n->store, netid) != 0)
		return fail(eb, AMIE_ECONFIG,
		    "this node has no federation yet: join one with amie join "
		    "CODE, or found one with amie init --federation NAME in a "
		    "new directory");
	if (strlen(key) > RECORD_KEY_MAX)
		return fail(eb, AMIE_ELIMIT, "key: over %d bytes",
		    RECORD_KEY_MAX);
	assert(strlen(kind) <= RECORD_KIND_MAX && refs_count <= RECORD_REFS_MAX);
	if ((rc = store_last_ts(n->store, n->pk, &last, eb)) != 0)
		return rc;
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.author, n->pk, sizeof(h.author));
	h.ts = now > last ? now : last + 1;
	node_clock_note(n, now, last);
	memcpy(h.key, key, strlen(key));
	h.refs_count = refs_count;
	if (refs_count > 0)
		memcpy(h.refs, refs, refs_count * RECORD_ID_LEN);
	h.flags = flags;
	mpw_init(&w, RECORD_ENCODED_MAX);
	if ((rc = record_sign(&h, body, body_len, n->sk, netid, &w, id,
	    eb)) != 0 || (rc = mpw_finish(&w, "record", eb)) != 0) {
		mpw_release(&w);
		return rc;
	}
	in.buf = w.buf;
	in.len = w.len;
	/* After the clock went back, h.ts (last + 1) is ahead of it: the
	 * ingest's limit on records from the future is there for the
	 * clocks of others, and must not refuse this node's own dating. */
	rc = store_ingest(n->store, &in, 1, h.ts > now ? h.ts : now, &out,
	    eb);
	mpw_release(&w);
	if (rc != 0)
		return rc;
	if (out.code != 0)
		return fail(eb, out.code, "%s", out.reason);
	if (n->net != NULL)
		net_record_stored(n->net, kind, id, 0);
	return 0;
}
