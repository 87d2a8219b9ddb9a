"""Compute: silver trades, valuations and collateral of one date -> the engine's results, staged to publish.

Trades, and the rows keyed by netting set (collateral terms, valuations with their trade's netting set), are
hashed into `bucket = pmod(xxhash64(netting_set_id), bucket_count)` and cogrouped, so one pandas call runs the
engine over every netting set of a bucket: never one call per netting set, never a netting set split over
calls; netting sets with collateral but no trades still get a row. Market data is small and travels inside
the UDF as a pandas frame.

Trades quarantined before the engine (validate step) travel with their bucket as the engine's
`prior_rejections`, so it holds or flags their netting sets (CalculationOptions.incomplete_netting_sets)
exactly as if it had rejected them itself.

Nothing is published here: the tagged results (bucket_engine.TAGGED_SCHEMA) go to `staging/<run_id>/engine`,
and the publish step moves them to gold. Every silver table is read at a pinned version, recorded in run_log.

Entry point: `python -m saccr_pipeline.steps.compute --as-of DATE --run-id RUN_ID`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import COLLATERAL_COLUMNS, TRADE_COLUMNS, VALUATION_COLUMNS
from saccr.engine import CalculationOptions
from saccr.params import SupervisoryParameters
from saccr_pipeline.lakehouse.tables import Lakehouse, current_version, read
from saccr_pipeline.steps.bucket_engine import (
    COLLATERAL,
    NETTING_SET_SIDE_COLUMNS,
    PRIOR,
    PRIOR_COLUMNS,
    PRIOR_ROW,
    RECORDS,
    ROW_KIND,
    TAGGED_SCHEMA,
    VALUATION,
    BucketEngine,
)

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.pandas.group_ops import PandasCogroupedOps

    from saccr_pipeline.lakehouse.run_log import RunContext, StepRecord
    from saccr_pipeline.steps.job import Job

INPUTS = ("silver/trades", "silver/valuations", "silver/collateral", "silver/market_data", "audit/quarantine")


def pin_versions(
    spark: SparkSession, lake: Lakehouse, versions: Mapping[str, int] | None = None
) -> dict[str, int]:
    """The version of every input table: as given, else the current one."""
    given = dict(versions or {})
    return {key: given[key] if key in given else current_version(spark, lake, key) for key in INPUTS}


def bucket_of(netting_set_id: Column, bucket_count: int) -> Column:
    """Stable bucket of a netting set: xxhash64 is deterministic across runs, machines and Spark versions."""
    from pyspark.sql import functions as F

    return F.pmod(F.xxhash64(netting_set_id), F.lit(bucket_count))


@dataclass(frozen=True)
class EngineInputs:
    """What the UDF runs over; `trades` and `netting_set_rows` also carry their `bucket`."""

    trades: DataFrame  # contract columns
    netting_set_rows: DataFrame  # collateral, valuations, prior rejections (NETTING_SET_SIDE_COLUMNS)
    market_data: pd.DataFrame  # kind, key, value


def engine_inputs(
    spark: SparkSession,
    lake: Lakehouse,
    as_of: dt.date,
    run_id: str,
    versions: Mapping[str, int],
    bucket_count: int,
) -> EngineInputs:
    """The engine's inputs of `as_of` from silver at `versions`, bucketed by netting set, with the trades the
    validate step quarantined: those of the run that wrote the silver trades (`run_id` if there are none)."""
    from pyspark.sql import functions as F

    def silver(extract: str) -> DataFrame:
        return read(spark, lake, f"silver/{extract}", versions[f"silver/{extract}"], as_of)

    def kind(rows: DataFrame, value: str) -> DataFrame:
        return rows.withColumn(ROW_KIND, F.lit(value))

    trades = silver("trades")
    producer = trades.select("run_id").union(spark.createDataFrame([(run_id,)], "run_id string")).distinct()
    prior = (
        read(spark, lake, "audit/quarantine", versions["audit/quarantine"], as_of)
        .where(
            (F.col("stage") == "validate")
            & (F.col("extract") == "trades")
            & F.col("netting_set_id").isNotNull()
        )
        .join(producer, "run_id")
        .select(
            "netting_set_id",
            *[F.col(c).alias(p) for p, c in PRIOR_COLUMNS.items()],
            F.concat_ws(":", "source_file", F.col("source_row").cast("string")).alias(PRIOR_ROW),
        )
    )
    # The validate step tagged each valuation with the netting set of its trade among the rows that passed
    # (conform.conformed); one whose trade was quarantined has none, and its trade is reported there.
    valuations = silver("valuations").where(F.col("netting_set_id").isNotNull())
    netting_set_rows = (
        kind(silver("collateral").select(*COLLATERAL_COLUMNS), COLLATERAL)
        .unionByName(
            kind(valuations.select("netting_set_id", *VALUATION_COLUMNS), VALUATION), allowMissingColumns=True
        )
        .unionByName(kind(prior, PRIOR), allowMissingColumns=True)
        .select(*NETTING_SET_SIDE_COLUMNS)
    )

    def bucketed(rows: DataFrame) -> DataFrame:
        return rows.withColumn("bucket", bucket_of(F.col("netting_set_id"), bucket_count))

    return EngineInputs(
        trades=bucketed(trades.select(*TRADE_COLUMNS)),
        netting_set_rows=bucketed(netting_set_rows),
        market_data=silver("market_data").select("kind", "key", "value").toPandas(),
    )


def by_bucket(inputs: EngineInputs) -> PandasCogroupedOps:
    """Both sides grouped by bucket and cogrouped, ready for `applyInPandas`.

    Both are hash-partitioned on the bucket into `spark.sql.shuffle.partitions` partitions, explicitly so that
    adaptive execution keeps them all: it coalesces an ordinary shuffle by bytes (1,000,000 trades on
    local[2]: 8 partitions into 3), which leaves a core idle while the last large one runs, and the UDF is
    CPU-bound with skewed buckets. On that book, the compute step repeated in one JVM: 13.3 s, was 14.1 s
    (measured with coalescing switched off, which partitions alike; this form gave the same within noise)."""
    partitions = int(inputs.trades.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    trades = inputs.trades.repartition(partitions, "bucket").groupBy("bucket")
    return trades.cogroup(inputs.netting_set_rows.repartition(partitions, "bucket").groupBy("bucket"))


def engine_results(
    inputs: EngineInputs, as_of: dt.date, params: SupervisoryParameters, options: CalculationOptions
) -> DataFrame:
    """The engine over every bucket: `cogroup(trades, netting_set_rows).applyInPandas`, tagged rows out."""
    engine = BucketEngine(as_of=as_of, market_data=inputs.market_data, params=params, options=options)

    # A plain function, not the BucketEngine: Spark tells the UDF's forms apart by arity.
    def per_bucket(trades: pd.DataFrame, netting_set_rows: pd.DataFrame) -> pd.DataFrame:
        return engine(trades, netting_set_rows)

    return by_bucket(inputs).applyInPandas(per_bucket, schema=TAGGED_SCHEMA)


@dataclass(frozen=True)
class Computed:
    staging: str
    input_versions: dict[str, int]
    counts: dict[str, int]


def staging_path(lake: Lakehouse, run_id: str) -> str:
    return f"{lake.staging(run_id)}/engine"


def compute_to_staging(
    spark: SparkSession,
    lake: Lakehouse,
    as_of: dt.date,
    run_id: str,
    params: SupervisoryParameters,
    options: CalculationOptions,
    bucket_count: int,
    versions: Mapping[str, int] | None = None,
    staging: str | None = None,
) -> Computed:
    """Run the engine over the date's silver inputs (at `versions`, default current) into `staging` (default
    `staging/<run_id>/engine`), overwriting it; counts of rows in and out."""
    pinned = pin_versions(spark, lake, versions)
    staging = staging or staging_path(lake, run_id)
    inputs = engine_inputs(spark, lake, as_of, run_id, pinned, bucket_count)
    engine_results(inputs, as_of, params, options).write.mode("overwrite").parquet(staging)
    written = {
        r["record"]: r["count"] for r in spark.read.parquet(staging).groupBy("record").count().collect()
    }
    counts = {
        f"compute.{extract}_in": read(
            spark, lake, f"silver/{extract}", pinned[f"silver/{extract}"], as_of
        ).count()
        for extract in ("trades", "collateral")
    }
    counts |= {f"compute.{record}": written.get(record, 0) for record in RECORDS}
    return Computed(staging, pinned, counts)


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.steps.job import step_main

    def body(job: Job, args: argparse.Namespace, ctx: RunContext, record: StepRecord) -> None:
        done = compute_to_staging(
            job.spark, job.lake, args.as_of, ctx.run_id, job.params, job.options, job.bucket_count
        )
        record.input_versions |= done.input_versions
        record.counts |= done.counts
        print(f"compute: {done.counts} -> {done.staging}")

    return step_main("compute", __doc__, body, argv, "the run id of the validate step")


if __name__ == "__main__":
    sys.exit(main())
