"""Read and write the four extracts (README, "Extract contract"), CSV or Parquet by file suffix.

A file-level problem (missing or unreadable file, unknown suffix, missing or unexpected column, no rows)
raises :class:`ExtractError` naming the file and column. A row-level problem (a value that is not a
number, not an ISO ``YYYY-MM-DD`` date, not ``true``/``false``, or a required value left empty) is never
coerced: the row is left out of the typed frame and returned as rejected rows (contract.REJECTED_COLUMNS),
one per broken field, naming extract, trade, netting set, field and rule.

Numbers are plain decimals or exponent notation ("1e6"; no thousands separators, inf or nan); booleans are
true/false (also True/TRUE, False/FALSE); blanks around numbers, dates and booleans are ignored, text is
kept as delivered. A Parquet column may also be stored natively (numbers, bool, date or timestamp).

Typed frames use the engine's input dtypes: text -> object (None when empty), numbers -> float64 (NaN),
dates -> datetime64[ns] (NaT), booleans -> nullable "boolean", integers -> nullable "Int64".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from saccr.contract import ADDED_COLUMNS, EXTRACTS, OPTIONAL_COLUMNS, REJECTED_COLUMNS
from saccr_pipeline.errors import ExtractError

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
TRUE_TEXT = ("true", "True", "TRUE")
FALSE_TEXT = ("false", "False", "FALSE")

ENGINE_DTYPES: Mapping[str, object] = {
    "str": object,
    "float": "float64",
    "date": "datetime64[ns]",
    "bool": "boolean",
    "int": "Int64",
}
_ARROW_TYPES: Mapping[str, pa.DataType] = {
    "str": pa.string(),
    "float": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
}
_PANDAS_TYPES: Mapping[pa.DataType, object] = {pa.bool_(): pd.BooleanDtype(), pa.int64(): pd.Int64Dtype()}
# The one number grammar of the input contract (expectations/README.md, "Formats"; every not_a_number rule
# of the suites uses it): an optional sign, 1-30 digits with an optional point and at most 30 decimals (or a
# point and 1-30 decimals), an optional exponent of 1-2 digits. Every number it accepts is 0 or between 1e-129
# and 1e129 in magnitude: finite, however it is written.
NUMBER_GRAMMAR = r"^[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})([eE][+-]?\d{1,2})?$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_FIRST_YEAR, _LAST_YEAR = 1678, 2261  # datetime64[ns] holds these years
# rule name and message ending for a value that does not parse as the column's logical type
_PARSE_RULES: Mapping[str, tuple[str, str]] = {
    "float": ("not_a_number", "is not a finite number"),
    "int": ("not_an_integer", "is not a whole number"),
    "date": ("not_a_date", f"is not an ISO date YYYY-MM-DD in the years {_FIRST_YEAR}-{_LAST_YEAR}"),
    "bool": ("not_a_boolean", "is not true or false"),
}


def read_extract(path: str | Path, extract_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one extract file into (typed frame in contract column order, rejected rows).

    Raises ExtractError for file-level problems; row-level problems are returned, not raised.
    """
    columns = _contract(extract_name)
    path = Path(path)
    if not path.is_file():
        raise ExtractError(f"{extract_name} extract {path}: file not found")
    raw = _with_added_columns(_read_raw(path, extract_name), extract_name)
    _check_columns(raw, columns, path, extract_name)
    if raw.num_rows == 0:
        raise ExtractError(f"{extract_name} extract {path}: has a header but no rows")
    return _type_rows(raw, columns, path, extract_name)


def write_extracts(
    frames: Mapping[str, pd.DataFrame], out_dir: str | Path, fmt: str = "csv"
) -> dict[str, Path]:
    """Write typed extract frames as `<out_dir>/<extract>.<csv|parquet>`; return the paths written.

    CSV holds ISO dates, lower-case true/false and empty cells for missing values, so
    :func:`read_extract` reads back exactly the frames written.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown extract format {fmt!r}; expected 'csv' or 'parquet'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame in frames.items():
        table = to_arrow(frame, name)
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(table, path)
        written[name] = path
    return written


def to_arrow(frame: pd.DataFrame, extract_name: str) -> pa.Table:
    """The typed frame as an Arrow table with the contract's column order and types (dates as date32)."""
    columns = _contract(extract_name)
    if set(frame.columns) != set(columns):
        missing, extra = sorted(set(columns) - set(frame.columns)), sorted(set(frame.columns) - set(columns))
        raise ExtractError(f"{extract_name} frame: missing columns {missing}, unexpected columns {extra}")
    arrays = []
    for name, logical in columns.items():
        values = frame[name]
        if logical == "date":
            days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            arrays.append(pa.array(days, type=pa.date32(), mask=np.isnat(days)))
        else:
            arrays.append(pa.array(values, type=_ARROW_TYPES[logical], from_pandas=True))
    return pa.Table.from_arrays(arrays, names=list(columns))


