#!/usr/bin/env bash
# The whole test suite, from a fresh clone:
#   1. g++, Release: unit tests (one file per header, the hostile-input sweep, lime's and
#      scikit-image's numbers), every header on its own and every template instantiated under
#      strict warnings, a build with standard C++ only, examples run as tests, consumer projects
#      (find_package from an install prefix, add_subdirectory, own stb, Conan, vcpkg, pkg-config,
#      pip), the snippets of README.md and docs/ (and the comparison with lime where its source is
#      at ../shared/vendor/lime), the docs site (mkdocs --strict) and the C++ API reference
#      (Doxygen), the workflow's tests (Fashion-MNIST, scripts/main.sh, report in headless Chromium);
#   2. clang++, C++20, AddressSanitizer + UndefinedBehaviorSanitizer: the same suite (less the
#      packaging, docs and README tests), the same strict checks with clang (every template
#      instantiated, standard C++ only; each header on its own is compiled in 1 only), and the
#      libFuzzer targets (their seed corpora and crash reproducers, then PIXLIME_FUZZ_SECONDS of
#      fuzzing each, 20 s here: sized so that the whole run stays under 20 minutes on 2 cores).
# Both builds use -Wall -Wextra -Wpedantic -Werror on pixlime's own code. Each phase's time is
# printed when it ends, and all of them again at the end.
#   scripts/test.sh            (the CMakePresets.json presets release and asan: build/release, build/asan)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
# Tests wait on servers, browsers and child processes: one more than the cores keeps both busy.
test_jobs=$(( jobs + 1 ))
start=$(date +%s)
phase_names=()
phase_seconds=()
phase_start=$start
current=""

begin() {
  current="$1"
  phase_start=$(date +%s)
  echo "== $current (at $(( phase_start - start )) s)"
}
end() {
  local took=$(( $(date +%s) - phase_start ))
  phase_names+=("$current")
  phase_seconds+=("$took")
  echo "== $current: $took s"
}
summary() {
  local rc=$?
  echo "== phases (2 cores: keep the total under 1200 s)"
  local i
  for i in "${!phase_names[@]}"; do printf '   %5d s  %s\n' "${phase_seconds[$i]}" "${phase_names[$i]}"; done
  [ -n "$current" ] && [ "$rc" -ne 0 ] && printf '   %5s    %s (failed after %d s)\n' "" "$current" "$(( $(date +%s) - phase_start ))"
  printf '   %5d s  total\n' "$(( $(date +%s) - start ))"
}
trap summary EXIT

begin "Debian packages"
bash scripts/install-deps.sh
end

begin "g++ Release: build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
end
begin "g++ Release: tests"
ctest --preset release -j "$test_jobs"
end

begin "clang++, C++20, AddressSanitizer + UBSan: build"
cmake --preset asan -DPIXLIME_FUZZ_SECONDS="${PIXLIME_FUZZ_SECONDS:-20}" >/dev/null
cmake --build --preset asan -j "$jobs"
end
begin "clang++, C++20, AddressSanitizer + UBSan: tests and fuzzing"
ctest --preset asan -j "$test_jobs"
end
current=""

echo "pixlime: all tests passed in $(( $(date +%s) - start )) s"
