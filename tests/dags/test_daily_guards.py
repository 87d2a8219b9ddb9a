"""saccr_daily before any Spark job: the business date, holidays, and extracts that have not landed.

Each test is one real `dag.test()` run in this process's temporary AIRFLOW_HOME; none reaches spark-submit.
"""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

pytestmark = pytest.mark.dags

SPARK_TASKS = ("ingest", "validate", "compute", "publish", "marts", "summarise_run")


@pytest.fixture
def dag():
    """A freshly parsed DAG per run: dag.test() runs tasks in this process on the DAG's own task objects,
    and a run's conf stays in their params afterwards (a scheduler parses the file for every task)."""
    import os

    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).get_dag("saccr_daily")


def states(dag_run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def test_a_missing_extract_fails_the_sensor_naming_it_and_publishes_nothing(
    dag, pipeline_roots, sample_extracts, capfd: pytest.CaptureFixture[str]
) -> None:
    landing, lakehouse = pipeline_roots
    sample_extracts(landing, dt.date(2026, 11, 20))
    (landing / "2026-11-20" / "collateral.csv").unlink()

    run = dag.test(run_conf={"as_of_date": "2026-11-20", "extract_wait_seconds": 0})

    assert str(run.state) == "failed"
    assert states(run)["wait_for_extracts"] == "failed"
    assert {states(run)[t] for t in SPARK_TASKS} == {"upstream_failed"}
    output = capfd.readouterr().out
    assert "AirflowSensorTimeout" in output
    assert (
        f"extracts of 2026-11-20 still missing after 0 s: {landing}/2026-11-20: "
        "missing collateral.csv or collateral.parquet" in output
    )
    assert not lakehouse.exists()  # no Spark job ran: nothing written, nothing published


def test_without_the_param_the_business_date_is_the_data_interval_start(
    dag, pipeline_roots, capfd: pytest.CaptureFixture[str]
) -> None:
    """A manual run at Tue 24 Nov 06:00 London covers [Mon 06:00, Tue 06:00): its business date is Monday
    the 23rd (the logical date would say the 24th)."""
    landing, _ = pipeline_roots
    tuesday_0600 = pendulum.datetime(2026, 11, 24, 6, tz="Europe/London")

    run = dag.test(logical_date=tuesday_0600, run_conf={"extract_wait_seconds": 0})

    assert states(run)["plan_run"] == "success" and states(run)["wait_for_extracts"] == "failed"
    assert f"extracts of 2026-11-23 still missing after 0 s: {landing}/2026-11-23: " in capfd.readouterr().out


@pytest.mark.parametrize(
    ("logical_date", "conf"),
    [
        # Monday 28 Dec 06:00 ends the interval that started on Friday 25 Dec: Christmas Day
        (pendulum.datetime(2026, 12, 28, 6, tz="Europe/London"), {}),
        # as_of_date wins over the interval (dag.test(logical_date=None) would clear every run's tasks)
        (pendulum.datetime(2026, 11, 21, 12, tz="Europe/London"), {"as_of_date": "2026-11-21"}),  # Saturday
    ],
)
def test_a_run_for_a_holiday_or_weekend_is_skipped_and_writes_nothing(
    dag, pipeline_roots, logical_date, conf
) -> None:
    """plan_run skips (the reasons are tested in test_orchestration), and with it every later task."""
    _, lakehouse = pipeline_roots

    run = dag.test(logical_date=logical_date, run_conf=conf)

    assert str(run.state) == "success"
    assert set(states(run).values()) == {"skipped"}
    assert not lakehouse.exists()


def test_a_pipeline_error_in_plan_run_fails_at_once_without_retrying(
    dag, pipeline_roots, capfd: pytest.CaptureFixture[str]
) -> None:
    """Every task retries transient failures; a date that cannot be planned is not one (1 try, not 3)."""
    _, lakehouse = pipeline_roots

    run = dag.test(run_conf={"as_of_date": "2029-01-02"})  # beyond the holiday calendar

    plan_run = run.get_task_instance("plan_run")
    assert str(run.state) == "failed" and str(plan_run.state) == "failed"
    assert plan_run.try_number == 1 and plan_run.max_tries == 2
    assert {states(run)[t] for t in SPARK_TASKS} == {"upstream_failed"}
    output = capfd.readouterr().out
    assert "covers 2024-2028, not 2029-01-02" in output
    assert not lakehouse.exists()
