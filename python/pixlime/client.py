"""A client for `pixlime serve`, the explanation service (docs/serve.md): score images, list the
logged transactions, explain them by id and get the explanations' records and panes.

    from pixlime.client import Client
    client = Client("http://127.0.0.1:8080", token="pxl_...")
    [p] = client.predict("cnn", "cat.png")                        # logged as a transaction
    [result] = client.explain([p["transaction_id"]], wait=60)
    result.record["labels"][0]["top_positive"], result.panes[result.record["predicted_index"]].heatmap

Standard library HTTP only (urllib.request, json, base64) and numpy: it works without pixlime's
compiled module too. Images sent: file paths, bytes (a PNG, JPEG, BMP, GIF or PNM file's), or
uint8 numpy arrays (encoded as PNG). Panes received are decoded to numpy arrays with
pixlime.decode_image (a small PNG decoder of its own when the compiled module is not there).

Errors: pixlime.client.ServiceError for every error answer of the service (its JSON error's
status, code, parameter, value, expected and message), pixlime.client.ConnectionFailed (a
ConnectionError) when the service cannot be reached or does not answer in time, naming the URL.
"""
import base64
import datetime
import json
import os
import socket
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

__all__ = ["Client", "ServiceError", "ConnectionFailed", "ExplanationResult", "Panes", "encode_png", "decode_png"]

PANE_KINDS = ("positive", "negative", "heatmap", "input")
TERMINAL = ("finished", "failed", "cancelled")


class ServiceError(Exception):
    """An error answer of the service: its HTTP status and the fields of its JSON error
    (`{"error": {"code", "parameter", "value", "expected", "message"}}`; those it lacks are None).

    status       the HTTP status (404, 403, ...).
    code         the error's code ("not_found", "forbidden", "queue_full", ...), or None when the
                 answer was not the service's JSON error (a proxy's page, say).
    parameter, value, expected, message   the JSON error's fields.
    method, url  the request that got it.
    retry_after  seconds from a Retry-After header (429 queue_full, 503), else None.
    body         the answer's body: the parsed JSON, or its text when it is not JSON.
    """

    def __init__(self, status: int, code: Optional[str] = None, parameter: Optional[str] = None,
                 value: Optional[str] = None, expected: Optional[str] = None, message: Optional[str] = None, *,
                 method: str = "", url: str = "", retry_after: Optional[float] = None, body: Any = None):
        self.status = status
        self.code = code
        self.parameter = parameter
        self.value = value
        self.expected = expected
        self.message = message
        self.method = method
        self.url = url
        self.retry_after = retry_after
        self.body = body
        what = message
        if not what and parameter is not None:
            what = f"{parameter} = {value}: expected {expected}"
        super().__init__(f"{method} {url}: {status} {code or 'error'}: {what or '(no message)'}")


