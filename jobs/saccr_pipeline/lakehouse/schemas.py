"""Explicit Spark schemas of every lakehouse table (docs/architecture.md), derived from the extract contract
and the engine's output columns in `saccr.contract`, so a contract change shows up here and in the tests.

Layers: bronze keeps each extract's values as delivered (text), silver holds them typed per the contract plus
reporting-currency conversions, gold holds the engine's results and the marts, audit holds run_log, quarantine
and dq_results. Every table is partitioned by `as_of_date` and carries it first; `netting_set_id` comes early
where it exists, so Delta's data skipping indexes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from saccr.contract import (
    EXTRACTS,
    HEDGING_SET_RESULT_COLUMNS,
    NETTING_SET_RESULT_COLUMNS,
    REJECTED_COLUMNS,
    TRADE_RESULT_COLUMNS,
)

# Contract logical type -> Spark type of the typed (silver) column.
LOGICAL_TYPES: Mapping[str, DataType] = {
    "str": StringType(),
    "float": DoubleType(),
    "date": DateType(),
    "bool": BooleanType(),
    "int": LongType(),
}
# Engine output columns that are not doubles; every other output column is a double (amounts, years, factors).
OUTPUT_TYPES: Mapping[str, DataType] = {
    "as_of_date": DateType(),
    "netting_set_id": StringType(),
    "trade_id": StringType(),
    "counterparty_id": StringType(),
    "counterparty_type": StringType(),
    "legal_entity": StringType(),
    "calculation_method": StringType(),
    "asset_class": StringType(),
    "hedging_set": StringType(),
    "hedging_set_kind": StringType(),
    "risk_key": StringType(),
    "ir_bucket": IntegerType(),
    "margined": BooleanType(),
    "cleared": BooleanType(),
    "mpor_rule": StringType(),
    "cap_binding": BooleanType(),
    "alpha_reason": StringType(),
    "trade_count": LongType(),
    "netting_set_count": LongType(),
    "simplified_eligible": BooleanType(),
    "oem_eligible": BooleanType(),
    "rejected_trade_count": LongType(),
    "complete": BooleanType(),
    "regime": StringType(),
    "parameter_version": StringType(),
    "extract": StringType(),
    "field": StringType(),
    "rule": StringType(),
    "message": StringType(),
}
# Engine outputs and the gold tables holding them.
ENGINE_OUTPUTS: Mapping[str, tuple[str, ...]] = {
    "saccr_trade": TRADE_RESULT_COLUMNS,
    "saccr_hedging_set": HEDGING_SET_RESULT_COLUMNS,
    "saccr_netting_set": NETTING_SET_RESULT_COLUMNS,
}
# Silver-only columns: amounts converted to the reporting currency with the date's FX rates (null: no rate).
COLLATERAL_AMOUNTS = (
    "vm_received", "vm_posted", "ia_received", "ia_posted_unsegregated", "ia_posted_segregated",
    "threshold", "mta",
)  # fmt: skip
SILVER_EXTRA: Mapping[str, tuple[tuple[str, DataType], ...]] = {
    "trades": (("fx_rate_notional", DoubleType()), ("notional_reporting", DoubleType())),
    "valuations": (
        ("netting_set_id", StringType()),  # the trade's netting set (null when no silver trade has the id)
        ("fx_rate_mtm", DoubleType()),
        ("mtm_reporting", DoubleType()),
    ),
    "collateral": (("fx_rate", DoubleType()),)
    + tuple((f"{a}_reporting", DoubleType()) for a in COLLATERAL_AMOUNTS),
    "market_data": (),
}


def _struct(fields: Iterable[tuple[str, DataType] | tuple[str, DataType, bool]]) -> StructType:
    return StructType([StructField(f[0], f[1], f[2] if len(f) == 3 else True) for f in fields])


def _key(name: str, kind: DataType) -> tuple[str, DataType, bool]:
    return (name, kind, False)


def bronze_schema(extract: str) -> StructType:
    """bronze/<extract>: every contract column as delivered (text; null when empty), plus lineage.

    `source_row` numbers the rows of one load; `malformed_record` holds a CSV line that did not split into the
    header's columns (its other columns are then unreliable)."""
    return _struct(
        [
            _key("as_of_date", DateType()),
            _key("source_file", StringType()),
            _key("source_row", LongType()),
            _key("load_time", TimestampType()),
            *((name, StringType()) for name in EXTRACTS[extract]),
            ("malformed_record", StringType()),
        ]
    )


def silver_schema(extract: str) -> StructType:
    """silver/<extract>: contract columns typed, lineage to the bronze row, reporting-currency conversions."""
    return _struct(
        [
            _key("as_of_date", DateType()),
            _key("run_id", StringType()),
            _key("source_file", StringType()),
            _key("source_row", LongType()),
            *((name, LOGICAL_TYPES[kind]) for name, kind in EXTRACTS[extract].items()),
            *SILVER_EXTRA[extract],
        ]
    )


def output_type(column: str) -> DataType:
    """Spark type of one engine output column."""
    return OUTPUT_TYPES.get(column, DoubleType())


