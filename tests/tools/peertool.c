/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * peertool: a test tool (never installed) that plays a buggy or hostile
 * peer over CurveZMQ, with the key of a node directory whose amied is
 * stopped, of a key made by "mint", or of a node that is no member.
 *
 *   peertool KEYDIR ENDPOINT SERVER_NODE_ID NETWORK_ID_HEX MODE
 *   peertool mint FOUNDER_DIR NEWDIR NETWORK_ID_HEX
 *   peertool secrets KEYDIR
 *   peertool recode CODE NETWORK_ID_HEX
 *
 * mint makes a key pair in NEWDIR/node.key (mode 0600), signs a
 * member.add for it with the key of FOUNDER_DIR and hands it to that
 * node's amied over its control socket: a new member, without a node.
 * secrets prints, one a line, every encoding of KEYDIR's secret key that
 * could leak into a log: the seed and the 64-byte secret key in hex and in
 * each base64 variant, and the CurveZMQ secret key in hex and Z85, for
 * tests that grep logs for them.  recode prints the invite CODE again
 * with the federation it names replaced: the code of an inviter that
 * answers with another federation than its code says.
 *
 * MODE, after a HELLO (each record mode sends one record in a RECORDS):
 *   hello        only the HELLO, report the answer
 *   wrongnet     a HELLO for another federation
 *   badsig       a record whose signature is wrong
 *   foreignnet   a record signed for another federation
 *   nonmember    a record by a key that is no member
 *   bigheader    a record whose header is over RECORD_HEADER_MAX
 *   bigbody      a record whose body is over RECORD_BODY_MAX
 *   longint      a header with an integer in a longer form than needed
 *   unsorted     a body whose map keys are not sorted
 *   dupkey       a body with the same map key twice
 *   badutf8      a header whose key is not valid UTF-8
 *   trailing     a header followed by a stray byte
 *   deepbody     a body nested past MP_DEPTH_MAX
 *   future       a valid record dated an hour ahead
 *   replay       the same valid record in three RECORDS messages
 *   garbage      bytes that are not a message
 *   countbomb    a RECORDS announcing 2^32 - 1 records in 5 bytes
 *   truncated    a RECORDS message cut in the middle of its record
 *   unknowntype  a message of a type that does not exist
 *   negversion   a NEG_OPEN whose protocol version byte is invalid
 *   negframe     a NEG_OPEN with a frame over NET_FRAME_LIMIT
 *   negvarint    a NEG_OPEN with a varint of 11 bytes
 *   flood        HAVE messages of WIRE_IDS_MAX random ids, each followed
 *                by 200 small PONGs, as fast as it can for
 *                $PEERTOOL_FLOOD_MS (default 5000) ms
 *   multipart    one message of 64 KiB frames that does not end, for as
 *                long (then its last frame)
 *   clock        a PING a second whose nonce, the sender's clock, is off
 *                by $PEERTOOL_CLOCK_S seconds (default 0; negative:
 *                behind), for $PEERTOOL_HOLD_MS ms (default 30000) or
 *                until killed; prints "answered" at the first PONG
 *   unanswered   a HAVE of the record id $PEERTOOL_ID (hex), then waits
 *                up to 5 s for a WANT of it and leaves without
 *                answering: prints "asked" or "not asked"
 *   unopened     waits up to 20 s for a NEG_OPEN and leaves without
 *                answering it: prints "opened" or "not opened"
 *   unfetched    answers the reconciliations opened with it for up to
 *                20 s as a peer whose set is the one record id
 *                $PEERTOOL_ID (hex) dated $PEERTOOL_TS (ms), and leaves
 *                without answering the WANT of it: prints "asked" or
 *                "not asked"
 *   stall        a HAVE of one random id and a PING every second, for
 *                $PEERTOOL_HOLD_MS ms (default 30000), answering
 *                nothing: the WANTs they bring are never answered;
 *                prints "sent N"
 *   strangerflood  flood, without waiting for an answer to its HELLO:
 *                for a key that is no member, let in while an invite is
 *                pending
 *   busy         answers the first NEG_OPEN (within 20 s) with
 *                NEG_ERR(session, "busy"), then PONGs for 10 s: prints
 *                "refused" or "not opened"
 * Prints one line: "refused at handshake", "no answer", "answered",
 * "error: MSG", "disconnected" (no PONG to a PING after the bad message)
 * or "still answering"; flood and multipart first print "sent N
 * messages" or "sent N frames".  Exit 0 when it could run, 64 on usage
 * errors.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "proto/body.h"
