"""The SA-CCR steps of CRE52, each a function over many netting sets at once (vectorised):

1. margin period of risk of each margined netting set (CRE52.50-51);
2. trade level: supervisory duration and adjusted notional (CRE52.33-36), supervisory delta (CRE52.38-41),
   maturity factor (CRE52.48-53), effective notional (CRE52.26);
3. hedging sets and asset classes: add-ons, margined and as if unmargined (CRE52.45-71);
4. netting set: V, C, NICA, RC (CRE52.10-19), multiplier and PFE (CRE52.20-23), EAD (CRE52.1) and the cap
   at the unmargined EAD (CRE52.2).

saccr.engine runs them in that order; the simplified methods of the CRR reuse some (saccr.simplified_sa_ccr).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr import adjusted_notional as an
from saccr import exposure, maturity_factor, replacement_cost
from saccr import supervisory_delta as sdelta
from saccr.aggregation import Groups, asset_class_addons, build_groups, hedging_set_addons
from saccr.columns import Columns
from saccr.errors import OptionError
from saccr.hedging_sets import HedgingSetAssignment, assign_hedging_sets
from saccr.mpor import margin_period_of_risk
from saccr.options import CalculationOptions
from saccr.params import SupervisoryParameters


def check_options(params: SupervisoryParameters, options: CalculationOptions) -> None:
    """Refuse the options the regime does not allow."""
    if not options.ir_offset and params.interest_rate.offset_formula_only:
        raise OptionError(
            f"{params.regime} allows only the formula with offsets across IR maturity buckets "
            "(CRR Art. 280a(3)): ir_offset must be true"
        )


def cap_vm_treatment(params: SupervisoryParameters, options: CalculationOptions) -> str:
    """The option's reading of VM in the cap (CRE52.2), or the regime's where the option leaves it open."""
    return options.cap_vm_treatment or params.replacement_cost.cap_vm_treatment


# ------------------------------------------------------------------------------------------ margin


@dataclass(frozen=True)
class MarginTerms:
    """Per netting set: margined or not, and the margin period of risk with the rule that set it."""

    margined: np.ndarray
    mpor_days: np.ndarray  # NaN where unmargined
    mpor_rule: np.ndarray


def margin_terms(ns: pd.DataFrame, params: SupervisoryParameters) -> MarginTerms:
    """Margin period of risk of each margined netting set (CRE52.50-51, CRE54 for cleared sets)."""
    mpor_days, mpor_rule = margin_period_of_risk(
        ns["margined"].to_numpy(),
        ns["cleared"].to_numpy(),
        ns["remargin_period_days"].to_numpy(),
        ns["input_trade_count"].to_numpy(),
        ns["illiquid_collateral"].to_numpy(),
        ns["hard_to_replace"].to_numpy(),
        ns["disputes"].to_numpy(),
        ns["mpor_override_days"].to_numpy(),
        params.mpor,
    )
    return MarginTerms(ns["margined"].to_numpy(dtype=bool), mpor_days, mpor_rule)


# --------------------------------------------------------------------------------------- trade level


@dataclass(frozen=True)
class TradeQuantities:
    """The CRE52 quantities of every trade (the audit trail of the trade output)."""

    asset_class: np.ndarray
    hedging: HedgingSetAssignment
    supervisory_duration: np.ndarray  # NaN outside IR and credit
    adjusted_notional: np.ndarray
    delta: np.ndarray
    maturity_factor: np.ndarray  # margined MF for trades of margined sets, else unmargined
    maturity_factor_unmargined: np.ndarray
    effective_notional: np.ndarray
    effective_notional_unmargined: np.ndarray
    ir_bucket: np.ndarray  # 1, 2, 3 for IR trades, 0 otherwise

    @classmethod
    def of(
        cls,
        asset_class: np.ndarray,
        hedging: HedgingSetAssignment,
        supervisory_duration: np.ndarray,
        adjusted_notional: np.ndarray,
        delta: np.ndarray,
        maturity_factor: np.ndarray,
        maturity_factor_unmargined: np.ndarray,
        ir_bucket: np.ndarray,
    ) -> TradeQuantities:
        """The quantities with their effective notional D = d x delta x MF (CRE52.26; CRR Art. 281 alike),
        margined and unmargined; FX effective notionals are signed in the hedging set's (alphabetical) pair
        orientation."""
        return cls(
            asset_class=asset_class,
            hedging=hedging,
            supervisory_duration=supervisory_duration,
            adjusted_notional=adjusted_notional,
            delta=delta,
            maturity_factor=maturity_factor,
            maturity_factor_unmargined=maturity_factor_unmargined,
            effective_notional=adjusted_notional * delta * maturity_factor * hedging.fx_sign,
            effective_notional_unmargined=adjusted_notional
            * delta
            * maturity_factor_unmargined
            * hedging.fx_sign,
            ir_bucket=ir_bucket,
        )


def trade_quantities(
    t: Columns, code: np.ndarray, margin: MarginTerms, params: SupervisoryParameters
) -> TradeQuantities:
    """Adjusted notional, delta, maturity factor and effective notional D = d x delta x MF (CRE52.26)."""
    hs = assign_hedging_sets(t, params)
    sd, d = adjusted_notional(t, params)
    delta = supervisory_delta(t, hs, params)
    mf, mf_unmargined = maturity_factors(t, code, margin, params)
    return TradeQuantities.of(t["asset_class"], hs, sd, d, delta, mf, mf_unmargined, ir_buckets(t, params))


def adjusted_notional(t: Columns, params: SupervisoryParameters) -> tuple[np.ndarray, np.ndarray]:
    """Supervisory duration (NaN outside IR and credit) and adjusted notional d (CRE52.33-36).

    IR and credit: notional x SD (CRE52.34); FX: the foreign leg (CRE52.35); equity and commodity: units x
    price, or the notional as the current value of the units (CRE52.36).
    """
    g = params.general
    ac = t["asset_class"]
    period = (ac == "IR") | (ac == "CREDIT")
    sd = an.supervisory_duration(
        t["s"], t["e"], g.sd_rate, g.sd_floor_business_days / g.business_days_per_year
    )
    sd = np.where(period, sd, np.nan)
    fx_d = an.fx_adjusted_notional(
        t["notional_reporting"], t["leg_2_reporting"], t["leg_1_is_reporting"], t["leg_2_is_reporting"]
    )
    d = np.select([period, ac == "FX"], [t["notional_reporting"] * sd, fx_d], t["units_value_reporting"])
    return sd, d


def supervisory_delta(t: Columns, hs: HedgingSetAssignment, params: SupervisoryParameters) -> np.ndarray:
    """Options by the Black-Scholes form with the lambda shift (CRE52.40 and FAQ2), CDO tranches (CRE52.41),
    +1 / -1 for everything else (CRE52.38)."""
    g = params.general
    is_long = t["is_long"]
    is_tranche = ~np.isnan(t["attachment"])
    option = sdelta.option_delta(
        t["is_call"], is_long, t["price"], t["strike"], t["shift"], hs.option_volatility, t["t"]
    )
    tranche = sdelta.tranche_delta(
        is_long, t["attachment"], t["detachment"], g.tranche_delta_numerator, g.tranche_delta_slope
    )
    return np.select([t["is_option"], is_tranche], [option, tranche], sdelta.linear_delta(is_long))


def maturity_factors(
    t: Columns, code: np.ndarray, margin: MarginTerms, params: SupervisoryParameters
) -> tuple[np.ndarray, np.ndarray]:
    """The maturity factor of each trade and its unmargined MF (CRE52.48-53).

    Unmargined: sqrt(min(M, 1)) with M floored at ten business days (CRE52.48); margined: 3/2 sqrt(MPOR / 1
    year) from its netting set's MPOR (CRE52.52). The unmargined MF also serves the cap (CRE52.2).
    """
    g = params.general
    unmargined = maturity_factor.unmargined_maturity_factor(
        t["m"], g.maturity_floor_business_days / g.business_days_per_year
    )
    margined = maturity_factor.margined_maturity_factor(
        margin.mpor_days, g.business_days_per_year, g.margined_mf_scale
    )
    return np.where(margin.margined[code], margined[code], unmargined), unmargined


def ir_buckets(t: Columns, params: SupervisoryParameters) -> np.ndarray:
    """Maturity bucket of each IR trade by its end date E (CRE52.57(3)); 0 for other asset classes.

    At E = 1 the regime decides: bucket 1 under the CRR (Art. 280a(3) Table 2: "> 0 and <= 1"), bucket 2 by
    this project's convention where the text is silent (CRE52.57(3)). E = 5 is in bucket 2 everywhere.
    """
    ir, e = params.interest_rate, t["e"]
    in_1 = (e <= ir.bucket_1_upper_years) if ir.bucket_1_includes_upper else (e < ir.bucket_1_upper_years)
    bucket = np.where(in_1, 1, np.where(e <= ir.bucket_2_upper_years, 2, 3))
    return np.where(t["asset_class"] == "IR", bucket, 0)


# --------------------------------------------------------------------------------- hedging sets, add-ons


@dataclass(frozen=True)
class AddOns:
    """Hedging-set add-ons (margined and as if unmargined) and their sums per netting set and asset class."""

    groups: Groups | None  # None where there are no hedging sets (the original exposure method)
    hedging_set: dict[str, np.ndarray]  # per hedging set: bucket amounts, effective notional, terms, add-on
    hedging_set_unmargined: dict[str, np.ndarray]
    by_asset_class: dict[str, np.ndarray]  # per netting set
    aggregate: np.ndarray  # per netting set
    aggregate_unmargined: np.ndarray


def add_ons(
    trade: TradeQuantities, code: np.ndarray, netting_sets: int, params: SupervisoryParameters,
    options: CalculationOptions,
) -> AddOns:  # fmt: skip
    """Add-ons per hedging set (CRE52.55-71) summed per asset class and netting set without offset
    (AddOn_aggregate, CRE52.25); also from the unmargined effective notionals, for the cap (CRE52.2)."""
    groups = hedging_set_groups(trade, code)
    ir = params.interest_rate

    def per_hedging_set(effective: np.ndarray) -> dict[str, np.ndarray]:
        sf = trade.hedging.supervisory_factor
        return hedging_set_addons(groups, trade.ir_bucket, sf, effective, ir, options.ir_offset)

    return summed_add_ons(groups, per_hedging_set, trade, netting_sets)


def hedging_set_groups(trade: TradeQuantities, code: np.ndarray) -> Groups:
    """The hedging sets of the trades (CRE52.43-49) as groups for the aggregation."""
    hs = trade.hedging
    return build_groups(
        code, trade.asset_class, hs.key, hs.kind, hs.risk_key, hs.supervisory_factor, hs.correlation
    )


def summed_add_ons(
    groups: Groups,
    per_hedging_set: Callable[[np.ndarray], dict[str, np.ndarray]],
    trade: TradeQuantities,
    netting_sets: int,
) -> AddOns:
    """Hedging-set add-ons from the margined and the unmargined effective notionals, summed per asset class
    and per netting set without offset across asset classes (CRE52.25)."""
    main = per_hedging_set(trade.effective_notional)
    unmargined = per_hedging_set(trade.effective_notional_unmargined)
    by_class = asset_class_addons(groups, main["addon"], netting_sets)
    by_class_unmargined = asset_class_addons(groups, unmargined["addon"], netting_sets)
    return AddOns(
        groups=groups,
        hedging_set=main,
        hedging_set_unmargined=unmargined,
        by_asset_class=by_class,
        aggregate=sum(by_class.values(), np.zeros(netting_sets)),
        aggregate_unmargined=sum(by_class_unmargined.values(), np.zeros(netting_sets)),
    )


# ------------------------------------------------------------------------------------------ netting set


@dataclass(frozen=True)
class NettingSetExposure:
    """RC, PFE and EAD of every netting set, margined and as if unmargined (the cap)."""

    v: np.ndarray
    c: np.ndarray
    nica: np.ndarray
    rc: np.ndarray
    multiplier: np.ndarray
    pfe: np.ndarray
    ead_margined: np.ndarray  # EAD by the set's own terms (margined formula where margined)
    rc_unmargined: np.ndarray
    multiplier_unmargined: np.ndarray
    ead_unmargined: np.ndarray
    ead: np.ndarray


def netting_set_exposure(
    ns: pd.DataFrame,
    mtm: np.ndarray,
    code: np.ndarray,
    margined: np.ndarray,
    addons: AddOns,
    alpha: np.ndarray,
    params: SupervisoryParameters,
    options: CalculationOptions,
) -> NettingSetExposure:
    """V, C, NICA, RC (CRE52.10-19), multiplier and PFE (CRE52.20-23), EAD = alpha x (RC + PFE) with each
    set's alpha (CRE52.1; saccr.alpha), capped at the unmargined EAD for margined sets (CRE52.2)."""
    g = params.general
    v = np.bincount(code, weights=mtm, minlength=len(ns))  # CRE52.10: V, sum of the MtMs
    nica = replacement_cost.net_independent_collateral(
        ns["ia_received"].to_numpy(), ns["ia_posted_unsegregated"].to_numpy()
    )
    c = replacement_cost.net_collateral(ns["vm_received"].to_numpy(), ns["vm_posted"].to_numpy(), nica)
    rc = np.where(
        margined,
        replacement_cost.margined_replacement_cost(
            v, c, ns["threshold"].to_numpy(), ns["mta"].to_numpy(), nica
        ),
        replacement_cost.unmargined_replacement_cost(v, c),
    )
    multiplier = exposure.pfe_multiplier(v - c, addons.aggregate, g.multiplier_floor)
    ead_margined = exposure.exposure_at_default(rc, multiplier, addons.aggregate, alpha)
    # CRE52.2: the same netting set as if unmargined; C with or without VM (EBA Q&A 2023_6962).
    c_cap = nica if cap_vm_treatment(params, options) == "eu" else c
    rc_u = np.where(margined, replacement_cost.unmargined_replacement_cost(v, c_cap), rc)
    multiplier_u = np.where(
        margined,
        exposure.pfe_multiplier(v - c_cap, addons.aggregate_unmargined, g.multiplier_floor),
        multiplier,
    )
    ead_u = np.where(
        margined,
        exposure.exposure_at_default(rc_u, multiplier_u, addons.aggregate_unmargined, alpha),
        ead_margined,
    )
    return NettingSetExposure(
        v=v,
        c=c,
        nica=nica,
        rc=rc,
        multiplier=multiplier,
        pfe=multiplier * addons.aggregate,
        ead_margined=ead_margined,
        rc_unmargined=rc_u,
        multiplier_unmargined=multiplier_u,
        ead_unmargined=ead_u,
        ead=np.where(margined, np.minimum(ead_margined, ead_u), ead_margined),
    )
