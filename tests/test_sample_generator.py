"""The fictitious sample (data/sample) and its generator (benchmarks/generate.py).

The committed sample must be exactly what the generator writes with its defaults; its
files must get the verdicts the README documents (valid, or invalid at the named row and
column); the scale options must produce a set that validates against the reference folder
written with it.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import defaultdict
from pathlib import Path

import pytest

from benchmarks.generate import (
    BROKEN_FILES,
    DEFAULT_YEARS,
    FICTITIOUS_MARKER,
    generate_alliance,
    generate_files,
    main,
    parse_years,
    write_reference,
)
from expectations.reference import load_reference

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
BROKEN_PATHS = {b.relative_path: b for b in BROKEN_FILES}
GENERATED_NAME = re.compile(r"(maturite|depenses|profil)_[a-z0-9]+_\d{4}\.csv")


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _decode(content: bytes) -> str:
    """Independent of expectations/reading.py on purpose: a second opinion on the bytes."""
    if content.startswith(b"\xff\xfe"):
        return content[2:].decode("utf-16-le")
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252")


def _records(path: Path) -> list[dict[str, str]]:
    text = _decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.strip().lower().replace("é", "e") for h in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:] if any(c.strip() for c in row)]


def _sample_files() -> list[Path]:
    """The generated files (a stray file dropped in data/sample fails only the first test)."""
    return sorted(p for p in SAMPLE_DIR.glob("*/*.csv") if GENERATED_NAME.fullmatch(p.name))


@pytest.fixture(scope="module")
def sample_results() -> dict[str, object]:
    """Each sample file validated once (as sent by the CHU of its folder)."""
    from expectations.validate import validate_file

    return {
        f"{p.parent.name}/{p.name}": validate_file(p, sender_chu=p.parent.name)
        for p in _sample_files()
    }


def test_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    generate_alliance(tmp_path)
    expected, committed = _tree(tmp_path), _tree(SAMPLE_DIR)
    assert sorted(set(committed) - set(expected)) == [], "files in data/sample not generated"
    assert sorted(set(expected) - set(committed)) == [], "generated files missing from data/sample"
    different = sorted(name for name in expected if expected[name] != committed[name])
    assert different == [], (
        "data/sample differs from the generator's output: run "
        "`.venv/bin/python -m benchmarks.generate --out data/sample --seed 2025`"
    )


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    options = {"establishments": 9, "years": (2024, 2025)}
    generate_alliance(tmp_path / "a", seed=7, **options)
    generate_alliance(tmp_path / "b", seed=7, **options)
    generate_alliance(tmp_path / "c", seed=8, **options)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert _tree(tmp_path / "a") != _tree(tmp_path / "c")


def test_layout_years_and_agadir_only_from_2025() -> None:
    files = _sample_files()
    assert len(files) == 5 * 3 * len(DEFAULT_YEARS) + 3
    by_chu: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for path in files:
        kind, chu, annee = path.stem.split("_")
        assert path.parent.name == chu.upper()
        by_chu[path.parent.name].add((kind, int(annee)))
    assert set(by_chu) == set(load_reference().chu_codes)
    assert {annee for _, annee in by_chu["AGA"]} == {2025}
    for chu in ("FES", "MAR", "CAS", "RAB", "TNG"):
        assert by_chu[chu] == {
            (k, y) for k in ("maturite", "depenses", "profil") for y in DEFAULT_YEARS
        }


def test_every_file_holds_its_own_chu_and_year_and_maturity_lists_all_104_measures() -> None:
    reference = load_reference()
    for path in _sample_files():
        records = _records(path)
        kind, chu, annee = path.stem.split("_")
        assert {r["chu"].strip().upper() for r in records} == {chu.upper()}, path
        assert {r["annee"].strip() for r in records} == {annee}, path
        if kind == "maturite":
            expected = {m.mesure_id for m in reference.measures_for_year(int(annee))}
            assert len(expected) == 104
            assert {r["mesure_id"] for r in records} == expected, path
            assert records[0]["commentaire"] == FICTITIOUS_MARKER
        elif kind == "profil":
            assert len(records) == 1, path


def test_sample_varies_encodings_delimiters_and_line_ends() -> None:
    contents = [p.read_bytes() for p in _sample_files()]
    assert any(c.startswith(b"\xff\xfe") for c in contents), "UTF-16"
    assert any(c.startswith(b"\xef\xbb\xbf") for c in contents), "UTF-8 BOM"
    not_utf8 = 0
    for content in contents:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            not_utf8 += 1
    assert not_utf8 > 0, "Windows-1252"
    texts = [_decode(c) for c in contents]
    assert any("\r\n" in t for t in texts) and any("\r\n" not in t for t in texts)
    headers = [t.split("\n", 1)[0] for t in texts]
    assert any(h.count(";") >= 5 for h in headers)
    assert any(h.count(",") >= 5 for h in headers)
    assert any(h.count("\t") >= 5 for h in headers)
    assert any("Année" in h for h in headers) and any(" CHU " in h for h in headers)
    assert any("\u00a0" in t for t in texts) and any("\u202f" in t for t in texts)


def test_readme_documents_every_broken_file() -> None:
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "FICTITIOUS" in readme
    assert "python -m benchmarks.generate --out data/sample --seed 2025" in readme
    for broken in BROKEN_FILES:
        for error in broken.errors:
            row = f"| `{broken.relative_path}` | {error.line} | `{error.column}` |"
            assert row in readme, (broken.relative_path, error)


def test_sample_verdicts_match_the_readme(sample_results: dict) -> None:
    seen_broken = set()
    for relative, result in sample_results.items():
        report = result.report
        broken = BROKEN_PATHS.get(relative)
        if broken is None:
            assert report.valid, (relative, [e.to_dict() for e in report.errors])
            assert not report.warnings, (relative, [w.to_dict() for w in report.warnings])
            continue
        seen_broken.add(relative)
        assert not report.valid, relative
        assert {(e.line, e.column, e.rule) for e in report.errors} == {
            (e.line, e.column, e.rule) for e in broken.errors
        }, (relative, [e.to_dict() for e in report.errors])
    assert seen_broken == set(BROKEN_PATHS)


def test_sample_spending_is_realistic_and_offers_pooling(sample_results: dict) -> None:
    profiles = {}
    spending: dict[tuple[str, int], float] = defaultdict(float)
    solutions: dict[tuple[int, str], set[str]] = defaultdict(set)
    for result in sample_results.values():
        if not result.valid:
            continue
        records = result.records
        assert records is not None
        for row in records.to_dict("records"):
            key = (row["chu"], int(row["annee"]))
            if result.report.kind == "profil":
                profiles[key] = row
            elif result.report.kind == "depenses":
                spending[key] += row["montant_mad"]
                if row["solution"]:
                    solutions[(key[1], row["solution"])].add(row["chu"])
    for key, total in spending.items():
        if key not in profiles:
            continue
        profile = profiles[key]
        assert 500e6 <= profile["budget_total_mad"] <= 2.6e9, key
        assert 0.01 <= profile["budget_si_mad"] / profile["budget_total_mad"] <= 0.03, key
        assert 0.03 <= total / profile["budget_si_mad"] <= 0.12, key
    for annee in DEFAULT_YEARS:
        shared = [s for (y, s), chus in solutions.items() if y == annee and len(chus) >= 2]
        assert len(shared) >= 3, annee


def test_no_broken_option_breaks_nothing(tmp_path: Path) -> None:
    from expectations.validate import validate_file

    generate_alliance(tmp_path, broken=False)
    for broken in BROKEN_FILES:
        path = tmp_path / broken.relative_path
        assert validate_file(path, sender_chu=broken.chu).report.valid, broken.relative_path


def test_scale_set_validates_against_its_reference_folder(tmp_path: Path) -> None:
    from expectations.validate import validate_file

    out, ref_dir = tmp_path / "landing", tmp_path / "reference"
    files = generate_files(out, establishments=12, years=range(2021, 2026), broken=False)
    write_reference(ref_dir, establishments=12, years=range(2021, 2026))
    reference = load_reference(ref_dir)
    codes = {f.chu for f in files}
    assert {"E007", "E012"} <= codes and len(codes) == 12
    assert set(reference.chu_codes) >= codes
    assert set(reference.campaign_years) >= set(range(2021, 2026))
    synthetic = [f for f in files if f.chu.startswith("E")]
    assert {f.dialect.key for f in synthetic} != {synthetic[0].dialect.key}
    # One file of each kind of a few synthetic members (the whole set is for the benchmarks).
    for f in synthetic[:9]:
        report = validate_file(f.path, sender_chu=f.chu, reference=reference).report
        assert report.valid, (f.path.name, [e.to_dict() for e in report.errors])


def test_national_scale_generation_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    paths = generate_alliance(tmp_path, establishments=200, years=range(2016, 2026), readme=False)
    elapsed = time.perf_counter() - started
    assert len(paths) > 5000
    assert elapsed < 30, f"{elapsed:.1f} s"


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--out", str(tmp_path / "out"),
            "--establishments", "8",
            "--years", "2024-2025",
            "--reference-out", str(tmp_path / "ref"),
        ]
    )  # fmt: skip
    assert code == 0
    assert "fichiers écrits" in capsys.readouterr().out
    assert (tmp_path / "out" / "E008" / "profil_e008_2025.csv").exists()
    registry = (tmp_path / "ref" / "etablissements.csv").read_text(encoding="utf-8")
    assert [line[:4] for line in registry.splitlines() if line.startswith("E")] == ["E007", "E008"]
    assert parse_years("2016-2018,2020") == (2016, 2017, 2018, 2020)
