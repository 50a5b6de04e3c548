"""Shared fixtures: real HTTP servers on 127.0.0.1 serving fixture sites, a polite-but-fast fetcher, paths."""
from __future__ import annotations

from pathlib import Path

import pytest
from sites import FaultyHandler

from scraper.demo import SITE_DIR, serve_site
from scraper.fetch import Fetcher, FetchSettings


@pytest.fixture
def site():
    """The bundled sample Wix site, served for real on 127.0.0.1."""
    with serve_site(SITE_DIR) as server:
        yield server


@pytest.fixture
def faulty_site():
    FaultyHandler.hits = {}
    with serve_site(SITE_DIR, handler=FaultyHandler) as server:
        yield server


@pytest.fixture
def fetcher():
    """Polite in every way but the delay, so tests run fast."""
    settings = FetchSettings(delay=0, max_tries=2, backoff=0.05, read_timeout=1.5, connect_timeout=1.5,
                             max_bytes=2_000_000)
    with Fetcher(settings) as instance:
        yield instance


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"
