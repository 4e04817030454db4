"""The `pixlime` command end to end, on real models built here with Debian's python3-torch (a
small CNN, exported as TorchScript and as ONNX) and the bundled photos.

Run by ctest (cli/CMakeLists.txt) with PIXLIME_CLI = the built command and PIXLIME_SOURCE = the
repository; a backend this build lacks, or torch missing, skips its tests with the reason."""

import json
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np
import pytest

CLI = os.environ.get("PIXLIME_CLI", "")
SOURCE = os.environ.get("PIXLIME_SOURCE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IMAGES = os.path.join(SOURCE, "tests", "data", "images")
SIZE = 64  # the test CNN's input side: small, so that a run takes well under a second per image


def run(*args, check=None, **kw):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=600, **kw)
    if check is not None and p.returncode != check:
        raise AssertionError(f"exit {p.returncode}, expected {check}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def backends():
    out = run("--version", check=0).stdout
    m = re.search(r"\(backends: ([^)]*)\)", out)
    return set(b.strip() for b in m.group(1).split(",") if b.strip()) if m else set()


def built_models(script, *args):
    """Runs tests/models/SCRIPT into a temporary folder (skips without the built command, or with
    the script's exit 77: no python3-torch), yields the folder and removes it afterwards."""
    if not CLI or not os.access(CLI, os.X_OK):
        pytest.skip("PIXLIME_CLI does not name the built pixlime command")
    out = tempfile.mkdtemp(prefix="pixlime-cli-models-")
    p = subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "models", script), out, "--size", str(SIZE), *args],
                       capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        pytest.skip(p.stdout + p.stderr)
    assert p.returncode == 0, p.stdout + p.stderr
    yield out
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def models():
    """tests/models/make_models.py's CNN (softmax last) as cnn.pt and cnn.onnx, and labels.txt."""
    yield from built_models("make_models.py", "--classes", "4")


def need(backend):
    if backend not in backends():
        pytest.skip(f"this pixlime was built without the {backend} backend")


def model_file():
    """The model the tests explain with: TorchScript when this pixlime has libtorch (sanitizer
    builds do not), else its ONNX export."""
    return "cnn.pt" if "torch" in backends() else "cnn.onnx"


def explain(models, out, *extra, model=None, check=0, images=(IMAGES,), **kw):
    return run("explain", "--model", os.path.join(models, model or model_file()), "--input", f"{SIZE}x{SIZE}", "--labels",
               os.path.join(models, "labels.txt"), "--samples", 200, "--segments", 30, "--out", out, *extra, *images,
               check=check, **kw)


def records(out):
    """{input: record} of every explanation.json under out (each record's folder in its "_dir"),
    after checking every record under out against the record schema (app/schema)."""
    check_schema(out)
    r = {}
    for d in sorted(os.listdir(out)):
        p = os.path.join(out, d, "explanation.json")
        if os.path.exists(p):
            with open(p) as f:
                j = json.load(f)
            j["_dir"] = os.path.join(out, d)
            r[j["input"]] = j
    return r


