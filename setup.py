"""Builds pixlime._pixlime, the C++ library's Python module (pyproject.toml has the metadata).

Eigen's and stb's headers are found with pkg-config (Debian: libeigen3-dev, libstb-dev), or in
PIXLIME_EIGEN_INCLUDE / PIXLIME_STB_INCLUDE when set. stb is compiled into the module.
"""
import os
import re
import shutil
import subprocess

from pybind11.setup_helpers import Pybind11Extension
from setuptools import setup

root = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(root, "include", "pixlime", "version.hpp")) as f:
        return re.search(r'#define PIXLIME_VERSION "([0-9.]+)"', f.read()).group(1)


def include_dir(variable, package, header, fallbacks):
    """The folder holding `header`: $variable, pkg-config's, or the first fallback that has it."""
    candidates = [os.environ[variable]] if os.environ.get(variable) else []
    if shutil.which("pkg-config"):
        out = subprocess.run(["pkg-config", "--cflags-only-I", package], capture_output=True, text=True)
        candidates += [flag[2:] for flag in out.stdout.split() if flag.startswith("-I")]
    candidates += fallbacks
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, header)):
            return folder
    raise SystemExit(f"pixlime: {header} not found in {candidates} (Debian: apt-get install "
                     f"{'libeigen3-dev' if package == 'eigen3' else 'libstb-dev'}; or set {variable})")


module = Pybind11Extension(
    "pixlime._pixlime",
    ["python/src/module.cpp"],
    include_dirs=["include",
                  include_dir("PIXLIME_EIGEN_INCLUDE", "eigen3", "Eigen/Core", ["/usr/include/eigen3"]),
                  include_dir("PIXLIME_STB_INCLUDE", "stb", "stb_image.h", ["/usr/include/stb", "/usr/include"])],
    cxx_std=17,
    # Optimised as the CMake Release build, without the debug info Python's own flags ask for.
    extra_compile_args=["-O3", "-g0", "-DNDEBUG"],
)

setup(version=version(), ext_modules=[module])
