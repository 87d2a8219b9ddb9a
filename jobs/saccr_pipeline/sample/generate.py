"""Sample extracts for tests, demos and load runs: realistic, contract-conformant, deterministic per seed.

:func:`generate` builds the four extracts of one as-of date; :func:`generate_series` builds consecutive
weekday as-of dates over which trades persist with the same id and terms, new trades arrive, trades drop
out once matured (or past their last exercise date), and MtMs, collateral balances, FX rates and prices
move a little each day. Everything is vectorised with numpy: a million trades take a few seconds.

What is generated (all five asset classes, every kind of option, tranches, nth-to-default, basis and
volatility trades, negative rates only where the regime configures a lambda shift) is listed per asset
class in the builder functions below. Sizes of netting sets follow a power law; when there are enough
trades one bilateral margined netting set holds more than 5,000 of them (the CRE52.51 MPOR floor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saccr.contract import COLLATERAL_COLUMNS, MARKET_DATA_COLUMNS, TRADE_COLUMNS, VALUATION_COLUMNS

Columns = dict[str, np.ndarray]

# Value of one unit in USD at the start of a series (rates to the reporting currency are derived).
USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0, "EUR": 1.085, "GBP": 1.27, "JPY": 0.0066, "CHF": 1.12,
    "AUD": 0.66, "CAD": 0.735, "SEK": 0.094, "DKK": 0.1455,
}  # fmt: skip
CURRENCIES = tuple(USD_PER_UNIT)
# Synthetic swap curve per currency: r(t) = level + slope * (1 - exp(-t / 5)), t in years.
CURVES: dict[str, tuple[float, float]] = {
    "USD": (0.038, 0.005), "EUR": (0.021, 0.007), "GBP": (0.040, 0.003), "JPY": (-0.0015, 0.015),
    "CHF": (-0.003, 0.012), "AUD": (0.039, 0.005), "CAD": (0.032, 0.005), "SEK": (0.020, 0.006),
    "DKK": (0.020, 0.006),
}  # fmt: skip
# Lowest rate or strike generated per currency. Only currencies with a lambda shift in conf/regimes
# (EUR, CHF, JPY; DKK and SEK too but not used negative here) go below zero, and stay above -lambda.
RATE_FLOOR: dict[str, float] = {"EUR": -0.005, "CHF": -0.005, "JPY": -0.0025}
POSITIVE_RATE_FLOOR = 0.001
IR_EXPIRIES = (("0M", 0.0), ("3M", 0.25), ("6M", 0.5), ("1Y", 1.0), ("2Y", 2.0), ("5Y", 5.0), ("10Y", 10.0))
IR_TENORS = (("1Y", 1.0), ("2Y", 2.0), ("5Y", 5.0), ("10Y", 10.0), ("20Y", 20.0), ("30Y", 30.0))
FX_EXPIRIES = (("1M", 30), ("3M", 91), ("6M", 182), ("1Y", 365), ("2Y", 730))
FX_PAIRS = (
    ("EUR", "USD", 0.24), ("USD", "JPY", 0.14), ("GBP", "USD", 0.12), ("USD", "CHF", 0.07),
    ("AUD", "USD", 0.06), ("USD", "CAD", 0.06), ("EUR", "GBP", 0.07), ("EUR", "JPY", 0.06),
    ("EUR", "CHF", 0.06), ("GBP", "JPY", 0.03), ("EUR", "SEK", 0.05), ("EUR", "DKK", 0.04),
)  # fmt: skip
IR_BASIS = {
    "USD": ("USD:SOFR/TERM3M", "USD:SOFR/FEDFUNDS"), "EUR": ("EUR:ESTR/EURIBOR3M", "EUR:EURIBOR3M/EURIBOR6M"),
    "GBP": ("GBP:SONIA/TERM3M",), "JPY": ("JPY:TONA/TIBOR3M",), "CHF": ("CHF:SARON/TERM3M",),
    "AUD": ("AUD:AONIA/BBSW3M",), "CAD": ("CAD:CORRA/TERM3M",), "SEK": ("SEK:SWESTR/STIBOR3M",),
    "DKK": ("DKK:DESTR/CIBOR6M",),
}  # fmt: skip
# (index, credit quality, currency, spread, tranche attachment points or ())
CREDIT_INDICES = (
    ("CDX.NA.IG.S43", "IG", "USD", 0.0055, (0.0, 0.03, 0.07, 0.15, 1.0)),
    ("CDX.NA.HY.S43", "SG", "USD", 0.034, ()),
    ("ITRAXX.EUROPE.MAIN.S42", "IG", "EUR", 0.0060, (0.0, 0.03, 0.06, 0.12, 1.0)),
    ("ITRAXX.EUROPE.XOVER.S42", "SG", "EUR", 0.030, ()),
    ("ITRAXX.EUROPE.SENFIN.S42", "IG", "EUR", 0.0065, ()),
    ("CDX.EM.S41", "SG", "USD", 0.017, ()),
)
SINGLE_NAME_QUALITY = (("AAA", 0.03), ("AA", 0.10), ("A", 0.25), ("BBB", 0.35), ("BB", 0.15), ("B", 0.09),
                       ("CCC", 0.03))  # fmt: skip
# (index, currency, level, implied volatility)
EQUITY_INDICES = (
    ("SPX", "USD", 5200.0, 0.16), ("NDX", "USD", 18200.0, 0.20), ("SX5E", "EUR", 4900.0, 0.17),
    ("DAX", "EUR", 18100.0, 0.17), ("UKX", "GBP", 8100.0, 0.14), ("NKY", "JPY", 38500.0, 0.21),
    ("SMI", "CHF", 11500.0, 0.13),
)  # fmt: skip
# (commodity, commodity_type, underlying_id, currency, price, weight)
COMMODITIES = (
    ("CRUDE_OIL", "OIL_GAS", "CMD.CRUDE_OIL.WTI", "USD", 78.0, 0.16),
    ("CRUDE_OIL", "OIL_GAS", "CMD.CRUDE_OIL.BRENT", "USD", 82.0, 0.12),
    ("NATURAL_GAS", "OIL_GAS", "CMD.NATURAL_GAS.HENRY_HUB", "USD", 2.8, 0.08),
    ("NATURAL_GAS", "OIL_GAS", "CMD.NATURAL_GAS.TTF", "EUR", 34.0, 0.06),
    ("HEATING_OIL", "OIL_GAS", "CMD.HEATING_OIL.NYMEX", "USD", 2.6, 0.03),
    ("POWER_DE", "ELECTRICITY", "CMD.POWER_DE.BASE", "EUR", 85.0, 0.06),
    ("POWER_UK", "ELECTRICITY", "CMD.POWER_UK.BASE", "GBP", 80.0, 0.03),
    ("POWER_PJM", "ELECTRICITY", "CMD.POWER_PJM.WEST", "USD", 45.0, 0.03),
    ("GOLD", "METALS", "CMD.GOLD.LBMA", "USD", 2300.0, 0.10),
    ("SILVER", "METALS", "CMD.SILVER.LBMA", "USD", 28.0, 0.04),
    ("COPPER", "METALS", "CMD.COPPER.LME", "USD", 9500.0, 0.05),
    ("ALUMINIUM", "METALS", "CMD.ALUMINIUM.LME", "USD", 2400.0, 0.03),
    ("WHEAT", "AGRICULTURAL", "CMD.WHEAT.CBOT", "USD", 6.0, 0.05),
    ("CORN", "AGRICULTURAL", "CMD.CORN.CBOT", "USD", 4.5, 0.04),
    ("SOYBEANS", "AGRICULTURAL", "CMD.SOYBEANS.CBOT", "USD", 12.0, 0.03),
    ("COFFEE", "AGRICULTURAL", "CMD.COFFEE.ICE", "USD", 2.2, 0.02),
    ("CARBON_EUA", "OTHER", "CMD.CARBON_EUA.ICE", "EUR", 70.0, 0.04),
    ("FREIGHT", "OTHER", "CMD.FREIGHT.BALTIC", "USD", 1500.0, 0.03),
    ("WEATHER_HDD", "CLIMATIC", "CMD.WEATHER_HDD.CME", "USD", 1200.0, 0.01),  # CRR Art. 277a(1)(e)
)
# (basis_key, commodity, commodity_type, currency)
COMMODITY_BASIS = (
    ("OIL:BRENT/WTI", "CRUDE_OIL", "OIL_GAS", "USD"), ("GAS:TTF/NBP", "NATURAL_GAS", "OIL_GAS", "EUR"),
    ("POWER_DE:PEAK/BASE", "POWER_DE", "ELECTRICITY", "EUR"), ("GOLD:LBMA/COMEX", "GOLD", "METALS", "USD"),
    ("WHEAT:CBOT/KCBT", "WHEAT", "AGRICULTURAL", "USD"),
)  # fmt: skip
# (commodity, commodity_type, currency, implied volatility)
COMMODITY_VOLS = (("CRUDE_OIL", "OIL_GAS", "USD", 0.35), ("NATURAL_GAS", "OIL_GAS", "USD", 0.55),
                  ("GOLD", "METALS", "USD", 0.16))  # fmt: skip
CCPS = ("CCP_LCH", "CCP_CME", "CCP_EUREX", "CCP_JSCC")
ASSET_CLASS_WEIGHTS = (("IR", 0.50), ("FX", 0.20), ("CREDIT", 0.12), ("EQUITY", 0.10), ("COMMODITY", 0.08))
MTM_VOLATILITY = {"IR": 0.015, "FX": 0.03, "CREDIT": 0.01, "EQUITY": 0.05, "COMMODITY": 0.06}
ZIPF_EXPONENT = 1.1
LARGE_NETTING_SET = 5001  # more than 5,000 trades: CRE52.51
NEW_TRADES_PER_DAY = 0.002  # share of the starting book booked each following day
N_SINGLE_NAMES, N_EQUITIES, N_BASKETS = 1000, 400, 40
NO_DATE = np.datetime64("NaT", "D")


def generate(
    as_of: dt.date, n_trades: int, n_netting_sets: int, seed: int, reporting_currency: str = "USD"
) -> dict[str, pd.DataFrame]:
    """Extracts (trades, valuations, collateral, market_data) of one as-of date, typed as read_extract."""
    series = _series([np.datetime64(as_of, "D")], n_trades, n_netting_sets, seed, reporting_currency)
    return next(series)[1]


def generate_series(
    start: dt.date,
    n_business_days: int,
    n_trades: int,
    n_netting_sets: int,
    seed: int,
    reporting_currency: str = "USD",
) -> Iterator[tuple[dt.date, dict[str, pd.DataFrame]]]:
    """Extracts of `n_business_days` consecutive weekdays from `start` (rolled forward to a weekday).

    The first date holds the same book as ``generate(start, ...)`` when `start` is a weekday.
    """
    if n_business_days < 1:
        raise ValueError(f"n_business_days must be >= 1, got {n_business_days}")
    days = np.busday_offset(np.datetime64(start, "D"), np.arange(n_business_days), roll="forward")
    return _series(list(days), n_trades, n_netting_sets, seed, reporting_currency)


def weekdays(start: dt.date, n_business_days: int) -> list[dt.date]:
    """The as-of dates :func:`generate_series` produces."""
    days = np.busday_offset(np.datetime64(start, "D"), np.arange(n_business_days), roll="forward")
    return [d.astype(dt.date) for d in days]


# --------------------------------------------------------------------------------------------- the book


@dataclass
class _Catalogue:
    """Market-data keys the trades reference, and the reference data of the named entities."""

    keys: np.ndarray  # PRICE keys
    base: np.ndarray  # value on the first date
    kind: np.ndarray  # "rate" (additive moves, floored), "level" (lognormal), "fx_forward"
    currency: np.ndarray  # curve currency of "rate"; notional currency of "fx_forward"
    currency_2: np.ndarray  # quote currency of "fx_forward"
    single_names: pd.DataFrame  # name, quality, currency
    equities: pd.DataFrame  # name, currency, price, vol, is_index

    def index(self, keys: np.ndarray) -> np.ndarray:
        """Position of each key in the catalogue."""
        return pd.Index(self.keys).get_indexer(keys)


def _series(
    days: list[np.datetime64], n_trades: int, n_netting_sets: int, seed: int, reporting_currency: str
) -> Iterator[tuple[dt.date, dict[str, pd.DataFrame]]]:
    if reporting_currency not in USD_PER_UNIT:
        raise ValueError(f"reporting currency {reporting_currency!r} not among {CURRENCIES}")
    if not 1 <= n_netting_sets <= n_trades:
        raise ValueError(f"need 1 <= n_netting_sets <= n_trades, got {n_netting_sets} and {n_trades}")
    rng = np.random.default_rng([seed, 0])
    cat = _catalogue(np.random.default_rng([seed, 9]))
    sizes = _netting_set_sizes(rng, n_trades, n_netting_sets)
    trades = _trades(rng, days[0], np.repeat(np.arange(n_netting_sets), sizes), cat, first_id=1)
    trades["_arrival"] = np.zeros(n_trades, dtype=np.int64)
    if len(days) > 1:
        trades = _add_arrivals(trades, days, sizes, cat, seed, n_trades)
    trades["trade_date"] = _trade_dates(np.random.default_rng([seed, 11]), trades, days)
    terms = _collateral_terms(rng, sizes, reporting_currency)
    yield from _daily_extracts(trades, terms, cat, days, seed, reporting_currency)


def _add_arrivals(
    trades: Columns, days: list[np.datetime64], sizes: np.ndarray, cat: _Catalogue, seed: int, n_trades: int
) -> Columns:
    """New trades for days 1.., booked like day-0 trades and shifted to their booking date."""
    rng = np.random.default_rng([seed, 1])
    per_day = max(1, round(NEW_TRADES_PER_DAY * n_trades))
    arrival = np.repeat(np.arange(1, len(days)), per_day)
    ns = rng.choice(len(sizes), size=arrival.size, p=sizes / sizes.sum())
    new = _trades(rng, days[0], ns, cat, first_id=n_trades + 1)
    shift = (np.asarray(days)[arrival] - days[0]).astype("timedelta64[D]")
    for name, logical in TRADE_COLUMNS.items():
        if logical == "date":
            new[name] = new[name] + shift
    new["_arrival"] = arrival
    return {name: np.concatenate([trades[name], new[name]]) for name in trades}


def _trade_dates(rng: np.random.Generator, trades: Columns, days: list[np.datetime64]) -> np.ndarray:
    """When each trade was entered: a trade of the first date up to five years earlier (a spot-starting
    IR or credit trade two days before its start), an arrival on its booking date."""
    n = trades["trade_id"].size
    start = trades["start_date"]
    spot = ~np.isnat(start) & (start <= days[0])
    booked = days[0] - rng.integers(0, 5 * 365, n).astype("timedelta64[D]")
    first = np.where(spot, np.minimum(start - np.timedelta64(2, "D"), days[0]), booked)
    return np.where(trades["_arrival"] > 0, np.asarray(days)[trades["_arrival"]], first).astype(
        "datetime64[D]"
    )


def _netting_set_sizes(rng: np.random.Generator, n_trades: int, n_sets: int) -> np.ndarray:
    """Trades per netting set: Zipf-like, each at least one; one set above 5,000 when there is room."""
    weights = 1.0 / np.arange(1, n_sets + 1) ** ZIPF_EXPONENT
    sizes = np.ones(n_sets, dtype=np.int64)
    spare = n_trades - n_sets
    if spare >= LARGE_NETTING_SET - 1:
        sizes[0] += LARGE_NETTING_SET - 1
        spare -= LARGE_NETTING_SET - 1
    share = spare * weights / weights.sum()
    extra = np.floor(share).astype(np.int64)
    remainder = spare - extra.sum()  # largest-remainder rounding keeps the total exact
    extra[np.argsort(extra - share, kind="stable")[:remainder]] += 1
    return rng.permutation(sizes + extra)


def _trades(
    rng: np.random.Generator, as_of: np.datetime64, netting_set: np.ndarray, cat: _Catalogue, first_id: int
) -> Columns:
    """Trade columns (plus internal `_mtm_share`) for the given netting-set index per trade."""
    n = netting_set.size
    netting_set = rng.permutation(netting_set)  # interleave the netting sets in the extract
    classes = _choice(rng, ASSET_CLASS_WEIGHTS, n)
    cols = _empty_trade_columns(n)
    cols["trade_id"] = _ids("T", np.arange(first_id, first_id + n), 9)
    cols["netting_set_id"] = _ids("NS", np.arange(netting_set.max(initial=-1) + 1), 6)[netting_set]
    cols["asset_class"] = classes
    cols["direction"] = np.where(rng.random(n) < 0.5, "LONG", "SHORT").astype(object)
    cols["is_volatility"] = np.zeros(n)
    builders = {"IR": _ir, "FX": _fx, "CREDIT": _credit, "EQUITY": _equity, "COMMODITY": _commodity}
    for asset_class, build in builders.items():
        rows = np.flatnonzero(classes == asset_class)
        for name, values in build(rng, rows.size, as_of, cat).items():
            cols[name][rows] = values
    cols["_mtm_share"] = _mtm_share(rng, cols, as_of)
    return cols


def _empty_trade_columns(n: int) -> Columns:
    empty = {"str": (None, object), "float": (np.nan, float), "date": (NO_DATE, "datetime64[D]")}
    empty |= {"bool": (np.nan, float), "int": (np.nan, float)}  # nullable: NaN until the frame is built
    return {name: np.full(n, *empty[logical]) for name, logical in TRADE_COLUMNS.items()}


def _mtm_share(rng: np.random.Generator, cols: Columns, as_of: np.datetime64) -> np.ndarray:
    """MtM as a share of notional: a few percent, growing with maturity (signed per date for options)."""
    years = np.clip((cols["maturity_date"] - as_of).astype(float) / 365.0, 0.02, 10.0)
    vol = pd.Series(cols["asset_class"]).map(MTM_VOLATILITY).to_numpy(dtype=float)
    return rng.normal(0.0, 1.0, years.size) * vol * np.sqrt(years)


# ----------------------------------------------------------------------------------- per asset class


def _ir(rng: np.random.Generator, n: int, as_of: np.datetime64, cat: _Catalogue) -> Columns:
    """IRS (spot and forward-starting), OIS, FRAs, single-currency basis swaps, swaptions, caps/floors."""
    ccy = _choice(rng, (("USD", .32), ("EUR", .30), ("GBP", .12), ("JPY", .10), ("CHF", .06), ("AUD", .03),
                        ("CAD", .03), ("SEK", .02), ("DKK", .02)), n)  # fmt: skip
    kind = _choice(rng, (("IRS", .42), ("IRS_FWD", .10), ("OIS", .12), ("FRA", .05), ("BASIS_SWAP", .10),
                         ("SWAPTION", .13), ("CAPFLOOR", .08)), n)  # fmt: skip
    tenor = _choice(rng, ((1, .08), (2, .12), (3, .10), (5, .25), (7, .10), (10, .20), (15, .05), (20, .05),
                          (30, .05)), n).astype(float)  # fmt: skip
    tenor_days = _days(tenor)
    elapsed = (rng.random(n) * (tenor_days - 1)).astype(np.int64)
    start = as_of - elapsed
    fwd = kind == "IRS_FWD"
    start[fwd] = as_of + rng.integers(30, 5 * 365, fwd.sum())
    fra = kind == "FRA"
    start[fra] = as_of + _choice(rng, ((30, 0.3), (91, 0.3), (182, 0.3), (273, 0.1)), fra.sum())
    tenor_days[fra] = _choice(rng, ((91, 0.5), (182, 0.5)), fra.sum())
    end = start + tenor_days
    maturity = end.copy()
    maturity[fra] = start[fra]  # an FRA settles at the start of its period (CRE52.32 FAQ)
    product = np.where(fwd, "IRS", kind).astype(object)
    basis_key = np.full(n, None, dtype=object)
    for c, keys in IR_BASIS.items():
        rows = (kind == "BASIS_SWAP") & (ccy == c)
        basis_key[rows] = np.asarray(keys, dtype=object)[rng.integers(0, len(keys), rows.sum())]

    option_type = np.full(n, None, dtype=object)
    exercise = np.full(n, NO_DATE)
    underlying = np.full(n, None, dtype=object)
    swaption, capfloor = kind == "SWAPTION", kind == "CAPFLOOR"
    opt = swaption | capfloor
    option_type[opt] = np.where(rng.random(opt.sum()) < 0.5, "CALL", "PUT")
    # Swaptions: European, exercise into a swap starting two days later; 70% physically settled, whose
    # maturity is the underlying's end (CRE52.32 Table 1); a cash-settled one matures at exercise.
    e = rng.integers(1, len(IR_EXPIRIES), n)
    t = rng.integers(0, len(IR_TENORS), n)
    expiry_days = _days(np.array([y for _, y in IR_EXPIRIES]))[e] + rng.integers(0, 6, n)
    exercise[swaption] = as_of + expiry_days[swaption]
    start[swaption] = exercise[swaption] + 2
    end[swaption] = start[swaption] + _days(np.array([y for _, y in IR_TENORS]))[t[swaption]]
    physical = rng.random(n) < 0.7
    maturity[swaption] = np.where(physical[swaption], end[swaption], exercise[swaption])
    # Caps/floors as one option on the forward rate: last exercise at the last caplet's fixing.
    t_cap = rng.integers(0, 4, n)
    start[capfloor] = as_of - (rng.random(capfloor.sum()) * 180).astype(np.int64)
    end[capfloor] = start[capfloor] + _days(np.array([y for _, y in IR_TENORS[:4]]))[t_cap[capfloor]]
    maturity[capfloor] = end[capfloor]
    exercise[capfloor] = np.maximum(end[capfloor] - 91, as_of)
    e[capfloor] = 0
    t[capfloor] = t_cap[capfloor]
    product[swaption] = "SWAPTION"
    product[capfloor] = np.where(option_type[capfloor] == "CALL", "CAP", "FLOOR")
    expiry_label = np.array([label for label, _ in IR_EXPIRIES], dtype=object)
    tenor_label = np.array([label for label, _ in IR_TENORS], dtype=object)
    underlying[opt] = "IR." + ccy[opt] + ".FWD." + expiry_label[e[opt]] + "X" + tenor_label[t[opt]]
    strike = np.full(n, np.nan)
    strike[opt] = _ir_strikes(rng, ccy[opt], cat.base[cat.index(underlying[opt])])
    return {
        "product": product, "notional": _notional(rng, ccy, 2.5e7), "notional_currency": ccy,
        "start_date": start, "end_date": end, "maturity_date": maturity, "basis_key": basis_key,
        "option_type": option_type, "exercise_date": exercise, "underlying_id": underlying, "strike": strike,
    }  # fmt: skip


def _ir_strikes(rng: np.random.Generator, ccy: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Strikes around the forward; a quarter of EUR/CHF/JPY ones well below it (some negative)."""
    strike = forward + rng.normal(0.0, 0.006, ccy.size)
    negative_ok = np.isin(ccy, list(RATE_FLOOR))
    low = negative_ok & (rng.random(ccy.size) < 0.25)
    strike[low] = forward[low] - rng.uniform(0.005, 0.035, low.sum())
    floor = pd.Series(ccy).map(RATE_FLOOR).fillna(POSITIVE_RATE_FLOOR).to_numpy(dtype=float)
    return np.round(np.maximum(strike, floor), 4)


