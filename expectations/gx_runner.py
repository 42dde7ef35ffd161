"""Run the Great Expectations suites (``expectations/suites/<kind>.json``) on a parsed file.

GX is imported here, lazily and once per process: ``import great_expectations`` costs
seconds (DESIGN §9), so nothing imports this module at start-up. One ephemeral context,
one pandas datasource and one whole-dataframe batch definition serve every validation.

Each expectation carries in its ``meta`` the contract rule it implements (``rule``) and the
contract column a failure is reported on (``column``; ``other`` for pair rules). Many files
of a kind are validated together: failing rows come back through ``unexpected_index_list``
keyed by (``fichier``, ``line``), and ``expectations.validate`` turns them into each file's
French findings.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

SUITES_DIR = Path(__file__).resolve().parent / "suites"
LINE_COLUMN = "line"
FILE_COLUMN = "fichier"

# The dashboard validates uploads from several threads: the shared ephemeral context is
# created once and used by one validation at a time (it is not documented as thread-safe).
_lock = threading.RLock()


def suite_path(kind: str) -> Path:
    return SUITES_DIR / f"{kind}.json"


def suite_document(kind: str) -> dict[str, Any]:
    """The suite as stored (plain JSON), for tests and documentation."""
    return json.loads(suite_path(kind).read_text(encoding="utf-8"))


class SuiteLoadError(RuntimeError):
    """A suite lost expectations while loading (an expectation class GX did not know)."""


@lru_cache(maxsize=1)
def _batch_definition() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars would scribble on the CLI's output and the pipeline logs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_pandas("chu_bench")
    asset = datasource.add_dataframe_asset("fichier_recu")
    return asset.add_batch_definition_whole_dataframe("fichier_entier")


@cache
def load_suite(kind: str) -> Any:
    """The kind's ``ExpectationSuite``, reloaded from JSON, with its expectation count checked.

    GX silently drops an expectation whose class is not imported (DESIGN §9): a suite that
    comes back shorter than its JSON would let bad files through, so it is refused loudly.
    """
    import great_expectations as gx

    _batch_definition()  # the suite resolves through the context created there
    document = suite_document(kind)
    suite = gx.ExpectationSuite(
        name=document["name"], expectations=document["expectations"], meta=document.get("meta")
    )
    expected = len(document["expectations"])
    if len(suite.expectations) != expected:
        raise SuiteLoadError(
            f"La suite {kind} n'a chargé que {len(suite.expectations)} attentes sur {expected}."
        )
    return suite


def warm_up(kinds: tuple[str, ...] = ("maturite", "depenses", "profil")) -> None:
    """Import GX and load the suites ahead of time (the dashboard and the pipeline call it)."""
    with _lock:
        for kind in kinds:
            load_suite(kind)


@dataclass(frozen=True)
class RuleFailure:
    """The rows that failed one expectation of a suite, in frame order (file, then line).

    ``files`` and ``lines`` are parallel arrays (the frame's index); ``crash`` holds the
    message of an expectation that raised instead of answering (then both are empty).
    """

    rule: str
    column: str | None
    other: str | None
    repeats_only: bool
    files: np.ndarray
    lines: np.ndarray
    crash: str | None = None


def run_suite(
    kind: str, frame: pd.DataFrame, *, parameters: Mapping[str, Any]
) -> list[RuleFailure]:
    """Validate ``frame`` against the kind's suite in one Great Expectations validation.

    ``frame`` holds one row per data record of one or many files, indexed by
    (``fichier``, ``line``): the file's position in the batch and its spreadsheet line.
    Every failing row comes back by that index (``unexpected_index_column_names``); the
    values themselves are left out (``exclude_unexpected_values``), which keeps a file of a
    million bad rows to arrays of numbers instead of a million dictionaries.
    """
    with _lock:
        suite = load_suite(kind)
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [FILE_COLUMN, LINE_COLUMN],
                "exclude_unexpected_values": True,
                "return_unexpected_index_query": False,
            },
            expectation_parameters=dict(parameters),
        )
    failures: list[RuleFailure] = []
    empty = np.zeros(0, dtype=np.int64)
    for item in result.results:
        meta = item.expectation_config.meta or {}
        rule = meta.get("rule", item.expectation_config.type)
        column = meta.get("column")
        common = {
            "rule": rule,
            "column": column,
            "other": meta.get("other"),
            "repeats_only": meta.get("report") == "repeats_only",
        }
        if item.exception_info and item.exception_info.get("raised_exception"):
            # Never let a crashed expectation pass as a success.
            detail = str(item.exception_info.get("exception_message", ""))[:200]
            failures.append(RuleFailure(**common, files=empty, lines=empty, crash=detail))
            continue
        if item.success:
            continue
        listed = item.result.get("unexpected_index_list") or []
        keys = listed[0] if listed else {FILE_COLUMN: [], LINE_COLUMN: []}
        files = np.asarray(keys[FILE_COLUMN], dtype=np.int64)
        lines = np.asarray(keys[LINE_COLUMN], dtype=np.int64)
        order = np.lexsort((lines, files))  # frame order, whatever GX's
        failures.append(RuleFailure(**common, files=files[order], lines=lines[order]))
    return failures
