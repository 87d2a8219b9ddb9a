"""Supervisory delta delta_i (CRE52.38-41)."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr


def linear_delta(is_long: np.ndarray) -> np.ndarray:
    """+1 long, -1 short in the primary risk factor (CRE52.38)."""
    return np.where(is_long, 1.0, -1.0)


def option_delta(
    is_call: np.ndarray,
    is_bought: np.ndarray,
    price: np.ndarray,
    strike: np.ndarray,
    shift: np.ndarray,
    volatility: np.ndarray,
    expiry: np.ndarray,
) -> np.ndarray:
    """Black-Scholes form of CRE52.40 with the lambda shift of its FAQ2.

    d1 = [ln((P + lambda) / (K + lambda)) + 0.5 sigma^2 T] / (sigma sqrt(T));
    bought call +Phi(d1), sold call -Phi(d1), bought put -Phi(-d1), sold put +Phi(-d1).
    At T = 0 d1 takes its limit: +inf in the money, -inf out of the money, 0 at the money.
    """
    with np.errstate(divide="ignore"):  # a shifted P or K of exactly 0 gives d1 = -inf or +inf: its limit
        log_moneyness = np.log((price + shift) / (strike + shift))
    root_t = volatility * np.sqrt(expiry)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (log_moneyness + 0.5 * volatility**2 * expiry) / root_t
    expired = root_t == 0.0
    limit = np.where(log_moneyness > 0, np.inf, np.where(log_moneyness < 0, -np.inf, 0.0))
    d1 = np.where(expired, limit, d1)
    call_or_put = np.where(is_call, ndtr(d1), -ndtr(-d1))
    return np.where(is_bought, call_or_put, -call_or_put)


def tranche_delta(
    is_protection_bought: np.ndarray,
    attachment: np.ndarray,
    detachment: np.ndarray,
    numerator: float,
    slope: float,
) -> np.ndarray:
    """CDO tranche: +-15 / ((1 + 14 A)(1 + 14 D)), + for purchased protection (CRE52.41).

    nth-to-default on m names is the tranche A = (n - 1) / m, D = n / m (CRE52.41, footnote).
    """
    magnitude = numerator / ((1.0 + slope * attachment) * (1.0 + slope * detachment))
    return np.where(is_protection_bought, magnitude, -magnitude)


def ir_option_lambda(price: np.ndarray, strike: np.ndarray, threshold: float) -> np.ndarray:
    """Per-option shift of an interest-rate option: lambda = max(threshold - min(P, K), 0), threshold 0.10%
    (Delegated Regulation (EU) 2021/931 Art. 5(2), as amended by 2025/855): P + lambda and K + lambda are
    at least the threshold, so ln((P + lambda) / (K + lambda)) is defined; lambda = 0 where both exceed it."""
    return np.maximum(threshold - np.fmin(price, strike), 0.0)


def commodity_option_lambda(price: np.ndarray, strike: np.ndarray, threshold: float) -> np.ndarray:
    """Per-option shift of a commodity option: lambda = max(-(1 + threshold) min(P, K), 0), threshold 0.1
    (Delegated Regulation (EU) 2021/931 Art. 5(2) as amended by 2025/855): a negative price or strike is
    shifted to threshold x its size above zero; lambda = 0 where both are non-negative."""
    return np.maximum(-(1.0 + threshold) * np.fmin(price, strike), 0.0)
