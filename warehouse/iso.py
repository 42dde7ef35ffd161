"""ISO/IEC 27001:2022 readiness from the DNSSI answers: pure pandas, no database.

The referential maps each DNSSI measure to the ISO 27001:2022 items it covers (Annex A
controls ``A.5.1``… and clauses ``6.1.2``…; the ``iso27001_2022`` column, from the DNSSI →
ISO 27001:2022 mapping of the open CISO Assistant library — a community mapping, not a
DGSSI publication). The definitions below are the contract (issue 9, README):

* for a CHU and a year, an item mapped to at least one of the CHU's *applicable* measures
  (niveau not NA) is **prêt** when all of those measures have niveau ≥ 3 (:data:`READY_LEVEL`);
  its ``niveau_moyen`` is their mean (2 decimals, half away from zero);
* ``pret`` is null when the item is not ``couvert`` (no measure maps to it) or when none of
  its mapped measures is applicable for that CHU and year (all NA, or not answered);
* ``preparation_iso27001_pct``: % of the Annex A controls whose ``pret`` is not null that are
  prêts; ``preparation_iso27001_clauses_pct``: the same over clauses. Null when no item of
  the kind has a ``pret``.

The 93 Annex A controls (theme, short French title) are in
``data/reference/iso27001_2022_annexe_a.csv``, the clauses' titles in
``iso27001_2022_clauses.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.reference import PROJECT_ROOT, reference_dir

READY_LEVEL = 3
ANNEXE_A = "annexe_a"
CLAUSE = "clause"
THEMES = ("organisationnelle", "humaine", "physique", "technologique")
THEME_LABELS = {
    "organisationnelle": "Organisationnelles",
    "humaine": "Humaines",
    "physique": "Physiques",
    "technologique": "Technologiques",
}
ISO_STATES = ("aucun", "en_cours", "certifie")

ISO_COLUMNS = (
    "chu",
    "annee",
    "iso_id",
    "type",
    "theme",
    "couvert",
    "mesures",
    "niveau_moyen",
    "pret",
)
ANNEX_A_FILE = "iso27001_2022_annexe_a.csv"
CLAUSES_FILE = "iso27001_2022_clauses.csv"


@dataclass(frozen=True)
class IsoItem:
    iso_id: str
    type: str  # annexe_a | clause
    theme: str | None  # null for clauses
    titre: str


def iso_type(iso_id: str) -> str:
    return ANNEXE_A if iso_id.startswith("A.") else CLAUSE


def iso_sort_key(iso_id: str) -> tuple[int, tuple[int, ...]]:
    """Annex A controls first (A.5.1 < A.5.2 < A.5.10), then clauses (5.1 < 6.1.2 < 10.2)."""
    kind = 0 if iso_id.startswith("A.") else 1
    digits = iso_id[2:] if kind == 0 else iso_id
    parts = tuple(int(p) if p.isdigit() else 0 for p in digits.split("."))
    return kind, parts


def _reference_file(name: str, directory: Path | None) -> Path:
    """The file in the alliance's reference folder, else the project's own (an alliance's
    folder made before ISO readiness existed need not carry the ISO list)."""
    for folder in (directory or reference_dir(), PROJECT_ROOT / "data" / "reference"):
        path = Path(folder) / name
        if path.exists():
            return path
    raise FileNotFoundError(f"Fichier de référence ISO 27001 introuvable : {name}.")


@lru_cache(maxsize=4)
def _load_items(directory: Path | None) -> tuple[IsoItem, ...]:
    items: list[IsoItem] = []
    with _reference_file(ANNEX_A_FILE, directory).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            items.append(
                IsoItem(row["iso_id"].strip(), ANNEXE_A, row["theme"].strip(), row["titre"])
            )
    with _reference_file(CLAUSES_FILE, directory).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            items.append(IsoItem(row["iso_id"].strip(), CLAUSE, None, row["titre"]))
    return tuple(items)


def load_iso_items(directory: Path | None = None) -> tuple[IsoItem, ...]:
    """The 93 Annex A controls and the clauses of ISO/IEC 27001:2022 with French titles."""
    return _load_items(Path(directory) if directory else None)


def iso_titles(directory: Path | None = None) -> dict[str, str]:
    return {item.iso_id: item.titre for item in load_iso_items(directory)}


def annex_a_frame(items: Sequence[IsoItem] | None = None) -> pd.DataFrame:
    """``iso_id, theme, titre`` of the Annex A controls, in order."""
    items = load_iso_items() if items is None else items
    rows = [
        {"iso_id": i.iso_id, "theme": i.theme, "titre": i.titre}
        for i in items
        if i.type == ANNEXE_A
    ]
    return pd.DataFrame(rows, columns=["iso_id", "theme", "titre"])


# --------------------------------------------------------------------------- mapping


def iso_mapping(measures: Any) -> pd.DataFrame:
    """One row per (measure, ISO item) of the referential: ``mesure_id, iso_id, ordre``
    (+ ``annee`` when the referential depends on the year). ``ordre`` is the measure's
    position in the referential (for listing a control's measures in the referential's order)."""
    from warehouse.benchmark import measures_frame

    frame = measures_frame(measures)
    with_year = "annee" in frame.columns
    columns = [*(["annee"] if with_year else []), "mesure_id", "iso_id", "ordre"]
    if "iso27001" not in frame.columns or frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.reset_index(drop=True)
    frame["ordre"] = frame.groupby("annee").cumcount() if with_year else frame.index
    exploded = frame.explode("iso27001").dropna(subset=["iso27001"])
    exploded = exploded.rename(columns={"iso27001": "iso_id"})
    exploded = exploded[exploded["iso_id"].astype(str).str.len() > 0]
    out = exploded[columns].drop_duplicates(subset=[c for c in columns if c != "ordre"])
    if with_year:
        out["annee"] = out["annee"].astype("int64")
    return out.reset_index(drop=True)


def _typed_answers(answers: pd.DataFrame | None) -> pd.DataFrame:
    if answers is None or answers.empty:
        return pd.DataFrame(
            {
                "chu": pd.Series(dtype=object),
                "annee": pd.Series(dtype="int64"),
                "mesure_id": pd.Series(dtype=object),
                "niveau": pd.Series(dtype="float64"),
            }
        )
    a = answers[["chu", "annee", "mesure_id", "niveau"]].copy()
    a["chu"] = a["chu"].astype(str)
    a["annee"] = a["annee"].astype("int64")
    a["niveau"] = pd.to_numeric(a["niveau"], errors="coerce").astype("float64")
    return a


def _item_stats(answers: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Per (chu, annee, iso_id) reached by an applicable measure: n applicable, n ≥ 3, mean."""
    join_on = ["annee", "mesure_id"] if "annee" in mapping.columns else ["mesure_id"]
    applicable = answers.dropna(subset=["niveau"])
    merged = applicable.merge(mapping, on=join_on, how="inner")
    merged["ready"] = (merged["niveau"] >= READY_LEVEL).astype("int64")
    grouped = merged.groupby(["chu", "annee", "iso_id"])
    stats = pd.DataFrame(
        {
            "n_applicables": grouped["niveau"].count(),
            "n_prets": grouped["ready"].sum(),
            "niveau_moyen": grouped["niveau"].mean(),
        }
    ).reset_index()
    stats["pret"] = stats["n_prets"] == stats["n_applicables"]
    return stats


