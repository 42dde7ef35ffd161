"""French words of the analysis pages that only the dashboard uses.

The shared vocabulary (KPI labels, status labels, the 0–5 level scale, categories, CSF
functions) is in ``expectations/labels.py`` and is imported from there, never copied.
``FORMULAS`` explains each §5 column; it derives from the figure registry
(``warehouse/figures.py``): the method page prints it and the other pages use it as help
text, so that a definition cannot differ between pages.
"""

from __future__ import annotations

from expectations.labels import (
    CATEGORY_LABELS,
    CSF_FUNCTION_LABELS,
    KIND_LABELS,
    KPI_LABELS,
    LEVEL_LABELS,
    NATURE_LABELS,
    NOT_APPLICABLE_LABEL,
    STATUS_LABELS,
)
from warehouse.figures import definitions

__all__ = [
    "CATEGORY_LABELS",
    "CSF_FUNCTION_LABELS",
    "FORMULAS",
    "KIND_LABELS",
    "KPI_LABELS",
    "LEVEL_DESCRIPTIONS",
    "LEVEL_LABELS",
    "MEASURE_COLUMN_LABELS",
    "NATURE_LABELS",
    "NOT_APPLICABLE_LABEL",
    "PAGE_TITLES",
    "POOLING_COLUMN_LABELS",
    "STATUS_LABELS",
    "kpi_label",
]

PAGE_TITLES = {
    "vue_ensemble": "Vue d'ensemble",
    "maturite": "Maturité",
    "investissements": "Investissements",
    "mutualisation": "Mutualisation",
    "methode": "Méthode",
}

NO_DATA = (
    "Aucune donnée consolidée pour l'instant : le tableau de bord se remplira dès que les "
    "premiers fichiers valides auront été traités."
)
NO_DATA_FOR_YEAR = "Aucune donnée consolidée pour la campagne {annee}."

# What each level of the DNSSI scale means in practice (method page).
LEVEL_DESCRIPTIONS: dict[int, str] = {
    0: "La mesure n'est pas mise en œuvre.",
    1: "Mise en œuvre ponctuelle, dépendante des personnes, sans méthode.",
    2: "Pratique répétée de façon similaire, mais non formalisée.",
    3: "Pratique documentée, approuvée et appliquée de façon homogène.",
    4: "Pratique mesurée et pilotée par des indicateurs.",
    5: "Pratique améliorée en continu à partir des mesures.",
}

# §5 definitions: one home per figure, the registry (warehouse/figures.py).
FORMULAS: dict[str, str] = definitions()


# Which FORMULAS entry explains which benchmark column (score_* share one text each).
def formula_for(column: str) -> str | None:
    if column.startswith("score_chapitre_"):
        return FORMULAS["score_chapitre"]
    if column.startswith("score_"):
        return FORMULAS["score_fonction"]
    return FORMULAS.get(column)


def kpi_label(column: str) -> str:
    """The shared French label of a §5 column (falls back to the column name)."""
    return KPI_LABELS.get(column, column)


MEASURE_COLUMN_LABELS = {
    "mesure_id": "Mesure",
    "titre": "Intitulé",
    "chapitre": "Chapitre",
    "chapitre_titre": "Titre du chapitre",
    "fonction": "Fonction NIST CSF",
    "niveau": "Niveau",
    "libelle_niveau": "Niveau (libellé)",
    "cible": "Cible",
    "ecart_cible": "Écart à la cible",
    "niveau_moyen_alliance": "Niveau moyen de l'alliance",
    "commentaire": "Commentaire",
}

POOLING_COLUMN_LABELS = {
    "type": "Type",
    "nom": "Solution ou fournisseur",
    "nb_chu": "Nombre de CHU",
    "chus": "CHU concernés",
    "total_mad": "Dépense totale (MAD)",
    "taux_economie": "Taux d'économie (%)",
    "economie_estimee_mad": "Économie estimée (MAD)",
}

POOLING_TYPE_LABELS = {"solution": "Solution", "fournisseur": "Fournisseur"}

CHANGE_LABELS = {
    "progression": "Plus fortes progressions",
    "recul": "Reculs",
    "nouveaux": "Nouveaux fichiers",
    "rangs": "Changements de rang",
}


def confidentiality_rules(min_peers: int, dominance_pct: float) -> str:
    """The Méthode page's explanation of what each role sees (the rules of
    ``dashboard.scoped``), in plain French Markdown."""
    dominance = f"{dominance_pct:g}".replace(".", ",")
    return (
        "La direction de l'alliance et l'administrateur voient chaque CHU par son nom.\n\n"
        "La DSI d'un CHU voit **son établissement par son nom**, et les autres CHU "
        "**seulement en agrégats** : leur médiane (la valeur du milieu), leurs quartiles "
        "(un quart des autres CHU est en dessous du 1er, un quart au-dessus du 3e), leur "
        "minimum et leur maximum, et le rang de son CHU (« 2ᵉ sur 6 »). Aucun autre CHU "
        "n'est montré seul, ni par son nom, ni par une lettre, sur aucune page, aucun "
        "graphique, aucun téléchargement.\n\n"
        "Ces règles sont celles des instituts de statistique avant toute publication :\n\n"
        f"- **Seuil** : un agrégat n'est publié que s'il porte sur au moins **{min_peers} "
        "autres CHU** ; sinon la case indique « secret statistique ». Avec un seul autre "
        "CHU, une moyenne ou une médiane redonnerait exactement ses chiffres.\n"
        f"- **Dominance** : un agrégat de montants (en dirhams) n'est pas publié si un seul "
        f"CHU pèse plus de **{dominance} %** du total : le total dirait alors surtout ce que "
        "dépense ce CHU.\n"
        "- **Mutualisation** : la DSI ne voit que les achats de son CHU que au moins "
        f"**{min_peers} CHU** (le sien compris) ont déclarés avec un montant positif, sous "
        "le nom saisi par son CHU, sans dire quels autres CHU les achètent ; la dépense de "
        "tous ces CHU suit les deux règles ci-dessus. Les textes saisis par les autres CHU "
        "(fournisseurs, solutions, libellés, commentaires) ne lui sont jamais montrés.\n"
        "- **Campagne** : pour les autres CHU, seul le nombre d'établissements dans chaque "
        "statut (valide, reçu, invalide, manquant) est indiqué."
    )
