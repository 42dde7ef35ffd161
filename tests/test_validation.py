"""Every rule of DESIGN §3.2: one file breaking it, with verdict, row and column asserted."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from expectations import gx_runner
from expectations.contract import CATEGORIES, CSF_FUNCTIONS, ISO27001_STATES
from expectations.report import ValidationReport
from tests.test_validation_builders import (
    ANNEE,
    depenses_rows,
    errors_of,
    maturite_rows,
    profil_rows,
    validate,
)

NEXT_YEAR = dt.date.today().year + 1


# --------------------------------------------------------------------------- baselines


def test_valid_maturite_records_are_canonical_and_typed() -> None:
    rows = maturite_rows()
    rows[0]["niveau"] = "na"
    rows[1]["cible"] = ""
    rows[2]["commentaire"] = "Revue annuelle"
    rows[3]["chu"] = " fes "
    rows[4]["mesure_id"] = rows[4]["mesure_id"].lower()
    result = validate("maturite", rows)
    assert result.report.valid, result.report.errors
    report = result.report
    assert (report.kind, report.chu, report.annee, report.rows) == ("maturite", "FES", ANNEE, 104)
    records = result.records
    assert list(records.columns) == [
        "chu",
        "annee",
        "line",
        "mesure_id",
        "niveau",
        "cible",
        "commentaire",
    ]
    assert len(records) == 104
    assert records["line"].tolist() == list(range(2, 106))
    assert str(records["niveau"].dtype) == "Int64" and str(records["cible"].dtype) == "Int64"
    assert records.loc[0, "niveau"] is pd.NA
    assert records.loc[1, "cible"] is pd.NA
    assert records.loc[2, "commentaire"] == "Revue annuelle"
    assert records.loc[0, "commentaire"] is None
    assert set(records["chu"]) == {"FES"}
    assert records.loc[4, "mesure_id"] == maturite_rows()[4]["mesure_id"]


def test_valid_depenses_records() -> None:
    rows = depenses_rows()
    rows[0]["nature"] = "Fonctionnement"
    rows[1]["nature"] = "INVESTISSEMENT"
    rows[0]["categorie"] = " Logiciels "
    rows[0]["fonction_csf"] = "de"
    result = validate("depenses", rows)
    assert result.report.valid, result.report.errors
    records = result.records
    assert list(records.columns) == [
        "chu",
        "annee",
        "line",
        "categorie",
        "nature",
        "montant_mad",
        "libelle",
        "fonction_csf",
        "fournisseur",
        "solution",
    ]
    assert records["nature"].tolist() == ["opex", "capex", "opex"]
    assert records["categorie"].tolist() == ["logiciels", "materiel", "formation"]
    assert records["montant_mad"].tolist() == pytest.approx([1234567.89, 250000.0, 48000.5])
    assert records.loc[0, "fonction_csf"] == "DE"
    assert records.loc[2, "fonction_csf"] is None
    assert records.loc[1, "solution"] is None


def test_valid_profil_records() -> None:
    rows = profil_rows()
    rows[0]["iso27001"] = "En cours"
    rows[0]["stade_numerique"] = ""
    result = validate("profil", rows)
    assert result.report.valid, result.report.errors
    row = result.records.iloc[0]
    assert list(result.records.columns) == [
        "chu",
        "annee",
        "line",
        "lits",
        "effectif_total",
        "effectif_si",
        "effectif_ssi",
        "budget_total_mad",
        "budget_si_mad",
        "iso27001",
        "stade_numerique",
        "incidents_declares",
    ]
    assert (row["lits"], row["effectif_ssi"], row["budget_total_mad"]) == (900, 3.5, 1.5e9)
    assert row["iso27001"] == "en_cours"
    assert row["stade_numerique"] is pd.NA
    assert row["incidents_declares"] == 2


# --------------------------------------------------------------------------- chu and annee


@pytest.mark.parametrize("kind", ["maturite", "depenses", "profil"])
def test_unknown_chu(kind: str) -> None:
    rows = {"maturite": maturite_rows, "depenses": depenses_rows, "profil": profil_rows}[kind]()
    for row in rows:
        row["chu"] = "XYZ"
    result = validate(kind, rows)
    assert not result.report.valid
    assert errors_of(result)[0] == (2, "chu", "chu_inconnu")
    assert result.report.chu is None
    assert "FES" in result.report.errors[0].message  # says which codes are allowed


def test_mixed_chu_is_an_error_on_the_first_differing_row() -> None:
    rows = depenses_rows()
    rows[2]["chu"] = "MAR"
    result = validate("depenses", rows)
    assert errors_of(result) == [(4, "chu", "chu_unique")]
    assert result.report.chu is None


def test_mixed_years() -> None:
    rows = depenses_rows()
    rows[1]["annee"] = str(ANNEE - 1)
    result = validate("depenses", rows)
    assert errors_of(result) == [(3, "annee", "annee_unique")]
    assert result.report.annee is None


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("2014", "annee_hors_periode"),
        (str(NEXT_YEAR + 1), "annee_hors_periode"),
        ("deux mille", "annee_entier"),
        ("2025,5", "annee_entier"),
        ("", "annee_obligatoire"),
    ],
)
def test_bad_year(value: str, rule: str) -> None:
    rows = profil_rows()
    rows[0]["annee"] = value
    result = validate("profil", rows)
    assert errors_of(result) == [(2, "annee", rule)]
    assert result.report.annee is None


def test_next_year_is_allowed() -> None:
    rows = profil_rows()
    rows[0]["annee"] = str(NEXT_YEAR)
    assert validate("profil", rows).report.valid


def test_sender_mismatch_is_an_error_on_the_first_row() -> None:
    result = validate("depenses", sender_chu="MAR")
    assert errors_of(result) == [(2, "chu", "chu_expediteur")]
    assert "MAR" in result.report.errors[0].message
    assert validate("depenses", sender_chu="fes").report.valid


def test_empty_chu_cell() -> None:
    rows = depenses_rows()
    rows[1]["chu"] = ""
    assert errors_of(validate("depenses", rows)) == [(3, "chu", "chu_obligatoire")]


# --------------------------------------------------------------------------- maturite


def test_niveau_out_of_range_message() -> None:
    rows = maturite_rows()
    rows[5]["niveau"] = "6"
    result = validate("maturite", rows)
    assert errors_of(result) == [(7, "niveau", "niveau_entre_0_et_5")]
    error = result.report.errors[0]
    assert error.value == "6"
    assert error.message == (
        "Ligne 7, colonne « niveau » : 6 n'est pas un niveau de 0 à 5. "
        "Indiquez un entier de 0 à 5, ou NA si la mesure ne s'applique pas."
    )


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("abc", "niveau_entre_0_et_5"),
        ("2,5", "niveau_entre_0_et_5"),
        ("-1", "niveau_entre_0_et_5"),
        ("", "niveau_obligatoire"),
        ("N/A", "niveau_entre_0_et_5"),
    ],
)
def test_bad_niveau(value: str, rule: str) -> None:
    rows = maturite_rows()
    rows[10]["niveau"] = value
    assert errors_of(validate("maturite", rows)) == [(12, "niveau", rule)]


@pytest.mark.parametrize("value", ["NA", "na", "Na"])
def test_niveau_na_any_case(value: str) -> None:
    rows = maturite_rows()
    rows[10]["niveau"] = value
    assert validate("maturite", rows).report.valid


@pytest.mark.parametrize("value", ["6", "-1", "x", "1,5"])
def test_bad_cible(value: str) -> None:
    rows = maturite_rows()
    rows[3]["cible"] = value
    assert errors_of(validate("maturite", rows)) == [(5, "cible", "cible_entre_0_et_5")]


def test_unknown_measure() -> None:
    rows = maturite_rows()
    rows.append({**rows[0], "mesure_id": "POL-INVENTEE"})
    result = validate("maturite", rows)
    assert errors_of(result) == [(106, "mesure_id", "mesure_id_inconnue")]
    assert "DNSSI-2023" in result.report.errors[0].message


def test_missing_measure_is_named_with_no_line() -> None:
    rows = maturite_rows()
    removed = rows.pop(20)
    result = validate("maturite", rows)
    assert errors_of(result) == [(None, "mesure_id", "mesure_manquante")]
    assert result.report.errors[0].value == removed["mesure_id"]
    assert removed["mesure_id"] in result.report.errors[0].message


def test_repeated_measure_is_reported_on_the_repeat_only() -> None:
    rows = maturite_rows()
    rows[30]["mesure_id"] = rows[2]["mesure_id"].lower()  # same measure, other case
    result = validate("maturite", rows)
    # the repeat (row 32) is an error; the measure it replaced is now missing.
    assert errors_of(result) == [
        (None, "mesure_id", "mesure_manquante"),
        (32, "mesure_id", "mesure_id_repetee"),
    ]
    assert "ligne 4" in result.report.errors[1].message


def test_comment_too_long() -> None:
    rows = maturite_rows()
    rows[0]["commentaire"] = "x" * 2001
    rows[1]["commentaire"] = "y" * 2000
    result = validate("maturite", rows)
    assert errors_of(result) == [(2, "commentaire", "commentaire_trop_long")]
    assert "2001" in result.report.errors[0].message


# --------------------------------------------------------------------------- depenses


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("categorie", "cloud", "categorie_inconnue"),
        ("categorie", "", "categorie_obligatoire"),
        ("nature", "mixte", "nature_inconnue"),
        ("montant_mad", "-10", "montant_mad_negatif"),
        ("montant_mad", "12abc", "montant_mad_nombre"),
        ("montant_mad", "1,234,567", "montant_mad_nombre"),
        ("montant_mad", "", "montant_mad_obligatoire"),
        ("libelle", "", "libelle_obligatoire"),
        ("libelle", "   ", "libelle_obligatoire"),
        ("fonction_csf", "XX", "fonction_csf_inconnue"),
    ],
)
def test_bad_depense(column: str, value: str, rule: str) -> None:
    rows = depenses_rows()
    rows[1][column] = value
    result = validate("depenses", rows)
    assert not result.report.valid
    assert errors_of(result) == [(3, column, rule)]
    assert result.records is None


def test_zero_amount_allowed() -> None:
    rows = depenses_rows()
    rows[0]["montant_mad"] = "0"
    assert validate("depenses", rows).report.valid


# --------------------------------------------------------------------------- profil


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("lits", "12,5", "lits_entier"),
        ("lits", "-1", "lits_negatif"),
        ("lits", "", "lits_obligatoire"),
        ("effectif_total", "-3", "effectif_total_negatif"),
        ("effectif_si", "beaucoup", "effectif_si_nombre"),
        ("effectif_ssi", "40", "effectif_ssi_superieur_si"),
        ("effectif_si", "5000", "effectif_si_superieur_total"),
        ("budget_total_mad", "0", "budget_total_mad_positif"),
        ("budget_si_mad", "0", "budget_si_mad_positif"),
        ("budget_si_mad", "2 000 000 000", "budget_si_superieur_total"),
        ("iso27001", "oui", "iso27001_inconnu"),
        ("stade_numerique", "8", "stade_numerique_entre_0_et_7"),
        ("stade_numerique", "3,5", "stade_numerique_entre_0_et_7"),
        ("incidents_declares", "-1", "incidents_declares_negatif"),
        ("incidents_declares", "plusieurs", "incidents_declares_entier"),
    ],
)
def test_bad_profil(column: str, value: str, rule: str) -> None:
    rows = profil_rows()
    rows[0][column] = value
    result = validate("profil", rows)
    found = errors_of(result)
    assert found[0] == (2, column, rule)
    # A negative total or a zero budget also breaks its "part of" pair rule, on its own column.
    consequences = {
        "effectif_total_negatif": [(2, "effectif_si", "effectif_si_superieur_total")],
        "budget_total_mad_positif": [(2, "budget_si_mad", "budget_si_superieur_total")],
    }
    assert found[1:] == consequences.get(rule, [])


def test_pair_message_quotes_both_values() -> None:
    rows = profil_rows()
    rows[0]["effectif_ssi"] = "40"
    [error] = validate("profil", rows).report.errors
    assert "40" in error.message and "35" in error.message


def test_profil_needs_exactly_one_row() -> None:
    rows = profil_rows() * 2
    result = validate("profil", rows)
    assert errors_of(result) == [(3, None, "profil_une_ligne")]
    assert "2" in result.report.errors[0].message


# --------------------------------------------------------------------------- report


def test_report_json_shape() -> None:
    rows = maturite_rows()
    rows[5]["niveau"] = "6"
    result = validate("maturite", rows)
    data = json.loads(result.report.to_json())
    assert list(data) == ["file", "kind", "chu", "annee", "valid", "rows", "errors", "warnings"]
    assert data["kind"] == "maturite" and data["chu"] == "FES" and data["annee"] == ANNEE
    assert data["valid"] is False and data["rows"] == 104
    assert data["errors"][0] == {
        "line": 7,
        "column": "niveau",
        "value": "6",
        "rule": "niveau_entre_0_et_5",
        "message": data["errors"][0]["message"],
    }
    assert ValidationReport.from_dict(data).to_dict() == data


def test_every_error_message_is_french_and_says_how_to_fix() -> None:
    rows = profil_rows() * 2
    rows[0].update(lits="x", iso27001="peut-être", budget_si_mad="0")
    for error in validate("profil", rows).report.errors:
        assert error.message.startswith(("Ligne", "Colonne", "Le ", "La ", "L'", "Un "))
        assert error.message.count(".") >= 2, error.message  # a problem, then a fix


# --------------------------------------------------------------------------- suites


@pytest.mark.parametrize("kind", ["maturite", "depenses", "profil"])
def test_suite_reloads_every_expectation(kind: str) -> None:
    document = gx_runner.suite_document(kind)
    suite = gx_runner.load_suite(kind)
    assert len(suite.expectations) == len(document["expectations"]) > 5
    for expectation in document["expectations"]:
        assert expectation["meta"]["rule"] and expectation["meta"]["column"]


def test_suite_sets_match_the_contract() -> None:
    sets = {
        e["meta"]["rule"]: e["kwargs"].get("value_set")
        for kind in ("depenses", "profil")
        for e in gx_runner.suite_document(kind)["expectations"]
    }
    assert sets["categorie_inconnue"] == list(CATEGORIES)
    assert sets["fonction_csf_inconnue"] == list(CSF_FUNCTIONS)
    assert sets["iso27001_inconnu"] == list(ISO27001_STATES)


def test_suite_losing_an_expectation_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    document = gx_runner.suite_document("profil")
    document["name"] = "chu_bench_profil_broken"
    document["expectations"].append(
        {
            "type": "expect_column_values_to_be_a_made_up_rule",
            "kwargs": {"column": "lits"},
            "meta": {"rule": "x", "column": "lits"},
        }
    )
    monkeypatch.setattr(gx_runner, "suite_document", lambda kind: document)
    gx_runner.load_suite.cache_clear()
    try:
        with pytest.raises(Exception):  # noqa: B017 - GX may refuse itself, or we do
            gx_runner.load_suite("broken")
    finally:
        gx_runner.load_suite.cache_clear()


def test_validation_speed_of_a_104_row_file() -> None:
    import time

    validate("maturite")  # warm: GX import and suite loading
    start = time.perf_counter()
    result = validate("maturite")
    elapsed = time.perf_counter() - start
    assert result.report.valid
    assert elapsed < 1.0, f"{elapsed:.2f} s"
