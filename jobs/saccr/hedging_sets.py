"""Hedging sets, supervisory factors, correlations and option volatilities per trade.

Hedging sets (CRE52.45): IR per currency, FX per currency pair, one for credit, one for equity,
four for commodities. Basis transactions form a hedging set per pair of risk factors with the
supervisory factor halved (CRE52.46); volatility transactions form their own hedging sets with the
factor multiplied by five (CRE52.47). Parameters are the regime's (CRE52.72, Table 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr.params import SupervisoryParameters

REGULAR, BASIS, VOLATILITY = "REGULAR", "BASIS", "VOLATILITY"


@dataclass(frozen=True)
class HedgingSetAssignment:
    """Per-trade hedging-set key and the supervisory parameters that go with it."""

    key: np.ndarray  # object: hedging set within the asset class
    kind: np.ndarray  # object: REGULAR / BASIS / VOLATILITY
    risk_key: np.ndarray  # object: entity (credit, equity) or commodity type; None otherwise
    supervisory_factor: np.ndarray  # incl. the basis / volatility multiplier
    correlation: np.ndarray  # rho of the entity or commodity; NaN for IR and FX
    option_volatility: np.ndarray
    fx_sign: np.ndarray  # +1, or -1 where notional_currency sorts second in the pair


def _lookup(keys: np.ndarray, table: dict[str, float]) -> np.ndarray:
    return pd.Series(keys, dtype=object).map(table).to_numpy(dtype=float)


def assign_hedging_sets(t: pd.DataFrame, p: SupervisoryParameters) -> HedgingSetAssignment:
    """Assign every (validated) trade of `t` to its hedging set; vectorised over all trades."""
    n = len(t)
    ac = t["asset_class"].to_numpy(dtype=object)
    ir, fx, cr, eq, co = (ac == name for name in ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY"))
    basis_key = t["basis_key"].to_numpy(dtype=object)
    is_basis = pd.notna(basis_key) & (basis_key != "")
    is_vol = t["is_volatility"].to_numpy(dtype=bool)
    kind = np.where(is_basis, BASIS, np.where(is_vol, VOLATILITY, REGULAR)).astype(object)
    is_index = t["is_index"].to_numpy(dtype=bool)
    ccy1 = t["notional_currency"].to_numpy(dtype=object)
    ccy2 = t["currency_2"].to_numpy(dtype=object)
    commodity_type = t["commodity_type"].to_numpy(dtype=object)

    # Regular hedging-set key per class; FX pairs in alphabetical order (project convention).
    fx_first = np.where(fx, ccy1.astype(str) < ccy2.astype(str), True)
    pair = np.where(fx_first, ccy1.astype(str) + "/" + ccy2.astype(str), ccy2.astype(str) + "/" + ccy1.astype(str))
    commodity_set = pd.Series(commodity_type, dtype=object).map(p.commodity.hedging_set).to_numpy(dtype=object)
    regular = np.select([ir, fx, cr, eq, co], [ccy1, pair, "CREDIT", "EQUITY", commodity_set], None)
    basis = np.where(ir, ccy1.astype(str) + " BASIS " + basis_key.astype(str), "BASIS " + basis_key.astype(str))
    key = np.where(kind == BASIS, basis, np.where(kind == VOLATILITY, "VOLATILITY " + regular.astype(str), regular))

    credit_quality = t["credit_quality"].to_numpy(dtype=object)
    sf_credit = np.where(
        is_index,
        _lookup(credit_quality, dict(p.credit.index_supervisory_factor)),
        _lookup(credit_quality, dict(p.credit.single_name_supervisory_factor)),
    )
    sf_equity = np.where(is_index, p.equity.index_supervisory_factor, p.equity.single_name_supervisory_factor)
    sf_commodity = _lookup(commodity_type, dict(p.commodity.supervisory_factor))
    base_sf = np.select(
        [ir, fx, cr, eq, co],
        [p.interest_rate.supervisory_factor, p.fx.supervisory_factor, sf_credit, sf_equity, sf_commodity],
        np.nan,
    )
    g = p.general
    multiplier = np.where(kind == BASIS, g.basis_sf_multiplier, np.where(kind == VOLATILITY, g.volatility_sf_multiplier, 1.0))

    correlation = np.select(
        [cr, eq, co],
        [
            np.where(is_index, p.credit.index_correlation, p.credit.single_name_correlation),
            np.where(is_index, p.equity.index_correlation, p.equity.single_name_correlation),
            p.commodity.correlation,
        ],
        np.nan,
    )
    option_volatility = np.select(
        [ir, fx, cr, eq, co],
        [
            p.interest_rate.option_volatility,
            p.fx.option_volatility,
            np.where(is_index, p.credit.index_option_volatility, p.credit.single_name_option_volatility),
            np.where(is_index, p.equity.index_option_volatility, p.equity.single_name_option_volatility),
            _lookup(commodity_type, dict(p.commodity.option_volatility)),
        ],
        np.nan,
    )
    risk_key = np.select(
        [cr | eq, co], [t["reference_entity"].to_numpy(dtype=object), t["commodity"].to_numpy(dtype=object)], None
    )
    return HedgingSetAssignment(
        key=key.astype(object),
        kind=kind,
        risk_key=risk_key.astype(object),
        supervisory_factor=base_sf * multiplier,
        correlation=correlation,
        option_volatility=option_volatility,
        fx_sign=np.where(fx & ~fx_first, -1.0, 1.0) if n else np.ones(0),
    )
