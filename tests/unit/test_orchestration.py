"""What the DAGs ask of the pipeline, as plain functions (no Airflow here): the business calendar, the landing
check of the sensor, the plan of a run, which failures not to retry (saccr_pipeline.orchestration)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from saccr_pipeline import orchestration
from saccr_pipeline.config.business_calendar import BusinessCalendar, load_calendar
from saccr_pipeline.config.settings import load_settings
from saccr_pipeline.errors import OrchestrationError, UsageError
from saccr_pipeline.landing import find_extracts
from saccr_pipeline.steps.pipeline import plan_dates

D = dt.date


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return load_calendar()


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (D(2026, 11, 20), None),  # Friday
        (D(2026, 11, 21), "Saturday"),
        (D(2026, 11, 22), "Sunday"),
        (D(2026, 12, 25), "Christmas Day (TARGET2)"),
        (D(2026, 4, 3), "Good Friday (TARGET2)"),
        (D(2026, 4, 6), "Easter Monday (TARGET2)"),
        (D(2026, 12, 24), None),
    ],
)
def test_closed_reason(calendar: BusinessCalendar, day: dt.date, reason: str | None) -> None:
    assert calendar.closed_reason(day) == reason


def test_previous_business_day_steps_over_weekends_and_holidays(calendar: BusinessCalendar) -> None:
    assert calendar.previous_business_day(D(2026, 11, 23)) == D(2026, 11, 20)  # Monday -> Friday
    assert calendar.previous_business_day(D(2026, 4, 7)) == D(2026, 4, 2)  # Easter: Thu before Good Friday
    assert calendar.previous_business_day(D(2026, 12, 28)) == D(2026, 12, 24)


def test_business_days_of_a_backfill_range(calendar: BusinessCalendar) -> None:
    assert calendar.business_days(D(2026, 12, 21), D(2026, 12, 29)) == [
        D(2026, 12, 21), D(2026, 12, 22), D(2026, 12, 23), D(2026, 12, 24), D(2026, 12, 28), D(2026, 12, 29),
    ]  # fmt: skip


def test_plan_dates_lists_the_business_dates_and_why_the_others_are_skipped() -> None:
    plan = plan_dates(D(2026, 12, 24), D(2026, 12, 28))
    assert plan.dates == (D(2026, 12, 24), D(2026, 12, 28))
    assert plan.skipped == {
        D(2026, 12, 25): "Christmas Day (TARGET2)", D(2026, 12, 26): "Saturday", D(2026, 12, 27): "Sunday",
    }  # fmt: skip
    with pytest.raises(UsageError, match="no business date from 2026-11-21 to 2026-11-22"):
        plan_dates(D(2026, 11, 21), D(2026, 11, 22))


def test_a_year_the_calendar_does_not_cover_fails_clearly(calendar: BusinessCalendar) -> None:
    with pytest.raises(
        OrchestrationError, match="covers 2024-2028, not 2029-01-02.*add the holidays of 2029"
    ):
        calendar.closed_reason(D(2029, 1, 2))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'X'\nfirst_year = 2026\nlast_year = 2026\nholidays = [{date = 2027-01-01, name = 'Y'}]",
         "outside 2026-2026"),
        ("name = 'X'\nfirst_year = 2026\nlast_year = 2026\nholidays = [{date = '2026-01-01', name = 'Y'}]",
         "write a bare TOML date"),
        ("name = 'X'\nlast_year = 2026\n", "needs name, first_year, last_year"),
        ("name = ", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_malformed_calendar_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(text)
    with pytest.raises(OrchestrationError, match=message):
        load_calendar(path)


def test_business_date_comes_from_the_param_else_the_data_interval_start() -> None:
    monday_0600_london = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)  # GMT in winter
    assert orchestration.business_date("2026-11-18", monday_0600_london, "Europe/London") == D(2026, 11, 18)
    assert orchestration.business_date(None, monday_0600_london, "Europe/London") == D(2026, 11, 23)
    # 23:30 UTC on a summer Sunday is already Monday in London: the business zone decides, not UTC
    late = dt.datetime(2026, 6, 14, 23, 30, tzinfo=dt.UTC)
    assert orchestration.business_date(None, late, "Europe/London") == D(2026, 6, 15)


def test_business_date_of_a_run_without_logical_date_needs_the_param() -> None:
    with pytest.raises(OrchestrationError, match='"as_of_date": "YYYY-MM-DD"'):
        orchestration.business_date(None, None, "Europe/London")
    with pytest.raises(OrchestrationError, match="not an ISO date"):
        orchestration.business_date("18/11/2026", None, "Europe/London")


def test_find_extracts_names_missing_and_ambiguous_extracts(tmp_path: Path) -> None:
    folder = tmp_path / "2026-11-20"
    folder.mkdir()
    (folder / "trades.csv").write_text("x")
    (folder / "collateral.parquet").write_text("x")
    (folder / "collateral.csv").write_text("x")
    check = find_extracts(str(tmp_path), D(2026, 11, 20))
    assert not check.complete
    assert check.found == {"trades": f"{folder}/trades.csv"}
    assert check.missing == ("valuations", "market_data")
    assert set(check.ambiguous) == {"collateral"}
    both = [f"{folder}/collateral.csv", f"{folder}/collateral.parquet"]
    assert check.describe() == (
        f"{folder}: missing valuations.csv or valuations.parquet; missing market_data.csv or "
        f"market_data.parquet; collateral: several files {both}, keep one"
    )


def test_find_extracts_accepts_file_uris(tmp_path: Path) -> None:
    folder = tmp_path / "2026-11-20"
    folder.mkdir()
    for name in ("trades.csv", "valuations.parquet", "collateral.csv", "market_data.pq"):
        (folder / name).write_text("x")
    check = find_extracts(f"file://{tmp_path}", D(2026, 11, 20))
    assert check.complete, check.describe()


def test_plan_run_gives_every_step_the_same_dates_token_and_spark_options(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SACCR_LAKEHOUSE", str(tmp_path / "lake"))
    settings = load_settings("ci")
    plan = orchestration.plan_run(D(2026, 11, 16), D(2026, 11, 20), settings)
    assert plan.lakehouse == str(tmp_path / "lake")
    jars = plan.jars.split(",")
    assert any(Path(j).name.startswith("delta-spark_") for j in jars) and all(Path(j).is_file() for j in jars)
    assert plan.spark_conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert plan.spark_conf["spark.sql.shuffle.partitions"] == str(settings.shuffle_partitions)
    assert Path(plan.spark_env["PYSPARK_PYTHON"]).is_file() and plan.spark_env["SACCR_ENV"] == "ci"
    xcom = plan.as_xcom()
    assert (xcom["first"], xcom["last"], xcom["token"]) == ("2026-11-16", "2026-11-20", plan.token)
    assert orchestration.plan_run(D(2026, 11, 20), D(2026, 11, 20), settings).token != plan.token  # a new run
    assert orchestration.SUBMIT.is_file() and orchestration.SUBMIT.name == "submit.py"


@pytest.mark.parametrize(
    ("output", "error"),
    [
        (
            "raise LakehouseError(\nsaccr_pipeline.errors.LakehouseError: table bronze/trades exists",
            "LakehouseError",
        ),
        ("saccr.errors.InputError: collateral has no rows\n26/11/21 INFO SparkContext: stop()", "InputError"),
        ("py4j.protocol.Py4JJavaError: An error occurred\njava.io.IOException: No space left", None),
        ("ValueError: saccr_pipeline.x.FooError: quoted inside another message", None),
    ],
)
def test_pipeline_error_finds_the_pipelines_own_error_in_a_steps_output(
    output: str, error: str | None
) -> None:
    assert orchestration.pipeline_error(Exception(output)) == error  # as spark-submit's failure reports it
