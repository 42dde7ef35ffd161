"""The Dépôt page's form (issue 10): drafts kept per CHU, year and kind across logins, a DSI
sees only its own, and the same answers sent as CSV, as XLSX or through the form give the
same figures (the form goes through the one ingestion service, channel « formulaire »)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.views.formulaire import XLSX_MIME
from expectations.validate import validate_bytes
from expectations.workbook import csv_to_xlsx
from tests.dashboard_support import (  # noqa: F401 - fixtures
    SAMPLE_DIR,
    collect_text,
    copy_warehouse,
    exceptions,
    login_as,
    make_app,
    open_page,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)
from tests.form_support import (
    button,
    capture_downloads,
    changed_fes_files,
    choose_form,
    fes_2025_figures,
    run_pipeline,
)
from tests.workbook_support import open_book, save_book
from warehouse.drafts import (
    campaign_answers,
    form_file,
    list_drafts,
    load_draft,
    save_draft,
    submit_answers,
)
from warehouse.engine import make_engine
from warehouse.ingestion import (
    Channel,
    ReceivedFile,
    receive_files,
)
from warehouse.schema import submissions


def test_same_answers_as_csv_xlsx_and_form_give_the_same_figures(
    seeded_warehouse: Path, tmp_path: Path
) -> None:
    files = changed_fes_files()
    urls = {}
    for way in ("csv", "xlsx", "formulaire"):
        (tmp_path / way).mkdir()
        urls[way] = copy_warehouse(seeded_warehouse, tmp_path / way)
    before = fes_2025_figures(urls["csv"])
    for kind, content in files.items():
        name = f"{kind}_fes_2025"
        csv_result = validate_bytes(content, f"{name}.csv", sender_chu="FES")
        assert csv_result.valid, csv_result.report.errors[:3]
        receive_files(
            make_engine(urls["csv"]),
            [ReceivedFile(content, f"{name}.csv", "FES", "dsi", Channel.DEPOT)],
        )
        receive_files(
            make_engine(urls["xlsx"]),
            [ReceivedFile(csv_to_xlsx(content), f"{name}.xlsx", "FES", "dsi", Channel.DEPOT)],
        )
        # The form's answers: what the DSI would have typed, as the form hands them over.
        typed = csv_result.records.drop(columns=["line"]).to_dict(orient="records")
        rows = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in typed]
        if kind == "maturite":
            for row in rows:
                row["niveau"] = "NA" if row["niveau"] is None else str(row["niveau"])
        outcome = submit_answers(
            make_engine(urls["formulaire"]), chu="FES", annee=2025, kind=kind, rows=rows,
            sender="dsi",
        )  # fmt: skip
        assert outcome.valid and outcome.report["rows"] == csv_result.report.rows
    for url in urls.values():
        run_pipeline(url)
    figures = {way: fes_2025_figures(url) for way, url in urls.items()}
    assert figures["csv"]["indice_maturite"] != before["indice_maturite"]
    assert figures["csv"]["depense_par_lit_mad"] != before["depense_par_lit_mad"]
    for way in ("xlsx", "formulaire"):
        for column, value in figures["csv"].items():
            if column.endswith("_submission_id") or column == "computed_at":
                continue
            other = figures[way][column]
            assert (pd.isna(value) and pd.isna(other)) or value == other, (way, column)
    with make_engine(urls["formulaire"]).connect() as conn:
        channels = conn.execute(
            sa.select(submissions.c.channel).where(submissions.c.sender == "dsi")
        ).scalars()
        assert set(channels) == {"formulaire"}


def test_drafts_are_kept_per_chu_year_and_kind_and_only_for_that_chu(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    rows = campaign_answers(engine, chu="FES", annee=2025, kind="profil")
    save_draft(engine, chu="FES", annee=2025, kind="profil", rows=rows, saved_by="a")
    tng = [{**rows[0], "lits": 321}]
    save_draft(engine, chu="TNG", annee=2025, kind="profil", rows=tng, saved_by="b")
    save_draft(
        engine, chu="FES", annee=2025, kind="profil", rows=[{**rows[0], "lits": 777}], saved_by="a"
    )
    [fes] = list_drafts(engine, chu="FES")
    assert (fes.annee, fes.kind, fes.rows[0]["lits"]) == (2025, "profil", 777)
    assert load_draft(engine, chu="FES", annee=2024, kind="profil") is None
    assert load_draft(engine, chu="TNG", annee=2025, kind="profil").rows[0]["lits"] == 321


def test_an_invalid_form_is_refused_with_the_file_report_and_keeps_its_draft(
    warehouse_url: str,
) -> None:
    engine = make_engine(warehouse_url)
    rows = campaign_answers(engine, chu="FES", annee=2025, kind="profil")
    broken = [{**rows[0], "effectif_ssi": 9999}]
    save_draft(engine, chu="FES", annee=2025, kind="profil", rows=broken, saved_by="dsi")
    outcome = submit_answers(
        engine, chu="FES", annee=2025, kind="profil", rows=broken, sender="dsi"
    )
    name, content = form_file("profil", "FES", 2025, broken)
    as_file = validate_bytes(content, name, sender_chu="FES").report.to_dict()
    assert not outcome.valid
    assert outcome.report["errors"] == as_file["errors"]
    assert outcome.report["errors"][0]["column"] == "effectif_ssi"
    assert load_draft(engine, chu="FES", annee=2025, kind="profil") is not None


# --------------------------------------------------------------------------- the page


def test_the_page_form_saves_a_draft_found_at_the_next_login_then_submits_it(
    warehouse_url: str,
) -> None:
    engine = make_engine(warehouse_url)
    at = login_as(make_app(), "dsi-fes-test")
    open_page(at, "depot")
    choose_form(at, "profil")
    lits = next(n for n in at.number_input if n.label == "Lits")
    assert lits.value == campaign_answers(engine, chu="FES", annee=2025, kind="profil")[0]["lits"]
    lits.set_value(1234)
    button(at, "Enregistrer le brouillon").click().run()
    assert not exceptions(at), exceptions(at)
    assert load_draft(engine, chu="FES", annee=2025, kind="profil").rows[0]["lits"] == 1234

    again = login_as(make_app(), "dsi-fes-test")  # a new session: logged out and back in
    open_page(again, "depot")
    choose_form(again, "profil")
    assert any("Brouillon enregistré le" in c.value for c in again.caption)
    assert next(n for n in again.number_input if n.label == "Lits").value == 1234
    button(again, "Vérifier et envoyer").click().run()
    assert not exceptions(again), exceptions(again)
    with engine.connect() as conn:
        sent = conn.execute(
            sa.select(submissions.c.status, submissions.c.channel, submissions.c.chu)
            .where(submissions.c.sender == "dsi-fes-test")
        ).all()  # fmt: skip
    assert [tuple(r) for r in sent] == [("pending", "formulaire", "FES")]
    assert load_draft(engine, chu="FES", annee=2025, kind="profil") is None
    run_pipeline(warehouse_url)
    assert campaign_answers(engine, chu="FES", annee=2025, kind="profil")[0]["lits"] == 1234


def test_a_dsi_never_sees_another_chus_draft(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    rows = campaign_answers(engine, chu="TNG", annee=2024, kind="profil")
    save_draft(
        engine, chu="TNG", annee=2025, kind="profil", rows=[{**rows[0], "lits": 4321}],
        saved_by="dsi-tng-test",
    )  # fmt: skip
    at = login_as(make_app(), "dsi-fes-test")
    open_page(at, "depot")
    choose_form(at, "profil")
    text = collect_text(at)
    assert "4321" not in text and "dsi-tng-test" not in text
    assert not any("Brouillon enregistré le" in c.value for c in at.caption)


def test_depot_page_offers_prefilled_workbooks_and_takes_them_back(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = capture_downloads(monkeypatch)
    engine = make_engine(warehouse_url)
    at = login_as(make_app(), "dsi-fes-test")
    open_page(at, "depot")
    assert not exceptions(at), exceptions(at)
    workbook = built["profil_fes_2025.xlsx"]  # XLSX and prefilled: the page's defaults
    expected = campaign_answers(engine, chu="FES", annee=2025, kind="profil")[0]
    result = validate_bytes(workbook, "profil_fes_2025.xlsx", sender_chu="FES")
    assert result.valid, result.report.errors[:3]
    assert result.records["lits"].tolist() == [expected["lits"]]
    assert result.records["budget_si_mad"].tolist() == [expected["budget_si_mad"]]

    changed = open_book(workbook)
    changed["profil"]["C2"] = 987
    [uploader] = at.file_uploader
    uploader.set_value([("profil_fes_2025.xlsx", save_book(changed), XLSX_MIME)])
    button(at, "Vérifier et déposer").click().run()
    assert not exceptions(at), exceptions(at)
    run_pipeline(warehouse_url)
    assert campaign_answers(engine, chu="FES", annee=2025, kind="profil")[0]["lits"] == 987


def test_the_maturity_grid_starts_from_the_campaign_and_submits_every_measure(
    warehouse_url: str,
) -> None:
    engine = make_engine(warehouse_url)
    at = login_as(make_app(), "dsi-fes-test")
    open_page(at, "depot")
    choose_form(at, "maturite")
    button(at, "Enregistrer le brouillon").click().run()
    assert not exceptions(at), exceptions(at)
    draft = load_draft(engine, chu="FES", annee=2025, kind="maturite")
    answers = campaign_answers(engine, chu="FES", annee=2025, kind="maturite")
    assert len(draft.rows) == len(answers) == 104
    by_id = {a["mesure_id"]: a for a in answers}
    for row in draft.rows:
        want = by_id[row["mesure_id"]]
        assert row["niveau"] == str(want["niveau"])
        assert row["cible"] == (None if want["cible"] is None else str(want["cible"]))
    button(at, "Vérifier et envoyer").click().run()
    assert not exceptions(at), exceptions(at)
    outcome = at.session_state["formulaire_result"]
    # The same answers again: identical figures, a valid report of the 104 measures.
    assert outcome.valid and outcome.report["rows"] == 104
    assert outcome.report["file"] == "formulaire_maturite_fes_2025.csv"
