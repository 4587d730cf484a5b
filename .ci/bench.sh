#!/usr/bin/env bash
# make bench: Go benchmarks, including the ones that drive the real Asterisk.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/ensure-postgres.sh >/dev/null
eval "$(asterisk-conf/local/up.sh | sed 's/^/export /')"
# Micro-benchmarks: default bench time. Load benchmarks (named *CallRate*,
# *Load*) run once each: one iteration is a whole scenario.
go test -run '^$' -bench . -benchmem -p 1 -timeout 60m ${BENCH_PKGS:-./...} 2>&1 | tee /tmp/switchyard-bench.txt | grep -vE '^(goos|goarch|pkg|cpu):'
# The whole product path (API upload → daemon dials → outcomes recorded)
# against a bare originate loop, one line per store and concurrency.
echo
echo "Product path (cmd/app BenchmarkProductPathLoad):"
grep -E '^BenchmarkProductPathLoad/[a-z]+/C=[0-9]+: ' /tmp/switchyard-bench.txt || echo "  (not run: no local Asterisk?)"
# The console's Reports page in Chromium on 100 000 attempts (p50/p95 ms).
echo
echo "Console report page (cmd/app BenchmarkConsoleReportPageLoad):"
grep -E '^BenchmarkConsoleReportPageLoad' /tmp/switchyard-bench.txt | tr '\t' '\n' | grep -E 'ms$' | sed 's/^ */  /' || echo "  (not run: no chromium or console build?)"
# The flow editor in Chromium on a 300-node flow: frame times (ms) while
# panning, zooming and dragging a node.
echo
echo "Flow editor, 300 nodes (cmd/app BenchmarkFlowEditorFrames):"
grep -E '^BenchmarkFlowEditorFrames' /tmp/switchyard-bench.txt | tr '\t' '\n' | grep -E 'ms$' | sed 's/^ */  /' || echo "  (not run: no chromium or console build?)"
# The Wallboard in Chromium: 500 agents, 50 queues, 2 changes/s per agent.
echo
echo "Wallboard (cmd/app BenchmarkWallboardLoad):"
grep -E '^BenchmarkWallboardLoad' /tmp/switchyard-bench.txt | tr '\t' '\n' | grep -E '(ms|/s|%|longtasks)$' | sed 's/^ */  /' || echo "  (not run: no chromium or console build?)"
