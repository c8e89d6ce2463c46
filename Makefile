# parley — top-level build.  `make` builds everything into build/ (or $(B)).
# `make demo` and `make check` install missing Debian packages first.
#
# Variables: CC (gcc or clang), SAN=1 (ASan+UBSan build in build-san/),
# PREFIX, DESTDIR.

CC      ?= cc
SAN     ?=
B       ?= $(if $(SAN),build-san,build)

PKGS    := libevent libevent_openssl openssl libprotobuf-c sqlite3 libsystemd inih libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# parley render alone draws with cairo and pango: only parley links them
# (never parleyd), and only cl_render.c sees their headers (as system ones).
RENDER_PKGS   := pangocairo cairo-pdf cairo-svg libqrencode
RENDER_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(RENDER_PKGS) 2>/dev/null))
RENDER_LIBS   := $(shell pkg-config --libs $(RENDER_PKGS) 2>/dev/null)

HARDEN  := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=3
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
HARDEN  := -fPIE
else
OPT     := -O2 -g
LDSAN   :=
endif

# snprintf truncation is how bounded buffers are meant to behave here.
NOTRUNC := $(shell $(CC) -Werror -Wno-format-truncation -E -x c /dev/null >/dev/null 2>&1 \
	&& echo -Wno-format-truncation)

CFLAGS  ?= $(OPT)
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-pthread -Wno-missing-field-initializers $(NOTRUNC) $(HARDEN) -I. -Iproto -Iclients $(PKG_CFLAGS) -MMD -MP
LDFLAGS ?=
override LDFLAGS += -pthread -pie -Wl,-z,relro,-z,now $(LDSAN)

PROTO_SRC  := $(wildcard proto/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
CLIENT_SRC := $(wildcard clients/cl_*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBPROTO  := $(B)/libparley.a
LIBDAEMON := $(B)/libparleyd.a
LIBCLIENT := $(B)/libparleyclient.a
BINS      := $(B)/parleyd $(B)/parley $(B)/parleyctl
UNITS     := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
TOOLS     := $(B)/ptool

PREFIX  ?= /usr/local

.PHONY: all deps proto check check-pg unit integration demo clean install uninstall \
	check-includes check-san

all: $(BINS) $(UNITS) $(TOOLS)

deps:
	@scripts/deps.sh

# Regenerate the protobuf-c code (committed; see proto/README.md).
proto:
	protoc-c --proto_path=proto --c_out=proto proto/parley.proto

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(LIBPROTO): $(call obj,$(PROTO_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBDAEMON): $(call obj,$(DAEMON_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBCLIENT): $(call obj,$(CLIENT_SRC))
	@rm -f $@; ar rcs $@ $^

$(B)/parleyd: $(call obj,daemon/main.c) $(LIBDAEMON) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/obj/clients/cl_render.o: override CFLAGS += $(RENDER_CFLAGS)

$(B)/parley: $(call obj,clients/parley.c) $(B)/obj/gen/console_assets.o $(LIBCLIENT) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(RENDER_LIBS)
# The console's files, compiled in.
CONSOLE_FILES := clients/console/index.html clients/console/app.css clients/console/app.js
$(B)/gen/console_assets.c: $(CONSOLE_FILES) scripts/embed.sh
	@mkdir -p $(dir $@)
	@scripts/embed.sh $(CONSOLE_FILES) >$@
$(B)/obj/gen/console_assets.o: $(B)/gen/console_assets.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(B)/parleyctl: $(call obj,clients/parleyctl.c) $(B)/obj/gen/console_assets.o $(LIBCLIENT) \
    $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/ptool: $(call obj,tests/tools/ptool.c) $(LIBCLIENT) $(LIBPROTO)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: $(call obj,tests/unit/%.c) $(LIBDAEMON) $(LIBCLIENT) $(LIBPROTO)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

# proto/ is shared by both ends and must not reach into daemon/ or clients/;
# inside daemon/, daemon/may_include says who may include whom, and no calls
# go round in a loop (scripts/check-layers.py).
check-includes:
	@! grep -nE '#include "(daemon|clients)/' proto/*.c proto/*.h || \
		{ echo "proto/ includes daemon/ or clients/"; exit 1; }
	@! grep -nE '#include "daemon/' clients/*.c clients/*.h || \
		{ echo "clients/ includes daemon/"; exit 1; }
	@python3 scripts/check-layers.py $(B)/obj/daemon

unit: $(UNITS)
	@tests/run-unit.sh $(B)

integration: $(BINS) $(TOOLS)
	@tests/run-integration.sh $(B)

check-san:
	@$(MAKE) --no-print-directory SAN=1 all
	@tests/run-unit.sh build-san
	@tests/run-integration.sh build-san

check: deps
	@$(MAKE) --no-print-directory all check-includes
	@tests/run-all.sh

# The integration suite with the record in PostgreSQL (a primary and a
# synchronous standby on loopback), then the failover scenarios; as root.
check-pg: deps
	@$(MAKE) --no-print-directory all
	@tests/pg/run.sh $(B)

demo: deps
	@$(MAKE) --no-print-directory $(BINS)
	@scripts/demo.sh $(B)

clean:
	rm -rf build build-san

# Further targets, one file per concern.
include $(wildcard mk/*.mk)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
