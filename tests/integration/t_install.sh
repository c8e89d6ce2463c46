# make install DESTDIR=... installs exactly the expected files (binaries,
# man pages, the unit with ExecStart= rewritten to the PREFIX, the sysusers
# and tmpfiles snippets, the example configuration) with the right modes,
# never touches an operator's parleyd.conf, and make uninstall removes
# exactly them.  The unit's systemd-analyze security exposure is at most
# 1.5 where systemd-analyze exists ("skipped: no systemd-analyze" where not).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# make in the source tree, on the binaries under test: BINS= keeps install
# from building anything, and the outer make's flags stay out.
mk() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u MAKEOVERRIDES \
		make --no-print-directory -s -C "$ROOT" B="$BIN" BINS= "$@"
}
files() { (cd "$1" && find . ! -type d | sort); }

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
./usr/local/share/man/man8/parleyd.8"

mk install PREFIX=/usr/local DESTDIR="$R" >"$T/install.out" 2>&1 || { cat "$T/install.out"; fail "make install"; }
got=$(files "$R")
[ "$got" = "$expected" ] || fail "installed files differ:
$(diff <(echo "$expected") <(echo "$got"))"
for f in usr/local/sbin/parleyd usr/local/sbin/parleyctl usr/local/bin/parley; do
	[ "$(stat -c %a "$R/$f")" = 755 ] || fail "$f mode $(stat -c %a "$R/$f")"
done
for f in $(cd "$R" && find . -type f ! -path '*bin/*'); do
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
[ "$(files "$R")" = "./etc/parley/parleyd.conf" ] || fail "uninstall left or took: $(files "$R")"
rm "$R/etc/parley/parleyd.conf"

# uninstall removes exactly what install wrote: nothing is left
mk install PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make install (3)"
mk uninstall PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make uninstall (2)"
[ -z "$(files "$R")" ] || fail "uninstall left files: $(files "$R")"
[ -e "$R/etc/parley" ] && fail "uninstall left /etc/parley"

# another PREFIX moves everything but /etc/parley, and ExecStart= with it
R2=$T/root2
mk install PREFIX=/usr DESTDIR="$R2" >/dev/null 2>&1 || fail "make install PREFIX=/usr"
[ "$(files "$R2")" = "$(echo "$expected" | sed 's|^\./usr/local/|./usr/|')" ] \
	|| fail "PREFIX=/usr installed: $(files "$R2")"
grep -qx 'ExecStart=/usr/sbin/parleyd -c /etc/parley/parleyd.conf' "$R2/usr/lib/systemd/system/parleyd.service" \
	|| fail "PREFIX=/usr ExecStart"
mk uninstall PREFIX=/usr DESTDIR="$R2" >/dev/null 2>&1 || fail "make uninstall PREFIX=/usr"
[ -z "$(files "$R2")" ] || fail "PREFIX=/usr uninstall left: $(files "$R2")"

# the sandbox score, of the unit in the repository and of the installed one
mk install PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make install (4)"
for u in "$ROOT/systemd/parleyd.service" "$U"; do
	out=$(mk check-unit-security UNIT="$u" 2>&1) || fail "$out"
	case "$out" in
	SKIPPED*) echo "skipped: no systemd-analyze (the unit's sandbox score is not checked)";;
	*"exposure "*) echo "$out";;
	*) fail "check-unit-security said: $out";;
	esac
done
mk uninstall PREFIX=/usr/local DESTDIR="$R" >/dev/null 2>&1 || fail "make uninstall (3)"
pass
