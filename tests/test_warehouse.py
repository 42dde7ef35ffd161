"""The warehouse on SQLite and PostgreSQL: engine, versioned submissions (DESIGN §4),
rebuild of the derived tables and reads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import warehouse.engine as engine_module
import warehouse.refresh as refresh_module
import warehouse.submissions as submissions_module
from expectations.reference import load_reference
from expectations.report import Finding, ValidationReport
from expectations.validate import ValidationResult, validate_bytes
from warehouse.engine import (
    DEFAULT_DATABASE_PATH,
    dispose_engines,
    make_engine,
    resolve_database_url,
)
from warehouse.reads import (
    frame_to_records,
    read_benchmark,
    read_campaign_status,
    read_current_answers,
    read_current_profiles,
    read_current_spending,
    read_current_submissions,
    read_overall_status,
    read_pooling,
    trace_benchmark,
)
from warehouse.refresh import rebuild_benchmark
from warehouse.schema import (
    BENCHMARK_COLUMNS,
    benchmark,
    campaign_status,
    maturity_answers,
    pooling_opportunities,
    profiles,
    spending_lines,
    submissions,
)
from warehouse.submissions import (
    CURRENT,
    REJECTED,
    SUPERSEDED,
    get_submission,
    get_submission_content,
    list_submissions,
    sha256_hex,
    store_submission,
    submission_exists,
)

REFERENCE = load_reference()
MEASURES = REFERENCE.measures_for_year(2024)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    dispose_engines()  # before the PostgreSQL fixture drops its schema


# --------------------------------------------------------------------------- builders


def maturity_result(
    chu: str, annee: int, niveaux: list[int | None], cibles: list[int | None] | None = None
) -> ValidationResult:
    """A valid maturity result over the first len(niveaux) DNSSI measures."""
    cibles = cibles or [None] * len(niveaux)
    records = pd.DataFrame(
        {
            "chu": chu,
            "annee": annee,
            "line": range(2, 2 + len(niveaux)),
            "mesure_id": [m.mesure_id for m in MEASURES[: len(niveaux)]],
            "niveau": pd.array(niveaux, dtype="Int64"),
            "cible": pd.array(cibles, dtype="Int64"),
            "commentaire": [None] * len(niveaux),
        }
    )
    report = ValidationReport(
        file="maturite.csv", kind="maturite", chu=chu, annee=annee, rows=len(records)
    )
    return ValidationResult(report=report, records=records)


def spending_result(
    chu: str, annee: int, lines: list[tuple[str, float, str | None, str | None]]
) -> ValidationResult:
    """lines: (nature, montant, fournisseur, solution)."""
    records = pd.DataFrame(
        {
            "chu": chu,
            "annee": annee,
            "line": range(2, 2 + len(lines)),
            "categorie": "logiciels",
            "nature": [line[0] for line in lines],
            "montant_mad": [float(line[1]) for line in lines],
            "libelle": "ligne",
            "fonction_csf": None,
            "fournisseur": [line[2] for line in lines],
            "solution": [line[3] for line in lines],
        }
    )
    report = ValidationReport(
        file="depenses.csv", kind="depenses", chu=chu, annee=annee, rows=len(records)
    )
    return ValidationResult(report=report, records=records)


def profile_result(
    chu: str, annee: int, *, lits: int = 900, budget_si: float = 20_000_000.0
) -> ValidationResult:
    records = pd.DataFrame(
        {
            "chu": [chu],
            "annee": [annee],
            "line": [2],
            "lits": [lits],
            "effectif_total": [3000.0],
            "effectif_si": [25.0],
            "effectif_ssi": [2.0],
            "budget_total_mad": [1_000_000_000.0],
            "budget_si_mad": [budget_si],
            "iso27001": ["en_cours"],
            "stade_numerique": pd.array([4], dtype="Int64"),
            "incidents_declares": pd.array([None], dtype="Int64"),
        }
    )
    report = ValidationReport(file="profil.csv", kind="profil", chu=chu, annee=annee, rows=1)
    return ValidationResult(report=report, records=records)


def rejected_result(chu: str | None, annee: int | None, kind: str | None) -> ValidationResult:
    report = ValidationReport(file="faux.csv", kind=kind, chu=chu, annee=annee, rows=3)
    report.errors.append(Finding(2, "niveau", "7", "niveau_plage", "Ligne 2 : niveau hors plage."))
    return ValidationResult(report=report, records=None)


def store(
    engine: Engine,
    content: bytes,
    result: ValidationResult,
    received_at: datetime = T0,
    sender: str = "dsi.fes",
):
    return store_submission(
        engine,
        content=content,
        filename=result.report.file,
        result=result,
        sender=sender,
        channel="cli",
        sender_chu=result.report.chu or "FES",  # each CHU sends its own files
        received_at=received_at,
    )


def count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the submission and data tables, to compare states."""
    out = {}
    with engine.connect() as conn:
        for table in (submissions, maturity_answers, spending_lines, profiles):
            columns = [c for c in table.c if c.name != "content"]
            order = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(*columns).order_by(*order))]
    return out