def check_schema(out):
    """Every record under out follows app/schema/record.schema.json (where jsonschema is installed)."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return
    sys.path.insert(0, os.path.join(SOURCE, "app", "tests"))
    try:
        import validate_records
    finally:
        sys.path.pop(0)
    problems, _ = validate_records.check([str(out)])
    assert problems == [], problems


def photos():
    return sorted(os.path.join(IMAGES, f) for f in os.listdir(IMAGES) if f.endswith(".png"))


def test_both_backends_give_the_same_explanation(models, tmp_path):
    need("torch")
    need("onnx")
    explain(models, tmp_path / "pt", model="cnn.pt")
    explain(models, tmp_path / "onnx", model="cnn.onnx")
    a, b = records(tmp_path / "pt"), records(tmp_path / "onnx")
    assert sorted(a) == photos() and sorted(b) == photos()
    for name in a:
        la, lb = a[name]["labels"][0], b[name]["labels"][0]
        assert la["label"] == lb["label"] and a[name]["predicted"] == b[name]["predicted"]
        assert la["name"] in ("class_0", "class_1", "class_2", "class_3")
        wa, wb = np.array(la["weights"]), np.array(lb["weights"])
        assert wa.shape == wb.shape and wa.size > 5
        # float32 inference on two runtimes; the records keep 6 significant digits
        assert np.abs(wa - wb).max() <= 1e-3 * np.abs(wa).max(), name
        assert abs(la["model_prediction"] - lb["model_prediction"]) <= 1e-5
        assert a[name]["model_calls"] == b[name]["model_calls"] == 200


def test_the_record_holds_the_workflow_fields_and_the_files(models, tmp_path):
    explain(models, tmp_path, images=[os.path.join(IMAGES, "chelsea_224.png")])
    (rec,) = records(tmp_path).values()
    for key in ("id", "input", "predicted", "model", "settings", "segments", "panes_label", "panes", "model_calls",
                "target_reached", "labels", "timings_ms", "time"):
        assert key in rec, key
    top = rec["labels"][0]
    for key in ("model_prediction", "local_prediction", "intercept", "r2", "weights", "standard_errors", "intervals",
                "stability_top5"):
        assert key in top, key
    assert len(top["weights"]) == rec["segments"]["count"] == len(top["standard_errors"])
    assert rec["settings"]["num_samples"] == 200 and rec["settings"]["input_size"] == f"{SIZE}x{SIZE}"
    assert rec["schema_version"] == 1 and rec["kind"] == "explanation" and rec["id"] == rec["input"]
    d = Path(rec["_dir"])
    for f in ("input.png", "positive.png", "negative.png", "heatmap.png", "overlay.png"):
        assert (d / f).stat().st_size > 100, f


def test_shards_together_equal_one_run_and_threads_and_batch_change_nothing(models, tmp_path):
    explain(models, tmp_path / "all")
    for i in range(3):
        explain(models, tmp_path / "shards", "--shard", f"{i}/3")
    explain(models, tmp_path / "other", "--threads", 2, "--batch-size", 7)
    one, shards, other = records(tmp_path / "all"), records(tmp_path / "shards"), records(tmp_path / "other")
    assert sorted(one) == sorted(shards) == sorted(other) == photos()
    for name in one:
        assert one[name]["labels"][0]["weights"] == shards[name]["labels"][0]["weights"], name
        wa, wb = np.array(one[name]["labels"][0]["weights"]), np.array(other[name]["labels"][0]["weights"])
        assert np.abs(wa - wb).max() <= 1e-4 * np.abs(wa).max(), name
    # each shard took its own images: 5 photos over 3 shards
    counts = [len(take) for take in (photos()[0::3], photos()[1::3], photos()[2::3])]
    p = explain(models, tmp_path / "one-shard", "--shard", "1/3")
    assert len(records(tmp_path / "one-shard")) == counts[1]
    assert f"{counts[1]} explained" in p.stderr


def test_a_failing_image_is_reported_and_the_rest_go_on(models, tmp_path):
    bad = tmp_path / "in" / "not-an-image.png"
    bad.parent.mkdir()
    bad.write_text("this is text")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{os.path.join(IMAGES, 'coffee_224.png')}\n{tmp_path / 'missing.png'}\n{bad}\n")
    p = explain(models, tmp_path / "out", "--list", listing, images=[], check=1)
    assert "1 explained, 0 skipped (done before), 2 failed" in p.stderr, p.stderr
    errors = {}
    for d in os.listdir(tmp_path / "out"):
        e = tmp_path / "out" / d / "error.json"
        if e.exists():
            j = json.loads(e.read_text())
            errors[os.path.basename(j["input"])] = j["error"]
    assert set(errors) == {"missing.png", "not-an-image.png"}
    assert "missing.png" in errors["missing.png"] and "not-an-image.png" in errors["not-an-image.png"]
    assert list(records(tmp_path / "out")) == [os.path.join(IMAGES, "coffee_224.png")]  # error records checked too
    assert bad.read_text() == "this is text"  # inputs are never touched
    # an image of another size than the model's, with --resize none
    p = explain(models, tmp_path / "sized", "--resize", "none", images=[os.path.join(IMAGES, "chelsea_224.png")], check=1)
    assert "the image is 224x224, the model takes 64x64" in p.stderr, p.stderr


def test_a_rerun_skips_what_is_done_and_redoes_what_changed(models, tmp_path):
    explain(models, tmp_path)
    stamp = {n: os.stat(Path(r["_dir"]) / "explanation.json").st_mtime_ns for n, r in records(tmp_path).items()}
    p = explain(models, tmp_path)
    assert f"0 explained, {len(photos())} skipped" in p.stderr
    assert stamp == {n: os.stat(Path(r["_dir"]) / "explanation.json").st_mtime_ns for n, r in records(tmp_path).items()}
    p = explain(models, tmp_path, "--seed", 3)  # another seed: another explanation
    assert f"{len(photos())} explained, 0 skipped" in p.stderr
    assert all(r["settings"]["seed"] == 3 for r in records(tmp_path).values())


def test_ctrl_c_stops_after_the_current_batch_and_a_rerun_continues(models, tmp_path):
    proc = subprocess.Popen([CLI, "explain", "--model", os.path.join(models, model_file()), "--input", f"{SIZE}x{SIZE}",
                             "--samples", "20000", "--batch-size", "10", "--out", str(tmp_path), *photos()],
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # the header line: the model is loaded, the first image starts
        assert "5 images" in first, first
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        rc = proc.wait(timeout=120)
    finally:
        proc.kill()
    assert rc == 130, rest
    assert "interrupted" in rest and "a rerun continues" in rest
    done = records(tmp_path)
    assert len(done) < len(photos())
    for r in done.values():  # whatever was written is complete
        assert len(r["labels"][0]["weights"]) == r["segments"]["count"]
    assert not any(f.endswith(".tmp") for _, _, fs in os.walk(tmp_path) for f in fs)


def test_the_report_opens_in_chromium_with_every_image(models, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    explain(models, tmp_path / "out", images=[IMAGES, bad], check=1)
    p = run("report", tmp_path / "out", check=0)
    assert "(6 images, 1 failed)" in p.stdout, p.stdout
    html = (tmp_path / "out" / "index.html").read_text()
    srcs = re.findall(r'<img src="([^"]*)"', html)
    assert len(srcs) == 4 * len(photos())
    for s in srcs:
        assert (tmp_path / "out" / s).stat().st_size > 100, s
    assert "card failed" in html and "broken.png" in html
    profile = tempfile.mkdtemp()
    try:
        dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                              "--dump-dom", f"file://{tmp_path / 'out' / 'index.html'}"],
                             capture_output=True, text=True, timeout=120).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    check = re.search(r'<span id="image-check"[^>]*>', dom)
    assert check, "the page's image check did not run"
    assert f'data-total="{len(srcs)}"' in check.group(0) and f'data-loaded="{len(srcs)}"' in check.group(0)
    assert 'data-broken="0"' in check.group(0)


def test_segments_preview_shows_the_segments_explain_uses(models, tmp_path):
    img = os.path.join(IMAGES, "chelsea_224.png")
    for segmenter in ("slic", "quickshift"):
        out = tmp_path / f"{segmenter}.png"
        p = run("segments", img, "--segmenter", segmenter, "--segments", 30, "--input", f"{SIZE}x{SIZE}", "--out", out, check=0)
        n = int(p.stdout.split()[0])
        assert out.stat().st_size > 1000
        explain(models, tmp_path / segmenter, "--segmenter", segmenter, images=[img])
        (rec,) = records(tmp_path / segmenter).values()
        assert rec["segments"] == {"method": segmenter, "count": n}
    p = run("segments", img, "--out", img, check=2)
    assert "is the input image" in p.stderr


def test_bad_arguments_are_named(models, tmp_path):
    img = os.path.join(IMAGES, "chelsea_224.png")
    p = run("explain", "--model", tmp_path / "model.bin", "--out", tmp_path, img, check=2)
    assert "--model" in p.stderr and ".onnx" in p.stderr
    p = run("explain", "--model", tmp_path / "absent.pt", "--out", tmp_path, img, check=2)
    assert "no such file" in p.stderr
    p = run("explain", "--model", os.path.join(models, model_file()), "--mean", "0.5,0.5", "--out", tmp_path, img, check=2)
    assert "model_input.mean size = 2" in p.stderr
    p = run("explain", "--model", os.path.join(models, model_file()), "--shard", "3/3", "--out", tmp_path, img, check=2)
    assert "--shard '3/3'" in p.stderr
    p = run("explain", "--model", os.path.join(models, model_file()), "--input", "64by64", "--out", tmp_path, img, check=2)
    assert "--input '64by64'" in p.stderr
    p = run("explain", "--model", os.path.join(models, model_file()), "--segmenter", "slick", "--out", tmp_path, img, check=2)
    assert "--segmenter = slick" in p.stderr and "'quickshift'" in p.stderr
    p = run("explain", "--model", os.path.join(models, model_file()), "--fill", "purple", "--out", tmp_path, img, check=2)
    assert "--fill" in p.stderr and "fill = purple: expected black, mean or blur" in p.stderr
    p = run("--help", check=0)
    assert "Example:" in p.stdout and "pixlime explain --model" in p.stdout


def test_the_old_fill_flag_still_works_and_says_it_is_deprecated(models, tmp_path):
    img = os.path.join(IMAGES, "chelsea_224.png")
    p = explain(models, tmp_path / "old", "--hide", "mean", images=[img])
    assert "--hide is deprecated, use --fill" in p.stderr, p.stderr
    explain(models, tmp_path / "new", "--fill", "mean", images=[img])
    (old,), (new,) = records(tmp_path / "old").values(), records(tmp_path / "new").values()
    assert old["settings"]["fill"] == new["settings"]["fill"] == "mean"
    assert old["labels"][0]["weights"] == new["labels"][0]["weights"]


def test_softmax_flag_equals_a_model_ending_in_softmax(models, tmp_path):
    # The same CNN without its softmax (same seed, same weights) explained with --softmax gives the
    # explanation of the model that ends in softmax; without the flag, the logits' explanation.
    logits = tmp_path / "logits"
    p = subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "models", "make_models.py"), str(logits), "--size",
                        str(SIZE), "--classes", "4", "--no-softmax"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    ext = os.path.splitext(model_file())[1]
    img = [os.path.join(IMAGES, "coffee_224.png")]
    explain(models, tmp_path / "probs", images=img)
    explain(models, tmp_path / "flag", "--softmax", model=str(logits / ("cnn" + ext)), images=img)
    explain(models, tmp_path / "raw", model=str(logits / ("cnn" + ext)), images=img)
    (a,), (b,), (c,) = (list(records(tmp_path / d).values()) for d in ("probs", "flag", "raw"))
    wa, wb, wc = (np.array(r["labels"][0]["weights"]) for r in (a, b, c))
    assert a["labels"][0]["label"] == b["labels"][0]["label"]
    assert np.abs(wa - wb).max() <= 1e-4 * np.abs(wa).max()
    assert abs(a["labels"][0]["model_prediction"] - b["labels"][0]["model_prediction"]) <= 1e-6
    assert np.abs(wa - wc).max() > 0.1 * np.abs(wa).max()  # the logits' weights are others


def test_a_model_whose_backend_is_not_built_is_refused_naming_the_package(models, tmp_path):
    missing = {"torch": ("cnn.pt", "libtorch-dev"), "onnx": ("cnn.onnx", "libopencv-dnn-dev")}
    absent = [b for b in missing if b not in backends()]
    if not absent:
        pytest.skip("this pixlime has both backends (the asan build has no libtorch)")
    for b in absent:
        f, package = missing[b]
        p = explain(models, tmp_path, model=f, images=[os.path.join(IMAGES, "coffee_224.png")], check=2)
        assert "built without" in p.stderr and package in p.stderr, p.stderr


def test_results_inside_the_input_folder_are_not_taken_as_inputs(models, tmp_path):
    photos_dir = tmp_path / "photos"
    photos_dir.mkdir()
    shutil.copy(os.path.join(IMAGES, "coffee_224.png"), photos_dir)
    explain(models, photos_dir / "out", images=[photos_dir])
    p = explain(models, photos_dir / "out", images=[photos_dir])  # the PNGs it wrote are under photos/ now
    assert "0 explained, 1 skipped" in p.stderr, p.stderr
    assert sorted(os.listdir(photos_dir)) == ["coffee_224.png", "out"]


def test_report_never_replaces_a_page_it_did_not_write(models, tmp_path):
    explain(models, tmp_path, images=[os.path.join(IMAGES, "coffee_224.png")])
    run("report", tmp_path, check=0)
    run("report", tmp_path, check=0)  # its own page: replaced
    (tmp_path / "index.html").write_text("<html>mine</html>")
    p = run("report", tmp_path, check=1)
    assert "was not written by pixlime report" in p.stderr
    assert (tmp_path / "index.html").read_text() == "<html>mine</html>"


@pytest.fixture(scope="session")
def regression_models():
    """tests/models/make_regression_model.py's model (value = 250 + 2000 x the left half's mean red
    - 1500 x the right half's mean blue: linear in the pixels, so in the segments with the black
    fill) as regression.pt and regression.onnx."""
    yield from built_models("make_regression_model.py")


def regression_file(models):
    return os.path.join(models, "regression.pt" if "torch" in backends() else "regression.onnx")


def test_task_regression_explains_a_value_and_the_record_says_so(regression_models, tmp_path):
    img = os.path.join(IMAGES, "chelsea_224.png")
    p = run("explain", "--task", "regression", "--model", regression_file(regression_models), "--input", f"{SIZE}x{SIZE}",
            "--samples", 500, "--segments", 30, "--out", tmp_path / "out", img, check=0)  # no --labels
    (rec,) = records(tmp_path / "out").values()  # schema-checked
    assert rec["task"] == "regression" and rec["settings"]["task"] == "regression"
    assert rec["predicted"] == "value" and rec["predicted_index"] == 0 and rec["panes_label"] == "value"
    (label,) = rec["labels"]
    assert label["label"] == 0 and label["name"] == "value"
    value = rec["value"]
    assert value == label["model_prediction"]
    assert abs(value) > 100  # 250 + 2000 x red - 1500 x blue: a value, never squeezed into [0, 1]
    assert f": value {value:.6g} (" in p.stderr, p.stderr
    # The model is linear in the segments: the surrogate fits it (up to the ridge's shrinkage), its
    # intercept is the black image's 250 and the segments both raise (red, left) and lower (blue,
    # right) the value, in its units.
    assert label["r2"] > 0.99
    assert abs(label["local_prediction"] - value) < 0.02 * abs(value)
    assert abs(label["intercept"] - 250) < 0.05 * 250
    w = np.array(label["weights"])
    assert w.max() > 10 and w.min() < -10
    assert abs(label["intercept"] + w.sum() - label["local_prediction"]) < 1e-3 * abs(value)
    assert label["top_positive"][0][1] == w.max() and label["top_negative"][0][1] == w.min()
    # The report says "value", not "class".
    run("report", tmp_path / "out", check=0)
    html = (tmp_path / "out" / "index.html").read_text()
    assert f"predicted value: <b>{value:.3f}</b>" in html
    assert "<th>model value</th>" in html and "<th>class</th>" not in html
    assert "segments that most raised <b>the value</b>" in html and "pushed the predicted value up" in html


def test_task_flag_refuses_other_values_and_mismatched_models(regression_models, models, tmp_path):
    img = os.path.join(IMAGES, "chelsea_224.png")
    p = run("explain", "--task", "banana", "--model", regression_file(regression_models), "--out", tmp_path, img, check=2)
    assert "--task = banana: expected one of 'classification', 'regression', 'detection', 'segmentation'" in p.stderr, p.stderr
    # Class names do not apply to a value.
    p = run("explain", "--task", "regression", "--model", regression_file(regression_models), "--labels",
            os.path.join(models, "labels.txt"), "--out", tmp_path, img, check=2)
    assert "--labels" in p.stderr and "--task regression" in p.stderr, p.stderr
    # The 4-class CNN with --task regression: its record is an error naming explain_options.task.
    p = run("explain", "--task", "regression", "--model", os.path.join(models, model_file()), "--input", f"{SIZE}x{SIZE}",
            "--samples", 50, "--out", tmp_path / "cnn", img, check=1)
    (error,) = [json.loads((tmp_path / "cnn" / d / "error.json").read_text()) for d in os.listdir(tmp_path / "cnn")]
    assert "explain_options.task = regression" in error["error"] and "returned 4 columns" in error["error"], error
    # Without --task the regression model is a single column read as P(class 1): refused, saying what to set.
    p = run("explain", "--model", regression_file(regression_models), "--input", f"{SIZE}x{SIZE}", "--samples", 50,
            "--out", tmp_path / "classification", img, check=1)
    (error,) = [json.loads((tmp_path / "classification" / d / "error.json").read_text())
                for d in os.listdir(tmp_path / "classification")]
    assert "[0, 1]" in error["error"] and "explain_options.task = regression" in error["error"], error


# --- --task detection and --task segmentation -------------------------------------------------
# tests/models/make_target_models.py's planted models (weights set by hand) on its scene: a gray
# SIZE x SIZE image with a red square over columns and rows [SIZE/8, 3 SIZE/8) and a blue one over
# [5 SIZE/8, 7 SIZE/8). With --segmenter grid --segments 64 each segment is an 8x8 cell of an 8x8
# grid (row-major), so each square is exactly 4 cells and the truth is known: a target's score
# depends on its own square's cells only.

GRID = ("--segmenter", "grid", "--segments", 64, "--samples", 300)
RED_CELLS = {9, 10, 17, 18}  # rows and columns 1 and 2 of the 8x8 grid: pixels [8, 24)
BLUE_CELLS = {45, 46, 53, 54}  # rows and columns 5 and 6: pixels [40, 56)


@pytest.fixture(scope="module")
def target_models():
    """detector_torchvision.pt, detector_yolo.pt/.onnx, segmenter.pt/.onnx and scene.png, with
    labels3.txt (background, red, blue: the torchvision detector's and the segmenter's classes)
    and labels2.txt (red, blue: YOLO's 0-based classes)."""
    for d in built_models("make_target_models.py"):
        Path(d, "labels3.txt").write_text("background\nred\nblue\n")
        Path(d, "labels2.txt").write_text("red\nblue\n")
        yield d


def write_png(path, rows):
    """An 8-bit PNG of `rows` (H x W gray or H x W x 3 RGB uint8), with zlib: no PIL needed."""
    import struct
    import zlib
    a = np.ascontiguousarray(rows, dtype=np.uint8)
    h, w = a.shape[:2]
    color = 2 if a.ndim == 3 else 0
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)) +
                          chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return str(path)


