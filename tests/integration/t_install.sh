# make install DESTDIR=... installs exactly the expected files (binaries,
# man pages, the unit with ExecStart= rewritten to the PREFIX, the sysusers
# and tmpfiles snippets, the example configuration) with the right modes,
# never touches an operator's parleyd.conf, and make uninstall removes
# exactly them, and the directories it made with them: the tree is left
# as it was, directories that were there before (even empty ones, as
# Debian's /usr/local/sbin) and directories holding other files kept.  The
# man pages pass mandoc's lint.  The unit's systemd-analyze security
# exposure is at most 1.5, and systemd-analyze verify finds nothing to say
# of it, alone or with either example drop-in (systemd/dropin-*.conf.example),
# which parleyd(8) shows, where systemd-analyze exists ("skipped: ..."
# where a tool is missing).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# make in the source tree, on the binaries under test: BINS= keeps install
# from building anything, and the outer make's flags stay out.
mk() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u MAKEOVERRIDES \
		make --no-print-directory -s -C "$ROOT" B="$BIN" BINS= "$@"
}
files() { (cd "$1" && find . ! -type d | sort); }
# Everything below $1, directories included, with type and mode.
tree() { (cd "$1" && find . -mindepth 1 -printf '%y %m %p\n' | LC_ALL=C sort); }

R=$T/root
expected="./etc/parley/parleyd.conf.example
./usr/local/bin/parley
./usr/local/lib/systemd/system/parleyd.service
./usr/local/lib/sysusers.d/parley.conf
./usr/local/lib/tmpfiles.d/parley.conf
./usr/local/sbin/parleyctl
./usr/local/sbin/parleyd
./usr/local/share/man/man1/parley.1
./usr/local/share/man/man5/parleyd.conf.5
./usr/local/share/man/man8/parleyctl.8
./usr/local/share/man/man8/parleyd.8
./usr/local/share/parley/installed-dirs"

# A root like Debian's: /usr/local/sbin and /usr/local/share/man there and
# empty, /usr/local/bin holding another program, /etc with a file.  Modes
# that install -d would not give, so that a directory re-made shows.
mkdir -p "$R/etc" "$R/usr/local/bin" "$R/usr/local/sbin" "$R/usr/local/share/man"
chmod 0775 "$R/usr/local/share/man"
chmod 0750 "$R/usr/local/sbin"
echo other >"$R/usr/local/bin/other"
echo x >"$R/etc/hostname"
before=$(tree "$R")
# what install must make, and so record, and nothing else
made="/etc/parley
/usr/local/lib
/usr/local/lib/systemd
/usr/local/lib/systemd/system
/usr/local/lib/sysusers.d
/usr/local/lib/tmpfiles.d
/usr/local/share/man/man1
/usr/local/share/man/man5
/usr/local/share/man/man8
/usr/local/share/parley"
expected=$(printf '%s\n./etc/hostname\n./usr/local/bin/other\n' "$expected" | sort)

mk install PREFIX=/usr/local DESTDIR="$R" >"$T/install.out" 2>&1 || { cat "$T/install.out"; fail "make install"; }
got=$(files "$R")
[ "$got" = "$expected" ] || fail "installed files differ:
$(diff <(echo "$expected") <(echo "$got"))"
for f in usr/local/sbin/parleyd usr/local/sbin/parleyctl usr/local/bin/parley; do
	[ "$(stat -c %a "$R/$f")" = 755 ] || fail "$f mode $(stat -c %a "$R/$f")"
done
[ "$(cat "$R/usr/local/share/parley/installed-dirs")" = "$made" ] \
	|| fail "install recorded as made: $(cat "$R/usr/local/share/parley/installed-dirs")"
for d in $made; do
	[ "$(stat -c %a "$R$d")" = 755 ] || fail "$d mode $(stat -c %a "$R$d")"
done
[ "$(stat -c %a "$R/usr/local/sbin")" = 750 ] || fail "install changed /usr/local/sbin's mode"
for f in $(cd "$R" && find . -type f ! -path '*bin/*' ! -path ./etc/hostname); do
	[ "$(stat -c %a "$R/$f")" = 644 ] || fail "$f mode $(stat -c %a "$R/$f")"
done
cmp -s "$R/usr/local/sbin/parleyd" "$BIN/parleyd" || fail "installed parleyd is not the one built"
cmp -s "$R/usr/local/share/man/man8/parleyd.8" "$ROOT/man/parleyd.8" || fail "parleyd.8 differs"
cmp -s "$R/etc/parley/parleyd.conf.example" "$ROOT/conf/parleyd.conf" || fail "example differs"
U=$R/usr/local/lib/systemd/system/parleyd.service
grep -qx 'ExecStart=/usr/local/sbin/parleyd -c /etc/parley/parleyd.conf' "$U" \
	|| fail "unit ExecStart: $(grep ExecStart= "$U")"
