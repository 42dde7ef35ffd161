"""AppTest of the analysis pages (Vue d'ensemble, Maturité, Investissements, Mutualisation,
Méthode) on the warehouse seeded from data/sample, logged in through the real login form.

The confidentiality check reads everything a page sends to the browser — texts, metrics,
widget options, table cells, Plotly figure JSON (unicode escapes decoded) — and every
CSV/XLSX download it offers, and looks for any peer's name, code, city or region.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import openpyxl
import pandas as pd
import pytest

from dashboard import downloads
from expectations.labels import KPI_LABELS
from expectations.reference import load_reference
from tests.dashboard_support import (  # noqa: F401 - fixtures
    click_every_download,
    collect_text,
    exceptions,
    login_as,
    make_app,
    open_page,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)

# Modules of dashboard.views (open_page takes the module name).
PAGES = ("vue_ensemble", "maturite", "investissements", "mutualisation", "methode")
PAGE_TITLES = {
    "vue_ensemble": "Vue d'ensemble",
    "maturite": "Maturité",
    "investissements": "Investissements",
    "mutualisation": "Mutualisation",
    "methode": "Méthode",
}
REFERENCE = load_reference()


@pytest.fixture
def recorded_downloads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every CSV/XLSX payload the pages build, as text (XLSX cells read back)."""
    payloads: list[str] = []
    to_csv, to_xlsx = downloads.to_csv_bytes, downloads.to_xlsx_bytes

    def csv_bytes(df: pd.DataFrame) -> bytes:
        content = to_csv(df)
        payloads.append(content.decode("utf-8-sig"))
        return content

    def xlsx_bytes(df: pd.DataFrame, sheet_name: str = "Données") -> bytes:
        content = to_xlsx(df, sheet_name)
        book = openpyxl.load_workbook(io.BytesIO(content))
        cells = [
            str(v)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v is not None
        ]
        payloads.append(" ".join([*book.sheetnames, *cells]))
        return content

    monkeypatch.setattr(downloads, "to_csv_bytes", csv_bytes)
    monkeypatch.setattr(downloads, "to_xlsx_bytes", xlsx_bytes)
    click_every_download(monkeypatch)  # the files are made on a click (deferred)
    return payloads


def _plotly_specs(at: Any) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def browser_text(at: Any) -> str:
    """What the browser receives, Plotly JSON decoded (``F\\u00e8s`` → ``Fès``)."""
    specs = [json.dumps(spec, ensure_ascii=False) for spec in _plotly_specs(at)]
    return "\n".join([collect_text(at), *specs])


