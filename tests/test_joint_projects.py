"""Joint projects (issue 9 definition) and their budget hint, computed by hand from
tests/iso_support.py."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.iso_support import MEASURES, answers, spending
from warehouse.joint_projects import (
    JOINT_PROJECT_COLUMNS,
    MIN_CHU_ENV,
    budget_hint,
    compute_joint_projects,
    default_min_chu,
)


def test_measures_where_at_least_three_chus_are_at_0_or_1() -> None:
    projects = compute_joint_projects(answers(), MEASURES, min_chu=3)
    assert tuple(projects.columns) == JOINT_PROJECT_COLUMNS
    # M5 2024: A 0, D 1, E 1 (B 4, C NA) -> 3 CHUs. M7 2024: A 1, D 0 -> only 2.
    assert projects.to_dict(orient="records") == [
        {"annee": 2024, "mesure_id": "M5", "fonction_csf": "PR", "chu": ["A", "D", "E"], "n_chu": 3}
    ]


def test_the_threshold_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    projects = compute_joint_projects(answers(), MEASURES, min_chu=2)
    # M6: D only; M4: B only. Most CHUs first.
    assert projects["mesure_id"].tolist() == ["M5", "M7"]
    assert projects.iloc[1]["chu"] == ["A", "D"]
    monkeypatch.setenv(MIN_CHU_ENV, "2")
    assert default_min_chu() == 2
    assert len(compute_joint_projects(answers(), MEASURES)) == 2
    monkeypatch.setenv(MIN_CHU_ENV, "deux")
    with pytest.raises(ValueError, match=MIN_CHU_ENV):
        default_min_chu()


def test_budget_hint_from_the_chus_at_4_or_more() -> None:
    projects = compute_joint_projects(answers(), MEASURES, min_chu=2)
    hint = budget_hint(projects, answers(), spending()).set_index("mesure_id")
    # M5 (PR): B is at 4 and spent 100 + 200 in PR (its GV line does not count); A's PR
    # spending does not count (A is at 0).
    assert hint.loc["M5", "chu_au_niveau_4"] == ["B"]
    assert hint.loc["M5", "depense_fonction_mediane_mad"] == 300.0
    # M7 (DE): B is at 4 but has no DE spending.
    assert hint.loc["M7", "n_chu_au_niveau_4"] == 1
    assert hint.loc["M7", "n_chu_avec_depenses"] == 0
    assert pd.isna(hint.loc["M7", "depense_fonction_mediane_mad"])
