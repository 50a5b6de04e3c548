"""The blog-archive command line: thin wrappers that open the archive, call one library function, print."""
from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator, NoReturn

import click

from scraper.demo import SITE_DIR, serve_site
from scraper.discover import (
    DiscoveredURL,
    Discovery,
    discover_posts,
    looks_like_post_url,
)
from scraper.errors import BlogArchiveError
from scraper.fetch import Fetcher, FetchSettings
from scraper.text import clip
from scraper.urls import address_problem, normalize_url, site_root

from . import render
from .crawl import crawl_sites
from .dbfile import is_interrupt
from .export import FORMATS, REPORT
from .export import export as export_archive
from .export.redirects import DEFAULT_PATTERN, STYLES, format_redirects, redirect_map
from .media import download_media, media_dir_for
from .pipeline import RunSummary, check_files, import_files
from .pipeline import reextract as reextract_archive
from .search import rebuild_index
from .search import search as search_archive
from .store import enable_fast_reads, find_post, iter_posts, load_post, open_archive, post_versions
from .web import serving

DEFAULT_DB = "archive.db"
DEMO_PORT = 8642


class FiniteFloat(click.FloatRange):
    """A FloatRange that refuses inf and nan, which click's own lets through."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def db_option(default: str = DEFAULT_DB) -> Callable:
    return click.option("--db", "db_path", default=default, envvar="BLOG_ARCHIVE_DB", show_default=True,
                        type=click.Path(dir_okay=False), help="The archive's SQLite file (env: BLOG_ARCHIVE_DB).")


def quiet_option(func: Callable) -> Callable:
    func = click.option("-q", "--quiet", is_flag=True, help="No progress bar or chatter: only problems and the summary line.")(func)
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
    """Archive a blog (Wix first) into SQLite: crawl it, import saved pages, list and show posts.

    Commands that write take turns on one archive: one waits for another for up to BLOG_ARCHIVE_WAIT seconds
    (default 60), then says which process holds it.
    """


@cli.command()
@click.argument("sites", nargs=-1)
@db_option()
@click.option("--sites", "sites_file", type=click.File("r"),
              help="A file of site URLs, one per line (# starts a comment), crawled with the SITES given.")
@click.option("--delay", type=FiniteFloat(min=0), default=1.0, show_default=True,
              help="Seconds between two requests to one host (robots.txt Crawl-delay can raise it).")
@click.option("--concurrency", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Requests in flight at once, across hosts; each host still gets one per --delay.")
@click.option("--timeout", type=FiniteFloat(min=1), default=30.0, show_default=True,
              help="Seconds one request may take in all (connecting, waiting, downloading), however slowly it comes.")
@click.option("--max-posts", type=click.IntRange(min=1), help="Only the first N post URLs of each site.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="Only posts whose sitemap lastmod is on or after this date (YYYY-MM-DD).")
@click.option("--all-sources", is_flag=True,
              help="Also walk every listing, category and tag page, even when the sitemaps look complete.")
@click.option("--dry-run", is_flag=True, help="List the URLs that would be fetched, with their source; fetch no post.")
@click.option("--media", is_flag=True,
              help="Also download every post image (original size) once into a folder next to the archive.")
@quiet_option
@errors_as_click
def crawl(sites: tuple[str, ...], sites_file, db_path: str, delay: float, concurrency: int, timeout: float,
          max_posts: int | None, since, all_sources: bool, dry_run: bool, media: bool, quiet: bool,
          verbose: int) -> None:
    """Crawl SITES (blog addresses, or single post URLs) into the archive, incrementally."""
    _logging(verbose)
    targets = list(sites) + (_read_sites(sites_file) if sites_file else [])
    if not targets:
        raise click.UsageError("give at least one site URL (or --sites FILE)")
    for target in targets:
        _check_address(target)
    settings = FetchSettings(delay=delay, timeout=timeout, concurrency=concurrency)
    with Fetcher(settings) as fetcher:
        _crawl(targets, db_path, fetcher, quiet=quiet, max_posts=max_posts, concurrency=concurrency,
               since=since.date().isoformat() if since else None, all_sources=all_sources, dry_run=dry_run,
               media=media)


def _check_address(target: str) -> None:
    """A site or post address that can be requested at all: one error line here, not a traceback from a fetch."""
    try:
        problem = address_problem(site_root(target))
    except ValueError as exc:  # site_root cannot even read it
        problem = f"is not a web address ({exc})"
    if problem:
        raise click.ClickException(f"{clip(target, 80)!r} {problem}")


def _read_sites(handle) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in handle)
    return [line for line in lines if line]


@cli.command()
@db_option("demo.db")
@click.option("--port", type=click.IntRange(0, 65535), default=DEMO_PORT, show_default=True,
              help="Port for the sample site on 127.0.0.1 (the same port keeps re-runs updating the same URLs; "
                   "0: any free port).")
@quiet_option
@errors_as_click
def demo(db_path: str, port: int, quiet: bool, verbose: int) -> None:
    """Serve the bundled sample Wix site on 127.0.0.1 and crawl it (offline)."""
    _logging(verbose)
    with serve_site(SITE_DIR, port=port) as server, Fetcher(FetchSettings(delay=0)) as fetcher:
        _info(f"Serving the sample Wix site at {server.origin}", quiet)
        _crawl([server.origin], db_path, fetcher, quiet=quiet)
    _info(f"Try: blog-archive list --db {db_path}", quiet)


def _crawl(targets: list[str], db_path: str, fetcher: Fetcher, *, quiet: bool, max_posts: int | None = None,
           concurrency: int = 1, since: str | None = None, all_sources: bool = False, dry_run: bool = False,
           media: bool = False) -> None:
    # An existing archive is checked before any request; a new one is only created once posts are found.
    db = open_archive(db_path) if Path(db_path).exists() and not dry_run else None
    discoveries = []
    for target in targets:
        if looks_like_post_url(target):
            discoveries.append(Discovery(site_root(target), [DiscoveredURL(normalize_url(target), ["command line"])],
                                         partial=True))
            continue
        discovery = discover_posts(fetcher, target, all_sources=all_sources)
        counts = ", ".join(f"{n} from the {source}" for source, n in discovery.counts().most_common())
        _info(f"Found {len(discovery.urls)} post URLs on {discovery.site} ({counts})", quiet)
        for warning in discovery.warnings:
            click.echo(f"warning: {warning}", err=True)
        discoveries.append(discovery)
    if dry_run:
        for discovery in discoveries:
            for item in discovery.urls[:max_posts] if max_posts else discovery.urls:
                note = "" if fetcher.allowed(item.url) else "\trobots.txt forbids it: will not be fetched"
                click.echo(f"{item.url}\t{item.source}\t{item.lastmod or '-'}{note}")
        return
    db = db or open_archive(db_path)
    total = sum(min(len(d.urls), max_posts or len(d.urls)) for d in discoveries)
    with _progress(total, "Archiving", quiet) as advance:
        summaries = crawl_sites(db, discoveries, fetcher, concurrency=concurrency, since=since, max_posts=max_posts,
                                progress=advance)
    media_failed = []
    if media:
        done = download_media(db, fetcher, media_dir_for(db_path))
        media_failed = done.failed
        for src, reason in done.failed:
            click.echo(f"image failed {src}: {reason}", err=True)
        for src, reason in done.refused:
            click.echo(f"image refused {src}: {reason}", err=True)
        _info(f"media: {done.downloaded} downloaded, {done.reused} already on disk, {len(done.failed)} failed, "
              f"{len(done.refused)} refused, {done.out_of_scope} outside the site's media hosts "
              f"-> {media_dir_for(db_path)}", quiet)
    single = len(targets) == 1 and total == 1
    _report(summaries[0] if len(summaries) == 1 else _combined(summaries), db_path, single=single)
    if media_failed:
        raise click.ClickException(f"{len(media_failed)} images failed to download; run again to retry them")


def _combined(summaries: list[RunSummary]) -> RunSummary:
    total = RunSummary()
    for summary in summaries:
        for name in ("new", "changed", "unchanged", "gone", "skipped", "failed", "warnings"):
            getattr(total, name).extend(getattr(summary, name))
    return total


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option()
@click.option("--url", help="The page's original URL (one file only; default: its canonical link or file path).")
@quiet_option
@errors_as_click
def import_(files: tuple[Path, ...], db_path: str, url: str | None, quiet: bool, verbose: int) -> None:
    """Import saved HTML pages or plain-text page dumps (FILES) into the archive."""
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
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of posts (Post.to_dict()).")
@click.option("--warnings", "only_warnings", is_flag=True,
              help="Only posts with quality warnings, each with its warnings: what to check by hand.")
@errors_as_click
def list_(db_path: str, as_json: bool, only_warnings: bool) -> None:
    """List the archived posts, newest first."""
    db = open_archive(db_path, create=False)
    rows = iter_posts(db, with_warnings=only_warnings)
    if as_json:
        items = ({"url": r["url"], "title": r["title"], "warnings": json.loads(r["warnings"] or "[]")}
                 for r in rows) if only_warnings else (load_post(db, row).to_dict() for row in rows)
        click.echo(render.json_array(items))
        return
    count = 0
    for row in rows:
        count += 1
        click.echo(render.post_line(row))
        if only_warnings:
            for warning in json.loads(row["warnings"] or "[]"):
                click.echo(f"    ! {warning}")
    click.echo(f"{count} posts" + (" with warnings" if only_warnings else ""), err=True)


@cli.command()
@db_option()
@quiet_option
@errors_as_click
def reextract(db_path: str, quiet: bool, verbose: int) -> None:
    """Re-run the current extractor over every stored raw page, offline, and report what changed."""
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
@db_option()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="Output format.")
@errors_as_click
def show(post: str, db_path: str, fmt: str) -> None:
    """Show one archived POST, given by its URL or slug."""
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
@db_option()
@click.option("--author", help="Only posts whose author contains this text.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only posts dated on or after YYYY-MM-DD.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Only posts dated on or before YYYY-MM-DD.")
@click.option("--tag", help="Only posts with this tag or category.")
@click.option("--site", help="Only posts from this host (www. optional).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="At most this many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of hits, best first.")
@click.option("--raw", is_flag=True, help="Pass QUERY to SQLite FTS5 as it is (AND, OR, NOT, NEAR, prefix*).")
@click.option("--rebuild", is_flag=True, help="Rebuild the search index first (QUERY may then be left out).")
@errors_as_click
def search(query: str | None, db_path: str, author: str | None, since, until, tag: str | None, site: str | None,
           limit: int, as_json: bool, raw: bool, rebuild: bool) -> None:
    """Full-text search of the archived posts: words and "quoted phrases" must all match."""
    db = enable_fast_reads(open_archive(db_path, create=False, write=rebuild))
    if rebuild:
        rebuild_index(db)
        click.echo(f"search index rebuilt: {db['posts'].count} posts", err=True)
    if query is None:
        if rebuild:
            return
        raise click.UsageError("give a QUERY (or --rebuild)")
    hits = search_archive(db, query, raw=raw, author=author, tag=tag, site=site, limit=limit,
                          since=since.date().isoformat() if since else None,
                          until=until.date().isoformat() if until else None)
    if as_json:
        click.echo(json.dumps([hit.to_dict() for hit in hits], indent=2, ensure_ascii=False))
        return
    color = sys.stdout.isatty()
    for hit in hits:
        click.echo(render.hit_text(hit, color=color))
    click.echo(f"{len(hits)} hit{'' if len(hits) == 1 else 's'}", err=True)


@cli.command()
@click.argument("post")
@db_option()
@click.option("--diff", "diff", nargs=2, type=click.IntRange(min=1), metavar="A B",
              help="Show what changed between versions A and B (numbers from the list).")
@errors_as_click
def history(post: str, db_path: str, diff: tuple[int, int] | None) -> None:
    """List the versions of POST (URL or slug) kept by re-crawls, or diff two of them."""
    db = open_archive(db_path, create=False)
    row = find_post(db, post)
    if row is None:
        raise click.ClickException(f"no post {post!r} in {db_path} (see 'blog-archive list')")
    versions = post_versions(db, row)
    if diff:
        a, b = diff
        if max(a, b) > len(versions):
            raise click.ClickException(f"{row['url']} has {len(versions)} versions; there is no version {max(a, b)}")
        click.echo(render.version_diff(versions[a - 1], versions[b - 1]) or "(no difference)")
        return
    status = f"gone since {row['gone_at']}" if row["status"] == "gone" else row["status"]
    click.echo(f"{row['url']}  [{status}]")
    for line in render.version_lines(versions):
        click.echo(line)


@cli.command()
@db_option()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (anything but 127.0.0.1 shows the archive to your network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@errors_as_click
def serve(db_path: str, host: str, port: int) -> None:
    """Search and read the archive in a browser: a small read-only web page on 127.0.0.1."""
    with serving(db_path, host=host, port=port) as server:
        try:
            click.echo(f"Serving {db_path} read-only at {server.url} (Ctrl-C to stop)", err=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
            sys.exit(130)


@cli.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@db_option()
@click.option("--site", help="Only posts from this host (www. optional).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only posts dated on or after YYYY-MM-DD.")
@click.option("--bundles", is_flag=True,
              help="Markdown only: <slug>/index.md with its images beside it (Hugo page bundles, Eleventy).")
@click.option("--prefix", help="The path posts are published under on the new site, for links and images "
                               "(markdown: /posts/; wxr, ghost: /).")
@click.option("--media-url", metavar="BASE",
              help="wxr, ghost: copy downloaded images to OUTDIR/media/ and point them at BASE, where you will "
                   "upload that folder.")
@errors_as_click
def export_(fmt: str, outdir: Path, db_path: str, site: str | None, since, bundles: bool, prefix: str | None,
            media_url: str | None) -> None:
    """Export the archive as FORMAT into OUTDIR: markdown, wxr (WordPress), ghost, jsonl, html (static site), warc."""
    db = open_archive(db_path, create=False)
    media = media_dir_for(db_path)
    summary = export_archive(db, fmt, outdir, site=site, since=since.date().isoformat() if since else None,
                             media_root=media.parent if media.exists() else None, bundles=bundles, prefix=prefix,
                             media_url=media_url)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{fmt}: {summary.line()} -> {outdir}", err=True)
    click.echo(f"{summary.old_site_line()} (per post: {outdir / REPORT})", err=True)


@cli.command()
@db_option()
@click.option("--pattern", default=DEFAULT_PATTERN, show_default=True,
              help="The new URL of a post: {slug}, {year}, {month}, {day}.")
@click.option("--style", type=click.Choice(STYLES), default="nginx", show_default=True,
              help="Server syntax: nginx, apache (.htaccess), netlify (_redirects), ghost (redirects.yaml).")
@click.option("--site", help="Only posts from this host (www. optional).")
@errors_as_click
def redirects(db_path: str, pattern: str, style: str, site: str | None) -> None:
    """Print an old-URL -> new-URL redirect map (every old address of every post), so no link to the old blog breaks."""
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