def target_run(target_models, model, out, *extra, labels="labels3.txt", image=None, check=0):
    return run("explain", "--model", os.path.join(target_models, model), "--input", f"{SIZE}x{SIZE}", "--labels",
               os.path.join(target_models, labels), *GRID, "--out", out, *extra,
               image or os.path.join(target_models, "scene.png"), check=check)


def records_by_id(out):
    """{id: record} of every explanation.json under out (schema-checked; a detection run writes
    several records of one input, so records() keyed by input would merge them)."""
    check_schema(out)
    r = {}
    for d in sorted(os.listdir(out)):
        p = os.path.join(out, d, "explanation.json")
        if os.path.exists(p):
            j = json.loads(Path(p).read_text())
            j["_dir"] = os.path.join(out, d)
            assert j["id"] not in r, j["id"]
            r[j["id"]] = j
    return r


def assert_cells_first(rec, own, other=()):
    """The record's one label: its top len(own) positive segments are exactly the cells `own`, and
    every cell of `other` weighs less than 5% of the least of them."""
    (label,) = rec["labels"]
    w = np.array(label["weights"])
    assert len(w) == 64, len(w)
    top = [int(k) for k in np.argsort(-w)[:len(own)]]
    assert set(top) == set(own), (top, sorted(own), w[sorted(own)])
    assert {k for k, _ in label["top_positive"][:len(own)]} == set(own), label["top_positive"]
    least = w[sorted(own)].min()
    assert least > 0
    for c in other:
        assert abs(w[c]) < 0.05 * least, (c, w[c], least)


