#!/usr/bin/env python3
"""The documentation's pictures (docs/images/), made from the current code, each with the figures it
shows written beside it (NAME.json), so that a test notices when a picture no longer shows what the
code computes.

    make_pictures.py --explain-image EXE [--workflow-out DIR] [--cli EXE]      make them
    make_pictures.py --check --explain-image EXE [--scratch DIR]              the ctest docs_pictures

Pictures:
- chelsea_panes.png: `examples/explain_image` on tests/data/images/chelsea_224.png (its panes.png:
  the image, the positive pane, the negative pane, the heatmap). chelsea_panes.json holds what the
  program prints (segments; each class's probability, R², local prediction; the top label's five
  strongest segments and weights; timings left out). --check runs the built program again and
  compares: any change of the explanation fails it.
- report.png: the main job's report (scripts/main.sh writes workflow-out/report/index.html; give
  that folder with --workflow-out), shot in headless Chromium. report.json holds the report's
  summary tables (per section: per table, each figure's name and value). The values need the whole
  main job (training on Fashion-MNIST: minutes, and the accuracy varies by machine in the last
  digit), so --check compares the names: every figure the picture shows must still be written by
  the report's code (examples/workflow/src/report.cpp). A figure the workflow no longer computes
  fails it.
- dashboard.png, dashboard_transaction.png: `pixlime serve`'s dashboard, shot by its browser test
  (serve/tests/test_dashboard.py with PIXLIME_SCREENSHOTS; give the built command with --cli).
  dashboard.json holds the dashboard's headings and columns (serve/web/index.html); --check
  checks that the page still has them.
- targets.png: `pixlime explain --task detection` (tests/models/make_target_models.py's torchvision-
  layout detector, every detection) and `--task segmentation` (its segmenter, the class "red") on
  its scene at 128x128 in an 8x8 grid: per target its input with the target drawn, positive pane
  and heatmap (give the built command with --targets-cli; needs python3-torch and PIL).
  targets.json holds each record's task, class, value and four strongest segments.
- regression.png: `pixlime explain --task regression` (tests/models/make_regression_model.py's model,
  value = 250 + 2000 x the left half's mean red - 1500 x the right half's mean blue) on
  chelsea_224.png at 64x64 in an 8x8 grid: the input, the positive pane (what raised the value), the
  negative pane (what lowered it) and the heatmap (also --targets-cli). regression.json holds the
  value and the strongest raising and lowering segments.
Without --workflow-out, --cli or --targets-cli those pictures are left as they are. Exit status of --check: 0 when
every picture's figures hold, 1 otherwise, 77 when the program to run is missing.
"""
import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IMAGES = os.path.join(REPO, "docs", "images")
CHELSEA = os.path.join(REPO, "tests", "data", "images", "chelsea_224.png")
REPORT_CODE = os.path.join(REPO, "examples", "workflow", "src", "report.cpp")
DASHBOARD_PAGE = os.path.join(REPO, "serve", "web", "index.html")


