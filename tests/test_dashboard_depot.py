"""The Dépôt page: a DSI uploads CSV files (AppTest, real contract and warehouse)."""

from __future__ import annotations

import hashlib

import pandas as pd
import sqlalchemy as sa

from tests.dashboard_support import (  # noqa: F401 - fixtures
    SAMPLE_DIR,
    exceptions,
    login_as,
    make_app,
    open_page,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)
from tests.ingestion_support import check_evaluations, run_pending_submissions
from warehouse.engine import make_engine
from warehouse.schema import benchmark, profiles, submissions

FES_PROFILE = (SAMPLE_DIR / "FES" / "profil_fes_2025.csv").read_bytes()
# Same data, new bytes (a trailing blank line is ignored by the contract): a new submission.
FES_PROFILE_NEW = FES_PROFILE.replace(b";900;", b";950;")
FES_PROFILE_BROKEN = FES_PROFILE.replace(b";900;", b";beaucoup;").replace(b";16;1;", b";16;;")
TNG_MATURITY_SAMPLE = (SAMPLE_DIR / "TNG" / "maturite_tng_2024.csv").read_bytes()
# A valid Tanger file the warehouse has not seen yet (new bytes, same data).
TNG_MATURITY = TNG_MATURITY_SAMPLE + b"\n"


def _upload(at, files: list[tuple[str, bytes]]):  # noqa: ANN001, ANN202
    [uploader] = at.file_uploader
    uploader.set_value([(name, content, "text/csv") for name, content in files])
    [submit] = [b for b in at.button if b.label == "Vérifier et déposer"]
    submit.click()
    at.run()
    assert not exceptions(at), exceptions(at)
    return at


def _report_table(at) -> pd.DataFrame:  # noqa: ANN001
    """The report's table of errors (the page also holds the form's tables)."""
    return next(d.value for d in at.dataframe if "Message" in d.value.columns)


def _depot(url: str):  # noqa: ANN202
    at = login_as(make_app(), "dsi-fes-test")
    open_page(at, "depot")
    assert not exceptions(at)
    return at


def _current(url: str, chu: str, annee: int, kind: str) -> list[dict]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(submissions).where(
                (submissions.c.chu == chu)
                & (submissions.c.annee == annee)
                & (submissions.c.kind == kind)
                & (submissions.c.status == "current")
            )
        ).all()
    return [dict(r._mapping) for r in rows]


def test_page_offers_the_three_templates(warehouse_url: str) -> None:
    at = _depot(warehouse_url)
    assert [t.value for t in at.title] == ["Dépôt des fichiers"]
    assert any("CHU Hassan II de Fès" in m.value for m in at.markdown)
    assert len(at.file_uploader) == 1 and at.file_uploader[0].accept_multiple_files
    labels = [el.proto.label for el in at.get("download_button")]
    assert len(labels) == 3 and all(label.startswith("Modèle") for label in labels)


def _statuses(url: str, filename: str) -> list[str]:
    with make_engine(url).connect() as conn:
        return list(
            conn.execute(
                sa.select(submissions.c.status).where(submissions.c.filename == filename)
            ).scalars()
        )


def test_valid_upload_is_checked_at_once_then_made_current_by_the_pipeline(
    warehouse_url: str,
) -> None:
    before = _current(warehouse_url, "FES", 2025, "profil")
    at = _depot(warehouse_url)
    _upload(at, [("profil_fes_2025_v2.csv", FES_PROFILE_NEW)])
    assert any("fichier valide" in s.value for s in at.success)
    assert any("le pipeline l'intègre" in i.value for i in at.info)
    # Validated and kept, not yet current: the pipeline owns the warehouse's state.
    assert _statuses(warehouse_url, "profil_fes_2025_v2.csv") == ["pending"]
    assert _current(warehouse_url, "FES", 2025, "profil") == before

    (run,) = run_pending_submissions(warehouse_url)  # the Dagster sensor, then its run
    assert run.success
    (check,) = check_evaluations(run)
    assert check.partition == "2025|FES" and check.passed
    [now] = _current(warehouse_url, "FES", 2025, "profil")
    assert now["sender"] == "dsi-fes-test"
    assert now["channel"] == "depot"
    assert now["sender_chu"] == "FES"
    assert now["filename"] == "profil_fes_2025_v2.csv"
    assert now["id"] != before[0]["id"]
    engine = make_engine(warehouse_url)
    with engine.connect() as conn:
        old_status = conn.execute(
            sa.select(submissions.c.status).where(submissions.c.id == before[0]["id"])
        ).scalar_one()
        lits = conn.execute(
            sa.select(profiles.c.lits).where(profiles.c.submission_id == now["id"])
        ).scalar_one()
        source = conn.execute(
            sa.select(benchmark.c.profil_submission_id).where(
                (benchmark.c.chu == "FES") & (benchmark.c.annee == 2025)
            )
        ).scalar_one()
    assert old_status == "superseded"
    assert lits == 950
    assert source == now["id"]  # the benchmark was rebuilt from the new file

    # The same bytes again: one submission, nothing changes, the page says so.
    _upload(at, [("profil_fes_2025_v2.csv", FES_PROFILE_NEW)])
    assert any("déjà été reçu" in i.value for i in at.info)
    assert _current(warehouse_url, "FES", 2025, "profil")[0]["id"] == now["id"]


