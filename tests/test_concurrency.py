"""Two commands on one archive at once, as real processes: writers take turns, and one that waits too long
says which process holds the archive."""
from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

from processes import FIXTURES, SEED, hold, lines, run, start

DUMPS = sorted((FIXTURES / "dumps").glob("*.txt"))


def test_four_imports_at_once_into_a_new_archive_all_finish(tmp_path):
    db_path = tmp_path / "archive.db"
    processes = [start("import", dump, "--db", db_path) for dump in DUMPS[:4]]
    results = [(p, *p.communicate(timeout=60)) for p in processes]
    assert [(p.returncode, lines(err)[-1]) for p, _, err in results] == [
        (0, f"1 new, 0 changed, 0 unchanged, 0 gone, 0 skipped, 0 failed -> {db_path}")] * 4
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 4


def test_two_crawls_an_import_and_a_reextract_at_once_all_finish(site, tmp_path):
    db_path = tmp_path / "archive.db"
    assert run("import", SEED, "--db", db_path).returncode == 0
    processes = [start("crawl", site.origin, "--db", db_path, "--delay", "0", "--quiet"),
                 start("crawl", site.origin, "--db", db_path, "--delay", "0", "--quiet"),
                 start("import", *DUMPS[:3], "--db", db_path, "--quiet"),
                 start("reextract", "--db", db_path, "--quiet")]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from posts where url like ?", [site.origin + "/%"]).fetchone()[0] == 9
        assert conn.execute("select count(*) from runs where finished_at is not null").fetchone()[0] == 2


def test_a_writer_waits_while_another_holds_the_archive_then_writes(tmp_path):
    db_path = tmp_path / "archive.db"
    assert run("import", DUMPS[0], "--db", db_path).returncode == 0
    holder = hold(db_path, 1.5)  # it writes, so a writer that read before it committed could not go on
    started = time.monotonic()
    result = run("import", SEED, "--db", db_path)
    holder.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 1.0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 2
        assert conn.execute("select count(*) from runs where site = 'holder'").fetchone()[0] == 1


def test_a_wait_past_the_limit_names_the_process_holding_the_archive(tmp_path):
    db_path = tmp_path / "archive.db"
    assert run("import", DUMPS[0], "--db", db_path).returncode == 0
    holder = hold(db_path, 30)
    try:
        started = time.monotonic()
        result = run("import", SEED, "--db", db_path, env={"BLOG_ARCHIVE_WAIT": "1"})
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert len(lines(result.stderr)) == 1
    assert result.stderr.startswith(f"Error: {db_path} is busy: process {holder.pid} (python")
    assert "BLOG_ARCHIVE_WAIT" in result.stderr
    assert elapsed < 10


def test_a_writer_killed_mid_transaction_holds_nothing_and_wrote_nothing(tmp_path):
    db_path = tmp_path / "archive.db"
    assert run("import", DUMPS[0], "--db", db_path).returncode == 0
    holder = hold(db_path, 30)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    result = run("import", SEED, "--db", db_path, env={"BLOG_ARCHIVE_WAIT": "5"})
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 5
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from runs where site = 'holder'").fetchone()[0] == 0


def test_ctrl_c_while_waiting_for_the_archive_ends_at_once(tmp_path):
    db_path: Path = tmp_path / "archive.db"
    assert run("import", DUMPS[0], "--db", db_path).returncode == 0
    holder = hold(db_path, 30)
    try:
        waiting = start("import", SEED, "--db", db_path)
        time.sleep(1.5)  # started, checked the archive, and now waits for the holder
        waiting.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        _, err = waiting.communicate(timeout=20)
        took = time.monotonic() - interrupted
    finally:
        holder.kill()
        holder.wait()
    assert (waiting.returncode, lines(err)) == (130, ["Interrupted: what was saved so far is kept; run again to finish."])
    assert took < 2
