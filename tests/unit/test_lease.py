"""The lease per date in audit/run_log (lakehouse.lease), on a real run_log Delta table written by delta-rs
(the pipeline appends it with delta-rs too; no JVM): one run of a date at a time, a race decided by the
conditional commit, dead leases closed as abandoned."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from saccr_pipeline.errors import LeaseHeldError
from saccr_pipeline.lakehouse.lease import (
    ABANDONED,
    RUNNING,
    Holder,
    claim,
    held_dates,
    lease_problems,
    open_leases,
    refuse,
)
from saccr_pipeline.lakehouse.run_log import RUN_LOG, RUN_STEP, RunContext, RunLog, StepRecord
from saccr_pipeline.lakehouse.tables import Lakehouse, delta_log

D = dt.date(2026, 11, 20)
MINUTES = 360


@pytest.fixture
def run_log(tmp_path: Path) -> RunLog:
    """An empty audit/run_log with the pipeline's schema."""
    from deltalake import DeltaTable
    from pyspark.sql.pandas.types import to_arrow_schema

    from saccr_pipeline.lakehouse.schemas import RUN_LOG_SCHEMA

    lake = Lakehouse(str(tmp_path / "lake"))
    schema = to_arrow_schema(RUN_LOG_SCHEMA, timezone="UTC")
    DeltaTable.create(lake.uri(RUN_LOG), schema=schema, partition_by=["as_of_date"])
    return RunLog(lake)


def ctx(run_id: str, as_of: dt.date = D) -> RunContext:
    return RunContext(run_id, as_of, "bcbs_cre52", "v1", "USD", {"bucket_count": 4}, code_version="test")


def dead_pid() -> int:
    """The pid of a process that has ended."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def run_rows(run_log: RunLog) -> list[tuple[str, str]]:
    frame = run_log.rows([D])
    return [(r["run_id"], r["status"]) for r in frame[frame["step"] == RUN_STEP].to_dict("records")]


def test_a_second_run_of_a_date_is_refused_naming_the_run_in_progress(run_log: RunLog) -> None:
    first = claim(run_log, [ctx("20261120-a")], Holder.here(whole_run=True), MINUTES)
    assert not first.held and run_rows(run_log) == [("20261120-a", RUNNING)]
    second = claim(run_log, [ctx("20261120-b")], Holder.here(whole_run=True), MINUTES)
    assert list(second.held) == [D] and run_rows(run_log) == [("20261120-a", RUNNING)]
    message = str(refuse(second.held))
    assert isinstance(refuse(second.held), LeaseHeldError)
    assert message.startswith(f"2026-11-20: run 20261120-a on host {socket.gethostname()}, pid ")
    assert "is in progress" in message
    assert set(held_dates(run_log, [D], MINUTES)) == {D}
    assert lease_problems(run_log, [ctx("20261120-b")], MINUTES) == {D: message}
    assert lease_problems(run_log, [ctx("20261120-a")], MINUTES) == {}  # the holder goes on
    again = claim(run_log, [ctx("20261120-a")], Holder.here(whole_run=True), MINUTES)  # a retried first step
    assert not again.held and run_rows(run_log) == [("20261120-a", RUNNING)]


def test_a_conditional_append_on_an_old_snapshot_commits_nothing(run_log: RunLog) -> None:
    snapshot = delta_log(run_log.lake, RUN_LOG)
    row = [(ctx("20261120-a"), StepRecord("ingest", status="success"))]
    run_log.append(row)  # another writer commits first
    version = delta_log(run_log.lake, RUN_LOG).version()
    assert run_log.append(row, on_top_of=snapshot) is None
    assert delta_log(run_log.lake, RUN_LOG).version() == version
    assert run_log.append(row, on_top_of=delta_log(run_log.lake, RUN_LOG)) == version + 1


@pytest.mark.parametrize("round_", range(3))
def test_of_two_runs_claiming_at_once_exactly_one_gets_the_date(run_log: RunLog, round_: int) -> None:
    day = D + dt.timedelta(days=round_)
    barrier, claims = threading.Barrier(2), {}

    def claim_as(run_id: str) -> None:
        barrier.wait()
        claims[run_id] = claim(run_log, [ctx(run_id, day)], Holder.here(whole_run=True), MINUTES)

    threads = [threading.Thread(target=claim_as, args=(f"{day:%Y%m%d}-{x}",)) for x in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [run_id for run_id, c in claims.items() if not c.held]
    assert len(winners) == 1, claims
    frame = run_log.rows([day])
    assert list(frame.loc[frame["status"] == RUNNING, "run_id"]) == winners


def test_a_dead_run_is_closed_as_abandoned_by_the_next_run(run_log: RunLog) -> None:
    gone = Holder(socket.gethostname(), dead_pid())
    claim(run_log, [ctx("20261120-dead")], gone, MINUTES)
    found = claim(run_log, [ctx("20261120-next")], Holder.here(whole_run=True), MINUTES)
    assert not found.held and [x.run_id for x in found.abandoned] == ["20261120-dead"]
    assert run_rows(run_log) == [("20261120-dead", RUNNING), ("20261120-dead", ABANDONED),
                                 ("20261120-next", RUNNING)]  # fmt: skip
    frame = run_log.rows([D])
    error = frame.loc[frame["status"] == ABANDONED, "error"].item()
    assert error == (f"abandoned: its process {gone.pid} on {gone.host} is gone; closed by run 20261120-next")
    assert lease_problems(run_log, [ctx("20261120-dead")], MINUTES) == {
        D: f"run 20261120-dead was closed as abandoned: {error}"
    }  # the dead run's later steps, were it to come back, stop


def test_a_lease_lapses_after_run_lease_minutes_or_a_failed_step(run_log: RunLog) -> None:
    claim(run_log, [ctx("20261120-a")], Holder(socket.gethostname()), MINUTES)  # no pid: Airflow steps
    frame = run_log.rows([D])
    (alive,) = open_leases(frame, 10)
    assert alive.alive
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=12)
    (lapsed,) = open_leases(frame, 10, now=later)
    assert lapsed.dead == "nothing logged for 12 min (run_lease_minutes 10)"
    failed = StepRecord("validate")
    failed.fail("DataQualityError: data quality stops 2026-11-20")
    run_log.append([(ctx("20261120-a"), failed)])
    (over,) = open_leases(run_log.rows([D]), MINUTES)
    assert over.dead == "its validate step failed (DataQualityError: data quality stops 2026-11-20)"
