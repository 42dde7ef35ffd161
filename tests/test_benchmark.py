"""The §5 benchmark, pooling and campaign status: pure pandas, checked against hand-computed values."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd
import pytest

from warehouse.benchmark import (
    INVALIDE,
    MANQUANT,
    OUTPUT_COLUMNS,
    RECU,
    VALIDE,
    compute_benchmark,
    compute_campaign_status,
    compute_overall_status,
    compute_pooling,
    measures_frame,
    overall_status,
    round_half_up,
)
from warehouse.schema import BENCHMARK_COLUMNS

NA = None

# Four measures: two in chapter 1 (GV, ID), two in chapter 2 (PR, PR).
MEASURES = pd.DataFrame(
    {
        "mesure_id": ["M1", "M2", "M3", "M4"],
        "chapitre": [1, 1, 2, 2],
        "fonction_csf": ["GV", "ID", "PR", "PR"],
    }
)


def answers_frame(rows: list[tuple[str, int, str, int | None, int | None, int]]) -> pd.DataFrame:
    """rows: (chu, annee, mesure_id, niveau, cible, submission_id); niveau None = NA."""
    frame = pd.DataFrame(
        rows, columns=["chu", "annee", "mesure_id", "niveau", "cible", "submission_id"]
    )
    frame["niveau"] = pd.array(frame["niveau"].tolist(), dtype="Int64")
    frame["cible"] = pd.array(frame["cible"].tolist(), dtype="Int64")
    return frame


def levels(chu: str, annee: int, niveaux: list, cibles: list | None = None, sid: int = 1) -> list:
    cibles = cibles or [None] * 4
    return [
        (chu, annee, f"M{i + 1}", n, c, sid)
        for i, (n, c) in enumerate(zip(niveaux, cibles, strict=True))
    ]


ANSWERS = answers_frame(
    levels("A", 2024, [4, 2, NA, 3], [5, NA, 4, 3], sid=10)
    + levels("B", 2024, [1, 2, 2, 2], sid=11)
    + levels("C", 2024, [NA, NA, NA, NA], sid=12)
    + levels("D", 2024, [3, 3, 3, 3], sid=13)
    + levels("A", 2023, [2, 2, 2, 3], sid=1)
    + levels("A", 2026, [5, 5, 5, 5], sid=30)
)
SPENDING = pd.DataFrame(
    {
        "chu": ["A", "A", "D", "A"],
        "annee": [2024, 2024, 2024, 2025],
        "line": [2, 3, 2, 2],
        "nature": ["capex", "opex", "opex", "opex"],
        "montant_mad": [100.0, 300.5, 1000.0, 50.0],
        "fournisseur": [None, None, None, None],
        "solution": [None, None, None, None],
        "submission_id": [20, 20, 21, 22],
    }
)
PROFILES = pd.DataFrame(
    {
        "chu": ["A", "B"],
        "annee": [2024, 2024],
        "lits": [10, 0],
        "effectif_total": [500.0, 100.0],
        "effectif_si": [20.0, 0.0],
        "effectif_ssi": [3.0, 1.0],
        "budget_total_mad": [80100.0, 1000.0],
        "budget_si_mad": [4005.0, 250.0],
        "submission_id": [40, 41],
    }
)


@pytest.fixture(scope="module")
def bench() -> pd.DataFrame:
    return compute_benchmark(ANSWERS, SPENDING, PROFILES, MEASURES)


def row(frame: pd.DataFrame, chu: str, annee: int) -> pd.Series:
    match = frame[(frame["chu"] == chu) & (frame["annee"] == annee)]
    assert len(match) == 1, f"{chu} {annee}: {len(match)} rows"
    return match.iloc[0]


def is_null(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def test_columns_and_one_row_per_chu_year(bench: pd.DataFrame) -> None:
    assert tuple(bench.columns) == OUTPUT_COLUMNS
    assert tuple(bench.columns[: len(BENCHMARK_COLUMNS)]) == BENCHMARK_COLUMNS
    keys = list(zip(bench["annee"], bench["chu"], strict=True))
    assert keys == [
        (2023, "A"),
        (2024, "A"),
        (2024, "B"),
        (2024, "C"),
        (2024, "D"),
        (2025, "A"),  # spending only: still a row
        (2026, "A"),
    ]


def test_maturity_figures_leave_not_applicable_out(bench: pd.DataFrame) -> None:
    a = row(bench, "A", 2024)
    assert a["indice_maturite"] == 3.0  # (4 + 2 + 3) / 3, M3 is NA
    assert a["part_mesures_niveau3_pct"] == 66.67  # 2 of 3 applicable measures
    assert a["ecart_cible"] == 0.5  # M1: 5-4, M4: 3-3 (M2 no target, M3 NA)
    assert a["score_GV"] == 4.0
    assert a["score_ID"] == 2.0
    assert a["score_PR"] == 3.0  # M4 only
    assert is_null(a["score_DE"]) and is_null(a["score_RS"]) and is_null(a["score_RC"])
    assert a["score_chapitre_1"] == 3.0  # (4 + 2) / 2
    assert a["score_chapitre_2"] == 3.0
    assert is_null(a["score_chapitre_3"])
    assert a["maturite_submission_id"] == 10

    b = row(bench, "B", 2024)
    assert b["indice_maturite"] == 1.75
    assert b["part_mesures_niveau3_pct"] == 0.0
    assert is_null(b["ecart_cible"])  # no target given


def test_all_not_applicable_gives_nulls_not_zeros(bench: pd.DataFrame) -> None:
    c = row(bench, "C", 2024)
    for column in ("indice_maturite", "part_mesures_niveau3_pct", "score_GV", "score_chapitre_1"):
        assert is_null(c[column]), column
    assert is_null(c["rang_maturite"])
    assert is_null(c["ecart_mediane_indice"])
    assert is_null(c["evolution_indice"])


def test_spending_and_profile_ratios(bench: pd.DataFrame) -> None:
    a = row(bench, "A", 2024)
    assert a["depense_ssi_mad"] == 400.5
    assert a["part_capex_pct"] == 24.97  # 100 / 400.5
    assert a["part_budget_si_pct"] == 10.0  # 400.5 / 4005
    assert a["part_si_budget_total_pct"] == 5.0  # 4005 / 80100
    assert a["depense_par_lit_mad"] == 40.05
    assert a["effectif_ssi_pour_100_si"] == 15.0
    assert a["depenses_submission_id"] == 20
    assert a["profil_submission_id"] == 40


def test_missing_inputs_and_zero_denominators_are_null(bench: pd.DataFrame) -> None:
    b = row(bench, "B", 2024)  # profile (0 beds, 0 SI staff), no spending file
    assert is_null(b["depense_ssi_mad"])
    assert is_null(b["part_capex_pct"])
    assert is_null(b["part_budget_si_pct"])
    assert is_null(b["depense_par_lit_mad"])
    assert is_null(b["effectif_ssi_pour_100_si"])  # effectif_si == 0
    assert b["part_si_budget_total_pct"] == 25.0
    assert is_null(b["depenses_submission_id"])

    d = row(bench, "D", 2024)  # spending, no profile
    assert d["depense_ssi_mad"] == 1000.0
    assert d["part_capex_pct"] == 0.0
    assert is_null(d["part_budget_si_pct"])
    assert is_null(d["part_si_budget_total_pct"])
    assert is_null(d["depense_par_lit_mad"])
    assert is_null(d["profil_submission_id"])

    a25 = row(bench, "A", 2025)  # spending only
    assert a25["depense_ssi_mad"] == 50.0
    assert is_null(a25["indice_maturite"])
    assert is_null(a25["rang_maturite"])


def test_rank_ties_share_the_best_rank_and_median(bench: pd.DataFrame) -> None:
    year = bench[bench["annee"] == 2024].set_index("chu")
    assert year.loc["A", "rang_maturite"] == 1
    assert year.loc["D", "rang_maturite"] == 1  # tie with A at 3.0
    assert year.loc["B", "rang_maturite"] == 3
    # median of {3.0, 1.75, 3.0} = 3.0 (C has no index and is left out)
    assert year.loc["A", "ecart_mediane_indice"] == 0.0
    assert year.loc["B", "ecart_mediane_indice"] == -1.25
    assert str(bench["rang_maturite"].dtype) == "Int64"


def test_evolution_uses_the_latest_earlier_campaign(bench: pd.DataFrame) -> None:
    assert is_null(row(bench, "A", 2023)["evolution_indice"])  # first campaign
    assert row(bench, "A", 2024)["evolution_indice"] == 0.75  # 3.0 - 2.25
    # 2025 has no maturity file: 2026 compares with 2024.
    assert row(bench, "A", 2026)["evolution_indice"] == 2.0
    assert is_null(row(bench, "B", 2024)["evolution_indice"])


def test_rounding_to_two_decimals_and_rank_on_rounded_index() -> None:
    answers = answers_frame(levels("X", 2024, [1, 1, 0, NA]) + levels("Y", 2024, [2, 0, 0, 0]))
    bench = compute_benchmark(answers, None, None, MEASURES)
    x, y = row(bench, "X", 2024), row(bench, "Y", 2024)
    assert x["indice_maturite"] == 0.67  # 2 / 3
    assert y["indice_maturite"] == 0.5
    assert x["rang_maturite"] == 1 and y["rang_maturite"] == 2
    # 0.67 - median(0.67, 0.5) = 0.67 - 0.585 = 0.085: half up, despite float noise
    assert x["ecart_mediane_indice"] == 0.09
    assert y["ecart_mediane_indice"] == -0.09
    assert is_null(x["depense_ssi_mad"])


def test_round_half_up() -> None:
    assert round_half_up(0.125) == 0.13
    assert round_half_up(2.675) == 2.68  # 2.67499999... in binary
    assert round_half_up(-0.085) == -0.09
    assert round_half_up(1 / 3) == 0.33
    assert math.isnan(round_half_up(float("nan")))


def test_measures_per_year_and_from_measure_objects() -> None:
    from expectations.reference import Measure

    objects = [
        Measure("M1", 1, "t", 1, "x", "gv"),
        Measure("M2", 3, "t", 1, "x", "DE"),
    ]
    frame = measures_frame(objects)
    assert list(frame.columns) == ["mesure_id", "chapitre", "fonction_csf", "titre", "iso27001"]
    assert frame["fonction_csf"].tolist() == ["GV", "DE"]
    assert frame["iso27001"].tolist() == [(), ()]
    per_year = measures_frame({2024: objects})
    answers = answers_frame([("A", 2024, "M1", 2, None, 1), ("A", 2024, "M2", 4, None, 1)])
    bench = compute_benchmark(answers, None, None, per_year)
    a = row(bench, "A", 2024)
    assert a["score_GV"] == 2.0 and a["score_DE"] == 4.0 and a["score_chapitre_3"] == 4.0


def test_current_submissions_without_rows_still_give_a_row() -> None:
    subs = pd.DataFrame({"id": [7], "chu": ["A"], "annee": [2024], "kind": ["depenses"]})
    bench = compute_benchmark(None, None, None, MEASURES, submissions=subs)
    a = row(bench, "A", 2024)
    assert a["depense_ssi_mad"] == 0.0  # a valid file declaring no spending line
    assert is_null(a["part_capex_pct"])
    assert a["depenses_submission_id"] == 7
    assert is_null(a["indice_maturite"])


def test_empty_inputs_give_an_empty_table_with_the_columns() -> None:
    bench = compute_benchmark(None, None, None, MEASURES)
    assert bench.empty
    assert tuple(bench.columns) == OUTPUT_COLUMNS


# --------------------------------------------------------------------------- pooling


def test_pooling_matches_names_case_and_space_insensitively() -> None:
    spending = pd.DataFrame(
        {
            "chu": ["A", "B", "A", "C", "A", "B"],
            "annee": [2024, 2024, 2024, 2024, 2025, 2024],
            "montant_mad": [100.0, 200.0, 50.0, 80.0, 70.0, 10.0],
            "fournisseur": [" Fortinet ", "fortinet", "FORTINET", "Cisco", "Fortinet", None],
            "solution": ["FortiGate 100F", "Fortigate   100F", None, None, "FortiGate 100F", ""],
            "submission_id": [1, 2, 1, 3, 4, 2],
        }
    )
    pooling = compute_pooling(spending, rate=0.1)
    assert list(pooling.columns) == [
        "annee",
        "type",
        "nom",
        "nb_chu",
        "chus",
        "total_mad",
        "taux_economie",
        "economie_estimee_mad",
        "submission_ids",
    ]
    records = pooling.to_dict(orient="records")
    assert records == [
        {
            "annee": 2024,
            "type": "fournisseur",
            "nom": "FORTINET",  # three spellings once each: alphabetically first
            "nb_chu": 2,
            "chus": "A,B",
            "total_mad": 350.0,
            "taux_economie": 0.1,
            "economie_estimee_mad": 35.0,
            "submission_ids": "1,2",
        },
        {
            "annee": 2024,
            "type": "solution",
            "nom": "FortiGate 100F",
            "nb_chu": 2,
            "chus": "A,B",
            "total_mad": 300.0,
            "taux_economie": 0.1,
            "economie_estimee_mad": 30.0,
            "submission_ids": "1,2",
        },
    ]  # Cisco (one CHU) and 2025 (one CHU) are no opportunity


def test_pooling_default_rate_and_empty_input() -> None:
    spending = pd.DataFrame(
        {
            "chu": ["A", "B", "C"],
            "annee": [2024, 2024, 2024],
            "montant_mad": [1000.0, 1000.0, 1000.0],
            "fournisseur": ["Oracle", "oracle", "ORACLE"],
            "solution": [None, None, None],
        }
    )
    pooling = compute_pooling(spending)
    assert len(pooling) == 1
    assert pooling.loc[0, "nb_chu"] == 3
    assert pooling.loc[0, "economie_estimee_mad"] == 450.0
    assert pooling.loc[0, "taux_economie"] == 0.15
    assert compute_pooling(None).empty
    with pytest.raises(ValueError):
        compute_pooling(spending, rate=1.5)


# --------------------------------------------------------------------------- status


def at(day: int) -> datetime:
    return datetime(2025, 3, day, tzinfo=UTC)


SUBMISSIONS = pd.DataFrame(
    [
        (1, "FES", 2023, "maturite", "superseded", at(1)),
        (2, "FES", 2023, "maturite", "current", at(2)),
        (3, "FES", 2023, "depenses", "rejected", at(3)),
        (4, "MAR", 2024, "profil", "rejected", at(4)),
        (5, "MAR", 2024, "profil", "rejected", at(5)),
        (6, "AGA", 2024, "maturite", "current", at(6)),
        (7, None, None, None, "rejected", at(7)),  # unreadable file: not attributable
    ],
    columns=["id", "chu", "annee", "kind", "status", "received_at"],
)


@pytest.fixture(scope="module")
def status() -> pd.DataFrame:
    return compute_campaign_status(
        SUBMISSIONS, ["FES", "MAR", "AGA"], [2023, 2024], first_campaign={"AGA": 2024}
    )


def status_of(frame: pd.DataFrame, chu: str, annee: int, kind: str) -> pd.Series:
    match = frame[(frame["chu"] == chu) & (frame["annee"] == annee) & (frame["kind"] == kind)]
    assert len(match) == 1
    return match.iloc[0]


def test_campaign_status_per_kind(status: pd.DataFrame) -> None:
    # 2023: FES and MAR (AGA opened in 2024), 2024: all three; three kinds each.
    assert len(status) == 2 * 3 + 3 * 3
    assert status[(status["chu"] == "AGA") & (status["annee"] == 2023)].empty

    fes = status_of(status, "FES", 2023, "maturite")
    assert fes["status"] == VALIDE
    assert fes["n_submissions"] == 2
    assert fes["current_submission_id"] == 2
    assert fes["last_received_at"] == pd.Timestamp(at(2))

    dep = status_of(status, "FES", 2023, "depenses")
    assert dep["status"] == INVALIDE and dep["n_submissions"] == 1
    assert is_null(dep["current_submission_id"])

    assert status_of(status, "FES", 2023, "profil")["status"] == MANQUANT
    assert status_of(status, "FES", 2023, "profil")["n_submissions"] == 0
    assert status_of(status, "MAR", 2024, "profil")["status"] == INVALIDE
    assert status_of(status, "MAR", 2024, "profil")["n_submissions"] == 2
    assert status_of(status, "AGA", 2024, "maturite")["status"] == VALIDE


def test_a_file_before_the_first_campaign_is_still_shown() -> None:
    subs = pd.DataFrame(
        [(1, "AGA", 2023, "maturite", "current", at(1))],
        columns=["id", "chu", "annee", "kind", "status", "received_at"],
    )
    frame = compute_campaign_status(subs, ["AGA"], [2023], {"AGA": 2025})
    assert frame["kind"].tolist() == ["maturite"]
    assert frame["status"].tolist() == [VALIDE]


def test_overall_status_rule() -> None:
    assert overall_status([VALIDE, VALIDE, VALIDE]) == VALIDE
    assert overall_status([VALIDE, INVALIDE, MANQUANT]) == INVALIDE
    assert overall_status([MANQUANT, INVALIDE, MANQUANT]) == INVALIDE
    assert overall_status([VALIDE, MANQUANT, MANQUANT]) == RECU
    assert overall_status([VALIDE, VALIDE]) == RECU  # the third kind is missing
    assert overall_status([MANQUANT, MANQUANT, MANQUANT]) == MANQUANT
    assert overall_status([]) == MANQUANT


def test_overall_status_per_chu_and_year(status: pd.DataFrame) -> None:
    overall = compute_overall_status(status).set_index(["chu", "annee"])["status"].to_dict()
    assert overall == {
        ("FES", 2023): INVALIDE,
        ("MAR", 2023): MANQUANT,
        ("AGA", 2024): RECU,
        ("FES", 2024): MANQUANT,
        ("MAR", 2024): INVALIDE,
    }
    subs = pd.DataFrame(
        [
            (i, "FES", 2024, k, "current", at(1))
            for i, k in enumerate(["maturite", "depenses", "profil"])
        ],
        columns=["id", "chu", "annee", "kind", "status", "received_at"],
    )
    full = compute_overall_status(compute_campaign_status(subs, ["FES"], [2024]))
    assert full["status"].tolist() == [VALIDE]
    assert full["n_valide"].tolist() == [3]


def test_a_file_sent_by_another_chu_does_not_count_for_the_chu_it_names() -> None:
    # FES uploaded Tanger's file: it was refused; Tanger still has sent nothing.
    subs = pd.DataFrame(
        [
            (1, "TNG", 2025, "profil", "rejected", at(1), "FES"),
            (2, "TNG", 2025, "maturite", "current", at(2), "TNG"),
        ],
        columns=["id", "chu", "annee", "kind", "status", "received_at", "sender_chu"],
    )
    frame = compute_campaign_status(subs, ["TNG"], [2025])
    assert status_of(frame, "TNG", 2025, "profil")["status"] == MANQUANT
    assert status_of(frame, "TNG", 2025, "profil")["n_submissions"] == 0
    assert status_of(frame, "TNG", 2025, "maturite")["status"] == VALIDE
