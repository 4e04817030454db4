#!/usr/bin/env bash
# ctest: `conan create` of pixlime's conanfile.py with its test_package, in a scratch CONAN_HOME,
# against local recipes named like ConanCenter's (eigen/3.4.0, stb/cci.20230920) that package
# Debian's headers (the registry is unreachable here). The recipe and test_package are copied to
# a scratch folder first: Conan builds a test_package inside its folder.
#   conan_create.sh <repo> <scratch dir>
set -euo pipefail
repo="$1"; scratch="$2"
conan_sh="$repo/../shared/tools/conan.sh"
if [ ! -x "$conan_sh" ] && [ ! -f "$conan_sh" ]; then
  echo "SKIPPED: the Conan client is kept at ../shared/tools/conan.sh beside the repository, and there is none here"
  exit 77
fi
for module in requests yaml jinja2 dateutil fasteners distro colorama patch_ng; do
  /usr/bin/python3 -c "import $module" 2>/dev/null || {
    echo "SKIPPED: Conan needs Python's $module (Debian: apt-get install python3-requests python3-yaml python3-jinja2 python3-dateutil python3-fasteners python3-distro python3-colorama python3-patch-ng)"
    exit 77
  }
done
rm -rf "$scratch"
mkdir -p "$scratch/recipe"
export CONAN_HOME="$scratch/home"
conan() { PATH="/usr/bin:$PATH" bash "$conan_sh" "$@"; }
cp -r "$repo/conanfile.py" "$repo/LICENSE" "$repo/include" "$repo/test_package" "$scratch/recipe/"
conan profile detect > /dev/null
conan remote remove conancenter > /dev/null 2>&1 || true
conan export "$repo/tests/consumers/conan/eigen"
conan export "$repo/tests/consumers/conan/stb"
conan create "$scratch/recipe" --build=missing 2>&1 | tee "$scratch/create.log"
grep -q "consumer ok: pixlime" "$scratch/create.log"
