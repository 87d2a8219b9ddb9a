"""The data-quality settings in conf/settings.toml: max_rejected_share, incomplete_netting_sets and
dq_columnar_cache_rows."""

from __future__ import annotations

import datetime as dt

import pytest

from saccr_pipeline.config.settings import ENV_OVERRIDES, load_settings
from saccr_pipeline.errors import SettingsError
from saccr_pipeline.quality.validation import quality_context


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [*ENV_OVERRIDES, "SACCR_ENV", "SACCR_CONF_DIR"]:
        monkeypatch.delenv(var, raising=False)


def test_defaults_hold_back_incomplete_netting_sets_and_stop_above_five_percent() -> None:
    settings = load_settings()
    assert (settings.max_rejected_share, settings.incomplete_netting_sets) == (0.05, "hold")
    ctx = quality_context(settings, {dt.date(2026, 11, 20): "20261120-r1"}, {})
    assert (ctx.max_rejected_share, ctx.reporting_currency, dict(ctx.manifests)) == (0.05, "USD", {})
    assert ctx.columnar_cache_rows == settings.dq_columnar_cache_rows == 5_000_000


def test_environment_variables_override_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SACCR_MAX_REJECTED_SHARE", "0.2")
    monkeypatch.setenv("SACCR_INCOMPLETE_NETTING_SETS", "FLAG")
    monkeypatch.setenv("SACCR_DQ_COLUMNAR_CACHE_ROWS", "250000")
    settings = load_settings()
    assert (settings.max_rejected_share, settings.incomplete_netting_sets) == (0.2, "flag")
    assert (
        quality_context(settings, {dt.date(2026, 11, 20): "20261120-r1"}, {}).columnar_cache_rows == 250_000
    )


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("SACCR_MAX_REJECTED_SHARE", "5%", "max_rejected_share must be a number from 0 to 1"),
        ("SACCR_MAX_REJECTED_SHARE", "1.5", "max_rejected_share must be a number from 0 to 1"),
        ("SACCR_INCOMPLETE_NETTING_SETS", "drop", "incomplete_netting_sets must be one of"),
        ("SACCR_DQ_COLUMNAR_CACHE_ROWS", "5e6", "dq_columnar_cache_rows must be a whole number >= 1"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()
