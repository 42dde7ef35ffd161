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
* an invalid file is ``rejected``: stored with its report, no rows, never replaces valid data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from expectations.contract import DEPENSES, MATURITE, PROFIL
from warehouse.engine import connect, is_postgresql, write_transaction
from warehouse.schema import maturity_answers, profiles, spending_lines, submissions

if TYPE_CHECKING:
    from expectations.validate import ValidationResult

CURRENT = "current"
SUPERSEDED = "superseded"
REJECTED = "rejected"
SUBMISSION_STATUSES = (CURRENT, SUPERSEDED, REJECTED)

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


def records_to_rows(
    kind: str, submission_id: int, records: pd.DataFrame, chu: str, annee: int
) -> list[dict[str, Any]]:
    """The contract's canonical records as rows of the kind's table."""
    table = DATA_TABLES[kind]
    columns = [c for c in table.c if c.name != "submission_id"]
    defaults = {"chu": chu, "annee": annee}
    rows: list[dict[str, Any]] = []
    for record in records.to_dict(orient="records"):
        row: dict[str, Any] = {"submission_id": submission_id}
        for column in columns:
            value = record.get(column.name, defaults.get(column.name))
            row[column.name] = _python_value(value, column)
        rows.append(row)
    return rows


def insert_data_rows(conn: Connection, kind: str, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (one executemany) of a submission's rows."""
    if rows:
        conn.execute(DATA_TABLES[kind].insert(), rows)


def _report_dict(result: ValidationResult) -> dict[str, Any]:
    # Round-trip through JSON so that whatever the report holds is storable as JSON.
    return json.loads(result.report.to_json())


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
    """Store one received file and, when valid, its rows; see the module docstring."""
    digest = sha256_hex(content)
    moment = as_utc(received_at) or datetime.now(UTC)
    report = result.report
    valid = bool(report.valid)
    records = result.records
    if valid:
        if records is None or not report.kind or not report.chu or report.annee is None:
            raise ValueError(
                "Un résultat valide doit porter le type, le CHU, l'année et les lignes du fichier."
            )
        if report.kind not in DATA_TABLES:
            raise ValueError(f"Type de fichier inconnu : {report.kind}.")
        if report.kind == PROFIL and len(records) != 1:
            raise ValueError("Un fichier de profil valide compte exactement une ligne.")

    values: dict[str, Any] = {
        "sha256": digest,
        "filename": filename[:500],
        "size_bytes": len(content),
        "content": content,
        "sender": sender[:200],
        "sender_chu": sender_chu,
        "channel": channel,
        "received_at": moment,
        "kind": report.kind,
        "chu": report.chu,
        "annee": report.annee,
        "valid": valid,
        "n_errors": len(report.errors),
        "n_warnings": len(report.warnings),
        "report": _report_dict(result),
    }

    with write_transaction(engine) as conn:
        if is_postgresql(conn):
            # Serialises writers of submissions (readers are not blocked), so that two
            # concurrent loads cannot both become current or both insert the same bytes.
            conn.exec_driver_sql("LOCK TABLE submissions IN SHARE ROW EXCLUSIVE MODE")
        existing = conn.execute(
            sa.select(submissions.c.id, submissions.c.status).where(
                (submissions.c.sha256 == digest) & _same_sender(sender_chu)
            )
        ).first()
        if existing is not None:
            return StoredSubmission(existing.id, digest, existing.status, created=False)

        if not valid:
            new_id = conn.execute(
                submissions.insert().values(status=REJECTED, **values).returning(submissions.c.id)
            ).scalar_one()
            return StoredSubmission(new_id, digest, REJECTED, created=True)

        partition = (
            (submissions.c.chu == report.chu)
            & (submissions.c.annee == report.annee)
            & (submissions.c.kind == report.kind)
        )
        current = conn.execute(
            sa.select(submissions.c.id, submissions.c.received_at).where(
                partition & (submissions.c.status == CURRENT)
            )
        ).first()

        if current is not None and as_utc(current.received_at) > moment:
            # An older file arriving late: kept, but the newer current one stays current.
            status = SUPERSEDED
            new_id = conn.execute(
                submissions.insert()
                .values(status=SUPERSEDED, superseded_by=current.id, **values)
                .returning(submissions.c.id)
            ).scalar_one()
        else:
            status = CURRENT
            if current is not None:
                # Status first: the unique index allows one current row per partition.
                conn.execute(
                    submissions.update()
                    .where(submissions.c.id == current.id)
                    .values(status=SUPERSEDED)
                )
            new_id = conn.execute(
                submissions.insert().values(status=CURRENT, **values).returning(submissions.c.id)
            ).scalar_one()
            if current is not None:
                conn.execute(
                    submissions.update()
                    .where(submissions.c.id == current.id)
                    .values(superseded_by=new_id)
                )

        rows = records_to_rows(report.kind, new_id, records, report.chu, report.annee)
        insert_data_rows(conn, report.kind, rows)
        return StoredSubmission(new_id, digest, status, created=True)


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
