"""A small hand-made alliance for the ISO readiness, action plan and joint-project tests.

Seven measures, each mapped to ISO 27001:2022 items (``a.5.1`` in lower case on purpose: the
referential mixes cases); five CHUs with NA answers and missing targets. The expected values
in the tests are computed by hand from these rows (see each test)."""

from __future__ import annotations

import pandas as pd

NA = None

MEASURES = pd.DataFrame(
    {
        "mesure_id": ["M1", "M2", "M3", "M4", "M5", "M6", "M7"],
        "chapitre": [1, 1, 2, 2, 3, 3, 3],
        "fonction_csf": ["GV", "ID", "PR", "GV", "PR", "PR", "DE"],
        "titre": [
            "Politique",
            "Inventaire",
            "Correctifs",
            "Risques",
            "Sauvegarde",
            "Locaux",
            "Journaux",
        ],
        "iso27001": ["A.5.1 5.2", "a.5.1 A.8.8", "A.8.8", "6.1.2", "", "A.7.1", "A.8.8 9.1"],
    }
)

# (niveau, cible) per measure M1..M7; NA = not applicable.
LEVELS: dict[tuple[str, int], list[tuple[int | None, int | None]]] = {
    ("A", 2024): [(3, 4), (NA, NA), (2, 2), (NA, NA), (0, NA), (5, NA), (1, 2)],
    ("B", 2024): [(4, NA), (3, NA), (5, NA), (1, NA), (4, NA), (NA, NA), (4, NA)],
    ("C", 2024): [(NA, NA)] * 7,
    ("D", 2024): [(2, NA), (2, NA), (4, NA), (3, NA), (1, NA), (0, NA), (0, NA)],
    ("E", 2024): [(NA, NA), (NA, NA), (NA, NA), (NA, NA), (1, NA), (NA, NA), (NA, NA)],
}
# A's 2023 file answers two measures only (the others are missing, not NA).
PARTIAL_2023 = [("A", 2023, "M1", 4, NA), ("A", 2023, "M3", 4, NA)]


def answers() -> pd.DataFrame:
    rows = [
        (chu, annee, f"M{i + 1}", niveau, cible)
        for (chu, annee), levels in LEVELS.items()
        for i, (niveau, cible) in enumerate(levels)
    ] + PARTIAL_2023
    frame = pd.DataFrame(rows, columns=["chu", "annee", "mesure_id", "niveau", "cible"])
    frame["niveau"] = pd.array(frame["niveau"].tolist(), dtype="Int64")
    frame["cible"] = pd.array(frame["cible"].tolist(), dtype="Int64")
    frame["submission_id"] = 1
    return frame


def spending() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chu": ["B", "B", "B", "A"],
            "annee": [2024, 2024, 2024, 2024],
            "nature": ["opex", "capex", "opex", "opex"],
            "montant_mad": [100.0, 200.0, 50.0, 999.0],
            "fonction_csf": ["PR", "pr", "GV", "PR"],
        }
    )
