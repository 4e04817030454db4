"""Builds pixlime._pixlime, the C++ library's Python module (pyproject.toml has the metadata).

Needs, for the Python that runs it: pybind11 >= 2.6 and Python's own headers (Python.h); and
Eigen's, stb's and nlohmann/json's headers, found with pkg-config (Debian: libeigen3-dev,
libstb-dev, nlohmann-json3-dev), or in PIXLIME_EIGEN_INCLUDE / PIXLIME_STB_INCLUDE /
PIXLIME_JSON_INCLUDE when set. stb is compiled into the module. What is
missing is said in one message, naming the interpreter and what to install, with no traceback.
"""
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig

root = os.path.dirname(os.path.abspath(__file__))
problems = []  # (what is missing, how to get it): all said at once below


def interpreter():
    """This Python, as the message names it: the executable, its version, the venv's base."""
    name = f"{sys.executable or 'python'} (Python {platform.python_version()}"
    if sys.prefix != sys.base_prefix:
        name += f", a venv of {sys.base_prefix}"
    return name + ")"


try:
    from setuptools import setup
except ImportError:  # pip has it for pyproject.toml's build; `python setup.py ...` may not
    setup = None
    problems.append(("setuptools, the Python package",
                     ["Debian/Ubuntu: apt-get install python3-setuptools (for /usr/bin/python3)",
                      "any other Python: `python -m pip install .` (pip brings setuptools)"]))
if setup and {"bdist_wheel", "dist_info"} & set(sys.argv[1:]):
    # setuptools < 70.1 makes wheels (and pip's metadata) with the wheel package's bdist_wheel. Not
    # asked earlier: with build isolation, pip installs wheel after setuptools' egg_info ran this.
    import setuptools
    setuptools_version = tuple(int(part) for part in re.findall(r"\d+", setuptools.__version__)[:2])
    try:
        import wheel  # noqa: F401
    except ImportError:
        if setuptools_version < (70, 1):
            problems.append((
                f"wheel, the Python package (setuptools {setuptools.__version__} builds wheels with it)",
                ["Debian/Ubuntu: apt-get install python3-wheel (for /usr/bin/python3)",
                 "any other Python: `python -m pip install .` with build isolation (pip fetches it),",
                 "  or `python -m pip install wheel` (or setuptools>=70.1) first"]))

try:
    from pybind11.setup_helpers import Pybind11Extension
except ImportError:
    try:
        import pybind11
        found = f"pybind11 {getattr(pybind11, '__version__', '?')} is installed, too old"
    except ImportError:
        found = "not installed"
    problems.append((
        f"pybind11 >= 2.6, the Python package ({found})",
        ["Debian/Ubuntu: apt-get install python3-pybind11 pybind11-dev python3-dev, then build with",
         "  Debian's Python, /usr/bin/python3, which those packages are for",
         "  (a venv: /usr/bin/python3 -m venv --system-site-packages .venv)",
         "any other Python (pyenv, conda, python.org): `python -m pip install .` with build",
         "  isolation (pip's default: it fetches setuptools and pybind11), or",
         "  `python -m pip install pybind11` first, then `pip install --no-build-isolation .`"]))


def python_headers():
    """Where this Python's Python.h is (its sysconfig, or -I / CPATH given to the compiler)."""
    paths = sysconfig.get_paths()
    candidates = [paths.get("include"), paths.get("platinclude")]
    for variable in ("CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH"):
        candidates += os.environ.get(variable, "").split(os.pathsep)
    for variable in ("CFLAGS", "CPPFLAGS", "CXXFLAGS"):
        candidates += [flag[2:] for flag in os.environ.get(variable, "").split() if flag.startswith("-I")]
    if not any(folder and os.path.isfile(os.path.join(folder, "Python.h")) for folder in candidates):
        dev = "python3-dev" if sys.executable == "/usr/bin/python3" else \
              f"python{sys.version_info[0]}.{sys.version_info[1]}-dev"
        problems.append((
            f"Python.h, this Python's own headers (not in {paths.get('include')})",
            [f"Debian/Ubuntu: apt-get install {dev} (Fedora: python3-devel) for a system Python",
             "pyenv, conda and python.org builds ship them: reinstall that Python if they are gone",
             "or give the folder holding Python.h to the compiler: CPATH=<folder> or CFLAGS=-I<folder>"]))


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
    debian, upstream = {"eigen3": ("libeigen3-dev", "Eigen is header-only: an unpacked Eigen 3 release"),
                        "stb": ("libstb-dev", "stb_image.h from https://github.com/nothings/stb"),
                        "nlohmann_json": ("nlohmann-json3-dev", "the single_include folder of nlohmann/json 3.9 or later")}[package]
    problems.append((f"{header}, {package}'s header (not in {candidates})",
                     [f"Debian/Ubuntu: apt-get install {debian}",
                      f"anywhere: set {variable} to the folder holding {header} ({upstream} will do)"]))
    return None


python_headers()
include_dirs = ["include", "app/include",
                include_dir("PIXLIME_EIGEN_INCLUDE", "eigen3", "Eigen/Core", ["/usr/include/eigen3"]),
                include_dir("PIXLIME_STB_INCLUDE", "stb", "stb_image.h", ["/usr/include/stb", "/usr/include"]),
                # the app layer's record writer (pixlime.dask's records are the C++ apps')
                include_dir("PIXLIME_JSON_INCLUDE", "nlohmann_json", "nlohmann/json.hpp", ["/usr/include"])]
if problems:
    lines = [f"pixlime: cannot build the Python module for {interpreter()}.",
             "(`python` below: that interpreter.) Missing:"]
    for what, fixes in problems:
        lines.append(f"  - {what}")
        lines += [f"      {fix}" for fix in fixes]
    raise SystemExit("\n".join(lines))

module = Pybind11Extension(
    "pixlime._pixlime",
    # The module and the app layer's record writer (the same records as the C++ apps').
    ["python/src/module.cpp", "app/src/record.cpp", "app/src/preprocess.cpp"],
    include_dirs=include_dirs,
    cxx_std=17,
    # Optimised as the CMake Release build, without the debug info Python's own flags ask for.
    extra_compile_args=["-O3", "-g0", "-DNDEBUG"],
)

setup(version=version(), ext_modules=[module])
