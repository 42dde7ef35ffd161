"""Plotly figures of the benchmark, shared by the dashboard and the HTML report.

Every builder is a pure function of DataFrames: no Streamlit, no database. The
caller passes data that is already fit to be shown — for a DSI user, its own CHU and
aggregates of the others (``dashboard.scoped``) — and the builders only ever put the
given columns into traces, labels and hover texts, never anything they would look up
themselves (no name, city or code of an establishment).

Plotly renders a subset of HTML in every text it draws (``<a href>``, ``<span style>``,
``<br>``…), and names come from the CHUs' files (a supplier, a solution): every label,
category, legend name, tick text and hover value goes through :func:`plain`, which turns
``<``, ``>`` and ``&`` into entities, so that the text is shown as written and never
becomes a link, a style or a request.

Numbers are French: ``layout.separators`` makes Plotly write ``1 234,5``, and the
few texts written in Python (annotations, reference lines) go through
:func:`french_number`, the single place that formats numbers for both the figures
and the dashboard (``dashboard/formatting.py`` builds on it).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go

# Decimal comma, then thousands separator (Plotly's `separators` layout attribute).
SEPARATORS = ", "
# French typography groups thousands with a narrow no-break space (U+202F).
THOUSANDS_SEPARATOR = "\u202f"
MISSING = "—"
LEVEL_RANGE = (0, 5)
FONT_FAMILY = "Source Sans Pro, Arial, sans-serif"
# A qualitative palette readable by most colour-blind people (Okabe–Ito, reordered).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
MEDIAN_COLOR = "#555555"
BAND_COLOR = "rgba(0,158,115,0.18)"
HIGHLIGHT_COLOR = "#D55E00"
BASE_COLOR = "#0072B2"


def plain(value: Any) -> str:
    """A text as Plotly must receive it to show it literally: ``<``, ``>`` and ``&`` become
    entities (the one escape of every label of this module)."""
    return html.escape(str(value), quote=False)


def is_missing(value: Any) -> bool:
    """None, NaN, pandas NA/NaT: a KPI whose inputs are missing."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def french_number(value: Any, decimals: int = 2) -> str:
    """``1234567.891`` → ``1 234 567,89`` (narrow no-break space, decimal comma); missing → ``—``."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if math.isinf(number):
        return MISSING
    # Half up on the decimal digits people read (2.675 → 2,68; 1234.5 → 1 235), not the
    # binary float's round-half-even.
    exact = Decimal(repr(number)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if exact == 0:
        exact = abs(exact)  # no "-0,00"
    text = f"{exact:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", THOUSANDS_SEPARATOR)


def apply_french_layout(
    fig: go.Figure,
    *,
    title: str | None = None,
    height: int | None = None,
    legend_title: str | None = None,
) -> go.Figure:
    """The shared look of every figure: French separators, font, margins, hover labels."""
    fig.update_layout(
        separators=SEPARATORS,
        font={"family": FONT_FAMILY, "size": 13},
        margin={"l": 10, "r": 10, "t": 60 if title else 30, "b": 10},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        legend={"title": {"text": legend_title or ""}},
        template="plotly_white",
    )
    if title:
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"})
    if height:
        fig.update_layout(height=height)
    return fig


def empty_figure(message: str = "Aucune donnée à afficher.") -> go.Figure:
    """A figure saying that there is nothing to show (never an exception on empty data)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 15}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply_french_layout(fig, height=250)


def _colors(labels: Sequence[str], highlight: str | None = None) -> list[str]:
    if highlight is None:
        return [BASE_COLOR] * len(labels)
    return [HIGHLIGHT_COLOR if label == highlight else BASE_COLOR for label in labels]