def test_detection_explains_every_detection_one_record_each(target_models, tmp_path):
    need("torch")  # the torchvision-layout detector is TorchScript only (scripted: its output is a list of dicts)
    scene = os.path.join(target_models, "scene.png")
    out = tmp_path / "out"
    p = target_run(target_models, "detector_torchvision.pt", out, "--task", "detection")
    assert "2 detection targets" in p.stderr, p.stderr
    recs = records_by_id(out)  # schema-checked
    assert sorted(recs) == [scene + "#0", scene + "#1"]
    red, blue = recs[scene + "#0"], recs[scene + "#1"]
    assert red["_dir"] != blue["_dir"]
    for k, (rec, name, cls, box) in enumerate([(red, "red", 1, [8, 8, 16, 16]), (blue, "blue", 2, [40, 40, 16, 16])]):
        assert rec["input"] == scene and rec["task"] == "detection" and rec["settings"]["task"] == "detection"
        assert rec["predicted"] == name and rec["predicted_index"] == k and rec["panes_label"] == name
        t = rec["target"]
        assert t["index"] == k and t["class"] == name and t["class_index"] == cls
        assert t["box"] == box and t["score"] == 1.0  # the planted detector: a full square scores 1
        assert rec["value"] == 1.0  # the original image's score of the target: its box overlaps itself exactly
        (label,) = rec["labels"]
        assert label["label"] == k and label["name"] == name and label["model_prediction"] == rec["value"]
        assert rec["segments"] == {"method": "grid", "count": 64}
    assert_cells_first(red, RED_CELLS, BLUE_CELLS)
    assert_cells_first(blue, BLUE_CELLS, RED_CELLS)
    assert red["model_calls"] == blue["model_calls"] == 300  # one explanation, one set of samples, for both targets
    # A rerun skips the image (both of its records are done); --force explains it again.
    stamp = {i: os.stat(Path(r["_dir"]) / "explanation.json").st_mtime_ns for i, r in recs.items()}
    p = target_run(target_models, "detector_torchvision.pt", out, "--task", "detection")
    assert "skipped (done before)" in p.stderr and "0 explained, 1 skipped" in p.stderr, p.stderr
    assert stamp == {i: os.stat(Path(r["_dir"]) / "explanation.json").st_mtime_ns for i, r in records_by_id(out).items()}
    p = target_run(target_models, "detector_torchvision.pt", out, "--task", "detection", "--force")
    assert "1 explained, 0 skipped" in p.stderr, p.stderr
    again = records_by_id(out)
    assert sorted(again) == sorted(recs)
    assert all(os.stat(Path(r["_dir"]) / "explanation.json").st_mtime_ns > stamp[i] for i, r in again.items())
    assert again[scene + "#0"]["labels"][0]["weights"] == red["labels"][0]["weights"]  # same seed, same explanation