def _fx(rng: np.random.Generator, n: int, as_of: np.datetime64, cat: _Catalogue) -> Columns:
    """FX forwards, swaps (far leg), NDFs, options and volatility swaps on market-quoted pairs.

    A quarter are booked in the inverse quotation (notional_currency = the market's quote currency):
    direction, option type, strike and price then refer to that quotation (README, conventions: FX pairs).
    """
    pair = rng.choice(len(FX_PAIRS), size=n, p=_normalise([w for *_, w in FX_PAIRS]))
    base = np.array([b for b, _, _ in FX_PAIRS], dtype=object)[pair]
    quote = np.array([q for _, q, _ in FX_PAIRS], dtype=object)[pair]
    flip = rng.random(n) < 0.25
    ccy1, ccy2 = np.where(flip, quote, base), np.where(flip, base, quote)
    kind = _choice(rng, (("FX_FORWARD", .45), ("FX_SWAP", .15), ("NDF", .05), ("FX_OPTION", .28),
                         ("FX_VOL_SWAP", .07)), n)  # fmt: skip
    maturity = as_of + np.clip(np.exp(rng.normal(np.log(90), 1.0, n)), 2, 5 * 365).astype(np.int64)
    spot = _usd(ccy1) / _usd(ccy2)
    years = (maturity - as_of).astype(float) / 365.0
    forward = spot * _carry(ccy1, ccy2, years)
    option, vol = kind == "FX_OPTION", kind == "FX_VOL_SWAP"
    e = rng.integers(0, len(FX_EXPIRIES), n)
    exercise = np.full(n, NO_DATE)
    exercise[option] = (
        as_of + np.array([d for _, d in FX_EXPIRIES])[e[option]] + rng.integers(0, 6, option.sum())
    )
    maturity[option] = exercise[option] + 2
    underlying = np.full(n, None, dtype=object)
    expiry_label = np.array([label for label, _ in FX_EXPIRIES], dtype=object)
    underlying[option] = "FX." + ccy1[option] + ccy2[option] + ".FWD." + expiry_label[e[option]]
    strike = np.full(n, np.nan)
    price = cat.base[cat.index(underlying[option])]
    strike[option] = _round_significant(price * np.exp(rng.normal(0.0, 0.05, option.sum())), 6)
    notional = _notional(rng, ccy1, 1.0e7)
    rate = np.where(option, strike, np.where(vol, spot, forward * (1 + rng.normal(0, 0.002, n))))
    return {
        "product": kind, "notional": notional, "notional_currency": ccy1,
        "notional_2": np.round(notional * rate, 2), "currency_2": ccy2, "maturity_date": maturity,
        "option_type": _option_types(rng, option), "exercise_date": exercise, "strike": strike,
        "underlying_id": underlying, "is_volatility": vol.astype(float),
    }  # fmt: skip


