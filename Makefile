# ds: Spark Streaming's discretized streams as Unix filters.  See README.md.
.POSIX:
.SUFFIXES:
.SUFFIXES: .c .o

VERSION    = 0.1.0

PREFIX     = /usr/local
BINDIR     = $(PREFIX)/bin
MANDIR     = $(PREFIX)/share/man

CC         = cc
AR         = ar
CFLAGS     = -O2 -g
LDFLAGS    =
WARNFLAGS  = -Wall -Wextra -Wpedantic -Wshadow -Wpointer-arith \
             -Wstrict-prototypes -Wmissing-prototypes
PKGS       = libbsd-overlay libxxhash libpcre2-8 lua5.4
PKG_CFLAGS != pkg-config --cflags $(PKGS)
PKG_LIBS   != pkg-config --libs $(PKGS)
DS_CPPFLAGS = -D_DEFAULT_SOURCE -DLIBBSD_OPENBSD_VIS -Ilib $(PKG_CFLAGS)
DS_CFLAGS  = -std=c11 $(WARNFLAGS) $(CFLAGS)
# Every program links against the libraries it uses and no others.
DS_LDFLAGS = -Wl,--as-needed $(LDFLAGS)
LDLIBS     = $(PKG_LIBS) -lm
SANFLAGS   = -O1 -g -fno-omit-frame-pointer \
             -fsanitize=address,undefined -fno-sanitize-recover=all

# The Debian packages the build, the tests and the benchmarks need.
DEBS = build-essential pkg-config libbsd-dev libxxhash-dev libpcre2-dev \
       liblua5.4-dev bats bats-assert bats-support bats-file mandoc \
       netcat-openbsd mawk gawk time clang libclang-rt-14-dev tzdata xxhash \
       libmicrohttpd-dev libjansson-dev curl prometheus python3 chromium \
       jq libncurses-dev tmux librdkafka-dev kcat libavro-dev libmd-dev \
       python3-avro libcurl4-openssl-dev
# Node.js and npm (kinesalite, for the Kinesis tests) come from Debian only
# where no npm is installed: another Node.js's npm conflicts with Debian's.
NODE_DEBS = nodejs npm

HDR = lib/ds.h
LIB = lib/libds.a
LIBOBJ = \
	lib/agg.o \
	lib/buf.o \
	lib/checkpoint.o \
	lib/cli.o \
	lib/cliledger.o \
	lib/clilua.o \
	lib/climon.o \
	lib/clock.o \
	lib/commit.o \
	lib/dial.o \
	lib/dirwatch.o \
	lib/duration.o \
	lib/escape.o \
	lib/fanout.o \
	lib/join.o \
	lib/keyed.o \
	lib/kept.o \
	lib/ledger.o \
	lib/lines.o \
	lib/listen.o \
	lib/lua.o \
	lib/merge.o \
	lib/metrics.o \
	lib/monitor.o \
	lib/net.o \
	lib/num.o \
	lib/partition.o \
	lib/progress.o \
	lib/ranges.o \
	lib/reader.o \
	lib/receiver.o \
	lib/recent.o \
	lib/repr.o \
	lib/spawn.o \
	lib/source.o \
	lib/statefile.o \
	lib/stateful.o \
	lib/swag.o \
	lib/table.o \
	lib/time.o \
	lib/utf8.o \
	lib/wake.o \
	lib/wal.o \
	lib/window.o \
	lib/writer.o
BIN = \
	cmd/ds-cat \
	cmd/ds-count \
	cmd/ds-countbyvalue \
	cmd/ds-dir \
	cmd/ds-eventtime \
	cmd/ds-filter \
	cmd/ds-flatmap \
	cmd/ds-flume \
	cmd/ds-groupbykey \
	cmd/ds-join \
	cmd/ds-kafka \
	cmd/ds-kafka-out \
	cmd/ds-kinesis \
	cmd/ds-kinesis-out \
	cmd/ds-lines \
	cmd/ds-map \
	cmd/ds-partition \
	cmd/ds-print \
	cmd/ds-reduce \
	cmd/ds-reducebykey \
	cmd/ds-save \
	cmd/ds-session \
	cmd/ds-socket \
	cmd/ds-state \
	cmd/ds-top \
	cmd/ds-transform \
	cmd/ds-ui \
	cmd/ds-union \
	cmd/ds-window \
	cmd/ds-words
MAN1 = \
	man/ds-cat.1 \
	man/ds-count.1 \
	man/ds-countbyvalue.1 \
	man/ds-dir.1 \
	man/ds-eventtime.1 \
	man/ds-filter.1 \
	man/ds-flatmap.1 \
	man/ds-flume.1 \
	man/ds-groupbykey.1 \
	man/ds-join.1 \
	man/ds-kafka.1 \
	man/ds-kafka-out.1 \
	man/ds-kinesis.1 \
	man/ds-kinesis-out.1 \
	man/ds-lines.1 \
	man/ds-map.1 \
	man/ds-partition.1 \
	man/ds-print.1 \
	man/ds-reduce.1 \
	man/ds-reducebykey.1 \
	man/ds-save.1 \
	man/ds-session.1 \
	man/ds-socket.1 \
	man/ds-state.1 \
	man/ds-top.1 \
	man/ds-transform.1 \
	man/ds-ui.1 \
	man/ds-union.1 \
	man/ds-window.1 \
	man/ds-words.1
