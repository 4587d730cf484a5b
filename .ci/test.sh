#!/usr/bin/env bash
# make test: bring up what the integration tests need, run every test, and
# under CI=true fail on any skipped test.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "Go is required (https://go.dev/dl/)"; exit 1; }

.ci/ensure-postgres.sh
.ci/ensure-chromium.sh
.ci/ensure-media-tools.sh
.ci/ensure-kannel.sh
# The web console: built (npm ci when needed) and embedded before go test,
# so the served page and the browser tests run the real build.
command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required to build the console (web/)"; exit 1; }
make console
asterisk-conf/local/ensure-baresip.sh
# Export the local Asterisk's connection facts (reused if one answers).
eval "$(asterisk-conf/local/up.sh | sed 's/^/export /')"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
go test ${TEST_FLAGS:--race -count=1 -timeout 40m} -v ./... 2>&1 | tee "$log" | grep -E '^(=== RUN|--- (PASS|FAIL|SKIP)|PASS|FAIL|ok|panic|\s+[a-z_]+\.go:[0-9]+:)' | grep -v '^=== RUN'
rc=${PIPESTATUS[0]}
set -e
skips=$(grep -E -- '--- SKIP' "$log" || true)
pass=$(grep -cE -- '^\s*--- PASS' "$log" || true)
fail=$(grep -cE -- '^\s*--- FAIL' "$log" || true)
nskip=$(grep -cE -- '^\s*--- SKIP' "$log" || true)
if [ "$rc" -ne 0 ]; then
  echo "--- failures:"; grep -E -B2 -A20 -- '--- FAIL|^panic' "$log" | head -200
fi
echo
echo "tests: $pass passed, $fail failed, $nskip skipped"
if [ -n "$skips" ] && [ "${CI:-}" = "true" ]; then
  echo "CI=true: skipped tests are failures:"; echo "$skips"; exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"
# Fault phase (CI, or FAULTS=1): PostgreSQL outage, Asterisk restart,
# ARI cut, kill -9 — each on a private instance (make test-faults).
if [ "${CI:-}" = "true" ] || [ "${FAULTS:-}" = "1" ]; then
  echo
  echo "=== fault tests (.ci/faults.sh)"
  .ci/faults.sh
fi
