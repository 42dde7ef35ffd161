"""Adversarial review of the pipeline against the contract (DESIGN §4–§7).

Each test is a finding of the review: an input, and what the contract requires for it.
"""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines.cli import main
from tests.conftest import SAMPLE_DIR
from tests.ingestion_support import check_evaluations, land
from tests.ingestion_support import evaluate_landing_sensor as evaluate
from tests.ingestion_support import execute_request as run
from warehouse.benchmark import MANQUANT, VALIDE, compute_campaign_status
from warehouse.engine import dispose_engines, make_engine
from warehouse.schema import maturity_answers, metadata, submissions
from warehouse.submissions import (
    get_submission,
    list_submissions,
    sha256_hex,
    store_submission,
    submission_exists,
)

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

FES_MATURITE = "FES/maturite_fes_2025.csv"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def validate(path: Path, sender_chu: str):  # noqa: ANN201
    from expectations.validate import validate_bytes

    return validate_bytes(path.read_bytes(), path.name, sender_chu=sender_chu)


# --- same bytes, another sender ------------------------------------------------------------


def test_same_bytes_from_another_chu_do_not_block_the_rightful_sender(
    tmp_path: Path, database_url: str
) -> None:
    """Fès's file first dropped by mistake in Marrakech's folder is rejected (MAR is not FES);
    Fès's own copy of the very same bytes must still load, and be current."""
    engine = make_engine(database_url)
    path = SAMPLE_DIR / FES_MATURITE
    content = path.read_bytes()
    wrong = store_submission(
        engine,
        content=content,
        filename=path.name,
        result=validate(path, "MAR"),
        sender="dossier de dépôt MAR",
        channel="capteur",
        sender_chu="MAR",
    )
    assert wrong.status == "rejected"
    assert submission_exists(engine, wrong.sha256)
    assert not submission_exists(engine, wrong.sha256, "FES")

    right = store_submission(
        engine,
        content=content,
        filename=path.name,
        result=validate(path, "FES"),
        sender="dossier de dépôt FES",
        channel="capteur",
        sender_chu="FES",
    )
    assert right.created and right.status == "current" and right.id != wrong.id
    assert get_submission(engine, wrong.id)["status"] == "rejected"  # nothing is lost
    # Same bytes from the same CHU again: still one submission.
    again = store_submission(
        engine,
        content=content,
        filename="copie.csv",
        result=validate(path, "FES"),
        sender="dossier de dépôt FES",
        channel="capteur",
        sender_chu="FES",
    )
    assert again.id == right.id and not again.created
    assert len(list_submissions(engine)) == 2


def test_sensor_requests_the_rightful_senders_copy(tmp_path: Path, sqlite_url: str) -> None:
    wrong = tmp_path / "MAR" / "maturite_fes_2025.csv"
    wrong.parent.mkdir()
    shutil.copyfile(SAMPLE_DIR / FES_MATURITE, wrong)
    (first,) = evaluate(tmp_path, sqlite_url)
    result = run(first, sqlite_url)
    assert result.success
    assert [(c.partition, c.passed) for c in check_evaluations(result)] == [("2025|MAR", False)]
    land(tmp_path, "FES", FES_MATURITE)
    (second,) = evaluate(tmp_path, sqlite_url)
    assert second.run_key != first.run_key
    assert [f["sender_chu"] for f in second.run_config["ops"]["ingest"]["config"]["files"]] == [
        "FES"
    ]
    result = run(second, sqlite_url)
    assert result.success
    assert [(c.partition, c.passed) for c in check_evaluations(result)] == [("2025|FES", True)]
    statuses = list_submissions(make_engine(sqlite_url))[["sender_chu", "status"]]
    assert sorted(map(tuple, statuses.values.tolist())) == [
        ("FES", "current"),
        ("MAR", "rejected"),
    ]
    assert evaluate(tmp_path, sqlite_url) == []


