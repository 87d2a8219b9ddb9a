"""Simplified SA-CCR (CRR Art. 281): SA-CCR with the derogations of Art. 281(2).

Read in the text (status in docs/regimes.md): (b) RC = max(CMV, 0) for netting sets without margin; (c) RC =
TH + MTA for exchange-traded, centrally cleared or bilaterally margined (EMIR Art. 11) netting sets, here the
netting sets flagged margined or cleared; (e) only the hedging sets of Art. 277a(1): no separate basis or
volatility hedging sets; (f) PFE multiplier 1. From the remaining points, which were not read here: (g)
supervisory delta +1 / -1 for every transaction (options: +1 bought call or sold put, -1 sold call or bought
put); (h) supervisory duration SD = E - S; (i) maturity factor 1 without margin, 0.42 with; (j) IR effective
notional |D1| + |D2| + |D3|; (k)-(m) credit, equity and commodity hedging sets add the absolute entity / type
add-ons. Alpha and the cap at the unmargined exposure (Art. 274(2)-(3)) as in SA-CCR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from saccr import exposure, replacement_cost
from saccr import supervisory_delta as sdelta
from saccr.aggregation import hedging_set_addons
from saccr.alpha import AlphaApplied
from saccr.hedging_sets import assign_hedging_sets
from saccr.params import SimplifiedMethods, SupervisoryParameters
from saccr.sa_ccr import (
    AddOns,
    MarginTerms,
    NettingSetExposure,
    TradeQuantities,
    adjusted_notional,
    hedging_set_groups,
    ir_buckets,
    summed_add_ons,
)


def simplified_trade_quantities(
    t: dict[str, np.ndarray], code: np.ndarray, margined: np.ndarray, params: SupervisoryParameters
) -> TradeQuantities:
    """Trade level under Art. 281(2)(e), (g)-(i): regular hedging sets, delta +1 / -1, SD = E - S and a
    fixed maturity factor."""
    s: SimplifiedMethods = params.simplified_methods  # type: ignore[assignment]
    n = len(t["trade_id"])
    regular = dict(t, basis_key=np.full(n, None, dtype=object), is_volatility=np.zeros(n, dtype=bool))
    hs = assign_hedging_sets(regular, params)  # Art. 281(2)(e): the hedging sets of Art. 277a(1) only
    ac = t["asset_class"]
    period = (ac == "IR") | (ac == "CREDIT")
    sd = np.where(period, t["e"] - t["s"], np.nan)  # Art. 281(2)(h)
    _, d_sa_ccr = adjusted_notional(t, params)
    d = np.where(period, t["notional_reporting"] * sd, d_sa_ccr)
    # Art. 281(2)(g): a bought call or a sold put is long (+1), a sold call or a bought put short (-1).
    is_long = t["is_long"]
    long = np.where(t["is_option"], is_long == t["is_call"], is_long)
    delta = sdelta.linear_delta(long)
    mf_unmargined = np.full(n, s.simplified_unmargined_maturity_factor)  # Art. 281(2)(i)
    mf = np.where(margined[code], s.simplified_margined_maturity_factor, mf_unmargined)
    return TradeQuantities.of(ac, hs, sd, d, delta, mf, mf_unmargined, ir_buckets(t, params))


def simplified_add_ons(
    trade: TradeQuantities, code: np.ndarray, netting_sets: int, params: SupervisoryParameters
) -> AddOns:
    """Add-ons without offset across IR buckets (Art. 281(2)(j)) or across entities and commodity types
    (Art. 281(2)(k)-(m)); per asset class and netting set as in SA-CCR."""
    groups = hedging_set_groups(trade, code)

    def per_hedging_set(effective: np.ndarray) -> dict[str, np.ndarray]:
        sf = trade.hedging.supervisory_factor
        return hedging_set_addons(groups, trade.ir_bucket, sf, effective, params.interest_rate, False, False)

    return summed_add_ons(groups, per_hedging_set, trade, netting_sets)


def simplified_exposure(
    ns: pd.DataFrame,
    mtm: np.ndarray,
    code: np.ndarray,
    margined: np.ndarray,
    addons: AddOns,
    alpha: AlphaApplied,
) -> NettingSetExposure:
    """RC without collateral (Art. 281(2)(b)) or TH + MTA (281(2)(c)), multiplier 1 (281(2)(f)), EAD =
    alpha x (RC + AddOn) capped at the same set as if unmargined (Art. 274(3))."""
    v = np.bincount(code, weights=mtm, minlength=len(ns))
    nica = replacement_cost.net_independent_collateral(
        ns["ia_received"].to_numpy(), ns["ia_posted_unsegregated"].to_numpy()
    )
    c = replacement_cost.net_collateral(ns["vm_received"].to_numpy(), ns["vm_posted"].to_numpy(), nica)
    rc_unmargined = np.maximum(v, 0.0)
    rc = np.where(margined, ns["threshold"].to_numpy() + ns["mta"].to_numpy(), rc_unmargined)
    one = np.ones(len(ns))
    ead_margined = exposure.exposure_at_default(rc, one, addons.aggregate, alpha.alpha)
    ead_unmargined = np.where(
        margined,
        exposure.exposure_at_default(rc_unmargined, one, addons.aggregate_unmargined, alpha.alpha),
        ead_margined,
    )
    return NettingSetExposure(
        v=v,
        c=c,  # reported, not recognised: RC takes no collateral under Art. 281(2)(b)-(c)
        nica=nica,
        rc=rc,
        multiplier=one,
        pfe=addons.aggregate,
        ead_margined=ead_margined,
        rc_unmargined=np.where(margined, rc_unmargined, rc),
        multiplier_unmargined=one,
        ead_unmargined=ead_unmargined,
        ead=np.where(margined, np.minimum(ead_margined, ead_unmargined), ead_margined),
    )


def simplified_margin(ns: pd.DataFrame) -> MarginTerms:
    """Margined for Art. 281(2)(c): margined or cleared; no MPOR (the maturity factor is fixed)."""
    margined = ns["margined"].to_numpy(dtype=bool) | ns["cleared"].to_numpy(dtype=bool)
    return MarginTerms(
        margined, np.full(len(ns), np.nan), np.where(margined, "SIMPLIFIED_MARGINED", "UNMARGINED")
    )
