"""Where dataset files live: ``DATACHECK_DIR/<dataset>/v<number>/`` (``DATA_DIR/datacheck``).

Each version's directory holds the department's file as uploaded (``source.<ext>``), the
Parquet file of its valid rows (``data.parquet``, written by the import job) and, when rows
were rejected, the error report (``errors.xlsx``); for a list of people, the features record
linkage compares (``features.parquet``), prepared once. The web database keeps only the
catalogue (``models.Version``); DuckDB reads the Parquet files when rules run.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings

from xuncha.datacheck.lib import readers

SUFFIXES = (".xlsx", ".xls", ".csv")
PREVIEW_ROWS = 40
_CSV_HEAD = 256 * 1024


def root() -> Path:
    return Path(settings.DATACHECK_DIR)


def version_dir(version: Any) -> Path:
    return root() / str(version.dataset_id) / f"v{version.number}"


def suffix_of(file_name: str) -> str:
    return Path(file_name).suffix.lower()


def source_path(version: Any) -> Path:
    return version_dir(version) / f"source{suffix_of(version.file_name)}"


def parquet_path(version: Any) -> Path:
    return version_dir(version) / "data.parquet"


def features_path(version: Any) -> Path:
    """The rows' linkage features (``linking.features``), kept beside them."""
    return version_dir(version) / "features.parquet"


def errors_path(version: Any) -> Path:
    return version_dir(version) / "errors.xlsx"


class TooLarge(ValueError):
    """The upload is over the limit (found while it was written, not after)."""


def save_upload(chunks: Any, target: Path, limit: int) -> tuple[str, int]:
    """Write an upload's chunks to ``target``; its SHA-256 and size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as handle:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise TooLarge
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest(), size


def remove_version(version: Any) -> None:
    shutil.rmtree(version_dir(version), ignore_errors=True)


def head(path: Path, rows: int = PREVIEW_ROWS) -> readers.Sheet:
    """The first rows of a file, for the mapping preview (a large file is not read whole)."""
    if suffix_of(path.name) == ".csv":
        with path.open("rb") as handle:
            data = handle.read(_CSV_HEAD)
            more = bool(handle.read(1))
        if more and b"\n" in data:
            # A line break never falls inside a multi-byte UTF-8 or GB18030 character.
            data = data[: data.rindex(b"\n") + 1]
        sheet = readers.read_csv(data, path.name)
    else:
        sheet = readers.read(path, max_rows=rows)
    return readers.Sheet(name=sheet.name, rows=sheet.rows[:rows], encoding=sheet.encoding)
