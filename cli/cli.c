/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <zmq.h>

#include "cli/cli.h"
#include "cli/color.h"
#include "cli/i18n.h"
#include "proto/xmalloc.h"

/*
 * What the daemon reports comes in English (its messages are formatted
 * with ids and numbers, and logged).  A French user sees the messages in
 * cli_daemon_msgs translated whole when they come back exactly, and any
 * other with the class of its code in French before the English detail.
 * The table is here for xgettext: the lookup is gettext(eb->msg).
 */
static const char *const cli_daemon_msgs[] = {
	N_("amied is stopping"),
	N_("sync did not finish in time; it goes on in the background"),
	N_("this node has no federation to invite to"),
	N_("the inviter's answer does not make this node a member of its "
	    "federation"),
	N_("this node already belongs to a federation"),
	N_("invite: expired"),
	N_("invite: unknown secret"),
	N_("invite: already used"),
	N_("a join is in progress"),
	N_("this node has no federation"),
	N_("this node has no federation yet: join one with amie join CODE, "
	    "or found one with amie init --federation NAME in a new "
	    "directory"),
	N_("no peer is connected"),
	N_("too many syncs waiting"),
	N_("no record with that id"),
	N_("store: full while a sync reads it; retry later"),
	N_("store full while a sync reads it; retry later"),
	N_("which article?"),
	N_("search: which words?"),
	N_("no words to search for"),
	N_("title: an article needs a title"),
	N_("tags: an empty tag"),
	N_("author: not a member of this federation"),
	N_("member: no member or proposed member with that key"),
	N_("tombstone: only the author of an article deletes it"),
	N_("tombstone: only articles can be deleted"),
};

/* The class of each AMIE_E* code, for the prefix of untranslated
 * messages. */
static const char *const cli_code_labels[AMIE_ERR_COUNT] = {
	[AMIE_EPROTO] = N_("malformed data"),
	[AMIE_ELIMIT] = N_("over a limit"),
	[AMIE_ESIG] = N_("bad signature"),
	[AMIE_EREFUSED] = N_("refused"),
	[AMIE_ENOTFOUND] = N_("not found"),
	[AMIE_EAMBIGUOUS] = N_("ambiguous id"),
	[AMIE_EIO] = N_("system error"),
	[AMIE_EPERM] = N_("permission denied"),
	[AMIE_ECONFIG] = N_("configuration error"),
	[AMIE_EAGAIN] = N_("temporary failure"),
	[AMIE_EUNAVAIL] = N_("unreachable"),
	[AMIE_EUSAGE] = N_("bad request"),
};

/* The last message cli_call() wrote itself, already translated. */
static char cli_local_msg[ERRBUF_LEN];

