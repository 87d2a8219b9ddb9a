"""Extract reader and writer: typed frames, row rejections, file-level errors, CSV/Parquet round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saccr.contract import ADDED_COLUMNS, COLLATERAL_COLUMNS, EXTRACTS, REJECTED_COLUMNS, TRADE_COLUMNS
from saccr.errors import SaccrError
from saccr_pipeline.errors import ExtractError
from saccr_pipeline.extracts import read_extract, write_extracts
from saccr_pipeline.sample.generate import generate

SWAP = {
    "trade_id": "T1", "netting_set_id": "NS1", "asset_class": "IR", "product": "IRS", "direction": "LONG",
    "notional": "10000000", "notional_currency": "EUR", "start_date": "2024-01-15", "end_date": "2029-01-15",
    "maturity_date": "2029-01-15", "is_volatility": "false",
}  # fmt: skip
OPTION = {
    "trade_id": "T2", "netting_set_id": "NS1", "asset_class": "EQUITY", "product": "EQ_OPTION",
    "direction": "SHORT", "notional": "2.5e6", "notional_currency": "USD", "maturity_date": "2025-12-19",
    "reference_entity": "SPX", "is_index": "TRUE", "option_type": "CALL", "exercise_date": "2025-12-17",
    "strike": "5200.5", "underlying_id": "EQ.SPX", "quantity": "480",
}  # fmt: skip
COLLATERAL = {
    "netting_set_id": "NS1", "counterparty_id": "CP1", "legal_entity": "BANK_PLC", "margined": "true",
    "cleared": "false",
    "currency": "USD", "vm_received": "100", "vm_posted": "0", "ia_received": "0",
    "ia_posted_unsegregated": "0", "ia_posted_segregated": "0", "threshold": "0", "mta": "0",
    "remargin_period_days": "1", "disputes": "0", "illiquid_collateral": "false", "hard_to_replace": "false",
    "mpor_override_days": "",
}  # fmt: skip


def write_csv(path: Path, columns: dict[str, str], rows: list[dict[str, str]]) -> Path:
    """A CSV with the given header and rows (missing cells left empty)."""

    def cell(value: str) -> str:
        return f'"{value}"' if "," in value or "\n" in value else value

    lines = [",".join(columns)] + [",".join(cell(row.get(c, "")) for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_good_rows_are_typed(tmp_path: Path) -> None:
    frame, rejected = read_extract(write_csv(tmp_path / "t.csv", TRADE_COLUMNS, [SWAP, OPTION]), "trades")

    assert rejected.empty and list(rejected.columns) == list(REJECTED_COLUMNS)
    assert list(frame.columns) == list(TRADE_COLUMNS)
    assert frame["notional"].dtype == "float64" and frame["notional"].tolist() == [1e7, 2.5e6]
    assert frame["start_date"].dtype == "datetime64[ns]"
    assert frame["start_date"][0] == pd.Timestamp("2024-01-15") and pd.isna(frame["start_date"][1])
    assert frame["is_index"].dtype == "boolean"
    assert frame["is_index"].isna()[0] and bool(frame["is_index"][1]) is True
    assert frame["is_volatility"].tolist() == [False, pd.NA]
    assert frame["strike"].isna()[0] and frame["strike"][1] == 5200.5
    assert frame["quantity"][1] == 480.0
    assert frame["product"].tolist() == ["IRS", "EQ_OPTION"]
    assert frame["reference_entity"][0] is None and frame["option_type"][1] == "CALL"


def test_integers_are_nullable(tmp_path: Path) -> None:
    rows = [COLLATERAL, COLLATERAL | {"netting_set_id": "NS2", "mpor_override_days": "20", "disputes": "3"}]
    frame, rejected = read_extract(write_csv(tmp_path / "c.csv", COLLATERAL_COLUMNS, rows), "collateral")

    assert rejected.empty
    assert frame["disputes"].dtype == "Int64" and frame["disputes"].tolist() == [0, 3]
    assert frame["mpor_override_days"].isna()[0] and frame["mpor_override_days"][1] == 20
    assert frame["counterparty_id"].tolist() == ["CP1", "CP1"]


def test_columns_the_contract_added_later_may_be_left_out(tmp_path: Path) -> None:
    """A delivery from before counterparty_type, cva_exempt, vm_cash_eligible, ccp_leg_exempt (collateral) and
    trade_date (trades) existed reads with those columns empty; any other missing column is still refused."""
    old = [c for c in COLLATERAL_COLUMNS if c not in ADDED_COLUMNS["collateral"]]
    frame, rejected = read_extract(write_csv(tmp_path / "c.csv", old, [COLLATERAL]), "collateral")
    assert rejected.empty and list(frame.columns) == list(COLLATERAL_COLUMNS)
    assert frame.loc[0, list(ADDED_COLUMNS["collateral"])].isna().all()
    older = [c for c in TRADE_COLUMNS if c not in ADDED_COLUMNS["trades"]]
    trades, rejected = read_extract(write_csv(tmp_path / "t.csv", older, [SWAP]), "trades")
    assert rejected.empty and pd.isna(trades.loc[0, "trade_date"])
    with pytest.raises(ExtractError, match=r"missing column\(s\) \['mta'\]"):
        read_extract(
            write_csv(tmp_path / "m.csv", [c for c in old if c != "mta"], [COLLATERAL]), "collateral"
        )


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("notional", "abc", "not_a_number"),
        ("notional", "1,000", "not_a_number"),
        ("notional", "inf", "not_a_number"),
        ("notional", "nan", "not_a_number"),
        ("strike", "12..5", "not_a_number"),
        ("notional", "1e-300", "not_a_number"),  # the number grammar: an exponent has at most 2 digits
        ("notional", "0." + "0" * 300 + "1", "not_a_number"),  # ... and a fraction at most 30
        ("maturity_date", "2029-1-15", "not_a_date"),
        ("maturity_date", "15/01/2029", "not_a_date"),
        ("maturity_date", "2029-02-30", "not_a_date"),
        ("maturity_date", "2029-01-15T00:00", "not_a_date"),
        ("maturity_date", "9999-12-31", "not_a_date"),
        ("is_index", "yes", "not_a_boolean"),
        ("is_volatility", "1", "not_a_boolean"),
        ("trade_id", "", "required"),
        ("notional", "", "required"),
        ("direction", "", "required"),
        ("maturity_date", "", "required"),
    ],
)
def test_bad_value_rejects_the_row(tmp_path: Path, column: str, value: str, rule: str) -> None:
    bad = SWAP | {"trade_id": "T9", column: value}
    frame, rejected = read_extract(write_csv(tmp_path / "t.csv", TRADE_COLUMNS, [SWAP, bad]), "trades")

    assert frame["trade_id"].tolist() == ["T1"]  # the good row stays, the bad one is dropped
    assert len(rejected) == 1
    row = rejected.iloc[0]
    expected_id = None if column == "trade_id" else "T9"
    assert (row["extract"], row["trade_id"], row["netting_set_id"]) == ("trades", expected_id, "NS1")
    assert (row["field"], row["rule"]) == (column, rule)
    assert column in row["message"] and (value in row["message"] or rule == "required")


def test_integer_with_fraction_is_rejected(tmp_path: Path) -> None:
    rows = [COLLATERAL, COLLATERAL | {"netting_set_id": "NS2", "disputes": "1.5"}]
    frame, rejected = read_extract(write_csv(tmp_path / "c.csv", COLLATERAL_COLUMNS, rows), "collateral")

    assert frame["netting_set_id"].tolist() == ["NS1"]
    assert rejected[["netting_set_id", "field", "rule"]].values.tolist() == [
        ["NS2", "disputes", "not_an_integer"]
    ]


def test_every_broken_field_is_reported(tmp_path: Path) -> None:
    bad = SWAP | {"notional": "ten", "end_date": "tomorrow", "notional_currency": ""}
    frame, rejected = read_extract(write_csv(tmp_path / "t.csv", TRADE_COLUMNS, [bad]), "trades")

    assert frame.empty and list(frame.columns) == list(TRADE_COLUMNS)
    assert sorted(zip(rejected["field"], rejected["rule"], strict=True)) == [
        ("end_date", "not_a_date"),
        ("notional", "not_a_number"),
        ("notional_currency", "required"),
    ]


def test_surrounding_blanks_around_numbers_and_dates_are_ignored(tmp_path: Path) -> None:
    row = SWAP | {"notional": " 1000 ", "maturity_date": "2029-01-15 "}
    frame, rejected = read_extract(write_csv(tmp_path / "t.csv", TRADE_COLUMNS, [row]), "trades")

    assert rejected.empty
    assert frame["notional"][0] == 1000.0 and frame["maturity_date"][0] == pd.Timestamp("2029-01-15")


def test_quoted_text_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "md.csv"
    path.write_text('kind,key,value\nPRICE,"EQ.BRK,B",412.5\nFX,USD,1\n')
    frame, rejected = read_extract(path, "market_data")

    assert rejected.empty
    assert frame.values.tolist() == [["PRICE", "EQ.BRK,B", 412.5], ["FX", "USD", 1.0]]


def test_spreadsheet_export_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "md.csv"
    path.write_bytes(b"\xef\xbb\xbfkind,key,value\r\nFX,EUR,1.08\r\n")
    frame, rejected = read_extract(path, "market_data")

    assert rejected.empty and frame.values.tolist() == [["FX", "EUR", 1.08]]


def test_market_data_rejections_carry_no_trade(tmp_path: Path) -> None:
    path = tmp_path / "md.csv"
    path.write_text("kind,key,value\nFX,EUR,1.08\nFX,GBP,n/a\n")
    frame, rejected = read_extract(path, "market_data")

    assert frame["key"].tolist() == ["EUR"]
    assert rejected.values.tolist() == [
        ["market_data", None, None, "value", "not_a_number", "value 'n/a' is not a finite number"]
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ([c for c in TRADE_COLUMNS if c != "notional"], "missing column(s) ['notional']"),
        ([*TRADE_COLUMNS, "trader"], "unexpected column(s) ['trader']"),
    ],
)
def test_wrong_columns_raise(tmp_path: Path, header: list[str], expected: str) -> None:
    path = write_csv(tmp_path / "t.csv", dict.fromkeys(header, "str"), [SWAP])
    with pytest.raises(ExtractError) as info:
        read_extract(path, "trades")
    assert expected in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("t.csv", "", "file is empty"),
        ("t.csv", ",".join(TRADE_COLUMNS) + "\n", "has a header but no rows"),
        ("t.csv", ",".join(TRADE_COLUMNS) + "\nT1,NS1\n", "cannot be read"),
        ("t.xlsx", "x", "unknown file type '.xlsx'"),
        ("t.parquet", "not parquet", "cannot be read"),
    ],
)
def test_unusable_files_raise(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ExtractError, match="trades extract") as info:
        read_extract(path, "trades")
    assert expected in str(info.value)


def test_missing_file_and_unknown_extract_raise(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match="file not found"):
        read_extract(tmp_path / "nowhere.csv", "trades")
    with pytest.raises(ExtractError, match="unknown extract 'positions'"):
        read_extract(tmp_path / "nowhere.csv", "positions")
    assert issubclass(ExtractError, SaccrError)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    frames = generate(dt.date(2025, 3, 31), 3000, 40, seed=5)
    paths = write_extracts(frames, tmp_path, fmt)

    assert sorted(p.name for p in paths.values()) == sorted(f"{name}.{fmt}" for name in EXTRACTS)
    for name, path in paths.items():
        frame, rejected = read_extract(path, name)
        assert rejected.empty
        pd.testing.assert_frame_equal(frame, frames[name])


def test_parquet_with_native_types(tmp_path: Path) -> None:
    """Parquet written by another tool: numbers, booleans, dates and timestamps stored natively."""
    frame = pd.DataFrame({c: pd.Series([None, None], dtype=object) for c in TRADE_COLUMNS})
    frame["trade_id"], frame["netting_set_id"] = ["T1", "T2"], ["NS1", "NS1"]
    frame["asset_class"], frame["direction"], frame["notional_currency"] = "FX", "LONG", "EUR"
    frame["notional"] = [1_000_000, 2_000_000]  # int64 for a float column
    frame["notional_2"] = [1.08e6, np.inf]
    frame["currency_2"] = "USD"
    frame["maturity_date"] = [dt.date(2025, 6, 30), dt.date(2025, 9, 30)]  # date32
    # a timestamp column, one value with a time of day
    frame["exercise_date"] = [pd.Timestamp("2025-06-27"), pd.Timestamp("2025-09-26 12:00")]
    frame["is_volatility"] = [False, None]
    frame.to_parquet(tmp_path / "t.parquet")

    typed, rejected = read_extract(tmp_path / "t.parquet", "trades")

    assert typed["trade_id"].tolist() == ["T1"]
    assert typed["notional"].tolist() == [1e6] and typed["notional_2"].tolist() == [1.08e6]
    assert typed["maturity_date"][0] == pd.Timestamp("2025-06-30")
    assert typed["exercise_date"][0] == pd.Timestamp("2025-06-27")
    assert typed["is_volatility"].dtype == "boolean" and bool(typed["is_volatility"][0]) is False
    assert sorted(zip(rejected["field"], rejected["rule"], strict=True)) == [
        ("exercise_date", "not_a_date"),
        ("notional_2", "not_a_number"),
    ]


def test_parquet_column_of_the_wrong_type_raises(tmp_path: Path) -> None:
    frame = pd.DataFrame({"kind": ["FX"], "key": ["EUR"], "value": [True]})
    frame.to_parquet(tmp_path / "md.parquet")
    with pytest.raises(ExtractError, match="column 'value' is stored as Parquet type bool"):
        read_extract(tmp_path / "md.parquet", "market_data")


def test_write_refuses_frames_off_contract(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match=r"missing columns \['mtm_currency'\]"):
        write_extracts({"valuations": pd.DataFrame({"trade_id": ["T1"], "mtm": [1.0]})}, tmp_path)
    with pytest.raises(ValueError, match="unknown extract format 'xlsx'"):
        write_extracts({}, tmp_path, fmt="xlsx")


def test_a_quoted_line_break_stays_in_its_value(tmp_path: Path) -> None:
    """RFC 4180: "IRS<newline>vanilla" is one product of one row for the engine-alone reader (split by lines,
    it was two broken rows)."""
    rows = [SWAP | {"product": "IRS\nvanilla"}, SWAP | {"trade_id": "T2"}]
    path = write_csv(tmp_path / "trades.csv", TRADE_COLUMNS, rows)
    assert '"IRS\nvanilla"' in path.read_text()
    frame, rejected = read_extract(path, "trades")
    assert rejected.empty and frame["product"].tolist() == ["IRS\nvanilla", "IRS"]
