"""A range of business dates through the whole pipeline on a real SparkSession and real Delta tables, once
(each step once for the range): every date equals that date run alone, in order (`--as-of`), on every gold
column; gold equals the engine run directly on the same extracts; results do not depend on the bucket count
or the input order; a date whose extracts are missing fails with its message while the others publish, and
the next date's movement is taken against the last date published before it. Then, on the same lakehouses and
in this order: the missing date delivered late through the command line, a rerun that replaces its date
exactly, and a run reproduced from its run_log versions after its inputs were redelivered."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from saccr_pipeline.cli import main as saccr
from saccr_pipeline.lakehouse.tables import GOLD_RESULTS, MARTS
from saccr_pipeline.run_ids import run_id_of
from saccr_pipeline.sample.generate import generate, generate_series
from saccr_pipeline.steps.bucket_engine import RECORDS
from saccr_pipeline.steps.compute import INPUTS, engine_inputs, engine_results
from saccr_pipeline.steps.job import Job
from saccr_pipeline.steps.pipeline import RangeSummary, run_dates
from saccr_pipeline.steps.reproduce import differences, reproduce
from support.lakehouse import (
    assert_close,
    engine_on_files,
    gold,
    make_job,
    quiet,
    run_date,
    table,
    write_landing,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# Monday to Thursday; Wednesday's valuations never arrive.
DATES = (dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 18), dt.date(2026, 11, 19))
MISSING = DATES[2]
PUBLISHED = tuple(d for d in DATES if d != MISSING)
FIRST = DATES[0]
KEYS = {
    "saccr_netting_set": ("netting_set_id",),
    "saccr_hedging_set": ("netting_set_id", "asset_class", "hedging_set"),
    "saccr_trade": ("netting_set_id", "trade_id"),
    "mart_counterparty": ("counterparty_id", "legal_entity"),
    "mart_legal_entity": ("legal_entity",),
    "mart_asset_class": ("asset_class",),
    "mart_ead_movement": ("netting_set_id",),
}
RUN_IDS = ("run_id", "previous_run_id")


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 generated trades in 30 netting sets a date, as CSV (Tuesday's as Parquet: both delivery
    formats); no valuations on MISSING."""
    root = tmp_path_factory.mktemp("landing")
    for day, frames in generate_series(FIRST, len(DATES), 1200, 30, seed=21):
        write_landing(root, day, frames, fmt="parquet" if day == DATES[1] else "csv")
    (root / MISSING.isoformat() / "valuations.csv").unlink()
    return root


