"""Any page: trafilatura finds the main text; the post's own images are put back where they stood.

trafilatura's text is the best we measured on real article pages, but asking it for images as well makes it keep
captions, video teasers and "related" galleries as text. So the text comes without images, and each image of the
article's own container is placed after the paragraph that precedes it on the page. Where trafilatura finds
nothing (markup nested far deeper than usual, say), a known content container or the page's <article> is used.
"""
from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement, fragment_fromstring

from ..dates import to_iso
from ..page import Page, node_text
from .base import Visible, first, link_texts, select, select_one, text_of, without, xpath

name = "generic"
# What discovery looks for on any site (the platform profiles add their own).
FEED_PATHS = ("/rss.xml", "/feed.xml")
NEXT_PAGE = 'link[rel~="next"][href], a[rel~="next"][href]'

AUTHOR = ('[rel="author"], [itemprop="author"] [itemprop="name"], [itemprop="author"], .author-name, '
          '.byline .author, .author')
BYLINE_PREFIX = re.compile(r"^(?:(?:written|posted|published)\s+)?by\s+", re.I)
CONTAINERS = ('[itemprop="articleBody"]', ".entry-content", ".post-content", ".article-content", ".post-body",
              ".article-body")
CHROME = ("header", "footer", "aside", "nav", "form", ".share", ".social-share", ".sharing", ".related-posts",
          ".author-box", ".comments", "#comments", ".post-meta", ".entry-meta", '[class*="newsletter"]',
          '[class*="subscribe"]', '[id*="cookie"]', '[class*="cookie"]')
MIN_TEXT = 300  # a page with no sign of being an article (markup, a date) needs this much text to count as a post
BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "dd")
MIN_IMAGE_SIDE = 32  # smaller images are icons, spacers and tracking pixels


def detect(page: Page) -> bool:
    return True


def visible(page: Page, *, now: datetime | None = None) -> Visible:
    article = select_one(page.tree, "article")
    # The post's own byline and date first: a sidebar's "recent posts" list has <time>s and authors too.
    scope = article if article is not None else page.tree
    author = select_one(scope, AUTHOR) if article is not None else None
    found = Visible(title=text_of(page.tree, "h1") or None,
                    author=byline_name(node_text(first(author, select_one(page.tree, AUTHOR)))))
    profile = first(select_one(scope, 'a[rel~="author"][href]'), select_one(page.tree, 'a[rel~="author"][href]'))
    found.author_url = profile.get("href") if profile is not None else None
    stamp = first(select_one(scope, "time[datetime]"), select_one(page.tree, "time[datetime]"))
    if stamp is not None:
        found.published = to_iso(stamp.get("datetime"), now=now)
    if article is not None:
        found.tags = link_texts(article, "/tag/") or link_texts(article, "/tags/")
        found.categories = link_texts(article, "/category/") or link_texts(article, "/categories/")
    return found


def byline_name(value: str) -> str | None:
    """'By Jane Doe' or 'Posted by Jane Doe' -> 'Jane Doe'; a long text is not a name."""
    name = BYLINE_PREFIX.sub("", value.strip()).strip(" ,|·-")
    return name if name and len(name) <= 80 else None


def body(page: Page, meta, *, chrome: tuple[str, ...] = ()) -> HtmlElement | None:
    """The main text as HTML (headings, lists, tables, links, emphasis), with the article's images in place.

    `chrome`: a platform's own boilerplate inside the article (CSS selectors), removed before extraction.
    """
    document = main_document(page, chrome=chrome)
    if document is not None and document.body is not None and node_text(document.body):
        from trafilatura.htmlprocessing import convert_to_html

        content = convert_to_html(copy.deepcopy(document.body))
        looks_like_post = (meta.article is not None or meta.og_type == "article" or bool(document.date)
                           or select_one(page.tree, ", ".join(("article",) + CONTAINERS)) is not None)
        if len(node_text(content)) < MIN_TEXT and not looks_like_post:
            return None
        _put_back_images(page, content)
    else:
        content = _container(page, chrome)
    return content


