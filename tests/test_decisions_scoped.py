"""What a viewer may see of the decisions (dashboard/decisions_scoped.py), without Streamlit:
a DSI gets its own CHU and counts, a named view refuses it, aggregates follow SDC's rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.access import Viewer
from dashboard.decisions_scoped import DecisionScope, WarehouseDecisionSource
from dashboard.scoped import SECRET, DisclosureRules, ScopedData
from tests.dashboard_support import copy_warehouse, seeded_warehouse_fixture  # noqa: F401
from tests.iso_support import independent_joint_projects, independent_percentages, peer_leaks
from warehouse.engine import make_engine

FES = Viewer("dsi-fes", "dsi", "FES")
ALLIANCE = Viewer("alliance", "alliance")


@pytest.fixture(scope="module")
def engine(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    return make_engine(copy_warehouse(seeded_warehouse, tmp_path_factory.mktemp("scope")))


def scope(engine, viewer: Viewer, rules: DisclosureRules | None = None) -> DecisionScope:
    return DecisionScope(ScopedData(viewer, engine, rules=rules), WarehouseDecisionSource(engine))


def test_a_dsi_cannot_ask_for_named_views_or_another_plan(engine) -> None:
    fes = scope(engine, FES)
    for call in (
        lambda: fes.named_overview(2025),
        lambda: fes.named_blocking(2025),
        lambda: fes.named_joint_projects(2025),
        lambda: fes.plan("MAR", 2025),
    ):
        with pytest.raises(PermissionError):
            call()
    plan = fes.plan("FES", 2025)
    assert "pairs_au_niveau_4_chu" not in plan.columns and len(plan) > 0
    with pytest.raises(PermissionError):
        scope(engine, ALLIANCE).own_overview(2025)


def test_the_dsi_readiness_and_the_peers_aggregates(engine) -> None:
    fes = scope(engine, FES)
    own = fes.own_overview(2025)
    expected = independent_percentages(2025)
    assert own["preparation_iso27001_pct"] == expected["FES"][0]
    comparison = fes.peer_readiness(2025).set_index("indicateur")
    peers = sorted(v[0] for chu, v in expected.items() if chu != "FES" and v[0] is not None)
    row = comparison.loc["preparation_iso27001_pct"]
    assert row["nb_autres_chu"] == len(peers) == 5
    assert row["mediane_autres"] == pd.Series(peers).median()
    # Fewer peers than the threshold: secret, no figure.
    strict = scope(engine, FES, DisclosureRules(min_peers=6)).peer_readiness(2025)
    assert set(strict["diffusion"]) == {SECRET}
    assert strict["mediane_autres"].isna().all()


def test_the_dsi_joint_projects_are_its_own_and_counted(engine) -> None:
    for viewer, own in ((FES, "FES"), (Viewer("dsi-tng", "dsi", "TNG"), "TNG")):
        mine = scope(engine, viewer).own_joint_projects(2023)
        expected = [
            p for p in independent_joint_projects(3) if p["annee"] == 2023 and own in p["chu"]
        ]
        assert sorted(mine["mesure_id"]) == sorted(p["mesure_id"] for p in expected)
        assert mine["n_chu"].tolist() == [
            p["n_chu"] for p in sorted(expected, key=lambda p: (-p["n_chu"], p["mesure_id"]))
        ]
        assert "chu" not in mine.columns and "chu_au_niveau_4" not in mine.columns
        assert not peer_leaks(mine.to_csv(), own)
    named = scope(engine, ALLIANCE).named_joint_projects(2023)
    assert [list(c) for c in named["chu"]] == [
        p["chu"] for p in independent_joint_projects(3) if p["annee"] == 2023
    ]


def test_peer_counts_are_withheld_when_too_few_other_chus_answered(engine) -> None:
    """Five other CHUs answered 2025: counts are published at the default threshold (3) and
    withheld at 6 — a count over one or two peers would tell their levels and status."""
    published = scope(engine, FES)
    plan = published.plan("FES", 2025)
    assert plan["pairs_au_niveau_4"].notna().all()
    # Four other valid profiles in 2025 (TNG's is broken on purpose in the sample).
    assert sum(published.peer_status_counts(2025).values()) == 4

    strict = scope(engine, FES, DisclosureRules(min_peers=6))
    withheld = strict.plan("FES", 2025)
    assert withheld["pairs_au_niveau_4"].isna().all()
    # Same measures; the order no longer depends on the peers (gap, then ISO items blocked).
    assert set(withheld["mesure_id"]) == set(plan["mesure_id"])
    keys = list(zip(-withheld["ecart"], -withheld["controles_bloques"], strict=True))
    assert keys == sorted(keys)
    assert strict.peer_status_counts(2025) == {}
    assert strict.own_joint_projects(2025).empty


def test_a_plan_for_one_chu_among_two_counts_no_peer() -> None:
    from warehouse.plan import compute_plan

    answers = pd.DataFrame(
        {
            "chu": ["FES", "FES", "MAR", "MAR"],
            "annee": [2025] * 4,
            "mesure_id": ["POL-RISQUE", "POL-FORMEL"] * 2,
            "niveau": [1, 2, 4, 0],
            "cible": [None, None, None, None],
        }
    )
    from expectations.reference import load_reference
    from warehouse.benchmark import measures_for_years

    measures = measures_for_years(load_reference(), {2025})
    counted = compute_plan(answers, measures, "FES", 2025)
    assert counted.set_index("mesure_id")["pairs_au_niveau_4"].to_dict() == {
        "POL-RISQUE": 1,
        "POL-FORMEL": 0,
    }
    alone = compute_plan(answers, measures, "FES", 2025, min_peers_counted=3)
    assert alone["pairs_au_niveau_4"].isna().all() and len(alone) == 2
