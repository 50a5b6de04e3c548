"""Wix blog posts: article[data-hook="post"] and its data-hook markers (class names are hashed per build).

The body is turned into plain HTML here, so that the section walk knows nothing of Wix: every image becomes
`<figure><img src="https://static.wixstatic.com/media/<id>">` at its original size, buttons become links,
dividers `<hr>`, and videos and galleries a figure with what the served HTML says of them.
"""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from html import escape
from urllib.parse import unquote, urljoin

from lxml.html import HtmlElement, fragment_fromstring

from ..dates import to_iso
from ..errors import NotAPostError
from ..page import Page, node_text
from .base import Visible, generator, link_texts, select_one

name = "wix"
MEDIA = "https://static.wixstatic.com/media/"
# Discovery and scope: where Wix keeps a site's files, its feed, its listing cards and pager, its post paths.
MEDIA_HOSTS = ("wixstatic.com", "wixmp.com", "parastorage.com")  # static./video./docs.wixstatic.com and more
FEED_PATHS = ("/blog-feed.xml",)
LISTING_CARDS = '[data-hook="post-list-item"]'
NEXT_PAGE = 'a[data-hook="pagination__next"][href]'
POST_PATHS = (r"/(?:post|single-post)/[^/]+",)  # also /blog-1/post/<slug> and /post/2019/06/06/<slug>
TAXONOMY_PATHS = ("categories", "tags", "hashtags")
# Everything inside a Wix post article that is not the post itself.
CHROME_HOOKS = frozenset({
    "post-footer", "recent-posts", "post-stats", "like-button", "time-to-read", "user-name", "badge",
    "post-title", "tag-cloud-root", "post-main-actions", "more-button", "post-header", "avatar-image",
    "time-ago", "post-categories-list", "related-posts", "comments", "post-metadata", "image-expand-button",
    "imageExpandButton", "gap-spacer",
})
CHROME_LABELS = frozenset({"top of page", "bottom of page", "Post categories"})
UPDATED_LABEL = re.compile(r"^\s*(Updated|Aktualisiert|Actualizado|Mis à jour|Aggiornato|Atualizado|Aktualizováno"
                           r"|Bijgewerkt|Uppdaterad|Opdateret|Oppdatert|Zaktualizowano)\s*:?\s*", re.I)
AVATAR_LABEL = re.compile(r"^(Writer|Author)(&#x27;|'|’)?s? ?(picture)?:?\s*", re.I)
# Ricos block types whose content the served HTML may not carry (drawn by script), and what a reader saw there.
UNSEEN_MEDIA = {"video": "Video", "gallery": "Gallery", "gif": "GIF", "giphy": "GIF", "file": "File", "audio": "Audio",
                "html": "Embedded content", "embed": "Embedded content", "map": "Map", "poll": "Poll"}
PLACEHOLDER_TITLES = frozenset({"post", "blog", "blog post", "beitrag", "artikel", "bericht", "publicación", "publicação",
                                "article", "publication", "articolo", "příspěvek", "wpis", "inlägg", "innlegg",
                                "indlæg"})


def detect(page: Page) -> bool:
    return "wix" in generator(page) or _article(page, required=False) is not None


def _hook(node: HtmlElement, hook: str, tag: str = "*") -> HtmlElement | None:
    """The first element under node whose data-hook is `hook` (one of its space-separated words)."""
    found = node.xpath(f'.//{tag}[contains(concat(" ", normalize-space(@data-hook), " "), " {hook} ")]')
    return found[0] if found else None


def _article(page: Page, *, required: bool = True) -> HtmlElement | None:
    found = page.tree.xpath('//article[@data-hook="post"]')
    if not found and required:
        raise NotAPostError("not a blog post: the page has no post article")
    return found[0] if found else None


def visible(page: Page, *, now: datetime | None = None) -> Visible:
    article = _article(page)
    found = Visible()
    heading = _hook(article, "post-title", "h1")
    title = node_text(heading if heading is not None else _hook(article, "post-title"))
    found.title = None if is_placeholder_title(title) else title
    found.author = node_text(_hook(article, "user-name")) or _avatar_name(article)
    profile = article.xpath('.//a[contains(@href, "/profile/")]')
    found.author_url = profile[0].get("href") if profile else None
    updated_line = _updated_line(article)
    if updated_line is not None:
        stamp = _hook(updated_line, "time-ago")
        found.updated = (_time_ago(stamp, now) if stamp is not None
                         else to_iso(UPDATED_LABEL.sub("", node_text(updated_line)), now=now))
    skip = set(updated_line.iter()) if updated_line is not None else set()
    for stamp in article.xpath('.//*[@data-hook="time-ago"]'):
        if stamp not in skip:
            found.published = _time_ago(stamp, now)
            break
    site = page.url
    found.tags = link_texts(article, "/tags/", site=site)
    found.categories = link_texts(article, "/categories/", site=site)
    # Some templates render the tag cloud and category list beside the article rather than inside it;
    # only these two named blocks are read there (the blog's own nav links every category).
    if not found.tags:
        found.tags = link_texts(_hook(page.tree, "tag-cloud-root"), "/tags/", site=site)
    if not found.categories:
        found.categories = link_texts(select_one(page.tree, 'ul[aria-label="Post categories"]'), "", site=site)
    return found


