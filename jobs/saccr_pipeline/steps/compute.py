"""Compute: the silver trades, valuations and collateral of a batch of dates -> the engine's results, staged
for publish.

Trades, and the rows keyed by netting set (collateral terms, valuations with their trade's netting set), are
hashed into `bucket = pmod(xxhash64(netting_set_id), bucket_count)` and cogrouped by (as_of_date, bucket), so
one pandas call runs the engine over every netting set of one date's bucket: never one call per netting set,
never a netting set split over calls; netting sets with collateral but no trades still get a row. Market data
is small and travels inside the UDF as one pandas frame per date.

Trades quarantined before the engine (validate step) travel with their bucket as the engine's
`prior_rejections`, so it holds or flags their netting sets (CalculationOptions.incomplete_netting_sets)
exactly as if it had rejected them itself.

A date whose trades quarantined by validate and held back here (in netting sets that lost a trade) together
exceed `max_rejected_share` of the trades delivered stops here, with both counts in its message and run_log
record (`compute.held_trades`, `compute.held_netting_sets`): a few bad FX rates can hold most of a book.

Nothing is published here: the tagged results (bucket_engine.TAGGED_SCHEMA) go to
`staging/<batch>/engine/as_of_date=<date>/`, and the publish step moves them to gold. Every silver table is
read at the version the date's validate step wrote, recorded in run_log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import COLLATERAL_COLUMNS, TRADE_COLUMNS, VALUATION_COLUMNS
from saccr.engine import CalculationOptions
from saccr.params import SupervisoryParameters
from saccr.prepare import HELD_RULE
from saccr_pipeline.errors import DataQualityError
from saccr_pipeline.lakehouse.tables import Lakehouse, read_dates, remove_path
from saccr_pipeline.quality.validation import LostTrades, lost_trades_problem
from saccr_pipeline.run_ids import token_of
from saccr_pipeline.steps.batch import DateRun, Progress
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

    from saccr_pipeline.steps.job import Job

SILVER_INPUTS = ("silver/trades", "silver/valuations", "silver/collateral", "silver/market_data")
INPUTS = (*SILVER_INPUTS, "audit/quarantine")


def run(job: Job, runs: Sequence[DateRun], progress: Progress) -> None:
    """Compute every date of `runs` into the batch's staging folder."""
    inputs = {r.as_of: dict(r.before["validate"].output_versions) for r in runs}
    pinned = {day: {key: v[key] for key in INPUTS} for day, v in inputs.items()}
    run_ids = {r.as_of: r.run_id for r in runs}
    staging = staging_path(job.lake, token_of(runs[0].run_id))
    counts = compute_to_staging(
        job.spark, job.lake, pinned, run_ids, job.params, job.options, job.bucket_count, staging
    )
    for r in runs:
        r.record.input_versions |= pinned[r.as_of]
        r.record.counts |= counts[r.as_of]
        c = counts[r.as_of]
        progress(
            f"  compute {r.as_of}: {c['compute.trades_in']:,} trades, {c['compute.collateral_in']:,} "
            f"collateral rows in -> {c['compute.netting_set']:,} netting sets, {c['compute.hedging_set']:,} "
            f"hedging sets, {c['compute.trade']:,} trades, {c['compute.rejected']:,} rejections, "
            f"{c['compute.held_trades']:,} trades held in {c['compute.held_netting_sets']:,} netting sets"
        )
        _stop_if_too_much_lost(job, r, staging, progress)


def lost_trades(r: DateRun) -> LostTrades:
    """The date's trades that will not be published: quarantined (validate) and held back (compute)."""
    validated, computed = r.before["validate"].counts, r.record.counts
    return LostTrades(
        delivered=int(validated.get("bronze.trades", 0)),
        quarantined=int(validated.get("quarantined.trades", 0)),
        held=int(computed.get("compute.held_trades", 0)),
        held_netting_sets=int(computed.get("compute.held_netting_sets", 0)),
    )


