"""The daily run on a Spark standalone cluster (master + two workers on loopback): the same job, unchanged,
with only the master and the lakehouse root set on its command line, runs on both workers and publishes what
the engine computes on the same extracts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from saccr_pipeline.lakehouse.run_log import RunLog
from saccr_pipeline.lakehouse.tables import Lakehouse, read
from saccr_pipeline.sample.generate import generate
from support.lakehouse import assert_close, engine_on_files, write_landing

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.spark, pytest.mark.system]

AS_OF = dt.date(2026, 11, 20)
KEYS = {
    "saccr_netting_set": ("netting_set_id",),
    "saccr_hedging_set": ("netting_set_id", "asset_class", "hedging_set"),
    "saccr_trade": ("netting_set_id", "trade_id"),
}


def test_cluster_run_equals_local_run(standalone, spark: SparkSession, tmp_path: Path) -> None:  # noqa: ANN001
    landing = write_landing(tmp_path / "landing", AS_OF, generate(AS_OF, 1500, 40, seed=17))
    on_cluster = tmp_path / "lakehouse-cluster"
    command = [
        str(Path(sys.executable).parent / "saccr"), "run", "--as-of", AS_OF.isoformat(),
        "--landing", str(landing), "--lakehouse", str(on_cluster), "--buckets", "7",
        "--master", standalone.master_url,
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.executor.memory=1g", "--conf", "spark.executor.cores=1",
        "--conf", "spark.cores.max=2",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=4",
        # a small shuffle would otherwise be coalesced into one task on one worker
        "--conf", "spark.sql.adaptive.coalescePartitions.enabled=false",
    ]  # fmt: skip
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "success" in done.stdout

    # Both workers ran executors of the job, and their Python workers ran the engine's UDF.
    for work in standalone.work_dirs:
        stderr = list(work.glob("app-*/*/stderr"))
        assert stderr, f"no executor ran on {work}"
        assert any("Finished task" in log.read_text(errors="replace") for log in stderr), f"no task on {work}"

    direct = engine_on_files(landing, AS_OF)
    expected = {
        "saccr_netting_set": direct.netting_sets,
        "saccr_hedging_set": direct.hedging_sets,
        "saccr_trade": direct.trades,
    }
    cluster_lake = Lakehouse(str(on_cluster))
    run = RunLog(cluster_lake).published(AS_OF)
    assert run is not None
    for table, keys in KEYS.items():
        key = f"gold/{table}"
        remote = read(spark, cluster_lake, key, run.versions[key], AS_OF).toPandas()
        assert len(remote) == len(expected[table]) > 0
        assert_close(remote, expected[table], keys, rtol=1e-9, what=table)