def main_document(page: Page, *, chrome: tuple[str, ...] = ()) -> Any:
    """trafilatura's reading of the page (text and metadata), made once per page."""
    if "trafilatura" not in page.cache:
        from trafilatura import bare_extraction  # imported when first needed: it takes half a second

        # favor_recall keeps the post's own headings, which the default precision mode drops as boilerplate.
        options = dict(url=page.url, with_metadata=True, include_comments=False, include_tables=True,
                       include_formatting=True, include_links=True, favor_recall=True, output_format="html",
                       prune_xpath=xpath(", ".join(chrome)) if chrome else None)  # one pass, not one per selector
        try:
            document = bare_extraction(page.tree, **options)
        except Exception:  # noqa: BLE001 (trafilatura fails on odd pages; the page is then not a post)
            document = None
        page.cache["trafilatura"] = document
    return page.cache["trafilatura"]


def _container(page: Page, chrome: tuple[str, ...]) -> HtmlElement | None:
    """A known content container, else the page's longest <article>, without its chrome."""
    found = next((el for selector in CONTAINERS for el in select(page.tree, selector)
                  if len(node_text(el)) > 50), None)
    if found is None:
        articles = [a for a in page.tree.iter("article") if len(node_text(a)) > 50]
        found = max(articles, key=lambda a: len(node_text(a))) if articles else None
    return without(copy.deepcopy(found), CHROME + chrome) if found is not None else None


def _put_back_images(page: Page, content: HtmlElement) -> None:
    """Insert each image of the article's container after the extracted block that precedes it on the page."""
    extracted = [(el, _words(el)) for el in content.iter(*BLOCKS)]
    extracted = [(el, text) for el, text in extracted if text]
    if not extracted:
        return
    if page.tree.find(".//body//img") is None:
        return
    matches = {}
    for el in page.tree.iter(*BLOCKS):
        key = _key(el)
        found = next((out for out, text in extracted if key in text), None) if key else None
        if found is not None:
            matches[el] = found
    container = _common_ancestor(list(matches))
    if container is not None and container.tag in BLOCKS:  # one block matched: its images stand beside it
        container = container.getparent()
    if container is None or container.tag in ("html", "body"):
        return
    anchor: HtmlElement | None = None
    for el in container.iter(*BLOCKS, "img"):
        if el.tag != "img":
            anchor = matches.get(el, anchor)
            continue
        src = _image_source(el)
        if src is None:
            continue
        image = _figure(src, el.get("alt"), _caption(el))
        if anchor is None:
            content.insert(0, image)
        else:
            anchor.addnext(image)
            anchor = image


def _figure(src: str, alt: str | None, caption: str) -> HtmlElement:
    """A put-back image; its caption stays with it (data-caption="aside") but out of the text, which is
    trafilatura's reading of the article: on real article pages captions are not the article's text."""
    figure = fragment_fromstring('<figure data-caption="aside"><img></figure>')
    figure[0].set("src", src)
    if alt:
        figure[0].set("alt", alt)
    if caption:
        figcaption = fragment_fromstring("<figcaption></figcaption>")
        figcaption.text = caption
        figure.append(figcaption)
    return figure


def _caption(img: HtmlElement) -> str:
    """The caption of the figure (or WordPress caption box) an image stands in."""
    for ancestor in list(img.iterancestors())[:3]:
        caption = first(select_one(ancestor, "figcaption"), select_one(ancestor, ".wp-caption-text"))
        if caption is not None:
            return node_text(caption)
    return ""


def _words(el: HtmlElement) -> str:
    return " ".join("".join(el.itertext()).split()).casefold()


def _key(el: HtmlElement) -> str:
    """A block's identity for finding it in trafilatura's output: its first words (short blocks have none)."""
    text = "".join(el.itertext())
    return " ".join(text.split()[:12]).casefold() if len(text) >= 20 else ""


def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement | None:
    if not elements:
        return None
    common = list(elements[0].iterancestors())[::-1] + [elements[0]]
    for el in elements[1:]:
        chain = list(el.iterancestors())[::-1] + [el]
        depth = 0
        while depth < min(len(common), len(chain)) and common[depth] is chain[depth]:
            depth += 1
        common = common[:depth]
    return common[-1] if common and common[-1].tag not in ("html", "body") else None


def _image_source(img: HtmlElement) -> str | None:
    for key in ("data-src", "data-lazy-src", "data-original", "src"):
        value = (img.get(key) or "").strip()
        if value and not value.startswith("data:"):
            break
    else:
        return None
    for side in (img.get("width"), img.get("height")):
        if side and side.isdigit() and int(side) < MIN_IMAGE_SIDE:
            return None
    return value
