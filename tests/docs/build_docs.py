#!/usr/bin/env python3
"""Builds the documentation as the ctests docs_mkdocs and docs_doxygen do:

    build_docs.py site    REPOSITORY OUT_DIR   mkdocs build --strict (mkdocs.yml) into OUT_DIR/site,
                                               the C++ API reference included (site/api/)
    build_docs.py doxygen REPOSITORY OUT_DIR   doxygen docs/Doxyfile into OUT_DIR/doxygen: every
                                               warning (an undocumented public class, function,
                                               member or macro; a broken doc command) fails it,
                                               and the warnings are listed per header

Exit status: 0 built, 1 failed, 77 (skipped) when the tool is not installed (Debian: mkdocs,
mkdocs-material, doxygen; scripts/install-deps.sh installs them).
"""
import collections
import os
import re
import shutil
import subprocess
import sys


def site(repo, out):
    mkdocs = shutil.which("mkdocs")
    if not mkdocs:
        print("SKIPPED: mkdocs is not installed (Debian: apt-get install mkdocs mkdocs-material)")
        return 77
    if not shutil.which("doxygen"):
        print("SKIPPED: doxygen is not installed (Debian: apt-get install doxygen): the site includes the C++ API reference")
        return 77
    target = os.path.join(out, "site")
    run = subprocess.run([mkdocs, "build", "--strict", "--clean", "-f", os.path.join(repo, "mkdocs.yml"), "-d", target],
                         cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Debian's mkdocs-material 8.2 theme makes jinja2 print a DeprecationWarning traceback: noise.
    lines = [l for l in run.stdout.splitlines() if l.startswith(("INFO", "WARNING", "ERROR", "Aborted", "Error", "Config"))]
    print("\n".join(lines))
    if run.returncode != 0:
        print(run.stdout[-4000:])
        return 1
    for page in ("index.html", "reference/index.html", "api/index.html"):
        if not os.path.isfile(os.path.join(target, page)):
            print(f"FAILED: the site has no {page}")
            return 1
    print(f"site: {target}/index.html")
    return 0


def doxygen(repo, out):
    exe = shutil.which("doxygen")
    if not exe:
        print("SKIPPED: doxygen is not installed (Debian: apt-get install doxygen)")
        return 77
    target = os.path.join(out, "doxygen")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    log = os.path.join(target, "warnings.txt")
    config = f"@INCLUDE = {os.path.join(repo, 'docs', 'Doxyfile')}\nOUTPUT_DIRECTORY = {target}\nWARN_LOGFILE = {log}\n"
    run = subprocess.run([exe, "-"], input=config, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(run.stdout[-2000:], end="")
    warnings = open(log, errors="replace").read() if os.path.isfile(log) else ""
    per_file = collections.Counter(re.findall(r"^(\S+?):\d+: warning:", warnings, re.M))
    entries = [l for l in warnings.splitlines() if ": warning: " in l]
    for l in entries:
        print(l.replace(repo + os.sep, ""))
    for f, n in sorted(per_file.items()):
        print(f"{n:4d} warnings in {os.path.relpath(f, repo)}")
    html = os.path.join(target, "html", "index.html")
    if run.returncode != 0 or entries or not os.path.isfile(html):
        print(f"FAILED: doxygen exited with {run.returncode}, {len(entries)} warnings (docs/Doxyfile: WARN_AS_ERROR)")
        return 1
    print(f"doxygen: no warnings; {html}")
    return 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("site", "doxygen"):
        print(__doc__)
        return 2
    what, repo, out = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    return site(repo, out) if what == "site" else doxygen(repo, out)


if __name__ == "__main__":
    sys.exit(main())