def peer_identifiers(own: str) -> list[tuple[str, re.Pattern[str]]]:
    """Every way to name a peer: code (whole upper-case word), full name, city, region."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for code, establishment in REFERENCE.establishments.items():
        if code == own:
            continue
        patterns.append((code, re.compile(rf"(?<![\w]){code}(?![\w])")))
        for text in (establishment.nom, establishment.ville, establishment.region):
            if text:
                patterns.append((text, re.compile(re.escape(text), re.IGNORECASE)))
    return patterns


def assert_no_peer(text: str, own: str, where: str) -> None:
    leaks = sorted({name for name, pattern in peer_identifiers(own) if pattern.search(text)})
    assert not leaks, f"{where} : identifiants d'autres CHU visibles {leaks}"


def logged_in(username: str) -> Any:
    at = make_app()
    login_as(at, username)
    assert not exceptions(at)
    return at


# --- alliance --------------------------------------------------------------------------------


def test_overview_shows_the_six_chus_by_name(warehouse_url: str) -> None:
    at = open_page(logged_in("alliance-test"), "vue_ensemble")
    assert not exceptions(at)
    assert [t.value for t in at.title] == ["Vue d'ensemble"]
    text = browser_text(at)
    for establishment in REFERENCE.establishments.values():
        assert establishment.nom in text, establishment.nom
    # The latest campaign by default, one card per CHU with its maturity index.
    assert at.selectbox(key="vue_ensemble_annee").value == max(REFERENCE.campaign_years)
    indices = [m for m in at.metric if m.label == "Indice de maturité (0–5)"]
    assert len(indices) == 6
    assert all(re.fullmatch(r"\d,\d\d", m.value) for m in indices)
    # The bar chart: one bar per CHU, full names, the median line, French separators.
    (bars,) = _plotly_specs(at)
    assert sorted(bars["data"][0]["x"]) == sorted(e.nom for e in REFERENCE.establishments.values())
    assert bars["layout"]["separators"] == ", "
    assert bars["data"][1]["name"].startswith("Médiane de l'alliance : ")


def test_overview_missing_kpi_is_a_dash_never_zero(warehouse_url: str) -> None:
    # TNG's 2025 profile is broken on purpose in data/sample: its budget share is unknown.
    at = open_page(logged_in("alliance-test"), "vue_ensemble")
    shares = [m.value for m in at.metric if m.label == "Part du budget SI"]
    assert "—" in shares
    assert not any(v.startswith("0,0") for v in shares)


def test_overview_previous_year_and_changes(warehouse_url: str) -> None:
    at = open_page(logged_in("alliance-test"), "vue_ensemble")
    changes = next(m.value for m in at.markdown if "Fichiers reçus pour 2025" in m.value)
    # AGA's first campaign is 2025. MAR's 2024 maturity file is broken on purpose: MAR is
    # compared with 2023, not announced as a newcomer.
    first = next(line for line in changes.splitlines() if "Première campagne" in line)
    assert "CHU Mohammed VI d'Agadir" in first and "Marrakech" not in first
    incomplete = next(line for line in changes.splitlines() if "incomplet" in line)
    assert "CHU Mohammed VI de Tanger" in incomplete  # its 2025 profile was rejected
    assert "Plus fortes progressions" in changes

    at.selectbox(key="vue_ensemble_annee").select(2024).run()
    assert not exceptions(at)
    indices = [m for m in at.metric if m.label == "Indice de maturité (0–5)"]
    assert 1 <= len(indices) <= 5  # no AGA card before its first campaign
    assert "CHU Mohammed VI d'Agadir" not in browser_text(at)

    at.selectbox(key="vue_ensemble_annee").select(2023).run()
    assert any("première campagne consolidée" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["alliance-test", "admin-test", "dsi-tng-test"])
def test_every_page_renders_without_exception(
    warehouse_url: str,
    page: str,
    username: str,
    recorded_downloads: list[str],
) -> None:
    at = open_page(logged_in(username), page)
    assert not exceptions(at), exceptions(at)
    assert [t.value for t in at.title] == [PAGE_TITLES[page]]
    assert not at.error
    assert recorded_downloads, "chaque tableau doit être téléchargeable"
    assert len(at.download_button) % 2 == 0  # CSV + XLSX for every table


def test_maturity_page_charts(warehouse_url: str) -> None:
    at = open_page(logged_in("alliance-test"), "maturite")
    specs = _plotly_specs(at)
    kinds = [spec["data"][0]["type"] for spec in specs]
    assert kinds == ["scatterpolar", "heatmap", "scatter"]
    radar, heatmap, trend = specs
    assert radar["data"][-1]["name"] == "Médiane de l'alliance"
    assert "Gouverner (GV)" in radar["data"][0]["theta"]
    assert len(heatmap["data"][0]["y"]) == 6
    assert len(heatmap["data"][0]["x"]) == 14
    assert {t["name"] for t in trend["data"]} >= {"Médiane de l'alliance", "CHU Hassan II de Fès"}
    # Measure-level view: the 104 measures of the chosen CHU.
    tables = [d.value for d in at.dataframe]
    measures = next(t for t in tables if "Écart à la cible" in t.columns)
    assert len(measures) == 104
    at.toggle(key="maturite_mesures_sous_cible").set_value(True).run()
    measures = next(d.value for d in at.dataframe if "Écart à la cible" in d.value.columns)
    assert 0 < len(measures) < 104
    assert all(int(v) > 0 for v in measures["Écart à la cible"])


def test_investments_page_reference_lines(warehouse_url: str) -> None:
    at = open_page(logged_in("alliance-test"), "investissements")
    specs = _plotly_specs(at)
    assert len(specs) == 7
    budget = specs[0]
    lines = sorted(s["y0"] for s in budget["layout"]["shapes"] if s["type"] == "line")
    assert lines == [6.7, 9]
    bands = [(s["y0"], s["y1"]) for s in budget["layout"]["shapes"] if s["type"] == "rect"]
    assert bands == [(5, 10)]
    text = browser_text(at)
    for source in (
        "ENISA, NIS Investments 2024",
        "ENISA, NIS Investments 2022",
        "Cour des comptes",
    ):
        assert source in text
    staff = next(
        s for s in specs if any(sh.get("y0") == 11.1 for sh in s["layout"].get("shapes", []))
    )
    assert staff["layout"]["separators"] == ", "


def test_pooling_rate_slider_recomputes_savings(warehouse_url: str) -> None:
    from warehouse.engine import make_engine
    from warehouse.reads import read_pooling

    at = open_page(logged_in("alliance-test"), "mutualisation")
    assert at.slider(key="mutualisation_taux").value == 15
    annee = at.selectbox(key="mutualisation_annee").value
    pooling = read_pooling(make_engine(warehouse_url), annee)
    solutions = pooling[pooling["type"] == "solution"]
    assert len(solutions) > 0

    at.slider(key="mutualisation_taux").set_value(30).run()
    assert not exceptions(at)
    savings = [m for m in at.metric if m.label == "Économie estimée à 30 %"]
    assert savings, [m.label for m in at.metric]
    expected = downloads_format_mad(round(float(solutions["total_mad"].sum()) * 0.30, 2))
    assert savings[0].value == expected
    table = next(d.value for d in at.dataframe if "Économie estimée (MAD)" in d.value.columns)
    assert set(table["Taux d'économie (%)"]) == {"30"}


def downloads_format_mad(value: float) -> str:
    from dashboard.formatting import format_mad

    return format_mad(value)


# --- DSI: confidentiality -------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_dsi_of_fes_sees_no_peer_anywhere(
    warehouse_url: str,
    page: str,
    recorded_downloads: list[str],
) -> None:
    at = open_page(logged_in("dsi-fes-test"), page)
    assert not exceptions(at)
    texts = [browser_text(at)]
    # Every year and every choice a DSI can make on the page.
    years = [s for s in at.selectbox if s.key and s.key.endswith("_annee")]
    for selector in years:
        for option in list(selector.options):
            selector.set_value(int(option)).run()
            texts.append(browser_text(at))
    text = "\n".join(texts)
    assert_no_peer(text, "FES", f"page {page}")
    for payload in recorded_downloads:
        assert_no_peer(payload, "FES", f"téléchargement de la page {page}")
    if page != "methode":
        assert "CHU Hassan II de Fès" in text  # its own CHU by name
    # No peer under a letter either (the letters were re-identified across years).
    assert not re.search(r"CHU [A-H](?![\w'])", text), "un autre CHU apparaît sous une lettre"


def test_dsi_sees_its_figures_against_the_other_chus_statistics(warehouse_url: str) -> None:
    """With four or five other CHUs in each campaign of the sample, the FES DSI gets the
    median, quartiles and range of the others and its rank, but no table with a CHU per row."""
    from dashboard.scoped import SECRET

    at = open_page(logged_in("dsi-fes-test"), "vue_ensemble")
    spends = [m for m in at.metric if m.label == "Dépense SSI"]
    assert len(spends) == 1  # its own card only
    rank = next(m for m in at.metric if m.label == "Rang de maturité")
    assert re.fullmatch(r"\d+(ᵉʳ|ᵉ) sur 6", rank.value)
    table = next(d.value for d in at.dataframe if "Médiane des autres CHU" in d.value.columns)
    assert "CHU" not in table.columns
    index_row = table[table["Indicateur"] == KPI_LABELS["indice_maturite"]].iloc[0]
    assert index_row["Médiane des autres CHU"] not in ("—", SECRET)
    assert index_row["Autres CHU (nombre)"] == "5"

    at = open_page(at, "maturite")
    assert not exceptions(at)
    # No CHU selector on the measure-level view: its own CHU only.
    assert not [s for s in at.selectbox if s.key == "maturite_mesures_chu"]
    measures = next(d.value for d in at.dataframe if "Écart à la cible" in d.value.columns)
    assert len(measures) == 104
    assert "Niveau moyen de l'alliance" not in measures.columns
    assert "Médiane des autres CHU" in measures.columns
    # The trend shows its own line against the other CHUs' median and range only.
    names = {t.get("name") for spec in _plotly_specs(at) for t in spec["data"]}
    assert "CHU Hassan II de Fès" in names
    assert {"Médiane des autres CHU", "Autres CHU : minimum–maximum"} <= names
    assert "Médiane de l'alliance" not in names


def test_dsi_tables_hold_no_row_per_peer(warehouse_url: str) -> None:
    """Every table a DSI gets is either about its own CHU or one row per figure: a column
    « CHU » never lists another establishment (nor a letter)."""
    at = logged_in("dsi-fes-test")
    for page in ("vue_ensemble", "maturite", "investissements", "mutualisation", "campagne"):
        at = open_page(at, page)
        assert not exceptions(at), page
        for frame in (d.value for d in at.dataframe):
            for column in ("CHU", "chu", "CHU concernés"):
                if column in frame.columns:
                    assert set(frame[column].dropna()) <= {"CHU Hassan II de Fès"}, (page, column)


# --- empty warehouse -------------------------------------------------------------------------


def _render_page(module: str, role: str, chu: str | None) -> None:
    import importlib

    from dashboard.access import Viewer

    importlib.import_module(f"dashboard.views.{module}").render(Viewer("test", role, chu))


@pytest.mark.parametrize(
    "module", ["vue_ensemble", "maturite", "investissements", "mutualisation", "methode"]
)
def test_empty_warehouse_gives_a_friendly_message(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CHU_BENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'vide.sqlite'}")
    at = AppTest.from_function(
        _render_page, kwargs={"module": module, "role": "alliance", "chu": None}, default_timeout=60
    ).run()
    assert not exceptions(at)
    if module == "methode":
        freshness = next(m.value for m in at.markdown if "Dernier fichier reçu" in m.value)
        assert "Dernier fichier reçu : **—**" in freshness
        assert "Fichiers en vigueur : **0**" in freshness
    else:
        assert at.info, "un message doit expliquer qu'il n'y a pas encore de données"
        assert "Aucun" in at.info[0].value


def test_a_page_refuses_an_unknown_role(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CHU_BENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'vide.sqlite'}")
    at = AppTest.from_function(
        _render_page,
        kwargs={"module": "vue_ensemble", "role": "invite", "chu": None},
        default_timeout=60,
    ).run()
    assert at.error and "Accès refusé" in at.error[0].value
    assert not at.title


def test_every_benchmark_column_has_a_definition() -> None:
    """The method page explains every §5 column, from the same texts as the help tooltips."""
    from dashboard.labels import formula_for
    from dashboard.views.methode import formulas_table
    from warehouse.schema import BENCHMARK_COLUMNS

    for column in BENCHMARK_COLUMNS[2:]:
        assert formula_for(column), column
    table = formulas_table()
    assert "indice_maturite" in table["Colonne"].tolist()
    assert table["Définition"].map(bool).all()
