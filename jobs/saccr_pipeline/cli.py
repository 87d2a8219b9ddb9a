"""The `saccr` command line: one entry point, one subcommand per job (docs/architecture.md).

    saccr generate --as-of 2025-03-31 --trades 100000 --netting-sets 2000 --seed 1 --out landing/
    saccr compute  --as-of 2025-03-31 --trades landing/trades.csv --valuations ... --out results/
    saccr run      --as-of 2025-03-31 | --from 2025-01-02 --to 2025-03-31 [--landing L] [--lakehouse L]
    saccr reproduce RUN_ID
    saccr verify   --as-of 2025-03-31

`compute` runs the engine alone on extract files: no Spark is imported on that path. `run` and `reproduce`
are the Spark + Delta pipeline (saccr_pipeline.steps.pipeline, saccr_pipeline.steps.reproduce); what can be
checked without Spark (dates, calendar, deliveries, run ids) is checked before it starts. A run-level problem
(missing or unreadable file, wrong columns, bad parameter file) ends with one message and exit code 2;
row-level problems are written to `rejected.csv` (audit/quarantine) with their reasons and do not stop the
run; `run` exits 1 when a date failed, naming it and why.

Each subcommand is one `_add_<name>(subparsers)` function listed in COMMANDS, which registers its
arguments and the handler that runs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from saccr.contract import EXTRACTS
from saccr.errors import SaccrError
from saccr_pipeline.config.regimes import DEFAULT_REGIME, REGIMES
from saccr_pipeline.errors import UsageError
from saccr_pipeline.extracts import read_extract, write_extracts

RESULT_FILES = {
    "netting_sets": "netting_set.csv",
    "hedging_sets": "hedging_set.csv",
    "trades": "trade.csv",
    "rejected": "rejected.csv",
    "legal_entities": "legal_entity.csv",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; 0 on success, 2 with one message on a run-level error."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (SaccrError, OSError) as exc:
        print(f"saccr {args.command}: error: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="saccr", description="SA-CCR (Basel CRE52) exposure pipeline.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_command in COMMANDS:
        add_command(subparsers)
    return parser


# ------------------------------------------------------------------------------------------ generate


def _add_generate(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "generate", help="write sample extracts (trades, valuations, collateral, market data)"
    )
    p.add_argument(
        "--as-of", type=_date, required=True, help="as-of date YYYY-MM-DD (first date with --days)"
    )
    p.add_argument("--trades", type=_positive_int, required=True, help="number of trades on the first date")
    p.add_argument("--netting-sets", type=_positive_int, required=True, help="number of netting sets")
    p.add_argument("--seed", type=int, default=0, help="random seed; same seed, same extracts (default 0)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    p.add_argument(
        "--days", type=_positive_int, default=1, help="consecutive weekdays; >1 writes OUT/<date>/"
    )
    p.add_argument("--reporting-currency", default="USD", help="currency the FX rates convert into")
    p.set_defaults(handler=_generate)


def _generate(args: argparse.Namespace) -> int:
    from saccr_pipeline.sample.generate import generate_series

    if args.netting_sets > args.trades:
        raise UsageError(f"--netting-sets ({args.netting_sets}) must not exceed --trades ({args.trades})")
    started = time.perf_counter()
    try:
        series = generate_series(
            args.as_of, args.days, args.trades, args.netting_sets, args.seed, args.reporting_currency
        )
        for as_of, frames in series:
            out = args.out / as_of.isoformat() if args.days > 1 else args.out
            paths = write_extracts(frames, out, args.format)
            for name, path in paths.items():
                print(f"{as_of}  {name:<12} {len(frames[name]):>10,} rows  {path}")
    except ValueError as exc:  # an impossible request, e.g. an unknown reporting currency
        raise UsageError(str(exc)) from exc
    print(f"generated {args.days} date(s) in {time.perf_counter() - started:.1f} s")
    return 0


# ------------------------------------------------------------------------------------------- compute


def _add_compute(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("compute", help="run the SA-CCR engine on extract files (no Spark)")
    p.add_argument("--as-of", type=_date, required=True, help="as-of date YYYY-MM-DD")
    for name in EXTRACTS:
        flag = "--" + name.replace("_", "-")
        p.add_argument(flag, dest=name, type=Path, required=True, help=f"{name} extract (.csv or .parquet)")
    p.add_argument("--out", type=Path, required=True, help="output folder for the result CSV files")
    p.add_argument(
        "--regime",
        default=DEFAULT_REGIME,
        help=f"regime file conf/regimes/<regime>.toml ({', '.join(REGIMES)}), in its version in force at "
        f"--as-of (default {DEFAULT_REGIME})",
    )
    p.add_argument("--reporting-currency", default="USD", help="currency of all amounts out (default USD)")
    p.add_argument(
        "--ir-no-offset",
        action="store_true",
        help="IR add-on as the sum of absolute bucket amounts instead of CRE52.57(4)",
    )
    p.add_argument(
        "--cap-vm-treatment",
        choices=("basel", "eu"),
        default=None,
        help="C in the unmargined cap: basel keeps VM, eu uses NICA only (default: the regime's reading)",
    )
    p.add_argument(
        "--incomplete-netting-sets",
        choices=("hold", "flag"),
        default="hold",
        help="netting sets with a rejected trade: hold them back or flag them (default hold)",
    )
    p.set_defaults(handler=_compute)


def _compute(args: argparse.Namespace) -> int:
    from saccr.engine import CalculationOptions, compute
    from saccr_pipeline.config.regimes import load_parameters

    timings: dict[str, float] = {}
    started = time.perf_counter()
    params = load_parameters(args.regime, args.as_of)
    print(f"regime {params.regime}, parameter version {params.version} (in force from {params.valid_from})")
    frames: dict[str, pd.DataFrame] = {}
    rejections: list[pd.DataFrame] = []
    for name in EXTRACTS:
        frames[name], rejected = read_extract(getattr(args, name), name)
        rejections.append(rejected)
        print(f"read {name:<12} {len(frames[name]):>10,} rows, {len(rejected):,} rejected values")
    timings["read"] = time.perf_counter() - started

    reader_rejected = pd.concat(rejections, ignore_index=True)
    options = CalculationOptions(
        reporting_currency=args.reporting_currency,
        ir_offset=not args.ir_no_offset,
        cap_vm_treatment=args.cap_vm_treatment,
        incomplete_netting_sets=args.incomplete_netting_sets,
    )
    mark = time.perf_counter()
    # The reader's rejections go through the engine, which holds or flags the netting sets they touch.
    result = compute(
        **frames, as_of=args.as_of, params=params, options=options, prior_rejections=reader_rejected
    )
    outputs = {name: getattr(result, name) for name in RESULT_FILES}
    timings["compute"] = time.perf_counter() - mark

    mark = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, file_name in RESULT_FILES.items():
        write_csv(outputs[name], args.out / file_name)
    timings["write"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    _report(outputs, args.out, f"{params.regime} {params.version}", timings)
    return 0


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """One result frame as CSV: ISO dates, true/false, empty cells for missing values."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))


