"""Maturity factor MF_i (CRE52.48-53)."""

from __future__ import annotations

import numpy as np


def unmargined_maturity_factor(m: np.ndarray, floor_years: float) -> np.ndarray:
    """MF = sqrt(min(M, 1 year) / 1 year), M floored at ten business days (CRE52.48)."""
    return np.sqrt(np.minimum(np.maximum(m, floor_years), 1.0))


def margined_maturity_factor(mpor_days: np.ndarray, business_days_per_year: int, scale: float) -> np.ndarray:
    """MF = 3/2 sqrt(MPOR / 1 year), MPOR in business days (CRE52.52)."""
    return scale * np.sqrt(mpor_days / business_days_per_year)
