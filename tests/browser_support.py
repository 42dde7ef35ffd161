"""Shared helpers for the confidentiality tests of the DSI view, in AppTest and in a real
browser (Playwright driving Debian's chromium, DESIGN §9).

- ``small_campaign(url, chus)``: a warehouse whose only campaign (2025) was answered by
  ``chus`` alone (FES and one peer, or FES and two peers), built from the sample files
  through the one ingestion service; FES's and every peer's spending files also name a
  hostile supplier (``HOSTILE_SUPPLIER``), and FES's maturity file is stored under a hostile
  name (``HOSTILE_FILENAME``);
- ``peer_figures(url, peer)`` / ``peer_free_text(peers)``: what must never reach the FES DSI
  (a peer's figures as the dashboard would print or export them, a peer's typed text);
- ``StreamlitServer`` / ``launch_browser`` / ``login`` / ``visit_every_page`` /
  ``download_everything``: the browser machinery of tests/test_browser.py.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.dashboard_support import (
    ACCOUNTS,
    APP_PATH,
    PROJECT_ROOT,
    SAMPLE_DIR,
    TEST_ACCOUNTS,
    env_for_app,
)

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHU_BENCH_CHROMIUM", "/usr/bin/chromium")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CAMPAIGN = 2025
OWN = "FES"
HOSTILE_SUPPLIER = '<a href="http://evil/x">SOC</a>'
HOSTILE_SOLUTION = '<img src="http://evil/i.png"><span style="color:red">EDR</span>'
HOSTILE_FILENAME = "[clic](http://evil) ![](http://evil/p.png).csv"


def _decode(content: bytes) -> tuple[str, str]:
    """The text of a sample file and its encoding (the sample varies them on purpose)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        return content.decode("cp1252"), "cp1252"


def _sample(chu: str, kind: str, annee: int = CAMPAIGN) -> tuple[str, str]:
    return _decode((SAMPLE_DIR / chu / f"{kind}_{chu.lower()}_{annee}.csv").read_bytes())


def _sample_text(chu: str, kind: str, annee: int = CAMPAIGN) -> str:
    return _sample(chu, kind, annee)[0]


