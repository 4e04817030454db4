"""pixlime.dask on a real LocalCluster (2 worker processes): results equal the serial run bit for
bit, failures stay in their records, the model is built once per worker, out_dir records and
panes are written (atomically, inside out_dir only) and a rerun skips what is done."""
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="pixlime.dask needs Dask's distributed "
                                  "(Debian: apt-get install python3-dask python3-distributed)")

import pixlime  # noqa: E402
import pixlime.dask  # noqa: E402
from pixlime.dask import explain_many, explain_serial, record_name, seed_for  # noqa: E402

DATA = Path(os.environ.get("PIXLIME_TEST_DATA", Path(__file__).resolve().parents[2] / "tests" / "data"))
PATHS = [str(DATA / "images" / n) for n in ("astronaut_224.png", "chelsea_224.png", "coffee_224.png", "rocket_224.png")]
OPTIONS = dict(num_samples=200, batch_size=50, seed=5, segmenter=pixlime.slic_options(num_segments=40))
MARK = (1, 2, 3)  # an image whose pixel (0, 0) is this makes the classifier raise


class Colour:
    """A small deterministic 'model': 3 classes from the mean colour of the top and bottom halves."""
    W = np.array([[4.0, -2.0, 1.0], [-1.0, 3.0, -2.0], [0.5, -1.0, 3.0],
                  [-3.0, 1.0, 2.0], [2.0, 2.0, -4.0], [1.0, -3.0, 0.5]])

    def __call__(self, batch):
        if any(tuple(int(v) for v in im[0, 0, :3]) == MARK for im in batch):
            raise ValueError("poisoned image")
        h = batch.shape[1] // 2
        x = batch.astype(np.float64) / 255
        feats = np.concatenate([x[:, :h].mean((1, 2)), x[:, h:].mean((1, 2))], axis=1)
        z = feats @ self.W
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)


def make_classifier(calls_dir=None):
    """The factory: notes each call as a file <pid>-<uuid> in calls_dir (when given)."""
    if calls_dir is not None:
        Path(calls_dir, f"{os.getpid()}-{uuid.uuid4().hex}").write_text("")
    return Colour()


def broken_factory():
    raise RuntimeError("no weights here")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def images():
    arrays = [pixlime.load_image(p) for p in PATHS]
    for a in arrays:
        assert tuple(a[0, 0]) != MARK
    return arrays


def assert_same(a, b):
    """Two records with the same explanation, bit for bit (timings and times aside)."""
    assert (a["id"], a["input"], a["ok"], a["seed"], a["model"]) == (b["id"], b["input"], b["ok"], b["seed"], b["model"])
    if not a["ok"]:
        assert (a["error"], a["error_type"]) == (b["error"], b["error_type"])
        return
    assert a["predicted_index"] == b["predicted_index"] and a["predicted"] == b["predicted"] and a["segments"] == b["segments"]
    assert len(a["labels"]) == len(b["labels"])
    assert (a["model_calls"], a["target_reached"]) == (b["model_calls"], b["target_reached"])
    for la, lb in zip(a["labels"], b["labels"]):
        for k in ("weights", "standard_errors", "intervals"):
            assert la[k].dtype == np.float64 and np.array_equal(la[k], lb[k]), k
        for k in ("label", "intercept", "r2", "local_prediction", "model_prediction", "top_positive", "top_negative",
                  "stability_top5"):
            assert la[k] == lb[k], k


def check_uncertainty(record, ex):
    """The record's uncertainty fields hold real values: pixlime's, standard errors >= 0, intervals
    around the weights, stability in [0, 1]."""
    assert record["model_calls"] == ex.model_calls and 1 <= record["model_calls"] <= OPTIONS["num_samples"]
    assert record["target_reached"] is ex.target_reached is False  # no target_stability given
    for lab in record["labels"]:
        w, se, iv = lab["weights"], lab["standard_errors"], lab["intervals"]
        assert se.shape == w.shape and iv.shape == (len(w), 2)
        # (records hold 6 significant digits, as every app's files)
        assert np.allclose(se, ex.standard_errors(lab["label"]), rtol=1e-5, atol=0)
        assert np.allclose(iv, ex.weight_intervals(lab["label"]), rtol=1e-5, atol=0)
        assert (se >= 0).all() and se.max() > 0
        assert (iv[:, 0] <= w).all() and (w <= iv[:, 1]).all()
        # (each end rounded to 6 significant digits: the width is exact to about 1e-6 of the largest end)
        assert np.allclose(iv[:, 1] - iv[:, 0], 2 * 1.959964 * se, rtol=1e-5, atol=1e-5 * np.abs(iv).max())
        assert 0 <= lab["stability_top5"] <= 1 and np.isclose(lab["stability_top5"], ex.stability(lab["label"], 5), rtol=1e-5, atol=0)