# the unit is the repository's but for ExecStart=
[ "$(diff "$ROOT/systemd/parleyd.service" "$U" | grep -c '^[<>]')" = 2 ] || fail "unit changed beyond ExecStart="
# the unit agrees with the default configuration
grep -qx 'StateDirectory=parley' "$U" || fail "unit lacks StateDirectory=parley"
grep -qx 'RuntimeDirectory=parley' "$U" || fail "unit lacks RuntimeDirectory=parley"
grep -qx '#state_dir = /var/lib/parley' "$R/etc/parley/parleyd.conf.example" || fail "state_dir default moved"
grep -qx '#admin_socket = /run/parley/admin.sock' "$R/etc/parley/parleyd.conf.example" || fail "admin_socket default moved"
grep -qx '#status_socket = /run/parley/status.sock' "$R/etc/parley/parleyd.conf.example" || fail "status_socket default moved"
grep -qx 'User=parley' "$U" || fail "unit user"
grep -q '^u parley ' "$R/usr/local/lib/sysusers.d/parley.conf" || fail "sysusers has no parley user"
# the installed daemon accepts the installed example
out=$("$R/usr/local/sbin/parleyd" -n -c "$R/etc/parley/parleyd.conf.example") || fail "parleyd -n: $out"
[ "$out" = "configuration OK" ] || fail "parleyd -n: $out"

# the man pages install ships pass mandoc's lint (make lint-man), and the
# lint fails on a finding: a .TH date mandoc cannot parse, as "2026" was
if command -v mandoc >/dev/null; then
	out=$(mk lint-man 2>&1) || fail "make lint-man: $out"
	printf '.TH X 8 "2026" "parley" "M"\n.SH NAME\nx \\- y\n' >"$T/bad.8"
	out=$(mk lint-man LINT_MAN="$T/bad.8" 2>&1) && fail "make lint-man passed a .TH date of 2026: $out"
	case $out in *"cannot parse date"*) ;; *) fail "make lint-man on a bad date said: $out";; esac
else
	echo "skipped: no mandoc (the man pages are not linted)"
fi

# parleyd(8) names every series the status socket serves (a histogram's
# _bucket, _sum and _count by its name)
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$ROOT/man/parleyd.8" >"$T/parleyd.8.plain"
for n in $(grep -o '"parley_[a-z0-9_]*' "$ROOT/daemon/status.c" | tr -d '"' |
	sed -E 's/_(bucket|sum|count)$//' | sort -u); do
	grep -q "$n" "$T/parleyd.8.plain" || fail "parleyd(8) does not document the series $n"
done

# the snippets are valid for the systemd tools that read them
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	S=$T/sysroot
	mkdir -p "$S/etc"
	systemd-sysusers --root="$S" "$R/usr/local/lib/sysusers.d/parley.conf" >/dev/null 2>&1 \
		|| fail "systemd-sysusers refused the snippet"
	grep -q '^parley:' "$S/etc/passwd" || fail "systemd-sysusers made no parley user"
	systemd-tmpfiles --root="$S" --create "$R/usr/local/lib/tmpfiles.d/parley.conf" \
		>"$T/tmpfiles.out" 2>&1 || { cat "$T/tmpfiles.out"; fail "systemd-tmpfiles refused the snippet"; }
	[ "$(stat -c %a "$S/var/lib/parley")" = 700 ] || fail "tmpfiles: /var/lib/parley mode"
else
	echo "skipped: no systemd-sysusers/systemd-tmpfiles"
fi

# an operator's parleyd.conf survives install and uninstall
echo "# the operator's" >"$R/etc/parley/parleyd.conf"
mk install PREFIX=/usr/local DESTDIR="$R" >"$T/install.out" 2>&1 || { cat "$T/install.out"; fail "make install again"; }
[ "$(cat "$R/etc/parley/parleyd.conf")" = "# the operator's" ] || fail "install touched parleyd.conf"
mk uninstall PREFIX=/usr/local DESTDIR="$R" >"$T/uninstall.out" 2>&1 || { cat "$T/uninstall.out"; fail "make uninstall"; }
[ "$(tree "$R")" = "$(printf '%s\nd 755 ./etc/parley\nf 644 ./etc/parley/parleyd.conf\n' "$before" | LC_ALL=C sort)" ] \
	|| fail "uninstall left or took, beside the operator's parleyd.conf:
$(diff <(echo "$before") <(tree "$R"))"
rm "$R/etc/parley/parleyd.conf"
# the record went, and the directories it named: uninstall again is a no-op
# but for the empty /etc/parley, which a record-less uninstall removes
mk uninstall PREFIX=/usr/local DESTDIR="$R" >"$T/uninstall.out" 2>&1 || { cat "$T/uninstall.out"; fail "make uninstall without a record"; }
[ "$(tree "$R")" = "$before" ] || fail "the tree is not what it was before install:
$(diff <(echo "$before") <(tree "$R"))"