def gold_result_schema(table: str) -> StructType:
    """gold/saccr_trade | saccr_hedging_set | saccr_netting_set: the engine's columns plus run_id."""
    columns = ENGINE_OUTPUTS[table]
    return _struct(
        [
            _key("as_of_date", DateType()),
            *((c, output_type(c)) for c in columns if c != "as_of_date"),
            _key("run_id", StringType()),
        ]
    )


QUARANTINE_SCHEMA = _struct(
    [
        _key("as_of_date", DateType()),
        _key("run_id", StringType()),
        _key("stage", StringType()),  # validate (bronze -> silver) | compute (the engine's rules)
        *(
            (c, StringType()) for c in REJECTED_COLUMNS
        ),  # extract, trade_id, netting_set_id, field, rule, message
        ("source_file", StringType()),
        ("source_row", LongType()),  # with source_file: the bronze row (validate stage)
        ("record", StringType()),  # the row as delivered, JSON (validate stage)
        ("quarantined_at", TimestampType()),
    ]
)

RUN_LOG_SCHEMA = _struct(
    [
        _key("as_of_date", DateType()),
        _key("run_id", StringType()),
        _key("step", StringType()),  # ingest | validate | compute | publish | marts | run (the whole date)
        _key("status", StringType()),  # running (a run's lease) | success | failed | abandoned (a dead run)
        ("started_at", TimestampType()),
        ("ended_at", TimestampType()),
        ("seconds", DoubleType()),
        ("regime", StringType()),
        ("parameter_version", StringType()),
        ("reporting_currency", StringType()),
        ("code_version", StringType()),
        ("options", StringType()),  # JSON: engine options, bucket count, Spark master
        ("input_versions", MapType(StringType(), LongType())),  # "<layer>/<table>" -> Delta version read
        ("output_versions", MapType(StringType(), LongType())),  # "<layer>/<table>" -> Delta version written
        ("counts", MapType(StringType(), LongType())),
        ("step_seconds", MapType(StringType(), DoubleType())),
        ("error", StringType()),
        ("logged_at", TimestampType()),
    ]
)

# Filled by the Great Expectations suites (issue 4); created empty now so readers and the DAG can rely on it.
DQ_RESULTS_SCHEMA = _struct(
    [
        _key("as_of_date", DateType()),
        _key("run_id", StringType()),
        ("extract", StringType()),
        ("suite", StringType()),  # expectations/<suite>.json
        ("expectation", StringType()),  # GX expectation type | spark_check | rejected_share
        ("rule", StringType()),  # meta.rule: required, not_a_number, date_order, ...
        ("column", StringType()),
        ("severity", StringType()),  # critical (quarantines) | warning | info
        ("source", StringType()),  # gx | spark
        ("success", BooleanType()),
        ("element_count", LongType()),
        ("unexpected_count", LongType()),
        ("unexpected_percent", DoubleType()),
        ("failing_keys", ArrayType(StringType())),  # up to quality.SAMPLE_SIZE keys of failing rows
        ("details", StringType()),  # JSON: kwargs, message, GX's other observations
        ("evaluated_at", TimestampType()),
    ]
)

_TOTALS = (
    ("netting_set_count", LongType()),
    ("incomplete_netting_set_count", LongType()),
    ("trade_count", LongType()),
    ("v", DoubleType()),
    ("c", DoubleType()),
    ("rc", DoubleType()),
    ("pfe", DoubleType()),
    ("addon_aggregate", DoubleType()),
    ("ead", DoubleType()),
)
MART_SCHEMAS: Mapping[str, StructType] = {
    "mart_counterparty": _struct(
        [_key("as_of_date", DateType()), ("counterparty_id", StringType()), ("legal_entity", StringType()),
         *_TOTALS, _key("run_id", StringType())]
    ),
    "mart_legal_entity": _struct(
        [_key("as_of_date", DateType()), ("legal_entity", StringType()), ("counterparty_count", LongType()),
         *_TOTALS, _key("run_id", StringType())]
    ),
    "mart_asset_class": _struct(
        [_key("as_of_date", DateType()), ("asset_class", StringType()), ("netting_set_count", LongType()),
         ("hedging_set_count", LongType()), ("trade_count", LongType()), ("addon", DoubleType()),
         ("addon_unmargined", DoubleType()), _key("run_id", StringType())]
    ),
    "mart_ead_movement": _struct(
        [_key("as_of_date", DateType()), ("netting_set_id", StringType()),
         ("previous_as_of_date", DateType()),
         ("counterparty_id", StringType()), ("movement", StringType()),  # NEW | MATURED | CONTINUING
         ("ead_previous", DoubleType()), ("ead", DoubleType()), ("ead_change", DoubleType()),
         ("ead_change_rc", DoubleType()), ("ead_change_pfe", DoubleType()),
         ("rc_previous", DoubleType()), ("rc", DoubleType()),
         ("pfe_previous", DoubleType()), ("pfe", DoubleType()),
         _key("run_id", StringType()), ("previous_run_id", StringType())]
    ),
}  # fmt: skip
