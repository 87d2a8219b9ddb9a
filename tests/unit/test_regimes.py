"""The regimes side by side: each difference from CRE52 as a hand-built case, its figure worked in the
docstring and its article cited; the regime files and the loader that picks a version by date.

As-of 2025-01-02 unless a case says otherwise (AS_OF; ACT/365 dates from support.frames), reporting currency
USD. Regimes: bcbs_cre52, eu_crr3, uk_pra, us_12cfr217 (conf/regimes/, docs/regimes.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from saccr.engine import CalculationOptions, EngineResult, compute
from saccr.errors import OptionError, ParameterError
from saccr.params import SupervisoryParameters
from saccr_pipeline.config.regimes import REGIMES, conf_dir, load_parameters, parameter_versions
from support.frames import AS_OF, collateral, collateral_row, day, market_data, one, trades, valuations

FX = {"EUR": 1.1, "GBP": 1.25}
EU = load_parameters("eu_crr3", AS_OF)
BCBS = load_parameters("bcbs_cre52", AS_OF)
US = load_parameters("us_12cfr217", AS_OF)


def run(
    params: SupervisoryParameters,
    *rows: dict,
    coll: list[dict] | None = None,
    prices: dict | None = None,
    mtm: dict | None = None,
    as_of: dt.date = AS_OF,
    **options,
) -> EngineResult:
    ids = [r["trade_id"] for r in rows]
    netting_sets = sorted({r["netting_set_id"] for r in rows}) or ["NS"]
    return compute(
        trades(*rows),
        valuations(mtm or dict.fromkeys(ids, 0.0)),
        collateral(*(coll or [collateral_row(ns) for ns in netting_sets])),
        market_data(fx=FX, prices=prices),
        as_of,
        params,
        CalculationOptions(reporting_currency="USD", **options),
    )


def irs(
    tid: str, years: float, direction: str = "LONG", ns: str = "NS", as_of: dt.date = AS_OF, **extra
) -> dict:
    row = dict(
        trade_id=tid,
        netting_set_id=ns,
        asset_class="IR",
        direction=direction,
        notional=1_000_000.0,
        notional_currency="USD",
        start_date=day(-1, as_of),
        end_date=day(years, as_of),
        maturity_date=day(years, as_of),
    )
    return row | extra


def cds(tid: str, quality: str, ns: str = "NS") -> dict:
    return dict(
        trade_id=tid,
        netting_set_id=ns,
        asset_class="CREDIT",
        direction="LONG",
        notional=1_000_000.0,
        notional_currency="USD",
        start_date=day(-1),
        end_date=day(5),
        maturity_date=day(5),
        reference_entity="FIRM-" + tid,
        is_index=False,
        credit_quality=quality,
    )


def fx_forward(tid: str, ns: str = "NS", as_of: dt.date = AS_OF, **extra) -> dict:
    row = dict(
        trade_id=tid,
        netting_set_id=ns,
        asset_class="FX",
        direction="LONG",
        notional=1_000_000.0,
        notional_currency="EUR",
        notional_2=1_100_000.0,
        currency_2="USD",
        maturity_date=day(1, as_of),
    )
    return row | extra


def value_trade(tid: str, asset_class: str, direction: str, notional: float, **extra) -> dict:
    """An equity, commodity or other-risk trade whose notional is the current value of its units, M = 1."""
    row = dict(
        trade_id=tid,
        netting_set_id="NS",
        asset_class=asset_class,
        direction=direction,
        notional=notional,
        notional_currency="USD",
        maturity_date=day(1),
    )
    return row | extra


# ------------------------------------------------------------------------------------ files and versions


def test_every_regime_file_loads_and_names_its_source() -> None:
    for regime in REGIMES:
        versions = parameter_versions(regime)
        assert versions and all(v.source and v.version for v in versions)
        for v in versions:
            p = load_parameters(regime, v.valid_from)
            assert (p.version, p.valid_from, p.valid_to) == (v.version, v.valid_from, v.valid_to)


@pytest.mark.parametrize(
    ("regime", "day_", "version"),
    [
        ("eu_crr3", dt.date(2025, 1, 1), "2025-01-01.1"),
        ("eu_crr3", dt.date(2025, 5, 24), "2025-01-01.1"),
        ("eu_crr3", dt.date(2025, 5, 25), "2025-05-25.1"),
        ("uk_pra", dt.date(2026, 12, 31), "2022-01-01.1"),
        ("uk_pra", dt.date(2027, 1, 1), "2027-01-01.1"),
        ("us_12cfr217", dt.date(2020, 4, 1), "2020-04-01.1"),
        ("bcbs_cre52", dt.date(2030, 1, 1), "2023-01-01.1"),
    ],
)
def test_the_version_in_force_on_the_date_is_picked(regime: str, day_: dt.date, version: str) -> None:
    """valid_from and valid_to are both inclusive; no valid_to: in force from then on."""
    assert load_parameters(regime, day_).version == version


def test_no_version_in_force_is_a_clear_error() -> None:
    with pytest.raises(
        ParameterError, match=r"regime EU_CRR3 has no parameter version in force on 2024-12-31"
    ):
        load_parameters("eu_crr3", dt.date(2024, 12, 31))
    with pytest.raises(ParameterError, match="regime UK_PRA has several versions .*give the as-of date"):
        load_parameters("uk_pra")


def _eu_raw() -> dict:
    return tomllib.loads((conf_dir() / "regimes" / "eu_crr3.toml").read_text())


def test_overlapping_versions_are_refused() -> None:
    raw = _eu_raw()
    raw["versions"][0]["valid_to"] = dt.date(2025, 6, 1)
    with pytest.raises(ParameterError, match="overlap"):
        SupervisoryParameters.from_mapping(raw, AS_OF)


def test_an_override_changes_only_its_version() -> None:
    """The 2025-01-01 EU version overrides the commodity lambda only; everything else is shared."""
    early, late = (
        load_parameters("eu_crr3", dt.date(2025, 3, 3)),
        load_parameters("eu_crr3", dt.date(2025, 6, 2)),
    )
    assert (early.commodity.lambda_method, late.commodity.lambda_method) == ("none", "per_option")
    assert late.commodity.lambda_threshold == 0.1
    assert (
        dataclasses.replace(early.commodity, lambda_method="per_option", lambda_threshold=0.1)
        == late.commodity
    )
    assert early.credit == late.credit and early.interest_rate == late.interest_rate


def test_outputs_name_the_regime_and_version() -> None:
    ns = run(EU, irs("A", 3)).netting_sets.iloc[0]
    assert (ns["regime"], ns["parameter_version"]) == ("EU_CRR3", "2025-01-01.1")


# ------------------------------------------------------------------------------- interest rate (EU)


def test_eu_trade_ending_in_one_year_is_in_bucket_1() -> None:
    """Long swap A ending in exactly one year (E = 365/365 = 1) and short swap B ending in three, 1m USD each,
    S = 0, unmargined (MF = 1): SD_A = (1 - e^-0.05) / 0.05 = 0.975412, D_A = 975,411.51;
    SD_B = (1 - e^-0.15) / 0.05 = 2.785840, D_B = -2,785,840.47.
    BCBS (project convention E < 1 -> bucket 1): both in bucket 2, EN = |D_A + D_B| = 1,810,428.96,
    add-on 0.5% x EN = 9,052.14. CRR Art. 280a(3) Table 2 (bucket 1 "> 0 and <= 1"): A in bucket 1, B in 2,
    EN = sqrt(D_A^2 + D_B^2 + 1.4 D_A D_B) = 2,215,413.63, add-on 11,077.07."""
    rows = (irs("A", 1), irs("B", 3, direction="SHORT"))
    bcbs, eu = run(BCBS, *rows), run(EU, *rows)
    assert one(bcbs.trades, trade_id="A")["ir_bucket"] == 2
    assert one(eu.trades, trade_id="A")["ir_bucket"] == 1
    assert one(eu.trades, trade_id="B")["ir_bucket"] == 2
    assert bcbs.netting_sets.iloc[0]["addon_ir"] == pytest.approx(9_052.144808, abs=1e-6)
    assert eu.netting_sets.iloc[0]["addon_ir"] == pytest.approx(11_077.068138, abs=1e-6)
    d_a, d_b = 1e6 * (1 - math.exp(-0.05)) / 0.05, -1e6 * (1 - math.exp(-0.15)) / 0.05
    assert eu.netting_sets.iloc[0]["addon_ir"] == pytest.approx(
        0.005 * math.sqrt(d_a**2 + d_b**2 + 1.4 * d_a * d_b), rel=1e-12
    )


@pytest.mark.parametrize("regime", ["eu_crr3", "uk_pra", "us_12cfr217"])
def test_only_the_offset_formula_where_the_regime_says_so(regime: str) -> None:
    """CRR Art. 280a(3) (EU, and the PRA's restatement) prints only the formula with offsets across buckets;
    the US rule is read the same way (unverified). CRE52.57(4) lets the bank sum absolute bucket amounts."""
    with pytest.raises(OptionError, match=r"only the formula with offsets .* Art. 280a\(3\)"):
        run(load_parameters(regime, AS_OF), irs("A", 3), ir_offset=False)
    assert run(BCBS, irs("A", 3), ir_offset=False).netting_sets.iloc[0]["ead"] > 0


def test_eu_lambda_is_per_option() -> None:
    """Bought EUR call on a forward rate (swaption into a 5y swap, T = 1, sigma 50%).
    P = -0.2%, K = 0.1%: Delegated Regulation 2021/931 Art. 5(2): lambda = max(0.1% - min(P, K), 0) = 0.3%,
    d1 = (ln(0.001 / 0.004) + 0.125) / 0.5 = -2.522589, delta = Phi(d1) = 0.005825. (BCBS, EUR lambda 1% from
    the file: 0.349412, test_engine_cases.)
    P = 3%, K = 2.5%: both above the threshold, lambda = 0: d1 = (ln 1.2 + 0.125) / 0.5 = 0.614643,
    delta = 0.730605; BCBS shifts every EUR option by its currency's 1%: d1 = (ln(0.04 / 0.035) + 0.125) / 0.5
    = 0.517063, delta = 0.697444."""

    def option(tid: str, underlying: str, strike: float) -> dict:
        return irs(tid, 6, option_type="CALL", exercise_date=day(1), strike=strike, underlying_id=underlying,
                   start_date=day(1), notional_currency="EUR")  # fmt: skip

    rows = (option("NEG", "EUR-NEG", 0.001), option("POS", "EUR-POS", 0.025))
    prices = {"EUR-NEG": -0.002, "EUR-POS": 0.03}
    eu, bcbs = run(EU, *rows, prices=prices).trades, run(BCBS, *rows, prices=prices).trades
    assert one(eu, trade_id="NEG")["supervisory_delta"] == pytest.approx(norm.cdf(-2.5225887222), rel=1e-9)
    assert one(eu, trade_id="NEG")["supervisory_delta"] == pytest.approx(0.005825, abs=1e-6)
    assert one(eu, trade_id="POS")["supervisory_delta"] == pytest.approx(0.730605, abs=1e-6)
    assert one(bcbs, trade_id="POS")["supervisory_delta"] == pytest.approx(0.697444, abs=1e-6)


COMMODITY_AS_OF = dt.date(2025, 6, 2)  # the EU version with Delegated Regulation 2025/855 in force


def commodity_option(as_of: dt.date) -> dict:
    return dict(
        trade_id="O", netting_set_id="NS", asset_class="COMMODITY", direction="LONG", notional=1_000.0,
        notional_currency="USD", maturity_date=day(1, as_of), commodity_type="OIL_GAS", commodity="GAS",
        option_type="CALL", exercise_date=day(1, as_of), strike=2.0, underlying_id="GAS-FWD",
    )  # fmt: skip


def test_eu_commodity_options_shift_from_2025_05_25() -> None:
    """Bought gas call, P = -5, K = 2, T = 1, sigma 70%. Delegated Regulation 2021/931 Art. 5(2) as amended
    by 2025/855 (in effect from 2025-05-25): lambda = max(-(1 + 0.1) min(P, K), 0) = 5.5, d1 =
    (ln(0.5 / 7.5) + 0.245) / 0.7 = -3.518643, delta = Phi(d1) = 0.000217. The EU version before that date,
    and BCBS (lambda for IR options only), reject the trade."""
    eu = load_parameters("eu_crr3", COMMODITY_AS_OF)
    r = run(eu, commodity_option(COMMODITY_AS_OF), prices={"GAS-FWD": -5.0}, as_of=COMMODITY_AS_OF)
    t = one(r.trades, trade_id="O")
    assert t["supervisory_delta"] == pytest.approx(norm.cdf((math.log(0.5 / 7.5) + 0.245) / 0.7), rel=1e-12)
    assert t["supervisory_delta"] == pytest.approx(0.000217, abs=1e-6)
    for params, as_of in ((load_parameters("eu_crr3", AS_OF), AS_OF), (BCBS, AS_OF)):
        r = run(params, commodity_option(as_of), prices={"GAS-FWD": -5.0}, as_of=as_of)
        assert one(r.rejected, trade_id="O")["rule"] == "non_positive_price_or_strike"


# -------------------------------------------------------------------------------------------- credit


@pytest.mark.parametrize(
    ("params", "quality", "factor"),
    [
        (BCBS, "A", 0.0042),
        (EU, "A", 0.0042),  # A -> CQS2 (Art. 280c(5) Table 3)
        (EU, "CQS2", 0.0042),
        (EU, "CQS3", 0.0054),  # also the step of an unrated name (Art. 280c(5)(a))
        (EU, "CCC", 0.06),  # -> CQS6
        (US, "A", 0.0046),  # investment grade (Table 3 to 217.132)
        (US, "IG", 0.0046),
        (US, "BB", 0.013),  # speculative grade
        (US, "SSG", 0.06),  # sub-speculative grade
    ],
)
def test_single_name_credit_factor_by_the_regimes_grade(
    params: SupervisoryParameters, quality: str, factor: float
) -> None:
    """One bought CDS, 1m USD, S = 0, E = M = 5: SD = (1 - e^-0.25) / 0.05 = 4.423984, d = 4,423,984.34,
    MF = 1, D = d; one entity, so AddOn = |SF x D| (the correlation terms cancel: (rho A)^2 + (1 - rho^2) A^2
    = A^2). E.g. EU CQS2 0.42%: 18,580.73; US investment grade 0.46%: 20,350.33."""
    r = run(params, cds("C", quality))
    assert one(r.trades, trade_id="C")["supervisory_factor"] == factor
    assert r.netting_sets.iloc[0]["addon_credit"] == pytest.approx(
        factor * 1e6 * (1 - math.exp(-0.25)) / 0.05
    )


@pytest.mark.parametrize(("params", "quality"), [(BCBS, "CQS2"), (BCBS, "IG"), (EU, "SSG"), (US, "CQS1")])
def test_a_credit_quality_the_regime_does_not_know_is_rejected(
    params: SupervisoryParameters, quality: str
) -> None:
    rej = one(run(params, cds("C", quality)).rejected, trade_id="C")
    assert (rej["field"], rej["rule"]) == ("credit_quality", "enumeration")
    assert params.regime in rej["message"]


# ----------------------------------------------------------------------------- commodity and other risks


def test_eu_climatic_conditions_hedging_set() -> None:
    """A weather derivative (CLIMATIC) long 100 and a freight swap (OTHER) short 100, M = 1: A = +-18 (18%).
    BCBS: both in the "other" hedging set, types differ: sqrt((0.4 (18 - 18))^2 + 0.84 (18^2 + 18^2))
    = 23.330667. CRR Art. 277a(1)(e)(v): climatic conditions is a hedging set of its own, so no offset:
    sqrt((0.4 x 18)^2 + 0.84 x 18^2) = 18 in each set, 36 in all (Art. 280e(1): sum over hedging sets)."""
    rows = (
        value_trade("W", "COMMODITY", "LONG", 100.0, commodity_type="CLIMATIC", commodity="HDD"),
        value_trade("F", "COMMODITY", "SHORT", 100.0, commodity_type="OTHER", commodity="FREIGHT"),
    )
    bcbs, eu = run(BCBS, *rows), run(EU, *rows)
    assert list(bcbs.hedging_sets["hedging_set"]) == ["OTHER"]
    assert bcbs.netting_sets.iloc[0]["addon_commodity"] == pytest.approx(math.sqrt(0.84 * 648), rel=1e-12)
    assert sorted(eu.hedging_sets["hedging_set"]) == ["CLIMATIC", "OTHER"]
    assert one(eu.hedging_sets, hedging_set="CLIMATIC")["addon"] == pytest.approx(18.0, rel=1e-12)
    assert eu.netting_sets.iloc[0]["addon_commodity"] == pytest.approx(36.0, rel=1e-12)


@pytest.mark.parametrize("regime", ["eu_crr3", "uk_pra"])
def test_other_risks_category(regime: str) -> None:
    """Other risks (CRR Art. 277(1)(f)): one hedging set per primary risk driver (Art. 277a(1)(f)), full
    offset inside it, AddOn = 8% x |EN| (Art. 280f(2)). Driver X: long 1,000,000 and short 400,000 -> EN
    600,000, add-on 48,000; driver Y: long 200,000 -> 16,000; AddOn_other = 64,000 (M = 1, MF = 1).
    An option on Y takes the 150% volatility of Art. 279a(1) Table 1. BCBS has no such class: rejected."""
    rows = (
        value_trade("X1", "OTHER", "LONG", 1_000_000.0, reference_entity="LONGEVITY-X"),
        value_trade("X2", "OTHER", "SHORT", 400_000.0, reference_entity="LONGEVITY-X"),
        value_trade("Y1", "OTHER", "LONG", 200_000.0, reference_entity="INFLATION-VOL-Y"),
    )
    params = load_parameters(regime, AS_OF)
    ns = run(params, *rows).netting_sets.iloc[0]
    assert ns["addon_other"] == pytest.approx(64_000.0)
    assert ns["addon_aggregate"] == pytest.approx(64_000.0)
    option = value_trade("O", "OTHER", "LONG", 1_000.0, reference_entity="Y", option_type="CALL",
                         exercise_date=day(1), strike=100.0, underlying_id="Y-PRICE")  # fmt: skip
    t = one(run(params, option, prices={"Y-PRICE": 100.0}).trades, trade_id="O")
    # d1 = (0 + 0.5 x 1.5^2) / 1.5 = 0.75: delta = Phi(0.75)
    assert (t["supervisory_volatility"], t["supervisory_delta"]) == (1.5, pytest.approx(norm.cdf(0.75)))
    rejected = run(BCBS, *rows).rejected
    assert set(rejected.loc[rejected["rule"] == "not_in_regime", "trade_id"]) == {"X1", "X2", "Y1"}


# ------------------------------------------------------------------------------------- cap and VM


def test_cap_vm_reading_is_the_regimes() -> None:
    """Margined daily, FX forward EUR 1m (d = 1.1m USD), V = 100, VM received 100, no IA.
    Margined: C = 100, RC = max(0, 0 + 0 - 0, 0) = 0, MF 0.3, add-on 13,200, EAD 18,480.
    As if unmargined (CRE52.2), add-on 44,000: BCBS keeps VM in C, RC = 0, EAD 61,600; the EU default (EBA
    Q&A 2023_6962: C = NICA = 0) gives RC = 100, EAD = 1.4 x 44,100 = 61,740. The cap binds in neither.
    The option overrides the regime's reading; the UK file keeps the CRE52 reading."""
    args = (fx_forward("A"),)
    coll = [collateral_row("NS", margined=True, vm_received=100.0)]
    mtm = {"A": 100.0}
    bcbs = run(BCBS, *args, coll=coll, mtm=mtm).netting_sets.iloc[0]
    eu = run(EU, *args, coll=coll, mtm=mtm).netting_sets.iloc[0]
    forced = run(EU, *args, coll=coll, mtm=mtm, cap_vm_treatment="basel").netting_sets.iloc[0]
    uk = run(load_parameters("uk_pra", AS_OF), *args, coll=coll, mtm=mtm).netting_sets.iloc[0]
    assert uk["ead_unmargined"] == pytest.approx(61_600)  # the UK keeps C with VM (a convention)
    assert (bcbs["rc_unmargined"], bcbs["ead_unmargined"]) == (0.0, pytest.approx(61_600))
    assert (eu["rc_unmargined"], eu["ead_unmargined"]) == (100.0, pytest.approx(61_740))
    assert forced["ead_unmargined"] == pytest.approx(61_600)
    assert bcbs["ead"] == eu["ead"] == pytest.approx(18_480)


# -------------------------------------------------------------------------------------------- alpha


def test_us_commercial_end_user_alpha_is_one() -> None:
    """12 CFR 217.132(c)(5): alpha = 1 for a netting set with a commercial end-user counterparty. FX forward
    EUR 1m, unmargined, V = 0: add-on 44,000, EAD = 1 x 44,000; a financial counterparty 1.4 x 44,000 =
    61,600. BCBS ignores counterparty_type."""
    coll = [collateral_row("CEU", counterparty_type="COMMERCIAL_END_USER"), collateral_row("FIN")]
    rows = (fx_forward("A", ns="CEU"), fx_forward("B", ns="FIN"))
    us = run(US, *rows, coll=coll).netting_sets.set_index("netting_set_id")
    assert (us.loc["CEU", "alpha_applied"], us.loc["CEU", "ead"]) == (1.0, pytest.approx(44_000))
    assert us.loc["CEU", "alpha_reason"] == "COUNTERPARTY_TYPE_COMMERCIAL_END_USER"
    assert (us.loc["FIN", "alpha_applied"], us.loc["FIN", "alpha_reason"]) == (1.4, "STANDARD")
    assert us.loc["FIN", "ead"] == pytest.approx(61_600)
    bcbs = run(BCBS, *rows, coll=coll).netting_sets.set_index("netting_set_id")
    assert bcbs.loc["CEU", "alpha_applied"] == 1.4 and bcbs.loc["CEU", "ead"] == pytest.approx(61_600)


@pytest.mark.parametrize(
    ("as_of", "kind", "exempt", "trade_date", "alpha"),
    [
        (dt.date(2026, 6, 30), "NON_FINANCIAL", True, dt.date(2026, 1, 5), 1.4),  # UK CRR: 1.4 for all
        (dt.date(2027, 6, 30), "NON_FINANCIAL", False, dt.date(2026, 1, 5), 1.0),  # not CVA-exempt before
        (dt.date(2027, 6, 30), "NON_FINANCIAL", True, dt.date(2026, 1, 5), 1.24),  # 1 + 60% x 0.4
        (dt.date(2028, 6, 30), "PENSION_SCHEME", True, dt.date(2026, 1, 5), 1.16),  # 1 + 40% x 0.4
        (dt.date(2029, 6, 30), "PENSION_SCHEME", True, None, 1.08),  # no trade_date: counted as legacy
        (dt.date(2030, 6, 30), "NON_FINANCIAL", True, dt.date(2026, 1, 5), 1.0),  # transition over
        (dt.date(2027, 6, 30), "NON_FINANCIAL", True, dt.date(2027, 3, 1), 1.0),  # entered in 2027
        (dt.date(2027, 6, 30), "FINANCIAL", True, dt.date(2026, 1, 5), 1.4),
        (dt.date(2027, 6, 30), None, False, None, 1.4),  # empty = FINANCIAL
    ],
)
def test_uk_alpha_from_2027_and_the_transition(
    as_of: dt.date, kind: str | None, exempt: bool, trade_date: dt.date | None, alpha: float
) -> None:
    """PRA Basel 3.1, Counterparty Credit Risk Part Art. 274(2): alpha = 1 for non-financial counterparties
    and pension scheme arrangements; Art. 274(2A): trades entered before 2027-01-01 with counterparties
    exempt from the CVA charge add 60% / 40% / 20% (2027 / 2028 / 2029) of (1.4 - 1) x (RC + PFE).
    FX forward EUR 1m, V = 0: RC + PFE = 44,000, so EAD = alpha x 44,000."""
    params = load_parameters("uk_pra", as_of)
    coll = [collateral_row("NS", counterparty_type=kind, cva_exempt=exempt)]
    row = fx_forward("A", as_of=as_of, trade_date=trade_date)
    ns = run(params, row, coll=coll, as_of=as_of).netting_sets.iloc[0]
    assert ns["alpha_applied"] == pytest.approx(alpha, rel=1e-12)
    assert ns["ead"] == pytest.approx(alpha * 44_000, rel=1e-12)
    assert ns["lr_exposure"] == pytest.approx(1.4 * 44_000)  # the leverage exposure keeps 1.4


def test_bad_counterparty_type_is_rejected_with_its_rule() -> None:
    r = run(US, fx_forward("A"), coll=[collateral_row("NS", counterparty_type="BANK")])
    rej = r.rejected.set_index("extract")
    assert (rej.loc["collateral", "field"], rej.loc["collateral", "rule"]) == (
        "counterparty_type",
        "enumeration",
    )
    assert rej.loc["trades", "rule"] == "netting_set_without_collateral" and r.netting_sets.empty


def test_extracts_without_the_added_columns_still_compute() -> None:
    """Columns added to the contract later (ADDED_COLUMNS) may be absent: empty, i.e. FINANCIAL, not
    CVA-exempt, no eligible cash VM, CCP leg counted, trade dates unknown."""
    t = trades(fx_forward("A")).drop(columns="trade_date")
    c = collateral(collateral_row("NS")).drop(columns=["counterparty_type", "cva_exempt", "vm_cash_eligible",
                                                        "ccp_leg_exempt"])  # fmt: skip
    r = compute(t, valuations({"A": 0.0}), c, market_data(fx=FX), AS_OF, US, CalculationOptions())
    ns = r.netting_sets.iloc[0]
    assert (ns["counterparty_type"], ns["alpha_applied"], ns["ead"]) == (
        "FINANCIAL",
        1.4,
        pytest.approx(61_600),
    )


# ---------------------------------------------------------------------------------- leverage ratio


def test_leverage_exposure_ignores_collateral_other_than_eligible_cash_vm() -> None:
    """FX forward EUR 1m, 1y (add-on 44,000 unmargined, 13,200 margined daily: MF 0.3).
    Unmargined, V = 500, IA received 300: RC = 200, EAD = 1.4 x 44,200 = 61,880; the leverage exposure
    recognises no IA: lr_rc = 500, lr_exposure = 1.4 x 44,500 = 62,300.
    Margined, V = 500, VM received 400: eligible cash VM (LEV30, CRR Art. 429c(3)) -> lr_rc = 100,
    1.4 x (100 + 13,200) = 18,620; not eligible -> lr_rc = 500, 19,180.
    Unmargined, V = 0, IA received 100,000: the multiplier 0.05 + 0.95 exp(-100,000 / (2 x 0.95 x 44,000))
    = 0.337232 cuts the risk-based PFE to 14,838.20; the leverage ratio fixes it at 1: lr_pfe = 44,000."""
    sets = {
        "U": dict(ia_received=300.0),
        "M_CASH": dict(margined=True, vm_received=400.0, vm_cash_eligible=True),
        "M_OTHER": dict(margined=True, vm_received=400.0, vm_cash_eligible=False),
        "OVER": dict(ia_received=100_000.0),
    }
    coll = [collateral_row(ns, **terms) for ns, terms in sets.items()]
    rows = [fx_forward(ns, ns=ns) for ns in sets]
    mtm = {"U": 500.0, "M_CASH": 500.0, "M_OTHER": 500.0, "OVER": 0.0}
    ns = run(BCBS, *rows, coll=coll, mtm=mtm).netting_sets.set_index("netting_set_id")
    assert (ns.loc["U", "rc"], ns.loc["U", "ead"]) == (200.0, pytest.approx(61_880))
    assert (ns.loc["U", "lr_rc"], ns.loc["U", "lr_exposure"]) == (500.0, pytest.approx(62_300))
    assert (ns.loc["M_CASH", "lr_rc"], ns.loc["M_CASH", "lr_exposure"]) == (100.0, pytest.approx(18_620))
    assert (ns.loc["M_OTHER", "lr_rc"], ns.loc["M_OTHER", "lr_exposure"]) == (500.0, pytest.approx(19_180))
    assert ns.loc["OVER", "pfe"] == pytest.approx(14_838.201481, abs=1e-6)
    assert (ns.loc["OVER", "lr_pfe"], ns.loc["OVER", "lr_exposure"]) == (44_000.0, pytest.approx(61_600))


def test_leverage_exposure_leaves_out_the_exempt_ccp_leg() -> None:
    """A clearing member's trades with a QCCP for a client it does not guarantee the QCCP to (CRR Art.
    429a(1)(g), LEV30): lr_exposure 0; the same set without the flag counts; the flag on a set that is not
    cleared is rejected."""
    coll = [
        collateral_row("CCP_LEG", margined=True, cleared=True, counterparty_type="CCP", ccp_leg_exempt=True),
        collateral_row("CCP_OWN", margined=True, cleared=True, counterparty_type="CCP"),
    ]
    rows = (fx_forward("A", ns="CCP_LEG"), fx_forward("B", ns="CCP_OWN"))
    ns = run(EU, *rows, coll=coll).netting_sets.set_index("netting_set_id")
    # cleared: MPOR 5 days, MF = 1.5 sqrt(5 / 250) = 0.212132, add-on = 44,000 x 0.212132 = 9,333.81
    assert ns.loc["CCP_LEG", "lr_exposure"] == 0.0
    assert ns.loc["CCP_OWN", "lr_exposure"] == pytest.approx(1.4 * 44_000 * 1.5 * math.sqrt(5 / 250))
    assert ns.loc["CCP_LEG", "ead"] == ns.loc["CCP_OWN", "ead"] > 0  # the risk-based EAD is unchanged
    r = run(EU, fx_forward("A"), coll=[collateral_row("NS", ccp_leg_exempt=True)])
    assert one(r.rejected, extract="collateral")["rule"] == "not_for_product"


# ---------------------------------------------------------------------------- one book, four regimes


def book() -> tuple[list[dict], list[dict]]:
    """IR swaps ending in 1y (long) and 3y (short), a single-name CDS rated A, a weather derivative and a
    freight swap, in a netting set with a non-financial counterparty that was CVA-exempt; all trades entered
    2024-06-03; unmargined, V = 0."""
    rows = [
        irs("IR1", 1), irs("IR3", 3, direction="SHORT"), cds("CDS", "A"),
        value_trade("W", "COMMODITY", "LONG", 100_000.0, commodity_type="CLIMATIC", commodity="HDD"),
        value_trade("F", "COMMODITY", "SHORT", 100_000.0, commodity_type="OTHER", commodity="FREIGHT"),
    ]  # fmt: skip
    rows = [r | {"trade_date": dt.date(2024, 6, 3)} for r in rows]
    return rows, [collateral_row("NS", counterparty_type="NON_FINANCIAL", cva_exempt=True)]


def test_the_same_book_under_every_regime() -> None:
    """The book above (V = 0, so RC = 0 and EAD = alpha x AddOn), add-ons by asset class:
    IR: BCBS and US put the 1y swap in bucket 2 (EN 1,810,428.96, add-on 9,052.14); the CRR's Table 2 puts
      it in bucket 1 (EU, UK: 11,077.07; test_eu_trade_ending_in_one_year_is_in_bucket_1).
    Credit: rated A: 0.42% under CRE52 and as CQS2 under the CRR (18,580.73); investment grade 0.46% in the
      US (20,350.33).
    Commodity: A = +-18,000; one "other" hedging set under CRE52 and the US (sqrt(0.84 x 2 x 18,000^2)
      = 23,330.67), climatic conditions apart under the CRR (18,000 + 18,000 = 36,000).
    Alpha: 1.4 everywhere on 2025-01-02; the UK's 2027 rules give this non-financial counterparty alpha 1
      plus the transition for its 2024 trades: 1 + 60% x 0.4 = 1.24 (as-of 2027-06-30; the add-ons are
      then those of that date, not compared here)."""
    rows, coll = book()
    ir_bcbs, ir_crr = 9_052.144808, 11_077.068138
    sd5 = 1e6 * (1 - math.exp(-0.25)) / 0.05
    expected = {
        "bcbs_cre52": (ir_bcbs, 0.0042 * sd5, math.sqrt(0.84 * 2 * 18_000**2)),
        "eu_crr3": (ir_crr, 0.0042 * sd5, 36_000.0),
        "uk_pra": (ir_crr, 0.0042 * sd5, 36_000.0),
        "us_12cfr217": (ir_bcbs, 0.0046 * sd5, math.sqrt(0.84 * 2 * 18_000**2)),
    }
    for regime, (ir, credit, commodity) in expected.items():
        ns = run(load_parameters(regime, AS_OF), *rows, coll=coll).netting_sets.iloc[0]
        assert ns["addon_ir"] == pytest.approx(ir, abs=1e-6), regime
        assert ns["addon_credit"] == pytest.approx(credit, rel=1e-12), regime
        assert ns["addon_commodity"] == pytest.approx(commodity, rel=1e-12), regime
        assert ns["ead"] == pytest.approx(1.4 * (ir + credit + commodity), rel=1e-9), regime
    late = dt.date(2027, 6, 30)
    rows_late = [r | {"trade_date": dt.date(2024, 6, 3)} for r in (fx_forward("A", as_of=late),)]
    uk = run(load_parameters("uk_pra", late), *rows_late, coll=coll, as_of=late).netting_sets.iloc[0]
    assert (uk["alpha_applied"], uk["alpha_reason"]) == (
        pytest.approx(1.24),
        "COUNTERPARTY_TYPE_NON_FINANCIAL_TRANSITION_0.6",
    )


def test_regime_parameters_never_leak_into_each_other() -> None:
    """Loading every regime leaves the BCBS parameters as they were (frozen, read-only tables)."""
    before = load_parameters("bcbs_cre52", AS_OF)
    for regime in REGIMES:
        load_parameters(regime, AS_OF)
    assert load_parameters("bcbs_cre52", AS_OF) == before
    assert dict(before.credit.single_name_grade)["A"] == "A"
    assert np.isclose(dict(before.credit.single_name_supervisory_factor)["A"], 0.0042)
    assert pd.isna(before.other)


# ------------------------------------------------------------ simplified SA-CCR, OEM and Art. 273a


def entity_book() -> tuple[list[dict], list[dict], dict]:
    """Netting set NS1 (entity SMALL, unmargined, IA received 1,000): long 1m swap ending in 3y, short 1m
    swap ending in 7y, V = 2,000 - 500 = 1,500. NS2 (entity TINY, margined, TH 500, MTA 100): bought EUR 1m
    forward (1.1m USD), 1y, V = 300."""
    rows = [irs("IR1", 3, ns="NS1"), irs("IR2", 7, direction="SHORT", ns="NS1"), fx_forward("FX1", ns="NS2")]
    coll = [
        collateral_row("NS1", legal_entity="SMALL", ia_received=1_000.0),
        collateral_row("NS2", legal_entity="TINY", margined=True, threshold=500.0, mta=100.0),
    ]
    return rows, coll, {"IR1": 2_000.0, "IR2": -500.0, "FX1": 300.0}


ASSETS = {"SMALL": 1e9, "TINY": 5e8}


def test_simplified_sa_ccr() -> None:
    """CRR Art. 281(2) on NS1: SD = E - S (3 and 7: S = 0), delta +1 / -1, MF 1 without margin, so
    D = +3,000,000 (bucket 2) and -7,000,000 (bucket 3); no offset across buckets: EN = 10,000,000, add-on
    0.5% x EN = 50,000; RC = max(CMV, 0) = 1,500 (the IA is not recognised); multiplier 1; EAD = 1.4 x
    51,500 = 72,100. Under SA-CCR: SD 2.785840 / 6.046330, offsets, RC 500, EAD 1.4 x (500 + 41,155.86)."""
    rows, coll, mtm = entity_book()
    simplified = run(
        EU, *rows, coll=coll, mtm=mtm, methods={"SMALL": "SIMPLIFIED_SA_CCR"}, total_assets=ASSETS
    )
    ns = simplified.netting_sets.set_index("netting_set_id")
    assert ns.loc["NS1", "calculation_method"] == "SIMPLIFIED_SA_CCR"
    assert (ns.loc["NS1", "rc"], ns.loc["NS1", "addon_ir"], ns.loc["NS1", "multiplier"]) == (1_500, 50_000, 1)
    assert ns.loc["NS1", "ead"] == pytest.approx(72_100)
    ir1 = one(simplified.trades, trade_id="IR1")
    assert (ir1["supervisory_duration"], ir1["supervisory_delta"], ir1["maturity_factor"]) == (3.0, 1.0, 1.0)
    assert ns.loc["NS2", "calculation_method"] == "SA_CCR"  # TINY is not listed: SA-CCR
    sa_ccr = run(EU, *rows, coll=coll, mtm=mtm).netting_sets.set_index("netting_set_id")
    d1, d2 = 1e6 * (1 - math.exp(-0.15)) / 0.05, -1e6 * (1 - math.exp(-0.35)) / 0.05
    addon = 0.005 * math.sqrt(d1**2 + d2**2 + 1.4 * d1 * d2)
    assert sa_ccr.loc["NS1", "ead"] == pytest.approx(1.4 * (500 + addon), rel=1e-12)
    # the leverage exposure stays SA-CCR's (saccr.simplified_methods)
    assert ns.loc["NS1", "lr_exposure"] == sa_ccr.loc["NS1", "lr_exposure"]


def test_simplified_sa_ccr_margined_options_and_entities() -> None:
    """Margined (TH 500, MTA 100): RC = TH + MTA = 600 (Art. 281(2)(c)), MF 0.42 (281(2)(i)).
    A bought put on an equity index (P = K = 100, notional 100,000) has delta -1 (281(2)(g)): A = 20% x
    100,000 x 0.42 x -1 = -8,400. Two single-name CDS, 1m each, E = 5 (SD = 5), long entity X, short
    entity Y: A = +-0.54% x 5,000,000 x 0.42 = +-11,340 (BBB -> CQS3); no offset between entities: credit
    add-on 22,680 (SA-CCR would take sqrt((0.5 x 0)^2 + 0.75 x 2 x 11,340^2) = 13,888.6).
    EAD = 1.4 x (600 + 8,400 + 22,680) = 44,352; as if unmargined (MF 1, RC = max(V, 0) = 0):
    1.4 x (20,000 + 54,000) = 103,600: the cap does not bind."""
    put = value_trade(
        "P", "EQUITY", "LONG", 100_000.0, reference_entity="SX5E", is_index=True, option_type="PUT",
        exercise_date=day(1), strike=100.0, underlying_id="SX5E",
    )  # fmt: skip
    long_x, short_y = cds("X", "BBB"), cds("Y", "BBB") | {"direction": "SHORT"}
    coll = [collateral_row("NS", legal_entity="SMALL", margined=True, threshold=500.0, mta=100.0)]
    methods = {"SMALL": "SIMPLIFIED_SA_CCR"}
    r = run(
        EU,
        put,
        long_x,
        short_y,
        coll=coll,
        prices={"SX5E": 100.0},
        methods=methods,
        total_assets={"SMALL": 1e9},
    )
    ns = r.netting_sets.iloc[0]
    assert one(r.trades, trade_id="P")["supervisory_delta"] == -1.0
    assert (ns["rc"], ns["addon_equity"]) == (600.0, pytest.approx(8_400))
    assert ns["addon_credit"] == pytest.approx(22_680)
    assert ns["ead"] == pytest.approx(1.4 * (600 + 8_400 + 22_680))
    assert ns["ead_unmargined"] == pytest.approx(1.4 * (20_000 + 54_000))


def test_original_exposure_method() -> None:
    """CRR Art. 282 on NS2 (margined: RC = TH + MTA = 600, 282(3)(a)): PFE = 4% x 1,100,000 = 44,000;
    EAD = 1.4 x 44,600 = 62,440. On NS1 (RC = max(CMV, 0) = 1,500): PFE = 0.5% x residual maturity x
    notional: 0.5% x 3 x 1m + 0.5% x 7 x 1m = 50,000 (no offset, no delta); EAD = 1.4 x 51,500 = 72,100.
    Percentages of 282(4)(b): credit 6% x 5y = 30% of 1m; electricity 40%, gas 18% and equity 32% of their
    values (100,000 each): 300,000 + 40,000 + 18,000 + 32,000 = 390,000."""
    rows, coll, mtm = entity_book()
    r = run(EU, *rows, coll=coll, mtm=mtm, methods={"SMALL": "OEM", "TINY": "OEM"}, total_assets=ASSETS)
    ns = r.netting_sets.set_index("netting_set_id")
    assert (ns.loc["NS2", "rc"], ns.loc["NS2", "pfe"], ns.loc["NS2", "ead"]) == (
        600,
        44_000,
        pytest.approx(62_440),
    )
    assert (ns.loc["NS1", "rc"], ns.loc["NS1", "pfe"]) == (1_500, pytest.approx(50_000))
    assert ns.loc["NS1", "ead"] == pytest.approx(72_100)
    assert set(ns["calculation_method"]) == {"OEM"} and r.hedging_sets.empty
    assert one(r.trades, trade_id="IR2")["supervisory_factor"] == pytest.approx(0.035)
    others = [
        cds("C", "A"),
        value_trade("E", "COMMODITY", "LONG", 100_000.0, commodity_type="ELECTRICITY", commodity="POWER"),
        value_trade("G", "COMMODITY", "SHORT", 100_000.0, commodity_type="OIL_GAS", commodity="GAS"),
        value_trade("Q", "EQUITY", "SHORT", 100_000.0, reference_entity="ACME", is_index=False),
    ]
    coll = [collateral_row("NS", legal_entity="SMALL")]
    pfe = run(EU, *others, coll=coll, methods={"SMALL": "OEM"}, total_assets=ASSETS).netting_sets.iloc[0][
        "pfe"
    ]
    assert pfe == pytest.approx(300_000 + 40_000 + 18_000 + 32_000)


def test_size_test_of_art_273a() -> None:
    """Derivative business = sum of |MtM| (Art. 273a(3)): SMALL 2,000 + 500 = 2,500, TINY 300. Thresholds
    in USD at EUR 1.1: simplified 300m x 1.1 = 330m, OEM 100m x 1.1 = 110m. SMALL with total assets
    20,000: 12.5% > 10% (273a(1)(a)) and > 5% (273a(2)(a)): neither method; with 1bn: both."""
    rows, coll, mtm = entity_book()
    ok = run(EU, *rows, coll=coll, mtm=mtm, total_assets=ASSETS).legal_entities.set_index("legal_entity")
    assert (
        ok.loc["SMALL", "derivative_business_size"] == 2_500
        and ok.loc["TINY", "derivative_business_size"] == 300
    )
    assert (ok.loc["SMALL", "simplified_max_amount"], ok.loc["SMALL", "oem_max_amount"]) == (
        pytest.approx(330e6),
        pytest.approx(110e6),
    )
    assert ok.loc["SMALL", "simplified_eligible"] and ok.loc["SMALL", "oem_eligible"]
    assert list(ok["calculation_method"]) == ["SA_CCR", "SA_CCR"]
    small = {"SMALL": 20_000.0}
    above = run(EU, *rows, coll=coll, mtm=mtm, total_assets=small).legal_entities.set_index("legal_entity")
    assert above.loc["SMALL", "share_of_total_assets"] == pytest.approx(0.125)
    assert not above.loc["SMALL", "simplified_eligible"] and not above.loc["SMALL", "oem_eligible"]
    assert pd.isna(above.loc["TINY", "simplified_eligible"])  # no total assets given
    with pytest.raises(
        OptionError, match=r"SMALL may not use SIMPLIFIED_SA_CCR \(CRR Art. 273a\(1\)\).*12.50%"
    ):
        run(EU, *rows, coll=coll, mtm=mtm, total_assets=small, methods={"SMALL": "SIMPLIFIED_SA_CCR"})
    with pytest.raises(OptionError, match=r"TINY: total assets are needed for OEM \(CRR Art. 273a\(2\)\)"):
        run(EU, *rows, coll=coll, mtm=mtm, methods={"TINY": "OEM"})


def test_simplified_size_above_the_amount_threshold() -> None:
    """A large book in a large entity: |MtM| of 400m USD > 330m (EUR 300m at 1.1) though 400m is only 4%
    of 10bn of total assets: Art. 273a(1)(b) refuses simplified SA-CCR."""
    rows, coll, _ = entity_book()
    mtm = {"IR1": 400e6, "IR2": 0.0, "FX1": 0.0}
    with pytest.raises(OptionError, match="SMALL may not use SIMPLIFIED_SA_CCR"):
        run(
            EU,
            *rows,
            coll=coll,
            mtm=mtm,
            methods={"SMALL": "SIMPLIFIED_SA_CCR"},
            total_assets={"SMALL": 1e10},
        )


@pytest.mark.parametrize("regime", ["bcbs_cre52", "us_12cfr217", "uk_pra"])
def test_simplified_methods_only_where_the_regime_has_them(regime: str) -> None:
    rows, coll, mtm = entity_book()
    with pytest.raises(OptionError, match="has no simplified SA-CCR or original exposure method"):
        run(
            load_parameters(regime, AS_OF),
            *rows,
            coll=coll,
            mtm=mtm,
            methods={"SMALL": "OEM"},
            total_assets=ASSETS,
        )
    with pytest.raises(OptionError, match="unknown calculation methods"):
        run(EU, *rows, coll=coll, mtm=mtm, methods={"SMALL": "CEM"})