def _credit(rng: np.random.Generator, n: int, as_of: np.datetime64, cat: _Catalogue) -> Columns:
    """Single-name CDS, index CDS, CDO tranches, nth-to-default baskets and index options.

    LONG = protection bought. Each entity has one credit quality and one index flag everywhere.
    """
    kind = _choice(rng, (("CDS", .55), ("INDEX_CDS", .23), ("TRANCHE", .08), ("NTD", .05),
                         ("INDEX_OPTION", .09)), n)  # fmt: skip
    entity = np.full(n, None, dtype=object)
    quality = np.full(n, None, dtype=object)
    is_index = np.ones(n)
    ccy = np.full(n, "USD", dtype=object)
    product = kind.copy()
    attach, detach = np.full(n, np.nan), np.full(n, np.nan)

    single = kind == "CDS"
    name = rng.integers(0, len(cat.single_names), n)[single]
    entity[single] = cat.single_names["name"].to_numpy()[name]
    quality[single] = cat.single_names["quality"].to_numpy()[name]
    ccy[single] = cat.single_names["currency"].to_numpy()[name]
    is_index[single] = 0.0

    on_index = (kind == "INDEX_CDS") | (kind == "INDEX_OPTION")
    idx = rng.integers(0, len(CREDIT_INDICES), n)
    entity[on_index] = np.array([i[0] for i in CREDIT_INDICES], dtype=object)[idx[on_index]]
    quality[on_index] = np.array([i[1] for i in CREDIT_INDICES], dtype=object)[idx[on_index]]
    ccy[on_index] = np.array([i[2] for i in CREDIT_INDICES], dtype=object)[idx[on_index]]

    tranche = kind == "TRANCHE"
    trancheable = [i for i in CREDIT_INDICES if i[4]]
    which = rng.integers(0, len(trancheable), n)
    layer = rng.integers(0, 4, n)
    points = np.array([i[4] for i in trancheable])
    entity[tranche] = np.array([i[0] for i in trancheable], dtype=object)[which[tranche]]
    quality[tranche] = "IG"
    ccy[tranche] = np.array([i[2] for i in trancheable], dtype=object)[which[tranche]]
    attach[tranche] = points[which[tranche], layer[tranche]]
    detach[tranche] = points[which[tranche], layer[tranche] + 1]
    product[tranche] = np.where(ccy[tranche] == "USD", "CDX_TRANCHE", "ITRAXX_TRANCHE")

    # nth-to-default on m names: attachment (n-1)/m, detachment n/m (CRE52.41 footnote).
    ntd = kind == "NTD"
    basket = rng.integers(0, N_BASKETS, n)
    names_in_basket = np.where(basket % 2 == 0, 5, 10)
    nth = _choice(rng, ((1, 0.6), (2, 0.25), (3, 0.15)), n)
    entity[ntd] = _ids("NTD_BASKET_", basket[ntd], 3)
    quality[ntd] = "IG"
    ccy[ntd] = np.where(basket[ntd] % 3 == 0, "EUR", "USD")
    attach[ntd] = (nth[ntd] - 1) / names_in_basket[ntd]
    detach[ntd] = nth[ntd] / names_in_basket[ntd]
    product[ntd] = np.where(nth[ntd] == 1, "FTD_BASKET", "NTD_BASKET")

    tenor = _days(_choice(rng, ((1, 0.05), (3, 0.15), (5, 0.6), (7, 0.1), (10, 0.1)), n).astype(float))
    start = as_of - (rng.random(n) * (tenor - 1)).astype(np.int64)
    end = start + tenor
    option = kind == "INDEX_OPTION"
    exercise = np.full(n, NO_DATE)
    exercise[option] = as_of + _choice(rng, ((30, 0.3), (61, 0.3), (91, 0.3), (182, 0.1)), option.sum())
    start[option] = exercise[option]
    end[option] = as_of + _days(np.array([5.0]))[0]
    underlying = np.full(n, None, dtype=object)
    underlying[option] = "CREDIT." + entity[option] + ".SPREAD"
    spread = cat.base[cat.index(underlying[option])]
    strike = np.full(n, np.nan)
    strike[option] = np.round(np.maximum(spread * np.exp(rng.normal(0, 0.15, option.sum())), 1e-4), 5)
    product[option] = np.where(ccy[option] == "USD", "CDX_OPTION", "ITRAXX_OPTION")
    return {
        "product": product, "notional": _notional(rng, ccy, 1.0e7), "notional_currency": ccy,
        "start_date": start, "end_date": end, "maturity_date": end, "reference_entity": entity,
        "credit_quality": quality, "is_index": is_index, "attachment": attach, "detachment": detach,
        "option_type": _option_types(rng, option), "exercise_date": exercise, "strike": strike,
        "underlying_id": underlying,
    }  # fmt: skip


