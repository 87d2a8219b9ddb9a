"""Root fixtures: one local SparkSession per pytest process, built by the same builder production uses."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Before any JVM starts: Python workers run this interpreter, and Spark binds to loopback only.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """A Delta-enabled `local[2]` SparkSession shared by the whole session (starting one costs ~5 s)."""
    from saccr_pipeline.lakehouse.spark import build_spark

    session = build_spark(
        "saccr-tests",
        master="local[2]",
        extra_conf={
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse")),
            "spark.databricks.delta.snapshotPartitions": "2",
            # Short-lived test JVM: C1-only JIT warms up faster (first Delta writes ~35% quicker here).
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        },
    )
    yield session
    session.stop()
