"""The original exposure method (CRR Art. 282), as read in the text (status in docs/regimes.md).

EAD = 1.4 x (RC + PFE) per netting set (Art. 282(2)). RC = TH + MTA for exchange-traded, centrally cleared or
bilaterally margined netting sets (282(3)(a); here those flagged margined or cleared), else max(CMV, 0)
(282(3)(b)). PFE = the sum over the set's transactions of notional x percentage (282(4)(a)-(b)): interest
rate 0.5% and credit 6% per year of residual maturity, FX 4%, gold and commodities other than electricity
18%, electricity 40%, equity 32%. No delta, no maturity factor, no offset, no collateral, no cap.

Notional (the rest of 282(4) was not read): IR and credit their notional, FX the leg of Art. 279b(1)(b),
equity and commodity the value of the units (Art. 279b(1)(c)). A reduction of the PFE of margined netting
sets, if 282(4) has one, is not applied (the higher exposure). Art. 282 gives no percentage for the other
risks category: an entity on the OEM with such trades is refused (OptionError).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr import adjusted_notional as an
from saccr.columns import Columns
from saccr.contract import ASSET_CLASSES
from saccr.errors import OptionError
from saccr.params import SimplifiedMethods, SupervisoryParameters


@dataclass(frozen=True)
class OemTrades:
    notional: np.ndarray  # reporting currency
    percentage: np.ndarray  # share of the notional that is the trade's PFE
    pfe: np.ndarray


def oem_trades(t: Columns, params: SupervisoryParameters) -> OemTrades:
    """Each transaction's notional, percentage and PFE (Art. 282(4)(b))."""
    s: SimplifiedMethods = params.simplified_methods  # type: ignore[assignment]
    ac = t["asset_class"]
    if (ac == "OTHER").any():
        raise OptionError(
            "the original exposure method (CRR Art. 282(4)) has no percentage for other-risk trades"
        )
    fx_leg = an.fx_adjusted_notional(
        t["notional_reporting"], t["leg_2_reporting"], t["leg_1_is_reporting"], t["leg_2_is_reporting"]
    )
    notional = np.select(
        [(ac == "IR") | (ac == "CREDIT"), ac == "FX"],
        [t["notional_reporting"], fx_leg],
        t["units_value_reporting"],
    )
    co = ac == "COMMODITY"
    electricity = co & (t["commodity_type"] == "ELECTRICITY")
    percentage = np.select(
        [ac == "IR", ac == "CREDIT", ac == "FX", electricity, co, ac == "EQUITY"],
        [
            s.oem_ir_per_year * t["m"],
            s.oem_credit_per_year * t["m"],
            s.oem_fx,
            s.oem_electricity,
            s.oem_commodity,
            s.oem_equity,
        ],
        np.nan,
    )
    return OemTrades(notional=notional, percentage=percentage, pfe=notional * percentage)


@dataclass(frozen=True)
class OemNettingSets:
    v: np.ndarray
    margined: np.ndarray  # exchange-traded, cleared or margined: RC = TH + MTA
    rc: np.ndarray
    pfe_by_asset_class: dict[str, np.ndarray]
    pfe: np.ndarray
    ead: np.ndarray


def oem_netting_sets(
    ns: pd.DataFrame, t: Columns, code: np.ndarray, trades: OemTrades, params: SupervisoryParameters
) -> OemNettingSets:
    """Per netting set: V, RC (Art. 282(3)), PFE per asset class and in all (282(4)(a)), EAD (282(2))."""
    s: SimplifiedMethods = params.simplified_methods  # type: ignore[assignment]
    n = len(ns)
    v = np.bincount(code, weights=t["mtm"], minlength=n)
    margined = ns["margined"].to_numpy(dtype=bool) | ns["cleared"].to_numpy(dtype=bool)
    rc = np.where(margined, ns["threshold"].to_numpy() + ns["mta"].to_numpy(), np.maximum(v, 0.0))
    by_class = {
        name: np.bincount(code, weights=np.where(t["asset_class"] == name, trades.pfe, 0.0), minlength=n)
        for name in ASSET_CLASSES
    }
    pfe = sum(by_class.values(), np.zeros(n))
    return OemNettingSets(v, margined, rc, by_class, pfe, s.oem_alpha * (rc + pfe))
