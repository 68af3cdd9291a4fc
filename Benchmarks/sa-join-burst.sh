#!/usr/bin/env bash
# Benchmark: a join burst of simulated Linux IPoIB hosts after a new SwiftSM master sets ClientReregister,
# on the in-process simulator (SM, SA, fabric and hosts in one process). Prints BUSY answers, timeouts, the
# burst's time and joins/s (median and range of REPEAT rounds), against an anchor measured in each round:
# the same hosts sending one ClassPortInfo Get each at once.
#   Benchmarks/sa-join-burst.sh [RADIX] [HOSTS] [REPEAT] [QUEUE]     (default: 36 10000 3, the daemon's queue)
set -euo pipefail
cd "$(dirname "$0")/SABench"
# SwiftPM keeps the build plan of this package's path dependency (the main package) across runs and misses
# files added there since: planning anew costs about a second.
rm -f .build/release.yaml .build/release/description.json
swift build -c release --product SAJoinBurst >&2
.build/release/SAJoinBurst "$@"
