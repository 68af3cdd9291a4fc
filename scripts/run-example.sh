#!/usr/bin/env bash
# The main job: installs what is missing, builds SwiftSM in release mode, and runs it.
# - No InfiniBand port up on this host: configures the bundled example fabric in the in-process simulator
#   (`swiftsm sweep --once`: discover, LIDs, routes, switch programming, activation, verification).
# - An InfiniBand port is up: sweeps that fabric read-only (`swiftsm discover`); configuring a real subnet
#   is left to an explicit `swiftsm sweep --once`.
# Extra arguments go to the swiftsm subcommand.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --product swiftsm >&2
swiftsm=.build/release/swiftsm

has_live_port() {
    grep -qs "LinkUp" /sys/class/infiniband/*/ports/*/phys_state
}

if has_live_port; then
    echo "run-example: an InfiniBand port is up here; discovering its fabric read-only" >&2
    echo "run-example: to configure it, run: $swiftsm sweep --once --guid2lid /var/cache/swiftsm/guid2lid" >&2
    exec "$swiftsm" discover --stats "$@"
else
    example=Examples/fat-tree-32-hosts.topo
    echo "run-example: no InfiniBand port is up here; configuring $example in the simulator" >&2
    exec "$swiftsm" sweep --once --simulate "$example" --stats "$@"
fi
