"""robots.txt read as RFC 9309 says, against a real server on 127.0.0.1: wildcards, '$', the longest match."""
from __future__ import annotations

import threading

import pytest
from hostile import answer, routed_site

from scraper.errors import RobotsDisallowed
from scraper.fetch import Fetcher, FetchSettings

# Shaped like the robots.txt Wix generates, plus rules whose order a first-match parser gets wrong.
ROBOTS = """User-agent: *
Disallow: /*?lightbox=
Disallow: /*.pdf$
Disallow: /post/
Allow: /post/open-
Disallow: /tie
Allow: /tie
Crawl-delay: 0

User-agent: some-other-bot
Disallow: /
"""


@pytest.fixture
def robots_site():
    with routed_site({"/robots.txt": answer(ROBOTS, "text/plain")}) as server:
        for path in ("/post/open-day", "/post/closed", "/blog", "/files/price-list.pdf", "/files/price-list.pdf.html",
                     "/tie"):
            server.routes[path] = answer("<html><body>page</body></html>")
        yield server


@pytest.mark.parametrize("path, allowed", [
    ("/blog?lightbox=dataItem-abc", False),  # '*' matches any characters
    ("/blog", True),
    ("/files/price-list.pdf", False),  # '$' anchors the end
    ("/files/price-list.pdf.html", True),
    ("/post/open-day", True),  # the longer Allow beats the shorter Disallow, though it comes after
    ("/post/closed", False),
    ("/tie", True),  # equally long Allow and Disallow: Allow wins
])
def test_robots_rules_follow_rfc_9309(robots_site, fetcher, path, allowed):
    assert fetcher.allowed(robots_site.origin + path) is allowed


def test_a_url_robots_forbids_by_wildcard_is_never_requested(robots_site, fetcher):
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch(robots_site.origin + "/files/price-list.pdf")
    assert fetcher.fetch(robots_site.origin + "/post/open-day").status_code == 200
    assert robots_site.requests == ["/robots.txt", "/post/open-day"]


def test_robots_txt_answering_429_keeps_the_crawler_out(fetcher):
    with routed_site({"/robots.txt": answer("slow down", "text/plain", status=429),
                      "/blog": answer("<p>blog</p>")}) as server:
        assert not fetcher.allowed(server.origin + "/blog")
    assert "/blog" not in server.requests


def test_a_crawl_delay_longer_than_the_cap_is_capped_not_waited_for_days():
    robots = answer("User-agent: *\nCrawl-delay: 1000000000\n", "text/plain")
    with routed_site({"/robots.txt": robots, "/a": answer("a"), "/b": answer("b")}) as server, \
            Fetcher(FetchSettings(delay=0, max_retry_after=0.3)) as fetcher:
        worker = threading.Thread(target=lambda: [fetcher.fetch(server.origin + path) for path in ("/a", "/b")],
                                  daemon=True)
        worker.start()
        worker.join(timeout=5)
        assert not worker.is_alive()
    (first, _), (second, _) = [arrival for arrival in server.arrivals if arrival[1] in ("/a", "/b")]
    assert second - first >= 0.28
