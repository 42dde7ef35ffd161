"""Speed harness: what each stage of chu-bench costs, and how it grows with the alliance.

    .venv/bin/python -m benchmarks.run            # everything below, a few minutes
    .venv/bin/python -m benchmarks.run --quick    # skip the scale series

Wall-clock times on this machine (``time.perf_counter``), medians of repeated runs where
cheap. Start-up is measured in fresh processes, as a user meets it. Results are printed as
Markdown, to paste into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT_ROOT / "data" / "sample"
CLI = [sys.executable, "-m", "pipelines.cli"]
ONE_FILE = SAMPLE / "FES" / "maturite_fes_2025.csv"


def _wall(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, check=False
    )
    return time.perf_counter() - start, done.stdout + done.stderr


def _median_wall(command: Sequence[str], repeat: int) -> float:
    return statistics.median(_wall(command)[0] for _ in range(repeat))


def _in_fresh_process(code: str) -> float:
    """Seconds a snippet takes in a new interpreter (what it adds to a command's start-up)."""
    snippet = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", snippet],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def startup_and_validate(repeat: int) -> list[str]:
    from expectations.gx_runner import warm_up
    from expectations.validate import validate_file

    files = sorted(SAMPLE.glob("*/*.csv"))
    interpreter = _median_wall([sys.executable, "-c", "pass"], repeat)
    help_cmd = _median_wall([*CLI, "--help"], repeat)
    gx_import = statistics.median(
        _in_fresh_process("from expectations.gx_runner import warm_up; warm_up()") for _ in range(3)
    )
    one_cli = _median_wall([*CLI, "validate", str(ONE_FILE)], 3)

    warm_up()
    per_file = [_timed(lambda f=f: validate_file(f, sender_chu=f.parent.name)) for f in files]
    one_in_process = statistics.median(
        _timed(lambda: validate_file(ONE_FILE, sender_chu="FES")) for _ in range(repeat)
    )
    whole = sum(per_file)
    return [
        "### Start-up and validation",
        "",
        "| what | wall time |",
        "|---|---|",
        f"| Python interpreter alone | {interpreter:.2f} s |",
        f"| `chu-bench --help` (CLI start-up, no GX) | {help_cmd:.2f} s |",
        f"| import Great Expectations + load the 3 suites (once per process) | {gx_import:.2f} s |",
        f"| `chu-bench validate` on one 104-row file (whole command) | {one_cli:.2f} s |",
        f"| of which validation itself (GX warm, median) | {one_in_process * 1000:.0f} ms |",
        f"| whole sample in one process: {len(files)} files, validation only | {whole:.2f} s "
        f"({whole / len(files) * 1000:.0f} ms a file) |",
        f"| whole sample in one process, with start-up | {help_cmd + gx_import + whole:.2f} s |",
        f"| whole sample as {len(files)} `chu-bench validate` commands (estimate: "
        f"{len(files)} × start-up + validation) | {len(files) * (one_cli - one_in_process) + whole:.0f} s |",
        "",
    ]


def full_run() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CHU_BENCH_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite"}
        env.pop("DAGSTER_HOME", None)
        first, out = _wall([*CLI, "run", "--landing", str(SAMPLE), "--timings"], env=env)
        again, out_again = _wall([*CLI, "run", "--landing", str(SAMPLE), "--timings"], env=env)
    lines = [
        "### Full `chu-bench run` on data/sample (fresh SQLite warehouse)",
        "",
        f"First run: **{first:.1f} s** wall; the same folder again (nothing new): {again:.1f} s.",
        "",
        "Split reported by the runner (`chu-bench run --timings`), first run:",
        "",
        "```",
        *[line for line in out.splitlines() if re.search(r"\d+[.,]\d+ ?s", line)][-10:],
        "```",
        "",
    ]
    del out_again
    return lines


def scale_series(sizes: Sequence[int], years: str) -> list[str]:
    """Validation, loading and benchmark rebuild without Dagster, as the alliance grows."""
    from benchmarks.generate import generate_alliance, write_reference
    from expectations.gx_runner import warm_up
    from expectations.reference import load_reference
    from warehouse.engine import make_engine
    from warehouse.ingestion import TIMING_STORAGE, TIMING_VALIDATION, ReceivedFile, ingest_files
    from warehouse.refresh import rebuild_benchmark

    warm_up()
    rows = [
        "### Scale series (in-process, no Dagster; SQLite)",
        "",
        f"Years {years}; every establishment sends its three files a year.",
        "",
        "| establishments | files | validation | loading | benchmark rebuild | ms/file (val + load) |",
        "|---|---|---|---|---|---|",
    ]
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            landing, ref_dir = Path(tmp) / "landing", Path(tmp) / "reference"
            year_list = _years(years)
            write_reference(ref_dir, establishments=size, years=year_list)
            files = generate_alliance(
                landing, establishments=size, years=year_list, broken=False, readme=False
            )
            reference = load_reference(ref_dir)
            engine = make_engine(f"sqlite:///{tmp}/scale.sqlite")
            timings: dict[str, float] = {}
            ingest_files(
                engine,
                [
                    ReceivedFile(p.read_bytes(), p.name, p.parent.name, "bench", "run")
                    for p in files
                ],
                reference=reference,
                timings=timings,
            )
            validation, loading = timings[TIMING_VALIDATION], timings[TIMING_STORAGE]
            start = time.perf_counter()
            rebuild_benchmark(engine, reference)
            rebuild = time.perf_counter() - start
            engine.dispose()
        per_file = (validation + loading) / len(files) * 1000
        rows.append(
            f"| {size} | {len(files)} | {validation:.1f} s | {loading:.1f} s | {rebuild:.2f} s | {per_file:.0f} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    rows.append("")
    return rows


def _years(spec: str) -> list[int]:
    first, _, last = spec.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the scale series")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="6,30,120", help="establishments per scale step")
    parser.add_argument("--years", default="2023-2025")
    args = parser.parse_args(argv)

    out = startup_and_validate(args.repeat)
    print("\n".join(out), flush=True)
    out = full_run()
    print("\n".join(out), flush=True)
    if not args.quick:
        sizes = [int(s) for s in args.sizes.split(",")]
        print("\n".join(scale_series(sizes, args.years)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
