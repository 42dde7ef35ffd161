"""An alliance the project has never seen, sent as XLSX, gives the same benchmark as its CSV
files (issue 10 acceptance): both go through the one ingestion service into their own
warehouse, and every figure, pooling opportunity and campaign status is compared."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmarks.generate import generate_alliance
from expectations.reference import load_reference
from expectations.workbook import csv_to_xlsx
from warehouse.engine import make_engine
from warehouse.ingestion import Channel, ReceivedFile, ingest_files
from warehouse.reads import read_benchmark, read_campaign_status, read_pooling
from warehouse.refresh import rebuild_benchmark

# Not the committed sample's seed (2025): figures the tests were never written against.
UNSEEN_SEED = 9173


@pytest.fixture(scope="module")
def alliance(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("alliance")
    return generate_alliance(out, seed=UNSEEN_SEED, years=(2024, 2025), readme=False)


def _warehouse(url: str, files: list[ReceivedFile]) -> dict[str, pd.DataFrame]:
    engine = make_engine(url)
    reference = load_reference()
    outcomes = ingest_files(engine, files, reference=reference)
    rebuild_benchmark(engine, reference)
    with engine.connect() as conn:
        tables = {
            "benchmark": read_benchmark(conn),
            "pooling": read_pooling(conn).drop(columns=["id", "submission_ids"], errors="ignore"),
            "status": read_campaign_status(conn).drop(
                columns=["current_submission_id", "last_received_at", "computed_at"],
                errors="ignore",
            ),
        }
    tables["outcomes"] = pd.DataFrame(
        [(o.filename, str(o.status), len(o.errors)) for o in outcomes],
        columns=["file", "status", "errors"],
    )
    return tables


def test_an_unseen_alliance_in_xlsx_gives_the_same_benchmark_as_in_csv(
    alliance: list[Path], tmp_path: Path
) -> None:
    def received(path: Path, content: bytes) -> ReceivedFile:
        return ReceivedFile(content, path.stem, path.parent.name, "test-xlsx", Channel.TEST)

    as_csv = _warehouse(
        f"sqlite:///{tmp_path / 'csv.sqlite'}", [received(p, p.read_bytes()) for p in alliance]
    )
    as_xlsx = _warehouse(
        f"sqlite:///{tmp_path / 'xlsx.sqlite'}",
        [received(p, csv_to_xlsx(p.read_bytes())) for p in alliance],
    )
    # The generator breaks files on purpose: they are refused the same way (compared below).
    assert (as_csv["outcomes"]["status"] == "rejected").sum() >= 1
    assert len(as_csv["benchmark"]) >= 10
    assert as_csv["benchmark"]["indice_maturite"].notna().sum() >= 10
    for name in ("outcomes", "benchmark", "pooling", "status"):
        pd.testing.assert_frame_equal(as_xlsx[name], as_csv[name], check_exact=True, obj=name)
