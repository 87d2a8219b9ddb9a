"""Conform: bronze/<extract> -> silver/<extract> for one date: the validate step's rules, then amounts
converted to the reporting currency with the date's FX rates, and valuations tagged with their trade's
netting set.

Order: market_data first (the FX rates the others use), then trades, valuations (they check against the
delivered trades and take the silver trade's netting set) and collateral. Each extract is one silver commit
(replaceWhere of the date) and one quarantine commit (replacing this run's validate rows of that extract, so a
retried step does not duplicate them). Bronze is read at a pinned version, recorded in run_log.

Entry point: `python -m saccr_pipeline.conform --as-of DATE --run-id RUN_ID`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr_pipeline.lakehouse import Lakehouse, current_version, read, replace_date
from saccr_pipeline.run_log import StepRecord
from saccr_pipeline.schemas import COLLATERAL_AMOUNTS
from saccr_pipeline.validate import ValidationContext, validate

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ORDER = ("market_data", "trades", "valuations", "collateral")


@dataclass(frozen=True)
class Conformed:
    extract: str
    bronze_version: int
    silver_version: int
    quarantine_version: int
    rows_in: int
    rows_silver: int
    rows_quarantined: int  # delivered rows with at least one broken rule
    failures: int  # quarantine rows (one per rule broken)


def fx_rates(market_data: DataFrame, reporting_currency: str) -> DataFrame:
    """(currency, rate into the reporting currency) from silver market data; the reporting currency is 1."""
    from pyspark.sql import functions as F

    spark = market_data.sparkSession
    own = spark.createDataFrame([(reporting_currency, 1.0)], "currency string, rate double")
    given = market_data.where((F.col("kind") == "FX") & (F.col("key") != reporting_currency))
    return given.select(F.col("key").alias("currency"), F.col("value").alias("rate")).unionByName(own)


def _with_rate(df: DataFrame, fx: DataFrame, currency: str, rate: str) -> DataFrame:
    from pyspark.sql import functions as F

    rates = F.broadcast(fx.select(F.col("currency").alias("_ccy"), F.col("rate").alias(rate)))
    return df.join(rates, df[currency] == rates["_ccy"], "left").drop("_ccy")


def conformed(extract: str, good: DataFrame, fx: DataFrame | None, trades: DataFrame | None) -> DataFrame:
    """Validated rows with the silver-only columns (see schemas.SILVER_EXTRA)."""
    from pyspark.sql import functions as F

    if extract == "trades":
        out = _with_rate(good, fx, "notional_currency", "fx_rate_notional")
        return out.withColumn("notional_reporting", F.col("notional") * F.col("fx_rate_notional"))
    if extract == "valuations":
        netting = trades.select(F.col("trade_id").alias("_tid"), F.col("netting_set_id"))
        out = good.join(netting, good["trade_id"] == netting["_tid"], "left").drop("_tid")
        out = _with_rate(out, fx, "mtm_currency", "fx_rate_mtm")
        return out.withColumn("mtm_reporting", F.col("mtm") * F.col("fx_rate_mtm"))
    if extract == "collateral":
        out = _with_rate(good, fx, "currency", "fx_rate")
        return out.select(
            "*", *[(F.col(a) * F.col("fx_rate")).alias(f"{a}_reporting") for a in COLLATERAL_AMOUNTS]
        )
    return good


def conform_extract(
    spark: SparkSession,
    lake: Lakehouse,
    extract: str,
    as_of: dt.date,
    run_id: str,
    reporting_currency: str,
    bronze_versions: Mapping[str, int],
) -> Conformed:
    """Validate and conform one extract of `as_of` into silver, its broken rows into audit/quarantine.
    `bronze_versions` pins the bronze tables read ("bronze/<extract>" -> version)."""
    from pyspark.sql import functions as F

    bronze_version = bronze_versions[f"bronze/{extract}"]
    bronze = read(spark, lake, f"bronze/{extract}", bronze_version, as_of)
    fx = trades = delivered = None
    if extract != "market_data":
        fx = fx_rates(_silver(spark, lake, "market_data", as_of), reporting_currency)
    if extract == "valuations":
        trades = _silver(spark, lake, "trades", as_of)
        delivered = read(spark, lake, "bronze/trades", bronze_versions["bronze/trades"], as_of)
    ctx = ValidationContext(as_of, run_id, reporting_currency, delivered)
    checked = validate(extract, bronze, ctx)
    try:
        meta = {"run_id": run_id, "step": "conform", "bronze_version": str(bronze_version)}
        silver = replace_date(
            conformed(extract, checked.good, fx, trades).withColumn("run_id", F.lit(run_id)),
            spark, lake, f"silver/{extract}", as_of, meta,
        )  # fmt: skip
        quarantine = replace_date(
            checked.quarantine, spark, lake, "audit/quarantine", as_of, meta,
            extra_predicate=f"run_id = '{run_id}' AND stage = 'validate' AND extract = '{extract}'",
        )  # fmt: skip
        rows_in = checked.typed.count()
    finally:
        checked.release()
    return Conformed(
        extract, bronze_version, silver.version, quarantine.version, rows_in=rows_in, rows_silver=silver.rows,
        rows_quarantined=rows_in - silver.rows,  # validate splits: no failure -> silver, else quarantine
        failures=quarantine.rows,
    )  # fmt: skip


def _silver(spark: SparkSession, lake: Lakehouse, extract: str, as_of: dt.date) -> DataFrame:
    key = f"silver/{extract}"
    return read(spark, lake, key, current_version(spark, lake, key), as_of)


def conform_date(
    spark: SparkSession,
    lake: Lakehouse,
    as_of: dt.date,
    run_id: str,
    reporting_currency: str,
    bronze_versions: Mapping[str, int] | None = None,
) -> list[Conformed]:
    """Conform the four extracts of `as_of` in dependency order, reading bronze at `bronze_versions` (default:
    the current versions, pinned once at the start)."""
    versions = dict(bronze_versions or {})
    for extract in ORDER:
        versions.setdefault(f"bronze/{extract}", current_version(spark, lake, f"bronze/{extract}"))
    return [conform_extract(spark, lake, e, as_of, run_id, reporting_currency, versions) for e in ORDER]


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.run_log import logged_step
    from saccr_pipeline.runtime import add_job_arguments, start_job

    parser = argparse.ArgumentParser(prog="saccr_pipeline.conform", description=__doc__.splitlines()[0])
    add_job_arguments(parser)
    parser.add_argument("--run-id", required=True, help="the run id the ingest step used")
    args = parser.parse_args(argv)
    job = start_job("saccr-conform", args)
    ctx = job.context(args.as_of, args.run_id)
    with logged_step(job.spark, job.lake, ctx, "conform") as record:
        for done in conform_date(job.spark, job.lake, args.as_of, ctx.run_id, ctx.reporting_currency):
            record_conformed(record, done)
            print(describe(done))
    return 0


def record_conformed(record: StepRecord, done: Conformed) -> None:
    """Put one extract's versions and counts into its run_log step record."""
    record.input_versions[f"bronze/{done.extract}"] = done.bronze_version
    record.output_versions[f"silver/{done.extract}"] = done.silver_version
    record.output_versions["audit/quarantine"] = done.quarantine_version
    record.counts |= {
        f"bronze.{done.extract}": done.rows_in,
        f"silver.{done.extract}": done.rows_silver,
        f"quarantined.{done.extract}": done.rows_quarantined,
    }


def describe(done: Conformed) -> str:
    return (
        f"conform {done.extract}: {done.rows_in:,} rows -> {done.rows_silver:,} silver, "
        f"{done.rows_quarantined:,} quarantined ({done.failures:,} rule failures)"
    )


if __name__ == "__main__":
    sys.exit(main())