def _equity(rng: np.random.Generator, n: int, as_of: np.datetime64, cat: _Catalogue) -> Columns:
    """Forwards, total return swaps, equity swaps, options (single names and indices), variance swaps.

    Half the linear trades and options carry a quantity of units priced from market data (underlying_id);
    the others give the current value as notional. Variance swaps (is_volatility) quote the implied
    volatility as price and the vega notional as quantity (FAQ to CRE52.36).
    """
    kind = _choice(rng, (("EQ_FORWARD", .20), ("EQ_TRS", .25), ("EQ_SWAP", .10), ("EQ_OPTION", .35),
                         ("VARIANCE_SWAP", .10)), n)  # fmt: skip
    eq = cat.equities
    index_names = eq["is_index"].to_numpy()
    pick = np.where(rng.random(n) < 0.35, rng.choice(np.flatnonzero(index_names), n),
                    rng.choice(np.flatnonzero(~index_names), n))  # fmt: skip
    entity = eq["name"].to_numpy(dtype=object)[pick]
    ccy = eq["currency"].to_numpy(dtype=object)[pick]
    vol = kind == "VARIANCE_SWAP"
    price = np.where(vol, eq["vol"].to_numpy()[pick], eq["price"].to_numpy()[pick])
    underlying = np.where(vol, "EQVOL." + entity, "EQ." + entity).astype(object)
    option = kind == "EQ_OPTION"
    columns = _units_trades(rng, n, as_of, ccy, price, underlying, option, vol)
    return columns | {
        "product": kind, "reference_entity": entity, "is_index": index_names[pick].astype(float),
        "is_volatility": vol.astype(float),
    }  # fmt: skip