class ConnectionFailed(ConnectionError):
    """The service could not be reached (refused, unknown host, reset) or did not answer within
    the client's timeout. `url`: the request's URL; `reason`: what went wrong."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"pixlime.client: cannot reach the pixlime service at {url}: {reason}")


class Panes:
    """An explained label's panes, as (H, W, C) uint8 arrays: `positive` (the segments that pushed
    the label's output up), `negative` (down), `heatmap` (every segment's weight) and `input`
    (the explained image as the model saw it). `label`: the class index; `name`: its name."""

    def __init__(self, label: int, name: Optional[str], positive: np.ndarray, negative: np.ndarray,
                 heatmap: np.ndarray, input: np.ndarray):
        self.label = label
        self.name = name
        self.positive = positive
        self.negative = negative
        self.heatmap = heatmap
        self.input = input

    def __repr__(self) -> str:
        return f"Panes(label={self.label!r}, name={self.name!r}, shape={self.positive.shape})"


class ExplanationResult:
    """One explanation task and, when it finished, its result.

    task     the task as the service last gave it (GET /v1/explanations/{id}): id, transaction_id,
             model, status, progress, attempts, error, settings, timings_ms, ...
    record   the explanation record when finished (docs/records.md: predicted, labels with their
             weights, top_positive, top_negative, ...), else None.
    panes    {label index: Panes} for every explained label, when finished and the panes were
             asked for; else empty.
    prediction  the image's prediction when the result came from explain_image, else None.
    """

    def __init__(self, task: Dict[str, Any], panes: Optional[Dict[int, Panes]] = None):
        self.task = task
        self.record: Optional[Dict[str, Any]] = task.get("record") if task.get("status") == "finished" else None
        self.panes: Dict[int, Panes] = panes or {}
        self.prediction: Optional[Dict[str, Any]] = None

    @property
    def id(self) -> str:
        """The task's id."""
        return self.task["id"]

    @property
    def transaction_id(self) -> Optional[str]:
        """The explained transaction's id."""
        return self.task.get("transaction_id")

    @property
    def status(self) -> str:
        """"queued", "running", "finished", "failed" or "cancelled"."""
        return self.task.get("status", "")

    @property
    def finished(self) -> bool:
        """True when the explanation is there (status "finished")."""
        return self.status == "finished"

    @property
    def error(self) -> Optional[str]:
        """Why the task failed (status "failed"), else None."""
        return self.task.get("error") or None

    def __repr__(self) -> str:
        return (f"ExplanationResult(id={self.id!r}, transaction_id={self.transaction_id!r}, status={self.status!r}"
                + (f", error={self.error!r}" if self.error else "") + f", panes={sorted(self.panes)!r})")


Image = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, np.ndarray]


