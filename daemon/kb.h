/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The knowledge-base control commands: kb.add, kb.show, kb.list.
 * An article is the object ("kb", article id); its revisions are kb
 * records; what is shown is the display winner among its heads (latest
 * ts, then lowest id), with the other heads named as conflicts.
 */
#ifndef AMIE_DAEMON_KB_H
#define AMIE_DAEMON_KB_H

#include "daemon/control.h"

#define KB_ID_BYTES 16		/* random bytes of a new article id */
#define KB_REINDEX_STEP 256	/* articles of one kb.reindex step */
#define KB_CURSOR_LEN 40	/* a kb.history cursor: ts (8), record id */

/*
 * Request: title, and optional body (Markdown), lang (default "fr"),
 * category, tags (array of strings).  Reply: id (the article id) and
 * revision (the record id, hex).
 */
int kb_handle_add(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * Request: id (an article id or a unique prefix), and the fields to
 * change: title, body, lang, category, tags (the others are kept from
 * the revision shown).  Writes a new revision that refs the revision
 * shown.  Reply: id, revision.
 */
int kb_handle_edit(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * Request: id (an article id or a unique prefix of it).  Reply: author,
 * body, category, conflicts (revision ids of the other heads), id, lang,
 * licence, revision, tags, title, updated (ms since 1970).
 */
int kb_handle_show(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * Request: optional tag and category filters, optional after (an article
 * id: the next of the page before).  Reply: articles, an array of maps
 * with author, category, conflicts (count), id, lang, tags, title,
 * updated, in article id order, as many as CTL_PAGE_MAX bytes hold; and
 * next (the id of the last one given) when more follow.
 */
int kb_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* kb.rm: id, reason.  Signs a tombstone for the article's heads.
 * Reply: id, revision (the tombstone). */
int kb_handle_rm(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * kb.history: id, optional after (a cursor: the next of the page
 * before).  Reply: id, revisions (author, head, refs, revision, title,
 * updated), oldest first, as many as CTL_PAGE_MAX bytes hold, and next
 * (KB_CURSOR_LEN bytes: the ts, big endian, and id of the last revision
 * given) when more follow.  AMIE_EPROTO for a cursor of another length.
 */
int kb_handle_history(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* kb.diff: id, optional from and to (revision id prefixes; default: the
 * shown revision and the one it replaced).  Reply: id, from_revision,
 * from_title, from_body, to_revision, to_title, to_body. */
int kb_handle_diff(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* kb.conflicts, optional after (as kb.list).  Reply: conflicts (heads,
 * id, title, winner), in pages as kb.list, and next. */
int kb_handle_conflicts(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* kb.resolve: id, optional keep (revision prefix; default the winner)
 * and article fields (as kb.edit).  Writes a revision that refs every
 * head.  Reply: id, revision. */
int kb_handle_resolve(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* kb.search: query, optional tag, category, lang, author (bin32),
 * limit.  Reply: index_complete (false while a rebuild in steps is under
 * way: articles may be missing), query, results (author, id, lang,
 * score_milli, snippet, tags, title, updated), best first. */
int kb_handle_search(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * kb.reindex, optional step (bool).  Without step: rebuild the index in
 * one transaction; reply: articles.  With step: go through the next
 * KB_REINDEX_STEP articles of the rebuild under way, starting one if
 * none is; reply: articles (indexed now), done and total (articles gone
 * through, of how many), finished (bool).  The daemon answers other
 * requests between steps.
 */
int kb_handle_reindex(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