def _column_key(header: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return ascii_name.strip().lower()


def sample_rows(chu: str, kind: str) -> list[dict[str, str]]:
    """The rows of a sample file keyed by contract column name (headers vary in case,
    accents, spaces and delimiter)."""
    text = _sample_text(chu, kind)
    delimiter = ";" if text.splitlines()[0].count(";") >= text.splitlines()[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [_column_key(h) for h in next(reader)]
    return [dict(zip(header, row, strict=False)) for row in reader if any(row)]


def _with_hostile_purchase(text: str, chu: str, amount: int) -> str:
    """The spending file plus one line naming the hostile supplier and solution, written in
    the file's own header order and delimiter."""
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    values = {
        "chu": chu,
        "annee": str(CAMPAIGN),
        "categorie": "prestations",
        "nature": "opex",
        "montant_mad": str(amount),
        "libelle": "Centre de supervision externalise",
        "fonction_csf": "DE",
        "fournisseur": HOSTILE_SUPPLIER,
        "solution": HOSTILE_SOLUTION,
    }
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(
        [values[_column_key(h)] for h in next(csv.reader([first], delimiter=delimiter))]
    )
    return text.rstrip("\r\n") + "\r\n" + buffer.getvalue()


def small_campaign(url: str, chus: Iterable[str]) -> dict[str, Any]:
    """Seeds ``url`` with the 2025 campaign of ``chus`` only (see the module docstring) and
    the test accounts; returns the ingestion statuses by file name."""
    from expectations.reference import load_reference
    from warehouse.accounts import create_user
    from warehouse.engine import make_engine
    from warehouse.ingestion import ReceivedFile, ingest_files
    from warehouse.refresh import rebuild_benchmark

    reference = load_reference()
    engine = make_engine(url)
    files = []
    for index, chu in enumerate(chus):
        for kind in ("maturite", "depenses", "profil"):
            text, encoding = _sample(chu, kind)
            if kind == "depenses":
                # Large enough to top the alliance's pooling chart.
                text = _with_hostile_purchase(text, chu, 4_100_000 + 1_000 * index)
            name = f"{kind}_{chu.lower()}_{CAMPAIGN}.csv"
            if chu == OWN and kind == "maturite":
                name = HOSTILE_FILENAME
            files.append(
                ReceivedFile(
                    content=text.encode(encoding),
                    filename=name,
                    sender_chu=chu,
                    sender="pipeline-test",
                    channel="test",
                )
            )
    outcomes = ingest_files(engine, files, reference=reference)
    rebuild_benchmark(engine, reference)
    for account in TEST_ACCOUNTS:
        create_user(engine, account.username, account.password, account.role, account.chu)
    return {o.filename: str(o.status) for o in outcomes}


# --- what must never reach the FES DSI --------------------------------------------------------


def _variants(value: float, decimals: Iterable[int]) -> set[str]:
    """A figure as the dashboard prints it (French, narrow no-break thousands), as a CSV
    download writes it (decimal comma, no grouping) and as Python/XLSX would (dot)."""
    from warehouse.charts import french_number

    out: set[str] = set()
    for d in decimals:
        french = french_number(value, d)
        out |= {french, french.replace("\u202f", " "), french.replace("\u202f", "")}
        plain = f"{value:.{d}f}"
        out |= {plain, plain.replace(".", ",")}
    out.add(repr(float(value)))
    out.add(repr(float(value)).replace(".", ","))
    return out


def peer_figures(url: str, peer: str, own: str = OWN) -> set[str]:
    """Every benchmark figure of ``peer`` in the campaign, in every printed form, less those
    that FES shares (the same value printed for FES is no leak) and less the short ones that
    any page prints anyway (« 0,0 », years, small counts)."""
    from warehouse.engine import make_engine
    from warehouse.reads import read_benchmark

    bench = read_benchmark(make_engine(url), CAMPAIGN)
    skip = {"chu", "annee", "rang_maturite", "maturite_submission_id"}
    columns = [c for c in bench.columns if c not in skip and not c.endswith("_submission_id")]

    def figures(code: str) -> set[str]:
        row = bench[bench["chu"] == code].iloc[0]
        out: set[str] = set()
        for column in columns:
            value = row[column]
            # A round small figure (100 %, 0) is printed everywhere for other reasons.
            if value is None or value != value or (float(value).is_integer() and value < 1000):
                continue
            out |= _variants(float(value), (0, 1, 2) if column.endswith("_mad") else (1, 2))
        return out

    mine = figures(own)
    return {
        text
        for text in figures(peer) - mine
        if len(text.replace(",", "").replace(".", "").replace(" ", "")) >= 4
    }


def peer_free_text(peers: Iterable[str], own: str = OWN) -> set[str]:
    """Text typed by the peers in their files (suppliers, solutions, spending labels,
    maturity comments) that FES's own files do not contain."""

    def texts(chu: str) -> set[str]:
        found: set[str] = set()
        for kind, columns in (
            ("depenses", ("libelle", "fournisseur", "solution")),
            ("maturite", ("commentaire",)),
        ):
            for row in sample_rows(chu, kind):
                for column in columns:
                    value = (row.get(column) or "").strip()
                    if len(value) >= 6:
                        found.add(value)
        return found

    mine = {t.casefold() for t in texts(own)}
    out: set[str] = set()
    for peer in peers:
        out |= {t for t in texts(peer) if t.casefold() not in mine}
    return out


def peer_identifiers(peers: Iterable[str]) -> set[str]:
    """Name, city and code of each peer, and the letters the old anonymisation used."""
    from expectations.reference import load_reference

    reference = load_reference()
    out = {f"CHU {letter}" for letter in "ABCDEFGH"}
    for code in peers:
        establishment = reference.establishments[code]
        out |= {code, establishment.nom, establishment.ville}
    return out


def contains_word(text: str, needle: str) -> bool:
    """``needle`` in ``text`` as a whole word or number (a code « RAB » inside « RABAIS »,
    or « 63,73 » inside « 163,735 », is no leak)."""
    import re

    return re.search(rf"(?<![\w.,]){re.escape(needle)}(?![\w]|[.,]\d)", text) is not None


# --- the browser -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(url: str, log: Path) -> Iterator[str]:
    """``streamlit run dashboard/app.py`` on the warehouse ``url``; yields its base URL."""
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env_for_app(url), stdout=output, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"streamlit n'a pas démarré :\n{log.read_text(errors='replace')}"
                )
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def launch_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def wait_idle(page: Any) -> None:
    # A rerun may start a moment after the click: let it start, then wait for its end.
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def login(browser: Any, server: str, username: str, *, screenshot: bool = False) -> Any:
    """A new page logged in as the test account ``username``; every request it makes is
    recorded in ``page.requested`` (a list of URLs)."""
    page = browser.new_page(
        viewport={"width": 1400, "height": 1000}, locale="fr-FR", accept_downloads=True
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.requested = requested
    page.goto(server)
    page.wait_for_selector("text=Connexion", timeout=60_000)
    wait_idle(page)
    # Nothing but the login form before logging in.
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.locator(".js-plotly-plot").count() == 0
    if screenshot:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "connexion.png"), full_page=True)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(ACCOUNTS[username].password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=60_000)
    wait_idle(page)
    return page


