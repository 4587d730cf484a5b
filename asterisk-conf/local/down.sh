#!/usr/bin/env bash
# down.sh — stop the local dev Asterisk started by up.sh (make asterisk-down):
# `core stop now`, then unmount proc and /dev from the chroot. Idempotent; the
# cached root stays (the next up.sh takes seconds). Only the Asterisk whose
# process root is $CACHE/asterisk-root is touched.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -d "$ROOT" ]; then
	log "no local Asterisk root at $ROOT: nothing to stop"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "stopping the local Asterisk needs root"
take_lock

if pid=$(ours_pid); then
	log "stopping Asterisk (pid $pid)"
	stop_asterisk
	log "Asterisk stopped"
else
	log "Asterisk is not running"
fi
rm -f "$ROOT/run/asterisk/asterisk.ctl" "$ROOT/run/asterisk/asterisk.pid"

for m in dev proc; do
	if mountpoint -q "$ROOT/$m"; then
		umount "$ROOT/$m" 2>/dev/null || {
			log "$ROOT/$m busy; lazy unmount"
			umount -l "$ROOT/$m"
		}
	fi
done
log "unmounted proc and /dev from $ROOT"
