"""Plain text of a blog post page (a browser copy or a text export) -> Post. Wix page chrome first."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape

from dateutil import parser as dateparser

from .dates import to_iso
from .errors import NotAPostError
from .models import Post, Section
from .text import cut_at_word

# Text layout.
_SPACE_LIKE = re.compile(r"[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_RUNS_OF_SPACES = re.compile(r" {2,}")
_LEADING_BULLET = re.compile(r"^[•·]\s*")
_META_SEPARATOR = re.compile(r"\s*[·•|]\s*|\s+[-–—]\s+")
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
_NUMERIC_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")

# Lines that are page chrome wherever they stand.
_CHROME = re.compile(
    r"^(?:top of page|skip to (?:main )?content|share(?: (?:on|via) \w+)?|facebook|twitter|x|linkedin|pinterest"
    r"|whatsapp|copy link|link copied|likes?|post not marked as liked|post marked as liked|log ?in|sign up"
    r"|all posts|search|search\.\.\.)$",
    re.I,
)
# Lines that end the post body: counters, recent posts, comments, the site footer.
_COUNTERS = re.compile(r"^(?:\d[\d,.]*\s*[km]?\s*(?:views?|comments?|likes?)\s*)+$", re.I)
_FOOTER_MARKER = re.compile(
    r"^(?:recent posts|related posts|see all|comments(?: \(\d+\))?|write a comment(?:\.\.\.|…)?"
    r"|commenting has been turned off\.?|log in to leave a comment|bottom of page"
    r"|(?:©|copyright\b|\(c\)\s*\d{4}).*)$",
    re.I,
)
_TAXONOMY = re.compile(r"^(?P<kind>tags?|categories|category)\s*:\s*(?P<values>.+)$", re.I)
_BADGE = re.compile(r"^(?:admin|writer|owner|editor|author)$", re.I)

# Author and date lines.
_AVATAR = re.compile(r"^(?:(?:writer|author)['’]s picture|writer:)\s*(?P<name>.*)$", re.I)
_BYLINE = re.compile(r"^(?:(?:written |posted )?by\s+|author:\s*)(?P<name>.+)$", re.I)
_POSTED = re.compile(r"^(?:published|posted)(?:\s+on)?\s*:?\s*(?P<date>.+?)(?:\s+by\s+(?P<name>.+))?$", re.I)
_UPDATED = re.compile(r"^updated(?:\s+on)?\s*:?\s*(?P<date>.+)$", re.I)
_READ_TIME = re.compile(r"^\d+\s*min(?:ute)?s?\.?\s+read$", re.I)
_RELATIVE_DATE = re.compile(
    r"^(?:\d+\s*(?:s|m|h|d|w|y|secs?|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?)\s+ago"
    r"|just now|yesterday|today)$",
    re.I,
)
_NAME_STOP = re.compile(r"[!?;:]|\.\s+[a-z]")

# Body blocks.
_BULLET_ITEM = re.compile(r"^(?:[•·▪◦●]\s*|[-*–]\s+)(?P<text>\S.*)$")
_NUMBERED_ITEM = re.compile(r"^\d{1,2}[.)]\s+(?P<text>\S.*)$")
_NOT_A_HEADING_END = re.compile(r"[.,;:]$")
_SENTENCE_END = re.compile(r"[.!?]")

NAV_ITEMS = {
    "home", "about", "about us", "about me", "services", "our services", "blog", "book online", "book now",
    "book an appointment", "contact", "contact us", "log in", "login", "sign up", "all posts", "search", "more",
    "menu", "shop", "faq", "faqs", "team", "our team", "pricing", "resources", "testimonials", "gallery",
    "events", "new patients", "appointments", "locations",
}
MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 12
MAX_TITLE_CHARS = 150
LONG_LINE_CHARS = 100
LONG_LINE_WORDS = 16
EXCERPT_CHARS = 200
_MONTHS = dateparser.parserinfo()


@dataclass
class Meta:
    """What a header line says about the post, and what kind of header line it is."""

    author: str | None = None
    published: str | None = None
    updated: str | None = None
    wix: bool = False  # an avatar or reading-time line: the Wix author/date/read-time cluster
    weak: bool = False  # a "By NAME" or bare date line: header only near the top of the page
    needs_name: bool = False  # "Writer's picture" with the name on the next line

    def fill(self, other: Meta) -> None:
        """Take the other line's values where this one has none yet."""
        self.author = self.author or other.author
        self.published = self.published or other.published
        self.updated = self.updated or other.updated