#include "proto/ctl.h"
#include "proto/invitecode.h"
#include "proto/keyfile.h"
#include "proto/negentropy.h"
#include "proto/nodeid.h"
#include "proto/record.h"
#include "proto/wire.h"
#include "proto/xmalloc.h"

#define PEERTOOL_HELLO_MS 5000	/* for the answer to HELLO */
#define PEERTOOL_WAIT_MS 2000	/* for a PONG: longer is "disconnected" */
#define PEERTOOL_FRAME (300 * 1024)	/* over NET_FRAME_LIMIT (256 KiB) */
#define PEERTOOL_SMALL_PER_BIG 200	/* flood: PONGs per big HAVE */

static void
peertool_die(const char *msg)
{
	fprintf(stderr, "peertool: %s\n", msg);
	exit(64);
}

static uint64_t
peertool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The key pair kept in DIR/node.key. */
static void
peertool_load_key(const char *dir, uint8_t pk[32], uint8_t sk[64])
{
	char path[4200], buf[KEYFILE_LEN + 1];
	uint8_t seed[32];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/node.key", dir);
	if ((fd = open(path, O_RDONLY)) < 0)
		peertool_die(path);
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0 || keyfile_parse(seed, buf, (size_t)len, NULL) != 0)
		peertool_die("bad key file");
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(buf, sizeof(buf));
}

static void
peertool_netid(uint8_t net[32], const char *hex)
{
	size_t n = 0;

	if (sodium_hex2bin(net, 32, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != 32)
		peertool_die("bad network id");
}

/* Sign the header hdr for net with sk, append the encoded record to out. */
static void
peertool_seal(struct mpw *out, const uint8_t *hdr, size_t hlen,
    const uint8_t *body, size_t blen, const uint8_t sk[64],
    const uint8_t net[32], int bad_sig)
{
	uint8_t id[32], sig[64], m[10 + 32 + 32];
	struct record r;

	record_id(id, hdr, hlen);
	memcpy(m, "amie/sig/1", 10);
	memcpy(m + 10, net, 32);
	memcpy(m + 42, id, 32);
	crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
	if (bad_sig)
		sig[7] ^= 0x01;
	r.header = hdr;
	r.header_len = hlen;
	r.sig = sig;
	r.body = body;
	r.body_len = blen;
	record_encode(&r, out);
}

/* mint: a new member key, admitted by the founder's node. */
static int
peertool_mint(const char *founder, const char *newdir, const char *nethex)
{
	uint8_t fpk[32], fsk[64], pk[32], sk[64], seed[32], net[32];
	uint8_t id[RECORD_ID_LEN];
	char path[4200], hex[65], key[KEYFILE_LEN], ep[4200];
	struct body_member_add ma;
	struct record_header h;
	struct mpw body, rec, req;
	struct errbuf eb;
	zmq_msg_t reply;
	void *ctx, *s;
	int fd, timeout = 20000, linger = 0, rc = 2;

	peertool_load_key(founder, fpk, fsk);
	peertool_netid(net, nethex);
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	mkdir(newdir, 0700);
	snprintf(path, sizeof(path), "%s/node.key", newdir);
	keyfile_format(key, seed);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, key, sizeof(key)) != (ssize_t)sizeof(key))
		peertool_die(path);
	close(fd);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(seed, sizeof(seed));

	memset(&ma, 0, sizeof(ma));
	ma.name.s = "minted";
	ma.name.len = 6;
	ma.region.s = "";
	ma.endpoint.s = "";
	ma.contact.s = "";
	memcpy(ma.invited_by, fpk, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&rec, RECORD_ENCODED_MAX);
	body_member_add_encode(&ma, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "member.add", 10);
	sodium_bin2hex(hex, sizeof(hex), pk, 32);
	memcpy(h.key, hex, 64);
	memcpy(h.author, fpk, 32);
	h.ts = peertool_now();
	if (record_sign(&h, body.buf, body.len, fsk, net, &rec, id, NULL) != 0)
		peertool_die("cannot sign member.add");
	mpw_init(&req, CTL_MSG_MAX);
	mpw_map(&req, 2);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "ingest");
	mpw_cstr(&req, "records");
	mpw_array(&req, 1);
	mpw_bin(&req, rec.buf, rec.len);

	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_REQ);
	snprintf(ep, sizeof(ep), "ipc://%s/amied.sock", founder);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_msg_init(&reply);
	if (zmq_connect(s, ep) == 0 && zmq_send(s, req.buf, req.len, 0) >= 0 &&
	    zmq_msg_recv(&reply, s, 0) >= 0) {
		errbuf_clear(&eb);
		if (ctl_reply_status(zmq_msg_data(&reply), zmq_msg_size(&reply),
		    &eb) != 0) {
			fprintf(stderr, "peertool: mint: %s\n", eb.msg);
		} else {
			nodeid_format(path, pk);
			printf("%s\n", path);
			rc = 0;
		}
	}
	zmq_msg_close(&reply);
	zmq_close(s);
	zmq_ctx_term(ctx);
	mpw_release(&req);
	mpw_release(&body);
	mpw_release(&rec);
	sodium_memzero(fsk, sizeof(fsk));
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

