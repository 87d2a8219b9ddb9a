"""Delta Lake from the locally fetched jars: partitioned write, replaceWhere, time travel, history."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql.types import DateType, DoubleType, StringType, StructField, StructType

pytestmark = pytest.mark.spark

SCHEMA = StructType(
    [
        StructField("as_of_date", DateType(), False),
        StructField("netting_set_id", StringType(), False),
        StructField("ead", DoubleType(), False),
    ]
)
D1, D2 = dt.date(2026, 11, 19), dt.date(2026, 11, 20)


def test_replace_one_date_time_travel_and_history(spark: SparkSession, tmp_path) -> None:
    path = str(tmp_path / "saccr_netting_set")
    first = spark.createDataFrame(
        [(D1, "NS1", 100.0), (D1, "NS2", 200.0), (D2, "NS1", 110.0), (D2, "NS2", 210.0)], SCHEMA
    )
    first.write.format("delta").partitionBy("as_of_date").save(path)

    rerun = spark.createDataFrame([(D2, "NS1", 111.0), (D2, "NS3", 333.0)], SCHEMA)
    (
        rerun.write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", f"as_of_date = DATE'{D2}'")
        .option("userMetadata", json.dumps({"run_id": "r2", "as_of_date": str(D2)}))
        .save(path)
    )

    expected_now = spark.createDataFrame(
        [(D1, "NS1", 100.0), (D1, "NS2", 200.0), (D2, "NS1", 111.0), (D2, "NS3", 333.0)], SCHEMA
    )
    current = spark.read.format("delta").load(path)
    assert_df_equality(current, expected_now, ignore_row_order=True, ignore_nullable=True)

    version_0 = spark.read.format("delta").option("versionAsOf", 0).load(path)
    assert_df_equality(version_0, first, ignore_row_order=True, ignore_nullable=True)

    table = DeltaTable.forPath(spark, path)
    history = {r["version"]: r for r in table.history().collect()}
    assert sorted(history) == [0, 1]
    assert history[0]["operation"] == "WRITE"
    assert json.loads(history[0]["operationParameters"]["partitionBy"]) == ["as_of_date"]
    assert history[1]["operation"] == "WRITE"
    assert history[1]["operationParameters"]["mode"] == "Overwrite"
    assert "as_of_date" in history[1]["operationParameters"]["predicate"]
    assert json.loads(history[1]["userMetadata"]) == {"run_id": "r2", "as_of_date": "2026-11-20"}
    assert table.detail().first()["partitionColumns"] == ["as_of_date"]


def test_replace_where_rejects_rows_of_another_date(spark: SparkSession, tmp_path) -> None:
    path = str(tmp_path / "guarded")
    original = spark.createDataFrame([(D1, "NS1", 1.0)], SCHEMA)
    original.write.format("delta").partitionBy("as_of_date").save(path)

    wrong_date = spark.createDataFrame([(D1, "NS1", 2.0)], SCHEMA)
    with pytest.raises(Exception, match="DELTA_REPLACE_WHERE_MISMATCH|does not conform|replaceWhere"):
        (
            wrong_date.write.format("delta")
            .mode("overwrite")
            .option("replaceWhere", f"as_of_date = DATE'{D2}'")
            .save(path)
        )
    assert [r["ead"] for r in spark.read.format("delta").load(path).collect()] == [1.0]


def test_build_spark_returns_the_running_delta_session(spark: SparkSession) -> None:
    from saccr_pipeline.lakehouse.spark import build_spark

    assert build_spark("second-caller") is spark
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
