"""A post body (plain HTML, as a profile gives it) split into sections at its headings: clean HTML, text, images.

Sections follow the page's own headings (h2-h6) only: a bold paragraph stays a bold paragraph. Platform
knowledge (Wix media ids, players) lives in the profiles, which hand over plain <figure>/<img>/<a> markup.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Iterator
from urllib.parse import urljoin

import nh3
from bs4 import Comment, NavigableString, Tag

from .models import Image, Section

HEADINGS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = {"p", "ul", "ol", "blockquote", "pre", "table", "dl", "hr"}
INLINE = {"a", "span", "strong", "b", "em", "i", "u", "s", "sub", "sup", "code", "mark", "small", "br",
          "abbr", "cite", "q", "time", "font", "del", "ins", "label"}
DROP = {"script", "style", "noscript", "template", "svg", "button", "form", "input", "select", "textarea",
        "nav", "object", "canvas", "link", "meta"}
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "code", "pre", "a", "ul", "ol", "li",
                "blockquote", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "dl", "dt", "dd",
                "figure", "figcaption", "img", "hr", "h3", "h4", "h5", "h6", "mark", "abbr", "cite", "q", "del",
                "ins"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}, "ol": {"start"},
                      "*": set()}  # no generic attributes: nh3 would otherwise keep title and lang everywhere
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_WHITESPACE = re.compile(r"\s+")


@dataclass
class _Block:
    html: str
    text: str
    images: list[Image] = field(default_factory=list)


@dataclass
class _Heading:
    level: int
    text: str


def split_sections(body: Tag, base_url: str | None = None) -> tuple[list[Section], list[Image]]:
    """Walk the body in document order; start a new section at each heading."""
    sections: list[Section] = []
    images: list[Image] = []
    heading: _Heading | None = None
    blocks: list[_Block] = []

    def close() -> None:
        if heading is None and not blocks:
            return
        html = clean_html("\n".join(b.html for b in blocks))
        text = "\n\n".join(b.text for b in blocks if b.text)
        sections.append(Section(heading.text if heading else None, heading.level if heading else 1, text, html))

    for item in _walk(body, base_url):
        if isinstance(item, _Heading):
            close()
            heading, blocks = item, []
        else:
            blocks.append(item)
            images.extend(item.images)
    close()
    return sections, _unique_images(images)


def _walk(node: Tag, base: str | None) -> Iterator[_Block | _Heading]:
    inline: list[Tag | NavigableString] = []
    for child in list(node.children):
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString) or (isinstance(child, Tag) and child.name in INLINE
                                                   and not child.find(_is_structural)):
            inline.append(child)
            continue
        if inline:
            yield from _inline_block(inline, base)
            inline = []
        if not isinstance(child, Tag) or child.name in DROP:
            continue
        yield from _element(child, base)
    if inline:
        yield from _inline_block(inline, base)


def _element(el: Tag, base: str | None) -> Iterator[_Block | _Heading]:
    name = el.name
    if name in HEADINGS:
        text = _inline_text(el)
        if text:
            yield _Heading(HEADINGS[name], text)
        return
    if name in {"figure", "img", "picture", "iframe", "video", "audio"}:
        block = _figure(el, base)
        if block:
            yield block
        return
    # A list is one block whatever it holds: a heading inside a list item belongs to the item.
    if name in {"ul", "ol"} or (name in BLOCKS and not el.find(_is_heading_or_figure)):
        block = _text_block(el, base)
        if block:
            yield block
        return
    yield from _walk(el, base)


def _is_structural(tag: Tag) -> bool:
    return isinstance(tag, Tag) and (tag.name in HEADINGS or tag.name in BLOCKS or tag.name in
                                     {"figure", "img", "div", "section", "picture", "iframe", "video"})


def _is_heading_or_figure(tag: Tag) -> bool:
    return isinstance(tag, Tag) and (tag.name in HEADINGS or tag.name == "figure")


def _inline_block(nodes: list, base: str | None) -> Iterator[_Block]:
    html = "".join(str(n) for n in nodes)
    text = _collapse("".join(_text_of(n) for n in nodes))
    if text:
        yield _Block(f"<p>{_absolute_links(html, base)}</p>", text)


def _text_block(el: Tag, base: str | None) -> _Block | None:
    if el.name == "hr":  # a divider: part of the layout a reader sees, not text
        return _Block("<hr>", "")
    text = _block_text(el)
    images = [img for img in (_image(i, base) for i in el.find_all("img")) if img]
    if not text and not images:
        return None
    return _Block(_absolute_links(str(el), base), text, images)


def _figure(el: Tag, base: str | None) -> _Block | None:
    """An image as a figure with its alt and caption; the caption is text a reader sees, so it is section text."""
    candidates = [el] if el.name == "img" else el.find_all("img")
    image = next((img for img in (_image(c, base) for c in candidates) if img), None)
    caption = _inline_text(el.find("figcaption")) if el.name == "figure" else ""
    if image is None:
        return _embed_link(el, base) or (_Block(f"<figure><figcaption>{escape(caption, quote=False)}</figcaption>"
                                                f"</figure>", caption) if caption else None)
    image.caption = caption or None
    html = f'<figure><img src="{escape(image.src)}" alt="{escape(image.alt or "")}">'
    if image.caption:
        html += f"<figcaption>{escape(image.caption, quote=False)}</figcaption>"
    text = "" if el.get("data-caption") == "aside" else caption  # a profile may keep a caption out of the text
    return _Block(html + "</figure>", text, [image])


def _embed_link(el: Tag, base: str | None) -> _Block | None:
    """A video, audio or file block kept as a link to what it embeds (its player is loaded by script)."""
    source = el if el.get("src") or el.get("data-url") else el.find(
        lambda t: isinstance(t, Tag) and (t.get("data-url") or (t.name in {"iframe", "video", "source", "audio"}
                                                                and t.get("src"))))
    link = el if el.name == "a" and el.get("href") else el.find("a", href=True)
    if source is not None:
        href, label = source.get("data-url") or source.get("src"), _inline_text(el.find("figcaption")) or "Video"
    elif link is not None:
        href, label = link["href"], _inline_text(link)
    else:
        return None
    href = urljoin(base or "", href.strip())
    if not href.startswith(("http://", "https://")):
        return None
    # The link lives in the section HTML; a reader never sees the player's URL, so it is not section text.
    return _Block(f'<p><a href="{escape(href)}">{escape(label or href, quote=False)}</a></p>', "")


def _image(el: Tag, base: str | None) -> Image | None:
    """An image with an address (lazy-loading attributes first; inline data: images are not kept)."""
    img = el if el.name == "img" else el.find("img")
    src = _img_src(img)
    if not src or src.startswith("data:"):
        return None
    src = urljoin(base or "", src)
    if not src.startswith(("http://", "https://")):
        return None
    alt = img.get("alt") if isinstance(img, Tag) else None
    alt = " ".join(alt.split()) if isinstance(alt, str) and alt.strip() else None
    return Image(src=src, alt=alt, caption=None)


def _img_src(img: Tag | None) -> str | None:
    if not isinstance(img, Tag):
        return None
    for key in ("data-src", "data-lazy-src", "data-original", "src"):
        value = img.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    srcset = img.get("srcset")
    if isinstance(srcset, str) and srcset.strip():
        return srcset.split(",")[-1].strip().split(" ")[0]
    return None


def clean_html(html: str) -> str:
    """Sanitised HTML with only structural and emphasis tags (no classes, styles, scripts or handlers)."""
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel=None,
                        url_schemes={"http", "https", "mailto", "tel"}, strip_comments=True)
    cleaned = re.sub(r"<p>(\s|<br>)*</p>", "", cleaned)
    return re.sub(r"\n\s*\n+", "\n", cleaned).strip()


def _absolute_links(html: str, base: str | None) -> str:
    if not base:
        return html
    return re.sub(r'(href|src)="(/[^"]*)"', lambda m: f'{m.group(1)}="{escape(urljoin(base, m.group(2)))}"', html)


def _block_text(el: Tag) -> str:
    if el.name in {"ul", "ol"}:
        return _list_text(el)
    if el.name == "table":
        rows = [" | ".join(_inline_text(c) for c in tr.find_all(["td", "th"])) for tr in el.find_all("tr")]
        return "\n".join(r for r in rows if r.strip(" |"))
    if el.name == "blockquote":
        parts = [_inline_text(p) for p in el.find_all("p")] or [_inline_text(el)]
        return "\n".join(p for p in parts if p)
    return _inline_text(el)


def _list_text(el: Tag, depth: int = 0) -> str:
    lines = []
    ordered = el.name == "ol"
    for number, li in enumerate(el.find_all("li", recursive=False), start=1):
        nested = li.find_all(["ul", "ol"], recursive=False)
        for sub in nested:
            sub.extract()
        marker = f"{number}." if ordered else "-"
        item = _inline_text(li)
        if item:
            lines.append("  " * depth + f"{marker} {item}")
        for sub in nested:
            lines.append(_list_text(sub, depth + 1))
            li.append(sub)
    return "\n".join(line for line in lines if line)


def _inline_text(el: Tag | None) -> str:
    if el is None:
        return ""
    return _collapse(_text_of(el))


def _text_of(node) -> str:
    if isinstance(node, Comment):
        return ""
    if isinstance(node, NavigableString):
        return str(node) if node.find_parent("pre") else _WHITESPACE.sub(" ", str(node))
    if node.name == "br":
        return "\n"
    if node.name in DROP:
        return ""
    return "".join(_text_of(c) for c in node.children)


def _collapse(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n"))
    return "\n".join(line for line in lines if line)


def _unique_images(images: list[Image]) -> list[Image]:
    seen, out = set(), []
    for image in images:
        if image.src not in seen:
            seen.add(image.src)
            out.append(image)
    return out