/* Print b in hex and in the four base64 variants, one a line. */
static void
peertool_encodings(const uint8_t *b, size_t len)
{
	static const int variants[] = { sodium_base64_VARIANT_ORIGINAL,
		sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		sodium_base64_VARIANT_URLSAFE,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING };
	char out[256];

	sodium_bin2hex(out, sizeof(out), b, len);
	printf("%s\n", out);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		sodium_bin2base64(out, sizeof(out), b, len, variants[i]);
		printf("%s\n", out);
	}
}

static int
peertool_secrets(const char *dir)
{
	uint8_t pk[32], sk[64], csk[32];
	char z85[41];

	peertool_load_key(dir, pk, sk);
	crypto_sign_ed25519_sk_to_curve25519(csk, sk);
	peertool_encodings(sk, 32);	/* the seed, as in node.key */
	peertool_encodings(sk, 64);
	peertool_encodings(csk, 32);
	if (zmq_z85_encode(z85, csk, sizeof(csk)) != NULL)
		printf("%s\n", z85);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	return 0;
}

/* A kb body, or a malformed one for the body modes. */
static void
peertool_body(struct mpw *w, const char *mode)
{
	struct body_kb a;
	char *text;

	if (strcmp(mode, "unsorted") == 0 || strcmp(mode, "dupkey") == 0) {
		mpw_map(w, 3);
		mpw_cstr(w, "lang");
		mpw_cstr(w, "fr");
		mpw_cstr(w, strcmp(mode, "dupkey") == 0 ? "lang" : "body");
		mpw_cstr(w, "fr");
		mpw_cstr(w, "title");
		mpw_cstr(w, "Mal formé");
		return;
	}
	if (strcmp(mode, "deepbody") == 0) {
		mpw_map(w, 3);
		mpw_cstr(w, "lang");
		mpw_cstr(w, "fr");
		mpw_cstr(w, "tags");
		for (int i = 0; i < 2 * MP_DEPTH_MAX; i++)
			mpw_array(w, 1);
		mpw_cstr(w, "deep");
		mpw_cstr(w, "title");
		mpw_cstr(w, "Profond");
		return;
	}
	memset(&a, 0, sizeof(a));
	a.title.s = "Hostile";
	a.title.len = 7;
	a.lang.s = "fr";
	a.lang.len = 2;
	if (strcmp(mode, "bigbody") == 0) {
		/* Written by hand: body_kb_encode() keeps to the limit. */
		text = xmalloc(RECORD_BODY_MAX + 1);
		memset(text, 'x', RECORD_BODY_MAX);
		mpw_map(w, 3);
		mpw_cstr(w, "body");
		mpw_str(w, text, RECORD_BODY_MAX);
		mpw_cstr(w, "lang");
		mpw_cstr(w, "fr");
		mpw_cstr(w, "title");
		mpw_cstr(w, "Big");
		free(text);
		return;
	}
	body_kb_encode(&a, w);
}

/*
 * The record of a record mode, signed with sk (or another key) for net
 * (or another network), appended to out.  The header is written field by
 * field so that each mode can spoil exactly one thing.
 */