# --------------------------------------------------------------------------- engine


def test_resolve_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHU_BENCH_DATABASE_URL", raising=False)
    assert resolve_database_url() == f"sqlite:///{DEFAULT_DATABASE_PATH}"
    assert DEFAULT_DATABASE_PATH.parent.is_dir()
    monkeypatch.setenv("CHU_BENCH_DATABASE_URL", "sqlite:////tmp/from-env.sqlite")
    assert resolve_database_url() == "sqlite:////tmp/from-env.sqlite"
    assert (
        resolve_database_url("sqlite:////tmp/explicit.sqlite") == "sqlite:////tmp/explicit.sqlite"
    )
    assert resolve_database_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert resolve_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_sqlite_engine_is_cached_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'w.sqlite'}"
    try:
        first = make_engine(url)
        assert make_engine(url) is first  # one pool per URL
        assert (tmp_path / "nested" / "dir" / "w.sqlite").exists()
        with first.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        # Foreign keys really enforced: a data row must point to a submission.
        with pytest.raises(sa.exc.IntegrityError), first.begin() as conn:
            conn.execute(
                maturity_answers.insert().values(
                    submission_id=999, mesure_id="X", line=2, chu="FES", annee=2024
                )
            )
    finally:
        dispose_engines()
    assert engine_module._engines == {}


def test_make_engine_creates_the_schema(engine: Engine) -> None:
    names = set(sa.inspect(engine).get_table_names())
    assert {
        "submissions",
        "maturity_answers",
        "spending_lines",
        "profiles",
        "benchmark",
        "pooling_opportunities",
        "campaign_status",
        "users",
    } <= names


# --------------------------------------------------------------------------- submissions


def test_valid_file_becomes_current_with_its_rows(engine: Engine) -> None:
    content = b"chu;annee;...\nmaturite v1"
    stored = store(engine, content, maturity_result("FES", 2024, [3, None, 5], [4, 4, None]))
    assert stored.created and stored.status == CURRENT
    assert stored.sha256 == sha256_hex(content)

    answers = read_current_answers(engine)
    assert answers["mesure_id"].tolist() == [m.mesure_id for m in MEASURES[:3]]
    assert answers["niveau"].tolist()[0] == 3 and answers["niveau"].isna().tolist() == [
        False,
        True,
        False,
    ]
    assert answers["cible"].tolist()[:2] == [4, 4] and pd.isna(answers["cible"].iloc[2])
    assert answers["line"].tolist() == [2, 3, 4]
    assert set(answers["submission_id"]) == {stored.id}

    info = get_submission(engine, stored.id)
    assert info is not None
    assert info["status"] == CURRENT and info["valid"] is True
    assert (info["kind"], info["chu"], info["annee"]) == ("maturite", "FES", 2024)
    assert info["size_bytes"] == len(content)
    assert info["sender"] == "dsi.fes" and info["channel"] == "cli"
    assert info["received_at"] == T0
    assert info["report"]["rows"] == 3 and info["report"]["valid"] is True
    assert "content" not in info
    assert get_submission_content(engine, stored.id) == content
    assert submission_exists(engine, stored.sha256)
    assert not submission_exists(engine, sha256_hex(b"other"))
    assert get_submission(engine, 12345) is None
    with pytest.raises(KeyError):
        get_submission_content(engine, 12345)