def open_page(page: Any, title: str) -> None:
    """Clicks the menu entry ``title`` and waits for the page's heading. On a loaded machine
    a click made while a rerun ends can be dropped: one more click then."""
    heading = f'h1:has-text("{title.split(" ")[0]}")'
    link = page.locator("[data-testid='stSidebarNav'] a", has_text=title).first
    wait_idle(page)
    try:
        link.wait_for(timeout=20_000)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "menu-absent.png"), full_page=True)
        raise
    link.click()
    try:
        page.wait_for_selector(heading, timeout=45_000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: retry once, then fail
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "clic-perdu.png"), full_page=True)
        link.click()
        page.wait_for_selector(heading, timeout=90_000)
    wait_idle(page)


def page_text(page: Any) -> str:
    """What the page shows (body text) and what its charts carry (Plotly's data and layout,
    hover texts included, which the body text does not show until hovered). Indented JSON:
    one array element per line, so that « 2.87,3.1 » cannot hide a figure from
    :func:`contains_word`."""
    charts = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
            (el) => JSON.stringify({data: el.data, layout: el.layout}, null, 1))"""
    )
    return page.inner_text("body") + "\n" + "\n".join(charts)


def open_every_tab(page: Any) -> str:
    """Clicks each tab of the page (Streamlit renders every tab, but charts in a hidden tab
    may not be drawn) and returns the text of each."""
    texts = []
    tabs = page.locator("[data-testid='stTab']")
    for index in range(tabs.count()):
        tabs.nth(index).click()
        page.wait_for_timeout(400)
        texts.append(page_text(page))
    return "\n".join(texts)


def download_everything(page: Any, directory: Path) -> dict[str, bytes]:
    """Clicks every download button of the page, in every tab and expander; returns file
    name → bytes."""
    for summary in page.locator("[data-testid='stExpander'] details:not([open]) summary").all():
        summary.click()
        page.wait_for_timeout(200)
    files: dict[str, bytes] = {}
    done: set[int] = set()
    tabs = page.locator("[data-testid='stTab']")
    buttons = page.locator("[data-testid='stDownloadButton'] button")
    for tab in range(max(1, tabs.count())):
        if tabs.count():
            tabs.nth(tab).click()
            page.wait_for_timeout(400)
        for index in range(buttons.count()):
            button = buttons.nth(index)
            if index in done or not button.is_visible():
                continue
            button.scroll_into_view_if_needed()
            with page.expect_download(timeout=30_000) as info:
                button.click()
            download = info.value
            target = directory / f"{index:02d}-{download.suggested_filename}"
            download.save_as(str(target))
            files[target.name] = target.read_bytes()
            done.add(index)
    missing = set(range(buttons.count())) - done
    assert not missing, f"boutons de téléchargement jamais visibles : {sorted(missing)}"
    return files


def download_text(name: str, content: bytes) -> str:
    """A downloaded CSV or XLSX as searchable text (every cell, numbers as Python writes
    them and as French Excel shows them)."""
    if name.endswith(".csv"):
        return content.decode("utf-8-sig")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if value is None:
                    continue
                cells.append(str(value))
                if isinstance(value, float):
                    cells.append(str(value).replace(".", ","))
    return "\n".join(cells)


def reconstructible_columns(measures_csv: bytes, url: str, peer: str, own: str = OWN) -> list[str]:
    """The columns of a downloaded measure table (CSV) from which ``peer``'s levels come back
    for most measures — as the column itself, or as 2 × column − own level (a mean of two),
    or 3 × column − own (a mean of three, the peer's part with a second peer)."""
    import pandas as pd

    from warehouse.engine import make_engine
    from warehouse.queries import measure_levels

    table = pd.read_csv(io.BytesIO(measures_csv), sep=";", decimal=",", encoding="utf-8-sig")
    table = table.set_index("mesure_id")
    levels = measure_levels(make_engine(url), CAMPAIGN)
    theirs = levels[levels["chu"] == peer].set_index("mesure_id")["niveau"].astype("float")
    own_levels = table["niveau"].astype("float")
    found = []
    for column in table.select_dtypes("number").columns:
        values = table[column].astype("float")
        for guess in (values, 2 * values - own_levels, 3 * values - own_levels):
            matches = (guess.reindex(theirs.index) == theirs).sum()
            if matches >= len(theirs) / 2 and not (values == own_levels).all():
                found.append(column)
                break
    return found
