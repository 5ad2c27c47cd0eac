"""Colours, dashes and symbols shared by every figure.

Optimizers are told apart by colour (Okabe & Ito's palette, safe for the common forms
of colour blindness: https://jfly.uni-koeln.de/color/), and also by dash and marker
symbol, so nothing depends on colour alone.
"""

from __future__ import annotations

OKABE_ITO = ("#E69F00", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9",
             "#F0E442", "#000000")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "pentagon", "hexagram",
           "star-square", "cross")

#: Viridis (matplotlib's, by van der Walt & Smith), 9 stops: perceptually uniform.
VIRIDIS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962",
           "#addc30", "#fde725")
#: The background map: viridis blended halfway to white, so the paths stand out on it.
BACKGROUND_MIX = 0.5

FONT = "Inter, 'Source Sans Pro', 'Helvetica Neue', Arial, sans-serif"


def style_of(index: int) -> dict[str, str]:
    """Colour, dash and marker symbol of the ``index``-th racer."""
    i = index % len(OKABE_ITO)
    return {"color": OKABE_ITO[i], "dash": DASHES[i], "symbol": SYMBOLS[i]}


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def background_colorscale() -> list[list]:
    """The colourscale of the background image, for a matching colour bar."""
    out = []
    n = len(VIRIDIS) - 1
    for i, c in enumerate(VIRIDIS):
        r, g, b = (round(BACKGROUND_MIX * 255 + (1 - BACKGROUND_MIX) * v) for v in hex_to_rgb(c))
        out.append([i / n, f"rgb({r},{g},{b})"])
    return out
