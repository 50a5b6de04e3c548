"""The fetcher against a real local server: politeness, retries, limits."""
from __future__ import annotations

import socket
import time

import pytest

from scraper.encoding import decode_body
from scraper.errors import FetchError, RobotsDisallowed
from scraper.fetch import USER_AGENT, Fetcher, FetchSettings, _retry_after_seconds


def test_fetch_returns_body_and_headers(site, fetcher):
    result = fetcher.fetch(site.origin + "/post/does-acupuncture-work-for-neuropathy")
    assert result.status_code == 200
    assert result.content_type.startswith("text/html")
    assert "Does Acupuncture Work For Neuropathy?" in result.text


def test_user_agent_names_the_tool(site, fetcher):
    fetcher.fetch(site.origin + "/about")
    assert site.user_agents == {USER_AGENT}
    assert USER_AGENT.startswith("blog-archive/")


def test_robots_txt_forbidden_url_is_never_requested(site, fetcher):
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch(site.origin + "/post/staff-only-draft-notes")
    assert "/robots.txt" in site.requests
    assert not any("staff-only" in path for path in site.requests)


@pytest.mark.parametrize("path", ["/post/flaky", "/post/rate-limited"])  # 503, then 429, with Retry-After: 1
def test_retry_after_is_honoured_then_the_retry_succeeds(faulty_site, fetcher, path):
    started = time.monotonic()
    result = fetcher.fetch(faulty_site.origin + path)
    assert result.status_code == 200
    assert faulty_site.requests.count(path) == 2
    assert time.monotonic() - started >= 0.9


def test_server_errors_are_retried_a_bounded_number_of_times(faulty_site, fetcher):
    with pytest.raises(FetchError) as error:
        fetcher.fetch(faulty_site.origin + "/post/always-500")
    assert error.value.status_code == 500
    assert faulty_site.requests.count("/post/always-500") == fetcher.settings.max_tries


def test_not_found_is_not_retried(faulty_site, fetcher):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher.fetch(faulty_site.origin + "/post/deleted")
    assert faulty_site.requests.count("/post/deleted") == 1


def test_slow_response_times_out(faulty_site, fetcher):
    with pytest.raises(FetchError, match="timed out"):
        fetcher.fetch(faulty_site.origin + "/post/slow")


def test_response_larger_than_the_cap_is_refused(faulty_site, fetcher):
    with pytest.raises(FetchError, match="cap"):
        fetcher.fetch(faulty_site.origin + "/post/huge")


def test_unreachable_host_is_a_fetch_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the fetch: nothing listens there
    with Fetcher(FetchSettings(delay=0, max_tries=1)) as fetcher:
        with pytest.raises(FetchError, match="cannot reach"):
            fetcher.fetch(f"http://127.0.0.1:{port}/")


def test_requests_to_one_host_are_spaced_by_the_delay(site):
    with Fetcher(FetchSettings(delay=0.3)) as fetcher:
        fetcher.fetch(site.origin + "/about")  # also loads robots.txt: two requests
        started = time.monotonic()
        fetcher.fetch(site.origin + "/blog")
        fetcher.fetch(site.origin + "/")
    assert time.monotonic() - started >= 0.55


@pytest.mark.parametrize("value, seconds", [("5", 5.0), ("0", 0.0), ("soon", None), (None, None)])
def test_retry_after_header_is_read_as_seconds(value, seconds):
    assert _retry_after_seconds(value) == seconds


def test_retry_after_http_date_is_read_as_a_delay():
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("body, content_type, text", [
    ('<meta charset="windows-1252"><p>caf\xe9</p>'.encode("cp1252"), "text/html", "café"),
    ("<p>caf\xe9</p>".encode("latin-1"), "text/html; charset=ISO-8859-1", "café"),
    ("<p>café</p>".encode("utf-8"), None, "café"),
])
def test_body_is_decoded_by_header_then_meta_then_detection(body, content_type, text):
    assert text in decode_body(body, content_type)


def test_robots_txt_server_error_stops_the_crawl_with_a_clear_reason(faulty_site, fetcher):
    from sites import FaultyHandler

    FaultyHandler.fault_robots_txt = lambda self: self.send_body(503, b"busy", "text/plain")
    try:
        with pytest.raises(FetchError, match="robots.txt answered HTTP 503"):
            fetcher.fetch(faulty_site.origin + "/post/gua-sha-at-home")
    finally:
        del FaultyHandler.fault_robots_txt
    assert "/post/gua-sha-at-home" not in faulty_site.requests


@pytest.mark.parametrize("url", ["http://[::1/post/x", "http://" + "a" * 300 + ".example/post/x",
                                 "http://example.org:99999/post/x", "ftp://example.org/post/x"])
def test_an_address_no_request_can_reach_is_a_fetch_error_not_a_crash(fetcher, url):
    with pytest.raises(FetchError):
        fetcher.fetch(url, scope=url)
