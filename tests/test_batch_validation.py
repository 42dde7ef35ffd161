"""Many files in one batch: each file's report (and records) is exactly what validating it
alone gives, on every sample file and every file the validation tests use."""

from __future__ import annotations

import pandas as pd

from expectations import gx_runner
from expectations.validate import FileToValidate, validate_batch, validate_bytes
from tests.test_validation_builders import kind_bytes, maturite_rows
from tests.validation_support import files_of_the_validation_tests, sample_files


def _same(batch_result, alone) -> None:  # noqa: ANN001 - ValidationResult
    assert batch_result.report.to_dict() == alone.report.to_dict()
    if alone.records is None:
        assert batch_result.records is None
    else:
        pd.testing.assert_frame_equal(batch_result.records, alone.records)


def test_batch_reports_equal_single_reports_on_every_sample_and_test_file() -> None:
    files = sample_files() + files_of_the_validation_tests()
    kinds = {validate_bytes(f.content, f.filename).report.kind for f in files}
    assert {"maturite", "depenses", "profil", None} <= kinds  # kinds mixed, unreadable too
    assert len({f.sender_chu for f in files}) > 2 and len(files) > 150
    results = validate_batch(files)
    assert len(results) == len(files)
    assert any(r.valid for r in results) and any(not r.valid for r in results)
    for file, result in zip(files, results, strict=True):
        alone = validate_bytes(file.content, file.filename, sender_chu=file.sender_chu)
        _same(result, alone)


def test_a_batch_runs_one_suite_validation_per_kind(monkeypatch) -> None:  # noqa: ANN001
    calls: list[str] = []
    real = gx_runner.run_suite

    def counting(kind, frame, **kwargs):  # noqa: ANN001, ANN202
        calls.append(kind)
        return real(kind, frame, **kwargs)

    monkeypatch.setattr(gx_runner, "run_suite", counting)
    files = sample_files()
    validate_batch(files)
    assert sorted(calls) == ["depenses", "maturite", "profil"]


def test_a_repeated_measure_is_found_in_its_own_file_only() -> None:
    rows = maturite_rows()
    repeated = [dict(r) for r in rows]
    repeated[5]["mesure_id"] = repeated[4]["mesure_id"]
    files = [
        FileToValidate(kind_bytes("maturite", rows), "a.csv", "FES"),
        FileToValidate(kind_bytes("maturite", repeated), "b.csv", "FES"),
        FileToValidate(kind_bytes("maturite", rows), "c.csv", None),
    ]
    first, second, third = validate_batch(files)
    assert first.valid and third.valid
    assert [(e.line, e.column, e.rule) for e in second.report.errors if e.line] == [
        (7, "mesure_id", "mesure_id_repetee")
    ]


def test_reports_do_not_depend_on_how_rows_are_chunked(monkeypatch) -> None:  # noqa: ANN001
    import expectations.validate as validate_module

    rows = maturite_rows()
    repeated = [dict(r) for r in rows]
    for i in (10, 40, 90):  # repeats far from their first row: other chunks
        repeated[i]["mesure_id"] = repeated[3]["mesure_id"]
    repeated[60]["niveau"] = "9"
    files = [
        FileToValidate(kind_bytes("maturite", repeated), "repetee.csv", "FES"),
        *sample_files()[:12],
    ]
    whole = validate_batch(files)
    monkeypatch.setattr(validate_module, "CHUNK_ROWS", 7)
    chunked = validate_batch(files)
    assert {e.rule for e in whole[0].report.errors} >= {"mesure_id_repetee", "niveau_entre_0_et_5"}
    for a, b in zip(whole, chunked, strict=True):
        _same(a, b)
