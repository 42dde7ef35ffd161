"""``make run``: the whole system on one machine, for a demonstration or a developer.

1. ``DAGSTER_HOME`` = ``<project>/.dagster_home`` (created with a small ``dagster.yaml``);
2. ``chu-bench run`` on ``data/sample`` into the warehouse (SQLite by default), its runs
   recorded in that Dagster instance so that the UI shows them;
3. demonstration accounts for the dashboard, with random passwords drawn when they are
   created (kept in the owner-only ``data/demo_accounts.json``; printed, DEMONSTRATION ONLY);
4. ``dagster dev`` (webserver + daemon: the landing sensor, the automatic benchmark refresh
   and the weekly schedule are live) on http://127.0.0.1:3000 and the Streamlit dashboard
   on http://127.0.0.1:8501.

Ctrl-C (SIGINT) or SIGTERM stops everything this started: each child runs in its own
process group, which is signalled as a whole (``dagster dev`` has children of its own),
then killed if it has not exited after a grace period. No orphan is left behind.

Everything this creates (the warehouse, ``.dagster_home``, the demo accounts file, logs) is
readable by its owner only: the process umask is 077 before anything is written, and the
children inherit it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from expectations.reference import PROJECT_ROOT
from warehouse.private_files import make_private, restrict_umask, write_private_text

DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
DEMO_CREDENTIALS_FILE = PROJECT_ROOT / "data" / "demo_accounts.json"
DAGSTER_PORT = 3000
DASHBOARD_PORT = 8501
GRACE_SECONDS = 20

# The local instance: run storage, event logs and schedules in SQLite files under
# DAGSTER_HOME (Dagster's default). Runs are queued, at most two at a time: each run is a
# process importing Great Expectations, and the SQLite warehouse has one writer at a time.
DAGSTER_YAML = """\
# Local Dagster instance of `make run` (written by pipelines/serve.py).
# Production: see deploy/dagster.yaml (PostgreSQL storage).
run_queue:
  max_concurrent_runs: 2
telemetry:
  enabled: false
"""


def prepare_dagster_home(home: Path = DAGSTER_HOME) -> Path:
    """The instance folder, owner-only (0700): run logs and event storage live there. An
    existing folder (from before the umask) is tightened too."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(home)
    config = home / "dagster.yaml"
    if not config.exists():
        write_private_text(config, DAGSTER_YAML)
    make_private(config)
    return home


def upload_limit_mb() -> int:
    """Streamlit's upload cap (whole MiB) for the contract's size limit, rounded up: a file
    the contract accepts is never stopped by the widget, one over it gets the contract's
    French refusal (stored as rejected) or, past the rounding, Streamlit's own refusal."""
    from expectations.validate import resolve_max_bytes

    return max(1, -(-resolve_max_bytes() // (1024 * 1024)))


def _bin(name: str) -> str:
    """A console script of this virtual environment (``.venv/bin/dagster``)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def _demo_accounts() -> None:
    try:
        from warehouse.accounts import ensure_demo_accounts
    except ImportError:
        return
    from warehouse.engine import make_engine

    accounts = ensure_demo_accounts(make_engine(), DEMO_CREDENTIALS_FILE)
    if not accounts:
        return
    print("\nComptes de démonstration — DÉMO UNIQUEMENT, à ne jamais utiliser en production :")
    for username, password, role, chu in accounts:
        scope = f", {chu}" if chu else ""
        print(f"  {username:<14} mot de passe : {password:<22} ({role}{scope})")
    print(
        "  (mots de passe tirés au hasard à la création de chaque compte ; "
        "désactivez ces comptes sur un serveur partagé : chu-bench users disable …)"
    )


def _stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM to each child's process group, then SIGKILL after the grace period."""
    for child in children:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
    for child in children:
        # Also the group's leftovers (the daemon, the webserver) when the leader has exited.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        if child.poll() is None:
            child.wait()


def main() -> int:
    restrict_umask()
    home = prepare_dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    print(f"DAGSTER_HOME = {home}")

    from pipelines.cli import main as cli_main

    code = cli_main(["run"])
    if code != 0:
        print("chu-bench run a échoué : l'interface démarre quand même pour diagnostiquer.")
    _demo_accounts()

    env = dict(os.environ, DAGSTER_HOME=str(home), PYTHONUNBUFFERED="1")
    children: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nArrêt en cours…", flush=True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        children.append(
            subprocess.Popen(
                [_bin("dagster"), "dev", "-h", "127.0.0.1", "-p", str(DAGSTER_PORT)],
                cwd=PROJECT_ROOT,
                env=env,
                start_new_session=True,
            )
        )
        children.append(
            subprocess.Popen(
                [
                    _bin("streamlit"),
                    "run",
                    "dashboard/app.py",
                    "--server.headless",
                    "true",
                    "--server.address",
                    "127.0.0.1",
                    "--server.port",
                    str(DASHBOARD_PORT),
                    "--browser.gatherUsageStats",
                    "false",
                    # The Dépôt page's upload limit is the contract's (issue 7.3).
                    "--server.maxUploadSize",
                    str(upload_limit_mb()),
                ],
                cwd=PROJECT_ROOT,
                env=env,
                start_new_session=True,
            )
        )
        print(
            f"\nInterface Dagster : http://127.0.0.1:{DAGSTER_PORT}\n"
            f"Tableau de bord   : http://127.0.0.1:{DASHBOARD_PORT}\n"
            "Ctrl-C pour tout arrêter.\n",
            flush=True,
        )
        while True:
            for child in children:
                if child.poll() is not None:
                    print(f"Un service s'est arrêté (code {child.returncode}) : arrêt général.")
                    return child.returncode or 1
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave orphans
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop(children)
        print("Tout est arrêté.")


if __name__ == "__main__":
    sys.exit(main())
