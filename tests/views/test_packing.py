"""The stage's binary messages (views/packing.py): what is packed reads back, arrays sit at
aligned offsets, quantized previews stay within half a level of their values."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from views.packing import ALIGN, MAGIC, Packer, unpack


def test_arrays_and_nested_references_read_back():
    pack = Packer()
    f = np.linspace(-1, 1, 7, dtype=np.float32).reshape(7, 1)
    i = np.arange(5, dtype=np.int32)
    header = {"kind": "test", "runs": [{"path": pack.f32(f)}, {"steps": pack.i32(i)}],
              "image": pack.raw(b"\x89PNG-bytes", "image/png"), "plain": [1, "two"]}
    message = pack.pack(header)
    assert message[:4] == MAGIC
    back, arrays = unpack(message)
    assert back["kind"] == "test" and back["plain"] == [1, "two"]
    np.testing.assert_array_equal(arrays[back["runs"][0]["path"]["$"]], f)
    np.testing.assert_array_equal(arrays[back["runs"][1]["steps"]["$"]], i)
    assert arrays[back["image"]["$"]].tobytes() == b"\x89PNG-bytes"
    assert back["arrays"][back["image"]["$"]]["mime"] == "image/png"


def test_every_array_starts_at_an_aligned_offset():
    pack = Packer()
    refs = [pack.raw(b"x" * n, "application/octet-stream") for n in (1, 3, 9)]
    refs.append(pack.f32(np.ones(3)))
    message = pack.pack({"refs": refs})
    (length,) = struct.unpack("<I", message[4:8])
    assert (8 + length) % ALIGN == 0  # the header is padded
    header = json.loads(message[8: 8 + length])
    assert all(spec["offset"] % ALIGN == 0 for spec in header["arrays"])


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=6),
                  elements=st.floats(-1e6, 1e6)))
def test_quantized_arrays_stay_within_half_a_level(a):
    pack = Packer()
    ref = pack.u16(a)
    header, arrays = unpack(pack.pack({"a": ref}))
    lo, hi = header["arrays"][0]["range"]
    back = arrays[0]
    assert back.shape == a.shape
    step = (hi - lo) / 65535
    np.testing.assert_allclose(back, a, atol=0.5 * step + 1e-9 * max(1.0, abs(lo), abs(hi)))


def test_non_finite_values_take_the_lowest_level_and_nothing_raises():
    pack = Packer()
    pack.u16(np.array([np.nan, 1.0, np.inf, 3.0]))
    _, (back,) = unpack(pack.pack({}))
    np.testing.assert_allclose(back, [1.0, 1.0, 1.0, 3.0])


def test_a_stranger_message_is_refused():
    with pytest.raises(ValueError, match="not a stage message"):
        unpack(b"JSON{}")
