"""`chu-bench run` on the sample alliance, then `chu-bench export`, checked by hand.

The expected benchmark is recomputed here from the raw sample CSVs with ``csv`` and
``statistics`` only — independently of the contract reader and of warehouse.benchmark —
so that a mistake in the production code cannot hide in the expectation.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import unicodedata
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.cli import main
from tests.conftest import PROJECT_ROOT, SAMPLE_DIR
from warehouse.engine import make_engine
from warehouse.reads import read_benchmark
from warehouse.schema import BENCHMARK_COLUMNS, submissions

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

CHUS = ("AGA", "CAS", "FES", "MAR", "RAB", "TNG")
REJECTED = {"CAS/depenses_cas_2023.csv", "MAR/maturite_mar_2024.csv", "TNG/profil_tng_2025.csv"}


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The whole sample folder run once into a fresh SQLite warehouse: (url, output)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('run') / 'warehouse.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DAGSTER_HOME", raising=False)  # an ephemeral Dagster instance
        patch.delenv("CHU_BENCH_DATABASE_URL", raising=False)
        code, out, err = cli("run", "--landing", str(SAMPLE_DIR), "--database-url", url)
        assert code == 0, out + err
        yield url, out


# --- run -------------------------------------------------------------------------------------


def test_run_shows_progress_and_a_summary_per_chu(sample_run: tuple[str, str]) -> None:
    _url, out = sample_run
    files = sorted(SAMPLE_DIR.glob("*/*.csv"))
    assert f"[1/{len(files)}] AGA/depenses_aga_2025.csv … acceptée" in out
    assert "CAS/depenses_cas_2023.csv … rejetée : 2 erreurs" in out
    assert "TNG/profil_tng_2025.csv … rejetée : 1 erreur" in out
    assert "Ligne 13, colonne « niveau »" in out  # the first errors are shown in French
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["CAS"] == ["8", "1"]
    assert lines["FES"] == ["9", "0"]
    assert lines["Total"] == [str(len(files) - 3), "3"]
    assert "Benchmark recalculé." in out


def test_every_file_is_a_submission_rejected_ones_included(sample_run: tuple[str, str]) -> None:
    url, _out = sample_run
    with make_engine(url).connect() as conn:
        rows = conn.execute(sa.select(submissions.c.filename, submissions.c.status)).all()
    assert len(rows) == len(list(SAMPLE_DIR.glob("*/*.csv")))
    rejected = {name for name, status in rows if status == "rejected"}
    assert rejected == {Path(p).name for p in REJECTED}
    assert {status for _name, status in rows} == {"current", "rejected"}


def test_running_twice_changes_nothing(sample_run: tuple[str, str]) -> None:
    url, _out = sample_run
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar()
    before = read_benchmark(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DAGSTER_HOME", raising=False)
        code, out, err = cli("run", "--landing", str(SAMPLE_DIR), "--database-url", url)
    assert code == 0, out + err
    assert "(déjà reçue)" in out and "rejetée (déjà reçue) : 2 erreurs" in out
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar() == count
    after = read_benchmark(engine)
    assert after.equals(before)


def test_unknown_folders_are_reported_not_fatal(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "XYZ").mkdir()
    (tmp_path / "XYZ" / "f.csv").write_text("chu;annee\n", encoding="utf-8")
    (tmp_path / "FES").mkdir()
    (tmp_path / "FES" / "profil.csv").write_bytes(
        (SAMPLE_DIR / "FES/profil_fes_2025.csv").read_bytes()
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DAGSTER_HOME", raising=False)
        code, out, _err = cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)
    assert code == 0
    assert "Dossier ignoré : XYZ/" in out
    assert "[1/1] FES/profil.csv … acceptée" in out


def test_run_usage_and_failure_exit_codes(tmp_path: Path) -> None:
    code, _out, err = cli("run", "--landing", str(tmp_path / "absent"))
    assert code == 2 and "introuvable" in err
    # An unreachable warehouse is a failure of the run itself: non-zero, one French line.
    (tmp_path / "FES").mkdir()
    code, _out, err = cli(
        "run", "--landing", str(tmp_path), "--database-url", "postgresql+psycopg://x@127.0.0.1:9/x"
    )
    assert code == 1 and "injoignable" in err and "Traceback" not in err


# --- export, checked against a hand computation ---------------------------------------------


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", "").strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace(" ", "_")


def read_raw(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    if raw.startswith(b"\xff\xfe"):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
    header_line = text.lstrip("\ufeff").splitlines()[0]
    delimiter = max((";", ",", "\t"), key=header_line.count)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [_plain(h) for h in records[0]]
    return [
        dict(zip(header, (c.strip() for c in record), strict=False))
        for record in records[1:]
        if any(c.strip() for c in record)
    ]


def number(text: str) -> float:
    for space in ("\u202f", "\xa0", " "):
        text = text.replace(space, "")
    return float(text.replace(",", "."))


def r2(value: float) -> float:
    return float(Decimal(repr(round(value, 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def functions_by_measure() -> dict[str, str]:
    path = PROJECT_ROOT / "data" / "reference" / "referentiel_dnssi_2023.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["mesure_id"]: row["fonction_csf"] for row in csv.DictReader(handle)}


def expected_2025() -> dict[str, dict[str, float | None]]:
    functions = functions_by_measure()
    expected: dict[str, dict[str, float | None]] = {}
    for chu in CHUS:
        row: dict[str, float | None] = {}
        answers = read_raw(SAMPLE_DIR / chu / f"maturite_{chu.lower()}_2025.csv")
        levels = [
            (a["mesure_id"], int(a["niveau"])) for a in answers if a["niveau"].upper() != "NA"
        ]
        values = [level for _m, level in levels]
        row["indice_maturite"] = r2(statistics.mean(values))
        row["part_mesures_niveau3_pct"] = r2(100 * sum(v >= 3 for v in values) / len(values))
        gaps = [
            int(a["cible"]) - int(a["niveau"])
            for a in answers
            if a.get("cible") and a["niveau"].upper() != "NA"
        ]
        row["ecart_cible"] = r2(statistics.mean(gaps)) if gaps else None
        row["score_PR"] = r2(statistics.mean(v for m, v in levels if functions[m] == "PR"))

        spend = read_raw(SAMPLE_DIR / chu / f"depenses_{chu.lower()}_2025.csv")
        total = sum(number(s["montant_mad"]) for s in spend)
        capex = sum(
            number(s["montant_mad"])
            for s in spend
            if s["nature"].lower() in ("capex", "investissement")
        )
        row["depense_ssi_mad"] = r2(total)
        row["part_capex_pct"] = r2(100 * capex / total)

        if f"{chu}/profil_{chu.lower()}_2025.csv" in REJECTED:
            for name in (
                "part_budget_si_pct",
                "part_si_budget_total_pct",
                "depense_par_lit_mad",
                "effectif_ssi_pour_100_si",
            ):
                row[name] = None
        else:
            (profile,) = read_raw(SAMPLE_DIR / chu / f"profil_{chu.lower()}_2025.csv")
            budget_si = number(profile["budget_si_mad"])
            row["part_budget_si_pct"] = r2(100 * total / budget_si)
            row["part_si_budget_total_pct"] = r2(
                100 * budget_si / number(profile["budget_total_mad"])
            )
            row["depense_par_lit_mad"] = r2(total / number(profile["lits"]))
            row["effectif_ssi_pour_100_si"] = r2(
                100 * number(profile["effectif_ssi"]) / number(profile["effectif_si"])
            )
        expected[chu] = row
    indices = {c: expected[c]["indice_maturite"] for c in CHUS}
    median = statistics.median(indices.values())  # type: ignore[type-var]
    for chu in CHUS:
        # 1 = highest; ties share the better rank (CAS and RAB are tied in 2025).
        expected[chu]["rang_maturite"] = 1 + sum(v > indices[chu] for v in indices.values())  # type: ignore[operator]
        expected[chu]["ecart_mediane_indice"] = r2(indices[chu] - median)  # type: ignore[operator]
    return expected


def test_export_json_equals_a_hand_computation(sample_run: tuple[str, str]) -> None:
    url, _out = sample_run
    code, out, err = cli("export", "--annee", "2025", "--format", "json", "--database-url", url)
    assert code == 0, err
    rows = json.loads(out)
    assert [r["chu"] for r in rows] == sorted(CHUS)  # one row per CHU with data
    assert all(list(r) == list(BENCHMARK_COLUMNS) for r in rows)
    expected = expected_2025()
    for row in rows:
        for name, value in expected[row["chu"]].items():
            if value is None:
                assert row[name] is None, (row["chu"], name)  # a rejected file: null, never 0
            else:
                assert row[name] == pytest.approx(value, abs=0.0051), (row["chu"], name)
    agadir = next(r for r in rows if r["chu"] == "AGA")
    assert agadir["evolution_indice"] is None  # Agadir's first campaign


def test_export_nulls_where_files_were_rejected(sample_run: tuple[str, str]) -> None:
    url, _out = sample_run
    code, out, _err = cli("export", "--format", "json", "--database-url", url)
    assert code == 0
    rows = {(r["chu"], r["annee"]): r for r in json.loads(out)}
    assert rows[("MAR", 2024)]["indice_maturite"] is None
    assert rows[("MAR", 2024)]["depense_ssi_mad"] is not None
    assert rows[("CAS", 2023)]["depense_ssi_mad"] is None
    assert rows[("CAS", 2023)]["indice_maturite"] is not None
    assert "NaN" not in out


def test_export_csv_has_the_contract_columns(sample_run: tuple[str, str]) -> None:
    url, _out = sample_run
    code, out, _err = cli("export", "--annee", "2025", "--database-url", url)
    assert code == 0
    records = list(csv.reader(io.StringIO(out)))
    assert tuple(records[0]) == BENCHMARK_COLUMNS
    assert len(records) == 1 + len(CHUS)
    tanger = dict(zip(records[0], next(r for r in records if r[0] == "TNG"), strict=True))
    assert tanger["depense_par_lit_mad"] == ""  # null → empty cell
    assert float(tanger["indice_maturite"]) > 0


def test_export_usage_errors(sqlite_url: str) -> None:
    with pytest.raises(SystemExit) as excinfo, redirect_stderr(io.StringIO()):
        main(["export", "--format", "xml"])
    assert excinfo.value.code == 2
    with pytest.raises(SystemExit) as excinfo, redirect_stderr(io.StringIO()):
        main(["export", "--annee", "deux-mille"])
    assert excinfo.value.code == 2
    code, out, err = cli("export", "--format", "json", "--database-url", sqlite_url)
    assert code == 0 and json.loads(out) == [] and "aucune ligne" in err


def test_database_url_from_the_environment(sample_run: tuple[str, str]) -> None:
    url, _out = sample_run
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHU_BENCH_DATABASE_URL", url)
        code, out, _err = cli("export", "--annee", "2025", "--format", "json")
    assert code == 0 and len(json.loads(out)) == len(CHUS)
    assert os.environ.get("CHU_BENCH_DATABASE_URL") != url
