#!/usr/bin/env bash
# ctest: a program compiled with nothing but `pkg-config --cflags --libs pixlime` (the installed
# pixlime.pc, which brings Eigen's and stb's), then run.
#   pkg_config.sh <install prefix> <main.cpp> <scratch dir> <c++ compiler>
set -euo pipefail
prefix="$1"; main="$2"; scratch="$3"; cxx="$4"
command -v pkg-config >/dev/null || { echo "SKIPPED: pkg-config not installed (Debian: apt-get install pkg-config)"; exit 77; }
mkdir -p "$scratch"
export PKG_CONFIG_PATH="$prefix/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
flags="$(pkg-config --cflags --libs pixlime)"
echo "pkg-config --cflags --libs pixlime: $flags"
# shellcheck disable=SC2086  # the flags are words
"$cxx" -std=c++17 "$main" $flags -o "$scratch/consumer"
cd "$scratch" && ./consumer
