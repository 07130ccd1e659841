/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * ctltool: a test tool (never installed) that speaks to amied's control
 * socket the way a buggy or hostile client would, to prove that bad
 * input gets a clear error and changes nothing.
 *
 *   ctltool raw DIR HEX        send HEX as one control request
 *   ctltool record DIR MODE    build one record (see modes below) signed
 *                              with the node's key unless the mode says
 *                              otherwise, and send it in an ingest request
 *   ctltool bulk DIR KEYDIR N SET
 *                              sign N deterministic kb records (about 350
 *                              bytes each) with the key of KEYDIR, for the
 *                              federation of KEYDIR's charter, and ingest
 *                              those of SET quietly into DIR's node: all,
 *                              newest:K (all but the K newest) or
 *                              spread:M (all but every M-th); or offered:
 *                              all, and the node offers them to its peers
 *   ctltool revisions DIR N    sign N revisions of the article
 *                              "longhistory", each replacing the one
 *                              before, with DIR's key and ingest them
 *   ctltool members DIR N      sign member.add records for N new keys
 *                              with the longest name and region and no
 *                              endpoint, by DIR's node (the founder) and
 *                              members it admits (each signer has a
 *                              quota), and ingest them
 *   ctltool badinvite CODE     the same invite code with another secret
 *                              (its checksum right), for tests
 *   ctltool verifyrate KEYDIR N
 *                              the bare Ed25519 verify rate (records/s,
 *                              one core) over the same N records
 *   ctltool time FILE CMD [ARG...]
 *                              run CMD, its output on ours, and append
 *                              the milliseconds from its start to its
 *                              exit to FILE; exit with its status
 *
 * It prints one line per record: "stored", "known" or "refused CODE
 * MESSAGE", or for raw "error CODE MESSAGE" / "ok".  Exit 0 when amied
 * answered, 2 when it did not, 64 on usage errors.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "proto/body.h"
#include "proto/ctl.h"
#include "proto/invitecode.h"
#include "proto/keyfile.h"
#include "proto/mp.h"
#include "proto/record.h"
#include "proto/xmalloc.h"

static const char *ctltool_dir;

static void
ctltool_die(const char *msg)
{
	fprintf(stderr, "ctltool: %s\n", msg);
	exit(64);
}

/* Read a whole small file of DIR. */
static uint8_t *
ctltool_slurp(const char *name, size_t *len)
{
	char path[4096];
	uint8_t *buf = xmalloc(RECORD_ENCODED_MAX);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ctltool_dir, name);
	if ((fd = open(path, O_RDONLY)) < 0)
		ctltool_die(path);
	n = read(fd, buf, RECORD_ENCODED_MAX);
	close(fd);
	if (n < 0)
		ctltool_die(path);
	*len = (size_t)n;
	return buf;
}

/* Send req, receive the reply into *out; 0 or -1. */
static int
ctltool_call(const uint8_t *req, size_t len, uint8_t **out, size_t *out_len)
{
	char ep[4200];
	int timeout = 20000, linger = 0, rc = -1;
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_REQ);
	zmq_msg_t m;

	snprintf(ep, sizeof(ep), "ipc://%s/amied.sock", ctltool_dir);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_msg_init(&m);
	if (zmq_connect(s, ep) == 0 && zmq_send(s, req, len, 0) >= 0 &&
	    zmq_msg_recv(&m, s, 0) >= 0) {
		*out_len = zmq_msg_size(&m);
		*out = xmalloc(*out_len);
		memcpy(*out, zmq_msg_data(&m), *out_len);
		rc = 0;
	}
	zmq_msg_close(&m);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}