MAN5 = man/ds-checkpoint.5 man/ds.5
MAN7 = man/ds.7
MAN = $(MAN1) $(MAN5) $(MAN7)
UNIT = \
	tests/unit/t_buf \
	tests/unit/t_checkpoint \
	tests/unit/t_clock \
	tests/unit/t_dirwatch \
	tests/unit/t_duration \
	tests/unit/t_escape \
	tests/unit/t_flume \
	tests/unit/t_join \
	tests/unit/t_kept \
	tests/unit/t_lines \
	tests/unit/t_lua \
	tests/unit/t_merge \
	tests/unit/t_num \
	tests/unit/t_partition \
	tests/unit/t_ranges \
	tests/unit/t_reader \
	tests/unit/t_receiver \
	tests/unit/t_recent \
	tests/unit/t_statefile \
	tests/unit/t_table \
	tests/unit/t_time \
	tests/unit/t_utf8 \
	tests/unit/t_wal \
	tests/unit/t_writer
# Built with the programs, so that bats runs them after a plain make: the
# property test's generator and decoder, on its own, without lib/; the
# mock Kafka cluster.
TESTBIN = tests/intact tests/kafka-mock

# The Kafka programs alone link librdkafka, through lib/kafka.o.
KAFKA_LIBS != pkg-config --libs rdkafka jansson
KAFKA_BIN  = cmd/ds-kafka cmd/ds-kafka-out
KAFKA_OBJ  = lib/kafka.o lib/kafkaout.o lib/kafkasink.o
KAFKA_HDR  = lib/kafka.h

all: $(BIN) $(TESTBIN)

$(BIN) $(UNIT): $(LIB)
$(LIBOBJ) $(BIN) $(UNIT): $(HDR)
$(UNIT): tests/unit/check.h

.c.o:
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) -c -o $@ $<

$(KAFKA_OBJ): $(HDR) $(KAFKA_HDR)
cmd/ds-kafka: cmd/ds-kafka.c $(KAFKA_OBJ) $(LIB) $(HDR) $(KAFKA_HDR)
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ cmd/ds-kafka.c \
	    $(KAFKA_OBJ) $(LIB) $(LDLIBS) $(KAFKA_LIBS)
cmd/ds-kafka-out: cmd/ds-kafka-out.c $(KAFKA_OBJ) $(LIB) $(HDR) $(KAFKA_HDR)
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ \
	    cmd/ds-kafka-out.c $(KAFKA_OBJ) $(LIB) $(LDLIBS) $(KAFKA_LIBS)
tests/kafka-mock: tests/kafka-mock.c
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ \
	    tests/kafka-mock.c $(LDLIBS) $(KAFKA_LIBS)

$(LIB): $(LIBOBJ)
	rm -f $@
	$(AR) -rcs $@ $(LIBOBJ)

# ds-ui alone links the HTTP server and JSON; its pages are in ui/.
UI_PKGS    = libmicrohttpd jansson
UI_CFLAGS != pkg-config --cflags $(UI_PKGS)
UI_LIBS   != pkg-config --libs $(UI_PKGS)
UI_SRC     = ui/page.c ui/render.c
cmd/ds-ui: cmd/ds-ui.c $(UI_SRC) ui/ui.h $(LIB) $(HDR)
	$(CC) $(DS_CPPFLAGS) -Iui $(UI_CFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) \
	    -o $@ cmd/ds-ui.c $(UI_SRC) $(LIB) $(LDLIBS) $(UI_LIBS)

# ds-top alone links curses.
TOP_CFLAGS != pkg-config --cflags ncursesw
TOP_LIBS   != pkg-config --libs ncursesw
cmd/ds-top: cmd/ds-top.c $(LIB) $(HDR)
	$(CC) $(DS_CPPFLAGS) $(TOP_CFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) \
	    -o $@ cmd/ds-top.c $(LIB) $(LDLIBS) $(TOP_LIBS)

.c:
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ $< $(LIB) \
	    $(LDLIBS)

tests/intact: tests/intact.c
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ tests/intact.c
# Flume's protocol: libavro, libmd (MD5) and jansson, for ds-flume alone.
FLUME_LIBS != pkg-config --libs avro-c jansson libmd
FLUMEOBJ = lib/flume.o
$(FLUMEOBJ): $(HDR)
cmd/ds-flume: cmd/ds-flume.c $(FLUMEOBJ) $(LIB) $(HDR)
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ cmd/ds-flume.c \
	    $(FLUMEOBJ) $(LIB) $(FLUME_LIBS) $(LDLIBS)
