/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store/backup.c and store/export.c: copies, restores and pages. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/body.h"
#include "proto/xmalloc.h"
#include "store/backup.h"
#include "store/export.h"
#include "store/internal.h"
#include "tests/unit/test.h"

#define TS0 1764320000000ull

struct fixture {
	char dir[64], store[96];
	uint8_t pk[32], sk[64], net[32];
	struct store *st;
};

static uint8_t *
fx_sign(struct fixture *f, const char *kind, const char *key, uint64_t ts,
    size_t *len)
{
	struct record_header h;
	struct body_charter c;
	struct body_kb a;
	struct mpw body, out;
	uint8_t id[32], *buf;

	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&out, RECORD_ENCODED_MAX);
	if (strcmp(kind, "charter") == 0) {
		c.name.s = "Fed";
		c.name.len = 3;
		memcpy(c.founder, f->pk, 32);
		c.admit_quorum = c.remove_quorum = 1;
		body_charter_encode(&c, &body);
	} else {
		memset(&a, 0, sizeof(a));
		a.title.s = key;
		a.title.len = (uint32_t)strlen(key);
		a.text.s = "texte";
		a.text.len = 5;
		body_kb_encode(&a, &body);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, f->pk, 32);
	h.ts = ts;
	if (record_sign(&h, body.buf, body.len, f->sk,
		strcmp(kind, "charter") == 0 ? NULL : f->net, &out, id,
		NULL) != 0)
		abort();
	buf = mpw_take(&out, len);
	mpw_release(&body);
	return buf;
}

static void
fx_put(struct fixture *f, const char *kind, const char *key, uint64_t ts)
{
	struct store_in in;
	struct store_out o;
	struct errbuf eb;
	struct record r;
	size_t len;
	uint8_t *buf = fx_sign(f, kind, key, ts, &len);

	if (strcmp(kind, "charter") == 0) {
		record_decode(&r, buf, len, NULL);
		record_network_id(f->net, r.header, r.header_len);
	}
	in.buf = buf;
	in.len = len;
	if (store_ingest(f->st, &in, 1, TS0 + 1000000, &o, &eb) != 0 ||
	    !o.stored)
		abort();
	free(buf);
}

/* A store with a charter and n articles, one ms apart. */
static void
fx_open(struct fixture *f, int n)
{
	struct errbuf eb;
	char key[16];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/amie-backup-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	crypto_sign_keypair(f->pk, f->sk);
	if (store_open(&f->st, f->store, f->pk, &eb) != 0)
		abort();
	fx_put(f, "charter", "", TS0);
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "art%05d", i);
		fx_put(f, "kb", key, TS0 + 10 + (uint64_t)i);
	}
}

