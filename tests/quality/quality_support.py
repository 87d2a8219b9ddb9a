"""Helpers of the data-quality tests: a delivery folder written from text frames, and bronze Delta tables
loaded from it the way ingest loads them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from saccr.contract import EXTRACTS
from saccr_pipeline.landing import check_delivery
from saccr_pipeline.steps.ingest import landing_rows

AS_OF = dt.date(2026, 11, 20)
Text = dict[str, pd.DataFrame]


def write_delivery(landing: Path, text: Mapping[str, pd.DataFrame], as_of: dt.date = AS_OF) -> Path:
    """`<landing>/<as_of>/<extract>.csv` from text frames (empty cells for ""), as a source system delivers
    them; returns the date's folder."""
    folder = landing / as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for extract, frame in text.items():
        frame.to_csv(folder / f"{extract}.csv", index=False)
    return folder


def load_bronze(
    spark: SparkSession, landing: Path, lake: Path, dates: Sequence[dt.date] = (AS_OF,)
) -> dict[str, DataFrame]:
    """Each extract of the deliveries of `dates` under `landing`, checked and read as ingest does
    (saccr_pipeline.steps.ingest.landing_rows), written to a bronze Delta table under `lake` and read back."""
    deliveries = [check_delivery(str(landing), day) for day in dates]
    bronze = {}
    for extract in EXTRACTS:
        rows = landing_rows(spark, [d.files[extract] for d in deliveries], extract)
        table = str(lake / "bronze" / extract)
        rows.write.format("delta").mode("overwrite").partitionBy("as_of_date").save(table)
        bronze[extract] = spark.read.format("delta").load(table)
    return bronze