# uninstall removes exactly what install wrote: nothing is left
mk install PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make install (3)"
mk uninstall PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make uninstall (2)"
[ "$(tree "$R")" = "$before" ] || fail "install + uninstall changed the tree:
$(diff <(echo "$before") <(tree "$R"))"

# a directory install made that holds another file by uninstall stays, and
# so do its parents; the empty ones beside it go
mk install PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make install (4)"
echo x >"$R/usr/local/lib/systemd/system/other.service"
mk uninstall PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make uninstall with another unit"
[ "$(tree "$R")" = "$(printf '%s\nd 755 ./usr/local/lib\nd 755 ./usr/local/lib/systemd\nd 755 ./usr/local/lib/systemd/system\nf 644 ./usr/local/lib/systemd/system/other.service\n' "$before" | LC_ALL=C sort)" ] \
	|| fail "uninstall with another unit in place left or took:
$(diff <(echo "$before") <(tree "$R"))"
rm -r "$R/usr/local/lib"
[ "$(tree "$R")" = "$before" ] || fail "tree after removing the other unit"

# another PREFIX moves everything but /etc/parley, and ExecStart= with it
R2=$T/root2
mkdir "$R2"
mk install PREFIX=/usr DESTDIR="$R2" >/dev/null 2>&1 || fail "make install PREFIX=/usr"
[ "$(files "$R2")" = "$(echo "$expected" | grep -v -e hostname -e other | sed 's|^\./usr/local/|./usr/|')" ] \
	|| fail "PREFIX=/usr installed: $(files "$R2")"
grep -qx 'ExecStart=/usr/sbin/parleyd -c /etc/parley/parleyd.conf' "$R2/usr/lib/systemd/system/parleyd.service" \
	|| fail "PREFIX=/usr ExecStart"
mk uninstall PREFIX=/usr DESTDIR="$R2" >/dev/null 2>&1 || fail "make uninstall PREFIX=/usr"
[ -z "$(tree "$R2")" ] || fail "PREFIX=/usr uninstall left: $(tree "$R2")"

# the sandbox score, of the unit in the repository and of the installed one
mk install PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make install (5)"
for u in "$ROOT/systemd/parleyd.service" "$U"; do
	out=$(mk check-unit-security UNIT="$u" 2>&1) || fail "$out"
	case "$out" in
	SKIPPED*) echo "skipped: no systemd-analyze (the unit's sandbox score is not checked)";;
	*"exposure "*) echo "$out";;
	*) fail "check-unit-security said: $out";;
	esac
done
mk uninstall PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make uninstall (3)"
grep -qx 'PrivateMounts=yes' "$ROOT/systemd/parleyd.service" || fail "unit lacks PrivateMounts=yes"

# The example drop-ins (systemd/dropin-*.conf.example) are shown in
# parleyd(8), the IP one in the unit's comments too, line for line.
sed 's/\\-/-/g' "$ROOT/man/parleyd.8" >"$T/parleyd.8.txt"
for ex in "$ROOT"/systemd/dropin-*.conf.example; do
	grep -v -e '^#' -e '^$' "$ex" >"$T/ex.lines"
	[ -s "$T/ex.lines" ] || fail "$ex has no settings"
	while IFS= read -r l; do
		grep -qxF "$l" "$T/parleyd.8.txt" || fail "parleyd(8) lacks \"$l\" of $(basename "$ex")"
		case $ex in *ipaddress*)
			grep -qxF "#   $l" "$ROOT/systemd/parleyd.service" ||
				fail "the unit's comment lacks \"$l\" of $(basename "$ex")";;
		esac
	done <"$T/ex.lines"
done
# systemd-analyze verify finds nothing to say of the unit, alone and with
# each example drop-in (it prints unknown keys and bad values, exit 0)
if command -v systemd-analyze >/dev/null; then
	for ex in "" "$ROOT"/systemd/dropin-*.conf.example; do
		V=$T/verify; rm -rf "$V"; mkdir -p "$V/parleyd.service.d"
		sed "s|^ExecStart=/usr/sbin/parleyd |ExecStart=$BIN/parleyd |" \
			"$ROOT/systemd/parleyd.service" >"$V/parleyd.service"
		[ -z "$ex" ] || cp "$ex" "$V/parleyd.service.d/$(basename "$ex" .example)"
		out=$(systemd-analyze verify --man=no "$V/parleyd.service" 2>&1) \
			|| fail "systemd-analyze verify ${ex:-the unit}: $out"
		[ -z "$out" ] || fail "systemd-analyze verify ${ex:+with $(basename "$ex") }said: $out"
	done
else
	echo "skipped: no systemd-analyze (the unit is not verified)"
fi
[ "$(tree "$R")" = "$before" ] || fail "the last uninstall changed the tree:
$(diff <(echo "$before") <(tree "$R"))"
pass
