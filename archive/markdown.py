"""One Markdown rendering of a post's sections, for `show --format markdown` and the Markdown export.

Text is escaped for Markdown (`<`, `>` and `&` as entities), so no text of a post can turn into markup; the
only HTML the Markdown is made from is the sanitised section HTML, converted, never written raw.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable
from urllib.parse import quote

from markdownify import MarkdownConverter

from scraper.models import Section

_URL_UNSAFE = re.compile(r"[\s()<>\"'\\\[\]`]")


class Converter(MarkdownConverter):
    """markdownify, escaping text so that it stays text: no `<`, `>` or `&` of a post reaches the Markdown raw."""

    def escape(self, text, parent_tags):
        return escape_text(super().escape(text, parent_tags))

    def convert_img(self, el, text, parent_tags):
        if "_inline" in parent_tags and el.parent.name not in self.options["keep_inline_images_in"]:
            return escape_text(el.attrs.get("alt") or "")
        return f"![{escape_label(el.attrs.get('alt') or '')}]({markdown_url(el.attrs.get('src') or '')})"

    def convert_a(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        href = el.get("href")
        stripped = text.strip()
        if not href or not stripped:
            return text
        lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        return f"{lead}[{stripped}]({markdown_url(href)}){trail}"

    def convert_pre(self, el, text, parent_tags):
        if not text:
            return ""
        fence = "`" * max(3, _longest_run(text, "`") + 1)
        return f"\n\n{fence}\n{text.strip(chr(10))}\n{fence}\n\n"


def _longest_run(text: str, char: str) -> int:
    return max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)


def escape_text(text: str) -> str:
    """Text that Markdown shows as it is: HTML's special characters as entities (also stops '>' quoting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_label(text: str) -> str:
    """Text for inside [...] (alt text, headings' own brackets): escaped, brackets and newlines too."""
    text = " ".join(escape_text(text).split())
    return re.sub(r"([\[\]\\*_`])", r"\\\1", text)


def markdown_url(url: str) -> str:
    """A URL that cannot end the (...) of a Markdown link early: spaces, brackets and quotes percent-encoded."""
    return _URL_UNSAFE.sub(lambda m: quote(m.group()), url)


def heading(text: str, level: int) -> str:
    """An ATX heading whose text stays text (a closing '#' run escaped too)."""
    label = re.sub(r"#(?=#*$)", r"\\#", escape_label(text))
    return f"{'#' * min(max(level, 2), 6)} {label}"


def post_markdown(sections: Iterable[Section], captions: Iterable[str | None] = (), *,
                  html_of: Callable[[str], str] = lambda html: html) -> str:
    """Sections as Markdown: escaped headings, each section's HTML converted (after `html_of`), captions in italics."""
    converter = Converter(heading_style="ATX", bullets="-", escape_underscores=False, escape_asterisks=True)
    captions = [c for c in captions if c]
    parts = []
    for section in sections:
        if section.heading:
            parts.append(heading(section.heading, section.level))
        text = converter.convert(html_of(section.html)).strip()
        if text:
            parts.append(_captions(text, captions))
    return "\n\n".join(parts) + "\n"


def _captions(text: str, captions: list[str]) -> str:
    """markdownify drops <figcaption> to a bare line; keep it as an italic caption under the image."""
    for caption in captions:
        caption = escape_text(" ".join(caption.split())).replace("*", r"\*")
        text = text.replace(f"\n{caption}\n", f"\n*{caption}*\n")
        if text.endswith(f"\n{caption}"):
            text = text[: -len(caption)] + f"*{caption}*"
    return text
