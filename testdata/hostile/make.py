#!/usr/bin/python3
"""Make the hostile-model corpus of testdata/hostile.

Each case is a small model that asks for far more than it should (memory,
iterations, nesting), indexes out of range, reaches for files outside its
folder, or is malformed; manifest.json records, per file, the inputs to feed
(.npy files beside it), what must happen (an error containing a given text,
at open or at run time) and any setup the test makes at run time (links
cannot be committed portably). The Go tests in hostile_test.go and
cmd/onnxrun/hostile_test.go run every case.

Needs Debian's python3-onnx and python3-numpy. Every run gives the same
files.

usage: /usr/bin/python3 testdata/hostile/make.py
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
MANIFEST = []

I64, F32, BOOL = TensorProto.INT64, TensorProto.FLOAT, TensorProto.BOOL


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def model(nodes, inputs, outputs, inits=(), opset=OPSET, functions=(), name="g"):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], functions=list(functions))
    m.ir_version = 8
    return m


def add(name, m, error, stage="run", inputs=None, setup=None, flags=None, why=""):
    """Write model m as name.onnx and its inputs as name.input_K.npy."""
    path = os.path.join(HERE, name + ".onnx")
    if isinstance(m, bytes):
        data = m
    else:
        data = m.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    files = {}
    for k, (iname, arr) in enumerate((inputs or {}).items()):
        fn = "%s.input_%d.npy" % (name, k)
        np.save(os.path.join(HERE, fn), arr)
        files[iname] = fn
    entry = {"file": name + ".onnx", "stage": stage, "error": error, "why": why}
    if files:
        entry["inputs"] = files
    if setup:
        entry["setup"] = setup
    if flags:
        entry["flags"] = flags
    MANIFEST.append(entry)


# --- allocation bombs ---------------------------------------------------

add("constantofshape_const", model(
    [helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")],
    [], [vi("y", F32, None)], [const("s", np.array([10**6] * 3, np.int64))]),
    "exceeds the limit", stage="open", why="ConstantOfShape([1e6,1e6,1e6]) of a constant shape: 4e18 bytes")

add("constantofshape_input", model(
    [helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")],
    [vi("s", I64, [3])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"s": np.array([10**6] * 3, np.int64)},
    why="the same with the shape fed as an input: checked at run time")

add("expand_bomb", model(
    [helper.make_node("Expand", ["x", "s"], ["y"], name="expand")],
    [vi("x", F32, [1]), vi("s", I64, [3])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"x": np.ones([1], np.float32), "s": np.array([10**5] * 3, np.int64)},
    why="Expand a scalar to [1e5,1e5,1e5]")

add("tile_bomb", model(
    [helper.make_node("Tile", ["x", "r"], ["y"], name="tile")],
    [vi("x", F32, [2, 2]), vi("r", I64, [2])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"x": np.ones([2, 2], np.float32), "r": np.array([10**9, 10**9], np.int64)},
    why="Tile by 1e9 x 1e9")

add("range_bomb", model(
    [helper.make_node("Range", ["a", "b", "d"], ["y"], name="range")],
    [vi("a", I64, []), vi("b", I64, []), vi("d", I64, [])], [vi("y", I64, None)]),
    "exceeds the limit", inputs={"a": np.array(0, np.int64), "b": np.array(2**62, np.int64), "d": np.array(1, np.int64)},
    why="Range(0, 2^62, 1)")

add("resize_bomb", model(
    [helper.make_node("Resize", ["x", "", "sc"], ["y"], name="resize", mode="nearest")],
    [vi("x", F32, [1, 1, 4, 4]), vi("sc", F32, [4])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"x": np.ones([1, 1, 4, 4], np.float32), "sc": np.array([1, 1, 1e6, 1e6], np.float32)},
    why="Resize by 1e6 along two axes")

add("pad_bomb", model(
    [helper.make_node("Pad", ["x", "p"], ["y"], name="pad")],
    [vi("x", F32, [2, 2]), vi("p", I64, [4])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"x": np.ones([2, 2], np.float32), "p": np.array([10**9, 10**9, 10**9, 10**9], np.int64)},
    why="Pad by 1e9 on every side")

add("onehot_bomb", model(
    [helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="onehot")],
    [vi("i", I64, [1000]), vi("d", I64, []), vi("v", F32, [2])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"i": np.zeros([1000], np.int64), "d": np.array(10**9, np.int64), "v": np.array([0, 1], np.float32)},
    why="OneHot of 1000 indices with depth 1e9")

add("broadcast_bomb", model(
    [helper.make_node("ConstantOfShape", ["s1"], ["a"], name="a"),
     helper.make_node("ConstantOfShape", ["s2"], ["b"], name="b"),
     helper.make_node("Add", ["a", "b"], ["y"], name="add")],
    [vi("s1", I64, [2]), vi("s2", I64, [2])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"s1": np.array([1 << 17, 1], np.int64), "s2": np.array([1, 1 << 17], np.int64)},
    why="two 512 KiB tensors broadcast by Add to 64 GiB")

add("matmul_bomb", model(
    [helper.make_node("ConstantOfShape", ["s1"], ["a"], name="a"),
     helper.make_node("ConstantOfShape", ["s2"], ["b"], name="b"),
     helper.make_node("MatMul", ["a", "b"], ["y"], name="matmul")],
    [vi("s1", I64, [2]), vi("s2", I64, [2])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"s1": np.array([1 << 17, 1], np.int64), "s2": np.array([1, 1 << 17], np.int64)},
    why="a [2^17,1] x [1,2^17] matrix product: 64 GiB")

add("static_matmul_bomb", model(
    [helper.make_node("MatMul", ["a", "b"], ["y"], name="matmul")],
    [vi("a", F32, [1 << 20, 1]), vi("b", F32, [1, 1 << 20])], [vi("y", F32, None)]),
    "exceeds the limit", stage="open",
    why="declared input shapes whose product is 4 TiB: refused before any input is read")

add("symbolic_broadcast_bomb", model(
    [helper.make_node("Add", ["a", "b"], ["y"], name="add")],
    [vi("a", F32, ["N", 1]), vi("b", F32, [1, "N"])], [vi("y", F32, ["N", "N"])]),
    'node "add" (Add, opset 17): output "y"', inputs={"a": np.zeros([1 << 14, 1], np.float32), "b": np.zeros([1, 1 << 14], np.float32)},
    why="inputs binding a symbolic dim N=16384 that makes Add's output N x N (1 GiB): refused from the inferred shapes before the run starts")

add("einsum_outer_bomb", model(
    [helper.make_node("Einsum", ["a", "b", "c"], ["y"], name="einsum", equation="i,j,k->ijk")],
    [vi("a", F32, [4096]), vi("b", F32, [4096]), vi("c", F32, ["K"])], [vi("y", F32, None)]),
    "exceeds the limit", inputs={"a": np.ones([4096], np.float32), "b": np.ones([4096], np.float32), "c": np.ones([4096], np.float32)},
    why="an Einsum outer product of three 4096-vectors: 256 GiB")

# A sparse constant whose dims claim 10^12 elements with one value.
sp = helper.make_sparse_tensor(numpy_helper.from_array(np.array([1.0], np.float32), "v"),
                               numpy_helper.from_array(np.array([0], np.int64), "i"), [10**6, 10**6])
add("sparse_constant_bomb", model(
    [helper.make_node("Constant", [], ["y"], name="c", sparse_value=sp)],
    [], [vi("y", F32, None)]),
    "exceeds the limit", stage="open", why="a sparse Constant that densifies to 4 TB")

# --- runaway loops ------------------------------------------------------

body = helper.make_graph(
    [helper.make_node("Identity", ["c"], ["c_out"]), helper.make_node("Identity", ["x"], ["x_out"])],
    "body", [vi("i", I64, []), vi("c", BOOL, []), vi("x", F32, [1])],
    [vi("c_out", BOOL, []), vi("x_out", F32, [1])])
add("loop_runaway", model(
    [helper.make_node("Loop", ["m", "cond", "x"], ["y"], name="loop", body=body)],
    [vi("x", F32, [1])], [vi("y", F32, [1])],
    [const("m", np.array(2**62, np.int64)), const("cond", np.array(True))]),
    "Loop iterations", inputs={"x": np.ones([1], np.float32)},
    why="Loop with trip count 2^62 and a condition that stays true")

add("loop_runaway_timeout", model(
    [helper.make_node("Loop", ["m", "cond", "x"], ["y"], name="loop", body=body)],
    [vi("x", F32, [1])], [vi("y", F32, [1])],
    [const("m", np.array(2**62, np.int64)), const("cond", np.array(True))]),
    "deadline exceeded", inputs={"x": np.ones([1], np.float32)}, flags=["--timeout", "1s", "--max-loop", "-1"],
    why="the same with the iteration limit removed: --timeout stops it")

cbody = helper.make_graph(
    [helper.make_node("Identity", ["c"], ["c_out"]), helper.make_node("Identity", ["x"], ["x_out"])],
    "cbody", [vi("i", I64, []), vi("c", BOOL, []), vi("x", F32, [1])],
    [vi("c_out", BOOL, []), vi("x_out", F32, [1])])
add("loop_runaway_constant", model(
    [helper.make_node("Loop", ["m", "cond", "x"], ["y"], name="loop", body=cbody)],
    [], [vi("y", F32, [1])],
    [const("m", np.array(2**62, np.int64)), const("cond", np.array(True)), const("x", np.ones([1], np.float32))]),
    "deadline exceeded", flags=["--timeout", "1s", "--max-loop", "-1"],
    why="a runaway Loop whose inputs are all constants (a constant folder must not run it at Open)")

sbody = helper.make_graph(
    [helper.make_node("Identity", ["c"], ["c_out"]),
     helper.make_node("ConstantOfShape", ["s"], ["big"])],
    "sbody", [vi("i", I64, []), vi("c", BOOL, [])],
    [vi("c_out", BOOL, []), vi("big", F32, [1 << 20])],
    initializer=[const("s", np.array([1 << 20], np.int64))])
add("loop_scan_bomb", model(
    [helper.make_node("Loop", ["m", "cond"], ["y"], name="loop", body=sbody)],
    [], [vi("y", F32, None)],
    [const("m", np.array(10**9, np.int64)), const("cond", np.array(True))]),
    "exceeds the limit", stage="open",
    why="a Loop that stacks a 4 MiB scan output 1e9 times: its output shape is inferred")

add("loop_scan_bomb_input", model(
    [helper.make_node("Loop", ["m", "cond"], ["y"], name="loop", body=sbody)],
    [vi("m", I64, [])], [vi("y", F32, None)],
    [const("cond", np.array(True))]),
    "exceeds the limit", inputs={"m": np.array(10**9, np.int64)},
    why="the same with the trip count fed as an input: the Loop stops once the stacked output passes the limit")

# --- deep nesting -------------------------------------------------------


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def vfield(num, v):
    return varint(num << 3) + varint(v)


def nested_if(depth):
    """A GraphProto holding one If whose then_branch holds the next, depth
    levels down (encoded by hand: deep messages are beyond protobuf's own
    recursion limits)."""
    g = field(1, field(2, b"x") + field(4, b"Identity"))  # innermost: node Identity
    g += field(11, field(1, b"x")) + field(12, field(1, b"x"))
    for k in range(depth):
        attr = field(1, b"then_branch") + vfield(20, 5) + field(6, g)
        attr2 = field(1, b"else_branch") + vfield(20, 5) + field(6, g[:0] + field(12, field(1, b"x")))
        node = field(1, b"c") + field(2, b"y%d" % k) + field(4, b"If") + field(5, attr) + field(5, attr2)
        g = field(1, node) + field(11, field(1, b"c")) + field(11, field(1, b"x")) + field(12, field(1, b"y%d" % k))
    m = vfield(1, 8) + field(8, field(1, b"") + vfield(2, OPSET)) + field(7, g)
    return m


add("nested_if_2000", nested_if(2000), "nested deeper than", stage="open",
    why="If branches nested 2000 deep")

# Model-local functions that each call the previous one twice: expanding
# them inline would make 2^40 nodes.
funcs = [helper.make_function("local", "f0", ["x"], ["y"], [helper.make_node("Identity", ["x"], ["y"])],
                              [helper.make_opsetid("", OPSET)])]
for k in range(1, 41):
    funcs.append(helper.make_function("local", "f%d" % k, ["x"], ["y"], [
        helper.make_node("f%d" % (k - 1), ["x"], ["t"], domain="local"),
        helper.make_node("f%d" % (k - 1), ["t"], ["y"], domain="local")],
        [helper.make_opsetid("", OPSET), helper.make_opsetid("local", 1)]))
fm = model([helper.make_node("f40", ["x"], ["y"], domain="local", name="call")],
           [vi("x", F32, [1])], [vi("y", F32, [1])], functions=funcs)
fm.opset_import.append(helper.make_opsetid("local", 1))
add("function_doubling", fm, "expands to", stage="open", inputs={"x": np.ones([1], np.float32)},
    why="41 model-local functions, each calling the previous twice (2^40 calls)")

# --- indices out of range ------------------------------------------------


def gather_case(name, op, data, idx, attrs=None, error="out of range", why=""):
    ins = [vi("data", F32 if data.dtype == np.float32 else I64, list(data.shape)), vi("idx", I64, list(idx.shape))]
    add(name, model([helper.make_node(op, ["data", "idx"], ["y"], name=op.lower(), **(attrs or {}))],
                    ins, [vi("y", F32, None)]),
        error, inputs={"data": data, "idx": idx}, why=why)


d3 = np.arange(3, dtype=np.float32)
gather_case("gather_oob", "Gather", d3, np.array([100], np.int64), why="Gather index 100 of 3")
gather_case("gather_oob_negative", "Gather", d3, np.array([-100], np.int64), why="Gather index -100 of 3")
gather_case("gatherelements_oob", "GatherElements", d3, np.array([3], np.int64), why="GatherElements index 3 of 3")
gather_case("gathernd_oob", "GatherND", np.zeros([2, 2], np.float32), np.array([[0, 5]], np.int64), why="GatherND index 5 of 2")

add("scatterelements_oob", model(
    [helper.make_node("ScatterElements", ["data", "idx", "upd"], ["y"], name="scatter")],
    [vi("data", F32, [3]), vi("idx", I64, [1]), vi("upd", F32, [1])], [vi("y", F32, None)]),
    "out of range", inputs={"data": d3, "idx": np.array([7], np.int64), "upd": np.ones([1], np.float32)},
    why="ScatterElements index 7 of 3")

add("scatternd_oob", model(
    [helper.make_node("ScatterND", ["data", "idx", "upd"], ["y"], name="scatternd")],
    [vi("data", F32, [3]), vi("idx", I64, [1, 1]), vi("upd", F32, [1])], [vi("y", F32, None)]),
    "out of range", inputs={"data": d3, "idx": np.array([[-9]], np.int64), "upd": np.ones([1], np.float32)},
    why="ScatterND index -9 of 3")

add("onehot_bad_depth", model(
    [helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="onehot")],
    [vi("i", I64, [2]), vi("d", I64, []), vi("v", F32, [2])], [vi("y", F32, None)]),
    "out of range", inputs={"i": np.zeros([2], np.int64), "d": np.array(-5, np.int64), "v": np.array([0, 1], np.float32)},
    why="OneHot with depth -5")

add("reshape_bad", model(
    [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")],
    [vi("x", F32, [6]), vi("s", I64, [2])], [vi("y", F32, None)]),
    "", inputs={"x": np.ones([6], np.float32), "s": np.array([4, -1], np.int64)},
    why="Reshape 6 elements to [4,-1]")

add("split_bad", model(
    [helper.make_node("Split", ["x", "s"], ["a", "b"], name="split")],
    [vi("x", F32, [6]), vi("s", I64, [2])], [vi("a", F32, None), vi("b", F32, None)]),
    "", inputs={"x": np.ones([6], np.float32), "s": np.array([5, 5], np.int64)},
    why="Split 6 elements into 5 + 5")

add("topk_bad_k", model(
    [helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk")],
    [vi("x", F32, [4]), vi("k", I64, [1])], [vi("v", F32, None), vi("i", I64, None)]),
    "", inputs={"x": np.ones([4], np.float32), "k": np.array([9], np.int64)},
    why="TopK k=9 of 4")

add("compress_long_condition", model(
    [helper.make_node("Compress", ["x", "c"], ["y"], name="compress", axis=0)],
    [vi("x", F32, [2]), vi("c", BOOL, [5])], [vi("y", F32, None)]),
    "", inputs={"x": np.ones([2], np.float32), "c": np.ones([5], np.bool_)},
    why="Compress with a condition longer than the axis, selecting past its end")

add("roialign_bad_batch", model(
    [helper.make_node("RoiAlign", ["x", "r", "b"], ["y"], name="roialign", output_height=1, output_width=1)],
    [vi("x", F32, [1, 1, 4, 4]), vi("r", F32, [1, 4]), vi("b", I64, [1])], [vi("y", F32, None)]),
    "", inputs={"x": np.ones([1, 1, 4, 4], np.float32), "r": np.array([[0, 0, 2, 2]], np.float32), "b": np.array([3], np.int64)},
    why="RoiAlign batch index 3 of 1")

add("maxunpool_bad_index", model(
    [helper.make_node("MaxUnpool", ["x", "i"], ["y"], name="unpool", kernel_shape=[2, 2], strides=[2, 2])],
    [vi("x", F32, [1, 1, 1, 1]), vi("i", I64, [1, 1, 1, 1])], [vi("y", F32, None)]),
    "", inputs={"x": np.ones([1, 1, 1, 1], np.float32), "i": np.array([[[[99]]]], np.int64)},
    why="MaxUnpool index 99 of 4")

add("nms_bad_index", model(
    [helper.make_node("NonMaxSuppression", ["b", "s", "m"], ["y"], name="nms")],
    [vi("b", F32, [1, 2, 4]), vi("s", F32, [2, 1, 2]), vi("m", I64, [1])], [vi("y", I64, None)]),
    "", inputs={"b": np.zeros([1, 2, 4], np.float32), "s": np.zeros([2, 1, 2], np.float32), "m": np.array([5], np.int64)},
    why="NonMaxSuppression with more score batches than box batches")

# --- external data and files ---------------------------------------------


def ext_model(location, offset=None, length=None):
    t = TensorProto()
    t.name = "w"
    t.data_type = F32
    t.dims.extend([4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", offset), ("length", length)]:
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    return model([helper.make_node("Identity", ["w"], ["y"], name="id")], [], [vi("y", F32, [4])], [t])


with open(os.path.join(HERE, "weights.bin"), "wb") as f:
    f.write(np.arange(4, dtype=np.float32).tobytes())

add("ext_absolute", ext_model("/etc/passwd"), "unsafe", stage="open", why="external data at an absolute path")
add("ext_dotdot", ext_model("../hostile/weights.bin"), "unsafe", stage="open", why="external data through ..")
add("ext_symlink", ext_model("link.bin"), "unsafe", stage="open", setup="symlink",
    why="external data through a symbolic link (the test makes link.bin -> weights.bin)")
add("ext_hardlink", ext_model("hard.bin"), "unsafe", stage="open", setup="hardlink",
    why="external data through a hard link (the test makes hard.bin, a second name of weights.bin)")
add("ext_offset_past_end", ext_model("weights.bin", offset=1 << 40), "", stage="open",
    why="external data offset 2^40 in a 16-byte file")
add("ext_length_past_end", ext_model("weights.bin", offset=8, length=16), "", stage="open",
    why="external data range [8, 24) of a 16-byte file")
add("ext_missing", ext_model("missing.bin"), "missing.bin", stage="open",
    why="external data in a file that does not exist: the error names it")

# --- malformed files -----------------------------------------------------

ok = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
           [vi("x", F32, [64])], [vi("y", F32, [64])], [const("w", np.arange(64, dtype=np.float32))])
okb = ok.SerializeToString()
add("truncated", okb[: len(okb) * 2 // 3], "", stage="open", why="a valid model cut at two thirds")

claim = TensorProto()
claim.name = "w"
claim.data_type = F32
claim.dims.extend([1 << 30, 1 << 30])
claim.raw_data = b"\0" * 16
add("claimed_dims", model([helper.make_node("Identity", ["w"], ["y"], name="id")], [], [vi("y", F32, None)], [claim]),
    "", stage="open", why="an initializer whose dims claim 4 EiB but which holds 16 bytes")

# A raw_data field whose length prefix claims 4 GiB in a 100-byte file.
head = field(8, field(1, b"") + vfield(2, OPSET))
bogus = vfield(1, 8) + head + varint(7 << 3 | 2) + varint(300) + varint(5 << 3 | 2) + varint(4 << 30) + b"\0" * 64
add("claimed_length", bogus, "", stage="open", why="a length prefix claiming 4 GiB in a 100-byte file")

with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(MANIFEST, f, indent=1)
    f.write("\n")
print("wrote %d cases" % len(MANIFEST))
