"""Statistical disclosure control of the DSI view (dashboard/scoped.py), without Streamlit:
a DSI gets its own CHU against aggregates of the other CHUs only, published over at least
``min_peers`` of them, amounts without a dominant CHU, pooling without an oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard.access import Viewer
from dashboard.scoped import (
    PUBLISHED,
    SECRET,
    DisclosureRules,
    ScopedData,
    dominated,
    peer_summary,
    rank_text,
)
from tests.browser_support import OWN, peer_free_text, small_campaign
from tests.dashboard_support import (  # noqa: F401 - fixture
    SAMPLE_DIR,
    copy_warehouse,
    seeded_warehouse_fixture,
)

FES = Viewer("dsi-fes", "dsi", "FES")
ALLIANCE = Viewer("direction", "alliance")
RULES = DisclosureRules(min_peers=3, dominance_pct=85.0)


class FrameSource:
    """An in-memory ``dashboard.scoped.Source``: the frames a test gives, nothing else."""

    def __init__(self, **frames: pd.DataFrame) -> None:
        self.frames = frames

    def _get(self, name: str) -> pd.DataFrame:
        return self.frames.get(name, pd.DataFrame())

    def benchmark(self, annee: int | None) -> pd.DataFrame:
        frame = self._get("benchmark")
        return frame if annee is None else frame[frame["annee"] == annee]

    def purchase_lines(self, annee: int) -> pd.DataFrame:
        return self._get("purchase_lines")

    def measure_levels(self, annee: int, chu: str | None) -> pd.DataFrame:
        return self._get("measure_levels")

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self._get(name)


def _bench(values: dict[str, float], column: str = "indice_maturite") -> pd.DataFrame:
    return pd.DataFrame(
        {"chu": list(values), "annee": 2025, column: list(values.values()), "rang_maturite": 1}
    )


def _scoped(viewer: Viewer = FES, **frames: pd.DataFrame) -> ScopedData:
    from expectations.reference import load_reference

    return ScopedData(viewer, reference=load_reference(), rules=RULES, source=FrameSource(**frames))


# --- the rules -------------------------------------------------------------------------------


def test_an_aggregate_needs_three_other_chus() -> None:
    assert peer_summary([2.0, 3.0], RULES)["diffusion"] == SECRET
    secret = peer_summary([2.0, 3.0], RULES, own=2.5)
    assert secret["mediane_autres"] is None and secret["rang"] is None
    published = peer_summary([1.0, 2.0, 4.0], RULES, own=3.0)
    assert published["diffusion"] == PUBLISHED
    assert published["mediane_autres"] == 2.0
    assert (published["min_autres"], published["max_autres"]) == (1.0, 4.0)
    assert published["q1_autres"] == 1.5 and published["q3_autres"] == 3.0
    assert (published["rang"], published["sur"]) == (2, 4)
    assert rank_text(published) == "2ᵉ sur 4"
    assert rank_text(peer_summary([1, 2, 3], RULES, own=5)) == "1ᵉʳ sur 4"
    assert rank_text(secret) == SECRET


def test_missing_values_do_not_count_as_chus() -> None:
    assert peer_summary([1.0, None, float("nan"), 2.0, 3.0], RULES)["nb_autres_chu"] == 3
    small = peer_summary([1.0, None, float("nan"), 2.0], RULES)
    # Under the threshold the count itself is secret (it would say which peer has a value).
    assert small["diffusion"] == SECRET and small["nb_autres_chu"] is None


def test_an_amount_dominated_by_one_chu_is_secret() -> None:
    assert dominated([900.0, 50.0, 50.0], 85.0)
    assert not dominated([800.0, 100.0, 100.0], 85.0)
    assert peer_summary([900.0, 50.0, 50.0], RULES, amount=True)["diffusion"] == SECRET
    # The same values as a ratio (not an amount): no dominance rule.
    assert peer_summary([900.0, 50.0, 50.0], RULES)["diffusion"] == PUBLISHED


def test_rules_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHU_BENCH_SDC_MIN_PEERS", raising=False)
    monkeypatch.delenv("CHU_BENCH_SDC_DOMINANCE_PCT", raising=False)
    assert DisclosureRules.from_env() == DisclosureRules(3, 85.0)
    monkeypatch.setenv("CHU_BENCH_SDC_MIN_PEERS", "5")
    monkeypatch.setenv("CHU_BENCH_SDC_DOMINANCE_PCT", "70,5")
    assert DisclosureRules.from_env() == DisclosureRules(5, 70.5)
    monkeypatch.setenv("CHU_BENCH_SDC_MIN_PEERS", "0")
    with pytest.raises(ValueError, match="au moins 1"):
        DisclosureRules.from_env()
    monkeypatch.setenv("CHU_BENCH_SDC_MIN_PEERS", "trois")
    with pytest.raises(ValueError, match="nombre"):
        DisclosureRules.from_env()


# --- the scoped layer --------------------------------------------------------------------------


def test_a_dsi_cannot_ask_for_rows_by_chu() -> None:
    scoped = _scoped(benchmark=_bench({"FES": 2.0, "TNG": 3.0}))
    for call in (
        lambda: scoped.named_benchmark(2025),
        lambda: scoped.named_pooling(2025),
        lambda: scoped.named_spending(2025),
        lambda: scoped.named_measure_levels(2025, "TNG"),
        lambda: scoped.named_overall_status(),
        lambda: scoped.name("TNG"),
    ):
        with pytest.raises(PermissionError):
            call()
    assert scoped.name("FES") == "CHU Hassan II de Fès"
    alliance = _scoped(ALLIANCE, benchmark=_bench({"FES": 2.0, "TNG": 3.0}))
    assert set(alliance.named_benchmark(2025)["chu"]) == {"FES", "TNG"}
    with pytest.raises(PermissionError):
        alliance.comparison(2025, ["indice_maturite"])


def test_own_row_drops_the_figures_computed_against_the_alliance() -> None:
    bench = _bench({"FES": 2.0, "TNG": 3.0}).assign(ecart_mediane_indice=[-0.5, 0.5])
    own = _scoped(benchmark=bench).own_benchmark(2025)
    assert own["chu"].tolist() == ["FES"]
    # With two CHUs, « écart à la médiane » is half the gap to the peer; the rank says who leads.
    assert "ecart_mediane_indice" not in own.columns and "rang_maturite" not in own.columns


def test_comparison_against_two_peers_is_secret_and_against_three_is_published() -> None:
    two = _scoped(benchmark=_bench({"FES": 2.0, "TNG": 3.0, "MAR": 1.0}))
    [row] = two.comparison(2025, ["indice_maturite"]).to_dict("records")
    assert row["valeur_chu"] == 2.0 and row["diffusion"] == SECRET
    assert all(row[c] is None or pd.isna(row[c]) for c in ("mediane_autres", "min_autres"))
    three = _scoped(benchmark=_bench({"FES": 2.0, "TNG": 3.0, "MAR": 1.0, "RAB": 4.0}))
    [row] = three.comparison(2025, ["indice_maturite"]).to_dict("records")
    assert row["diffusion"] == PUBLISHED and row["mediane_autres"] == 3.0
    assert (row["rang"], row["sur"]) == (3, 4)


def test_measures_carry_no_mean_of_two() -> None:
    """The old measure table's « niveau moyen de l'alliance » over FES and one peer gave the
    peer's 104 levels back (2 × mean − own)."""
    levels = pd.DataFrame(
        {
            "chu": ["FES", "FES", "TNG", "TNG"],
            "annee": 2025,
            "mesure_id": ["M1", "M2", "M1", "M2"],
            "niveau": [1, 2, 4, 5],
            "cible": [3, 3, 3, 3],
            "ecart_cible": [2, 1, -1, -2],
            "commentaire": ["mine", "mine", "Solution Tanger", "peer text"],
        }
    )
    frame = _scoped(measure_levels=levels).measures(2025)
    assert frame["chu"].tolist() == ["FES", "FES"]
    assert "peer text" not in frame.to_csv() and "Tanger" not in frame.to_csv()
    numeric = frame.select_dtypes("number").drop(columns=["annee", "niveau", "cible"])
    for column in numeric.columns:
        if column in ("ecart_cible", "nb_autres_chu"):
            continue
        assert numeric[column].isna().all(), column
    assert set(frame["diffusion"]) == {SECRET}


