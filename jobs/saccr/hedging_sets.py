"""Hedging sets, supervisory factors, correlations and option volatilities per trade.

Hedging sets (CRE52.45): IR per currency, FX per currency pair, one for credit, one for equity, four for
commodities (five under the CRR, which adds climatic conditions, Art. 277a(1)(e)); other risks (CRR Art.
277(1)(f)) one per primary risk driver, the trade's reference_entity (Art. 277a(1)(f)). Basis transactions
form a hedging set per pair of risk factors with the supervisory factor halved (CRE52.46); volatility
transactions form their own hedging sets with the factor multiplied by five (CRE52.47). Parameters are the
regime's (CRE52.72, Table 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr.columns import Columns
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


def _lookup(keys: np.ndarray, table: dict, rows: np.ndarray, default: object = np.nan) -> np.ndarray:
    """table[key] on the rows selected by the mask `rows`; `default` elsewhere, and for unknown keys."""
    dtype = float if isinstance(default, float) else object
    out = np.full(len(keys), default, dtype=dtype)
    if rows.any():
        uniques, codes = np.unique(keys[rows].astype(str), return_inverse=True)
        out[rows] = np.array([table.get(u, default) for u in uniques], dtype=dtype)[codes]
    return out


def _pairs(ccy1: np.ndarray, ccy2: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alphabetically ordered pair ("EUR/USD") per selected row, and whether ccy1 sorts first."""
    key = np.full(len(ccy1), None, dtype=object)
    first = np.ones(len(ccy1), dtype=bool)
    if rows.any():
        combos, codes = np.unique(
            np.char.add(np.char.add(ccy1[rows].astype(str), "/"), ccy2[rows].astype(str)), return_inverse=True
        )
        left_right = [c.split("/", 1) for c in combos]
        key[rows] = np.array(["/".join(sorted(lr)) for lr in left_right], dtype=object)[codes]
        first[rows] = np.array([lr[0] <= lr[1] for lr in left_right])[codes]
    return key, first


def _special_keys(prefix: str, names: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:
    """out[rows] = prefix + name, building each distinct text once."""
    if rows.any():
        uniques, codes = np.unique(names[rows].astype(str), return_inverse=True)
        out[rows] = np.array([prefix + u for u in uniques], dtype=object)[codes]


def assign_hedging_sets(t: Columns, p: SupervisoryParameters) -> HedgingSetAssignment:
    """Assign every (validated) trade of `t` to its hedging set; vectorised over all trades."""
    ac = t["asset_class"]
    ir, fx, cr, eq, co, ot = (ac == name for name in ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY", "OTHER"))
    basis_key = t["basis_key"]
    is_basis = pd.notna(basis_key)
    is_vol = t["is_volatility"] & ~is_basis
    kind = np.where(is_basis, BASIS, np.where(is_vol, VOLATILITY, REGULAR)).astype(object)
    is_index = t["is_index"]
    ccy1 = t["notional_currency"]
    commodity_type = t["commodity_type"]

    # Regular key per class (CRE52.45); FX pairs in alphabetical order (project convention).
    pair, fx_first = _pairs(ccy1, t["currency_2"], fx)
    key = ccy1.copy()
    key[fx] = pair[fx]
    key[cr] = "CREDIT"
    key[eq] = "EQUITY"
    key[co] = _lookup(commodity_type, dict(p.commodity.hedging_set), co, None)[co]
    _special_keys("OTHER ", t["reference_entity"], ot, key)
    # Basis sets per pair of risk factors (IR: within the currency); volatility sets per regular set.
    _special_keys("VOLATILITY ", key, is_vol, key)
    basis_names = basis_key.copy()
    ir_basis = is_basis & ir
    if ir_basis.any():
        basis_names[ir_basis] = ccy1[ir_basis].astype(str) + " BASIS " + basis_key[ir_basis].astype(str)
    _special_keys("BASIS ", basis_key, is_basis & ~ir, basis_names)
    key[is_basis] = basis_names[is_basis]

    n = len(ac)
    sf = np.full(n, np.nan)
    sf[ir] = p.interest_rate.supervisory_factor
    sf[fx] = p.fx.supervisory_factor
    quality = t["credit_quality"]
    sf[cr & is_index] = _lookup(quality, dict(p.credit.index_supervisory_factor), cr & is_index)[
        cr & is_index
    ]
    single = cr & ~is_index
    # The regime's grade of the credit_quality code (a rating, CQS or US grade), then its factor (CRE52.72;
    # CRR Art. 280c(5) Table 3; 12 CFR 217.132 Table 3).
    grade = _lookup(quality, dict(p.credit.single_name_grade), single, None)
    sf[single] = _lookup(grade, dict(p.credit.single_name_supervisory_factor), single)[single]
    sf[eq] = np.where(
        is_index[eq], p.equity.index_supervisory_factor, p.equity.single_name_supervisory_factor
    )
    sf[co] = _lookup(commodity_type, dict(p.commodity.supervisory_factor), co)[co]
    if p.other is not None:  # without the category, other-risk trades are rejected before this
        sf[ot] = p.other.supervisory_factor  # CRR Art. 280f(2): 8%
    g = p.general
    sf = sf * np.where(is_basis, g.basis_sf_multiplier, np.where(is_vol, g.volatility_sf_multiplier, 1.0))

    correlation = np.full(n, np.nan)
    correlation[cr] = np.where(is_index[cr], p.credit.index_correlation, p.credit.single_name_correlation)
    correlation[eq] = np.where(is_index[eq], p.equity.index_correlation, p.equity.single_name_correlation)
    correlation[co] = p.commodity.correlation

    volatility = np.full(n, np.nan)
    volatility[ir] = p.interest_rate.option_volatility
    volatility[fx] = p.fx.option_volatility
    volatility[cr] = np.where(
        is_index[cr], p.credit.index_option_volatility, p.credit.single_name_option_volatility
    )
    volatility[eq] = np.where(
        is_index[eq], p.equity.index_option_volatility, p.equity.single_name_option_volatility
    )
    volatility[co] = _lookup(commodity_type, dict(p.commodity.option_volatility), co)[co]
    if p.other is not None:
        volatility[ot] = p.other.option_volatility  # CRR Art. 279a(1) Table 1: 150%

    risk_key = np.full(n, None, dtype=object)
    risk_key[cr | eq] = t["reference_entity"][cr | eq]
    risk_key[co] = t["commodity"][co]
    return HedgingSetAssignment(
        key=key,
        kind=kind,
        risk_key=risk_key,
        supervisory_factor=sf,
        correlation=correlation,
        option_volatility=volatility,
        fx_sign=np.where(fx & ~fx_first, -1.0, 1.0),
    )
