"""The hard limits of input values, `conf/limits.toml`: one number per extract and column, amounts in the
reporting currency. The suites' spark checks name them as `{limit:<extract>.<name>}` (quality.rules), so a
limit lives in conf and nowhere else; a row beyond one is quarantined with rule `limit_exceeded`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from saccr_pipeline.config.regimes import conf_dir, read_conf_toml
from saccr_pipeline.errors import SettingsError

LIMITS_FILE = "limits.toml"


def limits_path() -> Path:
    return conf_dir() / LIMITS_FILE


def load_limits(path: Path | None = None) -> dict[str, float]:
    """`<extract>.<name>` -> limit, each a finite number > 0; SettingsError naming the file and key."""
    path = path or limits_path()
    raw = read_conf_toml(path, "limits file", SettingsError)
    limits = {}
    for extract, table in raw.items():
        if not isinstance(table, Mapping):
            raise SettingsError(f"{path}: {extract!r} must be a table [{extract}] of limits")
        for name, value in table.items():
            limits[f"{extract}.{name}"] = _limit(path, f"{extract}.{name}", value)
    return limits


def _limit(path: Path, key: str, value: object) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or float(value) <= 0:  # type: ignore[arg-type]
        raise SettingsError(f"{path}: limit {key} must be a finite number > 0, got {value!r}")
    return float(value)  # type: ignore[arg-type]