def _lines(rows: list[tuple[str, str | None, str | None, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["chu", "fournisseur", "solution", "montant_mad"]).assign(
        annee=2025
    )


def test_pooling_is_no_oracle() -> None:
    """Guessing a peer's product with a 0 MAD line, or a product only one or two CHUs buy,
    tells the DSI nothing; a product of three CHUs shows under FES's own spelling, with its
    count and no peer label."""
    lines = _lines(
        [
            ("FES", None, "Antivirus Oasis", 0.0),  # the guess: 0 MAD
            ("TNG", None, "Antivirus Oasis", 90_000.0),
            ("MAR", None, "Antivirus Oasis", 80_000.0),
            ("RAB", None, "Antivirus Oasis", 70_000.0),
            ("FES", None, "SOC managé", 1.0),  # a positive guess bought by one peer only
            ("TNG", None, "SOC managé", 500_000.0),
            ("FES", "Atlas Sécurité", "EDR Bouclier", 100_000.0),
            ("MAR", "ATLAS  sécurité", "edr bouclier", 120_000.0),
            ("RAB", "atlas sécurité", "EDR BOUCLIER", 110_000.0),
        ]
    )
    pooling = _scoped(purchase_lines=lines).own_pooling(2025, 15)
    assert set(pooling["nom"]) == {"EDR Bouclier", "Atlas Sécurité"}  # FES's spelling
    assert set(pooling["nb_chu"]) == {3}
    assert "chus" not in pooling.columns
    # Three CHUs but two peers: the total would be FES's spend plus two peers' — secret.
    assert set(pooling["diffusion"]) == {SECRET} and pooling["total_mad"].isna().all()
    assert pooling["montant_chu_mad"].tolist() == [100_000.0, 100_000.0]


def test_pooling_totals_follow_the_aggregate_rules() -> None:
    lines = _lines(
        [
            ("FES", None, "SIEM", 100.0),
            ("TNG", None, "SIEM", 100.0),
            ("MAR", None, "SIEM", 100.0),
            ("RAB", None, "SIEM", 100.0),
            ("FES", None, "PRA", 10.0),
            ("TNG", None, "PRA", 10_000.0),  # 10 000 of 10 040: one CHU dominates
            ("MAR", None, "PRA", 10.0),
            ("RAB", None, "PRA", 20.0),
        ]
    )
    pooling = _scoped(purchase_lines=lines).own_pooling(2025, 15).set_index("nom")
    assert pooling.at["SIEM", "total_mad"] == 400.0
    assert pooling.at["SIEM", "economie_estimee_mad"] == 60.0
    assert pooling.at["PRA", "diffusion"] == SECRET and pd.isna(pooling.at["PRA", "total_mad"])


# --- on a warehouse where only FES and one or two peers answered ------------------------------


@pytest.mark.parametrize("peers", [["MAR"], ["MAR", "RAB"]])
def test_nothing_of_a_peer_in_a_small_campaign(sqlite_url: str, peers: list[str]) -> None:
    from warehouse.engine import make_engine
    from warehouse.queries import measure_levels

    small_campaign(sqlite_url, [OWN, *peers])
    engine = make_engine(sqlite_url)
    scoped = ScopedData(FES, engine, rules=RULES)
    columns = ["indice_maturite", "depense_ssi_mad", "part_budget_si_pct", "score_GV"]
    comparison = scoped.comparison(2025, columns)
    assert set(comparison["diffusion"]) == {SECRET}
    assert comparison[["mediane_autres", "min_autres", "max_autres", "rang"]].isna().all().all()

    # No column of the measure view lets FES compute a peer's levels.
    frame = scoped.measures(2025)
    # Not even how many peers assessed each measure (it would give a peer's NA answers).
    assert frame["nb_autres_chu"].isna().all()
    levels = measure_levels(engine, 2025)
    own = frame.set_index("mesure_id")["niveau"].astype("float")
    for peer in peers:
        theirs = levels[levels["chu"] == peer].set_index("mesure_id")["niveau"].astype("float")
        for column in frame.select_dtypes("number").columns:
            values = frame.set_index("mesure_id")[column].astype("float")
            for guess in (values, 2 * values - own, 3 * values - own):
                matches = (guess.reindex(theirs.index) == theirs).sum()
                assert matches < len(theirs) / 2, (peer, column)

    everything = pd.concat(
        [
            comparison,
            frame,
            scoped.trend(),
            scoped.category_shares(2025),
            scoped.own_spending(2025),
            scoped.own_pooling(2025, 15),
            scoped.own_status(),
            scoped.submissions(),
        ]
    ).to_csv()
    leaked = [t for t in peer_free_text(peers) if t in everything]
    assert not leaked
    for peer in peers:
        assert f",{peer}," not in everything


def test_zero_mad_guesses_on_the_sample_reveal_nothing(
    seeded_warehouse: Path, tmp_path: Path
) -> None:
    """The attack of issue 7 on the sample: FES re-sends its spending with 0 MAD lines naming
    products its peers buy (antivirus, SOC…). The alliance's pooling then lists them (the
    control); the FES DSI's pooling lists none of them."""
    from expectations.reference import load_reference
    from tests.browser_support import sample_rows
    from warehouse.engine import make_engine
    from warehouse.ingestion import ReceivedFile, ingest_files
    from warehouse.refresh import rebuild_benchmark

    url = copy_warehouse(seeded_warehouse, tmp_path)
    engine = make_engine(url)
    own_names = {(row.get("solution") or "").casefold() for row in sample_rows(OWN, "depenses")} | {
        (row.get("fournisseur") or "").casefold() for row in sample_rows(OWN, "depenses")
    }
    guesses = sorted(
        {
            row["solution"]
            for peer in ("CAS", "MAR", "RAB", "TNG", "AGA")
            for row in sample_rows(peer, "depenses")
            if row.get("solution") and row["solution"].casefold() not in own_names
        }
    )
    assert guesses
    text = (SAMPLE_DIR / OWN / "depenses_fes_2025.csv").read_bytes().decode("cp1252")
    extra = "".join(
        f"FES;2025;logiciels;Fonctionnement;0;Essai;DE;;{guess}\r\n" for guess in guesses
    )
    content = (text.rstrip("\r\n") + "\r\n" + extra).encode("cp1252")
    reference = load_reference()
    [outcome] = ingest_files(
        engine,
        [ReceivedFile(content, "depenses_fes_2025.csv", OWN, "dsi-fes", "test")],
        reference=reference,
    )
    assert str(outcome.status) == "current", outcome.report
    rebuild_benchmark(engine, reference)

    alliance = ScopedData(ALLIANCE, engine, reference, RULES).named_pooling(2025)
    listed_for_alliance = {
        n for n, chus in zip(alliance["nom"], alliance["chus"], strict=True) if OWN in chus
    }
    assert listed_for_alliance & set(guesses)  # the old oracle: FES « shares » the guesses
    mine = ScopedData(FES, engine, reference, RULES).own_pooling(2025, 15)
    assert not {n.casefold() for n in mine["nom"]} & {g.casefold() for g in guesses}
    assert not mine.empty  # what FES really buys with others is still there
