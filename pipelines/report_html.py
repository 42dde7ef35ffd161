"""The HTML report of a campaign for the alliance meeting (``chu-bench report``).

One self-contained file: plotly.js is inlined once (no CDN, so it opens on a laptop with
no network, in a meeting room), figures come from ``warehouse.charts`` (the same as the
dashboard's), numbers are French (``1 234,5``). Everything shown is read from the
warehouse; a KPI whose inputs are missing shows « — », never 0.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
    from sqlalchemy.engine import Engine

    from expectations.reference import ReferenceData

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

# Columns of the key table; label, unit and decimals come from the figure registry.
KEY_COLUMNS: tuple[str, ...] = (
    "rang_maturite",
    "indice_maturite",
    "part_mesures_niveau3_pct",
    "ecart_mediane_indice",
    "evolution_indice",
    "preparation_iso27001_pct",
    "preparation_iso27001_clauses_pct",
    "depense_ssi_mad",
    "part_budget_si_pct",
    "depense_par_lit_mad",
    "effectif_ssi_pour_100_si",
)

CSS = """
body { font-family: "Source Sans Pro", Arial, sans-serif; color: #222; margin: 0 auto;
       max-width: 1100px; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #0072B2; padding-bottom: 4px; margin-top: 2em; }
.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 5px 8px; }
th { background: #eef4fa; text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.status-valide { background: #e3f4ea; }
.status-invalide { background: #fde2e1; }
.status-manquant { background: #f3f3f3; color: #777; }
.note { color: #555; font-size: 0.9em; }
.figure { page-break-inside: avoid; margin: 1em 0; }
@media print { body { max-width: none; } h2 { page-break-before: auto; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def french_date(moment: datetime) -> str:
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {MONTHS[moment.month - 1]} {moment.year} à {moment:%H:%M}"


def _number(value: Any, decimals: int, suffix: str = "") -> str:
    from warehouse.charts import MISSING, french_number

    text = french_number(value, decimals)
    return text if text == MISSING else f"{text}{suffix}"


def _table(headers: list[str], rows: list[list[tuple[str, bool, str]]]) -> str:
    """``rows`` of (html text, numeric?, css class)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for text, numeric, css in row:
            classes = " ".join(c for c in ("num" if numeric else "", css) if c)
            attribute = f' class="{classes}"' if classes else ""
            cells.append(f"<td{attribute}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Figures:
    """Turns figures into HTML fragments; plotly.js is embedded with the first one only."""

    def __init__(self) -> None:
        self.first = True

    def __call__(self, fig: go.Figure) -> str:
        fragment = fig.to_html(
            full_html=False,
            include_plotlyjs=self.first,  # True = the whole library inline, not a CDN link
            config={"displaylogo": False, "responsive": True},
        )
        self.first = False
        return f'<div class="figure">{fragment}</div>'


def _with_labels(frame: pd.DataFrame, reference: ReferenceData) -> pd.DataFrame:
    """Adds ``etablissement`` (full name) and ``ville`` (short label for charts)."""
    frame = frame.copy()
    names = {code: e.nom for code, e in reference.establishments.items()}
    cities = {code: e.ville for code, e in reference.establishments.items()}
    frame["etablissement"] = frame["chu"].map(lambda c: names.get(c, c))
    frame["ville"] = frame["chu"].map(lambda c: cities.get(c, c))
    return frame


def build_report(engine: Engine, annee: int, reference: ReferenceData | None = None) -> str:
    """The whole HTML document for one campaign year."""
    from expectations.labels import KIND_LABELS, STATUS_LABELS
    from expectations.reference import load_reference
    from warehouse import charts
    from warehouse.figures import FIGURES_BY_NAME, format_figure
    from warehouse.reads import read_benchmark, read_campaign_status, read_pooling

    reference = reference or load_reference()
    table = _with_labels(read_benchmark(engine, annee=annee), reference)
    pooling = read_pooling(engine, annee=annee)
    status = read_campaign_status(engine, annee=annee)
    figure = _Figures()
    now = datetime.now(ZoneInfo("Africa/Casablanca"))
    with_index = table.dropna(subset=["indice_maturite"])
    median = float(with_index["indice_maturite"].median()) if not with_index.empty else None

    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>Benchmark cybersécurité des CHU — campagne {annee}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Benchmark cybersécurité des CHU — campagne {annee}</h1>",
        '<p class="subtitle">Alliance des DSI des centres hospitaliers universitaires du Maroc'
        f" — rapport établi le {_e(french_date(now))}.</p>",
    ]

    # 1. Key figures
    parts.append("<h2>1. Chiffres clés</h2>")
    if table.empty:
        parts.append(
            f'<p class="note">Aucune donnée de benchmark pour {annee} : lancer « chu-bench run » '
            "ou vérifier l'état de la campagne ci-dessous.</p>"
        )
    else:
        ordered = table.sort_values(["rang_maturite", "chu"], na_position="last")
        rows = []
        for _, row in ordered.iterrows():
            cells = [(_e(row["etablissement"]), False, "")]
            cells += [(_e(format_figure(column, row[column])), True, "") for column in KEY_COLUMNS]
            rows.append(cells)
        parts.append(
            _table(["Établissement", *(FIGURES_BY_NAME[c].label for c in KEY_COLUMNS)], rows)
        )
        if median is not None:
            parts.append(
                f'<p class="note">Médiane de l\'alliance : {_e(_number(median, 2))}. '
                "« — » : indicateur non calculable (fichier manquant ou rejeté).</p>"
            )

    # 2. Maturity
    parts.append("<h2>2. Maturité de la cybersécurité</h2>")
    parts.append(figure(charts.maturity_bar_chart(table, median=median, label_column="ville")))
    function_names = reference.csf_function_names()
    median_scores = {
        code: float(table[f"score_{code}"].median())
        for code in function_names
        if f"score_{code}" in table and table[f"score_{code}"].notna().any()
    }
    parts.append(
        figure(
            charts.csf_radar_chart(
                with_index, function_names, median_scores=median_scores, label_column="ville"
            )
        )
    )
    parts.append(
        figure(
            charts.chapter_heatmap(
                with_index, reference.chapter_titles(annee), label_column="ville"
            )
        )
    )

    # 3. Spending
    parts.append("<h2>3. Dépenses de sécurité</h2>")
    references = reference.spending_references
    # Chart titles are sentences; axis labels are the registry's labels of the figures.
    for column, title in (
        ("part_budget_si_pct", "Part de la sécurité dans le budget informatique"),
        ("effectif_ssi_pour_100_si", "Effectif sécurité pour 100 informaticiens"),
        ("part_si_budget_total_pct", "Part de l'informatique dans le budget de l'établissement"),
    ):
        parts.append(
            figure(
                charts.ratio_chart(
                    table,
                    column,
                    references=[r for r in references if r.indicateur == column],
                    label_column="ville",
                    title=title,
                    value_label=FIGURES_BY_NAME[column].label,
                )
            )
        )
    parts.append(
        figure(
            charts.amount_bar_chart(
                table,
                "depense_par_lit_mad",
                label_column="ville",
                title="Dépense de sécurité par lit",
                value_label=FIGURES_BY_NAME["depense_par_lit_mad"].label,
            )
        )
    )
    if references:
        parts.append('<p class="note">Références publiées : ')
        parts.append(
            "; ".join(_e(f"{r.libelle} — {r.source} ({r.annee_source})") for r in references)
        )
        parts.append(".</p>")

    # 4. Pooling
    parts.append("<h2>4. Opportunités de mutualisation</h2>")
    if pooling.empty:
        parts.append(f'<p class="note">Aucun achat commun à plusieurs CHU en {annee}.</p>')
    else:
        rate = float(pooling["taux_economie"].iloc[0])
        parts.append(
            '<p class="note">Même solution ou même fournisseur acheté par au moins deux CHU ; '
            f"économie estimée à {_e(_number(rate * 100, 0, ' %'))} de la dépense totale.</p>"
        )
        parts.append(figure(charts.pooling_chart(pooling)))
        rows = []
        type_labels = {"solution": "Solution", "fournisseur": "Fournisseur"}
        for _, row in pooling.sort_values("economie_estimee_mad", ascending=False).iterrows():
            rows.append(
                [
                    (_e(type_labels.get(str(row["type"]), row["type"])), False, ""),
                    (_e(row["nom"]), False, ""),
                    (_e(row["chus"]), False, ""),
                    (_e(_number(row["total_mad"], 0, " MAD")), True, ""),
                    (_e(_number(row["economie_estimee_mad"], 0, " MAD")), True, ""),
                ]
            )
        parts.append(_table(["Type", "Nom", "CHU", "Dépense totale", "Économie estimée"], rows))

    # 5. Joint projects (issue 9): measures where several CHUs are weak together
    from warehouse.decisions import read_joint_projects

    parts.append("<h2>5. Projets communs</h2>")
    projects = read_joint_projects(engine, reference, annee=annee, with_budget=True)
    if projects.empty:
        parts.append(f'<p class="note">Aucun projet commun en {annee}.</p>')
    else:
        names = {code: e.nom for code, e in reference.establishments.items()}
        titles = {m.mesure_id: m.titre for m in reference.measures_for_year(annee)}
        parts.append(
            '<p class="note">Mesures pour lesquelles au moins plusieurs CHU sont au niveau 0 ou '
            "1 la même année ; dépense médiane des CHU au niveau 4 ou plus dans la même "
            "fonction NIST CSF (un premier ordre de grandeur du budget).</p>"
        )
        rows = [
            [
                (_e(r["mesure_id"]), False, ""),
                (_e(titles.get(r["mesure_id"], "")), False, ""),
                (_e(", ".join(names.get(c, c) for c in r["chu"])), False, ""),
                (_e(", ".join(names.get(c, c) for c in r["chu_au_niveau_4"])), False, ""),
                (_e(format_figure("depense_ssi_mad", r["depense_fonction_mediane_mad"])), True, ""),
            ]
            for r in projects.to_dict("records")
        ]
        parts.append(
            _table(
                [
                    "Mesure",
                    "Intitulé",
                    "CHU au niveau 0 ou 1",
                    "CHU au niveau 4 ou plus",
                    "Dépense médiane dans la fonction",
                ],
                rows,
            )
        )

    # 6. Campaign status
    parts.append("<h2>6. État de la campagne</h2>")
    kinds = list(KIND_LABELS)
    rows = []
    for code, establishment in reference.establishments.items():
        cells = [(_e(establishment.nom), False, "")]
        if establishment.premiere_campagne and annee < establishment.premiere_campagne:
            label = f"Membre depuis {establishment.premiere_campagne}"
            cells += [(_e(label), False, "status-manquant") for _ in kinds]
            rows.append(cells)
            continue
        for kind in kinds:
            match = status[(status["chu"] == code) & (status["kind"] == kind)]
            value = str(match["status"].iloc[0]) if not match.empty else "manquant"
            cells.append((_e(STATUS_LABELS.get(value, value)), False, f"status-{value}"))
        rows.append(cells)
    parts.append(_table(["Établissement", *(KIND_LABELS[k] for k in kinds)], rows))
    parts.append(
        '<p class="note">Valide : un fichier conforme est en vigueur. Invalide : seuls des '
        "fichiers rejetés ont été reçus (à corriger et redéposer). Manquant : rien reçu.</p>"
    )

    parts.append(
        '<p class="note">Indice de maturité : moyenne des niveaux (0–5) des mesures DNSSI '
        "applicables. Rang 1 = indice le plus élevé de l'année. Sources : fichiers déposés par "
        "les DSI, validés contre le contrat de données v1.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)
