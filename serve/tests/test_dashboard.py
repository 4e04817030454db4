"""`pixlime serve`'s dashboard (serve/web/) in headless Chromium, against the real server.

A small CNN is built here with torch (tests/models/make_models.py), `pixlime serve` is started on
an ephemeral port with a fresh database, three photos are scored through the API, and the page at
/ is driven through Debian's chromedriver with the W3C WebDriver protocol spoken by the standard
library (urllib + json; no selenium): the table lists the transactions, Explain on a row runs an
explanation to the end, the transaction's view shows the input, the positive pane, the negative
pane and the heatmap (every <img> decoded), the explained labels can be switched, an API error is
shown, and a 401 asks for a token that is then sent. Screenshots go to dashboard.png and
dashboard_transaction.png in the working folder (PIXLIME_SCREENSHOTS=docs/images for the docs').

Environment: PIXLIME_CLI = the built pixlime command (with `serve`), PIXLIME_SOURCE = the
repository, PIXLIME_SCREENSHOTS = another folder for the screenshots (default: the working folder). Skips
(with the reason) without PIXLIME_CLI, a pixlime with `serve`, chromium/chromedriver or torch.

The page's hooks (ids, classes, data-status) are listed at the top of serve/web/app.js."""

import base64
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

import pytest

CLI = os.environ.get("PIXLIME_CLI", "")
SOURCE = os.environ.get("PIXLIME_SOURCE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IMAGES = os.path.join(SOURCE, "tests", "data", "images")
# Where the screenshots go: the working folder (ctest's: the build tree), so that a test run never
# rewrites the repository; PIXLIME_SCREENSHOTS=docs/images refreshes the documentation's.
SHOTS = os.environ.get("PIXLIME_SCREENSHOTS") or os.getcwd()
CHROMEDRIVER = "/usr/bin/chromedriver"
SIZE = 32                   # the test CNN's input side
EXPLAIN_TIMEOUT = 120       # seconds for one explanation to finish, as the page shows it
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element reference key


def wait_for(what, fn, timeout=30.0, interval=0.2):
    """fn()'s first truthy value, polled; an AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
        except WebDriverError as e:  # e.g. a stale element while the page re-renders
            last = e
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")
        time.sleep(interval)


def read_file(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def stop(proc, timeout=20, group=False):
    """SIGTERM then, after `timeout` seconds, SIGKILL: the process we started (or its process group)."""
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    send = (lambda s: os.killpg(proc.pid, s)) if group else proc.send_signal
    try:
        send(signal.SIGTERM)
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        return proc.wait(timeout=timeout)
    except ProcessLookupError:
        return proc.wait(timeout=timeout)


# ------------------------------------------------------------------ WebDriver, with urllib

class WebDriverError(Exception):
    pass


class Browser:
    """Headless Chromium through chromedriver (W3C WebDriver), started on an ephemeral port."""

    def __init__(self, log_dir):
        self.log = os.path.join(log_dir, "chromedriver.log")
        with open(self.log, "w") as out:
            # its own process group: chromedriver and the browsers it starts are stopped together
            self.proc = subprocess.Popen([CHROMEDRIVER, "--port=0"], stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.session = None
        try:
            m = wait_for("chromedriver's port", lambda: self.proc.poll() is None and
                         re.search(r"started successfully on port (\d+)", read_file(self.log)) or
                         (self.proc.poll() is not None and "exited"), timeout=30)
            if m == "exited":
                raise AssertionError("chromedriver exited: " + read_file(self.log))
            self.base = f"http://127.0.0.1:{m.group(1)}"
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                                                "--no-first-run", "--disable-background-networking",
                                                "--disable-dev-shm-usage"]},
                "goog:loggingPrefs": {"browser": "ALL"},
                "timeouts": {"script": 30000, "pageLoad": 30000}}}}
            self.session = self._call("POST", "/session", caps, timeout=120)["sessionId"]
        except BaseException:
            self.close()
            raise

    def _call(self, method, path, body=None, timeout=60):
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            try:
                v = json.loads(e.read()).get("value", {})
            except ValueError:
                v = {}
            raise WebDriverError(f"{method} {path}: {v.get('error', e.code)}: {v.get('message', '')[:500]}") from None

    def s(self, method, path, body=None, timeout=60):
        return self._call(method, f"/session/{self.session}{path}", body, timeout)

    def get(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        """The elements matching css (their ids), possibly none."""
        return [e[ELEMENT] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def one(self, css):
        found = self.find(css)
        assert len(found) == 1, f"{css!r}: {len(found)} elements"
        return found[0]

    def click(self, element):
        self.s("POST", f"/element/{element}/click")

    def type(self, element, text):
        self.s("POST", f"/element/{element}/value", {"text": text})

    def text(self, css):
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css)

    def visible(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return !!e && !e.closest('[hidden]') && e.getClientRects().length > 0;", css)

    def images(self):
        """Every <img> of the page: {src, alt, complete, width (natural), visible}."""
        return self.js("return [...document.images].map(i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt'),"
                       " complete: i.complete, width: i.naturalWidth, visible: i.getClientRects().length > 0}));")

    def screenshot(self, path):
        """A PNG of the whole page, as tall as its content (Chrome's DevTools capture through
        chromedriver; the window's screenshot where that is refused)."""
        size = self.js("const r = document.body.getBoundingClientRect();"
                       "return [Math.ceil(r.right + window.scrollX + 24), Math.ceil(r.bottom + window.scrollY + 24)];")
        try:
            png = self.s("POST", "/goog/cdp/execute", {"cmd": "Page.captureScreenshot", "params": {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}}})["data"]
        except WebDriverError:
            png = self.s("GET", "/screenshot")
        png = base64.b64decode(png)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png)
        assert png.startswith(b"\x89PNG") and len(png) > 10000, path

    def console_errors(self):
        """The page's JavaScript errors since the last call (not the 4xx answers the tests ask for)."""
        try:
            entries = self.s("POST", "/se/log", {"type": "browser"})
        except WebDriverError:
            return []
        return [e["message"] for e in entries or []
                if e.get("level") == "SEVERE" and "Failed to load resource" not in e.get("message", "")]

    def close(self):
        if self.session:
            try:
                self._call("DELETE", f"/session/{self.session}", timeout=30)
            except Exception:
                pass
            self.session = None
        stop(self.proc, timeout=10, group=True)


