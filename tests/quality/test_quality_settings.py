"""The data-quality settings: max_rejected_share and incomplete_netting_sets in conf/settings.toml."""

from __future__ import annotations

import datetime as dt

import pytest

from saccr_pipeline.quality import quality_context
from saccr_pipeline.settings import ENV_OVERRIDES, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [*ENV_OVERRIDES, "SACCR_ENV", "SACCR_CONF_DIR"]:
        monkeypatch.delenv(var, raising=False)


def test_defaults_hold_back_incomplete_netting_sets_and_stop_above_five_percent() -> None:
    settings = load_settings()
    assert (settings.max_rejected_share, settings.incomplete_netting_sets) == (0.05, "hold")
    ctx = quality_context(settings, dt.date(2026, 11, 20), "r1")
    assert (ctx.max_rejected_share, ctx.reporting_currency, ctx.manifest) == (0.05, "USD", None)


def test_environment_variables_override_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SACCR_MAX_REJECTED_SHARE", "0.2")
    monkeypatch.setenv("SACCR_INCOMPLETE_NETTING_SETS", "FLAG")
    settings = load_settings()
    assert (settings.max_rejected_share, settings.incomplete_netting_sets) == (0.2, "flag")


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("SACCR_MAX_REJECTED_SHARE", "5%", "max_rejected_share must be a number from 0 to 1"),
        ("SACCR_MAX_REJECTED_SHARE", "1.5", "max_rejected_share must be a number from 0 to 1"),
        ("SACCR_INCOMPLETE_NETTING_SETS", "drop", "incomplete_netting_sets must be one of"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()
