"""The Dépôt page takes exactly what the contract takes (issue 7.3): Streamlit's upload cap is
the contract's size limit, from the same setting."""

from __future__ import annotations

import tomllib

import pytest

from expectations.contract import MAX_FILE_BYTES
from pipelines.serve import upload_limit_mb
from tests.conftest import PROJECT_ROOT

MIB = 1024 * 1024


def test_streamlit_config_caps_uploads_at_the_contract_limit() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] * MIB == MAX_FILE_BYTES


def test_make_run_passes_the_configured_limit_rounded_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHU_BENCH_MAX_FILE_BYTES", raising=False)
    assert upload_limit_mb() * MIB == MAX_FILE_BYTES
    monkeypatch.setenv("CHU_BENCH_MAX_FILE_BYTES", str(5 * MIB + 1))
    assert upload_limit_mb() == 6
