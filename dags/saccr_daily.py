"""
# saccr_daily: the daily SA-CCR capital run

One DAG run computes and publishes SA-CCR exposure for **one business date** (`as_of`). Every step is a
pipeline entry point of `jobs/saccr_pipeline/` submitted to Spark through the `spark_saccr` connection; this
file only orchestrates.

1. `plan_run`: the business date is the `as_of_date` param, else the date of `data_interval_start` (never
   `ds`); weekends and the holidays of `conf/holidays.toml` are skipped; mints the pipeline run id and the
   spark-submit options (Delta jars and confs, Python) every Spark step of the run shares.
2. `wait_for_extracts`: trades, valuations, collateral and market_data in `landing/<as_of>/`; fails naming
   what is missing after `extract_wait_seconds`.
3. `ingest_<extract>`: one Spark job per extract, in parallel: landing file -> `bronze/<extract>`.
4. `validate`: the validation rules and expectation suites, bronze -> silver, broken rows -> quarantine.
   A failed data-quality gate is never retried: a data problem does not go away.
5. `compute`: the SA-CCR engine over silver, netting sets grouped by bucket, into staging.
6. `publish`: staged results -> gold `saccr_trade`, `saccr_hedging_set`, `saccr_netting_set`.
7. `build_marts`: the reporting marts and the day-over-day movement against the previous published date.
8. `summarise_run`: closes the run in `audit/run_log` and prints what it published.

**Schedule.** `CronDataIntervalTimetable("0 6 * * 1-5", Europe/London)`: the run for business date D covers
[D 06:00, next weekday 06:00) and starts when that interval ends, so Friday's run starts on Monday morning.
Its logical date is D 06:00, which is what backfill date ranges compare with.

**Reruns and restatements.** Every write replaces the run's date only (Delta `replaceWhere`), so rerunning a
date is idempotent. Each run gets a new pipeline `run_id`; the results of earlier runs of the date stay
reachable through Delta time travel and `audit/run_log` (`saccr reproduce RUN_ID`). Rerun a date with
corrected extracts with `airflow dags trigger saccr_daily -c '{"as_of_date": "YYYY-MM-DD"}'`, or a range with
`airflow backfill create --dag-id saccr_daily --from-date D1 --to-date D2T23:59:59 --max-active-runs 1
--reprocess-behavior completed` (scheduler running, DAG unpaused). See dags/README.md.

**Concurrency.** `max_active_runs=1`: two runs never write at the same time; backfills pass
`--max-active-runs 1` so the dates run in order and each date's movement finds the previous date published.

**Retries.** Every task retries twice with exponential back-off on transient failures (a lost executor, an
I/O error, a task that could not reach the Airflow API server to start), but never when it died of one of the
pipeline's own errors (bad input, a failed data-quality gate, a misconfiguration: those fail the same way
every time), nor when the extracts did not land in time.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import (
    Asset,
    CronDataIntervalTimetable,
    Param,
    RetryDecision,
    RetryPolicy,
    XComArg,
    dag,
    task,
)

from saccr.contract import EXTRACTS
from saccr_pipeline import orchestration  # standard library and the settings loader only: cheap to parse

BUSINESS_TIMEZONE = "Europe/London"
RUN_AT = "0 6 * * 1-5"  # 06:00 on weekdays, for the business date that started 24 h (Friday: 72 h) before
SPARK_CONN_ID = "spark_saccr"
EXTRACT_WAIT_SECONDS = 6 * 3600
MARTS = Asset(name="saccr_marts")  # reporting DAGs can be scheduled on it


class FailFastOnPipelineErrors(RetryPolicy):  # the retry rule of every task (default_args)
    """Retry with back-off, except when a task died of one of the pipeline's own errors (bad input, a failed
    data-quality gate, a misconfiguration): raised in the task itself (plan_run), or named in a Spark step's
    output. Those fail the same way every time."""

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        error = orchestration.pipeline_error(exception)
        if error:
            return RetryDecision.fail(
                f"{error}: retrying cannot fix it; correct the input and rerun the date"
            )
        return RetryDecision.default()


def spark_step(
    task_id: str, step: str, plan: XComArg, *extra_args: str, **kwargs: object
) -> SparkSubmitOperator:
    """spark-submit of one pipeline step for the run `plan` describes (date, run id, roots, jars, confs)."""
    return SparkSubmitOperator(
        task_id=task_id,
        conn_id=SPARK_CONN_ID,
        application=orchestration.step_application(step),
        application_args=[
            *("--as-of", plan["as_of"], "--run-id", plan["run_id"]),
            *("--lakehouse", plan["lakehouse"], "--landing", plan["landing"]),
            *extra_args,
        ],
        jars=plan["jars"],
        conf=plan["spark_conf"],
        env_vars=plan["spark_env"],
        name=f"saccr-{task_id}",
        **kwargs,
    )


@dag(
    dag_id="saccr_daily",
    schedule=CronDataIntervalTimetable(RUN_AT, timezone=BUSINESS_TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=BUSINESS_TIMEZONE),
    catchup=False,  # history is loaded with explicit backfills
    max_active_runs=1,
    default_args={
        "retries": 2,  # transient: a lost executor, a Delta commit conflict, an API server slow to answer
        "retry_delay": dt.timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(minutes=15),
        "retry_policy": FailFastOnPipelineErrors(),
        "execution_timeout": dt.timedelta(hours=2),
    },
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

        from saccr_pipeline.config.settings import load_settings

        as_of = orchestration.business_date(params["as_of_date"], data_interval_start, BUSINESS_TIMEZONE)
        closed = orchestration.load_calendar().closed_reason(as_of)
        if closed:
            raise AirflowSkipException(f"{as_of} is not a business date ({closed}): nothing to run")
        plan = orchestration.plan_run(as_of, load_settings())
        print(f"business date {plan.as_of}, pipeline run id {plan.run_id}, lakehouse {plan.lakehouse}")
        return plan.as_xcom()

    @task.sensor(mode="reschedule", poke_interval=60, timeout=24 * 3600)  # a sensor timeout never retries
    def wait_for_extracts(as_of: str, landing: str, params: dict | None = None, ti=None) -> bool:
        """True once every extract of the date has landed; after `extract_wait_seconds`, fail naming the
        missing ones. (`timeout` is only a backstop: the param decides, so a rerun can wait less.)"""
        from airflow.sdk import get_current_context, timezone
        from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout

        check = orchestration.check_landing(landing, dt.date.fromisoformat(as_of))
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
    landed = wait_for_extracts(plan["as_of"], plan["landing"])
    ingest = [spark_step(f"ingest_{name}", "ingest", plan, "--extract", name) for name in EXTRACTS]
    validate = spark_step("validate", "validate", plan)
    compute = spark_step("compute", "compute", plan)
    publish = spark_step("publish", "publish", plan)
    build_marts = spark_step("build_marts", "marts", plan, outlets=[MARTS])
    summarise_run = spark_step("summarise_run", "summarise", plan)

    landed >> ingest >> validate >> compute >> publish >> build_marts >> summarise_run


saccr_daily()
