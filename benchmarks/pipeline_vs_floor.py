"""chu-bench against the floor, side by side in one session (issue 8.8).

    .venv/bin/python -m benchmarks.pipeline_vs_floor --establishments 60 --years 2016-2025

1. generates the alliance (``benchmarks.generate --no-broken --reference-out``);
2. ingests it with ``chu-bench run`` and with the floor script (``benchmarks.floor``), each
   in a fresh process on a fresh SQLite warehouse, alternately ``--repeat`` times: wall
   time and peak memory (the child's ``ru_maxrss``);
3. one new file (a corrected FES maturity file of the latest year) into that warehouse and
   into the sample's (in process, through the ingestion service and the incremental
   refresh, start-up excluded; and as a ``chu-bench run`` of a folder holding only it);
4. each dashboard page's first render (AppTest, alliance account) on both warehouses.

Prints Markdown tables for benchmarks/README.md. Machine load moves absolute times; the
ratios, measured alternately in one session, are what counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SAMPLE = PROJECT_ROOT / "data" / "sample"


def _child(command: Sequence[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """(wall seconds, peak RSS MiB, output, CPU seconds) of a command in a fresh process.
    CPU time (user + system) moves far less than wall time when the machine is shared."""
    code = (
        "import resource, subprocess, sys, time, json;"
        "t = time.perf_counter();"
        f"p = subprocess.run({list(command)!r}, capture_output=True, text=True);"
        "w = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "m = u.ru_maxrss / 1024; c = u.ru_utime + u.ru_stime;"
        "print(json.dumps([w, m, p.returncode, p.stdout[-3000:] + p.stderr[-2000:], c]))"
    )
    done = subprocess.run(
        [PY, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    )
    wall, peak, returncode, output, cpu = json.loads(done.stdout)
    if returncode != 0:
        raise RuntimeError(f"{command} a échoué :\n{output}")
    return wall, peak, output, cpu


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite warehouse, with what its write-ahead log still holds
    (a bare copy of the main file would miss the last transactions, e.g. the benchmark
    tables, and turn an incremental refresh into a full rebuild)."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def generate(root: Path, establishments: int, years: str) -> tuple[Path, Path]:
    landing, reference = root / "landing", root / "reference"
    subprocess.run(
        [
            PY,
            "-m",
            "benchmarks.generate",
            "--out",
            str(landing),
            "--establishments",
            str(establishments),
            "--years",
            years,
            "--no-broken",
            "--reference-out",
            str(reference),
            "--no-readme",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    return landing, reference


def run_vs_floor(root: Path, landing: Path, env: dict[str, str], repeat: int) -> list[str]:
    files = len(list(landing.glob("*/*.csv")))
    results: dict[str, list[tuple[float, float, float]]] = {"run": [], "floor": []}
    keep: Path | None = None
    for index in range(repeat):
        for name in ("run", "floor"):
            url_path = root / f"{name}-{index}.sqlite"
            url = f"sqlite:///{url_path}"
            command = (
                [
                    str(PROJECT_ROOT / ".venv/bin/chu-bench"),
                    "run",
                    "--landing",
                    str(landing),
                    "--database-url",
                    url,
                    "--timings",
                ]
                if name == "run"
                else [PY, "-m", "benchmarks.floor", str(landing), "--database-url", url]
            )
            load = os.getloadavg()[0]
            wall, peak, output, cpu = _child(command, env)
            results[name].append((wall, peak, cpu))
            print(
                f"{name} #{index + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU, {peak:.0f} MiB "
                f"(load {load:.1f})",
                file=sys.stderr,
                flush=True,
            )
            if name == "run":
                timings = [line for line in output.splitlines() if " s" in line and ":" in line]
                if keep is None:
                    keep = url_path
                    copy_sqlite(url_path, root / "big.sqlite")
                    (root / "timings.txt").write_text("\n".join(timings[-8:]))
            url_path.unlink(missing_ok=True)
    run_wall = statistics.median(r[0] for r in results["run"])
    floor_wall = statistics.median(r[0] for r in results["floor"])
    run_cpu = statistics.median(r[2] for r in results["run"])
    floor_cpu = statistics.median(r[2] for r in results["floor"])
    run_peak = max(r[1] for r in results["run"])
    floor_peak = max(r[1] for r in results["floor"])
    return [
        f"| `chu-bench run` | {files} | {run_wall:.1f} s | {run_cpu:.1f} s "
        f"| {run_peak:.0f} MiB | **{run_wall / floor_wall:.2f} ×** | **{run_cpu / floor_cpu:.2f} ×** |",
        f"| floor (`benchmarks.floor`) | {files} | {floor_wall:.1f} s | {floor_cpu:.1f} s "
        f"| {floor_peak:.0f} MiB | 1 × | 1 × |",
    ]


ONE_FILE = """
import json, sys, time
from pathlib import Path
from expectations.gx_runner import warm_up
from expectations.reference import load_reference
from warehouse.engine import make_engine
from warehouse.ingestion import Channel, ReceivedFile, changed_partitions, ingest_files
from warehouse.refresh import refresh_benchmark
url, path, chu = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
reference = load_reference(); warm_up(); engine = make_engine(url)
content = path.read_bytes().replace(b"\\n", b"\\r\\n") if b"\\r\\n" not in path.read_bytes() else path.read_bytes().replace(b"\\r\\n", b"\\n")
t = time.perf_counter()
outcomes = ingest_files(engine, [ReceivedFile(content, path.name, chu, "bench", Channel.TEST)], reference=reference)
ingest = time.perf_counter() - t
t = time.perf_counter()
refresh_benchmark(engine, reference, changed_partitions(outcomes))
bench = time.perf_counter() - t
print(json.dumps([ingest, bench, str(outcomes[0].status)]))
"""


def one_new_file(warehouse: Path, landing: Path, env: dict[str, str], repeat: int) -> tuple:
    """(ingest s, refresh s) medians of one new FES file into a copy of ``warehouse``."""
    latest = sorted(landing.glob("FES/maturite_fes_*.csv"))[-1]
    ingest, bench = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "w.sqlite"
            copy_sqlite(warehouse, copy)
            done = subprocess.run(
                [PY, "-c", ONE_FILE, f"sqlite:///{copy}", str(latest), "FES"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            values = json.loads(done.stdout.strip().splitlines()[-1])
            assert values[2] == "current", values
            ingest.append(values[0])
            bench.append(values[1])
    return statistics.median(ingest), statistics.median(bench)


PAGES = """
import json, os, sys, time
from streamlit.testing.v1 import AppTest
from dashboard.access import PAGES
results = {}
at = AppTest.from_file(os.path.abspath("dashboard/app.py"), default_timeout=300)
at.run()
at.text_input(key="login_username").input("bench-alliance")
at.text_input(key="login_password").input("bench-alliance-mdp")
[b for b in at.button if b.label == "Se connecter"][0].click()
at.run(); at.run()
pages = {info.get("page_name", ""): h for h, info in at._registered_pages.items()}
for page in PAGES:
    if "alliance" not in page.roles or page.title not in pages:
        continue
    at._page_hash = pages[page.title]
    t = time.perf_counter(); at.run(); results[page.title] = time.perf_counter() - t
    assert not at.exception, [str(e.value) for e in at.exception]