class Client:
    """A client of one `pixlime serve` service.

    url      the service's base URL, e.g. "http://127.0.0.1:8080" (a path prefix, as behind a
             reverse proxy, is kept: "https://host/pixlime").
    token    a token of `pixlime serve token add` (sent as `Authorization: Bearer <token>`), or
             None for a service without tokens.
    timeout  seconds each HTTP request may take (connect and answer) before ConnectionFailed.
    """

    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 30.0):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"pixlime.client: url = {url!r}: expected the service's http:// or https:// URL")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Client({self.url!r}, token={'...' if self.token else None}, timeout={self.timeout!r})"

    # -- HTTP -------------------------------------------------------------------------------

    def _url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        if path.startswith(("http://", "https://")):
            url = path
        else:  # the service's own paths ("/v1/...") are under the base URL, prefix included
            url = self.url + (path if path.startswith("/") else "/" + path)
        if query:
            items = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if items:
                url += ("&" if "?" in url else "?") + urllib.parse.urlencode(items)
        return url

    def _send(self, method: str, path: str, *, query: Optional[Mapping[str, Any]] = None, body: Optional[bytes] = None,
              content_type: Optional[str] = None, headers: Optional[Mapping[str, str]] = None,
              timeout: Optional[float] = None):
        """(status, headers, body bytes) of a 2xx answer; raises ServiceError or ConnectionFailed."""
        url = self._url(path, query)
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", "pixlime.client (Python urllib)")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if content_type:
            request.add_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        timeout = self.timeout if timeout is None else timeout
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            raise _service_error(error, method, url) from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, socket.timeout):
                raise ConnectionFailed(url, f"no answer within {timeout:g} s") from None
            raise ConnectionFailed(url, str(reason)) from None
        except socket.timeout:
            raise ConnectionFailed(url, f"no answer within {timeout:g} s") from None
        except (ConnectionError, OSError) as error:  # reset, refused mid-way, the http.client's errors
            raise ConnectionFailed(url, f"{type(error).__name__}: {error}") from None
        except Exception as error:  # http.client.HTTPException (RemoteDisconnected is an OSError)
            if type(error).__module__ == "http.client":
                raise ConnectionFailed(url, f"{type(error).__name__}: {error}") from None
            raise

    def _json(self, method: str, path: str, *, query: Optional[Mapping[str, Any]] = None, payload: Any = None,
              body: Optional[bytes] = None, content_type: Optional[str] = None,
              headers: Optional[Mapping[str, str]] = None) -> Any:
        if payload is not None:
            body = json.dumps(payload).encode()
            content_type = "application/json"
        status, answer_headers, data = self._send(method, path, query=query, body=body, content_type=content_type,
                                                  headers=headers)
        try:
            return json.loads(data.decode("utf-8")) if data else None
        except ValueError:
            raise ServiceError(status, "invalid_response", message="the service's answer is not JSON: "
                               + data[:200].decode("utf-8", "replace"), method=method, url=self._url(path, query),
                               body=data.decode("utf-8", "replace")) from None

    # -- operations -------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """GET /healthz: {"status": "ok"} while the service runs (ConnectionFailed when it does not)."""
        return self._json("GET", "/healthz")

    def ready(self) -> bool:
        """GET /readyz: True when the service's database answers and its models are loaded, False
        when it says it is not ready (503). ConnectionFailed when it cannot be reached."""
        try:
            self._send("GET", "/readyz")
            return True
        except ServiceError as error:
            if error.status == 503:
                return False
            raise

    def metrics(self) -> str:
        """GET /metrics: the Prometheus text (scope read)."""
        return self._send("GET", "/metrics")[2].decode("utf-8")

    # -- models -----------------------------------------------------------------------------

    def models(self) -> List[Dict[str, Any]]:
        """GET /v1/models: the served models, each {"name", "backend", "file", "digest", "input":
        {"width", "height", "channels"}, "classes", "outputs"}."""
        return self._json("GET", "/v1/models")["models"]

    def model(self, name: str) -> Dict[str, Any]:
        """GET /v1/models/{name}: one served model (ServiceError not_found when there is none).

        name  the model's name (as models() lists them).
        """
        return self._json("GET", f"/v1/models/{_segment(name)}")

    # -- scoring ----------------------------------------------------------------------------

    def predict(self, model: str, images: Union[Image, Sequence[Image]],
                transaction_ids: Union[None, str, Sequence[str]] = None,
                metadata: Union[None, Mapping[str, Any], Sequence[Optional[Mapping[str, Any]]]] = None
                ) -> List[Dict[str, Any]]:
        """Scores images with a served model (POST /v1/models/{model}:predict, scope score); each
        image is logged as a transaction, committed before the answer.

        model            the model's name.
        images           one image or a list of them: a file path (str or os.PathLike), the bytes
                         of a PNG, JPEG, BMP, GIF or PNM file, or a uint8 numpy array (H, W) or
                         (H, W, C), C 1..4 (sent as PNG); a (N, H, W, C) array is N images.
        transaction_ids  None (the service makes the ids); one id (the service names several
                         images' transactions <id>.0, <id>.1, ...); or one id per image. Ids:
                         [A-Za-z0-9._:-]{1,128}. Sending the same id with the same image again
                         returns the logged transaction (a retry is safe); with another image it
                         is a ServiceError conflict (409).
        metadata         a JSON object kept with every image's transaction, or one per image
                         (None for none).

        Returns the predictions in the images' order, each {"transaction_id", "label",
        "label_index", "probability", "outputs"}. One image is sent as it is; several go in one
        KServe v1 JSON request (base64; the service's --max-body, 16 MiB by default, bounds it:
        send fewer at a time beyond), whose transactions the service commits together.
        """
        many = _is_many(images)
        image_list = list(images) if many else [images]
        n = len(image_list)
        ids_per_image = transaction_ids is not None and not isinstance(transaction_ids, str)
        metadata_per_image = metadata is not None and not isinstance(metadata, Mapping)
        if ids_per_image and len(transaction_ids) != n:  # type: ignore[arg-type]
            raise ValueError(f"pixlime.client: transaction_ids has {len(transaction_ids)} ids for {n} images: "  # type: ignore[arg-type]
                             "expected one per image, or one id (the service numbers the images <id>.0, <id>.1, ...)")
        if metadata_per_image and len(metadata) != n:  # type: ignore[arg-type]
            raise ValueError(f"pixlime.client: metadata has {len(metadata)} objects for {n} images: "  # type: ignore[arg-type]
                             "expected one per image, or one object for all")
        headers = {}
        if transaction_ids is not None and not ids_per_image:
            headers["X-Transaction-Id"] = str(transaction_ids)
        path = f"/v1/models/{_segment(model)}:predict"
        if n == 1 and not ids_per_image and not metadata_per_image:
            # The image's bytes as the body, its metadata in X-Metadata.
            data = image_bytes(image_list[0])
            if metadata is not None:
                headers["X-Metadata"] = json.dumps(metadata)
            answer = self._json("POST", path, body=data, content_type=content_type(data), headers=headers)
        else:  # KServe v1 JSON; an instance may carry its own transaction_id and metadata
            instances = []
            for i, image in enumerate(image_list):
                instance: Dict[str, Any] = {"b64": _b64(image_bytes(image))}
                if ids_per_image:
                    instance["transaction_id"] = str(transaction_ids[i])  # type: ignore[index]
                if metadata_per_image and metadata[i] is not None:  # type: ignore[index]
                    instance["metadata"] = metadata[i]  # type: ignore[index]
                instances.append(instance)
            payload: Dict[str, Any] = {"instances": instances}
            if metadata is not None and not metadata_per_image:
                payload["metadata"] = metadata
            answer = self._json("POST", path, payload=payload, headers=headers)
        return answer["predictions"]

    def log_payloads(self, model: str, payloads: Sequence[Mapping[str, Any]]) -> List[str]:
        """Logs transactions scored elsewhere (POST /v1/models/{model}/payloads, scope score).

        model     the model's name.
        payloads  dicts, each with "image" (a path, bytes or uint8 array, as predict's images) or
                  "b64" (the image file's bytes in base64), "outputs" (the model's outputs: a list
                  of numbers), and optionally "transaction_id", "metadata" (a JSON object) and
                  "latency_ms".

        Returns the transactions' ids, in the payloads' order.
        """
        items = []
        for payload in payloads:
            item = {k: v for k, v in payload.items() if k != "image"}
            if "image" in payload:
                item["b64"] = _b64(image_bytes(payload["image"]))
            if "b64" not in item:
                raise ValueError("pixlime.client: a payload needs its image: \"image\" (a path, bytes or array) or \"b64\"")
            if isinstance(item.get("outputs"), np.ndarray):
                item["outputs"] = item["outputs"].tolist()
            items.append(item)
        return self._json("POST", f"/v1/models/{_segment(model)}/payloads", payload={"payloads": items})["transactions"]

    # -- transactions -----------------------------------------------------------------------

    def transactions(self, model: Optional[str] = None, label: Optional[str] = None,
                     since: Union[None, str, int, float, datetime.datetime] = None,
                     until: Union[None, str, int, float, datetime.datetime] = None,
                     limit: Optional[int] = None) -> Iterator[Dict[str, Any]]:
        """Every logged transaction that matches, newest first (GET /v1/transactions, scope read),
        going through the pages by their cursors as the iteration goes on.

        model  only this model's.
        label  only those predicted as this label (its name).
        since  only those logged at or after this time: a datetime (naive = UTC), unix milliseconds
               (int or float), or ISO 8601 UTC text.
        until  only those logged before this time (as since).
        limit  transactions per page (1..1000; the service's default 50). Every page is still
               read: take fewer with itertools.islice or by stopping the iteration.

        Yields the transactions' summaries as the list gives them (transaction(id) has every field).
        """
        query = {"model": model, "label": label, "since": _time(since), "until": _time(until), "limit": limit}
        return self._pages("/v1/transactions", query, "transactions")

    def transaction(self, id: str) -> Dict[str, Any]:
        """GET /v1/transactions/{id} (scope read): {"id", "model", "time", "label", "label_index",
        "probability", "outputs", "latency_ms", "source", "metadata", "image", "explanations"}.

        id  the transaction's id.
        """
        return self._json("GET", f"/v1/transactions/{_segment(id)}")

    def image(self, id: str, decode: bool = False) -> Union[bytes, np.ndarray]:
        """The image of a transaction (GET /v1/transactions/{id}/image, scope read).

        id      the transaction's id.
        decode  False: the image file's bytes as they were sent; True: decoded to an (H, W, C)
                uint8 array.
        """
        data = self._send("GET", f"/v1/transactions/{_segment(id)}/image")[2]
        return decode_image(data) if decode else data

    # -- explainability settings ------------------------------------------------------------

    def explainability(self, model: str) -> Dict[str, Any]:
        """A model's explanation settings (GET /v1/models/{model}/explainability, scope read):
        enabled, num_samples, target_stability, segmenter, segments, compactness,
        merge_background, fill, sampler, top_labels, num_features, seed, deadline_seconds.

        model  the model's name.
        """
        return self._json("GET", f"/v1/models/{_segment(model)}/explainability")

    def set_explainability(self, model: str, **fields: Any) -> Dict[str, Any]:
        """Sets the named explanation settings of a model and keeps the others (PUT
        /v1/models/{model}/explainability, scope admin); a value the library refuses is a
        ServiceError invalid_setting (422) naming the field, the value and what was expected.

        model     the model's name.
        **fields  the settings to change, e.g. num_samples=500, segments=50, enabled=False.

        Returns the settings as they now are.
        """
        return self._json("PUT", f"/v1/models/{_segment(model)}/explainability", payload=fields)

    # -- explanations -----------------------------------------------------------------------

    def explain(self, ids: Union[str, Sequence[str]], wait: Optional[float] = None,
                overrides: Optional[Mapping[str, Any]] = None, idempotency_key: Optional[str] = None,
                panes: bool = True) -> List[ExplanationResult]:
        """Explains logged transactions (POST /v1/explanations, scope explain): one task each, run by
        the service's workers. A transaction explained (or queued) with the same settings before
        gets its existing task; a failed or cancelled one is queued again.

        ids              a transaction id or a list of them.
        wait             None: return at once, with the tasks as queued; else seconds to wait for
                         every task to end (finished, failed or cancelled), polling them. Tasks
                         still queued or running when the wait ends are returned as they are (no
                         error): see their status, and call wait_for() for more.
        overrides        explainability settings for these explanations only (num_samples, seed, ...).
        idempotency_key  sent as Idempotency-Key: the service answers a repeated key with the first
                         answer (a retry after a lost answer queues nothing twice).
        panes            fetch and decode the panes of finished tasks (False: records only).

        Returns one ExplanationResult per id, in order: for a finished task its record and, per
        explained label, the positive, negative, heatmap and input panes as numpy arrays.
        """
        id_list = [ids] if isinstance(ids, str) else list(ids)
        payload: Dict[str, Any] = {"transactions": id_list}
        if overrides:
            payload["overrides"] = dict(overrides)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        tasks = self._json("POST", "/v1/explanations", payload=payload, headers=headers)["tasks"]
        return self._await(tasks, wait, panes)

    def explain_image(self, model: str, image: Image, wait: Optional[float] = None,
                      transaction_id: Optional[str] = None, metadata: Optional[Mapping[str, Any]] = None,
                      panes: bool = True) -> ExplanationResult:
        """Scores, logs and explains one image in one request (POST /v1/models/{model}:explain, scopes
        score and explain): the service waits up to `wait` seconds (at most 60) for the
        explanation.

        model           the model's name.
        image           a path, the bytes of an image file, or a uint8 array (as predict's).
        wait            seconds the service waits for the explanation (None: it answers at once).
        transaction_id  the transaction's id (None: the service makes one).
        metadata        a JSON object kept with the transaction.
        panes           fetch and decode the panes when finished.

        Returns the task's ExplanationResult (its status says whether it finished within the wait),
        with the image's prediction in its `prediction`.
        """
        data = image_bytes(image)
        headers = {}
        if transaction_id is not None:
            headers["X-Transaction-Id"] = str(transaction_id)
        if metadata is not None:
            headers["X-Metadata"] = json.dumps(metadata)
        query = {"wait": wait} if wait is not None else None
        answer = self._json("POST", f"/v1/models/{_segment(model)}:explain", query=query, body=data,
                            content_type=content_type(data), headers=headers)
        task = answer["task"] if "task" in answer else answer  # {"prediction", "task"}
        result = self._await([task], None, panes)[0]
        result.prediction = answer.get("prediction")
        return result

    def task(self, id: str) -> Dict[str, Any]:
        """An explanation task as the service has it (GET /v1/explanations/{id}, scope read): id,
        transaction_id, model, status, progress, attempts, error, settings, created, started,
        finished, timings_ms, record (when finished) and panes (their URLs).

        id  the task's id.
        """
        return self._json("GET", f"/v1/explanations/{_segment(id)}")

    def result(self, id: str, panes: bool = True) -> ExplanationResult:
        """A task as an ExplanationResult: its record and decoded panes when finished.

        id     the task's id.
        panes  fetch and decode the panes when finished.
        """
        return self._await([self.task(id)], None, panes)[0]

    def wait_for(self, ids: Union[str, Sequence[str]], timeout: float, panes: bool = True) -> List[ExplanationResult]:
        """Waits up to `timeout` seconds for tasks to end (finished, failed or cancelled), polling them.

        ids      a task id or a list of them (ExplanationResult.id).
        timeout  seconds to wait at most; tasks not ended by then are returned as they are.
        panes    fetch and decode the panes of finished tasks.
        """
        id_list = [ids] if isinstance(ids, str) else list(ids)
        return self._await([{"id": i, "status": "queued"} for i in id_list], timeout, panes)

    def cancel(self, id: str) -> Dict[str, Any]:
        """Cancels a task (DELETE /v1/explanations/{id}, scope explain): a queued one at once, a
        running one within one model batch. Returns the task.

        id  the task's id.
        """
        return self._json("DELETE", f"/v1/explanations/{_segment(id)}")

    def explanations(self, transaction: Optional[str] = None, status: Optional[str] = None,
                     limit: Optional[int] = None) -> Iterator[Dict[str, Any]]:
        """Every explanation task that matches (GET /v1/explanations, scope read), through the pages.

        transaction  only this transaction's tasks.
        status       only tasks in this status ("queued", "running", "finished", "failed", "cancelled").
        limit        tasks per page (every page is still read).
        """
        query = {"transaction": transaction, "status": status, "limit": limit}
        return self._pages("/v1/explanations", query, "explanations")

    def panes(self, task: Mapping[str, Any]) -> Dict[int, Panes]:
        """The panes of a finished task (as task() gives it), per explained label, decoded.

        task  the task's dict (its "panes" URLs, else its record's labels, say which to fetch).
        """
        entries = task.get("panes")
        if not entries:
            record = task.get("record") or {}
            entries = [{"label": label.get("label"), "name": label.get("name")} for label in record.get("labels", [])]
        result: Dict[int, Panes] = {}
        for entry in entries:
            label = entry.get("label")
            images = {}
            for kind in PANE_KINDS:
                url = entry.get(kind) or f"/v1/explanations/{_segment(task['id'])}/panes/{label}/{kind}.png"
                images[kind] = decode_image(self._send("GET", url)[2])
            result[label] = Panes(label, entry.get("name"), **images)
        return result

    # -- internals --------------------------------------------------------------------------

    def _pages(self, path: str, query: Dict[str, Any], key: str) -> Iterator[Dict[str, Any]]:
        cursor = None
        seen = set()
        while True:
            page = self._json("GET", path, query=dict(query, cursor=cursor))
            yield from page.get(key, [])
            cursor = page.get("next_cursor")
            if not cursor:
                return
            if cursor in seen:
                raise ServiceError(200, "invalid_response", message=f"the service gave the cursor {cursor!r} twice",
                                   method="GET", url=self._url(path, query))
            seen.add(cursor)

    def _await(self, tasks: List[Dict[str, Any]], wait: Optional[float], panes: bool) -> List[ExplanationResult]:
        tasks = list(tasks)
        if wait is not None:
            deadline = time.monotonic() + max(0.0, float(wait))
            pause = 0.05
            while True:
                for i, task in enumerate(tasks):
                    if task.get("status") not in TERMINAL:
                        tasks[i] = self.task(task["id"])
                left = deadline - time.monotonic()
                if all(task.get("status") in TERMINAL for task in tasks) or left <= 0:
                    break
                time.sleep(min(pause, left))
                pause = min(pause * 1.5, 1.0)
        results = []
        for task in tasks:
            if task.get("status") == "finished" and ("record" not in task or (panes and "panes" not in task)):
                task = self.task(task["id"])  # a task as a list or a POST gave it may leave these out
            results.append(ExplanationResult(task, self.panes(task) if panes and task.get("status") == "finished" else None))
        return results


