"""Lesson presets: a title, a share link and one paragraph each, kept as data.

``LESSONS`` maps a slug to its :class:`Lesson`, read from ``lessons.toml`` beside this
file. A lesson's ``query`` is a share link's query string (URL schema v=1); the page
opens ``?lesson=<slug>`` by decoding that query string as if it were the link (keys the
URL gives itself win) and shows the text above the figure. This package is pure data:
it imports nothing of the app, so the Scene's decoder can read it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).with_name("lessons.toml")


@dataclass(frozen=True)
class Lesson:
    """One preset: ``query`` is a share link's query string (schema v=1)."""

    slug: str
    title: str
    query: str
    text: str


def load(path: Path = DATA) -> dict[str, Lesson]:
    """Every lesson of ``path``, in the file's order."""
    with open(path, "rb") as f:
        table = tomllib.load(f)["lessons"]
    return {
        slug: Lesson(slug=slug, title=entry["title"].strip(), query=entry["query"].strip(),
                     text=" ".join(entry["text"].split()))
        for slug, entry in table.items()
    }


LESSONS: dict[str, Lesson] = load()

__all__ = ["LESSONS", "Lesson", "load"]
