/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * A task that only reads the store, run on a thread of its own so that
 * the caller goes on meanwhile: the daemon's amie backup and amie check,
 * which hold one read transaction for as long as they take.  While a
 * task runs, the store's map is not grown (store_grow() refuses, as it
 * does under a sync's snapshot): remapping under an open read
 * transaction is not allowed.
 *
 * store_task_start() and store_task_end() are called on the same thread,
 * the one that owns the store; run is called on the task's thread and
 * must only read the store.
 */
#ifndef AMIE_STORE_TASK_H
#define AMIE_STORE_TASK_H

#include "proto/errbuf.h"
#include "store/store.h"

struct store_task;

/*
 * Start run(st, arg, eb) on a thread of its own.  Returns 0 and sets
 * *out, or AMIE_EIO (no thread).
 */
int store_task_start(struct store *st,
    int (*run)(struct store *st, void *arg, struct errbuf *eb), void *arg,
    struct store_task **out, struct errbuf *eb);

/* Whether the task is over: store_task_end() then returns at once. */
int store_task_done(const struct store_task *t);

/* Wait for the task, free it and set *t to NULL: run's result, with its
 * reason in eb. */
int store_task_end(struct store_task **t, struct errbuf *eb);

#endif
