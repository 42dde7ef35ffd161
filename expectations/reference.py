"""Reference data of the alliance (``data/reference/``), loaded once and checked for consistency.

The files are data, editable without code: adding a member is a new line of
``etablissements.csv``, opening a campaign a new line of ``campagnes.csv``.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CSF_FUNCTIONS = ("GV", "ID", "PR", "DE", "RS", "RC")
# French names of the functions (expectations.labels.CSF_FUNCTION_LABELS re-exports them; the
# figure registry, warehouse/figures.py, builds the score labels from them).
CSF_FUNCTION_NAMES: dict[str, str] = {
    "GV": "Gouverner",
    "ID": "Identifier",
    "PR": "Protéger",
    "DE": "Détecter",
    "RS": "Répondre",
    "RC": "Rétablir",
}
CHAPTERS = tuple(range(1, 15))


class ReferenceDataError(ValueError):
    """The reference files are inconsistent; the message says which file and line, in French."""


@dataclass(frozen=True)
class Establishment:
    code: str
    nom: str
    ville: str
    region: str
    lits_reference: int | None
    premiere_campagne: int | None


@dataclass(frozen=True)
class Measure:
    mesure_id: str
    chapitre: int
    chapitre_titre: str
    objectif: int
    titre: str
    fonction_csf: str
    # ISO/IEC 27001:2022 items the measure maps to (``A.5.1`` Annex A controls, ``6.1.2``
    # clauses), normalised; empty when the referential file has no ``iso27001_2022`` column.
    iso27001: tuple[str, ...] = ()


@dataclass(frozen=True)
class CsfCategory:
    fonction_id: str
    fonction: str
    fonction_fr: str
    categorie_id: str
    categorie: str
    nb_sous_categories: int


@dataclass(frozen=True)
class SpendingReference:
    indicateur: str
    valeur_min: float
    valeur_max: float
    unite: str
    libelle: str
    source: str
    annee_source: int


@dataclass(frozen=True)
class ReferenceData:
    establishments: dict[str, Establishment]
    referentials: dict[str, tuple[Measure, ...]]
    referential_names: dict[str, str]
    campaigns: dict[int, str]
    csf_categories: tuple[CsfCategory, ...]
    spending_references: tuple[SpendingReference, ...]

    @property
    def chu_codes(self) -> list[str]:
        return list(self.establishments)

    @property
    def campaign_years(self) -> list[int]:
        return sorted(self.campaigns)

    def referential_code_for_year(self, annee: int) -> str:
        """The campaign's referential; a year without a declared campaign uses the nearest
        earlier campaign's (or the first one's), so that a file for next year can be checked."""
        if annee in self.campaigns:
            return self.campaigns[annee]
        earlier = [y for y in self.campaigns if y <= annee]
        year = max(earlier) if earlier else min(self.campaigns)
        return self.campaigns[year]

    def measures_for_year(self, annee: int) -> tuple[Measure, ...]:
        return self.referentials[self.referential_code_for_year(annee)]

    def csf_function_names(self) -> dict[str, str]:
        """Function id → French name (``GV`` → ``Gouverner``), in CSF order."""
        names: dict[str, str] = {}
        for category in self.csf_categories:
            names.setdefault(category.fonction_id, category.fonction_fr)
        return names

    def chapter_titles(self, annee: int | None = None) -> dict[int, str]:
        measures = (
            self.measures_for_year(annee)
            if annee is not None
            else next(iter(self.referentials.values()))
        )
        return {m.chapitre: m.chapitre_titre for m in measures}


def normalise_iso_item(text: str) -> str:
    """``a.5.1`` → ``A.5.1`` (the referential mixes cases); clauses (``6.1.2``) unchanged."""
    item = text.strip()
    return "A" + item[1:] if item[:2].lower() == "a." else item


def normalise_iso_items(text: str) -> tuple[str, ...]:
    """The space-separated items of an ``iso27001_2022`` cell, normalised, without repeats."""
    return tuple(dict.fromkeys(normalise_iso_item(t) for t in text.split() if t.strip()))


def reference_dir() -> Path:
    """``CHU_BENCH_REFERENCE_DIR`` when set (tests, other alliances), else ``data/reference``."""
    return Path(os.environ.get("CHU_BENCH_REFERENCE_DIR", PROJECT_ROOT / "data" / "reference"))


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise ReferenceDataError(f"Fichier de référence introuvable : {path}.")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return [
            (index + 2, {k: (v or "").strip() for k, v in row.items()})
            for index, row in enumerate(reader)
        ]


def _int(value: str, path: Path, line: int, column: str, *, optional: bool = False) -> int | None:
    if optional and value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ReferenceDataError(
            f"{path.name}, ligne {line}, colonne « {column} » : « {value} » n'est pas un entier."
        ) from None


def _load_establishments(directory: Path) -> dict[str, Establishment]:
    path = directory / "etablissements.csv"
    establishments: dict[str, Establishment] = {}
    for line, row in _rows(path):
        code = row["code"].upper()
        if not code:
            raise ReferenceDataError(
                f"{path.name}, ligne {line} : le code de l'établissement est vide."
            )
        if code in establishments:
            raise ReferenceDataError(
                f"{path.name}, ligne {line} : le code {code} apparaît deux fois."
            )
        establishments[code] = Establishment(
            code=code,
            nom=row["nom"],
            ville=row.get("ville", ""),
            region=row.get("region", ""),
            lits_reference=_int(
                row.get("lits_reference", ""), path, line, "lits_reference", optional=True
            ),
            premiere_campagne=_int(
                row.get("premiere_campagne", ""), path, line, "premiere_campagne", optional=True
            ),
        )
    if not establishments:
        raise ReferenceDataError(f"{path.name} ne déclare aucun établissement.")
    return establishments


def _load_referential(path: Path) -> tuple[Measure, ...]:
    measures: list[Measure] = []
    seen: set[str] = set()
    for line, row in _rows(path):
        mesure_id = row["mesure_id"]
        if not mesure_id or mesure_id in seen:
            raise ReferenceDataError(
                f"{path.name}, ligne {line} : identifiant de mesure vide ou répété."
            )
        seen.add(mesure_id)
        chapitre = _int(row["chapitre"], path, line, "chapitre")
        if chapitre not in CHAPTERS:
            raise ReferenceDataError(
                f"{path.name}, ligne {line} : le chapitre doit être compris entre 1 et 14."
            )
        fonction = row["fonction_csf"].upper()
        if fonction not in CSF_FUNCTIONS:
            raise ReferenceDataError(
                f"{path.name}, ligne {line} : la fonction NIST CSF doit être l'une de {', '.join(CSF_FUNCTIONS)}."
            )
        measures.append(
            Measure(
                mesure_id=mesure_id,
                chapitre=chapitre,
                chapitre_titre=row["chapitre_titre"],
                objectif=_int(row["objectif"], path, line, "objectif"),
                titre=row["titre"],
                fonction_csf=fonction,
                iso27001=normalise_iso_items(row.get("iso27001_2022", "")),
            )
        )
    return tuple(measures)


def load_reference(directory: Path | None = None) -> ReferenceData:
    """Load and check every reference file; raises :class:`ReferenceDataError` when inconsistent."""
    return _load_reference_cached(Path(directory) if directory else reference_dir())


@lru_cache(maxsize=4)
def _load_reference_cached(directory: Path) -> ReferenceData:
    establishments = _load_establishments(directory)

    referentials: dict[str, tuple[Measure, ...]] = {}
    names: dict[str, str] = {}
    for _line, row in _rows(directory / "referentiels.csv"):
        code = row["code"]
        referentials[code] = _load_referential(directory / row["fichier"])
        names[code] = row["nom"]
    dnssi = referentials.get("DNSSI-2023")
    if dnssi is None or len(dnssi) != 104:
        raise ReferenceDataError(
            "Le référentiel DNSSI-2023 doit compter 104 mesures "
            f"(trouvé : {0 if dnssi is None else len(dnssi)})."
        )

    campaigns: dict[int, str] = {}
    path = directory / "campagnes.csv"
    for line, row in _rows(path):
        annee = _int(row["annee"], path, line, "annee")
        if row["referentiel"] not in referentials:
            raise ReferenceDataError(
                f"{path.name}, ligne {line} : référentiel inconnu « {row['referentiel']} »."
            )
        campaigns[annee] = row["referentiel"]
    if not campaigns:
        raise ReferenceDataError(f"{path.name} ne déclare aucune campagne.")

    path = directory / "nist_csf_2_0.csv"
    categories = tuple(
        CsfCategory(
            fonction_id=row["fonction_id"],
            fonction=row["fonction"],
            fonction_fr=row["fonction_fr"],
            categorie_id=row["categorie_id"],
            categorie=row["categorie"],
            nb_sous_categories=_int(row["nb_sous_categories"], path, line, "nb_sous_categories"),
        )
        for line, row in _rows(path)
    )
    if {c.fonction_id for c in categories} != set(CSF_FUNCTIONS):
        raise ReferenceDataError(
            f"{path.name} doit décrire les six fonctions {', '.join(CSF_FUNCTIONS)}."
        )

    path = directory / "references_depenses.csv"
    spending = tuple(
        SpendingReference(
            indicateur=row["indicateur"],
            valeur_min=float(row["valeur_min"]),
            valeur_max=float(row["valeur_max"]),
            unite=row["unite"],
            libelle=row["libelle"],
            source=row["source"],
            annee_source=_int(row["annee_source"], path, line, "annee_source"),
        )
        for line, row in _rows(path)
    )

    return ReferenceData(
        establishments=establishments,
        referentials=referentials,
        referential_names=names,
        campaigns=campaigns,
        csf_categories=categories,
        spending_references=spending,
    )
