"""Supervisory parameters of one regime version, as frozen and validated objects.

The values live in `conf/regimes/<regime>.toml` (data, not code); `saccr_pipeline.config.regimes` reads the
file and calls :func:`SupervisoryParameters.from_mapping`, which picks the version in force on the as-of date
(:func:`select_version`) and checks every field once. A missing, unknown or malformed parameter raises
:class:`ParameterError` naming its path.

A regime file holds the parameter tables once and a list of `[[versions]]`, each in force from `valid_from`
to `valid_to` (inclusive; no `valid_to`: still in force), each with its own version label and legal source,
and optionally `overrides`: tables merged over the shared ones for that version only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from saccr.contract import (
    COMMODITY_TYPES,
    COUNTERPARTY_TYPES,
    CREDIT_QUALITIES_INDEX,
    CREDIT_QUALITIES_SINGLE_NAME,
)
from saccr.errors import ParameterError

# Commodity hedging sets (CRE52.45(5); CRR Art. 277a(1)(e) adds climatic conditions).
COMMODITY_HEDGING_SETS = ("ENERGY", "METALS", "AGRICULTURAL", "CLIMATIC", "OTHER")
LAMBDA_METHODS = ("per_currency", "per_option", "none")
CAP_VM_TREATMENTS = ("basel", "eu")


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


def _flag(section: Mapping[str, Any], path: str, key: str) -> bool:
    if key not in section:
        raise ParameterError(f"missing parameter {path}.{key}")
    if not isinstance(section[key], bool):
        raise ParameterError(f"{path}.{key} must be true or false, got {section[key]!r}")
    return section[key]


def _choice(section: Mapping[str, Any], path: str, key: str, allowed: tuple[str, ...]) -> str:
    if key not in section:
        raise ParameterError(f"missing parameter {path}.{key}")
    if section[key] not in allowed:
        raise ParameterError(f"{path}.{key} must be one of {list(allowed)}, got {section[key]!r}")
    return section[key]


def _refuse_unknown(section: Mapping[str, Any], path: str, known: set[str]) -> None:
    unknown = set(section) - known
    if unknown:
        raise ParameterError(f"unknown keys in [{path}]: {sorted(unknown)}")


def _numbers_by_key(
    raw: Mapping[str, Any], path: str, keys: tuple[str, ...] | None, *, low: float, high: float
) -> Mapping[str, float]:
    section = _section(raw, path)
    expected = set(section) if keys is None else set(keys)
    _refuse_unknown(section, path, expected)
    return MappingProxyType({k: _number(section, path, k, low=low, high=high) for k in sorted(expected)})


def _build(cls: type, raw: Mapping[str, Any], path: str, bounds: Mapping[str, Mapping[str, Any]]) -> Any:
    """Build a flat dataclass of numbers from one TOML table, refusing unknown keys."""
    section = _section(raw, path)
    known = {f.name for f in fields(cls)}
    _refuse_unknown(section, path, known)
    return cls(**{k: _number(section, path, k, **bounds[k]) for k in known})


_SHARE = {"low": 0.0, "high": 1.0}
_POSITIVE = {"low": 1e-12, "high": 1e12}
_DAYS = {"low": 1, "high": 1000, "integer": True}


@dataclass(frozen=True)
class General:
    alpha: float  # CRE52.1: alpha of every netting set not given another by [alpha.counterparty_type]
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
class AlphaTransition:
    """A transitional add-on for trades entered before a date with counterparties that were exempt from
    the CVA charge (PRA: Counterparty Credit Risk Part Art. 274(2A) from 2027): share(year) x (standard
    alpha - the set's alpha) x (RC + PFE)."""

    legacy_before: dt.date
    share_by_year: Mapping[int, float]


@dataclass(frozen=True)
class Alpha:
    counterparty_type: Mapping[str, float]  # counterparty_type -> alpha where the regime sets another
    transition: AlphaTransition | None


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
    bucket_1_includes_upper: bool  # E = bucket_1_upper_years in bucket 1 (CRR Art. 280a Table 2) or 2
    bucket_2_upper_years: float
    rho_12: float
    rho_23: float
    rho_13: float
    offset_formula_only: bool  # the regime allows no sum of absolute bucket amounts (CRR Art. 280a(3))
    lambda_method: str  # per_currency (CRE52.40 FAQ2), per_option (RTS 2021/931 Art. 5), none
    lambda_threshold: float  # per_option: lambda = max(threshold - min(P, K), 0)
    lambda_shift: Mapping[str, float]  # per_currency: currency -> lambda


@dataclass(frozen=True)
class ForeignExchange:
    supervisory_factor: float
    option_volatility: float


@dataclass(frozen=True)
class Credit:
    single_name_grade: Mapping[str, str]  # credit_quality code -> the regime's grade (rating, CQS, US grade)
    single_name_supervisory_factor: Mapping[str, float]  # grade -> SF
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
    lambda_method: str  # per_option (RTS 2021/931 Art. 5 as amended by 2025/855) or none
    lambda_threshold: float  # per_option: lambda = max(-(1 + threshold) min(P, K), 0)


@dataclass(frozen=True)
class OtherRisks:
    """The "other risks" category of CRR Art. 277(1)(f), 280f; absent from regimes without it."""

    supervisory_factor: float
    option_volatility: float


@dataclass(frozen=True)
class ReplacementCost:
    cap_vm_treatment: str  # C in the unmargined comparison of the cap: basel (with VM) or eu (NICA only)


@dataclass(frozen=True)
class LeverageRatio:
    """Derivative exposure of the leverage ratio (BCBS LEV30.43-30.45; CRR Art. 429c)."""

    alpha: float
    multiplier: float


@dataclass(frozen=True)
class SimplifiedMethods:
    """CRR Art. 273a thresholds and the parameters of simplified SA-CCR (Art. 281) and OEM (Art. 282)."""

    simplified_max_share_of_assets: float  # Art. 273a(1)(a)
    simplified_max_amount_eur: float  # Art. 273a(1)(b)
    oem_max_share_of_assets: float  # Art. 273a(2)(a)
    oem_max_amount_eur: float  # Art. 273a(2)(b)
    simplified_unmargined_maturity_factor: float  # Art. 281(2)(i)
    simplified_margined_maturity_factor: float  # Art. 281(2)(i)
    oem_alpha: float  # Art. 282(2)
    oem_ir_per_year: float  # Art. 282(4)(b)(i): share of notional per year of residual maturity
    oem_credit_per_year: float  # Art. 282(4)(b)(ii)
    oem_fx: float  # Art. 282(4)(b)(iii)
    oem_commodity: float  # Art. 282(4)(b)(iv): gold and commodities other than electricity
    oem_electricity: float  # Art. 282(4)(b)(v)
    oem_equity: float  # Art. 282(4)(b)(vi)


@dataclass(frozen=True)
class SupervisoryParameters:
    """Every supervisory number the engine uses, for one regime and parameter version."""

    regime: str
    version: str
    source: str
    valid_from: dt.date
    valid_to: dt.date | None
    general: General
    alpha: Alpha
    mpor: Mpor
    interest_rate: InterestRate
    fx: ForeignExchange
    credit: Credit
    equity: Equity
    commodity: Commodity
    other: OtherRisks | None
    replacement_cost: ReplacementCost
    leverage_ratio: LeverageRatio
    simplified_methods: SimplifiedMethods | None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], as_of: dt.date | None = None) -> SupervisoryParameters:
        """The version of a parsed regime file in force on `as_of` (see :func:`select_version`), validated;
        raise ParameterError on anything missing or malformed."""
        version = select_version(raw, as_of)
        merged = _merged(raw, version.overrides)
        general = _build(General, merged, "general", _GENERAL_BOUNDS)
        return cls(
            regime=version.regime,
            version=version.version,
            source=version.source,
            valid_from=version.valid_from,
            valid_to=version.valid_to,
            general=general,
            alpha=_alpha(merged),
            mpor=_build(Mpor, merged, "mpor", _MPOR_BOUNDS),
            interest_rate=_interest_rate(merged),
            fx=_build(
                ForeignExchange, merged, "fx", {"supervisory_factor": _SHARE, "option_volatility": _POSITIVE}
            ),
            credit=_credit(merged),
            equity=_equity(merged),
            commodity=_commodity(merged),
            other=_other(merged),
            replacement_cost=_replacement_cost(merged),
            leverage_ratio=_build(
                LeverageRatio, merged, "leverage_ratio", {"alpha": _POSITIVE, "multiplier": _SHARE}
            ),
            simplified_methods=_simplified_methods(merged),
        )