# ------------------------------------------------------------------ the server

def api(base, method, path, body=None, headers=None, timeout=60):
    """(status, JSON) of an API call; errors too."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    h = dict(headers or {})
    if data is not None and "Content-Type" not in h:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def environment():
    """The command's environment: without the interpreter's LD_PRELOAD (an ASan build preloads its
    runtime into Python; the command links its own)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def backends():
    out = subprocess.run([CLI, "--version"], capture_output=True, text=True, timeout=60, env=environment()).stdout
    m = re.search(r"\(backends: ([^)]*)\)", out)
    return set(b.strip() for b in m.group(1).split(",") if b.strip()) if m else set()


class Served:
    pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`pixlime serve` on an ephemeral port with a fresh database and the test CNN, three photos scored."""
    if not CLI or not os.access(CLI, os.X_OK):
        pytest.skip("PIXLIME_CLI does not name the built pixlime command")
    if not os.access(CHROMEDRIVER, os.X_OK) or not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("Chromium or its WebDriver is not installed (Debian: apt-get install chromium chromium-driver)")
    if "serve" not in subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=60, env=environment()).stdout:
        pytest.skip("this pixlime was built without `serve` (it needs libcpp-httplib-dev and libsqlite3-dev)")
    tmp = tmp_path_factory.mktemp("dashboard")
    models = tmp / "models"
    p = subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "models", "make_models.py"), str(models),
                        "--size", str(SIZE)], capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        pytest.skip(p.stdout + p.stderr)
    assert p.returncode == 0, p.stdout + p.stderr
    have = backends()
    model = models / ("cnn.pt" if "torch" in have else "cnn.onnx")
    if "torch" not in have and "onnx" not in have:
        pytest.skip("this pixlime was built without an inference backend")
    srv = Served()
    srv.tmp, srv.db = tmp, tmp / "db.sqlite"
    srv.err = tmp / "serve.stderr"
    with open(srv.err, "w") as err, open(tmp / "serve.stdout", "w") as out:
        srv.proc = subprocess.Popen([CLI, "serve", "--model", str(model), "--input", f"{SIZE}x{SIZE}", "--labels",
                                     str(models / "labels.txt"), "--db", str(srv.db), "--port", "0"],
                                    stdout=out, stderr=err, cwd=tmp, env=environment())
    try:
        m = wait_for("`pixlime serve: listening on http://...` on its stderr",
                     lambda: re.search(r"listening on (http://[^\s/]+)", read_file(srv.err)) or
                     (srv.proc.poll() is not None and f"exited {srv.proc.returncode}"), timeout=60)
        assert not isinstance(m, str), f"pixlime serve {m}: {read_file(srv.err)}"
        srv.url = m.group(1)
        wait_for("/readyz", lambda: api(srv.url, "GET", "/readyz")[0] == 200, timeout=60)
        # Two explained labels (the label selector has a choice), few samples (quick).
        status, body = api(srv.url, "PUT", "/v1/models/cnn/explainability",
                           {"num_samples": 300, "segments": 30, "top_labels": 2, "seed": 1})
        assert status == 200, body
        srv.tx = {}
        for name, tx_id in (("chelsea_224.png", None), ("coffee_224.png", None), ("rocket_224.png", "rocket:42")):
            with open(os.path.join(IMAGES, name), "rb") as f:
                png = f.read()
            headers = {"Content-Type": "image/png"}
            if tx_id:
                headers["X-Transaction-Id"] = tx_id
            status, body = api(srv.url, "POST", "/v1/models/cnn:predict", png, headers)
            assert status == 200, body
            (pred,) = body["predictions"]
            assert not tx_id or pred["transaction_id"] == tx_id
            srv.tx[name] = pred
            time.sleep(0.01)  # distinct times: the table's order is the scoring order, newest first
        yield srv
    finally:
        rc = stop(srv.proc, timeout=30)
        print(f"pixlime serve exited {rc}; its stderr:\n{read_file(srv.err)[-3000:]}")


@pytest.fixture(scope="module")
def browser(served):
    b = Browser(served.tmp)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(autouse=True)
def no_script_errors(request):
    yield
    if "browser" in request.fixturenames:
        b = request.getfixturevalue("browser")
        assert b.console_errors() == []


def rows(b):
    """The table's rows: [{id, label, p, status, text}], top to bottom."""
    return b.js("return [...document.querySelectorAll('#transactions tbody tr.tx-row')].map(r => ({"
                "id: r.dataset.id, label: r.querySelector('td.label').textContent,"
                "p: r.querySelector('td.probability').textContent,"
                "status: r.querySelector('td.status').dataset.status, text: r.textContent}));")


