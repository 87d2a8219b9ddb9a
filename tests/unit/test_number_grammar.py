"""One number grammar for every numeric column (issue 22, item 8): the suites' not_a_number rules and the
engine-alone reader use saccr_pipeline.extracts.NUMBER_GRAMMAR, and every number it accepts is finite."""

from __future__ import annotations

import math
import re

import pytest

from saccr_pipeline.extracts import NUMBER_GRAMMAR
from saccr_pipeline.quality.rules import load_suites


def test_every_not_a_number_rule_uses_the_one_grammar() -> None:
    regexes = {
        (s.extract, r.column): r.kwargs["regex"]
        for s in load_suites().values()
        for r in s.rules
        if r.rule == "not_a_number"
    }
    assert len(regexes) == 15 and set(regexes.values()) == {NUMBER_GRAMMAR}


@pytest.mark.parametrize(
    "text",
    ["9" * 30 + "." + "9" * 30 + "e+99", "-" + "9" * 30 + "e99", "0." + "0" * 29 + "1e-99", ".000001E-99"],
)
def test_every_number_the_grammar_accepts_is_finite_and_not_subnormal(text: str) -> None:
    """The extremes: 1e30 x 1e99 = 1e129 at most, 1e-30 x 1e-99 = 1e-129 at least, far from the limits of a
    double (1.8e308, and 2.2e-308 below which precision is lost)."""
    assert re.fullmatch(NUMBER_GRAMMAR, text)
    value = abs(float(text))
    assert math.isfinite(value) and 1e-130 < value < 1e130
