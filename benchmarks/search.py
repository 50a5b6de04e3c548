"""Search speed on a generated archive of N posts (default 50,000; ~800 words in several sections each).

    python benchmarks/search.py [--posts 50000] [--queries 40] [--scans 5] [--keep PATH | --archive PATH]

Reports the median and p95 latency of archive.search.search (ranked hits with the best section's
snippet) for 1-, 2- and 3-word queries and a phrase. The baseline, measured in the same run on the same
data, is a LIKE '%word%' scan of title and body (every word required). It also reports the index build
time and the database size as a ratio of the raw text. Words follow a Zipf-like distribution over a
fixed vocabulary, so queries mix common and rare words as real ones do. --archive queries an archive kept
by an earlier --keep run instead of building one (to time two versions of the code on the same file).
"""
from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from archive.search import ensure_index, search
from archive.store import enable_fast_reads, open_archive

VOCABULARY_SIZE = 40_000  # a clinic blog archive's vocabulary, Zipf-distributed like real text
SYLLABLES = ("ac", "u", "punc", "ture", "neu", "ro", "pa", "thy", "sle", "ep", "herb", "al", "cup", "ping", "qi",
             "meri", "dian", "pain", "back", "neck", "stress", "fer", "til", "ity", "moxa", "gua", "sha", "yin",
             "yang", "liv", "er", "spleen", "kid", "ney", "heat", "cold", "damp", "wind", "blood", "flow")


def vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCABULARY_SIZE:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def build(db_path: Path, posts: int, rng: random.Random) -> tuple[int, float, list[str], list[float]]:
    """Fill an archive in bulk; return raw text bytes, index build seconds, the vocabulary and its weights."""
    words = vocabulary(rng)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))  # cumulative: fast choices
    db = open_archive(db_path)
    for table in ("posts", "sections"):  # bulk load first, index after, as a migration would
        db[table].disable_fts()
    raw = 0
    batch_posts, batch_sections = [], []
    for n in range(1, posts + 1):
        sections = []
        for position in range(rng.randint(3, 6)):
            heading = None if position == 0 else " ".join(rng.choices(words, cum_weights=weights, k=3)).title()
            text = "\n\n".join(" ".join(rng.choices(words, cum_weights=weights, k=rng.randint(40, 70))) + "."
                               for _ in range(rng.randint(2, 4)))
            sections.append((heading, text))
        title = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(3, 7))).title()
        body = "\n\n".join(f"{h}\n\n{t}" if h else t for h, t in sections)
        raw += len(title) + len(body)
        batch_posts.append({"id": n, "url": f"https://clinic{n % 50}.example/post/p{n}", "site": f"clinic{n % 50}.example",
                            "slug": f"p{n}", "title": title, "author": f"Author {n % 7}",
                            "published": f"20{10 + n % 15:02d}-0{1 + n % 9}-1{n % 10}", "status": "active",
                            "excerpt": body[:200], "body_text": body,
                            "headings": "\n".join(h for h, _ in sections if h)})
        batch_sections += [{"post_id": n, "position": i, "heading": h, "level": 2 if h else 1, "text": t, "html": ""}
                           for i, (h, t) in enumerate(sections)]
        if len(batch_posts) == 2000:
            _flush(db, batch_posts, batch_sections)
    _flush(db, batch_posts, batch_sections)
    started = time.perf_counter()
    ensure_index(db)
    build_seconds = time.perf_counter() - started
    db.execute("vacuum")
    db.close()
    return raw, build_seconds, words, weights


def _flush(db, posts: list, sections: list) -> None:
    with db.atomic():
        db["posts"].insert_all(posts)
        db["sections"].insert_all(sections)
    posts.clear()
    sections.clear()


