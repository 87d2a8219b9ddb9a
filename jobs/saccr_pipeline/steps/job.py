"""What every pipeline entry point shares: its command-line options (the dates and run ids a job works on),
and starting a job from them (settings, the one SparkSession builder, the lakehouse with its tables created,
the regime's parameters).

The same code runs locally and on a cluster: the Spark master and the lakehouse root come from
conf/settings.toml (SACCR_ENV), SACCR_* variables, these options or spark-submit's own flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from saccr.engine import CalculationOptions
from saccr.params import SupervisoryParameters
from saccr_pipeline.config.regimes import load_parameters
from saccr_pipeline.config.settings import Settings, load_settings
from saccr_pipeline.errors import UsageError
from saccr_pipeline.lakehouse.run_log import RunContext, RunLog, date_of_run, new_token, token_of
from saccr_pipeline.lakehouse.tables import Lakehouse

if TYPE_CHECKING:  # Spark-bound: imported when a job starts, not when a parser is built
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class Job:
    """A started pipeline job: everything a step function needs besides its dates."""

    spark: SparkSession
    settings: Settings
    lake: Lakehouse
    params: SupervisoryParameters
    options: CalculationOptions
    bucket_count: int

    @property
    def run_log(self) -> RunLog:
        return RunLog(self.lake)

    def context(self, as_of: dt.date, run_id: str) -> RunContext:
        """The run_log context of the run `run_id` of `as_of`."""
        return RunContext(
            run_id=run_id,
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


def calculation_options(settings: Settings) -> CalculationOptions:
    """The engine's options as the settings give them."""
    return CalculationOptions(
        reporting_currency=settings.reporting_currency,
        ir_offset=settings.ir_offset,
        cap_vm_treatment=settings.cap_vm_treatment,
        incomplete_netting_sets=settings.incomplete_netting_sets,
    )


# ------------------------------------------------------------------------------------------ arguments


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


def add_date_arguments(parser: argparse.ArgumentParser, batch: bool = False) -> None:
    """`--as-of D` (one date) or `--from D1 --to D2` (every business date of the range); with `batch`, the run
    ids as `--run-id` (one date) or `--batch TOKEN` (run id of date D: `<yyyymmdd>-<TOKEN>`)."""
    dates = parser.add_mutually_exclusive_group(required=True)
    dates.add_argument("--as-of", type=iso_date, help="business date YYYY-MM-DD")
    dates.add_argument("--from", dest="from_date", type=iso_date, help="first date of a range, YYYY-MM-DD")
    parser.add_argument("--to", dest="to_date", type=iso_date, help="last date of a range (with --from)")
    if batch:
        ids = parser.add_mutually_exclusive_group()
        ids.add_argument("--run-id", help="run id of the one date (default: a new one)")
        ids.add_argument("--batch", help="batch token: the run id of date D is <yyyymmdd>-<token>")


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of every Spark entry point (`saccr run`, spark-submit of a step): where, and how."""
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


@dataclass(frozen=True)
class DateRange:
    """The dates a command asked for, and the batch token of their runs."""

    first: dt.date
    last: dt.date
    token: str

    @property
    def single(self) -> bool:
        return self.first == self.last


def date_range(args: argparse.Namespace) -> DateRange:
    """The range of `--as-of` or `--from/--to`, with the token of `--run-id` or `--batch` (default new)."""
    if args.as_of is not None:
        if args.to_date is not None:
            raise UsageError("--to goes with --from, not with --as-of")
        first = last = args.as_of
    else:
        if args.to_date is None:
            raise UsageError("--from needs --to (the last date of the range)")
        first, last = args.from_date, args.to_date
        if last < first:
            raise UsageError(f"--to {last} is before --from {first}")
    run_id, batch = getattr(args, "run_id", None), getattr(args, "batch", None)
    if run_id:
        if first != last or date_of_run(run_id) != first:
            raise UsageError(f"--run-id {run_id} names {date_of_run(run_id)}: it goes with --as-of that date")
        return DateRange(first, last, token_of(run_id))
    return DateRange(first, last, batch or new_token())


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
    from saccr_pipeline.lakehouse.spark import build_spark

    settings = settings or job_settings(args)
    spark = build_spark(app_name, settings, master=getattr(args, "master", None), extra_conf=dict(args.conf))
    return job_for(spark, settings)


def job_for(spark: SparkSession, settings: Settings) -> Job:
    """A job on an existing session (tests, notebooks): creates the lakehouse tables if needed."""
    from saccr_pipeline.lakehouse.tables import create_tables

    lake = Lakehouse(settings.lakehouse_root)
    create_tables(spark, lake)
    return Job(
        spark=spark,
        settings=settings,
        lake=lake,
        params=load_parameters(settings.regime),
        options=calculation_options(settings),
        bucket_count=settings.bucket_count,
    )
