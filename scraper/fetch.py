"""Polite HTTP fetching: one session, robots.txt, a per-host delay, bounded retries, a size cap, one scope."""
from __future__ import annotations

import logging
import math
import random
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests
import urllib3
import urllib3.connection
from protego import Protego

from .errors import FetchError, RobotsDisallowed
from .models import FetchResult
from .scope import Scope
from .urls import address_problem

logger = logging.getLogger(__name__)

VERSION = "0.1.0"
USER_AGENT = f"blog-archive/{VERSION} (+blog archiving tool; respects robots.txt)"
ROBOTS_AGENT = "blog-archive"
RETRY_STATUSES = {429, 500, 502, 503, 504}
SLOW_DOWN_STATUSES = {429, 503}  # the server asks us to slow down: the whole host waits, not only this URL
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class FetchSettings:
    """Every politeness knob and limit in one place."""

    user_agent: str = USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # the longest silence between two reads
    timeout: float = 30.0  # the longest one request may take in all (connecting, headers, body), however it trickles
    delay: float = 1.0  # seconds between two requests to the same host
    max_bytes: int = 20 * 1024 * 1024  # Wix pages weigh up to ~1.5 MB; leave room
    max_tries: int = 3
    backoff: float = 1.0  # first retry waits about this long, then doubles
    max_retry_after: float = 120.0  # the longest pause made for one host (Retry-After, Crawl-delay, slowing down)
    max_redirects: int = 10
    obey_robots: bool = True
    concurrency: int = 1  # requests in flight at once, across hosts; each host still gets one per `delay`

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "timeout", "delay", "backoff", "max_retry_after"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0 or (value == 0 and name.endswith("timeout")):
                raise ValueError(f"FetchSettings.{name} must be a finite number above 0, not {value!r}")


@dataclass
class _Robots:
    """One origin's robots.txt rules (RFC 9309, parsed by Protego), or a verdict for every URL."""

    rules: Protego | None = None
    everything_allowed: bool = True  # without rules: True when robots.txt is missing, False when unreachable

    def can_fetch(self, url: str) -> bool:
        return self.rules.can_fetch(url, ROBOTS_AGENT) if self.rules else self.everything_allowed

    def crawl_delay(self) -> float | None:
        delay = self.rules.crawl_delay(ROBOTS_AGENT) if self.rules else None
        return float(delay) if delay is not None and math.isfinite(delay) and delay > 0 else None

    def sitemaps(self) -> list[str]:
        return list(self.rules.sitemaps) if self.rules else []