int
cli_dir(struct cli *c)
{
	const char *env = getenv("AMIE_DIR"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (c->dir_opt != NULL && c->dir_opt[0] == '\0')
		return cli_error(c, CLI_EXIT_USAGE,
		    _("no node directory: use --dir DIR or set AMIE_DIR"));
	if (c->dir_opt != NULL)
		n = snprintf(c->dir, sizeof(c->dir), "%s", c->dir_opt);
	else if (env != NULL && env[0] != '\0')
		n = snprintf(c->dir, sizeof(c->dir), "%s", env);
	else if (xdg != NULL && xdg[0] != '\0')
		n = snprintf(c->dir, sizeof(c->dir), "%s/amie", xdg);
	else if (home != NULL)
		n = snprintf(c->dir, sizeof(c->dir), "%s/.local/share/amie",
		    home);
	else
		return cli_error(c, CLI_EXIT_USAGE,
		    _("no node directory: use --dir DIR or set AMIE_DIR"));
	if (n < 0 || (size_t)n >= sizeof(c->dir) - 32)
		return cli_error(c, CLI_EXIT_USAGE,
		    _("node directory too long"));
	return 0;
}

int
cli_exit_code(int code)
{
	switch (code) {
	case AMIE_OK:
		return CLI_EXIT_OK;
	case AMIE_ENOTFOUND:
		return CLI_EXIT_NOTFOUND;
	case AMIE_EUSAGE:
	case AMIE_EAMBIGUOUS:
		return CLI_EXIT_USAGE;
	case AMIE_EUNAVAIL:
		return CLI_EXIT_UNAVAILABLE;
	case AMIE_EAGAIN:
	case AMIE_EIO:
		return CLI_EXIT_TEMPFAIL;
	case AMIE_EPERM:
		return CLI_EXIT_NOPERM;
	case AMIE_ECONFIG:
		return CLI_EXIT_CONFIG;
	default:
		return CLI_EXIT_DATAERR;
	}
}

int
cli_error(const struct cli *c, int exit, const char *fmt, ...)
{
	va_list ap;

	/* TRANSLATORS: the command's name before a message. */
	fprintf(stderr, _("%s: "), c->prog ? c->prog : "amie");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return exit;
}

int
cli_option_allowed(const char *name, const char *allowed)
{
	size_t len = strlen(name);
	const char *p = allowed;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == allowed || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

int
cli_sub_run(const char *prog, const struct cli_sub *subs, size_t count,
    const char *usage, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(_(usage), argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < count; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, _("%s: unknown command '%s'\n"), prog, argv[1]);
	fputs(_(usage), stderr);
	return CLI_EXIT_USAGE;
}

int
cli_fail(const struct cli *c, const struct errbuf *eb)
{
	const char *t = gettext(eb->msg), *label;
	int exit = cli_exit_code(eb->code);

	(void)cli_daemon_msgs;
	if (t != eb->msg || strcmp(eb->msg, cli_local_msg) == 0 ||
	    eb->code <= 0 || eb->code >= AMIE_ERR_COUNT ||
	    cli_code_labels[eb->code] == NULL)
		return cli_error(c, exit, "%s", t);
	/* Only when the catalogue has a translation for the class: in
	 * English the message stands alone, as the daemon wrote it. */
	label = gettext(cli_code_labels[eb->code]);
	if (label == cli_code_labels[eb->code])
		return cli_error(c, exit, "%s", eb->msg);
	return cli_error(c, exit, _("%s: %s"), label, eb->msg);
}

/* Is a daemon listening on path?  0 if so (or if we cannot tell), else
 * the errno of connecting: a refused or absent socket says no at once,
 * where ZeroMQ would wait for it to appear. */
static int
cli_daemon_probe(const char *path)
{
	struct sockaddr_un sa;
	int fd, e = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;	/* let ZeroMQ report it */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		e = errno;
	close(fd);
	return e == ECONNREFUSED || e == ENOENT || e == EACCES ? e : 0;
}

/* Note that eb holds a message of our own, already translated. */
static int
cli_local(struct errbuf *eb, int rc)
{
	snprintf(cli_local_msg, sizeof(cli_local_msg), "%s", eb->msg);
	return rc;
}

static uint64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
cli_call_ticking(const struct cli *c, const struct mpw *req,
    struct cli_reply *r, void (*tick)(void *ctx), void *ctx, int tick_ms,
    struct errbuf *eb)
{
	char path[CLI_PATH_MAX + 16], ep[CLI_PATH_MAX + 32];
	int timeout = c->timeout_ms ? c->timeout_ms : CLI_TIMEOUT_MS;
	int linger = 0, rc = 0;
	const char *why = NULL;
	int64_t maxmsg = CTL_MSG_MAX + 64;
	uint64_t deadline;
	void *ctx0, *sock;
	zmq_msg_t m;

	snprintf(path, sizeof(path), "%s/amied.sock", c->dir);
	switch (cli_daemon_probe(path)) {
	case 0:
		break;
	case EACCES:
		return fail(eb, AMIE_EPERM, "%s: %s", path, strerror(EACCES));
	default:
		return cli_local(eb, fail(eb, AMIE_EUNAVAIL,
		    _("amied is not running for %s; start it with: amied "
		    "--dir %s"), c->dir, c->dir));
	}
	if (tick == NULL || tick_ms <= 0)
		tick_ms = timeout;
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	ctx0 = zmq_ctx_new();
	sock = zmq_socket(ctx0, ZMQ_REQ);
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	zmq_msg_init(&m);
	deadline = cli_now_ms() + (uint64_t)timeout;
	if (zmq_connect(sock, ep) != 0 || zmq_send(sock, req->buf, req->len,
	    0) < 0)
		why = zmq_strerror(zmq_errno());
	/* Wait in steps of tick_ms, calling tick between them. */
	while (why == NULL) {
		zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
		uint64_t now = cli_now_ms();
		long wait;

		if (now >= deadline) {
			why = strerror(EAGAIN);
			break;
		}
		wait = (long)(deadline - now);
		if (wait > tick_ms)
			wait = tick_ms;
		if (zmq_poll(&it, 1, wait) < 0 && zmq_errno() != EINTR)
			why = zmq_strerror(zmq_errno());
		else if (it.revents & ZMQ_POLLIN) {
			if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0)
				why = zmq_strerror(zmq_errno());
			break;
		} else if (tick != NULL)
			tick(ctx);
	}
	if (why != NULL) {
		rc = cli_local(eb, fail(eb, AMIE_EUNAVAIL,
		    _("amied at %s did not answer: %s"), path, why));
		goto out;
	}
	r->len = zmq_msg_size(&m);
	r->buf = xmalloc(r->len);
	memcpy(r->buf, zmq_msg_data(&m), r->len);
	if ((rc = ctl_reply_status(r->buf, r->len, eb)) == 0 &&
	    (rc = mpmap_decode(&r->m, r->buf, r->len, "reply", eb)) == 0)
		goto out;
	free(r->buf);
	r->buf = NULL;
out:
	zmq_msg_close(&m);
	zmq_close(sock);
	zmq_ctx_term(ctx0);
	return rc;
}

int
cli_call(const struct cli *c, const struct mpw *req, struct cli_reply *r,
    struct errbuf *eb)
{
	return cli_call_ticking(c, req, r, NULL, NULL, 0, eb);
}

/* Map keys in canonical order: bytewise, the shorter first when one is a
 * prefix of the other. */
static int
cli_key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* req with the field "after" = the encoded value cursor, in w. */
static int
cli_page_request(const struct mpw *req, const uint8_t *cursor,
    size_t cursor_len, struct mpw *w, struct errbuf *eb)
{
	struct mpmap m;
	int rc, put = 0;

	if ((rc = mpmap_decode(&m, req->buf, req->len, "request", eb)) != 0)
		return rc;
	mpw_init(w, CTL_MSG_MAX);
	mpw_map(w, m.count + 1);
	for (uint32_t i = 0; i <= m.count; i++) {
		if (!put && (i == m.count || cli_key_cmp("after", 5,
		    m.f[i].key, m.f[i].key_len) < 0)) {
			mpw_cstr(w, "after");
			mpw_raw(w, cursor, cursor_len);
			put = 1;
		}
		if (i == m.count)
			break;
		mpw_str(w, m.f[i].key, m.f[i].key_len);
		mpw_raw(w, m.f[i].val, m.f[i].val_len);
	}
	if ((rc = mpw_finish(w, "request", eb)) != 0)
		mpw_release(w);
	return rc;
}

/* The fields of reply last, with the n items gathered in items as its
 * array key, and without "next", into r. */
static int
cli_pages_merge(const struct cli_reply *last, const char *key,
    uint32_t n, const struct mpw *items, struct cli_reply *r,
    struct errbuf *eb)
{
	struct mpw w;
	uint32_t count = last->m.count;
	int rc;

	mpw_init(&w, CLI_PAGES_MAX + CTL_MSG_MAX);
	if (mpmap_get(&last->m, "next") != NULL)
		count--;
	mpw_map(&w, count);
	for (uint32_t i = 0; i < last->m.count; i++) {
		const struct mpfield *f = &last->m.f[i];

		if (cli_key_cmp(f->key, f->key_len, "next", 4) == 0)
			continue;
		mpw_str(&w, f->key, f->key_len);
		if (cli_key_cmp(f->key, f->key_len, key, strlen(key)) == 0) {
			mpw_array(&w, n);
			mpw_raw(&w, items->buf, items->len);
		} else {
			mpw_raw(&w, f->val, f->val_len);
		}
	}
	if ((rc = mpw_finish(&w, "list", eb)) != 0) {
		mpw_release(&w);
		return rc;
	}
	r->buf = mpw_take(&w, &r->len);
	if ((rc = mpmap_decode(&r->m, r->buf, r->len, "reply", eb)) != 0) {
		free(r->buf);
		r->buf = NULL;
	}
	return rc;
}

int
cli_call_pages(const struct cli *c, const struct mpw *req, const char *key,
    struct cli_reply *r, struct errbuf *eb)
{
	uint8_t cursor[CLI_CURSOR_MAX];
	size_t cursor_len = 0;
	struct cli_reply last, page;
	struct mpw items, again;
	uint32_t total = 0, pages = 0;
	int rc;

	last.buf = NULL;
	mpw_init(&items, CLI_PAGES_MAX);
	for (;;) {
		const struct mpfield *next;
		const uint8_t *start;
		struct mpr rd;
		uint32_t n;

		if (pages++ == 0) {
			rc = cli_call(c, req, &page, eb);
		} else if ((rc = cli_page_request(req, cursor, cursor_len,
		    &again, eb)) == 0) {
			rc = cli_call(c, &again, &page, eb);
			mpw_release(&again);
		}
		if (rc != 0)
			break;
		if ((rc = mpmap_reader(&page.m, key, &rd, eb)) != 0 ||
		    (rc = mpr_array(&rd, &n, UINT32_MAX, key, eb)) != 0) {
			if (rc == AMIE_ENOTFOUND)
				rc = cli_local(eb, fail(eb, AMIE_EPROTO,
				    _("the daemon's reply lacks the list '%s'"),
				    key));
			cli_reply_release(&page);
			break;
		}
		start = rd.p;
		for (uint32_t i = 0; i < n && rc == 0; i++)
			rc = mpr_skip(&rd, MP_DEPTH_MAX, key, eb);
		if (rc == 0 && (n > UINT32_MAX - total ||
		    (size_t)(rd.p - start) > CLI_PAGES_MAX - items.len))
			rc = cli_local(eb, fail(eb, AMIE_ELIMIT, _("the list "
			    "'%s' is over %u MiB"), key, CLI_PAGES_MAX >> 20));
		if (rc != 0) {
			cli_reply_release(&page);
			break;
		}
		mpw_raw(&items, start, (size_t)(rd.p - start));
		total += n;
		next = mpmap_get(&page.m, "next");
		if (next != NULL && (next->val_len == 0 ||
		    next->val[0] == 0xc0))	/* nil: the end */
			next = NULL;
		if (next != NULL && (n == 0 || next->val_len > CLI_CURSOR_MAX ||
		    (next->val_len == cursor_len &&
		    memcmp(next->val, cursor, cursor_len) == 0))) {
			rc = cli_local(eb, fail(eb, AMIE_EPROTO, _("the "
			    "daemon's list '%s' does not go on from one page "
			    "to the next"), key));
			cli_reply_release(&page);
			break;
		}
		if (next != NULL) {
			memcpy(cursor, next->val, next->val_len);
			cursor_len = next->val_len;
		}
		/* The last page's fields stand for the list: a count of
		 * what the page left out (more) is 0 there. */
		cli_reply_release(&last);
		last = page;
		if (next == NULL) {
			rc = cli_pages_merge(&last, key, total, &items, r, eb);
			break;
		}
	}
	cli_reply_release(&last);
	mpw_release(&items);
	return rc;
}

void
cli_reply_release(struct cli_reply *r)
{
	free(r->buf);
	r->buf = NULL;
}

void
cli_reply_str(const struct cli_reply *r, const char *key, char *out,
    size_t cap)
{
	if (mpmap_cstr(&r->m, key, out, cap, NULL) != 0 && cap > 0)
		out[0] = '\0';
}

uint64_t
cli_reply_uint(const struct cli_reply *r, const char *key)
{
	uint64_t v = 0;

	if (mpmap_uint(&r->m, key, &v, NULL) != 0)
		return 0;
	return v;
}

/* One msgpack value at rd as a new JSON value, or NULL if malformed. */
static json_t *
cli_json_value(struct mpr *rd, unsigned depth)
{
	struct mptok t;
	json_t *j = NULL;
	char *hex;

	if (depth > MP_DEPTH_MAX || mpr_token(rd, &t, "reply", NULL) != 0)
		return NULL;
	switch (t.type) {
	case MP_NIL:
		return json_null();
	case MP_BOOL:
		return json_boolean(t.u);
	case MP_UINT:
		return json_integer((json_int_t)t.u);
	case MP_INT:
		return json_integer((json_int_t)t.i);
	case MP_STR:
		return json_stringn((const char *)t.data, t.len);
	case MP_BIN:
		hex = xmalloc(2 * (size_t)t.len + 1);
		sodium_bin2hex(hex, 2 * (size_t)t.len + 1, t.data, t.len);
		j = json_string(hex);
		free(hex);
		return j;
	case MP_ARRAY:
		j = json_array();
		for (uint32_t i = 0; i < t.count; i++) {
			json_t *e = cli_json_value(rd, depth + 1);

			if (e == NULL) {
				json_decref(j);
				return NULL;
			}
			json_array_append_new(j, e);
		}
		return j;
	case MP_MAP:
		j = json_object();
		for (uint32_t i = 0; i < t.count; i++) {
			struct mptok k;
			json_t *e;
			char *key;

			if (mpr_token(rd, &k, "reply", NULL) != 0 ||
			    k.type != MP_STR) {
				json_decref(j);
				return NULL;
			}
			key = xstrndup((const char *)k.data, k.len);
			e = cli_json_value(rd, depth + 1);
			if (e == NULL) {
				free(key);
				json_decref(j);
				return NULL;
			}
			json_object_set_new(j, key, e);
			free(key);
		}
		return j;
	}
	return NULL;
}

json_t *
cli_json_text(const char *s)
{
	size_t len = strlen(s), n = 0;
	json_t *j;
	char *t;

	if (mp_utf8_check((const uint8_t *)s, len) == 0)
		return json_stringn(s, len);
	/* Each byte that starts no valid character becomes U+FFFD. */
	t = xmalloc(3 * len + 1);
	for (size_t i = 0; i < len;) {
		unsigned char b = (unsigned char)s[i];
		size_t k = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 :
		    b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;

		if (k > 0 && i + k <= len &&
		    mp_utf8_check((const uint8_t *)s + i, k) == 0) {
			memcpy(t + n, s + i, k);
			n += k;
			i += k;
		} else {
			memcpy(t + n, "\xef\xbf\xbd", 3);
			n += 3;
			i++;
		}
	}
	j = json_stringn(t, n);
	free(t);
	return j;
}

int
cli_print_json(const struct cli_reply *r)
{
	struct mpr rd;
	json_t *j;

	mpr_init(&rd, r->buf, r->len);
	if ((j = cli_json_value(&rd, 0)) == NULL || !json_is_object(j)) {
		json_decref(j);
		fprintf(stderr, "%s", _("amie: the daemon's reply is malformed\n"));
		return CLI_EXIT_DATAERR;
	}
	json_object_set_new(j, "schema", json_integer(1));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(j);
	return 0;
}

void
cli_time(char out[32], uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, 32, "?");
}

int
cli_color(FILE *f)
{
	return color_is_on(f);
}

size_t
cli_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void
cli_pad(FILE *f, const char *s, size_t width)
{
	fputs(s, f);
	for (size_t n = cli_width(s); n < width; n++)
		fputc(' ', f);
}
