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

import numpy as np
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


@dataclass(frozen=True)
class _YearStats:
    """One year: for each CHU (rows) and ISO item (columns), over the CHU's applicable
    measures mapped to the item: how many there are, how many are below 3, their sum."""

    chus: list[str]
    items: list[str]
    n_applicable: np.ndarray
    n_below: np.ndarray
    total: np.ndarray


def _year_stats(answers: pd.DataFrame, year_mapping: pd.DataFrame) -> _YearStats:
    """Counts by matrix products (answers × incidence measure → item): one pass over the
    answers, whatever the number of CHUs (the benchmark computes it for every campaign)."""
    chu_codes, chu_labels = pd.factorize(answers["chu"])
    chus = [str(c) for c in chu_labels]
    if year_mapping.empty:
        empty = np.zeros((len(chus), 0))
        return _YearStats(chus, [], empty, empty, empty)
    measures = pd.Index(pd.unique(year_mapping["mesure_id"]))
    items = [str(i) for i in pd.unique(year_mapping["iso_id"])]
    incidence = np.zeros((len(measures), len(items)))
    incidence[
        measures.get_indexer(year_mapping["mesure_id"]),
        pd.Index(items).get_indexer(year_mapping["iso_id"]),
    ] = 1.0
    # Answers of measures the referential does not map (index -1) or NA are left out.
    measure_codes = measures.get_indexer(answers["mesure_id"])
    levels = pd.to_numeric(answers["niveau"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    keep = (measure_codes >= 0) & ~np.isnan(levels)
    rows, cols, levels = chu_codes[keep], measure_codes[keep], levels[keep]
    shape = (len(chus), len(measures))
    present, below, values = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    present[rows, cols] = 1.0
    below[rows, cols] = (levels < READY_LEVEL).astype("float64")
    values[rows, cols] = levels
    return _YearStats(chus, items, present @ incidence, below @ incidence, values @ incidence)


def _on_grid(matrix: np.ndarray, take: np.ndarray) -> np.ndarray:
    """``matrix``'s columns in the grid's order; 0 for a grid item no measure maps to."""
    out = np.zeros((matrix.shape[0], len(take)))
    mapped = take >= 0
    out[:, mapped] = matrix[:, take[mapped]]
    return out


def _mapping_of_year(mapping: pd.DataFrame, annee: int) -> pd.DataFrame:
    if "annee" in mapping.columns:
        return mapping[mapping["annee"] == annee]
    return mapping


def readiness_percentages(answers: pd.DataFrame | None, measures: Any) -> pd.DataFrame:
    """``chu, annee, preparation_iso27001_pct, preparation_iso27001_clauses_pct`` for every
    (chu, annee) having answers."""
    from warehouse.benchmark import _round

    a = _typed_answers(answers)
    columns = ["chu", "annee", "preparation_iso27001_pct", "preparation_iso27001_clauses_pct"]
    if a.empty:
        return pd.DataFrame(columns=columns)
    mapping = iso_mapping(measures)
    parts: list[pd.DataFrame] = []
    for annee, year in a.groupby("annee", sort=True):
        stats = _year_stats(year, _mapping_of_year(mapping, int(annee)))
        evaluated = stats.n_applicable > 0
        ready = evaluated & (stats.n_below == 0)
        annex = np.array([iso_type(i) == ANNEXE_A for i in stats.items], dtype=bool)
        part = pd.DataFrame({"chu": stats.chus, "annee": int(annee)})
        for column, kind in ((columns[2], annex), (columns[3], ~annex)):
            n_evaluated = evaluated[:, kind].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = ready[:, kind].sum(axis=1) / n_evaluated * 100
            part[column] = np.where(n_evaluated > 0, share, np.nan)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for column in columns[2:]:
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
    if a.empty:
        return _empty_readiness()
    mapping = iso_mapping(measures)
    known = {i.iso_id: i for i in items}
    annex_ids = [i.iso_id for i in items if i.type == ANNEXE_A]
    frames: list[pd.DataFrame] = []
    for annee, year in a.groupby("annee", sort=True):
        year_mapping = _mapping_of_year(mapping, int(annee))
        listed = year_mapping.sort_values("ordre").groupby("iso_id")["mesure_id"].agg(list)
        # The year's items (all Annex A controls, then the mapped clauses), in ISO order.
        grid = sorted(dict.fromkeys([*annex_ids, *listed.index]), key=iso_sort_key)
        stats = _year_stats(year, year_mapping)
        position = {it: j for j, it in enumerate(stats.items)}
        take = np.array([position.get(it, -1) for it in grid], dtype="int64")

        n_app, n_below, total = (
            _on_grid(m, take) for m in (stats.n_applicable, stats.n_below, stats.total)
        )
        evaluated = (n_app > 0).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n_app > 0, total / n_app, np.nan).ravel()
        ready = (n_below == 0).ravel()
        n_chus, n_items = len(stats.chus), len(grid)
        measures_of = [list(listed.get(it, [])) for it in grid]
        frames.append(
            pd.DataFrame(
                {
                    "chu": np.repeat(stats.chus, n_items),
                    "annee": int(annee),
                    "iso_id": grid * n_chus,
                    "type": [iso_type(it) for it in grid] * n_chus,
                    "theme": [known[it].theme if it in known else None for it in grid] * n_chus,
                    "couvert": [bool(m) for m in measures_of] * n_chus,
                    "mesures": measures_of * n_chus,
                    "niveau_moyen": mean,
                    # Null (masked) where no mapped measure is applicable.
                    "pret": pd.arrays.BooleanArray(ready, ~evaluated),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["niveau_moyen"] = _round(frame["niveau_moyen"])
    # Sort by CHU within a year; items keep their ISO order (a stable sort).
    frame = frame.sort_values(["annee", "chu"], kind="mergesort").reset_index(drop=True)
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
