"""In-process runner of the Dagster pipeline, used by ``chu-bench run`` (DESIGN §6).

The landing folder is routed by :func:`assets.landing.plan_landing` (the sensor's own
routing): the files whose bytes were already received from their CHU folder are not run
again (their stored outcome is shown, so running twice on the same folder changes
nothing); everything new is ingested by ONE run of the ``ingest_batch`` job (one per
``MAX_FILES_PER_RUN`` files), which also refreshes the benchmark for the partitions it
changed. Runs execute in this process, on the Dagster instance of ``DAGSTER_HOME`` when it
is set (so that they appear in the UI of ``make run``), else on an ephemeral in-memory
instance.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import dagster as dg

    from assets.landing import LandingFile, RefusedEntry
    from warehouse.ingestion import IngestionOutcome

ACCEPTED = "acceptee"
REJECTED = "rejetee"
FAILED = "erreur"

# Dagster's console logger prints every event at DEBUG; the runner prints its own lines.
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class FileOutcome:
    landed: LandingFile | RefusedEntry
    status: str  # ACCEPTED | REJECTED | FAILED
    errors: list[str] = field(default_factory=list)  # French messages (first few)
    n_errors: int = 0
    submission_id: int | None = None
    already_received: bool = False


@dataclass
class Timings:
    startup: float = 0.0  # imports (Dagster, Great Expectations), definitions, instance
    routing: float = 0.0  # scan of the landing folder, hashes, "already received" lookup
    validation: float = 0.0  # reading and validating the new files (one batch)
    loading: float = 0.0  # storing them (bulk inserts) and deciding current/superseded
    benchmark: float = 0.0  # incremental refresh of the partitions changed
    orchestration: float = 0.0  # the rest of each run: Dagster's own bookkeeping
    total: float = 0.0


@dataclass
class RunSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    unknown_folders: list[Path] = field(default_factory=list)
    stray_files: list[Path] = field(default_factory=list)
    runs: int = 0
    benchmark_ok: bool = True
    benchmark_error: str | None = None
    timings: Timings = field(default_factory=Timings)

    @property
    def failed(self) -> bool:
        return not self.benchmark_ok or any(o.status == FAILED for o in self.outcomes)


def _plural(count: int, word: str) -> str:
    from expectations.labels import french_count

    return f"{french_count(count)} {word}{'s' if count > 1 else ''}"


def dagster_instance() -> dg.DagsterInstance:
    """The instance of ``DAGSTER_HOME`` when set (runs visible in the UI), else in memory."""
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The first failure of a run, as one line: a ``Failure``'s own (French) description,
    else the underlying error's first line (never a traceback)."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            if error is not None:
                root = error.cause if error.cause is not None else error
                message = root.message.strip().splitlines()[0]
                return f"échec de l'ingestion : {message}"
    return "échec de l'exécution Dagster"


def _step_metadata(result: dg.ExecuteInProcessResult) -> dict[str, float]:
    """The output metadata of the ``ingest`` step of ``ingest_batch`` (counts and timings)."""
    for event in result.all_events:
        if event.event_type_value == "STEP_OUTPUT":
            metadata = event.event_specific_data.metadata or {}
            return {k: v.value for k, v in metadata.items()}  # type: ignore[misc]
    return {}


def _outcome(
    landed: LandingFile | RefusedEntry, stored: IngestionOutcome, known: bool
) -> FileOutcome:
    errors = stored.errors
    return FileOutcome(
        landed=landed,
        status=REJECTED if str(stored.status) == "rejected" else ACCEPTED,
        errors=[str(e.get("message", "")) for e in errors[:3]],
        n_errors=stored.error_total,
        submission_id=stored.submission_id,
        already_received=known,
    )


def run_landing(
    landing_dir: str | Path,
    database_url: str | None = None,
    *,
    out: TextIO | None = None,
    started_at: float | None = None,
    instance: dg.DagsterInstance | None = None,
) -> RunSummary:
    """Ingest every new file of the landing folder in one batch run (the benchmark is
    refreshed by that run); prints progress in French on ``out`` (stdout by default).
    ``instance``: default :func:`dagster_instance`."""
    out = out or sys.stdout
    begin = started_at if started_at is not None else time.perf_counter()
    summary = RunSummary()

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    with warnings.catch_warnings():
        # Dagster's beta/preview warnings are for the code's authors, not for users.
        warnings.simplefilter("ignore")
        from assets.ingest import TIMING_BENCHMARK, TIMING_READ
        from assets.landing import plan_landing
        from expectations.gx_runner import warm_up
        from expectations.reference import load_reference
        from pipelines.definitions import build_defs
        from pipelines.sensors import batch_run_configs
        from warehouse.engine import make_engine
        from warehouse.ingestion import (
            TIMING_STORAGE,
            TIMING_VALIDATION,
            known_outcomes,
            refused_digest,
        )

        reference = load_reference()
        defs = build_defs(database_url=database_url, landing_dir=str(landing_dir), settle_seconds=0)
        job = defs.resolve_job_def("ingest_batch")
        engine = make_engine(database_url)
        warm_up()  # Great Expectations' import (~3 s) counts as start-up, not validation
        instance = instance or dagster_instance()
    summary.timings.startup = time.perf_counter() - begin

    clock = time.perf_counter()
    plan = plan_landing(landing_dir, engine, reference.chu_codes)
    summary.timings.routing = time.perf_counter() - clock
    summary.unknown_folders = plan.unknown_folders
    summary.stray_files = plan.stray_files
    for folder in plan.unknown_folders:
        say(
            f"Dossier ignoré : {folder.name}/ (ce n'est pas un code du registre : "
            f"{', '.join(reference.chu_codes)})."
        )
    for stray in plan.stray_files:
        say(f"Fichier ignoré : {stray.name} (à placer dans le dossier de son CHU).")

    failure: str | None = None
    for config in batch_run_configs(plan, channel="run"):
        clock = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = job.execute_in_process(
                run_config={**config, **QUIET_LOGGERS},
                instance=instance,
                raise_on_error=False,
                tags={"chu_bench/origine": "chu-bench run"},
            )
        elapsed = time.perf_counter() - clock
        summary.runs += 1
        metadata = _step_metadata(result)
        steps = {
            "validation": float(metadata.get(TIMING_READ, 0.0))
            + float(metadata.get(TIMING_VALIDATION, 0.0)),
            "loading": float(metadata.get(TIMING_STORAGE, 0.0)),
            "benchmark": float(metadata.get(TIMING_BENCHMARK, 0.0)),
        }
        summary.timings.validation += steps["validation"]
        summary.timings.loading += steps["loading"]
        summary.timings.benchmark += steps["benchmark"]
        summary.timings.orchestration += max(0.0, elapsed - sum(steps.values()))
        if not result.success:
            failure = _failure_message(result)
            summary.benchmark_ok = False
            summary.benchmark_error = failure

    # Every file's outcome, in the order of the folder: from the warehouse, where the run
    # stored them (a file missing there was not ingested: the run failed).
    keys: dict[int, tuple[str, str]] = {}
    entries: list[tuple[str, LandingFile | RefusedEntry]] = []
    for landed, _stored in plan.known:
        entries.append((landed.display, landed))
    for landed in plan.new:
        entries.append((landed.display, landed))
    for entry in plan.refused:
        entries.append((entry.display, entry))
    for landed, _reason in plan.unreadable:
        entries.append((landed.display, landed))
    entries.sort(key=lambda item: item[0])
    known_before = {id(landed): stored for landed, stored in plan.known}
    unreadable = {id(landed): reason for landed, reason in plan.unreadable}
    for landed in plan.new:
        keys[id(landed)] = (plan.digests[landed.path], landed.chu)
    for entry in plan.refused:
        keys[id(entry)] = (refused_digest(entry.display), entry.chu)
    stored_now = known_outcomes(engine, keys.values()) if keys else {}

    total = len(entries)
    if total == 0:
        say(f"Aucun fichier CSV ou XLSX dans {landing_dir}/<CHU>/.")
    first_seen: set[tuple[str, str]] = set()
    for index, (display, landed) in enumerate(entries, start=1):
        prefix = f"[{index}/{total}] {display} …"
        if id(landed) in known_before:
            outcome = _outcome(landed, known_before[id(landed)], known=True)
        elif id(landed) in unreadable:
            outcome = FileOutcome(landed=landed, status=FAILED, errors=[unreadable[id(landed)]])
        elif keys.get(id(landed)) in stored_now:
            key = keys[id(landed)]
            # The same bytes twice in one folder: the second copy is « déjà reçue ».
            outcome = _outcome(landed, stored_now[key], known=key in first_seen)
            first_seen.add(key)
        else:
            outcome = FileOutcome(
                landed=landed,
                status=FAILED,
                errors=[failure or "modifié pendant l'ingestion : relancer chu-bench run"],
            )
        summary.outcomes.append(outcome)
        already = " (déjà reçue)" if outcome.already_received else ""
        if outcome.status == ACCEPTED:
            say(f"{prefix} acceptée{already}")
        elif outcome.status == REJECTED:
            say(f"{prefix} rejetée{already} : {_plural(outcome.n_errors, 'erreur')}")
            for message in outcome.errors:
                say(f"      {message}")
        else:
            say(f"{prefix} ÉCHEC : {'; '.join(outcome.errors)}")

    if summary.runs == 0:
        say("Aucun nouveau fichier : le benchmark est à jour.")
    elif summary.benchmark_ok:
        say("Benchmark recalculé.")
    else:
        say(f"ÉCHEC de l'exécution : {summary.benchmark_error}")
    summary.timings.total = time.perf_counter() - begin
    return summary


def format_summary(summary: RunSummary) -> str:
    """The per-CHU table of accepted and rejected files, in French."""
    accepted: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for outcome in summary.outcomes:
        counter = {ACCEPTED: accepted, REJECTED: rejected, FAILED: failed}[outcome.status]
        counter[outcome.landed.chu] += 1
    codes = sorted({o.landed.chu for o in summary.outcomes})
    header = f"{'CHU':<6}{'acceptés':>10}{'rejetés':>10}"
    show_failed = bool(failed)
    if show_failed:
        header += f"{'en échec':>10}"
    lines = ["", "Résumé par CHU :", header, "-" * len(header)]
    for code in codes:
        line = f"{code:<6}{accepted[code]:>10}{rejected[code]:>10}"
        if show_failed:
            line += f"{failed[code]:>10}"
        lines.append(line)
    line = f"{'Total':<6}{sum(accepted.values()):>10}{sum(rejected.values()):>10}"
    if show_failed:
        line += f"{sum(failed.values()):>10}"
    lines += ["-" * len(header), line]
    rejected_files = [o for o in summary.outcomes if o.status == REJECTED]
    if rejected_files:
        lines.append("")
        lines.append("Fichiers rejetés (conservés avec leur rapport ; à corriger et redéposer) :")
        for outcome in rejected_files:
            lines.append(
                f"  - {outcome.landed.display} : {_plural(outcome.n_errors, 'erreur')} "
                f"(soumission {outcome.submission_id})"
            )
    return "\n".join(lines)


def format_timings(timings: Timings) -> str:
    def s(value: float) -> str:
        return f"{value:.2f}".replace(".", ",") + " s"

    return "\n".join(
        [
            "",
            "Durées :",
            f"  démarrage (imports Dagster et Great Expectations, définitions) : {s(timings.startup)}",
            f"  tri du dossier de dépôt (empreintes, fichiers déjà reçus)     : {s(timings.routing)}",
            f"  validation (lecture + contrat)                                 : {s(timings.validation)}",
            f"  chargement dans l'entrepôt                                     : {s(timings.loading)}",
            f"  orchestration Dagster (hors étapes)                            : {s(timings.orchestration)}",
            f"  recalcul du benchmark (partitions touchées)                    : {s(timings.benchmark)}",
            f"  total                                                          : {s(timings.total)}",
        ]
    )