def _wrap(label: str, width: int = 16) -> str:
    """A long CHU name on several lines (``<br>``) so that axis labels stay horizontal.
    ``label`` is already :func:`plain`; the ``<br>`` added here are the only tags."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines) or label


def _wrap_category_axis(fig: go.Figure, labels: Sequence[str]) -> None:
    """Horizontal, wrapped tick labels; the data keeps the plain labels (hover, tests)."""
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(labels),
        ticktext=[_wrap(str(label)) for label in labels],
        tickangle=0,
        automargin=True,
    )


def _ranked(df: pd.DataFrame, value_column: str, label_column: str) -> pd.DataFrame:
    """Largest first, ties by label (never by input order, which is arbitrary)."""
    return df.sort_values([value_column, label_column], ascending=[False, True], kind="mergesort")


def _rows_with(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Rows where every given column has a value (a null KPI is left out, never drawn as 0)."""
    columns = list(columns)
    if df is None or df.empty or any(c not in df.columns for c in columns):
        return pd.DataFrame(columns=columns)
    return df.dropna(subset=columns)


def _ranked_bars(
    data: pd.DataFrame,
    value_column: str,
    label_column: str,
    *,
    highlight: str | None,
    value_format: str,
    value_label: str,
) -> tuple[go.Figure, list[float]]:
    """One bar per CHU, best first, its value printed above it and in the hover text
    (``value_format`` is a Plotly format such as ``%{y:.2f}``); ``data`` has no nulls."""
    data = _ranked(data, value_column, label_column)
    labels = [plain(v) for v in data[label_column].astype(str)]
    values = data[value_column].astype(float).tolist()
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=values,
            marker_color=_colors(labels, None if highlight is None else plain(highlight)),
            texttemplate=value_format,
            textposition="outside",
            hovertemplate=f"%{{x}}<br>{plain(value_label)} : {value_format}<extra></extra>",
            showlegend=False,
            name=plain(value_label),
        )
    )
    fig.update_xaxes(title="")
    _wrap_category_axis(fig, labels)
    return fig, values


# --- Overview -------------------------------------------------------------------------------


def maturity_bar_chart(
    df: pd.DataFrame,
    *,
    median: float | None = None,
    label_column: str = "chu",
    value_column: str = "indice_maturite",
    highlight: str | None = None,
    title: str | None = "Indice de maturité par CHU",
    value_label: str = "Indice de maturité (0–5)",
) -> go.Figure:
    """Bars of the maturity index, best first, with the alliance median as a dashed line."""
    data = _rows_with(df, [label_column, value_column])
    if data.empty:
        return empty_figure()
    fig, _ = _ranked_bars(
        data,
        value_column,
        label_column,
        highlight=highlight,
        value_format="%{y:.2f}",
        value_label=value_label,
    )
    if not is_missing(median):
        # The line across the plot; its value in the legend, where it covers no bar label.
        fig.add_hline(y=float(median), line_dash="dash", line_color=MEDIAN_COLOR)
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"color": MEDIAN_COLOR, "dash": "dash"},
                name=f"Médiane de l'alliance : {french_number(median)}",
                showlegend=True,
                hoverinfo="skip",
            )
        )
        fig.update_layout(legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.08})
    fig.update_yaxes(range=[0, 5.4], title=value_label)
    return apply_french_layout(fig, title=title, height=420)


# --- Maturity -------------------------------------------------------------------------------


