"""The action plan of one CHU for one campaign: pure pandas, no database.

Definitions (contract, issue 9 — README and Méthode page say the same):

* every *applicable* measure (niveau not NA) whose niveau is below ``cible_retenue`` — the
  measure's ``cible``, or 3 (:data:`DEFAULT_TARGET`) when the CHU gave none — is in the plan;
* ``ecart`` = cible_retenue − niveau; ``controles_iso``: the ISO 27001:2022 items the measure
  maps to, as the referential lists them (normalised: ``a.5.1`` → ``A.5.1``);
* ``pairs_au_niveau_4``: how many *other* CHUs of that year answered niveau ≥ 4 on the
  measure (the peers to learn from). The alliance also gets their codes
  (``pairs_au_niveau_4_chu``); a DSI gets the count only.

Priority (``rang`` 1…n, the order shown), what a DSI can act on first:

1. the largest ``ecart`` first (the furthest from its target);
2. then the most ``controles_bloques``: the ISO items the measure keeps from being prêts
   (niveau < 3 and mapped to them; 0 once the measure is at 3 or more) — raising it moves
   the certification forward;
3. then the most ``pairs_au_niveau_4`` (someone in the alliance to learn from);
4. then the referential's order (chapter by chapter, as the DNSSI lists its measures).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from warehouse.benchmark import measures_frame
from warehouse.iso import READY_LEVEL, iso_mapping

DEFAULT_TARGET = 3
PEER_LEVEL = 4

# The contract's columns (issue 9), in its order; then what explains the order.
PLAN_COLUMNS = (
    "rang",
    "mesure_id",
    "titre",
    "chapitre",
    "fonction_csf",
    "niveau",
    "cible_retenue",
    "ecart",
    "controles_iso",
    "pairs_au_niveau_4",
)
PLAN_EXTRA_COLUMNS = ("controles_bloques",)
PEER_CODES_COLUMN = "pairs_au_niveau_4_chu"

PRIORITY_TEXT = (
    "Ordre de priorité : d'abord le plus grand écart à la cible retenue, puis le plus grand "
    "nombre d'exigences ISO 27001 que la mesure empêche d'être prêtes (niveau inférieur à 3), "
    "puis le plus grand nombre de CHU pairs au niveau 4 ou plus (dont on peut s'inspirer), "
    "enfin l'ordre du référentiel."
)


def _year_measures(measures: Any, annee: int) -> pd.DataFrame:
    frame = measures_frame(measures)
    if "annee" in frame.columns:
        frame = frame[frame["annee"].astype("int64") == int(annee)].drop(columns="annee")
    frame = frame.reset_index(drop=True)
    frame["_ordre"] = frame.index
    return frame


def compute_plan(
    answers: pd.DataFrame | None,
    measures: Any,
    chu: str,
    annee: int,
    *,
    name_peers: bool = False,
    min_peers_counted: int = 0,
) -> pd.DataFrame:
    """The plan of ``chu`` for ``annee``: PLAN_COLUMNS, PLAN_EXTRA_COLUMNS (+
    ``pairs_au_niveau_4_chu``, the peers' codes, when ``name_peers``). ``answers`` holds the current answers of every CHU
    that year (chu, annee, mesure_id, niveau, cible): the peers are counted from them.
    Empty (with the columns) when the CHU has no answer that year.

    ``min_peers_counted``: when fewer other CHUs than this answered that year,
    ``pairs_au_niveau_4`` is withheld (null, « secret statistique ») and plays no part in the
    order — with one or two peers, the count per measure would tell their levels."""
    columns = [*PLAN_COLUMNS, *PLAN_EXTRA_COLUMNS, *([PEER_CODES_COLUMN] if name_peers else [])]
    if answers is None or answers.empty:
        return pd.DataFrame(columns=columns)
    a = answers[["chu", "annee", "mesure_id", "niveau", "cible"]].copy()
    a["chu"] = a["chu"].astype(str)
    a = a[a["annee"].astype("int64") == int(annee)]
    a["niveau"] = pd.to_numeric(a["niveau"], errors="coerce").astype("float64")
    a["cible"] = pd.to_numeric(a["cible"], errors="coerce").astype("float64")

    own = a[(a["chu"] == chu) & a["niveau"].notna()].copy()
    own["cible_retenue"] = own["cible"].fillna(float(DEFAULT_TARGET))
    own = own[own["niveau"] < own["cible_retenue"]]
    if own.empty:
        return pd.DataFrame(columns=columns)

    peers = a[(a["chu"] != chu) & (a["niveau"] >= PEER_LEVEL)]
    peer_codes = peers.groupby("mesure_id")["chu"].agg(lambda s: sorted(set(s)))

    referential = _year_measures(measures, annee)
    mapping = iso_mapping(referential)
    # In the order the referential lists them for the measure.
    items = mapping.groupby("mesure_id", sort=False)["iso_id"].agg(list)

    plan = own.merge(referential, on="mesure_id", how="left")
    plan["controles_iso"] = plan["mesure_id"].map(lambda m: list(items.get(m, [])))
    plan["controles_bloques"] = [
        len(iso) if niveau < READY_LEVEL else 0
        for iso, niveau in zip(plan["controles_iso"], plan["niveau"], strict=True)
    ]
    plan[PEER_CODES_COLUMN] = plan["mesure_id"].map(lambda m: list(peer_codes.get(m, [])))
    plan["pairs_au_niveau_4"] = plan[PEER_CODES_COLUMN].map(len)
    plan["ecart"] = plan["cible_retenue"] - plan["niveau"]
    # Measures answered but unknown to the referential go last among equals.
    plan["_ordre"] = plan["_ordre"].fillna(len(referential)).astype("int64")
    n_peers = a.loc[(a["chu"] != chu) & a["niveau"].notna(), "chu"].nunique()
    counted = n_peers >= min_peers_counted
    order = ["ecart", "controles_bloques", "pairs_au_niveau_4", "_ordre", "mesure_id"]
    ascending = [False, False, False, True, True]
    if not counted:
        order.remove("pairs_au_niveau_4")
        ascending.pop(2)
    plan = plan.sort_values(order, ascending=ascending).reset_index(drop=True)
    plan["pairs_au_niveau_4"] = pd.array(
        plan["pairs_au_niveau_4"].tolist() if counted else [None] * len(plan), dtype="Int64"
    )
    plan["rang"] = range(1, len(plan) + 1)
    for column in ("niveau", "cible_retenue", "ecart", "chapitre"):
        plan[column] = pd.array(
            [None if pd.isna(v) else int(v) for v in plan[column]], dtype="Int64"
        )
    if "titre" not in plan.columns:
        plan["titre"] = None
    return plan[columns]


# French headers of the plan (CSV/XLSX for people, dashboard table).
PLAN_LABELS = {
    "rang": "Rang",
    "mesure_id": "Mesure",
    "titre": "Intitulé",
    "chapitre": "Chapitre",
    "fonction_csf": "Fonction NIST CSF",
    "niveau": "Niveau actuel",
    "cible_retenue": "Cible retenue",
    "ecart": "Écart",
    "controles_iso": "Exigences ISO 27001 visées",
    "controles_bloques": "Exigences ISO 27001 bloquées",
    "pairs_au_niveau_4": "CHU pairs au niveau 4 ou plus",
    PEER_CODES_COLUMN: "CHU pairs à contacter",
}

PLAN_DEFINITIONS = {
    "rang": "Ordre de traitement proposé (1 = en premier). " + PRIORITY_TEXT,
    "niveau": "Niveau de maturité déclaré (0 à 5) ; les mesures non applicables (NA) sont exclues.",
    "cible_retenue": "La cible déclarée par le CHU pour la mesure, ou 3 (Défini) s'il n'en a pas donné.",
    "ecart": "Cible retenue moins niveau actuel.",
    "controles_iso": (
        "Contrôles de l'annexe A et clauses d'ISO/IEC 27001:2022 auxquels la mesure correspond "
        "(correspondance DNSSI → ISO 27001:2022 de la bibliothèque ouverte CISO Assistant)."
    ),
    "controles_bloques": (
        "Nombre de ces exigences que la mesure empêche d'être prêtes (niveau inférieur à 3) ; "
        "0 quand la mesure est déjà au niveau 3 ou plus."
    ),
    "pairs_au_niveau_4": (
        "Nombre d'autres CHU de l'alliance au niveau 4 ou plus sur cette mesure la même année : "
        "des pairs dont s'inspirer (la direction de l'alliance peut les mettre en relation)."
    ),
}
