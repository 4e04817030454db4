#!/usr/bin/env python3
"""Builds small detection and segmentation models (target models: many outputs per image) for
`pixlime explain`, with torch, exactly (weights set by hand, not trained), and a scene they see:

    make_target_models.py OUT_DIR [--size 64] [--scene FILE.png] [--check]

Inputs N x 3 x S x S float NCHW (S = --size, a multiple of 8), the image's pixels in [0, 1]
(pixlime explain's default preprocessing: 8-bit value / 255). Two pixel classes:
    red  pixel: r > 0.6 and g < 0.4 and b < 0.4      (class 1)
    blue pixel: b > 0.6 and r < 0.4 and g < 0.4      (class 2)
Written to OUT_DIR:

    detector_torchvision.pt  TorchScript (torch.jit.script: the number of detections varies), in
        torchvision's detection output layout: forward(x: Tensor) -> List[Dict[str, Tensor]], one
        dict per image with "boxes" (K x 4 float32: x1, y1, x2, y2 in pixels, x2 and y2 exclusive,
        i.e. the largest column / row + 1), "labels" (K int64) and "scores" (K float32). For each
        class (1 then 2) with at least 4 such pixels (the hard tests above): one detection, box =
        the bounding box of those pixels, score = min(1, count / ref_area), ref_area = H x W / 16
        (= (S/4)^2). K = 0, 1 or 2. The scripted module gives the eager module's outputs exactly.

    detector_yolo.pt (torch.jit.trace), detector_yolo.onnx (opset 11, batch axis dynamic):
        YOLO-style pre-NMS rows, output N x R x 7, R = (S/8)^2, one row per 8x8 cell, row-major
        over the cells (row = i x S/8 + j for the cell of rows 8i..8i+7, columns 8j..8j+7):
            x_center = 8j + 4, y_center = 8i + 4, w = 8, h = 8   (the cell's box in pixels)
            objectness = max(red, blue),  then the class scores red, blue
        where red / blue = the mean over the cell's 64 pixels of the smooth pixel tests
            red(p)  = ramp(20 (r - 0.6)) x ramp(20 (0.4 - g)) x ramp(20 (0.4 - b))
            blue(p) = ramp(20 (b - 0.6)) x ramp(20 (0.4 - r)) x ramp(20 (0.4 - g))
            ramp(t) = 1 - max(0, 1 - max(0, t))   (= min(max(t, 0), 1): exactly 0 for t <= 0, 1 for t >= 1)
        equal to the hard tests whenever no channel is in (0.35, 0.4) or (0.6, 0.65); so on pixels
        of values 0, 128/255 and 1 red / blue are the exact fractions k/64 of red / blue pixels.
        Graph: one 1x1 conv 3->5 (the ramps' arguments 20 (r - 0.6), 20 (0.4 - g), 20 (0.4 - b),
        20 (b - 0.6), 20 (0.4 - r)), Relu / Sub from 1 (not Clip: OpenCV 4.6 cannot parse an
        opset-11 Clip, whose bounds are inputs), Slice, Mul, Concat, AveragePool 8x8 stride 8
        (count_include_pad off: no Pad node), Max; the constant box columns from a zero-weight
        S x S conv 3->1 with bias 1 (ones, N x 1 x 1 x 1) and a 1x1 conv 1->4R holding them as
        weights; Reshape to (-1, C, R) with constant shapes, Concat, Transpose. No Shape / Gather /
        NonZero / Loop / Clip, and no two equal weight tensors (torch 1.13's exporter turns
        duplicate initializers into Identity nodes, which OpenCV 4.6 cannot parse): OpenCV DNN 4.6
        (cv::dnn::readNet) runs it with any batch size.

    segmenter.pt (torch.jit.trace), segmenter.onnx (opset 11, batch axis dynamic): one 1x1 conv
        3->3, output N x 3 x S x S class scores per pixel:
            class 0 (background) = 0.25,  class 1 (red) = r - (g + b) / 2,  class 2 (blue) = b - (r + g) / 2
        (weights [[0, 0, 0], [1, -.5, -.5], [-.5, -.5, 1]], biases [0.25, 0, 0]). The argmax is 0 on
        gray, 1 on pure red (scores 0.25, 1, -0.5), 2 on pure blue.

    scene.png (and FILE.png too with --scene FILE.png): S x S 8-bit RGB, gray (128, 128, 128)
        background, a pure red (255, 0, 0) square of side S/4 with top-left corner (S/8, S/8) and a
        pure blue (0, 0, 255) square of side S/4 with top-left corner (5S/8, 5S/8) (x, y; the
        squares cover columns and rows [S/8, 3S/8) and [5S/8, 7S/8)). Written with PIL when it is
        importable, else with a minimal PNG writer (zlib + struct).

    real_scene.png (with --on IMAGE, and PIL importable): IMAGE resized to S x S (PIL, bilinear) with
        the same two squares painted on it, exactly as in scene.png: a real photograph's pixels
        around the planted objects.

--check then verifies (exit 1 on the first failure): on the scene the torchvision-layout detector
returns boxes [S/8, S/8, 3S/8, 3S/8] and [5S/8, 5S/8, 7S/8, 7S/8], labels [1, 2], scores 1.0, and
with the red square painted black only the blue one (and nothing on a gray image); every YOLO row
of the scene equals the geometry's cell fractions (a cell inside the red square, where one
exists: objectness 1, red 1, blue 0 -- at S = 32 none does, the square covers [4, 12) and its cells
are a quarter red; a gray cell: 0, 0, 0), and on random 0/1 blocks of 8x8 the class scores equal
the hard tests; the segmenter's argmax on the scene is 1 exactly on the red
square, 2 on the blue one, 0 elsewhere; each .pt file (torch.jit.load) gives the eager module's
outputs exactly (scene, black-painted scene, random images); and, when cv2 is importable,
cv2.dnn.readNetFromONNX runs both .onnx files on batches of 2, 1 and 3 and matches torch to 1e-5
(otherwise it says the ONNX check was skipped).
Exit status 77 (skipped) when torch cannot be imported.
"""
import argparse
import os
import struct
import sys
import zlib
from typing import Dict, List

