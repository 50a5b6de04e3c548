"""Extraction quality over every HTML fixture page, side by side with trafilatura in the same run.

    python benchmarks/extraction.py [--rounds N] [--verbose]

Pages: the sample Wix site's posts (expected values in tests/fixtures/demo_site_expected.json) and
tests/fixtures/pages/*.html (each with NAME.expected.json); pages expected to fail are left out.

Per field, accuracy is the share of pages (among those whose expectation gives the field) where the
value is exactly right. Body text is scored as a bag of word tokens (lower-cased \\w+ runs, counted
with multiplicity): precision = shared tokens / extracted tokens, recall = shared / expected, F1 their
harmonic mean, averaged over pages. The baseline is plain trafilatura.extract (body) plus
trafilatura.extract_metadata (title, author, date, tags, categories) on the same pages. Speed is pages
per second for extract_post against trafilatura.extract + extract_metadata.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from urllib.parse import quote

import trafilatura

from scraper.demo import SITE_DIR
from scraper.encoding import decode_body
from scraper.extract import extract_post

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DEMO_ORIGIN = "https://www.example-clinic.com"
FIELDS = ("title", "author", "published", "published_date", "updated", "tags", "categories", "headings", "images")
TOKEN = re.compile(r"\w+")


@dataclass
class Page:
    name: str
    url: str | None
    html: str
    expected: dict


def load_pages() -> list[Page]:
    pages = []
    demo = json.loads((FIXTURES / "demo_site_expected.json").read_text(encoding="utf-8"))
    for path, expected in sorted(demo.items()):
        if path.startswith("_"):
            continue
        file = SITE_DIR / (path.strip("/") + ".html")
        pages.append(Page(path, DEMO_ORIGIN + quote(path), decode_body(file.read_bytes()), expected))
    for file in sorted((FIXTURES / "pages").glob("*.html")):
        expected = json.loads(file.with_suffix(".expected.json").read_text(encoding="utf-8"))
        if "_error" not in expected:
            pages.append(Page(file.stem, expected.get("_url"), decode_body(file.read_bytes()), expected))
    return pages


def ours(page: Page) -> dict:
    post = extract_post(page.html, page.url)
    return {
        "title": post.title, "author": post.author, "published": post.published,
        "published_date": (post.published or "")[:10] or None, "updated": post.updated, "tags": post.tags,
        "categories": post.categories, "headings": [[s.level, s.heading] for s in post.sections if s.heading],
        "images": [vars(i) for i in post.images], "body": post.body_text,
    }


def baseline(page: Page) -> dict:
    meta = trafilatura.extract_metadata(page.html, default_url=page.url)
    body = trafilatura.extract(page.html, url=page.url) or ""
    return {
        "title": meta.title if meta else None, "author": meta.author if meta else None,
        "published_date": meta.date if meta else None,
        "tags": list(meta.tags or []) if meta else [], "categories": list(meta.categories or []) if meta else [],
        "body": body,
    }


def expected_value(page: Page, field: str):
    if field == "published_date":
        value = page.expected.get("published")
        return (value[:10] if value else None) if "published" in page.expected else KeyError
    if field == "images" and "images" in page.expected:
        return [{**i, "alt": i.get("alt") or None} for i in page.expected["images"]]
    return page.expected.get(field, KeyError)


def normalise(field: str, value):
    if field == "images" and value is not None:
        return [{**i, "alt": i.get("alt") or None} for i in value]
    return value


def body_scores(extracted: str, expected: str) -> tuple[float, float, float]:
    got, want = Counter(TOKEN.findall(extracted.lower())), Counter(TOKEN.findall(expected.lower()))
    if not got and not want:  # an images-only post: nothing expected, nothing extracted
        return 1.0, 1.0, 1.0
    shared = sum((got & want).values())
    precision = shared / sum(got.values()) if got else 0.0
    recall = shared / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(pages: list[Page], results: list[dict], label: str, verbose: bool) -> dict:
    report: dict = {}
    for field in FIELDS:
        checks = []
        for page, result in zip(pages, results):
            want = expected_value(page, field)
            if want is KeyError or field not in result:
                continue
            right = normalise(field, result[field]) == want
            checks.append(right)
            if verbose and not right:
                print(f"  [{label}] {page.name} {field}: got {result[field]!r}, want {want!r}")
        if checks:
            report[field] = (sum(checks) / len(checks), len(checks))
    bodies = [body_scores(r["body"], p.expected["body_text"]) for p, r in zip(pages, results)
              if "body_text" in p.expected]
    if bodies:
        report["body"] = tuple(mean(s[i] for s in bodies) for i in range(3)) + (len(bodies),)
        if verbose:
            for page, result in zip(pages, results):
                if "body_text" in page.expected:
                    p, r, f = body_scores(result["body"], page.expected["body_text"])
                    if f < 0.97:
                        print(f"  [{label}] {page.name} body: P {p:.3f} R {r:.3f} F1 {f:.3f}")
    return report


def rate(func, pages: list[Page], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for page in pages:
            func(page)
    return rounds * len(pages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds over all pages")
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()
    pages = load_pages()
    mine, theirs = score(pages, [ours(p) for p in pages], "ours", args.verbose), \
        score(pages, [baseline(p) for p in pages], "trafilatura", args.verbose)
    print(f"{len(pages)} fixture pages")
    print(f"{'field':<16}{'blog-archive':>14}{'trafilatura':>14}{'pages':>7}")
    for field in FIELDS:
        if field in mine:
            other = f"{theirs[field][0]:.3f}" if field in theirs else "-"
            print(f"{field:<16}{mine[field][0]:>14.3f}{other:>14}{mine[field][1]:>7}")
    if "body" in mine:
        for i, name in enumerate(("body precision", "body recall", "body F1")):
            print(f"{name:<16}{mine['body'][i]:>14.3f}{theirs['body'][i]:>14.3f}{mine['body'][3]:>7}")
    ours_rate = rate(ours, pages, args.rounds)
    base_rate = rate(baseline, pages, args.rounds)
    print(f"pages/s: blog-archive {ours_rate:.1f}, trafilatura extract+metadata {base_rate:.1f} "
          f"(our time per page = {base_rate / ours_rate:.2f} x trafilatura's)")


if __name__ == "__main__":
    main()
