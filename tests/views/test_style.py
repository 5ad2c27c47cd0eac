"""Colours that follow the theme (views/style.py): WCAG 2.1 contrast, the palettes of the
light and dark themes, and figures drawn for a theme."""

from __future__ import annotations

import colorsys
import copy
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from views.style import (
    BACKGROUNDS,
    DARK_BELOW,
    LINE_CONTRAST,
    OKABE_ITO,
    PALETTES,
    TEXT,
    THEMES,
    contrast,
    hex_to_rgb,
    luminance,
    readable,
    style_of,
    theme_of,
    themed,
)

colors = st.tuples(*[st.integers(0, 255)] * 3).map(lambda c: "#{:02x}{:02x}{:02x}".format(*c))


def test_contrast_matches_wcags_own_examples():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the AA edge
    assert contrast("#0072b2", "#0072b2") == pytest.approx(1.0)
    assert luminance("white") == pytest.approx(1.0) and luminance("black") == 0.0


def test_dark_below_is_where_white_and_black_text_read_alike():
    white = (1.0 + 0.05) / (DARK_BELOW + 0.05)
    black = (DARK_BELOW + 0.05) / 0.05
    assert white == pytest.approx(black, rel=1e-3)
    assert theme_of("#171614") == theme_of("#0e1117") == "dark"
    assert theme_of("#ffffff") == theme_of("#f0f2f6") == "light"


@pytest.mark.parametrize("theme", THEMES)
def test_every_racer_colour_reads_on_every_background_of_its_theme(theme):
    for i in range(len(OKABE_ITO)):
        color = style_of(i, theme)["color"]
        for background in BACKGROUNDS[theme]:
            assert contrast(color, background) >= LINE_CONTRAST, (theme, i, background)
    assert len(set(PALETTES[theme])) == len(OKABE_ITO)  # still eight colours


@given(colors, st.sampled_from(THEMES))
def test_readable_reaches_the_contrast_keeping_the_hue(color, theme):
    out = readable(color, theme)
    assert all(contrast(out, bg) >= LINE_CONTRAST for bg in BACKGROUNDS[theme])
    if all(contrast(color, bg) >= LINE_CONTRAST for bg in BACKGROUNDS[theme]):
        assert out == color  # a colour that reads already is left alone
        return
    h0, _, s0 = colorsys.rgb_to_hls(*(v / 255 for v in hex_to_rgb(color)))
    h1, _, s1 = colorsys.rgb_to_hls(*(v / 255 for v in hex_to_rgb(out)))
    if s0 > 0.2 and s1 > 0.2:  # a hue is only defined for a colour that has one
        assert min(abs(h0 - h1), 1 - abs(h0 - h1)) < 0.03


def test_okabe_ito_keeps_what_passes_and_darkens_what_does_not():
    light = dict(zip(OKABE_ITO, PALETTES["light"], strict=True))
    assert light["#0072B2"] == "#0072b2" and light["#D55E00"] == "#d55e00"
    assert light["#F0E442"] != "#f0e442"  # yellow on white: 1.3:1 before
    dark = dict(zip(OKABE_ITO, PALETTES["dark"], strict=True))
    assert dark["#000000"] != "#000000" and dark["#F0E442"] == "#f0e442"


def test_a_themed_figure_shows_the_page_and_reads_on_it():
    figure = {"data": [{"type": "scatter", "line": {"color": "#F0E442"},
                        "marker": {"color": ["#000000", "#F0E442"], "line": {"color": "white"}}}],
              "layout": {"paper_bgcolor": "white", "plot_bgcolor": "#f4f4f4",
                         "font": {"size": 13, "color": "#222"},
                         "annotations": [{"text": "a", "font": {"color": "black"}}]},
              "frames": [{"data": [{"line": {"color": "#000000"}}]}]}
    before = copy.deepcopy(figure)
    out = themed(figure, "dark")
    assert figure == before  # a cached figure is never changed
    layout = out["layout"]
    assert layout["paper_bgcolor"] == layout["plot_bgcolor"] == "rgba(0,0,0,0)"
    assert layout["font"]["color"] == TEXT["dark"] and layout["font"]["size"] == 13
    bg = BACKGROUNDS["dark"][0]
    trace = out["data"][0]
    assert contrast(trace["line"]["color"], bg) >= LINE_CONTRAST
    assert all(contrast(c, bg) >= LINE_CONTRAST for c in trace["marker"]["color"])
    assert contrast(layout["annotations"][0]["font"]["color"], bg) >= LINE_CONTRAST
    assert contrast(out["frames"][0]["data"][0]["line"]["color"], bg) >= LINE_CONTRAST
    assert not math.isclose(contrast(figure["data"][0]["line"]["color"], "#ffffff"),
                            contrast(themed(figure, "light")["data"][0]["line"]["color"],
                                     "#ffffff"))