def ridge_by_hand(samples, weights, targets):
    """A custom surrogate (weighted least squares with a small ridge): pixlime has no standard errors for it."""
    x = np.hstack([np.ones((len(samples), 1)), samples.astype(np.float64)])
    sw = np.sqrt(weights)[:, None]
    fits = []
    for t in range(targets.shape[1]):
        coef = np.linalg.solve((x * sw).T @ (x * sw) + np.eye(x.shape[1]), (x * sw).T @ (targets[:, t:t + 1] * sw))[:, 0]
        fits.append((coef[1:], float(coef[0]), 1.0, float(coef[0] + coef[1:].sum())))
    return fits


def tree(root, skip=None):
    """{relative path: (size, mtime_ns, sha256)} of every file under root (but skip)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        if skip is not None and (Path(dirpath) == Path(skip) or Path(skip) in Path(dirpath).parents):
            continue
        for f in files:
            p = Path(dirpath, f)
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def test_seed_for_is_stable_and_per_id():
    assert seed_for(3) == 8182902729264127545 and seed_for("3") == 605575033566784182
    assert seed_for(3, seed=1) != seed_for(3) and seed_for("a.png") != seed_for("b.png")
    assert 0 <= seed_for("x", seed=2**64 - 1) < 2**64
    code = "import pixlime.dask as d; print(d.seed_for('a/b.png', 7), d.record_name('a/b.png'))"
    outs = {subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONHASHSEED=h), check=True,
                           capture_output=True, text=True).stdout for h in ("1", "2")}
    assert outs == {f"{seed_for('a/b.png', 7)} {record_name('a/b.png')}\n"}


def test_cluster_equals_serial_bit_for_bit(client, images):
    inputs = PATHS + [images[1], images[1].copy()]  # ids: the 4 paths, then 4 and 5
    factory = functools.partial(make_classifier)
    seen = []
    many = explain_many(client, inputs, factory, progress=lambda done, total: seen.append((done, total)), **OPTIONS)
    serial = explain_serial(inputs, factory, **OPTIONS)
    assert seen == [(i, 6) for i in range(1, 7)]
    assert [r["id"] for r in many] == PATHS + [4, 5]
    assert all(r["ok"] and r["status"] == "done" for r in many)
    for a, b in zip(many, serial):
        assert_same(a, b)
    # The seed is seed_for(id, seed): the record is pixlime.explain's with that seed ...
    ex = pixlime.explain(images[0], Colour(), **dict(OPTIONS, seed=seed_for(PATHS[0], 5)))
    assert many[0]["seed"] == seed_for(PATHS[0], 5) and many[0]["predicted_index"] == ex.top_labels[0]
    assert [lab["label"] for lab in many[0]["labels"]] == list(ex.top_labels)
    for lab in many[0]["labels"]:  # (records hold 6 significant digits, as every app's files)
        assert np.allclose(lab["weights"], ex.weights(lab["label"]), rtol=1e-5, atol=0)
        assert np.isclose(lab["r2"], ex.score(lab["label"]), rtol=1e-5, atol=0)
    check_uncertainty(many[0], ex)
    # ... so the same pixels under two ids are two different draws, and a path equals its array.
    assert not np.array_equal(many[4]["labels"][0]["weights"], many[5]["labels"][0]["weights"])
    by_array = explain_serial({PATHS[1]: images[1]}, factory, **OPTIONS)[0]
    assert np.array_equal(by_array["labels"][0]["weights"], many[1]["labels"][0]["weights"])


def test_a_failing_image_is_a_record_and_the_others_complete(client, images, tmp_path):
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    poisoned = images[2].copy()
    poisoned[0, 0] = MARK
    inputs = [PATHS[0], str(tmp_path / "missing.png"), str(garbage), poisoned, images[3]]
    many = explain_many(client, inputs, make_classifier, **OPTIONS)
    assert [r["ok"] for r in many] == [True, False, False, False, True]
    assert [r["status"] for r in many] == ["done", "failed", "failed", "failed", "done"]
    assert many[1]["error_type"] == "IoError" and "missing.png" in many[1]["error"]
    assert many[2]["error_type"] == "IoError" and "garbage.png" in many[2]["error"]
    assert many[3]["error_type"] == "ValueError" and many[3]["error"] == "ValueError: poisoned image"
    for a, b in zip(many, explain_serial(inputs, make_classifier, **OPTIONS)):
        assert_same(a, b)
    # A factory that fails fails every image, each with its record.
    broken = explain_many(client, PATHS[:2], broken_factory, **OPTIONS)
    assert [r["error"] for r in broken] == ["classifier_factory: RuntimeError: no weights here"] * 2
    assert [r["error_type"] for r in broken] == ["RuntimeError"] * 2


def test_the_factory_runs_once_per_worker_process(client, images, tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    factory = functools.partial(make_classifier, str(calls))
    inputs = [np.ascontiguousarray(np.roll(images[i % 4], 17 * i, axis=1)) for i in range(8)]
    options = dict(OPTIONS, num_samples=60)
    for _ in range(2):
        records = explain_many(client, inputs, factory, **options)
        assert all(r["ok"] for r in records)
    pids = [f.split("-")[0] for f in os.listdir(calls)]
    workers = {str(p) for p in client.run(os.getpid).values()}
    assert 1 <= len(pids) <= 2 and len(set(pids)) == len(pids) and set(pids) <= workers, pids
    # Serially: once per call.
    explain_serial(inputs[:3], factory, **options)
    assert len(os.listdir(calls)) == len(pids) + 1


def test_out_dir_records_panes_and_a_rerun_that_skips(client, images, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    paths = []
    for p in PATHS[:2]:
        paths.append(str(src / Path(p).name))
        Path(paths[-1]).write_bytes(Path(p).read_bytes())
    out = tmp_path / "out"
    inputs = paths + [images[2], str(src / "missing.png")]
    ids = paths + [2, inputs[3]]
    before = tree(tmp_path)
    first = explain_many(client, inputs, make_classifier, out_dir=out, **OPTIONS)
    assert [r["ok"] for r in first] == [True, True, True, False]
    assert tree(tmp_path, skip=out) == before  # inputs untouched, nothing written beside out_dir
    assert sorted(os.listdir(out)) == sorted(record_name(i) for i in ids)
    for r in first:
        folder = out / record_name(r["id"])
        if r["ok"]:
            assert sorted(os.listdir(folder)) == ["explanation.json", "heatmap.png", "input.png", "negative.png",
                                                  "positive.png"]
            for pane in ("input", "positive", "negative", "heatmap"):
                assert pixlime.load_image(str(folder / f"{pane}.png")).shape == (224, 224, 3)
            saved = json.loads((folder / "explanation.json").read_text())
            assert saved["id"] == r["id"] and saved["panes_label"] == r["predicted"] and "status" not in saved
            for lab, want in zip(saved["labels"], r["labels"]):  # full precision: equal bit for bit
                assert np.array_equal(np.array(lab["weights"]), want["weights"]) and lab["r2"] == want["r2"]
                assert np.array_equal(np.array(lab["standard_errors"]), want["standard_errors"])
                assert np.array_equal(np.array(lab["intervals"]), want["intervals"]) and len(lab["intervals"][0]) == 2
                assert lab["stability_top5"] == want["stability_top5"]
            assert (saved["model_calls"], saved["target_reached"]) == (r["model_calls"], r["target_reached"])
        else:
            assert os.listdir(folder) == ["error.json"]
            assert json.loads((folder / "error.json").read_text())["error_type"] == "IoError"
    assert np.array_equal(pixlime.load_image(str(out / record_name(2) / "input.png")), images[2])

    written = tree(out)
    second = explain_many(client, inputs, make_classifier, out_dir=out, **OPTIONS)
    assert [r["status"] for r in second] == ["skipped", "skipped", "skipped", "failed"]  # failed ones are retried
    for a, b in zip(first, second):
        assert_same(a, b)
    now = tree(out)
    error_json = f"{record_name(ids[3])}/error.json"
    assert {k: v for k, v in now.items() if k != error_json} == {k: v for k, v in written.items() if k != error_json}
    # A serial rerun reads the cluster's records too (same model, same settings).
    assert [r["status"] for r in explain_serial(inputs, make_classifier, out_dir=out, **OPTIONS)][:3] == ["skipped"] * 3

    # An incomplete record is done again, and only it; other settings are done again.
    (out / record_name(ids[0]) / "positive.png").unlink()
    (out / record_name(ids[1]) / "explanation.json").write_text('{"id": ')
    third = explain_many(client, inputs, make_classifier, out_dir=out, **OPTIONS)
    assert [r["status"] for r in third] == ["done", "done", "skipped", "failed"]
    for a, b in zip(first, third):
        assert_same(a, b)
    assert tree(out)[f"{record_name(2)}/explanation.json"] == written[f"{record_name(2)}/explanation.json"]
    other = explain_many(client, inputs[:1], make_classifier, out_dir=out, **dict(OPTIONS, num_samples=100))
    assert other[0]["status"] == "done" and other[0]["settings"]["num_samples"] == 100
    assert not [f for f in tree(tmp_path) if f.endswith(".tmp")]
    assert tree(tmp_path, skip=out) == before
    # An image done before that fails now leaves its error alone, no earlier explanation or panes.
    Path(paths[1]).write_bytes(b"not an image")
    (out / record_name(ids[1]) / "heatmap.png").unlink()
    seen = []
    failed = explain_many(client, inputs, make_classifier, out_dir=out, progress=lambda d, t: seen.append((d, t)),
                          **OPTIONS)
    # (ids[0] is done again: its record was just made with num_samples=100.)
    assert [r["status"] for r in failed] == ["done", "failed", "skipped", "failed"]
    assert os.listdir(out / record_name(ids[1])) == ["error.json"]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_panes_hatch_the_segments_within_noise(images, tmp_path):
    r = explain_serial([PATHS[0]], make_classifier, out_dir=tmp_path / "out", **OPTIONS)[0]
    assert r["ok"], r.get("error")
    ex = pixlime.explain(images[0], Colour(), **dict(OPTIONS, seed=r["seed"]))
    label = r["predicted_index"]
    assert r["panes_label"] == r["predicted"] == str(label)  # no class names given: the number
    flags = ex.uncertain_segments(label)
    assert 0 < flags.sum() < len(flags)  # some hatched, some not: the check below can tell
    plain = pixlime.render_options(num_features=r["panes"]["num_features"], scale=r["panes"]["scale"],
                                   min_relative_weight=r["panes"]["min_relative_weight"])
    hatched = pixlime.render_options(num_features=plain.num_features, scale=plain.scale,
                                     min_relative_weight=plain.min_relative_weight, uncertain=list(flags))
    saved = pixlime.load_image(str(tmp_path / "out" / record_name(PATHS[0]) / "heatmap.png"))
    assert np.array_equal(saved, ex.heatmap(label, options=hatched))
    assert not np.array_equal(saved, ex.heatmap(label, options=plain))
    assert r["panes"]["hatched_level"] == 0.95


def test_a_custom_surrogate_has_no_uncertainty_fields(images, tmp_path):
    r = explain_serial([images[0]], make_classifier, out_dir=tmp_path / "out", surrogate=ridge_by_hand, **OPTIONS)[0]
    assert r["ok"], r.get("error")
    assert isinstance(r["model_calls"], int) and r["target_reached"] is False
    for lab in r["labels"]:
        assert not {"standard_errors", "intervals", "stability_top5"} & set(lab)
    saved = json.loads((tmp_path / "out" / record_name(0) / "explanation.json").read_text())
    assert not {"standard_errors", "intervals", "stability_top5"} & set(saved["labels"][0])
    assert "hatched_level" not in saved["panes"]  # and its panes are not hatched
    # ... and reads back as done.
    again = explain_serial([images[0]], make_classifier, out_dir=tmp_path / "out", surrogate=ridge_by_hand, **OPTIONS)[0]
    assert again["status"] == "skipped"


def test_any_id_gets_a_safe_folder_inside_out_dir(images, tmp_path):
    ids = ["../escape", "a/b", "a_b", "/abs/path.png", "..", "é 🐈", 3, "4"]
    names = [record_name(i) for i in ids]
    assert len(set(names)) == len(ids)
    # Folders are named by the id's text (the C++ apps' record_name): 3 and "3" would share one.
    assert record_name(3) == record_name("3") == pixlime._pixlime.record_name("3")
    with pytest.raises(pixlime.InvalidArgument, match="unique, also as text"):
        explain_serial({3: images[0], "3": images[0]}, make_classifier, out_dir=tmp_path / "x", **OPTIONS)
    assert all("/" not in n and not n.startswith(".") and n for n in names), names
    out = tmp_path / "deep" / "out"
    small = images[0][:64, :64].copy()
    records = explain_serial({i: small for i in ids}, make_classifier, out_dir=out, **dict(OPTIONS, num_samples=30))
    assert all(r["ok"] for r in records) and [r["id"] for r in records] == ids
    assert sorted(os.listdir(out)) == sorted(names)
    assert sorted(os.listdir(tmp_path)) == ["deep"] and os.listdir(tmp_path / "deep") == ["out"]
    # Panes of a small image are drawn at >= 224 px.
    assert pixlime.load_image(str(out / names[0] / "positive.png")).shape == (256, 256, 3)


def test_bad_arguments_are_refused_up_front(client, images, tmp_path):
    out = tmp_path / "out"
    a_file = tmp_path / "file"
    a_file.write_text("")
    lock = threading.Lock()
    cases = [
        (dict(images="a.png"), "images"),
        (dict(images=images[0]), "images"),
        (dict(images=[PATHS[0], 1.5]), "images[1]"),
        (dict(images=[PATHS[0], PATHS[0]]), "id of images[1]"),
        (dict(images=PATHS, ids=[1, 2]), "ids"),
        (dict(images=[images[0]], ids=[True]), "id"),
        (dict(classifier_factory=3), "classifier_factory"),
        (dict(classifier_factory=lambda: lock), "classifier_factory"),  # not picklable
        (dict(client=object()), "client"),
        (dict(num_samples=1), "num_samples"),
        (dict(seed=-1), "seed"),
        (dict(batch_size=0), "batch_size"),
        (dict(no_such_option=1), "no_such_option"),
        (dict(segments=np.zeros((224, 224), np.int32)), "segments"),
        (dict(fill=pixlime.image_fill(images[0])), "fill"),
        (dict(out_dir=a_file), "out_dir"),
        (dict(images=[PATHS[0], str(out / "x.png")]), "out_dir"),  # an input inside out_dir
    ]
    for change, parameter in cases:
        kwargs = dict(client=client, images=PATHS[:1], classifier_factory=make_classifier, out_dir=out)
        kwargs.update(change)
        with pytest.raises(pixlime.InvalidArgument) as e:
            explain_many(kwargs.pop("client"), kwargs.pop("images"), kwargs.pop("classifier_factory"), **kwargs)
        assert e.value.parameter == parameter, (change, str(e.value))
        assert isinstance(e.value, ValueError) and str(e.value).startswith("pixlime.dask: " + parameter)
        assert not out.exists()


def test_the_stubs_and_docs_match_the_module():
    import ast
    import inspect
    stubs = ast.parse(Path(pixlime.dask.__file__).with_suffix(".pyi").read_text())
    declared = {f.name: f for f in stubs.body if isinstance(f, ast.FunctionDef)}
    assert set(declared) == set(pixlime.dask.__all__)
    for name, f in declared.items():
        params = inspect.signature(getattr(pixlime.dask, name)).parameters
        stub = [a.arg for a in f.args.args + f.args.kwonlyargs] + ([f.args.kwarg.arg] if f.args.kwarg else [])
        assert stub == list(params), name
        assert getattr(pixlime.dask, name).__doc__
    for field in ("explanation.json", "error.json", "positive.png", "seed_for", "record_name", "status"):
        assert field in pixlime.dask.__doc__


def readme_block(name):
    """The code block marked `<!-- snippet: file NAME -->` in README.md or a docs/ page (docs/dask.md)."""
    root = Path(__file__).resolve().parents[2]
    for page in [root / "README.md"] + sorted((root / "docs").glob("*.md")):
        m = re.search(r"<!-- snippet: file " + re.escape(name) + r" -->\n```python\n(.*?)\n```",
                      page.read_text(encoding="utf-8"), re.S)
        if m:
            return m.group(1) + "\n"
    raise AssertionError(f"neither README.md nor docs/*.md has a block 'file {name}'")


def test_the_readme_example_runs(tmp_path):
    # docs/dask.md's example ("Many images, many machines"), run as its snippets run (beside tests/).
    (tmp_path / "tests").symlink_to(DATA.parent)
    (tmp_path / "example.py").write_text(readme_block("many_images.py"))
    run = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    ids = ["tests/data/images/chelsea_224.png", "tests/data/images/coffee_224.png", "missing.png"]
    assert [line.split()[:2] for line in lines] == [[ids[0], "done"], [ids[1], "done"], [ids[2], "failed"]]
    assert lines[2].endswith("IoError")
    assert sorted(os.listdir(tmp_path / "explanations")) == sorted(map(record_name, ids))
    assert sorted(os.listdir(tmp_path)) == ["example.py", "explanations", "tests"]
    # ... followed by `pixlime report explanations` (the page's next line): every image rendered,
    # the missing one a failed card.
    cli = os.environ.get("PIXLIME_CLI")
    if not cli:
        pytest.skip("the pixlime command is not built (PIXLIME_CLI unset)")
    p = run_cli(cli, "report", "explanations", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "(3 images, 1 failed)" in p.stdout, p.stdout
    html = (tmp_path / "explanations" / "index.html").read_text()
    srcs = re.findall(r'<img src="([^"]*)"', html)
    assert len(srcs) == 8 and html.count("card failed") == 1 and "missing.png" in html
    for src in srcs:
        assert pixlime.load_image(str(tmp_path / "explanations" / src)).shape[0] >= 224, src
    # ... and in a browser every image loads (the page's own check, as the command's report test).
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
                          (tmp_path / "explanations" / "index.html").as_uri()],
                         env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"},
                         capture_output=True, text=True, timeout=120).stdout
    check = re.search(r'<span id="image-check"[^>]*>', dom)
    assert check, "the page's image check did not run"
    assert 'data-total="8"' in check.group(0) and 'data-loaded="8"' in check.group(0) and 'data-broken="0"' in check.group(0)


def test_a_failed_write_leaves_no_half_record(images, tmp_path):
    """The records are written by the app layer's writer (pixlime::app::write_record): a write that
    fails (here explanation.json's place is taken by a folder, so the rename fails) is the record's
    write_error, leaves no temporary file and no record, and a rerun does the image again."""
    out = tmp_path / "out"
    small = {"a": images[0][:64, :64].copy(), "b": images[1][:64, :64].copy()}
    options = dict(OPTIONS, num_samples=30)
    for name in map(record_name, small):
        (out / name / "explanation.json" / "taken").mkdir(parents=True)
    records = explain_serial(small, make_classifier, out_dir=out, **options)
    assert all(r["ok"] for r in records)
    assert all("write_file path" in r["write_error"] for r in records), [r.get("write_error") for r in records]
    for name in map(record_name, small):
        assert (out / name / "explanation.json").is_dir()  # not a record: the panes alone do not count
    assert not [f for f in tree(out) if f.endswith(".tmp")]
    for name in map(record_name, small):
        (out / name / "explanation.json" / "taken").rmdir()
        (out / name / "explanation.json").rmdir()
    again = explain_serial(small, make_classifier, out_dir=out, **options)
    assert [r["status"] for r in again] == ["done", "done"] and "write_error" not in again[0]
    assert [r["status"] for r in explain_serial(small, make_classifier, out_dir=out, **options)] == ["skipped"] * 2


def run_cli(cli, *args, cwd=None):
    """The pixlime command, without the LD_PRELOAD a sanitizer build gives this interpreter (the
    command has ASan linked in: a second, preloaded runtime makes it refuse to start)."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    return subprocess.run([cli, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


SOURCE = Path(os.environ.get("PIXLIME_TEST_DATA", Path(__file__).resolve().parents[2] / "tests" / "data")).resolve().parents[1]


def test_the_records_follow_the_schema_and_pixlime_report_renders_every_image(client, tmp_path):
    """docs/dask.md's Dask example (explain_many with out_dir), then `pixlime report` on that folder:
    every record follows app/schema/record.schema.json, and the page shows every image."""
    out = tmp_path / "explanations"
    records = explain_many(client, PATHS, make_classifier, out_dir=out, classes=["red", "green", "blue"],
                           progress=True, **OPTIONS)
    assert all(r["ok"] for r in records) and {r["predicted"] for r in records} <= {"red", "green", "blue"}
    sys.path.insert(0, str(SOURCE / "app" / "tests"))
    try:
        import validate_records
    finally:
        sys.path.pop(0)
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        pytest.skip("jsonschema is not installed (Debian: apt-get install python3-jsonschema)")
    problems, n = validate_records.check([out])
    assert n == len(PATHS) and problems == []
    cli = os.environ.get("PIXLIME_CLI")
    if not cli:
        pytest.skip("the pixlime command is not built (PIXLIME_CLI unset)")
    p = run_cli(cli, "report", str(out))
    assert p.returncode == 0, p.stderr
    assert f"({len(PATHS)} images, 0 failed)" in p.stdout, p.stdout
    html = (out / "index.html").read_text()
    srcs = re.findall(r'<img src="([^"]*)"', html)
    assert len(srcs) == 4 * len(PATHS) and "card failed" not in html
    for src in srcs:
        assert (out / src).stat().st_size > 100, src
