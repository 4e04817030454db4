"""pixlime.client against a real `pixlime serve`: a small CNN built with torch at test time
(tests/models/make_models.py, 32x32), the service started on 127.0.0.1 with --port 0 on a
temporary database, and the client's every call: scoring three images, the transactions by pages,
an explanation waited for with its panes as numpy arrays, the errors as ServiceError, and tokens
(a read-only token cannot score: 403).

PIXLIME_CLI names the built `pixlime` command (ctest sets it, python/CMakeLists.txt); without it,
or without torch, the service's tests skip saying so. Every wait is bounded and every service
started is stopped (SIGTERM, then SIGKILL)."""
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import pixlime
from pixlime import client as pc
from pixlime.client import Client, ConnectionFailed, ServiceError

CLI = os.environ.get("PIXLIME_CLI", "")
SOURCE = Path(__file__).resolve().parents[2]
IMAGES = SOURCE / "tests" / "data" / "images"
SIZE = 32
START_TIMEOUT = 60     # seconds for the service to say it listens
STOP_TIMEOUT = 15      # seconds for it to exit after SIGTERM
EXPLAIN_WAIT = 120     # seconds for an explanation
LISTENING = re.compile(r"pixlime serve: listening on (http://\S+)")


def environment():
    """The command's (and make_models.py's) environment: without the interpreter's LD_PRELOAD (the
    ASan build preloads its runtime into Python, python/CMakeLists.txt; the command links its own)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def run_cli(*args, check=0):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=120, env=environment())
    if check is not None and p.returncode != check:
        raise AssertionError(f"pixlime {' '.join(map(str, args))}: exit {p.returncode}, expected {check}\n"
                             f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


@pytest.fixture(scope="module")
def models():
    """The CNN and labels.txt in a temporary folder (skips without PIXLIME_CLI or torch)."""
    if not CLI or not os.access(CLI, os.X_OK):
        pytest.skip("PIXLIME_CLI does not name the built pixlime command (ctest sets it): the service is not tested")
    out = tempfile.mkdtemp(prefix="pixlime-client-models-")
    try:
        p = subprocess.run([sys.executable, str(SOURCE / "tests" / "models" / "make_models.py"), out, "--size", str(SIZE)],
                           capture_output=True, text=True, timeout=600, env=environment())
        if p.returncode == 77:
            pytest.skip("torch is missing, the test model cannot be built: " + (p.stdout + p.stderr).strip())
        assert p.returncode == 0, p.stdout + p.stderr
        if run_cli("serve", "--help", check=None).returncode != 0:
            pytest.skip("this pixlime has no `serve` command (`pixlime serve --help` fails): the service is not tested")
        version = run_cli("--version").stdout
        model = "cnn.pt" if re.search(r"backends:[^)]*TorchScript|backends:[^)]*torch", version, re.I) else "cnn.onnx"
        yield {"dir": out, "model": os.path.join(out, model), "labels": os.path.join(out, "labels.txt"),
               "name": "cnn", "classes": Path(out, "labels.txt").read_text().split()}
    finally:
        shutil.rmtree(out, ignore_errors=True)


class Server:
    """`pixlime serve` on 127.0.0.1, a free port, a database of its own; its stderr kept."""

    def __init__(self, models, folder):
        self.db = os.path.join(folder, "db.sqlite")
        self.lines = []
        self.process = subprocess.Popen(
            [CLI, "serve", "--model", models["model"], "--input", f"{SIZE}x{SIZE}", "--labels", models["labels"],
             "--db", self.db, "--host", "127.0.0.1", "--port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment())
        found = queue.Queue()

        def read():
            for line in self.process.stderr:
                self.lines.append(line)
                m = LISTENING.search(line)
                if m:
                    found.put(m.group(1))
            found.put(None)

        threading.Thread(target=read, daemon=True).start()
        try:
            self.url = found.get(timeout=START_TIMEOUT)
        except queue.Empty:
            self.url = None
        if not self.url:
            self.stop()
            raise AssertionError(f"pixlime serve did not say it listens within {START_TIMEOUT} s "
                                 f"(exit {self.process.returncode}); its stderr:\n{self.stderr()}")

    def stderr(self):
        return "".join(self.lines)

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        return self.process.returncode


@pytest.fixture(scope="module")
def server(models):
    folder = tempfile.mkdtemp(prefix="pixlime-client-serve-")
    s = None
    try:
        s = Server(models, folder)
        yield s
        assert s.stop() == 0, "pixlime serve did not exit 0 on SIGTERM; its stderr:\n" + s.stderr()
    finally:
        if s is not None:
            s.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, timeout=30)


def photo(name="chelsea_224.png"):
    return str(IMAGES / name)


def small_image(seed):
    """A (32, 32, 3) uint8 image of its own (a seeded gradient with noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    base = np.stack([x * 8, y * 8, (x + y) * 4], axis=2)
    return np.clip(base + rng.integers(0, 40, base.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def three(client, models):
    """Three images scored in one call: a path, a file's bytes, a numpy array."""
    images = [photo("chelsea_224.png"), Path(photo("coffee_224.png")).read_bytes(), small_image(1)]
    predictions = client.predict(models["name"], images)
    return images, predictions


# -- the service, through the client -----------------------------------------------------------------

def test_health_ready_and_models(client, models):
    assert client.health() == {"status": "ok"}
    assert client.ready() is True
    served = client.models()
    assert [m["name"] for m in served] == [models["name"]]
    m = served[0]
    assert (m["input"]["width"], m["input"]["height"]) == (SIZE, SIZE)
    assert m["classes"] == models["classes"]
    assert client.model(models["name"])["name"] == models["name"]


def test_predict_three_images(client, models, three):
    images, predictions = three
    assert len(predictions) == 3
    ids = [p["transaction_id"] for p in predictions]
    assert len(set(ids)) == 3
    for p in predictions:
        assert p["label"] in models["classes"]
        assert models["classes"][p["label_index"]] == p["label"]
        assert len(p["outputs"]) == len(models["classes"])
        assert p["probability"] == pytest.approx(max(p["outputs"]), rel=1e-5)
        assert sum(p["outputs"]) == pytest.approx(1, abs=1e-3)  # the CNN ends with a softmax
    # Each transaction keeps its image as it was sent: the file's bytes, the array's PNG.
    assert client.image(ids[0]) == Path(images[0]).read_bytes()
    assert client.image(ids[1]) == images[1]
    assert np.array_equal(client.image(ids[2], decode=True), images[2])
    t = client.transaction(ids[2])
    assert t["id"] == ids[2] and t["model"] == models["name"] and t["source"] == "predict"
    assert t["image"]["width"] == SIZE and t["image"]["height"] == SIZE
    assert t["outputs"] == pytest.approx(predictions[2]["outputs"], rel=1e-5)
    # The same image scores the same, whichever way it is sent.
    again = client.predict(models["name"], Path(images[0]))[0]
    assert again["outputs"] == pytest.approx(predictions[0]["outputs"], rel=1e-5)


def test_predict_ids_metadata_and_retries(client, models):
    name = models["name"]
    # One id for several images: the service numbers them.
    batch = client.predict(name, [small_image(2), small_image(3)], transaction_ids="batch-a", metadata={"camera": 7})
    assert [p["transaction_id"] for p in batch] == ["batch-a.0", "batch-a.1"]
    assert client.transaction("batch-a.1")["metadata"] == {"camera": 7}
    # One id and one metadata object (or None) per image.
    each = client.predict(name, [small_image(4), small_image(5), small_image(8)], transaction_ids=["one:1", "one:2", "one:3"],
                          metadata=[{"n": 1}, {"n": "two"}, None])
    assert [p["transaction_id"] for p in each] == ["one:1", "one:2", "one:3"]
    assert client.transaction("one:2")["metadata"] == {"n": "two"}
    assert client.transaction("one:3")["metadata"] is None
    # One image with its id and metadata (sent as it is, with X-Transaction-Id and X-Metadata).
    [single] = client.predict(name, small_image(9), transaction_ids="single", metadata={"ü": [1, 2]})
    assert single["transaction_id"] == "single"
    assert client.transaction("single")["metadata"] == {"ü": [1, 2]}
    # A retry with the same id and image is the logged transaction; another image is a conflict.
    retry = client.predict(name, small_image(4), transaction_ids="one:1")
    assert retry[0]["transaction_id"] == "one:1"
    assert retry[0]["outputs"] == pytest.approx(each[0]["outputs"])
    with pytest.raises(ServiceError) as e:
        client.predict(name, small_image(6), transaction_ids="one:1")
    assert e.value.status == 409 and e.value.code == "conflict"
    with pytest.raises(ValueError, match="one per image"):
        client.predict(name, [small_image(4)], transaction_ids=["x", "y"])


def test_log_payloads(client, models):
    outputs = [0.1, 0.2, 0.3, 0.4]
    ids = client.log_payloads(models["name"], [
        {"image": small_image(7), "outputs": outputs, "transaction_id": "elsewhere-1", "metadata": {"k": 1},
         "latency_ms": 3.5},
        {"image": photo(), "outputs": np.array([0.7, 0.1, 0.1, 0.1])}])
    assert len(ids) == 2 and ids[0] == "elsewhere-1"
    t = client.transaction("elsewhere-1")
    assert t["source"] == "payload" and t["outputs"] == pytest.approx(outputs)
    assert t["label"] == models["classes"][3] and t["metadata"] == {"k": 1}
    assert client.transaction(ids[1])["label"] == models["classes"][0]


def test_transactions_by_pages(client, server, models, three):
    pages = []

    class Counting(Client):
        def _json(self, method, path, **kw):
            answer = super()._json(method, path, **kw)
            if path == "/v1/transactions":
                pages.append(len(answer["transactions"]))
            return answer

    counting = Counting(server.url)
    everything = list(client.transactions(limit=1000))
    assert len(everything) >= 3
    paged = list(counting.transactions(limit=2))
    assert [t["id"] for t in paged] == [t["id"] for t in everything]
    assert len(pages) >= 2 and all(n <= 2 for n in pages), pages   # the cursors were followed
    assert len(set(t["id"] for t in paged)) == len(paged)
    times = [t["time"] for t in paged]
    assert times == sorted(times, reverse=True)                      # newest first
    ids = {p["transaction_id"] for p in three[1]}
    assert ids <= {t["id"] for t in paged}
    # Filters: by model, by label, by time.
    assert {t["id"] for t in client.transactions(model=models["name"], limit=2)} == {t["id"] for t in everything}
    assert list(client.transactions(model="no-such-model")) == []
    label = three[1][0]["label"]
    by_label = list(client.transactions(label=label, limit=2))
    assert by_label and all(t["label"] == label for t in by_label)
    assert list(client.transactions(since=int(time.time() * 1000) + 3_600_000)) == []
    assert len(list(client.transactions(until=int(time.time() * 1000) + 3_600_000, limit=2))) == len(everything)


def test_explain_waits_and_gives_panes(client, models, three):
    name = models["name"]
    settings = client.set_explainability(name, num_samples=200, segments=25, top_labels=2, seed=3)
    assert settings["num_samples"] == 200 and settings["segments"] == 25
    assert client.explainability(name)["top_labels"] == 2
    ids = [p["transaction_id"] for p in three[1]]
    results = client.explain(ids, wait=EXPLAIN_WAIT)
    assert [r.transaction_id for r in results] == ids
    for r in results:
        assert r.status == "finished", r
        record = r.record
        assert record["kind"] == "explanation" and record["schema_version"] == 1
        assert record["predicted"] in models["classes"]
        assert record["settings"]["num_samples"] == 200
        assert len(record["labels"]) == 2
        validate_record(record)
        # The panes, per explained label, as numpy arrays.
        labels = [entry["label"] for entry in record["labels"]]
        assert sorted(r.panes) == sorted(labels)
        for label, panes in r.panes.items():
            assert panes.label == label and panes.name == models["classes"][label]
            for kind in ("positive", "negative", "heatmap", "input"):
                array = getattr(panes, kind)
                assert isinstance(array, np.ndarray) and array.dtype == np.uint8, kind
                assert array.ndim == 3 and array.shape[2] in (3, 4), (kind, array.shape)
            # positive, negative and heatmap drawn at >= 224 px a side (docs/records.md), the same size
            assert panes.positive.shape == panes.negative.shape == panes.heatmap.shape
            assert min(panes.positive.shape[:2]) >= 224, panes.positive.shape
            assert panes.input.shape[0] == panes.input.shape[1]  # square, as the model's input
    # The same transactions with the same settings: the same tasks (the cache), at once.
    again = client.explain(ids, panes=False)
    assert [r.id for r in again] == [r.id for r in results]
    assert all(r.finished and r.record is not None and r.panes == {} for r in again)
    # The task by id, listed, and as a result.
    task = client.task(results[0].id)
    assert task["status"] == "finished" and task["transaction_id"] == ids[0]
    assert results[0].id in [t["id"] for t in client.explanations(transaction=ids[0])]
    assert client.result(results[0].id).record["labels"][0]["weights"] == record_weights(results[0])
    assert {e["id"] for e in client.transaction(ids[0])["explanations"]} >= {results[0].id}


def record_weights(result):
    return result.record["labels"][0]["weights"]


def test_explain_without_wait_then_wait_for_and_cancel(client, models):
    name = models["name"]
    [p] = client.predict(name, small_image(11))
    [queued] = client.explain(p["transaction_id"], overrides={"num_samples": 150, "seed": 11},
                              idempotency_key="key-11")
    assert queued.status in ("queued", "running", "finished")
    # The same key replays the first answer: the same task.
    [replayed] = client.explain(p["transaction_id"], overrides={"num_samples": 150, "seed": 11},
                                idempotency_key="key-11", panes=False)
    assert replayed.id == queued.id
    # The key for another request is a conflict.
    [other] = client.predict(name, small_image(14))
    with pytest.raises(ServiceError) as e:
        client.explain(other["transaction_id"], idempotency_key="key-11")
    assert (e.value.status, e.value.code, e.value.parameter) == (409, "conflict", "Idempotency-Key"), e.value
    [done] = client.wait_for(queued.id, timeout=EXPLAIN_WAIT)
    assert done.status == "finished" and done.record["settings"]["num_samples"] == 150
    # Cancelling: a task queued behind a slow one is cancelled at once.
    [slow] = client.predict(name, small_image(12))
    [later] = client.predict(name, small_image(13))
    tasks = client.explain([slow["transaction_id"], later["transaction_id"]], overrides={"num_samples": 3000})
    cancelled = client.cancel(tasks[1].id)
    assert cancelled["id"] == tasks[1].id
    [state] = client.wait_for(tasks[1].id, timeout=EXPLAIN_WAIT, panes=False)
    assert state.status == "cancelled", state
    client.cancel(tasks[0].id)
    assert client.wait_for(tasks[0].id, timeout=EXPLAIN_WAIT, panes=False)[0].status in ("cancelled", "finished")


def test_explain_image_in_one_call(client, models):
    # The service waits (at most 60 s) for the explanation: a 32x32 image's takes well under that.
    result = client.explain_image(models["name"], small_image(21), wait=60, transaction_id="direct-1",
                                  metadata={"via": "explain_image"})
    assert result.transaction_id == "direct-1" and result.prediction["transaction_id"] == "direct-1"
    assert result.prediction["label"] in models["classes"]
    assert result.finished and result.panes, result
    assert result.record["transaction_id"] == "direct-1"
    assert client.transaction("direct-1")["metadata"] == {"via": "explain_image"}


def test_errors_are_service_errors(client, models):
    with pytest.raises(ServiceError) as e:
        client.transaction("tx-that-is-not-there")
    err = e.value
    assert (err.status, err.code) == (404, "not_found")
    assert err.parameter == "transaction" and err.value == "tx-that-is-not-there" and err.expected and err.message
    assert "404 not_found" in str(err) and "/v1/transactions/tx-that-is-not-there" in str(err)
    for call in (lambda: client.task("no-such-task"), lambda: client.image("tx-that-is-not-there"),
                 lambda: client.predict("no-such-model", small_image(1)), lambda: client.explain(["tx-that-is-not-there"])):
        with pytest.raises(ServiceError) as e:
            call()
        assert (e.value.status, e.value.code) == (404, "not_found"), e.value
    with pytest.raises(ServiceError) as e:
        client.set_explainability(models["name"], num_samples=-5)
    assert (e.value.status, e.value.code, e.value.parameter) == (422, "invalid_setting", "num_samples"), e.value
    with pytest.raises(ServiceError) as e:
        client.predict(models["name"], b"not an image at all")
    assert e.value.status in (415, 422) and e.value.code in ("unsupported_media_type", "invalid_image"), e.value
    with pytest.raises(ServiceError) as e:
        client.predict(models["name"], small_image(1), transaction_ids="bad id/with slash")
    assert (e.value.status, e.value.code) == (400, "bad_request"), e.value


def test_connection_failure_names_the_url():
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = Client(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(ConnectionFailed) as e:
        c.health()
    assert f"http://127.0.0.1:{port}/healthz" in str(e.value) and isinstance(e.value, ConnectionError)
    with pytest.raises(ValueError, match="http"):
        Client("127.0.0.1:8080")


def test_tokens(models, tmp_path):
    s = Server(models, str(tmp_path))
    try:
        open_client = Client(s.url)
        assert open_client.predict(models["name"], small_image(31))  # no token yet: open
        read = token(s.db, "read")
        score = token(s.db, "score")
        admin = token(s.db, "admin")
        assert read.startswith("pxl_") and len({read, score, admin}) == 3
        # Now every /v1 route needs a token; /healthz does not.
        assert open_client.health() == {"status": "ok"}
        with pytest.raises(ServiceError) as e:
            list(open_client.transactions())
        assert (e.value.status, e.value.code) == (401, "unauthorized"), e.value
        with pytest.raises(ServiceError) as e:
            Client(s.url, token="pxl_nobody_0000").models()
        assert (e.value.status, e.value.code) == (401, "unauthorized"), e.value
        # read: reads, cannot score, explain or change settings.
        reader = Client(s.url, token=read)
        assert len(list(reader.transactions())) == 1
        with pytest.raises(ServiceError) as e:
            reader.predict(models["name"], small_image(32))
        assert (e.value.status, e.value.code) == (403, "forbidden"), e.value
        with pytest.raises(ServiceError) as e:
            reader.explain([next(reader.transactions())["id"]])
        assert e.value.status == 403
        with pytest.raises(ServiceError) as e:
            reader.set_explainability(models["name"], num_samples=100)
        assert e.value.status == 403
        # score: scores; admin: everything.
        scorer = Client(s.url, token=score)
        assert scorer.predict(models["name"], small_image(33))[0]["transaction_id"]
        with pytest.raises(ServiceError) as e:
            list(scorer.transactions())
        assert e.value.status == 403
        boss = Client(s.url, token=admin)
        assert boss.set_explainability(models["name"], num_samples=100)["num_samples"] == 100
        assert len(list(boss.transactions(limit=1))) == 2
        # A revoked token is refused.
        listed = run_cli("serve", "token", "list", "--db", s.db).stdout
        read_id = read.split("_")[1]
        assert read_id in listed
        run_cli("serve", "token", "revoke", "--db", s.db, read_id)
        with pytest.raises(ServiceError) as e:
            reader.models()
        assert e.value.status in (401, 403), e.value
    finally:
        assert s.stop() == 0, s.stderr()


def token(db, scope):
    out = run_cli("serve", "token", "add", "--db", db, "--scope", scope, "--note", f"test {scope}").stdout
    m = re.search(r"pxl_[A-Za-z0-9]+_[A-Za-z0-9]+", out)
    assert m, f"no token in `pixlime serve token add`'s output: {out!r}"
    return m.group(0)


def validate_record(record):
    """The record follows app/schema/record.schema.json (where jsonschema is installed)."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return
    sys.path.insert(0, str(SOURCE / "app" / "tests"))
    try:
        import validate_records
    finally:
        sys.path.pop(0)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validate_records.validator().iter_errors(record)]
    assert problems == [], problems


# -- without a service ---------------------------------------------------------------------------------

def native_module():
    return getattr(pixlime._pixlime, "__name__", "") == "pixlime._pixlime"


@pytest.mark.parametrize("channels", [0, 1, 2, 3, 4])
def test_png_writer_and_reader(channels):
    rng = np.random.default_rng(channels)
    shape = (19, 23) if channels == 0 else (19, 23, channels)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    expected = image if channels else image[:, :, None]
    for png in (pc._encode_png_python(expected), pc.encode_png(image), pc.encode_png(image[::-1, ::2])):
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert np.array_equal(pc.decode_png(pc._encode_png_python(expected)), expected)
    assert np.array_equal(pc.decode_png(pc.encode_png(image[::-1, ::2])), expected[::-1, ::2])
    if native_module():
        # The pure-Python reader reads what pixlime writes (stb_image_write: every PNG filter), and
        # pixlime reads what the pure-Python writer writes.
        for picture in (expected, np.ascontiguousarray(np.broadcast_to(expected[:1], expected.shape))):
            assert np.array_equal(pc.decode_png(pixlime.encode_png(picture)), picture)
            assert np.array_equal(pixlime.decode_image(pc._encode_png_python(picture)), picture)
    with pytest.raises(ValueError, match="uint8"):
        pc.encode_png(image.astype(np.float32))


def test_png_reader_on_photos():
    for path in sorted(IMAGES.glob("*_224.png"))[:2]:
        data = path.read_bytes()
        if native_module():
            assert np.array_equal(pc.decode_png(data), pixlime.decode_image(data))
        else:
            assert pc.decode_png(data).shape[:2] == (224, 224)


def test_content_types():
    assert pc.content_type(Path(photo()).read_bytes()) == "image/png"
    assert pc.content_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert pc.content_type(b"BM....") == "image/bmp"
    assert pc.content_type(b"GIF89a...") == "image/gif"
    assert pc.content_type(b"P6\n3 2\n255\n") == "image/x-portable-anymap"
    assert pc.content_type(b"what") == "application/octet-stream"
    with pytest.raises(TypeError, match="file path"):
        pc.image_bytes(3.5)


def test_imports_without_the_compiled_module(tmp_path):
    """A package folder without pixlime._pixlime: pixlime.client imports and works (its own PNG
    codec); pixlime.explain says the module is not built."""
    package = tmp_path / "pixlime"
    package.mkdir()
    for f in Path(pixlime.__file__).parent.glob("*.py"):
        shutil.copy(f, package / f.name)
    script = (
        "import numpy as np, pixlime, pixlime.client as c\n"
        f"assert pixlime.__file__ == {str(package / '__init__.py')!r}, pixlime.__file__\n"
        "a = (np.arange(6 * 5 * 3) % 256).astype(np.uint8).reshape(6, 5, 3)\n"
        "assert c._native('encode_png') is None and c._native('decode_image') is None\n"
        "assert np.array_equal(c.decode_image(c.encode_png(a)), a)\n"
        "try:\n    pixlime.explain(a, lambda b: b)\nexcept ImportError as e:\n    print('ImportError:', e)\n"
        "try:\n    pixlime.slic_options(num_segments=4)\nexcept ImportError as e:\n    print('ImportError:', e)\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    for name in ("explain", "slic_options"):
        assert f"ImportError: pixlime.{name}: pixlime's compiled module, pixlime._pixlime, is not built" in p.stdout, p.stdout
