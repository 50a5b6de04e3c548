"""The SQLite archive: shape, idempotent saves, refusing files that are not archives."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from processes import SEED, lines, run

from archive.dbfile import APPLICATION_ID
from archive.search import index_is_whole, search
from archive.store import (
    SCHEMA_VERSION,
    Capture,
    find_post,
    load_post,
    open_archive,
    page_body,
    save_capture,
    save_post,
)
from scraper.errors import ArchiveError
from scraper.models import Image, Post, Section

# An archive as blog-archive made it before archives carried a mark (commit 8e4e06d), with one post.
UNMARKED = Path(__file__).parent / "fixtures" / "archives" / "unmarked-8e4e06d.sqlite"


def sample_post(url: str = "https://www.example-clinic.com/post/cupping-101", **changes) -> Post:
    post = Post(url=url, title="Cupping 101", author="Laura Mann", published="2023-01-02", updated=None,
                sections=[Section(None, 1, "Intro text.", "<p>Intro text.</p>"),
                          Section("How it works", 2, "Suction.", "<p>Suction.</p>")],
                images=[Image("https://static.wixstatic.com/media/a.jpg", "Cups", "Fire cupping")],
                tags=["pain"], categories=["Cupping"], excerpt="Intro text.",
                author_url="https://www.example-clinic.com/profile/lauramann/profile")
    for key, value in changes.items():
        setattr(post, key, value)
    return post


def test_new_archive_has_the_contract_tables(db_path):
    db = open_archive(db_path)
    assert {"posts", "sections", "images", "tags", "pages"} <= set(db.table_names())
    assert {"id", "url", "site", "slug", "title", "author", "published", "updated", "excerpt", "body_text",
            "body_html", "content_hash", "status", "first_seen", "last_seen"} <= set(db["posts"].columns_dict)
    assert db.journal_mode == "wal"


def test_saved_post_reads_back_identical(db_path):
    db = open_archive(db_path)
    post = sample_post()
    assert save_post(db, post) == "new"
    loaded = load_post(db, find_post(db, post.url))
    assert loaded.to_dict() == post.to_dict()
    assert loaded.author_url == post.author_url


def test_saving_again_updates_in_place_by_url(db_path):
    db = open_archive(db_path)
    save_post(db, sample_post())
    assert save_post(db, sample_post()) == "unchanged"
    assert save_post(db, sample_post(title="Cupping, revised")) == "changed"
    assert db["posts"].count == 1
    assert db["sections"].count == 2
    assert db["tags"].count == 2
    assert next(db.query("select title from posts"))["title"] == "Cupping, revised"


def test_same_capture_is_stored_once(db_path):
    db = open_archive(db_path)
    capture = Capture("https://x.example/post/a", b"<html>same</html>", "2024-01-01T00:00:00+00:00", 200)
    save_capture(db, capture)
    save_capture(db, capture)
    save_capture(db, Capture("https://x.example/post/a", b"<html>new</html>", "2024-02-01T00:00:00+00:00", 200))
    bodies = [page_body(db, r) for r in db.query("select * from pages order by id")]
    assert bodies == [b"<html>same</html>", b"<html>new</html>"]


def test_failed_save_leaves_nothing_half_written(db_path):
    db = open_archive(db_path)
    bad = sample_post(url="https://www.example-clinic.com/post/bad")
    bad.sections.append(Section("Broken", 2, object(), "<p>x</p>"))  # not storable: the insert fails midway
    with pytest.raises(TypeError):
        save_post(db, bad)
    assert db["posts"].count == 0
    assert db["sections"].count == 0


def test_slug_lookup_finds_the_post(db_path):
    db = open_archive(db_path)
    save_post(db, sample_post())
    assert find_post(db, "cupping-101")["title"] == "Cupping 101"
    assert find_post(db, "HTTPS://WWW.EXAMPLE-CLINIC.COM/post/cupping-101/")["title"] == "Cupping 101"
    assert find_post(db, "no-such-post") is None


def test_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database" * 10)
    before = path.read_bytes()
    with pytest.raises(ArchiveError, match="not a blog-archive database"):
        open_archive(path)
    assert path.read_bytes() == before


def test_missing_archive_is_not_created_for_reading(tmp_path):
    with pytest.raises(ArchiveError, match="no archive"):
        open_archive(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_sqlite_file_of_another_tool_is_refused_for_reading(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table things (id integer)")
    with pytest.raises(ArchiveError, match="no posts table"):
        open_archive(path, create=False)


def another_programs_file(path: Path, *, application_id: int = 0) -> bytes:
    """An SQLite file of some other program that happens to have a posts table; returns its bytes."""
    with sqlite3.connect(path) as conn:
        conn.execute("create table posts (id integer primary key, url text, title text, body text)")
        conn.execute("create table users (id integer primary key, name text)")
        conn.execute("insert into posts (url, title, body) values ('/hello', 'Hello', 'World')")
        conn.execute(f"pragma application_id = {application_id}")
    conn.close()
    return path.read_bytes()


def test_another_programs_file_with_a_posts_table_is_refused_unchanged(tmp_path):
    path = tmp_path / "notes.db"
    before = another_programs_file(path)
    with pytest.raises(ArchiveError, match="not a blog-archive database .no blog-archive mark, and tables an archive "
                                           "never has: users"):
        open_archive(path)
    assert path.read_bytes() == before


def test_another_programs_marked_file_is_refused_unread(tmp_path):
    path = tmp_path / "notes.db"
    before = another_programs_file(path, application_id=0x12345678)
    with pytest.raises(ArchiveError, match="marked as another program's"):
        open_archive(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # not even a -wal or -shm beside it


def test_import_into_another_programs_file_is_one_error_line_and_no_change(tmp_path):
    path = tmp_path / "notes.db"
    before = another_programs_file(path)
    result = run("import", SEED, "--db", path)
    assert result.returncode == 1
    assert lines(result.stderr) == [f"Error: {path} is not a blog-archive database (no blog-archive mark, and tables "
                                    f"an archive never has: users)"]
    assert path.read_bytes() == before


def test_new_archive_carries_the_mark_and_the_schema_version(db_path):
    open_archive(db_path).close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma application_id").fetchone() == (APPLICATION_ID,)
        assert conn.execute("pragma user_version").fetchone() == (SCHEMA_VERSION,)


def test_an_archive_made_before_marks_is_read_unchanged_then_marked_by_a_writer(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(UNMARKED, path)
    reader = open_archive(path, create=False)
    assert [r["title"] for r in reader.query("select title from posts")] == ["Herbal Teas for Better Digestion"]
    reader.close()
    assert path.read_bytes() == UNMARKED.read_bytes()
    db = open_archive(path)
    assert (db.execute("pragma application_id").fetchone()[0], db.execute("pragma user_version").fetchone()[0]) == (
        APPLICATION_ID, SCHEMA_VERSION)
    assert index_is_whole(db)
    assert [hit.title for hit in search(db, "digestion")] == ["Herbal Teas for Better Digestion"]
    save_post(db, sample_post())
    assert [hit.title for hit in search(db, "suction")] == ["Cupping 101"]


def test_an_archive_made_before_marks_that_lost_its_triggers_is_reindexed(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(UNMARKED, path)
    with sqlite3.connect(path) as conn:  # what a kill during its creation left (issue 11), and a change since
        conn.execute("drop trigger posts_au")
        conn.execute("update posts set title = 'Ginger for Nausea'")
    conn.close()
    db = open_archive(path)
    assert [hit.title for hit in search(db, "ginger")] == ["Ginger for Nausea"]
    assert search(db, "herbal teas") == []


def test_archive_from_a_newer_version_is_refused_unchanged(db_path):
    open_archive(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"pragma user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()
    for create in (True, False):
        with pytest.raises(ArchiveError, match="written by a newer blog-archive"):
            open_archive(db_path, create=create)
    assert db_path.read_bytes() == before


def damaged_archive(path: Path) -> bytes:
    """An archive of 30 posts whose posts table's root page has flipped bytes; returns its bytes."""
    db = open_archive(path)
    for n in range(30):
        save_post(db, sample_post(f"https://www.example-clinic.com/post/p{n}", title=f"Post {n} " + "word " * 300))
    root = db.execute("select rootpage from sqlite_master where name = 'posts'").fetchone()[0]
    size = db.execute("pragma page_size").fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())
    for offset in range((root - 1) * size + 8, (root - 1) * size + 40):  # its cell pointers
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return bytes(data)


def test_archive_with_flipped_bytes_is_refused_before_any_write(db_path):
    before = damaged_archive(db_path)
    with pytest.raises(ArchiveError, match="is damaged .*nothing was written to it"):
        open_archive(db_path)
    assert db_path.read_bytes() == before
    result = run("import", SEED, "--db", db_path)
    assert result.returncode == 1 and len(lines(result.stderr)) == 1 and "is damaged" in result.stderr
    assert db_path.read_bytes() == before