def test_targets_on_a_photograph(target_models, tmp_path):
    """The squares painted on chelsea_224.png (make_target_models.py --on): the cat's own pixels are
    around them, and some of its fur passes the detector's and segmenter's "red" test (the red
    detection's box grows to take them in), none its "blue" one. The blue detection and a blue
    mask are explained by the blue square's cells alone; the model's own red region, over fur and
    square, still has the square's cells first (pure red: the class's highest scores)."""
    need("torch")
    models = tmp_path / "models"
    p = subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "models", "make_target_models.py"), str(models), "--size", str(SIZE),
                        "--on", os.path.join(IMAGES, "chelsea_224.png")], capture_output=True, text=True)
    if p.returncode == 77 or not (models / "real_scene.png").exists():
        pytest.skip("make_target_models.py --on needs torch and PIL: " + p.stdout)
    photo = str(models / "real_scene.png")
    out = tmp_path / "out"
    target_run(target_models, "detector_torchvision.pt", out, "--task", "detection", image=photo)
    recs = records_by_id(out)
    blue = next(r for r in recs.values() if r["predicted"] == "blue")
    assert blue["target"]["box"] == [40, 40, 16, 16]
    assert_cells_first(blue, BLUE_CELLS, RED_CELLS)
    red = next(r for r in recs.values() if r["predicted"] == "red")
    assert_cells_first(red, RED_CELLS)
    target_run(target_models, "segmenter.pt", tmp_path / "seg", "--task", "segmentation", "--target-class", "red", image=photo)
    (region,) = records_by_id(tmp_path / "seg").values()
    assert region["target"]["region"] == "model" and region["target"]["pixels"] > 256  # the square and some fur
    assert_cells_first(region, RED_CELLS)


