"""The blog-archive command line: thin wrappers that open the archive, call one library function, print.

Each command imports the library it uses inside its own body, so `--help`, `list`, `show` and `search` start
without loading the crawler, the extractor or the exporters (see benchmarks/cli_startup.py).
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import json
import logging
import math
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, NoReturn

import click
from click.core import ParameterSource

from scraper.errors import BlogArchiveError
from scraper.text import clip, plural

if TYPE_CHECKING:
    from scraper.discover import Discovery

    from .crawl import CrawlResult, Watch
    from .pipeline import RunSummary

DEFAULT_DB = "archive.db"
DEMO_DB = "demo.db"


class FiniteFloat(click.FloatRange):
    """A FloatRange that refuses inf and nan, which click's own lets through."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class Day(click.ParamType):
    """A date written YYYY-MM-DD, given to the library as that ISO string."""

    name = "yyyy-mm-dd"

    def convert(self, value, param, ctx) -> str:
        from datetime import datetime
        try:
            return datetime.strptime(value, "%Y-%m-%d").date().isoformat()
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD.", param, ctx)


class Later:
    """A constant of a library module, read when click first needs it (a default, a choice, one command's help)."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self) -> Any:
        return getattr(importlib.import_module(self.module), self.name)

    def __str__(self) -> str:  # what --help shows as the default
        return str(self())


class NamesIn(click.Choice):
    """A click.Choice over names kept in a library module: the exporters load only for the commands that use them."""

    def __init__(self, names: Later):
        self.names, self.case_sensitive = names, True  # click.Choice.__init__ would read the names now

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.names())


def db_option(default: str = DEFAULT_DB, *, finds_demo: bool = False, env: bool = True) -> Callable:
    """--db PATH, or BLOG_ARCHIVE_DB (`env`). A command that only reads (`finds_demo`) falls back to the demo's
    archive when there is no archive.db here but a demo.db, and says so."""
    return click.option("--db", "db_path", default=default, envvar="BLOG_ARCHIVE_DB" if env else None,
                        show_default=True, type=click.Path(dir_okay=False), callback=_find_demo if finds_demo else None,
                        help="The archive's SQLite file" + (" (env: BLOG_ARCHIVE_DB)." if env else "."))


def _find_demo(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if ctx.get_parameter_source(param.name) is ParameterSource.DEFAULT and not Path(value).exists() \
            and Path(DEMO_DB).exists():
        click.echo(f"No {value} here: reading {DEMO_DB}, the demo's archive (--db to choose another).", err=True)
        return DEMO_DB
    return value


def quiet_option(func: Callable) -> Callable:
    func = click.option("-q", "--quiet", is_flag=True,
                        help="No progress bar or chatter: only problems and the summary line.")(func)
    return click.option("-v", "--verbose", count=True, help="Log what happens (-vv for debug detail).")(func)


def errors_as_click(func: Callable) -> Callable:
    """Our own exceptions become a one-line 'Error: …' and exit 1; Ctrl-C exits 130 without a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BlogArchiveError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.Error as exc:  # a locked or failing database file mid-run
            from .dbfile import is_interrupt
            if is_interrupt(exc):  # Ctrl-C during a long statement: SQLite abandoned it and rolled back
                interrupted()
            raise click.ClickException(f"database error: {exc}") from exc
        except KeyboardInterrupt:
            interrupted()
    return wrapper


def interrupted() -> NoReturn:
    """Ctrl-C: one line and exit 130. Every write is its own transaction, so the archive is consistent."""
    click.echo("Interrupted: what was saved so far is kept; run again to finish.", err=True)
    sys.exit(130)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="blog-archive")
