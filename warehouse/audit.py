"""The audit trail (issue 7.8): who did what, when — never a data value.

Recorded: logins (successful or not), account changes, uploads, table downloads and reports
generated. Each event is (when, actor, action, target, detail): the actor is an account
name (``(inconnu)`` for a login attempt under a name that matches no account — the typed
text could be a password typed in the wrong field), ``cli:<system user>`` for the command
line, ``(système)`` for code that named no actor; the target names an account, a table,
a submission or a report; the detail is a short fact (a role, a format, a reason). Passwords, cell values and file contents never
enter this table: callers pass identifiers only, and the text is cut to the column sizes.

Plain functions, no Streamlit: the dashboard, the CLI and the pipeline call ``record``.
A caller inside a write transaction passes its connection, so that the event and the
change it describes are committed together.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.engine import connect, write_transaction
from warehouse.schema import audit_events

UNKNOWN_ACTOR = "(inconnu)"
# A change made by code that named no actor (a script, the tests' seeding).
SYSTEM_ACTOR = "(système)"
_ACTOR_MAX = audit_events.c.actor.type.length
_TARGET_MAX = audit_events.c.target.type.length
_DETAIL_MAX = audit_events.c.detail.type.length


class AuditAction(StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SESSION_ENDED = "session_ended"
    ACCOUNT_CREATED = "account_created"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_ENABLED = "account_enabled"
    PASSWORD_CHANGED = "password_changed"
    UPLOAD = "upload"
    DOWNLOAD = "download"
    REPORT_GENERATED = "report_generated"


# French labels for the Comptes page.
ACTION_LABELS: dict[AuditAction, str] = {
    AuditAction.LOGIN_SUCCEEDED: "connexion réussie",
    AuditAction.LOGIN_FAILED: "connexion refusée",
    AuditAction.LOGOUT: "déconnexion",
    AuditAction.SESSION_ENDED: "session terminée",
    AuditAction.ACCOUNT_CREATED: "compte créé",
    AuditAction.ACCOUNT_DISABLED: "compte désactivé",
    AuditAction.ACCOUNT_ENABLED: "compte réactivé",
    AuditAction.PASSWORD_CHANGED: "mot de passe changé",
    AuditAction.UPLOAD: "dépôt de fichier",
    AuditAction.DOWNLOAD: "téléchargement d'un tableau",
    AuditAction.REPORT_GENERATED: "rapport généré",
}


@dataclass(frozen=True)
class AuditEvent:
    id: int
    occurred_at: datetime
    actor: str
    action: AuditAction
    target: str | None
    detail: str | None


def cli_actor() -> str:
    """The actor of a command-line action: the system account that ran it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "?"
    return f"cli:{user}"


def _cut(text: str | None, limit: int | None) -> str | None:
    if text is None:
        return None
    text = str(text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record(
    bind: Engine | Connection,
    actor: str,
    action: AuditAction | str,
    target: str | None = None,
    detail: str | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Appends one event. ``bind`` may be a connection inside the caller's write
    transaction (committed with it) or an engine (own transaction)."""
    values = {
        "occurred_at": _utc(now or datetime.now(UTC)),
        "actor": _cut(actor or UNKNOWN_ACTOR, _ACTOR_MAX),
        "action": AuditAction(action).value,
        "target": _cut(target, _TARGET_MAX),
        "detail": _cut(detail, _DETAIL_MAX),
    }
    if isinstance(bind, Connection):
        bind.execute(audit_events.insert().values(**values))
        return
    with write_transaction(bind) as conn:
        conn.execute(audit_events.insert().values(**values))


def list_events(
    bind: Engine | Connection,
    *,
    actor: str | None = None,
    actions: tuple[AuditAction | str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 10_000,
) -> list[AuditEvent]:
    """Events, newest first, filtered by actor, actions and period ``[since, until)``."""
    query = sa.select(audit_events).order_by(
        audit_events.c.occurred_at.desc(), audit_events.c.id.desc()
    )
    if actor:
        query = query.where(audit_events.c.actor == actor)
    if actions:
        query = query.where(audit_events.c.action.in_([AuditAction(a).value for a in actions]))
    if since is not None:
        query = query.where(audit_events.c.occurred_at >= _utc(since))
    if until is not None:
        query = query.where(audit_events.c.occurred_at < _utc(until))
    if limit is not None:
        query = query.limit(limit)
    with connect(bind) as conn:
        rows = conn.execute(query).all()
    return [
        AuditEvent(
            id=row.id,
            occurred_at=_utc(row.occurred_at),
            actor=row.actor,
            action=AuditAction(row.action),
            target=row.target,
            detail=row.detail,
        )
        for row in rows
    ]