print(json.dumps(results))
"""


def page_renders(warehouse: Path, env: dict[str, str]) -> dict[str, float]:
    from warehouse.accounts import create_user
    from warehouse.engine import dispose_engines, make_engine

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "w.sqlite"
        copy_sqlite(warehouse, copy)
        url = f"sqlite:///{copy}"
        create_user(make_engine(url), "bench-alliance", "bench-alliance-mdp", "alliance")
        dispose_engines()
        done = subprocess.run(
            [PY, "-c", PAGES],
            cwd=PROJECT_ROOT,
            env={**env, "CHU_BENCH_DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--establishments", type=int, default=60)
    parser.add_argument("--years", default="2016-2025")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="chu-bench-bench-"))
    try:
        landing, reference = generate(root, args.establishments, args.years)
        big_env = {**os.environ, "CHU_BENCH_REFERENCE_DIR": str(reference)}
        big_env.pop("DAGSTER_HOME", None)
        lines = [
            f"### {args.establishments} établissements × {args.years} "
            f"(`--repeat {args.repeat}`, medians, alternately)",
            "",
            "| what | files | wall | CPU (user + sys) | peak memory | wall ratio | CPU ratio |",
            "|---|---|---|---|---|---|---|",
            *run_vs_floor(root, landing, big_env, args.repeat),
            "",
            "`chu-bench run --timings` split (first run):",
            "",
            "```",
            (root / "timings.txt").read_text(),
            "```",
            "",
        ]
        print("\n".join(lines), flush=True)

        sample_env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        sample_env.pop("CHU_BENCH_REFERENCE_DIR", None)
        small = root / "sample.sqlite"
        _child(
            [
                str(PROJECT_ROOT / ".venv/bin/chu-bench"),
                "run",
                "--landing",
                str(SAMPLE),
                "--database-url",
                f"sqlite:///{small}",
            ],
            sample_env,
        )
        big = one_new_file(root / "big.sqlite", landing, big_env, 3)
        sample = one_new_file(small, SAMPLE, sample_env, 3)
        lines = [
            "### One new file (in process, start-up excluded; medians of 3)",
            "",
            "| warehouse | ingest (validate + store + make current) | benchmark refresh | total |",
            "|---|---|---|---|",
            f"| sample (6 × 3) | {sample[0] * 1000:.0f} ms | {sample[1] * 1000:.0f} ms "
            f"| {sum(sample) * 1000:.0f} ms |",
            f"| {args.establishments} × {args.years} | {big[0] * 1000:.0f} ms "
            f"| {big[1] * 1000:.0f} ms | {sum(big) * 1000:.0f} ms "
            f"(**{sum(big) / sum(sample):.2f} ×** the sample's) |",
            "",
        ]
        print("\n".join(lines), flush=True)

        if not args.skip_pages:
            small_pages = page_renders(small, sample_env)
            big_pages = page_renders(root / "big.sqlite", big_env)
            lines = [
                "### Each dashboard page's first render (AppTest, alliance account)",
                "",
                f"| page | sample | {args.establishments} × {args.years} | ratio |",
                "|---|---|---|---|",
            ]
            for title, seconds in small_pages.items():
                other = big_pages.get(title)
                if other is None:
                    continue
                lines.append(
                    f"| {title} | {seconds:.2f} s | {other:.2f} s | {other / seconds:.1f} × |"
                )
            print("\n".join(lines), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