static int
ctltool_raw(const char *hex)
{
	size_t cap = strlen(hex) / 2 + 1, len = 0, rlen;
	uint8_t *req = xmalloc(cap), *rep;
	struct errbuf eb;

	if (sodium_hex2bin(req, cap, hex, strlen(hex), NULL, &len, NULL) != 0)
		ctltool_die("bad hex");
	if (ctltool_call(req, len, &rep, &rlen) != 0) {
		fprintf(stderr, "ctltool: no answer\n");
		return 2;
	}
	errbuf_clear(&eb);
	if (ctl_reply_status(rep, rlen, &eb) != 0)
		printf("error %d %s\n", eb.code, eb.msg);
	else
		printf("ok\n");
	free(req);
	free(rep);
	return 0;
}

/* Seal a hand-made header: id, signature for net, encoded record. */
static void
ctltool_seal(struct mpw *out, const uint8_t *hdr, size_t hlen,
    const uint8_t *body, size_t blen, int has_body, const uint8_t *sk,
    const uint8_t net[32])
{
	uint8_t id[32], sig[64], m[10 + 32 + 32];
	struct record r;

	record_id(id, hdr, hlen);
	memcpy(m, "amie/sig/1", 10);
	memcpy(m + 10, net, 32);
	memcpy(m + 42, id, 32);
	crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
	r.header = hdr;
	r.header_len = hlen;
	r.sig = sig;
	r.body = has_body ? body : NULL;
	r.body_len = blen;
	record_encode(&r, out);
}

static void
ctltool_kb_body(struct mpw *w, size_t text_len)
{
	struct body_kb a;
	char *text = xmalloc(text_len + 1);

	memset(text, 'x', text_len);
	memset(&a, 0, sizeof(a));
	a.title.s = "Test";
	a.title.len = 4;
	a.text.s = text;
	a.text.len = (uint32_t)text_len;
	a.lang.s = "fr";
	a.lang.len = 2;
	body_kb_encode(&a, w);
	free(text);
}

