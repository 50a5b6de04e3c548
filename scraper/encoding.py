"""Turning fetched bytes into text: charset from the header, then the page's own <meta>, then detection."""
from __future__ import annotations

import codecs

from bs4.dammit import UnicodeDammit

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """Decode a response body the way a browser would, never raising."""
    # A byte-order mark outranks the header, as in browsers.
    known = [] if body.startswith(_BOMS) else [c for c in [charset_from_content_type(content_type)] if c]
    dammit = UnicodeDammit(body, known_definite_encodings=known, is_html=True)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup
    return body.decode("utf-8", errors="replace")


def looks_binary(body: bytes) -> bool:
    """True for images, PDFs and other non-text files: NUL bytes or many control characters up front."""
    head = body[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return bool(head) and controls / len(head) > 0.05
