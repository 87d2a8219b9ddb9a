"""The SA-CCR engine: extract frames in, trade / hedging-set / netting-set results out (CRE52).

`compute` = `prepare` (types, market data, input rules, time parameters) + `calculate` (adjusted
notional, delta, maturity factor, hedging sets, add-ons, RC, multiplier, EAD and the cap). Both work
on many netting sets at once, vectorised; no loop over trades or netting sets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from saccr import adjusted_notional as an
from saccr import exposure, maturity_factor, replacement_cost
from saccr import supervisory_delta as sdelta
from saccr import time_parameters as tp
from saccr.aggregation import asset_class_addons, build_groups, hedging_set_addons
from saccr.contract import (
    COLLATERAL_COLUMNS,
    HEDGING_SET_RESULT_COLUMNS,
    MARKET_DATA_COLUMNS,
    NETTING_SET_RESULT_COLUMNS,
    REJECTED_COLUMNS,
    TRADE_COLUMNS,
    TRADE_RESULT_COLUMNS,
    VALUATION_COLUMNS,
)
from saccr.errors import InputError
from saccr.hedging_sets import assign_hedging_sets
from saccr.mpor import margin_period_of_risk
from saccr.params import SupervisoryParameters
from saccr.validation import (
    Rejections,
    TradeLookups,
    blank,
    empty_rejections,
    validate_collateral,
    validate_market_data,
    validate_trades,
    validate_valuations,
)


@dataclass(frozen=True)
class CalculationOptions:
    """Choices the regulation leaves to the bank, and the pipeline's policies."""

    reporting_currency: str = "USD"
    ir_offset: bool = True  # CRE52.57(4): offset formula; False = sum of absolute bucket amounts
    # CRE52.2 cap: "basel" keeps C (with VM) in the unmargined comparison; "eu" uses C = NICA
    # (EBA Q&A 2023_6962 on CRR Art. 274(3)).
    cap_vm_treatment: Literal["basel", "eu"] = "basel"
    # A netting set missing a rejected trade is understated: "hold" leaves it out of the results
    # (its trades listed as rejected), "flag" computes it on what passed with complete = False.
    incomplete_netting_sets: Literal["hold", "flag"] = "hold"


@dataclass(frozen=True)
class Prepared:
    """Validated inputs in the reporting currency, with time parameters; what `calculate` takes."""

    as_of: pd.Timestamp
    trades: pd.DataFrame
    netting_sets: pd.DataFrame
    rejected: pd.DataFrame


@dataclass(frozen=True)
class EngineResult:
    """Engine output frames; columns as in saccr.contract."""

    trades: pd.DataFrame
    hedging_sets: pd.DataFrame
    netting_sets: pd.DataFrame
    rejected: pd.DataFrame


def compute(
    trades: pd.DataFrame,
    valuations: pd.DataFrame,
    collateral: pd.DataFrame,
    market_data: pd.DataFrame,
    as_of: dt.date,
    params: SupervisoryParameters,
    options: CalculationOptions | None = None,
) -> EngineResult:
    """SA-CCR EAD of every netting set in the extracts (CRE52.1)."""
    options = options or CalculationOptions()
    prepared = prepare(trades, valuations, collateral, market_data, as_of, params, options)
    return calculate(prepared, params, options)