def is_placeholder_title(title: str | None) -> bool:
    """'Post' and its kin: what Wix shows when a page is rendered without the post (a lost ?lang=, say)."""
    return not title or title.strip().casefold() in PLACEHOLDER_TITLES


def body(page: Page, meta) -> HtmlElement:
    """The post body (data-hook="post-description") as plain HTML, chrome removed and media made explicit."""
    article = _article(page)
    description = _hook(article, "post-description")
    content = copy.deepcopy(description if description is not None else article)
    updated_line = _updated_line(content)
    if updated_line is not None:
        updated_line.drop_tree()
    for node in [n for n in content.iter() if isinstance(n.tag, str) and _is_chrome(n)]:
        if node.getparent() is not None:
            node.drop_tree()
    base = page.url or meta.canonical_url
    _mark_unseen_media(content)
    for figure in _media_blocks(content):
        _replace(figure, _media_html(figure, base))
    for viewer in content.xpath('.//*[contains(@data-hook, "fileUpload") or contains(@data-hook, "file-upload")]'):
        link = viewer.find(".//a[@href]")
        name = next((t.strip() for t in viewer.xpath(".//text()") if t.strip()), "") if link is not None else ""
        _replace(viewer, _link_html(link.get("href") if link is not None else None, name, base, "p"))
    for button in content.xpath('.//a[contains(@data-hook, "button-viewer") or @data-hook="buttonViewer"]'):
        _replace(button, _link_html(button.get("href"), node_text(button), base, "figure"))
    for divider in content.xpath('.//*[contains(@data-hook, "divider")]'):
        _replace(divider, "<hr>")
    return content


def _is_chrome(node: HtmlElement) -> bool:
    hook = node.get("data-hook") or ""
    return (hook in CHROME_HOOKS or hook.startswith("share-button") or node.get("aria-label") in CHROME_LABELS
            or "share-button" in (node.get("class") or "") or node.tag == "button")


def _mark_unseen_media(content: HtmlElement) -> None:
    """Ricos ends each block with a marker naming its type (<div type="video" data-hook="rcv-block7">). A video,
    gallery or embed whose player is drawn by script leaves only empty divs before it: say what stood there."""
    for marker in content.xpath('.//div[@type and starts-with(@data-hook, "rcv-block")]'):
        kind, block = UNSEEN_MEDIA.get(marker.get("type") or ""), marker.getprevious()
        if kind and block is not None and not node_text(block) \
                and not block.xpath('.//img | .//iframe | .//video | .//a[@href] | .//@data-url'):
            _replace(block, f"<figure><figcaption>{kind}</figcaption></figure>")


def _media_blocks(content: HtmlElement) -> list[HtmlElement]:
    """The outermost element of each image, video, gallery, GIF or embed of the body, in document order."""
    found = content.xpath(
        './/*[self::figure or self::wow-image or self::iframe or self::video or @data-hook="imageViewer" '
        'or starts-with(@data-hook, "image-viewer") or @data-hook="galleryViewer" or @data-hook="gallery-viewer" '
        'or @data-hook="video-viewer" or @data-hook="videoViewer" or @data-hook="gif-viewer" '
        'or @data-hook="htmlComponent" or @data-hook="html-component" or (self::img and @data-pin-media)]')
    outermost = []
    for el in found:
        if not any(ancestor in outermost for ancestor in el.iterancestors()):
            outermost.append(el)
    return outermost


def _media_html(block: HtmlElement, base: str | None) -> str:
    """One media block as plain, safe HTML: a figure per image, or a link to what is embedded."""
    caption = node_text(block.find(".//figcaption"))
    images = [(src, _alt(el)) for el in _image_elements(block) if (src := original_image(el, base))]
    if images:
        last = len(images) - 1
        return "".join(_figure(src, alt, caption if i == last else "") for i, (src, alt) in enumerate(images))
    source = block.xpath('(.//iframe | .//video | .//source | .//audio | self::iframe | self::video)/@src '
                         '| .//@data-url | self::*/@data-url')
    link = block.xpath(".//a/@href")
    kind = _kind(block)
    if source or link:
        return _link_html((source or link)[0], caption or kind, base, "figure")
    return f"<figure><figcaption>{escape(caption or kind)}</figcaption></figure>" if caption else ""


