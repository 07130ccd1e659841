/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xmalloc.h"
#include "store/internal.h"
#include "store/task.h"

struct store_task {
	struct store *st;
	pthread_t thread;
	int (*run)(struct store *st, void *arg, struct errbuf *eb);
	void *arg;
	/* Written by the thread, read once done is set. */
	int rc;
	struct errbuf eb;
	atomic_int done;
};

static void *
store_task_thread(void *p)
{
	struct store_task *t = p;

	/* Named, for top and gdb (and the tests, which hold the prctl()
	 * this makes to see the daemon go on meanwhile). */
	pthread_setname_np(pthread_self(), "amied-task");
	errbuf_clear(&t->eb);
	t->rc = t->run(t->st, t->arg, &t->eb);
	atomic_store(&t->done, 1);
	return NULL;
}

int
store_task_start(struct store *st,
    int (*run)(struct store *st, void *arg, struct errbuf *eb), void *arg,
    struct store_task **out, struct errbuf *eb)
{
	struct store_task *t = xcalloc(1, sizeof(*t));
	int e;

	t->st = st;
	t->run = run;
	t->arg = arg;
	atomic_init(&t->done, 0);
	/* Counted as a snapshot: store_grow() must not remap under the
	 * task's read transaction. */
	st->snapshots++;
	if ((e = pthread_create(&t->thread, NULL, store_task_thread,
	    t)) != 0) {
		st->snapshots--;
		free(t);
		return fail(eb, AMIE_EIO, "no thread: %s", strerror(e));
	}
	*out = t;
	return 0;
}

int
store_task_done(const struct store_task *t)
{
	return atomic_load(&t->done);
}

int
store_task_end(struct store_task **tp, struct errbuf *eb)
{
	struct store_task *t = *tp;
	int rc;

	pthread_join(t->thread, NULL);
	t->st->snapshots--;
	rc = t->rc;
	if (rc != 0)
		*eb = t->eb;
	free(t);
	*tp = NULL;
	return rc;
}
