#!/usr/bin/env bash
# The whole test suite, from a fresh clone:
#   1. g++, Release: unit tests (one file per header, the hostile-input sweep, lime's and
#      scikit-image's numbers), every header on its own and every template instantiated under
#      strict warnings, a build with standard C++ only, examples run as tests, consumer projects
#      (find_package from an install prefix, add_subdirectory, own stb), the README's snippets
#      (and the comparison with lime where its source is at ../shared/vendor/lime), the
#      workflow's tests (Fashion-MNIST, report in headless Chromium);
#   2. clang++, C++20, AddressSanitizer + UndefinedBehaviorSanitizer: the same suite (less the
#      packaging and README tests), the same strict checks with clang, and the libFuzzer targets
#      (their seed corpora and crash reproducers, then PIXLIME_FUZZ_SECONDS=60 s of fuzzing each).
# Both builds use -Wall -Wextra -Wpedantic -Werror on pixlime's own code.
#   scripts/test.sh            (the CMakePresets.json presets release and asan: build/release, build/asan)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)

phase() { echo "== $1 ($(( $(date +%s) - start )) s)"; }
phase "g++ Release: build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
phase "g++ Release: tests"
ctest --preset release -j "$jobs"

phase "clang++, C++20, AddressSanitizer + UBSan: build"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
phase "clang++, C++20, AddressSanitizer + UBSan: tests and fuzzing"
ctest --preset asan -j "$jobs"

echo "pixlime: all tests passed in $(( $(date +%s) - start )) s"
