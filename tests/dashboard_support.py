"""Shared helpers for the dashboard tests (AppTest and browser).

- ``seed_warehouse(url)`` loads ``data/sample`` through the ingestion service
  (``warehouse.ingestion.ingest_files`` → ``rebuild_benchmark``) and creates the demo accounts plus a few test ones;
- the ``seeded_warehouse`` session fixture builds that SQLite file ONCE per test session;
  ``warehouse_url`` gives each test its own copy (tests that upload must not leak into others);
- ``make_app`` / ``login`` / ``open_page`` / ``collect_text`` drive ``AppTest``.

Test modules import the fixtures under their function names (the fixture names differ, so
that parameters do not shadow imports): ``from tests.dashboard_support import
seeded_warehouse_fixture, warehouse_url_fixture  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
APP_PATH = PROJECT_ROOT / "dashboard" / "app.py"
SEED_SENDER = "pipeline-test"
APP_TIMEOUT = 60


@dataclass(frozen=True)
class TestAccount:
    username: str
    password: str
    role: str
    chu: str | None


# Random passwords, drawn once per test session: no password literal in the repository. The
# demo names are test accounts too (the browser tests log in as them).
TEST_ACCOUNTS = tuple(
    TestAccount(username, secrets.token_urlsafe(15), role, chu)
    for username, role, chu in (
        ("alliance-test", "alliance", None),
        ("dsi-fes-test", "dsi", "FES"),
        ("dsi-tng-test", "dsi", "TNG"),
        ("admin-test", "admin", None),
        ("demo-alliance", "alliance", None),
        ("demo-dsi-fes", "dsi", "FES"),
        ("demo-admin", "admin", None),
    )
)
ACCOUNTS = {a.username: a for a in TEST_ACCOUNTS}


def sample_files(sample_dir: Path = SAMPLE_DIR) -> list[Path]:
    return sorted(p for p in sample_dir.glob("*/*.csv") if p.is_file())


def seed_warehouse(url: str, sample_dir: Path = SAMPLE_DIR) -> dict[str, Any]:
    """Loads every sample file as the pipeline does (the CHU folder is the sender), rebuilds
    the benchmark and creates the accounts. Returns counts for sanity checks."""
    from expectations.reference import load_reference
    from warehouse.accounts import create_user
    from warehouse.engine import make_engine
    from warehouse.ingestion import Channel, ReceivedFile, ingest_files
    from warehouse.refresh import rebuild_benchmark

    reference = load_reference()
    engine = make_engine(url)
    files = [
        ReceivedFile(path.read_bytes(), path.name, path.parent.name, SEED_SENDER, Channel.RUN)
        for path in sample_files(sample_dir)
    ]
    statuses: dict[str, int] = {}
    for outcome in ingest_files(engine, files, reference=reference):
        statuses[str(outcome.status)] = statuses.get(str(outcome.status), 0) + 1
    rebuild_benchmark(engine, reference)
    for account in TEST_ACCOUNTS:
        create_user(engine, account.username, account.password, account.role, account.chu)
    return statuses


@pytest.fixture(scope="session", name="seeded_warehouse")
def seeded_warehouse_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite warehouse seeded from data/sample, built once per session (read-only: copy
    it with ``warehouse_url`` before writing)."""
    if not sample_files():
        pytest.fail(
            "data/sample est vide : les tests du tableau de bord ont besoin du jeu d'exemple."
        )
    from warehouse.engine import dispose_engines

    path = tmp_path_factory.mktemp("seeded") / "warehouse.sqlite"
    seed_warehouse(f"sqlite:///{path}")
    # Closing every connection checkpoints the WAL: the .sqlite file alone is complete.
    dispose_engines()
    return path


def copy_warehouse(seeded: Path, directory: Path) -> str:
    target = directory / "warehouse.sqlite"
    shutil.copyfile(seeded, target)
    for suffix in ("-wal", "-shm"):
        extra = seeded.with_name(seeded.name + suffix)
        if extra.exists():
            shutil.copyfile(extra, target.with_name(target.name + suffix))
    return f"sqlite:///{target}"


