"""Invariants of the engine over random portfolios (hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saccr.engine import CalculationOptions, EngineResult, compute
from saccr_pipeline.config.regimes import REGIMES, load_parameters
from support.frames import AS_OF, collateral, collateral_row, day, market_data, trades, valuations

PARAMS = load_parameters("bcbs_cre52")
FX = {"EUR": 1.1, "GBP": 1.3, "JPY": 0.007}
PRICES = {"EQ-A": 50.0, "EQ-B": 120.0, "OIL": 80.0, "GAS": 3.0, "USD-FWD": 0.03, "EUR-FWD": -0.001}
CCYS = ["USD", "EUR", "GBP", "JPY"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def trade_row(draw: st.DrawFn, i: int, ns: str) -> dict:
    ac = draw(st.sampled_from(["IR", "FX", "CREDIT", "EQUITY", "COMMODITY"]))
    years = draw(st.floats(0.0, 30.0))
    row = dict(
        trade_id=f"T{i}",
        netting_set_id=ns,
        asset_class=ac,
        direction=draw(st.sampled_from(["LONG", "SHORT"])),
        notional=draw(st.floats(1.0, 1e8)),
        notional_currency=draw(st.sampled_from(CCYS)),
        maturity_date=day(years),
    )
    option = draw(st.booleans()) and draw(st.booleans())
    if ac in ("IR", "CREDIT"):
        row.update(start_date=day(draw(st.floats(-2.0, years))), end_date=day(years))
    if ac == "IR":
        row["basis_key"] = draw(st.sampled_from([None, None, None, "3M/6M"]))
        if option:
            row.update(
                option_type=draw(st.sampled_from(["CALL", "PUT"])),
                exercise_date=day(years * 0.5),
                strike=draw(st.floats(0.001, 0.08)),
                notional_currency="EUR",
                underlying_id="EUR-FWD",
            )
    elif ac == "FX":
        row.update(notional_2=draw(st.floats(1.0, 1e8)), currency_2=draw(st.sampled_from(CCYS)))
        if row["currency_2"] == row["notional_currency"]:
            row["currency_2"] = "USD" if row["notional_currency"] != "USD" else "EUR"
    elif ac == "CREDIT":
        index = draw(st.booleans())
        entity = (
            draw(st.sampled_from(["CDX.IG", "ITRAXX"]))
            if index
            else draw(st.sampled_from(["FIRM-A", "FIRM-B"]))
        )
        row.update(
            reference_entity=entity,
            is_index=index,
            credit_quality="IG" if index else {"FIRM-A": "AA", "FIRM-B": "BB"}[entity],
        )
        if index and draw(st.booleans()):
            a = draw(st.floats(0.0, 0.5))
            row.update(attachment=a, detachment=a + draw(st.floats(0.01, 0.5)))
    elif ac == "EQUITY":
        entity = draw(st.sampled_from(["EQ-A", "EQ-B"]))
        row.update(reference_entity=entity, is_index=entity == "EQ-B", is_volatility=draw(st.booleans()))
        if draw(st.booleans()):
            row.update(quantity=draw(st.floats(1.0, 1e5)), underlying_id=entity)
        if option:
            row.update(
                option_type=draw(st.sampled_from(["CALL", "PUT"])),
                exercise_date=day(years * 0.5),
                strike=draw(st.floats(1.0, 300.0)),
                underlying_id=entity,
            )
    else:
        kind = draw(
            st.sampled_from(
                [("OIL_GAS", "OIL"), ("OIL_GAS", "GAS"), ("ELECTRICITY", "POWER"), ("METALS", "GOLD")]
            )
        )
        row.update(commodity_type=kind[0], commodity=kind[1])
        if option:
            row.update(
                option_type="CALL",
                exercise_date=day(years * 0.5),
                strike=draw(st.floats(10.0, 150.0)),
                underlying_id="OIL",
            )
    return row


@st.composite
def portfolio(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_sets = draw(st.integers(1, 6))
    n_trades = draw(st.integers(0, 25))
    rows = [draw(trade_row(i, f"NS{draw(st.integers(0, n_sets - 1))}")) for i in range(n_trades)]
    mtm = {r["trade_id"]: draw(st.floats(-1e6, 1e6)) for r in rows}
    amount = st.floats(0.0, 1e6)
    coll = [
        collateral_row(
            f"NS{k}",
            margined=draw(st.booleans()),
            cleared=draw(st.booleans()),
            currency=draw(st.sampled_from(CCYS)),
            vm_received=draw(amount),
            vm_posted=draw(amount),
            ia_received=draw(amount),
            ia_posted_unsegregated=draw(amount),
            ia_posted_segregated=draw(amount),
            threshold=draw(amount),
            mta=draw(amount),
            remargin_period_days=draw(st.sampled_from([1, 1, 5, 20])),
            disputes=draw(st.integers(0, 4)),
            illiquid_collateral=draw(st.booleans()),
        )
        for k in range(n_sets)
    ]
    return trades(*rows), valuations(mtm), collateral(*coll)


def run(t: pd.DataFrame, v: pd.DataFrame, c: pd.DataFrame, **options) -> EngineResult:
    return compute(
        t,
        v,
        c,
        market_data(fx=FX, prices=PRICES),
        AS_OF,
        PARAMS,
        CalculationOptions(reporting_currency="USD", **options),
    )


def assert_same_netting_sets(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.sort_values("netting_set_id").reset_index(drop=True)
    b = b.sort_values("netting_set_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-6)


@SETTINGS
@given(portfolio())
def test_multiplier_ead_and_cap_bounds(p: tuple) -> None:
    result = run(*p)
    assert result.rejected.empty, result.rejected
    ns = result.netting_sets
    assert ns["multiplier"].between(0.05, 1.0).all()
    assert ns["multiplier_unmargined"].between(0.05, 1.0).all()
    assert (ns["ead"] >= 0).all() and (ns["rc"] >= 0).all()
    assert (ns["ead"] <= ns["ead_unmargined"] + 1e-9 * ns["ead_unmargined"].abs()).all()
    margined = ns.loc[ns["margined"]]
    assert np.allclose(margined["ead"], np.minimum(margined["ead_margined"], margined["ead_unmargined"]))


@SETTINGS
@given(portfolio(), st.randoms(use_true_random=False))
def test_invariant_to_row_order(p: tuple, rnd) -> None:
    t, v, c = p
    order = list(range(len(t)))
    rnd.shuffle(order)
    shuffled = t.iloc[order].reset_index(drop=True)
    assert_same_netting_sets(run(*p).netting_sets, run(shuffled, v.iloc[::-1], c.iloc[::-1]).netting_sets)


@SETTINGS
@given(portfolio(), st.integers(1, 5))
def test_invariant_to_how_netting_sets_are_split_across_calls(p: tuple, buckets: int) -> None:
    t, v, c = p
    whole = run(t, v, c).netting_sets
    bucket_of = {ns: int(ns[2:]) % buckets for ns in c["netting_set_id"]}
    parts = []
    for b in range(buckets):
        in_bucket = [ns for ns, k in bucket_of.items() if k == b]
        tb = t.loc[t["netting_set_id"].isin(in_bucket)]
        vb = v.loc[v["trade_id"].isin(tb["trade_id"])]
        parts.append(run(tb, vb, c.loc[c["netting_set_id"].isin(in_bucket)]).netting_sets)
    assert_same_netting_sets(whole, pd.concat(parts, ignore_index=True))


@SETTINGS
@given(
    portfolio(),
    st.floats(0.0, 1e7),
    st.sampled_from(["vm_received", "ia_received"]),
    st.sampled_from(["basel", "eu"]),
)
def test_adding_collateral_never_raises_ead(p: tuple, extra: float, column: str, cap: str) -> None:
    t, v, c = p
    more = c.copy()
    more[column] = more[column] + extra
    before = run(t, v, c, cap_vm_treatment=cap).netting_sets.set_index("netting_set_id")["ead"]
    after = run(t, v, more, cap_vm_treatment=cap).netting_sets.set_index("netting_set_id")["ead"]
    assert (after <= before * (1 + 1e-12) + 1e-9).all()


# ------------------------------------------------------------------------------------------ regimes

REGIME_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_under(regime: str, t: pd.DataFrame, v: pd.DataFrame, c: pd.DataFrame) -> EngineResult:
    return compute(
        t,
        v,
        c,
        market_data(fx=FX, prices=PRICES),
        AS_OF,
        load_parameters(regime, AS_OF),
        CalculationOptions(),
    )


@REGIME_SETTINGS
@given(portfolio(), st.sampled_from(REGIMES))  # each regime's version in force on AS_OF
def test_ead_and_cap_bounds_in_every_regime(p: tuple, regime: str) -> None:
    """EAD >= 0, the multiplier within [5%, 1], a margined set's EAD at most its unmargined EAD (CRE52.2,
    CRR Art. 274(3), 12 CFR 217.132(c)), the leverage exposure >= 0, in every regime."""
    result = run_under(regime, *p)
    assert result.rejected.empty, result.rejected
    ns = result.netting_sets
    assert (ns["ead"] >= 0).all() and (ns["rc"] >= 0).all() and (ns["lr_exposure"] >= 0).all()
    assert ns["multiplier"].between(0.05, 1.0).all()
    assert (ns["ead"] <= ns["ead_unmargined"] + 1e-9 * ns["ead_unmargined"].abs()).all()
    margined = ns.loc[ns["margined"]]
    assert np.allclose(margined["ead"], np.minimum(margined["ead_margined"], margined["ead_unmargined"]))


def netting_sets_of(p: tuple, counterparty_type: str | None, regime: str, as_of: dt.date) -> pd.DataFrame:
    """The portfolio moved to `as_of` (every date shifted alike), its sets facing `counterparty_type`."""
    t, v, c = p
    moved = t.copy()
    for column in ("start_date", "end_date", "maturity_date", "exercise_date"):
        moved[column] = moved[column] + (pd.Timestamp(as_of) - pd.Timestamp(AS_OF))
    coll = c.assign(counterparty_type=counterparty_type, cva_exempt=False)
    params = load_parameters(regime, as_of)
    result = compute(moved, v, coll, market_data(fx=FX, prices=PRICES), as_of, params, CalculationOptions())
    return result.netting_sets.set_index("netting_set_id")


@REGIME_SETTINGS
@given(portfolio())
def test_alpha_one_is_exactly_ead_over_1_4(p: tuple) -> None:
    """The same netting sets with a commercial end-user counterparty under 12 CFR 217.132(c)(5), and with a
    non-financial counterparty under the PRA's rules from 2027 (not CVA-exempt, so no transition), have
    alpha 1: EAD = EAD at alpha 1.4 / 1.4, nothing else differs (RC, PFE, the cap)."""
    for regime, kind, as_of in (
        ("us_12cfr217", "COMMERCIAL_END_USER", AS_OF),
        ("uk_pra", "NON_FINANCIAL", dt.date(2027, 1, 4)),
    ):
        one, standard = netting_sets_of(p, kind, regime, as_of), netting_sets_of(p, None, regime, as_of)
        assert (one["alpha_applied"] == 1.0).all() and (standard["alpha_applied"] == 1.4).all()
        assert np.allclose(one["ead"] * 1.4, standard["ead"], rtol=1e-12, atol=1e-9)
        assert np.allclose(one["rc"], standard["rc"]) and np.allclose(one["pfe"], standard["pfe"])
