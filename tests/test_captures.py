"""Raw captures stored with zstd (a dictionary per site, re-captures against the previous capture) and read back
byte for byte; zlib archives of schema version 1 converted in place, in batches that a SIGKILL cannot spoil."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from capture_pages import page, paragraphs
from processes import hold, run

from archive import captures
from archive.search import search
from archive.store import SCHEMA_VERSION, Capture, convert_captures, open_archive, page_body, save_capture, save_post
from scraper.errors import ArchiveError
from scraper.models import Post, Section

ARCHIVES = Path(__file__).parent / "fixtures" / "archives"
V1 = ARCHIVES / "v1-zlib-262d37b.sqlite"  # written by blog-archive 262d37b itself (make_v1_zlib.py)
UNMARKED = ARCHIVES / "unmarked-8e4e06d.sqlite"
SITE = "www.wildflower.example"


def capture(slug: str, texts: list[str], *, template: str = SITE, site: str = SITE, day: int = 1) -> Capture:
    return Capture(f"https://{site}/post/{slug}", page(template, slug, texts), f"2024-03-{day:02d}T08:00:00+00:00",
                   200, "text/html; charset=utf-8")


def rows(db, where: str = "1", params: list | None = None) -> list[dict]:
    return list(db.query(f"select * from pages where {where} order by id", params or []))


def store_posts(db, count: int, *, template: str = SITE, prefix: str = "post") -> list[Capture]:
    stored = [capture(f"{prefix}-{n}", paragraphs(f"{prefix}-{n}"), template=template) for n in range(count)]
    for item in stored:
        save_capture(db, item)
    return stored


def changed(item: Capture, version: int) -> Capture:
    """The same page with one paragraph rewritten, fetched later."""
    slug = item.url.rsplit("/", 1)[1]
    texts = paragraphs(slug)
    texts[2] = f"Revised {version} times: " + texts[2]
    return capture(slug, texts, day=2 + version)


def test_every_capture_reads_back_byte_for_byte(db_path):
    db = open_archive(db_path)
    stored = store_posts(db, captures.DICTIONARY_SAMPLES + 3)
    stored += [changed(stored[0], 1), changed(stored[0], 2), changed(stored[1], 1)]
    for item in stored[-3:]:
        save_capture(db, item)
    assert [page_body(db, row) for row in rows(db)] == [item.body for item in stored]


def test_a_site_gets_a_dictionary_from_its_first_captures_and_every_capture_names_it(db_path):
    db = open_archive(db_path)
    store_posts(db, captures.DICTIONARY_SAMPLES - 1)
    assert db["dictionaries"].count == 0
    store_posts(db, 3, prefix="later")
    dictionary = next(db.query("select * from dictionaries"))
    assert dictionary["site"] == SITE
    assert {row["dictionary_id"] for row in rows(db)} == {dictionary["id"]}


def test_captures_against_the_site_dictionary_take_a_fraction_of_zlib(db_path):
    db = open_archive(db_path)
    stored = store_posts(db, 12)
    dictionaries = db.query("select body from dictionaries")
    ours = sum(len(row["body"]) for row in rows(db)) + sum(len(row["body"]) for row in dictionaries)
    assert ours * 5 < sum(len(zlib.compress(item.body, 6)) for item in stored)


def test_each_site_has_its_own_dictionary(db_path):
    db = open_archive(db_path)
    store_posts(db, captures.DICTIONARY_SAMPLES + 1)
    for n in range(captures.DICTIONARY_SAMPLES + 1):
        save_capture(db, capture(f"h-{n}", paragraphs(f"h-{n}"), template="harbour", site="www.harbour.example"))
    sites = {r["id"]: r["site"] for r in db.query("select id, site from dictionaries")}
    assert sorted(sites.values()) == ["www.harbour.example", SITE]
    assert all(sites[row["dictionary_id"]] == row["site"] for row in rows(db))


def test_a_changed_recapture_is_stored_against_the_previous_capture(db_path):
    db = open_archive(db_path)
    first = store_posts(db, captures.DICTIONARY_SAMPLES + 2)[-1]
    save_capture(db, changed(first, 1))
    previous, again = rows(db, "url = ?", [first.url])
    assert (again["base_id"], again["chain"], again["dictionary_id"]) == (previous["id"], 1, None)
    assert len(again["body"]) < len(previous["body"])


def test_recapture_chains_never_grow_past_the_bound(db_path):
    db = open_archive(db_path)
    first = store_posts(db, captures.DICTIONARY_SAMPLES + 1)[-1]
    versions = [changed(first, n) for n in range(1, captures.MAX_CHAIN + 4)]
    for item in versions:
        save_capture(db, item)
    history = rows(db, "url = ?", [first.url])
    assert [row["chain"] for row in history] == [*range(captures.MAX_CHAIN + 1), 0, 1, 2]
    assert [page_body(db, row) for row in history] == [first.body] + [item.body for item in versions]


def test_the_same_bytes_again_are_stored_once(db_path):
    db = open_archive(db_path)
    item = store_posts(db, captures.DICTIONARY_SAMPLES + 1)[0]
    save_capture(db, Capture(item.url, item.body, "2024-04-01T00:00:00+00:00", 200))
    assert [row["fetched_at"] for row in rows(db, "url = ?", [item.url])] == ["2024-04-01T00:00:00+00:00"]


def test_a_dictionary_that_stops_paying_is_retrained_on_the_new_pages(db_path):
    db = open_archive(db_path)
    store_posts(db, captures.DICTIONARY_SAMPLES + captures.CHECK_EVERY)
    store_posts(db, 2 * captures.CHECK_EVERY, template="redesign", prefix="new-look")  # the site changed its look
    old, new = list(db.query("select id from dictionaries order by id"))
    latest = rows(db, "url like ?", ["%new-look%"])[-captures.CHECK_EVERY // 2:]
    assert {row["dictionary_id"] for row in latest} == {new["id"]}
    before = rows(db, "dictionary_id = ? and url like ?", [old["id"], "%new-look%"])
    assert max(len(row["body"]) for row in latest) * 3 < min(len(row["body"]) for row in before)


def test_a_dictionary_that_still_pays_is_kept(db_path):
    db = open_archive(db_path)
    store_posts(db, captures.DICTIONARY_SAMPLES + 3 * captures.CHECK_EVERY)
    assert db["dictionaries"].count == 1


@pytest.mark.parametrize("damage", ["sha256 = 'f' || substr(sha256, 2)",
                                    "body = substr(body, 1, length(body) - 3)",
                                    "base_id = 999999"])
def test_a_damaged_capture_is_an_error_naming_it(db_path, damage):
    db = open_archive(db_path)
    first = store_posts(db, captures.DICTIONARY_SAMPLES + 1)[-1]
    save_capture(db, changed(first, 1))
    target = rows(db)[-1]
    db.execute(f"update pages set {damage} where id = ?", [target["id"]])
    with pytest.raises(ArchiveError, match=f"capture {target['id']} of {first.url} .* is damaged"):
        page_body(db, rows(db)[-1])


def test_a_capture_whose_base_is_damaged_is_an_error(db_path):
    db = open_archive(db_path)
    first = store_posts(db, captures.DICTIONARY_SAMPLES + 1)[-1]
    save_capture(db, changed(first, 1))
    base, recapture = rows(db, "url = ?", [first.url])
    db.execute("update pages set sha256 = 'f' || substr(sha256, 2) where id = ?", [base["id"]])
    with pytest.raises(ArchiveError, match=f"capture {base['id']} of {first.url} .* is damaged"):
        page_body(db, rows(db, "id = ?", [recapture["id"]])[0])


def test_a_capture_whose_dictionary_is_damaged_is_an_error_naming_both(db_path):
    db = open_archive(db_path)
    store_posts(db, captures.DICTIONARY_SAMPLES + 1)
    db.execute("update dictionaries set sha256 = 'f' || substr(sha256, 2)")
    target = rows(db)[-1]
    with pytest.raises(ArchiveError, match=f"capture {target['id']} of .* dictionary {target['dictionary_id']} of "
                                           f"{SITE} is damaged"):
        page_body(db, target)


# Archives of schema version 1 (zlib captures)


def legacy_archive(tmp_path: Path, extra: int = 0) -> Path:
    """A copy of the version-1 fixture, with `extra` more captures stored as version 1 stored them (zlib level 6
    of the exact bytes, their SHA-256, no codec), written with plain sqlite3 so the file stays at version 1."""
    path = tmp_path / "v1.db"
    shutil.copy(V1, path)
    with sqlite3.connect(path) as conn:
        for n in range(extra):
            body = page("www.harbour.example" if n % 3 else SITE, f"extra-{n}", paragraphs(f"extra-{n}", 3))
            host = "www.harbour.example" if n % 3 else SITE
            conn.execute("insert into pages (url, fetched_at, status_code, content_type, sha256, body) "
                         "values (?, ?, 200, 'text/html', ?, ?)",
                         [f"https://{host}/post/extra-{n // 4}", f"2024-05-01T00:00:{n % 60:02d}+00:00",
                          hashlib.sha256(body).hexdigest(), zlib.compress(body, 6)])
    conn.close()
    return path


def bodies_as_read(path: Path) -> dict[int, bytes]:
    reader = open_archive(path, create=False)
    try:
        return {row["id"]: page_body(reader, row) for row in reader.query("select * from pages")}
    finally:
        reader.close()


@pytest.mark.parametrize("fixture", [V1, UNMARKED], ids=["version-1", "unmarked"])
def test_an_archive_of_an_earlier_version_is_read_as_it_is_then_converted_by_a_writer(tmp_path, fixture):
    path = tmp_path / "old.db"
    shutil.copy(fixture, path)
    before = bodies_as_read(path)
    assert path.read_bytes() == fixture.read_bytes()  # a reader changed nothing
    db = open_archive(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    assert {row["codec"] for row in rows(db)} == {"zstd"}
    assert {row["id"]: page_body(db, row) for row in rows(db)} == before


def test_a_converted_version_1_archive_searches_and_keeps_storing(tmp_path):
    path = legacy_archive(tmp_path)
    db = open_archive(path)
    assert sorted(hit.url for hit in search(db, "revised")) == [f"https://{SITE}/post/ginger-for-nausea",
                                                                 f"https://{SITE}/post/moxa-in-winter"]
    texts = paragraphs("tui-na")
    save_post(db, Post(url=f"https://{SITE}/post/tui-na", title="Tui Na", sections=[Section(None, 1, texts[0], "")]),
              capture=capture("tui-na", texts))
    assert [hit.title for hit in search(db, "tui")] == ["Tui Na"]
    assert page_body(db, rows(db)[-1]) == page(SITE, "tui-na", texts)


def test_converted_recaptures_of_version_1_are_stored_against_their_previous_capture(tmp_path):
    db = open_archive(legacy_archive(tmp_path))
    source = db.execute("select sha256 from dictionaries").fetchone()[0]  # the capture chosen as dictionary
    revised = [rows(db, "url = ?", [f"https://{SITE}/post/{slug}"]) for slug in ("moxa-in-winter", "ginger-for-nausea")]
    first, again = next(history for history in revised if history[0]["sha256"] != source)
    assert (again["base_id"], again["chain"]) == (first["id"], 1)


def test_a_damaged_zlib_capture_is_kept_as_it_is_and_the_rest_converted(tmp_path):
    path = legacy_archive(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("update pages set body = substr(body, 1, 100) where id = 3")
    conn.close()
    db = open_archive(path)
    assert [(row["id"], row["codec"]) for row in rows(db, "codec != 'zstd'")] == [(3, "zlib")]
    with pytest.raises(ArchiveError, match="capture 3 of .* is damaged"):
        page_body(db, rows(db, "id = 3")[0])
    assert len(rows(db, "codec = 'zstd'")) == len(rows(db)) - 1


def test_a_converted_archive_gives_the_space_it_freed_back_to_the_disk(tmp_path):
    path = legacy_archive(tmp_path, extra=200)
    before = path.stat().st_size
    open_archive(path).close()
    assert path.stat().st_size * 2 < before


# Converts a copy of a version-1 archive in a child process that SIGKILLs itself as SQLite starts the n-th
# statement that stores a converted capture (an update of pages). With batches of 5, the first batch makes 9
# (4 rows, the site's dictionary trained at the 5th row storing those 4 again, the 5th row): 12 is mid-batch,
# 15 the first of a batch, 30 further on.
KILL_DURING_CONVERSION = r"""
import os, signal, sys
from pathlib import Path
from archive.dbfile import connect
from archive.store import convert_captures, upgrade