static int
ctltool_record(const char *mode)
{
	uint8_t seed[32], pk[32], sk[64], net[32], *buf, *rep, *hdr;
	struct record charter;
	struct record_header h;
	struct mpw body, hw, rec, req;
	struct errbuf eb;
	struct mpmap m;
	struct mpr rd;
	size_t len, rlen, hlen, copies = 1;
	uint64_t now;
	struct timespec ts;
	uint32_t n;

	buf = ctltool_slurp("node.key", &len);
	if (keyfile_parse(seed, (const char *)buf, len, NULL) != 0)
		ctltool_die("node.key");
	free(buf);
	crypto_sign_seed_keypair(pk, sk, seed);
	buf = ctltool_slurp("charter.amie", &len);
	if (record_decode(&charter, buf, len, NULL) != 0)
		ctltool_die("charter.amie");
	record_network_id(net, charter.header, charter.header_len);
	free(buf);

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	memset(&h, 0, sizeof(h));
	h.v = RECORD_VERSION;
	memcpy(h.kind, "kb", 2);
	memcpy(h.author, pk, 32);
	h.ts = now;
	randombytes_buf(seed, 8);
	sodium_bin2hex(h.key, 17, seed, 8);
	mpw_init(&body, RECORD_BODY_MAX * 2);
	mpw_init(&hw, 4096);
	mpw_init(&rec, RECORD_ENCODED_MAX * 2);
	ctltool_kb_body(&body, strcmp(mode, "bigbody") == 0 ?
	    RECORD_BODY_MAX : 100);
	h.body_len = body.len;
	crypto_generichash(h.body_hash, 32, body.buf, body.len, NULL, 0);

	if (strcmp(mode, "nonmember") == 0) {
		crypto_sign_keypair(pk, sk);
		memcpy(h.author, pk, 32);
	} else if (strcmp(mode, "foreignnet") == 0) {
		net[0] ^= 1;
	} else if (strcmp(mode, "future") == 0) {
		h.ts = now + 3600 * 1000;
	} else if (strcmp(mode, "ahead") == 0) {
		h.ts = now + 300 * 1000;	/* within the skew tolerated */
	} else if (strcmp(mode, "unknownkind") == 0) {
		memcpy(h.kind, "zzz", 4);
	} else if (strcmp(mode, "replay") == 0) {
		copies = 2;
	}
	record_header_encode(&h, &hw);
	hdr = hw.buf;
	hlen = hw.len;
	if (strcmp(mode, "bigkey") == 0) {
		/* The same header with a key one byte over the limit. */
		char key[RECORD_KEY_MAX + 1];

		memset(key, 'k', sizeof(key));
		mpw_reset(&hw);
		mpw_array(&hw, 9);
		mpw_uint(&hw, h.v);
		mpw_cstr(&hw, h.kind);
		mpw_bin(&hw, h.author, 32);
		mpw_uint(&hw, h.ts);
		mpw_str(&hw, key, sizeof(key));
		mpw_array(&hw, 0);
		mpw_bin(&hw, h.body_hash, 32);
		mpw_uint(&hw, h.body_len);
		mpw_uint(&hw, h.flags);
		hdr = hw.buf;
		hlen = hw.len;
	} else if (strcmp(mode, "noncanonical") == 0) {
		/* v = 1 as uint8 (0xcc 0x01) instead of a fixint. */
		uint8_t *nc = xmalloc(hlen + 1);

		nc[0] = hdr[0];
		nc[1] = 0xcc;
		memcpy(nc + 2, hdr + 1, hlen - 1);
		hdr = nc;
		hlen++;
	} else if (strcmp(mode, "trailing") == 0) {
		uint8_t *tr = xmalloc(hlen + 1);

		memcpy(tr, hdr, hlen);
		tr[hlen++] = 0xc0;
		hdr = tr;
	}
	ctltool_seal(&rec, hdr, hlen, body.buf, body.len,
	    strcmp(mode, "purged") != 0, sk, net);
	if (hdr != hw.buf)
		free(hdr);
	if (strcmp(mode, "badsig") == 0)
		rec.buf[rec.len - body.len - 4 - 3] ^= 0x01;
	else if (strcmp(mode, "badbody") == 0)
		rec.buf[rec.len - 1] ^= 0x01;
	else if (strcmp(mode, "truncated") == 0)
		rec.len /= 2;
	else if (strcmp(mode, "countbomb") == 0) {
		static const uint8_t bomb[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };

		mpw_reset(&rec);
		mpw_raw(&rec, bomb, sizeof(bomb));
	} else if (strcmp(mode, "valid") != 0 && strcmp(mode, "replay") != 0 &&
	    strcmp(mode, "nonmember") != 0 && strcmp(mode, "foreignnet") != 0 &&
	    strcmp(mode, "future") != 0 && strcmp(mode, "bigkey") != 0 &&
	    strcmp(mode, "ahead") != 0 &&
	    strcmp(mode, "unknownkind") != 0 &&
	    strcmp(mode, "noncanonical") != 0 && strcmp(mode, "trailing") != 0 &&
	    strcmp(mode, "purged") != 0 && strcmp(mode, "bigbody") != 0)
		ctltool_die("unknown mode");

	for (size_t c = 0; c < copies; c++) {
		mpw_init(&req, CTL_MSG_MAX * 2);
		mpw_map(&req, 2);
		mpw_cstr(&req, "cmd");
		mpw_cstr(&req, "ingest");
		mpw_cstr(&req, "records");
		mpw_array(&req, 1);
		mpw_bin(&req, rec.buf, rec.len);
		if (ctltool_call(req.buf, req.len, &rep, &rlen) != 0) {
			fprintf(stderr, "ctltool: no answer\n");
			return 2;
		}
		errbuf_clear(&eb);
		if (ctl_reply_status(rep, rlen, &eb) != 0) {
			printf("error %d %s\n", eb.code, eb.msg);
		} else if (mpmap_decode(&m, rep, rlen, "reply", NULL) == 0 &&
		    mpmap_reader(&m, "results", &rd, NULL) == 0 &&
		    mpr_array(&rd, &n, 1, "results", NULL) == 0 && n == 1) {
			const uint8_t *s = rd.p;
			struct mpmap one;
			char err[ERRBUF_LEN] = "";
			uint64_t code = 0;
			int stored = 0;

			mpr_skip(&rd, 4, "result", NULL);
			mpmap_decode(&one, s, (size_t)(rd.p - s), "r", NULL);
			mpmap_bool(&one, "stored", &stored, NULL);
			mpmap_uint(&one, "code", &code, NULL);
			mpmap_cstr(&one, "error", err, sizeof(err), NULL);
			if (code != 0)
				printf("refused %llu %s\n",
				    (unsigned long long)code, err);
			else
				printf("%s\n", stored ? "stored" : "known");
		}
		free(rep);
		mpw_release(&req);
	}
	mpw_release(&body);
	mpw_release(&hw);
	mpw_release(&rec);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

/* Record i of the bulk set, signed with sk for net; the caller frees. */
static uint8_t *
ctltool_bulk_record(size_t i, const uint8_t pk[32], const uint8_t sk[64],
    const uint8_t net[32], size_t *len)
{
	char key[32], text[256];
	struct record_header h;
	struct body_kb a;
	uint8_t id[RECORD_ID_LEN];
	struct mpw body, rec;
	uint8_t *out;

	snprintf(key, sizeof(key), "bench-%08zu", i);
	snprintf(text, sizeof(text), "Article %zu : pour retrouver une "
	    "imprimante apres un changement de box, reserver son bail DHCP "
	    "puis reinstaller le port sur chaque poste du reseau.", i);
	memset(&a, 0, sizeof(a));
	a.title.s = key;
	a.title.len = (uint32_t)strlen(key);
	a.text.s = text;
	a.text.len = (uint32_t)strlen(text);
	a.lang.s = "fr";
	a.lang.len = 2;
	mpw_init(&body, RECORD_BODY_MAX);
	mpw_init(&rec, RECORD_ENCODED_MAX);
	body_kb_encode(&a, &body);
	memset(&h, 0, sizeof(h));
	memcpy(h.kind, "kb", 2);
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, pk, 32);
	h.ts = 1764320000000ull + i;
	if (record_sign(&h, body.buf, body.len, sk, net, &rec, id, NULL) != 0)
		ctltool_die("cannot sign");
	mpw_release(&body);
	out = mpw_take(&rec, len);
	return out;
}

