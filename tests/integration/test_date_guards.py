"""What keeps a wrong or half-done date from being published, through the real steps on one lakehouse:

- the share of a date's trades that stops it counts the trades held back with their incomplete netting set,
  not only the rows quarantined (a few bad rows can hold most of a book);
- a delivery with a 0-byte extract loads nothing of the date;
- one run of a date at a time (the lease in audit/run_log), and what a dead run left is cleared by the next.

The lost share: both dates deliver the same generated book, 300 trades in 10 netting sets (NS000000 has 109
trades, NS000004 10, NS000007 51), through every real step in one batch, max_rejected_share 5%:
- 2026-11-19: one trade of NS000004 has notional 'abc'. 1 row quarantined, the other 9 trades of NS000004
  held: 10 of 300 = 3.3% lost, under 5%: the date publishes 9 netting sets and reports the 9 held trades.
- 2026-11-20: one trade each of NS000000 and NS000007 has notional 'abc'. 2 rows quarantined (0.7%, validate
  passes), 108 + 50 = 158 trades held in 2 netting sets: 160 of 300 = 53.3% lost: the date stops at compute,
  nothing of it is published and its staging folder is gone.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from saccr.contract import EXTRACTS
from saccr_pipeline.cli import main as saccr
from saccr_pipeline.errors import IngestError, LeaseHeldError
from saccr_pipeline.lakehouse.lease import Holder, claim
from saccr_pipeline.lakehouse.tables import current_version, rows_per_date
from saccr_pipeline.run_ids import new_token
from saccr_pipeline.sample.generate import generate
from saccr_pipeline.steps.compute import staging_path
from saccr_pipeline.steps.job import Job
from saccr_pipeline.steps.pipeline import RangeSummary, run_dates
from saccr_pipeline.steps.registry import step_named
from saccr_pipeline.steps.runner import run_step
from support.lakehouse import gold, make_job, quiet, write_landing

pytestmark = [pytest.mark.spark, pytest.mark.slow]

UNDER, OVER = dt.date(2026, 11, 19), dt.date(2026, 11, 20)
BROKEN = {UNDER: ("NS000004",), OVER: ("NS000000", "NS000007")}


def _break_one_trade_per_set(folder: Path, netting_sets: tuple[str, ...]) -> None:
    trades = pd.read_csv(folder / "trades.csv", dtype=str, keep_default_na=False)
    for ns in netting_sets:
        trades.loc[trades.index[trades["netting_set_id"] == ns][0], "notional"] = "abc"
    trades.to_csv(folder / "trades.csv", index=False)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    for day, sets in BROKEN.items():
        write_landing(root, day, generate(day, 300, 10, seed=8))
        _break_one_trade_per_set(root / day.isoformat(), sets)
    return root


@pytest.fixture(scope="module")
def job(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Job:
    return make_job(spark, tmp_path_factory.mktemp("lakehouse"), landing, buckets=4, max_rejected_share=0.05)


@pytest.fixture(scope="module")
def run(job: Job) -> RangeSummary:
    return run_dates(job, [UNDER, OVER], new_token(), progress=quiet)


def test_held_trades_count_in_the_share_that_stops_a_date(job: Job, run: RangeSummary) -> None:
    outcome = {o.as_of: o for o in run.outcomes}
    assert outcome[UNDER].succeeded
    assert not outcome[OVER].succeeded
    assert outcome[OVER].error.startswith("compute: DataQualityError: data quality stops 2026-11-20")
    assert (
        "trades: 2 quarantined and 158 held back in 2 incomplete netting set(s): 160 of 300 rows not "
        "published (53.3%), above max_rejected_share 5.0%" in outcome[OVER].error
    )
    steps = job.run_log.run_steps(outcome[OVER].run_id)
    assert steps["validate"].status == "success"  # 2 of 300 rows: under the share validate checks
    assert steps["compute"].status == "failed" and "publish" not in steps
    assert steps["compute"].counts["compute.held_trades"] == 158
    assert steps["compute"].counts["compute.held_netting_sets"] == 2


def test_a_stopped_date_publishes_nothing_and_leaves_no_staging(job: Job, run: RangeSummary) -> None:
    assert job.run_log.published(OVER) is None
    key = "gold/saccr_netting_set"
    assert rows_per_date(job.lake, key, current_version(job.lake, key), [OVER]) == {OVER: 0}
    assert not Path(staging_path(job.lake, run.token), f"as_of_date={OVER.isoformat()}").exists()


def test_held_trades_of_a_published_date_are_reported(job: Job, run: RangeSummary) -> None:
    under = next(o for o in run.outcomes if o.as_of == UNDER)
    published = job.run_log.run_steps(under.run_id)
    counts = published["run"].counts
    lost = ("quarantined.trades", "compute.held_trades", "compute.held_netting_sets")
    assert [counts[k] for k in lost] == [1, 9, 1]
    ns = gold(job, "saccr_netting_set", UNDER)
    assert len(ns) == 9 and "NS000004" not in set(ns["netting_set_id"])


# ------------------------------------------------------------------------------------------ delivery

EMPTY = dt.date(2026, 11, 23)


def test_a_zero_byte_extract_stops_the_date_before_any_extract_is_loaded(job: Job, landing: Path) -> None:
    """market_data.csv of 0 bytes: the ingest step fails the date naming it, and bronze holds no row of the
    date in any extract (trades, valuations and collateral were fine, and not loaded either)."""
    write_landing(landing, EMPTY, generate(EMPTY, 60, 4, seed=3))
    (landing / EMPTY.isoformat() / "market_data.csv").write_bytes(b"")
    stop = r"market_data extract .*: file is empty .*Nothing of 2026-11-23 was loaded"
    with pytest.raises(IngestError, match=stop):
        run_step(job, step_named("ingest"), [EMPTY], "empty", quiet)
    for extract in EXTRACTS:
        key = f"bronze/{extract}"
        assert rows_per_date(job.lake, key, current_version(job.lake, key), [EMPTY]) == {EMPTY: 0}, key


# ------------------------------------------------------------------------------------------ the lease

HELD, DEAD = dt.date(2026, 11, 24), dt.date(2026, 11, 25)


def test_a_second_run_of_a_date_in_progress_exits_2_at_once_naming_it(
    job: Job, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run `held` has ingested the date (its lease is alive); `saccr run` of the date exits 2 before Spark
    starts, and a run already started (the same claim, in its ingest step) stops with LeaseHeldError, bronze
    untouched."""
    write_landing(landing, HELD, generate(HELD, 60, 4, seed=4))
    run_step(job, step_named("ingest"), [HELD], "held", quiet)
    argv = ["run", "--as-of", HELD.isoformat(), "--landing", str(landing), "--lakehouse", job.lake.root]
    capsys.readouterr()
    assert saccr(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("saccr run: error: 2026-11-24: run 20261124-held on host ")
    assert "is in progress" in error and len(error.splitlines()) == 1
    bronze = current_version(job.lake, "bronze/trades")
    with pytest.raises(LeaseHeldError, match=r"2026-11-24: run 20261124-held on host .* is in progress"):
        run_dates(job, [HELD], "second", progress=quiet)
    assert current_version(job.lake, "bronze/trades") == bronze
    assert job.run_log.run_steps("20261124-second")["run"].status == "failed"


def test_the_next_run_closes_a_dead_run_and_removes_its_staging(job: Job, landing: Path) -> None:
    """A `saccr run` (process `gone`, ended) claimed the date and got through compute, which staged its
    results; then it died. The next run of the date closes it as abandoned, removes `staging/<its token>`, and
    publishes."""
    write_landing(landing, DEAD, generate(DEAD, 60, 4, seed=5))
    gone = Holder(socket.gethostname(), _ended_pid())
    claim(job.run_log, [job.context(DEAD, "20261125-dead")], gone, job.settings.run_lease_minutes)
    for step in ("ingest", "validate", "compute"):
        run_step(job, step_named(step), [DEAD], "dead", quiet)
    staging = Path(job.lake.staging("dead"))
    assert list(staging.glob("engine/as_of_date=2026-11-25/*.parquet"))  # what the dead run left

    summary = run_dates(job, [DEAD], "next", progress=quiet)
    assert [o.status for o in summary.outcomes] == ["success"]
    assert not staging.exists()
    dead = job.run_log.run_steps("20261125-dead")["run"]
    assert dead.status == "abandoned"
    why = f"its process {gone.pid} on {gone.host} is gone"
    assert dead.error == f"abandoned: {why}; closed by run 20261125-next"
    assert job.run_log.published(DEAD).run_id == "20261125-next"


def _ended_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# ------------------------------------------------------------------------------------------ tampering


def test_an_update_outside_the_pipeline_is_flagged_by_verify(
    spark: SparkSession, job: Job, run: RangeSummary, capsys: pytest.CaptureFixture[str]
) -> None:
    """The EAD of NS000000 on 2026-11-19 doubled by Delta's own DeltaTable.update on Spark, outside the
    pipeline: readers of the published versions still see the old figure, readers of the latest version the
    new one; `saccr verify` exits 1 naming the table, both rows and the UPDATE commit."""
    from delta.tables import DeltaTable

    argv = ["verify", "--as-of", UNDER.isoformat(), "--lakehouse", job.lake.root]
    capsys.readouterr()
    assert saccr(argv) == 0
    published = float(gold(job, "saccr_netting_set", UNDER).set_index("netting_set_id")["ead"]["NS000000"])
    DeltaTable.forPath(spark, job.lake.path("gold/saccr_netting_set")).update(
        condition=f"as_of_date = DATE'{UNDER}' AND netting_set_id = 'NS000000'", set={"ead": "ead * 2"}
    )
    capsys.readouterr()
    assert saccr(argv) == 1
    out = capsys.readouterr().out
    assert "gold/saccr_netting_set" in out and ": CHANGED" in out
    assert "1 published row(s) differ from 1 row(s) of the latest version" in out
    assert "UPDATE not made by the pipeline" in out
    assert f"{published!r}" in out and f"{published * 2!r}" in out
    assert gold(job, "saccr_netting_set", UNDER).set_index("netting_set_id")["ead"]["NS000000"] == published