def row_of(b, tx_id):
    return b.find(f'#transactions tr.tx-row[data-id="{tx_id}"]')


def all_images_loaded(b, count):
    imgs = b.images()
    return len(imgs) == count and all(i["complete"] and i["width"] > 0 for i in imgs) and imgs


def open_list(b, served):
    b.get(served.url + "/")
    shown = wait_for("the table's 3 rows", lambda: len(rows(b)) == 3 and rows(b))
    # the stylesheet applies (style.css: the page's background, the badges)
    assert b.js("return getComputedStyle(document.body).backgroundColor;") == "rgb(250, 250, 250)", "style.css not applied"
    return shown


# ------------------------------------------------------------------ the tests

def test_the_dashboard_files_are_served_with_their_types(served):
    for path, kind, needle in (("/", "text/html", b'src="ui/app.js"'), ("/ui/app.js", "text/javascript", b"#label-select"),
                               ("/ui/style.css", "text/css", b"#transactions")):
        with urllib.request.urlopen(served.url + path, timeout=30) as r:
            body, ctype = r.read(), r.headers.get("Content-Type", "")
        assert ctype.split(";")[0].strip() == kind, f"{path}: Content-Type {ctype!r}, expected {kind}"
        assert needle in body, path
        with open(os.path.join(SOURCE, "serve", "web", "index.html" if path == "/" else path[4:]), "rb") as f:
            assert body == f.read(), f"{path} is not serve/web's file (a stale build?)"


def test_the_table_lists_the_scored_transactions(served, browser):
    b = browser
    shown = open_list(b, served)
    preds = list(served.tx.values())
    assert [r["id"] for r in shown] == [p["transaction_id"] for p in reversed(preds)]  # newest first
    for r, p in zip(shown, reversed(preds)):
        assert r["label"] == p["label"] and abs(float(r["p"]) - p["probability"]) <= 0.0005 + 1e-9, (r, p)
        assert r["status"] == "none" and "not explained" in r["text"]
        assert "cnn" in r["text"]
    assert len(b.find("#transactions .explain-button")) == 3
    assert not b.visible("#message") and not b.visible("#token-form")
    assert b.visible("#load-more") is False  # 3 of 3: no next page
    # the model filter names the model; the label filter keeps only that class
    assert b.js("return [...document.querySelectorAll('#filter-model option')].map(o => o.value);") == ["", "cnn"]
    label = shown[0]["label"]
    b.js("const s = document.getElementById('filter-label'); s.value = arguments[0];"
         "s.dispatchEvent(new Event('change'));", label)
    wanted = sorted(r["id"] for r in shown if r["label"] == label)
    wait_for(f"only the rows predicted {label}", lambda: sorted(r["id"] for r in rows(b)) == wanted)
    b.js("const s = document.getElementById('filter-label'); s.value = '';s.dispatchEvent(new Event('change'));")
    wait_for("the 3 rows again", lambda: len(rows(b)) == 3)


