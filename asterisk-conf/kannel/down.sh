#!/usr/bin/env bash
# down.sh — stop the Kannel that up.sh started (by the process ids it kept).
set -euo pipefail
cache="${SWITCHYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}"
state="$cache/kannel"
for p in smsbox fakesmsc sleeper bearerbox; do
  f="$state/$p.pid"
  if [ -s "$f" ]; then
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  fi
done
echo "Kannel stopped" >&2
