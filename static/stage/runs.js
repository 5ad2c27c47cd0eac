// A run as the plots draw it: the exact run the engine computed for the current scene,
// or a preview the server computed ahead (a ladder notch, a grid start), subsampled at
// the steps in `at`. Previews come quantized (views/packing.py's u16) and say where their
// run diverged; nothing here computes a point.

import { column } from "./payload.js";

function upto(array, count) {
  return array.subarray(0, count);
}

function steps(count) {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = i;
  return out;
}

// The first index of `sorted` at or after `value` (clamped to the last).
export function seek(sorted, value) {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// A run as the plots draw it: its points, chart values and heights, at `at` steps.
export function exactRun(message, i) {
  const run = message.runs[i];
  const count = message.racers[i].end + 1;
  return { x: column(run.path, 0, count), y: column(run.path, 1, count),
           chart: upto(run.chart, count), height: run.height ? upto(run.height, count) : null,
           at: steps(count), full: run };
}

export function previewRun(path, chart, height, at, diverged, logChart) {
  let count = at.length;
  if (diverged >= 0) count = Math.min(count, seek(at, diverged) + 1);
  const values = chart ? upto(chart, count).map((v) => (logChart ? 10 ** v : v)) : null;
  return { x: column(path, 0, count), y: column(path, 1, count), chart: values,
           height: height ? upto(height, count) : null, at: upto(at, count), preview: true };
}
