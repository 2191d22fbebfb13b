"""What a public attachment is, judged by its bytes, never by its name (pure; Pillow).

``sniff`` returns the kind and the content type for an allowed file and raises
``Rejected`` (with a message for the submitter) otherwise. ``viewable_image`` re-encodes
an image without its metadata (EXIF with GPS positions, camera serials, XMP, ICC
comments): the team looks at that copy, the original is kept encrypted as evidence.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Pixels above this are refused (decompression bombs); a 48-megapixel phone photo fits.
MAX_PIXELS = 50_000_000


class Rejected(ValueError):
    """Not an allowed file; ``code`` names why (for messages and tests)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image, pdf, document, spreadsheet, audio, video, text
    content_type: str
    extension: str


_ZIP_MARKERS = (
    (
        "word/",
        "document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "xl/",
        "spreadsheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
)


def _office_zip(data: bytes) -> Sniffed:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        raise Rejected("damaged") from None
    if "[Content_Types].xml" not in names:
        raise Rejected("type")
    if any(n.lower().endswith((".bin", ".exe", ".dll")) and "vbaProject" in n for n in names):
        raise Rejected("macros")
    for prefix, kind, content_type, extension in _ZIP_MARKERS:
        if any(n.startswith(prefix) for n in names):
            return Sniffed(kind, content_type, extension)
    raise Rejected("type")


def _text(data: bytes) -> Sniffed:
    if b"\x00" in data:
        raise Rejected("type")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Rejected("type")
    head = text.lstrip("\ufeff \t\r\n")[:200].lower()
    if head.startswith(("<", "#!", "mz")) or "<script" in text.lower():
        raise Rejected("type")
    return Sniffed("text", "text/plain", "txt")


def sniff(data: bytes) -> Sniffed:
    """The kind of an allowed file from its first bytes (and structure where needed)."""
    if not data:
        raise Rejected("empty")
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png", "png")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image", "image/gif", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp", "webp")
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", "application/pdf", "pdf")
    if head.startswith(b"PK\x03\x04"):
        return _office_zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Sniffed("document", "application/x-ole-storage", "doc")
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return Sniffed("audio", "audio/mpeg", "mp3")
    if head.startswith(b"#!AMR"):
        return Sniffed("audio", "audio/amr", "amr")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "audio/wav", "wav")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return Sniffed("audio", "audio/mp4", "m4a")
        return Sniffed("video", "video/mp4", "mp4")
    return _text(data)


def viewable_image(data: bytes) -> tuple[bytes, str]:
    """A re-encoded copy (JPEG, or PNG where there is transparency) without metadata,
    turned upright as the camera meant; raises ``Rejected`` if it is not a sound image."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise Rejected("too_large_image")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
            clean = upright.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise Rejected("damaged") from None
    # A new image from the pixels alone: no EXIF, XMP, ICC profile or comments survive.
    bare = Image.new(clean.mode, clean.size)
    bare.paste(clean)
    out = io.BytesIO()
    if has_alpha:
        bare.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    bare.save(out, format="JPEG", quality=85)
    return out.getvalue(), "image/jpeg"
