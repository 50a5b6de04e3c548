"""Site-specific knowledge, one module per platform, chosen by detection; `generic` is the default.

A profile is a module with `name`, `detect(page)`, `visible(page, now=)` and `body(page, meta)`, which gives the
post body as an lxml element (or None); it may also tell discovery and the fetch scope what its platform serves
(MEDIA_HOSTS, FEED_PATHS, LISTING_CARDS, NEXT_PAGE, POST_PATHS, TAXONOMY_PATHS), read through `hints`.
Adding a platform means adding a module here and naming it in PROFILES; the others stay untouched.
"""
from __future__ import annotations

from types import ModuleType

from ..page import Page
from . import generic, squarespace, wix, wordpress

PROFILES: tuple[ModuleType, ...] = (wix, squarespace, wordpress)


def hints(name: str) -> tuple:
    """A discovery or scope hint every profile may give (MEDIA_HOSTS, FEED_PATHS, POST_PATHS …), all together,
    in profile order, once each: what the crawler knows of the platforms, kept in their own files."""
    found = (value for profile in PROFILES + (generic,) for value in getattr(profile, name, ()))
    return tuple(dict.fromkeys(found))


def hint(name: str) -> str:
    """A CSS selector hint (LISTING_CARDS, NEXT_PAGE) of every profile that gives one, as one selector."""
    return ", ".join(value for profile in PROFILES + (generic,) if (value := getattr(profile, name, None)))


def choose(page: Page) -> ModuleType:
    """The first profile whose detector recognises the page, else the generic one."""
    return next((profile for profile in PROFILES if profile.detect(page)), generic)
