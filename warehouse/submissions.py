"""Submissions: every file received, valid or not, and the versioned load of its rows (DESIGN §4).

Rules, all applied inside ONE transaction so that a crash leaves the previous state intact:

* the same bytes twice *from the same CHU* are one submission (SHA-256 + ``sender_chu``):
  the second call returns the first submission with ``created=False`` and changes nothing,
  even when that submission was since superseded (re-sending old bytes does not make them
  current again: to restore them, send them with any change, e.g. a corrected comment).
  The same bytes from *another* CHU are another submission: validation depends on the
  sender (a file about FES sent by MAR is rejected), and FES's own copy must not be
  mistaken for MAR's rejected one;
* a valid file becomes ``current`` for its (chu, annee, kind); the previous current one becomes
  ``superseded`` (``superseded_by`` points to the new one) and keeps its rows, so history
  stays queryable; readers use only current submissions;
* "latest" means the latest ``received_at``: a valid file received *before* the current one
  (a late re-import of an old file) is stored directly as ``superseded``;
* an invalid file is ``rejected``: stored with its report, no rows, never replaces valid data;
* in between, a received file may wait as ``pending`` (validated, stored with its report
  and rows, read by nobody): :func:`store_files` stores, :func:`promote_pending` decides the
  statuses above in the order files were received. The Dépôt page and the form stop at
  pending; the pipeline promotes (``warehouse.ingestion`` is what channels call).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from expectations.contract import DEPENSES, MATURITE, PROFIL
from warehouse.engine import connect, is_postgresql, write_transaction
from warehouse.schema import maturity_answers, profiles, spending_lines, submissions

if TYPE_CHECKING:
    from expectations.validate import ValidationResult


class SubmissionStatus(StrEnum):
    """Status of a submission (``submissions.status``)."""

    # Validated and stored, waiting for the pipeline to decide current/superseded/rejected
    # (files sent through the Dépôt page or the form: the pipeline owns the warehouse's state).
    PENDING = "pending"
    CURRENT = "current"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class Channel(StrEnum):
    """How a file reached chu-bench (``submissions.channel``)."""

    SENSOR = "capteur"  # the landing folder's sensor
    RUN = "run"  # chu-bench run
    DEPOT = "depot"  # the dashboard's Dépôt page
    FORM = "formulaire"  # the dashboard's form
    CLI = "cli"
    TEST = "test"


CURRENT = SubmissionStatus.CURRENT
SUPERSEDED = SubmissionStatus.SUPERSEDED
REJECTED = SubmissionStatus.REJECTED
PENDING = SubmissionStatus.PENDING
SUBMISSION_STATUSES = tuple(SubmissionStatus)

DATA_TABLES: dict[str, sa.Table] = {
    MATURITE: maturity_answers,
    DEPENSES: spending_lines,
    PROFIL: profiles,
}

# Columns of list_submissions / get_submission: everything but the bytes.
_LIST_COLUMNS = [c for c in submissions.c if c.name not in ("content", "report")]


@dataclass(frozen=True)
class StoredSubmission:
    id: int
    sha256: str
    status: str
    created: bool
    kind: str | None = None
    chu: str | None = None
    annee: int | None = None
    valid: bool = False


def sha256_hex(content: bytes) -> str:
    """The content address of a file (what the sensor compares with submission_exists)."""
    return hashlib.sha256(content).hexdigest()


def as_utc(moment: datetime | None) -> datetime | None:
    """Aware UTC datetime. SQLite gives back naive datetimes: they were stored in UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _python_value(value: Any, column: sa.Column) -> Any:
    """A DataFrame cell as a plain Python value of the column's type (NA -> None), so that
    psycopg and sqlite3 receive ints, floats and strs, never numpy or pandas scalars."""
    if value is None:
        return None
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    python_type = column.type.python_type if not isinstance(column.type, sa.JSON) else None
    if python_type is int:
        return int(value)
    if python_type is float or isinstance(column.type, sa.Numeric):
        return float(value)
    if python_type is str:
        return str(value)
    return value


def _column_values(values: pd.Series | None, default: Any, column: sa.Column, n: int) -> list:
    """One column of records as plain Python values of the column's type (NA -> None),
    converted column by column (a per-cell ``_python_value`` costs far more on big loads)."""
    if values is None:
        value = _python_value(default, column)
        return [value] * n
    missing = values.isna().tolist()
    python_type = column.type.python_type if not isinstance(column.type, sa.JSON) else None
    if python_type is int:
        convert: Any = int
    elif python_type is float or isinstance(column.type, sa.Numeric):
        convert = float
    elif python_type is str:
        convert = str
    else:
        return [_python_value(v, column) for v in values.tolist()]
    # ``tolist`` gives Python scalars (numpy ints and floats become int and float).
    return [None if gone else convert(v) for v, gone in zip(values.tolist(), missing, strict=True)]