def _kind(block: HtmlElement) -> str:
    hook = (block.get("data-hook") or "").lower()
    if "gallery" in hook:
        return "Gallery"
    if "gif" in hook:
        return "GIF"
    if "html" in hook or block.tag == "iframe":
        return "Embedded content"
    return "Video"


def _image_elements(block: HtmlElement) -> list[HtmlElement]:
    """The elements naming each image once: a wow-image, else an img outside any wow-image."""
    wows = list(block.iter("wow-image"))
    loose = [img for img in block.iter("img") if not any(a.tag == "wow-image" for a in img.iterancestors())]
    return wows + loose if wows else loose


def original_image(el: HtmlElement, base: str | None) -> str | None:
    """The original file of a Wix image element: data-pin-media, the wow-image id or its imageData uri."""
    img = el if el.tag == "img" else el.find(".//img")
    candidates = [img.get("data-pin-media") if img is not None else None, el.get("data-pin-media")]
    if el.tag == "wow-image":
        candidates += [_image_info_uri(el), el.get("id")]
    if img is not None:
        candidates += [img.get("data-src"), img.get("src")]
    for value in candidates:
        if value and value.strip() and not value.startswith("data:"):
            src = original_image_url(value.strip(), base)
            if src:
                return src
    return None


def _alt(el: HtmlElement) -> str:
    img = el if el.tag == "img" else el.find(".//img")
    return " ".join((img.get("alt") or "").split()) if img is not None else ""


def _image_info_uri(wow: HtmlElement) -> str | None:
    try:
        uri = json.loads(wow.get("data-image-info") or "{}").get("imageData", {}).get("uri")
    except (ValueError, AttributeError, RecursionError):
        return None
    return uri if isinstance(uri, str) else None


def original_image_url(src: str, base: str | None = None) -> str | None:
    """A Wix image reference as its original file on static.wixstatic.com.

    '…/media/<id>/v1/fill/w_89,h_66,…/<id>', '<id>' alone ('abc123_…~mv2.jpg', 'nsplsh_…~mv2.jpg',
    '7828c…837.jpg', '…~mv2_d_1920_1271_s_2.jpg') and '%7E' for '~' all give '…/media/<id>'.
    A URL elsewhere is returned as it is, made absolute.
    """
    src = src.strip()
    if "/media/" in src and "wixstatic.com" in src:
        media = src.split("/media/", 1)[1].split("/v1/", 1)[0]
        return MEDIA + unquote(media)
    if "/" not in src and ":" not in src and "." in src:  # a bare media id
        return MEDIA + unquote(src)
    absolute = urljoin(base or "", src)
    return absolute if absolute.startswith(("http://", "https://")) else None


def _figure(src: str, alt: str, caption: str) -> str:
    html = f'<figure><img src="{escape(src)}" alt="{escape(alt)}">'
    if caption:
        html += f"<figcaption>{escape(caption)}</figcaption>"
    return html + "</figure>"


def _link_html(href: str | None, label: str, base: str | None, wrapper: str) -> str:
    href = urljoin(base or "", (href or "").strip())
    if not href.startswith(("http://", "https://", "mailto:", "tel:")):
        return f"<{wrapper}>{escape(label)}</{wrapper}>" if label and wrapper == "p" else ""
    label = label or href
    return f'<{wrapper}><a href="{escape(href)}">{escape(label)}</a></{wrapper}>'


def _replace(old: HtmlElement, html: str) -> None:
    """Put the HTML in place of the element (its tail kept)."""
    parent = old.getparent()
    if parent is None:
        return
    new = fragment_fromstring(html, create_parent="div") if html else None
    tail, index = old.tail, parent.index(old)
    parent.remove(old)
    if new is not None:
        for offset, child in enumerate(new):
            parent.insert(index + offset, child)
        index += len(new)
    if tail:
        if index > 0:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _updated_line(node: HtmlElement) -> HtmlElement | None:
    """The outermost short element reading 'Updated: <date>', found from its label text."""
    for label in node.xpath(".//text()"):
        if not UPDATED_LABEL.match(label):
            continue
        line = None
        parent = label.getparent()
        if label.is_tail and parent is not None:
            parent = parent.getparent()
        while parent is not None and parent is not node and parent.tag in {"p", "div", "span"} \
                and len(node_text(parent)) < 80:
            line, parent = parent, parent.getparent()
        if line is not None:
            return line
    return None


def _time_ago(stamp: HtmlElement, now: datetime | None) -> str | None:
    return (to_iso(stamp.get("title"), now=now) or to_iso(stamp.get("datetime"), now=now)
            or to_iso(node_text(stamp), now=now))


def _avatar_name(article: HtmlElement) -> str | None:
    """'Writer: Laura Mann' in an avatar's aria-label or alt (2025–26 builds)."""
    for label in article.xpath(".//@aria-label | .//img/@alt"):
        if re.match(r"^(Writer|Author):\s*\S", label):
            return AVATAR_LABEL.sub("", label).strip() or None
    return None
