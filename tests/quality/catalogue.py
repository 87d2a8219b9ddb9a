"""A catalogue of bad extracts: the generated sample with specific rows corrupted, one rule each.

Every case corrupts rows no other case touches (the picker hands each trade and netting set out once) and
states exactly which rows must be quarantined for which rules, including cascades (a trade whose valuation or
collateral row was quarantined is quarantined too), and which warnings must be reported. The test runs one
validation over the whole catalogue and checks every case, and that nothing else was quarantined.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from quality_support import AS_OF

from saccr.contract import EXTRACTS

Key = tuple[str, str]  # (extract, key): trade_id | netting_set_id | "kind:key"
Finding = tuple[str, str]  # (rule, field)


@dataclass
class Case:
    id: str
    quarantined: dict[Key, set[Finding]] = field(default_factory=dict)
    copies: dict[Key, int] = field(default_factory=dict)  # rows per key, when more than one
    warnings: dict[str, set[Key]] = field(default_factory=dict)  # warning rule -> keys

    def expect(self, extract: str, key: str, *findings: Finding, copies: int = 1) -> None:
        self.quarantined.setdefault((extract, key), set()).update(findings)
        if copies > 1:
            self.copies[(extract, key)] = copies

    def warn(self, extract: str, rule: str, key: str) -> None:
        self.warnings.setdefault(rule, set()).add((extract, key))


class Catalogue:
    """The sample's text frames being corrupted, the cases, and which rows are still untouched."""

    def __init__(self, text: dict[str, pd.DataFrame]) -> None:
        self.text = {e: f.copy() for e, f in text.items()}
        self.cases: list[Case] = []
        self._used_trades: set[str] = set()
        self._used_sets: set[str] = set()
        self.semicolon_trade: str | None = None  # its line is written with ';' as delimiter
        self.truncated_trade: str | None = None  # the last line, cut after `notional`
        self.line_break_trade: str | None = None  # its product holds a line break, quoted

    @property
    def trades(self) -> pd.DataFrame:
        return self.text["trades"]

    def case(self, case_id: str) -> Case:
        self.cases.append(Case(case_id))
        return self.cases[-1]

    def trade(self, where: Callable[[pd.DataFrame], pd.Series]) -> int:
        """Row index of an unused trade matching `where`, now used (and its netting set closed to
        collateral cases)."""
        t = self.trades
        free = t[
            where(t) & ~t["trade_id"].isin(self._used_trades) & ~t["netting_set_id"].isin(self._sets_taken())
        ]
        assert len(free), "the sample has no unused trade for this case; change the seed or the case"
        row = free.index[0]
        self._used_trades.add(t.at[row, "trade_id"])
        return row

    def netting_set(self) -> str:
        """A netting set no trade case touched, with as few trades as possible; all its trades now used."""
        t = self.trades
        sizes = t[~t["netting_set_id"].isin(self._sets_taken() | self._touched_sets())][
            "netting_set_id"
        ].value_counts()
        ns = sizes.sort_values(kind="stable").index[0]
        self._used_sets.add(ns)
        self._used_trades.update(t.loc[t["netting_set_id"] == ns, "trade_id"])
        return ns

    def trades_of(self, ns: str) -> list[str]:
        return list(self.trades.loc[self.trades["netting_set_id"] == ns, "trade_id"])

    def set(self, extract: str, row: int, **values: str) -> None:
        for column, value in values.items():
            self.text[extract].at[row, column] = value

    def row_of(self, extract: str, column: str, value: str) -> int:
        frame = self.text[extract]
        return frame.index[frame[column] == value][0]

    def add_rows(self, extract: str, *rows: dict[str, str]) -> None:
        columns = list(EXTRACTS[extract])
        extra = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=columns)
        self.text[extract] = pd.concat([self.text[extract], extra], ignore_index=True)

    def _sets_taken(self) -> set[str]:
        return set(self._used_sets)

    def _touched_sets(self) -> set[str]:
        t = self.trades
        return set(t.loc[t["trade_id"].isin(self._used_trades), "netting_set_id"])

    # ------------------------------------------------------------------------------------ expectations

    def expected_findings(self) -> Counter[tuple[str, str, str]]:
        """(extract, rule, field) -> quarantined rows expected, over all cases."""
        counts: Counter[tuple[str, str, str]] = Counter()
        for case in self.cases:
            for key, findings in case.quarantined.items():
                for rule, column in findings:
                    counts[(key[0], rule, column)] += case.copies.get(key, 1)
        return counts

    def expected_warnings(self) -> dict[tuple[str, str], set[str]]:
        """(extract, warning rule) -> keys expected."""
        out: dict[tuple[str, str], set[str]] = {}
        for case in self.cases:
            for rule, keys in case.warnings.items():
                for extract, key in keys:
                    out.setdefault((extract, rule), set()).add(key)
        return out

    def write(self, folder: Path) -> Path:
        """The delivery folder: CSV files, with the semicolon line and the truncated last line."""
        folder.mkdir(parents=True, exist_ok=True)
        for extract, frame in self.text.items():
            if extract == "trades" and self.truncated_trade:
                last = frame["trade_id"] == self.truncated_trade
                frame = pd.concat([frame[~last], frame[last]], ignore_index=True)
            lines = frame.to_csv(index=False).splitlines()
            if extract == "trades":
                lines = [self._edit_line(line) for line in lines]
            cut = extract == "trades" and self.truncated_trade is not None  # no final newline: cut mid-file
            (folder / f"{extract}.csv").write_text("\n".join(lines) + ("" if cut else "\n"), encoding="utf-8")
        return folder

    def _edit_line(self, line: str) -> str:
        if self.semicolon_trade and line.startswith(self.semicolon_trade + ","):
            return line.replace(",", ";")
        if self.truncated_trade and line.startswith(self.truncated_trade + ","):
            return ",".join(line.split(",")[:6])
        return line


