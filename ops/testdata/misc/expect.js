#!/usr/bin/env node
// Runs one generated case under ONNX Runtime (onnxruntime-node) and writes
// its outputs as JSON: usage expect.js CASE_DIR (reads CASE_DIR/inputs.json,
// writes CASE_DIR/outputs.json). Called by gen.py.
const fs = require("fs"), path = require("path");
const ort = require("onnxruntime-node");
const arrays = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array,
  int8: Int8Array, uint8: Uint8Array, bool: Uint8Array };
(async () => {
  const dir = process.argv[2];
  const ins = JSON.parse(fs.readFileSync(path.join(dir, "inputs.json")));
  const sess = await ort.InferenceSession.create(path.join(dir, "model.onnx"), { graphOptimizationLevel: "disabled" });
  const feeds = {};
  for (const x of ins) {
    const A = arrays[x.type];
    const data = x.type === "string" ? x.data : x.type === "int64" ? A.from(x.data.map(BigInt)) : A.from(x.data.map(Number));
    feeds[x.name] = new ort.Tensor(x.type, data, x.dims);
  }
  const out = await sess.run(feeds);
  const res = sess.outputNames.map(n => ({ name: n, type: out[n].type, dims: out[n].dims,
    data: Array.from(out[n].data, v => typeof v === "bigint" ? v.toString() : v) }));
  fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(res));
})().catch(e => { console.error(e.message); process.exit(1); });
