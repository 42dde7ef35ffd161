"""The Campagne et qualité page (AppTest, warehouse seeded from data/sample)."""

from __future__ import annotations

import json

from dashboard.formatting import markdown_text
from expectations.reference import load_reference
from tests.dashboard_support import (  # noqa: F401 - fixtures
    SEED_SENDER,
    collect_text,
    exceptions,
    login_as,
    make_app,
    open_page,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)

NAMES = {code: e.nom for code, e in load_reference().establishments.items()}


def _campagne(username: str):  # noqa: ANN202
    at = login_as(make_app(), username)
    open_page(at, "campagne")
    assert not exceptions(at), exceptions(at)
    return at


def _heatmap(at) -> dict:  # noqa: ANN001
    [chart] = at.get("plotly_chart")
    return json.loads(chart.proto.spec)["data"][0]


def test_alliance_sees_the_six_chus_and_every_file(warehouse_url: str) -> None:
    at = _campagne("alliance-test")
    heatmap = _heatmap(at)
    assert heatmap["y"] == list(NAMES.values())
    assert heatmap["x"] == ["2023", "2024", "2025"]
    statuses = dict(zip(heatmap["y"], heatmap["text"], strict=True))
    # Broken sample files: MAR 2024 maturite, CAS 2023 depenses, TNG 2025 profil.
    assert statuses[NAMES["MAR"]][1] == "Invalide"
    assert statuses[NAMES["CAS"]][0] == "Invalide"
    assert statuses[NAMES["TNG"]][2] == "Invalide"
    assert statuses[NAMES["FES"]] == ["Valide", "Valide", "Valide"]
    detail = at.dataframe[0].value
    assert list(detail["CHU"]) == list(NAMES.values())
    submissions = at.dataframe[1].value
    assert len(submissions) == 48
    assert set(submissions["Expéditeur"]) == {SEED_SENDER}
    assert "maturite_mar_2024.csv" in set(submissions["Fichier"])


def test_alliance_reads_the_report_of_a_rejected_file(warehouse_url: str) -> None:
    at = _campagne("alliance-test")
    submissions = at.dataframe[1].value
    rejected = submissions[submissions["Fichier"] == "maturite_mar_2024.csv"]
    [number] = rejected["N°"].tolist()
    [chooser] = [s for s in at.selectbox if s.label == "Fichier"]
    chooser.set_value(int(number))
    at.run()
    assert not exceptions(at)
    # The file name is shown as text: every Markdown character escaped.
    shown = markdown_text("maturite_mar_2024.csv")
    assert any(shown in e.value and "invalide" in e.value for e in at.error)
    errors = at.dataframe[2].value
    found = set(zip(errors["Ligne"], errors["Colonne"], strict=True))
    assert {("13", "niveau"), ("73", "mesure_id")} <= found


def _table(at, column: str):  # noqa: ANN001, ANN202
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_dsi_sees_its_own_files_and_the_peers_as_counts(warehouse_url: str) -> None:
    at = _campagne("dsi-fes-test")
    heatmap = _heatmap(at)
    # Only FES's own row: no peer row, no letter...
    assert heatmap["y"] == [NAMES["FES"]]
    assert heatmap["text"] == [["Valide", "Valide", "Valide"]]
    # ...and the peers as counts per year (AGA only from 2025; one broken file a year).
    peers = _table(at, "Année").set_index("Année")
    assert peers.sum(axis=1).to_dict() == {2023: 4, 2024: 4, 2025: 5}
    assert peers["Invalide"].to_dict() == {2023: 1, 2024: 1, 2025: 1}
    kinds = _table(at, "Type de fichier").set_index("Type de fichier")
    assert kinds.sum(axis=1).tolist() == [5, 5, 5]  # 2025: five other CHUs per kind
    detail = _table(at, "CHU")
    assert detail["CHU"].tolist() == [NAMES["FES"]]
    submissions = _table(at, "Fichier")
    assert len(submissions) == 9
    assert set(submissions["CHU"]) == {NAMES["FES"]}
    assert all("_fes_" in name for name in submissions["Fichier"])
    [chooser] = [s for s in at.selectbox if s.label == "Fichier"]
    assert len(chooser.options) == 9
    text = collect_text(at)
    for code in ("MAR", "TNG", "RAB", "CAS", "AGA"):
        assert f"_{code.lower()}_" not in text  # no peer file name
