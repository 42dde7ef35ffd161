"""Step 3 of ``benchmarks.pipeline_vs_floor`` alone: one new file into a big warehouse
against one into the sample's, alternately, on warehouses built beforehand.

    .venv/bin/python -m benchmarks.generate --establishments 60 --years 2016-2025 \\
        --no-broken --reference-out REF --out LANDING
    CHU_BENCH_REFERENCE_DIR=REF .venv/bin/chu-bench run --landing LANDING \\
        --database-url sqlite:///BIG.sqlite
    .venv/bin/python -m benchmarks.one_new_file --warehouse BIG.sqlite --landing LANDING \\
        --reference-dir REF --alternations 5

Each alternation measures one file into a fresh copy of each warehouse (in a child process,
start-up excluded: ``pipeline_vs_floor.ONE_FILE``); the sample's warehouse is built from
``data/sample`` unless ``--sample-warehouse`` is given. Machine load moves absolute times:
the ratio of each alternation, and their median, are what counts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.pipeline_vs_floor import PROJECT_ROOT, SAMPLE, one_new_file


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="the big SQLite file")
    parser.add_argument("--landing", type=Path, required=True, help="its generated folder")
    parser.add_argument("--reference-dir", type=Path, required=True)
    parser.add_argument("--sample-warehouse", type=Path)
    parser.add_argument("--alternations", type=int, default=5)
    args = parser.parse_args(argv)

    big_env = {**os.environ, "CHU_BENCH_REFERENCE_DIR": str(args.reference_dir)}
    sample_env = {k: v for k, v in os.environ.items() if k != "CHU_BENCH_REFERENCE_DIR"}
    for env in (big_env, sample_env):
        env.pop("DAGSTER_HOME", None)
    with tempfile.TemporaryDirectory() as tmp:
        small = args.sample_warehouse
        if small is None:
            small = Path(tmp) / "sample.sqlite"
            subprocess.run(
                [
                    str(PROJECT_ROOT / ".venv/bin/chu-bench"),
                    "run",
                    "--landing",
                    str(SAMPLE),
                    "--database-url",
                    f"sqlite:///{small}",
                ],
                cwd=PROJECT_ROOT,
                env=sample_env,
                capture_output=True,
                check=True,
            )
        print("| alternation | sample: ingest + refresh | big: ingest + refresh | ratio |")
        print("|---|---|---|---|")
        ratios = []
        for n in range(1, args.alternations + 1):
            sample = one_new_file(small, SAMPLE, sample_env, 1)
            big = one_new_file(args.warehouse, args.landing, big_env, 1)
            ratios.append(sum(big) / sum(sample))
            print(
                f"| {n} | {sample[0] * 1000:.0f} + {sample[1] * 1000:.0f} ms "
                f"| {big[0] * 1000:.0f} + {big[1] * 1000:.0f} ms | {ratios[-1]:.2f} × |",
                flush=True,
            )
    print(f"\nmedian ratio: **{statistics.median(ratios):.2f} ×**")
    return 0


if __name__ == "__main__":
    sys.exit(main())
