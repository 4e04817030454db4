#!/usr/bin/env bash
# Installs the Debian packages pixlime's builds, tests and main job need, only those missing.
# As root it uses apt-get (CI runs as root), otherwise sudo when there is one; without either it
# names what is missing and fails.
#   scripts/install-deps.sh [package ...]      (default: everything listed below)
set -euo pipefail

packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
  packages=(
    cmake make g++ clang libclang-rt-14-dev           # compilers; clang's ASan/UBSan runtime
    libeigen3-dev libstb-dev doctest-dev              # the library's dependencies, tests
    nlohmann-json3-dev libcli11-dev zlib1g-dev        # the examples' JSON, CLI and gzip
    dataset-fashion-mnist chromium                    # the main job's data; its report test
    python3 libopencv-dnn-dev                         # the README's snippets (runner; OpenCV DNN example)
    libtorch-dev python3-torch                        # the backends' examples (libtorch) and their tests' model
    git pkg-config                                    # the FetchContent and pkg-config consumer tests
    pybind11-dev python3-pybind11 python3-dev         # the Python module
    python3-numpy python3-pytest python3-tqdm         # ... its tests, its progress bar
    python3-jsonschema                                # the record schema checked on every writer's output
    python3-pil                                       # the target test models' photograph scene
    libcpp-httplib-dev libsqlite3-dev chromium-driver # pixlime serve (HTTP, its database); its dashboard test
    python3-dask python3-distributed                  # ... pixlime.dask and its LocalCluster tests
    python3-venv python3-pip python3-setuptools       # ... 'pip install .' (tested in a venv)
    mkdocs mkdocs-material doxygen                    # the documentation site and its C++ API reference
  )
  # The README's comparison with lime runs where lime's source is beside the repository
  # (../shared/vendor/lime, kept for comparisons only); lime needs these.
  if [ -d "$(dirname "$0")/../../shared/vendor/lime" ]; then
    packages+=(python3-sklearn python3-skimage python3-scipy)
  fi
  # The Conan packaging test runs where the Conan client is beside the repository
  # (../shared/tools/conan.sh, Conan 2 from source on Debian's Python); Conan needs these.
  if [ -f "$(dirname "$0")/../../shared/tools/conan.sh" ]; then
    packages+=(python3-requests python3-yaml python3-jinja2 python3-dateutil python3-fasteners python3-distro
               python3-colorama python3-patch-ng)
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  echo "pixlime: not root and no sudo: install these Debian packages first: ${missing[*]}" >&2
  exit 1
fi
echo "pixlime: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