def _commodity(rng: np.random.Generator, n: int, as_of: np.datetime64, cat: _Catalogue) -> Columns:
    """Forwards, swaps, options, basis swaps (e.g. Brent/WTI) and variance swaps on commodities."""
    kind = _choice(rng, (("CMD_FORWARD", .35), ("CMD_SWAP", .30), ("CMD_OPTION", .18),
                         ("CMD_BASIS_SWAP", .10), ("CMD_VARIANCE_SWAP", .07)), n)  # fmt: skip
    pick = rng.choice(len(COMMODITIES), size=n, p=_normalise([c[5] for c in COMMODITIES]))
    table = np.array([c[:4] for c in COMMODITIES], dtype=object)
    commodity, ctype, underlying, ccy = (table[pick, i].copy() for i in range(4))
    price = np.array([c[4] for c in COMMODITIES])[pick]
    basis_key = np.full(n, None, dtype=object)
    basis, vol = kind == "CMD_BASIS_SWAP", kind == "CMD_VARIANCE_SWAP"
    b = rng.integers(0, len(COMMODITY_BASIS), n)[basis]
    basis_table = np.array(COMMODITY_BASIS, dtype=object)
    basis_key[basis], commodity[basis], ctype[basis], ccy[basis] = basis_table[b].T
    v = rng.integers(0, len(COMMODITY_VOLS), n)[vol]
    vol_table = np.array(COMMODITY_VOLS, dtype=object)
    commodity[vol], ctype[vol], ccy[vol] = vol_table[v, :3].T
    price[vol] = vol_table[v, 3].astype(float)
    underlying[vol] = "CMDVOL." + commodity[vol]
    underlying[basis] = None  # a basis swap's notional is its current value; no price needed
    option = kind == "CMD_OPTION"
    columns = _units_trades(rng, n, as_of, ccy, price, underlying, option, vol, no_units=basis)
    return columns | {
        "product": kind, "commodity": commodity, "commodity_type": ctype, "basis_key": basis_key,
        "is_volatility": vol.astype(float),
    }  # fmt: skip


