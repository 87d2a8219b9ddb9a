"""The extract contract (README, "Extract contract") and the engine's output columns.

Column names here are the contract users deliver to; the README documents types, units and sign
conventions. Nothing here is an SA-CCR quantity: the engine derives every one of those itself.
"""

from __future__ import annotations

from typing import Final

ASSET_CLASSES: Final = ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY")
DIRECTIONS: Final = ("LONG", "SHORT")
OPTION_TYPES: Final = ("CALL", "PUT")
CREDIT_QUALITIES_SINGLE_NAME: Final = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
CREDIT_QUALITIES_INDEX: Final = ("IG", "SG")
COMMODITY_TYPES: Final = ("ELECTRICITY", "OIL_GAS", "METALS", "AGRICULTURAL", "OTHER")
MARKET_DATA_KINDS: Final = ("FX", "PRICE")

# column -> logical type: "str", "float", "date", "bool", "int"
TRADE_COLUMNS: Final[dict[str, str]] = {
    "trade_id": "str",
    "netting_set_id": "str",
    "asset_class": "str",
    "product": "str",
    "direction": "str",
    "notional": "float",
    "notional_currency": "str",
    "notional_2": "float",
    "currency_2": "str",
    "start_date": "date",
    "end_date": "date",
    "maturity_date": "date",
    "reference_entity": "str",
    "credit_quality": "str",
    "is_index": "bool",
    "commodity_type": "str",
    "commodity": "str",
    "option_type": "str",
    "exercise_date": "date",
    "strike": "float",
    "underlying_id": "str",
    "attachment": "float",
    "detachment": "float",
    "basis_key": "str",
    "is_volatility": "bool",
    "quantity": "float",
}
VALUATION_COLUMNS: Final[dict[str, str]] = {
    "trade_id": "str",
    "mtm": "float",
    "mtm_currency": "str",
}
COLLATERAL_COLUMNS: Final[dict[str, str]] = {
    "netting_set_id": "str",
    "counterparty_id": "str",
    "legal_entity": "str",
    "margined": "bool",
    "cleared": "bool",
    "currency": "str",
    "vm_received": "float",
    "vm_posted": "float",
    "ia_received": "float",
    "ia_posted_unsegregated": "float",
    "ia_posted_segregated": "float",
    "threshold": "float",
    "mta": "float",
    "remargin_period_days": "int",
    "disputes": "int",
    "illiquid_collateral": "bool",
    "hard_to_replace": "bool",
    "mpor_override_days": "int",
}
MARKET_DATA_COLUMNS: Final[dict[str, str]] = {
    "kind": "str",
    "key": "str",
    "value": "float",
}
EXTRACTS: Final[dict[str, dict[str, str]]] = {
    "trades": TRADE_COLUMNS,
    "valuations": VALUATION_COLUMNS,
    "collateral": COLLATERAL_COLUMNS,
    "market_data": MARKET_DATA_COLUMNS,
}
# Columns that may be empty in every row (their need depends on the product; see validation.py).
OPTIONAL_COLUMNS: Final[dict[str, frozenset[str]]] = {
    "trades": frozenset(
        {
            "product",
            "notional_2",
            "currency_2",
            "start_date",
            "end_date",
            "reference_entity",
            "credit_quality",
            "is_index",
            "commodity_type",
            "commodity",
            "option_type",
            "exercise_date",
            "strike",
            "underlying_id",
            "attachment",
            "detachment",
            "basis_key",
            "is_volatility",
            "quantity",
        }
    ),
    "valuations": frozenset(),
    "collateral": frozenset({"counterparty_id", "mpor_override_days"}),
    "market_data": frozenset(),
}

REJECTED_COLUMNS: Final = ("extract", "trade_id", "netting_set_id", "field", "rule", "message")

# Engine outputs (README, "Outputs"); the pipeline adds run_id. Amounts in the reporting currency.
TRADE_RESULT_COLUMNS: Final = (
    "as_of_date",
    "netting_set_id",
    "trade_id",
    "asset_class",
    "hedging_set",
    "hedging_set_kind",
    "risk_key",
    "ir_bucket",
    "m",
    "s",
    "e",
    "t",
    "notional_reporting",
    "supervisory_duration",
    "adjusted_notional",
    "supervisory_delta",
    "supervisory_volatility",
    "supervisory_factor",
    "maturity_factor",
    "effective_notional",
    "maturity_factor_unmargined",
    "effective_notional_unmargined",
    "mtm",
)
HEDGING_SET_RESULT_COLUMNS: Final = (
    "as_of_date",
    "netting_set_id",
    "asset_class",
    "hedging_set",
    "hedging_set_kind",
    "supervisory_factor",
    "d_bucket_1",
    "d_bucket_2",
    "d_bucket_3",
    "effective_notional",
    "systematic",
    "idiosyncratic",
    "addon",
    "addon_unmargined",
    "trade_count",
)
NETTING_SET_RESULT_COLUMNS: Final = (
    "as_of_date",
    "netting_set_id",
    "counterparty_id",
    "legal_entity",
    "margined",
    "cleared",
    "v",
    "c",
    "nica",
    "th",
    "mta",
    "mpor_days",
    "mpor_rule",
    "rc",
    "addon_ir",
    "addon_fx",
    "addon_credit",
    "addon_equity",
    "addon_commodity",
    "addon_aggregate",
    "multiplier",
    "pfe",
    "ead_margined",
    "rc_unmargined",
    "addon_unmargined",
    "multiplier_unmargined",
    "ead_unmargined",
    "ead",
    "cap_binding",
    "trade_count",
    "rejected_trade_count",
    "complete",
    "regime",
    "parameter_version",
)
