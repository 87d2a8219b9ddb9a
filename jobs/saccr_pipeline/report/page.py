"""The run report: a self-contained HTML page per published run,
`<lakehouse>/reports/<date>/<run_id>/index.html`, and an index of every run, `<lakehouse>/reports/index.html`.
Written when runs close (`saccr run`, the DAGs' summary task), without Spark; charts are inline SVG, so a page
opens offline, from a file share or a browser that blocks CDNs.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence

import pandas as pd

from saccr_pipeline.lakehouse.run_log import RUN_STEP, RunLog, published_in
from saccr_pipeline.lakehouse.tables import Lakehouse
from saccr_pipeline.report import charts
from saccr_pipeline.report.figures import AMOUNTS, RunFigures, read_run_figures

TOP_COUNTERPARTIES = 10
STYLE = " ".join(
    [
        "body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; }",
        "h1 { font-size: 22px; margin-bottom: 4px; }",
        "h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }",
        ".meta, .note { color: #555; font-size: 13px; } .failed { color: #b02a20; }",
        ".kpi { display: inline-block; margin: 8px 24px 8px 0; } .kpi b { display: block; font-size: 20px; }",
        "table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }",
        "th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }",
        "th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }",
        "svg { max-width: 100%; height: auto; } table.runs td { text-align: left; white-space: nowrap; }",
        "table.runs td.num { text-align: right; } table.runs td.error { white-space: normal; }",
        "table.runs th { text-align: left; }",
    ]
)


def report_dir(lake: Lakehouse, as_of: dt.date, run_id: str) -> str:
    return f"{lake.root.rstrip('/')}/reports/{as_of}/{run_id}"


def write_reports(lake: Lakehouse, run_ids: Iterable[str]) -> list[str]:
    """Write the page of each published run of `run_ids` and the index; return the pages' locations."""
    pages = []
    for run_id in run_ids:
        figures = read_run_figures(lake, run_id)
        location = f"{report_dir(lake, figures.as_of, run_id)}/index.html"
        _write(location, run_page(lake, figures))
        pages.append(location)
    _write(f"{lake.root.rstrip('/')}/reports/index.html", index_page(lake))
    return pages


def run_page(lake: Lakehouse, f: RunFigures) -> str:
    """The report of one run."""
    unit = f.reporting_currency
    totals = f.totals
    top = f.counterparties.head(TOP_COUNTERPARTIES)
    docs = f"../../../data_docs/{f.as_of}/{f.run_id}/index.html"
    body = [
        f"<h1>SA-CCR exposure on {f.as_of}</h1>",
        f'<p class="meta">run {_e(f.run_id)} · regime {_e(f.regime)} '
        f"(parameters {_e(f.parameter_version)}) · amounts in {_e(unit)} · code {_e(f.code_version)} "
        f"· lakehouse {_e(lake.root)}</p>",
        _kpis(
            [
                ("EAD", _money(totals["ead"])),
                ("RC", _money(totals["rc"])),
                ("PFE", _money(totals["pfe"])),
                ("netting sets", f"{totals['netting_sets']:,}"),
                ("trades", f"{totals['trades']:,}"),
                ("held netting sets", f"{f.held_netting_sets:,}"),
            ]
        ),
        "<h2>By legal entity</h2>",
        charts.horizontal_bars(
            list(f.legal_entities["legal_entity"]), list(f.legal_entities["ead"]), "EAD by legal entity", unit
        ),  # fmt: skip
        _table(f.legal_entities, money=AMOUNTS),
        charts.stacked_bars(
            f.addon_by_entity,
            "legal_entity",
            "asset_class",
            "addon",
            "Add-on by legal entity and asset class (before the multiplier and alpha)",
            unit,
        ),  # fmt: skip
        '<p class="note">EAD is not additive across asset classes (the multiplier and alpha apply per '
        "netting set), so the split by asset class is of the aggregate add-on.</p>",
        f"<h2>Top {len(top)} counterparties (all legal entities)</h2>",
        charts.horizontal_bars(list(top["counterparty_id"]), list(top["ead"]), "EAD by counterparty", unit),
        _table(top, money=AMOUNTS),
        "<h2>Movement</h2>",
        _movement(f, unit),
        "<h2>Data quality</h2>",
        _table(f.extracts),
        (_table(f.quarantine) if len(f.quarantine) else '<p class="note">No row was quarantined.</p>'),
        f'<p class="note">{f.held_netting_sets:,} netting set(s) held back (a trade of theirs was rejected). '
        f'Great Expectations Data Docs: <a href="{docs}">{_e(docs)}</a></p>',
        "<h2>Steps</h2>",
        charts.step_timings(f.run.step_seconds),
        '<p class="note"><a href="../../index.html">All runs</a></p>',
    ]
    return _page(f"SA-CCR {f.as_of} {f.run_id}", body)


