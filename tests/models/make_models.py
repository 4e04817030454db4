#!/usr/bin/env python3
"""Builds the small real models the backend examples' tests run (examples/backends/), with torch,
deterministically, on the CPU:

    make_models.py OUT_DIR [--size 64] [--classes 4] [--seed 0] [--opset 11] [--pool mean]
                           [--static-batch] [--no-softmax]

A small CNN (conv 3->8 3x3, ReLU, maxpool 2, conv 8->16 3x3, ReLU, global average pool,
linear 16->classes, softmax: the outputs are probabilities), input 1x3xSIZExSIZE float NCHW,
written as
    OUT_DIR/cnn.pt        TorchScript (torch.jit.trace), for libtorch's torch::jit::load
    OUT_DIR/cnn.onnx      ONNX, exported so that OpenCV 4.6's cv::dnn::readNet loads it
                          (docs/backends.md: the settings and why)
    OUT_DIR/labels.txt    one class name per line
    OUT_DIR/reference_input.f32  a fixed batch of 3 images (reference_input below), raw
                          little-endian float32 NCHW
    OUT_DIR/reference.txt the torch outputs for it, one row per image, for checks
Exit status 77 (skipped) when torch cannot be imported.
"""
import argparse
import os
import sys

OUTPUTS = ("cnn.pt", "cnn.onnx", "labels.txt", "reference_input.f32", "reference.txt")

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # the tests skip on this
    # No models left from an earlier run with torch: the tests that would use them skip too.
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        for name in OUTPUTS:
            if os.path.exists(os.path.join(sys.argv[1], name)):
                os.remove(os.path.join(sys.argv[1], name))
    print(f"make_models.py: torch is not importable ({e}): skipped (Debian: apt-get install python3-torch)")
    sys.exit(77)


class SmallCNN(nn.Module):
    def __init__(self, classes, pool, softmax):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16, classes)
        self.pool = pool
        self.softmax = softmax

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.relu(self.conv2(x))
        if self.pool == "mean":          # ReduceMean over H, W: loads in OpenCV 4.6 with any batch
            x = x.mean(dim=(2, 3))
        elif self.pool == "adaptive":    # GlobalAveragePool + Flatten
            x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        elif self.pool == "view":        # GlobalAveragePool + Shape/Gather/Reshape (the batch as a value)
            x = nn.functional.adaptive_avg_pool2d(x, 1)
            x = x.view(x.size(0), -1)
        else:
            raise ValueError(self.pool)
        x = self.fc(x)
        return torch.softmax(x, dim=1) if self.softmax else x


def reference_input(size, n=3):
    """A fixed batch of n images (values in [-2, 2], as ImageNet-normalised pixels)."""
    g = torch.Generator().manual_seed(1234)
    return torch.rand(n, 3, size, size, generator=g) * 4 - 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--size", type=int, default=64, help="input height and width (default 64)")
    ap.add_argument("--classes", type=int, default=4, help="number of classes (default 4)")
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed for the weights (default 0)")
    ap.add_argument("--gain", type=float, default=2.5, help="factor on the initial weights (default 2.5)")
    ap.add_argument("--opset", type=int, default=11, help="ONNX opset (default 11)")
    ap.add_argument("--pool", choices=["mean", "adaptive", "view"], default="mean",
                    help="how the global average pool is written (default mean; docs/backends.md)")
    ap.add_argument("--static-batch", action="store_true", help="export the batch axis fixed at 1")
    ap.add_argument("--no-softmax", action="store_true", help="leave the softmax out (logits; for tests that must fail)")
    ap.add_argument("--no-constant-folding", action="store_true", help="do_constant_folding=False")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model = SmallCNN(args.classes, args.pool, not args.no_softmax).eval()
    with torch.no_grad():  # weights larger than torch's default initialisation: a model whose
        for p in model.parameters():  # outputs move when segments are hidden (weights ~0.005, not ~1e-4)
            p.mul_(args.gain)
    os.makedirs(args.out_dir, exist_ok=True)
    example = torch.zeros(1, 3, args.size, args.size)

    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(os.path.join(args.out_dir, "cnn.pt"))

    dynamic = None if args.static_batch else {"input": {0: "batch"}, "probabilities": {0: "batch"}}
    torch.onnx.export(model, example, os.path.join(args.out_dir, "cnn.onnx"),
                      input_names=["input"], output_names=["probabilities"],
                      opset_version=args.opset, do_constant_folding=not args.no_constant_folding,
                      dynamic_axes=dynamic)

    with open(os.path.join(args.out_dir, "labels.txt"), "w") as f:
        for c in range(args.classes):
            f.write(f"class_{c}\n")

    x = reference_input(args.size)
    x.numpy().astype("<f4").tofile(os.path.join(args.out_dir, "reference_input.f32"))
    with torch.no_grad():
        ref = model(x)
    with open(os.path.join(args.out_dir, "reference.txt"), "w") as f:
        for row in ref.tolist():
            f.write(" ".join(f"{v:.9g}" for v in row) + "\n")
    print(f"make_models.py: wrote cnn.pt, cnn.onnx (opset {args.opset}, pool {args.pool}, "
          f"{'static' if args.static_batch else 'dynamic'} batch), labels.txt, reference_input.f32, reference.txt to {args.out_dir}")


if __name__ == "__main__":
    main()