@dataclass
class Unit:
    """A paragraph ('p') or a list ('ul'/'ol') of one section, with the dump blocks it came from."""

    kind: str
    lines: list[str]
    first_block: int
    last_block: int


@dataclass
class Head:
    """What the top of the page gives: the title, the author/date facts and where the body starts."""

    title: str | None
    body_start: int
    meta: Meta


def parse_text(text: str, url: str | None = None, *, now: datetime | None = None) -> Post:
    """Turn the visible text of a blog post page into a Post; raise NotAPostError when there is no article text."""
    lines = normalize_lines(text or "")
    tags, categories = read_taxonomy(lines)
    lines = ["" if _CHROME.match(line) else line for line in lines]
    metas = [read_meta_line(line, now) for line in lines]
    head = find_head(lines, metas)
    body_end = find_body_end(lines, head.body_start)
    blocks = split_blocks(body_lines(lines[head.body_start:body_end], metas[head.body_start:body_end], head.meta))
    if not blocks:
        raise NotAPostError("no article text found")
    sections = build_sections(blocks)
    return Post(
        url=url,
        title=head.title,
        author=head.meta.author,
        published=head.meta.published,
        updated=head.meta.updated,
        sections=sections,
        tags=tags,
        categories=categories,
        excerpt=make_excerpt(sections),
    )


def normalize_lines(text: str) -> list[str]:
    """Lines with every kind of line ending, odd space and invisible character made plain."""
    lines = []
    for raw in text.splitlines():
        line = _SPACE_LIKE.sub(" ", _INVISIBLE.sub("", raw))
        lines.append(_RUNS_OF_SPACES.sub(" ", line).strip())
    return lines


def read_taxonomy(lines: list[str]) -> tuple[list[str], list[str]]:
    """Tags and categories from 'Tags: a, b' / 'Categories: …' lines, which are blanked in place."""
    tags: list[str] = []
    categories: list[str] = []
    for i, line in enumerate(lines):
        match = _TAXONOMY.match(_LEADING_BULLET.sub("", line))
        if not match:
            continue
        target = tags if match["kind"].lower().startswith("tag") else categories
        for value in match["values"].split(","):
            value = value.strip().lstrip("#").strip()
            if value and value not in target:
                target.append(value)
        lines[i] = ""
    return tags, categories


def read_meta_line(line: str, now: datetime | None = None) -> Meta | None:
    """Author/date/read-time facts of a header line ('• Dec 3, 2023 · 3 min read'); None for other lines."""
    if not line:
        return None
    parts = [p for p in _META_SEPARATOR.split(_LEADING_BULLET.sub("", line)) if p]
    metas = [read_meta_part(part, now) for part in parts]
    known = [m for m in metas if m is not None]
    if not known:
        return None
    if len(known) < len(metas):
        # A localised date next to a reading time ('31 ago 2022 · 3 min read') is still a header line.
        unknown = [p for p, m in zip(parts, metas) if m is None]
        if not any(m.wix for m in known) or not all(is_dateish(p) for p in unknown):
            return None
    merged = Meta(wix=any(m.wix for m in known), weak=all(m.weak for m in known),
                  needs_name=any(m.needs_name for m in known))
    for meta in known:
        merged.fill(meta)
    return merged


def read_meta_part(part: str, now: datetime | None = None) -> Meta | None:
    if match := _AVATAR.match(part):
        name = clean_name(match["name"], strict=False)
        return Meta(author=name, wix=True, needs_name=not name)
    if _READ_TIME.match(part):
        return Meta(wix=True)
    if _RELATIVE_DATE.match(part):
        return Meta(weak=True)
    if (match := _UPDATED.match(part)) and (date := parse_date(match["date"], now)):
        return Meta(updated=date)
    if (match := _BYLINE.match(part)) and (name := clean_name(match["name"])):
        return Meta(author=name, weak=True)
    if (match := _POSTED.match(part)) and (date := parse_date(match["date"], now)):
        return Meta(published=date, author=clean_name(match["name"] or ""))
    if date := parse_date(part, now):
        return Meta(published=date, weak=True)
    return None


def parse_date(text: str, now: datetime | None = None) -> str | None:
    """ISO date of a line that is only a date ('Dec 3, 2023', '3 December 2023', '2023-12-03'), else None."""
    text = text.strip().strip(",")
    if len(text) > 40 or not _DIGIT.search(text):
        return None
    has_month = any(_MONTHS.month(word) for word in _LETTERS.findall(text))
    if not has_month and not _NUMERIC_DATE.match(text):
        return None
    return to_iso(text, now=now)


