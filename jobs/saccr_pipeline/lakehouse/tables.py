"""The Delta lakehouse: where each table lives, creating the tables up front, replacing one date, versions.

Layout under the root (DESIGN.md): `bronze/<extract>`, `silver/<extract>`, `gold/<table>`, `audit/<table>`,
all Delta and partitioned by `as_of_date`, plus `staging/<run_id>/` for a run's computed results before they
are published. A root is a local folder or any URI Spark and Delta can write (s3a://, abfss://): nothing here
assumes a local file system.

Every write replaces a date (`replaceWhere`), so rerunning a date never duplicates; every write carries a
commit marker in `userMetadata` so the version it created can be found even with other writers on the table.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr.errors import SaccrError
from saccr_pipeline.lakehouse import schemas

if TYPE_CHECKING:
    from delta.tables import DeltaTable, DeltaTableBuilder
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

# Time-travel horizon: a run can be reproduced from its recorded versions for this long (Delta's defaults,
# 30 days of log and 7 days of removed files, are too short for a regulatory restatement). VACUUM must
# never go below it.
RETENTION = "interval 400 days"
GOLD_RESULTS = tuple(schemas.ENGINE_OUTPUTS)  # saccr_trade, saccr_hedging_set, saccr_netting_set
MARTS = tuple(schemas.MART_SCHEMAS)
APPEND_ONLY = ("run_log",)
# What Delta raises in a job that lost the race to create a table (see _create_if_not_exists), and how long
# such a job keeps trying.
CONCURRENT_CREATE = frozenset(
    {
        "DELTA_PROTOCOL_CHANGED",  # both committed version 0: the other one won
        "DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION",  # the other one's folder is there, its commit not yet
        "DELTA_TABLE_NOT_FOUND",  # the same, seen a moment later
    }
)
CONCURRENT_CREATE_WAIT_S = 60.0


class LakehouseError(SaccrError):
    """A lakehouse table is missing, has another schema than the code expects, or a commit cannot be found."""


@dataclass(frozen=True)
class TableSpec:
    layer: str
    name: str
    schema: StructType
    comment: str

    @property
    def key(self) -> str:
        """`<layer>/<table>`, the name run_log uses for the table."""
        return f"{self.layer}/{self.name}"


def table_specs() -> dict[str, TableSpec]:
    """Every table of the lakehouse, keyed by `<layer>/<table>`."""
    specs = [TableSpec("bronze", e, schemas.bronze_schema(e), f"{e} extract as delivered") for e in EXTRACTS]
    specs += [TableSpec("silver", e, schemas.silver_schema(e), f"{e} typed and conformed") for e in EXTRACTS]
    specs += [
        TableSpec("gold", t, schemas.gold_result_schema(t), f"SA-CCR results: {t}") for t in GOLD_RESULTS
    ]
    specs += [TableSpec("gold", m, s, f"reporting mart {m}") for m, s in schemas.MART_SCHEMAS.items()]
    specs += [
        TableSpec("audit", "run_log", schemas.RUN_LOG_SCHEMA, "one row per run step; append-only"),
        TableSpec("audit", "quarantine", schemas.QUARANTINE_SCHEMA, "rejected rows with the rule they broke"),
        TableSpec(
            "audit", "dq_results", schemas.DQ_RESULTS_SCHEMA, "data-quality results (Great Expectations)"
        ),
    ]
    return {s.key: s for s in specs}


@dataclass(frozen=True)
class Lakehouse:
    """Paths of the lakehouse under `root` (a folder or URI)."""

    root: str

    def path(self, key: str) -> str:
        """Location of the table `<layer>/<table>`."""
        if key not in table_specs():
            raise LakehouseError(f"unknown lakehouse table {key!r}")
        return f"{self.root.rstrip('/')}/{key}"

    @property
    def data_docs(self) -> str:
        """Root of the Great Expectations Data Docs (HTML), one site per `<as_of>/<run_id>/`."""
        return f"{self.root.rstrip('/')}/data_docs"

    def staging(self, run_id: str) -> str:
        """Scratch folder of one run: computed results wait here until they are published."""
        return f"{self.root.rstrip('/')}/staging/{run_id}"


def create_tables(spark: SparkSession, lake: Lakehouse) -> None:
    """Create every missing table with its explicit schema, partitioning and properties (idempotent, and
    safe when several jobs do it at once), and check that existing ones have exactly the schema this code
    writes."""
    from delta.tables import DeltaTable

    for key, spec in table_specs().items():
        builder = (
            DeltaTable.createIfNotExists(spark)
            .location(lake.path(key))
            .addColumns(spec.schema)
            .partitionedBy("as_of_date")
            .comment(spec.comment)
            .property("delta.logRetentionDuration", RETENTION)
            .property("delta.deletedFileRetentionDuration", RETENTION)
        )
        if spec.name in APPEND_ONLY:
            builder = builder.property("delta.appendOnly", "true")
        table = _create_if_not_exists(builder)
        _check_schema(key, table.toDF().schema, spec.schema)


def _create_if_not_exists(builder: DeltaTableBuilder) -> DeltaTable:
    """Run `builder`, allowing for other jobs creating the same table at the same moment (the parallel
    ingest steps of the first run on a new lakehouse). Delta lets one of them commit the table's version 0
    and fails the others with one of `CONCURRENT_CREATE`; those try again a second later, when
    createIfNotExists finds the table (whose schema the caller checks). Any other error raises, and so does
    the race still being lost after `CONCURRENT_CREATE_WAIT_S`."""
    deadline = time.monotonic() + CONCURRENT_CREATE_WAIT_S
    while True:
        try:
            return builder.execute()
        except Exception as exc:
            if _error_condition(exc) not in CONCURRENT_CREATE or time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def _error_condition(exc: BaseException) -> str | None:
    """Spark's error condition of `exc` (`DELTA_PROTOCOL_CHANGED`); Delta's commit-conflict exceptions do
    not always report it through getCondition(), but their message starts with it."""
    condition = getattr(exc, "getCondition", lambda: None)()
    found = re.match(r"\[([A-Z0-9_]+)\]", str(exc))
    return condition or (found.group(1) if found else None)


def _check_schema(key: str, actual: StructType, expected: StructType) -> None:
    have = [(f.name, f.dataType.simpleString()) for f in actual.fields]
    want = [(f.name, f.dataType.simpleString()) for f in expected.fields]
    if have != want:
        diff = sorted(set(have) ^ set(want))
        raise LakehouseError(
            f"table {key} exists with another schema than this code writes (differences: {diff}); "
            "migrate it deliberately (a separate, serialised step) or point the lakehouse root elsewhere"
        )


def date_predicate(as_of: dt.date) -> str:
    return f"as_of_date = DATE'{as_of.isoformat()}'"


@dataclass(frozen=True)
class Commit:
    """A Delta commit this code made: the table's new version and how many rows it wrote."""

    version: int
    rows: int


