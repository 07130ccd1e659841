/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>

#include <systemd/sd-daemon.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/reload.h"

static void
reload_reply(struct mpw *w, const char *path,
    const struct config_change *ch, size_t count)
{
	/* Keys in bytewise order: replies are canonical maps. */
	mpw_map(w, 2);
	mpw_cstr(w, "changed");
	mpw_array(w, (uint32_t)count);
	for (size_t i = 0; i < count; i++) {
		mpw_map(w, 4);
		mpw_cstr(w, "key");
		mpw_cstr(w, ch[i].key);
		mpw_cstr(w, "new");
		mpw_cstr(w, ch[i].new_value);
		mpw_cstr(w, "old");
		mpw_cstr(w, ch[i].old_value);
		mpw_cstr(w, "restart");
		mpw_bool(w, ch[i].restart);
	}
	mpw_cstr(w, "file");
	mpw_cstr(w, path);
}

int
reload_run(struct node *n, struct mpw *reply, struct errbuf *eb)
{
	struct config_change ch[CONFIG_KEYS_MAX];
	char path[NODE_PATH_MAX];
	struct config next, old;
	size_t count;
	int rc, node_info = 0;

	sd_notify(0, "RELOADING=1");
	if ((rc = node_path(n, path, sizeof(path), NODE_CONF_FILE, eb)) != 0 ||
	    (rc = config_load(&next, path, eb)) != 0) {
		log_msg(LOG_ERR, "reload: %s; the running configuration stays",
		    eb->msg);
		sd_notify(0, "READY=1");
		return rc;
	}
	count = config_diff(&n->conf, &next, ch);
	/* The peer socket stays bound where it is until the next start. */
	memcpy(next.listen, n->conf.listen, sizeof(next.listen));
	for (size_t i = 0; i < count; i++)
		if (!ch[i].restart && strncmp(ch[i].key, "[node] ", 7) == 0)
			node_info = 1;
	/* A description node.info refuses (an empty name) is no half
	 * change: the node would run with it and the members keep the
	 * old one. */
	old = n->conf;
	n->conf = next;
	if (node_info && n->net != NULL &&
	    (rc = net_write_node_info(n->net, eb)) != 0) {
		n->conf = old;
		log_msg(LOG_ERR, "reload: %s; the running configuration stays",
		    eb->msg);
		sd_notify(0, "READY=1");
		return rc;
	}
	/* The new level first, so that its own change shows when it is
	 * raised. */
	log_set_level(next.log_level);
	for (size_t i = 0; i < count; i++) {
		if (ch[i].restart) {
			log_msg(LOG_WARNING, "reload: %s changed to '%s': "
			    "restart amied to apply it", ch[i].key,
			    ch[i].new_value);
			continue;
		}
		log_msg(LOG_NOTICE, "reload: %s: '%s' -> '%s'", ch[i].key,
		    ch[i].old_value, ch[i].new_value);
	}
	if (count == 0)
		log_msg(LOG_NOTICE, "reload: %s: no change", path);
	if (reply != NULL)
		reload_reply(reply, path, ch, count);
	sd_notify(0, "READY=1");
	return 0;
}

int
reload_handle(struct node *n, const struct ctl_request *req,
    struct mpw *reply, struct errbuf *eb)
{
	(void)req;
	return reload_run(n, reply, eb);
}
