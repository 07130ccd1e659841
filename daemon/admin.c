/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/admin.h"
#include "daemon/log.h"
#include "proto/keyfile.h"
#include "proto/nodeid.h"
#include "proto/xmalloc.h"
#include "store/backup.h"
#include "store/check.h"
#include "store/member.h"
#include "store/task.h"

struct admin_problems {
	size_t count;
	struct {
		char db[16];
		char msg[CHECK_MSG_MAX];
	} v[ADMIN_PROBLEMS_MAX];
};

/* A check on its thread (store/task.h): what it found. */
struct admin_check {
	struct admin_problems problems;
	struct check_stats stats;
};

/* A backup on its thread: where, and what it wrote. */
struct admin_backup {
	char path[NODE_PATH_MAX];
	int force;
	uint64_t bytes;
};

static void
admin_problem(void *ctx, const char *db, const char *msg)
{
	struct admin_problems *p = ctx;

	log_msg(LOG_WARNING, "check: %s: %s", db, msg);
	if (p->count == ADMIN_PROBLEMS_MAX)
		return;
	snprintf(p->v[p->count].db, sizeof(p->v[p->count].db), "%s", db);
	snprintf(p->v[p->count].msg, sizeof(p->v[p->count].msg), "%s", msg);
	p->count++;
}

/* The check itself, on its thread. */
static int
admin_check_run(struct store *st, void *arg, struct errbuf *eb)
{
	struct admin_check *c = arg;

	return check_run(st, admin_problem, &c->problems, &c->stats, eb);
}

int
admin_handle_check(struct node *n, const struct ctl_request *req, struct mpw *w,
    struct errbuf *eb)
{
	int rc;

	(void)req;
	(void)w;	/* answered by admin_tick() */
	if (n->check != NULL)
		return fail(eb, AMIE_EAGAIN, "check: another check is under "
		    "way; retry once it is done");
	n->check_arg = xcalloc(1, sizeof(*n->check_arg));
	if ((rc = store_task_start(n->store, admin_check_run, n->check_arg,
	    &n->check, eb)) != 0) {
		free(n->check_arg);
		n->check_arg = NULL;
		return fail_prefix(eb, "check");
	}
	log_msg(LOG_INFO, "check: started");
	n->check_ticket = control_defer(n->ctl);
	return CONTROL_DEFERRED;
}

/* The reply of a check that ran to its end. */
static void
admin_check_reply(const struct check_stats *s, const struct admin_problems *p,
    struct mpw *w)
{
	log_msg(s->problems ? LOG_WARNING : LOG_INFO,
	    "check: %llu records, %llu problems", (unsigned long long)s->records,
	    (unsigned long long)s->problems);
	/* Keys in bytewise order: replies are canonical maps. */
	mpw_map(w, 7);
	mpw_cstr(w, "articles");
	mpw_uint(w, s->articles);
	mpw_cstr(w, "items");
	mpw_uint(w, s->items);
	mpw_cstr(w, "members");
	mpw_uint(w, s->members);
	mpw_cstr(w, "objects");
	mpw_uint(w, s->objects);
	mpw_cstr(w, "problems");
	mpw_array(w, (uint32_t)p->count);
	for (size_t i = 0; i < p->count; i++) {
		mpw_map(w, 2);
		mpw_cstr(w, "db");
		mpw_cstr(w, p->v[i].db);
		mpw_cstr(w, "message");
		mpw_cstr(w, p->v[i].msg);
	}
	mpw_cstr(w, "problems_total");
	mpw_uint(w, s->problems);
	mpw_cstr(w, "records");
	mpw_uint(w, s->records);
}

/* Whether path names a file of the node's directory or of its store:
 * written over, it would replace the store under the daemon (what is
 * written after is lost at the next start) or the node's key. */