static void
peertool_record(struct mpw *out, const char *mode, const uint8_t pk[32],
    const uint8_t sk[64], const uint8_t net[32], uint64_t ts)
{
	static const uint8_t long_one[] = { 0xcc, 0x01 };
	uint8_t opk[32], osk[64], onet[32], hash[32], salt[8];
	const uint8_t *author = pk, *key = sk, *network = net;
	char k[2 * sizeof(salt) + 1], *bigkey;
	struct mpw body, hw;

	mpw_init(&body, RECORD_BODY_MAX * 2);
	mpw_init(&hw, RECORD_HEADER_MAX * 4);
	peertool_body(&body, mode);
	crypto_generichash(hash, 32, body.buf, body.len, NULL, 0);
	if (strcmp(mode, "nonmember") == 0) {
		crypto_sign_keypair(opk, osk);
		author = opk;
		key = osk;
	} else if (strcmp(mode, "foreignnet") == 0) {
		memcpy(onet, net, 32);
		onet[0] ^= 0x01;
		network = onet;
	}
	if (strcmp(mode, "future") == 0)
		ts += 3600 * 1000;
	if (strcmp(mode, "replay") == 0)
		snprintf(k, sizeof(k), "replayed");
	else {
		randombytes_buf(salt, sizeof(salt));
		sodium_bin2hex(k, sizeof(k), salt, sizeof(salt));
	}
	mpw_array(&hw, 9);
	if (strcmp(mode, "longint") == 0)
		mpw_raw(&hw, long_one, sizeof(long_one));
	else
		mpw_uint(&hw, RECORD_VERSION);
	mpw_cstr(&hw, "kb");
	mpw_bin(&hw, author, 32);
	mpw_uint(&hw, ts);
	if (strcmp(mode, "badutf8") == 0) {
		mpw_str(&hw, "cl\xe9", 3);
	} else if (strcmp(mode, "bigheader") == 0) {
		bigkey = xmalloc(RECORD_HEADER_MAX + 1);
		memset(bigkey, 'k', RECORD_HEADER_MAX);
		mpw_str(&hw, bigkey, RECORD_HEADER_MAX);
		free(bigkey);
	} else {
		mpw_cstr(&hw, k);
	}
	mpw_array(&hw, 0);
	mpw_bin(&hw, hash, 32);
	mpw_uint(&hw, body.len);
	mpw_uint(&hw, 0);
	if (strcmp(mode, "trailing") == 0)
		mpw_nil(&hw);
	peertool_seal(out, hw.buf, hw.len, body.buf, body.len, key, network,
	    strcmp(mode, "badsig") == 0);
	mpw_release(&body);
	mpw_release(&hw);
	sodium_memzero(osk, sizeof(osk));
}

static int
peertool_is_record_mode(const char *mode)
{
	static const char *const modes[] = { "badsig", "foreignnet",
		"nonmember", "bigheader", "bigbody", "longint", "unsorted",
		"dupkey", "badutf8", "trailing", "deepbody", "future",
		"replay", "truncated", NULL };

	for (size_t i = 0; modes[i] != NULL; i++)
		if (strcmp(mode, modes[i]) == 0)
			return 1;
	return 0;
}

/*
 * The bad message of mode in w: a RECORDS carrying the record of a record
 * mode, or hand-made bytes.  Returns 0, or -1 for an unknown mode.
 */
