#!/usr/bin/env bash
# ensure-baresip.sh — make sure the baresip SIP user agent is installed on the
# host (not in the Asterisk chroot): the tests' real SIP agents
# (asterisk-conf/asterisktest/sipagent) register with the dev Asterisk and
# answer calls with it. Idempotent; silent when baresip is already there.
#
# Debian/Ubuntu: apt-get install --no-install-recommends baresip-core (the
# console UA with the modules the tests use: stdio, menu, account, g711,
# ausine, aubridge; no GTK, no sound server). Needs root to install.
#
# Exit: 0 installed; 1 failure.
set -euo pipefail

MODULES=(stdio account menu g711 ausine aubridge)
MODDIR=/usr/lib/baresip/modules

have_all() {
	command -v baresip >/dev/null || return 1
	local m
	for m in "${MODULES[@]}"; do
		[ -e "$MODDIR/$m.so" ] || return 1
	done
}

have_all && exit 0

say() { printf 'ensure-baresip: %s\n' "$*" >&2; }
command -v apt-get >/dev/null || {
	say "error: baresip is missing and this is not a Debian/Ubuntu system; install baresip (modules: ${MODULES[*]}) by hand"
	exit 1
}
SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		say "error: installing baresip needs root (or sudo)"
		exit 1
	}
	SUDO=sudo
fi
say "installing baresip-core (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends baresip-core >/dev/null 2>&1; then
	$SUDO apt-get update -qq >&2 || true
	$SUDO apt-get install -y -qq --no-install-recommends baresip-core >&2 || {
		say "error: apt-get install baresip-core failed"
		exit 1
	}
fi
have_all || {
	say "error: baresip installed but modules are missing in $MODDIR (want: ${MODULES[*]})"
	exit 1
}
say "baresip $(baresip -h 2>&1 | sed -n '1s/^baresip v\([^ ]*\).*/\1/p') ready"
