"""A step's share of one date: the run it belongs to, the step's run_log record, and what the date's earlier
steps handed on (their run_log records: the versions they wrote). Steps take a list of these, one per date of
the batch they run, and fail a date by failing its record; a problem of the whole batch is raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from saccr_pipeline.lakehouse.run_log import RunContext, StepRecord

Progress = Callable[[str], None]


@dataclass
class DateRun:
    """One date's part in one step of a batch."""

    ctx: RunContext
    record: StepRecord  # this step's run_log record
    before: Mapping[str, StepRecord] = field(default_factory=dict)  # earlier steps' successful records
    exception: BaseException | None = None  # why the date failed this step, when it did

    @property
    def as_of(self) -> dt.date:
        return self.ctx.as_of

    @property
    def run_id(self) -> str:
        return self.ctx.run_id

    @property
    def failed(self) -> bool:
        return self.record.status == "failed"

    def fail(self, exception: BaseException) -> None:
        """The date cannot go on: its record says why, its later steps do not run."""
        self.exception = exception
        self.record.fail(exception)

    def handed(self, step: str, key: str) -> int:
        """The version of table `key` that the date's step `step` wrote."""
        return int(self.before[step].output_versions[key])


def going(runs: Sequence[DateRun]) -> list[DateRun]:
    """The runs that have not failed (yet) in this step."""
    return [r for r in runs if not r.failed]


def dates_of(runs: Sequence[DateRun]) -> list[dt.date]:
    return [r.as_of for r in runs]


def run_ids(runs: Sequence[DateRun]) -> list[str]:
    return [r.run_id for r in runs]


def versions(runs: Sequence[DateRun], step: str, key: str) -> dict[dt.date, int]:
    """Each date's version of `key` as its step `step` wrote it."""
    return {r.as_of: r.handed(step, key) for r in runs}


def commit_metadata(runs: Sequence[DateRun], step: str) -> dict[str, object]:
    """What a step's Delta commit carries in userMetadata: the step and the run ids it wrote."""
    return {"step": step, "run_ids": run_ids(runs)}
