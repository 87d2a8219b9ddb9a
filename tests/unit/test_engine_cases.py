"""Hand-built cases for what no published example covers; each expected figure worked by hand.

As-of date 2025-01-02, reporting currency USD, BCBS CRE52 parameters, ACT/365 dates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from saccr.engine import CalculationOptions, EngineResult, compute
from saccr.mpor import margin_period_of_risk
from saccr_pipeline.config.regimes import load_parameters
from support.frames import AS_OF, collateral, collateral_row, day, market_data, one, trades, valuations

PARAMS = load_parameters("bcbs_cre52")
FX = {"EUR": 1.1, "GBP": 1.25, "JPY": 0.0067}


def run(
    *rows: dict,
    coll: list[dict] | None = None,
    prices: dict | None = None,
    mtm: dict | None = None,
    **options,
) -> EngineResult:
    ids = [r["trade_id"] for r in rows]
    netting_sets = sorted({r["netting_set_id"] for r in rows}) or ["NS"]
    return compute(
        trades(*rows),
        valuations(mtm or dict.fromkeys(ids, 0.0)),
        collateral(*(coll or [collateral_row(ns) for ns in netting_sets])),
        market_data(fx=FX, prices=prices),
        AS_OF,
        PARAMS,
        CalculationOptions(reporting_currency="USD", **options),
    )


def fx_forward(
    tid: str,
    notional: float,
    ccy: str,
    notional_2: float,
    ccy_2: str,
    years: float = 1.0,
    direction: str = "LONG",
    ns: str = "NS",
) -> dict:
    return dict(
        trade_id=tid,
        netting_set_id=ns,
        asset_class="FX",
        direction=direction,
        notional=notional,
        notional_currency=ccy,
        notional_2=notional_2,
        currency_2=ccy_2,
        maturity_date=day(years),
    )


def irs(
    tid: str,
    years: float,
    direction: str = "LONG",
    ccy: str = "USD",
    notional: float = 1_000_000.0,
    ns: str = "NS",
    **extra,
) -> dict:
    row = dict(
        trade_id=tid,
        netting_set_id=ns,
        asset_class="IR",
        direction=direction,
        notional=notional,
        notional_currency=ccy,
        start_date=day(-1),
        end_date=day(years),
        maturity_date=day(years),
    )
    row.update(extra)
    return row


def equity(tid: str, entity: str, index: bool, direction: str = "LONG", **extra) -> dict:
    row = dict(
        trade_id=tid,
        netting_set_id="NS",
        asset_class="EQUITY",
        direction=direction,
        notional=100_000.0,
        notional_currency="USD",
        maturity_date=day(2),
        reference_entity=entity,
        is_index=index,
    )
    row.update(extra)
    return row


def test_fx_forward_foreign_leg_and_pair_orientation() -> None:
    """Bought EUR 1m vs USD 1.1m: d = EUR leg in USD = 1m x 1.1 = 1.1m, delta +1, MF 1, pair EUR/USD.
    Bought USD 1.1m vs EUR 1m (i.e. sold EUR) sorts second in EUR/USD: D = -1.1m. They offset fully:
    add-on = 4% x |1.1m - 1.1m| = 0. A lone first trade: 4% x 1.1m = 44,000."""
    long_eur = fx_forward("A", 1_000_000, "EUR", 1_100_000, "USD")
    long_usd = fx_forward("B", 1_100_000, "USD", 1_000_000, "EUR")
    r = run(long_eur, long_usd)
    assert one(r.trades, trade_id="A")["adjusted_notional"] == pytest.approx(1_100_000)
    assert one(r.trades, trade_id="A")["effective_notional"] == pytest.approx(1_100_000)
    assert one(r.trades, trade_id="B")["adjusted_notional"] == pytest.approx(1_100_000)
    assert one(r.trades, trade_id="B")["effective_notional"] == pytest.approx(-1_100_000)
    assert one(r.hedging_sets, hedging_set="EUR/USD")["addon"] == pytest.approx(0.0, abs=1e-9)
    assert run(long_eur).netting_sets.iloc[0]["addon_fx"] == pytest.approx(44_000)


def test_fx_both_legs_foreign_take_the_larger() -> None:
    """GBP 1m (x1.25 = 1,250,000 USD) vs JPY 190m (x0.0067 = 1,273,000 USD): d = 1,273,000;
    add-on = 4% x 1,273,000 = 50,920."""
    r = run(fx_forward("A", 1_000_000, "GBP", 190_000_000, "JPY"))
    assert one(r.trades, trade_id="A")["adjusted_notional"] == pytest.approx(1_273_000)
    assert one(r.hedging_sets, hedging_set="GBP/JPY")["addon"] == pytest.approx(50_920)


def test_equity_entities_and_correlation() -> None:
    """Single name: 1,000 units x EUR 50 x 1.1 = 55,000 long, SF 32%: A1 = 17,600 (rho 0.5).
    Index sold, notional 100,000, SF 20%: A2 = -20,000 (rho 0.8). M = 2y so MF = 1.
    systematic = (0.5 x 17,600 - 0.8 x 20,000)^2 = (-7,200)^2 = 51,840,000;
    idiosyncratic = 0.75 x 17,600^2 + 0.36 x 20,000^2 = 232,320,000 + 144,000,000 = 376,320,000;
    add-on = sqrt(428,160,000) = 20,692.02745..."""
    single = equity("S", "ACME", False, quantity=1_000.0, underlying_id="ACME-EUR", notional_currency="EUR")
    index = equity("I", "SX5E", True, direction="SHORT")
    r = run(single, index, prices={"ACME-EUR": 50.0})
    assert one(r.trades, trade_id="S")["adjusted_notional"] == pytest.approx(55_000)
    hs = one(r.hedging_sets, asset_class="EQUITY")
    assert hs["systematic"] == pytest.approx(51_840_000)
    assert hs["idiosyncratic"] == pytest.approx(376_320_000)
    assert hs["addon"] == pytest.approx(math.sqrt(428_160_000))
    assert r.netting_sets.iloc[0]["addon_equity"] == pytest.approx(20_692.02745, rel=1e-9)


PHI_06 = 0.7257468822499265  # Phi(0.6)


@pytest.mark.parametrize(
    ("option_type", "direction", "expected"),
    [
        ("CALL", "LONG", PHI_06),
        ("CALL", "SHORT", -PHI_06),
        ("PUT", "LONG", -(1 - PHI_06)),
        ("PUT", "SHORT", 1 - PHI_06),
    ],
)
def test_option_delta_each_kind(option_type: str, direction: str, expected: float) -> None:
    """Equity single-name option, P = K = 100, sigma = 120%, T = 1:
    d1 = (ln 1 + 0.5 x 1.44 x 1) / 1.2 = 0.6; bought call +Phi(0.6) = 0.725747, sold call -0.725747,
    bought put -Phi(-0.6) = -0.274253, sold put +0.274253 (CRE52.40)."""
    row = equity(
        "O",
        "ACME",
        False,
        direction=direction,
        option_type=option_type,
        exercise_date=day(1),
        strike=100.0,
        underlying_id="ACME",
    )
    t = one(run(row, prices={"ACME": 100.0}).trades, trade_id="O")
    assert norm.cdf(0.6) == pytest.approx(PHI_06)
    assert t["supervisory_volatility"] == 1.2
    assert t["t"] == pytest.approx(1.0)
    assert t["supervisory_delta"] == pytest.approx(expected, rel=1e-12)


def test_negative_rate_option_uses_the_currency_lambda() -> None:
    """EUR swaption, P = -0.2%, K = 0.1%, lambda(EUR) = 1% from conf, sigma 50%, T = 1:
    d1 = (ln(0.008 / 0.011) + 0.125) / 0.5 = (-0.318454 + 0.125) / 0.5 = -0.386908;
    bought call delta = Phi(-0.386908) = 0.349412."""
    row = irs(
        "O",
        6,
        ccy="EUR",
        option_type="CALL",
        exercise_date=day(1),
        strike=0.001,
        underlying_id="EUR-FWD",
        start_date=day(1),
    )
    t = one(run(row, prices={"EUR-FWD": -0.002}).trades, trade_id="O")
    d1 = (math.log(0.008 / 0.011) + 0.125) / 0.5
    assert d1 == pytest.approx(-0.386908, abs=1e-6)
    assert t["supervisory_delta"] == pytest.approx(norm.cdf(d1), rel=1e-12)
    assert t["supervisory_delta"] == pytest.approx(0.349412, abs=1e-6)


@pytest.mark.parametrize(
    ("rate", "d1", "delta"),
    [(0.000001, -0.422545, 0.336314), (-0.000001, -0.423345, 0.336022)],
)
def test_lambda_shifts_every_option_of_its_currency(rate: float, d1: float, delta: float) -> None:
    """Bought JPY payer swaption, K = 0.2%, T = 1, sigma 50%, lambda(JPY) = 0.5% from conf (CRE52.40 FAQ2:
    one lambda per currency, for every IR option in it, so delta is continuous through P = 0).
    P = +0.0001%: d1 = (ln(0.005001 / 0.007) + 0.125) / 0.5 = (-0.336272 + 0.125) / 0.5 = -0.422545,
    delta = Phi(-0.422545) = 0.336314. P = -0.0001%: d1 = (ln(0.004999 / 0.007) + 0.125) / 0.5
    = (-0.336672 + 0.125) / 0.5 = -0.423345, delta = 0.336022. The two differ by 0.000292; shifting
    only where P <= 0 gave 7.6e-51 at P = +0.0001% (d1 = (ln(0.000001 / 0.002) + 0.125) / 0.5 = -14.95)."""
    row = irs(
        "O",
        6,
        ccy="JPY",
        option_type="CALL",
        exercise_date=day(1),
        strike=0.002,
        underlying_id="JPY-FWD",
        start_date=day(1),
    )
    t = one(run(row, prices={"JPY-FWD": rate}).trades, trade_id="O")
    expected_d1 = (math.log((rate + 0.005) / 0.007) + 0.125) / 0.5
    assert expected_d1 == pytest.approx(d1, abs=1e-6)
    assert t["supervisory_delta"] == pytest.approx(norm.cdf(expected_d1), rel=1e-12)
    assert t["supervisory_delta"] == pytest.approx(delta, abs=1e-6)


def test_lambda_delta_is_continuous_through_zero() -> None:
    """The two sides of P = 0 above, through the engine in one netting set: deltas differ by < 1e-3."""
    rows = [
        irs(
            tid,
            6,
            ccy="JPY",
            option_type="CALL",
            exercise_date=day(1),
            strike=0.002,
            underlying_id=underlying,
            start_date=day(1),
        )
        for tid, underlying in (("UP", "JPY-UP"), ("DOWN", "JPY-DOWN"))
    ]
    trades_out = run(*rows, prices={"JPY-UP": 0.000001, "JPY-DOWN": -0.000001}).trades
    up = one(trades_out, trade_id="UP")["supervisory_delta"]
    down = one(trades_out, trade_id="DOWN")["supervisory_delta"]
    assert 0 < up - down < 1e-3
    assert up - down == pytest.approx(0.000292, abs=1e-6)


def test_non_positive_rate_without_lambda_is_rejected() -> None:
    """USD has no lambda configured: an option with P <= 0 is rejected, naming trade and rule."""
    row = irs(
        "O",
        6,
        option_type="CALL",
        exercise_date=day(1),
        strike=0.001,
        underlying_id="USD-FWD",
        start_date=day(1),
    )
    r = run(row, prices={"USD-FWD": -0.002})
    assert r.netting_sets.empty
    rej = one(r.rejected, rule="lambda_shift_missing")
    assert (rej["trade_id"], rej["field"], rej["extract"]) == ("O", "strike", "trades")


def test_cdo_tranche_and_nth_to_default_delta() -> None:
    """Tranche 3%-7% bought protection: 15 / ((1 + 14 x 0.03)(1 + 14 x 0.07)) = 15 / (1.42 x 1.98) = 5.335040.
    Second-to-default on 5 names sold: A = 1/5, D = 2/5: -15 / (3.8 x 6.6) = -0.598086 (CRE52.41)."""
    base = dict(
        netting_set_id="NS",
        asset_class="CREDIT",
        notional=1_000_000.0,
        notional_currency="USD",
        start_date=day(-1),
        end_date=day(5),
        maturity_date=day(5),
        is_index=True,
        credit_quality="IG",
    )
    tranche = dict(
        base, trade_id="T", direction="LONG", reference_entity="CDX.IG 3-7", attachment=0.03, detachment=0.07
    )
    ntd = dict(
        base, trade_id="N", direction="SHORT", reference_entity="BASKET-5", attachment=0.2, detachment=0.4
    )
    r = run(tranche, ntd)
    assert one(r.trades, trade_id="T")["supervisory_delta"] == pytest.approx(15 / (1.42 * 1.98), rel=1e-12)
    assert one(r.trades, trade_id="T")["supervisory_delta"] == pytest.approx(5.335040, abs=1e-6)
    assert one(r.trades, trade_id="N")["supervisory_delta"] == pytest.approx(-0.598086, abs=1e-6)


def test_basis_and_volatility_hedging_sets() -> None:
    """A USD basis swap sits in its own hedging set with SF 0.5% x 0.5 = 0.25% (CRE52.46); an equity
    variance swap in the equity volatility set with SF 32% x 5 = 160% (CRE52.47).
    Basis: E = 10y so SD = (1 - exp(-0.5)) / 0.05 = 7.869387; add-on = 0.25% x 1m x 7.869387 = 19,673.47.
    Variance swap: notional 10,000 (no quantity), M = 2y: A = 1.6 x 10,000 = 16,000 = add-on."""
    plain = irs("P", 10)
    basis = irs("B", 10, basis_key="SOFR/TERM3M")
    var = equity("V", "ACME", False, notional=10_000.0, is_volatility=True)
    r = run(plain, basis, var)
    b = one(r.hedging_sets, hedging_set="USD BASIS SOFR/TERM3M")
    assert b["hedging_set_kind"] == "BASIS"
    assert b["supervisory_factor"] == pytest.approx(0.0025)
    assert b["addon"] == pytest.approx(0.0025 * 1e6 * (1 - math.exp(-0.5)) / 0.05)
    assert one(r.hedging_sets, hedging_set="USD")["trade_count"] == 1
    v = one(r.hedging_sets, hedging_set="VOLATILITY EQUITY")
    assert v["hedging_set_kind"] == "VOLATILITY"
    assert v["addon"] == pytest.approx(16_000)


def test_commodity_types_within_energy() -> None:
    """Power (ELECTRICITY, SF 40%) long 100 and gas (OIL_GAS, SF 18%) short 200, both M = 1y:
    A_power = 40, A_gas = -36; systematic = (0.4 x (40 - 36))^2 = 2.56;
    idiosyncratic = 0.84 x (1,600 + 1,296) = 2,432.64; add-on = sqrt(2,435.2) = 49.347746."""
    base = dict(netting_set_id="NS", asset_class="COMMODITY", notional_currency="USD", maturity_date=day(1))
    power = dict(
        base,
        trade_id="P",
        direction="LONG",
        notional=100.0,
        commodity_type="ELECTRICITY",
        commodity="POWER_DE",
    )
    gas = dict(
        base,
        trade_id="G",
        direction="SHORT",
        notional=200.0,
        commodity_type="OIL_GAS",
        commodity="NATURAL_GAS",
    )
    hs = one(run(power, gas).hedging_sets, hedging_set="ENERGY")
    assert hs["systematic"] == pytest.approx(2.56)
    assert hs["idiosyncratic"] == pytest.approx(2_432.64)
    assert hs["addon"] == pytest.approx(49.347746, abs=1e-6)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(364, 1), (365, 2), (1825, 2), (1826, 3)],
)
def test_ir_bucket_boundaries(days: int, bucket: int) -> None:
    """E < 1 -> bucket 1; 1 <= E <= 5 -> bucket 2; E > 5 -> bucket 3 (documented convention)."""
    row = irs("A", days / 365)
    assert one(run(row).trades, trade_id="A")["ir_bucket"] == bucket


def test_ir_no_offset_formula() -> None:
    """BCBS example 1's USD trades, no-offset option: EN = |D2| + |D3| = 36,253.849 + 78,693.868 =
    114,947.717; add-on 0.5% x EN = 574.739 (offset formula: 296.350)."""
    rows = (irs("A", 10, notional=10_000), irs("B", 4, direction="SHORT", notional=10_000))
    offset = one(run(*rows).hedging_sets, hedging_set="USD")["addon"]
    no_offset = one(run(*rows, ir_offset=False).hedging_sets, hedging_set="USD")["addon"]
    assert offset == pytest.approx(296.349817, abs=1e-6)
    assert no_offset == pytest.approx(0.005 * (36_253.849384 + 78_693.868057), abs=1e-6)


def test_supervisory_duration_and_maturity_floors() -> None:
    """Swap ending in 4 days: SD = (1 - exp(-0.05 x 4/365)) / 0.05 = 0.010955 < 10/250 -> SD = 0.04
    (CRE52.34); M = 0.010959 < 10/250 -> MF = sqrt(0.04) = 0.2 (CRE52.48)."""
    t = one(run(irs("A", 4 / 365)).trades, trade_id="A")
    assert t["supervisory_duration"] == pytest.approx(0.04)
    assert t["maturity_factor"] == pytest.approx(0.2)
    assert t["adjusted_notional"] == pytest.approx(40_000)


def test_margined_cap_binds_for_short_trades() -> None:
    """Margined daily, FX forward EUR 1m (d = 1.1m USD) maturing in 5 days, V = C = 0:
    margined MF = 1.5 sqrt(10/250) = 0.3 -> add-on 4% x 1.1m x 0.3 = 13,200, EAD = 1.4 x 13,200 = 18,480;
    unmargined MF = sqrt(10/250) = 0.2 -> add-on 8,800, EAD = 12,320. The cap binds: EAD = 12,320."""
    r = run(
        fx_forward("A", 1_000_000, "EUR", 1_100_000, "USD", years=5 / 365),
        coll=[collateral_row("NS", margined=True)],
    )
    ns = r.netting_sets.iloc[0]
    assert ns["ead_margined"] == pytest.approx(18_480)
    assert ns["ead_unmargined"] == pytest.approx(12_320)
    assert ns["ead"] == pytest.approx(12_320)
    assert ns["cap_binding"]


@pytest.mark.parametrize(
    ("terms", "trade_count", "days", "rule"),
    [
        (dict(), 10, 10, "BILATERAL_10"),
        (dict(remargin=5), 10, 14, "BILATERAL_10_REMARGIN_5D"),
        (dict(cleared=True), 10, 5, "CLEARED_5"),
        (dict(cleared=True), 6000, 5, "CLEARED_5"),
        (dict(), 5001, 20, "LARGE_NETTING_SET_20"),
        (dict(), 5000, 10, "BILATERAL_10"),
        (dict(illiquid=True), 10, 20, "ILLIQUID_COLLATERAL_20"),
        (dict(hard=True), 10, 20, "HARD_TO_REPLACE_20"),
        (dict(disputes=3), 10, 20, "BILATERAL_10_DISPUTES_X2"),
        (dict(disputes=2), 10, 10, "BILATERAL_10"),
        # Weekly remargining, 3 disputes: the set's floor 9 + 5 = 14 doubled = 28 (CRE52.51(3)).
        (dict(remargin=5, disputes=3), 10, 28, "BILATERAL_10_REMARGIN_5D_DISPUTES_X2"),
        (dict(remargin=5, disputes=2), 10, 14, "BILATERAL_10_REMARGIN_5D"),
        # Cleared, weekly, 3 disputes: 2 x (5 + 5 - 1) = 18.
        (dict(cleared=True, remargin=5, disputes=3), 10, 18, "CLEARED_5_REMARGIN_5D_DISPUTES_X2"),
        # Illiquid collateral (F = 20), weekly, 3 disputes: 2 x (20 + 5 - 1) = 48.
        (
            dict(illiquid=True, disputes=3, remargin=5),
            10,
            48,
            "ILLIQUID_COLLATERAL_20_REMARGIN_5D_DISPUTES_X2",
        ),
        # More than 5,000 trades (F = 20), weekly, 3 disputes: 2 x (20 + 5 - 1) = 48.
        (dict(remargin=5, disputes=3), 5001, 48, "LARGE_NETTING_SET_20_REMARGIN_5D_DISPUTES_X2"),
        # The bank's estimate applies only where longer than the doubled floor 28.
        (dict(remargin=5, disputes=3, override=25), 10, 28, "BILATERAL_10_REMARGIN_5D_DISPUTES_X2"),
        (dict(remargin=5, disputes=3, override=30), 10, 30, "BANK_ESTIMATE_30"),
        (dict(override=15), 10, 15, "BANK_ESTIMATE_15"),
        (dict(override=5), 10, 10, "BILATERAL_10"),
    ],
)
def test_mpor_rules(terms: dict, trade_count: int, days: int, rule: str) -> None:
    """F = 10 bilateral, 5 cleared, 20 for > 5,000 trades (not cleared), illiquid collateral or a
    hard-to-replace trade; + N - 1 for remargining every N days (CRE52.50(2)); the whole floor
    F + N - 1 doubled after > 2 disputes (CRE52.51(3)); the bank's estimate where longer."""
    mpor, label = margin_period_of_risk(
        np.array([True]),
        np.array([terms.get("cleared", False)]),
        np.array([terms.get("remargin", 1)]),
        np.array([trade_count]),
        np.array([terms.get("illiquid", False)]),
        np.array([terms.get("hard", False)]),
        np.array([terms.get("disputes", 0)]),
        np.array([terms.get("override", np.nan)], dtype=float),
        PARAMS.mpor,
    )
    assert (mpor[0], label[0]) == (days, rule)


