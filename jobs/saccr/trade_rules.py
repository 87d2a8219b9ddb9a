"""Row-level rules of the trades extract, one group per concept, each naming the paragraph it serves.

A broken rule rejects the row (saccr.validation.Rejections); nothing is coerced or defaulted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr.columns import Columns
from saccr.contract import ASSET_CLASSES, COMMODITY_TYPES, CREDIT_QUALITIES_INDEX, DIRECTIONS, OPTION_TYPES
from saccr.params import SupervisoryParameters
from saccr.validation import Rejections, one_of, says

TEXT_FIELDS = (
    "trade_id",
    "netting_set_id",
    "notional_currency",
    "currency_2",
    "reference_entity",
    "underlying_id",
    "option_type",
    "commodity",
    "basis_key",
)


@dataclass(frozen=True)
class TradeLookups:
    """Per-trade values resolved from the other extracts before the rules run."""

    rate_1: np.ndarray  # FX rate of notional_currency (NaN if none)
    rate_2: np.ndarray  # FX rate of currency_2
    price: np.ndarray  # PRICE of underlying_id
    shift: np.ndarray  # the regime's lambda of an option's P and K (NaN where none applies)
    duplicate: np.ndarray  # the trade_id appears on more than one trade row
    has_valuation: np.ndarray
    has_collateral: np.ndarray


@dataclass(frozen=True)
class TradeView:
    """The trade columns the rules read, with the masks every rule group shares."""

    t: Columns
    look: TradeLookups
    params: SupervisoryParameters
    day: np.datetime64
    empty: dict[str, np.ndarray]  # text column -> value missing
    ir: np.ndarray
    fx: np.ndarray
    credit: np.ndarray
    equity: np.ndarray
    commodity: np.ndarray
    other: np.ndarray
    is_option: np.ndarray
    has_quantity: np.ndarray

    @classmethod
    def of(
        cls, t: Columns, look: TradeLookups, params: SupervisoryParameters, as_of: pd.Timestamp
    ) -> TradeView:
        ac = t["asset_class"]
        empty = {name: pd.isna(t[name]) for name in TEXT_FIELDS}
        return cls(
            t=t,
            look=look,
            params=params,
            day=np.datetime64(as_of, "ns"),
            empty=empty,
            ir=ac == "IR",
            fx=ac == "FX",
            credit=ac == "CREDIT",
            equity=ac == "EQUITY",
            commodity=ac == "COMMODITY",
            other=ac == "OTHER",
            is_option=~empty["option_type"],
            has_quantity=~np.isnan(t["quantity"]),
        )


def validate_trades(
    t: Columns, look: TradeLookups, params: SupervisoryParameters, as_of: pd.Timestamp
) -> Rejections:
    """Trade rules: enumerations, fields each product needs, positive amounts, date order, and what the
    regime of `params` accepts (its asset classes, credit qualities, option shifts).

    Text columns hold None for an empty value (the engine normalises "" before calling this). The rules are
    grouped by what they check; each group names the paragraph that needs the fields it checks.
    """
    r = Rejections("trades", t["trade_id"], t["netting_set_id"])
    v = TradeView.of(t, look, params, as_of)
    for rules in (
        _identity_rules,
        _notional_rules,
        _maturity_rules,
        _trade_date_rules,
        _period_rules,
        _fx_rules,
        _entity_rules,
        _commodity_rules,
        _unit_rules,
        _option_rules,
        _option_price_rules,
        _tranche_rules,
        _special_hedging_set_rules,
        _cross_extract_rules,
    ):
        rules(r, v)
    return r


def _identity_rules(r: Rejections, v: TradeView) -> None:
    """Keys and enumerations every trade needs."""
    ac = v.t["asset_class"]
    r.add(v.empty["trade_id"], "trade_id", "required", "trade_id is empty")
    r.add(v.look.duplicate, "trade_id", "duplicate_key", "trade_id appears more than once")
    r.add(v.empty["netting_set_id"], "netting_set_id", "required", "netting_set_id is empty")
    r.add(
        ~one_of(ac, ASSET_CLASSES),
        "asset_class",
        "enumeration",
        says("unknown asset class '", ac, f"' (expected one of {', '.join(ASSET_CLASSES)})"),
    )
    r.add(
        v.other & (v.params.other is None),
        "asset_class",
        "not_in_regime",
        f"asset class OTHER (CRR Art. 277(1)(f)) does not exist under {v.params.regime}",
    )
    r.add(
        ~one_of(v.t["direction"], DIRECTIONS), "direction", "enumeration", "direction must be LONG or SHORT"
    )


def _notional_rules(r: Rejections, v: TradeView) -> None:
    """A positive notional in a currency with an FX rate (CRE52.33: d in the reporting currency)."""
    notional = v.t["notional"]
    r.add(np.isnan(notional), "notional", "required", "notional is empty")
    r.add(notional <= 0, "notional", "positive", says("notional must be > 0, got ", notional))
    r.add(v.empty["notional_currency"], "notional_currency", "required", "notional_currency is empty")
    r.add(
        ~v.empty["notional_currency"] & np.isnan(v.look.rate_1),
        "notional_currency",
        "fx_rate_missing",
        says("no FX rate for ", v.t["notional_currency"]),
    )


def _maturity_rules(r: Rejections, v: TradeView) -> None:
    """M: the latest date the contract may be active, not in the past (CRE52.31)."""
    maturity = v.t["maturity_date"]
    r.add(np.isnat(maturity), "maturity_date", "required", "maturity_date is empty")
    r.add(
        maturity < v.day,
        "maturity_date",
        "maturity_before_as_of",
        says(
            "maturity_date ",
            maturity.astype("datetime64[D]"),
            f" is before the as-of date {v.day.astype('datetime64[D]')}",
        ),
    )


def _trade_date_rules(r: Rejections, v: TradeView) -> None:
    """The date the trade was entered (optional; the PRA's transition from 2027 reads it) is not after the
    as-of date."""
    r.add(
        v.t["trade_date"] > v.day,
        "trade_date",
        "trade_date_after_as_of",
        "trade_date is after the as-of date",
    )


def _period_rules(r: Rejections, v: TradeView) -> None:
    """IR and credit reference a period: S and E (CRE52.31)."""
    start, end = v.t["start_date"], v.t["end_date"]
    period = v.ir | v.credit
    r.add(
        period & np.isnat(start), "start_date", "required_for_product", "IR and credit trades need start_date"
    )
    r.add(period & np.isnat(end), "end_date", "required_for_product", "IR and credit trades need end_date")
    r.add(period & (start > end), "start_date", "date_order", "start_date is after end_date")
    r.add(period & (end < v.day), "end_date", "end_before_as_of", "end_date is before the as-of date")


def _fx_rules(r: Rejections, v: TradeView) -> None:
    """FX: both legs, in two currencies with FX rates (CRE52.35)."""
    fx, ccy2 = v.fx, v.t["currency_2"]
    no_ccy2 = v.empty["currency_2"]
    r.add(
        fx & ~(v.t["notional_2"] > 0), "notional_2", "required_for_product", "FX trades need notional_2 > 0"
    )
    r.add(fx & no_ccy2, "currency_2", "required_for_product", "FX trades need currency_2")
    r.add(
        fx & ~no_ccy2 & (ccy2 == v.t["notional_currency"]),
        "currency_2",
        "same_currency",
        "currency_2 equals notional_currency",
    )
    r.add(
        fx & ~no_ccy2 & np.isnan(v.look.rate_2),
        "currency_2",
        "fx_rate_missing",
        says("no FX rate for ", ccy2),
    )


def _entity_rules(r: Rejections, v: TradeView) -> None:
    """Credit and equity name an entity (CRE52.61, CRE52.66), other risks their primary risk driver (CRR
    Art. 277a(1)(f)); credit has a quality the regime knows (CRE52.72; CRR Art. 280c(5); 12 CFR 217.132
    Table 3)."""
    t = v.t
    entity_class = v.credit | v.equity
    is_index_null = np.isnan(t["is_index"])
    is_index = t["is_index"] == 1.0
    r.add(
        entity_class & v.empty["reference_entity"],
        "reference_entity",
        "required_for_product",
        "credit and equity trades need reference_entity",
    )
    r.add(
        v.other & v.empty["reference_entity"],
        "reference_entity",
        "required_for_product",
        "other-risk trades need reference_entity (their primary risk driver, which sets the hedging set)",
    )
    r.add(
        entity_class & is_index_null,
        "is_index",
        "required_for_product",
        "credit and equity trades need is_index",
    )
    quality = t["credit_quality"]
    single_name_codes = tuple(v.params.credit.single_name_grade)
    good_quality = np.where(
        is_index, one_of(quality, CREDIT_QUALITIES_INDEX), one_of(quality, single_name_codes)
    )
    single_name_message = (
        f"single-name credit_quality must be one of {', '.join(single_name_codes)} under {v.params.regime}"
    )
    r.add(
        v.credit & ~is_index_null & ~good_quality,
        "credit_quality",
        "enumeration",
        lambda rows: np.where(is_index[rows], "index credit_quality must be IG or SG", single_name_message),
    )
    _reject_inconsistent_entities(r, t, entity_class)


def _commodity_rules(r: Rejections, v: TradeView) -> None:
    """Commodity: the type that sets the hedging set, and the commodity inside it (CRE52.45(5), CRE52.70)."""
    r.add(
        v.commodity & ~one_of(v.t["commodity_type"], COMMODITY_TYPES),
        "commodity_type",
        "enumeration",
        f"commodity_type must be one of {', '.join(COMMODITY_TYPES)}",
    )
    r.add(
        v.commodity & v.empty["commodity"],
        "commodity",
        "required_for_product",
        "commodity trades need commodity (the commodity type within the hedging set)",
    )


def _unit_rules(r: Rejections, v: TradeView) -> None:
    """Units priced from market data: price of one unit x number of units (CRE52.36)."""
    has_qty = v.has_quantity
    r.add(
        has_qty & ~(v.equity | v.commodity),
        "quantity",
        "not_for_product",
        "quantity applies to equity and commodity only",
    )
    r.add(has_qty & ~(v.t["quantity"] > 0), "quantity", "positive", "quantity must be > 0")
    r.add(
        has_qty & v.empty["underlying_id"],
        "underlying_id",
        "required_for_product",
        "a trade with quantity needs underlying_id to price its units",
    )


def _option_rules(r: Rejections, v: TradeView) -> None:
    """Options: type, latest exercise date T, strike K and a priced underlying P (CRE52.40)."""
    t, is_option = v.t, v.is_option
    exercise = t["exercise_date"]
    r.add(
        is_option & ~one_of(t["option_type"], OPTION_TYPES),
        "option_type",
        "enumeration",
        "option_type must be CALL, PUT or empty",
    )
    r.add(
        is_option & np.isnat(exercise), "exercise_date", "required_for_product", "options need exercise_date"
    )
    r.add(
        is_option & (exercise < v.day),
        "exercise_date",
        "exercise_before_as_of",
        "exercise_date is before the as-of date",
    )
    r.add(
        is_option & (exercise > t["maturity_date"]),
        "exercise_date",
        "date_order",
        "exercise_date is after maturity_date",
    )
    r.add(is_option & ~np.isfinite(t["strike"]), "strike", "required_for_product", "options need strike")
    r.add(
        is_option & v.empty["underlying_id"],
        "underlying_id",
        "required_for_product",
        "options need underlying_id (the price or forward rate of the underlying)",
    )
    r.add(
        (is_option | v.has_quantity) & ~v.empty["underlying_id"] & np.isnan(v.look.price),
        "underlying_id",
        "price_missing",
        says("no PRICE in market data for underlying_id ", t["underlying_id"]),
    )


def _option_price_rules(r: Rejections, v: TradeView) -> None:
    """ln(P / K) needs P, K > 0 unless the regime shifts both by lambda: per currency for IR options (CRE52.40
    FAQ2), per option for IR and commodity options (Delegated Regulation (EU) 2021/931 Art. 5)."""
    look, strike = v.look, v.t["strike"]
    ir, co = v.params.interest_rate.lambda_method, v.params.commodity.lambda_method
    shifted_class = (v.ir & (ir != "none")) | (v.commodity & (co != "none"))
    not_positive = v.is_option & (np.fmin(look.price, strike) <= 0)
    r.add(
        not_positive & ~shifted_class,
        "strike",
        "non_positive_price_or_strike",
        f"P or K <= 0 and {v.params.regime} shifts no option of this asset class by lambda",
    )
    p, k = look.price + look.shift, strike + look.shift
    per_option = (v.ir & (ir == "per_option")) | (v.commodity & (co == "per_option"))
    # A per-option lambda leaves P + lambda or K + lambda at 0 only where the other is positive: d1 is then
    # -inf or +inf, the formula's limit (saccr.supervisory_delta.option_delta).
    shifted_ok = np.where(per_option, (p >= 0) & (k >= 0) & (p + k > 0), (p > 0) & (k > 0))
    r.add(
        not_positive & shifted_class & ~shifted_ok,
        "strike",
        "lambda_shift_missing",
        says("P or K <= 0 and no sufficient lambda shift configured for ", v.t["notional_currency"]),
    )


def _tranche_rules(r: Rejections, v: TradeView) -> None:
    """CDO tranches and nth-to-default: 0 <= A < D <= 1, credit only, not optional (CRE52.41)."""
    attach, detach = v.t["attachment"], v.t["detachment"]
    is_tranche = ~np.isnan(attach) | ~np.isnan(detach)
    r.add(
        is_tranche & ~v.credit, "attachment", "not_for_product", "attachment/detachment apply to credit only"
    )
    r.add(
        is_tranche & (np.isnan(attach) | np.isnan(detach)),
        "detachment",
        "required_for_product",
        "tranches need both attachment and detachment",
    )
    r.add(
        is_tranche & ~((attach >= 0) & (attach < detach) & (detach <= 1)),
        "attachment",
        "tranche_bounds",
        "tranches need 0 <= attachment < detachment <= 1",
    )
    r.add(
        is_tranche & v.is_option,
        "option_type",
        "unsupported_combination",
        "options on tranches are not supported",
    )


def _special_hedging_set_rules(r: Rejections, v: TradeView) -> None:
    """A trade is a basis (CRE52.46) or a volatility transaction (CRE52.47), not both."""
    r.add(
        ~v.empty["basis_key"] & (v.t["is_volatility"] == 1.0),
        "basis_key",
        "unsupported_combination",
        "a trade cannot be both a basis and a volatility transaction",
    )


def _cross_extract_rules(r: Rejections, v: TradeView) -> None:
    """Every trade has a valuation (V, CRE52.10) and its netting set a collateral row."""
    r.add(~v.look.has_valuation, "trade_id", "trade_without_valuation", "no valid valuation for this trade")
    r.add(
        ~v.empty["netting_set_id"] & ~v.look.has_collateral,
        "netting_set_id",
        "netting_set_without_collateral",
        "no valid collateral row for this netting set",
    )


def _reject_inconsistent_entities(r: Rejections, t: Columns, entity_trade: np.ndarray) -> None:
    """One entity must have one credit quality and one index flag everywhere (CRE52.61)."""
    if not entity_trade.any():
        return
    sub = pd.DataFrame(
        {
            "ac": t["asset_class"][entity_trade],
            "entity": t["reference_entity"][entity_trade],
            "attrs": t["credit_quality"][entity_trade].astype(str)
            + "|"
            + t["is_index"][entity_trade].astype(str),
        }
    )
    varieties = sub.groupby(["ac", "entity"], sort=False)["attrs"].transform("nunique").to_numpy()
    bad = np.zeros(len(entity_trade), dtype=bool)
    bad[np.flatnonzero(entity_trade)] = varieties > 1
    r.add(
        bad,
        "reference_entity",
        "inconsistent_entity",
        "the same reference_entity has different credit_quality or is_index values",
    )
