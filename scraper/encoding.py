"""Turning fetched bytes into text: charset from the header, then the page's own <meta>, then detection."""
from __future__ import annotations

from bs4.dammit import UnicodeDammit


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
    known = [c for c in [charset_from_content_type(content_type)] if c]
    dammit = UnicodeDammit(body, known_definite_encodings=known, is_html=True)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup
    return body.decode("utf-8", errors="replace")
