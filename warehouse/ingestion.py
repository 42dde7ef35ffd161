"""The one ingestion service: every received file, whatever its channel, goes through here.

Plain functions (no Dagster, no Streamlit). The landing sensor and ``chu-bench run`` (through
the Dagster job ``ingest_batch``), the Dépôt page, the form and the tests' seeding all call
them; nothing else in the project validates then stores a file.

Public API
----------

``ReceivedFile(content, filename, sender_chu, sender, channel, received_at=None)``
    One received file: its bytes, its name (shown in messages only), the CHU that sends it
    (the landing folder, the DSI's CHU; ``None`` when unknown), who sent it (a user name,
    « dossier de dépôt FES »), the :class:`Channel` and when it was received (default: now).

``receive_files(engine, files, *, reference=None, max_bytes=None) -> list[IngestionOutcome]``
    Validates the new files (one batch validation, ``expectations.validate.validate_batch``)
    and stores each as a **pending** submission with its report (and its rows when valid),
    in one transaction. Bytes already received from the same sender CHU are not validated
    nor stored again: their existing submission comes back with ``created=False``. What the
    Dépôt page and the form call: the user sees ``outcome.report`` at once, and the pipeline
    (the Dagster sensor ``pending_submissions``) later makes the files current and updates
    the benchmark (:func:`process_pending`).

``process_pending(engine, submission_ids=None) -> list[IngestionOutcome]``
    Gives pending submissions their final status (invalid → ``rejected``; valid →
    ``current``, or ``superseded`` when a file received later is already current), in the
    order they were received. Called by the pipeline only (the ``ingest_batch`` job).

``ingest_files(engine, files, *, reference=None, max_bytes=None, timings=None) -> list[...]``
    :func:`receive_files` then :func:`process_pending` of the files just stored, in one
    transaction: what the pipeline does for the landing folder, and the tests' seeding.

``record_refused(engine, refused) -> list[IngestionOutcome]``
    Keeps a landed path that was refused without being read (a symbolic link, a path that
    resolves outside the landing root) as a rejected submission: its path and the reason in
    French, no content.

``known_outcomes(engine, keys) -> dict[(sha256, sender_chu), IngestionOutcome]``
    What became of bytes already received (the sensor and ``chu-bench run`` skip them).

``latest_rejections(engine) -> list[(chu, annee, kind, id)]``
    The partitions whose latest file was rejected (the asset check run on its own).

``changed_partitions(outcomes) -> set[(chu, annee)]``
    The CHU × year partitions whose derived tables a batch changes: give it to
    ``warehouse.refresh.refresh_benchmark``.

Every :class:`IngestionOutcome` carries the submission id, its :class:`SubmissionStatus`,
``created`` (False: these bytes from this sender were already there) and the report as a
dict (``ValidationReport.to_dict()``, what ``chu-bench validate --json`` prints).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.engine import write_transaction
from warehouse.schema import submissions
from warehouse.submissions import (
    Channel,
    FileToStore,
    StoredSubmission,
    SubmissionStatus,
    existing_submissions,
    lock_submissions,
    pending_ids,
    promote_pending,
    sha256_hex,
    store_files,
)

if TYPE_CHECKING:
    from expectations.reference import ReferenceData
    from expectations.validate import ValidationResult

__all__ = [
    "Channel",
    "IngestionOutcome",
    "ReceivedFile",
    "RefusedPath",
    "SubmissionStatus",
    "changed_partitions",
    "ingest_files",
    "known_outcomes",
    "latest_rejections",
    "pending_ids",
    "process_pending",
    "receive_files",
    "record_refused",
]

# Files validated and stored per transaction: bounds memory (bytes, parsed rows) whatever
# the size of the batch, while keeping bulk inserts.
CHUNK_FILES = 200

REFUSED_RULE = "chemin_refuse"

# Keys of the optional ``timings`` mapping (seconds spent, accumulated).
TIMING_VALIDATION = "duree_validation_s"
TIMING_STORAGE = "duree_stockage_s"


@dataclass(frozen=True)
class ReceivedFile:
    """One file as received by a channel (see the module docstring)."""

    content: bytes
    filename: str
    sender_chu: str | None
    sender: str
    channel: Channel | str
    received_at: datetime | None = None


@dataclass(frozen=True)
class RefusedPath:
    """A landed path refused without being read: shown as ``path``, with the French reason."""

    path: str
    sender_chu: str | None
    reason: str
    sender: str
    channel: Channel | str


@dataclass(frozen=True)
class IngestionOutcome:
    """What became of one received file."""

    submission_id: int
    status: SubmissionStatus
    created: bool
    report: dict[str, Any]
    filename: str
    sha256: str
    sender_chu: str | None

    @property
    def valid(self) -> bool:
        return bool(self.report.get("valid"))

    @property
    def kind(self) -> str | None:
        return self.report.get("kind")

    @property
    def chu(self) -> str | None:
        return self.report.get("chu")

    @property
    def annee(self) -> int | None:
        return self.report.get("annee")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.report.get("errors") or [])

    @property
    def error_total(self) -> int:
        """Every error of the file: the listed ones and those a « … et N autres lignes »
        summary stands for (``errors`` holds a bounded listing)."""
        from expectations.report import ValidationReport

        return ValidationReport.from_dict(self.report).error_total


def _validate(
    files: Sequence[ReceivedFile],
    reference: ReferenceData | None,
    max_bytes: int | None,
) -> list[ValidationResult]:
    from expectations.validate import FileToValidate, validate_batch

    results = validate_batch(
        [FileToValidate(f.content, f.filename, f.sender_chu) for f in files],
        reference=reference,
        max_bytes=max_bytes,
    )
    for item, result in zip(files, results, strict=True):
        _guard_sender(item, result)
    return results


def _guard_sender(item: ReceivedFile, result: ValidationResult) -> None:
    """A second lock behind the contract's own rule: a file about another CHU than its
    sender never becomes that CHU's data, whatever the channel, even if the rule changed."""
    from expectations.report import Finding

    report = result.report
    if item.sender_chu is None or not report.valid or report.chu == item.sender_chu:
        return
    report.errors.append(
        Finding(
            line=None,
            column="chu",
            value=report.chu,
            rule="chu_expediteur",
            message=(
                f"Ce fichier ne concerne pas le CHU {item.sender_chu} : un CHU ne peut déposer "
                "que les fichiers de son établissement."
            ),
        )
    )
    result.records = None


