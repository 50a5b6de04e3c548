"""The SQLite archive: shape, idempotent saves, refusing files that are not archives."""
from __future__ import annotations

import sqlite3
import zlib

import pytest

from archive.store import Capture, find_post, load_post, open_archive, save_capture, save_post
from scraper.errors import ArchiveError
from scraper.models import Image, Post, Section


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
    bodies = [zlib.decompress(r["body"]) for r in db.query("select body from pages order by id")]
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


def test_archive_only_fields_read_back_but_stay_out_of_to_dict(db_path):
    db = open_archive(db_path)
    post = sample_post(author="Natalie Cheary", author_account="Office Manager",
                       translations={"es": "https://www.example-clinic.com/es/post/cupping-101"},
                       aliases=["https://www.example-clinic.com/single-post/cupping-101"])
    save_post(db, post)
    loaded = load_post(db, find_post(db, post.url))
    assert (loaded.author_account, loaded.translations, loaded.aliases) == (
        "Office Manager", {"es": "https://www.example-clinic.com/es/post/cupping-101"},
        ["https://www.example-clinic.com/single-post/cupping-101"])
    assert not {"author_account", "translations", "aliases"} & set(loaded.to_dict())


def test_an_alias_is_kept_when_a_later_save_does_not_name_it(db_path):
    db = open_archive(db_path)
    save_post(db, sample_post(aliases=["https://www.example-clinic.com/single-post/cupping-101"]))
    save_post(db, sample_post(title="Cupping 101, revised"))
    assert load_post(db, find_post(db, sample_post().url)).aliases == [
        "https://www.example-clinic.com/single-post/cupping-101"]
