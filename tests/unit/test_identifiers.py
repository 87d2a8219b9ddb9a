"""The identifier rule (issue 22, item 8): a configurable pattern (settings identifier_pattern, default
printable ASCII without surrounding blanks) that every identifier column's spark check applies. No Spark: the
suites load as data and the default pattern is checked with Python's regex engine (Java's reads it alike)."""

from __future__ import annotations

import re

import pytest

from saccr_pipeline.config.settings import DEFAULT_IDENTIFIER_PATTERN, load_settings
from saccr_pipeline.errors import SettingsError
from saccr_pipeline.quality.rules import load_suites, sql_string


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("T000001", True), ("NS-1/A b", True), ("X", True), ("EUR", True),
        ("T000001\u00a0", False),  # a no-break space
        ("NS\uff10\uff11", False),  # full-width digits 0 and 1
        (" T1", False), ("T1 ", False), ("T\t1", False), ("Société", False), ("", False),
    ],
)  # fmt: skip
def test_the_default_identifier_rule(text: str, ok: bool) -> None:
    assert bool(re.fullmatch(DEFAULT_IDENTIFIER_PATTERN, text)) is ok


def test_every_identifier_column_has_the_rule() -> None:
    checks = {
        (s.extract, r.column)
        for s in load_suites().values()
        for r in s.rules
        if r.rule == "identifier_format" and r.severity == "critical"
    }
    assert checks == {
        ("trades", "trade_id"), ("trades", "netting_set_id"), ("trades", "underlying_id"),
        ("valuations", "trade_id"), ("collateral", "netting_set_id"), ("collateral", "counterparty_id"),
        ("collateral", "legal_entity"), ("market_data", "key"),
    }  # fmt: skip


def test_the_pattern_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().identifier_pattern == DEFAULT_IDENTIFIER_PATTERN
    monkeypatch.setenv("SACCR_IDENTIFIER_PATTERN", "^[A-Z0-9_]+$")
    assert load_settings().identifier_pattern == "^[A-Z0-9_]+$"
    monkeypatch.setenv("SACCR_IDENTIFIER_PATTERN", "^[A-Z")
    with pytest.raises(SettingsError, match="identifier_pattern is not a regular expression"):
        load_settings()


def test_a_pattern_becomes_one_sql_string_literal() -> None:
    assert sql_string(r"^a\d'b$") == r"'^a\\d\'b$'"
