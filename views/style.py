"""Colours, dashes and symbols shared by every figure, and how they follow the theme.

Optimizers are told apart by colour (Okabe & Ito's palette, safe for the common forms
of colour blindness: https://jfly.uni-koeln.de/color/), and also by dash and marker
symbol, so nothing depends on colour alone.

The page may be light or dark (Streamlit's theme). A line must keep a contrast of at
least 3:1 against the background it is drawn on (WCAG 2.1, success criterion 1.4.11,
non-text contrast), so each theme has its own version of every colour a line or marker
uses: the same hue, darkened on a light background or lightened on a dark one just
enough (``readable``). Backgrounds are left transparent, so a figure shows the page's
own colour, custom themes included.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

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


#: WCAG 2.1 AA for graphical objects (1.4.11): a line against its background.
LINE_CONTRAST = 3.0
#: The backgrounds each theme's colours must read on: the background and secondary
#: background of Streamlit's light and dark themes (a plot may sit on either), today's
#: and those of earlier releases (custom themes start from them).
BACKGROUNDS = {"light": ("#ffffff", "#f8f8f7", "#f0f2f6"),
               "dark": ("#171614", "#2d2b27", "#0e1117", "#262730")}
#: Below this relative luminance a background is dark: where white and black text
#: have the same contrast against it, (1 + 0.05) / (L + 0.05) = (L + 0.05) / 0.05 (≈ 0.179).
DARK_BELOW = math.sqrt(1.05 * 0.05) - 0.05
THEMES = tuple(BACKGROUNDS)
#: Text colour of each theme: Streamlit's plotly theme draws tick labels in a grey that
#: keeps 3.7:1 on white, under the 4.5:1 text needs (WCAG 1.4.3).
TEXT = {"light": "#31333f", "dark": "#fafafa"}

_NAMED = {"white": "#ffffff", "black": "#000000"}


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """#rrggbb, #rgb (an alpha after them is ignored), "white" or "black"."""
    color = _NAMED.get(color, color).lstrip("#")
    if len(color) in (3, 4):
        color = "".join(c * 2 for c in color)
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{round(min(max(v, 0), 255)):02x}" for v in rgb)


def luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour (#rrggbb)."""
    def linear(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(v) for v in hex_to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio, (L_lighter + 0.05) / (L_darker + 0.05), from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def theme_of(background: str) -> str:
    """``"dark"`` or ``"light"``: which theme's colours read on ``background``."""
    return "dark" if luminance(background) < DARK_BELOW else "light"


def readable(color: str, theme: str, ratio: float = LINE_CONTRAST) -> str:
    """``color`` as it must be drawn in ``theme``: unchanged when it reaches ``ratio``
    against every background of the theme, else mixed towards black (light theme) or
    white (dark theme) in steps of 2 % until it does."""
    backgrounds = BACKGROUNDS[theme]
    target = (0, 0, 0) if theme == "light" else (255, 255, 255)
    rgb = hex_to_rgb(color)
    for step in range(51):
        t = step / 50
        out = _hex(c * (1 - t) + e * t for c, e in zip(rgb, target, strict=True))
        if all(contrast(out, bg) >= ratio for bg in backgrounds):
            return out
    return _hex(target)


#: The racers' colours in each theme.
PALETTES = {theme: tuple(readable(c, theme) for c in OKABE_ITO) for theme in THEMES}


def style_of(index: int, theme: str = "light") -> dict[str, str]:
    """Colour (readable in ``theme``), dash and marker symbol of the ``index``-th racer."""
    i = index % len(OKABE_ITO)
    return {"color": PALETTES[theme][i], "dash": DASHES[i], "symbol": SYMBOLS[i]}


#: Where a trace's line and marker colours live (paths into a trace dict).
_COLOR_PATHS = (("line", "color"), ("marker", "color"), ("marker", "line", "color"),
                ("textfont", "color"), ("error_y", "color"))


_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _recolored(value, theme: str):
    if isinstance(value, str) and (_HEX.fullmatch(value) or value in _NAMED):
        return readable(value, theme)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [_recolored(v, theme) for v in value]
    return value


def themed(figure: dict, theme: str) -> dict:
    """A copy of a plotly figure dict drawn for ``theme``: transparent backgrounds (the
    page's colour shows), the theme's text colour (axes and tick labels too), and every
    line, marker and text
    colour of the traces and annotations made readable there. Colour scales (filled
    areas, images) are left alone. The figure itself is not changed (it may be cached)."""
    def walk(node: dict, path: tuple[str, ...]) -> dict:
        head, *rest = path
        if head not in node:
            return node
        inner = node[head]
        if rest:
            return {**node, head: walk(inner, tuple(rest))} if isinstance(inner, dict) else node
        return {**node, head: _recolored(inner, theme)}

    def traces(items: list[dict]) -> list[dict]:
        out = []
        for trace in items:
            for path in _COLOR_PATHS:
                trace = walk(trace, path)
            out.append(trace)
        return out

    layout = dict(figure.get("layout", {}))
    layout.update(paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                  font={**layout.get("font", {}), "color": TEXT[theme]})
    for name, value in list(layout.items()):
        if re.fullmatch(r"[xy]axis\d*", name) and isinstance(value, dict):
            layout[name] = {**value, "color": TEXT[theme],
                            "tickfont": {**value.get("tickfont", {}), "color": TEXT[theme]}}
    if "annotations" in layout:
        layout["annotations"] = [walk(walk(a, ("font", "color")), ("arrowcolor",))
                                 for a in layout["annotations"]]
    out = {**figure, "layout": layout, "data": traces(figure.get("data", []))}
    if "frames" in figure:
        out["frames"] = [{**f, "data": traces(f.get("data", []))} for f in figure["frames"]]
    return out




def background_colorscale() -> list[list]:
    """The colourscale of the background image, for a matching colour bar."""
    out = []
    n = len(VIRIDIS) - 1
    for i, c in enumerate(VIRIDIS):
        r, g, b = (round(BACKGROUND_MIX * 255 + (1 - BACKGROUND_MIX) * v) for v in hex_to_rgb(c))
        out.append([i / n, f"rgb({r},{g},{b})"])
    return out
