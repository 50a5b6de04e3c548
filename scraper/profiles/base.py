"""What every platform profile shares: the on-screen facts record and small markup helpers."""
from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag


@dataclass
class Visible:
    """What the post shows on screen, used where the head metadata is missing."""

    title: str | None = None
    author: str | None = None
    author_url: str | None = None
    published: str | None = None
    updated: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def text(node: Tag | None) -> str:
    return " ".join(node.get_text(" ", strip=True).split()) if isinstance(node, Tag) else ""


def link_texts(node: Tag, marker: str) -> list[str]:
    """Texts of the links whose href contains `marker` ('/tags/', '?category=' …), in order, once each."""
    names: list[str] = []
    for link in node.find_all("a", href=True):
        if marker in link["href"]:
            name = text(link).lstrip("#").strip()
            if name and name not in names:
                names.append(name)
    return names


def without(node: Tag, selectors: tuple[str, ...]) -> Tag:
    """The node with every element matching one of the selectors removed."""
    for selector in selectors:
        for found in node.select(selector):
            found.decompose()
    return node


def first_container(soup: BeautifulSoup, selectors: tuple[str, ...], chrome: tuple[str, ...],
                    min_chars: int = 50) -> Tag | None:
    """The first element matching a selector that holds real text, with its chrome removed."""
    for selector in selectors:
        found = soup.select_one(selector)
        if found is not None and len(found.get_text(" ", strip=True)) > min_chars:
            return without(found, chrome)
    return None


def generator(soup: BeautifulSoup) -> str:
    tag = soup.find("meta", attrs={"name": "generator"})
    return str(tag.get("content", "")).lower() if isinstance(tag, Tag) else ""
