"""Files at rest are readable by their owner only, and no demo password is written anywhere
in the repository (issue 7.7)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.cli import main
from warehouse.engine import make_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A process umask of 022 (the usual default): files would be world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_new_sqlite_warehouse_is_owner_only(tmp_path: Path, permissive_umask: None) -> None:
    path = tmp_path / "entrepot.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert mode(path) == 0o600
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():  # WAL mode: SQLite gives them the database file's mode
            assert mode(extra) == 0o600


def test_existing_world_readable_warehouse_is_tightened(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "ancien.sqlite"
    path.touch(mode=0o644)
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}")
    assert mode(path) == 0o600


def test_cli_sets_an_owner_only_umask(tmp_path: Path, permissive_umask: None) -> None:
    assert main(["users", "list", "--database-url", f"sqlite:///{tmp_path / 'w.sqlite'}"]) == 0
    assert os.umask(0o022) == 0o077


def test_report_is_owner_only(tmp_path: Path, permissive_umask: None) -> None:
    output = tmp_path / "rapport.html"
    output.write_text("ancien", encoding="utf-8")
    output.chmod(0o644)
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    assert main(["report", "--annee", "2025", "-o", str(output), "--database-url", url]) == 0
    assert mode(output) == 0o600 and "ancien" not in output.read_text("utf-8")


def test_dagster_home_is_owner_only(tmp_path: Path, permissive_umask: None) -> None:
    from pipelines.serve import prepare_dagster_home

    home = tmp_path / ".dagster_home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    prepare_dagster_home(home)
    assert mode(home) == 0o700
    assert mode(home / "dagster.yaml") == 0o600


def test_serve_runs_with_an_owner_only_umask(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` sets the umask before writing anything (the children inherit it)."""
    import pipelines.serve as serve

    seen: list[int] = []

    def stop_here() -> Path:
        current = os.umask(0o077)
        seen.append(current)
        raise SystemExit(0)

    previous = os.umask(0o022)
    try:
        monkeypatch.setattr(serve, "prepare_dagster_home", stop_here)
        with pytest.raises(SystemExit):
            serve.main()
    finally:
        os.umask(previous)
    assert seen == [0o077]


# --- demo passwords -------------------------------------------------------------------------

# What the demo passwords looked like when they were written in the code and the README
# (« <account>-2025 »), assembled here so that this file does not match itself.
LEGACY_DEMO_PASSWORD = re.compile("demo-(?:alliance|dsi-fes|admin)" + r"-20\d\d")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    files = []
    for name in listed:
        path = PROJECT_ROOT / name.decode()
        if name and path.is_file() and path.suffix in {".py", ".md", ".toml", ".yaml", ".txt", ""}:
            files.append(path)
    return files


def test_no_demo_password_in_code_or_docs() -> None:
    files = _tracked_text_files()
    assert any(p.name == "README.md" for p in files)
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
        for path in files
        for match in LEGACY_DEMO_PASSWORD.finditer(path.read_text("utf-8", errors="replace"))
    ]
    assert not found
    # The README tells where the demo passwords come from, without any.
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    assert "each with a random password drawn when the account is created" in readme
    from warehouse.accounts import DEMO_ACCOUNTS

    assert all(len(entry) == 3 for entry in DEMO_ACCOUNTS)  # name, role, CHU: no password


def test_make_run_prints_random_demo_logins_that_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pipelines.serve as serve
    from warehouse.accounts import authenticate

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    monkeypatch.setenv("CHU_BENCH_DATABASE_URL", url)
    monkeypatch.setattr(serve, "DEMO_CREDENTIALS_FILE", tmp_path / "demo_accounts.json")
    serve._demo_accounts()  # noqa: SLF001
    printed = capsys.readouterr().out
    logins = re.findall(r"(demo-[a-z-]+)\s+mot de passe : (\S+)", printed)
    assert [name for name, _ in logins] == ["demo-alliance", "demo-dsi-fes", "demo-admin"]
    for name, password in logins:
        assert authenticate(make_engine(url), name, password) is not None
    assert mode(tmp_path / "demo_accounts.json") == 0o600
    serve._demo_accounts()  # noqa: SLF001 - the next `make run` prints the same logins
    assert re.findall(r"(demo-[a-z-]+)\s+mot de passe : (\S+)", capsys.readouterr().out) == logins
