"""An archive on a read-only disk, or in a read-only file: every read works, and a write is one error line."""
from __future__ import annotations

import json
import re
import signal
import urllib.request
from pathlib import Path

import pytest
from processes import SEED, lines, read_only_mount, run, start, without_root_override


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An archive with one post, alone in its folder, closed (no -wal or -shm beside it)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    db_path = folder / "archive.db"
    assert run("import", SEED, "--db", db_path).returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["archive.db"]
    return db_path


def reads_work(db_path: Path, out: Path, wrapper: list[str]) -> None:
    listing = run("list", "--db", db_path, wrapper=wrapper)
    assert listing.returncode == 0, listing.stderr
    assert "Does Acupuncture Work For Neuropathy?" in listing.stdout
    shown = run("show", "does-acupuncture-work-for-neuropathy", "--db", db_path, "--format", "json", wrapper=wrapper)
    assert json.loads(shown.stdout)["author"] == "Laura Mann"
    hits = run("search", "tingling", "--db", db_path, "--json", wrapper=wrapper)
    assert [hit["title"] for hit in json.loads(hits.stdout)] == ["Does Acupuncture Work For Neuropathy?"]
    exported = run("export", "jsonl", out, "--db", db_path, wrapper=wrapper)
    assert exported.returncode == 0, exported.stderr
    assert "Laura Mann" in "".join(p.read_text() for p in out.rglob("*.jsonl"))


def serve_works(db_path: Path, wrapper: list[str]) -> None:
    server = start("serve", "--db", db_path, "--port", "0", wrapper=wrapper)
    try:
        first = server.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert url, first
        with urllib.request.urlopen(url.group(0) + "/?q=tingling", timeout=10) as response:
            assert "Does Acupuncture Work For Neuropathy?" in response.read().decode()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)


def test_every_read_works_on_a_read_only_disk(archive, tmp_path):
    wrapper = read_only_mount(archive.parent)
    before = archive.read_bytes()
    reads_work(archive, tmp_path / "export", wrapper)
    serve_works(archive, wrapper)
    assert archive.read_bytes() == before


def test_a_write_to_a_read_only_disk_is_one_error_line(archive):
    wrapper = read_only_mount(archive.parent)
    result = run("import", SEED, "--db", archive, wrapper=wrapper)
    assert result.returncode == 1
    assert lines(result.stderr) == [f"Error: {archive} is on a read-only filesystem: cannot write to it (list, show, "
                                    f"search, serve and export still read it)"]


def test_every_read_works_on_a_read_only_file(archive, tmp_path):
    wrapper = without_root_override()
    archive.chmod(0o444)
    reads_work(archive, tmp_path / "export", wrapper)
    serve_works(archive, wrapper)


def test_a_write_to_a_read_only_file_is_one_error_line(archive):
    wrapper = without_root_override()
    archive.chmod(0o444)
    before = archive.read_bytes()
    for command in (["import", SEED], ["reextract"], ["search", "--rebuild"]):
        result = run(*command, "--db", archive, wrapper=wrapper)
        assert result.returncode == 1
        assert lines(result.stderr) == [f"Error: {archive} is a read-only file: cannot write to it (list, show, "
                                        f"search, serve and export still read it)"]
    assert archive.read_bytes() == before
