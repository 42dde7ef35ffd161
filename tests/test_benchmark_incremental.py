"""A new file recomputes what it changes, and that equals a full rebuild (property test)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from expectations.reference import load_reference
from tests.ingestion_support import (
    KINDS,
    CachedValidation,
    broken_variant,
    derived_tables,
    sample_file,
    valid_variant,
)
from warehouse.engine import dispose_engines, make_engine
from warehouse.ingestion import Channel, ReceivedFile, changed_partitions, ingest_files
from warehouse.refresh import rebuild_benchmark, refresh_benchmark

REFERENCE = load_reference()
CHUS = ("FES", "MAR", "RAB")
YEARS = (2023, 2024, 2025)
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

# One submission: which file, which variant (0 = the sample's bytes, 1–2 = other valid
# figures, 3 = broken), sent by its own CHU or by another one, and when (hours after START;
# an earlier time than a file already current is a late re-import).
submission = st.tuples(
    st.sampled_from(CHUS),
    st.sampled_from(YEARS),
    st.sampled_from(KINDS),
    st.integers(min_value=0, max_value=3),
    st.booleans(),
    st.integers(min_value=0, max_value=48),
)


def _received(chu: str, annee: int, kind: str, variant: int, own: bool, hours: int) -> ReceivedFile:
    content = sample_file(chu, kind, annee)
    content = (
        broken_variant(content, kind) if variant == 3 else valid_variant(content, kind, variant)
    )
    sender = chu if own else next(c for c in CHUS if c != chu)
    return ReceivedFile(
        content=content,
        filename=f"{kind}_{chu.lower()}_{annee}.csv",
        sender_chu=sender,
        sender=f"dossier de dépôt {sender}",
        channel=Channel.TEST,
        received_at=START + timedelta(hours=hours),
    )


@pytest.fixture(scope="module")
def cached_validation() -> CachedValidation:
    return CachedValidation()


@settings(
    max_examples=30,
    deadline=None,
    # Each example replays files through the real service and SQLite: shrinking a failure
    # would take many minutes, and the failing sequence is short enough to read as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(submission, min_size=1, max_size=7))
def test_incremental_refresh_equals_a_full_rebuild(
    sequence: list[tuple], cached_validation: CachedValidation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("expectations.validate.validate_batch", cached_validation)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'w.sqlite'}"
        engine = make_engine(url)
        for item in sequence:
            outcomes = ingest_files(engine, [_received(*item)], reference=REFERENCE)
            refresh_benchmark(engine, REFERENCE, changed_partitions(outcomes))
        incremental = derived_tables(url)
        rebuild_benchmark(engine, REFERENCE)
        full = derived_tables(url)
        dispose_engines()
    for name, frame in full.items():
        pd.testing.assert_frame_equal(incremental[name], frame, check_dtype=False, obj=name)


def test_a_new_file_rewrites_only_its_year_and_its_next_campaign(
    sqlite_url: str, cached_validation: CachedValidation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One new FES 2024 file: the rows of 2024 and FES 2025 (its evolution) are written;
    2023 and the other CHUs' 2025 rows keep their computation time."""
    monkeypatch.setattr("expectations.validate.validate_batch", cached_validation)
    engine = make_engine(sqlite_url)
    files = [
        _received(chu, annee, kind, 0, True, 0) for chu in CHUS for annee in YEARS for kind in KINDS
    ]
    ingest_files(engine, files, reference=REFERENCE)
    rebuild_benchmark(engine, REFERENCE)
    import sqlalchemy as sa

    from warehouse.schema import benchmark

    def stamps() -> dict[tuple[str, int], object]:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(benchmark.c.chu, benchmark.c.annee, benchmark.c.computed_at)
            ).all()
        return {(r.chu, r.annee): r.computed_at for r in rows}

    before = stamps()
    outcomes = ingest_files(
        engine, [_received("FES", 2024, "maturite", 1, True, 5)], reference=REFERENCE
    )
    assert changed_partitions(outcomes) == {("FES", 2024)}
    counts = refresh_benchmark(engine, REFERENCE, changed_partitions(outcomes))
    after = stamps()
    rewritten = {key for key in after if after[key] != before[key]}
    assert rewritten == {(chu, 2024) for chu in CHUS} | {("FES", 2025)}
    assert counts["benchmark"] == len(rewritten)


def test_a_new_spending_file_recomputes_its_years_pooling(
    sqlite_url: str, cached_validation: CachedValidation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maturity file leaves the year's pooling as stored (its spending did not change); a
    new FES 2024 spending file changes the pooled totals of 2024 as a full rebuild does."""
    monkeypatch.setattr("expectations.validate.validate_batch", cached_validation)
    engine = make_engine(sqlite_url)
    files = [
        _received(chu, annee, kind, 0, True, 0) for chu in CHUS for annee in YEARS for kind in KINDS
    ]
    ingest_files(engine, files, reference=REFERENCE)
    rebuild_benchmark(engine, REFERENCE)
    before = derived_tables(sqlite_url)["pooling_opportunities"]

    for kind, hours in (("maturite", 5), ("depenses", 6)):
        outcomes = ingest_files(
            engine, [_received("FES", 2024, kind, 1, True, hours)], reference=REFERENCE
        )
        refresh_benchmark(engine, REFERENCE, changed_partitions(outcomes))
        incremental = derived_tables(sqlite_url)["pooling_opportunities"]
        if kind == "maturite":
            pd.testing.assert_frame_equal(incremental, before)
    rebuild_benchmark(engine, REFERENCE)
    full = derived_tables(sqlite_url)["pooling_opportunities"]
    pd.testing.assert_frame_equal(incremental, full, check_dtype=False)
    of_2024 = full["annee"] == 2024
    assert (
        not full[of_2024]
        .reset_index(drop=True)
        .equals(before[before["annee"] == 2024].reset_index(drop=True))
    )
