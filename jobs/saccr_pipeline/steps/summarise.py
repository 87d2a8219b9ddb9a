"""Close the runs of a batch: one `run` row per date in audit/run_log, summing the date's step rows, and what
the batch published. No Spark: the run log and gold are read with delta-rs, so closing a run in the Airflow
DAG starts no JVM.

A date's run succeeded when every step of the registry has a successful latest row; otherwise it failed with
the error of its first step that did not succeed (or "did not run").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from saccr_pipeline.lakehouse.run_log import RUN_STEP, RunContext, RunLog, StepRecord
from saccr_pipeline.lakehouse.tables import Lakehouse, delta_log
from saccr_pipeline.run_ids import date_of_run
from saccr_pipeline.steps.batch import Progress

LARGEST_COLUMNS = (
    "netting_set_id",
    "counterparty_id",
    "margined",
    "trade_count",
    "mpor_days",
    "rc",
    "pfe",
    "ead",
)


@dataclass
class DateOutcome:
    """How one date's run ended."""

    as_of: dt.date
    run_id: str
    status: str
    error: str | None = None
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == "success"


def close_runs(lake: Lakehouse, run_ids: Sequence[str], steps: Sequence[str]) -> list[DateOutcome]:
    """Append the `run` row of each of `run_ids` (one commit) and return how each ended; `steps` are the
    registry's step names, in order."""
    run_log = RunLog(lake)
    latest = run_log.latest(run_ids)
    now = dt.datetime.now(dt.UTC)
    rows, outcomes = [], []
    for run_id in sorted(run_ids):
        mine = latest[(latest["run_id"] == run_id) & (latest["step"] != RUN_STEP)]
        records = {row["step"]: StepRecord.of_row(row) for row in mine.to_dict("records")}
        run = _run_record(records, steps, now)
        outcome = DateOutcome(
            date_of_run(run_id), run_id, run.status, run.error, run.seconds, run.step_seconds
        )
        outcomes.append(outcome)
        if not mine.empty:
            rows.append((_context(mine.iloc[-1], run_id), run))
    if rows:
        run_log.append(rows)
    return outcomes


def _run_record(records: dict[str, StepRecord], steps: Sequence[str], now: dt.datetime) -> StepRecord:
    started = min((r.started_at for r in records.values()), default=now)
    run = StepRecord(RUN_STEP, started_at=pd.Timestamp(started).to_pydatetime(), ended_at=now)
    for step in steps:
        record = records.get(step)
        if record is None or record.status != "success":
            run.fail(f"{step}: {record.error}" if record is not None else f"{step} did not run")
            break
        run.input_versions |= record.input_versions
        run.output_versions |= record.output_versions
        run.counts |= record.counts
        run.step_seconds[step] = record.seconds
    else:
        run.status = "success"
    run.seconds = (now - run.started_at).total_seconds()
    return run


def _context(row: pd.Series, run_id: str) -> RunContext:
    import json

    return RunContext(
        run_id=run_id,
        as_of=date_of_run(run_id),
        regime=row["regime"],
        parameter_version=row["parameter_version"],
        reporting_currency=row["reporting_currency"],
        options=json.loads(row["options"] or "{}"),
        code_version=row["code_version"],
    )


def write_run_reports(
    lake: Lakehouse, outcomes: Sequence[DateOutcome], progress: Progress = print
) -> list[str]:
    """Write the run report of each published date of `outcomes` and the index of runs
    (saccr_pipeline.report); a report that cannot be written is said, and does not undo a publish."""
    from saccr_pipeline.report.page import write_reports

    published = [o.run_id for o in outcomes if o.succeeded]
    try:
        pages = write_reports(lake, published)
    except Exception as exc:  # noqa: BLE001 - the dates are published; the report is a view of them
        progress(f"run report: NOT written ({type(exc).__name__}: {exc})")
        return []
    for page in pages:
        progress(f"run report: {page}")
    return pages


def largest_netting_sets(lake: Lakehouse, as_of: dt.date, top: int = 10) -> pd.DataFrame:
    """The `top` netting sets by EAD of the run published for `as_of` (empty if none is)."""
    run = RunLog(lake).published(as_of)
    if run is None:
        return pd.DataFrame(columns=list(LARGEST_COLUMNS))
    key = "gold/saccr_netting_set"
    rows = delta_log(lake, key, run.versions[key]).to_pandas(
        columns=list(LARGEST_COLUMNS),
        filters=[("as_of_date", "=", as_of), ("run_id", "=", run.run_id)],
    )
    return rows.nlargest(top, "ead")[list(LARGEST_COLUMNS)].reset_index(drop=True)


def format_largest(largest: pd.DataFrame) -> str:
    money = {c: "{:,.0f}".format for c in ("rc", "pfe", "ead")}
    return largest.to_string(index=False, formatters=money) if len(largest) else "  (none)"


def format_outcomes(outcomes: Sequence[DateOutcome]) -> str:
    """One line per date: status, seconds, and why it failed."""
    lines = []
    for o in outcomes:
        why = f"  {o.error}" if o.error else ""
        lines.append(f"  {o.as_of}  {o.run_id}  {o.status:<8}{why}")
    failed = sum(not o.succeeded for o in outcomes)
    lines.append(
        f"  {len(outcomes) - failed} of {len(outcomes)} date(s) published"
        + (f", {failed} failed" if failed else "")
    )
    return "\n".join(lines)
