"""Bronze as the suites expect it: every extract, with exactly the bronze columns (contract + lineage). The
delivery itself is checked before ingest (saccr_pipeline.landing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr_pipeline.errors import DataQualityError
from saccr_pipeline.lakehouse.schemas import bronze_schema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def check_bronze_columns(bronze: Mapping[str, DataFrame]) -> None:
    """Every extract present, with the bronze columns (contract + lineage) and nothing else."""
    problems = []
    for extract in EXTRACTS:
        if extract not in bronze:
            problems.append(f"{extract}: no bronze rows given")
            continue
        expected = bronze_schema(extract).fieldNames()
        columns = bronze[extract].columns
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        if missing or extra:
            problems.append(f"{extract}: missing column(s) {missing}, unexpected column(s) {extra}")
    if problems:
        raise DataQualityError(f"bronze does not match the extract contract: {'; '.join(problems)}")
