"""The engine's output frames (columns as in saccr.contract): trades, hedging sets, netting sets, rejected."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from saccr.columns import Columns
from saccr.contract import (
    HEDGING_SET_RESULT_COLUMNS,
    LEGAL_ENTITY_RESULT_COLUMNS,
    NETTING_SET_RESULT_COLUMNS,
    TRADE_RESULT_COLUMNS,
)
from saccr.options import SA_CCR
from saccr.params import SupervisoryParameters

if TYPE_CHECKING:
    from saccr.alpha import AlphaApplied
    from saccr.leverage import LeverageExposure
    from saccr.sa_ccr import AddOns, MarginTerms, NettingSetExposure, TradeQuantities


@dataclass(frozen=True)
class EngineResult:
    """Engine output frames; columns as in saccr.contract."""

    trades: pd.DataFrame
    hedging_sets: pd.DataFrame
    netting_sets: pd.DataFrame
    rejected: pd.DataFrame
    # Per legal entity: its method and the size test of CRR Art. 273a (saccr.simplified_methods).
    legal_entities: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {c: pd.Series(dtype=object) for c in LEGAL_ENTITY_RESULT_COLUMNS}
        )
    )


def trade_frame(as_of: dt.date, t: Columns, q: TradeQuantities) -> pd.DataFrame:
    """One row per computed trade: time parameters, the CRE52 trade quantities, hedging set."""
    hs = q.hedging
    return pd.DataFrame(
        {
            "as_of_date": as_of,
            "netting_set_id": t["netting_set_id"],
            "trade_id": t["trade_id"],
            "asset_class": t["asset_class"],
            "hedging_set": hs.key,
            "hedging_set_kind": hs.kind,
            "risk_key": hs.risk_key,
            "ir_bucket": np.where(q.ir_bucket > 0, q.ir_bucket, np.nan),
            "m": t["m"],
            "s": t["s"],
            "e": t["e"],
            "t": t["t"],
            "notional_reporting": t["notional_reporting"],
            "supervisory_duration": q.supervisory_duration,
            "adjusted_notional": q.adjusted_notional,
            "supervisory_delta": q.delta,
            "supervisory_volatility": np.where(t["is_option"], hs.option_volatility, np.nan),
            "supervisory_factor": hs.supervisory_factor,
            "maturity_factor": q.maturity_factor,
            "effective_notional": q.effective_notional,
            "maturity_factor_unmargined": q.maturity_factor_unmargined,
            "effective_notional_unmargined": q.effective_notional_unmargined,
            "mtm": t["mtm"],
        }
    )[list(TRADE_RESULT_COLUMNS)]


HEDGING_SET_TERMS = (
    "d_bucket_1",
    "d_bucket_2",
    "d_bucket_3",
    "effective_notional",
    "systematic",
    "idiosyncratic",
    "addon",
)


def hedging_set_frame(as_of: dt.date, netting_set_ids: np.ndarray, a: AddOns) -> pd.DataFrame:
    """One row per hedging set: its supervisory factor (IR and FX), bucket amounts, terms and add-ons."""
    g = a.groups
    return pd.DataFrame(
        {
            "as_of_date": as_of,
            "netting_set_id": netting_set_ids[g.netting_set] if g.count else [],
            "asset_class": g.asset_class,
            "hedging_set": g.key,
            "hedging_set_kind": g.kind,
            "supervisory_factor": np.where(
                np.isin(g.asset_class, ("IR", "FX")), g.supervisory_factor, np.nan
            ),
            **{k: a.hedging_set[k] for k in HEDGING_SET_TERMS},
            "addon_unmargined": a.hedging_set_unmargined["addon"],
            "trade_count": g.trade_count,
        }
    )[list(HEDGING_SET_RESULT_COLUMNS)]


def netting_set_frame(
    as_of: dt.date,
    ns: pd.DataFrame,
    margin: MarginTerms,
    a: AddOns,
    x: NettingSetExposure,
    alpha: AlphaApplied,
    lr: LeverageExposure | None,
    trade_count: np.ndarray,
    params: SupervisoryParameters,
    method: str = SA_CCR,
) -> pd.DataFrame:
    """One row per netting set: collateral terms, MPOR, RC, add-ons, PFE, EAD and the cap, alpha, the
    leverage exposure, completeness; `method` names how the EAD was computed (SA_CCR unless the netting set's
    legal entity uses a simplified method of the CRR)."""
    margined = margin.margined
    rejected_count = ns["rejected_trade_count"].to_numpy()
    return pd.DataFrame(
        {
            "as_of_date": as_of,
            "netting_set_id": ns["netting_set_id"].to_numpy(),
            "counterparty_id": ns["counterparty_id"].to_numpy(),
            "counterparty_type": ns["counterparty_type"].to_numpy(),
            "legal_entity": ns["legal_entity"].to_numpy(),
            "calculation_method": method,
            "margined": margined,
            "cleared": ns["cleared"].to_numpy(dtype=bool),
            "v": x.v,
            "c": x.c,
            "nica": x.nica,
            "th": ns["threshold"].to_numpy(),
            "mta": ns["mta"].to_numpy(),
            "mpor_days": margin.mpor_days,
            "mpor_rule": margin.mpor_rule,
            "rc": x.rc,
            "addon_ir": a.by_asset_class["IR"],
            "addon_fx": a.by_asset_class["FX"],
            "addon_credit": a.by_asset_class["CREDIT"],
            "addon_equity": a.by_asset_class["EQUITY"],
            "addon_commodity": a.by_asset_class["COMMODITY"],
            "addon_other": a.by_asset_class["OTHER"],
            "addon_aggregate": a.aggregate,
            "multiplier": x.multiplier,
            "pfe": x.pfe,
            "ead_margined": np.where(margined, x.ead_margined, np.nan),
            "rc_unmargined": x.rc_unmargined,
            "addon_unmargined": a.aggregate_unmargined,
            "multiplier_unmargined": x.multiplier_unmargined,
            "ead_unmargined": x.ead_unmargined,
            "ead": x.ead,
            "cap_binding": margined & (x.ead_unmargined < x.ead_margined),
            "alpha_applied": alpha.alpha,
            "alpha_reason": alpha.reason,
            **{  # None: the caller fills them (saccr.simplified_methods)
                name: np.full(len(ns), np.nan) if lr is None else getattr(lr, attribute)
                for name, attribute in (("lr_rc", "rc"), ("lr_pfe", "pfe"), ("lr_exposure", "exposure"))
            },
            "trade_count": trade_count,
            "rejected_trade_count": rejected_count,
            "complete": rejected_count == 0,
            "regime": params.regime,
            "parameter_version": params.version,
        }
    )[list(NETTING_SET_RESULT_COLUMNS)]