static int
admin_backup_own(const struct node *n, const char *path)
{
	char dir[NODE_PATH_MAX], store[NODE_PATH_MAX + 16], *slash;
	struct stat sd, sn, ss;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	slash[slash == dir ? 1 : 0] = '\0';
	snprintf(store, sizeof(store), "%s/%s", n->dir, NODE_STORE_DIR);
	if (stat(dir, &sd) != 0)
		return 0;
	return (stat(n->dir, &sn) == 0 && sd.st_dev == sn.st_dev &&
	    sd.st_ino == sn.st_ino) ||
	    (stat(store, &ss) == 0 && sd.st_dev == ss.st_dev &&
	    sd.st_ino == ss.st_ino);
}

/* The backup itself, on its thread. */
static int
admin_backup_run(struct store *st, void *arg, struct errbuf *eb)
{
	struct admin_backup *b = arg;

	return backup_write(st, b->path, b->force, &b->bytes, eb);
}

int
admin_handle_backup(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	char path[NODE_PATH_MAX];
	int rc, force = 0;

	(void)w;	/* answered by admin_tick() */
	if ((rc = mpmap_cstr(&req->args, "path", path, sizeof(path),
	    eb)) != 0)
		return rc;
	rc = mpmap_bool(&req->args, "force", &force, eb);
	if (rc != 0 && rc != AMIE_ENOTFOUND)
		return rc;
	if (path[0] != '/')
		return fail(eb, AMIE_EUSAGE, "backup: path must be absolute");
	if (admin_backup_own(n, path))
		return fail(eb, AMIE_EUSAGE,
		    "backup: %s is in the node's directory; give a path "
		    "outside %s", path, n->dir);
	if (n->backup != NULL)
		return fail(eb, AMIE_EAGAIN, "backup: another backup is being "
		    "written; retry once it is done");
	n->backup_arg = xcalloc(1, sizeof(*n->backup_arg));
	memcpy(n->backup_arg->path, path, sizeof(path));
	n->backup_arg->force = force;
	if ((rc = store_task_start(n->store, admin_backup_run, n->backup_arg,
	    &n->backup, eb)) != 0) {
		free(n->backup_arg);
		n->backup_arg = NULL;
		return fail_prefix(eb, "backup");
	}
	n->backup_ticket = control_defer(n->ctl);
	return CONTROL_DEFERRED;
}

/* Answer amie check once it is over (with wait, wait for it). */
static void
admin_check_tick(struct node *n, int wait)
{
	struct errbuf eb;
	struct mpw w;

	if (n->check == NULL || (!wait && !store_task_done(n->check)))
		return;
	errbuf_clear(&eb);
	if (store_task_end(&n->check, &eb) != 0) {
		log_msg(LOG_ERR, "control: check: %s", eb.msg);
		control_reply_later(n->ctl, &n->check_ticket, NULL, &eb);
	} else {
		mpw_init(&w, CTL_MSG_MAX);
		admin_check_reply(&n->check_arg->stats,
		    &n->check_arg->problems, &w);
		if (mpw_finish(&w, "reply", &eb) != 0)
			control_reply_later(n->ctl, &n->check_ticket, NULL,
			    &eb);
		else
			control_reply_later(n->ctl, &n->check_ticket, &w,
			    NULL);
		mpw_release(&w);
	}
	free(n->check_arg);
	n->check_arg = NULL;
}

void
admin_tick(struct node *n, int wait)
{
	struct admin_backup *b = n->backup_arg;
	struct errbuf eb;
	struct mpw w;

	admin_check_tick(n, wait);
	if (n->backup == NULL || (!wait && !store_task_done(n->backup)))
		return;
	errbuf_clear(&eb);
	if (store_task_end(&n->backup, &eb) != 0) {
		log_msg(eb.code == AMIE_EIO ? LOG_ERR : LOG_INFO,
		    "control: backup: %s", eb.msg);
		control_reply_later(n->ctl, &n->backup_ticket, NULL, &eb);
	} else {
		log_msg(LOG_NOTICE, "backup: %s written (%llu bytes)",
		    b->path, (unsigned long long)b->bytes);
		mpw_init(&w, 256 + NODE_PATH_MAX);
		mpw_map(&w, 2);
		mpw_cstr(&w, "bytes");
		mpw_uint(&w, b->bytes);
		mpw_cstr(&w, "path");
		mpw_cstr(&w, b->path);
		control_reply_later(n->ctl, &n->backup_ticket, &w, NULL);
		mpw_release(&w);
	}
	free(b);
	n->backup_arg = NULL;
}