def cli() -> None:
    """Archive a blog (Wix first) into one SQLite file, search it, and move it elsewhere.

    \b
    Fill it:  crawl (a blog, kept current), import (saved pages),
              demo (the sample site, offline)
    Read it:  list, show, search, history (a post's versions), serve (a web page)
    Move it:  export (Markdown, WXR, Ghost, JSONL, HTML, WARC), redirects
    Redo it:  reextract (today's extractor over the stored pages, offline)

    \b
    Example:
      blog-archive crawl https://www.example-clinic.com
      blog-archive search "lower back pain"

    Every command takes --db PATH (default archive.db, or BLOG_ARCHIVE_DB). Commands that write take turns
    on one archive: one waits for another for up to BLOG_ARCHIVE_WAIT seconds (default 60), then says which
    process holds it.
    """


@cli.command()
@click.argument("sites", nargs=-1)
@db_option()
@click.option("--sites", "sites_file", type=click.File("r"), metavar="FILE",
              help="A file of site URLs, one per line (# starts a comment), crawled with the SITES given.")
@click.option("--delay", type=FiniteFloat(min=0), default=1.0, show_default=True, metavar="SECONDS",
              help="Seconds between two requests to one host (robots.txt Crawl-delay can raise it).")
@click.option("--concurrency", type=click.IntRange(1, 32), default=2, show_default=True, metavar="N",
              help="Requests in flight at once, across hosts; each host still gets one per --delay.")
@click.option("--timeout", type=FiniteFloat(min=1), default=30.0, show_default=True, metavar="SECONDS",
              help="Seconds one request may take in all (connecting, waiting, downloading), however slowly it comes.")
@click.option("--max-posts", type=click.IntRange(min=1), metavar="N", help="Only the first N post URLs of each site.")
@click.option("--since", type=Day(), help="Only posts whose sitemap lastmod is on or after this date.")
@click.option("--all-sources", is_flag=True,
              help="Also walk every listing, category and tag page, even when the sitemaps look complete.")
@click.option("--dry-run", is_flag=True, help="List the URLs that would be fetched, with their source; fetch no post.")
@click.option("--media", is_flag=True,
              help="Also download every post image (original size) once into a folder next to the archive.")
@quiet_option
@errors_as_click
def crawl(sites: tuple[str, ...], sites_file, db_path: str, delay: float, concurrency: int, timeout: float,
          max_posts: int | None, since: str | None, all_sources: bool, dry_run: bool, media: bool, quiet: bool,
          verbose: int) -> None:
    """Archive whole blogs or single posts, incrementally.

    SITES are blog addresses or single post URLs. A re-run fetches only what changed, keeps the earlier
    versions of changed posts and marks posts gone from the site.

    \b
    Example:
      blog-archive crawl https://www.example-clinic.com --db clinic.db
    """
    from scraper.fetch import Fetcher, FetchSettings

    from .crawl import crawl as crawl_archive
    from .crawl import plan

    _logging(verbose)
    targets = list(sites) + (_read_sites(sites_file) if sites_file else [])
    if not targets:
        raise click.UsageError("give at least one site URL (or --sites FILE)")
    settings = FetchSettings(delay=delay, timeout=timeout, concurrency=concurrency)
    with Fetcher(settings) as fetcher, CrawlScreen(quiet) as screen:
        if dry_run:
            planned = plan(fetcher, targets, max_posts=max_posts, all_sources=all_sources, watch=screen.watch())
            for item in planned:
                note = "" if item.allowed else "\trobots.txt forbids it: will not be fetched"
                click.echo(f"{item.url}\t{item.source}\t{item.lastmod or '-'}{note}")
            return
        result = crawl_archive(db_path, targets, fetcher, concurrency=concurrency, since=since, max_posts=max_posts,
                               all_sources=all_sources, media=media, watch=screen.watch())
    _crawl_report(result, db_path, quiet)


def _read_sites(handle) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in handle)
    return [line for line in lines if line]


@cli.command()
@db_option(DEMO_DB, env=False)
@click.option("--port", type=click.IntRange(0, 65535), default=0, metavar="PORT",
              help="Port for the sample site on 127.0.0.1 (default: any free port).")
