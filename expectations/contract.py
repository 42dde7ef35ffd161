"""Data contract v1 (DESIGN §3.2): the three kinds of file, their columns and their code lists.

The row-level rules themselves live in the Great Expectations suites
(``expectations/suites/*.json``); this module holds what the reader and the
report need to know about columns, and the canonical forms of coded values.
"""

from __future__ import annotations

from dataclasses import dataclass

MATURITE = "maturite"
DEPENSES = "depenses"
PROFIL = "profil"
KINDS = (MATURITE, DEPENSES, PROFIL)

MAX_FILE_BYTES = 10 * 1024 * 1024
MIN_YEAR = 2015
COMMENT_MAX_CHARS = 2000
# Free-text columns and their maximum length in characters, checked by the suites
# (``expect_column_value_lengths_to_be_between``). ``fournisseur`` and ``solution`` are
# VARCHAR(300) in the warehouse; coded columns (chu, categorie, nature, fonction_csf,
# iso27001, mesure_id) are bounded by their code lists, numbers by their parsing.
TEXT_MAX_CHARS: dict[str, int] = {
    "commentaire": COMMENT_MAX_CHARS,
    "libelle": 500,
    "fournisseur": 300,
    "solution": 300,
}
# A report lists at most this many findings per rule (a setting: CHU_BENCH_MAX_LISTED),
# then one finding « … et N autres lignes » with the exact count. More than a referential's
# measures (104), so that a fresh template's missing levels are all listed.
MAX_LISTED_PER_RULE = 200

CATEGORIES = (
    "personnel",
    "logiciels",
    "materiel",
    "prestations",
    "formation",
    "audit_certification",
    "autre",
)
# French synonyms accepted for `nature`, any case, stored in canonical form.
NATURE_SYNONYMS = {
    "capex": "capex",
    "investissement": "capex",
    "opex": "opex",
    "fonctionnement": "opex",
}
ISO27001_STATES = ("aucun", "en_cours", "certifie")
CSF_FUNCTIONS = ("GV", "ID", "PR", "DE", "RS", "RC")
NOT_APPLICABLE = "NA"


@dataclass(frozen=True)
class FileKind:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # Columns whose presence tells this kind apart from the others (header-based recognition).
    signature: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


FILE_KINDS: dict[str, FileKind] = {
    MATURITE: FileKind(
        name=MATURITE,
        required=("chu", "annee", "mesure_id", "niveau"),
        optional=("cible", "commentaire"),
        signature=("mesure_id", "niveau", "cible"),
    ),
    DEPENSES: FileKind(
        name=DEPENSES,
        required=("chu", "annee", "categorie", "nature", "montant_mad", "libelle"),
        optional=("fonction_csf", "fournisseur", "solution"),
        signature=("categorie", "nature", "montant_mad", "libelle", "fournisseur", "solution"),
    ),
    PROFIL: FileKind(
        name=PROFIL,
        required=(
            "chu",
            "annee",
            "lits",
            "effectif_total",
            "effectif_si",
            "effectif_ssi",
            "budget_total_mad",
            "budget_si_mad",
            "iso27001",
        ),
        optional=("stade_numerique", "incidents_declares"),
        signature=(
            "lits",
            "effectif_total",
            "effectif_si",
            "effectif_ssi",
            "budget_total_mad",
            "budget_si_mad",
            "iso27001",
        ),
    ),
}
