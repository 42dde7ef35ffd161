"""Run the Great Expectations suites (``expectations/suites/<kind>.json``) on a parsed file.

GX is imported here, lazily and once per process: ``import great_expectations`` costs
seconds (DESIGN §9), so nothing imports this module at start-up. One ephemeral context,
one pandas datasource and one whole-dataframe batch definition serve every validation.

Each expectation carries in its ``meta`` the contract rule it implements (``rule``) and the
contract column a failure is reported on (``column``; ``other`` for pair rules). Failing
rows come back through ``unexpected_index_list`` keyed by the ``line`` column, and become
:class:`~expectations.report.Finding` objects with their French message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.report import Finding

if TYPE_CHECKING:
    import pandas as pd

SUITES_DIR = Path(__file__).resolve().parent / "suites"
LINE_COLUMN = "line"

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


MessageBuilder = Callable[[str, int | None, str | None, str | None, Mapping[str, Any]], str]


def run_suite(
    kind: str,
    frame: pd.DataFrame,
    *,
    parameters: Mapping[str, Any],
    raw_rows: Mapping[int, Mapping[str, str]],
    message: MessageBuilder,
    skip: set[tuple[int, str]] | None = None,
) -> list[Finding]:
    """Validate ``frame`` (one row per data record, with a ``line`` column) against the suite.

    ``raw_rows`` maps a line to the cells as written, so that findings quote the user's own
    text. ``skip`` holds (line, column) pairs already reported while parsing (a cell that is
    not a number is not also "out of range"). ``message`` builds the French sentence.
    """
    with _lock:
        suite = load_suite(kind)
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [LINE_COLUMN],
            },
            expectation_parameters=dict(parameters),
        )
    skip = skip or set()
    findings: list[Finding] = []
    for item in result.results:
        meta = item.expectation_config.meta or {}
        rule = meta.get("rule", item.expectation_config.type)
        column = meta.get("column")
        if item.exception_info and item.exception_info.get("raised_exception"):
            # Never let a crashed expectation pass as a success.
            detail = str(item.exception_info.get("exception_message", ""))[:200]
            findings.append(
                Finding(
                    line=None,
                    column=column,
                    value=None,
                    rule="erreur_interne",
                    message=message("erreur_interne", None, column, None, {"detail": detail}),
                )
            )
            continue
        if item.success:
            continue
        lines = [int(entry[LINE_COLUMN]) for entry in item.result.get("unexpected_index_list", [])]
        if meta.get("report") == "repeats_only":
            failures = _repeats(lines, frame, item.expectation_config.kwargs["column"])
        else:
            failures = [(line, None) for line in lines]
        for line, first_line in failures:
            if (line, column) in skip:
                continue
            raw = raw_rows.get(line, {})
            value = raw.get(column) if column else None
            extra: dict[str, Any] = {"first_line": first_line}
            if meta.get("other"):
                extra["other"] = raw.get(meta["other"], "")
            if rule == "commentaire_trop_long":
                extra["length"] = len(value or "")
            findings.append(
                Finding(
                    line=line,
                    column=column,
                    value=value if value != "" else None,
                    rule=rule,
                    message=message(rule, line, column, value, extra),
                )
            )
    return findings


def _repeats(lines: list[int], frame: pd.DataFrame, column: str) -> list[tuple[int, int | None]]:
    """Of the rows sharing a value, keep the repeats, each with the line of the first one."""
    values = dict(zip(frame[LINE_COLUMN].tolist(), frame[column].tolist(), strict=True))
    first: dict[Any, int] = {}
    repeats: list[tuple[int, int | None]] = []
    for line in sorted(lines):
        value = values[line]
        if value in first:
            repeats.append((line, first[value]))
        else:
            first[value] = line
    return repeats
