"""audit/run_log: one append-only row per run step, the record that makes every published number reproducible.

A step row holds the Delta version of every table the step read and wrote, its row counts, its timing and
status; the `run` row of a run sums them up (all versions, counts and `step_seconds`). The `publish` row is
the commit point of a date: readers of gold and the marts read the versions the latest successful publish
row of the date names (:func:`published`), never a table's latest version, so they never see a date
half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING

from saccr_pipeline.config.regimes import REPO_ROOT
from saccr_pipeline.lakehouse.tables import Lakehouse, LakehouseError, append, current_version, read

if TYPE_CHECKING:
    from pyspark.sql import Row, SparkSession

RUN_LOG = "audit/run_log"


def new_run_id(as_of: dt.date) -> str:
    """A unique, sortable run id: as-of date, UTC start time, random suffix."""
    now = dt.datetime.now(dt.UTC)
    return f"{as_of:%Y%m%d}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def code_version() -> str:
    """`git describe` of the checkout when there is one (with -dirty for local changes), else the package
    version that is installed."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return f"git:{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        try:
            return f"package:{metadata.version('saccr-pipeline')}"
        except metadata.PackageNotFoundError:
            return "unknown"


@dataclass(frozen=True)
class RunContext:
    """What every row of one run shares."""

    run_id: str
    as_of: dt.date
    regime: str  # conf/regimes/<regime>.toml
    parameter_version: str
    reporting_currency: str
    options: Mapping[str, object]  # engine options, bucket count, Spark master
    code_version: str = field(default_factory=code_version)


@dataclass
class StepRecord:
    """What one step did; filled while it runs."""

    step: str
    input_versions: dict[str, int] = field(default_factory=dict)
    output_versions: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    step_seconds: dict[str, float] = field(default_factory=dict)
    status: str = "running"
    error: str | None = None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ended_at: dt.datetime | None = None
    seconds: float = 0.0


def log_step(spark: SparkSession, lake: Lakehouse, ctx: RunContext, record: StepRecord) -> int:
    """Append one row for `record` to audit/run_log; return the run_log version committed."""
    row = {
        "as_of_date": ctx.as_of,
        "run_id": ctx.run_id,
        "step": record.step,
        "status": record.status,
        "started_at": _naive_utc(record.started_at),
        "ended_at": _naive_utc(record.ended_at) if record.ended_at else None,
        "seconds": float(record.seconds),
        "regime": ctx.regime,
        "parameter_version": ctx.parameter_version,
        "reporting_currency": ctx.reporting_currency,
        "code_version": ctx.code_version,
        "options": json.dumps(dict(ctx.options), sort_keys=True, default=str),
        "input_versions": {k: int(v) for k, v in record.input_versions.items()},
        "output_versions": {k: int(v) for k, v in record.output_versions.items()},
        "counts": {k: int(v) for k, v in record.counts.items()},
        "step_seconds": {k: float(v) for k, v in record.step_seconds.items()},
        "error": record.error,
        "logged_at": _naive_utc(dt.datetime.now(dt.UTC)),
    }
    from saccr_pipeline.lakehouse.schemas import RUN_LOG_SCHEMA

    df = spark.createDataFrame([row], RUN_LOG_SCHEMA)
    return append(df, spark, lake, RUN_LOG, {"run_id": ctx.run_id, "step": record.step}).version


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    # Spark's session time zone is UTC (spark_session.py); naive datetimes are taken as session-local.
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


@contextmanager
def logged_step(spark: SparkSession, lake: Lakehouse, ctx: RunContext, step: str) -> Iterator[StepRecord]:
    """Time a step and append its run_log row when it ends, with status success or failed (and the error)."""
    record = StepRecord(step)
    start = time.perf_counter()
    try:
        yield record
        record.status = "success"
    except BaseException as exc:
        record.status = "failed"
        record.error = f"{type(exc).__name__}: {exc}"[:4000]
        raise
    finally:
        record.seconds = time.perf_counter() - start
        record.ended_at = dt.datetime.now(dt.UTC)
        log_step(spark, lake, ctx, record)


def run_steps(spark: SparkSession, lake: Lakehouse, run_id: str) -> dict[str, Row]:
    """The latest row of each step of run `run_id`, keyed by step."""
    from pyspark.sql import functions as F

    rows = (
        read(spark, lake, RUN_LOG, current_version(spark, lake, RUN_LOG))
        .where(F.col("run_id") == run_id)
        .orderBy("logged_at")
        .collect()
    )
    if not rows:
        raise LakehouseError(f"run {run_id!r} is not in {lake.path(RUN_LOG)}")
    return {r["step"]: r for r in rows}


@dataclass(frozen=True)
class Published:
    """The run whose results a date shows, and the versions of the tables it published."""

    as_of: dt.date
    run_id: str
    versions: Mapping[str, int]


def published(
    spark: SparkSession, lake: Lakehouse, as_of: dt.date, step: str = "publish"
) -> Published | None:
    """The latest successful `step` (publish: gold results; marts: the marts) of `as_of`, or None."""
    from pyspark.sql import functions as F

    row = (
        read(spark, lake, RUN_LOG, current_version(spark, lake, RUN_LOG), as_of)
        .where((F.col("step") == step) & (F.col("status") == "success"))
        .orderBy(F.col("logged_at").desc())
        .first()
    )
    return None if row is None else Published(row["as_of_date"], row["run_id"], dict(row["output_versions"]))


def previous_published(spark: SparkSession, lake: Lakehouse, as_of: dt.date) -> Published | None:
    """The published results of the latest date before `as_of` (the previous business date), or None."""
    from pyspark.sql import functions as F

    row = (
        read(spark, lake, RUN_LOG, current_version(spark, lake, RUN_LOG))
        .where(
            (F.col("step") == "publish")
            & (F.col("status") == "success")
            & (F.col("as_of_date") < F.lit(as_of))
        )
        .agg(F.max("as_of_date").alias("d"))
        .first()
    )
    return None if row is None or row["d"] is None else published(spark, lake, row["d"])
