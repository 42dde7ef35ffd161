"""The §5 benchmark, pooling opportunities and campaign status: pure pandas, no database.

Conventions shared by every figure computed here:

* a KPI whose inputs are missing is null (NaN / <NA>), never 0: no valid profile means no
  ``part_budget_si_pct``; a division by zero (0 beds, 0 SI staff...) is null too;
* "not applicable" answers (niveau NA / NULL) are left out of every maturity mean and of
  the denominator of ``part_mesures_niveau3_pct``;
* every float is rounded to 2 decimals (``indice_maturite`` per §5; percentages, scores,
  amounts and differences likewise), half away from zero as a spreadsheet does
  (:func:`round_half_up`);
* ``rang_maturite``, ``ecart_mediane_indice`` and ``evolution_indice`` are computed from the
  *rounded* ``indice_maturite``, so that they agree with the figures people see (two CHUs
  shown at 2.35 share their rank).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from expectations.contract import KINDS
from expectations.reference import CHAPTERS, CSF_FUNCTIONS, ReferenceData
from warehouse.figures import FIGURES
from warehouse.iso import readiness_percentages
from warehouse.schema import BENCHMARK_COLUMNS

DECIMALS = 2
SOURCE_COLUMNS = ("maturite_submission_id", "depenses_submission_id", "profil_submission_id")
OUTPUT_COLUMNS = (*BENCHMARK_COLUMNS, *SOURCE_COLUMNS)

POOLING_COLUMNS = (
    "annee",
    "type",
    "nom",
    "nb_chu",
    "chus",
    "total_mad",
    "taux_economie",
    "economie_estimee_mad",
    "submission_ids",
)
POOLING_TYPES = ("solution", "fournisseur")

# Campaign status codes (French labels live in expectations/labels.py STATUS_LABELS).
VALIDE = "valide"
INVALIDE = "invalide"
RECU = "recu"
MANQUANT = "manquant"
CAMPAIGN_STATUS_COLUMNS = (
    "chu",
    "annee",
    "kind",
    "status",
    "n_submissions",
    "current_submission_id",
    "last_received_at",
)
OVERALL_STATUS_COLUMNS = (
    "chu",
    "annee",
    "status",
    "n_valide",
    "n_invalide",
    "n_manquant",
    "n_submissions",
    "last_received_at",
)


# --------------------------------------------------------------------------- measures


def _measure_row(m: Any) -> dict[str, Any]:
    return {
        "mesure_id": m.mesure_id,
        "chapitre": m.chapitre,
        "fonction_csf": m.fonction_csf,
        "titre": getattr(m, "titre", None),
        "iso27001": tuple(getattr(m, "iso27001", ())),
    }


def _iso_items(value: Any) -> tuple[str, ...]:
    """An ``iso27001`` cell as a tuple of normalised items (a space-separated string, as in
    the referential file, or a sequence)."""
    from expectations.reference import normalise_iso_item, normalise_iso_items

    if isinstance(value, str):
        return normalise_iso_items(value)
    if value is None or (not isinstance(value, list | tuple | set) and pd.isna(value)):
        return ()
    return tuple(dict.fromkeys(normalise_iso_item(str(v)) for v in value if str(v).strip()))


def measures_frame(measures: Any) -> pd.DataFrame:
    """Normalise the referential to a frame ``mesure_id, chapitre, fonction_csf`` (+ ``annee``
    when the referential depends on the year, + ``titre`` and ``iso27001`` — a tuple of ISO
    27001:2022 items — when known), in the referential's order.

    Accepts a DataFrame with those columns, an iterable of ``Measure``, or a mapping
    ``{annee: iterable of Measure}``.
    """
    base = ["mesure_id", "chapitre", "fonction_csf", "titre", "iso27001"]
    if isinstance(measures, pd.DataFrame):
        frame = measures.copy()
    elif isinstance(measures, Mapping):
        frame = pd.DataFrame(
            [
                {"annee": int(annee), **_measure_row(m)}
                for annee, items in sorted(measures.items())
                for m in items
            ],
            columns=["annee", *base],
        )
    else:
        frame = pd.DataFrame([_measure_row(m) for m in measures], columns=base)
    missing = {"mesure_id", "chapitre", "fonction_csf"} - set(frame.columns)
    if missing:
        raise ValueError(f"Référentiel incomplet : colonnes manquantes {sorted(missing)}.")
    keep = [c for c in ("annee", *base) if c in frame.columns]
    frame = frame[keep].copy()
    frame["chapitre"] = frame["chapitre"].astype(int)
    frame["fonction_csf"] = frame["fonction_csf"].astype(str).str.upper()
    if "iso27001" in frame.columns:
        frame["iso27001"] = frame["iso27001"].map(_iso_items)
    return frame


def measures_for_years(reference: ReferenceData, years: Iterable[int]) -> pd.DataFrame:
    """The referential of each year (campaigns may change referential)."""
    return measures_frame({int(y): reference.measures_for_year(int(y)) for y in set(years)})


# --------------------------------------------------------------------------- helpers


_QUANTUM = Decimal(1).scaleb(-DECIMALS)


def round_half_up(value: float) -> float:
    """Round to DECIMALS like a person or a spreadsheet does (0.085 -> 0.09, -0.085 -> -0.09).

    The value is first rounded to 9 decimals to drop binary noise (0.67 - 0.585 is
    0.08500000000000008 in floats), then rounded half away from zero in decimal.
    """
    if value is None or math.isnan(value) or math.isinf(value):
        return value
    exact = Decimal(repr(round(float(value), 9)))
    return float(exact.quantize(_QUANTUM, rounding=ROUND_HALF_UP))


def _round(series: pd.Series) -> pd.Series:
    return series.astype("float64").map(round_half_up).astype("float64")


def _ratio(numerator: pd.Series, denominator: pd.Series, factor: float = 1.0) -> pd.Series:
    """numerator / denominator × factor; null when either is missing or the denominator is 0."""
    num = pd.to_numeric(numerator, errors="coerce").astype("float64")
    den = pd.to_numeric(denominator, errors="coerce").astype("float64")
    den = den.where(den != 0)
    return num / den * factor


def _as_float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _keys(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame({"chu": pd.Series(dtype=object), "annee": pd.Series(dtype="int64")})
    keys = frame[["chu", "annee"]].dropna().copy()
    keys["chu"] = keys["chu"].astype(str)
    keys["annee"] = keys["annee"].astype("int64")
    return keys


def _source_ids(frame: pd.DataFrame | None, name: str) -> pd.DataFrame:
    """The submission a kind's figures come from, per (chu, annee)."""
    if frame is None or frame.empty or "submission_id" not in frame.columns:
        return pd.DataFrame(columns=["chu", "annee", name])
    ids = frame[["chu", "annee", "submission_id"]].dropna()
    ids = ids.groupby(["chu", "annee"], as_index=False)["submission_id"].max()
    return ids.rename(columns={"submission_id": name})