def readiness_percentages(answers: pd.DataFrame | None, measures: Any) -> pd.DataFrame:
    """``chu, annee, preparation_iso27001_pct, preparation_iso27001_clauses_pct`` for every
    (chu, annee) having answers (vectorised: the benchmark computes it for every campaign)."""
    from warehouse.benchmark import _round

    a = _typed_answers(answers)
    keys = a[["chu", "annee"]].drop_duplicates().reset_index(drop=True)
    columns = ["chu", "annee", "preparation_iso27001_pct", "preparation_iso27001_clauses_pct"]
    if keys.empty:
        return pd.DataFrame(columns=columns)
    stats = _item_stats(a, iso_mapping(measures))
    stats["type"] = stats["iso_id"].map(iso_type)
    out = keys.copy()
    for kind, column in ((ANNEXE_A, columns[2]), (CLAUSE, columns[3])):
        part = stats[stats["type"] == kind]
        share = part.groupby(["chu", "annee"])["pret"].mean().mul(100).rename(column)
        out = out.merge(share.reset_index(), on=["chu", "annee"], how="left")
        out[column] = _round(out[column])
    return out[columns]


def compute_iso_readiness(
    answers: pd.DataFrame | None, measures: Any, items: Sequence[IsoItem] | None = None
) -> pd.DataFrame:
    """The ``iso27001`` table: one row per (chu, annee) having answers and per ISO item — all
    the Annex A controls and every clause the year's referential maps — in ISO_COLUMNS.

    ``mesures`` lists the referential's measures mapped to the item (referential order),
    whether applicable or not; ``niveau_moyen`` and ``pret`` follow the module's definitions.
    Sorted by annee, chu, then Annex A (A.5.1 …) and clauses (5.1 …).
    """
    from warehouse.benchmark import _round

    items = load_iso_items() if items is None else tuple(items)
    a = _typed_answers(answers)
    keys = a[["chu", "annee"]].drop_duplicates()
    if keys.empty:
        return _empty_readiness()
    mapping = iso_mapping(measures)
    with_year = "annee" in mapping.columns
    known = {i.iso_id: i for i in items}

    # Which measures map to each item (per year when the referential changes with the year).
    group_on = ["annee", "iso_id"] if with_year else ["iso_id"]
    listed = (
        mapping.sort_values("ordre")
        .groupby(group_on)["mesure_id"]
        .agg(list)
        .rename("mesures")
        .reset_index()
    )
    annex_ids = [i.iso_id for i in items if i.type == ANNEXE_A]
    grids: list[pd.DataFrame] = []
    years = sorted(keys["annee"].unique())
    for annee in years:
        mapped = listed[listed["annee"] == annee] if with_year else listed
        ids = list(dict.fromkeys([*annex_ids, *mapped["iso_id"]]))
        grid = pd.DataFrame({"iso_id": ids}).merge(
            mapped.drop(columns="annee", errors="ignore"), on="iso_id", how="left"
        )
        grid["annee"] = int(annee)
        grids.append(grid)
    grid = pd.concat(grids, ignore_index=True)
    frame = keys.merge(grid, on="annee", how="inner")

    stats = _item_stats(a, mapping)
    frame = frame.merge(
        stats[["chu", "annee", "iso_id", "niveau_moyen", "pret"]],
        on=["chu", "annee", "iso_id"],
        how="left",
    )
    frame["type"] = frame["iso_id"].map(iso_type)
    frame["theme"] = frame["iso_id"].map(lambda i: known[i].theme if i in known else None)
    frame["couvert"] = frame["mesures"].map(lambda m: isinstance(m, list) and len(m) > 0)
    frame["mesures"] = frame["mesures"].map(lambda m: list(m) if isinstance(m, list) else [])
    frame["niveau_moyen"] = _round(frame["niveau_moyen"])
    frame["pret"] = pd.array(
        [None if pd.isna(v) else bool(v) for v in frame["pret"]], dtype="boolean"
    )
    frame["_order"] = frame["iso_id"].map(iso_sort_key)
    frame = frame.sort_values(["annee", "chu", "_order"]).reset_index(drop=True)
    return frame[list(ISO_COLUMNS)]


