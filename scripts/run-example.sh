#!/usr/bin/env bash
# The main job: installs what is missing, builds SwiftSM in release mode, and runs a read-only discovery
# sweep. On a host with an InfiniBand port whose link is up it sweeps that fabric; otherwise it sweeps the
# bundled example fabric in the in-process simulator. Extra arguments go to `swiftsm discover`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --product swiftsm >&2
swiftsm=.build/release/swiftsm

has_live_port() {
    grep -qs "LinkUp" /sys/class/infiniband/*/ports/*/phys_state
}

if has_live_port; then
    echo "run-example: sweeping the fabric on this host's InfiniBand port" >&2
    exec "$swiftsm" discover --stats "$@"
else
    example=Examples/fat-tree-32-hosts.topo
    echo "run-example: no InfiniBand port is up here; sweeping $example in the simulator" >&2
    exec "$swiftsm" discover --simulate "$example" --stats "$@"
fi
