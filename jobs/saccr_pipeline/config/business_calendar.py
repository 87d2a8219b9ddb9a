"""The business-day calendar of conf/holidays.toml: which dates are business dates, and the ranges a backfill
runs. Standard library only: the DAG files and the command line use it without starting anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from saccr_pipeline.config.regimes import conf_dir, read_conf_toml
from saccr_pipeline.errors import OrchestrationError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekdays minus the listed holidays, for the years `first_year`..`last_year` (conf/holidays.toml)."""

    name: str
    first_year: int
    last_year: int
    holidays: Mapping[dt.date, str] = field(default_factory=dict)

    def closed_reason(self, day: dt.date) -> str | None:
        """Why `day` is not a business date ("Saturday", "Christmas Day (TARGET2)"), or None if it is one."""
        if not self.first_year <= day.year <= self.last_year:
            raise OrchestrationError(
                f"the {self.name} holiday calendar covers {self.first_year}-{self.last_year}, not {day}: "
                f"add the holidays of {day.year} to {calendar_path()} and raise first_year/last_year"
            )
        if day.weekday() >= 5:
            return WEEKDAYS[day.weekday()]
        if day in self.holidays:
            return f"{self.holidays[day]} ({self.name})"
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return self.closed_reason(day) is None

    def previous_business_day(self, day: dt.date) -> dt.date:
        """The latest business date before `day` (the date a day-over-day movement compares with)."""
        day -= dt.timedelta(days=1)
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day

    def business_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Business dates from `first` to `last`, both included (what a backfill of that range publishes)."""
        days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
        return [d for d in days if self.is_business_day(d)]


def calendar_path() -> Path:
    return conf_dir() / "holidays.toml"


def load_calendar(path: Path | None = None) -> BusinessCalendar:
    """Read and validate the holiday calendar (default conf/holidays.toml)."""
    path = path or calendar_path()
    raw = read_conf_toml(path, "holiday calendar", OrchestrationError)
    try:
        name, first, last = str(raw["name"]), int(raw["first_year"]), int(raw["last_year"])
        entries = [(entry["date"], str(entry["name"])) for entry in raw.get("holidays", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise OrchestrationError(
            f"{path}: needs name, first_year, last_year and "
            f"holidays = [{{date = YYYY-MM-DD, name = ...}}]: {exc!r}"
        ) from exc
    holidays: dict[dt.date, str] = {}
    for day, label in entries:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise OrchestrationError(f"{path}: holiday {label!r} has date {day!r}; write a bare TOML date")
        if not first <= day.year <= last:
            raise OrchestrationError(f"{path}: holiday {day} ({label}) is outside {first}-{last}")
        holidays[day] = label
    return BusinessCalendar(name, first, last, holidays)