def test_same_bytes_twice_is_one_submission(engine: Engine) -> None:
    content = b"profil FES 2024"
    first = store(engine, content, profile_result("FES", 2024))
    before = snapshot(engine)
    again = store(engine, content, profile_result("FES", 2024), received_at=T0 + timedelta(days=1))
    assert again.id == first.id and again.sha256 == first.sha256
    assert again.created is False and again.status == CURRENT
    assert snapshot(engine) == before


def test_later_valid_file_supersedes_and_history_stays(engine: Engine) -> None:
    v1 = store(engine, b"v1", maturity_result("FES", 2024, [1, 1, 1]))
    v2 = store(engine, b"v2", maturity_result("FES", 2024, [4, 4]), T0 + timedelta(hours=1))
    assert v2.status == CURRENT
    old = get_submission(engine, v1.id)
    assert old["status"] == SUPERSEDED and old["superseded_by"] == v2.id
    # The old rows stay; reads use the current submission only.
    assert count(engine, maturity_answers) == 5
    current = read_current_answers(engine, annee=2024)
    assert set(current["submission_id"]) == {v2.id}
    assert current["niveau"].tolist() == [4, 4]

    # Another partition is untouched.
    other = store(engine, b"mar", maturity_result("MAR", 2024, [2]), T0 + timedelta(hours=2))
    assert other.status == CURRENT
    assert get_submission(engine, v2.id)["status"] == CURRENT
    listing = list_submissions(engine, chu="FES")
    assert listing["id"].tolist() == [v1.id, v2.id]
    assert listing["status"].tolist() == [SUPERSEDED, CURRENT]
    assert "content" not in listing.columns
    assert list_submissions(engine, status=CURRENT)["chu"].tolist() == ["FES", "MAR"]
    assert list_submissions(engine, annee=2023).empty


def test_invalid_file_is_kept_but_never_replaces_valid_data(engine: Engine) -> None:
    valid = store(engine, b"valid", spending_result("FES", 2024, [("capex", 100.0, None, None)]))
    bad = store(engine, b"bad", rejected_result("FES", 2024, "depenses"), T0 + timedelta(days=1))
    assert bad.created and bad.status == REJECTED
    assert get_submission(engine, valid.id)["status"] == CURRENT
    info = get_submission(engine, bad.id)
    assert info["valid"] is False and info["n_errors"] == 1
    assert info["report"]["errors"][0]["rule"] == "niveau_plage"
    assert get_submission_content(engine, bad.id) == b"bad"
    assert read_current_spending(engine)["submission_id"].tolist() == [valid.id]
    assert count(engine, spending_lines) == 1

    # An unreadable file (no kind, CHU or year) is kept too.
    unknown = store(engine, b"\x00\x01", rejected_result(None, None, None))
    assert unknown.status == REJECTED
    assert get_submission(engine, unknown.id)["chu"] is None


def test_an_older_file_arriving_late_does_not_replace_the_newer(engine: Engine) -> None:
    newer = store(engine, b"newer", profile_result("FES", 2024, lits=1000), T0)
    older = store(engine, b"older", profile_result("FES", 2024, lits=500), T0 - timedelta(days=30))
    assert older.status == SUPERSEDED
    assert get_submission(engine, older.id)["superseded_by"] == newer.id
    assert get_submission(engine, newer.id)["status"] == CURRENT
    assert read_current_profiles(engine)["lits"].tolist() == [1000]


