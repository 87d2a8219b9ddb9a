"""PFE multiplier, PFE and exposure at default (CRE52.1, CRE52.20-23)."""

from __future__ import annotations

import numpy as np


def pfe_multiplier(v_minus_c: np.ndarray, addon: np.ndarray, floor: float) -> np.ndarray:
    """min{1, F + (1 - F) exp((V - C) / (2 (1 - F) AddOn))}, F = 5% (CRE52.23).

    Equal to 1 when V - C >= 0 and, as a guard for the 0/0 case, when the aggregate add-on is 0
    (PFE is then 0 whatever the multiplier).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.minimum(v_minus_c, 0.0) / (2.0 * (1.0 - floor) * addon)
    multiplier = np.minimum(1.0, floor + (1.0 - floor) * np.exp(exponent))
    return np.where((addon > 0.0) & (v_minus_c < 0.0), multiplier, 1.0)


def exposure_at_default(
    rc: np.ndarray, multiplier: np.ndarray, addon: np.ndarray, alpha: float | np.ndarray
) -> np.ndarray:
    """EAD = alpha x (RC + PFE), PFE = multiplier x AddOn_aggregate (CRE52.1, CRE52.20); alpha per netting
    set where the regime sets it by counterparty (saccr.alpha)."""
    return alpha * (rc + multiplier * addon)
