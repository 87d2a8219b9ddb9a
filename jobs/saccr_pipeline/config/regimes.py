"""Loads the supervisory parameters of a regime (pipeline settings: saccr_pipeline.config.settings).

Files live in `conf/regimes/` at the repository root (override with SACCR_CONF_DIR), read once and
returned as frozen, validated objects; any problem is a clear error naming the file and key.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from saccr.errors import ParameterError
from saccr.params import SupervisoryParameters

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_REGIME = "bcbs_cre52"


def conf_dir() -> Path:
    """Folder holding regimes/ and settings.toml."""
    return Path(os.environ.get("SACCR_CONF_DIR", REPO_ROOT / "conf"))


@lru_cache(maxsize=8)
def load_parameters(regime: str = DEFAULT_REGIME) -> SupervisoryParameters:
    """Read and validate `conf/regimes/<regime>.toml`."""
    path = conf_dir() / "regimes" / f"{regime}.toml"
    if not path.is_file():
        available = sorted(p.stem for p in (conf_dir() / "regimes").glob("*.toml"))
        raise ParameterError(f"no parameter file for regime {regime!r} at {path}; available: {available}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return SupervisoryParameters.from_mapping(raw)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from exc