def test_a_failure_mid_load_leaves_the_previous_state_intact(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = store(engine, b"v1", maturity_result("FES", 2024, [2, 3]))
    before = snapshot(engine)
    real_insert = submissions_module.insert_data_rows

    def insert_then_crash(conn, kind, rows):  # noqa: ANN001, ANN202
        # Runs after v1 was marked superseded and v2 inserted: everything must roll back.
        real_insert(conn, kind, rows)
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(submissions_module, "insert_data_rows", insert_then_crash)
    with pytest.raises(RuntimeError, match="panne simulée"):
        store(engine, b"v2", maturity_result("FES", 2024, [5, 5]), T0 + timedelta(hours=1))
    assert snapshot(engine) == before
    assert get_submission(engine, v1.id)["status"] == CURRENT
    assert not submission_exists(engine, sha256_hex(b"v2"))

    # Once the fault is gone, the same file loads normally.
    monkeypatch.setattr(submissions_module, "insert_data_rows", real_insert)
    v2 = store(engine, b"v2", maturity_result("FES", 2024, [5, 5]), T0 + timedelta(hours=1))
    assert v2.created and v2.status == CURRENT
    assert get_submission(engine, v1.id)["status"] == SUPERSEDED


def test_concurrent_loads_of_one_partition_leave_exactly_one_current(engine: Engine) -> None:
    # The dashboard, the CLI and the Dagster daemon may load at the same time.
    def load(index: int) -> str:
        result = maturity_result("FES", 2024, [index % 6] * 3)
        moment = T0 + timedelta(minutes=index)
        return store(engine, f"v{index}".encode(), result, received_at=moment).status

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(load, range(12)))
    assert len(statuses) == 12
    listing = list_submissions(engine, chu="FES", annee=2024, kind="maturite")
    assert len(listing) == 12
    current = listing[listing["status"] == CURRENT]
    assert len(current) == 1
    # The latest received file wins, whatever the order the threads ran in.
    assert current.iloc[0]["received_at"] == pd.Timestamp(T0 + timedelta(minutes=11))
    assert len(read_current_answers(engine)) == 3
    assert count(engine, maturity_answers) == 36


def test_the_database_refuses_two_current_submissions(engine: Engine) -> None:
    store(engine, b"v1", profile_result("FES", 2024))
    row = {
        "sha256": "f" * 64,
        "filename": "x.csv",
        "size_bytes": 1,
        "content": b"x",
        "sender": "s",
        "channel": "cli",
        "received_at": T0,
        "kind": "profil",
        "chu": "FES",
        "annee": 2024,
        "valid": True,
        "status": CURRENT,
        "report": {},
    }
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(submissions.insert().values(**row))


def test_a_real_104_measure_file_validates_and_loads_quickly(engine: Engine) -> None:
    lines = ["chu;annee;mesure_id;niveau;cible;commentaire"] + [
        f"FES;2024;{m.mesure_id};{'NA' if i == 0 else i % 6};{5 if i % 2 else ''};"
        for i, m in enumerate(MEASURES)
    ]
    content = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
    result = validate_bytes(content, "FES_2024_maturite.csv", sender_chu="FES")
    assert result.report.valid, result.report.errors[:3]
    started = time.perf_counter()
    stored = store(engine, content, result)
    elapsed = time.perf_counter() - started
    assert stored.status == CURRENT
    assert count(engine, maturity_answers) == 104
    assert elapsed < 5, f"chargement de 104 lignes en {elapsed:.2f} s"
    answers = read_current_answers(engine, annee=2024, chu="FES")
    assert len(answers) == 104
    assert pd.isna(answers.loc[answers["line"] == 2, "niveau"].iloc[0])  # NA stored as NULL
    assert answers.loc[answers["line"] == 3, "niveau"].iloc[0] == 1


def test_real_depenses_and_profil_files(engine: Engine) -> None:
    depenses = (
        b"chu;annee;categorie;nature;montant_mad;libelle;fonction_csf;fournisseur;solution\n"
        b"FES;2024;logiciels;investissement;1 200 000,50;EDR;PR;Fortinet;FortiEDR\n"
        b"FES;2024;formation;opex;30000;Sensibilisation;;;\n"
    )
    profil = (
        b"chu;annee;lits;effectif_total;effectif_si;effectif_ssi;budget_total_mad;"
        b"budget_si_mad;iso27001;stade_numerique;incidents_declares\n"
        b"FES;2024;900;3000;25;2;1000000000;20000000;en_cours;4;\n"
    )
    for content, name in ((depenses, "d.csv"), (profil, "p.csv")):
        result = validate_bytes(content, name)
        assert result.report.valid, result.report.errors
        assert store(engine, content, result).status == CURRENT
    spending = read_current_spending(engine)
    assert spending["montant_mad"].tolist() == [1200000.5, 30000.0]
    assert spending["nature"].tolist() == ["capex", "opex"]
    assert spending["fournisseur"].tolist()[0] == "Fortinet"
    assert pd.isna(spending["fournisseur"].iloc[1])
    prof = read_current_profiles(engine)
    assert prof["budget_si_mad"].tolist() == [20_000_000.0]
    assert prof["stade_numerique"].tolist() == [4]
    assert pd.isna(prof["incidents_declares"].iloc[0])