def _stop_if_too_much_lost(job: Job, r: DateRun, staging: str, progress: Progress) -> None:
    """Fail the date (and drop what it staged) when the trades quarantined and held back together exceed
    `max_rejected_share` of the trades delivered: nothing of it is published."""
    problem = lost_trades_problem(lost_trades(r), job.settings.max_rejected_share)
    if problem is None:
        return
    r.fail(
        DataQualityError(
            f"data quality stops {r.as_of} (run {r.run_id}): {problem}. Nothing of the date was published; "
            "see audit/quarantine (validate stage) for the rows that broke a rule; fix the extracts, rerun."
        )
    )
    remove_path(job.spark, f"{staging}/as_of_date={r.as_of.isoformat()}")
    progress(f"  compute {r.as_of}: FAILED {problem}")


def bucket_of(netting_set_id: Column, bucket_count: int) -> Column:
    """Stable bucket of a netting set: xxhash64 is deterministic across runs, machines and Spark versions."""
    from pyspark.sql import functions as F

    return F.pmod(F.xxhash64(netting_set_id), F.lit(bucket_count))


@dataclass(frozen=True)
class EngineInputs:
    """What the UDF runs over; `trades` and `netting_set_rows` also carry `as_of_date` and `bucket`."""

    trades: DataFrame  # contract columns
    netting_set_rows: DataFrame  # collateral, valuations, prior rejections (NETTING_SET_SIDE_COLUMNS)
    market_data: Mapping[dt.date, pd.DataFrame]  # per date: kind, key, value


def engine_inputs(
    spark: SparkSession,
    lake: Lakehouse,
    versions: Mapping[dt.date, Mapping[str, int]],
    run_ids: Mapping[dt.date, str],
    bucket_count: int,
) -> EngineInputs:
    """The engine's inputs of each date from silver at its `versions`, bucketed by netting set, with the
    trades the validate step quarantined: those of the run that wrote the date's silver trades (the date's
    run id if there are none)."""
    from pyspark.sql import functions as F

    def silver(extract: str) -> DataFrame:
        key = f"silver/{extract}"
        return read_dates(spark, lake, key, {day: v[key] for day, v in versions.items()})

    def kind(rows: DataFrame, value: str) -> DataFrame:
        return rows.withColumn(ROW_KIND, F.lit(value))

    trades = silver("trades")
    given = spark.createDataFrame(list(run_ids.items()), "as_of_date date, run_id string")
    producer = trades.select("as_of_date", "run_id").union(given).distinct()
    prior = (
        read_dates(spark, lake, "audit/quarantine", {d: v["audit/quarantine"] for d, v in versions.items()})
        .where(
            (F.col("stage") == "validate")
            & (F.col("extract") == "trades")
            & F.col("netting_set_id").isNotNull()
        )
        .join(producer, ["as_of_date", "run_id"])
        .select(
            "as_of_date",
            "netting_set_id",
            *[F.col(c).alias(p) for p, c in PRIOR_COLUMNS.items()],
            F.concat_ws(":", "source_file", F.col("source_row").cast("string")).alias(PRIOR_ROW),
        )
    )
    # The validate step tagged each valuation with the netting set of its trade among the rows that passed
    # (quality.conform); one whose trade was quarantined has none, and its trade is reported there.
    valuations = silver("valuations").where(F.col("netting_set_id").isNotNull())
    netting_set_rows = (
        kind(silver("collateral").select("as_of_date", *COLLATERAL_COLUMNS), COLLATERAL)
        .unionByName(
            kind(valuations.select("as_of_date", "netting_set_id", *VALUATION_COLUMNS), VALUATION),
            allowMissingColumns=True,
        )
        .unionByName(kind(prior, PRIOR), allowMissingColumns=True)
        .select("as_of_date", *NETTING_SET_SIDE_COLUMNS)
    )

    def bucketed(rows: DataFrame) -> DataFrame:
        return rows.withColumn("bucket", bucket_of(F.col("netting_set_id"), bucket_count))

    market = silver("market_data").select("as_of_date", "kind", "key", "value").toPandas()
    return EngineInputs(
        trades=bucketed(trades.select("as_of_date", *TRADE_COLUMNS)),
        netting_set_rows=bucketed(netting_set_rows),
        market_data={
            day: market.loc[market["as_of_date"] == day, ["kind", "key", "value"]].reset_index(drop=True)
            for day in versions
        },
    )


