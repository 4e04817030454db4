#!/usr/bin/env python3
"""Checks the README and the docs/ pages as a reader meets them:

- every docs/*.md page is in mkdocs.yml's `nav` (a page left out is on no menu of the site), and
  every page `nav` names exists;
- every relative link of README.md and docs/*.md (`[text](path)`, `![alt](path)`, outside code)
  names a file or folder that exists, and its `#anchor`, on a markdown page, is a heading of that
  page both as GitHub spells the anchor and as the site's table of contents (Python-Markdown's toc)
  does; `#anchor` alone is a heading of the same page. Links from docs/ to files outside it are
  allowed (the site's hook points them at the repository); docs/api/ is made by the site's build
  (Doxygen), so a link into it is not looked for on disk.

    check_docs.py [REPOSITORY]      (default: this file's repository)
Exit status: 0 when all is well, 1 otherwise (each problem printed as FILE:LINE: ...).
"""
import os
import re
import sys
import unicodedata

GENERATED = ("docs/api/",)  # made by `mkdocs build` (docs/mkdocs_hooks.py runs Doxygen)


def strip_code(text):
    """The page with fenced blocks, inline code and HTML comments blanked (line numbers kept)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append("")
            continue
        if m:
            fence = m.group(1)
            out.append("")
            continue
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return text


def heading_texts(text):
    """The text of each ATX heading, markup removed (as both slugifiers see it)."""
    out = []
    for line in strip_code(text).split("\n"):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            h = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))  # links: their text
            h = h.replace("`", "").replace("**", "").replace("*", "")
            out.append(h)
    return out


def github_slug(text):
    s = text.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)  # \w is Unicode-aware: letters, digits, underscore
    return s.replace(" ", "-")


def toc_slug(text):
    """Python-Markdown's markdown.extensions.toc.slugify (the site's anchors)."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^\w\s-]", "", s).strip().lower()
    return re.sub(r"[-\s]+", "-", s)


def anchors(text, slug):
    seen, out = {}, set()
    for h in heading_texts(text):
        a = slug(h)
        n = seen.get(a, 0)
        seen[a] = n + 1
        if n:  # a repeated heading: GitHub appends -1, -2, ...; toc appends _1, _2, ...
            a = f"{a}-{n}" if slug is github_slug else f"{a}_{n}"
        out.add(a)
    return out


def nav_pages(mkdocs_yml):
    """The .md files named under `nav:` (a plain scan: `- Title: page.md` or `- page.md`)."""
    pages, in_nav = [], False
    for line in open(mkdocs_yml, encoding="utf-8"):
        if re.match(r"^nav:\s*$", line):
            in_nav = True
            continue
        if in_nav and re.match(r"^\S", line):
            break
        if in_nav:
            m = re.search(r"(?:^\s*-\s*|:\s*)([\w./-]+\.md)\s*$", line)
            if m:
                pages.append(m.group(1))
    return pages


def main():
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    problems = []
    docs = os.path.join(repo, "docs")
    pages = sorted(f for f in os.listdir(docs) if f.endswith(".md"))

    yml = os.path.join(repo, "mkdocs.yml")
    if not os.path.isfile(yml):
        problems.append("mkdocs.yml: missing")
    else:
        nav = nav_pages(yml)
        for p in pages:
            if p not in nav:
                problems.append(f"docs/{p}: not in mkdocs.yml's nav")
        for p in nav:
            if not os.path.isfile(os.path.join(docs, p)):
                problems.append(f"mkdocs.yml: nav names docs/{p}, which does not exist")

    checked = 0
    for rel in ["README.md"] + [f"docs/{p}" for p in pages]:
        path = os.path.join(repo, rel)
        text = open(path, encoding="utf-8").read()
        body = strip_code(text)
        body = re.sub(r"`[^`\n]*`", lambda m: "`" + "x" * (len(m.group(0)) - 2) + "`" if "](" not in m.group(0) else m.group(0), body)
        for lineno, line in enumerate(body.split("\n"), 1):
            for m in re.finditer(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
                target = m.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                    continue
                checked += 1
                where = f"{rel}:{lineno}"
                file_part, _, anchor = target.partition("#")
                if file_part:
                    resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
                    in_repo = os.path.relpath(resolved, repo).replace(os.sep, "/")
                    if in_repo.startswith(".."):
                        problems.append(f"{where}: {target} leaves the repository")
                        continue
                    if any((in_repo + "/").startswith(g) for g in GENERATED):
                        continue
                    if not os.path.exists(resolved):
                        problems.append(f"{where}: {target}: no such file ({in_repo})")
                        continue
                else:
                    resolved = path
                if anchor and resolved.endswith(".md") and os.path.isfile(resolved):
                    target_text = open(resolved, encoding="utf-8").read()
                    for slug, who in ((github_slug, "GitHub"), (toc_slug, "the site")):
                        if anchor not in anchors(target_text, slug):
                            problems.append(f"{where}: {target}: no heading with the anchor '{anchor}' as {who} spells it "
                                            f"(headings: {sorted(anchors(target_text, slug))})")
    for p in problems:
        print("FAILED: " + p, file=sys.stderr)
    print(f"check_docs: {len(pages)} docs pages, {checked} relative links checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
