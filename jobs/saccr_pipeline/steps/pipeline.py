"""The daily capital run of one business date without Airflow: ingest, validate, compute, publish, marts.

Each step appends its run_log row (versions read and written, counts, seconds, status) as it ends, and the run
ends with a `run` row summing them up; a failed step fails the run with its error, and leaves the previously
published results of the date in force (see publish.py). Steps hand each other the exact versions they wrote,
so a run reads what it produced even while other dates are being written.

Entry point: `saccr run --as-of DATE` or `python -m saccr_pipeline.steps.pipeline --as-of DATE`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from saccr_pipeline.lakehouse.run_log import (
    Published,
    StepRecord,
    log_step,
    logged_step,
    previous_published,
)
from saccr_pipeline.lakehouse.tables import read
from saccr_pipeline.steps.compute import compute_to_staging
from saccr_pipeline.steps.ingest import ingest_date
from saccr_pipeline.steps.marts import build_marts, record_marts
from saccr_pipeline.steps.publish import publish
from saccr_pipeline.steps.validate import describe, record_validated, validate_date

if TYPE_CHECKING:
    import pandas as pd

    from saccr_pipeline.steps.job import Job

Progress = Callable[[str], None]


@dataclass
class RunSummary:
    run_id: str
    as_of: dt.date
    status: str = "running"
    steps: list[StepRecord] = field(default_factory=list)
    published: Published | None = None
    largest: pd.DataFrame | None = None  # largest netting sets by EAD


def run_date(
    job: Job,
    as_of: dt.date,
    run_id: str | None = None,
    landing_root: str | None = None,
    progress: Progress = print,
    top: int = 10,
) -> RunSummary:
    """Run every step for `as_of` from `landing_root` (default: the settings'); raises if a step fails."""
    spark, lake = job.spark, job.lake
    ctx = job.context(as_of, run_id)
    landing_root = landing_root or job.settings.landing_root
    summary = RunSummary(ctx.run_id, as_of)
    run = StepRecord("run")
    log_step(spark, lake, ctx, run)
    progress(f"run {ctx.run_id}: as of {as_of}, {job.bucket_count} buckets, lakehouse {lake.root}")
    start = time.perf_counter()

    def step(name: str) -> AbstractContextManager[StepRecord]:
        return logged_step(spark, lake, ctx, name)

    try:
        with step("ingest") as record:
            for done in ingest_date(spark, lake, landing_root, as_of, ctx.run_id):
                record.output_versions[f"bronze/{done.extract}"] = done.version
                record.counts[f"bronze.{done.extract}"] = done.rows
                progress(f"  ingest  {done.extract:<12} {done.rows:>12,} rows   {done.source_file}")
        _done(summary, record, progress)

        with step("validate") as record:
            ingested = summary.steps[-1].output_versions
            done = validate_date(spark, lake, job.settings, as_of, ctx.run_id, ingested, landing_root)
            record_validated(record, done)
            for line in describe(done):
                progress("  " + line)
        _done(summary, record, progress)

        with step("compute") as record:
            validated = record_of(summary, "validate").output_versions  # silver/* and audit/quarantine
            computed = compute_to_staging(
                spark, lake, as_of, ctx.run_id, job.params, job.options, job.bucket_count, versions=validated
            )
            record.input_versions |= computed.input_versions
            record.counts |= computed.counts
            c = computed.counts
            progress(
                f"  compute {c['compute.trades_in']:,} trades, "
                f"{c['compute.collateral_in']:,} collateral rows in -> "
                f"{c['compute.netting_set']:,} netting sets, {c['compute.hedging_set']:,} hedging sets, "
                f"{c['compute.trade']:,} trades, {c['compute.rejected']:,} rejections"
            )
        _done(summary, record, progress)

        with step("publish") as record:
            done = publish(spark, lake, as_of, ctx.run_id)
            record.input_versions |= record_of(summary, "compute").input_versions
            record.output_versions |= done.versions
            record.counts |= done.counts
        summary.published = Published(as_of, ctx.run_id, dict(record.output_versions))
        _done(summary, record, progress)

        with step("marts") as record:
            previous = previous_published(spark, lake, as_of)
            record_marts(
                record, summary.published, previous, build_marts(spark, lake, summary.published, previous)
            )
            progress(f"  marts   previous business date: {previous.as_of if previous else 'none'}")
        _done(summary, record, progress)
        summary.largest = largest_netting_sets(job, summary.published, top)
        run.status = summary.status = "success"
    except BaseException as exc:
        run.status = summary.status = "failed"
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        raise
    finally:
        run.seconds = time.perf_counter() - start
        run.ended_at = dt.datetime.now(dt.UTC)
        for done_step in summary.steps:
            run.input_versions |= done_step.input_versions
            run.output_versions |= done_step.output_versions
            run.counts |= done_step.counts
            run.step_seconds[done_step.step] = done_step.seconds
        log_step(spark, lake, ctx, run)
        progress(f"run {ctx.run_id}: {run.status} in {run.seconds:.1f} s")
    return summary


def record_of(summary: RunSummary, step: str) -> StepRecord:
    return next(s for s in summary.steps if s.step == step)


def _done(summary: RunSummary, record: StepRecord, progress: Progress) -> None:
    # logged_step sets the timing when its block ends; the record is complete here
    summary.steps.append(record)
    progress(f"  {record.step} done in {record.seconds:.1f} s")


def largest_netting_sets(job: Job, run: Published, top: int = 10) -> pd.DataFrame:
    """The `top` netting sets of a published run by EAD."""
    from pyspark.sql import functions as F

    key = "gold/saccr_netting_set"
    return (
        read(job.spark, job.lake, key, run.versions[key], run.as_of)
        .where(F.col("run_id") == run.run_id)
        .orderBy(F.col("ead").desc())
        .limit(top)
        .select(
            "netting_set_id", "counterparty_id", "margined", "trade_count", "mpor_days", "rc", "pfe", "ead"
        )
        .toPandas()
    )


def format_largest(largest: pd.DataFrame) -> str:
    money = {c: "{:,.0f}".format for c in ("rc", "pfe", "ead")}
    return largest.to_string(index=False, formatters=money) if len(largest) else "  (none)"


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.steps.job import add_job_arguments, start_job

    parser = argparse.ArgumentParser(
        prog="saccr_pipeline.steps.pipeline", description=__doc__.splitlines()[0]
    )
    add_job_arguments(parser)
    parser.add_argument("--run-id", help="run id (default: a new one)")
    args = parser.parse_args(argv)
    job = start_job("saccr-run", args)
    summary = run_date(job, args.as_of, args.run_id)
    print("largest netting sets by EAD:\n" + format_largest(summary.largest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
