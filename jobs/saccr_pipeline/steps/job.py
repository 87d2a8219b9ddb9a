"""Starting a pipeline job from the command line's options (saccr_pipeline.arguments): settings, the one
SparkSession builder, the lakehouse with its tables created, the regime's parameters.

The same code runs locally and on a cluster: the Spark master and the lakehouse root come from
conf/settings.toml (SACCR_ENV), SACCR_* variables, these options or spark-submit's own flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from saccr.engine import CalculationOptions
from saccr.params import SupervisoryParameters
from saccr_pipeline.config.regimes import load_parameters
from saccr_pipeline.config.settings import Settings, load_settings
from saccr_pipeline.errors import UsageError
from saccr_pipeline.lakehouse.run_log import RunContext, RunLog
from saccr_pipeline.lakehouse.tables import Lakehouse

if TYPE_CHECKING:  # Spark-bound: imported when a job starts, not when a parser is built
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class Job:
    """A started pipeline job: everything a step function needs besides its dates."""

    spark: SparkSession
    settings: Settings
    lake: Lakehouse
    options: CalculationOptions
    bucket_count: int

    @property
    def run_log(self) -> RunLog:
        return RunLog(self.lake)

    def params(self, as_of: dt.date) -> SupervisoryParameters:
        """The parameters of the settings' regime in force on `as_of` (conf/regimes, versions by date)."""
        return load_parameters(self.settings.regime, as_of)

    def context(self, as_of: dt.date, run_id: str) -> RunContext:
        """The run_log context of the run `run_id` of `as_of`: the regime version in force that day."""
        return RunContext(
            run_id=run_id,
            as_of=as_of,
            regime=self.settings.regime,
            parameter_version=self.params(as_of).version,
            reporting_currency=self.options.reporting_currency,
            options={
                **dataclasses.asdict(self.options),
                "bucket_count": self.bucket_count,
                "spark_master": self.spark.sparkContext.master,
            },
        )


def calculation_options(settings: Settings) -> CalculationOptions:
    """The engine's options as the settings give them."""
    return CalculationOptions(
        reporting_currency=settings.reporting_currency,
        ir_offset=settings.ir_offset,
        cap_vm_treatment=None if settings.cap_vm_treatment == "regime" else settings.cap_vm_treatment,
        incomplete_netting_sets=settings.incomplete_netting_sets,
    )


# ------------------------------------------------------------------------------------------ starting


def _location(value: str) -> str:
    return value if "://" in value else str(Path(value).expanduser().resolve())


def job_settings(args: argparse.Namespace) -> Settings:
    """The settings with the command line's overrides (lakehouse, landing, buckets)."""
    settings = load_settings()
    overrides = {
        "lakehouse_root": _location(args.lakehouse) if getattr(args, "lakehouse", None) else None,
        "landing_root": _location(args.landing) if getattr(args, "landing", None) else None,
        "bucket_count": getattr(args, "buckets", None),
    }
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    if settings.bucket_count < 1:
        raise UsageError(f"--buckets must be >= 1, got {settings.bucket_count}")
    return settings


def start_job(app_name: str, args: argparse.Namespace, settings: Settings | None = None) -> Job:
    """A Delta SparkSession for `settings` (default: from the command line) and the lakehouse tables."""
    from saccr_pipeline.lakehouse.spark import build_spark, under_spark_submit
    from saccr_pipeline.preflight import check_java, check_lakehouse

    settings = settings or job_settings(args)
    check_lakehouse(settings.lakehouse_root)
    if not under_spark_submit():  # spark-submit has started the JVM already
        check_java()
    spark = build_spark(app_name, settings, master=getattr(args, "master", None), extra_conf=dict(args.conf))
    return job_for(spark, settings)


@contextmanager
def running_job(app_name: str, args: argparse.Namespace, settings: Settings | None = None) -> Iterator[Job]:
    """`start_job` for a command: Spark is stopped when the command's work ends, before the interpreter
    exits (a JVM still running at interpreter teardown once aborted a finished run with SIGABRT), if the
    command started it; a session that was running before (a notebook, the tests' shared one) stays up."""
    from pyspark import SparkContext

    started_here = SparkContext._active_spark_context is None
    job = start_job(app_name, args, settings)
    try:
        yield job
    finally:
        if started_here:
            job.spark.stop()


def job_for(spark: SparkSession, settings: Settings) -> Job:
    """A job on an existing session (tests, notebooks): creates the lakehouse tables if needed."""
    from saccr_pipeline.lakehouse.tables import create_tables

    lake = Lakehouse(settings.lakehouse_root)
    create_tables(spark, lake)
    return Job(
        spark=spark,
        settings=settings,
        lake=lake,
        options=calculation_options(settings),
        bucket_count=settings.bucket_count,
    )