def _stored_reports(engine: Engine, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    wanted = sorted(set(ids))
    reports: dict[int, dict[str, Any]] = {}
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            for row in conn.execute(
                sa.select(submissions.c.id, submissions.c.report).where(
                    submissions.c.id.in_(wanted[start : start + 500])
                )
            ):
                report = row.report
                reports[row.id] = json.loads(report) if isinstance(report, str) else dict(report)
    return reports


def _store_chunk(
    conn: sa.Connection,
    files: Sequence[ReceivedFile],
    digests: Sequence[str],
    known: dict[tuple[str, str | None], StoredSubmission],
    results: dict[int, ValidationResult],
) -> list[tuple[StoredSubmission, dict[str, Any] | None]]:
    """Store the validated files pending; (stored, fresh report or None when known)."""
    fresh = sorted(results)
    items = [
        FileToStore(
            content=files[i].content,
            filename=files[i].filename,
            result=results[i],
            sender=files[i].sender,
            channel=str(files[i].channel),
            sender_chu=files[i].sender_chu,
            received_at=files[i].received_at,
            sha256=digests[i],
        )
        for i in fresh
    ]
    stored = iter(store_files(conn, items))
    out: list[tuple[StoredSubmission, dict[str, Any] | None]] = []
    for index, item in enumerate(files):
        if index in results:
            out.append((next(stored), results[index].report.to_dict()))
        else:
            out.append((known[(digests[index], item.sender_chu)], None))
    return out


def _ingest(
    engine: Engine,
    files: Sequence[ReceivedFile],
    *,
    process: bool,
    reference: ReferenceData | None,
    max_bytes: int | None,
    timings: MutableMapping[str, float] | None,
) -> list[IngestionOutcome]:
    if files and reference is None:
        from expectations.reference import load_reference

        reference = load_reference()
    digests = [sha256_hex(f.content) for f in files]
    pairs: list[tuple[StoredSubmission, dict[str, Any] | None]] = []
    statuses: dict[int, str] = {}
    for start in range(0, len(files), CHUNK_FILES):
        chunk = files[start : start + CHUNK_FILES]
        chunk_digests = digests[start : start + CHUNK_FILES]
        # Validation runs outside the transaction when nothing was received yet: a batch's
        # validation (seconds) must not hold the writers' lock. The lookup is repeated
        # inside the transaction, which decides.
        with engine.connect() as conn:
            known = existing_submissions(
                conn, zip(chunk_digests, (f.sender_chu for f in chunk), strict=True)
            )
        fresh = [i for i, f in enumerate(chunk) if (chunk_digests[i], f.sender_chu) not in known]
        clock = time.perf_counter()
        validated = _validate([chunk[i] for i in fresh], reference, max_bytes) if fresh else []
        results = dict(zip(fresh, validated, strict=True))
        stored_at = time.perf_counter()
        with write_transaction(engine) as conn:
            lock_submissions(conn)
            chunk_pairs = _store_chunk(conn, chunk, chunk_digests, known, results)
            if process:
                created = [s.id for s, _r in chunk_pairs if s.created]
                statuses.update(promote_pending(conn, created))
        pairs.extend(chunk_pairs)
        if timings is not None:
            timings[TIMING_VALIDATION] = timings.get(TIMING_VALIDATION, 0.0) + stored_at - clock
            timings[TIMING_STORAGE] = (
                timings.get(TIMING_STORAGE, 0.0) + time.perf_counter() - stored_at
            )
    missing = [s.id for s, report in pairs if report is None]
    stored_reports = _stored_reports(engine, missing) if missing else {}
    outcomes = []
    for item, digest, (stored, report) in zip(files, digests, pairs, strict=True):
        status = statuses.get(stored.id, stored.status) if stored.created else stored.status
        outcomes.append(
            IngestionOutcome(
                submission_id=stored.id,
                status=SubmissionStatus(status),
                created=stored.created,
                report=report if report is not None else stored_reports.get(stored.id, {}),
                filename=item.filename,
                sha256=digest,
                sender_chu=item.sender_chu,
            )
        )
    return outcomes


def receive_files(
    engine: Engine,
    files: Sequence[ReceivedFile],
    *,
    reference: ReferenceData | None = None,
    max_bytes: int | None = None,
    timings: MutableMapping[str, float] | None = None,
) -> list[IngestionOutcome]:
    """Validate and store as pending (see the module docstring); outcome ``i`` is file ``i``'s."""
    return _ingest(
        engine, files, process=False, reference=reference, max_bytes=max_bytes, timings=timings
    )


def ingest_files(
    engine: Engine,
    files: Sequence[ReceivedFile],
    *,
    reference: ReferenceData | None = None,
    max_bytes: int | None = None,
    timings: MutableMapping[str, float] | None = None,
) -> list[IngestionOutcome]:
    """Validate, store and give the final status (see the module docstring)."""
    return _ingest(
        engine, files, process=True, reference=reference, max_bytes=max_bytes, timings=timings
    )


def process_pending(
    engine: Engine, submission_ids: Iterable[int] | None = None
) -> list[IngestionOutcome]:
    """Final status of pending submissions (all when ``submission_ids`` is None); the
    outcomes of the submissions this call processed, oldest first."""
    with write_transaction(engine) as conn:
        lock_submissions(conn)
        statuses = promote_pending(conn, submission_ids)
    return _outcomes_by_id(engine, statuses)


def _outcomes_by_id(engine: Engine, ids: Iterable[int]) -> list[IngestionOutcome]:
    wanted = sorted({int(i) for i in ids})
    t = submissions
    rows = []
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            rows += conn.execute(
                sa.select(
                    t.c.id, t.c.status, t.c.report, t.c.filename, t.c.sha256, t.c.sender_chu
                ).where(t.c.id.in_(wanted[start : start + 500]))
            ).all()
    outcomes = []
    for row in sorted(rows, key=lambda r: r.id):
        report = json.loads(row.report) if isinstance(row.report, str) else dict(row.report)
        outcomes.append(
            IngestionOutcome(
                submission_id=row.id,
                status=SubmissionStatus(row.status),
                created=True,
                report=report,
                filename=row.filename,
                sha256=row.sha256,
                sender_chu=row.sender_chu,
            )
        )
    return outcomes


def refused_digest(path: str) -> str:
    """The address of a refused path: its bytes were never read, so the path stands for
    them (the same path refused twice from one CHU folder is one submission)."""
    return sha256_hex(b"chu-bench:chemin-refuse:" + path.encode("utf-8", "surrogateescape"))


def record_refused(engine: Engine, refused: Sequence[RefusedPath]) -> list[IngestionOutcome]:
    """Keep refused landed paths as rejected submissions, their content never read."""
    from expectations.report import Finding, ValidationReport
    from expectations.validate import ValidationResult

    items = []
    for entry in refused:
        report = ValidationReport(
            file=entry.path,
            errors=[Finding(None, None, None, REFUSED_RULE, entry.reason)],
        )
        items.append(
            FileToStore(
                content=b"",
                filename=entry.path,
                result=ValidationResult(report),
                sender=entry.sender,
                channel=str(entry.channel),
                sender_chu=entry.sender_chu,
                sha256=refused_digest(entry.path),
            )
        )
    with write_transaction(engine) as conn:
        lock_submissions(conn)
        stored = store_files(conn, items)
        statuses = promote_pending(conn, [s.id for s in stored if s.created])
    reports = _stored_reports(engine, [s.id for s in stored])
    return [
        IngestionOutcome(
            submission_id=s.id,
            status=SubmissionStatus(statuses.get(s.id, s.status)),
            created=s.created,
            report=reports.get(s.id, {}),
            filename=entry.path,
            sha256=s.sha256,
            sender_chu=entry.sender_chu,
        )
        for entry, s in zip(refused, stored, strict=True)
    ]


def known_outcomes(
    engine: Engine, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], IngestionOutcome]:
    """Outcomes of bytes already received, by (SHA-256, sender CHU); unknown keys absent."""
    with engine.connect() as conn:
        found = existing_submissions(conn, keys)
    reports = _stored_reports(engine, [s.id for s in found.values()]) if found else {}
    t = submissions
    names: dict[int, str] = {}
    if found:
        ids = sorted(s.id for s in found.values())
        with engine.connect() as conn:
            for start in range(0, len(ids), 500):
                for row in conn.execute(
                    sa.select(t.c.id, t.c.filename).where(t.c.id.in_(ids[start : start + 500]))
                ):
                    names[row.id] = row.filename
    return {
        key: IngestionOutcome(
            submission_id=s.id,
            status=SubmissionStatus(s.status),
            created=False,
            report=reports.get(s.id, {}),
            filename=names.get(s.id, ""),
            sha256=s.sha256,
            sender_chu=key[1],
        )
        for key, s in found.items()
    }