# --------------------------------------------------------------------------- benchmark


_MEASURE_KEYS = ("mesure_id", "chapitre", "fonction_csf")


def _maturity(answers: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    a = answers.copy()
    a["chu"] = a["chu"].astype(str)
    a["annee"] = a["annee"].astype("int64")
    a["niveau"] = _as_float(a["niveau"])
    a["cible"] = _as_float(a["cible"]) if "cible" in a.columns else np.nan
    a["ge3"] = (a["niveau"] >= 3).astype("float64").where(a["niveau"].notna())
    a["gap"] = a["cible"] - a["niveau"]  # NaN unless both are present

    grouped = a.groupby(["chu", "annee"])
    out = pd.DataFrame(
        {
            "indice_maturite": grouped["niveau"].mean(),
            "part_mesures_niveau3_pct": grouped["ge3"].mean() * 100,
            "ecart_cible": grouped["gap"].mean(),
        }
    )

    join_on = ["annee", "mesure_id"] if "annee" in measures.columns else ["mesure_id"]
    m = measures[[c for c in ("annee", *_MEASURE_KEYS) if c in measures.columns]].copy()
    if "annee" in m.columns:
        m["annee"] = m["annee"].astype("int64")
    a = a.merge(m, on=join_on, how="left")
    # Answers of measures unknown to the referential count in the index but in no score.
    by_function = a.pivot_table(
        index=["chu", "annee"], columns="fonction_csf", values="niveau", aggfunc="mean"
    )
    for function in CSF_FUNCTIONS:
        out[f"score_{function}"] = (
            by_function[function] if function in by_function.columns else np.nan
        )
    by_chapter = a.dropna(subset=["chapitre"]).assign(chapitre=lambda d: d["chapitre"].astype(int))
    by_chapter = by_chapter.pivot_table(
        index=["chu", "annee"], columns="chapitre", values="niveau", aggfunc="mean"
    )
    for chapter in CHAPTERS:
        out[f"score_chapitre_{chapter}"] = (
            by_chapter[chapter] if chapter in by_chapter.columns else np.nan
        )
    return out.reset_index()


def _spending(spending: pd.DataFrame) -> pd.DataFrame:
    s = spending.copy()
    s["chu"] = s["chu"].astype(str)
    s["annee"] = s["annee"].astype("int64")
    s["montant_mad"] = _as_float(s["montant_mad"])
    s["capex"] = s["montant_mad"].where(s["nature"].astype(str).str.lower() == "capex", 0.0)
    grouped = s.groupby(["chu", "annee"])
    out = pd.DataFrame(
        {
            "depense_ssi_mad": grouped["montant_mad"].sum(min_count=1),
            "capex_mad": grouped["capex"].sum(min_count=1),
        }
    ).reset_index()
    return out


# What a ratio figure of the registry (warehouse.figures, ``Figure.ratio``) may divide: the
# spending totals and every number of the profile, per (chu, annee).
SPENDING_NUMBERS = ("depense_ssi_mad", "capex_mad")
PROFILE_NUMBERS = (
    "lits",
    "effectif_total",
    "effectif_si",
    "effectif_ssi",
    "budget_total_mad",
    "budget_si_mad",
    "stade_numerique",
    "incidents_declares",
)
RATIO_INPUTS = (*SPENDING_NUMBERS, *PROFILE_NUMBERS)


def _profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    p = profiles.copy()
    p["chu"] = p["chu"].astype(str)
    p["annee"] = p["annee"].astype("int64")
    # One current profile per (chu, annee); keep the last should the caller pass several.
    p = p.drop_duplicates(subset=["chu", "annee"], keep="last")
    columns = list(PROFILE_NUMBERS)
    for column in columns:
        p[column] = _as_float(p[column]) if column in p.columns else np.nan
    return p[["chu", "annee", *columns]]


def alliance_figures(frame: pd.DataFrame) -> pd.DataFrame:
    """``rang_maturite`` and ``ecart_mediane_indice`` of each row within its year, from the
    rounded ``indice_maturite``; ``frame`` (annee, indice_maturite) holds every CHU of each
    year it covers. The one definition of both figures: the full benchmark and the
    incremental refresh (``warehouse.refresh``) call it."""
    indice = _as_float(frame["indice_maturite"])
    by_year = indice.groupby(frame["annee"])
    return pd.DataFrame(
        {
            "rang_maturite": by_year.rank(method="min", ascending=False).astype("Int64"),
            "ecart_mediane_indice": _round(indice - by_year.transform("median")),
        },
        index=frame.index,
    )


def evolution_indice(frame: pd.DataFrame) -> pd.Series:
    """``evolution_indice`` of each row: its rounded index minus the CHU's index of its
    previous campaign with an index (null without an index or without such a campaign);
    ``frame`` (chu, annee, indice_maturite) holds every year of each CHU it covers. The one
    definition, for the full benchmark and the incremental refresh."""
    indice = _as_float(frame["indice_maturite"])
    with_index = frame.loc[indice.notna(), ["chu", "annee"]].assign(indice_maturite=indice)
    with_index = with_index.sort_values(["chu", "annee"])
    previous = with_index.groupby("chu")["indice_maturite"].shift(1)
    return _round((with_index["indice_maturite"] - previous).reindex(frame.index))


def compute_benchmark(
    answers: pd.DataFrame | None,
    spending: pd.DataFrame | None,
    profiles: pd.DataFrame | None,
    measures: Any,
    *,
    submissions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (chu, annee) having at least one current submission (DESIGN §5).

    Inputs are the *current* rows (see ``warehouse.reads``): ``answers`` (chu, annee,
    mesure_id, niveau, cible, submission_id), ``spending`` (chu, annee, nature, montant_mad,
    submission_id), ``profiles`` (chu, annee, lits, effectif_si, effectif_ssi,
    budget_total_mad, budget_si_mad, submission_id), ``measures`` (see :func:`measures_frame`).
    ``submissions`` (optional: id, chu, annee, kind of current submissions) adds the rows
    and source ids of current submissions that carry no data rows.

    Returns exactly BENCHMARK_COLUMNS + the three ``*_submission_id`` columns, sorted by
    annee then chu; floats rounded to 2 decimals, ``rang_maturite`` and ids as Int64.
    """
    measures_df = measures_frame(measures)
    keys = pd.concat(
        [_keys(answers), _keys(spending), _keys(profiles), _keys(submissions)], ignore_index=True
    ).drop_duplicates()
    frame = keys.sort_values(["annee", "chu"]).reset_index(drop=True)

    if answers is not None and not answers.empty:
        frame = frame.merge(_maturity(answers, measures_df), on=["chu", "annee"], how="left")
        frame = frame.merge(
            readiness_percentages(answers, measures_df), on=["chu", "annee"], how="left"
        )
    if spending is not None and not spending.empty:
        frame = frame.merge(_spending(spending), on=["chu", "annee"], how="left")
    if profiles is not None and not profiles.empty:
        frame = frame.merge(_profiles(profiles), on=["chu", "annee"], how="left")

    # A current spending file without any line declares zero spending.
    if submissions is not None and not submissions.empty:
        sub = submissions.dropna(subset=["chu", "annee", "kind"])
        declared = sub[sub["kind"] == "depenses"][["chu", "annee"]].astype(
            {"chu": str, "annee": "int64"}
        )
        declared = declared.assign(_declared=True)
        frame = frame.merge(declared.drop_duplicates(), on=["chu", "annee"], how="left")
        if "depense_ssi_mad" not in frame.columns:
            frame["depense_ssi_mad"] = np.nan
        frame.loc[
            frame["_declared"].eq(True) & frame["depense_ssi_mad"].isna(), "depense_ssi_mad"
        ] = 0.0
        frame = frame.drop(columns="_declared")

    for column in (*BENCHMARK_COLUMNS[2:], *RATIO_INPUTS):
        if column not in frame.columns:
            frame[column] = np.nan

    # Every ratio figure from its registry entry: a new ratio is a registry entry.
    for spec in FIGURES:
        if spec.ratio is not None:
            frame[spec.name] = _ratio(
                frame[spec.ratio.numerator], frame[spec.ratio.denominator], spec.ratio.factor
            )

    float_columns = [f.name for f in FIGURES if not f.is_integer]
    for column in float_columns:
        frame[column] = _round(frame[column])

    # Alliance-relative figures, from the rounded index.
    relative = alliance_figures(frame)
    frame["rang_maturite"] = relative["rang_maturite"]
    frame["ecart_mediane_indice"] = relative["ecart_mediane_indice"]
    frame["evolution_indice"] = evolution_indice(frame)

    sources = [
        _source_ids(answers, "maturite_submission_id"),
        _source_ids(spending, "depenses_submission_id"),
        _source_ids(profiles, "profil_submission_id"),
    ]
    if submissions is not None and not submissions.empty:
        current = submissions.dropna(subset=["chu", "annee", "kind"])
        for kind, name in zip(KINDS, SOURCE_COLUMNS, strict=True):
            ids = current[current["kind"] == kind][["chu", "annee", "id"]].rename(
                columns={"id": name}
            )
            sources.append(ids.astype({"chu": str, "annee": "int64"}))
    for name in SOURCE_COLUMNS:
        parts = [s for s in sources if name in s.columns and not s.empty]
        if parts:
            ids = pd.concat(parts).astype({"chu": str, "annee": "int64"})
            ids = ids.groupby(["chu", "annee"], as_index=False)[name].max()
            frame = frame.merge(ids, on=["chu", "annee"], how="left")
        else:
            frame[name] = None
        frame[name] = pd.array([None if pd.isna(v) else int(v) for v in frame[name]], dtype="Int64")

    frame = frame.sort_values(["annee", "chu"]).reset_index(drop=True)
    frame["annee"] = frame["annee"].astype("int64")
    return frame[list(OUTPUT_COLUMNS)]


# --------------------------------------------------------------------------- pooling

_SPACES = re.compile(r"\s+")


def _display_name(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def compute_pooling(spending: pd.DataFrame | None, rate: float = 0.15) -> pd.DataFrame:
    """The same solution or supplier bought by two CHUs or more in a year (DESIGN §5).

    Names are compared case- and space-insensitively; ``nom`` is the most frequent spelling
    (alphabetically first on a tie). ``total_mad`` sums every line of that name that year,
    ``economie_estimee_mad`` = total × ``rate``. Sorted by annee, type, total (largest first).
    """
    rate = float(rate)
    if not 0 <= rate <= 1:
        raise ValueError("Le taux d'économie doit être compris entre 0 et 1.")
    rows: list[dict[str, Any]] = []
    if spending is not None and not spending.empty:
        base = spending.copy()
        base["montant_mad"] = _as_float(base["montant_mad"])
        if "submission_id" not in base.columns:
            base["submission_id"] = None
        for kind in POOLING_TYPES:
            if kind not in base.columns:
                continue
            part = base.assign(_nom=base[kind].map(_display_name)).dropna(subset=["_nom"])
            part = part.assign(_key=part["_nom"].str.casefold())
            for (annee, _key), group in part.groupby(["annee", "_key"], sort=True):
                chus = sorted({str(c) for c in group["chu"]})
                if len(chus) < 2:
                    continue
                counts = group["_nom"].value_counts()
                nom = sorted(counts[counts == counts.max()].index)[0]
                total = round_half_up(float(group["montant_mad"].sum()))
                ids = sorted({int(i) for i in group["submission_id"].dropna()})
                rows.append(
                    {
                        "annee": int(annee),
                        "type": kind,
                        "nom": nom,
                        "nb_chu": len(chus),
                        "chus": ",".join(chus),
                        "total_mad": total,
                        "taux_economie": rate,
                        "economie_estimee_mad": round_half_up(total * rate),
                        "submission_ids": ",".join(str(i) for i in ids),
                    }
                )
    frame = pd.DataFrame(rows, columns=list(POOLING_COLUMNS))
    if frame.empty:
        return frame.astype({"annee": "int64", "nb_chu": "int64", "total_mad": "float64"})
    frame = frame.sort_values(
        ["annee", "type", "total_mad", "nom"], ascending=[True, True, False, True]
    )
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- campaign status


def overall_status(statuses: Iterable[str], n_kinds: int = len(KINDS)) -> str:
    """Status of a (chu, annee) from the status of each kind — the one rule used everywhere.

    valide: every kind valid; invalide: a kind has only rejected files; recu: some but not
    all kinds valid; manquant: nothing received. Kinds not listed count as missing.
    """
    values = list(statuses)
    n_valid = sum(1 for s in values if s == VALIDE)
    if n_valid >= n_kinds:
        return VALIDE
    if INVALIDE in values:
        return INVALIDE
    if n_valid > 0:
        return RECU
    return MANQUANT


def compute_campaign_status(
    submissions: pd.DataFrame | None,
    chu_codes: Iterable[str],
    campaign_years: Iterable[int],
    first_campaign: Mapping[str, int | None] | None = None,
) -> pd.DataFrame:
    """Status per (chu, annee, kind): valide (a current valid file), invalide (only rejected
    files), manquant (nothing).

    Years are the campaign years plus any year a file was received for. A year before an
    establishment's ``first_campaign`` is skipped unless files were received for it, and so
    is a year without a declared campaign (a file for next year, sent early): only what was
    received is shown, nobody is « manquant » for a campaign that was not opened.
    Submissions whose CHU, year or kind could not be read are not attributable and ignored,
    and so are files sent by another CHU (``sender_chu`` differs from ``chu``): FES sending
    Tanger's file must not turn Tanger's campaign « invalide ».
    ``submissions`` needs id, chu, annee, kind, status, received_at (and sender_chu if known).
    """
    codes = list(dict.fromkeys(str(c) for c in chu_codes))
    subs = (
        submissions.dropna(subset=["chu", "annee", "kind"]).copy()
        if submissions is not None and not submissions.empty
        else pd.DataFrame(columns=["id", "chu", "annee", "kind", "status", "received_at"])
    )
    if "sender_chu" in subs.columns:
        sent_by_other = subs["sender_chu"].notna() & (subs["sender_chu"] != subs["chu"])
        subs = subs[~sent_by_other]
    subs["annee"] = subs["annee"].astype("int64")
    subs["received_at"] = pd.to_datetime(subs["received_at"], utc=True)
    campaigns = {int(y) for y in campaign_years}
    years = sorted(campaigns | set(subs["annee"].tolist()))
    grouped = {key: group for key, group in subs.groupby(["chu", "annee", "kind"])}
    first = dict(first_campaign or {})

    rows: list[dict[str, Any]] = []
    for annee in years:
        for chu in codes:
            start = first.get(chu)
            for kind in sorted(KINDS):
                group = grouped.get((chu, annee, kind))
                n = 0 if group is None else len(group)
                if n == 0 and (annee not in campaigns or (start is not None and annee < start)):
                    continue
                current_id = None
                last = pd.NaT
                status = MANQUANT
                if group is not None and n:
                    current = group[group["status"] == "current"]
                    last = group["received_at"].max()
                    if not current.empty:
                        current_id = int(current["id"].max())
                        status = VALIDE
                    else:
                        status = INVALIDE
                rows.append(
                    {
                        "chu": chu,
                        "annee": annee,
                        "kind": kind,
                        "status": status,
                        "n_submissions": n,
                        "current_submission_id": current_id,
                        "last_received_at": last,
                    }
                )
    frame = pd.DataFrame(rows, columns=list(CAMPAIGN_STATUS_COLUMNS))
    frame["annee"] = frame["annee"].astype("int64")
    frame["n_submissions"] = frame["n_submissions"].astype("int64")
    frame["current_submission_id"] = pd.array(
        [None if pd.isna(v) else int(v) for v in frame["current_submission_id"]], dtype="Int64"
    )
    frame["last_received_at"] = pd.to_datetime(frame["last_received_at"], utc=True)
    return frame.sort_values(["annee", "chu", "kind"]).reset_index(drop=True)


def compute_overall_status(campaign_status: pd.DataFrame) -> pd.DataFrame:
    """Per (chu, annee): :func:`overall_status` of its kinds, with counts."""
    rows: list[dict[str, Any]] = []
    if campaign_status is not None and not campaign_status.empty:
        for (chu, annee), group in campaign_status.groupby(["chu", "annee"], sort=True):
            statuses = group["status"].tolist()
            rows.append(
                {
                    "chu": chu,
                    "annee": int(annee),
                    "status": overall_status(statuses),
                    "n_valide": statuses.count(VALIDE),
                    "n_invalide": statuses.count(INVALIDE),
                    "n_manquant": len(KINDS) - statuses.count(VALIDE) - statuses.count(INVALIDE),
                    "n_submissions": int(group["n_submissions"].sum()),
                    "last_received_at": group["last_received_at"].max(),
                }
            )
    frame = pd.DataFrame(rows, columns=list(OVERALL_STATUS_COLUMNS))
    frame["last_received_at"] = pd.to_datetime(frame["last_received_at"], utc=True)
    return frame.sort_values(["annee", "chu"]).reset_index(drop=True)
