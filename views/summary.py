"""The per-optimizer summary table: the outcome in words, not in colour alone."""

from __future__ import annotations

from compute import Result
from optimizers.sweeps import TOLERANCE


def _short(value: float) -> str:
    return f"{value:.3g}"


def summary_rows(result: Result) -> list[dict[str, str]]:
    """One row per racer: hyperparameters, final loss, distance, steps to tolerance,
    and a status that says "diverged at step k" where it did."""
    rows = []
    for run in result.runs:
        if run.diverged_at is not None:
            status = f"diverged at step {run.diverged_at}"
        elif run.steps_to_tolerance is not None:
            status = f"reached f − f* < {TOLERANCE:g} at step {run.steps_to_tolerance}"
        elif result.surface.min_value is None:
            status = "no minimum on this surface"
        else:
            status = f"not within {TOLERANCE:g} of the minimum after {result.steps} steps"
        rows.append({
            "optimizer": run.name,
            "hyperparameters": ", ".join(f"{k}={_short(v)}" for k, v in run.hparams.items()),
            "final f": f"{run.final_loss:.6g}",
            "distance to minimum": "—" if run.distance is None else f"{run.distance[-1]:.3g}",
            "status": status,
        })
    return rows


def plain_markdown(text: str) -> str:
    """``text`` shown literally by st.markdown (a formula's ``*`` is not emphasis, a
    ``|`` does not end a table cell)."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~$" else c for c in str(text))


def markdown_table(rows: list[dict[str, str]]) -> str:
    """``rows`` as a Markdown table (a table of text needs no DataFrame machinery in the
    browser); every cell is escaped, so no value renders as markup."""
    if not rows:
        return ""
    columns = list(rows[0])
    lines = ["| " + " | ".join(plain_markdown(c) for c in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(plain_markdown(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