static int
peertool_message(struct mpw *w, const char *mode, const uint8_t pk[32],
    const uint8_t sk[64], const uint8_t net[32])
{
	static const uint8_t garbage[] = { 0x93, 0xc1, 0xc1, 0xc1 };
	static const uint8_t bomb[] = { 0x92, 0xa7, 'R', 'E', 'C', 'O', 'R',
		'D', 'S', 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t unknown[] = { 0x92, 0xa5, 'S', 'H', 'O', 'U',
		'T', 0x01 };
	uint8_t *neg;
	struct mpw rec;

	if (peertool_is_record_mode(mode)) {
		mpw_init(&rec, RECORD_ENCODED_MAX * 2);
		peertool_record(&rec, mode, pk, sk, net, peertool_now());
		wire_records_begin(w, 1);
		mpw_bin(w, rec.buf, rec.len);
		if (strcmp(mode, "truncated") == 0)
			w->len -= rec.len / 2;
		mpw_release(&rec);
		return 0;
	}
	if (strcmp(mode, "garbage") == 0) {
		mpw_raw(w, garbage, sizeof(garbage));
	} else if (strcmp(mode, "countbomb") == 0) {
		mpw_raw(w, bomb, sizeof(bomb));
	} else if (strcmp(mode, "unknowntype") == 0) {
		mpw_raw(w, unknown, sizeof(unknown));
	} else if (strcmp(mode, "negversion") == 0) {
		static const uint8_t v[] = { 0x13, 0x00, 0x00 };

		wire_neg(w, WIRE_NEG_OPEN, 7, v, sizeof(v));
	} else if (strcmp(mode, "negvarint") == 0) {
		static const uint8_t v[] = { 0x61, 0x81, 0x81, 0x81, 0x81, 0x81,
			0x81, 0x81, 0x81, 0x81, 0x81, 0x01 };

		wire_neg(w, WIRE_NEG_OPEN, 7, v, sizeof(v));
	} else if (strcmp(mode, "negframe") == 0) {
		/* A valid start (version, then a bound of timestamp 0, no
		 * id prefix, Skip), then padding to the oversized length. */
		neg = xcalloc(1, PEERTOOL_FRAME);
		neg[0] = 0x61;
		wire_neg(w, WIRE_NEG_OPEN, 7, neg, PEERTOOL_FRAME);
		free(neg);
	} else {
		return -1;
	}
	return 0;
}

static int peertool_recv(void *s, void *mon, zmq_msg_t *msg,
    struct wire_msg *m, int timeout_ms);
static void peertool_send(void *s, const struct mpw *w);

/*
 * Hand each message that comes to fn(ctx, s, m) until fn returns non-zero
 * (returned), the connection goes (-1) or the time passes *until (0); fn
 * may move *until.
 */
static int
peertool_each(void *s, void *mon, uint64_t *until,
    int (*fn)(void *ctx, void *s, const struct wire_msg *m), void *ctx)
{
	struct wire_msg m;
	zmq_msg_t msg;
	int rc;

	while (peertool_now() < *until) {
		rc = peertool_recv(s, mon, &msg, &m, 200);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		rc = fn(ctx, s, &m);
		zmq_msg_close(&msg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Whether m is a WANT of the id at ctx. */
static int
peertool_wants(void *ctx, void *s, const struct wire_msg *m)
{
	(void)s;
	if (m->type == WIRE_WANT)
		for (uint32_t i = 0; i < m->count; i++)
			if (memcmp(wire_id(m, i), ctx, 32) == 0)
				return 1;
	return 0;
}

/* $PEERTOOL_ID, a record id in hex, into id. */
static void
peertool_env_id(uint8_t id[32])
{
	const char *hex = getenv("PEERTOOL_ID");
	size_t n = 0;

	if (hex == NULL || sodium_hex2bin(id, 32, hex, strlen(hex), NULL, &n,
	    NULL) != 0 || n != 32)
		peertool_die("PEERTOOL_ID: a record id in hex");
}

/* The unanswered mode (see the top). */
static void
peertool_unanswered(void *s, void *mon)
{
	uint64_t until = peertool_now() + PEERTOOL_HELLO_MS;
	uint8_t id[32];
	struct mpw w;

	peertool_env_id(id);
	mpw_init(&w, 256);
	wire_ids(&w, WIRE_HAVE, (const uint8_t (*)[32])id, 1);
	peertool_send(s, &w);
	mpw_release(&w);
	printf("%s\n", peertool_each(s, mon, &until, peertool_wants, id) > 0 ?
	    "asked" : "not asked");
}

static int
peertool_opens(void *ctx, void *s, const struct wire_msg *m)
{
	(void)ctx;
	(void)s;
	return m->type == WIRE_NEG_OPEN;
}

/* The unopened mode (see the top). */
static void
peertool_unopened(void *s, void *mon)
{
	uint64_t until = peertool_now() + 20000;

	printf("%s\n", peertool_each(s, mon, &until, peertool_opens, NULL) > 0 ?
	    "opened" : "not opened");
}

/* A peer whose set is one record, answering reconciliations. */
struct peertool_one {
	uint8_t id[32];
	struct neg_storage st;
	struct neg neg;
	int open;
	struct neg_buf out;
	struct mpw w;
};

static int
peertool_one_msg(void *ctx, void *s, const struct wire_msg *m)
{
	struct peertool_one *p = ctx;
	struct errbuf eb;

	if (m->type == WIRE_WANT)
		return peertool_wants(p->id, s, m);
	if (m->type == WIRE_NEG_CLOSE && p->open) {
		neg_release(&p->neg);
		p->open = 0;
	}
	if (m->type != WIRE_NEG_OPEN && m->type != WIRE_NEG_MSG)
		return 0;
	if (m->type == WIRE_NEG_OPEN) {
		if (p->open)
			neg_release(&p->neg);
		if (neg_init(&p->neg, &p->st, 0, &eb) != 0)
			peertool_die(eb.msg);
		p->open = 1;
	}
	if (!p->open)
		return 0;
	if (neg_reconcile_server(&p->neg, m->neg, m->neg_len, &p->out,
	    &eb) != 0)
		peertool_die(eb.msg);
	mpw_reset(&p->w);
	wire_neg(&p->w, WIRE_NEG_MSG, m->session, p->out.data, p->out.len);
	peertool_send(s, &p->w);
	return 0;
}

/* The unfetched mode (see the top). */
static void
peertool_unfetched(void *s, void *mon)
{
	const char *ts = getenv("PEERTOOL_TS");
	uint64_t until = peertool_now() + 20000;
	struct peertool_one p;
	struct neg_vector v;
	struct errbuf eb;
	int asked;

	memset(&p, 0, sizeof(p));
	peertool_env_id(p.id);
	if (ts == NULL)
		peertool_die("PEERTOOL_TS: the record's ts");
	neg_vector_init(&v, 1);
	if (neg_vector_add(&v, strtoull(ts, NULL, 10), p.id, &eb) != 0)
		peertool_die(eb.msg);
	neg_vector_seal(&v);
	neg_vector_storage(&v, &p.st);
	neg_buf_init(&p.out);
	mpw_init(&p.w, WIRE_MSG_MAX);
	asked = peertool_each(s, mon, &until, peertool_one_msg, &p) > 0;
	if (p.open)
		neg_release(&p.neg);
	mpw_release(&p.w);
	neg_buf_release(&p.out);
	neg_vector_release(&v);
	printf("%s\n", asked ? "asked" : "not asked");
}

struct peertool_busy {
	uint64_t until;
	int refused;
};

static int
peertool_busy_msg(void *ctx, void *s, const struct wire_msg *m)
{
	struct peertool_busy *b = ctx;
	struct mpw w;

	mpw_init(&w, 512);
	if (m->type == WIRE_NEG_OPEN && !b->refused) {
		wire_neg_err(&w, m->session, "busy");
		peertool_send(s, &w);
		printf("refused\n");
		fflush(stdout);
		b->refused = 1;
		b->until = peertool_now() + 10000;
	} else if (m->type == WIRE_PING) {
		wire_ping(&w, WIRE_PONG, m->nonce);
		peertool_send(s, &w);
	}
	mpw_release(&w);
	return 0;
}

/* The busy mode (see the top). */
static void
peertool_busy(void *s, void *mon)
{
	struct peertool_busy b = { peertool_now() + 20000, 0 };

	(void)peertool_each(s, mon, &b.until, peertool_busy_msg, &b);
	if (!b.refused)
		printf("not opened\n");
}

/* The stall mode (see the top). */
static void
peertool_stall(void *s, void *mon)
{
	const char *hold = getenv("PEERTOOL_HOLD_MS");
	uint64_t until = peertool_now() +
	    (hold != NULL ? strtoull(hold, NULL, 10) : 30000);
	uint8_t id[32];
	unsigned long sent = 0;
	struct wire_msg m;
	zmq_msg_t msg;
	struct mpw w;

	mpw_init(&w, 256);
	while (peertool_now() < until) {
		randombytes_buf(id, sizeof(id));
		mpw_reset(&w);
		wire_ids(&w, WIRE_HAVE, (const uint8_t (*)[32])id, 1);
		peertool_send(s, &w);
		mpw_reset(&w);
		wire_ping(&w, WIRE_PING, peertool_now());
		peertool_send(s, &w);
		sent++;
		/* Read what comes for a second, answer nothing. */
		for (uint64_t next = peertool_now() + 1000;
		    peertool_now() < next;)
			if (peertool_recv(s, mon, &msg, &m,
			    (int)(next - peertool_now())) == 1)
				zmq_msg_close(&msg);
	}
	mpw_release(&w);
	printf("sent %lu\n", sent);
}

/* The clock mode (see the top). */
static void
peertool_clock(void *s, void *mon)
{
	const char *off = getenv("PEERTOOL_CLOCK_S");
	const char *hold = getenv("PEERTOOL_HOLD_MS");
	int64_t offset_ms = off != NULL ? strtoll(off, NULL, 10) * 1000 : 0;
	uint64_t until = peertool_now() +
	    (hold != NULL ? strtoull(hold, NULL, 10) : 30000);
	uint64_t next = 0;
	struct wire_msg m;
	zmq_msg_t msg;
	struct mpw w;
	int answered = 0, rc;

	while (peertool_now() < until) {
		if (peertool_now() >= next) {
			mpw_init(&w, 64);
			wire_ping(&w, WIRE_PING,
			    (uint64_t)((int64_t)peertool_now() + offset_ms));
			peertool_send(s, &w);
			mpw_release(&w);
			next = peertool_now() + 1000;
		}
		rc = peertool_recv(s, mon, &msg, &m, 200);
		if (rc < 0) {
			printf("disconnected\n");
			return;
		}
		if (rc == 0)
			continue;
		if (m.type == WIRE_PONG && !answered) {
			printf("answered\n");
			fflush(stdout);
			answered = 1;
		}
		zmq_msg_close(&msg);
	}
}

/*
 * Wait for a message on s or a refused handshake on mon.  Returns 1 and
 * fills m for a message, 0 on timeout, -1 when the handshake was refused.
 */
static int
peertool_recv(void *s, void *mon, zmq_msg_t *msg, struct wire_msg *m,
    int timeout_ms)
{
	uint64_t end = peertool_now() + (uint64_t)timeout_ms;

	while (peertool_now() < end) {
		zmq_pollitem_t items[2] = { { s, 0, ZMQ_POLLIN, 0 },
			{ mon, 0, ZMQ_POLLIN, 0 } };

		if (zmq_poll(items, 2, 100) < 0)
			continue;
		if (items[1].revents & ZMQ_POLLIN) {
			zmq_msg_t ev;
			uint16_t event = 0;

			zmq_msg_init(&ev);
			zmq_msg_recv(&ev, mon, 0);
			if (zmq_msg_size(&ev) >= 2)
				memcpy(&event, zmq_msg_data(&ev), 2);
			while (zmq_msg_more(&ev)) {
				zmq_msg_close(&ev);
				zmq_msg_init(&ev);
				zmq_msg_recv(&ev, mon, 0);
			}
			zmq_msg_close(&ev);
			if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
			    event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
			    event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
				return -1;
		}
		if (items[0].revents & ZMQ_POLLIN) {
			zmq_msg_init(msg);
			if (zmq_msg_recv(msg, s, 0) < 0) {
				zmq_msg_close(msg);
				continue;
			}
			if (wire_decode(m, zmq_msg_data(msg), zmq_msg_size(msg),
			    NULL) == 0)
				return 1;
			zmq_msg_close(msg);
		}
	}
	return 0;
}

static void
peertool_send(void *s, const struct mpw *w)
{
	zmq_send(s, w->buf, w->len, 0);
}

/*
 * Send for $PEERTOOL_FLOOD_MS: messages (flood: a HAVE of WIRE_IDS_MAX
 * random ids, then PEERTOOL_SMALL_PER_BIG small PONGs, and again), or
 * frames of one message that never ends (multipart).  Prints what went
 * out.
 */
static void
peertool_flood(void *s, int multipart)
{
	const char *env = getenv("PEERTOOL_FLOOD_MS");
	uint64_t end = peertool_now() + (env ? strtoull(env, NULL, 10) : 5000);
	static uint8_t ids[WIRE_IDS_MAX][32];
	uint8_t *frame = xcalloc(1, 64 * 1024);
	unsigned long sent = 0;
	struct mpw w;

	mpw_init(&w, WIRE_MSG_MAX);
	while (peertool_now() < end) {
		int rc;

		if (multipart) {
			rc = zmq_send(s, frame, 64 * 1024,
			    ZMQ_SNDMORE | ZMQ_DONTWAIT);
		} else if (sent % PEERTOOL_SMALL_PER_BIG == 0) {
			randombytes_buf(ids, sizeof(ids));
			mpw_reset(&w);
			wire_ids(&w, WIRE_HAVE, (const uint8_t (*)[32])ids,
			    WIRE_IDS_MAX);
			rc = zmq_send(s, w.buf, w.len, ZMQ_DONTWAIT);
		} else {
			mpw_reset(&w);
			wire_ping(&w, WIRE_PONG, sent);
			rc = zmq_send(s, w.buf, w.len, ZMQ_DONTWAIT);
		}
		if (rc >= 0)
			sent++;
		else
			usleep(1000);
	}
	if (multipart)
		zmq_send(s, frame, 16, 0);
	printf("sent %lu %s\n", sent, multipart ? "frames" : "messages");
	fflush(stdout);
	mpw_release(&w);
	free(frame);
}

int
main(int argc, char **argv)
{
	uint8_t pk[32], sk[64], cpk[32], csk[32], server[32];
	uint8_t server_curve[32], net[32];
	const char *mode;
	struct wire_msg m;
	struct mpw w;
	zmq_msg_t msg;
	void *ctx, *s, *mon;
	int rc, linger = 0, copies = 1;
	int64_t maxmsg = -1;

	if (sodium_init() < 0)
		peertool_die("libsodium");
	if (argc == 5 && strcmp(argv[1], "mint") == 0)
		return peertool_mint(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "secrets") == 0)
		return peertool_secrets(argv[2]);
	if (argc == 4 && strcmp(argv[1], "recode") == 0) {
		struct invitecode ic;
		char code[INVITECODE_MAX];
		uint8_t netid[32];
		struct errbuf eb;

		if (invitecode_parse(&ic, argv[2], &eb) != 0)
			peertool_die(eb.msg);
		peertool_netid(netid, argv[3]);
		memcpy(ic.net_prefix, netid, INVITECODE_NET_PREFIX);
		invitecode_format(code, &ic);
		printf("%s\n", code);
		return 0;
	}
	if (argc != 6)
		peertool_die("usage: peertool KEYDIR ENDPOINT SERVER_ID NETID "
		    "MODE | mint FOUNDER_DIR NEWDIR NETID | secrets KEYDIR");
	mode = argv[5];
	peertool_load_key(argv[1], pk, sk);
	if (nodeid_parse(server, argv[3], NULL) != 0)
		peertool_die("bad server id");
	peertool_netid(net, argv[4]);
	if (crypto_sign_ed25519_pk_to_curve25519(cpk, pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(csk, sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(server_curve, server) != 0)
		peertool_die("bad keys");
	if (strcmp(mode, "wrongnet") == 0)
		net[0] ^= 0xff;

	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_curve, 32);
	zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, cpk, 32);
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, csk, 32);
	zmq_socket_monitor(s, "inproc://peertool-monitor",
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
	mon = zmq_socket(ctx, ZMQ_PAIR);
	zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_connect(mon, "inproc://peertool-monitor");
	if (zmq_connect(s, argv[2]) != 0)
		peertool_die("bad endpoint");

	mpw_init(&w, 2 * WIRE_MSG_MAX);
	wire_hello(&w, net, "peertool", NULL, 0);
	peertool_send(s, &w);
	if (strcmp(mode, "strangerflood") == 0) {
		peertool_flood(s, 0);
		goto out;
	}
	rc = peertool_recv(s, mon, &msg, &m, PEERTOOL_HELLO_MS);
	if (rc < 0) {
		printf("refused at handshake\n");
		goto out;
	}
	if (rc == 0) {
		printf("no answer\n");
		goto out;
	}
	if (m.type == WIRE_ERROR) {
		printf("error: %.*s\n", (int)m.reason.len, m.reason.s);
		zmq_msg_close(&msg);
		goto out;
	}
	zmq_msg_close(&msg);
	if (strcmp(mode, "hello") == 0 || strcmp(mode, "wrongnet") == 0) {
		printf("answered\n");
		goto out;
	}

	mpw_reset(&w);
	if (strcmp(mode, "clock") == 0) {
		peertool_clock(s, mon);
		goto out;
	}
	if (strcmp(mode, "unanswered") == 0) {
		peertool_unanswered(s, mon);
		goto out;
	}
	if (strcmp(mode, "unopened") == 0) {
		peertool_unopened(s, mon);
		goto out;
	}
	if (strcmp(mode, "unfetched") == 0) {
		peertool_unfetched(s, mon);
		goto out;
	}
	if (strcmp(mode, "busy") == 0) {
		peertool_busy(s, mon);
		goto out;
	}
	if (strcmp(mode, "stall") == 0) {
		peertool_stall(s, mon);
		goto out;
	}
	if (strcmp(mode, "flood") == 0 || strcmp(mode, "multipart") == 0) {
		peertool_flood(s, strcmp(mode, "multipart") == 0);
	} else {
		if (peertool_message(&w, mode, pk, sk, net) != 0)
			peertool_die("unknown mode");
		if (strcmp(mode, "replay") == 0)
			copies = 3;
		for (int i = 0; i < copies; i++)
			peertool_send(s, &w);
	}
	/* Whatever it answers to that, a dropped peer gets no PONG. */
	mpw_reset(&w);
	wire_ping(&w, WIRE_PING, 42);
	peertool_send(s, &w);
	for (;;) {
		rc = peertool_recv(s, mon, &msg, &m, PEERTOOL_WAIT_MS);
		if (rc <= 0) {
			printf("disconnected\n");
			break;
		}
		rc = m.type == WIRE_PONG;
		zmq_msg_close(&msg);
		if (rc) {
			printf("still answering\n");
			break;
		}
	}
out:
	mpw_release(&w);
	zmq_socket_monitor(s, NULL, 0);
	zmq_close(mon);
	zmq_close(s);
	zmq_ctx_term(ctx);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	return 0;
}
