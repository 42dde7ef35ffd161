"""Méthode: the DNSSI scale, every §5 formula (the figure registry, ``warehouse/figures.py``),
how each measure's main NIST CSF function was chosen, the sources of the reference
figures, and the freshness of the data. Nothing here is about one CHU in particular."""

from __future__ import annotations

import csv
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, page_roles, require_role
from dashboard.context import get_reference
from dashboard.downloads import download_buttons, table_with_downloads
from dashboard.formatting import format_integer, format_number
from dashboard.labels import (
    KPI_LABELS,
    LEVEL_DESCRIPTIONS,
    LEVEL_LABELS,
    NOT_APPLICABLE_LABEL,
)
from expectations.reference import reference_dir
from warehouse.figures import FIGURES_BY_NAME, definitions_table
from warehouse.iso import READY_LEVEL
from warehouse.joint_projects import DEFAULT_MIN_CHU, STRONG_LEVEL
from warehouse.plan import DEFAULT_TARGET, PEER_LEVEL, PRIORITY_TEXT

CHOICE_LABELS = {
    "correspondance": "Correspondance publiée (NIST CSF 2.0 → ISO 27001:2022)",
    "jugement": "Choix argumenté (pas de correspondance publiée)",
}


def _date(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%d/%m/%Y à %H:%M (UTC)")


def formulas_table() -> pd.DataFrame:
    """One row per §5 column with its French label, unit and definition (score_* grouped),
    then the alliance median and the estimated savings: the figure registry's table."""
    return pd.DataFrame(definitions_table())


def function_choices(annee: int | None = None) -> pd.DataFrame:
    """Each measure's main CSF function and why (``choix_fonction`` / ``justification`` of
    the referential file)."""
    reference = get_reference()
    years = reference.campaign_years
    year = annee if annee is not None else (years[-1] if years else None)
    code = reference.referential_code_for_year(year) if year is not None else "DNSSI-2023"
    path = reference_dir() / "referentiels.csv"
    filename = None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["code"] == code:
                filename = row["fichier"]
    if filename is None:
        return pd.DataFrame()
    with (reference_dir() / filename).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = reference.csf_function_names()
    return pd.DataFrame(
        [
            {
                "mesure_id": r["mesure_id"],
                "chapitre": int(r["chapitre"]),
                "titre": r["titre"],
                "fonction_csf": f"{names.get(r['fonction_csf'], r['fonction_csf'])} ({r['fonction_csf']})",
                "choix_fonction": CHOICE_LABELS.get(
                    r.get("choix_fonction", ""), r.get("choix_fonction", "")
                ),
                "justification": r.get("justification", ""),
            }
            for r in rows
        ]
    )


def decisions_text() -> str:
    """The issue 9 definitions (ISO 27001 readiness, action plan, joint projects), as the
    README states them; figures from the registry and the modules that compute them."""
    readiness = FIGURES_BY_NAME["preparation_iso27001_pct"]
    clauses = FIGURES_BY_NAME["preparation_iso27001_clauses_pct"]
    return "\n".join(
        [
            "**Préparation à ISO/IEC 27001:2022.** Pour un CHU et une campagne, une exigence "
            "ISO (contrôle de l'annexe A, comme A.5.1, ou clause, comme 6.1.2) à laquelle "
            "correspond au moins une des mesures *applicables* du CHU (niveau différent de NA) "
            f"est **prête** quand toutes ces mesures ont un niveau ≥ {READY_LEVEL} ; son "
            "**niveau moyen** est la moyenne de leurs niveaux. Une exigence qu'aucune mesure ne "
            "couvre, ou dont aucune mesure n'est applicable, n'est pas évaluée (ni prête ni non "
            "prête).",
            f"- **{readiness.label}** (`{readiness.name}`) : {readiness.definition}",
            f"- **{clauses.label}** (`{clauses.name}`) : {clauses.definition}",
            "- La table `chu-bench export --table iso27001` donne, par CHU, année et exigence "
            "(les 93 contrôles de l'annexe A et chaque clause couverte) : `couvert`, `mesures`, "
            "`niveau_moyen`, `pret`.",
            "",
            "**Plan d'action d'un CHU.** Chaque mesure applicable dont le niveau est inférieur "
            f"à la **cible retenue** — la cible déclarée, sinon {DEFAULT_TARGET} — avec "
            "l'**écart** (cible retenue − niveau), les exigences ISO auxquelles elle correspond "
            f"et le nombre d'**autres** CHU au niveau {PEER_LEVEL} ou plus sur cette mesure la "
            "même année (nommés pour l'alliance, comptés pour une DSI). " + PRIORITY_TEXT,
            "",
            "**Projets communs.** Chaque mesure et année pour laquelle au moins "
            f"{DEFAULT_MIN_CHU} CHU (réglable : `CHU_BENCH_PROJETS_COMMUNS_MIN_CHU` ou "
            "`chu-bench export --table projets_communs --seuil N`) sont au niveau 0 ou 1. "
            "Indication de budget : la dépense médiane, dans la même fonction NIST CSF et la "
            f"même année, des CHU au niveau {STRONG_LEVEL} ou plus sur la mesure.",
            "",
            "**Source de la correspondance.** La correspondance DNSSI → ISO/IEC 27001:2022 "
            "(colonne `iso27001_2022` du référentiel) vient de la bibliothèque ouverte de "
            "référentiels de CISO Assistant (intuitem) : c'est une **correspondance "
            "communautaire, pas une publication de la DGSSI**. Les 104 mesures y couvrent 69 "
            "des 93 contrôles de l'annexe A et 8 clauses ; les 24 autres contrôles sont à "
            "préparer en dehors de l'enquête. Les intitulés français courts des contrôles sont "
            "ceux du projet (`data/reference/iso27001_2022_annexe_a.csv`).",
        ]
    )


def _render_decisions() -> None:
    st.subheader("Certification ISO 27001, plan d'action, projets communs")
    st.markdown(decisions_text())


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("methode"))
    st.title("Méthode")
    reference = get_reference()

    st.subheader("L'échelle de maturité de la DNSSI")
    scale = pd.DataFrame(
        [
            {
                "Niveau": level,
                "Libellé": LEVEL_LABELS[level],
                "Signification": LEVEL_DESCRIPTIONS[level],
            }
            for level in sorted(LEVEL_LABELS)
        ]
    )
    st.dataframe(scale, hide_index=True)
    st.markdown(
        f"Une mesure peut être déclarée **NA** ({NOT_APPLICABLE_LABEL.lower()}) : elle est alors "
        "exclue de toutes les moyennes et du dénominateur des pourcentages. Un indicateur dont "
        "les données manquent (pas de profil valide, par exemple) est affiché « — », jamais 0."
    )

    st.subheader("Les indicateurs du benchmark")
    formulas = formulas_table()
    st.markdown(
        "\n".join(
            f"- **{r.Indicateur}** (`{r.Colonne}`) : {r.Définition}" for r in formulas.itertuples()
        )
    )
    download_buttons(formulas, "definitions_indicateurs", key="methode_formules")

    _render_decisions()

    st.subheader("Fonction NIST CSF principale de chaque mesure")
    choices = function_choices()
    if choices.empty:
        st.info("Le référentiel de la campagne ne précise pas le choix des fonctions.")
    else:
        counts = choices["choix_fonction"].value_counts()
        st.markdown(
            "Chaque mesure de la DNSSI est rattachée à **une** fonction NIST CSF 2.0, celle qui "
            "regroupe le plus de sous-catégories correspondant aux mêmes exigences ISO/IEC "
            "27001:2022 (correspondance informative publiée par le NIST). Quand aucune "
            "correspondance n'existe, la fonction est choisie d'après l'objet de la mesure, et "
            "ce choix est justifié. "
            + " ; ".join(
                f"{label} : **{format_integer(n)}** mesures" for label, n in counts.items()
            )
            + "."
        )
        table_with_downloads(
            choices,
            "fonctions_csf_des_mesures",
            key="methode_fonctions",
            display=choices.rename(
                columns={
                    "mesure_id": "Mesure",
                    "chapitre": "Chapitre",
                    "titre": "Intitulé",
                    "fonction_csf": "Fonction principale",
                    "choix_fonction": "Mode de choix",
                    "justification": "Justification",
                }
            ),
        )

    st.subheader("Sources")
    referentials = "; ".join(reference.referential_names.values())
    st.markdown(
        f"- Référentiel de maturité : {referentials}.\n"
        "- Fonctions : NIST Cybersecurity Framework 2.0 (CSWP 29, 2024), noms des fonctions "
        "traduits en français."
    )
    sources = pd.DataFrame(
        [
            {
                "Indicateur comparé": KPI_LABELS.get(r.indicateur, r.indicateur),
                "Valeur de référence": (
                    f"{format_number(r.valeur_min, 1)} {r.unite}"
                    if r.valeur_min == r.valeur_max
                    else f"{format_number(r.valeur_min, 0)} à {format_number(r.valeur_max, 0)} {r.unite}"
                ),
                "Ce que mesure la référence": r.libelle,
                "Source": r.source,
                "Année": str(r.annee_source),
            }
            for r in reference.spending_references
        ]
    )
    table_with_downloads(sources, "references_publiees", key="methode_sources")
    st.caption(
        "Ces références portent sur d'autres pays ou d'autres périmètres (organisations de "
        "l'Union européenne, hôpitaux français) : elles situent un ordre de grandeur, ce ne "
        "sont pas des objectifs réglementaires pour les CHU marocains."
    )

    st.subheader("Confidentialité")
    # SDC: the rules of the DSI view (dashboard/scoped.py), with the configured thresholds.
    from dashboard.labels import confidentiality_rules
    from dashboard.scoped import DisclosureRules

    rules = DisclosureRules.from_env()
    st.markdown(confidentiality_rules(rules.min_peers, rules.dominance_pct))

    st.subheader("Fraîcheur des données")
    freshness = data.freshness()
    st.markdown(
        f"- Dernier fichier reçu : **{_date(freshness['dernier_fichier_recu'])}**\n"
        f"- Dernier calcul du benchmark : **{_date(freshness['dernier_calcul'])}**\n"
        f"- Fichiers en vigueur : **{format_integer(freshness['nb_fichiers_en_vigueur'])}**"
    )
    st.caption(
        f"Le tableau de bord relit l'entrepôt au plus toutes les {data.TTL_SECONDS} secondes."
    )