OUTPUTS = ("detector_torchvision.pt", "detector_yolo.pt", "detector_yolo.onnx", "segmenter.pt",
           "segmenter.onnx", "scene.png")

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # the tests skip on this
    # No models left from an earlier run with torch: the tests that would use them skip too.
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        for name in OUTPUTS:
            if os.path.exists(os.path.join(sys.argv[1], name)):
                os.remove(os.path.join(sys.argv[1], name))
    print(f"make_target_models.py: torch is not importable ({e}): skipped (Debian: apt-get install python3-torch)")
    sys.exit(77)

CLASSES = ("background", "red", "blue")


class TorchvisionLayoutDetector(nn.Module):
    """Hard pixel tests, one detection per class with >= 4 pixels (module docstring)."""

    def __init__(self):
        super().__init__()

    def detect(self, mask: torch.Tensor, label: int, ref_area: float,
               boxes: List[torch.Tensor], labels: List[int], scores: List[float]):
        count = int(mask.sum())
        if count >= 4:
            yx = torch.nonzero(mask)  # (count, 2): row, column
            y1 = int(yx[:, 0].min())
            y2 = int(yx[:, 0].max()) + 1
            x1 = int(yx[:, 1].min())
            x2 = int(yx[:, 1].max()) + 1
            boxes.append(torch.tensor([float(x1), float(y1), float(x2), float(y2)], dtype=torch.float32))
            labels.append(label)
            scores.append(min(1.0, float(count) / ref_area))

    def forward(self, x: torch.Tensor) -> List[Dict[str, torch.Tensor]]:
        ref_area = float(x.size(2) * x.size(3)) / 16.0
        out: List[Dict[str, torch.Tensor]] = []
        for i in range(x.size(0)):
            r = x[i, 0]
            g = x[i, 1]
            b = x[i, 2]
            boxes: List[torch.Tensor] = []
            labels: List[int] = []
            scores: List[float] = []
            self.detect((r > 0.6) & (g < 0.4) & (b < 0.4), 1, ref_area, boxes, labels, scores)
            self.detect((b > 0.6) & (r < 0.4) & (g < 0.4), 2, ref_area, boxes, labels, scores)
            if len(boxes) > 0:
                box_tensor = torch.stack(boxes)
            else:
                box_tensor = torch.zeros(0, 4, dtype=torch.float32)
            out.append({"boxes": box_tensor,
                        "labels": torch.tensor(labels, dtype=torch.int64).reshape(-1),
                        "scores": torch.tensor(scores, dtype=torch.float32).reshape(-1)})
        return out


