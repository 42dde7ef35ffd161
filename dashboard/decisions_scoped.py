"""What one viewer may see of the decisions: ISO 27001 readiness, action plans, joint projects.

The same rules as ``dashboard.scoped`` (SDC's viewer-scoped layer, whose ``ScopedData`` this
wraps and whose thresholds it uses):

- alliance and admin see every CHU by name (``named_*`` methods); a DSI calling one gets
  ``PermissionError``;
- a DSI sees its own CHU's readiness, blocking measures and plan, and of the other CHUs only
  counts (how many peers at niveau ≥ 4 on a measure, how many CHUs share a joint project)
  and aggregates published under ``DisclosureRules`` (median of the other CHUs' readiness
  when at least ``min_peers`` of them have it; budget hint of a joint project only when
  ``min_peers`` CHUs contribute and none dominates) — never a peer's code, name or value.

Pure pandas: no Streamlit (the page shells are in ``dashboard/views/``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from dashboard.scoped import ScopedData, peer_summary
from warehouse.benchmark import measures_for_years
from warehouse.iso import (
    THEMES,
    blocking_measures,
    compute_iso_readiness,
    iso_titles,
    readiness_by_theme,
    uncovered_controls,
)
from warehouse.joint_projects import budget_hint, compute_joint_projects
from warehouse.plan import compute_plan

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

READINESS_COLUMNS = ("preparation_iso27001_pct", "preparation_iso27001_clauses_pct")
THEME_COLUMNS = tuple(f"preparation_{t}_pct" for t in THEMES)
ISO_STATUS_LABELS = {"aucun": "Aucune démarche", "en_cours": "En cours", "certifie": "Certifié"}


class DecisionSource(Protocol):
    """The current rows the decisions are computed from (all CHUs of a year)."""

    def answers(self, annee: int) -> pd.DataFrame: ...
    def spending(self, annee: int) -> pd.DataFrame: ...
    def profiles(self, annee: int) -> pd.DataFrame: ...


class WarehouseDecisionSource:
    """Straight warehouse reads (tests, the CHU report); the dashboard caches them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def answers(self, annee: int) -> pd.DataFrame:
        from warehouse.reads import read_current_answers

        return read_current_answers(self.engine, annee=annee)

    def spending(self, annee: int) -> pd.DataFrame:
        from warehouse.reads import read_current_spending

        return read_current_spending(self.engine, annee=annee)

    def profiles(self, annee: int) -> pd.DataFrame:
        from warehouse.reads import read_current_profiles

        return read_current_profiles(self.engine, annee=annee)