def index_page(lake: Lakehouse) -> str:
    """Every run of the run log, newest date first; the run in force for its date marked."""
    rows = RunLog(lake).rows()
    in_force = {d: p.run_id for d, p in published_in(rows).items()}
    runs = rows[rows["step"] == RUN_STEP].drop_duplicates("run_id", keep="last")  # its latest row: its state
    runs = runs.sort_values(["as_of_date", "logged_at"], ascending=False)
    lines = ["<tr><th>date</th><th>run</th><th>status</th><th>seconds</th><th>error</th></tr>"]
    for r in runs.itertuples():
        mark = " (in force)" if in_force.get(r.as_of_date) == r.run_id else ""
        run = (
            f'<a href="{r.as_of_date}/{r.run_id}/index.html">{_e(r.run_id)}</a>'
            if r.status == "success"
            else _e(r.run_id)
        )
        css = ' class="failed"' if r.status != "success" else ""
        lines.append(
            f"<tr><td>{r.as_of_date}</td><td>{run}{mark}</td><td{css}>{_e(r.status)}</td>"
            f'<td class="num">{r.seconds:,.0f}</td><td class="error">{_e(r.error or "")}</td></tr>'
        )
    return _page("SA-CCR runs", ["<h1>SA-CCR runs</h1>", f'<table class="runs">{"".join(lines)}</table>'])


def _movement(f: RunFigures, unit: str) -> str:
    m = f.movement
    if m is None:
        return '<p class="note">The first published date: every netting set is new, no movement to show.</p>'
    rows = pd.DataFrame(
        {
            "": [
                "EAD previous",
                "new netting sets",
                "matured netting sets",
                "RC (continuing)",
                "PFE (continuing)",
                "EAD",
            ],  # fmt: skip
            unit: [m.previous_ead, m.new, m.matured, m.rc, m.pfe, m.ead],
        }
    )
    counts = ", ".join(f"{k.lower()} {v:,}" for k, v in m.counts.items())
    return (
        charts.waterfall(m, unit)
        + _table(rows, money=(unit,))
        + f'<p class="note">From {m.previous_as_of}; netting sets: {counts}.</p>'
    )


def _kpis(items: Sequence[tuple[str, str]]) -> str:
    return "<div>" + "".join(f'<span class="kpi">{_e(k)}<b>{_e(v)}</b></span>' for k, v in items) + "</div>"


def _table(frame: pd.DataFrame, money: Sequence[str] = ()) -> str:
    shown = frame.copy()
    for column in shown.columns:
        if column in money:
            shown[column] = shown[column].map(_money)
        elif pd.api.types.is_integer_dtype(shown[column]):
            shown[column] = shown[column].map("{:,}".format)
    return shown.to_html(index=False, border=0, escape=True, float_format=lambda v: f"{v:,.2f}")


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _e(text: object) -> str:
    return html.escape(str(text))


def _page(title: str, body: Sequence[str]) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _write(location: str, text: str) -> None:
    """Write a page to a local folder or, through fsspec, to object storage."""
    if "://" not in location or location.startswith("file://"):
        from pathlib import Path

        path = Path(location.removeprefix("file://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    import fsspec

    uri = "s3://" + location.removeprefix("s3a://") if location.startswith("s3a://") else location
    with fsspec.open(uri, "w", encoding="utf-8") as handle:
        handle.write(text)
