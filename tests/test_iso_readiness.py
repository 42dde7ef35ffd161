"""ISO 27001:2022 readiness (issue 9 definitions), against values computed by hand from
tests/iso_support.py."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.iso_support import MEASURES, answers
from warehouse.benchmark import compute_benchmark
from warehouse.iso import (
    ISO_COLUMNS,
    blocking_measures,
    compute_iso_readiness,
    load_iso_items,
    readiness_by_theme,
    readiness_percentages,
    uncovered_controls,
)


def is_null(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return compute_iso_readiness(answers(), MEASURES)


def item(table: pd.DataFrame, chu: str, annee: int, iso_id: str) -> pd.Series:
    match = table[(table["chu"] == chu) & (table["annee"] == annee) & (table["iso_id"] == iso_id)]
    assert len(match) == 1, (chu, annee, iso_id, len(match))
    return match.iloc[0]


def test_the_93_annex_a_controls_have_a_theme_and_a_french_title() -> None:
    items = load_iso_items()
    annex = [i for i in items if i.type == "annexe_a"]
    assert len(annex) == 93
    counts = pd.Series([i.theme for i in annex]).value_counts().to_dict()
    assert counts == {"organisationnelle": 37, "technologique": 34, "physique": 14, "humaine": 8}
    assert all(i.titre for i in items)


def test_every_annex_a_control_and_every_mapped_clause_per_chu_and_year(table) -> None:
    assert tuple(table.columns) == ISO_COLUMNS
    per_key = table.groupby(["chu", "annee"]).size()
    # 93 Annex A controls + the 3 clauses the referential maps (5.2, 6.1.2, 9.1).
    assert set(per_key) == {96}
    assert sorted(per_key.index) == [
        ("A", 2023),
        ("A", 2024),
        ("B", 2024),
        ("C", 2024),
        ("D", 2024),
        ("E", 2024),
    ]
    a = table[(table["chu"] == "A") & (table["annee"] == 2024)]
    assert a["iso_id"].tolist()[:2] == ["A.5.1", "A.5.2"]
    assert a["iso_id"].tolist()[-3:] == ["5.2", "6.1.2", "9.1"]
    assert set(a[a["type"] == "clause"]["theme"].map(is_null)) == {True}


def test_mapping_is_normalised_and_lists_the_measures(table) -> None:
    control = item(table, "A", 2024, "A.5.1")  # M1 "A.5.1", M2 "a.5.1"
    assert control["couvert"] and control["mesures"] == ["M1", "M2"]
    assert control["type"] == "annexe_a" and control["theme"] == "organisationnelle"
    assert item(table, "A", 2024, "A.8.8")["mesures"] == ["M2", "M3", "M7"]
    uncovered = item(table, "A", 2024, "A.5.2")
    assert not uncovered["couvert"] and uncovered["mesures"] == []
    assert is_null(uncovered["pret"]) and is_null(uncovered["niveau_moyen"])


@pytest.mark.parametrize(
    ("chu", "annee", "iso_id", "pret", "moyen"),
    [
        # A: M1=3 (M2 NA left out) -> prêt, 3.0
        ("A", 2024, "A.5.1", True, 3.0),
        # A: M2 NA, M3=2, M7=1 -> not prêt, mean 1.5
        ("A", 2024, "A.8.8", False, 1.5),
        ("A", 2024, "A.7.1", True, 5.0),
        ("A", 2024, "5.2", True, 3.0),
        # A: M4 is NA: no applicable measure -> null although couvert
        ("A", 2024, "6.1.2", None, None),
        ("A", 2024, "9.1", False, 1.0),
        ("B", 2024, "A.5.1", True, 3.5),
        ("B", 2024, "A.8.8", True, 4.0),
        ("B", 2024, "A.7.1", None, None),
        ("B", 2024, "6.1.2", False, 1.0),
        ("D", 2024, "A.8.8", False, 2.0),
        ("D", 2024, "A.7.1", False, 0.0),
        ("D", 2024, "6.1.2", True, 3.0),
        ("C", 2024, "A.5.1", None, None),
        # A 2023 answered M1 and M3 only: M2 and M7 missing are not applicable measures.
        ("A", 2023, "A.8.8", True, 4.0),
        ("A", 2023, "9.1", None, None),
    ],
)
def test_pret_and_niveau_moyen(table, chu, annee, iso_id, pret, moyen) -> None:
    row = item(table, chu, annee, iso_id)
    assert row["couvert"]
    if pret is None:
        assert is_null(row["pret"]) and is_null(row["niveau_moyen"])
    else:
        assert bool(row["pret"]) is pret and row["niveau_moyen"] == moyen


EXPECTED_PCT = {
    # (Annex A prêts / Annex A with a pret, clauses prêts / clauses with a pret)
    ("A", 2024): (66.67, 50.0),  # A.5.1, A.7.1 of 3; 5.2 of {5.2, 9.1}
    ("B", 2024): (100.0, 66.67),  # A.5.1, A.8.8 of 2; 5.2, 9.1 of 3
    ("C", 2024): (None, None),  # all NA
    ("D", 2024): (0.0, 33.33),  # none of 3; 6.1.2 of 3
    ("E", 2024): (None, None),  # its only applicable measure maps to nothing
    ("A", 2023): (100.0, 100.0),
}


def test_readiness_percentages() -> None:
    frame = readiness_percentages(answers(), MEASURES)
    got = {
        (r.chu, r.annee): (r.preparation_iso27001_pct, r.preparation_iso27001_clauses_pct)
        for r in frame.itertuples()
    }
    assert set(got) == set(EXPECTED_PCT)
    for key, (annex, clauses) in EXPECTED_PCT.items():
        for value, expected in zip(got[key], (annex, clauses), strict=True):
            assert (is_null(value) and expected is None) or value == expected, key


def test_benchmark_columns_carry_the_readiness() -> None:
    bench = compute_benchmark(answers(), None, None, MEASURES)
    for (chu, annee), (annex, clauses) in EXPECTED_PCT.items():
        row = bench[(bench["chu"] == chu) & (bench["annee"] == annee)].iloc[0]
        for column, expected in (
            ("preparation_iso27001_pct", annex),
            ("preparation_iso27001_clauses_pct", clauses),
        ):
            value = row[column]
            assert (is_null(value) and expected is None) or value == expected, (chu, column)


def test_a_referential_per_year_is_used_for_its_year() -> None:
    from expectations.reference import Measure

    year_2024 = [Measure("M1", 1, "t", 1, "x", "GV", ("a.5.1",))]
    year_2023 = [Measure("M1", 1, "t", 1, "x", "GV", ("A.8.8",))]
    frame = compute_iso_readiness(answers(), {2023: year_2023, 2024: year_2024})
    assert item(frame, "A", 2023, "A.8.8")["mesures"] == ["M1"]
    assert item(frame, "A", 2023, "A.5.1")["mesures"] == []
    assert bool(item(frame, "A", 2024, "A.5.1")["pret"]) is True


def test_readiness_by_theme_and_blocking_measures(table) -> None:
    themes = readiness_by_theme(table)
    d = themes[(themes["chu"] == "D") & (themes["annee"] == 2024)].set_index("theme")
    # D: A.5.1 (organisationnelle) not prêt; A.7.1 (physique) not; A.8.8 (technologique) not.
    assert d.loc["organisationnelle", "n_evalues"] == 1
    assert d.loc["physique", "preparation_pct"] == 0.0
    blocking = blocking_measures(answers(), MEASURES)
    d = blocking[(blocking["chu"] == "D") & (blocking["annee"] == 2024)]
    # D below 3: M1 (A.5.1, 5.2), M2 (A.5.1, A.8.8), M5 (nothing), M6 (A.7.1), M7 (A.8.8, 9.1)
    assert d["mesure_id"].tolist() == ["M2", "M1", "M7", "M6"]
    assert d["n_controles_bloques"].tolist() == [2, 1, 1, 1]
    assert d.iloc[0]["controles_bloques"] == ["A.5.1", "A.8.8"]


def test_controls_the_dnssi_does_not_cover() -> None:
    uncovered = uncovered_controls(MEASURES)
    assert len(uncovered) == 90  # 93 minus A.5.1, A.7.1, A.8.8
    assert "A.5.1" not in set(uncovered["iso_id"])


def test_the_real_referential_reaches_69_controls_and_8_clauses() -> None:
    from expectations.reference import load_reference
    from warehouse.iso import iso_mapping

    reference = load_reference()
    mapping = iso_mapping(reference.measures_for_year(2025))
    ids = set(mapping["iso_id"])
    assert len({i for i in ids if i.startswith("A.")}) == 69
    assert len({i for i in ids if not i.startswith("A.")}) == 8
    assert len(uncovered_controls(reference.measures_for_year(2025))) == 24