# --------------------------------------------------------------------------- rebuild and reads


def load_alliance(engine: Engine) -> dict[str, int]:
    """Two CHUs in 2024 (FES complete, MAR without profile), FES in 2023, a rejected file."""
    ids = {}
    ids["fes23"] = store(engine, b"fes23", maturity_result("FES", 2023, [1, 2, 3, 2])).id
    ids["fes_m"] = store(
        engine, b"fes_m", maturity_result("FES", 2024, [3, 4, None, 3], [4, 4, 4, 3])
    ).id
    ids["fes_d"] = store(
        engine,
        b"fes_d",
        spending_result(
            "FES",
            2024,
            [("capex", 300_000.0, "Fortinet", "FortiGate"), ("opex", 100_000.0, None, None)],
        ),
    ).id
    ids["fes_p"] = store(engine, b"fes_p", profile_result("FES", 2024)).id
    ids["mar_m"] = store(engine, b"mar_m", maturity_result("MAR", 2024, [2, 2, 2, 2])).id
    ids["mar_d"] = store(
        engine, b"mar_d", spending_result("MAR", 2024, [("opex", 200_000.0, "FORTINET ", None)])
    ).id
    ids["mar_bad"] = store(engine, b"mar_bad", rejected_result("MAR", 2024, "profil")).id
    return ids


def test_rebuild_computes_the_benchmark_from_current_submissions(engine: Engine) -> None:
    ids = load_alliance(engine)
    counts = rebuild_benchmark(engine, REFERENCE)
    # 2023 and 2024: FES, MAR, CAS, RAB, TNG (AGA opens in 2025); 2025: all six. 3 kinds each.
    assert counts == {"benchmark": 3, "pooling_opportunities": 1, "campaign_status": 48}

    bench = read_benchmark(engine)
    assert tuple(bench.columns) == BENCHMARK_COLUMNS
    assert list(zip(bench["annee"], bench["chu"], strict=True)) == [
        (2023, "FES"),
        (2024, "FES"),
        (2024, "MAR"),
    ]
    fes = bench[(bench["chu"] == "FES") & (bench["annee"] == 2024)].iloc[0]
    assert fes["indice_maturite"] == 3.33  # (3 + 4 + 3) / 3
    assert fes["part_mesures_niveau3_pct"] == 100.0
    assert fes["ecart_cible"] == 0.33  # (1 + 0 + 0) / 3
    assert fes["depense_ssi_mad"] == 400_000.0
    assert fes["part_capex_pct"] == 75.0
    assert fes["part_budget_si_pct"] == 2.0  # 400 000 / 20 000 000
    assert fes["part_si_budget_total_pct"] == 2.0
    assert fes["depense_par_lit_mad"] == 444.44
    assert fes["effectif_ssi_pour_100_si"] == 8.0
    assert fes["rang_maturite"] == 1
    assert fes["ecart_mediane_indice"] == 0.67  # 3.33 - median(3.33, 2.0) = 0.665, half up
    assert fes["evolution_indice"] == 1.33  # 3.33 - 2.0
    mar = bench[(bench["chu"] == "MAR")].iloc[0]
    assert mar["rang_maturite"] == 2
    assert pd.isna(mar["part_budget_si_pct"])  # its profile was rejected: null, not 0
    assert pd.isna(mar["evolution_indice"])  # first campaign
    assert read_benchmark(engine, annee=2023)["chu"].tolist() == ["FES"]

    # Every figure traces back to its submissions.
    with_sources = read_benchmark(engine, annee=2024, with_sources=True)
    assert with_sources.loc[0, "maturite_submission_id"] == ids["fes_m"]
    assert with_sources.loc[0, "profil_submission_id"] == ids["fes_p"]
    assert pd.isna(with_sources.loc[1, "profil_submission_id"])
    trace = trace_benchmark(engine, "FES", 2024)
    assert trace["up_to_date"] is True
    assert trace["current"] == {
        "maturite": ids["fes_m"],
        "depenses": ids["fes_d"],
        "profil": ids["fes_p"],
    }
    assert trace["sources"]["depenses"]["sha256"] == sha256_hex(b"fes_d")
    assert trace["sources"]["profil"]["report"]["rows"] == 1
    assert trace["benchmark"]["indice_maturite"] == 3.33
    assert trace["computed_at"] is not None and trace["computed_at"].tzinfo is not None

    pooling = read_pooling(engine)
    assert frame_to_records(pooling) == [
        {
            "annee": 2024,
            "type": "fournisseur",
            "nom": "FORTINET",
            "nb_chu": 2,
            "chus": "FES,MAR",
            "total_mad": 500_000.0,
            "taux_economie": 0.15,
            "economie_estimee_mad": 75_000.0,
            "submission_ids": f"{ids['fes_d']},{ids['mar_d']}",
        }
    ]

    status = read_campaign_status(engine, annee=2024)
    by_key = status.set_index(["chu", "kind"])["status"].to_dict()
    assert by_key[("FES", "profil")] == "valide"
    assert by_key[("MAR", "profil")] == "invalide"
    assert by_key[("CAS", "maturite")] == "manquant"
    assert ("AGA", "maturite") not in by_key
    assert (
        status.set_index(["chu", "kind"]).loc[("FES", "maturite"), "current_submission_id"]
        == ids["fes_m"]
    )
    overall = read_overall_status(engine, annee=2024).set_index("chu")["status"].to_dict()
    assert overall == {
        "CAS": "manquant",
        "FES": "valide",
        "MAR": "invalide",
        "RAB": "manquant",
        "TNG": "manquant",
    }
    # Ordered by year, CHU, kind.
    assert read_current_submissions(engine, annee=2024)["id"].tolist() == [
        ids["fes_d"],
        ids["fes_m"],
        ids["fes_p"],
        ids["mar_d"],
        ids["mar_m"],
    ]

    # A new file: the stored row is now stale until the next rebuild.
    newer = store(engine, b"fes_m2", maturity_result("FES", 2024, [5, 5]), T0 + timedelta(days=2))
    stale = trace_benchmark(engine, "FES", 2024)
    assert stale["up_to_date"] is False and stale["current"]["maturite"] == newer.id
    rebuild_benchmark(engine, REFERENCE)
    assert read_benchmark(engine, annee=2024).iloc[0]["indice_maturite"] == 5.0
    assert trace_benchmark(engine, "FES", 2024)["up_to_date"] is True
    assert trace_benchmark(engine, "AGA", 2023)["benchmark"] is None


