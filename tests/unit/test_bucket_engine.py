"""The UDF body of the compute step, in plain pandas (no Spark): the frames a bucket receives give the
engine's results for its netting sets whatever else shares the bucket and in whatever order rows arrive."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from saccr.contract import REJECTED_COLUMNS
from saccr.engine import CalculationOptions, compute
from saccr_pipeline.config.regimes import load_parameters
from saccr_pipeline.sample.generate import generate
from saccr_pipeline.steps.bucket_engine import (
    NETTING_SET_SIDE_COLUMNS,
    ROW_KIND,
    TAGGED_SCHEMA,
    BucketEngine,
    _sorted_rows,
    tagged,
)

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def extracts() -> dict[str, pd.DataFrame]:
    return generate(AS_OF, 600, 12, seed=4)


def bucket_frames(
    extracts: dict[str, pd.DataFrame], netting_sets: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What Spark hands one bucket, rows shuffled: trades; collateral rows and valuations (with their trade's
    netting set), marked by row_kind."""
    trades = extracts["trades"].loc[extracts["trades"]["netting_set_id"].isin(netting_sets)]
    valuations = extracts["valuations"].merge(trades[["trade_id", "netting_set_id"]], on="trade_id")
    collateral = extracts["collateral"].loc[extracts["collateral"]["netting_set_id"].isin(netting_sets)]
    rows = pd.concat(
        [collateral.assign(**{ROW_KIND: "collateral"}), valuations.assign(**{ROW_KIND: "valuation"})],
        ignore_index=True,
    ).reindex(columns=list(NETTING_SET_SIDE_COLUMNS))
    return trades.sample(frac=1.0, random_state=1), rows.sample(frac=1.0, random_state=2)


def test_a_bucket_equals_the_engine_on_its_netting_sets(extracts: dict[str, pd.DataFrame]) -> None:
    engine = BucketEngine(AS_OF, extracts["market_data"], load_parameters(), CalculationOptions())
    direct = compute(**extracts, as_of=AS_OF, params=load_parameters()).netting_sets.set_index(
        "netting_set_id"
    )
    ids = sorted(extracts["collateral"]["netting_set_id"])
    for part in (ids[:5], ids[5:]):  # netting sets split over two buckets, rows shuffled
        result = engine.compute(*bucket_frames(extracts, part)).netting_sets.set_index("netting_set_id")
        expected = direct.loc[part, result.columns]
        pd.testing.assert_frame_equal(result.sort_index(), expected.sort_index(), rtol=1e-12)


def test_prior_rejections_hold_their_netting_sets_and_are_not_returned(
    extracts: dict[str, pd.DataFrame],
) -> None:
    engine = BucketEngine(AS_OF, extracts["market_data"], load_parameters(), CalculationOptions())
    trades, rows = bucket_frames(extracts, ["NS000001", "NS000002", "NS000003"])
    lost = trades.loc[trades["netting_set_id"] == "NS000001"].iloc[0]
    twin = trades.loc[trades["netting_set_id"] == "NS000002"].iloc[0]
    # quarantined before the engine: a trade with a bad notional, and its id delivered again in NS000002
    trades = trades.loc[~trades["trade_id"].isin([lost["trade_id"], twin["trade_id"]])]
    prior = pd.DataFrame(
        {"row_kind": "prior", "netting_set_id": ["NS000001", "NS000001", "NS000002"],
         "prior_extract": "trades", "prior_trade_id": lost["trade_id"],
         "prior_field": ["notional", "trade_id", "trade_id"],
         "prior_rule": ["not_a_number", "duplicate_key", "duplicate_key"], "prior_message": "...",
         "prior_row": ["f.csv:1", "f.csv:1", "f.csv:7"]}
    )  # fmt: skip
    valuations = rows["trade_id"].isin([lost["trade_id"], twin["trade_id"]])  # as silver holds them: none
    result = engine.compute(trades, pd.concat([rows.loc[~valuations], prior], ignore_index=True))
    assert list(result.netting_sets["netting_set_id"]) == ["NS000003"]
    assert set(result.rejected["rule"]) == {"netting_set_held_incomplete"}
    assert set(result.rejected["netting_set_id"]) == {"NS000001", "NS000002"}
    assert lost["trade_id"] not in set(result.rejected["trade_id"])


def test_collateral_without_trades_still_gets_a_result(extracts: dict[str, pd.DataFrame]) -> None:
    engine = BucketEngine(AS_OF, extracts["market_data"], load_parameters(), CalculationOptions())
    _, rows = bucket_frames(extracts, ["NS000003"])
    no_trades = pd.DataFrame({c: pd.Series(dtype=object) for c in extracts["trades"].columns})
    result = engine.compute(no_trades, rows.loc[rows["row_kind"] == "collateral"])
    row = result.netting_sets.iloc[0]
    assert row["netting_set_id"] == "NS000003" and row["trade_count"] == 0 and row["ead"] >= 0


def test_an_unknown_row_kind_is_an_error(extracts: dict[str, pd.DataFrame]) -> None:
    engine = BucketEngine(AS_OF, extracts["market_data"], load_parameters(), CalculationOptions())
    trades, rows = bucket_frames(extracts, ["NS000003"])
    with pytest.raises(ValueError, match="row_kind values not understood: \\['margin'\\]"):
        engine.compute(trades, rows.assign(row_kind=rows["row_kind"].where(rows.index > 0, "margin")))


def test_tagged_output_has_the_union_schema(extracts: dict[str, pd.DataFrame]) -> None:
    result = compute(**extracts, as_of=AS_OF, params=load_parameters())
    out = tagged(result)
    assert list(out.columns) == [f.name for f in TAGGED_SCHEMA.fields]
    sizes = {"trade": result.trades, "hedging_set": result.hedging_sets, "netting_set": result.netting_sets}
    assert out["record"].value_counts().to_dict() == {k: len(v) for k, v in sizes.items()}
    trades = out.loc[out["record"] == "trade"]
    assert trades["ead"].isna().all() and trades["trade_id"].notna().all()
    assert set(REJECTED_COLUMNS) <= set(out.columns)


def test_row_order_does_not_change_a_single_bit(extracts: dict[str, pd.DataFrame]) -> None:
    engine = BucketEngine(AS_OF, extracts["market_data"], load_parameters(), CalculationOptions())
    trades, rows = bucket_frames(extracts, ["NS000001", "NS000004", "NS000007"])
    first = engine(trades, rows)
    again = engine(trades.sample(frac=1.0, random_state=9), rows.sample(frac=1.0, random_state=8))
    assert len(first) > 100
    pd.testing.assert_frame_equal(first, again, check_exact=True)


KEYS = st.one_of(st.none(), st.just(np.nan), st.text(st.characters(blacklist_categories=("Cs",)), max_size=4))


@given(st.lists(st.tuples(KEYS, st.booleans()), max_size=40))
def test_sorted_rows_is_a_stable_sort_by_code_point_with_missing_keys_last(
    rows: list[tuple[object, bool]],
) -> None:
    frame = pd.DataFrame({"key": pd.Series([k for k, _ in rows], dtype=object), "n": range(len(rows))})
    selected = np.array([chosen for _, chosen in rows], dtype=bool)

    def rank(n: int) -> tuple[bool, str]:
        key = frame["key"].iloc[n]
        return (not isinstance(key, str), key if isinstance(key, str) else "")

    expected = sorted((n for n in range(len(rows)) if selected[n]), key=rank)  # Python's sort is stable
    result = _sorted_rows(frame, selected, "key")
    assert list(result["n"]) == expected
    assert list(result.index) == list(range(len(expected)))
