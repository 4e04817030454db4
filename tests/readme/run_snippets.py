#!/usr/bin/env python3
"""Runs the code blocks of the README and the docs pages: every fenced block must be preceded by a
marker saying how it is tested, and is then compiled, run, or checked against a file the test suite
builds.

    run_snippets.py PAGE [PAGE ...] WORKDIR [--only NAME ...] [--skip NAME ...] [--jobs N]

A PAGE is a markdown file or a folder (its *.md files, sorted), e.g. `README.md docs`. NAME may be a
glob. Snippet names (of `file` and of `run` blocks) are unique across all the pages given.

Markers (an HTML comment on the line before the opening fence):
    <!-- snippet: file NAME -->        the block is written to WORKDIR/NAME (a `run` block builds or
                                        uses it)
    <!-- snippet: run NAME -->         the block (sh or python) runs in WORKDIR and must exit 0;
                                        exit 77 means "skipped" (a missing optional tool)
    <!-- snippet: run NAME after A B --> the same, started only once the run blocks A and B have
                                        finished (when they run at all): a block that uses what
                                        an earlier block made
    <!-- snippet: same-as PATH -->     every non-blank line of the block occurs in PATH (a file
                                        the test suite builds, relative to the repository);
    <!-- snippet: same-as PATH ; A => B ; ... -->  the same after replacing each page's text A
                                        by the file's B (e.g. a URL by the variable the test sets)
    <!-- snippet: not-tested REASON --> not run, for the reason given (shown in the page too)
Every `file` block of every page is written before any block runs. The `run` blocks then run
concurrently, --jobs at a time (default: 2, or the environment's PIXLIME_SNIPPET_JOBS; at most the
machine's cores), each started in page order; their output is printed as each finishes. Most of their
time is compiling a program against the whole library, which the blocks do independently.
WORKDIR gets symlinks `include` and `tests` to the repository's, and `pixlime` to the repository
itself, so that commands written to run from the repository root (or beside a checkout called
pixlime) work there without writing into the source tree.
Exit status: 0 when everything ran, 77 when the only blocks asked for were skipped, 1 on failure.
"""
import argparse
import concurrent.futures
import fnmatch
import os
import re
import subprocess
import sys
import threading
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Claims the project measured and withdrew: no page may make them again.
WITHDRAWN_CLAIMS = [
    ("less variance", "balanced sampling was measured to vary no less than lime's draws (18 configurations x 30 seeds)"),
]

MARKER = re.compile(r"<!--\s*snippet:\s*(file|run|same-as|not-tested)\s+(.*?)\s*-->")


def blocks(page):
    """(marker kind, argument, language, code, line number) for every fenced block of a page."""
    lines = open(page, encoding="utf-8").read().split("\n")
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


def pages(arguments):
    """The markdown files named, folders expanded to their *.md files."""
    out = []
    for a in arguments:
        if os.path.isdir(a):
            out += sorted(os.path.join(a, f) for f in os.listdir(a) if f.endswith(".md"))
        else:
            out.append(a)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+", help="PAGE [PAGE ...] WORKDIR")
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--skip", nargs="*", default=[])
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("PIXLIME_SNIPPET_JOBS", "2")))
    args = ap.parse_args()
    if len(args.paths) < 2:
        ap.error("expected PAGE [PAGE ...] WORKDIR")
    *page_args, workdir = args.paths
    os.makedirs(workdir, exist_ok=True)
    for name, target in (("include", "include"), ("tests", "tests"), ("pixlime", ".")):
        link = os.path.join(workdir, name)
        if not os.path.lexists(link):
            os.symlink(os.path.normpath(os.path.join(REPO, target)), link)

    failed, ran, skipped = [], [], []
    runs, seen = [], {}  # (name, where, lang, code, after); name -> where it is defined
    for page in pages(page_args):
        text = open(page, encoding="utf-8").read().lower()
        for claim, why in WITHDRAWN_CLAIMS:
            if claim in text:
                failed.append(f"{page}: claims '{claim}', withdrawn: {why}")
        for kind, arg, lang, code, line in blocks(page):
            where = f"{page}:{line}"
            if kind is None:
                failed.append(f"{where}: a ```{lang} block without a <!-- snippet: ... --> marker")
                continue
            if kind in ("file", "run"):
                name = arg.split()[0] if arg else ""
                if not name:
                    failed.append(f"{where}: {kind} without a name")
                    continue
                if name in seen:
                    failed.append(f"{where}: the snippet name '{name}' is taken ({seen[name]})")
                    continue
                seen[name] = where
            if kind == "file":
                with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
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
                target = open(os.path.join(REPO, path), encoding="utf-8").read()
                lines = [re.sub(r"\s+#.*$", "", l.strip()) for l in code.split("\n")]  # trailing comments
                lines = [l for l in lines if l and not (l + " ").startswith("# ")]
                for r in replacements:
                    old, new = [x.strip() for x in r.split("=>")]
                    lines = [l.replace(old, new) for l in lines]
                missing = [l for l in lines if l not in target]
                if missing:
                    failed.append(f"{where}: not in {path}: {missing}")
                else:
                    ran.append(f"same-as {path}")
                continue
            words = arg.split()
            after = words[2:] if len(words) > 1 and words[1] == "after" else []
            if len(words) > 1 and not after:
                failed.append(f"{where}: expected 'run NAME' or 'run NAME after NAME ...', got 'run {arg}'")
                continue
            runs.append((name, where, lang, code, after))

    def matches(name, patterns):
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    for i, (name, where, lang, code, after) in enumerate(runs):
        earlier = {r[0] for r in runs[:i]}
        for a in after:
            if a not in earlier:
                failed.append(f"{where}: '{name}' runs after '{a}', which is no run block before it")
        runs[i] = (name, where, lang, code, [a for a in after if a in earlier])  # waiting for a later one would hang
    chosen = [r for r in runs if not (args.only and not matches(r[0], args.only)) and not matches(r[0], args.skip)]
    done = {r[0]: threading.Event() for r in runs}
    lock = threading.Lock()

    def run(block):
        name, where, lang, code, after = block
        try:
            if lang == "python":
                command = [sys.executable, "-c", code]
            elif lang in ("sh", "bash", "shell"):
                command = ["bash", "-euo", "pipefail", "-c", code]
            else:
                with lock:
                    failed.append(f"{where}: run marker on a ```{lang} block (sh or python expected)")
                return
            for a in after:
                if a in {r[0] for r in chosen}:
                    done[a].wait()
            start = time.monotonic()
            result = subprocess.run(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            with lock:
                print(f"--- {name} ({where}, {time.monotonic() - start:.1f} s, exit {result.returncode})", flush=True)
                sys.stdout.write(result.stdout.decode("utf-8", "replace"))
                sys.stdout.flush()
                if result.returncode == 77:
                    skipped.append(name)
                elif result.returncode != 0:
                    failed.append(f"{where}: snippet '{name}' exited with {result.returncode}")
                else:
                    ran.append(name)
        finally:
            done[name].set()

    jobs = max(1, min(args.jobs, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        # Blocks are started in page order, so a block's `after` blocks were started before it:
        # waiting for them cannot deadlock the pool.
        list(pool.map(run, chosen))
    print(f"snippets: ran {len(ran)} ({', '.join(ran)}); skipped {len(skipped)} {skipped}")
    for f in failed:
        print("FAILED: " + f, file=sys.stderr)
    if failed:
        return 1
    return 77 if skipped and not ran else 0


if __name__ == "__main__":
    sys.exit(main())
