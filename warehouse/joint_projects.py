"""Joint projects: measures where several CHUs are weak together (pure pandas).

Definition (contract, issue 9): for every measure and year, the CHUs whose current answer
is niveau 0 or 1 (:data:`LOW_LEVELS`; NA answers do not count); the measure is a joint
project when at least ``min_chu`` CHUs — a setting, 3 by default
(:data:`DEFAULT_MIN_CHU`, ``CHU_BENCH_PROJETS_COMMUNS_MIN_CHU``) — are in that case.
Columns ``annee, mesure_id, fonction_csf, chu`` (their codes, sorted), ``n_chu``.

The budget hint (:func:`budget_hint`): for each project, the CHUs that reached niveau ≥ 4
on the measure that year and what each spent in the measure's CSF function (spending lines
whose ``fonction_csf`` is the measure's), summarised by their median.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from warehouse.benchmark import measures_frame, round_half_up

LOW_LEVELS = (0, 1)
DEFAULT_MIN_CHU = 3
MIN_CHU_ENV = "CHU_BENCH_PROJETS_COMMUNS_MIN_CHU"
STRONG_LEVEL = 4

JOINT_PROJECT_COLUMNS = ("annee", "mesure_id", "fonction_csf", "chu", "n_chu")
BUDGET_COLUMNS = (
    "annee",
    "mesure_id",
    "chu_au_niveau_4",
    "n_chu_au_niveau_4",
    "n_chu_avec_depenses",
    "depenses_fonction_mad",
    "depense_fonction_mediane_mad",
)


def default_min_chu() -> int:
    """``CHU_BENCH_PROJETS_COMMUNS_MIN_CHU`` when set (an integer ≥ 2), else 3."""
    raw = os.environ.get(MIN_CHU_ENV, "").strip()
    if not raw:
        return DEFAULT_MIN_CHU
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MIN_CHU_ENV} doit être un entier (reçu : « {raw} »).") from None
    if value < 2:
        raise ValueError(f"{MIN_CHU_ENV} doit valoir au moins 2 (reçu : {value}).")
    return value


def _functions(measures: Any) -> pd.DataFrame:
    frame = measures_frame(measures)
    keys = ["annee", "mesure_id"] if "annee" in frame.columns else ["mesure_id"]
    return frame[[*keys, "fonction_csf"]].drop_duplicates(subset=keys)


def compute_joint_projects(
    answers: pd.DataFrame | None, measures: Any, min_chu: int | None = None
) -> pd.DataFrame:
    """Every (annee, mesure_id) where at least ``min_chu`` CHUs have niveau 0 or 1.
    Sorted by annee, n_chu (most first), then mesure_id."""
    threshold = default_min_chu() if min_chu is None else int(min_chu)
    if threshold < 1:
        raise ValueError("Le seuil des projets communs doit valoir au moins 1.")
    if answers is None or answers.empty:
        return pd.DataFrame(columns=list(JOINT_PROJECT_COLUMNS))
    a = answers[["chu", "annee", "mesure_id", "niveau"]].copy()
    a["chu"] = a["chu"].astype(str)
    a["annee"] = a["annee"].astype("int64")
    a["niveau"] = pd.to_numeric(a["niveau"], errors="coerce")
    low = a[a["niveau"].isin(LOW_LEVELS)]
    grouped = low.groupby(["annee", "mesure_id"])["chu"].agg(lambda s: sorted(set(s)))
    frame = grouped.rename("chu").reset_index()
    frame["n_chu"] = frame["chu"].map(len).astype("int64")
    frame = frame[frame["n_chu"] >= threshold]
    functions = _functions(measures)
    on = ["annee", "mesure_id"] if "annee" in functions.columns else ["mesure_id"]
    if "annee" in functions.columns:
        functions["annee"] = functions["annee"].astype("int64")
    frame = frame.merge(functions, on=on, how="left")
    frame = frame.sort_values(["annee", "n_chu", "mesure_id"], ascending=[True, False, True])
    return frame[list(JOINT_PROJECT_COLUMNS)].reset_index(drop=True)


def budget_hint(
    projects: pd.DataFrame, answers: pd.DataFrame | None, spending: pd.DataFrame | None
) -> pd.DataFrame:
    """Per project: the CHUs at niveau ≥ 4 on the measure that year, how many of them have
    spending in the measure's CSF function, and the median of those CHUs' totals (MAD)."""
    rows: list[dict[str, Any]] = []
    if projects.empty:
        return pd.DataFrame(columns=list(BUDGET_COLUMNS))
    a = answers.copy() if answers is not None else pd.DataFrame(columns=["chu", "annee"])
    a["niveau"] = pd.to_numeric(a.get("niveau"), errors="coerce")
    strong = a[a["niveau"] >= STRONG_LEVEL]
    totals: dict[tuple[int, str, str], float] = {}
    if spending is not None and not spending.empty and "fonction_csf" in spending.columns:
        s = spending.dropna(subset=["fonction_csf"]).copy()
        s["montant_mad"] = pd.to_numeric(s["montant_mad"], errors="coerce")
        s["fonction_csf"] = s["fonction_csf"].astype(str).str.upper()
        summed = s.groupby(["annee", "chu", "fonction_csf"])["montant_mad"].sum()
        totals = {(int(k[0]), str(k[1]), str(k[2])): float(v) for k, v in summed.items()}
    for project in projects.itertuples(index=False):
        annee = int(project.annee)
        chus = sorted(
            set(
                strong[
                    (strong["annee"].astype("int64") == annee)
                    & (strong["mesure_id"] == project.mesure_id)
                ]["chu"].astype(str)
            )
        )
        amounts = [
            totals[(annee, c, str(project.fonction_csf))]
            for c in chus
            if (annee, c, str(project.fonction_csf)) in totals
        ]
        median = round_half_up(float(pd.Series(amounts).median())) if amounts else None
        rows.append(
            {
                "annee": annee,
                "mesure_id": project.mesure_id,
                "chu_au_niveau_4": chus,
                "n_chu_au_niveau_4": len(chus),
                "n_chu_avec_depenses": len(amounts),
                # Each such CHU's total, in the order of chu_au_niveau_4 (those with spending).
                "depenses_fonction_mad": amounts,
                "depense_fonction_mediane_mad": median,
            }
        )
    return pd.DataFrame(rows, columns=list(BUDGET_COLUMNS))
