"""Derivative exposure of the leverage ratio per netting set (BCBS LEV30.43-30.45; CRR Art. 429c; the PRA's
Leverage Ratio (CRR) Part Art. 429c).

The SA-CCR exposure with the leverage ratio's own terms:

- RC recognises as collateral only variation margin received in cash that meets the conditions of CRR Art.
  429c(3) / LEV30 (not segregated, exchanged daily, in a currency of the contract, the full amount, one
  master netting agreement): the input flag `vm_cash_eligible`; VM posted always counts. Collateral received
  other than that VM is not recognised, so NICA holds only the bank's posted, unsegregated collateral (no
  NICA benefit; which paragraph of Art. 429c says so was not read: docs/regimes.md gives the status).
- PFE = multiplier x AddOn with the multiplier fixed at one; the add-ons are those of the risk-based
  calculation (margined maturity factor for margined sets).
- exposure = alpha x (RC + PFE) with the leverage ratio's alpha (1.4) for every counterparty.
- The clearing member's trade exposure to a QCCP for client-cleared trades, where it does not guarantee the
  QCCP's performance to the client, is left out (input flag `ccp_leg_exempt`; CRR Art. 429a(1)(g), LEV30).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr import replacement_cost
from saccr.params import SupervisoryParameters


@dataclass(frozen=True)
class LeverageExposure:
    rc: np.ndarray
    pfe: np.ndarray
    exposure: np.ndarray


def leverage_exposure(
    ns: pd.DataFrame,
    v: np.ndarray,
    margined: np.ndarray,
    addon_aggregate: np.ndarray,
    params: SupervisoryParameters,
) -> LeverageExposure:
    """RC, PFE and exposure of each netting set for the leverage ratio (module docstring)."""
    lr = params.leverage_ratio
    cash_vm = np.where(ns["vm_cash_eligible"].to_numpy(dtype=bool), ns["vm_received"].to_numpy(), 0.0)
    nica = -ns["ia_posted_unsegregated"].to_numpy()  # received collateral not recognised
    c = replacement_cost.net_collateral(cash_vm, ns["vm_posted"].to_numpy(), nica)
    th, mta = ns["threshold"].to_numpy(), ns["mta"].to_numpy()
    rc = np.where(
        margined,
        replacement_cost.margined_replacement_cost(v, c, th, mta, nica),
        replacement_cost.unmargined_replacement_cost(v, c),
    )
    pfe = lr.multiplier * addon_aggregate
    exempt = ns["ccp_leg_exempt"].to_numpy(dtype=bool)
    exposure = np.where(exempt, 0.0, lr.alpha * (rc + pfe))
    return LeverageExposure(rc=np.where(exempt, 0.0, rc), pfe=np.where(exempt, 0.0, pfe), exposure=exposure)
