"""The engine as a grouped pandas UDF: one call computes every netting set of one date's bucket
(docs/architecture.md). Pure pandas, no Spark session: the executors import and run this module.

A call gets the bucket's trades and its other rows keyed by netting set, told apart by :data:`ROW_KIND`:
collateral terms, valuations (tagged with their trade's netting set by the validate step) and trades
quarantined before the engine. It returns the engine's four outputs stacked in one frame, tagged by `record`
(trade, hedging_set, netting_set, rejected), with the union of their columns (:data:`TAGGED_SCHEMA`). Rows
are sorted by trade_id and netting_set_id before the engine runs, so a netting set's numbers depend neither on
which other netting sets share its bucket nor on the order rows arrive in.

The wide trade rows travel alone on one side of the cogroup; the narrow valuation rows go with the
collateral (measured on 1,000,000 trades: the Arrow transfer of the trade side is the larger cost).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from saccr.contract import COLLATERAL_COLUMNS, REJECTED_COLUMNS
from saccr.engine import CalculationOptions, EngineResult, compute
from saccr.params import SupervisoryParameters
from saccr_pipeline.lakehouse.schemas import ENGINE_OUTPUTS, output_type

# record tag -> (engine result attribute, columns)
RECORDS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "trade": ("trades", ENGINE_OUTPUTS["saccr_trade"]),
    "hedging_set": ("hedging_sets", ENGINE_OUTPUTS["saccr_hedging_set"]),
    "netting_set": ("netting_sets", ENGINE_OUTPUTS["saccr_netting_set"]),
    "rejected": ("rejected", tuple(REJECTED_COLUMNS)),
}
# Collateral-side columns of a trade rejected before the engine (validate step): the engine's
# `prior_rejections`, so it holds or flags the trade's netting set as if it had rejected the trade itself.
PRIOR_COLUMNS = {f"prior_{c}": c for c in REJECTED_COLUMNS if c != "netting_set_id"}
PRIOR_ROW = "prior_row"  # the delivered row it came from (source file and row), one key per lost trade
# What a netting-set-side row holds: collateral terms, a valuation, or a trade rejected before the engine.
ROW_KIND = "row_kind"
COLLATERAL, VALUATION, PRIOR = "collateral", "valuation", "prior"
NETTING_SET_SIDE_COLUMNS = (
    ROW_KIND,
    *COLLATERAL_COLUMNS,
    "trade_id",
    "mtm",
    "mtm_currency",
    *PRIOR_COLUMNS,
    PRIOR_ROW,
)


def _tagged_schema() -> StructType:
    names: dict[str, DataType] = {}
    for _, columns in RECORDS.values():
        for name in columns:
            names.setdefault(name, output_type(name))
    return StructType(
        [StructField("record", StringType(), False)] + [StructField(n, t) for n, t in names.items()]
    )


TAGGED_SCHEMA = _tagged_schema()


def record_schema(record: str) -> StructType:
    """The columns of one record kind, as in :data:`TAGGED_SCHEMA`."""
    columns = set(RECORDS[record][1])
    return StructType([f for f in TAGGED_SCHEMA.fields if f.name in columns])


def _sorted_rows(frame: pd.DataFrame, selected: np.ndarray, key: str) -> pd.DataFrame:
    """The selected rows of `frame` ordered by the string column `key` (stable, by code point, missing keys
    last), renumbered from 0. Arrow sorts the keys: numpy's argsort of Python strings took 2.2 of the 6.8 s
    this class's `compute` spent over the 16 buckets of 1,000,000 trades (0.9 s with Arrow)."""
    rows = np.flatnonzero(selected)
    keys = pa.array(frame[key].to_numpy(dtype=object)[rows], type=pa.string(), from_pandas=True)
    order = pc.array_sort_indices(keys, order="ascending", null_placement="at_end").to_numpy()  # stable
    return frame.take(rows[order]).reset_index(drop=True)


