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
 * Request: optional tag and category filters.  Reply: articles, an array
 * of maps with author, category, conflicts (count), id, lang, tags,
 * title, updated, in article id order.
 */
int kb_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
