"""A small hand-made alliance for the ISO readiness, action plan and joint-project tests.

Seven measures, each mapped to ISO 27001:2022 items (``a.5.1`` in lower case on purpose: the
referential mixes cases); five CHUs with NA answers and missing targets. The expected values
in the tests are computed by hand from these rows (see each test)."""

from __future__ import annotations

import csv
import io
import re
import statistics
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

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


# --- an independent computation of the issue 9 definitions, from the raw sample files ----------
# Plain Python on the CSV files (no pandas, no project code): what the CLI's exports must equal.

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
REJECTED_MATURITY = {("MAR", 2024)}  # data/sample/README.md: broken on purpose


def r2(value: float) -> float:
    return float(Decimal(repr(round(value, 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _raw_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    return [dict(zip(header, (c.strip() for c in r), strict=False)) for r in rows[1:] if any(r)]


def sample_answers() -> dict[tuple[str, int], dict[str, tuple[int | None, int | None]]]:
    """(chu, annee) → mesure_id → (niveau or None for NA, cible or None), current files only."""
    out: dict[tuple[str, int], dict[str, tuple[int | None, int | None]]] = {}
    for path in sorted(SAMPLE_DIR.glob("*/maturite_*.csv")):
        chu = path.parent.name
        annee = int(path.stem.rsplit("_", 1)[1])
        if (chu, annee) in REJECTED_MATURITY:
            continue
        levels = {}
        for row in _raw_rows(path):
            niveau = None if row["niveau"].upper() == "NA" else int(row["niveau"])
            cible = int(row["cible"]) if row.get("cible") else None
            levels[row["mesure_id"]] = (niveau, cible)
        out[(chu, annee)] = levels
    return out


def referential() -> list[dict[str, str]]:
    with (REFERENCE_DIR / "referentiel_dnssi_2023.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def iso_items_of(row: dict[str, str]) -> list[str]:
    return ["A" + t[1:] if t.lower().startswith("a.") else t for t in row["iso27001_2022"].split()]


def annex_a_themes() -> dict[str, str]:
    with (PROJECT_ROOT.parent / "shared" / "reference" / "iso27001-2022-annexe-a.csv").open(
        encoding="utf-8-sig"
    ) as handle:
        return {r["iso_id"]: r["theme"] for r in csv.DictReader(handle)}


def independent_iso_table(annee: int) -> dict[tuple[str, str], dict]:
    """(chu, iso_id) → the row the issue 9 definition gives."""
    measures_of: dict[str, list[str]] = {}
    for row in referential():
        for item in iso_items_of(row):
            measures_of.setdefault(item, []).append(row["mesure_id"])
    themes = annex_a_themes()
    items = list(themes) + sorted(
        {i for i in measures_of if not i.startswith("A.")},
        key=lambda i: [int(p) for p in i.split(".")],
    )
    table = {}
    for (chu, year), levels in sample_answers().items():
        if year != annee:
            continue
        for item in items:
            mapped = measures_of.get(item, [])
            applicable = [levels[m][0] for m in mapped if m in levels and levels[m][0] is not None]
            table[(chu, item)] = {
                "type": "annexe_a" if item.startswith("A.") else "clause",
                "theme": themes.get(item),
                "couvert": bool(mapped),
                "mesures": mapped,
                "niveau_moyen": r2(statistics.mean(applicable)) if applicable else None,
                "pret": all(v >= 3 for v in applicable) if applicable else None,
            }
    return table


def independent_percentages(annee: int) -> dict[str, tuple[float | None, float | None]]:
    table = independent_iso_table(annee)
    out: dict[str, list[list[bool]]] = {}
    for (chu, _item), row in table.items():
        lists = out.setdefault(chu, [[], []])
        if row["pret"] is not None:
            lists[0 if row["type"] == "annexe_a" else 1].append(row["pret"])
    return {
        chu: tuple(r2(100 * sum(v) / len(v)) if v else None for v in lists)  # type: ignore[misc]
        for chu, lists in out.items()
    }


def independent_joint_projects(min_chu: int) -> list[dict]:
    functions = {r["mesure_id"]: r["fonction_csf"] for r in referential()}
    low: dict[tuple[int, str], list[str]] = {}
    for (chu, annee), levels in sample_answers().items():
        for mesure, (niveau, _cible) in levels.items():
            if niveau in (0, 1):
                low.setdefault((annee, mesure), []).append(chu)
    rows = [
        {
            "annee": a,
            "mesure_id": m,
            "fonction_csf": functions[m],
            "chu": sorted(c),
            "n_chu": len(c),
        }
        for (a, m), c in low.items()
        if len(c) >= min_chu
    ]
    return sorted(rows, key=lambda r: (r["annee"], -r["n_chu"], r["mesure_id"]))


def independent_plan(chu: str, annee: int) -> dict[str, dict]:
    """mesure_id → the plan row's values (without rang: the order is checked on its own)."""
    answers = sample_answers()
    own = answers[(chu, annee)]
    rows = {}
    for ref in referential():
        mesure = ref["mesure_id"]
        niveau, cible = own.get(mesure, (None, None))
        if niveau is None:
            continue
        target = cible if cible is not None else 3
        if niveau >= target:
            continue
        items = iso_items_of(ref)
        rows[mesure] = {
            "niveau": niveau,
            "cible_retenue": target,
            "ecart": target - niveau,
            "controles_iso": list(dict.fromkeys(items)),
            "controles_bloques": len(set(items)) if niveau < 3 else 0,
            "pairs_au_niveau_4": sum(
                1
                for (other, year), levels in answers.items()
                if year == annee
                and other != chu
                and (levels.get(mesure, (None, None))[0] or 0) >= 4
            ),
        }
    return rows


# --- what a DSI must never see: another CHU's code, name, city or region ---------------------


def peer_identifiers(own: str) -> list[tuple[str, re.Pattern[str]]]:
    """Every way to name a peer of ``own``: code (whole upper-case word), name, city, region."""
    from expectations.reference import load_reference

    patterns = []
    for code, establishment in load_reference().establishments.items():
        if code == own:
            continue
        patterns.append((code, re.compile(rf"(?<![\w]){code}(?![\w])")))
        for text in (establishment.nom, establishment.ville, establishment.region):
            if text:
                patterns.append((text, re.compile(re.escape(text), re.IGNORECASE)))
    return patterns


def peer_leaks(text: str, own: str) -> list[str]:
    return sorted({name for name, pattern in peer_identifiers(own) if pattern.search(text)})


def payload_text(payload: bytes) -> str:
    """A downloaded file as text: XLSX cells (every sheet), else the decoded bytes."""
    if payload[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(payload))
        return " ".join(
            [*book.sheetnames]
            + [
                str(v)
                for s in book.worksheets
                for row in s.iter_rows(values_only=True)
                for v in row
                if v is not None
            ]
        )
    return payload.decode("utf-8-sig", errors="replace")
