"""pixlime.dask: explain many images on a Dask cluster (or serially), one task per image.

    from distributed import Client
    import pixlime.dask

    def make_model():                 # called once per worker process, then cached there
        return load_my_network()      # a callable (N, H, W, C) -> (N, classes)

    client = Client("tcp://scheduler:8786")             # or Client(LocalCluster(...))
    records = pixlime.dask.explain_many(client, ["a.png", "b.png"], make_model,
                                        out_dir="explanations", num_samples=1000)

**Image ids.** Every image has an id, which names its record, its folder under `out_dir` and its
seed. A path (str or os.PathLike) is identified by its string as given (``os.fspath``; "a.png"
and "./a.png" are two ids), an array by its index in `images` (an int); a mapping
``{id: image}`` uses its keys, and ``ids=[...]`` gives them explicitly. Ids are str (not empty)
or int, and unique.

**Seeds.** Image `id` is explained with ``seed_for(id, seed)`` (blake2b of the id and the
`seed` option, not Python's salted ``hash``), on a cluster and serially alike: the records of
``explain_many(client, ...)`` equal those of ``explain_serial(...)`` bit for bit, whatever worker
explained what, in whatever order.

**The model.** `classifier_factory` is a picklable callable with no arguments returning the
classifier (what ``pixlime.explain`` takes). Its pickled bytes are sent with each task (a few
hundred bytes for a module-level function or a functools.partial); the model it returns is built
on the worker the first time a task needs it and kept in that worker process (keyed by the
factory's pickled bytes, the last four factories), so it is built once per worker process,
never shipped. On a multi-machine cluster the factory's module must be importable on the
workers (a function of the script run as __main__ travels by value), and image paths readable
there: a relative path is read relative to the worker's working directory, so give absolute
paths on a shared file system.

**Records.** A record is the app layer's explanation or error record (the schema every pixlime
app writes: app/schema/record.schema.json, docs/records.md), written by the same C++ code as the
`pixlime` command's and the workflow's, returned as a dict: ``schema_version``, ``kind``
("explanation" or "error"), ``id``, ``input`` (the path, or None for an array), ``seed`` (the
image's), ``model`` (the factory's token), ``settings`` (the explain options, defaults filled
in), ``predicted`` (the top label's name from `classes`, else its number as text) and
``predicted_index``, ``segments`` ({"method", "count"}), per explained label in ``labels``:
``label``, ``name``, ``model_prediction``, ``local_prediction``, ``intercept``, ``r2``,
``top_positive`` and ``top_negative`` ([segment, weight] pairs, up to 5), ``weights`` (a float64
numpy array, one per segment) and the weights' uncertainty: ``standard_errors``, ``intervals``
(95%, one [low, high] row per segment) and ``stability_top5``, those three left out with a custom
surrogate; ``model_calls``, ``target_reached``, ``timings_ms`` and ``time``; with `out_dir`,
``panes_label`` and ``panes`` (how the panes were drawn). A failure (an unreadable file, the
factory or the classifier raising, a worker lost) is an error record: ``error`` ("TypeName:
message") and ``error_type``, and the other images go on. Returned records also carry ``ok``
(an explanation) and ``status``: "done", "skipped" (read back from `out_dir`) or "failed".
Numbers in records are rounded to 6 significant digits, as in every app's files. Segmentations
are not returned (they are the segmenter's on the image: rerun it).

**out_dir.** When given, each image gets a folder ``out_dir/record_name(id)`` (a name made safe
for any id) holding, as the workflow writes them, ``input.png``, ``positive.png``,
``negative.png``, ``heatmap.png`` (the predicted label's panes: up to 5 segments, those below 5 %
of the largest weight left out, drawn at least 224 px a side; segments whose 95% interval
contains 0 hatched, as ``Explanation.uncertain_segments`` flags them, and the record's ``panes``
then has ``hatched_level`` 0.95) and ``explanation.json`` (the record), or ``error.json`` alone
for a failure; ``pixlime report out_dir`` renders them. The files are written on the
client as results arrive, each atomically (a temporary file renamed into place), the JSON last:
an interrupted run leaves no half record. A rerun skips an image whose explanation.json is
complete and was made for the same id, input, model token and settings (returning it read back,
``status`` "skipped"), and retries failed ones. Nothing is written outside `out_dir`; inputs are
only read (a path inside `out_dir` is refused).
"""
import hashlib
import inspect
import json
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from . import _pixlime as _core
from . import InvalidArgument, _progress_callback, explain as _explain, load_image as _load_image, save_png as _save_png

