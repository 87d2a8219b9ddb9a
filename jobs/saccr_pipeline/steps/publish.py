"""Publish: a run's staged engine results -> gold saccr_trade, saccr_hedging_set, saccr_netting_set (replacing
the date) and the engine's rejections -> audit/quarantine (stage compute).

Why a reader never sees a date half-written: everything is computed into staging first, so publishing is
three quick replaceWhere commits of finished data; and the commit point of the date is not any of them but the
run_log row the caller appends afterwards (step `publish`, with the three versions written). Readers (the
marts, `saccr reproduce`, reports) read gold at the versions the latest successful publish row names
(run_log.published), never at a table's latest version. A run that fails between the three commits leaves
gold mixed at its latest versions, but no reader follows it: the published versions are still the last
good run's, and a rerun of the date replaces all three.

Entry point: `python -m saccr_pipeline.steps.publish --as-of DATE --run-id RUN_ID`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import REJECTED_COLUMNS
from saccr_pipeline.lakehouse.tables import GOLD_RESULTS, Lakehouse, remove_path, replace_date, table_specs
from saccr_pipeline.steps.compute import staging_path

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from saccr_pipeline.lakehouse.run_log import RunContext, StepRecord
    from saccr_pipeline.steps.job import Job

RECORD_OF_TABLE = {
    "saccr_trade": "trade",
    "saccr_hedging_set": "hedging_set",
    "saccr_netting_set": "netting_set",
}


@dataclass(frozen=True)
class PublishedRun:
    versions: dict[str, int]  # "gold/<table>" and "audit/quarantine" -> version written
    counts: dict[str, int]


def gold_rows(staged: DataFrame, table: str, run_id: str) -> DataFrame:
    """The staged rows of one gold table, in its schema, stamped with `run_id`."""
    from pyspark.sql import functions as F

    schema = table_specs()[f"gold/{table}"].schema
    rows = staged.where(F.col("record") == RECORD_OF_TABLE[table]).withColumn("run_id", F.lit(run_id))
    return rows.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])


def quarantine_rows(staged: DataFrame, as_of: dt.date, run_id: str) -> DataFrame:
    """The engine's rejections of the run as audit/quarantine rows (stage compute)."""
    from pyspark.sql import functions as F

    return staged.where(F.col("record") == "rejected").select(
        F.lit(as_of).alias("as_of_date"),
        F.lit(run_id).alias("run_id"),
        F.lit("compute").alias("stage"),
        *REJECTED_COLUMNS,
        F.lit(None).cast("string").alias("source_file"),
        F.lit(None).cast("long").alias("source_row"),
        F.lit(None).cast("string").alias("record"),
        F.current_timestamp().alias("quarantined_at"),
    )


def publish(
    spark: SparkSession, lake: Lakehouse, as_of: dt.date, run_id: str, staging: str | None = None
) -> PublishedRun:
    """Move the staged results of `run_id` into gold and quarantine (one replaceWhere commit each), then drop
    the staging folder. The caller records the versions in run_log: that row is what makes them published."""
    staging = staging or staging_path(lake, run_id)
    staged = spark.read.parquet(staging)
    meta = {"run_id": run_id, "step": "publish"}
    versions, counts = {}, {}
    commit = replace_date(
        quarantine_rows(staged, as_of, run_id), spark, lake, "audit/quarantine", as_of, meta,
        extra_predicate=f"run_id = '{run_id}' AND stage = 'compute'",
    )  # fmt: skip
    versions["audit/quarantine"], counts["quarantine.compute"] = commit.version, commit.rows
    for table in GOLD_RESULTS:
        commit = replace_date(gold_rows(staged, table, run_id), spark, lake, f"gold/{table}", as_of, meta)
        versions[f"gold/{table}"], counts[f"gold.{table}"] = commit.version, commit.rows
    remove_path(spark, lake.staging(run_id))
    return PublishedRun(versions, counts)


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.steps.job import step_main

    def body(job: Job, args: argparse.Namespace, ctx: RunContext, record: StepRecord) -> None:
        done = publish(job.spark, job.lake, args.as_of, ctx.run_id)
        record.output_versions |= done.versions
        record.counts |= done.counts
        print(f"publish: {done.counts}")

    return step_main("publish", __doc__, body, argv, "the run id of the compute step")


if __name__ == "__main__":
    sys.exit(main())
