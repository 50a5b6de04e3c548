"""Reaching a site served on 127.0.0.1 under the origin its pages name, as curl's --connect-to does.

The demo serves its sample site on whatever port is free, yet crawls it as https://www.example-clinic.com:
every URL the fetcher sees, checks against robots.txt and its scope, and the archive stores, keeps that
origin; only the connection goes to the local server. So a re-run on another port finds the same posts.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import requests
from requests.adapters import HTTPAdapter

from ..fetch import Fetcher, FetchSettings
from .server import DEMO_ORIGIN, SITE_DIR, SiteServer, serve_site


class LocalRoute(HTTPAdapter):
    """Sends every request for `origin` to the server at `address` (http://127.0.0.1:PORT) instead."""

    def __init__(self, origin: str, address: str):
        super().__init__()
        self.origin, self.address = origin.rstrip("/"), address.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        local = request.copy()
        local.url = self.address + request.url[len(self.origin):]
        local.headers["Host"] = requests.utils.urlparse(self.origin).netloc
        kwargs["proxies"] = {}  # a proxy set for the origin must not carry a request meant for 127.0.0.1
        response = super().send(local, **kwargs)
        response.url, response.request = request.url, request  # the fetcher sees the origin's URL, as asked
        return response


def local_session(origin: str, address: str) -> requests.Session:
    """A session for a Fetcher that reaches `origin` at `address`; every other URL goes where it says."""
    session = requests.Session()
    session.mount(origin.rstrip("/") + "/", LocalRoute(origin, address))  # the longest prefix wins over http(s)://
    return session


@contextlib.contextmanager
def demo_site(*, port: int = 0, delay: float = 0.0) -> Iterator[tuple[SiteServer, Fetcher]]:
    """The bundled sample site served on 127.0.0.1 (any free port by default) as DEMO_ORIGIN, and a fetcher
    that reaches it there: crawl DEMO_ORIGIN with it, from any port, and the same posts come back."""
    with serve_site(SITE_DIR, port=port, origin=DEMO_ORIGIN) as server, \
            Fetcher(FetchSettings(delay=delay), session=local_session(DEMO_ORIGIN, server.address)) as fetcher:
        yield server, fetcher