def csf_radar_chart(
    scores: pd.DataFrame,
    function_names: Mapping[str, str],
    *,
    median_scores: Mapping[str, float] | None = None,
    label_column: str = "chu",
    title: str | None = "Maturité par fonction NIST CSF 2.0",
    median_label: str = "Médiane de l'alliance",
) -> go.Figure:
    """One closed polygon per row of ``scores`` (columns ``score_<GV..RC>``) and the median."""
    codes = list(function_names)
    theta = [plain(f"{function_names[c]} ({c})") for c in codes]
    columns = [f"score_{c}" for c in codes]
    fig = go.Figure()
    rows = scores if scores is not None and all(c in scores.columns for c in columns) else None
    if rows is not None:
        for index, (_, row) in enumerate(rows.iterrows()):
            values = [None if is_missing(row[c]) else float(row[c]) for c in columns]
            if all(v is None for v in values):
                continue
            fig.add_trace(
                go.Scatterpolar(
                    r=values + values[:1],
                    theta=theta + theta[:1],
                    name=plain(row[label_column]),
                    mode="lines+markers",
                    line={"color": PALETTE[index % len(PALETTE)], "width": 2},
                    hovertemplate="%{fullData.name}<br>%{theta} : %{r:.2f}<extra></extra>",
                )
            )
    if median_scores:
        values = [
            None if is_missing(median_scores.get(c)) else float(median_scores[c]) for c in codes
        ]
        fig.add_trace(
            go.Scatterpolar(
                r=values + values[:1],
                theta=theta + theta[:1],
                name=plain(median_label),
                mode="lines",
                line={"color": MEDIAN_COLOR, "dash": "dash", "width": 2},
                hovertemplate="%{fullData.name}<br>%{theta} : %{r:.2f}<extra></extra>",
            )
        )
    if not fig.data:
        return empty_figure()
    fig.update_layout(
        polar={"radialaxis": {"range": list(LEVEL_RANGE), "dtick": 1, "angle": 90}},
        showlegend=True,
    )
    return apply_french_layout(fig, title=title, height=480)


def chapter_heatmap(
    df: pd.DataFrame,
    chapter_titles: Mapping[int, str],
    *,
    label_column: str = "chu",
    title: str | None = "Niveau moyen par chapitre de la DNSSI",
) -> go.Figure:
    """CHU × DNSSI chapter heatmap of ``score_chapitre_<n>``; chapter titles in the hover."""
    chapters = sorted(chapter_titles)
    columns = [f"score_chapitre_{c}" for c in chapters]
    if df is None or df.empty or any(c not in df.columns for c in columns + [label_column]):
        return empty_figure()
    labels = [plain(v) for v in df[label_column].astype(str)]
    z = [[None if is_missing(v) else float(v) for v in row] for row in df[columns].to_numpy()]
    if all(v is None for row in z for v in row):
        return empty_figure()
    x = [f"Ch. {c}" for c in chapters]
    titles = [[plain(chapter_titles[c].capitalize()) for c in chapters] for _ in labels]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=labels,
            customdata=titles,
            zmin=LEVEL_RANGE[0],
            zmax=LEVEL_RANGE[1],
            colorscale="RdYlGn",
            texttemplate="%{z:.1f}",
            hovertemplate=(
                "%{y}<br>%{x} — %{customdata}<br>Niveau moyen : %{z:.2f}<extra></extra>"
            ),
            colorbar={"title": {"text": "Niveau"}},
            hoverongaps=False,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    return apply_french_layout(fig, title=title, height=max(300, 80 + 45 * len(labels)))


def trend_chart(
    df: pd.DataFrame,
    *,
    median: pd.DataFrame | None = None,
    label_column: str = "chu",
    value_column: str = "indice_maturite",
    title: str | None = "Évolution de l'indice de maturité",
    value_label: str = "Indice de maturité (0–5)",
    band: pd.DataFrame | None = None,
    median_label: str = "Médiane de l'alliance",
    band_label: str = "Étendue de l'alliance (min–max)",
) -> go.Figure:
    """A line per label over campaigns, the alliance median (``annee``, ``value``) dashed, and
    optionally the alliance min–max ``band`` (``annee``, ``min``, ``max``) shaded."""
    data = _rows_with(df, [label_column, "annee", value_column])
    fig = go.Figure()
    if band is not None and not band.empty:
        band = band.sort_values("annee")
        years = band["annee"].astype(int).tolist()
        fig.add_trace(
            go.Scatter(
                x=years + years[::-1],
                y=band["max"].astype(float).tolist() + band["min"].astype(float).tolist()[::-1],
                fill="toself",
                mode="lines",
                fillcolor="rgba(120,120,120,0.15)",
                line={"width": 0},
                name=plain(band_label),
                hoverinfo="skip",
            )
        )
    for index, (label, group) in enumerate(data.groupby(label_column, sort=True)):
        group = group.sort_values("annee")
        fig.add_trace(
            go.Scatter(
                x=group["annee"].astype(int).tolist(),
                y=group[value_column].astype(float).tolist(),
                mode="lines+markers",
                name=plain(label),
                line={"color": PALETTE[index % len(PALETTE)], "width": 2},
                hovertemplate="%{fullData.name}<br>%{x} : %{y:.2f}<extra></extra>",
            )
        )
    if median is not None and not median.empty:
        median = median.sort_values("annee")
        fig.add_trace(
            go.Scatter(
                x=median["annee"].astype(int).tolist(),
                y=median["value"].astype(float).tolist(),
                mode="lines+markers",
                name=plain(median_label),
                line={"color": MEDIAN_COLOR, "dash": "dash", "width": 2},
                hovertemplate="%{fullData.name}<br>%{x} : %{y:.2f}<extra></extra>",
            )
        )
    if not fig.data:
        return empty_figure()
    fig.update_xaxes(title="Campagne", dtick=1, tickformat="d")
    fig.update_yaxes(title=value_label, range=[0, 5.2])
    return apply_french_layout(fig, title=title, height=420)