path, n = Path(sys.argv[1]), int(sys.argv[2])
db = connect(path, write=True)
upgrade(db)
count = 0
def trace(sql):
    global count
    if sql.lstrip().lower().startswith("update"):
        count += 1
        if count == n:
            os.kill(os.getpid(), signal.SIGKILL)
db.conn.set_trace_callback(trace)
convert_captures(db, batch=5)
"""


@pytest.mark.parametrize("kill_at", [12, 15, 30])
def test_a_conversion_killed_mid_way_leaves_every_capture_readable_and_the_next_writer_finishes_it(tmp_path,
                                                                                                 kill_at):
    path = legacy_archive(tmp_path, extra=40)
    before = bodies_as_read(path)
    child = subprocess.run([sys.executable, "-c", KILL_DURING_CONVERSION, str(path), str(kill_at)],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr
    with sqlite3.connect(path) as conn:
        codecs = [codec for (codec,) in conn.execute("select codec from pages")]
    conn.close()
    assert 0 < codecs.count(None) < len(codecs) and 0 < codecs.count("zstd")  # stopped part of the way
    assert bodies_as_read(path) == before  # a reader reads each row by its codec
    db = open_archive(path)
    assert {row["codec"] for row in rows(db)} == {"zstd"}
    assert {row["id"]: page_body(db, row) for row in rows(db)} == before
    assert max(row["chain"] for row in rows(db)) <= captures.MAX_CHAIN


def test_a_conversion_waits_for_another_writer_then_completes(tmp_path):
    path = legacy_archive(tmp_path)
    before = bodies_as_read(path)
    holder = hold(path, 1.5)
    started = time.monotonic()
    try:
        db = open_archive(path)
    finally:
        holder.wait()
    assert time.monotonic() - started > 1.0
    assert {row["codec"] for row in rows(db)} == {"zstd"}
    assert {row["id"]: page_body(db, row) for row in rows(db)} == before


def test_two_writers_converting_at_once_convert_each_capture_once(tmp_path):
    path = legacy_archive(tmp_path, extra=40)
    before = bodies_as_read(path)
    script = "import sys; from archive.store import open_archive; open_archive(sys.argv[1])"
    writers = [subprocess.Popen([sys.executable, "-c", script, str(path)], stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0], [w.stderr.read() for w in writers]
    db = open_archive(path)
    assert {row["id"]: page_body(db, row) for row in rows(db)} == before
    assert db.execute("select count(*) from dictionaries group by site having count(*) > 1").fetchall() == []
    assert convert_captures(db) == 0


def test_the_command_line_reads_a_version_1_archive_and_a_writer_command_converts_it(tmp_path):
    path = legacy_archive(tmp_path)
    listed = run("list", "--db", path)
    assert listed.returncode == 0 and "Moxa In Winter" in listed.stdout
    assert path.read_bytes() == V1.read_bytes()
    assert run("reextract", "--db", path, "--quiet").returncode == 0
    db = open_archive(path, create=False)
    assert {row["codec"] for row in rows(db)} == {"zstd"}