def test_large_netting_set_through_the_engine() -> None:
    """5,001 one-year swaps in a margined daily netting set: MPOR 20 days, MF = 1.5 sqrt(20/250)."""
    rows = [irs(f"T{i}", 2) for i in range(5_001)]
    ns = run(*rows, coll=[collateral_row("NS", margined=True)]).netting_sets.iloc[0]
    assert (ns["mpor_days"], ns["mpor_rule"], ns["trade_count"]) == (20, "LARGE_NETTING_SET_20", 5_001)


def test_unmargined_netting_set_has_no_mpor() -> None:
    ns = run(irs("A", 2)).netting_sets.iloc[0]
    assert np.isnan(ns["mpor_days"]) and ns["mpor_rule"] == "UNMARGINED"


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (dict(asset_class="RATES"), "asset_class", "enumeration"),
        (dict(notional=-5.0), "notional", "positive"),
        (dict(maturity_date=day(-0.1)), "maturity_date", "maturity_before_as_of"),
        (
            dict(option_type="CALL", exercise_date=day(1), underlying_id="USD-FWD"),
            "strike",
            "required_for_product",
        ),
        (dict(end_date=None), "end_date", "required_for_product"),
        (dict(notional_currency="XXX"), "notional_currency", "fx_rate_missing"),
        (dict(direction="BUY"), "direction", "enumeration"),
    ],
)
def test_bad_trades_are_rejected_naming_trade_field_and_rule(change: dict, field: str, rule: str) -> None:
    good, bad = irs("GOOD", 3, ns="NS1"), irs("BAD", 3, ns="NS2")
    bad.update(change)
    r = run(good, bad, prices={"USD-FWD": 0.03})
    rej = r.rejected.loc[r.rejected["trade_id"] == "BAD"]
    assert (field, rule) in set(zip(rej["field"], rej["rule"], strict=True)), rej
    assert list(r.netting_sets["netting_set_id"]) == ["NS1"]
    assert list(r.trades["trade_id"]) == ["GOOD"]


