"""Limits that hold against a misbehaving server on 127.0.0.1: a total deadline per request, a bounded number
of sitemaps, a host that says 429 or 503 held back as a whole, and no non-finite delay or timeout."""
from __future__ import annotations

import logging
import threading
import time

import pytest
from click.testing import CliRunner
from hostile import ROBOTS_ALLOW_ALL, answer, post_page, routed_site, sitemap_index, urlset

from archive.cli import cli
from archive.crawl import crawl_site
from archive.store import open_archive
from scraper.discover import discover_posts
from scraper.errors import FetchError
from scraper.fetch import Fetcher, FetchSettings


def quick_fetcher(**overrides) -> Fetcher:
    settings = dict(delay=0, max_tries=1, backoff=0.05, connect_timeout=1, read_timeout=1, timeout=1)
    settings.update(overrides)
    return Fetcher(FetchSettings(**settings))


# --- A total deadline per request ----------------------------------------------------------------------

BODY = b"<html><body>" + b"x" * 200 + b"</body></html>"
TRICKLES = {  # each sends a byte every 0.1 s: never silent for a whole read timeout, but far too slow in all
    "body": lambda h: h.trickle(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
                                % len(BODY), BODY, 0.1),
    "headers": lambda h: h.trickle(b"HTTP/1.1 200 OK\r\n", b"X-Padding: " + b"y" * 100 + b"\r\n\r\n", 0.1),
    "body-until-close": lambda h: h.trickle(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n", BODY, 0.1),
}


@pytest.mark.parametrize("kind", TRICKLES)
def test_a_trickling_response_is_cut_at_the_total_deadline(kind):
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/slow": TRICKLES[kind]}) as server, \
            quick_fetcher(max_tries=3) as fetcher:
        fetcher.fetch(server.origin + "/robots.txt")
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            fetcher.fetch(server.origin + "/slow")
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.5  # the 1 s deadline, not the 20 s the server would take
    assert server.requests.count("/slow") == 1  # and not tried again: a server that trickles does it again


def test_the_deadline_leaves_a_prompt_response_alone():
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/page": answer(BODY)}) as server, quick_fetcher() as fetcher:
        results = [fetcher.fetch(server.origin + "/page") for _ in range(5)]
        time.sleep(1.2)  # past every request's deadline: no timer may touch the reused connection
        later = fetcher.fetch(server.origin + "/page")
    assert all(result.body == BODY for result in results) and later.body == BODY


# --- A bounded number of sitemaps ---------------------------------------------------------------------------

def endless_index(handler) -> None:
    """Each sitemap index names a new child index (up to 200, so that an unbounded crawler still ends)."""
    number = int(handler.path.rsplit("-", 1)[1].split(".")[0]) if "-" in handler.path else 0
    child = f"{handler.server.origin}/sitemap-{number + 1}.xml"
    sitemap_index(child, f"{handler.server.origin}/urls.xml")(handler) if number < 200 else urlset()(handler)


def test_a_sitemap_index_that_never_ends_stops_at_the_limit_with_a_warning(db_path):
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/post/one": post_page("One")}) as server, \
            quick_fetcher() as fetcher:
        server.routes["/urls.xml"] = urlset(server.origin + "/post/one")
        for number in range(0, 202):
            server.routes["/sitemap.xml" if number == 0 else f"/sitemap-{number}.xml"] = endless_index
        found = discover_posts(fetcher, server.origin, max_sitemaps=20)
        summary = crawl_site(open_archive(db_path), found, fetcher)
    sitemaps = [path for path in server.requests if path.startswith("/sitemap") or path == "/urls.xml"]
    assert len(sitemaps) == 20
    assert [item.url for item in found.urls] == [server.origin + "/post/one"]
    assert any("limit" in warning and "20 sitemaps" in warning for warning in summary.warnings)
    assert ": the inventory may be incomplete)" in summary.line()


# --- 429 and 503 hold the whole host ------------------------------------------------------------------------

def gaps(server, paths: list[str]) -> list[float]:
    times = [at for at, path in server.arrivals if path in paths]
    return [later - earlier for earlier, later in zip(times, times[1:])]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_holds_every_request_to_the_host_not_only_the_retry(status):
    limited = lambda h: (h.send_response(status), h.send_header("Retry-After", "1"),  # noqa: E731
                         h.send_header("Content-Length", "0"), h.end_headers())
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/busy": limited, "/other": answer("fine")}) as server, \
            quick_fetcher() as fetcher:
        with pytest.raises(FetchError, match=str(status)):
            fetcher.fetch(server.origin + "/busy")  # one try only: nothing retries it
        fetcher.fetch(server.origin + "/other")
    assert gaps(server, ["/busy", "/other"])[0] >= 0.95


def test_a_hold_set_while_another_worker_waits_for_its_turn_is_waited_for_too():
    limited = lambda h: (time.sleep(0.15), h.send_response(429), h.send_header("Retry-After", "1"),  # noqa: E731
                         h.send_header("Content-Length", "0"), h.end_headers())
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/busy": limited, "/other": answer("fine")}) as server, \
            quick_fetcher(delay=0.3) as fetcher:
        fetcher.fetch(server.origin + "/robots.txt")
        time.sleep(0.35)
        busy = threading.Thread(target=lambda: pytest.raises(FetchError, fetcher.fetch, server.origin + "/busy"))
        busy.start()
        time.sleep(0.05)
        fetcher.fetch(server.origin + "/other")  # took its turn (0.3 s after /busy) before the 429 came back
        busy.join()
    assert gaps(server, ["/busy", "/other"])[0] >= 0.95


def test_a_429_without_retry_after_slows_every_later_request_to_the_host():
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/busy": answer("slow down", status=429),
                      "/a": answer("a"), "/b": answer("b"), "/c": answer("c")}) as server, \
            quick_fetcher(backoff=0.3) as fetcher:
        with pytest.raises(FetchError):
            fetcher.fetch(server.origin + "/busy")
        for path in ("/a", "/b", "/c"):
            fetcher.fetch(server.origin + path)
    assert min(gaps(server, ["/busy", "/a", "/b", "/c"])) >= 0.28  # delay 0, yet spaced by the slow-down


