"""A lease per date in audit/run_log: at most one run of a date at a time, and no debris left by a dead one.

The first step of a run (ingest) claims each of its dates by appending a `run` row with status `running`, in a
conditional commit: delta-rs commits it only on top of the run_log version whose rows it checked
(`max_commit_retries=0`), so of two runs checking at once one commits and the other reads again and finds the
lease. The lease ends with the run's closing `run` row (success or failed, steps/summarise.py). Every later
step checks that no other live run holds its dates.

Another run's lease is alive unless
- its latest row is a failed step (the run is over for that date: its later steps do not run),
- nothing of the run was logged for `run_lease_minutes` (settings; the DAGs' execution timeout, 6 h, by
  default), or
- its holder is a process running the whole run (`saccr run`) on this host, and that process is gone.
A live lease refuses the date (LeaseHeldError, naming the run and where it runs); a dead one is closed as
`abandoned` in the same commit as the new claim, and the step removes the dead run's `staging/<token>`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saccr_pipeline.errors import LeaseHeldError, RunStateError
from saccr_pipeline.lakehouse.run_log import RUN_LOG, RUN_STEP, RunContext, RunLog, StepRecord
from saccr_pipeline.lakehouse.tables import delta_log

if TYPE_CHECKING:
    import pandas as pd

RUNNING, ABANDONED = "running", "abandoned"
HOLDER = "lease_holder"  # key of the holder in the options of a run's `running` row
CLAIM_ATTEMPTS = 40


@dataclass(frozen=True)
class Holder:
    """Where a run runs: the host, and the process when one process runs every step of it (`saccr run`)."""

    host: str
    pid: int | None = None

    @classmethod
    def here(cls, whole_run: bool) -> Holder:
        return cls(socket.gethostname(), os.getpid() if whole_run else None)

    @classmethod
    def of_options(cls, options: str | None) -> Holder | None:
        raw = json.loads(options or "{}").get(HOLDER)
        return cls(str(raw["host"]), raw.get("pid")) if raw else None

    def as_option(self) -> dict[str, object]:
        return {"host": self.host, "pid": self.pid}

    def describe(self) -> str:
        return f"host {self.host}" + (f", pid {self.pid}" if self.pid else "")

    def gone(self) -> bool:
        """True when the holding process is known to have ended (only a process on this host can be seen)."""
        if self.pid is None or self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


@dataclass(frozen=True)
class Lease:
    """An open lease of a date: a run whose latest `run` row is `running`."""

    as_of: dt.date
    run_id: str
    holder: Holder | None
    last_seen: dt.datetime  # the latest row the run logged
    dead: str | None  # why the lease is over; None while alive
    row: Mapping[str, object]  # the `running` row (its context)

    @property
    def alive(self) -> bool:
        return self.dead is None

    def describe(self) -> str:
        where = f" on {self.holder.describe()}" if self.holder else ""
        return f"run {self.run_id}{where}, last logged at {self.last_seen:%Y-%m-%d %H:%M:%S} UTC"


def open_leases(frame: pd.DataFrame, lease_minutes: float, now: dt.datetime | None = None) -> list[Lease]:
    """Every open lease among run_log rows `frame` (ordered by logged_at), alive or dead."""
    import pandas as pd

    now = now or dt.datetime.now(dt.UTC)
    runs = frame[frame["step"] == RUN_STEP].drop_duplicates("run_id", keep="last")
    leases = []
    for row in runs[runs["status"] == RUNNING].to_dict("records"):
        mine = frame[frame["run_id"] == row["run_id"]]
        last = mine.iloc[-1]
        last_seen = pd.Timestamp(mine["logged_at"].max()).to_pydatetime()
        last_seen = last_seen if last_seen.tzinfo else last_seen.replace(tzinfo=dt.UTC)
        holder = Holder.of_options(row["options"])
        idle = (now - last_seen).total_seconds() / 60
        dead = None
        if last["step"] != RUN_STEP and last["status"] == "failed":
            first = (str(last["error"] or "").splitlines() or [""])[0]
            dead = f"its {last['step']} step failed ({first[:200]})"
        elif idle > lease_minutes:
            dead = f"nothing logged for {idle:.0f} min (run_lease_minutes {lease_minutes:g})"
        elif holder is not None and holder.gone():
            dead = f"its process {holder.pid} on {holder.host} is gone"
        leases.append(Lease(row["as_of_date"], str(row["run_id"]), holder, last_seen, dead, row))
    return leases


@dataclass(frozen=True)
class Claim:
    """What a claim found: the dates another live run holds, and the dead leases it closed."""

    held: Mapping[dt.date, Lease]
    abandoned: Sequence[Lease]


def claim(run_log: RunLog, contexts: Sequence[RunContext], holder: Holder, lease_minutes: float) -> Claim:
    """Claim the dates of `contexts` (one run each) for their runs, closing dead leases of those dates as
    `abandoned` in the same conditional commit. Dates another live run holds are left out (`Claim.held`);
    a run that already holds its date (a retried step) claims nothing again."""
    dates = sorted({c.as_of for c in contexts})
    ours = {c.run_id for c in contexts}
    for attempt in range(CLAIM_ATTEMPTS):
        snapshot = delta_log(run_log.lake, RUN_LOG)
        frame = _rows(snapshot, dates)
        leases = open_leases(frame, lease_minutes)
        held = {lease.as_of: lease for lease in leases if lease.alive and lease.run_id not in ours}
        dead = [lease for lease in leases if not lease.alive and lease.run_id not in ours]
        holding = {lease.run_id for lease in leases if lease.run_id in ours}
        rows = [(_context_of(lease.row), _abandoned(lease, contexts)) for lease in dead]
        rows += [
            (_with_holder(c, holder), StepRecord(RUN_STEP, status=RUNNING))
            for c in contexts
            if c.as_of not in held and c.run_id not in holding
        ]
        if not rows:
            return Claim(held, [])
        if run_log.append(rows, on_top_of=snapshot) is not None:
            return Claim(held, dead)
        time.sleep(min(0.05 * 2**attempt, 1.0) * (0.5 + random.random()))
    raise RunStateError(
        f"could not claim {', '.join(map(str, dates))} in {run_log.lake.path(RUN_LOG)}: it kept changing "
        f"over {CLAIM_ATTEMPTS} attempts; run again"
    )


def lease_problems(
    run_log: RunLog, contexts: Sequence[RunContext], lease_minutes: float
) -> dict[dt.date, str]:
    """Why a later step of each run must not go on: another live run holds its date, or the run was closed
    as abandoned. {} when every run may go on."""
    frame = run_log.rows(c.as_of for c in contexts)
    leases = open_leases(frame, lease_minutes)
    runs = frame[frame["step"] == RUN_STEP].drop_duplicates("run_id", keep="last").set_index("run_id")
    problems = {}
    for c in contexts:
        if c.run_id in runs.index and runs.at[c.run_id, "status"] == ABANDONED:
            problems[c.as_of] = f"run {c.run_id} was closed as abandoned: {runs.at[c.run_id, 'error']}"
            continue
        other = next((x for x in leases if x.as_of == c.as_of and x.alive and x.run_id != c.run_id), None)
        if other is not None:
            problems[c.as_of] = held_message(other)
    return problems


def held_message(lease: Lease) -> str:
    return (
        f"{lease.as_of}: {lease.describe()} is in progress; wait for it to end (or, if it died, until "
        "run_lease_minutes after its last log row) and run the date again"
    )


def held_dates(run_log: RunLog, dates: Iterable[dt.date], lease_minutes: float) -> dict[dt.date, Lease]:
    """The dates of `dates` a live run holds (no table yet: none)."""
    from deltalake import DeltaTable

    if not DeltaTable.is_deltatable(run_log.lake.uri(RUN_LOG)):
        return {}
    leases = open_leases(run_log.rows(dates), lease_minutes)
    return {lease.as_of: lease for lease in leases if lease.alive}


def refuse(leases: Mapping[dt.date, Lease]) -> LeaseHeldError:
    return LeaseHeldError("; ".join(held_message(leases[d]) for d in sorted(leases)))


def _rows(snapshot: object, dates: Sequence[dt.date]) -> pd.DataFrame:
    frame = snapshot.to_pandas(filters=[("as_of_date", "in", dates)])  # type: ignore[attr-defined]
    return frame.sort_values("logged_at", kind="stable", ignore_index=True)


def _with_holder(ctx: RunContext, holder: Holder) -> RunContext:
    return dataclasses.replace(ctx, options={**ctx.options, HOLDER: holder.as_option()})


def _abandoned(lease: Lease, contexts: Sequence[RunContext]) -> StepRecord:
    closer = ", ".join(sorted({c.run_id for c in contexts if c.as_of == lease.as_of})) or "another run"
    record = StepRecord(RUN_STEP, ended_at=dt.datetime.now(dt.UTC))
    record.fail(f"abandoned: {lease.dead}; closed by run {closer}")
    record.status = ABANDONED
    return record


def _context_of(row: Mapping[str, object]) -> RunContext:
    return RunContext(
        run_id=str(row["run_id"]),
        as_of=row["as_of_date"],  # type: ignore[arg-type]
        regime=str(row["regime"]),
        parameter_version=str(row["parameter_version"]),
        reporting_currency=str(row["reporting_currency"]),
        options=json.loads(str(row["options"] or "{}")),
        code_version=str(row["code_version"]),
    )
