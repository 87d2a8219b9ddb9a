"""Ingest: landing/<date>/<extract>.csv|parquet -> bronze/<extract>, values as delivered (text).

Every delivery of the batch is checked first, without Spark (saccr_pipeline.landing.check_delivery: every
extract there once, not empty, the contract's columns, rows); a date whose delivery fails is failed with the
message, before anything of it is loaded, and the other dates go on. Then each extract is read once for all
dates of the batch (one Spark read per file format and column order) and replaces those dates in bronze in
one commit, so a rerun replaces and never duplicates. Row-level problems are left for the validate step, so
every delivered row reaches bronze; a CSV line that does not split into the header's columns is kept in
`malformed_record`. A CSV file with a quote character is read as RFC 4180 records, so a quoted value may hold
a line break (`multiLine`; files without quotes are split by lines, which Spark parallelises).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr_pipeline.errors import IngestError
from saccr_pipeline.lakehouse.tables import replace_dates, rows_per_date
from saccr_pipeline.landing import Delivery, ExtractFile, check_delivery
from saccr_pipeline.steps.batch import DateRun, Progress, commit_metadata, dates_of, going

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from saccr_pipeline.steps.job import Job

# The as-of date of a row: its file's folder, `<landing_root>/<YYYY-MM-DD>/<extract>.<suffix>`.
DATE_OF_FILE = r"/(\d{4}-\d{2}-\d{2})/[^/]+$"
SOURCE_FILE = "_metadata.file_path"  # the file a row came from (Spark's file metadata)


def run(job: Job, runs: Sequence[DateRun], progress: Progress) -> None:
    """Ingest every date of `runs` whose delivery passes the landing checks."""
    deliveries = {}
    for r in runs:
        try:
            deliveries[r.as_of] = check_delivery(job.settings.landing_root, r.as_of)
        except IngestError as exc:
            r.fail(exc)
            progress(f"  ingest  {r.as_of}: FAILED {exc}")
    loading = going(runs)
    if not loading:
        return
    for extract in EXTRACTS:
        files = [deliveries[r.as_of].files[extract] for r in loading]
        commit = replace_dates(
            landing_rows(job.spark, files, extract),
            job.lake,
            f"bronze/{extract}",
            dates_of(loading),
            commit_metadata(loading, "ingest"),
        )
        counts = rows_per_date(job.lake, f"bronze/{extract}", commit.version, dates_of(loading))
        for r in loading:
            r.record.output_versions[f"bronze/{extract}"] = commit.version
            r.record.counts[f"bronze.{extract}"] = counts.get(r.as_of, 0)
        progress(f"  ingest  {extract:<12} {commit.rows:>12,} rows of {len(loading)} date(s)")
    for r in loading:
        _describe(deliveries[r.as_of], r, progress)


def _describe(delivery: Delivery, r: DateRun, progress: Progress) -> None:
    parts = ", ".join(f"{e} {r.record.counts[f'bronze.{e}']:,}" for e in EXTRACTS)
    progress(f"  ingest  {r.as_of}: {parts} rows from {delivery.folder}")


def landing_rows(spark: SparkSession, files: Sequence[ExtractFile], extract: str) -> DataFrame:
    """The bronze rows of `files` (one extract, any dates): every contract column as text (null when empty)
    in contract order, with lineage (as_of_date from the file's folder, source_file, source_row, load_time)
    and `malformed_record`. One read per file format and column order."""
    from functools import reduce

    from pyspark.sql import functions as F

    groups: dict[tuple[str, tuple[str, ...]], list[ExtractFile]] = {}
    for f in files:
        groups.setdefault((f.format, f.signature), []).append(f)
    parts = [_read_files(spark, alike, extract) for alike in groups.values()]
    rows = reduce(lambda a, b: a.unionByName(b), parts)
    path = F.col("source_file")
    return rows.select(
        F.to_date(F.regexp_extract(path, DATE_OF_FILE, 1)).alias("as_of_date"),
        path.alias("source_file"),
        F.monotonically_increasing_id().alias("source_row"),
        F.current_timestamp().alias("load_time"),
        *[F.col(c) for c in EXTRACTS[extract]],
        F.col("malformed_record"),
    )


def _read_files(spark: SparkSession, alike: Sequence[ExtractFile], extract: str) -> DataFrame:
    """Files of one format and signature, read together, with the path of each row's file."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    wanted, paths = list(EXTRACTS[extract]), [f.path for f in alike]
    present = set(alike[0].columns)  # a column the contract added later may be absent: it loads as empty

    def column(name: str, value: Column) -> Column:
        return (value if name in present else F.lit(None).cast("string")).alias(name)

    if alike[0].format == "csv":
        columns = (*alike[0].columns, "malformed_record")
        schema = StructType([StructField(c, StringType()) for c in columns])
        raw = (
            spark.read.schema(schema)
            .option("header", True)
            .option("multiLine", alike[0].quoted)  # RFC 4180: quoted values may hold line breaks
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", "malformed_record")
            .csv(paths)
        )
        source = F.col(SOURCE_FILE).alias("source_file")
        return raw.select(*[column(c, F.col(c)) for c in wanted], "malformed_record", source)
    raw = spark.read.parquet(*paths)
    kinds = dict(raw.dtypes)
    return raw.select(
        *[column(c, _as_text(F.col(c), kinds.get(c, "string"))) for c in wanted],
        F.lit(None).cast("string").alias("malformed_record"),
        F.col(SOURCE_FILE).alias("source_file"),
    )


def _as_text(col: Column, kind: str) -> Column:
    """A Parquet value as the text a CSV would hold: ISO dates (a midnight timestamp is a date)."""
    from pyspark.sql import functions as F

    if kind.startswith("timestamp"):
        return F.when(col == F.date_trunc("day", col), F.date_format(col, "yyyy-MM-dd")).otherwise(
            col.cast("string")
        )
    return col.cast("string")