def test_chu_bench_run_reports_a_copy_in_another_folder_as_rejected(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    land(tmp_path, "FES", FES_MATURITE)
    (tmp_path / "MAR").mkdir()
    shutil.copyfile(SAMPLE_DIR / FES_MATURITE, tmp_path / "MAR" / "copie.csv")
    (tmp_path / "MAR" / "notes.txt").write_text("pas un CSV")
    (tmp_path / "Divers").mkdir()
    code, out, _err = cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)
    assert code == 0, out
    assert "FES/maturite_fes_2025.csv … acceptée" in out
    assert "MAR/copie.csv … rejetée" in out  # not « acceptée (déjà reçue) »
    assert "Dossier ignoré : Divers/" in out
    assert "notes.txt" not in out
    # Re-running changes nothing.
    code, out, _err = cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)
    assert "MAR/copie.csv … rejetée (déjà reçue)" in out
    assert len(list_submissions(make_engine(sqlite_url))) == 2


def test_an_old_warehouse_with_unique_sha256_is_upgraded_keeping_its_rows(
    database_url: str,
) -> None:
    """A warehouse created before this change has UNIQUE(sha256): make_engine upgrades it."""
    dispose_engines()
    raw = sa.create_engine(database_url)
    create = str(sa.schema.CreateTable(submissions).compile(dialect=raw.dialect)).rstrip()
    assert create.endswith(")")
    create = create[:-1].rstrip() + ",\n\tUNIQUE (sha256)\n)"
    with raw.begin() as conn:
        conn.exec_driver_sql(create)
    metadata.create_all(raw, tables=[t for t in metadata.sorted_tables if t is not submissions])
    path = SAMPLE_DIR / FES_MATURITE
    with raw.begin() as conn:
        old_id = conn.execute(
            submissions.insert()
            .values(
                sha256=sha256_hex(path.read_bytes()),
                filename=path.name,
                size_bytes=1,
                content=path.read_bytes(),
                sender="x",
                sender_chu="MAR",
                channel="capteur",
                received_at=pd.Timestamp("2025-01-01", tz="UTC").to_pydatetime(),
                kind="maturite",
                chu="FES",
                annee=2025,
                valid=False,
                status="rejected",
                n_errors=1,
                n_warnings=0,
                report={},
            )
            .returning(submissions.c.id)
        ).scalar_one()
    raw.dispose()

    engine = make_engine(database_url)
    assert get_submission(engine, old_id)["sender_chu"] == "MAR"
    stored = store_submission(
        engine,
        content=path.read_bytes(),
        filename=path.name,
        result=validate(path, "FES"),
        sender="FES",
        channel="capteur",
        sender_chu="FES",
    )
    assert stored.created and stored.status == "current"
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(maturity_answers)).scalar() == 104
        )
    # The new unique index holds: same bytes, same sender, inserted behind our back, fails.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        row = dict(
            conn.execute(sa.select(submissions).where(submissions.c.id == stored.id)).one()._mapping
        )
        row.pop("id")
        row["status"] = "rejected"
        conn.execute(submissions.insert().values(**row))
    dispose_engines()


# --- supersede, then the old bytes again -------------------------------------------------


def test_old_bytes_resent_after_a_correction_stay_superseded(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision (DESIGN §4): the same bytes twice are one submission, so re-sending the
    superseded version changes nothing; the corrected file stays current."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    original = (SAMPLE_DIR / "FES" / "profil_fes_2025.csv").read_bytes()
    corrected = original.replace(b";4;", b";5;", 1)
    assert corrected != original
    folder = tmp_path / "FES"
    folder.mkdir()
    (folder / "profil.csv").write_bytes(original)
    assert cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)[0] == 0
    (folder / "profil.csv").write_bytes(corrected)
    assert cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)[0] == 0
    (folder / "profil.csv").write_bytes(original)
    code, out, _ = cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)
    assert code == 0 and "déjà reçue" in out
    frame = list_submissions(make_engine(sqlite_url))
    assert frame["status"].tolist() == ["superseded", "current"]
    assert frame["sha256"].tolist() == [sha256_hex(original), sha256_hex(corrected)]


