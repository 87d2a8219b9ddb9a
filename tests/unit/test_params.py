"""The regime file is validated at start-up: a missing or malformed parameter is a clear error."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from saccr.errors import ParameterError
from saccr.params import SupervisoryParameters
from saccr_pipeline.config.regimes import conf_dir, load_parameters

RAW = tomllib.loads((conf_dir() / "regimes" / "bcbs_cre52.toml").read_text())


def test_bcbs_table_2_values() -> None:
    """Spot checks against CRE52.72 Table 2 and CRE52.1 / 52.23."""
    p = load_parameters("bcbs_cre52")
    assert (p.regime, p.general.alpha, p.general.multiplier_floor) == ("BCBS_CRE52", 1.4, 0.05)
    assert p.interest_rate.supervisory_factor == 0.005 and p.fx.supervisory_factor == 0.04
    assert dict(p.credit.single_name_supervisory_factor)["BBB"] == 0.0054
    assert dict(p.credit.index_supervisory_factor) == {"IG": 0.0038, "SG": 0.0106}
    assert p.equity.single_name_supervisory_factor == 0.32 and p.equity.index_option_volatility == 0.75
    assert dict(p.commodity.supervisory_factor)["ELECTRICITY"] == 0.40
    assert dict(p.commodity.option_volatility)["ELECTRICITY"] == 1.50
    assert (p.mpor.bilateral_days, p.mpor.cleared_days, p.mpor.large_or_illiquid_days) == (10, 5, 20)


def _without(path: tuple[str, ...]) -> dict:
    raw = tomllib.loads((conf_dir() / "regimes" / "bcbs_cre52.toml").read_text())
    node = raw
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return raw


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("general", "alpha"), "missing parameter general.alpha"),
        (
            ("credit", "single_name_supervisory_factor", "BBB"),
            "missing parameter credit.single_name_supervisory_factor.BBB",
        ),
        (("mpor",), r"missing parameter section \[mpor\]"),
    ],
)
def test_missing_parameter_is_named(path: tuple[str, ...], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        SupervisoryParameters.from_mapping(_without(path))


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("general", "alpha", "1.4", "general.alpha must be a number"),
        ("general", "multiplier_floor", 1.5, r"general.multiplier_floor = 1.5 is outside \[0.0, 1.0\]"),
        ("mpor", "bilateral_days", 10.5, "mpor.bilateral_days must be a whole number"),
        ("general", "alhpa", 1.4, r"unknown keys in \[general\]: \['alhpa'\]"),
    ],
)
def test_malformed_parameter_is_named(section: str, key: str, value: object, message: str) -> None:
    raw = tomllib.loads((conf_dir() / "regimes" / "bcbs_cre52.toml").read_text())
    raw[section][key] = value
    with pytest.raises(ParameterError, match=message):
        SupervisoryParameters.from_mapping(raw)


def test_unknown_regime_and_broken_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(conf_dir(), tmp_path / "conf")
    (tmp_path / "conf" / "regimes" / "broken.toml").write_text("[general\nalpha = 1.4")
    monkeypatch.setenv("SACCR_CONF_DIR", str(tmp_path / "conf"))
    load_parameters.cache_clear()
    try:
        with pytest.raises(ParameterError, match="no parameter file for regime 'nope'"):
            load_parameters("nope")
        with pytest.raises(ParameterError, match="broken.toml: not valid TOML"):
            load_parameters("broken")
    finally:
        load_parameters.cache_clear()


def test_parameters_are_frozen() -> None:
    p = load_parameters("bcbs_cre52")
    with pytest.raises(AttributeError):
        p.general.alpha = 1.0  # type: ignore[misc]


def test_parameter_tables_are_read_only() -> None:
    p = load_parameters("bcbs_cre52")
    with pytest.raises(TypeError):
        p.commodity.supervisory_factor["OTHER"] = 0.0  # type: ignore[index]