def test_incomplete_netting_set_held_or_flagged() -> None:
    """A netting set with a rejected trade: 'hold' (default) leaves it out and lists its good trade as
    held; 'flag' computes it on what passed and marks it incomplete."""
    good, bad = irs("GOOD", 3), irs("BAD", 3, notional=-1.0)
    held = run(good, bad)
    assert held.netting_sets.empty and held.trades.empty
    assert one(held.rejected, trade_id="GOOD")["rule"] == "netting_set_held_incomplete"
    flagged = run(good, bad, incomplete_netting_sets="flag").netting_sets.iloc[0]
    assert (flagged["complete"], flagged["trade_count"], flagged["rejected_trade_count"]) == (False, 1, 1)


def test_missing_valuation_and_orphan_valuation_are_rejected() -> None:
    r = compute(
        trades(irs("A", 3)),
        valuations({"Z": 1.0}),
        collateral(collateral_row("NS")),
        market_data(fx=FX),
        AS_OF,
        PARAMS,
        CalculationOptions(),
    )
    assert one(r.rejected, trade_id="A")["rule"] == "trade_without_valuation"
    assert one(r.rejected, trade_id="Z")["rule"] == "valuation_without_trade"


def test_missing_column_is_a_clear_error() -> None:
    from saccr.errors import InputError

    with pytest.raises(InputError, match=r"trades: missing columns \['notional'\]"):
        compute(
            trades(irs("A", 3)).drop(columns="notional"),
            valuations({"A": 0.0}),
            collateral(collateral_row("NS")),
            market_data(fx=FX),
            AS_OF,
            PARAMS,
        )


