"""The expectation suites in expectations/ as data, and every rule in them as a Spark row predicate.

One JSON file per extract holds a Great Expectations suite (`expectations`) plus, in `meta.spark_checks`, the
rules GX has no expectation for (cross-extract lookups, window rules). Each rule carries `meta.rule` (the
engine's rule vocabulary: required, not_a_number, enumeration, date_order, ...), a message and a severity
(critical rules quarantine a row; warning and info are reported only).

:func:`unexpected` turns a rule into the Spark Column that is true on the rows breaking it. For GX
expectations it is derived from the expectation type and kwargs, with the row condition translated by GX's own
Spark engine, so the quarantine split cannot drift from the suite; :mod:`quality.validation` checks on
every run that GX's unexpected counts equal the predicates' counts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saccr.contract import EXTRACTS
from saccr_pipeline.config.limits import limits_path, load_limits
from saccr_pipeline.config.regimes import REPO_ROOT
from saccr_pipeline.config.settings import DEFAULT_IDENTIFIER_PATTERN
from saccr_pipeline.errors import DataQualityError

if TYPE_CHECKING:
    from pyspark.sql import Column

SEVERITIES = ("critical", "warning", "info")
# Lookups of "passed" rows read extracts evaluated before: FX rates first, trades last.
EVALUATION_ORDER = ("market_data", "collateral", "valuations", "trades")
TYPED_SUFFIX = "__typed"
LIMIT = re.compile(r"\{limit:([A-Za-z0-9_]+\.[A-Za-z0-9_]+)\}")  # a hard limit named in a spark check


@dataclass(frozen=True)
class Lookup:
    """Columns of another extract joined to each row: `on` pairs (this column, other column)."""

    extract: str
    rows: str  # "passed" (rows that broke no critical rule) | "delivered" (every row)
    on: tuple[tuple[str, str], ...]
    where: str | None  # Spark SQL filter on the other extract's rows
    columns: tuple[tuple[str, str], ...]  # (other column, alias)


@dataclass(frozen=True)
class Rule:
    """One expectation or Spark check of a suite."""

    extract: str
    index: int  # position: GX expectations first, then spark checks
    rule: str
    column: str  # the contract column reported (quarantine `field`)
    severity: str
    message: str
    expectation: str  # GX expectation type, or "spark_check"
    kwargs: Mapping[str, Any]  # GX kwargs, or the check's definition
    source: str  # "gx" | "spark"

    @property
    def quarantines(self) -> bool:
        return self.severity == "critical"


@dataclass(frozen=True)
class Suite:
    extract: str
    document: Mapping[str, Any]  # the JSON file's content
    rules: tuple[Rule, ...]
    lookups: tuple[Lookup, ...]  # the joins the spark checks need, in order (same keys: one join)
    key: tuple[str, ...]  # columns naming a row in samples (trade_id, netting_set_id, kind + key)
    path: Path
    limits: tuple[str, ...] = ()  # the hard limits (conf/limits.toml) its spark checks name

    @property
    def gx_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.source == "gx")


def suite_dir() -> Path:
    """Folder of the suite files: $SACCR_EXPECTATIONS_DIR, else expectations/ in the repository."""
    return Path(os.environ.get("SACCR_EXPECTATIONS_DIR", REPO_ROOT / "expectations"))


def load_suites(directory: Path | None = None, limits: Mapping[str, float] | None = None) -> dict[str, Suite]:
    """Every extract's suite, in evaluation order, with the hard limits of conf/limits.toml (`limits`)
    filled in; raises DataQualityError naming the file and problem, or a limit no suite uses."""
    limits = load_limits() if limits is None else limits
    suites = {extract: load_suite(extract, directory, limits) for extract in EVALUATION_ORDER}
    used = {key for s in suites.values() for key in s.limits}
    if unused := sorted(set(limits) - used):
        raise DataQualityError(
            f"hard limits {unused} of {limits_path()} are used by no suite: name each in a spark check "
            "as {limit:<extract>.<name>}, or remove it"
        )
    return suites


def load_suite(
    extract: str, directory: Path | None = None, limits: Mapping[str, float] | None = None
) -> Suite:
    """expectations/<extract>.json, checked: known types, severities, columns, lookups and hard limits."""
    path = (directory or suite_dir()) / f"{extract}.json"
    limits = load_limits() if limits is None else limits
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataQualityError(f"suite file {path} cannot be read: {exc}") from exc
    meta = document.get("meta") or {}
    rules = [_gx_rule(extract, i, e, path) for i, e in enumerate(document.get("expectations", []))]
    checks = meta.get("spark_checks", [])
    named = tuple(sorted({key for c in checks for key in LIMIT.findall(json.dumps(c))}))
    checks = [_with_limits(c, limits, path, len(rules) + i) for i, c in enumerate(checks)]
    rules += [_spark_rule(extract, len(rules) + i, c, path) for i, c in enumerate(checks)]
    lookups: dict[tuple[Any, ...], Lookup] = {}  # one join per other extract, rows, keys and filter
    for check in checks:
        for raw in check.get("lookups", []):
            lookup = _lookup(extract, raw, path)
            same = (lookup.extract, lookup.rows, lookup.on, lookup.where)
            if same in lookups:
                merged = lookups[same].columns + tuple(
                    c for c in lookup.columns if c not in lookups[same].columns
                )
                lookup = Lookup(lookup.extract, lookup.rows, lookup.on, lookup.where, merged)
            lookups[same] = lookup
    _check_aliases(extract, list(lookups.values()), path)
    key = tuple(meta.get("key") or ())
    if not key or any(k not in EXTRACTS[extract] for k in key):
        raise DataQualityError(f"{path}: meta.key must name columns of {extract}, got {key}")
    return Suite(extract, document, tuple(rules), tuple(lookups.values()), key, path, named)


def _with_limits(check: Mapping[str, Any], limits: Mapping[str, float], path: Path, index: int) -> dict:
    """The spark check with each `{limit:<extract>.<name>}` replaced by the limit: a double literal in
    `unexpected_when`, the number in `message`."""

    def filled(text: str, sql: bool) -> str:
        def value(found: re.Match[str]) -> str:
            key = found.group(1)
            if key not in limits:
                raise DataQualityError(
                    f"{path}: rule {index} names hard limit {key!r}, not in {limits_path()}"
                )
            return f"CAST('{limits[key]!r}' AS DOUBLE)" if sql else f"{limits[key]:g}"

        return LIMIT.sub(value, text)

    out = dict(check)
    for name, sql in (("unexpected_when", True), ("message", False)):
        if isinstance(out.get(name), str):
            out[name] = filled(out[name], sql)
    return out


def _gx_rule(extract: str, index: int, e: Mapping[str, Any], path: Path) -> Rule:
    kind, kwargs, meta = e.get("type"), e.get("kwargs") or {}, e.get("meta") or {}
    if kind not in _PREDICATES:
        raise DataQualityError(
            f"{path}: expectation {index} has type {kind!r}; supported: {sorted(_PREDICATES)}"
        )
    columns = _columns_of(kwargs)
    known = set(frame_columns(extract))
    if unknown := [c for c in columns if c not in known]:
        raise DataQualityError(f"{path}: expectation {index} ({kind}) names unknown column(s) {unknown}")
    column = meta.get("column") or columns[0].removesuffix(TYPED_SUFFIX)
    rule, message = _required(meta, "rule", path, index), _required(meta, "message", path, index)
    severity = _severity(e.get("severity"), path, index)
    return Rule(extract, index, rule, column, severity, message, kind, kwargs, "gx")


def _spark_rule(extract: str, index: int, check: Mapping[str, Any], path: Path) -> Rule:
    for name in ("rule", "column", "message", "unexpected_when"):
        _required(check, name, path, index)
    # A batch validates several dates at once: a window must stay within one date.
    text = check["unexpected_when"]
    windows = re.findall(r"\bOVER\s*\(\s*PARTITION\s+BY\s+([^)]*)\)", text, re.I)
    overs = re.findall(r"\bOVER\b", text, re.I)
    if len(windows) != len(overs) or any(w.split(",")[0].strip() != "as_of_date" for w in windows):
        raise DataQualityError(
            f"{path}: rule {index} uses a window: it must start with PARTITION BY as_of_date, ... "
            "(a batch validates several dates at once)"
        )
    return Rule(
        extract, index, check["rule"], check["column"], _severity(check.get("severity"), path, index),
        check["message"], "spark_check", check, "spark",
    )  # fmt: skip


def _lookup(extract: str, raw: Mapping[str, Any], path: Path) -> Lookup:
    other, rows = raw.get("extract"), raw.get("rows")
    if other not in EXTRACTS or rows not in ("passed", "delivered"):
        raise DataQualityError(f"{path}: lookup {raw} needs a known extract and rows 'passed' or 'delivered'")
    if rows == "passed" and EVALUATION_ORDER.index(other) >= EVALUATION_ORDER.index(extract):
        raise DataQualityError(
            f"{path}: lookup of passed {other} rows from {extract}: {other} is validated after {extract} "
            f"(order {EVALUATION_ORDER}); use rows 'delivered'"
        )
    on, columns = tuple((raw.get("on") or {}).items()), tuple((raw.get("columns") or {}).items())
    if not on or not columns:
        raise DataQualityError(f"{path}: lookup {raw} needs 'on' and 'columns'")
    return Lookup(other, rows, on, raw.get("where"), columns)


def _check_aliases(extract: str, lookups: list[Lookup], path: Path) -> None:
    aliases = [alias for lookup in lookups for _, alias in lookup.columns]
    taken = set(frame_columns(extract))
    if len(aliases) != len(set(aliases)) or taken & set(aliases):
        raise DataQualityError(f"{path}: lookup aliases must be unique and new column names, got {aliases}")


def _required(meta: Mapping[str, Any], name: str, path: Path, index: int) -> str:
    value = meta.get(name)
    if not isinstance(value, str) or not value:
        raise DataQualityError(f"{path}: rule {index} needs a non-empty {name!r}")
    return value


def _severity(value: object, path: Path, index: int) -> str:
    if value not in SEVERITIES:
        raise DataQualityError(f"{path}: rule {index} has severity {value!r}; expected one of {SEVERITIES}")
    return str(value)


def _columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return list(kwargs["column_list"])


def typed_columns(extract: str) -> list[str]:
    """The contract columns that get a `<column>__typed` copy (every one that is not text)."""
    return [c for c, logical in EXTRACTS[extract].items() if logical != "str"]


def frame_columns(extract: str) -> list[str]:
    """Columns of the frame the suite of `extract` validates (see quality.dq_frame)."""
    return [
        "as_of_date", "source_file", "source_row", *EXTRACTS[extract], "malformed_record",
        *(c + TYPED_SUFFIX for c in typed_columns(extract)),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------ predicates


def unexpected(
    rule: Rule, reporting_currency: str, identifier_pattern: str = DEFAULT_IDENTIFIER_PATTERN
) -> Column:
    """True on the rows that break `rule` (never null). Spark checks may reference lookup aliases, and
    `{reporting_currency}` and `{identifier_pattern}` (settings), filled in as SQL string literals."""
    from pyspark.sql import functions as F

    if rule.source == "spark":
        sql = (
            rule.kwargs["unexpected_when"]
            .replace("{reporting_currency}", sql_string(reporting_currency))
            .replace("{identifier_pattern}", sql_string(identifier_pattern))
        )
        return F.coalesce(F.expr(sql), F.lit(False))
    kwargs = rule.kwargs
    broken = _PREDICATES[rule.expectation](kwargs)
    domain = row_domain(kwargs.get("row_condition"))
    return F.coalesce(domain & broken, F.lit(False))


def sql_string(text: str) -> str:
    """`text` as a Spark SQL string literal (backslashes and quotes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def row_domain(condition: Mapping[str, Any] | str | None) -> Column:
    """The rows an expectation applies to: its row_condition, translated to Spark SQL by GX's Spark engine
    (the filter GX applies itself); rows where the condition is null are outside, as in DataFrame.filter."""
    from pyspark.sql import functions as F

    if not condition:
        return F.lit(True)
    return F.coalesce(F.expr(condition_sql(condition)), F.lit(False))


def condition_sql(condition: Mapping[str, Any] | str) -> str:
    """A GX row condition (Condition JSON, or a legacy Spark SQL string) as Spark SQL."""
    from great_expectations.execution_engine import SparkDFExecutionEngine
    from great_expectations.expectations.row_conditions import PassThroughCondition, deserialize_row_condition

    parsed = deserialize_row_condition(condition)
    if isinstance(parsed, str):
        return parsed
    if isinstance(parsed, PassThroughCondition):
        return parsed.pass_through_filter
    # condition_to_filter_clause only formats the condition; it needs no Spark session or engine state.
    engine = SparkDFExecutionEngine.__new__(SparkDFExecutionEngine)
    return engine.condition_to_filter_clause(parsed)


def _col(name: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(f"`{name}`")


def _not_null(kw: Mapping[str, Any]) -> Column:
    return _col(kw["column"]).isNull()


def _null(kw: Mapping[str, Any]) -> Column:
    return _col(kw["column"]).isNotNull()


def _regex(kw: Mapping[str, Any]) -> Column:
    c = _col(kw["column"])
    return c.isNotNull() & ~c.rlike(kw["regex"])


def _in_set(kw: Mapping[str, Any]) -> Column:
    c = _col(kw["column"])
    return c.isNotNull() & ~c.isin(list(kw["value_set"]))


def _between(kw: Mapping[str, Any]) -> Column:
    from pyspark.sql import functions as F

    c = _col(kw["column"])
    ok = F.lit(True)
    if kw.get("min_value") is not None:
        low = F.lit(kw["min_value"])
        ok = ok & ((c > low) if kw.get("strict_min") else (c >= low))
    if kw.get("max_value") is not None:
        high = F.lit(kw["max_value"])
        ok = ok & ((c < high) if kw.get("strict_max") else (c <= high))
    return c.isNotNull() & ~ok


def _a_greater_than_b(kw: Mapping[str, Any]) -> Column:
    a, b = _col(kw["column_A"]), _col(kw["column_B"])
    ok = ((a >= b) | a.eqNullSafe(b)) if kw.get("or_equal") else (a > b)
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    if ignore == "either_value_is_missing":
        considered = a.isNotNull() & b.isNotNull()
    elif ignore == "both_values_are_missing":
        considered = a.isNotNull() | b.isNotNull()
    else:
        raise DataQualityError(
            f"ignore_row_if {ignore!r} is not supported; use either/both_values_are_missing"
        )
    return considered & ~ok


def _unique(kw: Mapping[str, Any]) -> Column:
    return _duplicated([kw["column"]], kw.get("row_condition"), any_null_ignored=True)


def _compound_unique(kw: Mapping[str, Any]) -> Column:
    if kw.get("ignore_row_if") != "any_value_is_missing":
        raise DataQualityError(
            "expect_compound_columns_to_be_unique needs ignore_row_if any_value_is_missing (uniqueness is "
            "checked within each as-of date, quality.gx.within_date)"
        )
    return _duplicated(list(kw["column_list"]), kw.get("row_condition"), any_null_ignored=True)


def _duplicated(columns: list[str], condition: Any, any_null_ignored: bool) -> Column:
    """Rows whose value (tuple) appears on more than one row of the expectation's domain of the same as-of
    date (a batch validates several dates at once)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cols = [_col(c) for c in columns]
    if any_null_ignored:
        considered = F.lit(True)
        for c in cols:
            considered = considered & c.isNotNull()
    else:
        considered = F.lit(False)
        for c in cols:
            considered = considered | c.isNotNull()
    counted = row_domain(condition) & considered
    same = F.sum(F.when(counted, 1).otherwise(0)).over(Window.partitionBy(F.col("as_of_date"), *cols))
    return counted & (same > 1)


_PREDICATES: dict[str, Callable[[Mapping[str, Any]], Column]] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_null": _null,
    "expect_column_values_to_match_regex": _regex,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_pair_values_a_to_be_greater_than_b": _a_greater_than_b,
    "expect_column_values_to_be_unique": _unique,
    "expect_compound_columns_to_be_unique": _compound_unique,
}
