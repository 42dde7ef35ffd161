"""What one viewer may see of the warehouse: the data layer every analysis page reads through.

Alliance and admin viewers see every CHU by name: the ``named_*`` methods give them the
warehouse's rows. A DSI sees **its own CHU by name against aggregates of the other CHUs
only** (statistical disclosure control, the rules national statistics offices apply before
publishing a table):

- never a peer's row, value, series, label or free text; only the median, quartiles,
  minimum–maximum and the DSI's rank « n-ième sur N » of the *other* CHUs;
- an aggregate is published only when it covers at least ``min_peers`` other CHUs
  (``CHU_BENCH_SDC_MIN_PEERS``, 3 by default), else it is « secret statistique »: with one
  or two peers, a mean or a median would give a peer's figures back;
- an aggregate of amounts (columns in MAD) also obeys dominance: it is secret when a single
  CHU holds more than ``dominance_pct`` % (``CHU_BENCH_SDC_DOMINANCE_PCT``, 85) of the total;
- pooling lists only items that the DSI's own CHU bought and that at least ``min_peers``
  CHUs (its own included) bought on lines of a positive amount (a 0 MAD line naming a
  guessed product proves nothing and must not work as an oracle), under the DSI's own
  spelling of the name, with no peer label; the items' totals follow the aggregate rules.

A DSI asking for a named method gets ``PermissionError``: a page cannot forget the rules,
it can only fail loudly. Everything here is pure (pandas): no Streamlit, testable alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from dashboard.access import Viewer, anonymize_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from expectations.reference import ReferenceData

MIN_PEERS_ENV = "CHU_BENCH_SDC_MIN_PEERS"
DOMINANCE_ENV = "CHU_BENCH_SDC_DOMINANCE_PCT"
DEFAULT_MIN_PEERS = 3
DEFAULT_DOMINANCE_PCT = 85.0
SECRET = "secret statistique"
PUBLISHED = "publié"

# Columns of the DSI's own benchmark row that are computed against the whole alliance: with
# two answering CHUs, « écart à la médiane » is half the gap to the peer and the rank tells
# who is ahead. They are replaced by ``comparison()``'s figures against the other CHUs.
ALLIANCE_RELATIVE_COLUMNS = ("rang_maturite", "ecart_mediane_indice")
# The statistics of a comparison row, in their display order.
STAT_COLUMNS = (
    "nb_autres_chu",
    "mediane_autres",
    "q1_autres",
    "q3_autres",
    "min_autres",
    "max_autres",
    "rang",
    "sur",
    "diffusion",
)
STAT_LABELS = {
    "indicateur": "Indicateur",
    "libelle": "Indicateur",
    "valeur_chu": "Votre CHU",
    "nb_autres_chu": "Autres CHU (nombre)",
    "mediane_autres": "Médiane des autres CHU",
    "q1_autres": "1er quartile",
    "q3_autres": "3e quartile",
    "min_autres": "Minimum",
    "max_autres": "Maximum",
    "rang": "Rang de votre CHU",
    "sur": "sur",
    "diffusion": "Diffusion",
}
_NUMERIC_STATS = ("mediane_autres", "q1_autres", "q3_autres", "min_autres", "max_autres")


@dataclass(frozen=True)
class DisclosureRules:
    """The two thresholds of the DSI view (one source: the environment, read once a run)."""

    min_peers: int = DEFAULT_MIN_PEERS
    dominance_pct: float = DEFAULT_DOMINANCE_PCT

    @classmethod
    def from_env(cls) -> DisclosureRules:
        def number(name: str, default: float, kind: type) -> Any:
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw.replace(",", "."))
            except ValueError as exc:
                raise ValueError(f"{name} doit être un nombre (lu : {raw!r}).") from exc
            return value

        min_peers = number(MIN_PEERS_ENV, DEFAULT_MIN_PEERS, int)
        dominance = number(DOMINANCE_ENV, DEFAULT_DOMINANCE_PCT, float)
        if min_peers < 1:
            raise ValueError(f"{MIN_PEERS_ENV} doit valoir au moins 1 (lu : {min_peers}).")
        if not 0 < dominance <= 100:
            raise ValueError(f"{DOMINANCE_ENV} doit être entre 0 et 100 (lu : {dominance}).")
        return cls(min_peers=min_peers, dominance_pct=dominance)


def is_amount(column: str) -> bool:
    """Amounts in dirhams (``depense_ssi_mad``, ``montant_mad``…) obey the dominance rule."""
    return column.endswith("_mad")


def dominated(values: Iterable[float], dominance_pct: float) -> bool:
    """True when one contribution exceeds ``dominance_pct`` % of the (positive) total."""
    clean = [abs(float(v)) for v in values if not pd.isna(v)]
    total = sum(clean)
    if total <= 0:
        return False
    return max(clean) > total * dominance_pct / 100


def peer_summary(
    peer_values: Iterable[Any],
    rules: DisclosureRules,
    *,
    own: Any = None,
    amount: bool = False,
) -> dict[str, Any]:
    """The published statistics of the other CHUs' values of one figure, and the viewer's
    rank (1 = highest) among them: every figure is None and ``diffusion`` is « secret
    statistique » when fewer than ``min_peers`` other CHUs have a value (their count too),
    or (amounts) when one CHU dominates the total."""
    values = pd.Series([float(v) for v in peer_values if not pd.isna(v)], dtype="float64")
    n = len(values)
    out: dict[str, Any] = dict.fromkeys(STAT_COLUMNS)
    out["nb_autres_chu"] = n
    if n < rules.min_peers:
        # A small count is itself a figure about few CHUs (with one peer, « 0 » or « 1 »
        # per measure would tell which measures that peer declared not applicable).
        out["nb_autres_chu"] = None
        out["diffusion"] = SECRET
        return out
    if amount and dominated(values, rules.dominance_pct):
        out["diffusion"] = SECRET
        return out
    out.update(
        mediane_autres=float(values.median()),
        q1_autres=float(values.quantile(0.25)),
        q3_autres=float(values.quantile(0.75)),
        min_autres=float(values.min()),
        max_autres=float(values.max()),
        diffusion=PUBLISHED,
    )
    if not pd.isna(own) and own is not None:
        out["rang"] = int((values > float(own)).sum()) + 1
        out["sur"] = n + 1
    return out


def rank_text(summary: dict[str, Any]) -> str:
    """« 2ᵉ sur 6 », « 1ᵉʳ sur 6 », or « secret statistique »."""
    rank, total = summary.get("rang"), summary.get("sur")
    if rank is None or total is None:
        return SECRET
    suffix = "ᵉʳ" if rank == 1 else "ᵉ"
    return f"{rank}{suffix} sur {total}"


def _display_name(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


class Source(Protocol):
    """Where ScopedData reads (the warehouse, or the dashboard's cached reads of it)."""

    def benchmark(self, annee: int | None) -> pd.DataFrame: ...
    def pooling(self, annee: int | None) -> pd.DataFrame: ...
    def purchase_lines(self, annee: int) -> pd.DataFrame: ...
    def spending_by_category(self, annee: int | None) -> pd.DataFrame: ...
    def measure_levels(self, annee: int, chu: str | None) -> pd.DataFrame: ...
    def measure_statistics(self, annee: int) -> pd.DataFrame: ...
    def overall_status(self, annee: int | None) -> pd.DataFrame: ...
    def campaign_status(self, annee: int | None) -> pd.DataFrame: ...
    def received_files(self, annee: int | None) -> pd.DataFrame: ...
    def submissions(self) -> pd.DataFrame: ...
    def submission(self, submission_id: int) -> dict[str, Any] | None: ...


class WarehouseSource:
    """Plain, uncached reads of the warehouse (tests, CLI); the dashboard caches them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def benchmark(self, annee: int | None) -> pd.DataFrame:
        from warehouse.reads import read_benchmark

        return read_benchmark(self.engine, annee)

    def pooling(self, annee: int | None) -> pd.DataFrame:
        from warehouse.reads import read_pooling

        return read_pooling(self.engine, annee)

    def purchase_lines(self, annee: int) -> pd.DataFrame:
        from warehouse.queries import purchase_lines

        return purchase_lines(self.engine, annee)

    def spending_by_category(self, annee: int | None) -> pd.DataFrame:
        from warehouse.queries import spending_by_category

        return spending_by_category(self.engine, annee)

    def measure_levels(self, annee: int, chu: str | None) -> pd.DataFrame:
        from warehouse.queries import measure_levels

        return measure_levels(self.engine, annee, chu)

    def measure_statistics(self, annee: int) -> pd.DataFrame:
        from warehouse.queries import measure_statistics

        return measure_statistics(self.engine, annee)

    def overall_status(self, annee: int | None) -> pd.DataFrame:
        from warehouse.reads import read_overall_status

        return read_overall_status(self.engine, annee)

    def campaign_status(self, annee: int | None) -> pd.DataFrame:
        from warehouse.reads import read_campaign_status

        return read_campaign_status(self.engine, annee=annee)

    def received_files(self, annee: int | None) -> pd.DataFrame:
        from warehouse.queries import received_files

        return received_files(self.engine, annee)

    def submissions(self) -> pd.DataFrame:
        from warehouse.submissions import list_submissions

        return list_submissions(self.engine)

    def submission(self, submission_id: int) -> dict[str, Any] | None:
        from warehouse.submissions import get_submission

        return get_submission(self.engine, submission_id)


class ScopedData:
    """Exactly what ``viewer`` may see (see the module docstring for the rules)."""

    def __init__(
        self,
        viewer: Viewer,
        engine: Engine | None = None,
        reference: ReferenceData | None = None,
        rules: DisclosureRules | None = None,
        *,
        source: Source | None = None,
    ) -> None:
        if source is None:
            if engine is None:
                raise ValueError("ScopedData a besoin d'un moteur ou d'une source de données.")
            source = WarehouseSource(engine)
        if reference is None:
            from expectations.reference import load_reference

            reference = load_reference()
        if viewer.role == "dsi" and not viewer.chu:
            raise PermissionError("Compte DSI sans CHU : aucune donnée ne peut lui être montrée.")
        self.viewer = viewer
        self.source = source
        self.reference = reference
        self.rules = rules or DisclosureRules.from_env()

    # --- who -----------------------------------------------------------------------------

    @property
    def sees_names(self) -> bool:
        return self.viewer.sees_all_names

    @property
    def own_chu(self) -> str | None:
        return None if self.sees_names else self.viewer.chu

    def name(self, code: str) -> str:
        """A CHU's full name: any CHU for alliance/admin, only its own for a DSI."""
        if not self.sees_names and code != self.viewer.chu:
            raise PermissionError("Un DSI ne voit aucun autre CHU nommément.")
        establishment = self.reference.establishments.get(code)
        return establishment.nom if establishment else code

    @property
    def own_name(self) -> str | None:
        return self.name(self.viewer.chu) if self.viewer.chu and not self.sees_names else None

    def _named_only(self) -> None:
        if not self.sees_names:
            raise PermissionError(
                "Donnée par CHU réservée à l'alliance et à l'administrateur : un DSI ne voit "
                "que son CHU et des agrégats des autres."
            )

    def _dsi_only(self) -> str:
        if self.sees_names or not self.viewer.chu:
            raise PermissionError("Vue réservée au DSI d'un CHU (son CHU face aux autres).")
        return self.viewer.chu

    # --- shared by every viewer -------------------------------------------------------------

    def years(self) -> list[int]:
        """Campaign years that have a consolidated benchmark."""
        frame = self.source.benchmark(None)
        if frame.empty:
            return []
        return sorted({int(y) for y in frame["annee"].dropna()})

    # --- alliance and admin: every CHU by name ------------------------------------------------

    def named_benchmark(self, annee: int | None = None) -> pd.DataFrame:
        self._named_only()
        return self.source.benchmark(annee)

    def named_pooling(self, annee: int | None = None) -> pd.DataFrame:
        self._named_only()
        return self.source.pooling(annee)

    def named_spending(self, annee: int | None = None) -> pd.DataFrame:
        self._named_only()
        return self.source.spending_by_category(annee)

    def named_measure_levels(self, annee: int, chu: str) -> pd.DataFrame:
        self._named_only()
        return self.source.measure_levels(annee, chu)

    def named_measure_statistics(self, annee: int) -> pd.DataFrame:
        self._named_only()
        return self.source.measure_statistics(annee)

    def named_overall_status(self, annee: int | None = None) -> pd.DataFrame:
        self._named_only()
        return self.source.overall_status(annee)

    def received_counts(self, annee: int) -> tuple[int, int]:
        """(valid, rejected) files received for ``annee``: the alliance's for alliance/admin,
        its own CHU's for a DSI (the alliance's total minus its own would be a peer's)."""
        files = self.source.received_files(annee)
        if not self.sees_names:
            files = files[files["chu"] == self.viewer.chu]
        if files.empty:
            return 0, 0
        return int(files["nb_valides"].sum()), int(files["nb_rejetes"].sum())

    # --- a DSI: its own CHU ---------------------------------------------------------------

    def own_benchmark(self, annee: int | None = None) -> pd.DataFrame:
        """The DSI's own benchmark rows (every year when ``annee`` is None), without the
        columns computed against the whole alliance."""
        own = self._dsi_only()
        frame = self.source.benchmark(annee)
        frame = frame[frame["chu"] == own]
        return frame.drop(columns=[c for c in ALLIANCE_RELATIVE_COLUMNS if c in frame.columns])

    def own_row(self, annee: int) -> pd.Series | None:
        rows = self.own_benchmark(annee)
        return None if rows.empty else rows.iloc[0]

    def _peer_values(self, frame: pd.DataFrame, column: str) -> pd.Series:
        own = self._dsi_only()
        if column not in frame.columns:
            return pd.Series(dtype="float64")
        return pd.to_numeric(frame.loc[frame["chu"] != own, column], errors="coerce")

    def comparison(
        self, annee: int, columns: Sequence[str], labels: dict[str, str] | None = None
    ) -> pd.DataFrame:
        """One row per figure: the DSI's own value, then the other CHUs' published statistics
        (``STAT_COLUMNS``) or « secret statistique »."""
        own = self._dsi_only()
        frame = self.source.benchmark(annee)
        own_rows = frame[frame["chu"] == own]
        rows = []
        for column in columns:
            value = own_rows[column].iloc[0] if column in own_rows and len(own_rows) else None
            value = None if value is None or pd.isna(value) else float(value)
            rows.append(
                {
                    "indicateur": column,
                    "libelle": (labels or {}).get(column, column),
                    "valeur_chu": value,
                    **peer_summary(
                        self._peer_values(frame, column),
                        self.rules,
                        own=value,
                        amount=is_amount(column),
                    ),
                }
            )
        return pd.DataFrame(rows, columns=["indicateur", "libelle", "valeur_chu", *STAT_COLUMNS])

    def trend(self, column: str = "indice_maturite") -> pd.DataFrame:
        """Per campaign year: the DSI's own value and the other CHUs' statistics that year."""
        own = self._dsi_only()
        frame = self.source.benchmark(None)
        rows = []
        for annee, year in frame.groupby("annee", sort=True):
            own_value = year.loc[year["chu"] == own, column]
            value = float(own_value.iloc[0]) if len(own_value) and own_value.notna().any() else None
            rows.append(
                {
                    "annee": int(annee),
                    "valeur_chu": value,
                    **peer_summary(
                        self._peer_values(year, column),
                        self.rules,
                        own=value,
                        amount=is_amount(column),
                    ),
                }
            )
        return pd.DataFrame(rows, columns=["annee", "valeur_chu", *STAT_COLUMNS])

    def peer_changes(self, annee: int, previous: int) -> dict[str, int] | None:
        """How many other CHUs progressed / fell back between ``previous`` and ``annee``, or
        None when fewer than ``min_peers`` peers have both (with one peer, « 1 en recul »
        is that peer's direction)."""
        own = self._dsi_only()
        frame = self.source.benchmark(None)
        both = frame[frame["chu"] != own].pivot_table(
            index="chu", columns="annee", values="indice_maturite"
        )
        if annee not in both.columns or previous not in both.columns:
            return None
        delta = (both[annee] - both[previous]).dropna()
        if len(delta) < self.rules.min_peers:
            return None
        return {"progression": int((delta > 0).sum()), "recul": int((delta < 0).sum())}

    def measures(self, annee: int) -> pd.DataFrame:
        """The DSI's own answers (levels, targets, its own comments) with, per measure, the
        other CHUs' median and quartiles of the level (NA answers left out)."""
        own = self._dsi_only()
        levels = self.source.measure_levels(annee, None)
        mine = levels[levels["chu"] == own].copy()
        peers = levels[levels["chu"] != own]
        stats = []
        for mesure_id in mine["mesure_id"]:
            values = peers.loc[peers["mesure_id"] == mesure_id, "niveau"]
            summary = peer_summary(values, self.rules)
            stats.append(
                {"mesure_id": mesure_id, **{k: summary[k] for k in STAT_COLUMNS if k != "rang"}}
            )
        columns = [c for c in STAT_COLUMNS if c not in ("rang", "sur")]
        stats_frame = pd.DataFrame(stats, columns=["mesure_id", *columns])
        return mine.merge(stats_frame, on="mesure_id", how="left")

    def category_shares(self, annee: int) -> pd.DataFrame:
        """Per spending category: the DSI's share of its own spend, and the statistics of the
        other CHUs' shares (a share is not an amount; a CHU without spending is left out)."""
        own = self._dsi_only()
        spending = self.source.spending_by_category(annee)
        by_chu = spending.groupby(["chu", "categorie"])["montant_mad"].sum().unstack(fill_value=0)
        totals = by_chu.sum(axis=1)
        shares = by_chu[totals > 0].div(totals[totals > 0], axis=0) * 100
        rows = []
        for category in shares.columns:
            value = float(shares.at[own, category]) if own in shares.index else None
            peers = shares.loc[shares.index != own, category]
            rows.append(
                {
                    "categorie": category,
                    "valeur_chu": value,
                    **peer_summary(peers, self.rules, own=value),
                }
            )
        return pd.DataFrame(rows, columns=["categorie", "valeur_chu", *STAT_COLUMNS])

    def own_spending(self, annee: int) -> pd.DataFrame:
        """The DSI's own spending by category and nature, with its share of its own total."""
        own = self._dsi_only()
        spending = self.source.spending_by_category(annee)
        mine = spending[spending["chu"] == own].copy()
        total = mine["montant_mad"].sum()
        mine["part_pct"] = (mine["montant_mad"] / total * 100).round(2) if total else float("nan")
        return mine.reset_index(drop=True)

    def own_pooling(self, annee: int, rate_pct: float) -> pd.DataFrame:
        """Pooling as a DSI may see it: ``type, nom, nb_chu, montant_chu_mad, total_mad,
        taux_economie, economie_estimee_mad, diffusion``. ``nom`` is the DSI's own spelling;
        ``total_mad`` (every CHU's spend on the item) is published only when at least
        ``min_peers`` other CHUs bought it and no CHU holds more than ``dominance_pct`` %."""
        own = self._dsi_only()
        columns = [
            "type",
            "nom",
            "nb_chu",
            "montant_chu_mad",
            "total_mad",
            "taux_economie",
            "economie_estimee_mad",
            "diffusion",
        ]
        lines = self.source.purchase_lines(annee)
        lines = lines[pd.to_numeric(lines["montant_mad"], errors="coerce") > 0]
        rows = []
        for kind in ("solution", "fournisseur"):
            part = lines.assign(_nom=lines[kind].map(_display_name)).dropna(subset=["_nom"])
            part = part.assign(_key=part["_nom"].str.casefold())
            mine = part[part["chu"] == own]
            for key, own_lines in mine.groupby("_key", sort=True):
                group = part[part["_key"] == key]
                per_chu = group.groupby("chu")["montant_mad"].sum()
                if len(per_chu) < self.rules.min_peers:
                    continue
                counts = own_lines["_nom"].value_counts()
                nom = sorted(counts[counts == counts.max()].index)[0]
                peers = per_chu.drop(index=own)
                published = len(peers) >= self.rules.min_peers and not dominated(
                    per_chu, self.rules.dominance_pct
                )
                total = round(float(per_chu.sum()), 2) if published else None
                rows.append(
                    {
                        "type": kind,
                        "nom": nom,
                        "nb_chu": len(per_chu),
                        "montant_chu_mad": round(float(per_chu[own]), 2),
                        "total_mad": total,
                        "taux_economie": float(rate_pct),
                        "economie_estimee_mad": None
                        if total is None
                        else round(total * float(rate_pct) / 100, 2),
                        "diffusion": PUBLISHED if published else SECRET,
                    }
                )
        frame = pd.DataFrame(rows, columns=columns)
        for column in ("montant_chu_mad", "total_mad", "economie_estimee_mad"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        return frame.sort_values(["type", "nom"], kind="mergesort").reset_index(drop=True)

    # --- campaign and files -------------------------------------------------------------------

    def own_status(self) -> pd.DataFrame:
        """The DSI's own overall status per campaign year."""
        own = self._dsi_only()
        overall = self.source.overall_status(None)
        return overall[overall["chu"] == own].reset_index(drop=True)

    def peer_status_counts(self) -> pd.DataFrame:
        """Per year, how many other CHUs of the registry are in each status (counts only: the
        registry is public, who answered is not a figure)."""
        own = self._dsi_only()
        overall = self.source.overall_status(None)
        peers = overall[overall["chu"] != own]
        if peers.empty:
            return pd.DataFrame(columns=["annee", "status", "nb_chu"])
        counts = peers.groupby(["annee", "status"]).size().rename("nb_chu").reset_index()
        counts["annee"] = counts["annee"].astype(int)
        return counts

    def kind_status(self, annee: int) -> pd.DataFrame:
        """Status per file kind: every CHU for alliance/admin; the DSI's own CHU for a DSI."""
        status = self.source.campaign_status(annee)
        if not self.sees_names:
            status = status[status["chu"] == self.viewer.chu]
        return status.reset_index(drop=True)

    def peer_kind_counts(self, annee: int) -> pd.DataFrame:
        """For a DSI: per file kind, how many other CHUs are in each status."""
        own = self._dsi_only()
        status = self.source.campaign_status(annee)
        peers = status[status["chu"] != own]
        if peers.empty:
            return pd.DataFrame(columns=["kind", "status", "nb_chu"])
        return peers.groupby(["kind", "status"]).size().rename("nb_chu").reset_index()

    def submissions(self) -> pd.DataFrame:
        """The submissions this viewer may list: all for alliance/admin; for a DSI, those its
        CHU sent, and those about its CHU that came through no CHU account (CLI, folder)."""
        subs = self.source.submissions()
        if self.sees_names or subs.empty:
            return subs
        sender_chu = subs["sender_chu"].astype("string")
        about = subs["chu"].astype("string")
        own = sender_chu.eq(self.viewer.chu).fillna(False) | (
            about.eq(self.viewer.chu).fillna(False) & sender_chu.isna()
        )
        return subs[own]

    def submission(self, submission_id: int) -> dict[str, Any] | None:
        """One submission with its report, only when this viewer may list it (the id comes
        from the browser: checked again here)."""
        visible = self.submissions()
        if visible.empty or int(submission_id) not in set(visible["id"].astype(int)):
            return None
        return self.source.submission(int(submission_id))

    def scrub(self, text: str) -> str:
        """Free text of the viewer's own files with any peer's name, city or code replaced by
        « un autre CHU » (a DSI's file may name another CHU); unchanged for alliance/admin."""
        return anonymize_text(self.viewer, text, reference=self.reference)
