"""Full-text search over the archive: SQLite FTS5 (porter stemming over unicode61, diacritics folded), BM25
ranking with titles and headings above body text, and the best-matching section's heading and snippet per hit.

The indexes are external-content FTS5 tables with triggers, so every insert, update and re-extraction keeps
them in step; `ensure_index` repairs them when a trigger is missing and `rebuild_index` rebuilds them, each in
one transaction. Datasette sees `posts_fts` and offers search on `posts`.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from scraper.errors import BlogArchiveError

TOKENIZE = "porter unicode61 remove_diacritics 2"
POST_FTS_COLUMNS = ("title", "headings", "excerpt", "body_text")
POST_WEIGHTS = (10.0, 5.0, 2.0, 1.0)  # bm25 weights, in POST_FTS_COLUMNS order
SECTION_FTS_COLUMNS = ("heading", "text")
SECTION_WEIGHTS = (3.0, 1.0)
MARK_START, MARK_END = "\x02", "\x03"  # around matched words in snippets; renderers turn them into markup
SNIPPET_TOKENS = 16
_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
_WORD = re.compile(r"\w+")


class SearchError(BlogArchiveError):
    """A query that cannot be run (nothing to search for, or bad FTS5 syntax with --raw)."""


@dataclass
class Hit:
    url: str
    title: str | None
    author: str | None
    published: str | None
    heading: str | None  # the heading of the section that matches best (None: the intro, or the title only)
    snippet: str  # with MARK_START / MARK_END around the matched words
    score: float  # higher is better (negated BM25)

    def to_dict(self, *, marks: tuple[str, str] = ("[", "]")) -> dict[str, Any]:
        data = asdict(self)
        data["snippet"] = self.snippet.replace(MARK_START, marks[0]).replace(MARK_END, marks[1])
        return data


def ensure_index(db: sqlite_utils.Database) -> None:
    """Make the search index whole: both FTS tables and their six triggers, exactly as `_index_sql` writes them.

    If anything is missing or different (a kill mid-creation in an older version, a hand-made change), the
    index is rebuilt from the tables, since rows may have changed while a trigger was missing. One transaction
    (a savepoint inside the caller's): a kill leaves the index as it was or whole.
    """
    with db.atomic():
        if not index_is_whole(db):
            _recreate_index(db)


def index_is_whole(db: sqlite_utils.Database) -> bool:
    """True if both FTS tables and all six triggers are there, as this version writes them."""
    expected = {name: sql for name, sql in _index_sql()}
    names = ", ".join("?" * len(expected))
    found = dict(db.execute(f"select name, sql from sqlite_master where name in ({names})", list(expected)).fetchall())
    return found == expected


def rebuild_index(db: sqlite_utils.Database) -> None:
    """Recompute posts.headings, then drop and recreate both indexes and their triggers from the tables.

    One transaction: a kill or Ctrl-C midway leaves the index as it was, never half-built.
    """
    with db.atomic():
        db.execute("update posts set headings = (select group_concat(heading, char(10)) from "
                   "(select heading from sections s where s.post_id = posts.id and heading is not null "
                   "order by position))")
        _recreate_index(db)


def _recreate_index(db: sqlite_utils.Database) -> None:
    """Drop whatever there is of the index, then create it and fill it from the tables (in the caller's transaction).

    Written out here rather than through sqlite-utils' enable_fts, whose executescript would commit midway
    with older sqlite-utils releases.
    """
    for name, kind in db.execute("select name, type from sqlite_master where type = 'trigger' and name in "
                                 "('posts_ai', 'posts_ad', 'posts_au', 'sections_ai', 'sections_ad', 'sections_au')"
                                 ).fetchall():
        db.execute(f'drop {kind} "{name}"')
    for table in ("posts_fts", "sections_fts"):
        db.execute(f'drop table if exists "{table}"')
    for _, sql in _index_sql():
        db.execute(sql)
    for table, weights in (("posts", POST_WEIGHTS), ("sections", SECTION_WEIGHTS)):
        # `order by rank` then ranks with these weights (also in Datasette)
        db.execute(f"insert into {table}_fts({table}_fts, rank) values ('rank', 'bm25({_weights(weights)})')")
        db.execute(f"insert into {table}_fts({table}_fts) values ('rebuild')")


def _index_sql() -> list[tuple[str, str]]:
    """(name, SQL) of both FTS tables (external content, as sqlite-utils makes them, so Datasette finds them)
    and their triggers. The update triggers fire only on indexed columns: every crawl touches last_seen and
    status of every post, and only a change to an indexed column should cost a re-index."""
    items = []
    for table, columns in (("posts", POST_FTS_COLUMNS), ("sections", SECTION_FTS_COLUMNS)):
        names = ", ".join(f'"{c}"' for c in columns)
        new = ", ".join(f'new."{c}"' for c in columns)
        old = ", ".join(f'old."{c}"' for c in columns)
        fts = f'"{table}_fts"'
        delete = f"INSERT INTO {fts} ({fts}, rowid, {names}) VALUES('delete', old.rowid, {old});"
        insert = f"INSERT INTO {fts} (rowid, {names}) VALUES (new.rowid, {new});"
        items += [
            (f"{table}_fts", f"CREATE VIRTUAL TABLE {fts} USING FTS5 ({names}, tokenize='{TOKENIZE}', "
                             f'content="{table}")'),
            (f"{table}_ai", f'CREATE TRIGGER "{table}_ai" AFTER INSERT ON "{table}" BEGIN {insert} END'),
            (f"{table}_ad", f'CREATE TRIGGER "{table}_ad" AFTER DELETE ON "{table}" BEGIN {delete} END'),
            (f"{table}_au", f'CREATE TRIGGER "{table}_au" AFTER UPDATE OF {names} ON "{table}" BEGIN {delete} '
                            f"{insert} END"),
        ]
    return items


def _weights(weights: tuple[float, ...]) -> str:
    return ", ".join(str(w) for w in weights)


def post_filters(alias: str, *, author: str | None = None, since: str | None = None, until: str | None = None,
                 tag: str | None = None, site: str | None = None) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) on the posts table under `alias`: author (part of the name),
    dates (YYYY-MM-DD, published else updated), tag or category, and host (www. optional)."""
    where: list[str] = []
    params: list[Any] = []
    if author:
        where.append(f"{alias}.author like ?")
        params.append(f"%{author}%")
    if since:
        where.append(f"substr(coalesce({alias}.published, {alias}.updated), 1, 10) >= ?")
        params.append(since)
    if until:
        where.append(f"substr(coalesce({alias}.published, {alias}.updated), 1, 10) <= ?")
        params.append(until)
    if tag:
        where.append(f"exists (select 1 from tags t where t.post_id = {alias}.id and t.name = ? collate nocase)")
        params.append(tag)
    if site:
        where.append(f"({alias}.site = ? or {alias}.site = ?)")
        params += [site.lower(), "www." + site.lower()]
    return where, params


def to_fts_query(text: str) -> str:
    """What a person typed as an FTS5 query: every word or "quoted phrase" must match, nothing is syntax.

    'anti-inflammatory' is the phrase "anti inflammatory", 'C++' is "c", an unbalanced quote runs to the end.
    """
    terms = []
    for match in _TERM.finditer(text):
        phrase, word = match.groups()
        tokens = _WORD.findall(phrase if phrase is not None else word)
        if tokens:
            terms.append('"' + " ".join(tokens) + '"')
    if not terms:
        raise SearchError(f"nothing to search for in {text!r}: give words")
    return " ".join(terms)


def search(db: sqlite_utils.Database, query: str, *, raw: bool = False, author: str | None = None,
           since: str | None = None, until: str | None = None, tag: str | None = None, site: str | None = None,
           limit: int = 20) -> list[Hit]:
    """Posts matching the query, best first, with filters on author (substring), dates, tag and site."""
    match = query.strip() if raw else to_fts_query(query)
    if not match:
        raise SearchError("nothing to search for")
    filters, params = post_filters("p", author=author, since=since, until=until, tag=tag, site=site)
    where, params = ["posts_fts match ?", *filters], [match, *params]
    # Rank every match first (joining posts only to filter); then, for the kept hits only, their rows and
    # their best sections in one query each. Plain connection calls: sqlite-utils' query() wraps each
    # statement in a savepoint.
    join = "join posts p on p.rowid = posts_fts.rowid " if len(where) > 1 else ""
    best = (f"select posts_fts.rowid, posts_fts.rank from posts_fts {join}where {' and '.join(where)} "
            f"order by posts_fts.rank limit ?")
    try:
        ranked = db.conn.execute(best, params + [limit]).fetchall()
    except sqlite3.OperationalError as exc:
        if raw:  # FTS5 rejects the syntax ("fts5: syntax error …", "unterminated string", "no such column")
            raise SearchError(f"bad search query {query!r}: {exc}") from exc
        raise
    return _hits(db.conn, ranked, match)


def _hits(conn: sqlite3.Connection, ranked: list[tuple[int, float]], match: str) -> list[Hit]:
    """Each ranked post with the heading and snippet of its best-matching section (else of its body or title)."""
    ids = [rowid for rowid, _ in ranked]
    marks = ", ".join("?" * len(ids))
    posts = {row[0]: row[1:] for row in conn.execute(
        f"select rowid, url, title, author, published from posts where rowid in ({marks})", ids)}
    sections: dict[int, tuple[float, str | None, str]] = {}
    for post_id, heading, snippet, rank in conn.execute(
            f"select s.post_id, s.heading, snippet(sections_fts, 1, ?, ?, '…', {SNIPPET_TOKENS}), sections_fts.rank "
            f"from sections_fts join sections s on s.rowid = sections_fts.rowid "
            f"where sections_fts match ? and s.post_id in ({marks})", [MARK_START, MARK_END, match, *ids]):
        if post_id not in sections or rank < sections[post_id][0]:
            sections[post_id] = (rank, heading, snippet or "")
    hits = []
    for rowid, rank in ranked:
        url, title, author, published = posts[rowid]
        if rowid in sections:
            _, heading, snippet = sections[rowid]
        else:  # the words are only in the title or the excerpt
            body, title_snippet = conn.execute(POST_SNIPPET, [MARK_START, MARK_END, MARK_START, MARK_END, match,
                                                              rowid]).fetchone()
            heading, snippet = None, body if MARK_START in (body or "") else title_snippet or ""
        hits.append(Hit(url=url, title=title, author=author, published=published, heading=heading,
                        snippet=" ".join(snippet.split()), score=float(f"{-rank:.6g}")))
    return hits


POST_SNIPPET = (f"select snippet(posts_fts, 3, ?, ?, '…', {SNIPPET_TOKENS}), snippet(posts_fts, 0, ?, ?, '…', "
                f"{SNIPPET_TOKENS}) from posts_fts where posts_fts match ? and rowid = ?")