def test_collateral_converted_and_segregated_ia_ignored() -> None:
    """EUR collateral at 1.1: VM received 100 -> 110, IA received 50 -> 55, IA posted unsegregated
    20 -> 22, IA posted segregated 1,000 (ignored). C = 110 + 55 - 22 = 143; NICA = 33."""
    coll = collateral_row(
        "NS",
        currency="EUR",
        margined=True,
        vm_received=100.0,
        ia_received=50.0,
        ia_posted_unsegregated=20.0,
        ia_posted_segregated=1_000.0,
    )
    ns = run(irs("A", 3), coll=[coll]).netting_sets.iloc[0]
    assert (ns["c"], ns["nica"]) == (pytest.approx(143.0), pytest.approx(33.0))


def test_results_are_frames_with_the_contract_columns() -> None:
    from saccr.contract import HEDGING_SET_RESULT_COLUMNS, NETTING_SET_RESULT_COLUMNS, TRADE_RESULT_COLUMNS

    r = run(irs("A", 3))
    assert tuple(r.trades.columns) == TRADE_RESULT_COLUMNS
    assert tuple(r.hedging_sets.columns) == HEDGING_SET_RESULT_COLUMNS
    assert tuple(r.netting_sets.columns) == NETTING_SET_RESULT_COLUMNS
    assert isinstance(r.rejected, pd.DataFrame)