__all__ = ["explain_many", "explain_serial", "seed_for", "record_name"]

# A label's fields held as float64 numpy arrays in the records (lists in explanation.json).
_ARRAYS = ("weights", "standard_errors", "intervals")
_OPTION_CLASSES = ("slic_options", "quickshift_options", "felzenszwalb_options", "grid_options",
                   "segment_mean_fill", "constant_fill", "blur_fill", "exponential_kernel", "weighted_ridge",
                   "model_input", "limits", "render_options")
# pixlime.explain's keywords that explain_many passes on (with their defaults), and those it owns.
_EXPLAIN_DEFAULTS = {name: p.default for name, p in inspect.signature(_explain).parameters.items()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY}
_NOT_PASSED = {"segments": "a segmentation fits one image: give segmenter= (e.g. 'grid' or a callable)",
               "progress": "explain_many's own progress= reports images done"}


def _invalid(parameter, value, expected):
    error = InvalidArgument(f"pixlime.dask: {parameter} = {value}: expected {expected}")
    error.parameter, error.value, error.expected = parameter, str(value), expected
    return error


def _dumps(obj):
    try:
        import cloudpickle
        return cloudpickle.dumps(obj)
    except ImportError:  # serial use without distributed
        import pickle
        return pickle.dumps(obj)


def _loads(data):
    import pickle  # cloudpickle's output is read by pickle
    return pickle.loads(data)


def _id_key(image_id):
    if isinstance(image_id, bool) or not isinstance(image_id, (str, int)):
        raise _invalid("id", repr(image_id), "a str or an int")
    return ("s:" + image_id if isinstance(image_id, str) else f"i:{image_id}").encode("utf-8", "surrogatepass")


