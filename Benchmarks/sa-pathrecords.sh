#!/usr/bin/env bash
# Benchmark: PathRecord Gets answered per second by SubnetAdministrator.handle on one thread, from the
# snapshot of a three-level fat tree (no transport: the SA's own cost). Prints the median and range of
# REPEAT runs. Reference (IB-FIELD-NOTES): OpenSM spends 25-27 us of CPU per PathRecord (~40K/s per core).
#   Benchmarks/sa-pathrecords.sh [RADIX] [REQUESTS] [REPEAT] [LMC]     (default: 24 1000000 5 0)
set -euo pipefail
cd "$(dirname "$0")/SABench"
# SwiftPM keeps the build plan of this package's path dependency (the main package) across runs and misses
# files added there since: planning anew costs about a second.
rm -f .build/release.yaml .build/release/description.json
swift build -c release >&2
taskset -c 0 .build/release/SABench "$@"
