"""The simplified methods of the CRR by legal entity: who may use them (Art. 273a) and their results.

Each legal entity uses SA-CCR unless `CalculationOptions.methods` gives it simplified SA-CCR (Art. 281,
saccr.simplified_sa_ccr) or the original exposure method (Art. 282, saccr.original_exposure). An entity may
use them only while the size of its on- and off-balance-sheet derivative business is equal to or less than
both thresholds of Art. 273a(1) (simplified SA-CCR: 10% of total assets and EUR 300m) or 273a(2) (OEM: 5% and
EUR 100m). The size is the sum of the absolute market values of its derivative positions, long and short
(Art. 273a(3)), here of the trades computed (those that passed validation); total assets are an input. The
test is on the as-of date: the monthly assessment and the rules for an entity that stops meeting the
conditions (Art. 273a(4)-(5)) need the history the pipeline keeps, not the engine.

The netting sets of those entities are computed by their method instead of SA-CCR: their trade, hedging-set
and netting-set rows are replaced (the OEM has no hedging sets). Their leverage-ratio exposure stays the one
of SA-CCR's terms (saccr.leverage).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from saccr.alpha import AlphaApplied, legacy_trade_count, netting_set_alpha
from saccr.contract import (
    HEDGING_SET_RESULT_COLUMNS,
    LEGAL_ENTITY_RESULT_COLUMNS,
    NETTING_SET_RESULT_COLUMNS,
    TRADE_RESULT_COLUMNS,
)
from saccr.errors import OptionError
from saccr.hedging_sets import HedgingSetAssignment
from saccr.options import METHODS, OEM, SA_CCR, SIMPLIFIED_SA_CCR, CalculationOptions
from saccr.original_exposure import oem_netting_sets, oem_trades
from saccr.params import SupervisoryParameters
from saccr.prepare import Prepared
from saccr.results import EngineResult, hedging_set_frame, netting_set_frame, trade_frame
from saccr.sa_ccr import AddOns, MarginTerms, NettingSetExposure, TradeQuantities
from saccr.simplified_sa_ccr import (
    simplified_add_ons,
    simplified_exposure,
    simplified_margin,
    simplified_trade_quantities,
)

LEVERAGE_COLUMNS = ("lr_rc", "lr_pfe", "lr_exposure")


def derivative_business_size(mtm: np.ndarray, legal_entity: np.ndarray) -> pd.Series:
    """Per legal entity: the sum of the absolute market values of its derivative positions, long and short
    added without netting (CRR Art. 273a(3))."""
    return pd.Series(np.abs(mtm)).groupby(pd.Series(legal_entity, dtype=object)).sum()


def size_test(
    size: pd.Series, total_assets: pd.Series, eur_rate: float, params: SupervisoryParameters
) -> pd.DataFrame:
    """Per legal entity: size, total assets, share, the thresholds in the reporting currency and whether
    the entity may use simplified SA-CCR (Art. 273a(1)) or the OEM (273a(2)): size <= both thresholds.
    Unknown (NA) where the total assets are not given or the regime has no simplified methods."""
    s = params.simplified_methods
    assets = total_assets.reindex(size.index).astype(float)
    out = pd.DataFrame({"derivative_business_size": size.astype(float), "total_assets": assets})
    out["share_of_total_assets"] = out["derivative_business_size"] / assets
    if s is None:
        out["simplified_max_amount"] = out["oem_max_amount"] = np.nan
        out["simplified_eligible"] = out["oem_eligible"] = pd.array([pd.NA] * len(out), dtype="boolean")
        return out
    out["simplified_max_amount"] = s.simplified_max_amount_eur * eur_rate
    out["oem_max_amount"] = s.oem_max_amount_eur * eur_rate
    known = assets.notna().to_numpy()
    for method, share, amount in (
        ("simplified", s.simplified_max_share_of_assets, out["simplified_max_amount"]),
        ("oem", s.oem_max_share_of_assets, out["oem_max_amount"]),
    ):
        eligible = (out["derivative_business_size"] <= share * assets) & (
            out["derivative_business_size"] <= amount
        )
        out[f"{method}_eligible"] = pd.array(np.where(known, eligible, False), dtype="boolean")
        out.loc[~known, f"{method}_eligible"] = pd.NA
    return out


def legal_entity_frame(
    prepared: Prepared, code: np.ndarray, params: SupervisoryParameters, options: CalculationOptions
) -> pd.DataFrame:
    """One row per legal entity: its method, netting sets and trades, and the size test of Art. 273a."""
    ns = prepared.netting_sets
    entity_of_set = ns["legal_entity"].to_numpy(dtype=object)
    entities = pd.Index(pd.unique(entity_of_set)).sort_values()
    size = derivative_business_size(prepared.trades["mtm"], entity_of_set[code]).reindex(
        entities, fill_value=0.0
    )
    eur_rate = float(prepared.fx_rates.get("EUR", np.nan))
    test = size_test(size, pd.Series(dict(options.total_assets), dtype=float), eur_rate, params)
    return pd.DataFrame(
        {
            "as_of_date": prepared.as_of.date(),
            "legal_entity": entities.to_numpy(dtype=object),
            "calculation_method": [options.methods.get(e, SA_CCR) for e in entities],
            "netting_set_count": pd.Series(entity_of_set)
            .value_counts()
            .reindex(entities)
            .to_numpy(dtype=np.int64),
            "trade_count": pd.Series(entity_of_set[code], dtype=object)
            .value_counts()
            .reindex(entities, fill_value=0)
            .to_numpy(dtype=np.int64),
            **{c: test[c].to_numpy() for c in test.columns},
            "regime": params.regime,
            "parameter_version": params.version,
        }
    )[list(LEGAL_ENTITY_RESULT_COLUMNS)]


def check_methods(entities: pd.DataFrame, params: SupervisoryParameters, options: CalculationOptions) -> None:
    """Refuse a method the regime does not have, or an entity above its thresholds (Art. 273a(1)-(2))."""
    unknown = set(options.methods.values()) - set(METHODS)
    if unknown:
        raise OptionError(f"unknown calculation methods {sorted(unknown)}; expected one of {list(METHODS)}")
    chosen = entities.loc[entities["calculation_method"] != SA_CCR]
    if chosen.empty:
        return
    if params.simplified_methods is None:
        raise OptionError(
            f"{params.regime} has no simplified SA-CCR or original exposure method (CRR Art. 281, 282): "
            f"entities {sorted(chosen['legal_entity'])} must use SA_CCR"
        )
    for row in chosen.itertuples():
        simplified = row.calculation_method == SIMPLIFIED_SA_CCR
        article = "273a(1)" if simplified else "273a(2)"
        eligible = row.simplified_eligible if simplified else row.oem_eligible
        limit = row.simplified_max_amount if simplified else row.oem_max_amount
        method = f"{row.calculation_method} (CRR Art. {article})"
        if pd.isna(row.total_assets):
            raise OptionError(f"legal entity {row.legal_entity}: total assets are needed for {method}")
        if pd.isna(eligible):
            raise OptionError(f"legal entity {row.legal_entity}: no EUR rate for the thresholds of {method}")
        if not eligible:
            raise OptionError(
                f"legal entity {row.legal_entity} may not use {method}: its derivative business of "
                f"{row.derivative_business_size:,.0f} is {row.share_of_total_assets:.2%} of total assets "
                f"{row.total_assets:,.0f}, above the share or the amount ({limit:,.0f}) the article allows"
            )


def apply_methods(
    result: EngineResult, prepared: Prepared, params: SupervisoryParameters, options: CalculationOptions
) -> EngineResult:
    """`result` (SA-CCR for every netting set) with the netting sets of entities on a simplified method
    computed by that method instead."""
    check_methods(result.legal_entities, params, options)
    ns = prepared.netting_sets
    method = np.array([options.methods.get(e, SA_CCR) for e in ns["legal_entity"]], dtype=object)
    for name, compute in ((SIMPLIFIED_SA_CCR, _simplified), (OEM, _original_exposure)):
        ids = ns["netting_set_id"].to_numpy()[method == name]
        if len(ids):
            result = _replace(result, compute(prepared.subset(ids), params), ids)
    return result


def _simplified(prepared: Prepared, params: SupervisoryParameters) -> EngineResult:
    ns, t = prepared.netting_sets, prepared.trades
    code = pd.Index(ns["netting_set_id"]).get_indexer(t["netting_set_id"])
    as_of = prepared.as_of.date()
    margin = simplified_margin(ns)
    trade = simplified_trade_quantities(t, code, margin.margined, params)
    addons = simplified_add_ons(trade, code, len(ns), params)
    alpha = _alpha(prepared, code, params)
    x = simplified_exposure(ns, t["mtm"], code, margin.margined, addons, alpha)
    return EngineResult(
        trades=trade_frame(as_of, t, trade),
        hedging_sets=hedging_set_frame(as_of, ns["netting_set_id"].to_numpy(), addons),
        netting_sets=netting_set_frame(
            as_of,
            ns,
            margin,
            addons,
            x,
            alpha,
            None,
            np.bincount(code, minlength=len(ns)),
            params,
            SIMPLIFIED_SA_CCR,
        ),
        rejected=prepared.rejected,
    )


def _original_exposure(prepared: Prepared, params: SupervisoryParameters) -> EngineResult:
    """Art. 282: trade rows carry the OEM notional (adjusted_notional), percentage (supervisory_factor) and
    PFE (effective_notional); no hedging sets; netting-set add-ons are the PFE per asset class."""
    ns, t = prepared.netting_sets, prepared.trades
    code = pd.Index(ns["netting_set_id"]).get_indexer(t["netting_set_id"])
    as_of = prepared.as_of.date()
    per_trade = oem_trades(t, params)
    per_set = oem_netting_sets(ns, t, code, per_trade, params)
    n, m = len(ns), len(t["trade_id"])
    nan, one = np.full(n, np.nan), np.ones(n)
    none, no_number = np.full(m, None, dtype=object), np.full(m, np.nan)
    trade = TradeQuantities(
        asset_class=t["asset_class"],
        hedging=HedgingSetAssignment(
            none, np.full(m, OEM, dtype=object), none, per_trade.percentage, no_number, no_number, np.ones(m)
        ),
        supervisory_duration=no_number,
        adjusted_notional=per_trade.notional,
        delta=no_number,
        maturity_factor=no_number,
        maturity_factor_unmargined=no_number,
        effective_notional=per_trade.pfe,
        effective_notional_unmargined=no_number,
        ir_bucket=np.zeros(m, dtype=np.int64),
    )
    margin = MarginTerms(per_set.margined, nan, np.where(per_set.margined, "OEM_MARGINED", "UNMARGINED"))
    addons = AddOns(None, {}, {}, per_set.pfe_by_asset_class, per_set.pfe, nan)
    x = NettingSetExposure(per_set.v, nan, nan, per_set.rc, one, per_set.pfe, nan, nan, nan, nan, per_set.ead)
    oem_alpha = params.simplified_methods.oem_alpha  # type: ignore[union-attr]
    alpha = AlphaApplied(np.full(n, oem_alpha), np.full(n, "OEM", dtype=object))  # Art. 282(2)
    frame = netting_set_frame(
        as_of, ns, margin, addons, x, alpha, None, np.bincount(code, minlength=n), params, OEM
    )
    return EngineResult(
        trades=trade_frame(as_of, t, trade),
        hedging_sets=pd.DataFrame({c: pd.Series(dtype=object) for c in HEDGING_SET_RESULT_COLUMNS}),
        netting_sets=frame,
        rejected=prepared.rejected,
    )


def _alpha(prepared: Prepared, code: np.ndarray, params: SupervisoryParameters) -> AlphaApplied:
    ns, t = prepared.netting_sets, prepared.trades
    return netting_set_alpha(
        ns["counterparty_type"].to_numpy(dtype=object),
        ns["cva_exempt"].to_numpy(dtype=bool),
        legacy_trade_count(t["trade_date"], code, len(ns), params),
        prepared.as_of.date(),
        params,
    )


def _replace(result: EngineResult, part: EngineResult, ids: np.ndarray) -> EngineResult:
    """`result` with the rows of netting sets `ids` taken from `part`, in the same order as before; the
    leverage columns stay `result`'s."""
    index = pd.Index(ids)

    def theirs(frame: pd.DataFrame) -> np.ndarray:
        return index.get_indexer(frame["netting_set_id"]) >= 0

    old_ns = result.netting_sets
    lr = old_ns.loc[theirs(old_ns)].set_index("netting_set_id")[list(LEVERAGE_COLUMNS)]
    new_ns = part.netting_sets.drop(columns=list(LEVERAGE_COLUMNS)).join(lr, on="netting_set_id")
    netting_sets = _ordered(old_ns, new_ns[list(NETTING_SET_RESULT_COLUMNS)], theirs, ["netting_set_id"])
    trades = _ordered(result.trades, part.trades[list(TRADE_RESULT_COLUMNS)], theirs, None)
    hedging = _ordered(
        result.hedging_sets, part.hedging_sets, theirs, ["netting_set_id", "asset_class", "hedging_set"]
    )
    return EngineResult(trades, hedging, netting_sets, result.rejected, result.legal_entities)


def _ordered(
    old: pd.DataFrame, new: pd.DataFrame, theirs: Callable[[pd.DataFrame], np.ndarray], keys: list[str] | None
) -> pd.DataFrame:
    """Rows of `old` not in the replaced netting sets plus `new`, sorted by `keys` (stable), or, for trades,
    in the order they had in `old`."""
    kept = old.loc[~theirs(old)]
    parts = [frame for frame in (kept, new) if len(frame)]
    both = pd.concat(parts, ignore_index=True) if parts else old.iloc[:0]
    if keys is None:
        position = pd.Series(np.arange(len(old)), index=old["trade_id"].to_numpy())
        order = np.argsort(position.reindex(both["trade_id"].to_numpy()).to_numpy(), kind="stable")
        return both.iloc[order].reset_index(drop=True)
    return both.sort_values(keys, kind="stable", ignore_index=True)
