# SPDX-License-Identifier: AGPL-3.0-or-later
# One non-recursive Makefile for amie.  `make help` lists the targets.

B        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
CC       ?= cc
FUZZ_TIME ?= 30
BENCH_SCALE ?= 100000

DEBS = libzmq3-dev libsodium-dev libmsgpack-dev liblmdb-dev libjansson-dev \
       libutf8proc-dev libstemmer-dev libinih-dev libsystemd-dev \
       libqrencode-dev gettext locales python3 pkg-config scdoc clang \
       systemd man-db iproute2 strace faketime

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
ifeq ($(SAN),thread)
SAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
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
CLI_LIBS    = $(shell pkg-config --libs libzmq jansson libqrencode 2>/dev/null)

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

# Message catalogues: po/LL.po becomes $(B)/locale/LL/LC_MESSAGES/amie.mo.
# The installed amie looks in $(PREFIX)/share/locale; the one in $(B)/
# does too, unless AMIE_LOCALEDIR names another tree (the tests give it
# $(B)/locale).  `make po` refreshes po/amie.pot from cli/*.c and merges
# it into every po/LL.po.
PO_SRC = $(wildcard po/*.po)
MO_OUT = $(PO_SRC:po/%.po=$(B)/locale/%/LC_MESSAGES/amie.mo)
LOCALEDIR = $(PREFIX)/share/locale

layer_of = $(if $(wildcard proto/$(1).c),proto,$(if $(wildcard store/$(1).c),store,$(if $(wildcard daemon/$(1).c),daemon,$(if $(wildcard cli/$(1).c),cli,proto))))

.PHONY: all test check fuzz bench format install install-po clean deps demo help layering units po FORCE
.DEFAULT_GOAL := all

all: $(AMIED) $(AMIE) $(MAN_OUT) $(MO_OUT)

help:
	@echo "make            build amied, amie and the man pages into $(B)/"
	@echo "make deps       install missing Debian packages (apt-get, as root)"
	@echo "make test       build and run unit, fuzz-corpus and integration tests"
	@echo "make check      the same tests under ASan+UBSan in build-asan/"
	@echo "make fuzz       run each libFuzzer target for FUZZ_TIME seconds (clang)"
	@echo "make bench      optimised benchmarks, ratios against measured limits"
	@echo "make demo       a node end to end in a temporary directory"
	@echo "make format     apply .clang-format"
	@echo "make po         refresh po/amie.pot from cli/*.c, merge it into po/*.po"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR): binaries, man pages,"
	@echo "                systemd unit, sysusers.d entry, bash completion"
	@echo "make clean      remove build outputs"

# Packages, then the French locale the translation tests run under
# (glibc only knows the locales generated on the machine).
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "amie needs these Debian packages:$$missing" >&2; \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >&2 || exit 1; \
	  else \
	    echo "run as root:  sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi; \
	if ! locale -a 2>/dev/null | grep -qix 'fr_FR\.utf-\{0,1\}8'; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "generating the fr_FR.UTF-8 locale" >&2; \
	    localedef -i fr_FR -c -f UTF-8 fr_FR.UTF-8 >&2 || \
	      echo "warning: no fr_FR.UTF-8 locale; the French tests will be skipped" >&2; \
	  else \
	    echo "note: the French tests need fr_FR.UTF-8: sudo localedef -i fr_FR -f UTF-8 fr_FR.UTF-8" >&2; \
	  fi; \
	fi

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

# amie.o holds the installed catalogue directory: rebuilt when PREFIX
# changes.
$(B)/prefix: FORCE
	@mkdir -p $(B)
	@echo '$(LOCALEDIR)' | cmp -s - $@ || echo '$(LOCALEDIR)' > $@
$(B)/cli/amie.o: $(B)/prefix
$(B)/cli/amie.o: CFLAGS_ALL += -DAMIE_LOCALEDIR='"$(LOCALEDIR)"'

$(B)/locale/%/LC_MESSAGES/amie.mo: po/%.po
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MSGFMT  $<")
	$(Q)msgfmt --check -o $@ $<

# po/amie.pot is rewritten only when a message changed, not for its date.
po:
	@mkdir -p $(B)
	xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
	  --add-comments=TRANSLATORS --add-location=file --package-name=amie \
	  --msgid-bugs-address=amie -o $(B)/amie.pot $(sort $(wildcard cli/*.c))
	diff -q -I '^"POT-Creation-Date' $(B)/amie.pot po/amie.pot >/dev/null 2>&1 || \
	  cp $(B)/amie.pot po/amie.pot
	for p in $(PO_SRC); do msgmerge --quiet --update --backup=none \
	  --previous $$p po/amie.pot || exit 1; done

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

# The amied.conf parser lives in daemon/ and needs inih.
$(B)/tests/fuzz/config_fuzz: $(B)/tests/fuzz/config_fuzz.o $(B)/tests/fuzz/replay.o $(LIBDAEMON) $(LIBSTORE) $(LIBPROTO)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DAEMON_LIBS) $(STORE_LIBS) $(PROTO_LIBS)

$(B)/bench/%_bench: $(B)/bench/%_bench.o $(LIBSTORE) $(LIBPROTO)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(STORE_LIBS) $(PROTO_LIBS) -lpthread -lm

$(B)/tests/tools/%: $(B)/tests/tools/%.o $(LIBSTORE) $(LIBPROTO)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs libzmq) $(STORE_LIBS) $(PROTO_LIBS)

$(B)/man/%: docs/%.scd
	@mkdir -p $(dir $@)
	$(Q)scdoc < $< > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

# proto/ is pure: no file, socket, clock or process calls, no zmq, no lmdb.
FORBIDDEN_IN_PROTO = open|openat|fopen|read|write|close|socket|connect|bind|send|recv|sendto|recvfrom|time|clock_gettime|gettimeofday|getpid|fork|exec.*|stat|unlink|rename|mmap|zmq_.*|mdb_.*|pthread_.*|getenv|rand|random
layering: $(PROTO_OBJ)
	@bad=$$(nm -u $(PROTO_OBJ) | awk '{print $$2}' | sed 's/@.*//' | grep -Ex '$(FORBIDDEN_IN_PROTO)' | sort -u); \
	if [ -n "$$bad" ]; then echo "layering: proto/ calls I/O functions: $$bad" >&2; exit 1; fi

units: $(AMIED) $(AMIE) $(MO_OUT) $(UNIT_BIN) $(FUZZ_REPLAY) $(TOOLS_BIN) $(MAN_OUT) layering

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
	  n=$$(basename $$f .c); t=$${n%_fuzz}; extra=; \
	  [ $$t = config ] && extra="daemon/config.c daemon/log.c -linih"; \
	  clang $(FUZZ_CFLAGS) -o build-fuzz/$$n $$f $(PROTO_SRC) $(STORE_SRC) \
	    $$extra $(PROTO_LIBS) $(STORE_LIBS) || exit 1; \
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

# The unit names the binaries where they are installed (BINDIR, without
# DESTDIR).  SYSTEMDUNITDIR and SYSUSERSDIR under /usr/local are on
# systemd's search paths; a package sets PREFIX=/usr.
install: all install-po
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(AMIED) $(AMIE) $(DESTDIR)$(BINDIR)/
	for m in $(MAN_OUT); do \
	  s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
	  install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	sed 's|@BINDIR@|$(BINDIR)|g' dist/amied.service.in >$(B)/amied.service
	install -m 0644 $(B)/amied.service $(DESTDIR)$(SYSTEMDUNITDIR)/amied.service
	install -m 0644 dist/amie.sysusers $(DESTDIR)$(SYSUSERSDIR)/amie.conf
	install -m 0644 dist/amie.bash $(DESTDIR)$(BASHCOMPDIR)/amie

install-po: $(MO_OUT)
	for m in $(MO_OUT); do \
	  l=$${m#$(B)/locale/}; l=$${l%%/*}; \
	  install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES; \
	  install -m 0644 $$m $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/amie.mo; done

clean:
	rm -rf build build-asan build-bench build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