def _report(outputs: dict[str, pd.DataFrame], out: Path, regime: str, timings: dict[str, float]) -> None:
    ns = outputs["netting_sets"]
    print(
        f"\n{len(ns):,} netting sets, {len(outputs['trades']):,} trades computed under {regime}; "
        f"total EAD {ns['ead'].sum():,.0f}"
    )
    top = ns.nlargest(10, "ead")[
        ["netting_set_id", "counterparty_id", "margined", "trade_count", "mpor_days", "rc", "pfe", "ead"]
    ]
    money = {c: "{:,.0f}".format for c in ("rc", "pfe", "ead")}
    print("largest netting sets by EAD:")
    print(top.to_string(index=False, formatters=money) if len(top) else "  (none)")
    print(f"rejected rows: {len(outputs['rejected']):,} (see {out / RESULT_FILES['rejected']})")
    print("timings: " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in timings.items()))
    print(f"results written to {out}")


# ------------------------------------------------------------------------------------------- helpers


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date YYYY-MM-DD: {text!r}") from exc


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# ---------------------------------------------------------------------------------- run, reproduce (Spark)


def _add_run(subparsers: argparse._SubParsersAction) -> None:
    from saccr_pipeline.arguments import add_date_arguments, add_job_arguments

    p = subparsers.add_parser(
        "run", help="the whole pipeline for one date or a range of dates on Spark + Delta (no Airflow)"
    )
    add_date_arguments(p, batch=True)
    add_job_arguments(p)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    """Exit 0 when every date published, 1 when a date failed (each with its reason), 2 when nothing could
    start (no business date, no delivery of any date, another run holding every date, no Java, a landing root
    missing or a lakehouse root that cannot be written): those are checked before Spark starts."""
    from saccr_pipeline.arguments import date_range
    from saccr_pipeline.lakehouse.lease import held_dates, refuse
    from saccr_pipeline.lakehouse.run_log import RunLog
    from saccr_pipeline.lakehouse.tables import Lakehouse
    from saccr_pipeline.landing import check_delivery
    from saccr_pipeline.preflight import check_java, check_lakehouse, check_landing
    from saccr_pipeline.steps.job import job_settings, running_job
    from saccr_pipeline.steps.pipeline import plan_dates, run_dates
    from saccr_pipeline.steps.summarise import format_largest, format_outcomes

    dates = date_range(args)
    plan = plan_dates(dates.first, dates.last)
    settings = job_settings(args)
    check_landing(settings.landing_root)
    check_lakehouse(settings.lakehouse_root)
    check_java()
    problems = []
    for day in plan.dates:
        try:
            check_delivery(settings.landing_root, day)
        except SaccrError as exc:
            problems.append(str(exc))
    if len(problems) == len(plan.dates):
        raise UsageError("; ".join(problems))
    held = held_dates(RunLog(Lakehouse(settings.lakehouse_root)), plan.dates, settings.run_lease_minutes)
    if len(held) == len(plan.dates):  # before Spark starts; ingest claims the dates for good
        raise refuse(held)
    for day, reason in plan.skipped.items():
        print(f"skip {day}: not a business date ({reason})")
    with running_job("saccr-run", args, settings) as job:
        summary = run_dates(job, plan.dates, dates.token)
    print(f"\nrun {summary.token}:")
    print(format_outcomes(summary.outcomes))
    if summary.largest is not None:
        print(f"largest netting sets by EAD on {summary.outcomes[-1].as_of if summary.outcomes else ''}:")
        print(format_largest(summary.largest))
    return 1 if summary.failed else 0