def seed_for(image_id, seed=0):
    """The seed image `image_id` (a str or int id) is explained with, given the `seed` option:
    the first 8 bytes of blake2b(seed, id), little-endian, an int in [0, 2**64). The same on
    every machine, process and Python version; 3 and "3" differ."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**64:
        raise _invalid("seed", repr(seed), "an int in [0, 2**64)")
    digest = hashlib.blake2b(_id_key(image_id), digest_size=8, key=str(int(seed)).encode(), person=b"pixlime.dask")
    return int.from_bytes(digest.digest(), "little")


def record_name(image_id):
    """The folder name of image `image_id`'s record under out_dir: the C++ apps' record name
    (pixlime::app::record_name) of the id as text, so that the command, the workflow and pixlime.dask
    name folders alike: the id's last 48 characters with anything but letters, digits, '.', '_'
    and '-' replaced by '_' (no leading '.'), then '-' and 16 hex digits of the id's FNV-1a hash
    ("a/b" -> "b-<hash>", 3 -> "3-<hash>")."""
    _id_key(image_id)  # checks the type
    return _core.record_name(str(image_id))


# ---------------------------------------------------------------------------------------------
# Options: pixlime's option objects are not picklable; they travel as (class name, fields).

class _Option:
    def __init__(self, name, fields):
        self.name, self.fields = name, fields

    def build(self):
        import pixlime  # the keyword constructors are the package's
        return getattr(pixlime, self.name)(**self.fields)


def _option_name(value):
    for name in _OPTION_CLASSES:
        if isinstance(value, getattr(_core, name)):
            return name
    return None


def _portable(name, value):
    """The option as it travels to a worker (pixlime's option objects as _Option)."""
    if isinstance(value, _core.image_fill):
        raise _invalid(name, "image_fill(...)", "a fill that can be sent to workers: 'segment_mean', 'constant', "
                       "'blur', constant_fill(...), blur_fill(...) or a callable (image, segments) -> image")
    option = _option_name(value)
    if option is not None:
        return _Option(option, {f: getattr(value, f) for f in dir(value) if not f.startswith("_")})
    return value


def _restore(value):
    return value.build() if isinstance(value, _Option) else value


def _settings_json(value):
    """A JSON value describing the option, the same on every run for the same option."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, _Option):
        return {value.name: {k: _settings_json(v) for k, v in sorted(value.fields.items())}}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_settings_json(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if type(value).__module__ == "pixlime._pixlime":  # the enums
        return str(value)
    if callable(value):
        name = getattr(value, "__qualname__", type(value).__name__)
        try:
            return f"callable {name} {hashlib.blake2b(_dumps(value), digest_size=8).hexdigest()}"
        except Exception:  # not picklable: a repr (with an address, it never matches on a rerun)
            return f"callable {name} {value!r}"
    return repr(value)


def _check_int(options, name, low):
    value = options.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise _invalid(name, repr(value), f"an int >= {low}")


def _explain_options(explain_options, distributed):
    for name in explain_options:
        if name in ("image", "classifier"):
            raise _invalid(name, "given", "no image or classifier among the options: images= and classifier_factory=")
        if name in _NOT_PASSED:
            raise _invalid(name, "given", _NOT_PASSED[name])
        if name not in _EXPLAIN_DEFAULTS:
            raise _invalid(name, "an unknown option",
                           "one of pixlime.explain's: " + ", ".join(n for n in _EXPLAIN_DEFAULTS if n not in _NOT_PASSED))
    options = {n: v for n, v in _EXPLAIN_DEFAULTS.items() if n not in _NOT_PASSED}
    options.update(explain_options)
    seed_for(0, options["seed"])  # checks the seed
    options["seed"] = int(options["seed"])
    _check_int(options, "num_samples", 2)
    _check_int(options, "batch_size", 1)
    _check_int(options, "top_labels", 1)
    _check_int(options, "num_threads", 1)
    portable = {n: _portable(n, v) for n, v in options.items()}
    if distributed:
        for name, value in portable.items():
            try:
                _dumps(value)
            except Exception as e:
                raise _invalid(name, repr(value), f"a value that can be sent to the workers (pickling failed: {e})") from None
    settings = json.loads(json.dumps({n: _settings_json(v) for n, v in sorted(portable.items())}))
    if settings.get("task") == "classification":
        del settings["task"]  # recorded only when not the default, as the apps do: earlier records stay this work's
    return portable, settings


def _images(images, ids):
    """[(id, path or None, array or None)] in the given order."""
    if isinstance(images, (str, bytes, os.PathLike)):
        raise _invalid("images", repr(images), "a list of paths or arrays (one image: [image])")
    if isinstance(images, np.ndarray):
        if images.ndim != 4:
            raise _invalid("images", f"an array of shape {images.shape}",
                           "a list of images, or an (N, H, W, C) stack (one image: [image])")
        images = list(images)
    if isinstance(images, Mapping):
        if ids is not None:
            raise _invalid("ids", "given with a mapping", "None: a mapping's keys are the ids")
        ids, values = list(images.keys()), list(images.values())
    else:
        try:
            values = list(images)
        except TypeError:
            raise _invalid("images", type(images).__name__, "a list of paths or arrays, or a mapping id -> image") from None
        if ids is not None:
            if isinstance(ids, (str, bytes)):
                raise _invalid("ids", repr(ids), "a list of ids, one per image")
            ids = list(ids)
            if len(ids) != len(values):
                raise _invalid("ids", f"{len(ids)} ids", f"one per image ({len(values)})")
    items, seen = [], set()
    for i, value in enumerate(values):
        if isinstance(value, bytes):
            raise _invalid(f"images[{i}]", "bytes", "a path as str or os.PathLike, or an array")
        if isinstance(value, (str, os.PathLike)):
            path, array = os.fspath(value), None
            if isinstance(path, bytes):
                raise _invalid(f"images[{i}]", repr(value), "a path as str (not bytes)")
        elif isinstance(value, np.ndarray):
            path, array = None, value
            if value.ndim not in (2, 3) or value.dtype.kind not in "biuf":
                raise _invalid(f"images[{i}]", f"an array {value.dtype} {value.shape}",
                               "(H, W) or (H, W, C) of a real dtype (pixlime.explain's image dtypes)")
        else:
            raise _invalid(f"images[{i}]", type(value).__name__, "a path (str or os.PathLike) or a numpy array")
        image_id = ids[i] if ids is not None else (path if path is not None else i)
        _id_key(image_id)  # checks the type
        if image_id == "":
            raise _invalid(f"id of images[{i}]", "''", "a non-empty str or an int")
        if str(image_id) in seen:  # records are named by the id's text: 3 and "3" would share a folder
            raise _invalid(f"id of images[{i}]", repr(image_id), "ids that are unique, also as text (the same path twice? 3 and '3'?)")
        seen.add(str(image_id))
        items.append((image_id, path, array))
    return items


def _out_dir(out_dir, items):
    if out_dir is None:
        return None
    if not isinstance(out_dir, (str, os.PathLike)) or isinstance(os.fspath(out_dir), bytes):
        raise _invalid("out_dir", repr(out_dir), "None or a folder path (str or os.PathLike)")
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise _invalid("out_dir", out_dir, "a folder (it is a file)")
    real = os.path.realpath(out_dir)
    for image_id, path, _ in items:
        if path is not None:
            p = os.path.realpath(path)
            if os.path.commonpath([p, real]) == real:
                raise _invalid("out_dir", out_dir, f"a folder that holds no input (it holds {path!r})")
    return out_dir


# ---------------------------------------------------------------------------------------------
# The worker's side

class _Models:
    """Models by factory token, built once per process (concurrent first calls wait for one)."""

    def __init__(self, size=4):
        self._lock = threading.Lock()
        self._models = OrderedDict()
        self._size = size

    def get(self, token, factory_bytes):
        with self._lock:
            if token in self._models:
                self._models.move_to_end(token)
                return self._models[token]
            model = _loads(factory_bytes)()
            self._models[token] = model
            while len(self._models) > self._size:
                self._models.popitem(last=False)
            return model


_WORKER_MODELS = _Models()  # this process's models (a worker's, or the client's with processes=False)


def _error_fields(error, prefix=""):
    text = str(error)
    return {"error": prefix + type(error).__name__ + (": " + text if text else ""), "error_type": type(error).__name__}


def _error_text(image_id, path, seed, token, fields):
    """An error record (the app layer's schema) as JSON text."""
    return _core._error_record(json.dumps({"id": image_id, "input": path, "seed": seed}), token, fields["error"],
                               fields["error_type"])


def _explain_one(image_id, path, image, token, factory_bytes, options, settings, panes, models, classes):
    """One image's record as JSON text (the app layer's writer) and its panes when `panes`,
    never raising for the image's own faults."""
    t0 = time.perf_counter()
    seed = seed_for(image_id, options["seed"])
    try:
        if path is not None:
            image = _load_image(path)
        load_ms = (time.perf_counter() - t0) * 1e3
        try:
            classifier = models.get(token, factory_bytes)
        except Exception as e:
            return _error_text(image_id, path, seed, token, _error_fields(e, "classifier_factory: ")), None
        kwargs = {n: _restore(v) for n, v in options.items()}
        kwargs["seed"] = seed
        ex = _explain(image, classifier, **kwargs)
        segmenter = options["segmenter"]
        head = {"fields": {"id": image_id, "input": path, "seed": seed}, "model": token, "settings": settings,
                "segmenter": segmenter.name if isinstance(segmenter, _Option) else
                (segmenter if isinstance(segmenter, str) else "callable"),
                "classes": list(classes or []), "load_ms": load_ms, "elapsed_ms": (time.perf_counter() - t0) * 1e3}
        text, rendered = ex._record(json.dumps(head), panes)
        return text, (rendered or None)
    except Exception as e:  # the image's own failure: unreadable, the classifier raising, bad options
        return _error_text(image_id, path, seed, token, _error_fields(e)), None


def _task(image_id, path, image, token, factory_bytes, options, settings, panes, classes):
    """What a worker runs for one image (the module-level function is pickled by reference)."""
    return _explain_one(image_id, path, image, token, factory_bytes, options, settings, panes, _WORKER_MODELS, classes)


def _as_record(text, status):
    """The returned record: the JSON record as a dict, its label arrays as float64 numpy
    arrays, with `ok` and `status`."""
    record = json.loads(text)
    record["ok"] = record.get("kind") == "explanation"
    for lab in record.get("labels", []):
        for k in _ARRAYS:
            if k in lab:
                lab[k] = np.asarray(lab[k], dtype=np.float64)
    record["status"] = status
    return record


def _folder(out_dir, image_id):
    folder = os.path.join(out_dir, record_name(image_id))
    if os.path.islink(folder) or os.path.dirname(folder) != out_dir:
        raise OSError(f"{folder} is a symbolic link: not written through")
    return folder


def _write(out_dir, record, text, rendered):
    """Writes the record's folder with the app layer's writer (pixlime::app::write_record: the
    panes, then the JSON last and atomically); a failure to write is noted in the record, the
    run goes on."""
    try:
        _core._write_record(_folder(out_dir, record["id"]), text, rendered or {})
    except Exception as e:
        record["write_error"] = f"{type(e).__name__}: {e}"


def _done_record(out_dir, image_id, path, token, settings):
    """The complete, valid record of an earlier run for the same id, input, model and settings,
    or None (the app layer's check, as the command's and the workflow's)."""
    try:
        folder = _folder(out_dir, image_id)
    except OSError:
        return None
    text = _core._record_done(folder, json.dumps(image_id), json.dumps(path), token, json.dumps(settings))
    return None if text is None else _as_record(text, "skipped")


def _run(client, images, classifier_factory, ids, out_dir, progress, classes, explain_options):
    if client is not None and not all(hasattr(client, a) for a in ("map", "scatter", "cancel")):
        raise _invalid("client", type(client).__name__, "a distributed.Client, or None to run here")
    if not callable(classifier_factory):
        raise _invalid("classifier_factory", type(classifier_factory).__name__,
                       "a callable with no arguments returning the classifier")
    items = _images(images, ids)
    if classes is not None:
        if isinstance(classes, str) or not all(isinstance(c, str) for c in classes):
            raise _invalid("classes", repr(classes), "None or a list of class names (str), in the model's output order")
        classes = list(classes)
    options, settings = _explain_options(explain_options, client is not None)
    out_dir = _out_dir(out_dir, items)
    try:
        factory_bytes = _dumps(classifier_factory)
    except Exception as e:
        raise _invalid("classifier_factory", repr(classifier_factory),
                       f"a picklable callable, e.g. a module-level function or functools.partial ({e})") from None
    token = hashlib.blake2b(factory_bytes, digest_size=8).hexdigest()
    report = _progress_callback(progress, unit="image", desc="pixlime.dask")

    records = [None] * len(items)
    todo = []
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
    for i, (image_id, path, array) in enumerate(items):
        done = _done_record(out_dir, image_id, path, token, settings) if out_dir is not None else None
        if done is not None:
            records[i] = done
        else:
            todo.append(i)
    finished = len(items) - len(todo)
    if report and finished:
        report(finished, len(items))

    def arrive(i, text, rendered):
        nonlocal finished
        record = _as_record(text, "done")
        if not record["ok"]:
            record["status"] = "failed"
        if out_dir is not None:
            _write(out_dir, record, text, rendered)
        records[i] = record
        finished += 1
        if report:
            report(finished, len(items))

    panes = out_dir is not None
    if client is None:
        models = _Models()
        for i in todo:
            image_id, path, array = items[i]
            arrive(i, *_explain_one(image_id, path, array, token, factory_bytes, options, settings, panes, models, classes))
        return records

    import distributed  # the real one (absolute import), only for a cluster

    run = uuid.uuid4().hex[:12]
    arrays = [items[i][2] for i in todo if items[i][2] is not None]
    # Arrays go to the cluster once each (hash=False: an array scattered by an earlier call, its
    # key being released, is not taken for this one's).
    data = client.scatter(arrays, hash=False) if arrays else []
    scattered = iter(data)
    futures, where = [], {}
    for i in todo:
        image_id, path, array = items[i]
        image = next(scattered) if array is not None else None
        future = client.submit(_task, image_id, path, image, token, factory_bytes, options, settings, panes, classes,
                               key=f"pixlime-explain-{run}-{i}", pure=False)
        futures.append(future)
        where[future.key] = i
    try:
        for future in distributed.as_completed(futures):
            i = where[future.key]
            try:
                text, rendered = future.result()
            except Exception as e:  # the task itself lost (a worker killed, cancelled, ...)
                image_id, path, _ = items[i]
                text, rendered = _error_text(image_id, path, seed_for(image_id, options["seed"]), token, _error_fields(e)), None
            future.release()
            arrive(i, text, rendered)
    finally:
        client.cancel([f for f in futures if not f.done()])
        del data
    return records


def explain_many(client, images, classifier_factory, *, ids=None, out_dir=None, progress=False, classes=None,
                 **explain_options):
    """Explains every image of `images` on the Dask cluster of `client` (a distributed.Client;
    None runs here, serially), one task per image, and returns one record per image, in order.

    client              a distributed.Client, or None.
    images              paths (read on the worker) and/or (H, W[, C]) arrays (pixlime.explain's dtypes), a
                        mapping id -> image, or an (N, H, W, C) stack. Ids: a path's string, an
                        array's index, the mapping's keys, or `ids`.
    classifier_factory  a picklable callable () -> classifier, called once per worker process.
    ids                 optional ids (str or int, unique), one per image.
    out_dir             optional folder for the records and panes (see the module's doc); a rerun
                        skips the images done and retries the failed.
    progress            True for a bar (tqdm when installed) or a callable (done, total) called
                        as images finish.
    classes             optional class names in the model's output order: the records' `predicted`
                        and labels' `name` (a label without a name is named by its number).
    **explain_options   pixlime.explain's keywords (num_samples, batch_size, seed, segmenter, fill,
                        ...; not segments or progress); image `id` is explained with
                        seed=seed_for(id, seed).

    Raises pixlime.InvalidArgument (naming the parameter, the value and what is expected) before
    any work for a bad argument; an image's own failure is its record's error.
    """
    return _run(client, images, classifier_factory, ids, out_dir, progress, classes, explain_options)


def explain_serial(images, classifier_factory, *, ids=None, out_dir=None, progress=False, classes=None,
                   **explain_options):
    """explain_many without a cluster: the same records, bit for bit, computed in this process
    (the factory called once). To check a cluster's results, or for a few images."""
    return _run(None, images, classifier_factory, ids, out_dir, progress, classes, explain_options)
