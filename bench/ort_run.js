// Times onnxruntime's CPU inference of an ONNX model (bench/emulator_speed.py).
//
//   node bench/ort_run.js ORT_DIR MODEL.onnx '{"input": [1, 3, 224, 224]}' RUNS
//
// ORT_DIR holds node_modules/onnxruntime-node (npm install --ignore-scripts
// onnxruntime-node: the package ships its native library). Inputs are float32
// with uniform random values in [-1, 1) of the given shapes. Prints one JSON
// line: session creation, the first run and the median of RUNS further runs,
// in milliseconds.
'use strict';
const path = require('path');

async function main() {
  const [ortDir, model, shapesJson, runsArg] = process.argv.slice(2);
  if (!ortDir || !model || !shapesJson) {
    console.error("usage: node ort_run.js ORT_DIR MODEL.onnx '{\"name\": [dims]}' [RUNS]");
    process.exit(2);
  }
  const ort = require(path.join(path.resolve(ortDir), 'node_modules', 'onnxruntime-node'));
  const runs = Number(runsArg || 5);
  const shapes = JSON.parse(shapesJson);
  const feeds = {};
  for (const [name, dims] of Object.entries(shapes)) {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; ++i) data[i] = Math.random() * 2 - 1;
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  let t = now();
  const session = await ort.InferenceSession.create(model);
  const sessionMs = now() - t;
  t = now();
  await session.run(feeds);
  const firstMs = now() - t;
  const times = [];
  for (let i = 0; i < runs; ++i) {
    t = now();
    await session.run(feeds);
    times.push(now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({session_ms: sessionMs, first_ms: firstMs,
                              median_ms: times[Math.floor(times.length / 2)], runs}));
}

main().catch((e) => {
  console.error('ort_run.js: ' + (e && e.message ? e.message.split('\n')[0] : e));
  process.exit(1);
});
