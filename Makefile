# husk: an OCI container runtime.
#   make            build build/husk
#   make demo       install deps, build, make the busybox bundle, run a container
#   make check      install deps, build, run the whole suite in both lanes
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS (60) each
#   make bench      husk against crun and runc (BENCH_QUICK=1: a short run)
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
PKGS := libseccomp libcap libnl-route-3.0 libnl-3.0 yajl
# husk links as one static PIE: libc and the libraries found through
# pkg-config (from their Debian `.a` files; yajl's is libyajl_s.a), so that
# exec maps one object and resolves nothing.  Every husk command is exec'd,
# and create, run, exec and job exec twice (the CVE-2019-5736 re-exec): on a
# virtualised host the dynamic loader's mappings, relocations and page
# faults were a fifth of a `husk run` (bench/README.md).  STATIC=0 links
# everything shared.  The linker's warnings that getaddrinfo and
# getprotobyname need glibc's shared NSS modules come from libnl objects
# husk links for other functions (addr.o, utils.o) and never calls; husk
# itself reads /etc/passwd directly (lib/passwd.c) and runs nft for NAT.
STATIC ?= 1
LDFLAGS ?= -Wl,-O1,-z,now
VERSION := 0.1.0
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# The sanitizer builds link them shared: their reports then name the library
# a frame is in (tests/fuzz/lsan.supp suppresses a libseccomp leak by it).
PKG_SHARED_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(STATIC),1)
static_or_l = $(firstword $(wildcard $(2)/lib$(1).a $(2)/lib$(1)_s.a) -l$(1))
pkg_static = $(foreach l,$(patsubst -l%,%,$(shell pkg-config --libs-only-l $(1) 2>/dev/null)),\
	$(call static_or_l,$(l),$(shell pkg-config --variable=libdir $(1) 2>/dev/null)))
STATIC_LDFLAGS := -static-pie
PKG_LIBS = $(foreach p,$(PKGS),$(call pkg_static,$(p))) \
	$(sort $(filter-out $(shell pkg-config --libs-only-l $(PKGS) 2>/dev/null),\
	  $(shell pkg-config --static --libs-only-l $(PKGS) 2>/dev/null)))
else
PKG_LIBS = $(PKG_SHARED_LIBS)
endif

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -D_GNU_SOURCE \
	-I$(BUILD)
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

MODULES := lib specs seccomp runtime namespaces rootfs cgroups network cmd
SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_SRCS := $(filter-out cmd/%,$(SRCS))
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)

# libFuzzer targets (tests/fuzz/), built with clang under ASan and UBSan
# from the modules they reach; `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_SAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
FUZZ_SRCS := $(wildcard lib/*.c specs/*.c seccomp/*.c)
FUZZ_OBJS := $(FUZZ_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_BINS := $(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_seccomp

.PHONY: FORCE all deps demo check check-host check-vm unit install clean bundle bench fuzz

all: $(BUILD)/husk

# On x86_64 husk's entry point is lib/selfexe_early.c's, which re-execs a
# command that enters a container from a protected copy before libc starts
# (lib/selfexe.h).  It runs before relocation and TLS: its object is built
# freestanding, and scripts/check-early.sh checks that it needs neither.
ifneq ($(filter x86_64-%,$(shell $(CC) -dumpmachine)),)
ENTRY_LDFLAGS := -Wl,-e,husk_entry
endif
EARLY_OBJ := $(BUILD)/obj/lib/selfexe_early.o
$(EARLY_OBJ): ALL_CFLAGS += -ffreestanding -fno-tree-loop-distribute-patterns \
	-fno-stack-protector -fno-sanitize=all

$(BUILD)/husk: $(OBJS)
ifdef ENTRY_LDFLAGS
	@scripts/check-early.sh $(EARLY_OBJ)
endif
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(STATIC_LDFLAGS) $(ENTRY_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# version.h (HUSK_VERSION, HUSK_COMMIT) changes only when the version or
# commit does, so a new commit rebuilds just the files that include it.
$(BUILD)/version.h: FORCE
	@mkdir -p $(BUILD)
	@printf '#define HUSK_VERSION "%s"\n#define HUSK_COMMIT "%s"\n' \
	  '$(VERSION)' '$(COMMIT)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

FORCE:

$(BUILD)/obj/%.o: %.c | $(BUILD)/version.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The sanitizer build: unit tests link against these objects.
$(BUILD)/san/%.o: %.c | $(BUILD)/version.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_SHARED_LIBS)

unit: $(UNIT_BINS)

# Keep the sanitizer and fuzzer objects between runs (make would delete them as
# intermediates of the pattern rule).
.SECONDARY: $(SAN_LIB_OBJS) $(FUZZ_OBJS)

$(BUILD)/fuzz/obj/%.o: %.c | $(BUILD)/version.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_SHARED_LIBS)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

deps:
	@scripts/deps.sh

bundle: $(BUILD)/bundle/config.json

$(BUILD)/bundle/config.json: scripts/mkbundle.sh $(BUILD)/husk
	scripts/mkbundle.sh $(BUILD)/husk $(BUILD)/bundle

demo: deps
	@$(MAKE) --no-print-directory all bundle
	@scripts/demo.sh $(BUILD)/husk $(BUILD)/bundle

check: deps
	@$(MAKE) --no-print-directory all bundle unit
	@tests/run-lanes.sh

check-host: deps
	@$(MAKE) --no-print-directory all bundle unit
	@tests/run-lanes.sh --host-only

check-vm: deps
	@$(MAKE) --no-print-directory all bundle unit
	@tests/run-lanes.sh --vm-only

# The benchmark's own tools: the measuring driver and the floor.
$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -o $@ $<

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all bundle $(BUILD)/bench/drive $(BUILD)/bench/floor
	@BENCH_QUICK=$(BENCH_QUICK) bench/bench.sh $(BUILD)/husk $(BUILD)/bundle $(BUILD)/bench

install: $(BUILD)/husk
	install -D -m 0755 $(BUILD)/husk $(DESTDIR)$(PREFIX)/bin/husk
	install -D -m 0644 docs/husk.1 $(DESTDIR)$(PREFIX)/share/man/man1/husk.1

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(SAN_LIB_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
