# Top-level Makefile for fosr.
#
# A fresh clone needs no preparation: the first make runs autoreconf and
# configure, which write config.mk.  Objects and programs go to $(BUILD).
# Every common/*.c is part of libfosr.a, every daemon/*.c but fosrd.c of
# libfosrd.a, and every tests/test_*.c is a unit test program, so adding a
# module or a test needs no change here.

BUILD ?= build
TOP := $(CURDIR)
CONFIGURE_FLAGS ?= --sysconfdir=/etc --localstatedir=/var --runstatedir=/run

all:

include config.mk

config.mk: configure.ac config.mk.in
	autoreconf -fi
	./configure $(CONFIGURE_FLAGS)

WARN = -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2
FOSR_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) -I$(TOP)/common -I$(BUILD) \
	-DFOSR_VERSION='"$(PACKAGE_VERSION)"' \
	-DFOSR_DATADIR='"$(datadir)/fosr"' \
	-DFOSR_SYSCONFDIR='"$(sysconfdir)/fosr"' \
	-DFOSR_RUNSTATEDIR='"$(runstatedir)/fosrd"' \
	-DFOSR_STATEDIR='"$(localstatedir)/lib/fosrd"' \
	$(JANSSON_CFLAGS) $(YAML_CFLAGS) $(EXPAT_CFLAGS) $(GCRYPT_CFLAGS) \
	$(PCAP_CFLAGS) $(EVENT_CFLAGS) $(URCU_CFLAGS) $(SYSTEMD_CFLAGS) \
	$(BPF_CFLAGS) -DFOSR_HAVE_JOURNAL
ALL_CFLAGS = $(FOSR_CFLAGS) $(PTHREAD) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
COMMON_LIBS = $(JANSSON_LIBS) $(YAML_LIBS) $(EXPAT_LIBS) $(GCRYPT_LIBS) \
	$(PCAP_LIBS) $(SYSTEMD_LIBS) $(PTHREAD) $(LIBS) -lm
DAEMON_LIBS = $(EVENT_LIBS) $(URCU_LIBS) $(BPF_LIBS)