# -- images -------------------------------------------------------------------------------------

def image_bytes(image: Image) -> bytes:
    """The bytes sent for an image: a file's (a path), as they are (bytes), or a PNG (a uint8 array)."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if isinstance(image, np.ndarray):
        return encode_png(image)
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            return f.read()
    raise TypeError(f"pixlime.client: an image of type {type(image).__name__}: expected a file path, the bytes of an "
                    "image file, or a uint8 numpy array (H, W) or (H, W, C)")


def content_type(data: bytes) -> str:
    """The Content-Type of an image file's bytes, by their signature (application/octet-stream when unknown)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"BM"):
        return "image/bmp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) > 2 and data[0:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace():
        return "image/x-portable-anymap"
    return "application/octet-stream"


def encode_png(image: np.ndarray) -> bytes:
    """A uint8 array (H, W) or (H, W, C), C 1..4 (gray, gray+alpha, RGB, RGBA), as PNG bytes:
    pixlime.encode_png when the compiled module has it, else a PNG writer of this module's own
    (zlib, no filters)."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"pixlime.client: an image array of dtype {array.dtype}: expected uint8 (PNG's 8 bits: "
                         "scale and convert first, e.g. (a * 255).clip(0, 255).astype(np.uint8))")
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or not 1 <= array.shape[2] <= 4 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"pixlime.client: an image array of shape {array.shape}: expected (H, W) or (H, W, C), C 1..4")
    native = _native("encode_png")
    if native is not None:
        return native(array)
    return _encode_png_python(array)


def _encode_png_python(array: np.ndarray) -> bytes:
    height, width, channels = array.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.zeros((height, 1 + width * channels), np.uint8)  # filter type 0 (none) per row
    rows[:, 1:] = array.reshape(height, width * channels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def decode_image(data: bytes) -> np.ndarray:
    """An image file's bytes as an (H, W, C) uint8 array: pixlime.decode_image (PNG, JPEG, BMP,
    GIF), or, without the compiled module, this module's own PNG decoder (decode_png)."""
    native = _native("decode_image")
    if native is not None:
        return native(data)
    return decode_png(data)


