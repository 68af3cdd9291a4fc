#!/usr/bin/env bash
# Installs the Debian packages SwiftSM builds and tests with, if any is missing.
set -euo pipefail
packages=(libibumad-dev libibmad-dev ibsim-utils libumad2sim0 infiniband-diags opensm tshark systemd prometheus)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