static int
admin_exit(int code)
{
	switch (code) {
	case AMIE_OK:
		return 0;
	case AMIE_EUSAGE:
		return 64;
	case AMIE_EAGAIN:
	case AMIE_EIO:
		return 75;
	case AMIE_EPERM:
		return 77;
	case AMIE_ECONFIG:
		return 78;
	default:
		return 65;
	}
}

static void
admin_restore_problem(void *ctx, const char *db, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "amie restore: check: %s: %s\n", db, msg);
}

/* The public key of DIR/node.key in pk: 0, or -1. */
static int
admin_node_key(const char *dir, uint8_t pk[RECORD_KEY_LEN])
{
	char path[NODE_PATH_MAX + 16], buf[KEYFILE_LEN + 1];
	uint8_t seed[KEYFILE_SEED_LEN], sk[crypto_sign_SECRETKEYBYTES];
	ssize_t len;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, NODE_KEY_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	rc = len > 0 ? keyfile_parse(seed, buf, (size_t)len, NULL) : -1;
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0)
		return -1;
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

/* The network id of the node in dir: its store's, else its charter
 * file's.  0, or -1 when neither says. */
static int
admin_node_network(const char *dir, const uint8_t pk[RECORD_KEY_LEN],
    uint8_t net[32])
{
	char path[NODE_PATH_MAX + 32];
	uint8_t buf[RECORD_ENCODED_MAX];
	struct store *st;
	struct record r;
	struct errbuf eb;
	struct stat sb;
	ssize_t len;
	int fd, rc = -1;

	snprintf(path, sizeof(path), "%s/%s/data.mdb", dir, NODE_STORE_DIR);
	if (stat(path, &sb) == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, NODE_STORE_DIR);
		if (store_open(&st, path, pk, &eb) == 0) {
			rc = store_network_id(st, net) == 0 ? 0 : -1;
			store_close(&st);
			if (rc == 0)
				return 0;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", dir, NODE_CHARTER_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len <= 0 || record_decode(&r, buf, (size_t)len, NULL) != 0)
		return -1;
	record_network_id(net, r.header, r.header_len);
	return 0;
}

int
admin_restore_main(const char *dir, const char *file, int force)
{
	char path[NODE_PATH_MAX + 32];
	uint8_t pk[RECORD_KEY_LEN], net[32];
	struct backup_info info;
	struct errbuf eb;
	int lock, rc, has_net, has_key;

	snprintf(path, sizeof(path), "%s/%s", dir, NODE_LOCK_FILE);
	if ((lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "amie restore: %s: %s\n", path,
		    strerror(errno));
		return errno == EACCES ? 77 : 78;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "amie restore: amied is running on %s; stop "
		    "it first (systemctl stop amied, or kill its pid)\n", dir);
		close(lock);
		return 75;
	}
	has_key = admin_node_key(dir, pk) == 0;
	has_net = admin_node_network(dir, pk, net) == 0;
	if (!has_net && !has_key) {
		fprintf(stderr, "amie restore: %s has neither a store, a "
		    "charter nor a node key: run amie init first\n", dir);
		close(lock);
		return 78;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, NODE_STORE_DIR);
	errbuf_clear(&eb);
	rc = backup_restore(path, file, has_net ? net : NULL,
	    has_key ? pk : NULL, force, admin_restore_problem, NULL, &info,
	    &eb);
	close(lock);
	if (rc != 0) {
		fprintf(stderr, "amie %s\n", eb.msg);
		return admin_exit(rc);
	}
	fprintf(stderr, "amie restore: %s restored: %llu records, %llu "
	    "problems; the replaced store, if any, is in %s%s (remove it "
	    "once amie check passes)\n", file,
	    (unsigned long long)info.records,
	    (unsigned long long)info.check.problems, path, BACKUP_OLD_SUFFIX);
	if (info.invites > 0)
		fprintf(stderr, "amie restore: the %zu invite(s) the backup "
		    "held are not brought back: invite again\n",
		    info.invites);
	return 0;
}

