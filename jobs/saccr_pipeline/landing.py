"""The landing zone: where the source systems deliver one folder per business date, and what is checked there
before anything is loaded. No Spark: these checks answer in milliseconds, from the command line, the Airflow
sensor and the ingest step alike.

    <landing_root>/<YYYY-MM-DD>/trades.csv | .parquet | .pq     (one file per extract)
                               valuations, collateral, market_data
                               _manifest.json                     (optional: as-of date and row counts)

:func:`find_extracts` says which extracts of a date are there (the Airflow sensor waits on it);
:func:`check_delivery` checks every extract of a delivery before any is loaded: there once, not empty,
readable, exactly the contract's columns (a wrong delimiter shows as one unknown column), at least one row.
All problems come in one :class:`~saccr_pipeline.errors.IngestError`. Local folders and file:// are read
directly; other URIs (s3a://, abfss://) through fsspec, whose driver for the scheme must be installed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from saccr.contract import ADDED_COLUMNS, EXTRACTS
from saccr_pipeline.errors import DataQualityError, IngestError, OrchestrationError

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
MANIFEST_NAME = "_manifest.json"
_HEAD_BYTES = 1 << 16  # enough of a CSV file for its header line and the start of its first row
_SCAN_BYTES = 1 << 22


def landing_dir(landing_root: str, as_of: dt.date) -> str:
    """Folder of one date's extracts: `<landing_root>/<YYYY-MM-DD>`."""
    return f"{landing_root.rstrip('/')}/{as_of.isoformat()}"


# ------------------------------------------------------------------------------------------ storage


@dataclass(frozen=True)
class _Storage:
    """The few file operations the checks need, on a local folder or an fsspec file system."""

    size: Callable[[str], int | None]  # None: no such file
    open: Callable[[str], IO[bytes]]


def _storage(folder: str) -> _Storage:
    if "://" not in folder or folder.startswith("file://"):

        def size(path: str) -> int | None:
            local = Path(path.removeprefix("file://"))
            return local.stat().st_size if local.is_file() else None

        return _Storage(size, lambda path: open(path.removeprefix("file://"), "rb"))  # noqa: SIM115
    import fsspec

    try:
        fs, _ = fsspec.core.url_to_fs(_fsspec_uri(folder))
    except (ImportError, ValueError) as exc:
        raise OrchestrationError(
            f"cannot look into {folder}: install the fsspec driver for its scheme "
            f"(s3fs for s3a://, adlfs for abfss://): {exc}"
        ) from exc

    def remote_size(path: str) -> int | None:
        uri = _fsspec_uri(path)
        return int(fs.size(uri)) if fs.isfile(uri) else None

    return _Storage(remote_size, lambda path: fs.open(_fsspec_uri(path), "rb"))


def _fsspec_uri(path: str) -> str:
    return "s3://" + path.removeprefix("s3a://") if path.startswith("s3a://") else path


# ------------------------------------------------------------------------------------- which extracts


@dataclass(frozen=True)
class LandingCheck:
    """Which extracts of a date are in its landing folder."""

    folder: str
    found: Mapping[str, str]  # extract -> file
    missing: tuple[str, ...]
    ambiguous: Mapping[str, tuple[str, ...]]  # extract -> several files; ingest accepts exactly one

    @property
    def complete(self) -> bool:
        return not self.missing and not self.ambiguous

    @property
    def empty(self) -> bool:
        """Nothing of the date has landed."""
        return not self.found and not self.ambiguous

    def problems(self, extracts: Sequence[str] = tuple(EXTRACTS)) -> list[str]:
        """What keeps `extracts` from being loaded: missing, or several files for one."""
        out = [f"missing {name}.csv or {name}.parquet" for name in self.missing if name in extracts]
        out += [
            f"{name}: several files {list(files)}, keep one"
            for name, files in self.ambiguous.items()
            if name in extracts
        ]
        return out

    def describe(self) -> str:
        if self.complete:
            return f"all {len(self.found)} extracts are in {self.folder}"
        return f"{self.folder}: " + "; ".join(self.problems())


def find_extracts(landing_root: str, as_of: dt.date) -> LandingCheck:
    """Look for every extract of `as_of` where ingest reads it (`<landing_root>/<YYYY-MM-DD>/<extract>.csv|
    .parquet|.pq`)."""
    folder = landing_dir(landing_root, as_of)
    storage = _storage(folder)
    found, missing, ambiguous = {}, [], {}
    for name in EXTRACTS:
        files = tuple(f"{folder}/{name}{suffix}" for suffix in SUFFIXES)
        present = tuple(f for f in files if storage.size(f) is not None)
        if not present:
            missing.append(name)
        elif len(present) > 1:
            ambiguous[name] = present
        else:
            found[name] = present[0]
    return LandingCheck(folder, found, tuple(missing), ambiguous)


# ------------------------------------------------------------------------------------------ delivery


@dataclass(frozen=True)
class ExtractFile:
    extract: str
    path: str
    format: str  # csv | parquet
    columns: tuple[str, ...]  # as the file orders them
    signature: tuple[str, ...]  # columns, with their Parquet types: files alike can be read together
    quoted: bool = (
        False  # a CSV file with a quote character: read as RFC 4180 records (line breaks in values)
    )


@dataclass(frozen=True)
class Delivery:
    """One date's extract files, each checked: present once, not empty, the contract's columns, rows."""

    as_of: dt.date
    folder: str
    files: Mapping[str, ExtractFile]  # extract -> file


