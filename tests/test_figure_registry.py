"""One home for each figure: the benchmark's columns, labels, definitions and formats all
come from warehouse/figures.py. Adding a figure is a registry entry (and this test's list)."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.figures import (
    BENCHMARK_COLUMNS,
    DISPLAY_FORMATS,
    FIGURES,
    FIGURES_BY_NAME,
    GROUPS,
    definitions,
    definitions_table,
    format_figure,
    kpi_labels,
)

# The benchmark's figures, in order: the contract of `chu-bench export`.
EXPECTED = (
    "indice_maturite",
    "part_mesures_niveau3_pct",
    "ecart_cible",
    *(f"score_{f}" for f in ("GV", "ID", "PR", "DE", "RS", "RC")),
    *(f"score_chapitre_{c}" for c in range(1, 15)),
    "depense_ssi_mad",
    "part_capex_pct",
    "part_budget_si_pct",
    "part_si_budget_total_pct",
    "depense_par_lit_mad",
    "effectif_ssi_pour_100_si",
    "rang_maturite",
    "ecart_mediane_indice",
    "evolution_indice",
    "preparation_iso27001_pct",
    "preparation_iso27001_clauses_pct",
)


def test_every_figure_is_fully_described() -> None:
    assert tuple(f.name for f in FIGURES) == EXPECTED
    for spec in FIGURES:
        assert spec.label and spec.unit and spec.definition and spec.computation, spec.name
        assert 0 <= spec.decimals <= 2, spec.name
        assert spec.display in DISPLAY_FORMATS, spec.name
        assert spec.group is None or spec.group in GROUPS, spec.name
    assert len({f.label for f in FIGURES}) == len(FIGURES)  # no two figures look alike


def test_the_warehouse_table_and_the_export_derive_from_the_registry() -> None:
    from warehouse import schema
    from warehouse.benchmark import OUTPUT_COLUMNS, compute_benchmark

    assert schema.BENCHMARK_COLUMNS == BENCHMARK_COLUMNS == ("chu", "annee", *EXPECTED)
    for spec in FIGURES:
        column = schema.benchmark.c[spec.name]
        assert isinstance(column.type, sa.Integer if spec.is_integer else sa.Float), spec.name
    assert OUTPUT_COLUMNS[: len(BENCHMARK_COLUMNS)] == BENCHMARK_COLUMNS
    empty = compute_benchmark(None, None, None, [])
    assert tuple(empty.columns[: len(BENCHMARK_COLUMNS)]) == BENCHMARK_COLUMNS


def test_labels_and_definitions_derive_from_the_registry() -> None:
    from dashboard.labels import FORMULAS, formula_for
    from expectations.labels import KPI_LABELS

    assert kpi_labels() == KPI_LABELS
    assert definitions() == FORMULAS
    for spec in FIGURES:
        assert KPI_LABELS[spec.name] == spec.label
        assert formula_for(spec.name) == spec.definition
    rows = definitions_table()
    listed = {r["Colonne"] for r in rows}
    assert {f.name for f in FIGURES if f.group is None} <= listed
    assert {"score_<GV|ID|PR|DE|RS|RC>", "score_chapitre_<1..14>", "economie_estimee_mad"} <= listed


def test_figures_are_formatted_with_their_unit_and_decimals() -> None:
    assert format_figure("depense_ssi_mad", 1234567.4) == "1\u202f234\u202f567\u00a0MAD"
    assert format_figure("preparation_iso27001_pct", 66.666) == "66,7\u00a0%"
    assert format_figure("indice_maturite", 2.5) == "2,50"
    assert format_figure("rang_maturite", 3) == "3"
    assert format_figure("evolution_indice", None) == "—"
    assert FIGURES_BY_NAME["preparation_iso27001_pct"].unit == "%"


def test_ratio_figures_are_computed_from_their_registry_entry() -> None:
    """A ratio figure needs nothing but its entry: each one equals numerator / denominator ×
    factor of its inputs (null on a zero or missing denominator), rounded to 2 decimals."""
    import pandas as pd

    from warehouse.benchmark import RATIO_INPUTS, compute_benchmark, round_half_up

    spending = pd.DataFrame(
        {
            "chu": ["A", "A", "B"],
            "annee": [2024, 2024, 2024],
            "nature": ["capex", "opex", "opex"],
            "montant_mad": [1000.0, 2333.0, 50.0],
        }
    )
    profile = {
        "lits": 7,
        "effectif_total": 900.0,
        "effectif_si": 30.0,
        "effectif_ssi": 2.0,
        "budget_total_mad": 123456.0,
        "budget_si_mad": 9876.0,
        "stade_numerique": 3,
        "incidents_declares": 4,
    }
    profiles = pd.DataFrame(
        [
            {"chu": "A", "annee": 2024, **profile},
            {
                "chu": "B",
                "annee": 2024,
                **profile,
                "lits": 0,
                "effectif_si": 0.0,
                "budget_si_mad": 0.0,
            },
        ]
    )
    bench = compute_benchmark(None, spending, profiles, []).set_index("chu")
    inputs = {
        "A": {"depense_ssi_mad": 3333.0, "capex_mad": 1000.0, **profile},
        "B": {
            "depense_ssi_mad": 50.0,
            "capex_mad": 0.0,
            **profile,
            "lits": 0,
            "effectif_si": 0.0,
            "budget_si_mad": 0.0,
        },
    }
    ratios = [f for f in FIGURES if f.ratio is not None]
    assert len(ratios) == 5
    for spec in ratios:
        assert {spec.ratio.numerator, spec.ratio.denominator} <= set(RATIO_INPUTS), spec.name
        for chu, values in inputs.items():
            denominator = values[spec.ratio.denominator]
            expected = (
                None
                if denominator == 0
                else round_half_up(values[spec.ratio.numerator] / denominator * spec.ratio.factor)
            )
            got = bench.loc[chu, spec.name]
            assert (expected is None and pd.isna(got)) or got == expected, (spec.name, chu)
