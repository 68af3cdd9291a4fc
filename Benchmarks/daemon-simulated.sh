#!/usr/bin/env bash
# Benchmark: `swiftsm run`'s light sweep, re-route and takeover on the in-process real-switch model (255 us
# per agent, VL15 depth 4), default the 11,664-host fat tree. Prints figures, not a test.
#   Benchmarks/daemon-simulated.sh [RADIX]
set -euo pipefail
cd "$(dirname "$0")/.."
DAEMON_BENCHMARK=${1:-36} swift test -c release --filter DaemonBenchmarkTests 2>&1 | grep -v "^\[\|^Test Suite\|Executed\|^◇\|^↳"