def records_to_rows(
    kind: str, submission_id: int, records: pd.DataFrame, chu: str, annee: int
) -> list[dict[str, Any]]:
    """The contract's canonical records as rows of the kind's table."""
    table = DATA_TABLES[kind]
    columns = [c for c in table.c if c.name != "submission_id"]
    defaults = {"chu": chu, "annee": annee}
    n = len(records)
    data = {
        column.name: _column_values(
            records[column.name] if column.name in records.columns else None,
            defaults.get(column.name),
            column,
            n,
        )
        for column in columns
    }
    names = list(data)
    return (
        [
            {"submission_id": submission_id, **dict(zip(names, values, strict=True))}
            for values in zip(*data.values(), strict=True)
        ]
        if n
        else []
    )


def insert_data_rows(conn: Connection, kind: str, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (one executemany) of a submission's rows."""
    if rows:
        conn.execute(DATA_TABLES[kind].insert(), rows)


def _report_dict(result: ValidationResult) -> dict[str, Any]:
    # Round-trip through JSON so that whatever the report holds is storable as JSON.
    return json.loads(result.report.to_json())


@dataclass(frozen=True)
class FileToStore:
    """A received file and its validation, ready to be stored (see :func:`store_files`)."""

    content: bytes
    filename: str
    result: ValidationResult
    sender: str
    channel: str
    sender_chu: str | None = None
    received_at: datetime | None = None
    sha256: str | None = None  # computed from ``content`` when absent


def _check_result(result: ValidationResult) -> None:
    report = result.report
    if not report.valid:
        return
    if result.records is None or not report.kind or not report.chu or report.annee is None:
        raise ValueError(
            "Un résultat valide doit porter le type, le CHU, l'année et les lignes du fichier."
        )
    if report.kind not in DATA_TABLES:
        raise ValueError(f"Type de fichier inconnu : {report.kind}.")
    if report.kind == PROFIL and len(result.records) != 1:
        raise ValueError("Un fichier de profil valide compte exactement une ligne.")


def lock_submissions(conn: Connection) -> None:
    """Serialise the writers of submissions on PostgreSQL (readers are not blocked), so that
    two concurrent loads can neither both become current nor both insert the same bytes.
    SQLite: ``write_transaction``'s BEGIN IMMEDIATE already serialises writers."""
    if is_postgresql(conn):
        conn.exec_driver_sql("LOCK TABLE submissions IN SHARE ROW EXCLUSIVE MODE")


def existing_submissions(
    conn: Connection, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], StoredSubmission]:
    """The submissions already holding these (SHA-256, sender CHU) pairs, by pair."""
    wanted = set(keys)
    found: dict[tuple[str, str | None], StoredSubmission] = {}
    digests = sorted({digest for digest, _chu in wanted})
    t = submissions
    for start in range(0, len(digests), 500):
        chunk = digests[start : start + 500]
        rows = conn.execute(
            sa.select(
                t.c.id,
                t.c.sha256,
                t.c.sender_chu,
                t.c.status,
                t.c.kind,
                t.c.chu,
                t.c.annee,
                t.c.valid,
            ).where(t.c.sha256.in_(chunk))
        ).all()
        for row in rows:
            key = (row.sha256, row.sender_chu)
            if key in wanted and key not in found:
                found[key] = StoredSubmission(
                    row.id,
                    row.sha256,
                    row.status,
                    False,
                    row.kind,
                    row.chu,
                    row.annee,
                    bool(row.valid),
                )
    return found