class DecisionScope:
    """The decisions ``scoped.viewer`` may see (see the module docstring)."""

    def __init__(self, scoped: ScopedData, source: DecisionSource) -> None:
        self.scoped = scoped
        self.source = source

    # --- shared ---------------------------------------------------------------------------

    @property
    def sees_names(self) -> bool:
        return self.scoped.sees_names

    @property
    def own_chu(self) -> str | None:
        return self.scoped.own_chu

    def years(self) -> list[int]:
        return self.scoped.years()

    def _measures(self, annee: int) -> Any:
        return measures_for_years(self.scoped.reference, {int(annee)})

    def _titles(self, annee: int) -> dict[str, str]:
        return {m.mesure_id: m.titre for m in self.scoped.reference.measures_for_year(int(annee))}

    def _readiness(self, annee: int) -> pd.DataFrame:
        return compute_iso_readiness(self.source.answers(annee), self._measures(annee))

    def uncovered(self, annee: int) -> pd.DataFrame:
        """Annex A controls no DNSSI measure covers (the same for everyone)."""
        return uncovered_controls(self._measures(annee))

    def _overview(self, annee: int) -> pd.DataFrame:
        """Every CHU: declared status, readiness (Annex A, clauses) and per theme."""
        readiness = self._readiness(annee)
        columns = ["chu", "iso27001", *READINESS_COLUMNS, *THEME_COLUMNS]
        if readiness.empty:
            return pd.DataFrame(columns=columns)
        from warehouse.iso import readiness_percentages

        pct = readiness_percentages(self.source.answers(annee), self._measures(annee))
        themes = readiness_by_theme(readiness)
        wide = themes.pivot_table(
            index="chu", columns="theme", values="preparation_pct", aggfunc="first"
        ).reindex(columns=list(THEMES))
        wide.columns = list(THEME_COLUMNS)
        frame = pct.drop(columns="annee").merge(wide.reset_index(), on="chu", how="left")
        profiles = self.source.profiles(annee)
        status = (
            profiles[["chu", "iso27001"]]
            if not profiles.empty
            else pd.DataFrame(columns=["chu", "iso27001"])
        )
        frame = frame.merge(status, on="chu", how="left")
        return frame[columns].sort_values("chu").reset_index(drop=True)

    # --- alliance and admin -----------------------------------------------------------------

    def named_overview(self, annee: int) -> pd.DataFrame:
        self.scoped._named_only()
        frame = self._overview(annee)
        frame.insert(1, "etablissement", [self.scoped.name(c) for c in frame["chu"]])
        return frame

    def named_blocking(self, annee: int) -> pd.DataFrame:
        """Per measure: for how many CHUs it blocks Annex A controls, which controls (for at
        least one CHU), and which CHUs; most blocking first."""
        self.scoped._named_only()
        blocking = blocking_measures(self.source.answers(annee), self._measures(annee))
        columns = ["mesure_id", "titre", "n_chu", "n_controles", "controles", "chus"]
        blocking = blocking[blocking["n_controles_bloques"] > 0]
        if blocking.empty:
            return pd.DataFrame(columns=columns)
        titles = self._titles(annee)
        rows = []
        for mesure, group in blocking.groupby("mesure_id"):
            controls = sorted(
                {c for cs in group["controles_bloques"] for c in cs if c.startswith("A.")},
                key=lambda c: [int(p) for p in c[2:].split(".")],
            )
            rows.append(
                {
                    "mesure_id": mesure,
                    "titre": titles.get(mesure, ""),
                    "n_chu": group["chu"].nunique(),
                    "n_controles": len(controls),
                    "controles": controls,
                    "chus": sorted(group["chu"].unique()),
                }
            )
        frame = pd.DataFrame(rows, columns=columns)
        return frame.sort_values(
            ["n_controles", "n_chu", "mesure_id"], ascending=[False, False, True]
        ).reset_index(drop=True)

    def named_joint_projects(self, annee: int, min_chu: int | None = None) -> pd.DataFrame:
        self.scoped._named_only()
        answers = self.source.answers(annee)
        projects = compute_joint_projects(answers, self._measures(annee), min_chu)
        hint = budget_hint(projects, answers, self.source.spending(annee))
        frame = projects.merge(hint, on=["annee", "mesure_id"], how="left")
        frame.insert(2, "titre", frame["mesure_id"].map(self._titles(annee)))
        return frame

    # --- any viewer: a plan ------------------------------------------------------------------

    def plan(self, chu: str, annee: int) -> pd.DataFrame:
        """A CHU's plan: any CHU, peers named, for alliance/admin; a DSI only its own, peers
        counted."""
        if not self.sees_names and chu != self.scoped.viewer.chu:
            raise PermissionError("Un DSI ne voit que le plan d'action de son CHU.")
        return compute_plan(
            self.source.answers(annee),
            self._measures(annee),
            chu,
            annee,
            name_peers=self.sees_names,
            min_peers_counted=0 if self.sees_names else self.scoped.rules.min_peers,
        )

    def _peer_counts_published(self, annee: int) -> bool:
        """Counts about the other CHUs are published to a DSI only when at least
        ``min_peers`` of them answered that year (a count over one peer is its answer)."""
        answers = self.source.answers(annee)
        if answers.empty:
            return False
        others = answers.loc[answers["chu"] != self.scoped.viewer.chu, "chu"].nunique()
        return others >= self.scoped.rules.min_peers

    # --- a DSI: its own CHU ------------------------------------------------------------------

    def own_overview(self, annee: int) -> pd.Series | None:
        own = self.scoped._dsi_only()
        frame = self._overview(annee)
        rows = frame[frame["chu"] == own]
        return None if rows.empty else rows.iloc[0]

    def peer_readiness(self, annee: int) -> pd.DataFrame:
        """For each readiness figure: the DSI's value and the other CHUs' published
        statistics (``dashboard.scoped.peer_summary``)."""
        own = self.scoped._dsi_only()
        frame = self._overview(annee)
        rows = []
        own_rows = frame[frame["chu"] == own]
        for column in (*READINESS_COLUMNS, *THEME_COLUMNS):
            value = own_rows[column].iloc[0] if len(own_rows) else None
            value = None if value is None or pd.isna(value) else float(value)
            peers = pd.to_numeric(frame.loc[frame["chu"] != own, column], errors="coerce")
            rows.append(
                {
                    "indicateur": column,
                    "valeur_chu": value,
                    **peer_summary(peers, self.scoped.rules, own=value),
                }
            )
        return pd.DataFrame(rows)

    def peer_status_counts(self, annee: int) -> dict[str, int]:
        """How many other CHUs declare each ISO 27001 status (counts, never who)."""
        own = self.scoped._dsi_only()
        profiles = self.source.profiles(annee)
        if profiles.empty:
            return {}
        peers = profiles[profiles["chu"] != own]
        if len(peers) < self.scoped.rules.min_peers:
            return {}  # secret statistique: one or two peers' declared status would show
        return {str(k): int(v) for k, v in peers["iso27001"].value_counts().items()}

    def own_blocking(self, annee: int) -> pd.DataFrame:
        own = self.scoped._dsi_only()
        blocking = blocking_measures(self.source.answers(annee), self._measures(annee))
        blocking = blocking[(blocking["chu"] == own) & (blocking["n_controles_bloques"] > 0)]
        blocking = blocking.drop(columns=["chu", "annee"]).reset_index(drop=True)
        blocking.insert(1, "titre", blocking["mesure_id"].map(self._titles(annee)))
        return blocking

    def own_readiness_items(self, annee: int) -> pd.DataFrame:
        """The DSI's own iso27001 rows (Annex A controls and clauses) with their titles."""
        own = self.scoped._dsi_only()
        readiness = self._readiness(annee)
        own_rows = readiness[readiness["chu"] == own].drop(columns=["chu"]).copy()
        own_rows.insert(2, "titre", own_rows["iso_id"].map(iso_titles()))
        return own_rows.reset_index(drop=True)

    def own_joint_projects(self, annee: int, min_chu: int | None = None) -> pd.DataFrame:
        """The joint projects the DSI's CHU belongs to: how many CHUs share it, how many are
        at niveau ≥ 4, and the median of their spending in the function only when published
        under the aggregate rules. No peer code."""
        own = self.scoped._dsi_only()
        answers = self.source.answers(annee)
        projects = compute_joint_projects(answers, self._measures(annee), min_chu)
        columns = [
            "annee",
            "mesure_id",
            "titre",
            "fonction_csf",
            "n_chu",
            "n_chu_au_niveau_4",
            "depense_fonction_mediane_mad",
            "diffusion",
        ]
        mine = projects[projects["chu"].map(lambda codes: own in codes)]
        if mine.empty or not self._peer_counts_published(annee):
            # With fewer than min_peers other CHUs answering, a joint project would say
            # that each of them is at niveau 0 or 1 on the measure: withheld.
            return pd.DataFrame(columns=columns)
        hint = budget_hint(mine, answers, self.source.spending(annee))
        frame = mine.merge(hint, on=["annee", "mesure_id"], how="left")
        medians, diffusion = [], []
        for amounts in frame["depenses_fonction_mad"]:
            summary = peer_summary(amounts, self.scoped.rules, amount=True)
            medians.append(summary["mediane_autres"])
            diffusion.append(summary["diffusion"])
        frame["depense_fonction_mediane_mad"] = pd.array(medians, dtype="Float64")
        frame["diffusion"] = diffusion
        frame["titre"] = frame["mesure_id"].map(self._titles(annee))
        return frame[columns].reset_index(drop=True)
