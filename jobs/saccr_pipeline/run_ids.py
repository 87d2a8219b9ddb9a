"""Run ids: `<yyyymmdd of the as-of date>-<batch token>`. The runs of one batch (a range of dates run
together) share the token; a run id alone names its date. Standard library only."""

from __future__ import annotations

import datetime as dt
import uuid

from saccr_pipeline.errors import RunStateError


def new_token() -> str:
    """A unique, sortable batch token: UTC start time and a random suffix."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def run_id_of(as_of: dt.date, token: str) -> str:
    """The run id of `as_of` in the batch `token`."""
    return f"{as_of:%Y%m%d}-{token}"


def new_run_id(as_of: dt.date) -> str:
    """A unique, sortable run id of one date run alone."""
    return run_id_of(as_of, new_token())


def date_of_run(run_id: str) -> dt.date:
    """The as-of date a run id names; a clear error for anything that is not a run id."""
    try:
        return dt.datetime.strptime(run_id[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise RunStateError(f"{run_id!r} is not a run id (YYYYMMDD-<batch>)") from exc


def token_of(run_id: str) -> str:
    """The batch token of a run id."""
    date_of_run(run_id)
    return run_id[9:]