def store_files(conn: Connection, files: Sequence[FileToStore]) -> list[StoredSubmission]:
    """Store received files as ``pending`` submissions, inside the caller's transaction
    (call :func:`lock_submissions` first), with the rows of the valid ones; one bulk insert
    of submissions and one per data table. Bytes already received from the same sender CHU
    (see the module docstring) are not stored again: their submission comes back with
    ``created=False``. :func:`promote_pending` then decides current/superseded/rejected."""
    for item in files:
        _check_result(item.result)
    digests = [item.sha256 or sha256_hex(item.content) for item in files]
    known = existing_submissions(conn, zip(digests, (f.sender_chu for f in files), strict=True))
    now = datetime.now(UTC)
    outcomes: list[StoredSubmission | None] = [None] * len(files)
    new_rows: list[dict[str, Any]] = []
    new_index: list[int] = []
    first_in_batch: dict[tuple[str, str | None], int] = {}
    for index, (item, digest) in enumerate(zip(files, digests, strict=True)):
        key = (digest, item.sender_chu)
        if key in known:
            outcomes[index] = known[key]
            continue
        if key in first_in_batch:
            continue  # the same bytes twice in one batch: one submission, resolved below
        first_in_batch[key] = index
        report = item.result.report
        new_rows.append(
            {
                "sha256": digest,
                "filename": item.filename[:500],
                "size_bytes": len(item.content),
                "content": item.content,
                "sender": item.sender[:200],
                "sender_chu": item.sender_chu,
                "channel": str(item.channel),
                "received_at": as_utc(item.received_at) or now,
                "kind": report.kind,
                "chu": report.chu,
                "annee": report.annee,
                "valid": bool(report.valid),
                "status": str(PENDING),
                # Every error, also those a « … et N autres lignes » summary stands for.
                "n_errors": report.error_total,
                "n_warnings": report.warning_total,
                "report": _report_dict(item.result),
            }
        )
        new_index.append(index)
    if new_rows:
        ids = (
            conn.execute(
                submissions.insert().returning(submissions.c.id, sort_by_parameter_order=True),
                new_rows,
            )
            .scalars()
            .all()
        )
        data_rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in DATA_TABLES}
        for index, new_id, row in zip(new_index, ids, new_rows, strict=True):
            item = files[index]
            report = item.result.report
            outcomes[index] = StoredSubmission(
                new_id,
                row["sha256"],
                str(PENDING),
                True,
                report.kind,
                report.chu,
                report.annee,
                bool(report.valid),
            )
            if report.valid and item.result.records is not None:
                data_rows[report.kind].extend(
                    records_to_rows(
                        report.kind, new_id, item.result.records, report.chu, report.annee
                    )
                )
        for kind, rows in data_rows.items():
            insert_data_rows(conn, kind, rows)
    for index, (item, digest) in enumerate(zip(files, digests, strict=True)):
        if outcomes[index] is None:
            first = outcomes[first_in_batch[(digest, item.sender_chu)]]
            assert first is not None
            outcomes[index] = replace(first, created=False)
    return [o for o in outcomes if o is not None]


