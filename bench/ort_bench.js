#!/usr/bin/env node
// Times one model folder (model.onnx + test_data_set_0/input_<i>.npy) under
// ONNX Runtime (the onnxruntime-node package, found through NODE_PATH) and
// prints one JSON line: {"median_ms", "min_ms", "load_ms", "peak_rss_bytes",
// "cpu_ms" (process CPU time per timed run), "times_ms": [...]}. Used by the side-by-side harness (go run ./bench).
//
// usage: ort_bench.js MODEL_DIR [--threads N] [--runs N] [--warmup N]
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

const dtypes = {
  "<f4": ["float32", Float32Array], "<f8": ["float64", Float64Array],
  "<i8": ["int64", BigInt64Array], "<i4": ["int32", Int32Array],
  "|u1": ["uint8", Uint8Array], "|i1": ["int8", Int8Array], "|b1": ["bool", Uint8Array],
};

// npyTensor reads a little-endian, C-order .npy file (format 1.0 or 2.0).
function npyTensor(file) {
  const buf = fs.readFileSync(file);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", start, start + headerLen);
  const descr = header.match(/'descr'\s*:\s*'([^']+)'/)[1];
  if (/'fortran_order'\s*:\s*True/.test(header)) throw new Error(file + ": Fortran order");
  const dims = header.match(/'shape'\s*:\s*\(([^)]*)\)/)[1]
    .split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => parseInt(s, 10));
  const kind = dtypes[descr];
  if (!kind) throw new Error(file + ": element type " + descr);
  const body = buf.subarray(start + headerLen);
  const copy = new Uint8Array(body.length);
  copy.set(body);
  return new ort.Tensor(kind[0], new kind[1](copy.buffer), dims);
}

function arg(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? parseInt(args[i + 1], 10) : def;
}

async function main() {
  const args = process.argv.slice(2);
  const dir = args[0];
  const threads = arg(args, "--threads", 1), runs = arg(args, "--runs", 10), warmup = arg(args, "--warmup", 2);
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(path.join(dir, "model.onnx"), {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all",
    executionMode: "sequential",
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    feeds[name] = npyTensor(path.join(dir, "test_data_set_0", "input_" + i + ".npy"));
  });
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  const sorted = times.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  console.log(JSON.stringify({
    model: path.basename(dir), threads, runs, load_ms: loadMs, median_ms: median, min_ms: sorted[0],
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024, cpu_ms: (cpu.user + cpu.system) / 1000 / runs,
    times_ms: times,
  }));
}

main().catch((e) => { console.error(String(e && e.message || e)); process.exit(1); });
