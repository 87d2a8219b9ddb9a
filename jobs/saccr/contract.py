"""The extract contract (README, "Extract contract") and the engine's output columns.

Column names here are the contract users deliver to; the README documents types, units and sign
conventions. Nothing here is an SA-CCR quantity: the engine derives every one of those itself.
"""

from __future__ import annotations

from typing import Final

# OTHER: the "other risks" category of CRR Art. 277(1)(f); regimes without it reject such trades.
ASSET_CLASSES: Final = ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY", "OTHER")
DIRECTIONS: Final = ("LONG", "SHORT")
OPTION_TYPES: Final = ("CALL", "PUT")
# Single-name credit quality: a rating (the CRE52.72 scale), an EU credit quality step (CRR Art. 280c(5)
# Table 3) or a US grade (12 CFR 217.132 Table 3: investment, speculative, sub-speculative). Each regime
# file says which of these codes it accepts and the grade each maps to ([credit.single_name_grade]).
CREDIT_RATINGS: Final = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
CREDIT_QUALITY_STEPS: Final = ("CQS1", "CQS2", "CQS3", "CQS4", "CQS5", "CQS6")
US_CREDIT_GRADES: Final = ("IG", "SG", "SSG")
CREDIT_QUALITIES_SINGLE_NAME: Final = CREDIT_RATINGS + CREDIT_QUALITY_STEPS + US_CREDIT_GRADES
CREDIT_QUALITIES_INDEX: Final = ("IG", "SG")
COMMODITY_TYPES: Final = ("ELECTRICITY", "OIL_GAS", "METALS", "AGRICULTURAL", "CLIMATIC", "OTHER")
# Counterparty of a netting set, for the alpha of regimes that set it by counterparty (empty = FINANCIAL).
COUNTERPARTY_TYPES: Final = ("FINANCIAL", "NON_FINANCIAL", "COMMERCIAL_END_USER", "PENSION_SCHEME", "CCP")
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
    "trade_date": "date",
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
    "counterparty_type": "str",
    "cva_exempt": "bool",
    "vm_cash_eligible": "bool",
    "ccp_leg_exempt": "bool",
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
            "trade_date",
        }
    ),
    "valuations": frozenset(),
    "collateral": frozenset(
        {
            "counterparty_id",
            "mpor_override_days",
            "counterparty_type",
            "cva_exempt",
            "vm_cash_eligible",
            "ccp_leg_exempt",
        }
    ),
    "market_data": frozenset(),
}

# Columns added after the first version of the contract: an extract may leave them out altogether, which
# reads as every value empty (each column's conservative default, README "Input contract").
ADDED_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "trades": ("trade_date",),
    "valuations": (),
    "collateral": ("counterparty_type", "cva_exempt", "vm_cash_eligible", "ccp_leg_exempt"),
    "market_data": (),
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
    "counterparty_type",
    "legal_entity",
    "calculation_method",
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
    "addon_other",
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
    "alpha_applied",
    "alpha_reason",
    "lr_rc",
    "lr_pfe",
    "lr_exposure",
    "trade_count",
    "rejected_trade_count",
    "complete",
    "regime",
    "parameter_version",
)
# Per legal entity: the method it uses and the size test of CRR Art. 273a (amounts in the reporting currency).
LEGAL_ENTITY_RESULT_COLUMNS: Final = (
    "as_of_date",
    "legal_entity",
    "calculation_method",
    "netting_set_count",
    "trade_count",
    "derivative_business_size",
    "total_assets",
    "share_of_total_assets",
    "simplified_max_amount",
    "oem_max_amount",
    "simplified_eligible",
    "oem_eligible",
    "regime",
    "parameter_version",
)
