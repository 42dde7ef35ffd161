"""Who sees which CHU by name (dashboard/access.py): alliance and admin every CHU; a DSI its
own CHU only — a peer's row or name is refused, never turned into a letter."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.access import PeerDataRefused, Viewer, anonymize_text, chu_labels, present
from dashboard.anonymity import scrub_text

ALLIANCE = Viewer("direction", "alliance")
ADMIN = Viewer("admin", "admin")
FES = Viewer("dsi-fes", "dsi", "FES")


def test_alliance_and_admin_see_every_name() -> None:
    labels = chu_labels(ALLIANCE, ["FES", "TNG"])
    assert labels == {"FES": "CHU Hassan II de Fès", "TNG": "CHU Mohammed VI de Tanger"}
    assert chu_labels(ADMIN, ["FES", "TNG"]) == labels


def test_a_dsi_gets_its_own_name_and_no_label_for_a_peer() -> None:
    assert chu_labels(FES, ["FES"]) == {"FES": "CHU Hassan II de Fès"}
    with pytest.raises(PeerDataRefused):
        chu_labels(FES, ["FES", "TNG"])


def test_present_names_rows_for_alliance() -> None:
    frame = pd.DataFrame({"chu": ["FES", "TNG"], "chus": ["FES,TNG", "MAR,RAB"]})
    shown = present(ALLIANCE, frame, list_columns=["chus"])
    assert list(shown["chu"]) == ["CHU Hassan II de Fès", "CHU Mohammed VI de Tanger"]
    assert shown.loc[1, "chus"] == "CHU Ibn Sina de Rabat, CHU Mohammed VI de Marrakech"


def test_present_refuses_a_peer_row_or_a_list_of_chus_for_a_dsi() -> None:
    own = present(FES, pd.DataFrame({"chu": ["FES"], "x": [1]}))
    assert own["chu"].tolist() == ["CHU Hassan II de Fès"]
    with pytest.raises(PeerDataRefused):
        present(FES, pd.DataFrame({"chu": ["FES", "TNG"], "x": [1, 2]}))
    with pytest.raises(PeerDataRefused):
        present(FES, pd.DataFrame({"chus": ["FES,TNG"]}), list_columns=["chus"])


def test_scrub_text_whole_words() -> None:
    replacements = {"MAR": "X", "Rabat": "X"}
    assert scrub_text("MARS et MAR, rabat", replacements) == "MARS et X, X"


def test_anonymize_text_of_a_dsis_own_file() -> None:
    text = "Ce fichier concerne TNG (CHU Mohammed VI de Tanger), pas FES."
    assert anonymize_text(ALLIANCE, text) == text
    scrubbed = anonymize_text(FES, text)
    assert "TNG" not in scrubbed and "Tanger" not in scrubbed and "FES" in scrubbed


def test_viewer_permissions() -> None:
    assert ALLIANCE.sees_all_names and ADMIN.sees_all_names and not FES.sees_all_names
    assert FES.can_upload_for("FES") and not FES.can_upload_for("TNG")
    assert not ALLIANCE.can_upload_for("FES") and not ADMIN.can_upload_for("FES")