def replace_date(
    df: DataFrame,
    spark: SparkSession,
    lake: Lakehouse,
    key: str,
    as_of: dt.date,
    metadata: Mapping[str, str],
    extra_predicate: str | None = None,
) -> Commit:
    """Replace the rows of `as_of` (narrowed by `extra_predicate`) in table `key` by `df`, atomically, in one
    commit. Delta refuses the write if a row of `df` falls outside the predicate."""
    spec = table_specs()[key]
    predicate = date_predicate(as_of) + (f" AND ({extra_predicate})" if extra_predicate else "")
    marker = uuid.uuid4().hex
    (
        df.select(*[f.name for f in spec.schema.fields])
        .write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", predicate)
        .option("userMetadata", json.dumps({**metadata, "commit": marker}, sort_keys=True))
        .save(lake.path(key))
    )
    # Delta skips the commit of a write that adds nothing and removes nothing: the table already holds
    # exactly what was asked (no rows for the predicate), so its current version is the answer.
    return _committed_version(spark, lake.path(key), marker) or Commit(current_version(spark, lake, key), 0)


def append(
    df: DataFrame, spark: SparkSession, lake: Lakehouse, key: str, metadata: Mapping[str, str]
) -> Commit:
    """Append `df` to table `key` (audit tables) in one commit."""
    spec = table_specs()[key]
    marker = uuid.uuid4().hex
    (
        df.select(*[f.name for f in spec.schema.fields])
        .write.format("delta")
        .mode("append")
        .option("userMetadata", json.dumps({**metadata, "commit": marker}, sort_keys=True))
        .save(lake.path(key))
    )
    commit = _committed_version(spark, lake.path(key), marker)
    if commit is None:
        raise LakehouseError(f"{lake.path(key)}: append {marker} did not commit")
    return commit


def _committed_version(spark: SparkSession, path: str, marker: str, depth: int = 20) -> Commit | None:
    from delta.tables import DeltaTable

    history = (
        DeltaTable.forPath(spark, path).history(depth).select("version", "userMetadata", "operationMetrics")
    )
    for row in history.collect():
        if row["userMetadata"] and f'"commit": "{marker}"' in row["userMetadata"]:  # json.dumps' spacing
            metrics = row["operationMetrics"] or {}
            return Commit(int(row["version"]), int(metrics.get("numOutputRows", 0)))
    return None


def current_version(spark: SparkSession, lake: Lakehouse, key: str) -> int:
    """The latest version of table `key`; readers pin it, so what they read is recorded and reproducible."""
    from delta.tables import DeltaTable

    return int(DeltaTable.forPath(spark, lake.path(key)).history(1).first()["version"])


def read(
    spark: SparkSession, lake: Lakehouse, key: str, version: int, as_of: dt.date | None = None
) -> DataFrame:
    """Table `key` as of Delta `version` (time travel), optionally only the date `as_of`."""
    from pyspark.sql import functions as F

    df = spark.read.format("delta").option("versionAsOf", version).load(lake.path(key))
    return df if as_of is None else df.where(F.col("as_of_date") == F.lit(as_of))


def remove_path(spark: SparkSession, path: str) -> None:
    """Delete a folder (staging) through Hadoop's FileSystem, so it works on any storage Spark writes to."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    fs.delete(hadoop_path, True)