class YoloRows(nn.Module):
    """Pre-NMS rows N x R x 7 (module docstring); only ops OpenCV DNN 4.6 runs."""

    def __init__(self, size):
        super().__init__()
        assert size % 8 == 0
        cells = size // 8
        self.rows = cells * cells
        self.tests = nn.Conv2d(3, 5, 1)  # the ramps' arguments, one channel each
        with torch.no_grad():
            self.tests.weight.copy_(torch.tensor([[20, 0, 0],     # 20 (r - 0.6)
                                                  [0, -20, 0],    # 20 (0.4 - g)
                                                  [0, 0, -20],    # 20 (0.4 - b)
                                                  [0, 0, 20],     # 20 (b - 0.6)
                                                  [-20, 0, 0]],   # 20 (0.4 - r)
                                                 dtype=torch.float32).reshape(5, 3, 1, 1))
            self.tests.bias.copy_(torch.tensor([-12, 8, 8, -12, 8], dtype=torch.float32))
        self.ones = nn.Conv2d(3, 1, size)             # N x 1 x 1 x 1, all 1: zero weights, bias 1
        self.boxes = nn.Conv2d(1, 4 * self.rows, 1, bias=False)  # the box columns, as weights
        j = torch.arange(cells, dtype=torch.float32).repeat(cells)               # column of each cell
        i = torch.arange(cells, dtype=torch.float32).repeat_interleave(cells)    # row of each cell
        columns = torch.stack([8 * j + 4, 8 * i + 4, torch.full_like(j, 8), torch.full_like(j, 8)])
        with torch.no_grad():
            self.ones.weight.zero_()
            self.ones.bias.fill_(1)
            self.boxes.weight.copy_(columns.reshape(4 * self.rows, 1, 1, 1))

    def forward(self, x):
        # N x 5 x S x S ramps: 1 - relu(1 - relu(t)), not clamp (an opset-11 Clip takes its bounds
        # as inputs, which OpenCV 4.6 cannot parse)
        t = 1 - torch.relu(1 - torch.relu(self.tests(x)))
        red = t[:, 0:1] * t[:, 1:2] * t[:, 2:3]
        blue = t[:, 3:4] * t[:, 4:5] * t[:, 1:2]
        fractions = nn.functional.avg_pool2d(torch.cat([red, blue], dim=1), 8, 8, count_include_pad=False)
        red = fractions[:, 0:1]                                       # N x 1 x S/8 x S/8: the cells' fractions
        blue = fractions[:, 1:2]
        objectness = torch.maximum(red, blue)
        boxes = self.boxes(self.ones(x)).reshape(-1, 4, self.rows)
        rows = torch.cat([boxes, objectness.reshape(-1, 1, self.rows), red.reshape(-1, 1, self.rows),
                          blue.reshape(-1, 1, self.rows)], dim=1)    # N x 7 x R
        return rows.transpose(1, 2)                                   # N x R x 7


class Segmenter(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([[0, 0, 0], [1, -0.5, -0.5], [-0.5, -0.5, 1]],
                                                dtype=torch.float32).reshape(3, 3, 1, 1))
            self.conv.bias.copy_(torch.tensor([0.25, 0, 0]))

    def forward(self, x):
        return self.conv(x)  # N x 3 x S x S