def derived_tables(engine: Engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for table in (benchmark, pooling_opportunities, campaign_status):
            columns = [c for c in table.c if c.name != "computed_at"]
            rows = conn.execute(sa.select(*columns).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


def test_rebuild_twice_gives_identical_tables(engine: Engine) -> None:
    load_alliance(engine)
    rebuild_benchmark(engine, REFERENCE)
    first = derived_tables(engine)
    rebuild_benchmark(engine, REFERENCE)
    assert derived_tables(engine) == first
    assert len(first["benchmark"]) == 3 and len(first["pooling_opportunities"]) == 1


def test_a_failed_rebuild_keeps_the_previous_tables(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_alliance(engine)
    rebuild_benchmark(engine, REFERENCE)
    before = derived_tables(engine)
    store(engine, b"cas", maturity_result("CAS", 2024, [5]), T0 + timedelta(days=3))
    real_rows = refresh_module._rows
    calls = {"n": 0}

    def crash_on_second(frame, computed_at):  # noqa: ANN001, ANN202
        # The three tables were already emptied when this runs.
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("panne simulée")
        return real_rows(frame, computed_at)

    monkeypatch.setattr(refresh_module, "_rows", crash_on_second)
    with pytest.raises(RuntimeError):
        rebuild_benchmark(engine, REFERENCE)
    assert derived_tables(engine) == before


def test_reads_on_an_empty_warehouse(engine: Engine) -> None:
    assert read_benchmark(engine).empty
    assert tuple(read_benchmark(engine).columns) == BENCHMARK_COLUMNS
    assert read_pooling(engine).empty
    assert read_campaign_status(engine).empty
    assert read_current_answers(engine).empty
    assert list_submissions(engine).empty
    counts = rebuild_benchmark(engine, REFERENCE)
    assert counts["benchmark"] == 0 and counts["pooling_opportunities"] == 0
    assert counts["campaign_status"] == 48  # everything "manquant"
    assert set(read_campaign_status(engine)["status"]) == {"manquant"}
