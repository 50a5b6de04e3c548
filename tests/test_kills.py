"""Kills and Ctrl-C at the wrong moment, in real processes: SIGKILL at every SQL statement of creating an
archive and of rebuilding its search index, Ctrl-C while the command starts, while a server trickles a
response and while a writer waits for the archive."""
from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from processes import SEED, hold, lines, run, start

from archive.search import search
from archive.store import open_archive, save_post
from scraper.demo import SITE_DIR, serve_site
from scraper.demo.server import SiteHandler
from scraper.models import Post, Section

INTERRUPTED = "Interrupted: what was saved so far is kept; run again to finish."

# Runs a task (create an archive, or rebuild a copy's search index) in a forked child once per SQL statement
# that changes something (a write, a schema change, a transaction's start or end, a pragma setting), the child
# SIGKILLing itself as SQLite starts the n-th; prints how many there were. (Reads in between are left out:
# a kill there is the same as a kill before the next write, and the test stays quick.)
KILL_AT_EVERY_STATEMENT = r"""
import os, re, shutil, signal, sqlite3, sys
from pathlib import Path
from archive.search import rebuild_index
from archive.store import open_archive

task, folder, template = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]

CHANGE = re.compile(r"\s*(insert|update|delete|replace|create|drop|alter|begin|commit|end|rollback|savepoint|"
                    r"release|pragma\s+\w+\s*=)", re.I)

def run_and_die_at(n, path):
    count = 0
    def trace(sql):
        nonlocal count
        if not CHANGE.match(sql):
            return
        count += 1
        if count == n:
            os.kill(os.getpid(), signal.SIGKILL)
    if task == "create":
        connect = sqlite3.connect
        def traced_connect(*args, **kwargs):
            conn = connect(*args, **kwargs)
            conn.set_trace_callback(trace)
            return conn
        sqlite3.connect = traced_connect
        open_archive(path)
    else:
        db = open_archive(path)
        db.conn.set_trace_callback(trace)
        rebuild_index(db)

for n in range(1, 2000):
    path = folder / f"killed-at-{n:04d}.db"
    if template:
        shutil.copy(template[0], path)
    child = os.fork()
    if child == 0:
        try:
            run_and_die_at(n, path)
        finally:
            os._exit(0)
    _, status = os.waitpid(child, 0)
    if not os.WIFSIGNALED(status):
        path.unlink()
        print(n - 1)
        break
"""


