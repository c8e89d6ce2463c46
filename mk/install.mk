# make install / uninstall (PREFIX and DESTDIR honoured).
#
# Everything goes below $(PREFIX) (default /usr/local), systemd's snippets
# included: systemd searches /usr/local/lib/systemd/system, sysusers.d and
# tmpfiles.d as well as /usr/lib.  The configuration lives in /etc/parley
# whatever the PREFIX, because parleyd reads /etc/parley/parleyd.conf by
# default; only the example is installed, an existing parleyd.conf is never
# touched.  The unit's ExecStart= is rewritten to $(SBINDIR).
#
# After `make install` (as root, without DESTDIR):
#   systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload
#   cp /etc/parley/parleyd.conf.example /etc/parley/parleyd.conf

SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
CONFDIR     ?= /etc/parley

MAN1 := man/parley.1
MAN5 := man/parleyd.conf.5
MAN8 := man/parleyd.8 man/parleyctl.8

# Every file install writes, and so every file uninstall removes.
INSTALLED := $(SBINDIR)/parleyd $(SBINDIR)/parleyctl $(BINDIR)/parley \
	$(addprefix $(MANDIR)/man1/,$(notdir $(MAN1))) \
	$(addprefix $(MANDIR)/man5/,$(notdir $(MAN5))) \
	$(addprefix $(MANDIR)/man8/,$(notdir $(MAN8))) \
	$(UNITDIR)/parleyd.service $(SYSUSERSDIR)/parley.conf $(TMPFILESDIR)/parley.conf \
	$(CONFDIR)/parleyd.conf.example

install: $(BINS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(CONFDIR)
	install -m 0755 $(B)/parleyd $(DESTDIR)$(SBINDIR)/parleyd
	install -m 0755 $(B)/parleyctl $(DESTDIR)$(SBINDIR)/parleyctl
	install -m 0755 $(B)/parley $(DESTDIR)$(BINDIR)/parley
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	sed 's|^ExecStart=/usr/sbin/|ExecStart=$(SBINDIR)/|' systemd/parleyd.service \
		>$(DESTDIR)$(UNITDIR)/parleyd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/parleyd.service
	install -m 0644 systemd/parleyd.sysusers $(DESTDIR)$(SYSUSERSDIR)/parley.conf
	install -m 0644 systemd/parleyd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/parley.conf
	install -m 0644 conf/parleyd.conf $(DESTDIR)$(CONFDIR)/parleyd.conf.example

# Removes exactly what install wrote; $(CONFDIR) only if it is left empty
# (a parleyd.conf of the operator's stays, and so does the directory).
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true
