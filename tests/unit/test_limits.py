"""Hard limits (conf/limits.toml) filled into the suites' spark checks, and the share of lost trades that
stops a date (quarantined + held back). No Spark: the suites load as data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from saccr_pipeline.config.limits import load_limits
from saccr_pipeline.config.regimes import REPO_ROOT
from saccr_pipeline.errors import DataQualityError, SettingsError
from saccr_pipeline.quality.rules import load_suites
from saccr_pipeline.quality.validation import LostTrades, lost_trades_problem


def test_the_limits_of_the_repository() -> None:
    limits = load_limits()
    assert limits["trades.notional"] == 1e13 and limits["valuations.mtm"] == 1e12
    assert (limits["market_data.fx_rate_min"], limits["market_data.fx_rate_max"]) == (1e-9, 1e9)
    assert {k.split(".")[0] for k in limits} == {"trades", "valuations", "collateral", "market_data"}


@pytest.mark.parametrize("value", ["-1", "0", "inf", "'big'", "true"])
def test_a_limit_must_be_a_finite_positive_number(tmp_path: Path, value: str) -> None:
    path = tmp_path / "limits.toml"
    path.write_text(f"[trades]\nnotional = {value}\n")
    with pytest.raises(SettingsError, match=r"limit trades.notional must be a finite number > 0"):
        load_limits(path)


def test_every_limit_is_filled_into_its_spark_check() -> None:
    suites = load_suites()
    rules = {
        (s, r.column): r for s, suite in suites.items() for r in suite.rules if r.rule == "limit_exceeded"
    }
    notional = rules[("trades", "notional")]
    assert notional.severity == "critical"
    assert "> CAST('10000000000000.0' AS DOUBLE)" in notional.kwargs["unexpected_when"]
    assert notional.message.endswith("above the hard limit of 1e+13 (conf/limits.toml)")
    fx = rules[("market_data", "value")]
    assert fx.message == "FX rate outside the hard limits 1e-09 to 1e+09 (conf/limits.toml)"
    collateral = {c for s, c in rules if s == "collateral"}
    assert collateral == {"vm_received", "vm_posted", "ia_received", "ia_posted_unsegregated",
                          "ia_posted_segregated", "threshold", "mta"}  # fmt: skip
    assert not any("{limit:" in str(r.kwargs) for r in rules.values())


def test_a_limit_no_suite_uses_or_a_suite_naming_an_unknown_limit_stops(tmp_path: Path) -> None:
    limits = load_limits() | {"trades.strike": 1e9}
    with pytest.raises(DataQualityError, match=r"hard limits \['trades.strike'\] .* are used by no suite"):
        load_suites(limits=limits)
    folder = tmp_path / "expectations"
    shutil.copytree(REPO_ROOT / "expectations", folder)
    path = folder / "valuations.json"
    path.write_text(path.read_text().replace("{limit:valuations.mtm}", "{limit:valuations.mtm_abs}"))
    with pytest.raises(DataQualityError, match=r"names hard limit 'valuations.mtm_abs', not in"):
        load_suites(folder)


def test_held_trades_count_in_the_lost_share() -> None:
    """Issue 22's probe: 5,000 trades, ~2.5% quarantined (125), 4,195 held in 59 netting sets: 4,320 of 5,000
    = 86.4% not published, far above 5%; the quarantined rows alone (2.5%) were under it."""
    lost = LostTrades(delivered=5000, quarantined=125, held=4195, held_netting_sets=59)
    assert lost_trades_problem(lost, 0.05) == (
        "trades: 125 quarantined and 4,195 held back in 59 incomplete netting set(s): 4,320 of 5,000 rows "
        "not published (86.4%), above max_rejected_share 5.0%"
    )
    assert lost_trades_problem(LostTrades(5000, 125, 125, 1), 0.05) is None  # 250 of 5,000 = 5.0%: not above
    assert lost_trades_problem(LostTrades(0, 0, 0, 0), 0.05) is None
