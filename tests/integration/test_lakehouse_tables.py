"""Creating the lakehouse tables when several jobs start on a new lakehouse at once (the four parallel
ingest steps of a first run): Delta lets one job create each table and fails the others, which must then use
that table rather than fail the step."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession

from saccr_pipeline.lakehouse.tables import Lakehouse, create_tables, table_specs

pytestmark = pytest.mark.spark


def test_jobs_creating_the_tables_at_the_same_moment_all_get_them(
    spark: SparkSession, tmp_path: Path
) -> None:
    lake = Lakehouse(str(tmp_path / "lakehouse"))
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def job() -> None:
        start.wait()
        try:
            create_tables(spark, lake)
        except BaseException as exc:  # noqa: BLE001 - reported below, with the others
            errors.append(exc)

    jobs = [threading.Thread(target=job) for _ in range(3)]
    for thread in jobs:
        thread.start()
    for thread in jobs:
        thread.join()

    assert errors == []
    for key, spec in table_specs().items():
        history = DeltaTable.forPath(spark, lake.path(key)).history().collect()
        assert [(row["version"], row["operation"]) for row in history] == [(0, "CREATE TABLE")], key
        assert spark.read.format("delta").load(lake.path(key)).schema == spec.schema, key


def test_a_folder_that_is_not_a_table_fails_the_step(spark: SparkSession, tmp_path: Path) -> None:
    """Not a race: something else sits where a table goes. Neither adopted nor overwritten."""
    lake = Lakehouse(str(tmp_path / "lakehouse"))
    stray = Path(lake.path("bronze/trades"), "trades.csv")
    stray.parent.mkdir(parents=True)
    stray.write_text("trade_id\nT1\n")

    with pytest.raises(AnalysisException, match=r"DELTA_MISSING_DELTA_TABLE.*bronze/trades` is not a Delta"):
        create_tables(spark, lake)
    assert stray.read_text() == "trade_id\nT1\n"
    assert not DeltaTable.isDeltaTable(spark, lake.path("bronze/trades"))