def build(text: dict[str, pd.DataFrame]) -> Catalogue:
    """Every case applied to a copy of the sample text."""
    cat = Catalogue(text)
    for make in CASES:
        make(cat)
    return cat


def _is(column: str, *values: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda t: t[column].isin(values)


def _plain(asset_class: str, *products: str) -> Callable[[pd.DataFrame], pd.Series]:
    """Trades of an asset class (and products) that are not options, tranches, basis or quantity trades."""

    def where(t: pd.DataFrame) -> pd.Series:
        ok = (t["asset_class"] == asset_class) & (t["option_type"] == "") & (t["attachment"] == "")
        ok &= (t["basis_key"] == "") & (t["quantity"] == "")
        return ok & (t["product"].isin(products) if products else True)

    return where


def _option(t: pd.DataFrame) -> pd.Series:
    return (t["option_type"] != "") & (t["attachment"] == "") & (t["quantity"] == "")


def _unique_entity(t: pd.DataFrame) -> pd.Series:
    return t.groupby(["asset_class", "reference_entity"])["trade_id"].transform("size") == 1


def _day(text: str, days: int) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()


# ------------------------------------------------------------------------------------------ the cases
# Collateral and market-data cases come first: they cascade to whole netting sets / underlyings.

CASES: list[Callable[[Catalogue], None]] = []


def case(make: Callable[[Catalogue], None]) -> Callable[[Catalogue], None]:
    CASES.append(make)
    return make


def _collateral_case(cat: Catalogue, case_id: str, rule: str, column: str, value: str | None) -> None:
    c = cat.case(case_id)
    ns = cat.netting_set()
    row = cat.row_of("collateral", "netting_set_id", ns)
    if value is None:  # duplicate the row
        cat.add_rows("collateral", cat.text["collateral"].loc[row].to_dict())
        c.expect("collateral", ns, (rule, column), copies=2)
    else:
        cat.set("collateral", row, **{column: value})
        c.expect("collateral", ns, (rule, column))
    for trade in cat.trades_of(ns):
        c.expect("trades", trade, ("netting_set_without_collateral", "netting_set_id"))


@case
def negative_vm(cat: Catalogue) -> None:
    _collateral_case(cat, "collateral: negative vm_received", "non_negative", "vm_received", "-10")


@case
def boolean_not_true_false(cat: Catalogue) -> None:
    _collateral_case(cat, "collateral: margined 'Y'", "not_a_boolean", "margined", "Y")


@case
def fractional_day_count(cat: Catalogue) -> None:
    _collateral_case(
        cat, "collateral: remargin_period_days 1.5", "not_an_integer", "remargin_period_days", "1.5"
    )


@case
def unknown_counterparty_type(cat: Catalogue) -> None:
    _collateral_case(cat, "collateral: counterparty_type BANK", "enumeration", "counterparty_type", "BANK")


@case
def cva_exempt_not_true_false(cat: Catalogue) -> None:
    _collateral_case(cat, "collateral: cva_exempt 'yes'", "not_a_boolean", "cva_exempt", "yes")


@case
def duplicated_collateral(cat: Catalogue) -> None:
    _collateral_case(cat, "collateral: netting set delivered twice", "duplicate_key", "netting_set_id", None)


@case
def collateral_currency_without_rate(cat: Catalogue) -> None:
    _collateral_case(cat, "collateral: currency without FX rate", "fx_rate_missing", "currency", "XXX")


@case
def collateral_beyond_hard_limits(cat: Catalogue) -> None:
    """conf/limits.toml: each collateral amount x its FX rate at most 1e13 (mta 1e12) in the reporting
    currency; 1e99 in any currency of the sample is far beyond."""
    c = cat.case("collateral: vm_received, threshold and mta 1e99 (hard limits)")
    ns = cat.netting_set()
    columns = ("vm_received", "threshold", "mta")
    cat.set("collateral", cat.row_of("collateral", "netting_set_id", ns), **dict.fromkeys(columns, "1e99"))
    c.expect("collateral", ns, *(("limit_exceeded", column) for column in columns))
    for trade in cat.trades_of(ns):
        c.expect("trades", trade, ("netting_set_without_collateral", "netting_set_id"))


@case
def price_not_a_number(cat: Catalogue) -> None:
    c = cat.case("market_data: PRICE 'n/a' (options on it lose their price)")
    t = cat.trades
    row = cat.trade(lambda t: _option(t) & (t.groupby("underlying_id")["trade_id"].transform("size") == 1))
    underlying = t.at[row, "underlying_id"]
    cat.set("market_data", cat.row_of("market_data", "key", underlying), value="n/a")
    c.expect("market_data", f"PRICE:{underlying}", ("not_a_number", "value"))
    c.expect("trades", t.at[row, "trade_id"], ("price_missing", "underlying_id"))


@case
def market_data_rows(cat: Catalogue) -> None:
    c = cat.case("market_data: unknown kind, negative FX rate, duplicated key, empty value")
    cat.add_rows(
        "market_data",
        {"kind": "RATE", "key": "X1", "value": "1"},
        {"kind": "FX", "key": "XAU", "value": "-2"},
        {"kind": "FX", "key": "XAG", "value": "1.0"},
        {"kind": "FX", "key": "XAG", "value": "1.0"},
        {"kind": "PRICE", "key": "X2", "value": ""},
        {"kind": "FX", "key": "XPT", "value": "5000000"},
    )
    c.expect("market_data", "RATE:X1", ("enumeration", "kind"))
    c.expect("market_data", "FX:XAU", ("fx_rate_positive", "value"))
    c.expect("market_data", "FX:XAG", ("duplicate_key", "key"), copies=2)
    c.expect("market_data", "PRICE:X2", ("required", "value"))
    c.warn("market_data", "fx_rate_implausible", "FX:XAU")
    c.warn("market_data", "fx_rate_implausible", "FX:XPT")


@case
def fx_rates_beyond_hard_limits(cat: Catalogue) -> None:
    """conf/limits.toml: FX rates from 1e-9 to 1e9; 1e12 and 1e-12 (currencies no row uses) are beyond, and
    far outside the plausibility band 1e-6 to 1e6 too (warnings)."""
    c = cat.case("market_data: FX rates 1e12 and 1e-12 (hard limits)")
    cat.add_rows("market_data", {"kind": "FX", "key": "XPD", "value": "1e12"},
                 {"kind": "FX", "key": "XRH", "value": "1e-12"})  # fmt: skip
    for key in ("FX:XPD", "FX:XRH"):
        c.expect("market_data", key, ("limit_exceeded", "value"))
        c.warn("market_data", "fx_rate_implausible", key)


IRS, FX_FORWARD, COMMODITY = _plain("IR", "IRS"), _plain("FX", "FX_FORWARD"), _plain("COMMODITY")
FX_LINEAR = _plain("FX", "FX_FORWARD", "FX_SWAP", "NDF")
YESTERDAY = (AS_OF - dt.timedelta(days=1)).isoformat()
TOMORROW = (AS_OF + dt.timedelta(days=1)).isoformat()


def _single_name(t: pd.DataFrame) -> pd.Series:
    return _plain("CREDIT", "CDS")(t) & (t["is_index"] == "false") & _unique_entity(t)


def _tranche(t: pd.DataFrame) -> pd.Series:
    return t["attachment"] != ""


def _ir_basis(t: pd.DataFrame) -> pd.Series:
    return (t["basis_key"] != "") & (t["asset_class"] == "IR")


Values = dict[str, str] | Callable[[pd.Series], dict[str, str]]
# (case, trades it may corrupt, new values, rules the trade then breaks)
TRADE_CASES: list[tuple[str, Callable[[pd.DataFrame], pd.Series], Values, tuple[Finding, ...]]] = [
    ("notional '12,000' (thousands separator)", IRS, {"notional": "12,000"}, (("not_a_number", "notional"),)),
    ("notional 1e999 (not finite)", IRS, {"notional": "1e999"}, (("not_a_number", "notional"),)),
    ("notional -5", IRS, {"notional": "-5"}, (("positive", "notional"),)),
    ("notional empty", IRS, {"notional": ""}, (("required", "notional"),)),
    ("maturity 20/11/2027 (not ISO)", FX_FORWARD, {"maturity_date": "20/11/2027"},
     (("not_a_date", "maturity_date"),)),
    ("maturity 2027-02-30 (no such day)", FX_FORWARD, {"maturity_date": "2027-02-30"},
     (("not_a_date", "maturity_date"),)),
    ("maturity before the as-of date", FX_FORWARD, {"maturity_date": YESTERDAY},
     (("maturity_before_as_of", "maturity_date"),)),
    ("asset class RATES", IRS, {"asset_class": "RATES"}, (("enumeration", "asset_class"),)),
    ("direction BUY", IRS, {"direction": "BUY"}, (("enumeration", "direction"),)),
    ("IR start after end", IRS, lambda r: {"start_date": _day(r["end_date"], 1)},
     (("date_order", "start_date"),)),
    ("IR end date missing", IRS, {"end_date": ""}, (("required_for_product", "end_date"),)),
    ("IR period ended", IRS, {"start_date": _day(YESTERDAY, -400), "end_date": YESTERDAY},
     (("end_before_as_of", "end_date"),)),
    ("FX second currency missing", FX_FORWARD, {"currency_2": ""}, (("required_for_product", "currency_2"),)),
    ("FX second notional missing", FX_FORWARD, {"notional_2": ""}, (("required_for_product", "notional_2"),)),
    ("FX both legs in one currency", FX_LINEAR, lambda r: {"currency_2": r["notional_currency"]},
     (("same_currency", "currency_2"),)),
    ("option without strike", _option, {"strike": ""}, (("required_for_product", "strike"),)),
    ("option exercised after maturity", _option, lambda r: {"exercise_date": _day(r["maturity_date"], 1)},
     (("date_order", "exercise_date"),)),
    ("option exercise before as-of", _option, {"exercise_date": YESTERDAY},
     (("exercise_before_as_of", "exercise_date"),)),
    ("option on an unknown underlying", _option, {"underlying_id": "IR.UNKNOWN.FWD"},
     (("price_missing", "underlying_id"),)),
    ("option type CALLS", _option, {"option_type": "CALLS"}, (("enumeration", "option_type"),)),
    ("tranche attachment = detachment", _tranche, lambda r: {"attachment": r["detachment"]},
     (("tranche_bounds", "attachment"),)),
    ("single-name credit quality CQS7", _single_name, {"credit_quality": "CQS7"},
     (("enumeration", "credit_quality"),)),
    ("credit reference entity missing", _single_name, {"reference_entity": ""},
     (("required_for_product", "reference_entity"),)),
    ("commodity type missing", COMMODITY, {"commodity_type": ""},
     (("required_for_product", "commodity_type"),)),
    ("commodity type GAS", COMMODITY, {"commodity_type": "GAS"}, (("enumeration", "commodity_type"),)),
    ("commodity missing", COMMODITY, {"commodity": ""}, (("required_for_product", "commodity"),)),
    ("is_volatility 'maybe'", IRS, {"is_volatility": "maybe"}, (("not_a_boolean", "is_volatility"),)),
    ("quantity on an IR swap", IRS, {"quantity": "100"},
     (("not_for_product", "quantity"), ("required_for_product", "underlying_id"))),
    ("attachment on an IR swap", IRS, {"attachment": "0.1"},
     (("not_for_product", "attachment"), ("required_for_product", "detachment"))),
    ("basis and volatility at once", _ir_basis, {"is_volatility": "true"},
     (("unsupported_combination", "basis_key"),)),
    ("notional 500bn (plausibility warning only)", IRS, {"notional": "5e11"}, ()),
    ("trade_date 2024/01/15 (not ISO)", IRS, {"trade_date": "2024/01/15"}, (("not_a_date", "trade_date"),)),
    ("trade entered after the as-of date", IRS, {"trade_date": TOMORROW},
     (("trade_date_after_as_of", "trade_date"),)),
    ("notional 9e99 (hard limit; also the plausibility warning)", IRS, {"notional": "9e99"},
     (("limit_exceeded", "notional"),)),
    ("FX notional_2 1e99 (hard limit)", FX_FORWARD, {"notional_2": "1e99"},
     (("limit_exceeded", "notional_2"),)),
    ("notional 1e-300 (number grammar: exponent of 3 digits)", IRS, {"notional": "1e-300"},
     (("not_a_number", "notional"),)),
    ("notional 0.(300 zeros)1 (number grammar: 301 decimals)", IRS, {"notional": "0." + "0" * 300 + "1"},
     (("not_a_number", "notional"),)),
]  # fmt: skip


@case
def trade_rules(cat: Catalogue) -> None:
    t = cat.trades
    for case_id, where, values, findings in TRADE_CASES:
        row = cat.trade(where)
        cat.set("trades", row, **(values(t.loc[row]) if callable(values) else values))
        c = cat.case(case_id)
        trade_id = t.at[row, "trade_id"]
        if findings:
            c.expect("trades", trade_id, *findings)
        if case_id == "notional -5":
            c.warn("valuations", "mtm_implausible", trade_id)  # any |MtM| is above a negative notional
        if case_id.startswith(("notional 500bn", "notional 9e99")):
            c.warn("trades", "notional_implausible", trade_id)
    a, b = cat.trade(_single_name), cat.trade(_single_name)
    other = "B" if t.at[a, "credit_quality"] != "B" else "BB"
    cat.set("trades", b, reference_entity=t.at[a, "reference_entity"], credit_quality=other)
    c = cat.case("one entity, two credit qualities")
    for row in (a, b):
        c.expect("trades", t.at[row, "trade_id"], ("inconsistent_entity", "reference_entity"))


@case
def trade_rows(cat: Catalogue) -> None:
    t = cat.trades
    row = cat.trade(_plain("IR", "IRS"))
    cat.add_rows("trades", t.loc[row].to_dict())
    cat.case("trade row delivered twice").expect(
        "trades", t.at[row, "trade_id"], ("duplicate_key", "trade_id"), copies=2
    )
    row = cat.trade(_plain("IR", "IRS"))
    cat.set("trades", row, netting_set_id="NS_UNKNOWN")
    cat.case("unknown netting set").expect(
        "trades", t.at[row, "trade_id"], ("netting_set_without_collateral", "netting_set_id")
    )
    row = cat.trade(_plain("FX", "FX_FORWARD"))
    trade_id = t.at[row, "trade_id"]
    cat.text["valuations"] = cat.text["valuations"][cat.text["valuations"]["trade_id"] != trade_id]
    cat.case("trade without valuation").expect("trades", trade_id, ("trade_without_valuation", "trade_id"))

    row = cat.trade(_plain("FX", "FX_FORWARD"))
    cat.truncated_trade = t.at[row, "trade_id"]
    cat.case("truncated file (last line cut after notional)").expect(
        "trades", cat.truncated_trade, ("malformed_row", "malformed_record"),
        ("required", "notional_currency"), ("required", "maturity_date"),
        ("required_for_product", "notional_2"), ("required_for_product", "currency_2"),
    )  # fmt: skip
    row = cat.trade(_plain("FX", "FX_FORWARD"))
    cat.semicolon_trade = t.at[row, "trade_id"]
    c = cat.case("one line with ';' as delimiter")
    c.expect(
        "trades", ";".join(t.loc[row].astype(str)), ("malformed_row", "malformed_record"),
        *(("required", name) for name in ("netting_set_id", "asset_class", "direction", "notional",
                                          "notional_currency", "maturity_date")),
        ("trade_without_valuation", "trade_id"),
    )  # fmt: skip
    c.expect("valuations", cat.semicolon_trade, ("valuation_without_trade", "trade_id"))


@case
def valuation_rows(cat: Catalogue) -> None:
    t, v = cat.trades, cat.text["valuations"]

    def valuation_case(case_id: str, finding: Finding, copies: int = 1, **values: str) -> str:
        trade_id = t.at[cat.trade(_plain("IR", "IRS")), "trade_id"]
        row = cat.row_of("valuations", "trade_id", trade_id)
        if copies > 1:
            cat.add_rows("valuations", cat.text["valuations"].loc[row].to_dict())
        cat.set("valuations", row, **values)
        c = cat.case(case_id)
        c.expect("valuations", trade_id, finding, copies=copies)
        c.expect("trades", trade_id, ("trade_without_valuation", "trade_id"))
        return trade_id

    valuation_case("mtm 'abc'", ("not_a_number", "mtm"), mtm="abc")
    valuation_case("mtm empty", ("required", "mtm"), mtm="")
    valuation_case("valuation delivered twice", ("duplicate_key", "trade_id"), copies=2)
    valuation_case("mtm currency without FX rate", ("fx_rate_missing", "mtm_currency"), mtm_currency="XXX")
    cat.add_rows("valuations", {"trade_id": "T_UNKNOWN", "mtm": "100", "mtm_currency": "USD"})
    cat.case("valuation of an unknown trade").expect(
        "valuations", "T_UNKNOWN", ("valuation_without_trade", "trade_id")
    )
    row = cat.trade(_plain("IR", "IRS"))
    trade_id = t.at[row, "trade_id"]
    cat.set(
        "valuations", cat.row_of("valuations", "trade_id", trade_id),
        mtm=str(10 * float(t.at[row, "notional"])), mtm_currency=t.at[row, "notional_currency"],
    )  # fmt: skip
    cat.case("MtM ten times the notional (plausibility warning only)").warn(
        "valuations", "mtm_implausible", trade_id
    )
    # conf/limits.toml: |mtm| x FX at most 1e12 in the reporting currency; 1e99 is also far above the notional
    huge = valuation_case("mtm 1e99 (hard limit)", ("limit_exceeded", "mtm"), mtm="1e99")
    cat.cases[-1].warn("valuations", "mtm_implausible", huge)
    del v


@case
def identifier_rows(cat: Catalogue) -> None:
    """The identifier rule (settings identifier_pattern: printable ASCII, no surrounding blanks): ids that
    look alike but are not are quarantined, never published as other ids."""
    t = cat.trades
    row = cat.trade(_plain("IR", "IRS"))
    trade_id = t.at[row, "trade_id"]
    cat.set("trades", row, trade_id=trade_id + "\u00a0")
    cat._used_trades.add(trade_id + "\u00a0")  # the row is used under its new id too
    c = cat.case("trade_id with a no-break space")
    c.expect(
        "trades",
        trade_id + "\u00a0",
        ("identifier_format", "trade_id"),
        ("trade_without_valuation", "trade_id"),
    )
    c.expect("valuations", trade_id, ("valuation_without_trade", "trade_id"))  # its trade is now another id
    row = cat.trade(_plain("IR", "IRS"))
    wide = t.at[row, "netting_set_id"].translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    cat.set("trades", row, netting_set_id=wide)
    cat.case("netting_set_id in full-width digits").expect(
        "trades", t.at[row, "trade_id"], ("identifier_format", "netting_set_id"),
        ("netting_set_without_collateral", "netting_set_id"),
    )  # fmt: skip
    cat.add_rows("market_data", {"kind": "FX", "key": "EUR\u00a0", "value": "1.1"})
    cat.case("market_data key with a no-break space").expect(
        "market_data", "FX:EUR\u00a0", ("identifier_format", "key")
    )


@case
def quoted_line_break(cat: Catalogue) -> None:
    """RFC 4180: a quoted value may hold a line break. The row is one valid row (nothing quarantined), its
    product keeps the line break; split by lines it became two malformed rows."""
    row = cat.trade(_plain("IR", "IRS"))
    cat.set("trades", row, product="IRS\nvanilla")
    cat.line_break_trade = cat.trades.at[row, "trade_id"]
    cat.case("product with a line break inside quotes (RFC 4180)")
