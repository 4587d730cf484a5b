# shellcheck shell=bash
# Shared by up.sh, down.sh and cli.sh (sourced, not executed).
#
# Cache layout (outside the clone, shared by every checkout on the machine):
#   $CACHE                 ${SWITCHYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}
#   $CACHE/asterisk-root   Debian sid root with asterisk 22 (debootstrap, built once)
#   $CACHE/ari-password    generated ARI password (0600) unless given by env
#   $CACHE/up.lock         serialises up.sh / down.sh runs
#   $CACHE/tls             self-signed certificate of Asterisk's HTTPS/WSS (up.sh)

# shellcheck disable=SC2034 # used by the scripts that source this file
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF_DIR=$(dirname "$HERE")
CACHE=${SWITCHYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}
ROOT=$CACHE/asterisk-root
# shellcheck disable=SC2034
DEFAULT_ARI_URL=http://127.0.0.1:8088/ari

log() { printf 'asterisk: %s\n' "$*" >&2; }
die() {
	printf 'asterisk: error: %s\n' "$*" >&2
	exit 1
}

# ast_cli CMD... — run a CLI command in the chroot Asterisk (needs root).
ast_cli() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		chroot "$ROOT" /usr/sbin/asterisk -rx "$*" 2>/dev/null
}

# ours_running — true when the chroot Asterisk is up and its control socket
# answers.
ours_running() {
	[ "$(id -u)" = 0 ] || return 1
	[ -S "$ROOT/run/asterisk/asterisk.ctl" ] || return 1
	local out # no `| grep -q`: under pipefail an early grep exit fails the pipe
	out=$(ast_cli 'core show uptime seconds') || return 1
	[[ $out == *'System uptime'* ]]
}

# ours_pid — pid of the chroot Asterisk from its pid file, only if that
# process really runs inside $ROOT.
ours_pid() {
	local pid root
	[ -r "$ROOT/run/asterisk/asterisk.pid" ] || return 1
	pid=$(tr -dc 0-9 <"$ROOT/run/asterisk/asterisk.pid")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	root=$(readlink "/proc/$pid/root" 2>/dev/null) || return 1
	[ "$root" = "$(readlink -f "$ROOT")" ] || return 1
	printf '%s\n' "$pid"
}

# take_lock — serialise with any other up.sh/down.sh. fd 9 must be closed in
# every long-lived child (Asterisk), or it would hold the lock forever.
take_lock() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/up.lock"
	if ! flock -n 9; then
		log "waiting for another up.sh/down.sh to finish ($CACHE/up.lock)"
		flock 9
	fi
}

# stop_asterisk — `core stop now`, then SIGTERM, then SIGKILL, to the chroot
# Asterisk only (ours_pid); returns when it is gone.
stop_asterisk() {
	local pid i
	pid=$(ours_pid) || return 0
	# `core stop now` hangs up live calls first; bound the wait for busy boxes.
	timeout 15 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		chroot "$ROOT" /usr/sbin/asterisk -rx 'core stop now' >/dev/null 2>&1 || true
	for ((i = 0; i < 100; i++)); do
		[ -d "/proc/$pid" ] || return 0
		sleep 0.1
	done
	log "asterisk (pid $pid) ignored 'core stop now'; sending SIGTERM"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		[ -d "/proc/$pid" ] || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}
