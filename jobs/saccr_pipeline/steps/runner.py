"""How one step of the registry runs over the dates of a batch.

A step runs for the dates whose earlier steps succeeded in their run (read from the run log, so a step started
by Airflow in its own process finds them as `saccr run` does in one) and whose lease holds (one run of a date
at a time: saccr_pipeline.lakehouse.lease), in chunks of `settings.batch_dates` dates; each chunk's run_log
rows are appended in one commit when it ends. A date that fails a step is recorded as failed and its later
steps do not run; the other dates go on.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

from saccr.errors import SaccrError
from saccr_pipeline.errors import LeaseHeldError
from saccr_pipeline.lakehouse.lease import Holder, claim, held_message, lease_problems
from saccr_pipeline.lakehouse.run_log import StepRecord
from saccr_pipeline.lakehouse.tables import remove_path
from saccr_pipeline.run_ids import run_id_of, token_of
from saccr_pipeline.steps.batch import DateRun, Progress
from saccr_pipeline.steps.job import Job
from saccr_pipeline.steps.registry import Step


def run_step(
    job: Job,
    step: Step,
    dates: Sequence[dt.date],
    token: str,
    progress: Progress = print,
    whole_run: bool = False,
) -> list[DateRun]:
    """Run `step` for each of `dates` (run id `<yyyymmdd>-<token>`) whose earlier steps succeeded and whose
    lease holds (lakehouse.lease: the first step claims the dates; `whole_run`: this process runs every step,
    so its death ends the lease), in chunks of `settings.batch_dates`; return the date runs, failed or not.
    Raises when every date it ran failed (the error of the first one), or with the error of a chunk that is
    not a pipeline error (which may be transient: Airflow retries the task)."""
    history = job.run_log.steps_of(run_id_of(d, token) for d in dates)
    runs = []
    for day in sorted(dates):
        run_id = run_id_of(day, token)
        done = {s: r for s, r in history[run_id].items() if r.status == "success"}
        if all(need in done for need in step.needs):
            runs.append(DateRun(job.context(day, run_id), StepRecord(step.name), done))
    leased = _leased(job, step, runs, whole_run, progress)
    size = job.settings.batch_dates
    for start in range(0, len(leased), size):
        _run_chunk(job, step, leased[start : start + size], progress)
    failed = [r for r in runs if r.failed]
    if runs and len(failed) == len(runs):
        raise failed[0].exception or RuntimeError(failed[0].record.error)
    return runs


def _leased(job: Job, step: Step, runs: list[DateRun], whole_run: bool, progress: Progress) -> list[DateRun]:
    """The runs that may go on under their date's lease. The first step claims the dates (closing dead
    leases and removing their runs' staging); a later step checks that no other live run holds them. A
    refused date is recorded as failed with LeaseHeldError, naming the run in progress."""
    if not runs:
        return runs
    minutes = job.settings.run_lease_minutes
    contexts = [r.ctx for r in runs]
    if step.needs:
        problems = lease_problems(job.run_log, contexts, minutes)
    else:
        found = claim(job.run_log, contexts, Holder.here(whole_run), minutes)
        for lease in found.abandoned:
            remove_path(job.spark, job.lake.staging(token_of(lease.run_id)))
            progress(
                f"  {step.name} {lease.as_of}: closed run {lease.run_id} as abandoned ({lease.dead}) and "
                f"removed its staging"
            )
        problems = {day: held_message(lease) for day, lease in found.held.items()}
    refused = [r for r in runs if r.as_of in problems]
    for r in refused:
        r.fail(LeaseHeldError(problems[r.as_of]))
        r.record.ended_at = dt.datetime.now(dt.UTC)
        progress(f"  {step.name} {r.as_of}: REFUSED {problems[r.as_of]}")
    if refused:
        job.run_log.append([(r.ctx, r.record) for r in refused])
    return [r for r in runs if not r.failed]


def _run_chunk(job: Job, step: Step, chunk: list[DateRun], progress: Progress) -> None:
    started = time.perf_counter()
    days = (
        ", ".join(str(r.as_of) for r in chunk) if len(chunk) <= 3 else f"{chunk[0].as_of}..{chunk[-1].as_of}"
    )
    progress(f"{step.name} {days} ({len(chunk)} date(s)): {step.summary}")
    error: BaseException | None = None
    try:
        step.run(job, chunk, progress)
    except Exception as exc:  # the whole chunk fails; recorded below, then raised unless a pipeline error
        error = exc
        for r in chunk:
            if not r.failed:
                r.fail(exc)
    finally:
        seconds = time.perf_counter() - started
        ended = dt.datetime.now(dt.UTC)
        for r in chunk:
            r.record.seconds, r.record.ended_at = seconds, ended
            r.record.counts["batch_dates"] = len(chunk)
            if not r.failed:
                r.record.status = "success"
        job.run_log.append([(r.ctx, r.record) for r in chunk])
    failed = sum(r.failed for r in chunk)
    progress(f"{step.name} done in {seconds:.1f} s" + (f", {failed} date(s) failed" if failed else ""))
    if error is not None and not isinstance(error, SaccrError):
        raise error
