"""`saccr verify --as-of D`: is what readers of the latest table versions see for a date what the pipeline
published, and did anyone else commit to those tables? No Spark: delta-rs reads the versions and the log.

Readers that follow the run log (`RunLog.published`) read gold at the versions the date's publish row names,
but anyone reading a table's latest version sees every later commit too. For each gold result table (at the
publish row's version) and each mart (at the marts row's version) of the date, this compares the date's rows
there with the date's rows at the table's latest version, and lists every commit after the published version
that the pipeline did not make: each pipeline commit carries its step and run ids in the commit's userMetadata
(lakehouse.tables.replace_dates). Maintenance that changes no rows (VACUUM, OPTIMIZE) is listed apart. This is
tamper evidence, not proof: a writer who copies the pipeline's metadata is caught only by the row comparison.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from saccr_pipeline.errors import RunStateError
from saccr_pipeline.lakehouse.run_log import RunLog
from saccr_pipeline.lakehouse.tables import GOLD_RESULTS, MARTS, Lakehouse, current_version, delta_log

MAINTENANCE = frozenset({"VACUUM START", "VACUUM END", "OPTIMIZE"})
SHOWN = 5  # differing rows shown per table


@dataclass(frozen=True)
class Commit:
    version: int
    operation: str
    timestamp: int  # ms since the epoch
    metadata: str | None  # the commit's userMetadata


@dataclass
class TableCheck:
    key: str
    published: int  # the version the run log names for the date
    latest: int
    only_published: list[tuple] = field(default_factory=list)  # the date's rows changed or removed since
    only_latest: list[tuple] = field(default_factory=list)  # the date's rows added or changed since
    foreign: list[Commit] = field(default_factory=list)  # commits after `published` the pipeline did not make
    maintenance: list[Commit] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.only_published or self.only_latest or self.foreign)


@dataclass(frozen=True)
class Verification:
    as_of: dt.date
    run_id: str
    tables: Sequence[TableCheck]

    @property
    def intact(self) -> bool:
        return all(t.intact for t in self.tables)


def verify(lake: Lakehouse, as_of: dt.date) -> Verification:
    """Check every gold table of `as_of` against what its run published; RunStateError if nothing was."""
    run_log = RunLog(lake)
    published = run_log.published(as_of)
    if published is None:
        raise RunStateError(f"nothing is published for {as_of} in {lake.root}: nothing to verify")
    versions = {f"gold/{t}": published.versions[f"gold/{t}"] for t in GOLD_RESULTS}
    marts = run_log.published(as_of, "marts")
    if marts is not None and marts.run_id == published.run_id:
        versions |= {f"gold/{m}": marts.versions[f"gold/{m}"] for m in MARTS if f"gold/{m}" in marts.versions}
    return Verification(as_of, published.run_id, [_check(lake, key, v, as_of) for key, v in versions.items()])


def _check(lake: Lakehouse, key: str, published: int, as_of: dt.date) -> TableCheck:
    latest = current_version(lake, key)
    check = TableCheck(key, published, latest)
    if latest == published:
        return check
    before, after = _rows(lake, key, published, as_of), _rows(lake, key, latest, as_of)
    check.only_published = sorted((before - after).elements(), key=repr)
    check.only_latest = sorted((after - before).elements(), key=repr)
    for commit in _commits_after(lake, key, published):
        if _by_pipeline(commit.metadata):
            continue
        (check.maintenance if commit.operation in MAINTENANCE else check.foreign).append(commit)
    return check


def _rows(lake: Lakehouse, key: str, version: int, as_of: dt.date) -> Counter[tuple]:
    frame = delta_log(lake, key, version).to_pandas(filters=[("as_of_date", "=", as_of)])
    return Counter(tuple(_plain(v) for v in row) for row in frame.itertuples(index=False, name=None))


def _plain(value: object) -> object:
    """A cell as a plain Python value (None when missing), so rows compare and print alike."""
    import pandas as pd

    if isinstance(value, list | tuple):
        return tuple(value)
    if pd.isna(value):  # type: ignore[call-overload]
        return None
    return value.item() if hasattr(value, "item") else value


def _commits_after(lake: Lakehouse, key: str, version: int) -> list[Commit]:
    table = delta_log(lake, key)
    entries = table.history(int(table.version()) - version)
    return sorted(
        (
            Commit(
                int(e["version"]),
                str(e.get("operation")),
                int(e.get("timestamp") or 0),
                e.get("userMetadata"),
            )
            for e in entries
            if int(e["version"]) > version
        ),
        key=lambda c: c.version,
    )


def _by_pipeline(metadata: str | None) -> bool:
    """The commit carries the pipeline's userMetadata: its step, the run ids it wrote and a commit marker."""
    try:
        meta = json.loads(metadata or "")
    except json.JSONDecodeError:
        return False
    return isinstance(meta, Mapping) and {"step", "run_ids", "commit"} <= set(meta)


def report(result: Verification) -> str:
    lines = [f"verify {result.as_of}: published by run {result.run_id}"]
    for t in result.tables:
        state = "intact" if t.intact else "CHANGED"
        lines.append(f"  {t.key:<28} published v{t.published}, latest v{t.latest}: {state}")
        if t.only_published or t.only_latest:
            lines.append(
                f"    {len(t.only_published)} published row(s) differ from {len(t.only_latest)} row(s) of "
                "the latest version"
            )
            lines += [f"    - {row}" for row in t.only_published[:SHOWN]]
            lines += [f"    + {row}" for row in t.only_latest[:SHOWN]]
        lines += [
            f"    commit v{c.version} {c.operation} not made by the pipeline (userMetadata {c.metadata!r})"
            for c in t.foreign
        ]
        lines += [f"    maintenance v{c.version} {c.operation}" for c in t.maintenance]
    lines.append(
        "  every table shows what was published"
        if result.intact
        else "  readers of the latest versions do not see what was published: restore or rerun the date"
    )
    return "\n".join(lines)
