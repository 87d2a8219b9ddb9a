"""Supervisory duration and adjusted notional d_i (CRE52.33-36)."""

from __future__ import annotations

import numpy as np


def supervisory_duration(s: np.ndarray, e: np.ndarray, rate: float, floor_years: float) -> np.ndarray:
    """SD = (exp(-0.05 S) - exp(-0.05 E)) / 0.05, floored at ten business days (CRE52.34)."""
    sd = (np.exp(-rate * s) - np.exp(-rate * e)) / rate
    return np.maximum(sd, floor_years)


def fx_adjusted_notional(
    leg_1: np.ndarray,
    leg_2: np.ndarray,
    leg_1_is_reporting: np.ndarray,
    leg_2_is_reporting: np.ndarray,
) -> np.ndarray:
    """FX: the foreign leg in the reporting currency; the larger leg when both are foreign (CRE52.35).

    Legs are already converted to the reporting currency.
    """
    return np.where(leg_1_is_reporting, leg_2, np.where(leg_2_is_reporting, leg_1, np.maximum(leg_1, leg_2)))


def units_adjusted_notional(quantity: np.ndarray, price: np.ndarray, notional: np.ndarray) -> np.ndarray:
    """Equity and commodity: price of one unit x number of units (CRE52.36).

    Where no quantity is given, the notional is the current value of the units (extract contract).
    """
    return np.where(np.isnan(quantity), notional, quantity * price)