/* The key pair of KEYDIR and the network id of its charter. */
static void
ctltool_keys(const char *keydir, uint8_t pk[32], uint8_t sk[64],
    uint8_t net[32])
{
	const char *saved = ctltool_dir;
	uint8_t seed[32], *buf;
	struct record charter;
	size_t len;

	ctltool_dir = keydir;
	buf = ctltool_slurp("node.key", &len);
	if (keyfile_parse(seed, (const char *)buf, len, NULL) != 0)
		ctltool_die("node.key");
	free(buf);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	buf = ctltool_slurp("charter.amie", &len);
	if (record_decode(&charter, buf, len, NULL) != 0)
		ctltool_die("charter.amie");
	record_network_id(net, charter.header, charter.header_len);
	free(buf);
	ctltool_dir = saved;
}

#define CTLTOOL_BATCH 1000

static int
ctltool_bulk(const char *keydir, size_t n, const char *set)
{
	uint8_t pk[32], sk[64], net[32], *rep;
	size_t skip_newest = 0, spread = 0, rlen, inbatch = 0, sent = 0;
	int quiet = strcmp(set, "offered") != 0;
	struct mpw items, req;
	struct errbuf eb;

	if (strncmp(set, "newest:", 7) == 0)
		skip_newest = strtoul(set + 7, NULL, 10);
	else if (strncmp(set, "spread:", 7) == 0)
		spread = strtoul(set + 7, NULL, 10);
	else if (strcmp(set, "all") != 0 && strcmp(set, "offered") != 0)
		ctltool_die("SET: all, newest:K, spread:M or offered");
	ctltool_keys(keydir, pk, sk, net);
	mpw_init(&items, CTL_MSG_MAX);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && !(i >= n - skip_newest && skip_newest > 0) &&
		    !(spread > 0 && i % spread == 0)) {
			size_t len;
			uint8_t *r = ctltool_bulk_record(i, pk, sk, net, &len);

			mpw_bin(&items, r, len);
			free(r);
			inbatch++;
		}
		if (inbatch == CTLTOOL_BATCH || (i == n && inbatch > 0)) {
			mpw_init(&req, CTL_MSG_MAX + 4096);
			mpw_map(&req, 3);
			mpw_cstr(&req, "cmd");
			mpw_cstr(&req, "ingest");
			mpw_cstr(&req, "quiet");
			mpw_bool(&req, quiet);
			mpw_cstr(&req, "records");
			mpw_array(&req, (uint32_t)inbatch);
			mpw_raw(&req, items.buf, items.len);
			if (ctltool_call(req.buf, req.len, &rep, &rlen) != 0)
				ctltool_die("no answer");
			errbuf_clear(&eb);
			if (ctl_reply_status(rep, rlen, &eb) != 0) {
				fprintf(stderr, "ctltool: %s\n", eb.msg);
				return 1;
			}
			free(rep);
			mpw_release(&req);
			mpw_reset(&items);
			sent += inbatch;
			inbatch = 0;
		}
	}
	mpw_release(&items);
	sodium_memzero(sk, sizeof(sk));
	printf("%zu\n", sent);
	return 0;
}

