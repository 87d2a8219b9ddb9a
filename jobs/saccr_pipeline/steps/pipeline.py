"""The capital run of a range of business dates without Airflow (`saccr run`): every step of the registry,
each once per batch of dates, in one Spark application.

The business dates of the range (conf/holidays.toml) are run in batches of `settings.batch_dates`: ingest,
validate, compute, publish and marts each run once for the batch, then the batch's runs are closed (their
`run` rows), then the next batch, so a long backfill publishes as it goes and each date's movement finds the
date before it published. Each date has its own run id (`<yyyymmdd>-<token>`, one token for the range) and
run_log rows, and gives exactly the results it gives run alone (`--as-of`, the one-date case of the same
code). A date that fails a step (missing extracts, a failed data-quality gate) is recorded with its message;
the other dates still publish. A date another run is running (its lease, lakehouse.lease) is refused; when
another run holds every date of a batch, the range stops with LeaseHeldError naming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from saccr.errors import SaccrError
from saccr_pipeline.config.business_calendar import load_calendar
from saccr_pipeline.errors import LeaseHeldError, UsageError
from saccr_pipeline.run_ids import run_id_of
from saccr_pipeline.steps.batch import Progress
from saccr_pipeline.steps.job import Job
from saccr_pipeline.steps.registry import STEP_NAMES, STEPS
from saccr_pipeline.steps.runner import run_step
from saccr_pipeline.steps.summarise import DateOutcome, close_runs, largest_netting_sets, write_run_reports


@dataclass(frozen=True)
class Plan:
    """The business dates of a range, and the other days of it with the reason they are skipped."""

    dates: tuple[dt.date, ...]
    skipped: dict[dt.date, str]


def plan_dates(first: dt.date, last: dt.date) -> Plan:
    """The business dates from `first` to `last` (both included); UsageError if there is none."""
    calendar = load_calendar()
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    skipped = {d: reason for d in days if (reason := calendar.closed_reason(d))}
    dates = tuple(d for d in days if d not in skipped)
    if not dates:
        why = "; ".join(f"{d} is a {r}" if d.weekday() >= 5 else f"{d}: {r}" for d, r in skipped.items())
        raise UsageError(f"no business date from {first} to {last} ({why}): nothing to run")
    return Plan(dates, skipped)


@dataclass
class RangeSummary:
    token: str
    outcomes: list[DateOutcome] = field(default_factory=list)
    largest: pd.DataFrame | None = None  # largest netting sets of the last date published
    reports: list[str] = field(default_factory=list)  # the run report of each published date

    @property
    def failed(self) -> list[DateOutcome]:
        return [o for o in self.outcomes if not o.succeeded]


def run_dates(
    job: Job, dates: Sequence[dt.date], token: str, progress: Progress = print, top: int = 10
) -> RangeSummary:
    """Run every step for `dates` in batches of `settings.batch_dates`; a date's failure is in its outcome.
    Errors that are not the pipeline's (a lost executor, a bug) are raised."""
    summary = RangeSummary(token)
    size = job.settings.batch_dates
    ordered = sorted(dates)
    progress(f"run {token}: {len(ordered)} date(s) {ordered[0]}..{ordered[-1]}, lakehouse {job.lake.root}")
    for start in range(0, len(ordered), size):
        batch = ordered[start : start + size]
        refused: LeaseHeldError | None = None
        for step in STEPS:
            try:
                run_step(job, step, batch, token, progress, whole_run=True)
            except LeaseHeldError as exc:  # other runs hold every date of the batch
                refused = exc
            except SaccrError:
                pass  # every date of the batch failed this step: recorded; their later steps do not run
        closed = close_runs(job.lake, [run_id_of(d, token) for d in batch], STEP_NAMES)
        summary.reports += write_run_reports(job.lake, closed, progress)
        summary.outcomes += closed
        if refused is not None:
            raise refused
    published = [o.as_of for o in summary.outcomes if o.succeeded]
    if published:
        summary.largest = largest_netting_sets(job.lake, published[-1], top)
    return summary
