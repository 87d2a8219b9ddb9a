"""What every pipeline entry point shares: its command-line options, and starting a job from them (settings,
the one SparkSession builder, the lakehouse with its tables created, the regime's parameters).

The same code runs locally and on a cluster: the Spark master and the lakehouse root come from
conf/settings.toml (SACCR_ENV), SACCR_* variables, these options or spark-submit's own flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from saccr.engine import CalculationOptions
from saccr.params import SupervisoryParameters
from saccr_pipeline.config.regimes import load_parameters
from saccr_pipeline.config.settings import Settings, load_settings

if TYPE_CHECKING:  # Spark-bound modules: imported when a job starts, not when a parser is built
    from pyspark.sql import SparkSession

    from saccr_pipeline.lakehouse.run_log import RunContext, StepRecord
    from saccr_pipeline.lakehouse.tables import Lakehouse


@dataclass(frozen=True)
class Job:
    """A started pipeline job: everything a step function needs besides its date."""

    spark: SparkSession
    settings: Settings
    lake: Lakehouse
    params: SupervisoryParameters
    options: CalculationOptions
    bucket_count: int

    def context(self, as_of: dt.date, run_id: str | None = None) -> RunContext:
        """The run_log context of a run of `as_of` (a new run id unless one is given)."""
        from saccr_pipeline.lakehouse.run_log import RunContext, new_run_id

        return RunContext(
            run_id=run_id or new_run_id(as_of),
            as_of=as_of,
            regime=self.settings.regime,
            parameter_version=self.params.version,
            reporting_currency=self.options.reporting_currency,
            options={
                **dataclasses.asdict(self.options),
                "bucket_count": self.bucket_count,
                "spark_master": self.spark.sparkContext.master,
            },
        )


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date YYYY-MM-DD: {text!r}") from exc


def spark_conf_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def add_job_arguments(parser: argparse.ArgumentParser, as_of: bool = True) -> None:
    """Options of every Spark entry point (`saccr run`, `python -m saccr_pipeline.<step>`, spark-submit)."""
    if as_of:
        parser.add_argument("--as-of", type=iso_date, required=True, help="business date YYYY-MM-DD")
    parser.add_argument("--lakehouse", help="lakehouse root (folder or URI); default from conf/settings.toml")
    parser.add_argument("--landing", help="landing root holding <as_of>/<extract>.csv|parquet")
    parser.add_argument(
        "--buckets", type=int, help="netting-set buckets of the engine UDF (default: settings)"
    )
    parser.add_argument("--master", help="Spark master (default: settings, or spark-submit's --master)")
    add_spark_conf_argument(parser)


def add_spark_conf_argument(parser: argparse.ArgumentParser) -> None:
    """`--conf KEY=VALUE` (repeatable): extra Spark settings, collected as (key, value) pairs."""
    parser.add_argument(
        "--conf", type=spark_conf_pair, action="append", default=[], metavar="KEY=VALUE",
        help="extra Spark setting, e.g. spark.driver.memory=8g (repeatable)",
    )  # fmt: skip


StepBody = Callable[["Job", argparse.Namespace, "RunContext", "StepRecord"], None]


def step_main(
    step: str,
    doc: str,
    body: StepBody,
    argv: Sequence[str] | None,
    run_id_help: str,
    extra_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """The `main` of a pipeline step module (spark-submit, `python -m saccr_pipeline.<step>`): the job
    options plus `--run-id` (required: the steps of one run share it), the job started, and `body` run inside
    the step's run_log record (timing, status and error logged even when it fails)."""
    from saccr_pipeline.lakehouse.run_log import logged_step

    parser = argparse.ArgumentParser(prog=f"saccr_pipeline.{step}", description=doc.strip().splitlines()[0])
    add_job_arguments(parser)
    parser.add_argument("--run-id", required=True, help=run_id_help)
    if extra_arguments:
        extra_arguments(parser)
    args = parser.parse_args(argv)
    job = start_job(f"saccr-{step}", args)
    ctx = job.context(args.as_of, args.run_id)
    with logged_step(job.spark, job.lake, ctx, step) as record:
        body(job, args, ctx, record)
    return 0


def _location(value: str) -> str:
    return value if "://" in value else str(Path(value).expanduser().resolve())


def job_spark_conf(settings: Settings) -> dict[str, str]:
    """Spark settings of the pipeline's jobs (a command line's --conf wins)."""
    return {
        # Delta reads a table's log with this many tasks (default 50); the pipeline's tables have short logs,
        # so as many as the shuffle partitions of the environment is plenty.
        "spark.databricks.delta.snapshotPartitions": str(settings.shuffle_partitions),
        "spark.ui.showConsoleProgress": "false",  # the steps print their own progress
    }


def start_job(app_name: str, args: argparse.Namespace) -> Job:
    """Settings with the command line's overrides, a Delta SparkSession, and the lakehouse tables created."""
    from saccr_pipeline.lakehouse.spark import build_spark

    settings = load_settings()
    overrides = {
        "lakehouse_root": _location(args.lakehouse) if getattr(args, "lakehouse", None) else None,
        "landing_root": _location(args.landing) if getattr(args, "landing", None) else None,
        "bucket_count": getattr(args, "buckets", None),
    }
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    if settings.bucket_count < 1:
        raise SystemExit(f"--buckets must be >= 1, got {settings.bucket_count}")
    conf = job_spark_conf(settings) | dict(args.conf)
    spark = build_spark(app_name, settings, master=getattr(args, "master", None), extra_conf=conf)
    return job_for(spark, settings)


def job_for(spark: SparkSession, settings: Settings) -> Job:
    """A job on an existing session (tests, notebooks): creates the lakehouse tables if needed."""
    from saccr_pipeline.lakehouse.tables import Lakehouse, create_tables

    lake = Lakehouse(settings.lakehouse_root)
    create_tables(spark, lake)
    return Job(
        spark=spark,
        settings=settings,
        lake=lake,
        params=load_parameters(settings.regime),
        options=CalculationOptions(
            reporting_currency=settings.reporting_currency,
            incomplete_netting_sets=settings.incomplete_netting_sets,
        ),
        bucket_count=settings.bucket_count,
    )
