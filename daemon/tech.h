/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * The technician control commands.  A technician is the public object
 * ("tech", id): every member sees the technicians of the federation, so
 * that an Amie short of one knows whom to ask for; only the Amie that
 * registered a technician revises it (store/work.c enforces it).
 */
#ifndef AMIE_DAEMON_TECH_H
#define AMIE_DAEMON_TECH_H

#include "daemon/control.h"

#define TECH_ID_BYTES 8		/* random bytes of a new technician id */

/*
 * tech.add: name, skills (array, one at least), optional regions, langs
 * (arrays) and availability.  Reply: id, revision.
 */
int tech_handle_add(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* tech.edit: id and the fields of tech.add to replace.  Only a
 * technician of this Amie.  Reply: id, revision. */
int tech_handle_edit(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/*
 * tech.list: optional skill and region filters (ASCII case ignored),
 * optional after (a technician id: the next of the page before).  Reply:
 * techs, maps of amie (the node id of its Amie), availability, id,
 * langs, mine (bool), name, regions, skills, updated; by id, as many as
 * CTL_PAGE_MAX bytes hold.  more: those after this page; next (the id of
 * the last one given) when more follow.
 */
int tech_handle_list(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

/* tech.show: id.  Reply: one map as in tech.list. */
int tech_handle_show(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb);

#endif