/* Ingest the count records encoded in items quietly; 0 or 1 (said). */
static int
ctltool_ingest(const struct mpw *items, size_t count)
{
	struct errbuf eb;
	struct mpw req;
	uint8_t *rep;
	size_t rlen;
	int rc = 0;

	mpw_init(&req, CTL_MSG_MAX + 4096);
	mpw_map(&req, 3);
	mpw_cstr(&req, "cmd");
	mpw_cstr(&req, "ingest");
	mpw_cstr(&req, "quiet");
	mpw_bool(&req, 1);
	mpw_cstr(&req, "records");
	mpw_array(&req, (uint32_t)count);
	mpw_raw(&req, items->buf, items->len);
	if (ctltool_call(req.buf, req.len, &rep, &rlen) != 0)
		ctltool_die("no answer");
	errbuf_clear(&eb);
	if (ctl_reply_status(rep, rlen, &eb) != 0) {
		fprintf(stderr, "ctltool: %s\n", eb.msg);
		rc = 1;
	} else if (memmem(rep, rlen, "refused\x00", 8) == NULL) {
		fprintf(stderr, "ctltool: some records were refused\n");
		rc = 1;
	}
	free(rep);
	mpw_release(&req);
	return rc;
}

/* Sign one record of kind about key by (pk, sk) at ts, refs ref (or
 * none), with body, into items. */
static void
ctltool_sign(struct mpw *items, const char *kind, const char *key,
    uint64_t ts, const uint8_t *ref, const struct mpw *body,
    const uint8_t pk[32], const uint8_t sk[64], const uint8_t net[32],
    uint8_t id[RECORD_ID_LEN])
{
	struct record_header h;
	struct mpw rec;

	memset(&h, 0, sizeof(h));
	memcpy(h.kind, kind, strlen(kind));
	memcpy(h.key, key, strlen(key));
	memcpy(h.author, pk, 32);
	h.ts = ts;
	if (ref != NULL) {
		memcpy(h.refs[0], ref, RECORD_ID_LEN);
		h.refs_count = 1;
	}
	mpw_init(&rec, RECORD_ENCODED_MAX);
	if (record_sign(&h, body->buf, body->len, sk, net, &rec, id,
	    NULL) != 0)
		ctltool_die("cannot sign");
	mpw_bin(items, rec.buf, rec.len);
	mpw_release(&rec);
}

#define CTLTOOL_REVISIONS_BATCH 1000