class Fetcher:
    """Fetches URLs with one requests.Session, obeying robots.txt, a per-host rate limit and a scope."""

    def __init__(self, settings: FetchSettings | None = None, *, session: requests.Session | None = None):
        self.settings = settings or FetchSettings()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = self.settings.user_agent
        self.session.max_redirects = self.settings.max_redirects
        self._robots: dict[str, _Robots] = {}
        self._robots_errors: dict[str, str] = {}  # origin -> why its robots.txt could not be read
        self._next_slot: dict[str, float] = {}  # host -> earliest monotonic time of its next request
        self._held_until: dict[str, float] = {}  # host -> no request before this monotonic time (Retry-After)
        self._slowdown: dict[str, float] = {}  # host -> seconds added to its delay since it answered 429/503
        self._slot_lock = threading.Lock()
        self._robots_lock = threading.RLock()
        adapter = _DeadlineAdapter(pool_connections=16, pool_maxsize=max(4, self.settings.concurrency))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              scope: Scope | str | None = None) -> FetchResult:
        """GET a URL; raise FetchError (or RobotsDisallowed) unless it ends in a 2xx response.

        With etag / last_modified the request is conditional, and a 304 comes back as a result (no body).
        The URL and every redirect hop must lie in scope (a Scope, or a site URL meaning that site's hosts;
        by default the URL's own site): anything else is refused, never requested. The path and query are
        sent as written, percent-escapes and all.
        """
        _check_url(url)
        scope = _as_scope(scope, url)
        if not scope.allows(url):
            raise FetchError(f"{url} is outside the site ({scope.site}): not requested", url=url)
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

    # robots.txt

    def _check_robots(self, url: str) -> None:
        if self.settings.obey_robots and not self.allowed(url):
            unreachable = self._robots_errors.get(_origin(url))
            if unreachable:
                raise FetchError(unreachable, url=url)
            raise RobotsDisallowed(f"robots.txt forbids {url}", url=url)

    def allowed(self, url: str) -> bool:
        return self._robots_of(url).can_fetch(url)

    def sitemaps_for(self, url: str) -> list[str]:
        """The Sitemap: lines of the host's robots.txt."""
        return self._robots_of(url).sitemaps()

    def _robots_of(self, url: str) -> _Robots:
        origin = _origin(url)
        with self._robots_lock:  # one robots.txt request per origin, however many workers ask
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin)
            return self._robots[origin]

    def _load_robots(self, origin: str) -> _Robots:
        try:
            result = self._get_with_retries(origin + "/robots.txt", {}, Scope(origin))
        except FetchError as exc:
            # RFC 9309: an unreachable robots.txt means the whole site is off limits.
            logger.info("robots.txt of %s unreachable (%s): not crawling it", origin, exc)
            self._robots_errors[origin] = str(exc)
            return _Robots(everything_allowed=False)
        if result.status_code == 429 or result.status_code >= 500:  # RFC 9309: "unreachable", assume disallowed
            self._robots_errors[origin] = (f"{origin}/robots.txt answered HTTP {result.status_code}: "
                                           f"not crawling until it answers")
            return _Robots(everything_allowed=False)
        if 400 <= result.status_code < 500:  # RFC 9309: "unavailable", no rules at all
            return _Robots()
        robots = _Robots(Protego.parse(result.body.decode("utf-8", errors="replace")))
        delay = robots.crawl_delay()
        if delay:
            logger.info("robots.txt of %s asks for a %ss crawl delay", origin, delay)
            if delay > self.settings.max_retry_after:
                logger.warning("robots.txt of %s asks for a %gs crawl delay; waiting %gs at most between requests",
                               origin, delay, self.settings.max_retry_after)
        return robots

    # Pacing: one request per delay per host, and the host held back when it says 429 or 503

    def _host_delay(self, url: str) -> float:
        delay = self.settings.delay
        robots = self._robots.get(_origin(url))
        if robots is not None and self.settings.obey_robots:
            delay = max(delay, min(robots.crawl_delay() or 0.0, self.settings.max_retry_after))
        return delay + self._slowdown.get(_host(url), 0.0)

    def _wait_turn(self, url: str) -> None:
        """Reserve this host's next request slot, spaced by the delay and after any hold, then sleep until it.

        Thread-safe; a hold put on the host while sleeping (another worker's 429) is waited for too. A hold
        longer than max_retry_after is not waited for: the request fails at once, without asking the host.
        """
        host = _host(url)
        while True:
            delay = self._host_delay(url)
            with self._slot_lock:
                now = time.monotonic()
                held = self._held_until.get(host, 0.0)
                if held - now > self.settings.max_retry_after:
                    raise FetchError(f"{host} asked for no requests for {held - now:.0f}s more (Retry-After), longer "
                                     f"than the {self.settings.max_retry_after:g}s this crawl waits: try again later",
                                     url=url)
                slot = max(now, self._next_slot.get(host, now), held)
                self._next_slot[host] = slot + delay
            if slot > now:
                time.sleep(slot - now)
            if self._held_until.get(host, 0.0) <= time.monotonic():
                return

    def _slow_down(self, url: str, retry_after: float | None) -> None:
        """The host said 429 or 503: hold every request to it (Retry-After, else a backoff) and space them wider."""
        host, cap = _host(url), self.settings.max_retry_after
        with self._slot_lock:
            slowdown = min(max(2 * self._slowdown.get(host, 0.0), self.settings.backoff), cap)
            self._slowdown[host] = slowdown
            hold = slowdown if retry_after is None else retry_after
            self._held_until[host] = max(self._held_until.get(host, 0.0), time.monotonic() + hold)
        logger.info("%s asks us to slow down: holding its requests %.1fs, then one per %.1fs",
                    host, hold, self._host_delay(url))
        if retry_after is not None and retry_after > cap:
            logger.warning("%s asked for no requests for %.0fs (Retry-After); this crawl waits %gs at most, so its "
                           "URLs fail until then and are tried again on the next run", host, retry_after, cap)

    # Requests

    def _get_with_retries(self, url: str, headers: dict[str, str], scope: Scope) -> _Response:
        """GET with bounded retries on connection errors, timeouts, 429 and 5xx.

        A request that overran its total deadline is not retried: a server that trickles does it again.
        """
        tries = max(1, self.settings.max_tries)
        for attempt in range(1, tries + 1):
            try:
                result = self._get_following(url, headers, scope)
            except _DeadlineExceeded as exc:
                raise FetchError(f"{url} timed out: {exc}", url=url) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == tries:
                    raise FetchError(f"cannot reach {url}: {_reason(exc)}", url=url) from exc
                self._sleep_before_retry(attempt)
                continue
            if result.status_code in RETRY_STATUSES and attempt < tries:
                if result.status_code not in SLOW_DOWN_STATUSES:  # those already hold the whole host
                    self._sleep_before_retry(attempt)
                continue
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep_before_retry(self, attempt: int) -> None:
        pause = self.settings.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
        logger.info("retrying in %.1fs", pause)
        time.sleep(pause)

    def _get_following(self, url: str, headers: dict[str, str], scope: Scope) -> _Response:
        """Follow redirects by hand: capped, loops detected, the scope and robots.txt checked before each hop."""
        seen = {url}
        current = url
        for _ in range(self.settings.max_redirects + 1):
            result = self._get_once(current, headers)
            if result.status_code not in REDIRECTS or not result.location:
                result.url = url
                return result
            try:
                target = urljoin(current, result.location)
                _check_url(target)
            except ValueError as exc:
                raise FetchError(f"{url} redirects to an address that cannot be requested", url=url) from exc
            if target in seen:
                raise FetchError(f"redirect loop at {url}", url=url)
            if not scope.allows(target):
                raise FetchError(f"{url} redirects off the site, to {target}", url=url)
            self._check_robots(target)
            seen.add(target)
            current = target
        raise FetchError(f"more than {self.settings.max_redirects} redirects from {url}", url=url)

    def _get_once(self, url: str, headers: dict[str, str]) -> _Response:
        """One GET, within the total deadline; a 429 or 503 slows its host down."""
        self._wait_turn(url)
        with _Deadline(self.settings.timeout) as deadline:
            try:
                response = self._send(url, headers)
                with response:
                    result = _Response(
                        url=url,
                        final_url=response.url,
                        status_code=response.status_code,
                        content_type=response.headers.get("Content-Type"),
                        body=self._read_capped(response, url),
                        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        etag=response.headers.get("ETag"),
                        last_modified=response.headers.get("Last-Modified"),
                        headers_retry_after=response.headers.get("Retry-After"),
                        location=response.headers.get("Location"),
                    )
            except requests.RequestException as exc:
                if deadline.expired:
                    raise _DeadlineExceeded(self.settings.timeout) from exc
                raise
        if deadline.expired:  # a body that ends when the connection closes was cut short by the deadline
            raise _DeadlineExceeded(self.settings.timeout)
        if result.status_code in SLOW_DOWN_STATUSES:
            self._slow_down(url, _retry_after_seconds(result.headers_retry_after))
        return result

    def _send(self, url: str, headers: dict[str, str]) -> requests.Response:
        """Send the GET with the URL's path and query exactly as listed (requests would decode some escapes)."""
        try:
            prepared = self.session.prepare_request(requests.Request("GET", url, headers=headers))
        except requests.exceptions.InvalidURL as exc:
            raise FetchError(f"invalid URL {url}", url=url) from exc
        except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
            raise FetchError(f"not an http(s) URL: {url}", url=url) from exc
        listed, ready = urlsplit(request_url(url)), urlsplit(prepared.url)  # ready: the host as requests encodes it
        prepared.url = urlunsplit((ready.scheme, ready.netloc, listed.path, listed.query, ""))
        environment = self.session.merge_environment_settings(prepared.url, {}, True, None, None)
        timeout = (min(self.settings.connect_timeout, self.settings.timeout),
                   min(self.settings.read_timeout, self.settings.timeout))
        try:
            return self.session.send(prepared, timeout=timeout, allow_redirects=False, **environment)
        except requests.exceptions.InvalidURL as exc:
            raise FetchError(f"invalid URL {url}", url=url) from exc

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


