"""SQL-side aggregation queries of the analysis pages (warehouse/queries.py), against a
warehouse filled through the real store_submission + rebuild_benchmark (SQLite, and
PostgreSQL when CHU_BENCH_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from expectations.reference import load_reference
from expectations.report import Finding, ValidationReport
from expectations.validate import ValidationResult
from warehouse import queries
from warehouse.engine import dispose_engines, make_engine
from warehouse.refresh import rebuild_benchmark
from warehouse.submissions import store_submission

REFERENCE = load_reference()
MEASURES = REFERENCE.measures_for_year(2024)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _maturity(chu: str, annee: int, levels: list[int | None], targets: list[int | None]):
    records = pd.DataFrame(
        {
            "chu": chu,
            "annee": annee,
            "line": range(2, 2 + len(levels)),
            "mesure_id": [m.mesure_id for m in MEASURES[: len(levels)]],
            "niveau": pd.array(levels, dtype="Int64"),
            "cible": pd.array(targets, dtype="Int64"),
            "commentaire": [f"commentaire {i}" for i in range(len(levels))],
        }
    )
    report = ValidationReport("m.csv", "maturite", chu, annee, len(records))
    return ValidationResult(report=report, records=records)


def _spending(chu: str, annee: int, lines: list[tuple[str, str, float]]):
    """lines: (categorie, nature, montant)."""
    records = pd.DataFrame(
        {
            "chu": chu,
            "annee": annee,
            "line": range(2, 2 + len(lines)),
            "categorie": [c for c, _, _ in lines],
            "nature": [n for _, n, _ in lines],
            "montant_mad": [m for _, _, m in lines],
            "libelle": "ligne",
            "fonction_csf": None,
            "fournisseur": None,
            "solution": None,
        }
    )
    report = ValidationReport("d.csv", "depenses", chu, annee, len(records))
    return ValidationResult(report=report, records=records)


def _rejected(chu: str, annee: int, kind: str):
    report = ValidationReport("faux.csv", kind, chu, annee, 1)
    report.errors.append(Finding(2, "niveau", "9", "niveau_entre_0_et_5", "Ligne 2 : faux."))
    return ValidationResult(report=report, records=None)


def _store(engine: Engine, content: bytes, result: ValidationResult, minutes: int = 0) -> None:
    store_submission(
        engine,
        content=content,
        filename=result.report.file,
        result=result,
        sender="test",
        channel="cli",
        sender_chu=result.report.chu,
        received_at=T0 + timedelta(minutes=minutes),
    )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    dispose_engines()


@pytest.fixture
def filled(engine: Engine) -> Engine:
    # FES 2024: a first spending file, then a corrected one (the first must not count).
    _store(engine, b"fes-dep-v1", _spending("FES", 2024, [("logiciels", "capex", 999.0)]), 0)
    _store(
        engine,
        b"fes-dep-v2",
        _spending(
            "FES",
            2024,
            [
                ("logiciels", "capex", 100.0),
                ("logiciels", "capex", 50.5),
                ("formation", "opex", 20.0),
            ],
        ),
        5,
    )
    _store(engine, b"mar-dep", _spending("MAR", 2024, [("logiciels", "opex", 30.0)]), 6)
    _store(engine, b"fes-dep-2023", _spending("FES", 2023, [("autre", "opex", 7.0)]), 1)
    _store(engine, b"fes-mat", _maturity("FES", 2024, [2, None, 4], [3, 3, None]), 2)
    _store(engine, b"mar-mat", _maturity("MAR", 2024, [3, 1, 5], [3, 2, 5]), 3)
    _store(engine, b"mar-mat-faux", _rejected("MAR", 2024, "maturite"), 9)
    rebuild_benchmark(engine, REFERENCE)
    return engine


def test_spending_by_category_sums_current_files_only(filled: Engine) -> None:
    frame = queries.spending_by_category(filled, 2024)
    assert list(frame.columns) == queries.SPENDING_BY_CATEGORY_COLUMNS
    rows = {
        (r.chu, r.categorie, r.nature): (r.montant_mad, r.nb_lignes) for r in frame.itertuples()
    }
    assert rows == {
        ("FES", "formation", "opex"): (20.0, 1),
        ("FES", "logiciels", "capex"): (150.5, 2),  # not 999: that file was superseded
        ("MAR", "logiciels", "opex"): (30.0, 1),
    }
    assert frame["montant_mad"].dtype == "float64"
    every_year = queries.spending_by_category(filled)
    assert sorted(every_year["annee"].unique().tolist()) == [2023, 2024]


def test_purchase_lines_of_current_files_naming_a_supplier_or_solution(engine: Engine) -> None:
    first = _spending("FES", 2024, [("logiciels", "capex", 10.0)])
    first.records["solution"] = "Ancien EDR"
    _store(engine, b"fes-v1", first, 0)
    second = _spending("FES", 2024, [("logiciels", "capex", 100.0), ("formation", "opex", 0.0)])
    second.records["fournisseur"] = ["Atlas", None]
    second.records["solution"] = ["EDR", "Guess"]
    _store(engine, b"fes-v2", second, 5)
    _store(engine, b"mar", _spending("MAR", 2024, [("logiciels", "opex", 30.0)]), 6)
    frame = queries.purchase_lines(engine, 2024)
    assert list(frame.columns) == queries.PURCHASE_LINE_COLUMNS
    # The superseded file's line is gone; MAR's line names nothing; the 0 MAD line stays
    # (the scoped layer, not the query, decides what a DSI may count).
    assert frame[["chu", "fournisseur", "solution", "montant_mad"]].values.tolist() == [
        ["FES", "Atlas", "EDR", 100.0],
        ["FES", None, "Guess", 0.0],
    ]


def test_measure_levels_with_gap_to_target(filled: Engine) -> None:
    frame = queries.measure_levels(filled, 2024, "FES")
    assert list(frame.columns) == queries.MEASURE_LEVEL_COLUMNS
    assert frame["mesure_id"].tolist() == [m.mesure_id for m in MEASURES[:3]]
    assert frame["niveau"].tolist()[0] == 2
    assert frame["niveau"].isna().tolist() == [False, True, False]  # NA stays null, not 0
    # cible − niveau, only where both exist
    assert frame["ecart_cible"].tolist()[0] == 1
    assert frame["ecart_cible"].isna().tolist() == [False, True, True]
    assert frame["commentaire"].tolist()[0] == "commentaire 0"
    both = queries.measure_levels(filled, 2024)
    assert sorted(both["chu"].unique()) == ["FES", "MAR"]


def test_measure_statistics_aggregate_the_alliance(filled: Engine) -> None:
    frame = queries.measure_statistics(filled, 2024)
    assert list(frame.columns) == queries.MEASURE_STATISTICS_COLUMNS
    first, second, third = (frame.set_index("mesure_id").loc[m.mesure_id] for m in MEASURES[:3])
    assert first["nb_chu"] == 2 and first["nb_evalues"] == 2
    assert first["niveau_moyen"] == pytest.approx(2.5)
    assert (first["niveau_min"], first["niveau_max"], first["nb_niveau3"]) == (2, 3, 1)
    assert second["nb_evalues"] == 1 and second["nb_non_applicable"] == 1
    assert second["niveau_moyen"] == pytest.approx(1.0)  # NA left out of the mean
    assert third["nb_niveau3"] == 2
    assert "chu" not in frame.columns


def test_received_files_counts_valid_and_rejected(filled: Engine) -> None:
    frame = queries.received_files(filled, 2024)
    assert list(frame.columns) == queries.RECEIVED_FILES_COLUMNS
    rows = {(r.chu, r.kind): (r.nb_valides, r.nb_rejetes) for r in frame.itertuples()}
    assert rows == {
        ("FES", "depenses"): (2, 0),
        ("FES", "maturite"): (1, 0),
        ("MAR", "depenses"): (1, 0),
        ("MAR", "maturite"): (1, 1),
    }
    last = frame.set_index(["chu", "kind"]).loc[("MAR", "maturite"), "dernier_envoi"]
    assert last == pd.Timestamp(T0 + timedelta(minutes=9))
    assert "filename" not in frame.columns and "sender" not in frame.columns


def test_years_and_freshness(filled: Engine) -> None:
    assert queries.available_years(filled) == [2023, 2024]
    freshness = queries.data_freshness(filled)
    assert freshness["dernier_fichier_recu"] == T0 + timedelta(minutes=9)
    assert freshness["nb_fichiers_en_vigueur"] == 5
    assert freshness["dernier_calcul"] is not None
    assert freshness["dernier_calcul"].tzinfo is not None


def test_empty_warehouse_gives_empty_frames_with_columns(engine: Engine) -> None:
    assert queries.available_years(engine) == []
    assert queries.spending_by_category(engine).columns.tolist() == (
        queries.SPENDING_BY_CATEGORY_COLUMNS
    )
    assert queries.measure_levels(engine, 2025).empty
    assert queries.measure_statistics(engine, 2025).empty
    assert queries.received_files(engine).empty
    assert queries.data_freshness(engine) == {
        "dernier_fichier_recu": None,
        "dernier_calcul": None,
        "nb_fichiers_en_vigueur": 0,
    }
