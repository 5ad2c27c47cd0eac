"""The surface as a filled-contour PNG, encoded with numpy and zlib alone.

plotly.js drops contour and heatmap traces while an animation plays with
``redraw: false`` (plotly.js #4491); an image in ``layout.images`` survives playback
and costs a fraction of the bytes (flat bands compress well).
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

from views.style import BACKGROUND_MIX, VIRIDIS, hex_to_rgb

BANDS = 20


def color_values(zs: np.ndarray, log_scale: bool) -> tuple[np.ndarray, float, float, str]:
    """The values the colours encode, their finite range, and a label for the colour bar.

    Log-scaled surfaces are coloured by ``log10(f - f_min + δ)`` with δ one millionth of
    the range, so the minimum's neighbourhood keeps its detail.
    """
    finite = np.isfinite(zs)
    if not finite.any():
        return zs, 0.0, 1.0, "f"
    lo, hi = float(np.nanmin(zs)), float(np.nanmax(zs))
    if log_scale:
        delta = max((hi - lo) * 1e-6, 1e-12)
        with np.errstate(invalid="ignore"):
            values = np.log10(zs - lo + delta)
        label = "log₁₀(f − min f)"
    else:
        values, label = zs, "f"
    vmin, vmax = float(np.nanmin(values)), float(np.nanmax(values))
    if vmax <= vmin:
        vmax = vmin + 1.0
    return values, vmin, vmax, label


def _palette(levels: int) -> np.ndarray:
    stops = np.array([hex_to_rgb(c) for c in VIRIDIS], dtype=np.float64)
    t = np.linspace(0, 1, levels)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    frac = (pos - i)[:, None]
    rgb = stops[i] * (1 - frac) + stops[i + 1] * frac
    return BACKGROUND_MIX * 255 + (1 - BACKGROUND_MIX) * rgb


def contour_rgba(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """RGBA pixels (rows top to bottom) of ``values`` (rows bottom to top) in flat bands
    with a darker line on every band edge; non-finite values are transparent."""
    finite = np.isfinite(values)
    norm = np.clip((np.where(finite, values, vmin) - vmin) / (vmax - vmin), 0.0, 1.0)
    band = np.minimum((norm * BANDS).astype(np.int32), BANDS - 1)
    rgb = _palette(BANDS)[band]
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] *= 0.72
    alpha = np.where(finite, 255, 0)
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.uint8)
    return rgba[::-1]


def png_bytes(rgba: np.ndarray) -> bytes:
    """A minimal PNG (8-bit RGBA, no interlace) of an ``(h, w, 4)`` uint8 array."""
    h, w, _ = rgba.shape
    raw = b"".join(b"\x00" + rgba[row].tobytes() for row in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