def _units_trades(
    rng: np.random.Generator,
    n: int,
    as_of: np.datetime64,
    ccy: np.ndarray,
    price: np.ndarray,
    underlying: np.ndarray,
    option: np.ndarray,
    vol: np.ndarray,
    no_units: np.ndarray | None = None,
) -> Columns:
    """Equity/commodity terms: notional, units, maturity and option fields, priced at `price`."""
    value = _notional(rng, ccy, 5.0e6)
    with_units = vol | (rng.random(n) < 0.5)
    if no_units is not None:
        with_units &= ~no_units
    quantity = np.where(with_units, np.maximum(np.round(value / price), 1.0), np.nan)
    notional = np.where(with_units, quantity * price, value)
    maturity = as_of + np.clip(np.exp(rng.normal(np.log(270), 0.8, n)), 7, 5 * 365).astype(np.int64)
    exercise = np.full(n, NO_DATE)
    exercise[option] = maturity[option] - 2
    strike = np.full(n, np.nan)
    strike[option] = _round_significant(price[option] * np.exp(rng.normal(0, 0.12, option.sum())), 6)
    underlying = np.where(with_units | option, underlying, None).astype(object)
    return {
        "notional": notional, "notional_currency": ccy, "quantity": quantity, "maturity_date": maturity,
        "option_type": _option_types(rng, option), "exercise_date": exercise, "strike": strike,
        "underlying_id": underlying,
    }  # fmt: skip


# ------------------------------------------------------------------------------ reference market data


def _catalogue(rng: np.random.Generator) -> _Catalogue:
    """Every PRICE key a trade can reference, with its first-day value; entity reference data."""
    parts: list[tuple[str, float, str, str, str]] = []
    for ccy, (level, slope) in CURVES.items():
        for e_label, e_years in IR_EXPIRIES:
            for t_label, t_years in IR_TENORS:
                rate = level + slope * (1 - np.exp(-(e_years + t_years / 2) / 5))
                parts.append((f"IR.{ccy}.FWD.{e_label}X{t_label}", _floor_rate(ccy, rate), "rate", ccy, ""))
    for base, quote, _ in FX_PAIRS:
        for c1, c2 in ((base, quote), (quote, base)):
            for label, days in FX_EXPIRIES:
                fwd = (
                    USD_PER_UNIT[c1]
                    / USD_PER_UNIT[c2]
                    * _carry(np.array([c1]), np.array([c2]), days / 365)[0]
                )
                parts.append((f"FX.{c1}{c2}.FWD.{label}", fwd, "fx_forward", c1, c2))
    parts += [(f"CREDIT.{name}.SPREAD", spread, "level", "", "") for name, _, _, spread, _ in CREDIT_INDICES]
    parts += [(c[2], c[4], "level", "", "") for c in COMMODITIES]
    parts += [(f"CMDVOL.{c[0]}", c[3], "level", "", "") for c in COMMODITY_VOLS]
    equities = _equities(rng)
    parts += [(f"EQ.{r.name}", r.price, "level", "", "") for r in equities.itertuples()]
    parts += [(f"EQVOL.{r.name}", r.vol, "level", "", "") for r in equities.itertuples()]
    keys, base, kind, ccy, ccy2 = (np.array(column, dtype=object) for column in zip(*parts, strict=True))
    n = N_SINGLE_NAMES
    single_names = pd.DataFrame(
        {
            "name": _ids("CORP", np.arange(1, n + 1), 4),
            "quality": _choice(rng, SINGLE_NAME_QUALITY, n),
            "currency": _choice(rng, (("USD", .55), ("EUR", .35), ("GBP", .06), ("JPY", .04)), n),
        }
    )  # fmt: skip
    return _Catalogue(keys, base.astype(float), kind, ccy, ccy2, single_names, equities)


def _equities(rng: np.random.Generator) -> pd.DataFrame:
    n = N_EQUITIES
    ccy = _choice(rng, (("USD", 0.5), ("EUR", 0.25), ("GBP", 0.1), ("JPY", 0.1), ("CHF", 0.05)), n)
    singles = pd.DataFrame(
        {
            "name": _ids("EQ", np.arange(1, n + 1), 4),
            "currency": ccy,
            "price": np.round(np.exp(rng.normal(np.log(60), 0.8, n)) / _usd(ccy), 2),
            "vol": np.round(rng.uniform(0.2, 0.45, n), 4),
            "is_index": False,
        }
    )
    indices = pd.DataFrame(EQUITY_INDICES, columns=["name", "currency", "price", "vol"]).assign(is_index=True)
    return pd.concat([indices, singles], ignore_index=True)


def _market_values(
    cat: _Catalogue, usd: dict[str, float], shocks: np.ndarray, shifts: dict[str, float]
) -> np.ndarray:
    """PRICE values for one date from cumulative lognormal `shocks` and per-currency rate `shifts`."""
    value = cat.base * np.exp(shocks)
    rate = cat.kind == "rate"
    shifted = cat.base[rate] + pd.Series(cat.currency[rate]).map(shifts).to_numpy(dtype=float)
    value[rate] = np.maximum(
        shifted, pd.Series(cat.currency[rate]).map(_floor_rate_level).to_numpy(dtype=float)
    )
    fwd = cat.kind == "fx_forward"
    spot = pd.Series(cat.currency[fwd]).map(usd).to_numpy(float) / pd.Series(cat.currency_2[fwd]).map(
        usd
    ).to_numpy(float)
    value[fwd] = cat.base[fwd] * spot / (_usd(cat.currency[fwd]) / _usd(cat.currency_2[fwd]))
    return value


# ------------------------------------------------------------------------------------- netting sets


