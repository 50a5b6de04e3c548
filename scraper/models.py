"""Records that cross module lines: Post, Section, Image, FetchResult."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from html import escape
from typing import Any


@dataclass
class Section:
    """A run of the post body under one heading (heading None: the intro before any heading)."""

    heading: str | None
    level: int
    text: str
    html: str


@dataclass
class Image:
    src: str
    alt: str | None = None
    caption: str | None = None


ARCHIVE_ONLY = ("author_url", "author_account", "translations", "aliases")


@dataclass
class Post:
    url: str | None
    title: str | None
    author: str | None = None
    published: str | None = None
    updated: str | None = None
    sections: list[Section] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    excerpt: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    # Kept in the archive, not in to_dict (whose keys are the contract's):
    author_url: str | None = None  # the author's profile page, where the page gives one
    author_account: str | None = None  # the site account that published a guest writer's post
    translations: dict[str, str] = field(default_factory=dict)  # language -> URL of the same post in it
    aliases: list[str] = field(default_factory=list)  # other URLs that gave this same post

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data with exactly the contract's keys (the archive-only fields are left out)."""
        data = asdict(self)
        for key in ARCHIVE_ONLY:
            data.pop(key)
        return data

    @property
    def body_text(self) -> str:
        """The whole body as plain text, headings included."""
        parts = []
        for section in self.sections:
            if section.heading:
                parts.append(section.heading)
            if section.text:
                parts.append(section.text)
        return "\n\n".join(parts)

    @property
    def body_html(self) -> str:
        parts = []
        for section in self.sections:
            if section.heading:
                parts.append(f"<h{section.level}>{escape(section.heading, quote=False)}</h{section.level}>")
            if section.html:
                parts.append(section.html)
        return "\n".join(parts)


@dataclass
class FetchResult:
    """One HTTP response as fetched: the final URL, status, headers that matter and raw bytes."""

    url: str
    final_url: str
    status_code: int
    content_type: str | None
    body: bytes
    fetched_at: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def text(self) -> str:
        from .encoding import decode_body  # bs4's charset detection: loaded by the pages that need it only

        return decode_body(self.body, self.content_type)
