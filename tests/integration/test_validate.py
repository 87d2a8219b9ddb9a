"""The validate step on tiny bronze frames built inline: typing rules, malformed lines, and the rules that
compare rows of different netting sets."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import SparkSession

from saccr.contract import EXTRACTS
from saccr_pipeline.schemas import bronze_schema
from saccr_pipeline.validate import ValidationContext, validate

pytestmark = pytest.mark.spark

AS_OF = dt.date(2026, 11, 20)
CTX = ValidationContext(AS_OF, "run-1", "USD")


def bronze(spark: SparkSession, extract: str, *rows: dict[str, str | None]):  # noqa: ANN201 - DataFrame
    """Bronze rows of `extract`: unspecified columns are empty, lineage is filled in."""
    columns = list(EXTRACTS[extract])
    data = [
        (
            AS_OF,
            "landing/file.csv",
            i,
            dt.datetime(2026, 11, 20, 6),
            *[r.get(c) for c in columns],
            r.get("malformed"),
        )
        for i, r in enumerate(rows)
    ]
    return spark.createDataFrame(data, bronze_schema(extract))


def test_market_data_typing_and_rules(spark: SparkSession) -> None:
    rows = bronze(
        spark, "market_data",
        {"kind": "FX", "key": "EUR", "value": "1.08"},
        {"kind": "FX", "key": "GBP", "value": "1,27"},  # not a number
        {"kind": "PRICE", "key": "X", "value": "5"},
        {"kind": "PRICE", "key": "X", "value": "6"},  # duplicate key: both rows
        {"kind": "FX", "key": "USD", "value": "2"},  # the reporting currency's rate must be 1
        {"kind": "VOL", "key": "Y", "value": ""},  # unknown kind is not checked before value is typed
        {"kind": "FX", "key": "NOK", "value": "1", "malformed": "FX,NOK,1,extra"},
    )  # fmt: skip
    result = validate("market_data", rows, CTX)
    good = result.good.toPandas()
    assert list(good["key"]) == ["EUR"] and good["value"].tolist() == [1.08]
    q = result.quarantine.toPandas()
    found = sorted(zip(q["source_row"], q["field"], q["rule"], strict=True))
    assert found == [
        (1, "value", "not_a_number"),
        (2, "key", "duplicate_key"),
        (3, "key", "duplicate_key"),
        (4, "value", "reporting_currency_rate"),
        (5, "value", "required"),
        (6, "record", "malformed_row"),
    ]
    assert set(q["run_id"]) == {"run-1"} and set(q["stage"]) == {"validate"}
    assert q.loc[q["source_row"] == 1, "message"].item() == "value '1,27' is not a finite number"


def test_trade_typing_duplicates_and_entities(spark: SparkSession) -> None:
    base = {"netting_set_id": "NS1", "asset_class": "IR", "direction": "LONG", "notional": "100",
            "notional_currency": "USD", "maturity_date": "2030-01-02"}  # fmt: skip
    credit = {**base, "asset_class": "CREDIT", "reference_entity": "ACME", "is_index": "false"}
    rows = bronze(
        spark, "trades",
        {**base, "trade_id": "T1"},
        {**base, "trade_id": "T2", "maturity_date": "2030-1-2"},  # not the ISO form
        {**base, "trade_id": "T3", "is_volatility": "yes"},
        {**base, "trade_id": "T4", "netting_set_id": "NS2"},
        {**base, "trade_id": "T4", "netting_set_id": "NS3"},  # the same id in two netting sets
        {**credit, "trade_id": "T5", "credit_quality": "BBB"},
        {**credit, "trade_id": "T6", "credit_quality": "A", "netting_set_id": "NS4"},  # ACME: BBB and A
        {**base, "trade_id": "T7", "notional": ""},
    )  # fmt: skip
    result = validate("trades", rows, CTX)
    good = result.good.toPandas()
    assert list(good["trade_id"]) == ["T1"]
    assert good["maturity_date"].tolist() == [dt.date(2030, 1, 2)] and good["notional"].tolist() == [100.0]
    q = result.quarantine.toPandas()
    assert sorted(zip(q["trade_id"], q["rule"], strict=True)) == [
        ("T2", "not_a_date"), ("T3", "not_a_boolean"), ("T4", "duplicate_key"), ("T4", "duplicate_key"),
        ("T5", "inconsistent_entity"), ("T6", "inconsistent_entity"), ("T7", "required"),
    ]  # fmt: skip
    assert set(q.loc[q["trade_id"] == "T4", "netting_set_id"]) == {"NS2", "NS3"}
