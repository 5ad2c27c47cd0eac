"""Play / Fast / Pause buttons and a frame slider: the one clock of every animated figure.

Frames are named "0", "1", ...; ``labels`` label the slider's steps. ``redraw`` must be
true when 3D traces move (plotly.js redraws WebGL scenes only then), false otherwise
(faster, and the background image survives playback). Geometry below the plot: the
figure's bottom margin must be at least ``BOTTOM_MARGIN`` (× the font scale's root).
"""

from __future__ import annotations

from collections.abc import Sequence

BOTTOM_MARGIN = 135


def playback_controls(labels: Sequence[str], *, active: int = 0, speed_ms: int = 60,
                      prefix: str = "step ", redraw: bool = False,
                      font_scale: float = 1.0) -> dict:
    """``updatemenus`` and ``sliders`` for a layout (merge with ``layout.update``)."""
    fs = font_scale
    play = {"frame": {"duration": speed_ms, "redraw": redraw}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    fast = {**play, "frame": {"duration": max(speed_ms // 4, 10), "redraw": redraw}}
    still = {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate",
             "transition": {"duration": 0}}
    return {
        "updatemenus": [{
            "type": "buttons", "direction": "left", "showactive": False,
            "x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "top",
            "pad": {"t": 72 * fs, "r": 10}, "font": {"size": 13 * fs},
            "buttons": [
                {"label": "▶ Play", "method": "animate", "args": [None, play]},
                {"label": "▶▶ Fast", "method": "animate", "args": [None, fast]},
                {"label": "❚❚ Pause", "method": "animate", "args": [[None], still]},
            ],
        }],
        "sliders": [{
            "active": active, "x": 0.3, "len": 0.7, "y": 0.0, "yanchor": "top",
            "pad": {"t": 62 * fs}, "font": {"size": 12 * fs},
            "currentvalue": {"prefix": prefix, "font": {"size": 14 * fs}},
            "transition": {"duration": 0},
            "steps": [{"label": label, "method": "animate", "args": [[str(j)], still]}
                      for j, label in enumerate(labels)],
        }],
    }