tests/unit/t_flume: tests/unit/t_flume.c $(FLUMEOBJ) $(LIB) $(HDR)
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ \
	    tests/unit/t_flume.c $(FLUMEOBJ) $(LIB) $(FLUME_LIBS) $(LDLIBS)
# Only the Kinesis programs link libcurl (HTTP, SigV4) and jansson (JSON).
KINESIS_LIBS != pkg-config --libs libcurl jansson
KINESIS = lib/kinesis.o lib/kinesis.h
lib/kinesis.o: lib/kinesis.h $(HDR)
cmd/ds-kinesis: cmd/ds-kinesis.c $(KINESIS) $(LIB) $(HDR)
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ cmd/ds-kinesis.c \
	    lib/kinesis.o $(LIB) $(LDLIBS) $(KINESIS_LIBS) -lresolv
cmd/ds-kinesis-out: cmd/ds-kinesis-out.c $(KINESIS) $(LIB) $(HDR)
	$(CC) $(DS_CPPFLAGS) $(DS_CFLAGS) $(DS_LDFLAGS) -o $@ \
	    cmd/ds-kinesis-out.c lib/kinesis.o $(LIB) $(LDLIBS) \
	    $(KINESIS_LIBS) -lresolv

check: test
test: all $(UNIT) $(TESTBIN)
	sh tests/run $(UNIT)

lint:
	mandoc -Tlint -Wwarning $(MAN)

sanitize:
	$(MAKE) clean
	$(MAKE) CFLAGS="$(SANFLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    test
	$(MAKE) clean

BENCHBIN = bench/gen bench/latency bench/wcfloor

# libFuzzer harnesses, built by clang straight from lib/'s sources.
FUZZ = \
	tests/fuzz/escape \
	tests/fuzz/flume \
	tests/fuzz/lua \
	tests/fuzz/monitor \
	tests/fuzz/parse \
	tests/fuzz/reader \
	tests/fuzz/record \
	tests/fuzz/regex \
	tests/fuzz/repr \
	tests/fuzz/table
FUZZTIME   = 10
FUZZFLAGS  = -g -O1 -fsanitize=fuzzer,address,undefined \
             -fno-sanitize-recover=all
LIBSRC     = $(LIBOBJ:.o=.c)

# Build the harnesses, replay the crashes once found (tests/fuzz/regress),
# then fuzz each for FUZZTIME seconds from its seed corpus.
fuzz:
	for h in $(FUZZ); do \
		clang $(DS_CPPFLAGS) -std=c11 $(FUZZFLAGS) -o $$h $$h.c \
		    $(LIBSRC) $(FLUMEOBJ:.o=.c) $(FLUME_LIBS) $(LDLIBS) || \
		    exit 1; \
	done
	for h in $(FUZZ); do \
		n=$${h##*/}; \
		for f in tests/fuzz/regress/$$n-*; do \
			[ -e "$$f" ] || continue; \
			./$$h "$$f" || exit 1; \
		done; \
		mkdir -p tests/fuzz/out/$$n; \
		./$$h -max_total_time=$(FUZZTIME) -artifact_prefix=tests/fuzz/out/$$n- \
		    tests/fuzz/out/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

bench: all $(BENCHBIN) $(TESTBIN)
	sh bench/run

# The seed's job end to end, over a local line server (tests/demo.sh).
demo: deps all
	sh tests/demo.sh

install: all
	mkdir -p "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" \
	    "$(DESTDIR)$(MANDIR)/man5" "$(DESTDIR)$(MANDIR)/man7"
	for f in $(BIN); do \
		cp -f $$f "$(DESTDIR)$(BINDIR)/" && \
		chmod 755 "$(DESTDIR)$(BINDIR)/$${f##*/}" || exit 1; \
	done
	for f in $(MAN1); do \
		cp -f $$f "$(DESTDIR)$(MANDIR)/man1/" && \
		chmod 644 "$(DESTDIR)$(MANDIR)/man1/$${f##*/}" || exit 1; \
	done
	cp -f $(MAN5) "$(DESTDIR)$(MANDIR)/man5/"
	cp -f $(MAN7) "$(DESTDIR)$(MANDIR)/man7/"

uninstall:
	for f in $(BIN); do rm -f "$(DESTDIR)$(BINDIR)/$${f##*/}"; done
	for f in $(MAN1); do rm -f "$(DESTDIR)$(MANDIR)/man1/$${f##*/}"; done
	rm -f "$(DESTDIR)$(MANDIR)/man5/ds.5" "$(DESTDIR)$(MANDIR)/man7/ds.7"

# Install the Debian packages above when any is missing (with sudo when
# not root).
deps:
	@missing=; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing $(NODE_DEBS)"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install \
		    -y -qq $$missing; \
	fi

clean:
	rm -f $(BIN) $(UNIT) $(TESTBIN) $(BENCHBIN) $(FUZZ) $(LIBOBJ) $(LIB) \
	    $(KAFKA_OBJ) $(FLUMEOBJ) lib/kinesis.o

.PHONY: all check test lint sanitize bench demo fuzz install uninstall deps clean
