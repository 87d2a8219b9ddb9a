"""Both DAGs end to end with `dag.test()` on generated data: saccr_backfill publishes three consecutive
business dates in one run (each step one spark-submit for the range), then saccr_daily restates the middle
date with a corrected extract. Every Spark step goes through SparkSubmitOperator and the `spark_saccr`
connection (local[2]); the gold tables are read back with Delta and checked against the engine run directly.

System tier (slow): each DAG run is five spark-submits.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pendulum
import pytest

from saccr_pipeline.lakehouse.run_log import RunLog
from saccr_pipeline.lakehouse.tables import read
from saccr_pipeline.run_ids import date_of_run
from support.lakehouse import assert_close, engine_on_files, gold, make_job, table

pytestmark = [pytest.mark.dags, pytest.mark.spark, pytest.mark.slow, pytest.mark.system]

DATES = (dt.date(2026, 11, 17), dt.date(2026, 11, 18), dt.date(2026, 11, 19))  # Tuesday to Thursday
RESTATED = DATES[1]


@dataclass
class Runs:
    landing: Path
    lakehouse: Path
    task_states: dict[str, dict[str, str]]  # per DagRun ("backfill", "restatement"): task -> state
    before_restatement: pd.DataFrame  # gold/saccr_netting_set of every date, before
    corrected_netting_set: str


def states(dag_run) -> dict[str, str]:
    return {"dag_run": str(dag_run.state)} | {
        ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()
    }


def fresh_dag(dag_id: str):
    """The DAG parsed anew for each run: dag.test() runs the tasks on the DAG's own objects, and a run's conf
    stays in their params (a scheduler parses the file for every task)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).get_dag(dag_id)


def all_netting_sets(spark, lakehouse: Path) -> pd.DataFrame:
    """gold/saccr_netting_set at its latest version: every date."""
    frame = table(make_job(spark, lakehouse, lakehouse), "gold/saccr_netting_set")
    return frame.assign(as_of_date=pd.to_datetime(frame["as_of_date"]).dt.date)


def published_mart(spark, job, name: str, as_of: dt.date) -> pd.DataFrame:
    """The rows of gold/<mart> for `as_of` at the version the date's latest `marts` step recorded."""
    run = RunLog(job.lake).published(as_of, step="marts")
    assert run is not None, f"no marts published for {as_of}"
    return read(spark, job.lake, f"gold/{name}", run.versions[f"gold/{name}"], as_of).toPandas()


def correct_one_trade(landing: Path, as_of: dt.date) -> str:
    """A corrected delivery: the largest trade's notional halved. Returns the netting set it belongs to."""
    path = landing / as_of.isoformat() / "trades.csv"
    trades = pd.read_csv(path, dtype=str, keep_default_na=False)
    largest = trades["notional"].astype(float).idxmax()
    trades.loc[largest, "notional"] = repr(float(trades.loc[largest, "notional"]) / 2)
    trades.to_csv(path, index=False)
    return trades.loc[largest, "netting_set_id"]


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory: pytest.TempPathFactory, sample_extracts, spark_conf_dir: Path) -> Runs:
    root = tmp_path_factory.mktemp("saccr-dags")
    landing, lakehouse = root / "landing", root / "lakehouse"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SACCR_ENV", "ci")
        env.setenv("SACCR_LANDING", str(landing))
        env.setenv("SACCR_LAKEHOUSE", str(lakehouse))
        env.setenv("SPARK_CONF_DIR", str(spark_conf_dir))  # read by every spark-submit the DAG starts
        assert tuple(sample_extracts(landing, DATES[0], len(DATES))) == DATES

        task_states = {}
        backfill = fresh_dag("saccr_backfill").test(
            logical_date=pendulum.now("UTC"),
            run_conf={"from_date": DATES[0].isoformat(), "to_date": DATES[-1].isoformat()},
        )
        task_states["backfill"] = states(backfill)
        before = all_netting_sets(spark, lakehouse)
        corrected = correct_one_trade(landing, RESTATED)
        # A manual run as `airflow dags trigger -c '{"as_of_date": ...}'` makes it. Its logical date is "now":
        # dag.test(logical_date=None) would clear the task instances of every earlier run in the database.
        restatement = fresh_dag("saccr_daily").test(
            logical_date=pendulum.now("UTC"), run_conf={"as_of_date": RESTATED.isoformat()}
        )
        task_states["restatement"] = states(restatement)
    return Runs(landing, lakehouse, task_states, before, corrected)