def test_detection_rerun_that_finds_fewer_detections_leaves_no_stale_record(target_models, tmp_path):
    """INPUT#k records of detections a later run no longer finds are removed (the report would show them)."""
    need("torch")
    image = np.full((SIZE, SIZE, 3), 128)
    image[8:24, 8:24] = (255, 0, 0)
    image[40:56, 40:56] = (0, 0, 255)
    scene = write_png(tmp_path / "scene.png", image)
    out = tmp_path / "out"
    target_run(target_models, "detector_torchvision.pt", out, "--task", "detection", image=scene)
    assert sorted(records_by_id(out)) == [scene + "#0", scene + "#1"]
    image[40:56, 40:56] = 128  # the blue square gone: one detection
    write_png(scene, image)
    target_run(target_models, "detector_torchvision.pt", out, "--task", "detection", "--force", image=scene)
    assert sorted(records_by_id(out)) == [scene + "#0"]
    assert len(os.listdir(out)) == 1, os.listdir(out)
    # Only the record's own files go: a file of the user's in that folder stays, and so does the folder.
    image[40:56, 40:56] = (0, 0, 255)
    write_png(scene, image)
    target_run(target_models, "detector_torchvision.pt", out, "--task", "detection", "--force", image=scene)
    blue_dir = records_by_id(out)[scene + "#1"]["_dir"]
    Path(blue_dir, "notes.txt").write_text("mine")
    image[40:56, 40:56] = 128
    write_png(scene, image)
    target_run(target_models, "detector_torchvision.pt", out, "--task", "detection", "--force", image=scene)
    assert sorted(records_by_id(out)) == [scene + "#0"]
    assert os.listdir(blue_dir) == ["notes.txt"] and Path(blue_dir, "notes.txt").read_text() == "mine"


