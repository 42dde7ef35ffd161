"""`chu-bench export --table iso27001|projets_communs` and `chu-bench plan` on the sample
warehouse, against an independent computation from the raw files (tests/iso_support.py)."""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.dashboard_support import (  # noqa: F401
    copy_warehouse,
    seeded_warehouse_fixture,
)
from tests.iso_support import (
    independent_iso_table,
    independent_joint_projects,
    independent_percentages,
    independent_plan,
)
from warehouse.iso import ISO_COLUMNS
from warehouse.plan import PEER_CODES_COLUMN, PLAN_COLUMNS

CHUS = ("AGA", "CAS", "FES", "MAR", "RAB", "TNG")
NAMES = (
    "Hassan II",
    "Ibn Rochd",
    "Ibn Sina",
    "Agadir",
    "Marrakech",
    "Tanger",
    "Rabat",
    "Casablanca",
)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def url(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_warehouse(seeded_warehouse, tmp_path_factory.mktemp("decisions"))


def test_export_iso27001_equals_the_definition(url: str) -> None:
    code, out, err = cli(
        "export",
        "--table",
        "iso27001",
        "--annee",
        "2025",
        "--format",
        "json",
        "--database-url",
        url,
    )
    assert code == 0, err
    records = json.loads(out)
    assert all(tuple(r) == ISO_COLUMNS for r in records)
    expected = independent_iso_table(2025)
    got = {(r["chu"], r["iso_id"]): r for r in records}
    assert set(got) == set(expected)
    assert len(expected) == 6 * (93 + 8)
    for key, row in expected.items():
        actual = {k: got[key][k] for k in row}
        assert actual == row, key
        assert got[key]["annee"] == 2025


def test_export_iso27001_csv_lists_measures_comma_separated(url: str) -> None:
    code, out, _err = cli("export", "--table", "iso27001", "--annee", "2025", "--database-url", url)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(ISO_COLUMNS)
    row = next(r for r in rows if r["chu"] == "FES" and r["iso_id"] == "A.5.9")
    assert row["mesures"].split(",") == independent_iso_table(2025)[("FES", "A.5.9")]["mesures"]
    assert {r["pret"] for r in rows} == {"true", "false", ""}


def test_benchmark_readiness_columns_equal_the_definition(url: str) -> None:
    code, out, err = cli("export", "--annee", "2025", "--format", "json", "--database-url", url)
    assert code == 0, err
    got = {r["chu"]: r for r in json.loads(out)}
    for chu, (annex, clauses) in independent_percentages(2025).items():
        assert got[chu]["preparation_iso27001_pct"] == annex, chu
        assert got[chu]["preparation_iso27001_clauses_pct"] == clauses, chu


@pytest.mark.parametrize("seuil", [None, 2, 4])
def test_export_projets_communs_equals_the_definition(url: str, seuil: int | None) -> None:
    args = ["export", "--table", "projets_communs", "--format", "json", "--database-url", url]
    if seuil is not None:
        args += ["--seuil", str(seuil)]
    code, out, err = cli(*args)
    assert code == 0, err
    assert json.loads(out) == independent_joint_projects(seuil or 3)


def test_plan_equals_the_definition_in_priority_order(url: str) -> None:
    code, out, err = cli(
        "plan", "--chu", "FES", "--annee", "2025", "--format", "json", "--database-url", url
    )
    assert code == 0, err
    records = json.loads(out)
    expected = independent_plan("FES", 2025)
    assert {r["mesure_id"] for r in records} == set(expected)
    assert [r["rang"] for r in records] == list(range(1, len(records) + 1))
    for record in records:
        assert tuple(record)[: len(PLAN_COLUMNS)] == PLAN_COLUMNS
        row = expected[record["mesure_id"]]
        assert {k: record[k] for k in row} == row, record["mesure_id"]
    keys = [(-r["ecart"], -r["controles_bloques"], -r["pairs_au_niveau_4"]) for r in records]
    assert keys == sorted(keys)
    # The operator's (alliance) view names the peers at 4 or more.
    named = [r for r in records if r["pairs_au_niveau_4"]]
    assert named and all(len(r[PEER_CODES_COLUMN]) == r["pairs_au_niveau_4"] for r in named)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_the_plan_for_the_chu_names_no_peer(url: str, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"plan.{fmt}"
    code, out, err = cli(
        "plan",
        "--chu",
        "FES",
        "--annee",
        "2025",
        "--pour-chu",
        "-o",
        str(target),
        "--database-url",
        url,
    )
    assert code == 0, err
    assert "écrit dans" in out
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(target)
        text = "\n".join(
            str(v)
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v is not None
        )
        assert "CHU Hassan II de Fès" in text and "Rang" in text
    else:
        text = target.read_text(encoding="utf-8")
    assert PEER_CODES_COLUMN not in text
    for other in (c for c in CHUS if c != "FES"):
        assert other not in text, other
    for name in NAMES:
        if name != "Hassan II":
            assert name not in text, name


def test_plan_usage_errors(url: str) -> None:
    code, _out, err = cli("plan", "--chu", "XYZ", "--annee", "2025", "--database-url", url)
    assert code == 2 and "CHU inconnu" in err
    code, _out, err = cli(
        "plan", "--chu", "FES", "--annee", "2025", "--format", "xlsx", "--database-url", url
    )
    assert code == 2 and "-o" in err
    code, out, err = cli("plan", "--chu", "FES", "--annee", "2019", "--database-url", url)
    assert code == 0 and "aucune mesure" in err and out.startswith("rang,")


def test_workbook_neutralises_formula_like_cells() -> None:
    import pandas as pd
    from openpyxl import load_workbook

    from warehouse.spreadsheets import workbook_bytes

    frame = pd.DataFrame({"titre": ['=HYPERLINK("http://x","clic")', "+1", "ok"], "n": [1, -2, 3]})
    data = workbook_bytes(frame, title="=T", subtitle_lines=["@s"], headers={"titre": "-Intitulé"})
    sheet = load_workbook(io.BytesIO(data)).active
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert "'=T" in values and "'@s" in values and "'-Intitulé" in values
    assert '\'=HYPERLINK("http://x","clic")' in values and "'+1" in values
    assert -2 in values  # numbers stay numbers
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)
