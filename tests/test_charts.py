"""Plotly figure builders (warehouse/charts.py): traces, labels, reference lines, French
separators, empty data, and nothing shown beyond the columns they are given."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from expectations.reference import SpendingReference, load_reference
from warehouse import charts

NNBSP = "\u202f"
FUNCTIONS = ("GV", "ID", "PR", "DE", "RS", "RC")


def _figure_text(fig: go.Figure) -> str:
    """The figure as the browser gets it, with unicode escapes decoded."""
    return json.dumps(json.loads(fig.to_json()), ensure_ascii=False)


@pytest.fixture
def bench() -> pd.DataFrame:
    rows = []
    for index, (label, indice) in enumerate(
        [("CHU A", 2.5), ("CHU B", 3.25), ("CHU C", None), ("Mon CHU", 1.75)]
    ):
        row = {
            "chu": label,
            "annee": 2025,
            "indice_maturite": indice,
            "part_budget_si_pct": [4.0, 9.5, None, 12.0][index],
            "part_si_budget_total_pct": [1.2, 2.0, 1.7, None][index],
            "effectif_ssi_pour_100_si": [8.0, 12.5, 10.0, 5.0][index],
            "depense_par_lit_mad": [1200.0, 2500.0, None, 800.0][index],
            "part_capex_pct": [40.0, 25.0, None, 60.0][index],
            # A column the builders must never show (it is not theirs to show).
            "ville": "Rabat",
        }
        for f_index, function in enumerate(FUNCTIONS):
            row[f"score_{function}"] = None if indice is None else indice + f_index / 10
        for chapter in range(1, 15):
            row[f"score_chapitre_{chapter}"] = None if indice is None else indice
        rows.append(row)
    return pd.DataFrame(rows)


def test_every_builder_sets_french_separators(bench: pd.DataFrame) -> None:
    reference = load_reference()
    figures = [
        charts.maturity_bar_chart(bench, median=2.5),
        charts.csf_radar_chart(bench, reference.csf_function_names()),
        charts.chapter_heatmap(bench, reference.chapter_titles(2025)),
        charts.trend_chart(bench),
        charts.ratio_chart(bench, "part_budget_si_pct"),
        charts.amount_bar_chart(bench, "depense_par_lit_mad"),
        charts.capex_opex_chart(bench),
        charts.maturity_vs_spend_chart(bench),
        charts.empty_figure(),
    ]
    for fig in figures:
        assert fig.layout.separators == ", "
        assert "Rabat" not in _figure_text(fig)


def test_maturity_bars_sorted_with_median_and_nulls_left_out(bench: pd.DataFrame) -> None:
    fig = charts.maturity_bar_chart(bench, median=2.5, highlight="Mon CHU", title="T")
    bar, median = fig.data
    assert list(bar.x) == ["CHU B", "CHU A", "Mon CHU"]  # CHU C (null) is not drawn as 0
    assert list(bar.y) == [3.25, 2.5, 1.75]
    assert list(bar.marker.color) == [charts.BASE_COLOR, charts.BASE_COLOR, charts.HIGHLIGHT_COLOR]
    # Long names are wrapped on the axis only; the data keeps the plain label.
    assert list(fig.layout.xaxis.ticktext) == ["CHU B", "CHU A", "Mon CHU"]
    long = charts.maturity_bar_chart(
        pd.DataFrame({"chu": ["CHU Mohammed VI de Marrakech"], "indice_maturite": [2.0]})
    )
    assert list(long.data[0].x) == ["CHU Mohammed VI de Marrakech"]
    assert list(long.layout.xaxis.ticktext) == ["CHU Mohammed VI<br>de Marrakech"]
    assert "%{y:.2f}" in bar.hovertemplate
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == 2.5
    assert median.name == "Médiane de l'alliance : 2,50" and median.showlegend
    assert fig.layout.title.text == "T"


def test_radar_closes_each_polygon_and_adds_the_median(bench: pd.DataFrame) -> None:
    names = load_reference().csf_function_names()
    medians = {f: 2.0 for f in FUNCTIONS}
    fig = charts.csf_radar_chart(bench.head(2), names, median_scores=medians)
    assert [t.name for t in fig.data] == ["CHU A", "CHU B", "Médiane de l'alliance"]
    first = fig.data[0]
    assert first.theta[0] == first.theta[-1] == "Gouverner (GV)"
    assert list(first.theta[:6]) == [f"{names[f]} ({f})" for f in FUNCTIONS]
    assert first.r[0] == first.r[-1] == 2.5
    assert fig.data[-1].line.dash == "dash"
    assert tuple(fig.layout.polar.radialaxis.range) == (0, 5)


def test_heatmap_has_chapter_titles_in_hover(bench: pd.DataFrame) -> None:
    titles = load_reference().chapter_titles(2025)
    fig = charts.chapter_heatmap(bench, titles)
    (heat,) = fig.data
    assert list(heat.y) == ["CHU A", "CHU B", "CHU C", "Mon CHU"]
    assert list(heat.x) == [f"Ch. {c}" for c in range(1, 15)]
    assert heat.z[1][0] == 3.25
    assert heat.z[2][0] is None  # a CHU without answers stays a gap
    assert heat.customdata[0][0] == titles[1].capitalize()
    assert "%{customdata}" in heat.hovertemplate
    assert (heat.zmin, heat.zmax) == (0, 5)


def test_trend_lines_median_and_band() -> None:
    df = pd.DataFrame(
        {"chu": ["X", "X", "Y"], "annee": [2024, 2025, 2025], "indice_maturite": [2.0, 2.5, 3.0]}
    )
    median = pd.DataFrame({"annee": [2024, 2025], "value": [2.0, 2.75]})
    band = pd.DataFrame({"annee": [2024, 2025], "min": [1.0, 2.0], "max": [3.0, 3.5]})
    fig = charts.trend_chart(df, median=median, band=band)
    names = [t.name for t in fig.data]
    assert names == ["Étendue de l'alliance (min–max)", "X", "Y", "Médiane de l'alliance"]
    assert list(fig.data[1].x) == [2024, 2025]
    assert list(fig.data[-1].y) == [2.0, 2.75]
    assert fig.layout.xaxis.dtick == 1


def test_ratio_chart_draws_published_references_with_source_and_year(
    bench: pd.DataFrame,
) -> None:
    references = [
        r for r in load_reference().spending_references if r.indicateur == "part_budget_si_pct"
    ]
    assert len(references) == 3
    fig = charts.ratio_chart(bench, "part_budget_si_pct", references=references, value_label="P")
    bar = fig.data[0]
    assert list(bar.x) == ["Mon CHU", "CHU B", "CHU A"]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    bands = [s for s in fig.layout.shapes if s.type == "rect"]
    assert sorted(s.y0 for s in lines) == [6.7, 9.0]
    assert [(b.y0, b.y1) for b in bands] == [(5.0, 10.0)]
    # Labels are in the legend (never over a bar), one entry per reference.
    texts = [t.name for t in fig.data[1:] if t.showlegend]
    assert len(texts) == 3
    assert "ENISA, NIS Investments 2024 (2024) : 9,0 %" in texts
    assert "ENISA, NIS Investments 2022 (2022) : 6,7 %" in texts
    assert any(t.endswith("(2021) : 5–10 %") for t in texts)
    assert fig.layout.yaxis.range[1] >= 12.0


def test_ratio_chart_with_a_custom_reference() -> None:
    df = pd.DataFrame({"chu": ["A"], "part_si_budget_total_pct": [2.0]})
    ref = SpendingReference(
        "part_si_budget_total_pct", 1.7, 1.7, "%", "l", "Cour des comptes", 2025
    )
    fig = charts.ratio_chart(df, "part_si_budget_total_pct", references=[ref])
    assert fig.layout.shapes[0].y0 == 1.7
    assert fig.data[1].name == "Cour des comptes (2025) : 1,7 %"
    assert fig.data[1].line.dash == "dash" == fig.layout.shapes[0].line.dash


def test_amount_and_capex_charts(bench: pd.DataFrame) -> None:
    fig = charts.amount_bar_chart(bench, "depense_par_lit_mad", value_label="Par lit")
    assert list(fig.data[0].x) == ["CHU B", "CHU A", "Mon CHU"]
    assert fig.data[0].hovertemplate.endswith("MAD<extra></extra>")
    assert fig.layout.yaxis.tickformat == ",.0f"

    fig = charts.capex_opex_chart(bench)
    capex, opex = fig.data
    assert capex.name.startswith("Investissement") and opex.name.startswith("Fonctionnement")
    assert [a + b for a, b in zip(capex.y, opex.y, strict=True)] == [100.0] * 3
    assert fig.layout.barmode == "stack"


def test_category_mix_amounts_and_shares() -> None:
    df = pd.DataFrame(
        {
            "chu": ["A", "A", "B"],
            "categorie": ["logiciels", "formation", "logiciels"],
            "montant_mad": [300.0, 100.0, 50.0],
        }
    )
    labels = {"logiciels": "Logiciels", "formation": "Formation"}
    fig = charts.category_mix_chart(df, category_labels=labels)
    assert [t.name for t in fig.data] == ["Logiciels", "Formation"]
    assert list(fig.data[0].x) == ["A", "B"]
    assert list(fig.data[0].y) == [300.0, 50.0]
    shares = charts.category_mix_chart(df, category_labels=labels, as_share=True)
    assert list(shares.data[0].y) == [75.0, 100.0]
    assert list(shares.data[1].y) == [25.0, 0.0]
    assert "%" in shares.layout.yaxis.title.text


def test_maturity_vs_spend_scatter(bench: pd.DataFrame) -> None:
    fig = charts.maturity_vs_spend_chart(bench, highlight="Mon CHU")
    (points,) = fig.data
    assert list(points.text) == ["CHU A", "CHU B", "Mon CHU"]
    assert list(points.x) == [1200.0, 2500.0, 800.0]
    assert points.marker.color[2] == charts.HIGHLIGHT_COLOR
    assert len(fig.layout.shapes) == 2  # the two medians


def test_pooling_chart_top_opportunities() -> None:
    df = pd.DataFrame(
        {
            "type": ["solution", "solution", "fournisseur"],
            "nom": ["SIEM X", "EDR Y", "Fournisseur Z"],
            "nb_chu": [3, 2, 2],
            "chus": ["CHU A, CHU B, Mon CHU", "CHU A, CHU C", "CHU B, Mon CHU"],
            "total_mad": [1_000_000.0, 200_000.0, 500_000.0],
            "economie_estimee_mad": [150_000.0, 30_000.0, 75_000.0],
        }
    )
    fig = charts.pooling_chart(df, top=2)
    assert {t.name for t in fig.data} == {"Solution", "Fournisseur"}
    shown = [y for t in fig.data for y in t.y]
    assert sorted(shown) == ["Fournisseur Z (fournisseur)", "SIEM X (solution)"]  # top 2
    assert list(fig.layout.yaxis.categoryarray) == [
        "Fournisseur Z (fournisseur)",
        "SIEM X (solution)",
    ]
    solution = next(t for t in fig.data if t.name == "Solution")
    assert solution.customdata[0][2] == "CHU A, CHU B, Mon CHU"
    assert "Économie estimée" in solution.hovertemplate


def test_empty_inputs_give_a_message_not_an_exception() -> None:
    empty = pd.DataFrame()
    names = load_reference().csf_function_names()
    for fig in (
        charts.maturity_bar_chart(empty),
        charts.csf_radar_chart(empty, names),
        charts.chapter_heatmap(empty, {1: "x"}),
        charts.trend_chart(empty),
        charts.ratio_chart(empty, "part_budget_si_pct"),
        charts.amount_bar_chart(empty, "depense_par_lit_mad"),
        charts.capex_opex_chart(empty),
        charts.category_mix_chart(empty, category_labels={}),
        charts.maturity_vs_spend_chart(empty),
        charts.pooling_chart(empty),
    ):
        assert not fig.data
        assert fig.layout.annotations[0].text.startswith("Aucune")


def test_french_number_formats() -> None:
    assert charts.french_number(1234567.891) == f"1{NNBSP}234{NNBSP}567,89"
    assert charts.french_number(None) == "—"
    assert charts.french_number(float("nan"), 0) == "—"
