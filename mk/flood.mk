# Under flood (issue 18; bench/README.md, "Under flood").
#
# $(B)/flood (bench/flood.c) is the flooding client: loopback only, bounded
# by --seconds; modes hello, idle, handshake (flood --help).  It is built
# with everything because make check runs
# tests/integration/t_flood_liveness.sh.

FLOOD := $(B)/flood

$(FLOOD): $(call obj,bench/flood.c)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

all: $(FLOOD)
integration: $(FLOOD)
