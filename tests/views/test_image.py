"""The hand-made PNG writer and the contour colouring (views/image.py)."""

from __future__ import annotations

import base64
import struct

import numpy as np

from tests.helpers import decode_png, png_chunks
from views.image import contour_rgba, data_uri, png_bytes


def test_png_bytes_round_trip_a_known_array():
    rgba = np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4)
    rgba[1, 2] = (255, 0, 128, 7)
    png = png_bytes(rgba)
    np.testing.assert_array_equal(decode_png(png), rgba)
    w, h = struct.unpack(">II", png_chunks(png)[0][1][:8])
    assert (w, h) == (5, 3)
    assert data_uri(png) == "data:image/png;base64," + base64.b64encode(png).decode()


def test_contour_rgba_makes_non_finite_values_transparent():
    values = np.array([[0.0, 1.0, 2.0], [np.nan, 3.0, np.inf], [-np.inf, 4.0, 5.0]])
    rgba = contour_rgba(values, 0.0, 5.0)
    assert rgba.shape == (3, 3, 4) and rgba.dtype == np.uint8
    flipped = rgba[::-1]  # the image's rows run top to bottom, the values' bottom to top
    transparent = ~np.isfinite(values)
    assert (flipped[..., 3][transparent] == 0).all()
    assert (flipped[..., 3][~transparent] == 255).all()
    # lowest and highest bands differ in colour
    assert tuple(flipped[0, 0, :3]) != tuple(flipped[2, 2, :3])
