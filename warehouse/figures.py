"""The figure registry: one home for each figure of the benchmark (issue 9.4).

Each :class:`Figure` says its column name, French label, unit, display decimals, the
definition users read (Méthode page, README, report) and how it is computed (for
developers). Everything else derives from :data:`FIGURES`:

* ``warehouse.schema.BENCHMARK_COLUMNS`` and the ``benchmark`` table's column types;
* ``chu-bench export`` (its columns are BENCHMARK_COLUMNS);
* ``expectations.labels.KPI_LABELS`` and ``dashboard.labels.FORMULAS``;
* the Méthode page's list of definitions, the HTML reports' key tables and number formats.

Adding a ratio figure (``Figure.ratio``): a new entry here, its test, and the Alembic revision
adding its column (``warehouse/migrations``); ``warehouse.benchmark`` computes it from the
entry. Other figures also need their formula in ``warehouse.benchmark``. Only ``expectations.reference`` is imported:
the registry is data, safe to import from any layer.

Every figure is *stored* rounded to 2 decimals (``warehouse.benchmark.DECIMALS``); ``decimals``
is how many are *shown*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from expectations.reference import CHAPTERS, CSF_FUNCTION_NAMES, CSF_FUNCTIONS

# Display formats (the dashboard's format_table kinds and the report's): a 0–5 index, a
# percentage, an amount in dirhams, a plain number, an integer.
INDEX, PCT, MAD, NUMBER, INTEGER = "index", "pct", "mad", "number", "integer"
DISPLAY_FORMATS = (INDEX, PCT, MAD, NUMBER, INTEGER)


@dataclass(frozen=True)
class Ratio:
    """numerator / denominator × factor, per (chu, annee); null when either is missing or the
    denominator is 0. Inputs: ``warehouse.benchmark.RATIO_INPUTS`` (spending totals, every
    number of the profile)."""

    numerator: str
    denominator: str
    factor: float = 1.0


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    unit: str  # "0–5", "%", "MAD", "niveaux", "points", "ETP", "rang"
    decimals: int
    definition: str  # French, for users
    computation: str  # English, for developers: inputs and where the code is
    display: str = NUMBER  # INDEX | PCT | MAD | NUMBER | INTEGER
    sql_type: str = "float"  # float | integer
    group: str | None = None  # figures explained by one shared text (scores)
    ratio: Ratio | None = None  # computed by the benchmark from this alone

    @property
    def is_integer(self) -> bool:
        return self.sql_type == "integer"


@dataclass(frozen=True)
class Definition:
    """A text explaining a group of figures, or a figure that is not a benchmark column."""

    key: str
    label: str
    column: str
    definition: str


GROUPS: dict[str, Definition] = {
    "score_fonction": Definition(
        "score_fonction",
        "Scores par fonction NIST CSF (0–5)",
        "score_<GV|ID|PR|DE|RS|RC>",
        "Pour chaque fonction NIST CSF 2.0 (Gouverner, Identifier, Protéger, Détecter, Répondre, "
        "Rétablir) : moyenne des niveaux des mesures dont c'est la fonction principale.",
    ),
    "score_chapitre": Definition(
        "score_chapitre",
        "Scores par chapitre (0–5)",
        "score_chapitre_<1..14>",
        "Pour chaque chapitre de la DNSSI (1 à 14) : moyenne des niveaux de ses mesures.",
    ),
}

# Figures shown on the pages that are not columns of the benchmark table.
OTHER_DEFINITIONS: dict[str, Definition] = {
    "mediane_alliance": Definition(
        "mediane_alliance",
        "Médiane de l'alliance",
        "—",
        "Médiane de l'alliance : valeur centrale des CHU ayant l'indicateur cette année-là "
        "(moyenne des deux valeurs centrales pour un nombre pair).",
    ),
    "economie_estimee_mad": Definition(
        "economie_estimee_mad",
        "Économie estimée (mutualisation)",
        "economie_estimee_mad",
        "Mutualisation : une même solution ou un même fournisseur acheté par au moins deux CHU "
        "la même année. Économie estimée = dépense totale concernée × taux d'économie retenu.",
    ),
}

_MATURITY = "current maturity answers, NA left out (warehouse.benchmark._maturity)"
_ALLIANCE = "from the rounded indice_maturite of every CHU that year (compute_benchmark)"


def _figures() -> tuple[Figure, ...]:
    figures = [
        Figure(
            "indice_maturite",
            "Indice de maturité (0–5)",
            "0–5",
            2,
            "Moyenne des niveaux (0 à 5) des mesures applicables ; les mesures « NA » sont "
            "exclues. Arrondi à 2 décimales.",
            f"mean(niveau) per (chu, annee) over {_MATURITY}",
            INDEX,
        ),
        Figure(
            "part_mesures_niveau3_pct",
            "Mesures au niveau 3 ou plus (%)",
            "%",
            1,
            "Nombre de mesures applicables de niveau 3 ou plus ÷ nombre de mesures applicables "
            "× 100.",
            f"100 × mean(niveau ≥ 3) over {_MATURITY}",
            PCT,
        ),
        Figure(
            "ecart_cible",
            "Écart à la cible (niveaux)",
            "niveaux",
            2,
            "Moyenne de (niveau cible − niveau) sur les mesures qui ont à la fois un niveau et "
            "une cible. Positif : il reste du chemin jusqu'à la cible.",
            f"mean(cible − niveau) where both are present, {_MATURITY}",
            INDEX,
        ),
    ]
    for code in CSF_FUNCTIONS:
        figures.append(
            Figure(
                f"score_{code}",
                f"Score {CSF_FUNCTION_NAMES[code]} ({code}, 0–5)",
                "0–5",
                2,
                GROUPS["score_fonction"].definition,
                f"mean(niveau) of the measures whose fonction_csf is {code}, {_MATURITY}",
                INDEX,
                group="score_fonction",
            )
        )
    for chapter in CHAPTERS:
        figures.append(
            Figure(
                f"score_chapitre_{chapter}",
                f"Score chapitre {chapter} (0–5)",
                "0–5",
                2,
                GROUPS["score_chapitre"].definition,
                f"mean(niveau) of the measures of chapter {chapter}, {_MATURITY}",
                INDEX,
                group="score_chapitre",
            )
        )
    figures += [
        Figure(
            "depense_ssi_mad",
            "Dépense de sécurité (MAD)",
            "MAD",
            0,
            "Somme des montants (montant_mad) des lignes du fichier de dépenses.",
            "sum(montant_mad) of the current spending lines (warehouse.benchmark._spending); "
            "0 for a current spending file without lines",
            MAD,
        ),
        Figure(
            "part_capex_pct",
            "Part d'investissement (%)",
            "%",
            1,
            "Dépenses d'investissement (capex) ÷ dépense de sécurité totale × 100.",
            "100 × sum(montant_mad where nature = capex) / depense_ssi_mad",
            PCT,
            ratio=Ratio("capex_mad", "depense_ssi_mad", 100),
        ),
        Figure(
            "part_budget_si_pct",
            "Part du budget informatique (%)",
            "%",
            1,
            "Dépense de sécurité ÷ budget informatique (budget_si_mad) × 100.",
            "100 × depense_ssi_mad / profile.budget_si_mad (null when 0 or missing)",
            PCT,
            ratio=Ratio("depense_ssi_mad", "budget_si_mad", 100),
        ),
        Figure(
            "part_si_budget_total_pct",
            "Part de l'informatique dans le budget total (%)",
            "%",
            1,
            "Budget informatique (budget_si_mad) ÷ budget total de l'établissement "
            "(budget_total_mad) × 100.",
            "100 × profile.budget_si_mad / profile.budget_total_mad",
            PCT,
            ratio=Ratio("budget_si_mad", "budget_total_mad", 100),
        ),
        Figure(
            "depense_par_lit_mad",
            "Dépense de sécurité par lit (MAD)",
            "MAD",
            0,
            "Dépense de sécurité ÷ nombre de lits (lits).",
            "depense_ssi_mad / profile.lits",
            MAD,
            ratio=Ratio("depense_ssi_mad", "lits"),
        ),
        Figure(
            "effectif_ssi_pour_100_si",
            "Effectif sécurité pour 100 informaticiens",
            "ETP",
            1,
            "Effectif sécurité (effectif_ssi) ÷ effectif informatique (effectif_si) × 100, en "
            "équivalents temps plein.",
            "100 × profile.effectif_ssi / profile.effectif_si",
            NUMBER,
            ratio=Ratio("effectif_ssi", "effectif_si", 100),
        ),
        Figure(
            "rang_maturite",
            "Rang de maturité",
            "rang",
            0,
            "1 = l'indice de maturité le plus élevé parmi les CHU de la campagne.",
            f"rank(method='min', descending) {_ALLIANCE}",
            INTEGER,
            sql_type="integer",
        ),
        Figure(
            "ecart_mediane_indice",
            "Écart à la médiane de l'alliance",
            "points",
            2,
            "Indice de maturité − médiane des indices de l'alliance la même année.",
            f"indice_maturite − median {_ALLIANCE}",
            INDEX,
        ),
        Figure(
            "evolution_indice",
            "Évolution de l'indice depuis la campagne précédente",
            "points",
            2,
            "Indice de maturité − indice de la campagne précédente du même CHU (vide pour une "
            "première campagne).",
            "indice_maturite − the same CHU's latest earlier indice_maturite",
            INDEX,
        ),
        Figure(
            "preparation_iso27001_pct",
            "Préparation ISO 27001 : contrôles de l'annexe A prêts (%)",
            "%",
            1,
            "Part des contrôles de l'annexe A d'ISO/IEC 27001:2022 qui sont prêts, parmi ceux "
            "auxquels correspond au moins une mesure applicable du CHU. Un contrôle est prêt "
            "quand toutes ses mesures applicables ont un niveau ≥ 3.",
            "100 × mean(pret) over the Annex A rows of the iso27001 table whose pret is not "
            "null (warehouse.iso.readiness_percentages)",
            PCT,
        ),
        Figure(
            "preparation_iso27001_clauses_pct",
            "Préparation ISO 27001 : clauses prêtes (%)",
            "%",
            1,
            "La même part, calculée sur les clauses d'ISO/IEC 27001:2022 (4 à 10) auxquelles "
            "correspond au moins une mesure applicable du CHU.",
            "100 × mean(pret) over the clause rows of the iso27001 table whose pret is not "
            "null (warehouse.iso.readiness_percentages)",
            PCT,
        ),
    ]
    return tuple(figures)


FIGURES: tuple[Figure, ...] = _figures()
FIGURES_BY_NAME: dict[str, Figure] = {f.name: f for f in FIGURES}
KEY_COLUMNS: tuple[str, ...] = ("chu", "annee")
BENCHMARK_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, *(f.name for f in FIGURES))


def figure(name: str) -> Figure:
    return FIGURES_BY_NAME[name]


def kpi_labels() -> dict[str, str]:
    """Column → French label, for every benchmark column (chu and annee included)."""
    return {"chu": "CHU", "annee": "Année", **{f.name: f.label for f in FIGURES}}


def definitions() -> dict[str, str]:
    """Key → French definition: every figure, the two score groups, and the other figures
    (alliance median, estimated savings) — ``dashboard.labels.FORMULAS``."""
    texts = {f.name: f.definition for f in FIGURES if f.group is None}
    texts.update({k: d.definition for k, d in GROUPS.items()})
    texts.update({k: d.definition for k, d in OTHER_DEFINITIONS.items()})
    return texts


def display_formats(names: Any = None) -> dict[str, str]:
    """Column → display format (for ``dashboard.formatting.format_table``)."""
    chosen = FIGURES if names is None else [FIGURES_BY_NAME[n] for n in names]
    return {f.name: f.display for f in chosen}


def format_figure(name: str, value: Any) -> str:
    """The value in French with its unit: ``1 234 MAD``, ``12,5 %``, ``2,35``; « — » when
    missing (the same text in the dashboard and the reports)."""
    from warehouse.charts import MISSING, french_number

    spec = FIGURES_BY_NAME[name]
    text = french_number(value, spec.decimals)
    if text == MISSING or spec.unit not in ("%", "MAD"):
        return text
    return f"{text}\u00a0{spec.unit}"


def definitions_table() -> list[dict[str, str]]:
    """One row per figure (scores grouped) for the Méthode page and the README:
    ``Indicateur, Colonne, Unité, Définition``."""
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for spec in FIGURES:
        if spec.group is not None:
            if spec.group in seen:
                continue
            seen.add(spec.group)
            group = GROUPS[spec.group]
            rows.append(
                {
                    "Indicateur": group.label,
                    "Colonne": group.column,
                    "Unité": "0–5",
                    "Définition": group.definition,
                }
            )
            continue
        rows.append(
            {
                "Indicateur": spec.label,
                "Colonne": spec.name,
                "Unité": spec.unit,
                "Définition": spec.definition,
            }
        )
    for other in OTHER_DEFINITIONS.values():
        rows.append(
            {
                "Indicateur": other.label,
                "Colonne": other.column,
                "Unité": "MAD" if other.column.endswith("_mad") else "—",
                "Définition": other.definition,
            }
        )
    return rows
