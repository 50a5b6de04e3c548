"""Export speed and memory: N posts (default 5,000) in every format, against sqlite-utils dumping the same
posts table to JSON as the baseline, each in its own process, in the same run.

    python benchmarks/export.py [--posts 5000] [--formats markdown,wxr,ghost,jsonl,html,warc]

Prints wall time and peak RSS for each, and their ratios to the baseline. Exports stream posts one at a
time, so peak memory should stay near the baseline's whatever the archive's size.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.export import FORMATS  # noqa: E402
from archive.store import Capture, open_archive, save_post  # noqa: E402
from scraper.models import Image, Post, Section  # noqa: E402

WORDS = ("acupuncture needle meridian qi sleep herbs cupping neuropathy tingling numbness pain back neck stress "
         "fertility cycle spleen liver kidney warmth moxa gua sha tongue pulse patient treatment clinic").split()


def build(db_path: Path, posts: int) -> None:
    rng = random.Random(6)
    db = open_archive(db_path)
    for n in range(1, posts + 1):
        sections = [Section(None if i == 0 else f"Heading {n}.{i}", 1 if i == 0 else 2,
                            text := " ".join(rng.choices(WORDS, k=180)), f"<p>{text}</p>") for i in range(4)]
        url = f"https://www.clinic.example/post/post-{n}"
        post = Post(url=url, title=f"Post {n}: {' '.join(rng.choices(WORDS, k=5))}", author=f"Author {n % 5}",
                    published=f"20{15 + n % 10}-0{1 + n % 9}-1{n % 10}T10:00:00+00:00", sections=sections,
                    images=[Image(f"https://static.wixstatic.com/media/{n:06x}_{'a' * 32}~mv2.jpg", "alt", "cap")],
                    tags=[rng.choice(WORDS)], categories=[rng.choice(WORDS).title()], excerpt=sections[0].text[:200])
        body = f"<html><body><article><h1>{post.title}</h1>{post.body_html}</article></body></html>".encode()
        save_post(db, post, capture=Capture(url, body, "2024-06-01T00:00:00+00:00", 200, "text/html"))
    db.close()


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-500:]}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "export-bench.db"
        started = time.perf_counter()
        build(db_path, args.posts)
        print(f"{args.posts:,} posts built in {time.perf_counter() - started:.0f} s")
        base_time, base_rss = measure([sys.executable, "-m", "sqlite_utils", "rows", str(db_path), "posts"])
        print(f"{'format':<10}{'seconds':>9}{'peak MB':>9}{'time x':>8}{'memory x':>10}")
        print(f"{'baseline':<10}{base_time:>9.1f}{base_rss:>9.1f}{1:>8.2f}{1:>10.2f}   (sqlite-utils rows posts -> JSON)")
        for fmt in args.formats.split(","):
            seconds, rss = measure([sys.executable, "-m", "archive.cli", "export", fmt, str(Path(folder) / fmt),
                                    "--db", str(db_path)])
            print(f"{fmt:<10}{seconds:>9.1f}{rss:>9.1f}{seconds / base_time:>8.2f}{rss / base_rss:>10.2f}")


if __name__ == "__main__":
    main()