def decode_png(data: bytes) -> np.ndarray:
    """An 8-bit, non-interlaced PNG (gray, gray+alpha, RGB, RGBA or palette) as an (H, W, C) uint8
    array, in pure Python (numpy and zlib): what pixlime.client decodes panes with when the
    compiled module is not there. Raises ValueError for anything else."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("pixlime.client: not a PNG (and pixlime's compiled module, which reads other formats, is not there)")
    position, idat, palette, transparency, header = 8, [], None, None, None
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            transparency = np.frombuffer(body, np.uint8)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("pixlime.client: a PNG without its IHDR chunk")
    width, height, depth, color_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color_type)
    if depth != 8 or interlace or channels is None:
        raise ValueError(f"pixlime.client: a PNG of bit depth {depth}, color type {color_type}, interlace {interlace}: "
                         "this decoder reads 8-bit non-interlaced PNGs (pixlime's compiled module reads every kind)")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) < height * (stride + 1):
        raise ValueError("pixlime.client: a truncated PNG")
    out = bytearray(height * stride)
    previous = bytearray(stride)
    bpp = channels
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for x in range(bpp, stride):
                row[x] = (row[x] + row[x - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray(((np.frombuffer(row, np.uint8).astype(np.uint16)
                              + np.frombuffer(previous, np.uint8)) & 0xFF).astype(np.uint8).tobytes())
        elif kind == 3:
            for x in range(stride):
                left = row[x - bpp] if x >= bpp else 0
                row[x] = (row[x] + ((left + previous[x]) >> 1)) & 0xFF
        elif kind == 4:
            for x in range(stride):
                a = row[x - bpp] if x >= bpp else 0
                b = previous[x]
                c = previous[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise ValueError(f"pixlime.client: a PNG row with filter type {kind}")
        out[y * stride:(y + 1) * stride] = row
        previous = row
    image = np.frombuffer(bytes(out), np.uint8).reshape(height, width, channels)
    if color_type == 3:
        if palette is None:
            raise ValueError("pixlime.client: a palette PNG without its palette")
        indices = image[:, :, 0]
        if transparency is not None:
            alpha = np.full(len(palette), 255, np.uint8)
            alpha[:len(transparency)] = transparency[:len(palette)]
            return np.concatenate([palette[indices], alpha[indices][:, :, None]], axis=2)
        return palette[indices]
    return image.copy()


# -- helpers ------------------------------------------------------------------------------------

def _native(name: str):
    """The compiled module's function `name`, or None without the module (or without that function)."""
    try:
        from . import _pixlime as core
    except ImportError:
        return None
    if getattr(core, "__name__", "") != __package__ + "._pixlime":  # pixlime._unbuilt standing in
        return None
    try:
        return getattr(core, name)
    except (AttributeError, ImportError):
        return None


