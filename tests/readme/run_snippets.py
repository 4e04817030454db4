#!/usr/bin/env python3
"""Runs the README's code blocks: every fenced block must be preceded by a marker saying how it
is tested, and is then compiled, run, or checked against the file the test suite builds.

    run_snippets.py README.md WORKDIR [--only NAME ...] [--skip NAME ...]   (NAME may be a glob)

Markers (an HTML comment on the line before the opening fence):
    <!-- snippet: file NAME -->        the block is written to WORKDIR/NAME (a later `run` block
                                        builds or uses it)
    <!-- snippet: run NAME -->         the block (sh or python) runs in WORKDIR and must exit 0;
                                        exit 77 means "skipped" (a missing optional tool)
    <!-- snippet: same-as PATH -->     every non-blank line of the block occurs in PATH (a file
                                        the test suite builds, relative to the repository);
    <!-- snippet: same-as PATH ; A => B ; ... -->  the same after replacing each README text A
                                        by the file's B (e.g. a URL by the variable the test sets)
    <!-- snippet: not-tested REASON --> not run, for the reason given (shown in the README too)
WORKDIR gets symlinks `include` and `tests` to the repository's, and `pixlime` to the repository
itself, so that commands written to run from the repository root (or beside a checkout called
pixlime) work there without writing into the source tree.
Exit status: 0 when everything ran, 77 when the only blocks asked for were skipped, 1 on failure.
"""
import argparse
import fnmatch
import os
import re
import subprocess
import sys

# Claims the project measured and withdrew: the README must not make them again.
WITHDRAWN_CLAIMS = [
    ("less variance", "balanced sampling was measured to vary no less than lime's draws (18 configurations x 30 seeds)"),
]

MARKER = re.compile(r"<!--\s*snippet:\s*(file|run|same-as|not-tested)\s+(.*?)\s*-->")


def blocks(readme):
    """(marker kind, argument, language, code, line number) for every fenced block."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, lang, indent = i, fence.group(2), fence.group(1)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        code = "\n".join(l[len(indent):] if l.startswith(indent) else l for l in lines[i + 1:j]) + "\n"
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        m = MARKER.search(lines[k]) if k >= 0 else None
        out.append((m.group(1) if m else None, m.group(2) if m else None, lang, code, start + 1))
        i = j + 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("readme")
    ap.add_argument("workdir")
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--skip", nargs="*", default=[])
    args = ap.parse_args()
    repo = os.path.dirname(os.path.abspath(args.readme))
    os.makedirs(args.workdir, exist_ok=True)
    for name, target in (("include", "include"), ("tests", "tests"), ("pixlime", ".")):
        link = os.path.join(args.workdir, name)
        if not os.path.lexists(link):
            os.symlink(os.path.normpath(os.path.join(repo, target)), link)

    failed, ran, skipped = [], [], []
    text = open(args.readme, encoding="utf-8").read().lower()
    for claim, why in WITHDRAWN_CLAIMS:
        if claim in text:
            failed.append(f"{args.readme}: claims '{claim}', withdrawn: {why}")
    for kind, arg, lang, code, line in blocks(args.readme):
        where = f"{args.readme}:{line}"
        if kind is None:
            failed.append(f"{where}: a ```{lang} block without a <!-- snippet: ... --> marker")
            continue
        if kind == "file":
            with open(os.path.join(args.workdir, arg), "w", encoding="utf-8") as f:
                f.write(code)
            continue
        if kind == "not-tested":
            if not arg:
                failed.append(f"{where}: not-tested without a reason")
            continue
        if kind == "same-as":
            if args.only:
                continue
            path, *replacements = [part.strip() for part in arg.split(";")]
            text = open(os.path.join(repo, path), encoding="utf-8").read()
            lines = [re.sub(r"\s+#.*$", "", l.strip()) for l in code.split("\n")]  # trailing comments
            lines = [l for l in lines if l and not (l + " ").startswith("# ")]
            for r in replacements:
                old, new = [x.strip() for x in r.split("=>")]
                lines = [l.replace(old, new) for l in lines]
            missing = [l for l in lines if l not in text]
            if missing:
                failed.append(f"{where}: not in {path}: {missing}")
            else:
                ran.append(f"same-as {path}")
            continue
        name = arg
        def matches(patterns):
            return any(fnmatch.fnmatchcase(name, p) for p in patterns)

        if (args.only and not matches(args.only)) or matches(args.skip):
            continue
        if lang == "python":
            command = [sys.executable, "-c", code]
        elif lang in ("sh", "bash", "shell"):
            command = ["bash", "-euo", "pipefail", "-c", code]
        else:
            failed.append(f"{where}: run marker on a ```{lang} block (sh or python expected)")
            continue
        print(f"--- {name} ({where})", flush=True)
        result = subprocess.run(command, cwd=args.workdir)
        if result.returncode == 77:
            skipped.append(name)
        elif result.returncode != 0:
            failed.append(f"{where}: snippet '{name}' exited with {result.returncode}")
        else:
            ran.append(name)
    print(f"README snippets: ran {len(ran)} ({', '.join(ran)}); skipped {len(skipped)} {skipped}")
    for f in failed:
        print("FAILED: " + f, file=sys.stderr)
    if failed:
        return 1
    return 77 if skipped and not ran else 0


if __name__ == "__main__":
    sys.exit(main())