def scene_pixels(size):
    """The scene as an S x S x 3 uint8 tensor (module docstring)."""
    img = torch.full((size, size, 3), 128, dtype=torch.uint8)
    a, b = size // 8, 3 * size // 8
    img[a:b, a:b] = torch.tensor([255, 0, 0], dtype=torch.uint8)
    a, b = 5 * size // 8, 7 * size // 8
    img[a:b, a:b] = torch.tensor([0, 0, 255], dtype=torch.uint8)
    return img


def as_input(pixels):
    """H x W x 3 uint8 -> 1 x 3 x H x W float in [0, 1] (value / 255)."""
    return pixels.permute(2, 0, 1).unsqueeze(0).to(torch.float32) / 255.0


def write_png(path, pixels):
    try:
        from PIL import Image
        Image.fromarray(pixels.numpy(), "RGB").save(path)
        return "PIL"
    except ImportError:
        pass
    h, w, _ = pixels.shape
    raw = b"".join(b"\x00" + bytes(pixels[y].flatten().tolist()) for y in range(h))  # filter 0 rows

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "zlib"


class CheckFailed(Exception):
    pass


def expect(ok, what):
    if not ok:
        raise CheckFailed(what)
    print(f"  ok: {what}")


def check(out_dir, size, det, yolo, seg, scene_file):
    s = size
    pixels = scene_pixels(s)
    scene = as_input(pixels)
    try:  # the written PNG is the scene
        from PIL import Image
        import numpy
        back = torch.from_numpy(numpy.array(Image.open(scene_file).convert("RGB")))
        expect(torch.equal(back, pixels), f"{os.path.basename(scene_file)} reads back as the scene ({s}x{s})")
    except ImportError:
        print("  (PIL not importable: the PNG was not read back)")
    blacked = pixels.clone()
    blacked[s // 8:3 * s // 8, s // 8:3 * s // 8] = 0
    blacked = as_input(blacked)
    gray = torch.full((1, 3, s, s), 128 / 255.0)
    g = torch.Generator().manual_seed(1234)
    noise = torch.rand(3, 3, s, s, generator=g)
    blocks = torch.rand(2, 3, s // 8, s // 8, generator=g).round().repeat_interleave(8, 2).repeat_interleave(8, 3)

    # the torchvision-layout detector
    d = det(scene)
    expect(len(d) == 1 and sorted(d[0].keys()) == ["boxes", "labels", "scores"], "detector: one dict per image, boxes/labels/scores")
    expect(d[0]["boxes"].dtype == torch.float32 and d[0]["labels"].dtype == torch.int64 and d[0]["scores"].dtype == torch.float32,
           "detector: boxes float32, labels int64, scores float32")
    want = torch.tensor([[s / 8, s / 8, 3 * s / 8, 3 * s / 8], [5 * s / 8, 5 * s / 8, 7 * s / 8, 7 * s / 8]])
    expect(torch.equal(d[0]["boxes"], want), f"detector on the scene: boxes {d[0]['boxes'].tolist()}")
    expect(d[0]["labels"].tolist() == [1, 2], f"detector on the scene: labels {d[0]['labels'].tolist()}")
    expect(d[0]["scores"].tolist() == [1.0, 1.0], f"detector on the scene: scores {d[0]['scores'].tolist()}")
    d = det(torch.cat([blacked, gray]))
    expect(len(d) == 2 and torch.equal(d[0]["boxes"], want[1:]) and d[0]["labels"].tolist() == [2]
           and d[0]["scores"].tolist() == [1.0], "detector, red square painted black: only the blue square")
    expect(d[1]["boxes"].shape == (0, 4) and d[1]["labels"].shape == (0,) and d[1]["scores"].shape == (0,),
           "detector on a gray image: no detection (boxes 0 x 4)")

    # the YOLO rows: every row from the geometry
    cells = s // 8
    rows = yolo(scene)
    expect(rows.shape == (1, cells * cells, 7), f"yolo: output 1 x {cells * cells} x 7")

    def overlap(c, lo, hi):  # pixels of cell c (8c .. 8c+7) inside [lo, hi)
        return max(0, min(8 * c + 8, hi) - max(8 * c, lo))

    want = torch.zeros(cells * cells, 7)
    for i in range(cells):
        for j in range(cells):
            red = overlap(i, s // 8, 3 * s // 8) * overlap(j, s // 8, 3 * s // 8) / 64
            blue = overlap(i, 5 * s // 8, 7 * s // 8) * overlap(j, 5 * s // 8, 7 * s // 8) / 64
            want[i * cells + j] = torch.tensor([8 * j + 4, 8 * i + 4, 8, 8, max(red, blue), red, blue])
    expect(torch.equal(rows[0], want), "yolo on the scene: every row = (cell centre, 8, 8, max, red, blue fractions)")
    c = (s // 4) // 8  # the cell holding the red square's centre pixel (s/4, s/4)
    print(f"  yolo row of cell ({c}, {c}) (red square's centre): {rows[0, c * cells + c].tolist()}")
    inside = [(i, j) for i in range(cells) for j in range(cells) if 8 * i >= s // 8 and 8 * i + 8 <= 3 * s // 8
              and 8 * j >= s // 8 and 8 * j + 8 <= 3 * s // 8]
    for i, j in inside[:1]:
        expect(rows[0, i * cells + j, 4:].tolist() == [1, 1, 0], f"yolo: cell ({i}, {j}) inside the red square: (.., 1, 1, 0)")
    if not inside:
        print(f"  (no 8x8 cell lies inside the red square at size {s}: its cells are partly red)")
    gray_cells = [k for k in range(cells * cells) if want[k, 4] == 0]
    for k in gray_cells[-1:]:  # the last gray cell in row order
        expect(rows[0, k, 4:].tolist() == [0, 0, 0], f"yolo: gray cell ({k // cells}, {k % cells}): (.., 0, 0, 0)")
    expect(torch.equal(yolo(blocks)[..., 5:], torch.stack([
        ((blocks[:, 0] > 0.6) & (blocks[:, 1] < 0.4) & (blocks[:, 2] < 0.4)).float(),
        ((blocks[:, 2] > 0.6) & (blocks[:, 0] < 0.4) & (blocks[:, 1] < 0.4)).float()], 1)[:, :, ::8, ::8]
        .reshape(2, 2, -1).transpose(1, 2)), "yolo on random 0/1 cells: class scores = the hard tests")

    # the segmenter
    arg = seg(scene).argmax(1)[0]
    want = torch.zeros(s, s, dtype=torch.int64)
    want[s // 8:3 * s // 8, s // 8:3 * s // 8] = 1
    want[5 * s // 8:7 * s // 8, 5 * s // 8:7 * s // 8] = 2
    expect(torch.equal(arg, want), "segmenter: argmax on the scene 1 exactly on the red square, 2 on the blue, 0 elsewhere")

    # the saved TorchScript files
    inputs = [scene, blacked, gray, noise, blocks]
    loaded = torch.jit.load(os.path.join(out_dir, "detector_torchvision.pt"))
    for x in inputs:
        a, b = det(x), loaded(x)
        expect(len(a) == len(b) and all(torch.equal(p[k], q[k]) for p, q in zip(a, b) for k in p) and
               all(sorted(p.keys()) == sorted(q.keys()) for p, q in zip(a, b)),
               f"detector_torchvision.pt = eager on {x.shape[0]} image(s): {[len(p['labels']) for p in b]} detections")
    for name, model in (("detector_yolo.pt", yolo), ("segmenter.pt", seg)):
        loaded = torch.jit.load(os.path.join(out_dir, name))
        expect(all(torch.equal(model(x), loaded(x)) for x in inputs), f"{name} = eager (batches of 1, 3, 2)")

    # OpenCV DNN
    try:
        import cv2
    except ImportError as e:
        print(f"  ONNX check skipped: cv2 is not importable ({e})")
        return
    for name, model in (("detector_yolo.onnx", yolo), ("segmenter.onnx", seg)):
        net = cv2.dnn.readNetFromONNX(os.path.join(out_dir, name))
        for x in (torch.cat([scene, noise[:1]]), blacked, noise):
            net.setInput(x.numpy())
            got = torch.from_numpy(net.forward())
            ref = model(x)
            expect(got.shape == ref.shape and float((got - ref).abs().max()) <= 1e-5,
                   f"{name} in OpenCV {cv2.__version__} DNN, batch {x.shape[0]}: shape {tuple(got.shape)}, "
                   f"max |diff| {float((got - ref).abs().max()) if got.shape == ref.shape else float('nan'):.3g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--size", type=int, default=64, help="input height and width, a multiple of 8 (default 64)")
    ap.add_argument("--scene", metavar="FILE.png", help="also write the scene to FILE.png")
    ap.add_argument("--on", metavar="IMAGE", help="also write real_scene.png: IMAGE resized, the squares painted on it (needs PIL)")
    ap.add_argument("--check", action="store_true", help="verify the models (module docstring); exit 1 on a failure")
    args = ap.parse_args()
    if args.size < 8 or args.size % 8:
        ap.error("--size must be a positive multiple of 8")

    s = args.size
    os.makedirs(args.out_dir, exist_ok=True)
    det = TorchvisionLayoutDetector().eval()
    yolo = YoloRows(s).eval()
    seg = Segmenter().eval()
    for p in list(yolo.parameters()) + list(seg.parameters()):
        p.requires_grad_(False)
    example = torch.zeros(1, 3, s, s)

    torch.jit.script(det).save(os.path.join(args.out_dir, "detector_torchvision.pt"))
    with torch.no_grad():
        torch.jit.trace(yolo, example).save(os.path.join(args.out_dir, "detector_yolo.pt"))
        torch.jit.trace(seg, example).save(os.path.join(args.out_dir, "segmenter.pt"))
    torch.onnx.export(yolo, example, os.path.join(args.out_dir, "detector_yolo.onnx"), input_names=["input"],
                      output_names=["rows"], opset_version=11, dynamic_axes={"input": {0: "batch"}, "rows": {0: "batch"}})
    torch.onnx.export(seg, example, os.path.join(args.out_dir, "segmenter.onnx"), input_names=["input"],
                      output_names=["scores"], opset_version=11, dynamic_axes={"input": {0: "batch"}, "scores": {0: "batch"}})
    pixels = scene_pixels(s)
    scene_files = [os.path.join(args.out_dir, "scene.png")] + ([args.scene] if args.scene else [])
    for path in scene_files:
        how = write_png(path, pixels)
    if args.on:
        try:
            from PIL import Image
            photo = torch.tensor(list(Image.open(args.on).convert("RGB").resize((s, s), Image.BILINEAR).getdata()), dtype=torch.uint8)
            photo = photo.reshape(s, s, 3)
            planted = scene_pixels(s)
            squares = (planted != 128).any(dim=2)
            photo[squares] = planted[squares]
            write_png(os.path.join(args.out_dir, "real_scene.png"), photo)
            print(f"make_target_models.py: wrote real_scene.png ({args.on} with the squares)")
        except ImportError:
            print("make_target_models.py: PIL is not importable: real_scene.png not written (Debian: python3-pil)")
    print(f"make_target_models.py: wrote detector_torchvision.pt (scripted), detector_yolo.pt, detector_yolo.onnx "
          f"({s * s // 64} rows x 7), segmenter.pt, segmenter.onnx (3 classes), scene.png ({s}x{s}, {how})"
          f" to {args.out_dir}" + (f", and the scene to {args.scene}" if args.scene else ""))

    if args.check:
        try:
            with torch.no_grad():
                check(args.out_dir, s, det, yolo, seg, scene_files[-1])
        except CheckFailed as e:
            print(f"make_target_models.py: FAIL: {e}")
            sys.exit(1)
        print(f"make_target_models.py: all checks passed (size {s})")


if __name__ == "__main__":
    main()