def _service_error(error: urllib.error.HTTPError, method: str, url: str) -> ServiceError:
    """A ServiceError from an HTTP error answer: the fields of its JSON error when it has one."""
    try:
        data = error.read()
    except Exception:  # the connection broke while the error's body was read
        data = b""
    text = data.decode("utf-8", "replace")
    retry_after = None
    if error.headers is not None and error.headers.get("Retry-After"):
        try:
            retry_after = float(error.headers["Retry-After"])
        except ValueError:
            pass
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    fields = body.get("error") if isinstance(body, dict) else None
    if not isinstance(fields, dict):  # not the service's JSON error: a proxy's page, say
        return ServiceError(error.code, None, message=(text.strip()[:300] or str(error.reason)), method=method, url=url,
                            retry_after=retry_after, body=body if body is not None else text)
    def field(name):
        value = fields.get(name)
        return None if value is None else str(value)
    return ServiceError(error.code, field("code"), field("parameter"), field("value"), field("expected"),
                        field("message"), method=method, url=url, retry_after=retry_after, body=body)


def _is_many(images: Any) -> bool:
    if isinstance(images, np.ndarray):
        return images.ndim == 4
    return isinstance(images, (list, tuple))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _segment(value: str) -> str:
    """A path segment: ids and names as they are ([A-Za-z0-9._:-]), anything else percent-encoded."""
    return urllib.parse.quote(str(value), safe=":")


def _time(value: Any) -> Any:
    """since / until: unix milliseconds as an integer, datetimes and text as they are."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return value


def _query_value(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # no exponent (1e+12): the service reads plain decimals
        return ("%.6f" % value).rstrip("0").rstrip(".")
    return str(value)
