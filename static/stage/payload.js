// Reads one message written by views/packing.py: "OPS1", the header's length (uint32,
// little-endian), the JSON header, then the arrays it refers to as {"$": i}.
// Arrays become typed arrays with their shape attached (`.shape`); uint16 previews are
// turned back into float32 over the range they were quantized on.

const MAGIC = "OPS1";

function arrayOf(bytes, start, spec) {
  const begin = start + spec.offset;
  const count = spec.shape.reduce((a, b) => a * b, 1);
  let out;
  if (spec.dtype === "f4") out = new Float32Array(bytes.buffer, bytes.byteOffset + begin, count);
  else if (spec.dtype === "i4") out = new Int32Array(bytes.buffer, bytes.byteOffset + begin, count);
  else if (spec.dtype === "u1") out = bytes.subarray(begin, begin + count);
  else if (spec.dtype === "u2") {
    const q = new Uint16Array(bytes.buffer, bytes.byteOffset + begin, count);
    const [lo, hi] = spec.range;
    const step = (hi - lo) / 65535;
    out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = lo + q[i] * step;
  } else throw new Error(`unknown dtype ${spec.dtype}`);
  out.shape = spec.shape;
  if (spec.mime) out.mime = spec.mime;
  return out;
}

function resolve(node, arrays) {
  if (Array.isArray(node)) return node.map((v) => resolve(v, arrays));
  if (node && typeof node === "object") {
    if (Object.keys(node).length === 1 && typeof node.$ === "number") return arrays[node.$];
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k] = resolve(v, arrays);
    return out;
  }
  return node;
}

export function decode(data) {
  // Typed-array views need offsets aligned to their element size: copy a message that
  // arrives at an odd place in a larger buffer.
  const bytes = data.byteOffset % 8 === 0 ? data : data.slice();
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) throw new Error("not a stage message");
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const arrays = header.arrays.map((spec) => arrayOf(bytes, 8 + length, spec));
  delete header.arrays;
  return resolve(header, arrays);
}

// Row `i` of a (n, ...) array: a view, no copy.
export function row(array, i) {
  const size = array.length / array.shape[0];
  const out = array.subarray(i * size, (i + 1) * size);
  out.shape = array.shape.slice(1);
  return out;
}

// Column `c` of an (n, 2) array of points, first `count` rows.
export function column(points, c, count = points.length / 2) {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = points[2 * i + c];
  return out;
}