def pending_ids(bind: Engine | Connection, limit: int | None = None) -> list[int]:
    """Pending submissions, oldest first (what the pipeline has still to process)."""
    query = (
        sa.select(submissions.c.id)
        .where(submissions.c.status == str(PENDING))
        .order_by(submissions.c.received_at, submissions.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    with connect(bind) as conn:
        return [int(i) for i in conn.execute(query).scalars()]


def promote_pending(
    conn: Connection, submission_ids: Iterable[int] | None = None
) -> dict[int, str]:
    """Give pending submissions their final status, inside the caller's transaction (call
    :func:`lock_submissions` first), in the order they were received (see the module
    docstring): invalid → rejected; valid → current, the previous current one of its
    (chu, annee, kind) superseded, unless the current one was received later (a late
    file: superseded at once). ``submission_ids`` None = every pending one. Ids that are
    not pending (already processed) are left alone. Returns {id: final status}."""
    t = submissions
    query = sa.select(t.c.id, t.c.chu, t.c.annee, t.c.kind, t.c.valid, t.c.received_at).where(
        t.c.status == str(PENDING)
    )
    rows = []
    if submission_ids is None:
        rows = conn.execute(query).all()
    else:
        ids = sorted({int(i) for i in submission_ids})
        for start in range(0, len(ids), 500):
            rows += conn.execute(query.where(t.c.id.in_(ids[start : start + 500]))).all()
    rows.sort(key=lambda r: (as_utc(r.received_at), r.id))
    partitions = {(r.chu, r.annee, r.kind) for r in rows if r.valid}
    # The current submission of each partition involved: (id, received_at).
    current: dict[tuple[str, int, str], tuple[int, datetime]] = {}
    years = sorted({annee for _chu, annee, _kind in partitions})
    for start in range(0, len(years), 200):
        for row in conn.execute(
            sa.select(t.c.id, t.c.chu, t.c.annee, t.c.kind, t.c.received_at).where(
                (t.c.status == str(CURRENT)) & t.c.annee.in_(years[start : start + 200])
            )
        ):
            key = (row.chu, row.annee, row.kind)
            if key in partitions:
                current[key] = (row.id, as_utc(row.received_at))
    final: dict[int, tuple[str, int | None]] = {}  # id -> (status, superseded_by)
    for row in rows:
        if not row.valid:
            final[row.id] = (str(REJECTED), None)
            continue
        key = (row.chu, row.annee, row.kind)
        moment = as_utc(row.received_at)
        holder = current.get(key)
        if holder is not None and holder[1] > moment:
            final[row.id] = (str(SUPERSEDED), holder[0])  # an older file arriving late
            continue
        if holder is not None:
            final[holder[0]] = (str(SUPERSEDED), row.id)
        final[row.id] = (str(CURRENT), None)
        current[key] = (row.id, moment)
    # Demotions first, then the new current ones: the unique index allows one current
    # submission per partition at every moment.
    update = (
        t.update()
        .where(t.c.id == sa.bindparam("b_id"))
        .values(status=sa.bindparam("b_status"), superseded_by=sa.bindparam("b_by"))
    )
    demoted = [
        {"b_id": i, "b_status": s, "b_by": by} for i, (s, by) in final.items() if s != CURRENT
    ]
    promoted = [
        {"b_id": i, "b_status": s, "b_by": by} for i, (s, by) in final.items() if s == CURRENT
    ]
    for batch in (demoted, promoted):
        if batch:
            conn.execute(update, batch)
    pending = {r.id for r in rows}
    return {i: s for i, (s, _by) in final.items() if i in pending}


def store_submission(
    engine: Engine,
    *,
    content: bytes,
    filename: str,
    result: ValidationResult,
    sender: str,
    channel: str,
    sender_chu: str | None = None,
    received_at: datetime | None = None,
) -> StoredSubmission:
    """Store one received file and give it its final status at once, in one transaction;
    see the module docstring. (The ingestion service, ``warehouse.ingestion``, is what
    the channels call; this is its one-file form for tests and tools.)"""
    item = FileToStore(content, filename, result, sender, channel, sender_chu, received_at)
    with write_transaction(engine) as conn:
        lock_submissions(conn)
        (stored,) = store_files(conn, [item])
        if not stored.created:
            return stored
        status = promote_pending(conn, [stored.id])[stored.id]
    return replace(stored, status=status)


def _same_sender(sender_chu: str | None) -> sa.ColumnElement[bool]:
    if sender_chu is None:
        return submissions.c.sender_chu.is_(None)
    return submissions.c.sender_chu == sender_chu


_ANY_SENDER: Any = object()


def submission_exists(
    engine: Engine | Connection, sha256: str, sender_chu: str | None = _ANY_SENDER
) -> bool:
    """True when these bytes (by SHA-256) were already received — from ``sender_chu`` when
    given (None = no sender CHU), else from anyone."""
    query = sa.select(submissions.c.id).where(submissions.c.sha256 == sha256.lower())
    if sender_chu is not _ANY_SENDER:
        query = query.where(_same_sender(sender_chu))
    with connect(engine) as conn:
        return conn.execute(query).first() is not None


def _submission_frame(rows: list[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c.name for c in _LIST_COLUMNS])
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    for name in ("id", "size_bytes", "annee", "superseded_by", "n_errors", "n_warnings"):
        frame[name] = frame[name].astype("Int64")
    frame["valid"] = frame["valid"].astype(bool)
    return frame


def list_submissions(
    engine: Engine | Connection,
    chu: str | None = None,
    annee: int | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Submissions (without bytes nor report), oldest first. ``received_at`` is UTC."""
    query = sa.select(*_LIST_COLUMNS).order_by(submissions.c.received_at, submissions.c.id)
    if chu is not None:
        query = query.where(submissions.c.chu == chu)
    if annee is not None:
        query = query.where(submissions.c.annee == int(annee))
    if kind is not None:
        query = query.where(submissions.c.kind == kind)
    if status is not None:
        query = query.where(submissions.c.status == status)
    with connect(engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return _submission_frame(rows)


def get_submission(engine: Engine | Connection, submission_id: int) -> dict[str, Any] | None:
    """One submission with its report (a dict), without its bytes; None when unknown."""
    query = sa.select(*_LIST_COLUMNS, submissions.c.report).where(
        submissions.c.id == int(submission_id)
    )
    with connect(engine) as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    data = dict(row._mapping)
    if isinstance(data["report"], str):
        data["report"] = json.loads(data["report"])
    data["received_at"] = as_utc(data["received_at"])
    return data


def get_submission_content(engine: Engine | Connection, submission_id: int) -> bytes:
    """The original bytes of a submission; KeyError when unknown."""
    with connect(engine) as conn:
        content = conn.execute(
            sa.select(submissions.c.content).where(submissions.c.id == int(submission_id))
        ).scalar_one_or_none()
    if content is None:
        raise KeyError(f"Soumission {submission_id} introuvable.")
    return bytes(content)
