"""In-process runner of the Dagster pipeline, used by ``chu-bench run`` (DESIGN §6).

Every file under ``<landing>/<CHU>/*.csv`` is ingested by one run of the ``ingest_file``
job in its CHU × year partition (or of ``ingest_unmapped_file`` when it has none), then
the benchmark is rebuilt once. Runs execute in this process, on the Dagster instance of
``DAGSTER_HOME`` when it is set (so that they appear in the UI of ``make run``), else on
an ephemeral in-memory instance.

Files already received (same bytes, by SHA-256, from the same CHU folder) are not run
again: their stored outcome is shown, so running twice on the same folder changes nothing.
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
    from sqlalchemy.engine import Engine

    from assets.landing import LandingFile

ACCEPTED = "acceptee"
REJECTED = "rejetee"
FAILED = "erreur"

# Dagster's console logger prints every event at DEBUG; the runner prints its own lines.
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class FileOutcome:
    landed: LandingFile
    status: str  # ACCEPTED | REJECTED | FAILED
    errors: list[str] = field(default_factory=list)  # French messages (first few)
    n_errors: int = 0
    submission_id: int | None = None
    already_received: bool = False
    validation_seconds: float = 0.0
    load_seconds: float = 0.0
    run_seconds: float = 0.0


@dataclass
class Timings:
    startup: float = 0.0  # imports (Dagster, Great Expectations), definitions, instance
    validation: float = 0.0  # validated_submission steps (read + validate [+ store if rejected])
    loading: float = 0.0  # warehouse_load steps
    orchestration: float = 0.0  # the rest of each run: Dagster's own bookkeeping
    benchmark: float = 0.0
    total: float = 0.0


@dataclass
class RunSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    unknown_folders: list[Path] = field(default_factory=list)
    stray_files: list[Path] = field(default_factory=list)
    benchmark_ok: bool = False
    benchmark_error: str | None = None
    timings: Timings = field(default_factory=Timings)

    @property
    def failed(self) -> bool:
        return not self.benchmark_ok or any(o.status == FAILED for o in self.outcomes)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def dagster_instance() -> dg.DagsterInstance:
    """The instance of ``DAGSTER_HOME`` when set (runs visible in the UI), else in memory."""
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _stored_outcome(
    engine: Engine, sha256: str, sender_chu: str
) -> tuple[str, int, int, list[str]] | None:
    """(status, id, n_errors, first error messages) of bytes already received from
    ``sender_chu``, else None."""
    import sqlalchemy as sa

    from warehouse.schema import submissions

    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                submissions.c.id, submissions.c.valid, submissions.c.n_errors, submissions.c.report
            ).where((submissions.c.sha256 == sha256) & (submissions.c.sender_chu == sender_chu))
        ).first()
    if row is None:
        return None
    report = row.report if isinstance(row.report, dict) else {}
    messages = [e.get("message", "") for e in report.get("errors", [])][:3]
    return (ACCEPTED if row.valid else REJECTED, row.id, row.n_errors or 0, messages)


def _step_seconds(result: dg.ExecuteInProcessResult) -> dict[str, float]:
    """Duration of each step, from its success or failure event."""
    durations: dict[str, float] = {}
    for event in result.all_events:
        if event.step_key is None:
            continue
        data = event.event_specific_data
        duration = getattr(data, "duration_ms", None)
        if event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and duration is not None:
            durations[event.step_key] = duration / 1000
    return durations


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            if error is not None:
                # A Failure's description is already a French sentence.
                message = error.message.strip().splitlines()[0]
                return message.split(": ", 1)[-1] if "Error:" in message else message
    return "échec de l'exécution Dagster"


def _partitioned_outcome(landed: LandingFile, result: dg.ExecuteInProcessResult) -> FileOutcome:
    from assets.ingest import STATUS_REJECTED, VALIDATED_SUBMISSION, WAREHOUSE_LOAD

    metadata: dict[str, dict[str, object]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        if mat is not None:
            metadata[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    validated = metadata.get(VALIDATED_SUBMISSION.to_user_string(), {})
    loaded = metadata.get(WAREHOUSE_LOAD.to_user_string())
    steps = _step_seconds(result)
    outcome = FileOutcome(
        landed=landed,
        status=FAILED,
        validation_seconds=steps.get("validated_submission", 0.0),
        load_seconds=steps.get("warehouse_load", 0.0),
    )
    if result.success and loaded is not None:
        outcome.status = ACCEPTED
        outcome.submission_id = int(loaded["submission_id"])  # type: ignore[arg-type]
    elif validated.get("statut") == STATUS_REJECTED:
        outcome.status = REJECTED
        outcome.submission_id = int(validated["submission_id"])  # type: ignore[arg-type]
        outcome.n_errors = int(validated.get("erreurs", 0))  # type: ignore[arg-type]
    else:
        outcome.errors = [_failure_message(result)]
    return outcome


def _unmapped_outcome(landed: LandingFile, result: dg.ExecuteInProcessResult) -> FileOutcome:
    steps = _step_seconds(result)
    outcome = FileOutcome(
        landed=landed, status=FAILED, validation_seconds=steps.get("store_unmapped_file", 0.0)
    )
    if not result.success:
        outcome.errors = [_failure_message(result)]
        return outcome
    value = result.output_for_node("store_unmapped_file")
    outcome.submission_id = int(value["submission_id"])
    outcome.n_errors = int(value["errors"])
    outcome.status = ACCEPTED if value["valid"] else REJECTED
    return outcome


def run_landing(
    landing_dir: str | Path,
    database_url: str | None = None,
    *,
    out: TextIO | None = None,
    started_at: float | None = None,
    instance: dg.DagsterInstance | None = None,
) -> RunSummary:
    """Ingest every file of the landing folder, then rebuild the benchmark; prints progress
    in French on ``out`` (stdout by default). ``instance``: default :func:`dagster_instance`."""
    out = out or sys.stdout
    begin = started_at if started_at is not None else time.perf_counter()
    summary = RunSummary()

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    with warnings.catch_warnings():
        # Dagster's beta/preview warnings are for the code's authors, not for users.
        warnings.simplefilter("ignore")
        from assets.landing import CHANNEL_RUN, peek_year, scan_landing
        from assets.partitions import has_partition, partition_key
        from expectations.gx_runner import warm_up
        from expectations.reference import load_reference
        from pipelines.definitions import build_defs
        from warehouse.engine import make_engine
        from warehouse.submissions import sha256_hex

        reference = load_reference()
        defs = build_defs(database_url=database_url, landing_dir=str(landing_dir), settle_seconds=0)
        ingest_job = defs.resolve_job_def("ingest_file")
        unmapped_job = defs.resolve_job_def("ingest_unmapped_file")
        benchmark_job = defs.resolve_job_def("benchmark_job")
        engine = make_engine(database_url)
        warm_up()  # Great Expectations' import (~3 s) counts as start-up, not validation
        instance = instance or dagster_instance()
    summary.timings.startup = time.perf_counter() - begin

    scan = scan_landing(landing_dir, reference.chu_codes)
    summary.unknown_folders = scan.unknown_folders
    summary.stray_files = scan.stray_files
    for folder in scan.unknown_folders:
        say(
            f"Dossier ignoré : {folder.name}/ (ce n'est pas un code du registre : "
            f"{', '.join(reference.chu_codes)})."
        )
    for stray in scan.stray_files:
        say(f"Fichier ignoré : {stray.name} (à placer dans le dossier de son CHU).")

    total = len(scan.files)
    if total == 0:
        say(f"Aucun fichier CSV dans {landing_dir}/<CHU>/.")
    for index, landed in enumerate(scan.files, start=1):
        prefix = f"[{index}/{total}] {landed.display} …"
        try:
            content = landed.path.read_bytes()
        except OSError as exc:  # removed or unreadable since the scan
            outcome = FileOutcome(
                landed=landed, status=FAILED, errors=[f"fichier illisible ({exc})"]
            )
            summary.outcomes.append(outcome)
            say(f"{prefix} ÉCHEC : {outcome.errors[0]}")
            continue
        digest = sha256_hex(content)
        stored = _stored_outcome(engine, digest, landed.chu)
        if stored is not None:
            status, submission_id, n_errors, messages = stored
            outcome = FileOutcome(
                landed=landed,
                status=status,
                submission_id=submission_id,
                n_errors=n_errors,
                errors=messages,
                already_received=True,
            )
        else:
            annee = peek_year(content, landed.path.name)
            tags = {"chu_bench/fichier": landed.display, "chu_bench/origine": "chu-bench run"}
            clock = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if annee is not None and has_partition(landed.chu, annee):
                    config = {"path": str(landed.path.resolve()), "channel": CHANNEL_RUN}
                    result = ingest_job.execute_in_process(
                        run_config={
                            "ops": {"validated_submission": {"config": config}},
                            **QUIET_LOGGERS,
                        },
                        partition_key=str(partition_key(landed.chu, annee)),
                        instance=instance,
                        raise_on_error=False,
                        tags=tags,
                    )
                    outcome = _partitioned_outcome(landed, result)
                else:
                    config = {
                        "path": str(landed.path.resolve()),
                        "sender_chu": landed.chu,
                        "channel": CHANNEL_RUN,
                    }
                    result = unmapped_job.execute_in_process(
                        run_config={
                            "ops": {"store_unmapped_file": {"config": config}},
                            **QUIET_LOGGERS,
                        },
                        instance=instance,
                        raise_on_error=False,
                        tags=tags,
                    )
                    outcome = _unmapped_outcome(landed, result)
            outcome.run_seconds = time.perf_counter() - clock
            if outcome.status == REJECTED:
                # The full French messages, as stored with the submission.
                stored = _stored_outcome(engine, digest, landed.chu)
                outcome.errors = stored[3] if stored else []
        summary.outcomes.append(outcome)
        summary.timings.validation += outcome.validation_seconds
        summary.timings.loading += outcome.load_seconds
        summary.timings.orchestration += max(
            0.0, outcome.run_seconds - outcome.validation_seconds - outcome.load_seconds
        )
        already = " (déjà reçue)" if outcome.already_received else ""
        if outcome.status == ACCEPTED:
            say(f"{prefix} acceptée{already}")
        elif outcome.status == REJECTED:
            count = _plural(outcome.n_errors, "erreur")
            say(f"{prefix} rejetée{already} : {count}")
            for message in outcome.errors:
                say(f"      {message}")
        else:
            say(f"{prefix} ÉCHEC : {'; '.join(outcome.errors)}")

    clock = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = benchmark_job.execute_in_process(
            run_config=QUIET_LOGGERS,
            instance=instance,
            raise_on_error=False,
            tags={"chu_bench/origine": "chu-bench run"},
        )
    summary.timings.benchmark = time.perf_counter() - clock
    summary.benchmark_ok = result.success
    if result.success:
        say("Benchmark recalculé.")
    else:
        summary.benchmark_error = _failure_message(result)
        say(f"ÉCHEC du recalcul du benchmark : {summary.benchmark_error}")
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
            f"  validation (lecture + contrat)                                 : {s(timings.validation)}",
            f"  chargement dans l'entrepôt                                     : {s(timings.loading)}",
            f"  orchestration Dagster (hors étapes)                            : {s(timings.orchestration)}",
            f"  recalcul du benchmark                                          : {s(timings.benchmark)}",
            f"  total                                                          : {s(timings.total)}",
        ]
    )