# The total deadline. requests and urllib3 only time out one read at a time, so a server that sends a byte
# every few seconds, in its headers or its body, could hold a request for hours. A timer cuts the request's
# connection (shutdown wakes the blocked read) when its time is up; connection pools tell it which one.

_current = threading.local()


class _Deadline:
    """Cuts the connection of the request running in this thread if it is not done within `seconds`."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._connection = None
        self._over = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> _Deadline:
        _current.deadline = self
        self._arm(self.seconds)
        return self

    def __exit__(self, *exc_info) -> None:
        _current.deadline = None
        with self._lock:
            self._over = True
            if self._timer is not None:
                self._timer.cancel()

    def watch(self, connection) -> None:
        """Called by the pool, in the request's thread, with the connection the request will use."""
        with self._lock:
            self._connection = connection
            connection.blog_archive_deadline = self

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            if self._over:
                return
            self.expired = True
            connection = self._connection
            if connection is not None and getattr(connection, "blog_archive_deadline", None) is not self:
                return  # the request finished with it and another one took it over: nothing of ours to cut
            sock = getattr(connection, "sock", None) or getattr(connection, "last_sock", None)
            if sock is None:  # not connected yet (the connect timeout bounds that): look again shortly
                self._arm(0.05)
                return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _WatchedPool:
    """Tells the deadline of the request running in this thread which connection it was given."""

    def _get_conn(self, timeout: float | None = None):
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(connection)
        return connection


