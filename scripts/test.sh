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
#   scripts/test.sh            (build folders: build/test-gcc, build/test-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)

phase() { echo "== $1 ($(( $(date +%s) - start )) s)"; }
phase "g++ Release: build"
cmake -S . -B build/test-gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DPIXLIME_WERROR=ON >/dev/null
cmake --build build/test-gcc -j "$jobs"
phase "g++ Release: tests"
ctest --test-dir build/test-gcc -j "$jobs" --output-on-failure

phase "clang++, C++20, AddressSanitizer + UBSan: build"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build/test-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DPIXLIME_WERROR=ON \
  -DCMAKE_CXX_STANDARD=20 -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only $san" -DCMAKE_EXE_LINKER_FLAGS="$san" -DPIXLIME_BUILD_BENCHMARKS=OFF \
  -DPIXLIME_SANITIZED=ON >/dev/null
cmake --build build/test-asan -j "$jobs"
phase "clang++, C++20, AddressSanitizer + UBSan: tests and fuzzing"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/test-asan -j "$jobs" --output-on-failure -LE no-sanitizer

echo "pixlime: all tests passed in $(( $(date +%s) - start )) s"
