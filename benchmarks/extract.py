"""Extraction speed and memory on the bundled sample Wix site, against trafilatura.extract in the same run.

    python benchmarks/extract.py [--rounds N]

Prints pages per second for blog-archive's extract_post (metadata + sections + images) and for
trafilatura.extract (main text only) as the baseline, their ratio, and the peak memory of one page.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import trafilatura

from scraper.demo import SITE_DIR
from scraper.encoding import decode_body
from scraper.extract import extract_post


def pages() -> list[tuple[str, str]]:
    found = []
    for path in sorted(SITE_DIR.glob("*post/*.html")):
        url = "https://www.example-clinic.com/" + path.relative_to(SITE_DIR).with_suffix("").as_posix()
        found.append((url, decode_body(path.read_bytes())))
    return found


def rate(func, docs: list[tuple[str, str]], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for url, html in docs:
            func(html, url)
    return rounds * len(docs) / (time.perf_counter() - started)


def peak_bytes(func, html: str, url: str) -> int:
    tracemalloc.start()
    func(html, url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    docs = pages()
    size = sum(len(html) for _, html in docs)
    ours = rate(extract_post, docs, rounds)
    baseline = rate(lambda html, url: trafilatura.extract(html, url=url), docs, rounds)
    print(f"{len(docs)} pages, {size / 1e6:.2f} MB of HTML, {rounds} rounds")
    print(f"extract_post:        {ours:8.1f} pages/s")
    print(f"trafilatura.extract: {baseline:8.1f} pages/s (baseline)")
    print(f"ratio ours/baseline: {ours / baseline:8.2f}")
    heavy_url, heavy = max(docs, key=lambda d: len(d[1]))
    print(f"peak memory on the largest page ({len(heavy) / 1e3:.0f} kB): extract_post "
          f"{peak_bytes(extract_post, heavy, heavy_url) / 1e6:.1f} MB, trafilatura "
          f"{peak_bytes(lambda h, u: trafilatura.extract(h, url=u), heavy, heavy_url) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
