#!/usr/bin/python3
"""Make the small models of testdata/models with PyTorch.

Each model lands in testdata/models/<name>/ in the ONNX backend-test layout:
  model.onnx
  test_data_set_0/input_0.{npy,pb}, output_0.{npy,pb}
The expected outputs are PyTorch's, computed from the same module that was
exported. Weights are random but seeded, so every run gives the same files.
Needs Debian's python3-torch, python3-onnx and python3-numpy.

usage: /usr/bin/python3 testdata/models/make.py [name ...]
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


class TinyCNN(nn.Module):
    """Conv+BN+ReLU, MaxPool, a residual block, global average pooling and a
    Linear (Gemm) classifier head with 10 classes."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.c1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(8)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(self.stem(x))
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        x = torch.relu(x + y)
        return self.fc(torch.flatten(self.gap(x), 1))


class TinySeed(nn.Module):
    """The conv arithmetic of the seed notebook: an 11x11 stride-4 conv, a
    dilated grouped conv, a SAME-padded stride-2 conv (rewritten to
    auto_pad=SAME_UPPER after export), a ConvTranspose with output_padding,
    Concat, AveragePool with ceil_mode, and nearest and bilinear Resize."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 16, 11, stride=4, padding=2)
        self.b = nn.Conv2d(16, 16, 3, dilation=2, padding=2, groups=4)
        self.c = nn.Conv2d(16, 16, 3, stride=2)
        self.d = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        self.pool = nn.AvgPool2d(3, stride=2, ceil_mode=True, count_include_pad=False)

    def forward(self, x):
        a = torch.relu(self.a(x))                 # [1,16,16,16]
        b = torch.relu(self.b(a))                 # [1,16,16,16]
        c = torch.relu(self.c(F.pad(b, (0, 1, 0, 1))))  # SAME_UPPER, stride 2: [1,16,8,8]
        d = self.d(c)                             # [1,8,16,16]
        e = torch.cat([b, d], 1)                  # [1,24,16,16]
        f = self.pool(e)                          # [1,24,8,8]
        return (F.interpolate(f, scale_factor=2, mode="nearest")
                + F.interpolate(f, scale_factor=2, mode="bilinear", align_corners=False))


class TinyDCGAN(nn.Module):
    """A small DCGAN generator: Gemm, BatchNormalization, Reshape, nearest
    Upsample, Conv and Tanh."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 64)
        self.fc2 = nn.Linear(64, 8 * 4 * 4)
        self.bn = nn.BatchNorm1d(8 * 4 * 4)
        self.conv1 = nn.Conv2d(8, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, z):
        x = torch.tanh(self.fc1(z))
        x = torch.tanh(self.bn(self.fc2(x)))
        x = x.reshape(-1, 8, 4, 4)
        x = torch.tanh(self.conv1(F.interpolate(x, scale_factor=2, mode="nearest")))
        return torch.tanh(self.conv2(F.interpolate(x, scale_factor=2, mode="nearest")))


def same_upper(model):
    """Fold a Pad node feeding a Conv into the Conv as auto_pad=SAME_UPPER
    (the Pad of TinySeed pads only the ends, as SAME_UPPER does there)."""
    g = model.graph
    consts = {n.output[0]: n for n in g.node if n.op_type == "Constant"}
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    for p in [n for n in g.node if n.op_type == "Pad"]:
        us = users.get(p.output[0], [])
        if len(us) != 1 or us[0].op_type != "Conv":
            continue
        conv = us[0]
        conv.input[0] = p.input[0]
        keep = [a for a in conv.attribute if a.name != "pads"]
        del conv.attribute[:]
        conv.attribute.extend(keep + [helper.make_attribute("auto_pad", "SAME_UPPER")])
        g.node.remove(p)
        for name in p.input[1:]:
            if name in consts and len(users.get(name, [])) == 1:
                g.node.remove(consts[name])
            init = [t for t in g.initializer if t.name == name]
            if init and len(users.get(name, [])) == 1:
                g.initializer.remove(init[0])
    prune(g)
    return model


def prune(g):
    """Remove nodes whose outputs nothing reads."""
    while True:
        used = {o.name for o in g.output}
        for n in g.node:
            used.update(n.input)
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            return
        for n in dead:
            g.node.remove(n)


# name: (module, test input shape, opset, dynamic batch, rewrite)
MODELS = {
    "tiny_cnn": (TinyCNN, (2, 3, 16, 16), 13, True, None),
    "tiny_seed": (TinySeed, (1, 3, 67, 67), 11, False, same_upper),
    "tiny_dcgan": (TinyDCGAN, (3, 16), 9, True, None),
}


def make(name):
    ctor, shape, opset, dyn, rewrite = MODELS[name]
    torch.manual_seed(0)
    m = ctor().eval()
    for mod in m.modules():  # non-trivial statistics, so that a wrong BatchNormalization shows
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.5, 0.5)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    path = os.path.join(d, "model.onnx")
    axes = {"input": {0: "N"}, "output": {0: "N"}} if dyn else None
    with torch.no_grad():
        y = m(x)
    # PRESERVE (the module is in eval mode) keeps BatchNormalization nodes
    # instead of folding them into the convolutions.
    torch.onnx.export(m, x, path, opset_version=opset, input_names=["input"],
                      output_names=["output"], dynamic_axes=axes,
                      training=torch.onnx.TrainingMode.PRESERVE)
    if rewrite:
        mp = rewrite(onnx.load(path))
        onnx.checker.check_model(mp)
        onnx.save(mp, path)
    for base, arr in [("input_0", x.numpy()), ("output_0", y.numpy())]:
        base = os.path.join(d, "test_data_set_0", base)
        with open(base + ".pb", "wb") as f:
            f.write(numpy_helper.from_array(arr, os.path.basename(base)).SerializeToString())
        np.save(base + ".npy", arr)
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print(f"{name}: opset {opset}, input {list(shape)}, output {list(y.shape)}, "
          f"{os.path.getsize(path)} bytes, ops {' '.join(ops)}")


if __name__ == "__main__":
    for n in sys.argv[1:] or list(MODELS):
        make(n)
