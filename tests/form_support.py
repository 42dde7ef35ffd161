"""Helpers for the form tests (AppTest and browser): what the pipeline does with pending
submissions, FES's figures, FES files with other answers, and the form's widgets."""

from __future__ import annotations

from typing import Any

from tests.dashboard_support import SAMPLE_DIR, exceptions

FES_MATURITY = SAMPLE_DIR / "FES" / "maturite_fes_2025.csv"
FES_PROFILE = SAMPLE_DIR / "FES" / "profil_fes_2025.csv"


def run_pipeline(url: str) -> None:
    """What the pipeline does with pending submissions (assets/ingest.py)."""
    from expectations.reference import load_reference
    from warehouse.engine import make_engine
    from warehouse.ingestion import changed_partitions, process_pending
    from warehouse.refresh import refresh_benchmark

    engine = make_engine(url)
    outcomes = process_pending(engine)
    refresh_benchmark(engine, load_reference(), changed_partitions(outcomes))


def fes_2025_figures(url: str) -> dict:
    from warehouse.engine import make_engine
    from warehouse.reads import read_benchmark

    frame = read_benchmark(make_engine(url), 2025)
    return frame[frame["chu"] == "FES"].iloc[0].to_dict()


def changed_fes_files() -> dict[str, bytes]:
    """FES's 2025 maturity and profile with other answers: every level 4, 1 000 beds."""
    maturity = FES_MATURITY.read_bytes()
    lines = maturity.split(b"\r\n") if b"\r\n" in maturity else maturity.split(b"\n")
    header = lines[0].split(b";")
    level = [h.strip().lower() for h in header].index(b"niveau")
    changed = [lines[0]]
    for line in lines[1:]:
        cells = line.split(b";")
        if len(cells) > level and cells[level].strip() not in (b"", b"NA", b"na"):
            cells[level] = b"4"
        changed.append(b";".join(cells))
    profile = FES_PROFILE.read_bytes().replace(b";900;", b";1000;")
    assert profile != FES_PROFILE.read_bytes()
    return {"maturite": b"\r\n".join(changed), "profil": profile}


def choose_form(at: Any, kind: str) -> Any:
    at.radio(key="formulaire_kind").set_value(kind).run()
    assert not exceptions(at), exceptions(at)
    return at


def button(at: Any, label: str) -> Any:
    [button] = [b for b in at.button if b.label == label]
    return button


def export_fes_2025(url: str) -> dict[str, str]:
    """FES's 2025 row of ``chu-bench export`` (the real command, CSV on standard output)."""
    import csv
    import io
    import subprocess
    import sys

    from tests.dashboard_support import PROJECT_ROOT

    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "export", "--annee", "2025",
         "--database-url", url],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    text = done.stdout.lstrip("\ufeff")
    delimiter = ";" if text.splitlines()[0].count(";") else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    [row] = [r for r in rows if r["chu"] == "FES"]
    return row


def browser_form(page: Any, kind_label: str) -> Any:
    """Chooses the questionnaire in the form of the Dépôt page (real browser)."""
    from tests.browser_support import wait_idle

    group = page.locator("[data-testid='stRadio']").filter(has_text="Questionnaire")
    group.get_by_text(kind_label, exact=True).click()
    wait_idle(page)
    return page.locator("[data-testid='stForm']").filter(has_text="Enregistrer le brouillon")


def capture_downloads(monkeypatch: Any) -> dict[str, bytes]:
    """Under AppTest, build each download as a click would and keep it by file name."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    built: dict[str, bytes] = {}
    add_deferred = MediaFileManager.add_deferred

    def clicked(self: Any, data_callable: Any, mimetype: Any, coordinates: str,
                file_name: str | None = None, **kwargs: Any) -> str:  # fmt: skip
        built[file_name or coordinates] = data_callable()
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", clicked)
    return built
