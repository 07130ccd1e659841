/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * peertool: a test tool (never installed) that plays a buggy or hostile
 * peer over CurveZMQ, with the key of a node directory whose amied is
 * stopped (or of a node that is no member at all).
 *
 *   peertool KEYDIR ENDPOINT SERVER_NODE_ID NETWORK_ID_HEX MODE
 *
 * MODE: hello     send HELLO, report the answer
 *       wrongnet  send HELLO for another federation
 *       badsig    after HELLO, send a record whose signature is wrong
 *       garbage   after HELLO, send bytes that are not a message
 * Prints one line: "refused at handshake", "answered", "error: MSG",
 * "disconnected" (no PONG to a PING after the bad message) or "still
 * answering".  Exit 0 when it could run, 64 on usage errors.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "proto/body.h"
#include "proto/keyfile.h"
#include "proto/nodeid.h"
#include "proto/record.h"
#include "proto/wire.h"
#include "proto/xmalloc.h"

#define PEERTOOL_WAIT_MS 4000

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

int
main(int argc, char **argv)
{
	uint8_t seed[32], pk[32], sk[64], cpk[32], csk[32], server[32];
	uint8_t server_curve[32], net[32], id[RECORD_ID_LEN];
	char path[4200], buf[KEYFILE_LEN + 1];
	const char *mode;
	struct record_header h;
	struct body_kb a;
	struct wire_msg m;
	struct mpw w, body, rec;
	zmq_msg_t msg;
	void *ctx, *s, *mon;
	size_t n = 0;
	ssize_t len;
	int fd, rc, linger = 0;

	if (sodium_init() < 0 || argc != 6)
		peertool_die("usage: peertool KEYDIR ENDPOINT SERVER_ID NETID "
		    "hello|wrongnet|badsig|garbage");
	mode = argv[5];
	snprintf(path, sizeof(path), "%s/node.key", argv[1]);
	if ((fd = open(path, O_RDONLY)) < 0)
		peertool_die(path);
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0 || keyfile_parse(seed, buf, (size_t)len, NULL) != 0)
		peertool_die("bad key file");
	crypto_sign_seed_keypair(pk, sk, seed);
	if (nodeid_parse(server, argv[3], NULL) != 0 ||
	    sodium_hex2bin(net, 32, argv[4], strlen(argv[4]), NULL, &n,
	    NULL) != 0 || n != 32)
		peertool_die("bad server id or network id");
	if (crypto_sign_ed25519_pk_to_curve25519(cpk, pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(csk, sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(server_curve, server) != 0)
		peertool_die("bad keys");
	if (strcmp(mode, "wrongnet") == 0)
		net[0] ^= 0xff;

	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
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

	mpw_init(&w, WIRE_MSG_MAX);
	wire_hello(&w, net, "peertool", NULL, 0);
	peertool_send(s, &w);
	rc = peertool_recv(s, mon, &msg, &m, PEERTOOL_WAIT_MS);
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
	if (strcmp(mode, "badsig") == 0) {
		memset(&a, 0, sizeof(a));
		a.title.s = "Forged";
		a.title.len = 6;
		a.lang.s = "fr";
		a.lang.len = 2;
		mpw_init(&body, RECORD_BODY_MAX);
		mpw_init(&rec, RECORD_ENCODED_MAX);
		body_kb_encode(&a, &body);
		memset(&h, 0, sizeof(h));
		memcpy(h.kind, "kb", 2);
		memcpy(h.key, "forged-article", 14);
		memcpy(h.author, pk, 32);
		h.ts = peertool_now();
		if (record_sign(&h, body.buf, body.len, sk, net, &rec, id,
		    NULL) != 0)
			peertool_die("cannot sign");
		/* The signature is the 64 bytes before the body's head. */
		rec.buf[rec.len - body.len - 2 - 10] ^= 0x01;
		wire_records_begin(&w, 1);
		mpw_bin(&w, rec.buf, rec.len);
		mpw_release(&body);
		mpw_release(&rec);
	} else if (strcmp(mode, "garbage") == 0) {
		static const uint8_t junk[] = { 0x93, 0xc1, 0xc1, 0xc1 };

		mpw_raw(&w, junk, sizeof(junk));
	} else {
		peertool_die("unknown mode");
	}
	peertool_send(s, &w);
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