# --- Investments ----------------------------------------------------------------------------


def _short_reference_label(reference: Any) -> str:
    value = (
        f"{french_number(reference.valeur_min, 1)} %"
        if reference.valeur_min == reference.valeur_max
        else f"{french_number(reference.valeur_min, 0)}–{french_number(reference.valeur_max, 0)} %"
    )
    return plain(f"{reference.source} ({reference.annee_source}) : {value}")


def ratio_chart(
    df: pd.DataFrame,
    value_column: str,
    *,
    references: Sequence[Any] = (),
    label_column: str = "chu",
    highlight: str | None = None,
    title: str | None = None,
    value_label: str = "",
    decimals: int = 1,
    suffix: str = " %",
) -> go.Figure:
    """Bars of one KPI per CHU with published reference figures: a dashed line for a single
    value (``valeur_min == valeur_max``), a shaded band for a range. ``references`` are
    ``SpendingReference`` objects (``load_reference().spending_references``)."""
    data = _rows_with(df, [label_column, value_column])
    if data.empty:
        return empty_figure()
    fig, values = _ranked_bars(
        data,
        value_column,
        label_column,
        highlight=highlight,
        value_format=f"%{{y:,.{decimals}f}}{suffix}",
        value_label=value_label,
    )
    top = max(values)
    dash_styles = ("dash", "dot", "dashdot", "longdash")
    line_index = 0
    for reference in references:
        # The line or band spans the whole plot (a shape); its label goes to the legend
        # (an empty trace drawn the same way), where it never covers a bar.
        label = _short_reference_label(reference)
        top = max(top, float(reference.valeur_max))
        if reference.valeur_min == reference.valeur_max:
            dash = dash_styles[line_index % len(dash_styles)]
            fig.add_hline(y=float(reference.valeur_min), line_dash=dash, line_color=MEDIAN_COLOR)
            legend_entry = go.Scatter(
                x=[None], y=[None], mode="lines", line={"color": MEDIAN_COLOR, "dash": dash}
            )
            line_index += 1
        else:
            fig.add_hrect(
                y0=float(reference.valeur_min),
                y1=float(reference.valeur_max),
                fillcolor=BAND_COLOR,
                line_width=0,
                layer="below",
            )
            legend_entry = go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"symbol": "square", "size": 14, "color": BAND_COLOR},
            )
        fig.add_trace(legend_entry.update(name=label, showlegend=True, hoverinfo="skip"))
    if references:
        fig.update_layout(
            legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
            margin={"b": 40 + 22 * len(references)},
        )
    fig.update_yaxes(title=value_label, range=[0, top * 1.2 if top > 0 else 1])
    return apply_french_layout(fig, title=title, height=440)


