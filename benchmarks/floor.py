"""The floor: what a bare pandas + SQLAlchemy script costs to ingest a landing folder.

    .venv/bin/python -m benchmarks.floor LANDING --database-url URL

The same work as ``chu-bench run`` without the project's machinery: read each file,
decode it (UTF-8 with or without BOM, UTF-16, Windows-1252), detect the delimiter, parse
it with pandas, recognise its kind from its header, check the row rules vectorised
(required cells, codes in their sets, levels 0–5 or NA, numbers in French formats and
≥ 0, one CHU and one year per file, the sender's CHU), then insert the submission and its
rows in the warehouse's own tables, one transaction a file. No Great Expectations, no
Dagster, no report beyond the count of errors: the cheapest honest way to do the job,
against which ``benchmarks.pipeline_vs_floor`` measures chu-bench.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

KINDS = {
    "maturite": {"chu", "annee", "mesure_id", "niveau"},
    "depenses": {"chu", "annee", "categorie", "nature", "montant_mad", "libelle"},
    "profil": {
        "chu",
        "annee",
        "lits",
        "effectif_total",
        "effectif_si",
        "effectif_ssi",
        "budget_total_mad",
        "budget_si_mad",
        "iso27001",
    },
}
CATEGORIES = {
    "personnel",
    "logiciels",
    "materiel",
    "prestations",
    "formation",
    "audit_certification",
    "autre",
}
NATURES = {"capex": "capex", "opex": "opex", "investissement": "capex", "fonctionnement": "opex"}
ISO = {"aucun", "en_cours", "certifie"}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).replace("\ufeff", "").strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace(" ", "_")


def _codes(series: pd.Series) -> pd.Series:
    """``_plain`` vectorised: accents, case and spaces ignored."""
    return (
        series.str.normalize("NFKD")
        .str.encode("ascii", "ignore")
        .str.decode("ascii")
        .str.strip()
        .str.lower()
        .str.replace(" ", "_")
    )


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _numbers(series: pd.Series) -> pd.Series:
    """French-formatted numbers, vectorised: spaces out, decimal comma → point."""
    text = series.str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".")
    return pd.to_numeric(text, errors="coerce")


def read_frame(raw: bytes) -> tuple[pd.DataFrame, str | None]:
    """Decode, sniff the delimiter, read every cell as trimmed text; the kind from the
    header (None when no kind's required columns are all there)."""
    text = _decode(raw)
    header = text.lstrip("\ufeff").splitlines()[0]
    delimiter = max((";", ",", "\t"), key=header.count)
    frame = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_MINIMAL,
        skip_blank_lines=True,
    )
    frame.columns = [_plain(c) for c in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    kind = next((k for k, cols in KINDS.items() if cols <= set(frame.columns)), None)
    return frame, kind


def check(
    frame: pd.DataFrame, kind: str, sender: str, measures: dict[int, set[str]]
) -> tuple[int, dict]:
    """Vectorised row rules; (number of errors, typed columns)."""
    errors = 0
    for name in KINDS[kind]:
        errors += int((frame[name] == "").sum())
    chu = frame["chu"].str.upper()
    errors += int((chu != sender).sum())
    annee = pd.to_numeric(frame["annee"], errors="coerce")
    errors += int(annee.isna().sum()) + int(annee.nunique() > 1)
    typed: dict[str, object] = {"chu": chu, "annee": annee}
    if kind == "maturite":
        level = frame["niveau"].str.upper()
        na = level == "NA"
        niveau = pd.to_numeric(level.where(~na), errors="coerce")
        errors += int((~na & ~niveau.between(0, 5)).sum())
        cible = pd.to_numeric(frame.get("cible", pd.Series("", index=frame.index)), errors="coerce")
        ids = frame["mesure_id"].str.upper()
        expected = measures.get(int(annee.iloc[0]) if annee.notna().any() else 0, set())
        errors += int((~ids.isin(expected)).sum()) + int(ids.duplicated().sum())
        errors += len(expected - set(ids))
        typed.update(mesure_id=ids, niveau=niveau, cible=cible)
    elif kind == "depenses":
        montant = _numbers(frame["montant_mad"])
        errors += int((montant.isna() | (montant < 0)).sum())
        categorie = _codes(frame["categorie"])
        nature = _codes(frame["nature"]).map(NATURES)
        errors += int((~categorie.isin(CATEGORIES)).sum()) + int(nature.isna().sum())
        typed.update(montant_mad=montant, categorie=categorie, nature=nature)
    else:
        values = {
            n: _numbers(frame[n])
            for n in (
                "lits",
                "effectif_total",
                "effectif_si",
                "effectif_ssi",
                "budget_total_mad",
                "budget_si_mad",
            )
        }
        for series in values.values():
            errors += int((series.isna() | (series < 0)).sum())
        errors += int((values["effectif_ssi"] > values["effectif_si"]).sum())
        errors += int((values["budget_si_mad"] > values["budget_total_mad"]).sum())
        iso = _codes(frame["iso27001"])
        errors += int((~iso.isin(ISO)).sum()) + int(len(frame) != 1)
        typed.update(values, iso27001=iso)
    return errors, typed


def ingest(landing: Path, url: str, measures: dict[int, set[str]]) -> dict[str, int]:
    from warehouse.schema import maturity_answers, metadata, profiles, spending_lines, submissions

    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        # The warehouse's own SQLite settings (warehouse.engine): WAL, synchronous=NORMAL.
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    metadata.create_all(engine)
    counts = {"files": 0, "valid": 0, "rows": 0}
    for path in sorted(landing.glob("*/*.csv")):
        sender = path.parent.name.upper()
        raw = path.read_bytes()
        frame, kind = read_frame(raw)
        errors, typed = (1, {}) if kind is None else check(frame, kind, sender, measures)
        valid = errors == 0
        annee = int(typed["annee"].iloc[0]) if valid else None  # type: ignore[union-attr]
        with engine.begin() as conn:  # one transaction a file
            submission_id = conn.execute(
                submissions.insert()
                .values(
                    sha256=hashlib.sha256(raw).hexdigest(),
                    filename=path.name,
                    size_bytes=len(raw),
                    content=raw,
                    sender="floor",
                    sender_chu=sender,
                    channel="test",
                    received_at=datetime.now(UTC),
                    kind=kind,
                    chu=sender if valid else None,
                    annee=annee,
                    valid=valid,
                    status="current" if valid else "rejected",
                    n_errors=errors,
                    n_warnings=0,
                    report={"errors": errors},
                )
                .returning(submissions.c.id)
            ).scalar_one()
            if valid:
                table = {
                    "maturite": maturity_answers,
                    "depenses": spending_lines,
                    "profil": profiles,
                }[kind]
                out = pd.DataFrame({k: v for k, v in typed.items()})
                out["submission_id"] = submission_id
                out["line"] = np.arange(2, len(out) + 2)
                out["chu"] = sender
                out["annee"] = annee
                if kind == "depenses":
                    out["libelle"] = frame["libelle"]
                    for name in ("fonction_csf", "fournisseur", "solution"):
                        out[name] = frame.get(name)
                out = out[[c.name for c in table.c if c.name in out.columns]]
                rows = out.astype(object).where(out.notna(), None).to_dict(orient="records")
                conn.execute(table.insert(), rows)
                counts["rows"] += len(rows)
        counts["files"] += 1
        counts["valid"] += int(valid)
    engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from expectations.reference import load_reference

    reference = load_reference()
    measures = {
        year: {m.mesure_id.upper() for m in reference.measures_for_year(year)}
        for year in reference.campaign_years
    }
    counts = ingest(args.landing, args.database_url, measures)
    elapsed = time.perf_counter() - start
    print(
        f"{counts['files']} fichiers, {counts['valid']} valides, {counts['rows']} lignes, {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
