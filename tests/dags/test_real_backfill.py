"""A real Airflow run of saccr_backfill: `airflow standalone` (api-server, scheduler with LocalExecutor,
dag-processor) on this process's SQLite home, the DAG unpaused, and `airflow dags trigger saccr_backfill` for
Wed 1 - Mon 6 April 2026. The scheduler runs one DAG run: Wednesday and Thursday through every Spark step in
one spark-submit each, Good Friday, the weekend and Easter Monday skipped by the holiday calendar.

What dag.test() cannot show: the task processes talk to the execution API (no database access from tasks), a
triggered run needs an unpaused DAG, and the run's conf reaches the tasks as params.
System tier (about 4 minutes on 2 idle cores).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.dags, pytest.mark.spark, pytest.mark.slow, pytest.mark.system]

FIRST, LAST = dt.date(2026, 4, 1), dt.date(2026, 4, 6)
BUSINESS_DAYS = (dt.date(2026, 4, 1), dt.date(2026, 4, 2))  # then Good Friday, a weekend, Easter Monday
DAG_ID = "saccr_backfill"
TIMEOUT = 45 * 60  # generous: a shared 2-core machine under load is several times slower


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow(env: dict[str, str], *args: str, attempts: int = 1) -> str:
    """Run an airflow CLI command; retried, since SQLite can be locked by the scheduler for a moment."""
    for attempt in range(1, attempts + 1):
        out = subprocess.run(
            [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True, timeout=300
        )
        if out.returncode == 0:
            return out.stdout
        if attempt < attempts:
            time.sleep(5)
    raise AssertionError(f"airflow {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")


@pytest.fixture
def standalone(pipeline_roots, tmp_path: Path, spark_conf_dir: Path) -> Iterator[dict[str, str]]:
    """`airflow standalone` on free loopback ports, for the test's landing and lakehouse; stopped after."""
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "SPARK_CONF_DIR": str(spark_conf_dir),  # read by every spark-submit of the run
    }
    log_path = tmp_path / "standalone.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "airflow", "standalone"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_until_serving(env: dict[str, str], deadline: float) -> None:
    """Until the execution API (what every task process calls to start) answers its health check."""
    import urllib.request

    url = env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] + "health"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"the api-server of airflow standalone never answered {url}"
        time.sleep(5)


def wait_until_parsed(dag_id: str, deadline: float) -> None:
    """Until the dag-processor has stored the DAG (unpause and backfill create need it; both quietly do
    nothing or fail before)."""
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session

    while True:
        with create_session() as session:
            if session.scalar(SerializedDagModel.latest_item_select_object(dag_id)) is not None:
                return
        assert time.monotonic() < deadline, f"the dag-processor of airflow standalone never stored {dag_id}"
        time.sleep(5)


def dag_runs() -> list:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(select(DagRun).where(DagRun.dag_id == DAG_ID)).all()
        for run in runs:
            session.expunge(run)
        return runs


def task_states(run_id: str) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, TaskInstance.state).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id
            )
        ).all()
    return {task_id: str(state) for task_id, state in rows}


def failure_report(runs: list, standalone_log: Path) -> str:
    """The tasks that failed, the end of their logs, and the errors airflow standalone logged."""
    lines = []
    for run in runs:
        for task_id, state in sorted(task_states(run.run_id).items()):
            if state in ("success", "skipped", "upstream_failed"):
                continue
            lines.append(f"{run.run_id} {task_id}: {state}")
            folder = Path(os.environ["AIRFLOW_HOME"], "logs", f"dag_id={DAG_ID}", f"run_id={run.run_id}")
            for attempt in sorted(folder.glob(f"task_id={task_id}/attempt=*.log")):
                lines += [f"  {attempt.name}:", *attempt.read_text().splitlines()[-15:]]
    log = standalone_log.read_text().splitlines() if standalone_log.exists() else []
    errors = [i for i, line in enumerate(log) if "[error" in line]
    lines += ["airflow standalone errors:", *(line for i in errors for line in log[i : i + 3])]
    return "\n".join(lines)


def test_a_triggered_backfill_under_a_scheduler_publishes_each_business_date(
    spark, standalone: dict[str, str], pipeline_roots, sample_extracts, tmp_path: Path
) -> None:
    import json

    landing, lakehouse = pipeline_roots
    assert tuple(sample_extracts(landing, FIRST, len(BUSINESS_DAYS))) == BUSINESS_DAYS
    deadline = time.monotonic() + TIMEOUT

    # A run of a paused DAG stays queued: unpause once the dag-processor has stored the DAG. (A task whose
    # process cannot reach the API server to start fails while queued, and is retried.)
    wait_until_serving(standalone, deadline)
    wait_until_parsed(DAG_ID, deadline)
    airflow(standalone, "dags", "unpause", DAG_ID, attempts=3)
    earlier = {r.run_id for r in dag_runs()}  # dag.test() runs of other modules in this process's database
    conf = json.dumps({"from_date": FIRST.isoformat(), "to_date": LAST.isoformat()})
    airflow(standalone, "dags", "trigger", DAG_ID, "-c", conf, attempts=3)

    def triggered() -> list:
        return [r for r in dag_runs() if r.run_id not in earlier]

    runs = triggered()
    while len(runs) < 1 or any(str(r.state) not in ("success", "failed") for r in runs):
        assert time.monotonic() < deadline, f"run not finished: {[(r.run_id, str(r.state)) for r in runs]}"
        time.sleep(10)
        runs = triggered()

    assert [str(r.state) for r in runs] == ["success"], failure_report(runs, tmp_path / "standalone.log")
    assert set(task_states(runs[0].run_id).values()) == {"success"}

    from saccr_pipeline.lakehouse.run_log import RunLog
    from saccr_pipeline.lakehouse.tables import Lakehouse, current_version, read

    lake = Lakehouse(str(lakehouse))
    key = "gold/saccr_netting_set"
    published = read(spark, lake, key, current_version(lake, key)).select("as_of_date").distinct()
    assert sorted(row["as_of_date"] for row in published.collect()) == list(BUSINESS_DAYS)
    runs_of_dates = {RunLog(lake).published(day).run_id[9:] for day in BUSINESS_DAYS}
    assert len(runs_of_dates) == 1  # one batch token: both dates in the one run of each step
