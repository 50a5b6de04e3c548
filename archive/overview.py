"""The archive at a glance, for `serve`'s /overview page: posts per month over the years (an SVG chart drawn
here, no script), authors, the most used tags, posts gone from the site, what each crawl found new, changed or
gone, and the quality flags to check before a migration. Every count links to the posts it names.

Read-only SQL over the archive and escaped HTML; the links are `serve`'s routes (archive.web).
"""
from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from html import escape
from urllib.parse import quote, urlencode

import sqlite_utils

from .html_render import day, plural

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
TOP_TAGS = 40
SHOWN_RUNS = 20
SHOWN_PER_OUTCOME = 25
SHOWN_GONE = 30
# The chart: a row per year, a bar per month (all sizes in SVG user units; CSS scales the whole drawing).
LABEL_W, COLUMN_W, BAR_W, TOTAL_W, ROW_H, BAR_H, HEAD_H = 42, 24, 17, 40, 34, 26, 18
DATE = "coalesce(published, updated)"
VALID_WARNINGS = "case when json_valid(posts.warnings) then posts.warnings else '[]' end"


def href(path: str, **params: str | int | None) -> str:
    """A link to one of serve's pages with these query parameters (empty ones left out)."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


def post_href(url: str) -> str:
    return f"/post?url={quote(url, safe='')}"


def flag_kind(flag: str) -> str:
    """What a quality flag says, without its particulars: 'very short body (12 words)' -> 'very short body'.

    Flags of one kind are counted and listed together; the posts page filters on this same kind.
    """
    text = str(flag).split(": “", 1)[0]  # a repeated paragraph's quoted text
    text = re.sub(r"\s*\([^)]*\d[^)]*\)", "", text)
    text = re.sub(r"\b\d+ of \d+\b", "many", text)
    return re.sub(r"\b\d+\b", "several", text).strip()


def add_functions(db: sqlite_utils.Database) -> None:
    """SQL functions the pages use (on the read-only connection; nothing is written)."""
    db.conn.create_function("flag_kind", 1, lambda value: flag_kind(value) if value is not None else None,
                            deterministic=True)


def flag_condition(alias: str = "posts") -> str:
    """SQL: the post under alias has a flag of the kind given as the parameter."""
    return (f"exists (select 1 from json_each(case when json_valid({alias}.warnings) then {alias}.warnings "
            f"else '[]' end) w where flag_kind(w.value) = ?)")


def overview(db: sqlite_utils.Database) -> str:
    """The overview page's body."""
    parts = [f'<h1>Overview</h1>{_tiles(db)}',
             _section("Posts per month", _chart(db), "chart"),
             _section("Quality flags to check before migrating", _flags(db), "flags"),
             _section("What each crawl found", _crawls(db), "crawls"),
             _section("Gone from the site", _gone(db), "gone"),
             '<div class="columns">',
             _section("Authors", _authors(db), "authors"),
             _section("Most used tags", _tags(db), "tags"),
             "</div>"]
    return "".join(parts)


def _section(title: str, body: str, ident: str) -> str:
    return f'<section class="panel" id="{ident}"><h2>{escape(title)}</h2>{body}</section>'


def _one(db: sqlite_utils.Database, sql: str, params: list | None = None):
    return db.execute(sql, params or []).fetchone()[0]


def _tiles(db: sqlite_utils.Database) -> str:
    posts = _one(db, "select count(*) from posts")
    gone = _one(db, "select count(*) from posts where status = 'gone'")
    authors = _one(db, "select count(distinct author) from posts where author is not null")
    tags = _one(db, "select count(distinct lower(name)) from tags")
    images = _one(db, "select count(distinct src) from images")
    local = _one(db, "select count(distinct src) from images where local_path is not null")
    flagged = _one(db, f"select count(*) from posts where {VALID_WARNINGS} != '[]'")
    tiles = [(posts, "posts", "/"), (gone, "gone from the site", "#gone"), (authors, "authors", "#authors"),
             (tags, "tags", "#tags"), (f"{local:,} / {images:,}", "images downloaded", None),
             (flagged, "posts flagged", "#flags")]
    items = []
    for value, label, link in tiles:
        shown = f"{value:,}" if isinstance(value, int) else value
        inner = f'<span class="value">{escape(shown)}</span><span class="label">{escape(label)}</span>'
        items.append(f'<li><a class="tile" href="{link}">{inner}</a></li>' if link else
                     f'<li><div class="tile">{inner}</div></li>')
    return f'<ul class="tiles">{"".join(items)}</ul>'


# --- posts per month ------------------------------------------------------------------------------------

