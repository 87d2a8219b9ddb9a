"""Every DAG in dags/ imports cleanly, and saccr_daily and saccr_backfill have the shape the run books
describe: the registry's steps, one spark-submit each, in order, then the run summary (no Spark)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.dags

SPARK_TASKS = ["ingest", "validate", "compute", "publish", "marts"]
DAILY_TASKS = ["plan_run", "wait_for_extracts", *SPARK_TASKS, "summarise_run"]
BACKFILL_TASKS = ["plan_run", *SPARK_TASKS, "summarise_run"]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def test_every_dag_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert {"saccr_daily", "saccr_backfill"} <= set(dagbag.dag_ids)


def test_the_steps_are_the_registrys() -> None:
    from saccr_pipeline.steps.registry import STEP_NAMES

    assert list(STEP_NAMES) == SPARK_TASKS


def test_daily_dag_runs_one_business_date_at_a_time(dagbag) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    dag = dagbag.get_dag("saccr_daily")
    assert isinstance(dag.timetable, CronDataIntervalTimetable)  # explicit: business date = interval start
    assert dag.max_active_runs == 1 and not dag.catchup
    assert set(dag.params) == {"as_of_date", "extract_wait_seconds"}
    assert dag.doc_md and dag.doc_md.lstrip().startswith("# saccr_daily")


@pytest.mark.parametrize(
    ("dag_id", "tasks"), [("saccr_daily", DAILY_TASKS), ("saccr_backfill", BACKFILL_TASKS)]
)
def test_dag_wiring_is_a_chain_of_the_steps(dagbag, dag_id: str, tasks: list[str]) -> None:
    """Each task waits for the one before it, and takes the run's plan from plan_run (XCom)."""
    dag = dagbag.get_dag(dag_id)
    assert sorted(dag.task_ids) == sorted(tasks)
    for upstream, downstream in zip(tasks, tasks[1:], strict=False):
        assert dag.get_task(downstream).upstream_task_ids == {upstream, "plan_run"}, downstream


def test_backfill_dag_takes_a_range_and_has_no_schedule(dagbag) -> None:
    dag = dagbag.get_dag("saccr_backfill")
    assert dag.max_active_runs == 1 and not dag.catchup and type(dag.timetable).__name__ == "NullTimetable"
    assert set(dag.params) == {"from_date", "to_date"}
    assert dag.doc_md and dag.doc_md.lstrip().startswith("# saccr_backfill")


@pytest.mark.parametrize("dag_id", ["saccr_daily", "saccr_backfill"])
def test_spark_steps_submit_the_step_entry_point_for_the_whole_range(dagbag, dag_id: str) -> None:
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    from saccr_pipeline.orchestration import SUBMIT

    dag = dagbag.get_dag(dag_id)
    for task_id in SPARK_TASKS:
        task = dag.get_task(task_id)
        assert isinstance(task, SparkSubmitOperator)
        assert task._conn_id == "spark_saccr"
        assert task.application == str(SUBMIT) and SUBMIT.is_file()
        args = [str(a) for a in task.application_args]
        assert args[0] == task_id and {"--from", "--to", "--batch", "--lakehouse", "--landing"} <= set(args)


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


@pytest.mark.parametrize("dag_file", ["saccr_daily.py", "saccr_backfill.py"])
def test_parsing_the_dag_file_imports_neither_spark_nor_pandas(dag_file: str) -> None:
    """The scheduler parses DAG files constantly: no heavy import at module level."""
    folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    code = (
        "import runpy, sys\n"
        f"runpy.run_path({os.path.join(folder, dag_file)!r})\n"
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

    policy = dagbag.get_dag("saccr_daily").get_task("ingest").retry_policy
    data_error = AirflowException(
        "Cannot execute: spark-submit ... Error code is: 1.\nLast spark-submit output:\n"
        'File "/repo/jobs/saccr_pipeline/steps/runner.py", line 44, in run_step\n'
        "saccr_pipeline.errors.DataQualityError: data quality stops 2026-11-20 (run 20261120-x): ...\n"
    )
    lost_executor = AirflowException(
        "Cannot execute: spark-submit ... Error code is: 1.\nLast spark-submit output:\n"
        "py4j.protocol.Py4JJavaError: An error occurred while calling o61.save.\n"
        "org.apache.spark.SparkException: Job aborted due to stage failure: ExecutorLostFailure\n"
    )
    decision = policy.evaluate(data_error, try_number=1, max_tries=3)
    assert decision.action == RetryAction.FAIL and decision.reason.startswith("DataQualityError")
    assert policy.evaluate(lost_executor, try_number=1, max_tries=3).action == RetryAction.DEFAULT