def test_explain_on_a_row_then_the_transaction_shows_its_panes(served, browser):
    b = browser
    open_list(b, served)
    tx_id = served.tx["chelsea_224.png"]["transaction_id"]
    (row,) = row_of(b, tx_id)
    (button,) = b.s("POST", f"/element/{row}/elements", {"using": "css selector", "value": ".explain-button"})
    b.click(button[ELEMENT])
    seen = set()

    def finished():
        (r,) = [r for r in rows(b) if r["id"] == tx_id]
        seen.add(r["status"])
        assert r["status"] not in ("failed", "cancelled"), r
        return r["status"] == "finished"
    wait_for(f"transaction {tx_id}'s explanation to finish", finished, timeout=EXPLAIN_TIMEOUT)
    assert seen <= {"none", "queued", "running", "finished"}, seen
    others = [r for r in rows(b) if r["id"] != tx_id]
    assert [r["status"] for r in others] == ["none", "none"]  # only that row was explained
    assert not b.visible("#message"), b.text("#message-text")
    b.screenshot(os.path.join(SHOTS, "dashboard.png"))

    # a click on the row (not on its link or button) opens the transaction
    (cell,) = b.s("POST", f"/element/{row_of(b, tx_id)[0]}/elements", {"using": "css selector", "value": "td.time"})
    b.click(cell[ELEMENT])
    wait_for("the transaction view", lambda: b.visible("#transaction-view") and not b.visible("#list-view"))
    assert b.js("return location.hash;") == "#/transactions/" + tx_id
    assert tx_id in b.text("#tx-title")
    wait_for("the task's status", lambda: b.js("return document.getElementById('task-status').dataset.status;") == "finished")
    imgs = wait_for("the 4 panes, every image decoded", lambda: all_images_loaded(b, 4), timeout=30)
    assert [i["alt"] for i in imgs] and all(i["alt"] and i["visible"] for i in imgs), imgs
    kinds = b.js("return [...document.querySelectorAll('#panes img')].map(i => i.dataset.pane);")
    assert kinds == ["input", "positive", "negative", "heatmap"]
    options = b.js("return [...document.querySelectorAll('#label-select option')].map(o => [o.value, o.textContent]);")
    assert len(options) == 2, options  # top_labels 2
    pred = served.tx["chelsea_224.png"]
    assert options[0] == [str(pred["label_index"]), pred["label"]] or options[0][1] == pred["label"], options
    assert options[0][1] in b.text("#panes"), b.text("#panes")
    unc = b.text("#uncertainty")
    assert "top-5 stability" in unc and "300 model calls" in unc and "target" in unc, unc
    settings, timings = b.text("#settings"), b.text("#timings")
    assert "num_samples" in settings and "300" in settings and "top_labels" in settings, settings
    assert "total" in timings, timings
    assert b.js("return document.querySelectorAll('#side tbody tr').length;") == 2
    b.screenshot(os.path.join(SHOTS, "dashboard_transaction.png"))

    # the other explained label: other panes, all decoded, the captions name it
    before = [i["src"] for i in imgs]
    b.click(b.one(f'#label-select option[value="{options[1][0]}"]'))
    wait_for("the second label's panes", lambda: (lambda now: len(now) == 4 and now[1]["src"] != before[1]
                                                                and all_images_loaded(b, 4))(b.images()))
    positive = b.text('#panes figure[data-pane="positive"] figcaption')
    assert options[1][1] in positive and options[0][1] not in positive, positive
    assert b.text("#side tr.selected td").startswith(options[1][1])
    assert "top-5 stability" in b.text("#uncertainty")