def empty_rejected() -> pd.DataFrame:
    """A rejected-rows frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTED_COLUMNS})


def _contract(extract_name: str) -> Mapping[str, str]:
    if extract_name not in EXTRACTS:
        raise ExtractError(f"unknown extract {extract_name!r}; expected one of {sorted(EXTRACTS)}")
    return EXTRACTS[extract_name]


def _read_raw(path: Path, extract_name: str) -> pa.Table:
    """The file as an Arrow table; every CSV column is read as text ("" when empty)."""
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            if path.stat().st_size == 0:
                raise ExtractError(f"{extract_name} extract {path}: file is empty (no header)")
            with pacsv.open_csv(path) as reader:  # reads the first block only, for the header
                header = reader.schema.names
            convert = pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            )
            # RFC 4180: a quoted value may hold a line break (it is part of the value, not a new row)
            parse = pacsv.ParseOptions(newlines_in_values=True)
            return pacsv.read_csv(path, parse_options=parse, convert_options=convert)
        if suffix in PARQUET_SUFFIXES:
            return pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ExtractError(f"{extract_name} extract {path}: cannot be read: {exc}") from exc
    raise ExtractError(
        f"{extract_name} extract {path}: unknown file type {suffix!r}; "
        f"expected one of {CSV_SUFFIXES + PARQUET_SUFFIXES}"
    )


def _with_added_columns(raw: pa.Table, extract_name: str) -> pa.Table:
    """Columns the contract gained after extracts were first delivered (contract.ADDED_COLUMNS) may be
    absent from a file: they read as empty, which each column's rules take as their documented default."""
    for name in ADDED_COLUMNS[extract_name]:
        if name not in raw.column_names:
            raw = raw.append_column(name, pa.nulls(raw.num_rows, pa.string()))
    return raw


def _check_columns(raw: pa.Table, columns: Mapping[str, str], path: Path, extract_name: str) -> None:
    names = raw.column_names
    duplicated = sorted({n for n in names if names.count(n) > 1})
    missing = [c for c in columns if c not in names]
    unexpected = [c for c in names if c not in columns]
    problems = []
    if missing:
        problems.append(f"missing column(s) {missing}")
    if unexpected:
        problems.append(f"unexpected column(s) {unexpected}")
    if duplicated:
        problems.append(f"duplicated column(s) {duplicated}")
    if problems:
        raise ExtractError(
            f"{extract_name} extract {path}: {'; '.join(problems)}; expected exactly {list(columns)}"
        )


