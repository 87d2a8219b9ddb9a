"""Close a run whose steps ran as separate jobs (the Airflow DAG): append its `run` row to audit/run_log,
summing the step rows of the run as `saccr run` does in one process, and print what the run published.

The DAG ingests each extract in its own job, so a run has several `ingest` rows; all successful rows of a step
are merged (versions, counts) and their seconds added up. A step that has no successful row makes the run
`failed` (the DAG only gets here when every step succeeded, so that means a step did not log).

Entry point: `python -m saccr_pipeline.steps.summarise --as-of DATE --run-id RUN_ID` or spark-submit of this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from saccr_pipeline.lakehouse.run_log import RUN_LOG, StepRecord, log_step, published
from saccr_pipeline.lakehouse.tables import current_version, read

if TYPE_CHECKING:
    from pyspark.sql import Row

    from saccr_pipeline.steps.job import Job

STEPS = ("ingest", "validate", "compute", "publish", "marts")


def run_record(rows: Sequence[Row]) -> StepRecord:
    """The `run` row of a run from its step rows (any order; failed attempts that were retried are ignored),
    each with `started_epoch`, its start in epoch seconds."""
    started = min(r["started_epoch"] for r in rows)  # epoch seconds: no local-time conversion on collect
    run = StepRecord("run", started_at=dt.datetime.fromtimestamp(started, dt.UTC))
    done = [
        r
        for r in sorted(rows, key=lambda r: r["logged_at"])
        if r["status"] == "success" and r["step"] != "run"
    ]
    for row in done:
        run.input_versions |= dict(row["input_versions"] or {})
        run.output_versions |= dict(row["output_versions"] or {})
        run.counts |= dict(row["counts"] or {})
        run.step_seconds[row["step"]] = run.step_seconds.get(row["step"], 0.0) + float(row["seconds"])
    missing = [step for step in STEPS if step not in run.step_seconds]
    run.status = "failed" if missing else "success"
    run.error = f"steps without a successful run_log row: {missing}" if missing else None
    run.ended_at = dt.datetime.now(dt.UTC)
    run.seconds = (run.ended_at - run.started_at).total_seconds()
    return run


def close_run(job: Job, as_of: dt.date, run_id: str) -> StepRecord:
    """Append the `run` row of `run_id` (built by :func:`run_record`) and return it."""
    from pyspark.sql import functions as F

    rows = (
        read(job.spark, job.lake, RUN_LOG, current_version(job.spark, job.lake, RUN_LOG), as_of)
        .where(F.col("run_id") == run_id)
        .withColumn("started_epoch", F.col("started_at").cast("double"))
        .collect()
    )
    if not rows:
        raise SystemExit(f"run {run_id} of {as_of} has no rows in {job.lake.path(RUN_LOG)}: nothing to close")
    run = run_record(rows)
    log_step(job.spark, job.lake, job.context(as_of, run_id), run)
    return run


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.steps.job import add_job_arguments, start_job
    from saccr_pipeline.steps.pipeline import format_largest, largest_netting_sets

    parser = argparse.ArgumentParser(
        prog="saccr_pipeline.steps.summarise", description=__doc__.splitlines()[0]
    )
    add_job_arguments(parser)
    parser.add_argument("--run-id", required=True, help="the run to close")
    args = parser.parse_args(argv)
    job = start_job("saccr-run-summary", args)
    run = close_run(job, args.as_of, args.run_id)
    print(f"run {args.run_id} of {args.as_of}: {run.status}, {run.seconds:.1f} s")
    for step, seconds in run.step_seconds.items():
        print(f"  {step:<8} {seconds:8.1f} s")
    for key, count in sorted(run.counts.items()):
        print(f"  {key:<32} {count:>12,}")
    if run.status != "success":
        print(run.error, file=sys.stderr)
        return 1
    current = published(job.spark, job.lake, args.as_of)
    if current is None or current.run_id != args.run_id:
        print(f"run {args.run_id} is not the published run of {args.as_of}", file=sys.stderr)
        return 1
    print("largest netting sets by EAD:\n" + format_largest(largest_netting_sets(job, current)))
    print(
        f"tables under {job.lake.root} (gold/, audit/run_log); reproduce with: saccr reproduce {args.run_id}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
