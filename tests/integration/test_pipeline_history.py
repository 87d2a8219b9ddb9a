"""Several runs over one lakehouse, in order: a date rerun replaces itself exactly, a second date leaves the
first intact and gets its day-over-day movement, the command line reports a date that failed and exits 1,
and a run is reproduced from its run_log versions after its inputs were overwritten. Each step depends on the
one before, so it is one test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from pyspark.sql import SparkSession

from saccr_pipeline.cli import main as saccr
from saccr_pipeline.sample.generate import generate, generate_series
from saccr_pipeline.steps.reproduce import differences, reproduce
from support.lakehouse import assert_close, gold, make_job, run_date, table, write_landing

pytestmark = [pytest.mark.spark, pytest.mark.slow]

D1 = dt.date(2026, 11, 19)
GOLD_KEYS = {"saccr_netting_set": ("netting_set_id",), "saccr_trade": ("netting_set_id", "trade_id")}


def test_rerun_second_date_and_reproduction(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, lakehouse = tmp_path / "landing", tmp_path / "lakehouse"
    (d1, day1), (d2, day2) = generate_series(D1, 2, 800, 25, seed=5)
    write_landing(landing, d1, day1)
    write_landing(landing, d2, day2, fmt="parquet")  # both delivery formats
    job = make_job(spark, lakehouse, landing, buckets=5)

    first = run_date(job, d1)
    before = {name: gold(job, name, d1) for name in GOLD_KEYS}
    bronze_rows = len(table(job, "bronze/trades", d1))

    # Rerun of the same date: every layer holds the date once, with the same numbers, under the new run id.
    again = run_date(job, d1)
    assert len(table(job, "bronze/trades", d1)) == bronze_rows == len(table(job, "silver/trades", d1))
    for name, keys in GOLD_KEYS.items():
        now = gold(job, name, d1)
        assert set(now["run_id"]) == {again} and len(now) == len(before[name])
        assert_close(
            now.drop(columns="run_id"), before[name].drop(columns="run_id"), keys, rtol=0.0, what=name
        )
        assert set(table(job, f"gold/{name}", d1)["run_id"]) == {again}

    # A second date through the command line, in a range with a date that has no delivery: the command exits
    # 1 naming that date; the second date publishes and the first date's partitions stay as they were.
    d3 = d2 + dt.timedelta(days=3)  # the Monday after: the weekend between is skipped
    argv = ["run", "--from", d2.isoformat(), "--to", d3.isoformat(), "--landing", str(landing)]
    capsys.readouterr()
    assert saccr([*argv, "--lakehouse", str(lakehouse), "--buckets", "5"]) == 1
    printed = capsys.readouterr().out
    assert f"{d3}  {d3:%Y%m%d}-" in printed and "failed" in printed and "missing trades.csv" in printed
    assert (
        "1 of 2 date(s) published, 1 failed" in printed and "skip 2026-11-21: not a business date" in printed
    )
    second = job.run_log.published(d2)
    assert second is not None and second.run_id not in (first, again)
    for name, keys in GOLD_KEYS.items():
        current = table(job, f"gold/{name}", d1)
        assert_close(
            current.drop(columns="run_id"), before[name].drop(columns="run_id"), keys, rtol=0.0, what=name
        )
    movement = table(job, "gold/mart_ead_movement", d2)
    assert set(movement["previous_as_of_date"].dropna()) == {d1} and set(movement["previous_run_id"]) == {
        again
    }
    assert {"CONTINUING"} <= set(movement["movement"])
    ns1, ns2 = gold(job, "saccr_netting_set", d1), gold(job, "saccr_netting_set", d2)
    change = ns2.set_index("netting_set_id")["ead"].sub(
        ns1.set_index("netting_set_id")["ead"], fill_value=0.0
    )
    assert np.allclose(
        movement.set_index("netting_set_id")["ead_change"].reindex(change.index), change, rtol=1e-12
    )

    # The first date's extracts are redelivered with other numbers and rerun: gold changes ...
    write_landing(landing, d1, generate(d1, 800, 25, seed=6))
    changed = run_date(job, d1)
    ead_now = gold(job, "saccr_netting_set", d1).set_index("netting_set_id")["ead"]
    ead_then = before["saccr_netting_set"].set_index("netting_set_id")["ead"]
    assert not np.allclose(ead_now.reindex(ead_then.index), ead_then)

    # ... yet the earlier run reproduces from the input versions it recorded (Delta time travel).
    result = reproduce(job, again)
    assert result.identical, result.rows_different
    assert result.rows_compared["saccr_trade"] == len(before["saccr_trade"])
    assert saccr(["reproduce", changed, "--lakehouse", str(lakehouse)]) == 0


def test_differences_name_missing_rows_and_changed_values(spark: SparkSession) -> None:
    schema = "netting_set_id string, ead double, mpor_rule string"
    published_rows = spark.createDataFrame([("A", 100.0, "x"), ("B", 200.0, "y"), ("C", 1.0, None)], schema)
    reproduced = spark.createDataFrame(
        [("A", 100.0 * (1 + 1e-12), "x"), ("B", 200.1, "y"), ("D", 1.0, None)], schema
    )
    found = differences(published_rows, reproduced, ["netting_set_id"], rtol=1e-9).toPandas()
    by_key = found.set_index("netting_set_id")
    assert sorted(by_key.index) == ["B", "C", "D"]
    assert list(by_key.loc["B", "columns"]) == ["ead"]
    assert by_key.loc["C", "difference"] == "missing in reproduction"
    assert by_key.loc["D", "difference"] == "missing in published"
