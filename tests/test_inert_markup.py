"""Values from files and uploads are shown as text everywhere (issue 7, item 5): a supplier
named ``<a href="http://evil/x">SOC</a>`` or a file named
``[clic](http://evil) ![](http://evil/p.png)`` never becomes a link, an image or a style —
in Plotly labels and hover texts (warehouse/charts.py, also used by the HTML report) and in
the dashboard's Markdown (AppTest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.formatting import markdown_text
from tests.browser_support import HOSTILE_FILENAME, HOSTILE_SUPPLIER, OWN, small_campaign
from tests.dashboard_support import exceptions, login_as, make_app, open_page
from warehouse import charts

SUPPLIER = HOSTILE_SUPPLIER
STYLED = '<span style="color:red">EDR</span> & co'


def _strings(value: Any) -> list[str]:
    """Every string of a figure's JSON (labels, names, hover texts, custom data, ticks)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_inert(fig: go.Figure) -> None:
    strings = _strings(json.loads(fig.to_json()))
    assert strings
    for text in strings:
        # Only the line breaks the builders add themselves are tags.
        cleaned = text.replace("<br>", "").replace("<extra></extra>", "")
        assert "<a" not in cleaned and "<span" not in cleaned and "<img" not in cleaned, text
    joined = "\n".join(strings)
    assert "&lt;a href=" in joined or "&lt;span style=" in joined


def test_plain_escapes_the_three_characters() -> None:
    assert charts.plain(SUPPLIER) == '&lt;a href="http://evil/x"&gt;SOC&lt;/a&gt;'
    assert charts.plain("A & B") == "A &amp; B"


def test_pooling_charts_show_hostile_names_as_text() -> None:
    pooling = pd.DataFrame(
        {
            "type": ["fournisseur", "solution"],
            "nom": [SUPPLIER, STYLED],
            "nb_chu": [3, 2],
            "chus": [f"{SUPPLIER}, CHU X", "CHU Y"],
            "total_mad": [1000.0, 500.0],
            "economie_estimee_mad": [150.0, 75.0],
            "montant_chu_mad": [100.0, 50.0],
        }
    )
    _assert_inert(charts.pooling_chart(pooling))
    _assert_inert(charts.own_pooling_chart(pooling))


@pytest.mark.parametrize(
    "build",
    [
        lambda df: charts.maturity_bar_chart(df, highlight=SUPPLIER),
        lambda df: charts.ratio_chart(df, "part_budget_si_pct", highlight=SUPPLIER),
        lambda df: charts.amount_bar_chart(df, "depense_par_lit_mad"),
        lambda df: charts.capex_opex_chart(df),
        lambda df: charts.maturity_vs_spend_chart(df, highlight=SUPPLIER),
        lambda df: charts.trend_chart(df),
        lambda df: charts.csf_radar_chart(
            df, {f: STYLED for f in ("GV", "ID", "PR", "DE", "RS", "RC")}
        ),
        lambda df: charts.chapter_heatmap(df, {1: STYLED}),
        lambda df: charts.category_mix_chart(
            df.assign(categorie="x", montant_mad=1.0), category_labels={"x": STYLED}
        ),
    ],
)
def test_every_builder_escapes_its_labels(build: Any) -> None:
    frame = pd.DataFrame(
        {
            "chu": [SUPPLIER, STYLED],
            "annee": [2024, 2025],
            "indice_maturite": [2.0, 3.0],
            "part_budget_si_pct": [5.0, 7.0],
            "depense_par_lit_mad": [1000.0, 2000.0],
            "part_capex_pct": [40.0, 50.0],
            **{f"score_{f}": [2.0, 3.0] for f in ("GV", "ID", "PR", "DE", "RS", "RC")},
            "score_chapitre_1": [2.0, 3.0],
        }
    )
    _assert_inert(build(frame))


def test_peer_position_chart_escapes_its_labels() -> None:
    row = pd.DataFrame(
        {
            "libelle": [SUPPLIER],
            "valeur_chu": [2.0],
            "mediane_autres": [2.5],
            "q1_autres": [2.0],
            "q3_autres": [3.0],
            "min_autres": [1.0],
            "max_autres": [4.0],
            "diffusion": ["publié"],
        }
    )
    _assert_inert(charts.peer_position_chart(row))


def test_markdown_text_shows_a_link_and_an_image_as_written() -> None:
    escaped = markdown_text("[clic](http://evil) ![](http://evil/p.png) <b>x</b> :red[y]")
    assert escaped == (
        r"\[clic\]\(http\:\/\/evil\) \!\[\]\(http\:\/\/evil\/p\.png\) \<b\>x\<\/b\> \:red\[y\]"
    )
    assert markdown_text("ligne 1\n# titre") == r"ligne 1 \# titre"


# --- on the pages ------------------------------------------------------------------------------


@pytest.fixture
def hostile_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    small_campaign(url, [OWN, "MAR", "RAB"])
    monkeypatch.setenv("CHU_BENCH_DATABASE_URL", url)
    return url


def _markdown_sources(at: Any) -> list[str]:
    kinds = ("markdown", "caption", "error", "success", "warning", "info")
    return [element.value for kind in kinds for element in at.get(kind)]


def test_a_hostile_file_name_is_text_on_the_campagne_page(hostile_warehouse: str) -> None:
    at = open_page(login_as(make_app(), "dsi-fes-test"), "campagne")
    assert not exceptions(at)
    [chooser] = [s for s in at.selectbox if s.label == "Fichier"]
    index = next(i for i, label in enumerate(chooser.options) if HOSTILE_FILENAME in label)
    chooser.select_index(index).run()
    assert not exceptions(at)
    sources = _markdown_sources(at)
    # The report's verdict names the file: escaped, so Markdown shows it as typed.
    assert any(markdown_text(HOSTILE_FILENAME) in text for text in sources)
    for text in sources:
        assert "](http" not in text and "![" not in text, text
    # The submissions table is a dataframe: the name is a cell, as typed.
    files = next(d.value for d in at.dataframe if "Fichier" in d.value.columns)
    assert HOSTILE_FILENAME in set(files["Fichier"])


def test_a_hostile_supplier_is_text_on_the_pooling_page(hostile_warehouse: str) -> None:
    for username in ("alliance-test", "dsi-fes-test"):
        at = open_page(login_as(make_app(), username), "mutualisation")
        assert not exceptions(at)
        specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        strings = [s for spec in specs for s in _strings(spec["data"])]
        assert any(charts.plain(HOSTILE_SUPPLIER) in s for s in strings), username
        for text in strings:
            assert "<a href" not in text and "<img" not in text, (username, text)
        for text in _markdown_sources(at):
            assert "http://evil" not in text, (username, text)
