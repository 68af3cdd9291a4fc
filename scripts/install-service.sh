#!/usr/bin/env bash
# Installs SwiftSM as a systemd service, one SM per port (swiftsm@<port GUID or CA:PORT>.service):
#   sudo ./scripts/install-service.sh
#   sudo systemctl enable --now swiftsm@mlx5_0:1.service
# Builds the release binary (unless SWIFTSM_BINARY names one), installs it to $PREFIX/bin (default
# /usr/local), the unit template to /etc/systemd/system, and a configuration file to
# /etc/swiftsm/swiftsm.conf unless one is there (opensm.conf syntax: an existing opensm.conf works as is).
# DESTDIR puts everything under another root (packaging, tests); then systemctl is not run.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
root=${DESTDIR:-}
binary=${SWIFTSM_BINARY:-}
if [ -z "$binary" ]; then
    swift build -c release --product swiftsm >&2
    binary=.build/release/swiftsm
fi
install -D -m 0755 "$binary" "$root$prefix/bin/swiftsm"
unit=$(mktemp)
trap 'rm -f "$unit"' EXIT
sed "s|@SWIFTSM@|$prefix/bin/swiftsm|" Packaging/systemd/swiftsm@.service > "$unit"
install -D -m 0644 "$unit" "$root/etc/systemd/system/swiftsm@.service"
if [ ! -e "$root/etc/swiftsm/swiftsm.conf" ]; then
    install -D -m 0644 Packaging/swiftsm.conf "$root/etc/swiftsm/swiftsm.conf"
fi
install -D -m 0644 Docs/user-guide.md "$root$prefix/share/doc/swiftsm/user-guide.md"
if [ -z "$root" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
fi
echo "installed $prefix/bin/swiftsm and swiftsm@.service; start one SM per port with: systemctl enable --now swiftsm@<port GUID or CA:PORT>.service" >&2
