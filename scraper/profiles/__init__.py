"""Site-specific knowledge, one module per platform, chosen by detection; `generic` is the default.

A profile is a module with `name`, `detect(page)`, `visible(page, now=)` and `body(page, meta)`, which gives the
post body as an lxml element (or None). Adding a platform means adding a module here and naming it in PROFILES; the others
stay untouched.
"""
from __future__ import annotations

from types import ModuleType

from ..page import Page
from . import generic, squarespace, wix, wordpress

PROFILES: tuple[ModuleType, ...] = (wix, squarespace, wordpress)


def choose(page: Page) -> ModuleType:
    """The first profile whose detector recognises the page, else the generic one."""
    return next((profile for profile in PROFILES if profile.detect(page)), generic)
