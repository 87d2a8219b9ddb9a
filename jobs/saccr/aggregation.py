"""Add-ons per hedging set and asset class (CRE52.55-71), vectorised over many netting sets.

Trades carry integer netting-set codes; hedging sets and entities become integer group ids and every
sum is an `np.bincount`, so one call handles thousands of netting sets without a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr.contract import ASSET_CLASSES
from saccr.params import InterestRate

ENTITY_CLASSES = ("CREDIT", "EQUITY")


@dataclass(frozen=True)
class Groups:
    """Hedging-set and entity group ids of the trades, with per-group attributes."""

    hedging_set: np.ndarray  # per trade: hedging-set id
    count: int
    netting_set: np.ndarray  # per hedging set: netting-set code
    asset_class: np.ndarray  # per hedging set
    key: np.ndarray  # per hedging set
    kind: np.ndarray  # per hedging set
    supervisory_factor: np.ndarray  # per hedging set (IR and FX: one factor per hedging set)
    trade_count: np.ndarray  # per hedging set
    entity: np.ndarray  # per trade: entity / commodity-type id, -1 for IR and FX
    entity_count: int
    entity_hedging_set: np.ndarray  # per entity: hedging-set id
    entity_correlation: np.ndarray  # per entity: rho


def build_groups(
    netting_set: np.ndarray,
    asset_class: np.ndarray,
    key: np.ndarray,
    kind: np.ndarray,
    risk_key: np.ndarray,
    supervisory_factor: np.ndarray,
    correlation: np.ndarray,
) -> Groups:
    """Number the hedging sets (netting set x asset class x key) and the entities inside them."""
    frame = pd.DataFrame({"ns": netting_set, "ac": asset_class, "key": key})
    hs = frame.groupby(["ns", "ac", "key"], sort=True).ngroup().to_numpy(dtype=np.int64)
    count = int(hs.max()) + 1 if len(hs) else 0
    first = np.zeros(count, dtype=np.int64)
    first[hs[::-1]] = np.arange(len(hs))[::-1]

    has_entity = pd.notna(risk_key)
    entity = np.full(len(hs), -1, dtype=np.int64)
    if has_entity.any():
        sub = pd.DataFrame({"hs": hs[has_entity], "rk": risk_key[has_entity]})
        entity[has_entity] = sub.groupby(["hs", "rk"], sort=True).ngroup().to_numpy(dtype=np.int64)
    entity_count = int(entity.max()) + 1 if has_entity.any() else 0
    entity_hs = np.zeros(entity_count, dtype=np.int64)
    entity_rho = np.zeros(entity_count)
    entity_hs[entity[has_entity]] = hs[has_entity]
    entity_rho[entity[has_entity]] = correlation[has_entity]
    return Groups(
        hedging_set=hs,
        count=count,
        netting_set=netting_set[first],
        asset_class=asset_class[first],
        key=key[first],
        kind=kind[first],
        supervisory_factor=supervisory_factor[first],
        trade_count=np.bincount(hs, minlength=count),
        entity=entity,
        entity_count=entity_count,
        entity_hedging_set=entity_hs,
        entity_correlation=entity_rho,
    )


def _interest_rate(
    g: Groups, bucket: np.ndarray, d: np.ndarray, ir: InterestRate, offset: bool
) -> dict[str, np.ndarray]:
    """IR hedging set: buckets by E, offset formula or sum of absolutes (CRE52.57)."""
    is_ir = bucket > 0
    idx = g.hedging_set[is_ir] * 3 + (bucket[is_ir] - 1)
    by_bucket = np.bincount(idx, weights=d[is_ir], minlength=3 * g.count).reshape(g.count, 3)
    d1, d2, d3 = by_bucket[:, 0], by_bucket[:, 1], by_bucket[:, 2]
    if offset:
        squared = (
            d1**2
            + d2**2
            + d3**2
            + 2 * ir.rho_12 * d1 * d2
            + 2 * ir.rho_23 * d2 * d3
            + 2 * ir.rho_13 * d1 * d3
        )
        effective = np.sqrt(np.maximum(squared, 0.0))
    else:
        effective = np.abs(d1) + np.abs(d2) + np.abs(d3)
    return {"d_bucket_1": d1, "d_bucket_2": d2, "d_bucket_3": d3, "effective_notional": effective}


def hedging_set_addons(
    g: Groups,
    bucket: np.ndarray,
    sf: np.ndarray,
    effective_notional: np.ndarray,
    ir: InterestRate,
    ir_offset: bool,
    entity_offset: bool = True,
) -> dict[str, np.ndarray]:
    """Add-on and its inputs for every hedging set, from the trades' effective notionals D_i.

    `entity_offset` False: credit, equity and commodity hedging sets add the absolute entity / type add-ons
    without the correlation terms (simplified SA-CCR, CRR Art. 281(2)).
    """
    ac = g.asset_class
    out = _interest_rate(g, bucket, effective_notional, ir, ir_offset)
    is_ir = ac == "IR"
    # FX: full offset inside the pair (CRE52.59); other risks: inside the hedging set (CRR Art. 280f(2)).
    is_net = (ac == "FX") | (ac == "OTHER")
    net = np.bincount(g.hedging_set, weights=effective_notional, minlength=g.count)
    out["effective_notional"] = np.where(is_ir, out["effective_notional"], np.where(is_net, net, np.nan))
    for col in ("d_bucket_1", "d_bucket_2", "d_bucket_3"):
        out[col] = np.where(is_ir, out[col], np.nan)

    # Credit, equity (CRE52.61-68) and commodity (CRE52.70-71): entity / type add-ons first.
    has_entity = g.entity >= 0
    entity_addon = np.bincount(
        g.entity[has_entity], weights=(sf * effective_notional)[has_entity], minlength=g.entity_count
    )
    rho = g.entity_correlation
    ehs = g.entity_hedging_set
    rho_sum = np.bincount(ehs, weights=rho * entity_addon, minlength=g.count)
    idio_entity = np.bincount(ehs, weights=(1.0 - rho**2) * entity_addon**2, minlength=g.count)
    plain_sum = np.bincount(ehs, weights=entity_addon, minlength=g.count)
    square_sum = np.bincount(ehs, weights=entity_addon**2, minlength=g.count)
    rho_hs = np.zeros(g.count)
    rho_hs[ehs] = rho  # one commodity correlation per hedging set
    is_commodity = ac == "COMMODITY"
    is_entity = np.isin(ac, ENTITY_CLASSES)
    systematic = np.where(is_commodity, (rho_hs * plain_sum) ** 2, rho_sum**2)
    idiosyncratic = np.where(is_commodity, (1.0 - rho_hs**2) * square_sum, idio_entity)
    entity_based = is_commodity | is_entity
    out["systematic"] = np.where(entity_based & entity_offset, systematic, np.nan)
    out["idiosyncratic"] = np.where(entity_based & entity_offset, idiosyncratic, np.nan)
    if entity_offset:
        entity_based_addon = np.sqrt(systematic + idiosyncratic)
    else:
        entity_based_addon = np.bincount(ehs, weights=np.abs(entity_addon), minlength=g.count)

    addon = np.where(
        is_ir,
        g.supervisory_factor * out["effective_notional"],
        np.where(is_net, g.supervisory_factor * np.abs(net), entity_based_addon),
    )
    out["addon"] = addon
    return out


def asset_class_addons(
    g: Groups, hedging_set_addon: np.ndarray, netting_set_count: int
) -> dict[str, np.ndarray]:
    """Sum of hedging-set add-ons per netting set and asset class (no offset across hedging sets)."""
    result = {}
    for name in ASSET_CLASSES:
        mask = g.asset_class == name
        result[name] = np.bincount(
            g.netting_set[mask], weights=hedging_set_addon[mask], minlength=netting_set_count
        ).astype(float)
    return result
