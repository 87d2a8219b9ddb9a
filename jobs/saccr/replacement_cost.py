"""Collateral terms and replacement cost RC (CRE52.10-19)."""

from __future__ import annotations

import numpy as np


def net_independent_collateral(ia_received: np.ndarray, ia_posted_unsegregated: np.ndarray) -> np.ndarray:
    """NICA: collateral received minus posted collateral that is not bankruptcy-remote (CRE52.16-17).

    Posted segregated collateral never reduces NICA, so it does not appear here.
    """
    return ia_received - ia_posted_unsegregated


def net_collateral(vm_received: np.ndarray, vm_posted: np.ndarray, nica: np.ndarray) -> np.ndarray:
    """C: haircut net collateral held, received positive and posted negative (CRE52.10-11).

    Includes posted VM with a negative sign also for unmargined sets (CRE52.10, footnote 2).
    """
    return vm_received - vm_posted + nica


def unmargined_replacement_cost(v: np.ndarray, c: np.ndarray) -> np.ndarray:
    """RC = max(V - C, 0) (CRE52.10)."""
    return np.maximum(v - c, 0.0)


def margined_replacement_cost(
    v: np.ndarray, c: np.ndarray, threshold: np.ndarray, mta: np.ndarray, nica: np.ndarray
) -> np.ndarray:
    """RC = max(V - C, TH + MTA - NICA, 0) (CRE52.18)."""
    return np.maximum(np.maximum(v - c, threshold + mta - nica), 0.0)