def queries(rng: random.Random, db, words: list[str], posts: int, count: int) -> dict[str, list[list[str]]]:
    """Queries as people make them: topic words (ranks 200-20,000, found in ~0.1-5 % of posts), and words
    that occur together, taken from one post (several words) or side by side in it (a phrase)."""
    rank = {word: n for n, word in enumerate(words)}

    def topic_words(post_id: int) -> tuple[list[str], list[str]]:
        text = db.execute("select body_text from posts where id = ?", [post_id]).fetchone()[0].lower()
        tokens = re.findall(r"\w+", text)
        return [t for t in tokens if 200 <= rank.get(t, 0) < 20_000], tokens

    kinds: dict[str, list[list[str]]] = {"1 word": [], "2 words": [], "3 words": [], "phrase": []}
    middle = words[200:20_000]
    kinds["1 word"] = [[rng.choice(middle)] for _ in range(count)]
    while min(len(kinds[k]) for k in ("2 words", "3 words", "phrase")) < count:
        topical, tokens = topic_words(rng.randint(1, posts))
        if len(set(topical)) >= 3:
            kinds["2 words"].append(rng.sample(sorted(set(topical)), 2))
            kinds["3 words"].append(rng.sample(sorted(set(topical)), 3))
        pairs = [(a, b) for a, b in zip(tokens, tokens[1:]) if 200 <= rank.get(b, 0) < 20_000]
        if pairs:
            kinds["phrase"].append(list(rng.choice(pairs)))
    return {kind: items[:count] for kind, items in kinds.items()}


def latencies(func, items: list) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        func(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=40, help="indexed queries per kind")
    parser.add_argument("--scans", type=int, default=5, help="LIKE scans per kind (each reads every post)")
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it")
    parser.add_argument("--archive", type=Path, help="query this archive, kept by an earlier --keep run")
    args = parser.parse_args()
    rng = random.Random(2026)
    folder = tempfile.TemporaryDirectory()
    if args.archive:
        db_path, words = args.archive, vocabulary(random.Random(2026))  # the words build() drew first
        print(f"{args.archive}: {db_path.stat().st_size / 1e6:.0f} MB")
    else:
        db_path = args.keep or Path(folder.name) / "search-bench.db"
        started = time.perf_counter()
        raw, build_seconds, words, _ = build(db_path, args.posts, rng)
        print(f"{args.posts:,} posts, {raw / 1e6:.0f} MB of text, generated in {time.perf_counter() - started:.0f} s")
        print(f"index build: {build_seconds:.1f} s; database {db_path.stat().st_size / 1e6:.0f} MB = "
              f"{db_path.stat().st_size / raw:.2f} x the raw text")
    db = enable_fast_reads(open_archive(db_path, create=False))  # as `blog-archive search` opens it
    posts = db["posts"].count
    print(f"{'query':<9}{'median ms':>11}{'p95 ms':>9}{'LIKE median ms':>16}{'speed-up':>10}{'avg hits':>10}")
    for kind, items in queries(rng, db, words, posts, args.queries).items():
        phrase = kind == "phrase"

        def fts(terms: list[str], phrase: bool = phrase) -> list:
            return search(db, '"' + " ".join(terms) + '"' if phrase else " ".join(terms), limit=20)

        def scan(terms: list[str], phrase: bool = phrase) -> list:
            needles = [" ".join(terms)] if phrase else terms
            where = " and ".join("(title like ? or body_text like ?)" for _ in needles)
            params = [p for needle in needles for p in (f"%{needle}%", f"%{needle}%")]
            return db.execute(f"select id from posts where {where}", params).fetchall()

        ours = latencies(fts, items)
        baseline = latencies(scan, items[: args.scans])
        hits = statistics.mean(len(fts(terms)) for terms in items)
        print(f"{kind:<9}{statistics.median(ours):>11.2f}{p95(ours):>9.2f}{statistics.median(baseline):>16.1f}"
              f"{statistics.median(baseline) / statistics.median(ours):>9.0f}x{hits:>10.1f}")


if __name__ == "__main__":
    main()
