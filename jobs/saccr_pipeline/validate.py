"""Validate: the rules between bronze and silver. Returns the rows that pass, typed per the contract, and one
quarantine row per (delivered row, rule broken) with the row as delivered; nothing is coerced or dropped
silently, so rows in = rows passed + rows quarantined.

This is the seam for the Great Expectations suites (issue 4): :func:`validate` is the one function the conform
step calls; the suites can run here on the bronze frame and add their failures to the quarantine.

Rules applied now:
- typing, as the extract reader does (saccr_pipeline.extracts): numbers, whole numbers, ISO dates, true/false,
  required values; a CSV line that does not split into the header's columns (`malformed_row`);
- rules the engine applies but cannot see once the netting sets are split over buckets, because they compare
  rows of different netting sets: a trade_id used twice, a reference entity with two credit qualities
  (CRE52.61), a valuation repeated or without a delivered trade, and the market-data rules (every bucket gets
  the whole market data). The engine applies them again, so a drift between the two shows up in quarantine.
Every other row rule is the engine's, inside the compute step, and its rejections land in quarantine too.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, NamedTuple

from saccr.contract import EXTRACTS, MARKET_DATA_KINDS, OPTIONAL_COLUMNS
from saccr_pipeline.extracts import FALSE_TEXT, TRUE_TEXT

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# rule and message ending for a value that does not parse as its logical type (as saccr_pipeline.extracts)
PARSE_RULES = {
    "float": ("not_a_number", "is not a finite number"),
    "int": ("not_an_integer", "is not a whole number"),
    "date": ("not_a_date", "is not an ISO date YYYY-MM-DD"),
    "bool": ("not_a_boolean", "is not true or false"),
}
LINEAGE = ("as_of_date", "source_file", "source_row")


@dataclass(frozen=True)
class ValidationContext:
    """What the rules of one extract need beyond its own rows."""

    as_of: dt.date
    run_id: str
    reporting_currency: str
    delivered_trade_ids: DataFrame | None = None  # column trade_id: every trade delivered (valuations' rule)


@dataclass(frozen=True)
class Validated:
    """`good`: lineage + typed contract columns of the rows that broke no rule. `quarantine`: one
    audit/quarantine row (stage validate) per rule a row broke. Both read `typed`, every delivered row typed
    with its failures, which stays cached until :meth:`release`."""

    good: DataFrame
    quarantine: DataFrame
    typed: DataFrame

    def release(self) -> None:
        """Drop the cached rows once both outputs are written."""
        self.typed.unpersist()


def validate(extract: str, bronze: DataFrame, ctx: ValidationContext) -> Validated:
    """Apply the contract rules of `extract` to one date's bronze rows (the typed rows are cached: the rules
    that compare rows and both outputs read them; call `release()` on the result when done)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    columns = EXTRACTS[extract]
    typed, failures = [], []
    for name, logical in columns.items():
        value, broken = _parse(name, logical, name not in OPTIONAL_COLUMNS[extract])
        typed.append(value.alias(f"_typed_{name}"))
        failures += broken
    failures.append(
        _failure(F.col("malformed_record").isNotNull(), "record", "malformed_row",
                 F.lit("the line does not split into the header's columns"))
    )  # fmt: skip
    parsed = bronze.select(
        *LINEAGE, *columns, "malformed_record", *typed, _collect(failures).alias("failures")
    ).persist(StorageLevel.MEMORY_AND_DISK)
    checked = _extract_rules(extract, parsed, ctx)
    good = checked.where(F.size("failures") == 0).select(
        *LINEAGE, *[F.col(f"_typed_{c}").alias(c) for c in columns]
    )
    quarantine = (
        checked.where(F.size("failures") > 0)
        .select(
            F.col("as_of_date"),
            F.lit(ctx.run_id).alias("run_id"),
            F.lit("validate").alias("stage"),
            F.lit(extract).alias("extract"),
            F.col("trade_id") if "trade_id" in columns else F.lit(None).cast("string").alias("trade_id"),
            F.col("netting_set_id")
            if "netting_set_id" in columns
            else F.lit(None).cast("string").alias("netting_set_id"),
            F.explode("failures").alias("failure"),
            F.col("source_file"),
            F.col("source_row"),
            F.to_json(F.struct(*columns, "malformed_record")).alias("record"),
            F.current_timestamp().alias("quarantined_at"),
        )
        .select("*", "failure.*")
        .drop("failure")
    )
    return Validated(good, quarantine, parsed)


