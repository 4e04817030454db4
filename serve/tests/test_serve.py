"""`pixlime serve` end to end: a real server process on 127.0.0.1 over a real SQLite file, the test
CNN built with torch at test time (serve_util.py). Every endpoint, every error status with hostile
bodies, tokens, the cache and idempotency, cancellation, deadlines, kill -9 durability, two
processes sharing one database, the export to a static report."""

import base64
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zlib

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import (CLI, SIZE, SOURCE, Server, call, check_error, image_bytes, make_models, model_args,  # noqa: E402
                        predict, run, wait_task)

PHOTOS = ["astronaut_224.png", "chelsea_224.png", "coffee_224.png", "rocket_224.png"]
FAST = {"num_samples": 200, "segments": 30}  # an explanation in well under a second


@pytest.fixture(scope="module")
def models():
    out = make_models()
    yield out
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture
def server(models, tmp_path):
    with Server(tmp_path / "db.sqlite", *model_args(models), "--workers", "1") as s:
        assert call(s.url + "/v1/models/cnn/explainability", "PUT", FAST).status == 200
        yield s


def png(width, height, rows=None, channels=1):
    """A PNG with this header; rows: the raw scanlines (each with its filter byte), zeros when None."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    color = {1: 0, 3: 2}[channels]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    if rows is None:
        rows = b"".join(b"\x00" + bytes(width * channels) for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------------------------------
# Scoring and the transaction log


def test_predict_logs_each_image_once_and_lists_transactions_by_page(server):
    url = server.url
    ids = []
    for name in PHOTOS:
        r = predict(url, image_bytes(name))
        assert r.status == 200, r
        p = r.json()["predictions"]
        assert len(p) == 1 and len(p[0]["outputs"]) == 4
        assert p[0]["label"] == f"class_{p[0]['label_index']}"
        assert abs(sum(p[0]["outputs"]) - 1) < 1e-4 and p[0]["probability"] == max(p[0]["outputs"])
        ids.append(p[0]["transaction_id"])
    # The same image again: a new transaction, the image stored once.
    again = predict(url, image_bytes(PHOTOS[0])).json()["predictions"][0]
    assert again["outputs"] == pytest.approx(
        call(url + "/v1/transactions/" + ids[0]).json()["outputs"], abs=1e-6)
    with sqlite3.connect(server.db) as db:
        assert db.execute("SELECT count(*) FROM images").fetchone()[0] == 4
        assert db.execute("SELECT count(*) FROM transactions").fetchone()[0] == 5

    t = call(url + "/v1/transactions/" + ids[1]).json()
    assert t["model"] == "cnn" and t["source"] == "predict" and t["image"]["width"] == 224 and t["explanations"] == []
    img = call(url + t["image"]["url"])
    assert img.status == 200 and img.body == image_bytes(PHOTOS[1]) and img.headers["Content-Type"] == "image/png"

    # Pages of 2, newest first, every transaction once.
    seen, cursor, pages = [], "", 0
    while True:
        page = call(url + f"/v1/transactions?limit=2&cursor={cursor}").json()
        seen += [x["id"] for x in page["transactions"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 5 and len(set(seen)) == 5 and seen[-1] == ids[0]
    # Filters: model, label, time range.
    label = t["label"]
    by_label = call(url + f"/v1/transactions?label={label}").json()["transactions"]
    assert by_label and all(x["label"] == label for x in by_label)
    assert call(url + "/v1/transactions?model=other").json()["transactions"] == []
    assert call(url + "/v1/transactions?since=2999-01-01T00:00:00Z").json()["transactions"] == []
    assert len(call(url + "/v1/transactions?until=2999-01-01T00:00:00.000Z&since=0").json()["transactions"]) == 5
    assert len(call(url + "/v1/transactions?since=2000-01-01T00:00:00.123456%2B00:00").json()["transactions"]) == 5


def test_kserve_json_metadata_and_caller_ids(server):
    url = server.url
    body = {"instances": [{"b64": base64.b64encode(image_bytes(n)).decode()} for n in PHOTOS[:2]], "metadata": {"user": "ann"}}
    r = call(url + "/v1/models/cnn:predict", "POST", body, {"X-Transaction-Id": "batch-7"})
    assert r.status == 200, r
    assert [p["transaction_id"] for p in r.json()["predictions"]] == ["batch-7.0", "batch-7.1"]
    t = call(url + "/v1/transactions/batch-7.1").json()
    assert t["metadata"] == {"user": "ann"} and t["image"]["content_type"] == "image/png"
    # A retry with the same id and image is answered from the log; another image is a conflict.
    first = predict(url, image_bytes(PHOTOS[2]), tx="retry-1")
    assert first.status == 200
    second = predict(url, image_bytes(PHOTOS[2]), tx="retry-1")
    assert second.status == 200 and second.json()["predictions"] == first.json()["predictions"]
    check_error(predict(url, image_bytes(PHOTOS[3]), tx="retry-1"), 409, "conflict", "X-Transaction-Id")
    # Each instance its own id and metadata; the metadata's input becomes the record's.
    body = {"instances": [{"b64": base64.b64encode(image_bytes(PHOTOS[3])).decode(), "transaction_id": "own-1",
                           "metadata": {"input": "photos/rocket.png", "true_label": "class_2"}}]}
    assert call(url + "/v1/models/cnn:predict", "POST", body).json()["predictions"][0]["transaction_id"] == "own-1"
    task = call(url + "/v1/explanations", "POST", {"transactions": ["own-1"]}).json()["tasks"][0]
    record = wait_task(url, task["id"])["record"]
    assert record["input"] == "photos/rocket.png" and record["metadata"]["true_label"] == "class_2"
    check_error(call(url + "/v1/models/cnn:predict", "POST", {"instances": [{"b64": body["instances"][0]["b64"], "metadata": 3}]}), 400,
                "bad_request", "instances[0].metadata")
    other = base64.b64encode(image_bytes(PHOTOS[0])).decode()
    check_error(call(url + "/v1/models/cnn:predict", "POST", {"instances": [{"b64": other, "transaction_id": "own-1"}]}), 409, "conflict",
                "instances[0].transaction_id")
    # X-Metadata on an image body.
    r = call(url + "/v1/models/cnn:predict", "POST", image_bytes(PHOTOS[3]), {"Content-Type": "image/png", "X-Metadata": '{"k": 1}'})
    assert call(url + "/v1/transactions/" + r.json()["predictions"][0]["transaction_id"]).json()["metadata"] == {"k": 1}


def test_payloads_log_transactions_scored_elsewhere(server):
    url = server.url
    b64 = base64.b64encode(image_bytes(PHOTOS[0])).decode()
    r = call(url + "/v1/models/cnn/payloads", "POST",
             {"payloads": [{"b64": b64, "outputs": [0.1, 0.7, 0.1, 0.1], "transaction_id": "ext-1", "latency_ms": 12.5,
                            "metadata": {"from": "edge"}}]})
    assert r.status == 201 and r.json() == {"transactions": ["ext-1"]}, r
    t = call(url + "/v1/transactions/ext-1").json()
    assert t["source"] == "payload" and t["label"] == "class_1" and t["probability"] == pytest.approx(0.7)
    assert t["latency_ms"] == 12.5 and t["metadata"] == {"from": "edge"}
    other = base64.b64encode(image_bytes(PHOTOS[1])).decode()  # another image under the same id: a conflict
    check_error(call(url + "/v1/models/cnn/payloads", "POST", {"payloads": [{"b64": b64, "outputs": ["x"]}]}), 400, "bad_request",
                "payloads[0].outputs")
    check_error(call(url + "/v1/models/cnn/payloads", "POST", {"payloads": [{"b64": b64}]}), 400, "bad_request", "payloads[0].outputs")
    check_error(call(url + "/v1/models/cnn/payloads", "POST", {"payloads": []}), 400, "bad_request", "payloads")
    check_error(call(url + "/v1/models/cnn/payloads", "POST", {"payloads": [{"b64": b64, "outputs": [0.5, 0.5]}]}), 400, "bad_request",
                "payloads[0].outputs")  # 2 values for a model of 4 outputs
    check_error(call(url + "/v1/models/cnn/payloads", "POST", {"payloads": [{"b64": other, "outputs": [1, 0, 0, 0], "transaction_id": "ext-1"},
                                                                           ]}), 409, "conflict", "payloads[0].transaction_id")


# ---------------------------------------------------------------------------------------------
# Explainability and explanations


def test_explainability_is_validated_with_the_library_s_own_errors(server):
    url = server.url + "/v1/models/cnn/explainability"
    e = call(url).json()
    assert e["enabled"] is True and e["num_samples"] == 200 and e["segments"] == 30 and e["segmenter"] == "slic"
    r = call(url, "PUT", {"top_labels": 2})
    assert r.status == 200 and r.json()["top_labels"] == 2 and r.json()["num_samples"] == 200  # the others kept
    check_error(call(url, "PUT", {"segments": 0}), 422, "invalid_setting", "segments")
    err = check_error(call(url, "PUT", {"fill": "plaid"}), 422, "invalid_setting", "fill")
    assert "black" in err["expected"]
    check_error(call(url, "PUT", {"sampler": "psychic"}), 422, "invalid_setting", "sampler")
    check_error(call(url, "PUT", {"num_samples": "many"}), 422, "invalid_setting", "num_samples")
    check_error(call(url, "PUT", {"bogus": 1}), 422, "invalid_setting", "bogus")
    check_error(call(url, "PUT", {"deadline_seconds": -1}), 422, "invalid_setting", "deadline_seconds")
    check_error(call(url, "PUT", b"{", {"Content-Type": "application/json"}), 400, "invalid_json")
    check_error(call(url, "PUT", b"num_samples=3", {"Content-Type": "text/plain"}), 415, "unsupported_media_type")
    assert call(url).json()["top_labels"] == 2  # nothing refused was kept
    check_error(call(server.url + "/v1/models/nope/explainability"), 404, "not_found", "model")


def test_an_explanation_equals_the_command_s_for_the_same_image_and_settings(server, models, tmp_path):
    url = server.url
    tx = predict(url, image_bytes("chelsea_224.png")).json()["predictions"][0]["transaction_id"]
    r = call(url + "/v1/explanations", "POST", {"transactions": [tx]})
    assert r.status == 202, r
    task = r.json()["tasks"][0]
    assert task["status"] in ("queued", "running", "finished") and task["transaction_id"] == tx
    done = wait_task(url, task["id"])
    assert done["status"] == "finished", done
    assert done["progress"]["samples"] == done["record"]["model_calls"] > 0 and done["progress"]["of"] == 200
    record = done["record"]
    assert record["id"] == tx and record["task_id"] == task["id"] and record["settings"]["num_samples"] == 200
    check_schema(record)
    # The panes: PNGs at display size (>= 224 px) for the explained label, linked from the task,
    # and the explained image (the model's input size).
    assert [p["label"] for p in done["panes"]] == [record["predicted_index"]]
    for kind in ("positive", "negative", "heatmap", "input"):
        pane = call(url + done["panes"][0][kind])
        assert pane.status == 200 and pane.headers["Content-Type"] == "image/png"
        if kind == "input":
            assert png_size(pane.body) == (SIZE, SIZE)
        else:
            assert min(png_size(pane.body)) >= 224
    # The command explains the same file with the same settings to the same weights.
    out = tmp_path / "cli"
    model = model_args(models)
    run("explain", "--model", model[1], "--input", f"{SIZE}x{SIZE}", "--labels", model[-1], "--samples", 200, "--segments", 30,
        "--out", out, os.path.join(SOURCE, "tests", "data", "images", "chelsea_224.png"), check=0)
    [folder] = os.listdir(out)
    with open(out / folder / "explanation.json") as f:
        cli = json.load(f)
    assert cli["predicted_index"] == record["predicted_index"]
    assert cli["labels"][0]["weights"] == pytest.approx(record["labels"][0]["weights"], abs=1e-5)
    # The transaction lists its explanation.
    assert call(url + "/v1/transactions/" + tx).json()["explanations"] == [{"id": task["id"], "status": "finished"}]


def test_the_same_request_is_the_same_task_and_idempotency_keys_replay(server):
    url = server.url
    tx = predict(url, image_bytes(PHOTOS[0])).json()["predictions"][0]["transaction_id"]
    a = call(url + "/v1/explanations", "POST", {"transactions": [tx]}).json()["tasks"][0]
    b = call(url + "/v1/explanations", "POST", {"transactions": [tx]}).json()["tasks"][0]
    assert a["id"] == b["id"]  # deterministic for a seed: the existing task is the answer (a cache)
    c = call(url + "/v1/explanations", "POST", {"transactions": [tx], "overrides": {"seed": 5}}).json()["tasks"][0]
    assert c["id"] != a["id"] and c["settings"]["seed"] == 5
    body = {"transactions": [tx], "overrides": {"seed": 6}}
    k1 = call(url + "/v1/explanations", "POST", body, {"Idempotency-Key": "job-1"})
    k2 = call(url + "/v1/explanations", "POST", body, {"Idempotency-Key": "job-1"})
    assert k1.status == k2.status == 202 and k1.body == k2.body
    check_error(call(url + "/v1/explanations", "POST", {"transactions": [tx]}, {"Idempotency-Key": "job-1"}), 409, "conflict",
                "Idempotency-Key")
    check_error(call(url + "/v1/explanations", "POST", {"transactions": [tx], "overrides": {"segments": -3}}), 422, "invalid_setting",
                "segments")
    check_error(call(url + "/v1/explanations", "POST", {"transactions": ["no-such-tx"]}), 404, "not_found", "transactions[]")
    # Explainability off: 409.
    call(url + "/v1/models/cnn/explainability", "PUT", {"enabled": False})
    check_error(call(url + "/v1/explanations", "POST", {"transactions": [tx], "overrides": {"seed": 9}}), 409, "conflict", "explainability")
    # Listing by transaction and status.
    for t in (a, c):
        wait_task(url, t["id"])
    listed = call(url + f"/v1/explanations?transaction={tx}&status=finished").json()["explanations"]
    assert {t["id"] for t in listed} >= {a["id"], c["id"]}
    check_error(call(url + "/v1/explanations?status=happy"), 400, "bad_request", "status")


def test_explain_with_wait_answers_when_ready_and_cancel_stops_a_task(models, tmp_path):
    with Server(tmp_path / "db.sqlite", *model_args(models), "--workers", "1") as s:
        url = s.url
        call(url + "/v1/models/cnn/explainability", "PUT", FAST)
        r = call(url + "/v1/models/cnn:explain?wait=60", "POST", image_bytes(PHOTOS[1]), {"Content-Type": "image/png"})
        assert r.status == 200, r
        assert r.json()["task"]["status"] == "finished" and r.json()["task"]["record"]["kind"] == "explanation"
        assert r.json()["prediction"]["transaction_id"] == r.json()["task"]["transaction_id"]
        check_error(call(url + "/v1/models/cnn:explain?wait=600", "POST", image_bytes(PHOTOS[1]), {"Content-Type": "image/png"}), 400,
                    "bad_request", "wait")
        # A long explanation: 202 at once, then cancelled while it runs.
        call(url + "/v1/models/cnn/explainability", "PUT", {"num_samples": 400000, "segments": 60})
        r = call(url + "/v1/models/cnn:explain?wait=0", "POST", image_bytes(PHOTOS[2]), {"Content-Type": "image/png"})
        assert r.status == 202, r
        task = r.json()["task"]
        running = wait_task(url, task["id"], until=("running",), timeout=60)
        assert running["status"] == "running"
        t0 = time.time()
        assert call(url + "/v1/explanations/" + task["id"], "DELETE").status == 200
        done = wait_task(url, task["id"], timeout=30)
        assert done["status"] == "cancelled" and time.time() - t0 < 10, done
    # Without workers a task stays queued; DELETE cancels it at once.
    with Server(tmp_path / "db.sqlite", "--workers", "0") as s:
        tx = call(s.url + "/v1/transactions?limit=1").json()["transactions"][0]["id"]
        t = call(s.url + "/v1/explanations", "POST", {"transactions": [tx], "overrides": {"seed": 77}}).json()["tasks"][0]
        assert t["status"] == "queued"
        assert call(s.url + "/v1/explanations/" + t["id"], "DELETE").json()["status"] == "cancelled"
        check_error(call(s.url + "/v1/explanations/ex_none", "DELETE"), 404, "not_found", "explanation")


def test_a_job_past_its_deadline_fails_with_the_reason(server):
    url = server.url
    call(url + "/v1/models/cnn/explainability", "PUT", {"num_samples": 400000, "segments": 60, "deadline_seconds": 0.5})
    tx = predict(url, image_bytes(PHOTOS[3])).json()["predictions"][0]["transaction_id"]
    task = call(url + "/v1/explanations", "POST", {"transactions": [tx]}).json()["tasks"][0]
    done = wait_task(url, task["id"], timeout=60)
    assert done["status"] == "failed" and "deadline exceeded" in done["error"], done


def test_a_task_that_keeps_killing_its_workers_fails_after_its_attempts(models, tmp_path):
    db = tmp_path / "db.sqlite"
    with Server(db, *model_args(models), "--workers", "0") as s:
        tx = predict(s.url, image_bytes(PHOTOS[0])).json()["predictions"][0]["transaction_id"]
        task = call(s.url + "/v1/explanations", "POST", {"transactions": [tx]}).json()["tasks"][0]
    # As if two workers had claimed it and died: running, a lease long expired, two attempts.
    with sqlite3.connect(db) as c:
        c.execute("UPDATE tasks SET status='running', attempts=2, lease_owner='gone', lease_until=1 WHERE id=?", (task["id"],))
    with Server(db, "--workers", "1", "--max-attempts", "2") as s:
        done = wait_task(s.url, task["id"], timeout=30)
    assert done["status"] == "failed" and "gave up after 2 attempts" in done["error"], done


# ---------------------------------------------------------------------------------------------
# Hostile requests: every refusal is a JSON error with the fitting status


def test_hostile_requests_get_json_errors_with_fitting_statuses(models, tmp_path):
    with Server(tmp_path / "db.sqlite", *model_args(models), "--workers", "0", "--max-body", "1000000") as s:
        url = s.url
        good = image_bytes(PHOTOS[0])
        check_error(call(url + "/v1/nothing"), 404, "not_found", "path")
        check_error(call(url + "/v1/models/nope:predict", "POST", good, {"Content-Type": "image/png"}), 404, "not_found", "model")
        check_error(predict(url, good, content_type="text/plain"), 415, "unsupported_media_type", "Content-Type")
        check_error(predict(url, good, content_type="application/x-www-form-urlencoded"), 415, "unsupported_media_type")
        check_error(predict(url, b"a=1", content_type="application/x-www-form-urlencoded"), 415, "unsupported_media_type")
        check_error(predict(url, good[:len(good) // 2]), 422, "invalid_image", "body")
        check_error(predict(url, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), 422, "invalid_image")
        check_error(predict(url, b""), 422, "invalid_image")
        # Dimensions beyond the library's limits, read from the header before anything is decoded.
        check_error(predict(url, png(100000, 100000, rows=b"")), 413, "too_large")
        # A decompression bomb: 20000 x 20000 zeros in a small body (400 MB decoded).
        bomb = png(20000, 20000)
        assert len(bomb) < 1000000
        check_error(predict(url, bomb), 413, "too_large")
        # A body over --max-body.
        check_error(predict(url, b"\x89PNG" + b"\x00" * 1200000), 413, "too_large", "body")
        # JSON: malformed, deeply nested, wrong shapes, bad base64.
        j = {"Content-Type": "application/json"}
        check_error(call(url + "/v1/models/cnn:predict", "POST", b'{"instances": [', j), 400, "invalid_json")
        check_error(call(url + "/v1/models/cnn:predict", "POST", b"[" * 100000 + b"]" * 100000, j), 400, "invalid_json")
        check_error(call(url + "/v1/explanations", "POST", b'{"transactions": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}", j), 400,
                    "invalid_json")
        check_error(call(url + "/v1/models/cnn:predict", "POST", {"instances": "x"}), 400, "bad_request", "instances")
        check_error(call(url + "/v1/models/cnn:predict", "POST", {"instances": [{"b64": "!!!"}]}), 400, "bad_request", "instances[0].b64")
        check_error(call(url + "/v1/models/cnn:predict", "POST", {"instances": []}), 400, "bad_request", "instances")
        check_error(call(url + "/v1/explanations", "POST", {"transactions": "tx"}), 400, "bad_request", "transactions")
        check_error(call(url + "/v1/explanations", "POST", {"transactions": [1]}), 400, "bad_request", "transactions[]")
        # Ids with path separators, SQL or spaces.
        for bad in ["a/b", "../../etc/passwd", "x'; DROP TABLE transactions; --", "a b", "x" * 200]:
            check_error(predict(url, good, tx=bad), 400, "bad_request", "X-Transaction-Id")
            check_error(call(url + "/v1/explanations", "POST", {"transactions": [bad]}), 400, "bad_request", "transactions[]")
        for path in ["/v1/transactions/..%2F..%2Fetc%2Fpasswd", "/v1/transactions/x'%20OR%20'1'='1", "/v1/explanations/a%20b"]:
            r = call(url + path)
            assert r.status in (400, 404), (path, r)
            check_error(r, r.status, r.json()["error"]["code"])
        with sqlite3.connect(s.db) as c:
            assert c.execute("SELECT count(*) FROM transactions").fetchone()[0] == 0  # nothing refused was logged
        # Query parameters.
        check_error(call(url + "/v1/transactions?limit=0"), 400, "bad_request", "limit")
        check_error(call(url + "/v1/transactions?limit=abc"), 400, "bad_request", "limit")
        check_error(call(url + "/v1/transactions?cursor=zzz"), 400, "bad_request", "cursor")
        check_error(call(url + "/v1/transactions?since=yesterday"), 400, "bad_request", "since")
        check_error(call(url + "/v1/transactions/nope"), 404, "not_found", "transaction")
        check_error(call(url + "/v1/transactions/nope/image"), 404, "not_found", "transaction")
        check_error(call(url + "/v1/explanations/nope"), 404, "not_found", "explanation")
        check_error(call(url + "/v1/explanations/nope/panes/0/positive.png"), 404, "not_found", "explanation")
        # The queue's cap: 429 with Retry-After.
        tx = predict(url, good).json()["predictions"][0]["transaction_id"]
    with Server(tmp_path / "db.sqlite", "--workers", "0", "--max-queue", "2") as s:
        for seed in (1, 2):
            assert call(s.url + "/v1/explanations", "POST", {"transactions": [tx], "overrides": {"seed": seed}}).status == 202
        r = call(s.url + "/v1/explanations", "POST", {"transactions": [tx], "overrides": {"seed": 3}})
        check_error(r, 429, "queue_full", "queue")
        assert r.headers.get("Retry-After") == "5"
        assert s.stop() == 0


# ---------------------------------------------------------------------------------------------
# Tokens


def test_tokens_scopes_revocation_and_loopback(models, tmp_path):
    db = tmp_path / "db.sqlite"
    # Beyond loopback only once a token exists.
    p = run("serve", *model_args(models), "--db", db, "--host", "0.0.0.0", "--port", "0")
    assert p.returncode == 2 and "needs a token" in p.stderr, p.stderr
    tokens = {}
    for scope in ("score", "read", "admin", "explain,read"):
        p = run("serve", "token", "add", "--db", db, "--scope", scope, "--note", f"test {scope}", check=0)
        tokens[scope] = p.stdout.strip()
        assert tokens[scope].startswith("pxl_") and len(tokens[scope]) == 45
    listed = run("serve", "token", "list", "--db", db, check=0).stdout
    assert "explain,read" in listed and not any(t[13:] in listed for t in tokens.values())  # no secret is shown
    with sqlite3.connect(db) as c:
        stored = [r[0] for r in c.execute("SELECT hash FROM tokens")]
    assert not any(t[13:] in h for t in tokens.values() for h in stored)  # only hashes are kept
    with Server(db, *model_args(models), "--workers", "1") as s:
        url, good = s.url, image_bytes(PHOTOS[0])
        assert call(url + "/healthz").status == 200 and call(url + "/").status == 200  # open
        check_error(predict(url, good), 401, "unauthorized")
        check_error(predict(url, good, token="pxl_00000000_" + "0" * 32), 401, "unauthorized")
        check_error(predict(url, good, token=tokens["score"][:-1] + ("0" if tokens["score"][-1] != "0" else "1")), 401, "unauthorized")
        check_error(predict(url, good, token="not-a-token"), 401, "unauthorized")
        check_error(predict(url, good, token=tokens["read"]), 403, "forbidden")
        r = predict(url, good, token=tokens["score"])
        assert r.status == 200
        tx = r.json()["predictions"][0]["transaction_id"]
        check_error(call(url + "/v1/transactions", token=tokens["score"]), 403, "forbidden")
        assert call(url + "/v1/transactions", token=tokens["read"]).status == 200
        check_error(call(url + "/v1/models/cnn/explainability", "PUT", FAST, token=tokens["read"]), 403, "forbidden")
        assert call(url + "/v1/models/cnn/explainability", "PUT", FAST, token=tokens["admin"]).status == 200
        check_error(call(url + "/v1/explanations", "POST", {"transactions": [tx]}, token=tokens["read"]), 403, "forbidden")
        task = call(url + "/v1/explanations", "POST", {"transactions": [tx]}, token=tokens["explain,read"])
        assert task.status == 202
        assert wait_task(url, task.json()["tasks"][0]["id"], token=tokens["read"])["status"] == "finished"
        assert call(url + "/metrics", token=tokens["read"]).status == 200
        check_error(call(url + "/metrics"), 401, "unauthorized")
        # Revoked: refused at once, by the running server.
        token_id = tokens["score"][4:12]
        run("serve", "token", "revoke", "--db", db, token_id, check=0)
        check_error(predict(url, good, token=tokens["score"]), 403, "forbidden")
        assert run("serve", "token", "revoke", "--db", db, token_id).returncode == 2
    p = run("serve", "token", "add", "--db", db, "--scope", "root")
    assert p.returncode == 2 and "root" in p.stderr


# ---------------------------------------------------------------------------------------------
# Operations


def test_health_readiness_and_metrics(server):
    url = server.url
    assert call(url + "/healthz").json() == {"status": "ok"}
    ready = call(url + "/readyz")
    assert ready.status == 200 and ready.json()["models"] == ["cnn"]
    predict(url, image_bytes(PHOTOS[0]))
    predict(url, b"junk", content_type="image/png")
    m = call(url + "/metrics")
    assert m.status == 200 and m.headers["Content-Type"].startswith("text/plain")
    text = m.body.decode()
    for line in ['pixlime_http_requests_total{route="predict",status="200"} 1', 'pixlime_http_requests_total{route="predict",status="422"} 1',
                 'pixlime_http_request_seconds_count{route="predict"} 2', "pixlime_queue_depth 0", 'pixlime_tasks{status="finished"} 0',
                 "pixlime_transactions_total 1", "pixlime_model_calls_total 1"]:
        assert line in text, (line, text)
    models = call(url + "/v1/models").json()["models"]
    assert models[0]["name"] == "cnn" and models[0]["input"] == {"width": SIZE, "height": SIZE, "channels": 3}
    assert models[0]["classes"] == ["class_0", "class_1", "class_2", "class_3"] and models[0]["outputs"] == 4
    assert call(url + "/v1/models/cnn").json() == models[0]
    # The dashboard's files, built into the binary.
    page = call(url + "/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html") and b"app.js" in page.body
    assert call(url + "/ui/app.js").status == 200 and call(url + "/ui/style.css").status == 200


def test_sigterm_stops_cleanly_and_running_jobs_go_back_to_the_queue(models, tmp_path):
    db = tmp_path / "db.sqlite"
    with Server(db, *model_args(models), "--workers", "1") as s:
        call(s.url + "/v1/models/cnn/explainability", "PUT", {"num_samples": 400000, "segments": 60})
        tx = predict(s.url, image_bytes(PHOTOS[0])).json()["predictions"][0]["transaction_id"]
        task = call(s.url + "/v1/explanations", "POST", {"transactions": [tx]}).json()["tasks"][0]
        wait_task(s.url, task["id"], until=("running",), timeout=60)
        assert s.stop() == 0
        assert "stopped" in s.stderr()
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT status, attempts, lease_owner FROM tasks").fetchall() == [("queued", 0, None)]


# ---------------------------------------------------------------------------------------------
# Durability


def weights(record):
    return [round(w, 5) for label in record["labels"] for w in label["weights"]]


def test_kill_9_loses_no_acknowledged_transaction_and_no_accepted_task(models, tmp_path):
    db = tmp_path / "db.sqlite"
    acked, stop = [], threading.Event()
    lock = threading.Lock()
    images = [image_bytes(n) for n in PHOTOS]

    def client(k):
        i = 0
        while not stop.is_set():
            tx = f"c{k}-{i}"
            try:
                r = predict(url, images[(k + i) % 4], tx=tx, timeout=10)
            except Exception:  # the server died under us: this one was never acknowledged
                return
            if r.status == 200:
                with lock:
                    acked.append(tx)
            i += 1

    s = Server(db, *model_args(models), "--workers", "0")
    url = s.url
    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    time.sleep(3)
    s.kill()
    stop.set()
    for t in threads:
        t.join(30)
    assert len(acked) > 20, len(acked)

    # Accepted tasks: explained with 2 workers, killed while they run, finished after a restart.
    with Server(db, *model_args(models), "--workers", "2", "--lease", "2") as s2:
        url = s2.url
        for tx in acked:  # every acknowledged transaction survived the kill
            assert call(url + "/v1/transactions/" + tx).status == 200, tx
        call(url + "/v1/models/cnn/explainability", "PUT", {"num_samples": 3000, "segments": 40})
        chosen = acked[:6]
        tasks = [t["id"] for t in call(url + "/v1/explanations", "POST", {"transactions": chosen}).json()["tasks"]]
        deadline = time.time() + 60
        while time.time() < deadline:
            running = [t for t in tasks if call(url + "/v1/explanations/" + t).json()["status"] == "running"]
            if running:
                break
            time.sleep(0.05)
        assert running
        time.sleep(0.3)
        s2.kill()
    with sqlite3.connect(db) as c:
        states = dict(c.execute("SELECT id, status FROM tasks").fetchall())
    assert all(states[t] in ("queued", "running", "finished") for t in tasks), states
    assert any(states[t] != "finished" for t in tasks), states  # the kill caught work in progress
    time.sleep(2.5)  # the dead workers' leases expire
    with Server(db, *model_args(models), "--workers", "2") as s3:
        done = [wait_task(s3.url, t, timeout=180) for t in tasks]
    assert all(d["status"] == "finished" for d in done), done
    assert any(d["attempts"] >= 2 for d in done)  # taken over after the kill
    # Each record equals a run without the crash.
    with Server(tmp_path / "clean.sqlite", *model_args(models), "--workers", "2") as clean:
        call(clean.url + "/v1/models/cnn/explainability", "PUT", {"num_samples": 3000, "segments": 40})
        for d in done:
            tx = d["transaction_id"]
            with sqlite3.connect(db) as c:
                data = c.execute("SELECT i.bytes FROM transactions t JOIN images i ON i.sha256 = t.image WHERE t.id = ?", (tx,)).fetchone()[0]
            r = call(clean.url + "/v1/models/cnn:explain?wait=60", "POST", data, {"Content-Type": "image/png", "X-Transaction-Id": tx})
            assert r.status == 200, r
            assert weights(r.json()["task"]["record"]) == pytest.approx(weights(d["record"]), abs=2e-5)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM panes WHERE task IN (%s)" % ",".join("?" * len(tasks)), tasks).fetchone()[0] == 4 * len(tasks)


def test_two_processes_sharing_one_database_claim_disjoint_jobs(models, tmp_path):
    db = tmp_path / "db.sqlite"
    with Server(db, *model_args(models), "--workers", "0") as web:
        call(web.url + "/v1/models/cnn/explainability", "PUT", {"num_samples": 1500, "segments": 40})
        txs = [predict(web.url, image_bytes(PHOTOS[i % 4]), tx=f"s{i}").json()["predictions"][0]["transaction_id"] for i in range(8)]
        with Server(db, "--workers", "1", "--no-http", http=False) as a, Server(db, "--workers", "1", "--no-http", http=False) as b:
            # The jobs once both workers are up: queued before, the first one up (the second still
            # loading libtorch) could take all 8 on a loaded machine (seen on a fresh clone).
            tasks = [t["id"] for t in call(web.url + "/v1/explanations", "POST", {"transactions": txs}).json()["tasks"]]
            done = [wait_task(web.url, t, timeout=240) for t in tasks]
    assert all(d["status"] == "finished" and d["attempts"] == 1 for d in done), done  # each claimed once
    owners = {d["worker"].rsplit("/", 1)[0] for d in done}
    assert len(owners) == 2, owners  # both processes took jobs


# ---------------------------------------------------------------------------------------------
# Export


def check_schema(record):
    try:
        import jsonschema
    except ImportError:
        pytest.skip("python3-jsonschema is not installed")
    with open(os.path.join(SOURCE, "app", "schema", "record.schema.json")) as f:
        jsonschema.validate(record, json.load(f))


def test_export_writes_record_folders_and_the_report(server, tmp_path):
    url = server.url
    txs = [predict(url, image_bytes(n)).json()["predictions"][0]["transaction_id"] for n in PHOTOS[:3]]
    tasks = call(url + "/v1/explanations", "POST", {"transactions": txs}).json()["tasks"]
    for t in tasks:
        assert wait_task(url, t["id"])["status"] == "finished"
    out = tmp_path / "export"
    p = run("serve", "export", "--db", server.db, "--out", out, check=0)
    assert "exported 3 explanations" in p.stdout
    folders = sorted(d for d in os.listdir(out) if os.path.isdir(out / d))
    assert len(folders) == 3
    for d in folders:
        with open(out / d / "explanation.json") as f:
            check_schema(json.load(f))
        assert png_size((out / d / "input.png").read_bytes()) == (SIZE, SIZE)
        for kind in ("positive", "negative", "heatmap"):
            assert min(png_size((out / d / f"{kind}.png").read_bytes())) >= 224
    page = (out / "index.html").read_text()
    assert page.count("<img") >= 12
    assert "3 images, 0 failed" in run("report", out, check=0).stdout
    assert run("serve", "export", "--db", tmp_path / "missing.sqlite", "--out", out).returncode == 2
