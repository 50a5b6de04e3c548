"""Crawling sites into the archive: incremental, concurrent across hosts, resumable, every outcome logged.

`crawl` is the whole run as `blog-archive crawl` makes it: check the addresses, find every site's post URLs,
fetch and store them, then the images if asked. Workers only fetch and extract (no SQL); the calling thread
does every write, one short transaction per URL, so a crash or a kill at any moment leaves a consistent
archive that the next run completes.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlite_utils

from scraper.discover import DiscoveredURL, Discovery, DiscoveryProgress, discover_posts, looks_like_post_url
from scraper.errors import BlogArchiveError, ExtractionError, FetchError, NotAPostError, RobotsDisallowed
from scraper.extract import extract_post
from scraper.fetch import Fetcher
from scraper.models import Post
from scraper.text import clip
from scraper.urls import address_problem, clean_url, normalize_url, preferred_url, same_site, site_root, url_key

from .media import MediaSummary, download_media
from .mediatypes import media_dir_for
from .pipeline import HTML_TYPES, Progress, RunSummary
from .quality import refresh_warnings
from .store import (
    Capture,
    body_sha256,
    latest_capture,
    mark_gone,
    now_iso,
    open_archive,
    post_by_address,
    save_capture,
    save_post,
    touch_post,
)

logger = logging.getLogger(__name__)

DONE_OUTCOMES = ("new", "changed", "unchanged", "gone", "skipped")


class AddressError(BlogArchiveError):
    """A site or post address that cannot be requested at all."""


@dataclass
class Watch:
    """What a crawl tells its caller while it runs (the command line shows it); every part is optional."""

    reading: Callable[[str, str, int], None] | None = None  # discovery: (site, source just read, post URLs so far)
    found: Callable[[Discovery], None] | None = None  # a site's post URLs, once all its sources are read
    archiving: Callable[[int], None] | None = None  # fetching starts: how many URLs it will settle
    done: Progress | None = None  # one URL settled


@dataclass
class CrawlResult:
    """What a crawl did: every site's outcomes together, the sites' inventories, and the images if asked."""

    summary: RunSummary
    discoveries: list[Discovery]
    planned: int  # URLs taken up (after --max-posts)
    media: MediaSummary | None = None
    media_dir: Path | None = None

    @property
    def single_page(self) -> bool:
        """True when the run was about one page (one post URL given): its failure is the run's."""
        return len(self.discoveries) == 1 and self.planned == 1


@dataclass
class PlannedURL:
    """One URL a dry run would fetch, with where it was found and whether robots.txt lets us."""

    url: str
    source: str
    lastmod: str | None
    allowed: bool


def crawl(db_path: str | Path, targets: list[str], fetcher: Fetcher, *, concurrency: int = 1,
          since: str | None = None, max_posts: int | None = None, all_sources: bool = False, media: bool = False,
          watch: Watch | None = None) -> CrawlResult:
    """Crawl sites (or single post URLs) into the archive at db_path, incrementally; `media` downloads images too.

    An existing archive is checked before any request; a new one is created only once posts are found.
    """
    watch = watch or Watch()
    check_addresses(targets)
    db = open_archive(db_path) if Path(db_path).exists() else None
    discoveries = discover(fetcher, targets, all_sources=all_sources, watch=watch)
    db = db or open_archive(db_path)
    planned = sum(len(_taken(d, max_posts)) for d in discoveries)
    if watch.archiving:
        watch.archiving(planned)
    summaries = crawl_sites(db, discoveries, fetcher, concurrency=concurrency, since=since, max_posts=max_posts,
                            progress=watch.done)
    result = CrawlResult(_combined(summaries), discoveries, planned)
    if media:
        result.media_dir = media_dir_for(db_path)
        result.media = download_media(db, fetcher, result.media_dir)
    return result


def plan(fetcher: Fetcher, targets: list[str], *, max_posts: int | None = None, all_sources: bool = False,
         watch: Watch | None = None) -> list[PlannedURL]:
    """What a crawl would fetch (a dry run): every post URL found, in order; no post is fetched, nothing stored."""
    check_addresses(targets)
    return [PlannedURL(item.url, item.source, item.lastmod, fetcher.allowed(item.url))
            for discovery in discover(fetcher, targets, all_sources=all_sources, watch=watch)
            for item in _taken(discovery, max_posts)]


