"""Helpers of the data-quality tests: a delivery folder written from text frames, and bronze Delta tables
loaded from it the way ingest loads them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from saccr.contract import EXTRACTS
from saccr_pipeline.steps.ingest import find_extract, read_landing

AS_OF = dt.date(2026, 11, 20)
Text = dict[str, pd.DataFrame]


def write_delivery(folder: Path, text: Mapping[str, pd.DataFrame]) -> Path:
    """`<folder>/<extract>.csv` from text frames (empty cells for ""), as a source system delivers them."""
    folder.mkdir(parents=True, exist_ok=True)
    for extract, frame in text.items():
        frame.to_csv(folder / f"{extract}.csv", index=False)
    return folder


def load_bronze(
    spark: SparkSession, folder: Path, lake: Path, as_of: dt.date = AS_OF
) -> dict[str, DataFrame]:
    """Each extract of `folder` read as ingest reads it (saccr_pipeline.steps.ingest.read_landing) with ingest's
    lineage columns, written to a bronze Delta table under `lake` and read back."""
    bronze = {}
    for extract in EXTRACTS:
        path, fmt = find_extract(spark, str(folder), extract)
        rows = read_landing(spark, path, fmt, extract)
        table = str(lake / "bronze" / extract)
        rows.select(
            F.lit(as_of).alias("as_of_date"),
            F.lit(path).alias("source_file"),
            F.monotonically_increasing_id().alias("source_row"),
            F.current_timestamp().alias("load_time"),
            *EXTRACTS[extract],
            "malformed_record",
        ).write.format("delta").mode("overwrite").partitionBy("as_of_date").save(table)
        bronze[extract] = spark.read.format("delta").load(table)
    return bronze
