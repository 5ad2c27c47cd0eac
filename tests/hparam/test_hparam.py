"""A tunable number (hparam/): its range check, its sweep grid and the ladder a slider
offers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hparam import BETA_LADDER, HParam


def test_a_default_outside_the_range_or_a_log_scale_through_zero_is_refused():
    with pytest.raises(ValueError):
        HParam(5.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        HParam(1.0, 0.0, 10.0, log=True)


def test_admits_only_finite_numbers_inside_the_closed_range():
    spec = HParam(1.0, 0.5, 2.0)
    for value in (0.5, 1.0, 2.0, "1.5"):
        assert spec.admits(value), value
    for value in (0.49, 2.01, math.nan, math.inf, -math.inf, "abc", None, [1.0]):
        assert not spec.admits(value), value
    count = HParam(3, 1, 10, integer=True)
    assert count.admits(4.0) and count.admits(10)
    assert not count.admits(4.5) and not count.admits(11)


def test_grid_is_geometric_on_a_log_scale_and_even_otherwise():
    rate = HParam(0.1, 1e-3, 10.0, log=True)
    np.testing.assert_allclose(rate.grid(5), [1e-3, 1e-2, 1e-1, 1.0, 10.0], rtol=1e-12)
    np.testing.assert_allclose(rate.grid(3, low=0.01, high=1.0), [0.01, 0.1, 1.0], rtol=1e-12)
    share = HParam(0.0, 0.0, 1.0)
    assert share.grid(3) == [0.0, 0.5, 1.0]
    assert share.grid(1) == [0.0] and rate.grid(1, low=0.5) == [0.5]


def test_ladder_offers_one_two_five_per_decade_on_a_log_scale():
    rate = HParam(0.01, 1e-3, 1.0, log=True)
    np.testing.assert_allclose(rate.ladder(), [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                               0.2, 0.5, 1.0], rtol=1e-12)


def test_ladder_of_a_beta_is_dense_near_one():
    assert HParam(0.9, 0.0, 0.9999).ladder() == list(BETA_LADDER)
    assert BETA_LADDER[0] == 0.0 and BETA_LADDER[-1] == 0.9999
    gaps = np.diff(BETA_LADDER)
    assert (gaps > 0).all() and gaps[-1] < gaps[0] / 100


def test_ladder_of_a_count_is_whole_numbers_at_a_fixed_stride():
    steps = HParam(200, 1, 2000, integer=True).ladder()
    assert steps[0] == 1.0 and steps[-1] <= 2000
    assert all(v == int(v) for v in steps)
    assert len(set(np.diff(steps))) == 1
    assert 50 <= len(steps) <= 150  # about 100 notches


def test_ladder_of_a_plain_number_has_about_a_hundred_even_steps():
    noise = HParam(0.0, 0.0, 100.0).ladder()
    assert noise[0] == 0.0 and noise[-1] == 100.0 and len(noise) == 101
    np.testing.assert_allclose(np.diff(noise), 1.0)


def test_ladder_always_holds_the_current_value():
    rate = HParam(0.01, 1e-3, 1.0, log=True)
    ladder = rate.ladder(0.0123)
    assert 0.0123 in ladder and ladder == sorted(ladder)
    assert HParam(200, 1, 2000, integer=True).ladder(2000)[-1] == 2000.0
