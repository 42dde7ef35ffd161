"""Ready-to-fill CSV templates for a DSI (DESIGN §6: ``chu-bench template``).

Semicolon-delimited, UTF-8 with a BOM and CRLF line ends: French Excel opens such a file
with accents intact and one value per cell (with a comma, French Excel puts every row in
column A, because its list separator is ``;``).
"""

from __future__ import annotations

import csv
import io

from expectations.contract import FILE_KINDS, KINDS, MATURITE, MIN_YEAR
from expectations.reference import ReferenceData, load_reference
from expectations.validate import max_year

BOM = "\ufeff"


def render_template(
    kind: str, chu: str, annee: int, reference: ReferenceData | None = None
) -> bytes:
    """The template's bytes. ``maturite`` lists every measure of the campaign's referential
    (chu, annee, mesure_id filled; niveau, cible, commentaire to fill); ``depenses`` and
    ``profil`` have one row to fill with chu and annee already set."""
    if kind not in KINDS:
        raise ValueError(f"type de fichier inconnu : {kind} (attendu : {', '.join(KINDS)})")
    reference = reference or load_reference()
    chu = chu.strip().upper()
    if chu not in reference.establishments:
        raise ValueError(f"code CHU inconnu : {chu} (attendu : {', '.join(reference.chu_codes)})")
    top = max_year()
    if not MIN_YEAR <= annee <= top:
        raise ValueError(
            f"année de campagne impossible : {annee} (attendu : de {MIN_YEAR} à {top})"
        )
    columns = FILE_KINDS[kind].columns
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    if kind == MATURITE:
        for measure in reference.measures_for_year(annee):
            row = {"chu": chu, "annee": annee, "mesure_id": measure.mesure_id}
            writer.writerow([row.get(column, "") for column in columns])
    else:
        row = {"chu": chu, "annee": annee}
        writer.writerow([row.get(column, "") for column in columns])
    return (BOM + buffer.getvalue()).encode("utf-8")
