"""The SA-CCR engine: extract frames in, trade / hedging-set / netting-set results out (CRE52).

`compute` = `prepare` (types, market data, input rules, time parameters; saccr.prepare) + `calculate`, which
runs the CRE52 steps of saccr.sa_ccr in the order the text gives them (margin period of risk, trade level,
hedging sets and add-ons, netting set RC / PFE / EAD and the cap), adds each netting set's alpha
(saccr.alpha) and leverage-ratio exposure (saccr.leverage), and builds the output frames (saccr.results).
Netting sets of legal entities on a simplified method of the CRR are then computed by it instead
(saccr.simplified_methods). Everything works on many netting sets at once; no loop over trades or netting
sets.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from saccr.alpha import legacy_trade_count, netting_set_alpha
from saccr.leverage import leverage_exposure
from saccr.options import CalculationOptions
from saccr.params import SupervisoryParameters
from saccr.prepare import Prepared, prepare
from saccr.results import EngineResult, hedging_set_frame, netting_set_frame, trade_frame
from saccr.sa_ccr import add_ons, check_options, margin_terms, netting_set_exposure, trade_quantities
from saccr.simplified_methods import apply_methods, legal_entity_frame
from saccr.validation import empty_rejections

__all__ = ["CalculationOptions", "EngineResult", "Prepared", "calculate", "compute", "prepare"]


def compute(
    trades: pd.DataFrame,
    valuations: pd.DataFrame,
    collateral: pd.DataFrame,
    market_data: pd.DataFrame,
    as_of: dt.date,
    params: SupervisoryParameters,
    options: CalculationOptions | None = None,
    prior_rejections: pd.DataFrame | None = None,
) -> EngineResult:
    """SA-CCR EAD of every netting set in the extracts (CRE52.1).

    `prior_rejections` (columns as REJECTED_COLUMNS) are rows an earlier stage (the extract reader, data
    quality) already rejected: they are returned with the engine's own, and a netting set that lost a
    trade there is held or flagged exactly as if the engine had rejected it.
    """
    options = options or CalculationOptions()
    prepared = prepare(trades, valuations, collateral, market_data, as_of, params, options, prior_rejections)
    return calculate(prepared, params, options)


def calculate(prepared: Prepared, params: SupervisoryParameters, options: CalculationOptions) -> EngineResult:
    """Trade-level quantities, add-ons and EAD for prepared inputs (CRE52.1-71), then the netting sets of
    entities on a simplified method by that method (CRR Art. 281, 282)."""
    check_options(params, options)
    ns, t = prepared.netting_sets, prepared.trades
    code = pd.Index(ns["netting_set_id"]).get_indexer(t["netting_set_id"])  # netting set of each trade
    as_of = prepared.as_of.date()
    margin = margin_terms(ns, params)
    trade = trade_quantities(t, code, margin, params)
    addons = add_ons(trade, code, len(ns), params, options)
    alpha = netting_set_alpha(
        ns["counterparty_type"].to_numpy(dtype=object),
        ns["cva_exempt"].to_numpy(dtype=bool),
        legacy_trade_count(t["trade_date"], code, len(ns), params),
        as_of,
        params,
    )
    netting = netting_set_exposure(ns, t["mtm"], code, margin.margined, addons, alpha.alpha, params, options)
    leverage = leverage_exposure(ns, netting.v, margin.margined, addons.aggregate, params)
    entities = legal_entity_frame(prepared, code, params, options)
    result = EngineResult(
        trades=trade_frame(as_of, t, trade),
        hedging_sets=hedging_set_frame(as_of, ns["netting_set_id"].to_numpy(), addons),
        netting_sets=netting_set_frame(
            as_of, ns, margin, addons, netting, alpha, leverage, np.bincount(code, minlength=len(ns)), params
        ),
        rejected=prepared.rejected if len(prepared.rejected) else empty_rejections(),
        legal_entities=entities,
    )
    return apply_methods(result, prepared, params, options)