def test_explain_in_the_transaction_view_shows_progress_then_the_panes(served, browser):
    b = browser
    tx_id = served.tx["rocket_224.png"]["transaction_id"]  # "rocket:42": escaped in the hash
    b.get(served.url + "/#/transactions/" + urllib.request.quote(tx_id, safe=""))
    wait_for("the input alone, decoded", lambda: all_images_loaded(b, 1))
    assert b.js("return document.getElementById('task-status').dataset.status;") == "none"
    assert tx_id in b.text("#tx-title") and not b.visible("#label-select")
    b.click(b.one("#explain-button"))
    seen = []

    def status():
        s = b.js("const e = document.getElementById('task-status');"
                 "return [e.dataset.status, document.getElementById('task-progress-text').textContent];")
        seen.append(tuple(s))
        assert s[0] not in ("failed", "cancelled"), s
        return s[0] == "finished"
    wait_for("the explanation to finish", status, timeout=EXPLAIN_TIMEOUT, interval=0.05)
    for st, progress in seen:  # while running, "N of 300 samples"
        if st == "running" and progress:
            assert re.fullmatch(r"\d+ of 300 samples", progress), progress
    wait_for("the 4 panes, decoded", lambda: all_images_loaded(b, 4), timeout=30)
    assert len(b.find("#label-select option")) == 2


def test_an_api_error_is_shown(served, browser):
    b = browser
    b.get(served.url + "/#/transactions/no-such-transaction")
    wait_for("the error message", lambda: b.visible("#message"))
    text = b.text("#message-text")
    assert "404" in text and "not_found" in text and "no-such-transaction" in text, text
    assert b.js("return document.getElementById('message').dataset.kind;") == "error"
    b.click(b.one("#message-close"))
    assert not b.visible("#message")


def tiny_png(side=16, rgb=(200, 120, 40)):
    """A side x side PNG of one colour, made with the standard library."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * side for _ in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_load_more_pages_on_with_the_cursor(served, browser):
    b = browser
    b64 = base64.b64encode(tiny_png()).decode()
    payloads = [{"b64": b64, "outputs": [0.1, 0.2, 0.3, 0.4], "transaction_id": f"payload-{i:02d}"} for i in range(50)]
    status, body = api(served.url, "POST", "/v1/models/cnn/payloads", {"payloads": payloads})
    assert status == 201, body
    b.get(served.url + "/")
    wait_for("the first page (50 rows)", lambda: len(rows(b)) == 50 and b.visible("#load-more"))
    b.click(b.one("#load-more"))
    shown = wait_for("the 53 rows", lambda: len(rows(b)) == 53 and rows(b))
    assert not b.visible("#load-more")
    ids = [r["id"] for r in shown]
    assert len(set(ids)) == 53 and set(p["transaction_id"] for p in served.tx.values()) <= set(ids)
    assert [r["label"] for r in shown if r["id"].startswith("payload-")] == ["class_3"] * 50  # outputs' top class


def test_a_401_asks_for_a_token_which_is_then_sent(served, browser):
    b = browser
    p = subprocess.run([CLI, "serve", "token", "add", "--db", str(served.db), "--scope", "read,explain",
                        "--note", "dashboard test"], capture_output=True, text=True, timeout=60, env=environment())
    assert p.returncode == 0, p.stdout + p.stderr
    token = re.search(r"pxl_\S+", p.stdout)
    assert token, p.stdout
    token = token.group(0)
    b.get(served.url + "/")
    b.js("localStorage.clear();")
    b.get(served.url + "/")
    wait_for("the token field", lambda: b.visible("#token-form"))
    assert "401" in b.text("#message-text") and len(rows(b)) == 0
    b.type(b.one("#token-input"), token)
    b.click(b.one("#token-save"))
    wait_for("the table, with the token", lambda: len(rows(b)) >= 3, timeout=30)
    assert not b.visible("#token-form") and not b.visible("#message")
    assert b.js("return localStorage.getItem('pixlime.serve.token');") == token
    # the images of /v1 come with the token too (an explanation made here: the test stands alone)
    tx_id = served.tx["coffee_224.png"]["transaction_id"]
    auth = {"Authorization": "Bearer " + token}
    status, body = api(served.url, "POST", "/v1/explanations", {"transactions": [tx_id]}, auth)
    assert status == 202, body
    task = body["tasks"][0]["id"]
    wait_for("the explanation, through the API", lambda: api(served.url, "GET", f"/v1/explanations/{task}", None,
                                                             auth)[1]["status"] == "finished", timeout=EXPLAIN_TIMEOUT)
    b.get(served.url + "/#/transactions/" + urllib.request.quote(tx_id, safe=""))
    wait_for("the 4 panes, with the token", lambda: all_images_loaded(b, 4), timeout=30)
    # a refused token asks again
    b.js("localStorage.setItem('pixlime.serve.token', 'pxl_0_wrong');")
    b.get(served.url + "/")
    wait_for("the token field again", lambda: b.visible("#token-form") and b.visible("#token-forget"))
    b.js("localStorage.clear();")
