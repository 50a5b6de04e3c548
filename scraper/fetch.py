"""Polite HTTP fetching: one session, robots.txt, a per-host delay, bounded retries, a size cap."""
from __future__ import annotations

import logging
import random
import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests

from .errors import FetchError, RobotsDisallowed
from .models import FetchResult
from .urls import same_site

logger = logging.getLogger(__name__)

VERSION = "0.1.0"
USER_AGENT = f"blog-archive/{VERSION} (+blog archiving tool; respects robots.txt)"
ROBOTS_AGENT = "blog-archive"
RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class FetchSettings:
    """Every politeness knob and limit in one place."""

    user_agent: str = USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    delay: float = 1.0  # seconds between two requests to the same host
    max_bytes: int = 20 * 1024 * 1024  # Wix pages weigh up to ~1.5 MB; leave room
    max_tries: int = 3
    backoff: float = 1.0  # first retry waits about this long, then doubles
    max_retry_after: float = 120.0  # a longer Retry-After is not waited for
    max_redirects: int = 10
    obey_robots: bool = True
    concurrency: int = 1  # requests in flight at once, across hosts; each host still gets one per `delay`


class Fetcher:
    """Fetches URLs with one requests.Session, obeying robots.txt and a per-host rate limit."""

    def __init__(self, settings: FetchSettings | None = None, *, session: requests.Session | None = None):
        self.settings = settings or FetchSettings()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = self.settings.user_agent
        self.session.max_redirects = self.settings.max_redirects
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._robots_errors: dict[str, str] = {}  # origin -> why its robots.txt could not be read
        self._next_slot: dict[str, float] = {}  # host -> earliest monotonic time of its next request
        self._slot_lock = threading.Lock()
        self._robots_lock = threading.RLock()
        adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=max(4, self.settings.concurrency))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              scope: str | None = None) -> FetchResult:
        """GET a URL; raise FetchError (or RobotsDisallowed) unless it ends in a 2xx response.

        With etag / last_modified the request is conditional, and a 304 comes back as a result (no body).
        With scope (a site URL), a redirect to another site is refused rather than followed.
        """
        self._check_robots(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result = self._get_with_retries(url, headers, scope)
        if result.status_code == 304 and headers:
            return result
        if not 200 <= result.status_code < 300:
            raise FetchError(f"HTTP {result.status_code} for {url}", url=url, status_code=result.status_code)
        return result

    def _check_robots(self, url: str) -> None:
        if self.settings.obey_robots and not self.allowed(url):
            unreachable = self._robots_errors.get(_origin(url))
            if unreachable:
                raise FetchError(unreachable, url=url)
            raise RobotsDisallowed(f"robots.txt forbids {url}", url=url)

    def allowed(self, url: str) -> bool:
        return self.robots_for(url).can_fetch(ROBOTS_AGENT, url)

    def sitemaps_for(self, url: str) -> list[str]:
        """The Sitemap: lines of the host's robots.txt."""
        return list(self.robots_for(url).site_maps() or [])

    def robots_for(self, url: str) -> urllib.robotparser.RobotFileParser:
        origin = _origin(url)
        with self._robots_lock:  # one robots.txt request per origin, however many workers ask
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin)
            return self._robots[origin]

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            result = self._get_with_retries(origin + "/robots.txt")
        except FetchError as exc:
            # RFC 9309: an unreachable robots.txt means the whole site is off limits.
            logger.info("robots.txt of %s unreachable (%s): not crawling it", origin, exc)
            self._robots_errors[origin] = str(exc)
            parser.disallow_all = True
            return parser
        if 400 <= result.status_code < 500:
            parser.allow_all = True
        elif result.status_code >= 500:  # RFC 9309: a server error means "assume everything is off limits"
            self._robots_errors[origin] = (f"{origin}/robots.txt answered HTTP {result.status_code}: "
                                           f"not crawling until it answers")
            parser.disallow_all = True
        else:
            parser.parse(result.text.splitlines())
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay:
            logger.info("robots.txt of %s asks for a %ss crawl delay", origin, delay)
        return parser

    def _host_delay(self, url: str) -> float:
        delay = self.settings.delay
        robots = self._robots.get(_origin(url))
        if robots is not None and self.settings.obey_robots:
            crawl_delay = robots.crawl_delay(ROBOTS_AGENT)
            if crawl_delay:
                delay = max(delay, float(crawl_delay))
        return delay

    def _wait_turn(self, url: str) -> None:
        """Reserve this host's next request slot, spaced by the delay, then sleep until it (thread-safe)."""
        host = urlsplit(url).netloc.lower()
        delay = self._host_delay(url)
        with self._slot_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + delay
        if slot > now:
            time.sleep(slot - now)

    def _get_with_retries(self, url: str, headers: dict[str, str] | None = None,
                          scope: str | None = None) -> FetchResult:
        """GET with bounded retries on connection errors, timeouts, 429 and 5xx."""
        tries = max(1, self.settings.max_tries)
        for attempt in range(1, tries + 1):
            try:
                result = self._get_following(url, headers or {}, scope)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == tries:
                    raise FetchError(f"cannot reach {url}: {_reason(exc)}", url=url) from exc
                self._sleep_before_retry(attempt, None)
                continue
            if result.status_code in RETRY_STATUSES and attempt < tries:
                retry_after = _retry_after_seconds(result.headers_retry_after)
                if retry_after is not None and retry_after > self.settings.max_retry_after:
                    return result
                self._sleep_before_retry(attempt, retry_after)
                continue
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep_before_retry(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is None:
            retry_after = self.settings.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
        logger.info("retrying in %.1fs", retry_after)
        time.sleep(retry_after)

    def _get_following(self, url: str, headers: dict[str, str], scope: str | None) -> _Response:
        """Follow redirects by hand: capped, loops detected, robots.txt and the site's scope checked per hop."""
        seen = {url}
        current = url
        for _ in range(self.settings.max_redirects + 1):
            result = self._get_once(current, headers)
            if result.status_code not in REDIRECTS or not result.location:
                result.url = url
                return result
            target = urljoin(current, result.location)
            if target in seen:
                raise FetchError(f"redirect loop at {url}", url=url)
            if scope is not None and not same_site(target, scope):
                raise FetchError(f"{url} redirects off the site, to {target}", url=url)
            self._check_robots(target)
            seen.add(target)
            current = target
        raise FetchError(f"more than {self.settings.max_redirects} redirects from {url}", url=url)

    def _get_once(self, url: str, headers: dict[str, str] | None = None) -> _Response:
        self._wait_turn(url)
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        try:
            response = self.session.get(url, timeout=timeout, stream=True, headers=headers,
                                        allow_redirects=False)
        except requests.exceptions.InvalidURL as exc:
            raise FetchError(f"invalid URL {url}", url=url) from exc
        except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
            raise FetchError(f"not an http(s) URL: {url}", url=url) from exc
        with response:
            body = self._read_capped(response, url)
            return _Response(
                url=url,
                final_url=response.url,
                status_code=response.status_code,
                content_type=response.headers.get("Content-Type"),
                body=body,
                fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                headers_retry_after=response.headers.get("Retry-After"),
                location=response.headers.get("Location"),
            )

    def _read_capped(self, response: requests.Response, url: str) -> bytes:
        cap = self.settings.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(f"{url} is larger than the {cap:,}-byte cap", url=url)
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > cap:
                    raise FetchError(f"{url} is larger than the {cap:,}-byte cap", url=url)
                chunks.append(chunk)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise requests.ConnectionError(f"truncated or undecodable body: {exc}") from exc
        return b"".join(chunks)


@dataclass
class _Response(FetchResult):
    headers_retry_after: str | None = None
    location: str | None = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _reason(exc: Exception) -> str:
    """A short human reason for a requests exception, without the nested repr soup."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host",
                   "Connection reset", "truncated", "Temporary failure in name resolution"):
        if marker in text:
            return marker.lower()
    return "connection failed"
