/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests for daemon/config.h: amied.conf, its errors and its print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "tests/unit/test.h"

static int
parse(struct config *c, const char *text, struct errbuf *eb)
{
	errbuf_clear(eb);
	return config_parse(c, text, strlen(text), "amied.conf", eb);
}

TEST(empty_file_gives_the_defaults)
{
	struct config c, d;
	struct errbuf eb;

	memset(&c, 0xff, sizeof(c));
	REQUIRE(parse(&c, "", &eb) == 0);
	config_defaults(&d);
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
	CHECK_STR(c.listen, CONFIG_LISTEN_DEFAULT);
	CHECK_EQ_INT(c.max_peers, 8);
	CHECK_EQ_INT(c.sync_interval_s, 60);
	CHECK_EQ_INT(c.session_ids, 65536);
	CHECK_EQ_INT(c.log_level, LOG_INFO);
	CHECK_EQ_INT(c.peer_messages_per_sec, CONFIG_PEER_MSGS_DEFAULT);
	CHECK_EQ_INT(c.peer_bytes_per_sec, CONFIG_PEER_BYTES_DEFAULT);
}

TEST(reads_every_key)
{
	struct config c;
	struct errbuf eb;

	REQUIRE(parse(&c, "# comment\n[node]\nname = Amie du Trégor\n"
	    "region = Bretagne\ncontact = tech@example.org ; inline\n"
	    "listen = tcp://127.0.0.1:4411\r\n"
	    "advertise = tcp://amie.example.org:4410\n"
	    "[sync]\nmax_peers = 0\ninterval = 86400\nsession_ids = 256\n"
	    "[log]\nlevel = debug\n"
	    "[limits]\npeer_messages_per_sec = 0\n"
	    "peer_bytes_per_sec = 1048576\n", &eb) == 0);
	CHECK_STR(c.name, "Amie du Trégor");
	CHECK_STR(c.region, "Bretagne");
	CHECK_STR(c.contact, "tech@example.org");
	CHECK_STR(c.listen, "tcp://127.0.0.1:4411");
	CHECK_STR(c.advertise, "tcp://amie.example.org:4410");
	CHECK_EQ_INT(c.max_peers, 0);
	CHECK_EQ_INT(c.sync_interval_s, 86400);
	CHECK_EQ_INT(c.session_ids, 256);
	CHECK_EQ_INT(c.log_level, LOG_DEBUG);
	CHECK_EQ_INT(c.peer_messages_per_sec, 0);
	CHECK_EQ_INT(c.peer_bytes_per_sec, 1048576);
}

/* Each bad text gives exit-78 code and this exact message. */
TEST(errors_name_the_line_and_the_reason)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[node]\nname = x\ncolour = blue\n",
		    "amied.conf:3: unknown key [node] colour" },
		{ "[node]\n[nodes]\n",
		    "amied.conf:2: unknown section [nodes]" },
		{ "\n[log]\nlevel = loud\n", "amied.conf:3: level: 'loud' is "
		    "not one of error, warning, notice, info, debug" },
		{ "[node]\nlisten = udp://x:1\n",
		    "amied.conf:2: listen: expected tcp://HOST:PORT" },
		{ "[node]\nlisten = tcp://:4410\n",
		    "amied.conf:2: listen: expected tcp://HOST:PORT" },
		{ "[node]\nlisten = tcp://h:65536\n",
		    "amied.conf:2: listen: expected tcp://HOST:PORT" },
		{ "[node]\nlisten =\n",
		    "amied.conf:2: listen: expected tcp://HOST:PORT" },
		{ "[sync]\nmax_peers = 65\n",
		    "amied.conf:2: max_peers: expected a number from 0 to 64" },
		{ "[sync]\nmax_peers = -1\n",
		    "amied.conf:2: max_peers: expected a number from 0 to 64" },
		{ "[sync]\ninterval = 0\n",
		    "amied.conf:2: interval: expected a number from 1 to "
		    "86400" },
		{ "[sync]\ninterval = 5s\n",
		    "amied.conf:2: interval: expected a number from 1 to "
		    "86400" },
		{ "[sync]\nsession_ids = 255\n",
		    "amied.conf:2: session_ids: expected a number from 256 to "
		    "16777216" },
		{ "[limits]\npeer_bytes_per_sec = 1000\n",
		    "amied.conf:2: peer_bytes_per_sec: expected 0 (no limit) "
		    "or a number from 1048576 to 1073741824" },
		{ "[sync]\ninterval = 5\n\ninterval = 6\n",
		    "amied.conf:4: [sync] interval: already set on line "
		    "2" },
		{ "[node]\nname\n",
		    "amied.conf:2: expected [section] or key = value" },
		{ "name = x\n", "amied.conf:1: unknown key [] name" },
		{ "[node]\nname = \xff\n",
		    "amied.conf:2: name: not UTF-8 text" },
		{ "[node]\nbad line\nfoo = 1\n",
		    "amied.conf:2: expected [section] or key = value" },
		{ "[node]\nfoo = 1\nbad line\n",
		    "amied.conf:2: unknown key [node] foo" },
	};
	struct config c;
	struct errbuf eb;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_INT(parse(&c, cases[i].text, &eb), AMIE_ECONFIG);
		CHECK_STR(eb.msg, cases[i].msg);
	}
}

