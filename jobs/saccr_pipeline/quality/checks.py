"""Run-level checks of the validate step: a delivery or a bronze date that cannot be validated at all stops
with one DataQualityError naming every problem, before any rule runs or anything is written.

- :func:`check_landing`: the delivery folder before ingest (missing, ambiguous, empty or unreadable files,
  missing or extra columns; a wrong delimiter shows as one unknown column);
- :func:`check_bronze_columns`: bronze frames of every extract with exactly the bronze columns;
- :func:`read_manifest` / :func:`check_manifest`: the optional `<landing>/<as_of>/_manifest.json` of the
  source systems, `{"as_of_date": "YYYY-MM-DD", "rows": {"trades": n, ...}}`: an extract for another as-of
  date (a stale or misplaced delivery) or with fewer rows than sent (a file cut at a line end) stops the date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr.errors import SaccrError
from saccr_pipeline.lakehouse.schemas import bronze_schema
from saccr_pipeline.quality.rules import DataQualityError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MANIFEST_NAME = "_manifest.json"


@dataclass(frozen=True)
class Manifest:
    """`<landing>/<as_of>/_manifest.json`: what the source systems say they delivered."""

    as_of: dt.date
    rows: Mapping[str, int]  # extract -> rows in its file (header excluded)
    path: str


def check_bronze_columns(bronze: Mapping[str, DataFrame]) -> None:
    """Every extract present, with the bronze columns (contract + lineage) and nothing else."""
    problems = []
    for extract in EXTRACTS:
        if extract not in bronze:
            problems.append(f"{extract}: no bronze rows given")
            continue
        expected = bronze_schema(extract).fieldNames()
        columns = bronze[extract].columns
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        if missing or extra:
            problems.append(f"{extract}: missing column(s) {missing}, unexpected column(s) {extra}")
    if problems:
        raise DataQualityError(f"bronze does not match the extract contract: {'; '.join(problems)}")


def check_landing(spark: SparkSession, folder: str, extracts: Sequence[str] = tuple(EXTRACTS)) -> None:
    """Pre-flight of one delivery folder before ingest: every extract there once, not empty, readable, with
    exactly the contract's columns (a wrong delimiter shows as one unknown column). All problems in one
    DataQualityError."""
    from saccr_pipeline.steps.ingest import find_extract, read_landing

    problems = []
    for extract in extracts:
        try:
            path, fmt = find_extract(spark, folder, extract)
            if _file_size(spark, path) == 0:
                problems.append(f"{extract} extract {path}: file is empty (no header)")
                continue
            if read_landing(spark, path, fmt, extract).limit(1).count() == 0:
                problems.append(f"{extract} extract {path}: has a header but no rows")
        except SaccrError as exc:
            problems.append(str(exc))
        except Exception as exc:  # Spark/Py4J errors of an unreadable file: reported, not raised raw
            problems.append(f"{extract} extract in {folder}: cannot be read: {_first_line(exc)}")
    if problems:
        raise DataQualityError(
            f"delivery {folder} cannot be loaded: {'; '.join(problems)}. Nothing was loaded; fix the "
            "delivery and rerun the date."
        )


def read_manifest(spark: SparkSession, folder: str) -> Manifest | None:
    """The delivery's `_manifest.json` ({"as_of_date": "YYYY-MM-DD", "rows": {"trades": n, ...}}) or None."""
    path = f"{folder.rstrip('/')}/{MANIFEST_NAME}"
    if _file_size(spark, path) is None:
        return None
    try:
        raw = json.loads(_read_text(spark, path))
        return Manifest(
            as_of=dt.date.fromisoformat(raw["as_of_date"]),
            rows={str(k): int(v) for k, v in (raw.get("rows") or {}).items()},
            path=path,
        )
    except Exception as exc:
        raise DataQualityError(f"manifest {path} cannot be read: {_first_line(exc)}") from exc


def check_manifest(manifest: Manifest | None, as_of: dt.date, rows_in: Mapping[str, int]) -> None:
    """The delivery is for `as_of` and every file arrived whole (its row count as the manifest says)."""
    if manifest is None:
        return
    problems = []
    if manifest.as_of != as_of:
        problems.append(
            f"the extracts are for {manifest.as_of}, not {as_of} (wrong folder or stale delivery)"
        )
    for extract, expected in manifest.rows.items():
        if extract in rows_in and rows_in[extract] != expected:
            problems.append(
                f"{extract}: {rows_in[extract]:,} rows loaded, manifest says {expected:,} (truncated?)"
            )
    if problems:
        raise DataQualityError(f"delivery does not match {manifest.path}: {'; '.join(problems)}")


def _file_size(spark: SparkSession, path: str) -> int | None:
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return int(fs.getFileStatus(hadoop_path).getLen()) if fs.exists(hadoop_path) else None


def _read_text(spark: SparkSession, path: str) -> str:
    """A small file's text through Hadoop's FileSystem (Spark's readers skip names starting with '_')."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    stream = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).open(hadoop_path)
    try:
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)  # Py4JJavaError: the JVM's message says what went wrong
    text = str(java.getMessage() if java is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
