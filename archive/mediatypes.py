"""What a media file is, by its bytes: the one list of types the archive keeps, serves and exports.

No HTTP and no database here, so the fetcher's media download, `serve` and every exporter share it.
"""
from __future__ import annotations

from pathlib import Path

import filetype

# What a sniffed file is saved as, and the type to serve it with: only types no browser runs as a page.
# SVG is left out on purpose: it is a document that can carry script, and a copied .svg is served as
# image/svg+xml by whatever hosts an export, so it stays linked to its original URL instead.
MEDIA_TYPES = {
    ".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".bmp": "image/bmp", ".ico": "image/x-icon", ".tif": "image/tiff",
    ".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime", ".ogg": "audio/ogg",
    ".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4",
    ".pdf": "application/pdf",
}
# filetype's names for the kinds above (an animated PNG is a PNG, an .m4v an MP4).
_SNIFFED = {"jpg": ".jpg", "png": ".png", "apng": ".png", "gif": ".gif", "webp": ".webp", "avif": ".avif",
            "bmp": ".bmp", "ico": ".ico", "tif": ".tif", "mp4": ".mp4", "m4v": ".mp4", "webm": ".webm",
            "mov": ".mov", "ogg": ".ogg", "mp3": ".mp3", "wav": ".wav", "m4a": ".m4a", "pdf": ".pdf"}
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}  # "BM" alone is two letters of text: check the DIB header
SNIFF_BYTES = 8192  # as much of a file as sniff_media looks at


def sniff_media(data: bytes) -> str | None:
    """The extension ('.jpg', '.mp4', '.pdf' …, a key of MEDIA_TYPES) that the bytes' magic numbers show,
    or None for anything else: HTML, script, SVG, text, unknown."""
    kind = filetype.guess(data[:SNIFF_BYTES]) if data else None
    extension = _SNIFFED.get(kind.extension) if kind else None
    if extension == ".bmp" and int.from_bytes(data[14:18], "little") not in _BMP_HEADER_SIZES:
        return None
    return extension


DOWNLOAD = "application/octet-stream"
_OLDER_NAMES = {".jpeg": ".jpg", ".tiff": ".tif"}  # how files saved before sniffing may be named


def media_type(extension: str) -> str:
    """The type to send a kept file with, by its extension; anything else is only ever a download."""
    extension = extension.lower()
    return MEDIA_TYPES.get(_OLDER_NAMES.get(extension, extension), DOWNLOAD)


def media_dir_for(db_path: str | Path) -> Path:
    path = Path(db_path)
    return path.with_name(path.stem + "-media")
