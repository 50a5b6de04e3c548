"""Extraction time on real pages, ours beside trafilatura alone, page by page in one process.

    python benchmarks/real_pages.py [--corpus ../shared/corpus] [--limit N] [--rounds R]

Reads the shared corpus of real pages (general article pages and real Wix post pages; it is never copied into
this repository) and times, for every page, blog-archive's extract_post and trafilatura's bare_extraction with
metadata (what ../shared/tools/extract_eval.py calls the trafilatura baseline) one right after the other, so
that a busy machine slows both alike. Prints seconds per page for each and their ratio, per corpus. Quality is
scored by the shared tools (score_wix.py, extract_eval.py); this script only measures time.
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

from trafilatura import bare_extraction

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scraper.errors import ExtractionError  # noqa: E402
from scraper.extract import extract_post  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def trafilatura_alone(html: str, url: str | None) -> object:
    return bare_extraction(html, url=url, with_metadata=True, include_comments=False, include_tables=True,
                           as_dict=True)


def ours(html: str, url: str | None) -> object:
    try:
        return extract_post(html, url)
    except ExtractionError:  # a page that is not a post still cost its time
        return None


def load(corpus: Path, limit: int | None) -> dict[str, list[tuple[str, str | None]]]:
    sets = {}
    general = corpus / "general" / "gold.jsonl"
    if general.is_file():
        records = [json.loads(line) for line in general.open(encoding="utf-8")]
        sets["general"] = [(gzip.open(corpus / "general" / r["html"], "rt", encoding="utf-8").read(), r.get("url"))
                           for r in records[:limit]]
    wix = corpus / "wix" / "gold.jsonl"
    if wix.is_file():
        records = [json.loads(line) for line in wix.open(encoding="utf-8")]
        sets["wix"] = [(gzip.open(corpus / "wix" / r["file"], "rt", encoding="utf-8", errors="replace").read(),
                        r["url"]) for r in records[:limit]]
    return sets


def measure(pages: list[tuple[str, str | None]], rounds: int) -> tuple[float, float]:
    """Median over rounds of the total seconds per page, (ours, trafilatura)."""
    totals: list[tuple[float, float]] = []
    for _ in range(rounds):
        mine = theirs = 0.0
        for html, url in pages:
            start = time.perf_counter()
            ours(html, url)
            middle = time.perf_counter()
            trafilatura_alone(html, url)
            mine, theirs = mine + middle - start, theirs + time.perf_counter() - middle
        totals.append((mine / len(pages), theirs / len(pages)))
    return statistics.median(t[0] for t in totals), statistics.median(t[1] for t in totals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each corpus")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sets = load(args.corpus, args.limit)
    if not sets:
        print(f"no corpus of real pages at {args.corpus}: nothing to measure (it lives outside this repository)")
        return 1
    warnings.filterwarnings("ignore")
    for name, pages in sets.items():
        for html, url in pages[:3]:  # warm both up (imports, regex caches, dateparser's locale data)
            ours(html, url)
            trafilatura_alone(html, url)
        mine, theirs = measure(pages, args.rounds)
        print(f"{name:8s} pages={len(pages):4d}  blog-archive {mine * 1000:6.1f} ms/page  "
              f"trafilatura {theirs * 1000:6.1f} ms/page  ratio {mine / theirs:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
