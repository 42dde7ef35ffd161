"""Figures of the ISO 27001 readiness (dashboard page and CHU report): the same look as
``warehouse.charts`` (its layout, palette and escaping), every label through ``plain``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from warehouse.charts import (
    BASE_COLOR,
    MEDIAN_COLOR,
    apply_french_layout,
    empty_figure,
    is_missing,
    plain,
)
from warehouse.iso import THEME_LABELS, THEMES

THEME_COLUMNS = tuple(f"preparation_{t}_pct" for t in THEMES)


def readiness_heatmap(
    frame: pd.DataFrame,
    *,
    label_column: str = "chu",
    title: str | None = "Contrôles de l'annexe A prêts, par thème (%)",
) -> go.Figure:
    """CHU × ISO theme heatmap of the share of Annex A controls prêts (0–100 %)."""
    needed = [label_column, *THEME_COLUMNS]
    if frame is None or frame.empty or any(c not in frame.columns for c in needed):
        return empty_figure()
    labels = [plain(v) for v in frame[label_column].astype(str)]
    z = [
        [None if is_missing(v) else float(v) for v in row]
        for row in frame[list(THEME_COLUMNS)].to_numpy()
    ]
    if all(v is None for row in z for v in row):
        return empty_figure()
    x = [plain(THEME_LABELS[t]) for t in THEMES]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=labels,
            zmin=0,
            zmax=100,
            colorscale="RdYlGn",
            texttemplate="%{z:.0f} %",
            hovertemplate="%{y}<br>%{x} : %{z:.1f} % des contrôles prêts<extra></extra>",
            colorbar={"title": {"text": "% prêts"}},
            hoverongaps=False,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    return apply_french_layout(fig, title=title, height=max(280, 80 + 45 * len(labels)))


def own_readiness_chart(
    own: Mapping[str, float | None],
    peer_medians: Mapping[str, float | None],
    *,
    title: str | None = "Votre préparation par thème et la médiane des autres CHU",
) -> go.Figure:
    """Bars of the DSI's own share per theme, with the other CHUs' median where published."""
    values = [own.get(c) for c in THEME_COLUMNS]
    if all(is_missing(v) for v in values):
        return empty_figure()
    x = [plain(THEME_LABELS[t]) for t in THEMES]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=[None if is_missing(v) else float(v) for v in values],
            name="Votre CHU",
            marker_color=BASE_COLOR,
            hovertemplate="%{x} : %{y:.1f} %<extra>Votre CHU</extra>",
        )
    )
    medians = [peer_medians.get(c) for c in THEME_COLUMNS]
    if any(not is_missing(v) for v in medians):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[None if is_missing(v) else float(v) for v in medians],
                mode="markers",
                name="Médiane des autres CHU",
                marker={
                    "symbol": "line-ew-open",
                    "size": 30,
                    "color": MEDIAN_COLOR,
                    "line": {"width": 3},
                },
                hovertemplate="%{x} : %{y:.1f} %<extra>Médiane des autres CHU</extra>",
            )
        )
    fig.update_yaxes(range=[0, 100], title={"text": "% des contrôles prêts"})
    return apply_french_layout(fig, title=title, height=380)


def blocking_chart(
    frame: pd.DataFrame,
    *,
    value_column: str,
    label_columns: Sequence[str] = ("mesure_id", "titre"),
    top: int = 15,
    title: str | None = None,
    value_label: str = "Contrôles bloqués",
) -> go.Figure:
    """Horizontal bars: the measures that block the most Annex A controls."""
    if frame is None or frame.empty:
        return empty_figure("Aucune mesure ne bloque de contrôle.")
    shown = frame.head(top).iloc[::-1]
    labels = [
        plain(" — ".join(str(row[c]) for c in label_columns if not is_missing(row[c])))
        for _, row in shown.iterrows()
    ]
    fig = go.Figure(
        go.Bar(
            x=shown[value_column].astype(float).tolist(),
            y=labels,
            orientation="h",
            marker_color=BASE_COLOR,
            hovertemplate=f"%{{y}}<br>{plain(value_label)} : %{{x:.0f}}<extra></extra>",
        )
    )
    fig.update_xaxes(title={"text": plain(value_label)}, dtick=1)
    return apply_french_layout(fig, title=title, height=max(300, 60 + 28 * len(shown)))
