# make check-valgrind: the unit tests and two integration scenarios with
# every program (daemon and clients) under valgrind memcheck; any error or
# leak fails.  Slow: not part of make check, which runs ASan+UBSan instead.

VG := valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q

.PHONY: check-valgrind
check-valgrind: all
	@for t in $(UNITS); do echo "  VG      $$t"; $(VG) $$t >/dev/null || exit 1; done
	@mkdir -p $(B)/vg
	@for p in parleyd parley parleyctl ptool; do \
		printf '#!/bin/sh\nexec $(VG) %s/%s "$$@"\n' "$(abspath $(B))" $$p > $(B)/vg/$$p; \
		chmod +x $(B)/vg/$$p; done
	@BIN=$(B)/vg bash tests/integration/t_notice_delivery.sh
	@BIN=$(B)/vg bash tests/integration/t_scenario_1994_ceasefire.sh
