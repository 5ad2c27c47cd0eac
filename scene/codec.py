"""The two encodings of a Scene, both derived from the table of settings: the share link
(URL schema v=2, documented in README.md, "Share links"; a v=1 link is read as it was
written: only its racers differ, scene/settings.py ``Racers``) and the widgets' session state.

Encoding writes every value explicitly, defaults included, so that a link keeps its
meaning if a default changes in a later version. Decoding never raises: an unknown key,
or a value that is malformed or out of range, falls back to its default and adds one
warning that names the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from scene.model import Scene
from scene.reader import Reader, clean
from scene.settings import SCHEMA_VERSION, SETTINGS

#: The schema versions a link may give.
READ_VERSIONS = ("1", str(SCHEMA_VERSION))


def to_query(scene: Scene) -> dict[str, str]:
    """The share link's query parameters, every value explicit (schema v=2)."""
    query = {"v": str(SCHEMA_VERSION)}
    for setting in SETTINGS:
        query.update(setting.write(scene))
    return query


def query_string(scene: Scene) -> str:
    """``to_query`` URL-encoded (a formula's ``+`` becomes ``%2B`` and survives)."""
    return urlencode(to_query(scene))


def from_query(query: Mapping[str, str | Iterable[str]]) -> tuple[Scene, list[str]]:
    """Decode a query mapping; never raises. Returns the scene and its warnings."""
    reader = Reader(query)
    got: dict[str, Any] = {}
    for setting in SETTINGS:
        got.update(setting.prepare(reader))
    version = reader.text("v")
    if version is not None and version not in READ_VERSIONS:
        reader.warn("v", f"is {clean(version)}, but this app reads links of versions "
                    f"{' and '.join(READ_VERSIONS)}; values are read as version "
                    f"{SCHEMA_VERSION}")
    for setting in SETTINGS:
        got.update(setting.read(reader, got))
    reader.warn_unread()
    return Scene.of(**got), reader.warnings


def from_query_string(text: str) -> Scene:
    """The scene of a canonical link's query string (as ``query_string`` writes it)."""
    return from_query(parse_qs(text, keep_blank_values=True))[0]


def to_state(scene: Scene) -> dict[str, Any]:
    """The widget values that show ``scene`` (widget keys are the URL keys, except the
    start point's two boxes, ``start.x`` and ``start.y``)."""
    state: dict[str, Any] = {}
    for setting in SETTINGS:
        state.update(setting.state(scene))
    return state


def from_state(state: Mapping[str, Any]) -> Scene:
    """The Scene the widgets show (the widgets range-checked every value; a malformed
    plotting domain raises ``ValueError``, for the page to explain)."""
    got: dict[str, Any] = {}
    for setting in SETTINGS:
        got.update(setting.unstate(state, got))
    return Scene.of(**got)