def _require_columns(frame: pd.DataFrame, columns: dict[str, str], extract: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{extract}: missing columns {missing}")


def _text_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    values = frame[name].astype(object).to_numpy()
    return np.where(blank(values), None, values).astype(object)


def _rates(market_data: pd.DataFrame, kind: str, keys: np.ndarray) -> np.ndarray:
    table = market_data.loc[market_data["kind"] == kind].set_index("key")["value"]
    return pd.Series(keys, dtype=object).map(table).to_numpy(dtype=float)


def prepare(
    trades: pd.DataFrame,
    valuations: pd.DataFrame,
    collateral: pd.DataFrame,
    market_data: pd.DataFrame,
    as_of: dt.date,
    params: SupervisoryParameters,
    options: CalculationOptions,
) -> Prepared:
    """Check the inputs row by row, convert amounts to the reporting currency, derive M, S, E, T."""
    for frame, columns, name in (
        (trades, TRADE_COLUMNS, "trades"),
        (valuations, VALUATION_COLUMNS, "valuations"),
        (collateral, COLLATERAL_COLUMNS, "collateral"),
        (market_data, MARKET_DATA_COLUMNS, "market_data"),
    ):
        _require_columns(frame, columns, name)
    day = pd.Timestamp(as_of)
    ccy = options.reporting_currency

    md = market_data.reset_index(drop=True)
    md_rej = validate_market_data(md, ccy).frame()
    md_ok = md.drop(index=md_rej["_row"].unique())
    md_ok = pd.concat(
        [md_ok, pd.DataFrame({"kind": ["FX"], "key": [ccy], "value": [1.0]})], ignore_index=True
    ).drop_duplicates(["kind", "key"])

    col = collateral.reset_index(drop=True)
    col_rej = validate_collateral(col, ~np.isnan(_rates(md_ok, "FX", col["currency"].to_numpy(dtype=object))))
    col_rej_frame = col_rej.frame()
    col_ok = col.drop(index=col_rej_frame["_row"].unique())

    t = trades.reset_index(drop=True)
    val = valuations.reset_index(drop=True)
    trade_ids = t["trade_id"].to_numpy(dtype=object)
    val_rej = validate_valuations(
        val,
        pd.Series(val["trade_id"].to_numpy(dtype=object)).isin(pd.Series(trade_ids)).to_numpy(),
        ~np.isnan(_rates(md_ok, "FX", val["mtm_currency"].to_numpy(dtype=object))),
    ).frame()
    val_ok = val.drop(index=val_rej["_row"].unique())

    ccy1 = _text_column(t, "notional_currency")
    is_ir = t["asset_class"].to_numpy(dtype=object) == "IR"
    lambdas = dict(params.interest_rate.lambda_shift)
    shift = np.where(is_ir, pd.Series(ccy1, dtype=object).map(lambdas).to_numpy(dtype=float), np.nan)
    look = TradeLookups(
        rate_1=_rates(md_ok, "FX", ccy1),
        rate_2=_rates(md_ok, "FX", _text_column(t, "currency_2")),
        price=_rates(md_ok, "PRICE", _text_column(t, "underlying_id")),
        shift=shift,
        has_valuation=pd.Series(trade_ids).isin(val_ok["trade_id"]).to_numpy(),
        has_collateral=pd.Series(t["netting_set_id"].to_numpy(dtype=object)).isin(col_ok["netting_set_id"]).to_numpy(),
    )
    trade_rej = validate_trades(t, look, day).frame()
    bad = np.zeros(len(t), dtype=bool)
    bad[trade_rej["_row"].to_numpy(dtype=np.int64)] = True

    rejected = [md_rej, col_rej_frame, val_rej, trade_rej]
    ns_all = t["netting_set_id"].to_numpy(dtype=object)
    incomplete = pd.Series(ns_all[bad]).dropna().unique()
    if options.incomplete_netting_sets == "hold" and len(incomplete):
        held = ~bad & pd.Series(ns_all).isin(incomplete).to_numpy()
        hold = Rejections("trades", trade_ids, ns_all)
        hold.add(held, "netting_set_id", "netting_set_held_incomplete",
                 "netting set held back: another of its trades was rejected")
        rejected.append(hold.frame())
        bad |= held
        col_ok = col_ok.loc[~col_ok["netting_set_id"].isin(incomplete)]

    rejected_frame = pd.concat(rejected, ignore_index=True)[list(REJECTED_COLUMNS)]
    ok = np.flatnonzero(~bad)
    mtm_table = val_ok.set_index("trade_id")
    mtm_local = pd.Series(trade_ids[ok], dtype=object).map(mtm_table["mtm"]).to_numpy(dtype=float)
    mtm_rate = _rates(md_ok, "FX", pd.Series(trade_ids[ok], dtype=object).map(mtm_table["mtm_currency"]).to_numpy())

    prepared_trades = _prepared_trades(t.iloc[ok].reset_index(drop=True), look, ok, mtm_local * mtm_rate, day, params, ccy)
    trade_rows = pd.Series(ns_all).value_counts()
    rejected_count = (
        rejected_frame.loc[rejected_frame["extract"] == "trades"]
        .drop_duplicates("trade_id")["netting_set_id"].value_counts()
    )
    netting_sets = _prepared_netting_sets(col_ok, md_ok, trade_rows, rejected_count)
    return Prepared(as_of=day, trades=prepared_trades, netting_sets=netting_sets, rejected=rejected_frame)


def _prepared_trades(
    t: pd.DataFrame,
    look: TradeLookups,
    ok: np.ndarray,
    mtm: np.ndarray,
    day: pd.Timestamp,
    params: SupervisoryParameters,
    reporting_currency: str,
) -> pd.DataFrame:
    """Validated trades with amounts in the reporting currency and time parameters M, S, E, T."""
    days = params.general.days_per_year
    ac = t["asset_class"].to_numpy(dtype=object)
    period = (ac == "IR") | (ac == "CREDIT")
    rate_1, rate_2, price = look.rate_1[ok], look.rate_2[ok], look.price[ok]
    notional = t["notional"].to_numpy(dtype=float) * rate_1
    option_type = _text_column(t, "option_type")
    ccy1, ccy2 = _text_column(t, "notional_currency"), _text_column(t, "currency_2")
    shift = look.shift[ok]
    return pd.DataFrame(
        {
            "trade_id": t["trade_id"].to_numpy(dtype=object),
            "netting_set_id": t["netting_set_id"].to_numpy(dtype=object),
            "asset_class": ac,
            "is_long": t["direction"].to_numpy(dtype=object) == "LONG",
            "notional_currency": ccy1,
            "currency_2": ccy2,
            "notional_reporting": notional,
            "leg_1_reporting": notional,
            "leg_2_reporting": t["notional_2"].to_numpy(dtype=float) * rate_2,
            "leg_1_is_reporting": ccy1 == reporting_currency,
            "leg_2_is_reporting": ccy2 == reporting_currency,
            "units_value_reporting": an.units_adjusted_notional(
                t["quantity"].to_numpy(dtype=float), price * rate_1, notional
            ),
            "m": tp.maturity(t["maturity_date"], day, days),
            "s": np.where(period, tp.start_of_period(t["start_date"], day, days), np.nan),
            "e": np.where(period, tp.end_of_period(t["end_date"], day, days), np.nan),
            "t": np.where(option_type != None, tp.exercise_time(t["exercise_date"], day, days), np.nan),  # noqa: E711
            "is_option": option_type != None,  # noqa: E711
            "is_call": option_type == "CALL",
            "price": price,
            "strike": t["strike"].to_numpy(dtype=float),
            # The lambda shift applies only where P or K is not positive (CRE52.40 FAQ2).
            "shift": np.where(np.fmin(price, t["strike"].to_numpy(dtype=float)) <= 0, shift, 0.0),
            "attachment": t["attachment"].to_numpy(dtype=float),
            "detachment": t["detachment"].to_numpy(dtype=float),
            "reference_entity": _text_column(t, "reference_entity"),
            "is_index": t["is_index"].fillna(False).to_numpy(dtype=bool),
            "credit_quality": _text_column(t, "credit_quality"),
            "commodity_type": _text_column(t, "commodity_type"),
            "commodity": _text_column(t, "commodity"),
            "basis_key": _text_column(t, "basis_key"),
            "is_volatility": t["is_volatility"].fillna(False).to_numpy(dtype=bool),
            "mtm": mtm,
        }
    )


def _prepared_netting_sets(
    col: pd.DataFrame, md: pd.DataFrame, trade_rows: pd.Series, rejected_count: pd.Series
) -> pd.DataFrame:
    """Collateral terms in the reporting currency, one row per netting set, sorted by id."""
    col = col.sort_values("netting_set_id", kind="stable").reset_index(drop=True)
    rate = _rates(md, "FX", col["currency"].to_numpy(dtype=object))
    amount = {
        name: col[name].to_numpy(dtype=float) * rate
        for name in ("vm_received", "vm_posted", "ia_received", "ia_posted_unsegregated", "threshold", "mta")
    }
    ns = col["netting_set_id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "netting_set_id": ns,
            "counterparty_id": _text_column(col, "counterparty_id"),
            "margined": col["margined"].to_numpy(dtype=bool),
            "cleared": col["cleared"].to_numpy(dtype=bool),
            **amount,
            "remargin_period_days": col["remargin_period_days"].to_numpy(dtype=float),
            "disputes": col["disputes"].to_numpy(dtype=float),
            "illiquid_collateral": col["illiquid_collateral"].to_numpy(dtype=bool),
            "hard_to_replace": col["hard_to_replace"].to_numpy(dtype=bool),
            "mpor_override_days": col["mpor_override_days"].to_numpy(dtype=float, na_value=np.nan),
            "input_trade_count": pd.Series(ns, dtype=object).map(trade_rows).fillna(0).to_numpy(dtype=np.int64),
            "rejected_trade_count": pd.Series(ns, dtype=object).map(rejected_count).fillna(0).to_numpy(dtype=np.int64),
        }
    )


