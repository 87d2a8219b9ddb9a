"""What the run report shows, read from the tables a run published (delta-rs: no Spark).

Every figure is read at the versions the run log names for the run (gold at its publish, the marts at its
marts step, the quarantine at its publish), so the report shows what readers of the run see. Totals are sums
of gold rows; nothing is recomputed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from saccr.contract import EXTRACTS
from saccr_pipeline.errors import RunStateError
from saccr_pipeline.lakehouse.run_log import RUN_STEP, RunLog, StepRecord
from saccr_pipeline.lakehouse.tables import Lakehouse, delta_log

HELD_RULE = "netting_set_held_incomplete"  # the engine's rule for a netting set held back (saccr.prepare)
AMOUNTS = ("rc", "pfe", "ead")


@dataclass(frozen=True)
class Movement:
    """The day-over-day EAD change of the date, as mart_ead_movement splits it (sums over netting sets)."""

    previous_as_of: dt.date
    previous_ead: float
    new: float  # EAD of netting sets that are new on the date
    matured: float  # minus the previous EAD of netting sets gone on the date
    rc: float  # continuing netting sets: the EAD change from their RC part
    pfe: float  # ... and from their PFE part
    ead: float
    counts: dict[str, int]  # netting sets by movement: NEW, MATURED, CONTINUING


@dataclass(frozen=True)
class RunFigures:
    """The figures of one published run of one date."""

    as_of: dt.date
    run_id: str
    run: StepRecord  # the run row: status, step seconds, counts, versions
    regime: str
    parameter_version: str
    reporting_currency: str
    code_version: str
    netting_sets: pd.DataFrame  # gold/saccr_netting_set of the run
    legal_entities: pd.DataFrame  # gold/mart_legal_entity of the run
    addon_by_entity: pd.DataFrame  # legal_entity x asset_class -> addon (gold hedging sets x netting sets)
    counterparties: pd.DataFrame  # mart_counterparty summed across legal entities, by EAD descending
    movement: Movement | None  # None: no earlier date was published
    extracts: pd.DataFrame  # extract -> rows in (bronze), silver, quarantined
    quarantine: pd.DataFrame  # stage, extract, rule -> rows
    held_netting_sets: int

    @property
    def totals(self) -> dict[str, float]:
        ns = self.netting_sets
        return {
            "netting_sets": len(ns),
            "trades": int(ns["trade_count"].sum()),
            **{a: float(ns[a].sum()) for a in AMOUNTS},
        }


def read_run_figures(lake: Lakehouse, run_id: str) -> RunFigures:
    """The figures of run `run_id`, which must have published (RunStateError otherwise)."""
    run_log = RunLog(lake)
    rows = run_log.latest([run_id])
    run_rows = rows[rows["step"] == RUN_STEP]
    if run_rows.empty or run_rows.iloc[-1]["status"] != "success":
        raise RunStateError(f"run {run_id} has not published: no report")
    row = run_rows.iloc[-1]
    run = StepRecord.of_row(row.to_dict())
    as_of = row["as_of_date"]
    versions = run.output_versions

    def table(key: str, columns: list[str]) -> pd.DataFrame:
        return delta_log(lake, key, versions[key]).to_pandas(
            columns=columns, filters=[("as_of_date", "=", as_of), ("run_id", "=", run_id)]
        )

    ns = table(
        "gold/saccr_netting_set",
        ["netting_set_id", "counterparty_id", "legal_entity", "trade_count", *AMOUNTS],
    )
    hs = table("gold/saccr_hedging_set", ["netting_set_id", "asset_class", "addon"])
    quarantine = table("audit/quarantine", ["stage", "extract", "rule", "netting_set_id"])
    return RunFigures(
        as_of=as_of,
        run_id=run_id,
        run=run,
        regime=row["regime"],
        parameter_version=row["parameter_version"],
        reporting_currency=row["reporting_currency"],
        code_version=row["code_version"],
        netting_sets=ns,
        legal_entities=table(
            "gold/mart_legal_entity",
            ["legal_entity", "counterparty_count", "netting_set_count", "trade_count", *AMOUNTS],
        ).sort_values("ead", ascending=False, ignore_index=True),
        addon_by_entity=_addon_by_entity(ns, hs),
        counterparties=_counterparties(
            table("gold/mart_counterparty", ["counterparty_id", "netting_set_count", "trade_count", *AMOUNTS])
        ),
        movement=_movement(table("gold/mart_ead_movement", _MOVEMENT_COLUMNS)),
        extracts=_extracts(run.counts),
        quarantine=(
            quarantine.groupby(["stage", "extract", "rule"], as_index=False)
            .size()
            .rename(columns={"size": "rows"})
            .sort_values("rows", ascending=False, ignore_index=True)
        ),
        held_netting_sets=int(quarantine.loc[quarantine["rule"] == HELD_RULE, "netting_set_id"].nunique()),
    )


def _addon_by_entity(ns: pd.DataFrame, hs: pd.DataFrame) -> pd.DataFrame:
    entity = hs.merge(ns[["netting_set_id", "legal_entity"]], on="netting_set_id", how="left", validate="m:1")
    return entity.groupby(["legal_entity", "asset_class"], as_index=False)["addon"].sum()


def _counterparties(rows: pd.DataFrame) -> pd.DataFrame:
    summed = rows.groupby("counterparty_id", as_index=False)[
        ["netting_set_count", "trade_count", *AMOUNTS]
    ].sum()
    return summed.sort_values(["ead", "counterparty_id"], ascending=[False, True], ignore_index=True)


_MOVEMENT_COLUMNS = [
    "previous_as_of_date",
    "movement",
    "ead_previous",
    "ead",
    "ead_change",
    "ead_change_rc",
    "ead_change_pfe",
]


def _movement(rows: pd.DataFrame) -> Movement | None:
    previous = rows["previous_as_of_date"].dropna()
    if previous.empty:
        return None
    kind = rows["movement"]
    continuing = rows[kind == "CONTINUING"]
    return Movement(
        previous_as_of=previous.iloc[0],
        previous_ead=float(rows["ead_previous"].sum()),
        new=float(rows.loc[kind == "NEW", "ead_change"].sum()),
        matured=float(rows.loc[kind == "MATURED", "ead_change"].sum()),
        rc=float(continuing["ead_change_rc"].sum()),
        pfe=float(continuing["ead_change_pfe"].sum()),
        ead=float(rows["ead"].sum()),
        counts={k: int((kind == k).sum()) for k in ("NEW", "MATURED", "CONTINUING")},
    )


def _extracts(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "extract": e,
                "rows_in": counts.get(f"bronze.{e}", 0),
                "silver": counts.get(f"silver.{e}", 0),
                "quarantined": counts.get(f"quarantined.{e}", 0),
            }
            for e in EXTRACTS
        ]
    )
