"""The one list of pipeline steps: `saccr run`, the spark-submit entry point of the Airflow DAGs
(steps/submit.py), the DAG files and the run summary all take the steps from :data:`STEPS`.

Standard library only, so the DAG files can import it while the scheduler parses them: a step names the module
whose `run(job, runs, progress)` does its work, imported when the step runs (steps/runner.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from saccr_pipeline.errors import UsageError


@dataclass(frozen=True)
class Step:
    name: str
    module: str  # saccr_pipeline.steps.<module>, with run(job, runs, progress)
    needs: tuple[str, ...]  # steps a date must have passed in its run before this one
    summary: str

    @property
    def run(self) -> Callable:
        return importlib.import_module(self.module).run


STEPS: tuple[Step, ...] = (
    Step("ingest", "saccr_pipeline.steps.ingest", (), "landing files -> bronze, values as delivered"),
    Step(
        "validate", "saccr_pipeline.steps.validate", ("ingest",),
        "GX suites, quarantine, dq_results; bronze -> silver",
    ),
    Step(
        "compute", "saccr_pipeline.steps.compute", ("ingest", "validate"),
        "the SA-CCR engine over silver -> staging",
    ),
    Step(
        "publish", "saccr_pipeline.steps.publish", ("ingest", "validate", "compute"),
        "staging -> gold; the commit point of each date",
    ),
    Step(
        "marts", "saccr_pipeline.steps.marts", ("ingest", "validate", "compute", "publish"),
        "reporting marts and the day-over-day movement",
    ),
)  # fmt: skip
STEP_NAMES = tuple(s.name for s in STEPS)


def step_named(name: str) -> Step:
    for step in STEPS:
        if step.name == name:
            return step
    raise UsageError(f"unknown pipeline step {name!r}; expected one of {list(STEP_NAMES)}")
