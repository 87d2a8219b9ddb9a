"""Every error the pipeline raises on purpose, in one place (the engine's own are in `saccr.errors`).

Each is a :class:`saccr.errors.SaccrError`: a problem with the input, the configuration or the state of the
lakehouse that fails the same way every time it is retried. The command line turns them into one message and
exit code 2; the Airflow DAGs' retry policy does not retry a task that died of one
(`orchestration.pipeline_error`). Anything else (a lost executor, an I/O error, a Delta commit conflict) may
be transient and is retried.
"""

from __future__ import annotations

from saccr.errors import SaccrError

__all__ = [
    "DataQualityError",
    "EnvironmentFaultError",
    "ExtractError",
    "IngestError",
    "LakehouseError",
    "LeaseHeldError",
    "OrchestrationError",
    "ReproduceError",
    "RunStateError",
    "SaccrError",
    "SettingsError",
    "SparkSetupError",
    "UsageError",
]


class UsageError(SaccrError):
    """Command-line arguments that parse but cannot be used together."""


class SettingsError(SaccrError):
    """conf/settings.toml or a SACCR_* override is missing a value or holds a malformed one."""


class OrchestrationError(SaccrError):
    """A run cannot be planned: no business date, a calendar that does not cover it, a step not installed."""


class ExtractError(SaccrError):
    """An extract file cannot be read at all by the engine-alone path (`saccr compute`)."""


class IngestError(SaccrError):
    """An extract file of a delivery cannot be loaded at all: missing, ambiguous, empty, other columns."""


class DataQualityError(SaccrError):
    """The date cannot go on: an extract is missing, empty, unreadable, of the wrong shape or date, too many
    of its rows broke a rule, or a suite file is invalid. Nothing of the date is published."""


class LakehouseError(SaccrError):
    """A lakehouse table is missing, has another schema than the code expects, or a commit cannot be found."""


class RunStateError(SaccrError):
    """The run log does not allow what was asked: an unknown run, a step of a run whose earlier step did not
    succeed, marts for a run that is not the published one."""


class LeaseHeldError(RunStateError):
    """Another run of the date is in progress (its lease in audit/run_log is alive): this run does not start
    the date. The message names the run, when it was last seen and where it runs."""


class EnvironmentFaultError(SaccrError):
    """The machine cannot run the job as configured: no Java, a lakehouse root that cannot be written, a
    landing root that does not exist. Found before anything is written."""


class SparkSetupError(SaccrError):
    """Spark cannot start as configured: Delta jars missing, or a session without Delta already running."""


class ReproduceError(SaccrError):
    """The run cannot be reproduced: unknown, not published, or recorded with other parameters."""
