"""Loads the supervisory parameters of a regime (pipeline settings: saccr_pipeline.config.settings).

Files live in `conf/regimes/` at the repository root (override with SACCR_CONF_DIR), read once and
returned as frozen, validated objects; any problem is a clear error naming the file and key. A regime file
holds versions in force by date (docs/regimes.md): `load_parameters(regime, as_of)` returns the one in force
on the as-of date, and without a date the regime's only version.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from functools import lru_cache
from pathlib import Path

from saccr.errors import ParameterError
from saccr.params import RegimeVersion, SupervisoryParameters, regime_versions

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_REGIME = "bcbs_cre52"


def conf_dir() -> Path:
    """Folder holding regimes/ and settings.toml."""
    return Path(os.environ.get("SACCR_CONF_DIR", REPO_ROOT / "conf"))


def read_conf_toml(path: Path, what: str, error: type[Exception]) -> dict:
    """A TOML file of conf/, or `error` saying it is missing (naming `what`) or not valid TOML."""
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise error(f"{what} {path} not found (SACCR_CONF_DIR={conf_dir()})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc


REGIMES = ("bcbs_cre52", "eu_crr3", "uk_pra", "us_12cfr217")  # the parameter files in conf/regimes/


@lru_cache(maxsize=32)
def load_parameters(regime: str = DEFAULT_REGIME, as_of: dt.date | None = None) -> SupervisoryParameters:
    """Read `conf/regimes/<regime>.toml` and validate the version in force on `as_of` (ParameterError if
    none is; without `as_of`, the regime's only version)."""
    path, raw = _read(regime)
    try:
        return SupervisoryParameters.from_mapping(raw, as_of)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from exc


def parameter_versions(regime: str) -> tuple[RegimeVersion, ...]:
    """The versions of a regime file, ordered by the date they come into force."""
    path, raw = _read(regime)
    try:
        return regime_versions(raw)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from exc


def _read(regime: str) -> tuple[Path, dict]:
    path = conf_dir() / "regimes" / f"{regime}.toml"
    if not path.is_file():
        available = sorted(p.stem for p in (conf_dir() / "regimes").glob("*.toml"))
        raise ParameterError(f"no parameter file for regime {regime!r} at {path}; available: {available}")
    try:
        return path, tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path}: not valid TOML: {exc}") from exc
