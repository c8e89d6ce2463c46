#!/bin/sh
# Install the Debian 12 packages parley builds and tests with, if any is
# missing.  Does nothing (and needs no network) when all are present.
set -eu
pkgs="gcc make pkg-config libevent-dev libssl-dev libprotobuf-c-dev protobuf-c-compiler
libsqlite3-dev libsystemd-dev libinih-dev libcmocka-dev openssl sqlite3 curl jq groff-base
cppcheck python3 python3-cryptography mandoc
libcairo2-dev libpango1.0-dev libqrencode-dev fonts-dejavu-core poppler-utils zbar-tools chromium
libpq-dev postgresql-15 postgresql-client-15"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root (or install these packages):$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