# --- a year without campaign -------------------------------------------------------------


def test_a_year_without_campaign_lists_only_what_was_received() -> None:
    subs = pd.DataFrame(
        [(1, "FES", 2026, "profil", "current", pd.Timestamp("2025-12-01", tz="UTC"), "FES")],
        columns=["id", "chu", "annee", "kind", "status", "received_at", "sender_chu"],
    )
    frame = compute_campaign_status(subs, ["FES", "MAR"], [2025])
    year = frame[frame["annee"] == 2026]
    assert year[["chu", "kind", "status"]].values.tolist() == [["FES", "profil", VALIDE]]
    assert set(frame[frame["annee"] == 2025]["status"]) == {MANQUANT}
    assert len(frame[frame["annee"] == 2025]) == 6


def test_a_2026_file_is_kept_exported_and_does_not_open_a_campaign(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    folder = tmp_path / "FES"
    folder.mkdir()
    text = (SAMPLE_DIR / "FES" / "profil_fes_2025.csv").read_bytes()
    (folder / "profil_2026.csv").write_bytes(text.replace(b"FES;2025;", b"FES;2026;"))
    code, out, err = cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)
    assert code == 0 and "profil_2026.csv … acceptée" in out, out + err
    code, out, _ = cli(
        "export", "--annee", "2026", "--format", "json", "--database-url", sqlite_url
    )
    (row,) = json.loads(out)
    assert row["chu"] == "FES" and row["annee"] == 2026
    assert row["indice_maturite"] is None and row["part_si_budget_total_pct"] is not None
    from warehouse.reads import read_campaign_status

    status = read_campaign_status(make_engine(sqlite_url), annee=2026)
    assert status[["chu", "kind", "status"]].values.tolist() == [["FES", "profil", "valide"]]


# --- command line -------------------------------------------------------------------------


def test_report_for_a_year_without_data_says_so_in_french(tmp_path: Path, sqlite_url: str) -> None:
    output = tmp_path / "r.html"
    code, out, err = cli(
        "report", "--annee", "2019", "-o", str(output), "--database-url", sqlite_url
    )
    assert code == 0 and output.is_file()
    assert "aucune donnée de benchmark pour 2019" in err


def test_run_on_an_empty_or_missing_landing_folder(tmp_path: Path, sqlite_url: str) -> None:
    code, _out, err = cli(
        "run", "--landing", str(tmp_path / "absent"), "--database-url", sqlite_url
    )
    assert code == 2 and "dossier de dépôt introuvable" in err
    code, out, _err = cli("run", "--landing", str(tmp_path), "--database-url", sqlite_url)
    assert code == 0 and "Aucun fichier CSV" in out


def test_a_file_that_vanishes_after_the_scan_does_not_stop_the_others(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = land(tmp_path, "FES", "FES/profil_fes_2025.csv")
    land(tmp_path, "FES", FES_MATURITE)
    import assets.landing

    real_read = assets.landing.read_landed

    def read_landed(path: Path) -> bytes:
        if path == gone:
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_read(path)

    monkeypatch.setattr(assets.landing, "read_landed", read_landed)
    # The sensor skips the unreadable file and still asks for the other one.
    (request,) = evaluate(tmp_path, sqlite_url)
    (entry,) = request.run_config["ops"]["ingest"]["config"]["files"]
    assert entry["path"].endswith("maturite_fes_2025.csv")
    # chu-bench run says which file failed, loads the other, and exits non-zero.
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["run", "--landing", str(tmp_path), "--database-url", sqlite_url])
    assert code == 1
    assert "FES/profil_fes_2025.csv … ÉCHEC : fichier illisible" in out.getvalue()
    assert "Traceback" not in out.getvalue() + err.getvalue()
    statuses = list_submissions(make_engine(sqlite_url))["filename"].tolist()
    assert statuses == ["maturite_fes_2025.csv"]