def _chart(db: sqlite_utils.Database) -> str:
    counts: Counter[tuple[int, int]] = Counter()
    for month, count in db.execute(f"select substr({DATE}, 1, 7) m, count(*) from posts where m glob "
                                   f"'[0-9][0-9][0-9][0-9]-[0-1][0-9]' group by m"):
        year, number = int(month[:4]), int(month[5:])
        if 1 <= number <= 12:
            counts[(year, number)] += count
    undated = _one(db, "select count(*) from posts") - sum(counts.values())
    if not counts:
        return f'<p class="note">{"No post has a date." if undated else "The archive holds no posts yet."}</p>'
    note = f'<p class="note">{plural(undated, "post")} without a date {"is" if undated == 1 else "are"} not shown.' \
           f' <a href="/?undated=1">List them</a></p>' if undated else ""
    return (f'<p class="note">A row per year, a bar per month: open a bar (or a year) for its posts.</p>'
            f'<div class="chart">{month_chart(counts)}</div>{note}')


def month_chart(counts: Counter[tuple[int, int]]) -> str:
    """An SVG of posts per month: a row per year (newest on top), a bar per month, the year's total at the end."""
    years = list(range(max(y for y, _ in counts), min(y for y, _ in counts) - 1, -1))
    tallest = max(counts.values())
    width = LABEL_W + 12 * COLUMN_W + TOTAL_W
    height = HEAD_H + len(years) * ROW_H + 4
    out = [f'<svg class="months" viewBox="0 0 {width} {height}" aria-labelledby="chart-title">'
           f'<title id="chart-title">Posts per month, {years[-1]} to {years[0]}; the tallest bar is '
           f'{plural(tallest, "post")}</title>']
    for m, name in enumerate(MONTHS):
        x = LABEL_W + m * COLUMN_W + BAR_W / 2
        out.append(f'<text class="month" x="{x:g}" y="12" text-anchor="middle">{name[0]}</text>')
    for row, year in enumerate(years):
        base = HEAD_H + row * ROW_H + BAR_H + 2
        out.append(f'<line class="base" x1="{LABEL_W - 2}" x2="{LABEL_W + 12 * COLUMN_W - 5}" y1="{base}" '
                   f'y2="{base}"/>')
        out.append(f'<a href="/?year={year}"><text class="year" x="0" y="{base - 4}">{year}</text></a>')
        for month in range(1, 13):
            count = counts.get((year, month), 0)
            x = LABEL_W + (month - 1) * COLUMN_W
            if not count:
                continue
            h = max(2.0, BAR_H * count / tallest)
            label = f"{MONTHS[month - 1]} {year}: {plural(count, 'post')}"
            out.append(f'<a href="/?month={year}-{month:02d}" aria-label="{escape(label)}"><rect class="bar" '
                       f'x="{x}" y="{base - h:.1f}" width="{BAR_W}" height="{h:.1f}"><title>{escape(label)}</title>'
                       f'</rect></a>')
        total = sum(counts.get((year, m), 0) for m in range(1, 13))
        out.append(f'<text class="total" x="{width - 4}" y="{base - 4}" text-anchor="end">{total:,}</text>')
    out.append("</svg>")
    return "".join(out)


# --- authors and tags -----------------------------------------------------------------------------------

def _authors(db: sqlite_utils.Database) -> str:
    rows = db.execute(f"select author, count(*), min(substr({DATE}, 1, 4)), max(substr({DATE}, 1, 4)) from posts "
                      f"where author is not null group by author order by 2 desc, author").fetchall()
    if not rows:
        return '<p class="note">No post names its author.</p>'
    items = []
    for author, count, first, last in rows:
        years = first if first == last else f"{first or '?'}–{last or '?'}"
        items.append(f'<tr><td><a href="{escape(href("/", author=author))}">{escape(author)}</a></td>'
                     f'<td class="num">{count:,}</td><td class="years">{escape(years or "")}</td></tr>')
    unnamed = _one(db, "select count(*) from posts where author is null")
    foot = f'<p class="note">{plural(unnamed, "post")} without an author.</p>' if unnamed else ""
    return (f'<table class="list"><thead><tr><th>Author</th><th class="num">Posts</th><th class="years">Years</th>'
            f'</tr></thead><tbody>{"".join(items)}</tbody></table>{foot}')


def _tags(db: sqlite_utils.Database) -> str:
    rows = db.execute("select min(name), count(distinct post_id) n from tags group by lower(name) "
                      "order by n desc, lower(name) limit ?", [TOP_TAGS]).fetchall()
    if not rows:
        return '<p class="note">No post has tags or categories.</p>'
    top = rows[0][1]
    links = []
    for name, count in sorted(rows, key=lambda r: r[0].lower()):
        size = 1 + round(4 * (count - 1) / max(top - 1, 1))  # 1 (once) .. 5 (the most used)
        links.append(f'<a class="tag s{size}" href="{escape(href("/", tag=name))}">{escape(name)}'
                     f'<span class="n">{count:,}</span></a>')
    return f'<p class="cloud">{"".join(links)}</p>'


# --- gone posts and crawls ------------------------------------------------------------------------------

