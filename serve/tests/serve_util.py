"""Helpers of the `pixlime serve` tests: a real server process on 127.0.0.1 (an ephemeral port) over
a real SQLite file, HTTP with the standard library, the test CNN built with torch at test time.

PIXLIME_CLI names the built `pixlime` command, PIXLIME_SOURCE the repository (ctest sets both)."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

CLI = os.environ.get("PIXLIME_CLI", "")
SOURCE = os.environ.get("PIXLIME_SOURCE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IMAGES = os.path.join(SOURCE, "tests", "data", "images")
SIZE = 32  # the test CNN's input side: small, so that an explanation takes a fraction of a second


def environment():
    """The command's environment: without the interpreter's LD_PRELOAD (the ASan build preloads its
    runtime into Python; the command links its own)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def run(*args, check=None, timeout=120):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=environment())
    if check is not None and p.returncode != check:
        raise AssertionError(f"exit {p.returncode}, expected {check}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def backends():
    out = run("--version", check=0).stdout
    m = re.search(r"\(backends: ([^)]*)\)", out)
    return set(b.strip() for b in m.group(1).split(",") if b.strip()) if m else set()


def make_models():
    """tests/models/make_models.py's CNN (softmax last, 4 classes, SIZE x SIZE): the folder."""
    if not CLI or not os.access(CLI, os.X_OK):
        pytest.skip("PIXLIME_CLI does not name the built pixlime command")
    if "serve" not in run("--help").stdout:
        pytest.skip("this pixlime was built without `serve` (it needs libcpp-httplib-dev and libsqlite3-dev)")
    out = tempfile.mkdtemp(prefix="pixlime-serve-models-")
    p = subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "models", "make_models.py"), out, "--size", str(SIZE),
                        "--classes", "4"], capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        pytest.skip(p.stdout + p.stderr)
    assert p.returncode == 0, p.stdout + p.stderr
    return out


def model_args(models):
    """--model and its preprocessing: TorchScript when this pixlime has libtorch (sanitizer builds
    do not), else the ONNX export."""
    name = "cnn.pt" if "torch" in backends() else "cnn.onnx"
    return ["--model", os.path.join(models, name), "--name", "cnn", "--input", f"{SIZE}x{SIZE}", "--labels",
            os.path.join(models, "labels.txt")]


class Server:
    """`pixlime serve ARGS --db DB --port 0`, waited for until it listens (at most 60 s)."""

    def __init__(self, db, *args, http=True):
        self.db = str(db)
        self.args = [CLI, "serve", *map(str, args), "--db", self.db]
        if http:
            self.args += ["--port", "0"]
        # The child gets its own open file (O_APPEND); the parent reads through another. One shared
        # descriptor would share its offset too: the parent's seek(0) made the child overwrite the
        # file's start, and a CI run once read ":44257 (database ..." with "listening on" gone.
        fd, self.log_path = tempfile.mkstemp(prefix="pixlime-serve-", suffix=".stderr")
        os.close(fd)
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=log, env=environment())
        self.url = None
        deadline = time.time() + 60
        pattern = r"listening on (http://\S+) " if http else r"worker"
        while time.time() < deadline:
            text = self.stderr()
            m = re.search(pattern, text)
            if m:
                self.url = m.group(1) if http else None
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"pixlime serve exited {self.proc.returncode}: {text}")
            time.sleep(0.05)
        self.kill()
        raise AssertionError("pixlime serve did not start within 60 s: " + self.stderr())

    def stderr(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stops it (SIGTERM: cleanly) and returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"pixlime serve did not stop within {timeout} s: {self.stderr()}")
        return self.proc.returncode

    def kill(self):
        """kill -9."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def call(url, method="GET", body=None, headers=None, token=None, timeout=120):
    """One HTTP request; any status is returned (never raised)."""
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Reply(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, dict(e.headers), e.read())


def image_bytes(name):
    with open(os.path.join(IMAGES, name), "rb") as f:
        return f.read()


def predict(url, data, content_type="image/png", token=None, tx=None, **kw):
    h = {"Content-Type": content_type}
    if tx:
        h["X-Transaction-Id"] = tx
    return call(url + "/v1/models/cnn:predict", "POST", data, h, token=token, **kw)


def wait_task(url, task_id, token=None, until=("finished", "failed", "cancelled"), timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = call(url + "/v1/explanations/" + task_id, token=token).json()
        if t["status"] in until:
            return t
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} not {until} within {timeout} s: {t}")


def check_error(reply, status, code, parameter=None):
    """A JSON error of this status and code (and parameter), with every field of the format."""
    assert reply.status == status, reply
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply.headers
    e = reply.json()["error"]
    assert set(e) == {"code", "parameter", "value", "expected", "message"}, e
    assert e["code"] == code, e
    if parameter is not None:
        assert e["parameter"] == parameter, e
    assert e["message"], e
    return e
