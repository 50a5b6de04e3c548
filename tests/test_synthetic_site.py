"""The synthetic Wix blog (tests/synthetic.py), over real HTTP on 127.0.0.1."""
from __future__ import annotations

import math
import re
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from bs4 import BeautifulSoup
from synthetic import UPDATED_PARAGRAPH, SyntheticSite, serve_synthetic

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def small_site(**overrides) -> SyntheticSite:
    settings = {"posts": 23, "sitemap_page_size": 10, "feed_items": 5, "listing_page_size": 4}
    settings.update(overrides)
    return SyntheticSite(**settings)


def post_sitemap_pages(session: requests.Session, origin: str) -> list[str]:
    response = session.get(origin + "/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag.endswith("sitemapindex") and root.get("generatedBy") == "WIX"
    locs = [loc.text for loc in root.findall("s:sitemap/s:loc", NS)]
    assert origin + "/pages-sitemap.xml" in locs
    return [loc for loc in locs if "blog-posts-sitemap" in loc]


def sitemap_entries(session: requests.Session, origin: str) -> dict[str, str]:
    """loc -> lastmod over every blog-posts sitemap page; fails on a URL listed twice."""
    entries: dict[str, str] = {}
    for page in post_sitemap_pages(session, origin):
        root = ET.fromstring(session.get(page).content)
        for url in root.findall("s:url", NS):
            loc, lastmod = url.findtext("s:loc", namespaces=NS), url.findtext("s:lastmod", namespaces=NS)
            assert loc not in entries, f"{loc} listed twice"
            entries[loc] = lastmod
    return entries


def test_robots_points_at_the_sitemap_index(session):
    with serve_synthetic(small_site()) as server:
        robots = session.get(server.origin + "/robots.txt").text
    assert robots.startswith("# By Wix")
    assert f"Sitemap: {server.origin}/sitemap.xml" in robots


def test_sitemaps_are_paged_like_wix_and_list_every_post_once(session):
    site = small_site()
    with serve_synthetic(site) as server:
        pages = post_sitemap_pages(session, server.origin)
        entries = sitemap_entries(session, server.origin)
    assert len(pages) == math.ceil(site.posts / site.sitemap_page_size) == 3
    assert pages == [server.origin + "/blog-posts-sitemap.xml",
                     server.origin + "/blog-posts-sitemap.xml?page=2",
                     server.origin + "/blog-posts-sitemap.xml?page=3"]
    assert set(entries) == {server.origin + site.url_path(n) for n in range(1, site.posts + 1)}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", lastmod) for lastmod in entries.values())
    assert entries[server.origin + site.url_path(1)] == "2024-06-01"
    assert entries[server.origin + site.url_path(3)] == "2024-05-30"


def test_post_page_is_wix_markup_with_etag_and_304(session):
    site = small_site()
    with serve_synthetic(site) as server:
        url = server.origin + site.url_path(4)
        first = session.get(url)
        again = session.get(url, headers={"If-None-Match": first.headers["ETag"]})
        since = session.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        stale = session.get(url, headers={"If-None-Match": '"something-else"'})
    assert first.status_code == 200
    assert re.fullmatch(r'"[0-9a-f]{32}"', first.headers["ETag"])  # strong
    assert first.headers["Content-Length"] == str(len(first.content))
    assert first.headers["Last-Modified"].endswith(" GMT")
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", first.headers["ETag"])
    assert since.status_code == 304
    assert stale.status_code == 200 and stale.content == first.content

    soup = BeautifulSoup(first.text, "lxml")
    assert soup.find("meta", attrs={"name": "generator"})["content"] == "Wix.com Website Builder"
    assert soup.find("link", rel="canonical")["href"] == url
    article = soup.select_one('article[data-hook="post"]')
    assert article.select_one('h1[data-hook="post-title"]').get_text() == site.title(4)
    assert article.select_one('[data-hook="user-name"]').get_text() == site.author(4)
    body = article.select_one('[data-hook="post-description"]')
    assert 4 <= len(body.find_all("p")) <= 6 and 2 <= len(body.find_all("h2")) <= 3
    assert 400 <= len(body.get_text(" ").split()) <= 800
    figure = body.select_one('figure[data-hook="figure-IMAGE"] wow-image')
    assert figure["id"] == site.media_id(4) and figure["id"].startswith("000004_")
    assert len(soup.select('[data-hook="recent-posts"] [data-hook="post-list-item"]')) == 3
    assert soup.find(id="SCROLL_TO_TOP") and soup.find(id="SCROLL_TO_BOTTOM") and soup.find(id="SITE_FOOTER")
    # The same post is byte-identical every time (deterministic, seeded by its number).
    assert first.content == stale.content


def test_removed_and_gone_posts_vanish_from_every_source(session):
    site = small_site()
    with serve_synthetic(site) as server:
        removed, gone = server.origin + site.url_path(2), server.origin + site.url_path(7)
        assert session.get(removed).status_code == 200
        site.removed.add(2)
        site.gone_410.add(7)
        assert session.get(removed).status_code == 404
        assert session.get(gone).status_code == 410
        entries = sitemap_entries(session, server.origin)
        feed = session.get(server.origin + "/blog-feed.xml").text
        listing = session.get(server.origin + "/blog").text + session.get(server.origin + "/blog/page/2").text
    assert removed not in entries and gone not in entries and len(entries) == site.posts - 2
    for text in (feed, listing):
        assert site.url_path(2) not in text and site.url_path(7) not in text


def test_changed_post_has_new_lastmod_and_body(session):
    site = small_site()
    with serve_synthetic(site) as server:
        url = server.origin + site.url_path(5)
        before, before_lastmod = session.get(url), sitemap_entries(session, server.origin)[url]
        site.changed.add(5)
        after, after_lastmod = session.get(url), sitemap_entries(session, server.origin)[url]
        conditional = session.get(url, headers={"If-None-Match": before.headers["ETag"],
                                                "If-Modified-Since": before.headers["Last-Modified"]})
    assert (before_lastmod, after_lastmod) == ("2024-05-28", "2024-07-01")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] == "Mon, 01 Jul 2024 14:30:00 GMT"
    assert conditional.status_code == 200  # the old validators no longer match
    assert UPDATED_PARAGRAPH not in before.text and UPDATED_PARAGRAPH in after.text
    assert '"dateModified":"2024-07-01T14:30:00.512Z"' in after.text.replace(" ", "")