class Failure(NamedTuple):
    """A rule on a row: where it is broken, and the (field, rule, message) struct it then adds."""

    condition: Column
    detail: Column


def _failure(condition: Column, field: str, rule: str, message: Column) -> Failure:
    from pyspark.sql import functions as F

    detail = F.struct(F.lit(field).alias("field"), F.lit(rule).alias("rule"), message.alias("message"))
    return Failure(condition, detail)


def _collect(failures: list[Failure]) -> Column:
    """The array of the broken rules' details; built only for rows that break one (most rows break none)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    detail_type = StructType([StructField(n, StringType()) for n in ("field", "rule", "message")])
    any_broken = reduce(operator.or_, (f.condition for f in failures))
    details = F.array(*(F.when(f.condition, f.detail) for f in failures))
    return F.when(any_broken, F.filter(details, lambda d: d.isNotNull())).otherwise(
        F.array().cast(ArrayType(detail_type))
    )


def _parse(name: str, logical: str, required: bool) -> tuple[Column, list[Failure]]:
    """(typed value, rules) of one text column; empty text is a missing value."""
    from pyspark.sql import functions as F

    raw = F.col(name)
    empty = raw.isNull() | (raw == "")
    broken = [_failure(empty, name, "required", F.lit(f"{name} is empty"))] if required else []
    if logical == "str":
        return F.when(~empty, raw), broken
    if logical in ("float", "int"):
        number = F.expr(f"try_cast(`{name}` AS DOUBLE)")
        invalid = ~empty & (number.isNull() | F.isnan(number) | (F.abs(number) == F.lit(float("inf"))))
        if logical == "int":
            # beyond 2^53 a double holds no exact whole number; far beyond any day count or dispute count
            invalid = invalid | (~empty & ((number != F.round(number)) | (F.abs(number) > F.lit(2.0**53))))
            value = F.when(~empty & ~invalid, number.cast("long"))
        else:
            value = F.when(~empty & ~invalid, number)
    elif logical == "date":
        day = F.expr(f"try_cast(`{name}` AS DATE)")
        invalid = ~empty & (
            ~raw.rlike(r"^\d{4}-\d{2}-\d{2}$") | day.isNull()
        )  # only the 10-character ISO form
        value = F.when(~empty & ~invalid, day)
    else:  # bool
        value = F.when(raw.isin(*TRUE_TEXT), F.lit(True)).when(raw.isin(*FALSE_TEXT), F.lit(False))
        invalid = ~empty & value.isNull()
    rule, ending = PARSE_RULES[logical]
    broken.append(_failure(invalid, name, rule, F.concat(F.lit(f"{name} '"), raw, F.lit(f"' {ending}"))))
    return value, broken


def _extract_rules(extract: str, parsed: DataFrame, ctx: ValidationContext) -> DataFrame:
    """Add the failures of the rules that compare rows (see the module docstring) to the rows that typed well.

    Each such rule finds its offending keys with a narrow aggregation (one or two columns shuffled, never the
    whole row), collects them (there are few, or the date is lost anyway) and flags the rows through a
    broadcast join."""
    from pyspark.sql import functions as F

    rules = {"trades": _trade_rules, "valuations": _valuation_rules, "market_data": _market_data_rules}
    if extract not in rules:
        return parsed
    columns = parsed.columns
    flagged, extra = rules[extract](parsed, ctx)
    return flagged.withColumn("failures", F.concat("failures", _collect(extra))).select(*columns)


def _typed_ok() -> Column:
    from pyspark.sql import functions as F

    return F.size("failures") == 0


def _flag(parsed: DataFrame, keys: DataFrame, flag: str) -> DataFrame:
    """`parsed` with a boolean column `flag`, true where its key columns (those of `keys`) are among `keys`;
    `keys` is collected to the driver and broadcast, so `parsed` is not shuffled."""
    from pyspark.sql import functions as F

    local = parsed.sparkSession.createDataFrame(keys.collect(), keys.schema).withColumn(flag, F.lit(True))
    joined = parsed.join(F.broadcast(local), keys.columns, "left")
    return joined.withColumn(flag, F.coalesce(F.col(flag), F.lit(False)))


def _repeated(parsed: DataFrame, *key: str) -> DataFrame:
    """Keys held by more than one row that typed well."""
    from pyspark.sql import functions as F

    return parsed.where(_typed_ok()).groupBy(*key).count().where(F.col("count") > 1).select(*key)


def _trade_rules(parsed: DataFrame, ctx: ValidationContext) -> tuple[DataFrame, list[Failure]]:
    from pyspark.sql import functions as F

    ok = _typed_ok()
    entity = (
        F.col("_typed_asset_class").isin("CREDIT", "EQUITY") & F.col("_typed_reference_entity").isNotNull()
    )
    inconsistent = (
        parsed.where(ok & entity)
        .groupBy("_typed_asset_class", "_typed_reference_entity")
        .agg(F.size(F.collect_set(F.struct("_typed_credit_quality", "_typed_is_index"))).alias("varieties"))
        .where(F.col("varieties") > 1)
        .drop("varieties")
    )
    flagged = _flag(_flag(parsed, _repeated(parsed, "_typed_trade_id"), "_dup"), inconsistent, "_entity")
    return flagged, [
        _failure(ok & F.col("_dup"), "trade_id", "duplicate_key", F.lit("trade_id appears more than once")),
        _failure(ok & entity & F.col("_entity"), "reference_entity", "inconsistent_entity",
                 F.lit("the same reference_entity has different credit_quality or is_index values")),
    ]  # fmt: skip


def _valuation_rules(parsed: DataFrame, ctx: ValidationContext) -> tuple[DataFrame, list[Failure]]:
    from pyspark.sql import functions as F

    ok = _typed_ok()
    flagged = _flag(parsed, _repeated(parsed, "_typed_trade_id"), "_dup")
    rules = [
        _failure(
            ok & F.col("_dup"), "trade_id", "duplicate_key", F.lit("more than one valuation for this trade")
        )
    ]
    if ctx.delivered_trade_ids is not None:
        delivered = ctx.delivered_trade_ids.select(F.col("trade_id").alias("_typed_trade_id"))
        unknown = parsed.where(ok).select("_typed_trade_id").join(delivered, "_typed_trade_id", "left_anti")
        flagged = _flag(flagged, unknown.distinct(), "_orphan")
        rules.append(
            _failure(
                ok & F.col("_orphan"),
                "trade_id",
                "valuation_without_trade",
                F.lit("no trade with this trade_id"),
            )
        )
    return flagged, rules


def _market_data_rules(parsed: DataFrame, ctx: ValidationContext) -> tuple[DataFrame, list[Failure]]:
    """The engine's market-data rules (saccr.validation.validate_market_data), stated here once more because
    every bucket gets the whole market data: its rejections must be found once, before the engine."""
    from pyspark.sql import functions as F

    ok = _typed_ok()
    kind, key, value = F.col("_typed_kind"), F.col("_typed_key"), F.col("_typed_value")
    ccy = ctx.reporting_currency
    flagged = _flag(parsed, _repeated(parsed, "_typed_kind", "_typed_key"), "_dup")
    return flagged, [
        _failure(ok & ~kind.isin(*MARKET_DATA_KINDS), "kind", "enumeration",
                 F.lit("kind must be FX or PRICE")),
        _failure(ok & (kind == "FX") & ~(value > 0), "value", "fx_rate_positive",
                 F.lit("FX rate must be > 0")),
        _failure(ok & (kind == "FX") & (key == ccy) & (value != 1.0), "value", "reporting_currency_rate",
                 F.lit(f"the FX rate of the reporting currency {ccy} must be 1")),
        _failure(ok & F.col("_dup"), "key", "duplicate_key",
                 F.lit("more than one market-data row for this kind and key")),
    ]  # fmt: skip
