"""Supervisory parameters of one regime, as frozen and validated objects.

The values live in `conf/regimes/<regime>.toml` (data, not code); `saccr_pipeline.config.regimes` reads the
file and calls :func:`SupervisoryParameters.from_mapping`, which checks every field once at start-up.
A missing, unknown or malformed parameter raises :class:`ParameterError` naming its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from saccr.contract import COMMODITY_TYPES, CREDIT_QUALITIES_INDEX, CREDIT_QUALITIES_SINGLE_NAME
from saccr.errors import ParameterError

COMMODITY_HEDGING_SETS = ("ENERGY", "METALS", "AGRICULTURAL", "OTHER")  # CRE52.45(5)


def _section(raw: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    node: Any = raw
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ParameterError(f"missing parameter section [{path}]")
        node = node[part]
    if not isinstance(node, Mapping):
        raise ParameterError(f"[{path}] must be a table")
    return node


def _number(
    section: Mapping[str, Any], path: str, key: str, *, low: float, high: float, integer: bool = False
) -> float:
    if key not in section:
        raise ParameterError(f"missing parameter {path}.{key}")
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{path}.{key} must be a number, got {value!r}")
    if integer and int(value) != value:
        raise ParameterError(f"{path}.{key} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ParameterError(f"{path}.{key} = {value!r} is outside [{low}, {high}]")
    return int(value) if integer else float(value)


def _numbers_by_key(
    raw: Mapping[str, Any], path: str, keys: tuple[str, ...] | None, *, low: float, high: float
) -> Mapping[str, float]:
    section = _section(raw, path)
    expected = set(section) if keys is None else set(keys)
    unknown = set(section) - expected
    if unknown:
        raise ParameterError(f"unknown keys in [{path}]: {sorted(unknown)}")
    return MappingProxyType({k: _number(section, path, k, low=low, high=high) for k in sorted(expected)})


def _build(cls: type, raw: Mapping[str, Any], path: str, bounds: Mapping[str, tuple]) -> Any:
    """Build a flat dataclass of numbers from one TOML table, refusing unknown keys."""
    section = _section(raw, path)
    known = {f.name for f in fields(cls)}
    unknown = set(section) - known
    if unknown:
        raise ParameterError(f"unknown keys in [{path}]: {sorted(unknown)}")
    return cls(**{k: _number(section, path, k, **bounds[k]) for k in known})


_SHARE = {"low": 0.0, "high": 1.0}
_POSITIVE = {"low": 1e-12, "high": 1e12}
_DAYS = {"low": 1, "high": 1000, "integer": True}


@dataclass(frozen=True)
class General:
    alpha: float  # CRE52.1
    multiplier_floor: float  # CRE52.23
    business_days_per_year: int  # CRE52.48
    days_per_year: int
    sd_rate: float  # CRE52.34
    sd_floor_business_days: int  # CRE52.34
    maturity_floor_business_days: int  # CRE52.48
    margined_mf_scale: float  # CRE52.52
    basis_sf_multiplier: float  # CRE52.46
    volatility_sf_multiplier: float  # CRE52.47
    tranche_delta_numerator: float  # CRE52.41
    tranche_delta_slope: float  # CRE52.41


_GENERAL_BOUNDS = {
    "alpha": _POSITIVE,
    "multiplier_floor": _SHARE,
    "business_days_per_year": _DAYS,
    "days_per_year": _DAYS,
    "sd_rate": _POSITIVE,
    "sd_floor_business_days": _DAYS,
    "maturity_floor_business_days": _DAYS,
    "margined_mf_scale": _POSITIVE,
    "basis_sf_multiplier": _POSITIVE,
    "volatility_sf_multiplier": _POSITIVE,
    "tranche_delta_numerator": _POSITIVE,
    "tranche_delta_slope": _POSITIVE,
}


@dataclass(frozen=True)
class Mpor:
    bilateral_days: int  # CRE52.50: F for non-cleared netting sets; MPOR = F + N - 1
    cleared_days: int  # CRE54: F for client-cleared netting sets
    large_netting_set_trades: int  # CRE52.51
    large_or_illiquid_days: int  # CRE52.51
    dispute_count_threshold: int  # CRE52.51
    dispute_multiplier: int  # CRE52.51


_MPOR_BOUNDS = {name: _DAYS for name in Mpor.__dataclass_fields__} | {
    "large_netting_set_trades": {"low": 1, "high": 10**9, "integer": True},
    "dispute_count_threshold": {"low": 0, "high": 1000, "integer": True},
}


@dataclass(frozen=True)
class InterestRate:
    supervisory_factor: float
    option_volatility: float
    bucket_1_upper_years: float
    bucket_2_upper_years: float
    rho_12: float
    rho_23: float
    rho_13: float
    lambda_shift: Mapping[str, float]


@dataclass(frozen=True)
class ForeignExchange:
    supervisory_factor: float
    option_volatility: float


@dataclass(frozen=True)
class Credit:
    single_name_supervisory_factor: Mapping[str, float]
    index_supervisory_factor: Mapping[str, float]
    single_name_correlation: float
    index_correlation: float
    single_name_option_volatility: float
    index_option_volatility: float


@dataclass(frozen=True)
class Equity:
    single_name_supervisory_factor: float
    index_supervisory_factor: float
    single_name_correlation: float
    index_correlation: float
    single_name_option_volatility: float
    index_option_volatility: float


@dataclass(frozen=True)
class Commodity:
    correlation: float
    hedging_set: Mapping[str, str]
    supervisory_factor: Mapping[str, float]
    option_volatility: Mapping[str, float]


@dataclass(frozen=True)
class SupervisoryParameters:
    """Every supervisory number the engine uses, for one regime and parameter version."""

    regime: str
    version: str
    source: str
    general: General
    mpor: Mpor
    interest_rate: InterestRate
    fx: ForeignExchange
    credit: Credit
    equity: Equity
    commodity: Commodity

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SupervisoryParameters:
        """Validate a parsed regime file; raise ParameterError on anything missing or malformed."""
        regime = _section(raw, "regime")
        for key in ("name", "version", "source"):
            if not isinstance(regime.get(key), str) or not regime[key].strip():
                raise ParameterError(f"regime.{key} must be a non-empty string")
        general = _build(General, raw, "general", _GENERAL_BOUNDS)
        mpor = _build(Mpor, raw, "mpor", _MPOR_BOUNDS)
        return cls(
            regime=regime["name"],
            version=regime["version"],
            source=regime["source"],
            general=general,
            mpor=mpor,
            interest_rate=_interest_rate(raw),
            fx=ForeignExchange(
                supervisory_factor=_number(_section(raw, "fx"), "fx", "supervisory_factor", **_SHARE),
                option_volatility=_number(_section(raw, "fx"), "fx", "option_volatility", **_POSITIVE),
            ),
            credit=_credit(raw),
            equity=_equity(raw),
            commodity=_commodity(raw),
        )


def _interest_rate(raw: Mapping[str, Any]) -> InterestRate:
    s = _section(raw, "interest_rate")
    known = {f.name for f in fields(InterestRate)}
    unknown = set(s) - known
    if unknown:
        raise ParameterError(f"unknown keys in [interest_rate]: {sorted(unknown)}")
    ir = InterestRate(
        supervisory_factor=_number(s, "interest_rate", "supervisory_factor", **_SHARE),
        option_volatility=_number(s, "interest_rate", "option_volatility", **_POSITIVE),
        bucket_1_upper_years=_number(s, "interest_rate", "bucket_1_upper_years", **_POSITIVE),
        bucket_2_upper_years=_number(s, "interest_rate", "bucket_2_upper_years", **_POSITIVE),
        rho_12=_number(s, "interest_rate", "rho_12", **_SHARE),
        rho_23=_number(s, "interest_rate", "rho_23", **_SHARE),
        rho_13=_number(s, "interest_rate", "rho_13", **_SHARE),
        lambda_shift=_numbers_by_key(raw, "interest_rate.lambda_shift", None, low=0.0, high=1.0),
    )
    if ir.bucket_1_upper_years >= ir.bucket_2_upper_years:
        raise ParameterError("interest_rate.bucket_1_upper_years must be below bucket_2_upper_years")
    return ir


def _credit(raw: Mapping[str, Any]) -> Credit:
    s = _section(raw, "credit")
    return Credit(
        single_name_supervisory_factor=_numbers_by_key(
            raw, "credit.single_name_supervisory_factor", CREDIT_QUALITIES_SINGLE_NAME, **_SHARE
        ),
        index_supervisory_factor=_numbers_by_key(
            raw, "credit.index_supervisory_factor", CREDIT_QUALITIES_INDEX, **_SHARE
        ),
        single_name_correlation=_number(s, "credit", "single_name_correlation", **_SHARE),
        index_correlation=_number(s, "credit", "index_correlation", **_SHARE),
        single_name_option_volatility=_number(s, "credit", "single_name_option_volatility", **_POSITIVE),
        index_option_volatility=_number(s, "credit", "index_option_volatility", **_POSITIVE),
    )


def _equity(raw: Mapping[str, Any]) -> Equity:
    return _build(
        Equity,
        raw,
        "equity",
        {
            "single_name_supervisory_factor": _SHARE,
            "index_supervisory_factor": _SHARE,
            "single_name_correlation": _SHARE,
            "index_correlation": _SHARE,
            "single_name_option_volatility": _POSITIVE,
            "index_option_volatility": _POSITIVE,
        },
    )


def _commodity(raw: Mapping[str, Any]) -> Commodity:
    s = _section(raw, "commodity")
    hedging = _section(raw, "commodity.hedging_set")
    if set(hedging) != set(COMMODITY_TYPES):
        raise ParameterError(f"[commodity.hedging_set] must map exactly {list(COMMODITY_TYPES)}")
    bad = {k: v for k, v in hedging.items() if v not in COMMODITY_HEDGING_SETS}
    if bad:
        raise ParameterError(f"[commodity.hedging_set] unknown hedging sets {bad}")
    return Commodity(
        correlation=_number(s, "commodity", "correlation", **_SHARE),
        hedging_set=MappingProxyType(dict(hedging)),
        supervisory_factor=_numbers_by_key(raw, "commodity.supervisory_factor", COMMODITY_TYPES, **_SHARE),
        option_volatility=_numbers_by_key(raw, "commodity.option_volatility", COMMODITY_TYPES, **_POSITIVE),
    )