@pytest.fixture(scope="module")
def job(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Job:
    return make_job(spark, tmp_path_factory.mktemp("lakehouse"), landing, buckets=7)


@pytest.fixture(scope="module")
def run(job: Job) -> RangeSummary:
    return run_dates(job, DATES, "range", progress=quiet)


@pytest.fixture(scope="module")
def alone(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Job:
    """The published dates run one at a time, in order, into a lakehouse of their own."""
    job = make_job(spark, tmp_path_factory.mktemp("alone"), landing, buckets=7)
    for day in PUBLISHED:
        summary = run_dates(job, [day], f"alone{day:%d}", progress=quiet)
        assert [o.status for o in summary.outcomes] == ["success"]
    return job


def test_a_date_without_extracts_fails_with_its_message_and_the_others_publish(run: RangeSummary) -> None:
    status = {o.as_of: o.status for o in run.outcomes}
    assert status == {d: "failed" if d == MISSING else "success" for d in DATES}
    failed = next(o for o in run.outcomes if o.as_of == MISSING)
    assert failed.error.startswith("ingest: IngestError: delivery ")
    assert "missing valuations.csv or valuations.parquet" in failed.error
    assert [o.as_of for o in run.failed] == [MISSING]


def test_every_gold_table_equals_the_dates_run_alone(job: Job, run: RangeSummary, alone: Job) -> None:
    """Exactly: every column but the run ids, every published date, every gold table and mart."""
    for day in PUBLISHED:
        for name in (*GOLD_RESULTS, *MARTS):
            ranged, single = _published(job, name, day), _published(alone, name, day)
            assert len(ranged) == len(single) > 0, (name, day)
            assert set(ranged["run_id"]) == {run_id_of(day, "range")}
            assert_close(
                ranged.drop(columns=[c for c in RUN_IDS if c in ranged]),
                single.drop(columns=[c for c in RUN_IDS if c in single]),
                KEYS[name],
                rtol=0.0,
                what=f"{name} {day}",
            )


def _published(job: Job, name: str, day: dt.date) -> pd.DataFrame:
    if name in GOLD_RESULTS:
        return gold(job, name, day)
    run = job.run_log.published(day, step="marts")
    assert run is not None, f"no marts published for {day}"
    from saccr_pipeline.lakehouse.tables import read

    return read(job.spark, job.lake, f"gold/{name}", run.versions[f"gold/{name}"], day).toPandas()


def test_gold_equals_the_engine_on_the_same_extracts(job: Job, run: RangeSummary, landing: Path) -> None:
    direct = engine_on_files(landing, FIRST)
    expected = {
        "saccr_netting_set": direct.netting_sets,
        "saccr_hedging_set": direct.hedging_sets,
        "saccr_trade": direct.trades,
    }
    for name, frame in expected.items():
        assert_close(gold(job, name, FIRST), frame, KEYS[name], rtol=1e-9, what=name)
    assert len(direct.netting_sets) == 30 and direct.netting_sets["ead"].gt(0).all()


def test_results_do_not_depend_on_bucket_count_or_input_order(job: Job, run: RangeSummary) -> None:
    run_id = run_id_of(FIRST, "range")
    recorded = job.run_log.run_steps(run_id)["compute"].input_versions
    versions = {FIRST: {key: recorded[key] for key in INPUTS}}

    def results(buckets: int, shuffle: bool = False) -> dict[str, pd.DataFrame]:
        inputs = engine_inputs(job.spark, job.lake, versions, {FIRST: run_id}, buckets)
        if shuffle:
            inputs = dataclasses.replace(
                inputs,
                trades=inputs.trades.repartition(5).orderBy(F.rand(seed=3)),
                netting_set_rows=inputs.netting_set_rows.repartition(3).orderBy(F.rand(seed=4)),
            )
        out = engine_results(inputs, job.params, job.options).toPandas()
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


def test_run_log_records_every_step_of_every_date(job: Job, run: RangeSummary) -> None:
    for day in PUBLISHED:
        steps = job.run_log.run_steps(run_id_of(day, "range"))
        assert {s: r.status for s, r in steps.items()} == dict.fromkeys(
            ("run", "ingest", "validate", "compute", "publish", "marts"), "success"
        )
        whole = steps["run"]
        assert set(whole.step_seconds) == {"ingest", "validate", "compute", "publish", "marts"}
        silver = {k: v for k, v in steps["compute"].input_versions.items() if k.startswith("silver/")}
        written = steps["validate"].output_versions
        assert silver == {k: v for k, v in written.items() if k.startswith("silver/")}
        assert job.run_log.published(day).versions == steps["publish"].output_versions
        counts = whole.counts
        delivered = _delivered(Path(job.settings.landing_root), day, "trades")
        assert counts["bronze.trades"] == counts["silver.trades"] == counts["gold.saccr_trade"] == delivered
        assert counts["gold.saccr_netting_set"] == 30
        assert counts["batch_dates"] in (
            len(DATES),
            len(PUBLISHED),
        )  # ingest saw four dates, later steps three
    missing = job.run_log.run_steps(run_id_of(MISSING, "range"))
    assert {s: r.status for s, r in missing.items()} == {"ingest": "failed", "run": "failed"}
    frame = job.run_log.rows(DATES)
    steps = frame[frame["step"] != "run"]
    assert steps.groupby(["run_id", "step"]).size().max() == 1  # one row per step of a run, no stale rows
    closing = frame[frame["step"] == "run"].groupby("run_id")["status"].agg(list)
    assert {tuple(s) for s in closing} == {("running", "success"), ("running", "failed")}  # lease, then close


def _delivered(landing: Path, day: dt.date, extract: str) -> int:
    """Rows of the date's file of `extract` (CSV or Parquet)."""
    path = next((landing / day.isoformat()).glob(f"{extract}.*"))
    return len(pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str))


def test_marts_add_up_and_the_movement_skips_the_missing_date(job: Job, run: RangeSummary) -> None:
    ns, hs = gold(job, "saccr_netting_set", FIRST), gold(job, "saccr_hedging_set", FIRST)
    by_counterparty = _published(job, "mart_counterparty", FIRST)
    by_entity = _published(job, "mart_legal_entity", FIRST)
    by_class = _published(job, "mart_asset_class", FIRST)
    expected = ns.groupby(["counterparty_id", "legal_entity"])["ead"].sum()
    actual = by_counterparty.set_index(["counterparty_id", "legal_entity"])["ead"]
    pd.testing.assert_series_equal(actual.sort_index(), expected.sort_index(), check_names=False, rtol=1e-12)
    assert np.isclose(by_entity["ead"].sum(), ns["ead"].sum(), rtol=1e-12)
    addon = hs.groupby("asset_class")["addon"].sum()
    pd.testing.assert_series_equal(
        by_class.set_index("asset_class")["addon"].sort_index(),
        addon.sort_index(),
        check_names=False,
        rtol=1e-12,
    )
    first = _published(job, "mart_ead_movement", FIRST)
    assert set(first["movement"]) == {"NEW"} and np.allclose(first["ead_change"], first["ead"], rtol=1e-12)
    previous = {d: p for d, p in zip(PUBLISHED[1:], PUBLISHED, strict=False)}  # Thursday's is Tuesday
    for day, before in previous.items():
        movement = _published(job, "mart_ead_movement", day)
        assert set(pd.to_datetime(movement["previous_as_of_date"].dropna()).dt.date) == {before}
        assert set(movement["previous_run_id"].dropna()) == {run_id_of(before, "range")}
        change = (
            gold(job, "saccr_netting_set", day)
            .set_index("netting_set_id")["ead"]
            .sub(gold(job, "saccr_netting_set", before).set_index("netting_set_id")["ead"], fill_value=0.0)
        )
        got = movement.set_index("netting_set_id")["ead_change"].reindex(change.index)
        assert np.allclose(got, change, rtol=1e-12)
        assert np.allclose(movement["ead_change_rc"] + movement["ead_change_pfe"], movement["ead_change"])


def test_the_run_report_shows_what_gold_holds(job: Job, run: RangeSummary) -> None:
    """Each published date has its report page, whose figures are sums of the run's gold rows (read here
    with Spark, there with delta-rs); the index lists every run, the failed date without a page."""
    from saccr_pipeline.report.figures import read_run_figures

    pages = {Path(p).parent.name: Path(p) for p in run.reports}
    assert set(pages) == {run_id_of(d, "range") for d in PUBLISHED}
    for day, before in zip(PUBLISHED, (None, *PUBLISHED[:-1]), strict=True):
        run_id = run_id_of(day, "range")
        figures = read_run_figures(job.lake, run_id)
        ns, hs = gold(job, "saccr_netting_set", day), gold(job, "saccr_hedging_set", day)
        totals = figures.totals
        assert totals["netting_sets"] == len(ns) and totals["trades"] == ns["trade_count"].sum()
        for amount in ("rc", "pfe", "ead"):
            assert np.isclose(totals[amount], ns[amount].sum(), rtol=1e-12)
        by_counterparty = ns.groupby("counterparty_id")["ead"].sum().sort_values(ascending=False)
        got = figures.counterparties.set_index("counterparty_id")["ead"]
        pd.testing.assert_series_equal(got, by_counterparty.loc[got.index], check_names=False, rtol=1e-12)
        addon = (
            hs.merge(ns[["netting_set_id", "legal_entity"]], on="netting_set_id")
            .groupby(["legal_entity", "asset_class"])["addon"]
            .sum()
        )
        pd.testing.assert_series_equal(
            figures.addon_by_entity.set_index(["legal_entity", "asset_class"])["addon"],
            addon,
            check_names=False,
            rtol=1e-12,
        )
        if before is None:
            assert figures.movement is None
        else:
            m = figures.movement
            previous = gold(job, "saccr_netting_set", before)
            assert m.previous_as_of == before
            assert np.isclose(m.previous_ead, previous["ead"].sum(), rtol=1e-12)
            assert np.isclose(m.previous_ead + m.new + m.matured + m.rc + m.pfe, m.ead, rtol=1e-12)
            new = ~ns["netting_set_id"].isin(previous["netting_set_id"])
            assert np.isclose(m.new, ns.loc[new, "ead"].sum(), rtol=1e-12, atol=1e-6)
            assert m.counts["NEW"] == new.sum()
        page = pages[run_id].read_text()
        assert (
            page.count("<svg") >= 4
            and "<script" not in page
            and "src=" not in page
            and 'href="http' not in page
        )
        assert f"{totals['ead']:,.0f}" in page and f"../../../data_docs/{day}/{run_id}/index.html" in page
    index = (Path(job.lake.root) / "reports" / "index.html").read_text()
    for day in PUBLISHED:
        assert f'href="{day}/{run_id_of(day, "range")}/index.html"' in index
    assert run_id_of(MISSING, "range") in index and f'href="{MISSING}/' not in index


def test_the_missing_date_delivered_late_through_the_command_line(
    job: Job, run: RangeSummary, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its valuations arrive and the range from it to Friday is restated (dags/README.md: restate from the
    date to the latest one, so the movements follow); Friday has no delivery at all, so the command exits 1
    naming it. Wednesday publishes against Tuesday, Thursday is republished against Wednesday."""
    frames = dict(generate_series(FIRST, len(DATES), 1200, 30, seed=21))[MISSING]
    write_landing(landing, MISSING, {"valuations": frames["valuations"]})
    friday = DATES[3] + dt.timedelta(days=1)
    argv = ["run", "--from", MISSING.isoformat(), "--to", friday.isoformat(), "--landing", str(landing)]
    capsys.readouterr()
    assert saccr([*argv, "--lakehouse", job.lake.root, "--buckets", "7"]) == 1
    printed = capsys.readouterr().out
    assert f"{friday}  {friday:%Y%m%d}-" in printed and "missing trades.csv" in printed
    assert "2 of 3 date(s) published, 1 failed" in printed
    for day, before in ((MISSING, DATES[1]), (DATES[3], MISSING)):
        movement = _published(job, "mart_ead_movement", day)
        assert set(pd.to_datetime(movement["previous_as_of_date"].dropna()).dt.date) == {before}, day
    assert job.run_log.published(friday) is None


def test_a_rerun_replaces_its_date_exactly(alone: Job) -> None:
    """Every layer holds the date once, with the same numbers, under the new run id."""
    before = {name: gold(alone, name, FIRST) for name in GOLD_RESULTS}
    bronze_rows = len(table(alone, "bronze/trades", FIRST))
    again = run_date(alone, FIRST)
    assert (
        len(table(alone, "bronze/trades", FIRST)) == bronze_rows == len(table(alone, "silver/trades", FIRST))
    )
    for name in GOLD_RESULTS:
        now = gold(alone, name, FIRST)
        assert set(now["run_id"]) == {again} and len(now) == len(before[name])
        assert_close(now.drop(columns="run_id"), before[name].drop(columns="run_id"), KEYS[name], 0.0, name)
        assert set(table(alone, f"gold/{name}", FIRST)["run_id"]) == {again}


def test_a_run_reproduces_after_its_inputs_were_redelivered(alone: Job, landing: Path) -> None:
    """The date's extracts are redelivered with other numbers and rerun: gold changes, yet the earlier run
    reproduces from the input versions it recorded (Delta time travel)."""
    earlier = alone.run_log.published(FIRST).run_id
    before = gold(alone, "saccr_netting_set", FIRST).set_index("netting_set_id")["ead"]
    write_landing(landing, FIRST, generate(FIRST, 1200, 30, seed=6))
    changed = run_date(alone, FIRST)
    now = gold(alone, "saccr_netting_set", FIRST).set_index("netting_set_id")["ead"]
    assert not np.allclose(now.reindex(before.index), before)
    result = reproduce(alone, earlier)
    assert result.identical, result.rows_different
    assert result.rows_compared["saccr_netting_set"] == len(before)
    assert saccr(["reproduce", changed, "--lakehouse", alone.lake.root]) == 0


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
