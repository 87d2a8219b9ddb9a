"""Conform: rows that passed validation -> silver. Amounts converted to the reporting currency with their
date's FX rates (market data), valuations tagged with their trade's netting set of the same date. Pure
DataFrame transformations over any number of dates: the validate step (saccr_pipeline.steps.validate) writes
them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from saccr_pipeline.lakehouse.schemas import COLLATERAL_AMOUNTS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def fx_rates(market_data: DataFrame, reporting_currency: str) -> DataFrame:
    """(as_of_date, currency, rate into the reporting currency) from typed market data; the reporting currency
    is 1 on every date that has market data."""
    from pyspark.sql import functions as F

    given = market_data.where((F.col("kind") == "FX") & (F.col("key") != reporting_currency))
    own = (
        market_data.select("as_of_date")
        .distinct()
        .select("as_of_date", F.lit(reporting_currency).alias("currency"), F.lit(1.0).alias("rate"))
    )
    rates = given.select("as_of_date", F.col("key").alias("currency"), F.col("value").alias("rate"))
    return rates.unionByName(own)


def _with_rate(df: DataFrame, fx: DataFrame, currency: str, rate: str) -> DataFrame:
    from pyspark.sql import functions as F

    rates = F.broadcast(
        fx.select(
            F.col("as_of_date").alias("_day"), F.col("currency").alias("_ccy"), F.col("rate").alias(rate)
        )
    )
    on = (df["as_of_date"] == rates["_day"]) & (df[currency] == rates["_ccy"])
    return df.join(rates, on, "left").drop("_day", "_ccy")


def conformed(extract: str, good: DataFrame, fx: DataFrame | None, trades: DataFrame | None) -> DataFrame:
    """Validated rows with the silver-only columns (see schemas.SILVER_EXTRA); `fx` from :func:`fx_rates`,
    `trades` the date's passed trades (valuations take their netting set)."""
    from pyspark.sql import functions as F

    if extract == "trades":
        out = _with_rate(good, fx, "notional_currency", "fx_rate_notional")
        return out.withColumn("notional_reporting", F.col("notional") * F.col("fx_rate_notional"))
    if extract == "valuations":
        netting = trades.select(
            F.col("as_of_date").alias("_day"), F.col("trade_id").alias("_tid"), F.col("netting_set_id")
        )
        on = (good["as_of_date"] == netting["_day"]) & (good["trade_id"] == netting["_tid"])
        out = good.join(netting, on, "left").drop("_day", "_tid")
        out = _with_rate(out, fx, "mtm_currency", "fx_rate_mtm")
        return out.withColumn("mtm_reporting", F.col("mtm") * F.col("fx_rate_mtm"))
    if extract == "collateral":
        out = _with_rate(good, fx, "currency", "fx_rate")
        return out.select(
            "*", *[(F.col(a) * F.col("fx_rate")).alias(f"{a}_reporting") for a in COLLATERAL_AMOUNTS]
        )
    return good
