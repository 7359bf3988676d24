# iforest-tools - anomaly detection for time series, as Unix filters.
# GNU make; C11, libc and libm only.

VERSION   = 0.2.0
PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
DESTDIR   =

CC        = cc
CFLAGS    = -std=c11 -O2 -g -Wall -Wextra -pedantic
CPPFLAGS  = -D_POSIX_C_SOURCE=200809L -DVERSION='"$(VERSION)"'
LDFLAGS   =
LDLIBS    = -lm

# Every cmd/NAME.c is a program and every cmd/NAME.sh a script.
PROGS     = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
SCRIPTS   = $(patsubst cmd/%.sh,%,$(wildcard cmd/*.sh))
LIBOBJ    = $(patsubst %.c,%.o,$(wildcard lib/*.c))
UNITS     = $(patsubst tests/unit/%.c,tests/bin/%,$(wildcard tests/unit/*.c))
TOOLS     = $(patsubst tests/tools/%.c,tests/bin/%,$(wildcard tests/tools/*.c))
BINS      = $(addprefix bin/,$(PROGS) $(SCRIPTS))
MANS      = $(wildcard man/man1/*.1)

all: $(BINS)

lib/libiforest.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(LIBOBJ): lib/*.h

bin/%: cmd/%.c lib/libiforest.a lib/*.h
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< \
	    lib/libiforest.a $(LDLIBS)

bin/%: cmd/%.sh
	@mkdir -p bin
	cp $< $@
	chmod 755 $@

tests/bin/%: tests/unit/%.c tests/unit/unit.h lib/libiforest.a lib/*.h
	@mkdir -p tests/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< \
	    lib/libiforest.a $(LDLIBS)

tests/bin/%: tests/tools/%.c lib/libiforest.a lib/*.h
	@mkdir -p tests/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< \
	    lib/libiforest.a $(LDLIBS)

# Packages the tests and the demo need on a fresh Debian machine.
deps:
	sh tests/deps.sh

# The suite, then the stateful programs under valgrind, then the whole
# suite again built with the address and undefined-behaviour sanitizers.
check: all $(UNITS) $(TOOLS)
	sh tests/run
	sh tests/valgrind.sh
	sh tests/san.sh

demo: all
	sh demo/run.sh

# Speed against scikit-learn; slow, never part of check.
bench: all
	sh bench/run

# Each parser under libFuzzer for a bounded time (needs clang).
fuzz:
	sh tests/fuzz/run

lint:
	sh tests/lint.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	for p in $(PROGS) $(SCRIPTS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(notdir $(MANS)); do rm -f $(DESTDIR)$(MANDIR)/man1/$$m; done

clean:
	rm -rf bin tests/bin lib/*.o lib/libiforest.a demo/out

.PHONY: all bench check clean demo deps fuzz install lint uninstall
