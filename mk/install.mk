# make install / uninstall (PREFIX, DESTDIR honoured).

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(B)/parleyd $(DESTDIR)$(PREFIX)/sbin/parleyd
	install -m 0755 $(B)/parleyctl $(DESTDIR)$(PREFIX)/sbin/parleyctl
	install -m 0755 $(B)/parley $(DESTDIR)$(PREFIX)/bin/parley
	install -d $(DESTDIR)/etc/parley
	install -m 0644 conf/parleyd.conf $(DESTDIR)/etc/parley/parleyd.conf.example

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/parleyd $(DESTDIR)$(PREFIX)/sbin/parleyctl \
		$(DESTDIR)$(PREFIX)/bin/parley $(DESTDIR)/etc/parley/parleyd.conf.example

