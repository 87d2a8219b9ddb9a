"""
# saccr_backfill: a range of business dates in one run of each step

Loads history or restates a range: every business date from `from_date` to `to_date` (both included; the
calendar of `conf/holidays.toml`) through the same steps as `saccr_daily`, each **one spark-submit for the
whole range** (in batches of `batch_dates` dates inside it), so a year of history pays Spark's start-up five
times, not five times a date. Each date keeps its own run id (`<yyyymmdd>-<token>`), run_log rows and commit
point, and gets exactly the numbers a daily run of it gives.

1. `plan_run`: checks the range, lists its business dates, mints the token of the run ids and the
   spark-submit options.
2. `ingest` .. `marts`: one Spark application each for the whole range. A date whose extracts are missing or
   fail a run-level check fails with its message at that step; the other dates go on, and the marts take each
   date's movement against the date published before it.
3. `summarise_run`: closes every date's run in `audit/run_log` (no Spark); fails, naming the dates that did
   not publish and why, if any did not.

Trigger it from the UI form or `airflow dags trigger saccr_backfill -c '{"from_date": "2026-01-02",
"to_date": "2026-06-30"}'`. It has no schedule. Deliver the extracts first: it does not wait for them.
See dags/README.md for when to use which DAG.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Param, dag, task

from saccr_pipeline import orchestration  # standard library and the settings loader only: cheap to parse
from saccr_pipeline.dag_tasks import DEFAULT_ARGS, spark_step, summarise_run
from saccr_pipeline.steps.registry import STEP_NAMES

MARTS = Asset(name="saccr_marts")


@dag(
    dag_id="saccr_backfill",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "from_date": Param(type="string", format="date", description="First date of the range, YYYY-MM-DD"),
        "to_date": Param(type="string", format="date", description="Last date of the range, YYYY-MM-DD"),
    },
    doc_md=__doc__,
    tags=["saccr", "capital", "backfill"],
)
def saccr_backfill() -> None:
    @task(multiple_outputs=True)
    def plan_run(params: dict | None = None) -> dict:
        """The range's business dates (an error if it has none) and the plan every Spark step shares."""
        import datetime as dt

        from saccr_pipeline.config.settings import load_settings
        from saccr_pipeline.errors import OrchestrationError
        from saccr_pipeline.steps.pipeline import plan_dates

        first, last = (dt.date.fromisoformat(str(params[p])) for p in ("from_date", "to_date"))
        if last < first:
            raise OrchestrationError(f"to_date {last} is before from_date {first}")
        dates = plan_dates(first, last)
        plan = orchestration.plan_run(first, last, load_settings())
        print(
            f"{len(dates.dates)} business date(s) {first}..{last}, token {plan.token}, "
            f"lakehouse {plan.lakehouse}"
        )
        for day, reason in dates.skipped.items():
            print(f"  skip {day}: {reason}")
        return plan.as_xcom()

    plan = plan_run()
    steps = [
        spark_step(name, plan, **({"outlets": [MARTS]} if name == "marts" else {})) for name in STEP_NAMES
    ]
    summary = summarise_run(plan["first"], plan["last"], plan["token"], plan["lakehouse"])
    previous = plan
    for step in [*steps, summary]:
        previous >> step
        previous = step


saccr_backfill()