static int
ctltool_revisions(size_t n)
{
	uint8_t pk[32], sk[64], net[32], prev[RECORD_ID_LEN];
	uint64_t t0 = (uint64_t)time(NULL) * 1000 - 86400000;
	size_t inbatch = 0;
	struct mpw items, body;
	struct body_kb a;
	char title[64];
	int rc = 0;

	ctltool_keys(ctltool_dir, pk, sk, net);
	mpw_init(&items, CTL_MSG_MAX);
	for (size_t i = 0; i < n && rc == 0; i++) {
		snprintf(title, sizeof(title), "revision %zu", i);
		memset(&a, 0, sizeof(a));
		a.title.s = title;
		a.title.len = (uint32_t)strlen(title);
		a.lang.s = "fr";
		a.lang.len = 2;
		mpw_init(&body, RECORD_BODY_MAX);
		body_kb_encode(&a, &body);
		ctltool_sign(&items, "kb", "longhistory", t0 + i,
		    i > 0 ? prev : NULL, &body, pk, sk, net, prev);
		mpw_release(&body);
		if (++inbatch == CTLTOOL_REVISIONS_BATCH || i == n - 1) {
			rc = ctltool_ingest(&items, inbatch);
			mpw_reset(&items);
			inbatch = 0;
		}
	}
	mpw_release(&items);
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

#define CTLTOOL_ADDS_EACH 1000	/* under MEMBER_SIGNER_QUOTA */

/* The member.add of key (32 bytes) by (pk, sk), at ts, into items. */
static void
ctltool_member_add(struct mpw *items, const uint8_t key[32], uint64_t ts,
    const uint8_t pk[32], const uint8_t sk[64], const uint8_t net[32])
{
	char name[BODY_NAME_MAX + 1], hex[65];
	struct body_member_add ma;
	uint8_t id[RECORD_ID_LEN];
	struct mpw body;

	memset(name, 'n', BODY_NAME_MAX);
	name[BODY_NAME_MAX] = '\0';
	memset(&ma, 0, sizeof(ma));
	ma.name.s = name;
	ma.name.len = BODY_NAME_MAX;
	ma.region.s = name;
	ma.region.len = BODY_NAME_MAX;
	/* No endpoint: the node has no one to connect to. */
	ma.endpoint.s = "";
	memcpy(ma.invited_by, pk, 32);
	mpw_init(&body, RECORD_BODY_MAX);
	body_member_add_encode(&ma, &body);
	record_id_hex(hex, key);
	ctltool_sign(items, "member.add", hex, ts, NULL, &body, pk, sk, net,
	    id);
	mpw_release(&body);
}

static int
ctltool_members(size_t n)
{
	size_t signers = (n + CTLTOOL_ADDS_EACH - 1) / CTLTOOL_ADDS_EACH;
	uint8_t (*pk)[32] = xcalloc(signers + 1, 32);
	uint8_t (*sk)[64] = xcalloc(signers + 1, 64);
	uint64_t ts = (uint64_t)time(NULL) * 1000 - 86400000;
	uint8_t net[32], key[32];
	size_t done = 0, count = 0;
	struct mpw items;
	int rc = 0;

	/* Signer 0 is the node; it admits signers 1.. first, who then
	 * admit CTLTOOL_ADDS_EACH new keys each, as it does. */
	ctltool_keys(ctltool_dir, pk[0], sk[0], net);
	mpw_init(&items, CTL_MSG_MAX);
	for (size_t s = 1; s < signers; s++) {
		crypto_sign_keypair(pk[s], sk[s]);
		ctltool_member_add(&items, pk[s], ts++, pk[0], sk[0], net);
		count++;
	}
	for (size_t s = 0; s < signers && rc == 0; s++) {
		for (size_t i = s == 0 ? signers - 1 : 0;
		    i < CTLTOOL_ADDS_EACH && done + signers - 1 < n; i++) {
			randombytes_buf(key, sizeof(key));
			ctltool_member_add(&items, key, ts++, pk[s], sk[s],
			    net);
			count++;
			done++;
		}
		if (count > 0)
			rc = ctltool_ingest(&items, count);
		mpw_reset(&items);
		count = 0;
	}
	mpw_release(&items);
	sodium_memzero(sk, (signers + 1) * 64);
	free(sk);
	free(pk);
	return rc;
}

static int
ctltool_verifyrate(const char *keydir, size_t n)
{
	uint8_t pk[32], sk[64], net[32], id[32], m[74];
	struct record_header h;
	struct record r;
	struct timespec t0, t1;
	uint8_t **recs = xcalloc(n, sizeof(*recs));
	size_t *lens = xcalloc(n, sizeof(*lens)), bytes = 0;
	double s;
	int bad = 0;

	ctltool_keys(keydir, pk, sk, net);
	for (size_t i = 0; i < n; i++) {
		recs[i] = ctltool_bulk_record(i, pk, sk, net, &lens[i]);
		bytes += lens[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		record_decode(&r, recs[i], lens[i], NULL);
		record_id(id, r.header, r.header_len);
		memcpy(m, "amie/sig/1", 10);
		memcpy(m + 10, net, 32);
		memcpy(m + 42, id, 32);
		record_header_decode(&h, r.header, r.header_len, NULL);
		bad |= crypto_sign_verify_detached(r.sig, m, sizeof(m),
		    h.author);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f %.1f\n", (double)n / s, (double)bytes / (double)n);
	for (size_t i = 0; i < n; i++)
		free(recs[i]);
	free(recs);
	free(lens);
	sodium_memzero(sk, sizeof(sk));
	return bad ? 1 : 0;
}

/* The benchmarks time a command with this rather than with date(1) on
 * either side, which would add two processes to what they measure. */
static int
ctltool_time(const char *file, char **cmd)
{
	struct timespec t0, t1;
	int status = 0;
	pid_t pid;
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) < 0)
		ctltool_die("cannot fork");
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		ctltool_die("cannot wait for the command");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((f = fopen(file, "a")) == NULL)
		ctltool_die("cannot open the file of times");
	fprintf(f, "%.3f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (fclose(f) != 0)
		ctltool_die("cannot write the file of times");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "time") == 0)
		return ctltool_time(argv[2], argv + 3);
	if (sodium_init() < 0 || argc < 3)
		ctltool_die("usage: ctltool raw DIR HEX | record DIR MODE | "
		    "bulk DIR KEYDIR N SET | verifyrate KEYDIR N | "
		    "time FILE CMD...");
	ctltool_dir = argv[2];
	if (strcmp(argv[1], "bulk") == 0 && argc == 6)
		return ctltool_bulk(argv[3], strtoul(argv[4], NULL, 10),
		    argv[5]);
	if (strcmp(argv[1], "badinvite") == 0) {
		struct invitecode ic;
		char code[INVITECODE_MAX];

		if (invitecode_parse(&ic, argv[2], NULL) != 0)
			ctltool_die("not an invite code");
		ic.secret[0] ^= 0xff;
		invitecode_format(code, &ic);
		printf("%s\n", code);
		return 0;
	}
	if (strcmp(argv[1], "revisions") == 0 && argc == 4)
		return ctltool_revisions(strtoul(argv[3], NULL, 10));
	if (strcmp(argv[1], "members") == 0 && argc == 4)
		return ctltool_members(strtoul(argv[3], NULL, 10));
	if (strcmp(argv[1], "verifyrate") == 0)
		return ctltool_verifyrate(argv[2], strtoul(argv[3], NULL, 10));
	if (argc != 4)
		ctltool_die("usage: ctltool raw DIR HEX | record DIR MODE");
	if (strcmp(argv[1], "raw") == 0)
		return ctltool_raw(argv[3]);
	if (strcmp(argv[1], "record") == 0)
		return ctltool_record(argv[3]);
	ctltool_die("unknown command");
	return 64;
}
