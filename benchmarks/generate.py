"""Seeded generator of a realistic, FICTITIOUS alliance of CHUs (DESIGN §3 files, §7 landing layout).

``python -m benchmarks.generate --out data/sample --seed 2025`` rewrites the committed sample
byte for byte; ``--establishments 200 --years 2016-2025 --reference-out DIR`` makes a
national-scale set for the benchmarks (with a matching reference folder, since synthetic
codes such as ``E007`` are not in the registry).

Every figure is invented. The shapes are realistic on purpose: maturity differs between
CHUs and improves mildly; detection/response lag behind governance; security spend is a few
per cent of an IT budget that is 1–3 % of the hospital's budget; the same solutions are bought
by several CHUs (pooling); files come in the encodings, delimiters and number formats that
French Excel, LibreOffice and web tools actually export; three files are broken on purpose.

Determinism: every random draw comes from a ``random.Random`` seeded with a string built from
the seed and what is drawn (establishment, year, kind), so one file does not depend on which
others are generated, and nothing depends on the date, hash seeds or set ordering.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from expectations.contract import FILE_KINDS
from expectations.reference import (
    PROJECT_ROOT,
    Establishment,
    Measure,
    ReferenceData,
    load_reference,
    reference_dir,
)

DEFAULT_SEED = 2025
DEFAULT_YEARS = (2023, 2024, 2025)
DEFAULT_OUT = PROJECT_ROOT / "data" / "sample"
# Year the hand-written traits describe; other years move from it by growth rates.
BASE_YEAR = 2023
FICTITIOUS_MARKER = "Données fictives (jeu d'exemple chu-bench)"

KINDS = tuple(FILE_KINDS)
# The contract's column order is the order of the files we write.
COLUMNS = {kind: spec.columns for kind, spec in FILE_KINDS.items()}


# --------------------------------------------------------------------------- file dialects


@dataclass(frozen=True)
class Dialect:
    """How one tool exports a CSV: bytes, delimiter, numbers, line ends, header spelling."""

    key: str
    encoding: str  # cp1252 | utf-8 | utf-8-sig | utf-16 (little-endian with BOM)
    delimiter: str
    decimal: str
    group: str  # thousands separator ("" = none)
    newline: str
    headers: str  # contract | titled | upper | spaced
    nature: str  # code (capex/opex) | french (Investissement/Fonctionnement) | upper (CAPEX)
    always_cents: bool  # Excel's "Nombre, 2 décimales" format writes ,00 on every amount
    description: str

    @property
    def encoding_label(self) -> str:
        return {
            "cp1252": "Windows-1252",
            "utf-8": "UTF-8 (sans BOM)",
            "utf-8-sig": "UTF-8 avec BOM",
            "utf-16": "UTF-16 LE avec BOM",
        }[self.encoding]


def _dialect(key: str, encoding: str, delimiter: str, numbers: str, **options: object) -> Dialect:
    """``numbers`` is "<decimal><thousands>", e.g. ",\u00a0" for ``1 234,5`` with a NBSP."""
    return Dialect(
        key=key,
        encoding=encoding,
        delimiter=delimiter,
        decimal=numbers[0],
        group=numbers[1:],
        **options,  # type: ignore[arg-type]
    )


DIALECTS: dict[str, Dialect] = {
    d.key: d
    for d in (
        _dialect(
            "excel_fr_1252",
            "cp1252",
            ";",
            ",\u00a0",
            newline="\r\n",
            headers="titled",
            nature="french",
            always_cents=True,
            description="Excel français « CSV (séparateur : point-virgule) »",
        ),
        _dialect(
            "excel_fr_1252_space",
            "cp1252",
            ";",
            ", ",
            newline="\r\n",
            headers="upper",
            nature="upper",
            always_cents=False,
            description="Excel français, milliers saisis avec des espaces",
        ),
        _dialect(
            "utf8_bom_semicolon",
            "utf-8-sig",
            ";",
            ",",
            newline="\r\n",
            headers="contract",
            nature="code",
            always_cents=False,
            description="Excel « CSV UTF-8 (délimité par des points-virgules) »",
        ),
        _dialect(
            "utf8_bom_nnbsp",
            "utf-8-sig",
            ";",
            ",\u202f",
            newline="\n",
            headers="spaced",
            nature="french",
            always_cents=False,
            description="LibreOffice, locale française (espace fine insécable)",
        ),
        _dialect(
            "utf8_comma",
            "utf-8",
            ",",
            ".",
            newline="\n",
            headers="contract",
            nature="code",
            always_cents=False,
            description="export d'un outil web (virgule, point décimal)",
        ),
        _dialect(
            "utf16_tab",
            "utf-16",
            "\t",
            ",\u00a0",
            newline="\r\n",
            headers="titled",
            nature="french",
            always_cents=True,
            description="Excel « Texte Unicode » (tabulations)",
        ),
    )
}

_TITLED = {
    "chu": "CHU",
    "annee": "Année",
    "mesure_id": "Mesure_ID",
    "niveau": "Niveau",
    "cible": "Cible",
    "commentaire": "Commentaire",
    "categorie": "Catégorie",
    "nature": "Nature",
    "montant_mad": "Montant_MAD",
    "libelle": "Libellé",
    "fonction_csf": "Fonction_CSF",
    "fournisseur": "Fournisseur",
    "solution": "Solution",
    "lits": "Lits",
    "effectif_total": "Effectif_total",
    "effectif_si": "Effectif_SI",
    "effectif_ssi": "Effectif_SSI",
    "budget_total_mad": "Budget_total_MAD",
    "budget_si_mad": "Budget_SI_MAD",
    "iso27001": "ISO27001",
    "stade_numerique": "Stade_numérique",
    "incidents_declares": "Incidents_déclarés",
}


def _header(column: str, style: str) -> str:
    if style == "titled":
        return _TITLED[column]
    if style == "upper":
        return _TITLED[column].upper()
    if style == "spaced":
        # Spreadsheets keep stray spaces typed around a title; the contract trims them.
        return f" {_TITLED[column]} " if column in ("chu", "annee") else _TITLED[column]
    return column


# House style of each registry CHU: key (year, kind) > year > kind > "*".
HOUSE_STYLES: dict[str, dict[object, str]] = {
    "FES": {"*": "excel_fr_1252", (2025, "profil"): "utf8_bom_semicolon"},
    "MAR": {"*": "utf8_bom_semicolon"},
    "AGA": {"*": "utf8_comma"},
    "CAS": {"*": "excel_fr_1252_space", (2025, "depenses"): "utf16_tab"},
    "RAB": {"*": "utf8_comma", "profil": "utf8_bom_semicolon"},
    "TNG": {"*": "utf8_bom_nnbsp", 2023: "excel_fr_1252"},
}
# Rabat's spending export puts its columns in its own order (the contract matches by name).
REORDERED_DEPENSES = (
    "annee",
    "chu",
    "libelle",
    "categorie",
    "nature",
    "fonction_csf",
    "fournisseur",
    "solution",
    "montant_mad",
)
REORDERED = frozenset({("RAB", "depenses")})
LOWER_CHU_CELLS = frozenset({("TNG", "depenses")})
LOWER_NA = frozenset({"TNG"})
# One comment spans two lines inside quotes (Alt+Entrée in Excel).
MULTILINE_COMMENT_AT = ("FES", 2025, "EXP-SAUV-RESTAUR")


def dialect_for(code: str, annee: int, kind: str, seed: int) -> Dialect:
    house = HOUSE_STYLES.get(code)
    if house is not None:
        for key in ((annee, kind), annee, kind, "*"):
            if key in house:
                return DIALECTS[house[key]]
    # Synthetic members: one house style each, and now and then a file from another tool.
    keys = sorted(DIALECTS)
    base = random.Random(f"{seed}|{code}|house").choice(keys)
    rng = random.Random(f"{seed}|{code}|{annee}|{kind}|dialect")
    return DIALECTS[rng.choice(keys) if rng.random() < 0.15 else base]


# --------------------------------------------------------------------------- establishments

# Detection/response/recovery lag behind governance in most hospitals (drives the radar).
COMMON_FUNCTION_OFFSETS = {"GV": 0.35, "ID": 0.1, "PR": 0.15, "DE": -0.5, "RS": -0.6, "RC": -0.3}

# Hand-set traits of the six registry CHUs: leaders (RAB, CAS), middle (MAR, FES, AGA),
# laggard (TNG); each with its own strengths so that the heatmap is not a flat gradient.
HAND_TRAITS: dict[str, dict[str, object]] = {
    "RAB": {
        "maturity": 2.9,
        "growth": 0.22,
        "twist": {"GV": 0.2, "DE": 0.15},
        "cost_per_bed": 0.98e6,
        "it_share": 0.024,
        "sec_share": 0.085,
        "ssi_staff": 0.10,
        "stade": 4.6,
        "iso": {2023: "en_cours", 2024: "en_cours", 2025: "certifie"},
        "cible": "full",
    },
    "CAS": {
        "maturity": 2.7,
        "growth": 0.2,
        "twist": {"DE": 0.75, "RS": 0.45, "GV": -0.1},
        "cost_per_bed": 1.0e6,
        "it_share": 0.021,
        "sec_share": 0.075,
        "ssi_staff": 0.09,
        "stade": 4.2,
        "iso": {2023: "aucun", 2024: "en_cours", 2025: "en_cours"},
        "cible": "full",
    },
    "MAR": {
        "maturity": 2.35,
        "growth": 0.18,
        "twist": {"GV": 0.3, "RC": -0.35},
        "cost_per_bed": 0.85e6,
        "it_share": 0.017,
        "sec_share": 0.06,
        "ssi_staff": 0.075,
        "stade": 3.6,
        "iso": {},
        "cible": "partial",
    },
    "FES": {
        "maturity": 2.1,
        "growth": 0.26,
        "twist": {"RC": 0.65, "PR": 0.2, "DE": -0.1},
        "cost_per_bed": 0.9e6,
        "it_share": 0.015,
        "sec_share": 0.05,
        "ssi_staff": 0.07,
        "stade": 3.2,
        "iso": {},
        "cible": "full",
    },
    "TNG": {
        "maturity": 1.7,
        "growth": 0.15,
        "twist": {"GV": -0.2, "PR": 0.1, "RS": -0.2},
        "cost_per_bed": 0.75e6,
        "it_share": 0.012,
        "sec_share": 0.038,
        "ssi_staff": 0.06,
        "stade": 2.8,
        "iso": {},
        "cible": "none",
    },
    "AGA": {
        # Opened November 2025: modern equipment, governance still being set up.
        "maturity": 1.9,
        "growth": 0.2,
        "twist": {"GV": -0.6, "PR": 0.6, "ID": -0.3},
        "cost_per_bed": 0.8e6,
        "it_share": 0.019,
        "sec_share": 0.045,
        "ssi_staff": 0.08,
        "stade": 5.0,
        "iso": {},
        "cible": "partial",
    },
}

SYNTHETIC_CITIES = (
    ("Meknès", "Fès-Meknès"),
    ("Oujda", "Oriental"),
    ("Kénitra", "Rabat-Salé-Kénitra"),
    ("Béni Mellal", "Béni Mellal-Khénifra"),
    ("Laâyoune", "Laâyoune-Sakia El Hamra"),
    ("Errachidia", "Drâa-Tafilalet"),
    ("Safi", "Marrakech-Safi"),
    ("El Jadida", "Casablanca-Settat"),
    ("Guelmim", "Guelmim-Oued Noun"),
    ("Dakhla", "Dakhla-Oued Ed-Dahab"),
    ("Tétouan", "Tanger-Tétouan-Al Hoceima"),
    ("Nador", "Oriental"),
    ("Settat", "Casablanca-Settat"),
    ("Taza", "Fès-Meknès"),
    ("Ouarzazate", "Drâa-Tafilalet"),
)


@dataclass
class Traits:
    """Latent characteristics of one establishment, from which every file of it is drawn."""

    code: str
    nom: str
    ville: str
    region: str
    beds: int
    first_year: int | None
    maturity: float
    growth: float
    twist: dict[str, float]
    chapter_offsets: dict[int, float]
    cost_per_bed: float
    it_share: float
    sec_share: float
    ssi_staff: float
    staff_per_bed: float
    stade: float
    iso: dict[int, str]
    cible: str
    na_measures: frozenset[str]
    seed: int
    _measure_draws: dict[str, tuple[float, float]] = field(default_factory=dict)

    def latent(self, annee: int) -> float:
        """Mean maturity the establishment has reached in a year (before measure noise)."""
        return self.maturity + (annee - BASE_YEAR) * self.growth

    def measure_draw(self, mesure_id: str) -> tuple[float, float]:
        """(level noise, growth multiplier) of one measure, stable across years."""
        draw = self._measure_draws.get(mesure_id)
        if draw is None:
            rng = random.Random(f"{self.seed}|{self.code}|m|{mesure_id}")
            draw = (rng.gauss(0.0, 0.55), rng.uniform(0.3, 1.7))
            self._measure_draws[mesure_id] = draw
        return draw

    def iso_state(self, annee: int) -> str:
        if self.iso:
            return self.iso.get(annee, "aucun")
        level = self.latent(annee)
        return "certifie" if level >= 3.3 else "en_cours" if level >= 2.6 else "aucun"


def _make_traits(
    establishment: Establishment, seed: int, years: Sequence[int], reference: ReferenceData
) -> Traits:
    code = establishment.code
    rng = random.Random(f"{seed}|{code}|profile")
    hand = HAND_TRAITS.get(code)
    chapter_offsets = {c: rng.gauss(0.0, 0.3) for c in range(1, 15)}
    staff_per_bed = rng.uniform(2.4, 3.2)
    dev_measures = sorted(
        m.mesure_id for m in reference.measures_for_year(years[0]) if m.chapitre == 10
    )
    na = rng.sample(dev_measures, k=min(len(dev_measures), rng.choice((0, 1, 2, 2, 3))))
    if rng.random() < 0.3:
        na.append("ORG-TELETRAV-SEC")
    if hand is not None:
        twist = dict(hand["twist"])  # type: ignore[arg-type]
        values = hand
    else:
        twist = {f: rng.gauss(0.0, 0.3) for f in COMMON_FUNCTION_OFFSETS}
        values = {
            "maturity": rng.uniform(1.3, 3.2),
            "growth": rng.uniform(0.05, 0.3),
            "cost_per_bed": rng.uniform(0.7e6, 1.05e6),
            "it_share": rng.uniform(0.01, 0.026),
            "sec_share": rng.uniform(0.03, 0.09),
            "ssi_staff": rng.uniform(0.05, 0.11),
            "stade": rng.uniform(2.0, 5.0),
            "iso": {},
            "cible": rng.choice(("full", "partial", "none")),
        }
    beds = establishment.lits_reference or rng.randrange(250, 2500, 10)
    return Traits(
        code=code,
        nom=establishment.nom,
        ville=establishment.ville,
        region=establishment.region,
        beds=beds,
        first_year=establishment.premiere_campagne,
        maturity=float(values["maturity"]),  # type: ignore[arg-type]
        growth=float(values["growth"]),  # type: ignore[arg-type]
        twist=twist,
        chapter_offsets=chapter_offsets,
        cost_per_bed=float(values["cost_per_bed"]),  # type: ignore[arg-type]
        it_share=float(values["it_share"]),  # type: ignore[arg-type]
        sec_share=float(values["sec_share"]),  # type: ignore[arg-type]
        ssi_staff=float(values["ssi_staff"]),  # type: ignore[arg-type]
        staff_per_bed=staff_per_bed,
        stade=float(values["stade"]),  # type: ignore[arg-type]
        iso=dict(values["iso"]),  # type: ignore[arg-type]
        cible=str(values["cible"]),
        na_measures=frozenset(na),
        seed=seed,
    )


def synthetic_code(index: int) -> str:
    """``E007`` for the 7th member; four digits past 999."""
    return f"E{index:03d}"


def plan_establishments(
    reference: ReferenceData, count: int | None, years: Sequence[int], seed: int
) -> list[Establishment]:
    """The registry's members (in registry order), completed up to ``count`` with synthetic
    ones (``E007``…) that are not in the registry (see ``write_reference``)."""
    registry = list(reference.establishments.values())
    if count is None:
        return registry
    chosen = registry[:count]
    index = len(registry)
    taken = {e.code for e in registry}
    while len(chosen) < count:
        index += 1
        code = synthetic_code(index)
        if code in taken:
            continue
        rng = random.Random(f"{seed}|{code}|registry")
        ville, region = rng.choice(SYNTHETIC_CITIES)
        # Most members join at the first campaign; some join later (new hospitals, GST).
        first = years[0] if rng.random() < 0.85 else rng.choice(list(years))
        chosen.append(
            Establishment(
                code=code,
                nom=f"Établissement fictif {code} de {ville}",
                ville=ville,
                region=region,
                lits_reference=rng.randrange(250, 2500, 10),
                premiere_campagne=first,
            )
        )
    return chosen


# --------------------------------------------------------------------------- market (pooling)


@dataclass(frozen=True)
class Capability:
    """A kind of purchase, with the fictitious offers that CHUs choose among."""

    key: str
    categorie: str
    fonction: str
    threshold: float  # latent maturity from which a CHU buys it (with per-CHU noise)
    base_amount: float  # MAD for a 1,000-bed CHU (capex for equipment, yearly otherwise)
    offers: tuple[tuple[str, str], ...]  # (solution, fournisseur); solution may be ""
    libelle: str
    capex_cycle: int = 0  # > 0: bought every N years, maintained (opex) in between
    libelle_maintenance: str = ""
    every: int = 1  # bought every N years (audits)


CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "pare_feu",
        "materiel",
        "PR",
        -9,
        1_300_000,
        (("Pare-feu Kasbah NG", "Oasis Réseaux SARL"), ("Rempart 5000", "Maghreb Netsec SA")),
        "Acquisition de pare-feu de nouvelle génération (cluster)",
        5,
        "Support et mises à jour des pare-feu",
    ),
    Capability(
        "sauvegarde",
        "materiel",
        "RC",
        -9,
        900_000,
        (("Sauvegarde Cèdre", "Atlas Sécurité SARL"), ("Coffre Numérique", "Sahara Stockage SARL")),
        "Baie de sauvegarde immuable",
        4,
        "Maintenance de la solution de sauvegarde",
    ),
    Capability(
        "antivirus",
        "logiciels",
        "PR",
        -9,
        220_000,
        (("Antivirus Oasis", "Oasis Réseaux SARL"),),
        "Licences antivirus des postes et serveurs",
    ),
    Capability(
        "edr",
        "logiciels",
        "DE",
        2.0,
        650_000,
        (
            ("EDR Sentinelle", "Atlas Sécurité SARL"),
            ("Bouclier Endpoint", "Cyberdune Technologies"),
        ),
        "Abonnement EDR (détection et réponse sur les postes)",
    ),
    Capability(
        "sensibilisation",
        "formation",
        "PR",
        -9,
        160_000,
        (
            ("Cyber Réflexes", "Académie Numérique du Nord"),
            ("Vigilance Santé", "Formasanté Conseil"),
        ),
        "Campagne de sensibilisation du personnel soignant et administratif",
    ),
    Capability(
        "audit_dnssi",
        "audit_certification",
        "GV",
        -9,
        260_000,
        (("", "Cabinet Conformité Maroc"), ("", "Zellige Cyber Audit")),
        "Audit de conformité à la DNSSI",
        every=2,
    ),
    Capability(
        "formation_tech",
        "formation",
        "GV",
        1.6,
        120_000,
        (("", "Institut Cyber Maghreb"),),
        "Formation certifiante de l'équipe SSI",
    ),
    Capability(
        "pentest",
        "prestations",
        "ID",
        1.8,
        380_000,
        (("", "Audit Sûreté Conseil"), ("", "Zellige Cyber Audit")),
        "Tests d'intrusion des applications exposées (DPI, portail patient)",
    ),
    Capability(
        "scanner",
        "logiciels",
        "ID",
        2.1,
        210_000,
        (("Scanner Argan", "Argan Logiciels SARL"),),
        "Scanner de vulnérabilités",
    ),
    Capability(
        "mfa",
        "logiciels",
        "PR",
        2.3,
        300_000,
        (("Clé Unique MFA", "Cyberdune Technologies"),),
        "Authentification multifacteur des accès distants et administrateurs",
    ),
    Capability(
        "siem",
        "logiciels",
        "DE",
        2.5,
        750_000,
        (("SIEM Vigie", "Médina Data Systems"), ("Journal Central", "Nord Logiciels SARL")),
        "Collecte et corrélation des journaux (SIEM)",
    ),
    Capability(
        "assurance",
        "autre",
        "",
        2.4,
        200_000,
        (("", "Mutuelle Atlas Assurances"),),
        "Assurance cyber (prime annuelle)",
    ),
    Capability(
        "reponse_incident",
        "prestations",
        "RS",
        2.6,
        300_000,
        (("Astreinte Réponse Incident", "Horizon Cyberdéfense SA"),),
        "Contrat d'astreinte de réponse à incident",
    ),
    Capability(
        "pam",
        "logiciels",
        "PR",
        2.8,
        450_000,
        (("Coffre Accès Privilégiés", "Médina Data Systems"),),
        "Gestion des comptes à privilèges (bastion)",
    ),
    Capability(
        "pra",
        "prestations",
        "RC",
        2.9,
        600_000,
        (("Hébergement de secours Ifrane", "Datacenter Atlas Nord"),),
        "Hébergement du site de secours (PRA)",
    ),
    Capability(
        "soc",
        "prestations",
        "DE",
        3.0,
        1_500_000,
        (("SOC Managé Horizon", "Horizon Cyberdéfense SA"),),
        "Centre opérationnel de sécurité managé (SOC 24/7)",
    ),
    Capability(
        "consommables",
        "autre",
        "",
        -9,
        45_000,
        (("", ""),),
        "Petits équipements : verrous de câbles, filtres de confidentialité",
    ),
)


EDR = next(c for c in CAPABILITIES if c.key == "edr")


# --------------------------------------------------------------------------- number formatting


def format_number(value: float, dialect: Dialect, decimals: int) -> str:
    """``1234567.891`` → ``1 234 567,89`` (French Excel) or ``1234567.89`` (web tools)."""
    text = f"{value:,.{decimals}f}"
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", dialect.group)
    return whole + (dialect.decimal + fraction if fraction else "")


def format_amount(value: float, dialect: Dialect) -> str:
    cents = dialect.always_cents or abs(value - round(value)) > 1e-9
    return format_number(value, dialect, 2 if cents else 0)


def format_fte(value: float, dialect: Dialect) -> str:
    return format_number(value, dialect, 0 if float(value).is_integer() else 1)


# --------------------------------------------------------------------------- content


@dataclass
class Table:
    """Rows of cells ready to write; ``None`` is an entirely empty spreadsheet row."""

    columns: list[str]
    rows: list[list[str] | None]


@dataclass(frozen=True)
class ExpectedError:
    """An error the contract must report (rule ids of ``expectations/labels.py``)."""

    line: int
    column: str
    value: str
    rule: str
    why: str


@dataclass(frozen=True)
class BrokenFile:
    chu: str
    annee: int
    kind: str
    summary: str
    errors: tuple[ExpectedError, ...]

    @property
    def relative_path(self) -> str:
        return f"{self.chu}/{file_name(self.kind, self.chu, self.annee)}"


# Broken files of the sample, at fixed rows so that the README can name them. Each is the
# only file of its kind for that CHU and year, so the benchmark shows nulls there.
_DUPLICATE_SOURCE_INDEX = 40
_DUPLICATE_INSERT_INDEX = 71
BROKEN_FILES: tuple[BrokenFile, ...] = (
    BrokenFile(
        "MAR",
        2024,
        "maturite",
        "a level out of the 0–5 scale and a measure entered twice (copy-paste)",
        (
            ExpectedError(
                13, "niveau", "6", "niveau_entre_0_et_5", "a level is an integer 0–5 or NA"
            ),
            ExpectedError(
                _DUPLICATE_INSERT_INDEX + 2,
                "mesure_id",
                "",
                "mesure_id_repetee",
                f"measure repeated (first at row {_DUPLICATE_SOURCE_INDEX + 2})",
            ),
        ),
    ),
    BrokenFile(
        "CAS",
        2023,
        "depenses",
        "an amount in English format and an unknown category (a blank row 4 is ignored but counted)",
        (
            ExpectedError(
                6, "montant_mad", "1,234,567", "montant_mad_nombre", "several commas: never guessed"
            ),
            ExpectedError(
                8, "categorie", "licences", "categorie_inconnue", "not one of the seven categories"
            ),
        ),
    ),
    BrokenFile(
        "TNG",
        2025,
        "profil",
        "effectif_si and effectif_ssi swapped, so effectif_ssi > effectif_si",
        (
            ExpectedError(
                2,
                "effectif_ssi",
                "",
                "effectif_ssi_superieur_si",
                "effectif_ssi must be ≤ effectif_si",
            ),
        ),
    ),
)


def file_name(kind: str, code: str, annee: int) -> str:
    return f"{kind}_{code.lower()}_{annee}.csv"


_COMMENTS_LOW = (
    "Non démarré : pas de ressource dédiée",
    "Prévu au schéma directeur ; budget non encore arbitré",
    "Pratique informelle, non documentée",
    "Dépend du marché d'acquisition en cours",
    "À reprendre avec le futur GST",
)
_COMMENTS_MID = (
    "En cours de déploiement ; finalisation prévue au deuxième trimestre",
    "Procédure rédigée, pas encore validée par la direction",
    "Appliqué sur les serveurs, pas encore sur les postes des services de soins",
    "Outil déployé sur environ 60 % du parc",
    "Mesure mutualisée avec un autre CHU ; convention à signer",
    "Couverture partielle : reste les sites annexes",
    "Revue faite en 2024, à formaliser dans une procédure",
    "Dépend de la migration du DPI prévue l'an prochain",
)
_COMMENTS_HIGH = (
    "Procédure validée en comité de sécurité et revue chaque année",
    "Contrôlé lors de l'audit DNSSI, sans écart",
    "Indicateurs suivis dans le tableau de bord mensuel du RSSI",
    "Tests de restauration réalisés deux fois par an",
)
_COMMENTS_NA = (
    "Pas de développement interne : applications acquises auprès d'éditeurs",
    "Sans objet : pas de télétravail pour ce périmètre",
)
_MULTILINE_COMMENT = (
    "Points ouverts :\n- tests de restauration du DPI à planifier\n- procédure à valider en CSSI"
)


def maturity_table(
    traits: Traits, annee: int, measures: Sequence[Measure], rng: random.Random
) -> Table:
    na_text = "na" if traits.code in LOWER_NA else "NA"
    cible_style = traits.cible if annee > BASE_YEAR or traits.code != "FES" else "none"
    rows: list[list[str] | None] = []
    for index, measure in enumerate(measures):
        comment = ""
        if measure.mesure_id in traits.na_measures:
            niveau = na_text
            cible = ""
            if rng.random() < 0.5:
                comment = _COMMENTS_NA[0 if measure.chapitre == 10 else 1]
        else:
            noise, growth_mult = traits.measure_draw(measure.mesure_id)
            level = (
                traits.maturity
                + COMMON_FUNCTION_OFFSETS.get(measure.fonction_csf, 0.0)
                + traits.twist.get(measure.fonction_csf, 0.0)
                + traits.chapter_offsets.get(measure.chapitre, 0.0)
                + noise
                + (annee - BASE_YEAR) * traits.growth * growth_mult
                # Small: a measure rarely slips back a level from one campaign to the next.
                + rng.gauss(0.0, 0.05)
            )
            value = min(5, max(0, round(level)))
            niveau = str(value)
            step = (1 if value < 4 else 0) + (1 if rng.random() < 0.3 else 0)
            target = str(min(5, value + step))
            if cible_style == "full" or (cible_style == "partial" and rng.random() < 0.6):
                cible = target
            else:
                cible = ""
            if rng.random() < 0.08:
                pool = (
                    _COMMENTS_LOW if value <= 1 else _COMMENTS_MID if value <= 3 else _COMMENTS_HIGH
                )
                comment = rng.choice(pool)
        if index == 0:
            comment = FICTITIOUS_MARKER
        if (traits.code, annee, measure.mesure_id) == MULTILINE_COMMENT_AT:
            comment = _MULTILINE_COMMENT
        rows.append([traits.code, str(annee), measure.mesure_id, niveau, cible, comment])
    return Table(list(COLUMNS["maturite"]), rows)


@dataclass(frozen=True)
class Finances:
    budget_total: float
    budget_si: float
    effectif_total: float
    effectif_si: float
    effectif_ssi: float
    security_target: float
    salary: float


def finances(traits: Traits, annee: int, rng: random.Random) -> Finances:
    t = annee - BASE_YEAR
    budget_total = traits.beds * traits.cost_per_bed * 1.04**t * rng.uniform(0.98, 1.02)
    it_share = max(0.008, traits.it_share + 0.0008 * t)
    budget_si = budget_total * it_share
    sec_share = min(0.12, max(0.025, traits.sec_share + 0.004 * t))
    effectif_total = round(traits.beds * traits.staff_per_bed * rng.uniform(0.98, 1.02))
    effectif_si = max(6, round(budget_si / 1.0e6 * rng.uniform(0.9, 1.1)))
    effectif_ssi = max(0.5, round(effectif_si * (traits.ssi_staff + 0.004 * t) * 2) / 2)
    return Finances(
        budget_total=round(budget_total, -3),
        budget_si=round(budget_si, -2),
        effectif_total=effectif_total,
        effectif_si=effectif_si,
        effectif_ssi=effectif_ssi,
        security_target=budget_si * sec_share,
        salary=210_000 * 1.03**t,
    )


def _vendor_draw(traits: Traits, capability: Capability) -> tuple[float, int, str, str]:
    """(adoption noise, renewal phase, solution, supplier) of one CHU for one capability:
    fixed across years, so a CHU keeps its EDR and its firewall vendor."""
    pick = random.Random(f"{traits.seed}|{traits.code}|{capability.key}|vendor")
    noise = pick.uniform(-0.4, 0.4)
    phase = pick.randrange(max(capability.capex_cycle, capability.every, 1))
    solution, fournisseur = (
        capability.offers[0]
        if len(capability.offers) == 1 or pick.random() < 0.65
        else pick.choice(capability.offers[1:])
    )
    return noise, phase, solution, fournisseur


def spending_rows(
    traits: Traits, annee: int, money: Finances, rng: random.Random
) -> list[dict[str, object]]:
    """Lines of spend in canonical form (amount as float, nature capex/opex)."""
    lines: list[dict[str, object]] = []
    personnel = money.effectif_ssi * money.salary
    rssi_share = min(1.0, 1.0 / money.effectif_ssi)
    lines.append(
        {
            "categorie": "personnel",
            "nature": "opex",
            "montant": personnel * rssi_share,
            "libelle": "Rémunération du RSSI",
            "fonction": "GV",
            "fournisseur": "",
            "solution": "",
        }
    )
    if rssi_share < 1.0:
        lines.append(
            {
                "categorie": "personnel",
                "nature": "opex",
                "montant": personnel * (1 - rssi_share),
                "libelle": f"Rémunération des analystes SSI ({format_fte(money.effectif_ssi - 1, DIALECTS['utf8_bom_semicolon'])} ETP)",
                "fonction": "PR",
                "fournisseur": "",
                "solution": "",
            }
        )
    size = (traits.beds / 1000) ** 0.8
    level = traits.latent(annee)
    draws = {c.key: _vendor_draw(traits, c) for c in CAPABILITIES}
    bought: list[dict[str, object]] = []
    for capability in CAPABILITIES:
        noise, phase, solution, fournisseur = draws[capability.key]
        if level < capability.threshold + noise:
            continue
        if capability.key == "antivirus" and level >= EDR.threshold + draws["edr"][0]:
            continue  # the EDR replaces the antivirus licences
        if capability.every > 1 and (annee + phase) % capability.every:
            continue
        amount = capability.base_amount * size * rng.uniform(0.8, 1.2)
        nature = "opex"
        libelle = capability.libelle
        if capability.capex_cycle:
            if (annee + phase) % capability.capex_cycle == 0:
                nature = "capex"
            else:
                amount *= 0.18
                libelle = capability.libelle_maintenance
        elif capability.categorie == "logiciels" and rng.random() < 0.25:
            nature = "capex"  # perpetual licence bought this year
            libelle = libelle.replace("Abonnement", "Licences perpétuelles")
        bought.append(
            {
                "categorie": capability.categorie,
                "nature": nature,
                "montant": amount,
                "libelle": libelle,
                "fonction": capability.fonction,
                "fournisseur": fournisseur,
                "solution": solution,
            }
        )
    if traits.iso_state(annee) != "aucun":
        bought.append(
            {
                "categorie": "audit_certification",
                "nature": "opex",
                "montant": 420_000 * size * rng.uniform(0.8, 1.2),
                "libelle": "Accompagnement et audit de certification ISO 27001",
                "fonction": "GV",
                "fournisseur": "Bureau Certification Méditerranée",
                "solution": "",
            }
        )
    # Scale purchases to the security share of the IT budget (personnel comes first).
    tools_target = max(money.security_target - personnel, 0.4 * money.security_target)
    tools_target *= rng.uniform(0.88, 1.12)
    raw = sum(float(line["montant"]) for line in bought)  # type: ignore[arg-type]
    factor = tools_target / raw if raw else 0.0
    for line in bought:
        amount = float(line["montant"]) * factor  # type: ignore[arg-type]
        # Quotes are usually round; some lines carry the cents of an invoice.
        line["montant"] = round(amount, 2) if rng.random() < 0.3 else float(round(amount, -2))
    for line in lines:
        line["montant"] = float(round(float(line["montant"]), -2))  # type: ignore[arg-type]
    return lines + bought


def spending_table(
    traits: Traits, annee: int, money: Finances, dialect: Dialect, rng: random.Random
) -> Table:
    reordered = (traits.code, "depenses") in REORDERED
    columns = list(REORDERED_DEPENSES if reordered else COLUMNS["depenses"])
    chu_cell = traits.code.lower() if (traits.code, "depenses") in LOWER_CHU_CELLS else traits.code
    rows: list[list[str] | None] = []
    for line in spending_rows(traits, annee, money, rng):
        nature = str(line["nature"])
        if dialect.nature == "french":
            nature = "Investissement" if nature == "capex" else "Fonctionnement"
        elif dialect.nature == "upper":
            nature = nature.upper()
        categorie = str(line["categorie"])
        if dialect.headers == "upper":
            categorie = categorie.upper()
        fonction = str(line["fonction"])
        if fonction and rng.random() < 0.1:
            fonction = ""  # optional: not every accountant knows the CSF function
        cells = {
            "chu": chu_cell,
            "annee": str(annee),
            "categorie": categorie,
            "nature": nature,
            "montant_mad": format_amount(float(line["montant"]), dialect),  # type: ignore[arg-type]
            "libelle": str(line["libelle"]),
            "fonction_csf": fonction,
            "fournisseur": str(line["fournisseur"]),
            "solution": str(line["solution"]),
        }
        rows.append([cells[c] for c in columns])
    return Table(columns, rows)


def profile_table(
    traits: Traits, annee: int, money: Finances, dialect: Dialect, rng: random.Random
) -> Table:
    t = annee - BASE_YEAR
    stade = min(7, max(0, round(traits.stade + 0.35 * t)))
    incidents = max(0, round(traits.beds / 100 * rng.uniform(0.4, 2.0)))
    row = [
        traits.code,
        str(annee),
        format_number(traits.beds, dialect, 0),
        format_fte(money.effectif_total, dialect),
        format_fte(money.effectif_si, dialect),
        format_fte(money.effectif_ssi, dialect),
        format_amount(money.budget_total, dialect),
        format_amount(money.budget_si, dialect),
        traits.iso_state(annee),
        str(stade),
        # Optional: some DSIs do not publish their incident count.
        "" if rng.random() < 0.2 else str(incidents),
    ]
    return Table(list(COLUMNS["profil"]), [row])


# --------------------------------------------------------------------------- breaking


def _break(table: Table, broken: BrokenFile) -> tuple[Table, tuple[ExpectedError, ...]]:
    """Apply one documented breakage; returns the table and its errors with actual values."""
    rows = [list(r) if r is not None else None for r in table.rows]
    col = {name: i for i, name in enumerate(table.columns)}
    errors = list(broken.errors)
    if broken.kind == "maturite":
        first, dup = broken.errors
        rows[first.line - 2][col["niveau"]] = first.value  # type: ignore[index]
        copy = list(rows[_DUPLICATE_SOURCE_INDEX])  # type: ignore[arg-type]
        if copy[col["niveau"]].isdigit():
            copy[col["niveau"]] = str(min(5, int(copy[col["niveau"]]) + 1))
        copy[col["commentaire"]] = "Mis à jour après la revue de juin"
        rows.insert(dup.line - 2, copy)
        errors[1] = ExpectedError(dup.line, dup.column, copy[col["mesure_id"]], dup.rule, dup.why)
    elif broken.kind == "depenses":
        amount, category = broken.errors
        rows.insert(2, None)  # a blank row left between two blocks: ignored, still counted
        rows[amount.line - 2][col["montant_mad"]] = amount.value  # type: ignore[index]
        rows[category.line - 2][col["categorie"]] = category.value  # type: ignore[index]
    elif broken.kind == "profil":
        row = rows[0]
        assert row is not None
        row[col["effectif_si"]], row[col["effectif_ssi"]] = (
            row[col["effectif_ssi"]],
            row[col["effectif_si"]],
        )
        (error,) = broken.errors
        errors[0] = ExpectedError(
            error.line, error.column, row[col["effectif_ssi"]], error.rule, error.why
        )
    return Table(table.columns, rows), tuple(errors)


# --------------------------------------------------------------------------- writing


def encode_table(table: Table, dialect: Dialect) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=dialect.newline)
    writer.writerow([_header(c, dialect.headers) for c in table.columns])
    for row in table.rows:
        writer.writerow([""] * len(table.columns) if row is None else row)
    text = buffer.getvalue()
    if dialect.encoding == "utf-16":
        # Explicit little-endian BOM: "utf-16" would follow the machine's byte order.
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(dialect.encoding)


@dataclass(frozen=True)
class GeneratedFile:
    path: Path
    chu: str
    annee: int
    kind: str
    dialect: Dialect
    rows: int
    broken: BrokenFile | None
    expected_errors: tuple[ExpectedError, ...] = ()


def parse_years(text: str) -> tuple[int, ...]:
    """``2023-2025`` or ``2023,2025`` or ``2024``."""
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            start, end = (int(p) for p in part.split("-", 1))
            years.update(range(start, end + 1))
        elif part:
            years.add(int(part))
    if not years:
        raise ValueError("aucune année")
    return tuple(sorted(years))


def generate_files(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    establishments: int | None = None,
    years: Iterable[int] = DEFAULT_YEARS,
    broken: bool = True,
    reference: ReferenceData | None = None,
    readme: bool = True,
) -> list[GeneratedFile]:
    """Write the alliance under ``out_dir/<CHU>/`` and describe every file written."""
    out = Path(out_dir)
    years = tuple(sorted(set(years)))
    reference = reference or load_reference()
    members = plan_establishments(reference, establishments, years, seed)
    broken_by_key = {(b.chu, b.annee, b.kind): b for b in BROKEN_FILES} if broken else {}
    generated: list[GeneratedFile] = []
    for establishment in members:
        traits = _make_traits(establishment, seed, years, reference)
        for annee in years:
            if traits.first_year is not None and annee < traits.first_year:
                continue
            money_rng = random.Random(f"{seed}|{traits.code}|{annee}|finances")
            money = finances(traits, annee, money_rng)
            folder = out / traits.code
            folder.mkdir(parents=True, exist_ok=True)
            for kind in KINDS:
                rng = random.Random(f"{seed}|{traits.code}|{annee}|{kind}")
                dialect = dialect_for(traits.code, annee, kind, seed)
                if kind == "maturite":
                    table = maturity_table(traits, annee, reference.measures_for_year(annee), rng)
                elif kind == "depenses":
                    table = spending_table(traits, annee, money, dialect, rng)
                else:
                    table = profile_table(traits, annee, money, dialect, rng)
                spec = broken_by_key.get((traits.code, annee, kind))
                expected: tuple[ExpectedError, ...] = ()
                if spec is not None:
                    table, expected = _break(table, spec)
                path = folder / file_name(kind, traits.code, annee)
                path.write_bytes(encode_table(table, dialect))
                generated.append(
                    GeneratedFile(
                        path, traits.code, annee, kind, dialect, len(table.rows), spec, expected
                    )
                )
    if readme:
        (out / "README.md").write_text(
            render_readme(generated, seed, establishments, years, broken),
            encoding="utf-8",
            newline="\n",
        )
    return generated


def generate_alliance(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    establishments: int | None = None,
    years: Iterable[int] = DEFAULT_YEARS,
    broken: bool = True,
    reference: ReferenceData | None = None,
    readme: bool = True,
) -> list[Path]:
    """Write a fictitious alliance and return the CSV files written (see ``generate_files``)."""
    return [
        f.path
        for f in generate_files(out_dir, seed, establishments, years, broken, reference, readme)
    ]


def write_reference(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    establishments: int | None = None,
    years: Iterable[int] = DEFAULT_YEARS,
    source: str | Path | None = None,
) -> list[Path]:
    """A reference folder matching a generated set: the source registry plus the synthetic
    members, campaigns covering ``years``, every other reference file copied unchanged.
    Use it with ``CHU_BENCH_REFERENCE_DIR``."""
    source_dir = Path(source) if source else reference_dir()
    reference = load_reference(source_dir)
    years = tuple(sorted(set(years)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for path in sorted(source_dir.glob("*.csv")):
        if path.name not in ("etablissements.csv", "campagnes.csv"):
            shutil.copyfile(path, out / path.name)
            written.append(out / path.name)

    members = {e.code: e for e in reference.establishments.values()}
    for e in plan_establishments(reference, establishments, years, seed):
        members.setdefault(e.code, e)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "nom", "ville", "region", "lits_reference", "premiere_campagne"])
    for e in members.values():
        writer.writerow(
            [
                e.code,
                e.nom,
                e.ville,
                e.region,
                "" if e.lits_reference is None else e.lits_reference,
                "" if e.premiere_campagne is None else e.premiere_campagne,
            ]
        )
    (out / "etablissements.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    written.append(out / "etablissements.csv")

    campaigns = dict(reference.campaigns)
    for annee in years:
        campaigns.setdefault(annee, reference.referential_code_for_year(annee))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["annee", "referentiel"])
    for annee in sorted(campaigns):
        writer.writerow([annee, campaigns[annee]])
    (out / "campagnes.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    written.append(out / "campagnes.csv")
    return written


# --------------------------------------------------------------------------- README


def _visible(text: str) -> str:
    return (
        text.replace("\u00a0", "NBSP")
        .replace("\u202f", "NNBSP")
        .replace("\t", "tab")
        .replace(" ", "space")
    )


def render_readme(
    files: Sequence[GeneratedFile],
    seed: int,
    establishments: int | None,
    years: Sequence[int],
    broken: bool,
) -> str:
    # Not the actual output path: the README must not depend on where it was generated
    # (the test regenerates the sample elsewhere and compares bytes).
    command = "python -m benchmarks.generate"
    command += " --out data/sample" if establishments is None else " --out DIR"
    command += f" --seed {seed}"
    if establishments is not None:
        command += f" --establishments {establishments}"
    if tuple(years) != DEFAULT_YEARS:
        command += f" --years {years[0]}-{years[-1]}"
    if not broken:
        command += " --no-broken"
    codes = sorted({f.chu for f in files})
    lines = [
        "# Sample data — a FICTITIOUS alliance",
        "",
        "**Every figure in this folder is invented** (maturity levels, amounts, staff, suppliers,",
        "solutions). Only the establishment codes, names and approximate bed counts come from the",
        "registry (`data/reference/etablissements.csv`). Supplier and solution names are made up",
        "and do not designate real products. Each maturity file says so in the `commentaire` of",
        f"its first row (« {FICTITIOUS_MARKER} »).",
        "",
        "## Layout",
        "",
        "The landing layout of DESIGN §7: one folder per CHU code, the CSV files of that CHU",
        "inside (`<CHU>/<kind>_<chu>_<year>.csv`). File names are informative only: the kind is",
        "recognised from the header. Every CHU has a `maturite`, a `depenses` and a `profil`",
        f"file for every campaign {years[0]}–{years[-1]} from its first campaign on",
        "(`premiere_campagne` of the registry: AGA, opened November 2025, only from 2025).",
        "",
        f"{len(files)} files, {len(codes)} establishments: "
        + (", ".join(codes) if len(codes) <= 20 else ", ".join(codes[:10]) + ", …")
        + ".",
        "",
        "## Regenerate",
        "",
        "From the project root (output is byte-for-byte identical for the same options):",
        "",
        "```",
        f".venv/bin/{command}",
        "```",
        "",
        "A national-scale set for the benchmarks (synthetic members `E007`… are not in the",
        "registry, so write a matching reference folder and point the contract at it):",
        "",
        "```",
        ".venv/bin/python -m benchmarks.generate --out /tmp/national --establishments 200 \\",
        "    --years 2016-2025 --reference-out /tmp/national-ref",
        "CHU_BENCH_REFERENCE_DIR=/tmp/national-ref .venv/bin/chu-bench run --landing /tmp/national",
        "```",
        "",
        "## Files broken on purpose",
        "",
    ]
    broken_files = [f for f in files if f.broken is not None]
    if not broken_files:
        lines.append("None (generated with `--no-broken`): every file is valid.")
    else:
        lines += [
            "Each is the only file of its kind for that CHU and year, so the benchmark shows",
            "nulls there (a rejected file never replaces data). `line` is the spreadsheet row",
            "(header = 1, blank rows counted). Every other file is valid under the contract.",
            "",
            "| file | line | column | value | rule | why |",
            "|---|---|---|---|---|---|",
        ]
        for f in broken_files:
            assert f.broken is not None
            for error in f.expected_errors:
                lines.append(
                    f"| `{f.broken.relative_path}` | {error.line} | `{error.column}` | "
                    f"`{error.value}` | `{error.rule}` | {error.why} |"
                )
        lines.append("")
        for f in broken_files:
            assert f.broken is not None
            lines.append(f"- `{f.broken.relative_path}`: {f.broken.summary}.")
    lines += [
        "",
        "## Encodings, delimiters and number formats",
        "",
        "Files vary the way real exports do (each CHU has a house style, with exceptions).",
        "Thousands separators: NBSP = U+00A0 no-break space, NNBSP = U+202F narrow no-break",
        "space. Headers: `contract` = the contract's names, `titled` = `CHU;Année;Montant_MAD…`,",
        "`upper` = `CHU;ANNÉE;CATÉGORIE…`, `spaced` = titled with ` CHU ` / ` Année `.",
        "",
        "| style | encoding | delimiter | decimal | thousands | line end | headers | nature | tool |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    used = sorted({f.dialect.key for f in files})
    for key in used:
        d = DIALECTS[key]
        lines.append(
            f"| `{d.key}` | {d.encoding_label} | `{_visible(d.delimiter)}` | `{d.decimal}` | "
            f"{_visible(d.group) if d.group else 'none'} | "
            f"{'CRLF' if d.newline == chr(13) + chr(10) else 'LF'} | {d.headers} | {d.nature} | "
            f"{d.description} |"
        )
    lines.append("")
    if len(files) <= 120:
        lines += [
            "| file | rows | style |",
            "|---|---|---|",
        ]
        for f in sorted(files, key=lambda g: (g.chu, g.annee, KINDS.index(g.kind))):
            lines.append(f"| `{f.chu}/{f.path.name}` | {f.rows} | `{f.dialect.key}` |")
        lines.append("")
    lines += [
        "Other variations: Rabat's `depenses` lists its columns in another order; Tanger writes",
        "its CHU code in lower case in `depenses` and `na` for not-applicable measures; the",
        "`cible` column is empty in some files; one comment holds a line break inside quotes",
        "(`FES/maturite_fes_2025.csv`, measure `EXP-SAUV-RESTAUR`); comments may contain `;`",
        "inside quotes.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate",
        description="Génère une alliance fictive de CHU (fichiers maturite, depenses, profil).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="dossier de dépôt à écrire")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="graine (défaut : 2025)")
    parser.add_argument(
        "--establishments",
        type=int,
        default=None,
        help="nombre d'établissements (au-delà du registre : codes fictifs E007…)",
    )
    parser.add_argument(
        "--years",
        type=parse_years,
        default=DEFAULT_YEARS,
        help="campagnes, ex. 2023-2025 ou 2016,2020 (défaut : 2023-2025)",
    )
    parser.add_argument(
        "--no-broken",
        dest="broken",
        action="store_false",
        help="ne casser aucun fichier",
    )
    parser.add_argument(
        "--reference-out",
        type=Path,
        default=None,
        help="écrit aussi un dossier de référence correspondant (CHU_BENCH_REFERENCE_DIR)",
    )
    parser.add_argument("--no-readme", dest="readme", action="store_false")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.establishments is not None and args.establishments < 1:
        print("--establishments doit être au moins 1.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    files = generate_files(
        args.out, args.seed, args.establishments, args.years, args.broken, readme=args.readme
    )
    elapsed = time.perf_counter() - started
    print(f"{len(files)} fichiers écrits dans {args.out} en {elapsed:.1f} s.")
    if args.reference_out is not None:
        write_reference(args.reference_out, args.seed, args.establishments, args.years)
        print(
            f"Référentiel correspondant écrit dans {args.reference_out} "
            f"(CHU_BENCH_REFERENCE_DIR={args.reference_out})."
        )
    elif args.establishments is not None and args.establishments > len(
        load_reference().establishments
    ):
        print(
            "Attention : les codes fictifs (E007…) ne sont pas dans le registre ; "
            "utiliser --reference-out pour les valider.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
