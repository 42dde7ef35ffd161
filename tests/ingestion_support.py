"""Helpers for the ingestion and incremental-benchmark tests: files derived from data/sample
(valid variants with other figures, broken variants), a cache of validation results, and the
derived tables as comparable frames."""

from __future__ import annotations

import copy
import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from tests.conftest import SAMPLE_DIR

KINDS = ("maturite", "depenses", "profil")

# Column of the first data row changed by each variant: a figure that every benchmark
# column depends on somewhere (niveau, montant_mad, lits).
_CHANGED_COLUMN = {"maturite": "niveau", "depenses": "montant_mad", "profil": "lits"}


def sample_file(chu: str, kind: str, annee: int) -> bytes:
    return (SAMPLE_DIR / chu / f"{kind}_{chu.lower()}_{annee}.csv").read_bytes()


def _plain(name: str) -> str:
    name = unicodedata.normalize("NFKD", name.replace("\ufeff", "").strip().lower())
    return "".join(c for c in name if not unicodedata.combining(c)).replace(" ", "_")


def _encoding(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if content.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def with_first_row_value(
    content: bytes, kind: str, value: Callable[[str], str], column_name: str | None = None
) -> bytes:
    """The file with ``column_name`` (default: the kind's changed column, see above) of its
    first data row replaced, written back in its own encoding and delimiter (sample files
    vary in both)."""
    encoding = _encoding(content)
    text = content.decode(encoding)
    newline = "\r\n" if "\r\n" in text else "\n"
    header_line = text.lstrip("\ufeff").splitlines()[0]
    delimiter = max((";", ",", "\t"), key=header_line.count)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    column = [_plain(h) for h in records[0]].index(column_name or _CHANGED_COLUMN[kind])
    row = next(i for i, r in enumerate(records) if i > 0 and any(c.strip() for c in r))
    records[row][column] = value(records[row][column].strip())
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(records)
    return out.getvalue().encode(encoding)


def valid_variant(content: bytes, kind: str, step: int) -> bytes:
    """The same file with other (valid) figures: a new submission that changes the benchmark."""
    if step == 0:
        return content
    if kind == "maturite":
        return with_first_row_value(
            content, kind, lambda v: str((int(v) + step) % 6) if v.isdigit() else "2"
        )
    if kind == "depenses":
        return with_first_row_value(content, kind, lambda _v: str(1000 * step))
    return with_first_row_value(content, kind, lambda _v: str(400 + 50 * step))


def broken_variant(content: bytes, kind: str) -> bytes:
    """The same file with an invalid cell on its first data row (rejected)."""
    return with_first_row_value(content, kind, lambda _v: "beaucoup")


class CachedValidation:
    """``validate_batch`` computing each distinct (bytes, name, sender) once: the property
    test replays the same files many times. Results are copied (callers may mutate them)."""

    def __init__(self) -> None:
        from expectations import validate

        self._real = validate.validate_batch
        self._cache: dict[tuple[bytes, str, str | None], Any] = {}

    def __call__(self, files: Sequence[Any], **kwargs: Any) -> list[Any]:
        missing = [f for f in files if (f.content, f.filename, f.sender_chu) not in self._cache]
        if missing:
            for item, result in zip(missing, self._real(missing, **kwargs), strict=True):
                self._cache[(item.content, item.filename, item.sender_chu)] = result
        return [copy.deepcopy(self._cache[(f.content, f.filename, f.sender_chu)]) for f in files]


def derived_tables(url: str) -> dict[str, pd.DataFrame]:
    """benchmark, pooling_opportunities and campaign_status as sorted frames, without
    ``computed_at`` (the only column allowed to differ between two computations)."""
    from warehouse.engine import make_engine
    from warehouse.schema import benchmark, campaign_status, pooling_opportunities

    engine = make_engine(url)
    frames = {}
    with engine.connect() as conn:
        for table, keys in (
            (benchmark, ["annee", "chu"]),
            (pooling_opportunities, ["annee", "type", "nom"]),
            (campaign_status, ["annee", "chu", "kind"]),
        ):
            columns = [c for c in table.c if c.name != "computed_at"]
            rows = conn.execute(sa.select(*columns)).all()
            frame = pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in columns])
            frames[table.name] = frame.sort_values(keys).reset_index(drop=True)
    return frames


def landed(root: Path, chu: str, name: str, content: bytes) -> Path:
    target = root / chu / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target


QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def run_pending_submissions(url: str) -> list[Any]:
    """What the Dagster daemon does after an upload: evaluate the ``pending_submissions``
    sensor and execute the runs it asks for (in process). Returns the run results."""
    import dagster as dg

    from assets.resources import WarehouseResource
    from pipelines.definitions import build_defs
    from pipelines.sensors import pending_submissions_sensor

    context = dg.build_sensor_context(resources={"warehouse": WarehouseResource(database_url=url)})
    result = pending_submissions_sensor(context)
    if isinstance(result, dg.SkipReason):
        return []
    job = build_defs(database_url=url).resolve_job_def("ingest_batch")
    return [
        job.execute_in_process(run_config={**request.run_config, **QUIET}, raise_on_error=False)
        for request in result.run_requests or []
    ]


def land(landing: Path, chu: str, sample: str, name: str | None = None) -> Path:
    """Copy a sample file (``"FES/profil_fes_2025.csv"``) into ``landing/<chu>/``."""
    target = landing / chu / (name or Path(sample).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((SAMPLE_DIR / sample).read_bytes())
    return target


def evaluate_landing_sensor(landing: Path, url: str, settle: float = 0.0) -> list[Any]:
    """The run requests of one tick of ``landing_sensor`` ([] when it skips)."""
    import dagster as dg

    from assets.resources import LandingResource, WarehouseResource
    from pipelines.sensors import landing_sensor

    context = dg.build_sensor_context(
        resources={
            "landing": LandingResource(directory=str(landing), settle_seconds=settle),
            "warehouse": WarehouseResource(database_url=url),
        }
    )
    result = landing_sensor(context)
    if isinstance(result, dg.SkipReason):
        return []
    return list(result.run_requests or [])


def execute_request(request: Any, url: str, instance: Any = None) -> Any:
    """Execute what a sensor asked for, as the daemon would (in process)."""
    from pipelines.definitions import build_defs

    job = build_defs(database_url=url).resolve_job_def(request.job_name or "ingest_batch")
    return job.execute_in_process(
        run_config={**request.run_config, **QUIET},
        partition_key=request.partition_key,
        instance=instance,
        raise_on_error=False,
    )


def check_evaluations(result: Any) -> list[Any]:
    """The asset check evaluations a run recorded (``AssetCheckEvaluation``)."""
    return [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]


def materializations(result: Any) -> list[Any]:
    """The asset materializations a run recorded (``AssetMaterialization``)."""
    return [
        e.event_specific_data.materialization for e in result.get_asset_materialization_events()
    ]
