#!/usr/bin/env bash
# Installs the Debian packages pixlime's builds, tests and main job need, only those missing.
# Needs root (CI runs as root); without it, prints what is missing and carries on.
#   scripts/install-deps.sh [package ...]      (default: everything listed below)
set -euo pipefail

packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
  packages=(
    cmake make g++ clang libclang-rt-14-dev           # compilers; clang's ASan/UBSan runtime
    libeigen3-dev libstb-dev doctest-dev              # the library's dependencies, tests
    nlohmann-json3-dev libcli11-dev                   # tests' and examples' JSON and CLI
    dataset-fashion-mnist chromium                    # the main job's data; its report test
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "pixlime: missing Debian packages (install them as root): ${missing[*]}" >&2
  exit 0
fi
echo "pixlime: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