def _type_rows(
    raw: pa.Table, columns: Mapping[str, str], path: Path, extract_name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse every column (Arrow compute, no per-row Python), collect rejections, drop rejected rows."""
    optional = OPTIONAL_COLUMNS[extract_name]
    n = raw.num_rows
    arrays: list[pa.Array | pa.ChunkedArray] = []
    rejected: list[pd.DataFrame] = []
    drop = np.zeros(n, dtype=bool)
    for name, logical in columns.items():
        column = raw.column(name)
        values, empty, invalid = _parse_column(column, logical, name, path, extract_name)
        arrays.append(values)
        required = empty if name not in optional else np.zeros(n, dtype=bool)
        if invalid.any():
            rule, ending = _PARSE_RULES[logical]
            text = column.filter(pa.array(invalid)).to_pylist()
            rejected.append(_rejections(raw, extract_name, invalid, name, rule, ending, text))
        if required.any():
            rejected.append(_rejections(raw, extract_name, required, name, "required", "is empty", None))
        drop |= invalid | required
    table = pa.Table.from_arrays(arrays, names=list(columns))
    if drop.any():
        table = table.filter(pa.array(~drop))
    frame = table.to_pandas(split_blocks=True, deduplicate_objects=False, types_mapper=_PANDAS_TYPES.get)
    reasons = pd.concat(rejected, ignore_index=True) if rejected else empty_rejected()
    return frame, reasons


def _rejections(
    raw: pa.Table,
    extract_name: str,
    mask: np.ndarray,
    field: str,
    rule: str,
    ending: str,
    text: list | None,
) -> pd.DataFrame:
    rows = pa.array(np.flatnonzero(mask))
    if text is None:
        message = [f"{field} {ending}"] * len(rows)
    else:
        message = [f"{field} {value!r} {ending}" for value in text]  # rejected rows only
    return pd.DataFrame(
        {
            "extract": extract_name,
            "trade_id": _key_values(raw, "trade_id", rows),
            "netting_set_id": _key_values(raw, "netting_set_id", rows),
            "field": field,
            "rule": rule,
            "message": message,
        },
        columns=list(REJECTED_COLUMNS),
    )


def _key_values(raw: pa.Table, key: str, rows: pa.Array) -> list:
    """trade_id / netting_set_id of the given rows (None where the column is absent or empty)."""
    if key not in raw.column_names or not _is_text(raw.column(key).type):
        return [None] * len(rows)
    return [value or None for value in raw.column(key).take(rows).to_pylist()]


def _parse_column(
    column: pa.ChunkedArray, logical: str, name: str, path: Path, extract_name: str
) -> tuple[pa.Array | pa.ChunkedArray, np.ndarray, np.ndarray]:
    """(values of the contract type, empty mask, invalid mask) of one column."""
    if pa.types.is_null(column.type):  # a Parquet column with no value at all
        column = column.cast(pa.string())
    if _is_text(column.type):
        return _parse_text(pc.fill_null(column, ""), logical)  # a Parquet null is an empty value
    return _parse_typed(column, logical, name, path, extract_name)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow result as a numpy mask (null counts as False)."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False)


def _parse_text(
    text: pa.ChunkedArray, logical: str
) -> tuple[pa.Array | pa.ChunkedArray, np.ndarray, np.ndarray]:
    """Parse text values; empty text is missing, anything that does not parse is invalid."""
    if logical == "str":
        empty = pc.equal(text, "")
        return pc.if_else(empty, pa.scalar(None, pa.string()), text), _mask(empty), np.zeros(len(text), bool)
    text = pc.utf8_trim_whitespace(text)
    empty = _mask(pc.equal(text, ""))
    if logical in ("float", "int"):
        ok = pc.match_substring_regex(text, NUMBER_GRAMMAR)
        number = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
        return _numbers(number.to_numpy(zero_copy_only=False), empty, logical)
    if logical == "date":
        return _dates(text, empty)
    is_true, is_false = (
        _mask(pc.is_in(text, pa.array(TRUE_TEXT))),
        _mask(pc.is_in(text, pa.array(FALSE_TEXT))),
    )
    invalid = ~empty & ~is_true & ~is_false
    return pa.array(is_true, mask=empty | invalid), empty, invalid


def _numbers(number: np.ndarray, empty: np.ndarray, logical: str) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Float64 (NaN when missing) or int64 values; non-finite and, for integers, fractional are invalid."""
    invalid = ~empty & ~np.isfinite(number)
    if logical == "float":
        return pa.array(np.where(invalid, np.nan, number)), empty, invalid
    invalid |= ~empty & ~invalid & (number != np.round(number))
    missing = empty | invalid
    return pa.array(np.where(missing, 0, number).astype(np.int64), mask=missing), empty, invalid


def _dates(text: pa.ChunkedArray, empty: np.ndarray) -> tuple[pa.ChunkedArray, np.ndarray, np.ndarray]:
    """ISO dates: the exact YYYY-MM-DD shape and a real calendar day (strptime rolls 02-30 on)."""
    shaped = pc.match_substring_regex(text, _ISO_DATE)
    safe = pc.if_else(shaped, text, "2000-01-01")
    moment = pc.strptime(safe, format="%Y-%m-%d", unit="s", error_is_null=True)
    day = pc.cast(pc.utf8_slice_codeunits(safe, 8, 10), pa.int64())
    month = pc.cast(pc.utf8_slice_codeunits(safe, 5, 7), pa.int64())
    year = pc.cast(pc.utf8_slice_codeunits(safe, 0, 4), pa.int64())
    real = pc.and_(pc.equal(pc.day(moment), day), pc.equal(pc.month(moment), month))
    in_range = pc.and_(pc.greater_equal(year, _FIRST_YEAR), pc.less_equal(year, _LAST_YEAR))
    valid = _mask(pc.and_(pc.and_(shaped, real), in_range))
    invalid = ~empty & ~valid
    values = pc.if_else(pa.array(valid), moment, pa.scalar(None, pa.timestamp("s")))
    return pc.cast(values, pa.timestamp("ns")), empty, invalid


def _parse_typed(
    column: pa.ChunkedArray, logical: str, name: str, path: Path, extract_name: str
) -> tuple[pa.Array | pa.ChunkedArray, np.ndarray, np.ndarray]:
    """Parquet columns stored with a type of their own: accept the natural types of the logical one."""
    kind = column.type
    empty = _mask(column.is_null())
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    if logical in ("float", "int") and numeric:
        return _numbers(column.cast(pa.float64()).to_numpy(zero_copy_only=False), empty, logical)
    if logical == "bool" and pa.types.is_boolean(kind):
        return column, empty, np.zeros(len(column), dtype=bool)
    if logical == "date" and (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            column = pc.local_timestamp(column)  # the date on the wall clock of the stated time zone
        elif pa.types.is_date(kind):
            column = column.cast(pa.timestamp("s"))
        moments = column.to_numpy(zero_copy_only=False)
        days = moments.astype("datetime64[D]")
        first, last = np.datetime64(f"{_FIRST_YEAR}-01-01"), np.datetime64(f"{_LAST_YEAR}-12-31")
        invalid = ~empty & ((moments != days) | (days < first) | (days > last))
        values = np.where(empty | invalid, np.datetime64("NaT"), days).astype("datetime64[ns]")
        return pa.array(values, type=pa.timestamp("ns"), from_pandas=True), empty, invalid
    raise ExtractError(
        f"{extract_name} extract {path}: column {name!r} is stored as Parquet type {kind}, "
        f"which cannot hold the contract type {logical!r}; store it as that type or as text"
    )
