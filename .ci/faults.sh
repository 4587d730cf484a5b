#!/usr/bin/env bash
# make test-faults (and the fault phase of make test under CI=true): the
# fault tests (build tag `faults`) boot the whole daemon, dial 100 records
# to Local test customers on a PRIVATE Asterisk (started from the local
# chroot with its own ports) and inject a fault: PostgreSQL stopped 8 s (a
# private cluster), Asterisk `core restart now`, the ARI connection cut,
# kill -9 of the binary. An independent ARI observer counts the dials.
# Under CI=true a skipped fault test is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "Go is required (https://go.dev/dl/)"; exit 1; }

.ci/ensure-postgres.sh # also the server binaries the private clusters need
# The chroot the private Asterisk instances start from.
eval "$(asterisk-conf/local/up.sh | sed 's/^/export /')"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
go test -tags faults ${FAULT_FLAGS:--count=1 -timeout 30m} -v -run '^TestFault' ./cmd/app/ ./cmd/switchyard/ 2>&1 | tee "$log" |
  grep -E '^(--- (PASS|FAIL|SKIP)|PASS|FAIL|ok|panic)|faults_test\.go:[0-9]+: (observer|.*want|PostgreSQL|core restart|cut [0-9]|killed)'
rc=${PIPESTATUS[0]}
set -e
skips=$(grep -E -- '--- SKIP' "$log" || true)
if [ "$rc" -ne 0 ]; then
  echo "--- failures:"; grep -E -B2 -A30 -- '--- FAIL|^panic' "$log" | grep -v 'msg="sql failed"' | head -200
fi
if [ -n "$skips" ] && [ "${CI:-}" = "true" ]; then
  echo "CI=true: skipped fault tests are failures:"; echo "$skips"; exit 1
fi
exit "$rc"
