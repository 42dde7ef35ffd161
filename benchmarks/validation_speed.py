"""Validation speed: ``validate_batch`` on a whole landing folder, side by side with a bare
pandas script doing the same reads and checks (``benchmarks.floor``'s, without the
database), and with validating the files one at a time.

    .venv/bin/python -m benchmarks.generate --establishments 60 --years 2016-2025 \\
        --no-broken --reference-out /tmp/ref60 --out /tmp/alliance60
    CHU_BENCH_REFERENCE_DIR=/tmp/ref60 .venv/bin/python -m benchmarks.validation_speed \\
        /tmp/alliance60 [--single 100]

Both sides start with the files' bytes in memory and end with every file judged; CPU time
(the machine is shared) and wall time are printed, with the ratio to the floor. The floor
counts errors only; chu-bench builds every file's French report. ``--single N`` also times
``validate_bytes`` on the first N files one by one (the cost before batching), scaled to
the whole folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def floor(files: list[tuple[Path, bytes]], measures: dict[int, set[str]]) -> int:
    """The bare script: decode, sniff, pandas read_csv, vectorised checks; errors counted."""
    from benchmarks.floor import check, read_frame

    errors = 0
    for path, raw in files:
        frame, kind = read_frame(raw)
        errors += 1 if kind is None else check(frame, kind, path.parent.name.upper(), measures)[0]
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--single", type=int, default=0, help="also time N files one by one")
    args = parser.parse_args(argv)

    from expectations.gx_runner import warm_up
    from expectations.reference import load_reference
    from expectations.validate import FileToValidate, validate_batch, validate_bytes

    reference = load_reference()
    warm_up()  # GX import and suites: a one-off cost of every process, not per file
    measures = {
        year: {m.mesure_id.upper() for m in reference.measures_for_year(year)}
        for year in reference.campaign_years
    }
    files = [(p, p.read_bytes()) for p in sorted(args.landing.glob("*/*.csv"))]
    rows = sum(raw.count(b"\n") for _, raw in files)

    cpu, wall = _clock()
    floor(files, measures)
    floor_cpu, floor_wall = time.process_time() - cpu, time.perf_counter() - wall

    batch = [FileToValidate(raw, p.name, p.parent.name.upper()) for p, raw in files]
    cpu, wall = _clock()
    results = validate_batch(batch, reference=reference)
    batch_cpu, batch_wall = time.process_time() - cpu, time.perf_counter() - wall
    valid = sum(r.valid for r in results)

    print(f"{len(files)} fichiers ({valid} valides), {rows} lignes")
    print(f"{'':32s} {'CPU (s)':>9s} {'mur (s)':>9s} {'× plancher (CPU)':>17s}")
    print(f"{'plancher pandas':32s} {floor_cpu:9.2f} {floor_wall:9.2f} {1.0:17.2f}")
    print(
        f"{'validate_batch':32s} {batch_cpu:9.2f} {batch_wall:9.2f} {batch_cpu / floor_cpu:17.2f}"
    )
    if args.single:
        subset = batch[: args.single]
        cpu, wall = _clock()
        for item in subset:
            validate_bytes(
                item.content, item.filename, sender_chu=item.sender_chu, reference=reference
            )
        scale = len(batch) / len(subset)
        single_cpu = (time.process_time() - cpu) * scale
        single_wall = (time.perf_counter() - wall) * scale
        label = f"un par un (×{scale:.0f} de {len(subset)})"
        print(f"{label:32s} {single_cpu:9.2f} {single_wall:9.2f} {single_cpu / floor_cpu:17.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
