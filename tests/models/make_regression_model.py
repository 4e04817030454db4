#!/usr/bin/env python3
"""Builds a small regression model for `pixlime explain --task regression`, with torch, exactly:

    make_regression_model.py OUT_DIR [--size 64] [--bias 250] [--red 2000] [--blue -1500]

One output per image, any real value (not a probability): for an input 1x3xSIZExSIZE float NCHW
(the image's pixels in [0, 1], pixlime explain's default preprocessing),

    value = bias + red x (mean red of the left half) + blue x (mean blue of the right half)

a linear layer on the flattened pixels (its weights set, not trained). With a black fill (the
command's default) hiding a segment removes exactly its pixels' share, so the model is linear in
the segment indicators: an explanation's weights are each segment's share of the value, its
intercept the bias. Written as
    OUT_DIR/regression.pt     TorchScript (torch.jit.trace), for libtorch
    OUT_DIR/regression.onnx   ONNX (Flatten + Gemm), for OpenCV DNN
Exit status 77 (skipped) when torch cannot be imported.
"""
import argparse
import os
import sys

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # the tests skip on this
    print(f"make_regression_model.py: torch is not importable ({e}): skipped (Debian: apt-get install python3-torch)")
    sys.exit(77)


class HalvesRegression(nn.Module):
    def __init__(self, size, bias, red, blue):
        super().__init__()
        self.fc = nn.Linear(3 * size * size, 1)
        w = torch.zeros(3, size, size)
        half = size // 2
        w[0, :, :half] = red / (size * half)            # mean red of the left half, times red
        w[2, :, half:] = blue / (size * (size - half))  # mean blue of the right half, times blue
        with torch.no_grad():
            self.fc.weight.copy_(w.reshape(1, -1))
            self.fc.bias.fill_(bias)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))  # (N, 1): one value per image


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--size", type=int, default=64, help="input height and width (default 64)")
    ap.add_argument("--bias", type=float, default=250.0, help="the value of a black image (default 250)")
    ap.add_argument("--red", type=float, default=2000.0, help="factor on the left half's mean red (default 2000)")
    ap.add_argument("--blue", type=float, default=-1500.0, help="factor on the right half's mean blue (default -1500)")
    args = ap.parse_args()

    model = HalvesRegression(args.size, args.bias, args.red, args.blue).eval()
    os.makedirs(args.out_dir, exist_ok=True)
    example = torch.zeros(1, 3, args.size, args.size)
    with torch.no_grad():
        torch.jit.trace(model, example).save(os.path.join(args.out_dir, "regression.pt"))
    torch.onnx.export(model, example, os.path.join(args.out_dir, "regression.onnx"), input_names=["input"],
                      output_names=["value"], opset_version=11, dynamic_axes={"input": {0: "batch"}, "value": {0: "batch"}})
    print(f"make_regression_model.py: wrote regression.pt and regression.onnx ({args.size}x{args.size}, "
          f"value = {args.bias:g} {args.red:+g} x left red {args.blue:+g} x right blue) to {args.out_dir}")


if __name__ == "__main__":
    main()
