"""Publish: a batch's staged engine results -> gold saccr_trade, saccr_hedging_set, saccr_netting_set
(replacing its dates) and the engine's rejections -> audit/quarantine (stage compute).

Why a reader never sees a date half-written: everything is computed into staging first, so publishing is
four quick replaceWhere commits of finished data; and the commit point of each date is not any of them but
the run_log row appended afterwards (step `publish`, with the versions written). Readers (the marts,
`saccr reproduce`, reports) read gold at the versions the latest successful publish row of a date names
(RunLog.published), never at a table's latest version. A batch that fails between the commits leaves gold
mixed at its latest versions, but no reader follows it: the published versions are still the last good
run's, and a rerun of the dates replaces all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from saccr.contract import REJECTED_COLUMNS
from saccr_pipeline.lakehouse.tables import (
    GOLD_RESULTS,
    in_list,
    remove_path,
    replace_dates,
    rows_per_date,
    table_specs,
)
from saccr_pipeline.run_ids import token_of
from saccr_pipeline.steps.batch import DateRun, Progress, commit_metadata, dates_of, run_ids
from saccr_pipeline.steps.compute import staged, staging_path

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from saccr_pipeline.steps.job import Job

RECORD_OF_TABLE = {
    "saccr_trade": "trade",
    "saccr_hedging_set": "hedging_set",
    "saccr_netting_set": "netting_set",
}


def run(job: Job, runs: Sequence[DateRun], progress: Progress) -> None:
    """Publish every date of `runs` from the batch's staging folder, then drop what it staged."""
    days = dates_of(runs)
    token = token_of(runs[0].run_id)
    rows = staged(job.spark, staging_path(job.lake, token), days)
    run_id = run_id_column(runs)
    meta = commit_metadata(runs, "publish")
    commits = {
        "audit/quarantine": replace_dates(
            quarantine_rows(rows, run_id),
            job.lake,
            "audit/quarantine",
            days,
            meta,
            extra_predicate=f"{in_list('run_id', run_ids(runs))} AND stage = 'compute'",
        )  # fmt: skip
    }
    for table in GOLD_RESULTS:
        commits[f"gold/{table}"] = replace_dates(
            gold_rows(rows, table, run_id), job.lake, f"gold/{table}", days, meta
        )
    counts = {
        table: rows_per_date(job.lake, f"gold/{table}", commits[f"gold/{table}"].version, days)
        for table in GOLD_RESULTS
    }
    for r in runs:
        r.record.input_versions |= r.before["compute"].input_versions
        r.record.output_versions |= {key: c.version for key, c in commits.items()}
        r.record.counts["quarantine.compute"] = r.before["compute"].counts.get("compute.rejected", 0)
        for table in GOLD_RESULTS:
            r.record.counts[f"gold.{table}"] = counts[table][r.as_of]
    for day in days:
        remove_path(job.spark, f"{staging_path(job.lake, token)}/as_of_date={day.isoformat()}")
    progress(f"  publish {len(runs)} date(s): " + ", ".join(f"{k} v{c.version}" for k, c in commits.items()))


def run_id_column(runs: Sequence[DateRun]) -> Column:
    """Each row's run id, from its as_of_date."""
    from pyspark.sql import functions as F

    return F.create_map(*[x for r in runs for x in (F.lit(r.as_of), F.lit(r.run_id))])[F.col("as_of_date")]


def gold_rows(staged_rows: DataFrame, table: str, run_id: Column) -> DataFrame:
    """The staged rows of one gold table, in its schema, stamped with their run id."""
    from pyspark.sql import functions as F

    schema = table_specs()[f"gold/{table}"].schema
    rows = staged_rows.where(F.col("record") == RECORD_OF_TABLE[table]).withColumn("run_id", run_id)
    return rows.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])


def quarantine_rows(staged_rows: DataFrame, run_id: Column) -> DataFrame:
    """The engine's rejections as audit/quarantine rows (stage compute)."""
    from pyspark.sql import functions as F

    return staged_rows.where(F.col("record") == "rejected").select(
        F.col("as_of_date"),
        run_id.alias("run_id"),
        F.lit("compute").alias("stage"),
        *REJECTED_COLUMNS,
        F.lit(None).cast("string").alias("source_file"),
        F.lit(None).cast("long").alias("source_row"),
        F.lit(None).cast("string").alias("record"),
        F.current_timestamp().alias("quarantined_at"),
    )
