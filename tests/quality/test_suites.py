"""The suite files themselves: loadable by GX and by the pipeline, complete against the extract contract, and
their formats right on the values that matter (no Spark: GX objects and Python regexes only)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from saccr.contract import (
    ASSET_CLASSES,
    COMMODITY_TYPES,
    CREDIT_QUALITIES_INDEX,
    CREDIT_QUALITIES_SINGLE_NAME,
    DIRECTIONS,
    EXTRACTS,
    MARKET_DATA_KINDS,
    OPTION_TYPES,
    OPTIONAL_COLUMNS,
)
from saccr_pipeline.extracts import FALSE_TEXT, TRUE_TEXT
from saccr_pipeline.quality.rules import (
    EVALUATION_ORDER,
    DataQualityError,
    Suite,
    condition_sql,
    load_suite,
    load_suites,
    suite_dir,
)

FORMAT_RULES = {
    "float": "not_a_number",
    "int": "not_an_integer",
    "date": "not_a_date",
    "bool": "not_a_boolean",
}


@pytest.fixture(scope="module")
def suites() -> dict[str, Suite]:
    return load_suites()


def _rules(suite: Suite, rule: str, expectation: str | None = None) -> dict[str, dict]:
    return {
        r.column: dict(r.kwargs)
        for r in suite.rules
        if r.rule == rule
        and (expectation is None or r.expectation == expectation)
        and "row_condition" not in r.kwargs
    }


def test_one_suite_file_per_extract_named_after_it() -> None:
    assert sorted(p.stem for p in suite_dir().glob("*.json")) == sorted(EXTRACTS)
    assert set(EVALUATION_ORDER) == set(EXTRACTS)


@pytest.mark.parametrize("extract", list(EXTRACTS))
def test_every_required_column_has_a_required_rule(suites: dict[str, Suite], extract: str) -> None:
    required = [c for c in EXTRACTS[extract] if c not in OPTIONAL_COLUMNS[extract]]
    assert sorted(_rules(suites[extract], "required")) == sorted(required)


@pytest.mark.parametrize("extract", list(EXTRACTS))
def test_every_typed_column_has_its_format_rule(suites: dict[str, Suite], extract: str) -> None:
    for column, logical in EXTRACTS[extract].items():
        if logical != "str":
            assert column in _rules(suites[extract], FORMAT_RULES[logical]), column


def test_enumerations_are_the_contracts(suites: dict[str, Suite]) -> None:
    def value_sets(extract: str, column: str) -> list[set[str]]:
        return [
            set(r.kwargs["value_set"])
            for r in suites[extract].rules
            if r.rule == "enumeration" and r.column == column
        ]

    assert value_sets("trades", "asset_class") == [set(ASSET_CLASSES)]
    assert value_sets("trades", "direction") == [set(DIRECTIONS)]
    assert value_sets("trades", "option_type") == [set(OPTION_TYPES)]
    assert value_sets("trades", "commodity_type") == [set(COMMODITY_TYPES)]
    assert value_sets("trades", "credit_quality") == [
        set(CREDIT_QUALITIES_SINGLE_NAME),
        set(CREDIT_QUALITIES_INDEX),
    ]
    assert value_sets("market_data", "kind") == [set(MARKET_DATA_KINDS)]
    booleans = [
        set(r.kwargs["value_set"]) for s in suites.values() for r in s.rules if r.rule == "not_a_boolean"
    ]
    assert booleans and all(b == set(TRUE_TEXT + FALSE_TEXT) for b in booleans)


def test_every_rule_is_named_and_explained(suites: dict[str, Suite]) -> None:
    for suite in suites.values():
        assert len({r.index for r in suite.rules}) == len(suite.rules)
        for rule in suite.rules:
            assert (
                rule.rule and rule.message and rule.column in {*EXTRACTS[suite.extract], "malformed_record"}
            )
    warnings = {(s.extract, r.rule) for s in suites.values() for r in s.rules if r.severity == "warning"}
    assert warnings == {
        ("trades", "notional_implausible"), ("valuations", "mtm_implausible"),
        ("collateral", "remargin_implausible"), ("market_data", "fx_rate_implausible"),
    }  # fmt: skip


def test_gx_loads_every_suite_file(suites: dict[str, Suite]) -> None:
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    for suite in suites.values():
        loaded = context.suites.add(
            gx.ExpectationSuite(**{k: suite.document[k] for k in ("name", "expectations")})
        )
        assert len(loaded.expectations) == len(suite.gx_rules)
        assert [e.severity.value for e in loaded.expectations] == [r.severity for r in suite.gx_rules]


def test_row_conditions_render_as_spark_sql() -> None:
    condition = {
        "type": "and",
        "conditions": [
            {
                "type": "comparison",
                "column": {"name": "asset_class"},
                "operator": "==",
                "parameter": "CREDIT",
            },
            {
                "type": "comparison",
                "column": {"name": "is_index"},
                "operator": "IN",
                "parameter": ["true", "TRUE"],
            },
            {"type": "nullity", "column": {"name": "strike"}, "is_null": False},
        ],
    }
    assert condition_sql(condition) == (
        "(`asset_class` == 'CREDIT' AND `is_index` IN ('true', 'TRUE') AND `strike` IS NOT NULL)"
    )


def _regex(suites: dict[str, Suite], extract: str, column: str) -> re.Pattern[str]:
    rule = next(
        r for r in suites[extract].rules if r.column == column and r.expectation.endswith("match_regex")
    )
    return re.compile(rule.kwargs["regex"])


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026-11-20", True), ("2024-02-29", True), ("2000-02-29", True), ("2199-12-31", True),
        ("2026-02-29", False), ("2100-02-29", False), ("1900-02-29", False), ("2026-04-31", False),
        ("2026-13-01", False), ("20/11/2026", False), ("2026-11-20T00:00:00", False), ("2026-1-5", False),
        ("1899-12-31", False), ("2200-01-01", False), ("", False),
    ],
)  # fmt: skip
def test_iso_date_format(suites: dict[str, Suite], text: str, ok: bool) -> None:
    assert bool(_regex(suites, "trades", "maturity_date").search(text)) is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("12000", True), ("-5", True), ("+1.5", True), (".5", True), ("1.", True), ("1e6", True),
        ("1.5E-03", True),
        ("12,000", False), ("1e999", False), ("NaN", False), ("inf", False), ("1 000", False), (" 1", False),
        ("0x10", False), ("", False), ("1" * 31, False),
        # one grammar (saccr_pipeline.extracts.NUMBER_GRAMMAR): at most 30 digits before and after the point,
        # an exponent of at most 2 digits; 1e-300 and 0.(300 zeros)1 alike are out, 1e-99 and 0.(29 zeros)1 in
        ("1e-300", False), ("0." + "0" * 300 + "1", False), ("1e-99", True), ("0." + "0" * 29 + "1", True),
        ("1" * 30 + "." + "5" * 30, True), ("1." + "5" * 31, False), ("." + "5" * 31, False),
    ],
)  # fmt: skip
def test_number_format(suites: dict[str, Suite], text: str, ok: bool) -> None:
    assert bool(_regex(suites, "trades", "notional").search(text)) is ok


@pytest.mark.parametrize(
    ("text", "ok"), [("5", True), ("10.0", True), ("-1", True), ("1.5", False), ("1e1", False)]
)
def test_integer_format(suites: dict[str, Suite], text: str, ok: bool) -> None:
    assert bool(_regex(suites, "collateral", "remargin_period_days").search(text)) is ok


def _broken_copy(tmp_path: Path, extract: str, edit) -> Path:  # noqa: ANN001 - edit(document) -> None
    folder = tmp_path / "expectations"
    shutil.copytree(suite_dir(), folder)
    document = json.loads((folder / f"{extract}.json").read_text())
    edit(document)
    (folder / f"{extract}.json").write_text(json.dumps(document))
    return folder


@pytest.mark.parametrize(
    ("extract", "edit", "message"),
    [
        ("trades", lambda d: d["expectations"][0].update(severity="fatal"), "severity 'fatal'"),
        ("trades", lambda d: d["expectations"][0].update(type="expect_column_to_exist"), "supported"),
        ("trades", lambda d: d["expectations"][1]["kwargs"].update(column="notionl"), "unknown column"),
        ("trades", lambda d: d["expectations"][1]["meta"].pop("rule"), "needs a non-empty 'rule'"),
        (
            "valuations",
            lambda d: d["meta"]["spark_checks"][0]["lookups"][0].update(rows="passed"),
            "validated after valuations",
        ),
        ("market_data", lambda d: d["meta"].update(key=["kind", "nope"]), "meta.key"),
    ],
)
def test_a_broken_suite_file_stops_with_its_path(tmp_path: Path, extract: str, edit, message: str) -> None:  # noqa: ANN001
    folder = _broken_copy(tmp_path, extract, edit)
    with pytest.raises(DataQualityError, match=message) as error:
        load_suite(extract, folder)
    assert f"{extract}.json" in str(error.value)
