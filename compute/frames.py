"""Which path steps the animation frames show: the one clock every animated view shares.

Decided here, beside the computations, because a network's data panel is computed at
exactly these steps (compute/race.py) and the views draw them (views/).
"""

from __future__ import annotations

import functools

import numpy as np

MAX_FRAMES = 150
MAX_FRAMES_3D = 60


@functools.lru_cache(maxsize=256)
def frame_steps(steps: int, three_d: bool = False) -> np.ndarray:
    """The step shown by each animation frame: every step, or evenly spaced ones.

    Cached (every rerun asks for it several times) and so read-only.
    """
    cap = MAX_FRAMES_3D if three_d else MAX_FRAMES
    at = np.unique(np.round(np.linspace(0, steps, min(steps + 1, cap))).astype(int))
    at.flags.writeable = False
    return at


def panel_steps(steps: int) -> np.ndarray:
    """Every step an animation frame can show, in the contour view or the 3D one."""
    return np.union1d(frame_steps(steps, False), frame_steps(steps, True))