def test_prior_rejections_hold_or_flag_their_netting_sets() -> None:
    """A trade the extract reader rejected never reaches the engine; passed as a prior rejection, its
    netting set is held (default) or flagged, its valuation is no orphan, and it is reported once."""
    prior = pd.DataFrame(
        [
            {
                "extract": "trades",
                "trade_id": "GONE",
                "netting_set_id": "NS1",
                "field": "notional",
                "rule": "not_a_number",
                "message": "notional 'abc' is not a number",
            }
        ]
    )
    args = (
        trades(irs("A", 3, ns="NS1"), irs("B", 3, ns="NS2")),
        valuations({"A": 1.0, "B": 2.0, "GONE": 3.0}),
        collateral(collateral_row("NS1"), collateral_row("NS2")),
        market_data(fx=FX),
        AS_OF,
        PARAMS,
    )
    held = compute(*args, CalculationOptions(), prior_rejections=prior)
    assert list(held.netting_sets["netting_set_id"]) == ["NS2"]
    assert sorted(zip(held.rejected["trade_id"], held.rejected["rule"], strict=True)) == [
        ("A", "netting_set_held_incomplete"),
        ("GONE", "not_a_number"),
    ]
    flagged = compute(*args, CalculationOptions(incomplete_netting_sets="flag"), prior_rejections=prior)
    ns1 = one(flagged.netting_sets, netting_set_id="NS1")
    assert (ns1["complete"], ns1["trade_count"], ns1["rejected_trade_count"]) == (False, 1, 1)
    assert one(flagged.netting_sets, netting_set_id="NS2")["complete"]
    assert list(flagged.rejected["trade_id"]) == ["GONE"]
