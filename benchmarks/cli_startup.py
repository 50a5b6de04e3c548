"""How long the quick commands take as whole processes, side by side with `sqlite-utils search` on the same archive.

    python benchmarks/cli_startup.py [--runs 20] [--posts N] [--query acupuncture]

The archive is the demo's (`blog-archive demo`, 9 posts), or with --posts a generated one of N posts
(benchmarks/search.py's generator). Each round runs every command once, as a new process, in a rotating
order, so the baseline and ours meet the same machine load (this machine is shared); the figures are the
medians over --runs rounds after one warm-up round. The baseline is `sqlite-utils search ARCHIVE posts QUERY`
(sqlite-utils is a dependency, installed beside blog-archive), and `python -c pass` is the interpreter's
own start. Targets (issue 12): search, list and show no slower than the baseline; `--help` within 0.3 s.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the console scripts of this environment
HELP_TARGET = 0.3
# As a user's machine runs them: Python writes the .pyc files of our modules on the first run and reads them
# after (pip already wrote those of the installed dependencies), even where this shell forbids writing them.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def script(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed here: pip install -e . (it brings sqlite-utils too)")
    return found


def demo_archive(folder: Path) -> Path:
    db = folder / "demo.db"
    subprocess.run([script("blog-archive"), "demo", "--db", str(db), "--quiet"], check=True, cwd=folder,
                   stderr=subprocess.DEVNULL)
    return db


def generated_archive(folder: Path, posts: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from search import build  # benchmarks/search.py: bulk-generated posts, indexed as a crawl would index them

    db = folder / f"generated-{posts}.db"
    build(db, posts, random.Random(2026))
    return db


def commands(db: Path, query: str, slug: str) -> dict[str, list[str]]:
    ours, theirs = script("blog-archive"), script("sqlite-utils")
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "sqlite-utils search (baseline)": [theirs, "search", str(db), "posts", query],
        "blog-archive search": [ours, "search", query, "--db", str(db)],
        "blog-archive list": [ours, "list", "--db", str(db)],
        "blog-archive show": [ours, "show", slug, "--db", str(db)],
        "blog-archive --help": [ours, "--help"],
    }


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENVIRONMENT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed rounds (after one warm-up round)")
    parser.add_argument("--posts", type=int, help="a generated archive of N posts instead of the demo's")
    parser.add_argument("--query", default="acupuncture", help="the search (default: a word of the demo's posts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db = generated_archive(folder, args.posts) if args.posts else demo_archive(folder)
        with sqlite3.connect(db) as connection:
            count, slug = connection.execute("select count(*), min(slug) from posts").fetchone()
            query = args.query
            if args.posts and args.query == "acupuncture":  # a word the generated posts use
                query = connection.execute("select substr(title, 1, instr(title || ' ', ' ') - 1) from posts "
                                           "limit 1").fetchone()[0]
        runs = commands(db, query, slug)
        names = list(runs)
        times: dict[str, list[float]] = {name: [] for name in names}
        for round_number in range(args.runs + 1):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                seconds = timed(runs[name])
                if round_number:  # round 0 warms the page cache and the .pyc files
                    times[name].append(seconds)
    baseline = statistics.median(times["sqlite-utils search (baseline)"])
    print(f"{count:,} posts, query {query!r}, {args.runs} rounds; median and fastest wall time of a whole process")
    print(f"{'command':<32}{'median ms':>10}{'min ms':>8}{'vs baseline':>13}")
    for name in names:
        median = statistics.median(times[name])
        print(f"{name:<32}{median * 1000:>10.0f}{min(times[name]) * 1000:>8.0f}{median / baseline:>12.2f}x")
    quick = ["blog-archive search", "blog-archive list", "blog-archive show"]
    slowest = max(quick, key=lambda name: statistics.median(times[name]))
    ratio = statistics.median(times[slowest]) / baseline
    help_median = statistics.median(times["blog-archive --help"])
    print(f"target: search, list, show <= baseline: {'met' if ratio <= 1 else 'NOT met'} "
          f"(slowest: {slowest.split()[-1]}, {ratio:.2f}x)")
    print(f"target: --help <= {HELP_TARGET} s: {'met' if help_median <= HELP_TARGET else 'NOT met'} "
          f"({help_median:.3f} s)")


if __name__ == "__main__":
    main()
