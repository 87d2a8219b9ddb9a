"""Run-level failures: a delivery or a bronze date that cannot be validated stops with one DataQualityError
naming every problem, before any rule runs or anything is written."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from quality_support import AS_OF, load_bronze, write_delivery

from saccr_pipeline.quality.validation import (
    DataQualityError,
    Manifest,
    QualityContext,
    check_bronze_columns,
    check_landing,
    check_manifest,
    read_manifest,
    validate_bronze,
)

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
        (_unreadable_parquet, r"market_data extract in .*: cannot be read: .*market_data.parquet"),
        (_missing, r"no valuations.csv or valuations.parquet in"),
        (_two_files, r"several files"),
        (_extra_column, r"market_data extract .*unexpected column\(s\) \['comment'\]"),
        (_missing_column, r"collateral extract .*missing column\(s\) \['mta'\]"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_a_bad_delivery_stops_before_ingest(
    spark: SparkSession, sample_text, tmp_path: Path, spoil: Callable[[Path], None], message: str
) -> None:
    folder = write_delivery(tmp_path / AS_OF.isoformat(), sample_text)
    check_landing(spark, str(folder))  # the delivery as generated is fine
    spoil(folder)
    with pytest.raises(DataQualityError, match=message) as stopped:
        check_landing(spark, str(folder))
    assert "Nothing was loaded" in str(stopped.value)


def test_every_problem_of_a_delivery_is_in_one_message(
    spark: SparkSession, sample_text, tmp_path: Path
) -> None:
    folder = write_delivery(tmp_path / AS_OF.isoformat(), sample_text)
    for spoil in (_semicolons, _empty, _header_only, _unreadable_parquet):
        spoil(folder)
    with pytest.raises(DataQualityError) as stopped:
        check_landing(spark, str(folder))
    assert all(
        extract in str(stopped.value) for extract in ("trades", "collateral", "valuations", "market_data")
    )


@pytest.fixture(scope="module")
def bronze(
    spark: SparkSession, sample_text, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, DataFrame]:
    root = tmp_path_factory.mktemp("run_level")
    return load_bronze(spark, write_delivery(root / "landing", sample_text), root / "lake")


def _ctx(manifest: Manifest | None = None, columnar_cache_rows: int = 5_000_000) -> QualityContext:
    return QualityContext(
        AS_OF, "run-x", "USD", manifest=manifest, columnar_cache_rows=columnar_cache_rows
    )  # fmt: skip


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
    with pytest.raises(DataQualityError, match=r"\['valuations'\] have no rows for 2026-11-20"):
        validate_bronze(spark, other_date, _ctx())
    assert _nothing_cached(spark)  # the frames cached for GX are dropped when the validation stops


def _write_manifest(folder: Path, as_of: str, rows: dict[str, int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_manifest.json").write_text(json.dumps({"as_of_date": as_of, "rows": rows}))
    return folder


def test_manifest_is_read_when_delivered(spark: SparkSession, tmp_path: Path) -> None:
    assert read_manifest(spark, str(tmp_path)) is None
    folder = _write_manifest(tmp_path / "d", "2026-11-20", {"trades": 200})
    manifest = read_manifest(spark, str(folder))
    assert manifest is not None and (manifest.as_of, dict(manifest.rows)) == (AS_OF, {"trades": 200})
    (folder / "_manifest.json").write_text("{not json")
    with pytest.raises(DataQualityError, match="manifest .*_manifest.json cannot be read"):
        read_manifest(spark, str(folder))


def test_an_extract_for_another_as_of_date_stops(
    spark: SparkSession, bronze: dict[str, DataFrame], tmp_path: Path
) -> None:
    manifest = read_manifest(spark, str(_write_manifest(tmp_path, "2026-11-19", {"trades": 200})))
    with pytest.raises(DataQualityError, match=r"the extracts are for 2026-11-19, not 2026-11-20"):
        validate_bronze(spark, bronze, _ctx(manifest))


@pytest.mark.parametrize("columnar_cache_rows", [1, 5_000_000], ids=["columnar-cache", "local-checkpoint"])
def test_a_file_shorter_than_its_manifest_stops(
    spark: SparkSession, bronze: dict[str, DataFrame], tmp_path: Path, columnar_cache_rows: int
) -> None:
    rows = {"trades": 201, "valuations": 200}  # a truncated trades file lost a whole line
    manifest = read_manifest(spark, str(_write_manifest(tmp_path, "2026-11-20", rows)))
    with pytest.raises(DataQualityError, match=r"trades: 200 rows loaded, manifest says 201 \(truncated\?\)"):
        validate_bronze(spark, bronze, _ctx(manifest, columnar_cache_rows))
    assert _nothing_cached(spark)  # a stop after the frames were materialised drops the cache too


def test_manifest_that_matches_passes() -> None:
    check_manifest(Manifest(AS_OF, {"trades": 200}, "m"), AS_OF, {"trades": 200, "valuations": 3})
    check_manifest(None, AS_OF, {"trades": 1})
    with pytest.raises(DataQualityError, match="not 2026-11-21"):
        check_manifest(Manifest(AS_OF, {}, "m"), dt.date(2026, 11, 21), {})


def _outcome_rows(spark: SparkSession, bronze: dict[str, DataFrame], columnar_cache_rows: int) -> dict:
    outcome = validate_bronze(spark, bronze, _ctx(columnar_cache_rows=columnar_cache_rows))
    assert _nothing_cached(spark)  # the frames cached for GX leave the cache when the validation ends

    def rows(frame: DataFrame) -> list[tuple]:
        return sorted(tuple(str(v) for v in r) for r in frame.collect())

    return {
        "counts": dict(outcome.counts),
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
    bronze = load_bronze(spark, write_delivery(tmp_path / "landing", text), tmp_path / "lake")
    cached = _outcome_rows(spark, bronze, columnar_cache_rows=1)
    checkpointed = _outcome_rows(spark, bronze, columnar_cache_rows=10**9)
    assert cached["counts"]["trades"].rows_quarantined >= 5
    assert cached["counts"]["collateral"].rows_quarantined >= 1
    assert len(cached["quarantine"]) >= 7
    assert cached == checkpointed
    delivered = {e: f.where(f"as_of_date = DATE'{AS_OF}'").count() for e, f in bronze.items()}
    assert {e: c.rows_in for e, c in cached["counts"].items()} == delivered