def _gone(db: sqlite_utils.Database) -> str:
    total = _one(db, "select count(*) from posts where status = 'gone'")
    if not total:
        return '<p class="note">Every archived post was still on the site at the last full crawl.</p>'
    rows = db.execute("select url, title, gone_at from posts where status = 'gone' order by gone_at desc, url "
                      "limit ?", [SHOWN_GONE]).fetchall()
    items = "".join(f'<li><a href="{escape(post_href(url))}">{escape(title or "(untitled)")}</a> '
                    f'<span class="meta">gone since {escape(day(gone_at) or "?")}</span></li>'
                    for url, title, gone_at in rows)
    more = f'<p><a href="/?status=gone">All {total:,} gone posts</a></p>' if total > len(rows) else ""
    return f'<p class="note">Archived, but no longer on the site: {plural(total, "post")}.</p><ul class="posts">' \
           f'{items}</ul>{more}'


@dataclass
class Logged:
    outcome: str
    url: str
    title: str | None
    versions: int


def _crawls(db: sqlite_utils.Database) -> str:
    runs = db.execute("select id, site, started_at, finished_at, new, changed, unchanged, gone, skipped, failed "
                      "from runs order by id desc limit ?", [SHOWN_RUNS]).fetchall()
    if not runs:
        return '<p class="note">No crawl is recorded in this archive (posts were imported).</p>'
    latest = runs[0][0]
    rows = [_run(db, *run, latest=run[0] == latest) for run in runs]
    older = _one(db, "select count(*) from runs") - len(runs)
    more = f'<p class="note">and {plural(older, "earlier crawl")}.</p>' if older > 0 else ""
    return f'<ol class="runs">{"".join(rows)}</ol>{more}'


def _run(db: sqlite_utils.Database, run_id: int, site: str, started: str | None, finished: str | None,
         new: int | None, changed: int | None, unchanged: int | None, gone: int | None, skipped: int | None,
         failed: int | None, *, latest: bool) -> str:
    counts = [("new", new), ("changed", changed), ("gone", gone), ("unchanged", unchanged), ("failed", failed)]
    shown = "".join(f'<span class="count {name}">{n or 0:,} {name}</span>'
                    for name, n in counts if n or name in ("new", "changed", "gone"))
    when = escape((started or "")[:16].replace("T", " ") or "?")
    state = "" if finished else ' <span class="badge">did not finish</span>'
    entries = _logged(db, run_id)
    lists = []
    for outcome in ("new", "changed", "gone"):
        found = [e for e in entries if e.outcome == outcome]
        if not found:
            continue
        items = []
        for entry in found[:SHOWN_PER_OUTCOME]:
            link = f'<a href="{escape(post_href(entry.url))}">{escape(entry.title or entry.url)}</a>'
            if outcome == "changed" and entry.versions > 1:
                link += f' <a class="diff" href="{escape(href("/diff", url=entry.url))}">diff</a>'
            items.append(f"<li>{link}</li>")
        rest = len(found) - SHOWN_PER_OUTCOME
        if rest > 0:
            items.append(f'<li class="note">and {rest:,} more</li>')
        lists.append(f'<h3 class="{outcome}">{outcome.capitalize()}</h3><ul class="posts">{"".join(items)}</ul>')
    detail = "".join(lists) or '<p class="note">Nothing new, changed or gone.</p>'
    summary = (f'<summary><span class="when">{when}</span> <span class="site">{escape(site or "")}</span>{state}'
               f'<span class="counts">{shown}</span></summary>')
    is_open = " open" if lists and latest else ""
    return f'<li><details{is_open}>{summary}{detail}</details></li>'


def _logged(db: sqlite_utils.Database, run_id: int) -> list[Logged]:
    """The run's new, changed and gone URLs, each with the post it names (by its URL or an alias)."""
    try:
        rows = db.execute(
            "select l.outcome, coalesce(p.url, a.url, l.url), coalesce(p.title, a.title), "
            "1 + (select count(*) from versions v where v.post_id = coalesce(p.id, a.id)) "
            "from crawl_log l left join posts p on p.url = l.url "
            "left join (select aliases.url alias, posts.* from aliases join posts on posts.id = aliases.post_id) a "
            "on a.alias = l.url and p.id is null "
            "where l.run_id = ? and l.outcome in ('new', 'changed', 'gone') order by l.id", [run_id]).fetchall()
    except sqlite3.OperationalError:
        return []
    return [Logged(*row) for row in rows]


# --- quality flags --------------------------------------------------------------------------------------

def _flags(db: sqlite_utils.Database) -> str:
    kinds = db.execute(f"select flag_kind(w.value) kind, count(distinct posts.id) n from posts, "
                       f"json_each({VALID_WARNINGS}) w group by kind order by n desc, kind").fetchall()
    if not kinds:
        return '<p class="note">No post is flagged.</p>'
    items = "".join(f'<li><a href="{escape(href("/", flag=kind))}"><span class="flag">{escape(kind)}</span>'
                    f'<span class="n">{plural(n, "post")}</span></a></li>' for kind, n in kinds)
    return f'<ul class="flag-list">{items}</ul>'