def discover(fetcher: Fetcher, targets: list[str], *, all_sources: bool = False,
             watch: Watch | None = None) -> list[Discovery]:
    """Each target's post URLs: a post's URL stands for itself, a site's come from its sitemaps, feed and listings."""
    watch = watch or Watch()
    discoveries = []
    for target in targets:
        if looks_like_post_url(target):
            discovery = Discovery(site_root(target), [DiscoveredURL(normalize_url(target), ["command line"])],
                                  partial=True)
        else:
            discovery = discover_posts(fetcher, target, all_sources=all_sources, progress=_reading(watch, target))
            if watch.found:
                watch.found(discovery)
        discoveries.append(discovery)
    return discoveries


def _reading(watch: Watch, target: str) -> DiscoveryProgress | None:
    if watch.reading is None:
        return None
    site, report = site_root(target), watch.reading
    return lambda source, found: report(site, source, found)


def _taken(discovery: Discovery, max_posts: int | None) -> list[DiscoveredURL]:
    return discovery.urls[:max_posts] if max_posts else discovery.urls


def _combined(summaries: list[RunSummary]) -> RunSummary:
    if len(summaries) == 1:
        return summaries[0]
    total = RunSummary()
    for summary in summaries:
        for name in ("new", "changed", "unchanged", "gone", "skipped", "failed", "warnings"):
            getattr(total, name).extend(getattr(summary, name))
    return total


def check_addresses(targets: list[str]) -> None:
    """Every target is an address that can be requested at all: one clear error here, not a failed fetch later."""
    if not targets:
        raise AddressError("give at least one site URL")
    for target in targets:
        check_address(target)


def check_address(target: str) -> None:
    try:
        problem = address_problem(site_root(target))
    except ValueError as exc:  # site_root cannot even read it
        problem = f"is not a web address ({exc})"
    if problem:
        raise AddressError(f"{clip(target, 80)!r} {problem}")


@dataclass
class Plan:
    """One URL to fetch, with what the archive already knows about it."""

    site: str
    item: DiscoveredURL
    exists: bool
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None


@dataclass
class Outcome:
    """What fetching and extracting one URL gave: kind is post, not_modified, same_bytes, gone, skipped or failed."""

    plan: Plan
    kind: str
    reason: str | None = None
    post: Post | None = None
    capture: Capture | None = None


def crawl_sites(db: sqlite_utils.Database, discoveries: list[Discovery], fetcher: Fetcher, *,
                concurrency: int = 1, since: str | None = None, max_posts: int | None = None,
                progress: Progress | None = None) -> list[RunSummary]:
    """Crawl each discovered site; sites are interleaved so that several hosts are fetched at once."""
    runs = [SiteRun(db, d, since=since, max_posts=max_posts) for d in discoveries]
    by_site = {run.discovery.site: run for run in runs}
    plans = _interleave([run.plans(progress) for run in runs])
    for outcome in execute(plans, fetcher, concurrency=concurrency):
        by_site[outcome.plan.site].record(outcome)
        if progress:
            progress(outcome.plan.item.url)
    for run in runs:
        run.finish()
    return [run.summary for run in runs]


def crawl_site(db: sqlite_utils.Database, discovery: Discovery, fetcher: Fetcher, **options) -> RunSummary:
    return crawl_sites(db, [discovery], fetcher, **options)[0]