def test_invalid_upload_shows_its_errors_and_is_rejected(warehouse_url: str) -> None:
    before = _current(warehouse_url, "FES", 2025, "profil")
    at = _depot(warehouse_url)
    _upload(at, [("profil_casse.csv", FES_PROFILE_BROKEN)])
    assert any("fichier invalide" in e.value for e in at.error)
    (run,) = run_pending_submissions(warehouse_url)
    assert run.success  # a rejection is data: a failed check, not a failed run
    (check,) = check_evaluations(run)
    assert check.partition == "2025|FES" and not check.passed
    errors = _report_table(at)
    assert isinstance(errors, pd.DataFrame)
    assert list(errors.columns) == ["Ligne", "Colonne", "Valeur lue", "Message"]
    assert "2" in set(errors["Ligne"])
    assert {"lits", "effectif_ssi"} <= set(errors["Colonne"])
    assert errors["Message"].str.contains("Ligne 2").any()
    engine = make_engine(warehouse_url)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(submissions).where(submissions.c.filename == "profil_casse.csv")
        ).one()
    assert stored.status == "rejected" and stored.sender == "dsi-fes-test"
    assert stored.channel == "depot" and stored.n_errors >= 2
    assert _current(warehouse_url, "FES", 2025, "profil") == before


def test_another_chus_file_is_refused(warehouse_url: str) -> None:
    before = _current(warehouse_url, "TNG", 2024, "maturite")
    assert before
    at = _depot(warehouse_url)
    _upload(at, [("maturite_tng_2024.csv", TNG_MATURITY)])
    assert any("fichier invalide" in e.value for e in at.error)
    run_pending_submissions(warehouse_url)
    errors = _report_table(at)
    assert "chu" in set(errors["Colonne"])
    assert _current(warehouse_url, "TNG", 2024, "maturite") == before
    engine = make_engine(warehouse_url)
    with engine.connect() as conn:
        statuses = (
            conn.execute(
                sa.select(submissions.c.status).where(submissions.c.sender == "dsi-fes-test")
            )
            .scalars()
            .all()
        )
    assert statuses == ["rejected"]


def test_several_files_at_once(warehouse_url: str) -> None:
    at = _depot(warehouse_url)
    _upload(
        at,
        [("profil_fes_2025_v2.csv", FES_PROFILE_NEW), ("profil_casse.csv", FES_PROFILE_BROKEN)],
    )
    assert len(at.success) == 1 and any("fichier invalide" in e.value for e in at.error)
    (run,) = run_pending_submissions(warehouse_url)  # both files in one run
    assert run.success
    assert _current(warehouse_url, "FES", 2025, "profil")[0]["filename"] == "profil_fes_2025_v2.csv"


def test_a_copy_of_a_peers_stored_file_reveals_nothing(warehouse_url: str) -> None:
    before = _current(warehouse_url, "TNG", 2024, "maturite")
    at = _depot(warehouse_url)
    _upload(at, [("maturite_tng_2024.csv", TNG_MATURITY_SAMPLE)])
    assert any("fichier invalide" in e.value for e in at.error)
    run_pending_submissions(warehouse_url)
    # Sent by FES, the same bytes are FES's own (rejected) submission: nothing says that
    # Tanger's file was already received, nor anything about it.
    assert not [i.value for i in at.info if "déjà été reçu" in i.value]
    assert _current(warehouse_url, "TNG", 2024, "maturite") == before
    engine = sa.create_engine(warehouse_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(submissions.c.status, submissions.c.sender_chu).where(
                submissions.c.sha256 == hashlib.sha256(TNG_MATURITY_SAMPLE).hexdigest()
            )
        ).all()
    engine.dispose()
    assert sorted(rows) == [("current", "TNG"), ("rejected", "FES")]
