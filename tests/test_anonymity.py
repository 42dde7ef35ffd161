"""Peer anonymisation for DSI viewers (dashboard/anonymity.py, dashboard/access.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.access import Viewer, anonymize_text, chu_labels, present
from dashboard.anonymity import anonymity_secret, letter, peer_letters, scrub_text
from expectations.reference import load_reference

CODES = ["AGA", "CAS", "FES", "MAR", "RAB", "TNG"]
SECRET = b"secret-de-test"
ALLIANCE = Viewer("alliance", "alliance")
ADMIN = Viewer("admin", "admin")
FES = Viewer("dsi-fes", "dsi", "FES")
PEER_WORDS = [
    "Marrakech", "Agadir", "Casablanca", "Rabat", "Tanger", "Ibn Sina", "Ibn Rochd",
    "Mohammed VI",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHU_BENCH_ANONYMITY_SECRET", SECRET.decode())


def test_letters_sequence() -> None:
    assert [letter(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


def test_peer_letters_exclude_own_and_are_contiguous() -> None:
    letters = peer_letters("FES", CODES, 2025, SECRET)
    assert "FES" not in letters
    assert sorted(letters.values()) == [f"CHU {x}" for x in "ABCDE"]


def test_peer_letters_stable_within_a_year_and_input_order() -> None:
    first = peer_letters("FES", CODES, 2025, SECRET)
    again = peer_letters("FES", list(reversed(CODES)), 2025, SECRET)
    assert first == again


def test_peer_letters_change_across_years_and_are_not_alphabetical() -> None:
    by_year = {year: peer_letters("FES", CODES, year, SECRET) for year in range(2016, 2026)}
    assert len({tuple(sorted(m.items())) for m in by_year.values()}) > 1
    alphabetical = {c: f"CHU {letter(i)}" for i, c in enumerate(c for c in CODES if c != "FES")}
    assert any(m != alphabetical for m in by_year.values())


def test_peer_letters_depend_on_secret() -> None:
    orders = {
        tuple(sorted(peer_letters("FES", CODES, 2025, s).items()))
        for s in (b"a", b"b", b"c", b"d", b"e", b"f")
    }
    assert len(orders) > 1


def test_secret_from_env_then_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    assert anonymity_secret() == SECRET
    monkeypatch.delenv("CHU_BENCH_ANONYMITY_SECRET")
    path = tmp_path / "sub" / "secret"
    monkeypatch.setenv("CHU_BENCH_ANONYMITY_SECRET_FILE", str(path))
    created = anonymity_secret()
    assert path.exists() and len(created) == 64
    assert path.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert anonymity_secret() == created


def test_chu_labels_by_role() -> None:
    reference = load_reference()
    alliance = chu_labels(ALLIANCE, CODES, 2025)
    assert alliance == {c: reference.establishments[c].nom for c in CODES}
    assert chu_labels(ADMIN, CODES, 2025) == alliance
    dsi = chu_labels(FES, CODES, 2025)
    assert dsi["FES"] == "CHU Hassan II de Fès"
    assert sorted(v for k, v in dsi.items() if k != "FES") == [f"CHU {x}" for x in "ABCDE"]


def test_chu_labels_do_not_move_with_the_subset() -> None:
    full = chu_labels(FES, CODES, 2024)
    subset = chu_labels(FES, ["TNG", "MAR"], 2024)
    assert subset == {"TNG": full["TNG"], "MAR": full["MAR"]}


def test_scrub_text_whole_words() -> None:
    replacements = {"MAR": "X", "Rabat": "X"}
    assert scrub_text("MARS et MAR, rabat", replacements) == "MARS et X, X"


def test_present_for_alliance_keeps_names() -> None:
    frame = pd.DataFrame({"chu": ["FES", "TNG"], "annee": [2025, 2025], "sender": ["a", "b"]})
    shown = present(ALLIANCE, frame)
    assert list(shown["chu"]) == ["CHU Hassan II de Fès", "CHU Mohammed VI de Tanger"]
    assert list(shown["sender"]) == ["a", "b"]


def test_present_for_dsi_hides_peers() -> None:
    frame = pd.DataFrame(
        {
            "chu": ["FES", "TNG", "MAR", "RAB"],
            "annee": [2025, 2025, 2024, 2025],
            "sender": ["dsi-fes", "dsi-tng", "dsi-mar", "dsi-rab"],
            "filename": ["f.csv", "maturite_tng.csv", "m.csv", "r.csv"],
            "ville": ["Fès", "Tanger", "Marrakech", "Rabat"],
            "libelle": ["Pare-feu", "Audit avec le CHU de Rabat", "x", "y"],
            "solution": ["EDR commun avec Marrakech", "SIEM", "SIEM", "SIEM"],
            "valeur": [1.0, 2.0, 3.0, 4.0],
        }
    )
    shown = present(FES, frame)
    labels_2025 = chu_labels(FES, CODES, 2025)
    labels_2024 = chu_labels(FES, CODES, 2024)
    assert list(shown["chu"]) == [
        "CHU Hassan II de Fès",
        labels_2025["TNG"],
        labels_2024["MAR"],
        labels_2025["RAB"],
    ]
    assert "ville" not in shown.columns
    assert shown.loc[0, "sender"] == "dsi-fes" and shown.loc[0, "filename"] == "f.csv"
    assert shown.loc[1:, "sender"].isna().all() and shown.loc[1:, "filename"].isna().all()
    assert shown.loc[1:, "libelle"].isna().all()
    # The own row's free text is scrubbed with a neutral phrase, never a peer's letter.
    assert shown.loc[0, "solution"] == "EDR commun avec un autre CHU"
    assert list(shown["valeur"]) == [1.0, 2.0, 3.0, 4.0]
    text = shown.to_csv()
    for word in [*PEER_WORDS, "TNG", "MAR", "RAB", "dsi-tng"]:
        assert word not in text


def test_present_list_columns_per_year() -> None:
    frame = pd.DataFrame(
        {"annee": [2024, 2025], "nom": ["SIEM", "EDR"], "chus": ["FES,MAR,TNG", "CAS, RAB"]}
    )
    shown = present(FES, frame, chu_column="chu", list_columns=["chus"])
    l24, l25 = chu_labels(FES, CODES, 2024), chu_labels(FES, CODES, 2025)
    # Labels are sorted: kept in code order, they would tell which letter is which CHU.
    expected_2024 = sorted(["CHU Hassan II de Fès", l24["MAR"], l24["TNG"]])
    assert shown.loc[0, "chus"] == ", ".join(expected_2024)
    assert shown.loc[1, "chus"] == ", ".join(sorted([l25["CAS"], l25["RAB"]]))
    assert list(shown["nom"]) == ["SIEM", "EDR"]  # a solution's name, not an establishment


def test_present_without_year_column() -> None:
    frame = pd.DataFrame({"chu": ["FES", "AGA"], "x": [1, 2]})
    shown = present(FES, frame, annee_column=None)
    assert shown.loc[1, "chu"] == chu_labels(FES, CODES, None)["AGA"]


def test_present_empty_frame() -> None:
    frame = pd.DataFrame(columns=["chu", "annee"])
    assert present(FES, frame).empty


def test_anonymize_text() -> None:
    text = "Ce fichier concerne TNG (CHU Mohammed VI de Tanger), pas FES."
    assert anonymize_text(ALLIANCE, text) == text
    scrubbed = anonymize_text(FES, text)
    assert "TNG" not in scrubbed and "Tanger" not in scrubbed and "FES" in scrubbed


def test_viewer_permissions() -> None:
    assert ALLIANCE.sees_all_names and ADMIN.sees_all_names and not FES.sees_all_names
    assert FES.can_upload_for("FES") and not FES.can_upload_for("TNG")
    assert not ALLIANCE.can_upload_for("FES") and not ADMIN.can_upload_for("FES")
