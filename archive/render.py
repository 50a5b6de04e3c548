"""Posts as text for people: the list table, and one post as plain text or Markdown."""
from __future__ import annotations

import difflib
import json
import textwrap
from typing import Any, Iterable

from scraper.models import Post
from scraper.text import clip

TITLE_WIDTH = 60
AUTHOR_WIDTH = 24


def post_line(row: dict[str, Any]) -> str:
    """One line per post in columns of fixed width: date, title, author, URL."""
    date = (row["published"] or row["updated"] or "")[:10] or "----------"
    title = clip(row["title"] or "(untitled)", TITLE_WIDTH)
    author = clip(row["author"] or "-", AUTHOR_WIDTH)
    gone = f"  [gone {row['gone_at'][:10]}]" if row.get("status") == "gone" and row.get("gone_at") else ""
    return f"{date}  {title:<{TITLE_WIDTH}}  {author:<{AUTHOR_WIDTH}}  {row['url']}{gone}"


def json_array(items: Iterable[dict[str, Any]]) -> str:
    """A JSON array built item by item (the archive can be large)."""
    parts = [json.dumps(item, ensure_ascii=False, indent=2) for item in items]
    return "[\n" + ",\n".join(parts) + "\n]" if parts else "[]"


def as_text(post: Post) -> str:
    title = post.title or "(untitled)"
    header = [title, "=" * min(len(title), 79)] + [f"{label}: {value}" for label, value in _facts(post) if value]
    blocks = ["\n".join(header)]
    for section in post.sections:
        if section.heading:
            blocks.append(section.heading + "\n" + "-" * min(len(section.heading), 79))
        blocks += [_wrap(paragraph) for paragraph in section.text.split("\n\n") if paragraph]
    if post.images:
        blocks.append("\n".join(["Images:"] + [f"  {_image_line(i)}" for i in post.images]))
    return "\n\n".join(blocks)


def as_markdown(post: Post) -> str:
    """The post as Markdown for `show`: the same rendering as the Markdown export, its text escaped."""
    from .markdown import escape_label, escape_text, markdown_url, post_markdown  # markdownify: this format only

    facts = [f"**{label}:** {escape_text(str(value))}" for label, value in _facts(post, linked=False) if value]
    if post.author and post.author_url:  # the author as a link to their profile page
        facts[0] = f"**Author:** [{escape_label(post.author)}]({markdown_url(post.author_url)})"
    header = [f"# {escape_label(post.title or '(untitled)')}", ""] + (["  \n".join(facts), ""] if facts else [])
    return "\n".join(header) + "\n" + post_markdown(post.sections, [image.caption for image in post.images])


def hit_text(hit, *, color: bool = False) -> str:
    """A search hit for people: title, date, author, URL, then the matching section and its snippet."""
    start, end = ("\x1b[1m", "\x1b[0m") if color else ("[", "]")
    snippet = hit.snippet.replace("\x02", start).replace("\x03", end)
    date = (hit.published or "")[:10] or "undated"
    lines = [f"{hit.title or '(untitled)'}", f"  {date} · {hit.author or 'unknown author'} · {hit.url}"]
    where = f"  § {hit.heading}: " if hit.heading else "  "
    lines.append(textwrap.fill(snippet, 100, initial_indent=where, subsequent_indent="    "))
    return "\n".join(lines) + "\n"


def version_lines(versions: list[dict[str, Any]]) -> Iterable[str]:
    for v in versions:
        mark = "  (current)" if v["current"] else ""
        yield f"{v['number']:>3}  {v['captured_at'] or '-':<25}  {v['content_hash'][:12]}  {v['title'] or '(untitled)'}{mark}"


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """A unified diff of two versions' title and body text, line by line."""
    def lines(v: dict[str, Any]) -> list[str]:
        return [f"# {v['title'] or ''}", ""] + (v["body_text"] or "").splitlines()
    return "\n".join(difflib.unified_diff(lines(old), lines(new), f"version {old['number']} ({old['captured_at']})",
                                          f"version {new['number']} ({new['captured_at']})", lineterm=""))


def _facts(post: Post, *, linked: bool = True) -> list[tuple[str, str | None]]:
    """Label and value of each fact shown above a post (the author's profile page too, if `linked`)."""
    author = f"{post.author} <{post.author_url}>" if linked and post.author and post.author_url else post.author
    return [("Author", author), ("Published", post.published), ("Updated", post.updated),
            ("URL", post.url), ("Tags", ", ".join(post.tags)), ("Categories", ", ".join(post.categories))]


def _image_line(image) -> str:
    extra = " — ".join(x for x in (image.alt, image.caption) if x)
    return f"{image.src}" + (f"  ({extra})" if extra else "")


def _wrap(paragraph: str) -> str:
    return "\n".join(textwrap.fill(line, 79) if not line.startswith(("- ", "  ")) else line
                     for line in paragraph.split("\n"))