def test_each_dag_runs_every_task(runs: Runs) -> None:
    assert list(runs.task_states) == ["backfill", "restatement"]
    for run, states_of_run in runs.task_states.items():
        assert set(states_of_run.values()) == {"success"}, (run, states_of_run)
    assert len(runs.task_states["backfill"]) == 1 + 7  # plan, five steps, summary
    assert len(runs.task_states["restatement"]) == 1 + 8  # and the sensor


def test_one_partition_per_business_date_each_from_its_own_run(spark, runs: Runs) -> None:
    job = make_job(spark, runs.lakehouse, runs.landing)
    run_log = RunLog(job.lake)
    netting_sets = all_netting_sets(spark, runs.lakehouse)
    assert sorted(netting_sets["as_of_date"].unique()) == list(DATES)
    tokens = set()
    for day in DATES:
        rows = netting_sets[netting_sets["as_of_date"] == day]
        assert rows["run_id"].nunique() == 1
        run_id = rows["run_id"].iloc[0]
        assert run_id == run_log.published(day).run_id and date_of_run(run_id) == day
        tokens.add(run_id[9:])
    assert len(tokens) == 2  # the backfill's token for two dates, the restatement's for the third
    run_rows = table(job, "audit/run_log")
    closed = run_rows[(run_rows["step"] == "run") & (run_rows["status"] == "success")]
    assert sorted(pd.to_datetime(closed["as_of_date"]).dt.date) == sorted([*DATES, RESTATED])


def test_gold_netting_sets_equal_the_engine_on_the_same_extracts(spark, runs: Runs) -> None:
    """The EAD of every netting set, as published by the DAG, against saccr.engine.compute on the files
    (for the restated date: the corrected files)."""
    job = make_job(spark, runs.lakehouse, runs.landing)
    for day in DATES:
        expected = engine_on_files(runs.landing, day).netting_sets
        published = gold(job, "saccr_netting_set", day)
        assert len(published) == len(expected) > 0
        assert_close(published, expected, ["netting_set_id"], what=f"gold/saccr_netting_set {day}")


def test_day_over_day_movement_compares_with_the_previous_business_date(spark, runs: Runs) -> None:
    """Each date's movement mart against the netting sets of the date before, as published when it ran."""
    job = make_job(spark, runs.lakehouse, runs.landing)
    first = published_mart(spark, job, "mart_ead_movement", DATES[0])
    assert first["previous_as_of_date"].isna().all() and set(first["movement"]) == {"NEW"}
    before = runs.before_restatement
    for previous_day, day in zip(DATES, DATES[1:], strict=False):
        movement = published_mart(spark, job, "mart_ead_movement", day)
        assert set(pd.to_datetime(movement["previous_as_of_date"]).dt.date) == {previous_day}
        previous = before[before["as_of_date"] == previous_day].set_index("netting_set_id")["ead"]
        continuing = movement[movement["movement"] == "CONTINUING"].set_index("netting_set_id")
        assert len(continuing) > 0
        pd.testing.assert_series_equal(
            continuing["ead_previous"], previous.loc[continuing.index], check_names=False, rtol=1e-12
        )


def test_a_restatement_replaces_only_its_date_and_keeps_the_earlier_run(spark, runs: Runs) -> None:
    job = make_job(spark, runs.lakehouse, runs.landing)
    before = runs.before_restatement.set_index(["as_of_date", "netting_set_id"]).sort_index()
    after = all_netting_sets(spark, runs.lakehouse).set_index(["as_of_date", "netting_set_id"]).sort_index()
    assert after.index.equals(before.index)  # replaced, not appended: the same rows, no duplicates

    others = [day for day in DATES if day != RESTATED]
    pd.testing.assert_frame_equal(after.loc[others], before.loc[others])  # other dates untouched

    old_run = before.loc[RESTATED, "run_id"].unique()
    new_run = after.loc[RESTATED, "run_id"].unique()
    assert len(old_run) == len(new_run) == 1 and old_run[0] != new_run[0]
    ead_before, ead_after = before.loc[RESTATED, "ead"], after.loc[RESTATED, "ead"]
    changed = ead_before.index[(ead_before - ead_after).abs() > 1e-6 * ead_before.abs().clip(lower=1.0)]
    assert list(changed) == [runs.corrected_netting_set]  # only the corrected netting set moved

    # The earlier run stays reachable: its run_log rows name the gold version it published (time travel).
    earlier = RunLog(job.lake).run_steps(old_run[0])["publish"]
    key = "gold/saccr_netting_set"
    restored = read(spark, job.lake, key, earlier.output_versions[key], RESTATED).toPandas()
    assert set(restored["run_id"]) == {old_run[0]}
    assert_close(
        restored,
        runs.before_restatement[runs.before_restatement["as_of_date"] == RESTATED],
        ["netting_set_id"],
        what="time travel to the earlier run",
    )