struct admin_skew {
	struct node *node;
	uint64_t now;
	size_t count;
	struct {
		uint64_t ahead_ms;
		char id[NODEID_LEN + 1];
		char name[BODY_NAME_MAX + 1];
		int self;
	} v[ADMIN_SKEW_MAX];
};

static int
admin_skew_member(void *ctx, const struct member_info *m)
{
	struct admin_skew *s = ctx;
	int self = memcmp(m->key, s->node->pk, RECORD_KEY_LEN) == 0;
	uint64_t ts = 0;

	if (s->count == ADMIN_SKEW_MAX ||
	    store_last_ts(s->node->store, m->key, &ts, NULL) != 0 ||
	    ts <= s->now + (self ? 1000 : ADMIN_SKEW_MS))
		return 0;
	s->v[s->count].ahead_ms = ts - s->now;
	nodeid_format(s->v[s->count].id, m->key);
	snprintf(s->v[s->count].name, sizeof(s->v[s->count].name), "%s",
	    m->name);
	s->v[s->count].self = self;
	s->count++;
	return 0;
}

int
admin_handle_doctor(struct node *n, const struct ctl_request *req,
    struct mpw *w, struct errbuf *eb)
{
	struct store_health h;
	struct admin_skew *s;
	int rc;

	(void)req;
	if ((rc = store_health(n->store, &h, eb)) != 0)
		return rc;
	if (h.stale_cleared > 0)
		log_msg(LOG_NOTICE, "doctor: cleared %d stale reader slots",
		    h.stale_cleared);
	s = xcalloc(1, sizeof(*s));
	s->node = n;
	s->now = node_now_ms();
	if ((rc = member_list(n->store, admin_skew_member, s, eb)) != 0 &&
	    rc != AMIE_ENOTFOUND) {
		free(s);
		return rc;
	}
	mpw_map(w, 9);
	mpw_cstr(w, "advertise");
	mpw_cstr(w, n->conf.advertise);
	mpw_cstr(w, "clock");
	mpw_array(w, (uint32_t)s->count);
	for (size_t i = 0; i < s->count; i++) {
		mpw_map(w, 4);
		mpw_cstr(w, "ahead_ms");
		mpw_uint(w, s->v[i].ahead_ms);
		mpw_cstr(w, "id");
		mpw_cstr(w, s->v[i].id);
		mpw_cstr(w, "name");
		mpw_cstr(w, s->v[i].name);
		mpw_cstr(w, "self");
		mpw_bool(w, s->v[i].self);
	}
	mpw_cstr(w, "listen");
	mpw_cstr(w, n->conf.listen);
	mpw_cstr(w, "map_bytes");
	mpw_uint(w, h.map_bytes);
	mpw_cstr(w, "max_bytes");
	mpw_uint(w, h.max_bytes);
	mpw_cstr(w, "readers_max");
	mpw_uint(w, h.readers_max);
	mpw_cstr(w, "readers_used");
	mpw_uint(w, h.readers_used);
	mpw_cstr(w, "stale_cleared");
	mpw_uint(w, (uint64_t)h.stale_cleared);
	mpw_cstr(w, "used_bytes");
	mpw_uint(w, h.used_bytes);
	free(s);
	return 0;
}