static void
fx_close(struct fixture *f)
{
	char cmd[128];

	store_close(&f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

static uint64_t
fx_records(struct store *st)
{
	struct store_stats s;
	struct errbuf eb;

	store_stats(st, &s, &eb);
	return s.records;
}

TEST(a_backup_restores_to_the_same_records)
{
	struct fixture f;
	struct backup_info info;
	struct errbuf eb;
	struct stat sb;
	char file[128], old[128];
	uint64_t bytes;

	fx_open(&f, 20);
	snprintf(file, sizeof(file), "%s/b.mdb", f.dir);
	REQUIRE(backup_write(f.st, file, 0, &bytes, &eb) == 0);
	CHECK(stat(file, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK_EQ_INT(bytes, sb.st_size);
	CHECK_EQ_INT(backup_write(f.st, file, 0, &bytes, &eb), AMIE_EUSAGE);
	CHECK_EQ_INT(backup_write(f.st, file, 1, &bytes, &eb), 0);
	fx_put(&f, "kb", "later", TS0 + 100);
	store_close(&f.st);

	REQUIRE(backup_restore(f.store, file, f.net, f.pk, 0, NULL, NULL, &info,
		    &eb) == 0);
	CHECK_EQ_INT(info.records, 21);
	CHECK_EQ_INT(info.check.problems, 0);
	snprintf(old, sizeof(old), "%s%s", f.store, BACKUP_OLD_SUFFIX);
	CHECK(stat(old, &sb) == 0);
	REQUIRE(store_open(&f.st, f.store, f.pk, &eb) == 0);
	CHECK_EQ_INT(fx_records(f.st), 21);
	fx_close(&f);
}

TEST(a_restore_refuses_another_federation_and_junk)
{
	struct fixture f, g;
	struct backup_info info;
	struct errbuf eb;
	struct stat sb;
	char file[128], junk[128], old[128];
	uint64_t bytes;
	FILE *fp;

	fx_open(&f, 2);
	fx_open(&g, 2);
	snprintf(file, sizeof(file), "%s/g.mdb", g.dir);
	REQUIRE(backup_write(g.st, file, 0, &bytes, &eb) == 0);
	store_close(&f.st);
	CHECK_EQ_INT(backup_restore(f.store, file, f.net, f.pk, 0, NULL, NULL,
			 &info, &eb),
	    AMIE_EREFUSED);
	CHECK(strstr(eb.msg, "another federation") != NULL);
	/* Without a network id, this node's key must be a member there. */
	CHECK_EQ_INT(backup_restore(f.store, file, NULL, f.pk, 0, NULL, NULL,
			 &info, &eb),
	    AMIE_EREFUSED);
	snprintf(junk, sizeof(junk), "%s/junk", f.dir);
	fp = fopen(junk, "w");
	REQUIRE(fp != NULL);
	fputs("not a store", fp);
	fclose(fp);
	CHECK_EQ_INT(backup_restore(f.store, junk, f.net, f.pk, 0, NULL, NULL,
			 &info, &eb),
	    AMIE_EPROTO);
	snprintf(old, sizeof(old), "%s%s", f.store, BACKUP_OLD_SUFFIX);
	CHECK(stat(old, &sb) != 0); /* nothing moved */
	REQUIRE(store_open(&f.st, f.store, f.pk, &eb) == 0);
	CHECK_EQ_INT(fx_records(f.st), 3);
	fx_close(&f);
	fx_close(&g);
}

struct page {
	uint32_t count;
	size_t bytes;
};

static void
page_add(void *ctx, const uint8_t *buf, size_t len)
{
	struct page *p = ctx;

	(void)buf;
	p->count++;
	p->bytes += len;
}

TEST(export_pages_give_every_record_once)
{
	struct fixture f;
	uint8_t next[EXPORT_CURSOR_LEN];
	struct errbuf eb;
	struct page p;
	uint32_t total = 0, pages = 0;
	int done = 0, first = 1;

	fx_open(&f, 50);
	while (!done) {
		memset(&p, 0, sizeof(p));
		REQUIRE(export_page(f.st, first ? NULL : next, 0, NULL, 1 << 20,
			    7, page_add, &p, next, &done, &eb) == 0);
		CHECK(p.count <= 7);
		total += p.count;
		pages++;
		first = 0;
	}
	CHECK_EQ_INT(total, 51);
	CHECK(pages >= 8);

	/* A byte budget: the first record always goes. */
	memset(&p, 0, sizeof(p));
	REQUIRE(export_page(f.st, NULL, 0, NULL, 1, 100, page_add, &p, next,
		    &done, &eb) == 0);
	CHECK_EQ_INT(p.count, 1);
	CHECK_EQ_INT(done, 0);

	/* Kind and since. */
	memset(&p, 0, sizeof(p));
	REQUIRE(export_page(f.st, NULL, 0, "charter", 1 << 20, 100, page_add,
		    &p, next, &done, &eb) == 0);
	CHECK_EQ_INT(p.count, 1);
	CHECK_EQ_INT(done, 1);
	memset(&p, 0, sizeof(p));
	REQUIRE(export_page(f.st, NULL, TS0 + 50, NULL, 1 << 20, 100, page_add,
		    &p, next, &done, &eb) == 0);
	CHECK_EQ_INT(p.count, 10); /* ts TS0 + 50 to TS0 + 59 */
	fx_close(&f);
}

TESTS(T(a_backup_restores_to_the_same_records),
    T(a_restore_refuses_another_federation_and_junk),
    T(export_pages_give_every_record_once))