def clean_name(name: str, *, strict: bool = True) -> str | None:
    """A person or account name; strict (for 'By …' lines): None when the text reads like a sentence."""
    name = name.strip().strip(",;|·").strip()
    if not name or len(name) > 60 or len(name.split()) > 6:
        return None
    if strict and (not name[0].isupper() or _NAME_STOP.search(name)):
        return None
    return name


def is_dateish(text: str) -> bool:
    """Short text with a number: a date in a language or format we cannot read."""
    return len(text) <= 30 and bool(_DIGIT.search(text)) and len(text.split()) <= 4


def is_strict_meta(meta: Meta | None) -> bool:
    """A header line that is dropped wherever it stands (avatar, reading time, 'Updated: …')."""
    return meta is not None and not meta.weak


def is_footer_marker(line: str) -> bool:
    return bool(_FOOTER_MARKER.match(line) or _COUNTERS.match(line))


def is_prose(line: str) -> bool:
    """A line that reads as body prose rather than a header item."""
    return len(line) > LONG_LINE_CHARS or len(line.split()) > LONG_LINE_WORDS or line.endswith(".")


def is_title_like(line: str) -> bool:
    return (len(line) <= MAX_TITLE_CHARS and not _NOT_A_HEADING_END.search(line) and not is_nav(line)
            and not is_list_item(line) and not is_footer_marker(line))


def is_nav(line: str) -> bool:
    return line.lower() in NAV_ITEMS


def is_list_item(line: str) -> bool:
    return bool(_BULLET_ITEM.match(line) or _NUMBERED_ITEM.match(line))


def find_head(lines: list[str], metas: list[Meta | None]) -> Head:
    """Title, author and dates from the top of the page, and the index where the body starts."""
    content = [i for i, line in enumerate(lines) if line]
    top = content[:first_prose(lines, metas, content)]
    start = next((i for i in top if metas[i] is not None), None)
    if start is None:
        return title_then_meta(lines, metas, next_content(lines, header_end(lines, top)), Meta())
    end, meta = read_cluster(lines, metas, start)
    before = [i for i in top if i < start]
    if not meta.wix and before and is_title_like(lines[before[-1]]):
        # "Title / By NAME / Published: …": the line above the byline is the title.
        return Head(lines[before[-1]], skip_meta(lines, metas, end, meta), meta)
    return title_then_meta(lines, metas, next_content(lines, end), meta)


def first_prose(lines: list[str], metas: list[Meta | None], content: list[int]) -> int:
    """Position in `content` of the first body-prose line: header lines are only looked for above it."""
    for n, i in enumerate(content):
        if metas[i] is None and (is_prose(lines[i]) or is_footer_marker(lines[i])):
            return n
    return len(content)


def header_end(lines: list[str], top: list[int]) -> int:
    """Index just past the site header (site name, menu, blog nav) when the page has no author/date lines."""
    end = 0
    for i in top:
        if is_nav(lines[i]) and not followed_by_prose(lines, i):  # a line right above prose is a title or heading
            end = i + 1
    return end


def followed_by_prose(lines: list[str], i: int) -> bool:
    after = next_content(lines, i + 1)
    return after < len(lines) and is_prose(lines[after]) and not is_footer_marker(lines[after])


def read_cluster(lines: list[str], metas: list[Meta | None], start: int) -> tuple[int, Meta]:
    """Walk the run of author/date/read-time lines from `start`; return the index after it and what it says."""
    meta = Meta()
    i = start
    while i < len(lines):
        line, line_meta = lines[i], metas[i]
        if line_meta is not None:
            meta.fill(line_meta)
            meta.wix = meta.wix or line_meta.wix
            if line_meta.needs_name and not meta.author:
                name_at = next_content(lines, i + 1)
                name = clean_name(lines[name_at], strict=False) if name_at < len(lines) else None
                if name and metas[name_at] is None:
                    meta.author, i = name, name_at
        elif line and not (_BADGE.match(line) or is_unread_date(lines, metas, i)):
            break
        i += 1
    return i, meta


def is_unread_date(lines: list[str], metas: list[Meta | None], i: int) -> bool:
    """A short line with a number between two header lines: a date in a format we cannot read."""
    after = next_content(lines, i + 1)
    return is_dateish(lines[i]) and after < len(lines) and metas[after] is not None


def title_then_meta(lines: list[str], metas: list[Meta | None], at: int, meta: Meta) -> Head:
    """The line at `at` is the title when it looks like one; header lines right under it are skipped."""
    if at >= len(lines) or is_footer_marker(lines[at]) or not is_title_like(lines[at]):
        return Head(None, at, meta)
    return Head(lines[at], skip_meta(lines, metas, at + 1, meta), meta)


