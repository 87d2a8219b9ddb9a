"""Validate: bronze -> silver for one date, through the Great Expectations suites (saccr_pipeline.quality.validation).

1. The four bronze tables are read at pinned versions (recorded in run_log), with the delivery's manifest
   when the landing folder has one.
2. The suites run on them: every rule's verdict is appended to audit/dq_results, every row that broke a
   critical rule goes to audit/quarantine (this run's validate rows replaced, so a retry never duplicates),
   and the Data Docs are published under `<lakehouse>/data_docs/<as_of>/<run_id>/`.
3. A run-level failure (an empty extract, a manifest mismatch, a quarantined share above
   `max_rejected_share`) raises DataQualityError here, after the audit writes and before silver is touched.
4. The rows that passed are conformed (saccr_pipeline.quality.conform) and replace the date in silver, one commit per
   extract: rows in = rows in silver + rows quarantined.

Entry point: `python -m saccr_pipeline.steps.validate --as-of DATE --run-id RUN_ID`, or spark-submit this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr_pipeline.lakehouse.run_log import StepRecord
from saccr_pipeline.lakehouse.tables import Lakehouse, current_version, read, replace_date
from saccr_pipeline.quality.conform import conformed, fx_rates
from saccr_pipeline.quality.validation import (
    ExtractCounts,
    Recorded,
    quality_context,
    read_manifest,
    run_validation,
)
from saccr_pipeline.steps.ingest import landing_dir

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from saccr_pipeline.config.settings import Settings
    from saccr_pipeline.lakehouse.run_log import RunContext
    from saccr_pipeline.steps.job import Job

SILVER_ORDER = ("market_data", "trades", "valuations", "collateral")  # FX rates, then what uses them


@dataclass(frozen=True)
class ValidatedDate:
    """What the validate step read and wrote for one date."""

    bronze_versions: dict[str, int]  # "bronze/<extract>" -> version read
    silver_versions: dict[str, int]  # "silver/<extract>" -> version written
    recorded: Recorded  # dq_results and quarantine versions, Data Docs folder
    counts: dict[str, ExtractCounts]  # per extract: rows in, passed (= silver), quarantined
    seconds: Mapping[str, float]  # per phase of the validation (load, gx, rules)


def validate_date(
    spark: SparkSession,
    lake: Lakehouse,
    settings: Settings,
    as_of: dt.date,
    run_id: str,
    bronze_versions: Mapping[str, int] | None = None,
    landing_root: str | None = None,
    data_docs: bool = True,
) -> ValidatedDate:
    """Validate the bronze rows of `as_of` (at `bronze_versions`, default the current ones) and write silver;
    raises DataQualityError on a run-level failure (see the module docstring)."""
    from pyspark.sql import functions as F

    given = dict(bronze_versions or {})
    versions = {
        key: given[key] if key in given else current_version(spark, lake, key)
        for key in (f"bronze/{e}" for e in EXTRACTS)
    }
    bronze = {e: read(spark, lake, f"bronze/{e}", versions[f"bronze/{e}"], as_of) for e in EXTRACTS}
    manifest = read_manifest(spark, landing_dir(landing_root or settings.landing_root, as_of))
    ctx = quality_context(settings, as_of, run_id, manifest)
    outcome, recorded = run_validation(spark, lake, bronze, ctx, data_docs=data_docs)

    passed = outcome.passed
    fx = fx_rates(passed["market_data"], settings.reporting_currency)
    meta = {"run_id": run_id, "step": "validate"}
    silver = {}
    for extract in SILVER_ORDER:
        rows = conformed(extract, passed[extract], fx, passed["trades"]).withColumn("run_id", F.lit(run_id))
        commit = replace_date(rows, spark, lake, f"silver/{extract}", as_of, meta)
        silver[f"silver/{extract}"] = commit.version
    return ValidatedDate(versions, silver, recorded, dict(outcome.counts), dict(outcome.seconds))


def record_validated(record: StepRecord, done: ValidatedDate) -> None:
    """Put the step's versions, counts and phase timings into its run_log record."""
    record.input_versions |= done.bronze_versions
    record.output_versions |= done.silver_versions
    record.output_versions["audit/quarantine"] = done.recorded.quarantine_version
    record.output_versions["audit/dq_results"] = done.recorded.dq_results_version
    for extract, c in done.counts.items():
        record.counts |= {
            f"bronze.{extract}": c.rows_in,
            f"silver.{extract}": c.rows_passed,
            f"quarantined.{extract}": c.rows_quarantined,
        }


def describe(done: ValidatedDate) -> list[str]:
    """One progress line per extract, and where the Data Docs are."""
    lines = [
        f"validate {e:<12} {c.rows_in:>12,} rows -> {c.rows_passed:,} silver, "
        f"{c.rows_quarantined:,} quarantined"
        for e, c in done.counts.items()
    ]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in done.seconds.items())
    lines.append(f"validate phases: {phases}")
    if done.recorded.data_docs:
        lines.append(f"validate Data Docs: {done.recorded.data_docs}/index.html")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.steps.job import step_main

    def body(job: Job, args: argparse.Namespace, ctx: RunContext, record: StepRecord) -> None:
        done = validate_date(job.spark, job.lake, job.settings, args.as_of, ctx.run_id)
        record_validated(record, done)
        print("\n".join(describe(done)))

    return step_main("validate", __doc__, body, argv, "the run id the ingest steps used")


if __name__ == "__main__":
    sys.exit(main())
