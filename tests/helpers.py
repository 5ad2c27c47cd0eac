"""Helpers shared by the tests: running the app in-process, reading figures back, and
decoding the arrays and images the views write."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 60  # the first JAX compile of a scene's programs takes seconds


def run_app(query: dict[str, str] | None = None) -> AppTest:
    """The app run once in-process, opened with ``query`` as its link."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def figure(at: AppTest) -> dict:
    """The page's one plotly chart, as the dict the browser receives."""
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def array(value) -> np.ndarray | None:
    """A trace's numeric array, whatever form the view chose (numpy array, list, or
    plotly.js's typed-array spec ``{"dtype", "bdata", "shape"}``)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            shape = value["shape"]
            if isinstance(shape, str):
                shape = [int(s) for s in shape.split(",")]
            out = out.reshape(shape)
        return out
    if isinstance(value, list | tuple):
        return np.asarray([np.nan if v is None else v for v in value], dtype=np.float64)
    return None


def racer_names(fig: dict) -> list[str]:
    """The racers' names, from the legend traces of their whole paths."""
    return [t["name"] for t in fig["data"]
            if t.get("mode") == "lines" and t.get("showlegend", True) is not False]


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos: pos + 4])
        kind, body = png[pos + 4: pos + 8], png[pos + 8: pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length: pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def decode_png(png: bytes) -> np.ndarray:
    """The RGBA pixels of a PNG written by views/image.py (8-bit RGBA, no filter)."""
    chunks = png_chunks(png)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) == (8, 6, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(h, 1 + 4 * w)
    assert (rows[:, 0] == 0).all()  # filter type "none" on every row
    return rows[:, 1:].reshape(h, w, 4)