class _RememberedSocket:
    """Keeps the socket after http.client hands it to a response that reads until the connection closes."""

    last_sock = None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.last_sock = self.sock


class _WatchedHTTPConnection(_RememberedSocket, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_RememberedSocket, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(_WatchedPool, urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(_WatchedPool, urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    WATCHED = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self.WATCHED

    def proxy_manager_for(self, proxy: str, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools have connection classes of their own
            manager.pool_classes_by_scheme = self.WATCHED
        return manager


class _DeadlineExceeded(requests.Timeout):
    def __init__(self, seconds: float):
        super().__init__(f"it took more than the {seconds:g}s allowed for one request")


# URLs as listed

_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PATH_CHARS = "%/:@!$&'()*+,;=-._~"  # RFC 3986 pchar and "/", with "%" kept: escapes stay as written


def request_url(url: str) -> str:
    """The URL as it is requested: its path and query as the site wrote them, escapes kept as they are.

    Only what cannot go on the wire is escaped (spaces, non-ASCII, a lone '%'); literal '.' and '..'
    segments are resolved as RFC 3986 says, but '%2F' or '%2e%2e%2f' are never decoded into a path.
    No fragment; scheme and host in lower case. (urllib3 then sends escapes with upper-case hex digits,
    which RFC 3986 makes the same URL.)
    """
    url = url.strip()
    parts = urlsplit(url)
    path = urlsplit(urljoin(url, parts.path or "/")).path  # urljoin resolves literal dot segments only
    path = quote(_LONE_PERCENT.sub("%25", path), safe=_PATH_CHARS)
    query = quote(_LONE_PERCENT.sub("%25", parts.query), safe=_PATH_CHARS + "?")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def _check_url(url: str) -> None:
    """FetchError for an address no request can go to (a broken IPv6 literal, a 300-character host label)."""
    problem = address_problem(url)
    if problem:
        raise FetchError(f"{url[:200]} {problem}", url=url)


def _as_scope(scope: Scope | str | None, url: str) -> Scope:
    if isinstance(scope, Scope):
        return scope
    return Scope(scope or url)


@dataclass
class _Response(FetchResult):
    headers_retry_after: str | None = None
    location: str | None = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


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