def amount_bar_chart(
    df: pd.DataFrame,
    value_column: str,
    *,
    label_column: str = "chu",
    highlight: str | None = None,
    title: str | None = None,
    value_label: str = "",
    unit: str = "MAD",
) -> go.Figure:
    """Bars of an amount per CHU (e.g. spend per bed), largest first."""
    data = _rows_with(df, [label_column, value_column])
    if data.empty:
        return empty_figure()
    fig, _ = _ranked_bars(
        data,
        value_column,
        label_column,
        highlight=highlight,
        value_format=f"%{{y:,.0f}} {unit}",
        value_label=value_label,
    )
    fig.update_yaxes(title=f"{value_label} ({unit})", tickformat=",.0f", rangemode="tozero")
    return apply_french_layout(fig, title=title, height=420)


def capex_opex_chart(
    df: pd.DataFrame,
    *,
    label_column: str = "chu",
    title: str | None = "Répartition investissement / fonctionnement",
) -> go.Figure:
    """100 % stacked bars from ``part_capex_pct`` (opex is the complement)."""
    data = _rows_with(df, [label_column, "part_capex_pct"])
    if data.empty:
        return empty_figure()
    data = _ranked(data, "part_capex_pct", label_column)
    labels = [plain(v) for v in data[label_column].astype(str)]
    capex = data["part_capex_pct"].astype(float)
    fig = go.Figure()
    for name, values, color in (
        ("Investissement (capex)", capex, PALETTE[0]),
        ("Fonctionnement (opex)", 100 - capex, PALETTE[1]),
    ):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=values.tolist(),
                name=name,
                marker_color=color,
                texttemplate="%{y:.0f} %",
                textposition="inside",
                hovertemplate="%{x}<br>" + name + " : %{y:.1f} %<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="Part de la dépense SSI (%)", range=[0, 100])
    _wrap_category_axis(fig, labels)
    return apply_french_layout(fig, title=title, height=420)