@pytest.fixture(name="warehouse_url")
def warehouse_url_fixture(
    seeded_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A private copy of the seeded warehouse, set as CHU_BENCH_DATABASE_URL for the app."""
    url = copy_warehouse(seeded_warehouse, tmp_path)
    monkeypatch.setenv("CHU_BENCH_DATABASE_URL", url)
    yield url


# --- AppTest --------------------------------------------------------------------------------


def make_app() -> Any:
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP_PATH), default_timeout=APP_TIMEOUT)


def login(at: Any, username: str, password: str) -> Any:
    """Fills and submits the login form, then runs the app as the browser would."""
    at.run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    submit = [b for b in at.button if b.label == "Se connecter"]
    assert submit, "le formulaire de connexion est absent"
    submit[0].click()
    at.run()
    # The login run ends with st.rerun(); one more run gives the widgets their steady ids
    # (AppTest otherwise loses the first click on a sidebar button after the login).
    if "viewer" in at.session_state:
        at.run()
    return at


def login_as(at: Any, username: str) -> Any:
    account = ACCOUNTS[username]
    return login(at, account.username, account.password)


def registered_pages(at: Any) -> dict[str, str]:
    """Page title → page hash of the pages ``st.navigation`` registered in the last run."""
    # AppTest.switch_page only knows file-based pages; ours are callables (st.Page(render)),
    # so we pick the registered hash ourselves (the same map switch_page reads).
    return {
        info.get("page_name", ""): page_hash
        for page_hash, info in at._registered_pages.items()  # noqa: SLF001
    }


def page_titles(at: Any) -> list[str]:
    return sorted(registered_pages(at))


def open_page(at: Any, module: str) -> Any:
    """Opens the page of ``dashboard.views.<module>`` as a click in the menu would."""
    from dashboard.access import PAGES

    title = next(p.title for p in PAGES if p.module == module)
    pages = registered_pages(at)
    assert title in pages, f"page {title!r} absente du menu : {sorted(pages)}"
    at._page_hash = pages[title]  # noqa: SLF001
    at.run()
    return at


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


def collect_text(at: Any) -> str:
    """Every piece of text the page sends to the browser: markdown, titles, captions, alerts,
    widget labels and options, metrics, dataframe/table cells, headers and index, Plotly JSON."""
    from google.protobuf.json_format import MessageToDict

    parts: list[str] = []
    for node in _walk(at._tree):  # noqa: SLF001
        kind = getattr(node, "type", None)
        if kind in ("dataframe", "table", "arrow_data_frame", "arrow_table"):
            frame = node.value
            parts.append(frame.to_csv())
            parts.append(" ".join(map(str, frame.columns)))
            continue
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        try:
            data = MessageToDict(proto)
        except Exception:  # noqa: BLE001 - a proto without dict form: keep its repr
            parts.append(str(proto))
            continue
        # Arrow bytes are base64 in the dict; tables are handled above.
        data.pop("arrowData", None)
        data.pop("data", None)
        if isinstance(data.get("spec"), str):
            # Plotly JSON escapes accents (\u00e8): decode it so that names are searchable.
            with contextlib.suppress(ValueError):
                data["spec"] = json.loads(data["spec"])
        parts.append(json.dumps(data, ensure_ascii=False))
    return "\n".join(parts)


def click_every_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads are generated only on a click (deferred ``st.download_button`` data): under
    AppTest, generate each one as soon as its button is drawn, as a click would."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    add_deferred = MediaFileManager.add_deferred

    def clicked(self: MediaFileManager, data_callable: Any, *args: Any, **kwargs: Any) -> str:
        data_callable()
        return add_deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", clicked)


def exceptions(at: Any) -> list[str]:
    return [str(e.value) for e in at.exception]


def env_for_app(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["CHU_BENCH_DATABASE_URL"] = url
    return env
