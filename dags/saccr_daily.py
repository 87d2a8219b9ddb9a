"""
# saccr_daily: the daily SA-CCR capital run

One DAG run computes and publishes SA-CCR exposure for **one business date** (`as_of`). Every Spark step is
`jobs/saccr_pipeline/steps/submit.py STEP` submitted to Spark through the `spark_saccr` connection; this file
only orchestrates. A range of dates (history, restatements) goes through `saccr_backfill`, the same steps once
for the whole range.

1. `plan_run`: the business date is the `as_of_date` param, else the date of `data_interval_start` (never
   `ds`); weekends and the holidays of `conf/holidays.toml` are skipped; mints the run id and the
   spark-submit options (Delta jars and confs, Python) every Spark step of the run shares.
2. `wait_for_extracts`: trades, valuations, collateral and market_data in `landing/<as_of>/`; fails naming
   what is missing after `extract_wait_seconds`.
3. `ingest`: every extract of the delivery checked, then loaded: landing files -> `bronze/<extract>`.
4. `validate`: the expectation suites, bronze -> silver, broken rows -> quarantine. A failed data-quality
   gate is never retried: a data problem does not go away.
5. `compute`: the SA-CCR engine over silver, netting sets grouped by bucket, into staging.
6. `publish`: staged results -> gold `saccr_trade`, `saccr_hedging_set`, `saccr_netting_set`.
7. `marts`: the reporting marts and the day-over-day movement against the previous published date.
8. `summarise_run`: closes the run in `audit/run_log` (no Spark) and prints what it published.

**Schedule.** `CronDataIntervalTimetable("0 6 * * 1-5", Europe/London)`: the run for business date D covers
[D 06:00, next weekday 06:00) and starts when that interval ends, so Friday's run starts on Monday morning.
Its logical date is D 06:00.

**Reruns and restatements.** Every write replaces the run's date only (Delta `replaceWhere`), so rerunning a
date is idempotent. Each run gets a new pipeline `run_id`; the results of earlier runs of the date stay
reachable through Delta time travel and `audit/run_log` (`saccr reproduce RUN_ID`). Rerun one date with
`airflow dags trigger saccr_daily -c '{"as_of_date": "YYYY-MM-DD"}'`; restate a range with `saccr_backfill`.
See dags/README.md.

**Concurrency.** `max_active_runs=1`: two runs never write at the same time.

**Retries.** Every task retries twice with exponential back-off on transient failures (a lost executor, an
I/O error, a task that could not reach the Airflow API server to start), but never when it died of one of the
pipeline's own errors (bad input, a failed data-quality gate, a misconfiguration: those fail the same way
every time), nor when the extracts did not land in time.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task

from saccr_pipeline import orchestration  # standard library and the settings loader only: cheap to parse
from saccr_pipeline.dag_tasks import DEFAULT_ARGS, spark_step, summarise_run
from saccr_pipeline.steps.registry import STEP_NAMES

BUSINESS_TIMEZONE = "Europe/London"
RUN_AT = "0 6 * * 1-5"  # 06:00 on weekdays, for the business date that started 24 h (Friday: 72 h) before
EXTRACT_WAIT_SECONDS = 6 * 3600
MARTS = Asset(name="saccr_marts")  # reporting DAGs can be scheduled on it


@dag(
    dag_id="saccr_daily",
    schedule=CronDataIntervalTimetable(RUN_AT, timezone=BUSINESS_TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=BUSINESS_TIMEZONE),
    catchup=False,  # history is loaded with saccr_backfill
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "as_of_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Business date to (re)run, YYYY-MM-DD; empty: the date of the run's data interval",
        ),
        "extract_wait_seconds": Param(
            EXTRACT_WAIT_SECONDS,
            type="integer",
            minimum=0,
            description="How long wait_for_extracts waits for missing extracts before failing",
        ),
    },
    doc_md=__doc__,
    tags=["saccr", "capital"],
)
def saccr_daily() -> None:
    @task(multiple_outputs=True)
    def plan_run(params: dict | None = None, data_interval_start: dt.datetime | None = None) -> dict:
        """Resolve the business date, skip it if it is not a business day, and plan the run's Spark jobs."""
        from airflow.sdk.exceptions import AirflowSkipException

        from saccr_pipeline.config.business_calendar import load_calendar
        from saccr_pipeline.config.settings import load_settings

        as_of = orchestration.business_date(params["as_of_date"], data_interval_start, BUSINESS_TIMEZONE)
        closed = load_calendar().closed_reason(as_of)
        if closed:
            raise AirflowSkipException(f"{as_of} is not a business date ({closed}): nothing to run")
        plan = orchestration.plan_run(as_of, as_of, load_settings())
        print(
            f"business date {as_of}, pipeline run id {as_of:%Y%m%d}-{plan.token}, lakehouse {plan.lakehouse}"
        )
        return plan.as_xcom()

    @task.sensor(mode="reschedule", poke_interval=60, timeout=24 * 3600)  # a sensor timeout never retries
    def wait_for_extracts(as_of: str, landing: str, params: dict | None = None, ti=None) -> bool:
        """True once every extract of the date has landed; after `extract_wait_seconds`, fail naming the
        missing ones. (`timeout` is only a backstop: the param decides, so a rerun can wait less.)"""
        from airflow.sdk import get_current_context, timezone
        from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout

        from saccr_pipeline.landing import find_extracts

        check = find_extracts(landing, dt.date.fromisoformat(as_of))
        if check.complete:
            print(check.describe())
            return True
        if check.ambiguous:
            raise AirflowFailException(f"extracts of {as_of} are ambiguous: {check.describe()}")
        started = ti.get_first_reschedule_date(get_current_context()) or ti.start_date
        waited = (timezone.utcnow() - started).total_seconds()
        if waited >= params["extract_wait_seconds"]:
            raise AirflowSensorTimeout(
                f"extracts of {as_of} still missing after {waited:.0f} s: {check.describe()}. "
                "Deliver them, then clear this task (or rerun the date)."
            )
        print(f"waiting ({waited:.0f} s so far): {check.describe()}")
        return False

    plan = plan_run()
    steps = [
        spark_step(name, plan, **({"outlets": [MARTS]} if name == "marts" else {})) for name in STEP_NAMES
    ]
    summary = summarise_run(plan["first"], plan["last"], plan["token"], plan["lakehouse"])
    previous = wait_for_extracts(plan["first"], plan["landing"])
    for step in [*steps, summary]:
        previous >> step
        previous = step


saccr_daily()