class SiteRun:
    """One site's crawl: which URLs to fetch, and writing down what became of each."""

    def __init__(self, db: sqlite_utils.Database, discovery: Discovery, *, since: str | None,
                 max_posts: int | None):
        self.db, self.discovery = db, discovery
        self.summary = RunSummary(warnings=list(discovery.warnings))
        # Only a full run over a whole inventory retries old failures and may call a missing post gone.
        self.full = since is None and max_posts is None and not discovery.partial
        self.items = self._select(since, max_posts)
        self.resumed = self._unfinished_work()
        self.run_id = db["runs"].insert({"site": discovery.site, "started_at": now_iso(), "pid": os.getpid(),
                                         "warnings": json.dumps(discovery.warnings)}).last_pk

    def _select(self, since: str | None, max_posts: int | None) -> list[DiscoveredURL]:
        items = [i for i in self.discovery.urls if not since or not i.lastmod or i.lastmod[:10] >= since]
        items = items[:max_posts] if max_posts else items
        if self.full:  # a URL that failed last time is tried again, even if no source lists it now
            known = {url_key(i.url) for i in items}
            items += [DiscoveredURL(url, ["retry"]) for url in self._failed_before() if url_key(url) not in known]
        return items

    def _failed_before(self) -> list[str]:
        rows = self.db.query("select url, outcome from crawl_log where id in "
                             "(select max(id) from crawl_log group by url)")
        return [r["url"] for r in rows if r["outcome"] == "failed" and same_site(r["url"], self.discovery.site)]

    def _unfinished_work(self) -> set[str]:
        """URLs already done by this site's previous run if it never finished (killed): not fetched again.

        A previous run whose process is still alive is another crawl at work right now, not a killed one.
        """
        last = next(self.db.query("select id, finished_at, pid from runs where site = ? order by id desc limit 1",
                                  [self.discovery.site]), None)
        if last is None or last["finished_at"] or _running(last["pid"]):
            return set()
        rows = self.db.query(f"select url from crawl_log where run_id = ? and outcome in "
                             f"({', '.join('?' * len(DONE_OUTCOMES))})", [last["id"], *DONE_OUTCOMES])
        return {url_key(r["url"]) for r in rows}

    def plans(self, progress: Progress | None = None) -> Iterator[Plan]:
        """A plan per URL that needs a request; the rest is settled here without one."""
        for item in self.items:
            url = clean_url(item.url)
            existing = post_by_address(self.db, url)
            if url_key(url) in self.resumed:
                self._settle(url, "unchanged", existing, item, "done before the previous run stopped")
            elif existing and existing["status"] == "active" and item.lastmod and existing["lastmod"] == item.lastmod:
                self._settle(url, "unchanged", existing, item, "sitemap lastmod unchanged")
            else:
                capture = latest_capture(self.db, url) if existing else None
                yield Plan(self.discovery.site, item, existing is not None, *(
                    (capture["etag"], capture["last_modified"], capture["sha256"]) if capture else ()))
                continue
            if progress:
                progress(url)

    def _settle(self, url: str, outcome: str, existing, item: DiscoveredURL, why: str) -> None:
        if existing:
            touch_post(self.db, url, seen_at=now_iso(), lastmod=item.lastmod)
            self.summary.unchanged.append(url)
            self._log(url, outcome, why)
        else:  # done before, but not a post (skipped): nothing to touch
            self._log(url, "skipped", why)

    def record(self, outcome: Outcome) -> None:
        url, item = clean_url(outcome.plan.item.url), outcome.plan.item
        seen = now_iso()
        if outcome.kind == "post":
            result = save_post(self.db, outcome.post, capture=outcome.capture, seen_at=seen, lastmod=item.lastmod)
            self.summary.record(result, outcome.post.url)
            self._log(url, result)
        elif outcome.kind in ("not_modified", "same_bytes"):
            if outcome.capture is not None:
                save_capture(self.db, outcome.capture)
            touch_post(self.db, url, seen_at=seen, lastmod=item.lastmod)
            self.summary.unchanged.append(url)
            self._log(url, "unchanged", outcome.reason)
        elif outcome.kind == "gone":
            if mark_gone(self.db, url, at=seen):
                self.summary.gone.append(url)
            self._log(url, "gone", outcome.reason)
        elif outcome.kind == "skipped":
            if outcome.capture is not None:
                save_capture(self.db, outcome.capture)
            self.summary.skipped.append((url, outcome.reason))
            self._log(url, "skipped", outcome.reason)
        else:
            if outcome.capture is not None:
                save_capture(self.db, outcome.capture)
            self.summary.failed.append((url, outcome.reason))
            self._log(url, "failed", outcome.reason)

    def finish(self) -> None:
        """Call posts missing from every source gone (full runs with a complete inventory only), close the run."""
        if self.full and self.discovery.complete:  # complete: no source failed
            listed = {url_key(i.url) for i in self.discovery.urls}
            at = now_iso()
            # A post is listed under its own address or any of its aliases (a redirect, an old /single-post/).
            rows = self.db.query("select posts.url, group_concat(aliases.url, ' ') as aliases from posts "
                                 "left join aliases on aliases.post_id = posts.id where status = 'active' "
                                 "group by posts.id")
            for row in list(rows):
                url = row["url"]
                addresses = {url_key(u) for u in [url, *(row["aliases"] or "").split()]}
                if same_site(url, self.discovery.site) and not addresses & listed \
                        and mark_gone(self.db, url, at=at):
                    self.summary.gone.append(url)
                    self._log(url, "gone", "no longer listed by any source")
        s = self.summary
        with self.db.atomic():
            self.db["runs"].update(self.run_id, {
                "finished_at": now_iso(), "new": len(s.new), "changed": len(s.changed), "unchanged": len(s.unchanged),
                "gone": len(s.gone), "skipped": len(s.skipped), "failed": len(s.failed)})
        refresh_warnings(self.db, s.changed_sites())

    def _log(self, url: str, outcome: str, error: str | None = None) -> None:
        with self.db.atomic():
            self.db["crawl_log"].insert({"run_id": self.run_id, "url": url, "at": now_iso(), "outcome": outcome,
                                         "error": error})


