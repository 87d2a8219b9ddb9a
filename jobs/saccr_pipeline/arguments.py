"""The command-line options every pipeline entry point shares (`saccr run`, `saccr reproduce`,
steps/submit.py): which dates and run ids, where (lakehouse, landing), and Spark settings. Standard library
only: building a parser starts nothing."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass

from saccr_pipeline.errors import UsageError
from saccr_pipeline.run_ids import date_of_run, new_token, token_of


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
