"""From the warehouse to decisions: ISO readiness, a CHU's action plan, joint projects.

Thin readers over the pure functions of ``warehouse.iso``, ``warehouse.plan`` and
``warehouse.joint_projects``: they read the *current* answers (and spending) and the
referential of each year. Shared by ``chu-bench export``/``plan``/``report`` and the
dashboard, so every channel shows the same figures.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from expectations.reference import ReferenceData
from warehouse.benchmark import measures_for_years
from warehouse.iso import compute_iso_readiness
from warehouse.joint_projects import budget_hint, compute_joint_projects
from warehouse.plan import compute_plan
from warehouse.reads import read_current_answers, read_current_spending

Bind = Engine | Connection


def _measures(reference: ReferenceData, answers: pd.DataFrame, annee: int | None) -> Any:
    years = set(answers["annee"].dropna().astype(int)) if not answers.empty else set()
    if annee is not None:
        years.add(int(annee))
    return measures_for_years(reference, years or set(reference.campaign_years))


def read_iso_readiness(
    bind: Bind, reference: ReferenceData, annee: int | None = None, chu: str | None = None
) -> pd.DataFrame:
    """The ``iso27001`` table (see ``warehouse.iso``) of the current answers."""
    answers = read_current_answers(bind, annee=annee, chu=chu)
    return compute_iso_readiness(answers, _measures(reference, answers, annee))


def read_action_plan(
    bind: Bind,
    reference: ReferenceData,
    chu: str,
    annee: int,
    *,
    name_peers: bool,
    min_peers_counted: int = 0,
) -> pd.DataFrame:
    """The plan of ``chu`` for ``annee`` (peers counted over every CHU's current answers;
    see :func:`warehouse.plan.compute_plan` for ``min_peers_counted``)."""
    answers = read_current_answers(bind, annee=annee)
    return compute_plan(
        answers,
        _measures(reference, answers, annee),
        chu,
        annee,
        name_peers=name_peers,
        min_peers_counted=min_peers_counted,
    )


def read_joint_projects(
    bind: Bind,
    reference: ReferenceData,
    annee: int | None = None,
    min_chu: int | None = None,
    *,
    with_budget: bool = False,
) -> pd.DataFrame:
    """The ``projets_communs`` table; ``with_budget`` adds :func:`budget_hint`'s columns."""
    answers = read_current_answers(bind, annee=annee)
    projects = compute_joint_projects(answers, _measures(reference, answers, annee), min_chu)
    if not with_budget:
        return projects
    hint = budget_hint(projects, answers, read_current_spending(bind, annee=annee))
    return projects.merge(hint, on=["annee", "mesure_id"], how="left")