# ------------------------------------------------------------------------------------------ versions


@dataclass(frozen=True)
class RegimeVersion:
    """One version of a regime: its label, legal source, the dates it is in force, its overrides."""

    regime: str
    version: str
    source: str
    valid_from: dt.date
    valid_to: dt.date | None  # inclusive; None: still in force
    overrides: Mapping[str, Any]

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def describe(self) -> str:
        return f"{self.version} ({self.valid_from} to {self.valid_to or 'open'})"


_VERSION_KEYS = {"version", "valid_from", "valid_to", "source", "overrides"}


def regime_versions(raw: Mapping[str, Any]) -> tuple[RegimeVersion, ...]:
    """The versions of a parsed regime file, ordered by valid_from, checked not to overlap."""
    regime = _section(raw, "regime")
    _refuse_unknown(regime, "regime", {"name", "title"})
    if not isinstance(regime.get("name"), str) or not regime["name"].strip():
        raise ParameterError("regime.name must be a non-empty string")
    entries = raw.get("versions")
    if not isinstance(entries, list) or not entries:
        raise ParameterError("the regime file needs at least one [[versions]] entry")
    versions = []
    for n, entry in enumerate(entries):
        path = f"versions[{n}]"
        if not isinstance(entry, Mapping):
            raise ParameterError(f"{path} must be a table")
        _refuse_unknown(entry, path, _VERSION_KEYS)
        for key in ("version", "source"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ParameterError(f"{path}.{key} must be a non-empty string")
        valid_from, valid_to = entry.get("valid_from"), entry.get("valid_to")
        if not _is_date(valid_from):
            raise ParameterError(f"{path}.valid_from must be a date (YYYY-MM-DD), got {valid_from!r}")
        if valid_to is not None and (not _is_date(valid_to) or valid_to < valid_from):
            raise ParameterError(f"{path}.valid_to must be a date on or after valid_from, got {valid_to!r}")
        overrides = entry.get("overrides", {})
        if not isinstance(overrides, Mapping):
            raise ParameterError(f"{path}.overrides must be a table")
        versions.append(
            RegimeVersion(regime["name"], entry["version"], entry["source"], valid_from, valid_to, overrides)
        )
    versions.sort(key=lambda v: v.valid_from)
    for before, after in zip(versions, versions[1:], strict=False):
        if before.valid_to is None or before.valid_to >= after.valid_from:
            raise ParameterError(f"versions {before.describe()} and {after.describe()} overlap")
    if len({v.version for v in versions}) != len(versions):
        raise ParameterError("version labels must be unique")
    return tuple(versions)


def select_version(raw: Mapping[str, Any], as_of: dt.date | None) -> RegimeVersion:
    """The version in force on `as_of`; without a date, the only version (an error if there are several)."""
    versions = regime_versions(raw)
    name = versions[0].regime
    listed = "; ".join(v.describe() for v in versions)
    if as_of is None:
        if len(versions) > 1:
            raise ParameterError(f"regime {name} has several versions ({listed}): give the as-of date")
        return versions[0]
    found = [v for v in versions if v.in_force(as_of)]
    if not found:
        raise ParameterError(
            f"regime {name} has no parameter version in force on {as_of}; versions: {listed}"
        )
    return found[0]


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> Mapping[str, Any]:
    """`base` with the tables of `overrides` merged in, key by key (an override replaces a value)."""
    out = {k: v for k, v in base.items() if k not in ("regime", "versions")}
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------- sections


def _alpha(raw: Mapping[str, Any]) -> Alpha:
    s = _section(raw, "alpha")
    _refuse_unknown(s, "alpha", {"counterparty_type", "transition"})
    by_type = _numbers_by_key(raw, "alpha.counterparty_type", None, **_POSITIVE)
    unknown = set(by_type) - set(COUNTERPARTY_TYPES)
    if unknown:
        raise ParameterError(f"[alpha.counterparty_type] unknown counterparty types {sorted(unknown)}")
    transition = None
    if "transition" in s:
        t = _section(raw, "alpha.transition")
        _refuse_unknown(t, "alpha.transition", {"legacy_before", "share_by_year"})
        if not _is_date(t.get("legacy_before")):
            raise ParameterError("alpha.transition.legacy_before must be a date")
        shares = _numbers_by_key(raw, "alpha.transition.share_by_year", None, **_SHARE)
        if not all(k.isdigit() for k in shares):
            raise ParameterError("[alpha.transition.share_by_year] keys must be years")
        transition = AlphaTransition(
            t["legacy_before"], MappingProxyType({int(k): v for k, v in shares.items()})
        )
    return Alpha(by_type, transition)


def _interest_rate(raw: Mapping[str, Any]) -> InterestRate:
    s = _section(raw, "interest_rate")
    path = "interest_rate"
    _refuse_unknown(s, path, {f.name for f in fields(InterestRate)})
    ir = InterestRate(
        supervisory_factor=_number(s, path, "supervisory_factor", **_SHARE),
        option_volatility=_number(s, path, "option_volatility", **_POSITIVE),
        bucket_1_upper_years=_number(s, path, "bucket_1_upper_years", **_POSITIVE),
        bucket_1_includes_upper=_flag(s, path, "bucket_1_includes_upper"),
        bucket_2_upper_years=_number(s, path, "bucket_2_upper_years", **_POSITIVE),
        rho_12=_number(s, path, "rho_12", **_SHARE),
        rho_23=_number(s, path, "rho_23", **_SHARE),
        rho_13=_number(s, path, "rho_13", **_SHARE),
        offset_formula_only=_flag(s, path, "offset_formula_only"),
        lambda_method=_choice(s, path, "lambda_method", LAMBDA_METHODS),
        lambda_threshold=_number(s, path, "lambda_threshold", low=0.0, high=1.0),
        lambda_shift=_numbers_by_key(raw, "interest_rate.lambda_shift", None, low=0.0, high=1.0),
    )
    if ir.bucket_1_upper_years >= ir.bucket_2_upper_years:
        raise ParameterError("interest_rate.bucket_1_upper_years must be below bucket_2_upper_years")
    if ir.lambda_method != "per_currency" and ir.lambda_shift:
        raise ParameterError("[interest_rate.lambda_shift] applies to lambda_method = 'per_currency' only")
    return ir


def _credit(raw: Mapping[str, Any]) -> Credit:
    s = _section(raw, "credit")
    grade = _section(raw, "credit.single_name_grade")
    unknown = set(grade) - set(CREDIT_QUALITIES_SINGLE_NAME)
    if unknown:
        raise ParameterError(f"[credit.single_name_grade] unknown credit_quality codes {sorted(unknown)}")
    factors = _numbers_by_key(raw, "credit.single_name_supervisory_factor", None, **_SHARE)
    missing = sorted(set(grade.values()) - set(factors))
    if missing:
        raise ParameterError(f"missing parameter credit.single_name_supervisory_factor.{missing[0]}")
    return Credit(
        single_name_grade=MappingProxyType({k: str(v) for k, v in grade.items()}),
        single_name_supervisory_factor=factors,
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
    path = "commodity"
    _refuse_unknown(
        s,
        path,
        {
            "correlation",
            "hedging_set",
            "supervisory_factor",
            "option_volatility",
            "lambda_method",
            "lambda_threshold",
        },
    )
    hedging = _section(raw, "commodity.hedging_set")
    if set(hedging) != set(COMMODITY_TYPES):
        raise ParameterError(f"[commodity.hedging_set] must map exactly {list(COMMODITY_TYPES)}")
    bad = {k: v for k, v in hedging.items() if v not in COMMODITY_HEDGING_SETS}
    if bad:
        raise ParameterError(f"[commodity.hedging_set] unknown hedging sets {bad}")
    method = _choice(s, path, "lambda_method", LAMBDA_METHODS)
    if method == "per_currency":
        raise ParameterError("commodity.lambda_method must be 'per_option' or 'none'")
    return Commodity(
        correlation=_number(s, path, "correlation", **_SHARE),
        hedging_set=MappingProxyType(dict(hedging)),
        supervisory_factor=_numbers_by_key(raw, "commodity.supervisory_factor", COMMODITY_TYPES, **_SHARE),
        option_volatility=_numbers_by_key(raw, "commodity.option_volatility", COMMODITY_TYPES, **_POSITIVE),
        lambda_method=method,
        lambda_threshold=_number(s, path, "lambda_threshold", low=0.0, high=10.0),
    )


def _other(raw: Mapping[str, Any]) -> OtherRisks | None:
    if "other" not in raw:
        return None
    return _build(OtherRisks, raw, "other", {"supervisory_factor": _SHARE, "option_volatility": _POSITIVE})


def _replacement_cost(raw: Mapping[str, Any]) -> ReplacementCost:
    s = _section(raw, "replacement_cost")
    _refuse_unknown(s, "replacement_cost", {"cap_vm_treatment"})
    return ReplacementCost(_choice(s, "replacement_cost", "cap_vm_treatment", CAP_VM_TREATMENTS))


def _simplified_methods(raw: Mapping[str, Any]) -> SimplifiedMethods | None:
    if "simplified_methods" not in raw:
        return None
    bounds = {f.name: _SHARE for f in fields(SimplifiedMethods)}
    bounds |= {
        "simplified_max_amount_eur": _POSITIVE,
        "oem_max_amount_eur": _POSITIVE,
        "simplified_unmargined_maturity_factor": _POSITIVE,
        "simplified_margined_maturity_factor": _POSITIVE,
        "oem_alpha": _POSITIVE,
    }
    return _build(SimplifiedMethods, raw, "simplified_methods", bounds)