def skip_meta(lines: list[str], metas: list[Meta | None], i: int, meta: Meta) -> int:
    """Index of the first line from `i` that is neither blank nor a header line, filling `meta` on the way."""
    while i < len(lines) and (not lines[i] or metas[i] is not None):
        if metas[i] is not None:
            meta.fill(metas[i])
        i += 1
    return i


def next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i]:
        i += 1
    return i


def find_body_end(lines: list[str], start: int) -> int:
    """Index of the first post-footer line (counters, Recent Posts, comments, ©) at or after `start`."""
    return next((i for i in range(start, len(lines)) if is_footer_marker(lines[i])), len(lines))


def body_lines(lines: list[str], metas: list[Meta | None], meta: Meta) -> list[str]:
    """The body with avatar/date/read-time lines blanked; what they say goes into `meta`."""
    body = []
    for line, line_meta in zip(lines, metas):
        if is_strict_meta(line_meta):
            meta.fill(line_meta)
            line = ""
        body.append(line)
    return body


def split_blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines + [""]:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    return blocks


def is_heading_block(block: list[str]) -> bool:
    """One short line without a closing full stop, comma, semicolon or colon ('?' and '!' are fine)."""
    if len(block) != 1:
        return False
    line = block[0]
    return (len(line) <= MAX_HEADING_CHARS and len(line.split()) <= MAX_HEADING_WORDS
            and not _NOT_A_HEADING_END.search(line) and not is_list_item(line))


def build_sections(blocks: list[list[str]]) -> list[Section]:
    """The intro (everything before the first heading) and one level-2 section per heading."""
    sections: list[Section] = []
    heading: str | None = None
    units: list[Unit] = []
    for n, block in enumerate(blocks):
        followed_by_paragraph = n + 1 < len(blocks) and not is_heading_block(blocks[n + 1])
        if is_heading_block(block) and followed_by_paragraph:
            if heading is not None or units:
                sections.append(make_section(heading, units))
            heading, units = block[0], []
        else:
            add_block(units, block, n)
    sections.append(make_section(heading, units))
    return sections


def add_block(units: list[Unit], block: list[str], number: int) -> None:
    """Split a block into paragraph and list units; a list continues one from the block before."""
    for line in block:
        kind = "ul" if _BULLET_ITEM.match(line) else "ol" if _NUMBERED_ITEM.match(line) else "p"
        item = list_item_text(line) if kind != "p" else line
        last = units[-1] if units else None
        same_block = last is not None and last.last_block == number
        continues_list = last is not None and kind != "p" and last.kind == kind and last.last_block >= number - 1
        if last is not None and last.kind == kind and (same_block or continues_list):
            last.lines.append(item)
            last.last_block = number
        else:
            units.append(Unit(kind, [item], number, number))


def list_item_text(line: str) -> str:
    match = _BULLET_ITEM.match(line) or _NUMBERED_ITEM.match(line)
    return match["text"] if match else line


def make_section(heading: str | None, units: list[Unit]) -> Section:
    text = ""
    for n, unit in enumerate(units):
        if n:
            text += "\n" if units[n - 1].last_block == unit.first_block else "\n\n"
        text += unit_text(unit)
    html = "\n".join(unit_html(unit) for unit in units)
    return Section(heading=heading, level=1 if heading is None else 2, text=text, html=html)


def unit_text(unit: Unit) -> str:
    if unit.kind == "ul":
        return "\n".join(f"- {item}" for item in unit.lines)
    if unit.kind == "ol":
        return "\n".join(f"{number}. {item}" for number, item in enumerate(unit.lines, start=1))
    return "\n".join(unit.lines)


def unit_html(unit: Unit) -> str:
    if unit.kind == "p":
        return "<p>" + "<br>".join(escape(line, quote=False) for line in unit.lines) + "</p>"
    items = "".join(f"<li>{escape(item, quote=False)}</li>" for item in unit.lines)
    return f"<{unit.kind}>{items}</{unit.kind}>"


def make_excerpt(sections: list[Section]) -> str | None:
    """The first ~200 characters of the first prose paragraph (an image caption block is skipped)."""
    paragraphs = [" ".join(p.split()) for s in sections for p in s.text.split("\n\n") if p.strip()]
    paragraphs = [p for p in paragraphs if not p.startswith(("- ", "1. "))]
    prose = next((p for p in paragraphs if len(p) >= 40 and _SENTENCE_END.search(p)), None)
    text = prose or next(iter(paragraphs), None)
    return cut_at_word(text, EXCERPT_CHARS) if text is not None else None
