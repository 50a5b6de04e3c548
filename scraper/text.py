"""Shortening text for excerpts, snippets and one-line listings."""
from __future__ import annotations

ELLIPSIS = "\u2026"
_TRAILING = " \t\n,;:.-\u2013\u2014"


def cut_at_word(text: str, limit: int) -> str:
    """text if it fits in `limit` characters; else cut after its last whole word, with an ellipsis, within limit."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit - 1]  # one character is left for the ellipsis
    if not text[limit - 1].isspace() and len(head.split()) > 1:
        head = head.rsplit(None, 1)[0]  # the last word was cut: drop it
    return head.rstrip(_TRAILING) + ELLIPSIS


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters (whitespace folded), cut anywhere, with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + ELLIPSIS


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 post', '2 posts', '0 posts': a count with its noun in agreement (`many` for an irregular plural)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
