# Shared set-up of the benchmark scripts (sourced): dependencies, a release build, a scratch directory
# removed on exit, and an ibsim that is always killed (it ignores SIGTERM).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/install-deps.sh
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
swift build -c release --product swiftsm >&2
swiftsm=$PWD/.build/release/swiftsm
preload=/usr/lib/x86_64-linux-gnu/umad2sim/libumad2sim.so
work=$(mktemp -d)
ibsim_pid=
trap 'kill -9 $ibsim_pid 2>/dev/null || true; rm -rf "$work"' EXIT
