#!/usr/bin/env python3
"""Generates recurrent-net cases from PyTorch modules: the models are
PyTorch's own ONNX exports (nn.LSTM / nn.GRU / nn.RNN, stacked and
bidirectional) and the expected outputs PyTorch's, in the node-suite layout.
Usage: python3 gen_torch.py (needs torch and onnx)."""
import os
import shutil

import numpy as np
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(11)


def case(name, module, x, h=None):
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    module.eval()
    args = (x,) if h is None else (x, h)
    names = ["x"] if h is None else ["x", "h0"]
    torch.onnx.export(module, args, os.path.join(d, "model.onnx"), input_names=names,
                      output_names=["y", "hn"], opset_version=14)
    with torch.no_grad():
        y, hn = module(*args)
    for i, a in enumerate(args):
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a.numpy(), names[i]).SerializeToString())
    for i, (n, a) in enumerate([("y", y), ("hn", hn)]):
        with open(os.path.join(d, "test_data_set_0", "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a.numpy(), n).SerializeToString())
    print("ok", name)


class LSTMOut(torch.nn.Module):
    """nn.LSTM returning (output, h_n), the cell state left out."""

    def __init__(self, **kw):
        super().__init__()
        self.m = torch.nn.LSTM(**kw)

    def forward(self, x):
        y, (h, _) = self.m(x)
        return y, h


def main():
    case("torch_lstm_2layer_bidir", LSTMOut(input_size=5, hidden_size=4, num_layers=2, bidirectional=True),
         torch.randn(6, 3, 5))
    case("torch_gru_bidir_h0", torch.nn.GRU(input_size=4, hidden_size=3, bidirectional=True),
         torch.randn(5, 2, 4), torch.randn(2, 2, 3))
    case("torch_rnn_relu_batch_first", torch.nn.RNN(input_size=3, hidden_size=4, nonlinearity="relu", batch_first=True),
         torch.randn(2, 5, 3))


if __name__ == "__main__":
    main()
