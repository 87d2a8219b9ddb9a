"""Tiny contract frames built inline, typed exactly as the extract reader types them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from saccr.contract import COLLATERAL_COLUMNS, MARKET_DATA_COLUMNS, TRADE_COLUMNS, VALUATION_COLUMNS

AS_OF = dt.date(2025, 1, 2)


def day(years: float, as_of: dt.date = AS_OF) -> pd.Timestamp:
    """The date `years` ACT/365 years after the as-of date (whole days)."""
    return pd.Timestamp(as_of) + pd.Timedelta(days=round(years * 365))


def _typed(rows: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    unknown = {k for r in rows for k in r} - set(columns)
    assert not unknown, f"not contract columns: {unknown}"
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
    for name, kind in columns.items():
        if kind == "float":
            frame[name] = frame[name].astype(float)
        elif kind == "date":
            frame[name] = pd.to_datetime(frame[name])
        elif kind == "bool":
            frame[name] = frame[name].astype("boolean")
        elif kind == "int":
            frame[name] = frame[name].astype("Int64")
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def trades(*rows: dict[str, Any]) -> pd.DataFrame:
    return _typed(list(rows), TRADE_COLUMNS)


def valuations(mtm: dict[str, float], currency: str = "USD") -> pd.DataFrame:
    return _typed(
        [{"trade_id": k, "mtm": v, "mtm_currency": currency} for k, v in mtm.items()], VALUATION_COLUMNS
    )


def collateral_row(netting_set_id: str, **terms: Any) -> dict[str, Any]:
    """An unmargined netting set with no collateral, unless `terms` say otherwise."""
    row = {
        "netting_set_id": netting_set_id,
        "counterparty_id": "CP-" + netting_set_id,
        "legal_entity": "BANK_PLC",
        "margined": False,
        "cleared": False,
        "currency": "USD",
        "vm_received": 0.0,
        "vm_posted": 0.0,
        "ia_received": 0.0,
        "ia_posted_unsegregated": 0.0,
        "ia_posted_segregated": 0.0,
        "threshold": 0.0,
        "mta": 0.0,
        "remargin_period_days": 1,
        "disputes": 0,
        "illiquid_collateral": False,
        "hard_to_replace": False,
        "mpor_override_days": None,
    }
    row.update(terms)
    return row


def collateral(*rows: dict[str, Any]) -> pd.DataFrame:
    return _typed(list(rows), COLLATERAL_COLUMNS)


def market_data(fx: dict[str, float] | None = None, prices: dict[str, float] | None = None) -> pd.DataFrame:
    rows = [{"kind": "FX", "key": k, "value": v} for k, v in (fx or {}).items()]
    rows += [{"kind": "PRICE", "key": k, "value": v} for k, v in (prices or {}).items()]
    return (
        _typed(rows, MARKET_DATA_COLUMNS)
        if rows
        else pd.DataFrame(
            {"kind": pd.Series(dtype=object), "key": pd.Series(dtype=object), "value": pd.Series(dtype=float)}
        )
    )


def one(frame: pd.DataFrame, **where: Any) -> pd.Series:
    """The single row of `frame` matching `where`."""
    mask = np.ones(len(frame), dtype=bool)
    for k, v in where.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}"
    return frame.loc[mask].iloc[0]
