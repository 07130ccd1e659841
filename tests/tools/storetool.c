/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * storetool: a test tool (never installed) that opens a stopped node's
 * store directly.
 *
 *   storetool check DIR        run the store check (store/check.h) on
 *                              DIR/store; print each problem as
 *                              "DB: message"; exit 0 when consistent,
 *                              65 when problems were found
 *   storetool damage DIR DB    delete the first entry of database DB,
 *                              as a bug or a bad disk would, for tests
 *                              that prove `amie check` notices
 *
 * Exit 75 when the store cannot be opened (amied running holds no lock
 * on LMDB, so do not run it on a running node's store), 64 on usage
 * errors.
 */
#include <stdio.h>
#include <string.h>

#include "store/check.h"
#include "store/internal.h"

static void
storetool_problem(void *ctx, const char *db, const char *msg)
{
	(void)ctx;
	printf("%s: %s\n", db, msg);
}

static int
storetool_damage(struct store *st, const char *db)
{
	static const struct {
		const char *name;
		size_t off;
	} dbs[] = {
		{ "records", offsetof(struct store, records) },
		{ "items", offsetof(struct store, items) },
		{ "revs", offsetof(struct store, revs) },
		{ "heads", offsetof(struct store, heads) },
		{ "refby", offsetof(struct store, refby) },
		{ "authors", offsetof(struct store, authors) },
		{ "chunks", offsetof(struct store, chunks) },
		{ "members", offsetof(struct store, members) },
		{ "signers", offsetof(struct store, signers) },
		{ "byauthor", offsetof(struct store, byauthor) },
		{ "deleted", offsetof(struct store, deleted) },
		{ "terms", offsetof(struct store, terms) },
		{ "docs", offsetof(struct store, docs) },
	};
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;

	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi dbi;

		if (strcmp(dbs[i].name, db) != 0)
			continue;
		dbi = *(MDB_dbi *)((char *)st + dbs[i].off);
		if (mdb_txn_begin(st->env, NULL, 0, &txn) != 0)
			return 75;
		if (mdb_cursor_open(txn, dbi, &c) != 0 ||
		    mdb_cursor_get(c, &k, &v, MDB_FIRST) != 0 ||
		    mdb_cursor_del(c, 0) != 0) {
			fprintf(stderr, "storetool: %s is empty\n", db);
			mdb_txn_abort(txn);
			return 65;
		}
		mdb_cursor_close(c);
		return mdb_txn_commit(txn) == 0 ? 0 : 75;
	}
	fprintf(stderr, "storetool: no database %s\n", db);
	return 64;
}

int
main(int argc, char **argv)
{
	uint8_t self[RECORD_KEY_LEN] = { 0 };
	char path[4200];
	struct check_stats s;
	struct store *st;
	struct errbuf eb;
	int rc;

	if (argc < 3 || (strcmp(argv[1], "check") == 0 && argc != 3) ||
	    (strcmp(argv[1], "damage") == 0 && argc != 4) ||
	    (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "damage") != 0)) {
		fprintf(stderr, "usage: storetool check DIR | damage DIR DB\n");
		return 64;
	}
	snprintf(path, sizeof(path), "%s/store", argv[2]);
	errbuf_clear(&eb);
	if (store_open(&st, path, self, &eb) != 0) {
		fprintf(stderr, "storetool: %s\n", eb.msg);
		return 75;
	}
	if (strcmp(argv[1], "damage") == 0) {
		rc = storetool_damage(st, argv[3]);
	} else if (check_run(st, storetool_problem, NULL, &s, &eb) != 0) {
		fprintf(stderr, "storetool: %s\n", eb.msg);
		rc = 75;
	} else {
		printf("%llu records, %llu problems\n",
		    (unsigned long long)s.records,
		    (unsigned long long)s.problems);
		rc = s.problems ? 65 : 0;
	}
	store_close(&st);
	return rc;
}
