"""What a DSI fills in the Dépôt page's form before sending it (issue 10), and the answers of
a past campaign that prefill the form and the workbook templates.

* :func:`campaign_answers` — a CHU's current answers of one campaign, in contract columns
  (what ``expectations.templates`` prefills and what the form starts from);
* :func:`save_draft` / :func:`load_draft` / :func:`list_drafts` / :func:`delete_draft` — one
  draft per CHU, year and kind, kept in the warehouse across logins. Every function takes the
  CHU: the dashboard passes the signed-in DSI's own, so a DSI never reads another CHU's
  draft (there is no function that lists every CHU's drafts).

A draft is not a submission: nothing in it is validated or counted until the DSI submits,
and submitting goes through ``warehouse.ingestion`` like any other file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from expectations.contract import DEPENSES, FILE_KINDS, KINDS, MATURITE, NOT_APPLICABLE
from warehouse.engine import connect, write_transaction
from warehouse.schema import drafts
from warehouse.submissions import as_utc

if TYPE_CHECKING:
    from expectations.reference import ReferenceData
    from warehouse.ingestion import IngestionOutcome

Bind = Engine | Connection

# A draft is what a person types: far below these, which only stop abuse of the table.
MAX_DRAFT_ROWS = 2_000
MAX_DRAFT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Draft:
    chu: str
    annee: int
    kind: str
    rows: list[dict[str, Any]]
    saved_by: str
    saved_at: datetime


def _plain(value: Any) -> Any:
    """A cell as JSON keeps it: numpy/pandas scalars as Python ones, missing as None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if value is pd.NA or (isinstance(value, float) and value != value):
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _clean_rows(kind: str, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    columns = FILE_KINDS[kind].columns
    return [{c: _plain(row.get(c)) for c in columns} for row in rows]


def save_draft(
    engine: Engine,
    *,
    chu: str,
    annee: int,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    saved_by: str,
) -> Draft:
    """Keep (or replace) the draft of ``chu`` for that year and kind."""
    if kind not in KINDS:
        raise ValueError(f"type de fichier inconnu : {kind}")
    cleaned = _clean_rows(kind, rows)
    if len(cleaned) > MAX_DRAFT_ROWS:
        raise ValueError(
            f"Le brouillon compte {len(cleaned)} lignes, au-delà de {MAX_DRAFT_ROWS} : "
            "envoyez plutôt un fichier (CSV ou XLSX)."
        )
    if len(json.dumps(cleaned, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
        raise ValueError(
            "Le brouillon dépasse 2 Mo : raccourcissez les commentaires ou envoyez un fichier."
        )
    saved_at = datetime.now(UTC)
    key = {"chu": chu, "annee": int(annee), "kind": kind}
    with write_transaction(engine) as conn:
        conn.execute(
            drafts.delete().where(
                drafts.c.chu == chu, drafts.c.annee == int(annee), drafts.c.kind == kind
            )
        )
        conn.execute(
            drafts.insert().values(**key, rows=cleaned, saved_by=saved_by, saved_at=saved_at)
        )
    return Draft(chu, int(annee), kind, cleaned, saved_by, saved_at)


def _draft(row: Any) -> Draft:
    return Draft(
        row.chu, int(row.annee), row.kind, list(row.rows), row.saved_by, as_utc(row.saved_at)
    )


def load_draft(bind: Bind, *, chu: str, annee: int, kind: str) -> Draft | None:
    query = sa.select(drafts).where(
        drafts.c.chu == chu, drafts.c.annee == int(annee), drafts.c.kind == kind
    )
    with connect(bind) as conn:
        row = conn.execute(query).first()
    return _draft(row) if row is not None else None


def list_drafts(bind: Bind, *, chu: str) -> list[Draft]:
    """The drafts of one CHU, latest first."""
    query = sa.select(drafts).where(drafts.c.chu == chu).order_by(drafts.c.saved_at.desc())
    with connect(bind) as conn:
        return [_draft(row) for row in conn.execute(query)]


def delete_draft(engine: Engine, *, chu: str, annee: int, kind: str) -> bool:
    """Forget a draft (once submitted); True when there was one."""
    with write_transaction(engine) as conn:
        done = conn.execute(
            drafts.delete().where(
                drafts.c.chu == chu, drafts.c.annee == int(annee), drafts.c.kind == kind
            )
        )
    return bool(done.rowcount)


def campaign_answers(bind: Bind, *, chu: str, annee: int, kind: str) -> list[dict[str, Any]]:
    """The CHU's current answers of that campaign in contract columns (``niveau`` ``NA`` for a
    measure not applicable), or ``[]`` when nothing valid was received."""
    from warehouse.reads import (
        frame_to_records,
        read_current_answers,
        read_current_profiles,
        read_current_spending,
    )

    if kind not in KINDS:
        raise ValueError(f"type de fichier inconnu : {kind}")
    read = {
        MATURITE: read_current_answers,
        DEPENSES: read_current_spending,
    }.get(kind, read_current_profiles)
    with connect(bind) as conn:
        frame = read(conn, int(annee), chu)
    rows = _clean_rows(kind, frame_to_records(frame))
    if kind == MATURITE:
        for row in rows:
            if row["niveau"] is None:
                row["niveau"] = NOT_APPLICABLE
    return rows


def latest_campaign(bind: Bind, *, chu: str, kind: str, until: int | None = None) -> int | None:
    """The latest year (``until`` included, when given) with a current submission of that
    kind from the CHU: the campaign the form and the Dépôt page's templates start from."""
    from warehouse.schema import submissions
    from warehouse.submissions import CURRENT

    query = sa.select(sa.func.max(submissions.c.annee)).where(
        submissions.c.chu == chu, submissions.c.kind == kind, submissions.c.status == CURRENT
    )
    if until is not None:
        query = query.where(submissions.c.annee <= int(until))
    with connect(bind) as conn:
        value = conn.execute(query).scalar()
    return int(value) if value is not None else None


def form_file(
    kind: str, chu: str, annee: int, rows: Sequence[Mapping[str, Any]]
) -> tuple[str, bytes]:
    """The form's answers as the contract's CSV (name, bytes): the one shape every channel
    sends, so the form gets the same contract, report and figures as a file."""
    from expectations.templates import contract_csv, template_rows

    # template_rows places the answers on the campaign's measures (maturite) or on the one
    # profile row, with this CHU and year, exactly as the template a DSI would fill.
    filled = template_rows(kind, chu, annee, prefill=rows)
    return f"formulaire_{kind}_{chu.lower()}_{annee}.csv", contract_csv(kind, filled)


def submit_answers(
    engine: Engine,
    *,
    chu: str,
    annee: int,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    sender: str,
    reference: ReferenceData | None = None,
) -> IngestionOutcome:
    """Send the form's answers through the ingestion service (channel « formulaire »): the
    report comes back at once, the pipeline makes a valid submission current. A valid
    submission ends the draft; an invalid one keeps it, to be corrected."""
    from warehouse.ingestion import Channel, ReceivedFile, receive_files

    filename, content = form_file(kind, chu, annee, rows)
    [outcome] = receive_files(
        engine, [ReceivedFile(content, filename, chu, sender, Channel.FORM)], reference=reference
    )
    if outcome.valid:
        delete_draft(engine, chu=chu, annee=annee, kind=kind)
    return outcome
