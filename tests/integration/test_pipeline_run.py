"""One business date through the whole pipeline on a real SparkSession and real Delta tables: gold equals the
engine run directly on the same extracts, results do not depend on the bucket count or the input order, and
run_log and the marts say what was published."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from saccr_pipeline.lakehouse.run_log import run_steps
from saccr_pipeline.sample.generate import generate
from saccr_pipeline.steps.bucket_engine import RECORDS
from saccr_pipeline.steps.compute import engine_inputs, engine_results
from saccr_pipeline.steps.job import Job
from saccr_pipeline.steps.pipeline import RunSummary, run_date
from support.lakehouse import assert_close, engine_on_files, gold, make_job, quiet, table, write_landing

pytestmark = [pytest.mark.spark, pytest.mark.slow]

AS_OF = dt.date(2026, 11, 20)
KEYS = {
    "saccr_netting_set": ("netting_set_id",),
    "saccr_hedging_set": ("netting_set_id", "asset_class", "hedging_set"),
    "saccr_trade": ("netting_set_id", "trade_id"),
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 generated trades in 30 netting sets, as CSV."""
    return write_landing(tmp_path_factory.mktemp("landing"), AS_OF, generate(AS_OF, 1200, 30, seed=21))


@pytest.fixture(scope="module")
def job(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Job:
    return make_job(spark, tmp_path_factory.mktemp("lakehouse"), landing, buckets=7)


@pytest.fixture(scope="module")
def run(job: Job) -> RunSummary:
    return run_date(job, AS_OF, progress=quiet)


def test_gold_equals_the_engine_on_the_same_extracts(job: Job, run: RunSummary, landing: Path) -> None:
    direct = engine_on_files(landing, AS_OF)
    expected = {
        "saccr_netting_set": direct.netting_sets,
        "saccr_hedging_set": direct.hedging_sets,
        "saccr_trade": direct.trades,
    }
    for name, frame in expected.items():
        published = gold(job, name, AS_OF)
        assert set(published["run_id"]) == {run.run_id}
        assert_close(published, frame, KEYS[name], rtol=1e-9, what=name)
    assert len(direct.netting_sets) == 30 and direct.netting_sets["ead"].gt(0).all()


def test_results_do_not_depend_on_bucket_count_or_input_order(job: Job, run: RunSummary) -> None:
    versions = dict(run_steps(job.spark, job.lake, run.run_id)["compute"]["input_versions"])

    def results(buckets: int, shuffle: bool = False) -> dict[str, pd.DataFrame]:
        inputs = engine_inputs(job.spark, job.lake, AS_OF, run.run_id, versions, buckets)
        if shuffle:
            inputs = dataclasses.replace(
                inputs,
                trades=inputs.trades.repartition(5).orderBy(F.rand(seed=3)),
                netting_set_rows=inputs.netting_set_rows.repartition(3).orderBy(F.rand(seed=4)),
            )
        out = engine_results(inputs, AS_OF, job.params, job.options).toPandas()
        return {record: out.loc[out["record"] == record].dropna(axis=1, how="all") for record in RECORDS}

    reference = results(7)
    keys = {
        "trade": KEYS["saccr_trade"],
        "hedging_set": KEYS["saccr_hedging_set"],
        "netting_set": ("netting_set_id",),
    }
    for buckets, shuffle in ((1, False), (64, False), (7, True)):
        other = results(buckets, shuffle)
        for record, key in keys.items():
            assert_close(other[record], reference[record], key, rtol=0.0, what=f"{record}, {buckets} buckets")


def test_run_log_records_every_step_with_versions_and_counts(job: Job, run: RunSummary) -> None:
    steps = run_steps(job.spark, job.lake, run.run_id)
    assert {s: r["status"] for s, r in steps.items()} == dict.fromkeys(
        ("run", "ingest", "validate", "compute", "publish", "marts"), "success"
    )
    whole = steps["run"]
    assert whole["regime"] == job.settings.regime and whole["parameter_version"] == job.params.version
    assert whole["code_version"] and whole["started_at"] <= whole["ended_at"]
    assert set(whole["step_seconds"]) == {"ingest", "validate", "compute", "publish", "marts"}
    silver = {k: v for k, v in steps["compute"]["input_versions"].items() if k.startswith("silver/")}
    written = steps["validate"]["output_versions"]
    assert silver == {k: v for k, v in written.items() if k.startswith("silver/")}
    assert dict(steps["publish"]["output_versions"]) == {**run.published.versions}
    counts = whole["counts"]
    trades_delivered = len(pd.read_csv(job.settings.landing_root + f"/{AS_OF}/trades.csv"))
    assert (
        counts["bronze.trades"] == counts["silver.trades"] == counts["gold.saccr_trade"] == trades_delivered
    )
    assert counts["gold.saccr_netting_set"] == 30


def test_marts_add_up_to_the_published_netting_sets(job: Job, run: RunSummary) -> None:
    ns = gold(job, "saccr_netting_set", AS_OF)
    hs = gold(job, "saccr_hedging_set", AS_OF)
    by_counterparty = table(job, "gold/mart_counterparty", AS_OF)
    by_entity = table(job, "gold/mart_legal_entity", AS_OF)
    by_class = table(job, "gold/mart_asset_class", AS_OF)
    movement = table(job, "gold/mart_ead_movement", AS_OF)
    expected = ns.groupby(["counterparty_id", "legal_entity"])["ead"].sum()
    actual = by_counterparty.set_index(["counterparty_id", "legal_entity"])["ead"]
    pd.testing.assert_series_equal(actual.sort_index(), expected.sort_index(), check_names=False, rtol=1e-12)
    assert np.isclose(by_entity["ead"].sum(), ns["ead"].sum(), rtol=1e-12)
    assert by_entity["trade_count"].sum() == ns["trade_count"].sum()
    addon = hs.groupby("asset_class")["addon"].sum()
    pd.testing.assert_series_equal(
        by_class.set_index("asset_class")["addon"].sort_index(),
        addon.sort_index(),
        check_names=False,
        rtol=1e-12,
    )
    # First date of the lakehouse: every netting set is new, its change is its EAD, split in RC and PFE parts.
    assert set(movement["movement"]) == {"NEW"} and len(movement) == len(ns)
    assert np.allclose(movement["ead_change"], movement["ead"], rtol=1e-12)
    assert np.allclose(
        movement["ead_change_rc"] + movement["ead_change_pfe"], movement["ead_change"], rtol=1e-12
    )
    assert set(by_counterparty["run_id"]) == set(movement["run_id"]) == {run.run_id}
