"""Helpers shared by the formula compiler's tests."""

from __future__ import annotations

import ast

from landscapes import FormulaError
from landscapes.formula.normalize import _normalize


def check_error(err: FormulaError, text: str) -> None:
    """A refusal a student can read, pointing inside the text if anywhere."""
    msg = str(err)
    assert err.message and msg.startswith(err.message)
    assert "Traceback" not in msg and 'File "' not in msg and "\n" not in msg
    assert err.hint is None or (err.hint and msg.endswith(err.hint))
    if err.position is not None:
        assert 0 <= err.position <= len(text)
        assert f"column {err.position + 1}" in err.message or "at the end" in err.message


def normalized_tree(text: str) -> str:
    """The validated, normalized tree of ``text``, dumped for comparison."""
    return ast.dump(_normalize(text))