def write_json(name, data):
    with open(os.path.join(IMAGES, name), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")


def read_json(name):
    with open(os.path.join(IMAGES, name), encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------------ chelsea_panes.png

def explain_image_figures(exe, out_dir):
    """Runs examples/explain_image and parses what it prints (the timings left out)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    run = subprocess.run([exe, CHELSEA, out_dir], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{exe} exited with {run.returncode}: {run.stderr}")
    lines = run.stdout.splitlines()
    m = re.match(r"^.*: (\d+)x(\d+), (\d+) segments, [0-9.]+ ms$", lines[0])
    figures = {"program": "examples/explain_image", "image": "tests/data/images/chelsea_224.png",
               "width": int(m.group(1)), "height": int(m.group(2)), "segments": int(m.group(3)), "classes": {}}
    for line in lines[1:]:
        c = re.match(r"^\s+class (\S+)\s+p = ([-0-9.]+)\s+surrogate R² = ([-0-9.]+)\s+local prediction = ([-0-9.]+)$", line)
        t = re.match(r"^\s+top segments for '(\S+)':(.*)$", line)
        if c:
            figures["classes"][c.group(1)] = {"p": c.group(2), "r2": c.group(3), "local_prediction": c.group(4)}
        elif t:
            figures["top_label"] = t.group(1)
            figures["top_segments"] = [[int(s), w] for s, w in re.findall(r"(\d+) \(([-+0-9.]+)\)", t.group(2))]
    if not figures["classes"] or len(figures.get("top_segments", [])) != 5:
        raise RuntimeError("unexpected output of explain_image:\n" + run.stdout)
    return figures, os.path.join(out_dir, "panes.png")


# ------------------------------------------------------------------ report.png

def report_figures(index_html):
    """Per section (its h2 id): per two-column table (its heading): figure name -> value."""
    text = open(index_html, encoding="utf-8").read()
    out = {}
    for sec in re.finditer(r'<h2 id="([^"]+)">(.*?)</h2>(.*?)(?=<h2 |\Z)', text, re.S):
        tables = {}
        for t in re.finditer(r'<table><tr><th colspan="2">(.*?)</th></tr>(.*?)</table>', sec.group(3), re.S):
            rows = re.findall(r"<tr><td>(.*?)</td><td[^>]*>(.*?)</td></tr>", t.group(2), re.S)
            tables[t.group(1)] = {name: html.unescape(re.sub(r"<[^>]+>", "", value)) for name, value in rows}
        out[sec.group(1)] = {"title": html.unescape(sec.group(2)), "tables": tables,
                             "cards": len(re.findall(r'<div class="card"', sec.group(3)))}
    if not out:
        raise RuntimeError(f"{index_html}: no report sections found")
    return out


def check_report(figures):
    """Every table heading and figure name of the picture is still written by the report's code."""
    code = open(REPORT_CODE, encoding="utf-8").read()
    problems = []
    for sec, s in figures["sections"].items():
        for table, rows in s["tables"].items():
            if f">{table}</th>" not in code:
                problems.append(f"report.png: section {sec}: the table '{table}' is no longer written by {os.path.relpath(REPORT_CODE, REPO)}")
            for name in rows:
                if f"<td>{name}</td>" not in code:
                    problems.append(f"report.png: section {sec}: the figure '{html.unescape(name)}' is no longer written by "
                                    f"{os.path.relpath(REPORT_CODE, REPO)}")
    return problems


def screenshot(url, png, width, height):
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if not browser:
        raise RuntimeError("Chromium is not installed (Debian: apt-get install chromium)")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=5000",
                    f"--screenshot={png}",
                    f"--window-size={width},{height}", url], check=True, capture_output=True, timeout=120)


# ------------------------------------------------------------------ dashboard*.png

def dashboard_figures():
    page = open(DASHBOARD_PAGE, encoding="utf-8").read()
    return {"page": "serve/web/index.html",
            "headings": re.findall(r"<h2[^>]*>([^<]+)</h2>", page),
            "columns": re.findall(r"<th[^>]*>([^<]+)</th>", page)}


# ------------------------------------------------------------------ targets.png

def fresh_models(scratch, name, script, size):
    """An emptied folder scratch/name holding tests/models/SCRIPT's models at size x size."""
    work = os.path.join(scratch, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "models", script), work, "--size", str(size)],
                   check=True, capture_output=True)
    return work


