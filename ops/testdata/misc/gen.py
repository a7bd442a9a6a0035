#!/usr/bin/env python3
"""Generates the misc-op test cases in this folder, in the layout of the ONNX
node suite (CASE/model.onnx, CASE/test_data_set_0/{input,output}_N.pb).

Models are built with onnx.helper; the expected outputs come from ONNX
Runtime (onnxruntime-node, run by expect.js), an independent implementation.
Usage: NODE_PATH=/path/to/node_modules python3 gen.py
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(7)
NP2ONNX = {np.object_: TensorProto.STRING, np.str_: TensorProto.STRING, np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE, np.int32: TensorProto.INT32,
           np.int64: TensorProto.INT64, np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8,
           np.bool_: TensorProto.BOOL}


def f32(*shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


def vi(name, arr):
    return helper.make_tensor_value_info(name, NP2ONNX[arr.dtype.type], arr.shape)


def case(name, nodes, inputs, outputs, opset=17, functions=(), domains=()):
    """inputs: list of (name, array); outputs: names (types left unknown)."""
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    g = helper.make_graph(nodes, name, [vi(n, a) for n, a in inputs],
                          [helper.make_value_info(o, onnx.TypeProto()) for o in outputs])
    imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(dm, 1) for dm in domains]
    m = helper.make_model(g, opset_imports=imports, functions=list(functions), ir_version=8)
    onnx.save(m, os.path.join(d, "model.onnx"))
    def jtype(a):
        return "string" if a.dtype == object else str(a.dtype)

    js = [{"name": n, "type": jtype(a), "dims": list(a.shape),
           "data": [x if a.dtype == object else x.item() for x in a.ravel()]} for n, a in inputs]
    with open(os.path.join(d, "inputs.json"), "w") as f:
        json.dump(js, f)
    r = subprocess.run(["node", os.path.join(HERE, "expect.js"), d], capture_output=True, text=True)
    if r.returncode != 0:
        print("skip", name, r.stderr.strip())
        shutil.rmtree(d)
        return
    with open(os.path.join(d, "outputs.json")) as f:
        outs = json.load(f)
    for i, (n, a) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for i, o in enumerate(outs):
        if o["type"] == "string":
            a = np.array(o["data"], dtype=object).reshape(o["dims"])
        else:
            a = np.array([int(x) for x in o["data"]] if o["type"] == "int64" else o["data"],
                         dtype=o["type"]).reshape(o["dims"])
        with open(os.path.join(d, "test_data_set_0", "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a, o["name"]).SerializeToString())
    # output types for the loader
    for i, o in enumerate(outs):
        et = TensorProto.STRING if o["type"] == "string" else NP2ONNX[np.dtype(o["type"]).type]
        m.graph.output[i].CopyFrom(helper.make_tensor_value_info(o["name"], et, None))
    onnx.save(m, os.path.join(d, "model.onnx"))
    os.remove(os.path.join(d, "inputs.json"))
    os.remove(os.path.join(d, "outputs.json"))
    print("ok", name)


def rnn_inputs(kind, dirs, seq, batch, isz, hid, lens=None, layout=0):
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    x = f32(seq, batch, isz) if layout == 0 else f32(batch, seq, isz)
    ins = [("X", x), ("W", f32(dirs, G * hid, isz)), ("R", f32(dirs, G * hid, hid)), ("B", f32(dirs, 2 * G * hid))]
    ins.append(("sequence_lens", np.array(lens if lens else [seq] * batch, dtype=np.int32)))
    st = (dirs, batch, hid) if layout == 0 else (batch, dirs, hid)
    ins.append(("initial_h", f32(*st)))
    if kind == "LSTM":
        ins.append(("initial_c", f32(*st)))
        ins.append(("P", f32(dirs, 3 * hid)))
    return ins


def rnn_case(name, kind, dirs, lens=None, layout=0, **attrs):
    direction = attrs.pop("direction", "bidirectional" if dirs == 2 else "forward")
    ins = rnn_inputs(kind, dirs, 4, 3, 5, 3, lens, layout)
    outs = ["Y", "Y_h"] + (["Y_c"] if kind == "LSTM" else [])
    n = helper.make_node(kind, [a for a, _ in ins], outs, hidden_size=3, direction=direction, layout=layout, **attrs)
    case(name, [n], ins, outs, opset=14)


def main():
    # Recurrent nets: directions, activations with alpha/beta, clip, sequence_lens, initial states.
    rnn_case("rnn_bidir_acts_clip", "RNN", 2, lens=[4, 2, 3], activations=["LeakyRelu", "ScaledTanh"],
             activation_alpha=[0.3, 0.8], activation_beta=[1.5], clip=0.7)
    rnn_case("rnn_reverse_affine", "RNN", 1, lens=[1, 4, 3], direction="reverse", activations=["Affine"],
             activation_alpha=[0.5], activation_beta=[0.1])
    rnn_case("gru_bidir_lbr", "GRU", 2, lens=[3, 4, 1], linear_before_reset=1)
    rnn_case("gru_reverse_acts", "GRU", 1, direction="reverse", activations=["HardSigmoid", "Softsign"],
             activation_alpha=[0.25], activation_beta=[0.4])
    rnn_case("lstm_bidir_peep", "LSTM", 2, lens=[4, 3, 2])
    rnn_case("lstm_reverse_forget_clip", "LSTM", 1, direction="reverse", input_forget=1, clip=0.5)
    rnn_case("lstm_acts", "LSTM", 1, activations=["Sigmoid", "Elu", "Softplus"], activation_alpha=[0.7])

    # Einsum: implicit output, ellipsis broadcasting, diagonals, traces, integers.
    def einsum(name, eq, *arrs):
        ins = [("x%d" % i, a) for i, a in enumerate(arrs)]
        case(name, [helper.make_node("Einsum", [n for n, _ in ins], ["y"], equation=eq)], ins, ["y"], opset=12)
    einsum("einsum_implicit_matmul", "ij,jk", f32(2, 3), f32(3, 4))
    einsum("einsum_ellipsis_bcast", "...ij,...jk->...ik", f32(2, 1, 2, 3), f32(1, 3, 3, 2))
    einsum("einsum_diag", "ii->i", f32(4, 4))
    einsum("einsum_trace_implicit", "ii", f32(3, 3))
    einsum("einsum_outer", "i,j->ij", f32(3), f32(4))
    einsum("einsum_ellipsis_implicit", "...ab,...bc", f32(2, 3, 4), f32(2, 4, 2))
    einsum("einsum_three", "ab,bc,cd->ad", f32(2, 3), f32(3, 4), f32(4, 2))
    einsum("einsum_int32", "ij,jk->ik", rng.randint(-5, 5, (2, 3)).astype(np.int32), rng.randint(-5, 5, (3, 2)).astype(np.int32))
    einsum("einsum_repeat_3", "iij->ij", f32(3, 3, 2))
    einsum("einsum_sum_ellipsis", "a...->...", f32(3, 2, 2))

    # (layout 1 is covered by the node suite's *_batchwise tests; ONNX Runtime's CPU kernels reject it.)

    # Loop: trip count only with scan outputs; condition only; zero iterations.
    def loop_case(name, m, cond, body_nodes, body_in, body_out, carried, outs):
        ins = []
        names = []
        if m is not None:
            ins.append(("M", np.array(m, dtype=np.int64)))
            names.append("M")
        else:
            names.append("")
        if cond is not None:
            ins.append(("cond", np.array(cond, dtype=np.bool_)))
            names.append("cond")
        else:
            names.append("")
        for n, a in carried:
            ins.append((n, a))
            names.append(n)
        body = helper.make_graph(body_nodes, "body", body_in, body_out)
        case(name, [helper.make_node("Loop", names, outs, body=body)], ins, outs, opset=13)

    it = helper.make_tensor_value_info("i", TensorProto.INT64, [])
    cin = helper.make_tensor_value_info("c_in", TensorProto.BOOL, [])
    loop_case("loop_trip_scan", 4, None,
              [helper.make_node("Identity", ["c_in"], ["c_out"]),
               helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
               helper.make_node("Add", ["acc_in", "fi"], ["acc_out"]),
               helper.make_node("Mul", ["acc_out", "acc_out"], ["sq"])],
              [it, cin, helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [2])],
              [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
               helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [2]),
               helper.make_tensor_value_info("sq", TensorProto.FLOAT, [2])],
              [("acc", np.array([0.5, -1], dtype=np.float32))], ["acc_final", "sqs"])
    loop_case("loop_cond_only", None, True,
              [helper.make_node("Constant", [], ["three"], value=numpy_helper.from_array(np.array(3, dtype=np.int64))),
               helper.make_node("Less", ["i", "three"], ["c_out"]),
               helper.make_node("Constant", [], ["two"], value=numpy_helper.from_array(np.array(2, dtype=np.float32))),
               helper.make_node("Mul", ["v_in", "two"], ["v_out"])],
              [it, cin, helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [3])],
              [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
               helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [3]),
               helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [3])],
              [("v", f32(3))], ["v_final", "v_hist"])
    loop_case("loop_cond_false", 5, False,
              [helper.make_node("Identity", ["c_in"], ["c_out"]),
               helper.make_node("Neg", ["v_in"], ["v_out"])],
              [it, cin, helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [2])],
              [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
               helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [2])],
              [("v", f32(2))], ["v_final"])

    # Scan-9 with axes and directions.
    sbody = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["s_out"]),
         helper.make_node("Mul", ["s_out", "y_t"], ["o_t"])],
        "scan_body",
        [helper.make_tensor_value_info("s_in", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("x_t", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("y_t", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("o_t", TensorProto.FLOAT, [2])])
    case("scan9_axes_dirs",
         [helper.make_node("Scan", ["s0", "x", "y"], ["s_final", "o"], body=sbody, num_scan_inputs=2,
                           scan_input_axes=[1, 0], scan_input_directions=[1, 0],
                           scan_output_axes=[1], scan_output_directions=[1])],
         [("s0", f32(2)), ("x", f32(2, 3)), ("y", f32(3, 2))], ["s_final", "o"], opset=11)

    # Sequences between tensor inputs and outputs.
    x = f32(3, 4)
    case("seq_split_concat",
         [helper.make_node("SplitToSequence", ["x", "split"], ["s"], axis=1),
          helper.make_node("SequenceLength", ["s"], ["n"]),
          helper.make_node("SequenceAt", ["s", "neg1"], ["last"]),
          helper.make_node("SequenceErase", ["s", "zero"], ["s2"]),
          helper.make_node("ConcatFromSequence", ["s2"], ["cat"], axis=1)],
         [("x", x), ("split", np.array([1, 2, 1], dtype=np.int64)), ("neg1", np.array(-1, dtype=np.int64)),
          ("zero", np.array(0, dtype=np.int64))], ["n", "last", "cat"], opset=13)
    case("seq_split_keepdims0_stack",
         [helper.make_node("SplitToSequence", ["x"], ["s"], axis=0, keepdims=0),
          helper.make_node("SequenceInsert", ["s", "z", "one"], ["s2"]),
          helper.make_node("ConcatFromSequence", ["s2"], ["stk"], axis=-1, new_axis=1)],
         [("x", x), ("z", f32(4)), ("one", np.array(1, dtype=np.int32))], ["stk"], opset=13)
    case("seq_split_scalar",
         [helper.make_node("SplitToSequence", ["x", "two"], ["s"], axis=1),
          helper.make_node("SequenceAt", ["s", "one"], ["second"]),
          helper.make_node("SequenceLength", ["s"], ["n"])],
         [("x", f32(2, 5)), ("two", np.array(2, dtype=np.int64)), ("one", np.array(2, dtype=np.int64))],
         ["second", "n"], opset=13)

    # Quantization beyond the node suite's cases.
    case("quantize_int8_axis0",
         [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], axis=0)],
         [("x", (f32(3, 4) * 200).astype(np.float32)), ("s", np.array([0.5, 1.5, 2.0], dtype=np.float32)),
          ("z", np.array([-3, 0, 10], dtype=np.int8))], ["y"], opset=13)
    case("dequantize_int32",
         [helper.make_node("DequantizeLinear", ["x", "s"], ["y"])],
         [("x", rng.randint(-1000, 1000, (5,)).astype(np.int32)), ("s", np.array(0.25, dtype=np.float32))], ["y"], opset=13)
    case("qlinearmatmul_int8_3d",
         [helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])],
         [("a", rng.randint(-128, 127, (2, 3, 4)).astype(np.int8)), ("as", np.array(0.05, dtype=np.float32)),
          ("az", np.array(3, dtype=np.int8)), ("b", rng.randint(-128, 127, (2, 4, 2)).astype(np.int8)),
          ("bs", np.array(0.02, dtype=np.float32)), ("bz", np.array(-2, dtype=np.int8)),
          ("ys", np.array(0.3, dtype=np.float32)), ("yz", np.array(1, dtype=np.int8))], ["y"], opset=10)
    case("matmulinteger_bcast_colzp",
         [helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"])],
         [("a", rng.randint(0, 255, (2, 3, 4)).astype(np.uint8)), ("b", rng.randint(0, 255, (4, 5)).astype(np.uint8)),
          ("az", np.array(7, dtype=np.uint8)), ("bz", rng.randint(0, 255, (5,)).astype(np.uint8))], ["y"], opset=10)
    # (uint8 x int8 is left out: ONNX Runtime's u8s8 kernel saturates int16 pair sums on CPUs without VNNI.)

    # DFT (opset 20 axis input, one-sided, inverse one-sided) and STFT with a window.
    sig = f32(2, 6, 3, 1)
    case("dft20_axis_onesided", [helper.make_node("DFT", ["x", "", "ax"], ["y"], onesided=1)],
         [("x", sig), ("ax", np.array(1, dtype=np.int64))], ["y"], opset=20)
    case("dft20_len_complex", [helper.make_node("DFT", ["x", "n", "ax"], ["y"])],
         [("x", f32(2, 5, 2)), ("n", np.array(7, dtype=np.int64)), ("ax", np.array(-2, dtype=np.int64))], ["y"], opset=20)
    case("dft20_irfft", [helper.make_node("DFT", ["x", "", "ax"], ["y"], inverse=1, onesided=1)],
         [("x", f32(3, 4, 2)), ("ax", np.array(1, dtype=np.int64))], ["y"], opset=20)
    case("dft17_inverse_axis2", [helper.make_node("DFT", ["x"], ["y"], inverse=1, axis=2)],
         [("x", f32(2, 3, 4, 2))], ["y"], opset=17)
    case("stft_window_onesided0",
         [helper.make_node("STFT", ["x", "step", "w"], ["y"], onesided=0)],
         [("x", f32(2, 20, 1)), ("step", np.array(3, dtype=np.int64)), ("w", np.hanning(8).astype(np.float32))],
         ["y"], opset=17)
    case("melweightmatrix_hz", [helper.make_node("MelWeightMatrix", ["n", "l", "r", "lo", "hi"], ["y"])],
         [("n", np.array(5, dtype=np.int64)), ("l", np.array(32, dtype=np.int64)), ("r", np.array(16000, dtype=np.int64)),
          ("lo", np.array(100, dtype=np.float32)), ("hi", np.array(6000, dtype=np.float32))], ["y"], opset=17)

    # Model-local function with an attribute reference, a default and an omitted input.
    fn = helper.make_function(
        "local.test", "ScaleShift", ["x", "shift"], ["y"],
        [helper.make_node("Constant", [], ["a"], value_float=0.0),
         helper.make_node("Mul", ["x", "a"], ["xa"]),
         helper.make_node("Add", ["xa", "shift"], ["y"])],
        [helper.make_opsetid("", 17)], ["alpha"])
    ref = helper.make_attribute("value_float", 0.0)
    ref.ref_attr_name = "alpha"
    ref.ClearField("f")
    del fn.node[0].attribute[:]
    fn.node[0].attribute.append(ref)
    case("function_attr_ref",
         [helper.make_node("ScaleShift", ["x", "s"], ["y"], domain="local.test", alpha=2.5)],
         [("x", f32(2, 3)), ("s", f32(3))], ["y"], opset=17, functions=[fn], domains=["local.test"])

    # Losses with rank > 2 and integer int32 targets are covered by the node suite.

    # Scan-8: batch axis, sequence_lens (outputs past a length are zeros), a reversed input.
    s8body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["s_out"]),
         helper.make_node("Mul", ["s_out", "x_t"], ["o_t"])],
        "scan8_body",
        [helper.make_tensor_value_info("s_in", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("x_t", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("o_t", TensorProto.FLOAT, [2])])
    case("scan8_lens_reverse",
         [helper.make_node("Scan", ["lens", "s0", "x"], ["s_final", "o"], body=s8body, num_scan_inputs=1,
                           directions=[1])],
         [("lens", np.array([4, 2, 1], dtype=np.int64)), ("s0", f32(3, 2)), ("x", f32(3, 4, 2))],
         ["s_final", "o"], opset=8)
    # Strings: TF-IDF weighting over a string pool.
    toks = np.array([["a", "b", "c", "a", "b", "d"], ["b", "c", "a", "b", "e", "a"]], dtype=object)
    for mode in ["IDF", "TFIDF"]:
        case("tfidf_strings_" + mode.lower(),
             [helper.make_node("TfIdfVectorizer", ["x"], ["y"], mode=mode, min_gram_length=1, max_gram_length=2,
                               max_skip_count=1, ngram_counts=[0, 3], ngram_indexes=[0, 1, 2, 3, 4],
                               pool_strings=["a", "b", "c", "a", "b", "b", "a"], weights=[0.5, 1.5, 2.0, 3.0, 0.25])],
             [("x", toks)], ["y"], opset=9)
    # (StringNormalizer is covered by the node suite: ONNX Runtime needs an en_US.UTF-8 locale here.)

    # Losses in float64 with weights, ignore_index and every reduction.
    scores = rng.uniform(-2, 2, (3, 4, 2)).astype(np.float64)
    labels = np.array([[0, 3], [2, -1], [1, 3]], dtype=np.int64)
    wts = np.array([0.5, 1.0, 2.0, 0.25], dtype=np.float64)
    for red in ["none", "sum", "mean"]:
        case("sce_double_" + red,
             [helper.make_node("SoftmaxCrossEntropyLoss", ["s", "l", "w"], ["loss", "logp"], reduction=red, ignore_index=-1)],
             [("s", scores), ("l", labels), ("w", wts)], ["loss", "logp"], opset=13)
        case("nll_double_" + red,
             [helper.make_node("NegativeLogLikelihoodLoss", ["s", "l", "w"], ["loss"], reduction=red, ignore_index=-1)],
             [("s", scores), ("l", labels), ("w", wts)], ["loss"], opset=13)

    # Blocked quantization (opset 21 block_size).
    bx = (f32(2, 5, 3) * 50).astype(np.float32)
    bs = rng.uniform(0.2, 1.0, (2, 3, 3)).astype(np.float32)
    bz = rng.randint(-10, 10, (2, 3, 3)).astype(np.int8)
    case("quantize21_block", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], axis=1, block_size=2)],
         [("x", bx), ("s", bs), ("z", bz)], ["y"], opset=21)
    case("dequantize21_block", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=-2, block_size=2)],
         [("x", rng.randint(-128, 127, (2, 5, 3)).astype(np.int8)), ("s", bs), ("z", bz)], ["y"], opset=21)

    # (a sequence length of 0 is left out: ONNX Runtime rejects it; the Go tests cover it.)


if __name__ == "__main__":
    main()
