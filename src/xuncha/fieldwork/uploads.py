"""Uploaded files, shared by activity attachments and signed interview scans: what a file
is by its bytes (neither its name nor the browser's word is trusted), whether it is too
large, its SHA-256, and the headers of a download that the browser must not render.

Each caller keeps the kinds it allows, its limits and its messages.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponseBase


@dataclass(frozen=True)
class FileKind:
    kind: str  # pdf, jpeg, png, xlsx, docx, csv
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    "pdf": FileKind("pdf", "application/pdf", (".pdf",)),
    "jpeg": FileKind("jpeg", "image/jpeg", (".jpg", ".jpeg")),
    "png": FileKind("png", "image/png", (".png",)),
    "xlsx": FileKind(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
    ),
    "docx": FileKind(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "csv": FileKind("csv", "text/csv", (".csv",)),
}

# Magic bytes of the formats recognised by their first bytes alone.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
HEAD_BYTES = 16
OCTET_STREAM = "application/octet-stream"

R = TypeVar("R", bound=HttpResponseBase)


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names or any("vbaProject" in n for n in names):
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return None


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without a BOM) or GB18030, the encodings spreadsheets export."""
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def sniff(data: bytes, name: str = "", allowed: Iterable[str] = KINDS) -> FileKind | None:
    """The kind of a file by its bytes, if it is one of ``allowed``; None otherwise.

    PDF, JPEG and PNG are known by their first bytes; XLSX and DOCX need the whole file
    (an Office archive without macros); CSV is text that does not look like markup, and is
    only considered when ``name`` ends in ``.csv``. The name's ending is not checked here.
    """
    head = data[:HEAD_BYTES]
    kind = next((k for magic, k in MAGIC if head.startswith(magic)), None)
    if kind is None and head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
    elif kind is None and name.lower().endswith(".csv") and data:
        text = decode_text(data)
        if text is not None and text.lstrip()[:1] not in ("<", "{"):
            kind = "csv"
    return KINDS[kind] if kind is not None and kind in allowed else None


def content_type(extension: str, allowed: Iterable[str] = KINDS) -> str:
    """The content type of a stored file by its extension (``.pdf`` or ``pdf``), which was
    set from the sniffed content; ``application/octet-stream`` for anything else."""
    extension = "." + extension.lower().lstrip(".")
    return next(
        (KINDS[k].content_type for k in allowed if extension in KINDS[k].extensions),
        OCTET_STREAM,
    )


def too_large(upload: UploadedFile, limit: int) -> bool:
    """Whether an upload is over ``limit`` bytes (or of unknown size)."""
    return upload.size is None or upload.size > limit


def sha256(data: bytes | UploadedFile) -> str:
    """The hex SHA-256 of bytes, or of an upload read in chunks (left rewound)."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    data.seek(0)
    for chunk in data.chunks():
        digest.update(chunk)
    data.seek(0)
    return digest.hexdigest()


def protect_download(response: R) -> R:
    """Headers of a download of an uploaded file: not sniffed, not cached, not run."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
