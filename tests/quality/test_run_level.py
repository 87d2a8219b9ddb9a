"""Run-level failures: a delivery that cannot be loaded stops before anything of it is (one IngestError naming
every problem, no Spark); a bronze date that cannot be validated (no rows, a manifest mismatch) stops with its
problems while the other dates of the batch go on; and a batch of dates validates exactly as each date
alone."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from quality_support import AS_OF, load_bronze, write_delivery

from saccr_pipeline.errors import DataQualityError, IngestError
from saccr_pipeline.landing import Manifest, check_delivery, manifest_problems, read_manifest
from saccr_pipeline.quality.checks import check_bronze_columns
from saccr_pipeline.quality.validation import QualityContext, QualityOutcome, validate_bronze

pytestmark = pytest.mark.spark


def _semicolons(folder: Path) -> None:
    path = folder / "trades.csv"
    path.write_text(path.read_text().replace(",", ";"))


def _empty(folder: Path) -> None:
    (folder / "collateral.csv").write_text("")


def _header_only(folder: Path) -> None:
    path = folder / "valuations.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")


def _unreadable_parquet(folder: Path) -> None:
    (folder / "market_data.csv").unlink()
    (folder / "market_data.parquet").write_bytes(b"PAR1 this is not parquet")


def _missing(folder: Path) -> None:
    (folder / "valuations.csv").unlink()


def _two_files(folder: Path) -> None:
    pd.read_csv(folder / "collateral.csv", dtype=str).to_parquet(folder / "collateral.parquet")


def _extra_column(folder: Path) -> None:
    frame = pd.read_csv(folder / "market_data.csv", dtype=str, keep_default_na=False)
    frame.assign(comment="x").to_csv(folder / "market_data.csv", index=False)


def _missing_column(folder: Path) -> None:
    frame = pd.read_csv(folder / "collateral.csv", dtype=str, keep_default_na=False)
    frame.drop(columns="mta").to_csv(folder / "collateral.csv", index=False)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            _semicolons,
            r"trades extract .*missing column\(s\) \['trade_id', .*unexpected column\(s\) \['trade_id;",
        ),
        (_empty, r"collateral extract .*collateral.csv: file is empty"),
        (_header_only, r"valuations extract .*valuations.csv: has a header but no rows"),
        (_unreadable_parquet, r"market_data extract .*market_data.parquet: cannot be read: "),
        (_missing, r"missing valuations.csv or valuations.parquet"),
        (_two_files, r"several files"),
        (_extra_column, r"market_data extract .*unexpected column\(s\) \['comment'\]"),
        (_missing_column, r"collateral extract .*missing column\(s\) \['mta'\]"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_a_bad_delivery_stops_before_ingest(
    sample_text, tmp_path: Path, spoil: Callable[[Path], None], message: str
) -> None:
    folder = write_delivery(tmp_path, sample_text)
    check_delivery(str(tmp_path), AS_OF)  # the delivery as generated is fine
    spoil(folder)
    with pytest.raises(IngestError, match=message) as stopped:
        check_delivery(str(tmp_path), AS_OF)
    assert "Nothing of 2026-11-20 was loaded" in str(stopped.value)


def test_every_problem_of_a_delivery_is_in_one_message(sample_text, tmp_path: Path) -> None:
    folder = write_delivery(tmp_path, sample_text)
    for spoil in (_semicolons, _empty, _header_only, _unreadable_parquet):
        spoil(folder)
    with pytest.raises(IngestError) as stopped:
        check_delivery(str(tmp_path), AS_OF)
    assert all(
        extract in str(stopped.value) for extract in ("trades", "collateral", "valuations", "market_data")
    )


@pytest.fixture(scope="module")
def bronze(
    spark: SparkSession, sample_text, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, DataFrame]:
    root = tmp_path_factory.mktemp("run_level")
    write_delivery(root / "landing", sample_text)
    return load_bronze(spark, root / "landing", root / "lake")


def _ctx(manifest: Manifest | None = None, columnar_cache_rows: int = 5_000_000) -> QualityContext:
    return QualityContext(
        {AS_OF: "20261120-x"}, "USD", manifests={AS_OF: manifest}, columnar_cache_rows=columnar_cache_rows
    )  # fmt: skip


def _stops(outcome: QualityOutcome, message: str) -> None:
    error = outcome.error(AS_OF)
    assert isinstance(error, DataQualityError) and message in str(error), error
    assert "Nothing of the date was published" in str(error)


def _nothing_cached(spark: SparkSession) -> bool:
    return bool(spark._jsparkSession.sharedState().cacheManager().isEmpty())


def test_bronze_without_an_extract_or_with_other_columns_stops(bronze: dict[str, DataFrame]) -> None:
    with pytest.raises(DataQualityError, match=r"collateral: no bronze rows given"):
        check_bronze_columns({e: f for e, f in bronze.items() if e != "collateral"})
    spoilt = {
        **bronze,
        "trades": bronze["trades"].drop("strike").withColumn("comment", bronze["trades"]["trade_id"]),
    }
    with pytest.raises(
        DataQualityError,
        match=r"trades: missing column\(s\) \['strike'\], unexpected column\(s\) \['comment'\]",
    ):
        check_bronze_columns(spoilt)


def test_an_extract_without_rows_for_the_date_stops(
    spark: SparkSession, bronze: dict[str, DataFrame]
) -> None:
    other_date = {**bronze, "valuations": bronze["valuations"].where("as_of_date <> DATE'2026-11-20'")}
    outcome = validate_bronze(spark, other_date, _ctx())
    _stops(outcome, "extract(s) ['valuations'] have no rows")
    assert _nothing_cached(spark)  # the frames cached for GX are dropped when the validation ends


def _write_manifest(folder: Path, as_of: str, rows: dict[str, int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_manifest.json").write_text(json.dumps({"as_of_date": as_of, "rows": rows}))
    return folder


def test_manifest_is_read_when_delivered(tmp_path: Path) -> None:
    assert read_manifest(str(tmp_path), AS_OF) is None
    folder = _write_manifest(tmp_path / AS_OF.isoformat(), "2026-11-20", {"trades": 200})
    manifest = read_manifest(str(tmp_path), AS_OF)
    assert manifest is not None and (manifest.as_of, dict(manifest.rows)) == (AS_OF, {"trades": 200})
    (folder / "_manifest.json").write_text("{not json")
    with pytest.raises(DataQualityError, match="manifest .*_manifest.json cannot be read"):
        read_manifest(str(tmp_path), AS_OF)


def _manifest(tmp_path: Path, as_of: str, rows: dict[str, int]) -> Manifest | None:
    _write_manifest(tmp_path / AS_OF.isoformat(), as_of, rows)
    return read_manifest(str(tmp_path), AS_OF)


def test_an_extract_for_another_as_of_date_stops(
    spark: SparkSession, bronze: dict[str, DataFrame], tmp_path: Path
) -> None:
    outcome = validate_bronze(spark, bronze, _ctx(_manifest(tmp_path, "2026-11-19", {"trades": 200})))
    _stops(outcome, "the extracts are for 2026-11-19, not 2026-11-20")


@pytest.mark.parametrize("columnar_cache_rows", [1, 5_000_000], ids=["columnar-cache", "local-checkpoint"])
def test_a_file_shorter_than_its_manifest_stops(
    spark: SparkSession, bronze: dict[str, DataFrame], tmp_path: Path, columnar_cache_rows: int
) -> None:
    rows = {"trades": 201, "valuations": 200}  # a truncated trades file lost a whole line
    manifest = _manifest(tmp_path, "2026-11-20", rows)
    outcome = validate_bronze(spark, bronze, _ctx(manifest, columnar_cache_rows))
    _stops(outcome, "trades: 200 rows loaded, manifest says 201 (truncated?)")
    assert _nothing_cached(spark)  # the frames materialised for GX leave the cache


def test_manifest_that_matches_passes() -> None:
    assert (
        manifest_problems(Manifest(AS_OF, {"trades": 200}, "m"), AS_OF, {"trades": 200, "valuations": 3})
        == []
    )
    assert manifest_problems(None, AS_OF, {"trades": 1}) == []
    problems = manifest_problems(Manifest(AS_OF, {}, "m"), dt.date(2026, 11, 21), {})
    assert len(problems) == 1 and "not 2026-11-21" in problems[0]


def _outcome_rows(spark: SparkSession, bronze: dict[str, DataFrame], columnar_cache_rows: int) -> dict:
    outcome = validate_bronze(spark, bronze, _ctx(columnar_cache_rows=columnar_cache_rows))
    assert _nothing_cached(spark)  # the frames cached for GX leave the cache when the validation ends

    def rows(frame: DataFrame) -> list[tuple]:
        return sorted(tuple(str(v) for v in r) for r in frame.collect())

    return {
        "counts": dict(outcome.counts[AS_OF]),
        "quarantine": rows(outcome.quarantine.drop("quarantined_at")),
        "results": rows(outcome.results.drop("evaluated_at")),
        "passed": {e: rows(f) for e, f in outcome.passed.items()},
    }


def test_columnar_cache_and_local_checkpoint_validate_alike(
    spark: SparkSession, sample_text, tmp_path: Path
) -> None:
    """Which materialisation a frame gets (settings.dq_columnar_cache_rows) changes no verdict, no count and
    no row: the whole outcome compared on a delivery with bad rows, every frame cached against none."""
    text = {e: frame.copy() for e, frame in sample_text.items()}
    text["trades"].loc[:4, "notional"] = "n/a"
    text["valuations"].loc[7, "mtm"] = ""
    text["collateral"].loc[2, "margined"] = "maybe"
    write_delivery(tmp_path / "landing", text)
    bronze = load_bronze(spark, tmp_path / "landing", tmp_path / "lake")
    cached = _outcome_rows(spark, bronze, columnar_cache_rows=1)
    checkpointed = _outcome_rows(spark, bronze, columnar_cache_rows=10**9)
    assert cached["counts"]["trades"].rows_quarantined >= 5
    assert cached["counts"]["collateral"].rows_quarantined >= 1
    assert len(cached["quarantine"]) >= 7
    assert cached == checkpointed
    delivered = {e: f.where(f"as_of_date = DATE'{AS_OF}'").count() for e, f in bronze.items()}
    assert {e: c.rows_in for e, c in cached["counts"].items()} == delivered


D2 = dt.date(2026, 11, 23)  # the next business date (a Monday)


def _rows(frame: DataFrame, drop: tuple[str, ...] = ()) -> list[tuple]:
    return sorted(tuple(str(v) for v in r) for r in frame.drop(*drop).collect())


def test_a_batch_of_dates_validates_as_each_date_alone(
    spark: SparkSession, sample_text, tmp_path: Path
) -> None:
    """Two dates delivering the same trade ids (uniqueness holds within a date, not across dates), the second
    with a duplicated trade, a valuation of a trade only the first date has, and an FX rate only the first
    date delivers (lookups stay within a date): validated together and alone, the counts, quarantine,
    passed rows and per-date verdicts are the same."""
    second = {e: frame.copy() for e, frame in sample_text.items()}
    second["trades"] = pd.concat([second["trades"], second["trades"].iloc[[3]]])  # duplicate_key twice
    gone = second["trades"]["trade_id"].iloc[10]
    second["trades"] = second["trades"][second["trades"]["trade_id"] != gone]  # its valuation is an orphan
    used = second["trades"]["notional_currency"].value_counts()
    currency = next(c for c in used.index[::-1] if c != "USD")  # the least used foreign currency
    fx = second["market_data"]
    second["market_data"] = fx[~((fx["kind"] == "FX") & (fx["key"] == currency))]
    write_delivery(tmp_path / "landing", sample_text, AS_OF)
    write_delivery(tmp_path / "landing", second, D2)
    bronze = load_bronze(spark, tmp_path / "landing", tmp_path / "lake", (AS_OF, D2))
    run_ids = {AS_OF: "20261120-b", D2: "20261123-b"}

    both = validate_bronze(spark, bronze, QualityContext(run_ids, "USD", max_rejected_share=1.0))
    alone = {
        day: validate_bronze(spark, bronze, QualityContext({day: rid}, "USD", max_rejected_share=1.0))
        for day, rid in run_ids.items()
    }
    assert both.counts[AS_OF] == alone[AS_OF].counts[AS_OF]
    assert both.counts[D2] == alone[D2].counts[D2]
    assert both.counts[AS_OF]["trades"].rows_quarantined == 0
    assert both.counts[D2]["trades"].rows_quarantined >= 2 + used[currency]
    assert both.counts[D2]["valuations"].rows_quarantined >= 1
    for day in run_ids:
        where = f"as_of_date = DATE'{day}'"
        assert _rows(both.quarantine.where(where), ("quarantined_at",)) == _rows(
            alone[day].quarantine, ("quarantined_at",)
        )
        for extract, frame in both.passed.items():
            assert _rows(frame.where(where)) == _rows(alone[day].passed[extract]), (day, extract)
        verdicts = both.results.where(where).drop("evaluated_at", "details")
        assert _rows(verdicts) == _rows(alone[day].results.drop("evaluated_at", "details"))
    rules = {r["rule"] for r in both.quarantine.where(f"as_of_date = DATE'{D2}'").collect()}
    assert {"duplicate_key", "valuation_without_trade", "fx_rate_missing"} <= rules


def test_a_delivery_without_the_columns_added_later_loads_them_empty(
    spark: SparkSession, sample_text, tmp_path: Path
) -> None:
    """A delivery from before the regimes' columns (contract.ADDED_COLUMNS) passes the landing check and
    loads them as empty (null) in bronze; leaving out any other column is still refused."""
    from saccr.contract import ADDED_COLUMNS

    text = {e: f.drop(columns=list(ADDED_COLUMNS[e])) for e, f in sample_text.items()}
    folder = write_delivery(tmp_path / "landing", text)
    bronze = load_bronze(spark, tmp_path / "landing", tmp_path / "lake")
    for extract, added in ADDED_COLUMNS.items():
        for column in added:
            assert bronze[extract].where(f"`{column}` IS NOT NULL").count() == 0, (extract, column)
    _missing_column(folder)
    with pytest.raises(IngestError, match=r"collateral extract .*missing column\(s\) \['mta'\]"):
        check_delivery(str(tmp_path / "landing"), AS_OF)