def test_detection_of_a_given_box_and_when_nothing_is_found(target_models, tmp_path):
    need("torch")
    scene = os.path.join(target_models, "scene.png")
    target_run(target_models, "detector_torchvision.pt", tmp_path / "box", "--task", "detection", "--target-box", "8,8,16,16",
               "--target-class", "red")
    (rec,) = records_by_id(tmp_path / "box").values()
    assert rec["id"] == scene and rec["input"] == scene  # the one target the flags name: the input's own id
    assert rec["predicted"] == "red" and rec["predicted_index"] == 0 and rec["value"] == 1.0
    assert rec["target"]["box"] == [8, 8, 16, 16] and rec["target"]["class_index"] == 1 and "score" not in rec["target"]
    assert rec["settings"]["targets"]["target_box"] == "8,8,16,16"
    assert_cells_first(rec, RED_CELLS, BLUE_CELLS)
    p = target_run(target_models, "detector_torchvision.pt", tmp_path / "bad", "--task", "detection", "--target-box", "8,8,16,16",
                   "--target-class", "red", "--min-score", 1.01, check=2)
    assert "--min-score" in p.stderr, p.stderr
    # Every detection of a gray image: there is none, so the image fails, saying which flag decides.
    gray = write_png(tmp_path / "gray.png", np.full((SIZE, SIZE, 3), 128))
    p = target_run(target_models, "detector_torchvision.pt", tmp_path / "gray", "--task", "detection", image=gray, check=1)
    assert "1 failed" in p.stderr, p.stderr
    (d,) = os.listdir(tmp_path / "gray")
    assert sorted(os.listdir(tmp_path / "gray" / d)) == ["error.json"]
    error = json.loads((tmp_path / "gray" / d / "error.json").read_text())
    assert error["kind"] == "error" and error["id"] == gray
    assert "--min-score" in error["error"] and "0 detections" in error["error"], error
    check_schema(tmp_path / "gray")


def test_detection_of_a_yolo_model_box(target_models, tmp_path):
    files = [f for f, b in (("detector_yolo.onnx", "onnx"), ("detector_yolo.pt", "torch")) if b in backends()]
    if not files:
        pytest.skip("this pixlime has neither the onnx nor the torch backend")
    for f in files:
        out = tmp_path / f
        target_run(target_models, f, out, "--task", "detection", "--detections", "yolo", "--target-box", "8,8,8,8",
                   "--target-class", "red", labels="labels2.txt")
        (rec,) = records_by_id(out).values()
        t = rec["target"]
        assert t["class"] == "red" and t["class_index"] == 0 and t["box"] == [8, 8, 8, 8], t
        assert rec["settings"]["targets"]["detections"] == "yolo"
        # The box is cell 9 exactly, the YOLO row of that cell its only detection: that cell alone explains it.
        assert_cells_first(rec, {9}, BLUE_CELLS | {10, 17, 18})