COMMON_SRC = $(sort $(wildcard common/*.c))
DAEMON_SRC = $(sort $(filter-out daemon/fosrd.c,$(wildcard daemon/*.c)))
FOSR_SRC = $(sort $(wildcard fosr/*.c))
CTL_SRC = $(sort $(wildcard ctl/*.c))
TEST_SRC = $(sort $(wildcard tests/test_*.c))
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
BPF_SRC = $(sort $(wildcard bpf/*.bpf.c))
PROFILE_FILES = $(sort $(wildcard profiles/default/*.json \
	profiles/default/bn/* profiles/default/automata/*.json \
	profiles/default/*.yaml))

COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/embedded_profile.o
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o)
FOSR_OBJ = $(FOSR_SRC:%.c=$(BUILD)/obj/%.o)
CTL_OBJ = $(CTL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BPF_OBJ = $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKEL = $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/%.skel.h)

PROGRAMS = $(BUILD)/fosr $(if $(wildcard daemon/fosrd.c),$(BUILD)/fosrd) \
	$(if $(CTL_SRC),$(BUILD)/fosrctl)

.PHONY: all check demo install uninstall clean distclean bench fuzz \
	fuzz-long tests asan soak lint check-systemd

all: $(PROGRAMS)

# Objects depend on the headers they include (gcc -MMD).  Only obj/ and
# tests/ hold them: the test guest root in $(BUILD) has its own *.d folders.
-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' -type f \
	2>/dev/null)

# The BPF skeletons must exist before any user-space object that includes
# them is compiled.
$(BUILD)/obj/%.o: %.c config.mk | $(BPF_SKEL)
	@$(MKDIR_P) $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/embedded_profile.c: tools/embed-profile $(PROFILE_FILES)
	@$(MKDIR_P) $(BUILD)
	sh tools/embed-profile $(TOP)/profiles/default > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/embedded_profile.o: $(BUILD)/embedded_profile.c
	@$(MKDIR_P) $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libfosr.a: $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libfosrd.a: $(DAEMON_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fosr: $(FOSR_OBJ) $(BUILD)/libfosr.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(FOSR_OBJ) $(BUILD)/libfosr.a \
		$(COMMON_LIBS)

$(BUILD)/fosrd: $(BUILD)/obj/daemon/fosrd.o $(DAEMON_OBJ) $(BUILD)/libfosr.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(BUILD)/obj/daemon/fosrd.o \
		$(DAEMON_OBJ) $(BUILD)/libfosr.a $(DAEMON_LIBS) $(COMMON_LIBS)

$(BUILD)/fosrctl: $(CTL_OBJ) $(BUILD)/libfosr.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CTL_OBJ) $(BUILD)/libfosr.a \
		$(COMMON_LIBS)

# eBPF programs: one vmlinux.h from the running kernel's BTF, one object
# and one skeleton per bpf/*.bpf.c.
$(BUILD)/vmlinux.h:
	@$(MKDIR_P) $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(BUILD)/vmlinux.h
	@$(MKDIR_P) $(dir $@)
	$(CLANG) -O2 -g -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Ibpf \
		-c -o $@ $<

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp
	mv $@.tmp $@

# Unit tests link everything but the programs' main files.
$(BUILD)/tests/%: tests/%.c $(BUILD)/libfosr.a $(BUILD)/libfosrd.a
	@$(MKDIR_P) $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -I$(TOP)/tests $(LDFLAGS) -o $@ $< \
		$(BUILD)/libfosrd.a $(BUILD)/libfosr.a $(DAEMON_LIBS) \
		$(COMMON_LIBS)

tests: all $(TEST_BIN)

# TESTS="name ..." runs a subset.
check: tests
	BUILD=$(abspath $(BUILD)) bash tests/run-tests $(TESTS)

# The systemd tests alone (the container one debootstraps once, cached).
check-systemd: tests
	BUILD=$(abspath $(BUILD)) bash tests/run-tests t_systemd_units \
		t_systemd_nspawn t_fosrd_systemd

demo: all
	sh tools/demo $(abspath $(BUILD))

# Generation, then pcap2flow and untaint on a capture of BENCH_GB GB.
BENCH_GB ?= 3
bench: all
	sh tools/bench $(abspath $(BUILD))
	sh tools/bench-capture $(abspath $(BUILD)) $(BENCH_GB)

# Sanitizer build running the same tests in its own folder.
asan:
	$(MAKE) BUILD=build-asan EXTRA_CFLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" check

FUZZ_SECONDS ?= 20
fuzz:
	sh tools/fuzz $(abspath $(BUILD)) $(FUZZ_SECONDS)

fuzz-long:
	sh tools/fuzz $(abspath $(BUILD)) 1800

# systemd's search path: Debian keeps its units in /lib for a /usr prefix.
unitroot = $(if $(filter /usr,$(prefix)),,$(prefix))
systemdunitdir = $(unitroot)/lib/systemd/system
sysusersdir = $(prefix)/lib/sysusers.d

install: all
	$(MKDIR_P) $(DESTDIR)$(bindir) $(DESTDIR)$(sbindir)
	$(INSTALL) -m 755 $(BUILD)/fosr $(DESTDIR)$(bindir)/fosr
	if [ -f $(BUILD)/fosrctl ]; then $(INSTALL) -m 755 $(BUILD)/fosrctl \
		$(DESTDIR)$(bindir)/fosrctl; fi
	if [ -f $(BUILD)/fosrd ]; then $(INSTALL) -m 755 $(BUILD)/fosrd \
		$(DESTDIR)$(sbindir)/fosrd; fi
	sh tools/install-data "$(DESTDIR)" "$(datadir)" "$(mandir)" \
		"$(sysconfdir)" "$(prefix)" "$(sbindir)" "$(bindir)" \
		"$(systemdunitdir)" "$(sysusersdir)"

clean:
	rm -rf $(BUILD) build-asan

distclean: clean
	rm -rf config.mk config.log config.status configure autom4te.cache \
		aclocal.m4 build-aux
