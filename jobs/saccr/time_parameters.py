"""Time parameters M, S, E, T of each trade, in years from the as-of date (CRE52.31-32).

Convention (where CRE52 leaves room): year fractions are ACT/365 from the as-of date; floors that
CRE52 states in business days use a 250-business-day year (see maturity_factor and
adjusted_notional).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def year_fraction(dates: np.ndarray, as_of: pd.Timestamp, days_per_year: int) -> np.ndarray:
    """ACT/days_per_year from `as_of` to each date (negative for past dates, NaN for NaT)."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    days = (values - np.datetime64(as_of, "ns")) / np.timedelta64(1, "D")
    return days / days_per_year


def maturity(maturity_date: np.ndarray, as_of: pd.Timestamp, days_per_year: int) -> np.ndarray:
    """M: time to the latest date the contract may still be active (CRE52.31)."""
    return year_fraction(maturity_date, as_of, days_per_year)


def start_of_period(start_date: np.ndarray, as_of: pd.Timestamp, days_per_year: int) -> np.ndarray:
    """S: time to the start of the referenced period, 0 once it has started (CRE52.31)."""
    return np.maximum(year_fraction(start_date, as_of, days_per_year), 0.0)


def end_of_period(end_date: np.ndarray, as_of: pd.Timestamp, days_per_year: int) -> np.ndarray:
    """E: time to the end of the referenced period (CRE52.31); also sets the IR bucket (CRE52.57)."""
    return year_fraction(end_date, as_of, days_per_year)


def exercise_time(exercise_date: np.ndarray, as_of: pd.Timestamp, days_per_year: int) -> np.ndarray:
    """T: time to the latest contractual exercise date of an option (CRE52.40)."""
    return year_fraction(exercise_date, as_of, days_per_year)
