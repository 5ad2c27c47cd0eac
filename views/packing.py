"""One binary message for the browser stage: a JSON header whose arrays are references
into the bytes that follow it.

Layout: ``b"OPS1"``, the header's length (uint32, little-endian), the header (UTF-8
JSON, padded with spaces to a multiple of 8), then each array at an offset that is a
multiple of 8 (typed-array views need aligned offsets). In the header an array is
``{"$": i}``; ``header["arrays"][i]`` says where it lies, its dtype, its shape, and for a
quantized array the range its uint16 steps span. static/stage/payload.js reads it.

Why binary: float32 travels as 4 bytes instead of ~10 as JSON text or 5.3 as base64, and
the browser reads it without parsing a number. Previews are quantized to uint16 over
their own range (a path on a 600-pixel map needs no more than 1/65535 of its span).
"""

from __future__ import annotations

import json
import struct

import numpy as np

MAGIC = b"OPS1"
ALIGN = 8


class Packer:
    """Collects arrays while a header is built, then writes the message."""

    def __init__(self) -> None:
        self._specs: list[dict] = []
        self._blobs: list[bytes] = []

    def _add(self, data: bytes, spec: dict) -> dict:
        self._specs.append(spec)
        self._blobs.append(data)
        return {"$": len(self._specs) - 1}

    def f32(self, a) -> dict:
        arr = np.ascontiguousarray(a, dtype="<f4")
        return self._add(arr.tobytes(), {"dtype": "f4", "shape": list(arr.shape)})

    def i32(self, a) -> dict:
        arr = np.ascontiguousarray(a, dtype="<i4")
        return self._add(arr.tobytes(), {"dtype": "i4", "shape": list(arr.shape)})

    def u16(self, a) -> dict:
        """``a`` quantized to 65536 levels over its own finite range (non-finite values
        take the lowest level: previews hold no NaN by the engine's guarantee)."""
        arr = np.asarray(a, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        span = hi - lo if hi > lo else 1.0
        q = np.round((np.where(np.isfinite(arr), arr, lo) - lo) / span * 65535.0)
        data = np.ascontiguousarray(np.clip(q, 0, 65535), dtype="<u2")
        return self._add(data.tobytes(), {"dtype": "u2", "shape": list(arr.shape),
                                          "range": [lo, lo + span]})

    def raw(self, data: bytes, mime: str) -> dict:
        """Bytes the browser uses whole (an image)."""
        return self._add(bytes(data), {"dtype": "u1", "shape": [len(data)], "mime": mime})

    def pack(self, header: dict) -> bytes:
        """The message: ``header`` (with its array references) and the arrays."""
        offsets, position = [], 0
        for blob in self._blobs:
            offsets.append(position)
            position += -(-len(blob) // ALIGN) * ALIGN
        specs = [{**spec, "offset": off} for spec, off in zip(self._specs, offsets,
                                                               strict=True)]
        text = json.dumps({**header, "arrays": specs}, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
        start = len(MAGIC) + 4 + len(text)
        text += b" " * (-start % ALIGN)
        body = b"".join(blob + b"\0" * (-len(blob) % ALIGN) for blob in self._blobs)
        return MAGIC + struct.pack("<I", len(text)) + text + body


def unpack(message: bytes) -> tuple[dict, list[np.ndarray]]:
    """The header and the arrays of a message (the inverse of ``Packer.pack``; uint16
    arrays come back dequantized to float64). For tests and tools."""
    if message[:4] != MAGIC:
        raise ValueError("not a stage message")
    (length,) = struct.unpack("<I", message[4:8])
    header = json.loads(message[8: 8 + length])
    base = 8 + length
    arrays = []
    for spec in header["arrays"]:
        dtype = np.dtype({"f4": "<f4", "i4": "<i4", "u2": "<u2", "u1": "u1"}[spec["dtype"]])
        count = int(np.prod(spec["shape"])) if spec["shape"] else 1
        a = np.frombuffer(message, dtype=dtype, count=count, offset=base + spec["offset"])
        a = a.reshape(spec["shape"])
        if spec["dtype"] == "u2":
            lo, hi = spec["range"]
            a = lo + a.astype(np.float64) / 65535.0 * (hi - lo)
        arrays.append(a)
    return header, arrays