def execute(plans: Iterable[Plan], fetcher: Fetcher, *, concurrency: int = 1) -> Iterator[Outcome]:
    """Fetch and extract each plan, up to `concurrency` at once, yielding outcomes in plan order.

    At most twice `concurrency` pages are held at a time, however large the site. The workers are daemon
    threads: Ctrl-C (or a consumer that stops early) ends the crawl at once, never waiting for a slow server
    to finish a response; requests not started yet are cancelled.
    """
    if concurrency <= 1:
        for plan in plans:
            yield fetch_and_extract(fetcher, plan)
        return
    work: queue.SimpleQueue = queue.SimpleQueue()
    for number in range(concurrency):
        threading.Thread(target=_work, args=(work, fetcher), name=f"fetch-{number}", daemon=True).start()
    pending: deque[Future] = deque()
    try:
        for plan in plans:
            future: Future = Future()
            work.put((plan, future))
            pending.append(future)
            while len(pending) >= 2 * concurrency:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        for _ in range(concurrency):
            work.put(None)


def _work(work: queue.SimpleQueue, fetcher: Fetcher) -> None:
    """A fetch worker: take (plan, future) pairs until a None, skipping futures cancelled meanwhile."""
    while (job := work.get()) is not None:
        plan, future = job
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(fetch_and_extract(fetcher, plan))
        except BaseException as exc:  # handed to the consumer, which raises it
            future.set_exception(exc)


def fetch_and_extract(fetcher: Fetcher, plan: Plan) -> Outcome:
    """One URL from request to Post, touching no database (runs in worker threads)."""
    url = plan.item.url
    try:
        result = fetcher.fetch(url, etag=plan.etag, last_modified=plan.last_modified, scope=plan.site)
    except RobotsDisallowed:
        return Outcome(plan, "skipped", "robots.txt forbids it")
    except FetchError as exc:
        if exc.status_code in (404, 410) and plan.exists:
            return Outcome(plan, "gone", f"HTTP {exc.status_code}")
        return Outcome(plan, "failed", str(exc))
    if result.status_code == 304:
        return Outcome(plan, "not_modified", "304 Not Modified")
    post_url = clean_url(result.final_url or url)
    capture = Capture(url=post_url, body=result.body, fetched_at=result.fetched_at, status_code=result.status_code,
                      content_type=result.content_type, etag=result.etag, last_modified=result.last_modified)
    content_type = (result.content_type or "text/html").split(";")[0].strip().lower()
    if content_type not in HTML_TYPES:
        return Outcome(plan, "skipped", f"not an HTML page ({content_type})")
    if plan.sha256 and body_sha256(capture.body) == plan.sha256:
        return Outcome(plan, "same_bytes", "same bytes as the stored capture", capture=capture)
    try:
        post = extract_post(result.text, post_url)
    except NotAPostError as exc:
        return Outcome(plan, "skipped", str(exc), capture=capture)
    except ExtractionError as exc:
        return Outcome(plan, "failed", str(exc), capture=capture)
    # One post, one row: kept under its own address; the listed one and a redirect's target become aliases.
    post.url = preferred_url(post_url, post.canonical_url)
    post.aliases = [u for u in dict.fromkeys([clean_url(url), post_url]) if u != post.url]
    return Outcome(plan, "post", post=post, capture=capture)


def _running(pid: int | None) -> bool:
    """True when a process with this id (not this one) is alive."""
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _interleave(generators: list[Iterator[Plan]]) -> Iterator[Plan]:
    """Round-robin over the sites' plans, so every host has work in flight."""
    sentinel = object()
    for batch in zip_longest(*generators, fillvalue=sentinel):
        for plan in batch:
            if plan is not sentinel:
                yield plan
