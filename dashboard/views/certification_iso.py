"""Certification ISO 27001: how ready each CHU is for ISO/IEC 27001:2022, from its DNSSI
answers (the definitions of ``warehouse.iso``), beside the status it declares; the measures
that block the most controls; the controls the DNSSI survey does not cover.

A DSI sees its own CHU, and of the others the median and quartiles of their readiness
(published over enough CHUs) and how many declare each status — never who
(``dashboard.decisions_scoped``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, page_roles, require_role
from dashboard.decisions_data import decision_scope
from dashboard.decisions_scoped import (
    ISO_STATUS_LABELS,
    READINESS_COLUMNS,
    THEME_COLUMNS,
    DecisionScope,
)
from dashboard.downloads import table_with_downloads
from dashboard.formatting import format_integer, format_pct, format_table
from dashboard.scoped import SECRET, STAT_LABELS
from warehouse.figures import FIGURES_BY_NAME
from warehouse.iso import READY_LEVEL, THEME_LABELS, THEMES
from warehouse.iso_charts import blocking_chart, own_readiness_chart, readiness_heatmap
from warehouse.spreadsheets import list_text

DEFINITION = (
    "Pour un CHU et une campagne, une exigence ISO/IEC 27001:2022 (contrôle de l'annexe A ou "
    "clause) à laquelle correspond au moins une de ses mesures DNSSI applicables est **prête** "
    f"quand toutes ces mesures ont un niveau ≥ {READY_LEVEL} ; son niveau moyen est leur "
    "moyenne. Les mesures « NA » sont exclues ; une exigence sans mesure applicable n'est pas "
    "évaluée. Correspondance DNSSI → ISO 27001:2022 de la bibliothèque ouverte CISO Assistant "
    "(correspondance communautaire, pas une publication de la DGSSI)."
)
COLUMN_LABELS = {
    "etablissement": "Établissement",
    "iso27001": "Statut ISO 27001 déclaré",
    **{c: FIGURES_BY_NAME[c].label for c in READINESS_COLUMNS},
    **{
        column: f"Thème {THEME_LABELS[theme].lower()} (%)"
        for column, theme in zip(THEME_COLUMNS, THEMES, strict=True)
    },
    "mesure_id": "Mesure",
    "titre": "Intitulé",
    "n_chu": "CHU concernés (nombre)",
    "n_controles": "Contrôles bloqués",
    "controles": "Contrôles de l'annexe A bloqués",
    "chus": "CHU",
    "niveau": "Niveau",
    "n_controles_bloques": "Contrôles bloqués",
    "n_clauses_bloquees": "Clauses bloquées",
    "controles_bloques": "Exigences bloquées",
    "iso_id": "Exigence",
    "type": "Type",
    "theme": "Thème",
    "couvert": "Couvert par la DNSSI",
    "mesures": "Mesures DNSSI",
    "niveau_moyen": "Niveau moyen",
    "pret": "Prête",
}
PCT_FORMATS = {c: "pct" for c in (*READINESS_COLUMNS, *THEME_COLUMNS)}


def _texts(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells as « A, B » (tables and downloads)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list)).any():
            out[column] = out[column].map(lambda v: list_text(v, ", "))
    return out


def _status(value: object) -> str:
    return ISO_STATUS_LABELS.get(str(value), "—") if isinstance(value, str) else "—"


def _render_alliance(scope: DecisionScope, annee: int) -> None:
    overview = scope.named_overview(annee)
    if overview.empty:
        st.info(f"Aucune auto-évaluation de maturité en vigueur pour {annee}.")
        return
    overview = overview.assign(iso27001=overview["iso27001"].map(_status))
    st.subheader("Préparation par CHU et par thème")
    st.plotly_chart(
        readiness_heatmap(overview, label_column="etablissement", title=None), key="iso_heatmap"
    )
    table = overview.drop(columns="chu")
    table_with_downloads(
        table,
        f"preparation_iso27001_{annee}",
        key="iso_preparation",
        display=format_table(table, PCT_FORMATS).rename(columns=COLUMN_LABELS),
    )
    st.subheader("Les mesures qui bloquent le plus de contrôles")
    st.caption(
        f"Une mesure applicable de niveau inférieur à {READY_LEVEL} empêche chaque contrôle "
        "auquel elle correspond d'être prêt. Nombre de contrôles bloqués pour au moins un CHU."
    )
    blocking = scope.named_blocking(annee)
    blocking = blocking.assign(
        chus=blocking["chus"].map(lambda cs: [scope.scoped.name(c) for c in cs])
    )
    st.plotly_chart(
        blocking_chart(blocking, value_column="n_controles", title=None), key="iso_blocking"
    )
    table_with_downloads(
        _texts(blocking),
        f"mesures_bloquantes_iso27001_{annee}",
        key="iso_bloquantes",
        display=_texts(blocking).rename(columns=COLUMN_LABELS),
    )


def _render_dsi(scope: DecisionScope, annee: int) -> None:
    own = scope.own_overview(annee)
    if own is None:
        st.info(f"Votre CHU n'a pas d'auto-évaluation de maturité en vigueur pour {annee}.")
        return
    left, middle, right = st.columns(3)
    left.metric("Statut ISO 27001 déclaré", _status(own["iso27001"]))
    middle.metric(
        "Contrôles de l'annexe A prêts",
        format_pct(own["preparation_iso27001_pct"]),
        help=FIGURES_BY_NAME["preparation_iso27001_pct"].definition,
    )
    right.metric(
        "Clauses prêtes",
        format_pct(own["preparation_iso27001_clauses_pct"]),
        help=FIGURES_BY_NAME["preparation_iso27001_clauses_pct"].definition,
    )
    counts = scope.peer_status_counts(annee)
    if counts:
        st.caption(
            "Statut déclaré par les autres CHU : "
            + " ; ".join(f"{_status(k)} : {format_integer(v)}" for k, v in sorted(counts.items()))
            + "."
        )
    comparison = scope.peer_readiness(annee)
    medians = {
        r["indicateur"]: r["mediane_autres"]
        for r in comparison.to_dict("records")
        if r["diffusion"] != SECRET
    }
    st.plotly_chart(
        own_readiness_chart({c: own[c] for c in THEME_COLUMNS}, medians, title=None),
        key="iso_own_chart",
    )
    shown = comparison.assign(libelle=comparison["indicateur"].map(COLUMN_LABELS))
    display = pd.DataFrame(
        {
            "Indicateur": shown["libelle"],
            STAT_LABELS["valeur_chu"]: shown["valeur_chu"].map(format_pct),
            STAT_LABELS["nb_autres_chu"]: [
                SECRET if pd.isna(n) else format_integer(n) for n in shown["nb_autres_chu"]
            ],
            STAT_LABELS["mediane_autres"]: [
                SECRET if d == SECRET else format_pct(m)
                for d, m in zip(shown["diffusion"], shown["mediane_autres"], strict=True)
            ],
            STAT_LABELS["q1_autres"]: shown["q1_autres"].map(format_pct),
            STAT_LABELS["q3_autres"]: shown["q3_autres"].map(format_pct),
        }
    )
    st.dataframe(display, hide_index=True, key="iso_comparaison")

    st.subheader("Vos mesures qui bloquent le plus de contrôles")
    blocking = scope.own_blocking(annee)
    st.plotly_chart(
        blocking_chart(blocking, value_column="n_controles_bloques", title=None),
        key="iso_blocking",
    )
    table_with_downloads(
        _texts(blocking),
        f"mesures_bloquantes_iso27001_{annee}",
        key="iso_bloquantes",
        display=_texts(blocking).rename(columns=COLUMN_LABELS),
    )
    st.subheader("Vos exigences ISO 27001, une à une")
    items = scope.own_readiness_items(annee)
    items = items.assign(
        theme=items["theme"].map(lambda t: THEME_LABELS.get(t, "—") if isinstance(t, str) else "—"),
        type=items["type"].map({"annexe_a": "Annexe A", "clause": "Clause"}),
        couvert=items["couvert"].map({True: "oui", False: "non"}),
        pret=items["pret"].map(lambda p: "—" if pd.isna(p) else ("oui" if p else "non")),
    )
    table_with_downloads(
        _texts(items),
        f"exigences_iso27001_{annee}",
        key="iso_exigences",
        display=format_table(_texts(items), {"niveau_moyen": "index"}).rename(
            columns=COLUMN_LABELS
        ),
    )


def _render_uncovered(scope: DecisionScope, annee: int) -> None:
    st.subheader("Contrôles que l'enquête DNSSI ne couvre pas")
    uncovered = scope.uncovered(annee)
    st.caption(
        f"{format_integer(len(uncovered))} contrôles de l'annexe A ne correspondent à aucune "
        "mesure de la DNSSI : leur préparation se fait en dehors de l'enquête (ils ne comptent "
        "pas dans les pourcentages ci-dessus)."
    )
    shown = uncovered.assign(theme=uncovered["theme"].map(THEME_LABELS))
    table_with_downloads(
        shown,
        "controles_non_couverts_dnssi",
        key="iso_non_couverts",
        display=shown.rename(columns={"iso_id": "Contrôle", "theme": "Thème", "titre": "Intitulé"}),
    )


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("certification_iso"))
    st.title("Certification ISO 27001")
    st.caption(DEFINITION)
    scope = decision_scope(viewer)
    years = scope.years()
    if not years:
        st.info("Aucune donnée consolidée pour l'instant.")
        return
    annee = int(data.select_year(years, key="iso_annee"))
    if scope.sees_names:
        _render_alliance(scope, annee)
    else:
        _render_dsi(scope, annee)
    _render_uncovered(scope, annee)
