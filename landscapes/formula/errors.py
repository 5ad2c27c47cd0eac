"""The one error every stage of the formula compiler raises."""

from __future__ import annotations


class FormulaError(ValueError):
    """A refused formula: ``message`` (a sentence), ``position`` (0-based column into the
    text as typed, or None) and ``hint`` (what to do instead, or None).

    Messages speak of 1-based columns ("column 5" is the fifth character, position 4).
    """

    def __init__(self, message: str, position: int | None = None, hint: str | None = None):
        self.message = message
        self.position = position
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


def _col(position: int) -> str:
    return f"column {position + 1}"