def test_feed_holds_only_the_newest_posts(session):
    site = small_site()
    with serve_synthetic(site) as server:
        root = ET.fromstring(session.get(server.origin + "/blog-feed.xml").content)
    links = [item.findtext("link") for item in root.iter("item")]
    assert links == [server.origin + site.url_path(n) for n in range(1, site.feed_items + 1)]


def test_listing_pagination_reaches_every_post(session):
    site = small_site(removed={3})
    with serve_synthetic(site) as server:
        url, seen, pages = server.origin + "/blog", [], 0
        while url:
            soup = BeautifulSoup(session.get(url).text, "lxml")
            pages += 1
            cards = soup.select('[data-hook="post-list-item"]')
            assert 0 < len(cards) <= site.listing_page_size
            seen += [card.select_one('[data-hook="post-title"]').find_parent("a")["href"] for card in cards]
            nxt = soup.find("link", rel="next")
            url = nxt["href"] if nxt else None
        past_end = session.get(server.origin + f"/blog/page/{pages + 1}")
    assert pages == math.ceil((site.posts - 1) / site.listing_page_size)
    assert seen == [server.origin + site.url_path(n) for n in site.live()]
    assert past_end.status_code == 404


def test_keep_alive_counters_and_latency(session):
    site = small_site(latency=0.05)
    with serve_synthetic(site) as server:
        start = time.perf_counter()
        bodies = [session.get(server.origin + site.url_path(n)).content for n in (1, 2, 3)]
        elapsed = time.perf_counter() - start
        head = session.head(server.origin + site.url_path(1))
    assert server.connections == 1  # one kept-alive connection served all four requests
    assert elapsed >= 0.15
    assert len(server.requests) == 4 and server.requests[0] == site.url_path(1)
    assert server.bytes_sent == sum(len(b) for b in bodies)  # HEAD sends no body
    assert head.headers["Content-Length"] == str(len(bodies[0]))
    assert server.statuses[200] == 4
