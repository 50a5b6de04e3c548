"""Site-specific knowledge, one module per platform, chosen by detection; `generic` is the default.

A profile is a module with `name`, `detect(soup)`, `visible(soup, now=)` and `body(soup, html, url, meta)`.
Adding a platform means adding a module here and naming it in PROFILES; the others stay untouched.
"""
from __future__ import annotations

from types import ModuleType

from bs4 import BeautifulSoup

from . import generic, squarespace, wix, wordpress

PROFILES: tuple[ModuleType, ...] = (wix, squarespace, wordpress)


def choose(soup: BeautifulSoup) -> ModuleType:
    """The first profile whose detector recognises the page, else the generic one."""
    return next((profile for profile in PROFILES if profile.detect(soup)), generic)
