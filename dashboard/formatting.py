"""French number formats for the dashboard: decimal comma, narrow no-break space between
thousands, amounts in MAD, percentages, deltas; a missing KPI is shown as « — », never 0.

The figures share the same rules: the core formatter and the Plotly layout helper live in
``warehouse/charts.py`` (the HTML report uses them too) and are re-exported here, so that
there is a single definition of how a number looks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from warehouse.charts import (
    MISSING,
    SEPARATORS,
    THOUSANDS_SEPARATOR,
    apply_french_layout,
    french_number,
    is_missing,
)

__all__ = [
    "MISSING",
    "NBSP",
    "PLOTLY_SEPARATORS",
    "THOUSANDS_SEPARATOR",
    "apply_french_layout",
    "comparison_display",
    "format_delta",
    "format_index",
    "format_integer",
    "format_mad",
    "format_mad_compact",
    "format_number",
    "format_pct",
    "format_table",
    "format_value",
    "is_missing",
    "markdown_text",
]

PLOTLY_SEPARATORS = SEPARATORS
# A unit stays on the line of its number.
NBSP = "\u00a0"


def format_number(value: Any, decimals: int = 2) -> str:
    """``1234567.891`` → ``1 234 567,89``; missing → ``—``."""
    return french_number(value, decimals)


def format_integer(value: Any) -> str:
    return french_number(value, 0)


def format_mad(value: Any, decimals: int = 0) -> str:
    """An amount in dirhams: ``1 234 567 MAD``."""
    text = french_number(value, decimals)
    return MISSING if text == MISSING else f"{text}{NBSP}MAD"


def format_mad_compact(value: Any) -> str:
    """An amount for a narrow card: ``3,66 M MAD`` from a million on, ``881,7 k MAD`` from
    ten thousand, else the full amount (the exact figure stays in the tables)."""
    if french_number(value, 0) == MISSING:
        return MISSING
    number = float(value)
    if abs(number) >= 1_000_000:
        return f"{french_number(number / 1_000_000, 2)}{NBSP}M{NBSP}MAD"
    if abs(number) >= 10_000:
        return f"{french_number(number / 1_000, 1)}{NBSP}k{NBSP}MAD"
    return format_mad(number)


def format_pct(value: Any, decimals: int = 1) -> str:
    """A percentage already multiplied by 100: ``9,0 %`` (French puts a space before %)."""
    text = french_number(value, decimals)
    return MISSING if text == MISSING else f"{text}{NBSP}%"


def format_index(value: Any) -> str:
    """A maturity level or index on the 0–5 scale, two decimals."""
    return french_number(value, 2)


def format_delta(value: Any, decimals: int = 2, suffix: str = "") -> str | None:
    """A signed change for ``st.metric(delta=...)``: ``+0,12``, ``-0,30``; ``None`` when missing
    (Streamlit then shows no arrow). The minus is ASCII because Streamlit picks the arrow and
    colour from a leading ``-``."""
    if french_number(value, decimals) == MISSING:
        return None
    number = float(value)
    text = french_number(abs(number), decimals)
    if text == french_number(0, decimals):
        return f"{text}{suffix}"
    return f"{'+' if number > 0 else '-'}{text}{suffix}"


def _plain(value: Any) -> str:
    """A year or a code: no thousands separator (2025, never 2 025)."""
    if is_missing(value):
        return MISSING
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_FORMATTERS = {
    "plain": _plain,
    "number": format_number,
    "integer": format_integer,
    "mad": format_mad,
    "pct": format_pct,
    "index": format_index,
}


def format_table(df: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """A display copy of ``df`` whose listed columns are French text (``number``, ``integer``,
    ``mad``, ``pct``, ``index``); missing values become « — ». Downloads keep the raw numbers."""
    shown = df.copy()
    for column, kind in formats.items():
        if column in shown.columns:
            formatter = _FORMATTERS[kind]
            shown[column] = [formatter(v) for v in shown[column]]
    return shown


def format_value(value: Any, kind: str) -> str:
    """One value in one of the ``format_table`` formats (``plain``, ``number``, ``integer``,
    ``mad``, ``pct``, ``index``)."""
    return _FORMATTERS[kind](value)


# Every ASCII punctuation character may be backslash-escaped in CommonMark (the escaped
# character is then plain text). Escaping them all also defeats raw HTML (``\\<``), entities
# (``\\&``), GitHub-style autolinks (``http\\://``, ``www\\.``) and Streamlit's ``:red[...]``
# and ``:emoji:`` directives.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_text(value: Any) -> str:
    """A value that came from a file or an upload (a file name, a supplier, a comment),
    ready to be put inside ``st.markdown``/``st.caption``/``st.success``… so that it is shown
    exactly as written: never a link, an image, a style or a heading. Newlines become
    spaces (a line break could start a list or a heading)."""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def comparison_display(comparison: pd.DataFrame, formats: dict[str, str]) -> pd.DataFrame:
    """The French display of a ``ScopedData.comparison`` table: each figure in its own format
    (``formats``: column of the benchmark → format), « secret statistique » where the
    statistics of the other CHUs are not published."""
    from dashboard.scoped import SECRET, STAT_LABELS, rank_text

    rows = []
    for r in comparison.to_dict("records"):
        kind = formats.get(r["indicateur"], "number")
        secret = r["diffusion"] == SECRET
        row = {
            "Indicateur": r["libelle"],
            STAT_LABELS["valeur_chu"]: format_value(r["valeur_chu"], kind),
            STAT_LABELS["nb_autres_chu"]: format_value(r["nb_autres_chu"], "integer"),
        }
        for column in ("mediane_autres", "q1_autres", "q3_autres", "min_autres", "max_autres"):
            row[STAT_LABELS[column]] = SECRET if secret else format_value(r[column], kind)
        row["Rang (du plus élevé)"] = rank_text(r) if not pd.isna(r["valeur_chu"]) else "—"
        rows.append(row)
    return pd.DataFrame(rows)
