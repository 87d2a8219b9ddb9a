"""The Delta lakehouse: where each table lives, creating the tables up front, replacing dates, versions.

Layout under the root (docs/architecture.md): `bronze/<extract>`, `silver/<extract>`, `gold/<table>`,
`audit/<table>`, all Delta and partitioned by `as_of_date`, plus `staging/<batch>/` for a batch's computed
results before they are published. A root is a local folder or any URI Spark and Delta can write (s3a://,
abfss://): nothing here assumes a local file system.

Spark writes the tables; their metadata (versions, history, schema) is read with delta-rs (the `deltalake`
package), which reads the Delta log in milliseconds without a Spark job. Every write replaces the dates of a
batch (`replaceWhere`), so rerunning a date never duplicates; every write carries a commit marker and the run
ids it wrote in `userMetadata`, so the version it created can be found even with other writers on the table,
and a commit the pipeline did not make can be told apart.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr_pipeline.errors import LakehouseError
from saccr_pipeline.lakehouse import schemas

if TYPE_CHECKING:
    import deltalake
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

    def uri(self, key: str) -> str:
        """Location of the table `<layer>/<table>` as delta-rs names it (s3a:// is Hadoop's name for s3://)."""
        path = self.path(key)
        return "s3://" + path.removeprefix("s3a://") if path.startswith("s3a://") else path

    def staging(self, batch: str) -> str:
        """Scratch folder of one batch of runs: computed results wait here until they are published."""
        return f"{self.root.rstrip('/')}/staging/{batch}"


def create_tables(spark: SparkSession, lake: Lakehouse) -> None:
    """Create every missing table with its explicit schema, partitioning and properties (idempotent, and
    safe when several jobs do it at once), and check that existing ones have exactly the schema this code
    writes (read from the Delta log with delta-rs: no Spark job for a table that exists)."""
    from delta.tables import DeltaTable
    from deltalake import DeltaTable as LogReader

    for key, spec in table_specs().items():
        if LogReader.is_deltatable(lake.uri(key)):
            _check_schema(key, json.loads(LogReader(lake.uri(key)).schema().to_json()), spec.schema)
            continue
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
        _check_schema(key, table.toDF().schema.jsonValue(), spec.schema)


def _create_if_not_exists(builder: DeltaTableBuilder) -> DeltaTable:
    """Run `builder`, allowing for other jobs creating the same table at the same moment (two pipelines
    starting on a new lakehouse). Delta lets one of them commit the table's version 0 and fails the others
    with one of `CONCURRENT_CREATE`; those try again a second later, when createIfNotExists finds the table
    (whose schema the caller checks). Any other error raises, and so does the race still being lost after
    `CONCURRENT_CREATE_WAIT_S`."""
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


def _check_schema(key: str, actual: Mapping[str, object], expected: StructType) -> None:
    """`actual`: a table's schema as the Delta log stores it (Spark's StructType JSON)."""

    def columns(schema: Mapping[str, object]) -> list[tuple[str, str]]:
        return [(f["name"], json.dumps(f["type"], sort_keys=True)) for f in schema["fields"]]

    have, want = columns(actual), columns(expected.jsonValue())
    if have != want:
        diff = sorted(set(have) ^ set(want))
        raise LakehouseError(
            f"table {key} exists with another schema than this code writes (differences: {diff}); "
            "migrate it deliberately (a separate, serialised step) or point the lakehouse root elsewhere"
        )


def dates_predicate(dates: Iterable[dt.date]) -> str:
    """Spark SQL: `as_of_date` is one of `dates`."""
    listed = ", ".join(f"DATE'{d.isoformat()}'" for d in sorted(set(dates)))
    if not listed:
        raise ValueError("dates_predicate needs at least one date")
    return f"as_of_date IN ({listed})"


def in_list(column: str, values: Iterable[str]) -> str:
    """Spark SQL: `column` is one of `values` (run ids, stages: quoted literals without quotes inside)."""
    quoted = sorted({v for v in values})
    if not quoted or any("'" in v for v in quoted):
        raise ValueError(f"in_list needs values without quotes, got {quoted}")
    return f"{column} IN ({', '.join(repr(v) for v in quoted)})"


@dataclass(frozen=True)
class Commit:
    """A Delta commit this code made: the table's new version and how many rows it wrote."""

    version: int
    rows: int


def replace_dates(
    df: DataFrame,
    lake: Lakehouse,
    key: str,
    dates: Iterable[dt.date],
    metadata: Mapping[str, object],
    extra_predicate: str | None = None,
) -> Commit:
    """Replace the rows of `dates` (narrowed by `extra_predicate`) in table `key` by `df`, atomically, in one
    commit whose userMetadata holds `metadata` (step, run ids) and a marker. Delta refuses the write if a row
    of `df` falls outside the predicate."""
    spec = table_specs()[key]
    predicate = dates_predicate(dates) + (f" AND ({extra_predicate})" if extra_predicate else "")
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
    return committed_version(lake, key, marker) or Commit(current_version(lake, key), 0)


def committed_version(lake: Lakehouse, key: str, marker: str, depth: int = 50) -> Commit | None:
    """The commit among the latest `depth` of table `key` whose userMetadata carries `marker`, or None."""
    for entry in delta_log(lake, key).history(depth):
        meta = entry.get("userMetadata")
        if meta and f'"commit": "{marker}"' in meta:  # json.dumps' spacing
            metrics = entry.get("operationMetrics") or {}
            rows = metrics.get("numOutputRows", metrics.get("num_added_rows", 0))
            return Commit(int(entry["version"]), int(rows))
    return None


def delta_log(lake: Lakehouse, key: str, version: int | None = None) -> deltalake.DeltaTable:
    """Table `key` through delta-rs (at `version`, default the latest): its log, schema and files."""
    from deltalake import DeltaTable

    return DeltaTable(lake.uri(key), version=version)


def rows_per_date(lake: Lakehouse, key: str, version: int, dates: Iterable[dt.date]) -> dict[dt.date, int]:
    """Rows of each of `dates` in table `key` at `version`, from the file statistics in the Delta log (no
    data is read; 0 for a date without rows)."""
    import pyarrow as pa

    files = pa.table(delta_log(lake, key, version).get_add_actions(flatten=True))
    days = files.column("partition.as_of_date").to_pylist()
    counts = dict.fromkeys(dates, 0)
    for day, rows in zip(days, files.column("num_records").to_pylist(), strict=True):
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        if day in counts:
            counts[day] += int(rows)
    return counts


def current_version(lake: Lakehouse, key: str) -> int:
    """The latest version of table `key`; readers pin it, so what they read is recorded and reproducible."""
    return int(delta_log(lake, key).version())


def read(
    spark: SparkSession,
    lake: Lakehouse,
    key: str,
    version: int,
    dates: dt.date | Sequence[dt.date] | None = None,
) -> DataFrame:
    """Table `key` as of Delta `version` (time travel), optionally only the date or dates `dates`."""
    from pyspark.sql import functions as F

    df = spark.read.format("delta").option("versionAsOf", version).load(lake.path(key))
    if dates is None:
        return df
    if isinstance(dates, dt.date):
        return df.where(F.col("as_of_date") == F.lit(dates))
    return df.where(F.expr(dates_predicate(dates)))


def read_dates(spark: SparkSession, lake: Lakehouse, key: str, versions: Mapping[dt.date, int]) -> DataFrame:
    """Each date's rows of table `key` at that date's version: one read per distinct version."""
    from functools import reduce

    by_version: dict[int, list[dt.date]] = {}
    for day, version in sorted(versions.items()):
        by_version.setdefault(int(version), []).append(day)
    if not by_version:
        raise ValueError(f"read_dates of {key}: no dates")
    parts = [read(spark, lake, key, version, days) for version, days in by_version.items()]
    return reduce(lambda a, b: a.unionByName(b), parts)


def remove_path(spark: SparkSession, path: str) -> None:
    """Delete a folder (staging) through Hadoop's FileSystem, so it works on any storage Spark writes to."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    fs.delete(hadoop_path, True)
