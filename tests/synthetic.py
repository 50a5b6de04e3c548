"""A synthetic Wix blog of N posts, generated on the fly and served on 127.0.0.1 (crawl tests, benchmarks).

Nothing is written to disk and no page is kept: every response is rendered from the post number when it is
asked for, so a 5,000-post site costs no more memory than a 20-post one.

    site = SyntheticSite(posts=500)
    with serve_synthetic(site) as server:
        crawl(server.origin)
        site.changed = {3, 7}; site.removed = {9}     # the site moves on between crawls
        crawl(server.origin)
        print(len(server.requests), server.bytes_sent)

Post n (1 = newest) has 2023-era Wix markup (see /work/shared/reference/wix.md): head meta, og/article:* meta,
BlogPosting JSON-LD, canonical and RSS links; the SITE_HEADER / blog nav / SITE_FOOTER chrome; an
article[data-hook="post"] whose Ricos body is deterministic text seeded by n. Discovery sources are all there:
robots.txt, a sitemap index with paged blog-posts sitemaps (blog-posts-sitemap.xml?page=2 ...), pages-sitemap.xml,
blog-feed.xml (the newest feed_items posts only) and /blog, /blog/page/N listings linked by rel=next/prev.
Every 200 carries a strong ETag and Last-Modified and answers If-None-Match / If-Modified-Since with a 304
(If-None-Match wins when both are sent, as RFC 9110 says). The sitemaps, feed and listings take the newest live
dateModified as Last-Modified, so - as on real servers - a removal alone does not move it: only the ETag sees that.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import json
import math
import random
import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

from scraper.demo.server import SiteHandler, SiteServer
from scraper.httpserver import in_thread

SITE_NAME = "Willow Creek Acupuncture"
AUTHORS = ("Jenna Reyes", "Marcus Oduya", "Dr. Helen Park")
NEWEST_PUBLISHED = datetime(2024, 6, 1, tzinfo=UTC)  # post 1's day; post n is n-1 days older
CHANGED_MODIFIED = datetime(2024, 7, 1, 14, 30, 0, 512000, tzinfo=UTC)  # dateModified of a changed post
UPDATED_PARAGRAPH = "This post was updated."
CATEGORIES = ("Acupuncture", "Cupping", "Herbal Medicine", "Back Pain", "Fertility", "Wellness Tips")

HTML_TYPE = "text/html; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

# ---------------------------------------------------------------------------------------------------------------
# Deterministic content
# ---------------------------------------------------------------------------------------------------------------

# Titles are OPENER + TOPIC + ": " + ANGLE; post n gets combination (n * _TITLE_STEP) mod 10,000, a bijection on
# 1..10,000, so titles and slugs are unique without numbers in them (beyond 10,000 posts the slug gets "-n").
_OPENERS = ("A Gentle Guide to", "Understanding", "Five Myths About", "Getting Started with", "What to Expect from",
            "The Science Behind", "A Beginner's Guide to", "Common Questions About", "How We Use",
            "Rethinking", "The Quiet Power of", "Ten Minutes of", "Why Patients Ask About", "A Fresh Look at",
            "Making Room for", "Notes on", "The Basics of", "Living Well with", "An Honest Take on",
            "Preparing for")
_TOPICS = ("Acupuncture", "Cupping Therapy", "Gua Sha", "Herbal Tea Blends", "Moxibustion", "Ear Seeds",
           "Tui Na Massage", "Electroacupuncture", "Facial Acupuncture", "Chinese Herbal Formulas",
           "Breathing Practice", "Qi Gong", "Seasonal Eating", "Sleep Hygiene", "Stress Relief", "Neck Tension",
           "Lower Back Pain", "Migraine Care", "Fertility Support", "Digestive Health", "Allergy Season",
           "Menstrual Comfort", "Post-Surgery Recovery", "Desk Posture", "Knee Pain")
_ANGLES = ("What the Research Says", "For Busy Parents", "In the Winter Months", "At Home", "After Forty",
           "For Athletes", "When Nothing Else Helped", "A Practitioner's View", "Step by Step",
           "Questions and Answers", "For First-Time Patients", "Through the Seasons", "On a Budget",
           "Alongside Physical Therapy", "For Shift Workers", "During Pregnancy", "For Office Workers",
           "Myths and Facts", "In Everyday Life", "What We See in Clinic")
_TITLE_STEP = 7919  # prime, coprime with 10,000
_TITLE_SPACE = len(_OPENERS) * len(_TOPICS) * len(_ANGLES)  # 10,000

_HEADINGS = ("What Happens During a Session", "Who It Can Help", "What the Evidence Shows", "How to Prepare",
             "Aftercare and Follow-Up", "When to Skip It", "Choosing a Practitioner", "A Simple Routine",
             "Frequently Asked Questions", "What Our Patients Say", "Safety First", "Putting It Together",
             "Small Changes That Add Up", "How Often Should You Come In")

_WORDS = (
    "the a an our your their this that these many most some every each gentle slow steady warm cool deep "
    "light quiet simple careful regular daily weekly seasonal traditional modern clinical practical small "
    "patients practitioners clinic session treatment needles points meridians muscles joints shoulders neck "
    "back hips knees breath sleep stress tension circulation digestion energy balance recovery posture "
    "routine habit evening morning body mind skin tea herbs formula research study evidence results "
    "comfort pain relief support care rest movement stretching walking water warmth season winter spring "
    "summer autumn week month visit appointment plan goal change progress "
    "helps eases supports calms improves relaxes restores encourages reduces builds notices feels finds "
    "brings keeps allows shows suggests explains describes combines follows begins "
    "with for about after before during between through into around along toward without "
    "and but or so because while when although often usually sometimes gradually quickly naturally "
    "is are was can may will should might"
).split()
_ADJECTIVE_END = 40  # _WORDS[:_ADJECTIVE_END] are determiners and adjectives (they start sentences well)


class _Block(NamedTuple):
    kind: str  # "paragraph", "h2" or "image"
    text: str  # plain text ("" for the image)
    html: str  # the Ricos element


@dataclass
class SyntheticSite:
    """The synthetic site's state. Mutate it between crawls; the server reads it on every request."""

    posts: int = 20
    latency: float = 0.0  # seconds added to every response
    changed: set[int] = field(default_factory=set)  # body text + dateModified + sitemap lastmod differ
    removed: set[int] = field(default_factory=set)  # 404, and gone from every source
    gone_410: set[int] = field(default_factory=set)  # 410, and gone from every source
    sitemap_page_size: int = 200  # posts per blog-posts-sitemap page
    feed_items: int = 20  # blog-feed.xml holds only the newest posts
    listing_page_size: int = 10  # /blog, /blog/page/2 ...

    # -- identity ------------------------------------------------------------------------------------------
    def title(self, n: int) -> str:
        return _title(n)

    def slug(self, n: int) -> str:
        return _slug(n)

    def url_path(self, n: int) -> str:
        return "/post/" + self.slug(n)

    def number(self, slug_or_path: str) -> int | None:
        """The post number for a slug, "/post/<slug>" or full URL; None if no such post (alive or not)."""
        slug = unquote(urlsplit(slug_or_path).path).rstrip("/").rsplit("/", 1)[-1]
        return _slug_table(self.posts).get(slug)

    def author(self, n: int) -> str:
        return AUTHORS[(n - 1) % len(AUTHORS)]

    def media_id(self, n: int) -> str:
        return _media_id(n)

    def category(self, n: int) -> str:
        return CATEGORIES[(n * 5) % len(CATEGORIES)]

    # -- dates ---------------------------------------------------------------------------------------------
    def published(self, n: int) -> datetime:
        day = NEWEST_PUBLISHED - timedelta(days=n - 1)
        return day.replace(hour=8 + n % 10, minute=(n * 7) % 60, second=(n * 13) % 60,
                           microsecond=((n * 37) % 1000) * 1000)

    def modified(self, n: int) -> datetime:
        if n in self.changed:
            return CHANGED_MODIFIED
        return self.published(n) + timedelta(hours=2, minutes=13, seconds=5)  # same day: hour <= 19

    # -- what is live ----------------------------------------------------------------------------------------
    def exists(self, n: int) -> bool:
        return 1 <= n <= self.posts and n not in self.removed and n not in self.gone_410

    def live(self) -> list[int]:
        """Live post numbers, newest first (the order of every listing, feed and sitemap)."""
        dead = self.removed | self.gone_410
        return [n for n in range(1, self.posts + 1) if n not in dead]

    def last_modified(self) -> datetime:
        """The newest dateModified among live posts: Last-Modified of the sitemaps, feed and listings."""
        newest = next((n for n in range(1, self.posts + 1) if self.exists(n)), None)
        if newest is None:
            return NEWEST_PUBLISHED - timedelta(days=365)
        if any(self.exists(n) for n in self.changed):
            return max(CHANGED_MODIFIED, self.modified(newest))
        return self.modified(newest)

    def sitemap_pages(self) -> int:
        return max(1, math.ceil(len(self.live()) / self.sitemap_page_size))

    def listing_pages(self) -> int:
        return max(1, math.ceil(len(self.live()) / self.listing_page_size))


