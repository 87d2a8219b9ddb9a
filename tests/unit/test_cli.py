"""`saccr generate` and `saccr compute` end to end on files, and their run-level errors (exit code 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from saccr.contract import (
    HEDGING_SET_RESULT_COLUMNS,
    NETTING_SET_RESULT_COLUMNS,
    REJECTED_COLUMNS,
    TRADE_RESULT_COLUMNS,
)
from saccr_pipeline.cli import build_parser, main

pytest.importorskip("saccr.engine")

AS_OF = "2025-03-31"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sample extracts of one date: 3,000 trades in 60 netting sets."""
    out = tmp_path_factory.mktemp("landing")
    argv = ["generate", "--as-of", AS_OF, "--trades", "3000", "--netting-sets", "60", "--seed", "4"]
    assert main([*argv, "--out", str(out)]) == 0
    return out


def compute_argv(landing: Path, out: Path, *extra: str) -> list[str]:
    return [
        "compute", "--as-of", AS_OF, "--trades", str(landing / "trades.csv"),
        "--valuations", str(landing / "valuations.csv"), "--collateral", str(landing / "collateral.csv"),
        "--market-data", str(landing / "market_data.csv"), "--out", str(out), *extra,
    ]  # fmt: skip


def test_generate_writes_the_four_extracts(landing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sorted(p.name for p in landing.iterdir()) == [
        "collateral.csv", "market_data.csv", "trades.csv", "valuations.csv",
    ]  # fmt: skip
    assert len(pd.read_csv(landing / "trades.csv")) == 3000
    assert len(pd.read_csv(landing / "collateral.csv")) == 60


def test_generate_several_days_in_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--as-of", "2025-03-28", "--trades", "500", "--netting-sets", "10", "--seed", "1"]
    assert main([*argv, "--days", "3", "--format", "parquet", "--out", str(tmp_path)]) == 0

    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-03-28", "2025-03-31", "2025-04-01"]
    assert sorted(p.name for p in (tmp_path / "2025-04-01").iterdir()) == [
        "collateral.parquet", "market_data.parquet", "trades.parquet", "valuations.parquet",
    ]  # fmt: skip
    printed = capsys.readouterr().out
    assert "2025-04-01  trades" in printed and "generated 3 date(s)" in printed


def test_compute_end_to_end(landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(compute_argv(landing, tmp_path)) == 0

    ns = pd.read_csv(tmp_path / "netting_set.csv")
    hs = pd.read_csv(tmp_path / "hedging_set.csv")
    trades = pd.read_csv(tmp_path / "trade.csv")
    rejected = pd.read_csv(tmp_path / "rejected.csv")
    assert list(ns.columns) == list(NETTING_SET_RESULT_COLUMNS) and len(ns) == 60
    assert list(hs.columns) == list(HEDGING_SET_RESULT_COLUMNS)
    assert list(trades.columns) == list(TRADE_RESULT_COLUMNS) and len(trades) == 3000
    assert list(rejected.columns) == list(REJECTED_COLUMNS) and rejected.empty
    assert (ns["ead"] > 0).all() and ns["trade_count"].sum() == 3000
    assert (ns["as_of_date"] == AS_OF).all()

    printed = capsys.readouterr().out
    top = ns.nlargest(1, "ead").iloc[0]
    assert "largest netting sets by EAD" in printed and top["netting_set_id"] in printed
    assert f"{top['ead']:,.0f}" in printed
    assert "rejected rows: 0" in printed and "timings: read" in printed


def test_compute_options_reach_the_engine(landing: Path, tmp_path: Path) -> None:
    assert main(compute_argv(landing, tmp_path / "basel")) == 0
    assert main(compute_argv(landing, tmp_path / "other", "--ir-no-offset", "--cap-vm-treatment", "eu")) == 0
    basel = pd.read_csv(tmp_path / "basel" / "netting_set.csv")
    other = pd.read_csv(tmp_path / "other" / "netting_set.csv")
    assert (other["addon_ir"] >= basel["addon_ir"] - 1e-6).all()  # no offset across buckets: never less
    assert (other["addon_ir"] > basel["addon_ir"] + 1e-6).any()


def _with_one_bad_trade(landing: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of the extracts where one trade's notional is not a number."""
    tmp_path.mkdir()
    for name in ("valuations", "collateral", "market_data"):
        (tmp_path / f"{name}.csv").write_bytes((landing / f"{name}.csv").read_bytes())
    trades = pd.read_csv(landing / "trades.csv", dtype=str, keep_default_na=False)
    trades.loc[0, "notional"] = "ten million"
    trades.to_csv(tmp_path / "trades.csv", index=False)
    return tmp_path, trades.loc[0, "trade_id"], trades.loc[0, "netting_set_id"]


def test_reader_rejections_hold_the_netting_set(landing: Path, tmp_path: Path) -> None:
    extracts, trade_id, netting_set = _with_one_bad_trade(landing, tmp_path / "in")
    assert main(compute_argv(extracts, tmp_path / "out")) == 0

    rejected = pd.read_csv(tmp_path / "out" / "rejected.csv")
    ns = pd.read_csv(tmp_path / "out" / "netting_set.csv")
    bad = rejected.loc[rejected["trade_id"] == trade_id]
    assert bad[["extract", "field", "rule"]].values.tolist() == [["trades", "notional", "not_a_number"]]
    assert "ten million" in bad["message"].iloc[0]  # its valuation is not reported as an orphan
    assert netting_set not in set(ns["netting_set_id"]) and len(ns) == 59
    held = rejected.loc[rejected["rule"] == "netting_set_held_incomplete"]
    assert set(held["netting_set_id"]) == {netting_set} and trade_id not in set(held["trade_id"])


def test_reader_rejections_flag_the_netting_set(landing: Path, tmp_path: Path) -> None:
    extracts, trade_id, netting_set = _with_one_bad_trade(landing, tmp_path / "in")
    assert main(compute_argv(extracts, tmp_path / "out", "--incomplete-netting-sets", "flag")) == 0

    ns = pd.read_csv(tmp_path / "out" / "netting_set.csv").set_index("netting_set_id")
    assert len(ns) == 60
    assert not ns.loc[netting_set, "complete"] and ns.loc[netting_set, "rejected_trade_count"] == 1
    assert ns.drop(index=netting_set)["complete"].all()


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda d: (d / "trades.csv").unlink(), "trades extract"),
        (
            lambda d: (d / "collateral.csv").write_text("netting_set_id,margined\nNS1,true\n"),
            "missing column",
        ),
        (lambda d: (d / "market_data.csv").write_text(""), "file is empty"),
    ],
)
def test_run_level_errors_exit_2(
    landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], break_it, expected: str
) -> None:
    extracts, _, _ = _with_one_bad_trade(landing, tmp_path / "in")
    break_it(extracts)

    assert main(compute_argv(extracts, tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert err.startswith("saccr compute: error:") and expected in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unknown_regime_exits_2(landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(compute_argv(landing, tmp_path, "--regime", "basel_ii")) == 2
    assert "no parameter file for regime 'basel_ii'" in capsys.readouterr().err


def test_generate_refuses_more_netting_sets_than_trades(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", "--as-of", AS_OF, "--trades", "5", "--netting-sets", "6", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "--netting-sets (6) must not exceed --trades (5)" in capsys.readouterr().err


def test_bad_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["generate", "--as-of", "31/03/2025", "--trades", "5", "--netting-sets", "1", "--out", "x"])
    assert info.value.code == 2 and "not an ISO date" in capsys.readouterr().err


def test_subcommands_are_registered() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"generate", "compute"} <= set(commands)


def test_compute_does_not_import_spark(landing: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from saccr_pipeline.cli import main\n"
        f"assert main({compute_argv(landing, tmp_path)!r}) == 0\n"
        "assert not [m for m in sys.modules if m.startswith(('pyspark', 'delta', 'airflow'))]\n"
    )
    env_path = str(Path(__file__).resolve().parents[2] / "jobs")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compute_under_another_regime_uses_its_version_in_force(
    landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--regime eu_crr3 at 2025-03-31: the version of 2025-01-01 (before Delegated Regulation 2025/855);
    netting sets name it, and a regime without a version in force at the date is one clear error."""
    assert main(compute_argv(landing, tmp_path / "eu", "--regime", "eu_crr3")) == 0
    ns = pd.read_csv(tmp_path / "eu" / "netting_set.csv")
    assert set(ns["regime"]) == {"EU_CRR3"} and set(ns["parameter_version"]) == {"2025-01-01.1"}
    assert "EU_CRR3 2025-01-01.1" in capsys.readouterr().out
    entities = pd.read_csv(tmp_path / "eu" / "legal_entity.csv")
    assert set(entities["legal_entity"]) == set(ns["legal_entity"])
    assert main(compute_argv(landing, tmp_path / "uk", "--regime", "uk_pra")) == 0
    too_early = [
        a if a != AS_OF else "2019-12-31" for a in compute_argv(landing, tmp_path / "x", "--regime", "uk_pra")
    ]
    assert main(too_early) == 2
    assert "no parameter version in force on 2019-12-31" in capsys.readouterr().err
