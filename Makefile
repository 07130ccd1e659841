# SPDX-License-Identifier: AGPL-3.0-or-later
# One non-recursive Makefile for amie.  `make help` lists the targets.

B        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
FUZZ_TIME ?= 30
BENCH_SCALE ?= 100000

DEBS = libzmq3-dev libsodium-dev libmsgpack-dev liblmdb-dev libjansson-dev \
       libutf8proc-dev libstemmer-dev libinih-dev libsystemd-dev \
       pkg-config scdoc clang

MSGPACK_PC := $(shell pkg-config --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)

WARN   = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
         -Wmissing-prototypes -Wformat=2 -Wvla
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN  += -Werror
endif
OPT    ?= -O2 -g
SAN_FLAGS =
ifeq ($(SAN),1)
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT = -O1 -g
endif
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN_FLAGS) -I. -MMD -MP \
             $(shell pkg-config --cflags libsodium $(MSGPACK_PC) 2>/dev/null) $(CFLAGS)
LDFLAGS_ALL = $(SAN_FLAGS) $(LDFLAGS)

PROTO_LIBS  = $(shell pkg-config --libs libsodium $(MSGPACK_PC) 2>/dev/null)
STORE_LIBS  = $(shell pkg-config --libs lmdb 2>/dev/null || echo -llmdb) \
              $(shell pkg-config --libs libutf8proc 2>/dev/null || echo -lutf8proc) -lstemmer \
              -pthread
DAEMON_LIBS = $(shell pkg-config --libs libzmq inih libsystemd 2>/dev/null) -lpthread
CLI_LIBS    = $(shell pkg-config --libs libzmq jansson 2>/dev/null)

ifeq ($(V),1)
Q =
else
Q = @
endif

