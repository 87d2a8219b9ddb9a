"""Inputs in, validated and converted: what `calculate` takes (CRE52.31-37 time parameters and notionals).

`prepare` checks every extract row by row (rejected rows are returned, never coerced), converts amounts to the
reporting currency with the market data, derives the time parameters M, S, E, T of each trade and the
collateral terms of each netting set. Vectorised over all netting sets at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from saccr import adjusted_notional as an
from saccr import supervisory_delta as sdelta
from saccr import time_parameters as tp
from saccr.columns import Columns, columns_of, length, take
from saccr.contract import (
    ADDED_COLUMNS,
    COLLATERAL_COLUMNS,
    MARKET_DATA_COLUMNS,
    REJECTED_COLUMNS,
    TRADE_COLUMNS,
    VALUATION_COLUMNS,
)
from saccr.errors import InputError
from saccr.options import CalculationOptions
from saccr.params import SupervisoryParameters
from saccr.trade_rules import TradeLookups, validate_trades
from saccr.validation import (
    Rejections,
    empty_rejections,
    validate_collateral,
    validate_market_data,
    validate_valuations,
)

HELD_RULE = "netting_set_held_incomplete"  # a trade left out with its incomplete netting set ("hold")


@dataclass(frozen=True)
class Prepared:
    """Validated inputs in the reporting currency, with time parameters; what `calculate` takes."""

    as_of: pd.Timestamp
    trades: Columns
    netting_sets: pd.DataFrame
    rejected: pd.DataFrame
    fx_rates: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # reporting ccy per unit

    def subset(self, netting_set_ids: np.ndarray) -> Prepared:
        """The inputs of the given netting sets only."""
        keep_ns = pd.Index(netting_set_ids).get_indexer(self.netting_sets["netting_set_id"]) >= 0
        keep_t = pd.Index(netting_set_ids).get_indexer(self.trades["netting_set_id"]) >= 0
        return Prepared(
            as_of=self.as_of,
            trades=take(self.trades, keep_t),
            netting_sets=self.netting_sets.loc[keep_ns].reset_index(drop=True),
            rejected=self.rejected.iloc[:0],
            fx_rates=self.fx_rates,
        )


def _require_columns(frame: pd.DataFrame, columns: dict[str, str], extract: str) -> pd.DataFrame:
    """`frame` with every contract column: a column added to the contract later (ADDED_COLUMNS) may be
    absent and reads as empty; any other missing column is an InputError."""
    missing = [c for c in columns if c not in frame.columns]
    absent = [c for c in missing if c in ADDED_COLUMNS[extract]]
    if len(absent) < len(missing):
        raise InputError(f"{extract}: missing columns {[c for c in missing if c not in absent]}")
    if not absent:
        return frame
    empty = {"str": None, "float": np.nan, "int": np.nan, "bool": np.nan, "date": pd.NaT}
    return frame.assign(**{c: empty[columns[c]] for c in absent})


def _lookup(table: pd.Series, keys: np.ndarray) -> np.ndarray:
    """table[key] per key (NaN where absent), hashing each distinct key once."""
    codes, uniques = pd.factorize(keys)
    if len(uniques) == 0:
        return np.full(len(keys), np.nan)
    values = table.reindex(uniques).to_numpy(dtype=float)
    return np.where(codes >= 0, values[codes], np.nan)


@dataclass(frozen=True)
class _MarketData:
    """Valid FX rates (the reporting currency's is 1) and prices."""

    fx: pd.Series
    price: pd.Series

    def rate(self, currencies: np.ndarray) -> np.ndarray:
        return _lookup(self.fx, currencies)

    def prices(self, underlyings: np.ndarray) -> np.ndarray:
        return _lookup(self.price, underlyings)


def _market_data(md: Columns, good: np.ndarray, reporting_currency: str) -> _MarketData:
    kind, key, value = md["kind"][good], md["key"][good], md["value"][good]
    fx = pd.Series(value[kind == "FX"], index=key[kind == "FX"], dtype=float)
    fx = pd.concat([fx.drop(reporting_currency, errors="ignore"), pd.Series({reporting_currency: 1.0})])
    return _MarketData(
        fx=fx, price=pd.Series(value[kind == "PRICE"], index=key[kind == "PRICE"], dtype=float)
    )


def _passed(rejections: Rejections, rows: int) -> np.ndarray:
    good = np.ones(rows, dtype=bool)
    good[rejections.frame()["_row"].to_numpy(dtype=np.int64)] = False
    return good


@dataclass(frozen=True)
class _TradeIds:
    """Trade ids of trades and valuations numbered together in one hashing pass."""

    trade: np.ndarray  # per trade row: id number, -1 if empty
    valuation: np.ndarray  # per valuation row
    trade_duplicate: np.ndarray
    valuation_duplicate: np.ndarray
    valuation_known: np.ndarray  # a trade row has this id
    count: int

    @classmethod
    def of(cls, trade_ids: np.ndarray, valuation_ids: np.ndarray) -> _TradeIds:
        codes, uniques = pd.factorize(np.concatenate([trade_ids, valuation_ids]))
        n = len(uniques)
        tc, vc = codes[: len(trade_ids)], codes[len(trade_ids) :]
        per_trade = np.bincount(tc[tc >= 0], minlength=n)
        per_valuation = np.bincount(vc[vc >= 0], minlength=n)
        return cls(
            trade=tc,
            valuation=vc,
            trade_duplicate=(tc >= 0) & (per_trade[tc] > 1),
            valuation_duplicate=(vc >= 0) & (per_valuation[vc] > 1),
            valuation_known=(vc >= 0) & (per_trade[vc] > 0),
            count=n,
        )


def prepare(
    trades: pd.DataFrame,
    valuations: pd.DataFrame,
    collateral: pd.DataFrame,
    market_data: pd.DataFrame,
    as_of: dt.date,
    params: SupervisoryParameters,
    options: CalculationOptions,
    prior_rejections: pd.DataFrame | None = None,
) -> Prepared:
    """Check the inputs row by row, convert amounts to the reporting currency, derive M, S, E, T."""
    trades = _require_columns(trades, TRADE_COLUMNS, "trades")
    valuations = _require_columns(valuations, VALUATION_COLUMNS, "valuations")
    collateral = _require_columns(collateral, COLLATERAL_COLUMNS, "collateral")
    market_data = _require_columns(market_data, MARKET_DATA_COLUMNS, "market_data")
    day = pd.Timestamp(as_of)
    ccy = options.reporting_currency

    md = columns_of(market_data, MARKET_DATA_COLUMNS)
    md_rej = validate_market_data(md, ccy)
    market = _market_data(md, _passed(md_rej, length(md)), ccy)

    col = columns_of(collateral, COLLATERAL_COLUMNS)
    col_rej = validate_collateral(col, ~np.isnan(market.rate(col["currency"])))
    col_ok = take(col, _passed(col_rej, length(col)))

    t = columns_of(trades, TRADE_COLUMNS)
    val = columns_of(valuations, VALUATION_COLUMNS)
    ids = _TradeIds.of(t["trade_id"], val["trade_id"])
    prior = _prior_trade_rejections(prior_rejections, t["trade_id"])
    # A valuation of a trade rejected before the engine is not an orphan: its trade is already reported.
    known = ids.valuation_known | (pd.Index(prior.trade_ids).get_indexer(val["trade_id"]) >= 0)
    mtm_rate = market.rate(val["mtm_currency"])
    val_rej = validate_valuations(val, ids.valuation_duplicate, known, ~np.isnan(mtm_rate))
    val_good = _passed(val_rej, length(val))
    valuation_row = np.full(ids.count + 1, -1, dtype=np.int64)  # the last slot stands for an empty id
    valuation_row[ids.valuation[val_good]] = np.flatnonzero(val_good)
    trade_valuation = valuation_row[ids.trade]

    ccy1 = t["notional_currency"]
    ns_all = t["netting_set_id"]
    price = market.prices(t["underlying_id"])
    look = TradeLookups(
        rate_1=market.rate(ccy1),
        rate_2=market.rate(t["currency_2"]),
        price=price,
        shift=option_shifts(t["asset_class"], ccy1, price, t["strike"], params),
        duplicate=ids.trade_duplicate,
        has_valuation=trade_valuation >= 0,
        has_collateral=pd.Index(col_ok["netting_set_id"]).get_indexer(ns_all) >= 0,
    )
    trade_rej = validate_trades(t, look, params, day)
    bad = ~_passed(trade_rej, length(t))

    rejected = [prior.frame, md_rej.frame(), col_rej.frame(), val_rej.frame(), trade_rej.frame()]
    incomplete = pd.unique(np.concatenate([ns_all[bad & pd.notna(ns_all)], prior.netting_sets]))
    if options.incomplete_netting_sets == "hold" and len(incomplete):
        held = ~bad & (pd.Index(incomplete).get_indexer(ns_all) >= 0)
        hold = Rejections("trades", t["trade_id"], ns_all)
        hold.add(
            held,
            "netting_set_id",
            HELD_RULE,
            "netting set held back: another of its trades was rejected",
        )
        rejected.append(hold.frame())
        bad |= held
        col_ok = take(col_ok, pd.Index(incomplete).get_indexer(col_ok["netting_set_id"]) < 0)

    found = [frame[list(REJECTED_COLUMNS)] for frame in rejected if len(frame)]
    rejected_frame = pd.concat(found, ignore_index=True) if found else empty_rejections()
    ok = np.flatnonzero(~bad)
    rows = trade_valuation[ok]
    mtm = val["mtm"][rows] * mtm_rate[rows]
    prepared_trades = _prepared_trades(take(t, ok), take_lookups(look, ok), mtm, day, params, ccy)
    rejected_trades = rejected_frame.loc[rejected_frame["extract"] == "trades"].drop_duplicates("trade_id")
    # Trades rejected before the engine still belong to their netting set (e.g. for the 5,000-trade rule).
    all_trade_rows = pd.Series(np.concatenate([ns_all, prior.netting_set_of_absent_trades])).value_counts()
    netting_sets = _prepared_netting_sets(
        col_ok, market, all_trade_rows, rejected_trades["netting_set_id"].value_counts()
    )
    return Prepared(
        as_of=day,
        trades=prepared_trades,
        netting_sets=netting_sets,
        rejected=rejected_frame,
        fx_rates=market.fx,
    )


def option_shifts(
    asset_class: np.ndarray,
    currency: np.ndarray,
    price: np.ndarray,
    strike: np.ndarray,
    params: SupervisoryParameters,
) -> np.ndarray:
    """The lambda of each option's P and K under the regime; NaN where the regime shifts none.

    IR, per currency: the currency's lambda, for every IR option in it whatever its P and K (CRE52.40 FAQ2).
    IR and commodity, per option: Delegated Regulation (EU) 2021/931 Art. 5(2) as amended by 2025/855.
    """
    ir, co = params.interest_rate, params.commodity
    is_ir, is_co = asset_class == "IR", asset_class == "COMMODITY"
    shift = np.full(len(asset_class), np.nan)
    if ir.lambda_method == "per_currency":
        lambdas = pd.Series(dict(ir.lambda_shift), dtype=float)
        shift = np.where(is_ir, _lookup(lambdas, currency), shift)
    elif ir.lambda_method == "per_option":
        shift = np.where(is_ir, sdelta.ir_option_lambda(price, strike, ir.lambda_threshold), shift)
    if co.lambda_method == "per_option":
        shift = np.where(is_co, sdelta.commodity_option_lambda(price, strike, co.lambda_threshold), shift)
    return shift


@dataclass(frozen=True)
class _PriorRejections:
    frame: pd.DataFrame
    trade_ids: np.ndarray  # trades rejected before the engine
    netting_sets: np.ndarray  # netting sets that lost a trade before the engine
    netting_set_of_absent_trades: np.ndarray  # one entry per rejected trade not in the trades frame


def _prior_trade_rejections(prior: pd.DataFrame | None, trade_ids: np.ndarray) -> _PriorRejections:
    if prior is None or prior.empty:
        empty = np.array([], dtype=object)
        return _PriorRejections(empty_rejections(), empty, empty, empty)
    missing = [c for c in REJECTED_COLUMNS if c not in prior.columns]
    if missing:
        raise InputError(f"prior_rejections: missing columns {missing}")
    frame = prior[list(REJECTED_COLUMNS)].reset_index(drop=True)
    lost = frame.loc[(frame["extract"] == "trades") & frame["netting_set_id"].notna()]
    lost = lost.drop_duplicates("trade_id")
    absent = lost.loc[~lost["trade_id"].isin(pd.Series(trade_ids))]
    return _PriorRejections(
        frame=frame,
        trade_ids=frame.loc[frame["extract"] == "trades", "trade_id"].dropna().unique(),
        netting_sets=lost["netting_set_id"].to_numpy(dtype=object),
        netting_set_of_absent_trades=absent["netting_set_id"].to_numpy(dtype=object),
    )


def take_lookups(look: TradeLookups, rows: np.ndarray) -> TradeLookups:
    """The lookups of the selected trade rows."""
    return TradeLookups(**{f: getattr(look, f)[rows] for f in TradeLookups.__dataclass_fields__})


def _prepared_trades(
    t: Columns,
    look: TradeLookups,
    mtm: np.ndarray,
    day: pd.Timestamp,
    params: SupervisoryParameters,
    reporting_currency: str,
) -> Columns:
    """Validated trades with amounts in the reporting currency and time parameters M, S, E, T."""
    days = params.general.days_per_year
    ac = t["asset_class"]
    period = (ac == "IR") | (ac == "CREDIT")
    is_option = pd.notna(t["option_type"])
    notional = t["notional"] * look.rate_1
    strike = t["strike"]
    return {
        "trade_id": t["trade_id"],
        "netting_set_id": t["netting_set_id"],
        "asset_class": ac,
        "is_long": t["direction"] == "LONG",
        "notional_currency": t["notional_currency"],
        "currency_2": t["currency_2"],
        "notional_reporting": notional,
        "leg_2_reporting": t["notional_2"] * look.rate_2,
        "leg_1_is_reporting": t["notional_currency"] == reporting_currency,
        "leg_2_is_reporting": t["currency_2"] == reporting_currency,
        "units_value_reporting": an.units_adjusted_notional(
            t["quantity"], look.price * look.rate_1, notional
        ),
        "m": tp.maturity(t["maturity_date"], day, days),
        "s": np.where(period, tp.start_of_period(t["start_date"], day, days), np.nan),
        "e": np.where(period, tp.end_of_period(t["end_date"], day, days), np.nan),
        "t": np.where(is_option, tp.exercise_time(t["exercise_date"], day, days), np.nan),
        "is_option": is_option,
        "is_call": t["option_type"] == "CALL",
        "price": look.price,
        "strike": strike,
        # The regime's lambda of the option (option_shifts); 0 where none applies.
        "shift": np.where(np.isnan(look.shift), 0.0, look.shift),
        "attachment": t["attachment"],
        "detachment": t["detachment"],
        "reference_entity": t["reference_entity"],
        "is_index": t["is_index"] == 1.0,
        "credit_quality": t["credit_quality"],
        "commodity_type": t["commodity_type"],
        "commodity": t["commodity"],
        "basis_key": t["basis_key"],
        "is_volatility": t["is_volatility"] == 1.0,
        "trade_date": t["trade_date"],
        "mtm": mtm,
    }


def _prepared_netting_sets(
    col: Columns, market: _MarketData, trade_rows: pd.Series, rejected_count: pd.Series
) -> pd.DataFrame:
    """Collateral terms in the reporting currency, one row per netting set, sorted by id."""
    col = take(col, np.argsort(col["netting_set_id"].astype(str), kind="stable"))
    rate = market.rate(col["currency"])
    ns = col["netting_set_id"]
    return pd.DataFrame(
        {
            "netting_set_id": ns,
            "counterparty_id": col["counterparty_id"],
            "legal_entity": col["legal_entity"],
            "margined": col["margined"] == 1.0,
            "cleared": col["cleared"] == 1.0,
            **{
                name: col[name] * rate
                for name in (
                    "vm_received",
                    "vm_posted",
                    "ia_received",
                    "ia_posted_unsegregated",
                    "threshold",
                    "mta",
                )
            },
            "remargin_period_days": col["remargin_period_days"],
            "disputes": col["disputes"],
            "illiquid_collateral": col["illiquid_collateral"] == 1.0,
            "hard_to_replace": col["hard_to_replace"] == 1.0,
            "mpor_override_days": col["mpor_override_days"],
            # Empty reads as the conservative default: a financial counterparty, not CVA-exempt, no VM
            # recognised in the leverage exposure, the CCP leg counted (README "Input contract").
            "counterparty_type": np.where(
                pd.isna(col["counterparty_type"]), "FINANCIAL", col["counterparty_type"]
            ),
            "cva_exempt": col["cva_exempt"] == 1.0,
            "vm_cash_eligible": col["vm_cash_eligible"] == 1.0,
            "ccp_leg_exempt": col["ccp_leg_exempt"] == 1.0,
            "input_trade_count": pd.Series(ns, dtype=object)
            .map(trade_rows)
            .fillna(0)
            .to_numpy(dtype=np.int64),
            "rejected_trade_count": pd.Series(ns, dtype=object)
            .map(rejected_count)
            .fillna(0)
            .to_numpy(dtype=np.int64),
        }
    )
