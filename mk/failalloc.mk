# Allocation failure injection (tests/tools/failalloc.c): an LD_PRELOAD shim
# that fails the Nth allocation of a request when parleyd arms it (see
# daemon/fault.h).  tests/integration/t_alloc_fail.sh preloads it.
#
# Built without the sanitizers even in the SAN=1 build: preloaded, it sits in
# front of ASan's allocator and passes every allocation it does not fail on
# to it.

FAILALLOC := $(B)/libfailalloc.so
FAILALLOC_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -O2 -g \
	-fPIC -fstack-protector-strong

$(FAILALLOC): tests/tools/failalloc.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(FAILALLOC_CFLAGS) -shared -Wl,-z,relro,-z,now -o $@ $< -ldl

# The allocation failure test is an integration test: build it with everything.
all: $(FAILALLOC)
integration: $(FAILALLOC)