@quiet_option
@errors_as_click
def demo(db_path: str, port: int, quiet: bool, verbose: int) -> None:
    """Crawl the bundled sample Wix site into demo.db (offline).

    A first look at an archive. The site is served on 127.0.0.1 and crawled under its own address,
    https://www.example-clinic.com, so a re-run leaves the same posts, once.

    \b
    Example:
      blog-archive demo && blog-archive search acupuncture --db demo.db
    """
    from scraper.demo import DEMO_ORIGIN
    from scraper.demo.route import demo_site

    from .crawl import crawl as crawl_archive

    _logging(verbose)
    with demo_site(port=port) as (server, fetcher), CrawlScreen(quiet) as screen:
        _info(f"Serving the sample Wix site at {server.address} as {DEMO_ORIGIN}", quiet)
        result = crawl_archive(db_path, [DEMO_ORIGIN], fetcher, watch=screen.watch())
    _crawl_report(result, db_path, quiet)
    _info(f"Try: blog-archive list --db {db_path}", quiet)


class CrawlScreen:
    """What a crawl shows on stderr: each site's 'Found …' line and warnings (unless --quiet) and, on a
    terminal only, a line that counts what discovery has read and found, then the archiving bar."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.live = not quiet and sys.stderr.isatty()
        self.reads: Counter = Counter()
        self.stack = contextlib.ExitStack()
        self.advance: Callable[[str], None] | None = None

    def __enter__(self) -> CrawlScreen:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stack.close()
        self._clear()

    def watch(self) -> Watch:
        from .crawl import Watch
        return Watch(reading=self.reading, found=self.found, archiving=self.archiving, done=self.done)

    def reading(self, site: str, source: str, found: int) -> None:
        if not self.live:
            return
        self.reads[source] += 1
        names = {"sitemap": "sitemap", "feed": "feed", "listing": "listing page", "links": "page"}
        read = ", ".join(plural(n, names.get(kind, kind)) for kind, n in self.reads.items())
        self._show(f"Finding posts on {site}: read {read}; {plural(found, 'post URL')} so far")

    def found(self, discovery: Discovery) -> None:
        self._clear()
        self.reads.clear()
        counts = ", ".join(f"{n} from the {source}" for source, n in discovery.counts().most_common())
        _info(f"Found {plural(len(discovery.urls), 'post URL')} on {discovery.site} ({counts})", self.quiet)
        for warning in discovery.warnings:
            click.echo(f"warning: {warning}", err=True)

    def archiving(self, total: int) -> None:
        self._clear()
        self.advance = self.stack.enter_context(_progress(total, "Archiving", self.quiet))

    def done(self, url: str) -> None:
        if self.advance:
            self.advance(url)

    def _show(self, text: str) -> None:
        import shutil
        width = shutil.get_terminal_size().columns - 1
        sys.stderr.write("\r\x1b[K" + clip(text, width))
        sys.stderr.flush()

    def _clear(self) -> None:
        if self.live and self.reads:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _crawl_report(result: CrawlResult, db_path: str, quiet: bool) -> None:
    """The images' outcome, then the run's (see _report)."""
    media = result.media
    if media is not None:
        for src, reason in media.failed:
            click.echo(f"image failed {src}: {reason}", err=True)
        for src, reason in media.refused:
            click.echo(f"image refused {src}: {reason}", err=True)
        _info(f"media: {media.downloaded} downloaded, {media.reused} already on disk, {len(media.failed)} failed, "
              f"{len(media.refused)} refused, {media.out_of_scope} outside the site's media hosts "
              f"-> {result.media_dir}", quiet)
    _report(result.summary, db_path, single=result.single_page)
    if media is not None and media.failed:
        raise click.ClickException(f"{plural(len(media.failed), 'image')} failed to download; run again to retry them")


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option()
@click.option("--url", help="The page's original URL (one file only; default: its canonical link or file path).")
@quiet_option
@errors_as_click
def import_(files: tuple[Path, ...], db_path: str, url: str | None, quiet: bool, verbose: int) -> None:
    """Import saved HTML pages or plain-text page dumps.

    FILES are pages saved from a browser or text copied from a post page. A saved page is filed under its
    canonical URL, a text dump under its file path unless --url is given.

    \b
    Example:
      blog-archive import saved-page.html notes.txt --db clinic.db
    """
    from .pipeline import check_files, import_files
    from .store import open_archive

    _logging(verbose)
    if url and len(files) > 1:
        raise click.UsageError("--url needs exactly one file")
    paths = list(files)
    check_files(paths)
    db = open_archive(db_path)
    with _progress(len(paths), "Importing", quiet) as advance:
        summary = import_files(db, paths, url=url, progress=advance)
    _report(summary, db_path, single=len(paths) == 1)


@cli.command("list")
@db_option(finds_demo=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array: each post's fields (as `show --format json`), status, gone_at and warnings.")
@click.option("--warnings", "only_warnings", is_flag=True,
              help="Only posts with quality warnings, each with its warnings: what to check by hand.")
@errors_as_click
def list_(db_path: str, as_json: bool, only_warnings: bool) -> None:
    """List the archived posts, newest first.

    One line per post: date, title, author, URL.

    \b
    Example:
      blog-archive list --warnings --db clinic.db
    """
    from . import render
    from .store import iter_posts, load_post, open_archive

    db = open_archive(db_path, create=False)
    rows = iter_posts(db, with_warnings=only_warnings)
    if as_json:
        click.echo(render.json_array({**load_post(db, row).to_dict(), "status": row["status"],
                                      "gone_at": row["gone_at"], "warnings": json.loads(row["warnings"] or "[]")}
                                     for row in rows))
        return
    count = 0
    for row in rows:
        count += 1
        click.echo(render.post_line(row))
        if only_warnings:
            for warning in json.loads(row["warnings"] or "[]"):
                click.echo(f"    ! {warning}")
    click.echo(plural(count, "post") + (" with warnings" if only_warnings else ""), err=True)


@cli.command()
@db_option()
@quiet_option
@errors_as_click
def reextract(db_path: str, quiet: bool, verbose: int) -> None:
    """Re-extract every stored page with today's extractor, offline.

    Reports per field how many posts changed; a post whose content changes keeps its previous values as a
    version.

    \b
    Example:
      blog-archive reextract --db clinic.db
    """
    from .pipeline import reextract as reextract_archive
    from .store import open_archive

    _logging(verbose)
    db = open_archive(db_path, create=False, write=True)
    total = db.execute("select count(distinct url) from pages").fetchone()[0]
    with _progress(total, "Re-extracting", quiet) as advance:
        summary = reextract_archive(db, progress=advance)
    for line in summary.lines():
        click.echo(line, err=True)
    for url, reason in summary.run.failed:
        click.echo(f"failed {url}: {reason}", err=True)


@cli.command()
@click.argument("post")
@db_option(finds_demo=True)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="Output format: text to read, Markdown, or JSON with every field.")
@errors_as_click
def show(post: str, db_path: str, fmt: str) -> None:
    """Show one archived post, by URL or slug.

    \b
    Example:
      blog-archive show five-stretches-for-lower-back-pain --format markdown
    """
    from . import render
    from .store import find_post, load_post, open_archive

    db = open_archive(db_path, create=False)
    row = find_post(db, post)
    if row is None:
        raise click.ClickException(f"no post {post!r} in {db_path} (see 'blog-archive list')")
    record = load_post(db, row)
    if fmt == "json":
        click.echo(json.dumps(record.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(render.as_markdown(record))
    else:
        click.echo(render.as_text(record))


@cli.command()
@click.argument("query", required=False)
@db_option(finds_demo=True)
@click.option("--author", help="Only posts whose author contains this text.")
@click.option("--since", type=Day(), help="Only posts dated on or after this date.")
@click.option("--until", type=Day(), help="Only posts dated on or before this date.")
@click.option("--tag", help="Only posts with this tag or category.")
@click.option("--site", help="Only posts from this host (www. optional).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, metavar="N",
              help="At most this many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of hits, best first.")
@click.option("--raw", is_flag=True, help="Pass QUERY to SQLite FTS5 as it is (AND, OR, NOT, NEAR, prefix*).")
@click.option("--rebuild", is_flag=True, help="Rebuild the search index first (QUERY may then be left out).")
@errors_as_click
def search(query: str | None, db_path: str, author: str | None, since: str | None, until: str | None,
           tag: str | None, site: str | None, limit: int, as_json: bool, raw: bool, rebuild: bool) -> None:
    """Full-text search of the archived posts.

    Every word and "quoted phrase" of QUERY must match; hits come best first.

    \b
    Example:
      blog-archive search '"blood flow" fertility' --since 2023-01-01
    """
    from . import render
    from .search import rebuild_index
    from .search import search as search_archive
    from .store import enable_fast_reads, open_archive

    db = enable_fast_reads(open_archive(db_path, create=False, write=rebuild))
    if rebuild:
        rebuild_index(db)
        click.echo(f"search index rebuilt: {plural(db['posts'].count, 'post')}", err=True)
    if query is None:
        if rebuild:
            return
        raise click.UsageError("give a QUERY (or --rebuild)")
    hits = search_archive(db, query, raw=raw, author=author, tag=tag, site=site, limit=limit, since=since,
                          until=until)
    if as_json:
        click.echo(json.dumps([hit.to_dict() for hit in hits], indent=2, ensure_ascii=False))
        return
    color = sys.stdout.isatty()
    for hit in hits:
        click.echo(render.hit_text(hit, color=color))
    click.echo(plural(len(hits), "hit"), err=True)


@cli.command()
@click.argument("post")
@db_option(finds_demo=True)
@click.option("--diff", "diff", nargs=2, type=click.IntRange(min=1), metavar="A B",
              help="Show what changed between versions A and B (numbers from the list).")
@errors_as_click
def history(post: str, db_path: str, diff: tuple[int, int] | None) -> None:
    """List the versions of a post kept by re-crawls, or diff two.

    POST is its URL or slug.

    \b
    Example:
      blog-archive history gua-sha-at-home --diff 1 2
    """
    from . import render
    from .store import find_post, open_archive, post_versions

    db = open_archive(db_path, create=False)
    row = find_post(db, post)
    if row is None:
        raise click.ClickException(f"no post {post!r} in {db_path} (see 'blog-archive list')")
    versions = post_versions(db, row)
    if diff:
        a, b = diff
        if max(a, b) > len(versions):
            raise click.ClickException(f"{row['url']} has {plural(len(versions), 'version')}; "
                                       f"there is no version {max(a, b)}")
        click.echo(render.version_diff(versions[a - 1], versions[b - 1]) or "(no difference)")
        return
    status = f"gone since {row['gone_at']}" if row["status"] == "gone" else row["status"]
    click.echo(f"{row['url']}  [{status}]")
    for line in render.version_lines(versions):
        click.echo(line)


@cli.command()
@db_option(finds_demo=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (anything but 127.0.0.1 shows the archive to your network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, metavar="PORT",
              help="Port to listen on (0: any free port).")
@errors_as_click
def serve(db_path: str, host: str, port: int) -> None:
    """Search and read the archive in a browser (read-only).

    A small web page on 127.0.0.1.

    \b
    Example:
      blog-archive serve --db clinic.db --port 8080
    """
    import threading

    from .web import serving

    with serving(db_path, host=host, port=port) as server:
        try:
            click.echo(f"Serving {db_path} read-only at {server.url} (Ctrl-C to stop)", err=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
            sys.exit(130)


@cli.command("export")
@click.argument("fmt", metavar="FORMAT", type=NamesIn(Later("archive.export", "FORMATS")))
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@db_option(finds_demo=True)
@click.option("--site", help="Only posts from this host (www. optional).")
@click.option("--since", type=Day(), help="Only posts dated on or after this date.")
@click.option("--bundles", is_flag=True,
              help="Markdown only: <slug>/index.md with its images beside it (Hugo page bundles, Eleventy).")
@click.option("--prefix", help="The path posts are published under on the new site, for links and images "
                               "(markdown: /posts/; wxr, ghost: /).")
@click.option("--media-url", metavar="BASE",
              help="wxr, ghost: copy downloaded images to OUTDIR/media/ and point them at BASE, where you will "
                   "upload that folder.")
@errors_as_click
def export_(fmt: str, outdir: Path, db_path: str, site: str | None, since: str | None, bundles: bool,
            prefix: str | None, media_url: str | None) -> None:
    """Export the posts as Markdown, WXR, Ghost, JSONL, HTML or WARC.

    FORMAT is markdown, wxr (WordPress), ghost, jsonl, html (a static site) or warc; the files go into OUTDIR.

    \b
    Example:
      blog-archive export markdown content/posts --db clinic.db
    """
    from .export import REPORT
    from .export import export as export_archive
    from .mediatypes import media_dir_for
    from .store import open_archive

    db = open_archive(db_path, create=False)
    media = media_dir_for(db_path)
    summary = export_archive(db, fmt, outdir, site=site, since=since,
                             media_root=media.parent if media.exists() else None, bundles=bundles, prefix=prefix,
                             media_url=media_url)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{fmt}: {summary.line()} -> {outdir}", err=True)
    click.echo(f"{summary.old_site_line()} (per post: {outdir / REPORT})", err=True)


@cli.command()
@db_option(finds_demo=True)
@click.option("--pattern", default=Later("archive.export.redirects", "DEFAULT_PATTERN"), show_default=True,
              help="The new URL of a post: {slug}, {year}, {month}, {day}.")
@click.option("--style", type=NamesIn(Later("archive.export.redirects", "STYLES")), default="nginx",
              show_default=True,
              help="Server syntax: nginx, apache (.htaccess), netlify (_redirects), ghost (redirects.yaml).")
@click.option("--site", help="Only posts from this host (www. optional).")
@errors_as_click
def redirects(db_path: str, pattern: str, style: str, site: str | None) -> None:
    """Print old-URL -> new-URL redirects, so no old link breaks.

    Every old address of every post is mapped, in the syntax of --style.

    \b
    Example:
      blog-archive redirects --style netlify --pattern "/blog/{year}/{slug}/" > _redirects
    """
    from .export.redirects import format_redirects, redirect_map
    from .store import open_archive

    db = open_archive(db_path, create=False)
    click.echo(format_redirects(redirect_map(db, pattern, site=site), style), nl=False)


def _report(summary: RunSummary, db_path: str, *, single: bool) -> None:
    """Per-URL problems, then the summary line; one page or file that was not archived is one error line.

    Only failures make the exit status non-zero (the next run tries them again).
    """
    problems = summary.failed + summary.skipped
    if single and not summary.saved and problems:
        url, reason = problems[0]
        raise click.ClickException(f"nothing archived from {url}: {reason}")
    for url, reason in summary.skipped:
        click.echo(f"skipped {url}: {reason}", err=True)
    for url, reason in summary.failed:
        click.echo(f"failed {url}: {reason}", err=True)
    for url in summary.gone:
        click.echo(f"gone {url}", err=True)
    click.echo(f"{summary.line()} -> {db_path}", err=True)
    if summary.failed:
        raise click.ClickException(f"{len(summary.failed)} failed; run again to retry them")


@contextlib.contextmanager
def _progress(total: int, label: str, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A bar of items done / found on a terminal; silent when piped or with --quiet."""
    if quiet or not sys.stderr.isatty():
        yield lambda _item: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True) as bar:
        yield lambda _item: bar.update(1)


def _info(message: str, quiet: bool) -> None:
    if not quiet:
        click.echo(message, err=True)


def _logging(verbose: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


if __name__ == "__main__":
    cli()