def changed_partitions(outcomes: Iterable[IngestionOutcome]) -> set[tuple[str, int]]:
    """(chu, annee) of the new submissions whose CHU and year are known: what the derived
    tables must recompute (a rejected file changes the campaign status too)."""
    return {
        (str(o.chu), int(o.annee))
        for o in outcomes
        if o.created and o.chu is not None and o.annee is not None
    }


def latest_rejections(engine: Engine) -> list[tuple[str, int, str, int]]:
    """(chu, annee, kind, submission id) of each partition whose latest file (by reception)
    was rejected, files sent by another CHU left out (they are not that CHU's)."""
    t = submissions
    latest: dict[tuple[str, int, str], tuple[Any, int, str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.id, t.c.chu, t.c.annee, t.c.kind, t.c.status, t.c.received_at).where(
                (t.c.status != str(SubmissionStatus.PENDING))
                & t.c.chu.is_not(None)
                & t.c.annee.is_not(None)
                & t.c.kind.is_not(None)
                & ((t.c.sender_chu.is_(None)) | (t.c.sender_chu == t.c.chu))
            )
        ).all()
    for row in rows:
        key = (row.chu, int(row.annee), row.kind)
        moment = (row.received_at, row.id)
        if key not in latest or moment > latest[key][0]:
            latest[key] = (moment, row.id, row.status)
    return sorted(
        (chu, annee, kind, i)
        for (chu, annee, kind), (_m, i, status) in latest.items()
        if status == str(SubmissionStatus.REJECTED)
    )