def _column(pieces: list[tuple[pd.DataFrame, int]], name: str, kind: DataType) -> object:
    """One column of the stacked frame: each piece's values, or missing where the piece lacks the column."""
    if isinstance(kind, DoubleType):
        return np.concatenate(
            [
                f[name].to_numpy(dtype=float, na_value=np.nan) if name in f else np.full(n, np.nan)
                for f, n in pieces
            ]
        )
    if isinstance(kind, BooleanType | LongType | IntegerType):
        values = np.concatenate(
            [
                f[name].to_numpy(dtype=float, na_value=np.nan) if name in f else np.full(n, np.nan)
                for f, n in pieces
            ]
        )
        missing = np.isnan(values)
        filled = np.where(missing, 0, values)
        if isinstance(kind, BooleanType):
            return pd.arrays.BooleanArray(filled.astype(bool), missing)
        dtype = np.int64 if isinstance(kind, LongType) else np.int32
        return pd.arrays.IntegerArray(filled.astype(dtype), missing)
    return np.concatenate(
        [f[name].to_numpy(dtype=object) if name in f else np.full(n, None, dtype=object) for f, n in pieces]
    )


def tagged(result: EngineResult) -> pd.DataFrame:
    """The four outputs stacked with the union of their columns (:data:`TAGGED_SCHEMA`)."""
    frames = [(tag, getattr(result, attribute)) for tag, (attribute, _) in RECORDS.items()]
    pieces = [(frame, len(frame)) for _, frame in frames]
    data = {"record": np.repeat(np.array([tag for tag, _ in frames], dtype=object), [n for _, n in pieces])}
    for field in TAGGED_SCHEMA.fields[1:]:
        data[field.name] = _column(pieces, field.name, field.dataType)
    return pd.DataFrame(data, copy=False)  # no copy into 2-D blocks: Spark reads it column by column


@dataclass(frozen=True)
class BucketEngine:
    """The UDF of `cogroup(...).applyInPandas`: pickled once with the date's inputs that every bucket shares
    (market data, parameters, options) and called once per bucket."""

    as_of: dt.date
    market_data: pd.DataFrame  # validated silver market data: kind, key, value
    params: SupervisoryParameters
    options: CalculationOptions

    def __call__(self, trades: pd.DataFrame, netting_set_rows: pd.DataFrame) -> pd.DataFrame:
        out = tagged(self.compute(trades, netting_set_rows))
        out["as_of_date"] = np.full(len(out), self.as_of, dtype=object)  # rejections too: staging's partition
        return out

    def compute(self, trades: pd.DataFrame, netting_set_rows: pd.DataFrame) -> EngineResult:
        """The engine's results for one bucket: its trades, and its netting-set-side rows (:data:`ROW_KIND`
        collateral terms, valuations, trades rejected before the engine)."""
        kind = netting_set_rows[ROW_KIND].to_numpy(dtype=object)
        unknown = set(pd.unique(kind)) - {COLLATERAL, VALUATION, PRIOR}
        if unknown:
            raise ValueError(f"{ROW_KIND} values not understood: {sorted(map(str, unknown))}")
        prior_columns = ["netting_set_id", *PRIOR_COLUMNS, PRIOR_ROW]
        prior = netting_set_rows.loc[kind == PRIOR, prior_columns].rename(columns=PRIOR_COLUMNS)
        # The engine counts the trades a netting set lost before it by distinct trade_id, so one trade_id
        # quarantined in two netting sets, or two rows without a trade_id, would hold or count only one:
        # each delivered row gets a key of its own (the pipeline drops these rows from the engine's output).
        prior = prior.assign(trade_id=prior[PRIOR_ROW])[list(REJECTED_COLUMNS)]
        prior = prior.sort_values(list(REJECTED_COLUMNS), kind="stable", ignore_index=True)
        result = compute(
            _sorted_rows(trades, np.ones(len(trades), dtype=bool), "trade_id"),
            _sorted_rows(netting_set_rows, kind == VALUATION, "trade_id"),
            _sorted_rows(netting_set_rows, kind == COLLATERAL, "netting_set_id"),
            self.market_data,
            self.as_of,
            self.params,
            self.options,
            prior_rejections=prior.astype(object).where(prior.notna(), None),
        )
        return _without(result, prior)


def _without(result: EngineResult, prior: pd.DataFrame) -> EngineResult:
    """The engine returns the prior rejections with its own; they are in quarantine already."""
    if prior.empty:
        return result
    key = list(REJECTED_COLUMNS)
    seen = prior.assign(_prior=True).drop_duplicates(key).fillna("\0")
    marked = result.rejected.fillna("\0").merge(seen, on=key, how="left")["_prior"].notna().to_numpy()
    return EngineResult(result.trades, result.hedging_sets, result.netting_sets, result.rejected.loc[~marked])