TEST(refuses_a_long_line_and_a_nul_byte)
{
	char text[512];
	struct config c;
	struct errbuf eb;

	memset(text, 'a', sizeof(text));
	memcpy(text, "[node]\nname = ", 14);
	text[sizeof(text) - 1] = '\0';
	CHECK_EQ_INT(parse(&c, text, &eb), AMIE_ECONFIG);
	CHECK(strstr(eb.msg, "amied.conf:2: line longer than") != NULL);
	CHECK_EQ_INT(config_parse(&c, "[node]\nname = a\0b\n", 18,
	    "amied.conf", &eb), AMIE_ECONFIG);
	CHECK_STR(eb.msg, "amied.conf:2: a NUL byte in the line");
}

TEST(refuses_a_name_over_its_limit)
{
	char text[300];
	struct config c;
	struct errbuf eb;

	snprintf(text, sizeof(text), "[node]\nregion = %0129d\n", 0);
	CHECK_EQ_INT(parse(&c, text, &eb), AMIE_ECONFIG);
	CHECK_STR(eb.msg, "amied.conf:2: region: longer than 128 bytes");
}

TEST(an_error_leaves_the_config_untouched)
{
	struct config c, before;
	struct errbuf eb;

	config_defaults(&c);
	snprintf(c.name, sizeof(c.name), "kept");
	before = c;
	CHECK(parse(&c, "[node]\nname = changed\n[log]\nlevel = x\n", &eb));
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);
}

TEST(print_reads_back_to_the_same_config)
{
	struct config c, again;
	struct errbuf eb;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	REQUIRE(parse(&c, "[node]\nname = N\nadvertise = tcp://a:1\n"
	    "[log]\nlevel = warning\n[limits]\npeer_messages_per_sec = 5\n",
	    &eb) == 0);
	REQUIRE((f = open_memstream(&buf, &len)) != NULL);
	config_print(&c, f);
	fclose(f);
	CHECK(strstr(buf, "[limits]\npeer_messages_per_sec = 5\n") != NULL);
	CHECK(strstr(buf, "level = warning\n") != NULL);
	CHECK(strstr(buf, "region =\n") != NULL);
	REQUIRE(config_parse(&again, buf, len, "printed", &eb) == 0);
	CHECK(memcmp(&c, &again, sizeof(c)) == 0);
	free(buf);
}

TEST(diff_lists_changed_keys_and_which_need_a_restart)
{
	struct config_change ch[CONFIG_KEYS_MAX];
	struct config a, b;
	struct errbuf eb;

	config_defaults(&a);
	CHECK_EQ_INT(config_diff(&a, &a, ch), 0);
	REQUIRE(parse(&b, "[node]\nlisten = tcp://127.0.0.1:1\n[log]\n"
	    "level = debug\n", &eb) == 0);
	REQUIRE(config_diff(&a, &b, ch) == 2);
	CHECK_STR(ch[0].key, "[node] listen");
	CHECK_EQ_INT(ch[0].restart, 1);
	CHECK_STR(ch[1].key, "[log] level");
	CHECK_STR(ch[1].old_value, "info");
	CHECK_STR(ch[1].new_value, "debug");
	CHECK_EQ_INT(ch[1].restart, 0);
}

TESTS(T(empty_file_gives_the_defaults), T(reads_every_key),
    T(errors_name_the_line_and_the_reason),
    T(refuses_a_long_line_and_a_nul_byte),
    T(refuses_a_name_over_its_limit),
    T(an_error_leaves_the_config_untouched),
    T(print_reads_back_to_the_same_config),
    T(diff_lists_changed_keys_and_which_need_a_restart))
