"""mkdocs hooks (mkdocs.yml `hooks:`, MkDocs 1.4) for pixlime's documentation site.

1. The pages link to the repository's other files with relative links (`../README.md`,
   `../benchmarks/RESULTS.md#...`), which work where the markdown is read (a checkout, GitHub) but
   lie outside the site: those links are rewritten to the file on the repository's host
   (`repo_url`/blob/main/PATH), so that `mkdocs build --strict` accepts them and the site's links
   work. tests/docs/check_docs.py checks that each such file (and anchor) exists.
2. The C++ API reference: Doxygen (docs/Doxyfile) is run over the headers into a scratch folder and
   its HTML is added to the site as `api/` (docs/reference.md links to api/index.html). Its
   warnings do not stop the site (the ctest docs_doxygen fails on them); without doxygen the build
   logs a warning, which `--strict` turns into a failure.
"""
import logging
import os
import posixpath
import re
import shutil
import subprocess
import tempfile

from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.pixlime")

LINK = re.compile(r"(\]\()([^)\s]+)(\))")
_scratch = None


def _repo_root(config):
    return os.path.dirname(os.path.abspath(config["config_file_path"]))


def on_page_markdown(markdown, page, config, files):
    """Relative links that leave docs/ become links to the repository's host."""
    repo_url = (config.get("repo_url") or "").rstrip("/")
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(m):
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return m.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join("docs", page_dir, path))
        if resolved.startswith("docs/") or resolved == "docs":
            return m.group(0)
        if not repo_url:
            return m.group(0)  # mkdocs then warns about it
        kind = "tree" if path.endswith("/") or os.path.isdir(os.path.join(_repo_root(config), resolved)) else "blob"
        url = f"{repo_url}/{kind}/main/{resolved}" + (f"#{anchor}" if anchor else "")
        return m.group(1) + url + m.group(3)

    return LINK.sub(rewrite, markdown)


def on_files(files, config):
    """Runs Doxygen and adds its HTML to the site as api/."""
    global _scratch
    root = _repo_root(config)
    if shutil.which("doxygen") is None:
        log.warning("doxygen is not installed (Debian: apt-get install doxygen): the C++ API reference (api/) is missing")
        return files
    _scratch = tempfile.mkdtemp(prefix="pixlime-doxygen-")
    overrides = (f"@INCLUDE = {os.path.join(root, 'docs', 'Doxyfile')}\n"
                 f"OUTPUT_DIRECTORY = {_scratch}\nHTML_OUTPUT = api\nWARN_AS_ERROR = NO\n"
                 f"WARN_LOGFILE = {os.path.join(_scratch, 'warnings.txt')}\n")
    run = subprocess.run(["doxygen", "-"], input=overrides.encode(), cwd=root, capture_output=True)
    html = os.path.join(_scratch, "api")
    if run.returncode != 0 or not os.path.isfile(os.path.join(html, "index.html")):
        log.warning("doxygen failed (exit %d): %s", run.returncode, run.stderr.decode(errors="replace")[-2000:])
        return files
    with open(os.path.join(_scratch, "warnings.txt"), errors="replace") as f:
        warnings = sum(1 for line in f if ": warning: " in line)
    if warnings:
        log.info("doxygen: %d warnings in the headers (the ctest docs_doxygen lists them)", warnings)
    for folder, _, names in os.walk(html):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), _scratch).replace(os.sep, "/")
            files.append(File(rel, _scratch, config["site_dir"], config["use_directory_urls"]))
    return files


def on_post_build(config):
    global _scratch
    if _scratch:
        shutil.rmtree(_scratch, ignore_errors=True)
        _scratch = None
