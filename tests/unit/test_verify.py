"""`saccr verify --as-of D` on a small lakehouse written with delta-rs (no JVM; the Spark path is in
tests/integration/test_date_guards.py): a date as published is intact; an update outside the pipeline is
flagged, with the row it changed and its commit."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import CommitProperties, DeltaTable, write_deltalake
from pyspark.sql.pandas.types import to_arrow_schema

from saccr_pipeline.cli import main
from saccr_pipeline.errors import RunStateError
from saccr_pipeline.lakehouse.run_log import RUN_LOG, RunContext, RunLog, StepRecord
from saccr_pipeline.lakehouse.tables import GOLD_RESULTS, Lakehouse, table_specs
from saccr_pipeline.steps.verify import verify

D = dt.date(2026, 11, 20)
RUN = "20261120-pub"


def _schema(key: str) -> pa.Schema:
    return to_arrow_schema(table_specs()[key].schema, timezone="UTC")


def _pipeline_write(lake: Lakehouse, key: str, rows: list[dict]) -> int:
    """Rows written the way the pipeline commits: its step, run ids and a marker in userMetadata."""
    meta = json.dumps({"commit": uuid.uuid4().hex, "run_ids": [RUN], "step": "publish"})
    schema = _schema(key)
    data = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)
    write_deltalake(lake.uri(key), data, mode="append", partition_by=["as_of_date"],
                    commit_properties=CommitProperties(custom_metadata={"userMetadata": meta}))  # fmt: skip
    return DeltaTable(lake.uri(key)).version()


@pytest.fixture
def lake(tmp_path: Path) -> Lakehouse:
    """Gold results of D as one run published them, and the run log naming their versions."""
    lake = Lakehouse(str(tmp_path / "lake"))
    DeltaTable.create(lake.uri(RUN_LOG), schema=_schema(RUN_LOG), partition_by=["as_of_date"])
    versions = {}
    for table in GOLD_RESULTS:
        row = {"as_of_date": D, "run_id": RUN, "netting_set_id": "NS1"}
        versions[f"gold/{table}"] = _pipeline_write(lake, f"gold/{table}", [row | {"ead": 100.0}])
    ctx = RunContext(RUN, D, "bcbs_cre52", "v1", "USD", {}, code_version="test")
    RunLog(lake).append([(ctx, StepRecord("publish", output_versions=versions, status="success"))])
    return lake


def test_a_date_as_published_is_intact(lake: Lakehouse, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(lake, D).intact
    assert main(["verify", "--as-of", D.isoformat(), "--lakehouse", lake.root]) == 0
    assert "every table shows what was published" in capsys.readouterr().out


def test_an_update_outside_the_pipeline_is_flagged(
    lake: Lakehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    """EAD 100 of NS1 set to 1 by a DeltaTable.update of delta-rs (no pipeline userMetadata)."""
    DeltaTable(lake.uri("gold/saccr_netting_set")).update(
        updates={"ead": "1.0"}, predicate="netting_set_id = 'NS1'"
    )
    result = verify(lake, D)
    assert not result.intact
    (changed,) = [t for t in result.tables if not t.intact]
    assert changed.key == "gold/saccr_netting_set" and (changed.published, changed.latest) == (0, 1)
    assert [c.operation for c in changed.foreign] == ["UPDATE"]
    ead = [f.name for f in _schema("gold/saccr_netting_set")].index("ead")
    assert [r[ead] for r in changed.only_published] == [100.0] and [r[ead] for r in changed.only_latest] == [
        1.0
    ]
    assert main(["verify", "--as-of", D.isoformat(), "--lakehouse", lake.root]) == 1
    out = capsys.readouterr().out
    assert "gold/saccr_netting_set       published v0, latest v1: CHANGED" in out
    assert "commit v1 UPDATE not made by the pipeline (userMetadata None)" in out


def test_a_later_pipeline_commit_of_another_date_is_not_flagged(lake: Lakehouse) -> None:
    _pipeline_write(lake, "gold/saccr_trade", [{"as_of_date": D + dt.timedelta(days=1), "run_id": "x"}])
    assert verify(lake, D).intact


def test_a_date_never_published_cannot_be_verified(lake: Lakehouse) -> None:
    with pytest.raises(RunStateError, match="nothing is published for 2026-11-23"):
        verify(lake, dt.date(2026, 11, 23))