def kill_at_every_statement(task: str, folder: Path, template: Path | None = None) -> list[Path]:
    folder.mkdir()
    done = subprocess.run([sys.executable, "-c", KILL_AT_EVERY_STATEMENT, task, str(folder),
                           *([str(template)] if template else [])], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    killed = sorted(folder.glob("killed-at-*.db"))
    assert len(killed) == int(done.stdout) > 10
    return killed


def sample(slug: str, text: str) -> Post:
    return Post(url=f"https://www.wildflower.example/post/{slug}", title=slug.title(), published="2024-01-01",
                sections=[Section(None, 1, text, f"<p>{text}</p>")])


def assert_search_is_whole(db) -> None:
    """Rows written now are found, and FTS5's own check finds the index in step with the tables."""
    save_post(db, sample("moxa", "Mugwort warms the point."))
    assert [hit.title for hit in search(db, "mugwort")] == ["Moxa"]
    for table in ("posts_fts", "sections_fts"):
        db.conn.execute(f"insert into {table}({table}) values ('integrity-check')")


def test_a_kill_at_any_statement_of_creating_an_archive_never_loses_search(tmp_path):
    for path in kill_at_every_statement("create", tmp_path / "kills"):
        assert_search_is_whole(open_archive(path))


def test_a_kill_at_any_statement_of_a_rebuild_never_breaks_search(tmp_path):
    template = tmp_path / "template.db"
    db = open_archive(template)
    for n, words in enumerate(["Numbness and tingling.", "Numbness at night.", "Sleep and numbness."]):
        save_post(db, sample(f"post-{n}", words))
    db.close()
    for path in kill_at_every_statement("rebuild", tmp_path / "kills", template):
        reader = open_archive(path, create=False)  # search works as it is, before any writer repairs anything
        assert len(search(reader, "numbness")) == 3
        reader.close()
        assert_search_is_whole(open_archive(path))


@pytest.fixture
def big_archive(tmp_path: Path) -> Path:
    """1,500 posts of 1,200 random words each: rebuilding their search index takes seconds."""
    db_path = tmp_path / "big.db"
    db = open_archive(db_path)
    rng = random.Random(11)
    words = [f"w{n}" for n in range(20_000)]
    with db.atomic():
        db.conn.executemany("insert into posts (id, url, title, body_text) values (?, ?, ?, ?)",
                            [(n, f"https://www.wildflower.example/post/{n}", f"Post {n}",
                              " ".join(rng.choices(words, k=600))) for n in range(1, 1501)])
        db.conn.executemany("insert into sections (post_id, position, heading, level, text, html) "
                            "values (?, ?, ?, 2, ?, '')", [(n, i, f"Part {i}", " ".join(rng.choices(words, k=300)))
                                                           for n in range(1, 1501) for i in range(2)])
    db.close()
    return db_path


def test_ctrl_c_during_a_long_rebuild_ends_it_at_once_and_keeps_the_index(big_archive):
    before = [hit.url for hit in search(open_archive(big_archive, create=False), "w17 w4242", limit=50)]
    rebuild = start("search", "--rebuild", "--db", big_archive)
    wal = big_archive.with_name(big_archive.name + "-wal")
    deadline = time.monotonic() + 30
    while not (wal.exists() and wal.stat().st_size > 2_000_000) and time.monotonic() < deadline:
        time.sleep(0.02)  # the rebuild is under way: its one transaction fills the write-ahead log
    rebuild.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, err = rebuild.communicate(timeout=60)
    assert (rebuild.returncode, lines(err)) == (130, [INTERRUPTED])
    assert time.monotonic() - interrupted < 1.5
    db = open_archive(big_archive)
    assert [hit.url for hit in search(db, "w17 w4242", limit=50)] == before != []
    for table in ("posts_fts", "sections_fts"):
        db.conn.execute(f"insert into {table}({table}) values ('integrity-check')")


@pytest.mark.parametrize("after", [0.1, 0.2, 0.3])
def test_ctrl_c_while_the_command_starts_is_one_line_and_exit_130(tmp_path, after):
    db_path = tmp_path / "archive.db"
    process = start("import", SEED, "--db", db_path)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    # (On a machine so loaded that Python has not started yet, the signal ends it silently: -SIGINT, no output;
    # on a quick one the import is done before the signal comes, and keeps its outcome.)
    done = (0, [f"1 new, 0 changed, 0 unchanged, 0 gone, 0 skipped, 0 failed -> {db_path}"])
    assert (process.returncode, lines(err)) in ((130, [INTERRUPTED]), (-signal.SIGINT, []), done)
    if db_path.exists():
        assert open_archive(db_path)["posts"].count in (0, 1)


class TrickleHandler(SiteHandler):
    """The sample site, whose posts come one byte every 0.1 s and never end."""

    stop = threading.Event()

    def do_GET(self) -> None:  # noqa: N802
        if not self.path.startswith("/post/"):
            return super().do_GET()
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        try:
            while not TrickleHandler.stop.wait(0.1):
                self.wfile.write(b" ")
                self.wfile.flush()
        except OSError:  # the crawler went away
            pass


@pytest.fixture
def trickling_site():
    TrickleHandler.stop.clear()
    with serve_site(SITE_DIR, handler=TrickleHandler) as server:
        try:
            yield server
        finally:
            TrickleHandler.stop.set()


def test_ctrl_c_while_a_server_trickles_a_response_ends_the_crawl_at_once(trickling_site, tmp_path):
    db_path = tmp_path / "archive.db"
    crawl = start("crawl", trickling_site.origin, "--db", db_path, "--delay", "0")  # default concurrency
    deadline = time.monotonic() + 30
    while not any(path.startswith("/post/") for path in trickling_site.requests) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    crawl.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    try:
        _, err = crawl.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        crawl.kill()
        crawl.communicate()
        pytest.fail("the crawl was still running 10 s after Ctrl-C")
    assert (crawl.returncode, lines(err)[-1:]) == (130, [INTERRUPTED])
    assert "Traceback" not in err
    assert time.monotonic() - interrupted < 2
    db = open_archive(db_path)  # consistent: a writer opens it, and the run is left to be resumed
    assert [r["finished_at"] for r in db.query("select finished_at from runs")] == [None]


def test_serve_stops_on_ctrl_c_with_one_line_and_exit_130(tmp_path):
    db_path = tmp_path / "archive.db"
    assert run("import", SEED, "--db", db_path).returncode == 0
    server = start("serve", "--db", db_path, "--port", "0")
    assert server.stderr.readline().startswith(f"Serving {db_path} read-only at http://127.0.0.1:")
    server.send_signal(signal.SIGINT)
    _, err = server.communicate(timeout=10)
    assert (server.returncode, lines(err)) == (130, ["Stopped."])


def test_an_archive_whose_writer_was_killed_mid_transaction_is_consistent(tmp_path):
    db_path = tmp_path / "archive.db"
    assert run("import", SEED, "--db", db_path).returncode == 0
    holder = hold(db_path, 30)
    holder.kill()
    holder.wait()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select count(*) from runs where site = 'holder'").fetchone() == (0,)
