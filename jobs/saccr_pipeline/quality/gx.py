"""Great Expectations: an ephemeral context over the suite files, one validation per extract, docs.

The context is built in memory from the JSON files (nothing under a `gx/` folder, nothing downloaded), with a
Spark datasource (added without `spark_config`: GX would otherwise stop and restart the pipeline's session,
losing Delta) and a pandas datasource, each with one asset per bronze table and a whole-dataframe batch
definition. GX runs one query per metric: on Spark each is a Spark job (about 0.1 s however small the data),
so the caller hands GX a pandas frame when the batch is small (settings.dq_gx_pandas_rows) and a materialised
Spark frame otherwise (quality.validation). The verdicts do not depend on the engine: the Spark predicates
that quarantine rows must count what GX counts on every run (quality.validation.check_agreement). Results use
SUMMARY for the verdict and counts, with partial_unexpected_count 0: the failing rows come from the
predicates.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saccr_pipeline.errors import DataQualityError
from saccr_pipeline.quality.rules import Rule, Suite

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.data_context import AbstractDataContext
    from pyspark.sql import DataFrame, SparkSession

ENGINES = ("spark", "pandas")
DOCS_SITE = "saccr_data_docs"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


@dataclass(frozen=True)
class GxResult:
    """GX's verdict on one expectation."""

    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    observed: Mapping[str, Any]  # the rest of GX's result (missing_count, ...)


class GxValidator:
    """One ephemeral GX context holding the suites; validates DataFrames and builds Data Docs."""

    def __init__(self, suites: Mapping[str, Suite]) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context: AbstractDataContext = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        # Never spark_config (see module doc); persist=False: the caller materialises the frames it passes.
        sources = {
            "spark": self.context.data_sources.add_spark(name="bronze (Spark)", persist=False),
            "pandas": self.context.data_sources.add_pandas(name="bronze (pandas)"),
        }
        self._definitions: dict[tuple[str, str], Any] = {}
        self._ids: dict[str, dict[str, int]] = {}
        for extract, suite in suites.items():
            doc = suite.document
            gx_suite = self.context.suites.add(
                gx.ExpectationSuite(
                    name=doc.get("name", extract),
                    expectations=[within_date(e) for e in doc.get("expectations", [])],
                    meta={k: v for k, v in (doc.get("meta") or {}).items() if k != "spark_checks"},
                    notes=doc.get("notes"),
                )
            )
            self._ids[extract] = {e.id: i for i, e in enumerate(gx_suite.expectations)}
            for engine, source in sources.items():
                asset = source.add_dataframe_asset(name=f"bronze.{extract}")  # the table, as GX may name it
                batch = asset.add_batch_definition_whole_dataframe("batch of dates")
                self._definitions[(extract, engine)] = self.context.validation_definitions.add(
                    gx.ValidationDefinition(name=f"{extract} ({engine})", data=batch, suite=gx_suite)
                )

    def validate(
        self, extract: str, frame: DataFrame | pd.DataFrame, rules: tuple[Rule, ...], run_name: str
    ) -> dict[int, GxResult]:
        """Run the suite of `extract` on `frame` (Spark or pandas) as the validation run `run_name`; results
        keyed by rule index. An expectation GX could not evaluate raises DataQualityError."""
        from great_expectations.core.run_identifier import RunIdentifier
        from pyspark.sql import DataFrame as SparkFrame

        engine = "spark" if isinstance(frame, SparkFrame) else "pandas"
        with warnings.catch_warnings():
            # pandas' str.contains says a regex has match groups; GX only asks whether it matches
            warnings.filterwarnings(
                "ignore", "This pattern is interpreted as a regular expression", UserWarning
            )
            run = self._definitions[(extract, engine)].run(
                batch_parameters={"dataframe": frame},
                result_format=RESULT_FORMAT,
                run_id=RunIdentifier(run_name=run_name),
            )
        by_index: dict[int, GxResult] = {}
        for result in run.results:
            index = self._ids[extract][result.expectation_config.id]
            info = result.exception_info or {}
            if info.get("raised_exception"):
                rule = rules[index]
                raise DataQualityError(
                    f"{extract}: GX could not evaluate expectation {index} ({rule.expectation} on "
                    f"{rule.column}): "
                    f"{info.get('exception_message')}; fix expectations/{extract}.json"
                )
            r = dict(result.result or {})
            by_index[index] = GxResult(
                success=bool(result.success),
                element_count=r.pop("element_count", None),
                unexpected_count=r.pop("unexpected_count", None),
                unexpected_percent=r.pop("unexpected_percent", None),
                observed={k: v for k, v in r.items() if not k.startswith("partial_")},
            )
        return by_index

    def build_docs(self, folder: Path) -> None:
        """Render the suites and this context's validation results as HTML into the local `folder` (results
        stay in memory in an ephemeral context; the site writing them out is added here)."""
        site = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        if DOCS_SITE in (self.context.list_data_docs_sites() or {}):
            self.context.delete_data_docs_site(DOCS_SITE)
        self.context.add_data_docs_site(DOCS_SITE, site)
        self.context.build_data_docs(site_names=[DOCS_SITE])


def within_date(expectation: Mapping[str, Any]) -> dict[str, Any]:
    """The expectation as GX runs it on a batch of dates: a uniqueness rule holds within each as-of date, so
    `expect_column_values_to_be_unique(X)` becomes `expect_compound_columns_to_be_unique([as_of_date, X])`
    (nulls of X ignored, as before) and a compound key gets `as_of_date` first. The Spark predicates
    (quality.rules._duplicated) partition by as_of_date alike; other expectations are row-wise."""
    e = dict(expectation)
    kwargs = dict(e.get("kwargs") or {})
    if e.get("type") == "expect_column_values_to_be_unique":
        column = kwargs.pop("column")
        kwargs |= {"column_list": ["as_of_date", column], "ignore_row_if": "any_value_is_missing"}
        e["type"] = "expect_compound_columns_to_be_unique"
    elif e.get("type") == "expect_compound_columns_to_be_unique":
        if kwargs.get("ignore_row_if") != "any_value_is_missing":
            raise DataQualityError(
                f"{e['type']} on {kwargs.get('column_list')}: use ignore_row_if any_value_is_missing "
                "(uniqueness is checked within each as-of date)"
            )
        kwargs["column_list"] = ["as_of_date", *kwargs["column_list"]]
    e["kwargs"] = kwargs
    return e


def copy_tree(spark: SparkSession, local_dir: Path, target: str) -> None:
    """Copy a local folder to `target` (a local path or any URI Spark writes to) with Hadoop's FileSystem."""
    jvm = spark.sparkContext._jvm
    dest = jvm.org.apache.hadoop.fs.Path(target)
    fs = dest.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    fs.delete(dest, True)
    fs.mkdirs(dest.getParent())
    fs.copyFromLocalFile(False, True, jvm.org.apache.hadoop.fs.Path(str(local_dir)), dest)