def _empty_readiness() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ISO_COLUMNS})


# --------------------------------------------------------------------------- dashboard views


def readiness_by_theme(readiness: pd.DataFrame) -> pd.DataFrame:
    """Per (chu, annee, theme): Annex A controls prêts, evaluable, and the % (same rule as
    ``preparation_iso27001_pct``, restricted to the theme)."""
    from warehouse.benchmark import _round

    columns = ["chu", "annee", "theme", "n_prets", "n_evalues", "preparation_pct"]
    part = readiness[(readiness["type"] == ANNEXE_A) & readiness["pret"].notna()]
    if part.empty:
        return pd.DataFrame(columns=columns)
    part = part.assign(_ready=part["pret"].astype(bool).astype("int64"))
    grouped = part.groupby(["chu", "annee", "theme"])["_ready"]
    out = pd.DataFrame({"n_prets": grouped.sum(), "n_evalues": grouped.count()}).reset_index()
    out["preparation_pct"] = _round(out["n_prets"] / out["n_evalues"] * 100)
    return out[columns]


def blocking_measures(answers: pd.DataFrame | None, measures: Any) -> pd.DataFrame:
    """Per (chu, annee, mesure_id): the ISO items the measure keeps from being prêts — the
    applicable measure is below 3 and maps to them — most blocking first.

    Columns ``chu, annee, mesure_id, niveau, n_controles_bloques, n_clauses_bloquees,
    controles_bloques`` (list, Annex A then clauses)."""
    columns = [
        "chu",
        "annee",
        "mesure_id",
        "niveau",
        "n_controles_bloques",
        "n_clauses_bloquees",
        "controles_bloques",
    ]
    a = _typed_answers(answers)
    mapping = iso_mapping(measures)
    join_on = ["annee", "mesure_id"] if "annee" in mapping.columns else ["mesure_id"]
    below = a[a["niveau"].notna() & (a["niveau"] < READY_LEVEL)]
    merged = below.merge(mapping, on=join_on, how="inner")
    if merged.empty:
        return pd.DataFrame(columns=columns)
    merged["_order"] = merged["iso_id"].map(iso_sort_key)
    merged["_annex"] = (merged["iso_id"].map(iso_type) == ANNEXE_A).astype("int64")
    merged = merged.sort_values("_order")
    grouped = merged.groupby(["chu", "annee", "mesure_id"])
    out = pd.DataFrame(
        {
            "niveau": grouped["niveau"].first(),
            "n_controles_bloques": grouped["_annex"].sum(),
            "n_clauses_bloquees": grouped["_annex"].count() - grouped["_annex"].sum(),
            "controles_bloques": grouped["iso_id"].agg(list),
        }
    ).reset_index()
    out = out.sort_values(
        ["annee", "chu", "n_controles_bloques", "n_clauses_bloquees", "mesure_id"],
        ascending=[True, True, False, False, True],
    )
    return out[columns].reset_index(drop=True)


def uncovered_controls(measures: Any, items: Sequence[IsoItem] | None = None) -> pd.DataFrame:
    """The Annex A controls no measure of the referential maps to (to prepare outside the
    DNSSI survey): ``iso_id, theme, titre``."""
    items = load_iso_items() if items is None else items
    mapped = set(iso_mapping(measures)["iso_id"])
    frame = annex_a_frame(items)
    return frame[~frame["iso_id"].isin(mapped)].reset_index(drop=True)
