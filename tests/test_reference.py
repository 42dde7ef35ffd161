"""Reference data: loaded at start and checked for consistency."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from expectations.reference import CSF_FUNCTIONS, ReferenceDataError, load_reference

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dnssi-2023-mesures.csv"


def test_six_chus_and_three_campaigns() -> None:
    reference = load_reference()
    assert reference.chu_codes == ["FES", "MAR", "AGA", "CAS", "RAB", "TNG"]
    assert reference.campaign_years == [2023, 2024, 2025]
    assert reference.establishments["AGA"].premiere_campagne == 2025


def test_dnssi_has_104_measures_each_with_chapter_and_function() -> None:
    measures = load_reference().measures_for_year(2025)
    assert len(measures) == 104
    assert len({m.mesure_id for m in measures}) == 104
    assert {m.chapitre for m in measures} == set(range(1, 15))
    assert {m.fonction_csf for m in measures} <= set(CSF_FUNCTIONS)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/reference absent de ce poste")
def test_measure_ids_are_exactly_the_published_ones() -> None:
    with SHARED.open(encoding="utf-8") as handle:
        published = [row["mesure_id"] for row in csv.DictReader(handle)]
    assert [m.mesure_id for m in load_reference().measures_for_year(2023)] == published


def test_a_duplicated_measure_is_refused(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "data" / "reference"
    copy = tmp_path / "reference"
    shutil.copytree(source, copy)
    path = copy / "referentiel_dnssi_2023.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="répété"):
        load_reference(copy)


def test_a_new_member_is_a_new_line(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "data" / "reference"
    copy = tmp_path / "reference"
    shutil.copytree(source, copy)
    with (copy / "etablissements.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            "GST-TTA,GST Tanger-Tétouan-Al Hoceima,Tanger,Tanger-Tétouan-Al Hoceima,,2026\n"
        )
    assert "GST-TTA" in load_reference(copy).chu_codes