def _collateral_terms(rng: np.random.Generator, sizes: np.ndarray, reporting_currency: str) -> pd.DataFrame:
    """Static CSA terms per netting set (amounts in reporting currency; converted per date)."""
    n = sizes.size
    kind = _choice(rng, (("UNMARGINED", 0.35), ("DAILY", 0.40), ("WEEKLY", 0.08), ("CLEARED", 0.17)), n)
    kind[np.argmax(sizes)] = "DAILY"  # the largest set is bilateral, so the 5,000-trade floor applies
    margined, cleared = kind != "UNMARGINED", kind == "CLEARED"
    bilateral = margined & ~cleared
    others = [c for c in CURRENCIES if c != reporting_currency][:4]
    ccy = _choice(rng, ((reporting_currency, 0.5), *((c, 0.5 / len(others)) for c in others)), n)
    counterparty = _ids("CP", rng.integers(1, max(1, n // 3) + 1, n), 5)
    counterparty[cleared] = np.asarray(CCPS, dtype=object)[rng.integers(0, len(CCPS), cleared.sum())]
    legal_entity = _choice(rng, (("BANK_UK_PLC", 0.5), ("BANK_EU_SA", 0.3), ("BANK_US_INC", 0.2)), n)
    threshold = np.where(
        bilateral & (rng.random(n) < 0.35), np.round(np.exp(rng.normal(np.log(2e6), 0.8, n)), -4), 0.0
    )
    mta = np.where(bilateral, _choice(rng, ((0.0, 0.3), (1e5, 0.3), (2.5e5, 0.25), (5e5, 0.15)), n), 0.0)
    disputes = np.where(bilateral, _choice(rng, ((0, 0.85), (1, 0.08), (2, 0.03), (3, 0.04)), n), 0)
    override = np.where(
        bilateral & (rng.random(n) < 0.02), _choice(rng, ((15, 0.4), (20, 0.4), (25, 0.2)), n), np.nan
    )
    return pd.DataFrame(
        {
            "netting_set_id": _ids("NS", np.arange(n), 6),
            "counterparty_id": counterparty,
            "legal_entity": legal_entity,
            "margined": margined,
            "cleared": cleared,
            "currency": ccy,
            "one_way_csa": ~margined & (rng.random(n) < 0.05),  # the bank posts VM, receives none
            "threshold": threshold,
            "mta": mta,
            "remargin_period_days": np.where(kind == "WEEKLY", 5, 1),
            "disputes": disputes,
            "illiquid_collateral": bilateral & (rng.random(n) < 0.03),
            "hard_to_replace": bilateral & (rng.random(n) < 0.03),
            "mpor_override_days": override,
            "ia_received_share": np.where(
                (~margined & (rng.random(n) < 0.10)) | (bilateral & (rng.random(n) < 0.30)),
                rng.uniform(0.002, 0.01, n),
                0.0,
            ),
            "ia_segregated_share": np.where(
                (bilateral & (rng.random(n) < 0.30)) | (cleared & (rng.random(n) < 0.7)),
                rng.uniform(0.002, 0.01, n),
                0.0,
            ),
            "ia_unsegregated_share": np.where(
                (bilateral & (rng.random(n) < 0.05)) | (cleared & (rng.random(n) < 0.3)),
                rng.uniform(0.001, 0.005, n),
                0.0,
            ),
            **_counterparty_terms(rng, margined, cleared),
        }
    )


def _counterparty_terms(rng: np.random.Generator, margined: np.ndarray, cleared: np.ndarray) -> Columns:
    """Who the counterparty is, for the regimes' alpha (counterparty_type, cva_exempt) and the leverage
    exposure (vm_cash_eligible, ccp_leg_exempt); some left empty, which reads as the conservative default."""
    n = margined.size
    kind = _choice(rng, (("FINANCIAL", .55), ("NON_FINANCIAL", .22), ("PENSION_SCHEME", .08),
                         ("COMMERCIAL_END_USER", .07), (None, .08)), n)  # fmt: skip
    kind[cleared] = "CCP"
    end_user = np.isin(kind, ["NON_FINANCIAL", "PENSION_SCHEME", "COMMERCIAL_END_USER"])
    exempt = np.where(end_user, rng.random(n) < 0.8, np.where(rng.random(n) < 0.1, np.nan, 0.0))
    eligible = np.where(margined, np.where(rng.random(n) < 0.7, 1.0, 0.0), np.nan)
    ccp_leg = np.where(cleared, np.where(rng.random(n) < 0.5, 1.0, 0.0), np.nan)
    return {
        "counterparty_type": kind,
        "cva_exempt": exempt,
        "vm_cash_eligible": eligible,
        "ccp_leg_exempt": ccp_leg,
    }


def _collateral(
    terms: pd.DataFrame, value: np.ndarray, gross: np.ndarray, fx: dict[str, float], noise: np.ndarray
) -> pd.DataFrame:
    """Collateral rows for one date from the sets' MtM `value` and gross notional (reporting currency).

    Margined sets hold VM of (nearly) the exposure above the threshold; unmargined ones receive none.
    """
    to_ccy = 1.0 / terms["currency"].map(fx).to_numpy(dtype=float)
    margined = terms["margined"].to_numpy()
    th = terms["threshold"].to_numpy()
    call = np.maximum(np.abs(value) - th, 0.0) * (1 + noise)
    received = np.where(margined & (value > 0), call, 0.0)
    posted = np.where((margined | terms["one_way_csa"].to_numpy()) & (value < 0), call, 0.0)

    def amount(x: np.ndarray) -> np.ndarray:
        return np.round(x * to_ccy, 2)

    return pd.DataFrame(
        {
            "netting_set_id": terms["netting_set_id"].to_numpy(dtype=object),
            "counterparty_id": terms["counterparty_id"].to_numpy(dtype=object),
            "legal_entity": terms["legal_entity"].to_numpy(dtype=object),
            "margined": pd.array(margined, dtype="boolean"),
            "cleared": pd.array(terms["cleared"].to_numpy(), dtype="boolean"),
            "currency": terms["currency"].to_numpy(dtype=object),
            "vm_received": amount(received),
            "vm_posted": amount(posted),
            "ia_received": amount(gross * terms["ia_received_share"].to_numpy()),
            "ia_posted_unsegregated": amount(gross * terms["ia_unsegregated_share"].to_numpy()),
            "ia_posted_segregated": amount(gross * terms["ia_segregated_share"].to_numpy()),
            "threshold": np.round(th * to_ccy, -3),
            "mta": np.round(terms["mta"].to_numpy() * to_ccy, -3),
            "remargin_period_days": pd.array(terms["remargin_period_days"].to_numpy(), dtype="Int64"),
            "disputes": pd.array(terms["disputes"].to_numpy(), dtype="Int64"),
            "illiquid_collateral": pd.array(terms["illiquid_collateral"].to_numpy(), dtype="boolean"),
            "hard_to_replace": pd.array(terms["hard_to_replace"].to_numpy(), dtype="boolean"),
            "mpor_override_days": pd.array(terms["mpor_override_days"].to_numpy(), dtype="Int64"),
            "counterparty_type": terms["counterparty_type"].to_numpy(dtype=object),
            **{
                name: pd.arrays.BooleanArray(terms[name].to_numpy() == 1.0, np.isnan(terms[name].to_numpy()))
                for name in ("cva_exempt", "vm_cash_eligible", "ccp_leg_exempt")
            },
        },
        columns=list(COLLATERAL_COLUMNS),
    )


# ------------------------------------------------------------------------------------ dates and frames


def _daily_extracts(
    trades: Columns,
    terms: pd.DataFrame,
    cat: _Catalogue,
    days: list[np.datetime64],
    seed: int,
    reporting_currency: str,
) -> Iterator[tuple[dt.date, dict[str, pd.DataFrame]]]:
    """Walk the market and the book forward one weekday at a time and cut each date's extracts."""
    n = trades["trade_id"].size
    usd = dict(USD_PER_UNIT)
    shocks = np.zeros(cat.keys.size)
    shifts = dict.fromkeys(CURRENCIES, 0.0)
    mtm_share = trades["_mtm_share"].copy()
    ns_index = pd.Index(terms["netting_set_id"]).get_indexer(trades["netting_set_id"])
    in_reporting = np.random.default_rng([seed, 3]).random(n) < 0.08
    for i, day in enumerate(days):
        rng = np.random.default_rng([seed, 2, i])
        if i > 0:  # day 0 is the book as generated; later days move a little
            for ccy in CURRENCIES[1:]:
                usd[ccy] *= float(np.exp(rng.normal(0.0, 0.004)))
            shocks += rng.normal(0.0, 0.01, cat.keys.size)
            for ccy in CURRENCIES:
                shifts[ccy] += float(rng.normal(0.0, 0.0002))
            mtm_share += rng.normal(0.0, 0.001, n)
        fx = {c: usd[c] / usd[reporting_currency] for c in CURRENCIES}
        live = _live(trades, day, i)
        option = trades["option_type"] != None  # noqa: E711
        sign = np.where(trades["direction"] == "LONG", 1.0, -1.0)
        share = np.where(option, sign * np.abs(mtm_share), mtm_share)
        mtm_ccy = np.where(in_reporting, reporting_currency, trades["notional_currency"]).astype(object)
        rate = pd.Series(trades["notional_currency"]).map(fx).to_numpy(dtype=float)
        mtm_rep = np.round(trades["notional"] * share * rate, 2)
        mtm = np.where(in_reporting, mtm_rep, np.round(trades["notional"] * share, 2))
        value = np.bincount(ns_index[live], weights=mtm_rep[live], minlength=len(terms))
        gross = np.bincount(ns_index[live], weights=(trades["notional"] * rate)[live], minlength=len(terms))
        underlying = trades["underlying_id"][live]
        used = pd.unique(underlying[underlying != None])  # noqa: E711
        prices = _market_values(cat, usd, shocks, shifts)[cat.index(used)]
        frames = {
            "trades": _trade_frame(trades, live),
            "valuations": pd.DataFrame(
                {"trade_id": trades["trade_id"][live], "mtm": mtm[live], "mtm_currency": mtm_ccy[live]},
                columns=list(VALUATION_COLUMNS),
            ),
            "collateral": _collateral(terms, value, gross, fx, rng.normal(0.0, 0.02, len(terms))),
            "market_data": _market_frame(fx, used, prices),
        }
        yield day.astype(dt.date), frames


def _live(trades: Columns, day: np.datetime64, i: int) -> np.ndarray:
    """Booked by this date, not matured, not past the last exercise date."""
    exercise, end = trades["exercise_date"], trades["end_date"]
    return (
        (trades["_arrival"] <= i)
        & (trades["maturity_date"] >= day)
        & (np.isnat(exercise) | (exercise >= day))
        & (np.isnat(end) | (end >= day))
    )


def _trade_frame(trades: Columns, live: np.ndarray) -> pd.DataFrame:
    data: dict[str, object] = {}
    for name, logical in TRADE_COLUMNS.items():
        values = trades[name][live]
        if logical == "date":
            data[name] = values.astype("datetime64[ns]")
        elif logical == "bool":
            data[name] = pd.arrays.BooleanArray(values == 1.0, np.isnan(values))
        elif logical == "int":
            data[name] = pd.array(values, dtype="Int64")
        else:
            data[name] = values
    return pd.DataFrame(data, columns=list(TRADE_COLUMNS))


def _market_frame(fx: dict[str, float], keys: np.ndarray, prices: np.ndarray) -> pd.DataFrame:
    kind = np.array(["FX"] * len(fx) + ["PRICE"] * len(keys), dtype=object)
    key = np.concatenate([np.array(list(fx), dtype=object), keys.astype(object)])
    value = np.concatenate([np.array(list(fx.values())), _round_significant(prices, 10)])
    return pd.DataFrame({"kind": kind, "key": key, "value": value}, columns=list(MARKET_DATA_COLUMNS))


# ------------------------------------------------------------------------------------------- helpers


def _choice(rng: np.random.Generator, options: Sequence[tuple[object, float]], size: int) -> np.ndarray:
    values = np.empty(len(options), dtype=object)
    values[:] = [value for value, _ in options]
    picked = values[rng.choice(len(options), size=size, p=_normalise([w for _, w in options]))]
    if all(isinstance(v, (int, float)) for v in values):
        return picked.astype(float if any(isinstance(v, float) for v in values) else np.int64)
    return picked


def _normalise(weights: Sequence[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    numbers = np.asarray(numbers, dtype=np.int64)
    if numbers.size == 0:  # np.strings.zfill refuses empty arrays
        return np.empty(0, dtype=object)
    digits = np.strings.zfill(numbers.astype(str), width)
    return np.strings.add(prefix, digits).astype(object)


def _days(years: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(years, dtype=float) * 365.25).astype(np.int64)


def _usd(ccy: np.ndarray) -> np.ndarray:
    return pd.Series(ccy, dtype=object).map(USD_PER_UNIT).to_numpy(dtype=float)


def _carry(ccy1: np.ndarray, ccy2: np.ndarray, years: np.ndarray | float) -> np.ndarray:
    """Forward / spot of ccy1 in ccy2 units from the curves' short rates (covered interest parity)."""
    r1 = pd.Series(ccy1, dtype=object).map(lambda c: CURVES[c][0]).to_numpy(dtype=float)
    r2 = pd.Series(ccy2, dtype=object).map(lambda c: CURVES[c][0]).to_numpy(dtype=float)
    return np.exp((r2 - r1) * years)


def _floor_rate_level(ccy: str) -> float:
    return RATE_FLOOR.get(ccy, POSITIVE_RATE_FLOOR)


def _floor_rate(ccy: str, rate: float) -> float:
    return max(rate, _floor_rate_level(ccy))


def _notional(rng: np.random.Generator, ccy: np.ndarray, median_usd: float) -> np.ndarray:
    """Lognormal notionals around `median_usd` (USD equivalent), rounded to thousands of `ccy`."""
    usd = np.exp(rng.normal(np.log(median_usd), 1.1, ccy.size))
    return np.maximum(np.round(usd / _usd(ccy), -3), 1000.0)


def _option_types(rng: np.random.Generator, option: np.ndarray) -> np.ndarray:
    out = np.full(option.size, None, dtype=object)
    out[option] = np.where(rng.random(option.sum()) < 0.5, "CALL", "PUT")
    return out


def _round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x)))))
    return np.round(x * scale) / scale
