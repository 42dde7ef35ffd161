"""The HTML report of one CHU for one campaign (``chu-bench report --chu CODE``).

Made for the CHU's DSI and director: its position, its ISO 27001 readiness, its action plan
and the joint projects it belongs to. Its peers appear **exactly as its DSI sees them on
the dashboard**: the report reads through the same viewer-scoped layers
(``dashboard.scoped.ScopedData`` for the benchmark, ``dashboard.decisions_scoped`` for the
decisions) as a DSI viewer of that CHU — aggregates of the other CHUs published under the
same rules, counts, never a peer's name, code, letter or value.

Self-contained like the campaign report (``pipelines.report_html``: its style, its
escaping). Its one chart is drawn in HTML and CSS, not Plotly: embedding plotly.js (4 MB)
would also embed its geographic tables, where « MAR » (Morocco's ISO code) and city names
appear — a reader searching the file for a peer's code would find them. Every value that
came from a file goes through ``html.escape``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipelines.report_html import CSS, _e, _table, french_date

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from expectations.reference import ReferenceData

# The figures of the position table (the registry gives their label, unit and decimals).
POSITION_COLUMNS: tuple[str, ...] = (
    "indice_maturite",
    "part_mesures_niveau3_pct",
    "ecart_cible",
    "preparation_iso27001_pct",
    "preparation_iso27001_clauses_pct",
    "depense_ssi_mad",
    "part_budget_si_pct",
    "depense_par_lit_mad",
    "effectif_ssi_pour_100_si",
)
REPORT_VIEWER = "rapport-chu"

BAR_CSS = """
td.bar { width: 40%; }
.track { position: relative; background: #eef1f4; height: 14px; border-radius: 2px; }
.fill { position: absolute; left: 0; top: 0; bottom: 0; background: #0072B2; }
.median { position: absolute; top: -3px; bottom: -3px; width: 3px; background: #222; }
"""


def _bar(value: object, median: object) -> str:
    """A 0–100 % bar with the peers' median as a mark (numbers only: nothing to escape)."""
    import math

    def pct(v: object) -> float | None:
        if v is None:
            return None
        number = float(v)  # type: ignore[arg-type]
        return None if math.isnan(number) else max(0.0, min(100.0, number))

    own, mid = pct(value), pct(median)
    inner = f'<div class="fill" style="width:{own:.1f}%"></div>' if own is not None else ""
    if mid is not None:
        inner += f'<div class="median" style="left:calc({mid:.1f}% - 1px)"></div>'
    return f'<div class="track">{inner}</div>'


def build_chu_report(
    engine: Engine, chu: str, annee: int, reference: ReferenceData | None = None
) -> str:
    """The whole HTML document of ``chu`` for ``annee``."""
    import pandas as pd

    from dashboard.access import Viewer
    from dashboard.decisions_scoped import (
        ISO_STATUS_LABELS,
        THEME_COLUMNS,
        DecisionScope,
        WarehouseDecisionSource,
    )
    from dashboard.scoped import SECRET, DisclosureRules, ScopedData, rank_text
    from expectations.labels import CSF_FUNCTION_LABELS
    from expectations.reference import load_reference
    from warehouse.figures import FIGURES_BY_NAME, format_figure
    from warehouse.iso import THEME_LABELS, THEMES
    from warehouse.plan import PLAN_LABELS, PRIORITY_TEXT

    reference = reference or load_reference()
    # The DSI of this CHU: what the report may show is what that viewer may see.
    viewer = Viewer(REPORT_VIEWER, "dsi", chu)
    rules = DisclosureRules.from_env()
    scoped = ScopedData(viewer, engine, reference, rules)
    decisions = DecisionScope(scoped, WarehouseDecisionSource(engine))
    name = scoped.own_name or chu
    now = datetime.now(ZoneInfo("Africa/Casablanca"))

    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>{_e(name)} — benchmark cybersécurité, campagne {int(annee)}</title>",
        f"<style>{CSS}{BAR_CSS}</style></head><body>",
        f"<h1>{_e(name)} — campagne {int(annee)}</h1>",
        '<p class="subtitle">Benchmark cybersécurité de l\'alliance des DSI des CHU — rapport '
        f"établi le {_e(french_date(now))}. Les autres CHU n'y figurent que par des agrégats "
        f"(médiane, quartiles, rang) publiés lorsqu'au moins {rules.min_peers} d'entre eux ont "
        "l'indicateur, et par des nombres : jamais par leur nom.</p>",
    ]

    # 1. Position
    parts.append("<h2>1. Position dans l'alliance</h2>")
    own = scoped.own_row(annee)
    if own is None:
        parts.append(
            f'<p class="note">Aucune donnée consolidée pour {_e(name)} en {int(annee)} : '
            "vérifier que les fichiers de la campagne ont été déposés et acceptés.</p>"
        )
    else:
        comparison = scoped.comparison(
            annee, POSITION_COLUMNS, {c: FIGURES_BY_NAME[c].label for c in POSITION_COLUMNS}
        )
        rows = []
        for r in comparison.to_dict("records"):
            column = r["indicateur"]
            secret = r["diffusion"] == SECRET
            stats = [
                SECRET if secret else format_figure(column, r[key])
                for key in ("mediane_autres", "q1_autres", "q3_autres")
            ]
            rows.append(
                [
                    (_e(r["libelle"]), False, ""),
                    (_e(format_figure(column, r["valeur_chu"])), True, ""),
                    # None when fewer than min_peers: the count itself is secret.
                    (_e(SECRET if r["nb_autres_chu"] is None else r["nb_autres_chu"]), True, ""),
                    *((_e(text), True, "") for text in stats),
                    (_e(rank_text(r)), True, ""),
                ]
            )
        parts.append(
            _table(
                [
                    "Indicateur",
                    "Votre CHU",
                    "Autres CHU (nombre)",
                    "Médiane des autres",
                    "1er quartile",
                    "3e quartile",
                    "Rang (1 = la plus haute valeur)",
                ],
                rows,
            )
        )

    # 2. ISO 27001 readiness
    parts.append("<h2>2. Préparation à la certification ISO 27001</h2>")
    overview = decisions.own_overview(annee)
    if overview is None:
        parts.append('<p class="note">Pas d\'auto-évaluation de maturité en vigueur.</p>')
    else:
        status = overview["iso27001"]
        status_text = (
            ISO_STATUS_LABELS.get(status, "non déclaré")
            if isinstance(status, str)
            else "non déclaré"
        )
        parts.append(
            f"<p>Statut déclaré : <strong>{_e(status_text)}</strong>. "
            f"Contrôles de l'annexe A prêts : <strong>"
            f"{_e(format_figure('preparation_iso27001_pct', overview['preparation_iso27001_pct']))}"
            "</strong> ; clauses prêtes : <strong>"
            f"{_e(format_figure('preparation_iso27001_clauses_pct', overview['preparation_iso27001_clauses_pct']))}"
            "</strong>.</p>"
        )
        parts.append(
            f'<p class="note">{_e(FIGURES_BY_NAME["preparation_iso27001_pct"].definition)}</p>'
        )
        peers = decisions.peer_readiness(annee)
        medians = {
            r["indicateur"]: r["mediane_autres"]
            for r in peers.to_dict("records")
            if r["diffusion"] != SECRET
        }
        rows = []
        for column, theme in zip(THEME_COLUMNS, THEMES, strict=True):
            median = medians.get(column)
            shown = (
                SECRET
                if column not in medians
                else format_figure("preparation_iso27001_pct", median)
            )
            rows.append(
                [
                    (_e(THEME_LABELS[theme]), False, ""),
                    (_e(format_figure("preparation_iso27001_pct", overview[column])), True, ""),
                    (_bar(overview[column], median), False, "bar"),
                    (_e(shown), True, ""),
                ]
            )
        parts.append(
            _table(["Thème de l'annexe A", "Contrôles prêts", "", "Médiane des autres CHU"], rows)
        )
        parts.append(
            '<p class="note">Barre : part des contrôles prêts de votre CHU ; trait noir : '
            "médiane des autres CHU (absent quand elle n'est pas publiée).</p>"
        )
        blocking = decisions.own_blocking(annee).head(10)
        if not blocking.empty:
            parts.append("<h3>Les mesures qui bloquent le plus de contrôles</h3>")
            parts.append(
                _table(
                    ["Mesure", "Intitulé", "Niveau", "Contrôles bloqués", "Exigences bloquées"],
                    [
                        [
                            (_e(r["mesure_id"]), False, ""),
                            (_e(r["titre"]), False, ""),
                            (_e(int(r["niveau"])), True, ""),
                            (_e(int(r["n_controles_bloques"])), True, ""),
                            (_e(", ".join(r["controles_bloques"])), False, ""),
                        ]
                        for r in blocking.to_dict("records")
                    ],
                )
            )

    # 3. Action plan
    parts.append("<h2>3. Plan d'action</h2>")
    plan = decisions.plan(chu, annee)
    if plan.empty:
        parts.append(
            '<p class="note">Aucune mesure applicable sous sa cible retenue (ou pas '
            "d'auto-évaluation en vigueur).</p>"
        )
    else:
        parts.append(f'<p class="note">{_e(PRIORITY_TEXT)}</p>')
        columns = [
            "rang",
            "mesure_id",
            "titre",
            "niveau",
            "cible_retenue",
            "ecart",
            "controles_iso",
            "controles_bloques",
            "pairs_au_niveau_4",
        ]
        numeric = {
            "rang",
            "niveau",
            "cible_retenue",
            "ecart",
            "controles_bloques",
            "pairs_au_niveau_4",
        }
        rows = []
        for record in plan[columns].to_dict("records"):
            cells = []
            for column in columns:
                value = record[column]
                if isinstance(value, list):
                    text = ", ".join(value)
                elif value is None or pd.isna(value):
                    # A withheld peer count (fewer than min_peers other CHUs answered).
                    text = SECRET if column == "pairs_au_niveau_4" else "—"
                else:
                    text = value
                cells.append((_e(text), column in numeric, ""))
            rows.append(cells)
        parts.append(_table([PLAN_LABELS[c] for c in columns], rows))

    # 4. Joint projects
    parts.append("<h2>4. Projets communs</h2>")
    projects = decisions.own_joint_projects(annee)
    if projects.empty:
        parts.append(
            f'<p class="note">{_e(name)} ne participe à aucun projet commun en {int(annee)} '
            "(mesures où plusieurs CHU sont au niveau 0 ou 1).</p>"
        )
    else:
        parts.append(
            '<p class="note">Mesures où votre CHU et d\'autres sont au niveau 0 ou 1 : un '
            "projet à mener ensemble. Dépense médiane : celle des CHU au niveau 4 ou plus, "
            "dans la même fonction NIST CSF, publiée sous les mêmes règles que le tableau de "
            "bord.</p>"
        )
        rows = []
        for r in projects.to_dict("records"):
            secret = r["diffusion"] == SECRET
            median = (
                SECRET
                if secret
                else format_figure("depense_ssi_mad", r["depense_fonction_mediane_mad"])
            )
            rows.append(
                [
                    (_e(r["mesure_id"]), False, ""),
                    (_e(r["titre"]), False, ""),
                    (_e(CSF_FUNCTION_LABELS.get(r["fonction_csf"], r["fonction_csf"])), False, ""),
                    (_e(int(r["n_chu"])), True, ""),
                    (_e(int(r["n_chu_au_niveau_4"])), True, ""),
                    (_e(median), True, ""),
                ]
            )
        parts.append(
            _table(
                [
                    "Mesure",
                    "Intitulé",
                    "Fonction NIST CSF",
                    "CHU au niveau 0 ou 1",
                    "CHU au niveau 4 ou plus",
                    "Dépense médiane dans la fonction",
                ],
                rows,
            )
        )

    parts.append(
        '<p class="note">Sources : fichiers déposés par les DSI, validés contre le contrat de '
        "données ; correspondance DNSSI → ISO/IEC 27001:2022 de la bibliothèque ouverte CISO "
        "Assistant (correspondance communautaire, pas une publication de la DGSSI).</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)
