"""The action plan of one CHU (issue 9 definitions), against values computed by hand from
tests/iso_support.py."""

from __future__ import annotations

from tests.iso_support import MEASURES, answers
from warehouse.plan import PEER_CODES_COLUMN, PLAN_COLUMNS, PLAN_EXTRA_COLUMNS, compute_plan


def test_plan_of_a_with_given_and_missing_targets() -> None:
    plan = compute_plan(answers(), MEASURES, "A", 2024, name_peers=True)
    assert tuple(plan.columns) == (*PLAN_COLUMNS, *PLAN_EXTRA_COLUMNS, PEER_CODES_COLUMN)
    # M1 3 < cible 4; M2, M4 NA (out); M3 2 = its cible 2 (out); M5 0 < 3 (no cible);
    # M6 5 (out); M7 1 < cible 2. Order: M5 (écart 3), M7 (écart 1, 2 items blocked),
    # M1 (écart 1, at 3: blocks nothing).
    assert plan["mesure_id"].tolist() == ["M5", "M7", "M1"]
    assert plan["rang"].tolist() == [1, 2, 3]
    assert plan["niveau"].tolist() == [0, 1, 3]
    assert plan["cible_retenue"].tolist() == [3, 2, 4]
    assert plan["ecart"].tolist() == [3, 1, 1]
    assert plan["controles_iso"].tolist() == [[], ["A.8.8", "9.1"], ["A.5.1", "5.2"]]
    # In the referential's order, normalised (M2 is "a.5.1 A.8.8").
    d = compute_plan(answers(), MEASURES, "D", 2024).set_index("mesure_id")
    assert d.loc["M2", "controles_iso"] == ["A.5.1", "A.8.8"]
    assert plan["controles_bloques"].tolist() == [0, 2, 0]
    # Peers at 4+ (A itself never counts): M5 B; M7 B; M1 B.
    assert plan["pairs_au_niveau_4"].tolist() == [1, 1, 1]
    assert plan[PEER_CODES_COLUMN].tolist() == [["B"], ["B"], ["B"]]
    assert plan["titre"].tolist() == ["Sauvegarde", "Journaux", "Politique"]
    assert plan["chapitre"].tolist() == [3, 3, 1]
    assert plan["fonction_csf"].tolist() == ["PR", "DE", "GV"]


def test_plan_order_gap_then_blocked_items_then_peers() -> None:
    plan = compute_plan(answers(), MEASURES, "D", 2024)
    assert PEER_CODES_COLUMN not in plan.columns  # a DSI's plan: counts only
    # écart 3: M7 (2 blocked), M6 (1); écart 2: M5; écart 1: M1 (2 blocked, 1 peer: B),
    # M2 (2 blocked, 0 peer: B is at 3).
    assert plan["mesure_id"].tolist() == ["M7", "M6", "M5", "M1", "M2"]
    assert plan["ecart"].tolist() == [3, 3, 2, 1, 1]
    assert plan["controles_bloques"].tolist() == [2, 1, 0, 2, 2]
    assert plan["pairs_au_niveau_4"].tolist() == [1, 1, 1, 1, 0]


def test_no_answers_or_all_na_gives_an_empty_plan() -> None:
    assert compute_plan(answers(), MEASURES, "C", 2024).empty
    assert compute_plan(answers(), MEASURES, "Z", 2024).empty
    empty = compute_plan(None, MEASURES, "A", 2024)
    assert tuple(empty.columns) == (*PLAN_COLUMNS, *PLAN_EXTRA_COLUMNS)


def test_peers_are_counted_in_the_same_year_only() -> None:
    # A 2023 answered M1=4 and M3=4: they count for nobody in 2024, and A's 2023 plan is
    # empty (both at or above 3, no target).
    assert compute_plan(answers(), MEASURES, "A", 2023).empty
    plan = compute_plan(answers(), MEASURES, "D", 2024, name_peers=True)
    m6 = plan[plan["mesure_id"] == "M6"].iloc[0]
    assert m6[PEER_CODES_COLUMN] == ["A"]  # A's 5 in 2024