def _add_reproduce(subparsers: argparse._SubParsersAction) -> None:
    from saccr_pipeline.arguments import add_job_arguments

    p = subparsers.add_parser(
        "reproduce",
        help="recompute a past run from its recorded input versions and compare (exit 1 if different)",
    )
    p.add_argument("run_id", help="a run id from audit/run_log")
    p.add_argument("--rtol", type=float, help="relative tolerance for amounts (default 1e-9)")
    add_job_arguments(p)
    p.set_defaults(handler=_reproduce)


def _reproduce(args: argparse.Namespace) -> int:
    from deltalake import DeltaTable

    from saccr_pipeline.errors import RunStateError
    from saccr_pipeline.lakehouse.run_log import RUN_LOG, RunLog
    from saccr_pipeline.lakehouse.tables import Lakehouse
    from saccr_pipeline.preflight import check_java, check_lakehouse
    from saccr_pipeline.steps.job import job_settings, running_job
    from saccr_pipeline.steps.reproduce import RTOL, report, reproduce

    settings = job_settings(args)
    lake = Lakehouse(settings.lakehouse_root)
    if not DeltaTable.is_deltatable(lake.uri(RUN_LOG)):
        raise RunStateError(
            f"no run log at {lake.path(RUN_LOG)}: is {settings.lakehouse_root} the lakehouse?"
        )
    RunLog(lake).run_steps(args.run_id)  # an unknown run fails before Spark
    check_lakehouse(settings.lakehouse_root)
    check_java()
    rtol = RTOL if args.rtol is None else args.rtol
    with running_job("saccr-reproduce", args, settings) as job:
        result = reproduce(job, args.run_id, rtol)
    print(report(result))
    return 0 if result.identical else 1


def _add_verify(subparsers: argparse._SubParsersAction) -> None:
    from saccr_pipeline.arguments import add_job_arguments

    p = subparsers.add_parser(
        "verify",
        help="compare a date's gold rows at the latest versions with what was published, and list commits "
        "the pipeline did not make (exit 1 if any; no Spark)",
    )
    p.add_argument("--as-of", type=_date, required=True, help="as-of date YYYY-MM-DD")
    add_job_arguments(p)
    p.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from saccr_pipeline.lakehouse.tables import Lakehouse
    from saccr_pipeline.steps.job import job_settings
    from saccr_pipeline.steps.verify import report, verify

    result = verify(Lakehouse(job_settings(args).lakehouse_root), args.as_of)
    print(report(result))
    return 0 if result.intact else 1


COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_generate,
    _add_compute,
    _add_run,
    _add_reproduce,
    _add_verify,
)
