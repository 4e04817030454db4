#!/usr/bin/env python3
"""`pixlime explain` (the command line, libtorch backend) against lime 0.2.0.1's
lime_image.LimeImageExplainer.explain_instance with the same TorchScript model in Python (torch),
end to end, at 224x224, 1000 samples, 1 thread each (issue 13).

Two models, built here with torch (seeded) and saved with torch.jit.trace:
  cnn.pt     "a trained CNN": 4 conv layers (3->16->32->64->64, 3x3, stride 2, ReLU), global
             average pool, linear 64->4, softmax; trained for --train-steps (default 200, about a
             minute on 1 thread) steps of 16 images with Adam (lr 2e-3) on a task made from the bundled photos: which of the four 224x224 photos
             (astronaut, chelsea, coffee, rocket) a random crop (side 96..224 px, resized to
             224x224) with a random horizontal flip and brightness factor 0.8..1.2 comes from.
  resnet18.pt  a ResNet-18-shaped network written out here (BasicBlock x [2,2,2,2],
             64-128-256-512 channels, 1000 classes, random init, eval mode), softmax.

For each model and image:
  pixlime  `pixlime explain --samples 1000` (fixed) and with `--target-stability 0.95` (cap
           1000): wall = time.perf_counter around the subprocess (process start, libtorch model
           load, PNGs written included); model_calls and timings_ms from explanation.json;
           "model" = timings_ms.classifier.
  lime     explain_instance(image, classifier_fn, top_labels=1, num_samples=1000, batch_size=10,
           random_seed=0, segmentation_fn = lime's own SegmentationAlgorithm('quickshift',
           kernel_size=4, max_dist=200, ratio=0.2, random_seed=0), i.e. lime's default, wrapped
           only to time it and count its segments); classifier_fn = the same TorchScript model
           (torch.jit.load) over the batch /255, ImageNet mean/std, NCHW; "model" = time inside
           classifier_fn (accumulated). The model is loaded once before timing (not counted).

Both: hidden segments show their mean colour (lime's hide_color=None; pixlime --hide mean),
torch.set_num_threads(1) / --threads 1, OMP_NUM_THREADS=1, MKL_NUM_THREADS=1.

    /usr/bin/python3 benchmarks/cli_vs_lime.py --cli build/release/cli/pixlime --work /tmp/clibench \
        [--repeat 1] [--cnn-images ...] [--resnet-images ...]

Writes WORK/results.json (every run) and prints a markdown table of medians.

--reruns N (issue 24, "time to a stable explanation"): instead, per model and image, N runs of each
side with seeds 0..N-1: lime_image at its default 1000 samples (random_seed=s; its quickshift keeps
random_seed=0 and is deterministic, so every run has the same segments) and `pixlime explain
--target-stability 0.95` (cap 1000, --seed s, --segmenter quickshift: quickshift_options{} is lime's
default segmentation, kernel_size 4, max_dist 200, ratio 0.2). Each side's rerun agreement is the mean
top-5 Jaccard over every pair of its runs, top 5 = the 5 largest weights of the explained class
(the model's top class: both sides explain the same one, checked). Segment counts of both sides are
printed; the table gives median wall time and model calls, and lime's wall / pixlime's.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "..", "tests", "data", "images")
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
PHOTOS = ["astronaut_224.png", "chelsea_224.png", "coffee_224.png", "rocket_224.png"]

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass


def load_rgb(path):
    from skimage import io
    img = io.imread(path)
    if img.ndim == 2:
        img = np.stack([img] * 3, -1)
    return np.ascontiguousarray(img[..., :3])


# ----------------------------------------------------------------------------------- models

class SmallCNN(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.c4 = nn.Conv2d(64, 64, 3, stride=2, padding=1)
        self.fc = nn.Linear(64, classes)

    def logits(self, x):
        for c in (self.c1, self.c2, self.c3, self.c4):
            x = F.relu(c(x))
        return self.fc(x.mean(dim=(2, 3)))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layers(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.fc(x), dim=1)


def normalise(batch_nhwc_01):
    m = torch.tensor(MEAN).view(1, 3, 1, 1)
    s = torch.tensor(STD).view(1, 3, 1, 1)
    return (batch_nhwc_01.permute(0, 3, 1, 2) - m) / s


def augmented_batch(photos, n, gen):
    """n random crops (side 96..224, resized to 224), flips, brightness 0.8..1.2; labels = photo index."""
    xs, ys = [], []
    for _ in range(n):
        y = int(torch.randint(len(photos), (1,), generator=gen))
        img = photos[y]  # 3x224x224 in [0, 1]
        side = int(torch.randint(96, 225, (1,), generator=gen))
        top = int(torch.randint(0, 224 - side + 1, (1,), generator=gen))
        left = int(torch.randint(0, 224 - side + 1, (1,), generator=gen))
        crop = img[:, top:top + side, left:left + side].unsqueeze(0)
        crop = F.interpolate(crop, size=(224, 224), mode="bilinear", align_corners=False)[0]
        if bool(torch.rand(1, generator=gen) < 0.5):
            crop = crop.flip(2)
        crop = (crop * (0.8 + 0.4 * float(torch.rand(1, generator=gen)))).clamp(0, 1)
        xs.append(crop)
        ys.append(y)
    x = torch.stack(xs)
    m = torch.tensor(MEAN).view(1, 3, 1, 1)
    s = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - m) / s, torch.tensor(ys)


def build_models(work, train_steps):
    info = {}
    torch.manual_seed(0)
    photos = [torch.from_numpy(load_rgb(os.path.join(IMAGES, p))).permute(2, 0, 1).float() / 255 for p in PHOTOS]
    cnn = SmallCNN(len(PHOTOS))
    opt = torch.optim.Adam(cnn.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)
    t0, steps, losses = time.perf_counter(), 0, []
    cnn.train()
    while steps < train_steps:
        x, y = augmented_batch(photos, 16, gen)
        loss = F.cross_entropy(cnn.logits(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
        losses.append(float(loss))
    cnn.eval()
    with torch.no_grad():
        xv, yv = augmented_batch(photos, 200, torch.Generator().manual_seed(12345))
        acc = float((cnn.logits(xv).argmax(1) == yv).float().mean())
        full = torch.stack([(p - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1) for p in photos])
        full_pred = cnn(full).argmax(1).tolist()
    info["cnn"] = {"train_seconds": round(time.perf_counter() - t0, 1), "steps": steps, "batch": 16,
                   "final_loss_mean_last_20": round(float(np.mean(losses[-20:])), 4),
                   "heldout_crop_accuracy_200": acc, "full_photo_predictions": full_pred}
    example = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        torch.jit.trace(cnn, example).save(os.path.join(work, "cnn.pt"))
    torch.manual_seed(0)
    resnet = ResNet18().eval()
    with torch.no_grad():
        torch.jit.trace(resnet, example).save(os.path.join(work, "resnet18.pt"))
    info["resnet18"] = {"parameters": sum(p.numel() for p in resnet.parameters())}
    with open(os.path.join(work, "models.json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


# ------------------------------------------------------------------------------------- runs

def run_pixlime(cli, model, image, out, adaptive, seed=None, segments="100"):
    if os.path.exists(out):
        shutil.rmtree(out)
    cmd = [cli, "explain", "--model", model, "--input", "224x224", "--mean", ",".join(map(str, MEAN)),
           "--std", ",".join(map(str, STD)), "--samples", "1000", "--segmenter", "quickshift",
           "--hide", "mean", "--threads", "1", "--batch-size", "10", "--out", out]
    if segments is not None:
        cmd += ["--segments", segments]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if adaptive:
        cmd += ["--target-stability", "0.95"]
    cmd.append(image)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    name = os.path.splitext(os.path.basename(image))[0]
    rec_path = os.path.join(out, name, "explanation.json")
    if not os.path.exists(rec_path):  # whatever folder it made
        subs = [d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d))]
        rec_path = os.path.join(out, subs[0], "explanation.json")
    with open(rec_path) as f:
        rec = json.load(f)
    t = rec["timings_ms"]
    return {"tool": "pixlime adaptive 0.95" if adaptive else "pixlime", "wall_s": wall,
            "model_s": t["classifier"] / 1000, "model_calls": rec["model_calls"], "timings_ms": t,
            "segments": rec["segments"]["count"], "command": " ".join(cmd),
            "user_s": ru1.ru_utime - ru0.ru_utime, "sys_s": ru1.ru_stime - ru0.ru_stime,
            "target_reached": rec.get("target_reached"), "stability_top5": rec["labels"][0].get("stability_top5"),
            "label": rec["labels"][0]["label"], "top_positive": rec["labels"][0]["top_positive"],
            "top5": top5(rec["labels"][0]["weights"])}


def run_lime(lime_image, seg_algo_cls, model, image, seed=0):
    acc = {"classifier": 0.0, "forward": 0.0, "calls": 0, "images": 0, "seg": 0.0, "segments": None}
    m = torch.tensor(MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(STD, dtype=torch.float32).view(1, 3, 1, 1)

    def classifier_fn(images):
        t0 = time.perf_counter()
        x = torch.from_numpy(np.asarray(images, dtype=np.float32) / 255.0).permute(0, 3, 1, 2)
        x = ((x - m) / s).contiguous()
        t1 = time.perf_counter()
        with torch.no_grad():
            out = model(x).numpy().astype(np.float64)
        t2 = time.perf_counter()
        acc["forward"] += t2 - t1
        acc["classifier"] += t2 - t0
        acc["calls"] += 1
        acc["images"] += len(images)
        return out

    algo = seg_algo_cls("quickshift", kernel_size=4, max_dist=200, ratio=0.2, random_seed=0)  # lime's default

    def segmentation_fn(img):
        t0 = time.perf_counter()
        seg = algo(img)
        acc["seg"] += time.perf_counter() - t0
        acc["segments"] = int(len(np.unique(seg)))
        return seg

    explainer = lime_image.LimeImageExplainer()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    ex = explainer.explain_instance(image, classifier_fn, top_labels=1, num_samples=1000, batch_size=10,
                               random_seed=seed, segmentation_fn=segmentation_fn, progress_bar=False)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"tool": "lime_image", "user_s": ru1.ru_utime - ru0.ru_utime, "sys_s": ru1.ru_stime - ru0.ru_stime, "wall_s": wall, "model_s": acc["classifier"], "forward_s": acc["forward"],
            "model_calls": acc["images"], "segmentation_s": acc["seg"], "segments": acc["segments"],
            "label": int(ex.top_labels[0]),
            "top5": top5([w for _, w in sorted(ex.local_exp[ex.top_labels[0]])])}


def plan_of(args):
    """(model, image) pairs to run, from --models, --cnn-images and --resnet-images."""
    plan = []
    for key in args.models.split(","):
        imgs = args.cnn_images if key == "cnn" else args.resnet_images
        plan += [(key, im) for im in imgs.split(",") if im]
    return plan


def write_runs(path, info, key, runs):
    """WORK/--results after every run, so that an interrupted benchmark keeps what it measured."""
    with open(path, "w") as f:
        json.dump({"date": datetime.datetime.utcnow().isoformat(timespec="seconds") + "Z",
                   "machine": platform.platform(), "torch": torch.__version__, "models": info, key: runs}, f, indent=1)


def top5(weights):
    """The indices of the 5 largest weights, as a set (ties by index, as pixlime's ranking)."""
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    return frozenset(order[:5])


def mean_pairwise_jaccard(sets):
    pairs = [(a, b) for i, a in enumerate(sets) for b in sets[i + 1:]]
    return sum(len(a & b) / len(a | b) for a, b in pairs) / len(pairs) if pairs else 1.0


def run_reruns(args, lime_image, seg_algo_cls, info):
    """--reruns: each side's rerun agreement and wall time, per model and image."""
    plan = plan_of(args)
    runs = []
    res_path = os.path.join(args.work, args.results)
    for key, im in plan:
        model_path = os.path.abspath(os.path.join(args.work, key + ".pt"))
        img_path = os.path.abspath(os.path.join(IMAGES, im))
        model = torch.jit.load(model_path).eval()
        image = load_rgb(img_path)
        with torch.no_grad():
            model(torch.zeros(10, 3, 224, 224))
        for seed in range(args.reruns):
            for which in (["lime", "pixa"] if seed % 2 == 0 else ["pixa", "lime"]):
                if which == "lime":
                    r = run_lime(lime_image, seg_algo_cls, model, image, seed=seed)
                else:
                    r = run_pixlime(args.cli, model_path, img_path, os.path.join(args.work, f"rerun_{key}"), True,
                                    seed=seed, segments=None)
                r.update(model=key, image=im, seed=seed)
                runs.append(r)
                print(f"{key} {im} seed {seed} {r['tool']}: wall {r['wall_s']:.2f} s, calls {r['model_calls']}, "
                      f"segments {r['segments']}, label {r['label']}, top5 {sorted(r['top5'])}", flush=True)
                write_runs(res_path, info, "reruns", [dict(x, top5=sorted(x["top5"])) for x in runs])
    print_rerun_table(runs)


def print_rerun_table(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["model"], r["image"]), {}).setdefault(r["tool"], []).append(r)
    print("\n| model | image | segments (lime / pixlime) | lime: wall s, calls, rerun top-5 Jaccard | pixlime --target-stability "
          "0.95: wall s, calls, rerun top-5 Jaccard, reached | lime wall / pixlime wall | same class |")
    print("|---|---|---|---|---|---:|---|")
    for (model, image), tools in groups.items():
        lime_rs, pix_rs = tools.get("lime_image", []), tools.get("pixlime adaptive 0.95", [])
        if not lime_rs or not pix_rs:
            continue
        jl = mean_pairwise_jaccard([frozenset(x["top5"]) for x in lime_rs])
        jp = mean_pairwise_jaccard([frozenset(x["top5"]) for x in pix_rs])
        wl = statistics.median(x["wall_s"] for x in lime_rs)
        wp = statistics.median(x["wall_s"] for x in pix_rs)
        cp = statistics.median(x["model_calls"] for x in pix_rs)
        reached = sum(bool(x["target_reached"]) for x in pix_rs)
        same = len({x["label"] for x in lime_rs + pix_rs}) == 1
        print(f"| {model} | {image} | {lime_rs[0]['segments']} / {pix_rs[0]['segments']} | {wl:.2f}, 1000, {jl:.2f} | "
              f"{wp:.2f}, {cp:.0f}, {jp:.2f}, {reached}/{len(pix_rs)} | {wl / wp:.1f} | {'yes' if same else 'NO'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "release", "cli", "pixlime"))
    ap.add_argument("--work", default="/tmp/pixlime_cli_vs_lime")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--train-steps", type=int, default=200)
    ap.add_argument("--models", default="cnn,resnet18")
    ap.add_argument("--cnn-images", default="chelsea_224.png,astronaut_224.png,coffee_224.png")
    ap.add_argument("--resnet-images", default="chelsea_224.png,astronaut_224.png")
    ap.add_argument("--reuse-models", action="store_true", help="keep WORK/*.pt from an earlier run")
    ap.add_argument("--build-only", action="store_true", help="only build the models")
    ap.add_argument("--results", default="results.json", help="file name in WORK for the runs (default results.json)")
    ap.add_argument("--table", nargs="+", metavar="JSON", help="only print the table of these results files, merged")
    ap.add_argument("--reruns", type=int, default=0,
                    help="N > 1: rerun agreement of lime_image (1000 samples) and pixlime --target-stability 0.95, seeds 0..N-1")
    args = ap.parse_args()
    if args.table:
        runs = []
        for path in args.table:
            with open(path) as f:
                runs += json.load(f)["results"]
        print_table(runs)
        return
    os.makedirs(args.work, exist_ok=True)
    sys.path.insert(0, "/work/shared/vendor/lime")
    from lime import lime_image
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    if args.reuse_models and all(os.path.exists(os.path.join(args.work, f)) for f in ("cnn.pt", "resnet18.pt", "models.json")):
        with open(os.path.join(args.work, "models.json")) as f:
            info = json.load(f)
    else:
        info = build_models(args.work, args.train_steps)
    print("models:", json.dumps(info), flush=True)
    if args.build_only:
        return
    if args.reruns > 1:
        run_reruns(args, lime_image, SegmentationAlgorithm, info)
        return

    plan = plan_of(args)
    results = []
    res_path = os.path.join(args.work, args.results)
    for rep in range(args.repeat):
        for key, im in plan:
            model_path = os.path.abspath(os.path.join(args.work, key + ".pt"))
            img_path = os.path.abspath(os.path.join(IMAGES, im))
            model = torch.jit.load(model_path).eval()
            image = load_rgb(img_path)
            with torch.no_grad():  # one warm-up call, not timed (JIT profiling runs)
                model(torch.zeros(10, 3, 224, 224))
            order = ["lime", "pix", "pixa"] if rep % 2 == 0 else ["pixa", "pix", "lime"]
            for which in order:
                if which == "lime":
                    r = run_lime(lime_image, SegmentationAlgorithm, model, image)
                else:
                    r = run_pixlime(args.cli, model_path, img_path, os.path.join(args.work, f"out_{key}_{which}"), which == "pixa")
                r.update(model=key, image=im, repeat=rep)
                results.append(r)
                print(f"{key} {im} {r['tool']}: wall {r['wall_s']:.2f} s, model {r['model_s']:.2f} s, "
                      f"calls {r['model_calls']}, segments {r['segments']}", flush=True)
                write_runs(res_path, info, "results", [dict(x, top5=sorted(x["top5"])) for x in results])
    print_table(results)


def print_table(results):
    groups = {}
    for r in results:
        groups.setdefault((r["model"], r["image"], r["tool"]), []).append(r)
    med = lambda rs, k: statistics.median(x[k] for x in rs)
    print("\n| model | image | tool | segments | model calls | wall s | model s | everything else s | lime / this wall | runs |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (model, image, tool), rs in groups.items():
        lime_rs = groups.get((model, image, "lime_image"))
        wall, ms = med(rs, "wall_s"), med(rs, "model_s")
        ratio = f"{med(lime_rs, 'wall_s') / wall:.2f}" if lime_rs else ""
        calls = sorted(set(x["model_calls"] for x in rs))
        print(f"| {model} | {image} | {tool} | {rs[0]['segments']} | {'/'.join(map(str, calls))} | {wall:.2f} | {ms:.2f} | "
              f"{wall - ms:.2f} | {ratio} | {len(rs)} |")
    print("\nWhere \"everything else\" goes (medians, seconds). lime: its quickshift (skimage), the forward pass "
          "alone inside classifier_fn; pixlime: explanation.json's timings_ms, and wall - total = process start, "
          "libtorch and model load before the timer starts, exit.")
    print("\n| model | image | tool | segmentation | perturbation | model: forward only (lime) / classifier | surrogate | "
          "load + render | wall - total | CPU user / sys |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for (model, image, tool), rs in groups.items():
        cpu_rs = [x for x in rs if "user_s" in x]
        cpu = (f"{statistics.median(x['user_s'] for x in cpu_rs):.2f} / {statistics.median(x['sys_s'] for x in cpu_rs):.2f}"
               f" (n={len(cpu_rs)})" if cpu_rs else "")
        if tool == "lime_image":
            print(f"| {model} | {image} | {tool} | {med(rs, 'segmentation_s'):.2f} | (in lime) | {med(rs, 'forward_s'):.2f} | "
                  f"(in lime) | | | {cpu} |")
        else:
            t = lambda k: statistics.median(x["timings_ms"][k] for x in rs) / 1000
            rest = statistics.median(x["wall_s"] - x["timings_ms"]["total"] / 1000 for x in rs)
            lr = statistics.median((x["timings_ms"]["load"] + x["timings_ms"]["render"]) / 1000 for x in rs)
            print(f"| {model} | {image} | {tool} | {t('segmentation'):.3f} | {t('perturbation'):.3f} | {t('classifier'):.2f} | "
                  f"{t('surrogate'):.4f} | {lr:.3f} | {rest:.2f} | {cpu} |")


if __name__ == "__main__":
    main()
