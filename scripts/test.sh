#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (integration tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build
swift test "$@"
