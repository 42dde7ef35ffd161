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
