#!/usr/bin/env bash
# ctest: `python3 -m pip install --no-build-isolation .` as the README says, from a copy of the
# source tree (nothing is written into the checkout), into a venv that sees Debian's packages
# (numpy, pybind11, setuptools); then pixlime imported from the venv and an image explained.
#   pip_install.sh <source dir> <scratch dir> <python3>
set -euo pipefail
source_dir="$1"; scratch="$2"; python="$3"
"$python" -c "import venv, ensurepip, setuptools, pybind11" 2>/dev/null || {
  echo "SKIPPED: needs python3-venv, python3-pip, python3-setuptools and python3-pybind11"; exit 77; }
rm -rf "$scratch" && mkdir -p "$scratch/src"
# What a release archive holds: the files setup.py and pyproject.toml name.
cp -r "$source_dir"/{include,app,python,setup.py,pyproject.toml,README.md,LICENSE} "$scratch/src/"
rm -rf "$scratch/src/python/tests"
"$python" -m venv --system-site-packages "$scratch/venv"
unset PYTHONPATH
export PIP_NO_INDEX=1 PIP_NO_DEPS=1 PIP_QUIET=1  # nothing from the network; Debian has the rest
# Built unoptimised: what runs below is one 32x32 explanation, and with setup.py's -O3 (the
# user's build) this test took 178 s of CPU, 99 s at -O0. setup.py's flags come last on each
# compile line, so CC and CXX (which setuptools compiles and links with) name wrappers of this
# Python's own compilers that append -O0; the rest is pip's build as a user runs it.
for tool in CC CXX; do
  real="${!tool:-$("$python" -c "import sysconfig; print(sysconfig.get_config_var('$tool'))")}"
  printf '#!/bin/sh\nexec %s "$@" -O0\n' "$real" > "$scratch/$tool-O0"
  chmod +x "$scratch/$tool-O0"
  export "$tool=$scratch/$tool-O0"
done
"$scratch/venv/bin/python" -m pip install --no-build-isolation "$scratch/src"
cd "$scratch"  # not the source: the import must come from the venv
venv/bin/python - <<'PY'
import os, sys, numpy as np, pixlime
where = os.path.dirname(pixlime.__file__)
assert where.startswith(os.path.join(sys.prefix, "lib")), f"pixlime imported from {where}, not the venv"
img = np.zeros((32, 32, 3), np.uint8)
img[:16] = 200
seg = pixlime.grid(img, cells_x=2, cells_y=2)
def classify(batch):  # class 0: how bright the top half is
    p = batch[:, :16].mean(axis=(1, 2, 3)) / 255.0
    return np.stack([p, 1 - p], axis=1)
ex = pixlime.explain(img, classify, segments=seg, num_samples=64, labels=[0], fill="constant")
assert sorted(np.argsort(-ex.weights(0))[:2]) == [0, 1], ex.weights(0)
stubs = sorted(f for f in os.listdir(where) if f.endswith((".pyi", ".typed")))
assert {"__init__.pyi", "py.typed"} <= set(stubs), f"type stubs not installed: {stubs}"
print(f"pip install ok: pixlime {pixlime.__version__} from {where}, stubs {stubs}")
PY