def by_bucket(inputs: EngineInputs) -> PandasCogroupedOps:
    """Both sides grouped by (as_of_date, bucket) and cogrouped, ready for `applyInPandas`.

    Both are hash-partitioned on the group into `spark.sql.shuffle.partitions` partitions, explicitly so that
    adaptive execution keeps them all: it coalesces an ordinary shuffle by bytes (1,000,000 trades on
    local[2]: 8 partitions into 3), which leaves a core idle while the last large one runs, and the UDF is
    CPU-bound with skewed buckets. On that book, the compute step repeated in one JVM: 13.3 s, was 14.1 s
    (measured with coalescing switched off, which partitions alike; this form gave the same within noise)."""
    partitions = int(inputs.trades.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    group = ("as_of_date", "bucket")
    trades = inputs.trades.repartition(partitions, *group).groupBy(*group)
    return trades.cogroup(inputs.netting_set_rows.repartition(partitions, *group).groupBy(*group))


def engine_results(
    inputs: EngineInputs, params: Callable[[dt.date], SupervisoryParameters], options: CalculationOptions
) -> DataFrame:
    """The engine over every (date, bucket): `cogroup(trades, netting_set_rows).applyInPandas`, tagged rows
    out, each with its `as_of_date`; `params(day)`: the regime version in force on the day."""
    engines = {
        day: BucketEngine(as_of=day, market_data=market, params=params(day), options=options)
        for day, market in inputs.market_data.items()
    }

    # A plain function, not a BucketEngine: Spark tells the UDF's forms apart by arity (key, left, right).
    def per_bucket(key: tuple, trades: pd.DataFrame, netting_set_rows: pd.DataFrame) -> pd.DataFrame:
        return engines[key[0]](trades, netting_set_rows)

    return by_bucket(inputs).applyInPandas(per_bucket, schema=TAGGED_SCHEMA)


def staging_path(lake: Lakehouse, token: str) -> str:
    """Where the batch `token` stages its engine results, one folder `as_of_date=<date>` per date."""
    return f"{lake.staging(token)}/engine"


def compute_to_staging(
    spark: SparkSession,
    lake: Lakehouse,
    versions: Mapping[dt.date, Mapping[str, int]],
    run_ids: Mapping[dt.date, str],
    params: Callable[[dt.date], SupervisoryParameters],
    options: CalculationOptions,
    bucket_count: int,
    staging: str,
) -> dict[dt.date, dict[str, int]]:
    """Run the engine over each date's silver inputs (at `versions`) into `staging`, replacing those dates'
    folders only; counts of rows in and out per date."""
    from pyspark.sql import functions as F

    inputs = engine_inputs(spark, lake, versions, run_ids, bucket_count)
    (
        engine_results(inputs, params, options)
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy("as_of_date")
        .parquet(staging)
    )
    days = sorted(versions)
    counts: dict[dt.date, dict[str, int]] = {d: {f"compute.{r}": 0 for r in RECORDS} for d in days}
    written = spark.read.parquet(staging).where(F.col("as_of_date").isin(days))
    for row in written.groupBy("as_of_date", "record").count().collect():
        counts[row["as_of_date"]][f"compute.{row['record']}"] = row["count"]
    held = written.where((F.col("record") == "rejected") & (F.col("rule") == HELD_RULE))
    for d in days:
        counts[d] |= {"compute.held_trades": 0, "compute.held_netting_sets": 0}
    for row in (
        held.groupBy("as_of_date")
        .agg(F.countDistinct("trade_id").alias("trades"), F.countDistinct("netting_set_id").alias("sets"))
        .collect()
    ):
        counts[row["as_of_date"]] |= {
            "compute.held_trades": row["trades"], "compute.held_netting_sets": row["sets"],
        }  # fmt: skip
    for extract, frame in (("trades", inputs.trades), ("collateral", inputs.netting_set_rows)):
        rows = frame.where(F.col(ROW_KIND) == COLLATERAL) if extract == "collateral" else frame
        per_day = {r["as_of_date"]: r["count"] for r in rows.groupBy("as_of_date").count().collect()}
        for d in days:
            counts[d][f"compute.{extract}_in"] = per_day.get(d, 0)
    return counts


def staged(spark: SparkSession, staging: str, days: Sequence[dt.date]) -> DataFrame:
    """The staged engine results of `days` (with `as_of_date`)."""
    from pyspark.sql import functions as F

    return spark.read.parquet(staging).where(F.col("as_of_date").isin(list(days)))