def category_mix_chart(
    df: pd.DataFrame,
    *,
    category_labels: Mapping[str, str],
    label_column: str = "chu",
    value_column: str = "montant_mad",
    as_share: bool = False,
    title: str | None = "Dépense SSI par catégorie",
) -> go.Figure:
    """Stacked bars per CHU by spending category. ``df``: label, ``categorie``, value (summed
    here over natures). ``as_share`` shows each CHU's mix in % of its own spend."""
    data = _rows_with(df, [label_column, "categorie", value_column])
    if data.empty:
        return empty_figure()
    totals = data.groupby([label_column, "categorie"], sort=False)[value_column].sum().unstack()
    totals = totals.fillna(0.0)
    if as_share:
        row_sums = totals.sum(axis=1).replace(0, float("nan"))
        totals = totals.div(row_sums, axis=0).mul(100).fillna(0.0)
    order = totals.sum(axis=1).rename("total").reset_index()
    order = _ranked(order.assign(label=order[label_column].astype(str)), "total", "label")
    totals = totals.loc[order[label_column].tolist()]
    ordered = [c for c in category_labels if c in totals.columns] + [
        c for c in totals.columns if c not in category_labels
    ]
    labels = [plain(x) for x in totals.index]
    fig = go.Figure()
    for index, category in enumerate(ordered):
        name = plain(category_labels.get(category, str(category)))
        value_text = "%{y:.1f} %" if as_share else "%{y:,.0f} MAD"
        fig.add_trace(
            go.Bar(
                x=labels,
                y=totals[category].astype(float).tolist(),
                name=name,
                marker_color=PALETTE[index % len(PALETTE)],
                hovertemplate="%{x}<br>" + name + " : " + value_text + "<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(
        title="Part de la dépense SSI (%)" if as_share else "Dépense SSI (MAD)",
        tickformat=".0f" if as_share else ",.0f",
    )
    _wrap_category_axis(fig, labels)
    return apply_french_layout(fig, title=title, height=440, legend_title="Catégorie")


def maturity_vs_spend_chart(
    df: pd.DataFrame,
    *,
    label_column: str = "chu",
    x_column: str = "depense_par_lit_mad",
    y_column: str = "indice_maturite",
    highlight: str | None = None,
    title: str | None = "Maturité et dépense SSI par lit",
    medians: tuple[float | None, float | None] | None = None,
) -> go.Figure:
    """Scatter of maturity vs spend per bed: up and left = more maturity per dirham."""
    data = _rows_with(df, [label_column, x_column, y_column])
    if data.empty:
        return empty_figure()
    labels = [plain(v) for v in data[label_column].astype(str)]
    x = data[x_column].astype(float)
    y = data[y_column].astype(float)
    fig = go.Figure(
        go.Scatter(
            x=x.tolist(),
            y=y.tolist(),
            text=labels,
            mode="markers+text",
            textposition="top center",
            marker={
                "size": 14,
                "color": _colors(labels, None if highlight is None else plain(highlight)),
            },
            hovertemplate=(
                "%{text}<br>Dépense SSI par lit : %{x:,.0f} MAD"
                "<br>Indice de maturité : %{y:.2f}<extra></extra>"
            ),
            showlegend=False,
        )
    )
    # A DSI's chart holds its own point only: the medians (of the other CHUs) come apart.
    median_x = float(x.median()) if medians is None else medians[0]
    median_y = float(y.median()) if medians is None else medians[1]
    if not is_missing(median_x):
        fig.add_vline(x=float(median_x), line_dash="dot", line_color=MEDIAN_COLOR)
    if not is_missing(median_y):
        fig.add_hline(
            y=float(median_y),
            line_dash="dot",
            line_color=MEDIAN_COLOR,
            annotation_text="médianes",
            annotation_position="bottom right",
        )
    fig.update_xaxes(title="Dépense SSI par lit (MAD)", tickformat=",.0f", rangemode="tozero")
    fig.update_yaxes(title="Indice de maturité (0–5)", range=[0, 5.2])
    return apply_french_layout(fig, title=title, height=460)


# --- Pooling --------------------------------------------------------------------------------

POOLING_TYPE_LABELS = {"solution": "Solution", "fournisseur": "Fournisseur"}


def pooling_chart(
    df: pd.DataFrame,
    *,
    top: int = 10,
    title: str | None = "Principales opportunités de mutualisation",
) -> go.Figure:
    """Horizontal bars of the estimated saving (``economie_estimee_mad``) of the top
    opportunities; the hover gives the total, the number of CHUs and their (presented) list."""
    needed = ["type", "nom", "nb_chu", "chus", "total_mad", "economie_estimee_mad"]
    data = _rows_with(df, needed)
    if data.empty:
        return empty_figure("Aucune opportunité de mutualisation.")
    data = data.sort_values(["economie_estimee_mad", "nom"], ascending=[False, True]).head(top)
    data = data.iloc[::-1]  # largest at the top of a horizontal bar chart
    fig = go.Figure()
    for index, (kind, group) in enumerate(data.groupby("type", sort=True)):
        name = POOLING_TYPE_LABELS.get(str(kind), str(kind))
        chus = group["chus"].map(
            lambda v: plain(", ".join(v) if isinstance(v, list | tuple) else str(v))
        )
        fig.add_trace(
            go.Bar(
                y=[plain(f"{n} ({name.lower()})") for n in group["nom"].astype(str)],
                x=group["economie_estimee_mad"].astype(float).tolist(),
                orientation="h",
                name=name,
                marker_color=PALETTE[index % len(PALETTE)],
                customdata=list(
                    zip(
                        group["total_mad"].astype(float),
                        group["nb_chu"].astype(int),
                        chus,
                        strict=True,
                    )
                ),
                hovertemplate=(
                    "%{y}<br>Économie estimée : %{x:,.0f} MAD"
                    "<br>Dépense totale : %{customdata[0]:,.0f} MAD"
                    "<br>%{customdata[1]} CHU : %{customdata[2]}<extra></extra>"
                ),
            )
        )
    return _pooling_layout(fig, data, "Économie estimée (MAD)", title)


def _pooling_layout(
    fig: go.Figure, data: pd.DataFrame, x_title: str, title: str | None
) -> go.Figure:
    """The layout both pooling charts share: one bar per item in ``data``'s order, labelled
    « nom (type) » as text (names come from files), amounts in MAD."""
    order = [
        plain(f"{n} ({POOLING_TYPE_LABELS.get(str(t), str(t)).lower()})")
        for n, t in zip(data["nom"], data["type"], strict=True)
    ]
    fig.update_yaxes(categoryorder="array", categoryarray=order, title="")
    fig.update_xaxes(title=x_title, tickformat=",.0f")
    return apply_french_layout(
        fig, title=title, height=max(320, 80 + 32 * len(data)), legend_title="Type"
    )


def own_pooling_chart(
    df: pd.DataFrame,
    *,
    top: int = 15,
    title: str | None = "Vos achats partagés avec d'autres CHU",
) -> go.Figure:
    """A DSI's pooling: horizontal bars of its own spend (``montant_chu_mad``) on the items
    that other CHUs buy too; the hover gives the number of CHUs and the total of every CHU
    when it is published (``total_mad``), else « secret statistique »."""
    data = _rows_with(df, ["type", "nom", "nb_chu", "montant_chu_mad"])
    if data.empty:
        return empty_figure("Aucun achat partagé publiable.")
    data = data.sort_values(["montant_chu_mad", "nom"], ascending=[False, True]).head(top)
    data = data.iloc[::-1]
    fig = go.Figure()
    for index, (kind, group) in enumerate(data.groupby("type", sort=True)):
        name = POOLING_TYPE_LABELS.get(str(kind), str(kind))
        totals = [
            "secret statistique" if is_missing(v) else f"{french_number(v, 0)} MAD"
            for v in group.get("total_mad", pd.Series([None] * len(group)))
        ]
        fig.add_trace(
            go.Bar(
                y=[plain(f"{n} ({name.lower()})") for n in group["nom"].astype(str)],
                x=group["montant_chu_mad"].astype(float).tolist(),
                orientation="h",
                name=name,
                marker_color=PALETTE[index % len(PALETTE)],
                customdata=list(zip(group["nb_chu"].astype(int), totals, strict=True)),
                hovertemplate=(
                    "%{y}<br>Votre dépense : %{x:,.0f} MAD"
                    "<br>Acheté par %{customdata[0]} CHU"
                    "<br>Dépense de tous ces CHU : %{customdata[1]}<extra></extra>"
                ),
            )
        )
    return _pooling_layout(fig, data, "Dépense de votre CHU (MAD)", title)


# --- A DSI's CHU against the other CHUs ----------------------------------------------------

OWN_LABEL = "Votre CHU"
PEER_MEDIAN_LABEL = "Médiane des autres CHU"
PEER_QUARTILES_LABEL = "Autres CHU : 1er–3e quartile"
PEER_RANGE_LABEL = "Autres CHU : minimum–maximum"
SECRET_LABEL = "secret statistique"


def peer_position_chart(
    df: pd.DataFrame,
    *,
    label_column: str = "libelle",
    title: str | None = None,
    value_label: str = "",
    decimals: int = 2,
    suffix: str = "",
    value_range: Sequence[float] | None = None,
    references: Sequence[Any] = (),
) -> go.Figure:
    """One row per figure (``label_column``): the other CHUs' minimum–maximum as a thin bar,
    their quartiles as a thick one, their median as a tick, and the viewer's own value
    (``valeur_chu``) as a diamond. A row whose statistics are secret (``diffusion``) says
    « secret statistique » in its label and draws the own value only. Columns: those of
    ``dashboard.scoped.ScopedData.comparison``. ``references`` (published figures) are
    drawn as vertical lines or bands, as in :func:`ratio_chart`."""
    if df is None or df.empty or label_column not in df.columns:
        return empty_figure()
    data = df.reset_index(drop=True)
    secret = data.get("diffusion", pd.Series([""] * len(data))).eq(SECRET_LABEL)
    labels = [
        plain(f"{label} ({SECRET_LABEL})" if is_secret else str(label))
        for label, is_secret in zip(data[label_column], secret, strict=True)
    ]

    def column(name: str) -> list[float | None]:
        if name not in data.columns:
            return [None] * len(data)
        return [None if is_missing(v) else float(v) for v in data[name]]

    low, high = column("min_autres"), column("max_autres")
    q1, q3, median, own = (
        column("q1_autres"),
        column("q3_autres"),
        column("mediane_autres"),
        column("valeur_chu"),
    )
    number = f":,.{decimals}f"
    fig = go.Figure()
    for name, start, end, width, color in (
        (PEER_RANGE_LABEL, low, high, 0.12, "rgba(85,85,85,0.55)"),
        (PEER_QUARTILES_LABEL, q1, q3, 0.5, "rgba(0,114,178,0.35)"),
    ):
        rows = [i for i in range(len(data)) if start[i] is not None and end[i] is not None]
        if not rows:
            continue
        fig.add_trace(
            go.Bar(
                y=[labels[i] for i in rows],
                x=[end[i] - start[i] for i in rows],
                base=[start[i] for i in rows],
                customdata=[[start[i], end[i]] for i in rows],
                orientation="h",
                width=width,
                marker_color=color,
                name=plain(name),
                hovertemplate=(
                    f"%{{y}}<br>{plain(name)} : %{{customdata[0]{number}}}{suffix} à "
                    f"%{{customdata[1]{number}}}{suffix}<extra></extra>"
                ),
            )
        )
    for name, values, marker in (
        (
            PEER_MEDIAN_LABEL,
            median,
            {"symbol": "line-ns-open", "size": 22, "color": MEDIAN_COLOR, "line": {"width": 3}},
        ),
        (OWN_LABEL, own, {"symbol": "diamond", "size": 14, "color": HIGHLIGHT_COLOR}),
    ):
        rows = [i for i in range(len(data)) if values[i] is not None]
        if not rows:
            continue
        fig.add_trace(
            go.Scatter(
                y=[labels[i] for i in rows],
                x=[values[i] for i in rows],
                mode="markers",
                marker=marker,
                name=plain(name),
                hovertemplate=f"%{{y}}<br>{plain(name)} : %{{x{number}}}{suffix}<extra></extra>",
            )
        )
    if not fig.data:
        return empty_figure("Aucune valeur publiable pour votre CHU ni pour les autres CHU.")
    for reference in references:
        if reference.valeur_min == reference.valeur_max:
            fig.add_vline(x=float(reference.valeur_min), line_dash="dash", line_color=MEDIAN_COLOR)
            entry = go.Scatter(
                x=[None], y=[None], mode="lines", line={"color": MEDIAN_COLOR, "dash": "dash"}
            )
        else:
            fig.add_vrect(
                x0=float(reference.valeur_min),
                x1=float(reference.valeur_max),
                fillcolor=BAND_COLOR,
                line_width=0,
                layer="below",
            )
            entry = go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"symbol": "square", "size": 14, "color": BAND_COLOR},
            )
        fig.add_trace(
            entry.update(name=_short_reference_label(reference), showlegend=True, hoverinfo="skip")
        )
    # The legend to the right: below the plot it would cover the axis title.
    fig.update_layout(
        barmode="overlay",
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"},
    )
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title="", automargin=True)
    fig.update_xaxes(title=plain(value_label), tickformat=f",.{min(decimals, 2)}f")
    if value_range is not None:
        fig.update_xaxes(range=list(value_range))
    legend_rows = 4 + len(references)
    height = max(140 + 44 * len(data), 80 + 24 * legend_rows)
    fig = apply_french_layout(fig, title=title, height=height)
    fig.update_layout(legend={"title": {"text": ""}})
    return fig