def test_a_retry_after_beyond_the_cap_fails_the_hosts_requests_at_once_and_names_the_cap(caplog):
    with routed_site({"/robots.txt": ROBOTS_ALLOW_ALL, "/other": answer("fine")}) as server, \
            quick_fetcher(max_retry_after=2, max_tries=3) as fetcher:
        server.routes["/busy"] = lambda h: (h.send_response(429), h.send_header("Retry-After", "3600"),
                                            h.send_header("Content-Length", "0"), h.end_headers())
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="scraper.fetch"):
            with pytest.raises(FetchError, match="Retry-After"):
                fetcher.fetch(server.origin + "/busy")
            with pytest.raises(FetchError, match="2s"):
                fetcher.fetch(server.origin + "/other")
        elapsed = time.monotonic() - started
    assert server.requests.count("/busy") == 1 and "/other" not in server.requests
    assert elapsed < 1
    assert any("3600" in record.message and "2s" in record.message for record in caplog.records)


# --- No infinite or NaN delays and timeouts ----------------------------------------------------------------

@pytest.mark.parametrize("option, value", [("--delay", "inf"), ("--delay", "nan"), ("--delay", "1e999"),
                                           ("--timeout", "inf"), ("--timeout", "nan")])
def test_non_finite_delay_or_timeout_is_a_usage_error(option, value, tmp_path):
    result = CliRunner().invoke(cli, ["crawl", "http://127.0.0.1:9/", "--db", str(tmp_path / "a.db"), option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output and "not a finite number" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("name", ["delay", "timeout", "read_timeout"])
def test_fetch_settings_refuse_non_finite_numbers(name):
    with pytest.raises(ValueError, match=name):
        FetchSettings(**{name: float("inf")})
