"""Alpha of each netting set: 1.4, or what the regime sets for its counterparty (CRE52.1; CRR Art. 274(2);
12 CFR 217.132(c)(5); PRA Counterparty Credit Risk Part Art. 274(2) and the transition of Art. 274(2A)).

The alpha a netting set gets depends only on its counterparty_type and, under a transition, on whether its
counterparty was exempt from the CVA charge and the set holds trades entered before the transition's date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr.params import SupervisoryParameters

STANDARD = "STANDARD"


@dataclass(frozen=True)
class AlphaApplied:
    """Per netting set: the alpha EAD is computed with and why."""

    alpha: np.ndarray  # incl. a transitional add-on, expressed as alpha
    reason: np.ndarray  # STANDARD | COUNTERPARTY_TYPE_<type> [| _TRANSITION_<share>]


def netting_set_alpha(
    counterparty_type: np.ndarray,
    cva_exempt: np.ndarray,
    legacy_trades: np.ndarray,
    as_of: dt.date,
    params: SupervisoryParameters,
) -> AlphaApplied:
    """Alpha and its reason for each netting set.

    `legacy_trades`: the number of the set's trades entered before the transition's date (trade_date empty
    counts as before: the conservative reading). Under a transition, a set whose counterparty type lowers
    alpha, whose counterparty was CVA-exempt and which holds such a trade gets the add-on
    share(year) x (standard alpha - its alpha) x (RC + PFE), i.e. alpha + share x (standard - alpha).
    """
    standard = params.general.alpha
    by_type = pd.Series(dict(params.alpha.counterparty_type), dtype=float)
    alpha = pd.Series(counterparty_type, dtype=object).map(by_type).fillna(standard).to_numpy(dtype=float)
    carved_out = alpha != standard
    by_type_reason = np.char.add("COUNTERPARTY_TYPE_", counterparty_type.astype(str)).astype(object)
    reason = np.where(carved_out, by_type_reason, STANDARD).astype(object)
    transition = params.alpha.transition
    if transition is None:
        return AlphaApplied(alpha, reason)
    share = transition.share_by_year.get(as_of.year, 0.0)
    applies = carved_out & cva_exempt & (legacy_trades > 0) & (share > 0)
    alpha = np.where(applies, alpha + share * (standard - alpha), alpha)
    reason = np.where(applies, reason + f"_TRANSITION_{share:g}", reason)
    return AlphaApplied(alpha, reason)


def legacy_trade_count(
    trade_date: np.ndarray, code: np.ndarray, netting_sets: int, params: SupervisoryParameters
) -> np.ndarray:
    """Per netting set: trades entered before the transition's date (no trade_date: counted as before)."""
    transition = params.alpha.transition
    if transition is None:
        return np.zeros(netting_sets, dtype=np.int64)
    before = np.datetime64(transition.legacy_before, "ns")
    legacy = np.isnat(trade_date) | (trade_date < before)
    return np.bincount(code[legacy], minlength=netting_sets)