def check_delivery(landing_root: str, as_of: dt.date, extracts: Sequence[str] = tuple(EXTRACTS)) -> Delivery:
    """Every extract of `as_of` checked before any is loaded; IngestError naming every problem."""
    landed = find_extracts(landing_root, as_of)
    storage = _storage(landed.folder)
    problems = landed.problems(extracts)
    files = {}
    for extract in extracts:
        path = landed.found.get(extract)
        if path is None:
            continue
        try:
            files[extract] = _checked_file(storage, extract, path)
        except IngestError as exc:
            problems.append(str(exc))
    if problems:
        raise IngestError(
            f"delivery {landed.folder} cannot be loaded: {'; '.join(problems)}. Nothing of {as_of} was "
            "loaded; fix the delivery and rerun the date."
        )
    return Delivery(as_of, landed.folder, files)


def _checked_file(storage: _Storage, extract: str, path: str) -> ExtractFile:
    fmt = SUFFIXES["." + path.rsplit(".", 1)[-1]]
    if not storage.size(path):
        raise IngestError(f"{extract} extract {path}: file is empty (no header)")
    try:
        with storage.open(path) as handle:
            columns, types, has_rows = _csv_head(handle) if fmt == "csv" else _parquet_head(handle)
    except IngestError:
        raise
    except Exception as exc:  # a file the readers cannot parse: reported, not raised raw
        raise IngestError(f"{extract} extract {path}: cannot be read: {_first_line(exc)}") from exc
    expected = list(EXTRACTS[extract])
    # Columns the contract gained later (contract.ADDED_COLUMNS) may be absent: they load as empty.
    missing = [c for c in expected if c not in columns and c not in ADDED_COLUMNS[extract]]
    unexpected = [c for c in columns if c not in expected]
    if missing or unexpected:
        raise IngestError(
            f"{extract} extract {path}: missing column(s) {missing}, unexpected column(s) {unexpected}; "
            f"expected exactly {expected} (of which {list(ADDED_COLUMNS[extract])} may be left out)"
        )
    if not has_rows:
        raise IngestError(f"{extract} extract {path}: has a header but no rows")
    quoted = fmt == "csv" and _has_quote(storage, path)
    signature = (*(f"{c}:{t}" for c, t in zip(columns, types, strict=True)), f"quoted:{quoted}")
    return ExtractFile(extract, path, fmt, tuple(columns), signature, quoted)


def _has_quote(storage: _Storage, path: str) -> bool:
    """Whether the file holds a `"` anywhere: only then can a value hold a line break (RFC 4180), and only
    then is it read record by record rather than split by lines (which Spark can parallelise)."""
    with storage.open(path) as handle:
        while chunk := handle.read(_SCAN_BYTES):
            if b'"' in chunk:
                return True
    return False


def _csv_head(handle: IO[bytes]) -> tuple[list[str], list[str], bool]:
    """The header's column names, their types (all text) and whether a row follows the header (which must be
    one line)."""
    head = handle.read(_HEAD_BYTES).decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(head))
    header = next(reader, [])
    rest = head[len(head.split("\n", 1)[0]) + 1 :] if "\n" in head else ""
    return header, ["text"] * len(header), bool(rest.strip())


def _parquet_head(handle: IO[bytes]) -> tuple[list[str], list[str], bool]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(handle)
    schema = parquet.schema_arrow
    return schema.names, [str(t) for t in schema.types], parquet.metadata.num_rows > 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ------------------------------------------------------------------------------------------ manifest


@dataclass(frozen=True)
class Manifest:
    """`<landing>/<as_of>/_manifest.json`: what the source systems say they delivered,
    `{"as_of_date": "YYYY-MM-DD", "rows": {"trades": n, ...}}`."""

    as_of: dt.date
    rows: Mapping[str, int]  # extract -> rows in its file (header excluded)
    path: str


def read_manifest(landing_root: str, as_of: dt.date) -> Manifest | None:
    """The delivery's manifest, or None when it sent none; DataQualityError if it cannot be read."""
    folder = landing_dir(landing_root, as_of)
    path = f"{folder}/{MANIFEST_NAME}"
    storage = _storage(folder)
    if storage.size(path) is None:
        return None
    try:
        with storage.open(path) as handle:
            raw = json.loads(handle.read().decode("utf-8"))
        return Manifest(
            as_of=dt.date.fromisoformat(raw["as_of_date"]),
            rows={str(k): int(v) for k, v in (raw.get("rows") or {}).items()},
            path=path,
        )
    except Exception as exc:
        raise DataQualityError(f"manifest {path} cannot be read: {_first_line(exc)}") from exc


def manifest_problems(manifest: Manifest | None, as_of: dt.date, rows_in: Mapping[str, int]) -> list[str]:
    """What disagrees between the manifest and the rows loaded: another as-of date (a stale or misplaced
    delivery), fewer or more rows than sent (a file cut at a line end)."""
    if manifest is None:
        return []
    problems = []
    if manifest.as_of != as_of:
        problems.append(
            f"the extracts are for {manifest.as_of}, not {as_of} (wrong folder or stale delivery)"
        )
    for extract, expected in manifest.rows.items():
        if extract in rows_in and rows_in[extract] != expected:
            problems.append(
                f"{extract}: {rows_in[extract]:,} rows loaded, manifest says {expected:,} (truncated?)"
            )
    return [f"delivery does not match {manifest.path}: {p}" for p in problems]