def test_segmentation_explains_a_class_over_its_region(target_models, tmp_path):
    files = [f for f, b in (("segmenter.pt", "torch"), ("segmenter.onnx", "onnx")) if b in backends()]
    if not files:
        pytest.skip("this pixlime has neither the onnx nor the torch backend")
    scene = os.path.join(target_models, "scene.png")
    blue_mask = np.zeros((SIZE, SIZE), np.uint8)
    blue_mask[40:56, 40:56] = 255
    blue_mask = write_png(tmp_path / "blue-mask.png", blue_mask)
    half_mask = np.zeros((SIZE, SIZE), np.uint8)
    half_mask[40:56, 40:48] = 1  # the blue square's left column of cells, 45 and 53; nonzero = the region
    half_mask = write_png(tmp_path / "half-mask.png", half_mask)
    for f in files:
        out = tmp_path / f
        target_run(target_models, f, out / "red", "--task", "segmentation", "--target-class", "red")
        (rec,) = records_by_id(out / "red").values()
        assert rec["id"] == scene and rec["task"] == "segmentation" and rec["predicted"] == "red" and rec["predicted_index"] == 0
        t = rec["target"]
        assert t["class"] == "red" and t["class_index"] == 1 and t["region"] == "model" and t["pixels"] == 256, t
        assert rec["value"] == 1.0  # the red score r - (g + b) / 2 on pure red
        assert_cells_first(rec, RED_CELLS, BLUE_CELLS)
        # The user's region: the blue square, by a mask.
        target_run(target_models, f, out / "blue", "--task", "segmentation", "--target-class", "blue", "--target-mask", blue_mask)
        (rec,) = records_by_id(out / "blue").values()
        t = rec["target"]
        assert t["class"] == "blue" and t["region"] == "mask" and t["mask"] == blue_mask and t["pixels"] == 256, t
        assert_cells_first(rec, BLUE_CELLS, RED_CELLS)
        # Half the square: only the masked cells count (the model's own blue region would be all 4).
        target_run(target_models, f, out / "half", "--task", "segmentation", "--target-class", "blue", "--target-mask", half_mask)
        (rec,) = records_by_id(out / "half").values()
        assert rec["target"]["region"] == "mask" and rec["target"]["pixels"] == 128, rec["target"]
        assert_cells_first(rec, {45, 53}, RED_CELLS | {46, 54})


def test_target_flags_are_checked_and_named(target_models, tmp_path):
    scene = os.path.join(target_models, "scene.png")
    det = ["explain", "--model", os.path.join(target_models, "detector_yolo.onnx"), "--labels",
           os.path.join(target_models, "labels3.txt"), "--out", tmp_path / "out"]
    seg = ["explain", "--task", "segmentation", "--model", os.path.join(target_models, "segmenter.onnx"), "--labels",
           os.path.join(target_models, "labels3.txt"), "--out", tmp_path / "out"]
    cases = [
        ([*det, "--task", "detection", "--target-box", "8,8,16,16"], "--target-box without --target-class"),
        ([*det, "--task", "classification", "--target-box", "8,8,16,16", "--target-class", "red"], "--target-box with --task classification"),
        ([*seg], "--task segmentation without --target-class"),
        ([*det, "--task", "detection", "--target-class", "green"], "--target-class 'green'"),
        ([*seg, "--target-class", "green"], "--target-class 'green'"),
        ([*det, "--task", "detection", "--detections", "foo"], "--detections"),
        ([*det, "--task", "detection", "--softmax"], "--softmax with --task detection"),
        ([*seg, "--target-class", "red", "--target-mask", tmp_path / "absent.png"], "--target-mask"),
        ([*det, "--task", "detection", "--target-box", "8,8,0,16", "--target-class", "red"], "--target-box '8,8,0,16'"),
    ]
    for args, message in cases:
        p = run(*args, scene, check=2)
        assert message in p.stderr, (args, p.stderr)
    assert not (tmp_path / "out").exists()  # refused before any work
    p = run(*seg, "--target-class", "red", "--target-mask", tmp_path / "absent.png", scene, check=2)
    assert "no such file" in p.stderr
    p = run(*det, "--task", "detection", "--detections", "foo", scene, check=2)
    assert "foo" in p.stderr and "yolo" in p.stderr and "torchvision" in p.stderr, p.stderr
    p = run(*det, "--task", "detection", "--target-class", "green", scene, check=2)
    assert "a name from --labels (3 classes)" in p.stderr, p.stderr


def test_report_of_detection_and_segmentation_records(target_models, tmp_path):
    need("torch")
    out = tmp_path / "out"
    target_run(target_models, "detector_torchvision.pt", out, "--task", "detection")
    target_run(target_models, "segmenter.pt", out, "--task", "segmentation", "--target-class", "red")
    assert len(records_by_id(out)) == 3
    p = run("report", out, check=0)
    assert "(3 images, 0 failed)" in p.stdout, p.stdout
    html = (out / "index.html").read_text()
    assert "detection red" in html and "detection blue" in html and "segmentation red" in html
    assert "scene.png#0" in html and "scene.png#1" in html
    for s in re.findall(r'<img src="([^"]*)"', html):
        assert (out / s).stat().st_size > 100, s
