"""`pip install --no-build-isolation .` with a Python that lacks pybind11 (issue 21: pyenv, conda,
python.org builds) stops with one message naming the interpreter and what to install, and no
traceback. The Python is a fresh venv without system site packages (pip and setuptools from
ensurepip; pybind11 never), from a non-Debian python3 when there is one, else from this one.
The source is copied to a temporary folder: nothing is written into the checkout."""
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2]
NEEDS = ["setup.py", "pyproject.toml", "README.md", "LICENSE", "include", "app", "python"]


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def candidates():
    """Interpreters to try, the issue's kind (not Debian's /usr/bin/python3) first."""
    found = [os.environ.get("PIXLIME_BARE_PYTHON")]
    found += [shutil.which(name) for name in ("python3", "python3.8", "python3.9", "python3.10",
                                              "python3.11", "python3.12", "python3.13")]
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3")))
    found += ["/opt/conda/bin/python3", "/usr/local/bin/python3", sys.executable]
    real = []
    for path in filter(None, found):
        if os.path.isfile(path) and os.path.realpath(path) not in [os.path.realpath(p) for p in real]:
            real.append(path)
    debian = [p for p in real if os.path.realpath(p).startswith("/usr/bin/")]
    return [p for p in real if p not in debian] + debian


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=300, **kw)


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A venv's python with pip and setuptools but no pybind11, or a skip saying why not."""
    tried = []
    for n, python in enumerate(candidates()):
        venv = tmp_path_factory.mktemp(f"venv{n}")
        made = run([python, "-m", "venv", "--clear", str(venv)])
        exe = venv / "bin" / "python"
        if made.returncode or not exe.exists():
            tried.append(f"{python}: no venv ({made.stderr.strip().splitlines()[-1:]})")
            continue
        probe = run([str(exe), "-c", "import sys, setuptools, pip\n"
                     "try:\n import pybind11\nexcept ImportError: sys.exit(sys.version_info < (3, 8))\n"
                     "sys.exit(2)"])
        if probe.returncode == 0:
            return exe
        tried.append(f"{python}: " + ("has pybind11 in a bare venv" if probe.returncode == 2 else
                                      "needs pip and setuptools in its venvs, and Python >= 3.8"))
    pytest.skip("no Python whose fresh venv has pip and setuptools and lacks pybind11: " + "; ".join(tried))


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    for name in NEEDS:
        if (SOURCE / name).is_dir():
            shutil.copytree(SOURCE / name, src / name, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        else:
            shutil.copy2(SOURCE / name, src / name)
    return src


def check_message(out, exe):
    assert "Traceback" not in out, out
    assert out.count("pixlime: cannot build the Python module for") == 1, out
    version = run([str(exe), "-c", "import platform; print(platform.python_version())"]).stdout.strip()
    assert f"{exe} (Python {version}" in out, out  # the interpreter: its path and version
    assert "pybind11 >= 2.6, the Python package (not installed)" in out, out
    assert "apt-get install python3-pybind11 pybind11-dev python3-dev" in out, out
    assert "/usr/bin/python3 -m venv --system-site-packages .venv" in out, out
    assert "`python -m pip install .` with build" in out, out
    assert "`python -m pip install pybind11` first" in out, out


def test_pip_install_without_pybind11_says_what_to_install(bare_python, source_copy):
    done = run([str(bare_python), "-m", "pip", "install", "--no-build-isolation", "--no-index",
                "--no-deps", str(source_copy)], cwd=source_copy.parent)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    check_message(out, bare_python)


def test_setup_py_without_pybind11_says_what_to_install(bare_python, source_copy):
    done = run([str(bare_python), "setup.py", "--version"], cwd=source_copy)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    check_message(out, bare_python)