def target_pictures(cli, scratch):
    """Runs the command on the target models' scene; returns (figures, composed picture path)."""
    from PIL import Image  # Debian python3-pil
    work = fresh_models(scratch, "targets", "make_target_models.py", 128)
    with open(os.path.join(work, "labels.txt"), "w") as f:
        f.write("background\nred\nblue\n")
    common = ["--input", "128x128", "--labels", os.path.join(work, "labels.txt"), "--segmenter", "grid", "--segments", "64",
              "--samples", "500", "--out", os.path.join(work, "out"), os.path.join(work, "scene.png")]
    subprocess.run([cli, "explain", "--task", "detection", "--model", os.path.join(work, "detector_torchvision.pt")] + common,
                   check=True, capture_output=True)
    subprocess.run([cli, "explain", "--task", "segmentation", "--target-class", "red", "--model", os.path.join(work, "segmenter.pt")]
                   + common, check=True, capture_output=True)
    out = os.path.join(work, "out")
    records = []
    for d in sorted(os.listdir(out)):
        path = os.path.join(out, d, "explanation.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                records.append((d, json.load(f)))
    records.sort(key=lambda r: (r[1]["task"], r[1]["id"]))
    figures = {"program": "pixlime explain --task detection | segmentation", "models": "tests/models/make_target_models.py --size 128",
               "targets": [{"id": os.path.basename(r["id"]), "task": r["task"], "class": r["predicted"], "value": f"{r['value']:.3f}",
                            "top_segments": [k for k, _ in r["labels"][0]["top_positive"][:4]]} for _, r in records]}
    rows = []
    for d, _ in records:
        panes = [Image.open(os.path.join(out, d, n)).convert("RGB") for n in ("input.png", "positive.png", "heatmap.png")]
        size = panes[1].size
        panes[0] = panes[0].resize(size, Image.NEAREST)
        rows.append(panes)
    gap = 8
    w, h = rows[0][1].size
    picture = Image.new("RGB", (3 * w + 2 * gap, len(rows) * h + (len(rows) - 1) * gap), "white")
    for i, panes in enumerate(rows):
        for j, pane in enumerate(panes):
            picture.paste(pane, (j * (w + gap), i * (h + gap)))
    path = os.path.join(work, "targets.png")
    picture.save(path)
    return figures, path


def regression_picture(cli, scratch):
    """Runs the command's regression task on chelsea; returns (figures, composed picture path)."""
    from PIL import Image  # Debian python3-pil
    work = fresh_models(scratch, "regression", "make_regression_model.py", 64)
    out = os.path.join(work, "out")
    subprocess.run([cli, "explain", "--task", "regression", "--model", os.path.join(work, "regression.pt"), "--input", "64x64",
                    "--segmenter", "grid", "--segments", "64", "--samples", "500", "--out", out, CHELSEA], check=True, capture_output=True)
    (d,) = [x for x in os.listdir(out) if os.path.isdir(os.path.join(out, x))]
    with open(os.path.join(out, d, "explanation.json"), encoding="utf-8") as f:
        r = json.load(f)
    label = r["labels"][0]
    figures = {"program": "pixlime explain --task regression", "model": "tests/models/make_regression_model.py --size 64",
               "image": "tests/data/images/chelsea_224.png", "value": f"{r['value']:.2f}",
               "raised_by": [k for k, _ in label["top_positive"][:3]], "lowered_by": [k for k, _ in label["top_negative"][:3]]}
    panes = [Image.open(os.path.join(out, d, n)).convert("RGB") for n in ("input.png", "positive.png", "negative.png", "heatmap.png")]
    w, h = panes[1].size
    panes[0] = panes[0].resize((w, h), Image.NEAREST)
    gap = 8
    picture = Image.new("RGB", (4 * w + 3 * gap, h), "white")
    for j, pane in enumerate(panes):
        picture.paste(pane, (j * (w + gap), 0))
    path = os.path.join(work, "regression.png")
    picture.save(path)
    return figures, path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--explain-image", required=True, help="the built examples/explain_image")
    ap.add_argument("--workflow-out", help="a finished main job's folder (workflow-out/, with report/index.html)")
    ap.add_argument("--cli", help="the built pixlime command (with serve), for the dashboard's pictures")
    ap.add_argument("--targets-cli", help="the built pixlime command (with the torch backend), for targets.png")
    ap.add_argument("--scratch", default=os.path.join(REPO, "build", "pictures"))
    args = ap.parse_args()
    os.makedirs(args.scratch, exist_ok=True)
    built = os.path.isfile(args.explain_image)
    if not built and args.check:
        print(f"SKIPPED: {args.explain_image} is not built")
        return 77
    if args.check:
        figures, panes = explain_image_figures(args.explain_image, os.path.join(args.scratch, "explain_image"))
        problems = []
        kept = read_json("chelsea_panes.json")
        if kept != figures:
            problems.append("chelsea_panes.png: explain_image's explanation changed:\n  picture: "
                            + json.dumps(kept, sort_keys=True) + "\n  now:     " + json.dumps(figures, sort_keys=True))
        problems += check_report(read_json("report.json"))
        kept = read_json("dashboard.json")
        now = dashboard_figures()
        for key in ("headings", "columns"):
            gone = [x for x in kept[key] if x not in now[key]]
            if gone:
                problems.append(f"dashboard.png: serve/web/index.html no longer has the {key} {gone}")
        if args.targets_cli:
            now, _ = target_pictures(args.targets_cli, args.scratch)
            if now != read_json("targets.json"):
                problems.append("targets.png: the targets' explanations changed:\n  picture: " + json.dumps(read_json("targets.json"))
                                + "\n  now:     " + json.dumps(now))
            now, _ = regression_picture(args.targets_cli, args.scratch)
            if now != read_json("regression.json"):
                problems.append("regression.png: the explanation changed:\n  picture: " + json.dumps(read_json("regression.json"))
                                + "\n  now:     " + json.dumps(now))
        for p in problems:
            print("FAILED: " + p + "\n  (regenerate the pictures: tests/docs/make_pictures.py, see its --help)", file=sys.stderr)
        print(f"pictures: chelsea_panes ({figures['segments']} segments, top label {figures['top_label']}), "
              f"report ({sum(len(r) for s in read_json('report.json')['sections'].values() for r in s['tables'].values())} figures), "
              f"dashboard ({len(kept['columns'])} columns); {len(problems)} problems")
        return 1 if problems else 0

    if built:
        figures, panes = explain_image_figures(args.explain_image, os.path.join(args.scratch, "explain_image"))
        shutil.copyfile(panes, os.path.join(IMAGES, "chelsea_panes.png"))
        write_json("chelsea_panes.json", figures)
        print("wrote docs/images/chelsea_panes.png and .json")
    else:
        print(f"chelsea_panes.png left as it is: {args.explain_image} is not built")

    if args.workflow_out:
        index = os.path.join(os.path.abspath(args.workflow_out), "report", "index.html")
        shot = os.path.join(args.scratch, "report.png")
        screenshot("file://" + index, shot, 1280, 1600)
        shutil.copyfile(shot, os.path.join(IMAGES, "report.png"))
        write_json("report.json", {"source": "scripts/main.sh's workflow-out/report/index.html",
                                   "sections": report_figures(index)})
        problems = check_report(read_json("report.json"))
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        print("wrote docs/images/report.png and report.json")

    if args.targets_cli:
        figures, picture = target_pictures(args.targets_cli, args.scratch)
        shutil.copyfile(picture, os.path.join(IMAGES, "targets.png"))
        write_json("targets.json", figures)
        print("wrote docs/images/targets.png and targets.json")
        figures, picture = regression_picture(args.targets_cli, args.scratch)
        shutil.copyfile(picture, os.path.join(IMAGES, "regression.png"))
        write_json("regression.json", figures)
        print("wrote docs/images/regression.png and regression.json")

    if args.cli:
        env = dict(os.environ, PIXLIME_CLI=os.path.abspath(args.cli), PIXLIME_SOURCE=REPO, PIXLIME_SCREENSHOTS=IMAGES)
        shots = [os.path.join(IMAGES, n) for n in ("dashboard.png", "dashboard_transaction.png")]
        before = [os.path.getmtime(p) if os.path.exists(p) else 0 for p in shots]
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k",
                              "explain_on_a_row_then_the_transaction_shows_its_panes",
                              os.path.join(REPO, "serve", "tests", "test_dashboard.py")], cwd=args.scratch, env=env)
        if run.returncode != 0:
            print("the dashboard's test failed: its pictures may be partly rewritten", file=sys.stderr)
            return 1
        if any(os.path.getmtime(p) == t for p, t in zip(shots, before) if os.path.exists(p)):
            print("the dashboard's test took no screenshots (skipped? it needs chromium-driver and python3-torch)", file=sys.stderr)
            return 1
        write_json("dashboard.json", dashboard_figures())
        print("wrote docs/images/dashboard.png, dashboard_transaction.png and dashboard.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
