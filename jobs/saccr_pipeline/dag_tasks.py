"""What the SA-CCR DAGs (dags/) share: the retry rule, the spark-submit task of a pipeline step, and the run
summary. The one module of the package that imports Airflow: only the DAG files import it. Airflow and the
pipeline's orchestration helpers at the top; anything heavier inside the tasks (the scheduler parses DAG files
constantly).
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import RetryDecision, RetryPolicy, XComArg, task

from saccr_pipeline import orchestration  # standard library and the settings loader only: cheap to parse
from saccr_pipeline.steps.registry import STEP_NAMES  # standard library only

SPARK_CONN_ID = "spark_saccr"


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


DEFAULT_ARGS = {
    "retries": 2,  # transient: a lost executor, a Delta commit conflict, an API server slow to answer
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=15),
    "retry_policy": FailFastOnPipelineErrors(),
    "execution_timeout": dt.timedelta(hours=6),
}


def spark_step(step: str, plan: XComArg, **kwargs: object) -> SparkSubmitOperator:
    """spark-submit of one pipeline step (steps/submit.py) for every date of the run `plan` describes (dates,
    batch token, roots, jars, confs). The task is named after the step."""
    return SparkSubmitOperator(
        task_id=step,
        conn_id=SPARK_CONN_ID,
        application=str(orchestration.SUBMIT),
        application_args=[
            step,
            *("--from", plan["first"], "--to", plan["last"], "--batch", plan["token"]),
            *("--lakehouse", plan["lakehouse"], "--landing", plan["landing"]),
        ],
        jars=plan["jars"],
        conf=plan["spark_conf"],
        env_vars=plan["spark_env"],
        name=f"saccr-{step}",
        **kwargs,
    )


@task
def summarise_run(first: str, last: str, token: str, lakehouse: str) -> dict:
    """Close the run of every date in audit/run_log (no Spark: delta-rs), print each date's outcome and the
    largest netting sets; fail (without retry) if a date did not publish, naming it and why."""
    from airflow.sdk.exceptions import AirflowFailException

    from saccr_pipeline.lakehouse.tables import Lakehouse
    from saccr_pipeline.run_ids import run_id_of
    from saccr_pipeline.steps.pipeline import plan_dates
    from saccr_pipeline.steps.summarise import (
        close_runs,
        format_largest,
        format_outcomes,
        largest_netting_sets,
        write_run_reports,
    )

    lake = Lakehouse(lakehouse)
    plan = plan_dates(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    outcomes = close_runs(lake, [run_id_of(d, token) for d in plan.dates], STEP_NAMES)
    print(f"run {token}, lakehouse {lakehouse}:\n{format_outcomes(outcomes)}")
    write_run_reports(lake, outcomes)
    published = [o.as_of for o in outcomes if o.succeeded]
    if published:
        print(f"largest netting sets by EAD on {published[-1]}:")
        print(format_largest(largest_netting_sets(lake, published[-1])))
    failed = [o for o in outcomes if not o.succeeded]
    if failed:
        raise AirflowFailException(
            f"{len(failed)} of {len(outcomes)} date(s) did not publish: "
            + "; ".join(f"{o.as_of} ({o.error})" for o in failed)
        )
    return {"published": [d.isoformat() for d in published]}