def _title(n: int) -> str:
    i = (n * _TITLE_STEP) % _TITLE_SPACE
    opener = _OPENERS[i // (len(_TOPICS) * len(_ANGLES))]
    topic = _TOPICS[(i // len(_ANGLES)) % len(_TOPICS)]
    angle = _ANGLES[i % len(_ANGLES)]
    return f"{opener} {topic}: {angle}"


def _slug(n: int) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", _title(n).lower().replace("'", "")).strip("-")
    return base if n <= _TITLE_SPACE else f"{base}-{n}"


@functools.lru_cache(maxsize=4)
def _slug_table(posts: int) -> dict[str, int]:
    """slug -> post number (strings only, not pages; ~60 bytes a post)."""
    return {_slug(n): n for n in range(1, posts + 1)}


def _media_id(n: int) -> str:
    return f"{n:06x}_{hashlib.md5(f'media-{n}'.encode()).hexdigest()}~mv2.jpg"


def _guid(n: int) -> str:
    return hashlib.sha1(f"post-{n}".encode()).hexdigest()[:24]


def _viewer_id(rng: random.Random) -> str:
    return "viewer-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5))


def _sentence(rng: random.Random) -> list[str]:
    words = [rng.choice(_WORDS[:_ADJECTIVE_END])] + [rng.choice(_WORDS) for _ in range(rng.randint(7, 17))]
    words[0] = words[0].capitalize()
    return words


def _paragraph_html(rng: random.Random, words: list[str]) -> str:
    """Words -> Ricos paragraph markup, with the odd bold or italic run."""
    parts = [html.escape(w) for w in words]
    if len(parts) > 12 and rng.random() < 0.4:
        i = rng.randrange(1, len(parts) - 3)
        parts[i] = f'<strong style="font-weight:700">{parts[i]} {parts[i + 1]}</strong>'
        del parts[i + 1]
    if len(parts) > 12 and rng.random() < 0.3:
        i = rng.randrange(len(parts) - 2, len(parts))
        parts[i] = f"<em>{parts[i]}</em>"
    return " ".join(parts)


@functools.lru_cache(maxsize=64)  # a few recent bodies: 304 checks and HEADs re-render; bounded, not per-site
def _body(n: int, changed: bool) -> tuple[_Block, ...]:
    rng = random.Random(n)
    target = rng.randint(455, 765)
    paragraph_count = rng.randint(4, 6)
    heading_count = rng.randint(2, 3)
    per_paragraph = target // paragraph_count
    headings = rng.sample(_HEADINGS, heading_count)
    heading_after = set(rng.sample(range(1, paragraph_count), heading_count))  # before paragraph p (>= 3 gaps)
    image_after = rng.randint(1, paragraph_count - 1)
    blocks: list[_Block] = []
    for p in range(paragraph_count):
        if p in heading_after:
            text = headings.pop()
            blocks.append(_Block("h2", text,
                                 f'<h2 class="ut1Pe" dir="auto" id="{_viewer_id(rng)}"><span class="RFFq3W">'
                                 f'<span style="font-weight:700">{html.escape(text)}</span></span></h2>'))
        if p == image_after:
            blocks.append(_Block("image", "", _figure(n, rng)))
        words: list[str] = []
        while len(words) < per_paragraph - 8:
            sentence = _sentence(rng)
            sentence[-1] += "."
            words += sentence
        blocks.append(_Block("paragraph", " ".join(words),
                             f'<p class="XkCPqm" dir="auto" id="{_viewer_id(rng)}"><span class="RFFq3W"><span>'
                             f"{_paragraph_html(rng, words)}</span></span></p>"))
    if changed:
        blocks.append(_Block("paragraph", UPDATED_PARAGRAPH,
                             f'<p class="XkCPqm" dir="auto" id="viewer-upd{n % 100:02d}"><span class="RFFq3W">'
                             f"<span>{UPDATED_PARAGRAPH}</span></span></p>"))
    return tuple(blocks)


def _figure(n: int, rng: random.Random) -> str:
    media = _media_id(n)
    width, height = rng.choice(((1600, 1200), (1920, 1280), (1200, 800), (1000, 1000)))
    info = html.escape(json.dumps({"containerId": media, "alignType": "center", "displayMode": "fill",
                                   "imageData": {"width": width, "height": height, "uri": media, "name": "",
                                                 "displayMode": "fill", "hasAnimation": False}},
                                  separators=(",", ":")))
    padding = round(height / width * 100, 2)
    return (f'<div class="N9CvB" data-breakout="normal"><figure class="azv5NH" data-hook="figure-IMAGE">'
            f'<div data-hook="imageViewer" class="P7dbsM" role="button" tabindex="0">'
            f'<div class="ryk57" style="padding-bottom:{padding}%"></div><div class="pPw0M">'
            f'<wow-image id="{media}" class="GCSQL" data-image-info="{info}" data-motion-part="BG_IMG" '
            f'data-bg-effect-name="" data-has-ssr-src="true" data-is-svg="false" data-is-svg-mask="false" '
            f'data-pin-media="https://static.wixstatic.com/media/{media}" '
            f'style="--wix-img-max-width:max({width}px, 100%)">'
            f'<img src="https://static.wixstatic.com/media/{media}/v1/fill/w_89,h_66,blur_2/{media}" alt="" '
            f'style="width:100%;height:100%;object-fit:cover;object-position:50% 50%" fetchpriority="high"/>'
            f"</wow-image></div></div></figure></div>")


def _plain(blocks: tuple[_Block, ...]) -> str:
    return " ".join(b.text for b in blocks if b.text)


def _excerpt(text: str, length: int) -> str:
    return text[:length]  # Wix cuts mid-word


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _visible_date(dt: datetime) -> str:
    return f"{dt:%b} {dt.day}, {dt.year}"  # not the current year, so Wix shows it


def _minutes(blocks: tuple[_Block, ...]) -> int:
    return max(1, math.ceil(len(_plain(blocks).split()) / 230))


# ---------------------------------------------------------------------------------------------------------------
# Page chrome (shared by every page; built once at import, ~20 KB like a small real Wix page's inline CSS)
# ---------------------------------------------------------------------------------------------------------------

def _build_css() -> str:
    rng = random.Random("css")
    props = ("--margin-top:0px", "--padding:0 20px", "--alpha-bg:0", "--brw:1px", "--rd:30px", "height:100%",
             "display:flex", "--shd:none", "--txt:var(--color_15)", "--fnt:var(--font_8)", "--min-height:80px",
             "grid-template-columns:repeat(3, minmax(0, 1fr))", "transition:opacity .3s", "--alpha-brd:1",
             "--column-width:980px", "--bg:var(--color_13)", "--item-display:block", "--brd:0,0,0")
    rules = []
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    for _ in range(170):
        selector = "#comp-" + "".join(rng.choice(alphabet) for _ in range(8))
        rules.append(selector + "{" + ";".join(rng.sample(props, rng.randint(3, 7))) + "}")
    return "".join(rules)


_CSS = _build_css()


def _head_common(origin: str) -> str:
    media = "b6f2c1_3a7d9e1f5b2c4d6e8f0a1b3c5d7e9f2a~mv2.png"
    return (
        "<meta charset='utf-8'>\n"
        '  <meta name="viewport" content="width=device-width, initial-scale=1" id="wixDesktopViewport" />\n'
        '  <meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
        '  <meta name="generator" content="Wix.com Website Builder"/>\n'
        f'  <link rel="icon" sizes="192x192" href="https://static.wixstatic.com/media/{media}/v1/fill/'
        f'w_192%2Ch_192%2Clg_1%2Cusm_0.66_1.00_0.01/{media}" type="image/png"/>\n'
        '  <link rel="preconnect" href="https://static.parastorage.com" crossorigin>\n'
        '  <link rel="preconnect" href="https://static.wixstatic.com" crossorigin>\n'
        f'  <style id="css_masterPage">{_CSS}</style>\n'
    )


def _viewer_model(origin: str, request_url: str) -> str:
    model = {"siteFeaturesConfigs": {"platform": {"bootstrapData": {"appsSpecData": {
        "14bcded7-0066-7c35-14d7-466cb3f09103": {"type": "public", "appDefinitionName": "Wix Blog"}}}},
        "seo": {"isInSEO": True, "hasBlogAmpSupport": False}},
        "requestUrl": request_url,
        "site": {"metaSiteId": "5e0f7c2a-9b41-4d8e-a3c6-1f2e3d4c5b6a", "isHttps": True, "externalBaseUrl": origin,
                 "siteRevision": 2107, "dc": "42"},
        "language": {"userLanguage": "en", "siteLanguage": "en", "isMultilingualEnabled": False},
        "mode": {"qa": False, "debug": False, "ssrIndicator": True}}
    return f'<script type="application/json" id="wix-viewer-model">{json.dumps(model, separators=(",", ":"))}</script>'


def _site_header(origin: str) -> str:
    items = (("Home", origin), ("About", origin + "/about"), ("Services", origin + "/services"),
             ("Blog", origin + "/blog"), ("Book Online", origin + "/book-online"))
    lis = "".join(f'<li class="Exztn wixui-dropdown-menu__item"><a data-testid="linkElement" href="{href}" '
                  f'target="_self" class="SybZb"><div class="p8oyZ"><div class="RpvB3"><p class="sU9JuV">{label}</p>'
                  f"</div></div></a></li>" for label, href in items)
    return (f'<header id="SITE_HEADER" class="K3vBv wixui-header" tabindex="-1"><div class="yajfZN">'
            f'<div data-mesh-id="SITE_HEADERinlineContent" data-testid="inline-content">'
            f'<div id="comp-ijicl4o5" class="WG590 wixui-rich-text" data-testid="richTextElement">'
            f'<p class="font_0 wixui-rich-text__text" style="font-size:26px;"><a href="{origin}" target="_self">'
            f"{SITE_NAME}</a></p></div>"
            f'<nav aria-label="Site" id="comp-utmb1wj5" class="MAGtzd wixui-dropdown-menu">'
            f'<ul class="kPUJz" data-testid="dropdownMenuItems">{lis}</ul></nav>'
            f'<div id="comp-6rf4lc0v" class="vTGJT"><button class="WshTx" aria-label="Log In">'
            f'<span class="PYzd7Z">Log In</span></button></div></div></div></header>')


def _site_footer() -> str:
    return (f'<footer id="SITE_FOOTER" class="ARm9T wixui-footer" tabindex="-1"><div class="yajfZN">'
            f'<div data-mesh-id="SITE_FOOTERinlineContent" data-testid="inline-content">'
            f'<div id="comp-7bcwi65x" class="WG590 wixui-rich-text" data-testid="richTextElement">'
            f'<h5 class="font_5 wixui-rich-text__text">{SITE_NAME}</h5>'
            f'<p class="font_8 wixui-rich-text__text">88 Willow Creek Rd, Asheville, NC 28801</p>'
            f'<p class="font_8 wixui-rich-text__text">Tel: (828) 555-0199</p></div>'
            f'<div id="comp-9zgvsdxc" class="YBU3J8"><form class="f4Irc" aria-label="Subscribe form">'
            f'<h5 class="font_5">Join Our Mailing List</h5><input type="email" name="email" class="q5KHA"/>'
            f'<button type="submit" class="mPbvy"><span class="JSRJG">Subscribe</span></button></form></div>'
            f'<div id="comp-am5t7zva" class="WG590 wixui-rich-text" data-testid="richTextElement">'
            f'<p class="font_9 wixui-rich-text__text" style="text-align:center;">©2023 by {SITE_NAME}. '
            f"Proudly created with Wix.com</p></div></div></div></footer>")


def _blog_nav(origin: str) -> str:
    cats = "".join(f'<li class="W9p7h"><a href="{origin}/blog/categories/{_slugify(c)}" class="KPLcjO" '
                   f'data-hook="category-link">{html.escape(c)}</a></li>' for c in CATEGORIES)
    return (f'<div class="AX8qc0" data-hook="blog-desktop-header-container"><nav aria-label="blog" class="gZQpq">'
            f'<ul class="F93ROQ" data-hook="category-list"><li class="W9p7h"><a href="{origin}/blog" '
            f'class="KPLcjO" data-hook="link-all-posts">All Posts</a></li>{cats}</ul>'
            f'<div class="oPTsH2" data-hook="search-input"><form role="search" action="{origin}/blog/search">'
            f'<input type="search" name="q" placeholder="Search" aria-label="Search" value=""/></form></div>'
            f"</nav></div>")


def _page(origin: str, request_url: str, head: str, content: str) -> bytes:
    """Wrap a page's own head tags and PAGES_CONTAINER content in the Wix document."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n  ' + _head_common(origin) + head + "</head>\n<body>\n"
        '<script type="text/javascript">var bodyCacheable = true;</script>\n'
        '<div id="SITE_CONTAINER"><div id="main_MF" class="main_MF">'
        '<div id="SCROLL_TO_TOP" aria-label="top of page"><span>top of page</span></div>'
        '<div id="site-root" class="site-root"><div id="masterPage" class="masterPage css-editing-scope">'
        + _site_header(origin)
        + '<main id="PAGES_CONTAINER" class="PAGES_CONTAINER" tabindex="-1" data-main-content="true">'
          '<div id="SITE_PAGES" class="SITE_PAGES">' + content + "</div></main>"
        + _site_footer()
        + '</div></div><div id="SCROLL_TO_BOTTOM" aria-label="bottom of page"><span>bottom of page</span></div>'
          "</div></div>\n" + _viewer_model(origin, request_url) + "\n"
        '<script async src="https://static.parastorage.com/services/wix-thunderbolt/dist/main.3e4f1a2b.bundle.min.js">'
        "</script>\n</body>\n</html>\n"
    ).encode("utf-8")


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


# ---------------------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------------------

def _blog_posting(site: SyntheticSite, n: int, origin: str, description: str) -> dict:
    url = origin + site.url_path(n)
    author = site.author(n)
    return {"@context": "https://schema.org", "@type": "BlogPosting",
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": site.title(n), "description": description,
            "image": {"@type": "ImageObject", "url": f"https://static.wixstatic.com/media/{site.media_id(n)}",
                      "width": 1600, "height": 1200},
            "datePublished": _iso(site.published(n)), "dateModified": _iso(site.modified(n)),
            "author": {"@type": "Person", "name": author,
                       "url": f"{origin}/profile/{_slugify(author).replace('-', '')}/profile"},
            "publisher": {"@type": "Organization", "name": SITE_NAME,
                          "logo": {"@type": "ImageObject",
                                   "url": "https://static.wixstatic.com/media/b6f2c1_e0a4c8b2d6f04a8c9e1b3d5f7a9c2e4d~mv2.png"}},
            "url": url, "articleSection": site.category(n)}


def _json_ld(data) -> str:
    # Like Wix: JSON in a script element, with "</" escaped so a title cannot close the script.
    return '<script type="application/ld+json">' + json.dumps(data, ensure_ascii=False).replace("</", "<\\/") + "</script>"


def _recent(site: SyntheticSite, n: int, count: int = 3) -> list[int]:
    out: list[int] = []
    for step in range(1, site.posts):
        m = (n - 1 + step) % site.posts + 1
        if site.exists(m):
            out.append(m)
            if len(out) == count:
                break
    return out


def _card(site: SyntheticSite, n: int, origin: str, *, full: bool) -> str:
    """A data-hook="post-list-item" card: the full listing card, or the small Recent Posts one."""
    url = origin + site.url_path(n)
    media = site.media_id(n)
    title = html.escape(site.title(n))
    cover = (f'<a href="{url}" tabindex="-1" aria-hidden="true" class="ZBftDq"><div class="vcckp" data-hook="cover-image">'
             f'<wow-image id="{media}" class="gF0V2" data-has-ssr-src="true"><img src="https://static.wixstatic.com/'
             f'media/{media}/v1/fill/w_454,h_341,fp_0.50_0.50,q_90,enc_auto/{media}" alt="" '
             f'style="width:454px;height:341px;object-fit:cover" width="454" height="341"/></wow-image></div></a>')
    if not full:
        return (f'<div class="NVsmv" data-hook="post-list-item">{cover}<div class="YLAWMC"><a href="{url}" class="cr98l">'
                f'<div class="IJ06S" data-hook="post-title"><p class="xipS4"><span>{title}</span></p></div></a>'
                f'<div class="tFaYU5" data-hook="post-stats"><span data-hook="view-count">{(n * 17) % 90 + 3} views'
                f'</span><span data-hook="comment-count">0 comments</span></div></div></div>')
    blocks = _body(n, n in site.changed)
    published = site.published(n)
    return (f'<div class="ssYKs" data-hook="post-list-item"><article class="MKQjMs">{cover}<div class="qNnDE">'
            f'<div class="D4OwM"><div class="GZnY6"><span class="nVf7Cv" data-hook="user-name">'
            f'{html.escape(site.author(n))}</span></div><ul class="UHBB9v"><li><span data-hook="time-ago" '
            f'title="{_visible_date(published)}">{_visible_date(published)}</span></li><li>'
            f'<span data-hook="time-to-read">{_minutes(blocks)} min read</span></li></ul></div>'
            f'<a href="{url}" class="ss0nv"><h2 class="ydYp8t" data-hook="post-title"><span>{title}</span></h2></a>'
            f'<div class="FA7E7" data-hook="post-description"><p class="a20qI">'
            f"{html.escape(_excerpt(_plain(blocks), 160))}</p></div></div></article></div>")


def render_post(site: SyntheticSite, n: int, origin: str) -> bytes:
    url = origin + site.url_path(n)
    title = site.title(n)
    author = site.author(n)
    published, modified = site.published(n), site.modified(n)
    blocks = _body(n, n in site.changed)
    description = _excerpt(_plain(blocks), 500)
    media = site.media_id(n)
    og_image = f"https://static.wixstatic.com/media/{media}/v1/fill/w_1000,h_750,al_c,q_85,enc_auto/{media}"
    head = (
        f"  <title>{_attr(title)}</title>\n"
        f'  <meta name="description" content="{_attr(description)}"/>\n'
        f'  <link rel="canonical" href="{url}"/>\n'
        f'  <meta property="og:title" content="{_attr(title)}"/>\n'
        f'  <meta property="og:description" content="{_attr(description)}"/>\n'
        f'  <meta property="og:image" content="{og_image}"/>\n'
        '  <meta property="og:image:width" content="1000"/>\n  <meta property="og:image:height" content="750"/>\n'
        f'  <meta property="og:url" content="{url}"/>\n'
        f'  <meta property="og:site_name" content="{SITE_NAME}"/>\n  <meta property="og:type" content="article"/>\n'
        f"  {_json_ld(_blog_posting(site, n, origin, description))}\n"
        f'  <link rel="alternate" href="{origin}/blog-feed.xml" type="application/rss+xml" title="{SITE_NAME} - RSS"/>\n'
        f'  <meta property="article:author" content="{_attr(author)}"/>\n'
        f'  <meta property="article:published_time" content="{_iso(published)}"/>\n'
        f'  <meta property="article:modified_time" content="{_iso(modified)}"/>\n'
        '  <meta name="twitter:card" content="summary_large_image"/>\n'
        f'  <meta name="twitter:title" content="{_attr(title)}"/>\n'
    )
    rcv = ['<div type="first" data-hook="rcv-block-first"></div>']
    for i, block in enumerate(blocks, 1):
        rcv.append(f'<div type="{block.kind}" data-hook="rcv-block{i}"></div>{block.html}')
    rcv.append('<div type="last" data-hook="rcv-block-last"></div>')
    updated = ""
    if n in site.changed:
        updated = (f'<div class="ZyN5N"><p>Updated: <span data-hook="time-ago" title="{_visible_date(modified)}">'
                   f"{_visible_date(modified)}</span></p></div>")
    category = site.category(n)
    recent = "".join(_card(site, m, origin, full=False) for m in _recent(site, n))
    author_slug = _slugify(author).replace("-", "")
    article = (
        f'<article class="UFhDG6" data-hook="post"><div class="IQXZT6"><div class="V9GIbf">'
        f'<div class="BP7qR" data-hook="post-header"><div class="dI2rpj" data-hook="post-metadata">'
        f'<div class="avtr" data-hook="avatar"><a href="{origin}/profile/{author_slug}/profile" '
        f'aria-label="Writer&#x27;s picture"><span class="Lp1Qz"></span></a></div>'
        f'<ul class="PVKrCJ"><li class="UR0uFO"><span class="tQ0Q1A" data-hook="user-name">{html.escape(author)}</span>'
        f'<span class="bdg" data-hook="badge" aria-label="Writer"></span></li>'
        f'<li class="UR0uFO"><span class="vYZ8To" data-hook="time-ago" title="{_visible_date(published)}">'
        f'{_visible_date(published)}</span></li><li class="UR0uFO"><span class="eUgY1" data-hook="time-to-read">'
        f"{_minutes(blocks)} min read</span></li></ul></div></div>"
        f'<div class="wuBRr0"><h1 class="L0j5mF" data-hook="post-title">{html.escape(title)}</h1></div>{updated}'
        f'<section class="UOrctv" data-hook="post-description"><div class="wO5DC" data-id="content-viewer" '
        f'data-rce-version="9.17.3" dir="ltr"><div class="ZBEgB">{"".join(rcv)}</div></div></section>'
        f'<div class="b37rCq"><ul aria-label="Post categories" class="mNHf6"><li class="vuQuf">'
        f'<a href="{origin}/blog/categories/{_slugify(category)}" class="Qnhu7">{html.escape(category)}</a></li></ul></div>'
        f'</div><div class="ENhwa" data-hook="post-footer"><div class="yqlbkZ" data-hook="share-buttons" role="group">'
        f'<button data-hook="share-button__facebook" aria-label="Share via Facebook" type="button"></button>'
        f'<button data-hook="share-button__link" aria-label="Share via Link" type="button"></button></div>'
        f'<div class="tFaYU5" data-hook="post-stats"><span data-hook="view-count">{(n * 31) % 200 + 5} views</span>'
        f'<span data-hook="comment-count">0 comments</span></div><button data-hook="like-button" '
        f'aria-label="Post not marked as liked" aria-pressed="false"></button></div></div></article>'
    )
    content = (
        f'<div id="TPASection_r9gy0kyo" class="EKloc"><div class="rPhwaB" data-hook="post-page" dir="ltr">'
        f'{_blog_nav(origin)}<div class="GEXC5" data-hook="post-page-layout">{article}</div>'
        f'<div class="fp5pM" data-hook="recent-posts"><section class="zmV7TD"><div class="BFbsjt">'
        f'<h2 class="DXAq4">Recent Posts</h2><a href="{origin}/blog" class="nCSY4y" data-hook="see-all-link">See All</a>'
        f'</div><div class="if92A">{recent}</div></section></div></div></div>'
    )
    return _page(origin, url, head, content)


def _listing_url(origin: str, page: int) -> str:
    return origin + "/blog" if page == 1 else f"{origin}/blog/page/{page}"


def render_listing(site: SyntheticSite, page: int, origin: str) -> bytes | None:
    live = site.live()
    pages = max(1, math.ceil(len(live) / site.listing_page_size))
    if not 1 <= page <= pages:
        return None
    shown = live[(page - 1) * site.listing_page_size: page * site.listing_page_size]
    url = _listing_url(origin, page)
    head = f"  <title>Blog | {SITE_NAME}</title>\n  <link rel=\"canonical\" href=\"{url}\"/>\n"
    if page > 1:
        head += f'  <link rel="prev" href="{_listing_url(origin, page - 1)}"/>\n'
    if page < pages:
        head += f'  <link rel="next" href="{_listing_url(origin, page + 1)}"/>\n'
    head += (f'  <meta property="og:title" content="Blog | {SITE_NAME}"/>\n  <meta property="og:url" content="{url}"/>\n'
             f'  <link rel="alternate" href="{origin}/blog-feed.xml" type="application/rss+xml" title="{SITE_NAME} - RSS"/>\n')
    # Wix embeds BlogPosting JSON-LD for the posts a listing shows: a trap for "the page's own post".
    head += "  " + _json_ld([_blog_posting(site, n, origin, _excerpt(_plain(_body(n, n in site.changed)), 160))
                             for n in shown]) + "\n"
    numbers = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links = "".join(f'<span data-hook="pagination__{p}" aria-current="page">{p}</span>' if p == page else
                    f'<a href="{_listing_url(origin, p)}" data-hook="pagination__{p}">{p}</a>' for p in numbers)
    if page < pages:
        links += f'<a href="{_listing_url(origin, page + 1)}" data-hook="pagination__next" aria-label="Next page">›</a>'
    cards = "".join(_card(site, n, origin, full=True) for n in shown)
    content = (f'<div id="TPASection_blog" class="EKloc"><div class="rPhwaB" data-hook="blog-page" dir="ltr">'
               f'{_blog_nav(origin)}<div class="gqW0B" data-hook="post-list">{cards}</div>'
               f'<div class="NRr8M" data-hook="blog-pagination">{links}</div></div></div>')
    return _page(origin, url, head, content)


def render_home(site: SyntheticSite, origin: str) -> bytes:
    latest = site.live()[:3]
    items = "".join(f'<li><a href="{origin}{site.url_path(n)}">{html.escape(site.title(n))}</a></li>' for n in latest)
    head = (f"  <title>Acupuncture &amp; Herbal Medicine | {SITE_NAME}</title>\n"
            f'  <link rel="canonical" href="{origin}"/>\n  <meta property="og:title" content="{SITE_NAME}"/>\n'
            f'  <meta property="og:type" content="website"/>\n')
    content = (f'<div id="home" class="uQcuJd"><section id="comp-hero" class="DRtQI3">'
               f'<div class="WG590 wixui-rich-text" data-testid="richTextElement"><h1 class="font_0">{SITE_NAME}</h1>'
               f'<p class="font_8">Community acupuncture, cupping and Chinese herbal medicine.</p></div>'
               f'<div class="WG590 wixui-rich-text"><h2 class="font_2">From the Blog</h2><ul>{items}</ul>'
               f'<p><a href="{origin}/blog">Read the blog</a></p></div></section></div>')
    return _page(origin, origin + "/", head, content)


def render_robots(origin: str) -> bytes:
    return ("# By Wix\n\nUser-agent: *\nDisallow: *?lightbox=\nDisallow: /_api/*\nDisallow: /_partials*\n"
            "Allow: /\n\n# Optimization for Google Ads Bot\nUser-agent: AdsBot-Google-Mobile\n"
            "User-agent: AdsBot-Google\nDisallow: /_api/*\nDisallow: /_partials*\n"
            "Disallow: /pro-gallery-webapp/v1/galleries/*\n\n# Block PetalBot\nUser-agent: PetalBot\nDisallow: /\n\n"
            "# Crawl delay for overly enthusiastic bots\nUser-agent: dotbot\nCrawl-delay: 10\n"
            "User-agent: AhrefsBot\nCrawl-delay: 10\n\n"
            f"Sitemap: {origin}/sitemap.xml\n").encode()


def _sitemap_page_url(origin: str, page: int) -> str:
    return f"{origin}/blog-posts-sitemap.xml" if page == 1 else f"{origin}/blog-posts-sitemap.xml?page={page}"


def render_sitemap_index(site: SyntheticSite, origin: str) -> bytes:
    live = site.live()
    size = site.sitemap_page_size
    entries = []
    for page in range(1, site.sitemap_pages() + 1):
        chunk = live[(page - 1) * size: page * size]
        lastmod = max((site.modified(n) for n in chunk), default=site.last_modified())
        entries.append(f"<sitemap><loc>{html.escape(_sitemap_page_url(origin, page))}</loc>"
                       f"<lastmod>{lastmod:%Y-%m-%d}</lastmod></sitemap>")
    entries.append(f"<sitemap><loc>{origin}/pages-sitemap.xml</loc><lastmod>2024-01-17</lastmod></sitemap>")
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'generatedBy="WIX">' + "".join(entries) + "</sitemapindex>").encode()


def render_posts_sitemap(site: SyntheticSite, page: int, origin: str) -> bytes | None:
    if not 1 <= page <= site.sitemap_pages():
        return None
    size = site.sitemap_page_size
    chunk = site.live()[(page - 1) * size: page * size]
    urls = "".join(
        f"<url><loc>{origin}{site.url_path(n)}</loc><lastmod>{site.modified(n):%Y-%m-%d}</lastmod>"
        f"<image:image><image:loc>https://static.wixstatic.com/media/{site.media_id(n)}</image:loc>"
        f"<image:title><![CDATA[{site.title(n)}]]></image:title></image:image></url>\n" for n in chunk)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n' + urls + "</urlset>\n").encode()


def render_pages_sitemap(origin: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n'
            f"<url><loc>{origin}</loc><lastmod>2024-01-17</lastmod></url>\n"
            f"<url><loc>{origin}/blog</loc><lastmod>2024-01-17</lastmod></url>\n</urlset>\n").encode()


def render_feed(site: SyntheticSite, origin: str) -> bytes:
    items = []
    for n in site.live()[:max(0, site.feed_items)]:
        blocks = _body(n, n in site.changed)
        content = "".join(b.html for b in blocks)
        items.append(
            f"<item><title><![CDATA[{site.title(n)}]]></title>"
            f"<description><![CDATA[{_excerpt(_plain(blocks), 250)}]]></description>"
            f"<link>{origin}{quote(site.url_path(n))}</link><guid isPermaLink=\"false\">{_guid(n)}</guid>"
            f"<category><![CDATA[{site.category(n)}]]></category><pubDate>{_http_date(site.published(n))}</pubDate>"
            f'<enclosure url="https://static.wixstatic.com/media/{site.media_id(n)}/v1/fit/w_1000,h_750,al_c,q_80/file.jpg" '
            f'length="0" type="image/jpeg"/><dc:creator><![CDATA[{site.author(n)}]]></dc:creator>'
            f"<content:encoded><![CDATA[{content}]]></content:encoded></item>")
    return ('<?xml version="1.0" encoding="UTF-8"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom" '
            f'version="2.0"><channel><title><![CDATA[Blog | {SITE_NAME}]]></title>'
            f"<description><![CDATA[Blog | {SITE_NAME}]]></description><link>{origin}/blog</link>"
            f"<generator>RSS for Node</generator><lastBuildDate>{_http_date(site.last_modified())}</lastBuildDate>"
            f'<atom:link href="{origin}/blog-feed.xml" rel="self" type="application/rss+xml"/>'
            + "".join(items) + "</channel></rss>").encode()


_NOT_FOUND = (b'<!DOCTYPE html><html lang="en"><head><meta name="generator" content="Wix.com Website Builder"/>'
              b"<title>404 | This Page Could Not Be Found</title></head><body><h1>404</h1><p>This page isn't available."
              b"</p></body></html>")
_GONE = (b'<!DOCTYPE html><html lang="en"><head><meta name="generator" content="Wix.com Website Builder"/>'
         b"<title>410 | Gone</title></head><body><h1>410</h1><p>This page is no longer available.</p></body></html>")


class Response(NamedTuple):
    status: int
    body: bytes
    content_type: str
    last_modified: datetime | None = None


def render(site: SyntheticSite, origin: str, target: str) -> Response:
    """The response to GET <target> (a request path with optional query), rendered now."""
    parts = urlsplit(target)
    path = unquote(parts.path)
    if len(path) > 1:
        path = path.rstrip("/")
    not_found = Response(404, _NOT_FOUND, HTML_TYPE)
    if path == "/":
        return Response(200, render_home(site, origin), HTML_TYPE, site.last_modified())
    if path == "/robots.txt":
        return Response(200, render_robots(origin), TEXT_TYPE, NEWEST_PUBLISHED - timedelta(days=140))
    if path == "/sitemap.xml":
        return Response(200, render_sitemap_index(site, origin), XML_TYPE, site.last_modified())
    if path == "/blog-posts-sitemap.xml":
        pages = parse_qs(parts.query).get("page", ["1"])
        if not pages[-1].isdigit():
            return not_found
        body = render_posts_sitemap(site, int(pages[-1]), origin)
        return not_found if body is None else Response(200, body, XML_TYPE, site.last_modified())
    if path == "/pages-sitemap.xml":
        return Response(200, render_pages_sitemap(origin), XML_TYPE, datetime(2024, 1, 17, tzinfo=UTC))
    if path == "/blog-feed.xml":
        return Response(200, render_feed(site, origin), XML_TYPE, site.last_modified())
    listing = re.fullmatch(r"/blog(?:/page/(\d+))?", path)
    if listing:
        body = render_listing(site, int(listing.group(1) or 1), origin)
        return not_found if body is None else Response(200, body, HTML_TYPE, site.last_modified())
    post = re.fullmatch(r"/post/([^/]+)", path)
    if post:
        n = site.number(post.group(1))
        if n is None or n in site.removed:
            return not_found
        if n in site.gone_410:
            return Response(410, _GONE, HTML_TYPE)
        return Response(200, render_post(site, n, origin), HTML_TYPE, site.modified(n))
    return not_found


# ---------------------------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------------------------

def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored; "*" matches anything."""
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


class SyntheticHandler(SiteHandler):
    server: SyntheticServer
    server_version = "Pepyaka/1.19.10"
    sys_version = ""
    # Headers and body go out in two writes; with Nagle on, a keep-alive client's delayed ACK stalls every
    # response by ~40 ms (25x slower crawls). TCP_NODELAY removes the stall.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.record_connection()

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        server = self.server
        server.record_request(self.path, self.headers.get("User-Agent", ""))
        site = server.site
        if site.latency > 0:
            time.sleep(site.latency)
        try:
            response = render(site, server.origin, self.path)
        except Exception:  # noqa: BLE001 - a bug here must show as a 500, not a dropped connection
            traceback.print_exc()
            response = Response(500, b"<h1>500 Internal Server Error</h1>", HTML_TYPE)
        headers = {"Content-Type": response.content_type}
        status, body = response.status, response.body
        if status == 200:
            etag = _etag(body)
            headers["ETag"] = etag
            if response.last_modified is not None:
                headers["Last-Modified"] = _http_date(response.last_modified)
            headers["Cache-Control"] = "private,max-age=0,must-revalidate"
            if_none_match = self.headers.get("If-None-Match")
            if_modified_since = self.headers.get("If-Modified-Since")
            # RFC 9110 13.2.2: If-Modified-Since is ignored when If-None-Match is present.
            if if_none_match is not None:
                not_modified = _etag_matches(if_none_match, etag)
            else:
                not_modified = (if_modified_since is not None and response.last_modified is not None
                                and _not_modified_since(if_modified_since, response.last_modified))
            if not_modified:
                status, body = 304, b""
                del headers["Content-Type"]
        headers["Content-Length"] = str(len(body))
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return
        server.record_response(status, len(body) if send_body else 0)


class SyntheticServer(SiteServer):
    """A SiteServer whose pages come from a SyntheticSite; counts requests and body bytes (thread-safe)."""

    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, site: SyntheticSite, port: int = 0):
        super().__init__(Path(__file__).parent, SyntheticHandler, port)  # root unused: nothing is read from disk
        self.site = site
        self.bytes_sent = 0  # total response body bytes written
        self.statuses: Counter[int] = Counter()  # status code -> responses sent
        self.connections = 0  # TCP connections accepted (keep-alive: far fewer than requests)
        self._lock = threading.Lock()

    def record_request(self, path: str, user_agent: str) -> None:
        with self._lock:
            self.requests.append(path)
            self.user_agents.add(user_agent)

    def record_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def record_response(self, status: int, body_bytes: int) -> None:
        with self._lock:
            self.statuses[status] += 1
            self.bytes_sent += body_bytes

    def reset_counters(self) -> None:
        """Forget requests, statuses, connections and bytes (between two crawls of one benchmark)."""
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self.bytes_sent = 0
            self.connections = 0


@contextlib.contextmanager
def serve_synthetic(site: SyntheticSite, *, port: int = 0) -> Iterator[SyntheticServer]:
    """Serve `site` on 127.0.0.1 in a background thread for the duration of the block; always shut down."""
    with in_thread(lambda: SyntheticServer(site, port), port) as server:
        yield server
