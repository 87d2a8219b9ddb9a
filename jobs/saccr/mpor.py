"""Margin period of risk of margined netting sets and the rule that set it (CRE52.50-51, CRE54)."""

from __future__ import annotations

import numpy as np

from saccr.params import Mpor


def margin_period_of_risk(
    margined: np.ndarray,
    cleared: np.ndarray,
    remargin_period_days: np.ndarray,
    trade_count: np.ndarray,
    illiquid_collateral: np.ndarray,
    hard_to_replace: np.ndarray,
    disputes: np.ndarray,
    override_days: np.ndarray,
    p: Mpor,
) -> tuple[np.ndarray, np.ndarray]:
    """MPOR in business days and a label of the rules that set it; NaN / "UNMARGINED" if unmargined.

    Floor F: 10 non-cleared (CRE52.50(1)), 5 client-cleared (CRE54), 20 for more than 5,000 trades
    not with a CCP, for illiquid collateral or for a hard-to-replace derivative (CRE52.51(1)-(2)).
    Remargining every N > 1 days gives F + N - 1 for every F (CRE52.50(2): 9 + N for the 10-day floor;
    the same form for the other floors, as in CRR Art. 285(5)). More than two long disputes in the
    previous two quarters double that floor, remargining period included (CRE52.51(3): "at least
    double the supervisory floor for that netting set"): 2 x (F + N - 1). The bank's own estimate
    (`mpor_override_days`) applies where it is longer than the supervisory floor.
    """
    n = remargin_period_days.astype(float)
    large = ~cleared & (trade_count > p.large_netting_set_trades)
    base = np.where(cleared, p.cleared_days, p.bilateral_days).astype(float)
    floor = np.where(
        large | illiquid_collateral | hard_to_replace, np.maximum(base, p.large_or_illiquid_days), base
    )
    remargined = floor + n - 1.0  # CRE52.50(2)
    disputed = disputes > p.dispute_count_threshold
    supervisory = np.where(disputed, remargined * p.dispute_multiplier, remargined)  # CRE52.51(3)
    overridden = ~np.isnan(override_days) & (override_days > supervisory)
    mpor = np.where(overridden, override_days, supervisory)

    rule = np.where(cleared, "CLEARED", "BILATERAL").astype(object)
    rule = np.where(large, "LARGE_NETTING_SET", rule)
    rule = np.where(illiquid_collateral, "ILLIQUID_COLLATERAL", rule)
    rule = np.where(hard_to_replace, "HARD_TO_REPLACE", rule)
    rule = rule + "_" + floor.astype(int).astype(str)
    rule = np.where(n > 1, rule + "_REMARGIN_" + n.astype(int).astype(str) + "D", rule)
    rule = np.where(disputed, rule + "_DISPUTES_X" + str(p.dispute_multiplier), rule)
    rule = np.where(overridden, "BANK_ESTIMATE_" + mpor.astype(int).astype(str), rule)
    return np.where(margined, mpor, np.nan), np.where(margined, rule, "UNMARGINED")
