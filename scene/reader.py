"""Reading a hostile query string one key at a time: the primitives every setting's
decoder is written with. Nothing here raises on bad input: a rejected value records one
reason under its key, and the caller falls back to a default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hparam import HParam

#: A hostile link may be huge; values longer than this are refused before parsing.
MAX_VALUE_LENGTH = 600


def number_text(value: float) -> str:
    """Shortest text that reads back as the same float (``repr`` of a Python float)."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def range_text(spec: HParam) -> str:
    """What ``spec`` admits, in words: "a number in [0, 1]"."""
    kind = "a whole number" if spec.integer else "a number"
    return f"{kind} in [{number_text(spec.low)}, {number_text(spec.high)}]"


def clean(text: str, limit: int = 40) -> str:
    """A hostile value made safe to echo in Markdown (st.warning): printable ASCII,
    truncated, and quoted in a code span, so no link, image, HTML or maths renders."""
    safe = "".join(c if c.isascii() and c.isprintable() and c != "`" else "?"
                   for c in str(text))
    safe = safe if len(safe) <= limit else safe[: limit - 1] + "…"
    return f"`{safe}`" if safe else "''"


class Reader:
    """A query mapping read key by key, recording one warning per rejected key."""

    def __init__(self, query: Mapping[str, str | Iterable[str]]):
        self.raw: dict[str, str] = {}
        self.reasons: dict[str, list[str]] = {}
        for key, value in query.items():
            if not isinstance(value, str):
                values = list(value)
                if len(values) != 1:
                    self.warn(str(key), "appears more than once; the first value is used")
                value = values[0] if values else ""
            self.raw[str(key)] = value
        self.used: set[str] = set()

    def warn(self, key: str, why: str) -> None:
        self.reasons.setdefault(key, []).append(why)

    @property
    def warnings(self) -> list[str]:
        """One warning per rejected key, naming it, with every reason it was rejected."""
        return [f"{clean(key)} {'; '.join(whys)}." for key, whys in self.reasons.items()]

    def text(self, key: str) -> str | None:
        """The raw value of ``key`` (``None`` if absent or too long), marked as read."""
        if key not in self.raw:
            return None
        self.used.add(key)
        value = self.raw[key]
        if len(value) > MAX_VALUE_LENGTH:
            self.warn(key, f"is longer than {MAX_VALUE_LENGTH} characters and was ignored")
            return None
        return value

    def number(self, key: str, spec: HParam, default: float, shown: str = "") -> float:
        """``key`` as a number ``spec`` admits, else ``default`` (with a warning)."""
        value = self.text(key)
        if value is None:
            return default
        shown = shown or number_text(default)
        try:
            number = float(value)
        except ValueError:
            self.warn(key, f"is not a number ({clean(value)}); using {shown}")
            return default
        if not spec.admits(number):
            self.warn(key, f"must be {range_text(spec)}; got {clean(value)}, using {shown}")
            return default
        return int(number) if spec.integer else number

    def choice(self, key: str, choices: tuple[str, ...], default: str, *,
               echo: bool = False) -> str:
        """``key`` as one of ``choices``, else ``default`` (with a warning)."""
        value = self.text(key) or default
        if value in choices:
            return value
        got = f"got {clean(value)}, " if echo else ""
        self.warn(key, f"must be one of {', '.join(choices)}; {got}using {default}")
        return default

    def flag(self, key: str, default: bool) -> bool:
        """An on/off option: ``1``/``0`` (``true``/``false`` also read)."""
        value = self.text(key)
        if value is None:
            return default
        word = value.strip().lower()
        if word in ("1", "true"):
            return True
        if word in ("0", "false"):
            return False
        self.warn(key, f"must be 1 (on) or 0 (off); got {clean(value)}, using {int(default)}")
        return default

    def warn_unread(self) -> None:
        """Every key no setting read is not a setting of this app."""
        for key in sorted(set(self.raw) - self.used):
            self.warn(key, "is not a setting of this app and was ignored")
