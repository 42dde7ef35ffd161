"""The warehouse's SQL schema, in one place (SQLAlchemy Core)."""

from __future__ import annotations

import sqlalchemy as sa

# BENCHMARK_COLUMNS is re-exported: callers import it from here as before.
from warehouse.figures import BENCHMARK_COLUMNS as BENCHMARK_COLUMNS
from warehouse.figures import FIGURES

metadata = sa.MetaData()

# Exact NUMERIC in the database, floats in Python: pandas computes in floats anyway, and
# Decimal would make SQLite warn and every DataFrame column object-typed.
Money = sa.Numeric(18, 2, asdecimal=False)

# Every file received, valid or not: nothing is lost (DESIGN §4).
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Not unique alone: the same bytes sent by two CHUs are two submissions (see below).
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("filename", sa.String(500), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("sender", sa.String(200), nullable=False),
    sa.Column("sender_chu", sa.String(20)),
    sa.Column("channel", sa.String(20), nullable=False),  # cli, depot, capteur, run
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(20)),
    sa.Column("chu", sa.String(20)),
    sa.Column("annee", sa.Integer),
    sa.Column("valid", sa.Boolean, nullable=False),
    # current: the latest valid file of its (chu, annee, kind); superseded: an earlier valid
    # one; rejected: invalid, kept with its report, never replaces valid data.
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("superseded_by", sa.Integer, sa.ForeignKey("submissions.id")),
    sa.Column("n_errors", sa.Integer, nullable=False, default=0),
    sa.Column("n_warnings", sa.Integer, nullable=False, default=0),
    sa.Column("report", sa.JSON, nullable=False),
    sa.Index("ix_submissions_partition", "chu", "annee", "kind", "status"),
    # At most one current submission per (chu, annee, kind), enforced by the database itself.
    sa.Index(
        "ux_submissions_current",
        "chu",
        "annee",
        "kind",
        unique=True,
        sqlite_where=sa.text("status = 'current'"),
        postgresql_where=sa.text("status = 'current'"),
    ),
)

maturity_answers = sa.Table(
    "maturity_answers",
    metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
    sa.Column("mesure_id", sa.String(60), primary_key=True),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("chu", sa.String(20), nullable=False),
    sa.Column("annee", sa.Integer, nullable=False),
    sa.Column("niveau", sa.Integer),  # NULL = not applicable (NA)
    sa.Column("cible", sa.Integer),
    sa.Column("commentaire", sa.Text),
    sa.Index("ix_maturity_chu_annee", "chu", "annee"),
)

spending_lines = sa.Table(
    "spending_lines",
    metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
    sa.Column("line", sa.Integer, primary_key=True),
    sa.Column("chu", sa.String(20), nullable=False),
    sa.Column("annee", sa.Integer, nullable=False),
    sa.Column("categorie", sa.String(40), nullable=False),
    sa.Column("nature", sa.String(10), nullable=False),  # capex | opex
    sa.Column("montant_mad", Money, nullable=False),
    sa.Column("libelle", sa.Text, nullable=False),
    sa.Column("fonction_csf", sa.String(2)),
    sa.Column("fournisseur", sa.String(300)),
    sa.Column("solution", sa.String(300)),
    sa.Index("ix_spending_chu_annee", "chu", "annee"),
)

profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("chu", sa.String(20), nullable=False),
    sa.Column("annee", sa.Integer, nullable=False),
    sa.Column("lits", sa.Integer, nullable=False),
    sa.Column("effectif_total", sa.Float, nullable=False),
    sa.Column("effectif_si", sa.Float, nullable=False),
    sa.Column("effectif_ssi", sa.Float, nullable=False),
    sa.Column("budget_total_mad", Money, nullable=False),
    sa.Column("budget_si_mad", Money, nullable=False),
    sa.Column("iso27001", sa.String(20), nullable=False),
    sa.Column("stade_numerique", sa.Integer),
    sa.Column("incidents_declares", sa.Integer),
    sa.Index("ix_profiles_chu_annee", "chu", "annee"),
)

# The §5 benchmark, one row per CHU and year, with the submissions each figure comes from.
# Its columns (BENCHMARK_COLUMNS) come from the figure registry, warehouse/figures.py.
benchmark = sa.Table(
    "benchmark",
    metadata,
    sa.Column("chu", sa.String(20), primary_key=True),
    sa.Column("annee", sa.Integer, primary_key=True),
    *(sa.Column(f.name, sa.Integer if f.is_integer else sa.Float) for f in FIGURES),
    sa.Column("maturite_submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
    sa.Column("depenses_submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
    sa.Column("profil_submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)

pooling_opportunities = sa.Table(
    "pooling_opportunities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("annee", sa.Integer, nullable=False),
    sa.Column("type", sa.String(20), nullable=False),  # solution | fournisseur
    sa.Column("nom", sa.String(300), nullable=False),
    sa.Column("nb_chu", sa.Integer, nullable=False),
    sa.Column("chus", sa.String(300), nullable=False),  # codes, comma-separated, sorted
    sa.Column("total_mad", Money, nullable=False),
    sa.Column("taux_economie", sa.Float, nullable=False),
    sa.Column("economie_estimee_mad", Money, nullable=False),
    sa.Column("submission_ids", sa.String(500), nullable=False),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)

# A submission is identified by its bytes AND its sender's CHU: validation depends on who
# sends (a file about FES sent from MAR's folder is rejected), so FES's own copy of those
# bytes must not be mistaken for MAR's rejected one. The same bytes from the same CHU are
# one submission (DESIGN §4, idempotent).
sa.Index(
    "ux_submissions_sha256_sender",
    submissions.c.sha256,
    sa.func.coalesce(submissions.c.sender_chu, sa.literal_column("''")),
    unique=True,
)

campaign_status = sa.Table(
    "campaign_status",
    metadata,
    sa.Column("chu", sa.String(20), primary_key=True),
    sa.Column("annee", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    # manquant: nothing received; invalide: only rejected files; valide: a current valid file.
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("n_submissions", sa.Integer, nullable=False),
    sa.Column("current_submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
    sa.Column("last_received_at", sa.DateTime(timezone=True)),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)

# Local dashboard accounts (DESIGN §8). Passwords are argon2id hashes, never plain text.
users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # alliance | dsi | admin
    sa.Column("chu", sa.String(20)),  # required for role dsi
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    # SEC (7.6): bumped by a password change or a disable; a dashboard session opened with
    # an older value ends at its next interaction.
    sa.Column("session_version", sa.Integer, nullable=False, default=0, server_default="0"),
)

# --- SEC (issue 7.8): the audit trail -------------------------------------------------------
# Who did what, when: logins, account changes, uploads, downloads, reports (warehouse/audit.py).
# Never a data value, a password or a file's content: identifiers and short facts only.
audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
    # An account name, « cli:<system user> », or « (inconnu) » for a login with an unknown name.
    sa.Column("actor", sa.String(200), nullable=False, index=True),
    sa.Column("action", sa.String(40), nullable=False, index=True),  # audit.AuditAction
    sa.Column("target", sa.String(300)),  # an account, a table, a submission, a report
    sa.Column("detail", sa.String(500)),
)

# --- FORMS (issue 10): drafts of the Dépôt page's form ----------------------------------------
# One draft per CHU, year and kind: the answers being typed (contract columns, as JSON), kept
# across logins until they are submitted (warehouse/drafts.py). Read and written only for the
# signed-in DSI's own CHU.
drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("chu", sa.String(20), primary_key=True),
    sa.Column("annee", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("rows", sa.JSON, nullable=False),
    sa.Column("saved_by", sa.String(100), nullable=False),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
)
