"""Sample-extract generator: contract, product coverage, netting-set sizes, multi-date runs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from saccr.contract import (
    ASSET_CLASSES,
    COMMODITY_TYPES,
    COUNTERPARTY_TYPES,
    CREDIT_QUALITIES_INDEX,
    CREDIT_RATINGS,
    EXTRACTS,
)
from saccr_pipeline.extracts import ENGINE_DTYPES
from saccr_pipeline.sample.generate import generate, generate_series, weekdays

AS_OF = dt.date(2025, 3, 31)
DAY = pd.Timestamp(AS_OF)
# conf/regimes/bcbs_cre52.toml [interest_rate.lambda_shift]
LAMBDA = {"EUR": 0.01, "CHF": 0.01, "JPY": 0.005, "DKK": 0.01, "SEK": 0.01}
# The generated book is valid under every regime, BCBS included: no trade of the CRR's "other risks"
# category and single-name qualities as ratings (not CRR credit quality steps or US grades).
BCBS_ASSET_CLASSES = tuple(a for a in ASSET_CLASSES if a != "OTHER")


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate(AS_OF, 20_000, 400, seed=42)


@pytest.fixture(scope="module")
def trades(sample: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return sample["trades"]


@pytest.fixture(scope="module")
def price_of(sample: dict[str, pd.DataFrame]) -> pd.Series:
    md = sample["market_data"]
    return md.loc[md["kind"] == "PRICE"].set_index("key")["value"]


def test_same_seed_same_extracts_other_seed_other_extracts() -> None:
    first, again, other = (generate(AS_OF, 2000, 50, seed=s) for s in (7, 7, 8))
    for name in EXTRACTS:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["trades"]["notional"].equals(other["trades"]["notional"])


def test_columns_and_types_follow_the_contract(sample: dict[str, pd.DataFrame]) -> None:
    assert list(sample) == list(EXTRACTS)
    for name, columns in EXTRACTS.items():
        frame = sample[name]
        assert list(frame.columns) == list(columns)
        assert {c: str(t) for c, t in frame.dtypes.items()} == {
            c: str(np.dtype(ENGINE_DTYPES[t]) if ENGINE_DTYPES[t] is object else ENGINE_DTYPES[t])
            for c, t in columns.items()
        }


def test_keys_match_across_extracts(sample: dict[str, pd.DataFrame], trades: pd.DataFrame) -> None:
    valuations, collateral = sample["valuations"], sample["collateral"]
    assert len(trades) == 20_000 and trades["trade_id"].is_unique
    assert valuations["trade_id"].is_unique and set(valuations["trade_id"]) == set(trades["trade_id"])
    assert collateral["netting_set_id"].is_unique
    assert set(collateral["netting_set_id"]) == set(trades["netting_set_id"])
    assert len(collateral) == 400


def test_every_currency_has_a_rate_and_every_underlying_a_price(
    sample: dict[str, pd.DataFrame], trades: pd.DataFrame, price_of: pd.Series
) -> None:
    md = sample["market_data"]
    fx = md.loc[md["kind"] == "FX"].set_index("key")["value"]
    used = set(trades["notional_currency"]) | set(trades["currency_2"].dropna())
    used |= set(sample["valuations"]["mtm_currency"]) | set(sample["collateral"]["currency"])
    assert {"USD", "EUR", "GBP", "JPY", "CHF"} <= used <= set(fx.index)
    assert fx["USD"] == 1.0 and (fx > 0).all()
    assert set(trades["underlying_id"].dropna()) == set(price_of.index)
    assert not md.duplicated(["kind", "key"]).any()


def test_mix_of_asset_classes_and_directions(trades: pd.DataFrame) -> None:
    share = trades["asset_class"].value_counts(normalize=True)
    assert set(share.index) == set(BCBS_ASSET_CLASSES)
    assert share["IR"] == pytest.approx(0.50, abs=0.03) and share["FX"] == pytest.approx(0.20, abs=0.03)
    assert share["COMMODITY"] == pytest.approx(0.08, abs=0.02)
    assert trades["direction"].value_counts(normalize=True)["LONG"] == pytest.approx(0.5, abs=0.03)
    assert (trades["notional"] > 0).all()
    assert trades["notional"].max() / trades["notional"].median() > 20  # lognormal sizes, not a flat grid


def test_dates_are_consistent(trades: pd.DataFrame) -> None:
    period = trades["asset_class"].isin(["IR", "CREDIT"])
    assert trades.loc[period, ["start_date", "end_date"]].notna().all().all()
    assert (trades.loc[period, "end_date"] >= DAY).all()
    assert (trades.loc[period, "start_date"] <= trades.loc[period, "end_date"]).all()
    assert (trades["maturity_date"] >= DAY).all()
    options = trades.loc[trades["option_type"].notna()]
    assert (options["exercise_date"] >= DAY).all()
    assert (options["exercise_date"] <= options["maturity_date"]).all()
    ir_swaps = trades.loc[(trades["asset_class"] == "IR") & (trades["product"] == "IRS")]
    assert (ir_swaps["start_date"] < DAY).any() and (ir_swaps["start_date"] > DAY).any()  # spot and forward


def test_swaptions_settle_physically_or_in_cash(trades: pd.DataFrame) -> None:
    swaptions = trades.loc[trades["product"] == "SWAPTION"]
    assert (swaptions["start_date"] >= swaptions["exercise_date"]).all()
    physical = swaptions["maturity_date"] == swaptions["end_date"]
    cash = swaptions["maturity_date"] == swaptions["exercise_date"]
    assert (physical | cash).all() and physical.any() and cash.any()


def test_every_kind_of_option(trades: pd.DataFrame, price_of: pd.Series) -> None:
    options = trades.loc[trades["option_type"].notna()]
    kinds = options.groupby(["asset_class", "option_type", "direction"]).size()
    assert len(kinds) == len(BCBS_ASSET_CLASSES) * 2 * 2  # calls and puts, bought and sold, in every class
    assert {"SWAPTION", "CAP", "FLOOR", "FX_OPTION", "CDX_OPTION", "ITRAXX_OPTION", "EQ_OPTION"} <= set(
        options["product"]
    )
    equity = options.loc[options["asset_class"] == "EQUITY", "is_index"]
    assert equity.any() and (~equity).any()  # single-name and index options
    assert options[["strike", "underlying_id"]].notna().all().all()

    p, k = options["underlying_id"].map(price_of), options["strike"]
    not_positive = (p <= 0) | (k <= 0)
    assert not_positive.any() and (k < 0).any()
    assert (options.loc[not_positive, "asset_class"] == "IR").all()
    assert set(options.loc[not_positive, "notional_currency"]) <= set(LAMBDA)
    assert {"EUR", "CHF", "JPY"} <= set(options.loc[not_positive, "notional_currency"])
    shift = options.loc[not_positive, "notional_currency"].map(LAMBDA)
    assert ((p[not_positive] + shift > 0) & (k[not_positive] + shift > 0)).all()  # P + lambda, K + lambda > 0


def test_fx_trades_have_two_legs(trades: pd.DataFrame) -> None:
    fx = trades.loc[trades["asset_class"] == "FX"]
    assert (fx["notional_2"] > 0).all() and (fx["notional_currency"] != fx["currency_2"]).all()
    no_usd_leg = (fx["notional_currency"] != "USD") & (fx["currency_2"] != "USD")
    assert no_usd_leg.any()  # crosses such as EUR/GBP: neither leg in the reporting currency


def test_credit_names_tranches_and_baskets(trades: pd.DataFrame) -> None:
    credit = trades.loc[trades["asset_class"] == "CREDIT"]
    single = credit.loc[~credit["is_index"].astype(bool)]
    index = credit.loc[credit["is_index"].astype(bool)]
    assert set(single["credit_quality"]) == set(CREDIT_RATINGS)
    assert set(index["credit_quality"]) == set(CREDIT_QUALITIES_INDEX)
    per_entity = credit.groupby("reference_entity")[["credit_quality", "is_index"]].nunique()
    assert (per_entity == 1).all().all()

    tranches = credit.loc[credit["attachment"].notna()]
    assert ((tranches["attachment"] >= 0) & (tranches["attachment"] < tranches["detachment"])).all()
    assert (tranches["detachment"] <= 1).all() and (tranches["credit_quality"] == "IG").all()
    assert tranches["is_index"].all() and tranches["option_type"].isna().all()
    baskets = tranches.loc[tranches["product"].isin(["FTD_BASKET", "NTD_BASKET"])]
    names = (1 / (baskets["detachment"] - baskets["attachment"])).round()  # m names, D - A = 1/m
    assert set(names) == {5.0, 10.0}
    assert np.allclose(baskets["detachment"] * names % 1, 0)  # D = n/m
    assert {"CDX_TRANCHE", "ITRAXX_TRANCHE"} <= set(tranches["product"])


def test_equity_and_commodity_terms(trades: pd.DataFrame, price_of: pd.Series) -> None:
    equity = trades.loc[trades["asset_class"] == "EQUITY"]
    assert equity["reference_entity"].notna().all() and equity["is_index"].notna().all()
    assert (equity.groupby("reference_entity")["is_index"].nunique() == 1).all()
    commodity = trades.loc[trades["asset_class"] == "COMMODITY"]
    assert set(commodity["commodity_type"]) == set(COMMODITY_TYPES)
    assert {"CRUDE_OIL", "NATURAL_GAS", "POWER_DE", "GOLD", "SILVER", "WHEAT", "CORN"} <= set(
        commodity["commodity"]
    )
    units = pd.concat([equity, commodity])
    with_units = units.loc[units["quantity"].notna()]
    assert len(with_units) and (units["quantity"].isna()).any()
    value = with_units["quantity"] * with_units["underlying_id"].map(price_of)
    assert np.allclose(value, with_units["notional"])  # units priced in the notional currency
    assert trades.loc[~trades["asset_class"].isin(["EQUITY", "COMMODITY"]), "quantity"].isna().all()


def test_basis_and_volatility_trades(trades: pd.DataFrame) -> None:
    basis = trades["basis_key"].notna()
    volatility = trades["is_volatility"].fillna(False).astype(bool)
    assert not (basis & volatility).any()
    assert set(trades.loc[basis, "asset_class"]) == {"IR", "COMMODITY"}
    assert {"USD:SOFR/TERM3M", "OIL:BRENT/WTI"} <= set(trades.loc[basis, "basis_key"])
    assert len(set(trades.loc[volatility, "asset_class"])) >= 3


def test_valuations_are_plausible(sample: dict[str, pd.DataFrame], trades: pd.DataFrame) -> None:
    v = sample["valuations"].merge(trades, on="trade_id")
    same = v["mtm_currency"] == v["notional_currency"]
    assert same.mean() > 0.85
    share = (v.loc[same, "mtm"] / v.loc[same, "notional"]).abs()
    assert share.median() < 0.05 and (v["mtm"] > 0).any() and (v["mtm"] < 0).any()
    bought = v["option_type"].notna() & (v["direction"] == "LONG")
    sold = v["option_type"].notna() & (v["direction"] == "SHORT")
    assert (v.loc[bought, "mtm"] >= 0).all() and (v.loc[sold, "mtm"] <= 0).all()


def test_collateral_mix(sample: dict[str, pd.DataFrame]) -> None:
    c = sample["collateral"]
    amounts = ["vm_received", "vm_posted", "ia_received", "ia_posted_unsegregated", "ia_posted_segregated",
               "threshold", "mta"]  # fmt: skip
    assert (c[amounts] >= 0).all().all()
    unmargined = ~c["margined"]
    assert unmargined.any() and (c.loc[unmargined, "vm_received"] == 0).all()
    assert c.loc[c["cleared"], "margined"].all() and c["cleared"].any()
    bilateral = c["margined"] & ~c["cleared"]
    assert set(c.loc[bilateral, "remargin_period_days"]) == {1, 5}
    assert (c["disputes"] == 3).any() and (c["disputes"] == 0).mean() > 0.8
    assert c["illiquid_collateral"].any() and c["hard_to_replace"].any()
    assert c["mpor_override_days"].notna().any() and c["mpor_override_days"].isna().mean() > 0.9
    assert (c.loc[c["margined"], "vm_received"] > 0).any() and (c["ia_posted_segregated"] > 0).any()
    assert c["counterparty_id"].nunique() < len(c)  # several netting sets per counterparty


@pytest.mark.parametrize(
    ("n_trades", "n_sets", "largest_at_least"),
    [(20_000, 400, 5001), (5001 + 300, 300, 5001), (1000, 1000, 1), (5000, 300, 100)],
)
def test_netting_set_sizes(n_trades: int, n_sets: int, largest_at_least: int) -> None:
    frames = generate(AS_OF, n_trades, n_sets, seed=1)
    sizes = frames["trades"]["netting_set_id"].value_counts()
    assert len(sizes) == n_sets == len(frames["collateral"]) and sizes.sum() == n_trades
    assert sizes.min() >= 1 and sizes.max() >= largest_at_least
    if sizes.max() > 5000:  # bilateral, so the CRE52.51 floor for large netting sets applies
        largest = frames["collateral"].set_index("netting_set_id").loc[sizes.index[0]]
        assert bool(largest["margined"]) and not bool(largest["cleared"])


@pytest.mark.slow
def test_a_million_trades_power_law() -> None:
    sizes = generate(AS_OF, 1_000_000, 20_000, seed=3)["trades"]["netting_set_id"].value_counts()
    assert len(sizes) == 20_000 and sizes.min() >= 1
    assert sizes.iloc[0] > 100_000 and sizes.median() < 20  # a few giants, a long tail of small sets


def test_rejects_impossible_requests() -> None:
    with pytest.raises(ValueError, match="n_netting_sets <= n_trades"):
        generate(AS_OF, 10, 11, seed=1)
    with pytest.raises(ValueError, match="reporting currency 'XAU'"):
        generate(AS_OF, 10, 1, seed=1, reporting_currency="XAU")


def test_counterparties_and_trade_dates(sample: dict[str, pd.DataFrame], trades: pd.DataFrame) -> None:
    """The columns the regimes' alpha and the leverage exposure read: a mix of counterparty types (cleared
    sets face a CCP, some rows left empty), CVA exemption mostly for end users, and trade dates on or before
    the as-of date."""
    coll = sample["collateral"]
    kinds = coll["counterparty_type"]
    assert set(kinds.dropna()) == set(COUNTERPARTY_TYPES) and kinds.isna().any()
    assert (kinds[coll["cleared"].astype(bool)] == "CCP").all()
    end_user = kinds.isin(["NON_FINANCIAL", "PENSION_SCHEME", "COMMERCIAL_END_USER"])
    assert coll.loc[end_user, "cva_exempt"].mean() > 0.5 > coll.loc[~end_user, "cva_exempt"].mean()
    assert coll.loc[~coll["margined"].astype(bool), "vm_cash_eligible"].isna().all()
    assert coll.loc[coll["cleared"].astype(bool), "ccp_leg_exempt"].notna().all()
    assert (trades["trade_date"] <= DAY).all() and trades["trade_date"].notna().all()
    assert trades["trade_date"].min() < DAY - pd.Timedelta(days=3 * 365)


def test_other_reporting_currency() -> None:
    md = generate(AS_OF, 500, 10, seed=1, reporting_currency="EUR")["market_data"].set_index("key")
    assert md.loc["EUR", "value"] == 1.0 and md.loc["USD", "value"] == pytest.approx(1 / 1.085)


def test_engine_accepts_every_generated_row(sample: dict[str, pd.DataFrame]) -> None:
    engine = pytest.importorskip("saccr.engine")
    from saccr_pipeline.config.regimes import load_parameters

    result = engine.compute(**sample, as_of=AS_OF, params=load_parameters("bcbs_cre52"))
    assert result.rejected.empty, result.rejected.groupby(["field", "rule"]).size().to_string()
    assert len(result.netting_sets) == 400 and (result.netting_sets["ead"] > 0).all()


@pytest.fixture(scope="module")
def days() -> list[tuple[dt.date, dict[str, pd.DataFrame]]]:
    """Six weekdays from a Friday: the weekend is skipped."""
    return list(generate_series(dt.date(2025, 3, 28), 6, 5000, 100, seed=9))


class TestSeries:
    def test_weekdays_only(self, days: list) -> None:
        dates = [d for d, _ in days]
        assert dates == weekdays(dt.date(2025, 3, 28), 6)
        assert dates[:3] == [dt.date(2025, 3, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 1)]

    def test_first_date_is_the_single_date_book(self, days: list) -> None:
        single = generate(dt.date(2025, 3, 28), 5000, 100, seed=9)
        for name in EXTRACTS:
            pd.testing.assert_frame_equal(days[0][1][name], single[name])

    def test_trades_persist_arrive_and_mature(self, days: list) -> None:
        arrived, gone = 0, 0
        for (_, before), (as_of, after) in zip(days, days[1:], strict=False):
            old, new = before["trades"].set_index("trade_id"), after["trades"].set_index("trade_id")
            kept = old.index.intersection(new.index)
            pd.testing.assert_frame_equal(old.loc[kept], new.loc[kept])  # same terms, day after day
            arrived += len(new.index.difference(old.index))
            left = old.loc[old.index.difference(new.index)]
            gone += len(left)
            day = pd.Timestamp(as_of)
            assert ((left["maturity_date"] < day) | (left["exercise_date"] < day)).all()
            assert (new["maturity_date"] >= day).all()
            assert len(after["valuations"]) == len(new) and len(after["collateral"]) == 100
        assert arrived >= 5 * 10 and gone > 0

    def test_values_move_a_little(self, days: list) -> None:
        first, last = days[0][1], days[-1][1]
        mtm = first["valuations"].merge(last["valuations"], on="trade_id", suffixes=("_0", "_5"))
        moved = (mtm["mtm_5"] - mtm["mtm_0"]).abs()
        assert (moved > 0).mean() > 0.9
        assert (moved / mtm["mtm_0"].abs().clip(lower=1.0)).median() < 1.0
        fx = [d["market_data"].set_index("key")["value"] for _, d in (days[0], days[-1])]
        assert fx[0]["USD"] == fx[1]["USD"] == 1.0
        assert fx[0]["EUR"] != fx[1]["EUR"] and fx[1]["EUR"] == pytest.approx(fx[0]["EUR"], rel=0.05)
        vm = [d["collateral"]["vm_received"].sum() for _, d in (days[0], days[-1])]
        assert vm[0] != vm[1]
