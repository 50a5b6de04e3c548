"""Crawl speed, politeness and memory against the synthetic Wix blog on 127.0.0.1.

    python benchmarks/crawl.py [--posts 500] [--latency 0.05] [--delay 0.1] [--concurrency 1]
                               [--memory-sizes 500,5000]

1. First crawl: wall time against the politeness floor. The crawler starts at most one request per
   --delay per host, whatever --concurrency is (concurrency overlaps requests across hosts and hides
   latency), so for one site the floor is requests x delay.
2. A second, unchanged run: bytes downloaded and wall time as a fraction of the first run's.
3. Peak memory (max RSS of a crawler process, delay 0) at each size in --memory-sizes, in separate
   processes, to show it does not grow with the site beyond SQLite's own page cache.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the synthetic site is test support (tests/synthetic.py)

from synthetic import SyntheticSite, serve_synthetic  # noqa: E402

from archive.crawl import crawl_site  # noqa: E402
from archive.store import open_archive  # noqa: E402
from scraper.discover import discover_posts  # noqa: E402
from scraper.fetch import Fetcher, FetchSettings  # noqa: E402


def timed_crawl(origin: str, db_path: Path, delay: float, concurrency: int):
    settings = FetchSettings(delay=delay, concurrency=concurrency)
    started = time.perf_counter()
    with Fetcher(settings) as fetcher:
        db = open_archive(db_path)
        summary = crawl_site(db, discover_posts(fetcher, origin), fetcher, concurrency=concurrency)
    return time.perf_counter() - started, summary


def politeness(posts: int, latency: float, delay: float, concurrency: int) -> None:
    site = SyntheticSite(posts=posts, latency=latency)
    with tempfile.TemporaryDirectory() as folder, serve_synthetic(site) as server:
        db_path = Path(folder) / "bench.db"
        first_time, first = timed_crawl(server.origin, db_path, delay, concurrency)
        first_requests, first_bytes = len(server.requests), server.bytes_sent
        floor = first_requests * delay
        print(f"site: {posts} posts, {latency * 1000:.0f} ms latency; delay {delay}s, concurrency {concurrency}")
        print(f"first crawl:  {first.line()}")
        print(f"  {first_requests} requests, {first_bytes / 1e6:.1f} MB, {first_time:.1f} s; "
              f"politeness floor {floor:.1f} s -> ratio {first_time / floor:.3f} (target <= 1.2)")
        server.reset_counters()
        second_time, second = timed_crawl(server.origin, db_path, delay, concurrency)
        second_requests, second_bytes = len(server.requests), server.bytes_sent
        print(f"second crawl: {second.line()}")
        print(f"  {second_requests} requests, {second_bytes / 1e3:.0f} kB, {second_time:.2f} s -> "
              f"bytes {second_bytes / first_bytes:.2%}, time {second_time / first_time:.2%} of the first (target <= 5%)")


def peak_memory(posts: int) -> tuple[float, float]:
    """Max RSS (MB) and wall time of a separate `blog-archive crawl` process over a site of this size."""
    site = SyntheticSite(posts=posts)
    with tempfile.TemporaryDirectory() as folder, serve_synthetic(site) as server:
        command = [sys.executable, "-m", "archive.cli", "crawl", server.origin, "--db", f"{folder}/mem.db",
                   "--delay", "0", "--concurrency", "2", "--quiet"]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"crawl of {posts} posts exited with status {status}")
        return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--memory-sizes", default="500,5000")
    args = parser.parse_args()
    politeness(args.posts, args.latency, args.delay, args.concurrency)
    sizes = [int(size) for size in args.memory_sizes.split(",") if size]
    results = {size: peak_memory(size) for size in sizes}
    for size, (rss, elapsed) in results.items():
        print(f"peak memory, {size:>5} posts: {rss:6.1f} MB max RSS ({elapsed:.0f} s at delay 0)")
    if len(sizes) >= 2:
        small, large = results[sizes[0]][0], results[sizes[-1]][0]
        print(f"memory growth from {sizes[0]} to {sizes[-1]} posts: {large / small:.2f} x")


if __name__ == "__main__":
    main()
