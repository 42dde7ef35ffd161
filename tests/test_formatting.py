"""French number formats of the dashboard (decimal comma, narrow no-break space, « — »)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.formatting import (
    MISSING,
    PLOTLY_SEPARATORS,
    apply_french_layout,
    format_delta,
    format_index,
    format_integer,
    format_mad,
    format_mad_compact,
    format_number,
    format_pct,
    format_table,
)

NNBSP = "\u202f"  # narrow no-break space: thousands
NBSP = "\u00a0"  # no-break space: before a unit


def test_thousands_and_decimal_comma() -> None:
    assert format_number(1234567.891) == f"1{NNBSP}234{NNBSP}567,89"
    assert format_number(1234567.891).replace(NNBSP, " ") == "1 234 567,89"
    assert format_number(0.5, 1) == "0,5"
    assert format_number(999.999) == f"1{NNBSP}000,00"
    assert format_number(-1234.5, 1) == f"-1{NNBSP}234,5"


def test_rounding_is_half_up_on_the_written_digits() -> None:
    # A binary float's round-half-even would show 2,67 and 1 234: not what people expect.
    assert format_number(2.675) == "2,68"
    assert format_number(1234.5, 0) == f"1{NNBSP}235"


def test_negative_zero_is_plain_zero() -> None:
    assert format_number(-0.001) == "0,00"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT, math.inf])
def test_missing_values_are_a_dash_never_zero(missing: object) -> None:
    assert format_number(missing) == MISSING == "—"
    assert format_mad(missing) == "—"
    assert format_pct(missing) == "—"
    assert format_index(missing) == "—"
    assert format_integer(missing) == "—"
    assert format_delta(missing) is None


def test_amounts_percentages_indices() -> None:
    assert format_mad(1234567.891) == f"1{NNBSP}234{NNBSP}568{NBSP}MAD"
    assert format_mad(1234.5, decimals=2) == f"1{NNBSP}234,50{NBSP}MAD"
    assert format_pct(9) == f"9,0{NBSP}%"
    assert format_pct(6.66, 2) == f"6,66{NBSP}%"
    assert format_index(2.456) == "2,46"
    assert format_integer(2350) == f"2{NNBSP}350"


def test_compact_amounts_for_cards() -> None:
    assert format_mad_compact(3_658_420.0) == f"3,66{NBSP}M{NBSP}MAD"
    assert format_mad_compact(881_700.0) == f"881,7{NBSP}k{NBSP}MAD"
    assert format_mad_compact(2_760.4) == f"2{NNBSP}760{NBSP}MAD"
    assert format_mad_compact(None) == "—"


def test_deltas_carry_an_ascii_sign_for_streamlit_arrows() -> None:
    assert format_delta(0.123) == "+0,12"
    assert format_delta(-0.3) == "-0,30"
    assert format_delta(0) == "0,00"
    assert format_delta(1.5, 1, " pt") == "+1,5 pt"


def test_format_table_formats_listed_columns_only() -> None:
    df = pd.DataFrame({"chu": ["A", "B"], "x": [1234.5, None], "p": [9.0, 12.25]})
    shown = format_table(df, {"x": "mad", "p": "pct", "absent": "number"})
    assert shown["x"].tolist() == [f"1{NNBSP}235{NBSP}MAD", "—"]
    assert shown["p"].tolist() == [f"9,0{NBSP}%", f"12,3{NBSP}%"]
    assert shown["chu"].tolist() == ["A", "B"]
    assert df["x"].iloc[0] == 1234.5  # the input is untouched


def test_plotly_layout_uses_french_separators() -> None:
    import plotly.graph_objects as go

    assert PLOTLY_SEPARATORS == ", "
    fig = apply_french_layout(go.Figure(), title="Titre")
    assert fig.layout.separators == ", "
    assert fig.layout.title.text == "Titre"