def calculate(prepared: Prepared, params: SupervisoryParameters, options: CalculationOptions) -> EngineResult:
    """Trade-level quantities, add-ons and EAD for prepared inputs (CRE52.1-71)."""
    g = params.general
    ns = prepared.netting_sets
    t = prepared.trades
    code = pd.Index(ns["netting_set_id"]).get_indexer(t["netting_set_id"])

    # Margin period of risk per netting set (CRE52.50-51).
    mpor_days, mpor_rule = margin_period_of_risk(
        ns["margined"].to_numpy(), ns["cleared"].to_numpy(), ns["remargin_period_days"].to_numpy(),
        ns["input_trade_count"].to_numpy(), ns["illiquid_collateral"].to_numpy(),
        ns["hard_to_replace"].to_numpy(), ns["disputes"].to_numpy(), ns["mpor_override_days"].to_numpy(),
        params.mpor,
    )
    margined = ns["margined"].to_numpy(dtype=bool)

    # Trade level: adjusted notional (CRE52.33-36), delta (CRE52.38-41), MF (CRE52.48-52).
    hs = assign_hedging_sets(t, params)
    ac = t["asset_class"].to_numpy(dtype=object)
    period = (ac == "IR") | (ac == "CREDIT")
    sd = an.supervisory_duration(
        t["s"].to_numpy(), t["e"].to_numpy(), g.sd_rate, g.sd_floor_business_days / g.business_days_per_year
    )
    sd = np.where(period, sd, np.nan)
    fx_d = an.fx_adjusted_notional(
        t["leg_1_reporting"].to_numpy(), t["leg_2_reporting"].to_numpy(),
        t["leg_1_is_reporting"].to_numpy(), t["leg_2_is_reporting"].to_numpy(),
    )
    d = np.select(
        [period, ac == "FX"],
        [t["notional_reporting"].to_numpy() * sd, fx_d],
        t["units_value_reporting"].to_numpy(),
    )
    is_long = t["is_long"].to_numpy(dtype=bool)
    is_option = t["is_option"].to_numpy(dtype=bool)
    is_tranche = ~np.isnan(t["attachment"].to_numpy())
    delta = np.select(
        [is_option, is_tranche],
        [
            sdelta.option_delta(
                t["is_call"].to_numpy(dtype=bool), is_long, t["price"].to_numpy(), t["strike"].to_numpy(),
                t["shift"].to_numpy(), hs.option_volatility, t["t"].to_numpy(),
            ),
            sdelta.tranche_delta(
                is_long, t["attachment"].to_numpy(), t["detachment"].to_numpy(),
                g.tranche_delta_numerator, g.tranche_delta_slope,
            ),
        ],
        sdelta.linear_delta(is_long),
    )
    mf_unmargined = maturity_factor.unmargined_maturity_factor(
        t["m"].to_numpy(), g.maturity_floor_business_days / g.business_days_per_year
    )
    mf_margined = maturity_factor.margined_maturity_factor(mpor_days, g.business_days_per_year, g.margined_mf_scale)
    trade_margined = margined[code]
    mf = np.where(trade_margined, mf_margined[code], mf_unmargined)
    # FX effective notionals are signed in the hedging set's (alphabetical) pair orientation.
    effective = d * delta * mf * hs.fx_sign
    effective_unmargined = d * delta * mf_unmargined * hs.fx_sign

    e = t["e"].to_numpy()
    ir = params.interest_rate
    bucket = np.where(
        ac == "IR", np.where(e < ir.bucket_1_upper_years, 1, np.where(e <= ir.bucket_2_upper_years, 2, 3)), 0
    )
    groups = build_groups(code, ac, hs.key, hs.kind, hs.risk_key, hs.supervisory_factor, hs.correlation)
    hs_main = hedging_set_addons(groups, bucket, hs.supervisory_factor, effective, ir, options.ir_offset)
    hs_unmargined = hedging_set_addons(
        groups, bucket, hs.supervisory_factor, effective_unmargined, ir, options.ir_offset
    )
    n_ns = len(ns)
    by_class = asset_class_addons(groups, hs_main["addon"], n_ns)
    addon = sum(by_class.values(), np.zeros(n_ns))
    addon_unmargined = sum(asset_class_addons(groups, hs_unmargined["addon"], n_ns).values(), np.zeros(n_ns))

    # Netting set: V, C, NICA, RC (CRE52.10-19), multiplier, PFE, EAD (CRE52.1, 52.20-23), cap (CRE52.2).
    v = np.bincount(code, weights=t["mtm"].to_numpy(), minlength=n_ns)
    nica = replacement_cost.net_independent_collateral(
        ns["ia_received"].to_numpy(), ns["ia_posted_unsegregated"].to_numpy()
    )
    c = replacement_cost.net_collateral(ns["vm_received"].to_numpy(), ns["vm_posted"].to_numpy(), nica)
    th, mta = ns["threshold"].to_numpy(), ns["mta"].to_numpy()
    rc = np.where(
        margined,
        replacement_cost.margined_replacement_cost(v, c, th, mta, nica),
        replacement_cost.unmargined_replacement_cost(v, c),
    )
    multiplier = exposure.pfe_multiplier(v - c, addon, g.multiplier_floor)
    pfe = multiplier * addon
    ead_main = exposure.exposure_at_default(rc, multiplier, addon, g.alpha)
    c_cap = nica if options.cap_vm_treatment == "eu" else c
    rc_u = np.where(margined, replacement_cost.unmargined_replacement_cost(v, c_cap), rc)
    multiplier_u = np.where(margined, exposure.pfe_multiplier(v - c_cap, addon_unmargined, g.multiplier_floor), multiplier)
    ead_u = np.where(margined, exposure.exposure_at_default(rc_u, multiplier_u, addon_unmargined, g.alpha), ead_main)
    ead = np.where(margined, np.minimum(ead_main, ead_u), ead_main)

    as_of = prepared.as_of.date()
    trade_count = np.bincount(code, minlength=n_ns)
    rejected_count = ns["rejected_trade_count"].to_numpy()
    netting_sets = pd.DataFrame(
        {
            "as_of_date": as_of,
            "netting_set_id": ns["netting_set_id"].to_numpy(),
            "counterparty_id": ns["counterparty_id"].to_numpy(),
            "margined": margined,
            "cleared": ns["cleared"].to_numpy(dtype=bool),
            "v": v, "c": c, "nica": nica, "th": th, "mta": mta,
            "mpor_days": mpor_days, "mpor_rule": mpor_rule, "rc": rc,
            "addon_ir": by_class["IR"], "addon_fx": by_class["FX"], "addon_credit": by_class["CREDIT"],
            "addon_equity": by_class["EQUITY"], "addon_commodity": by_class["COMMODITY"],
            "addon_aggregate": addon, "multiplier": multiplier, "pfe": pfe,
            "ead_margined": np.where(margined, ead_main, np.nan),
            "rc_unmargined": rc_u, "addon_unmargined": addon_unmargined,
            "multiplier_unmargined": multiplier_u, "ead_unmargined": ead_u, "ead": ead,
            "cap_binding": margined & (ead_u < ead_main),
            "trade_count": trade_count, "rejected_trade_count": rejected_count,
            "complete": rejected_count == 0,
            "regime": params.regime, "parameter_version": params.version,
        }
    )[list(NETTING_SET_RESULT_COLUMNS)]

    trade_result = pd.DataFrame(
        {
            "as_of_date": as_of,
            "netting_set_id": t["netting_set_id"].to_numpy(),
            "trade_id": t["trade_id"].to_numpy(),
            "asset_class": ac,
            "hedging_set": hs.key,
            "hedging_set_kind": hs.kind,
            "risk_key": hs.risk_key,
            "ir_bucket": np.where(bucket > 0, bucket, np.nan),
            "m": t["m"].to_numpy(), "s": t["s"].to_numpy(), "e": e, "t": t["t"].to_numpy(),
            "notional_reporting": t["notional_reporting"].to_numpy(),
            "supervisory_duration": sd,
            "adjusted_notional": d,
            "supervisory_delta": delta,
            "supervisory_volatility": np.where(is_option, hs.option_volatility, np.nan),
            "supervisory_factor": hs.supervisory_factor,
            "maturity_factor": mf,
            "effective_notional": effective,
            "maturity_factor_unmargined": mf_unmargined,
            "effective_notional_unmargined": effective_unmargined,
            "mtm": t["mtm"].to_numpy(),
        }
    )[list(TRADE_RESULT_COLUMNS)]

    hedging = pd.DataFrame(
        {
            "as_of_date": as_of,
            "netting_set_id": ns["netting_set_id"].to_numpy()[groups.netting_set] if groups.count else [],
            "asset_class": groups.asset_class,
            "hedging_set": groups.key,
            "hedging_set_kind": groups.kind,
            "supervisory_factor": np.where(
                np.isin(groups.asset_class, ("IR", "FX")), groups.supervisory_factor, np.nan
            ),
            **{k: hs_main[k] for k in ("d_bucket_1", "d_bucket_2", "d_bucket_3", "effective_notional",
                                        "systematic", "idiosyncratic", "addon")},
            "addon_unmargined": hs_unmargined["addon"],
            "trade_count": groups.trade_count,
        }
    )[list(HEDGING_SET_RESULT_COLUMNS)]
    return EngineResult(trades=trade_result, hedging_sets=hedging, netting_sets=netting_sets,
                        rejected=prepared.rejected if len(prepared.rejected) else empty_rejections())