PROTO_SRC  = $(wildcard proto/*.c)
STORE_SRC  = $(wildcard store/*.c)
DAEMON_SRC = $(filter-out daemon/amied.c,$(wildcard daemon/*.c))
CLI_SRC    = $(filter-out cli/amie.c,$(wildcard cli/*.c))

PROTO_OBJ  = $(PROTO_SRC:%.c=$(B)/%.o)
STORE_OBJ  = $(STORE_SRC:%.c=$(B)/%.o)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(B)/%.o)
CLI_OBJ    = $(CLI_SRC:%.c=$(B)/%.o)

LIBPROTO  = $(B)/libproto.a
LIBSTORE  = $(B)/libstore.a
LIBDAEMON = $(B)/libdaemon.a
LIBCLI    = $(B)/libcli.a

AMIED = $(B)/amied
AMIE  = $(B)/amie

# Unit tests: tests/unit/X_test.c tests the module X.c and links only the
# libraries of X's layer and below, so a call across layers fails to link.
UNIT_SRC   = $(wildcard tests/unit/*_test.c)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
FUZZ_SRC   = $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_REPLAY = $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/fuzz/%)
BENCH_SRC  = $(wildcard bench/*_bench.c)
BENCH_BIN  = $(BENCH_SRC:bench/%.c=$(B)/bench/%)
TOOLS_SRC  = $(wildcard tests/tools/*.c)
TOOLS_BIN  = $(TOOLS_SRC:tests/tools/%.c=$(B)/tests/tools/%)

MAN_SRC = $(wildcard docs/*.scd)
MAN_OUT = $(MAN_SRC:docs/%.scd=$(B)/man/%)

layer_of = $(if $(wildcard proto/$(1).c),proto,$(if $(wildcard store/$(1).c),store,$(if $(wildcard daemon/$(1).c),daemon,$(if $(wildcard cli/$(1).c),cli,proto))))

.PHONY: all test check fuzz bench format install clean deps demo help layering units
.DEFAULT_GOAL := all

all: $(AMIED) $(AMIE) $(MAN_OUT)

help:
	@echo "make            build amied, amie and the man pages into $(B)/"
	@echo "make deps       install missing Debian packages (apt-get, as root)"
	@echo "make test       build and run unit, fuzz-corpus and integration tests"
	@echo "make check      the same tests under ASan+UBSan in build-asan/"
	@echo "make fuzz       run each libFuzzer target for FUZZ_TIME seconds (clang)"
	@echo "make bench      optimised benchmarks, ratios against measured limits"
	@echo "make demo       a node end to end in a temporary directory"
	@echo "make format     apply .clang-format"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"
	@echo "make clean      remove build outputs"

deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "amie needs these Debian packages:$$missing" >&2; \
	if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >&2; \
	else \
	  echo "run as root:  sudo apt-get install$$missing" >&2; exit 1; \
	fi

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(LIBPROTO): $(PROTO_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBSTORE): $(STORE_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBDAEMON): $(DAEMON_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBCLI): $(CLI_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(AMIED): $(B)/daemon/amied.o $(LIBDAEMON) $(LIBSTORE) $(LIBPROTO)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DAEMON_LIBS) $(STORE_LIBS) $(PROTO_LIBS)

$(AMIE): $(B)/cli/amie.o $(LIBCLI) $(LIBPROTO)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CLI_LIBS) $(PROTO_LIBS)

LINK_proto  = $(LIBPROTO) $(PROTO_LIBS)
LINK_store  = $(LIBSTORE) $(LIBPROTO) $(STORE_LIBS) $(PROTO_LIBS)
LINK_daemon = $(LIBDAEMON) $(LIBSTORE) $(LIBPROTO) $(DAEMON_LIBS) $(STORE_LIBS) $(PROTO_LIBS)
LINK_cli    = $(LIBCLI) $(LIBPROTO) $(CLI_LIBS) $(PROTO_LIBS)
DEPS_proto  = $(LIBPROTO)
DEPS_store  = $(LIBSTORE) $(LIBPROTO)
DEPS_daemon = $(LIBDAEMON) $(LIBSTORE) $(LIBPROTO)
DEPS_cli    = $(LIBCLI) $(LIBPROTO)

# The unit-test support (tests/unit/test.h) is header only.  jansson is
# allowed in tests to read the JSON reference vectors.
.SECONDEXPANSION:
$(B)/tests/unit/%_test: $(B)/tests/unit/%_test.o $$(DEPS_$$(call layer_of,$$*))
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(LINK_$(call layer_of,$*)) $(shell pkg-config --libs jansson)

# A fuzz target X_fuzz.c exercises the decoder of proto/ (or store/) and is
# replayed over its corpus by tests/fuzz/replay.c with the normal compiler.
$(B)/tests/fuzz/%_fuzz: $(B)/tests/fuzz/%_fuzz.o $(B)/tests/fuzz/replay.o $(LIBSTORE) $(LIBPROTO)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(STORE_LIBS) $(PROTO_LIBS)

$(B)/bench/%_bench: $(B)/bench/%_bench.o $(LIBSTORE) $(LIBPROTO)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(STORE_LIBS) $(PROTO_LIBS) -lpthread -lm

$(B)/tests/tools/%: $(B)/tests/tools/%.o $(LIBSTORE) $(LIBPROTO)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs libzmq) $(STORE_LIBS) $(PROTO_LIBS)

$(B)/man/%: docs/%.scd
	@mkdir -p $(dir $@)
	$(Q)scdoc < $< > $@

# proto/ is pure: no file, socket, clock or process calls, no zmq, no lmdb.
FORBIDDEN_IN_PROTO = open|openat|fopen|read|write|close|socket|connect|bind|send|recv|sendto|recvfrom|time|clock_gettime|gettimeofday|getpid|fork|exec.*|stat|unlink|rename|mmap|zmq_.*|mdb_.*|pthread_.*|getenv|rand|random
layering: $(PROTO_OBJ)
	@bad=$$(nm -u $(PROTO_OBJ) | awk '{print $$2}' | sed 's/@.*//' | grep -Ex '$(FORBIDDEN_IN_PROTO)' | sort -u); \
	if [ -n "$$bad" ]; then echo "layering: proto/ calls I/O functions: $$bad" >&2; exit 1; fi

units: $(AMIED) $(AMIE) $(UNIT_BIN) $(FUZZ_REPLAY) $(TOOLS_BIN) $(MAN_OUT) layering

test: deps
	$(Q)$(MAKE) --no-print-directory units
	$(Q)B=$(B) sh tests/run.sh

check: deps
	$(Q)$(MAKE) --no-print-directory B=build-asan SAN=1 units
	$(Q)B=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run.sh

FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -I. -fsanitize=fuzzer,address,undefined \
              $(shell pkg-config --cflags libsodium $(MSGPACK_PC))
fuzz: deps
	@mkdir -p build-fuzz
	$(Q)for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); t=$${n%_fuzz}; \
	  clang $(FUZZ_CFLAGS) -o build-fuzz/$$n $$f $(PROTO_SRC) $(STORE_SRC) \
	    $(PROTO_LIBS) $(STORE_LIBS) || exit 1; \
	  mkdir -p tests/fuzz/corpus/$$t build-fuzz/new-$$t; \
	  echo "fuzz $$t for $(FUZZ_TIME)s"; \
	  ./build-fuzz/$$n -max_total_time=$(FUZZ_TIME) -max_len=65536 \
	    build-fuzz/new-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

bench: deps
	$(Q)$(MAKE) --no-print-directory B=build-bench OPT="-O2 -g" build-bench/amied build-bench/amie build-bench/tests/tools/ctltool $(BENCH_SRC:bench/%.c=build-bench/bench/%)
	$(Q)B=build-bench BENCH_SCALE=$(BENCH_SCALE) sh bench/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)B=$(B) sh tests/demo.sh

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(AMIED) $(AMIE) $(DESTDIR)$(PREFIX)/bin/
	for m in $(MAN_OUT); do \
	  s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	  install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

clean:
	rm -rf build build-asan build-bench build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
