"""The frame the suites validate and the rules GX cannot express, on tiny inline bronze rows (no GX)."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import DataFrame, SparkSession

from saccr.contract import EXTRACTS
from saccr_pipeline.quality.rules import load_suite
from saccr_pipeline.quality.validation import QualityContext, dq_frame, flag_rows, passed_rows

pytestmark = pytest.mark.spark
AS_OF = dt.date(2026, 11, 20)


def _bronze(spark: SparkSession, extract: str, rows: list[dict[str, str | None]]) -> DataFrame:
    columns = list(EXTRACTS[extract])
    data = [
        (AS_OF, "f.csv", i, None, *(r.get(c) for c in columns), r.get("malformed_record"))
        for i, r in enumerate(rows)
    ]
    schema = ", ".join(
        ["as_of_date date", "source_file string", "source_row long", "load_time timestamp"]
        + [f"{c} string" for c in columns]
        + ["malformed_record string"]
    )
    return spark.createDataFrame(data, schema)


def test_typed_columns_hold_values_only_where_the_text_parses(spark: SparkSession) -> None:
    rows = [
        {"kind": "FX", "key": "EUR", "value": "1.085"},
        {"kind": "FX", "key": "", "value": "1e999"},
        {"kind": "PRICE", "key": "K", "value": "NaN"},
        {"kind": "PRICE", "key": "L", "value": "abc"},
    ]
    got = (
        dq_frame(_bronze(spark, "market_data", rows), "market_data", [AS_OF]).orderBy("source_row").collect()
    )
    assert [r["value__typed"] for r in got] == [1.085, None, None, None]
    assert [r["key"] for r in got] == ["EUR", None, "K", "L"]  # empty text is a missing value


def test_dates_and_booleans_are_typed_strictly(spark: SparkSession) -> None:
    rows = [
        {"netting_set_id": "A", "margined": "TRUE", "remargin_period_days": "10.0"},
        {"netting_set_id": "B", "margined": "yes", "remargin_period_days": "1.5"},
    ]
    got = dq_frame(_bronze(spark, "collateral", rows), "collateral", [AS_OF]).orderBy("source_row").collect()
    assert [r["margined__typed"] for r in got] == [True, None]
    assert [r["remargin_period_days__typed"] for r in got] == [10.0, 1.5]
    trades = dq_frame(
        _bronze(spark, "trades", [{"maturity_date": "2026-02-30"}, {"maturity_date": "2027-01-04"}]),
        "trades",
        [AS_OF],
    ).orderBy("source_row")
    assert [r["maturity_date__typed"] for r in trades.collect()] == [None, dt.date(2027, 1, 4)]


@pytest.mark.parametrize(("currency", "broken"), [("USD", ["FX:USD"]), ("EUR", ["FX:EUR"])])
def test_the_reporting_currency_rate_must_be_one(
    spark: SparkSession, currency: str, broken: list[str]
) -> None:
    rows = [
        {"kind": "FX", "key": "USD", "value": "1.1"},
        {"kind": "FX", "key": "EUR", "value": "0.9"},
        {"kind": "FX", "key": "GBP", "value": "1.0"},
    ]
    frame = dq_frame(_bronze(spark, "market_data", rows), "market_data", [AS_OF])
    suite = load_suite("market_data")
    flagged = flag_rows(
        frame, suite, {"market_data": frame}, {}, QualityContext({AS_OF: "20261120-r"}, currency)
    )
    rule = next(r.index for r in suite.rules if r.rule == "reporting_currency_rate")
    failing = [
        f"{r['kind']}:{r['key']}" for r in flagged.collect() if any(f["check"] == rule for f in r["failures"])
    ]
    assert failing == broken
    passed = passed_rows(flagged, "market_data").collect()
    assert sorted(r["key"] for r in passed) == sorted({"USD", "EUR", "GBP"} - {broken[0].split(":")[1]})
    assert dict(passed_rows(flagged, "market_data").dtypes)["value"] == "double"
