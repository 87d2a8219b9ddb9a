"""Extract frames as plain numpy columns: the engine's internal representation.

Working on a dict of arrays avoids pandas block copies on million-row frames. Conversions:
text -> object array with None for empty ("" included); float and int -> float64 with NaN;
date -> datetime64[ns] with NaT; bool -> float64 1.0 / 0.0 with NaN for empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Columns = dict[str, np.ndarray]


def columns_of(frame: pd.DataFrame, contract: dict[str, str]) -> Columns:
    """The contract columns of `frame` as numpy arrays, converted as above (no copy where possible)."""
    out: Columns = {}
    for name, kind in contract.items():
        series = frame[name]
        if kind == "str":
            values = series.to_numpy(dtype=object)
            empty = values == ""
            out[name] = np.where(empty, None, values) if empty.any() else values
        elif kind == "date":
            out[name] = pd.to_datetime(series).to_numpy(dtype="datetime64[ns]")
        elif kind == "bool":
            out[name] = series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        else:
            out[name] = series.to_numpy(dtype=float, na_value=np.nan)
    return out


def take(columns: Columns, rows: np.ndarray) -> Columns:
    """The selected rows (positions or boolean mask) of every column."""
    return {name: values[rows] for name, values in columns.items()}


def length(columns: Columns) -> int:
    """Number of rows."""
    return len(next(iter(columns.values()))) if columns else 0
