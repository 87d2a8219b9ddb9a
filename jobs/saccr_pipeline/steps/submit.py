"""The spark-submit entry point of every pipeline step (the Airflow DAGs' tasks):

    spark-submit .../saccr_pipeline/steps/submit.py STEP (--as-of D --run-id R | --from D1 --to D2 --batch T)
        [--lakehouse L] [--landing P]

runs STEP (one of the registry's) once for the business dates of the range, with the run ids the DAG minted
(`<yyyymmdd>-<T>`), for the dates whose earlier steps succeeded. Exits 0 when at least one date passed the
step, and with the step's error when all failed (a pipeline error: the DAG does not retry it).
"""

from __future__ import annotations

import os
import sys

# spark-submit puts this file's folder first on sys.path; the steps' module names must not shadow others.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
from collections.abc import Sequence  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.arguments import add_date_arguments, add_job_arguments, date_range
    from saccr_pipeline.steps.job import running_job
    from saccr_pipeline.steps.pipeline import plan_dates
    from saccr_pipeline.steps.registry import STEP_NAMES, step_named
    from saccr_pipeline.steps.runner import run_step

    parser = argparse.ArgumentParser(prog="saccr_pipeline.steps.submit", description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=STEP_NAMES)
    add_date_arguments(parser, batch=True)
    add_job_arguments(parser)
    args = parser.parse_args(argv)
    if not (args.run_id or args.batch):
        parser.error("a step of a run needs --run-id (one date) or --batch (the run ids of a range)")
    dates = date_range(args)
    plan = plan_dates(dates.first, dates.last)
    with running_job(f"saccr-{args.step}", args) as job:
        runs = run_step(job, step_named(args.step), plan.dates, dates.token)
    failed = [r for r in runs if r.failed]
    print(f"{args.step}: {len(runs) - len(failed)} of {len(runs)} date(s) passed")
    for r in failed:
        print(f"  {r.as_of} {r.run_id}: {r.record.error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
