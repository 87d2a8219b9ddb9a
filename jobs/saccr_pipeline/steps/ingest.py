"""Ingest: landing/<as_of>/<extract>.csv|parquet -> bronze/<extract>, values as delivered (text), one Delta
commit per extract and date (replaceWhere of the date, so a rerun replaces and never duplicates).

File-level problems (no file, two files for one extract, an empty or unreadable file, missing or unexpected
columns) stop the date with one message naming the file (quality_checks.check_landing); row-level problems
are left for the validate step, so every delivered row reaches bronze. A CSV line that does not split into
the header's columns is kept in `malformed_record`.

Entry point: `python -m saccr_pipeline.steps.ingest --as-of DATE [--extract trades ...]`, or spark-submit this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr.errors import SaccrError
from saccr_pipeline.lakehouse.tables import Lakehouse, replace_date

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from saccr_pipeline.lakehouse.run_log import RunContext, StepRecord
    from saccr_pipeline.steps.job import Job

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class IngestError(SaccrError):
    """An extract file cannot be loaded at all: missing, ambiguous, or with the wrong columns."""


@dataclass(frozen=True)
class Ingested:
    extract: str
    source_file: str
    rows: int
    version: int  # bronze/<extract> version written


def landing_dir(landing_root: str, as_of: dt.date) -> str:
    """Folder of one date's extracts: `<landing_root>/<YYYY-MM-DD>`."""
    return f"{landing_root.rstrip('/')}/{as_of.isoformat()}"


def find_extract(spark: SparkSession, folder: str, extract: str) -> tuple[str, str]:
    """(path, format) of `<folder>/<extract>.csv|.parquet|.pq`; exactly one must exist."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    found = []
    for suffix, fmt in SUFFIXES.items():
        path = jvm.org.apache.hadoop.fs.Path(f"{folder.rstrip('/')}/{extract}{suffix}")
        if path.getFileSystem(conf).exists(path):
            found.append((path.toString(), fmt))
    if not found:
        raise IngestError(
            f"{extract} extract: no {extract}.csv or {extract}.parquet in {folder}; "
            "deliver the file, or check --landing / SACCR_LANDING and --as-of"
        )
    if len(found) > 1:
        raise IngestError(f"{extract} extract: several files in {folder} ({[p for p, _ in found]}); keep one")
    return found[0]


def read_landing(spark: SparkSession, path: str, fmt: str, extract: str) -> DataFrame:
    """The file's rows with every contract column as text (null when empty), in contract order, plus
    `malformed_record`."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    columns = list(EXTRACTS[extract])
    if fmt == "csv":
        header = spark.read.option("header", True).csv(path).columns
        _check_columns(header, columns, path, extract)
        schema = StructType([StructField(c, StringType()) for c in header + ["malformed_record"]])
        raw = (
            spark.read.schema(schema)
            .option("header", True)
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", "malformed_record")
            .csv(path)
        )
        return raw.select(*columns, "malformed_record")
    raw = spark.read.parquet(path)
    _check_columns(raw.columns, columns, path, extract)
    kinds = dict(raw.dtypes)
    return raw.select(
        *[_as_text(F.col(c), kinds[c]).alias(c) for c in columns],
        F.lit(None).cast("string").alias("malformed_record"),
    )


def _as_text(col, kind: str):  # noqa: ANN001, ANN202 - pyspark Column in and out
    """A Parquet value as the text a CSV would hold: ISO dates (a midnight timestamp is a date)."""
    from pyspark.sql import functions as F

    if kind.startswith("timestamp"):
        return F.when(col == F.date_trunc("day", col), F.date_format(col, "yyyy-MM-dd")).otherwise(
            col.cast("string")
        )
    return col.cast("string")


def _check_columns(names: Sequence[str], columns: Sequence[str], path: str, extract: str) -> None:
    missing = [c for c in columns if c not in names]
    unexpected = [c for c in names if c not in columns]
    if missing or unexpected:
        raise IngestError(
            f"{extract} extract {path}: missing column(s) {missing}, unexpected column(s) {unexpected}; "
            f"expected exactly {columns}"
        )


def ingest_extract(
    spark: SparkSession, lake: Lakehouse, landing_root: str, extract: str, as_of: dt.date, run_id: str
) -> Ingested:
    """Load one extract of `as_of` into bronze/<extract>, replacing that date. A file that cannot be loaded at
    all (missing, ambiguous, empty, header only, unreadable, other columns) stops with DataQualityError
    before anything is written (saccr_pipeline.quality.checks.check_landing)."""
    from pyspark.sql import functions as F

    from saccr_pipeline.quality.checks import check_landing

    folder = landing_dir(landing_root, as_of)
    check_landing(spark, folder, [extract])
    path, fmt = find_extract(spark, folder, extract)
    rows = read_landing(spark, path, fmt, extract)
    bronze = rows.select(
        F.lit(as_of).alias("as_of_date"),
        F.lit(path).alias("source_file"),
        F.monotonically_increasing_id().alias("source_row"),
        F.current_timestamp().alias("load_time"),
        *[F.col(c) for c in EXTRACTS[extract]],
        F.col("malformed_record"),
    )
    commit = replace_date(
        bronze, spark, lake, f"bronze/{extract}", as_of, {"run_id": run_id, "step": "ingest", "source": path}
    )
    return Ingested(extract, path, commit.rows, commit.version)


def ingest_date(
    spark: SparkSession, lake: Lakehouse, landing_root: str, as_of: dt.date, run_id: str,
    extracts: Sequence[str] = tuple(EXTRACTS),
) -> list[Ingested]:  # fmt: skip
    """Ingest every extract of `as_of` (each its own commit)."""
    return [ingest_extract(spark, lake, landing_root, e, as_of, run_id) for e in extracts]


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.steps.job import step_main

    def body(job: Job, args: argparse.Namespace, ctx: RunContext, record: StepRecord) -> None:
        landing, extracts = job.settings.landing_root, args.extract or tuple(EXTRACTS)
        for done in ingest_date(job.spark, job.lake, landing, args.as_of, ctx.run_id, extracts):
            record.output_versions[f"bronze/{done.extract}"] = done.version
            record.counts[f"bronze.{done.extract}"] = done.rows
            print(f"ingest {done.extract}: {done.rows:,} rows from {done.source_file}")

    def extract_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--extract", action="append", choices=list(EXTRACTS), help="default: all four")

    shared = "the run id shared by the steps of one run"
    return step_main("ingest", __doc__, body, argv, shared, extract_option)


if __name__ == "__main__":
    sys.exit(main())
