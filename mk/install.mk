# make install / uninstall (PREFIX and DESTDIR honoured).
#
# Everything goes below $(PREFIX) (default /usr/local), systemd's snippets
# included: systemd searches /usr/local/lib/systemd/system, sysusers.d and
# tmpfiles.d as well as /usr/lib.  The configuration lives in /etc/parley
# whatever the PREFIX, because parleyd reads /etc/parley/parleyd.conf by
# default; only the example is installed, an existing parleyd.conf is never
# touched.  The unit's ExecStart= is rewritten to $(SBINDIR).
#
# install records in $(DIRLIST) every directory it had to create (below
# DESTDIR: DESTDIR itself is the caller's), and uninstall removes those, and
# only those, that it leaves empty.  Without the record uninstall could not
# tell a directory install made from one that was there, empty, before:
# Debian ships /usr/local/sbin and /usr/local/share/man empty, and they must
# stay.  A second install adds to the record, never forgets what the first
# one made.
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
DIRLIST     ?= $(PREFIX)/share/parley/installed-dirs

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

# The directories install writes into, each made with its missing parents.
INSTALL_DIRS := $(SBINDIR) $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man5 $(MANDIR)/man8 \
	$(UNITDIR) $(SYSUSERSDIR) $(TMPFILESDIR) $(CONFDIR) $(dir $(DIRLIST))

# Each missing component of each directory, top down, made 0755 and
# written to the record (merged with an earlier install's, sorted, once).
install: $(BINS)
	@d="$(DESTDIR)"; list=$$(mktemp) || exit 1; \
	[ ! -f "$$d$(DIRLIST)" ] || cat "$$d$(DIRLIST)" >>"$$list"; \
	for dir in $(INSTALL_DIRS); do \
		p=; for c in $$(echo "$$dir" | tr / ' '); do \
			p="$$p/$$c"; [ -d "$$d$$p" ] && continue; \
			echo "install -d -m 0755 $$d$$p"; \
			install -d -m 0755 "$$d$$p" || { rm -f "$$list"; exit 1; }; \
			echo "$$p" >>"$$list"; \
		done; \
	done; \
	LC_ALL=C sort -u "$$list" >"$$d$(DIRLIST)" && chmod 0644 "$$d$(DIRLIST)"; \
	rc=$$?; rm -f "$$list"; exit $$rc
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

# Removes exactly what install wrote, then the directories install made,
# deepest first (reverse order puts a/b before a), each only if it is left
# empty: $(CONFDIR) with an operator's parleyd.conf stays.  With no record
# (an install older than it) only an empty $(CONFDIR) goes, as before.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@d="$(DESTDIR)"; \
	if [ -f "$$d$(DIRLIST)" ]; then \
		dirs=$$(LC_ALL=C sort -ru "$$d$(DIRLIST)") || exit 1; \
		for p in $$dirs; do \
			case "$$p" in */..|*/../*) ;; /?*) continue;; esac; \
			echo "uninstall: $(DIRLIST): bad line \"$$p\"" >&2; exit 1; \
		done; \
		rm -f "$$d$(DIRLIST)" || exit 1; \
		rc=0; for p in $$dirs; do \
			[ ! -d "$$d$$p" ] || rmdir --ignore-fail-on-non-empty "$$d$$p" || rc=1; \
		done; \
		exit $$rc; \
	else \
		rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true; \
	fi
