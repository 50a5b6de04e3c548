"""What opening an archive costs: N posts (default 5,000) with their raw captures, as a crawl stores them.

    python benchmarks/open.py [--posts 5000] [--repeat 5]

A writer's open checks the file before its first write (the mark, SQLite's `pragma quick_check`, that it can
be written) and runs the upgrade transaction; a reader's open only reads the mark. Both are timed against
the baseline of a bare sqlite3 connection counting the posts, measured in the same run on the same file,
with the file in the page cache (the median of --repeat opens after one warm-up). From a cold cache,
quick_check reads the whole file once more: add the file's size over the disk's read speed.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.dbfile import check_integrity, connect  # noqa: E402
from archive.store import open_archive  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import build  # noqa: E402  (benchmarks/export.py: the same generated archive)


def baseline(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("select count(*) from posts").fetchone()
    conn.close()


def quick_check(db_path: Path) -> None:
    db = connect(db_path, write=False)
    check_integrity(db, db_path)
    db.close()


def open_for_writing(db_path: Path) -> None:
    open_archive(db_path).close()


def open_for_reading(db_path: Path) -> None:
    open_archive(db_path, create=False).close()


def median_ms(func, db_path: Path, repeat: int) -> float:
    func(db_path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func(db_path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "open-bench.db"
        started = time.perf_counter()
        build(db_path, args.posts)
        print(f"{args.posts:,} posts built in {time.perf_counter() - started:.0f} s; "
              f"{db_path.stat().st_size / 1e6:.0f} MB")
        base = median_ms(baseline, db_path, args.repeat)
        print(f"{'open':<22}{'ms':>9}{'x baseline':>12}")
        print(f"{'baseline (sqlite3)':<22}{base:>9.1f}{1:>12.1f}")
        for name, func in (("quick_check alone", quick_check), ("for reading", open_for_reading),
                           ("for writing", open_for_writing)):
            took = median_ms(func, db_path, args.repeat)
            print(f"{name:<22}{took:>9.1f}{took / base:>12.1f}")


if __name__ == "__main__":
    main()
