"""Extracts with broken rows through the pipeline: every delivered row ends in silver or in quarantine with
its rule, the netting sets that lost a trade are held back exactly as `saccr compute` holds them, and a
netting set with collateral but no trades still gets its EAD."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from saccr_pipeline.sample.generate import generate
from saccr_pipeline.steps.job import Job
from support.lakehouse import assert_close, engine_on_files, gold, make_job, run_date, table, write_landing

pytestmark = [pytest.mark.spark, pytest.mark.slow]

AS_OF = dt.date(2026, 11, 20)
HELD = {"NS000001", "NS000003", "NS000004", "NS000005", "NS000006", "NS000009"}


def _broken_extracts(folder: Path) -> None:
    """Break the CSV files of a generated date the way deliveries break (as text, since some breaks are not
    representable in a typed frame)."""
    trades = pd.read_csv(folder / "trades.csv", dtype=str, keep_default_na=False)
    trades.loc[trades["trade_id"] == "T000000002", "notional"] = "abc"  # NS000009: not a number
    ns4_trade = trades.loc[trades["netting_set_id"] == "NS000004", "trade_id"].iloc[0]
    trades.loc[trades.index[trades["netting_set_id"] == "NS000003"][0], "trade_id"] = (
        ns4_trade  # id in 2 sets
    )
    no_id = trades.loc[trades["netting_set_id"] == "NS000001"].iloc[[0]].assign(trade_id="")  # required
    pd.concat([trades, no_id]).to_csv(folder / "trades.csv", index=False)

    valuations = pd.read_csv(folder / "valuations.csv", dtype=str, keep_default_na=False)
    ns5_trade = trades.loc[trades["netting_set_id"] == "NS000005", "trade_id"].iloc[0]
    twice = valuations.loc[valuations["trade_id"] == ns5_trade]
    orphan = valuations.iloc[[0]].assign(trade_id="T999999999")
    pd.concat([valuations, twice, orphan]).to_csv(folder / "valuations.csv", index=False)

    collateral = pd.read_csv(folder / "collateral.csv", dtype=str, keep_default_na=False)
    collateral.loc[collateral["netting_set_id"] == "NS000006", "margined"] = "maybe"
    lonely = collateral.loc[collateral["netting_set_id"] == "NS000000"].assign(netting_set_id="NS900000")
    pd.concat([collateral, lonely]).to_csv(folder / "collateral.csv", index=False)

    market = pd.read_csv(folder / "market_data.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame({"kind": ["VOL", "FX"], "key": ["XYZ", "NOK"], "value": ["1", "-0.1"]})
    pd.concat([market, extra]).to_csv(folder / "market_data.csv", index=False)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_landing(tmp_path_factory.mktemp("landing"), AS_OF, generate(AS_OF, 300, 10, seed=8))
    _broken_extracts(root / AS_OF.isoformat())
    return root


@pytest.fixture(scope="module")
def job(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Job:
    # the broken rows are far above the default 5% share: let the date go on to see what happens to them
    return make_job(spark, tmp_path_factory.mktemp("lakehouse"), landing, buckets=4, max_rejected_share=1.0)


@pytest.fixture(scope="module")
def run(job: Job) -> str:
    """The run id of the date."""
    return run_date(job, AS_OF)


def test_every_delivered_row_is_in_silver_or_quarantined(job: Job, run: str) -> None:
    quarantine = table(job, "audit/quarantine", AS_OF)
    validated = quarantine.loc[(quarantine["stage"] == "validate") & (quarantine["run_id"] == run)]
    for extract in ("trades", "valuations", "collateral", "market_data"):
        delivered = len(table(job, f"bronze/{extract}", AS_OF))
        passed = len(table(job, f"silver/{extract}", AS_OF))
        rows = validated.loc[validated["extract"] == extract, ["source_file", "source_row"]].drop_duplicates()
        assert delivered == passed + len(rows), extract
        assert passed < delivered, f"{extract}: a broken row passed"
    raw = validated.loc[validated["rule"] == "not_a_number", "record"].iloc[0]
    assert '"notional":"abc"' in raw and '"trade_id":"T000000002"' in raw


def test_rejections_are_those_of_the_engine_alone(job: Job, run: str, landing: Path) -> None:
    quarantine = table(job, "audit/quarantine", AS_OF)
    ours = quarantine.loc[quarantine["run_id"] == run]
    direct = engine_on_files(landing, AS_OF).rejected
    key = ["extract", "trade_id", "netting_set_id", "field", "rule"]

    def rows(frame: pd.DataFrame) -> list[tuple]:
        return sorted(tuple("" if pd.isna(v) else v for v in r) for r in frame[key].itertuples(index=False))

    assert rows(ours) == rows(direct)
    rules = {"not_a_number", "duplicate_key", "required", "valuation_without_trade", "not_a_boolean",
             "enumeration", "fx_rate_positive", "netting_set_held_incomplete"}  # fmt: skip
    assert rules <= set(ours["rule"])


def test_held_sets_are_out_and_the_rest_equal_the_engine(job: Job, run: str, landing: Path) -> None:
    ns = gold(job, "saccr_netting_set", AS_OF)
    direct = engine_on_files(landing, AS_OF).netting_sets
    assert not HELD & set(ns["netting_set_id"])
    assert_close(ns, direct, ["netting_set_id"], rtol=1e-9, what="netting sets")
    lonely = ns.set_index("netting_set_id").loc["NS900000"]
    assert lonely["trade_count"] == 0 and lonely["ead"] >= 0 and lonely["complete"]
