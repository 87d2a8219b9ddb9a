"""Every DAG in dags/ imports cleanly, and saccr_daily has the shape the run book describes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.dags

DAILY_TASKS = [
    "plan_run",
    "wait_for_extracts",
    "ingest_trades",
    "ingest_valuations",
    "ingest_collateral",
    "ingest_market_data",
    "validate",
    "compute",
    "publish",
    "build_marts",
    "summarise_run",
]
SPARK_TASKS = DAILY_TASKS[2:]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def test_every_dag_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert "saccr_daily" in dagbag.dag_ids


def test_daily_dag_runs_one_business_date_at_a_time(dagbag) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    dag = dagbag.get_dag("saccr_daily")
    assert isinstance(dag.timetable, CronDataIntervalTimetable)  # explicit: business date = interval start
    assert dag.max_active_runs == 1 and not dag.catchup
    assert set(dag.params) == {"as_of_date", "extract_wait_seconds"}
    assert dag.doc_md and dag.doc_md.lstrip().startswith("# saccr_daily")


def test_daily_dag_wiring(dagbag) -> None:
    dag = dagbag.get_dag("saccr_daily")
    assert sorted(dag.task_ids) == sorted(DAILY_TASKS)
    ingest = {f"ingest_{e}" for e in ("trades", "valuations", "collateral", "market_data")}
    assert dag.get_task("wait_for_extracts").downstream_task_ids == ingest
    for task_id in ingest:
        assert dag.get_task(task_id).downstream_task_ids == {"validate"}
    chain = ["validate", "compute", "publish", "build_marts", "summarise_run"]
    for upstream, downstream in zip(chain, chain[1:], strict=False):
        assert dag.get_task(upstream).downstream_task_ids == {downstream}


def test_spark_steps_use_the_spark_connection_and_the_step_modules(dagbag) -> None:
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    dag = dagbag.get_dag("saccr_daily")
    for task_id in SPARK_TASKS:
        task = dag.get_task(task_id)
        assert isinstance(task, SparkSubmitOperator)
        assert task._conn_id == "spark_saccr"
        assert task.application.endswith(".py") and "saccr_pipeline" in task.application


def test_every_task_retries_with_back_off_under_the_fail_fast_policy(dagbag) -> None:
    """A task can fail for reasons outside it (the scheduler fails a queued task whose process could not reach
    a busy API server to start): every task retries; the policy stops pipeline errors."""
    dag = dagbag.get_dag("saccr_daily")
    policies = set()
    for task in dag.tasks:
        assert task.retries == 2 and task.retry_exponential_backoff > 0, task.task_id
        policies.add(type(task.retry_policy).__name__)
    assert policies == {"FailFastOnPipelineErrors"}


def test_a_pipeline_error_raised_in_a_task_is_not_retried(dagbag) -> None:
    from airflow.sdk import RetryAction

    from saccr_pipeline.errors import OrchestrationError

    policy = dagbag.get_dag("saccr_daily").get_task("plan_run").retry_policy
    bad_param = OrchestrationError("as_of_date '2026-13-01' is not an ISO date YYYY-MM-DD")
    decision = policy.evaluate(bad_param, try_number=1, max_tries=3)
    assert decision.action == RetryAction.FAIL and decision.reason.startswith("OrchestrationError")
    transient = OSError("landing not mounted")
    assert policy.evaluate(transient, try_number=1, max_tries=3).action == RetryAction.DEFAULT


def test_parsing_the_dag_file_imports_neither_spark_nor_pandas() -> None:
    """The scheduler parses DAG files constantly: no heavy import at module level."""
    code = (
        "import runpy, sys\n"
        f"runpy.run_path({os.path.join(os.environ['AIRFLOW__CORE__DAGS_FOLDER'], 'saccr_daily.py')!r})\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'pandas', 'numpy', 'delta'})\n"
        "print('heavy modules:', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "heavy modules: []" in out.stdout.splitlines(), out.stdout


def test_a_step_that_died_of_a_pipeline_error_is_not_retried(dagbag) -> None:
    from airflow.sdk import RetryAction
    from airflow.sdk.exceptions import AirflowException

    policy = dagbag.get_dag("saccr_daily").get_task("ingest_trades").retry_policy
    data_error = AirflowException(
        "Cannot execute: spark-submit ... Error code is: 1.\nLast spark-submit output:\n"
        'File "/repo/jobs/saccr_pipeline/quality.py", line 277, in check_landing\n'
        "saccr_pipeline.quality.rules.DataQualityError: delivery landing/2026-11-20 cannot be loaded\n"
    )
    lost_executor = AirflowException(
        "Cannot execute: spark-submit ... Error code is: 1.\nLast spark-submit output:\n"
        "py4j.protocol.Py4JJavaError: An error occurred while calling o61.save.\n"
        "org.apache.spark.SparkException: Job aborted due to stage failure: ExecutorLostFailure\n"
    )
    decision = policy.evaluate(data_error, try_number=1, max_tries=3)
    assert decision.action == RetryAction.FAIL and decision.reason.startswith("DataQualityError")
    assert policy.evaluate(lost_executor, try_number=1, max_tries=3).action == RetryAction.DEFAULT
