"""Row-level input rules of market data, collateral and valuations (the trades' own: saccr.trade_rules).

A broken rule rejects the row; nothing is coerced or defaulted.

Each rule is a vectorised mask. The result is one rejected row per (row, rule broken) naming the
extract, trade, netting set, field and rule, so the pipeline can route it to quarantine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from saccr.columns import Columns
from saccr.contract import COUNTERPARTY_TYPES, MARKET_DATA_KINDS, REJECTED_COLUMNS

Message = Callable[[np.ndarray], np.ndarray]


def says(prefix: str, values: np.ndarray, suffix: str = "") -> Message:
    """A message quoting each failing row's value: prefix + value + suffix."""
    return lambda rows: np.array([f"{prefix}{v}{suffix}" for v in values[rows]], dtype=object)


@dataclass
class Rejections:
    """Collects rejected rows of one extract."""

    extract: str
    trade_id: np.ndarray
    netting_set_id: np.ndarray
    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, mask: np.ndarray, field_name: str, rule: str, message: str | Message) -> None:
        """Reject the rows where `mask` holds, for breaking `rule` on `field_name`.

        `message` is a text, or a function building the texts of the failing rows only.
        """
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return
        text = message(rows) if callable(message) else np.full(rows.size, message, dtype=object)
        self.parts.append(
            pd.DataFrame(
                {
                    "extract": self.extract,
                    "trade_id": self.trade_id[rows],
                    "netting_set_id": self.netting_set_id[rows],
                    "field": field_name,
                    "rule": rule,
                    "message": text,
                    "_row": rows,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """All rejections, with the positional row number in `_row`."""
        if not self.parts:
            return empty_rejections(with_row=True)
        return pd.concat(self.parts, ignore_index=True)


def empty_rejections(with_row: bool = False) -> pd.DataFrame:
    """A rejected-rows frame with no rows."""
    columns = list(REJECTED_COLUMNS) + (["_row"] if with_row else [])
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def one_of(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """values in `allowed`, by hashing (np.isin sorts object arrays, which is slow)."""
    return pd.Index(allowed).get_indexer(values) >= 0


def blank(values: np.ndarray) -> np.ndarray:
    """True where a text value is missing or empty."""
    return pd.isna(values) | (values == "")


def validate_market_data(md: Columns, reporting_currency: str) -> Rejections:
    """Market data: known kind, a key, a finite value, positive FX rates, one row per (kind, key)."""
    n = len(md["kind"])
    kind, key = md["kind"], md["key"]
    value = md["value"]
    r = Rejections("market_data", np.full(n, None, dtype=object), np.full(n, None, dtype=object))
    r.add(~one_of(kind, MARKET_DATA_KINDS), "kind", "enumeration", "kind must be FX or PRICE")
    r.add(blank(key), "key", "required", "key is empty")
    r.add(~np.isfinite(value), "value", "required", "value is empty or not finite")
    r.add((kind == "FX") & ~(value > 0), "value", "fx_rate_positive", "FX rate must be > 0")
    r.add(
        (kind == "FX") & (key == reporting_currency) & (value != 1.0),
        "value",
        "reporting_currency_rate",
        f"the FX rate of the reporting currency {reporting_currency} must be 1",
    )
    dup = pd.DataFrame({"k": kind, "key": key}).duplicated(keep=False).to_numpy()
    r.add(dup, "key", "duplicate_key", "more than one market-data row for this kind and key")
    return r


def validate_collateral(col: Columns, has_rate: np.ndarray) -> Rejections:
    """Collateral terms: one complete row per netting set, amounts >= 0 (after haircuts)."""
    ns = col["netting_set_id"]
    r = Rejections("collateral", np.full(len(col["netting_set_id"]), None, dtype=object), ns)
    r.add(blank(ns), "netting_set_id", "required", "netting_set_id is empty")
    r.add(
        pd.Series(ns).duplicated(keep=False).to_numpy() & ~blank(ns),
        "netting_set_id",
        "duplicate_key",
        "more than one collateral row for this netting set",
    )
    for name in ("margined", "cleared", "illiquid_collateral", "hard_to_replace"):
        r.add(np.isnan(col[name]), name, "required", f"{name} must be true or false")
    r.add(
        blank(col["legal_entity"]),
        "legal_entity",
        "required",
        "legal_entity (the bank's booking entity) is empty",
    )
    r.add(blank(col["currency"]), "currency", "required", "currency is empty")
    r.add(
        ~blank(col["currency"]) & ~has_rate,
        "currency",
        "fx_rate_missing",
        "no FX rate for the collateral currency",
    )
    for name in (
        "vm_received",
        "vm_posted",
        "ia_received",
        "ia_posted_unsegregated",
        "ia_posted_segregated",
        "threshold",
        "mta",
    ):
        v = col[name]
        r.add(np.isnan(v), name, "required", f"{name} is empty")
        r.add(v < 0, name, "non_negative", f"{name} must be >= 0 (posted amounts are given as positive)")
    remargin = col["remargin_period_days"]
    r.add(np.isnan(remargin), "remargin_period_days", "required", "remargin_period_days is empty")
    r.add(remargin < 1, "remargin_period_days", "positive", "remargin_period_days must be >= 1")
    disputes = col["disputes"]
    r.add(np.isnan(disputes), "disputes", "required", "disputes is empty")
    r.add(disputes < 0, "disputes", "non_negative", "disputes must be >= 0")
    override = col["mpor_override_days"]
    r.add(override < 1, "mpor_override_days", "positive", "mpor_override_days must be >= 1 when given")
    kind = col["counterparty_type"]
    r.add(
        ~blank(kind) & ~one_of(kind, COUNTERPARTY_TYPES),
        "counterparty_type",
        "enumeration",
        f"counterparty_type must be one of {', '.join(COUNTERPARTY_TYPES)} or empty (= FINANCIAL)",
    )
    r.add(
        (col["ccp_leg_exempt"] == 1.0) & (col["cleared"] == 0.0),
        "ccp_leg_exempt",
        "not_for_product",
        "ccp_leg_exempt applies to cleared netting sets only (a clearing member's trades with a QCCP)",
    )
    return r


def validate_valuations(
    val: Columns, duplicate: np.ndarray, known_trade: np.ndarray, has_rate: np.ndarray
) -> Rejections:
    """Valuations: one per trade, a finite MtM, a currency with an FX rate, a trade behind it."""
    tid = val["trade_id"]
    r = Rejections("valuations", tid, np.full(len(val["trade_id"]), None, dtype=object))
    mtm = val["mtm"]
    r.add(blank(tid), "trade_id", "required", "trade_id is empty")
    r.add(~np.isfinite(mtm), "mtm", "required", "mtm is empty or not finite")
    ccy = val["mtm_currency"]
    r.add(blank(ccy), "mtm_currency", "required", "mtm_currency is empty")
    r.add(~blank(ccy) & ~has_rate, "mtm_currency", "fx_rate_missing", "no FX rate for mtm_currency")
    r.add(duplicate, "trade_id", "duplicate_key", "more than one valuation for this trade")
    r.add(~blank(tid) & ~known_trade, "trade_id", "valuation_without_trade", "no trade with this trade_id")
    return r
